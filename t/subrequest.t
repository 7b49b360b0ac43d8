# "kot on" decides for subrequests too, which nginx's access phase skips:
# an SSI include, an auth_request check and a mirror reach a protected
# location only with a session, judged from the main request's cookie.
# auth_request to a "kot on" location protects what other modules serve,
# and passes the identity on.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;
use Time::HiRes qw(time);

my $t = KotTest->new(workers => 2);

# Without the workers' session cache every check waits for Redis, so each
# subrequest below is parked and resumed.  The server logs to its own
# file: access.log then lists only what reached the application.
my $n = $t->nginx(KotTest->site(http => 'kot_session_cache off;',
                                server => <<'EOF'));
        access_log %%DIR%%/front.log;
        set_real_ip_from 127.0.0.1;
        real_ip_header X-Real-IP;

        location = /page {
            ssi on;
            default_type text/html;
            return 200 '<p>before</p><!--# include virtual="/app/inc" --><p>after</p>\n';
        }

        location = /kot-auth {
            internal;
            kot on;
            empty_gif;
        }

        location = /kot-auth-acme {
            internal;
            kot on;
            kot_tenant acme;
            empty_gif;
        }

        location @kot_login {
            kot on;
            deny all;
        }

        location /other/ {
            auth_request /kot-auth;
            auth_request_set $kot_u $kot_user;
            auth_request_set $kot_t $kot_tenant;
            error_page 401 = @kot_login;
            proxy_pass http://%%APP%%;
            proxy_set_header X-Kot-User $kot_u;
            proxy_set_header X-Kot-Tenant $kot_t;
        }

        location /acme/ {
            auth_request /kot-auth-acme;
            proxy_pass http://%%APP%%;
        }

        location /acme-app/ {
            auth_request /kot-auth-acme;
            error_page 401 = @kot_login;
            proxy_pass http://%%APP%%;
        }

        location /mirrored/ {
            mirror /app/copy;
            proxy_pass http://%%APP%%;
        }
EOF

$t->add_user('acme', 'alice', 'correct horse battery');
$t->add_user('acme', 'carol', 'correct horse battery', force_change => 1);
$t->add_user('globex', 'gina', 'correct horse battery');

my %pw = (password => 'correct horse battery');
my $alice = $n->ua;
$alice->login(tenant => 'acme', username => 'alice', %pw);
my $carol = $n->ua;
$carol->login(tenant => 'acme', username => 'carol', %pw);
my $gina = $n->ua;
$gina->login(tenant => 'globex', username => 'gina', %pw);

my $HTML = { Accept => 'text/html' };

sub reached ($what) {
    return $n->access_log =~ /\Q$what\E/;
}


# SSI

my $res = $n->ua->get('/page', $HTML);
is $res->{status}, 200, 'a public page with an SSI include answers';
like $res->{content}, qr/before.*after/s, 'with its own text';
unlike $res->{content}, qr/app user=/,
    'but without the protected part, when there is no session';
like $res->{content}, qr/login_required/,
    'which says a login is required instead';
ok !reached('/app/inc'), 'the include never reached the application';

$res = $alice->get('/page', $HTML);
like $res->{content}, qr/before<\/p>app user=\[alice\] tenant=\[acme\].*after/s,
    'with a session, the include shows the protected part as its user';


# auth_request

$res = $n->ua->get('/other/x');
is $res->{status}, 401, 'auth_request without a session answers 401';
is $res->{content}, qq({"error":"login_required"}\n),
    'and tells an API client to log in';
ok !reached('/other/x'), 'and the application never sees the request';

$res = $alice->get('/other/x');
is $res->{status}, 200, 'auth_request with a session lets the request pass';
like $res->{content}, qr/user=\[alice\] tenant=\[acme\]/,
    'and auth_request_set passes the identity on';

my $forged = $n->ua;
$forged->set_cookie('kot_session',
                    KotTest::altered($alice->cookie('kot_session'), -1));
is $forged->get('/other/x')->{status}, 401,
    'a well-formed cookie of no session is refused';

