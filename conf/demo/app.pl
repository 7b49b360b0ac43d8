#!/usr/bin/perl
# The demo application: a web application with no security of its own.
# It trusts nginx to have checked the user and shows what it was told.
#
# usage: app.pl PORT

use strict;
use warnings;

use IO::Socket::IP;

my $port = shift // 8081;

my $server = IO::Socket::IP->new(
    LocalHost => '127.0.0.1',
    LocalPort => $port,
    Listen    => 64,
    ReuseAddr => 1,
) or die "app.pl: cannot listen on 127.0.0.1:$port: $@\n";

$SIG{PIPE} = 'IGNORE';

sub html {
    my ($s) = @_;
    $s //= '';
    $s =~ s/&/&amp;/g;
    $s =~ s/</&lt;/g;
    $s =~ s/>/&gt;/g;
    $s =~ s/"/&quot;/g;
    return $s;
}

while (my $c = $server->accept) {
    $c->timeout(5);

    my ($line, %h) = (scalar <$c>);
    while (defined(my $l = <$c>)) {
        last if $l =~ /^\r?\n$/;
        $h{lc $1} = $2 if $l =~ /^([^:]+):\s*(.*?)\r?$/;
    }

    my ($method, $path) = split ' ', $line // '';
    my ($user, $tenant, $roles, $session) =
        map { html($h{"x-kot-$_"}) } qw(user tenant roles session);

    my $body = <<"HTML";
<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Demo application</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto}
code{background:#eef;padding:0 .2rem}</style></head>
<body>
<h1>Hello, $user</h1>
<p>こんにちは、$user さん。</p>
<p>This application has no login of its own. ngx_kot checked who you are
and told it in request headers:</p>
<ul>
<li><code>X-Kot-User</code>: $user</li>
<li><code>X-Kot-Tenant</code>: $tenant</li>
<li><code>X-Kot-Roles</code>: $roles</li>
<li><code>X-Kot-Session</code>: $session</li>
</ul>
<p>You asked for <code>@{[ html($path) ]}</code>.</p>
<p><a href="/kot/password?return_to=/">Change password</a> ·
<a href="/kot/mfa?return_to=/">Two-step login</a> ·
<a href="/kot/logout">Log out</a></p>
</body>
</html>
HTML

    utf8::encode($body) if utf8::is_utf8($body);
    print $c "HTTP/1.0 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
        . 'Content-Length: ' . length($body) . "\r\n"
        . "Cache-Control: no-store\r\nConnection: close\r\n\r\n"
        . ($method && $method eq 'HEAD' ? '' : $body);
    close $c;
}
