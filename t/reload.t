# A reload (HUP) and a binary upgrade (USR2, then QUIT to the old master)
# under steady load lose nothing a user would notice: every request gets
# its right answer, slow requests in flight at the signal finish, the
# sessions made before still work after, and the audit log holds a
# record of every request and still verifies.  The same for a reload
# with kot_redis_sentinel.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;
use IO::Socket::IP;
use POSIX ();
use Time::HiRes qw(time);

my $t = KotTest->new(workers => 2);
my ($priv, $pub) = $t->auditor_keys;
my $dir = $t->dir;


# An upstream that takes its time: it writes down each request as it
# comes and as it is answered, so that the test can signal nginx while
# some are in flight.
my $slow_port = KotTest::free_port();
my $slow_log = "$dir/slow.txt";

$t->fork_extra('slow', sub {
    my $l = IO::Socket::IP->new(LocalHost => '127.0.0.1',
        LocalPort => $slow_port, Listen => 64, ReuseAddr => 1) or die;
    $SIG{CHLD} = 'IGNORE';
    while (1) {
        my $c = $l->accept or next;
        next if fork;
        my $req = '';
        while ($req !~ /\r\n\r\n/) {
            sysread($c, $req, 4096, length $req) or POSIX::_exit(0);
        }
        my ($path) = $req =~ m{^GET (\S+)};
        my ($user) = $req =~ m{^X-Kot-User: (.*?)\r$}mi;
        open my $log, '>>', $slow_log or die;
        $log->autoflush(1);
        print {$log} "start $path\n";
        Time::HiRes::sleep(1.5);
        my $body = "slow user=[" . ($user // '') . "] uri=[$path]\n";
        print {$c} "HTTP/1.1 200 OK\r\nContent-Length: " . length($body)
            . "\r\nConnection: close\r\n\r\n$body";
        close $c;
        print {$log} "end $path\n";
        POSIX::_exit(0);
    }
});

sub slow_in_flight () {
    my $s = KotTest::_slurp($slow_log) // '';
    return (() = $s =~ /^start /mg) - (() = $s =~ /^end /mg);
}

my $n = $t->nginx(KotTest->site(
    http => "kot_audit_log %%DIR%%/audit.log buffer=64k flush=200ms;\n"
          . "    kot_audit_auditor_key $pub;",
    server => "location /slow/ { kot on; proxy_pass "
            . "http://127.0.0.1:$slow_port; "
            . "proxy_set_header X-Kot-User \$kot_user; }"));
my $log = $n->dir . '/audit.log';

my @users = map { "user$_" } 1 .. 5;
$t->add_user('acme', $_, "correct horse battery") for @users;

sub login ($ua, $user) {
    return $ua->login(tenant => 'acme', username => $user,
                      password => "correct horse battery");
}


# Sessions made before anything happens, used again at the end.
my %before;
for my $user (@users[0, 1]) {
    my $ua = $n->ua;
    is login($ua, $user)->{status}, 303, "$user logs in before the reload";
    $before{$user} = $ua;
}


# One GET on a keep-alive connection: ($status, $body, $retried).  Like
# a browser, a request on a reused connection that the server closed
# before answering any byte of it (an idle connection closed as an old
# worker exits) is sent again on a new connection; nginx did not process
# it, so it counts once.
sub ka_get ($conn, $path, $cookie) {
    my $req = "GET $path HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            . "Cookie: kot_session=$cookie\r\n\r\n";
    for my $try (0, 1) {
        my $reused = $$conn && $try == 0;
        $$conn //= IO::Socket::IP->new(PeerHost => '127.0.0.1',
            PeerPort => $n->port, Proto => 'tcp', Timeout => 5)
            or return (599, "connect: $@", $try);
        local $SIG{PIPE} = 'IGNORE';
        my ($data, $len) = ('', undef);
        if (print {$$conn} $req) {
            while (1) {
                if (!defined $len && $data =~ /\r\n\r\n/) {
                    ($len) = $data =~ /^Content-Length: (\d+)\r$/mi;
                    $len //= -1;
                }
                if (defined $len && $len >= 0
                    && length($data) >= index($data, "\r\n\r\n") + 4 + $len)
                {
                    my ($st) = $data =~ m{^HTTP/1\.1 (\d{3})};
                    my $body = substr($data, index($data, "\r\n\r\n") + 4);
                    undef $$conn if $data =~ /^Connection: close\r$/mi;
                    return ($st, $body, $try);
                }
                last if $len && $len < 0;
                my $r = sysread($$conn, $data, 65536, length $data);
                last unless $r;
            }
        }
        undef $$conn;
        return (599, 'cut: ' . length($data) . ' bytes', $try)
            if length $data || !$reused;
    }
}


