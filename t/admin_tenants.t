# The admin API's tenants: a system admin lists, creates and deletes
# them; a tenant admin sees its own.  A deleted tenant leaves nothing in
# Redis but its retired name, its sessions end at once on every node,
# and the name is never issued again, through the API or kotctl.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use KotTest::Admin;
use Test::More;
use JSON::PP ();

my $t = KotTest->new;
my (undef, $pub) = $t->auditor_keys;
my $site = KotTest::Admin->site(
    http => "kot_audit_log %%DIR%%/audit.log buffer=4k flush=100ms;\n"
          . "    kot_audit_auditor_key $pub;");
my $n = $t->nginx($site);
my $b = $t->nginx($site, name => 'b');

my $PW = 'correct horse battery';
my $A = 'KotTest::Admin';
my $rfc3339 = qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

$t->add_user('ops', 'root', $PW, roles => ['admin']);
$t->add_user('acme', 'alice', $PW, roles => ['admin']);
$t->add_user('acme', 'bob', $PW, roles => ['user']);

my $root = $A->login($n, 'ops', 'root', $PW);
my $alice = $A->login($n, 'acme', 'alice', $PW);


# listing

my $res = $root->call(GET => 'tenants');
is $res->{status}, 200, 'a system admin lists the tenants';
is_deeply [ map { $_->{name} } @{ $res->{json}{tenants} } ], ['acme', 'ops'],
    'all of them, by name';
my ($acme) = grep { $_->{name} eq 'acme' } @{ $res->{json}{tenants} };
is $acme->{users}, 2, 'with the number of their users';
like $acme->{created}, $rfc3339, 'and when each was created, in RFC 3339';

$res = $alice->call(GET => 'tenants');
is_deeply [ map { $_->{name} } @{ $res->{json}{tenants} } ], ['acme'],
    'a tenant admin sees its own tenant only';


# creating

$res = $root->call(POST => 'tenants', { name => 'Globex' });
is $res->{status}, 201, 'a system admin creates a tenant: 201';
is $res->{json}{name}, 'globex', 'its name as names are: in lower case';
like $res->{json}{created}, $rfc3339, 'with its creation time';
is $t->redis('SISMEMBER', 'kot:v1:tenants', 'globex'), 1, 'it exists';

$A->is_error($root->call(POST => 'tenants', { name => 'globex' }), 409,
             'exists', 'the same name again: 409 exists');
$A->is_error($alice->call(POST => 'tenants', { name => 'initech' }), 403,
             'forbidden', 'a tenant admin may not create tenants');
is $t->redis('EXISTS', 'kot:v1:t:initech'), 0, 'and did not';
$res = $root->call(POST => 'tenants', { name => 'a:b' });
$A->is_error($res, 422, 'invalid_name', 'a name that is no name: 422');
like $res->{json}{detail}, qr/a tenant name is 1 to 63 of a-z/,
    'which says what a name is';

is $t->kotctl('user', 'add', 'globex', 'gina', '--role', 'admin',
              '--password-stdin', '--no-force-change',
              { stdin => "$PW\n" })->{exit}, 0,
    'the new tenant gets an admin (kotctl)';


# creating with the first admin

$res = $root->call(POST => 'tenants', { name => 'initech', admin => 'Peter' });
is $res->{status}, 201, 'a tenant with its first admin: 201';
is $res->{json}{users}, 1, 'it has one user';
is $res->{json}{admin}{username}, 'peter', 'the admin';
my $peter_pw = $res->{json}{admin}{temporary_password};
ok length($peter_pw) >= 20, 'with a temporary password';
is $t->redis('HGET', 'kot:v1:u:initech:peter', 'roles'), 'admin',
    'who is an admin';
$res = $n->ua->login(tenant => 'initech', username => 'peter',
                     password => $peter_pw);
like $res->{headers}{location}, qr{/kot/password},
    'and logs in, to change the password first';
$A->is_error($root->call(GET => 'tenants/initech/users'), 403,
             'support_grant_required',
             'the system admin who made it sees nothing inside it');
$res = $root->call(POST => 'tenants', { name => 'hooli', admin => 'a:b' });
$A->is_error($res, 422, 'invalid_name', 'an admin name that is no name: 422');
like $res->{json}{detail}, qr/a username is/, 'which says what a name is';
is $t->redis('EXISTS', 'kot:v1:t:hooli'), 0, 'and no tenant was made';
$A->is_error($root->call(POST => 'tenants', { name => 'initech',
                                              admin => 'michael' }),
             409, 'exists', 'an existing tenant gets no new admin: 409');
is $t->redis('EXISTS', 'kot:v1:u:initech:michael'), 0, 'none';
$t->kotctl('allowlist', 'globex', 'access', 'set', '127.0.0.0/8');
$t->kotctl('tenant', 'policy', 'globex', 'min_length=14');


# deleting

