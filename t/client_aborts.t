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
# reset (SO_LINGER 0) rather than a FIN.  The logins carry the token of
# a login form fetched (Redis slow too) before the first of each 100.
my $form = $n->ua;
my ($csrf, $forms, $tokenless) = (undef, 0, 0);

sub abort_one ($i) {
    if ($i % 100 == 1) {
        $form->clear_cookies;
        $csrf = KotTest::UA::form_field($form->get('/kot/login')->{content},
                                        'csrf');
        $forms++;
    }
    my $kind = $i % 3;
    $tokenless++ if $kind != 1 && !defined $csrf;
    my $token = $csrf // q();
    my $s;
    if ($kind == 0) {
        $s = $form->post_form_detached('/kot/login', { %alice,
            csrf => $token });
    } elsif ($kind == 1) {
        $s = $ua->request('GET', '/app', { detach => 1 });
    } else {
        $s = $form->request('POST', '/kot/login', { detach => 1,
            headers => { 'Content-Length' => 500,
                         'Content-Type' =>
                             'application/x-www-form-urlencoded' },
            content => "csrf=$token&tenant=acme&username=al" });
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
# hundred aborts, more when the machine is busy and more requests are in
# flight at once (measured: +3 MB from 500 to 2,000 on a busy machine,
# then flat to 8,000).  A leak grows with every round; so rounds of 500
# after the first 1,000 until one leaves RSS flat (under 64 kB more: a
# leak of 128 bytes per abort would not), at most ABORTS * 2 in all.
my $start = time;
my ($done, @rss) = (0);
my $flat = sub { @rss >= 2 && $rss[-1] - $rss[-2] < 64 };
for (;;) {
    my $round = $done < 1000 ? 1000 : 500;
    abort_one($_) for $done + 1 .. $done + $round;
    $done += $round;
    settled();
    push @rss, rss_kb();
    last if $done >= $ABORTS && $flat->() || $done >= 2 * $ABORTS;
}
my $took = time - $start;

KotTest::_spew($stop, '');
$t->stop_extra('slow');

diag sprintf '%d aborts in %.1f s; workers\' RSS (kB) after 1,000 then '
    . 'each 500: %s', $done, $took, join ' ', @rss;
SKIP: {
    # AddressSanitizer keeps freed memory in its quarantine (256 MB)
    skip 'RSS says nothing under make check-memory', 1
        if $ENV{KOT_TEST_MODULE};
    ok $flat->(), 'the workers\' memory is flat (a round of 500 aborts '
        . 'adds under 64 kB)';
}

is $tokenless, 0, "each of the $forms login forms fetched while Redis "
    . 'was slow carried a CSRF token, and every login sent one';
is $ua->get('/app')->{status}, 200, 'alice\'s session still works';
is $n->ua->login(%alice)->{status}, 303, 'and she can log in again';
is_deeply [ sort { $a <=> $b } $n->worker_pids ], \@workers,
    'no worker exited';
my $log = $n->error_log;
unlike $log, qr/\[alert\]/, 'no alert in the error log';
unlike $log, qr/\[crit\]/, 'no crit either';
unlike $log, qr/exited on signal/, 'no worker crashed';

done_testing;
