# The audit log from the auditor's side: kotctl's own records of its
# actions, and "kotctl audit verify" and "audit query" over them.  Every
# kind of tampering must be reported where it happened; a clean log,
# rotated and partly gzip'd, must verify.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;
use Cwd ();
use Digest::SHA qw(sha256 sha256_hex hmac_sha256);
use JSON::PP ();
use MIME::Base64 ();
use POSIX ();
use Time::HiRes ();

my $t = KotTest->new;
my $dir = $t->dir;
my ($priv, $pub) = $t->auditor_keys;
my $log = "$dir/audit.log";
my $json = JSON::PP->new->utf8->allow_nonref->canonical;
my $me = getpwuid($>) // "uid=$>";
delete $ENV{SUDO_USER};    # the actor below is the test's own user


sub slurp ($path) {
    open my $fh, '<:raw', $path or die "$path: $!\n";
    local $/;
    return scalar <$fh>;
}

sub spew ($path, @lines) {
    open my $fh, '>:raw', $path or die "$path: $!\n";
    print {$fh} @lines;
    close $fh or die "$path: $!\n";
}

sub lines ($path) {
    return split /(?<=\n)/, slurp($path);
}

sub run (@cmd) {
    my $r = $t->_run(\@cmd, merge => 1);
    die "@cmd: $r->{out}" if $r->{exit};
    return $r;
}

sub verify (@args) {
    my $key = ref $args[0] ? ${ shift @args } : $priv;
    return $t->kotctl('audit', 'verify', '--auditor-private-key', $key, @args);
}

sub query (@args) {
    return $t->kotctl('audit', 'query', @args);
}

sub audited (@args) {
    my $r = $t->kotctl('--audit-log', $log, '--auditor-public-key', $pub,
                       @args);
    die "kotctl @args: $r->{err}" if $r->{exit};
    return $r;
}

sub chain_of ($line) {
    return $json->decode($line)->{'kot.chain'};
}

# When Redis last saw the chain written, as verify names it (and as
# --until takes it).
sub anchored_at ($id) {
    my $ms = $t->redis('ZSCORE', 'kot:v1:audit:chains', $id);
    my @tm = gmtime int($ms / 1000);
    return sprintf '%04d-%02d-%02dT%02d:%02d:%02d.%03dZ', $tm[5] + 1900,
        $tm[4] + 1, @tm[3, 2, 1, 0], $ms % 1000;
}

# An anchor without a host is one written before anchors named it.
sub missing ($id, $seq, $file, $host = undef) {
    return "chain $id is missing: Redis saw its record $seq written to "
        . "$file" . (defined $host ? " on $host" : '') . " at "
        . anchored_at($id) . ", and the files hold none of its records\n";
}


# ---------------------------------------------------------------------
# An independent writer of the format, from docs/audit.md alone, for
# records kotctl cannot be made to write: hostile values, long chains,
# chosen times.  Poly1305 through the openssl command; HMAC-SHA256 for
# the chains written before it, which verify must still accept.
# ---------------------------------------------------------------------

sub random_bytes ($n) {
    open my $fh, '<:raw', '/dev/urandom' or die "urandom: $!\n";
    read($fh, my $b, $n) == $n or die "urandom: short read\n";
    return $b;
}

sub fingerprint ($pub_path) {
    run('openssl', 'pkey', '-pubin', '-in', $pub_path, '-outform', 'DER',
        '-out', "$dir/pub.der");
    return substr(sha256_hex(slurp("$dir/pub.der")), 0, 16);
}

my $fingerprint = fingerprint($pub);

sub writer ($pub_path = $pub, $alg = 'poly1305') {
    my $w = { key => random_bytes(32), seq => 0, alg => $alg,
              mac => "\0" x ($alg eq 'poly1305' ? 16 : 32),
              id => unpack('H*', random_bytes(8)) };

    spew("$dir/k0", $w->{key});
    run('openssl', 'pkeyutl', '-encrypt', '-pubin', '-inkey', $pub_path,
        '-pkeyopt', 'rsa_padding_mode:oaep', '-pkeyopt', 'rsa_oaep_md:sha256',
        '-pkeyopt', 'rsa_mgf1_md:sha256', '-in', "$dir/k0",
        '-out', "$dir/k0.sealed");
    unlink "$dir/k0";
    $w->{sealed} = MIME::Base64::encode_base64(slurp("$dir/k0.sealed"), '');
    $w->{fpr} = fingerprint($pub_path);

    return $w;
}

# A value as the writers spell it (docs/audit.md): besides what JSON
# escapes, DEL, C1 controls, U+2028 and U+2029 never appear raw.
my $chars = JSON::PP->new->allow_nonref->canonical;

sub encode ($v) {
    my $s = $chars->encode($v);
    $s =~ s/([\x7f-\x9f\x{2028}\x{2029}])/sprintf '\\u%04x', ord $1/ge;
    utf8::encode($s);
    return $s;
}

# One line: the members in the order given, then the MAC.
sub record ($w, $ts, @members) {
    my @m = ('@timestamp' => $ts, 'event.sequence' => \$w->{seq},
             'kot.chain' => $w->{id}, @members);
    my @parts;

    # a number is passed as a reference to it
    while (my ($k, $v) = splice @m, 0, 2) {
        my $text = ref $v eq 'SCALAR' ? ${$v} : encode($v);
        push @parts, encode($k) . ':' . $text;
    }

    my $s = '{' . join(',', @parts) . '}';
    my $mac = mac($w, $w->{mac} . $s);

    $w->{key} = sha256($w->{key});
    $w->{mac} = $mac;
    $w->{seq}++;

    return substr($s, 0, -1) . ',"kot.mac":"' . unpack('H*', $mac) . "\"}\n";
}

sub mac ($w, $m) {
    return hmac_sha256($m, $w->{key}) if $w->{alg} eq 'hmac-sha256';

    spew("$dir/m", $m);
    my $out = run('openssl', 'mac', '-macopt',
                  'hexkey:' . unpack('H*', $w->{key}), '-in', "$dir/m",
                  'POLY1305')->{out};
    return pack 'H*', $out =~ /^([0-9A-F]{32})$/m ? $1 : die "mac: $out";
}

sub chain_start ($w, $ts, $hostname = 'test') {
    return record($w, $ts, 'event.action' => 'chain_start',
                  'kot.sealed_key' => $w->{sealed},
                  'kot.auditor_key' => $w->{fpr},
                  'host.hostname' => $hostname, 'process.pid' => \$$,
                  $w->{alg} eq 'poly1305' ? ('kot.mac_alg' => 'poly1305')
                                          : ());
}

sub anchor ($w, $file) {
    $t->redis('HSET', "kot:v1:audit:$w->{id}", 'seq', $w->{seq} - 1,
              'mac', unpack('H*', $w->{mac}), 'ts', int(Time::HiRes::time()
              * 1000), 'file', $file);
}


# ---------------------------------------------------------------------
# kotctl records its own actions
# ---------------------------------------------------------------------

is $t->kotctl('tenant', 'add', 'acme')->{exit}, 0, 'a tenant to work on';

my $r = $t->kotctl('--audit-log', $log, 'allowlist', 'acme', 'access',
                   'add', '10.0.0.0/8');
is $r->{exit}, 2,
    'kotctl with --audit-log but no --auditor-public-key refuses';
like $r->{err}, qr/--audit-log needs --auditor-public-key/,
    'and says what is missing';
is $t->redis('EXISTS', 'kot:v1:al:acme:access'), 0,
    'before anything was changed';
ok !-e $log, 'and without starting a log';

$r = $t->kotctl('--audit-log', $log, '--auditor-public-key',
                "$dir/nosuch.pem", 'allowlist', 'acme', 'access', 'add',
                '10.0.0.0/8');
is $r->{exit}, 1, 'an unreadable auditor key is refused';
like $r->{err}, qr/cannot read the auditor key ".*nosuch\.pem"/,
    'with the path';
is $t->redis('EXISTS', 'kot:v1:al:acme:access'), 0, 'also before acting';

$r = $t->kotctl('--audit-log', $log, '--auditor-public-key', $priv,
                'allowlist', 'acme', 'access', 'add', '10.0.0.0/8');
like $r->{err}, qr/is not a PEM public key/,
    'the private key in place of the public one is refused';

audited('allowlist', 'acme', 'access', 'add', '10.0.0.0/8');
audited('allowlist', 'acme', 'access', 'add', '192.0.2.0/24');
audited('allowlist', 'acme', 'admin', 'set', '10.1.0.0/16');
audited('allowlist', 'acme', 'access', 'remove', '192.0.2.0/24');

my @l = lines($log);
is scalar @l, 12, 'four runs write four chains of three records';

my @rec = map { $json->decode($_) } @l;
my @ids = map { $rec[$_ * 3]{'kot.chain'} } 0 .. 3;
is scalar(keys %{{ map { $_ => 1 } @ids }}), 4, 'each run its own chain';
is_deeply [ map { $_->{'event.action'} } @rec[0 .. 2] ],
    [ 'chain_start', 'allowlist_changed', 'chain_end' ],
    'chain_start, the action, chain_end';
is_deeply [ map { $_->{'event.sequence'} } @rec[3 .. 5] ], [ 0, 1, 2 ],
    'numbered from 0';
is $rec[0]{'kot.auditor_key'}, $fingerprint,
    'record 0 names the auditor key by its fingerprint';
like $rec[0]{'kot.sealed_key'}, qr/^[A-Za-z0-9+\/]{342}==$/,
    'and carries K_0 sealed to it';
