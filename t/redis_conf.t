# kot_redis options: nginx reaches Redis over a Unix socket, keeps its
# data in another database (db=N), authenticates with a password
# (password_file= without user=), and bounds its waits by the default
# timeout when none is given.  Each way, a user logs in and reaches the
# application.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;

my $HTML = { Accept => 'text/html' };

# The usual site with another kot_redis line.
sub with_redis ($directive) {
    my $site = KotTest->site;
    $site =~ s{kot_redis %%REDIS%% timeout=1s;}{$directive}
        or die 'no kot_redis line in the site';
    return $site;
}

sub login ($node, $tenant, $user, $password) {
    my $ua = $node->ua;
    my $res = $ua->login(tenant => $tenant, username => $user,
                         password => $password);
    return ($ua, $res);
}

# The CLIENT LIST lines of a node's connections: its workers name them
# kot-data-PID and kot-sub-PID.
sub kot_clients ($t, $node) {
    my $pids = join '|', $node->worker_pids;
    my @lines = grep { /\bname=kot-\w+-(?:$pids) / }
                split /\n/, $t->redis('CLIENT', 'LIST');
    return @lines;
}


my $t = KotTest->new(redis_unix => 1);
$t->add_user('acme', 'alice', 'correct horse battery');


# over a Unix socket

my $sock = $t->redis_socket;
my $unix = $t->nginx(with_redis("kot_redis unix:$sock timeout=1s;"),
                     name => 'unix');

my ($ua, $res) = login($unix, 'acme', 'alice', 'correct horse battery');
is $res->{status}, 303, 'with kot_redis unix:/path, a user logs in';
like $ua->get('/app', $HTML)->{content}, qr/user=\[alice\] tenant=\[acme\]/,
    'and reaches the application';

my @clients = kot_clients($t, $unix);
ok @clients, 'nginx is connected to Redis';
is_deeply [ grep { !/ addr=\Q$sock\E:0 / } @clients ], [],
    'through the socket only';

$unix->stop;


# in another database

# The user exists only in database 3: a login that works proves nginx
# looks there.
for my $cmd ([ 'tenant', 'add', 'globex' ],
             [ 'user', 'add', 'globex', 'dora', '--role', 'user',
               '--password-stdin', '--no-force-change',
               { stdin => "another long password\n" } ])
{
    my $r = $t->kotctl('--db', 3, @$cmd);
    die "kotctl --db 3 @$cmd[0, 1]: $r->{err}" if $r->{exit};
}

# Runs one command in database $db; the harness's connection is back in
# database 0 afterwards.
sub in_db ($db, @cmd) {
    $t->redis('SELECT', $db);
    my $r = eval { $t->redis(@cmd) };
    my $e = $@;
    $t->redis('SELECT', 0);
    die $e if $e;
    return $r;
}

my $db = $t->nginx(with_redis('kot_redis %%REDIS%% db=3 timeout=1s;'),
                   name => 'db');

($ua, $res) = login($db, 'globex', 'dora', "another long password");
is $res->{status}, 303, 'with db=3, a user kept in database 3 logs in';
like $ua->get('/app', $HTML)->{content}, qr/user=\[dora\] tenant=\[globex\]/,
    'and reaches the application';

my $sessions = in_db(3, 'KEYS', 'kot:v1:s:*');
is scalar @$sessions, 1, 'the session is stored in database 3';
is in_db(3, 'HGET', $sessions->[0], 'u'), 'dora', 'it is the new one';
is in_db(3, 'EXISTS', 'kot:v1:us:globex:dora'), 1,
    "with the user's list of sessions";
is $t->redis('EXISTS', $sessions->[0], 'kot:v1:us:globex:dora'), 0,
    'database 0 holds neither';
@clients = kot_clients($t, $db);
ok @clients && !grep({ !/ db=3 / } @clients),
    'every connection of nginx has selected database 3';

$db->stop;


# the default timeout

my $default = $t->nginx(with_redis('kot_redis %%REDIS%%;'),
                        name => 'default');

($ua, $res) = login($default, 'acme', 'alice', 'correct horse battery');
is $res->{status}, 303, 'without timeout=, a user logs in';
is $ua->get('/app')->{status}, 200, 'and reaches the application';

# A stalled Redis shows the timeout at work: each worker's cache stops
# trusting itself at once, and the next Redis command waits out the
# timeout, then answers 503.
$t->pause_redis;
ok wait_until(sub { $ua->get('/app')->{status} == 503 },
              what => 'a 503 while Redis is stalled'),
    'with Redis stalled, a request gets 503 rather than waiting forever';
like $default->error_log, qr/did not answer within 1000 ms/,
    'after the default timeout of 1 s';
$t->resume_redis;
ok wait_until(sub { $ua->get('/app')->{status} == 200 },
              what => 'recovery after Redis resumed'),
    'and the session works again when Redis answers';

$default->stop;


# with a password, without an ACL user

my $p = KotTest->new(redis_password => 'kot-test-requirepass');
$p->add_user('acme', 'alice', 'correct horse battery');

my $pw = $p->redis_password_file;
my $auth = $p->nginx(
    with_redis("kot_redis %%REDIS%% password_file=$pw timeout=1s;"),
    name => 'password');

($ua, $res) = login($auth, 'acme', 'alice', 'correct horse battery');
is $res->{status}, 303, 'with password_file=, a user logs in';
like $ua->get('/app', $HTML)->{content}, qr/user=\[alice\]/,
    'and reaches the application';
@clients = kot_clients($p, $auth);
ok @clients && !grep({ !/ user=default / } @clients),
    "nginx is Redis's default user, having given its password";

# the control: this Redis really wants the password
my $nopass = $p->nginx(KotTest->site, name => 'nopass');
(undef, $res) = login($nopass, 'acme', 'alice', 'correct horse battery');
is $res->{status}, 503, 'without password_file=, the same login gets 503';
like $nopass->error_log, qr/NOAUTH/, 'because Redis wants the password';
unlike $auth->error_log, qr/NOAUTH|WRONGPASS/,
    'which the node with password_file= never lacked';

# kotctl, like nginx, needs the password: README's step 3 left it out
my $r = $p->kotctl('tenant', 'add', 'beta', { no_password => 1 });
is $r->{exit}, 1, 'kotctl without --redis-password-file fails';
like $r->{err}, qr/NOAUTH/, '  because Redis wants the password';
like $r->{err}, qr/give the file that holds it with --redis-password-file PATH/,
    '  and kotctl says which option gives it';
is $p->kotctl('tenant', 'add', 'beta')->{exit}, 0,
    'with --redis-password-file, the same command succeeds';

done_testing;
