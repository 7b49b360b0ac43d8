# nginx can use a Redis ACL user that may run exactly the commands the
# README lists for it, on the kot:v1: keys and channels only: logins,
# failed logins, protected requests, the session cache, logouts, and
# enrolment in MFA and a login with a code all work.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use KotTest::TOTP;
use Test::More;

my $t = KotTest->new(workers => 1);

# the rule as README.md gives it under kot_redis
my @rule = qw(on >acl-test-password ~kot:v1:* resetchannels
    &__redis__:invalidate &kot:v1:hb:* -@all
    +evalsha +script|load +get +hset +publish +subscribe +client|id
    +client|setname +client|tracking +client|caching
    +del +exists +expire +hdel +hexists +hget +hmget +lpush +lrange +ltrim
    +persist +pexpire +pexpireat +sadd +smembers +srem +zadd +zrange +zrem
    +zremrangebyscore);
is $t->redis('ACL', 'SETUSER', 'kot-nginx', @rule), 'OK',
    'Redis takes the ACL rule of the README';

my $pw = $t->dir . '/redis.pw';
KotTest::_spew($pw, "acl-test-password\n", 0600);

my $site = KotTest->site;
$site =~ s{kot_redis %%REDIS%% timeout=1s;}
          {kot_redis %%REDIS%% user=kot-nginx password_file=$pw timeout=1s;}
    or die 'no kot_redis line in the site';
my $ng = $t->nginx($site);

$t->add_user('acme', 'alice', 'correct horse battery');

ok wait_until(sub { $ng->error_log =~ /session cache on/ },
              what => 'the session cache'),
    'the session cache starts with the ACL user';
like $t->redis('CLIENT', 'LIST'), qr/user=kot-nginx/,
    'the workers are connected as the ACL user';

my $ua = $ng->ua;
my $res = $ua->login(tenant => 'acme', username => 'alice',
                     password => 'wrong password');
is $res->{status}, 401, 'a wrong password is refused and counted';

$res = $ua->login(tenant => 'acme', username => 'alice',
                     password => 'correct horse battery');
is $res->{status}, 303, 'a login works';
like $ua->get('/app')->{content}, qr/user=\[alice\]/,
    'the application sees the user';
is $ua->get('/app/again')->{status}, 200, 'a second request is served';

my $form = $ua->get('/kot/logout');
$ua->post_form('/kot/logout',
               { csrf => KotTest::UA::form_field($form->{content}, 'csrf') });
is $ua->get('/app')->{status}, 401, 'a logout ends the session';

$ua->login(tenant => 'acme', username => 'alice',
           password => 'correct horse battery');
my $page = $ua->get('/kot/mfa');
my ($secret) = $page->{content} =~ /id="kot-totp-secret">([A-Z2-7]+)</;
KotTest::TOTP::fresh_step();
$res = $ua->post_form('/kot/mfa', {
    csrf => KotTest::UA::form_field($page->{content}, 'csrf'),
    code => KotTest::TOTP::code($secret, KotTest::TOTP::step() - 1),
    password => 'correct horse battery' });
like $res->{content}, qr/kot-recovery-code/, 'enrolment in MFA works';
my ($rc) = $res->{content} =~ /class="kot-recovery-code">([^<]+)</;
my $two = $ng->ua;
$two->login(tenant => 'acme', username => 'alice',
            password => 'correct horse battery');
my $cf = $two->get('/kot/login/code');
$res = $two->post_form('/kot/login/code', {
    csrf => KotTest::UA::form_field($cf->{content}, 'csrf'),
    code => KotTest::TOTP::code($secret) });
is $res->{status}, 303, 'a login with a code works';
$two = $ng->ua;
$two->login(tenant => 'acme', username => 'alice',
            password => 'correct horse battery');
$cf = $two->get('/kot/login/code');
$res = $two->post_form('/kot/login/code', {
    csrf => KotTest::UA::form_field($cf->{content}, 'csrf'),
    code => $rc });
is $res->{status}, 303, 'and with a recovery code';

# Most commands nginx sends unanswered (heartbeats, CLIENT CACHING,
# anchors): only Redis's own log of refusals sees them all.  A second of
# heartbeats makes sure that they were sent.
my $beats = $t->redis('INFO', 'commandstats') =~ /cmdstat_publish:calls=(\d+)/
    ? $1 : 0;
ok wait_until(sub {
    ($t->redis('INFO', 'commandstats') =~ /cmdstat_publish:calls=(\d+)/)[0]
        > $beats + 20
}, what => 'heartbeats'), 'the workers\' heartbeats go on';
is_deeply $t->redis('ACL', 'LOG'), [], 'Redis refused nothing (ACL LOG)';
unlike $ng->error_log, qr/NOPERM|no permissions|no heartbeat/i,
    'and nginx saw no refusal and no lost heartbeat';

done_testing;
