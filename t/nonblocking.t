# A login hashes the password for a good fraction of a second (scrypt,
# ln=17 as in production).  That runs in a thread pool: the worker keeps
# serving other requests meanwhile.  One worker, so "other requests" are
# surely on the same event loop.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;
use IO::Select;
use IO::Socket::IP;

my $t = KotTest->new(workers => 1, scrypt_ln => 17);
my $n = $t->nginx(KotTest->site =~ s/ln=10/ln=17/r);

$t->add_user('acme', 'alice', 'correct horse battery');

my $ua = $n->ua;
my $form = $ua->get('/kot/login');
my $csrf = KotTest::UA::form_field($form->{content}, 'csrf');
my $pre = $ua->cookie('kot_pre');

my $body = "csrf=$csrf&tenant=acme&username=alice"
         . "&password=correct+horse+battery";

my $login = IO::Socket::IP->new(PeerHost => '127.0.0.1',
                                PeerPort => $n->port) or die $@;
print $login "POST /kot/login HTTP/1.1\r\nHost: x\r\n"
    . "Cookie: kot_pre=$pre\r\n"
    . "Content-Type: application/x-www-form-urlencoded\r\n"
    . 'Content-Length: ' . length($body) . "\r\n"
    . "Connection: close\r\n\r\n$body";

my $pending = IO::Select->new($login);
my $served = 0;

# other requests while the login is being verified
while (!$pending->can_read(0) && $served < 1000) {
    $served++ if $n->ua->get('/public/x')->{status} == 200;
}

cmp_ok $served, '>=', 3,
    "other requests are served while a login hashes ($served of them)";

local $/;
my $answer = <$login>;
like $answer, qr{^HTTP/1.1 303}, 'and the login itself succeeds';

done_testing;
