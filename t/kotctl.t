# kotctl, the administrator's command line: tenants, users, temporary
# passwords, the sessions of a user, revoking them, disabling accounts.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use IO::Select;
use IO::Socket::INET;
use IPC::Open2 ();
use KotTest;
use Test::More;

my $t = KotTest->new;
my $n = $t->nginx(KotTest->site);


my $r = $t->kotctl('tenant', 'add', 'Acme');
is $r->{exit}, 0, 'a tenant is added';
like $r->{out}, qr/tenant "acme" added/, 'under its lower-case name';
is $t->kotctl('tenant', 'add', 'acme')->{exit}, 1,
    'the same tenant cannot be added twice';

# One rule for tenant names (kot_ident.h), stated the same way by every
# command that takes a tenant and by the README's data model.
my $tenant_rule = q{use 1 to 63 of a-z, 0-9, '.' and '-', starting and }
    . q{ending with a letter or digit, without ".."};

for my $bad ('-acme', 'ac me', 'acme:x', 'a' x 64, '', 'acme_x', 'acme@x',
             'acme+x', 'acme{x}')
{
    $r = $t->kotctl('tenant', 'add', $bad);
    is $r->{exit}, 2, "tenant name '$bad' is refused";
    like $r->{err}, qr/is not a valid tenant name: \Q$tenant_rule\E$/m,
        'with the rule';
}

for my $cmd ([qw(user add acme_x bob --role user --generate-password)],
             [qw(user status acme_x bob)], [qw(session list acme_x bob)],
             [qw(allowlist acme_x access list)])
{
    $r = $t->kotctl(@$cmd);
    is $r->{exit}, 2, "\"@$cmd[0,1]\" refuses the tenant name too";
    like $r->{err}, qr/"acme_x" is not a valid tenant name: \Q$tenant_rule\E$/m,
        '  with the same rule';
}

(my $readme = KotTest::_slurp(KotTest->repo . '/README.md')) =~ s/\s+/ /g;
like $readme, qr/a tenant name is \Q${\ substr $tenant_rule, 4}\E/,
    'the README states the rule that kotctl applies';
like $readme, qr/a username is 1 to 64 of a-z, 0-9 and \. _ \@ \+ -, (?x)
    not \s starting \s with \s \. \s \@ \s or \s -/,
    'and the username rule';


# users

$r = $t->kotctl('user', 'add', 'acme', 'Admin@Acme.example', '--role', 'admin',
                '--generate-password');
is $r->{exit}, 0, 'a user is added with a generated password';
my ($generated) = $r->{out} =~ /^password: (\S+)$/m;
ok length($generated // '') >= 20, 'the generated password is printed';
like $r->{out}, qr/must be changed at the first login/,
    'and it is a temporary one';

my $ua = $n->ua;
$r = $ua->login(tenant => 'acme', username => 'admin@acme.example',
                password => $generated);
is $r->{headers}{location}, '/kot/password?return_to=/',
    'the generated password logs in and must be changed';

$r = $t->kotctl('user', 'add', 'acme', 'admin@acme.example', '--role', 'x',
                '--generate-password');
is $r->{exit}, 1, 'the same user cannot be added twice';
like $r->{err}, qr/already exists/, 'and kotctl says so';

$r = $t->kotctl('user', 'add', 'nosuch', 'bob', '--role', 'user',
                '--generate-password');
is $r->{exit}, 1, 'a user needs an existing tenant';
like $r->{err}, qr/tenant "nosuch" does not exist; add it with(?x)
    \s "kotctl \s tenant \s add \s nosuch"/,
    'and kotctl says how to fix it';

$r = $t->kotctl('user', 'add', 'acme', 'bob', '--password-stdin',
                { stdin => "long enough pass\n" });
is $r->{exit}, 2, 'a user needs a role';

$r = $t->kotctl('user', 'add', 'acme', 'bob', '--role', 'Admin!',
                '--generate-password');
is $r->{exit}, 2, 'a malformed role is refused';

$r = $t->kotctl('user', 'add', 'acme', 'bob:x', '--role', 'user',
                '--generate-password');
like $r->{err}, qr/"bob:x" is not a valid username: use 1 to 64 of(?x)
    \s a-z, \s 0-9 \s and \s \. \s _ \s \@ \s \+ \s -, \s not \s starting
    \s with \s \. \s \@ \s or \s -$/m,
    'a malformed username is refused, with the rule';

$r = $t->kotctl('user', 'add', 'acme', 'Bob_Smith+ops@Acme.example',
                '--role', 'user', '--generate-password');
is $r->{exit}, 0,
    "a username may hold '_', '+' and '\@', like an e-mail address";
like $r->{out}, qr/user "bob_smith\+ops\@acme\.example" added/,
    '  folded to lower case';

$r = $t->kotctl('user', 'add', 'acme', 'bob', '--role', 'user',
                '--password-stdin', { stdin => "short\n" });
is $r->{exit}, 2, 'a password that breaks the policy is refused';
like $r->{err}, qr/too short: at least 12 characters/, 'with the reason';

$r = $t->kotctl('user', 'add', 'acme', 'bob', '--role', 'user',
                '--password-stdin', { stdin => "a fine password\n" });
is $r->{exit}, 0, 'a user is added with a password from stdin';
is $t->redis('HGET', 'kot:v1:u:acme:bob', 'must_change'), '1',
    'an admin-set password is temporary';
like $t->redis('HGET', 'kot:v1:u:acme:bob', 'hash'),
    qr/^\$scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9+\/]{22}\$[A-Za-z0-9+\/]{43}$/,
    'Redis holds only a scrypt PHC string';

