# The audit log is written, not read back: its pages leave the page cache
# once they are cache= old, and the log is whole and verifies after; with
# cache=keep they stay, as nginx's own logs' do.  fincore(1) reads what
# of a file is in the page cache.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;
use Time::HiRes qw(time sleep);

my $t = KotTest->new(workers => 1);
my ($priv, $pub) = $t->auditor_keys;

# tmpfs keeps a file's pages whatever it is told: they are the file
plan skip_all => 'the test directory is on tmpfs'
    if `stat -f -c %T $t->{dir}` =~ /tmpfs/;

sub cached_pages ($path) {
    my $out = `fincore --raw --noheadings --output PAGES $path 2>&1`;
    $out =~ /^\s*(\d+)\s*$/ or die "fincore $path: $out";
    return $1;
}

sub site ($name, $cache) {
    my $n = $t->nginx(KotTest->site(
        http => "kot_audit_log %%DIR%%/audit.log buffer=4k flush=100ms "
              . "cache=$cache;\n"
              . "    kot_audit_auditor_key $pub;\n"
              . '    kot_audit_requests on;'), name => $name);
    my $ua = $n->ua;
    $ua->login(tenant => 'acme', username => 'alice',
               password => 'correct horse battery');
    return ($n, $ua, "$t->{dir}/$name/audit.log");
}

$t->add_user('acme', 'alice', 'correct horse battery');

# about 2.5 KB a record: half a megabyte of log
my $path = '/' . ('x' x 2000);

sub fill ($ua) {
    $ua->get("$path?$_") for 1 .. 200;
}

# Requests go on, so that the log is written (the worker looks at its
# pages when it writes), until the pages of what fill() wrote are gone.
sub traffic_until ($ua, $cond, $timeout) {
    my $start = time;
    while (time - $start < $timeout) {
        return 1 if $cond->();
        $ua->get('/');
        sleep 0.2;
    }
    return $cond->();
}

my ($n, $ua, $log) = site('drop', '1s');
fill($ua);
my $pages = cached_pages($log);
cmp_ok $pages, '>=', 100, "the log's pages are cached as it is written"
    or diag "$pages pages";

my $start = time;
ok traffic_until($ua, sub { cached_pages($log) < 10 }, 20),
   'with cache=1s, they leave the page cache soon after'
    or diag cached_pages($log) . ' pages still cached';
my $took = time - $start;

$n->stop;
my $v = $t->kotctl('audit', 'verify', '--auditor-private-key', $priv, $log);
is $v->{exit}, 0, 'and the log is whole: it verifies' or diag $v->{out};
like $v->{out}, qr/^OK: 1 file, 1 chain, \d+ records verified$/m,
    'every record of it';

# (this tells keep from a short cache=, not from the default 60s, which
# would take a minute to show)
my ($k, $kua, $kept) = site('keep', 'keep');
fill($kua);
$pages = cached_pages($kept);
traffic_until($kua, sub { 0 }, $took + 2);
cmp_ok cached_pages($kept), '>=', $pages,
    "with cache=keep, they stay for as long and more";

done_testing;
