# Per-tenant source address allow-lists: checked at login before the
# password, and on every request; "admin" lists only on admin locations;
# IPv6 and IPv4-mapped addresses; live changes on every node; the client
# address as nginx's realip module settled it, never a raw
# X-Forwarded-For.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;

my $t = KotTest->new(workers => 2);

# The tests stand in for clients on other networks with X-Real-IP, which
# nginx's realip module trusts from the loopback only.
my $site = KotTest->site(server => <<'EOF');
        set_real_ip_from 127.0.0.1;
        real_ip_header X-Real-IP;

        location /admin/ {
            kot on;
            kot_allowlist admin;
            proxy_pass http://%%APP%%;
        }

        location /anywhere/ {
            kot on;
            kot_allowlist off;
            proxy_pass http://%%APP%%;
        }
EOF

my @nodes = map { $t->nginx($site, name => $_) } qw(a b);
my ($n, $m) = @nodes;

$t->add_user('acme', 'alice', 'correct horse battery');

sub from ($addr) { return ('X-Real-IP' => $addr) }

sub login ($node, $addr) {
    my $ua = $node->ua;
    my $form = $ua->get('/kot/login', { from($addr) });
    my $res = $ua->post_form('/kot/login', {
        csrf => KotTest::UA::form_field($form->{content}, 'csrf'),
        tenant => 'acme', username => 'alice',
        password => 'correct horse battery' }, { from($addr) });
    return ($ua, $res);
}

sub allow (@args) {
    my $r = $t->kotctl('allowlist', 'acme', @args);
    die "kotctl allowlist @args: $r->{err}" if $r->{exit};
}


# no list: no restriction

my ($ua, $res) = login($n, '198.51.100.7');
is $res->{status}, 303, 'without a list, any address logs in';


# at login

allow('access', 'set', '10.1.0.0/16', '2001:db8:1::/48');

($ua, $res) = login($n, '10.1.2.3');
is $res->{status}, 303, 'an address inside the list logs in';

my ($out, $denied) = login($n, '10.2.0.1');
is $denied->{status}, 403, 'an address outside it is refused with 403';
like $denied->{content}, qr/does not allow access from the network you are on/,
    'with a page that says the network is not allowed';
ok !$out->cookie('kot_session'), 'and no session';
ok !$t->redis('EXISTS', 'kot:v1:f:acme:alice'),
    'no failure is counted against the account';
like $n->error_log,
    qr/address 10\.2\.0\.1 denied by the access list of tenant "acme" \(user "alice"\)/,
    'the denial is logged with the address, tenant, user and list';


# on every request

is $ua->get('/app', { from('10.1.9.9') })->{status}, 200,
    'the session works from any allowed address';
is $ua->get('/app', { from('203.0.113.5') })->{status}, 403,
    'a session used from outside the list is refused';
is $ua->get('/app', { from('203.0.113.5'), Accept => 'text/html' })->{status},
    403, 'browsers too';
like $ua->get('/app', { from('203.0.113.5') })->{content},
    qr/"error":"ip_not_allowed"/, 'with a JSON reason for APIs';
is $ua->get('/app', { from('10.1.9.9') })->{status}, 200,
    'and the session stays valid for the allowed network';
is $ua->get('/anywhere/x', { from('203.0.113.5') })->{status}, 200,
    'a location with kot_allowlist off does not check';


# IPv6 and IPv4-mapped addresses

is $ua->get('/app', { from('2001:db8:1:ff::1') })->{status}, 200,
    'an IPv6 address inside an IPv6 network is allowed';
is $ua->get('/app', { from('2001:db8:2::1') })->{status}, 403,
    'one outside is refused';
is $ua->get('/app', { from('::ffff:10.1.2.3') })->{status}, 200,
    'an IPv4-mapped IPv6 address matches the IPv4 networks';
is $ua->get('/app', { from('::ffff:10.9.2.3') })->{status}, 403,
    'and is refused outside them';


# admin screens

is $ua->get('/admin/x', { from('10.1.2.3') })->{status}, 200,
    'an empty admin list lets the access list decide on admin screens';
allow('admin', 'set', '10.1.5.0/24');
is $ua->get('/admin/x', { from('10.1.5.9') })->{status}, 200,
    'an address in both lists reaches the admin screens';
is $ua->get('/admin/x', { from('10.1.2.3') })->{status}, 403,
    'an address only in the access list does not';
is $ua->get('/app', { from('10.1.2.3') })->{status}, 200,
    'but still reaches the rest of the application';
like $n->error_log, qr/denied by the admin list of tenant "acme"/,
    'the log names the list that refused';


# live changes on every node, without a reload

my ($ub) = login($m, '10.1.2.3');
for my $node (\$ua, \$ub) {
    is $$node->get('/app', { from('192.0.2.1') })->{status}, 403,
        'before the change, 192.0.2.1 is refused';
}
allow('access', 'add', '192.0.2.0/24');
is $ua->get('/app', { from('192.0.2.1') })->{status}, 200,
    'an added network applies at the next request on node a';
is $ub->get('/app', { from('192.0.2.1') })->{status}, 200,
    'and on node b';
allow('access', 'remove', '192.0.2.0/24');
is $ub->get('/app', { from('192.0.2.1') })->{status}, 403,
    'a removed one is refused at once';

allow('access', 'set');
allow('admin', 'set');
is $ua->get('/admin/x', { from('203.0.113.5') })->{status}, 200,
    'emptied lists allow everyone again';


# whose address counts

my $strict = $t->nginx(KotTest->site(server => <<'EOF'), name => 'c');
        set_real_ip_from 10.255.255.1;
        real_ip_header X-Forwarded-For;
EOF
allow('access', 'set', '10.1.0.0/16');
my ($uc, $r) = login($strict, '10.1.2.3');
$r = $uc->login(tenant => 'acme', username => 'alice',
                password => 'correct horse battery');
is $r->{status}, 403,
    'a spoofed X-Forwarded-For from a peer realip does not trust is ignored';

my $proxied = $t->nginx(KotTest->site(server => <<'EOF'), name => 'd');
        set_real_ip_from 127.0.0.1;
        real_ip_header X-Real-IP;
        kot_trusted_proxies 10.255.255.1;
EOF
($uc, $r) = login($proxied, '10.1.2.3');
is $r->{status}, 403,
    'an address realip took from a peer outside kot_trusted_proxies is not used';
like $proxied->error_log, qr/127\.0\.0\.1 is not in kot_trusted_proxies/,
    'and the log says why';

done_testing;
