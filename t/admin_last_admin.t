# A tenant keeps an enabled admin: two admins who demote, disable or
# delete each other at the same moment through the admin API leave one
# of them an admin, and the other call is refused (409 last_admin; or
# 403 or 401 once its caller is no admin or its session has ended); the
# refusal is recorded and changes nothing.  An admin who cannot log in
# (inactive, or locked until unlocked) is no admin left, and the 409
# says so.  The check in a tenant of 10,000 users, and of 10,000 locked
# admins, timed by Redis's slow log.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use KotTest::Admin;
use POSIX ();
use Test::More;
use JSON::PP ();

my $t = KotTest->new;
my $n = $t->nginx(KotTest::Admin->site);

my $PW = 'correct horse battery';
my $A = 'KotTest::Admin';

# The users of a tenant that hold "admin" and are not disabled.
sub enabled_admins ($tenant) {
    my @admins;
    for my $u (sort @{ $t->redis('SMEMBERS', "kot:v1:users:$tenant") }) {
        my ($roles, $disabled) = @{ $t->redis('HMGET', "kot:v1:u:$tenant:$u",
                                              'roles', 'disabled') };
        push @admins, $u
            if defined $roles && !defined $disabled
               && grep { $_ eq 'admin' } split /,/, $roles;
    }
    return \@admins;
}

my %change = (
    demote  => [ PATCH => { roles => ['user'] } ],
    disable => [ PATCH => { disabled => JSON::PP::true } ],
    delete  => [ DELETE => undef ],
);

