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

done_testing;
