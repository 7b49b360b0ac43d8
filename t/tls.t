# Over HTTPS, as in production: the session cookie is a "__Host-" cookie,
# so browsers keep it only for this exact host, over TLS, for the whole
# site.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;

my $t = KotTest->new;
my ($crt, $key) = $t->tls_cert;

my $site = KotTest->site =~ s/kot_insecure_cookie on;//r;
$site =~ s{listen 127.0.0.1:%%PORT%%;}
          {listen 127.0.0.1:%%PORT%% ssl;
        listen 127.0.0.1:%%PORT2%%;
        ssl_certificate $crt;
        ssl_certificate_key $key;};
my $n = $t->nginx($site);

$t->add_user('acme', 'alice', 'correct horse battery');

my $base = 'https://127.0.0.1:' . $n->port;
my $jar = $t->dir . '/curl.jar';

sub curl (@args) { $t->curl($jar, @args) }

my $form = curl("$base/kot/login");
like $form, qr{^HTTP/1.1 200}, 'the login page is served over HTTPS';
my $attrs = 'Path=\/; HttpOnly; SameSite=Lax; Secure';
like $form, qr/^Set-Cookie: __Host-kot_pre=[\w-]{43}; $attrs\r$/m,
    'the pre-login cookie is a Secure "__Host-" cookie';

my ($csrf) = $form =~ /name="csrf" value="([^"]+)"/;
my $login = curl('--data', "csrf=$csrf&tenant=acme&username=alice"
                 . '&password=correct+horse+battery', "$base/kot/login");
like $login, qr{^HTTP/1.1 303}, 'a login over HTTPS succeeds';

my ($cookie) = $login =~ /^Set-Cookie: (__Host-kot_session=[^\r]*)\r$/m;
ok $cookie, 'the session cookie is a "__Host-" cookie';
like $cookie, qr/; Secure/, 'it is Secure';
like $cookie, qr/; HttpOnly/, 'it is HttpOnly';
like $cookie, qr/; SameSite=Lax/, 'it is SameSite=Lax';
like $cookie, qr/; Path=\//, 'it is for the whole site';
unlike $cookie, qr/Domain=/i, 'it names no domain';

like curl("$base/app"), qr/user=\[alice\]/,
    'the application opens with it';

my $plain = $n->ua->get('http://127.0.0.1:' . $n->port2 . '/kot/login');
is $plain->{status}, 403, 'the same site on plain HTTP refuses the login form';
like $plain->{content}, qr/Log in over HTTPS/, 'and says to use HTTPS';

done_testing;
