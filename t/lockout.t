# Account lockout: too many failed logins lock an account; a locked
# account answers exactly like a wrong password; locks end, escalate, and
# become permanent; administrators see and lift them.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;
use Time::HiRes ();

my $t = KotTest->new;
my $n = $t->nginx(KotTest->site(http => 'kot_lockout threshold=3 window=1m '
    . 'duration=1s max_duration=4s permanent_after=3;'));

$t->add_user('acme', 'alice', 'correct horse battery');

sub try ($password, $user = 'alice') {
    return $n->ua->login(tenant => 'acme', username => $user,
                         password => $password);
}

sub failures () { $t->redis('HGETALL', 'kot:v1:f:acme:alice') }
sub field ($f) { $t->redis('HGET', 'kot:v1:f:acme:alice', $f) }

sub page ($res) {
    my $c = $res->{content};
    $c =~ s/(name="(?:csrf|username)"[^>]*?) value="[^"]*"/$1/g;
    return "$res->{status} $c";
}


# a success resets the count

is try('wrong one')->{status}, 401, 'a wrong password fails';
is try('wrong two')->{status}, 401, 'so does a second one';
is field('fails'), 2, 'both are counted';
is try('correct horse battery')->{status}, 303,
    'the right password still logs in below the threshold';
ok !defined field('fails'), 'and resets the count';
try('wrong one');
try('wrong two');
is try('correct horse battery')->{status}, 303,
    'so two more failures do not lock the account';


# the threshold locks

my $wrong = try('wrong one');
try('wrong two');
try('wrong three');
is field('locks'), 1, 'the third failure in the window locks the account';

my $locked = try('correct horse battery');
is $locked->{status}, 401, 'while locked, even the right password fails';
is page($locked), page($wrong),
    'with exactly the page of a wrong password';
like $locked->{content}, qr/Too many attempts may lock an account/,
    'which only says, like every failure, that accounts can be locked';
is field('fails'), 3, 'attempts on a locked account are not counted';

my $st = $t->kotctl('user', 'status', 'acme', 'alice');
like $st->{out}, qr/^locked: +yes, until \d{4}-/m,
    'kotctl user status shows the lock and its end';
like $st->{out}, qr/^failures: +3/m, 'and the failures';
like $st->{out}, qr/^lockouts: +1$/m, 'and the count of lockouts';

my $lock_line = 'account locked: tenant "acme" user "alice"';
like $n->error_log, qr/$lock_line after 3 failures, lockout 1, for 1 s/,
    'the lock is logged';
like $n->error_log, qr/login failed: tenant "acme" user "alice": locked/,
    'and the log knows why the right password failed';


# the lock ends

ok wait_until(sub { try('correct horse battery')->{status} == 303 },
              what => 'the end of the lock'),
    'when the lock ends the right password logs in again';


# escalation, then a permanent lock

try("wrong $_") for 1 .. 3;
is field('locks'), 2, 'three more failures lock the account again';
is field('until') - field('last'), 2000,
    'for twice as long as the first time';

wait_until(sub { try('correct horse battery')->{status} == 303 },
           what => 'the end of the second lock');
try("wrong $_") for 1 .. 3;
is field('until'), -1, 'the third lockout is permanent (permanent_after=3)';
is $t->redis('PTTL', 'kot:v1:f:acme:alice'), -1, 'and does not expire';
like $t->kotctl('user', 'status', 'acme', 'alice')->{out},
    qr/^locked: +yes, until an administrator unlocks it$/m,
    'kotctl says an administrator must unlock it';
is try('correct horse battery')->{status}, 401,
    'the right password does not open it';

my $r = $t->kotctl('user', 'unlock', 'acme', 'alice');
is $r->{exit}, 0, 'kotctl user unlock lifts it';
is try('correct horse battery')->{status}, 303, 'and the user logs in';
like $t->kotctl('user', 'status', 'acme', 'alice')->{out},
    qr/^lockouts: +0$/m, 'with a clean record';


