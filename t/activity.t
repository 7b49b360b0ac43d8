# kot_activity off and {portal}session: a page that polls in the
# background (or a health check) must not keep a session alive that its
# user left (Authelia #3221), and an application can ask how long the
# session has left, to warn before it ends, without extending it.  The
# same holds for what the client sends on a WebSocket.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use KotTest::Stream;
use Test::More;
use JSON::PP ();
use Time::HiRes qw(time);

my $idle = 3;       # seconds

my $t = KotTest->new(workers => 2);
my $stream = KotTest::Stream::serve($t);
my $n = $t->nginx(KotTest->site(
    http => "kot_idle_timeout ${idle}s;\n    kot_absolute_timeout 1h;",
    server => <<"EOF"));
        location /poll/ {
            kot on;
            kot_activity off;
            proxy_pass http://%%APP%%;
        }

        location /ws/ {
            kot on;
            proxy_pass http://127.0.0.1:$stream;
            proxy_http_version 1.1;
            proxy_set_header Upgrade \$http_upgrade;
            proxy_set_header Connection "upgrade";
            proxy_read_timeout 1h;
        }

        location /ws/quiet/ {
            kot on;
            kot_activity off;
            proxy_pass http://127.0.0.1:$stream;
            proxy_http_version 1.1;
            proxy_set_header Upgrade \$http_upgrade;
            proxy_set_header Connection "upgrade";
            proxy_read_timeout 1h;
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


# WebSockets: what the client sends is activity, but in a kot_activity
# off location

sub chat ($ws) {
    return KotTest::Stream::ws_send($ws, 'typing')
        && (KotTest::Stream::ws_recv($ws) // '') eq 'echo: typing';
}

sub ws ($ua, $path) {
    return KotTest::Stream::ws_open($n->port, $path,
        'kot_session=' . $ua->cookie('kot_session'));
}

my $quiet = $n->ua;
$quiet->login(%alice);
my $ws = ws($quiet, '/ws/quiet/chat');
ok chat($ws), 'a WebSocket in a kot_activity off location works';
$start = times_left($quiet)->{idle_remaining};
my $chats = 0;
ok KotTest::wait_until(sub {
    $chats += chat($ws);
    return times_left($quiet)->{idle_remaining} < $start - 1;
}, interval => 0.2, what => 'the idle time to run down'),
    'what the client sends on it does not extend the session';
note "$chats messages meanwhile";
ok KotTest::wait_until(sub {
    KotTest::Stream::ws_send($ws, 'typing');
    return KotTest::Stream::closed_within($ws, 0.2);
}, timeout => $idle + 3, what => 'the WebSocket to close'),
    'the session ends at its idle timeout however busy the WebSocket, '
    . 'which closes';
is times_left($quiet)->{status}, 401, 'and the session is over for HTTP';

my $busy = $n->ua;
$busy->login(%alice);
$ws = ws($busy, '/ws/chat');
$t0 = time;
$ok = 1;
KotTest::wait_until(sub {
    $ok &&= chat($ws);
    return time - $t0 > $idle + 1;
}, timeout => $idle + 3, interval => 0.2, what => 'the idle time to pass');
ok $ok, 'a WebSocket in a normal location, busy past the idle timeout, '
    . 'stays open';
ok full(times_left($busy)->{idle_remaining}),
    'and keeps the session alive: its idle time is full';

my $gone = times_left($poller);
is $gone->{status}, 401, '{portal}session of an expired session: 401';
like $gone->{content}, qr/"error":"login_required"/, 'login_required';

is $n->ua->get('/kot/session')->{status}, 401, 'and without a cookie';
is $ua->post_form('/kot/session', {})->{status}, 405,
    'it takes no POST';

done_testing;
