# The admin API (kot_admin), what every call goes through: the session
# as "kot on" checks it, the admin role, the CSRF token, the admin
# allow-list, paths and methods, JSON bodies, errors, Redis down, and
# the configuration.  The endpoints are in admin_tenants.t, admin_users.t,
# admin_lists.t and admin_support.t.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use KotTest::Admin;
use Test::More;

my $t = KotTest->new;
my (undef, $pub) = $t->auditor_keys;
my $log = $t->dir . '/a/audit.log';

my $n = $t->nginx(KotTest::Admin->site(
    http => "kot_audit_log %%DIR%%/audit.log buffer=4k flush=100ms;\n"
          . "    kot_audit_auditor_key $pub;"));

my $PW = 'correct horse battery';
$t->add_user('ops', 'root', $PW, roles => ['admin']);
$t->add_user('acme', 'alice', $PW, roles => ['admin', 'user']);
$t->add_user('acme', 'bob', $PW, roles => ['user']);
$t->add_user('acme', 'dora', $PW, roles => ['admin'], force_change => 1);

my $A = 'KotTest::Admin';
my $root = $A->login($n, 'ops', 'root', $PW);
my $alice = $A->login($n, 'acme', 'alice', $PW);
my $bob = $A->login($n, 'acme', 'bob', $PW);


# who is calling

my $res = $root->call(GET => 'session');
is $res->{status}, 200, 'GET session answers an admin';
is $res->{headers}{'content-type'}, 'application/json', 'in JSON';
is $res->{headers}{'cache-control'}, 'no-store', 'that no cache keeps';
is_deeply [ @{ $res->{json} }{qw(user tenant roles system_admin)} ],
    [ 'root', 'ops', ['admin'], JSON::PP::true ],
    'an admin of the operator\'s tenant is a system admin';
like $res->{json}{csrf}, qr/^[A-Za-z0-9_-]{43}$/, 'with a CSRF token';
is $res->{json}{ip}, '127.0.0.1', 'and the address it calls from';

$res = $alice->call(GET => 'session');
is_deeply [ @{ $res->{json} }{qw(user tenant roles system_admin)} ],
    [ 'alice', 'acme', ['admin', 'user'], JSON::PP::false ],
    'an admin of another tenant is a tenant admin';
isnt $res->{json}{csrf}, $root->csrf, 'each session has its own token';
is $alice->call(GET => 'session')->{json}{csrf}, $alice->csrf,
    'and keeps it';

# the session's own handle, as the list of sessions names it: the
# console tells the session of its own browser from the admin's others
my @mine = map { $_->{handle} }
    @{ $alice->call(GET => 'tenants/acme/sessions?user=alice')
           ->{json}{sessions} };
is $res->{json}{handle} // '', $mine[0] // 'none',
    'GET session names its own session by its handle';

my $anon = $A->anonymous($n);
$A->is_error($anon->call(GET => 'session'), 401, 'login_required',
             'without a session: 401 login_required');
$res = $anon->call(GET => 'tenants', undef,
                   { headers => { Accept => 'text/html' } });
$A->is_error($res, 401, 'login_required',
             'a browser gets the same JSON, not a redirect');

$res = $anon->call(GET => 'session', undef, { headers => {
    Cookie => 'kot_session=' . ('A' x 43) } });
$A->is_error($res, 401, 'login_required', 'nor with a session that is not');

my $dora = $n->ua;
is $dora->login(tenant => 'acme', username => 'dora',
                password => $PW)->{status}, 303, 'an admin with a '
    . 'temporary password logs in';
$res = $dora->request('GET', "${KotTest::Admin::PREFIX}session");
is $res->{status}, 401, 'but the API answers 401';
like $res->{content}, qr/"error":"password_change_required"/,
    'until the password is changed';


# a plain user: nothing at all

for my $call ([GET => 'session'], [GET => 'tenants'],
              [GET => 'tenants/acme/users'], [GET => 'tenants/acme/events'],
              [POST => 'tenants/acme/users',
               { username => 'eve', roles => ['admin'] }],
              [DELETE => 'tenants/acme/users/alice'])
{
    $A->is_error($bob->call(@$call), 403, 'forbidden',
                 "a user without the admin role: $call->[0] $call->[1] "
                 . 'is forbidden');
}
is $t->redis('EXISTS', 'kot:v1:u:acme:eve'), 0, 'and nothing changed';
is $t->redis('EXISTS', 'kot:v1:u:acme:alice'), 1, 'nothing at all';


# CSRF

my $before = $A->dump_keys($t, events => 0);

