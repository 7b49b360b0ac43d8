# A storm of logins whose clients give up and leave must not hold the
# hash queue: their queued hashes are dropped, and a real login that
# comes after the storm is answered about as fast as on a quiet day,
# not after the whole abandoned queue has been hashed.  The logins that
# a full queue refuses ("busy", 503) show in the audit log as one record
# per second, with their count and where they came from.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;
use Time::HiRes ();

# One thread and a short queue: the storm fills it.  ln=15 takes a
# noticeable time per hash, so that a queue of them shows.
my $STORM = 24;

my $t = KotTest->new(workers => 1, scrypt_ln => 15);
my $n = $t->nginx(KotTest->site
        =~ s/kot_thread_pool kot_test/kot_thread_pool kot_storm/r
        =~ s/ln=10/ln=15/r,
    extra_main => "thread_pool kot_storm threads=1 max_queue=$STORM;");

$t->add_user('acme', 'alice', 'correct horse battery');

# Logins sent without waiting for their answer, from a browser that
# loaded the form of instance $inst.
sub sender ($inst) {
    my $ua = $inst->ua;
    my $csrf = KotTest::UA::form_field($ua->get('/kot/login')->{content},
                                       'csrf');
    return sub ($user, $password, $ip = '127.0.0.1') {
        return $ua->post_form_detached('/kot/login', {
            csrf => $csrf, tenant => 'acme', username => $user,
            password => $password }, { 'X-Real-IP' => $ip });
    };
}

# Seconds until the login on $s is answered, and its status.
sub answer ($s, $limit) {
    my $t0 = Time::HiRes::time();
    my $status = KotTest::UA::status($s, $limit);
    return (Time::HiRes::time() - $t0, $status);
}

my $send = sender($n);

# what one login costs when nobody else logs in
my ($one, $status) = answer($send->('alice', 'correct horse battery'), 30);
is $status, 303, 'a login on a quiet server succeeds';

# the storm: wrong passwords of many users, from clients that leave at once
my @storm = map { $send->("user$_", 'guess') } 1 .. $STORM;
close $_ for @storm;

# the same event loop has read them all once it answers this
is $n->ua->get('/public/x')->{status}, 200, 'the site answers during the storm';

(my $took, $status) = answer($send->('alice', 'correct horse battery'),
                             3 * $STORM * $one + 10);

is $status, 303, 'a real login after the storm succeeds';
cmp_ok $took, '<', $STORM * $one / 2,
    sprintf('and is answered in %.2f s, not after the %d abandoned hashes '
            . '(%.2f s each)', $took, $STORM, $one);

like $n->error_log, qr/client prematurely closed connection/,
    'the clients that left are noticed';



# Busy: a queue of one, and hashes long enough that a burst overflows it.
# The client addresses come from X-Real-IP (realip).

my ($priv, $pub) = $t->auditor_keys;
my $b = $t->nginx(KotTest->site(
        http => "kot_audit_log %%DIR%%/audit.log;\n"
              . "    kot_audit_auditor_key $pub;",
        server => 'set_real_ip_from 127.0.0.1; real_ip_header X-Real-IP;')
        =~ s/kot_thread_pool kot_test/kot_thread_pool kot_busy/r
        =~ s/ln=10/ln=16/r,
    name => 'busy',
    extra_main => 'thread_pool kot_busy threads=1 max_queue=1;');

my $burst = sender($b);
my %from = ('192.0.2.1' => 12, '192.0.2.2' => 8, '2001:db8::3' => 4);
my @burst = map { my $ip = $_;
                  map { [$ip, $burst->("b$_", 'guess', $ip)] } 1 .. $from{$ip}
                } sort keys %from;
my (%busy, $busy);
for (@burst) {
    my ($ip, $s) = @$_;
    next unless (KotTest::UA::status($s, 60) // 0) == 503;
    $busy{$ip}++;
    $busy++;
}
cmp_ok $busy, '>=', 10, "a burst of logins overflows the queue ($busy busy)";

my $log = $t->dir . '/busy/audit.log';
sub records ($action) { $t->audit_records($log, $action) }
sub counted () {
    my $sum = 0;
    $sum += $_->{'kot.busy.count'} for records('login_rejected_busy');
    return $sum;
}

# no request comes after the burst: a timer writes the last second
ok wait_until(sub { counted() == $busy }, timeout => 5,
              what => 'the refusals to be recorded'),
    'the busy refusals are recorded, each counted once';

my @recs = records('login_rejected_busy');
cmp_ok scalar @recs, '<=', 3, scalar(@recs) . ' record(s), one per second, '
    . 'not one per refusal';
is_deeply [ map { $_->{'event.reason'} . ' ' . $_->{'http.response.status_code'}
                  . ' ' . $_->{'event.outcome'} } @recs ],
    [ ('busy 503 failure') x @recs ], 'each says what the clients got';

my %seen;
for my $r (@recs) {
    $seen{$_->{'source.ip'}} += $_->{count} for @{ $r->{'kot.busy.sources'} };
}
is_deeply \%seen, \%busy, 'with the addresses and how often each was refused';
ok !grep({ ($_->{'http.response.status_code'} // 0) == 503 }
         records('login')), 'and no login record of its own for a refusal';
my $full = 'the password hashing queue was full';
like $b->error_log,
    qr/kot: \d+ logins refused in one second: $full; from [\d.:a-f]+ \(\d+\)/,
    'the error log says it too';

# a stop right after a burst: its second is written as the worker exits,
# if the timer has not written it yet
my @more = map { $burst->("c$_", 'guess', '192.0.2.9') } 1 .. 6;
my $more = grep { (KotTest::UA::status($_, 0.5) // 0) == 503 } @more;
close $_ for @more;
$b->stop;
is counted(), $busy + $more, 'stopping nginx right after a burst loses none';

my $v = $t->kotctl('audit', 'verify', '--auditor-key', $priv, $log);
is $v->{exit}, 0, 'and the chain verifies' or diag $v->{out} . $v->{err};

done_testing;
