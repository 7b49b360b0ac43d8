# Session ids: a new one at every login (no fixation), dead after logout
# everywhere, logout only with its CSRF token, garbled cookies harmless.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;

my $t = KotTest->new(workers => 2);
my $n = $t->nginx(KotTest->site);

$t->add_user('acme', 'alice', 'correct horse battery');

my %alice = (tenant => 'acme', username => 'alice',
             password => 'correct horse battery');


# cookie attributes (plain HTTP for development)

my $ua = $n->ua;
$ua->login(%alice);
my ($set) = grep { /^kot_session=/ } @{ $ua->cookies_raw };
like $set, qr/^kot_session=[A-Za-z0-9_-]{43};/,
    'the session id is 256 bits in base64url';
like $set, qr/; HttpOnly/, 'the session cookie is HttpOnly';
like $set, qr/; SameSite=Lax/, 'the session cookie is SameSite=Lax';
like $set, qr/; Path=\//, 'the session cookie is for the whole site';
unlike $set, qr/Domain=|Expires=|Max-Age=/i,
    'the session cookie has no domain and no lifetime of its own';
unlike $set, qr/Secure/,
    'with kot_insecure_cookie, the cookie works over plain HTTP';

my $id = $ua->cookie('kot_session');
my $keys = $t->redis('KEYS', 'kot:v1:s:*');
is scalar @$keys, 1, 'Redis holds one session';
unlike $keys->[0], qr/\Q$id\E/, 'Redis never holds the raw session id';
unlike join(' ', @{ $t->redis('HGETALL', $keys->[0]) }), qr/\Q$id\E/,
    'nor in the session data';


# fixation

my $victim = $n->ua;
my $planted = 'A' x 43;
$victim->set_cookie('kot_session', $planted);
$victim->login(%alice);
isnt $victim->cookie('kot_session'), $planted,
    'login never adopts a session id the browser brought';
my $attacker = $n->ua;
$attacker->set_cookie('kot_session', $planted);
is $attacker->get('/app')->{status}, 401,
    'the planted id opens nothing after the victim logged in';

my $again = $n->ua;
$again->login(%alice);
my $first = $again->cookie('kot_session');
$again->login(%alice);
my $second = $again->cookie('kot_session');
isnt $second, $first, 'logging in again gives a new id';
my $old = $n->ua;
$old->set_cookie('kot_session', $first);
is $old->get('/app')->{status}, 401, 'and the old id stops working at once';


# logout

my $page = $ua->get('/kot/logout');
is $page->{status}, 200, 'the logout page asks first';
like $page->{content}, qr/<form method="post" action="\/kot\/logout">/,
    'with a one-button form';

my $res = $ua->post_form('/kot/logout', {});
is $res->{status}, 403, 'a logout without the CSRF token is refused';
is $ua->get('/app')->{status}, 200, 'and the session goes on';

# A token is bound to its session and its form: a page of another site
# that got hold of some token, or guessed at one, must not log anyone out.
my $mine = KotTest::UA::form_field($page->{content}, 'csrf');
my %wrong = (
    "another session's token" => KotTest::UA::form_field(
        $victim->get('/kot/logout')->{content}, 'csrf'),
    'an altered token' => KotTest::altered($mine, 10),
    "the password form's token" => KotTest::UA::form_field(
        $ua->get('/kot/password')->{content}, 'csrf'),
);
for my $what (sort keys %wrong) {
    ok defined $wrong{$what} && $wrong{$what} ne $mine,
        "$what is a token, not the right one";
    $res = $ua->post_form('/kot/logout', { csrf => $wrong{$what} });
    is $res->{status}, 403, "a logout with $what is refused";
    is $ua->get('/app')->{status}, 200,
        "and the session goes on after $what";
}
is $victim->get('/app')->{status}, 200,
    'so does the session whose token was used';

my $replay = $n->ua;
$replay->set_cookie('kot_session', $id);

$res = $ua->post_form('/kot/logout', {
    csrf => KotTest::UA::form_field($page->{content}, 'csrf') });
is $res->{status}, 303, 'logout succeeds';
is $res->{headers}{location}, '/kot/login?logged_out=1',
    'and goes to the login page';
ok !defined $ua->cookie('kot_session'), 'logout clears the cookie';
is $res->{headers}{'clear-site-data'}, '"cache"',
    "and the browser's cache of the site, so that Back shows nothing of it";
like $ua->get('/kot/login?logged_out=1')->{content}, qr/You have logged out/,
    'the login page confirms the logout';

# two workers: whichever answers must know the session is gone
for my $try (1 .. 6) {
    is $replay->get('/app')->{status}, 401,
        "the old cookie is dead after logout (request $try)";
}
is $t->redis('EXISTS', $keys->[0]), 0, 'the session is gone from Redis';
is $t->redis('ZCARD', 'kot:v1:us:acme:alice'), 2,
    'and from the user\'s list of sessions';


# garbled cookies

for my $c ('', 'x', '=' x 43, ('A' x 42) . '!', 'A' x 44, 'A' x 4000,
           "\x{ff}\x{fe}" x 10)
{
    my $g = $n->ua;
    my $r = $g->get('/app', { Cookie => "kot_session=$c" });
    is $r->{status}, 401,
        'a garbled session cookie (' . length($c) . ' bytes) opens nothing';
}

my $r = $n->ua->get('/app', {
    Cookie => 'a=b; kot_session="' . ('A' x 43) . '"; ' . ('c=d; ' x 200) });
is $r->{status}, 401, 'a quoted unknown id in a long Cookie header is refused';

$r = $n->ua->raw("GET /app HTTP/1.1\r\nHost: x\r\nCookie: "
                 . ('k' x 10000) . "\r\nConnection: close\r\n\r\n");
like $r, qr{^HTTP/1.1 (401|400|431|494)}, 'a huge cookie is refused';

like $n->ua->get('/app')->{content}, qr/login_required/,
    'nginx keeps answering after all that';

unlike $n->error_log, qr/\Q$id\E/, 'no session id reaches the log';

done_testing;
