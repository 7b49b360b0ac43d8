# Changing one's own two-step login logs out one's other devices, as a
# password change does: a first enrolment (the password may have
# leaked), a replacement (the phone was lost) and a removal each end
# every other session of the user at once, on every node, while the
# browser that made the change stays logged in.  The page says so, in
# English and Japanese, and the audit record says how many ended.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use KotTest::TOTP;
use Test::More;

my $t = KotTest->new(workers => 1);
my (undef, $pub) = $t->auditor_keys;
my $site = KotTest->site(http => <<"EOF");
kot_audit_log %%DIR%%/audit.log flush=100ms;
    kot_audit_auditor_key $pub;
EOF
my ($a, $b) = map { $t->nginx($site, name => $_) } qw(a b);

my $pw = 'Amber kettle 1187';
$t->add_user('acme', 'alice', $pw);

my $HTML = { Accept => 'text/html' };
my $field = \&KotTest::UA::form_field;

for my $node ($a, $b) {
    wait_until(sub { $node->error_log =~ /session cache on/ },
               what => 'the session cache on ' . $node->name);
}

# The record of the change, on node a, that follows the $seen before it.
sub record_after ($action, $seen) {
    my @r;
    wait_until(sub {
        @r = grep { $_->{'event.outcome'} eq 'success' }
             $t->audit_records($a->dir . '/audit.log', $action);
        @r > $seen;
    }, timeout => 5, what => "a new $action record");
    return $r[-1] // {};
}

sub records_of ($action) {
    return scalar grep { $_->{'event.outcome'} eq 'success' }
                  $t->audit_records($a->dir . '/audit.log', $action);
}

sub secret_of ($page) {
    return $page->{content} =~ m{<code id="kot-totp-secret">([A-Z2-7]+)<}
           ? $1 : undef;
}

# A browser of its own (its own cookie jar) logged in on $node, with the
# code of $secret when alice has MFA.
sub device ($node, $secret = undef) {
    my $ua = $node->ua;
    my $res = $ua->login(tenant => 'acme', username => 'alice',
                         password => $pw, return_to => '/reports');
    if ($secret) {
        # the code must be of a step later than the last one used
        $t->redis('HSET', 'kot:v1:mfa:acme:alice', 'step',
                  KotTest::TOTP::step() - 10);
        KotTest::TOTP::fresh_step();
        my $form = $ua->get('/kot/login/code?return_to=/reports');
        $res = $ua->post_form('/kot/login/code', {
            csrf => $field->($form->{content}, 'csrf') // '',
            return_to => '/reports',
            code => KotTest::TOTP::code($secret) });
    }
    is $res->{status}, 303, 'alice logs in on another device, node '
        . $node->name;
    # requests that the other node's cache keeps
    $ua->get('/reports') for 1 .. 3;
    is $ua->get('/reports')->{status}, 200, 'and uses the application';
    return $ua;
}

# Sets up a new secret on the MFA page, with the password; returns the
# secret and the answer.
sub enrol ($ua) {
    my $page = $ua->get('/kot/mfa');
    my $secret = secret_of($page);
    $t->redis('HSET', 'kot:v1:mfa:acme:alice', 'step',
              KotTest::TOTP::step() - 10)
        if $t->redis('EXISTS', 'kot:v1:mfa:acme:alice');
    KotTest::TOTP::fresh_step();
    my $res = $ua->post_form('/kot/mfa', {
        csrf => $field->($page->{content}, 'csrf') // '',
        action => 'enrol', code => KotTest::TOTP::code($secret),
        password => $pw });
    is $res->{status}, 200, 'the code and the password set it up';
    return ($secret, $res);
}

# The other device, on node b, gets the login page at once.
sub logged_out ($ua, $what) {
    ok wait_until(sub {
            ($ua->get('/reports', $HTML)->{headers}{location} // '')
                =~ m{^/kot/login\?};
        }, timeout => 1, interval => 0.01,
        what => "node b to see the end of the session ($what)"),
        "$what: the other device gets the login page at once, on the "
        . 'other node';
}

my $ended = 'You were logged out on your other devices \(sessions ended: 1\)\.';
my $OTHERS = qr{<p class="msg info" role="status">$ended</p>};


# a first enrolment: the password may have leaked

my $here = $a->ua;
$here->login(tenant => 'acme', username => 'alice', password => $pw,
             return_to => '/reports');
my $there = device($b);
my $seen = records_of('mfa_enrolled');
my ($secret, $res) = enrol($here);
like $res->{content}, $OTHERS,
    'the page says that the other devices were logged out';
logged_out($there, 'a first enrolment');
is $here->get('/reports')->{status}, 200,
    'the browser that set it up stays logged in';
is record_after('mfa_enrolled', $seen)->{'kot.sessions_ended'}, 1,
    'the record of the enrolment says how many sessions ended';


# a replacement: the phone was lost

$there = device($b, $secret);
$seen = records_of('mfa_enrolled');
($secret, $res) = enrol($here);
like $res->{content}, $OTHERS, 'a replacement says so too';
logged_out($there, 'a replacement');
is $here->get('/reports')->{status}, 200,
    'the browser that replaced it stays logged in';
my $r = record_after('mfa_enrolled', $seen);
is $r->{'kot.mfa.replaced'}, 1, 'the record is of a replacement';
is $r->{'kot.sessions_ended'}, 1, 'and says how many sessions ended';


# a removal

$there = device($b, $secret);
$seen = records_of('mfa_removed');
my $page = $here->get('/kot/mfa');
$res = $here->post_form('/kot/mfa', {
    csrf => $field->($page->{content}, 'csrf'), action => 'remove',
    password => $pw });
is $res->{status}, 303, 'alice removes her two-step login';
logged_out($there, 'a removal');
$page = $here->get($res->{headers}{location});
like $page->{content}, qr/Two-step login is off/, 'the page says it is off';
like $page->{content}, $OTHERS,
    'and that the other devices were logged out';
like $here->get($res->{headers}{location},
                { 'Accept-Language' => 'ja' })->{content},
    qr{他の端末からログアウトしました（終了したセッション：1件）。},
    'in Japanese too';
is $here->get('/reports')->{status}, 200,
    'the browser that removed it stays logged in';
is record_after('mfa_removed', $seen)->{'kot.sessions_ended'}, 1,
    'the record of the removal says how many sessions ended';


# alone, nothing else ends and the page says nothing of other devices

$seen = records_of('mfa_enrolled');
($secret, $res) = enrol($here);
unlike $res->{content}, qr/other devices/,
    'with no other session, the page says nothing of other devices';
is record_after('mfa_enrolled', $seen)->{'kot.sessions_ended'}, 0,
    'and the record says none ended';

done_testing;
