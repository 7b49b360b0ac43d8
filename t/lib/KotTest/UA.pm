package KotTest::UA;

# A browser-like HTTP/1.1 client with a cookie jar, for one nginx
# instance.  Written on a raw socket rather than HTTP::Tiny: tests need
# to send any Host header, repeated headers and odd values, and to see
# every Set-Cookie as sent.  One connection per request ("Connection:
# close"), so a reload never meets a stale keep-alive connection.
#
# A response is { status, reason, headers, content }: header names are
# lowercase, a repeated header is an arrayref, and set-cookie is always
# an arrayref when present.  Status 599 means no (complete) response.

use strict;
use warnings;
use v5.36;

use IO::Select;
use IO::Socket::IP;
use Time::HiRes ();
use Time::Local ();


sub new {
    my ($class, %opt) = @_;
    return bless {
        host    => $opt{host} // '127.0.0.1',
        port    => $opt{port},
        timeout => $opt{timeout} // 30,
        jar     => [],      # [ name, value ] in order of creation
        raw     => [],      # Set-Cookie strings of the last response
    }, $class;
}


# ---------------------------------------------------------------------
# cookie jar
# ---------------------------------------------------------------------

sub cookie {
    my ($self, $name) = @_;
    for my $c (@{ $self->{jar} }) {
        return $c->[1] if $c->[0] eq $name;
    }
    return undef;
}


sub set_cookie {
    my ($self, $name, $value) = @_;
    for my $c (@{ $self->{jar} }) {
        if ($c->[0] eq $name) {
            $c->[1] = $value;
            return;
        }
    }
    push @{ $self->{jar} }, [ $name, $value ];
}


sub delete_cookie {
    my ($self, $name) = @_;
    $self->{jar} = [ grep { $_->[0] ne $name } @{ $self->{jar} } ];
}


sub clear_cookies {
    my ($self) = @_;
    $self->{jar} = [];
}


sub cookies_raw {
    my ($self) = @_;
    return [ @{ $self->{raw} } ];
}


my %month;
@month{qw(jan feb mar apr may jun jul aug sep oct nov dec)} = 0 .. 11;

# "Thu, 01 Jan 1970 00:00:00 GMT", also with dashes; undef if unparsed.
sub _http_date {
    my ($s) = @_;
    my ($d, $m, $y, $hh, $mm, $ss) =
        $s =~ /(\d{1,2})[ -]([a-z]{3})[ -](\d{2,4})\s+(\d+):(\d+):(\d+)/i
        or return undef;
    $m = $month{lc $m} // return undef;
    $y += $y < 70 ? 2000 : 1900 if $y < 100;
    return eval { Time::Local::timegm($ss, $mm, $hh, $d, $m, $y) };
}


# Domain and Path are ignored: one host, and the tests want to see every
# cookie.  Max-Age <= 0, or else Expires in the past, deletes.
sub _apply_set_cookie {
    my ($self, $line) = @_;

    my ($pair, @attrs) = split /;/, $line;
    my ($name, $value) = $pair =~ /^\s*([^=]*?)\s*=\s*(.*?)\s*$/ or return;
    return unless length $name;

    my ($max_age, $expires);
    for (@attrs) {
        my ($k, $v) = /^\s*([^=]*?)\s*(?:=\s*(.*?)\s*)?$/ or next;
        $k = lc $k;
        $max_age = $v if $k eq 'max-age' && defined $v;
        $expires = $v if $k eq 'expires' && defined $v;
    }

    my $delete;
    if (defined $max_age && $max_age =~ /^-?\d+$/) {
        $delete = $max_age <= 0;
    } elsif (defined $expires) {
        my $when = _http_date($expires);
        $delete = defined $when && $when <= time;
    }

    if ($delete) {
        $self->delete_cookie($name);
    } else {
        $self->set_cookie($name, $value);
    }
}


sub _cookie_header {
    my ($self) = @_;
    return join '; ', map { "$_->[0]=$_->[1]" } @{ $self->{jar} };
}


# ---------------------------------------------------------------------
# requests
# ---------------------------------------------------------------------

