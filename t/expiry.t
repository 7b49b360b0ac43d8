# Idle and absolute session expiry, decided from server-side timestamps
# (short timeouts here; 30m and 12h by default).

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;
use Time::HiRes qw(time sleep);

my $t = KotTest->new;
my $n = $t->nginx(KotTest->site(server => <<'EOF'));
        location /idle/ {
            kot on;
            kot_idle_timeout 1s;
            proxy_pass http://%%APP%%;
        }

        location /slide/ {
            kot on;
            kot_idle_timeout 2s;
            proxy_pass http://%%APP%%;
        }

        location /absolute/ {
            kot on;
            kot_absolute_timeout 2s;
            proxy_pass http://%%APP%%;
        }
EOF

$t->add_user('acme', 'alice', 'correct horse battery');

my $HTML = { Accept => 'text/html' };

# Logs in; returns the browser and the Redis key of its new session.
sub login () {
    my %before = map { $_ => 1 } @{ $t->redis('KEYS', 'kot:v1:s:*') };
    my $ua = $n->ua;
    $ua->login(tenant => 'acme', username => 'alice',
               password => 'correct horse battery');
    my ($key) = grep { !$before{$_} } @{ $t->redis('KEYS', 'kot:v1:s:*') };
    return ($ua, $key);
}

sub field ($key, $f) { $t->redis('HGET', $key, $f) }


# defaults

my ($ua, $key) = login();
my $ttl = $t->redis('PTTL', $key);
ok $ttl > 39 * 60 * 1000 && $ttl <= 40 * 60 * 1000,
    'a new session lives 30 minutes (and 10 of grace) in Redis unless used';
ok $t->redis('PTTL', 'kot:v1:us:acme:alice') > 0,
    "the user's list of sessions expires too";
my $ends = $t->redis('ZSCORE', 'kot:v1:us:acme:alice',
                      $key =~ s/^kot:v1:s://r) - field($key, 'c');
is $ends, 12 * 3600 * 1000, 'and it ends 12 hours after login at the latest';


# idle: no activity for longer than kot_idle_timeout

is $ua->get('/idle/a')->{status}, 200, 'an active session opens the page';

wait_until(sub { time * 1000 - field($key, 'l') > 1200 },
           what => 'more than the idle timeout without activity');

my $res = $ua->get('/idle/a', $HTML);
is $res->{status}, 302, 'after the idle timeout the session is over';
like $res->{headers}{location}, qr{^/kot/login\?return_to=/idle/a&expired=1$},
    'the browser goes back to login';
like $ua->get($res->{headers}{location})->{content}, qr/session has expired/,
    'and is told why';
is $t->redis('EXISTS', $key), 0, 'the expired session is deleted';
like $n->error_log,
    qr/session \S{16} of user "alice" in tenant "acme" expired \(idle\)/,
    'the expiry is logged';


# sliding: activity keeps the session alive

($ua, $key) = login();
my $start = time;
my $ok = 1;
while (time - $start < 3) {
    $ok &&= $ua->get('/slide/a')->{status} == 200;
    sleep 0.2;
}
ok $ok, 'steady activity keeps a session alive past its idle timeout';


# absolute: activity does not help

($ua, $key) = login();
my $created = field($key, 'c') / 1000;
my $gone = wait_until(sub {
    my $r = $ua->get('/absolute/a', $HTML);
    return $r->{status} == 302 ? $r : undef;
}, timeout => 10, interval => 0.2, what => 'the absolute timeout');

ok $gone, 'a session in constant use still ends at the absolute timeout';
cmp_ok time - $created, '>=', 2 - 0.05, 'not before it';
like $gone->{headers}{location}, qr/expired=1/, 'the user is told it expired';
is $t->redis('EXISTS', $key), 0, 'and it is deleted';


# the cookie does not decide: an expired session with its key kept alive

($ua, $key) = login();
$t->redis('PERSIST', $key);
wait_until(sub { time * 1000 - field($key, 'l') > 1200 },
           what => 'the idle timeout');
is $ua->get('/idle/a')->{status}, 401,
    'expiry is enforced even if the key outlived it';

done_testing;
