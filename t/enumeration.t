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
my $n = $t->nginx(KotTest->site =~ s/ln=10/ln=14/r);

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

# alternate, so that anything else the machine does hits both alike
my (%time, %pages);
attempt($_) for qw(alice nobody);        # warm up both paths
for (1 .. 200) {
    for my $user (qw(alice nobody)) {
        my ($took, $page) = attempt($user);
        push @{ $time{$user} }, $took;
        $pages{$user}{$page}++;
    }
}

is_deeply [ keys %{ $pages{alice} } ], [ keys %{ $pages{nobody} } ],
    'a known and an unknown user get the very same status and page';
is scalar(keys %{ $pages{alice} }), 1,
    'whether the account is merely wrong or locked by now';
like join('', keys %{ $pages{alice} }), qr/^401 /, 'which is a 401';

ok $t->redis('HGET', 'kot:v1:f:acme:alice', 'locks') >= 1,
    'the real account did get locked along the way';

my ($known, $unknown) = (median(@{ $time{alice} }),
                         median(@{ $time{nobody} }));
my $diff = abs($known - $unknown) / $unknown;

cmp_ok $diff, '<', 0.10,
    sprintf 'their median times are within 10%% (%.1f ms and %.1f ms)',
            $known * 1000, $unknown * 1000;

done_testing;
