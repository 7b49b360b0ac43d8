# TLS 1.3 early data (0-RTT) has no protection against replay: whoever
# captured a client's first flight can send it again.  With nginx's
# "ssl_early_data on", everything of ngx_kot that changes something (the
# portal's forms, the admin API's writes, and the application's unsafe
# methods under "kot on") answers 425 Too Early when it came in early
# data, so a replayed login, logout, password change or admin call
# changes nothing; a browser sends it again after the handshake.  GET
# and HEAD still go in 0-RTT.  The same over HTTP/2, which nginx 1.22
# takes in early data too.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use KotTest::Admin;
use Test::More;
use IO::Select;
use IO::Socket::IP;
use POSIX ();
use Time::HiRes qw(time);

my $t = KotTest->new;
my ($crt, $key) = $t->tls_cert;
my (undef, $pub) = $t->auditor_keys;
my $log = $t->dir . '/a/audit.log';

# The front server logs to its own file: access.log then lists only what
# reached the application.
my $site = KotTest::Admin->site(
    http => "kot_audit_log %%DIR%%/audit.log flush=100ms;\n"
          . "    kot_audit_auditor_key $pub;",
    server => "        access_log %%DIR%%/front.log;\n")
    =~ s/kot_insecure_cookie on;//r;
$site =~ s{listen 127.0.0.1:%%PORT%%;}
          {listen 127.0.0.1:%%PORT%% ssl;
        listen 127.0.0.1:%%PORT2%% ssl http2;
        ssl_protocols TLSv1.3;
        ssl_early_data on;
        ssl_certificate $crt;
        ssl_certificate_key $key;};
my $n = $t->nginx($site);

my $PW = 'correct horse battery';
$t->add_user('ops', 'root', $PW, roles => ['admin']);
$t->add_user('acme', 'alice', $PW);

my $host = '127.0.0.1:' . $n->port;
my $base = "https://$host";

# A replay: the client's first flight (ClientHello and early data) sent
# again by whoever captured it, who can never finish the handshake.  A
# real client's Finished can reach a busy nginx before it reads the
# request, and the request then is no early data any more; so this proxy
# holds back what the client sends after the server first spoke until
# the server spoke again (its answer) or 5 s passed.
# One for each port of nginx: HTTP/1.1, and HTTP/2 (port2).
sub replay_proxy ($name, $to) {
    my $port = KotTest::free_port();
    my $listen = IO::Socket::IP->new(LocalHost => '127.0.0.1',
                                     LocalPort => $port, Listen => 16,
                                     ReuseAddr => 1)
        or die "listen on $port: $@\n";
    $t->fork_extra($name, sub {
        while (my $c = $listen->accept) {
            my $s = IO::Socket::IP->new(PeerHost => '127.0.0.1',
                                        PeerPort => $to);
            hold_finished($c, $s) if $s;
            close $c;
        }
    });
    close $listen;
    return $port;
}

my $replay = replay_proxy('replay', $n->port);
my $replay2 = replay_proxy('replay2', $n->port2);

sub hold_finished ($c, $s) {
    my ($spoke, $held, $until) = (0, '', 0);
    my $sel = IO::Select->new($c, $s);

    while (1) {
        if ($spoke == 1 && time >= $until) {
            $spoke = 2;
        }
        if ($spoke == 2 && length $held) {
            syswrite $s, $held;
            $held = '';
        }
        for my $h ($sel->can_read(0.05)) {
            my $got = sysread $h, my $buf, 65536;
            return unless $got;
            if ($h == $s) {
                syswrite $c, $buf;
                $spoke = $spoke ? 2 : 1;
                $until = time + 5 if $spoke == 1;
            } elsif ($spoke) {
                $held .= $buf;
            } else {
                syswrite $s, $buf;
            }
        }
    }
}

sub curl ($jar, @args) { $t->curl($jar, @args) }

sub records ($action) { $t->audit_records($log, $action) }

