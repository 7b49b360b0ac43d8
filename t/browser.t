# The whole login flow in headless Chromium, over HTTPS as in production.
# The steps live in t/browser/login.mjs; this file starts the servers and
# passes its TAP through.

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

my $r = $t->_run([ 'node', KotTest->repo . '/t/browser/login.mjs',
                   'https://127.0.0.1:' . $n->port, 'acme', 'alice',
                   'correct horse battery' ], merge => 1);

my @lines = split /\n/, $r->{out};
my $ran = 0;
for (@lines) {
    if (/^(not )?ok \d+ - (.*)$/) {
        ok !$1, $2;
        $ran++;
    } elsif (/^#/) {
        diag $_;
    } elsif (!/^1\.\.\d+$/) {
        diag $_;
    }
}

ok $ran >= 9, 'every step of the browser flow ran';
is $r->{exit}, 0, 'the browser run ended cleanly';

done_testing;
