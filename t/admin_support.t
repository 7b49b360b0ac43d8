# Tenant isolation and support access in the admin API.  A tenant admin
# of one tenant, probing another's every path, gets exactly the answer
# for a tenant that does not exist.  The operator's system admins see
# nothing inside a tenant until its admin grants support access: then
# every call is recorded as support, in the audit log and in the
# tenant's own events list; but no call that hands it a credential of
# the tenant (a new account, a password set) is let through, so that
# nothing of the access outlives the grant; a revoked or expired grant
# ends it.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use KotTest::Admin;
use Test::More;
use JSON::PP ();
use Time::Local ();

my $t = KotTest->new;
my (undef, $pub) = $t->auditor_keys;
my $n = $t->nginx(KotTest::Admin->site(
    http => "kot_audit_log %%DIR%%/audit.log buffer=4k flush=100ms;\n"
          . "    kot_audit_auditor_key $pub;"));

my $PW = 'correct horse battery';
my $A = 'KotTest::Admin';
my $T = JSON::PP::true;

$t->add_user('ops', 'root', $PW, roles => ['admin']);
$t->add_user('acme', 'alice', $PW, roles => ['admin']);
$t->add_user('acme', 'bob', $PW, roles => ['user']);
$t->add_user('globex', 'gina', $PW, roles => ['admin']);
$t->add_user('globex', 'bob', $PW, roles => ['user']);

my $root = $A->login($n, 'ops', 'root', $PW);
my $alice = $A->login($n, 'acme', 'alice', $PW);
my $gina = $A->login($n, 'globex', 'gina', $PW);

my $bob_acme = $n->ua;
$bob_acme->login(tenant => 'acme', username => 'bob', password => $PW);
my ($acme_handle) = $bob_acme->get('/app')->{content}
                    =~ /session=\[([^\]]+)\]/;


# isolation: another tenant is a tenant that does not exist

my @probes = (
    [GET => 'tenants/%s'],
    [DELETE => 'tenants/%s'],
    [GET => 'tenants/%s/users'],
    [POST => 'tenants/%s/users', { username => 'eve', roles => ['admin'] }],
    [POST => 'tenants/%s/users', { username => 'eve', bogus => 1 }],
    [GET => 'tenants/%s/users/bob'],
    [GET => 'tenants/%s/users/nobody'],
    [PATCH => 'tenants/%s/users/bob', { disabled => $T }],
    [PATCH => 'tenants/%s/users/bob', { disabled => 'no' }],
    [DELETE => 'tenants/%s/users/bob'],
    [POST => 'tenants/%s/users/bob/unlock'],
    [POST => 'tenants/%s/users/bob/password'],
    [DELETE => 'tenants/%s/users/bob/sessions'],
    [GET => 'tenants/%s/sessions'],
    [GET => 'tenants/%s/sessions?user=bob'],
    [DELETE => "tenants/%s/sessions/$acme_handle"],
    [GET => 'tenants/%s/allowlists/access'],
    [GET => 'tenants/%s/allowlists/admin'],
    [PUT => 'tenants/%s/allowlists/access', { networks => ['10.0.0.0/8'] }],
    [PUT => 'tenants/%s/allowlists/admin', { networks => ['nonsense'] }],
    [GET => 'tenants/%s/policy'],
    [PUT => 'tenants/%s/policy', { min_length => 20 }],
    [GET => 'tenants/%s/events'],
    [GET => 'tenants/%s/events?limit=0'],
    [GET => 'tenants/%s/support'],
    [POST => 'tenants/%s/support', { hours => 72 }],
    [DELETE => 'tenants/%s/support'],
    [GET => 'tenants/%s/users/bob/unknown'],
);

