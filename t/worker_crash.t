# A worker killed with SIGKILL under load: the master starts another,
# the other worker serves on as if nothing happened, and the audit log
# still verifies: the killed worker's chain just stops where it was cut.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;
use POSIX ();
use Time::HiRes qw(time);

my $t = KotTest->new(workers => 2);
my ($priv, $pub) = $t->auditor_keys;
my $n = $t->nginx(KotTest->site(
    http => "kot_audit_log %%DIR%%/audit.log buffer=64k flush=200ms;\n"
          . "    kot_audit_auditor_key $pub;",
    location => 'add_header X-Worker $pid always;'));
my $log = $n->dir . '/audit.log';

$t->add_user('acme', 'alice', 'correct horse battery');
my %alice = (tenant => 'acme', username => 'alice',
             password => 'correct horse battery');

my ($victim, $other) = $n->worker_pids;


# The load: one client, protected requests and now and then a login,
# each answer written down with the worker that gave it, for at most
# 60 s or until the test says stop.
my $results = $t->dir . '/load.txt';
my $stop = $t->dir . '/load.stop';

$t->fork_extra('load', sub {
    open my $out, '>', $results or die;
    $out->autoflush(1);
    my $ua = $n->ua;
    $ua->login(%alice);
    my $end = time + 60;
    my $refused = 0;
    for (my $i = 0; time < $end && !-e $stop; $i++) {
        # as a user would: a login now and then, and again once refused
        # (401), since a login that the crash cut off may have ended the
        # session it replaces before its answer was lost
        my $kind = $i % 25 == 0 || $refused ? 'login' : 'get';
        my $res = $kind eq 'login' ? $ua->login(%alice) : $ua->get('/app');
        $refused = $res->{status} == 401;
        printf {$out} "%.4f %d %s %s\n", time, $res->{status},
            $res->{headers}{'x-worker'} // '-', $kind;
    }
    close $out;
    POSIX::_exit(0);
});

sub answers () {
    return map { [ split ' ' ] } split /\n/, KotTest::_slurp($results);
}

ok wait_until(sub { answers() >= 200 }, timeout => 20,
              what => 'the load to run'), 'the load runs';

my $killed_at = time;
kill 'KILL', $victim;

ok wait_until(sub {
    my @w = $n->worker_pids;
    @w == 2 && !grep { $_ == $victim } @w
}, timeout => 10, what => 'a new worker'),
    'the master starts a new worker in place of the killed one';
my ($new) = grep { $_ != $other } $n->worker_pids;
ok KotTest::_alive($other), 'the other worker is still the same process';

# until the new worker too has served (on a busy machine one worker can
# take every connection for a while)
my $before = answers();
ok wait_until(sub {
    my @a = answers();
    @a >= $before + 200 && grep { $_->[2] eq $new } @a
}, timeout => 30, what => 'more load after the crash'),
    'the load goes on after the crash';
KotTest::_spew($stop, '');
$t->stop_extra('load');

my @all = answers();
my @by_other = grep { $_->[2] eq $other } @all;
cmp_ok scalar @by_other, '>', 100, 'the other worker served its share';
# The application is a server of the same nginx: a request that the
# other worker had proxied to the killed one at that instant gets 502,
# as from any upstream that dies.
my @settled = grep { abs($_->[0] - $killed_at) > 0.5 } @by_other;
is_deeply [ grep { $_->[1] !~ /^(200|303)$/ } @settled ], [],
    'and every one of its answers was right'
    or diag map { "@$_\n" } grep { $_->[1] !~ /^(200|303)$/ } @settled;
my @after = grep { $_->[0] > $killed_at + 0.5 } @all;
is_deeply [ grep { $_->[1] !~ /^(200|303)$/ } @after ], [],
    'once the new worker runs, every answer is right';
ok scalar(grep { $_->[2] eq $new } @all), 'the new worker serves too';
# A 401 is right only just after a login whose answer was lost: that
# login may have ended the session it replaced.  Any other wrong answer
# is one that the killed worker held.
sub after_lost_login ($i) {
    return $i > 0 && $all[$i - 1][3] eq 'login'
           && $all[$i - 1][1] !~ /^(200|303)$/;
}
my @logged_out = grep { $all[$_][1] == 401 && !after_lost_login($_) }
                 0 .. $#all;
is_deeply [ map { "@{ $all[$_] }" } @logged_out ], [],
    'the crash logged nobody out (but a login whose answer it lost)';
cmp_ok scalar(grep { $_->[1] !~ /^(200|303|401)$/ } @all), '<=', 2,
    'at most the requests the killed worker held failed';

my $elog = $n->error_log;
like $elog, qr/worker process $victim exited on signal 9/,
    'nginx logs the killed worker';
is scalar(() = $elog =~ /worker process \d+ exited/g), 1,
    'and no other worker exited';
unlike $elog, qr/\[(alert|crit)\].*kot/, 'ngx_kot logged nothing alarming';


# the audit log, once the survivors have closed their chains

$n->stop;

my %chains;
for my $r ($t->audit_records($log)) {
    my $c = $chains{ $r->{'kot.chain'} } //= {};
    $c->{pid} = $r->{'process.pid'} if defined $r->{'process.pid'};
    $c->{end} = 1 if ($r->{'event.action'} // '') eq 'chain_end';
}
my ($cut) = grep { ($_->{pid} // 0) == $victim } values %chains;
ok $cut, "the killed worker's chain is in the log";
ok $cut && !$cut->{end}, 'and it has no end: it just stops';
is scalar(grep { !$_->{end} } values %chains), 1,
    'every other chain ended in order';

my $r = $t->kotctl('audit', 'verify', '--auditor-private-key', $priv, $log);
is $r->{exit}, 0, 'kotctl audit verify passes'
    or diag $r->{out} . $r->{err};

done_testing;
