package KotTest::Stream;

# Long-lived requests for tests, in Perl core: an application that
# speaks WebSocket (RFC 6455, text frames, echo) and server-sent events,
# and the clients of both.
#
#     my $port = KotTest::Stream::serve($t);       # a helper process
#     my $ws = KotTest::Stream::ws_open($n->port, '/ws/', $cookie);
#     KotTest::Stream::ws_send($ws, 'hi');
#     KotTest::Stream::ws_recv($ws, 2);            # 'echo: hi', or undef
#     my $es = KotTest::Stream::sse_open($n->port, '/events/', $cookie);
#     my $lp = KotTest::Stream::poll_open($n->port, '/poll/', $cookie);
#     KotTest::Stream::closed_within($es, 1);      # the server closed it
#
# ws_open and sse_open return the socket once the response head (101, or
# 200 with the first event) has come, or die with the status line.
# sse_first($es) is that first event's data line.

use strict;
use warnings;
use v5.36;

use Digest::SHA ();
use IO::Select;
use IO::Socket::IP;
use MIME::Base64 ();
use Time::HiRes ();

use KotTest;

my $GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC11B65';


# ---------------------------------------------------------------------
# the application
# ---------------------------------------------------------------------

# Starts it on a free port: /ws/... upgrades and echoes each text frame as
# "echo: <text>"; /events/... is a stream that sends "data: hello" (and
# the X-Kot-User it got) at once and "data: tick" every second; /poll/...
# is a long poll that is never answered; anything else gets "ok".
sub serve ($t) {
    my $port = KotTest::free_port();
    my $l = IO::Socket::IP->new(LocalHost => '127.0.0.1', LocalPort => $port,
                                Listen => 64, ReuseAddr => 1)
        or die "stream app: listen: $@\n";

    $t->fork_extra("stream-$port", sub { _loop($l) });
    close $l;

    KotTest::wait_until(sub { KotTest::_port_open($port) },
                        what => 'the stream application');
    return $port;
}


