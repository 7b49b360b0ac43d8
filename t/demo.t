# "make demo" as the README promises: it starts Redis, the demo
# application and nginx, prints the URL and a one-time admin password,
# and that password logs in and must be changed; the admin API works as
# the demo prints it; two-step login is set up from the app's link, and
# a later login asks for a code.  The demo the user may be running
# meanwhile is left alone.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use KotTest::TOTP;
use Test::More;
use File::Temp ();
use POSIX ();

my $t = KotTest->new;
my $dir = File::Temp::tempdir('kot-demo-XXXXXX', TMPDIR => 1,
                              CLEANUP => !$ENV{KOT_TEST_KEEP});
chmod 0755, $dir;

my %env = (
    DEMO_DIR        => $dir,
    DEMO_LISTEN     => '127.0.0.1',
    DEMO_PORT       => KotTest::free_port(),
    DEMO_REDIS_PORT => KotTest::free_port(),
    DEMO_APP_PORT   => KotTest::free_port(),
);

my $tool = KotTest->repo . '/tools/demo';

# Always with this test's settings, set here and not for the whole file:
# a "local %ENV" is undone before END runs, and tools/demo without them
# acts on the demo in .demo/ that the user may be running.
sub demo ($cmd) {
    local @ENV{keys %env} = values %env;
    return $t->_run([ $tool, $cmd ]);
}

# A demo the user is running, where tools/demo looks without settings:
# processes of ours behind its pid files, so that a stop shows.
my $users = File::Temp::tempdir('kot-user-demo-XXXXXX', TMPDIR => 1,
                                CLEANUP => 1);
my %user_pids;
for my $name (qw(nginx app redis)) {
    my $pid = fork // die "fork: $!\n";
    if ($pid == 0) {
        exec 'sleep', '3600' or POSIX::_exit(127);
    }
    $user_pids{$name} = $pid;
    KotTest::_spew("$users/$name.pid", "$pid\n");
}
$ENV{DEMO_DIR} = $users;

# Runs after the END below (END blocks run last defined first), so it
# sees what this test left behind.
END {
    local $?;       # waitpid's would become the test's exit status
    my @gone = grep { !KotTest::_alive($user_pids{$_}) }
               sort keys %user_pids;
    is "@gone", '', "the user's own demo is left running";
    is join(' ', grep { !-e "$users/$_.pid" } sort keys %user_pids), '',
        'with its pid files';
    kill 'TERM', values %user_pids;
    waitpid $_, 0 for values %user_pids;
    done_testing;
}

# Even if a test below dies, this test's demo does not outlive it.
my $started;
END {
    local $?;
    demo('stop') if $started;
}

$started = 1;
my $r = demo('start');
is $r->{exit}, 0, 'the demo starts' or diag $r->{err};
like $r->{out}, qr{URL: +https://localhost:$env{DEMO_PORT}/},
    'it prints the URL';
like $r->{out}, qr{Console: +https://localhost:$env{DEMO_PORT}/kot/admin/},
    "and the admin console's";
my ($password) = $r->{out} =~ /Password: +(\S+)/;
ok $password, 'and a one-time password for admin';

my $base = "https://127.0.0.1:$env{DEMO_PORT}";
my $jar = "$dir/curl.jar";

sub curl (@args) { $t->curl($jar, @args) }

like curl('-H', 'Accept: text/html', "$base/"),
    qr{^HTTP/1.1 302.*^Location: /kot/login\?return_to=/\r$}ms,
    'the demo site sends a browser to the login page';

my ($csrf) = curl("$base/kot/login") =~ /name="csrf" value="([^"]+)"/;
my $login = curl('--data-urlencode', "csrf=$csrf",
                 '--data-urlencode', 'tenant=demo',
                 '--data-urlencode', 'username=admin',
                 '--data-urlencode', "password=$password", "$base/kot/login");
like $login, qr{^Location: /kot/password\?return_to=/\r$}m,
    'the printed password logs in and must be changed first';

my ($csrf2) = curl("$base/kot/password") =~ /name="csrf" value="([^"]+)"/;
my $change = curl('--data-urlencode', "csrf=$csrf2",
                  '--data-urlencode', "current_password=$password",
                  '--data-urlencode', 'new_password=demo password 2026',
                  '--data-urlencode', 'confirm_password=demo password 2026',
                  "$base/kot/password");
like $change, qr{^HTTP/1.1 303}, 'the new password is accepted';

like curl("$base/"), qr/Hello, admin/, 'and the demo application greets admin';
like curl("$base/"), qr/<meta name="viewport" content="width=device-width/,
    'on a page that fits a phone';
