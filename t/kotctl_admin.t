# kotctl's administration of tenants and users as the admin plugin
# defines it (docs/admin.md): deleting a tenant or a user purges it and
# retires its name for ever, roles change under live sessions, unlock,
# support access, --json listings, and one success among concurrent adds.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use JSON::PP;
use KotTest;
use POSIX ();
use Test::More;
use Time::HiRes ();

my $t = KotTest->new;
my $n = $t->nginx(KotTest->site);
my $json = JSON::PP->new->utf8;
my $rfc3339 = qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

$t->add_user('acme', 'alice', 'in wonderland 1', roles => ['admin', 'user']);
$t->add_user('acme', 'bob', 'the builder pw 1');
$t->add_user('globex', 'carol', 'merry christmas 1');

sub session ($tenant, $user, $password) {
    my $ua = $n->ua;
    $ua->login(tenant => $tenant, username => $user, password => $password);
    return $ua;
}

sub app ($ua) {
    return $ua->get('/app');
}

# a change reaches the workers' caches within 100 ms (kot_session_cache)
sub eventually ($ua, $what, $cond) {
    return wait_until(sub { $cond->(app($ua)) }, timeout => 1,
                      what => $what);
}

sub ended ($ua) {
    return eventually($ua, 'the session to end',
                      sub ($res) { $res->{status} == 401 });
}

sub json_of ($r) {
    return eval { $json->decode($r->{out}) };
}

sub now_ms () {
    return int(Time::HiRes::time() * 1000);
}


# --json listings: the admin API's shapes, times in RFC 3339

my $bob = session('acme', 'bob', 'the builder pw 1');
is app($bob)->{status}, 200, 'bob is logged in';
my ($bob_handle) = app($bob)->{content} =~ /session=\[([^\]]+)\]/;

my $r = $t->kotctl('tenant', 'list', '--json');
is $r->{exit}, 0, 'tenant list --json';
my $doc = json_of($r);
is_deeply [ map { $_->{name} } @{ $doc->{tenants} } ], [ 'acme', 'globex' ],
    '  lists the tenants, sorted';
is $doc->{tenants}[0]{users}, 2, '  with their number of users';
like $doc->{tenants}[0]{created}, $rfc3339, '  and when they were added';
like $t->kotctl('tenant', 'list')->{out}, qr/^acme\s+\d{4}-\S+\s+2$/m,
    'tenant list without --json is a table';

$doc = json_of($t->kotctl('--json', 'user', 'list', 'acme'));
is_deeply [ map { $_->{username} } @{ $doc->{users} } ], [ 'alice', 'bob' ],
    'user list --json (given before the command too) lists the users';
is_deeply $doc->{users}[0]{roles}, [ 'admin', 'user' ], '  roles as a list';
ok JSON::PP::is_bool($doc->{users}[1]{locked})
   && !$doc->{users}[1]{locked}, '  locked as a boolean';
like $doc->{users}[1]{last_login}, $rfc3339, '  the last login as a time';
like $doc->{users}[1]{created}, $rfc3339, '  and the creation';
is $t->kotctl('user', 'list', 'nosuch')->{exit}, 1,
    'user list of a tenant that does not exist fails';

$doc = json_of($t->kotctl('user', 'status', 'acme', 'bob', '--json'));
is $doc->{username}, 'bob', 'user status --json';
is $doc->{failures}, 0, '  with the failures';
ok exists $doc->{locked_until} && !defined $doc->{locked_until},
    '  and no lock';

$doc = json_of($t->kotctl('session', 'list', 'acme', '--json'));
is scalar @{ $doc->{sessions} }, 1, 'session list TENANT --json: the '
    . 'sessions of the whole tenant';
is $doc->{sessions}[0]{handle}, $bob_handle, '  by their handle';
is $doc->{sessions}[0]{user}, 'bob', '  with the user';
like $doc->{sessions}[0]{$_}, $rfc3339, "  and $_"
    for qw(created last_active idle_expires absolute_expires);