is $rec[1]{'user.name'}, "kotctl:$me", 'the actor is kotctl and the OS user';
is $rec[1]{'organization.id'}, 'acme', 'the tenant';
is $rec[1]{'event.category'}, 'configuration', 'the category';
is $rec[1]{'event.outcome'}, 'success', 'the outcome';
is $rec[1]{'kot.change'}{list}, 'access', 'the change as an object';
like $l[1], qr/^\{"\@timestamp":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z",(?x)
    "event\.sequence":1,"kot\.chain":"[0-9a-f]{16}","event\.action":/,
    'the leading fields in the documented order';
like $l[1], qr/,"kot\.mac":"[0-9a-f]{32}"\}\n\z/,
    'and the MAC last, a Poly1305 tag';
is $rec[0]{'kot.mac_alg'}, 'poly1305', 'record 0 names the MAC algorithm';
is $rec[0]{'service.version'}, KotTest->version,
    'and the kotctl that wrote it, debian/changelog\'s version '
    . '(service.version)';
ok !(grep { !/\A[^\n]*\n\z/ } @l), 'every record is one line';
is +(stat $log)[2] & 0777, 0640 & ~umask, 'the log is created mode 0640';

my $host = $rec[0]{'host.hostname'};
my %anchor = @{ $t->redis('HGETALL', "kot:v1:audit:$ids[3]") };
is $anchor{seq}, 2, 'the chain head is anchored in Redis';
is $anchor{file}, Cwd::abs_path($log), 'with the log\'s absolute path';
ok length $host && $anchor{host} eq $host,
    'and the host that wrote it, as its records name it';
ok $t->redis('TTL', "kot:v1:audit:$ids[3]") > 399 * 86400,
    'kept for 400 days';
ok defined $t->redis('ZSCORE', 'kot:v1:audit:chains', $ids[0]),
    'and listed among the chains';


# ---------------------------------------------------------------------
# verify: a clean log, and each kind of tampering
# ---------------------------------------------------------------------

$r = verify($log);
is $r->{exit}, 0, 'a clean log verifies';
is $r->{out}, "OK: 1 file, 4 chains, 12 records verified\n",
    'with the counts of files, chains and records';

sub tampered ($name, @lines) {
    my $f = "$dir/$name.log";
    spew($f, @lines);
    return $f;
}

my @x = @l;
$x[4] =~ s/"organization\.id":"acme"/"organization.id":"acmf"/ or die;
my $f = tampered('flipped', @x);
$r = verify($f);
is $r->{exit}, 1, 'one byte changed in a record fails';
is $r->{out}, "$f:5: record 1 of chain $ids[1] was altered (its MAC does "
    . "not match)\n", 'reported as altered, at its file and line';

@x = @l;
substr($x[7], -10, 1) =~ tr/0-9a-f/1-9a-f0/;
$f = tampered('mac', @x);
is verify($f)->{out}, "$f:8: record 1 of chain $ids[2] was altered (its "
    . "MAC does not match)\n$f:9: record 2 of chain $ids[2] does not "
    . "verify with the MAC that record 1 states: one of the two was "
    . "altered\n", 'so is a changed MAC, which the next record no longer '
    . 'verifies with';

@x = @l;
splice @x, 4, 1;
$f = tampered('deleted', @x);
$r = verify($f);
is $r->{exit}, 1, 'a deleted record fails';
is $r->{out}, "$f:5: record 1 of chain $ids[1] is missing (expected 1, "
    . "found 2)\n", 'reported as missing where it was';

@x = @l;
@x[4, 5] = @x[5, 4];
$f = tampered('swapped', @x);
is verify($f)->{out}, "$f:5: record 2 of chain $ids[1] is out of order "
    . "(expected 1, which comes later, at $f:6)\n",
    'two swapped records are out of order, at the first of them';

@x = @l;
splice @x, 5, 0, $x[4];
$f = tampered('repeated', @x);
is verify($f)->{out}, "$f:6: record 1 of chain $ids[1] is out of order or "
    . "repeated (expected 2)\n", 'a repeated record is reported';

@x = @l;
@x[2, 3] = @x[3, 2];
$f = tampered('interleaved', @x);
is verify($f)->{exit}, 0,
    'chains may interleave: only the order within a chain counts';

@x = @l;
splice @x, 10, 2;
$f = tampered('cut', @x);
$r = verify($f);
is $r->{exit}, 1, 'a log whose tail was cut off fails';
is $r->{out}, "chain $ids[3]: its tail is missing: the files end at record "
    . "0 ($f:10), Redis saw record 2 written to " . Cwd::abs_path($log)
    . " on $host\n",
    'reported against the chain\'s anchor in Redis, with the line where '
    . 'the files end';
is verify('--no-anchors', $f)->{exit}, 0,
    'which only the anchor can show';

# Whoever can write the log can also seal a new K_0 to the auditor's
# public key, which is on the web host: a chain replaced under its own
# id has every MAC right, and only the record Redis anchored differs.
sub replaced ($name, $id, $records) {
    my $w = writer();
    $w->{id} = $id;
    my @c = chain_start($w, $rec[3]{'@timestamp'});
    push @c, record($w, $rec[3]{'@timestamp'},
                    'event.action' => 'allowlist_changed',
                    'organization.id' => 'acme') for 2 .. $records;
    my @x = @l;
    splice @x, 3, 3, @c;
    return tampered($name, @x);
}

my $where = Cwd::abs_path($log) . " on $host";
$f = replaced('replaced-longer', $ids[1], 5);
$r = verify($f);
is $r->{exit}, 1, 'a chain replaced by a longer one under its id fails';
is $r->{out}, "$f:6: record 2 of chain $ids[1] is not the one Redis saw "
    . "written to $where\n",
    'naming the record that Redis saw written, where the files have it';
is verify('--no-anchors', $f)->{exit}, 0,
    'which only the anchor can show';

$f = replaced('replaced-same', $ids[1], 3);
is verify($f)->{out}, "$f:6: record 2 of chain $ids[1] is not the one "
    . "Redis saw written to $where\n",
    'so is one of the same length';

@x = @l;
splice @x, 3, 3;
$f = tampered('chain-removed', @x);
$r = verify($f);
is $r->{out}, missing($ids[1], 2, Cwd::abs_path($log), $host),
    'a whole run cut out of the log is reported too';

$f = tampered('newest-cut', @l[0 .. 8]);
$r = verify($f);
is $r->{exit}, 1, 'a log whose newest run was cut off fails';
is $r->{out}, missing($ids[3], 2, Cwd::abs_path($log), $host),
    'naming the run\'s chain and the last record Redis saw of it';
like $r->{err}, qr/if the log was rotated, give the rotated files too/,
    'with a word on what else could explain it';

$f = tampered('newest-two-cut', @l[0 .. 5]);
is verify($f)->{out}, missing($ids[2], 2, Cwd::abs_path($log), $host)
    . missing($ids[3], 2, Cwd::abs_path($log), $host),
    'every chain missing is named, oldest first';

$r = verify('--until', anchored_at($ids[3]), "$dir/newest-cut.log");
is $r->{out}, "OK: 1 file, 3 chains, 9 records verified\n",
    'files that end before a run, with --until, do not need it';
$r = verify('--until', anchored_at($ids[3]), "$dir/cut.log");
is $r->{out}, "OK: 1 file, 4 chains, 10 records verified\n",
    'nor the tail of a chain written on after --until';
like $r->{err}, qr/1 of the chains were written on after --until/,
    'which verify says it could not check';
is verify('--until', 'yesterday', $log)->{exit}, 2,
    '--until takes a time';

@x = @l;
splice @x, 4, 0, "this is not JSON\n";
$f = tampered('garbage', @x);
is verify($f)->{out}, "$f:5: not an audit record\n",
    'a line that is not a record';

@x = @l;
splice @x, 4, 0, ('x' x (2 * 1024 * 1024)) . "\n";
$f = tampered('long', @x);
is verify($f)->{out}, "$f:5: not an audit record (a line longer than "
    . "1048576 bytes)\n", 'a huge line is refused, not cut';

# verify goes on past a problem: an auditor wants to know whether all the
# rest is intact.  A write cut short (a full disk), its records written
# again whole after it, and later a record altered: both are named, and
# every other line is verified.
@x = @l;
splice @x, 4, 0, substr($l[4], 0, 40) . "\n";
$x[11] =~ s/"organization\.id":"acme"/"organization.id":"acmf"/ or die;
$f = tampered('cut-then-altered', @x);
$r = verify($f);
is $r->{exit}, 1, 'a line cut short fails';
is $r->{out}, "$f:5: not an audit record\n$f:12: record 1 of chain $ids[3] "
    . "was altered (its MAC does not match)\n",
    'and verify goes on past it, naming the record altered after it too';
like $r->{err}, qr/^note: \Q$f\E: 11 lines verified \(lines 1-4, 6-11, (?x)
    13\), \s 2 \s not \s \(lines \s 5, \s 12\)$/m,
    'and says which lines verified and which did not';

# a line cut short and not written again (a crash): its record is missing,
# the record after it cannot be checked (its MAC covers the one lost), and
# the chain is verified again from the record after that
@x = @l;
$x[4] = substr($l[4], 0, 40) . "\n";
splice @x, 9, 0, splice(@x, 10, 1);    # and chain 4's records 0 and 1
$f = tampered('cut-then-swapped', @x);
$r = verify($f);
is $r->{out}, "$f:5: not an audit record\n$f:6: record 1 of chain $ids[1] is "
    . "missing (expected 1, found 2)\n$f:10: chain $ids[3] starts without "
    . "its chain_start record (its first record here is record 1; are older "
    . "files missing? give them too)\n",
    'each problem is named, in the order of the lines';
