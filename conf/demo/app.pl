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

# The user's language as the portal chooses it: ?lang=, then the
# portal's cookie, then Accept-Language.  Returns it, and whether ?lang=
# chose it.
sub language {
    my ($path, $h) = @_;

    return ($1, 1) if ($path // '') =~ /[?&]lang=(ja|en)(?:&|$)/;
    return ($1, 0) if ($h->{cookie} // '') =~ /(?:^|;\s*)(?:__Host-)?kot_lang=(ja|en)\b/;

    # the first of the two the browser names (q-values aside: a demo)
    my ($first) = ($h->{'accept-language'} // '') =~ /\b(ja|en)\b/i;
    return (lc($first // 'en'), 0);
}

my %TEXT = (
    en => {
        title => 'Demo application',
        hello => 'Hello, {user}',
        intro => 'This application has no login of its own. ngx_kot '
               . 'checked who you are and told it in request headers:',
        asked => 'You asked for',
        password => 'Change password',
        mfa => 'Two-step login',
        logout => 'Log out',
    },
    ja => {
        title => 'デモアプリケーション',
        hello => 'こんにちは、{user} さん',
        intro => 'このアプリケーションには独自のログイン機能がありません。'
               . 'ngx_kot が本人確認を行い、その結果をリクエストヘッダーで'
               . '伝えています:',
        asked => '表示したページ:',
        password => 'パスワード変更',
        mfa => '2段階認証',
        logout => 'ログアウト',
    },
);

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
    my ($lang, $chosen) = language($path, \%h);
    my $t = $TEXT{$lang};
    my $other = $lang eq 'ja' ? 'en' : 'ja';
    my $switch = $lang eq 'ja' ? 'English' : '日本語';

    my $body = <<"HTML";
<!DOCTYPE html>
<html lang="$lang">
<head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$t->{title}</title>
<style>body{font-family:system-ui,"Hiragino Sans","Noto Sans JP",sans-serif;
max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
code{background:#eef;padding:0 .2rem;word-break:break-all}
nav{text-align:right}</style></head>
<body>
<nav><a href="?lang=$other" hreflang="$other" lang="$other">$switch</a></nav>
<h1>$t->{hello}</h1>
<p>$t->{intro}</p>
<ul>
<li><code>X-Kot-User</code>: $user</li>
<li><code>X-Kot-Tenant</code>: $tenant</li>
<li><code>X-Kot-Roles</code>: $roles</li>
<li><code>X-Kot-Session</code>: $session</li>
</ul>
<p>$t->{asked} <code>@{[ html($path) ]}</code></p>
<p><a href="/kot/password?return_to=/">$t->{password}</a> ·
<a href="/kot/mfa?return_to=/">$t->{mfa}</a> ·
<a href="/kot/logout">$t->{logout}</a></p>
</body>
</html>
HTML
    $body =~ s/\{user\}/$user/g;

    # the portal keeps the choice in the same cookie
    my $cookie = $chosen ? "Set-Cookie: __Host-kot_lang=$lang; Path=/; "
                           . "HttpOnly; SameSite=Lax; Secure\r\n" : '';

    utf8::encode($body) if utf8::is_utf8($body);
    print $c "HTTP/1.0 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
        . 'Content-Length: ' . length($body) . "\r\n"
        . "Cache-Control: no-store\r\n$cookie"
        . "Connection: close\r\n\r\n"
        . ($method && $method eq 'HEAD' ? '' : $body);
    close $c;
}
