# The audit log when a write fails: a full disk (here /dev/full) loses
# nothing that the writer still holds.  Records that could not be written
# stay in the buffer and go out at the next write that works, so the
# chain goes on verifying, record 0 and every security event included.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;
use JSON::PP ();
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

my $json = JSON::PP->new->utf8;

sub records () {
    open my $fh, '<', $log or return ();
    return map { $json->decode($_) } grep { /\S/ } <$fh>;
}

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
    @recs = records();
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

done_testing;