$r = $t->kotctl('user', 'add', 'acme', 'robot', '--role', 'api',
                '--password-stdin', '--no-force-change',
                { stdin => "machine secret 1\n" });
is $t->redis('HGET', 'kot:v1:u:acme:robot', 'must_change'), '0',
    '--no-force-change makes a password that need not be changed';


# sessions and admin resets

my $s1 = $n->ua;
$s1->login(tenant => 'acme', username => 'robot',
           password => 'machine secret 1');
my $s2 = $n->ua;
$s2->login(tenant => 'acme', username => 'robot',
           password => 'machine secret 1');

$r = $t->kotctl('session', 'list', 'acme', 'robot');
is $r->{exit}, 0, 'the sessions of a user are listed';
my @lines = grep { /^\S{16}  \d{4}-/ } split /\n/, $r->{out};
is scalar @lines, 2, 'one line per session';
like $lines[0], qr/  127\.0\.0\.1$/, 'with the source address';
my ($handle) = $s1->get('/app')->{content} =~ /session=\[([^\]]+)\]/;
like $r->{out}, qr/^\Q$handle\E /m,
    'by the same handle the application sees';

# The expiries are the site's timeouts (the defaults: 30 minutes idle,
# 12 hours in all), not the Redis key's lifetime, which has 10 more
# minutes so that a late request can be told that its session expired.
use Time::Local qw(timegm);
sub epoch ($rfc3339) {
    my @t = $rfc3339 =~ /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)Z$/
        or return -1;
    return timegm($t[5], $t[4], $t[3], $t[2], $t[1] - 1, $t[0]);
}
like $r->{out}, qr/^SESSION\s+CREATED\s+LAST\ ACTIVE\s+IDLE\ EXPIRY(?x)
    \s+ ABSOLUTE\ EXPIRY \s+ SOURCE$/m,
    'session list has a column for each expiry';
my ($created, $active, $idle, $absolute) =
    map { epoch($_) } (split /\s+/, $lines[0])[1 .. 4];
ok abs($idle - $active - 30 * 60) <= 1,
    'the idle expiry is the last activity + kot_idle_timeout'
    or diag $lines[0];
ok abs($absolute - $created - 12 * 3600) <= 1,
    'the absolute expiry is the login + kot_absolute_timeout'
    or diag $lines[0];

# a session past its idle expiry, whose key lingers for the grace, is over
my ($sid) = grep { index($_, $handle) == 0 }
            @{ $t->redis('ZRANGE', 'kot:v1:us:acme:robot', 0, -1) };
$t->redis('PEXPIRE', "kot:v1:s:$sid", 5 * 60 * 1000);
@lines = grep { /^\S{16}  \d{4}-/ }
         split /\n/, $t->kotctl('session', 'list', 'acme', 'robot')->{out};
