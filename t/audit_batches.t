# The audit log's format ngx_kot/3, a key per write of nginx's buffer,
# from the auditor's side: a log written in many writes verifies, and
# every kind of tampering (a record altered, removed or moved, within one
# write or across two, a write's first record removed, the tail cut, a
# write cut short by whoever took the writer over) is named at its record.
# Logs in the formats before (ngx_kot/1 and 2) still verify, and are still
# checked; of ngx_kot/2, verify says what it cannot check.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;
use JSON::PP ();
use Digest::SHA qw(sha256);
use MIME::Base64 qw(decode_base64);

my $t = KotTest->new(workers => 1);
my ($priv, $pub) = $t->auditor_keys;
my $dir = $t->dir;
my $log = "$dir/a/audit.log";
my $json = JSON::PP->new->utf8;

# a small buffer: two records or so per write
my $n = $t->nginx(KotTest->site(
    http => "kot_audit_log %%DIR%%/audit.log buffer=1k flush=100ms;\n"
          . "    kot_audit_auditor_key $pub;\n"
          . '    kot_audit_requests on;'));
$t->add_user('acme', 'alice', 'correct horse battery');

my $ua = $n->ua;
$ua->login(tenant => 'acme', username => 'alice',
           password => 'correct horse battery');
is $ua->get("/page$_")->{status}, 200, "request $_ passes" for 1 .. 3;
$ua->get("/page$_") for 4 .. 30;
$n->stop;

sub lines ($path) {
    open my $fh, '<:raw', $path or die "$path: $!\n";
    return <$fh>;
}

sub verify (@files) {
    return $t->kotctl('audit', 'verify', '--auditor-private-key', $priv,
                      @files);
}

sub tampered ($name, @lines) {
    my $f = "$dir/$name.log";
    open my $fh, '>:raw', $f or die "$f: $!\n";
    print {$fh} @lines;
    close $fh or die "$f: $!\n";
    return $f;
}

my @l = lines($log);
my @r = map { $json->decode($_) } @l;
my $chain = $r[0]{'kot.chain'};

is $r[0]{'kot.version'}, 'ngx_kot/3', 'record 0 names the format';
is $r[-1]{'event.action'}, 'chain_end', 'the chain ends in order';

# Which record starts which write: the first of each after the first
# names it, counting from 1.
my @marks = grep { exists $r[$_]{'kot.batch'} } 0 .. $#r;
cmp_ok scalar @marks, '>=', 10, 'the log was written in many writes';
is_deeply [ map { $r[$_]{'kot.batch'} } @marks ], [ 1 .. @marks ],
    'each write\'s first record names it, in order';

my $v = verify($log);
is $v->{exit}, 0, 'the log verifies';
is $v->{out}, "OK: 1 file, 1 chain, @{[ scalar @l ]} records verified\n",
    'every record of it';

# a write of two or more records, not the first nor the last
my ($w) = grep { $marks[$_ + 1] - $marks[$_] >= 2 } 1 .. $#marks - 1;
my ($first, $next) = @marks[$w, $w + 1];
my $second = $first + 1;
my $seq = sub ($i) { $r[$i]{'event.sequence'} };
my $at = sub ($f, $i) { "$f:" . ($i + 1) . ': ' };

# What verify says after a problem in an ngx_kot/3 chain, where it cannot
# follow the chain on: the next write's key is made from the write before.
# $i is the line's index in the file tampered with, $s its record's number.
my $no_last = sub ($f, $i, $s) {
    $at->($f, $i) . "chain $chain cannot be verified from record $s on: in "
        . "ngx_kot/3 a write's key is made from the write before, whose "
        . "last record is missing\n";
};
my $no_key = sub ($f, $i, $s) {
    $at->($f, $i) . "record $s of chain $chain cannot be verified, nor "
        . "can the rest of the chain: a write may have begun among the "
        . "records missing before it, and in ngx_kot/3 a write's key is "
        . "made from the write before\n";
};

