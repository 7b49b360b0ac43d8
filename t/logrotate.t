# The audit log's rotation as a Debian server runs it: the shipped
# conf/logrotate.d/kot (/etc/logrotate.d/kot), run by logrotate itself,
# on an nginx whose workers are not root (www-data there, nobody here),
# with the log in a directory of root's, mode 0755, as the package makes
# /var/log/ngx_kot.  After each rotation nginx writes on in the new file,
# the worker's chain goes on there, and the files, rotated, compressed
# and live, verify together as one log.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;

my ($logrotate) = grep { -x } map { "$_/logrotate" }
                  split(/:/, $ENV{PATH}), '/usr/sbin';
plan skip_all => 'logrotate is missing: tools/deps test installs it'
    unless $logrotate;

my $t = KotTest->new(workers => 1);
my ($priv, $pub) = $t->auditor_keys;
my $repo = KotTest->repo;

# the workers (nobody) reach the log through these, as www-data reaches
# /var/log/ngx_kot
chmod 0711, $t->dir or die "chmod: $!";
my $logdir = $t->dir . '/log';
mkdir $logdir, 0755 or die "mkdir: $!";
chmod 0755, $logdir or die "chmod: $!";
my $log = "$logdir/kot-audit.jsonl";

my $n = $t->nginx(KotTest->site(
    http => "kot_audit_log $log buffer=64k flush=200ms;\n"
          . "    kot_audit_auditor_key $pub;"),
    user => 'nobody nogroup');
my ($w) = $n->worker_pids;
is +(stat "/proc/$w")[4], scalar(getpwnam 'nobody'),
    'the worker runs as nobody';
chmod 0711, $n->dir or die "chmod: $!";

# the shipped file, its two paths made this test's
my $shipped = KotTest::_slurp("$repo/conf/logrotate.d/kot");
my ($path) = $shipped =~ m{^(/\S+)\s*\{}m;
is $path, '/var/log/ngx_kot/kot-audit.jsonl', 'it rotates '
    . '/var/log/ngx_kot/kot-audit.jsonl';
my $conf = $t->dir . '/logrotate.conf';
my $pid = $n->dir . '/nginx.pid';
KotTest::_spew($conf, $shipped =~ s{\Q$path\E}{$log}r
                                =~ s{/run/nginx\.pid}{$pid}gr);

$t->add_user('acme', 'alice', 'correct horse battery');

# a failed login: a security event, on disk before its answer
sub failed_login ($name) {
    $n->ua->login(tenant => 'acme', username => $name, password => 'wrong');
}

sub logins_in ($file) {
    return map { $_->{'user.name'} } $t->audit_records($file, 'login');
}

failed_login('before');
is_deeply [ logins_in($log) ], ['before'], 'the log has the first login';

my $last = 0;
my @rotated;
for my $round (1, 2) {
    # the same day, another second: logrotate -f names files by the second
    KotTest::wait_until(sub { time > $last }, timeout => 3,
                        what => 'the next second');
    my $r = $t->_run([ $logrotate, '-f', '-s', $t->dir . '/logrotate.state',
                       $conf ], merge => 1);
    $last = time;
    is $r->{exit}, 0, "round $round: logrotate rotates the live log"
        or diag $r->{out};
    my @now = sort grep { $_ ne $log } glob "$log*";
    is scalar @now, $round, "  into a file named by the date ($round now)"
        or diag "@now";
    @rotated = @now;

    failed_login("after$round");
    KotTest::wait_until(sub { grep { $_ eq "after$round" } logins_in($log) },
                        what => "the login after rotation $round");
    pass "  the next login is written to the new file: nginx reopened it, "
        . 'its workers not root';
    my ($old) = grep { !/\.gz\z/ } @now;
    is_deeply [ grep { /^after/ } logins_in($old) ],
              [ $round == 1 ? () : ('after1') ],
        '  and not to the file rotated away';
}

like $rotated[0], qr/\.gz\z/, 'the older rotated file is compressed '
    . '(delaycompress: the newer one is not yet)';
unlike $n->error_log, qr/\[(?:alert|crit|emerg)\]/,
    'nginx\'s error log has no alert';

# one worker, one chain, from the first file to the live one
my %chains = map { $_->{'kot.chain'} => 1 } grep { $_->{'kot.chain'} }
             $t->audit_records($log), $t->audit_records($rotated[1]);
is scalar keys %chains, 1, 'the worker\'s chain goes on across the files';

my $v = $t->kotctl('audit', 'verify', '--auditor-private-key', $priv,
                   $log, @rotated);
is $v->{exit}, 0, 'kotctl audit verify passes on the live, rotated and '
    . 'compressed files together' or diag $v->{out}, $v->{err};
like $v->{out}, qr/^OK: 3 files, 1 chain, \d+ records verified/m,
    '  3 files, 1 chain';

done_testing;
