# Every portal page in a real browser, in English and Japanese, on a
# desktop (1280 px) and a phone (375 px): screenshots in
# build/screenshots/ for a person to look at, and on each page what the
# browser can check (its language, its heading, nothing wider than the
# screen).  The steps live in t/browser/screens.mjs.  The default site
# shows the last login after a login (as kot_last_login_notice does by
# default); a site that speaks only TLSv1.2 but needs TLSv1.3 shows the
# page of a connection too old.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;

my $t = KotTest->new;
my ($crt, $key) = $t->tls_cert;
my $out = KotTest->repo . '/build/screenshots';
my $sample = KotTest->repo . '/conf/portal-templates';

sub site ($look, $protocols = 'TLSv1.2 TLSv1.3') {
    my $site = KotTest->site(server => <<"EOF") =~ s/kot_insecure_cookie on;//r;
        set_real_ip_from 127.0.0.1;
        real_ip_header X-Real-IP;
        $look

        location = /brand/logo.svg {
            types { image/svg+xml svg; }
            alias $sample/logo.svg;
        }
EOF
    return $site =~ s{listen 127.0.0.1:%%PORT%%;}
                     {listen 127.0.0.1:%%PORT%% ssl;
        ssl_protocols $protocols;
        ssl_certificate $crt;
        ssl_certificate_key $key;}r;
}

my $n = $t->nginx(site('kot_last_login_notice on;'));
my $b = $t->nginx(site("kot_portal_templates $sample;"), name => 'branded');
my $old = $t->nginx(site('kot_min_tls TLSv1.3;', 'TLSv1.2'), name => 'old');

$t->add_user('acme', "u$_", 'correct horse battery') for 1280, 375;
my $r = $t->kotctl('allowlist', 'acme', 'access', 'set', '127.0.0.0/8');
is $r->{exit}, 0, 'the tenant allows the loopback only' or diag $r->{err};

for my $width (1280, 375) {
    $t->browse($n, 'screens.mjs', $width, 'default', $out, 'all', 'acme',
               "u$width", 'correct horse battery');
    $t->browse($b, 'screens.mjs', $width, 'sample', $out, 'login');
    $t->browse($old, 'screens.mjs', $width, 'default', $out, 'tls');
}

$t->stop_redis;

for my $width (1280, 375) {
    $t->browse($n, 'screens.mjs', $width, 'default', $out, 'down');
}

done_testing;
