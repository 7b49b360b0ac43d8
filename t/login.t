# Logging in through the portal: the form, success, failure that tells
# nothing, CSRF, the forced change of a temporary password.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;

my $t = KotTest->new;
my $n = $t->nginx(KotTest->site);

$t->add_user('acme', 'alice', 'correct horse battery', roles => ['admin']);

my $HTML = { Accept => 'text/html' };


# the form

my $ua = $n->ua;
my $form = $ua->get('/kot/login?return_to=/reports');

is $form->{status}, 200, 'the login page loads';
like $form->{headers}{'content-type'}, qr{^text/html; charset=utf-8},
    'the login page is UTF-8 HTML';
for my $field (qw(tenant username password csrf return_to)) {
    like $form->{content}, qr/name="$field"/, "the login form has '$field'";
}
like $form->{content},
    qr/name="password"[^>]*type="password"|type="password"[^>]*name="password"/,
    'the password input is masked';
is KotTest::UA::form_field($form->{content}, 'return_to'), '/reports',
    'the login form carries return_to';
like $form->{headers}{'cache-control'}, qr/no-store/,
    'the login page is not cached';
like $form->{headers}{'content-security-policy'}, qr/default-src 'none'/,
    'the login page has a strict Content-Security-Policy';
is $form->{headers}{'x-frame-options'}, 'DENY',
    'the login page cannot be framed';

my $ja = $ua->get('/kot/login', { 'Accept-Language' => 'ja,en;q=0.5' });
like $ja->{content}, qr/ログイン/, 'a Japanese browser gets the Japanese page';
like $ja->{content}, qr/<html lang="ja">/, 'the Japanese page says so';
my $en = $ua->get('/kot/login', { 'Accept-Language' => 'en-US,ja;q=0.5' });
like $en->{content}, qr/Log in/, 'an English browser gets the English page';


# success

my $res = $ua->login(tenant => 'acme', username => 'alice',
                     password => 'correct horse battery',
                     return_to => '/reports?month=5');

is $res->{status}, 303, 'a correct password logs in';
is $res->{headers}{location}, '/reports?month=5',
    'login goes on to return_to';
ok $ua->cookie('kot_session'), 'login sets the session cookie';

$res = $ua->get('/reports?month=5', $HTML);
is $res->{status}, 200, 'the application is reachable after login';
like $res->{content}, qr/user=\[alice\] tenant=\[acme\] roles=\[admin\]/,
    'the application sees who logged in';

my $upper = $n->ua->login(tenant => 'ACME', username => 'Alice',
                          password => 'correct horse battery');
is $upper->{status}, 303, 'tenant and username are case-insensitive';


# failure

my $wrong = $n->ua;
my $bad = $wrong->login(tenant => 'acme', username => 'alice',
                        password => 'wrong password!!');
is $bad->{status}, 401, 'a wrong password is refused with 401';
ok !$wrong->cookie('kot_session'), 'a failed login sets no session';
like $bad->{content}, qr/Login failed/, 'a failed login says so';
is KotTest::UA::form_field($bad->{content}, 'username'), 'alice',
    'the username is kept in the form';
is KotTest::UA::form_field($bad->{content}, 'tenant'), 'acme',
    'so is the company ID';
like $bad->{content},
    qr{${\ ('<input id="password"[^>]* autofocus aria-invalid="true" '
            . 'aria-describedby="kot-msg-0">') }},
    'the password field, to type again, has the focus and the message';
like $bad->{content},
    qr/<p class="msg" role="alert" id="kot-msg-0">Login failed/,
    'which is the one that says the login failed';
unlike $form->{content}, qr/aria-invalid|aria-describedby/,
    'the form before any try marks no field';
like $form->{content}, qr/<input id="tenant"[^>]* autofocus>/,
    'and has the focus in its first field';
unlike $bad->{content}, qr/wrong password!!/,
    'the password is never echoed';

