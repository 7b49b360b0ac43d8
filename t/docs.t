# The README and the documents beside it point only at files that the
# repository has, so that a reader of a clone can follow every link.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;
use Cwd qw(realpath);
use File::Basename qw(dirname);

my $repo = realpath(KotTest->repo);
my @docs = grep { -f } "$repo/README.md", "$repo/bench/README.md",
    glob "$repo/docs/*.md";

ok @docs >= 2, 'there are documents to check';

for my $doc (@docs) {
    my $text = KotTest::_slurp($doc);
    (my $name = $doc) =~ s{^\Q$repo\E/}{};

    for my $link ($text =~ /\]\(([^)\s]+)\)/g) {
        next if $link =~ m{^(?:https?:|mailto:|#)};
        (my $path = $link) =~ s/#.*//;
        my $target = realpath(dirname($doc) . "/$path");
        ok defined $target && -e $target && index($target, "$repo/") == 0,
            "$name: the link to $link is a file of the repository";
    }

    my @outside = $text =~ /`(\.\.\/[^`]*)`/g;
    is "@outside", '', "$name: names no file outside the repository";
}

# A secret file that a document has the admin write (a key, a password)
# is created private: under "umask 077", not readable by anyone between
# its creation and a later chmod.  The same for the unit's comments and
# the module's own advice on a missing key file.
for my $file (@docs, "$repo/admin/kotctl.8",
              glob("$repo/conf/systemd/*.service"),
              "$repo/ngx_kot_module/ngx_http_kot_module.c")
{
    my $text = KotTest::_slurp($file);
    (my $name = $file) =~ s{^\Q$repo\E/}{};
    # (a copy of Redis's data holds every password hash)
    # (no space in the pattern: /x only lets it span lines)
    while ($text =~ /(?:(?<!>)>\s*|\bcp\s+\S+\s+)
                     ((?:[\w\/.%+-]|\$\([^)]*\))+
                      \.(?:key|pass|pw|rdb)(?:\.new)?|%V)
                     (?![\w.])/gx) {
        my ($path, $at) = ($1, $-[0]);
        next if $path eq '%V' && $name !~ /\.c$/;
        my $before = substr $text, ($at > 160 ? $at - 160 : 0),
                            ($at > 160 ? 160 : $at);
        $before =~ s/.*(?:\n\s*\n|```)//s;      # this paragraph, this block
        like $before, qr/umask\s+077/,
            "$name: $path is created under umask 077";
    }
}

# A password on a command line is in every user's "ps"
for my $file (@docs, "$repo/admin/kotctl.8") {
    (my $name = $file) =~ s{^\Q$repo\E/}{};
    my @argv = grep { /redis-cli\b.*(?:--pass\b|\s-a\s)/ }
        KotTest::_slurp($file) =~ /^.*$/mg;
    is "@argv", '', "$name: no redis-cli command takes a password argument";
}

# curl's cookie jar holds an admin's session: a file of mktemp's (0600),
# not one that curl creates by the umask
for my $file (@docs) {
    (my $name = $file) =~ s{^\Q$repo\E/}{};
    my @jars = grep { $_ ne '$(mktemp)' }
        KotTest::_slurp($file) =~ /(?:^|\s)j=(\S+)/mg;
    is "@jars", '', "$name: a cookie jar is made by mktemp";
}

# nginx's workers reach the shipped Redis's socket without the redis
# group: on Debian that group may write /etc/redis (mode 2770) and read
# and write Redis's own files (its unit's UMask=007), so any process of
# www-data's (nginx, a PHP application) could rewrite the ACL users or
# the data behind Redis's back.  The ACL users' passwords keep others
# out, as they do on the loopback port.
{
    my @group = grep { /(?:adduser|usermod|gpasswd)\b[^\n]*\bredis\b/ }
        map { KotTest::_slurp($_) =~ /^.*$/mg } @docs, "$repo/admin/kotctl.8";
    is "@group", '', 'no document puts a user in the redis group';
    my ($perm) = KotTest::_slurp("$repo/conf/redis/kot.conf")
        =~ /^unixsocketperm\s+([0-7]+)/m;
    ok defined $perm && (oct($perm) & 06) == 06,
        'the shipped Redis lets nginx\'s user connect to its socket';
}

# Every test file is in the README's table of what the tests prove, so
# that a reader can find the test of a behaviour, and its gaps.
{
    my $readme = KotTest::_slurp("$repo/README.md");
    my @untold = grep { $readme !~ /^\| `\Q$_\E`[ |]/m }
                 map { s{^\Q$repo\E/}{}r } glob "$repo/t/*.t";
    is "@untold", '', 'every t/*.t has a row in the README\'s test table';
}

# Every shipped alert has its row in the README's table of rules, so
# that an operator can read what woke them (t/status.t checks that the
# rules name only metrics of the page).
{
    my $readme = KotTest::_slurp("$repo/README.md");
    my $rules = KotTest::_slurp("$repo/conf/monitoring/kot-alerts.yml");
    my @alerts = $rules =~ /^\s*- alert: (\w+)$/mg;
    ok @alerts >= 5, 'the shipped alert rules are found';
    my @untold = grep { $readme !~ /^\| `\Q$_\E` \|/m } @alerts;
    is "@untold", '', 'every shipped alert has a row in the README';
}

done_testing;
