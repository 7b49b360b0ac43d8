# A session revoked while a worker replaces its invalidation connection
# is refused once the connection is back: the worker's cache never serves
# it again.  The race: Redis's reply to CLIENT TRACKING ... REDIRECT is
# late, and the connection it names is gone by the time it comes, so
# Redis drops the invalidations it would send there.  A proxy between
# nginx and Redis (t/lib/KotTest/Proxy.pm) holds back that reply and
# then the next connection's setup, so that the revocation falls into
# the gap.  And when the command connection alone is replaced, the cache
# comes back with it.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use KotTest::Proxy;
use Test::More;

my $t = KotTest->new(workers => 1);
my $proxy = KotTest::Proxy->start($t, 'proxy',
                                  (split /:/, $t->redis_addr)[1]);

# a setup held back by the proxy must outlast the steps below
(my $site = KotTest->site) =~ s{kot_redis %%REDIS%% timeout=1s;}
    {kot_redis 127.0.0.1:${\ $proxy->port} timeout=5s;}
    or die "no kot_redis line in the site\n";
my $n = $t->nginx($site);

$t->add_user('acme', 'alice', 'correct horse battery');
my %alice = (tenant => 'acme', username => 'alice',
             password => 'correct horse battery');

sub evalsha () {
    my ($calls) = $t->redis('INFO', 'commandstats')
        =~ /^cmdstat_evalsha:calls=(\d+)/m;
    return $calls // 0;
}

sub caches_on () {
    return scalar(() = $n->error_log =~ /session cache on/g);
}

# Redis's view of the worker: the ids of its connections by kind, and
# where the reads of its command connection are tracked for.
sub clients () {
    my %c;
    for (split /\r?\n/, $t->redis('CLIENT', 'LIST')) {
        my %f = map { split /=/, $_, 2 } split / /;
        my ($kind) = ($f{name} // '') =~ /^kot-(\w+)-\d+$/ or next;
        $c{$kind} = \%f;
    }
    return \%c;
}

# A request of the session on $ua answered without asking Redis.  The
# first ones after a login may ask: the tenant's tracked read follows the
# first session check, and a heartbeat held up by a loaded machine makes
# the worker ask Redis until the next one comes.
sub served_from_cache ($ua) {
    return wait_until(sub {
        my $e = evalsha();
        $ua->get('/app/cached')->{status} == 200 && evalsha() == $e;
    }, what => 'a request served from the cache');
}

# The id of an invalidation connection other than $old, once the
# command connection's tracking is redirected to it.
sub redirected_to_new ($old) {
    my $id;
    wait_until(sub {
        my $c = clients();
        return 0 unless $c->{data} && $c->{sub};
        $id = $c->{sub}{id};
        return $id != $old && $c->{data}{redir} == $id;
    }, what => 'tracking redirected to a new invalidation connection');
    return $id;
}

ok wait_until(sub { caches_on() >= 1 }, what => 'the cache to start'),
    'the session cache starts through the proxy';

my $ua = $n->ua;
is $ua->login(%alice)->{status}, 303, 'alice logs in';
is $ua->get('/app')->{status}, 200, 'her session works';
ok served_from_cache($ua), 'and is served from the cache';

my $sub = clients()->{sub}{id};


# The invalidation connection is replaced; Redis's reply to the command
# that redirects tracking to the new one is held back.

$proxy->hold('data');
is $proxy->cut('sub'), 1, 'the invalidation connection is cut';
ok wait_until(sub { $n->error_log =~ /session cache off/ },
              what => 'the cache to go off'), 'the cache goes off';
$sub = redirected_to_new($sub);
ok $sub, 'a new one subscribes and Redis redirects tracking to it';

# That one goes too, before the reply came; the next one connects, but
# its setup is held back: it is not subscribed yet.

$proxy->hold('sub');
is $proxy->cut('sub'), 1, 'the new invalidation connection is cut too';
ok wait_until(sub { $proxy->seen('sub') >= 3 },
              what => 'a third invalidation connection'),
    'a third one connects';

# The late reply comes; the session is used meanwhile, then revoked.

my $on = caches_on();
$proxy->release('data');
is $ua->get('/app')->{status}, 200,
    'with the late reply in, the session still works (Redis says so)';
is $ua->get('/app/again')->{status}, 200, 'and again';
is caches_on(), $on,
    'the late reply does not turn the cache on: it names a connection '
    . 'that is gone';
is $t->kotctl('session', 'revoke', 'acme', 'alice', '--all')->{exit}, 0,
    'kotctl revokes all her sessions';

# The third connection subscribes: the cache may be used again.

$proxy->release('sub');
ok redirected_to_new($sub), 'the third connection subscribes';
is $ua->get('/app')->{status}, 401,
    'the revoked session is refused once the invalidations flow again';
ok wait_until(sub { caches_on() == $on + 1 }, what => 'the cache on'),
    'the cache is on again, with the third connection';


# The cache works as before with the new connection, and comes back
# when the command connection alone is replaced.

for my $what ('the new invalidation connection',
              'a new command connection') {
    if ($what =~ /command/) {
        my $on = caches_on();
        is $proxy->cut('data'), 1, 'the command connection is cut';
        ok wait_until(sub { caches_on() > $on }, what => 'the cache on'),
            'the cache is on again with the next one';
    }

    my $again = $n->ua;
    is $again->login(%alice)->{status}, 303, "$what: alice logs in again";
    is $again->get('/app')->{status}, 200, "$what: her new session works";
    ok served_from_cache($again), "$what: it is served from the cache";
    is $t->kotctl('session', 'revoke', 'acme', 'alice', '--all')->{exit}, 0,
        "$what: kotctl revokes it";
    ok wait_until(sub { $again->get('/app')->{status} == 401 }, timeout => 1,
                  interval => 0.01, what => 'the revocation to be seen'),
        "$what: the worker refuses it at once";
}

unlike $n->error_log, qr/\[(alert|crit|emerg)\]/, 'nothing alarming logged';

done_testing;
