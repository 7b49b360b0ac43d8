# Deleting a tenant on a big deployment: it takes Redis the same short
# time among 200,000 keys of other tenants as on an empty database (it
# used to SCAN the whole keyspace inside one script, stalling every
# node's logins), leaves no key of the tenant and touches no other's.
# Failed logins naming a deleted or unknown tenant then create no key of
# it, and answer as any failed login does.  "kotctl migrate failures"
# indexes the failures that an earlier release left in no index.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;
use Time::HiRes ();

my $t = KotTest->new;
my $n = $t->nginx(KotTest->site(
    http => 'kot_lockout threshold=3 window=15m duration=1h permanent_after=1;'
));

my $OTHERS = 200_000;

$t->add_user('acme', 'alice', 'in wonderland 1');

sub attempt ($tenant, $user, $password) {
    my $ua = $n->ua;
    my $res = $ua->login(tenant => $tenant, username => $user,
                         password => $password);
    return ($ua, $res);
}

# The status and page of a failed login, but for the names it echoes
# and its form's token.
sub failure_page ($tenant, $user) {
    my (undef, $res) = attempt($tenant, $user, 'not the password');
    (my $page = $res->{content})
        =~ s/(name="(?:username|tenant|csrf)"[^>]*?) value="[^"]*"/$1/g;
    return "$res->{status} $page";
}