$res = $root->call(POST => 'tenants', { name => 'beta' }, { csrf => undef });
$A->is_error($res, 403, 'csrf', 'a POST without X-Kot-CSRF: 403 csrf');
like $res->{json}{detail}, qr/X-Kot-CSRF/, 'which says what is missing';
$A->is_error($root->call(POST => 'tenants', { name => 'beta' },
                         { csrf => KotTest::altered($root->csrf, 5) }),
             403, 'csrf', 'a wrong token: 403 csrf');
$A->is_error($root->call(POST => 'tenants', { name => 'beta' },
                         { csrf => $alice->csrf }),
             403, 'csrf', 'another session\'s token: 403 csrf');
$A->is_error($alice->call(DELETE => 'tenants/acme/users/bob', undef,
                          { csrf => '' }),
             403, 'csrf', 'an empty one on DELETE: 403 csrf');
$A->is_error($alice->call(PUT => 'tenants/acme/allowlists/access',
                          { networks => [] }, { csrf => undef }),
             403, 'csrf', 'on PUT too');
$A->is_error($alice->call(PATCH => 'tenants/acme/users/bob',
                          { disabled => JSON::PP::true }, { csrf => undef }),
             403, 'csrf', 'and on PATCH');
$res = $root->call(POST => 'tenants', { name => 'beta' }, { headers => {
    'X_Kot_CSRF' => $root->csrf }, csrf => undef });
$A->is_error($res, 403, 'csrf', 'a look-alike header name is not it');
is $A->dump_keys($t, events => 0), $before,
    'the refused calls changed nothing (but the record of each)';
is $root->call(POST => 'tenants', { name => 'beta' })->{status}, 201,
    'the right token, in X-Kot-CSRF, is accepted';


# the caller's tenant's admin allow-list

my $r = $t->kotctl('allowlist', 'acme', 'admin', 'set', '10.0.0.0/8');
is $r->{exit}, 0, 'acme\'s admin list leaves out this address'
    or diag $r->{err};
$A->is_error($alice->call(GET => 'session'), 403, 'ip_not_allowed',
             'its admin gets 403 ip_not_allowed');
$A->is_error($alice->call(GET => 'tenants/acme/users'), 403,
             'ip_not_allowed', 'on every call');
is $n->ua->login(tenant => 'acme', username => 'bob',
                 password => $PW)->{status}, 303,
    'the list only concerns admins: a user logs in';
is $root->call(GET => 'tenants')->{status}, 200,
    'and another tenant\'s admin is not concerned';
$t->kotctl('allowlist', 'acme', 'admin', 'set');
is $alice->call(GET => 'session')->{status}, 200,
    'an empty list lets the admin in again';

$t->kotctl('allowlist', 'acme', 'access', 'set', '192.0.2.0/24');
$A->is_error($alice->call(GET => 'session'), 403, 'ip_not_allowed',
             'the access list narrows the admin API too');
$t->kotctl('allowlist', 'acme', 'access', 'set');


# paths and methods

$A->is_error($root->call(GET => 'nothing'), 404, 'not_found',
             'an unknown path: 404 not_found');
$A->is_error($root->call(GET => 'tenants/'), 404, 'not_found',
             'a trailing slash names nothing');
$A->is_error($root->call(GET => 'tenants/acme/users/bob/unknown'), 404,
             'not_found', 'nor a path below a user');
$A->is_error($root->call(GET => ''), 404, 'not_found', 'nor the prefix');
$A->is_error($root->call(PUT => 'tenants', { name => 'x' }), 405,
             'method_not_allowed', 'a method a resource does not take: 405');
$res = $root->call(PUT => 'tenants', { name => 'x' });
is $res->{headers}{allow}, 'GET, HEAD, POST',
    'a 405 says in Allow what the resource takes';
$res = $alice->call(GET => 'tenants/acme/users/bob/unlock');
$A->is_error($res, 405, 'method_not_allowed', 'GET of an action too');
is $res->{headers}{allow}, 'POST', '  and Allow says POST';
is $root->ua->request('HEAD', "${KotTest::Admin::PREFIX}session")
    ->{status}, 200, 'HEAD is GET without the body';


# bodies

my $big = '{"name":"' . ('a' x (64 * 1024)) . '"}';
my $fits = '{"name":"gamma"' . (' ' x (64 * 1024 - 16)) . '}';
is length $fits, 64 * 1024, '(a body of exactly 64 KiB)';
is $root->call(POST => 'tenants', undef, { raw => $fits })->{status}, 201,
    'is taken';
is $root->call(POST => 'tenants', undef,
               { raw => '{"name":"delta"}',
                 type => 'application/json; charset=utf-8' })->{status},
    201, 'application/json with a charset is JSON';

# the events of delta's creation land in Redis after its answer
ok wait_until(sub {
        grep { /"event\.action":"tenant_added"/ }
             @{ $t->redis('LRANGE', 'kot:v1:ev:delta', 0, -1) }
        and grep { /"kot\.target\.tenant":"delta"/ }
                 @{ $t->redis('LRANGE', 'kot:v1:ev:ops', 0, 0) }
    }, what => 'the events of delta\'s creation'),
    '(the new tenant\'s events are written)';
