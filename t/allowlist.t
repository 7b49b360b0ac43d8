# Per-tenant source address allow-lists: checked at login before the
# password, and on every request; "admin" lists only on admin locations;
# IPv6 and IPv4-mapped addresses; live changes on every node; the client
# address as nginx's realip module settled it, never a raw
# X-Forwarded-For; a refused login counts no failure; what a denial
# records in the audit log.

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

# Options: password (alice's by default), user, and header, the header
# that carries the address (X-Real-IP by default).
sub login ($node, $addr, %o) {
    my %h = ($o{header} // 'X-Real-IP', $addr);
    my $ua = $node->ua;
    my $form = $ua->get('/kot/login', \%h);
    my $res = $ua->post_form('/kot/login', {
        csrf => KotTest::UA::form_field($form->{content}, 'csrf'),
        tenant => 'acme', username => $o{user} // 'alice',
        password => $o{password} // 'correct horse battery' }, \%h);
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
my $denial = 'address 10\.2\.0\.1 denied by the access list';
like $n->error_log, qr/$denial of tenant "acme" \(user "alice"\)/,
    'the denial is logged with the address, tenant, user and list';

# The password is never looked at from outside the list, so a wrong one
# must not count either: otherwise anyone on any network could lock
# every account of a tenant that restricts its networks.
(undef, $denied) = login($n, '10.2.0.1', password => 'wrong password!!');
is $denied->{status}, 403,
    'a wrong password from outside the list gets the same 403';
ok !$t->redis('EXISTS', 'kot:v1:f:acme:alice'),
    'and moves no lockout counter of the account';
(undef, $denied) = login($n, '10.2.0.1', user => 'mallory',
                         password => 'wrong password!!');
is $denied->{status}, 403, 'an unknown user from outside the list too';
ok !$t->redis('EXISTS', 'kot:v1:f:acme:mallory'),
    'and nothing is counted under the name tried';


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

# The test client at 127.0.0.1 is not the balancer (10.255.255.1): what
# it writes in X-Forwarded-For is a claim anyone can make.
my ($uc, $r) = login($strict, '10.1.2.3', header => 'X-Forwarded-For');
is $r->{status}, 403,
    'a spoofed X-Forwarded-For from a peer realip does not trust is ignored';
ok !$uc->cookie('kot_session'), 'and gives no session';
like $strict->error_log,
    qr/address 127\.0\.0\.1 denied by the access list of tenant "acme"/,
    'the client is judged by its real address, 127.0.0.1';
($uc, $r) = login($strict, '10.1.2.3');
is $r->{status}, 403, 'so is a header realip does not read here';

# A session made on an allowed network (through node a) is refused here
# too: the forged header does not move it onto that network.
my $carried = $strict->ua;
$carried->set_cookie('kot_session', $ua->cookie('kot_session'));
is $ua->get('/app', { from('10.1.9.9') })->{status}, 200,
    'a session that works from an allowed address';
is $carried->get('/app', { 'X-Forwarded-For' => '10.1.9.9' })->{status}, 403,
    'is refused on every request that only claims that address';

my $proxied = $t->nginx(KotTest->site(server => <<'EOF'), name => 'd');
        set_real_ip_from 127.0.0.1;
        real_ip_header X-Real-IP;
        kot_trusted_proxies 10.255.255.1;
EOF
($uc, $r) = login($proxied, '10.1.2.3');
is $r->{status}, 403,
    'an address realip took from a peer outside kot_trusted_proxies is '
    . 'not used';
like $proxied->error_log, qr/127\.0\.0\.1 is not in kot_trusted_proxies/,
    'and the log says why';


# behind a trusted balancer: the peer is both in set_real_ip_from and in
# kot_trusted_proxies, so the address it forwards is the client's.  This
# node also keeps an audit log, to see what a denial records.

my (undef, $pub) = $t->auditor_keys;
my $behind = $t->nginx(KotTest->site(
    http => "kot_audit_log %%DIR%%/audit.log;\n"
          . "    kot_audit_auditor_key $pub;",
    server => <<'EOF'), name => 'e');
        set_real_ip_from 127.0.0.1;
        real_ip_header X-Forwarded-For;
        kot_trusted_proxies 127.0.0.1/32;
EOF

sub fwd ($addr) { return ('X-Forwarded-For' => $addr) }

my ($ue, $ok) = login($behind, '10.1.2.3', header => 'X-Forwarded-For');
is $ok->{status}, 303,
    'behind a trusted proxy, a forwarded address inside the list logs in';
(undef, $r) = login($behind, '10.2.0.1', header => 'X-Forwarded-For');
is $r->{status}, 403, 'a forwarded address outside it is refused';

is $ue->get('/app', { fwd('10.1.9.9') })->{status}, 200,
    'the session works when the forwarded address is allowed';
is $ue->get('/app', { fwd('203.0.113.5') })->{status}, 403,
    'and is refused when it is not';
# realip takes the address the trusted proxy appended (the last one), not
# what the client wrote before it
is $ue->get('/app', { fwd('10.1.9.9, 203.0.113.5') })->{status}, 403,
    'a client cannot put an allowed address in front of its own';
is $ue->get('/app', { fwd('203.0.113.5, 10.1.9.9') })->{status}, 200,
    'the address the proxy appended is the one that counts';
unlike $behind->error_log, qr/not in kot_trusted_proxies/,
    'the proxy is trusted without a complaint in the log';

my @denials = $t->audit_records($behind->dir . '/audit.log', 'ip_denied');

my ($on_request) = grep { ($_->{'url.path'} // '') eq '/app' } @denials;
ok $on_request, 'a request refused by the list is audited';
is $on_request->{'organization.id'}, 'acme', 'with the tenant';
is $on_request->{'user.name'}, 'alice', 'the user of the session';
is $on_request->{'source.ip'}, '203.0.113.5',
    'the forwarded address that was refused';
is $on_request->{'kot.allowlist'}, 'access', 'and the list that refused it';

my ($at_login) = grep { ($_->{'url.path'} // '') eq '/kot/login' } @denials;
is $at_login->{'source.ip'}, '10.2.0.1',
    'a login refused by the list is audited with the forwarded address too';

done_testing;