is scalar @lines, 1, 'a session in its grace after expiry is not listed';
unlike $lines[0], qr/^\Q$handle\E/, '  (it is the one that expired)';

$r = $t->kotctl('session', 'list', 'acme', 'robbot');
is $r->{exit}, 1, 'listing the sessions of a misspelt user fails';
like $r->{err}, qr/user "robbot" does not exist in tenant "acme"/,
    '  and names the user it could not find';

$r = $t->kotctl('user', 'passwd', 'acme', 'robot', '--password-stdin',
                { stdin => "machine secret 2\n" });
is $r->{exit}, 0, 'an admin sets a new password';
like $r->{out}, qr/2 sessions ended/, 'which ends the user\'s sessions';
is $s1->get('/app')->{status}, 401, 'the first session is dead';
is $s2->get('/app')->{status}, 401, 'so is the second';
like $n->ua->login(tenant => 'acme', username => 'robot',
                   password => 'machine secret 2')->{headers}{location},
    qr{^/kot/password}, 'the reset password must be changed';

is $t->kotctl('user', 'passwd', 'acme', 'ghost', '--generate-password')
      ->{exit}, 1, 'a password cannot be set for an unknown user';


# an administrator ends one session, or all of them

$t->kotctl('user', 'passwd', 'acme', 'robot', '--password-stdin',
           '--no-force-change', { stdin => "machine secret 3\n" });

sub robot () {
    my $ua = $n->ua;
    $ua->login(tenant => 'acme', username => 'robot',
               password => 'machine secret 3');
    return $ua;
}

sub handle ($ua) {
    return ($ua->get('/app')->{content} =~ /session=\[([^\]]+)\]/)[0];
}

($s1, $s2) = (robot(), robot());
my $s3 = robot();
my $gone = handle($s1);
$r = $t->kotctl('session', 'revoke', 'acme', 'robot', $gone);
is $r->{exit}, 0, 'an admin revokes one session by its handle';
like $r->{out}, qr/^1 session of user "robot" in tenant "acme" ended$/m,
    'and is told so';
# a revocation reaches the workers' caches within 100 ms (kot_session_cache)
sub over ($ua) {
    return KotTest::wait_until(sub { $ua->get('/app')->{status} == 401 },
                               timeout => 1, what => 'the session to end');
}

ok over($s1), 'that session is over';
is $s2->get('/app')->{status}, 200, 'the user\'s other sessions go on';