my @x = @l;
$x[$second] =~ s{"url\.path":"/page}{"url.path":"/pagf} or die;
my $f = tampered('altered', @x);
$v = verify($f);
is $v->{exit}, 1, 'a record altered inside a write fails';
is $v->{out}, $at->($f, $second) . "record @{[ $seq->($second) ]} of chain "
    . "$chain was altered (its MAC does not match)\n",
    'and verify names that record';

@x = @l;
$x[$first] =~ s/"url\.path":"/"url.path":"x/ or die;
$f = tampered('altered-first', @x);
is verify($f)->{out}, $at->($f, $first) . "record @{[ $seq->($first) ]} of "
    . "chain $chain was altered (its MAC does not match)\n",
    'so is the first record of a write';

@x = @l;
$x[$first] =~ s/"kot\.batch":(\d+)/'"kot.batch":' . ($1 + 1)/e or die;
$f = tampered('renumbered', @x);
is verify($f)->{out}, $at->($f, $first) . "record @{[ $seq->($first) ]} of "
    . "chain $chain was altered (its MAC does not match)\n",
    'a write\'s number changed is an altered record';

@x = @l;
$x[$second] =~ s/"kot\.mac"/"kot.batch":@{[ $w + 2 ]},"kot.mac"/ or die;
$f = tampered('marked', @x);
is verify($f)->{out}, $at->($f, $second) . "record @{[ $seq->($second) ]} "
    . "of chain $chain was altered (its MAC does not match)\n",
    'so is a write\'s start added where there was none';

@x = @l;
splice @x, $second, 1;
$f = tampered('removed', @x);
is verify($f)->{out}, $at->($f, $second) . "record @{[ $seq->($second) ]} "
    . "of chain $chain is missing (expected @{[ $seq->($second) ]}, found "
    . "@{[ $seq->($second) + 1 ]})\n"
    . ($second + 1 == $next ? $no_last->($f, $second, $seq->($next)) : ''),
    'a record removed from inside a write is named as missing';

@x = @l;
splice @x, $first, 1;
$f = tampered('removed-first', @x);
is verify($f)->{out}, $at->($f, $first) . "record @{[ $seq->($first) ]} "
    . "of chain $chain is missing (expected @{[ $seq->($first) ]}, found "
    . "@{[ $seq->($first) + 1 ]})\n"
    . $no_key->($f, $first + 1, $seq->($second + 1)),
    'so is the first record of a write, and verify says that it cannot '
    . 'follow the chain on without it';

@x = @l;
splice @x, $first, $next - $first;
$f = tampered('removed-write', @x);
is verify($f)->{out}, $at->($f, $first) . "records @{[ $seq->($first) ]} to "
    . "@{[ $seq->($next) - 1 ]} of chain $chain are missing (expected "
    . "@{[ $seq->($first) ]}, found @{[ $seq->($next) ]})\n"
    . $no_last->($f, $first, $seq->($next)), 'so is a whole write';

@x = @l;
@x[$first, $second] = @x[$second, $first];
$f = tampered('swapped', @x);
is verify($f)->{out}, $at->($f, $first) . "record @{[ $seq->($second) ]} of "
    . "chain $chain is out of order (expected @{[ $seq->($first) ]}, which "
    . "comes later, at $f:@{[ $second + 1 ]})\n"
    . $no_key->($f, $second + 1, $seq->($second + 1)),
    'two records swapped inside a write are out of order';

@x = @l;
@x[$first - 1, $first] = @x[$first, $first - 1];
$f = tampered('swapped-across', @x);
is verify($f)->{out}, $at->($f, $first - 1) . "record @{[ $seq->($first) ]} "
    . "of chain $chain is out of order (expected @{[ $seq->($first - 1) ]}, "
    . "which comes later, at $f:@{[ $first + 1 ]})\n"
    . $no_last->($f, $first - 1, $seq->($first)),
    'so are the last record of a write and the first of the next';

