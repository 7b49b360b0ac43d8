# The audit log as nginx writes it: every kind of event with its fields,
# hostile values escaped, security events on disk before the response,
# rotation, reloads, two busy workers and a killed one, and the whole log
# still verifying with the auditor's key.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;
use JSON::PP ();
use POSIX ();
use Time::HiRes qw(time sleep);
use Time::Local ();

my $t = KotTest->new(workers => 2);
my ($priv, $pub) = $t->auditor_keys;
my $log = $t->dir . '/a/audit.log';

my $n = $t->nginx(KotTest->site(
    throttle => 'rate=60/m burst=100',
    http => "kot_audit_log %%DIR%%/audit.log buffer=64k flush=200ms;\n"
          . "    kot_audit_auditor_key $pub;\n"
          . '    kot_lockout threshold=3 window=1m duration=1m;',
    server => <<'EOF'));
        location /idle/ {
            kot on;
            kot_idle_timeout 1s;
            proxy_pass http://%%APP%%;
        }
EOF

sub mode ($path) { sprintf '%04o', (stat $path)[2] & 07777 }

is mode($log), '0640', 'nginx creates the audit log mode 0640, not '
    . 'readable by other users';

$t->add_user('acme', 'alice', 'correct horse battery', roles => ['admin']);
$t->add_user('acme', 'bob', 'the first secret');

my $json = JSON::PP->new->utf8;

# not a line still being written (the load below): it is no record yet
sub records () { $t->audit_records($log) }

