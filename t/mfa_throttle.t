# The code step of a two-step login is held back per client address, by
# the same token buckets as the password step (kot_login_throttle): an
# attacker who holds many accounts' passwords (credential stuffing)
# cannot spend each pending login's 5 tries on codes from one address,
# since every wrong code takes a token.  A right code gives its token
# back, so a user's login costs one attempt, as without MFA.  Past the
# limit even the right code is refused (it would be the guess that hit),
# until the bucket refills or `kotctl throttle clear`; other addresses
# log in as before.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use KotTest::TOTP;
use Test::More;
use JSON::PP ();

my $t = KotTest->new;
my (undef, $pub) = $t->auditor_keys;
my $log = $t->dir . '/a/audit.log';

# 8 attempts, then one a minute: none comes back while the test runs
my $n = $t->nginx(KotTest->site(
    throttle => 'rate=1/m burst=8 ipv6_site=1',
    server   => 'set_real_ip_from 127.0.0.1; real_ip_header X-Real-IP;',
    http     => "kot_audit_log %%DIR%%/audit.log flush=100ms;\n"
              . "    kot_audit_auditor_key $pub;"));

my @users = qw(alice bob carol dave erin frank);
my %pw = map { $_ => "Amber kettle 1187 " . length($_) x 3 } @users;
$t->add_user('acme', $_, $pw{$_}) for @users;

my $field = \&KotTest::UA::form_field;
my $json = JSON::PP->new->utf8;

sub password_step ($ua, $user, $ip) {
    my %h = ('X-Real-IP' => $ip);
    my $form = $ua->get('/kot/login', \%h);
    return $ua->post_form('/kot/login', {
        csrf => $field->($form->{content}, 'csrf') // '',
        tenant => 'acme', username => $user, password => $pw{$user},
        return_to => '/reports' }, \%h);
}

sub send_code ($ua, $code, $ip, %h) {
    $h{'X-Real-IP'} = $ip;
    my $form = $ua->get('/kot/login/code?return_to=/reports', \%h);
    return $ua->post_form('/kot/login/code', {
        csrf => $field->($form->{content}, 'csrf') // '',
        return_to => '/reports', code => $code }, \%h);
}

# Each user enrols from an address of its own, so that setting up costs
# the addresses below nothing; the steps that enrolment used are made
# long ago, so that the current code works again at login.
my %secret;
for my $i (0 .. $#users) {
    my ($user, $ua) = ($users[$i], $n->ua);
    my $ip = "198.51.100.$i";
    password_step($ua, $user, $ip);
    my $page = $ua->get('/kot/mfa', { 'X-Real-IP' => $ip });
    ($secret{$user}) =
        $page->{content} =~ m{<code id="kot-totp-secret">([A-Z2-7]+)<};
    KotTest::TOTP::fresh_step();
    $ua->post_form('/kot/mfa', {
        csrf => $field->($page->{content}, 'csrf') // '', action => 'enrol',
        code => KotTest::TOTP::code($secret{$user}), password => $pw{$user} },
        { 'X-Real-IP' => $ip });
    $t->redis('HSET', "kot:v1:mfa:acme:$user", 'step',
              KotTest::TOTP::step() - 10);
}
is scalar(grep { $t->redis('EXISTS', "kot:v1:mfa:acme:$_") } @users),
    scalar @users, 'every user has MFA';

sub right ($user) { KotTest::TOTP::code($secret{$user}) }
sub wrong ($user) { right($user) eq '000000' ? '000001' : '000000' }
sub session_of ($ua) { $ua->cookie('kot_session') }


# One address, the passwords of two accounts, wrong codes on each:
# 2 password steps and 6 codes take its burst of 8.

my $attacker = '192.0.2.50';
my %ua = map { $_ => $n->ua } qw(alice bob);
for my $user (qw(alice bob)) {
    is password_step($ua{$user}, $user, $attacker)->{status}, 303,
        "the attacker gives $user\'s password";
    ok $ua{$user}->cookie('kot_mfa'), '  and has a pending login';
    is send_code($ua{$user}, wrong($user), $attacker)->{status}, 401,
        "  a wrong code $_ for $user is refused as wrong" for 1 .. 3;
}

