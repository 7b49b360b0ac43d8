# kot_min_tls and kot_hsts: a server that still speaks TLSv1.2 for other
# sites, with a floor of TLSv1.3 for the portal and the application.  An
# old client is turned away with a page that names its protocol, but an
# old clock-in terminal on its own network keeps working, and every one
# of its requests is on the audit record.  The admin API is held to the
# same floor: it changes users, passwords and networks.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;
use JSON::PP ();

my $t = KotTest->new;
my ($crt, $key) = $t->tls_cert;
my (undef, $pub) = $t->auditor_keys;
my $log = $t->dir . '/a/audit.log';

# the terminals' network: curl binds to 127.0.0.2 to come from it; the
# admin console and its API as the README serves them
my $site = KotTest->site(
    http => "kot_audit_log %%DIR%%/audit.log flush=100ms;\n"
          . "    kot_audit_auditor_key $pub;\n"
          . "    kot_min_tls TLSv1.3 legacy=10.99.0.0/16,127.0.0.2/32;\n"
          . '    kot_hsts max_age=31536000 includeSubDomains;',
    server => KotTest->console_locations . <<'EOF');
        access_log %%DIR%%/front.log;

        # no floor of its own: parts of "kot on" locations, which have one
        location = /page {
            ssi on;
            default_type text/html;
            return 200 '<p>before</p><!--# include virtual="/app/inc1" --><!--# include virtual="/app/inc2" --><p>after</p>\n';
        }

        location = /kot-auth {
            internal;
            kot on;
            empty_gif;
        }

        location /guarded/ {
            auth_request /kot-auth;
            proxy_pass http://%%APP%%;
        }
EOF
$site =~ s/kot_insecure_cookie on;//;
$site =~ s{listen 127.0.0.1:%%PORT%%;}
          {listen 127.0.0.1:%%PORT%% ssl;
        listen 127.0.0.1:%%PORT2%%;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_certificate $crt;
        ssl_certificate_key $key;};
my $n = $t->nginx($site);

$t->add_user('acme', 'alice', 'correct horse battery');
$t->add_user('acme', 'carol', 'correct horse battery', roles => ['admin']);

my $base = 'https://127.0.0.1:' . $n->port;
my @old = ('--tlsv1.2', '--tls-max', '1.2');
my $json = JSON::PP->new->utf8;

sub curl ($jar, @args) { $t->curl($jar, @args) }

sub records ($action) { $t->audit_records($log, $action) }

sub login_as ($user, $jar, @opts) {
    my ($csrf) = curl($jar, @opts, "$base/kot/login")
                 =~ /name="csrf" value="([^"]+)"/;
    return curl($jar, @opts, '--data', "csrf=$csrf&tenant=acme"
                . "&username=$user&password=correct+horse+battery",
                "$base/kot/login");
}

sub login ($jar, @opts) { login_as('alice', $jar, @opts) }