$res = $n->ua->get('/other/x?a=1&b=2', $HTML);
is $res->{status}, 302,
    'a browser without a session is sent to the login page';
is $res->{headers}{location}, '/kot/login?return_to=/other/x%3Fa%3D1%26b%3D2',
    'and comes back to the page afterwards';

$res = $carol->get('/other/x');
is $res->{status}, 401, 'a session that must change its password is 401';
is $res->{content}, qq({"error":"password_change_required"}\n),
    'an API client is told why';
$res = $carol->get('/other/x', $HTML);
is $res->{status}, 302, 'a browser is sent';
like $res->{headers}{location}, qr{^/kot/password}, 'to change it';

is $alice->get('/acme/x')->{status}, 200,
    "a session of the location's tenant passes";
$res = $gina->get('/acme/gina');
is $res->{status}, 401, "a session of another tenant is refused";
ok !reached('/acme/gina'), 'and never reaches the application';

# @kot_login names no tenant: gina's session passes there, and "deny all"
# refuses her rather than send her to log in again
$res = $gina->get('/acme-app/gina', $HTML);
is $res->{status}, 403,
    'a browser with it is refused, not sent to log in again';
is $n->ua->get('/acme-app/x', $HTML)->{status}, 302,
    'while a browser without a session is sent to log in';
is $gina->get('/other/x')->{status}, 200,
    'where the check names no tenant, her session passes';


# mirror

$n->ua->get('/mirrored/x?who=anonymous');
$alice->get('/mirrored/x?who=alice');

# The application logs each copy as it answers it, and alice's copy went
# after the anonymous one.
ok wait_until(sub { reached('/app/copy?who=alice') },
              what => "alice's mirrored copy"),
    'with a session, the mirrored copy reaches the application';
ok !reached('/app/copy?who=anonymous'),
    'without one, the copy never does';
ok reached('/mirrored/x?who=anonymous'),
    'while the request itself is served as usual';


# the allow-list

my $r = $t->kotctl('allowlist', 'acme', 'access', 'set', '10.1.0.0/16');
die "kotctl allowlist: $r->{err}" if $r->{exit};

$res = $alice->get('/other/y', { 'X-Real-IP' => '10.2.0.1' });
is $res->{status}, 403, 'from a network the tenant does not allow, 403';
ok !reached('/other/y'), 'and nothing reaches the application';
is $alice->get('/other/y', { 'X-Real-IP' => '10.1.2.3' })->{status}, 200,
    'from an allowed network, the request passes';
like $alice->get('/page', { 'X-Real-IP' => '10.2.0.1' })->{content},
    qr/before<\/p>\{"error":"ip_not_allowed"\}/,
    'an SSI include from a refused network holds no protected part';

$r = $t->kotctl('allowlist', 'acme', 'access', 'set');
die "kotctl allowlist: $r->{err}" if $r->{exit};


# Redis stalled, then down: a timer ends every wait

$t->pause_redis;

my $start = time;
$res = $alice->get('/other/z');
is $res->{status}, 500,
    'with Redis stalled, auth_request fails closed (nginx makes it 500)';
cmp_ok time - $start, '<', 4, 'after the configured timeout, not a hang';

$start = time;
$res = $alice->get('/page', $HTML);
like $res->{content},
    qr/before<\/p>\{"error":"session_store_unavailable"\}/,
    'an SSI include says the session store is unavailable';
cmp_ok time - $start, '<', 4, 'in time too';

$t->resume_redis;
$t->stop_redis(save => 1);

is $alice->get('/other/z')->{status}, 500,
    'with Redis down, auth_request fails closed';
ok !reached('/other/z'), 'and nothing reached the application';

$t->start_redis;
ok wait_until(sub { $alice->get('/other/z')->{status} == 200 },
              what => 'recovery after Redis restarted'),
    'when Redis returns, auth_request passes again';

unlike $n->error_log, qr/\[alert\]|\[crit\]|header already sent/,
    'no alert in the error log';

done_testing;
