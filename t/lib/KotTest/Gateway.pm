package KotTest::Gateway;

# Minimal FastCGI and uwsgi applications, in Perl core, for what nginx's
# fastcgi_pass and uwsgi_pass hand an application: each answers every
# request with its parameters (CGI variables), one "NAME=[value]" line
# each, sorted.  One request at a time, which is all the tests need.
#
#     KotTest::Gateway::start($t, fastcgi => "$dir/fcgi.sock");
#     KotTest::Gateway::start($t, uwsgi => "$dir/uwsgi.sock");

use strict;
use warnings;
use v5.36;

use IO::Socket::UNIX;
use Socket ();

sub start ($t, $protocol, $path) {
    unlink $path;
    my $listen = IO::Socket::UNIX->new(Type => Socket::SOCK_STREAM(),
                                       Local => $path, Listen => 16)
        or die "listen on $path: $!\n";
    chmod 0777, $path;

    my $serve = $protocol eq 'fastcgi' ? \&_fastcgi : \&_uwsgi;

    $t->fork_extra($protocol, sub {
        while (my $c = $listen->accept) {
            eval { $serve->($c) };
            close $c;
        }
    });

    close $listen;
}

sub _read ($c, $n) {
    my $buf = '';
    while (length $buf < $n) {
        my $got = sysread $c, $buf, $n - length $buf, length $buf;
        die "short read\n" unless $got;
    }
    return $buf;
}

sub _body (%params) {
    return join '', map { "$_=[$params{$_}]\n" } sort keys %params;
}

# FastCGI 1.0: records of (version, type, id, length, padding); the
# parameters are name-value pairs with 1- or 4-byte lengths.
sub _fastcgi ($c) {
    my ($params, $id) = ('', 1);

    while (1) {
        my ($ver, $type, $rid, $len, $pad) =
            unpack 'CCnnC', _read($c, 8);
        my $content = $len ? _read($c, $len) : '';
        _read($c, $pad) if $pad;
        $id = $rid;

        $params .= $content if $type == 4;          # FCGI_PARAMS
        last if $type == 5 && $len == 0;            # end of FCGI_STDIN
    }

    my %p;
    while (length $params) {
        my @len;
        for (1, 2) {
            my $b = unpack 'C', $params;
            if ($b & 0x80) {
                push @len, unpack('N', $params) & 0x7fffffff;
                substr $params, 0, 4, '';
            } else {
                push @len, $b;
                substr $params, 0, 1, '';
            }
        }
        my $name = substr $params, 0, $len[0], '';
        $p{$name} = substr $params, 0, $len[1], '';
    }

    my $out = "Content-Type: text/plain\r\n\r\n" . _body(%p);
    my $record = sub ($type, $data) {
        pack('CCnnCx', 1, $type, $id, length $data, 0) . $data;
    };

    syswrite $c, $record->(6, $out) . $record->(6, '')       # FCGI_STDOUT
        . $record->(3, pack('NCx3', 0, 0));                   # END_REQUEST
}

# uwsgi: a 4-byte header (modifier1, size, modifier2), then the
# variables with 2-byte little-endian lengths; the answer is plain HTTP.
sub _uwsgi ($c) {
    my ($m1, $size, $m2) = unpack 'CvC', _read($c, 4);
    my $vars = _read($c, $size);

    my %p;
    while (length $vars) {
        my $klen = unpack 'v', substr($vars, 0, 2, '');
        my $k = substr $vars, 0, $klen, '';
        my $vlen = unpack 'v', substr($vars, 0, 2, '');
        $p{$k} = substr $vars, 0, $vlen, '';
    }

    _read($c, $p{CONTENT_LENGTH}) if $p{CONTENT_LENGTH};

    syswrite $c, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n"
        . _body(%p);
}

1;
