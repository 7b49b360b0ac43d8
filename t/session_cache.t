# The workers' session cache is correct: requests of a known session ask
# Redis nothing, yet a logout, a reset, a revoke or a disabled account on
# another node is seen at once; a worker that stood still keeps its
# cache; with the invalidation connection broken every request asks
# Redis again; after a Redis restart nothing stale is served.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;

my $t = KotTest->new(workers => 1);
my @nodes = map { $t->nginx(KotTest->site, name => $_) } qw(a b);
my ($a, $b) = @nodes;

$t->add_user('acme', 'alice', 'correct horse battery');

sub evalsha () {
    my ($calls) = $t->redis('INFO', 'commandstats')
        =~ /^cmdstat_evalsha:calls=(\d+)/m;
    return $calls // 0;
}

sub login ($node) {
    my $ua = $node->ua;
    $ua->login(tenant => 'acme', username => 'alice',
               password => 'correct horse battery');
    return $ua;
}

sub cache_on ($node) {
    return wait_until(sub { $node->error_log =~ /session cache on/ },
                      what => 'the cache to start on ' . $node->name);
}

cache_on($_) for @nodes;

my $ua = login($a);
my $cookie = $ua->cookie('kot_session');
my $on_b = $b->ua;
$on_b->set_cookie('kot_session', $cookie);


# known sessions need no round trip

is $on_b->get('/app')->{status}, 200, 'a session works on the other node';
my $before = evalsha();
is $on_b->get("/app/$_")->{status}, 200, "request $_ on node b" for 1 .. 20;
cmp_ok evalsha() - $before, '<=', 1,
    'twenty requests of a cached session ask Redis at most once';


# a logout on one node is seen on the other

my $form = $ua->get('/kot/logout');
$ua->post_form('/kot/logout',
               { csrf => KotTest::UA::form_field($form->{content}, 'csrf') });
ok wait_until(sub { $on_b->get('/app')->{status} == 401 }, timeout => 1,
              interval => 0.01, what => 'node b to see the logout'),
    'node b refuses the session as soon as node a ended it';


# an administrator's reset ends cached sessions too

$ua = login($a);
$on_b->set_cookie('kot_session', $ua->cookie('kot_session'));
$on_b->get('/app') for 1 .. 3;
$t->kotctl('user', 'passwd', 'acme', 'alice', '--password-stdin',
           '--no-force-change', { stdin => "correct horse battery\n" });
ok wait_until(sub { $on_b->get('/app')->{status} == 401 }, timeout => 1,
              interval => 0.01, what => 'node b to see the reset'),
    'a password reset by kotctl ends the cached session on every node';


# so do an administrator's revoke and disable

for my $cmd ([ 'session', 'revoke', 'acme', 'alice', '--all' ],
             [ 'user', 'disable', 'acme', 'alice' ]) {
    $ua = login($a);
    $on_b->set_cookie('kot_session', $ua->cookie('kot_session'));
    $on_b->get('/app') for 1 .. 3;
    $t->kotctl(@$cmd);
    ok wait_until(sub { $on_b->get('/app')->{status} == 401 }, timeout => 1,
                  interval => 0.01, what => "node b to see @$cmd[0, 1]"),
        "kotctl @$cmd[0, 1] ends the cached session on every node";
}

$t->kotctl('user', 'enable', 'acme', 'alice');


# A worker that stood still for longer than a lost heartbeat allows (a
# paused VM does this to every worker) keeps its invalidation connection:
# it sent no heartbeat while it stood, so none went missing.  Replacing
# the connection would log an error and empty the cache for nothing.

$ua = login($a);
$on_b->set_cookie('kot_session', $ua->cookie('kot_session'));
is $on_b->get('/app')->{status}, 200, 'a session is cached on node b';

my ($worker) = $b->worker_pids;
kill 'STOP', $worker;
Time::HiRes::sleep(1.5);
kill 'CONT', $worker;

ok wait_until(sub {
    my $e = evalsha();
    $on_b->get('/app')->{status} == 200 && evalsha() == $e;
}, what => 'node b to answer from its cache again'),
    'after standing still for 1.5 s node b answers from its cache again';
unlike $b->error_log, qr/no heartbeat/,
    'and does not take its own stall for a lost invalidation connection';

$form = $ua->get('/kot/logout');
$ua->post_form('/kot/logout',
               { csrf => KotTest::UA::form_field($form->{content}, 'csrf') });
ok wait_until(sub { $on_b->get('/app')->{status} == 401 }, timeout => 1,
              interval => 0.01, what => 'node b to see the logout'),
    'and a logout on node a still ends the session on node b at once';


# the invalidation connection broken: no cache, no stale session

$ua = login($a);
$on_b->set_cookie('kot_session', $ua->cookie('kot_session'));
$on_b->get('/app');

# no channel may be subscribed, so it cannot come back for now
$t->redis('ACL', 'SETUSER', 'default', 'resetchannels');
$t->redis('CLIENT', 'KILL', 'TYPE', 'pubsub');
ok wait_until(sub { $b->error_log =~ /session cache off/ },
              what => 'node b to notice'),
    'node b notices that invalidations cannot reach it';

$before = evalsha();
$on_b->get('/app') for 1 .. 5;
is evalsha() - $before, 5, 'then every request asks Redis';

$form = $ua->get('/kot/logout');
$ua->post_form('/kot/logout',
               { csrf => KotTest::UA::form_field($form->{content}, 'csrf') });
is $on_b->get('/app')->{status}, 401,
    'and a logout elsewhere is refused at the very next request';

$t->redis('ACL', 'SETUSER', 'default', 'allchannels');
ok wait_until(sub { my $on = () = $b->error_log =~ /session cache on/g;
                    $on >= 2 },
              timeout => 10, what => 'the cache to come back'),
    'when invalidations can flow again, the cache comes back by itself';


# Redis restarted: the cache starts cold

$ua = login($a);
$on_b->set_cookie('kot_session', $ua->cookie('kot_session'));
is $on_b->get('/app')->{status}, 200, 'a fresh session is cached on node b';
$on_b->get('/app');

my $on = () = $b->error_log =~ /session cache on/g;
$t->stop_redis;
$t->start_redis;

ok wait_until(sub {
    my $s = $on_b->get('/app')->{status};
    $s == 401 || $s == 200;
}, what => 'node b to reach Redis again'), 'node b reconnects by itself';
is $on_b->get('/app')->{status}, 401,
    'and does not serve from its cache a session Redis no longer has';

$t->{tenants} = {};
$t->add_user('acme', 'alice', 'correct horse battery');
ok wait_until(sub { my $now = () = $b->error_log =~ /session cache on/g;
                    $now > $on },
              what => 'the cache to come back on node b'),
    'the cache comes back on node b after the restart';
my $again = login($b);
is $again->get('/app')->{status}, 200, 'new sessions work and are cached again';

done_testing;
