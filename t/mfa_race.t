# Two-step login under concurrency, on two nginx nodes sharing one Redis:
# one pending login (the kot_mfa cookie) opens one session at most, even
# when two right codes for it arrive at once on two nodes.  Redis's
# writes are paused (CLIENT PAUSE WRITE) while the two requests come in,
# so that both have counted their try before either uses its code: the
# interleaving that a race needs, every run.  And a login with the
# password alone opens no session for a user who enrolled while it was
# under way.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use KotTest::TOTP;
use Test::More;
use IO::Socket::IP;
use IO::Select;

my $t = KotTest->new(workers => 1);
my @nodes = map { $t->nginx(KotTest->site, name => $_) } qw(a b);
my $field = \&KotTest::UA::form_field;

my $pw = 'Amber kettle 1187';
$t->add_user('acme', 'alice', $pw);

sub login ($ua) {
    return $ua->login(tenant => 'acme', username => 'alice', password => $pw,
                      return_to => '/reports');
}

# alice enrols, and keeps her recovery codes
my $ua = $nodes[0]->ua;
login($ua);
my $page = $ua->get('/kot/mfa');
my ($secret) = $page->{content} =~ m{<code id="kot-totp-secret">([A-Z2-7]+)<};
KotTest::TOTP::fresh_step();
my $res = $ua->post_form('/kot/mfa', {
    csrf => $field->($page->{content}, 'csrf') // '', action => 'enrol',
    code => KotTest::TOTP::code($secret), password => $pw });
my @codes = $res->{content} =~ m{<li class="kot-recovery-code">([^<]+)</li>}g;
is scalar @codes, 10, 'alice enrols and has 10 recovery codes';

sub sessions () { $t->redis('ZCARD', 'kot:v1:us:acme:alice') }
sub codes_left () { $t->redis('SCARD', 'kot:v1:mrc:acme:alice') }

# One code POST of the pending cookie to a node, as raw bytes.
sub code_request ($pending, $csrf, $code) {
    my $body = "csrf=$csrf&return_to=%2Freports&code=$code";
    return "POST /kot/login/code HTTP/1.1\r\nHost: x\r\n"
        . "Cookie: kot_mfa=$pending\r\n"
        . "Content-Type: application/x-www-form-urlencoded\r\n"
        . 'Content-Length: ' . length($body) . "\r\n"
        . "Connection: close\r\n\r\n$body";
}

# The pending login of a fresh browser, and its code form's token.
sub pending () {
    my $b = $nodes[0]->ua;
    login($b);
    my $form = $b->get('/kot/login/code');
    return ($b->cookie('kot_mfa'), $field->($form->{content}, 'csrf'));
}

# Sends each code to its node at once, with Redis's writes paused for a
# moment; returns the answers.
sub race ($pending, $csrf, @codes) {
    my @socks = map {
        IO::Socket::IP->new(PeerHost => '127.0.0.1',
                            PeerPort => $nodes[$_ % 2]->port)
            or die "connect: $@"
    } 0 .. $#codes;
    $t->redis('CLIENT', 'PAUSE', 400, 'WRITE');
    print { $socks[$_] } code_request($pending, $csrf, $codes[$_])
        for 0 .. $#codes;
    return map { local $/; scalar readline $_ } @socks;
}

sub session_set ($answer) {
    return $answer =~ /^Set-Cookie: kot_session=[A-Za-z0-9_-]{43}/mi;
}


# two recovery codes for one pending login

my ($pending, $csrf) = pending();
ok $pending && $csrf, 'the password step gives a pending login';
my ($before, $left) = (sessions(), codes_left());
my @answers = race($pending, $csrf, $codes[0], $codes[1]);
is scalar(grep { m{^HTTP/1.1 303} } @answers), 2, 'both requests answer 303';
is scalar(grep { session_set($_) } @answers), 1,
    'one pending login opens one session, not one per code';
is sessions(), $before + 1, 'and Redis holds one new session of alice';
is codes_left(), $left - 1,
    'only the code that opened it is used up; the other still works';
my ($other) = grep { !session_set($_) } @answers;
like $other // '',
    qr{^Location: /kot/login\?return_to=/reports&code_expired=1}mi,
    'the other request goes back to the login page';
like $t->kotctl('user', 'status', 'acme', 'alice')->{out},
    qr/^locked:\s+no$/m, 'nothing was counted as a failure';


# two TOTP codes (this step and the one before) for one pending login:
# both open a session only if the older is used first, so without the
# rule this fails about every other run; with it, never

$t->redis('HSET', 'kot:v1:mfa:acme:alice', 'step',
          KotTest::TOTP::step() - 10);
($pending, $csrf) = pending();
$before = sessions();
my $step = KotTest::TOTP::fresh_step();
@answers = race($pending, $csrf, KotTest::TOTP::code($secret, $step - 1),
                KotTest::TOTP::code($secret, $step));
is scalar(grep { session_set($_) } @answers), 1,
    'two TOTP codes of one pending login open one session too';
is sessions(), $before + 1, 'one in Redis';


# one right code sent twice (a double click) to the two nodes

($pending, $csrf) = pending();
$before = sessions();
$step = KotTest::TOTP::fresh_step();
$t->redis('HSET', 'kot:v1:mfa:acme:alice', 'step', $step - 10);
my $fails = $t->redis('HGET', 'kot:v1:f:acme:alice', 'fails') // 0;
@answers = race($pending, $csrf, (KotTest::TOTP::code($secret, $step)) x 2);
is scalar(grep { session_set($_) } @answers), 1,
    'the same code twice opens one session';
is sessions(), $before + 1, 'one in Redis';
is $t->redis('HGET', 'kot:v1:f:acme:alice', 'fails') // 0, $fails,
    'and the second is not counted toward the lockout as a reused code';



