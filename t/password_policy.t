# The password policy: complexity, a blocklist, history, minimum and
# maximum age, inactive accounts, forced changes, and tenants that tighten
# the server's rules but may not loosen them.

use strict;
use warnings;
use v5.36;
use utf8;

use lib 't/lib';
use KotTest;
use Test::More;
use Encode ();
use JSON::PP ();
use Time::HiRes qw(time);

my $t = KotTest->new;

my $blocklist = $t->dir . '/common.txt';
KotTest::_spew($blocklist,
               "#!comment: test list\nletmein123456\nPassword1234\n");

# the http level is what kotctl sees; the second server has short
# lifetimes to test them
my $n = $t->nginx(KotTest->site(
    http => "kot_password_policy classes=2 blocklist=$blocklist history=3;"
          . <<'EOF'));

    server {
        listen 127.0.0.1:%%PORT2%%;
        kot_password_policy min_age=2s max_age=3s;

        location /kot/ {
            kot_portal;
        }

        location / {
            kot on;
            proxy_pass http://%%APP%%;
        }
    }
EOF

my $B = 'http://127.0.0.1:' . $n->port2;

$t->add_user('acme', 'alice', 'first secret 2026');

sub login ($user, $password, $base = '') {
    my $ua = $n->ua;
    my $form = $ua->get("$base/kot/login");
    my $res = $ua->post_form("$base/kot/login", {
        csrf => KotTest::UA::form_field($form->{content}, 'csrf'),
        tenant => 'acme', username => $user, password => $password });
    return ($ua, $res);
}