my $nouser = $n->ua->login(tenant => 'acme', username => 'mallory',
                           password => 'wrong password!!');
my $notenant = $n->ua->login(tenant => 'nope', username => 'alice',
                             password => 'wrong password!!');
my $garbage = $n->ua->login(tenant => 'a"<y>', username => "<x>\x01",
                            password => 'x');

sub page_without_tokens ($res) {
    my $c = $res->{content};
    $c =~ s/(name="(?:csrf|tenant|username)"[^>]*?) value="[^"]*"/$1/g;
    return $c;
}

for ([ 'an unknown user', $nouser ], [ 'an unknown tenant', $notenant ],
     [ 'a malformed name', $garbage ])
{
    my ($what, $r) = @$_;
    is $r->{status}, 401, "$what gets the same status as a wrong password";
    is page_without_tokens($r), page_without_tokens($bad),
        "$what gets the same page as a wrong password";
}
unlike $garbage->{content}, qr/<x>/, 'an echoed username is escaped';
unlike $garbage->{content}, qr/<y>|value="a"/,
    'so is an echoed company ID';
is KotTest::UA::form_field($garbage->{content}, 'tenant'), 'a"<y>',
    'which comes back as typed';

like $n->error_log, qr/login failed: tenant "acme" user "alice": bad_password/,
    'the log tells a wrong password';
like $n->error_log,
    qr/login failed: tenant "acme" user "mallory": unknown_user/,
    'the log tells an unknown user';
unlike $n->error_log, qr/correct horse|wrong password!!/,
    'no password reaches the log';


# two tabs, each sent to the login page, logged in one after the other

my $tabs = $n->ua;
my %tab = map {
    $_ => KotTest::UA::form_field(
        $tabs->get("/kot/login?return_to=/$_")->{content}, 'csrf')
} qw(reports invoices);
for my $page (qw(reports invoices)) {
    $res = $tabs->post_form('/kot/login', {
        csrf => $tab{$page}, return_to => "/$page", tenant => 'acme',
        username => 'alice', password => 'correct horse battery' });
    is $res->{status}, 303, "the login form of the $page tab logs in";
    is $res->{headers}{location}, "/$page", 'and goes on to its page';
}
ok $tabs->cookie('kot_pre'),
    'the pre-login cookie the other tab needs is still there';
is $tabs->get('/reports')->{status}, 200, 'and the browser is logged in';


# CSRF

my $nocsrf = $n->ua;
$nocsrf->get('/kot/login');
$res = $nocsrf->post_form('/kot/login', {
    tenant => 'acme', username => 'alice',
    password => 'correct horse battery' });
is $res->{status}, 403, 'a login without the CSRF token is refused';
ok !$nocsrf->cookie('kot_session'), 'and creates no session';

my $other = $n->ua;
my $token = KotTest::UA::form_field($other->get('/kot/login')->{content},
                                    'csrf');
my $victim = $n->ua;
$victim->get('/kot/login');
$res = $victim->post_form('/kot/login', {
    csrf => $token, tenant => 'acme', username => 'alice',
    password => 'correct horse battery' });
is $res->{status}, 403,
    "a CSRF token from another browser's form is refused";

my $nocookie = $n->ua;
$res = $nocookie->post_form('/kot/login', {
    csrf => $token, tenant => 'acme', username => 'alice',
    password => 'correct horse battery' });
is $res->{status}, 403, 'a login without the pre-login cookie is refused';
ok !$nocookie->cookie('kot_session'), 'and creates no session';

# the pre-login cookie is gone when the browser was restarted with the
# tab kept, or when it takes no cookies: the login page again, not a
# dead end, and the page the user was going to kept
my $restarted = $n->ua;
$res = $restarted->post_form('/kot/login', {
    csrf => $token, return_to => '/reports?month=5', tenant => 'acme',
    username => 'alice', password => 'correct horse battery' });
