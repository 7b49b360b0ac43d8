# A password given to the admin API in a JSON body leaves no copy in
# the worker's memory once the call is answered: not in the body's
# buffers, and not in what jansson parsed it into and freed.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use KotTest::Admin;
use Test::More;
use Time::HiRes qw(time);

my $t = KotTest->new(workers => 1);
my $n = $t->nginx(KotTest::Admin->site);

my $PW = 'correct horse battery';
$t->add_user('acme', 'alice', $PW, roles => ['admin', 'user']);
my $alice = KotTest::Admin->login($n, 'acme', 'alice', $PW);

# Long, so that what the allocator writes into a freed block (its first
# 16 bytes) leaves the tail, which is what the search looks for.
my $mark = sprintf '%09d', int rand 1e9;
my $secret = "a password long enough to outlast the free list $mark";

for my $i (1 .. 8) {
    is $alice->call(POST => 'tenants/acme/users',
                    { username => "user$i", roles => ['user'],
                      password => "$secret-$i" })->{status}, 201,
        "user$i is added with a password given";
}

# The worker's writable memory, as root can read it.
sub copies ($pid) {
    no warnings 'portable';
    open my $maps, '<', "/proc/$pid/maps" or die "maps: $!";
    open my $mem, '<:raw', "/proc/$pid/mem" or die "mem: $!";
    my ($found, $scanned) = (0, 0);
    while (<$maps>) {
        my ($from, $to, $perm) = /^([0-9a-f]+)-([0-9a-f]+) (\S+)/ or next;
        next unless $perm =~ /^rw/;
        my $len = hex($to) - hex($from);
        next if $len > 256 * 1024 * 1024;
        sysseek($mem, hex $from, 0) or next;
        defined sysread($mem, my $buf, $len) or next;
        $scanned += length $buf;
        $found++ while $buf =~ /$mark-\d/g;
    }
    return ($found, $scanned);
}

# The worker wipes a request's copies when it frees the request, just
# after its answer has left: on a busy machine the search can come
# first, so it looks again until none is found or 5 s have passed.
my ($worker) = $n->worker_pids;
my $deadline = time + 5;
my ($found, $scanned);
do {
    ($found, $scanned) = copies($worker);
} while ($found && time < $deadline);
cmp_ok $scanned, '>', 1024 * 1024, 'the worker\'s memory can be searched';
is $found, 0, 'no copy of the passwords is left in it';

done_testing;
