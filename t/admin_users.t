# The admin API's users and sessions, as a tenant admin runs them: list,
# add (with a temporary password, or one given), roles and disabling,
# delete (and the name retired), unlock, password reset, the sessions
# and their end on every node.  Twenty admins adding one user at once
# get one 201.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use KotTest::Admin;
use Test::More;
use JSON::PP ();

my $t = KotTest->new;
my $site = KotTest::Admin->site(http => 'kot_lockout threshold=3;');
my $n = $t->nginx($site);
my $b = $t->nginx($site, name => 'b');

my $PW = 'correct horse battery';
my $A = 'KotTest::Admin';
my $rfc3339 = qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

$t->add_user('ops', 'root', $PW, roles => ['admin']);
$t->add_user('acme', 'alice', $PW, roles => ['admin']);
$t->add_user('acme', 'bob', $PW, roles => ['user']);
$t->add_user('acme', 'hank', $PW, roles => ['user']);

my $alice = $A->login($n, 'acme', 'alice', $PW);

sub session_on ($node, $user, $password) {
    my $ua = $node->ua;
    my $res = $ua->login(tenant => 'acme', username => $user,
                         password => $password);
    return $res->{status} == 303 ? $ua : undef;
}

sub ended ($ua) {
    return wait_until(sub { $ua->get('/app')->{status} == 401 },
                      timeout => 1, what => 'the session to end');
}


# listing

my $res = $alice->call(GET => 'tenants/acme/users');
is $res->{status}, 200, 'a tenant admin lists its users';
is_deeply [ map { $_->{username} } @{ $res->{json}{users} } ],
    ['alice', 'bob', 'hank'], 'all of them, by name';
my ($row) = grep { $_->{username} eq 'bob' } @{ $res->{json}{users} };
is_deeply [ sort keys %$row ],
    [qw(created disabled inactive last_login locked mfa must_change roles
        username)], 'each with its state';
is_deeply $row->{roles}, ['user'], 'roles as a list';
ok !$row->{disabled} && !$row->{locked} && !$row->{must_change},
    'flags as booleans';
like $row->{created}, $rfc3339, 'times in RFC 3339';
is $row->{last_login}, undef, 'null for a login that never was';

$res = $alice->call(GET => 'tenants/acme/users/bob');
is $res->{status}, 200, 'one user';
is_deeply [ sort keys %{ $res->{json} } ],
    [qw(created disabled disabled_since failures inactive last_failure
        last_login locked locked_until lockouts mfa must_change password_set
        roles username)], 'with its failures and lock';
$A->is_error($alice->call(GET => 'tenants/acme/users/nobody'), 404,
             'not_found', 'a user that does not exist: 404');
$A->is_error($alice->call(GET => 'tenants/acme/users/a*b'), 404,
             'not_found', 'nor one whose name could not be');


# adding

$res = $alice->call(POST => 'tenants/acme/users',
                    { username => 'Carol', roles => ['user', 'sales'] });
is $res->{status}, 201, 'a tenant admin adds a user: 201';
is $res->{json}{username}, 'carol', 'named as names are';
my $temp = $res->{json}{temporary_password};
ok length($temp) >= 20, 'with a temporary password of 20 characters';
$res = $alice->call(GET => 'tenants/acme/users/carol');
is_deeply $res->{json}{roles}, ['user', 'sales'], 'the roles given';
ok $res->{json}{must_change}, 'and a password to change';

my $carol = $n->ua;
$res = $carol->login(tenant => 'acme', username => 'carol', password => $temp);
is $res->{status}, 303, 'the temporary password logs in';
like $res->{headers}{location}, qr{/kot/password}, 'to change it first';

$res = $alice->call(POST => 'tenants/acme/users',
                    { username => 'dave', roles => ['user', 'user'],
                      password => 'a long enough password' });
is $res->{status}, 201, 'a user with a password given';
ok !exists $res->{json}{temporary_password}, 'is not told it back';
is $t->redis('HGET', 'kot:v1:u:acme:dave', 'roles'), 'user',
    'roles are kept once';
is $t->redis('HGET', 'kot:v1:u:acme:dave', 'must_change'), '1',
    'and an admin\'s password is changed at the first login too';

$res = $alice->call(POST => 'tenants/acme/users',
                    { username => 'erin', roles => ['user'],
                      password => 'erin' });
$A->is_error($res, 422, 'password_policy',
             'a password the policy refuses: 422 password_policy');
