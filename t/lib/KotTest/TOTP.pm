package KotTest::TOTP;

# What an authenticator app does with the secret a page shows: RFC 6238
# codes (HMAC-SHA-1, 6 digits, 30-second steps), in Perl core only.
#
#     my $code = KotTest::TOTP::code($secret);           # now
#     my $old  = KotTest::TOTP::code($secret, step() - 1);

use strict;
use warnings;
use v5.36;

use Digest::SHA ();
use Time::HiRes ();

my $ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';


# RFC 4648 base32, by hand: 5 bits a character, trailing bits dropped.
sub base32_decode ($s) {
    $s = uc $s;
    $s =~ s/[\s=]//g;
    die "not base32: $s\n" if $s =~ /[^$ALPHABET]/o;
    my $bits = join '', map { sprintf '%05b', index($ALPHABET, $_) }
                        split //, $s;
    $bits = substr $bits, 0, length($bits) - length($bits) % 8;
    return pack 'B*', $bits;
}


sub step ($time = Time::HiRes::time()) {
    return int($time / 30);
}


sub code ($secret, $step = step()) {
    my $mac = Digest::SHA::hmac_sha1(pack('Q>', $step),
                                     base32_decode($secret));
    my $off = ord(substr $mac, -1) & 0x0f;
    my $bin = unpack('N', substr $mac, $off, 4) & 0x7fffffff;
    return sprintf '%06d', $bin % 1_000_000;
}


# Waits, if need be, until the current step has at least $margin seconds
# left, so that a code computed now is still of the same step when the
# server checks it.  Returns the step.
sub fresh_step ($margin = 5) {
    my $left = 30 - Time::HiRes::time() % 30;
    Time::HiRes::sleep($left + 0.2) if $left < $margin;
    return step();
}

1;