like $t->kotctl('session', 'list', 'acme')->{out},
    qr/^\Q$bob_handle\E  bob\s+\d{4}-/m,
    'session list TENANT has a column for the user';

$t->kotctl('allowlist', 'acme', 'access', 'set', '127.0.0.0/8', '::1');
$doc = json_of($t->kotctl('allowlist', 'acme', 'access', 'list', '--json'));
is_deeply $doc->{networks}, [ '127.0.0.0/8', '::1/128' ],
    'allowlist list --json';

$t->kotctl('tenant', 'policy', 'acme', 'history=2');
$doc = json_of($t->kotctl('tenant', 'policy', 'acme', '--json'));
is_deeply $doc->{rules}, { history => '2' }, 'tenant policy --json';

$doc = json_of($t->kotctl('throttle', 'status', '192.0.2.1', '--json'));
ok JSON::PP::is_bool($doc->{throttled}) && !$doc->{throttled},
    'throttle status --json';

$r = $t->kotctl('tenant', 'add', 'initech', '--json');
is $r->{exit}, 2, '--json with a change is a usage error';
like $r->{err}, qr/--json is for listings/, '  that says why';
is $t->redis('EXISTS', 'kot:v1:t:initech'), 0, '  and changes nothing';


# roles change under a live session

like app($bob)->{content}, qr/roles=\[user\]/, 'the app sees bob\'s role';
$r = $t->kotctl('user', 'roles', 'acme', 'bob', '--role', 'user',
                '--role', 'auditor');
is $r->{exit}, 0, 'user roles sets new roles';
like $r->{out}, qr/user,auditor \(were user\)/, '  and says what they were';
ok eventually($bob, 'the new roles',
              sub ($res) { $res->{content} =~ /roles=\[user,auditor\]/ }),
    'the live session carries them at once';
is app($bob)->{status}, 200, '  and goes on';
is_deeply json_of($t->kotctl('user', 'status', 'acme', 'bob',
                             '--json'))->{roles},
    [ 'user', 'auditor' ], 'user status shows them';

is $t->kotctl('user', 'roles', 'acme', 'bob')->{exit}, 2,
    'user roles without a role is a usage error';
is $t->kotctl('user', 'roles', 'acme', 'bob', '--role', 'Bad!')->{exit}, 2,
    'an invalid role is refused';
is $t->kotctl('user', 'roles', 'acme', 'nobody', '--role', 'x')->{exit}, 1,
    'so is an unknown user';


# unlock

$t->redis('HSET', 'kot:v1:f:acme:bob', 'fails', 5, 'locks', 2, 'until', -1);
is session('acme', 'bob', 'the builder pw 1')->get('/app')->{status}, 401,
    'a locked account does not log in, even with its password';
like $t->kotctl('user', 'status', 'acme', 'bob')->{out},
    qr/^locked:\s+yes, until an administrator unlocks it$/m,
    'user status says it is locked';
is json_of($t->kotctl('user', 'status', 'acme', 'bob', '--json'))
    ->{locked_until}, 'permanent', '  (as JSON: permanent)';
$r = $t->kotctl('user', 'unlock', 'acme', 'bob');
is $r->{exit}, 0, 'user unlock';
like $t->kotctl('user', 'status', 'acme', 'bob')->{out},
    qr/^failures:\s+0\n.*^locked:\s+no\nlockouts:\s+0$/ms,
    'clears the lock, the failures and the lockouts';
is session('acme', 'bob', 'the builder pw 1')->get('/app')->{status}, 200,
    'and the user logs in again';

# an account with nothing to clear is as asked already: nothing changes
# and nothing is recorded, as kotctl.8 says of every command
sub unlocks () {
    return scalar grep { /"account_unlocked"/ }
        @{ $t->redis('LRANGE', 'kot:v1:ev:acme', 0, -1) };
}
is unlocks(), 1, 'the unlock is among the tenant\'s events';
$r = $t->kotctl('user', 'unlock', 'acme', 'bob');
is $r->{exit}, 0, 'unlocking an account that is not locked succeeds';
is $r->{out}, qq{user "bob" in tenant "acme" is not locked and has no }
    . qq{failed logins nor lockouts; nothing changed\n},
    '  and says that nothing changed';