is $res->{status}, 403, 'a login form from before a restart is refused';
like $res->{content}, qr{<h1>Log in</h1>}, 'with the login page';
like $res->{content}, qr{The login page had expired[^<]*allow cookies},
    'which says the form had expired, and that logging in needs cookies';
is KotTest::UA::form_field($res->{content}, 'return_to'), '/reports?month=5',
    'and keeps the page the user was going to';
is KotTest::UA::form_field($res->{content}, 'tenant'), '',
    'but not what the unchecked form claimed (another site may have sent it)';
like $res->{content},
    qr/<input id="tenant"[^>]* autofocus aria-describedby="kot-msg-0">/,
    'the cursor in its first field, read with the message';
$res = $restarted->post_form('/kot/login', {
    csrf => KotTest::UA::form_field($res->{content}, 'csrf'),
    return_to => KotTest::UA::form_field($res->{content}, 'return_to'),
    tenant => 'acme', username => 'alice',
    password => 'correct horse battery' });
is $res->{status}, 303, 'a login from it works';
is $res->{headers}{location}, '/reports?month=5', 'and goes on to that page';


# garbled forms

$res = $n->ua->post_form('/kot/login', { csrf => '%zz' },
                         { 'Content-Length' => 5 });
ok $res->{status} == 400 || $res->{status} == 403,
    'a garbled form is refused';
$res = $n->ua->request('POST', '/kot/login',
    { headers => { 'Content-Type' => 'application/x-www-form-urlencoded' },
      content => 'username=a&password=' . ('x' x 20000) });
is $res->{status}, 413, 'an oversized form is refused with 413';
$res = $n->ua->request('POST', '/kot/login',
    { content => 'csrf=a&csrf=b' });
ok $res->{status} == 400, 'a form with a duplicated field is refused';
$res = $n->ua->request('PUT', '/kot/login', { content => '' });
is $res->{status}, 405, 'the login page takes only GET and POST';
is $res->{headers}{allow}, 'GET, HEAD, POST', '  and its Allow header says so';


# an unknown page under the portal is the portal's own, with its headers

for my $req ([ GET => '/kot/nothing' ], [ GET => '/kot/login/more' ],
             [ POST => '/kot/nothing' ])
{
    my ($method, $path) = @$req;
    my $r = $n->ua->request($method, $path, { content => '' });
    is $r->{status}, 404, "$method $path is 404";
    like $r->{content}, qr{<title>Page not found - ngx_kot</title>},
        "$path: on a portal page that says so";
    like $r->{content}, qr{href="/kot/login"},
        "$path: it links to the login page";
    like $r->{headers}{'content-security-policy'}, qr/default-src 'none'/,
        "$path: with the strict Content-Security-Policy";
    is $r->{headers}{'x-frame-options'}, 'DENY', "$path: it cannot be framed";
    like $r->{headers}{'cache-control'}, qr/no-store/, "$path: nor cached";
    is $r->{headers}{'x-content-type-options'}, 'nosniff',
        "$path: nor sniffed";
}
my $nf = $n->ua->get('/kot/nothing', { 'Accept-Language' => 'ja' });
like $nf->{content}, qr{<html lang="ja">.*ページが見つかりません}s,
    'a Japanese browser gets it in Japanese';


# a temporary password must be changed first

$t->add_user('acme', 'bob', 'temporary password 1', force_change => 1);

my $bob = $n->ua;
$res = $bob->login(tenant => 'acme', username => 'bob',
                   password => 'temporary password 1', return_to => '/app');
is $res->{status}, 303, 'a temporary password logs in';
is $res->{headers}{location}, '/kot/password?return_to=/app',
    'but leads to the password change first';

$res = $bob->get('/app', $HTML);
is $res->{status}, 302, 'the application stays closed until the change';
like $res->{headers}{location}, qr{^/kot/password\?return_to=},
    'it sends the browser to the change page';
$res = $bob->get('/api/items');
is $res->{status}, 401, 'an API call gets 401 until the change';
like $res->{content}, qr/"error":"password_change_required"/,
    'with a JSON reason';

