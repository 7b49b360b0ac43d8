# WebSockets and event streams end with their session: whatever ends it
# (a logout, a revocation, a disabled user, a password change, the idle
# or the absolute end), on whichever node, the open connections close
# within a second, each with an audit record.  What the client sends on a
# WebSocket keeps the session alive for HTTP too.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use KotTest::Stream;
use POSIX ();
use Test::More;
use Time::HiRes qw(time sleep);

my $t = KotTest->new(workers => 2);
my $app = KotTest::Stream::serve($t);
my (undef, $pub) = $t->auditor_keys;

# The README's configuration ("WebSockets and streams").
my $streams = <<"EOF";
        listen 127.0.0.1:%%PORT2%% http2;
        # the identity, although these locations set headers of their own
        kot_identity_headers on;

        location /ws/ {
            kot on;
            proxy_pass http://127.0.0.1:$app;
            proxy_http_version 1.1;
            proxy_set_header Upgrade \$http_upgrade;
            proxy_set_header Connection "upgrade";
            proxy_read_timeout 1h;
        }

        location /events/ {
            kot on;
            proxy_pass http://127.0.0.1:$app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
            proxy_read_timeout 1h;
        }

        location /poll/ {
            kot on;
            kot_long_poll on;
            proxy_pass http://127.0.0.1:$app;
            proxy_read_timeout 1h;
        }
EOF

sub site ($http = '') {
    return KotTest->site(server => $streams,
        http => "kot_audit_log %%DIR%%/audit.log;\n"
              . "    kot_audit_auditor_key $pub;\n    $http");
}

my $A = $t->nginx(site(), name => 'a');
my $B = $t->nginx(site(), name => 'b');

$t->add_user('acme', 'alice', 'correct horse battery');
my @alice = (tenant => 'acme', username => 'alice');
my $password = 'correct horse battery';