is unlocks(), 1, '  and records nothing';


# support access

for my $hours (0, 73, 'x', '-1', '1.5') {
    is $t->kotctl('support', 'grant', 'acme', '--hours', $hours)->{exit}, 2,
        "support grant --hours $hours is refused (1 to 72)";
}
is $t->redis('EXISTS', 'kot:v1:grant:acme'), 0, '  and grants nothing';
like $t->kotctl('support', 'status', 'acme')->{out}, qr/not granted/,
    'support status: not granted';

my $before = now_ms();
$r = $t->kotctl('support', 'grant', 'acme', '--hours', 2);
is $r->{exit}, 0, 'support grant --hours 2';
like $r->{out}, qr/granted until \d{4}-\S+ \(2 hours\)/, '  says until when';
my $at = $t->redis('PEXPIRETIME', 'kot:v1:grant:acme');
ok $at >= $before + 2 * 3600_000 && $at <= now_ms() + 2 * 3600_000,
    'the grant ends by itself in 2 hours (its key expires then)';
is $t->redis('HGET', 'kot:v1:grant:acme', 'expires'), $at,
    '  when it says it does';
$doc = json_of($t->kotctl('support', 'status', 'acme', '--json'));
ok $doc->{granted}, 'support status --json: granted';
like $doc->{expires}, $rfc3339, '  until a time';
like $doc->{by}, qr/^kotctl:/, '  by whom';

$r = $t->kotctl('support', 'revoke', 'acme');
is $r->{exit}, 0, 'support revoke';
is $t->redis('EXISTS', 'kot:v1:grant:acme'), 0, '  ends the grant';
ok !json_of($t->kotctl('support', 'status', 'acme', '--json'))->{granted},
    '  and status says so';
like $t->kotctl('support', 'revoke', 'acme')->{out}, qr/nothing to revoke/,
    'revoking again has nothing to revoke';

# a grant whose time is up, in the instant before Redis removes it
$t->kotctl('support', 'grant', 'acme', '--hours', 1);
$t->redis('HSET', 'kot:v1:grant:acme', 'expires', now_ms() - 1);
ok !json_of($t->kotctl('support', 'status', 'acme', '--json'))->{granted},
    'an expired grant is not granted';
$t->redis('PEXPIRE', 'kot:v1:grant:acme', 50);
ok wait_until(sub { !$t->redis('EXISTS', 'kot:v1:grant:acme') },
              what => 'the grant key to expire'), '  and its key goes';
is $t->kotctl('support', 'status', 'nosuch')->{exit}, 1,
    'support status of an unknown tenant fails';


# a tenant's events: every change kotctl made to it

$doc = json_of($t->kotctl('tenant', 'events', 'acme', '--json'));
my @actions = map { $_->{'event.action'} } @{ $doc->{events} };
is $actions[0], 'support_granted', 'tenant events, newest first';
ok((grep { $_ eq 'user_roles_changed' } @actions),
   '  with the roles change');
is $doc->{events}[0]{'kot.via'}, 'kotctl', '  each made with kotctl';
like $doc->{events}[0]{'@timestamp'}, qr/^\d{4}-\d\d-\d\dT/, '  at a time';
my ($roles) = grep { $_->{'event.action'} eq 'user_roles_changed' }
              @{ $doc->{events} };
is_deeply $roles->{'kot.change'},
    { before => { roles => ['user'] },
      after => { roles => ['user', 'auditor'] } },
    '  the change before and after';

# a huge change stays whole in the audit log, not in the events list
my @many = map { my $x = $_; map { "10.$x.$_.0/24" } 0 .. 255 } 1 .. 4;
$t->kotctl('allowlist', 'acme', 'admin', 'set', @many);
my $ev = json_of($t->kotctl('tenant', 'events', 'acme', '--limit', 1,
                            '--json'))->{events}[0];
ok $ev->{'kot.change_omitted'} && !exists $ev->{'kot.change'},
    'an event of 1024 networks goes to the events list without its change';