$r = $t->kotctl('session', 'revoke', 'acme', 'robot', $gone);
is $r->{exit}, 1, 'revoking a session that is gone fails';
like $r->{err}, qr/has no session \S+ \("kotctl session list acme robot"/,
    'and says where to find the ones it has';

$r = $t->kotctl('session', 'revoke', 'acme', 'robot', 'short');
is $r->{exit}, 2, 'a handle too short to be one is a usage error';
like $r->{err}, qr/SESSION column of "kotctl session list"/,
    'that says what to give';

$r = $t->kotctl('session', 'revoke', 'acme', 'robot', '--all');
like $r->{out}, qr/^2 sessions of user/m, '--all revokes every session';
ok over($_), 'and each one is over' for $s2, $s3;

$r = $t->kotctl('session', 'revoke', 'acme', 'robbot', '--all');
is $r->{exit}, 1, 'revoking the sessions of a misspelt user fails';
like $r->{err}, qr/user "robbot" does not exist in tenant "acme"/,
    'and names the user it could not find';


# an administrator disables an account

($s1, $s2) = (robot(), robot());
$r = $t->kotctl('user', 'disable', 'acme', 'robot');
is $r->{exit}, 0, 'an admin disables an account';
like $r->{out}, qr/disabled; 2 sessions ended/, 'which ends its sessions';
is $_->get('/app')->{status}, 401, 'each of them' for $s1, $s2;

$r = $n->ua->login(tenant => 'acme', username => 'robot',
                   password => 'machine secret 3');
is $r->{status}, 401, 'the right password no longer logs in';
like $r->{content}, qr/name="username"/,
    'the user sees the login form again, as for any failure';
like $t->kotctl('user', 'status', 'acme', 'robot')->{out},
    qr/^disabled:\s+yes, since \d{4}-/m, 'user status shows it';

$r = $t->kotctl('user', 'enable', 'acme', 'robot');
is $r->{exit}, 0, 'an admin enables the account again';
is robot()->get('/app')->{status}, 200, 'and the user can log in';
like $t->kotctl('user', 'status', 'acme', 'robot')->{out},
    qr/^disabled:\s+no$/m, 'user status shows it enabled';

is $t->kotctl('user', 'disable', 'acme', 'ghost')->{exit}, 1,
    'an unknown user cannot be disabled';


# generated passwords follow the tenant's policy

# Where a login leads: '/' for a settled password, the change page for a
# temporary one, '' when it fails.
sub login_to ($tenant, $user, $password) {
    return $n->ua->login(tenant => $tenant, username => $user,
                         password => $password)->{headers}{location} // '';
}

sub strict_ok ($password) {
    return length($password) >= 24 && $password =~ /[a-z]/
           && $password =~ /[A-Z]/ && $password =~ /[0-9]/
           && $password =~ /[^a-zA-Z0-9]/;
}

$t->kotctl('tenant', 'add', 'strict');
$r = $t->kotctl('tenant', 'policy', 'strict', 'min_length=24', 'classes=4');
is $r->{exit}, 0, 'a tenant asks for 24 characters of all four kinds';

$r = $t->kotctl('user', 'add', 'strict', 'carol', '--role', 'user',
                '--generate-password');
is $r->{exit}, 0, 'a user of that tenant is added with a generated password';
($generated) = $r->{out} =~ /^password: (\S+)$/m;
$generated //= '';
cmp_ok length($generated), '>=', 24,
    'the generated password is as long as the tenant asks';
ok strict_ok($generated),
    'and mixes lower case, upper case, digits and symbols'
    or diag "generated: $generated";
is login_to('strict', 'carol', $generated), '/kot/password?return_to=/',
    'the generated password logs in and must be changed';

my @reset = map {
    ($t->kotctl('user', 'passwd', 'strict', 'carol', '--reset')->{out}
        =~ /^password: (\S+)$/m)[0] // ''
} 1 .. 5;
is scalar(grep { strict_ok($_) } @reset), 5,
    'every password that --reset generates follows the policy too'
    or diag "generated: @reset";
is login_to('strict', 'carol', $reset[-1]), '/kot/password?return_to=/',
    'and the last one logs in';
is login_to('strict', 'carol', $reset[0]), '',
    'while an earlier one no longer does';


# an administrator cannot reuse a recent password either (history)

$t->add_user('hist', 'dave', 'first password 1');
$r = $t->kotctl('tenant', 'policy', 'hist', 'history=3');
is $r->{exit}, 0, 'a tenant remembers the last 3 passwords';

sub passwd ($user, $password) {
    return $t->kotctl('user', 'passwd', 'hist', $user, '--password-stdin',
                      '--no-force-change', { stdin => "$password\n" });
}

is passwd('dave', 'second password 2')->{exit}, 0,
    'an admin sets a new password';

my $dave = $n->ua;
$dave->login(tenant => 'hist', username => 'dave',
             password => 'second password 2');

$r = passwd('dave', 'second password 2');
is $r->{exit}, 2, 'setting the current password again is refused';
like $r->{err}, qr/reused: it is one of the last 3 passwords of the(?x)
    \s user \s \(history=3\)/,
    'with the rule named';
is $dave->get('/app')->{status}, 200, 'and the user\'s session goes on';

$r = passwd('dave', 'first password 1');
is $r->{exit}, 2, 'setting a recent password is refused';
like $r->{err}, qr/\(history=3\)/, 'with the rule named too';
is login_to('hist', 'dave', 'second password 2'), '/',
    'the current password still logs in';

is passwd('dave', 'third password 3')->{exit}, 0,
    'a fresh password is accepted';
is login_to('hist', 'dave', 'third password 3'), '/', 'and logs in';

$t->kotctl('tenant', 'policy', 'hist', 'history=2');
is passwd('dave', 'first password 1')->{exit}, 0,
    'a password older than the history is allowed again';

$r = $t->kotctl('user', 'passwd', 'hist', 'dave', '--reset');
is $r->{exit}, 0, 'a reset needs no history check';
$r = passwd('dave', 'first password 1');
is $r->{exit}, 2, 'the password before a reset counts as a recent one';

$r = passwd('ghost', 'a fine password');
is $r->{exit}, 1, 'an unknown user is still an unknown user';
like $r->{err}, qr/user "ghost" does not exist in tenant "hist"/,
    'and kotctl says so';


# A name, option or path that kotctl refuses is shown escaped: an ESC
# sequence would act on the terminal, and a newline would forge a line
# of kotctl's own in a log of its output.

my $evil = "ev\e[2Jil\nkotctl: forged\x{7f}\x{c2}\x{9b}31m\x{e2}\x{80}\x{a8}";
my $keys = join ',', sort @{ $t->redis('KEYS', '*') };
my $evil_file = $t->dir . "/no\e]0;x\aname";
my $raw = qr/[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xa8\xa9]/;

for my $cmd (['tenant', 'add', $evil], ['tenant', 'delete', $evil, '--yes'],
             ['user', 'add', 'acme', $evil, '--role', 'user',
              '--generate-password'],
             ['user', 'add', 'acme', 'bob', '--role', $evil,
              '--generate-password'],
             ['user', 'status', $evil, 'bob'], ['user', $evil],
             ['user', 'status', 'acme', 'bob', $evil],
             ['session', 'end', 'acme', $evil], ['session', $evil],
             ['tenant', $evil], ['tenant', 'notify', 'acme', $evil],
             ['tenant', 'policy', 'acme', $evil],
             ['tenant', 'events', 'acme', '--limit', $evil],
             ['support', 'grant', 'acme', '--hours', $evil],
             ['support', $evil], ['throttle', 'status', $evil],
             ['throttle', $evil],
             ['allowlist', 'acme', $evil, 'list'],
             ['allowlist', 'acme', 'access', $evil],
             ['allowlist', 'acme', 'access', 'add', $evil],
             ['migrate', $evil], [$evil], ['--db', $evil, 'tenant', 'list'],
             ["--$evil", 'x', 'tenant', 'list'],
             ['--redis', $evil, 'tenant', 'list'],
             ['--redis-password-file', $evil_file, 'tenant', 'list'],
             ['audit', 'query', '--since', $evil, '/dev/null'],
             ['audit', 'query', $evil_file],
             ['audit', 'verify', '--no-anchors', '--until', $evil,
              '/dev/null'],
             ['audit', 'verify', '--no-anchors', $evil_file],
             ['audit', $evil],
             ['notify', '--webhook', $evil])
{
    my $what = join ' ', map { s/[^ -~]/?/gr } grep { defined } @$cmd[0, 1];
    $r = $t->kotctl(@$cmd);
    isnt $r->{exit}, 0, "\"$what\" with a control character: refused";
    my $err = $r->{err};
    like $err, qr/\S/, '  with an error';
    unlike $err, $raw, '  that holds no raw control character';
    unlike $err, qr/^kotctl: forged/m, '  nor a line of the name';
}

like $t->kotctl('tenant', 'add', $evil)->{err}, qr/^kotctl: (?x)
    "ev\\u001b\[2Jil\\nkotctl: \s forged\\u007f\\u009b31m\\u2028"
    \s is \s not \s a \s valid/m,
    'the name is shown escaped as a JSON string is';
is join(',', sort @{ $t->redis('KEYS', '*') }), $keys,
    'and nothing was changed in Redis';

# a file's name in what audit verify finds in it, on stdout
KotTest::_spew("$evil_file.jsonl", "not a record\n");
$r = $t->kotctl('audit', 'verify', '--no-anchors', '--auditor-private-key',
                ($t->auditor_keys)[0], "$evil_file.jsonl");
is $r->{exit}, 1, 'audit verify finds a problem in a file';
like $r->{out}, qr/^\Q${\ $t->dir}\E\/no\\u001b\]0;x\\u0007name\.jsonl:1: /m,
    '  and names the file escaped';
