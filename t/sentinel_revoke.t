# With Sentinel, a logout or a revocation is reported done only once a
# replica has it (WAIT), so that a failover right after it cannot bring
# the session back.  A replica that does not acknowledge delays the
# logout by kot_redis_sentinel's timeout at most, says so in the error
# log and the audit, and holds up no other request of the worker.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;
use Time::HiRes qw(time);

my $t = KotTest->new(workers => 1);
$t->start_sentinels(replicas => 1, sentinels => 1, down_after => 5000);

my ($replica_pid) = map { $t->{extra}{$_} } grep { /^replica/ }
    keys %{ $t->{extra} };
my $sentinel = '127.0.0.1:' . ($t->sentinel_ports)[0];

my $n = $t->nginx(KotTest->sentinel_site(
    "kot_redis_sentinel $sentinel master=kot timeout=3s;"));

ok wait_until(sub { $n->error_log =~ /session cache on/ },
              what => 'the worker to reach the master'),
    'the worker finds the master';

for my $u (qw(alice bob carol)) {
    $t->add_user('acme', $u, 'correct horse battery staple');
}

sub logged_in ($user) {
    my $ua = $n->ua;
    $ua->login(tenant => 'acme', username => $user,
               password => 'correct horse battery staple');
    return $ua;
}

sub waits () {
    my ($calls) =
        $t->redis('INFO', 'commandstats') =~ /cmdstat_wait:calls=(\d+)/;
    return $calls // 0;
}

sub logout_fields ($ua) {
    return { csrf => KotTest::UA::form_field(
                         $ua->get('/kot/logout')->{content}, 'csrf') };
}


# a replica that keeps up: the logout waits for it, briefly (a new
# replica's stream starts with its first acknowledgement, up to 1 s late)

ok wait_until(sub { $t->redis('WAIT', 1, 1000) >= 1 },
              what => 'the replica to acknowledge'),
    'the replica acknowledges writes';
my $alice = logged_in('alice');
my $cookie = $alice->cookie('kot_session');
my $before = waits;
my $start = time;
my $r = $alice->post_form('/kot/logout', logout_fields($alice));
my $took = time - $start;
cmp_ok $r->{status}, '<', 400, 'alice logs out';
cmp_ok waits, '>', $before, '  after WAIT asked a replica for the logout';
cmp_ok $took, '<', 1.5, "  without a delay to speak of ($took s)";
$alice->set_cookie('kot_session', $cookie);
is $alice->get('/app')->{status}, 401, '  and her session is over';
like $t->redis('CLIENT', 'LIST'), qr/name=kot-sync-\d+/,
    'revocations have a connection of their own';
unlike $n->error_log, qr/revocation is on the master/,
    'nothing said about replication when a replica has it';


# the replica stops acknowledging (the master still counts it)

my $bob = logged_in('bob');
$cookie = $bob->cookie('kot_session');
my $fields = logout_fields($bob);

kill 'STOP', $replica_pid;
wait_until(sub { KotTest::_proc_state($replica_pid) eq 'T' },
           timeout => 5, interval => 0.01, what => 'the replica to stop');

$start = time;
my $s = $bob->post_form_detached('/kot/logout', $fields);
ok wait_until(sub { $t->redis('CLIENT', 'LIST') =~
                    /name=kot-sync-\d+ [^\n]*cmd=wait/ },
              timeout => 5, interval => 0.01, what => 'WAIT to be blocked'),
    'with the replica stopped, the logout waits for it';

# the same worker meanwhile: a login writes on the command connection
my $carol_start = time;
my $carol = $n->ua;
is $carol->login(tenant => 'acme', username => 'carol',
                 password => 'correct horse battery staple')->{status}, 303,
    'another user logs in meanwhile';
my $carol_took = time - $carol_start;
cmp_ok $carol_took, '<', 2,
    "  not held up by the waiting logout ($carol_took s)";

my $status = KotTest::UA::status($s, 10);
$took = time - $start;
ok defined $status && $status < 400, 'the logout is answered'
    or diag $status // 'no answer';
cmp_ok $took, '>=', 2.9, "  once the wait is over ($took s)";
cmp_ok $took, '<', 6, '  bounded by the timeout';
$bob->set_cookie('kot_session', $cookie);
is $bob->get('/app')->{status}, 401, 'the session is over on the master';
my $why = '\(no replica acknowledged it; WAIT 3000 ms\)';
like $n->error_log,
    qr/\[error\].*a revocation is on the master of "kot" only $why/,
    'the error log says that a failover now could lose it';
like $n->error_log, qr/revocation not acknowledged by a replica/,
    '  and so does the audit';
ok wait_until(sub {
        join('', @{ $t->redis('LRANGE', 'kot:v1:ev:acme', 0, -1) // [] })
            =~ /"event\.action":"revocation_unreplicated"/
    }, what => 'the record in the tenant\'s events'),
    '  record, in the tenant\'s events';

# kotctl, the same way
my $r2 = $t->_run([ "$KotTest::REPO/build/kotctl", '--sentinel', $sentinel,
    '--master', 'kot', '--secret-file', $t->secret_file, 'session',
    'revoke', 'acme', 'carol', '--all' ]);
is $r2->{exit}, 0, 'kotctl revokes with the replica stopped';
like $r2->{err},
    qr/no replica of "kot" acknowledged the revocation within 2000 ms/,
    '  and warns that it is on the master only';
is $carol->get('/app')->{status}, 401, '  the session is over';

kill 'CONT', $replica_pid;
ok wait_until(sub { $t->redis('WAIT', 1, 1000) >= 1 },
              what => 'the replica to catch up'), 'the replica is back';

$r2 = $t->_run([ "$KotTest::REPO/build/kotctl", '--sentinel', $sentinel,
    '--master', 'kot', '--secret-file', $t->secret_file, 'session',
    'revoke', 'acme', 'bob', '--all' ]);
is $r2->{exit}, 0, 'kotctl revokes with the replica back';
unlike $r2->{err}, qr/acknowledged/, '  without a warning';

unlike $n->error_log, qr/\[(alert|crit|emerg)\]/, 'nothing alarming logged';

done_testing;
