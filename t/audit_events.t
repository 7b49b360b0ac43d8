# The audit log as an auditor reads it, event by event: how a session's
# end shows, refused password changes with their reasons, bytes from a
# hostile client, passwords kept out of every log, what a request record
# ties together, a graceful stop that loses no buffered record, and one
# byte changed in a record that nginx itself wrote.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;
use JSON::PP ();
use Time::HiRes qw(time);

my $t = KotTest->new(workers => 2);
my ($priv, $pub) = $t->auditor_keys;
my $log = $t->dir . '/a/audit.log';
my $ids = $t->dir . '/a/ids.log';

# The access log's own copy of $request_id, to hold the audit record's
# http.request.id against.
my $n = $t->nginx(KotTest->site(
    http => "kot_audit_log %%DIR%%/audit.log buffer=64k flush=200ms;\n"
          . "    kot_audit_auditor_key $pub;\n"
          . q{    log_format kot_ids '$request_id $request_uri';},
    server => <<'EOF'));
        access_log %%DIR%%/ids.log kot_ids;

        location /absolute/ {
            kot on;
            kot_absolute_timeout 1s;
            proxy_pass http://%%APP%%;
        }

        location /kot/short/ {
            kot_portal;
            kot_idle_timeout 1s;
        }
EOF

# Each distinct, so that any of them found in a log is found by name.
my %pw = (
    alice       => 'Initial of A 3187',
    bob_old     => 'Old secret of B 5521',
    bob_new     => 'New secret of B 7743',
    bob_wrong   => 'Mistyped one 9910',
    bob_short   => 'Sh0rt-42',
    login_wrong => 'Someone elses 4466',
    carol_add   => 'Added for C 6072',
    carol_set   => 'Reset for C 8239',
);

$t->add_user('acme', 'alice', $pw{alice});
$t->add_user('acme', 'bob', $pw{bob_old});

my $json = JSON::PP->new->utf8;
my $HTML = { Accept => 'text/html' };

