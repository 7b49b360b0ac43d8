# The login flow, a forced password change and two-step login in headless
# Chromium, over HTTPS as in production.  The steps live in
# t/browser/*.mjs; this file starts the servers and passes their TAP
# through.

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
        ssl_certificate $crt;
        ssl_certificate_key $key;};
my $n = $t->nginx($site);

$t->add_user('acme', 'alice', 'correct horse battery');

$t->browse($n, 'login.mjs', 'acme', 'alice', 'correct horse battery');

my $made = $t->kotctl('user', 'add', 'acme', 'bob', '--role', 'user',
                      '--generate-password');
my ($temporary) = $made->{out} =~ /^password: (\S+)/m;
$t->browse($n, 'password.mjs', 'acme', 'bob', $temporary,
           'a new secret for 2026');

$t->add_user('acme', 'carol', 'she keeps a phone 2026');
$t->browse($n, 'mfa.mjs', 'acme', 'carol', 'she keeps a phone 2026',
           $t->dir);

# The back button after logout needs a browser that caches the pages:
# Chromium caches nothing from a site whose certificate it had to ignore,
# and counts plain HTTP on 127.0.0.1 as a secure origin.
my $plain = $t->nginx(KotTest->site, name => 'plain');
$t->browse('http://127.0.0.1:' . $plain->port, 'logout.mjs', 'acme',
           'alice', 'correct horse battery');

done_testing;