like $res->{json}{detail}, qr/too short: at least 12 characters/,
    'naming each broken rule';
like $res->{json}{detail}, qr/username/, '(all of them)';
is_deeply $res->{json}{broken},
    { min_length => 12, not_username => JSON::PP::true },
    'and each broken rule with its value, for a console to word them';
is $t->redis('EXISTS', 'kot:v1:u:acme:erin'), 0, 'and nobody was added';

$A->is_error($alice->call(POST => 'tenants/acme/users',
                          { username => 'bob', roles => ['user'] }),
             409, 'exists', 'a user that exists: 409 exists');
$A->is_error($alice->call(POST => 'tenants/acme/users',
                          { username => 'erin', roles => [] }),
             422, 'invalid_role', 'no role: 422');
$res = $alice->call(POST => 'tenants/acme/users',
                    { username => 'erin', roles => [] });
is $res->{json}{reason}, 'none', 'its reason, for a console to word it';
$res = $alice->call(POST => 'tenants/acme/users',
                    { username => 'erin', roles => ['Admin'] });
$A->is_error($res, 422, 'invalid_role', 'a role that is no role: 422');
like $res->{json}{detail}, qr/"Admin" is not a role/, 'named';
is $res->{json}{reason}, 'name', 'its reason';
is $res->{json}{role}, 'Admin', 'and the role refused, by itself';
$res = $alice->call(PATCH => 'tenants/acme/users/bob',
                    { roles => ['user', "\x{7d4c}\x{7406}"] });
$A->is_error($res, 422, 'invalid_role', 'a role in Japanese: 422');
is_deeply [ @{ $res->{json} }{qw(reason role)} ],
    [ 'name', "\x{7d4c}\x{7406}" ], 'named as it came';
$res = $alice->call(POST => 'tenants/acme/users',
                    { username => 'erin', roles => [ 'x' x 40 ] });
is length $res->{json}{role}, 33, 'a long one cut after 33 bytes';


# twenty admins add the same user at once

my @kids;
for my $i (1 .. 20) {
    my $pid = fork // die "fork: $!\n";
    if ($pid == 0) {
        my $r = $alice->call(POST => 'tenants/acme/users',
                             { username => 'frank', roles => ['user'] });
        POSIX::_exit($r->{status} == 201 ? 1 : $r->{status} == 409 ? 2 : 3);
    }
    push @kids, $pid;
}
my %got;
for my $pid (@kids) {
    waitpid $pid, 0;
    $got{$? >> 8}++;
}
is $got{1}, 1, 'twenty concurrent adds of one user: exactly one 201';
is $got{2}, 19, 'and nineteen 409';


# roles and disabling

my $bob = session_on($b, 'bob', $PW);
like $bob->get('/app')->{content}, qr/roles=\[user\]/, 'bob works on node b';

$res = $alice->call(PATCH => 'tenants/acme/users/bob',
                    { roles => ['user', 'auditor'] });
is $res->{status}, 200, 'PATCH changes the roles: 200';
is_deeply $res->{json}{roles}, ['user', 'auditor'], 'and answers the user';
ok wait_until(sub { $bob->get('/app')->{content} =~ /roles=\[user,auditor\]/ },
              timeout => 1, what => 'the new roles'),
    'his live session has them at once, on another node';

$res = $alice->call(PATCH => 'tenants/acme/users/bob',
                    { disabled => JSON::PP::true });
is $res->{status}, 200, 'PATCH disables an account';
ok $res->{json}{disabled}, 'which says so';
like $res->{json}{disabled_since}, $rfc3339, 'since when';
ok ended($bob), 'its sessions end at once';
is session_on($n, 'bob', $PW), undef, 'and it cannot log in';
$res = $alice->call(PATCH => 'tenants/acme/users/bob',
                    { disabled => JSON::PP::false });
ok !$res->{json}{disabled}, 'PATCH enables it again';
ok session_on($n, 'bob', $PW), 'and it logs in';


# a PATCH of several things is one change: refused whole, or done whole

$t->add_user('acme', 'ivy', $PW, roles => ['admin', 'user']);
$t->add_user('acme', 'jay', $PW, roles => ['user']);
my $ivy = $A->login($n, 'acme', 'ivy', $PW);

