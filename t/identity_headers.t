# kot_identity_headers on: the application learns who the user is even
# in a location with proxy_set_header of its own (every WebSocket
# location), where nginx drops the inherited ones; and through
# fastcgi_pass and uwsgi_pass.  A client's own X-Kot-* still never
# arrives.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use KotTest::Gateway;
use Test::More;
use IO::Socket::UNIX;
use Socket ();

my $t = KotTest->new;

my $n = $t->nginx(<<'EOF');
    kot_redis %%REDIS%% timeout=1s;
    kot_secret_file %%SECRET%%;
    kot_thread_pool kot_test;
    kot_password_hash scrypt ln=10;
    kot_insecure_cookie on;
    kot_login_throttle off;
    kot_identity_headers on;

    server {
        listen 127.0.0.1:%%PORT%%;
        underscores_in_headers on;

        # names with '.' reach the application: PHP reads "X.Kot.Roles"
        # through FastCGI as HTTP_X_KOT_ROLES
        ignore_invalid_headers off;

        # the trap: inherited only by locations without their own
        proxy_set_header X-Kot-User $kot_user;
        proxy_set_header X-Kot-Tenant $kot_tenant;

        location /kot/ {
            kot_portal;
        }

        location /ws/ {
            kot on;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection "upgrade";
            proxy_pass http://%%APP%%;
        }

        location /trap/ {
            kot on;
            kot_identity_headers off;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass http://%%APP%%;
        }

        location /cgi/ {
            kot on;
            fastcgi_param SCRIPT_NAME $uri;
            fastcgi_param REMOTE_USER $kot_user;
            fastcgi_pass unix:%%DIR%%/fcgi.sock;
        }

        location /wsgi/ {
            kot on;
            uwsgi_param PATH_INFO $uri;
            uwsgi_pass unix:%%DIR%%/uwsgi.sock;
        }

        location /open/ {
            proxy_pass http://%%APP%%;
        }

        # an application that shows the request head it received
        location /raw/ {
            kot on;
            proxy_pass http://unix:%%DIR%%/raw.sock;
        }
    }
EOF

KotTest::Gateway::start($t, fastcgi => $n->dir . '/fcgi.sock');
KotTest::Gateway::start($t, uwsgi => $n->dir . '/uwsgi.sock');
raw_echo($n->dir . '/raw.sock');

# answers every request with the header lines it received, in order
sub raw_echo ($path) {
    unlink $path;
    my $listen = IO::Socket::UNIX->new(Type => Socket::SOCK_STREAM(),
                                       Local => $path, Listen => 16)
        or die "listen on $path: $!\n";
    chmod 0777, $path;

    $t->fork_extra('raw', sub {
        $SIG{PIPE} = 'IGNORE';
        while (my $c = $listen->accept) {
            local $/ = "\r\n";
            my $head = '';
            while (my $l = <$c>) {
                last if $l eq "\r\n";
                $head .= $l =~ s/\r\n$/\n/r;
            }
            print $c "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                . "Content-Length: " . length($head) . "\r\n"
                . "Connection: close\r\n\r\n$head";
            close $c;
        }
    });

    close $listen;
}

$t->add_user('acme', 'alice', 'correct horse battery',
             roles => ['admin', 'payroll']);

my $ua = $n->ua;
$ua->login(tenant => 'acme', username => 'alice',
           password => 'correct horse battery');

my %forged = (
    'X-Kot-User'   => 'root',
    'X-Kot-Tenant' => 'globex',
    'X-Kot-Roles'  => 'superadmin',
    'X-Kot-Forged' => 'yes',
    'X_Kot_User'   => 'root',
);


my $res = $ua->get('/trap/x');
is $res->{status}, 200, 'a location with its own proxy_set_header opens';
like $res->{content}, qr/user=\[\] tenant=\[\]/,
    'without kot_identity_headers, it loses the inherited identity '
    . '(the trap)';

$res = $ua->get('/ws/x', { Upgrade => 'websocket' });
my $who = 'user=\[alice\] tenant=\[acme\] roles=\[admin,payroll\]';
like $res->{content}, qr/$who session=\[[\w-]{16}\]/,
    'with kot_identity_headers on, the same location passes the identity';

$res = $ua->get('/ws/x', \%forged);
like $res->{content},
    qr/user=\[alice\] tenant=\[acme\] roles=\[admin,payroll\] .*forged=\[\]/,
    "a client's forged X-Kot-* never arrives";