# a cut tail shows against the chain's anchor in Redis
$f = tampered('cut', @l[0 .. $#l - 3]);
$v = verify($f);
is $v->{exit}, 1, 'a log cut short fails';
like $v->{out}, qr/^chain $chain: its tail is missing: the files end at (?x)
    record \s @{[ $seq->($#l - 3) ]} \s \(\Q$f\E:@{[ $#l - 2 ]}\), \s Redis
    \s saw \s record \s @{[ $seq->($#l) ]} \s written/m,
    'naming the last record left and the last one written';

for my $old (1, 2) {
    @x = @l;
    $x[0] =~ s{"kot\.version":"ngx_kot/3"}{"kot.version":"ngx_kot/$old"}
        or die;
    $f = tampered("downgraded-$old", @x);
    is verify($f)->{out}, "$f:1: record 0 of chain $chain was altered (its "
        . "MAC does not match)\n$f:1: chain $chain cannot be verified past "
        . "its record 0, from which its key, format and MAC algorithm are "
        . "read\n", "record 0 made to claim the format ngx_kot/$old fails";
}

@x = @l;
$x[0] =~ s{"kot\.version":"ngx_kot/3"}{"kot.version":"ngx_kot/9"} or die;
$f = tampered('future', @x);
is verify($f)->{out}, "$f:1: record 0 of chain $chain names a format this "
    . "kotctl does not know (is kotctl older than the writer?)\n",
    'a format verify does not know is said to be one';


# A writer taken over.  Whoever takes a worker over after a write of its
# buffer holds the next write's key.  They cut the write before short
# (the security event that flushed it was its last record), and seal
# records of their own after what is left: here the log's later records,
# renumbered, as the writer would have sealed them, and the anchor theirs
# too (--no-anchors).  The test plays that writer, from K_0.

sub openssl ($in, @args) {
    my $f = "$dir/openssl.in";
    open my $fh, '>:raw', $f or die "$f: $!\n";
    print {$fh} $in;
    close $fh or die "$f: $!\n";
    open my $out, '-|:raw', 'openssl', (map { $_ eq 'IN' ? $f : $_ } @args)
        or die "openssl: $!\n";
    local $/;
    my $r = <$out>;
    close $out or die "openssl @args failed\n";
    return $r;
}

sub k0 ($line, $key) {
    my $sealed = $json->decode($line)->{'kot.sealed_key'};
    return openssl(decode_base64($sealed), 'pkeyutl', '-decrypt', '-inkey',
                   $key, '-in', 'IN', map { ('-pkeyopt', $_) }
                   qw(rsa_padding_mode:oaep rsa_oaep_md:sha256
                      rsa_mgf1_md:sha256));
}

# a line: S_i without its closing brace, and the raw MAC
sub body ($line) {
    $line =~ /^(.*),"kot\.mac":"([0-9a-f]{32})"\}\n\z/s or die $line;
    return ($1, pack 'H*', $2);
}

# W_{b+1}, from W_b, its write's records and the last one's MAC
sub next_key ($format, $w, $n, $mac) {
    return $format == 3 ? sha256($w . pack('Q<', $n) . $mac) : sha256($w);
}

# Keeps records 0 .. $keep, drops those up to the write starting at $from,
# and seals the ones from there on after record $keep.
sub forge ($format, $k0, $keep, $from, @lines) {
    my ($w, $n, $mac) = ($k0, 0);

    # the key the writer held once the write before $from was written
    for my $i (0 .. $from - 1) {
        my ($b, $m) = body($lines[$i]);
        ($w, $n) = (next_key($format, $w, $n, $mac), 0)
            if $b =~ /"kot\.batch":\d+\z/;
        ($n, $mac) = ($n + 1, $m);
    }

    $w = next_key($format, $w, $n, $mac);
    (undef, $mac) = body($lines[$keep]);
    $n = 0;

    my @out = @lines[0 .. $keep];

    for my $i ($from .. $#lines) {
        my ($b) = body($lines[$i]);
        ($w, $n) = (next_key($format, $w, $n, $mac), 0)
            if $i > $from && $b =~ /"kot\.batch":\d+\z/;
        $b =~ s/"event\.sequence":(\d+)/
                '"event.sequence":' . ($1 - ($from - $keep - 1))/e or die;

        my $stream = openssl("\0" x (32 * ($n + 1)), 'enc', '-chacha20',
                             '-K', unpack('H*', $w), '-iv', '00' x 16,
                             '-in', 'IN');
        my $hex = lc openssl($mac . $b . '}', 'mac', '-macopt', 'hexkey:'
                             . unpack('H*', substr($stream, 32 * $n, 32)),
                             '-in', 'IN', 'POLY1305');
        chomp $hex;

        push @out, $b . ',"kot.mac":"' . $hex . "\"}\n";
        ($n, $mac) = ($n + 1, pack 'H*', $hex);
    }

    return @out;
}

my $k0 = k0($l[0], $priv);
is_deeply [ forge(3, $k0, $next - 1, $next, @l) ], \@l,
    'the test\'s writer, cutting nothing, seals the log again as nginx did';

$f = tampered('taken-over', forge(3, $k0, $first, $next, @l));
$v = verify('--no-anchors', $f);
is $v->{exit}, 1, 'a write cut short by whoever took the writer over fails';
is $v->{out}, $at->($f, $second) . "record @{[ $seq->($second) ]} of chain "
    . "$chain was altered (its MAC does not match)\n" . $at->($f, $second + 1)
    . "record @{[ $seq->($second) + 1 ]} of chain $chain cannot be "
    . "verified, nor can the rest of the chain: the key of its write cannot "
    . "be known past the records that did not verify\n",
    'at the first record they sealed, where the first one removed was, and '
    . 'none of theirs verifies';


# the format before: a log that ngx_kot/1 wrote (t/data), a key per record

my $old = KotTest->repo . '/t/data/audit-ngx_kot-1.log';
my $old_key = KotTest->repo . '/t/data/audit-ngx_kot-1.pem';
my @o = lines($old);
like $o[0], qr/"kot\.version":"ngx_kot\/1"/, 'the old log is ngx_kot/1';

$v = $t->kotctl('audit', 'verify', '--auditor-private-key', $old_key, $old);
is $v->{exit}, 0, 'a log of the format before still verifies';
is $v->{out}, "OK: 1 file, 1 chain, @{[ scalar @o ]} records verified\n",
    'every record of it';

@x = @o;
$x[3] =~ s{"url\.path":"/page}{"url.path":"/pagf} or die;
$f = tampered('old-altered', @x);
$v = $t->kotctl('audit', 'verify', '--auditor-private-key', $old_key, $f);
my $old_chain = $json->decode($o[0])->{'kot.chain'};
is $v->{out}, "$f:4: record 3 of chain $old_chain was altered (its MAC does "
    . "not match)\n", 'and a record altered in it is still named';


# ngx_kot/2 (t/data): a key per write, which did not depend on the write
# before; sealed to the same key

$old = KotTest->repo . '/t/data/audit-ngx_kot-2.log';
@o = lines($old);
@r = map { $json->decode($_) } @o;
$old_chain = $r[0]{'kot.chain'};
like $o[0], qr/"kot\.version":"ngx_kot\/2"/, 'the older log is ngx_kot/2';

sub verify_old (@args) {
    return $t->kotctl('audit', 'verify', '--auditor-private-key', $old_key,
                      @args);
}

my $cuttable = "note: 1 of the chains are of the format ngx_kot/2: whoever "
    . "took such a chain's writer over could have cut short, unseen, the "
    . "last write before, and written on (docs/audit.md)\n";

$v = verify_old($old);
is $v->{exit}, 0, 'a log of ngx_kot/2 still verifies';
is $v->{out}, "OK: 1 file, 1 chain, @{[ scalar @o ]} records verified\n",
    'every record of it';
like $v->{err}, qr/^\Q$cuttable\E/m, 'with a note on what it cannot show';

@x = @o;
$x[5] =~ s{"url\.path":"/page}{"url.path":"/pagf} or die;
$f = tampered('v2-altered', @x);
is verify_old($f)->{out}, "$f:6: record 5 of chain $old_chain was altered "
    . "(its MAC does not match)\n", 'a record altered in it is named';

# the writer taken over, as above: in ngx_kot/2 it goes unseen
@marks = grep { exists $r[$_]{'kot.batch'} } 0 .. $#r;
($w) = grep { $marks[$_ + 1] - $marks[$_] >= 2 } 1 .. $#marks - 1;
($first, $next) = @marks[$w, $w + 1];
$k0 = k0($o[0], $old_key);

is_deeply [ forge(2, $k0, $next - 1, $next, @o) ], \@o,
    'the test\'s writer seals the ngx_kot/2 log again as nginx did';

$f = tampered('v2-taken-over', forge(2, $k0, $first, $next, @o));
$v = verify_old('--no-anchors', $f);
is $v->{out}, "OK: 1 file, 1 chain, @{[ @o - ($next - $first - 1) ]} records "
    . "verified\n", 'a write of ngx_kot/2 cut short goes unseen';
is $v->{err}, $cuttable, 'but for the note';

# a write's first record removed: the records after it are read as the
# write before's, and fail; in ngx_kot/2 the next write's key is
# SHA-256 of the one before, whatever was lost, so verify goes on there
@x = @o;
splice @x, $first, 1;
$f = tampered('v2-removed-first', @x);
$v = verify_old('--no-anchors', $f);
my $s = sub ($i) { $r[$i]{'event.sequence'} };
is $v->{out}, $at->($f, $first) . "record @{[ $s->($first) ]} of chain "
    . "$old_chain is missing (expected @{[ $s->($first) ]}, found "
    . "@{[ $s->($first + 1) ]})\n" . $at->($f, $first + 1) . "record "
    . "@{[ $s->($first + 2) ]} of chain $old_chain cannot be verified: a "
    . "write may have begun among the records missing before it; verify "
    . "follows the chain again from the next write's start\n",
    'in ngx_kot/2, a write\'s first record removed is named, and verify '
    . 'says where it cannot follow';
like $v->{err}, qr/: @{[ @o - 1 - ($next - $first) ]} records verified$/m,
    'and verifies the chain again from the next write on';


# A buffer that holds many request records: nginx makes their MACs 64 at
# a time, or before a security event is sealed, and the auditor sees the
# same chain as ever: every record verifies, numbered in the order the
# requests and the event happened.
{
    my $big = $t->nginx(KotTest->site(
        http => "kot_audit_log %%DIR%%/audit.log buffer=64k flush=10s;\n"
              . "    kot_audit_auditor_key $pub;\n"
              . '    kot_audit_requests on;'), name => 'big');
    my $ua = $big->ua;
    $ua->login(tenant => 'acme', username => 'alice',
               password => 'correct horse battery');
    is $ua->get("/run$_")->{status}, 200, "request $_ of a long run passes"
        for 1 .. 100;
    $big->ua->login(tenant => 'acme', username => 'alice',
                    password => 'wrong');
    $ua->get("/run$_") for 101 .. 150;
    $big->stop;

    my $path = $big->dir . '/audit.log';
    my @rec = map { $json->decode($_) } lines($path);
    is_deeply [ map { $_->{'event.sequence'} } @rec ], [ 0 .. $#rec ],
        'a long run of request records is numbered in order';
    my @seen = map { ($_->{'event.reason'} // '') eq 'bad_password'
                     ? 'wrong password' : $_->{'url.path'} // '' } @rec;
    @seen = grep { /^\/run|^wrong/ } @seen;
    is_deeply \@seen, [ (map { "/run$_" } 1 .. 100), 'wrong password',
                        map { "/run$_" } 101 .. 150 ],
        'with the security event among them where it happened';
    my $v = verify($path);
    is $v->{out}, "OK: 1 file, 1 chain, @{[ scalar @rec ]} records "
        . "verified\n", 'and every record of it verifies';
}

done_testing;