$before = $A->dump_keys($t);

$A->is_error($root->call(POST => 'tenants', undef, { raw => $big }),
             413, 'body_too_large', 'a body over 64 KiB: 413');
$res = $root->ua->request('POST', "${KotTest::Admin::PREFIX}tenants", {
    headers => { 'Content-Type' => 'application/json',
                 'X-Kot-CSRF' => $root->csrf,
                 'Transfer-Encoding' => 'chunked' },
    content => sprintf("%x\r\n%s\r\n0\r\n\r\n", length $big, $big) });
is $res->{status}, 413, 'chunked, too';

# over client_max_body_size (1m), which nginx itself checks
my $huge = '{"name":"' . ('a' x (1100 * 1024)) . '"}';
for my $chunked (1, 0) {
    $res = $root->ua->request('POST', "${KotTest::Admin::PREFIX}tenants", {
        headers => { 'Content-Type' => 'application/json',
                     'X-Kot-CSRF' => $root->csrf,
                     $chunked ? ('Transfer-Encoding' => 'chunked') : () },
        content => $chunked
                   ? sprintf("%x\r\n%s\r\n0\r\n\r\n", length $huge, $huge)
                   : $huge });
    my $what = $chunked ? 'chunked' : 'with its Content-Length';
    $res->{json} = eval { $A->decode($res->{content}) };
    $A->is_error($res, 413, 'body_too_large',
                 "a body over client_max_body_size, $what: the API's 413");
    is $res->{headers}{'content-type'}, 'application/json',
        '  in JSON, not nginx\'s page';
}

$A->is_error($root->call(POST => 'tenants', undef,
                         { raw => '{"name":"delta"}', type => 'text/plain' }),
             415, 'unsupported_media_type',
             'a body that is not application/json: 415');
$A->is_error($root->call(POST => 'tenants', undef,
                         { raw => '{"name":"delta"}',
                           type => 'application/x-www-form-urlencoded' }),
             415, 'unsupported_media_type', 'not a form either');

$res = $root->call(POST => 'tenants', undef, { raw => '{"name":' });
$A->is_error($res, 400, 'invalid_json', 'truncated JSON: 400 invalid_json');
like $res->{json}{detail}, qr/line 1, column/, 'the detail says where';
$A->is_error($root->call(POST => 'tenants', undef,
                         { raw => '["name","delta"]' }),
             400, 'invalid_json', 'an array is no object');
$A->is_error($root->call(POST => 'tenants', undef,
                         { raw => '{"name":"delta","name":"epsilon"}' }),
             400, 'invalid_json', 'a member twice is refused');
$A->is_error($root->call(POST => 'tenants', undef, { raw => '' }), 400,
             'missing_field', 'no body where one is needed');
$A->is_error($root->call(POST => 'tenants', undef, { raw => "\xff\xfe" }),
             400, 'invalid_json', 'bytes that are not UTF-8');

$res = $root->call(POST => 'tenants', { name => 'delta', owner => 'x' });
$A->is_error($res, 400, 'unknown_field', 'an unknown field: 400');
like $res->{json}{detail}, qr/unknown field "owner"/, 'named';
$res = $root->call(POST => 'tenants', { name => ['delta'] });
$A->is_error($res, 400, 'wrong_type', 'a wrong type: 400');
like $res->{json}{detail}, qr/"name" must be a string/, 'named, with the type';
$res = $alice->call(POST => 'tenants/acme/users',
                    { username => 'eve', roles => ['user', 7] });
like $res->{json}{detail}, qr/"roles" must be an array of strings/,
    'an array with one bad element';
$res = $alice->call(POST => 'tenants/acme/support', { hours => '2' });
like $res->{json}{detail}, qr/"hours" must be an integer/,
    'a number in a string is no number';
$res = $alice->call(PATCH => 'tenants/acme/users/bob',
                    { disabled => 'yes' });
like $res->{json}{detail}, qr/"disabled" must be true or false/,
    'nor "yes" a boolean';
$res = $alice->call(POST => 'tenants/acme/users', { roles => ['user'] });
$A->is_error($res, 400, 'missing_field', 'a required field missing: 400');
like $res->{json}{detail}, qr/"username" is required/, 'named';
$A->is_error($alice->call(POST => 'tenants/acme/users/bob/unlock',
                          { force => JSON::PP::true }),
             400, 'unknown_field', 'an action without fields takes none');
is $A->dump_keys($t), $before, 'none of the refused bodies changed Redis';


# the records

