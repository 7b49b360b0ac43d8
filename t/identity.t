# What the application learns about the user, and that only ngx_kot can
# tell it: client-supplied X-Kot-* headers never get through.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;

my $t = KotTest->new;

# two tenants on two host names, one nginx
my $n = $t->nginx(KotTest->site(server => <<'EOF'));
        underscores_in_headers on;

        location /tenant/ {
            kot on;
            kot_tenant $host;
            proxy_pass http://%%APP%%;
            proxy_set_header X-Kot-User $kot_user;
            proxy_set_header X-Kot-Tenant $kot_tenant;
        }
EOF

$t->add_user('acme', 'alice', 'correct horse battery',
             roles => ['admin', 'payroll']);
$t->add_user('globex', 'gina', 'correct horse battery');
$t->add_user('acme', 'bob', 'correct horse battery');

my $ua = $n->ua;
$ua->login(tenant => 'acme', username => 'alice',
           password => 'correct horse battery');


my $res = $ua->get('/app');
like $res->{content}, qr/user=\[alice\]/, 'the application gets the user';
like $res->{content}, qr/tenant=\[acme\]/, 'and the tenant';
like $res->{content}, qr/roles=\[admin,payroll\]/, 'and the roles';
like $res->{content}, qr/session=\[[A-Za-z0-9_-]{16}\]/,
    'and a short session handle';
my ($handle) = $res->{content} =~ /session=\[([^\]]+)\]/;
unlike $ua->cookie('kot_session'), qr/\Q$handle\E/,
    'the handle is not part of the session id';


# forged headers

my %forged = (
    'X-Kot-User'   => 'root',
    'X-Kot-Tenant' => 'globex',
    'x-kot-roles'  => 'superadmin',
    'X-KOT-Forged' => 'yes',
);

$res = $ua->get('/app', \%forged);
like $res->{content},
    qr/user=\[alice\] tenant=\[acme\] roles=\[admin,payroll\]/,
    'identity headers sent by the client are replaced';
like $res->{content}, qr/forged=\[\]/,
    'any other X-Kot-* header from the client is dropped';

$res = $n->ua->get('/public/x', \%forged);
is $res->{status}, 200, 'an open location answers';
like $res->{content},
    qr/user=\[\] tenant=\[\] roles=\[\] session=\[\] forged=\[\]/,
    'forged identity headers are dropped on open locations too';

$res = $n->ua->raw("GET /public/x HTTP/1.1\r\nHost: x\r\n"
                   . "X-Kot-User: a\r\nX-Kot-User: b\r\nX-Kot-Forged: c\r\n"
                   . "Connection: close\r\n\r\n");
like $res, qr/user=\[\] .* forged=\[\]/s, 'repeated forged headers are dropped';

$res = $n->ua->get('/public/x', { X_Kot_User => 'root', X_kot_forged => 1 });
like $res->{content}, qr/user=\[\] .* forged=\[\]/s,
    'so are X_Kot_* spellings, which some applications read the same way';

$res = $n->ua->get('/public/x', { 'X-Kot' => 'root' });
like $res->{content}, qr/kot=\[\]/,
    'so is a header named just X-Kot';

my $log = $n->error_log;
like $log, qr/kot: removed \d+ client X-Kot-\* header/,
    'the attempt is logged';


# tenants bound to host names

my $gina = $n->ua;
$gina->login(tenant => 'globex', username => 'gina',
             password => 'correct horse battery');

$res = $ua->get('/tenant/x', { Host => 'acme' });
like $res->{content}, qr/user=\[alice\] tenant=\[acme\]/,
    "a user reaches her own tenant's host";

$res = $ua->get('/tenant/x', { Host => 'globex' });
is $res->{status}, 401, "but not another tenant's host";

$res = $gina->get('/tenant/x', { Host => 'GLOBEX' });
is $res->{status}, 200, 'tenant names from the host are case-insensitive';

$res = $ua->get('/tenant/x', { Host => 'bad_host!' });
is $res->{status}, 401, 'a host that is no tenant name opens nothing';


# One connection, many cookies.  The module remembers the last cookie of
# each connection; a request with another cookie must still be judged by
# its own.  The requests go pipelined on one connection, in HTTP/1.1, and
# on the streams of one connection, in HTTP/2.

my %cookie;
for my $user (qw(alice bob)) {
    my $u = $n->ua;
    $u->login(tenant => 'acme', username => $user,
              password => 'correct horse battery');
    $cookie{$user} = $u->cookie('kot_session');
}
# well-formed, and no session: alice's with its last character changed,
# which a comparison of a prefix would miss
$cookie{forged} = KotTest::altered($cookie{alice}, -1);
my @who = qw(alice bob forged alice alice);

$res = $n->ua->raw(join '', map {
    "GET /app/$_ HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n"
    . "Cookie: kot_session=$cookie{$who[$_]}\r\n"
    . ($_ == $#who ? "Connection: close\r\n" : '') . "\r\n"
} 0 .. $#who);

is join(' ', $res =~ m{^HTTP/1\.1 (\d+)}mg), '200 200 401 200 200',
    'on one connection, a forged cookie after a good one is refused';
is join(' ', $res =~ /user=\[(\w*)\]/g), 'alice bob alice alice',
    'and each request reaches the application as its own user';

# curl reuses an HTTP/2 connection across --next only over TLS
my ($crt, $key) = $t->tls_cert;
my $h2 = $t->nginx(KotTest->site(server => <<"EOF"), name => 'h2');
        listen 127.0.0.1:%%PORT2%% ssl http2;
        ssl_certificate $crt;
        ssl_certificate_key $key;
EOF

my @args;
for my $i (0 .. $#who) {
    push @args, '--next' if $i;
    push @args, '--http2', '-ksS',
        '-H', "Cookie: kot_session=$cookie{$who[$i]}",
        '-H', 'Accept: application/json',
        '-w', ' status=%{http_code} conn=%{num_connects}\n',
        'https://127.0.0.1:' . $h2->port2 . "/app/$i";
}
open my $curl, '-|', 'curl', @args or die "curl: $!";
my $out = do { local $/; <$curl> };
close $curl;

is join(' ', $out =~ /status=(\d+)/g), '200 200 401 200 200',
    'over HTTP/2 too, a forged cookie on a shared connection is refused';
is join(' ', $out =~ /user=\[(\w*)\]/g), 'alice bob alice alice',
    'and each stream reaches the application as its own user';
is join(' ', $out =~ /conn=(\d+)/g), '1 0 0 0 0',
    'all of them on one connection';

done_testing;
