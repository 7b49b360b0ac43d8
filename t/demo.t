# "make demo" as the README promises: it starts Redis, the demo
# application and nginx, prints the URL and a one-time admin password,
# and that password logs in and must be changed.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;
use File::Temp ();

my $t = KotTest->new;
my $dir = File::Temp::tempdir('kot-demo-XXXXXX', TMPDIR => 1,
                              CLEANUP => !$ENV{KOT_TEST_KEEP});
chmod 0755, $dir;

my %env = (
    DEMO_DIR        => $dir,
    DEMO_PORT       => KotTest::free_port(),
    DEMO_REDIS_PORT => KotTest::free_port(),
    DEMO_APP_PORT   => KotTest::free_port(),
);
local @ENV{keys %env} = values %env;

my $demo = KotTest->repo . '/tools/demo';
END { system($demo, 'stop') if $demo; }

my $r = $t->_run([ $demo, 'start' ]);
is $r->{exit}, 0, 'the demo starts' or diag $r->{err};
like $r->{out}, qr{URL: +https://localhost:$env{DEMO_PORT}/},
    'it prints the URL';
my ($password) = $r->{out} =~ /Password: +(\S+)/;
ok $password, 'and a one-time password for admin';

my $base = "https://127.0.0.1:$env{DEMO_PORT}";
my $jar = "$dir/curl.jar";

sub curl (@args) {
    $t->_run([ 'curl', '-sk', '-i', '-b', $jar, '-c', $jar, @args ],
             merge => 1)->{out};
}

like curl('-H', 'Accept: text/html', "$base/"),
    qr{^HTTP/1.1 302.*^Location: /kot/login\?return_to=/\r$}ms,
    'the demo site sends a browser to the login page';

my ($csrf) = curl("$base/kot/login") =~ /name="csrf" value="([^"]+)"/;
my $login = curl('--data-urlencode', "csrf=$csrf",
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

$r = $t->_run([ $demo, 'stop' ]);
is $r->{exit}, 0, 'make demo-stop stops it';
ok !-e "$dir/nginx.pid", 'nginx is gone';

done_testing;