# the JSON body of an answer of curl() (headers first)
sub body ($res) {
    my (undef, $b) = split /\r?\n\r?\n/, $res, 2;
    return eval { $json->decode($b // '') } // {};
}


# an old client anywhere else

my $jar = $t->dir . '/old.jar';
my $page = curl($jar, @old, '-H', 'Accept: text/html', '-H',
                'Accept-Language: en', "$base/kot/login");
like $page, qr{^HTTP/1.1 403}, 'a TLSv1.2 browser gets 403 at the login page';
like $page, qr/connected with TLSv1\.2, .* it needs TLSv1\.3 or newer/s,
    'the page names the protocol it used and the one it needs';
unlike $page, qr/name="password"/, 'and no password field';

my $ja = curl($jar, @old, '-H', 'Accept: text/html', '-H',
              'Accept-Language: ja', "$base/kot/login");
like $ja, qr/TLSv1\.2で接続しています/, 'in Japanese too';

my $api = curl($jar, @old, "$base/app");
like $api, qr{^HTTP/1.1 403}, 'an old API client of the application: 403';
like $api, qr/^\{"error":"tls_too_old"\}\r?$/m, 'with JSON that says why';

my $post = curl($jar, @old, '--data', 'csrf=x&tenant=acme&username=alice'
                . '&password=correct+horse+battery', "$base/kot/login");
like $post, qr{^HTTP/1.1 403}, 'a password sent over TLSv1.2 is refused';

my @refused = KotTest::wait_until(sub { my @r = records('tls_refused');
                                        @r >= 4 ? \@r : undef },
                                  what => 'the refusals on the record');
my ($rec) = grep { $_->{'url.path'} eq '/app' } @{ $refused[0] // [] };
is $rec->{'kot.tls_protocol'}, 'TLSv1.2', 'each refusal is recorded with '
    . 'the protocol';
is $rec->{'source.ip'}, '127.0.0.1', 'and the address';
is $rec->{'http.response.status_code'}, 403, 'and the 403';


# a current client

my $new = $t->dir . '/new.jar';
like login($new), qr{^HTTP/1.1 303}, 'a TLSv1.3 client logs in';
my $app = curl($new, "$base/app");
like $app, qr/user=\[alice\]/, 'and opens the application';
like $app,
    qr/^Strict-Transport-Security: max-age=31536000; includeSubDomains\r$/m,
    'whose responses carry HSTS';
is scalar(() = $app =~ /^Strict-Transport-Security:/mg), 1, 'once';
ok !records('tls_legacy'), 'nothing of it is recorded as legacy';


# the terminal on its legacy network: the same old client

my $term = $t->dir . '/term.jar';
my @terminal = (@old, '--interface', '127.0.0.2');
like login($term, @terminal), qr{^HTTP/1.1 303},
    'the TLSv1.2 terminal on the legacy network logs in';
like curl($term, @terminal, "$base/app"), qr/user=\[alice\]/,
    'and opens the application';

my $legacy = KotTest::wait_until(sub { my @r = records('tls_legacy');
                                       @r >= 3 ? \@r : undef },
                                 what => 'its requests on the record');
is scalar(@{ $legacy // [] }), 3,
    'each of its requests is recorded (form, login, application)';
my ($seen) = grep { $_->{'url.path'} eq '/app' } @{ $legacy // [] };
ok $seen && $seen->{'kot.legacy_tls'} eq JSON::PP::true,
    'as kot.legacy_tls: true';
is $seen->{'kot.tls_protocol'}, 'TLSv1.2', 'with the protocol';
is $seen->{'user.name'}, 'alice', 'and the user';
is $seen->{'source.ip'}, '127.0.0.2', 'from the terminal';


# a subrequest: held to its own location's floor, not the page's

my $inc = curl($new, @old, "$base/page");
like $inc, qr{^HTTP/1.1 200}, 'a page without a floor answers a TLSv1.2 client';
like $inc, qr/before.*after/s, 'with its own text';
unlike $inc, qr/user=\[alice\]/,
    'but not the parts it includes from a location with a floor';
like $inc, qr/before<\/p>\{"error":"tls_too_old"\}/,
    'which say why instead';
ok $n->access_log !~ m{/app/inc}, 'and never reach the application';

my $parts = KotTest::wait_until(sub {
    my @r = grep { $_->{'url.path'} eq '/page' } records('tls_refused');
    @r ? \@r : undef }, what => 'the refused include on the record');
is scalar(@{ $parts // [] }), 1, 'the page is recorded once, for its two '
    . 'parts';
is $parts->[0]{'kot.min_tls'}, 'TLSv1.3', 'with the floor';

like curl($new, @old, "$base/guarded/x"), qr{^HTTP/1.1 403},
    'auth_request to a location with a floor: 403 over TLSv1.2';
ok $n->access_log !~ m{/guarded/x}, 'and the application never sees it';
like curl($new, "$base/guarded/y"), qr{^HTTP/1.1 200},
    'over TLSv1.3 it passes';

like curl($new, 'http://127.0.0.1:' . $n->port2 . '/page'),
    qr/before<\/p>\{"error":"tls_too_old"\}/,
    'plain HTTP gets no protected part either';

like curl($term, @terminal, "$base/page"),
    qr/before<\/p>app user=\[alice\].*app user=\[alice\].*after/s,
    'the terminal on its legacy network gets the whole page';
my $lpage = KotTest::wait_until(sub {
    my @r = grep { $_->{'url.path'} eq '/page' } records('tls_legacy');
    @r ? \@r : undef }, what => 'the legacy page on the record');
is scalar(@{ $lpage // [] }), 1, 'recorded once, with kot.legacy_tls';
is $lpage->[0]{'http.response.status_code'}, 200, 'and the page\'s status';
is $lpage->[0]{'user.name'}, 'alice',
    'and the user whose session its parts checked, as the page has none';
is $lpage->[0]{'organization.id'}, 'acme', 'her tenant';
ok $seen->{'session.hash'}
   && ($lpage->[0]{'session.hash'} // '') eq $seen->{'session.hash'},
    'and her session, as on the records of her other requests';

like curl($term, @terminal, "$base/guarded/z"), qr{^HTTP/1.1 200},
    'auth_request to a location with a floor: the terminal passes';
my $lguard = KotTest::wait_until(sub {
    my @r = grep { $_->{'url.path'} eq '/guarded/z' } records('tls_legacy');
    @r ? \@r : undef }, what => 'the legacy auth_request on the record');
is scalar(@{ $lguard // [] }), 1, 'recorded once';
is $lguard->[0]{'user.name'}, 'alice', 'with the user its check found';


# the admin API: the same floor, decided before anything else

my $api_base = "$base/kot/admin/api";
my $adm = $t->dir . '/admin.jar';
like login_as('carol', $adm), qr{^HTTP/1.1 303}, 'a TLSv1.3 admin logs in';
my $session = curl($adm, "$api_base/session");
like $session, qr{^HTTP/1.1 200}, 'and calls the admin API';
my $token = body($session)->{csrf} // '';
like curl($adm, "$api_base/tenants/acme/users"), qr{^HTTP/1.1 200},
    'which lists the users over TLSv1.3';

my $anon = curl($t->dir . '/anon.jar', @old, "$api_base/session");
like $anon, qr{^HTTP/1.1 403},
    'a TLSv1.2 client without a session gets 403 from the admin API, '
    . 'not 401';
is body($anon)->{error}, 'tls_too_old', 'with tls_too_old';
like body($anon)->{detail} // '', qr/TLSv1\.2.*TLSv1\.3/,
    'and a detail that names the protocol and the floor';
my $err = body($anon);
ok +(($err->{error} // '') eq 'tls_too_old'
     && join(',', sort keys %$err) eq 'detail,error'),
    'and nothing else, as every error of the API';
like $anon, qr{^HTTP/1.1 403.*^Cache-Control: no-store\r$}ms,
    'that no cache keeps';

my $list = curl($adm, @old, "$api_base/tenants/acme/users");
like $list, qr{^HTTP/1.1 403},
    'an admin\'s valid session over TLSv1.2 gets 403 too';
is body($list)->{error}, 'tls_too_old', 'tls_too_old, not the users';
unlike $list, qr/alice/, 'and no name of a user';

my $html = curl($adm, @old, '-H', 'Accept: text/html',
                "$api_base/tenants/acme/users");
like $html, qr{^HTTP/1.1 403.*^Content-Type: application/json\r$}ms,
    'a browser gets the API\'s JSON 403, not the portal\'s page';

my $add = curl($adm, @old, '-H', 'Content-Type: application/json',
               '-H', "X-Kot-CSRF: $token", '--data',
               '{"username":"mallory","roles":["admin"]}',
               "$api_base/tenants/acme/users");
like $add, qr{^HTTP/1.1 403}, 'a user added over TLSv1.2 with the right '
    . 'token: 403';
is body($add)->{error}, 'tls_too_old', 'tls_too_old';
like curl($adm, "$api_base/tenants/acme/users/mallory"), qr{^HTTP/1.1 404},
    'and there is no such user';

my $big = $t->dir . '/big.json';
open my $fh, '>', $big or die "$big: $!";
print $fh '{"username":"' . ('x' x 70000) . '"}';
close $fh;
my $large = curl($adm, @old, '-H', 'Content-Type: application/json',
                 '-H', "X-Kot-CSRF: $token", '--data-binary', "\@$big",
                 "$api_base/tenants/acme/users");
is body($large)->{error}, 'tls_too_old',
    'a body over 64 KiB over TLSv1.2: tls_too_old before body_too_large';

my $aref = KotTest::wait_until(sub {
    my @r = grep { $_->{'url.path'} =~ m{^/kot/admin/api/} }
            records('tls_refused');
    @r >= 5 ? \@r : undef }, what => 'the API\'s refusals on the record');
my ($users) = grep { $_->{'url.path'} eq '/kot/admin/api/tenants/acme/users'
                     && $_->{'http.request.method'} eq 'GET' }
              @{ $aref // [] };
ok $users, 'each refused call is recorded as tls_refused';
is $users->{'kot.tls_protocol'}, 'TLSv1.2', 'with the protocol';
is $users->{'kot.min_tls'}, 'TLSv1.3', 'the floor';
is $users->{'http.response.status_code'}, 403, 'and the 403';

my $aplain = curl($adm, 'http://127.0.0.1:' . $n->port2
                  . '/kot/admin/api/session');
like $aplain, qr{^HTTP/1.1 403}, 'plain HTTP gets 403 from the admin API';
is body($aplain)->{error}, 'tls_too_old', 'tls_too_old too';

# the console's files: a "kot on" location, under the floor already
my $files = curl($adm, @old, '-H', 'Accept: text/html', '-H',
                 'Accept-Language: en', "$base/kot/admin/");
like $files, qr{^HTTP/1.1 403}, 'the console\'s page over TLSv1.2: 403';
like $files, qr/connected with TLSv1\.2, .* it needs TLSv1\.3 or newer/s,
    'the portal\'s page that names the protocol';
like curl($adm, "$base/kot/admin/"), qr{^HTTP/1.1 200.*kot-api}s,
    'over TLSv1.3 the console loads';
like curl($adm, @terminal, "$base/kot/admin/"), qr{^HTTP/1.1 200.*kot-api}s,
    'and on the legacy network';

my $tlist = curl($adm, @terminal, "$api_base/tenants/acme/users");
like $tlist, qr{^HTTP/1.1 200},
    'a TLSv1.2 admin on the legacy network lists the users';
like $tlist, qr/"alice"/, 'with their names';
my $alegacy = KotTest::wait_until(sub {
    my @r = grep { $_->{'url.path'} eq '/kot/admin/api/tenants/acme/users' }
            records('tls_legacy');
    @r ? \@r : undef }, what => 'the legacy admin call on the record');
is scalar(@{ $alegacy // [] }), 1, 'recorded once';
ok $alegacy && $alegacy->[0]{'kot.legacy_tls'} eq JSON::PP::true,
    'with kot.legacy_tls: true';
is $alegacy->[0]{'kot.tls_protocol'}, 'TLSv1.2', 'the protocol';
is $alegacy->[0]{'user.name'}, 'carol', 'the admin';
is $alegacy->[0]{'http.response.status_code'}, 200, 'and the status';


# the portal's own headers stay, HSTS added

my $form = curl($new, "$base/kot/login");
like $form,
    qr/^Strict-Transport-Security: max-age=31536000; includeSubDomains\r$/m,
    'the portal carries HSTS over TLS';
like $form,
    qr/^Content-Security-Policy: default-src 'none'.*frame-ancestors 'none'/m,
    'and keeps its CSP with frame-ancestors \'none\'';
like $form, qr/^Referrer-Policy: no-referrer\r$/m, 'no referrer';
like $form, qr/^Cache-Control: no-store\r$/m, 'and no-store';

my $plain = curl($new, '-H', 'Accept: text/html', '-H', 'Accept-Language: en',
                 'http://127.0.0.1:' . $n->port2 . '/app');
like $plain, qr{^HTTP/1.1 403}, 'plain HTTP is below any floor';
like $plain, qr/connected with plain HTTP/, 'and the page says so';
unlike $plain, qr/^Strict-Transport-Security:/m,
    'without HSTS, which is for TLS';


# configuration

my ($rc, $out) = $t->nginx_check(KotTest->site(
    http => 'kot_min_tls TLSv1.3 legacy=10.0.0.1/8;'));
isnt $rc, 0, 'a legacy network with host bits set fails nginx -t';
my $fix = '\(did you mean 10\.0\.0\.0\/8\?\)';
like $out, qr/kot_min_tls legacy= "10\.0\.0\.1\/8": host bits set $fix/,
    'naming the directive, the network and the fix';

($rc, $out) = $t->nginx_check(KotTest->site(http => 'kot_min_tls SSLv3;'));
like $out, qr/kot_min_tls "SSLv3": the floor is "TLSv1.2", "TLSv1.3" or "off"/,
    'so does an unknown floor';

($rc, $out) = $t->nginx_check(KotTest->site(
    http => 'kot_hsts max_age=300 preload;'));
like $out, qr/"kot_hsts" directive with "preload" needs "includeSubDomains"/,
    'and a preload HSTS that the preload list would refuse';

done_testing;
