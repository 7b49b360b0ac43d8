# The Debian package, as a sysadmin gets it from "make deb": the file
# Debian's naming gives it, the control fields apt acts on (above all the
# exact nginx-abi-* package of the installed nginx, so that apt refuses
# an nginx that would not load the module), the files it installs,
# lintian's verdict, an unpacked copy that nginx -t loads through the
# modules-available file, what its maintainer scripts of their own say
# at an upgrade and a removal, and a purge that keeps the audit logs.
# Nothing is installed on this machine: the package is unpacked into a
# throw-away root.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;
use File::Copy ();
use File::Find ();
use File::Temp ();

for my $tool (qw(dpkg-deb dpkg-buildpackage dh)) {
    plan skip_all => "$tool is missing: tools/deps test installs it"
        unless grep { -x "$_/$tool" } split /:/, $ENV{PATH};
}

my $repo = KotTest->repo;
my $dir = File::Temp::tempdir('kot-deb-XXXXXX', TMPDIR => 1,
                              CLEANUP => !$ENV{KOT_TEST_KEEP});

sub run (@cmd) {
    my $out = qx{@cmd 2>&1};
    return ($? >> 8, $out);
}

my ($rc, $version) = run('dpkg-parsechangelog', '-l', "$repo/debian/changelog",
                         '-S', 'Version');
chomp $version;
my $deb = "$dir/out/libnginx-mod-http-kot_${version}_amd64.deb";

my $out;
{
    local $ENV{DEB_OUT} = "$dir/out";
    ($rc, $out) = run('nice', '-n', '10', "$repo/tools/deb");
}
is $rc, 0, 'make deb builds the package' or diag $out;
ok -f $deb, "named libnginx-mod-http-kot_${version}_amd64.deb"
    or BAIL_OUT('no package to check');

sub field ($name) {
    my ($rc, $v) = run('dpkg-deb', '-f', $deb, $name);
    chomp $v;
    return $v;
}

is field('Package'), 'libnginx-mod-http-kot', 'the package name of Debian\'s '
    . 'nginx modules';
is field('Architecture'), 'amd64', 'for amd64';

# The nginx this machine runs provides the ABI its modules must match.
my ($abi) =
    qx{dpkg-query -W -f '\${Provides}' nginx} =~ /(nginx-abi-[\w.+~-]+)/;
my @depends = split /,\s*/, field('Depends');
ok $abi, "the installed nginx provides $abi";
ok((grep { $_ eq $abi } @depends), "the package depends on exactly $abi")
    or diag "Depends: @depends";
