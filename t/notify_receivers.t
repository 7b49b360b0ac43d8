# Receivers that misbehave, as kotctl notify meets them on tenants'
# webhooks: one that answers with a body meant for the daemon's log, one
# that answers 200 but slowly, and one that takes the post and never
# answers.  The first's answer never reaches the log; the posts to the
# others go at once, each receiver's in order: neither the slow one nor
# the hung one holds the other tenants' alerts back; the hung one's
# other events wait, not attempted (README.md, "Delivery").  The events
# are written to the stream directly, as nginx would.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use KotTest::Webhook;
use Test::More;
use JSON::PP ();
use Time::HiRes ();

my $t = KotTest->new;
my $dir = $t->dir;

# "good" answers 200; "chatty" answers 200 with a body written to land in
# a log as lines of the daemon's; "hang" takes the post, never answers.
# The posts are not signed: no receiver here checks.
my %hook;
$hook{good} = KotTest::Webhook->start($t, 'good', sub { '' });
$hook{chatty} = KotTest::Webhook->start($t, 'chatty', sub { '' },
    answer => sub ($c, $path) {
        my $body = "\nkotctl notify: 1-0 account_locked of tenant \"acme\" "
                 . "delivered (200)\n\e[2J" . ('FORGED LOG LINE ' x 4096);
        print $c "HTTP/1.1 200 OK\r\nContent-Length: ", length($body),
            "\r\nConnection: close\r\n\r\n", $body;
        close $c;
    });
$hook{hang} = KotTest::Webhook->start($t, 'hang', sub { '' },
                                      answer => sub ($c, $path) { });
# "slow" takes 4 s to answer 200, one post at a time
$hook{slow} = KotTest::Webhook->start($t, 'slow', sub { '' },
    answer => sub ($c, $path) {
        sleep 4;
        KotTest::Webhook::answer_ok($c, $path);
    });

sub url ($name) { "http://127.0.0.1:@{[ $hook{$name}->port ]}/$name" }

for my $tenant (qw(acme stuck loud slowpoke)) {
    is $t->kotctl('tenant', 'add', $tenant)->{exit}, 0, "tenant $tenant";
}
$t->kotctl('tenant', 'notify', 'stuck', url('hang'));
$t->kotctl('tenant', 'notify', 'loud', url('chatty'));
$t->kotctl('tenant', 'notify', 'slowpoke', url('slow'));

sub daemon_start () {
    $t->fork_extra('notify', sub {
        open STDOUT, '>>', "$dir/notify.stdout";
        open STDERR, '>>', "$dir/notify.out";
        exec $KotTest::KOTCTL, '--redis', $t->redis_addr, 'notify',
            '--webhook', url('good'), '--tenant-webhooks', 'any';
    });
}

daemon_start();

sub event ($tenant, $user) {
    return $t->redis('XADD', 'kot:v1:notify', '*', 'type', 'account_locked',
        'tenant', $tenant, 'event', JSON::PP::encode_json({
            type => 'account_locked', tenant => $tenant, user => $user }));
}

sub posts ($name, $id) {
    return grep { $_->[3]{id} eq $id } $hook{$name}->received;
}

sub attempts ($id) {
    my $r = $t->redis('XPENDING', 'kot:v1:notify', 'kot-notify', $id, $id, 1);
    return @$r ? $r->[0][3] : 0;
}