# The API's records about a user, once there are at least $n.
sub api_events_of ($user, $n) {
    my @e;
    wait_until(sub {
        @e = grep { ($_->{'kot.via'} // '') eq 'api'
                    && ($_->{'user.target.name'} // '') eq $user }
             @{ $ivy->call(GET => 'tenants/acme/events?limit=1000')
                    ->{json}{events} };
        return @e >= $n;
    }, what => "$n records about $user in the events list");
    return @e;
}

sub outcomes (@e) {
    return [ sort map { "$_->{'event.action'} $_->{'event.outcome'}" } @e ];
}

my $quiet = $A->dump_keys($t, events => 0);
$A->is_error($ivy->call(PATCH => 'tenants/acme/users/ivy',
                        { disabled => JSON::PP::false, roles => ['user'] }),
             409, 'cannot_demote_self',
             'an admin that enables and demotes itself at once: 409');
is $A->dump_keys($t, events => 0), $quiet,
    'and nothing of it is written, not even the enabling';
$A->is_error($ivy->call(PATCH => 'tenants/acme/users/ivy',
                        { disabled => JSON::PP::true, roles => ['user'] }),
             409, 'cannot_disable_self',
             'one that disables and demotes itself: the first refusal');
is $A->dump_keys($t, events => 0), $quiet, 'and nothing written either';
is_deeply outcomes(api_events_of('ivy', 2)),
    ['account_disabled failure', 'user_roles_changed failure'],
    'which records the refusals only';

is $ivy->call(PATCH => 'tenants/acme/users/ivy',
              { disabled => JSON::PP::false })->{status}, 200,
    'enabling an account that is not disabled: 200';
is $A->dump_keys($t, events => 0), $quiet,
    'changes nothing (its inactivity does not restart)';

$res = $ivy->call(PATCH => 'tenants/acme/users/jay',
                  { disabled => JSON::PP::true, roles => ['user', 'sales'] });
is $res->{status}, 200, 'disabling and new roles at once: 200';
ok $res->{json}{disabled}, 'the user is disabled';
is_deeply $res->{json}{roles}, ['user', 'sales'], 'and has the new roles';
my @jay = api_events_of('jay', 2);
is_deeply outcomes(@jay),
    ['account_disabled success', 'user_roles_changed success'],
    'one record for each change';
my %jay = map { $_->{'event.action'} => $_->{'kot.change'} } @jay;
is_deeply \%jay,
    { account_disabled => { before => { disabled => JSON::PP::false },
                            after => { disabled => JSON::PP::true },
                            sessions_ended => 0 },
      user_roles_changed => { before => { roles => ['user'] },
                              after => { roles => ['user', 'sales'] } } },
    'each with its own before and after';
is_deeply outcomes(api_events_of('ivy', 2)),
    ['account_disabled failure', 'user_roles_changed failure'],
    'and the enabling that changed nothing was not recorded';

$res = $alice->call(PATCH => 'tenants/acme/users/alice',
                    { roles => ['user'] });
$A->is_error($res, 409, 'cannot_demote_self',
             'an admin cannot take its own admin role: 409');
$A->is_error($alice->call(PATCH => 'tenants/acme/users/alice',
                          { disabled => JSON::PP::true }),
             409, 'cannot_disable_self', 'nor disable itself');
is $t->redis('HGET', 'kot:v1:u:acme:alice', 'roles'), 'admin',
    'and it is still an admin';
is $alice->call(PATCH => 'tenants/acme/users/alice',
                { roles => ['admin', 'user'] })->{status}, 200,
    'it may give itself more roles';
$A->is_error($alice->call(PATCH => 'tenants/acme/users/bob', {}),
             400, 'missing_field', 'a PATCH of nothing: 400');
$A->is_error($alice->call(PATCH => 'tenants/acme/users/nobody',
                          { roles => ['user'] }),
             404, 'not_found', 'of nobody: 404');


# an inactive account (the tenant's inactive_after): shown, and restored
# by "disabled": false as kotctl user enable restores it

$t->add_user('acme', 'kim', $PW, roles => ['user']);
$t->add_user('acme', 'lee', $PW, roles => ['user']);
is $alice->call(PUT => 'tenants/acme/policy',
                { inactive_after => '30d' })->{status}, 200,
    'the tenant refuses accounts unused for 30 days';
my $long_ago = int(time * 1000) - 31 * 86400 * 1000;
$t->redis('HSET', "kot:v1:u:acme:$_", 'created', $long_ago) for qw(kim lee);
$t->redis('HSET', 'kot:v1:u:acme:kim', 'last_login', $long_ago + 1000);
is session_on($n, 'kim', $PW), undef, 'kim, unused for 31 days, cannot '
    . 'log in';

my %inactive = map { $_->{username} => $_->{inactive} }
               @{ $alice->call(GET => 'tenants/acme/users')->{json}{users} };
ok $inactive{kim} && $inactive{lee} && !$inactive{alice} && !$inactive{ivy},
    'the users list says which accounts are inactive';
ok JSON::PP::is_bool($inactive{kim}), 'as a boolean';
$res = $alice->call(GET => 'tenants/acme/users/kim');
ok $res->{json}{inactive} && !$res->{json}{disabled},
    'and so does the user\'s page: inactive, not disabled';
my %kotctl = map { $_->{username} => $_->{inactive} }
             @{ $A->decode($t->kotctl('--json', 'user', 'list',
                                      'acme')->{out})->{users} };
is_deeply \%kotctl, \%inactive, 'as kotctl user list --json says';

$res = $alice->call(PATCH => 'tenants/acme/users/kim',
                    { disabled => JSON::PP::false });
is $res->{status}, 200, '"disabled": false on an inactive account: 200';
ok !$res->{json}{inactive}, 'which is inactive no more';
ok session_on($n, 'kim', $PW), 'and kim logs in again';
my ($kim) = api_events_of('kim', 1);
is_deeply [ @$kim{qw(event.action event.outcome)} ],
    ['account_enabled', 'success'], 'recorded as account_enabled';
is_deeply $kim->{'kot.change'},
    { before => { disabled => JSON::PP::false, inactive => JSON::PP::true },
      after => { disabled => JSON::PP::false, inactive => JSON::PP::false } },
    'whose change says it was inactive';
$quiet = $A->dump_keys($t);
is $alice->call(PATCH => 'tenants/acme/users/kim',
                { disabled => JSON::PP::false })->{status}, 200,
    'enabling it again: 200';
is $A->dump_keys($t), $quiet, 'changes and records nothing';

is $alice->call(PATCH => 'tenants/acme/users/lee',
                { disabled => JSON::PP::true })->{status}, 200,
    'an inactive account disabled too';
$res = $alice->call(PATCH => 'tenants/acme/users/lee',
                    { disabled => JSON::PP::false });
ok !$res->{json}{disabled} && !$res->{json}{inactive},
    'is enabled whole by "disabled": false';
my ($lee) = grep { $_->{'event.action'} eq 'account_enabled' }
            api_events_of('lee', 2);
is_deeply $lee->{'kot.change'}{before},
    { disabled => JSON::PP::true, inactive => JSON::PP::true },
    'and its record says it was both';
is $alice->call(PUT => 'tenants/acme/policy', {})->{status}, 200,
    'the tenant\'s inactive_after goes';


# unlock

for (1 .. 3) {
    $n->ua->login(tenant => 'acme', username => 'dave', password => 'wrong');
}
$res = $alice->call(GET => 'tenants/acme/users/dave');
ok $res->{json}{locked}, 'three failures lock dave (kot_lockout)';
like $res->{json}{locked_until}, $rfc3339, 'until a time';
is $res->{json}{failures}, 3, 'the failures are counted';
$res = $alice->call(POST => 'tenants/acme/users/dave/unlock');
is $res->{status}, 200, 'POST unlock: 200';
ok !$res->{json}{locked}, 'the account is unlocked';
is_deeply [ @{ $res->{json} }{qw(failures lockouts)} ], [0, 0],
    'without its failures and lockouts';
is $n->ua->login(tenant => 'acme', username => 'dave',
                 password => 'a long enough password')->{status}, 303,
    'and it logs in';

# an account with nothing to clear is as asked already: the user as it
# is, and no record
sub unlocks () {
    return scalar grep { /"account_unlocked"/ }
        @{ $t->redis('LRANGE', 'kot:v1:ev:acme', 0, -1) };
}
ok wait_until(sub { unlocks() == 1 }, what => 'the unlock\'s event'),
    'the unlock is among the tenant\'s events (written after the answer)';
$res = $alice->call(POST => 'tenants/acme/users/dave/unlock');
is $res->{status}, 200, 'unlocking an account that is not locked: 200';
is_deeply [ @{ $res->{json} }{qw(username failures lockouts)} ],
    ['dave', 0, 0], '  with the user as it is';
ok !$res->{json}{locked}, '  not locked';
# a record is written after the answer: one of a later call, once there,
# is a barrier past which a record of the unlock would be there too
sub revokes () {
    return scalar grep { /"session_revoked"/ && /"dave"/ }
        @{ $t->redis('LRANGE', 'kot:v1:ev:acme', 0, -1) };
}
my $revokes = revokes();
is $alice->call(DELETE => 'tenants/acme/users/dave/sessions')->{status},
    204, '  (a later call, recorded)';
ok wait_until(sub { revokes() == $revokes + 1 },
              what => 'the later call\'s event'),
    '  (whose record is there)';
is unlocks(), 1, '  and nothing is recorded';
$A->is_error($alice->call(POST => 'tenants/acme/users/nobody/unlock'),
             404, 'not_found', 'unlocking nobody: 404');


# password reset

my $hank = session_on($b, 'hank', $PW);
is $hank->get('/app')->{status}, 200, 'hank works on node b';
$res = $alice->call(POST => 'tenants/acme/users/hank/password');
is $res->{status}, 200, 'POST password resets it: 200';
my $reset = $res->{json}{temporary_password};
ok length($reset) >= 20, 'with a new temporary password';
ok ended($hank), 'which ends the user\'s sessions';
is session_on($n, 'hank', $PW), undef, 'the old password is gone';
$res = $n->ua->login(tenant => 'acme', username => 'hank',
                     password => $reset);
like $res->{headers}{location}, qr{/kot/password},
    'the new one logs in, to be changed';
$A->is_error($alice->call(POST => 'tenants/acme/users/nobody/password'),
             404, 'not_found', 'a reset of nobody: 404');
$t->kotctl('user', 'passwd', 'acme', 'hank', '--password-stdin',
           '--no-force-change', { stdin => "$PW\n" });

# but not one's own: a reset asks nothing of the admin, so a stolen
# session would keep the account; the portal's password page asks for
# the current password.  The name as the path gives it, in any case.
my $upper = $A->login($n, 'acme', 'ALICE', $PW);
my $kept = $A->dump_keys($t, events => 0);
for my $c ([$alice, 'alice'], [$alice, 'Alice'], [$upper, 'alice']) {
    my ($admin, $name) = @$c;
    $res = $admin->call(POST => "tenants/acme/users/$name/password");
    $A->is_error($res, 403, 'own_credentials',
                 "an admin resets its own password ($name, logged in as "
                 . ($admin == $alice ? 'alice' : 'ALICE')
                 . '): 403 own_credentials');
}
like $res->{json}{detail}, qr{\Qportal's password page\E},
    '  and is told to use the portal\'s password page';
is $A->dump_keys($t, events => 0), $kept, '  which changes nothing';
is $alice->call(GET => 'session')->{status}, 200,
    '  and the session goes on';
my @own;
wait_until(sub {
    @own = grep { ($_->{'event.reason'} // '') eq 'own_credentials' }
           @{ $alice->call(GET => 'tenants/acme/events?limit=1000')
                  ->{json}{events} };
    return @own >= 3;
}, what => 'the refusals in the events list');
is_deeply [ map { join ' ', @$_{qw(event.action event.outcome
                                   user.target.name user.name)} } @own ],
    [ ('user_password_set failure alice alice') x 3 ],
    '  each recorded as a refused password reset';
my $root = $A->login($n, 'ops', 'root', $PW);
$A->is_error($root->call(POST => 'tenants/ops/users/root/password'), 403,
             'own_credentials', 'nor does a system admin reset its own');


# sessions

my $bob2 = session_on($b, 'bob', $PW);
my ($handle) = $bob2->get('/app')->{content} =~ /session=\[([^\]]+)\]/;

$res = $alice->call(GET => 'tenants/acme/sessions');
is $res->{status}, 200, 'GET sessions lists the tenant\'s sessions';
my @mine = grep { $_->{handle} eq $handle } @{ $res->{json}{sessions} };
is scalar @mine, 1, 'by their $kot_session handle';
is_deeply [ sort keys %{ $mine[0] } ],
    [qw(absolute_expires created handle idle_expires ip last_active user)],
    'with what an admin needs';
is $mine[0]{user}, 'bob', 'whose it is';
unlike $res->{content}, qr/[A-Za-z0-9_-]{43}/, 'never a session id';

$res = $alice->call(GET => 'tenants/acme/sessions?user=bob');
is_deeply [ sort map { $_->{user} } @{ $res->{json}{sessions} } ],
    ['bob', 'bob'], '?user= lists one user\'s';
$A->is_error($alice->call(GET => 'tenants/acme/sessions?user=nobody'),
             404, 'not_found', 'of nobody: 404');
$res = $alice->call(GET => 'tenants/acme/sessions?user=');
$A->is_error($res, 400, 'invalid_parameter', 'an empty ?user=: 400');
like $res->{json}{detail}, qr/^user is empty/, 'which names the parameter';

# as the console asks, with encodeURIComponent()
$t->add_user('acme', 'carol+x@acme.example', $PW, roles => ['user']);
$n->ua->login(tenant => 'acme', username => 'carol+x@acme.example',
              password => $PW);
$res = $alice->call(GET => 'tenants/acme/sessions?user=carol%2Bx%40acme.'
                           . 'example');
is_deeply [ map { $_->{user} } @{ $res->{json}{sessions} // [] } ],
    ['carol+x@acme.example'],
    '?user= with an e-mail name, percent-encoded, lists its session';

$res = $alice->call(DELETE => "tenants/acme/sessions/$handle");
is $res->{status}, 204, 'DELETE sessions/HANDLE: 204';
ok ended($bob2), 'the session ends at once, on another node';
$A->is_error($alice->call(DELETE => "tenants/acme/sessions/$handle"), 404,
             'not_found', 'it is gone: 404');
$A->is_error($alice->call(DELETE => 'tenants/acme/sessions/short'), 404,
             'not_found', 'a handle that is none: 404');

my @bobs = map { session_on($_, 'bob', $PW) } $n, $b;
is $alice->call(DELETE => 'tenants/acme/users/bob/sessions')->{status},
    204, 'DELETE users/U/sessions: 204';
ok ended($_), 'each of the user\'s sessions ends' for @bobs;
$A->is_error($alice->call(DELETE => 'tenants/acme/users/nobody/sessions'),
             404, 'not_found', 'of nobody: 404');


# deleting, and the name retired

$hank = session_on($b, 'hank', $PW);
is $hank->get('/app')->{status}, 200, 'hank works again';
$res = $alice->call(DELETE => 'tenants/acme/users/hank');
is $res->{status}, 204, 'DELETE a user: 204';
ok ended($hank), 'its sessions end at once';
is $t->redis('EXISTS', 'kot:v1:u:acme:hank'), 0, 'it is gone';
is $t->redis('SISMEMBER', 'kot:v1:retired:u:acme', 'hank'), 1,
    'and its name retired';
$res = $alice->call(POST => 'tenants/acme/users',
                    { username => 'hank', roles => ['user'] });
$A->is_error($res, 409, 'username_retired',
             'the name cannot be given again: 409 username_retired');
my $r = $t->kotctl('user', 'add', 'acme', 'hank', '--role', 'user',
                   '--generate-password');
isnt $r->{exit}, 0, 'nor by kotctl';
like $r->{err}, qr/retired/, 'which says why';
$A->is_error($alice->call(DELETE => 'tenants/acme/users/hank'), 404,
             'not_found', 'deleting it again: 404');
$A->is_error($alice->call(DELETE => 'tenants/acme/users/alice'), 409,
             'cannot_delete_self', 'an admin cannot delete itself');


# the records, in the tenant's events list

my $events;
wait_until(sub {
    $events = $alice->call(GET => 'tenants/acme/events?limit=1000')
        ->{json}{events};
    return grep { $_->{'event.action'} eq 'user_deleted' } @$events;
}, what => 'the deletion in the events list');

my %seen = map { $_->{'event.action'} => $_ }
           grep { ($_->{'kot.via'} // '') eq 'api'
                  && $_->{'event.outcome'} eq 'success' } reverse @$events;
ok exists $seen{$_}, "$_ is recorded"
    for qw(user_added user_roles_changed account_disabled account_enabled
           account_unlocked user_password_set session_revoked user_deleted);
is_deeply $seen{user_roles_changed}{'kot.change'},
    { before => { roles => ['admin'] },
      after => { roles => ['admin', 'user'] } },
    'a change of roles, before and after';
is $seen{user_deleted}{'user.target.name'}, 'hank', 'the user it concerned';
is $seen{user_deleted}{'user.name'}, 'alice', 'and who did it';
ok !grep({ $_->{'event.action'} eq 'request' } @$events),
    'no request records';
ok scalar(grep { $_->{'event.action'} eq 'login'
                 && $_->{'event.outcome'} eq 'failure' } @$events),
    'but the failed logins';
ok scalar(grep { $_->{'event.action'} eq 'account_locked' } @$events),
    'and the lock';
unlike join('', map { JSON::PP->new->encode($_) } @$events),
    qr/\Q$temp\E|\Q$reset\E/, 'and never a password';

done_testing;
