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
use JSON::PP;

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

# Every Redis key the code names has its row in the README's data model
# (a channel in its table of channels), so that an operator who finds a
# key in Redis can read what it holds and how long it lives.
{
    my $readme = KotTest::_slurp("$repo/README.md");
    my ($model) = $readme =~ /^## Data model\n(.*?)^## /ms;
    my $name = qr/(?<!define )KOT_PREFIX\s*"([^"]+)"/;
    my %key = map { s/%.*//r => 1 }
              map { KotTest::_slurp($_) =~ /$name/g }
              glob "$repo/{ngx_kot_module,ngx_kot_module/kot,admin}/*.[ch]";
    ok keys %key >= 25, 'the key names of the code are found';
    my @untold = grep { $model !~ /^\| `kot:v1:\Q$_\E/m } sort keys %key;
    is "@untold", '', 'every Redis key has a row in the README\'s data model';
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

# What the dashboard's single-number panels show an operator for a value:
# Grafana's value mappings first (text and colour), else the number in
# the colour of the highest threshold step at or below it.  Every panel
# once showed the Redis panel's mapping, so that no audit write error
# read as a red "DOWN".
{
    my $dash = JSON::PP->new->decode(
        KotTest::_slurp("$repo/conf/monitoring/kot-dashboard.json"));
    my %stat = map { $_->{title} => $_->{fieldConfig}{defaults} }
               grep { $_->{type} eq 'stat' } @{ $dash->{panels} };
    my $shows = sub ($title, $value) {
        my $d = $stat{$title} or return 'no such panel';
        for my $m (@{ $d->{mappings} }) {
            my $hit = $m->{options}{$value} or next;
            return "$hit->{text} in $hit->{color}";
        }
        my ($colour) = map { $_->{color} }
                       grep { !defined $_->{value} || $_->{value} <= $value }
                       reverse @{ $d->{thresholds}{steps} };
        return "$value in $colour";
    };
    for my $case (
        [ 'Redis', 0, 'DOWN in red' ], [ 'Redis', 1, 'UP in green' ],
        [ 'Audit write errors (1h)', 0, '0 in green' ],
        [ 'Audit write errors (1h)', 1, '1 in red' ],
        [ 'Logins refused busy (1h)', 0, '0 in green' ],
        [ 'Logins refused busy (1h)', 3, '3 in red' ],
        [ 'Lockouts (1h)', 0, '0 in green' ],
        [ 'Lockouts (1h)', 12, '12 in red' ],
        [ 'Session cache entries', 0, '0 in blue' ],
        [ 'Session cache entries', 1, '1 in blue' ],
        [ 'Cache hit ratio', 1, '1 in green' ],
        [ 'Cache hit ratio', 0.1, '0.1 in red' ],
        [ 'Redis replicas (Sentinel)', -1, 'no Sentinel in text' ],
        [ 'Redis replicas (Sentinel)', 0, 'NONE in red' ],
        [ 'Redis replicas (Sentinel)', 2, '2 in green' ],
        [ 'Nodes by ngx_kot version', 3, '3 in blue' ],
    ) {
        my ($title, $value, $want) = @$case;
        is $shows->($title, $value), $want,
            "the dashboard's \"$title\" shows $value as $want";
    }
    my @exprs = map { $_->{expr} } map { @{ $_->{targets} } }
                @{ $dash->{panels} };
    ok grep(/count by \(version\) \(kot_build_info\b/, @exprs),
        'the dashboard counts the nodes of each version';
}

# The README's directive reference says what the module does: every
# directive of the module's table has its section, in the Syntax,
# Default, Context form, and no section names a directive that is not
# there; its contexts are those that nginx allows it in, a flag's syntax
# is "on | off", a directive without arguments shows none, and a
# default that the module sets by a plain merge (flags, times, strings)
# is the one shown.
{
    my $readme = KotTest::_slurp("$repo/README.md");
    my ($ref) = $readme =~ /^## Directives\n(.*?)^## /ms;
    my $src = join '', map { KotTest::_slurp($_) }
                       glob "$repo/ngx_kot_module/ngx_http_kot_*.c";
    my ($table) = $src =~
        /ngx_command_t\s+ngx_http_kot_commands\[\] = \{(.*?)ngx_null_command/s;

    my %ms = (ms => 1, s => 1000, m => 60_000, h => 3_600_000,
              d => 86_400_000);
    my (%seen, @wrong);
    my $n = 0;

    my $entry = qr/\{ \s* ngx_string\("(\w+)"\), \s* ([\w|]+), \s* (\w+),
                   \s* (\w+), \s* (?:offsetof\(\w+, \s (\w+)\)|0),/x;
    while ($table =~ /$entry/g) {
        my ($name, $flags, $set, $conf, $field) = ($1, $2, $3, $4, $5);
        $n++;
        $seen{$name} = 1;

        my ($syntax, $default, $context) = $ref =~
            /^\#\#\#\x20\Q$name\E\n\n
             \x20{4}Syntax:\x20+(.*)\n
             \x20{4}Default:\x20+(.*)\n
             \x20{4}Context:\x20+(.*)\n/mx;
        if (!defined $syntax) {
            push @wrong, "$name: no section with Syntax, Default and Context";
            next;
        }

        my $want = join ', ', grep { defined }
            ($flags =~ /NGX_HTTP_MAIN_CONF\b/ ? 'http' : undef),
            ($flags =~ /NGX_HTTP_SRV_CONF\b/ ? 'server' : undef),
            ($flags =~ /NGX_HTTP_LOC_CONF\b/ ? 'location' : undef);
        push @wrong, "$name: Context: $context, but nginx allows $want"
            if $context ne $want;

        push @wrong, "$name: Syntax: $syntax, but it is a flag"
            if $flags =~ /NGX_CONF_FLAG/ && $syntax ne "$name on | off;";
        push @wrong, "$name: Syntax: $syntax, but it takes no arguments"
            if $flags =~ /NGX_CONF_NOARGS/ && $syntax ne "$name;";

        next unless defined $field
            && $set =~ /^ngx_conf_set_(?:flag|msec|str)_slot$/;

        my $main = $conf eq 'NGX_HTTP_MAIN_CONF_OFFSET';
        my $code;
        if ($set eq 'ngx_conf_set_flag_slot') {
            my ($v) = $main
                ? $src =~ /ngx_conf_init_value\(kmcf->$field, (\d)\)/
                : $src =~ /ngx_conf_merge_value\(conf->$field,
                             \s prev->$field, \s* (\d)\)/x;
            $code = defined $v ? ($v ? 'on' : 'off') : undef;
        } elsif ($set eq 'ngx_conf_set_msec_slot') {
            my ($e) = $src =~ /ngx_conf_merge_msec_value\(conf->$field,
                               \s* prev->$field, \s* ([\d\s*]+)\)/x;
            $code = eval($e) . ' ms' if defined $e && $e =~ /^[\d\s*]+$/;
            my ($t, $u) = $default =~ /^\Q$name\E (\d+)(ms|s|m|h|d);$/;
            $default = defined $t ? $t * $ms{$u} . ' ms' : "($default)";
        } elsif ($set eq 'ngx_conf_set_str_slot') {
            ($code) = $main
                ? $src =~ /ngx_str_set\(&kmcf->$field, "([^"]*)"\)/
                : $src =~ /ngx_conf_merge_str_value\(conf->$field,
                             \s prev->$field, \s* "([^"]*)"\)/x;
        }

        if (!defined $code) {
            push @wrong, "$name: no default of $field found in the code";
            next;
        }

        $default =~ s/^\Q$name\E (.*);$/$1/;
        push @wrong, "$name: Default: $default, but the code has $code"
            if $default ne $code;
    }

    ok $n >= 30, "the module's directives are found ($n)";
    my @extra = grep { !$seen{$_} } $ref =~ /^### (kot\w*)$/mg;
    push @wrong, map { "$_: a section, but no such directive" } @extra;
    is join("\n", @wrong), '',
        "the README's directive reference matches the module's table";
}

done_testing;
