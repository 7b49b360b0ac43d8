# Redis forgets ngx_kot's scripts (SCRIPT FLUSH by an operator, or a
# script cache emptied behind the same connection): no user notices.
# The command that met NOSCRIPT did nothing, so the worker loads the
# scripts again on the same connection and sends it once more; the
# requests go on without a 503 and the session cache stays on.  So do
# the commands that no request waits for: a stream of a session revoked
# right after the flush, on a worker that meets NOSCRIPT first with the
# check of that stream, is closed as fast as ever.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use KotTest::Stream;
use Test::More;

my $t = KotTest->new(workers => 2);
my $n = $t->nginx(KotTest->site);

$t->add_user('acme', 'alice', 'correct horse battery');
my %alice = (tenant => 'acme', username => 'alice',
             password => 'correct horse battery');

# a session on each worker, and the cache on in each
my @ua = map { $n->ua } 1 .. 4;
is $_->login(%alice)->{status}, 303, 'alice logs in' for @ua;
ok wait_until(sub { (() = $n->error_log =~ /session cache on/g) >= 2 },
              what => 'the session cache of both workers'),
    'both workers cache sessions';

my $off = length $n->error_log;

for my $round (1 .. 2) {
    $t->redis('SCRIPT', 'FLUSH');

    # every login runs scripts: each worker meets NOSCRIPT at once
    my @status = map { $n->ua->login(%alice)->{status} } 1 .. 8;
    is_deeply \@status, [ (303) x 8 ],
        "after SCRIPT FLUSH ($round), every login goes through";

    # those of alice's sessions not logged out below yet
    my @pages = map { $_->get('/app')->{status} } @ua[0, $round .. 3];
    is_deeply \@pages, [ (200) x (5 - $round) ], 'and every session works';

    $t->redis('SCRIPT', 'FLUSH');
    my $u = $ua[$round];
    my $form = $u->get('/kot/logout');
    is $u->post_form('/kot/logout', { csrf => KotTest::UA::form_field(
            $form->{content}, 'csrf') })->{status}, 303,
        'a logout right after a flush goes through';
    is $u->get('/app')->{status}, 401, 'and ends the session';
}

my $log = substr $n->error_log, $off;
like $log, qr/kot: redis at "[^"]+" had lost the scripts \(NOSCRIPT\): (?x)
              loading\ them\ again/,
    'the error log says the scripts were loaded again';
unlike $log, qr/unavailable|reconnecting|session cache off/,
    'with no reconnection, no 503 and the cache kept';


# A worker that serves only a stream: its first command after the flush
# is the check that the revocation's invalidation brings.

my $app = KotTest::Stream::serve($t);
my $one = $t->nginx(KotTest->site(server => <<"EOF"), name => 'one',
        location /events/ {
            kot on;
            proxy_pass http://127.0.0.1:$app;
            proxy_buffering off;
        }
EOF
                   workers => 1);
my %before = map { $_ => 1 } @{ $t->redis('KEYS', 'kot:v1:s:*') };
my $ua = $one->ua;
is $ua->login(%alice)->{status}, 303, 'alice logs in on a node';
my ($key) = grep { !$before{$_} } @{ $t->redis('KEYS', 'kot:v1:s:*') };
my $hash = substr $key, length 'kot:v1:s:', 16;
my $es = KotTest::Stream::sse_open($one->port, '/events/feed',
    'kot_session=' . $ua->cookie('kot_session'));
ok !KotTest::Stream::closed_within($es, 0.3), 'and follows a stream';

$off = length $one->error_log;
$t->redis('SCRIPT', 'FLUSH');
is $t->kotctl('session', 'revoke', 'acme', 'alice', $hash)->{exit}, 0,
    'right after SCRIPT FLUSH, kotctl revokes the session';
ok KotTest::Stream::closed_within($es, 1),
    'and the stream is closed within 1 s';
like substr($one->error_log, $off), qr/had lost the scripts/,
    'the worker loaded the scripts again';

done_testing;
