# The per-client login throttle: one address gets a few attempts, then
# 429 with Retry-After, whichever accounts it tries.  The address is the
# one nginx's realip module settled on, never a raw X-Forwarded-For.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;

my $t = KotTest->new;
my $n = $t->nginx(KotTest->site(
    throttle => 'rate=6/m burst=3',
    server   => 'set_real_ip_from 127.0.0.1; real_ip_header X-Real-IP;'));

$t->add_user('acme', 'alice', 'correct horse battery');

sub try ($user, %h) {
    my $ua = $n->ua;
    my $form = $ua->get('/kot/login');
    return $ua->post_form('/kot/login', {
        csrf => KotTest::UA::form_field($form->{content}, 'csrf'),
        tenant => 'acme', username => $user, password => 'guess' }, \%h);
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

like $n->error_log, qr/login throttled: too many attempts from this client; retry after \d+ ms, client: 192\.0\.2\.10/,
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


# IPv6 clients are counted per /64

is try("v6a$_", 'X-Real-IP' => "2001:db8:1:2::$_")->{status}, 401,
    "IPv6 attempt $_ is answered" for 1 .. 3;
is try('v6b', 'X-Real-IP' => '2001:db8:1:2:ffff::9')->{status}, 429,
    'another address of the same IPv6 /64 shares its allowance';
is try('v6c', 'X-Real-IP' => '2001:db8:1:3::1')->{status}, 401,
    'the next /64 does not';


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