my $gina = $A->login($n, 'globex', 'gina', $PW);
my $gina_b = $b->ua;
$gina_b->set_cookie($_->[0], $_->[1]) for @{ $gina->ua->{jar} };
is $gina_b->get('/app')->{status}, 200,
    'its admin\'s session works on another node too';
is $n->ua->login(tenant => 'globex', username => 'nosuchuser',
                password => $PW)->{status}, 401,
    'a login as a user globex does not have fails';

$A->is_error($gina->call(DELETE => 'tenants/globex'), 403, 'forbidden',
             'a tenant admin may not delete its tenant');
$A->is_error($gina->call(DELETE => 'tenants/acme'), 404, 'not_found',
             'another tenant is as missing as one that does not exist');
$A->is_error($root->call(DELETE => 'tenants/ops'), 409,
             'cannot_delete_own_tenant',
             'the system admins\' own tenant cannot be deleted');
$A->is_error($root->call(DELETE => 'tenants/nosuch'), 404, 'not_found',
             'a tenant that does not exist: 404');

ok scalar(grep { /globex/ } @{ $t->redis('KEYS', 'kot:v1:*') }) >= 8,
    'the tenant has keys of every kind';

$res = $root->call(DELETE => 'tenants/globex');
is $res->{status}, 204, 'a system admin deletes a tenant: 204';
is $res->{content}, '', 'with no body';
ok wait_until(sub { $gina_b->get('/app')->{status} == 401 }, timeout => 1,
              what => 'the session to end on the other node'),
    'its sessions end at once, on every node';
$A->is_error($gina->call(GET => 'session'), 401, 'login_required',
             'its admin is out of the API');
is_deeply [ grep { /globex/ } @{ $t->redis('KEYS', 'kot:v1:*') } ], [],
    'no key of it is left';
is $t->redis('SISMEMBER', 'kot:v1:retired:tenants', 'globex'), 1,
    'but its name, retired';
is $t->redis('SISMEMBER', 'kot:v1:tenants', 'globex'), 0,
    'and no longer among the tenants';
isnt $n->ua->login(tenant => 'globex', username => 'gina',
                   password => $PW)->{status}, 303, 'nobody logs in to it';

$res = $root->call(GET => 'tenants');
is_deeply [ map { $_->{name} } @{ $res->{json}{tenants} } ],
    ['acme', 'initech', 'ops'], 'it is no longer listed';
$A->is_error($root->call(DELETE => 'tenants/globex'), 404, 'not_found',
             'deleting it again: 404');


# retired names

$res = $root->call(POST => 'tenants', { name => 'globex' });
$A->is_error($res, 409, 'tenant_retired',
             'a deleted tenant\'s name cannot be created again: 409');
like $res->{json}{detail}, qr/never issued again/, 'and the detail says why';
my $r = $t->kotctl('tenant', 'add', 'globex');
isnt $r->{exit}, 0, 'kotctl refuses it too';
like $r->{err}, qr/retired/, 'saying that it is retired';
is $t->redis('EXISTS', 'kot:v1:t:globex'), 0, 'and neither created it';


# the records

my $log = $t->dir . '/a/audit.log';
my @recs;
wait_until(sub {
    @recs = grep { ($_->{'kot.via'} // '') eq 'api' } $t->audit_records($log);
    return grep { $_->{'event.action'} eq 'tenant_deleted' } @recs;
}, what => 'the deletion in the audit log');

my ($added) = grep { $_->{'event.action'} eq 'tenant_added'
                     && $_->{'event.outcome'} eq 'success' } @recs;
is $added->{'user.name'}, 'root', 'a creation names who made it';
is $added->{'organization.id'}, 'ops', 'of which tenant';
is $added->{'kot.target.tenant'}, 'globex', 'and the tenant made';
is_deeply $added->{'kot.change'},
    { before => undef, after => { name => 'globex' } }, 'with the change';

my ($deleted) = grep { $_->{'event.action'} eq 'tenant_deleted' } @recs;
is $deleted->{'kot.target.tenant'}, 'globex', 'a deletion names the tenant';
is_deeply $deleted->{'kot.change'},
    { before => { users => 1 }, after => undef, sessions_ended => 1,
      notifications_dropped => 0, dead_letters_dropped => 0,
      retired => JSON::PP::true },
    'what went, and that the name is retired';
is $deleted->{'kot.support'}, JSON::PP::false,
    'a deletion is no support access';

my @refused = grep { $_->{'event.outcome'} eq 'failure'
                     && $_->{'event.action'} eq 'tenant_added' } @recs;
is_deeply [ sort map { $_->{'event.reason'} } @refused ],
    ['exists', 'exists', 'retired'],
    'refused creations are recorded, with the reason';

my $events = $root->call(GET => 'tenants/ops/events')->{json}{events};
ok scalar(grep { $_->{'event.action'} eq 'tenant_deleted' } @$events),
    'the operator\'s events list has the deletion';

done_testing;