unlike $r->{out} . $r->{err}, $raw, '  with no raw control character';


# how kotctl fails

$r = KotTest::_run($t, [ KotTest->repo . '/build/kotctl', 'user', 'list' ]);
is $r->{exit}, 2, 'kotctl without --secret-file is a usage error';
like $r->{err}, qr/--secret-file is required/, 'and says so';

$r = KotTest::_run($t, [ KotTest->repo . '/build/kotctl', '--redis',
    '127.0.0.1:1', '--secret-file', $t->secret_file, 'tenant', 'add', 'x' ]);
is $r->{exit}, 1, 'kotctl fails when Redis cannot be reached';
like $r->{err}, qr/cannot connect to redis at 127\.0\.0\.1:1/,
    'and says where it tried';

# A Redis that accepts the connection but never answers (stopped with
# SIGSTOP, swapping, a firewall that drops the packets after the
# handshake): the kernel completes the handshake for the listener.
my $silent = IO::Socket::INET->new(Listen => 5, LocalAddr => '127.0.0.1',
                                   LocalPort => 0, Proto => 'tcp')
    or die "listen: $!\n";
my $mute = '127.0.0.1:' . $silent->sockport;

# timeout(1) ends a kotctl that hangs, with exit code 124
sub bounded (@args) {
    my $t0 = time;
    my $r = KotTest::_run($t, [ 'timeout', '30',
        KotTest->repo . '/build/kotctl', '--secret-file', $t->secret_file,
        @args ]);
    return ($r, time - $t0);
}