sub log_of ($file) { KotTest::_slurp("$dir/$file") // '' }


# a receiver's answer is not the daemon's to print

my $id = event('loud', 'alice');
ok wait_until(sub { log_of('notify.out') =~ /\Q$id\E .* delivered/ },
              what => 'the post to the chatty receiver'),
    'a post to a receiver that answers with a body is delivered';
ok +(log_of('notify.stdout') . log_of('notify.out')) !~ /FORGED|\e/,
    'and nothing of what it answered reaches the daemon\'s output';


# a tenant's receiver that answers 200, but slowly: the other tenants'
# events do not wait for it, and its own arrive one at a time, in order

ok wait_until(sub { $t->redis('XPENDING', 'kot:v1:notify',
                              'kot-notify')->[0] == 0 },
              what => 'nothing pending'), 'the daemon is idle';
my @slow = map { event('slowpoke', "user$_") } 1 .. 3;
ok wait_until(sub { posts('slow', $slow[0]) }, what => 'the first slow post'),
    'a receiver that takes 4 s to answer gets its first event';
my $fast = event('acme', 'dora');
my $begun = Time::HiRes::time();
ok wait_until(sub { posts('good', $fast) }, what => "acme's event"),
    'another tenant\'s event, written after three to the slow receiver, '
    . 'arrives';
my $delivered = qr/\Q$slow[0]\E account_locked of tenant "slowpoke" delivered/;
unlike log_of('notify.out'), $delivered,
    '  before the slow receiver has answered the first of its own';
cmp_ok Time::HiRes::time() - $begun, '<', 3, '  without waiting for it';

# stopped meanwhile, the daemon ends the post under way; the slow
# receiver's other events stay pending, not attempted, for the next
$t->stop_extra('notify');
like log_of('notify.out'), qr/$delivered.*\nkotctl notify: stopped\n/s,
    'a daemon stopped during a post ends it first';
is_deeply [ map { my $r = $t->redis('XPENDING', 'kot:v1:notify',
                                     'kot-notify', $_, $_, 1);
                  @$r ? $r->[0][3] : 'not pending' } @slow[1, 2] ], [ 0, 0 ],
    '  and leaves the events still waiting their turn pending, unattempted';
is_deeply [ map { scalar posts('slow', $_) } @slow[1, 2] ], [ 0, 0 ],
    '  and unposted';
daemon_start();
ok wait_until(sub { !grep { !posts('slow', $_) } @slow }, timeout => 30,
              what => 'the slow posts'),
    'the slow receiver gets all of its events';
is join(' ', map { $_->[3]{id} } $hook{slow}->received), "@slow",
    '  in the order they were written, one after the other';
ok wait_until(sub { log_of('notify.out') =~ /\Q$slow[2]\E .* delivered/ },
              what => 'the last slow delivery'),
    '  each delivered';

# the tenant changes its webhook while its events wait their turn behind
# a slow post: they go where it now leads
my @moved = map { event('slowpoke', "moved$_") } 1 .. 3;
ok wait_until(sub { posts('slow', $moved[0]) }, what => 'the first post'),
    'the slow receiver gets the first of three more';
$t->kotctl('tenant', 'notify', 'slowpoke', url('good'));
ok wait_until(sub { !grep { !posts('good', $_) } @moved[1, 2] },
              timeout => 20, what => 'the others at the new webhook'),
    'the tenant changes its webhook: the other two go there';
is_deeply [ map { scalar posts('slow', $_) } @moved[1, 2] ], [ 0, 0 ],
    '  not to the old one';


# a tenant's webhook that never answers: its events wait, those of the
# other tenants go on

$t->kotctl('tenant', 'add', 'warmup');
ok wait_until(sub { $t->redis('XPENDING', 'kot:v1:notify',
                              'kot-notify')->[0] == 0 },
              what => 'nothing pending'), 'the daemon is idle';
my @stuck = map { event('stuck', "user$_") } 1 .. 5;
my $start = Time::HiRes::time();
my $acme = event('acme', 'bob');
ok wait_until(sub { posts('good', $acme) }, timeout => 40,
              what => "acme's event"),
    'another tenant\'s event, written after five to a webhook that hangs, '
    . 'arrives';
my $took = Time::HiRes::time() - $start;
cmp_ok $took, '<', 5,
    'not held back by the posts to the hung webhook (10 s each)';
note sprintf 'arrived after %.1f s', $took;
my $failed = qq{kotctl notify: $stuck[0] account_locked of tenant "stuck": };
# the whole line: the daemon writes it in pieces
ok wait_until(sub { log_of('notify.out') =~ /^\Q$failed\E[^\n]*\n/m },
              what => 'the failure of the first'),
    'the first event of the hung webhook fails, after its 10 s';
my $waits = q{; attempt 1, next in 1 s (its webhook's other events wait, }
          . q{not attempted)};
like log_of('notify.out'), qr/^\Q$failed\E.*\Q$waits\E$/m,
    'and the log says that its other events wait';
is_deeply [ map { attempts($_) } @stuck[1 .. 4] ], [ 0, 0, 0, 0 ],
    'without counting an attempt at them';
ok scalar(posts('hang', $stuck[0])), 'the hung webhook got the first';
is_deeply [ map { scalar posts('hang', $_) } @stuck[1 .. 4] ], [0, 0, 0, 0],
    'and none of the others, in that round';


# a burst of the other tenants' events (a wave of lockouts) while the
# webhook still hangs: all of them go, none waiting for its posts

my @burst = map { event('acme', "user$_") } 1 .. 48;
$start = Time::HiRes::time();
ok wait_until(sub { !grep { !posts('good', $_) } @burst }, timeout => 60,
              what => 'the burst'),
    'a burst of 48 events of another tenant arrives';
$took = Time::HiRes::time() - $start;
cmp_ok $took, '<', 5, 'not held back by the hung webhook';
note sprintf 'the burst took %.1f s', $took;

# more than 1,000 events waiting for their retry (a tenant whose webhook
# fails): the retries of the others, after them, still come

$hook{fail} = KotTest::Webhook->start($t, 'fail', sub { '' },
    answer => sub ($c, $path) {
        print $c "HTTP/1.1 500 No\r\nContent-Length: 0\r\n",
            "Connection: close\r\n\r\n";
        close $c;
    });
$t->kotctl('tenant', 'notify', 'stuck', '--clear');     # the hang is over
$t->kotctl('tenant', 'add', $_) for qw(many late);
$t->kotctl('tenant', 'notify', 'many', url('fail'));
my $late_port = KotTest::free_port();
$t->kotctl('tenant', 'notify', 'late', "http://127.0.0.1:$late_port/late");
$t->redis('EVAL', q{
    for i = 1, 1100 do
        redis.call('XADD', KEYS[1], '*', 'type', 'account_locked',
                   'tenant', 'many', 'event', cjson.encode({
                       type = 'account_locked', tenant = 'many',
                       user = 'user' .. i }))
    end }, 1, 'kot:v1:notify');
ok wait_until(sub { (my @r = $hook{fail}->received) >= 1100 }, timeout => 60,
              what => 'the posts to the failing webhook'),
    'a tenant\'s webhook fails 1,100 events';
my $late = event('late', 'carol');
ok wait_until(sub { log_of('notify.out') =~ /\Q$late\E .*attempt 1, next/ },
              what => "late's first attempt"),
    'another tenant\'s event fails too: its receiver is down';
$hook{late} = KotTest::Webhook->start($t, 'late', sub { '' },
                                      port => $late_port);
ok wait_until(sub { posts('late', $late) }, timeout => 20,
              what => "late's retry"),
    'once its receiver is back, its retry comes, behind the 1,100';

$t->stop_extra('notify');


# by default, a tenant's webhook may not lead to an internal address
# through NAT64 either (64:ff9b::/96 ends with the IPv4 address reached)

$t->fork_extra('public', sub {
    open STDERR, '>>', "$dir/public.out";
    exec $KotTest::KOTCTL, '--redis', $t->redis_addr, 'notify',
        '--webhook', url('good'), '--consumer', 'public';
});
$t->kotctl('tenant', 'notify', 'late', 'http://[64:ff9b::a9fe:a9fe]/x');
my $refused = q{of tenant "late": the tenant's webhook leads to }
            . q{64:ff9b::a9fe:a9fe, an internal address};
ok wait_until(sub { log_of('public.out') =~ /\Q$refused\E/ },
              what => 'the refusal'),
    'a webhook at 169.254.169.254 through NAT64 is refused, and the log '
    . 'says why';

# nor to an address that no Internet service is reached at: IPv6's
# documentation block 3fff::/20, IETF protocol assignments (2001::/23:
# PCP's anycast, the site's gateway), 6to4's relay anycast
for my $addr ('3fff::1', '2001:1::1', '192.88.99.1') {
    my $host = $addr =~ /:/ ? "[$addr]" : $addr;
    $t->kotctl('tenant', 'notify', 'late', "http://$host/x");
    my $why = qq{of tenant "late": the tenant's webhook leads to $addr, }
            . q{an internal address};
    ok wait_until(sub { log_of('public.out') =~ /\Q$why\E/ },
                  what => "the refusal of $addr"),
        "a webhook at $addr is refused";
}
$t->stop_extra('public');

done_testing;
