# Redis restarted with a large data set answers -LOADING to everything
# until it has read it back.  Meanwhile nginx answers 503, tells the
# error log once that Redis is loading (not an alert per attempt, as if
# its configuration were wrong), and retries with its backoff rather
# than reconnecting many times a second from every worker; then sessions
# work again by themselves.  A Redis that only stalled (SIGSTOP), with
# logins timing out meanwhile, is used again at once when it resumes:
# it never refused a setup, so its backoff is not held up.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;
use Time::HiRes qw(time);

my $t = KotTest->new(workers => 2, redis_debug => 1);
my $n = $t->nginx(KotTest->site);

$t->add_user('acme', 'alice', 'correct horse battery');

my $ua = $n->ua;
is $ua->login(tenant => 'acme', username => 'alice',
              password => 'correct horse battery')->{status}, 303,
    'alice logs in';
is $ua->get('/app')->{status}, 200, 'and her session works';

# Keys enough, each read slowly, for a few seconds of loading.
$t->redis('DEBUG', 'POPULATE', 40000, 'filler');
$t->stop_redis(save => 1);

my $off = length $n->error_log;
$t->start_redis(loading => 1,
                args => ['--key-load-delay', 100,
                         '--loading-process-events-interval-bytes', 1024]);
my $begin = time;

is $ua->get('/app')->{status}, 503,
    'while Redis loads its data, a protected page is 503';

ok wait_until(sub { $ua->get('/app')->{status} == 200 }, timeout => 30,
              what => 'the session once Redis has loaded'),
    'once Redis has loaded, her session works again';
my $took = time - $begin;
diag sprintf 'loading and recovery took %.1f s', $took;
cmp_ok $took, '>', 1, 'Redis was loading for a while';

my $log = substr $n->error_log, $off;
my $said = () = $log =~ /kot: redis at "[^"]+" is not ready \(LOADING/g;
cmp_ok $said, '>=', 1, 'the error log says Redis is loading';
cmp_ok $said, '<=', 2, "once per worker ($said times)";
unlike $log, qr/\[alert\]/, 'with no alert: nothing is misconfigured';

# Each worker's two connections, and retries on a growing backoff: a few
# a second at first, then one every 2 s at most.
my ($accepted) = $t->redis('INFO', 'stats')
    =~ /^total_connections_received:(\d+)/m;
cmp_ok $accepted / $took, '<', 6,
    sprintf('Redis was not flooded with connections (%d in %.1f s)',
            $accepted, $took);


# Stalled for a few seconds under logins, each of which times out and
# drops the connection; then resumed.  One worker, so that it is the one
# that met every timeout.

my $one = $t->nginx(KotTest->site, name => 'one', workers => 1);
my $solo = $one->ua;
is $solo->login(tenant => 'acme', username => 'alice',
                password => 'correct horse battery')->{status}, 303,
    'alice logs in on a node with one worker';

$t->pause_redis;
my $stalled = time;
$one->ua->login(tenant => 'acme', username => 'alice',
                password => 'correct horse battery')
    while time - $stalled < 6;
$t->resume_redis;
my $resumed = time;
ok wait_until(sub { $solo->get('/app')->{status} == 200 }, interval => 0.01,
              what => 'the session after Redis resumed'),
    'after a stall, her session works again';
my $back = time - $resumed;
cmp_ok $back, '<', 0.6,
    sprintf('as soon as Redis resumed (%.2f s), not after a backoff', $back);

done_testing;
