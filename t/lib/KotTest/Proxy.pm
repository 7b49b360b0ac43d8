package KotTest::Proxy;

# A TCP proxy for tests, in Perl core, between nginx and Redis: it tells
# the connections apart by a name the client sends (by default the one
# of CLIENT SETNAME, kot-data-PID or kot-sub-PID: "data" or "sub"), and
# on the test's word holds back the server's bytes to those of a name,
# lets them go on, or cuts them.  So a test can have a reply arrive late,
# after some other connection is gone.
#
#     my $p = KotTest::Proxy->start($t, 'proxy', $redis_port);
#     $p->port;             # where nginx goes: kot_redis 127.0.0.1:PORT
#     $p->hold('data');     # Redis's bytes to "data" connections wait here,
#                           # also those of connections made from now on
#     $p->release('data');  # and go on, in their order
#     $p->cut('sub');       # "sub" connections closed at both ends; the
#                           # number closed
#     $p->seen('sub');      # how many "sub" connections there have been
#
# start(..., name => qr/.../): the first capture of the first match in
# what a client sent (its first 4 kB) names the connection.  Bytes from
# the server before a name is known pass.  Each call returns once the
# proxy has done it.

use strict;
use warnings;
use v5.36;

use IO::Select;
use IO::Socket::INET;

sub start ($class, $t, $name, $to, %o) {
    my $re = $o{name} // qr/kot-([a-z]+)-\d+/;

    my @listen = map {
        IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                              Listen => 64, ReuseAddr => 1)
            or die "proxy: listen: $@\n"
    } 1 .. 2;

    $t->fork_extra($name, sub { _serve(@listen, $to, $re) });

    my $self = bless { port => $listen[0]->sockport,
                       control => $listen[1]->sockport }, $class;
    close $_ for @listen;

    return $self;
}

sub port ($self) { $self->{port} }

sub hold ($self, $name) { $self->_ask("hold $name") }
sub release ($self, $name) { $self->_ask("release $name") }
sub cut ($self, $name) { $self->_ask("cut $name") }
sub seen ($self, $name) { $self->_ask("seen $name") }


# One command on a connection of its own; its answer is "ok N".
sub _ask ($self, $line) {
    my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $self->{control},
                                  Timeout => 5)
        or die "proxy: cannot reach its control port: $@\n";
    print {$c} "$line\n";
    my $answer = <$c> // '';
    close $c;
    $answer =~ /^ok (\d+)$/ or die "proxy: $line: '$answer'\n";
    return $1;
}


# ---------------------------------------------------------------------
# the proxy process
# ---------------------------------------------------------------------

sub _serve ($listen, $control, $to, $re) {
    my (%pair, %held, %seen);       # socket => connection, name => ...
    my $sel = IO::Select->new($listen, $control);

    my $close = sub ($conn) {
        for my $s ($conn->{client}, $conn->{server}) {
            $sel->remove($s);
            delete $pair{$s};
            close $s;
        }
    };

    my $send = sub ($s, $data) {
        my $off = 0;
        while ($off < length $data) {
            my $n = syswrite $s, $data, length($data) - $off, $off;
            return 0 unless $n;
            $off += $n;
        }
        return 1;
    };

    my %do = (
        hold => sub ($name) { $held{$name} = 1; 1 },
        release => sub ($name) {
            delete $held{$name};
            my $n = 0;
            for my $conn (_named(\%pair, $name)) {
                $n++;
                $send->($conn->{client}, delete $conn->{held} // '')
                    or $close->($conn);
            }
            $n;
        },
        cut => sub ($name) {
            my @conns = _named(\%pair, $name);
            $close->($_) for @conns;
            scalar @conns;
        },
        seen => sub ($name) { $seen{$name} // 0 },
    );

    local $SIG{PIPE} = 'IGNORE';

    for (;;) {
        for my $s ($sel->can_read) {
            if ($s == $listen) {
                my $client = $listen->accept or next;
                my $server = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                                   PeerPort => $to);
                if (!$server) {
                    close $client;
                    next;
                }
                my $conn = { client => $client, server => $server,
                             head => '' };
                $pair{$client} = $pair{$server} = $conn;
                $sel->add($client, $server);

            } elsif ($s == $control) {
                my $c = $control->accept or next;
                my $line = <$c> // '';
                my ($cmd, $name) = $line =~ /^(\w+) (\w+)$/;
                print {$c} $cmd && $do{$cmd}
                           ? 'ok ' . $do{$cmd}->($name) . "\n"
                           : "unknown command\n";
                close $c;

            } elsif (my $conn = $pair{$s}) {
                my $n = sysread $s, my $data, 65536;

                if (!$n) {
                    $close->($conn);

                } elsif ($s == $conn->{client}) {
                    if (!defined $conn->{name}
                        && length $conn->{head} < 4096)
                    {
                        $conn->{head} .= $data;
                        if ($conn->{head} =~ $re) {
                            $conn->{name} = $1;
                            $seen{$1}++;
                        }
                    }
                    $send->($conn->{server}, $data) or $close->($conn);

                } elsif (defined $conn->{name} && $held{ $conn->{name} }) {
                    $conn->{held} .= $data;

                } else {
                    $send->($conn->{client}, $data) or $close->($conn);
                }
            }
        }
    }
}


# The open connections of a name, each once.
sub _named ($pair, $name) {
    my %conns = map { $_->{client} => $_ }
                grep { ($_->{name} // '') eq $name } values %$pair;
    return values %conns;
}


1;