sub _loop ($l) {
    my $sel = IO::Select->new($l);
    my (%buf, %state);
    my $tick = Time::HiRes::time() + 1;

    $SIG{PIPE} = 'IGNORE';

    for (;;) {
        for my $s ($sel->can_read(0.2)) {
            if ($s == $l) {
                my $c = $l->accept or next;
                $sel->add($c);
                ($buf{$c}, $state{$c}) = ('', 'head');
                next;
            }

            my $n = sysread $s, $buf{$s}, 65536, length $buf{$s};

            if (!$n || !_serve_one($s, \$buf{$s}, \$state{$s})) {
                $sel->remove($s);
                delete $buf{$s}; delete $state{$s};
                close $s;
            }
        }

        next if Time::HiRes::time() < $tick;
        $tick += 1;

        for my $s ($sel->handles) {
            syswrite $s, "data: tick\n\n" if ($state{$s} // '') eq 'sse';
        }
    }
}

# What came on one connection; false when it is to be closed.
sub _serve_one ($s, $buf, $state) {
    if ($$state eq 'head') {
        my $end = index $$buf, "\r\n\r\n";
        return 1 if $end < 0;
        my $head = substr $$buf, 0, $end + 4, '';
        my ($path) = $head =~ m{^\w+ (\S+)};
        my ($key) = $head =~ /^Sec-WebSocket-Key:\s*(\S+)/mi;

        if ($path =~ m{^/ws/} && $key && $head =~ /^Upgrade:\s*websocket/mi) {
            my $accept = MIME::Base64::encode_base64(
                Digest::SHA::sha1($key . $GUID), '');
            syswrite $s, "HTTP/1.1 101 Switching Protocols\r\n"
                . "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                . "Sec-WebSocket-Accept: $accept\r\n\r\n";
            $$state = 'ws';
            return _serve_one($s, $buf, $state);
        }

        if ($path =~ m{^/events/}) {
            my ($user) = $head =~ /^X-Kot-User:[ \t]*(\S+)/mi;
            syswrite $s, "HTTP/1.1 200 OK\r\n"
                . "Content-Type: text/event-stream\r\n"
                . "Cache-Control: no-cache\r\nConnection: close\r\n\r\n"
                . "data: hello" . (defined $user ? " $user" : '') . "\n\n";
            $$state = 'sse';
            return 1;
        }

        if ($path =~ m{^/poll/}) {
            $$state = 'poll';
            return 1;
        }

        syswrite $s, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
            . "Content-Length: 3\r\nConnection: close\r\n\r\nok\n";
        return 0;
    }

    if ($$state eq 'ws') {
        while (defined(my $f = _frame($buf))) {
            my ($op, $data) = @$f;
            return 0 if $op == 8;
            syswrite $s, _frame_bytes(1, "echo: $data", 0) if $op == 1;
        }
    }

    return 1;
}


# ---------------------------------------------------------------------
# frames
# ---------------------------------------------------------------------

# One whole frame off the front of $$buf: [opcode, payload], or undef.
sub _frame ($buf) {
    return undef if length $$buf < 2;
    my ($b0, $b1) = unpack 'CC', $$buf;
    my ($len, $off) = ($b1 & 0x7f, 2);

    if ($len == 126) {
        return undef if length $$buf < 4;
        ($len, $off) = (unpack('x2 n', $$buf), 4);
    } elsif ($len == 127) {
        return undef if length $$buf < 10;
        ($len, $off) = (unpack('x2 Q>', $$buf), 10);
    }

    my $masked = $b1 & 0x80;
    my $mask = '';
    if ($masked) {
        return undef if length $$buf < $off + 4;
        $mask = substr $$buf, $off, 4;
        $off += 4;
    }

    return undef if length $$buf < $off + $len;
    my $data = substr $$buf, $off, $len;
    substr($$buf, 0, $off + $len) = '';
    $data ^.= substr($mask x (1 + int($len / 4)), 0, $len) if $masked;

    return [ $b0 & 0x0f, $data ];
}


sub _frame_bytes ($op, $data, $masked) {
    my $len = length $data;
    my $head = pack 'C', 0x80 | $op;
    my $m = $masked ? 0x80 : 0;

    $head .= $len < 126 ? pack('C', $m | $len)
           : $len < 65536 ? pack('Cn', $m | 126, $len)
           : pack('CQ>', $m | 127, $len);

    return $head . $data unless $masked;

    my $mask = pack 'N', int rand 2**32;
    return $head . $mask
        . ($data ^. substr($mask x (1 + int($len / 4)), 0, $len));
}


# ---------------------------------------------------------------------
# clients
# ---------------------------------------------------------------------

sub _connect ($port, $request) {
    my $s = IO::Socket::IP->new(PeerHost => '127.0.0.1', PeerPort => $port,
                                Proto => 'tcp', Timeout => 5)
        or die "connect: $@\n";
    local $SIG{PIPE} = 'IGNORE';
    syswrite $s, $request;
    return $s;
}


# Reads until $re matches what came; returns it all (undef on EOF/timeout).
sub _read_until ($s, $re, $timeout) {
    my $buf = '';
    my $sel = IO::Select->new($s);
    my $end = Time::HiRes::time() + $timeout;

    while ($buf !~ $re) {
        my $left = $end - Time::HiRes::time();
        return undef if $left <= 0 || !$sel->can_read($left);
        my $n = sysread $s, $buf, 65536, length $buf;
        return undef unless $n;
    }

    return $buf;
}


sub _cookie ($cookie) { defined $cookie ? "Cookie: $cookie\r\n" : '' }


sub ws_open ($port, $path, $cookie = undef) {
    my $key = MIME::Base64::encode_base64(
        pack('N4', map { int rand 2**32 } 1 .. 4), '');
    my $s = _connect($port, "GET $path HTTP/1.1\r\nHost: localhost\r\n"
        . "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        . "Sec-WebSocket-Key: $key\r\nSec-WebSocket-Version: 13\r\n"
        . _cookie($cookie) . "\r\n");

    my $head = _read_until($s, qr/\r\n\r\n/, 5)
        // die "ws_open $path: no response\n";
    my ($status) = $head =~ m{^HTTP/1\.1 (\d+)};
    die "ws_open $path: $status\n" unless $status == 101;

    ${*$s}{kot_buf} = substr $head, index($head, "\r\n\r\n") + 4;
    return $s;
}


sub ws_send ($s, $text) {
    local $SIG{PIPE} = 'IGNORE';
    return syswrite($s, _frame_bytes(1, $text, 1)) ? 1 : 0;
}


# The next text frame, or undef if none came within $timeout seconds.
sub ws_recv ($s, $timeout = 2) {
    my $buf = \${*$s}{kot_buf};
    $$buf //= '';
    my $sel = IO::Select->new($s);
    my $end = Time::HiRes::time() + $timeout;

    for (;;) {
        my $f = _frame($buf);
        return $f->[1] if $f && $f->[0] == 1;
        next if $f;
        my $left = $end - Time::HiRes::time();
        return undef if $left <= 0 || !$sel->can_read($left);
        my $n = sysread $s, $$buf, 65536, length $$buf;
        return undef unless $n;
    }
}


sub sse_open ($port, $path, $cookie = undef) {
    my $s = _connect($port, "GET $path HTTP/1.1\r\nHost: localhost\r\n"
        . "Accept: text/event-stream\r\n" . _cookie($cookie) . "\r\n");

    my $got = _read_until($s, qr/\r\n\r\n.*data: hello.*\n\n/s, 5)
        // die "sse_open $path: no response\n";
    my ($status) = $got =~ m{^HTTP/1\.1 (\d+)};
    die "sse_open $path: $status\n" unless $status == 200;

    ${*$s}{kot_first} = $got =~ /(data: hello[^\n]*)/ ? $1 : '';
    return $s;
}


sub sse_first ($s) { ${*$s}{kot_first} }


# A long poll, sent: its socket.
sub poll_open ($port, $path, $cookie = undef) {
    return _connect($port, "GET $path HTTP/1.1\r\nHost: localhost\r\n"
        . _cookie($cookie) . "\r\n");
}


# Whether the other end closed the connection within $timeout seconds
# (anything that still comes is read and dropped).
sub closed_within ($s, $timeout) {
    my $sel = IO::Select->new($s);
    my $end = Time::HiRes::time() + $timeout;

    # looks once more when the time is up: a close that came meanwhile
    # counts, though another wait took the time
    for (;;) {
        my $left = $end - Time::HiRes::time();
        if (!$sel->can_read($left > 0 ? $left : 0)) {
            return 0 if $left <= 0;
            next;
        }
        my $n = sysread $s, my $junk, 65536;
        return 1 if !$n;
        return 0 if $left <= 0;
    }
}

1;
