# A module built without the project's version is refused when nginx's
# configure reads it, naming the fix, rather than built to report no
# version or a wrong one (kot_build_info, audit record 0).  The version
# is defined once, in debian/changelog's top entry; the Makefile reads it
# and passes it to config in the environment.  This runs config's check
# and the Makefile's reading of the changelog alone: seconds, not a
# rebuild.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use File::Path ();
use File::Temp ();
use POSIX ();
use Test::More;

my $repo = KotTest->repo;
my $version = KotTest->version;
my $tmp = File::Temp::tempdir('kot-version-XXXXXXXX', DIR => '/tmp',
                              CLEANUP => 1);

sub spew ($path, $text) {
    open my $fh, '>', $path or die "$path: $!\n";
    print $fh $text;
    close $fh or die "$path: $!\n";
}

# Runs @cmd in $dir with the environment %env added (undef: removed);
# returns its exit status, stdout and stderr.
sub run_in ($dir, $env, @cmd) {
    my ($out, $err) = ("$tmp/out", "$tmp/err");
    my $pid = fork // die "fork: $!\n";

    if ($pid == 0) {
        chdir $dir or POSIX::_exit(126);
        for my $k (keys %$env) {
            if (defined $env->{$k}) { $ENV{$k} = $env->{$k} }
            else { delete $ENV{$k} }
        }
        open STDIN, '<', '/dev/null' or POSIX::_exit(126);
        open STDOUT, '>', $out or POSIX::_exit(126);
        open STDERR, '>', $err or POSIX::_exit(126);
        { no warnings 'exec'; exec { $cmd[0] } @cmd }
        POSIX::_exit(127);
    }

    waitpid $pid, 0;
    return ($? >> 8, KotTest::_slurp($out) // '', KotTest::_slurp($err) // '');
}


# config, as nginx's configure reads an addon's: sourced by sh from the
# nginx source directory, whose auto/define and auto/module are stood in
# for here by scripts that note what they were given.

my $ngx = "$tmp/nginx";
mkdir $ngx;
mkdir "$ngx/auto";
spew("$ngx/auto/define", qq{echo "define \$have=\$value" >>"\$KOT_T_SEEN"\n});
spew("$ngx/auto/module",
     qq{echo "module \$ngx_module_name" >>"\$KOT_T_SEEN"\n});

sub configure ($kot_version) {
    my $seen = "$tmp/seen";
    unlink $seen;
    my ($rc, $out, $err) = run_in($ngx,
        { KOT_VERSION => $kot_version, KOT_T_SEEN => $seen },
        '/bin/sh', '-c', 'ngx_addon_dir=$1; . "$ngx_addon_dir/config"',
        './configure', $repo);
    return ($rc, $out, $err, KotTest::_slurp($seen) // '');
}

my ($rc, $out, $err, $seen) = configure(undef);
isnt $rc, 0, 'configure without KOT_VERSION fails';
my $how = 'ngx_kot: KOT_VERSION is not set; build the module with '
          . '"make module"';
like $err, qr/\Q$how\E/,
    '  saying how to build it';
is $seen, '', '  and neither defines a version nor adds the module';

($rc, $out, $err, $seen) = configure('');
isnt $rc, 0, 'configure with an empty KOT_VERSION fails';
like $err, qr/KOT_VERSION is not set/, '  the same way';
is $seen, '', '  and adds nothing';

($rc, $out, $err, $seen) = configure(qq{$version" -DX="1});
isnt $rc, 0, 'configure with a KOT_VERSION that is not a version fails';
like $err, qr/KOT_VERSION "\Q$version\E" -DX="1" is not a Debian version/,
    '  naming it';
is $seen, '', '  and adds nothing (no C string to break out of)';

($rc, $out, $err, $seen) = configure($version);
is $rc, 0, "configure with KOT_VERSION=$version passes" or diag $err;
like $out, qr/^ \+ ngx_kot version \Q$version\E$/m, '  and says so';
is $seen, qq{define NGX_HTTP_KOT_VERSION="$version"\n}
          . "module ngx_http_kot_module\n",
    '  defining the version for the module, then adding it';


# the Makefile: the version is the changelog's top entry's, or none

($rc, $out, $err) = run_in($repo, {}, 'make', '-s', '--no-print-directory',
                           'version');
is "$rc $out", "0 $version\n", "make version says $version, the changelog's";

my $configure_log = KotTest::_slurp("$repo/build/configure.log") // '';
like $configure_log, qr/^ \+ ngx_kot version \Q$version\E$/m,
    'the module built here was configured with it';

sub make_version ($first_line) {
    my $dir = "$tmp/make";
    File::Path::remove_tree($dir);
    File::Path::make_path("$dir/debian");
    spew("$dir/debian/changelog", "$first_line\n") if defined $first_line;
    return run_in($dir, {}, 'make', '-s', '--no-print-directory',
                  '-f', "$repo/Makefile", 'version');
}

for my $case (
    [ undef, 'no debian/changelog' ],
    [ '', 'an empty first line' ],
    [ 'libnginx-mod-http-kot', 'a first line with the package alone' ],
    [ 'libnginx-mod-http-kot () bookworm; urgency=medium',
      'an empty version' ],
) {
    my ($first, $what) = @$case;
    ($rc, $out, $err) = make_version($first);
    isnt $rc, 0, "make refuses a changelog with $what";
    like $err, qr/debian\/changelog: no version in its first line/,
        '  saying so';
}

($rc, $out) = make_version('libnginx-mod-http-kot (9.8.7~rc1) bookworm; '
                           . 'urgency=medium');
is "$rc $out", "0 9.8.7~rc1\n", 'and reads a well-formed one';

done_testing;
