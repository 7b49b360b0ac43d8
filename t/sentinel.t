# With kot_redis_sentinel, the master dying is a short outage, not a
# wrong answer: while the sentinels fail over, requests get 503 or the
# right answer, and afterwards sessions, logins, logouts and the session
# cache work on the new master without a reload.  nginx never takes a
# replica for the master, even when told so.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;
use IO::Socket::IP;
use Time::HiRes qw(time);

my $t = KotTest->new(workers => 2);

# Not 500 ms: a sentinel that hears of the new master from another
# drops its link to it and counts it down from then on, but connects
# again at most once a second.  At 500 ms, two of the three once counted
# the new master down 0.51 s after +switch-master, before their link was
# back, and promoted the other replica: a second failover, unasked for,
# that the checks below could meet halfway.
my $down_after = 2000;
$t->start_sentinels(replicas => 2, sentinels => 3,
                    down_after => $down_after);

my ($replica) = $t->replica_ports;
my $old_master = $t->redis_addr;
my @sentinels = map { "127.0.0.1:$_" } $t->sentinel_ports;

sub sentinel_site ($line) { KotTest->sentinel_site($line) }


# nginx -t

my ($rc, $out) = $t->nginx_check(sentinel_site(
    "kot_redis %%REDIS%%; kot_redis_sentinel @sentinels master=kot;"));
isnt $rc, 0, 'kot_redis and kot_redis_sentinel together fail nginx -t';
like $out, qr/keep exactly one of them/, '  saying to keep one';

($rc, $out) = $t->nginx_check(sentinel_site(
    "kot_redis_sentinel @sentinels;"));
isnt $rc, 0, 'kot_redis_sentinel without master= fails nginx -t';
like $out, qr/needs the sentinels' addresses and the master's name/,
    '  saying what it needs';

($rc, $out) = $t->nginx_check(sentinel_site(
    'kot_redis_sentinel sentinel.example:26379 master=kot;'));
isnt $rc, 0, 'a sentinel named by host name fails nginx -t';
like $out, qr/"sentinel\.example:26379" is not an address: use "IP:PORT"/,
    '  asking for an IP literal (resolving would block)';

($rc, $out) = $t->nginx_check(sentinel_site(
    "kot_redis_sentinel @sentinels master=kot colour=blue;"));
isnt $rc, 0, 'an unknown option fails nginx -t';
my $expected = 'expected master=NAME';
like $out, qr/kot_redis_sentinel: invalid parameter "colour=blue"; $expected/,
    '  listing the options';

($rc, $out) = $t->nginx_check(sentinel_site(
    "kot_redis_sentinel @sentinels master=kot timeout=1s db=0;"));
is $rc, 0, 'a sentinel configuration passes nginx -t' or diag $out;


# up through the sentinels

my $n = $t->nginx(sentinel_site(
    "kot_redis_sentinel @sentinels master=kot timeout=1s;"));
my @workers = sort { $a <=> $b } $n->worker_pids;

ok wait_until(sub { my @on = $n->error_log =~ /session cache on/g;
                   @on >= 2 },
              what => 'both workers to reach the master'),
    'both workers find the master through the sentinels';
like $n->error_log, qr/master "kot" is at "\Q$old_master\E"/,
    'the error log says where the master is';

$t->add_user('acme', 'alice', 'correct horse battery');
$t->add_user('acme', 'bob', 'battery staple horse');

my $alice = $n->ua;
is $alice->login(tenant => 'acme', username => 'alice',
                 password => 'correct horse battery')->{status}, 303,
    'a login works';
like $alice->get('/app')->{content}, qr/user=\[alice\]/,
    'the session works';

# bob's session is revoked, but his client still sends its cookie (a
# 401 clears it: it is set again before each request)
my $bob = $n->ua;
$bob->login(tenant => 'acme', username => 'bob',
            password => 'battery staple horse');
like $bob->get('/app')->{content}, qr/user=\[bob\]/, 'another one too';
my $cookie = $bob->cookie('kot_session');
my $form = $bob->get('/kot/logout');
$bob->post_form('/kot/logout',
                { csrf => KotTest::UA::form_field($form->{content}, 'csrf') });
sub bob_get () {
    $bob->set_cookie('kot_session', $cookie);
    return $bob->get('/app');
}
is bob_get->{status}, 401, 'a revoked session is refused';


# a "sentinel" that names the replica: nginx must not believe it

my $liar = IO::Socket::IP->new(LocalHost => '127.0.0.1', LocalPort => 0,
                               Listen => 16, ReuseAddr => 1)
    or die "listen: $@";
my $liar_port = $liar->sockport;
$t->fork_extra('liar', sub { fake_sentinel($liar, $replica) });
close $liar;