like curl('-H', 'Accept-Language: ja', "$base/"),
    qr{<html lang="ja">.*こんにちは、admin さん}s,
    'in Japanese for a Japanese browser';
curl("$base/kot/login?lang=en");
like curl('-H', 'Accept-Language: ja', "$base/"), qr/Hello, admin/,
    'and in the language chosen on the portal';

my $console = curl("$base/kot/admin/");
like $console, qr{^HTTP/1.1 200.*<script type="module" src="js/main.js">}ms,
    'the demo admin opens the admin console';
like $console, qr{^Content-Security-Policy:[^\r]*script-src 'self';}m,
    'which runs no script but its own';

# The admin API, called as the demo says: its lines, as a user pastes them.
my ($shell) = $r->{out} =~ /^(    u=https.*?)^\s*$/ms;
ok $shell, 'the demo prints how to call the admin API';
$shell =~ s/NEW-PASSWORD/demo password 2026/;
my $api = $t->_run([ 'bash', '-c', "set -e\n$shell" ], merge => 1);
is $api->{exit}, 0, 'its commands run' or diag $api->{out};
like $api->{out}, qr/\{"tenants":\[\{"name":"demo",/,
    'the system admin lists the tenants';
my $first_admin = '"admin":\{"username":"alice","temporary_password":';
my ($alice_pw) = $api->{out} =~ /$first_admin"([^"]{20,})"\}/;
ok $alice_pw, 'creates a company with its first admin, and her password';

# Two-step login, as the app's link offers it to admin.
my $setup = curl("$base/kot/mfa");
my ($secret) = $setup =~ /id="kot-totp-secret">([A-Z2-7]+)</;
like $setup, qr{otpauth://totp/ngx_kot%20demo:admin%40demo},
    'the MFA page offers the secret for an app, as "ngx_kot demo"';
my ($csrf3) = $setup =~ /name="csrf" value="([^"]+)"/;
KotTest::TOTP::fresh_step();
my $on = curl('--data-urlencode', "csrf=$csrf3",
              '--data-urlencode', 'code=' . KotTest::TOTP::code($secret),
              '--data-urlencode', 'password=demo password 2026',
              "$base/kot/mfa");
like $on, qr/class="kot-recovery-code"/,
    'a code from the secret turns MFA on and shows recovery codes';

unlink $jar;
($csrf) = curl("$base/kot/login") =~ /name="csrf" value="([^"]+)"/;
$login = curl('--data-urlencode', "csrf=$csrf",
              '--data-urlencode', 'tenant=acme',
              '--data-urlencode', 'username=alice',
              '--data-urlencode', "password=$alice_pw", "$base/kot/login");
like $login, qr{^Location: /kot/password\?return_to=/\r$}m,
    'with which she logs in to that company, to change it';

unlink $jar;
($csrf) = curl("$base/kot/login") =~ /name="csrf" value="([^"]+)"/;
$login = curl('--data-urlencode', "csrf=$csrf",
              '--data-urlencode', 'tenant=demo',
              '--data-urlencode', 'username=admin',
              '--data-urlencode', 'password=demo password 2026',
              "$base/kot/login");
like $login, qr{^Location: /kot/login/code\?return_to=/\r$}m,
    'a later login of admin asks for the code after the password';

# kotctl, as the demo prints it: the settings file spares every option,
# and the audit log of what was done above verifies and answers queries.
my ($kotctl) = $r->{out} =~ /^(    export KOT_CONFIG=.*?)^\s*$/ms;
ok $kotctl, 'the demo prints kotctl command lines';
my ($env, @lines) = grep { /\S/ } split /\n/, $kotctl;
my %out;
for my $line (@lines) {
    my $run = $t->_run([ 'bash', '-c', "$env\n$line" ]);
    is $run->{exit}, 0, "\"$line\" runs" or diag $run->{err}, $run->{out};
    my ($what) = $line =~ /kotctl (\w+ \w+)/;
    $out{$what} = $run->{out};
}
like $out{'user list'}, qr/^admin\s/m, 'kotctl lists the demo\'s users';
like $out{'audit query'}, qr/"event\.action":"login"/,
    'audit query finds the logins of admin';
like $out{'audit verify'}, qr/^OK: /m, 'and the audit log verifies';
is sprintf('%04o', (stat "$dir/audit.log")[2] & 07777), '0640',
    'the audit log is not readable by other users';

$r = demo('stop');
is $r->{exit}, 0, 'make demo-stop stops it';
ok !-e "$dir/nginx.pid", 'nginx is gone';
