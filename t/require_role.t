# kot_require_role: a location that only some roles may open.  A session
# without one of the roles gets 403 (a page for a browser, JSON for
# others) and an audit record.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;

my $t = KotTest->new;
my $log = $t->dir . '/a/audit.log';
my (undef, $pub) = $t->auditor_keys;

my $n = $t->nginx(KotTest->site(
    http => "kot_audit_log %%DIR%%/audit.log buffer=4k flush=100ms;\n"
          . "    kot_audit_auditor_key $pub;",
    server => <<'EOF'));
        location /admin/ {
            kot on;
            kot_require_role admin;
            proxy_pass http://%%APP%%;
            proxy_set_header X-Kot-User $kot_user;
            proxy_set_header X-Kot-Roles $kot_roles;
        }

        location /reports/ {
            kot on;
            kot_require_role auditor admin;
            proxy_pass http://%%APP%%;
        }

        location = /kot-auth-admin {
            internal;
            kot on;
            kot_require_role admin;
            empty_gif;
        }

        location /files/ {
            auth_request /kot-auth-admin;
            proxy_pass http://%%APP%%;
        }
EOF

$t->add_user('acme', 'alice', 'correct horse battery', roles => ['admin']);
$t->add_user('acme', 'bob', 'battery staple horse', roles => ['user']);
$t->add_user('acme', 'carol', 'staple horse correct',
             roles => ['user', 'auditor']);
# a role whose name only begins like the one required
$t->add_user('acme', 'dave', 'horse staple battery',
             roles => ['administrator', 'admin-x']);

sub session_of ($user, $password) {
    my $ua = $n->ua;
    my $res = $ua->login(tenant => 'acme', username => $user,
                         password => $password);
    die "login of $user: $res->{status}" unless $res->{status} == 303;
    return $ua;
}

my $alice = session_of('alice', 'correct horse battery');
my $bob = session_of('bob', 'battery staple horse');
my $carol = session_of('carol', 'staple horse correct');
my $dave = session_of('dave', 'horse staple battery');
my $HTML = { Accept => 'text/html' };

my $res = $alice->get('/admin/users');
is $res->{status}, 200, 'an admin opens the admin pages';
like $res->{content}, qr/user=\[alice\] .*roles=\[admin\]/,
    'and the application sees who it is';

$res = $bob->get('/admin/users');
is $res->{status}, 403, 'a user without the role is refused with 403';
is $res->{content}, qq({"error":"forbidden"}\n),
    'with a JSON reason for an API client';
unlike $res->{content}, qr/^app /m, 'and the application is not reached';

$res = $bob->get('/admin/users', $HTML);
is $res->{status}, 403, 'a browser gets 403 too';
like $res->{content}, qr/does not have permission to open this page/,
    'with a page that says so';
$res = $bob->get('/admin/users', { %$HTML, 'Accept-Language' => 'ja' });
like $res->{content}, qr/このページを開く権限がありません/, 'in Japanese too';
is $bob->get('/app')->{status}, 200,
    'the refusal does not end the session elsewhere';

is $dave->get('/admin/x')->{status}, 403,
    'a role that only begins with the name required does not count';

is $carol->get('/reports/q1')->{status}, 200,
    'any one of several roles opens a location';
is $alice->get('/reports/q1')->{status}, 200, 'the other one too';
is $bob->get('/reports/q1')->{status}, 403, 'none of them does not';

is $n->ua->get('/admin/users')->{status}, 401,
    'without a session it is still a login first';

is $alice->get('/files/a.pdf')->{status}, 200,
    'an auth_request check with the role lets an admin through';
is $bob->get('/files/a.pdf')->{status}, 403,
    'and refuses a user without it';

my @denied;
KotTest::wait_until(sub {
    @denied = $t->audit_records($log, 'role_denied');
    return @denied >= 6;
});
is scalar @denied, 6, 'each refusal is an audit record';
my ($first) = @denied;
is $first->{'user.name'}, 'bob', 'naming the user';
is $first->{'organization.id'}, 'acme', 'and the tenant';
is $first->{'event.reason'}, 'missing_role', 'with the reason';
is_deeply $first->{'kot.required_roles'}, ['admin'],
    'and the roles the location requires';
is $first->{'http.response.status_code'}, 403, 'and the status sent';


# configuration

my ($rc, $out) = $t->nginx_check(KotTest->site(
    location => 'kot_require_role Admin;'));
isnt $rc, 0, 'a role name with upper case fails nginx -t';
like $out, qr/"kot_require_role": "Admin" is not a role name: use 1 to 32 of/,
    'and says what a role name is';

($rc, $out) = $t->nginx_check(KotTest->site(
    location => 'kot_require_role admin; kot_require_role user;'));
isnt $rc, 0, 'a second kot_require_role in one place fails nginx -t';
like $out, qr/"kot_require_role" directive is duplicate/, 'and says so';

($rc, $out) = $t->nginx_check(KotTest->site(
    http => 'kot_require_role staff;'));
is $rc, 0, 'kot_require_role at the http level is accepted' or diag $out;

# Where no session is checked, the role guards nothing: the location
# would be open to anyone.
for my $loc ('location /reports/ { kot_require_role admin; '
               . 'proxy_pass http://%%APP%%; }',
             'location /reports/ { kot on; location /reports/x/ { kot off; '
               . 'kot_require_role admin; proxy_pass http://%%APP%%; } }') {
    ($rc, $out) = $t->nginx_check(KotTest->site(server => $loc));
    isnt $rc, 0, 'kot_require_role in a location without kot on fails nginx -t';
    like $out, qr{${\ ('"kot_require_role" in location "[^"]+" guards '
                       . 'nothing: roles and allow-lists are checked only '
                       . 'where "kot on" or "kot_admin" checks the session; '
                       . 'add "kot on;" to the location') }},
        'and says to add kot on';
}

($rc, $out) = $t->nginx_check(KotTest->site(server =>
    'location /api/ { kot_admin; kot_require_role admin; }'
  . ' location /app/ { kot on; kot_require_role admin;'
  . ' proxy_pass http://%%APP%%;'
  . ' location /app/pub/ { kot off; proxy_pass http://%%APP%%; } }'));
is $rc, 0, 'in kot_admin, and inherited by a kot off location, it passes'
    or diag $out;

done_testing;