# The value of a cookie in a curl jar.
sub jar_cookie ($jar, $name) {
    open my $fh, '<', $jar or return undef;
    for (<$fh>) {
        my @f = split /\t/;
        chomp $f[6] if @f > 6;
        return $f[6] if @f > 6 && $f[5] eq $name;
    }
    return undef;
}

# A raw HTTP/1.1 request, as a browser would send it.
sub request ($method, $path, %o) {
    my $body = $o{body} // '';
    my @h = ("$method $path HTTP/1.1", "Host: $host", 'Connection: close');
    push @h, "Cookie: $o{cookie}" if $o{cookie};
    push @h, "$_: $o{headers}{$_}" for sort keys %{ $o{headers} // {} };
    if (length $body || $method ne 'GET') {
        push @h, 'Content-Type: '
                 . ($o{type} // 'application/x-www-form-urlencoded'),
                 'Content-Length: ' . length $body;
    }
    return join("\r\n", @h) . "\r\n\r\n" . $body;
}

# Sends a request with openssl s_client: in early data, on a session
# resumed from a connection just before, or after a full handshake.
# Returns the server's answer, and whether early data was accepted.
my $seq = 0;
sub send_tls ($req, %o) {
    my $dir = $t->dir;
    my @s_client = ('timeout', '20', 'openssl', 's_client', '-connect',
                    $host, '-tls1_3', '-ign_eof');
    my $r;

    if ($o{early}) {
        my $sess = "$dir/sess" . ++$seq . '.pem';
        $r = $t->_run([ @s_client, '-sess_out', $sess ],
                      stdin => request('GET', '/public/ticket'), merge => 1);
        die "no session ticket: $r->{out}" unless -s $sess;

        my $file = "$dir/early$seq.txt";
        KotTest::_spew($file, $req);
        $r = $t->_run([ @s_client, '-sess_in', $sess, '-early_data', $file,
                        '-connect', "127.0.0.1:$replay" ], merge => 1);
    } else {
        $r = $t->_run([ @s_client ], stdin => $req, merge => 1);
    }

    my ($answer) = $r->{out} =~ /(HTTP\/1\.1 \d{3}.*)\z/s;
    return ($answer // "no answer: $r->{out}",
            $r->{out} =~ /^Early data was accepted/m ? 1 : 0);
}

sub reached ($path) {
    return $n->access_log =~ /\Q$path\E/;
}


# a login

my $jar = $t->dir . '/alice.jar';
my ($csrf) = curl($jar, "$base/kot/login") =~ /name="csrf" value="([^"]+)"/;
my $pre = jar_cookie($jar, '__Host-kot_pre');
ok $csrf && $pre, 'the login form and its pre-login cookie';

my $login = request('POST', '/kot/login', cookie => "__Host-kot_pre=$pre",
                    body => "csrf=$csrf&tenant=acme&username=alice"
                          . '&password=correct+horse+battery');

my ($res, $early) = send_tls($login, early => 1);
ok $early, 'the server takes early data';
like $res, qr{^HTTP/1.1 425 Too Early\r$}m,
    'a login posted in early data gets 425 Too Early';
like $res, qr/^\{"error":"too_early"/m, 'with JSON that says why';
unlike $res, qr/^Set-Cookie: __Host-kot_session=/m, 'and no session';

($res) = send_tls($login);
like $res, qr{^HTTP/1.1 303}m,
    'the same login after the handshake succeeds, as a browser retries it';
my ($session) = $res =~ /^Set-Cookie: (__Host-kot_session=[\w-]+)/m;
ok $session, 'with a session';


# the application

($res, $early) = send_tls(request('GET', '/app/early', cookie => $session),
                          early => 1);
ok $early, 'a GET of the application goes in early data';
like $res, qr/user=\[alice\]/, 'and is answered';

($res) = send_tls(request('POST', '/app/replayed', cookie => $session,
                          body => 'pay=100'), early => 1);
like $res, qr{^HTTP/1.1 425 Too Early\r$}m,
    'a POST to a "kot on" location in early data gets 425';
ok !reached('/app/replayed'), 'and never reaches the application';

($res) = send_tls(request('POST', '/app/replayed', cookie => $session,
                          body => 'pay=100'));
like $res, qr/user=\[alice\]/, 'the same POST after the handshake passes';


# the portal's other forms

for my $page (qw(login/code password mfa sessions logout)) {
    ($res) = send_tls(request('POST', "/kot/$page", cookie => $session,
                              body => 'csrf=x'), early => 1);
    like $res, qr{^HTTP/1.1 425 Too Early\r$}m,
        "a POST to /kot/$page in early data gets 425";
}

my ($pwcsrf) = curl($jar, '-H', "Cookie: $session", "$base/kot/password")
               =~ /name="csrf" value="([^"]+)"/;