# calls an admin may not make are recorded, and the tenant they named
# sees them in its events list: a tenant admin's reach for the operator's
# calls, a system admin's into a tenant that granted no support access
$A->is_error($alice->call(POST => 'tenants', { name => 'omega' }), 403,
             'forbidden', 'a tenant admin may not create a tenant');
$A->is_error($alice->call(DELETE => 'tenants/acme'), 403, 'forbidden',
             'nor delete its own');
$A->is_error($root->call(GET => 'tenants/acme/users'), 403,
             'support_grant_required', 'a system admin without a grant');
$A->is_error($root->call(POST => 'tenants/acme/support', { hours => 1 }),
             403, 'forbidden', 'which it cannot grant itself');
my @refusals;
wait_until(sub {
    @refusals = grep { $_->{'event.action'} eq 'admin_api'
                       && ($_->{'event.reason'} // '') ne 'csrf' }
                @{ $alice->call(GET => 'tenants/acme/events')->{json}{events} };
    return @refusals >= 4;
}, what => 'the refusals in acme\'s events');
is_deeply [ map { join ' ', map { $_ // '-' }
                  @$_{qw(event.outcome event.reason user.name
                         organization.id kot.target.tenant
                         http.request.method http.response.status_code)} }
            reverse @refusals ],
    [ 'failure forbidden alice acme - POST 403',
      'failure forbidden alice acme acme DELETE 403',
      'failure support_grant_required root ops acme GET 403',
      'failure forbidden root ops acme POST 403' ],
    'each refusal is an admin_api failure with its reason, in the events '
    . 'of the tenant it named';

my @recs;
wait_until(sub {
    @recs = $t->audit_records($log);
    return grep { ($_->{'event.reason'} // '') eq 'csrf' } @recs;
}, what => 'the CSRF refusals in the audit log');
my @csrf = grep { ($_->{'event.reason'} // '') eq 'csrf' } @recs;
is scalar @csrf, 7, 'each CSRF refusal is recorded';
is $csrf[0]{'event.action'}, 'admin_api', 'as an admin_api failure';
my @denied = grep { $_->{'event.action'} eq 'role_denied'
                    && ($_->{'user.name'} // '') eq 'bob' } @recs;
# six above, and the GET session of KotTest::Admin->login
is scalar @denied, 7, 'and each call of a user without the role';
is_deeply $denied[0]{'kot.required_roles'}, ['admin'], 'which it lacks';
my ($added) = grep { $_->{'event.action'} eq 'tenant_added' } @recs;
is $added->{'kot.via'}, 'api', 'a change is recorded as made by the API';
my @calls = grep { $_->{'event.action'} eq 'request'
                   && $_->{'url.path'} =~ m{/tenants/acme/users$} } @recs;
ok scalar(@calls), 'every call of a session is a request record';
is $calls[0]{'user.name'}, 'bob', 'with who made it';
is $calls[0]{'http.response.status_code'}, 403, 'and what it got';


# Redis down

$t->stop_redis;
$A->is_error($root->call(GET => 'session'), 503,
             'session_store_unavailable', 'Redis down: 503');
$A->is_error($root->call(POST => 'tenants', { name => 'zeta' }), 503,
             'session_store_unavailable', 'for changes too');
$t->start_redis;


# configuration

my ($rc, $out) = $t->nginx_check(KotTest->site(server => <<'EOF'));
        location = /api {
            kot_admin;
        }
EOF
isnt $rc, 0, 'kot_admin in an exact location fails nginx -t';
my $must = '"kot_admin" must be in a prefix location that ends with "\/"';
my $eg = 'e\.g\. "location \/kot\/admin\/api\/ \{ kot_admin; \}"';
like $out, qr/$must, $eg/,
    'and says where it belongs';

($rc, $out) = $t->nginx_check(KotTest->site(server => <<'EOF'));
        location /api/ {
            kot_admin;
            kot_portal;
        }
EOF
isnt $rc, 0, 'kot_admin and kot_portal in one location fail nginx -t';
like $out, qr/"kot_portal" directive needs a location of its own/,
    'and say so';

($rc, $out) = $t->nginx_check(KotTest::Admin->site(operator => 'Ops:1'));
isnt $rc, 0, 'a kot_admin_operator that is no tenant name fails nginx -t';
like $out, qr/kot_admin_operator "Ops:1" is not a tenant name: use 1 to 63/,
    'and says what a name is';

($rc, $out) = $t->nginx_check(KotTest::Admin->site(operator => undef));
is $rc, 0, 'an API without kot_admin_operator has tenant admins only'
    or diag $out;

($rc, $out) = $t->nginx_check(<<'EOF');
    server {
        listen 127.0.0.1:%%PORT%%;
        location /kot/admin/api/ {
            kot_admin;
        }
    }
EOF
isnt $rc, 0, 'kot_admin without a session store fails nginx -t';
like $out, qr/need a session store/, 'as "kot on" does';

done_testing;