like $r->{err}, qr/^note: \Q$f\E: 7 lines verified \(lines 1-4, 7-9\),(?x)
    \s 5 \s not \s \(lines \s 5-6, \s 10-12\)$/m,
    'the chain that could not be read from its start is not verified';

# a line cut short that nothing ended (a crash, a power loss): the next
# run's record 0 follows it on the same line, and its chain verifies
@x = (@l[0 .. 2], substr($l[3], 0, 60) . $l[6], @l[7 .. 11]);
$f = tampered('cut-then-restarted', @x);
$r = verify($f);
is $r->{out}, "$f:4: not an audit record (60 bytes of a line cut short, "
    . "then a record on the same line, as after a crash: checked as a line "
    . "of its own)\n" . missing($ids[1], 2, Cwd::abs_path($log), $host),
    'a line cut short, then a new chain\'s record 0: the line is named, and '
    . 'the chain cut off';
like $r->{err}, qr/^note: \Q$f\E: 8 lines verified \(lines 1-3, 5-9\), 1 (?x)
    not \s \(lines \s 4\)$/m,
    'and the chain that started on that line verifies';
like $r->{err}, qr/: 9 records verified$/m, 'its record 0 with it';

# a copy of the log with CRLF line ends (saved on Windows, or sent through
# a text-mode transfer): no writer writes a CR, so without it each line is
# the one written
(my $crlf = join '', @l) =~ s/\n/\r\n/g;
$f = "$dir/crlf.log";
spew($f, $crlf);
$r = verify($f);
is $r->{exit}, 0, 'a copy with CRLF line ends verifies as the original';
is $r->{out}, "OK: 1 file, 4 chains, 12 records verified\n",
    'every record of it';
like $r->{err}, qr/^note: \Q$f\E has CRLF line ends: it is a copy (?x)
    .* does \s not \s verify \s as \s it \s is .* sed \s 's\/\\r\$\/\/'/m,
    'and verify says that the file is a converted copy, and how to get the '
    . 'original bytes';
$r = $t->_run(['sh', '-c', q{sed 's/\r$//' "$0" > "$1"}, $f,
               "$dir/crlf-restored.log"]);
is slurp("$dir/crlf-restored.log"), join('', @l),
    'which gives the original file, byte for byte';
is verify("$dir/crlf-restored.log")->{out},
    "OK: 1 file, 4 chains, 12 records verified\n", 'and that verifies';

# one line given a CR, in a file that has none: changed after it was written
@x = @l;
$x[7] =~ s/\n/\r\n/;
$f = tampered('one-cr', @x);
$r = verify($f);
is $r->{exit}, 1, 'a CR added to one line fails';
is $r->{out}, "$f:8: the line ends in CRLF, unlike the file's first "
    . "record: a CR was added after it was written (its record verifies "
    . "without it)\n", 'naming the line';

@x = map { s/\n/\r\n/r } @l;
$x[7] =~ s/\r\n/\n/;
$f = tampered('one-lf', @x);
like verify($f)->{out}, qr/^\Q$f\E:8: the line ends in LF alone, unlike(?x)
    \s the \s file's \s first \s record/,
    'and so is one line without it in a CRLF copy';

# what decides is the first record, not a line cut short before it
$f = tampered('crlf-after-cut', "{\"\@timestamp\":\"2026\n",
              map { s/\n/\r\n/r } @l);
$r = verify($f);
is $r->{out}, "$f:1: not an audit record\n",
    'a CRLF copy whose first line was cut short: only that line is named';
like $r->{err}, qr/^note: \Q$f\E has CRLF line ends/m, 'and the copy noted';

# a sequence number too far on: the keys up to it are not computed (a
# SHA-256 each), and verify says that it cannot follow the chain
{
    my $fw = writer();
    my @c = (chain_start($fw, '2026-11-26T10:00:00.000Z'),
             record($fw, '2026-11-26T10:00:01.000Z', 'event.action' => 'x'));
    $fw->{seq} = 10**15;
    push @c, record($fw, '2026-11-26T10:00:02.000Z', 'event.action' => 'x');
    $f = tampered('far', @c);
    is verify('--no-anchors', $f)->{out}, "$f:3: records 2 to "
        . (10**15 - 1) . " of chain $fw->{id} are missing (expected 2, "
        . "found @{[ 10**15 ]})\n$f:3: chain $fw->{id} cannot be verified "
        . "from record @{[ 10**15 ]} on: its keys cannot be followed that "
        . "far\n", 'a record numbered too far on: verify says it cannot '
        . 'follow';
}

$f = tampered('headless', @l[4 .. 11]);
like verify($f)->{out}, qr/^\Q$f\E:1: chain $ids[1] starts without its (?x)
    chain_start \s record/, 'a chain without its start';

# a log emptied in place: nothing left to check, but Redis remembers it
my $kl = "$dir/emptied.log";
my @kl_ids;
for my $cidr ('10.5.0.0/16', '10.6.0.0/16') {
    $r = $t->kotctl('--audit-log', $kl, '--auditor-public-key', $pub,
                    'allowlist', 'acme', 'admin', 'add', $cidr);
    die "kotctl: $r->{err}" if $r->{exit};
    push @kl_ids, chain_of((lines($kl))[-1]);
}
is verify($kl)->{exit}, 0, 'a log of two runs verifies';
truncate $kl, 0 or die "$kl: $!";
$r = verify($kl);
is $r->{exit}, 1, 'emptied in place, it fails';
is $r->{out},
    join('', map { missing($_, 2, Cwd::abs_path($kl), $host) } @kl_ids),
    'naming each chain Redis saw written to it';

# on an auditor's machine, where the web host's path does not exist, the
# file given goes by its name
my $away = "/nonexistent-kot-host/$$/emptied.log";
my $stray = unpack 'H*', random_bytes(8);
$t->redis('HSET', "kot:v1:audit:$stray", 'seq', 7, 'mac', '0' x 32, 'ts',
          int(Time::HiRes::time() * 1000), 'file', $away);
$t->redis('ZADD', 'kot:v1:audit:chains', int(Time::HiRes::time() * 1000),
          $stray);
mkdir "$dir/copy" or die "$dir/copy: $!";
spew("$dir/copy/emptied.log");
is verify("$dir/copy/emptied.log")->{out}, missing($stray, 7, $away),
    'an empty copy is matched by its name to a path not found here, not '
    . 'to another file that is here';
spew("$dir/copy/other.log");
is verify("$dir/copy/other.log")->{exit}, 0,
    'and an empty file of another name is nothing Redis knows of';
$t->redis('ZREM', 'kot:v1:audit:chains', $stray);


# ---------------------------------------------------------------------
# nodes that share one Redis and write their logs under one path
# ---------------------------------------------------------------------

# Node B is this kotctl under another host name, with a directory of its
# own mounted over the shared one: what it leaves in Redis is what a
# second web node leaves, written by the same code.
my $shared = "$dir/node/kot-audit.log";
my $b_log = "$dir/node-b/kot-audit.log";
mkdir "$dir/$_" or die "$dir/$_: $!" for 'node', 'node-b';
spew("$dir/node-b.sh", "#!/bin/sh\nexec unshare --uts --mount sh -c "
     . q{'hostname node-b && mount --bind "$0" "$1" && shift && exec "$@"'}
     . " $dir/node-b $dir/node $KotTest::KOTCTL \"\$@\"\n");
chmod 0755, "$dir/node-b.sh" or die "$dir/node-b.sh: $!";

my @runs;    # [ chain, host ], in the order written

sub on_node ($node, $cidr) {
    local $KotTest::KOTCTL = $node eq 'b' ? "$dir/node-b.sh"
                                          : $KotTest::KOTCTL;
    my $r = $t->kotctl('--audit-log', $shared, '--auditor-public-key', $pub,
                       'allowlist', 'acme', 'admin', 'add', $cidr);
    die "kotctl on node $node: $r->{err}" if $r->{exit};
    my $l = $node eq 'b' ? $b_log : $shared;
    push @runs, [ chain_of((lines($l))[-1]), $node eq 'b' ? 'node-b' : $host ];
}

on_node('a', '10.20.0.0/16');
on_node('b', '10.21.0.0/16');
on_node('a', '10.22.0.0/16');
on_node('b', '10.23.0.0/16');

my %b_anchor = @{ $t->redis('HGETALL', "kot:v1:audit:$runs[1][0]") };
is_deeply [ $json->decode((lines($b_log))[0])->{'host.hostname'},
            @b_anchor{'file', 'host'} ],
    [ 'node-b', Cwd::abs_path($shared), 'node-b' ],
    'node B\'s anchors name the path node A writes to, and node B';

$r = verify($shared);
is $r->{out}, "OK: 1 file, 2 chains, 6 records verified\n",
    'node A\'s log verifies alone, though Redis saw node B write chains to '
    . 'the same path';
is verify($b_log)->{out}, "OK: 1 file, 2 chains, 6 records verified\n",
    'and so does node B\'s, copied to the auditor';
is verify($shared, $b_log)->{out}, "OK: 2 files, 4 chains, 12 records "
    . "verified\n", 'and both together';

my $a_text = slurp($shared);
truncate $shared, 0 or die "$shared: $!";
$r = verify($shared);
is $r->{out}, join('', map { missing($_->[0], 2, Cwd::abs_path($shared),
                                     $_->[1]) } @runs),
    'node A\'s log emptied in place says nothing of its host: every host\'s '
    . 'chains of its path are named';