# Logs in on a node; returns the browser, its Cookie header and the
# session's handle ($kot_session, session.hash in the audit log).
sub login ($node, @who) {
    @who = (@alice, password => $password) unless @who;
    my %before = map { $_ => 1 } @{ $t->redis('KEYS', 'kot:v1:s:*') };
    my $ua = $node->ua;
    is $ua->login(@who)->{status}, 303,
        "$who[3] logs in on " . uc $node->name;
    my ($key) = grep { !$before{$_} } @{ $t->redis('KEYS', 'kot:v1:s:*') };
    return ($ua, 'kot_session=' . $ua->cookie('kot_session'),
            substr($key // '', length 'kot:v1:s:', 16));
}

# A WebSocket and an event stream of the session, both working.
sub open_both ($node, $cookie) {
    my $ws = KotTest::Stream::ws_open($node->port, '/ws/chat', $cookie);
    KotTest::Stream::ws_send($ws, 'ping');
    is KotTest::Stream::ws_recv($ws), 'echo: ping',
        'the WebSocket echoes through ' . uc $node->name;
    my $es = KotTest::Stream::sse_open($node->port, '/events/feed', $cookie);
    return ($ws, $es);
}

# The stream closes $then s after the WebSocket at most.
sub both_close ($ws, $es, $what, $within = 1, $then = 0.1) {
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $start = time;
    ok KotTest::Stream::closed_within($ws, $within),
        sprintf 'the WebSocket closes within %.1f s of %s', $within, $what;
    note sprintf '%s: closed %d ms after the test went on', $what,
        (time - $start) * 1000;
    ok KotTest::Stream::closed_within($es, $then),
        "and so does the event stream";
}

# The audit records of the closes of one session on a node, once $n
# are there: "kind/reason" each, sorted.
sub closes ($node, $hash, $n = 2) {
    my @got;
    KotTest::wait_until(sub {
        @got = sort map { "$_->{'kot.connection'}/$_->{'event.reason'}" }
            grep { ($_->{'session.hash'} // '') eq $hash }
            $t->audit_records($node->dir . '/audit.log',
                              'session_connection_closed');
        @got >= $n;
    }, timeout => 3, what => 'the audit records of the closes');
    return join ' ', @got;
}

sub logout ($ua) {
    my $csrf = KotTest::UA::form_field($ua->get('/kot/logout')->{content},
                                       'csrf');
    is $ua->post_form('/kot/logout', { csrf => $csrf })->{status}, 303,
        'she logs out';
}


# logout on A, connections on B

my ($ua, $cookie, $hash) = login($A);
my ($ws, $es) = open_both($B, $cookie);
is KotTest::Stream::sse_first($es), 'data: hello alice',
    'the application knows who opened the stream';
ok !KotTest::Stream::closed_within($ws, 0.5),
    'the WebSocket stays open while the session lives';
KotTest::Stream::ws_send($ws, 'still');
is KotTest::Stream::ws_recv($ws), 'echo: still', 'and still works';
logout($ua);
both_close($ws, $es, 'a logout on another node');
is closes($B, $hash), 'stream/ended upgraded/ended',
    'each close is an audit record on B, with the reason';


# kotctl session revoke

($ua, $cookie, $hash) = login($A);
($ws, $es) = open_both($A, $cookie);
is $t->kotctl('session', 'revoke', 'acme', 'alice', $hash)->{exit}, 0,
    'kotctl revokes the session';
both_close($ws, $es, 'kotctl session revoke');
is closes($A, $hash), 'stream/ended upgraded/ended',
    'both closes are recorded';


# kotctl user disable, connections on B and HTTP on A

($ua, $cookie, $hash) = login($A);
($ws, $es) = open_both($B, $cookie);
my ($ws2, $es2) = open_both($B, $cookie);
is $t->kotctl('user', 'disable', 'acme', 'alice')->{exit}, 0,
    'kotctl disables alice';
both_close($ws, $es, 'kotctl user disable');
both_close($ws2, $es2, 'the same, for her second tab', 0.5);
is $ua->get('/app')->{status}, 401, 'and HTTP on A is refused';
is $t->kotctl('user', 'enable', 'acme', 'alice')->{exit}, 0,
    'kotctl enables her again';


# her own password change, on the portal of A

($ua, $cookie, $hash) = login($A);
($ws, $es) = open_both($A, $cookie);
my $page = $ua->get('/kot/password');
is $ua->post_form('/kot/password', {
    csrf => KotTest::UA::form_field($page->{content}, 'csrf') // '',
    current_password => $password, new_password => 'a new long passphrase',
    confirm_password => 'a new long passphrase' })->{status}, 303,
    'she changes her password';
$password = 'a new long passphrase';
both_close($ws, $es, 'the password change');
is closes($A, $hash), 'stream/ended upgraded/ended', 'both are recorded';
is $ua->get('/app')->{status}, 200,
    'her browser goes on with the session that the change gave it';


# a long poll in a kot_long_poll location

($ua, $cookie, $hash) = login($A);
my $lp = KotTest::Stream::poll_open($B->port, '/poll/updates', $cookie);
ok !KotTest::Stream::closed_within($lp, 0.5), 'a long poll waits on B';
$t->kotctl('session', 'revoke', 'acme', 'alice', $hash);
ok KotTest::Stream::closed_within($lp, 1),
    'it is closed within 1 s of the revocation';
is closes($B, $hash, 1), 'long_poll/ended', 'and recorded';


# the deletion of the user, and of the tenant

$t->add_user('acme', 'bob', 'another good passphrase');
$t->add_user('globex', 'carol', 'a third good passphrase');

for my $case ([ [ 'user', 'delete', 'acme', 'bob', '--yes' ],
                tenant => 'acme', username => 'bob',
                password => 'another good passphrase' ],
              [ [ 'tenant', 'delete', 'globex', '--yes' ],
                tenant => 'globex', username => 'carol',
                password => 'a third good passphrase' ]) {
    my ($cmd, @who) = @$case;
    (undef, $cookie, $hash) = login($B, @who);
    ($ws, $es) = open_both($B, $cookie);
    is $t->kotctl(@$cmd)->{exit}, 0, "kotctl @$cmd[0, 1]";
    both_close($ws, $es, "kotctl @$cmd[0, 1]");
    is closes($B, $hash), 'stream/ended upgraded/ended', 'both are recorded';
}


# without the session cache: Redis is asked every 100 ms

my $N = $t->nginx(site('kot_session_cache off;'), name => 'nocache');
($ua, $cookie, $hash) = login($N);
($ws, $es) = open_both($N, $cookie);
$t->kotctl('session', 'revoke', 'acme', 'alice', $hash);
both_close($ws, $es, 'a revocation, without the session cache');


# HTTP/2: a stream of the connection is reset, the others go on

SKIP: {
    skip 'curl with HTTP/2 is not installed', 3
        unless `curl --version 2>/dev/null` =~ /HTTP2/;

    ($ua, $cookie, $hash) = login($A);
    my $url = 'http://127.0.0.1:' . $A->port2 . '/events/h2';
    my $pid = open(my $curl, '-|', 'curl', '-sN', '--http2-prior-knowledge',
                   '-H', "Cookie: $cookie", $url) // die "curl: $!\n";
    my $first = <$curl>;
    is $first, "data: hello alice\n", 'an event stream over HTTP/2 is open';
    $t->kotctl('session', 'revoke', 'acme', 'alice', $hash);
    ok KotTest::wait_until(sub { waitpid($pid, POSIX::WNOHANG()) == $pid },
                           timeout => 1, interval => 0.02,
                           what => 'curl to see its stream end'),
        'the HTTP/2 stream ends within 1 s of the revocation';
    is closes($A, $hash, 1), 'stream/ended', 'it is recorded';
    close $curl;
}


# the idle end; traffic on the WebSocket is activity

my $I = $t->nginx(site('kot_idle_timeout 2s;'), name => 'idle');

($ua, $cookie, $hash) = login($I);
my $start = time;
($ws, $es) = open_both($I, $cookie);
both_close($ws, $es, 'the login (the idle end at 2 s)',
           $start + 3 - time);
ok time - $start > 1.5, 'not much before it';
is closes($I, $hash), 'stream/idle upgraded/idle',
    'the records say "idle"';

# Redis stopped: past the idle end, nothing can say the session lives
($ua, $cookie, $hash) = login($I);
$start = time;
($ws, $es) = open_both($I, $cookie);
$t->pause_redis;
# Each worker goes by the last activity that it heard of (the stream's own
# check may have moved it), and closes a second past that idle end when
# Redis has not answered since: about 3 s from the login, 4.5 with room
# for a busy machine, whichever of the two closes first.
my $deadline = $start + 4.5;
ok KotTest::Stream::closed_within($ws, $deadline - time),
    'the WebSocket closes within 4.5 s of the login (idle end 2 s, Redis '
    . 'stopped)';
ok KotTest::Stream::closed_within($es, $deadline - time),
    'and so does the event stream';
$t->resume_redis;
ok time - $start > 2.5, 'not before';
is closes($I, $hash), 'stream/unavailable upgraded/unavailable',
    'the records say "unavailable"';

# Redis stalled before it answered the stream's first read (the request's
# own check came from the session cache): the idle end, as the request
# found it, holds all the same.  The stream must reach a worker that has
# the session cached, within 75 ms of the stall: tried a few times.
($ua, $cookie, $hash) = login($I);
$es = undef;
for (1 .. 10) {
    $ua->get('/app') for 1 .. 4;
    $start = time;
    $t->pause_redis;
    $es = eval { KotTest::Stream::sse_open($I->port, '/events/feed', $cookie) };
    last if $es;
    $t->resume_redis;
}
ok $es, 'an event stream opens from the session cache as Redis stalls';
ok $es && KotTest::Stream::closed_within($es, $start + 4.5 - time),
    'and closes by 4.5 s from then (idle end 2 s), Redis still stalled';
$t->resume_redis;
is closes($I, $hash, 1), 'stream/unavailable', 'recorded as "unavailable"';

($ua, $cookie, $hash) = login($I);
$ws = KotTest::Stream::ws_open($I->port, '/ws/chat', $cookie);
$es = KotTest::Stream::sse_open($I->port, '/events/feed', $cookie);
my $echoes = 0;
for (1 .. 10) {
    KotTest::Stream::ws_send($ws, "typing $_");
    $echoes++ if (KotTest::Stream::ws_recv($ws) // '') eq "echo: typing $_";
    sleep 0.4;
}
is $echoes, 10, 'a user busy on the WebSocket alone, for twice the idle time,';
is $ua->get('/app')->{status}, 200, 'is still logged in over HTTP';
ok !KotTest::Stream::closed_within($es, 0.1),
    'and her event stream, where she sends nothing, lives with the session';


# the absolute end, however busy

my $X = $t->nginx(site('kot_absolute_timeout 3s;'), name => 'absolute');

($ua, $cookie, $hash) = login($X);
$start = time;
($ws, $es) = open_both($X, $cookie);
my $closed;
while (!$closed && time < $start + 4.5) {
    KotTest::Stream::ws_send($ws, 'busy');
    $closed = KotTest::Stream::closed_within($ws, 0.2);
}
ok $closed, 'a busy WebSocket ends at the absolute end';
ok time - $start > 2.5 && time - $start < 4, 'within 1 s of it';
ok KotTest::Stream::closed_within($es, 0.1), 'and so does the event stream';
is closes($X, $hash), 'stream/absolute upgraded/absolute',
    'the records say "absolute"';


is $ua->get('/app')->{status}, 401, 'after it, HTTP is refused too';

done_testing;
