# kotctl allowlist: the per-tenant source address allow-lists as an
# administrator manages them.  Entries are stored in canonical form, every
# malformed entry is refused with its reason and nothing changes, the
# version moves with every change, and a list holds at most 10,000.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;

my $t = KotTest->new;

is $t->kotctl('tenant', 'add', 'acme')->{exit}, 0, 'tenant acme exists';

sub allow (@args) { return $t->kotctl('allowlist', @args) }

sub listed ($list = 'access', $tenant = 'acme') {
    my $r = allow($tenant, $list, 'list');
    return [ split /\n/, $r->{out} ];
}

sub stored ($list = 'access', $tenant = 'acme') {
    return [ sort @{ $t->redis('SMEMBERS', "kot:v1:al:$tenant:$list") } ];
}

sub version ($tenant = 'acme') {
    return $t->redis('GET', "kot:v1:alv:$tenant") // 0;
}


# an empty list

my $r = allow('acme', 'access', 'list');
is $r->{exit}, 0, 'listing a list never set succeeds';
is $r->{out}, '', 'and prints no network';
my $access_empty = 'the access list of tenant "acme" is empty: '
                 . 'every network is allowed';
like $r->{err}, qr/^$access_empty$/m,
    '  but says that the list is empty and what that means';


# add, in canonical form

$r = allow('Acme', 'access', 'add', '10.0.0.0/8', '192.0.2.7');
is $r->{exit}, 0, 'two entries are added';
like $r->{out}, qr/^2 of 2 entries added to the access list of tenant "acme"/,
    'kotctl says how many were added';
is_deeply listed(), [ '10.0.0.0/8', '192.0.2.7/32' ],
    'a host is listed as /32';
is version(), 1, 'the version counter starts at 1 with the first change';

$r = allow('acme', 'access', 'add', '2001:DB8::/32', '::ffff:10.1.2.0/120',
           '2001:0db8:0000:0000:0000:0000:0000:0001', '9.0.0.0/8',
           '100.0.0.0/8');
is $r->{exit}, 0, 'IPv6 and IPv4-mapped entries are added';
is_deeply listed(), [ '9.0.0.0/8', '10.0.0.0/8', '10.1.2.0/24',
                      '100.0.0.0/8', '192.0.2.7/32', '2001:db8::/32',
                      '2001:db8::1/128' ],
    'the list is sorted, IPv4 first and numerically, IPv6 in canonical form';
ok((grep { $_ eq '10.1.2.0/24' } @{ stored() }),
    '"::ffff:10.1.2.0/120" is stored as the IPv4 network 10.1.2.0/24');
ok((grep { $_ eq '2001:db8::/32' } @{ stored() }),
    '"2001:DB8::/32" is stored in lower case');
is version(), 2, 'the version counter moves with the change';

# what is already as asked changes nothing: the version stays (no node
# reloads the list) and nothing is recorded
sub recorded ($tenant = 'acme') {
    return scalar grep { /"allowlist_changed"/ }
        @{ $t->redis('LRANGE', "kot:v1:ev:$tenant", 0, -1) };
}
is recorded(), 2, 'each change is among the tenant\'s events';

$r = allow('acme', 'access', 'add', '10.0.0.0/8', '::ffff:10.0.0.0/104');
is $r->{exit}, 0, 'adding an entry already there succeeds';
like $r->{out}, qr/^0 of 1 entry added .*\(1 already there\)/,
    'and says it was already there, counting its two spellings once';
like $r->{out}, qr/; it has 7 entries; nothing changed$/m,
    '  and that nothing changed';
is scalar @{ stored() }, 7, 'the list did not grow';
is version(), 2, '  its version did not move';
is recorded(), 2, '  and nothing was recorded';


# remove

my $v = version();
$r = allow('acme', 'access', 'remove', '192.0.2.7/32', '203.0.113.0/24');
is $r->{exit}, 0, 'removing an entry that is not there is not an error';
my $removed = '1 of 2 entries removed from the access list of tenant "acme" '
            . '(1 not there); it has 6 entries';
