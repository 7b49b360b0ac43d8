# What kotctl lists from Redis reaches the operator's terminal escaped.
# Names are checked when they are written, but anyone who can write to
# Redis (or an older version) may have put raw control characters there:
# an ESC sequence would act on the terminal, and a newline would forge a
# line of the listing.  Every human-readable listing shows such a string
# escaped as a JSON string is ("\u001b", "\n", invalid UTF-8 as U+FFFD),
# while ordinary names print as they always did and --json is JSON.  The
# tables line up on a terminal whatever the names hold: escaped, with a
# NUL, or Japanese (two columns a character).

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use Encode ();
use JSON::PP;
use KotTest;
use Test::More;
use Time::HiRes ();

my $t = KotTest->new;
my $json = JSON::PP->new->utf8;

# ESC, a newline that would forge a line, DEL, C1 CSI, U+2028
my $evil = "ev\e[2Jil\nkotctl: forged\x{7f}\x{c2}\x{9b}31m\x{e2}\x{80}\x{a8}";
my $shown = 'ev\u001b[2Jil\nkotctl: forged\u007f\u009b31m\u2028';
my $raw = qr/[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xa8\xa9]/;
my $handle = 'sev\u001b[2Jil\nkotctl';     # its first 16 bytes after "s"
my $now = int(Time::HiRes::time() * 1000);

is $t->kotctl('tenant', 'add', 'rogue')->{exit}, 0, 'tenant rogue exists';
is $t->kotctl('user', 'add', 'rogue', 'bob', '--role', 'user',
              '--generate-password')->{exit}, 0, 'and its user bob';

# Names that the rules (kot_ident.h) refuse but Redis may hold: one that a
# NUL would cut short, and Japanese, whose characters take two columns
# each on a terminal.
my $nul = "nul\0hidden";
my $nul_shown = 'nul\u0000hidden';
my $ja = "\x{5c71}\x{7530}\x{592a}\x{90ce}";     # Yamada Taro
my $ja_bytes = Encode::encode('UTF-8', $ja);

# what an intruder with access to Redis plants (README, "Data model")
$t->redis('SADD', 'kot:v1:tenants', $evil);
$t->redis('HSET', "kot:v1:t:$evil", 'created', $now);
$t->redis('SADD', 'kot:v1:users:rogue', $evil);
$t->redis('HSET', "kot:v1:u:rogue:$evil", 'roles', "admin,$evil",
          'created', $now, 'pw_changed', $now);
$t->redis('HSET', 'kot:v1:u:rogue:bob', 'roles', "user,$evil");
$t->redis('SADD', 'kot:v1:users:rogue', "bad\xffname");
$t->redis('HSET', "kot:v1:u:rogue:bad\xffname", 'roles', "user\xc3",
          'created', $now);
for my $u ($nul, $ja) {
    $t->redis('SADD', 'kot:v1:users:rogue', $u);
    $t->redis('HSET', "kot:v1:u:rogue:$u", 'roles', 'user', 'created', $now,
              'pw_changed', $now);
}
for my $name ($nul, $ja) {
    $t->redis('SADD', 'kot:v1:tenants', $name);
    $t->redis('HSET', "kot:v1:t:$name", 'created', $now);
}
$t->redis('LPUSH', 'kot:v1:ev:rogue', '{"event": "ok"}',
          qq({"user": "$evil", "bad": "\xff\e]0;t\a", "nul": "\0\e[8m"}));
$t->redis('SADD', 'kot:v1:al:rogue:access', '192.0.2.0/24',
          "10.0.0.0/8$evil");
$t->redis('HSET', 'kot:v1:t:rogue', 'notify_url', "https://x.test/$evil");
$t->redis('HSET', 'kot:v1:grant:rogue', 'by', $evil, 'created', $now,
          'expires', $now + 3_600_000);

