# The password change form and the MFA page (enrolling, removing) check
# the current password: with a session alone (a borrowed browser, a
# stolen cookie), neither may be a way to guess that password past the
# lockout.  A wrong current password counts as a failed login, the
# threshold locks the account, and a locked account's change is refused
# even with the right password.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use KotTest::TOTP;
use Test::More;

my $t = KotTest->new(workers => 2);
my $n = $t->nginx(KotTest->site(http => 'kot_lockout threshold=3 '
    . 'window=1m duration=1m;'));

$t->add_user('acme', 'alice', 'correct horse battery');
$t->add_user('acme', 'erin', 'staple battery horse');

sub field ($f, $u = 'alice') { $t->redis('HGET', "kot:v1:f:acme:$u", $f) }

sub change ($ua, $current, $new) {
    my $page = $ua->get('/kot/password');
    return $ua->post_form('/kot/password', {
        csrf => KotTest::UA::form_field($page->{content}, 'csrf') // '',
        current_password => $current,
        new_password => $new, confirm_password => $new });
}

my $ua = $n->ua;
is $ua->login(tenant => 'acme', username => 'alice',
              password => 'correct horse battery')->{status}, 303,
    'alice logs in';

my $wrong = change($ua, 'guess one', 'a brand new passphrase');
is $wrong->{status}, 400, 'a wrong current password is refused';
like $wrong->{content}, qr/The current password is not correct/,
    '  saying so';
is field('fails'), 1, '  and counts as a failed login';

change($ua, 'guess two', 'a brand new passphrase');
change($ua, 'guess three', 'a brand new passphrase');
is field('locks'), 1, 'the third wrong current password locks the account';
like $n->error_log,
    qr/account locked: tenant "acme" user "alice" after 3 failures/,
    '  and the lock is logged';

my $right = change($ua, 'correct horse battery', 'a brand new passphrase');
is $right->{status}, 400,
    'while locked, even the right current password changes nothing';
like $right->{content}, qr/The current password is not correct/,
    '  with the page of a wrong one';
is field('fails'), 3, '  and is not counted';

is $n->ua->login(tenant => 'acme', username => 'alice',
                 password => 'correct horse battery')->{status}, 401,
    'the lock holds at the login form too';

$t->kotctl('user', 'unlock', 'acme', 'alice');
is change($ua, 'correct horse battery', 'a brand new passphrase')->{status},
    303, 'once unlocked, the right current password changes it';
is $n->ua->login(tenant => 'acme', username => 'alice',
                 password => 'a brand new passphrase')->{status}, 303,
    '  and the new password logs in';



# the MFA page: removing it asks for the password

# Enrols with the code of the secret the page shows, and the password.
sub enrol ($ua, $password) {
    my $p = $ua->get('/kot/mfa');
    my ($s) = $p->{content} =~ m{<code id="kot-totp-secret">([A-Z2-7]+)<};
    KotTest::TOTP::fresh_step();
    return $ua->post_form('/kot/mfa', {
        csrf => KotTest::UA::form_field($p->{content}, 'csrf'),
        action => 'enrol', code => KotTest::TOTP::code($s),
        password => $password });
}

my $erin = $n->ua;
$erin->login(tenant => 'acme', username => 'erin',
             password => 'staple battery horse');
is enrol($erin, 'staple battery horse')->{status}, 200,
    'erin enrols in MFA, with her password';

sub remove ($password) {
    my $p = $erin->get('/kot/mfa');
    return $erin->post_form('/kot/mfa', {
        csrf => KotTest::UA::form_field($p->{content}, 'csrf'),
        action => 'remove', password => $password });
}

is remove('guess one')->{status}, 400,
    'a wrong password does not remove MFA';
is field('fails', 'erin'), 1, '  and counts as a failed login';
remove('guess two');
remove('guess three');
is field('locks', 'erin'), 1, 'the third one locks the account';

my $locked = remove('staple battery horse');
is $locked->{status}, 400,
    'while locked, even the right password does not remove MFA';
like $locked->{content}, qr/The current password is not correct/,
    '  with the page of a wrong one';
ok $t->redis('EXISTS', 'kot:v1:mfa:acme:erin'), '  and MFA is still on';

$t->kotctl('user', 'unlock', 'acme', 'erin');
is remove('staple battery horse')->{status}, 303,
    'once unlocked, the right password removes it';



# the MFA page: a first enrolment asks for the password too

$t->add_user('acme', 'fay', 'ferry lantern wool');
my $fay = $n->ua;
$fay->login(tenant => 'acme', username => 'fay',
            password => 'ferry lantern wool');

is enrol($fay, 'guess one')->{status}, 400,
    'a wrong password does not turn MFA on';
is field('fails', 'fay'), 1, '  and counts as a failed login';
enrol($fay, 'guess two');
enrol($fay, 'guess three');
is field('locks', 'fay'), 1, 'the third one locks the account';

$locked = enrol($fay, 'ferry lantern wool');
is $locked->{status}, 400,
    'while locked, even the right password does not turn MFA on';
like $locked->{content}, qr/The current password is not correct/,
    '  with the page of a wrong one';
ok !$t->redis('EXISTS', 'kot:v1:mfa:acme:fay'), '  and MFA stays off';

$t->kotctl('user', 'unlock', 'acme', 'fay');
is enrol($fay, 'ferry lantern wool')->{status}, 200,
    'once unlocked, the right password turns it on';

unlike $n->error_log, qr/\[(alert|crit|emerg)\]/, 'nothing alarming logged';

done_testing;