like $r->{err}, qr/^note: \Q$shared\E: its records do not tell which host(?x)
    .* run \s kotctl \s audit \s verify \s again \s with \s --host/ms,
    'and verify says how to name whose log it is';
$r = verify('--host', $host, $shared);
is $r->{out}, join('', map { missing($_->[0], 2, Cwd::abs_path($shared),
                                     $_->[1]) } grep { $_->[1] eq $host }
                        @runs),
    'with --host, only that host\'s chains';
is verify('--host', uc $host, $shared)->{out}, $r->{out},
    'a host name in any case, as DNS has it';
$r = verify('--host', '', $shared);
is $r->{exit}, 2, '--host takes a name';
like $r->{err}, qr/--host needs a host name/, 'and says so';

# an anchor written before anchors named their host: any host's
spew($shared, $a_text);
my $hostless = unpack 'H*', random_bytes(8);
my $now = int(Time::HiRes::time() * 1000);
$t->redis('HSET', "kot:v1:audit:$hostless", 'seq', 2, 'mac', '0' x 32,
          'ts', $now, 'file', Cwd::abs_path($shared));
$t->redis('ZADD', 'kot:v1:audit:chains', $now, $hostless);
is verify($shared)->{out}, missing($hostless, 2, Cwd::abs_path($shared)),
    'an anchor without a host, as older writers left it, is expected in '
    . 'every host\'s log of its path';
$t->redis('ZREM', 'kot:v1:audit:chains', $hostless);

# a chain whose record 0 names no host could be any host's: its file
# is expected to hold node B's chains of its path too
my $lone = writer();
my @tm = gmtime(time - 60);
$f = tampered('hostless', record($lone, sprintf('%04d-%02d-%02dT%02d:%02d:'
    . '%02d.000Z', $tm[5] + 1900, $tm[4] + 1, @tm[3, 2, 1, 0]),
    'event.action' => 'chain_start', 'kot.sealed_key' => $lone->{sealed},
    'kot.auditor_key' => $lone->{fpr}, 'kot.mac_alg' => 'poly1305'));
anchor($lone, $f);
$t->redis('HSET', "kot:v1:audit:$hostless", 'host', 'node-b', 'file', $f);
$t->redis('ZADD', 'kot:v1:audit:chains', $now, $hostless);
is verify($f)->{out}, missing($hostless, 2, $f, 'node-b'),
    'a chain that names no host stands for every host';
$t->redis('ZREM', 'kot:v1:audit:chains', $hostless);

# a host name as a record and its anchor hold it: one that could act on
# a terminal is shown escaped, as kotctl shows any name; a Japanese one
# as it is
for my $name ("web\e]0;owned\a", "\x{30a6}\x{30a7}\x{30d6}1") {
    my $hw = writer();
    my $ts = sprintf '%04d-%02d-%02dT%02d:%02d:%02d.000Z', $tm[5] + 1900,
        $tm[4] + 1, @tm[3, 2, 1, 0];
    my @hl = (chain_start($hw, $ts, $name),
              record($hw, $ts, 'event.action' => 'chain_end'));
    $f = tampered('host-named', $hl[0]);
    anchor($hw, $f);
    utf8::encode(my $bytes = $name);
    $t->redis('HSET', "kot:v1:audit:$hw->{id}", 'host', $bytes);
    (my $shown = $bytes) =~ s/([\x00-\x1f])/sprintf '\\u%04x', ord $1/ge;
    is verify($f)->{out}, "chain $hw->{id}: its tail is missing: the files "
        . "end at record 0 ($f:1), Redis saw record 1 written to $f on "
        . "$shown\n", 'a host named ' . ($name =~ /\e/ ? 'with an escape '
        . 'is shown escaped' : 'in Japanese is shown in Japanese');
}

$r = verify("$dir/nosuch.log");
is $r->{exit}, 1, 'a missing file fails';
like $r->{err}, qr/cannot open ".*nosuch\.log"/, 'with the reason';


# the auditor's key

run('openssl', 'genpkey', '-algorithm', 'RSA', '-pkeyopt',
    'rsa_keygen_bits:2048', '-out', "$dir/other.pem");
run('openssl', 'pkey', '-in', "$dir/other.pem", '-pubout',
    '-out', "$dir/other.pub");

$r = verify(\"$dir/other.pem", $log);
is $r->{exit}, 1, 'another private key does not verify';
like $r->{out}, qr/\A\Q$log\E:1: chain $ids[0] was sealed to another (?x)
    auditor \s key \s \(fingerprint \s $fingerprint; \s the \s key \s given
    \s has \s [0-9a-f]{16}\)$/m, 'and verify says which key it needs';
is scalar(() = $r->{out} =~ /was sealed to another auditor key/g), 4,
    'for each of the chains, none of which it could verify';

# a fingerprint is shown as kotctl shows any text
for my $named ("\e[2J\x{9375}", "\x{9375}" x 20) {
    my $fw = writer();
    my $fl = record($fw, '2026-11-26T10:00:00.000Z',
                    'event.action' => 'chain_start',
                    'kot.sealed_key' => $fw->{sealed},
                    'kot.auditor_key' => $named, 'host.hostname' => 'test',
                    'kot.mac_alg' => 'poly1305');
    $f = tampered('fingerprint', $fl);
    my $shown = $named =~ s/\e/\\u001b/r;
    $shown = substr($shown, 0, 16) . '...' if length $shown > 16;
    utf8::encode($shown);
    is verify($f)->{out}, "$f:1: chain $fw->{id} was sealed to another "
        . "auditor key (fingerprint $shown; the key given has "
        . "$fingerprint)\n", 'a fingerprint '
        . ($named =~ /\e/ ? 'with an escape is shown escaped'
                          : 'too long is cut, after whole characters');
}

$r = verify(\$pub, $log);
is $r->{exit}, 1, 'the public key cannot verify';
like $r->{err}, qr/is not a readable PEM private key/, 'and kotctl says so';

@x = @l;
my $w = writer("$dir/other.pub");
$f = tampered('foreign', @x, chain_start($w, '2026-11-26T10:00:00.000Z'));
like verify('--no-anchors', $f)->{out}, qr/^\Q$f\E:13: chain $w->{id} (?x)
    was \s sealed \s to \s another/, 'a chain sealed to another key';

$w = writer();
my $start = chain_start($w, '2026-11-26T10:00:00.000Z');
$start =~ s/"kot\.sealed_key":"(....)/"kot.sealed_key":"AAAA/;
$f = tampered('badseal', $start);
is verify('--no-anchors', $f)->{out}, "$f:1: record 0 of chain $w->{id} was "
    . "altered (its sealed key does not open)\n", 'a sealed key altered';

$w = writer();
$start = chain_start($w, '2026-11-26T10:00:00.000Z');
$start =~ s/,"kot\.mac_alg":"poly1305"// or die;
$f = tampered('noalg', $start);
is verify('--no-anchors', $f)->{out}, "$f:1: record 0 of chain $w->{id} was "
    . "altered (it does not end in a well-formed kot.mac)\n$f:1: chain "
    . "$w->{id} cannot be verified past its record 0, from which its key, "
    . "format and MAC algorithm are read\n",
    'a Poly1305 chain made to pass for an HMAC-SHA256 one';

$w = writer();
$f = tampered('newalg', record($w, '2026-11-26T10:00:00.000Z',
    'event.action' => 'chain_start', 'kot.sealed_key' => $w->{sealed},
    'kot.auditor_key' => $w->{fpr}, 'kot.mac_alg' => 'blake3'));
is verify('--no-anchors', $f)->{out}, "$f:1: record 0 of chain $w->{id} "
    . "names a MAC algorithm this kotctl does not know (is kotctl older "
    . "than the writer?)\n", 'a MAC algorithm verify does not know';

$w = writer();
$f = tampered('numalg', record($w, '2026-11-26T10:00:00.000Z',
    'event.action' => 'chain_start', 'kot.sealed_key' => $w->{sealed},
    'kot.auditor_key' => $w->{fpr}, 'kot.mac_alg' => \1305));
is verify('--no-anchors', $f)->{out}, "$f:1: record 0 of chain $w->{id} was "
    . "altered (its kot.mac_alg is not a string)\n",
    'a MAC algorithm that is not even a name';


# ---------------------------------------------------------------------
# rotation: a long chain across files, the older one gzip'd
# ---------------------------------------------------------------------

# written before Poly1305: HMAC-SHA256, record 0 without kot.mac_alg
# (nor service.version, which chains written before it lack)
$w = writer($pub, 'hmac-sha256');
my @long = (chain_start($w, '2026-11-26T09:00:00.000Z'));
unlike $long[0], qr/service\.version/,
    'a chain whose record 0 names no writer version:';

for my $i (1 .. 57) {
    push @long, record($w, sprintf('2026-11-26T09:%02d:00.000Z', $i),
                       'event.action' => 'request', 'event.category' => 'web',
                       'event.outcome' => 'success', 'user.name' => "u$i",
                       'organization.id' => 'acme',
                       'http.response.status_code' => \200);
}

anchor($w, "$dir/live.log");

# kotctl's chains interleave with the long one
my @rot = (@long[0 .. 20], @l[0 .. 4], @long[21 .. 30], @l[5 .. 11],
           @long[31 .. 57]);
