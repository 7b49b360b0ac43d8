# The admin console in headless Chromium, served with the locations the
# README gives (kot on, kot_require_role admin, kot_allowlist admin, the
# files by alias, /kot/admin sent on to /kot/admin/, the admin API at
# /kot/admin/api/), over HTTPS.  The steps live
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

# the console's locations as the README gives them, on this checkout
my $console = eval { KotTest->console_locations }
    or BAIL_OUT('the README shows no console locations');

my $site = KotTest->site(
    http => 'kot_lockout threshold=3 window=15m duration=30m;
    kot_admin_operator ops;',
    server => $console) =~ s/kot_insecure_cookie on;//r;
$site =~ s{listen 127.0.0.1:%%PORT%%;}
          {listen 127.0.0.1:%%PORT%% ssl;
        ssl_certificate $crt;
        ssl_certificate_key $key;};
my $n = $t->nginx($site);

$t->add_user('acme', 'boss', 'the head of acme 2026', roles => ['admin']);
$t->add_user('acme', 'alice', 'she works at acme 2026');
$t->add_user('globex', 'gina', 'globex is run well', roles => ['admin']);
$t->add_user('ops', 'root', 'the operator on duty', roles => ['admin']);
$t->add_user('acme', 'taro', 'a phone lost on the train');

# taro has set up two-step login, as mfa_enrol leaves it (the seed's
# value does not matter: the test never gets as far as a code)
$t->redis('HSET', 'kot:v1:mfa:acme:taro', 'seed', 'sealed',
          'enrolled', 1, 'step', 0);
$t->redis('SADD', 'kot:v1:mrc:acme:taro', 'code-hash');

# sato has not logged in for longer than acme allows: inactive
$t->add_user('acme', 'sato', 'back from a long leave');
$t->kotctl('tenant', 'policy', 'acme', 'inactive_after=30d');
$t->redis('HSET', 'kot:v1:u:acme:sato', 'created',
          int(time * 1000) - 40 * 86400 * 1000);

$t->browse($n, 'console.mjs', 'acme', 'boss', 'the head of acme 2026',
           'ops', 'root', 'the operator on duty', $shots, 'taro',
           'a phone lost on the train', 'sato', 'back from a long leave');
# a company of its own for what its admin meets on the policy and
# networks screens, which would change acme's for the tours above
$t->add_user('umbrella', 'ume', 'the admin of umbrella', roles => ['admin']);
$t->add_user('umbrella', 'uta', 'works at umbrella since 2021');
$t->browse($n, 'console_tenant_admin.mjs', 'umbrella', 'ume',
           'the admin of umbrella', 'uta');
# two admins of one company who change the same user at once, and the
# operator under that company's support grant
$t->add_user('initrode', 'ann', 'the first admin of initrode',
             roles => ['admin']);
$t->add_user('initrode', 'ben', 'the second admin of initrode',
             roles => ['admin']);
$t->add_user('initrode', 'cho', 'works at initrode since 2020');
$t->add_user('initrode', 'dai', 'away from initrode a while');
$t->kotctl('tenant', 'policy', 'initrode', 'inactive_after=30d');
$t->redis('HSET', 'kot:v1:u:initrode:dai', 'created',
          int(time * 1000) - 40 * 86400 * 1000);
# eri, an admin, and cho have set up two-step login (as mfa_enrol
# leaves it: the operator only sees whether it may reset it)
$t->add_user('initrode', 'eri', 'the third admin of initrode',
             roles => ['admin']);
$t->redis('HSET', "kot:v1:mfa:initrode:$_", 'seed', 'sealed',
          'enrolled', 1, 'step', 0) for qw(eri cho);
$t->kotctl('support', 'grant', 'initrode', '--hours', '1');
$t->browse($n, 'console_conflict.mjs', 'initrode',
           'ann', 'the first admin of initrode',
           'ben', 'the second admin of initrode', 'cho', 'dai',
           'ops', 'root', 'the operator on duty', 'eri');
$t->browse($n, 'console_access.mjs', 'acme', 'alice',
           'she works at acme 2026', 'boss', 'the head of acme 2026',
           'globex', 'gina');

done_testing;
