# No user enumeration: a wrong password for a real account, a locked
# account and a name that does not exist get the same status, the same
# page and, statistically, the same time.  The hash cost here is real
# enough (ln=14) that hashing dominates the time, as in production.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;
use Time::HiRes qw(time);

my $t = KotTest->new(scrypt_ln => 14);
my $n = $t->nginx(KotTest->site(
    http => 'kot_lockout threshold=5 window=15m duration=1h;'
) =~ s/ln=10/ln=14/r);

$t->add_user('acme', 'alice', 'correct horse battery');

my $ua = $n->ua;
my $csrf = KotTest::UA::form_field($ua->get('/kot/login')->{content},
                                   'csrf');

sub attempt ($user) {
    my $start = time;
    my $res = $ua->post_form('/kot/login', {
        csrf => $csrf, tenant => 'acme', username => $user,
        password => 'not the password' });
    my $took = time - $start;

    (my $page = $res->{content}) =~ s/(name="username"[^>]*?) value="[^"]*"//;
    return ($took, "$res->{status} $page");
}

sub median (@v) {
    @v = sort { $a <=> $b } @v;
    return @v % 2 ? $v[$#v / 2] : ($v[@v / 2 - 1] + $v[@v / 2]) / 2;
}

sub failures ($user) { "kot:v1:f:acme:$user" }

# $tries rounds of one attempt for each user, alternating, so that
# anything else the machine does hits both alike.  After each attempt,
# outside the timing, $after->($user) may look at or reset its failures.
# Returns { user => [ times ] } and { user => { page => count } }.
sub compare ($tries, $after, @users) {
    my (%time, %pages);
    for (1 .. $tries) {
        for my $user (@users) {
            my ($took, $page) = attempt($user);
            $after->($user);
            push @{ $time{$user} }, $took;
            $pages{$user}{$page}++;
        }
    }
    return (\%time, \%pages);
}

sub within_10_percent ($time, $one, $other, $what) {
    my ($ta, $tb) = map { median(@{ $time->{$_} }) } $one, $other;
    my $diff = abs($ta - $tb) / $tb;

    local $Test::Builder::Level = $Test::Builder::Level + 1;
    cmp_ok $diff, '<', 0.10,
        sprintf '%s: median times within 10%% (%.1f ms and %.1f ms)',
                $what, $ta * 1000, $tb * 1000;
}

# warm up both paths
attempt($_) for qw(alice nobody);
$t->redis('DEL', failures($_)) for qw(alice nobody);


# a wrong password against a name that does not exist
#
# Neither account may get locked here, or this would compare locked
# accounts: each failure is forgotten after it was counted.

my %counted;
my ($time, $pages) = compare(200, sub ($user) {
    $counted{$user}{ $t->redis('HGET', failures($user), 'fails') // 0 }++;
    $t->redis('DEL', failures($user));
}, qw(alice nobody));

is_deeply \%counted, { alice => { 1 => 200 }, nobody => { 1 => 200 } },
    'every try was counted as a first failure, so neither was ever locked';
is_deeply [ keys %{ $pages->{alice} } ], [ keys %{ $pages->{nobody} } ],
    'a known and an unknown user get the very same status and page';
is scalar(keys %{ $pages->{alice} }), 1, 'every time';
my ($page) = keys %{ $pages->{alice} };
like $page, qr/^401 /, 'which is a 401';
within_10_percent($time, 'alice', 'nobody',
                  'a wrong password and an unknown user');


# a locked account against a name that does not exist (fewer tries: the
# comparison above is the main one)

attempt('alice') for 1 .. 5;
is $t->redis('HGET', failures('alice'), 'locks'), 1,
    'five failures lock the real account (threshold=5)';
my $until = $t->redis('HGET', failures('alice'), 'until');

($time, $pages) = compare(100, sub ($user) {
    $t->redis('DEL', failures($user)) if $user eq 'nobody';
}, qw(alice nobody));

is $t->redis('HGET', failures('alice'), 'locks'), 1,
    'the account stayed locked throughout';
is $t->redis('HGET', failures('alice'), 'until'), $until,
    'by the same lock';
is_deeply [ keys %{ $pages->{alice} } ], [ $page ],
    'a locked account gets the page of a wrong password';
is_deeply [ keys %{ $pages->{nobody} } ], [ $page ],
    'and so does the unknown user';
within_10_percent($time, 'alice', 'nobody',
                  'a locked account and an unknown user');

done_testing;
