# When Redis is down or stalled nothing gets through: 503 with a page that
# says why.  nginx keeps running and recovers by itself.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;
use Time::HiRes qw(time);

my $t = KotTest->new(workers => 2);
my $n = $t->nginx(KotTest->site);

$t->add_user('acme', 'alice', 'correct horse battery');

my $HTML = { Accept => 'text/html' };

my $ua = $n->ua;
$ua->login(tenant => 'acme', username => 'alice',
           password => 'correct horse battery');
is $ua->get('/app')->{status}, 200, 'the session works while Redis is up';

# a second browser, at its logout page, for a logout while Redis is down
my $leaving = $n->ua;
$leaving->login(tenant => 'acme', username => 'alice',
                password => 'correct horse battery');
my $logout_csrf = KotTest::UA::form_field(
    $leaving->get('/kot/logout')->{content}, 'csrf');

my @workers = sort { $a <=> $b } $n->worker_pids;


# Redis stopped

$t->stop_redis(save => 1);

my $res = $ua->get('/app', $HTML);
is $res->{status}, 503, 'with Redis down a protected page is 503';
like $res->{content}, qr/cannot reach its session store/,
    'and the page says why';
is $res->{headers}{'retry-after'}, '5', 'with Retry-After';
unlike $res->{content}, qr/user=/, 'nothing reached the application';

$res = $ua->get('/api/items');
is $res->{status}, 503, 'an API call is 503 too';
is $res->{content}, qq({"error":"session_store_unavailable"}\n), 'as JSON';

for (1 .. 4) {
    $res = $ua->get('/app');
    last if $res->{status} != 503;
}
is $res->{status}, 503, 'every worker refuses while Redis is down';

$res = $n->ua->login(tenant => 'acme', username => 'alice',
                     password => 'correct horse battery');
is $res->{status}, 503, 'a login is 503 too';

# on a shared computer, the next person must not find the session there
$res = $leaving->post_form('/kot/logout', { csrf => $logout_csrf }, $HTML);
is $res->{status}, 503, 'a logout while Redis is down is 503';
like $res->{content}, qr/cannot reach its session store/,
    'with the page that says why';
ok !defined $leaving->cookie('kot_session'),
    'but the browser forgets the session all the same';
is $res->{headers}{'clear-site-data'}, '"cache"',
    'and its cache of the pages seen in it';
like $n->error_log,
    qr/logout failed: session \S+: the session store is unavailable/,
    'and the log says the session could not be ended';

is_deeply [ sort { $a <=> $b } $n->worker_pids ], \@workers,
    'no worker crashed';
like $n->error_log, qr/kot: .*redis at "127\.0\.0\.1:\d+"/,
    'the error log names the Redis that is down';


# Redis back

$t->start_redis;

ok wait_until(sub { $ua->get('/app')->{status} == 200 },
              what => 'recovery after Redis restarted'),
    'when Redis returns, the session works again without a reload';
# each worker reconnects on its own backoff: one may still be waiting
ok wait_until(sub { !grep { $ua->get('/app')->{status} != 200 } 1 .. 4 },
              what => 'every worker to reconnect'),
    'on every worker, after its backoff';
like $n->error_log, qr/connected to redis at "[^"]+" again/,
    'the recovery is logged';
is $leaving->get('/app', $HTML)->{status}, 302,
    'the browser that logged out meanwhile is asked to log in';


# Redis stalled: a timer ends every wait

$t->pause_redis;

# The workers' caches stop trusting themselves within 75 ms of silence.
# A worker whose new connection is still being set up refuses at once
# (each request here is a new connection, to either worker): wait for a
# refusal that waited for Redis.
my $took;
my $timed_out = qr/did not answer within 1000 ms/;
$res = wait_until(sub {
    my $start = time;
    my $r = $ua->get('/app', $HTML);
    $took = time - $start;
    return $r->{status} == 503 && $n->error_log =~ $timed_out ? $r : undef;
}, timeout => 10, what => 'a 503 while Redis is stalled');
ok $res, 'with Redis stalled a protected page is 503';
cmp_ok $took, '<', 4, 'after the configured timeout, not a hang';
like $n->error_log, $timed_out, 'the timeout is logged';

$t->resume_redis;

ok wait_until(sub { $ua->get('/app')->{status} == 200 },
              what => 'recovery after Redis resumed'),
    'when Redis answers again, so does the site';

is_deeply [ sort { $a <=> $b } $n->worker_pids ], \@workers,
    'the workers are the same ones from the start';

done_testing;