sub get {
    my ($self, $path, $headers) = @_;
    return $self->request('GET', $path, { headers => $headers // {} });
}


sub _urlencode {
    my ($s) = @_;
    utf8::encode($s) if utf8::is_utf8($s);
    $s =~ s/([^A-Za-z0-9\-._~ ])/sprintf '%%%02X', ord $1/ge;
    $s =~ tr/ /+/;
    return $s;
}


# Fields in sorted order, so that a request is the same on every run.
# An arrayref value gives the field once per element.
sub post_form {
    my ($self, $path, $fields, $headers) = @_;
    return $self->request('POST', $path, _form($fields, $headers));
}


# The same POST, on a connection of its own, returning the socket as
# soon as the request is sent: for requests still in flight while the
# test does something else (clients that leave, races).  status() reads
# the answer.
sub post_form_detached {
    my ($self, $path, $fields, $headers) = @_;
    return $self->request('POST', $path,
                          { %{ _form($fields, $headers) }, detach => 1 });
}


# The status code of the answer on a detached request's socket, once its
# status line came; undef if none came within $timeout seconds.
sub status {
    my ($s, $timeout) = @_;
    my ($data, $sel) = ('', IO::Select->new($s));
    my $deadline = Time::HiRes::time() + $timeout;
    while ($data !~ /\r\n/) {
        my $left = $deadline - Time::HiRes::time();
        last if $left <= 0 || !$sel->can_read($left);
        sysread($s, $data, 4096, length $data) or last;
    }
    return $data =~ m{^HTTP/\S+ (\d{3})} ? $1 : undef;
}


sub _form {
    my ($fields, $headers) = @_;

    my @pairs;
    for my $k (sort keys %{ $fields // {} }) {
        my $v = $fields->{$k};
        for my $one (ref $v eq 'ARRAY' ? @$v : $v) {
            push @pairs, _urlencode($k) . '=' . _urlencode($one // '');
        }
    }

    my %h = (%{ $headers // {} });
    $h{'Content-Type'} = 'application/x-www-form-urlencoded'
        unless grep { lc($_) eq 'content-type' } keys %h;

    return { headers => \%h, content => join '&', @pairs };
}


# $path is a path on this instance, or a full "http://host:port/path"
# (e.g. the instance's second port) sharing the same cookie jar.
sub _target {
    my ($self, $path) = @_;
    if ($path =~ m{^http://([^/:]+)(?::(\d+))?(/.*)?$}) {
        return ($1, $2 // 80, $3 // '/');
    }
    return ($self->{host}, $self->{port}, $path);
}


sub request {
    my ($self, $method, $path, $opt) = @_;
    $opt //= {};

    my ($host, $port, $uri) = $self->_target($path);
    my %given = %{ $opt->{headers} // {} };
    my %has = map { lc($_) => 1 } keys %given;
    my $body = $opt->{content};
    utf8::encode($body) if defined $body && utf8::is_utf8($body);

    # Headers of the caller win: an explicit Cookie replaces the jar.
    my @h;
    push @h, [ 'Host', "$host:$port" ] unless $has{host};
    push @h, [ 'User-Agent', 'KotTest' ] unless $has{'user-agent'};
    push @h, [ 'Connection', 'close' ] unless $has{connection};

    if (!$has{cookie} && @{ $self->{jar} }) {
        push @h, [ 'Cookie', $self->_cookie_header ];
    }

    if (!$has{'content-length'} && !$has{'transfer-encoding'}
        && (defined $body || $method =~ /^(?:POST|PUT|PATCH)$/))
    {
        push @h, [ 'Content-Length', length($body // '') ];
    }

    for my $k (sort keys %given) {
        my $v = $given{$k};
        push @h, [ $k, $_ ] for ref $v eq 'ARRAY' ? @$v : ($v);
    }

    my $req = "$method $uri HTTP/1.1\r\n"
        . join('', map { "$_->[0]: $_->[1]\r\n" } @h)
        . "\r\n" . ($body // '');

    if ($opt->{detach}) {
        my $s = IO::Socket::IP->new(PeerHost => $host, PeerPort => $port,
                                    Proto => 'tcp', Timeout => 5)
            or die "connect to $host:$port: $@\n";
        print {$s} $req or die "send to $host:$port: $!\n";
        return $s;
    }

    my ($data, $err) = _exchange($host, $port, $req, $self->{timeout});

    my $res = _parse_response($data, $method);
    if (!$res) {
        $self->{raw} = [];
        return {
            status  => 599,
            reason  => 'Internal Exception',
            headers => {},
            content => $err // 'incomplete response: ' . length($data)
                               . ' bytes',
        };
    }

    my $sc = $res->{headers}{'set-cookie'};
    $self->{raw} = [ ref $sc ? @$sc : defined $sc ? $sc : () ];
    $res->{headers}{'set-cookie'} = [ @{ $self->{raw} } ]
        if defined $sc;
    $self->_apply_set_cookie($_) for @{ $self->{raw} };

    return $res;
}


# Sends a request and reads until EOF or the timeout.  Returns the bytes
# read and an error message if any.  A server may close early (a 400 on
# a huge header): what it sent before is kept.
sub _exchange {
    my ($host, $port, $req, $timeout) = @_;

    my $s = IO::Socket::IP->new(
        PeerHost => $host,
        PeerPort => $port,
        Proto    => 'tcp',
        Timeout  => 5,
    ) or return ('', "connect to $host:$port: $@");

    local $SIG{PIPE} = 'IGNORE';
    $s->blocking(0);

    my $sel = IO::Select->new($s);
    my $deadline = Time::HiRes::time() + $timeout;
    my ($off, $data, $err) = (0, '', undef);

    # Reading while writing: nginx may answer before the whole request
    # is sent, and then stop reading.
    while (1) {
        my $left = $deadline - Time::HiRes::time();
        if ($left <= 0) {
            $err = 'timeout';
            last;
        }

        my $want_write = $off < length $req;
        my ($r, $w) = IO::Select->select($sel, $want_write ? $sel : undef,
                                         undef, $left);

        if ($w && @$w) {
            my $n = syswrite $s, $req, length($req) - $off, $off;
            if (defined $n) {
                $off += $n;
            } elsif (!$!{EAGAIN}) {
                $off = length $req;     # write side dead: just read
            }
        }

        if ($r && @$r) {
            my $n = sysread $s, $data, 65536, length $data;
            last if defined $n && $n == 0;
            if (!defined $n && !$!{EAGAIN}) {
                $err = "read: $!";
                last;
            }
        }
    }

    close $s;
    return ($data, $err);
}


# Parses a whole response (the connection was closed after it); undef if
# there is no complete one.
sub _parse_response {
    my ($data, $method) = @_;

    for (;;) {
        my $end = index $data, "\r\n\r\n";
        return undef if $end < 0;

        my $head = substr $data, 0, $end;
        my $rest = substr $data, $end + 4;

        my ($status_line, @lines) = split /\r\n/, $head;
        my ($status, $reason) =
            $status_line =~ m{^HTTP/\d\.\d\s+(\d{3})\s*(.*)$}
            or return undef;

        # Interim 1xx responses precede the real one.
        if ($status >= 100 && $status < 200) {
            $data = $rest;
            next;
        }

        my %h;
        for my $line (@lines) {
            my ($k, $v) = $line =~ /^([^:]+):\s*(.*?)\s*$/ or next;
            $k = lc $k;
            if (!exists $h{$k}) {
                $h{$k} = $v;
            } elsif (ref $h{$k}) {
                push @{ $h{$k} }, $v;
            } else {
                $h{$k} = [ $h{$k}, $v ];
            }
        }

        my $body = $rest;
        my $te = ref $h{'transfer-encoding'} ? '' : $h{'transfer-encoding'};
        my $cl = ref $h{'content-length'} ? undef : $h{'content-length'};

        if ($method eq 'HEAD' || $status == 204 || $status == 304) {
            $body = '';
        } elsif (defined $te && $te =~ /chunked/i) {
            $body = _dechunk($rest) // return undef;
        } elsif (defined $cl && $cl =~ /^\d+$/) {
            return undef if length $rest < $cl;
            $body = substr $rest, 0, $cl;
        }

        return {
            status  => $status + 0,
            reason  => $reason,
            headers => \%h,
            content => $body,
        };
    }
}


sub _dechunk {
    my ($s) = @_;
    my $out = '';
    for (;;) {
        $s =~ s/^([0-9a-fA-F]+)[^\r\n]*\r\n// or return undef;
        my $size = hex $1;
        if ($size == 0) {
            return $out;        # trailers, if any, are ignored
        }
        return undef if length $s < $size + 2;
        $out .= substr $s, 0, $size;
        substr($s, 0, $size + 2) = '';
    }
}


# Sends bytes as they are and returns whatever comes back before EOF or
# 5 seconds: for malformed and oversized requests.
sub raw {
    my ($self, $bytes) = @_;
    my ($data) = _exchange($self->{host}, $self->{port}, $bytes, 5);
    return $data;
}


# ---------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------

my %entity = (amp => '&', quot => '"', lt => '<', gt => '>', apos => "'");

sub _unescape {
    my ($s) = @_;
    $s =~ s{&(#[xX][0-9a-fA-F]+|#\d+|[a-zA-Z]+);}{
        my $e = $1;
        $e =~ /^#[xX](.+)/ ? chr hex $1
          : $e =~ /^#(\d+)/ ? chr $1
          : $entity{$e} // "&$e;"
    }ge;
    return $s;
}


# The value of <input name="$name" ...> in a page, attribute order and
# quoting independent, entities decoded; undef if there is no such input.
sub form_field {
    my ($html, $name) = @_;

    while ($html =~ /<input\b([^>]*)>/gi) {
        my $attrs = $1;
        my %a;
        while ($attrs =~ /([^\s=\/>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'
                          |([^\s"'>]+)))?/gx)
        {
            my $k = lc $1;
            next if exists $a{$k};
            my $v = $2 // $3 // $4;
            $a{$k} = defined $v ? _unescape($v) : '';
        }
        next unless defined $a{name} && $a{name} eq $name;
        return $a{value} // '';
    }

    return undef;
}



# Logs in the way a browser does: load the form (which sets the
# pre-login cookie and gives the CSRF token), then post it.  Returns the
# response to the POST.
sub login {
    my ($self, %f) = @_;

    my $path = $f{path} // '/kot/login';
    my $form = $self->get($path);
    my $csrf = form_field($form->{content}, 'csrf') // '';

    my %fields = (
        csrf     => $csrf,
        username => $f{username},
        password => $f{password},
    );
    $fields{tenant} = $f{tenant} if defined $f{tenant};
    $fields{return_to} = $f{return_to} if defined $f{return_to};

    return $self->post_form('/kot/login', \%fields);
}

1;