$res = $n->ua->get('/open/x', \%forged);
like $res->{content},
    qr/user=\[\] tenant=\[\] roles=\[\] session=\[\] forged=\[\]/,
    'nor on an open location, which has no identity to add';


# '.' for '-': PHP turns the '.' of a FastCGI parameter's name into '_'
my %dotted = (
    'X.Kot.Roles'  => 'superadmin',
    'X-Kot.User'   => 'root',
    'X.Kot-Tenant' => 'globex',
    'X.Kot'        => 'yes',
);
$res = $ua->get('/raw/x', \%dotted);
is $res->{status}, 200, 'the raw application answers';
is_deeply [ grep { /^(x[-_.]kot[^:]*):/i && $1 =~ /\./ }
            split /\n/, $res->{content} ],
    [], "a client's X-Kot-* spelt with '.' never arrives either";

$res = $ua->get('/cgi/x', \%dotted);
is_deeply [ grep { /KOT/ && !/^HTTP_X_KOT_(USER|TENANT|ROLES|SESSION)=/ }
            split /\n/, $res->{content} ], [],
    'nor as a FastCGI parameter that PHP would read as HTTP_X_KOT_*';


# FastCGI and uwsgi: as HTTP_X_KOT_* parameters

for my $gw (['/cgi/x', 'FastCGI'], ['/wsgi/x', 'uwsgi']) {
    my ($path, $name) = @$gw;

    $res = $ua->get($path, \%forged);
    is $res->{status}, 200, "the $name application answers";
    my %p = $res->{content} =~ /^(\w+)=\[(.*)\]$/mg;

    is $p{HTTP_X_KOT_USER}, 'alice', "$name gets the user";
    is $p{HTTP_X_KOT_TENANT}, 'acme', 'and the tenant';
    is $p{HTTP_X_KOT_ROLES}, 'admin,payroll', 'and the roles';
    like $p{HTTP_X_KOT_SESSION} // '', qr/^[\w-]{16}$/, 'and the handle';
    is_deeply [ grep { /KOT/ && !/^HTTP_X_KOT_(USER|TENANT|ROLES|SESSION)$/ }
                keys %p ], [], 'and no other X-Kot-* parameter';
    ok !exists $p{HTTP_COOKIE}, 'nor the session cookie';
}

# the emptied Cookie header's place in the list goes to an identity
# header: each one arrives once, and no empty Cookie with them

my $sid = $ua->cookie('kot_session');

for my $case ([ [ "kot_session=$sid" ], undef, 'only the session cookie' ],
              [ [ "kot_session=$sid; theme=dark" ], 'theme=dark',
                'the session and an application cookie' ],
              [ [ 'theme=dark', "kot_session=$sid" ], 'theme=dark',
                'two Cookie headers, the session last' ],
              [ [ "kot_session=$sid", 'theme=dark' ], 'theme=dark',
                'two Cookie headers, the session first' ])
{
    my ($cookies, $app, $name) = @$case;
    $res = $n->ua->get('/raw/x', { Cookie => $cookies, %forged });
    is $res->{status}, 200, "the raw application answers: $name";

    my @lines = split /\n/, $res->{content};
    my %count;
    for my $l (@lines) {
        $count{lc $1}++ if $l =~ /^([^:]+):/;
    }

    is_deeply [ map { $count{$_} // 0 }
                qw(x-kot-user x-kot-tenant x-kot-roles x-kot-session) ],
        [ 1, 1, 1, 1 ], "each identity header arrives once: $name";
    my $ours = 'User: alice|Tenant: acme|Roles: admin,payroll'
             . '|Session: [\w-]{16}';
    is_deeply [ grep { /^x[-_]kot/i && !/^X-Kot-($ours)$/ }
                @lines ], [], "with kot's values, nothing forged: $name";
    is_deeply [ map { /^cookie:\s*(.*)$/i ? $1 : () } @lines ],
        [ defined $app ? $app : () ], "the application's cookies: $name";
}

$res = $ua->get('/cgi/x');
like $res->{content}, qr/^REMOTE_USER=\[alice\]$/m,
    'fastcgi_param REMOTE_USER $kot_user gives CGI programs the user';

$res = $n->ua->get('/cgi/x');
is $res->{status}, 401, 'without a session, the FastCGI app is closed';

done_testing;