my $took;
($r, $took) = bounded('--redis', $mute, 'tenant', 'add', 'x');
is $r->{exit}, 1, 'kotctl gives up on a Redis that never answers';
ok $took <= 10, "  within seconds ($took s), rather than hanging";
like $r->{err}, qr/redis at \Q$mute\E: no answer within 5 s/,
    '  and says that Redis did not answer';
like $r->{err}, qr/whether the change was made is unknown/,
    '  and that a change may have been made';

($r, $took) = bounded('--sentinel', $mute, '--master', 'kot', 'tenant',
                      'list');
is $r->{exit}, 1, 'so it does on a sentinel that never answers';
ok $took <= 10, "  within seconds ($took s)";
like $r->{err}, qr/sentinel at \Q$mute\E: no answer within 5 s/,
    '  and says which one did not';

# an ACL user that may not run what kotctl needs: the refusal says who
# lacks what, and where the permissions kotctl needs are listed
$t->redis('ACL', 'SETUSER', 'kotro', 'on', '>ro pass 1', '~kot:v1:*',
          '+@all', '-eval', '-select');
KotTest::_spew($t->dir . '/kotro.pw', "ro pass 1\n", 0600);

for my $case ([ 'EVAL', [ 'tenant', 'add', 'x' ] ],
              [ 'SELECT', [ '--db', '1', 'tenant', 'list' ] ])
{
    my ($cmd, $args) = @$case;
    $r = $t->kotctl('--redis-user', 'kotro', '--redis-password-file',
                    $t->dir . '/kotro.pw', @$args);
    is $r->{exit}, 1, "an ACL user without $cmd fails";
    like $r->{err}, qr/refused \Q$cmd\E: NOPERM/, '  with the refusal';
    like $r->{err}, qr/the Redis ACL user "kotro" lacks a permission that(?x)
        \s kotctl \s needs \s here: .* "user \s kotctl" \s of \s
        conf\/redis\/kot\.conf/, '  naming the user and the shipped ACL';
}

$r = $t->kotctl('frobnicate');
is $r->{exit}, 2, 'an unknown command is a usage error';


# the password prompt on a terminal: script(1) gives kotctl one, and the
# shell around it shows how kotctl ended and the terminal it left

sub on_terminal ($shell, @steps) {
    my $pid = IPC::Open2::open2(my $from, my $to, 'script', '-qec', $shell,
                                '/dev/null');
    my $sel = IO::Select->new($from);
    my ($seen, $deadline) = ('', time + 30);

    for my $step (@steps, [ qr/^rc=\d+.*^\S*echo\b/ms ]) {
        my ($want, $type) = @$step;

        while ($seen !~ $want && time < $deadline) {
            next unless $sel->can_read(0.1);
            sysread($from, my $buf, 4096) or last;
            $seen .= $buf;
        }

        print $to $type if defined $type;
        $to->flush;
    }

    close $to;
    waitpid $pid, 0;
    return $seen =~ s/\r//gr;
}

my $kotctl = join ' ', map { "'$_'" } KotTest->repo . '/build/kotctl',
    '--redis', $t->redis_addr, '--secret-file', $t->secret_file,
    '--scrypt-ln', $t->{scrypt_ln};