like $r->{out}, qr/^\Q$removed\E$/m,
    'kotctl reports how many were removed';
ok !(grep { $_ eq '192.0.2.7/32' } @{ listed() }), 'the host is gone';
is version(), $v + 1, 'the version counter moves with a removal';

$v = version();
my $records = recorded();
$r = allow('acme', 'access', 'remove', '192.0.2.7');
is $r->{exit}, 0, 'removing it again succeeds';
like $r->{out}, qr/^0 of 1 entry removed .*; nothing changed$/m,
    '  removes none and says that nothing changed';
is version(), $v, '  the version did not move';
is recorded(), $records, '  and nothing was recorded';

$r = allow('acme', 'access', 'set', @{ listed() });
is $r->{exit}, 0, 'setting the list to what it holds succeeds';
is $r->{out}, 'the access list of tenant "acme" already is that list; it '
    . "has 6 entries; nothing changed\n", '  and says that nothing changed';
is version(), $v, '  the version did not move';
is recorded(), $records, '  and nothing was recorded';


# the two lists are separate

$r = allow('acme', 'admin', 'add', '198.51.100.0/24');
is $r->{exit}, 0, 'an entry is added to the admin list';
my $added = '1 of 1 entry added to the admin list of tenant "acme" '
          . '(0 already there); it has 1 entry';
like $r->{out}, qr/^\Q$added\E$/m,
    '  and kotctl counts it in the singular';
is_deeply listed('admin'), [ '198.51.100.0/24' ], 'the admin list has it';
ok !(grep { $_ eq '198.51.100.0/24' } @{ listed('access') }),
    'the access list does not';


# malformed entries: each refused with its reason, nothing changed

my $unexpected = q{unexpected characters (an address has only digits, }
               . q{a-f, '.', ':' and one '/')};
my %why = (
    '10.0.0.0/33'        => 'prefix length out of range '
                            . '(IPv4 allows /0 to /32)',
    '1.2.3'              => 'not an IPv4 address '
                            . '(four numbers 0 to 255: a.b.c.d)',
    '::ffff:1.2.3.4/129' => 'prefix length out of range '
                            . '(IPv6 allows /0 to /128)',
    '10.0.0.1/8'         => 'host bits set (did you mean 10.0.0.0/8?)',
    '2001:db8::1/32'     => 'host bits set (did you mean 2001:db8::/32?)',
    ' 10.0.0.0/8'        => 'spaces or control characters',
    '10.0.0.0/8 '        => 'spaces or control characters',
    '10.0.0.0/ 8'        => 'spaces or control characters',
    'garbage!'           => $unexpected,
    'example.com'        => $unexpected,
    ''                   => 'empty',
    '01.2.3.4'           => 'leading zeros in IPv4 numbers are ambiguous '
                            . '(octal or decimal?)',
    '10.0.0.0/08'        => 'leading zero in the prefix length',
    'fe80::1%eth0'       => 'an IPv6 zone (%...) is not allowed',
    '/8'                 => q{no address before the '/'},
    '1.2.3.4/'           => q{no prefix length after the '/'},
    '2001:db8:::/48'     => 'not an IPv6 address',
    'beef'               => 'not an IPv4 or IPv6 address',
);

my $before = stored();
$v = version();

for my $bad (sort keys %why) {
    for my $op ('add', 'set', 'remove') {
        $r = allow('acme', 'access', $op, '172.16.0.0/12', $bad,
                   '10.0.0.0/8');
        is $r->{exit}, 2, "$op refuses \"$bad\" among good entries";
        like $r->{err}, qr/^kotctl: "\Q$bad\E": \Q$why{$bad}\E$/m,
            "  saying: $why{$bad}" if $op eq 'add';
    }
}

