# kot_max_sessions: one account, one person (checklist item 37).  With
# evict_oldest a new login ends the user's oldest session, which meets the
# login page at its next request; with refuse the new login is turned
# away with a message that says why.  Each eviction and refusal is on the
# audit record.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;

my $t = KotTest->new(workers => 2);
my (undef, $pub) = $t->auditor_keys;
my $log = $t->dir . '/%s/audit.log';
my $audit = "kot_audit_log %%DIR%%/audit.log flush=100ms;\n"
          . "    kot_audit_auditor_key $pub;";

my $evict = $t->nginx(KotTest->site(http => $audit,
                                    server => "kot_max_sessions 2;\n"
                                            . 'kot_last_login_notice on;'),
                      name => 'evict');
my $refuse = $t->nginx(KotTest->site(http => $audit,
                                     server => 'kot_max_sessions 2 refuse;'),
                       name => 'refuse');

$t->add_user('acme', 'alice', 'correct horse battery');
$t->add_user('acme', 'bob', 'another good secret');

my %alice = (tenant => 'acme', username => 'alice',
             password => 'correct horse battery');
my %bob = (tenant => 'acme', username => 'bob',
           password => 'another good secret');


sub records ($name, $action) {
    return $t->audit_records(sprintf($log, $name), $action);
}

sub handle ($ua) {
    return ($ua->get('/app')->{content} // '') =~ /session=\[([\w-]+)\]/
        ? $1 : '';
}


# evict_oldest

my @devices = map { $evict->ua } 1 .. 3;
is $devices[0]->login(%alice)->{status}, 303, 'alice logs in on a laptop';
is $devices[1]->login(%alice)->{status}, 303, 'and on a phone';
my $laptop = handle($devices[0]);
ok $laptop, 'both work';
ok handle($devices[1]), 'both work (the phone)';

my $over = $devices[2]->login(%alice);
is $over->{status}, 303, 'a third login, over the limit of 2, succeeds';
like $over->{headers}{location}, qr{^/kot/welcome\?.*\bothers_ended=1},
    'and its last-login page is told that it ended another session';
like $devices[2]->get($over->{headers}{location},
                      { 'Accept-Language' => 'en' })->{content},
    qr/\QTo let you log in here, your session on the device that logged \E
       \Qin first was ended\E/x,
    'which it says, so that the user knows where they were logged out';
like $devices[2]->get($over->{headers}{location},
                      { 'Accept-Language' => 'ja' })->{content},
    qr/最初にログインした端末のセッションを終了しました/, 'in Japanese too';
unlike $devices[1]->login(%alice)->{headers}{location}, qr/others_ended/,
    'a login that ends no other session says nothing of the kind';
like $devices[2]->get('/app')->{content}, qr/user=\[alice\]/,
    'and opens the application';
is $devices[0]->get('/app')->{status}, 401,
    'the oldest session (the laptop) is over at its next request';
my $page = $devices[0]->get('/app', { Accept => 'text/html' });
is $page->{status}, 302, 'a browser there goes to the login page';
like $page->{headers}{location}, qr{^/kot/login}, 'to log in again';
like $devices[1]->get('/app')->{content}, qr/user=\[alice\]/,
    'the phone stays logged in';

my $ev = KotTest::wait_until(sub { (records('evict', 'session_evicted'))[0] },
                             what => 'the eviction on the record');
is $ev->{'kot.evicted_session'}, $laptop, 'the eviction is recorded with '
    . 'the handle of the session ended';
is $ev->{'user.name'}, 'alice', 'and the user';
is $ev->{'event.reason'}, 'max_sessions', 'and why';
is scalar(records('evict', 'session_evicted')), 1, 'one eviction, one record';

my $us = $t->redis('ZRANGE', 'kot:v1:us:acme:alice', 0, -1);
is scalar @$us, 2, 'the user\'s session index holds the 2 live sessions';
ok !grep({ index($_, $laptop) == 0 } @$us), 'not the evicted one';

# logging in again from a browser that has a session replaces it
is $devices[1]->login(%alice)->{status}, 303,
    'a login again on the phone, at the limit';
like $devices[2]->get('/app')->{content}, qr/user=\[alice\]/,
    'ends no other session: it replaces its own';


# what the device that was logged out is told: not a bare login page, as
# if it had never logged in, but why, and what to do if it was not them

my $fifth = $evict->ua;
is $fifth->login(%alice)->{status}, 303,
    'one more login ends the oldest session, the third device\'s';
my $told = $devices[2]->get('/app', { Accept => 'text/html' });
is $told->{status}, 302, 'the third device goes to the login page';
like $told->{headers}{location}, qr{^/kot/login\?.*\bevicted=1},
    'told that its session was ended for another device';
my $because = qr/\QYou were logged out on this device because your \E
                 \Qaccount logged in on another one\E/x;
my $seen = $devices[2]->get($told->{headers}{location},
                            { 'Accept-Language' => 'en' })->{content};
like $seen, qr/$because/, 'the login page says so';
like $seen, qr/\QIf that was not you, log in and change your password\E/,
    'and what to do if it was not them';
like $devices[2]->get($told->{headers}{location},
                      { 'Accept-Language' => 'ja' })->{content},
    qr/別の端末でこのアカウントにログインがあったため/, 'in Japanese too';
$devices[2]->login(%alice);
my $gone = $evict->ua;
$gone->login(%alice);
$gone->post_form('/kot/logout', {
    csrf => KotTest::UA::form_field($gone->get('/kot/logout')->{content},
                                    'csrf') });
unlike $gone->get('/app', { Accept => 'text/html' })->{headers}{location},
    qr/evicted/, 'a device that logged out is not told it was evicted';


# refuse

my @b = map { $refuse->ua } 1 .. 3;
is $b[0]->login(%bob)->{status}, 303, 'bob logs in once';
is $b[1]->login(%bob)->{status}, 303, 'twice';
my $third = $b[2]->login(%bob);
is $third->{status}, 401, 'a third login, over the limit of 2, is refused';
like $third->{content},
    qr/already logged in on as many devices as your company allows/,
    'with a message that says why';
ok !$b[2]->cookie('kot_session'), 'and no session';
like $b[0]->get('/app')->{content}, qr/user=\[bob\]/,
    'the first sessions stay';
like $b[1]->get('/app')->{content}, qr/user=\[bob\]/, 'both';

my $refusal = KotTest::wait_until(
    sub { (grep { ($_->{'event.reason'} // '') eq 'session_limit' }
                records('refuse', 'login'))[0] },
    what => 'the refusal on the record');
is $refusal->{'user.name'}, 'bob', 'the refusal is recorded with the user';
is $refusal->{'event.outcome'}, 'failure', 'as a failed login';

is $b[0]->post_form('/kot/logout', {
        csrf => KotTest::UA::form_field($b[0]->get('/kot/logout')->{content},
                                        'csrf') })->{status}, 303,
    'bob logs out on one device';
is $b[2]->login(%bob)->{status}, 303, 'and can log in on the third';


# configuration

my ($rc, $out) = $t->nginx_check(KotTest->site(
    server => 'kot_max_sessions 0;'));
my $give = 'give the number of sessions a user may have at once';
like $out, qr/kot_max_sessions "0": $give/,
    'a limit of 0 fails nginx -t';
($rc, $out) = $t->nginx_check(KotTest->site(
    server => 'kot_max_sessions 3 newest;'));
like $out, qr/kot_max_sessions: "newest" is neither "evict_oldest"/,
    'so does an unknown mode';

done_testing;
