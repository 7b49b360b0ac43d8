# A Redis failure that every request meets (Redis down, full, a replica
# refusing writes) is in the error log as it starts and then at most
# once a second per worker, with how many requests it also refused
# meanwhile: a busy site does not write one line per request for as long
# as the failure lasts.  Every request still gets its 503, and every one
# is counted in kot_status's Redis errors.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;
use Time::HiRes qw(time);

my $t = KotTest->new(workers => 2);
my $n = $t->nginx(KotTest->site);

$t->add_user('acme', 'alice', 'correct horse battery');
my %alice = (tenant => 'acme', username => 'alice',
             password => 'correct horse battery');

is $n->ua->login(%alice)->{status}, 303, 'alice logs in';

# $count requests, all 503; the lines of the error log meanwhile that
# match $re, and how long it took
sub storm ($what, $count, $re) {
    my $off = length $n->error_log;
    my $start = time;
    my @status = map { $n->ua->login(%alice)->{status} } 1 .. $count;
    my $took = time - $start;
    is_deeply [ grep { $_ != 503 } @status ], [],
        "$what: each of $count logins is 503";
    my @lines = grep { /$re/ } split /\n/, substr $n->error_log, $off;
    # the first of each worker, then one a second at most
    my $most = 2 * (1 + int $took) + 2;
    cmp_ok scalar @lines, '<=', $most,
        sprintf('%s: %d lines for %d requests in %.1f s', $what,
                scalar @lines, $count, $took);
    cmp_ok scalar @lines, '>=', 1, "$what: said at once";
    return @lines;
}

# full
$t->redis('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
$t->redis('CONFIG', 'SET', 'maxmemory', 1);
storm('Redis full', 200, qr/kot: redis error: OOM/);
my @more = storm('still full', 200, qr/kot: redis error: OOM/);
like "@more", qr/\(and \d+ more within \d+ ms, not logged\)/,
    'a later line says how many it stands for';
$t->redis('CONFIG', 'SET', 'maxmemory', 0);
ok wait_until(sub { $n->ua->login(%alice)->{status} == 303 }),
    'with memory again, logins work';

# down
$t->stop_redis(save => 1);
storm('Redis down', 200, qr/kot: redis at "[^"]+" is unavailable/);
$t->start_redis;
ok wait_until(sub { $n->ua->login(%alice)->{status} == 303 }),
    'with Redis back, logins work';

done_testing;
