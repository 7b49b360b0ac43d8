# Two-step login and the admin plugin together: a session that must
# first set up MFA (the tenant requires it) opens nothing of the admin
# API either; an admin sees who has MFA and resets it; deleting a user
# or a tenant removes its second factor with the rest.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use KotTest::Admin;
use Test::More;
use JSON::PP ();

my $t = KotTest->new;
my $n = $t->nginx(KotTest::Admin->site);

my $PW = 'correct horse battery';
$t->add_user('ops', 'root', $PW, roles => ['admin']);
$t->add_user('acme', 'alice', $PW, roles => ['admin']);
$t->add_user('acme', 'bob', $PW, roles => ['user']);
$t->add_user('beta', 'carol', $PW, roles => ['admin']);

my $r = $t->kotctl('tenant', 'policy', 'acme', 'mfa=required');
is $r->{exit}, 0, 'acme requires two-step login' or diag $r->{err};

# alice has no MFA yet: her session only leads to setting it up
my $alice = KotTest::Admin->login($n, 'acme', 'alice', $PW);
my $res = $alice->call(GET => 'session');
is $res->{status}, 401, 'the admin API refuses a session that must set up MFA';
is $res->{json}{error}, 'mfa_enrolment_required', 'and says why';
$res = $alice->call(GET => 'tenants/acme/users');
is $res->{status}, 401, 'for every call';
$res = $alice->call(POST => 'tenants/acme/users',
                    { username => 'mallory', roles => ['admin'] });
is $res->{status}, 401, 'a change too';
ok !$t->redis('EXISTS', 'kot:v1:u:acme:mallory'), 'and nothing changes';


# as mfa_enrol leaves them (the values do not matter to a deletion)
sub enrolled ($tenant, $user) {
    $t->redis('HSET', "kot:v1:mfa:$tenant:$user", 'seed', 'sealed',
              'enrolled', 1, 'step', 0);
    $t->redis('SADD', "kot:v1:mrc:$tenant:$user", 'code-hash');
}

# an admin sees who has MFA, and resets it for a lost phone

$t->add_user('beta', 'dave', $PW, roles => ['user']);
$t->add_user('beta', 'erin', $PW, roles => ['user']);
enrolled('beta', 'dave');
my $carol = KotTest::Admin->login($n, 'beta', 'carol', $PW);
my $dave = $n->ua;
$dave->login(tenant => 'beta', username => 'erin', password => $PW);

$res = $carol->call(GET => 'tenants/beta/users');
my %mfa = map { $_->{username} => $_->{mfa} } @{ $res->{json}{users} };
ok $mfa{dave} && !$mfa{erin}, 'the user listing says who has MFA';
ok $carol->call(GET => 'tenants/beta/users/dave')->{json}{mfa},
    'and so does a user\'s page';
my $list = JSON::PP::decode_json(
    $t->kotctl('--json', 'user', 'list', 'beta')->{out});
ok +(grep { $_->{username} eq 'dave' && $_->{mfa} } @{ $list->{users} }),
    'as kotctl user list --json does';

$res = $carol->call(DELETE => 'tenants/beta/users/dave/mfa');
is $res->{status}, 204, 'a tenant admin resets a user\'s MFA';
ok !$t->redis('EXISTS', 'kot:v1:mfa:beta:dave', 'kot:v1:mrc:beta:dave'),
    'its seed and recovery codes are gone';
# the tenant's events are written after the answer
my $ev;
wait_until(sub {
    ($ev) = grep { /"mfa_reset"/ }
            @{ $t->redis('LRANGE', 'kot:v1:ev:beta', 0, -1) };
}, what => 'the reset among the tenant\'s events');
like $ev, qr/"kot.via":"api"/, 'and the tenant\'s events say so';
is $carol->call(DELETE => 'tenants/beta/users/dave/mfa')->{json}{error},
    'no_mfa', 'a user without MFA has none to reset';
is $carol->call(DELETE => 'tenants/beta/users/nobody/mfa')->{status}, 404,
    'an unknown user is not found';
is $carol->call(DELETE => 'tenants/acme/users/alice/mfa')->{status}, 404,
    'nor is another tenant\'s';

# but not one's own: a reset asks nothing of the admin, so a stolen
# session could take the account's second factor; the portal's MFA page
# asks for the current password.  The name as the path gives it.
enrolled('beta', 'carol');
my $kept = KotTest::Admin->dump_keys($t, events => 0);
for my $name (qw(carol CAROL)) {
    $res = $carol->call(DELETE => "tenants/beta/users/$name/mfa");
    KotTest::Admin->is_error($res, 403, 'own_credentials',
                             "an admin resets its own MFA ($name): 403 "
                             . 'own_credentials');
}
like $res->{json}{detail}, qr{\Qportal's MFA page\E},
    '  and is told to use the portal\'s MFA page';
is KotTest::Admin->dump_keys($t, events => 0), $kept,
    '  which changes nothing';
is $carol->call(GET => 'session')->{status}, 200, '  and the session goes on';
my @own;
wait_until(sub {
    @own = grep { /"own_credentials"/ }
           @{ $t->redis('LRANGE', 'kot:v1:ev:beta', 0, -1) };
    return @own >= 2;
}, what => 'the refusals among the tenant\'s events');
ok @own == 2 && !grep({ !/"mfa_reset"/ || !/"failure"/ } @own),
    '  each recorded as a refused MFA reset' or diag "@own";
$t->redis('DEL', 'kot:v1:mfa:beta:carol', 'kot:v1:mrc:beta:carol');
KotTest::Admin->is_error($carol->call(DELETE => 'tenants/beta/users/carol/mfa'),
                         403, 'own_credentials',
                         'also without MFA to reset');


# where the tenant requires MFA, a user may not turn it off, but an
# administrator may reset it (kotctl, as the API, runs mfa_reset, which
# does not ask the policy): the user sets it up again at the next login
enrolled('acme', 'bob');
$r = $t->kotctl('user', 'mfa-reset', 'acme', 'bob');
is $r->{exit}, 0, 'an administrator resets MFA where the tenant requires it'
    or diag $r->{err};
ok !$t->redis('EXISTS', 'kot:v1:mfa:acme:bob'), 'it is gone';
like $n->ua->login(tenant => 'acme', username => 'bob',
                  password => $PW)->{headers}{location},
    qr{^/kot/mfa\?}, 'and bob\'s next login sends him to set it up';


# a second factor goes with its user, and with its tenant

my $root = KotTest::Admin->login($n, 'ops', 'root', $PW);


enrolled('acme', 'bob');
$r = $t->kotctl('user', 'delete', 'acme', 'bob', '--yes');
is $r->{exit}, 0, 'a user with MFA is deleted' or diag $r->{err};
ok !$t->redis('EXISTS', 'kot:v1:mfa:acme:bob', 'kot:v1:mrc:acme:bob'),
    'and its seed and recovery codes are gone';

enrolled('beta', 'carol');
$t->kotctl('support', 'grant', 'beta', '--hours', '1');
$res = $root->call(DELETE => 'tenants/beta');
is $res->{status}, 204, 'a tenant is deleted through the API';
my @left = grep { /:beta(:|$)/ && !/^kot:v1:retired:/ }
           @{ $t->redis('KEYS', 'kot:v1:*') };
is "@left", '', 'and no key of it is left, its users\' second factors '
    . 'included';

done_testing;
