# Notifications: with kot_notify on, a lockout, a burst of denials, a
# login from a new network, password and MFA changes, admin actions and
# support grants reach a webhook, signed, through kotctl notify; at
# least once, whether the receiver or the daemon goes down; an event
# nobody takes ends in the dead letters.  No event carries a password or
# a session, not even one an administrator ended.  A tenant's own webhook
# is signed with the tenant's key, which signs nothing of another's.  A
# deleted tenant's undelivered events and dead letters go with it, and
# nothing of it is posted afterwards, not even the event whose post failed
# as the tenant was deleted.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use KotTest::Admin;
use KotTest::TOTP;
use KotTest::Webhook;
use Test::More;
use Digest::SHA ();
use JSON::PP ();
use Time::HiRes ();

my $t = KotTest->new;
my $dir = $t->dir;

my $n = $t->nginx(KotTest::Admin->site(
    http => 'kot_notify on; kot_lockout threshold=3 window=1m duration=10m;',
    server => "set_real_ip_from 127.0.0.1;\n        real_ip_header X-Real-IP;",
));

my %pw = (alice => 'correct horse battery', bob => 'staple gun orbit',
          carol => 'violet lantern sky', dave => 'quiet harbour rope',
          erin => 'amber winter field', frank => 'silver canyon drum',
          frank_new => 'copper meadow bell', gina => 'linen tower quill');
$t->add_user('acme', $_, $pw{$_}) for qw(alice bob carol dave frank gina);
$t->add_user('beta', 'erin', $pw{erin});
$t->add_user('acme', 'hank', $pw{alice}, roles => ['admin']);
$t->add_user('acme', 'ivan', $pw{alice});


# The receiver a customer would write (t/lib/KotTest/Webhook.pm), which
# answers 500 at /fail, and late while the file "slow" exists.

my $key = ('k' x 32) . "\n";
KotTest::_spew("$dir/notify.key", $key);
chmod 0600, "$dir/notify.key";

sub signature_ok { KotTest::Webhook::signature_ok(@_) }

# each tenant's key, as its receiver is given it: kotctl notify key
my %tenant_key;
for my $tenant (qw(acme beta)) {
    my $r = $t->kotctl('notify', 'key', $tenant, '--hmac-key-file',
                       "$dir/notify.key");
    ($tenant_key{$tenant}) = $r->{out} =~ /^([0-9a-f]{64})\n\z/;
}
ok $tenant_key{acme}, 'kotctl notify key prints a tenant\'s key';
is $tenant_key{acme},
    Digest::SHA::hmac_sha256_hex('kot-notify-tenant:acme', $key),
    'HMAC-SHA256 of "kot-notify-tenant:" and its name under the key file';
isnt $tenant_key{beta}, $tenant_key{acme}, 'another tenant has another';
my $r0 = $t->kotctl('notify', 'key', 'Bad Name', '--hmac-key-file',
                    "$dir/notify.key");
isnt $r0->{exit}, 0, 'an invalid tenant name gets no key';
like $r0->{err}, qr/not a valid tenant name/, 'and says why';

# the receiver: beta's webhook is /fail, acme's /acme, --webhook /hook
sub key_for ($path) {
    return $path =~ m{^/fail} ? $tenant_key{beta}
         : $path =~ m{^/acme} ? $tenant_key{acme} : $key;
}

my $port = KotTest::free_port();
my $hook;

sub receiver_start () {
    $hook = KotTest::Webhook->start($t, 'receiver', \&key_for, port => $port,
        answer => sub ($c, $path) {
            sleep 3 if -e "$dir/slow";
            return KotTest::Webhook::answer_ok($c, $path)
                unless $path =~ m{^/fail};
            print $c "HTTP/1.1 500 No\r\n",
                "Content-Length: 0\r\nConnection: close\r\n\r\n";
            close $c;
        });
}

# [check, path, signature header, event, body, time] of every request
sub received () { $hook->received }