($res) = send_tls(request('POST', '/kot/password', cookie => $session,
                          body => "csrf=$pwcsrf&current_password="
                                . 'correct+horse+battery&new_password='
                                . 'a+much+newer+password&confirm_password='
                                . 'a+much+newer+password'), early => 1);
like $res, qr{^HTTP/1.1 425}m, 'a whole password change in early data: 425';

my ($lcsrf) = curl($jar, '-H', "Cookie: $session", "$base/kot/logout")
              =~ /name="csrf" value="([^"]+)"/;
my $logout = request('POST', '/kot/logout', cookie => $session,
                     body => "csrf=$lcsrf");
($res) = send_tls($logout, early => 1);
like $res, qr{^HTTP/1.1 425}m, 'so is a logout';

like curl($jar, '-H', "Cookie: $session", "$base/app/after"),
    qr/user=\[alice\]/, 'the session lives on, as if neither was sent';

my $old = $t->dir . '/old.jar';
($csrf) = curl($old, "$base/kot/login") =~ /name="csrf" value="([^"]+)"/;
like curl($old, '--data', "csrf=$csrf&tenant=acme&username=alice"
          . '&password=correct+horse+battery', "$base/kot/login"),
    qr{^HTTP/1.1 303}m, 'and the old password still logs in';

($res) = send_tls($logout);
like $res, qr{^HTTP/1.1 303}m, 'the logout after the handshake works';
unlike curl($jar, '-H', "Cookie: $session", "$base/app/gone"),
    qr/user=\[alice\]/, 'and ends the session';


# the admin API

my $rjar = $t->dir . '/root.jar';
($csrf) = curl($rjar, "$base/kot/login") =~ /name="csrf" value="([^"]+)"/;
curl($rjar, '--data', "csrf=$csrf&tenant=ops&username=root"
     . '&password=correct+horse+battery', "$base/kot/login");
my $api = $KotTest::Admin::PREFIX;
my ($acsrf) = curl($rjar, "$base${api}session") =~ /"csrf":"([\w-]+)"/;
my $root = '__Host-kot_session=' . jar_cookie($rjar, '__Host-kot_session');
ok $acsrf, 'an admin has a session of the admin API';

my $create = request('POST', "${api}tenants", cookie => $root,
                     headers => { 'X-Kot-CSRF' => $acsrf },
                     type => 'application/json',
                     body => '{"name":"globex"}');
($res) = send_tls($create, early => 1);
like $res, qr{^HTTP/1.1 425 Too Early\r$}m,
    'an admin API write in early data gets 425';
like curl($rjar, "$base${api}tenants/globex"), qr{^HTTP/1.1 404}m,
    'and changes nothing';

($res, $early) = send_tls(request('GET', "${api}tenants", cookie => $root),
                          early => 1);
ok $early, 'while a GET of the API goes in early data';
like $res, qr{^HTTP/1.1 200}m, 'and is answered';

($res) = send_tls($create);
like $res, qr{^HTTP/1.1 201}m, 'the same write after the handshake works';


# HTTP/2 (ALPN h2, on port2): nginx 1.22 takes early data there too, the
# request as frames that s_client sends as they are.

# A frame: 24-bit length, type, flags, stream.
sub h2_frame ($type, $flags, $stream, $payload = '') {
    return substr(pack('N', length $payload), 1)
           . pack('CCN', $type, $flags, $stream) . $payload;
}

