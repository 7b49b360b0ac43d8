# A test run cut short (prove stopped, ^C, a CI job cancelled) must not
# leave its nginx and Redis running: they hold ports and files, and a
# user's next run or demo would meet them.  And its reader of a log that
# workers write sees whole lines only.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Cwd ();
use File::Temp ();
use POSIX ();
use Test::More;
use Time::HiRes qw(sleep time);

my $tmp = File::Temp::tempdir('kot-harness-XXXXXXXX', DIR => '/tmp',
                              CLEANUP => 1);
my $lib = Cwd::abs_path('t/lib');

# The inner test: starts Redis and nginx, says where they are, then
# writes TAP until its reader goes.
open my $fh, '>', "$tmp/inner.t" or die "$tmp/inner.t: $!\n";
print $fh <<"EOF";
use strict;
use warnings;
use lib '$lib';
use KotTest;
use Test::More;
use Time::HiRes qw(sleep);

my \$t = KotTest->new;
my \$n = \$t->nginx(KotTest->site);
open my \$out, '>', '$tmp/pids.tmp' or die;
print \$out join(' ', \$t->{dir}, \$t->{redis_pid}, \$n->pid,
                 \$n->worker_pids), "\\n";
close \$out;
rename '$tmp/pids.tmp', '$tmp/pids' or die;
while (1) { ok 1, 'still running'; sleep 0.05 }
EOF
close $fh;

sub run_cut_short ($how) {
    unlink "$tmp/pids";
    pipe my $r, my $w or die "pipe: $!\n";

    my $pid = fork // die "fork: $!\n";
    if ($pid == 0) {
        close $r;
        open STDOUT, '>&', $w or POSIX::_exit(126);
        open STDIN, '<', '/dev/null';
        open STDERR, '>', "$tmp/inner.err";
        { no warnings 'exec'; exec $^X, "$tmp/inner.t" }
        POSIX::_exit(127);
    }
    close $w;

    my $end = time + 30;
    sleep 0.05 until -e "$tmp/pids" || time > $end;
    my ($dir, @pids) = split ' ', KotTest::_slurp("$tmp/pids") // '';
    ok @pids >= 3, "$how: the inner test started Redis and nginx";

    if ($how eq 'its reader gone') {
        close $r;
    } else {
        kill 'TERM', $pid;
    }

    waitpid $pid, 0;

    $end = time + 15;
    sleep 0.05 while (grep { KotTest::_alive($_) } @pids) && time < $end;
    my @left = grep { KotTest::_alive($_) } @pids;
    is "@left", '', "$how: no nginx or Redis left running";
    ok !(defined $dir && -d $dir), "$how: its directory removed";

    # What the harness failed to stop is still ours to stop.
    kill 'TERM', @left if @left;
}

run_cut_short('its reader gone');
run_cut_short('SIGTERM');


# A log that workers are writing, read by the harness: whole lines only,
# never the half line a worker is still writing, which would not decode.

my $t = KotTest->new;
my $log = $t->dir . '/audit.log';
is_deeply [ $t->audit_records($log, 'login') ], [],
    'a log not made yet has no records';
my @whole = (qq({"event.action":"login","n":1}\n), "\n",
             qq({"event.action":"logout","n":2}\n));
KotTest::_spew($log, join '', @whole, '{"event.action":"login","n"');
is_deeply [ map { $_->{n} } $t->audit_records($log, 'login') ], [1],
    'a last line not ended yet is not read as a record';
is_deeply [ map { $_->{n} } $t->audit_records($log) ], [1, 2],
    'without an action, every record of the log';
is_deeply [ $t->log_lines($log) ], \@whole,
    'its lines, as written, without the one not ended';

done_testing;