sub got ($type, %match) {
    return grep { my $e = $_->[3];
                  $e->{type} eq $type
                  && !grep { ($e->{$_} // '') ne $match{$_} } keys %match }
           received();
}

# whether such an event arrives, within 10 s (or $timeout)
sub arrives_within ($timeout, $type, %match) {
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    return wait_until(sub { got($type, %match) }, timeout => $timeout,
                      what => join ' ', $type, %match);
}

sub arrives ($type, %match) { arrives_within(10, $type, %match) }

sub daemon_start () {
    $t->fork_extra('notify', sub {
        open STDERR, '>>', "$dir/notify.out";
        exec $KotTest::KOTCTL, '--redis', $t->redis_addr, 'notify',
            '--webhook', "http://127.0.0.1:$port/hook",
            '--hmac-key-file', "$dir/notify.key", '--max-backoff', 4,
            '--tenant-webhooks', 'any';     # the tenants' receivers: here
    });
}

sub daemon_log () { KotTest::_slurp("$dir/notify.out") // '' }

sub pending () {
    my $r = $t->redis('XPENDING', 'kot:v1:notify', 'kot-notify');
    return $r->[0];
}

sub lock_out ($user, $tenant = 'acme') {
    $n->ua->login(tenant => $tenant, username => $user,
                  password => 'wrong') for 1 .. 3;
}

sub login_from ($addr, $user, $password) {
    my $ua = $n->ua;
    my %h = ('X-Real-IP' => $addr);
    my $form = $ua->get('/kot/login', \%h);
    my $res = $ua->post_form('/kot/login', {
        csrf => KotTest::UA::form_field($form->{content}, 'csrf'),
        tenant => 'acme', username => $user, password => $password }, \%h);
    return ($ua, $res);
}


receiver_start();
daemon_start();


# a lockout arrives, signed, within 2 s

lock_out('alice');
my $locked_at = Time::HiRes::time();
ok arrives_within(2, 'account_locked', user => 'alice'),
    'the webhook gets account_locked within 2 s of the lock';
my ($lock) = got('account_locked', user => 'alice');
is $lock->[0], 'ok', 'signed with the key file, as the receiver checks';
is $lock->[1], '/hook', 'posted to --webhook';
is $lock->[3]{tenant}, 'acme', 'it names the tenant';
ok !$lock->[3]{permanent}, 'and says the lock is not permanent';
like $lock->[3]{id}, qr/^\d+-\d+$/, 'it carries its id, to spot a repeat';
is $lock->[3]{record}{'kot.lockout.failures'}, 3,
    'and the audit record, with the failures';
my ($listed) = grep { $_->{'event.action'} eq 'account_locked'
                      && $_->{'user.name'} eq 'alice' }
    @{ JSON::PP::decode_json($t->kotctl('tenant', 'events', 'acme',
                                        '--json')->{out})->{events} };
delete $listed->{'session.hash'};
is_deeply $lock->[3]{record}, $listed,
    'the same record as in the tenant\'s events list';
note sprintf 'arrived %.2f s after the lock',
    (Time::HiRes::time() - $locked_at);
ok wait_until(sub { pending() == 0 }, what => 'the acknowledgement'),
    'a delivered event leaves nothing pending';


# the receiver's check: what a forger or a replayer sends is refused

my ($sig, $body) = @$lock[2, 4];
my ($ts) = $sig =~ /t=(\d+)/;
my $good = $sig;
ok signature_ok($key, $good, $body), 'the check accepts the signature sent';
(my $tampered = $body) =~ s/"alice"/"mallory"/;
ok !signature_ok($key, $good, $tampered), 'refuses a changed body';
(my $forged = $good) =~ s/v1=(.)/'v1=' . ($1 eq 'a' ? 'b' : 'a')/e;
ok !signature_ok($key, $forged, $body), 'refuses a changed signature';
ok !signature_ok("other key\n", $good, $body), 'refuses another key';
ok !signature_ok($key, $good, $body, $ts + 3600),
    'and refuses a replay an hour later';


# the receiver down for a while: the event arrives once it is back

$t->stop_extra('receiver');
lock_out('bob');
ok wait_until(sub { daemon_log() =~
                       /account_locked of tenant "acme": .*attempt 1, next/ },
              what => 'a failed attempt'),
    'with the receiver down, the attempt fails';
is pending(), 1, 'and the event stays pending';
receiver_start();
ok arrives('account_locked', user => 'bob'),
    'once the receiver is back, the event arrives';
ok wait_until(sub { pending() == 0 }, what => 'nothing pending'),
    'and is acknowledged';


# the daemon killed mid-way (kill -9): nothing is lost

KotTest::_spew("$dir/slow", '');
lock_out('carol');
ok arrives('account_locked', user => 'carol'),
    'the receiver is answering carol\'s event';
my $pid = delete $t->{extra}{notify};
kill 'KILL', $pid;
waitpid $pid, 0;
unlink "$dir/slow";
lock_out('dave');
is pending(), 1, 'the event it was posting is still pending';
daemon_start();
ok arrives('account_locked', user => 'dave'),
    'after a restart, the event made while it was down arrives';
ok wait_until(sub { got('account_locked', user => 'carol') >= 2 },
              what => "carol's event again"),
    'and the one it was posting arrives again (at least once)';
ok wait_until(sub { pending() == 0 }, what => 'nothing pending'),
    'nothing is left pending';


# a tenant's own webhook; a receiver that keeps failing: dead letters

my $r = $t->kotctl('tenant', 'notify', 'beta', "http://127.0.0.1:$port/fail");
is $r->{exit}, 0, 'kotctl tenant notify sets a tenant\'s webhook';
like $t->kotctl('tenant', 'notify', 'beta')->{out},
    qr{^http://127\.0\.0\.1:$port/fail$}m, 'and shows it';
$r = $t->kotctl('tenant', 'notify', 'beta', 'ftp://example.com/');
isnt $r->{exit}, 0, 'a URL that is not http(s) is refused';
like $r->{err}, qr/http/, 'saying what a webhook must be';

lock_out('erin', 'beta');
sub dead_lock () {
    my ($d) = grep { $_->{type} eq 'account_locked' }
        map { +{ @{ $_->[1] } } }
        @{ $t->redis('XRANGE', 'kot:v1:notify:dead', '-', '+') };
    return $d;
}
ok wait_until(sub { dead_lock() }, timeout => 20, what => 'the dead letter'),
    'an event refused until the longest backoff goes to the dead letters';
my $dead = dead_lock() // {};
is $dead->{tenant}, 'beta', 'with its tenant';
is $dead->{attempts}, 4, 'after 4 attempts (1, 2, 4 s apart)';
like $dead->{error}, qr/HTTP status 500/, 'and the last error';
my @beta = grep { $_->[1] eq '/fail' && $_->[3]{type} eq 'account_locked' }
           received();
is scalar(@beta), 4, 'all of them to the tenant\'s webhook';
ok !grep({ $_->[0] ne 'ok' } @beta), 'signed with the tenant\'s key';
ok !grep({ signature_ok($key, @$_[2, 4])
           || signature_ok($tenant_key{acme}, @$_[2, 4]) } @beta),
    'which the key file and another tenant\'s key do not verify';
ok !signature_ok($tenant_key{beta}, $sig, $body)
   && !signature_ok($tenant_key{acme}, $sig, $body),
    'nor does a tenant\'s key verify a post to --webhook';
ok wait_until(sub { pending() == 0 }, timeout => 20,
              what => 'nothing pending'),
    'and it is no longer pending';
ok got('admin_action', action => 'tenant_notify_changed', tenant => 'beta'),
    'setting a webhook is an admin action, notified too';
$t->kotctl('tenant', 'notify', 'beta', '--clear');


# a login from a network not seen for the user in 90 days

login_from('198.51.100.7', 'frank', $pw{frank});
login_from('198.51.100.7', 'frank', $pw{frank});
my ($ua) = login_from('203.0.113.9', 'frank', $pw{frank});
ok arrives('login_new_network', user => 'frank'),
    'a login from a network the user never used is notified';
my @nn = got('login_new_network', user => 'frank');
is scalar(@nn), 1, 'once: the first login and a known network are not';
is $nn[0][3]{network}, '203.0.113.9', 'it names the network';
my $ttl = $t->redis('PTTL', 'kot:v1:nn:acme:frank');
ok $ttl > 89 * 86400_000 && $ttl <= 90 * 86400_000,
    'the networks are remembered for 90 days';


# password and MFA changes, admin actions, support grants

my $page = $ua->get('/kot/password');
$ua->post_form('/kot/password', {
    csrf => KotTest::UA::form_field($page->{content}, 'csrf'),
    current_password => $pw{frank}, new_password => $pw{frank_new},
    confirm_password => $pw{frank_new} });
ok arrives('password_changed', user => 'frank'),
    'a user changing their password is notified';

$t->kotctl('user', 'disable', 'acme', 'dave');
ok arrives('admin_action', action => 'account_disabled', user => 'dave'),
    'an administrator\'s action from kotctl is notified';
$t->kotctl('support', 'grant', 'acme', '--hours', 2);
ok arrives('support_granted', tenant => 'acme'),
    'so is a support grant';

my $gina = $n->ua;
$gina->login(tenant => 'acme', username => 'gina', password => $pw{gina});
$page = $gina->get('/kot/mfa');
my ($secret) = $page->{content} =~ m{<code id="kot-totp-secret">([A-Z2-7]+)<};
KotTest::TOTP::fresh_step();
my $code = KotTest::TOTP::code($secret);
$gina->post_form('/kot/mfa', {
    csrf => KotTest::UA::form_field($page->{content}, 'csrf'),
    action => 'enrol', code => $code, password => $pw{gina} });
ok arrives('mfa_changed', user => 'gina', action => 'mfa_enrolled'),
    'a user enrolling in MFA is notified';
$t->kotctl('user', 'mfa-reset', 'acme', 'gina');
ok arrives('mfa_changed', user => 'gina', action => 'mfa_reset'),
    'and so is an administrator resetting it';


# the admin API: a tenant admin sees and sets the tenant's webhook

my $hank = KotTest::Admin->login($n, 'acme', 'hank', $pw{alice});
my $res = $hank->call(GET => 'tenants/acme');
is $res->{status}, 200, 'GET tenants/T answers a tenant admin';
is_deeply $res->{json}, { name => 'acme', notify_url => undef },
    'with no webhook of its own';
KotTest::Admin->is_error(
    $hank->call(PUT => 'tenants/acme', { notify_url => 'file:///etc' }),
    422, 'invalid_url', 'a URL that is not http(s): 422 invalid_url');
my $url = "http://127.0.0.1:$port/acme?token=s3cr3t-t0ken";
$res = $hank->call(PUT => 'tenants/acme', { notify_url => $url });
is $res->{status}, 200, 'PUT tenants/T sets the webhook';
is $res->{json}{notify_url}, $url, 'and answers it';
like $t->kotctl('tenant', 'notify', 'acme')->{out}, qr/^\Q$url\E$/m,
    'kotctl sees the same';
ok wait_until(sub { grep { $_->[1] =~ m{^/acme\?} } got('admin_action',
                  action => 'tenant_notify_changed', tenant => 'acme') },
              what => 'the change, at the new webhook'),
    'the change is notified, to the tenant\'s webhook now';
$res = $hank->call(PUT => 'tenants/acme', { notify_url => '' });
is $res->{json}{notify_url}, undef, 'an empty URL removes it';
is $t->kotctl('tenant', 'notify', 'acme')->{out},
    "(none: kotctl notify --webhook)\n", 'for kotctl too';
my $other = KotTest::Admin->login($n, 'acme', 'ivan', $pw{alice});
KotTest::Admin->is_error($other->call(GET => 'tenants/acme'), 403,
    'forbidden', 'a user who is no admin may not');


# an administrator ends a session: the event names no session

sub ivan_handle () {
    my $ivan = $n->ua;
    $ivan->login(tenant => 'acme', username => 'ivan', password => $pw{alice});
    my ($h) = map { $_->{handle} }
        @{ $hank->call(GET => 'tenants/acme/sessions?user=ivan')
               ->{json}{sessions} };
    return $h;
}

for my $via (qw(api kotctl)) {
    my $handle = ivan_handle();
    ok $handle, "ivan has a session for an administrator to end ($via)";
    if ($via eq 'api') {
        is $hank->call(DELETE => "tenants/acme/sessions/$handle")->{status},
            204, 'the admin API ends it';
    } else {
        is $t->kotctl('session', 'end', 'acme', $handle)->{exit}, 0,
            'kotctl session end ends it';
    }
    ok wait_until(sub { grep { $_->[3]{record}{'kot.via'} eq $via }
                        got('admin_action', action => 'session_revoked') },
                  what => "the session's end ($via)"),
        "the end of a session ($via) reaches the webhook";
    my ($ended) = grep { $_->[3]{record}{'kot.via'} eq $via }
        got('admin_action', action => 'session_revoked');
    is index($ended->[4], substr($handle, 0, 16)), -1,
        "and the event carries no handle of the ended session ($via)";
    like $ended->[3]{record}{'url.path'}, qr{/sessions/\{H\}\z},
        'its path names the session {H}' if $via eq 'api';
    is $ended->[3]{record}{'kot.change'}{sessions_ended}, 1,
        'but says how many sessions ended';
    my ($rec) = grep { ($_->{'kot.change'}{session} // '') eq $handle }
        @{ JSON::PP::decode_json($t->kotctl('tenant', 'events', 'acme',
                                            '--json')->{out})->{events} };
    ok $rec, 'while the audit record keeps the handle, for an auditor';
}


# a burst of address denials for a tenant: one event

$t->kotctl('allowlist', 'acme', 'access', 'set', '10.9.0.0/16');
login_from("192.0.2.$_", 'alice', 'x') for 1 .. 25;
ok arrives('ip_denial_burst', tenant => 'acme'),
    'a burst of denials for a tenant is notified';
my @bursts = got('ip_denial_burst');
is scalar(@bursts), 1, 'once for the burst, not once a denial';
is $bursts[0][3]{denials}, 20, 'at the 20th denial';
$t->kotctl('allowlist', 'acme', 'access', 'set');
ok wait_until(sub { got('admin_action', action => 'allowlist_changed') >= 2 },
              what => 'the allow-list changes'),
    'allow-list changes are admin actions';
my ($set) = grep { ($_->[3]{record}{'kot.change'}{op} // '') eq 'set'
                   && $_->[3]{record}{'kot.change'}{entries} }
    got('admin_action', action => 'allowlist_changed');
is_deeply $set->[3]{record}{'kot.change'}{removed}, [],
    'whose record is the audit record as it is, empty lists too';


# nothing secret in the stream

my $stream = join "\n", map { @{ $_->[1] } }
    @{ $t->redis('XRANGE', 'kot:v1:notify', '-', '+') };
my @sids = map { s/^kot:v1:s://r } @{ $t->redis('KEYS', 'kot:v1:s:*') };
ok @sids, 'there are sessions to look for';
is scalar(grep { index($stream, substr($_, 0, 16)) >= 0 } @sids), 0,
    'no event carries a session or its handle';
my $cookie = $ua->cookie('kot_session');
ok !defined $cookie || index($stream, $cookie) < 0,
    'nor a session cookie';
is scalar(grep { index($stream, $_) >= 0 } values %pw), 0,
    'nor a password';
ok index($stream, $secret) < 0 && $stream !~ /\b$code\b/,
    'nor an MFA secret or code';
unlike $stream, qr/"session\./, 'no session field at all';
unlike $stream, qr/s3cr3t-t0ken/, 'nor a webhook\'s URL';
is scalar(grep { $_->[0] ne 'ok' } received()), 0,
    'every post was signed';


# Redis restarted under the daemon: it connects again and goes on

$t->stop_redis(save => 1);
$t->start_redis;
ok wait_until(sub { daemon_log() =~ /connected to redis again/ },
              what => 'the daemon to connect again'),
    'the daemon connects again after a restart of Redis';
ok wait_until(sub {
        $n->ua->login(tenant => 'acme', username => 'ivan', password => 'no');
        got('account_locked', user => 'ivan') }, timeout => 15,
              what => 'an event after the restart'),
    'and delivers the events made after it';


# a deleted tenant's notifications go with it: those not delivered yet
# and its dead letters, through kotctl; none is posted after it

$t->kotctl('tenant', 'add', 'gamma');
$t->kotctl('tenant', 'notify', 'gamma', "http://127.0.0.1:$port/fail/gamma");
$t->add_user('gamma', $_, $pw{alice}) for qw(gus gil);
# the entries of the stream $key of a tenant, as hashes with their id
sub entries_of ($tenant, $key) {
    return grep { $_->{tenant} eq $tenant } map { +{ id => $_->[0],
                                                     @{ $_->[1] } } }
        @{ $t->redis('XRANGE', $key, '-', '+') };
}
sub of_gamma ($key) { entries_of('gamma', $key) }
sub gamma_posts () { grep { $_->[3]{tenant} eq 'gamma' } received() }
lock_out('gus', 'gamma');
ok wait_until(sub { grep { $_->{type} eq 'account_locked' }
                    of_gamma('kot:v1:notify:dead') },
              timeout => 20, what => "gamma's dead letter"),
    'a tenant whose webhook fails has dead letters';
lock_out('gil', 'gamma');
ok arrives('account_locked', user => 'gil'),
    'and an event that failed once, waiting for its next attempt';
$t->stop_extra('notify');
$t->kotctl('user', 'disable', 'gamma', 'gil');
my @dead = of_gamma('kot:v1:notify:dead');
my $posts = gamma_posts();
my %done = map { $_ => 1 } (map { $_->{id} } @dead),
    map { $_->[3]{id} } grep { $_->[1] !~ m{^/fail} } gamma_posts();
$r = $t->kotctl('tenant', 'delete', 'gamma', '--yes');
my $dead_letters = @dead;
like $r->{out},
    qr/, \d+ undelivered notifications and $dead_letters dead letters dropped;/,
    'kotctl tenant delete says what it dropped';
my ($undelivered) = $r->{out} =~ /(\d+) undelivered/;
ok $undelivered >= 2, "the pending one and the unread one ($undelivered)";
is_deeply [ of_gamma('kot:v1:notify:dead') ], [],
    'its dead letters are gone';
is_deeply [ grep { !$done{$_->{id}} } of_gamma('kot:v1:notify') ], [],
    'and its events not delivered leave the stream (those delivered or '
    . 'given up on stay until the stream is trimmed)';
is pending(), 0, 'nothing of it is pending';

daemon_start();
$t->redis('XADD', 'kot:v1:notify', '*', 'type', 'account_locked',
          'tenant', 'gamma', 'event', '{"type":"account_locked"}');
$t->kotctl('user', 'enable', 'acme', 'dave');
ok arrives('admin_action', action => 'account_enabled', user => 'dave'),
    'with the daemon back, the other tenants\' events arrive';
ok wait_until(sub { daemon_log() =~
                        /of tenant "gamma" dropped: the tenant was deleted/ },
              what => 'the hand-made event dropped'),
    'an event of the deleted tenant put back by hand is dropped, and logged';
is scalar(gamma_posts()), $posts,
    'nothing more of the deleted tenant was posted, to its webhook or '
    . 'to --webhook';
is pending(), 0, 'and nothing is left pending';

# a post that fails while its tenant is being deleted: the event is
# dropped, with no other attempt, to its webhook or to --webhook, and no
# dead letter; the daemon's log says so

$t->kotctl('tenant', 'add', 'delta');
ok wait_until(sub { pending() == 0 }, what => "delta's first event"),
    'a new tenant\'s event is delivered';
sub delta_posts () { grep { $_->[3]{tenant} eq 'delta' } received() }
KotTest::_spew("$dir/slow", '');        # the receiver answers in 3 s
# the change of the webhook is an event, posted to the new webhook
$t->kotctl('tenant', 'notify', 'delta', "http://127.0.0.1:$port/fail/delta");
ok wait_until(sub { grep { $_->[1] eq '/fail/delta' } delta_posts() },
              what => "delta's event posted"),
    'a tenant\'s event is being posted to its webhook';
my $posted = delta_posts();
$r = $t->kotctl('tenant', 'delete', 'delta', '--yes');
like $r->{out}, qr/ 1 undelivered notification/,
    'the tenant is deleted meanwhile, the event with it';
unlink "$dir/slow";
my $dropped = 'of tenant "delta": HTTP status 500; dropped: the tenant was '
            . 'deleted';
ok wait_until(sub { daemon_log() =~ /\Q$dropped\E$/m },
              what => 'the failed post'),
    'the post fails, and the daemon says that the event is dropped';
unlike daemon_log(), qr/of tenant "delta": .*next in/,
    'not that it will try again';
# an attempt again would come after 1 s (--max-backoff 4: a dead letter
# after 7 s)
my $end = Time::HiRes::time() + 2.5;
Time::HiRes::sleep(0.1) while delta_posts() == $posted
                              && Time::HiRes::time() < $end;
is scalar(delta_posts()), $posted,
    'nothing more of the tenant is posted, to its webhook or to --webhook';
is_deeply [ entries_of('delta', 'kot:v1:notify:dead') ], [],
    'it has no dead letter';
is pending(), 0, 'and nothing is pending';

# the same through the admin API: beta, whose webhook failed, deleted
$t->add_user('ops', 'root', $pw{alice}, roles => ['admin']);
my $root = KotTest::Admin->login($n, 'ops', 'root', $pw{alice});
my @beta_dead = entries_of('beta', 'kot:v1:notify:dead');
ok scalar(@beta_dead), 'beta has dead letters';
is $root->call(DELETE => 'tenants/beta')->{status}, 204,
    'DELETE tenants/T deletes a tenant';
is scalar(entries_of('beta', 'kot:v1:notify:dead')), 0,
    'and its dead letters';
my ($gone) = grep { $_->{'event.action'} eq 'tenant_deleted' }
    @{ $root->call(GET => 'tenants/ops/events')->{json}{events} };
is $gone->{'kot.change'}{dead_letters_dropped}, scalar(@beta_dead),
    'which its audit record counts';


# what notifications keep of a user and a tenant goes with them

ok $t->redis('EXISTS', 'kot:v1:nn:acme:frank'), 'frank\'s networks are kept';
$t->kotctl('user', 'delete', 'acme', 'frank', '--yes');
is $t->redis('EXISTS', 'kot:v1:nn:acme:frank'), 0,
    'and deleted with the user';
$t->kotctl('allowlist', 'acme', 'access', 'set', '10.9.0.0/16');
login_from('192.0.2.1', 'alice', 'x');
ok $t->redis('EXISTS', 'kot:v1:nb:acme'), 'a tenant\'s denials are counted';
$t->kotctl('tenant', 'delete', 'acme', '--yes');
is_deeply [ grep { /acme/ } @{ $t->redis('KEYS', 'kot:v1:*') } ], [],
    'and every key of a deleted tenant goes';

# with the Redis ACL users of the shipped conf/redis/kot.conf: nginx
# writes events, kotctl's user runs the daemon and notifies its actions

my $acl = KotTest->new;
my $conf = KotTest::_slurp(KotTest->repo . '/conf/redis/kot.conf');
for my $user (qw(kot-nginx kotctl)) {
    my ($rule) = $conf =~ /^user \Q$user\E (.*)$/m;
    $rule =~ s/#\@\w+_PASSWORD_SHA256\@/>acl-$user/;
    is $acl->redis('ACL', 'SETUSER', $user, split ' ', $rule), 'OK',
        "Redis takes kot.conf's user $user";
    KotTest::_spew($acl->dir . "/$user.pw", "acl-$user\n", 0600);
}
my $site = KotTest->site(
    http => 'kot_notify on; kot_lockout threshold=3 permanent_after=1;');
$site =~ s{kot_redis %%REDIS%% timeout=1s;}
          {kot_redis %%REDIS%% user=kot-nginx password_file=@{[
              $acl->dir ]}/kot-nginx.pw timeout=1s;} or die;
my $an = $acl->nginx($site);
$acl->add_user('acme', $_, $pw{alice}) for qw(zed yan);
my @as_kotctl = ('--redis-user', 'kotctl',
                 '--redis-password-file', $acl->dir . '/kotctl.pw');
$acl->fork_extra('notify', sub {
    open STDERR, '>>', "$dir/notify-acl.out";
    exec $KotTest::KOTCTL, '--redis', $acl->redis_addr, @as_kotctl,
        'notify', '--webhook', "http://127.0.0.1:$port/acl",
        '--hmac-key-file', "$dir/notify.key", '--consumer', 'acl';
});
$an->ua->login(tenant => 'acme', username => 'zed', password => 'no')
    for 1 .. 3;
ok arrives('account_locked', user => 'zed'),
    'with the ACL users, nginx writes the event and the daemon posts it';
is((got('account_locked', user => 'zed'))[0][3]{permanent}, JSON::PP::true,
   'a permanent lock says so');
is $acl->kotctl(@as_kotctl, 'user', 'disable', 'acme', 'yan')->{exit}, 0,
    'kotctl acts as its ACL user';
ok arrives('admin_action', user => 'yan'),
    'and its action is notified';


# by default, a tenant's webhook may not lead into the operator's network

is $acl->kotctl(@as_kotctl, 'tenant', 'notify', 'acme',
                "http://127.0.0.1:$port/inside")->{exit}, 0,
    'a tenant sets its webhook to the host and port of --webhook';
ok wait_until(sub { KotTest::_slurp("$dir/notify-acl.out")
                    =~ /leads to (127\.0\.0\.1|::1), an internal address/ },
              what => 'the refusal in the daemon\'s log'),
    'the daemon refuses to post there, and says why';
ok !grep({ $_->[1] eq '/inside' } received()),
    'nothing reached the address';
$r = $acl->kotctl(@as_kotctl, 'tenant', 'delete', 'acme', '--yes');
like $r->{out}, qr/deleted: .* [1-9]\d* undelivered notifications? and/,
    'kotctl\'s ACL user deletes a tenant, its waiting events with it';

done_testing;