# ---------------------------------------------------------------------
# a user who enrols while a login with the password alone is under way
# ---------------------------------------------------------------------

# Node c hashes in one thread, so that a login queued behind a slow hash
# waits between its first step (which reads "no MFA") and its session;
# its throttle tells when that first step ran.
my $c = $t->nginx(KotTest->site(throttle => 'rate=1/m burst=100'),
                  name => 'c', threads => 1);
{
    local $t->{scrypt_ln} = 17;
    $t->add_user('acme', 'slow', 'Quiet river 7781');
}
my $hpw = 'Hazel window 8812';
$t->add_user('acme', 'henry', $hpw);

my $h = $nodes[0]->ua;
$h->login(tenant => 'acme', username => 'henry', password => $hpw);
my $hpage = $h->get('/kot/mfa');
my ($hsecret) = $hpage->{content}
    =~ m{<code id="kot-totp-secret">([A-Z2-7]+)<};
ok $hsecret, 'henry, logged in with the password alone, opens the MFA page';

sub detached_login ($user, $password) {
    my $b = $c->ua;
    my $form = $b->get('/kot/login');
    return $b->post_form_detached('/kot/login', {
        csrf => $field->($form->{content}, 'csrf') // '', tenant => 'acme',
        username => $user, password => $password, return_to => '/reports' });
}

sub tokens () {
    my ($k) = @{ $t->redis('KEYS', 'kot:v1:th:*') };
    return $k ? $t->redis('HGET', $k, 'tokens') : 100;
}

my $hbefore = $t->redis('ZCARD', 'kot:v1:us:acme:henry');
KotTest::TOTP::fresh_step();
my $blocker = detached_login('slow', 'not the password');
my $late_login = detached_login('henry', $hpw);
ok wait_until(sub { tokens() < 98.5 }, interval => 0.002,
              what => 'both logins to pass their first step'),
    'a login of henry with the password alone has read that he has no MFA';
$res = $h->post_form('/kot/mfa', {
    csrf => $field->($hpage->{content}, 'csrf') // '', action => 'enrol',
    code => KotTest::TOTP::code($hsecret), password => $hpw });
is $res->{status}, 200, 'henry enrols meanwhile, in his other session';
is KotTest::UA::status($late_login, 10), 401,
    'the login with the password alone is then refused';
is $t->redis('ZCARD', 'kot:v1:us:acme:henry'), $hbefore,
    'and opens no session: every new session of henry needs his code';
KotTest::UA::status($blocker, 10);
like $c->error_log,
    qr/login failed: tenant "acme" user "henry": mfa_changed/,
    'the log says why';
$c->stop;


# ---------------------------------------------------------------------
# a tenant that comes to require MFA while a user turns theirs off
# ---------------------------------------------------------------------

# Dora's password is hashed at a high cost, so that checking it takes a
# while (hundreds of ms): the tenant's policy changes after the removal
# has read it ("optional") and before the removal is stored.  Reading it
# also offers the session a new secret when it has none, which tells the
# test when that happened.
my $dpw = 'Dune lighthouse 9034';
{
    local $t->{scrypt_ln} = 17;
    $t->add_user('shift', 'dora', $dpw);
}
my $dora = $nodes[0]->ua;
$dora->login(tenant => 'shift', username => 'dora', password => $dpw);
my $dpage = $dora->get('/kot/mfa');
KotTest::TOTP::fresh_step();
$res = $dora->post_form('/kot/mfa', {
    csrf => $field->($dpage->{content}, 'csrf') // '', action => 'enrol',
    code => KotTest::TOTP::code($dpage->{content}
                                =~ m{id="kot-totp-secret">([A-Z2-7]+)<}),
    password => $dpw });
is $res->{status}, 200, 'dora enrols where MFA is optional';
$dpage = $dora->get('/kot/mfa');
like $dpage->{content}, qr/name="action" value="remove"/,
    'and her MFA page offers to turn it off';

sub offers () { scalar @{ $t->redis('KEYS', 'kot:v1:mo:*') } }

$t->redis('DEL', $_) for @{ $t->redis('KEYS', 'kot:v1:mo:*') };
my $removal = $dora->post_form_detached('/kot/mfa', {
    csrf => $field->($dpage->{content}, 'csrf') // '', action => 'remove',
    password => $dpw });
ok wait_until(sub { offers() }, interval => 0.002,
              what => 'the removal to read the tenant\'s policy'),
    'dora asks to turn MFA off, with her password';
# as "kotctl tenant policy shift mfa=required" writes it
$t->redis('HSET', 'kot:v1:t:shift', 'policy.mfa', 'required');
ok !IO::Select->new($removal)->can_read(0),
    'the tenant comes to require MFA while her password is being checked';
my $answer = do { local $/; scalar readline $removal };
like $answer, qr{^HTTP/1.1 403 }, 'the removal is refused';
like $answer, qr/Your company requires two-step login: it cannot be turned off/,
    'with the page that says why';
unlike $answer, qr/name="action" value="remove"/,
    'which no longer offers to turn it off';
ok $t->redis('EXISTS', 'kot:v1:mfa:shift:dora'), 'dora keeps her MFA';
ok wait_until(sub {
        $nodes[0]->error_log =~
            /mfa_removed refused: tenant "shift" user "dora": mfa_required/
    }, what => 'the refusal in the log'),
    'the log says why, as for a tenant that required MFA before';

$_->stop for @nodes;
for my $n (@nodes, $c) {
    unlike $n->error_log, qr/\[(?:alert|crit|emerg)\]|exited on signal/,
        'node ' . $n->name . ': no alert, no worker died';
}

done_testing;
