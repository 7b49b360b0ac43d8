# The per-client login throttle: one address gets a few attempts, then
# 429 with Retry-After, whichever accounts it tries.  The address is the
# one nginx's realip module settled on, never a raw X-Forwarded-For.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;
use JSON::PP ();

my $t = KotTest->new;
my $n = $t->nginx(KotTest->site(
    throttle => 'rate=6/m burst=3',
    server   => 'set_real_ip_from 127.0.0.1; real_ip_header X-Real-IP;'));

$t->add_user('acme', 'alice', 'correct horse battery');

sub try ($user, %h) {
    my $password = delete $h{password} // 'guess';
    my $ua = $n->ua;
    my $form = $ua->get('/kot/login');
    return $ua->post_form('/kot/login', {
        csrf => KotTest::UA::form_field($form->{content}, 'csrf'),
        tenant => 'acme', username => $user, password => $password }, \%h);
}

my %from = ('X-Real-IP' => '192.0.2.10');

is try("user$_", %from)->{status}, 401, "attempt $_ is answered"
    for 1 .. 3;

my $res = try('user4', %from);
is $res->{status}, 429, 'the fourth attempt in a burst is refused with 429';
ok $res->{headers}{'retry-after'} >= 1 && $res->{headers}{'retry-after'} <= 10,
    'with Retry-After in seconds';
like $res->{content}, qr/Too many login attempts from your network/,
    'and a page that says why';
is try('alice', %from)->{status}, 429,
    'spraying other accounts from the same address is refused too';
ok !$t->redis('EXISTS', 'kot:v1:f:acme:user4'),
    'a refused attempt does not count against the account';
ok !$t->redis('EXISTS', 'kot:v1:f:acme:alice'),
    'so it cannot be used to lock a real user out';

is try('user5', %from, 'X-Forwarded-For' => '198.51.100.7')->{status}, 429,
    'a raw X-Forwarded-For does not buy a new address';
is try('user6', 'X-Real-IP' => '192.0.2.11')->{status}, 401,
    'another address has its own allowance';

my $throttled = 'login throttled: too many attempts from this client';
like $n->error_log,
    qr/$throttled; retry after \d+ ms, client: 192\.0\.2\.10/,
    'the throttling is logged with the address';


# The same IPv4 client, spelt plainly or IPv4-mapped (as a dual-stack
# balancer may pass it on), has one allowance, not one per spelling.

my ($plain, $mapped) = ('192.0.2.20', '::ffff:192.0.2.20');
is try("m$_", 'X-Real-IP' => $_ % 2 ? $plain : $mapped)->{status}, 401,
    "attempt $_ of an address in both spellings is answered" for 1 .. 3;
is try('m4', 'X-Real-IP' => $mapped)->{status}, 429,
    'the fourth is refused, in the IPv4-mapped spelling';
is try('m5', 'X-Real-IP' => $plain)->{status}, 429,
    '  and in the plain one';
ok !$t->redis('EXISTS', "kot:v1:th:$mapped"),
    'one bucket, under the plain IPv4 address';


# An administrator sees that an office's address is throttled and
# releases it; unlocking the account that it tried does not.

my $office = '192.0.2.30';
try("o$_", 'X-Real-IP' => $office) for 1 .. 3;
is try('alice', 'X-Real-IP' => $office,
       password => 'correct horse battery')->{status}, 429,
    'an office address that used its burst cannot log in, even rightly';

my $r = $t->kotctl('throttle', 'status', $office);
is $r->{exit}, 0, 'kotctl throttle status answers';
like $r->{out}, qr/^throttled:\s+yes, until \d{4}-\S+Z \(\d+ s\)$/m,
    'and shows the address throttled, and until when';
like $r->{out}, qr/^attempts left:\s+0\.\d of 3, 6 more a minute$/m,
    '  with what is left of the burst, at the configured rate';
like $r->{out}, qr/^clear it with:\s+kotctl throttle clear 192\.0\.2\.30$/m,
    '  and how to release it';
my $st = JSON::PP->new->decode(
    $t->kotctl('throttle', 'status', "::ffff:$office", '--json')->{out});
ok $st->{throttled}, 'throttle status --json: throttled';
like $st->{until}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, '  until a time';
is_deeply [ @$st{qw(counted_as burst rate)} ], [ $office, 3, 6 ],
    '  the bucket, its burst and rate';
like $t->kotctl('throttle', 'status', "::ffff:$office")->{out},
    qr/^counted as:\s+192\.0\.2\.30\n(?s:.*)^throttled:\s+yes/m,
    'the IPv4-mapped spelling shows the same bucket';

