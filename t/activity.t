# kot_activity off and {portal}session: a page that polls in the
# background (or a health check) must not keep a session alive that its
# user left (Authelia #3221), and an application can ask how long the
# session has left, to warn before it ends, without extending it.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;
use JSON::PP ();
use Time::HiRes qw(time);

my $idle = 3;       # seconds

my $t = KotTest->new(workers => 2);
my $n = $t->nginx(KotTest->site(
    http => "kot_idle_timeout ${idle}s;\n    kot_absolute_timeout 1h;",
    server => <<'EOF'));
        location /poll/ {
            kot on;
            kot_activity off;
            proxy_pass http://%%APP%%;
        }
EOF

$t->add_user('acme', 'alice', 'correct horse battery');
my %alice = (tenant => 'acme', username => 'alice',
             password => 'correct horse battery');

my $json = JSON::PP->new->utf8;

sub times_left ($ua) {
    my $r = $ua->get('/kot/session');
    return $r->{status} == 200 ? $json->decode($r->{content}) : $r;
}


# what the application is told

my $ua = $n->ua;
$ua->login(%alice);
# whole seconds, rounded down; workers' clocks differ by a few ms
sub full ($s) { $s >= $idle - 1 && $s <= $idle }

my $left = times_left($ua);
ok full($left->{idle_remaining}),
    '{portal}session reports the idle time left, in whole seconds';
ok $left->{absolute_remaining} > 3590 && $left->{absolute_remaining} <= 3600,
    'and the absolute time left';

my $start = $left->{idle_remaining};
ok KotTest::wait_until(sub { times_left($ua)->{idle_remaining} < $start - 1 },
                       what => 'the idle time to run down'),
    'asking it again and again does not extend the session';

like $ua->get('/app')->{content}, qr/user=\[alice\]/,
    'a request to the application';
ok full(times_left($ua)->{idle_remaining}),
    'does: the idle time is full again';


# background polling

my $poller = $n->ua;
$poller->login(%alice);
my $t0 = time;
my $end;
KotTest::wait_until(sub {
    my $r = $poller->get('/poll/status');
    $end = time - $t0 if $r->{status} != 200;
    return defined $end;
}, timeout => $idle + 5, interval => 0.1,
   what => 'the polling session to expire');
ok defined $end, 'a session that only polls a kot_activity off location '
    . 'expires';
ok $end >= $idle - 0.5, 'at its idle timeout, not before (after '
    . sprintf('%.1f s', $end // 0) . ')';
is $poller->get('/poll/status')->{status}, 401,
    'the poll is then refused like any request without a session';

my $worker = $n->ua;
$worker->login(%alice);
$t0 = time;
my $ok = 1;
while (time - $t0 < $idle + 1) {
    my $r = $worker->get('/poll/status');
    $ok &&= $r->{status} == 200;
    $ok &&= $worker->get('/app')->{status} == 200;
}
ok $ok, 'one that polls and is used meanwhile lives on past the idle '
    . 'timeout; polls are authorised';

my $gone = times_left($poller);
is $gone->{status}, 401, '{portal}session of an expired session: 401';
like $gone->{content}, qr/"error":"login_required"/, 'login_required';

is $n->ua->get('/kot/session')->{status}, 401, 'and without a cookie';
is $ua->post_form('/kot/session', {})->{status}, 405,
    'it takes no POST';

done_testing;
