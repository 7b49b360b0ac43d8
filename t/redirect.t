# Requests without a session: browsers go to the login page and come
# back, wherever kot_portal_uri puts it; API clients get 401; return_to
# never leads off the site.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;

my $t = KotTest->new;
my $n = $t->nginx(KotTest->site);

$t->add_user('acme', 'alice', 'correct horse battery');

my $HTML = { Accept => 'text/html,application/xhtml+xml;q=0.9' };


my $res = $n->ua->get('/reports/2026?month=5&x=a%20b', $HTML);
is $res->{status}, 302, 'a browser without a session is redirected';
is $res->{headers}{location},
    '/kot/login?return_to=/reports/2026%3Fmonth%3D5%26x%3Da%2520b',
    'to the login page, with the page it asked for';
is $n->ua->get('/reports', { Accept => 'text/html' }
               )->{headers}{'cache-control'}, 'no-store',
    'the redirect is not cached';

my $head = $n->ua->request('HEAD', '/reports', { headers => $HTML });
is $head->{status}, 302, 'a HEAD from a browser is redirected too';

$res = $n->ua->get('/reports');
is $res->{status}, 401, 'a client that does not accept HTML gets 401';
is $res->{headers}{'content-type'}, 'application/json', 'as JSON';
is $res->{content}, qq({"error":"login_required"}\n),
    'saying that a login is required';

$res = $n->ua->get('/api/items', { Accept => 'application/json' });
is $res->{status}, 401, 'a JSON client gets 401';

# forms after expiry: t/ajax_expiry.t
$res = $n->ua->post_form('/reports', { a => 1 },
                         { %$HTML, 'X-Requested-With' => 'XMLHttpRequest' });
is $res->{status}, 401, "a script's POST without a session gets 401";

is $n->ua->get('/public/x')->{status}, 200,
    'a location without "kot on" stays open';

$res = $n->ua->get('/kot/', $HTML);
is $res->{headers}{location}, '/kot/login', 'the portal root leads to login';


# a round trip through the login page

my $ua = $n->ua;
my $loc = $ua->get('/reports?month=5', $HTML)->{headers}{location};
my $form = $ua->get($loc);
is KotTest::UA::form_field($form->{content}, 'return_to'),
    '/reports?month=5', 'the login form keeps the page to return to';
$res = $ua->post_form('/kot/login', {
    csrf => KotTest::UA::form_field($form->{content}, 'csrf'),
    return_to => KotTest::UA::form_field($form->{content}, 'return_to'),
    tenant => 'acme', username => 'alice',
    password => 'correct horse battery' });
is $res->{headers}{location}, '/reports?month=5',
    'after login the browser is back where it started';


# a portal somewhere else: kot_portal_uri tells protected locations where
# it is, and the whole round trip goes through it

my $site = KotTest->site(http => 'kot_portal_uri /auth/;');
$site =~ s{location /kot/ \{}{location /auth/ \{} or die 'no portal location';
my $auth = $t->nginx($site, name => 'auth');

$ua = $auth->ua;
$res = $ua->get('/reports?month=5', $HTML);
is $res->{status}, 302, 'with kot_portal_uri /auth/, a browser is redirected';
is $res->{headers}{location}, '/auth/login?return_to=/reports%3Fmonth%3D5',
    'to the login page under /auth/';
$form = $ua->get($res->{headers}{location});
is $form->{status}, 200, 'the login page loads there';
like $form->{content}, qr{<form method="post" action="/auth/login">},
    'and its form posts back to /auth/login';
$res = $ua->post_form('/auth/login', {
    csrf => KotTest::UA::form_field($form->{content}, 'csrf'),
    return_to => KotTest::UA::form_field($form->{content}, 'return_to'),
    tenant => 'acme', username => 'alice',
    password => 'correct horse battery' });
is $res->{status}, 303, 'the login through /auth/ works';
is $res->{headers}{location}, '/reports?month=5',
    'and leads back to the page the browser asked for';
like $ua->get('/reports?month=5', $HTML)->{content}, qr/user=\[alice\]/,
    'which now opens';

$form = $ua->get('/auth/logout');
$res = $ua->post_form('/auth/logout', {
    csrf => KotTest::UA::form_field($form->{content}, 'csrf') });
is $res->{headers}{location}, '/auth/login?logged_out=1',
    'logging out there leads to the login page under /auth/';


# return_to attacks: each must end on "/"

my @attacks = (
    '//evil.example/',
    '///evil.example/',
    'https://evil.example/',
    'http:evil.example',
    '/\\evil.example/',
    '\\\\evil.example',
    "/\r\nSet-Cookie: x=1",
    "/\t/evil.example",
    '/%2F%2Fevil.example',
    '/%2f/evil.example',
    '/%5Cevil.example',
    '/%252F%252Fevil.example',
    # a malformed escape elsewhere does not stop the decoding
    '/%2F%2Fevil.example?%',
    '/%5C%5Cevil.example?x=%zz',
    '/%252F%252Fevil.example?%',
    '/%0d%0aSet-Cookie:%20x=1',
    'javascript:alert(1)',
    ' /app',
    'evil.example',
    '/' . ('a' x 3000),
);

for my $attack (@attacks) {
    my $b = $n->ua;
    my $r = $b->login(tenant => 'acme', username => 'alice',
                      password => 'correct horse battery',
                      return_to => $attack);
    (my $shown = $attack) =~ s/([\x00-\x1f])/sprintf '\\x%02x', ord $1/ge;
    $shown = substr($shown, 0, 40);
    is $r->{headers}{location}, '/', "return_to '$shown' falls back to /";
}

{
    my $r = $n->ua->login(tenant => 'acme', username => 'alice',
                          password => 'correct horse battery',
                          return_to => '/reports?q=100%');
    is $r->{headers}{location}, '/reports?q=100%',
        'a page whose address holds a stray % is returned to';
}

for my $attack ('//evil.example/', '/%2F%2Fevil.example') {
    my $r = $n->ua->get('/kot/login?return_to=' . $attack);
    is KotTest::UA::form_field($r->{content}, 'return_to'), '/',
        "the login form refuses return_to '$attack' too";
}

$res = $n->ua->get('//evil.example/', $HTML);
unlike $res->{headers}{location} // '', qr/evil/,
    'a request for //evil does not put it in return_to';

done_testing;