sub find ($action, %want) {
    return grep {
        my $r = $_;
        $r->{'event.action'} eq $action
            && !grep { ($r->{$_} // '') ne $want{$_} } keys %want
    } records();
}

sub verify (@files) {
    return $t->kotctl('audit', 'verify', '--auditor-private-key', $priv,
                      @files ? @files : $log);
}

sub chains (@records) {
    my %seen;
    return grep { !$seen{$_}++ } map { $_->{'kot.chain'} } @records;
}

# The chains verify names as missing altogether (not those whose tail
# is cut): the anchors of the live log, on any host, that the files lack.
sub missing ($out) {
    return sort $out =~ /^chain ([0-9a-f]{16}) is missing: Redis saw its (?x)
        record \s \d+ \s written \s to \s \Q$log\E (?: \s on \s \S+ )?
        \s at \s/mg;
}


# chains start

# a worker's first record waits for its first flush, like any other
my @starts;
KotTest::wait_until(sub { (@starts = find('chain_start')) >= 2 },
                    what => 'both workers to start their chains');
is scalar @starts, 2, 'each worker starts a chain in the log';
like $starts[0]{'kot.sealed_key'}, qr/^[A-Za-z0-9+\/]+=*$/,
    'with its first key sealed to the auditor';
my $version = KotTest->version;
is_deeply [ map { $_->{'service.version'} } @starts ], [ ($version) x 2 ],
    "and names the ngx_kot that wrote it, $version, debian/changelog's "
    . '(service.version)';


# security events are on disk before the response

my $ua = $n->ua;
my $res = $ua->login(tenant => 'acme', username => 'alice',
                     password => 'correct horse battery');
my ($login) = find('login', 'event.outcome' => 'success');
ok $login, 'a successful login is recorded before its response arrives';
is $login->{'user.name'}, 'alice', 'with the user';
is $login->{'organization.id'}, 'acme', 'the tenant';
is $login->{'source.ip'}, '127.0.0.1', 'the client address';
is $login->{'event.category'}, 'authentication', 'the category';
is $login->{'http.response.status_code'}, 303, 'the status sent';
like $login->{'session.hash'}, qr/^[\w-]{16}$/, 'the session handle';
like $login->{'@timestamp'}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/,
    'a UTC timestamp with milliseconds';
like $login->{'http.request.id'}, qr/^[0-9a-f]{32}$/, 'the request id';

my $host = $starts[0]{'host.hostname'};
my $anchor = wait_until(sub {
    my %a = @{ $t->redis('HGETALL', "kot:v1:audit:$login->{'kot.chain'}") };
    ($a{seq} // -1) >= $login->{'event.sequence'} ? \%a : undef
}, what => 'the login\'s anchor');
ok length $host && $anchor->{host} eq $host,
    'its anchor names the host that wrote it, as the chain\'s records do';

my $id = $ua->cookie('kot_session');
unlike KotTest::_slurp($log), qr/\Q$id\E|correct horse/,
    'neither the session id nor the password is in the log';

$n->ua->login(tenant => 'acme', username => 'alice', password => 'nope');
$n->ua->login(tenant => 'acme', username => 'ghost', password => 'nope');
is scalar find('login', 'event.reason' => 'bad_password',
               'user.name' => 'alice'), 1,
    'a wrong password is recorded with its true reason';
is scalar find('login', 'event.reason' => 'unknown_user',
               'user.name' => 'ghost'), 1,
    'so is an unknown user';

$n->ua->login(tenant => 'acme', username => 'bob', password => "wrong $_")
    for 1 .. 3;
my ($lock) = find('account_locked', 'user.name' => 'bob');
ok $lock, 'a lockout is recorded';
is $lock->{'kot.lockout.failures'}, 3, 'with the failures that caused it';
is $lock->{'kot.lockout.count'}, 1, 'the account\'s lockouts so far';

# A lock's end has no record of its own: the auditor reads it here.
sub epoch_ms ($ts) {
    my ($y, $mo, $d, $h, $mi, $s, $ms) =
        $ts =~ /^(\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+)\.(\d+)Z$/ or return 0;
    return Time::Local::timegm($s, $mi, $h, $d, $mo - 1, $y) * 1000 + $ms;
}
cmp_ok abs($lock->{'kot.lockout.until'} - epoch_ms($lock->{'@timestamp'})
           - 60_000), '<', 5000,
    'and when it ends: duration=1m after it began, in ms since the epoch';
$n->ua->login(tenant => 'acme', username => 'bob',
              password => 'the first secret');
ok scalar find('login', 'event.reason' => 'locked', 'user.name' => 'bob'),
    'a login refused by the lock is recorded as such';

my $nocsrf = $n->ua;
$nocsrf->get('/kot/login');
$nocsrf->post_form('/kot/login', { username => 'alice', password => 'x' });
ok scalar find('login', 'event.reason' => 'csrf'),
    'a login without its CSRF token is recorded';

$n->ua->get('/public/x', { 'X-Kot-User' => 'root' });
ok scalar find('identity_header_removed'),
    'a forged identity header is recorded';


# proxied requests

$ua->get('/reports/2026?month=5', { 'User-Agent' => 'Mozilla/5.0 test' });
my ($req) = @{ wait_until(sub {
    my @r = find('request', 'url.path' => '/reports/2026');
    @r ? \@r : undef
}, what => 'the request record') // [] };
ok $req, 'a proxied request is recorded within the flush time';
is $req->{'http.request.method'}, 'GET', 'with the method';
is $req->{'http.response.status_code'}, 200, 'the status';
ok $req->{'http.response.body.bytes'} > 0, 'the bytes sent';
ok defined $req->{'kot.upstream_ms'}, 'the upstream time';
is $req->{'user_agent.original'}, 'Mozilla/5.0 test', 'the user agent';
is $req->{'user.name'}, 'alice', 'and the user';
ok !grep({ ($_->{'url.path'} // '') =~ /month/ } records()),
    'query strings stay out of the log';


# hostile values

$ua->get("/x\"y\\z",
         { 'User-Agent' => "evil\x01\"}\\ {\"event.action\":\"forged\"" });
$ua->get("/bad-utf8-\xff\xfe", { 'User-Agent' => "bytes \xc3\x28 \xe6\x97" });
$ua->get('/long', { 'User-Agent' => 'A' x 6000 });
wait_until(sub { scalar find('request', 'url.path' => '/long') },
           what => 'the hostile records');

ok !find('forged'), 'a value cannot forge a field or a record';
my ($quoted) = grep { ($_->{'url.path'} // '') =~ /^\/x"y/ } records();
is $quoted->{'url.path'}, '/x"y\\z', 'quotes and backslashes are kept, escaped';
my ($bad) = grep { ($_->{'url.path'} // '') =~ /^\/bad-utf8/ } records();
is $bad->{'url.path'}, "/bad-utf8-\x{fffd}\x{fffd}",
    'invalid UTF-8 becomes U+FFFD';
my ($long) = find('request', 'url.path' => '/long');
is length $long->{'user_agent.original'}, 4096, 'a huge value is cut';
is scalar(grep { !/^\{.*\}$/ } $t->log_lines($log)), 0,
    'every line is one whole JSON object';


# throttling and network denials

$n->ua->login(tenant => 'acme', username => '-', password => 'x') for 1 .. 101;
ok scalar find('login_throttled', 'event.reason' => 'throttled'),
    'a throttled login is recorded';
$t->redis('DEL', 'kot:v1:th:127.0.0.1');

$t->kotctl('tenant', 'add', 'globex');
$t->kotctl('allowlist', 'globex', 'access', 'set', '10.0.0.0/8');
$n->ua->login(tenant => 'globex', username => 'gina', password => 'x');
my ($denied) = find('ip_denied');
ok $denied, 'a login from a network the tenant does not allow is recorded';
is $denied->{'kot.allowlist'}, 'access', 'with the list that refused it';
is $denied->{'organization.id'}, 'globex', 'and the tenant';


# logout, expiry, password change

my $bob2 = $n->ua;
$t->kotctl('user', 'unlock', 'acme', 'bob');
$bob2->login(tenant => 'acme', username => 'bob',
             password => 'the first secret');
my $page = $bob2->get('/kot/password');
$bob2->post_form('/kot/password', {
    csrf => KotTest::UA::form_field($page->{content}, 'csrf'),
    current_password => 'the first secret',
    new_password => 'the second secret',
    confirm_password => 'the second secret' });
ok scalar find('password_change', 'event.outcome' => 'success',
               'user.name' => 'bob'),
    'a password change is recorded';

my $form = $bob2->get('/kot/logout');
$bob2->post_form('/kot/logout',
                 { csrf => KotTest::UA::form_field($form->{content}, 'csrf') });
ok scalar find('logout', 'user.name' => 'bob'),
    'a logout is recorded with its user';

my $idle = $n->ua;
$idle->login(tenant => 'acme', username => 'alice',
             password => 'correct horse battery');
$idle->get('/idle/x');
my $t0 = time;
wait_until(sub { time - $t0 > 1.3 }, what => 'the idle timeout to pass');
$idle->get('/idle/x');
ok scalar find('session_expired', 'event.reason' => 'idle'),
    'an idle expiry is recorded';


# the log verifies

# Another node sharing Redis, writing its log under the same path: its
# anchors, as its nginx would write them.
my @node_b = map { sprintf '%08x%08x', rand 2**32, rand 2**32 } 1 .. 2;
for my $c (@node_b) {
    my $now = int(time * 1000);
    $t->redis('HSET', "kot:v1:audit:$c", 'seq', 3, 'mac', '0' x 32,
              'ts', $now, 'file', $log, 'host', 'node-b.example');
    $t->redis('EXPIRE', "kot:v1:audit:$c", 400 * 86400);
    $t->redis('ZADD', 'kot:v1:audit:chains', $now, $c);
}

my $v = verify();
is $v->{exit}, 0, 'the whole log verifies with the auditor key, though '
    . 'another node wrote chains to the same path'
    or diag $v->{out}, $v->{err};
like $v->{out}, qr/^OK: 1 files?, \d+ chains?, \d+ records verified/m,
    'and says how much it checked';


# query

my $q = $t->kotctl('audit', 'query', '--user', 'bob', '--action', 'login',
                   $log);
my @lines = grep { /\S/ } split /\n/, $q->{out};
my @want = grep { ($_->{'user.name'} // '') eq 'bob'
                  && $_->{'event.action'} eq 'login' } records();
is scalar @lines, scalar @want,
    'a query by user and action finds exactly those records';
is_deeply [ map { $json->decode($_)->{'event.sequence'}
                  . $json->decode($_)->{'kot.chain'} } @lines ],
          [ map { $_->{'event.sequence'} . $_->{'kot.chain'} } @want ],
    'the same ones, in file order';


# rotation

rename $log, "$log.1" or die $!;
kill 'USR1', $n->pid;
wait_until(sub { -e $log }, what => 'the reopened log');
is -s $log, 0, 'the new file starts empty';
is mode($log), '0640', 'and is made mode 0640 too';
$v = verify('--host', $host, "$log.1", $log);
is $v->{exit}, 0, 'and given with the rotated file and its host, verifies'
    or diag $v->{out}, $v->{err};
is_deeply [ missing(verify("$log.1", $log)->{out}) ], [ sort @node_b ],
    'without --host, the empty file could be any node\'s: the other node\'s '
    . 'chains are named';
my @rotated_chains = chains($t->audit_records("$log.1"));
$v = verify($log);
is_deeply [ missing($v->{out}) ], [ sort @rotated_chains, @node_b ],
    'alone, and empty, it lacks every chain Redis saw written to its name, '
    . 'on every host';
like $v->{err}, qr/^note: \Q$log\E: its records do not tell which host/m,
    'which verify says, with what to run';
$v = verify('--host', $host, $log);
is_deeply [ missing($v->{out}) ], [ sort @rotated_chains ],
    'with --host, only that host\'s';
$ua->get('/after-rotation');
wait_until(sub { -s $log && find('request', 'url.path' => '/after-rotation') },
           what => 'a record in the new file');
system('gzip', "$log.1") == 0 or die 'gzip failed';

$v = verify("$log.1.gz", $log);
is $v->{exit}, 0, 'the chain continues across a rotation, gzip included'
    or diag $v->{out}, $v->{err};


# a reload ends the old chains in order

my %before = map { $_ => 1 } chains(find('chain_start'));
ok $n->reload, 'nginx reloads';
wait_until(sub { scalar(find('chain_end')) >= 2 },
           what => 'the old chains to end');
is scalar(find('chain_end')), 2, 'each old worker ends its chain';
$v = verify("$log.1.gz", $log);
is $v->{exit}, 0, 'and the log still verifies' or diag $v->{out}, $v->{err};

# the chains the reload started, cut out whole: no other chain has a gap
my @new;
wait_until(sub {
    @new = grep { !$before{$_} } chains(find('chain_start'));
    return @new == 2 && !grep {
        !defined $t->redis('ZSCORE', 'kot:v1:audit:chains', $_) } @new;
}, what => 'the new workers\' chains, anchored');
my %new = map { $_ => 1 } @new;
my $cut = $t->dir . '/reload-cut.log';
open my $cf, '>', $cut or die "$cut: $!";
print {$cf} grep { !$new{ $json->decode($_)->{'kot.chain'} } }
    $t->log_lines($log);
close $cf or die "$cut: $!";
$v = verify("$log.1.gz", $cut);
is $v->{exit}, 1, 'the chains started by a reload cannot be cut out unseen';
is_deeply [ missing($v->{out}) ], [ sort @new ], 'verify names each of them';


# two busy workers, then one killed

# Each client sends at least 150 requests, and goes on until told to stop,
# so that the load lasts until both workers have served some of it.
my $stop = $t->dir . '/load.stop';
my @kids;
for my $k (1 .. 4) {
    my $pid = fork // die;
    if (!$pid) {
        my $c = $n->ua;
        $c->set_cookie('kot_session', $id);
        for my $i (1 .. 5000) {
            $c->get("/load/$k/$i");
            last if $i >= 150 && -e $stop;
        }
        POSIX::_exit(0);
    }
    push @kids, $pid;
}

# Which chain is whose: each worker names its pid in its chain_start.
my @workers = $n->worker_pids;
my %chain_of = map { $_->{'process.pid'} => $_->{'kot.chain'} }
               find('chain_start');
my @busy = map { $chain_of{$_} // "none for $_" } @workers;
sub load_chains () {
    my %c = map { $_->{'kot.chain'} => 1 }
            grep { ($_->{'url.path'} // '') =~ m{^/load/} } records();
    return \%c;
}
ok wait_until(sub { my $c = load_chains(); !grep { !$c->{$_} } @busy },
              what => 'records of the load from both workers'),
    'both workers serve the load, and their records are on disk';

my ($victim) = @workers;
kill 'KILL', $victim;
open my $fh, '>', $stop or die "$stop: $!";
close $fh;
waitpid $_, 0 for @kids;
wait_until(sub { scalar($n->worker_pids) == 2 }, what => 'a new worker');
$ua->get('/after-kill');
wait_until(sub { find('request', 'url.path' => '/after-kill') },
           what => 'records after the kill');

my $count = () = grep { ($_->{'url.path'} // '') =~ m{^/load/} } records();
cmp_ok $count, '>', 300, "two workers under load wrote their records ($count)";
$v = verify("$log.1.gz", $log);
is $v->{exit}, 0, 'everything written before a worker was killed verifies'
    or diag $v->{out}, $v->{err};
my $chains = load_chains();
ok !grep({ !$chains->{$_} } @busy),
    'and holds the load\'s records from both workers\' chains ('
    . scalar(keys %$chains) . ' chains in all)';


# a binary upgrade (USR2, then WINCH and QUIT to the old master): the old
# workers end their chains, the new ones start theirs in the same file

my $old_master = $n->pid;
my @old = $n->worker_pids;
my %started = map { $_->{'process.pid'} => $_->{'kot.chain'} }
              find('chain_start');
my $new_master;

kill 'USR2', $old_master;
ok wait_until(sub {
    my ($p) = (KotTest::_slurp($n->dir . '/nginx.pid') // '') =~ /(\d+)/;
    $new_master = $p if $p && $p != $old_master;
    return $new_master && KotTest::_children($new_master) >= 2;
}, what => 'the new binary\'s master and workers'),
    'a binary upgrade starts a second master with its workers';

kill 'WINCH', $old_master;
wait_until(sub { !grep { KotTest::_alive($_) } @old },
           what => 'the old workers to finish');
kill 'QUIT', $old_master;
wait_until(sub { !KotTest::_alive($old_master) }, what => 'the old master');
$n->{pid} = $new_master;

$ua->get('/after-upgrade');
wait_until(sub { find('request', 'url.path' => '/after-upgrade') },
           what => 'a record from a new worker');

my %ended = map { $_->{'kot.chain'} => 1 } find('chain_end');
is scalar(grep { $ended{ $started{$_} // '' } } @old), scalar @old,
    'the old workers end their chains';
my ($after) = find('request', 'url.path' => '/after-upgrade');
ok !grep({ $_ eq $after->{'kot.chain'} } values %started),
    'a new worker writes in a chain of its own';
$v = verify("$log.1.gz", $log);
is $v->{exit}, 0, 'and the log still verifies' or diag $v->{out}, $v->{err};


# the live log emptied in place

my @live = chains(records());
my %rotated = map { $_ => 1 } chains(map { $json->decode($_) }
                                     `gzip -dc $log.1.gz`);
truncate $log, 0 or die "$log: $!";
$v = verify($log);
is $v->{exit}, 1, 'the live log emptied in place fails';
unlike $v->{out}, qr/^OK/m, 'it is not "0 chains, 0 records verified"';
is_deeply [ grep { my $c = $_; !grep { $_ eq $c } missing($v->{out}) }
            @live ], [], 'every chain it held is named as missing';
$v = verify('--host', $host, "$log.1.gz", $log);
is_deeply [ missing($v->{out}) ], [ sort grep { !$rotated{$_} } @live ],
    'so are, with the rotated file and --host, those that began after the '
    . 'rotation';
like $v->{out}, qr/^chain [0-9a-f]{16}: its tail is missing/m,
    'and those that went on from it lack their tails';

done_testing;