ok wait_until(sub { $t->redis('WAIT', 2, 1000) >= 2 },
              what => 'the replicas to catch up'), 'the replicas have it all';

my $fooled = $t->nginx(sentinel_site(
    "kot_redis_sentinel 127.0.0.1:$liar_port master=kot timeout=1s;"),
    name => 'fooled');
ok wait_until(sub { $fooled->error_log =~ /is not the master of "kot"/ },
              what => 'the ROLE check'),
    'a replica named as the master is found out by ROLE';
my $ua = $fooled->ua;
$ua->set_cookie('kot_session', $alice->cookie('kot_session'));
my %got;
$got{ $ua->get('/app')->{status} }++ for 1 .. 6;
is_deeply \%got, { 503 => 6 },
    '  and no request is answered from it: 503, not a stale 200';
is $fooled->ua->login(tenant => 'acme', username => 'alice',
                      password => 'correct horse battery')->{status}, 503,
    '  not even a login';
$fooled->stop;


# the master dies under load

# clients that only look for wrong answers, to keep the workers busy
my $bad = $t->dir . '/wrong-answers';
for my $i (1 .. 2) {
    $t->fork_extra("load$i", sub {
        my $u = KotTest::UA->new(port => $n->port, timeout => 5);
        $u->set_cookie('kot_session',
                       $alice->cookie('kot_session'));
        for (1 .. 100_000) {
            my $r = eval { $u->get('/app') } or next;
            next if $r->{status} == 503
                    || $r->{status} == 200
                       && $r->{content} =~ /user=\[alice\]/;
            open my $fh, '>>', $bad;
            print $fh "$r->{status}\n";
            close $fh;
        }
    });
}

# alice and bob ask until the site has answered right 50 times in a row
# since $done->(its record) said the failover is over (or 40 s)
sub through_failover ($done) {
    my %w = (wrong => [], seen => {}, streak => 0, start => time);

    for (1 .. 20_000) {
        last if time - $w{start} > 40;
        Time::HiRes::sleep(0.002);

        my $a = $alice->get('/app');
        my $b = bob_get;

        $w{seen}{"alice $a->{status}"}++;
        $w{seen}{"bob $b->{status}"}++;

        push @{ $w{wrong} }, "alice got $a->{status}"
            unless $a->{status} == 503
                   || $a->{status} == 200
                      && $a->{content} =~ /user=\[alice\]/;
        push @{ $w{wrong} }, "bob got $b->{status}"
            unless $b->{status} == 503 || $b->{status} == 401;

        if ($a->{status} == 503 || $b->{status} == 503) {
            $w{first_503} //= time;
            $w{last_503} = time;
            $w{streak} = 0;
        } elsif (++$w{streak} >= 50 && ($w{over} ||= $done->(\%w))) {
            last;
        }
    }

    $w{window} = ($w{last_503} // $w{start}) - $w{start};
    $w{summary} = join ', ', map { "$_: $w{seen}{$_}" } sort keys %{ $w{seen} };
    return \%w;
}

$t->kill_redis;
my $w = through_failover(sub ($w) { defined $w->{last_503} });

$t->stop_extra('load1', 'load2');

is_deeply $w->{wrong}, [], 'during the failover, 503 or the right answer, '
    . 'never a wrong one';
ok defined $w->{first_503}, 'the outage was seen as 503';
cmp_ok $w->{streak}, '>=', 50, 'the site works again after the failover, '
    . 'without a reload';
diag sprintf 'failover window: %.2f s from the kill to the last 503 '
    . '(down-after-milliseconds %d); %s', $w->{window}, $down_after,
    $w->{summary};
is KotTest::_slurp($bad) // '', '',
    'the load saw no wrong answer either';

# The sentinels learn of the new master one after the other (the leader
# said +switch-master last in the runs looked at, up to a second after
# the others), and each worker follows the sentinel it listens to: the
# streak above may have been served by one worker alone, while the other
# waits for its sentinel.  So the master is the one all the sentinels
# name, once they agree, and both workers get a few seconds to be there.
sub sentinels_master () {
    my %named;
    for my $port ($t->sentinel_ports) {
        my $a = eval { $t->redis_on($port, 'SENTINEL',
                                    'get-master-addr-by-name', 'kot') };
        $named{ $a ? $a->[1] : '' }++;
    }
    my @named = keys %named;
    return @named == 1 && $named[0] ne '' ? $named[0] : undef;
}

sub moved_to ($port) {
    my @moved = $n->error_log =~ /master "kot" is at "127\.0\.0\.1:$port"/g;
    return @moved >= 2;
}

my $new = wait_until(\&sentinels_master, what => 'the sentinels to agree');
isnt $new, $old_master =~ s/.*://r, 'a replica is the master now';
is $t->redis_on($new, 'ROLE')->[0], 'master', '  and says so';
$t->use_redis_port($new);
ok wait_until(sub { moved_to($new) }, what => 'both workers to move'),
    'both workers moved to the new master';
like $n->error_log, qr/sentinel at "[^"]+" says master "kot" switched/,
    '  as +switch-master said';


