# The admin console in headless Chromium, served as the README documents
# it (kot on, kot_require_role admin, kot_allowlist admin, the files by
# alias, the admin API at /kot/admin/api/), over HTTPS.  The steps live
# in t/browser/console*.mjs; this file starts the servers, makes the
# companies and users, and passes their TAP through.  Screenshots go to
# build/screenshots/.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;
use File::Path ();

my $t = KotTest->new;
my ($crt, $key) = $t->tls_cert;
my $repo = KotTest->repo;
my $shots = "$repo/build/screenshots";
File::Path::make_path($shots);

my $site = KotTest->site(
    http => 'kot_lockout threshold=3 window=15m duration=30m;
    kot_admin_operator ops;',
    server => "
        location /kot/admin/ {
            kot on;
            kot_require_role admin;
            kot_allowlist admin;
            alias $repo/admin/ui/;
            include $repo/conf/kot-admin-console.conf;
        }

        location /kot/admin/api/ {
            kot_admin;
        }") =~ s/kot_insecure_cookie on;//r;
$site =~ s{listen 127.0.0.1:%%PORT%%;}
          {listen 127.0.0.1:%%PORT%% ssl;
        ssl_certificate $crt;
        ssl_certificate_key $key;};
my $n = $t->nginx($site);

$t->add_user('acme', 'boss', 'the head of acme 2026', roles => ['admin']);
$t->add_user('acme', 'alice', 'she works at acme 2026');
$t->add_user('globex', 'gina', 'globex is run well', roles => ['admin']);
$t->add_user('ops', 'root', 'the operator on duty', roles => ['admin']);

$t->browse($n, 'console.mjs', 'acme', 'boss', 'the head of acme 2026',
           'ops', 'root', 'the operator on duty', $shots);
$t->browse($n, 'console_access.mjs', 'acme', 'alice',
           'she works at acme 2026', 'boss', 'the head of acme 2026',
           'globex', 'gina');

done_testing;