# Every key of a tenant, sessions included, by a SCAN of the keyspace
# (in one script: 50,000 sessions are read).
sub keys_of ($tenant) {
    my $found = $t->redis('EVAL', <<'LUA', 0, $tenant);
local t, found, cursor = ARGV[1], {}, '0'
repeat
  local r = redis.call('SCAN', cursor, 'COUNT', 10000)
  cursor = r[1]
  for _, k in ipairs(r[2]) do
    if string.find(k, ':' .. t .. ':', 1, true)
        or string.sub(k, -#t - 1) == ':' .. t
        or (string.sub(k, 1, 9) == 'kot:v1:s:'
            and redis.call('HGET', k, 't') == t) then
      found[#found + 1] = k
    end
  end
until cursor == '0'
return found
LUA
    return [ sort @$found ];
}

# A tenant with what a live one has: users with sessions, a user
# deleted (whose name failed a login since), failures of names that were
# never users, one of them locked for good by a release that kept no
# index of them, an allow-list, events, a support grant.
sub populate ($tenant) {
    $t->add_user($tenant, 'carol', 'merry christmas 1');
    $t->add_user($tenant, 'dave', 'merry christmas 2');
    $t->add_user($tenant, 'erin', 'merry christmas 3');
    my ($carol) = attempt($tenant, 'carol', 'merry christmas 1');
    attempt($tenant, 'dave', 'merry christmas 2');
    $t->kotctl('user', 'delete', $tenant, 'erin', '--yes');
    attempt($tenant, $_, 'guess') for qw(erin mallory trudy);
    $t->redis('HSET', "kot:v1:f:$tenant:legacy", 'fails', 0, 'until', -1,
              'locks', 1, 'last', 1);
    attempt($tenant, 'legacy', 'guess');
    $t->kotctl('allowlist', $tenant, 'access', 'add', '0.0.0.0/0');
    $t->kotctl('support', 'grant', $tenant, '--hours', 5);
    is $carol->get('/app')->{status}, 200, "$tenant: carol is logged in";
    return $carol;
}

# The Redis time of the deleting script, from the slow log (every
# command logged).
sub delete_tenant ($tenant) {
    $t->redis('CONFIG', 'SET', 'slowlog-log-slower-than', 0);
    $t->redis('CONFIG', 'SET', 'slowlog-max-len', 100000);
    $t->redis('SLOWLOG', 'RESET');
    my $r = $t->kotctl('tenant', 'delete', $tenant, '--yes');
    is $r->{exit}, 0, "$tenant: deleted" or diag $r->{err};
    my ($entry) = grep {
        my @args = @{ $_->[3] };
        $args[0] =~ /^eval/i && $args[-1] eq $tenant
            && grep { $_ eq 'kot:v1:retired:tenants' } @args
    } @{ $t->redis('SLOWLOG', 'GET', 1000) };
    $t->redis('CONFIG', 'SET', 'slowlog-log-slower-than', 10000);
    return $entry ? $entry->[2] : undef;
}

sub ended ($ua) {
    return wait_until(sub { $ua->get('/app')->{status} == 401 },
                      timeout => 1, what => 'the session to end');
}


# a small database

my $small = populate('initech');
is_deeply [ map { m/^kot:v1:(\w+):/ ? $1 : 's' }
            grep { !/^kot:v1:s:/ } @{ keys_of('initech') } ],
    [ sort qw(al alv ev f f f f fu grant retired t u u us us users) ],
    'initech has keys of every kind'
    or diag explain keys_of('initech');
my $usec_small = delete_tenant('initech');
ok ended($small), 'its sessions end at once';
is_deeply keys_of('initech'), [], 'no key of it is left';


# the same tenant among 200,000 keys of 1,000 other tenants (users,
# their failures, sessions and session sets), made by scripts in a
# pipeline

my $fill = <<'LUA';
for i = tonumber(ARGV[1]), tonumber(ARGV[2]) do
  local tu = 'o' .. (i % 1000) .. ':u' .. i
  redis.call('HSET', 'kot:v1:t:o' .. (i % 1000), 'created', 1)
  redis.call('HSET', 'kot:v1:u:' .. tu, 'hash', 'x', 'roles', 'user')
  redis.call('HSET', 'kot:v1:f:' .. tu, 'fails', 1)
  redis.call('HSET', 'kot:v1:s:sid' .. i, 't', 'o' .. (i % 1000), 'u',
             'u' .. i)
  redis.call('ZADD', 'kot:v1:us:' .. tu, 1, 'sid' .. i)
end
LUA
my $per = 10_000;
$t->redis('EVAL', $fill, 0, $_ * $per + 1, ($_ + 1) * $per)
    for 0 .. $OTHERS / 4 / $per - 1;
my $others = $t->redis('DBSIZE');
cmp_ok $others, '>=', $OTHERS, "$OTHERS keys of other tenants";

my $big = populate('globex');
my $acme = $n->ua;
$acme->login(tenant => 'acme', username => 'alice',
             password => 'in wonderland 1');
my $before = $t->redis('DBSIZE') - @{ keys_of('globex') };

my $usec_big = delete_tenant('globex');
ok ended($big), 'its sessions end at once';
is_deeply keys_of('globex'), [], 'no key of it is left';
is $t->redis('DBSIZE'), $before, 'no other key went';
is $t->redis('HGET', 'kot:v1:u:o7:u7007', 'hash'), 'x',
    '  another tenant\'s user is there';
is $acme->get('/app')->{status}, 200, '  another tenant\'s session goes on';
ok $t->redis('SISMEMBER', 'kot:v1:retired:tenants', 'globex'),
    'the name is retired';

ok defined $usec_small && defined $usec_big, 'both deletions timed';
diag sprintf 'Redis time of tenant_delete: %d us on a small database, '
    . '%d us among %d keys', $usec_small // -1, $usec_big // -1, $others;
cmp_ok $usec_big, '<', 5000, 'among them it blocks Redis for under 5 ms';
cmp_ok $usec_big, '<', 10 * $usec_small + 1000,
    '  about as long as on a small database';


# failed logins naming a deleted tenant or one that never was

my $page = failure_page('acme', 'alice');
like $page, qr/^401 /, 'a wrong password is a 401';
for my $try (1 .. 4) {
    is failure_page('globex', 'carol'), $page,
        "a former user of the deleted tenant gets the same page ($try)";
    is failure_page('globex', 'mallory'), $page,
        "  so does a name that never was one ($try)";
    is failure_page('hooli', 'gavin'), $page,
        "  and a user of a tenant that never was ($try)";
}
is_deeply keys_of('globex'), [],
    'those failures bring no key of the deleted tenant back';
is_deeply keys_of('hooli'), [], '  nor make one of the unknown tenant';
is $t->redis('EXISTS', 'kot:v1:t:globex'), 0, '  which stays deleted';



# failures an earlier release left: of names that are not users, in no
# index; of a tenant deleted since

$t->add_user('umbrella', 'alice', 'in wonderland 2');
$t->redis('HSET', 'kot:v1:f:umbrella:wesker', 'fails', 0, 'until', -1,
          'locks', 1, 'last', 1);
$t->redis('HSET', 'kot:v1:f:umbrella:ada', 'fails', 1, 'times', 1,
          'until', 0, 'locks', 0, 'last', 1);
$t->redis('PEXPIRE', 'kot:v1:f:umbrella:ada', 3_600_000);
$t->redis('HSET', 'kot:v1:f:umbrella:alice', 'fails', 1);
$t->redis('HSET', 'kot:v1:f:globex:carol', 'fails', 1);

my $r = $t->kotctl('migrate', 'failures');
is $r->{exit}, 0, 'kotctl migrate failures' or diag $r->{err};
like $r->{out}, qr/: 2 indexed, 1 of tenants that do not exist deleted/,
    '  indexes the failures of the two names that are not users, among '
    . 'all the keys, and deletes the deleted tenant\'s';
is $t->redis('EXISTS', 'kot:v1:f:globex:carol'), 0, '  which is gone';
is $t->redis('ZSCORE', 'kot:v1:fu:umbrella', 'wesker'), 'inf',
    '  a lock for good is indexed for good';
my $ada = $t->redis('ZSCORE', 'kot:v1:fu:umbrella', 'ada');
my $ada_ttl = $t->redis('PTTL', 'kot:v1:f:umbrella:ada');
cmp_ok abs($ada - (Time::HiRes::time() * 1000 + $ada_ttl)), '<', 60_000,
    '  a failure by when its key expires';
is $t->kotctl('migrate', 'failures')->{out}, $r->{out}
    =~ s/1 of tenants/0 of tenants/r, 'running it again changes nothing';

is $t->kotctl('tenant', 'delete', 'umbrella', '--yes')->{exit}, 0,
    'the tenant is deleted';
is_deeply keys_of('umbrella'), [], '  with every failure an earlier '
    . 'release left';

done_testing;