my $echo = q{stty -a | tr ' ' '\n' | grep -x -e echo -e -echo};

SKIP: {
    skip 'no script(1)', 11 unless -x '/usr/bin/script';

    $t->add_user('tty', 'erin', 'the first password 1');

    # the trap keeps the shell alive; kotctl gets SIGINT's default back
    my $out = on_terminal("trap 'echo trapped' INT; $kotctl user passwd "
        . "tty erin --no-force-change; echo rc=\$?; $echo",
        [ qr/New password: /, "\x03" ]);
    like $out, qr/^rc=130$/m, 'Ctrl-C at the password prompt ends kotctl '
        . 'as an interrupt does';
    like $out, qr/^echo$/m, '  and the terminal echoes what is typed again';
    unlike $out, qr/^-echo$/m, '  (not left without echo)';
    like $out, qr/^kotctl: interrupted: nothing was changed$/m,
        '  saying that nothing was changed';
    is login_to('tty', 'erin', 'the first password 1'), '/',
        '  and the password is unchanged';

    $out = on_terminal("$kotctl user passwd tty erin --no-force-change; "
        . "echo rc=\$?; $echo",
        [ qr/New password: /, "the second password 2\r" ],
        [ qr/Again: /, "the second password 2\r" ]);
    like $out, qr/^rc=0$/m, 'a password typed twice at the prompt is set';
    unlike $out, qr/second password/, '  without being echoed';
    is login_to('tty', 'erin', 'the second password 2'), '/',
        '  and logs in';

    # --password-stdin, given to a terminal rather than a pipe
    $out = on_terminal("$kotctl user passwd tty erin --password-stdin "
        . "--no-force-change; echo rc=\$?; $echo",
        [ qr/New password: /, "the third password 3\r" ],
        [ qr/Again: /, "the third password 3\r" ]);
    like $out, qr/^rc=0$/m, '--password-stdin on a terminal sets the password';
    unlike $out, qr/third password/, '  without echoing it';
    is login_to('tty', 'erin', 'the third password 3'), '/',
        '  and it logs in';
}


# Ctrl-C while a change is under way: Redis makes it (the command is on
# its way), so kotctl finishes, reports it and writes its audit record
# before it ends.  CLIENT PAUSE holds kotctl's script in Redis meanwhile.