is_deeply stored(), $before, 'after all that, the list is unchanged';
is version(), $v, 'and so is its version';

$r = allow('acme', 'access', 'add', '10.0.0.0/33', '192.0.2.0/24', '1.2.3');
is $r->{exit}, 2, 'two bad entries in one command are refused';
is scalar(() = $r->{err} =~ /^kotctl: "[^"]*": /mg), 2,
    'each with its own line';
like $r->{err}, qr/2 of 3 entries are not valid; nothing was changed/,
    'and a summary that nothing changed';

$r = allow('acme', 'access', 'add', "10.0.0.0/8\e[2J");
like $r->{err},
    qr/^kotctl: "10\.0\.0\.0\/8\\u001b\[2J": spaces or control characters$/m,
    'control characters in a refused entry are shown escaped';
is_deeply stored(), $before, 'still unchanged';

$r = allow('acme', 'access', 'add', "\xc3\xa9" x 70 . "\e[2J");
like $r->{err}, qr/^kotctl: "(?:\xc3\xa9){64}\.\.\.": /m,
    'a long refused entry is cut after 64 characters, not inside one';


# set replaces the whole list

$v = version();
$r = allow('acme', 'access', 'set', '172.16.0.0/12', '2001:db8:1::/48',
           '172.16.0.0/12');
is $r->{exit}, 0, 'set replaces the list';
like $r->{out},
    qr/^the access list of tenant "acme" was replaced; it has 2 entries$/m,
    'and says how many entries it has';
is_deeply listed(), [ '172.16.0.0/12', '2001:db8:1::/48' ],
    'only the new entries are there';
is version(), $v + 1, 'the version counter moved once';
is_deeply listed('admin'), [ '198.51.100.0/24' ],
    'the admin list is untouched';

$r = allow('acme', 'access', 'set');
is $r->{exit}, 0, 'set with no entries empties the list';
my $now_empty = 'the access list of tenant "acme" is now empty: '
              . 'every network is allowed';
like $r->{out}, qr/^$now_empty$/m,
    'with a clear note that every address is now allowed';
is $t->redis('EXISTS', 'kot:v1:al:acme:access'), 0, 'the key is gone';
is version(), $v + 2, 'emptying the list moves the version';
$r = allow('acme', 'access', 'list');
ok $r->{exit} == 0 && $r->{out} eq '', 'an emptied list prints no network';
like $r->{err}, qr/^$access_empty$/m,
    '  but says that it is empty';

$r = allow('acme', 'admin', 'remove', '198.51.100.0/24');
my $admin_note = 'admin locations allow every network that the access list '
               . 'allows';
like $r->{out},
    qr/^the admin list of tenant "acme" is now empty: $admin_note$/m,
    'removing the last entry gives the note for the admin list';
like allow('acme', 'admin', 'list')->{err},
    qr/^the admin list of tenant "acme" is empty: $admin_note$/m,
    '  and so does listing it';


# unknown tenants and bad command lines

for my $op ([ 'add', '10.0.0.0/8' ], [ 'remove', '10.0.0.0/8' ],
            [ 'set', '10.0.0.0/8' ], [ 'list' ])
{
    $r = allow('nosuch', 'access', @$op);
    is $r->{exit}, 1, "$op->[0] for an unknown tenant fails";
    like $r->{err}, qr/tenant "nosuch" does not exist/, '  and says so';
}
is $t->redis('EXISTS', 'kot:v1:al:nosuch:access', 'kot:v1:alv:nosuch'), 0,
    'no list or version was created for it';

$r = allow('-acme', 'access', 'list');
is $r->{exit}, 2, 'a malformed tenant name is a usage error';
like $r->{err}, qr/"-acme" is not a valid tenant name/, '  and says so';

$r = allow('acme', 'users', 'list');
is $r->{exit}, 2, 'a list other than access or admin is a usage error';
like $r->{err}, qr/unknown list "users": use access .* or admin/,
    '  naming the two lists';

