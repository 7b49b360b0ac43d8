# The last login, right after a login (checklist items 105, 107): when and
# from where the user logged in before, and how many logins failed since,
# on an interstitial page and in $kot_last_login for the application.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;
use POSIX ();

my $t = KotTest->new(workers => 2);
my $site = KotTest->site(
    server => "kot_last_login_notice on;\n"
            . "        add_header X-Last-Login \$kot_last_login;");
my $n = $t->nginx($site);
my $off = $t->nginx(KotTest->site, name => 'off');

$t->add_user('acme', 'alice', 'correct horse battery');
my %alice = (tenant => 'acme', username => 'alice',
             password => 'correct horse battery');

sub iso ($ms) { POSIX::strftime('%Y-%m-%dT%H:%M:%SZ', gmtime($ms / 1000)) }
sub shown ($ms) { POSIX::strftime('%Y-%m-%d %H:%M UTC', gmtime($ms / 1000)) }


# a first login

my $ua = $n->ua;
my $r = $ua->login(%alice, return_to => '/reports?month=5');
is $r->{status}, 303, 'a login';
is $r->{headers}{location}, '/kot/welcome?return_to=/reports%3Fmonth%3D5',
    'goes to the last-login page first';
my $page = $ua->get($r->{headers}{location}, { 'Accept-Language' => 'en' });
is $page->{status}, 200, 'which opens';
like $page->{content}, qr/This is your first login\./,
    'and says it is the first';
unlike $page->{content}, qr/failed/, 'with no failures to tell';
like $page->{content},
    qr{<a class="kot-continue" href="/reports\?month=5">Continue</a>},
    'and goes on to where the user was going';
is $ua->get('/app')->{headers}{'x-last-login'}, 'time=- ip=- failed=0',
    '$kot_last_login tells the application the same';
my $first = $t->redis('HGET', 'kot:v1:u:acme:alice', 'last_login');


# failures, then a login

for (1 .. 2) {
    is $n->ua->login(%alice, password => 'wrong')->{status}, 401,
        "a failed login ($_)";
}

my $again = $n->ua;
$r = $again->login(%alice);
$page = $again->get($r->{headers}{location}, { 'Accept-Language' => 'en' });
like $page->{content}, qr/\QYour last login was on ${\ shown($first)}\E
                          \Q (just now) from 127.0.0.1.\E/x,
    'the next login shows when and from where the one before was';
like $page->{content}, qr/Failed logins to your account since then: 2\./,
    'and the 2 failures since';
like $page->{content}, qr{href="/">Continue</a>}, 'then goes on';
is $again->get('/app')->{headers}{'x-last-login'},
    'time=' . iso($first) . ' ip=127.0.0.1 failed=2',
    '$kot_last_login: the time, the address and the failures since';
is $ua->get('/app')->{headers}{'x-last-login'}, 'time=- ip=- failed=0',
    'the first session keeps what it was told';

my $ja = $again->get('/kot/welcome', { 'Accept-Language' => 'ja' })->{content};
like $ja, qr/前回のログインは\Q${\ shown($first)}\E（たった今）
              \Qに127.0.0.1からでした。\E/x,
    'in Japanese too';
like $ja, qr/ログインが2回失敗しています/, 'the failures as well';


# the count starts again

my $second = $t->redis('HGET', 'kot:v1:u:acme:alice', 'last_login');
my $third = $n->ua;
$third->login(%alice);
is $third->get('/app')->{headers}{'x-last-login'},
    'time=' . iso($second) . ' ip=127.0.0.1 failed=0',
    'a login after that counts no failure twice';


# when, in words that need no time zone: the time is in UTC, which is
# not the clock on a Japanese user's wall

my $ago = (time - 3 * 86400 - 600) * 1000;
$t->redis('HSET', 'kot:v1:u:acme:alice', 'last_login', $ago);
my $fourth = $n->ua;
$r = $fourth->login(%alice);
like $fourth->get($r->{headers}{location}, { 'Accept-Language' => 'en' })
    ->{content},
    qr/Your last login was on \Q${\ shown($ago)}\E \(3 days ago\) from /,
    'a login 3 days ago says so';
like $fourth->get('/kot/welcome', { 'Accept-Language' => 'ja' })->{content},
    qr/前回のログインは\Q${\ shown($ago)}\E（3日前）に/, 'in Japanese too';


# kot_last_login_notice off

$r = $off->ua->login(%alice, return_to => '/app');
is $r->{headers}{location}, '/app',
    'with kot_last_login_notice off a login goes straight on';

is $n->ua->get('/kot/welcome')->{status}, 302,
    'the page without a session sends to the login page';

done_testing;