$t->kotctl('allowlist', 'acme', 'admin', 'set');

is scalar @{ json_of($t->kotctl('tenant', 'events', 'acme', '--limit', 2,
                                '--json'))->{events} }, 2, '--limit';


# ending a session by its handle alone

$bob = session('acme', 'bob', 'the builder pw 1');
($bob_handle) = app($bob)->{content} =~ /session=\[([^\]]+)\]/;
$r = $t->kotctl('session', 'end', 'acme', $bob_handle);
is $r->{exit}, 0, 'session end TENANT SESSION';
like $r->{out}, qr/of user "bob"/, '  names the user';
ok ended($bob), '  and the session is over';
is $t->kotctl('session', 'end', 'acme', $bob_handle)->{exit}, 1,
    'ending it again fails';
is $t->kotctl('session', 'end', 'acme', 'x*')->{exit}, 2,
    'a handle that cannot be one is a usage error';


# deleting a user retires the name

$bob = session('acme', 'bob', 'the builder pw 1');
is app($bob)->{status}, 200, 'bob is logged in again';

$r = $t->kotctl('user', 'delete', 'acme', 'bob');
is $r->{exit}, 2, 'user delete without --yes, and no terminal, is refused';
like $r->{err}, qr/can never be used again/, '  after saying what it does';
is $t->redis('EXISTS', 'kot:v1:u:acme:bob'), 1, '  and deletes nothing';

$r = $t->kotctl('user', 'delete', 'acme', 'bob', '--yes');
is $r->{exit}, 0, 'user delete --yes';
like $r->{out}, qr/; \d+ sessions? ended; the name is retired/,
    '  ends the user\'s session';
ok ended($bob), '  at once';
is scalar(grep { /^kot:v1:\w+:acme:bob$/ }
          @{ $t->redis('KEYS', 'kot:v1:*') }), 0,
    '  and leaves no key of the user';
ok !$t->redis('SISMEMBER', 'kot:v1:users:acme', 'bob'),
    '  nor the name in the tenant\'s users';

$r = $t->kotctl('user', 'add', 'acme', 'Bob', '--role', 'user',
                '--generate-password');
is $r->{exit}, 1, 'the name cannot be added again';
like $r->{err},
    qr/user "bob" was deleted from tenant "acme": the name is retired/,
    '  because it is retired';
is $t->redis('EXISTS', 'kot:v1:u:acme:bob'), 0, '  and no user is made';
is session('acme', 'bob', 'the builder pw 1')->get('/app')->{status}, 401,
    'the deleted user cannot log in';
is $t->kotctl('user', 'add', 'globex', 'bob', '--role', 'user',
              '--generate-password')->{exit}, 0,
    'another tenant may have a bob';
is $t->kotctl('user', 'delete', 'acme', 'bob', '--yes')->{exit}, 1,
    'deleting a user that is gone fails';


# deleting a tenant purges it and retires the name

$t->kotctl('tenant', 'policy', 'globex', 'history=3', 'min_length=14');
$t->kotctl('user', 'passwd', 'globex', 'carol', '--password-stdin',
           '--no-force-change', { stdin => "merry christmas 2\n" });
$t->kotctl('allowlist', 'globex', 'admin', 'add', '10.0.0.0/8');
$t->kotctl('allowlist', 'globex', 'access', 'add', '127.0.0.1');
$t->kotctl('support', 'grant', 'globex', '--hours', 5);
# failures of a username that never existed, as a login leaves them
is session('globex', 'mallory', 'guess')->get('/app')->{status}, 401,
    'a login as an unknown user of globex fails';
my $carol = session('globex', 'carol', 'merry christmas 2');
my $carol2 = session('globex', 'carol', 'merry christmas 2');
is app($carol)->{status}, 200, 'carol is logged in';
my $alice = session('acme', 'alice', 'in wonderland 1');
is app($alice)->{status}, 200, 'and so is alice, of acme';

