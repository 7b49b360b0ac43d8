# Sentinels reached over a unix socket or IPv6 ([::1]:port), by nginx's
# kot_redis_sentinel and kotctl's --sentinel; addresses that cannot work
# fail nginx -t, naming the directive; sentinels that refuse at once
# (a socket gone) are skipped.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;
use IO::Socket::IP;

my $ipv6 = IO::Socket::IP->new(LocalHost => '::1', LocalPort => 0,
                               Listen => 1);
close $ipv6 if $ipv6;

my $t = KotTest->new(workers => 1);
$t->start_sentinels(replicas => 1, sentinels => 2, unix => 1,
                    ipv6 => !!$ipv6);

my $sock = $t->sentinel_socket(1);
my $port6 = ($t->sentinel_ports)[1];

sub sentinel_site ($line) { KotTest->sentinel_site($line) }


# nginx -t

my ($rc, $out) = $t->nginx_check(sentinel_site(
    'kot_redis_sentinel unix:run/sentinel.sock master=kot;'));
isnt $rc, 0, 'a relative socket path fails nginx -t';
my $absolute = 'a socket path must be absolute';
like $out, qr/kot_redis_sentinel "unix:run\/sentinel\.sock": $absolute/,
    '  naming the directive and the address';

($rc, $out) = $t->nginx_check(sentinel_site(
    'kot_redis_sentinel unix:/' . ('s' x 120) . ' master=kot;'));
isnt $rc, 0, 'a socket path too long for connect() fails nginx -t';
like $out, qr/kot_redis_sentinel "unix:\/s+": .*shorter than 108 bytes/,
    '  saying how long it may be';

($rc, $out) = $t->nginx_check(sentinel_site(
    'kot_redis_sentinel [::1] master=kot;'));
isnt $rc, 0, 'an IPv6 sentinel without a port fails nginx -t';
like $out, qr/kot_redis_sentinel "\[::1\]" is not an address: use "IP:PORT"/,
    '  asking for one';

($rc, $out) = $t->nginx_check(sentinel_site(
    "kot_redis_sentinel unix:$sock [::1]:26379 master=kot;"));
is $rc, 0, 'a socket and an IPv6 sentinel pass nginx -t' or diag $out;


# up through each kind of address alone

$t->add_user('acme', 'alice', 'correct horse battery');

sub works_through ($addr, $name) {
    my $n = $t->nginx(sentinel_site(
        "kot_redis_sentinel $addr master=kot timeout=1s;"), name => $name);

    ok wait_until(sub { $n->error_log =~ /session cache on/ },
                  what => "the worker to reach the master through $addr"),
        "nginx finds the master through the sentinel at $addr";
    like $n->error_log,
        qr/master "kot" is at "[^"]+" \(sentinel at "\Q$addr\E"\)/,
        '  and says which sentinel told it';
    my $ua = $n->ua;
    is $ua->login(tenant => 'acme', username => 'alice',
                  password => 'correct horse battery')->{status}, 303,
        '  a login works';
    like $ua->get('/app')->{content}, qr/user=\[alice\]/,
        '  and the session';
    unlike $n->error_log, qr/\[(alert|crit|emerg)\]/,
        '  nothing alarming logged';
    $n->stop;

    my $r = $t->_run([ "$KotTest::REPO/build/kotctl", '--sentinel', $addr,
        '--master', 'kot', '--secret-file', $t->secret_file, 'tenant',
        'list' ]);
    is $r->{exit}, 0, "kotctl --sentinel $addr finds the master"
        or diag $r->{err};
    like $r->{out}, qr/acme/, '  and reads from it';
}

works_through("unix:$sock", 'unix');

SKIP: {
    skip 'no IPv6 loopback on this machine (cannot listen on ::1)', 7
        unless $ipv6;
    works_through("[::1]:$port6", 'ipv6');
}


# A sentinel whose socket is gone refuses at once, inside connect():
# each worker must go on to the next sentinel, as it does when one
# refuses later.  Seven dead sockets and one live sentinel: a worker that
# kept retrying the one it drew first would almost surely never find the
# master.

my @dead = map { 'unix:' . $t->dir . "/gone$_.sock" } 1 .. 7;
my $n = $t->nginx(sentinel_site(
    "kot_redis_sentinel @dead unix:$sock master=kot timeout=1s;"),
    name => 'dead', workers => 2);

ok wait_until(sub { my @on = $n->error_log =~ /session cache on/g;
                   @on >= 2 },
              what => 'both workers to pass the dead sentinels'),
    'every worker skips sentinels that refuse at once';
my $ua = $n->ua;
is $ua->login(tenant => 'acme', username => 'alice',
              password => 'correct horse battery')->{status}, 303,
    '  a login works';
$n->stop;

done_testing;