# An HPACK integer with an N-bit prefix (RFC 7541, 5.1).
sub hpack_int ($n, $prefix) {
    my $max = (1 << $prefix) - 1;
    return chr($n) if $n < $max;
    my $b = chr($max);
    for ($n -= $max; $n >= 128; $n >>= 7) {
        $b .= chr(($n & 127) | 128);
    }
    return $b . chr($n);
}

# A header block of literals without indexing, with new names and no
# Huffman coding (RFC 7541, 6.2.2): what every server reads.
sub hpack (@fields) {
    my $b = '';
    while (my ($name, $value) = splice @fields, 0, 2) {
        $b .= "\x00" . hpack_int(length $name, 7) . $name
              . hpack_int(length $value, 7) . $value;
    }
    return $b;
}

# The client preface, an empty SETTINGS, and one request on stream 1:
# HEADERS (END_HEADERS, and END_STREAM without a body), then its DATA.
my $H2_AGENT = 'kot-test-h2';
sub h2_request ($method, $path, %o) {
    my $body = $o{body} // '';
    my @h = (':method' => $method, ':scheme' => 'https', ':path' => $path,
             ':authority' => '127.0.0.1:' . $n->port2,
             'user-agent' => $H2_AGENT);
    push @h, cookie => $o{cookie} if $o{cookie};
    push @h, 'content-type' => 'application/x-www-form-urlencoded',
             'content-length' => length $body if length $body;
    return "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" . h2_frame(4, 0, 0)
           . h2_frame(1, length $body ? 0x4 : 0x5, 1, hpack(@h))
           . (length $body ? h2_frame(0, 0x1, 1, $body) : '');
}

# The :status of a response's header block.  nginx sends it first, as
# an index of HPACK's static table (0x88 is 200) or as a literal with
# incremental indexing of the name ":status" (0x48) and a raw value:
# "425" is 0x48 0x03 "425".  undef for anything else.
sub h2_status ($block) {
    my %static = (8 => 200, 9 => 204, 10 => 206, 11 => 304, 12 => 400,
                  13 => 404, 14 => 500);
    my $b = ord $block;
    return $static{$b & 0x7f} if $b & 0x80;
    my $name = ($b & 0xc0) == 0x40 ? $b & 0x3f
             : ($b & 0xe0) == 0    ? $b & 0x0f : 0;
    my $len = ord substr $block, 1, 1;
    return undef if $name < 8 || $name > 14 || $len & 0x80;
    return substr $block, 2, $len;
}

# What stream 1 got in s_client's output after its summary: status,
# body, and done once it ended (END_STREAM or RST_STREAM).
sub h2_answer ($out) {
    my %a = (body => '');
    my ($data) = $out =~ /^Verify return code:[^\n]*\n---\n(.*)\z/ms;
    return \%a unless defined $data;
    while (length $data >= 9) {
        my ($len, $type, $flags, $stream) =
            unpack 'NCCN', "\0" . substr $data, 0, 9;
        last if length $data < 9 + $len;
        my $payload = substr $data, 9, $len;
        substr($data, 0, 9 + $len) = '';
        next if ($stream & 0x7fffffff) != 1;
        $a{status} //= h2_status($payload) if $type == 1;
        $a{body} .= $payload if $type == 0;
        $a{done} = 1 if $type == 3 || ($type <= 1 && $flags & 0x1);
    }
    return \%a;
}

# s_client over HTTP/2 with @args, sent $stdin; its stdin stays open
# until stream 1 is answered (s_client ends at its EOF), 20 s at most.
sub s_client_h2 ($stdin, @args) {
    my $out = $t->dir . '/h2-' . ++$seq . '.out';
    pipe my $rd, my $wr or die "pipe: $!\n";
    my $pid = fork // die "fork: $!\n";
    if ($pid == 0) {
        close $wr;
        open STDIN, '<&', $rd or POSIX::_exit(126);
        open STDOUT, '>', $out or POSIX::_exit(126);
        open STDERR, '>&', \*STDOUT or POSIX::_exit(126);
        { no warnings 'exec';
          exec 'timeout', '20', 'openssl', 's_client', '-connect',
               '127.0.0.1:' . $n->port2, '-tls1_3', '-alpn', 'h2', @args }
        # _exit: a plain exit would run the END blocks in the child
        POSIX::_exit(127);
    }
    close $rd;
    syswrite $wr, $stdin;
    KotTest::wait_until(sub { h2_answer(KotTest::_slurp($out))->{done} },
                        timeout => 20, what => 'an answer over HTTP/2');
    close $wr;
    waitpid $pid, 0;
    return KotTest::_slurp($out);
}