sub find_in ($path, $action, %want) {
    return grep {
        my $r = $_;
        !grep { ($r->{$_} // '') ne $want{$_} } keys %want
    } $t->audit_records($path, $action);
}

sub find ($action, %want) { find_in($log, $action, %want) }

sub verify (@files) {
    return $t->kotctl('audit', 'verify', '--auditor-private-key', $priv,
                      @files ? @files : $log);
}

sub login ($ua, $user, $password, $headers = {}) {
    my $form = $ua->get('/kot/login', $headers);
    return $ua->post_form('/kot/login', {
        csrf => KotTest::UA::form_field($form->{content}, 'csrf') // '',
        tenant => 'acme', username => $user, password => $password },
        $headers);
}

sub change_password ($ua, $current, $new) {
    my $page = $ua->get('/kot/password');
    return $ua->post_form('/kot/password', {
        csrf => KotTest::UA::form_field($page->{content}, 'csrf') // '',
        current_password => $current,
        new_password => $new, confirm_password => $new });
}

# Logs in; returns the Redis key of the new session.
sub login_key ($ua, $user, $password) {
    my %before = map { $_ => 1 } @{ $t->redis('KEYS', 'kot:v1:s:*') };
    login($ua, $user, $password);
    my ($key) = grep { !$before{$_} } @{ $t->redis('KEYS', 'kot:v1:s:*') };
    return $key;
}

# The session handle ($kot_session) as the application receives it.
sub handle ($ua) {
    my ($h) = $ua->get('/app/whoami')->{content} =~ /session=\[([^\]]*)\]/;
    return $h;
}


# ---------------------------------------------------------------------
# absolute expiry
# ---------------------------------------------------------------------

my $abs = $n->ua;
login($abs, 'alice', $pw{alice});
my $abs_handle = handle($abs);
like $abs_handle, qr/^[\w-]{16}$/, 'a logged-in session to let expire';

# Activity does not help against the absolute timeout: keep asking
# until the session is refused.
my $gone = wait_until(sub {
    my $r = $abs->get('/absolute/report', $HTML);
    return $r->{status} == 302 ? $r : undef;
}, timeout => 10, interval => 0.2, what => 'the absolute timeout');
like $gone->{headers}{location}, qr/expired=1/,
    'the session ends at its absolute timeout';

my @abs = find('session_expired', 'session.hash' => $abs_handle);
is scalar @abs, 1, 'its end is recorded once, before the response';
is $abs[0]{'event.reason'}, 'absolute', 'as an absolute expiry, not idle';
is $abs[0]{'event.category'}, 'session', 'in the session category';
is $abs[0]{'user.name'}, 'alice', 'with the user';
is $abs[0]{'organization.id'}, 'acme', 'the tenant';
is $abs[0]{'url.path'}, '/absolute/report', 'and the request that found it';


# A session whose Redis key is gone (its TTL ran out, grace included)
# leaves no expiry record: there is nothing left to say whose it was.

my $abandoned = $n->ua;
my $skey = login_key($abandoned, 'alice', $pw{alice});
my $abandoned_handle = handle($abandoned);
$t->redis('PEXPIRE', $skey, 1);
wait_until(sub { !$t->redis('EXISTS', $skey) }, what => 'the key to expire');

# every node's cache forgets the key within moments
my $refused = wait_until(sub {
    my $r = $abandoned->get('/app/later', $HTML);
    return $r->{status} == 302 ? $r : undef;
}, what => 'the session to be refused');
unlike $refused->{headers}{location}, qr/expired=1/,
    'a session whose key expired in Redis is simply unknown';
is scalar(find('session_expired', 'session.hash' => $abandoned_handle)), 0,
    'and leaves no session_expired record';


# An expired session first met by the portal (the password page) is
# deleted there just the same; the auditor must see that end too.

my $portal = $n->ua;
my $pkey = login_key($portal, 'alice', $pw{alice});
my $portal_handle = handle($portal);
my $last = $t->redis('HGET', $pkey, 'l');
wait_until(sub { time * 1000 - $last > 1200 },
           what => 'more than the portal\'s idle timeout');
my $pw_page = $portal->get('/kot/short/password', $HTML);
like $pw_page->{headers}{location} // '', qr/expired=1/,
    'the portal tells the user the session expired';

is scalar(find('session_expired', 'session.hash' => $portal_handle)), 1,
    'and the expiry is recorded';


# ---------------------------------------------------------------------
# refused password changes, with their reasons
# ---------------------------------------------------------------------

my $bob = $n->ua;
login($bob, 'bob', $pw{bob_old});
my $bob_handle = handle($bob);

is change_password($bob, $pw{bob_wrong}, $pw{bob_new})->{status}, 400,
    'a password change with the wrong current password is refused';
my ($wrong) = find('password_change', 'event.outcome' => 'failure',
                   'event.reason' => 'bad_current_password');
ok $wrong, 'and recorded as a failure with the reason bad_current_password';
is $wrong->{'user.name'}, 'bob', 'with the user';
is $wrong->{'session.hash'}, $bob_handle, 'the session';
is $wrong->{'http.response.status_code'}, 400, 'and the status sent';

is change_password($bob, $pw{bob_old}, $pw{bob_short})->{status}, 400,
    'a new password that breaks the policy is refused';
my ($policy) = find('password_change', 'event.outcome' => 'failure',
                    'event.reason' => 'policy');
ok $policy, 'and recorded with the reason policy';
is $policy->{'user.name'}, 'bob', 'with the user';

my $bob_phone = $n->ua;
login($bob_phone, 'bob', $pw{bob_old});
is change_password($bob, $pw{bob_old}, $pw{bob_new})->{status}, 303,
    'the change then succeeds';
my @changed = find('password_change', 'event.outcome' => 'success',
                   'user.name' => 'bob');
is scalar(@changed), 1, 'recorded as a success once';
is $changed[0]{'kot.sessions_ended'}, 1,
    'with the other session it ended (bob\'s phone), not the one that '
    . 'changed it';
is scalar(find('password_change', 'user.name' => 'bob')), 3,
    'three attempts, three records';


# ---------------------------------------------------------------------
# hostile bytes from the client
# ---------------------------------------------------------------------

# Invalid UTF-8 (a lone 0xff, a lead byte without its continuation, a cut
# sequence) and control characters, in a security event's User-Agent and
# in a request record's: each invalid byte becomes one U+FFFD.
my $hostile = "evil \xff \xc3\x28 \xe6\x97 \x01\x1b\x08\x7f\tend";
my $decoded = "evil \x{fffd} \x{fffd}( \x{fffd}\x{fffd} \x01\x1b\x08\x7f\tend";

my $mal = $n->ua;
login($mal, 'alice', $pw{login_wrong}, { 'User-Agent' => $hostile });
my ($hl) = grep { ($_->{'user_agent.original'} // '') =~ /^evil / }
           find('login', 'event.reason' => 'bad_password');
ok $hl, 'a failed login with a hostile User-Agent is recorded';
is $hl->{'user_agent.original'}, $decoded,
    'its invalid bytes as U+FFFD, its control characters kept';

my $hostile_req = $n->ua;
login($hostile_req, 'alice', $pw{alice});
$hostile_req->get('/app/hostile', { 'User-Agent' => $hostile });
my ($hr) = @{ wait_until(sub {
    my @r = find('request', 'url.path' => '/app/hostile');
    @r ? \@r : undef
}, what => 'the hostile request record') // [] };
is $hr->{'user_agent.original'}, $decoded,
    'a request record says the same (the other writer)';

# Besides what JSON requires, the request writer escapes DEL, the C1
# controls (U+0085 is NEL, a line end to Unicode) and U+2028/U+2029, so
# that no line-splitting reader can cut a record.  The security events'
# writer (jansson) should do the same.
my $unicode_breaks = "breaks \x7f \xc2\x85 \xe2\x80\xa8 \xe2\x80\xa9 end";
$hostile_req->get('/app/breaks', { 'User-Agent' => $unicode_breaks });
login($n->ua, 'alice', $pw{login_wrong}, { 'User-Agent' => $unicode_breaks });
my ($breaks_req, $breaks_login) = @{ wait_until(sub {
    my ($r) = grep { /"url\.path":"\/app\/breaks"/ } $t->log_lines($log);
    my ($l) = grep { /"user_agent\.original":"breaks / && /"login"/ }
              $t->log_lines($log);
    $r && $l ? [ $r, $l ] : undef
}, what => 'the records with line breaks') // [] };
unlike $breaks_req, qr/\x7f|\xc2\x85|\xe2\x80[\xa8\xa9]/,
    'a request record escapes DEL, C1 controls, U+2028 and U+2029';
unlike $breaks_login, qr/\x7f|\xc2\x85|\xe2\x80[\xa8\xa9]/,
    'so does a security event';
my $breaks = "breaks \x7f \x{85} \x{2028} \x{2029} end";
is eval { $json->decode($_)->{'user_agent.original'} }, $breaks,
    'and the value reads back whole, character for character'
    for $breaks_req, $breaks_login;

# CR cannot reach a record: nginx refuses the header before any module
# sees the request.  A bare LF ends the header line, and what follows is
# another header, never part of the User-Agent.
my $raw = $n->ua->raw("GET /kot/login HTTP/1.1\r\nHost: x\r\n"
    . "User-Agent: cr\rinjected\r\nConnection: close\r\n\r\n");
like $raw, qr{^HTTP/1\.1 400 }, 'a raw CR in a header is refused by nginx';

my $cookie = 'kot_session=' . $hostile_req->cookie('kot_session');
$raw = $n->ua->raw("GET /app/lf HTTP/1.1\r\nHost: x\r\nCookie: $cookie\r\n"
    . "User-Agent: lf\nX-Injected: 1\r\nConnection: close\r\n\r\n");
like $raw, qr{^HTTP/1\.1 200 }, 'a bare LF in a header just ends it';
my ($lf) = @{ wait_until(sub {
    my @r = find('request', 'url.path' => '/app/lf');
    @r ? \@r : undef
}, what => 'the record of the request with an LF') // [] };
is $lf->{'user_agent.original'}, 'lf', 'so the record has only what came '
    . 'before it';

my @raw_lines = $t->log_lines($log);
ok !(grep { /[\x00-\x1f]/ } map { substr $_, 0, -1 } @raw_lines),
    'no line holds a raw control character';
ok !(grep { !/\A\{[^\n]*\}\n\z/ } @raw_lines),
    'every line is one JSON object ending in a newline';


# ---------------------------------------------------------------------
# what a request record ties together
# ---------------------------------------------------------------------

my $alice = $n->ua;
login($alice, 'alice', $pw{alice});
my $res = $alice->get('/reports/q1?secret=1');
my ($seen) = $res->{content} =~ /session=\[([^\]]*)\]/;
$alice->get('/reports/q2');

my @req = @{ wait_until(sub {
    my @r = map { find('request', 'url.path' => $_) }
            '/reports/q1', '/reports/q2';
    @r == 2 ? \@r : undef
}, what => 'the two request records') // [] };
my ($login) = grep { ($_->{'session.hash'} // '') eq $seen }
              find('login', 'event.outcome' => 'success');

is $req[0]{'organization.id'}, 'acme', 'a request record names the tenant';
is $req[0]{'user.name'}, 'alice', 'the user';
is $req[0]{'session.hash'}, $seen,
    'the session handle the application received';
is $login->{'session.hash'}, $req[0]{'session.hash'},
    'which leads back to the login that made the session';
is $req[0]{'source.ip'}, '127.0.0.1', 'the client address';
like $req[0]{'http.request.id'}, qr/^[0-9a-f]{32}$/, 'a request id';
isnt $req[0]{'http.request.id'}, $req[1]{'http.request.id'},
    'a different one for each request';
my %logged = map { (split ' ')[1] => (split ' ')[0] } $t->log_lines($ids);
is $req[0]{'http.request.id'}, $logged{'/reports/q1?secret=1'},
    'the same $request_id nginx\'s access log has for that request';


# ---------------------------------------------------------------------
# passwords stay out of every log
# ---------------------------------------------------------------------

# kotctl writes its records into nginx's log, as an administrator would
# have it do.
sub audited (@args) {
    my $opt = ref $args[-1] ? pop @args : {};
    my $r = $t->kotctl('--audit-log', $log, '--auditor-public-key', $pub,
                       @args, $opt);
    die "kotctl @args: $r->{err}" if $r->{exit};
    return $r;
}

audited('user', 'add', 'acme', 'carol', '--role', 'user', '--password-stdin',
        { stdin => "$pw{carol_add}\n" });
# carol's first login: a temporary password, but a session all the same
login($n->ua, 'carol', $pw{carol_add});
audited('user', 'passwd', 'acme', 'carol', '--password-stdin',
        { stdin => "$pw{carol_set}\n" });
ok scalar(find('user_added', 'user.target.name' => 'carol')),
    'kotctl recorded the new account in nginx\'s log';
my ($set) = find('user_password_set', 'user.target.name' => 'carol');
is $set->{'kot.change'}{sessions_ended}, 1,
    'and the password it set, with the session that this ended';

my $audit_text = KotTest::_slurp($log);
my $error_text = $n->error_log;

for my $which (sort keys %pw) {
    my $p = $pw{$which};
    # as typed, and as a form sends it
    my @forms = ($p, KotTest::UA::_urlencode($p));
    ok !(grep { index($audit_text, $_) >= 0 } @forms),
        "the password ($which) is not in the audit log";
    ok !(grep { index($error_text, $_) >= 0 } @forms),
        "nor in nginx's error log";
}


# ---------------------------------------------------------------------
# the log verifies; one byte changed in a record nginx wrote does not
# ---------------------------------------------------------------------

my $v = verify();
is $v->{exit}, 0, 'the whole log, nginx\'s and kotctl\'s chains, verifies'
    or diag $v->{out}, $v->{err};

my @l = $t->log_lines($log);

# One record from each of nginx's two writers: a security event (built
# with jansson) and a request record (built by the fast writer).
for my $case (
    [ 'a login record', qr/"event\.action":"login".*"user\.name":"alice"/,
      '"user.name":"alice"', '"user.name":"alicf"' ],
    [ 'a request record', qr/"url\.path":"\/reports\/q1"/,
      '"url.path":"/reports/q1"', '"url.path":"/reports/q2"' ])
{
    my ($what, $match, $from, $to) = @$case;
    my ($i) = grep { $l[$_] =~ $match } 0 .. $#l;
    my $rec = $json->decode($l[$i]);
    my @x = @l;
    substr($x[$i], index($x[$i], $from), length $from) = $to;
    my $f = $t->dir . "/tampered-$i.log";
    open my $fh, '>:raw', $f or die "$f: $!";
    print {$fh} @x;
    close $fh;

    $v = verify($f);
    is $v->{exit}, 1, "one byte changed in $what that nginx wrote fails";
    is $v->{out}, "$f:" . ($i + 1) . ": record $rec->{'event.sequence'} of "
        . "chain $rec->{'kot.chain'} was altered (its MAC does not match)\n",
        'and verify names its line';
}


# ---------------------------------------------------------------------
# a graceful stop writes what was buffered
# ---------------------------------------------------------------------

my $q = $t->nginx(KotTest->site(
    http => "kot_audit_log %%DIR%%/audit.log buffer=1m flush=1h;\n"
          . "    kot_audit_auditor_key $pub;"), name => 'q');
my $qlog = $q->dir . '/audit.log';

my $qua = $q->ua;
login($qua, 'alice', $pw{alice});
ok scalar(find_in($qlog, 'login', 'event.outcome' => 'success')),
    'a login is on disk at once, whatever the flush interval';

$qua->get("/buffered/$_") for 1 .. 20;
is scalar(grep { ($_->{'url.path'} // '') =~ m{^/buffered/} }
          $t->audit_records($qlog)), 0,
    'request records wait in the buffer for the flush interval (1h)';

$q->stop;
ok !$q->pid, 'nginx stops gracefully (QUIT)';

my @q = $t->audit_records($qlog);
is_deeply [ sort { $a <=> $b } map { m{^/buffered/(\d+)$} ? $1 : () }
            map { $_->{'url.path'} // '' } @q ], [ 1 .. 20 ],
    'every buffered request record is in the file after the stop, once';
my %ended = map { $_->{'kot.chain'} => 1 }
            grep { $_->{'event.action'} eq 'chain_end' } @q;
my @started = map { $_->{'kot.chain'} }
              grep { $_->{'event.action'} eq 'chain_start' } @q;
is scalar(grep { !$ended{$_} } @started), 0,
    'and every chain ends with its chain_end';

# The exiting worker publishes its chain's head too, so that a tail cut
# after the stop would still show.
my %last = map { $_->{'kot.chain'} => $_->{'event.sequence'} } @q;
is_deeply { map { $_ => $t->redis('HGET', "kot:v1:audit:$_", 'seq') }
            keys %last }, \%last,
    'each chain\'s head in Redis is its chain_end';
$v = verify($qlog);
is $v->{exit}, 0, 'the log verifies after the stop'
    or diag $v->{out}, $v->{err};

done_testing;