for my $lib (qw(libhiredis libjansson4 libssl3 libqrencode4 zlib1g libc6)) {
    ok((grep { /^\Q$lib\E[\d.]* \(>= / } @depends),
       "and on $lib, from the binaries' own links");
}
unlike field('Depends'), qr/node|npm/, 'and on nothing from npm';

my ($crc, $listing) = run('dpkg-deb', '-c', $deb);
my %in = map { (split ' ', $_, 6)[5] =~ s{^\./}{}r => 1 } split /\n/, $listing;
delete $in{''};

for my $path (qw(usr/lib/nginx/modules/ngx_http_kot_module.so
                 usr/share/nginx/modules-available/mod-http-kot.conf
                 usr/sbin/kotctl usr/share/man/man8/kotctl.8.gz
                 etc/logrotate.d/kot etc/ngx_kot/kotctl.conf
                 etc/nginx/snippets/kot-admin-console.conf
                 usr/share/doc/libnginx-mod-http-kot/copyright
                 usr/share/doc/libnginx-mod-http-kot/examples/kot.conf
                 usr/share/doc/libnginx-mod-http-kot/examples/nginx-site.conf))
{
    ok $in{$path}, "it installs /$path";
}

# every unit of conf/systemd and every file of the console, whatever they
# are when the package is built
for my $tree ([ 'conf/systemd', 'lib/systemd/system' ],
              [ 'admin/ui', 'usr/share/ngx_kot/admin' ])
{
    my ($from, $to) = @$tree;
    my @files;
    File::Find::find({ no_chdir => 1, wanted => sub {
        push @files, $_ =~ s{^\Q$repo/$from\E/}{}r if -f }}, "$repo/$from");
    my @missing = grep { !$in{"$to/$_"} } sort @files;
    ok @files > 0, "$from has files";
    is "@missing", '', "each of them is installed in /$to";
}

# a unit that pointed at make install's path would never start
my $unit_file = './lib/systemd/system/kot-notify.service';
my $unit = qx{dpkg-deb --fsys-tarfile $deb | tar -xOf - $unit_file};
like $unit, qr{^ExecStart=/usr/sbin/kotctl }m,
    "the notify daemon's unit runs the packaged kotctl";
{
    # each of its options is one that kotctl --help lists
    my ($exec) = $unit =~ /^ExecStart=(.*?)(?<!\\)$/ms;
    my @flags = ($exec // '') =~ /(?:^|\s)(--[a-z][a-z-]*)/g;
    my $help = qx{$repo/build/kotctl --help};
    my @unknown = grep { $help !~ /(?:^|[\s\[])\Q$_\E\b/m } @flags;
    ok @flags >= 3, 'its ExecStart passes options';
    is "@unknown", '', 'each of them an option of kotctl --help';
    unlike $unit, qr/^User=root|^DynamicUser=no/m, 'and it runs as no root';
    unlike $unit, qr/^SupplementaryGroups=.*\bredis\b/m,
        'nor in the redis group, which a host without Redis lacks';
    unlike $unit, qr/^PrivateUsers=(?:yes|true|1)/m,
        'nor in a user namespace, where root\'s kotctl.conf is nobody\'s';
    like $unit, qr/^RestartPreventExitStatus=2$/m,
        'a usage error (exit 2) is not restarted every 5 s';
    # its files are where kotctl.conf is, as the README says
    my @read = $unit =~ /^LoadCredential=[^:\n]+:(\S+)$/mg;
    is scalar @read, 2, 'it reads the Redis password and the signing key';
    is join(' ', grep { !m{^/etc/ngx_kot/[^/]+$} } @read), '',
        '  both in /etc/ngx_kot, beside kotctl.conf';
    unlike $unit, qr{/etc/kot/}, '  and names no /etc/kot/, not even in '
        . 'its comments';
}

SKIP: {
    skip 'no systemd-analyze', 1 unless -x '/usr/bin/systemd-analyze';
    my $path = "$repo/conf/systemd/kot-notify.service";
    my $analyze = 'systemd-analyze security --offline=true --threshold=15';
    my $out = qx{$analyze $path 2>&1};
    my ($level) = $out =~ /exposure level for \S+: (\S+)/;
    is $?, 0, "the notify daemon is confined: systemd's exposure level "
              . ($level // '?') . ' (at most 1.5 of 10)';
}

my @conffiles =
    split /\n/, qx{dpkg-deb --ctrl-tarfile $deb | tar -xOf - ./conffiles};
is_deeply [ sort @conffiles ],
          [ sort qw(/etc/logrotate.d/kot /etc/ngx_kot/kotctl.conf
                    /etc/nginx/snippets/kot-admin-console.conf) ],
    'what a sysadmin edits under /etc is kept at upgrades (conffiles)';

my $postinst = qx{dpkg-deb --ctrl-tarfile $deb | tar -xOf - ./postinst};
my $available = '/usr/share/nginx/modules-available/\$from';
my $enabled = '/etc/nginx/modules-enabled/\$to';
like $postinst, qr{ln -sf $available\s*\\?\s*$enabled}s,
    'installing it enables the module, as Debian\'s module packages do';
like $postinst, qr{mod-http-kot\.conf:50-mod-http-kot\.conf},
    'as modules-enabled/50-mod-http-kot.conf';
# dh_installsystemd --no-enable --no-start: enabled again only if it was
like $postinst, qr{was-enabled 'kot-notify\.service'}, 'the notify daemon is '
    . 'not enabled before it has a webhook, unless a sysadmin enabled it';
unlike $postinst, qr{deb-systemd-invoke}, 'nor started at install';

SKIP: {
    skip 'lintian is missing: tools/deps test installs it', 1
        unless grep { -x "$_/lintian" } split /:/, $ENV{PATH};
    my ($lrc, $tags) = run('nice', '-n', '10', 'lintian', '-I', '--allow-root',
                           $deb);
    is $tags, '', 'lintian has nothing to say (the overrides are in '
        . 'debian/, each with its reason)';
}

# A throw-away root: dpkg unpacks the package there and records it in
# that root's own database; no maintainer script runs.
my $root = "$dir/root";
mkdir $_ for $root, "$root/var", "$root/var/lib", "$root/var/log",
    "$root/var/lib/dpkg", "$root/var/lib/dpkg/info",
    "$root/var/lib/dpkg/updates";
KotTest::_spew("$root/var/lib/dpkg/status", '');
($rc, $out) = run('dpkg', "--root=$root", "--log=$root/var/log/dpkg.log",
                  '--force-depends', '--unpack', $deb);
is $rc, 0, 'dpkg unpacks it into a throw-away root' or diag $out;

# dpkg --configure would move the conffiles into place (and run postinst,
# which links modules-enabled on the real root: not here)
for my $conffile (@conffiles) {
    rename "$root$conffile.dpkg-new", "$root$conffile"
        or fail "$conffile.dpkg-new: $!";
}

is KotTest::_slurp("$root/usr/share/nginx/modules-available/mod-http-kot.conf"),
   KotTest::_slurp("$repo/conf/modules-available/mod-http-kot.conf"),
   'its modules-available file is the one make install installs';

# The audit log's rotation.  nginx-common's /etc/logrotate.d/nginx
# rotates /var/log/nginx/*.log (14 days); a log that both files name is
# an error that fails logrotate.service every day, and had the other
# file been read first, would have kept the audit log 14 days only.
my $rotate = KotTest::_slurp("$root/etc/logrotate.d/kot");
my @rotated = $rotate =~ m{^(/\S+)\s*\{}mg;
ok @rotated, 'the logrotate file names the audit log';
my $nginx_rotate = -f '/etc/logrotate.d/nginx'
    ? KotTest::_slurp('/etc/logrotate.d/nginx') : "/var/log/nginx/*.log {\n";
my @nginx_globs = $nginx_rotate =~ m{^(/\S+)\s*\{}mg;
for my $path (@rotated) {
    my @also = grep {
        my $re = quotemeta $_;
        $re =~ s/\\\*/[^\/]*/g;
        $re =~ s/\\\?/[^\/]/g;
        $path =~ /^$re\z/;
    } @nginx_globs;
    is "@also", '', "$path is no log of nginx's own logrotate file";
}
like $rotate, qr/^\s*create 0640 /m, 'a new audit log is not for others';
# README, "Rotating the keys": "logrotate -f" starts a new file on a day
# the daily rotation already ran, so a rotated file's name has the time
like $rotate, qr/^\s*dateformat\s+\S*%H\S*%M\S*%S/m,
    'a rotated file is named by the second, not by the day';
SKIP: {
    my ($lr) = grep { -x } map { "$_/logrotate" } split /:/, $ENV{PATH};
    skip 'logrotate is missing', 8 unless $lr;
    my $ld = "$dir/logrotate";
    mkdir $ld;
    KotTest::_spew("$ld/kot", $rotate =~ s{/var/log/ngx_kot/}{$ld/}gr
                                      =~ s{/run/nginx\.pid}{$ld/none.pid}gr);
    my $live = "$ld/kot-audit.jsonl";
    my $last = 0;
    for my $n (1, 2) {
        KotTest::_spew($live, "{\"n\":$n}\n", 0640);
        # the same day, the next second
        KotTest::wait_until(sub { time > $last }, timeout => 3,
                            what => 'the next second');
        ($rc, $out) = run($lr, '-f', '-s', "$ld/state", "$ld/kot");
        $last = time;
        is $rc, 0, "logrotate -f, time $n, rotates the audit log" or diag $out;
    }
    my @old = grep { !/state|\/kot$/ } glob "$ld/kot-audit.jsonl-*";
    is scalar @old, 2, 'into two files' or diag "@old";
    is -s $live, 0, 'and the live log starts empty';

    # 5 years of days, and the files those two forced rotations made
    # (as "Rotating the keys" makes them): retention goes by the files'
    # age, not their count, so that no forced rotation ever removes a
    # day younger than 5 years; older ones go.
    my ($days) = $rotate =~ /^\s*maxage\s+(\d+)/m;
    ok $days && $days >= 5 * 365 + 1, 'rotated files are kept 5 years '
        . '(maxage ' . ($days // '?') . ' days)';
    my (@young, @aged);
    for my $d (1 .. 1900) {
        my $t = time - $d * 86400 + 3600;
        my @tm = gmtime $t;
        my $name = sprintf '%s-%04d%02d%02d-000000.gz', $live,
                           $tm[5] + 1900, $tm[4] + 1, $tm[3];
        KotTest::_spew($name, '', 0640);
        utime $t, $t, $name;
        push @{ $d <= 5 * 365 + 1 ? \@young : \@aged }, $name;
    }
    KotTest::_spew($live, "{\"n\":3}\n", 0640);
    KotTest::wait_until(sub { time > $last }, timeout => 3,
                        what => 'the next second');
    ($rc, $out) = run($lr, '-f', '-s', "$ld/state", "$ld/kot");
    is $rc, 0, 'logrotate -f, a third time, with 5 years of files'
        or diag $out;
    is join(' ', grep { !-e && !-e "$_.gz" } @young, @old), '',
        '  removes no file younger than 5 years';
    # (the first is younger than 5 years by an hour: 1827 days)
    is join(' ', grep { -e } @aged[1 .. $#aged]), '',
        '  and removes those older';
}
unlike $rotate, qr/^\s*copytruncate/m,
    'and the live one is never emptied in place (docs/audit.md)';
# the sample site and kotctl.conf write where it rotates
my ($site_log) = KotTest::_slurp("$repo/conf/nginx-site.conf")
    =~ /^\s*kot_audit_log\s+(\S+?)\s*;/m;
my ($ctl_log) = KotTest::_slurp("$root/etc/ngx_kot/kotctl.conf")
    =~ /^#?\s*audit-log\s*=\s*(\S+)/m;
is $site_log, $rotated[0], 'the sample site\'s kot_audit_log is rotated';
is $ctl_log, $rotated[0], 'and so is kotctl.conf\'s audit-log';

# The audit log is kept 5 years: not in a directory of nginx's, which
# "apt-get purge nginx-common" (or "autoremove --purge" after nginx)
# deletes whole, with every rotated file in it.
my $nginx_postrm = -f '/var/lib/dpkg/info/nginx-common.postrm'
    ? KotTest::_slurp('/var/lib/dpkg/info/nginx-common.postrm')
    : "rm -rf /var/lib/nginx /var/log/nginx /etc/nginx\n";
my @purged = map { split ' ' } $nginx_postrm =~ /^\s*rm -rf\s+([^;\n]+)/mg;
ok @purged, "nginx-common's purge deletes @purged";
for my $path (@rotated) {
    my @under = grep { index($path, "$_/") == 0 } @purged;
    is "@under", '', "$path is in no directory that purging nginx deletes";
}
my ($log_dir) = ($rotated[0] // '') =~ m{^/(.+)/[^/]+$};
ok $log_dir && $in{"$log_dir/"}, "the package makes the audit log's "
    . 'directory, /' . ($log_dir // '?');
{
    my ($mode) = map { (split ' ')[0] }
                 grep { m{ \./\Q$log_dir\E/$} } split /\n/, $listing;
    # logrotate refuses a directory others may write, and nginx's workers
    # (www-data) open the log again in it after a rotation
    is $mode // '', 'drwxr-xr-x', 'root\'s, 0755: logrotate rotates in it '
        . 'and nginx\'s workers reopen the log there';
}

# postinst's own part (not dh's, which would link modules-enabled on this
# machine): a site that still writes in /var/log/nginx is told at upgrade,
# with the files to change
my ($warn) = $postinst =~ /^(# kot: audit log name\n.*?^# end kot[^\n]*\n)/ms;
ok $warn, 'postinst checks where the audit log is written';
KotTest::_spew("$dir/warn.sh", $warn // 'exit 1');
($rc, $out) = run("DPKG_ROOT=$root", 'sh', '-e', "$dir/warn.sh", 'configure',
                  '0.1.0');
is "$rc $out", '0 ', 'silent where nothing names /var/log/nginx';
mkdir "$root/etc/nginx/sites-enabled";
my $app = "$root/etc/nginx/sites-enabled/app";
for my $old ('/var/log/nginx/kot-audit.log',        # 0.1's name
             '"/var/log/nginx/kot-audit.jsonl"')
{
    KotTest::_spew($app, "# was kot-audit.log\nkot_audit_log $old;\n");
    ($rc, $out) = run("DPKG_ROOT=$root", 'sh', '-e', "$dir/warn.sh",
                      'configure', '0.1.0');
    is $rc, 0, "a site writing $old: the upgrade goes on";
    like $out, qr{named\ in:\ \Q$app\E\n.*change\ kot_audit_log\ .*\ to
                  \s+/var/log/ngx_kot/kot-audit\.jsonl}sx,
        '  told which file names it and what to change';
}
KotTest::_spew($app, "kot_audit_log /var/log/ngx_kot/kot-audit.jsonl;\n");
($rc, $out) = run("DPKG_ROOT=$root", 'sh', '-e', "$dir/warn.sh", 'configure',
                  '0.1.0');
is "$rc $out", '0 ', 'silent once it writes /var/log/ngx_kot';
unlink $app;
rmdir "$root/etc/nginx/sites-enabled";

# Before 0.2, kot-notify.service read its password and key from
# /etc/kot/: the upgrade moves them beside kotctl.conf, private, and
# leaves a link at the old name for whatever else reads them there.
my ($move) =
    $postinst =~ /^(# kot: notify files\n.*?^# end kot[^\n]*\n)/ms;
ok $move, 'postinst looks for the notify daemon\'s files in /etc/kot';
KotTest::_spew("$dir/move.sh", $move // 'exit 1');
my @move = ("DPKG_ROOT=$root", 'sh', '-e', "$dir/move.sh", 'configure');
($rc, $out) = run(@move, '0.1.0');
is "$rc $out", '0 ', 'silent where there is no /etc/kot';
mkdir "$root/etc/kot", 0700;
KotTest::_spew("$root/etc/kot/notify.key", "old key\n", 0640);
KotTest::_spew("$root/etc/kot/kotctl.pass", "old pass\n", 0600);
KotTest::_spew("$root/etc/kot/other", "mine\n", 0600);
($rc, $out) = run(@move, '0.1.0');
is $rc, 0, 'an upgrade with the files in /etc/kot goes on';
for my $f (qw(notify.key kotctl.pass)) {
    my $new = "$root/etc/ngx_kot/$f";
    is KotTest::_slurp($new), $f eq 'notify.key' ? "old key\n"
        : "old pass\n", "  /etc/kot/$f is now /etc/ngx_kot/$f";
    is sprintf('%o', (stat $new)[2] & 07777), '600',
        '    root\'s alone, as in the directory it left';
    ok -l "$root/etc/kot/$f"
        && KotTest::_slurp("$root/etc/kot/$f") eq KotTest::_slurp($new),
        '    and the old name leads to it';
    like $out, qr{\Q/etc/kot/$f\E\s+to\s+\Q/etc/ngx_kot/$f\E}s,
        '    which the upgrade says';
}
is KotTest::_slurp("$root/etc/kot/other"), "mine\n",
    '  a file of the sysadmin\'s own stays in /etc/kot';
($rc, $out) = run(@move, '0.2.0');
is "$rc $out", '0 ', 'silent at the next upgrade';
unlink "$root/etc/kot/notify.key";
KotTest::_spew("$root/etc/kot/notify.key", "other key\n", 0600);
($rc, $out) = run(@move, '0.1.0');
is $rc, 0, 'a key in both places: the upgrade goes on';
is KotTest::_slurp("$root/etc/ngx_kot/notify.key"), "old key\n",
    '  and changes neither';
like $out, qr{\Q/etc/kot/notify.key\E.*(?#
              )differs.*\Q/etc/ngx_kot/notify.key\E}s,
    '  but says which one the daemon reads';
unlink map { "$root/etc/kot/$_" } qw(notify.key kotctl.pass other);
unlink map { "$root/etc/ngx_kot/$_" } qw(notify.key kotctl.pass);
rmdir "$root/etc/kot";

# postrm's own part: removing the package while nginx's configuration
# still uses the module leaves an nginx that runs on (the reload that
# the removal triggers is refused) but that will not start again, at a
# restart or a boot, with every site it serves: the sysadmin is told.
my $postrm = qx{dpkg-deb --ctrl-tarfile $deb | tar -xOf - ./postrm};
my ($left) = $postrm =~ /^(# kot: configuration left\n.*?^# end kot[^\n]*\n)/ms;
ok $left, 'postrm checks whether nginx\'s configuration still uses ngx_kot';
KotTest::_spew("$dir/left.sh", $left // 'exit 1');
{
    my $conf = "$root/etc/nginx/nginx.conf";
    my $head = "error_log $dir/left-error.log;\npid $dir/left.pid;\n"
        . "events {}\n";
    my $site = "http {\n    kot_redis 127.0.0.1:6379;\n"
        . "    server { listen 127.0.0.1:8080; location / { kot on; } }\n}\n";
    KotTest::_spew($conf, $head . $site);
    for my $action (qw(remove purge)) {
        ($rc, $out) = run("DPKG_ROOT=$root", 'sh', '-e', "$dir/left.sh",
                          $action);
        is $rc, 0, "$action with kot_* still in nginx.conf: dpkg goes on";
        like $out, qr/still\ uses\ ngx_kot.*\n\ \ unknown\ directive
                      \ "kot_redis"\ in\ \S+nginx\.conf:5\n.*
                      will\ not\ start\ again/sx,
            '  and the sysadmin is told nginx will not start again, and why';
    }
    KotTest::_spew($conf, $head
        . "http {\n    server {\n        listen 127.0.0.1:8080;\n"
        . "        include $root/etc/nginx/snippets/none.conf;\n    }\n}\n");
    ($rc, $out) = run("DPKG_ROOT=$root", 'sh', '-e', "$dir/left.sh", 'purge');
    is "$rc $out", '0 ', 'silent where nginx -t fails for another reason';
    # purge removes the console's snippet, which a site includes
    KotTest::_spew($conf, $head
        . "http {\n    server {\n        listen 127.0.0.1:8080;\n"
        . "        include $dir/gone/kot-admin-console.conf;\n    }\n}\n");
    ($rc, $out) = run("DPKG_ROOT=$root", 'sh', '-e', "$dir/left.sh", 'purge');
    like "$rc $out", qr/^0 .*still uses ngx_kot.*kot-admin-console\.conf/s,
        'told too where a site includes the console\'s snippet, gone at purge';
    KotTest::_spew($conf, $head . "http {}\n");
    ($rc, $out) = run("DPKG_ROOT=$root", 'sh', '-e', "$dir/left.sh", 'remove');
    is "$rc $out", '0 ', 'silent where nothing uses ngx_kot';
    KotTest::_spew($conf, $head . $site);
    ($rc, $out) = run("DPKG_ROOT=$root", 'sh', '-e', "$dir/left.sh",
                      'upgrade', '0.2.0');
    is "$rc $out", '0 ', 'and at an upgrade, which keeps the module';
    unlink $conf;
}

KotTest::_spew("$dir/kot.key", 'k' x 32, 0600);
KotTest::_spew("$dir/nginx.conf", <<"EOF");
include $root/usr/share/nginx/modules-available/mod-http-kot.conf;
thread_pool kot_hash threads=2;
events {}
http {
    kot_redis 127.0.0.1:6379;
    kot_secret_file $dir/kot.key;
    kot_thread_pool kot_hash;
    server {
        listen 127.0.0.1:8080;
        location /kot/ { kot_portal; }
        location /kot/admin/ {
            kot on;
            alias $root/usr/share/ngx_kot/admin/;
            include $root/etc/nginx/snippets/kot-admin-console.conf;
        }
        location / { kot on; return 200; }
    }
}
EOF
# "modules/" of the loader file is relative to nginx's prefix, which
# Debian's nginx links to /usr/lib/nginx: here the root's.
($rc, $out) = run('nginx', '-p', "$root/usr/lib/nginx/", '-e', "$dir/error.log",
                  '-g', "'pid $dir/nginx.pid;'", '-c', "$dir/nginx.conf", '-t');
is $rc, 0, 'nginx -t loads the unpacked module through its loader file'
    or diag $out;
like $out, qr/test is successful/, 'and accepts a protected site';

($rc, $out) = run("KOT_CONFIG=$root/etc/ngx_kot/kotctl.conf",
                  "$root/usr/sbin/kotctl", 'audit', 'query', '/dev/null');
is $rc, 0, 'the packaged kotctl runs with its sample kotctl.conf' or diag $out;

# one version: the changelog's, which names the package, is kotctl's and
# the one the README's commands install (a new one is NEW there)
($rc, $out) = run("$root/usr/sbin/kotctl", '--version');
is "$rc $out", "0 kotctl $version\n",
    "the packaged kotctl --version says $version";
# the packaged module was built with it too: a node running it says so
# on its status page (make deb's configure had KOT_VERSION)
{
    local $KotTest::MODULE_SO =
        "$root/usr/lib/nginx/modules/ngx_http_kot_module.so";
    my $kt = KotTest->new;
    my $node = $kt->nginx(KotTest->site(
        server => "        location = /metrics { kot_status; }\n"));
    my $res = $node->ua->get('/metrics');
    like $res->{content}, qr/^kot_build_info\{version="\Q$version\E"\} 1$/m,
        "the packaged module's status page: kot_build_info{version="
        . "\"$version\"} 1" or diag "$res->{status} $res->{content}";

    # An upgrade puts the new module file in place under a running nginx,
    # which goes on with the one it loaded, a reload too (README,
    # Upgrading): postinst says so, and what loads the new one.
    my ($stale) =
        $postinst =~ /^(# kot: module in use\n.*?^# end kot[^\n]*\n)/ms;
    ok $stale, 'postinst checks whether nginx runs the module it replaced';
    KotTest::_spew("$dir/stale.sh", $stale // 'exit 1');
    mkdir "$root/run";
    KotTest::_spew("$root/run/nginx.pid", $node->pid . "\n");
    my @stale = ("DPKG_ROOT=$root", 'sh', '-e', "$dir/stale.sh", 'configure');
    ($rc, $out) = run(@stale, '0.1.0');
    is "$rc $out", '0 ', 'silent while nginx runs the installed module file';
    # as dpkg installs a file: the new one renamed over the old
    my $so = $KotTest::MODULE_SO;
    File::Copy::copy($so, "$so.dpkg-new") or die "copy: $!";
    rename "$so.dpkg-new", $so or die "rename: $!";
    ($rc, $out) = run(@stale, '0.1.0');
    is $rc, 0, 'an upgrade under a running nginx goes on';
    like $out, qr/nginx \(pid ${\ $node->pid}\) still runs the ngx_kot it\s+(?#
                  )loaded before this upgrade from 0\.1\.0.*(?#
                  )nginx -t && systemctl restart nginx/s,
        '  and says that it runs the old module until a restart';
    ($rc, $out) = run(@stale);
    is "$rc $out", '0 ', 'silent at a first install';
    unlink "$root/run/nginx.pid";
}
# Purging the package keeps the audit logs (README, Uninstalling): they
# are no file of the package's, and dpkg leaves a directory that holds
# other files.  The maintainer scripts are taken out first: postrm would
# act on this machine's /etc/nginx.
SKIP: {
    skip "no audit log directory in the package", 3
        unless $log_dir && -d "$root/$log_dir";
    my @kept = ("$root/$log_dir/kot-audit.jsonl",
                "$root/$log_dir/kot-audit.jsonl-20261203-000000.gz");
    KotTest::_spew($_, "{}\n", 0640) for @kept;
    unlink glob "$root/var/lib/dpkg/info/libnginx-mod-http-kot.{pre,post}*";
    ($rc, $out) = run('dpkg', "--root=$root", "--log=$root/var/log/dpkg.log",
                      '--purge', 'libnginx-mod-http-kot');
    is $rc, 0, 'dpkg purges it from the throw-away root' or diag $out;
    ok !-e "$root/etc/logrotate.d/kot", 'its files under /etc go';
    is join(' ', grep { -f } @kept), "@kept",
        'and the audit logs stay, live and rotated';
}

my @named = KotTest::_slurp("$repo/README.md")
    =~ /libnginx-mod-http-kot_(\d[^_\s]*)_amd64\.deb/g;
ok @named >= 2, 'the README names the package file';
is_deeply [ grep { $_ ne $version } @named ], [],
    "  always as libnginx-mod-http-kot_${version}_amd64.deb";

done_testing;