for my $s (["s$evil", $evil, $evil], ['sNormalHandle0000', 'bob', '192.0.2.1'],
           ["sNul\0Handle00000000", 'bob', '192.0.2.2'],
           ['sNulUserHandle000', $nul, '192.0.2.4'],
           ['sYamadaHandle0000', $ja, '192.0.2.3'])
{
    my ($sid, $user, $ip) = @$s;
    $t->redis('HSET', "kot:v1:s:$sid", 't', 'rogue', 'u', $user,
              'c', $now, 'l', $now, 'ip', $ip);
    $t->redis('PEXPIRE', "kot:v1:s:$sid", 3_600_000);
    $t->redis('ZADD', "kot:v1:us:rogue:$user", $now + 7_200_000, $sid);
}

# The columns a terminal gives to UTF-8 text: two for a wide (East Asian)
# character, none for a combining mark.
sub width ($bytes) {
    my $w = 0;
    for my $c (split //, Encode::decode('UTF-8', $bytes)) {
        $w += $c =~ /\p{Mn}|\p{Me}/ ? 0 : $c =~ /\p{Ea=W}|\p{Ea=F}/ ? 2 : 1;
    }
    return $w;
}

# The columns where each cell of each line starts, as $cells (a regex
# with a group for each cell) finds them, must be those of the head
# line: the table lines up on a terminal, whatever its names hold.
sub lined_up ($out, $cells, $what) {
    my ($head, @rows) = split /\n/, $out;
    my @starts;
    for my $line ($head, @rows) {
        my @at;
        if ($line eq $head) {
            push @at, width(substr($line, 0, $-[0]))
                while $line =~ /\S+(?: \S+)*/g;
        } elsif ($line =~ $cells) {
            @at = map { width(substr($line, 0, $-[$_])) } 1 .. $#-;
        } else {
            fail "  $what: a row of its table: $line";
            return;
        }
        push @starts, join ',', @at;
    }
    is_deeply [ @starts[1 .. $#starts] ], [ ($starts[0]) x @rows ],
        "  $what: every column starts where its head does, on every row"
        or diag $out;
}

my $time = qr/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/;

sub clean ($r, $what) {
    unlike $r->{out}, $raw, "  $what: no raw control character on stdout";
    unlike $r->{err}, $raw, "  $what: nor on stderr";
    unlike $r->{out}, qr/^kotctl: forged/m, "  $what: no forged line";
}

my $r = $t->kotctl('tenant', 'list');
is $r->{exit}, 0, 'tenant list lists a tenant with control characters';
clean($r, 'tenant list');
like $r->{out}, qr/^\Q$shown\E +\d{4}-\d\d-\d\dT\S+ +0$/m,
    '  and shows its name escaped';
like $r->{out}, qr/^rogue +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ  5$/m,
    '  and the ordinary one as before';
like $r->{out}, qr/^\Q$nul_shown\E +$time +0$/m,
    '  and a name with a NUL whole, the NUL escaped';
like $r->{out}, qr/^\Q$ja_bytes\E +$time +0$/m, '  and a Japanese name';
lined_up($r->{out}, qr/^(.+?) {2,}($time) {2,}(\d+)$/, 'tenant list');

$r = $t->kotctl('user', 'list', 'rogue');
is $r->{exit}, 0, 'user list lists a user with control characters';
clean($r, 'user list');
like $r->{out}, qr/^\Q$shown\E +admin,\Q$shown\E +no /m,
    '  and shows its name and roles escaped';
like $r->{out}, qr/^bob +user,\Q$shown\E +no /m,
    '  and the ordinary name as before';
like $r->{out}, qr/^\Q$nul_shown\E +user +no /m,
    '  and a name with a NUL whole, the NUL escaped';
like $r->{out}, qr/^\Q$ja_bytes\E +user +no /m, '  and a Japanese name';
my $yn = qr/yes|no/;
lined_up($r->{out}, qr/^(.+?) {2,}(.+?) {2,}($yn) {2,}($yn) {2,}($yn)(?x)
                       \ {2,} ($yn) \ {2,} ($time) \ {2,} ($time|never)$/,
         'user list');
like $r->{out}, qr/^bad\xef\xbf\xbdname +user\xef\xbf\xbd +no /m,
    '  and invalid UTF-8 as U+FFFD';

$r = $t->kotctl('--json', 'user', 'list', 'rogue');
is $r->{exit}, 0, 'user list --json';
is_deeply [ sort map { $_->{username} }
            @{ $json->decode($r->{out})->{users} } ],
          [ sort "bad\x{fffd}name", 'bob', Encode::decode('UTF-8', $evil),
                 $nul, $ja ],
    '  is JSON that holds the name as it is, invalid UTF-8 as U+FFFD';
is_deeply [ map { @{ $_->{roles} } } grep { $_->{username} =~ /^bad/ }
            @{ $json->decode($r->{out})->{users} } ], [ "user\x{fffd}" ],
    '  (its roles too) rather than leaving the user out';
# JSON allows DEL, C1 and U+2028/9 raw; kotctl escapes them as the audit
# log does (kot_json_harden), which changes no value
unlike $r->{out}, $raw, '  with none of its characters raw';
like $r->{out},
    qr/"ev\\u001[bB]\[2Jil\\nkotctl: forged\\u007f\\u009b31m\\u2028"/,
    '  but as escapes';

$r = $t->kotctl('user', 'status', 'rogue', 'bob');
is $r->{exit}, 0, 'user status of a user whose roles hold control characters';
clean($r, 'user status');
like $r->{out}, qr/^roles:         user,\Q$shown\E$/m, '  shows them escaped';
like $r->{out}, qr/^user:          bob\ntenant:        rogue\n/,
    '  and the names as before';

$r = $t->kotctl('session', 'list', 'rogue');
is $r->{exit}, 0, 'session list of the tenant';
clean($r, 'session list');
like $r->{out}, qr/^\Q$handle\E  \Q$shown\E  \d{4}-.*  \Q$shown\E$/m,
    '  shows the handle, user and address escaped';
like $r->{out}, qr/^sNormalHandle000 +bob +\d{4}-.*  192\.0\.2\.1$/m,
    '  and an ordinary session as before';
like $r->{out}, qr/^sNul\\u0000Handle00000 +bob +\d{4}-.*  192\.0\.2\.2$/m,
    '  and a handle with a NUL whole, the NUL escaped';
like $r->{out}, qr/^sNulUserHandle00 +\Q$nul_shown\E +\d{4}-.*  192\.0\.2\.4$/m,
    '  and a user with a NUL whole';
like $r->{out}, qr/^sYamadaHandle000 +\Q$ja_bytes\E +\d{4}-.*  192\.0\.2\.3$/m,
    '  and a Japanese user';
my $times = qr/($time) {2,}($time) {2,}($time) {2,}($time)/;
lined_up($r->{out}, qr/^(.+?) {2,}(.+?) {2,}$times {2,}(.+)$/,
         'session list');

$r = $t->kotctl('--json', 'session', 'list', 'rogue');
is $r->{exit}, 0, 'session list --json';
unlike $r->{out}, $raw, '  has no raw control character';
is_deeply [ sort map { $_->{ip} } @{ $json->decode($r->{out})->{sessions} } ],
          [ sort map("192.0.2.$_", 1 .. 4), Encode::decode('UTF-8', $evil) ],
    '  and holds the address as it is';

$r = $t->kotctl('session', 'list', 'rogue', 'bob');
is $r->{exit}, 0, 'session list of a user';
clean($r, 'session list of bob');
like $r->{out}, qr/^sNormalHandle000 +\d{4}-.*  192\.0\.2\.1$/m,
    '  shows its session as before';

like $r->{out}, qr/^sNul\\u0000Handle00000 +\d{4}-.*  192\.0\.2\.2$/m,
    '  and a handle with a NUL whole, the NUL escaped';
lined_up($r->{out}, qr/^(.+?) {2,}$times {2,}(.+)$/,
         'session list of a user');

$r = $t->kotctl('tenant', 'events', 'rogue');
is $r->{exit}, 0, 'tenant events';
clean($r, 'tenant events');
my @ordinary = @{ $t->redis('LRANGE', 'kot:v1:ev:rogue', 1, -1) };
is $r->{out}, qq({"user": "$shown", )
              . qq("bad": "\x{ef}\x{bf}\x{bd}\\u001b]0;t\\u0007", )
              . qq("nul": "\\u0000\\u001b[8m"}\n)
              . join('', map { "$_\n" } @ordinary),
    '  shows an event with control characters escaped, the others as they are';
is scalar(@ordinary), 3, '  (kotctl\'s own two and the one planted)';

$r = $t->kotctl('allowlist', 'rogue', 'access', 'list');
is $r->{exit}, 1, 'an allow-list with an entry that is not a CIDR';
clean($r, 'allowlist list');
is $r->{out}, "192.0.2.0/24\n", '  lists its valid entries as before';
my $holds = qq{kotctl: kot:v1:al:rogue:access holds "10.0.0.0/8$shown", }
          . 'which is not a valid CIDR';
like $r->{err}, qr/^\Q$holds\E$/m,
    '  and names the bad one escaped, as every message does';

$r = $t->kotctl('tenant', 'notify', 'rogue');
is $r->{exit}, 0, 'tenant notify shows the webhook';
clean($r, 'tenant notify');
is $r->{out}, "https://x.test/$shown\n", '  escaped';

$r = $t->kotctl('support', 'status', 'rogue');
is $r->{exit}, 0, 'support status';
clean($r, 'support status');
like $r->{out},
    qr/^support access: granted until \S+ \(by \Q$shown\E at \S+\)$/m,
    '  names who granted it escaped';

for my $c ([ [ 'tenant', 'notify', 'rogue' ], 'notify_url',
             "https://x.test/$evil" ],
           [ [ 'support', 'status', 'rogue' ], 'by', $evil ])
{
    my ($cmd, $field, $value) = @$c;
    $r = $t->kotctl('--json', @$cmd);
    is $r->{exit}, 0, "@$cmd --json";
    unlike $r->{out}, $raw, '  has no raw control character';
    is $json->decode($r->{out})->{$field}, Encode::decode('UTF-8', $value),
        "  and holds $field as it is";
}

$t->redis('HSET', 'kot:v1:t:rogue', 'policy.classes', $evil);
$r = $t->kotctl('tenant', 'policy', 'rogue');
clean($r, 'tenant policy');
like $r->{out}, qr/^  classes=\Q$shown\E$/m,
    'tenant policy shows a rule escaped';
like $r->{out}, qr/^tenant "rogue" tightens the server's policy with:$/m,
    '  under the line it always had';

# the values that a report shows on a line of its own, holding a NUL
$t->redis('HSET', 'kot:v1:u:rogue:bob', 'roles', "user,\0admin");
$t->redis('HSET', 'kot:v1:t:rogue', 'notify_url', "https://x.test/\0more");
$t->redis('HSET', 'kot:v1:grant:rogue', 'by', "nul\0hidden");
like $t->kotctl('user', 'status', 'rogue', 'bob')->{out},
    qr/^roles:         user,\\u0000admin$/m,
    'user status shows roles with a NUL whole, the NUL escaped';
is $t->kotctl('tenant', 'notify', 'rogue')->{out},
    "https://x.test/\\u0000more\n",
    'tenant notify shows a webhook with a NUL whole';
like $t->kotctl('support', 'status', 'rogue')->{out},
    qr/^support access: granted until \S+ \(by \Q$nul_shown\E at \S+\)$/m,
    'support status names who granted it whole';

done_testing;