{
    my (undef, $pub) = $t->auditor_keys;
    my $log = $t->dir . '/interrupted-audit.jsonl';
    my $base = $t->dir . '/interrupted';

    $t->redis('CLIENT', 'PAUSE', '5000', 'WRITE');

    my $pid = fork // die "fork: $!\n";
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', "$base.out";
        open STDERR, '>', "$base.err";
        { exec KotTest->repo . '/build/kotctl', '--redis', $t->redis_addr,
              '--secret-file', $t->secret_file, '--audit-log', $log,
              '--auditor-public-key', $pub, 'tenant', 'add', 'interrupted' }
        POSIX::_exit(127);
    }

    ok KotTest::wait_until(
            sub { $t->redis('CLIENT', 'LIST') =~ /cmd=eval\b/ },
            timeout => 10, what => 'kotctl to wait for its script'),
        'kotctl sends the change while Redis is paused';
    kill 'INT', $pid;
    $t->redis('CLIENT', 'UNPAUSE');
    waitpid $pid, 0;
    my $st = $?;

    is $st, 0, 'Ctrl-C during the change: kotctl finishes it and exits 0';
    like KotTest::_slurp("$base.out"), qr/tenant "interrupted" added/,
        '  saying what it did';
    like KotTest::_slurp("$base.err"), qr/interrupted \(Interrupt\)(?x)
        \s while \s changing: \s kotctl \s finished \s the \s change
        \s and \s its \s record \s first/,
        '  and why it did not end at once';
    is scalar(grep { ($_->{'organization.id'} // '') eq 'interrupted' }
              $t->audit_records($log, 'tenant_added')), 1,
        '  the change is in the audit log';
}


# the version of debian/changelog's top entry, the project's one
my $version = KotTest->version;
$r = $t->kotctl('--version');
is "$r->{exit} $r->{out}", "0 kotctl $version\n",
    "kotctl --version says $version, debian/changelog's";

# the man page names every command and option of the usage text

my $usage = $t->kotctl('--help')->{out};
my $page = KotTest::_slurp(KotTest->repo . '/admin/kotctl.8');
ok length $page, 'there is a man page';

# its lines as they read, without fonts, quotes or macro names
my $text = $page =~ s/\\\n//gr =~ s/\\f[BIRP]|"//gr =~ s/\\-/-/gr
    =~ s/^\.\S+ *//mgr =~ s/[ \t]+/ /gr;
my ($commands) = $usage =~ /^commands:\n(.*?)\n\n/ms;
my @commands = map { my ($c, $sub) = /^  (\S+)(?: ([a-z][a-z|-]*)\b)?/;
                     $sub ? map { "$c $_" } split /\|/, $sub : $c }
               grep { /^  \S/ } split /\n/, $commands;
ok @commands > 25, 'the usage text lists the commands';

for my $c (@commands) {
    like $text, qr/^\Q$c\E\b/m, "the man page has \"$c\"";
}

my %options = map { $_ => 1 } $usage =~ /(--[a-z][a-z-]*)/g;
for my $o (sort keys %options) {
    like $text, qr/(?<![\w-])\Q$o\E(?![\w-])/, "the man page has $o";
}

# each command's own usage: its lines of the usage text, on stdout for
# "--help" anywhere after the command (which does nothing else, and needs
# neither Redis nor the key), on stderr for a usage error

my %lines;
my $family;
for (split /\n/, $commands) {
    $family = $1 if /^  (\S+)/;
    (my $line = $_) =~ s/^\s+//;
    push @{ $lines{$family} }, $line;
}

for my $c (sort keys %lines) {
    my $help = KotTest::_run($t, [ KotTest->repo . '/build/kotctl', $c,
                                   '--help' ]);
    is $help->{exit}, 0, "kotctl $c --help succeeds, without --secret-file";
    like $help->{out}, qr/^usage: kotctl \Q$c\E /,
        '  and prints the usage on stdout';
    (my $shown = $help->{out}) =~ s/^(usage:)? *(kotctl )?//mg;
    is_deeply [ grep { length } split /\n/, $shown =~ s/\n\n.*//sr ],
        $lines{$c}, "  with every line of \"$c\" of kotctl --help";
    ok !(grep { length > 80 } split /\n/, $help->{out}),
        '  each within 80 columns';
}

$r = $t->kotctl('user');
is $r->{exit}, 2, 'a usage error of a command exits with 2';
(my $err = $r->{err}) =~ s/^(kotctl: )?(usage:)? *(kotctl )?//mg;
is_deeply [ split /\n/, $err ], $lines{user},
    '  and shows the same lines, every option of user add and passwd included';

$t->add_user('keep', 'frank', 'a password kept 1');
$r = $t->kotctl('tenant', 'delete', 'keep', '--yes', '--help');
is $r->{exit}, 0, 'tenant delete --yes --help prints the usage';
like $t->kotctl('tenant', 'list')->{out}, qr/^keep\s/m,
    '  and deletes nothing';

$r = $t->kotctl('user', 'list', 'keep', 'frank');
is $r->{exit}, 2, 'user list with a user too is a usage error';
like $r->{err}, qr/^kotctl: usage: kotctl user add /,
    '  showing the usage, not "unknown user command"';
unlike $r->{err}, qr/unknown user command/, '  (the command is known)';

$r = $t->kotctl('user', 'roles', 'keep', 'frank', '--role');
is $r->{exit}, 2, '--role without its value is a usage error';
like $r->{err}, qr/--role needs a value/, '  that says so';

$r = $t->kotctl('user', 'passwd', 'keep', 'frank', '--reset',
                '--password-stdin');
is $r->{exit}, 2, '--reset with --password-stdin is a usage error';
like $r->{err}, qr/--password-stdin excludes --generate-password and --reset/,
    '  naming the option given';

SKIP: {
    skip 'no groff', 1 unless -x '/usr/bin/groff';
    my $g = $t->_run([ '/usr/bin/groff', '-ww', '-man', '-z',
                       KotTest->repo . '/admin/kotctl.8' ], merge => 1);
    is $g->{out}, '', 'and groff has no warning for it';
}

done_testing;