my $res = send_code($ua{bob}, wrong('bob'), $attacker);
is $res->{status}, 429,
    'past the burst, a further code from that address is refused with 429';
ok $res->{headers}{'retry-after'} >= 1, '  with Retry-After';
like $res->{content},
    qr/Too many login attempts from your network\. Please try again in \d+/,
    '  and the page of a throttled login, in English';
like send_code($ua{bob}, wrong('bob'), $attacker,
               'Accept-Language' => 'ja')->{content},
    qr/お使いのネットワークからのログイン試行が多すぎます/,
    '  and in Japanese';

KotTest::TOTP::fresh_step();
$res = send_code($ua{bob}, right('bob'), $attacker);
is $res->{status}, 429, 'the right code from that address is refused too';
ok !session_of($ua{bob}), '  and opens no session';
is password_step($n->ua, 'carol', $attacker)->{status}, 429,
    'so is a password from it: one allowance for both steps';

my $other = $n->ua;
is password_step($other, 'carol', '192.0.2.60')->{status}, 303,
    'another address gives a password';
KotTest::TOTP::fresh_step();
is send_code($other, right('carol'), '192.0.2.60')->{status}, 303,
    '  and its code';
ok session_of($other), '  and is logged in';

my @rec;
ok wait_until(sub {
        @rec = grep { ($_->{'event.reason'} // '') eq 'code_throttled' }
               $t->audit_records($log, 'login_throttled');
        @rec >= 3;
    }, timeout => 5, what => 'the audit records'),
    'each refused code is audited as login_throttled, reason code_throttled';
is_deeply [ @{ $rec[0] }{qw(user.name source.ip event.outcome)} ],
    [ 'bob', $attacker, 'failure' ],
    '  with the user of the pending login and the address';
like $n->error_log,
    qr{${\ ('login throttled at the code step: tenant "acme" user "bob": '
            . 'too many attempts from this client; retry after \d+ ms, '
            . 'client: 192\.0\.2\.50') }},
    '  and logged';

my $r = $t->kotctl('throttle', 'status', $attacker);
like $r->{out}, qr/^throttled:\s+yes, until /m,
    'kotctl throttle status shows the address throttled';
is $t->kotctl('throttle', 'clear', $attacker)->{exit}, 0,
    'kotctl throttle clear releases it';
KotTest::TOTP::fresh_step();
$res = send_code($ua{bob}, right('bob'), $attacker);
ok $res->{status} == 303 && session_of($ua{bob}),
    'then bob\'s right code from that address logs him in: the refused '
    . 'codes did not use up the tries of his pending login';


# A user who logs in with the right code spends one attempt, the
# password's, as without MFA: the code's token comes back.

my $office = '192.0.2.70';
my $dave = $n->ua;
password_step($dave, 'dave', $office);
KotTest::TOTP::fresh_step();
is send_code($dave, right('dave'), $office)->{status}, 303,
    'dave logs in with password and code';
like $t->kotctl('throttle', 'status', $office)->{out},
    qr/^attempts left:\s+7\.\d+ of 8, 1 more a minute$/m,
    '  and his address has spent one attempt of its 8';


# The code step counts an IPv6 client's /48 too, as the password step
# does: with ipv6_site=1, the /48 has one client's burst, and wrong codes
# from two /64s of it spend it.

my %pending = map { $_ => $n->ua } qw(erin frank);
for my $user (qw(erin frank)) {
    password_step($pending{$user}, $user, '198.51.100.200');
}
is send_code($pending{erin}, wrong('erin'), '2001:db8:5:1::1')->{status}, 401,
    "wrong code $_ for erin from one /64 of a /48" for 1 .. 4;
is send_code($pending{frank}, wrong('frank'), '2001:db8:5:2::1')->{status},
    401, "wrong code $_ for frank from another /64 of it" for 1 .. 4;
is send_code($pending{frank}, wrong('frank'), '2001:db8:5:3::1')->{status},
    429, 'a third /64 of the /48 is refused';
like $n->error_log,
    qr{${\ ('login throttled at the code step: tenant "acme" user "frank": '
            . 'too many attempts from the IPv6 network 2001:0db8:0005::/48 '
            . 'of this client') }},
    '  and the log line names the /48';

done_testing;