# The load: five clients until told to stop, each writing down every
# answer: "kind path status ok seconds-start seconds-end".
#   user1, user2: keep-alive connections
#   user3: a new connection per request, and a login every 20 requests
#   user4, user5: slow requests, one after the other
my $stop = "$dir/load.stop";

sub client ($k, $user) {
    my $kind = $k <= 2 ? 'keepalive' : $k == 3 ? 'new' : 'slow';
    open my $out, '>', "$dir/load$k.txt" or die;
    $out->autoflush(1);
    my $ua = $n->ua;
    login($ua, $user)->{status} == 303 or die "login of $user failed";
    my $conn;
    my $end = time + 120;

    for (my $i = 1; time < $end && !-e $stop; $i++) {
        my $t0 = time;
        my $path = ($kind eq 'slow' ? '/slow' : '/load') . "/$k/$i";
        my ($st, $body, $retried);

        if ($kind eq 'new' && $i % 20 == 0) {
            $st = login($ua, $user)->{status};
            my $ok = $st == 303 && $ua->cookie('kot_session') ? 1 : 0;
            printf {$out} "login - %d %d %.3f %.3f\n", $st, $ok, $t0, time;
            next;
        }

        if ($kind eq 'keepalive') {
            ($st, $body, $retried) = ka_get(\$conn, $path,
                                            $ua->cookie('kot_session'));
            printf {$out} "retry - 0 1 %.3f %.3f\n", $t0, $t0 if $retried;
        } else {
            my $res = $ua->get($path);
            ($st, $body) = ($res->{status}, $res->{content});
        }

        my $ok = $st == 200 && index($body, "user=[$user]") >= 0
                 && index($body, "uri=[$path]") >= 0 ? 1 : 0;
        printf {$out} "%s %s %d %d %.3f %.3f\n", $kind, $path, $st, $ok,
            $t0, time;
    }

    print {$out} "done\n";
    close $out;
    POSIX::_exit(0);
}

for my $k (1 .. 5) {
    $t->fork_extra("load$k", sub { client($k, $users[$k - 1]) });
}