# As send_tls, over HTTP/2: the answer (status, body), with early (the
# server took the early data) and h2 (ALPN chose it).
sub send_h2 ($req, %o) {
    my $out;

    if ($o{early}) {
        my $sess = $t->dir . '/sess' . ++$seq . '.pem';
        s_client_h2(h2_request('GET', '/public/ticket'), '-sess_out', $sess);
        die "no session ticket over HTTP/2\n" unless -s $sess;

        my $file = $t->dir . "/early$seq.h2";
        KotTest::_spew($file, $req);
        $out = s_client_h2('', '-sess_in', $sess, '-early_data', $file,
                           '-connect', "127.0.0.1:$replay2");
    } else {
        $out = s_client_h2($req);
    }

    my $ans = h2_answer($out);
    $ans->{early} = $out =~ /^Early data was accepted/m ? 1 : 0;
    $ans->{h2} = $out =~ /^ALPN protocol: h2$/m ? 1 : 0;
    return $ans;
}

my $h2jar = $t->dir . '/h2.jar';
($csrf) = curl($h2jar, "$base/kot/login") =~ /name="csrf" value="([^"]+)"/;
$pre = jar_cookie($h2jar, '__Host-kot_pre');
my $h2login = h2_request('POST', '/kot/login',
                         cookie => "__Host-kot_pre=$pre",
                         body => "csrf=$csrf&tenant=acme&username=alice"
                               . '&password=correct+horse+battery');

my $h2 = send_h2($h2login, early => 1);
ok $h2->{h2} && $h2->{early},
    'over HTTP/2 (ALPN h2) the server takes early data too';
is $h2->{status}, 425, 'a login posted in early data over HTTP/2 gets 425';
like $h2->{body}, qr/^\{"error":"too_early"/, 'with JSON that says why';

$h2 = send_h2($h2login);
is $h2->{status}, 303, 'the same login over HTTP/2 after the handshake '
    . 'succeeds';

my $alive = '__Host-kot_session=' . jar_cookie($old, '__Host-kot_session');
$h2 = send_h2(h2_request('POST', '/app/replayed-h2', cookie => $alive,
                         body => 'pay=100'), early => 1);
ok $h2->{early}, 'a POST to a "kot on" location in early data over HTTP/2';
is $h2->{status}, 425, 'gets 425';
ok !reached('/app/replayed-h2'), 'and never reaches the application';

$h2 = send_h2(h2_request('GET', '/app/early-h2', cookie => $alive),
              early => 1);
ok $h2->{early}, 'a GET of the application goes in early data over HTTP/2';
is $h2->{status}, 200, 'and is answered';
like $h2->{body}, qr/user=\[alice\]/, 'for her session';


# the record

KotTest::wait_until(sub { records('early_data_refused') >= 12 },
                    what => 'the refusals on the record');
my @recs = records('early_data_refused');
is scalar(@recs), 12, 'each refusal is recorded once';
my @h2 = grep { ($_->{'user_agent.original'} // '') eq $H2_AGENT } @recs;
is join(' ', sort map { "$_->{'url.path'} $_->{'http.response.status_code'}" }
                 @h2),
    '/app/replayed-h2 425 /kot/login 425', 'those over HTTP/2 too';
my ($rec) = grep { $_->{'url.path'} eq '/kot/login' } @recs;
is $rec->{'http.request.method'}, 'POST', 'with the method';
is $rec->{'http.response.status_code'}, 425, 'and the 425';
is $rec->{'event.outcome'}, 'failure', 'as a failure';

unlike $n->error_log, qr/\[alert\]|\[crit\]/, 'no alert in the error log';

done_testing;
