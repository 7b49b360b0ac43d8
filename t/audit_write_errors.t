# The audit log when a write fails: a full disk (here /dev/full) loses
# nothing that the writer still holds.  Records that could not be written
# stay in the buffer and go out at the next write that works, so the
# chain goes on verifying, record 0 and every security event included.
# Those that the buffer cannot hold are lost, and counted: the next
# record starts a new chain, which verifies.  Records still waiting when
# nginx stops get one last write at exit, to the path opened again: after
# a write cut short and a rotation, they start the new file.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;
use File::Path ();

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

my $elog = $t->dir . '/e/audit.log';
my $e = do {
    # past the limit, a write fails (EFBIG) rather than kill the worker
    local $SIG{XFSZ} = 'IGNORE';
    $t->nginx(KotTest->site(
        http => "kot_audit_log %%DIR%%/audit.log buffer=64k flush=200ms;\n"
              . "    kot_audit_auditor_key $pub;"), name => 'e');
};
my $eua = $e->ua;
$eua->login(tenant => 'acme', username => 'alice',
            password => 'correct horse battery');
# records, so that the error log, under the same limit, stays below it
$eua->get('/') for 1 .. 20;
KotTest::wait_until(sub { $t->audit_records($elog, 'request') >= 20 },
                    what => 'the request records on disk');
my $cut_at = (-s $elog) + 100;
my ($ew) = $e->worker_pids;
system('prlimit', "--pid=$ew", "--fsize=$cut_at") == 0
    or die "prlimit failed\n";
$eua->login(tenant => 'acme', username => 'alice', password => 'wrong');
KotTest::wait_until(sub { $e->error_log =~ /writing the audit log/ },
                    what => 'the write cut short');
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