sub answers () {
    return map { [ split ' ' ] } grep { length && $_ ne 'done' }
           map { split /\n/, KotTest::_slurp("$dir/load$_.txt") // '' }
           1 .. 5;
}

sub more_load ($what) {
    my $had = answers();
    return wait_until(sub { answers() >= $had + 100 }, timeout => 30,
                      what => "more load $what");
}

sub slow_now () {
    return wait_until(sub { slow_in_flight() >= 1 }, timeout => 10,
                      what => 'a slow request in flight');
}


# a reload

ok more_load('before the reload'), 'the load runs';
slow_now();
my $hup_at = time;
ok $n->reload, 'a reload under load brings up new workers';
ok more_load('after the reload'), 'the load goes on after the reload';


# A login whose password is still being hashed (in the thread pool,
# where no timer keeps its worker alive) when the reload comes: ann's
# hash is made slow on purpose (scrypt ln=16, about 0.3 s).
{
    local $t->{scrypt_ln} = 16;
    $t->add_user('acme', 'ann', 'correct horse battery');
}
my $ann = $n->ua;
my $csrf = KotTest::UA::form_field($ann->get('/kot/login')->{content},
                                   'csrf');
my @hashing = map {
    $ann->post_form_detached('/kot/login', { csrf => $csrf,
        tenant => 'acme', username => 'ann',
        password => 'correct horse battery' })
} 1 .. 2;
# (by hand: under make check-memory, the hashes take seconds)
my @old = $n->worker_pids;
kill 'HUP', $n->pid;
ok wait_until(sub {
    !grep({ KotTest::_alive($_) } @old) && $n->worker_pids >= 2
}, timeout => 60, what => 'the reload'),
    'a reload while logins are being hashed';
is_deeply [ map { KotTest::UA::status($_, 60) } @hashing ], [ 303, 303 ],
    'the logins being hashed at the reload succeed';
ok more_load('after the second reload'), 'the load goes on';


# a binary upgrade: the new master is the same binary started again

slow_now();
my $old_master = $n->pid;
my $pidfile = $n->dir . '/nginx.pid';
my $new_master;

kill 'USR2', $old_master;
ok wait_until(sub {
    my ($p) = (KotTest::_slurp($pidfile) // '') =~ /(\d+)/;
    $new_master = $p if $p && $p != $old_master;
    return $new_master && KotTest::_children($new_master) >= 2;
}, what => 'the new master and its workers'),
    'USR2 starts a new master with its workers';
ok -e "$pidfile.oldbin", 'the old master\'s pid file becomes nginx.pid.oldbin';

ok more_load('beside both masters'), 'both masters serve the load';
slow_now();
my $quit_at = time;
kill 'QUIT', $old_master;
ok wait_until(sub { !KotTest::_alive($old_master) }, timeout => 20,
              what => 'the old master to exit'),
    'the old master exits once its workers are done';
$n->{pid} = $new_master;
ok !-e "$pidfile.oldbin", 'and its pid file is gone';
ok more_load('after the upgrade'), 'the load goes on after the upgrade';

# the clients finish their last request and write it down
KotTest::_spew($stop, '');
ok wait_until(sub {
    !grep { (KotTest::_slurp("$dir/load$_.txt") // '') !~ /^done$/m } 1 .. 5
}, what => 'the clients to finish'), 'the clients finish';
$t->stop_extra(map { "load$_" } 1 .. 5);


# what the clients saw

my @all = answers();
my @wrong = grep { !$_->[3] } @all;
my %kinds;
$kinds{ $_->[0] }++ for @all;
diag join ', ', map { "$_: $kinds{$_}" } sort keys %kinds;
cmp_ok scalar @all, '>', 500, 'the clients made many requests';
is_deeply \@wrong, [], 'every request got its right answer (no reset, '
    . 'no 5xx, no wrong status or user)';
ok $kinds{login}, 'logins went on during the load';
ok scalar(grep { $_->[0] eq 'slow' && $_->[4] < $hup_at
                 && $_->[5] > $hup_at && $_->[3] } @all),
    'a slow request in flight at the reload was answered';
ok scalar(grep { $_->[0] eq 'slow' && $_->[4] < $quit_at
                 && $_->[5] > $quit_at && $_->[3] } @all),
    'a slow request in flight when the old master quit was answered';

for my $user (sort keys %before) {
    my $res = $before{$user}->get('/app/after');
    ok $res->{status} == 200 && $res->{content} =~ /user=\[$user\]/,
        "the session $user made before the reload still works";
}

my $elog = $n->error_log;
unlike $elog, qr/\[(alert|crit|emerg)\]/, 'nothing alarming in the error log';
unlike $elog, qr/exited on signal/, 'no worker crashed';


# the audit log: stopped, so that every chain ended

$n->stop;

my @records = $t->audit_records($log);
my %logged;
$logged{ $_->{'url.path'} }++
    for grep { ($_->{'event.action'} // '') eq 'request'
               && ($_->{'url.path'} // '') =~ m{^/(load|slow)/} } @records;
my @made = map { $_->[1] } grep { $_->[0] =~ /^(keepalive|new|slow)$/ } @all;
is scalar(keys %logged), scalar @made,
    'the audit log has a request record for every request made ('
    . scalar(@made) . ')';
is_deeply [ grep { !$logged{$_} } @made ], [], '  none missing';
is_deeply [ grep { $logged{$_} > 1 } sort keys %logged ], [],
    '  none twice';

my $r = $t->kotctl('audit', 'verify', '--auditor-private-key', $priv, $log);
is $r->{exit}, 0, 'kotctl audit verify passes across the reload and upgrade'
    or diag $r->{out} . $r->{err};
my %starts = map { $_->{'kot.chain'} => 1 }
             grep { ($_->{'event.action'} // '') eq 'chain_start' } @records;
cmp_ok scalar keys %starts, '>=', 6,
    'the log holds the chains of three generations of workers';


# a reload with kot_redis_sentinel: the new workers find the master
# through the sentinels and the sessions go on

my $s = KotTest->new(workers => 2);
$s->start_sentinels(replicas => 1, sentinels => 1);
my $site = KotTest->site;
my @sentinels = map { "127.0.0.1:$_" } $s->sentinel_ports;
$site =~ s{kot_redis %%REDIS%% timeout=1s;}
          {kot_redis_sentinel @sentinels master=kot timeout=1s;} or die;
my $sn = $s->nginx($site);
ok wait_until(sub { (() = $sn->error_log =~ /session cache on/g) >= 2 },
              what => 'the workers to reach the master'),
    'sentinel mode: both workers reach the master';
$s->add_user('acme', 'carol', 'long secret for c horse');
my $carol = $sn->ua;
is $carol->login(tenant => 'acme', username => 'carol',
                 password => 'long secret for c horse')->{status}, 303,
    'sentinel mode: carol logs in';

# Three clients, so that some request comes as soon as a new worker
# takes connections, before it has asked the sentinels anything.
my $sstop = $s->dir . '/stop';
my $sres = $s->dir . '/load';
for my $k (1 .. 3) {
    $s->fork_extra("sload$k", sub {
        open my $out, '>', "$sres$k.txt" or die;
        $out->autoflush(1);
        my $end = time + 60;
        while (time < $end && !-e $sstop) {
            my $res = $carol->get('/app');
            print {$out} $res->{status} == 200
                         && $res->{content} =~ /user=\[carol\]/ ? "ok\n"
                         : "bad $res->{status}\n";
        }
        print {$out} "done\n";
        POSIX::_exit(0);
    });
}
sub sanswers () {
    return grep { $_ ne 'done' }
           map { split /\n/, KotTest::_slurp("$sres$_.txt") // '' } 1 .. 3;
}

wait_until(sub { sanswers() >= 50 }, what => 'load in sentinel mode');
ok $sn->reload, 'sentinel mode: a reload under load';

# The sentinel slow to answer the new workers (stopped for 300 ms, well
# within timeout=1s): the requests they take meanwhile wait for it.
my $had = sanswers();
wait_until(sub { sanswers() >= $had + 50 }, what => 'load in sentinel mode');
my $sentinel = $s->{extra}{sentinel1};
kill 'STOP', $sentinel;
my $ok = $sn->reload;
Time::HiRes::sleep(0.3);
kill 'CONT', $sentinel;
ok $ok, 'sentinel mode: a reload under load while the sentinel is slow';

ok wait_until(sub { (() = $sn->error_log =~ /session cache on/g) >= 6 },
              what => 'the new workers to reach the master'),
    'sentinel mode: the new workers find the master through the sentinels';
$had = sanswers();
wait_until(sub { sanswers() >= $had + 50 }, what => 'load after the reload');
KotTest::_spew($sstop, '');
wait_until(sub {
    !grep { (KotTest::_slurp("$sres$_.txt") // '') !~ /^done$/m } 1 .. 3
}, what => 'the clients to finish');
$s->stop_extra(map { "sload$_" } 1 .. 3);
my @sall = sanswers();
is_deeply [ grep { $_ ne 'ok' } @sall ], [],
    'sentinel mode: every request got its right answer, none a 503 ('
    . scalar(@sall) . ')';
is $carol->get('/app')->{status}, 200,
    'sentinel mode: the session made before the reload still works';

done_testing;
