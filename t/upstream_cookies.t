# The application never holds the session: ngx_kot's cookies are taken
# out of what goes upstream, in any position and spelling, over HTTP/1.1
# and HTTP/2; the application's own cookies arrive as they were sent;
# and the application cannot set or clear ngx_kot's cookies.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;

my $t = KotTest->new;
my ($crt, $key) = $t->tls_cert;

my $app = 'http://unix:%%DIR%%/app.sock';
my $n = $t->nginx(<<"EOF");
    kot_redis %%REDIS%% timeout=1s;
    kot_secret_file %%SECRET%%;
    kot_thread_pool kot_test;
    kot_password_hash scrypt ln=10;
    kot_insecure_cookie on;
    kot_login_throttle off;

    # the application: shows the cookies it got, and tries to set ours
    server {
        listen unix:%%DIR%%/app.sock;

        location / {
            add_header Set-Cookie "kot_session=from-app; Path=/";
            add_header Set-Cookie "__Host-kot_session=x; Path=/; Secure";
            add_header Set-Cookie "kot_pre=from-app; Path=/";
            add_header Set-Cookie "app=1; Path=/";
            return 200 "cookie=[\$http_cookie]\\n";
        }

        # hands the response to another location, with a cookie of ours
        location /xa/ {
            add_header Set-Cookie "kot_session=from-app; Path=/";
            add_header X-Accel-Redirect /dl/x;
            return 200 "redirected\\n";
        }

        location /plain/ {
            return 200 "plain\\n";
        }
    }

    server {
        listen 127.0.0.1:%%PORT%%;
        listen 127.0.0.1:%%PORT2%% ssl http2;
        ssl_certificate $crt;
        ssl_certificate_key $key;

        location /kot/ {
            kot_portal;
        }

        location / {
            kot on;
            proxy_pass $app;
        }

        location /legacy/ {
            kot on;
            kot_pass_session_cookie on;
            proxy_pass $app;
        }

        location /public/ {
            proxy_pass $app;
        }

        location /xa/ {
            kot on;
            proxy_pass $app;
        }

        # X-Accel-Redirect into a second upstream: nginx keeps the first
        # one's Set-Cookie
        location /dl/ {
            internal;
            proxy_pass http://unix:%%DIR%%/app.sock:/plain/;
        }

        # an internal redirect into another "kot on" location
        location /tried/ {
            kot on;
            try_files /nowhere \@app;
        }

        location \@app {
            kot on;
            proxy_pass $app;
        }
    }
EOF

$t->add_user('acme', 'alice', 'correct horse battery');

my $ua = $n->ua;
$ua->login(tenant => 'acme', username => 'alice',
           password => 'correct horse battery');
my $sid = $ua->cookie('kot_session');
ok $sid, 'logged in';

my $res = $ua->get('/app');
is $res->{status}, 200, 'the application answers';
is $res->{content}, "cookie=[]\n",
    'with only the session cookie, the application gets no cookie at all';

sub cookies_seen ($path, @headers) {
    my $r = $n->ua->get($path, { Cookie => [@headers] });
    return $r->{status} == 200 && $r->{content} =~ /^cookie=\[(.*)\]$/m
        ? $1 : "status $r->{status}";
}

my $pre = 'p' x 43;
my @cases = (
    [ "kot_session=$sid; theme=dark; lang=ja", 'theme=dark; lang=ja',
      'the session first' ],
    [ "theme=dark; kot_session=$sid; lang=ja", 'theme=dark; lang=ja',
      'in the middle' ],
    [ "theme=dark; lang=ja; kot_session=$sid", 'theme=dark; lang=ja',
      'last' ],
    [ "theme=dark;kot_session=$sid;lang=\"a b\"", 'theme=dark; lang="a b"',
      'without spaces, a quoted value' ],
    [ "kot_pre=$pre; kot_session=$sid; kot_mfa=x; app_kot_session=keep",
      'app_kot_session=keep', 'every insecure name, and a name like ours' ],
    [ "__Host-kot_session=y; __Host-kot_pre=z; __Host-kot_mfa=w; "
      . "kot_session=$sid; a=1", 'a=1', 'every secure name' ],
);

for my $case (@cases) {
    is cookies_seen('/app', $case->[0]), $case->[1],
        "ngx_kot's cookies go, the app's stay: $case->[2]";
}

is cookies_seen('/app', 'theme=dark', "kot_session=$sid", 'lang=ja'),
    'theme=dark; lang=ja',
    'with several Cookie headers, the one of ngx_kot goes';
is cookies_seen('/app', "theme=dark; kot_session=$sid", "kot_pre=$pre"),
    'theme=dark', 'the one left empty goes altogether';

is cookies_seen('/tried/x', "kot_session=$sid; theme=dark"), 'theme=dark',
    'after an internal redirect, the session still opens the location, '
    . 'and the cookie still stays out';
is cookies_seen('/public/x', "kot_session=$sid; theme=dark"), 'theme=dark',
    'an open location does not pass the cookie either';

is cookies_seen('/legacy/x', "kot_session=$sid; theme=dark"),
    "kot_session=$sid; theme=dark",
    'kot_pass_session_cookie on passes it, as before';


# Set-Cookie from the application

$res = $ua->get('/app');
is_deeply $res->{headers}{'set-cookie'}, ['app=1; Path=/'],
    "the application's Set-Cookie for ngx_kot's names never reaches the "
    . 'client, its own does';
is $ua->cookie('kot_session'), $sid, 'the session is what ngx_kot set';
is $ua->get('/app')->{status}, 200, 'and it still opens the application';
like $n->error_log, qr/kot: dropped the upstream's Set-Cookie/,
    'the error log says why the header went missing';

$res = $n->ua->get('/public/x');
is_deeply $res->{headers}{'set-cookie'}, ['app=1; Path=/'],
    'on an open location too';

$res = $ua->get('/xa/x');
is $res->{content}, "plain\n", 'X-Accel-Redirect into a second upstream';
is_deeply $res->{headers}{'set-cookie'} // [], [],
    "the first upstream's Set-Cookie for ngx_kot's names is still dropped";
is $ua->cookie('kot_session'), $sid, 'the session is still ngx_kot\'s';

$res = $ua->get('/legacy/x');
is scalar @{ $res->{headers}{'set-cookie'} }, 4,
    'kot_pass_session_cookie on lets them through';


# HTTP/2: each cookie may come in a header of its own

sub h2_seen (@cookies) {
    open my $curl, '-|', 'curl', '--http2', '-ksS',
        (map { ('-H', "Cookie: $_") } @cookies),
        '-w', ' version=%{http_version}\n',
        'https://127.0.0.1:' . $n->port2 . '/app' or die "curl: $!";
    my $out = do { local $/; <$curl> };
    close $curl;
    return $out;
}

my $out = h2_seen('theme=dark', "kot_session=$sid", 'lang=ja');
like $out, qr/version=2/, 'HTTP/2';
like $out, qr/^cookie=\[theme=dark; lang=ja\]$/m,
    'over HTTP/2, separate cookie headers: ngx_kot\'s goes, the app\'s stay';

$out = h2_seen("theme=dark; kot_session=$sid; lang=ja");
like $out, qr/^cookie=\[theme=dark; lang=ja\]$/m,
    'over HTTP/2, one cookie header: the same';

$out = h2_seen("kot_session=$sid");
like $out, qr/^cookie=\[\]$/m, 'over HTTP/2, the session alone: no cookie';

done_testing;