is $t->kotctl('user', 'unlock', 'acme', 'alice')->{exit}, 0,
    'unlocking the account succeeds';
is try('alice', 'X-Real-IP' => $office,
       password => 'correct horse battery')->{status}, 429,
    '  but leaves the address throttled';

my ($priv, $pub) = $t->auditor_keys;
my $log = $t->dir . '/kotctl-audit.log';
$r = $t->kotctl('--audit-log', $log, '--auditor-key', $pub,
                'throttle', 'clear', $office);
is $r->{exit}, 0, 'kotctl throttle clear releases the address';
like $r->{out}, qr/^login throttle of 192\.0\.2\.30 cleared/m, '  and says so';
like $t->kotctl('throttle', 'status', $office)->{out},
    qr/^throttled:\s+no \(no recent login attempts\)$/m,
    'status shows it no longer throttled';
is try('alice', 'X-Real-IP' => $office,
       password => 'correct horse battery')->{status}, 303,
    'and the user logs in from the office again';

my ($rec) = $t->audit_records($log, 'throttle_cleared');
ok $rec, 'the release is in the audit log, as throttle_cleared';
is_deeply [ @{ $rec->{'kot.change'} // {} }{qw(address counted_as)} ],
    [ $office, $office ], '  with the address';
like $rec->{'user.name'}, qr/^kotctl:/, '  and the administrator';
is $t->kotctl('audit', 'verify', '--auditor-key', $priv, '--no-anchors',
               $log)->{exit}, 0,
    '  in a chain that verifies';

my $records = () = $t->audit_records($log, 'throttle_cleared');
$r = $t->kotctl('--audit-log', $log, '--auditor-key', $pub,
                'throttle', 'clear', '192.0.2.31');
is $r->{exit}, 0, 'clearing an address that has not tried succeeds';
like $r->{out},
    qr/no recent login attempts from 192\.0\.2\.31: nothing to clear/,
    '  and says there was nothing to clear';
is scalar(() = $t->audit_records($log, 'throttle_cleared')), $records,
    '  and records nothing';

$r = $t->kotctl('throttle', 'status', '2001:db8:9:9::1');
like $r->{out}, qr/^counted as:\s+2001:0db8:0009:0009::\/64$/m,
    'an IPv6 address is shown with the /64 it is counted in';
for my $bad ('192.0.2.0/24', '2001:db8::/48', 'office', '') {
    $r = $t->kotctl('throttle', 'status', $bad);
    is $r->{exit}, 2, "throttle status refuses '$bad'";
    like $r->{err}, qr/is (?:a network|not an address)/, '  and says why';
}


# IPv6 clients are counted per /64

is try("v6a$_", 'X-Real-IP' => "2001:db8:1:2::$_")->{status}, 401,
    "IPv6 attempt $_ is answered" for 1 .. 3;
is try('v6b', 'X-Real-IP' => '2001:db8:1:2:ffff::9')->{status}, 429,
    'another address of the same IPv6 /64 shares its allowance';
is try('v6c', 'X-Real-IP' => '2001:db8:1:3::1')->{status}, 401,
    'the next /64 does not';


# An attacker with an IPv6 /48 (a free tunnel broker gives one) has
# 65536 /64s: each may have its own allowance, but the /48 as a whole
# gets ipv6_site of them (16 by default), not 65536.  A slow rate, so
# that no token comes back while the test runs.

my $s = $t->nginx(KotTest->site(
    throttle => 'rate=1/m burst=3 ipv6_site=2',
    server   => 'set_real_ip_from 127.0.0.1; real_ip_header X-Real-IP;'),
    name => 'site');

sub try_s ($user, $ip) {
    my $ua = $s->ua;
    my $form = $ua->get('/kot/login');
    return $ua->post_form('/kot/login', {
        csrf => KotTest::UA::form_field($form->{content}, 'csrf'),
        tenant => 'acme', username => $user, password => 'guess' },
        { 'X-Real-IP' => $ip });
}

is try_s("s$_", "2001:db8:77:$_\::1")->{status}, 401,
    "attempt $_ from its own /64 of one /48 is answered" for 1 .. 6;
$res = try_s('s7', '2001:db8:77:ff::1');
is $res->{status}, 429,
    'a fresh /64 of the same /48 is refused with 429 past ipv6_site '
    . 'allowances';
ok $res->{headers}{'retry-after'} >= 1, '  with Retry-After';
like $s->error_log,
    qr{${\ ('login throttled: too many attempts from the IPv6 network '
            . '2001:0db8:0077::/48 of this client; retry after \d+ ms, '
            . 'client: 2001:db8:77:ff::1') }},
    '  and a log line that names the /48';
is try_s('s8', '2001:db8:78:1::1')->{status}, 401,
    'another /48 has its own allowance';

# kotctl shows an IPv6 address's /48 too, and clears both of its buckets
my $site = '2001:0db8:0077::/48';
$r = $t->kotctl('throttle', 'status', '2001:db8:77:ff::1');
like $r->{out}, qr{^counted as:\s+2001:0db8:0077:00ff::/64$}m,
    'throttle status of an IPv6 address names its /64';
like $r->{out}, qr{^and in:\s+\Q$site\E\nthrottled:\s+yes, until }m,
    '  and its /48, throttled';
like $r->{out}, qr{^attempts left:\s+0\.\d of 6, 2 more a minute$}m,
    '  at ipv6_site times the burst and rate';
like $r->{out},
    qr{^clear it with:\s+kotctl throttle clear 2001:0db8:0077:00ff::/64$}m,
    '  and how to release it';
$st = JSON::PP->new->decode(
    $t->kotctl('throttle', 'status', '2001:db8:77:ff::1', '--json')->{out});
is_deeply [ @{ $st->{site} }{qw(counted_as throttled burst rate)} ],
    [ $site, JSON::PP::true, 6, 2 ], '  as JSON: "site"';
$r = $t->kotctl('--audit-log', $log, '--auditor-key', $pub,
                'throttle', 'clear', '2001:0db8:0077:00ff::/64');
is $r->{exit}, 0, 'throttle clear of an IPv6 /64';
like $r->{out}, qr{^login throttle of \Q$site\E cleared}m,
    '  clears its /48 too, and says so';
like $t->kotctl('throttle', 'status', '2001:db8:77:ff::1')->{out},
    qr{^and in:\s+\Q$site\E\nthrottled:\s+no \(no recent login attempts\)$}m,
    '  which status then shows';
is try_s('s10', '2001:db8:77:ff::1')->{status}, 401,
    '  and the address may try again at once';
my ($v6) = grep { ($_->{'kot.change'}{address} // '') eq
                  '2001:0db8:0077:00ff::/64' }
    $t->audit_records($log, 'throttle_cleared');
is_deeply [ @{ $v6->{'kot.change'} // {} }{qw(site site_cleared)} ],
    [ $site, JSON::PP::true ], '  and the record names the /48 cleared';
is try_s('s9', '192.0.2.77')->{status}, 401, 'and so has an IPv4 client';

# by default, 16 times the rate and burst of one client
my %site = @{ $t->redis('HGETALL', 'kot:v1:th:2001:0db8:0001::/48') };
is_deeply [ @site{qw(rate burst)} ], [ 96, 48 ],
    'the /48 of the IPv6 attempts above is one bucket, at 16 times the '
    . 'rate and burst';


# tokens come back at the configured rate

ok wait_until(sub { try('user7', %from)->{status} == 401 },
              timeout => 15, interval => 1, what => 'a token to come back'),
    'after a while the address may try again';


# the defaults: a burst of 20, then 10 a minute; hashing in nginx's own
# "default" thread pool when kot_thread_pool is not given

my $d = $t->nginx(KotTest->site(
    server => 'set_real_ip_from 127.0.0.1; real_ip_header X-Real-IP;')
        =~ s/kot_login_throttle off;//r =~ s/kot_thread_pool \w+;//r,
    name => 'defaults');
my %other = ('X-Real-IP' => '198.51.100.7');

sub try_d ($user) {
    my $ua = $d->ua;
    my $form = $ua->get('/kot/login');
    return $ua->post_form('/kot/login', {
        csrf => KotTest::UA::form_field($form->{content}, 'csrf'),
        tenant => 'acme', username => $user, password => 'guess' }, \%other);
}

my @answered = grep { try_d("d$_")->{status} == 401 } 1 .. 20;
is scalar @answered, 20, 'by default an address gets a burst of 20 attempts';
is try_d('d21')->{status}, 429, 'and the 21st is refused';
my $ua = $d->ua;
$ua->login(tenant => 'acme', username => 'alice',
           password => 'correct horse battery');
ok $ua->cookie('kot_session'),
    'a login from elsewhere hashes in the default thread pool';

done_testing;