spew("$dir/live.log.2", @rot[0 .. 29]);
run('gzip', '-n', "$dir/live.log.2");
spew("$dir/live.log.1", @rot[30 .. 59]);
spew("$dir/live.log", @rot[60 .. $#rot]);

my @rotated = ("$dir/live.log.2.gz", "$dir/live.log.1", "$dir/live.log");
$r = verify(@rotated);
is $r->{exit}, 0, 'a log rotated into three files, one gzip\'d, verifies, '
    . 'an HMAC-SHA256 chain among Poly1305 ones';
is $r->{out}, "OK: 3 files, 5 chains, 70 records verified\n",
    'chains continue from file to file';

like verify(@rotated[1, 2])->{out},
    qr/^\Q$rotated[1]\E:1: chain $w->{id} starts without its chain_start/,
    'without the oldest file, its chains cannot be opened';

# "kotctl audit verify live.log*": the shell gives the live file first
my $glob = [ sort glob("$dir/live.log*") ];
is_deeply $glob, [ reverse @rotated ],
    'a shell\'s glob gives the live log first';
$r = verify(@$glob);
is $r->{exit}, 0, 'the files of a glob verify, whatever their order'
    or diag $r->{out};
is $r->{out}, "OK: 3 files, 5 chains, 70 records verified\n",
    '  read oldest first, as their chains tell';
like $r->{err}, qr/^note: the files are read oldest first, as their(?x)
    \s records \s tell: \s \Q@rotated\E$/m, '  which verify says';
unlike verify(@rotated)->{err}, qr/oldest first/,
    '  and says nothing of files given in that order';
is verify($rotated[1], $rotated[0], $rotated[2])->{out},
    "OK: 3 files, 5 chains, 70 records verified\n", '  or in any other';

# the same file twice ("live.log live.log*", or a link to it) is the
# auditor's slip, not records repeated in the log: said as such, and
# nothing is printed twice
symlink $rotated[2], "$dir/current.log" or die "symlink: $!\n";
for my $twice ([ @rotated, $rotated[2] ], [ @rotated, "$dir/current.log" ]) {
    my $again = qr/^kotctl: "\Q$twice->[3]\E" is the file "\Q$rotated[2]\E"(?x)
        \s again: \s give \s each \s file \s once$/m;
    $r = verify(@$twice);
    is $r->{exit}, 2, "verify refuses $twice->[3] given after $rotated[2]";
    like $r->{err}, $again, '  saying it is the same file';
    is $r->{out}, '', '  rather than report its records as repeated';
    $r = query(@$twice);
    is $r->{exit}, 2, '  as does query';
    like $r->{err}, $again, '  saying the same';
    is $r->{out}, '', '  rather than print every record twice';
}

$r = query(@$glob);
is $r->{out}, join('', @rot), 'query prints the records oldest first too';
like $r->{err}, qr/^note: the files are read oldest first/m, '  saying so';

# files that no chain links go by their first record's time
my @w = (writer(), writer());
spew("$dir/early.log", chain_start($w[0], '2026-11-26T08:00:00.000Z'),
     record($w[0], '2026-11-26T08:00:01.000Z', 'event.action' => 'x'));
spew("$dir/late.log", chain_start($w[1], '2026-11-26T08:30:00.000Z'));
$r = verify('--no-anchors', "$dir/late.log", "$dir/early.log");
is $r->{out}, "OK: 2 files, 2 chains, 3 records verified\n",
    'files of chains of their own verify';
like $r->{err}, qr/^note: the files are read oldest first, as their(?x)
    \s records \s tell: \s \Q$dir\E\/early\.log \s \Q$dir\E\/late\.log$/m,
    '  read by their first records\' times';

# a chain's order before the times: a worker's buffered record, older
# than the rotation, may be the first of the new file
@w = (writer(), writer());
spew("$dir/chained.log.1", chain_start($w[0], '2026-11-26T09:00:00.000Z'),
     record($w[0], '2026-11-26T09:00:01.000Z', 'event.action' => 'x'));
spew("$dir/chained.log", chain_start($w[1], '2026-11-26T08:59:59.000Z'),
     record($w[0], '2026-11-26T09:00:02.000Z', 'event.action' => 'y'));
$r = verify('--no-anchors', "$dir/chained.log", "$dir/chained.log.1");
is $r->{out}, "OK: 2 files, 2 chains, 4 records verified\n",
    'a chain across files orders them, whatever their first records\' times'
    or diag $r->{err};
like $r->{err}, qr/tell: \Q$dir\E\/chained\.log\.1 \Q$dir\E\/chained\.log$/m,
    '  which verify says';

# a record moved from one file to the next: no order of the files
# explains it, and verify still says where
spew("$dir/moved.log.1", @rot[30 .. 44], @rot[46 .. 59]);
spew("$dir/moved.log", $rot[45], @rot[60 .. $#rot]);
$r = verify("$dir/moved.log", "$dir/moved.log.1", $rotated[0]);
is $r->{exit}, 1, 'a record moved to the next file is found';
is $r->{out}, "$dir/moved.log.1:16: record 34 of chain $w->{id} is out of "
    . "order (expected 33, which comes later, at $dir/moved.log:1)\n",
    '  where it was taken from, and where it is';

# long[41] is @rot[53]
spew("$dir/cut.log.1", @rot[30 .. 53]);
is verify($rotated[0], "$dir/cut.log.1")->{out}, "chain $w->{id}: its tail "
    . "is missing: the files end at record 41 ($dir/cut.log.1:24), Redis saw "
    . "record 57 written to $dir/live.log\n",
    'a long chain\'s cut-off tail, against its anchor';

# "cat a.gz b.gz" makes one gzip file of two members: one file still
spew("$dir/part1", @rot[0 .. 14]);
spew("$dir/part2", @rot[15 .. 29]);
run('gzip', '-n', "$dir/part1", "$dir/part2");
my $gz = slurp("$dir/part1.gz") . slurp("$dir/part2.gz");
spew("$dir/members.log.2.gz", $gz);
is verify("$dir/members.log.2.gz", @rotated[1, 2])->{out},
    "OK: 3 files, 5 chains, 70 records verified\n",
    'a gzip file of two members verifies';

# bytes appended after the last member: zcat says so, and so must verify
my %tails = ('a byte' => 'x', 'a record' => $l[0],
             'the start of a gzip header' => "\x1f\x8b",
             'more than a read buffer' => random_bytes(300 * 1024));

for my $what (sort keys %tails) {
    $f = "$dir/appended.log.2.gz";
    spew($f, $gz, $tails{$what});
    $r = verify($f, @rotated[1, 2]);
    is $r->{out}, "$f:30: data follows its last gzip member (appended "
        . "after it was compressed?)\n",
        "$what appended to a gzip file is reported, after its last line";
}

$r = query('--user', 'u1', $f);
is $r->{exit}, 1, 'query fails on such a file too';
is $r->{out}, $rot[1], 'after printing what the gzip stream holds';
like $r->{err}, qr/\Q$f\E: data follows its last gzip member, after (?x)
    line \s 30/, 'and says what follows it';

# zero bytes after the last member, as a tape or block copy pads a
# file: gzip -d ignores them, and so does verify, saying so
for my $n (1, 300 * 1024) {
    $f = "$dir/padded.log.2.gz";
    spew($f, $gz, "\0" x $n);
    $r = verify($f, @rotated[1, 2]);
    is $r->{out}, "OK: 3 files, 5 chains, 70 records verified\n",
        "$n zero bytes after the last gzip member verify";
    my $bytes = $n == 1 ? '1 zero byte' : "$n zero bytes";
    like $r->{err}, qr/^note: \Q$f\E: $bytes after its last gzip member(?x)
        \s ignored \s \(padding/m, '  with a note';
}

$r = query('--user', 'u1', $f);
is $r->{exit}, 0, 'query reads a padded gzip file too';
is $r->{out}, $rot[1], '  whole';
like $r->{err}, qr/^note: \Q$f\E: 307200 zero bytes after/m, '  saying so';

for my $what ('a byte', 'a gzip member') {
    $f = "$dir/padded-more.log.2.gz";
    spew($f, $gz, "\0" x 100, $what eq 'a byte' ? 'x' : $gz);
    is verify($f, @rotated[1, 2])->{out}, "$f:30: data follows its last "
        . "gzip member (appended after it was compressed?)\n",
        "zero bytes then $what after the last member are still reported";
}

$f = "$dir/short.log.2.gz";
spew($f, substr($gz, 0, -12));
like verify($f, @rotated[1, 2])->{out}, qr/^\Q$f\E:\d+: the file cannot (?x)
    be \s read \s past \s here \s \(a \s damaged \s or \s cut-off \s gzip/,
    'a gzip file cut short is not read as if whole';


# logrotate compresses with another program when told to (compresscmd
# xz, zstd, ...): kotctl reads plain and gzip files only, and must say
# so of any other, not skip its bytes as lines that are not records (a
# query would print nothing of it, and exit 0)
my @compressed = (
    [ 'xz', "\xfd7zXZ\0", 'xz -dk' ], [ 'zstd', "\x28\xb5\x2f\xfd", 'zstd -d' ],
    [ 'bzip2', "BZh9", 'bzip2 -dk' ], [ 'lz4', "\x04\x22\x4d\x18", 'lz4 -d' ],
    [ 'lzip', "LZIP", 'lzip -dk' ], [ 'compress', "\x1f\x9d", 'uncompress' ]);
# a real one where the program is at hand (xz-utils is required in Debian)
my $xz = (grep { -x "$_/xz" } split /:/, $ENV{PATH}) ? 1 : 0;

for my $c (@compressed) {
    my ($fmt, $magic, $cmd) = @$c;
    $f = "$dir/other.log.2.$fmt";

    if ($fmt eq 'xz' && $xz) {
        spew("$dir/other.log.2", @rot[0 .. 29]);
        run('xz', '-f', "$dir/other.log.2");
        rename "$dir/other.log.2.xz", $f or die "rename: $!\n";
    } else {
        spew($f, $magic, random_bytes(200), "\n", random_bytes(200));
    }

    my $said = qr/^kotctl: cannot read "\Q$f\E": it is compressed with(?x)
        \s \Q$fmt\E, \s and \s kotctl \s reads \s plain \s and \s gzip \s files
        \s only: \s decompress \s it \s first \s \(\Q$cmd\E\)$/m;

    $r = verify(@rotated[1, 2], $f);
    is $r->{exit}, 1, "verify fails on a $fmt file";
    like $r->{err}, $said, '  saying it cannot read it, and what to do';
    is scalar(() = $r->{err} =~ /cannot read/g), 1, '  once';
    is $r->{out}, '', '  rather than report its bytes as lines altered';

    $r = query('--user', 'u1', $f);
    is $r->{exit}, 1, "query fails on a $fmt file";
    like $r->{err}, $said, '  saying the same';
    unlike $r->{err}, qr/not audit records/,
        '  rather than count its bytes as lines skipped';
}

# through a pipe too, which cannot be read twice
$r = $t->_run([ 'sh', '-c', 'exec "$@" < "$0"', $f, $KotTest::KOTCTL,
                'audit', 'query', '/dev/stdin' ]);
is $r->{exit}, 1, 'a compressed file through a pipe fails';
like $r->{err}, qr/cannot read "\/dev\/stdin": it is compressed with(?x)
    \s compress,/, '  saying why';

# ---------------------------------------------------------------------
# a live log: its writers go on while verify reads it
# ---------------------------------------------------------------------

# Verify reads a named pipe that the test writes: what verify has read
# when the writers go on is the test's to choose.  Once verify has read
# the chain's anchor (its HMGET at record 0), $meanwhile writes on; then
# the pipe ends, and verify with it.
sub hmgets () {
    my $stats = $t->redis('INFO', 'commandstats');
    return $stats =~ /^cmdstat_hmget:calls=(\d+)/m ? $1 : 0;
}

sub verify_live ($records, $meanwhile) {
    my $fifo = "$dir/live.pipe";
    unlink $fifo;
    POSIX::mkfifo($fifo, 0600) or die "$fifo: $!\n";
    my $seen = hmgets();
    my $pid = fork // die "fork: $!\n";

    if ($pid == 0) {
        open STDOUT, '>', "$fifo.out" or POSIX::_exit(126);
        open STDERR, '>', "$fifo.err" or POSIX::_exit(126);
        { no warnings 'exec'; exec $KotTest::KOTCTL, '--redis',
            $t->redis_addr, 'audit', 'verify', '--auditor-private-key',
            $priv, $fifo }
        POSIX::_exit(127);
    }

    # read and write: no wait for verify to open it, were it to fail first
    sysopen my $fh, $fifo, POSIX::O_RDWR() or die "$fifo: $!\n";
    binmode $fh;
    print {$fh} @$records;
    $fh->flush;
    wait_until(sub { hmgets() > $seen }, what => 'verify to read an anchor');
    $meanwhile->();
    close $fh;
    waitpid $pid, 0;

    return { exit => $? >> 8, out => slurp("$fifo.out"),
             err => slurp("$fifo.err") };
}

sub utc ($epoch) {
    my @tm = gmtime $epoch;
    return sprintf '%04d-%02d-%02dT%02d:%02d:%02d.000Z', $tm[5] + 1900,
        $tm[4] + 1, @tm[3, 2, 1, 0];
}

sub request ($w) {
    return record($w, utc(time), 'event.action' => 'request',
                  'organization.id' => 'acme');
}

# a worker's chain of this host, anchored as far as it was written
my $live = "$dir/live-now.log";
my $live_at = Cwd::abs_path($dir) . '/live-now.log';
my $lw = writer();
my @live = (chain_start($lw, utc(time - 5), $host),
            map { request($lw) } 1 .. 3);
spew($live, @live);
anchor($lw, $live_at);

$r = verify_live(\@live, sub {
    open my $fh, '>>:raw', $live or die "$live: $!\n";
    print {$fh} request($lw), request($lw);
    close $fh or die "$live: $!\n";
    anchor($lw, $live_at);
});
is $r->{out}, "OK: 1 file, 1 chain, 4 records verified\n",
    'a live log verifies up to what verify read, though its writer wrote '
    . 'on and anchored records after that';
is $r->{exit}, 0, '  and exits 0';

# the same chain, but the file cut before verify read it
$f = tampered('live-cut', @live);
$r = verify($f);
is $r->{out}, "chain $lw->{id}: its tail is missing: the files end at "
    . "record 3 ($f:4), Redis saw record 5 written to $live_at\n",
    'a tail cut before verify read the file is still missing';
is $r->{exit}, 1, '  and fails';

$r = verify_live([ lines($live) ], sub {
    my $r = $t->kotctl('--audit-log', $live, '--auditor-public-key', $pub,
                       'allowlist', 'acme', 'admin', 'add', '10.30.0.0/16');
    die "kotctl: $r->{err}" if $r->{exit};
});
is $r->{out}, "OK: 1 file, 1 chain, 6 records verified\n",
    'a chain that kotctl started in it after verify read it is not '
    . 'missing';
is verify($live)->{out}, "OK: 1 file, 2 chains, 9 records verified\n",
    'and the whole log verifies once read';


# ---------------------------------------------------------------------
# hostile values
# ---------------------------------------------------------------------

my $evil = "mallory\r\n{\"kot.mac\":\"0\"}\\\"\t\x{7f}";
my $agent = "Mozilla\" \\ \x01 \x{2028} end";
$w = writer();
my @h = (chain_start($w, '2026-11-26T12:00:00.000Z'),
         record($w, '2026-11-26T12:00:01.000Z', 'event.action' => 'login',
                'event.outcome' => 'failure', 'user.name' => $evil,
                'organization.id' => 'acme',
                'user_agent.original' => $agent,
                'kot.change' => { note => "a\nb", 'user.name' => 'x' }));
my $hf = "$dir/hostile.log";
spew($hf, @h);

is scalar(() = slurp($hf) =~ /\n/g), 2,
    'CR, LF and quotes in values do not break the line';
like $h[1], qr/"user\.name":"mallory\\r\\n\{\\"kot\.mac\\":\\"0\\"\}/,
    'they are escaped';
is verify('--no-anchors', $hf)->{out}, "OK: 1 file, 1 chain, 2 records "
    . "verified\n", 'and the record verifies';
is query('--user', $evil, $hf)->{out}, $h[1],
    'query finds the hostile name, byte for byte';


# ---------------------------------------------------------------------
# query
# ---------------------------------------------------------------------

$w = writer();
my @q = (chain_start($w, '2026-11-26T09:00:00.000Z'));

for my $q (
    [ '2026-11-26T09:59:59.999Z', 'login', 'success', 'alice', undef, 'acme' ],
    [ '2026-11-26T10:00:00.000Z', 'login', 'failure', 'bob', undef, 'acme' ],
    [ '2026-11-26T10:30:00.500Z', 'user_added', 'success', 'admin', 'alice',
      'acme', { 'user.name' => 'carol' } ],
    [ '2026-11-26T10:59:59.999Z', 'logout', 'success', 'alice', undef,
      'globex' ],
    [ '2026-11-26T11:00:00.000Z', 'login', 'success', 'carol', undef, 'acme' ],
    [ '2026-11-27T00:00:00.000Z', 'login', 'success', 'alice', undef, 'acme' ])
{
    my ($ts, $action, $outcome, $user, $target, $tenant, $change) = @$q;
    push @q, record($w, $ts, 'event.action' => $action,
                    'event.outcome' => $outcome, 'user.name' => $user,
                    $target ? ('user.target.name' => $target) : (),
                    'organization.id' => $tenant,
                    $change ? ('kot.change' => $change) : ());
}

push @q, record($w, '2026-11-27T00:00:00.001Z', 'event.action' => 'chain_end');

my $qf = "$dir/query.log";
spew($qf, @q);
spew("$dir/query.log.x", @q);
run('gzip', '-n', "$dir/query.log.x");

my @cases = (
    [ [ '--user', 'alice' ], [ 1, 3, 4, 6 ],
      '--user matches user.name or user.target.name' ],
    [ [ '--user', 'carol' ], [ 5 ],
      '--user does not look inside kot.change' ],
    [ [ '--since', '2026-11-26T10:00:00Z', '--until', '2026-11-26T11:00:00Z' ],
      [ 2, 3, 4 ], '--since is inclusive, --until exclusive' ],
    [ [ '--since', '2026-11-26T19:00:00+09:00',
        '--until', '2026-11-26T20:00:00.000+09:00' ],
      [ 2, 3, 4 ], 'times with an offset' ],
    [ [ '--since', '2026-11-26T09:59:59.9995Z' ], [ 2 .. 7 ],
      'fractions finer than a millisecond' ],
    [ [ '--since', '2026-11-27' ], [ 6, 7 ], 'a date is midnight UTC' ],
    [ [ '--until', '2026-11-26' ], [ ], 'nothing before the first record' ],
    [ [ '--tenant', 'acme', '--outcome', 'success' ], [ 1, 3, 5, 6 ],
      '--tenant and --outcome together' ],
    [ [ '--action', 'login', '--user', 'alice' ], [ 1, 6 ],
      '--action and --user together' ],
    [ [ '--user', 'alice', '--since', '2026-11-26T10:00:00Z',
        '--until', '2026-11-27' ], [ 3, 4 ], 'a user within a time range' ],
    [ [ '--tenant', 'globex' ], [ 4 ], '--tenant' ],
    # names are folded to lower case, by the writers and by every other
    # kotctl command ("user status ACME Alice")
    [ [ '--tenant', 'ACME', '--user', 'Alice' ], [ 1, 3, 6 ],
      'a tenant and a user in capitals, as the rest of kotctl takes them' ],
    [ [ '--user', 'ALICE' ], [ 1, 3, 4, 6 ], 'a user in capitals' ],
    [ [ '--user', 'alic' ], [ ], 'a prefix of a name is not the name' ],
    [ [ ], [ 0 .. 7 ], 'no filter: every record' ],
);

for my $c (@cases) {
    my ($args, $want, $name) = @$c;
    $r = query(@$args, $qf);
    is $r->{out}, join('', @q[@$want]), "query: $name";
    is $r->{exit}, 0, "query: $name: exit 0" unless $r->{exit} == 0;
}

$r = query('--user', 'alice', "$dir/query.log.x.gz", $qf);
is $r->{out}, join('', @q[1, 3, 4, 6, 1, 3, 4, 6]),
    'query reads gzip\'d files and several files in order';

$r = query('--since', 'yesterday', $qf);
is $r->{exit}, 2, 'a time that is not RFC 3339 is a usage error';
like $r->{err}, qr/--since "yesterday" is not a time/, 'and says so';
is query('--since', '2026-02-30', $qf)->{exit}, 2, 'as is a date that does '
    . 'not exist';

# A filter that no record can match is a mistake: answered with nothing
# and exit 0, it would read as "no such event".  Each is a usage error
# that says why, and prints no record.
for my $c (
    [ [ '--since', '2026-11-26', '--until', '2026-11-26' ],
      qr/--until "2026-11-26" is not after --since "2026-11-26": no(?x)
         \s record \s can \s match \s \(--until \s is \s exclusive: \s a \s day
         \s D \s is \s --since \s D \s --until \s D\+1\)/,
      'the same day as --since and --until' ],
    [ [ '--until', '2026-11-26T10:00:00Z', '--since', '2026-11-26T11:00Z' ],
      qr/is not a time/, '(a time without seconds is not RFC 3339)' ],
    [ [ '--until', '2026-11-26T10:00:00Z',
        '--since', '2026-11-26T12:00:00+01:00' ],
      qr/--until "2026-11-26T10:00:00Z" is not after --since(?x)
         \s "2026-11-26T12:00:00\+01:00"/,
      '--until before --since, in any order and offset' ],
    [ [ '--outcome', 'failed' ],
      qr/--outcome "failed" is not an outcome: use success, failure or(?x)
         \s unknown/, 'an outcome that is none of the three' ],
    [ [ '--outcome', 'Failure' ], qr/--outcome "Failure" is not an outcome/,
      'one in another case' ],
    [ [ '--user', '' ], qr/--user "" matches no record: absent values are(?x)
         \s left \s out, \s never \s empty/, 'an empty user' ],
    [ [ '--tenant', '' ], qr/--tenant "" matches no record/,
      'an empty tenant' ],
    [ [ '--action', '' ], qr/--action "" matches no record/,
      'an empty action' ],
    [ [ '--action', 'login', '--action', 'logout' ],
      qr/--action may be given once/, 'an action given twice' ],
    [ [ '--tenant', 'acme', '--tenant', 'globex' ],
      qr/--tenant may be given once/, 'a tenant given twice' ],
    [ [ '--since', '2026-11-26', '--since', '2026-11-27' ],
      qr/--since may be given once/, 'a time given twice' ])
{
    my ($args, $said, $name) = @$c;
    $r = query(@$args, $qf);
    is $r->{exit}, 2, "query refuses $name";
    like $r->{err}, $said, '  saying why';
    is $r->{out}, '', '  and prints no record';
}

is query('--since', '2026-11-26T10:00:00Z', '--until',
         '2026-11-26T10:00:00.001Z', $qf)->{out}, $q[2],
    'a range of one millisecond is a range';
is query('--outcome', 'unknown', $qf)->{exit}, 0,
    'unknown is an outcome (a two-step login\'s password step)';

spew("$dir/mixed.log", "garbage\n", $q[1], ('y' x (1100 * 1024)) . "\n",
     $q[2]);
$r = query('--user', 'alice', "$dir/mixed.log");
is $r->{out}, $q[1], 'query skips lines that are not records';
like $r->{err}, qr/2 lines were not audit records/, 'and counts them';

# a copy with CRLF line ends: the records as written, which hold no CR
spew("$dir/query-crlf.log", map { s/\n/\r\n/r } @q);
$r = query('--user', 'alice', "$dir/query-crlf.log");
is $r->{out}, join('', @q[1, 3, 4, 6]),
    'query prints the records of a copy with CRLF line ends as written';
like $r->{err}, qr/^note: \Q$dir\E\/query-crlf\.log has CRLF line ends: (?x)
    it \s is \s a \s copy/m, 'and says that the file is a converted copy';

# Writers escape control characters, so a line holding one raw was not
# written by them: printed as is, it would drive the auditor's terminal.
my @raw = ("\e]0;owned\a\e[2J", "\x7f", "\xc2\x9b2J", "\x9b2J",
           "\xe2\x80\xa8", "\0");
my $accented = $q[4] =~ s/"globex"/"globex\xc3\xa9"/r;
spew("$dir/raw.log", $q[1],
     (map { $q[3] =~ s/"acme"/"acme$_"/r } @raw), $accented);
$r = query('--user', 'alice', "$dir/raw.log");
is $r->{out}, $q[1] . $accented,
    'query does not print a line holding a raw ESC, OSC, DEL, C1, line '
    . 'separator, NUL or invalid UTF-8';
is $r->{exit}, 0, 'and still prints the others, UTF-8 text too';
like $r->{err}, qr/^note: 6 matching lines held control characters or (?x)
    invalid \s UTF-8, \s which \s no \s writer \s writes, \s and \s were
    \s not \s printed/m, 'it says how many it held back, and why';
is query('--user', 'bob', "$dir/raw.log")->{err}, '',
    'lines that do not match are not counted';


# ---------------------------------------------------------------------
# an auditor's machine: no session key, and keys named for what they are
# ---------------------------------------------------------------------

# kotctl as an auditor runs it: Redis, but no --secret-file
sub auditor (@args) {
    return $t->_run([ $KotTest::KOTCTL, '--redis', $t->redis_addr,
        (defined $t->redis_password_file
            ? ('--redis-password-file', $t->redis_password_file) : ()),
        @args ]);
}

$r = auditor('audit', 'query', '--user', 'alice', $qf);
is $r->{exit}, 0, 'audit query needs no --secret-file';
is $r->{out}, join('', @q[1, 3, 4, 6]), 'and finds the records';
$r = auditor('audit', 'verify', '--auditor-private-key', $priv,
             '--no-anchors', $log);
is $r->{out}, "OK: 1 file, 4 chains, 12 records verified\n",
    'audit verify --no-anchors needs no --secret-file';
is $r->{err}, '', 'and has nothing to warn about';
is auditor('audit', 'verify', '--auditor-private-key', $priv, $log)->{exit},
    0, 'nor does audit verify against the anchors';
$r = auditor('user', 'status', 'acme', 'alice');
is $r->{exit}, 2, 'the commands that use the key still ask for it';
like $r->{err}, qr/--secret-file is required/, 'by name';

$r = $t->kotctl('audit', 'verify', '--auditor-key', $priv, $log);
is $r->{out}, "OK: 1 file, 4 chains, 12 records verified\n",
    'audit verify --auditor-key, the old spelling, still verifies';
like $r->{err}, qr/--auditor-key is deprecated, say --auditor-private-key/,
    'and names the new one';

my $old = "$dir/old-spelling.log";
$r = $t->kotctl('--audit-log', $old, '--auditor-key', $pub, 'allowlist',
                'acme', 'admin', 'add', '10.8.0.0/16');
is $r->{exit}, 0, 'the global --auditor-key, the old spelling, still works';
like $r->{err}, qr/--auditor-key is deprecated, say --auditor-public-key/,
    'and names the new one';
is verify($old)->{exit}, 0, 'and the action is recorded';


# ---------------------------------------------------------------------
# an administrator's actions on accounts and sessions
# ---------------------------------------------------------------------

my $acts = "$dir/accounts.log";
$t->add_user('acme', 'bob', 'correct horse battery');

for my $cmd ([ 'user', 'disable', 'acme', 'bob' ],
             [ 'user', 'enable', 'acme', 'bob' ],
             [ 'session', 'revoke', 'acme', 'bob', '--all' ]) {
    $r = $t->kotctl('--audit-log', $acts, '--auditor-public-key', $pub,
                    @$cmd);
    die "kotctl @$cmd: $r->{err}" if $r->{exit};
}

my @acts = grep { $_->{'event.action'} !~ /^chain_/ }
           map { $json->decode($_) } lines($acts);
is_deeply [ map { $_->{'event.action'} } @acts ],
    [ 'account_disabled', 'account_enabled', 'session_revoked' ],
    'disabling, enabling and revoking are recorded';
is_deeply [ map { $_->{'user.target.name'} } @acts ], [ ('bob') x 3 ],
    'each with the account concerned';
is $acts[0]{'kot.change'}{sessions_ended}, 0,
    'a disable says how many sessions it ended';
is $acts[2]{'kot.change'}{session}, 'all', 'a revoke says which sessions';
is verify($acts)->{exit}, 0, 'and the log verifies';

$r = $t->kotctl('--audit-log', $acts, '--auditor-public-key', $pub,
                'session', 'revoke', 'acme', 'nobody', '--all');
is $r->{exit}, 1, 'revoking the sessions of no such user fails';
is scalar(grep { /session_revoked/ } lines($acts)), 1,
    'and records no revocation';

# What is already as asked changes nothing, and is recorded nowhere: not
# in the log, nor in the tenant's events, as the admin API's PATCH.
sub as_is ($cmd, $said, $what) {
    my ($tenant, $user) = @$cmd[1, 2];
    my ($log_size, $events) =
        (-s $acts, $t->redis('LLEN', "kot:v1:ev:$tenant"));
    my $r = $t->kotctl('--audit-log', $acts, '--auditor-public-key', $pub,
                       'user', @$cmd);
    is $r->{exit}, 0, "$what succeeds";
    is $r->{out}, "user \"$user\" in tenant \"$tenant\" $said; nothing "
        . "changed\n", '  and says it was already so';
    is -s $acts, $log_size, '  and records nothing in the log';
    is $t->redis('LLEN', "kot:v1:ev:$tenant"), $events,
        '  nor among the tenant\'s events';
}

as_is([ 'enable', 'acme', 'bob' ], 'is already enabled',
      'enabling an account that is not disabled');
as_is([ 'roles', 'acme', 'bob', '--role', 'user' ], 'already has roles user',
      'giving an account the roles it has');
$r = $t->kotctl('--audit-log', $acts, '--auditor-public-key', $pub,
                'user', 'disable', 'acme', 'bob');
die "kotctl user disable: $r->{err}" if $r->{exit};
my $since = $t->redis('HGET', 'kot:v1:u:acme:bob', 'disabled');
as_is([ 'disable', 'acme', 'bob' ], 'is already disabled',
      'disabling an account that is disabled');
is $t->redis('HGET', 'kot:v1:u:acme:bob', 'disabled'), $since,
    '  which keeps the time it was disabled';

# where the tenant counts inactivity, an account in use is not inactive:
# enabling it is as asked already, as the admin API's PATCH finds
$t->kotctl('tenant', 'add', 'dormant');
$t->kotctl('tenant', 'policy', 'dormant', 'inactive_after=30d');
$t->add_user('dormant', 'dan', 'correct horse battery');
as_is([ 'enable', 'dormant', 'dan' ], 'is already enabled',
      'enabling an account in use where inactive_after counts');


# ---------------------------------------------------------------------
# an administrator's actions on tenants, accounts and passwords
# ---------------------------------------------------------------------

my $admin = "$dir/admin.log";
my $dave_pw = 'Given by the admin 5309';
my $dave_pw2 = 'Set again by the admin 7717';

sub admin_run (@cmd) {
    my $opt = ref $cmd[-1] ? pop @cmd : {};
    my $r = $t->kotctl('--audit-log', $admin, '--auditor-public-key', $pub,
                       @cmd, $opt);
    die "kotctl @cmd: $r->{err}" if $r->{exit};
    return $r;
}

admin_run('tenant', 'add', 'globex');
admin_run('tenant', 'policy', 'globex', 'min_length=14', 'history=3');
admin_run('user', 'add', 'globex', 'dave', '--role', 'admin', '--role',
          'user', '--password-stdin', { stdin => "$dave_pw\n" });
admin_run('user', 'passwd', 'globex', 'dave', '--password-stdin',
          '--no-force-change', { stdin => "$dave_pw2\n" });

# a lock as nginx leaves it
$t->redis('HSET', 'kot:v1:f:globex:dave', 'fails', 5, 'locks', 1, 'until',
          int(Time::HiRes::time() * 1000) + 3_600_000);

# the environment instead of the options, as a cron job would have it
{
    local $ENV{KOT_AUDIT_LOG} = $admin;
    local $ENV{KOT_AUDITOR_KEY} = $pub;
    $r = $t->kotctl('user', 'unlock', 'globex', 'dave');
}
is $r->{exit}, 0, 'an unlock with $KOT_AUDIT_LOG and $KOT_AUDITOR_KEY';
is $t->redis('EXISTS', 'kot:v1:f:globex:dave'), 0, 'lifts the lock';

my @admin = map { $json->decode($_) } lines($admin);
my @did = grep { $_->{'event.action'} !~ /^chain_/ } @admin;

is_deeply [ map { $_->{'event.action'} } @did ],
    [ 'tenant_added', 'tenant_policy_changed', 'user_added',
      'user_password_set', 'account_unlocked' ],
    'adding a tenant, tightening its policy, adding a user, setting a '
    . 'password and unlocking are each recorded';
is scalar(keys %{{ map { $_->{'kot.chain'} => 1 } @admin }}), 5,
    'each in a chain of its own';
is_deeply [ map { $_->{'user.name'} } @did ], [ ("kotctl:$me") x 5 ],
    'each with the administrator as the actor';
is_deeply [ map { $_->{'organization.id'} } @did ], [ ('globex') x 5 ],
    'the tenant';
is_deeply [ map { $_->{'user.target.name'} } @did ],
    [ undef, undef, 'dave', 'dave', 'dave' ],
    'and, for an account, the account (a tenant action has no target)';
is_deeply [ map { $_->{'event.category'} } @did ],
    [ 'configuration', 'configuration', 'iam', 'iam', 'iam' ],
    'tenants are configuration, accounts are iam';
is_deeply [ map { $_->{'event.outcome'} } @did ], [ ('success') x 5 ],
    'all succeeded';

is_deeply [ map { $_->{'kot.via'} } @did ], [ ('kotctl') x 5 ],
    'made with kotctl';

is_deeply $did[1]{'kot.change'},
    { before => { min_length => undef, history => undef },
      after => { min_length => '14', history => '3' } },
    'a policy change says which rules, with their values before and after';
is_deeply $did[2]{'kot.change'}{after}{roles}, [ 'admin', 'user' ],
    'a new user\'s roles';
ok JSON::PP::is_bool($did[2]{'kot.change'}{after}{must_change})
   && $did[2]{'kot.change'}{after}{must_change},
    'and that the password must be changed at the first login';
ok JSON::PP::is_bool($did[3]{'kot.change'}{after}{must_change})
   && !$did[3]{'kot.change'}{after}{must_change},
    'a password set with --no-force-change says it need not be';
is $did[3]{'kot.change'}{sessions_ended}, 0, 'and how many sessions ended';
is_deeply [ @{ $did[4]{'kot.change'}{before} }{qw(failures lockouts)} ],
    [ 5, 1 ], 'an unlock says which failures and lockouts it cleared';
like $did[4]{'kot.change'}{before}{locked_until},
    qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, '  and the lock it ended';
is_deeply $did[4]{'kot.change'}{after},
    { failures => 0, locked_until => undef, lockouts => 0 },
    '  and that none is left';

my $admin_text = slurp($admin);
ok index($admin_text, $dave_pw) < 0 && index($admin_text, $dave_pw2) < 0,
    'the passwords given are not in the log';
is verify($admin)->{exit}, 0, 'and the log verifies';


# a new auditor key (README, "Rotating the keys"): the log then holds
# chains sealed to each, and the auditor gives both private keys

{
    my $rot = "$dir/rotated-key.log";
    my ($priv2, $pub2) = ("$dir/auditor2.pem", "$dir/auditor2.pub");
    run('openssl', 'genpkey', '-algorithm', 'RSA', '-pkeyopt',
        'rsa_keygen_bits:2048', '-out', $priv2);
    run('openssl', 'pkey', '-in', $priv2, '-pubout', '-out', $pub2);
    # two changes (the same one twice would change, and record, nothing)
    for my $key ($pub, $pub2) {
        my $r = $t->kotctl('--audit-log', $rot, '--auditor-public-key', $key,
                           'allowlist', 'acme', 'admin',
                           $key eq $pub ? 'add' : 'remove', '10.7.0.0/16');
        die "kotctl: $r->{err}" if $r->{exit};
    }
    my $r = verify($rot);
    is $r->{exit}, 1, 'after a new auditor key, the old key alone does not '
        . 'verify the file of the change';
    like $r->{out}, qr/was sealed to another auditor key \((?x)
        fingerprint \s \S+; \s the \s key \s given \s has/,
        'it names the chain sealed to the new key';
    $r = $t->kotctl('audit', 'verify', '--auditor-private-key', $priv,
                    '--auditor-private-key', $priv2, $rot);
    is $r->{exit}, 0, 'given both private keys, verify checks every chain'
        or diag $r->{out};
    like $r->{out}, qr/^OK: 1 file, 2 chains/, 'both of them';
}


# under sudo, root alone would not say who acted

{
    local $ENV{SUDO_USER} = 'hanako';
    my $slog = "$dir/sudo.log";
    my $r = $t->kotctl('--audit-log', $slog, '--auditor-public-key', $pub,
                       'allowlist', 'acme', 'admin', 'add', '10.9.0.0/16');
    my ($rec) = grep { $_->{'event.action'} eq 'allowlist_changed' }
                map { $json->decode($_) } lines($slog);
    is $rec->{'user.name'}, "kotctl:$me (sudo: hanako)",
        'under sudo the actor also names the administrator who ran it';
}

done_testing;