# A session past its absolute expiry keeps its key for the grace; a new
# login then must not forget it, or the purge would miss that key.
my $short = $t->nginx(KotTest->site(http => 'kot_absolute_timeout 1s;'),
                      name => 'short');
my $t0 = now_ms();
$short->ua->login(tenant => 'globex', username => 'carol',
                  password => 'merry christmas 2');
my ($old_sid) = @{ $t->redis('ZRANGE', 'kot:v1:us:globex:carol', 0, -1) };
wait_until(sub { now_ms() > $t0 + 1500 }, what => 'the session to be over');
$short->ua->login(tenant => 'globex', username => 'carol',
                  password => 'merry christmas 2');
is $t->redis('HGET', "kot:v1:s:$old_sid", 't'), 'globex',
    'a session over but in its grace, after a newer login, has its key';

my @kinds = map { m/^kot:v1:(\w+):/ ? $1 : $_ }
            grep { /globex/ } @{ $t->redis('KEYS', 'kot:v1:*') };
is_deeply [ sort { $a cmp $b } keys %{{ map { $_ => 1 } @kinds }} ],
    [ qw(al alv ev f fu grant ph t u us users) ],
    'globex has keys of every kind';

$r = $t->kotctl('tenant', 'delete', 'globex');
is $r->{exit}, 2, 'tenant delete without --yes, and no terminal, is refused';
like $r->{err},
    qr/purges its 2 users.*The name "globex" can never be used again/s,
    '  after saying what it purges and that the name is gone for ever';
is app($carol)->{status}, 200, '  and nothing is deleted';

$r = $t->kotctl('tenant', 'delete', 'Globex', '--yes');
is $r->{exit}, 0, 'tenant delete --yes';
my $deleted = 'tenant "globex" deleted: 2 users removed, 4 sessions ended';
like $r->{out}, qr/$deleted; the name is retired/,
    '  says what it did';
ok ended($carol), 'a session of the tenant is over at once';
ok ended($carol2), '  and so is the other';
is app($alice)->{status}, 200, 'another tenant\'s session goes on';