sub answer ($res) {
    my $h = $res->{headers};
    return join "\n", $res->{status}, map({ "$_: " . ($h->{$_} // '') }
        qw(content-type content-length cache-control set-cookie)),
        $res->{content};
}

my $before = $A->dump_keys($t);

for my $p (@probes) {
    my ($method, $path, $body) = @$p;
    my $other = $gina->call($method, sprintf($path, 'acme'), $body);
    my $none = $gina->call($method, sprintf($path, 'nosuch'), $body);
    is answer($other), answer($none),
        "$method " . sprintf($path, 'T') . ": another tenant's answer is "
        . "a missing tenant's";
    ok $other->{status} == 404 || $path =~ /unknown$/,
        '(404)' or diag $other->{content};
}

is $A->dump_keys($t), $before, 'and none of the probes changed anything';
is $bob_acme->get('/app')->{status}, 200, 'acme\'s user is still there';


# a system admin: the tenant's own grant

my @inside = (
    [GET => 'tenants/acme/users'],
    [GET => 'tenants/acme/users/bob'],
    [POST => 'tenants/acme/users', { username => 'eve', roles => ['admin'] }],
    [PATCH => 'tenants/acme/users/bob', { disabled => $T }],
    [DELETE => 'tenants/acme/users/bob'],
    [POST => 'tenants/acme/users/bob/password'],
    [GET => 'tenants/acme/sessions'],
    [DELETE => "tenants/acme/sessions/$acme_handle"],
    [GET => 'tenants/acme/allowlists/access'],
    [GET => 'tenants/acme/policy'],
    [PUT => 'tenants/acme/policy', { min_length => 20 }],
    [GET => 'tenants/acme/events'],
);

$before = $A->dump_keys($t, events => 0);

for my $p (@inside) {
    $A->is_error($root->call(@$p), 403, 'support_grant_required',
                 "without a grant a system admin gets 403 on $p->[0] "
                 . "$p->[1]");
}
is $A->dump_keys($t, events => 0), $before, 'and changes nothing';

my $res = $root->call(GET => 'tenants/acme/support');
is_deeply $res->{json}, { granted => JSON::PP::false, expires => undef },
    'it may see that there is no grant';
$A->is_error($root->call(GET => 'tenants/nosuch/users'), 404, 'not_found',
             'a tenant that does not exist is 404 to it');
is $root->call(GET => 'tenants/ops/users')->{status}, 200,
    'in its own tenant it needs no grant';
$A->is_error($root->call(POST => 'tenants/acme/support', { hours => 2 }),
             403, 'forbidden', 'it cannot grant itself access');

$A->is_error($alice->call(POST => 'tenants/acme/support', { hours => 0 }),
             422, 'invalid_hours', 'a grant of 0 hours: 422');
$A->is_error($alice->call(POST => 'tenants/acme/support', { hours => 73 }),
             422, 'invalid_hours', 'of 73: 422');

$res = $alice->call(POST => 'tenants/acme/support', { hours => 2 });
is $res->{status}, 201, 'the tenant\'s admin grants 2 hours: 201';
my ($y, $mo, $d, $h, $mi, $s) =
    $res->{json}{expires} =~ /^(\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+)Z$/;
my $expires = Time::Local::timegm($s, $mi, $h, $d, $mo - 1, $y);
ok abs($expires - time - 7200) < 60, 'which end in 2 hours';
$res = $alice->call(GET => 'tenants/acme/support');
is_deeply [ @{ $res->{json} }{qw(granted by)} ], [ $T, 'alice' ],
    'GET support says who granted it';
is $root->call(GET => 'tenants/acme/support')->{json}{expires},
    $res->{json}{expires}, 'and until when, to the system admin too';

is $root->call(GET => 'tenants/acme/users')->{status}, 200,
    'with the grant, a system admin reads the tenant\'s users';
$res = $root->call(PATCH => 'tenants/acme/users/bob',
                   { roles => ['user', 'sales'] });
is $res->{status}, 200, 'and changes them';


# but it gets no login of the tenant: no new account, no password set

my $quiet = $A->dump_keys($t, events => 0);
for my $p ([POST => 'tenants/acme/users',
            { username => 'sam', roles => ['user'] }],
           [POST => 'tenants/acme/users',
            { username => 'sam', roles => ['admin'],
              password => 'a password of its own 2026' }],
           [POST => 'tenants/acme/users/bob/password'],
           [POST => 'tenants/acme/users/alice/password']) {
    $res = $root->call(@$p);
    $A->is_error($res, 403, 'support_not_permitted',
                 "under the grant, $p->[0] $p->[1] is refused: 403");
    is $res->{json}{detail}, 'Support access cannot create accounts or set '
        . 'passwords; ask the tenant\'s administrator.',
        '  with a detail a person understands';
    unlike $res->{content}, qr/temporary_password/, '  and no password';
}
is $A->dump_keys($t, events => 0), $quiet, 'and none of them changed '
    . 'anything';
ok $n->ua->login(tenant => 'acme', username => 'bob',
                 password => $PW)->{status} == 303,
    'bob\'s password is still his own';
$res = $alice->call(POST => 'tenants/acme/users/bob/password');
is $res->{status}, 200, 'the tenant\'s own admin still resets it';
$t->kotctl('user', 'passwd', 'acme', 'bob', '--password-stdin',
           '--no-force-change', { stdin => "$PW\n" });
$A->is_error($gina->call(GET => 'tenants/acme/users'), 404, 'not_found',
             'the grant lets no other tenant in');
$A->is_error($root->call(DELETE => 'tenants/acme/support'), 403, 'forbidden',
             'a system admin cannot end the grant');


# every call under the grant is recorded as support

my $log = $t->dir . '/a/audit.log';
my @recs;
wait_until(sub {
    @recs = grep { $_->{'kot.support'} } $t->audit_records($log);
    return grep({ ($_->{'event.reason'} // '') eq 'support_not_permitted' }
                @recs) >= 4;
}, what => 'the support records');

my ($read) = grep { $_->{'event.action'} eq 'support_access' } @recs;
is $read->{'user.name'}, 'root', 'a read under the grant is recorded';
is $read->{'organization.id'}, 'ops', 'by whom, of which tenant';
is $read->{'kot.target.tenant'}, 'acme', 'in which tenant';
is $read->{'url.path'}, "${KotTest::Admin::PREFIX}tenants/acme/users",
    'what it read';
is $read->{'http.response.status_code'}, 200, 'and what it got';
my ($changed) = grep { $_->{'event.action'} eq 'user_roles_changed' } @recs;
is $changed->{'kot.support'}, $T, 'a change under the grant is support';
is $changed->{'user.name'}, 'root', 'made by the system admin';
is $changed->{'user.target.name'}, 'bob', 'to the user';
ok !grep({ $_->{'event.action'} eq 'support_access'
           && $_->{'url.path'} =~ /users\/bob$/
           && $_->{'http.request.method'} eq 'PATCH' } @recs),
    'which is one record, not two';

my @refused = grep { ($_->{'event.reason'} // '') eq 'support_not_permitted' }
              @recs;
is_deeply [ map { join ' ', @$_{qw(event.action event.outcome)},
                  $_->{'user.target.name'} // '-' } @refused ],
    [ 'user_added failure -', 'user_added failure -',
      'user_password_set failure bob', 'user_password_set failure alice' ],
    'each refusal is recorded, as a failure of the action refused';
ok !grep({ $_->{'kot.support'} ne $T || $_->{'user.name'} ne 'root'
           || $_->{'kot.target.tenant'} ne 'acme' || $_->{'kot.change'} }
         @refused), 'as support by the system admin, with no change';
ok !grep({ $_->{'event.action'} eq 'support_access'
           && $_->{'http.request.method'} eq 'POST' } @recs),
    'and only once';

my $events = $alice->call(GET => 'tenants/acme/events')->{json}{events};
ok scalar(grep { $_->{'kot.support'} && $_->{'user.name'} eq 'root' }
          @$events) >= 2,
    'the tenant sees the support calls in its own events list';
my $ops_events = $root->call(GET => 'tenants/ops/events')->{json}{events};
ok scalar(grep { ($_->{'kot.target.tenant'} // '') eq 'acme' } @$ops_events),
    'and so does the operator\'s tenant';


# a URI under the grant cannot forge a line of nginx's error log

$root->call(GET => 'tenants/acme/users/x%0A2099-01-01%2000:00:00%20'
                   . '[alert]%201%231:%20FORGED');
ok wait_until(sub { $n->error_log =~ /FORGED/ },
              what => 'the support access in the error log'),
    'a support access with a newline in its URI is logged';
ok !grep({ /^2099-/ } split /\n/, $n->error_log),
    'as one line: the newline is escaped, no line is forged';
like $n->error_log, qr{users/x\\x0A2099}, 'it shows as \\x0A';


# revoked, and expired

$res = $alice->call(DELETE => 'tenants/acme/support');
is $res->{status}, 204, 'the tenant\'s admin revokes the grant: 204';
$A->is_error($root->call(GET => 'tenants/acme/users'), 403,
             'support_grant_required', 'and the system admin is out again');
is $alice->call(DELETE => 'tenants/acme/support')->{status}, 204,
    'revoking no grant is no error';

is $alice->call(POST => 'tenants/acme/support', { hours => 1 })->{status},
    201, 'a new grant';
is $root->call(GET => 'tenants/acme/users')->{status}, 200, 'lets it in';
$t->redis('PEXPIRE', 'kot:v1:grant:acme', 1);
ok wait_until(sub { $root->call(GET => 'tenants/acme/users')->{status}
                    == 403 }, what => 'the grant to expire'),
    'until it expires';
is_deeply $alice->call(GET => 'tenants/acme/support')->{json},
    { granted => JSON::PP::false, expires => undef },
    'then there is no grant';

my @changes = grep { $_->{'event.action'} =~ /^support_/
                     && $_->{'kot.change'} }
              @{ $alice->call(GET => 'tenants/acme/events')->{json}{events} };
is_deeply [ map { $_->{'event.action'} } @changes ],
    [qw(support_granted support_revoked support_granted)],
    'grants and revocations are recorded';
is $changes[2]{'kot.change'}{after}{hours}, 2, 'with their hours';

done_testing;
