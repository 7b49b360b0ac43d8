# Several kotctl notify daemons: an event held by a daemon that died
# (pending at its consumer) is posted by another daemon once
# --stuck-after has passed, exactly once, signed; and not before, even
# while the daemon holding it is alive.  The events are written to the
# stream directly, as nginx would (README.md, "Notifications").

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use KotTest::Webhook;
use Test::More;
use JSON::PP ();
use POSIX ();
use Time::HiRes ();

my $t = KotTest->new;
my $dir = $t->dir;

my $key = ('k' x 32) . "\n";
KotTest::_spew("$dir/notify.key", $key);
chmod 0600, "$dir/notify.key";

# Two receivers (t/lib/KotTest/Webhook.pm): "good" checks the signature
# and answers 200; "hang" takes the request and never answers, so that
# the daemon posting to it holds the event, pending, for its 10 s.

my %hook;

sub receiver_start ($name) {
    $hook{$name} = KotTest::Webhook->start($t, $name, $key,
        $name eq 'hang' ? (answer => sub ($c, $path) { }) : ());
}

# [check, time, signature, event] of each request $name got for event $id
sub posts ($name, $id) {
    return map { [ @$_[0, 5, 2, 3] ] }
           grep { $_->[3]{id} eq $id } $hook{$name}->received;
}

# a daemon as the consumer $name, posting to the receiver $to
sub daemon_start ($name, $to, @opt) {
    $t->fork_extra($name, sub {
        open STDERR, '>>', "$dir/$name.out";
        exec $KotTest::KOTCTL, '--redis', $t->redis_addr, 'notify',
            '--webhook', "http://127.0.0.1:@{[ $hook{$to}->port ]}/hook",
            '--hmac-key-file', "$dir/notify.key", '--consumer', $name, @opt;
    });
}

sub kill_daemon ($name) {
    my $pid = delete $t->{extra}{$name};
    kill 'KILL', $pid;
    waitpid $pid, 0;
}

sub alive ($name) {
    return waitpid($t->{extra}{$name}, POSIX::WNOHANG()) == 0;
}

sub event ($user) {
    return $t->redis('XADD', 'kot:v1:notify', '*', 'type', 'account_locked',
        'tenant', 'acme', 'event', JSON::PP::encode_json({
            type => 'account_locked', tenant => 'acme', user => $user }));
}

# the consumer holding the event $id, or undef
sub holder ($id) {
    my $r = $t->redis('XPENDING', 'kot:v1:notify', 'kot-notify', $id, $id, 1);
    return @$r ? $r->[0][1] : undef;
}

sub pending () {
    return $t->redis('XPENDING', 'kot:v1:notify', 'kot-notify')->[0];
}


# --stuck-after is checked like --max-backoff; a bad value changes nothing

for my $bad ('0', '86401', '2s', '', '-1') {
    my $r = $t->kotctl('notify', '--webhook', 'http://127.0.0.1:9/',
                       '--stuck-after', $bad);
    is $r->{exit}, 2, "--stuck-after \"$bad\" is refused";
    like $r->{err}, qr/--stuck-after is 1 to 86400 seconds/,
        'naming the option and what it takes';
}
is $t->redis('EXISTS', 'kot:v1:notify'), 0,
    'and no daemon ran: not even the consumer group was made';


receiver_start($_) for qw(good hang);


# daemon a takes an event, posts it to a receiver that does not answer,
# and is killed (kill -9): daemon b posts it after --stuck-after 2

daemon_start('a', 'hang');
my $id = event('alice');
ok wait_until(sub { posts('hang', $id) }, what => 'a to post the event'),
    'daemon a takes the event and posts it';
is holder($id), 'a', 'it is pending at consumer a';
kill_daemon('a');

daemon_start('b', 'good', '--stuck-after', 2);
ok wait_until(sub { posts('good', $id) }, what => 'b to post the event'),
    'an event held by a daemon that died is posted by another daemon';
my ($held) = posts('hang', $id);
my ($took) = posts('good', $id);
cmp_ok $took->[1] - $held->[1], '>=', 2 - 0.25,
    'once --stuck-after (2 s) has passed';
is $took->[0], 'ok', 'signed, as the receiver checks';
is_deeply $took->[3], { type => 'account_locked', tenant => 'acme',
                        user => 'alice', id => $id },
    'the event as it was written, with its id';
ok wait_until(sub { pending() == 0 }, what => 'the acknowledgement'),
    'it is acknowledged: nothing is left pending';
is scalar(posts('good', $id)), 1, 'and it was posted exactly once';
like KotTest::_slurp("$dir/b.out"),
    qr/\Q$id\E account_locked of tenant "acme" delivered \(200\)/,
    'daemon b logs the delivery';


# daemon a alive, its post not answered yet: the event is left to it
# for --stuck-after (4 s, longer than the 1 s of a retry), then taken
# over

$t->stop_extra('b');
daemon_start('a', 'hang');
$id = event('bob');
ok wait_until(sub { posts('hang', $id) }, what => 'a to post the event'),
    'daemon a, restarted, takes a new event and posts it';
is holder($id), 'a', 'it is pending at consumer a';

daemon_start('b', 'good', '--stuck-after', 4);
ok wait_until(sub { posts('good', $id) }, what => 'b to take it over'),
    'daemon b posts it in the end';
ok alive('a'), 'while daemon a is still alive, in its post';
($held) = posts('hang', $id);
($took) = posts('good', $id);
cmp_ok $took->[1] - $held->[1], '>=', 4 - 0.25,
    'an event held by a live daemon is not taken over before --stuck-after';
is $took->[0], 'ok', 'signed';
ok wait_until(sub { pending() == 0 }, what => 'the acknowledgement'),
    'nothing is left pending';
is scalar(posts('good', $id)), 1, 'posted exactly once where answered';

# a's connection closed first: it then stops at once, not after 10 s
$t->stop_extra('hang');
$t->stop_extra('a', 'b');


# daemon c reads 6 events at once and posts them one after the other to
# a receiver that takes 1.5 s each; daemon d, --stuck-after 3, takes
# over those still waiting in c's batch.  c does not post one that d
# took: no event is posted twice, though no post ran past 3 s.

$hook{slow} = KotTest::Webhook->start($t, 'slow', $key,
    answer => sub ($c, $path) {
        Time::HiRes::sleep(1.5);
        KotTest::Webhook::answer_ok($c, $path);
    });
my @batch = map { event("user$_") } 1 .. 6;
daemon_start('c', 'slow', '--stuck-after', 3);
ok wait_until(sub { posts('slow', $batch[0]) }, what => 'c to post'),
    'daemon c reads the events and posts the first';
daemon_start('d', 'good', '--stuck-after', 3);
ok wait_until(sub { pending() == 0 }, timeout => 20,
              what => 'every event acknowledged'),
    'every event is delivered and acknowledged';
my %times = map { my $id = $_;
                  ($id => scalar(posts('slow', $id)) + posts('good', $id)) }
            @batch;
is_deeply [ grep { $times{$_} != 1 } @batch ], [],
    'each was posted exactly once, by c or by d'
    or diag explain \%times;
ok scalar(grep { posts('good', $_) } @batch),
    'd took over some of them (c was too slow for all)';
$t->stop_extra('c', 'd', 'slow');

done_testing;
