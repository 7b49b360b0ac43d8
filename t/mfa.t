# Two-step login (MFA): enrolment from the secret the page shows and the
# password (the code alone in a session bound to enrol), the second step
# with TOTP codes and recovery codes, and everything that
# keeps a code from working twice, from working late, or from being
# guessed; tenants that require MFA; what administrators and auditors
# see.  Codes are computed here from the page's secret, as an
# authenticator app would (KotTest::TOTP); the server takes the time from
# its clock, so the tests choose codes of neighbouring steps rather than
# another time.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use KotTest::TOTP;
use Test::More;
use JSON::PP ();
use MIME::Base64 ();
use Digest::SHA ();

my $t = KotTest->new;
my ($priv, $pub) = $t->auditor_keys;
my $log = $t->dir . '/a/audit.log';
my $ctl_log = $t->dir . '/kotctl-audit.log';

my $n = $t->nginx(KotTest->site(http => <<"EOF"));
kot_audit_log %%DIR%%/audit.log flush=100ms;
    kot_audit_auditor_key $pub;
    kot_mfa_issuer "Example Attendance";
    kot_lockout threshold=6 window=10m duration=10m;
EOF

my %pw = (alice => 'Amber kettle 1187', bob => 'Blue meadow 2291',
          carol => 'Copper lantern 3376', dave => 'Dusty violin 4403',
          erin => 'Early harbour 5519', frank => 'Foggy orchard 6628');
$t->add_user('acme', $_, $pw{$_}) for qw(alice bob dave erin frank);

my $json = JSON::PP->new->utf8;
my $HTML = { Accept => 'text/html' };
my $field = \&KotTest::UA::form_field;

sub records ($path = $log) {
    open my $fh, '<:raw', $path or return ();
    return map { $json->decode($_) } grep { /\S/ } <$fh>;
}

