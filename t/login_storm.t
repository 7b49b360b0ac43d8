# A storm of logins whose clients give up and leave must not hold the
# hash queue: their queued hashes are dropped, and a real login that
# comes after the storm is answered about as fast as on a quiet day,
# not after the whole abandoned queue has been hashed.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;
use IO::Select;
use IO::Socket::IP;
use Time::HiRes ();

# One thread and a short queue: the storm fills it.  ln=15 takes a
# noticeable time per hash, so that a queue of them shows.
my $STORM = 16;

my $t = KotTest->new(workers => 1, scrypt_ln => 15);
my $n = $t->nginx(KotTest->site
        =~ s/kot_thread_pool kot_test/kot_thread_pool kot_storm/r
        =~ s/ln=10/ln=15/r,
    extra_main => "thread_pool kot_storm threads=1 max_queue=$STORM;");

$t->add_user('acme', 'alice', 'correct horse battery');

my $ua = $n->ua;
my $form = $ua->get('/kot/login');
my $csrf = KotTest::UA::form_field($form->{content}, 'csrf');
my $pre = $ua->cookie('kot_pre');

sub send_login ($user, $password) {
    my $body = "csrf=$csrf&tenant=acme&username=$user&password=$password";
    my $s = IO::Socket::IP->new(PeerHost => '127.0.0.1',
                                PeerPort => $n->port) or die $@;
    print $s "POST /kot/login HTTP/1.1\r\nHost: x\r\n"
        . "Cookie: kot_pre=$pre\r\n"
        . "Content-Type: application/x-www-form-urlencoded\r\n"
        . 'Content-Length: ' . length($body) . "\r\n"
        . "Connection: close\r\n\r\n$body";
    return $s;
}

# Seconds until the login on $s is answered, and its status line.
sub answer ($s, $t0, $limit) {
    my ($reply, $sel) = ('', IO::Select->new($s));
    wait_until(sub {
        while ($sel->can_read(0)) {
            sysread($s, $reply, 4096, length $reply) or last;
        }
        return $reply =~ /\r\n/;
    }, timeout => $limit, interval => 0.01, what => 'the login\'s answer');
    return (Time::HiRes::time() - $t0, $reply =~ /^(HTTP\S+ \d+)/);
}

# what one login costs when nobody else logs in
my $t0 = Time::HiRes::time();
my ($one, $status) = answer(send_login('alice', 'correct+horse+battery'),
                            $t0, 30);
like $status, qr/ 303$/, 'a login on a quiet server succeeds';

# the storm: wrong passwords of many users, from clients that leave at once
my @storm = map { send_login("user$_", 'guess') } 1 .. $STORM;
close $_ for @storm;

# the same event loop has read them all once it answers this
is $n->ua->get('/public/x')->{status}, 200, 'the site answers during the storm';

$t0 = Time::HiRes::time();
my $limit = 3 * $STORM * $one + 10;
(my $took, $status) = answer(send_login('alice', 'correct+horse+battery'),
                             $t0, $limit);

like $status, qr/ 303$/, 'a real login after the storm succeeds';
cmp_ok $took, '<', $STORM * $one / 2,
    sprintf('and is answered in %.2f s, not after the %d abandoned hashes '
            . '(%.2f s each)', $took, $STORM, $one);

like $n->error_log, qr/client prematurely closed connection/,
    'the clients that left are noticed';

done_testing;