is allow('acme', 'access', 'frob', '10.0.0.0/8')->{exit}, 2,
    'an unknown allowlist command is a usage error';
like allow('acme', 'access', 'add')->{err},
    qr/allowlist add needs at least one CIDR/,
    'add without an entry is a usage error';
is allow('acme', 'access', 'list', '10.0.0.0/8')->{exit}, 2,
    'list takes no entries';
like allow('acme')->{err}, qr/usage: kotctl allowlist TENANT/,
    'too few arguments show the usage';
like $t->kotctl('--help')->{out}, qr/allowlist TENANT access\|admin/,
    'kotctl --help shows the allowlist command';


# at most 10,000 entries

my @hosts = map { sprintf '10.%d.%d.%d', $_ >> 16, ($_ >> 8) & 255, $_ & 255 }
            0 .. 9999;
$v = version();
$r = allow('acme', 'access', 'set', @hosts);
is $r->{exit}, 0, 'a list of 10,000 entries can be set';
is $t->redis('SCARD', 'kot:v1:al:acme:access'), 10000, 'all are stored';
is scalar @{ listed() }, 10000, 'and listed';
is listed()->[-1], '10.0.39.15/32', 'in numeric order';

$r = allow('acme', 'access', 'add', '192.0.2.1');
is $r->{exit}, 1, 'the 10,001st entry is refused';
like $r->{err}, qr/would hold more than 10000 entries; nothing was changed/,
    '  with the limit';
is $t->redis('SCARD', 'kot:v1:al:acme:access'), 10000, 'the list is unchanged';
is version(), $v + 1, 'and so is its version';

is allow('acme', 'access', 'add', '10.0.0.1')->{exit}, 0,
    'adding an entry already in a full list is fine';
is allow('acme', 'access', 'remove', '10.0.0.1')->{exit}, 0,
    'an entry is removed from the full list';
$r = allow('acme', 'access', 'add', '192.0.2.1', '192.0.2.2');
is $r->{exit}, 1, 'two more would exceed the limit and are both refused';
is $t->redis('SCARD', 'kot:v1:al:acme:access'), 9999, 'none was added';

$r = allow('acme', 'access', 'set', @hosts, '192.0.2.1');
is $r->{exit}, 2, 'set with 10,001 entries is refused';
like $r->{err},
    qr/10001 entries: a list holds at most 10000; nothing was changed/,
    '  before anything is sent';
is $t->redis('SCARD', 'kot:v1:al:acme:access'), 9999, 'the list is unchanged';


# the audit log

my (undef, $pub) = $t->auditor_keys;
my $log = $t->dir . '/kotctl-audit.log';
$r = $t->kotctl('--audit-log', $log, '--auditor-key', $pub, 'allowlist',
                'acme', 'admin', 'add', '2001:DB8::/32', '192.0.2.0/24');
is $r->{exit}, 0, 'a change with --audit-log succeeds';

my ($rec) = $t->audit_records($log, 'allowlist_changed');
ok $rec, 'the change is recorded as allowlist_changed';
is $rec->{'event.category'}, 'configuration', '  in the configuration category';
is $rec->{'organization.id'}, 'acme', '  for the tenant';
is_deeply [ @{ $rec->{'kot.change'} }{qw(list op entries)} ],
    [ 'admin', 'add', [ '192.0.2.0/24', '2001:db8::/32' ] ],
    '  with the list, the operation and the canonical entries';
is_deeply $rec->{'kot.change'}{added}, [ '192.0.2.0/24', '2001:db8::/32' ],
    '  what it added';
is_deeply $rec->{'kot.change'}{removed}, [], '  and removed';
is $rec->{'kot.change'}{after}{size} - $rec->{'kot.change'}{before}{size}, 2,
    '  and the size before and after';
is $rec->{'kot.via'}, 'kotctl', '  made with kotctl';

done_testing;