my $page = $bob->get('/kot/password?return_to=/app');
is $page->{status}, 200, 'the change page loads';
like $page->{content}, qr/must change your password/,
    'it says why the user is there';
like $page->{content},
    qr/name="new_password"[^>]*autocomplete="new-password"/,
    'the new password field asks for a new password';

my $csrf = KotTest::UA::form_field($page->{content}, 'csrf');
$res = $bob->post_form('/kot/password', {
    csrf => $csrf, return_to => '/app',
    current_password => 'temporary password 1',
    new_password => 'short', confirm_password => 'shorter' });
is $res->{status}, 400, 'a bad new password is refused';
like $res->{content}, qr/do not match/, 'a mismatch is named';
like $res->{content}, qr/too short: use at least 12/, 'a short one is named';

$res = $bob->post_form('/kot/password', {
    csrf => $csrf, return_to => '/app',
    current_password => 'not the password',
    new_password => 'a much better secret',
    confirm_password => 'a much better secret' });
is $res->{status}, 400, 'a wrong current password is refused';
like $res->{content}, qr/current password is not correct/, 'and named';

$res = $bob->post_form('/kot/password', {
    return_to => '/app',
    current_password => 'temporary password 1',
    new_password => 'a much better secret',
    confirm_password => 'a much better secret' });
is $res->{status}, 403, 'a change without the CSRF token is refused';

# The token is bound to the session and to the form: alice's token for
# this same form, an altered one, or the logout form's token of bob's own
# session change nothing.
my $hash = $t->redis('HGET', 'kot:v1:u:acme:bob', 'hash');
my %wrong = (
    "another session's token" => KotTest::UA::form_field(
        $ua->get('/kot/password')->{content}, 'csrf'),
    'an altered token' => KotTest::altered($csrf, 10),
    "the logout form's token" => KotTest::UA::form_field(
        $bob->get('/kot/logout')->{content}, 'csrf'),
);
for my $what (sort keys %wrong) {
    ok defined $wrong{$what} && $wrong{$what} ne $csrf,
        "$what is a token, not the right one";
    $res = $bob->post_form('/kot/password', {
        csrf => $wrong{$what}, return_to => '/app',
        current_password => 'temporary password 1',
        new_password => 'a much better secret',
        confirm_password => 'a much better secret' });
    is $res->{status}, 403, "a change with $what is refused";
}
is $t->redis('HGET', 'kot:v1:u:acme:bob', 'hash'), $hash,
    'the stored password is untouched';
is $bob->get('/kot/password?return_to=/app')->{status}, 200,
    'the session goes on';
is $n->ua->login(tenant => 'acme', username => 'bob',
                 password => 'temporary password 1')->{status}, 303,
    'and the old password still logs in';

$res = $bob->post_form('/kot/password', {
    csrf => $csrf, return_to => '/app',
    current_password => 'temporary password 1',
    new_password => 'a much better secret',
    confirm_password => 'a much better secret' });
is $res->{status}, 303, 'a good new password is accepted';
is $res->{headers}{location}, '/app', 'and the user goes on';
like $bob->get('/app')->{content}, qr/user=\[bob\]/,
    'the application opens after the change';

is $n->ua->login(tenant => 'acme', username => 'bob',
                 password => 'temporary password 1')->{status}, 401,
    'the temporary password is dead';
is $n->ua->login(tenant => 'acme', username => 'bob',
                 password => 'a much better secret')->{status}, 303,
    'the new password logs in';


# passwords travel only over TLS

my $tls = $t->nginx(KotTest->site =~ s/kot_insecure_cookie on;//r,
                    name => 'plain');
$res = $tls->ua->get('/kot/login');
is $res->{status}, 403,
    'without kot_insecure_cookie, the portal refuses plain HTTP';
like $res->{content}, qr/HTTPS/, 'and says to use HTTPS';

done_testing;
