# Configuration mistakes fail "nginx -t" with a message that names the
# directive and the fix; the module itself builds without a warning.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;

my $t = KotTest->new;


my $log = KotTest::_slurp(KotTest->repo . '/build/module-build.log');
ok length $log, 'the module build log is there';
unlike $log, qr/warning:/, 'the module compiled without warnings';
like $log, qr/-Wall -Wextra -Werror/, 'with -Wall -Wextra -Werror';


my ($rc, $out) = $t->nginx_check(KotTest->site);
is $rc, 0, 'the usual site passes nginx -t' or diag $out;

sub refused ($snippet, $re, $name) {
    my ($rc, $out) = $t->nginx_check($snippet);
    isnt $rc, 0, "$name: nginx -t fails";
    like $out, $re, "$name: and says what to do";
}

my $site = KotTest->site;

refused($site =~ s/kot_redis [^;]*;//r,
        qr/need a session store: add "kot_redis 127\.0\.0\.1:6379;"/,
        'kot on without kot_redis');

refused($site =~ s/kot_secret_file [^;]*;//r,
        qr/need a key: add "kot_secret_file/, 'kot on without a key');

my $missing_key = 'kot_secret_file "[^"]*none" cannot be opened';
my $create_key = 'create it with '
               . '"\(umask 077; head -c 32 \/dev\/urandom > [^"]*none\)"';
refused($site =~ s/kot_secret_file [^;]*;/kot_secret_file %%DIR%%\/none;/r,
        qr/$missing_key; $create_key/,
        'a missing key file');

my $short = $t->dir . '/short.key';
KotTest::_spew($short, 'x' x 20);
chmod 0600, $short;
refused($site =~ s/kot_secret_file [^;]*;/kot_secret_file $short;/r,
        qr/holds 20 bytes; it needs 32/, 'a key file that is too short');

my $open = $t->dir . '/open.key';
KotTest::_spew($open, 'x' x 40);
chmod 0644, $open;
refused($site =~ s/kot_secret_file [^;]*;/kot_secret_file $open;/r,
        qr/accessible by other users \(mode 0644\); run "chmod 600/,
        'a key file that others can read');

refused($site =~ s/kot_redis [^;]*;/kot_redis redis.example:6379;/r,
        qr/kot_redis "redis.example:6379" is not an address: use "IP:PORT"/,
        'a host name for Redis');

refused($site =~ s/kot_redis ([^;]*);/kot_redis $1 colour=blue;/r,
        qr/kot_redis: invalid parameter "colour=blue"/,
        'an unknown kot_redis parameter');

# Redis's password is Redis's: a new random one would not be it
refused($site =~ s{kot_redis ([^;]*);}
                  {kot_redis $1 password_file=/nonexistent;}r,
        qr/kot_redis password_file "\/nonexistent" cannot be opened; (?x)
           write \s the \s password \s of \s Redis \s
           \(its \s "requirepass", \s or \s the \s ACL \s user's\) \s
           to \s it \s with \s "\(umask \s 077; \s cat \s > \s
           \/nonexistent\)"/,
        'a missing Redis password file');
my $nopw = $t->dir . '/empty.pass';
KotTest::_spew($nopw, "\n", 0600);
refused($site =~ s/kot_redis ([^;]*);/kot_redis $1 password_file=$nopw;/r,
        qr{${\ ('kot_redis password_file "[^"]*empty\.pass" holds 0 bytes; '
                . 'it needs 1 to \d+: the password of Redis') }},
        'an empty Redis password file');
($rc, $out) = $t->nginx_check(
    $site =~ s/kot_redis ([^;]*);/kot_redis $1 password_file=\/nonexistent;/r);
unlike $out, qr/urandom/, 'and neither says to make a random one';
my $sentinel = 'kot_redis_sentinel 127.0.0.1:26379 master=m '
    . 'sentinel_password_file=/nonexistent;';
refused($site =~ s/kot_redis [^;]*;/$sentinel/r,
        qr{\Q${\ ('kot_redis_sentinel sentinel_password_file "/nonexistent" '
                  . 'cannot be opened; write the password of the sentinels '
                  . '("requirepass" in sentinel.conf) to it with '
                  . '"(umask 077; cat > /nonexistent)"') }\E},
        'a missing password file of the sentinels');

refused($site =~ s{kot_insecure_cookie on;}
                  {kot_insecure_cookie on; kot_password_policy blocklist=;}r,
        qr{\Q${\ ('kot_password_policy: "blocklist=" needs a file of common '
                  . 'passwords, one a line, e.g. '
                  . '"blocklist=/usr/share/john/password.lst"') }\E},
        'an empty blocklist=');

my $ln_range = 'ln must be 10\.\.22';
refused($site =~ s/ln=10/ln=40/r,
        qr/kot_password_hash: scrypt parameters out of range: $ln_range/,
        'an out-of-range scrypt cost');

refused($site =~ s/scrypt ln=10/bcrypt/r,
        qr/unknown algorithm "bcrypt"; the only one is "scrypt"/,
        'an unknown hash algorithm');

refused($site =~ s{location /kot/ \{}{location = /kot/login \{}r,
        qr/"kot_portal" must be in a prefix location that ends with "\/"/,
        'kot_portal in an exact location');

refused($site =~ s{kot_insecure_cookie on;}
                  {kot_insecure_cookie on; kot_portal_uri login;}r,
        qr{kot_portal_uri "login" must be a path that starts and ends with "/"},
        'a relative kot_portal_uri');

refused($site =~ s{kot on;}{kot on; kot_idle_timeout 0;}r,
        qr/"kot_idle_timeout" and "kot_absolute_timeout" must be more than 0/,
        'a zero idle timeout');

refused($site =~ s{kot on;}{kot on; kot_thread_pool x;}r,
        qr/"kot_thread_pool" directive is not allowed here/,
        'kot_thread_pool outside http');

refused($site =~ s{kot_thread_pool kot_test;}{kot_thread_pool nosuch;}r,
        qr/unknown thread pool "nosuch"/, 'an undefined thread pool');

refused($site =~ s{kot_insecure_cookie on;}
                  {kot_insecure_cookie on; kot_lockout threshold=500;}r,
        qr/kot_lockout: "threshold=500": the threshold must be 1\.\.100/,
        'a lockout threshold above what NIST allows');

refused($site =~ s{kot_insecure_cookie on;}
                  {kot_insecure_cookie on; kot_lockout window=soon;}r,
        qr/kot_lockout: "window=soon" is not a time/,
        'a lockout window that is no time');

my $shrinks = 'kot_lockout duration=2h max_duration=1h;';
refused($site =~ s{kot_insecure_cookie on;}{kot_insecure_cookie on; $shrinks}r,
        qr/max_duration must not be shorter than duration/,
        'a lockout that would shrink as it escalates');

# every parameter has its default: bare, it is the defaults (README)
($rc, $out) = $t->nginx_check($site =~ s{kot_insecure_cookie on;}
                                      {kot_insecure_cookie on; kot_lockout;}r);
is $rc, 0, 'a bare kot_lockout takes every default' or diag $out;

my $colour = 'kot_lockout threshold=5 colour=red;';
refused($site =~ s{kot_insecure_cookie on;}{kot_insecure_cookie on; $colour}r,
        qr/kot_lockout: invalid parameter "colour=red"/,
        'an unknown lockout parameter');

my $per_minute = 'expected rate=N/m';
refused(KotTest->site(throttle => 'rate=10/s'),
        qr{kot_login_throttle: invalid parameter "rate=10/s"; $per_minute},
        'a throttle rate that is not per minute');
refused(KotTest->site(throttle => 'rate=10/m ipv6_site=0'),
        qr{${\ ('kot_login_throttle: invalid parameter "ipv6_site=0"; '
                . '.*ipv6_site=N \(1\.\.65536 times the rate and burst, '
                . 'for an IPv6 /48\) or ipv6_site=off') }},
        'an IPv6 /48 share of nothing (off says so)');

refused($site =~ s{kot on;}{kot on; kot_lockout threshold=3;}r,
        qr/"kot_lockout" directive is not allowed here/,
        'kot_lockout in a location');

# A location answered by two content handlers keeps only the last one
# that nginx read: the other's pages silently go elsewhere.
refused($site =~ s{kot_portal;}{kot_portal; proxy_pass http://%%APP%%;}r,
        qr{\Q${\ ('location "/kot/" has "kot_portal" and another content '
                  . 'handler (proxy_pass, fastcgi_pass, empty_gif...): give '
                  . '"kot_portal" a location of its own') }\E},
        'kot_portal followed by proxy_pass in its location');
refused(KotTest->site(server => 'location /adm/ { proxy_pass '
                                . 'http://%%APP%%; kot_admin; }'),
        qr/"kot_admin" directive needs a location of its own/,
        'kot_admin after proxy_pass in its location');
refused(KotTest->site(server => 'location /st/ { kot_status; proxy_pass '
                                . 'http://%%APP%%; }'),
        qr/location "\/st\/" has "kot_status" and another content handler/,
        'kot_status followed by proxy_pass in its location');
refused(KotTest->site(server => 'location /st/ { kot_status; kot_portal; }'),
        qr/"kot_portal" directive needs a location of its own/,
        'kot_status and kot_portal in one location');

# A parameter given twice is a mistake: the second one used to win
# without a word, e.g. a weaker min_length below the first.
for my $case (
    [ http => 'kot_password_policy min_length=12 classes=2 min_length=8;',
      'kot_password_policy: "min_length=" is given twice '
      . '\("min_length=12" and "min_length=8"\); keep one' ],
    [ http => 'kot_lockout threshold=5 threshold=50;',
      'kot_lockout: "threshold=" is given twice' ],
    [ throttle => 'rate=10/m burst=5 rate=60/m',
      'kot_login_throttle: "rate=" is given twice' ],
    [ http => 'kot_audit_auditor_key ' . ($t->auditor_keys)[1]
              . '; kot_audit_log %%DIR%%/a.log flush=1s flush=1m;',
      'kot_audit_log: "flush=" is given twice' ],
    [ site => 's/ln=10/ln=10 ln=11/',
      'kot_password_hash: "ln=" is given twice' ],
    [ site => 's/timeout=1s/timeout=1s db=1 timeout=5s/',
      'kot_redis: "timeout=" is given twice' ],
    [ site => 's/kot_redis [^;]*;/'
              . 'kot_redis_sentinel 127.0.0.1:26379 master=a master=b;/',
      'kot_redis_sentinel: "master=" is given twice' ])
{
    my ($how, $what, $re) = @$case;
    my $conf = $how eq 'site' ? eval "\$site =~ ${what}r"
                              : KotTest->site($how => $what);
    my ($directive) = $re =~ /^(\w+)/;
    refused($conf, qr/$re/, "$directive with a parameter twice");
}

# One file is one log with one buffer: where two places name it with
# different parameters, one of them would be ignored.
{
    my $key = 'kot_audit_auditor_key ' . ($t->auditor_keys)[1] . ';';
    refused(KotTest->site(http => "$key kot_audit_log %%DIR%%/a.log buffer=4k;",
                          location => 'kot_audit_log %%DIR%%/a.log buffer=1m;'),
            qr{${\ ('kot_audit_log "[^"]*a\.log": "buffer=1m" differs from '
                    . 'the buffer= given to the same file before; give it '
                    . 'once, or the same everywhere') }},
            'one audit file with two buffer sizes');
    refused(KotTest->site(
                http => "$key kot_audit_log %%DIR%%/a.log cache=keep;",
                location => 'kot_audit_log %%DIR%%/a.log cache=30s;'),
            qr{"cache=30s" differs from the cache= given to the same file},
            'one audit file with two cache times');
    refused(KotTest->site(
                http => "$key kot_audit_log %%DIR%%/a.log cahce=keep;"),
            qr{\Qkot_audit_log: invalid parameter "cahce=keep"; expected \E
               \Qbuffer=SIZE, flush=TIME or cache=TIME|keep\E}x,
            "an audit log's misspelt parameter, and what it takes");
    for my $bad ('cache=soon', 'cache=0', 'cache=') {
        my $says = qq{kot_audit_log: "$bad" must be a time or "keep", }
                 . 'e.g. cache=60s';
        refused(KotTest->site(
                    http => "$key kot_audit_log %%DIR%%/a.log $bad;"),
                qr/\Q$says\E/, "an audit log's $bad");
    }
    ($rc, $out) = $t->nginx_check(KotTest->site(
        http => "$key kot_audit_log %%DIR%%/a.log buffer=4k flush=100ms "
              . "cache=keep;",
        location => 'kot_audit_log %%DIR%%/a.log flush=100ms cache=keep;',
        server => 'kot_audit_log %%DIR%%/a.log;'));
    is $rc, 0, 'one audit file named again with the same parameters, or none'
        or diag $out;
}

# nginx's own open() error would name neither the directive nor the fix
refused(KotTest->site(http => 'kot_audit_log %%DIR%%/no-such-dir/a.log;'),
        qr{${\ ('kot_audit_log "[^"]*/no-such-dir/a\.log": the directory '
                . '"[^"]*/no-such-dir" does not exist; create it '
                . '\("install -d -m 0750 [^"]*/no-such-dir"') }},
        'an audit log in a directory that does not exist');
refused(KotTest->site(http => 'kot_audit_log %%SECRET%%/a.log;'),
        qr{kot_audit_log "[^"]*/a\.log": "[^"]*" is not a directory},
        'an audit log below a file');

refused(KotTest->site(http => 'kot_audit_auditor_key /nonexistent.pub;'),
        qr{${\ ('kot_audit_auditor_key "\/nonexistent\.pub" cannot be '
                . 'opened; copy the auditor\'s public key there '
                . '.*\(2: No such file or directory\)') }},
        'a missing auditor key, not called a bad one');
refused(KotTest->site(http => 'kot_audit_auditor_key %%SECRET%%;'),
        qr/kot_audit_auditor_key "[^"]*" is not an RSA public key in PEM/,
        'a file that is no public key');

# An allow-list is checked where a session is: without "kot on" the
# location would be open from every network, and to everyone.
refused(KotTest->site(server => 'location /adm/ { kot_allowlist admin; '
                                . 'proxy_pass http://%%APP%%; }'),
        qr{${\ ('"kot_allowlist" in location "\/adm\/" guards nothing: '
                . '.*add "kot on;" to the location') }},
        'kot_allowlist admin in a location without kot on');
($rc, $out) = $t->nginx_check(KotTest->site(
    server => 'location /pub/ { kot_allowlist off; '
              . 'proxy_pass http://%%APP%%; }',
    http => 'kot_allowlist admin;'));
is $rc, 0, 'kot_allowlist off there, or one inherited from http, passes'
    or diag $out;

# A tenant name without variables is known now: one that can never be
# a tenant would let no login succeed.
refused(KotTest->site(http => 'kot_tenant "Acme Corp";'),
        qr{\Q${\ ('kot_tenant "Acme Corp" is not a tenant name: use 1 to 63 '
                  . "of a-z, 0-9, '.' and '-'") }\E},
        'a kot_tenant that is no tenant name');
refused(KotTest->site(location => 'kot_tenant "";'),
        qr/kot_tenant "" is not a tenant name/, 'an empty kot_tenant');
($rc, $out) = $t->nginx_check(KotTest->site(
    http => 'kot_tenant Acme.example;', location => 'kot_tenant $host;'));
is $rc, 0, 'kot_tenant takes a name in any case, and variables'
    or diag $out;

# "kot on" over the whole server would ask the login page for a login
refused(KotTest->site(server => 'kot on;'),
        qr{\Q${\ ('"kot_portal" of location "/kot/" is under "kot on", so '
                  . 'nobody could reach the login page: add "kot off;" to '
                  . 'the location') }\E},
        'the portal under a server-wide kot on');
($rc, $out) = $t->nginx_check(KotTest->site(server => 'kot on;')
    =~ s{kot_portal;}{kot_portal; kot off;}r);
is $rc, 0, 'a server-wide kot on with "kot off" in the portal passes'
    or diag $out;

($rc, $out) = $t->nginx_check(KotTest->site(
    throttle => 'rate=30/m burst=5 ipv6_site=4',
    http => 'kot_lockout threshold=5 window=10m duration=15m '
          . 'max_duration=12h permanent_after=4;'));
is $rc, 0, 'a full kot_lockout and kot_login_throttle pass' or diag $out;
($rc, $out) = $t->nginx_check(KotTest->site(
    throttle => 'rate=30/m ipv6_site=off'));
is $rc, 0, 'a throttle without the IPv6 /48 bucket passes' or diag $out;

refused(KotTest->site(http => 'kot_password_policy min_age=90d '
                              . 'max_age=30d;'),
        qr/kot_password_policy: min_age must be shorter than max_age/,
        'a min_age that would trap users with an expired password');

($rc, $out) = $t->nginx_check(KotTest->site(
    http => 'kot_password_policy min_length=200 max_length=256;'));
is $rc, 0, 'the rules of kot_password_policy may come in any order'
    or diag $out;


# The shipped conf/modules-available file loads the module the way
# Debian's packages load theirs, from the prefix's modules/ directory.
{
    my $pre = $t->dir . '/debian-style';
    mkdir $_ for $pre, "$pre/modules", "$pre/logs";
    symlink $KotTest::MODULE_SO, "$pre/modules/ngx_http_kot_module.so"
        or die "symlink: $!";
    KotTest::_spew("$pre/nginx.conf", "include " . KotTest->repo
        . "/conf/modules-available/mod-http-kot.conf;\n"
        . "error_log $pre/logs/error.log;\npid $pre/nginx.pid;\n"
        . "events {}\nhttp { kot_strip_identity on; }\n");
    my $r = $t->_run([$KotTest::NGINX, '-t', '-p', "$pre/", '-c',
                      "$pre/nginx.conf"], merge => 1);
    is $r->{exit}, 0, 'the shipped mod-http-kot.conf loads the module'
        or diag $r->{out};
}


# MFA
($rc, $out) = $t->nginx_check(KotTest->site(
    http => 'kot_mfa_issuer "Example Inc. 勤怠";'));
is $rc, 0, 'kot_mfa_issuer takes a name with spaces and Japanese'
    or diag $out;
my $issuer_rule = 'use 1 to 64 bytes of UTF-8 without control characters '
                . 'and without ":"';
refused(KotTest->site(http => 'kot_mfa_issuer "Example: Inc";'),
        qr/kot_mfa_issuer "Example: Inc": $issuer_rule/,
        'an issuer with ":"');
refused(KotTest->site(http => 'kot_mfa_issuer "' . ('x' x 65) . '";'),
        qr/kot_mfa_issuer "x+": use 1 to 64 bytes/, 'an issuer too long');
refused(KotTest->site(http => "kot_password_policy mfa=yes;"),
        qr/kot_password_policy: "mfa=yes": use required or optional/,
        'mfa= takes required or optional');


# The sample site that the package ships (examples/nginx-site.conf), as a
# sysadmin copies it: only its paths, names and port made this test's.
{
    my $repo = KotTest->repo;
    my $sample = KotTest::_slurp("$repo/conf/nginx-site.conf");
    my ($crt, $key) = $t->tls_cert;
    my (undef, $pub) = $t->auditor_keys;
    my $pw = $t->dir . '/sample-redis.pass';
    KotTest::_spew($pw, "pw\n", 0600);
    my $site = $sample =~ s{unix:/run/redis/kot.sock}{%%REDIS%%}r
        =~ s{/etc/nginx/redis\.pass}{$pw}r
        =~ s{/etc/nginx/kot\.key}{%%SECRET%%}r
        =~ s{/etc/nginx/auditor\.pub}{$pub}r
        =~ s{/var/log/ngx_kot/}{%%DIR%%/}r
        =~ s{/etc/ssl/certs/\S+\.pem}{$crt}r
        =~ s{/etc/ssl/private/\S+\.key}{$key}r
        =~ s{listen 443 ssl}{listen 127.0.0.1:%%PORT%% ssl}r
        =~ s{/usr/share/ngx_kot/admin/}{$repo/admin/ui/}r
        =~ s{snippets/kot-admin-console\.conf}
            {$repo/conf/kot-admin-console.conf}r;
    ($rc, $out) = $t->nginx_check($site,
        extra_main => 'thread_pool kot_hash threads=1;');
    is $rc, 0, 'the shipped sample site passes nginx -t' or diag $out;
    unlike $sample, qr/^\s*kot_insecure_cookie\s+on/m,
        'it keeps the Secure __Host- cookies';
    like $sample, qr/^\s*kot_min_tls\s+TLSv1\.[23]\b/m,
        'it refuses logins over old TLS or plain HTTP (kot_min_tls)';
    like $sample, qr/^\s*kot_hsts\s+max_age=\d{8,}/m,
        'and tells browsers to stay on HTTPS (kot_hsts)';
    like $sample, qr/^\s*ssl_protocols\s+TLSv1\.2 TLSv1\.3;/m,
        'nginx itself speaks TLSv1.2 and TLSv1.3 only';
}

done_testing;