sub change ($ua, $current, $new, %o) {
    my $base = $o{base} // '';
    my $page = $ua->get("$base/kot/password", $o{headers});
    return $ua->post_form("$base/kot/password", {
        csrf => KotTest::UA::form_field($page->{content}, 'csrf'),
        current_password => $current, new_password => $new,
        confirm_password => $o{confirm} // $new }, $o{headers});
}

my ($ua) = login('alice', 'first secret 2026');
my $password = 'first secret 2026';

my $res;

sub refused ($new, $re, $what, %o) {
    my $res = change($ua, $password, $new, %o);
    is $res->{status}, 400, "$what is refused";
    like $res->{content}, $re, 'with its reason';
}


# each rule, with its reason

refused('short 1', qr/too short: use at least 12 characters/,
        'a password under min_length');
refused('a' x 128 . 'B', qr/too long: use at most 128 characters/,
        'a 129-character password (not truncated)');
refused('alllowercaseletters', qr/at least 2 kinds of characters/,
        'a password of one kind of character (classes=2)');
refused('my alice password 1', qr/must not contain your username/,
        'a password that contains the username');
refused('LetMeIn123456', qr/too common/,
        'a password from the blocklist, in any case');
refused("tab\there 12345", qr/characters that cannot be used/,
        'a password with a control character');
refused('a fine new secret 1', qr/do not match/,
        'a confirmation that differs', confirm => 'a fine new secret 2');
refused('first secret 2026', qr/must differ from the current one/,
        'the current password');

$res = change($ua, $password, 'short',
              headers => { 'Accept-Language' => 'ja' });
like Encode::decode_utf8($res->{content}),
    qr/新しいパスワードが短すぎます。12文字以上/,
    'a Japanese browser gets the reasons in Japanese';

my $form = $ua->get('/kot/password')->{content};
like $form, qr/name="current_password"[^>]*autocomplete="current-password"
              |autocomplete="current-password"[^>]*name="current_password"/x,
    'the change page lets a password manager fill in the current password';
like $form, qr/name="new_password"[^>]*autocomplete="new-password"
              |autocomplete="new-password"[^>]*name="new_password"/x,
    'and offer a new one';
$res = change($ua, $password, 'Short echo 9', confirm => 'Short echo 8');
ok $res->{status} == 400 && index($res->{content}, $password) < 0
   && $res->{content} !~ /Short echo/,
    'a refused change shows none of the passwords typed';

my $multi = change($ua, $password, 'abc', confirm => 'abd');
my $reasons = () = $multi->{content} =~ /class="msg"/g;
cmp_ok $reasons, '>=', 3, 'every broken rule is named at once';


# code points, not bytes

refused('パスワード1', qr/too short/,
        'five Japanese characters and a digit (16 bytes)');

$res = change($ua, $password, 'パスワードは十二文字以上1');
is $res->{status}, 303,
    'twelve Japanese characters and a digit (37 bytes) are long enough';
$password = 'パスワードは十二文字以上1';

$ua = (login('alice', $password))[0];
ok $ua->cookie('kot_session'), 'and log in';


# history

$res = change($ua, $password, 'second secret 2026');
is $res->{status}, 303, 'a new password is accepted';
$password = 'second secret 2026';

refused('パスワードは十二文字以上1', qr/not be one of your last 3 passwords/,
        'the previous password');
refused('first secret 2026', qr/not be one of your last 3 passwords/,
        'the one before (history=3)');

$res = change($ua, $password, 'third secret 2026');
$password = 'third secret 2026';
$res = change($ua, $password, 'first secret 2026');
is $res->{status}, 303, 'a password older than the history is allowed again';
$password = 'first secret 2026';


# other sessions end, on every node, and the session that changed the
# password gets a new id, since the old one may be what leaked

my $node2 = $t->nginx(KotTest->site(http => "kot_password_policy classes=2 "
    . "blocklist=$blocklist history=3;"), name => 'node2');
my $far = $node2->ua;
$far->login(tenant => 'acme', username => 'alice', password => $password);
is $far->get('/app')->{status}, 200, 'a session on another node works';

my ($other) = login('alice', $password);
is $other->get('/app')->{status}, 200, 'a second session works';
my $old_id = $ua->cookie('kot_session');
$res = change($ua, $password, 'fourth secret 2026');
$password = 'fourth secret 2026';
is $other->get('/app')->{status}, 401,
    'a password change ends the other sessions';
ok wait_until(sub { $far->get('/app')->{status} == 401 },
              what => 'the other node to refuse the session'),
    'including those on other nodes';
is $ua->get('/app')->{status}, 200, 'but not the one that changed it';
isnt $ua->cookie('kot_session'), $old_id, 'which now has a new id';
my $stale = $n->ua;
$stale->set_cookie(kot_session => $old_id);
is $stale->get('/app')->{status}, 401, 'and its old id no longer works';


# tenants tighten

my $r = $t->kotctl('tenant', 'policy', 'acme', 'min_length=20', 'history=5');
is $r->{exit}, 0, 'a tenant tightens the policy';
refused('only nineteen chars', qr/at least 20 characters/,
        'a password the tenant finds too short');

$r = $t->kotctl('tenant', 'policy', 'acme', 'min_length=8');
is $r->{exit}, 2, 'a tenant may not loosen it';
like $r->{err}, qr/min_length=8 would loosen the server's min_length=12/,
    'kotctl says why';
$r = $t->kotctl('tenant', 'policy', 'acme', 'classes=1');
like $r->{err}, qr/classes=1 would loosen the server's classes=2/,
    'nor go below the server in any rule';
$r = $t->kotctl('tenant', 'policy', 'acme', 'max_age=30d', 'min_age=60d');
is $r->{exit}, 2, 'nor set a min_age that would trap an expired password';
like $r->{err}, qr/min_age must be shorter than max_age/, 'kotctl says so';
like $t->kotctl('tenant', 'policy', 'acme')->{out}, qr/min_length=20/,
    'kotctl shows what the tenant set';

$r = $t->kotctl('user', 'add', 'acme', 'carol', '--role', 'user',
                '--password-stdin', { stdin => "nineteen characters\n" });
is $r->{exit}, 2, 'kotctl applies the same effective policy';
like $r->{err}, qr/too short: at least 20 characters/, 'with the reason';
$r = $t->kotctl('user', 'add', 'acme', 'carol', '--role', 'user',
                '--password-stdin', { stdin => "Password1234\n" });
like $r->{err}, qr/common password from the blocklist/,
    'including the server\'s blocklist';


# forced changes: after creation and after an administrator's reset

$r = $t->kotctl('user', 'add', 'acme', 'dave', '--role', 'user',
                '--generate-password');
my ($temp) = $r->{out} =~ /^password: (\S+)/m;
my ($dave, $first) = login('dave', $temp, $B);
like $first->{headers}{location}, qr{^/kot/password},
    'a new user must change the password first';
like $dave->get("$B/kot/password")->{content}, qr/must change your password/,
    'and is told so';
$res = change($dave, $temp, 'dave picks a long secret', base => $B);
is $res->{status}, 400, 'the new one still follows the rules';
$res = change($dave, $temp, 'a long secret picked 2026', base => $B);
is $res->{status}, 303,
    'a forced change is allowed at once, whatever min_age says';

$r = $t->kotctl('user', 'passwd', 'acme', 'dave', '--reset');
($temp) = $r->{out} =~ /^password: (\S+)/m;
ok $temp, 'kotctl user passwd --reset issues a temporary password';
is $dave->get("$B/app")->{status}, 401, 'which ends the user\'s sessions';
($dave, $first) = login('dave', $temp, $B);
like $first->{headers}{location}, qr{^/kot/password},
    'and must be changed at the next login';
$res = change($dave, $temp, 'another secret for 2026', base => $B);
is $res->{status}, 303, 'the user changes it';
my $changed = time;


# minimum age

$res = change($dave, 'another secret for 2026', 'yet another secret 2026',
              base => $B);
is $res->{status}, 400, 'a second change right away is refused (min_age)';
like $res->{content}, qr/changed your password recently/, 'with the reason';

ok wait_until(sub {
    change($dave, 'another secret for 2026', 'yet another secret 2026',
           base => $B)->{status} == 303
}, interval => 0.3, what => 'min_age to pass'), 'after min_age it is allowed';
$changed = time;


# maximum age

wait_until(sub { time - $changed > 3.2 }, interval => 0.1,
           what => 'max_age to pass');
($dave, $first) = login('dave', 'yet another secret 2026', $B);
like $first->{headers}{location}, qr{^/kot/password},
    'after max_age a correct login leads to the change page';
like $dave->get("$B/kot/password")->{content}, qr/password has expired/,
    'which says the password expired';
is $dave->get("$B/app", { Accept => 'text/html' })->{status}, 302,
    'every other page sends the browser there';
like $dave->get("$B/api/x")->{content}, qr/"error":"password_expired"/,
    'and an API call gets 401 password_expired';
# A min_age longer than max_age cannot be configured, but a tenant's
# min_age set before the server shortened max_age can meet one: an
# expired password must still be changeable then.
$t->redis('HSET', 'kot:v1:t:acme', 'policy.min_age', '1h');
$res = change($dave, 'yet another secret 2026', 'a fresh secret for 2026',
              base => $B);
$t->redis('HDEL', 'kot:v1:t:acme', 'policy.min_age');
is $res->{status}, 303,
    'changing it opens the application again, whatever min_age says';

# a tenant rule garbled in Redis is ignored, loudly: the server's applies
my $history = $t->redis('HGET', 'kot:v1:t:acme', 'policy.history');
$t->redis('HSET', 'kot:v1:t:acme', 'policy.history', 'lots');
(undef, $res) = login('dave', 'a fresh secret for 2026', $B);
$t->redis('HSET', 'kot:v1:t:acme', 'policy.history', $history);
is $res->{status}, 303, 'a garbled tenant rule does not stop logins';
like $n->error_log, qr/the\ tenant's\ policy\ rule\ "policy\.history"\ in\ Redis
                      \ is\ not\ valid\ and\ is\ ignored/x,
    'and the log names the rule to set again';
is $dave->get("$B/app")->{status}, 200, 'and so it does';


# inactive accounts (on a server of their own, with a short limit)

my ($priv, $pub) = $t->auditor_keys;
my $c = $t->nginx(KotTest->site(http => <<"EOF"), name => 'c');
kot_password_policy inactive_after=2s;
    kot_audit_log %%DIR%%/audit.log;
    kot_audit_auditor_key $pub;
EOF
my $C = 'http://127.0.0.1:' . $c->port;

$t->add_user('acme', 'erin', 'a long dormant secret');
my $created = time;
wait_until(sub { time - $created > 2.2 }, interval => 0.1,
           what => 'inactive_after to pass');
my ($erin, $refused) = login('erin', 'a long dormant secret', $C);
is $refused->{status}, 401, 'an account unused for inactive_after is refused';
like $refused->{content}, qr/Login failed/, 'with the generic failure';
like $c->error_log, qr/user "erin": inactive/, 'the log says why';
ok +(grep { ($_->{'event.reason'} // '') eq 'inactive'
             && ($_->{'user.name'} // '') eq 'erin' }
        $t->audit_records($t->dir . '/c/audit.log')),
    'and so does the audit log';

like $t->kotctl('user', 'status', 'acme', 'erin')->{out},
    qr/^inactive:\s+yes, no login for longer than inactive_after/m,
    'kotctl user status says it is inactive';

my $kotctl_log = $t->dir . '/kotctl-audit.log';
$r = $t->kotctl('--audit-log', $kotctl_log, '--auditor-public-key', $pub,
                'user', 'enable', 'acme', 'erin');
is $r->{exit}, 0, 'kotctl user enable restores it';
my ($enabled) = $t->audit_records($kotctl_log, 'account_enabled');
is_deeply $enabled->{'kot.change'},
    { before => { disabled => JSON::PP::false, inactive => JSON::PP::true },
      after => { disabled => JSON::PP::false, inactive => JSON::PP::false } },
    'and records that it was inactive, as the admin API does';
like $t->kotctl('user', 'status', 'acme', 'erin')->{out},
    qr/^inactive:\s+no$/m, 'and then that it is not';
$r = $t->kotctl('user', 'enable', 'acme', 'erin');
like $r->{out}, qr/is already enabled; nothing changed/,
    'enabling an active account again changes nothing';
(undef, $res) = login('erin', 'a long dormant secret', $C);
is $res->{status}, 303, 'and the user logs in again';

done_testing;
