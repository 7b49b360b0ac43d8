# Redis misbehaving without going away (t/redis_down.t has it stopped and
# SIGSTOPped): busy in DEBUG SLEEP or CLIENT PAUSE beyond kot_redis's
# timeout, killed and restarted from its append-only file, and full
# (maxmemory with noeviction).  Each time nginx answers 503 when it
# cannot know, keeps serving what needs no Redis, and comes back by
# itself; nothing is lost or left half written.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;
use IO::Socket::IP;
use Time::HiRes qw(time);

my $t = KotTest->new(workers => 2, appendonly => 'always', redis_debug => 1);
my $n = $t->nginx(KotTest->site);
my @workers = sort { $a <=> $b } $n->worker_pids;

$t->add_user('acme', 'alice', 'correct horse battery');
my %alice = (tenant => 'acme', username => 'alice',
             password => 'correct horse battery');

my $ua = $n->ua;
is $ua->login(%alice)->{status}, 303, 'alice logs in';
is $ua->get('/app')->{status}, 200, 'and her session works';


# A command to Redis on a connection of its own whose answer is not
# awaited: Redis is busy with it while the test goes on.
sub busy (@cmd) {
    my $s = IO::Socket::IP->new(PeerHost => '127.0.0.1',
                                PeerPort => (split /:/, $t->redis_addr)[1])
        or die "connect to redis: $@\n";
    my $req = '*' . @cmd . "\r\n";
    $req .= '$' . length($_) . "\r\n$_\r\n" for @cmd;
    syswrite $s, $req;
    return $s;
}

# The status and seconds taken by a request.
sub timed ($code) {
    my $start = time;
    my $res = $code->();
    return ($res->{status}, time - $start);
}

sub recovered ($what) {
    ok wait_until(sub { $ua->get('/app')->{status} == 200 },
                  timeout => 15, what => "recovery after $what"),
        "after $what the session works again, without a restart";
    my $fresh = $n->ua;
    is $fresh->login(%alice)->{status}, 303, 'and logins work again';
}


# Stalled: DEBUG SLEEP, then CLIENT PAUSE (all commands, then writes only),
# each 4 s against a timeout of 1 s.

for my $stall (['DEBUG SLEEP', 'DEBUG', 'SLEEP', 4],
               ['CLIENT PAUSE ALL', 'CLIENT', 'PAUSE', 4000, 'ALL'],
               ['CLIENT PAUSE WRITE', 'CLIENT', 'PAUSE', 4000, 'WRITE']) {
    my ($what, @cmd) = @$stall;
    my $begin = time;
    my $conn = busy(@cmd);

    # Sent after the stall began: this login needs a write, which no
    # stall lets through.
    Time::HiRes::sleep(0.05);
    my ($status, $took) = timed(sub { $n->ua->login(%alice) });
    is $status, 503, "$what: a login is 503";
    cmp_ok $took, '>=', 0.8, "$what: after the timeout";
    cmp_ok $took, '<', 2.5, "$what: not after the stall ($took s)";

    if ($what ne 'CLIENT PAUSE WRITE') {
        my $res = wait_until(sub {
            my $r = $ua->get('/app');
            $r->{status} == 503 ? $r : undef
        }, timeout => 3, what => "a 503 during $what");
        ok $res, "$what: a protected page is 503";
    }

    # a worker waiting on Redis would stall everything it serves
    my $slowest = 0;
    for (1 .. 10) {
        my ($s, $dt) = timed(sub { $n->ua->get('/public/x') });
        $slowest = $dt if $dt > $slowest;
        is $s, 200, "$what: a page without kot is served" if $_ == 1;
    }
    cmp_ok $slowest, '<', 0.5,
        "$what: no worker is stuck (slowest public page $slowest s)";
    cmp_ok time - $begin, '<', 4, "$what: all of this within the stall";

    recovered($what);
    close $conn;
}

like $n->error_log, qr/did not answer within 1000 ms/,
    'the timeouts are logged';


# Killed (SIGKILL: no shutdown save) and restarted from its AOF

is $t->kotctl('tenant', 'policy', 'acme', 'min_length=14')->{exit}, 0,
    'acme has a password policy';
is $t->kotctl('allowlist', 'acme', 'access', 'add', '127.0.0.0/8')->{exit},
    0, 'and an allow-list';
$t->add_user('acme', 'bob', 'another good passphrase');
my $bob = $n->ua;
is $bob->login(tenant => 'acme', username => 'bob',
               password => 'another good passphrase')->{status}, 303,
    'bob logs in';

my @keys = sort @{ $t->redis('KEYS', 'kot:v1:*') };
$t->kill_redis;
$t->start_redis;

is_deeply [ sort @{ $t->redis('KEYS', 'kot:v1:*') } ], \@keys,
    'after a crash of Redis every key is back from the AOF';
is $t->redis('HGET', 'kot:v1:t:acme', 'policy.min_length'), 14,
    'the policy is still there';
like $t->kotctl('allowlist', 'acme', 'access', 'list')->{out},
    qr{^127\.0\.0\.0/8$}m, 'so is the allow-list';
ok wait_until(sub { $bob->get('/app')->{status} == 200 },
              what => 'the session after the restart'),
    "bob's session works on the restarted Redis";
# each worker reconnects on its own backoff
ok wait_until(sub {
    $n->ua->login(tenant => 'acme', username => 'bob',
                  password => 'another good passphrase')->{status} == 303
}, what => 'a login after the restart'), 'bob logs in again';
ok wait_until(sub { $n->ua->login(%alice)->{status} == 303 },
              what => "alice's login after the restart"),
    'and so does alice';


# Full: noeviction refuses every write that needs memory (once every
# worker is back from the restart, so that the refusal is Redis's)

wait_until(sub { !grep { $bob->get('/app')->{status} != 200 } 1 .. 6 },
           what => 'every worker to reconnect');

$t->redis('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
@keys = sort @{ $t->redis('KEYS', '*') };
my $off = length $n->error_log;
$t->redis('CONFIG', 'SET', 'maxmemory', 1);

my $full = $n->ua;
is $full->login(%alice)->{status}, 503, 'with Redis full a login is 503';
like substr($n->error_log, $off), qr/kot: .*OOM/,
    "and the error log says Redis is out of memory";
like $bob->get('/app')->{status}, qr/^(200|503)$/,
    'a session logged in before gets its page or 503, never a wrong answer';
my $r = $t->kotctl('user', 'add', 'acme', 'carol', '--role', 'user',
    '--password-stdin', { stdin => "yet another passphrase\n" });
isnt $r->{exit}, 0, 'kotctl cannot add a user either';
like $r->{err}, qr/OOM|memory/, 'and says why';

is_deeply [ sort @{ $t->redis('KEYS', '*') } ], \@keys,
    'no partial user or session was left behind';

$t->redis('CONFIG', 'SET', 'maxmemory', 0);
recovered('Redis had memory again');

is_deeply [ sort { $a <=> $b } $n->worker_pids ], \@workers,
    'the workers are the same ones from the start';
unlike $n->error_log, qr/\[(alert|crit|emerg)\]/, 'nothing alarming logged';

done_testing;
