# A sentinel or a master that hangs (SIGSTOP: the kernel still accepts
# and acknowledges, so TCP keepalive never notices) does not hang the
# site: the worker finds the sentinel out by PING and asks another, and a
# hung master costs a 503 at the timeout, then a failover, without a
# reload.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;
use Time::HiRes qw(time);

# one worker: the sentinel it listens to can be read from its log
my $t = KotTest->new(workers => 1);
# 2 s, not 500 ms: with two replicas, 500 ms can make a second failover
# right after the first (see t/sentinel.t)
$t->start_sentinels(replicas => 2, sentinels => 3, down_after => 2000);

my @sentinels = map { "127.0.0.1:$_" } $t->sentinel_ports;
my %stopped;

sub stop_pid ($pid) {
    kill 'STOP', $pid;
    $stopped{$pid} = 1;
    wait_until(sub { KotTest::_proc_state($pid) eq 'T' },
               timeout => 5, interval => 0.01, what => "$pid to stop");
}

sub sentinel_pid ($addr) {
    my ($i) = grep { $sentinels[$_] eq $addr } 0 .. $#sentinels;
    return $t->{extra}{ 'sentinel' . ($i + 1) };
}

my $n = $t->nginx(KotTest->sentinel_site(
    "kot_redis_sentinel @sentinels master=kot timeout=1s;"));
my @workers = $n->worker_pids;

ok wait_until(sub { $n->error_log =~ /session cache on/ },
              what => 'the worker to reach the master'),
    'the worker finds the master through the sentinels';
my ($listened) =
    $n->error_log =~ /master "kot" is at "[^"]+" \(sentinel at "([^"]+)"\)/;
ok defined $listened, "the error log names the sentinel it asked";

$t->add_user('acme', 'alice', 'correct horse battery');
my $alice = $n->ua;
is $alice->login(tenant => 'acme', username => 'alice',
                 password => 'correct horse battery')->{status}, 303,
    'alice logs in';
ok wait_until(sub { $t->redis('WAIT', 2, 1000) >= 2 },
              what => 'the replicas to catch up'), 'the replicas have it';


# the sentinel the worker listens to hangs

stop_pid(sentinel_pid($listened));
my $hung_at = time;
ok wait_until(sub { $n->error_log =~
                    /sentinel at "\Q$listened\E": no answer to PING in time/ },
              timeout => 15, what => 'the PING to fail'),
    'a hung sentinel is found out by PING';
my $found = time - $hung_at;
cmp_ok $found, '<', 8, "  within seconds ($found s), not TCP keepalive's";

# the master dies: only the other sentinels can tell where it went
my $old_master = $t->redis_addr;
$t->kill_redis;
my $killed_at = time;
my $back = wait_until(sub {
        my $r = $alice->get('/app');
        $r->{status} == 200 && $r->{content} =~ /user=\[alice\]/;
    }, timeout => 40, interval => 0.1,
    what => 'the site to follow the failover');
ok $back, 'the session works again after the failover, with a sentinel hung';
my $took = time - $killed_at;
cmp_ok $took, '<', 30, "  within a bounded time ($took s)";
my $live = (grep { $_ ne $listened } @sentinels)[0] =~ s/.*://r;
my $new = $t->redis_on($live, 'SENTINEL', 'get-master-addr-by-name',
                       'kot')->[1];
isnt "127.0.0.1:$new", $old_master, '  a replica is the master now';
like $n->error_log,
    qr/master "kot" is at "127\.0\.0\.1:$new" \(sentinel at "(?!\Q$listened\E)/,
    '  as another sentinel told the worker';

# the new master hangs

my ($other) = grep { $_ != $new } $t->replica_ports;
ok $t->replica_follows($other, $new),
    'the other replica follows the new master';

# the replica that became the master: the one listening on $new
my ($master_pid) =
    grep { (KotTest::_slurp("/proc/$_/cmdline") // '') =~ /:$new\b/ }
    map { $t->{extra}{$_} } grep { /^replica/ } keys %{ $t->{extra} };
ok $master_pid, 'the new master\'s process is known';

# the hung sentinel comes back first: with one of three away, the two
# left must vote for the same leader, and a split vote waits twice the
# failover timeout to try again (a flaky second failover in CI)
my $sentinel = sentinel_pid($listened);
kill 'CONT', $sentinel;
delete $stopped{$sentinel};

# the worker's timeout (1 s) must come before the sentinels' failover:
# at 500 ms, they once promoted the other replica 1.1 s after the stop,
# and the worker followed +switch-master before its command timed out
$t->redis_on($_, 'SENTINEL', 'SET', 'kot', 'down-after-milliseconds', 3000)
    for $t->sentinel_ports;
stop_pid($master_pid);

# a login (the session cache could answer a session check)
my $start = time;
my $r = $n->ua->login(tenant => 'acme', username => 'alice',
                      password => 'correct horse battery');
my $wait = time - $start;
is $r->{status}, 503, 'with the master hung, a login gets 503';
cmp_ok $wait, '<', 3, "  at the timeout ($wait s), not later";
$start = time;
is $n->ua->get('/public/')->{status}, 200,
    'the worker is not stuck: a page without kot is served';
cmp_ok time - $start, '<', 1, '  at once';

ok wait_until(sub { $n->error_log =~
                    /the master did not answer; asking the next sentinel/ },
              timeout => 10, what => 'the sentinels to be asked again'),
    'the worker asks the sentinels again';
ok wait_until(sub {
        my $r = $alice->get('/app');
        $r->{status} == 200 && $r->{content} =~ /user=\[alice\]/;
    }, timeout => 90, interval => 0.1, what => 'the second failover'),
    'after the sentinels promote the other replica, the session works';
like $n->error_log, qr/master "kot" is at "127\.0\.0\.1:$other"/,
    '  on the other replica';

kill 'CONT', keys %stopped;

is_deeply [ $n->worker_pids ], \@workers, 'no worker crashed';
unlike $n->error_log, qr/\[(alert|crit|emerg)\]/, 'nothing alarming logged';

done_testing;
