# Clients that leave: logins and protected requests whose client closes
# the connection (or resets it) before the answer, while Redis is slowed
# by DEBUG SLEEP, so that many requests are waiting on Redis when their
# client goes.  No alert, no crit, no worker exit, and no leak: the
# workers' memory does not grow with the number of aborts.
#
# ABORTS (default 2,000) sets how many; bench/aborts runs 10,000.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;
use IO::Socket::IP;
use POSIX ();
use Socket qw(SOL_SOCKET SO_LINGER);
use Time::HiRes qw(time);

my $ABORTS = $ENV{ABORTS} // 2000;

my $t = KotTest->new(workers => 2, redis_debug => 1);
my $n = $t->nginx(KotTest->site);
my @workers = sort { $a <=> $b } $n->worker_pids;

$t->add_user('acme', 'alice', 'correct horse battery');
my %alice = (tenant => 'acme', username => 'alice',
             password => 'correct horse battery');

my $ua = $n->ua;
is $ua->login(%alice)->{status}, 303, 'alice logs in';


# Redis slowed: DEBUG SLEEP 0.05 over and over, each on the helper's own
# connection, for at most 10 minutes or until the test says stop.
my $stop = $t->dir . '/slow.stop';
my $port = (split /:/, $t->redis_addr)[1];
$t->fork_extra('slow', sub {
    my $end = time + 600;
    while (time < $end && !-e $stop) {
        eval { $t->redis_on($port, 'DEBUG', 'SLEEP', '0.05') };
        Time::HiRes::sleep(0.01);
    }
    POSIX::_exit(0);
});


sub rss_kb () {
    my $kb = 0;
    for my $pid ($n->worker_pids) {
        ($kb += $1) if KotTest::_slurp("/proc/$pid/status")
                       =~ /^VmRSS:\s+(\d+)/m;
    }
    return $kb;
}

# One client leaving: a login, a protected request, or a login whose
# body never comes in full; closed after sending, half of them with a
# reset (SO_LINGER 0) rather than a FIN.
my $form = $n->ua;
my $csrf;

sub abort_one ($i) {
    if ($i % 100 == 0) {
        $form->clear_cookies;
        $csrf = KotTest::UA::form_field($form->get('/kot/login')->{content},
                                        'csrf');
    }
    my $kind = $i % 3;
    my $s;
    if ($kind == 0) {
        $s = $form->post_form_detached('/kot/login', { %alice,
            csrf => $csrf });
    } elsif ($kind == 1) {
        $s = $ua->request('GET', '/app', { detach => 1 });
    } else {
        $s = $form->request('POST', '/kot/login', { detach => 1,
            headers => { 'Content-Length' => 500,
                         'Content-Type' =>
                             'application/x-www-form-urlencoded' },
            content => "csrf=$csrf&tenant=acme&username=al" });
    }
    setsockopt $s, SOL_SOCKET, SO_LINGER, pack('ii', 1, 0) if $i % 2;
    close $s;
    # a client every millisecond or so: enough in flight, never more
    # than worker_connections
    Time::HiRes::sleep(0.001);
}

sub settled () {
    return wait_until(sub { $ua->get('/app')->{status} == 200 },
                      timeout => 30, what => 'nginx to answer again');
}

# The workers' heaps grow to their working size over the first few
# hundred aborts (measured: +3 MB from 500 to 2,000, then flat to 8,000):
# the second half is the one that must not grow.
my $warmup = int($ABORTS / 2);
my $start = time;
abort_one($_) for 1 .. $warmup;
settled();
my $rss0 = rss_kb();
abort_one($_) for $warmup + 1 .. $ABORTS;
settled();
my $rss1 = rss_kb();
my $took = time - $start;

KotTest::_spew($stop, '');
$t->stop_extra('slow');

my $per = 1024 * ($rss1 - $rss0) / ($ABORTS - $warmup);
diag sprintf '%d aborts in %.1f s; workers\' RSS %d kB after %d, '
    . '%d kB after %d (%+.1f bytes per abort)',
    $ABORTS, $took, $rss0, $warmup, $rss1, $ABORTS, $per;
# A leak of a request's pool or a Redis callback's context would be
# several hundred bytes per abort; allocator noise was
# under 20 kB in every run.
cmp_ok $rss1 - $rss0, '<', 512,
    'the workers\' memory is flat (under 512 kB more after the warm-up)';

is $ua->get('/app')->{status}, 200, 'alice\'s session still works';
is $n->ua->login(%alice)->{status}, 303, 'and she can log in again';
is_deeply [ sort { $a <=> $b } $n->worker_pids ], \@workers,
    'no worker exited';
my $log = $n->error_log;
unlike $log, qr/\[alert\]/, 'no alert in the error log';
unlike $log, qr/\[crit\]/, 'no crit either';
unlike $log, qr/exited on signal/, 'no worker crashed';

done_testing;
