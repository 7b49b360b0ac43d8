# The audit log when a write fails: a full disk (here /dev/full) loses
# nothing that the writer still holds.  Records that could not be written
# stay in the buffer and go out at the next write that works, so the
# chain goes on verifying, record 0 and every security event included.
# Those that the buffer cannot hold are lost, and counted: the next
# record starts a new chain, which verifies.  Records still waiting when
# nginx stops get one last write at exit: through the descriptor the
# worker holds while its file is still the one at the path (a log only
# root may open included), else to the path opened again: after a write
# cut short and a rotation, they start the new file.  If the worker
# cannot open it, they go to the file rotated away, not to one removed.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;
use File::Path ();
use JSON::PP ();

my $t = KotTest->new(workers => 1);
my ($priv, $pub) = $t->auditor_keys;
my $dir = $t->dir . '/a';
my $log = "$dir/audit.log";

# the log is a full disk when nginx starts
File::Path::make_path($dir);
symlink '/dev/full', $log or die "symlink: $!";

my $n = $t->nginx(KotTest->site(
    http => "kot_audit_log %%DIR%%/audit.log buffer=64k flush=200ms;\n"
          . "    kot_audit_auditor_key $pub;"));

$t->add_user('acme', 'alice', 'correct horse battery');

KotTest::wait_until(sub { $n->error_log =~ /writing the audit log/ },
                    what => 'the failed write of record 0');

my $ua = $n->ua;
$ua->login(tenant => 'acme', username => 'alice', password => 'wrong');

# the disk has room again: a file, reopened
unlink $log or die "unlink: $!";
kill 'USR1', $n->pid;
KotTest::wait_until(sub { -f $log && !-l $log }, what => 'the reopened log');

$ua->login(tenant => 'acme', username => 'alice',
           password => 'correct horse battery');

my @recs;
KotTest::wait_until(sub {
    @recs = $t->audit_records($log);
    grep { $_->{'event.action'} eq 'login'
           && $_->{'event.outcome'} eq 'success' } @recs
}, what => 'the successful login in the log');

is $recs[0]{'event.action'}, 'chain_start',
    'record 0, written while the disk was full, is in the log';
