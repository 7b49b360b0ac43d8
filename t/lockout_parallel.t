# 50 wrong passwords fired at once at two nginx nodes (two workers each)
# sharing one Redis: the account locks at exactly the threshold, once,
# and the count never exceeds the attempts that were counted.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;
use IO::Select;
use IO::Socket::IP;

my $t = KotTest->new(workers => 2);
my @nodes = map { $t->nginx(KotTest->site, name => $_) } qw(a b);

$t->add_user('acme', 'alice', 'correct horse battery');

# one form per node: the CSRF token is bound to the pre-login cookie,
# so every request of a node may carry the same pair
my @requests;
for my $node (@nodes) {
    my $ua = $node->ua;
    my $csrf = KotTest::UA::form_field($ua->get('/kot/login')->{content},
                                       'csrf');
    my $pre = $ua->cookie('kot_pre');

    for my $i (1 .. 25) {
        my $body = "csrf=$csrf&tenant=acme&username=alice&password=wrong$i";
        push @requests, [ $node->port,
            "POST /kot/login HTTP/1.1\r\nHost: x\r\nCookie: kot_pre=$pre\r\n"
            . "Content-Type: application/x-www-form-urlencoded\r\n"
            . 'Content-Length: ' . length($body) . "\r\n"
            . "Connection: close\r\n\r\n$body" ];
    }
}

# connect all, then send all, then read all
my @socks = map {
    IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => $_->[0])
        or die "connect: $@"
} @requests;
print { $socks[$_] } $requests[$_][1] for 0 .. $#socks;

my @status;
for my $s (@socks) {
    local $/;
    my $answer = <$s>;
    push @status, $answer =~ m{^HTTP/1.1 (\d+)} ? $1 : 0;
}

is scalar(grep { $_ == 401 } @status), 50, 'all 50 attempts fail with 401';

my %f = @{ $t->redis('HGETALL', 'kot:v1:f:acme:alice') };
is $f{locks}, 1, 'the account is locked once';
is $f{fails}, 10, 'at exactly the threshold of 10 counted failures';

my $log = join '', map { $_->error_log } @nodes;
my $locks = () = $log =~ /account locked: tenant "acme" user "alice"/g;
my $counted = () = $log =~ /user "alice": bad_password/g;
my $refused = () = $log =~ /user "alice": locked/g;
is $locks, 1, 'one lock is logged across both nodes';
is $counted, 10, '10 failures were counted';
is $refused, 40, 'the other 40 met a locked account';

is $nodes[1]->ua->login(tenant => 'acme', username => 'alice',
                        password => 'correct horse battery')->{status}, 401,
    'the lock holds on every node';

done_testing;