# everything works on the new master

like $alice->get('/app')->{content}, qr/user=\[alice\]/,
    'the session made before the failover still works';
is bob_get->{status}, 401, 'the revoked one is still refused';

my $carol = $n->ua;
$t->add_user('acme', 'carol', 'staple battery horse correct');
is $carol->login(tenant => 'acme', username => 'carol',
                 password => 'staple battery horse correct')->{status}, 303,
    'a new login works (the new master takes writes)';
like $carol->get('/app')->{content}, qr/user=\[carol\]/,
    '  and its session too';

ok wait_until(sub {
        my @c = $t->redis('CLIENT', 'LIST') =~ /name=kot-sub-/g;
        @c == 2;
    }, what => 'the invalidation connections'),
    'both workers\' invalidation connections moved to the new master';


# a planned failover, both servers alive: the other replica, which the
# sentinels made a replica of the new master, is promoted

my ($other) = grep { $_ != $new } $t->replica_ports;
ok $t->replica_follows($other, $new),
    'the other replica follows the new master';

# the sentinels may still be closing the first failover (INPROG)
my $started;
wait_until(sub {
    $started = eval { $t->redis_on(($t->sentinel_ports)[0], 'SENTINEL',
                                   'FAILOVER', 'kot') } // $@;
    $started !~ /INPROG/;
}, timeout => 30, interval => 0.5, what => 'the first failover to be over');
is $started, 'OK', 'a planned failover starts';
$w = through_failover(sub { moved_to($other) });
is_deeply $w->{wrong}, [], 'during a planned failover too, 503 or the '
    . 'right answer';
ok moved_to($other), 'nginx moved to the promoted replica';
cmp_ok $w->{streak}, '>=', 50, 'and the site works there';
diag sprintf 'planned failover: %.2f s of 503s; %s', $w->{window},
    $w->{summary};
$t->use_redis_port($other);

my $r = $t->_run([ "$KotTest::REPO/build/kotctl",
    '--sentinel', join(',', '127.0.0.1:1', @sentinels), '--master', 'kot',
    '--secret-file', $t->secret_file, 'session', 'revoke', 'acme', 'alice',
    '--all' ]);
is $r->{exit}, 0, 'kotctl finds the new master through --sentinel '
    . '(past a sentinel that is down)' or diag $r->{err};

my $revoked_at = time;
ok wait_until(sub { $alice->get('/app')->{status} == 401 },
              timeout => 2, interval => 0.01, what => 'the revocation'),
    'its revocation reaches the session cache of the new master';
cmp_ok time - $revoked_at, '<', 0.5, '  at once';

$r = $t->_run([ "$KotTest::REPO/build/kotctl", '--sentinel', $sentinels[0],
    '--master', 'nope', '--secret-file', $t->secret_file, 'tenant',
    'list' ]);
isnt $r->{exit}, 0, 'kotctl with an unknown --master fails';
like $r->{err}, qr/sentinel at \S+ does not know master "nope"/,
    '  naming it';

is_deeply [ sort { $a <=> $b } $n->worker_pids ], \@workers,
    'no worker crashed';
unlike $n->error_log, qr/\[(alert|crit|emerg)\]/, 'nothing alarming logged';

done_testing;


# Just enough of a sentinel to name $port as the master of anything.
sub fake_sentinel ($listen, $port) {
    my $sel = IO::Select->new($listen);
    my %buf;

    for (;;) {
        for my $s ($sel->can_read) {
            if ($s == $listen) {
                my $c = $listen->accept or next;
                $sel->add($c);
                $buf{$c} = '';
                next;
            }

            my $n = sysread $s, $buf{$s}, 65536, length $buf{$s};
            if (!$n) {
                $sel->remove($s);
                delete $buf{$s};
                close $s;
                next;
            }

            while ($buf{$s} =~ s/^\*(\d+)\r\n((?:\$\d+\r\n[^\r]*\r\n)*)//) {
                my @arg = $2 =~ /\$\d+\r\n([^\r]*)\r\n/g;
                my $cmd = uc($arg[0] // '');
                my $reply =
                      $cmd eq 'SENTINEL'  ? "*2\r\n\$9\r\n127.0.0.1\r\n\$"
                                            . length($port) . "\r\n$port\r\n"
                    : $cmd eq 'SUBSCRIBE' ? "*3\r\n\$9\r\nsubscribe\r\n\$"
                                            . length($arg[1])
                                            . "\r\n$arg[1]\r\n:1\r\n"
                    : "+OK\r\n";
                syswrite $s, $reply;
            }
        }
    }
}