# The records of an action, with fields as given, once they are written.
sub audited ($action, %want) {
    my @r;
    wait_until(sub {
        @r = grep {
            my $r = $_;
            $r->{'event.action'} eq $action
                && !grep { ($r->{$_} // '') ne $want{$_} } keys %want
        } records();
        scalar @r;
    }, timeout => 5, what => "an audit record $action") or return ();
    return @r;
}

sub login ($ua, $user, $tenant = 'acme', %o) {
    return $ua->login(tenant => $tenant, username => $user,
                      password => $o{password} // $pw{$user},
                      return_to => $o{return_to} // '/reports');
}

sub send_code ($ua, $code, $return_to = '/reports') {
    my $form = $ua->get("/kot/login/code?return_to=$return_to");
    return $ua->post_form('/kot/login/code', {
        csrf => $field->($form->{content}, 'csrf') // '',
        return_to => $field->($form->{content}, 'return_to') // '/',
        code => $code });
}

# The enrolment page's secret; undef if it shows none.
sub secret_of ($page) {
    return $page->{content} =~ m{<code id="kot-totp-secret">([A-Z2-7]+)<}
           ? $1 : undef;
}

sub enrol_post ($ua, $page, %f) {
    return $ua->post_form('/kot/mfa', {
        csrf => $field->($page->{content}, 'csrf') // '',
        action => 'enrol', %f });
}

sub recovery_codes ($res) {
    return $res->{content} =~ m{<li class="kot-recovery-code">([^<]+)</li>}g;
}

# Logs in with the password and enrols, giving the password again as
# the page asks; returns the secret and the recovery codes.
sub enrol ($ua, $user, $tenant = 'acme') {
    login($ua, $user, $tenant);
    my $page = $ua->get('/kot/mfa');
    my $secret = secret_of($page);
    KotTest::TOTP::fresh_step();
    my $res = enrol_post($ua, $page, code => KotTest::TOTP::code($secret),
                         password => $pw{$user});
    return ($secret, [ recovery_codes($res) ], $res);
}

# Makes the server's record say that the last code used was long ago,
# as if the user had enrolled some minutes before: the tests cannot wait
# for steps to pass.
sub last_used_long_ago ($user) {
    $t->redis('HSET', "kot:v1:mfa:acme:$user", 'step',
              KotTest::TOTP::step() - 10);
}

# The Redis keys of a user's pending logins.
sub pending_of ($user) {
    return grep { ($t->redis('HGET', $_, 'u') // '') eq $user }
           @{ $t->redis('KEYS', 'kot:v1:mp:*') };
}


# ---------------------------------------------------------------------
# enrolment
# ---------------------------------------------------------------------

my $ua = $n->ua;
is $n->ua->get('/kot/mfa')->{status}, 302,
    'the enrolment page needs a session';

login($ua, 'alice');
my $page = $ua->get('/kot/mfa');
is $page->{status}, 200, 'a logged-in user opens the enrolment page';
like $page->{content}, qr{<svg [^>]*class="kot-qr"[^>]*>.*<path [^>]*d="M}s,
    'the page shows a QR code drawn as inline SVG';
my $secret = secret_of($page);
like $secret, qr/^[A-Z2-7]{32}$/,
    'and the secret in base32, 160 bits, in #kot-totp-secret';
my $otpauth = 'otpauth://totp/Example%20Attendance:alice%40acme\?secret=';
my $params = '&amp;issuer=Example%20Attendance&amp;algorithm=SHA1'
           . '&amp;digits=6&amp;period=30';
like $page->{content}, qr{href="$otpauth$secret$params"},
    'the otpauth URI names the issuer of kot_mfa_issuer and the account';
unlike $page->{content}, qr/<script/i, 'the page has no script';
like $page->{headers}{'content-security-policy'}, qr/default-src 'none'/,
    'and the strict Content-Security-Policy of every portal page';
is secret_of($ua->get('/kot/mfa')), $secret,
    'a reload shows the same secret, so a scan from the first one works';

# the code field takes what the server takes: 6 digits, with spaces or
# dashes anywhere (kot_code_kind()), as an app or a password manager
# shows or pastes them; HTML anchors a pattern at both ends
for my $lang ('en', 'ja') {
    my $shown = $ua->get('/kot/mfa', { 'Accept-Language' => $lang });
    my ($pattern) = $shown->{content}
        =~ m{<input id="code" name="code" [^>]*pattern="([^"]*)"};
    ok defined $pattern, "the code field has a pattern ($lang)";
    $pattern //= 'none';
    my @fit = grep { /^(?:$pattern)$/ }
        '123456', '123 456', '123-456', ' 12-34-56 ', '1 2 3 4 5 6';
    is scalar @fit, 5, "it lets a code with spaces or dashes through ($lang)";
    my @unfit = grep { /^(?:$pattern)$/ }
        '12345', '1234567', '12345678', '12a456', '---', '';
    is "@unfit", '', "and no other number of digits, nor letters ($lang)";
}

my $res = enrol_post($ua, $page, code => '000000');
$res = enrol_post($ua, $page, code => '000001')
    if KotTest::TOTP::code($secret) eq '000000';
is $res->{status}, 400, 'a wrong code does not enrol';
like $res->{content}, qr/The code is not right/, 'and says so';
my $code_marked = qr{${\ ('<input id="code"[^>]* autofocus aria-invalid="true" '
                          . 'aria-describedby="kot-msg-0">') }};
like $res->{content}, $code_marked,
    'the code field has the focus, marked wrong and read with the message';
unlike $page->{content}, qr/autofocus|aria-invalid/,
    'the page before it took the focus from no one (it begins with a QR)';
is secret_of($res), $secret, 'the same secret is shown again';
ok !$t->redis('EXISTS', 'kot:v1:mfa:acme:alice'), 'nothing is stored';

# a stolen session cookie must not bind the thief's phone to the account
ok defined $field->($page->{content}, 'password'),
    'the page asks for the password to turn MFA on';
KotTest::TOTP::fresh_step();
$res = enrol_post($ua, $page, code => KotTest::TOTP::code($secret));
is $res->{status}, 400, 'the right code without the password does not enrol';
like $res->{content}, qr/current password is not correct/, 'and says so';
ok !$t->redis('EXISTS', 'kot:v1:mfa:acme:alice'), 'nothing is stored';
ok audited('mfa_enrolled', 'user.name' => 'alice',
           'event.reason' => 'bad_current_password',
           'event.outcome' => 'failure'),
    'the refusal is audited (bad_current_password)';
$res = enrol_post($ua, $page, code => KotTest::TOTP::code($secret),
                  password => 'not the password');
is $res->{status}, 400, 'nor does it with a wrong password';
like $res->{content}, qr{${\ ('<input id="password" name="password" [^>]*'
                              . ' autofocus aria-invalid="true" '
                              . 'aria-describedby="kot-msg-0">') }},
    'the password field has the focus, marked wrong and read with the '
    . 'message';
is scalar(my @focus = $res->{content} =~ /autofocus/g), 1,
    'and no other field';
ok !$t->redis('EXISTS', 'kot:v1:mfa:acme:alice'), 'nothing is stored';
is $t->redis('HGET', 'kot:v1:f:acme:alice', 'fails'), 2,
    'each wrong password counts as a failed login, toward the lockout';

$res = enrol_post($ua, $page, code => KotTest::TOTP::code($secret),
                  password => $pw{alice});
is $res->{status}, 200, 'the code from the app and the password enrol';
my @codes = recovery_codes($res);
is scalar @codes, 10, 'the answer shows 10 recovery codes';
like $codes[0], qr/^[a-z2-7]{5}-[a-z2-7]{5}$/, 'each like xxxxx-xxxxx';
is scalar(keys %{{ map { $_ => 1 } @codes }}), 10, 'all different';

$page = $ua->get('/kot/mfa');
is scalar(my @none = recovery_codes($page)), 0,
    'the codes are shown once: the page does not show them again';
like $page->{content}, qr/Two-step login is on since \d{4}-\d\d-\d\d/,
    'the page says that MFA is on';
like $page->{content}, qr/Recovery codes left: 10/,
    'and how many recovery codes are left';
is $ua->get('/reports')->{status}, 200,
    'the session that enrolled goes on';

my ($enrolled) = audited('mfa_enrolled', 'user.name' => 'alice');
ok $enrolled, 'the enrolment is audited (mfa_enrolled)';
ok audited('mfa_enrolled', 'user.name' => 'alice',
           'event.reason' => 'bad_code', 'event.outcome' => 'failure'),
    'and so is the wrong code before it';
ok audited('mfa_enrolled', 'user.name' => 'alice',
           'event.outcome' => 'success', 'kot.mfa.replaced' => 0),
    'audited as a first enrolment, not a replacement';


# ---------------------------------------------------------------------
# two-step login
# ---------------------------------------------------------------------

my $ua2 = $n->ua;
$res = login($ua2, 'alice');
is $res->{status}, 303, 'the right password of a user with MFA answers 303';
like $res->{headers}{location}, qr{^/kot/login/code\?return_to=/reports},
    'to the code page, keeping return_to';
ok !$ua2->cookie('kot_session'), 'with no session';
ok $ua2->cookie('kot_mfa'), 'but a pending cookie';
my ($pending) = pending_of('alice');
my $ttl = $t->redis('PTTL', $pending);
ok $ttl > 290_000 && $ttl <= 300_000,
    "the pending login lasts 5 minutes ($ttl ms left)";
is $ua2->get('/reports', $HTML)->{status}, 302,
    'until the code, a protected page sends the browser to log in';
is $ua2->get('/reports')->{status}, 401, 'and an API client gets 401';
ok audited('login', 'user.name' => 'alice', 'event.outcome' => 'unknown',
           'event.reason' => 'code_required'),
    'the password step is audited as waiting for the code';

my $had = $n->ua;
login($had, 'erin');
like $had->get('/reports')->{content}, qr/user=\[erin\]/,
    'a browser with a session of erin (no MFA)';
my $old_session = $had->cookie('kot_session');
login($had, 'alice');
ok !$had->cookie('kot_session'),
    'loses it when alice\'s password is given there';
$had->set_cookie('kot_session', $old_session);
is $had->get('/reports')->{status}, 401,
    'on the server too: the browser is logged out until alice\'s code';

my $form = $ua2->get('/kot/login/code');
is $form->{status}, 200, 'the code page loads';
for my $f (qw(code csrf return_to)) {
    ok defined $field->($form->{content}, $f), "the code form has '$f'";
}
like $form->{content}, qr/recovery codes/, 'and says recovery codes work';

$res = $ua2->post_form('/kot/login/code', {
    csrf => 'A' x 43, code => KotTest::TOTP::code($secret) });
is $res->{status}, 403, 'a code without the form\'s CSRF token is refused';

last_used_long_ago('alice');
my $step = KotTest::TOTP::fresh_step();
$res = send_code($ua2, KotTest::TOTP::code($secret, $step - 2));
is $res->{status}, 401, 'the code of two steps back is refused';
ok audited('login', 'user.name' => 'alice', 'event.reason' => 'bad_code'),
    'audited as bad_code';

$res = send_code($ua2, KotTest::TOTP::code($secret, $step - 1));
is $res->{status}, 303, 'the code of one step back is accepted';
is $res->{headers}{location}, '/reports', 'and goes on to return_to';
ok $ua2->cookie('kot_session'), 'with a session';
ok !$ua2->cookie('kot_mfa'), 'and the pending cookie is gone';
like $ua2->get('/reports')->{content}, qr/user=\[alice\]/,
    'the application sees the user';
ok !$t->redis('EXISTS', $pending), 'the pending login is over';
my ($ok) = audited('login', 'user.name' => 'alice',
                   'event.outcome' => 'success', 'kot.mfa.factor' => 'totp');
ok $ok, 'the login is audited with its factor';

my $ua3 = $n->ua;
$step = KotTest::TOTP::fresh_step();
login($ua3, 'alice');
is send_code($ua3, KotTest::TOTP::code($secret, $step))->{status}, 303,
    'a later code logs in again';
my $ua4 = $n->ua;
login($ua4, 'alice');
$res = send_code($ua4, KotTest::TOTP::code($secret, $step));
is $res->{status}, 401, 'the same code a second time is refused';
ok audited('login', 'user.name' => 'alice', 'event.reason' => 'code_reused'),
    'audited as code_reused';
$res = send_code($ua4, KotTest::TOTP::code($secret, $step - 1));
is $res->{status}, 401, 'so is a code older than the last one used';


# ---------------------------------------------------------------------
# a wrong code tells nothing
# ---------------------------------------------------------------------

my $wrong_pw = login($n->ua, 'alice', 'acme', password => 'not the password');
my $wrong_code = send_code($ua4, '123456');
is $wrong_code->{status}, $wrong_pw->{status},
    'a wrong code gets the status of a wrong password';
like $wrong_code->{content}, qr/Login failed\. Check what you entered/,
    'and its message, which does not say which factor failed';
unlike $wrong_code->{content}, qr/code is not right|password was right/i,
    'nor that the password was right';
like $wrong_code->{content}, $code_marked,
    'the code field has the focus, marked wrong and read with the message';
my ($msg_pw) = $wrong_pw->{content} =~ m{<p class="msg"[^>]*>(.*?)</p>};
my ($msg_code) = $wrong_code->{content} =~ m{<p class="msg"[^>]*>(.*?)</p>};
is $msg_code, $msg_pw, 'the very same message';

# the failures above count toward alice's lockout (threshold=6)
$t->kotctl('user', 'unlock', 'acme', 'alice');


# ---------------------------------------------------------------------
# recovery codes
# ---------------------------------------------------------------------

my $rc = $n->ua;
login($rc, 'alice');
$res = send_code($rc, uc $codes[0]);
is $res->{status}, 303, 'a recovery code logs in, in upper case too';
ok audited('login', 'user.name' => 'alice', 'event.outcome' => 'success',
           'event.reason' => 'recovery_code_used',
           'kot.mfa.recovery_codes_left' => 9),
    'audited as recovery_code_used, with the codes left';

$rc = $n->ua;
login($rc, 'alice');
is send_code($rc, $codes[0])->{status}, 401,
    'the same recovery code does not work twice';
(my $spaced = $codes[1]) =~ s/-/ /;
is send_code($rc, $spaced)->{status}, 303,
    'another one does, with a space for the dash';
like $rc->get('/kot/mfa')->{content}, qr/Recovery codes left: 8/,
    'the page counts the codes left';

# A copy of Redis (a backup, a replica, a stolen dump) must not let
# anyone test recovery-code guesses offline: 50 bits under a plain
# SHA-256, the same for every user, fall to one pass of a GPU.  What is
# stored is keyed by kot_secret_file, as the seeds are sealed by it.
sub unkeyed ($code) {
    (my $norm = lc $code) =~ s/[- ]//g;
    return Digest::SHA::sha256_base64("kot-v1 recovery $norm") =~ tr{+/}{-_}r;
}
my @stored = @{ $t->redis('SMEMBERS', 'kot:v1:mrc:acme:alice') };
is scalar @stored, 8, 'Redis holds the 8 codes left';
my %plain = map { unkeyed($_) => 1 } @codes;
is scalar(grep { $plain{$_} } @stored), 0,
    'none as a hash that anyone could compute from a guess';

# codes of an earlier release, stored unkeyed, still work, once
my $old_code = 'abcde-fgh23';
$t->redis('SADD', 'kot:v1:mrc:acme:alice', unkeyed($old_code));
login($rc, 'alice');
is send_code($rc, $old_code)->{status}, 303,
    'a recovery code stored by an earlier release still logs in';
login($rc, 'alice');
is send_code($rc, $old_code)->{status}, 401, '  once';


# ---------------------------------------------------------------------
# the pending login's expiry and try limit
# ---------------------------------------------------------------------

my ($bob_secret) = enrol($n->ua, 'bob');
ok $bob_secret, 'bob enrols';

my $late = $n->ua;
login($late, 'bob');
my ($bob_pending) = pending_of('bob');
$t->redis('PEXPIRE', $bob_pending, 1);
wait_until(sub { !$t->redis('EXISTS', $bob_pending) },
           what => 'the pending login to expire');
last_used_long_ago('bob');
$res = send_code($late, KotTest::TOTP::code($bob_secret));
is $res->{status}, 303, 'after the pending login expired, a right code';
like $res->{headers}{location},
    qr{^/kot/login\?return_to=/reports&code_expired=1},
    'leads back to the login page';
ok !$late->cookie('kot_session'), 'without a session';
like $late->get($res->{headers}{location})->{content},
    qr/took too long or had too many tries/, 'which says why';

my $tries = $n->ua;
login($tries, 'bob');
for my $i (1 .. 4) {
    $res = send_code($tries, sprintf '%06d', $i);
    is $res->{status}, 401, "wrong code $i is refused";
    ok defined $field->($res->{content}, 'code'),
        "and the code form comes back";
}
$res = send_code($tries, '000005');
is $res->{status}, 401, 'the fifth wrong code is refused';
ok defined $field->($res->{content}, 'password'),
    'and the login form comes back: the pending login is over';
ok !$tries->cookie('kot_mfa'), 'its cookie is cleared';
like $t->kotctl('user', 'status', 'acme', 'bob')->{out}, qr/^locked:\s+no$/m,
    'the try limit ended it, not a lock (threshold=6)';

# the same pending cookie, kept and sent again with the right code
$t->kotctl('user', 'unlock', 'acme', 'bob');
login($tries, 'bob');
my $kept = $tries->cookie('kot_mfa');
ok $kept, 'a new pending login';
send_code($tries, sprintf '%06d', $_) for 1 .. 5;
$tries->set_cookie('kot_mfa', $kept);
$res = send_code($tries, KotTest::TOTP::code($bob_secret));
is $res->{status}, 303, 'after five tries even the right code';
like $res->{headers}{location}, qr/code_expired=1/,
    'leads back to the login page';
ok !$tries->cookie('kot_session'), 'and opens no session';
ok audited('login', 'event.reason' => 'code_expired'),
    'audited as code_expired';
$t->kotctl('user', 'unlock', 'acme', 'bob');


# ---------------------------------------------------------------------
# wrong codes lock the account
# ---------------------------------------------------------------------

my ($dave_secret) = enrol($n->ua, 'dave');
my $guess = $n->ua;
login($guess, 'dave');
send_code($guess, sprintf '%06d', $_) for 1 .. 5;
like $t->kotctl('user', 'status', 'acme', 'dave')->{out},
    qr/^locked:\s+no$/m, 'five wrong codes do not lock yet';
login($guess, 'dave');
send_code($guess, '000006');
like $t->kotctl('user', 'status', 'acme', 'dave')->{out},
    qr/^locked:\s+yes/m, 'the sixth locks the account (threshold=6)';
ok audited('account_locked', 'user.name' => 'dave'), 'audited as a lock';

my $owner = $n->ua;
$res = login($owner, 'dave');
is $res->{status}, 401,
    'then the right password is refused like a wrong one, with no code step';
ok !$owner->cookie('kot_mfa'), 'no pending login is made';
$t->kotctl('user', 'unlock', 'acme', 'dave');


# ---------------------------------------------------------------------
# a tenant that requires MFA
# ---------------------------------------------------------------------

$t->add_user('strict', 'carol', $pw{carol});
is $t->kotctl('tenant', 'policy', 'strict', 'mfa=required')->{exit}, 0,
    'kotctl tenant policy sets mfa=required';
like $t->kotctl('tenant', 'policy', 'strict')->{out}, qr/mfa=required/,
    'and shows it';
is $t->kotctl('tenant', 'policy', 'strict', 'mfa=sometimes')->{exit}, 2,
    'mfa takes only required or optional';

my $carol = $n->ua;
my $carol_phone = $n->ua;
$res = login($carol_phone, 'carol', 'strict');
like $res->{headers}{location}, qr{^/kot/mfa\?},
    'carol logs in on her phone\'s browser, bound to enrol';
$res = login($carol, 'carol', 'strict');
is $res->{status}, 303, 'a user without MFA logs in with the password';
like $res->{headers}{location}, qr{^/kot/mfa\?return_to=/reports},
    'and is sent straight to the enrolment page';
$res = $carol->get('/reports', $HTML);
is $res->{status}, 302, 'every other page sends the browser there too';
like $res->{headers}{location}, qr{^/kot/mfa\?return_to=/reports},
    'keeping the page it asked for';
$res = $carol->get('/reports');
is $res->{status}, 401, 'an API client gets 401';
is $res->{content}, qq({"error":"mfa_enrolment_required"}\n),
    'with mfa_enrolment_required';

$page = $carol->get('/kot/mfa?return_to=/reports');
like $page->{content}, qr/Your company requires two-step login/,
    'the enrolment page says the company requires it';
ok !defined $field->($page->{content}, 'password'),
    'and asks for no password: the login bound to enrol just gave it';
my $carol_secret = secret_of($page);
KotTest::TOTP::fresh_step();
$res = enrol_post($carol, $page, code => KotTest::TOTP::code($carol_secret),
                  return_to => '/reports');
is scalar(my @c = recovery_codes($res)), 10,
    'carol enrols with the code alone';
like $res->{content}, qr{<a class="kot-continue" href="/reports">},
    'and may continue to her page';
like $carol->get('/reports')->{content}, qr/user=\[carol\]/,
    'the same session now opens the application';
$res = $carol_phone->get('/reports', $HTML);
like $res->{headers}{location}, qr{^/kot/login\?},
    'her other session, bound to enrol, ends: no page sends it back to '
    . 'an enrolment that is done';
is $t->redis('ZCARD', 'kot:v1:us:strict:carol'), 1,
    'only the session that enrolled is left';
ok audited('mfa_enrolled', 'user.name' => 'carol',
           'event.outcome' => 'success', 'kot.sessions_ended' => 1),
    'the enrolment\'s record says how many sessions it ended';
$page = $carol->get('/kot/mfa');
unlike $page->{content}, qr/name="action" value="remove"/,
    'where MFA is required, the page offers no way to turn it off';
$res = $carol->post_form('/kot/mfa', {
    csrf => $field->($page->{content}, 'csrf'), action => 'remove',
    password => $pw{carol} });
is $res->{status}, 403, 'and refuses to';
like $res->{content},
    qr/Your company requires two-step login: it cannot be turned off/,
    'saying why';
ok $t->redis('EXISTS', 'kot:v1:mfa:strict:carol'), 'MFA stays';
ok audited('mfa_removed', 'user.name' => 'carol',
           'event.reason' => 'mfa_required'), 'the refusal is audited';

like login($n->ua, 'carol', 'strict')->{headers}{location},
    qr{^/kot/login/code}, 'her next login asks for the code';

# a session of before the tenant came to require MFA is not bound to
# enrol: its cookie alone, perhaps stolen, does not enrol
$pw{ivy} = 'Ivory compass 9952';
$t->add_user('later', 'ivy', $pw{ivy});
my $ivy = $n->ua;
is login($ivy, 'ivy', 'later')->{headers}{location}, '/reports',
    'ivy logs in where MFA is optional';
$t->kotctl('tenant', 'policy', 'later', 'mfa=required');
$page = $ivy->get('/kot/mfa');
ok defined $field->($page->{content}, 'password'),
    'once it is required, her older session is asked for the password';
KotTest::TOTP::fresh_step();
$res = enrol_post($ivy, $page, code => KotTest::TOTP::code(secret_of($page)));
is $res->{status}, 400, 'and the code alone does not enrol';
ok !$t->redis('EXISTS', 'kot:v1:mfa:later:ivy'), 'nothing is stored';
$res = enrol_post($ivy, $page, code => KotTest::TOTP::code(secret_of($page)),
                  password => $pw{ivy});
is scalar(my @i = recovery_codes($res)), 10, 'with the password, ivy enrols';


# ---------------------------------------------------------------------
# replacing and removing
# ---------------------------------------------------------------------

my $erin = $n->ua;
my ($erin_secret) = enrol($erin, 'erin');
$page = $erin->get('/kot/mfa');
my $new_secret = secret_of($page);
isnt $new_secret, $erin_secret, 'a user with MFA is offered a new secret';
ok defined $field->($page->{content}, 'password'),
    'and asked for the password to replace it';
KotTest::TOTP::fresh_step();
$res = enrol_post($erin, $page, code => KotTest::TOTP::code($new_secret),
                  password => 'not the password');
is $res->{status}, 400, 'a replacement without the right password fails';
like $res->{content}, qr/current password is not correct/, 'and says so';
$res = enrol_post($erin, $page, code => KotTest::TOTP::code($new_secret),
                  password => $pw{erin});
is scalar(my @e = recovery_codes($res)), 10,
    'with the password, the new one is in';
ok audited('mfa_enrolled', 'user.name' => 'erin', 'kot.mfa.replaced' => 1),
    'audited as a replacement';

last_used_long_ago('erin');
my $e2 = $n->ua;
login($e2, 'erin');
is send_code($e2, KotTest::TOTP::code($erin_secret))->{status}, 401,
    'the old secret no longer logs in';
is send_code($e2, KotTest::TOTP::code($new_secret))->{status}, 303,
    'the new one does';

$page = $erin->get('/kot/mfa');
$res = $erin->post_form('/kot/mfa', {
    csrf => $field->($page->{content}, 'csrf'), action => 'remove',
    password => 'not the password' });
is $res->{status}, 400, 'removing MFA needs the right password';
like $res->{content}, qr{${\ ('<input id="remove-password" name="password" '
                              . '[^>]* autofocus aria-invalid="true" '
                              . 'aria-describedby="kot-msg-0">') }},
    'the password field of the removal has the focus, marked wrong and '
    . 'read with the message';
like $res->{content}, qr{<label for="remove-password">},
    'under its own label';
like $res->{content},
    qr{<input id="password" name="password" [^>]*current-password">},
    'not the one of the replacement above it, left as it was';
is scalar(@focus = $res->{content} =~ /autofocus|aria-invalid/g), 2,
    'and no other field is marked';
$res = $erin->post_form('/kot/mfa', {
    csrf => $field->($page->{content}, 'csrf'), action => 'remove',
    password => $pw{erin} });
is $res->{status}, 303, 'with it, MFA is removed';
like $erin->get($res->{headers}{location})->{content},
    qr/Two-step login is off/, 'the page says so';
ok audited('mfa_removed', 'user.name' => 'erin', 'event.outcome' => 'success'),
    'audited as mfa_removed';
is login($n->ua, 'erin')->{headers}{location}, '/reports',
    'the next login takes the password alone';

# a page left open past its offer (15 minutes): the code enrols nothing
$page = $erin->get('/kot/mfa');
my $stale = secret_of($page);
$t->redis('DEL', $_) for @{ $t->redis('KEYS', 'kot:v1:mo:*') };
KotTest::TOTP::fresh_step();
$res = enrol_post($erin, $page, code => KotTest::TOTP::code($stale));
is $res->{status}, 409, 'a code of a secret no longer offered enrols nothing';
like $res->{content}, qr/The QR code you scanned is no longer valid/,
    'and says to scan the new one';
isnt secret_of($res), $stale, 'which the page shows';
ok !$t->redis('EXISTS', 'kot:v1:mfa:acme:erin'), 'nothing is stored';
ok audited('mfa_enrolled', 'user.name' => 'erin',
           'event.outcome' => 'failure', 'event.reason' => 'offer_expired'),
    'the refusal is audited (offer_expired)';

# a server whose own policy requires MFA, on the same Redis
my $strict = $t->nginx(
    KotTest->site(http => 'kot_password_policy mfa=required;'), name => 'b');
like login($strict->ua, 'erin')->{headers}{location}, qr{^/kot/mfa\?},
    'where the server requires MFA (kot_password_policy mfa=required), '
    . 'a user without it is sent to set it up';
$strict->stop;


# ---------------------------------------------------------------------
# administrators
# ---------------------------------------------------------------------

my ($frank_secret) = enrol($n->ua, 'frank');
my $frank = $n->ua;
login($frank, 'frank');
last_used_long_ago('frank');
send_code($frank, KotTest::TOTP::code($frank_secret));
like $frank->get('/reports')->{content}, qr/user=\[frank\]/,
    'frank is logged in with MFA';
like $t->kotctl('user', 'status', 'acme', 'frank')->{out},
    qr/^mfa:\s+yes, since \d{4}-.*\(10 recovery codes left\)/m,
    'kotctl user status shows MFA';

my $r = $t->kotctl('user', 'passwd', 'acme', 'frank', '--reset');
is $r->{exit}, 0, 'an administrator resets the password';
my ($temp) = $r->{out} =~ /^password: (\S+)/m;
$res = login($n->ua, 'frank', 'acme', password => $temp);
like $res->{headers}{location}, qr{^/kot/login/code},
    'a password reset does not remove MFA: the code is still asked for';

$r = $t->kotctl('--audit-log', $ctl_log, '--auditor-public-key', $pub,
                'user', 'mfa-reset', 'acme', 'frank');
is $r->{exit}, 0, 'kotctl user mfa-reset succeeds';
like $r->{out}, qr/MFA of user "frank" in tenant "acme" reset/, 'and says so';
like $t->kotctl('user', 'status', 'acme', 'frank')->{out}, qr/^mfa:\s+no$/m,
    'the user has no MFA any more';
my ($reset) = grep { $_->{'event.action'} eq 'mfa_reset' } records($ctl_log);
is $reset && $reset->{'user.target.name'}, 'frank',
    'the reset is audited (mfa_reset)';
is $t->kotctl('user', 'mfa-reset', 'acme', 'frank')->{exit}, 0,
    'a second reset is harmless';
is $t->kotctl('user', 'mfa-reset', 'acme', 'nobody')->{exit}, 1,
    'an unknown user is an error';
$res = login($n->ua, 'frank', 'acme', password => $temp);
like $res->{headers}{location}, qr{^/kot/password},
    'after the reset the password alone logs in (and must be changed)';


# ---------------------------------------------------------------------
# secrets stay secret
# ---------------------------------------------------------------------

my @secrets = ($secret, $bob_secret, $dave_secret, $carol_secret,
               $new_secret, $frank_secret);

# a seed in any encoding a careless store might use
my %forms = map {
    my $raw = KotTest::TOTP::base32_decode($_);
    (my $b64 = MIME::Base64::encode_base64($raw, '')) =~ s/=+$//;
    (my $b64url = $b64) =~ tr{+/}{-_};
    $_ => [ $raw, $_, lc $_, unpack('H*', $raw), uc unpack('H*', $raw),
            $b64, $b64url ];
} @secrets;

# Every value of every key, as bytes.
my @values;
my $cursor = 0;
do {
    my ($next, $keys) = @{ $t->redis('SCAN', $cursor, 'COUNT', 1000) };
    $cursor = $next;
    for my $k (@$keys) {
        my $type = $t->redis('TYPE', $k);
        push @values, $k,
            $type eq 'string' ? $t->redis('GET', $k)
          : $type eq 'hash'   ? @{ $t->redis('HGETALL', $k) }
          : $type eq 'set'    ? @{ $t->redis('SMEMBERS', $k) }
          : $type eq 'list'   ? @{ $t->redis('LRANGE', $k, 0, -1) }
          : $type eq 'zset'   ? @{ $t->redis('ZRANGE', $k, 0, -1) }
          : ();
    }
} while ($cursor ne '0');
my $all = join "\n", grep { defined } @values;
ok length($all) > 1000, 'Redis holds the site\'s data (' . length($all)
    . ' bytes of keys and values)';
ok $all =~ /kot:v1:mfa:acme:alice/ && $all =~ /kot:v1:mrc:acme:alice/,
    'the MFA keys among them';
my @found = grep { my $s = $_; grep { index($all, $_) >= 0 } @{ $forms{$s} } }
            @secrets;
is "@found", '',
    'no seed is in Redis: not raw, nor in base32, hex or base64';
my @rc_found = grep { my $c = $_; (my $bare = $c) =~ s/-//;
                      index($all, $c) >= 0 || index($all, $bare) >= 0 }
               @codes;
is "@rc_found", '', 'no recovery code is in Redis in clear';

my $logs = join '', map { KotTest::_slurp($_) } $log, $ctl_log,
                                                $n->dir . '/error.log';
my @leaked = grep { index($logs, $_) >= 0 } @secrets, @codes;
is "@leaked", '', 'no secret and no recovery code is in any log';

# stopped first, so that every chain ends and nothing is written while
# verify reads
$n->stop;
unlike $n->error_log, qr/\[(?:alert|crit|emerg)\]|exited on signal/,
    'nginx logged no alert and no worker died';
my $verify = $t->kotctl('audit', 'verify', '--auditor-private-key', $priv,
                        $log);
is $verify->{exit}, 0, 'the audit log verifies' or diag $verify->{out};


# kot_status counts a two-step login once, when it ends

my $m = $t->nginx(KotTest->site(server => <<'EOF'), name => 'm');
        location = /metrics {
            kot_status;
        }
EOF

sub logins ($outcome, $reason) {
    my ($v) = $m->ua->get('/metrics')->{content}
        =~ /^kot_logins_total\{outcome="$outcome",reason="$reason"\} (\d+)$/m;
    return $v // -1;
}

$t->add_user('acme', 'gina', 'Green parcel 7734');
$pw{gina} = 'Green parcel 7734';
my ($gsecret) = enrol($m->ua, 'gina');
my %before = (ok => logins('success', ''),
              bad => logins('failure', 'bad_code'),
              other => logins('failure', 'other'));
my $g = $m->ua;
login($g, 'gina');
is logins('success', ''), $before{ok},
    'a right password that asks for a code is no login yet';
is logins('failure', 'other'), $before{other}, 'nor a failure';
send_code($g, '000000');
is logins('failure', 'bad_code'), $before{bad} + 1,
    'a wrong code counts as a failure, with its reason';
last_used_long_ago('gina');
send_code($g, KotTest::TOTP::code($gsecret));
is logins('success', ''), $before{ok} + 1, 'and the right code as a login';


# kot_secret_file replaced while a user is enrolling: the seed offered
# under the old key cannot be opened, but nothing can reach it either,
# since the session that it was offered to ends with the key

$t->add_user('acme', 'hana', 'Hazel ribbon 8845');
$pw{hana} = 'Hazel ribbon 8845';
my $h = $m->ua;
login($h, 'hana');
my $old = secret_of($h->get('/kot/mfa'));
ok $old, 'a user opens the enrolment page';

open my $rnd, '<:raw', '/dev/urandom' or die "/dev/urandom: $!\n";
read($rnd, my $key, 48) == 48 or die "/dev/urandom: short read\n";
close $rnd;
KotTest::_spew($t->secret_file, $key, 0600);
$m->reload;
is $h->get('/kot/mfa')->{status}, 302, 'the sessions of the old key end';
login($h, 'hana');

$page = $h->get('/kot/mfa');
is $page->{status}, 200, 'logged in again, the user opens the page';
my $new = secret_of($page);
ok $new && $new ne $old, 'and offers a new secret in place of the old';
KotTest::TOTP::fresh_step();
$res = enrol_post($h, $page, code => KotTest::TOTP::code($new),
                  password => $pw{hana});
is $res->{status}, 200, 'whose code enrols';

done_testing;
