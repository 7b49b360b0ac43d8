package KotTest::Webhook;

# The receiver a customer would write for kotctl notify's webhooks: it
# checks the signature (X-Kot-Signature: t=<unix time>,v1=<hex
# HMAC-SHA256 of "t.body" under the key file's bytes>; a t more than 5
# minutes off is a replay) and keeps every request it got, in a file of
# its own, one line a request.
#
#     my $hook = KotTest::Webhook->start($t, 'receiver', $key);
#     $t->stop_extra('receiver');
#     KotTest::Webhook->start($t, 'receiver', $key, port => $hook->port);
#     my $hang = KotTest::Webhook->start($t, 'hang', $key,
#                                        answer => sub ($conn, $path) { });
#     $hook->port;
#     $hook->received;    # [check, path, signature, event, body, time]
#
# $key may also be a sub that answers the key for a request's path: a
# tenant's own webhook is signed with the tenant's key.

use strict;
use warnings;
use v5.36;

use Digest::SHA qw(hmac_sha256_hex);
use IO::Socket::INET;
use JSON::PP ();
use Time::HiRes ();

sub signature_ok ($key, $header, $body, $now = time) {
    my ($ts, $mac) = ($header // '') =~ /^t=(\d+),v1=([0-9a-f]{64})$/
        or return 0;
    return 0 if abs($now - $ts) > 300;
    return hmac_sha256_hex("$ts.$body", $key) eq $mac;
}

# 200 and the connection closed, as a receiver that took the event does
sub answer_ok ($conn, $path) {
    print $conn "HTTP/1.1 200 OK\r\n",
        "Content-Length: 0\r\nConnection: close\r\n\r\n";
    close $conn;
}

# A receiver in a process of $t's, on port (default a free one: give the
# port again to start it anew after stop_extra($name)); answer (default
# answer_ok) answers each request once it is written down.
sub start ($class, $t, $name, $key, %opt) {
    my $self = bless { port => $opt{port} // KotTest::free_port(),
                       file => $t->dir . "/$name.requests" }, $class;
    my $answer = $opt{answer} // \&answer_ok;
    my $key_for = ref $key eq 'CODE' ? $key : sub ($path) { $key };

    $t->fork_extra($name, sub {
        $SIG{PIPE} = 'IGNORE';
        my $srv = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
            LocalPort => $self->{port}, Listen => 8, ReuseAddr => 1)
            or die $!;
        my @held;
        while (my $c = $srv->accept) {
            local $/ = "\r\n";
            my ($path) = (<$c> // '') =~ /^POST (\S+)/ or next;
            my %h;
            while (my $l = <$c>) {
                last if $l eq "\r\n";
                $h{lc $1} = $2 if $l =~ /^([^:]+):\s*(.*?)\r\n$/;
            }
            read $c, my $body, $h{'content-length'} // 0;
            my $sig = $h{'x-kot-signature'} // '-';
            my $ok = signature_ok($key_for->($path), $sig, $body)
                     ? 'ok' : 'bad';
            open my $f, '>>', $self->{file} or die $!;
            syswrite $f, sprintf("%s %s %.3f %s %s\n", $ok, $path,
                                 Time::HiRes::time(), $sig, $body);
            close $f;
            # a connection that is not answered stays open
            push @held, $c;
            $answer->($c, $path);
        }
    });

    KotTest::wait_until(
        sub { IO::Socket::INET->new("127.0.0.1:$self->{port}") },
        what => "the webhook receiver $name");

    return $self;
}

sub port ($self) { $self->{port} }

sub received ($self) {
    open my $f, '<', $self->{file} or return ();
    return map { chomp; my @f = split / /, $_, 5;
                 [ @f[0, 1, 3], JSON::PP::decode_json($f[4]), $f[4], $f[2] ] }
           grep { /\n\z/ } <$f>;     # not a line still being written
}

1;