ok scalar(grep { $_->{'event.action'} eq 'login'
                 && ($_->{'event.reason'} // '') eq 'bad_password' } @recs),
    'so is the failed login recorded while the disk was full';

$n->stop;

my $v = $t->kotctl('audit', 'verify', '--auditor-private-key', $priv, $log);
is $v->{exit}, 0, 'and the log verifies, the chain unbroken'
    or diag $v->{out}, $v->{err};

like $n->error_log, qr/writing the audit log "[^"]+" failed/,
    'the failed write was logged';


# an nginx named $name whose log, buffer $buffer, is a full disk from
# the start: it and the log's path, once record 0 failed to be written
sub full_disk ($name, $buffer) {
    my $path = $t->dir . "/$name/audit.log";
    File::Path::make_path($t->dir . "/$name");
    symlink '/dev/full', $path or die "symlink: $!";
    my $ng = $t->nginx(KotTest->site(
        http => "kot_audit_log %%DIR%%/audit.log buffer=$buffer "
              . "flush=200ms;\n    kot_audit_auditor_key $pub;"),
        name => $name);
    KotTest::wait_until(sub { $ng->error_log =~ /writing the audit log/ },
                        what => 'the failed write of record 0');
    return ($ng, $path);
}

# strace, attached to the worker $pid, makes its writes to $path fail
# with ENOSPC, those that $when counts ("1+": all, "1..2": the next two);
# it ends when the worker does, or at a TERM.  Returns its pid.
sub full_disk_for ($pid, $path, $when) {
    my $tracer = fork // die "fork: $!";
    if (!$tracer) {
        open STDOUT, '>', '/dev/null';
        open STDERR, '>', $t->dir . '/strace.err';
        exec 'strace', '-qq', '-o', '/dev/null', '-p', $pid,
             '-e', 'trace=write', '-P', $path,
             '-e', "inject=write:error=ENOSPC:when=$when";
        die "exec strace: $!";
    }
    KotTest::wait_until(sub {
        KotTest::_slurp("/proc/$pid/status") =~ /^TracerPid:\s*[1-9]/m
    }, what => 'strace attached');
    return $tracer;
}

# an nginx named $name, its workers running as nobody, whose log only
# root may open, with the record of a failed login waiting: it, the log's
# path and the worker's pid
sub root_only ($name) {
    File::Path::make_path($t->dir . "/$name");
    chmod 0711, $t->dir . "/$name" or die "chmod: $!";
    my $path = $t->dir . "/$name/audit.log";
    KotTest::_spew($path, '', 0600);
    my $ng = $t->nginx(KotTest->site(
        http => "kot_audit_log %%DIR%%/audit.log buffer=64k flush=1h;\n"
              . "    kot_audit_auditor_key $pub;"),
        name => $name, user => 'nobody nogroup');
    KotTest::wait_until(sub { $t->audit_records($path) },
                        what => 'record 0');
    my ($w) = $ng->worker_pids;
    is +(stat "/proc/$w")[4], scalar(getpwnam 'nobody'),
        "$name: the worker runs as nobody";

    my $tracer = full_disk_for($w, $path, '1+');
    $ng->ua->login(tenant => 'acme', username => 'alice',
                   password => 'wrong');
    KotTest::wait_until(sub { $ng->error_log =~ /writing the audit log/ },
                        what => 'the failed write of the login');
    kill 'TERM', $tracer;
    waitpid $tracer, 0;
    is_deeply [ map { $_->{'event.action'} } $t->audit_records($path) ],
        ['chain_start'], "$name: the login's record waits";

    return ($ng, $path, $w);
}


# an nginx named $name, flush= $flush, whose write of a failed login's
# record was cut short by a file size limit (as by a disk that fills up
# in the middle of it): it, the log's path, the worker's pid and the
# log's size
sub cut_short ($name, $flush) {
    my $path = $t->dir . "/$name/audit.log";
    my $ng = do {
        # past the limit, a write fails (EFBIG) rather than kill the worker
        local $SIG{XFSZ} = 'IGNORE';
        $t->nginx(KotTest->site(
            http => "kot_audit_log %%DIR%%/audit.log buffer=64k "
                  . "flush=$flush;\n    kot_audit_auditor_key $pub;"),
            name => $name);
    };
    my $ua = $ng->ua;

    # records, so that the error log, under the same limit, stays below
    # it; the second login writes them whatever the flush interval
    $ua->login(tenant => 'acme', username => 'alice',
               password => 'correct horse battery');
    $ua->get('/') for 1 .. 20;
    $ua->login(tenant => 'acme', username => 'alice',
               password => 'correct horse battery');
    KotTest::wait_until(sub { $t->audit_records($path, 'request') >= 20 },
                        what => 'the request records on disk');

    my $cut = (-s $path) + 100;
    my ($w) = $ng->worker_pids;
    # the soft limit only, which the worker's owner may raise again
    system('prlimit', "--pid=$w", "--fsize=$cut:unlimited") == 0
        or die "prlimit failed\n";
    $ua->login(tenant => 'acme', username => 'alice', password => 'wrong');
    KotTest::wait_until(sub { $ng->error_log =~ /writing the audit log/ },
                        what => 'the write cut short');

    return ($ng, $path, $w, $cut);
}

# records still waiting for a retry when nginx stops: one last attempt
# at exit, through the path opened again, writes them once the disk works

my ($c, $clog) = full_disk('c', '64k');
$c->ua->login(tenant => 'acme', username => 'alice', password => 'wrong');

# the disk works again: the path is a file, which nginx has not reopened
unlink $clog or die "unlink: $!";
$c->stop;

@recs = $t->audit_records($clog);
is_deeply [ map { $_->{'event.action'} } @recs ],
    ['chain_start', 'login', 'chain_end'],
    'records waiting for a retry when nginx stops are written at exit';
like $c->error_log,
    qr/kot: 3 audit records of chain $recs[0]{'kot.chain'} written at exit/,
    'and the error log says so';
$v = $t->kotctl('audit', 'verify', '--auditor-private-key', $priv, $clog);
is $v->{exit}, 0, 'the log verifies' or diag $v->{out}, $v->{err};


# a write cut short (by a file size limit here, as by a disk that fills
# up in the middle of it), then the log rotated away before nginx stops:
# the records waiting are written at exit to the new file at the path,
# from its start, without the newline kept to end the cut line, which
# belongs to the old file

my ($e, $elog, undef, $cut_at) = cut_short('e', '200ms');
is -s $elog, $cut_at, 'a write cut short leaves part of a record in the log';

rename $elog, "$elog.1" or die "rename: $!";
KotTest::_spew($elog, '', 0640);    # as logrotate's "create" makes it
$e->stop;

my $new = KotTest::_slurp($elog);
like $new, qr/\A\{/,
    'at exit, the records waiting start the new file at the path';
is scalar(grep { !/\A\{.*\}\n\z/ } split /(?<=\n)/, $new), 0,
    'each a whole line';
is_deeply [ map { $_->{'event.action'} } $t->audit_records($elog) ],
    ['login', 'chain_end'], 'the record cut short, whole, and the chain\'s end';
like $e->error_log,
    qr/kot: 2 audit records of chain \w+ written at exit, to "\Q$elog\E"/,
    'and the error log says so';

$v = $t->kotctl('audit', 'verify', '--auditor-private-key', $priv,
                "$elog.1", $elog);
my @whole = $t->log_lines("$elog.1");    # all but the line cut short
is $v->{out}, "$elog.1:" . (@whole + 1) . ": not an audit record\n",
    'verify reports the line cut short in the old file, as the README says';
my $whole = "$elog.whole";
KotTest::_spew($whole, join '', @whole);
$v = $t->kotctl('audit', 'verify', '--auditor-private-key', $priv,
                $whole, $elog);
is $v->{exit}, 0, 'without it, the chain verifies across the two files'
    or diag $v->{out}, $v->{err};


# a log that only root may write (nginx's master opens it; the workers,
# here "nobody", inherit the descriptor), records waiting when nginx
# stops: the last write goes through the descriptor the worker holds, as
# the file at the path is still that one, and not through the path,
# which the worker cannot open.  The writes fail while strace makes them
# (ENOSPC, a disk full): the login's, then the retry that the shutdown
# makes (the retry timer fires) and the exit's flush; the last write at
# exit works.

# strace makes the writes fail: without it, these are skipped
my $has_strace = system('strace -V >/dev/null 2>&1') == 0;

SKIP: {
    skip 'strace is missing', 19 unless $has_strace;

    # the workers reach the logs through these directories, not open them
    chmod 0711, $t->dir or die "chmod: $!";

    my ($f, $flog, $fw) = root_only('f');
    my $strace = full_disk_for($fw, $flog, '1..2');
    $f->stop;
    waitpid $strace, 0;

    @recs = $t->audit_records($flog);
    is_deeply [ map { $_->{'event.action'} } @recs ],
        ['chain_start', 'login', 'chain_end'],
        'records waiting when nginx stops are written at exit to a log that '
        . 'only root may open';
    like $f->error_log,
        qr/kot: 2 audit records of chain $recs[0]{'kot.chain'} (?#
           )written at exit, (?#
           )to "\Q$flog\E"(?! opened)/,
        'through the descriptor the worker holds, as the error log says';
    $v = $t->kotctl('audit', 'verify', '--auditor-private-key', $priv, $flog);
    is $v->{exit}, 0, 'the log verifies' or diag $v->{out}, $v->{err};


    # the same, the log rotated away before nginx stops, and the new file at
    # the path one that only root may open (logrotate's "create 0600 root
    # root"): the records go to the file rotated away, rather than nowhere

    my ($g, $glog, $gw) = root_only('g');
    rename $glog, "$glog.1" or die "rename: $!";
    KotTest::_spew($glog, '', 0600);
    $strace = full_disk_for($gw, "$glog.1", '1..2');
    $g->stop;
    waitpid $strace, 0;

    @recs = $t->audit_records("$glog.1");
    is_deeply [ map { $_->{'event.action'} } @recs ],
        ['chain_start', 'login', 'chain_end'],
        'if the new file at the path cannot be opened, the records waiting '
        . 'go to the file rotated away';
    is -s $glog, 0, 'none to the new file';
    like $g->error_log,
        qr/kot: 2 audit records of chain $recs[0]{'kot.chain'} (?#
           )written at exit, (?#
           )to the file rotated away from "\Q$glog\E", as the path cannot be (?#
           )opened \(13: /,
        'the error log says which file got them, and why';
    $v = $t->kotctl('audit', 'verify', '--auditor-private-key', $priv,
                    "$glog.1");
    is $v->{exit}, 0, 'that file verifies' or diag $v->{out}, $v->{err};


    # the same, the log removed before nginx stops, and the directory one
    # where the worker cannot create it: the records waiting are lost, said
    # so, rather than written to a file that no one will read

    my ($i, $ilog, $iw) = root_only('i');
    unlink $ilog or die "unlink: $!";
    $strace = full_disk_for($iw, $ilog, '1..2');
    $i->stop;
    waitpid $strace, 0;
    like $i->error_log,
        qr/kot: 2 audit records of chain \w+ lost at exit, as "\Q$ilog\E" (?#
           )cannot be written \(opened again, nor the file rotated away or (?#
           )removed from it\) \(13: /,
        'records waiting for a log removed are lost at exit, if the path '
        . 'cannot be opened';


    # a write cut short, the log not rotated: at exit, the records waiting
    # go through the descriptor the worker holds, after a newline that ends
    # the line cut short, so that each starts a line of its own

    my ($h, $hlog, $hw, $hcut) = cut_short('h', '1h');
    is -s $hlog, $hcut, 'a write cut short leaves part of a record in the log';

    # the disk has room again, but only the last write at the stop works
    system('prlimit', "--pid=$hw", '--fsize=unlimited') == 0
        or die "prlimit failed\n";
    $strace = full_disk_for($hw, $hlog, '1..2');
    $h->stop;
    waitpid $strace, 0;

    like $h->error_log,
        qr/kot: 2 audit records of chain \w+ written at exit, (?#
           )to "\Q$hlog\E"(?! opened)/,
        'at exit, the records waiting are written to the same file';
    my @hlines = split /(?<=\n)/, KotTest::_slurp($hlog);
    my @hwhole = grep { /\A\{.*\}\n\z/ } @hlines;
    is @hlines - @hwhole, 1,
        'each on a line of its own, after the line cut short, ended';
    is_deeply [ map { JSON::PP::decode_json($_)->{'event.action'} }
                    @hlines[-2, -1] ],
        ['login', 'chain_end'],
        'the record cut short, whole, and the chain\'s end';
    $v = $t->kotctl('audit', 'verify', '--auditor-private-key', $priv, $hlog);
    is $v->{out}, "$hlog:" . (@hlines - 2) . ": not an audit record\n",
        'verify reports only the line cut short';
    my ($cut, $last) = (@hlines - 2, scalar @hlines);
    like $v->{err}, qr/^note: \Q$hlog\E: @{[ $last - 1 ]} lines verified (?#
                       )\(lines 1-@{[ $cut - 1 ]}, @{[ $cut + 1 ]}-$last\), (?#
                       )1 not \(lines $cut\)$/m,
        'and goes on past it: every other line verifies, without the '
        . 'auditor removing it';
}


# at a reload, the disk still full: the old worker's records are lost,
# and the error log says how many, and of which chain

my ($d, $dlog) = full_disk('d', '64k');
$d->ua->login(tenant => 'acme', username => 'alice', password => 'wrong');
$d->reload;
ok KotTest::wait_until(sub { $d->error_log =~ /lost at exit/ },
                       what => 'the loss at exit'),
    'records that cannot be written at a reload are reported lost';
my $lost_re = 'kot: (\d+) audit records of chain ([0-9a-f]{16}) lost at exit, '
    . 'as "([^"]+)" cannot be written';
my ($dlost, $dchain, $dpath) = $d->error_log =~ /$lost_re/;
is $dlost, 3, 'how many: record 0, the login and the chain\'s end';
ok $dchain, 'in which chain';
is $dpath, $dlog, 'and which log';
$d->stop;


# a buffer too small to keep what could not be written

my ($m, $blog) = full_disk('b', '1k');

# record 0 and this one do not fit in 1k: both lost
$m->ua->login(tenant => 'acme', username => 'alice', password => 'wrong');
KotTest::wait_until(sub { $m->error_log =~ /audit records of chain \w+ lost/ },
                    what => 'the records lost');
my ($lost, $old) = $m->error_log
    =~ /kot: (\d+) audit records of chain ([0-9a-f]{16}) lost/;
cmp_ok $lost, '>=', 2, "the records lost are counted ($lost)";

unlink $blog or die "unlink: $!";
kill 'USR1', $m->pid;
KotTest::wait_until(sub { -f $blog && !-l $blog }, what => 'the reopened log');

$m->ua->login(tenant => 'acme', username => 'alice',
              password => 'correct horse battery');

KotTest::wait_until(sub {
    @recs = $t->audit_records($blog);
    grep { $_->{'event.action'} eq 'login'
           && $_->{'event.outcome'} eq 'success' } @recs
}, what => 'the successful login in the log');

is $recs[0]{'event.action'}, 'chain_start',
    'the next record starts a new chain';
isnt $recs[0]{'kot.chain'}, $old, 'another than the one that lost records';
is $recs[0]{'kot.lost_records'}, $lost,
    'its record 0 counts the records lost';
is $recs[0]{'kot.lost_chain'}, $old, 'and names their chain';

$m->stop;

$v = $t->kotctl('audit', 'verify', '--auditor-private-key', $priv, $blog);
is $v->{exit}, 0, 'the log verifies: the new chain is whole'
    or diag $v->{out}, $v->{err};

done_testing;
