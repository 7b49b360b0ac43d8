# A portal form that cannot be read (a field twice, a bad escape, a NUL,
# a body too large) on login, logout and password, with and without a
# session: one refusal with its true status, one audit record that says
# why, no alert in the error log, and nothing changed.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;

my $t = KotTest->new;
my (undef, $pub) = $t->auditor_keys;
my $n = $t->nginx(KotTest->site(
    http => "kot_audit_log %%DIR%%/audit.log;\n"
          . "    kot_audit_auditor_key $pub;"));
my $audit = $t->dir . '/a/audit.log';

$t->add_user('acme', 'alice', 'correct horse battery');

my $alice = $n->ua;
is $alice->login(tenant => 'acme', username => 'alice',
                 password => 'correct horse battery')->{status}, 303,
    'alice logs in';
my $session = 'kot_session=' . $alice->cookie('kot_session');

# Each: what is wrong, the body, the status and the audit reason.  The
# CSRF field is in every form; so a duplicate of it is a duplicate for
# all three.  Over 16k, nginx keeps the body in a file.
my @kinds = (
    [ 'a field twice', 'csrf=a&csrf=b', 400, 'duplicate_field' ],
    [ 'a bad % escape', 'csrf=%zz', 400, 'malformed_form' ],
    [ 'a %00', 'csrf=a%00b', 400, 'malformed_form' ],
    [ 'a body over the form limit', 'csrf=' . ('x' x 10000), 413,
      'form_too_large' ],
    [ 'a body kept in a file', 'csrf=' . ('x' x 20000), 413,
      'form_too_large' ],
);

my %action = (login => 'login', logout => 'logout',
              password => 'password_change');

sub records_by ($agent) {
    return grep { ($_->{'user_agent.original'} // '') eq $agent }
           $t->audit_records($audit);
}

# The bytes that come back until nginx closes the connection: a second
# response, if any, would be among them.
sub post_raw ($path, $body, $agent, $cookie) {
    return $n->ua->raw("POST $path HTTP/1.1\r\n"
        . "Host: 127.0.0.1\r\n"
        . "User-Agent: $agent\r\n"
        . "Content-Type: application/x-www-form-urlencoded\r\n"
        . 'Content-Length: ' . length($body) . "\r\n"
        . ($cookie ? "Cookie: $cookie\r\n" : '')
        . "Connection: close\r\n\r\n$body");
}

my $case = 0;

for my $form (qw(login logout password)) {
    for my $who ([ 'without a session', '' ], [ 'with a session', $session ])
    {
        for my $k (@kinds) {
            my ($what, $body, $status, $reason) = @$k;
            my $name = "$what on $form $who->[0]";
            my $agent = 'forms-' . ++$case;
            my $log_off = length $n->error_log;

            my $raw = post_raw("/kot/$form", $body, $agent, $who->[1]);

            my @statuses = $raw =~ m{^HTTP/1\.\d (\d{3}) }mg;
            is "@statuses", $status, "$name: one response, $status";

            my ($head, $rest) = split /\r\n\r\n/, $raw, 2;
            my ($len) = ($head // '') =~ /^Content-Length: (\d+)\r?$/mi;
            is length($rest // ''), $len // -1,
                "$name: nothing after its body";
            like $rest, qr/The form could not be read/,
                "$name: the page says the form could not be read";

            my $log = substr $n->error_log, $log_off;
            unlike $log, qr/\[alert\]|header already sent/,
                "$name: no alert in the error log";

            my @recs = records_by($agent);
            is scalar @recs, 1, "$name: one audit record";
            is join(' ', map { $_ // '-' } @{ $recs[0] // {} }{
                    'event.action', 'event.outcome', 'event.reason',
                    'http.response.status_code' }),
                "$action{$form} failure $reason $status",
                "$name: with its action, outcome, reason and status";
        }
    }
}

is $alice->get('/app')->{status}, 200,
    'after all that, the session still works';

done_testing;