# two admins of a tenant of their own do it to each other at once, a
# few times for each change, so that the calls do meet
my $round = 0;
for my $what (qw(demote disable delete)) {
    for (1 .. 3) {
        my $tenant = 'race' . ++$round;
        $t->add_user($tenant, $_, $PW, roles => ['admin']) for qw(ann ben);
        my %ua = map { $_ => $A->login($n, $tenant, $_, $PW) } qw(ann ben);
        my ($method, $body) = @{ $change{$what} };

        my %kid;
        for my $pair ([ ann => 'ben' ], [ ben => 'ann' ]) {
            my ($me, $other) = @$pair;
            my $pid = fork // die "fork: $!\n";
            if ($pid == 0) {
                my $r = $ua{$me}->call($method,
                                       "tenants/$tenant/users/$other", $body);
                my $code = $r->{status} =~ /^20[04]$/ ? 1
                         : $r->{status} == 409
                           && ($r->{json}{error} // '') eq 'last_admin' ? 2
                         : $r->{status} =~ /^40[13]$/ ? 3 : 4;
                print STDERR "# $me: $r->{status} $r->{content}\n"
                    if $code == 4;
                POSIX::_exit($code);
            }
            $kid{$pid} = $me;
        }
        my %got;
        for my $pid (keys %kid) {
            waitpid $pid, 0;
            $got{$? >> 8}++;
        }
        is $got{1}, 1, "$tenant: two admins $what each other at once: "
                       . 'one succeeds';
        is(($got{2} // 0) + ($got{3} // 0), 1,
           '  the other is refused (409 last_admin; or 403, 401 once it is '
           . 'no admin or its session ended)');
        is scalar @{ enabled_admins($tenant) }, 1,
            '  and the tenant keeps one enabled admin';
    }
}


# The second call of such a race, made to happen every time: alice's
# session still says admin (as it does until her change reaches it), but
# her account no longer does.  bob is then the last enabled admin.

$t->add_user('acme', 'alice', $PW, roles => ['admin']);
$t->add_user('acme', 'bob', $PW, roles => ['admin']);
$t->add_user('acme', 'carol', $PW, roles => ['user']);
my $alice = $A->login($n, 'acme', 'alice', $PW);
$t->redis('HSET', 'kot:v1:u:acme:alice', 'roles', 'user');
is_deeply enabled_admins('acme'), ['bob'], 'bob is the last enabled admin';

# A tenant's own keys and what they hold, as a refused change must
# leave them (a hash's fields sorted: DUMP may order them differently)
sub tenant_keys ($tenant) {
    my @out;
    for my $k (sort grep { !/^kot:v1:ev:/ }
               @{ $t->redis('KEYS', "kot:v1:*$tenant*") }) {
        my $type = $t->redis('TYPE', $k);
        my @v = $type eq 'hash' ? @{ $t->redis('HGETALL', $k) }
              : $type eq 'set' ? sort @{ $t->redis('SMEMBERS', $k) }
              : $type eq 'zset' ? @{ $t->redis('ZRANGE', $k, 0, -1) }
              : ($type);
        my %h = $type eq 'hash' ? @v : ();
        push @out, "$k " . join ',', $type eq 'hash'
                                     ? map { "$_=$h{$_}" } sort keys %h
                                     : @v;
    }
    return join "\n", @out;
}

my $quiet = tenant_keys('acme');
for my $case ([ 'demoting', PATCH => { roles => ['user'] } ],
              [ 'disabling', PATCH => { disabled => JSON::PP::true } ],
              [ 'demoting and disabling',
                PATCH => { roles => ['user'], disabled => JSON::PP::true } ],
              [ 'deleting', DELETE => undef ]) {
    my ($what, $method, $body) = @$case;
    my $res = $alice->call($method => 'tenants/acme/users/bob', $body);
    $A->is_error($res, 409, 'last_admin',
                 "$what the last enabled admin: 409 last_admin");
    like $res->{json}{detail} // '',
        qr/"bob" is the tenant's last enabled admin: (?x)
           make \s another \s user \s admin \s first/,
        '  saying to make another user admin first';
}
is tenant_keys('acme'), $quiet, 'and nothing of it is written';
is_deeply enabled_admins('acme'), ['bob'], 'bob is still an admin';

my @refused;
wait_until(sub {
    @refused = grep { ($_->{'event.reason'} // '') eq 'last_admin' }
               map { $A->decode($_) }
               @{ $t->redis('LRANGE', 'kot:v1:ev:acme', 0, -1) };
    return @refused >= 4;
}, what => 'the refusals in the events list');
is_deeply [ sort map { "$_->{'event.action'} $_->{'event.outcome'}" }
            @refused ],
    [ 'account_disabled failure', 'account_disabled failure',
      'user_deleted failure', 'user_roles_changed failure' ],
    'each refusal recorded as a failure of its action, reason last_admin';

# what is not the last admin is changed as before
is $alice->call(PATCH => 'tenants/acme/users/carol',
                { disabled => JSON::PP::true })->{status}, 200,
    'a user that is not an admin is still disabled';
$t->redis('HSET', 'kot:v1:u:acme:alice', 'roles', 'admin');
is $alice->call(PATCH => 'tenants/acme/users/bob',
                { roles => ['user'] })->{status}, 200,
    'and an admin demoted while another remains';
is_deeply enabled_admins('acme'), ['alice'], 'alice is the admin now';


# An admin who cannot log in is no admin left: one inactive (no login
# for longer than the tenant's inactive_after) or locked until an
# administrator unlocks it.  One locked until a time logs in by itself
# then, and counts.  alice's session says admin, her account no longer.

$t->add_user('idle', $_, $PW, roles => ['admin']) for qw(alice bob dan);
my $idle = $A->login($n, 'idle', 'alice', $PW);
$t->redis('HSET', 'kot:v1:u:idle:alice', 'roles', 'user');
is $t->kotctl('tenant', 'policy', 'idle', 'inactive_after=30d')->{exit}, 0,
    'a tenant that refuses accounts unused for 30 days';
my $long_ago = int(time * 1000) - 31 * 86400 * 1000;
$t->redis('HSET', 'kot:v1:u:idle:dan', 'created', $long_ago);
ok $idle->call(GET => 'tenants/idle/users/dan')->{json}{inactive},
    'dan, its other admin, is inactive';

my $others = qr{${\ ('"bob" is the tenant\'s last admin who can log in: '
                     . 'the other admins are inactive or locked until '
                     . 'unlocked') }};
sub bob_kept ($why) {
    my $quiet = tenant_keys('idle');
    for my $case ([ 'demoting', PATCH => { roles => ['user'] } ],
                  [ 'disabling', PATCH => { disabled => JSON::PP::true } ],
                  [ 'deleting', DELETE => undef ]) {
        my ($what, $method, $body) = @$case;
        my $res = $idle->call($method => 'tenants/idle/users/bob', $body);
        $A->is_error($res, 409, 'last_admin',
                     "$what bob while dan is $why: 409 last_admin");
        like $res->{json}{detail} // '', $others,
            '  saying why the other admins do not count';
        is $res->{json}{reason} // '', 'others_cannot_log_in',
            '  and so does its "reason"';
    }
    is tenant_keys('idle'), $quiet, '  and nothing of it is written';
}
bob_kept('inactive');

is $t->kotctl('user', 'enable', 'idle', 'dan')->{exit}, 0,
    'dan enabled again';
$t->redis('HSET', 'kot:v1:f:idle:dan', 'until', -1);
bob_kept('locked until an administrator unlocks him');

$t->redis('HSET', 'kot:v1:f:idle:dan', 'until',
          int(time * 1000) + 3600 * 1000);
is $idle->call(PATCH => 'tenants/idle/users/bob',
               { roles => ['user'] })->{status}, 200,
    'locked for an hour, dan counts: bob is demoted';

# The server's inactive_after (kot_password_policy) bars an admin as the
# tenant's does: the tenant's effective policy decides.  A server
# without it lets the same change through.
my $strict = $t->nginx($A->site(http => 'kot_password_policy '
                                        . 'inactive_after=30d;'),
                       name => 'b');
$t->add_user('srv', $_, $PW, roles => ['admin']) for qw(alice bob dan);
my %srv = (strict => $A->login($strict, 'srv', 'alice', $PW),
           lenient => $A->login($n, 'srv', 'alice', $PW));
$t->redis('HSET', 'kot:v1:u:srv:alice', 'roles', 'user');
$t->redis('HSET', 'kot:v1:u:srv:dan', 'created', $long_ago);
my $res = $srv{strict}->call(PATCH => 'tenants/srv/users/bob',
                             { roles => ['user'] });
$A->is_error($res, 409, 'last_admin',
             'under the server\'s inactive_after of 30 days, demoting bob '
             . 'while dan is inactive: 409 last_admin');
is $res->{json}{reason} // '', 'others_cannot_log_in',
    '  because dan cannot log in';
is $srv{lenient}->call(PATCH => 'tenants/srv/users/bob',
                       { roles => ['user'] })->{status}, 200,
    'under a server without it, dan counts: bob is demoted';


# A tenant of 10,000 users without another enabled admin: the check
# reads every user, the worst case (docs/admin.md, user_patch: 25 to 35
# ms on a loaded 2-CPU machine, more when busier).  A bound generous
# for ASan and load: what it catches is a check gone quadratic.

my $big = 'big';
$t->add_user($big, $_, $PW, roles => ['admin']) for qw(ann ben);
my @batch;
for my $i (1 .. 10_000) {
    push @batch, $i;
    next if @batch < 1000 && $i < 10_000;
    $t->redis('SADD', "kot:v1:users:$big", map { "u$_" } @batch);
    $t->redis('HSET', "kot:v1:u:$big:u$_", 'roles', 'user', 'hash', 'x')
        for @batch;
    @batch = ();
}
my $ann = $A->login($n, $big, 'ann', $PW);
my (undef, $slower) = @{ $t->redis('CONFIG', 'GET',
                                   'slowlog-log-slower-than') };
$t->redis('CONFIG', 'SET', 'slowlog-log-slower-than', 0);
$t->redis('SLOWLOG', 'RESET');
# ann's account says "user", her session "admin": the whole tenant is
# read to find no other admin than ben
$t->redis('HSET', "kot:v1:u:$big:ann", 'roles', 'user');
$A->is_error($ann->call(PATCH => "tenants/$big/users/ben",
                        { roles => ['user'] }),
             409, 'last_admin', 'in a tenant of 10,002 users, still 409');
my ($us) = sort { $b <=> $a } map { $_->[2] }
           grep { $_->[3][0] =~ /^EVAL(?:SHA)?$/i }
           @{ $t->redis('SLOWLOG', 'GET', 128) };
diag "user_patch over 10,002 users: $us us";
cmp_ok $us, '<', 250_000, '  and the script takes less than 250 ms';

# The same 10,000 users admins, each locked until unlocked: three reads
# of each (its roles, its last activity, its lock), the worst case of
# admins who cannot log in
$t->redis('EVAL', q{for i = 1, 10000 do
                      redis.call('HSET', KEYS[1] .. i, 'roles', 'admin')
                      redis.call('HSET', KEYS[2] .. i, 'until', -1)
                    end}, 2, "kot:v1:u:$big:u", "kot:v1:f:$big:u");
$t->redis('SLOWLOG', 'RESET');
$res = $ann->call(PATCH => "tenants/$big/users/ben",
                  { roles => ['user'] });
$A->is_error($res, 409, 'last_admin',
             'with 10,000 admins locked until unlocked, still 409');
is $res->{json}{reason} // '', 'others_cannot_log_in',
    '  because they cannot log in';
($us) = sort { $b <=> $a } map { $_->[2] }
        grep { $_->[3][0] =~ /^EVAL(?:SHA)?$/i }
        @{ $t->redis('SLOWLOG', 'GET', 128) };
diag "user_patch over 10,000 locked admins: $us us";
cmp_ok $us, '<', 250_000, '  and the script takes less than 250 ms';
$t->redis('CONFIG', 'SET', 'slowlog-log-slower-than', $slower);

done_testing;
