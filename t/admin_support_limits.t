# What support access may not do: take a tenant's administration from
# the tenant.  Under a grant, a system admin cannot change the tenant's
# allow-lists (they decide from where its admins reach the API, and so
# whether they can revoke the grant), nor disable, demote or delete one
# of its admins, nor reset an admin's two-step login: the tenant's
# admins keep the tenant, and the grant stays theirs to revoke.  Nor can
# it send the tenant's notifications elsewhere, where they would go on
# after the grant.  Each refusal changes nothing, is recorded, and the
# tenant's own admins still do all of it.

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
my $A = 'KotTest::Admin';
my $T = JSON::PP::true;
my $F = JSON::PP::false;

$t->add_user('ops', 'root', $PW, roles => ['admin']);
$t->add_user('acme', 'alice', $PW, roles => ['admin']);
$t->add_user('acme', 'carol', $PW, roles => ['admin', 'sales']);
$t->add_user('acme', 'bob', $PW, roles => ['user']);

my $root = $A->login($n, 'ops', 'root', $PW);
my $alice = $A->login($n, 'acme', 'alice', $PW);

# a webhook whose URL is a secret, as Slack's and Teams' are
my $HOOK = 'https://kot:pa55@Hooks.Chat.example:8443/services/T01/B02/'
         . 'xoxSECRET?token=t0ken#frag';
is $alice->call(PUT => 'tenants/acme', { notify_url => $HOOK })->{status},
    200, 'acme\'s admin sets its webhook';

is $alice->call(POST => 'tenants/acme/support', { hours => 4 })->{status},
    201, 'acme\'s admin grants support access';
is $root->call(GET => 'tenants/acme/users')->{status}, 200,
    'the system admin is in';

# carol, an admin, and bob have set up two-step login (as mfa_enrol
# leaves it: the values do not matter to a reset)
for my $u (qw(carol bob)) {
    $t->redis('HSET', "kot:v1:mfa:acme:$u", 'seed', 'sealed',
              'enrolled', 1, 'step', 0);
}

my $before = $A->dump_keys($t, events => 0);


# the allow-lists are the tenant's own

for my $list (qw(admin access)) {
    $A->is_error($root->call(PUT => "tenants/acme/allowlists/$list",
                             { networks => ['192.0.2.0/24'] }),
                 403, 'forbidden', "under the grant, PUT the $list list: "
                                   . '403 forbidden');
    is $root->call(GET => "tenants/acme/allowlists/$list")->{status}, 200,
        "  it still reads the $list list";
}
is $alice->call(GET => 'session')->{status}, 200,
    'acme\'s admin still reaches the API';


# so is where its alarms go

$A->is_error($root->call(PUT => 'tenants/acme',
                         { notify_url => 'https://hooks.ops.example/x' }),
             403, 'forbidden', 'under the grant, PUT the tenant\'s webhook: '
                               . '403 forbidden');
$A->is_error($root->call(PUT => 'tenants/acme', { notify_url => '' }),
             403, 'forbidden', '  nor remove it');

# but not the webhook's secret: where the posts go, not how to post there
my $res = $root->call(GET => 'tenants/acme');
is $res->{status}, 200, 'under the grant, GET the tenant: 200';
is_deeply $res->{json},
    { name => 'acme', notify_url => 'https://hooks.chat.example:8443',
      notify_url_redacted => $T },
    '  its webhook shown as scheme, host and port, said to be redacted';
unlike $res->{content}, qr/pa55|SECRET|t0ken|services/,
    '  nothing of its userinfo, path or query in the answer';
$res = $alice->call(GET => 'tenants/acme');
is_deeply $res->{json}, { name => 'acme', notify_url => $HOOK },
    'acme\'s admin still sees it whole';


# the tenant's admins are the tenant's own

my @calls = (
    [PATCH => 'tenants/acme/users/carol', { disabled => $T },
     'disable an admin', 'account_disabled'],
    [PATCH => 'tenants/acme/users/carol', { roles => ['sales'] },
     'take an admin\'s role "admin"', 'user_roles_changed'],
    [PATCH => 'tenants/acme/users/alice',
     { roles => ['user'], disabled => $T },
     'demote and disable the admin who granted it', 'account_disabled'],
    [DELETE => 'tenants/acme/users/carol', undef,
     'delete an admin', 'user_deleted'],
    [DELETE => 'tenants/acme/users/carol/mfa', undef,
     'reset an admin\'s two-step login', 'mfa_reset'],
    [DELETE => 'tenants/acme/users/Alice/mfa', undef,
     'reset the two-step login of the admin who granted it', 'mfa_reset'],
);

for my $c (@calls) {
    my ($method, $path, $body, $what) = @$c;
    my $res = $root->call($method, $path, $body);
    $A->is_error($res, 403, 'support_admin_protected',
                 "under the grant, $what: 403 support_admin_protected");
    like $res->{json}{detail},
        qr/^Support access cannot disable, demote or delete [^;]+, nor reset/,
        '  with a detail a person understands';
}

is $A->dump_keys($t, events => 0), $before, 'and none of it changed a key';

$res = $root->call(PATCH => 'tenants/acme/users/carol',
                      { roles => ['admin', 'support'] });
is $res->{status}, 200, 'it may still change an admin\'s other roles';
is_deeply $res->{json}{roles}, ['admin', 'support'], '  keeping "admin"';
$res = $root->call(PATCH => 'tenants/acme/users/bob', { disabled => $T });
is $res->{status}, 200, 'and disable a user who is not an admin';
is $root->call(PATCH => 'tenants/acme/users/bob', { disabled => $F })
    ->{status}, 200, '  and enable it again';
is $root->call(DELETE => 'tenants/acme/users/bob/mfa')->{status}, 204,
    '  and reset its two-step login';

my @refused = grep { ($_->{'event.reason'} // '') eq 'support_admin_protected' }
    @{ $alice->call(GET => 'tenants/acme/events')->{json}{events} };
is_deeply [ map { join ' ', @$_{qw(event.action event.outcome
                                   user.target.name user.name)} }
            reverse @refused ],
    [ 'account_disabled failure carol root',
      'user_roles_changed failure carol root',
      'account_disabled failure alice root',
      'user_deleted failure carol root',
      'mfa_reset failure carol root',
      'mfa_reset failure alice root' ],
    'the tenant sees each refusal in its events, as a failure of the '
    . 'action refused';
ok !grep({ !$_->{'kot.support'} || $_->{'kot.change'} } @refused),
    '  made under support, changing nothing';


# the tenant's own admin does all of it, and ends the grant

is $alice->call(PUT => 'tenants/acme/allowlists/access',
                { networks => ['127.0.0.0/8'] })->{status}, 200,
    'acme\'s admin changes its allow-list';
$t->kotctl('allowlist', 'acme', 'access', 'set');
is $alice->call(PUT => 'tenants/acme',
                { notify_url => 'https://hooks.acme.example/kot' })->{status},
    200, 'sets its webhook';
is $alice->call(PATCH => 'tenants/acme/users/carol',
                { roles => ['sales'], disabled => $T })->{status}, 200,
    'demotes and disables an admin';
is $alice->call(DELETE => 'tenants/acme/users/carol')->{status}, 204,
    'and deletes it';
is $alice->call(DELETE => 'tenants/acme/support')->{status}, 204,
    'and revokes the grant';
$A->is_error($root->call(GET => 'tenants/acme/users'), 403,
             'support_grant_required', 'which ends the support access');

done_testing;