# names that do not exist are counted too

try('x', 'ghost') for 1 .. 3;
is $t->redis('HGET', 'kot:v1:f:acme:ghost', 'locks'), 1,
    'failures on an unknown username are counted under that name';
ok $t->redis('PTTL', 'kot:v1:f:acme:ghost') > 0,
    'and forgotten after a while';

$r = $t->kotctl('user', 'unlock', 'acme', 'ghost');
is $r->{exit}, 1, 'kotctl does not unlock a user that does not exist';


# A spray of made-up names from many addresses must not fill Redis (a
# full Redis refuses every login): the failures of a name that is not a
# user are kept for the window, or its lock, and not for max_duration,
# which only an account's escalation needs.

my $d = $t->nginx(KotTest->site(http => 'kot_lockout threshold=3 '
    . 'window=1m duration=10m max_duration=1d;'), name => 'spray');
sub spray ($user) {
    return $d->ua->login(tenant => 'acme', username => $user,
                         password => 'x');
}
spray('made-up');
cmp_ok $t->redis('PTTL', 'kot:v1:f:acme:made-up'), '<=', 60_000,
    'a made-up name tried once is forgotten with the window, not in a day';
spray('locked-up') for 1 .. 3;
is $t->redis('HGET', 'kot:v1:f:acme:locked-up', 'locks'), 1,
    'a made-up name locks as an account does';
cmp_ok $t->redis('PTTL', 'kot:v1:f:acme:locked-up'), '<=', 600_000,
    '  and is forgotten when its lock ends';
spray('locked-up');
cmp_ok $t->redis('PTTL', 'kot:v1:fu:acme'), '<=', 600_000,
    '  as is its index, also after a try while locked';
$t->add_user('acme', 'zed', 'correct horse battery');
spray('zed');
cmp_ok $t->redis('PTTL', 'kot:v1:f:acme:zed'), '>', 86_400_000,
    'a user\'s failure is kept for max_duration, as before';


# the window slides: what counts is how many failures are younger than it
# (1 minute here), not when a count began

$t->add_user('acme', 'bob', 'correct horse battery');
my $ms = int(Time::HiRes::time() * 1000);
$t->redis('HSET', 'kot:v1:f:acme:bob', 'fails', 3, 'times',
          join ' ', $ms - 90_000, $ms - 50_000, $ms - 40_000);
try('wrong', 'bob');
is $t->redis('HGET', 'kot:v1:f:acme:bob', 'locks'), 1,
    'two failures of the last minute and a third one lock the account, '
    . 'though the first failure of the count is older than a minute';

$t->redis('DEL', 'kot:v1:f:acme:bob');
$t->redis('HSET', 'kot:v1:f:acme:bob', 'fails', 2, 'times',
          join ' ', $ms - 70_000, $ms - 65_000);
try('wrong', 'bob');
is $t->redis('HGET', 'kot:v1:f:acme:bob', 'fails'), 1,
    'failures older than the window are forgotten';
is try('correct horse battery', 'bob')->{status}, 303,
    'and do not lock the account';


# escalation stops at max_duration

my $cap = $t->nginx(KotTest->site(http => 'kot_lockout threshold=1 '
    . 'window=1m duration=1s max_duration=2s;'), name => 'cap');
$t->redis('HSET', 'kot:v1:f:acme:bob', 'locks', 5, 'until', 1);
$cap->ua->login(tenant => 'acme', username => 'bob', password => 'wrong');
is $t->redis('HGET', 'kot:v1:f:acme:bob', 'locks'), 6,
    'a sixth lockout';
is $t->redis('HGET', 'kot:v1:f:acme:bob', 'until')
   - $t->redis('HGET', 'kot:v1:f:acme:bob', 'last'), 2000,
    'lasts max_duration, not 32 times duration';

done_testing;