# every key, by SCAN, and every session key's tenant
my (@left, @sessions);
my $cursor = 0;
do {
    my $page = $t->redis('SCAN', $cursor, 'COUNT', 1000);
    $cursor = $page->[0];
    for my $key (@{ $page->[1] }) {
        push @left, $key if $key =~ /globex/;
        push @sessions, $key if $key =~ /^kot:v1:s:/;
    }
} while ($cursor);
is_deeply \@left, [], 'no key of the tenant is left';
is_deeply [ grep { ($t->redis('HGET', $_, 't') // '') eq 'globex' }
            @sessions ], [], '  nor a session of it';
ok !$t->redis('SISMEMBER', 'kot:v1:tenants', 'globex'),
    '  nor its name among the tenants';
ok $t->redis('SISMEMBER', 'kot:v1:retired:tenants', 'globex'),
    'only its tombstone';
is $t->redis('EXISTS', 'kot:v1:u:acme:alice'), 1, 'acme is untouched';
is session('globex', 'carol', 'merry christmas 2')->get('/app')->{status},
    401, 'a user of the deleted tenant cannot log in';

$r = $t->kotctl('tenant', 'add', 'globex');
is $r->{exit}, 1, 'the tenant\'s name cannot be added again';
my $never = 'its name is retired and can never be used again';
like $r->{err}, qr/tenant "globex" was deleted: $never/,
    '  because it is retired';
is $t->kotctl('tenant', 'add', 'GLOBEX')->{exit}, 1, '  however it is spelt';
is $t->redis('EXISTS', 'kot:v1:t:globex'), 0, '  and nothing is made';
like $t->kotctl('user', 'add', 'globex', 'dan', '--role', 'user',
                '--generate-password')->{err},
    qr/tenant "globex" was deleted/, 'nor can a user be added to it';
is $t->kotctl('tenant', 'delete', 'globex', '--yes')->{exit}, 1,
    'deleting it again fails';
is $t->kotctl('tenant', 'events', 'globex')->{exit}, 1,
    'its events are gone with it';


# concurrency: twenty administrators add the same user at once

my @pids;
for my $i (1 .. 20) {
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        # the harness names its files by a counter each child has a copy of
        $t->{run_seq} = 1_000_000 * $i;
        my $c = $t->kotctl('user', 'add', 'acme', 'racer', '--role', 'user',
                           '--password-stdin',
                           { stdin => "fast horse number $i\n" });
        POSIX::_exit($c->{exit} == 0 ? 0
                     : $c->{err} =~ /already exists/ ? 1 : 2);
    }
    push @pids, $pid;
}
my %exits;
for my $pid (@pids) {
    waitpid $pid, 0;
    $exits{$? >> 8}++;
}
is $exits{0}, 1, '20 parallel "user add" of one user: exactly one succeeds';
is $exits{1}, 19, '  and every other is told that it exists';
is $t->redis('SCARD', 'kot:v1:users:acme'), 2, '  one user is added';

# the last enabled admin of a tenant: kotctl refuses, as the admin API
# does, to leave the tenant without one, unless --yes (kotctl is the way
# back in when a tenant has lost its admins)

$t->add_user('solo', 'root1', 'only admin here 1', roles => ['admin']);
$t->add_user('solo', 'pat', 'just a user pw 1');
my $last = qr/^kotctl: user "root1" is the last enabled admin of tenant(?x)
    \s "solo": \s make \s another \s user \s admin \s first \s \("kotctl \s
    user \s roles \s solo \s USER \s --role \s admin"\), \s or \s run \s this
    \s again \s with \s --yes \s to \s leave \s the \s tenant \s without \s
    one; \s nothing \s changed$/m;
for my $cmd ([ 'roles', '--role', 'user' ], [ 'disable' ]) {
    my ($sub, @opt) = @$cmd;
    my $r = $t->kotctl('user', $sub, 'solo', 'root1', @opt);
    is $r->{exit}, 1, "kotctl user $sub of the last enabled admin fails";
    like $r->{err}, $last, '  saying to make another user admin first'
        or diag $r->{err};
}
is $t->redis('HGET', 'kot:v1:u:solo:root1', 'roles'), 'admin',
    '  and it is still an admin';
ok !$t->redis('HEXISTS', 'kot:v1:u:solo:root1', 'disabled'),
    '  and enabled';
is $t->kotctl('user', 'delete', 'solo', 'root1', '--yes', 'now')->{exit}, 2,
    'user delete takes nothing after --yes';

$r = $t->kotctl('user', 'disable', 'solo', 'root1', '--yes');
is $r->{exit}, 0, 'user disable --yes disables it all the same'
    or diag $r->{err};
ok $t->redis('HEXISTS', 'kot:v1:u:solo:root1', 'disabled'),
    '  and the tenant has no enabled admin';
is $t->kotctl('user', 'roles', 'solo', 'root1', '--role', 'user')->{exit},
    0, 'a disabled admin is no enabled admin: demoted without --yes';
is $t->kotctl('user', 'enable', 'solo', 'root1')->{exit}, 0,
    'enabled again';
is $t->kotctl('user', 'roles', 'solo', 'pat', '--role', 'admin')->{exit}, 0,
    'a user made admin';
is $t->kotctl('user', 'disable', 'solo', 'pat')->{exit}, 1,
    '  is the last enabled admin now';
$r = $t->kotctl('user', 'roles', 'solo', 'root1', '--role', 'admin');
is $r->{exit}, 0, 'with a second admin';
$r = $t->kotctl('user', 'disable', 'solo', 'pat');
is $r->{exit}, 0, '  the other is disabled without --yes' or diag $r->{err};
$r = $t->kotctl('user', 'delete', 'solo', 'root1', '--yes');
is $r->{exit}, 0, 'user delete --yes deletes the last enabled admin'
    or diag $r->{err};
is $t->redis('EXISTS', 'kot:v1:u:solo:root1'), 0, '  which is gone';

# an admin who cannot log in does not count: inactive by the tenant's
# inactive_after, or locked until an administrator unlocks it
$t->add_user('idle', $_, 'only admin here 1', roles => ['admin'])
    for qw(root1 root2);
$t->kotctl('tenant', 'policy', 'idle', 'inactive_after=30d');
$t->redis('HSET', 'kot:v1:u:idle:root2', 'created',
          int(time * 1000) - 31 * 86400 * 1000);
my $barred = qr{\Q${\ ('kotctl: user "root1" is the last admin of tenant '
                     . '"idle" who can log in: the other admins are '
                     . 'inactive or locked until unlocked; enable or '
                     . 'unlock one first ("kotctl user enable idle USER", '
                     . '"kotctl user unlock idle USER"), or run this '
                     . 'again with --yes to leave the tenant without one; '
                     . 'nothing changed') }\E};
sub root1_kept ($why) {
    # (user delete refuses alike, but only on a terminal: its --yes
    # confirms the deletion and keeps the tenant's last admin no more)
    for my $cmd ([ 'roles', '--role', 'user' ], [ 'disable' ]) {
        my ($sub, @opt) = @$cmd;
        my $r = $t->kotctl('user', $sub, 'idle', 'root1', @opt);
        is $r->{exit}, 1, "kotctl user $sub root1 while root2 is $why fails";
        like $r->{err}, $barred, '  saying why root2 does not count'
            or diag $r->{err};
    }
    is $t->redis('HGET', 'kot:v1:u:idle:root1', 'roles'), 'admin',
        '  root1 is still an admin';
    ok !$t->redis('HEXISTS', 'kot:v1:u:idle:root1', 'disabled'),
        '  and enabled';
}
root1_kept('inactive');
is $t->kotctl('user', 'enable', 'idle', 'root2')->{exit}, 0,
    'root2 enabled again';
$t->redis('HSET', 'kot:v1:f:idle:root2', 'until', -1);
root1_kept('locked until unlocked');
$t->redis('HSET', 'kot:v1:f:idle:root2', 'until',
          int(time * 1000) + 3600 * 1000);
$r = $t->kotctl('user', 'disable', 'idle', 'root1');
is $r->{exit}, 0, 'root2 locked for an hour counts: root1 is disabled'
    or diag $r->{err};



# "migrate failures" that stops half-way says what it did, and that it
# may run again.  A batch fails here where a failure's index is of the
# wrong type; SCAN's order decides how much came before.

is $t->kotctl('tenant', 'add', 'legacy')->{exit}, 0, 'a tenant of old data';
$t->redis('EVAL', q{for i = 1, 2500 do
                      redis.call('HSET', 'kot:v1:f:legacy:n' .. i, 'fails', 1)
                    end}, 0);
is $t->kotctl('tenant', 'add', 'broken')->{exit}, 0, 'and another';
$t->redis('HSET', 'kot:v1:f:broken:x', 'fails', 1);
$t->redis('SET', 'kot:v1:fu:broken', 'not an index');

my $m = $t->kotctl('migrate', 'failures');
is $m->{exit}, 1, 'migrate failures fails on a batch';
like $m->{err}, qr/^kotctl: redis at .* refused EVAL(?:SHA)?: WRONGTYPE/m,
    '  saying why';
my ($done) = $m->{err} =~ /^kotctl: migrate failures stopped: (\d+) failed(?x)
    \s logins? \s indexed \s and \s 0 \s of \s tenants \s that \s do \s not
    \s exist \s deleted \s before \s the \s batch \s that \s failed; \s it \s is
    \s safe \s to \s run \s "kotctl \s migrate \s failures" \s again/m;
ok defined $done, '  how many it indexed, and that it may run again'
    or diag $m->{err};
cmp_ok $t->redis('ZCARD', 'kot:v1:fu:legacy'), '>=', $done // 0,
    '  which are indexed';

$t->redis('DEL', 'kot:v1:fu:broken');
$m = $t->kotctl('migrate', 'failures');
is $m->{exit}, 0, 'run again, once the index is fixed, it goes on'
    or diag $m->{err};
is $t->redis('ZCARD', 'kot:v1:fu:legacy'), 2500, '  and indexes every one';

done_testing;
