# With kot_redis_sentinel, a master without a replica is high
# availability in name only: a failover would lose every write, a
# revocation included.  The error log says so once, naming the master,
# not once per request or per worker; it says when a replica is back,
# and again when the last one goes.  kot_status has the number, for an
# alert.  A master with a replica gets no such line.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;

my $t = KotTest->new(workers => 2);
$t->start_sentinels(replicas => 0, sentinels => 1, down_after => 5000);

my $sentinel = '127.0.0.1:' . ($t->sentinel_ports)[0];
my $master = $t->redis_addr;
my $site = KotTest->sentinel_site(
    "kot_redis_sentinel $sentinel master=kot timeout=2s;",
    server => 'location = /metrics { kot_status; }');

my $alone = qr/\[error\] .*kot: master "kot" at "\Q$master\E" has no replica: /
    . qr/a failover would lose writes, revocations included; add a replica$/m;
my $back = qr/\[notice\] .*kot: master "kot" at "\Q$master\E" has a replica /
    . qr/again \(1 connected\)$/m;

sub count ($n, $re) { my @l = $n->error_log =~ /$re/g; scalar @l }

# ROLE commands the master has answered, and waiting for $more others
sub role_calls () {
    my ($c) = $t->redis('INFO', 'commandstats') =~ /cmdstat_role:calls=(\d+)/;
    return $c // 0;
}

sub more_role_calls ($more) {
    my $from = role_calls;
    return wait_until(sub { role_calls >= $from + $more },
                      what => "$more more ROLE checks");
}

sub replicas_metric ($n, $want) {
    my $got;
    wait_until(sub {
        ($got) = $n->ua->get('/metrics')->{content}
                 =~ /^kot_redis_replicas (-?\d+)$/m;
        defined $got && $got == $want;
    }, what => "kot_redis_replicas $want");
    return $got;
}

for my $u (qw(alice bob)) {
    $t->add_user('acme', $u, 'correct horse battery staple');
}

# logins, pages and logouts: each logout's ROLE finds no replica too
sub busy ($n, $times) {
    for my $u ((qw(alice bob)) x $times) {
        my $ua = $n->ua;
        is $ua->login(tenant => 'acme', username => $u,
                      password => 'correct horse battery staple')
               ->{status}, 303, "$u logs in";
        $ua->get('/app') for 1 .. 3;
        my $form = $ua->get('/kot/logout');
        cmp_ok $ua->post_form('/kot/logout',
                   { csrf => KotTest::UA::form_field($form->{content},
                                                     'csrf') })->{status},
            '<', 400, "  and out";
    }
}


# a master alone

my $n = $t->nginx($site);

ok wait_until(sub { count($n, qr/session cache on/) >= 2 },
              what => 'both workers to reach the master'),
    'both workers find the master';
ok wait_until(sub { count($n, $alone) }, what => 'the warning'),
    'the error log says that the master has no replica, naming it';
is replicas_metric($n, 0), 0, 'kot_status says kot_redis_replicas 0';
busy($n, 3);
# the check runs every second: a few of them
ok more_role_calls(3), 'the master is asked again';
is count($n, $alone), 1,
    '  and the warning is there once, for two workers, six logouts and '
    . 'the checks';


# a replica comes

my $replica = $t->start_replica('replica1');
ok wait_until(sub { count($n, $back) }, what => 'the replica to be seen'),
    'a replica that syncs is seen: the error log says so';
is replicas_metric($n, 1), 1, '  and kot_redis_replicas 1';
busy($n, 1);
is count($n, $alone), 1, '  and the warning is not repeated';


# and goes

$t->stop_extra('replica1');
ok wait_until(sub { count($n, $alone) >= 2 },
              what => 'the replica\'s absence to be seen'),
    'when the replica goes, the warning comes again';
is replicas_metric($n, 0), 0, '  and kot_redis_replicas is 0 again';
busy($n, 1);
is count($n, $alone), 2, '  once';
is count($n, $back), 1, 'the replica came back once';

$n->stop;


# a master with a replica: nothing said

$t->start_replica('replica2');
# the replica's link is up a moment before the master lists it (its ACK)
ok wait_until(sub { @{ $t->redis('ROLE')->[2] } == 1 },
              what => 'the master to list its replica'),
    'the master has its replica';
$n = $t->nginx($site, name => 'replicated');
ok wait_until(sub { count($n, qr/session cache on/) >= 2 },
              what => 'both workers to reach the master'),
    'with a replica, both workers find the master';
busy($n, 1);
more_role_calls(2);
is replicas_metric($n, 1), 1, 'kot_redis_replicas is 1';
unlike $n->error_log, qr/has no replica|has a replica again/,
    'the error log says nothing about replicas';

unlike $n->error_log, qr/\[(alert|crit|emerg)\]/, 'nothing alarming logged';

done_testing;
