# nginx can use a Redis ACL user that may run exactly the commands the
# README lists for it, on the kot:v1: keys and channels only: logins,
# failed logins, protected requests, the session cache, logouts, and
# enrolment in MFA and a login with a code all work.  And the ACL users
# of the shipped conf/redis/kot.conf may run what their side sends.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use KotTest::TOTP;
use Test::More;

my $t = KotTest->new(workers => 1);

# the rule as README.md gives it under kot_redis
my @rule = qw(on >acl-test-password ~kot:v1:* resetchannels
    &__redis__:invalidate &kot:v1:hb:* -@all
    +evalsha +script|load +get +hset +publish +subscribe +client|id
    +client|setname +client|tracking +client|caching
    +del +exists +expire +hdel +hexists +hget +hmget +lpush +lrange +ltrim
    +persist +pexpire +pexpireat +sadd +smembers +srem +zadd +zrange +zrem
    +zremrangebyscore);
is $t->redis('ACL', 'SETUSER', 'kot-nginx', @rule), 'OK',
    'Redis takes the ACL rule of the README';

my $pw = $t->dir . '/redis.pw';
KotTest::_spew($pw, "acl-test-password\n", 0600);

my $site = KotTest->site;
$site =~ s{kot_redis %%REDIS%% timeout=1s;}
          {kot_redis %%REDIS%% user=kot-nginx password_file=$pw timeout=1s;}
    or die 'no kot_redis line in the site';
my $ng = $t->nginx($site);

$t->add_user('acme', 'alice', 'correct horse battery');

ok wait_until(sub { $ng->error_log =~ /session cache on/ },
              what => 'the session cache'),
    'the session cache starts with the ACL user';
like $t->redis('CLIENT', 'LIST'), qr/user=kot-nginx/,
    'the workers are connected as the ACL user';

my $ua = $ng->ua;
my $res = $ua->login(tenant => 'acme', username => 'alice',
                     password => 'wrong password');
is $res->{status}, 401, 'a wrong password is refused and counted';

$res = $ua->login(tenant => 'acme', username => 'alice',
                     password => 'correct horse battery');
is $res->{status}, 303, 'a login works';
like $ua->get('/app')->{content}, qr/user=\[alice\]/,
    'the application sees the user';
is $ua->get('/app/again')->{status}, 200, 'a second request is served';

my $form = $ua->get('/kot/logout');
$ua->post_form('/kot/logout',
               { csrf => KotTest::UA::form_field($form->{content}, 'csrf') });
is $ua->get('/app')->{status}, 401, 'a logout ends the session';

$ua->login(tenant => 'acme', username => 'alice',
           password => 'correct horse battery');
my $page = $ua->get('/kot/mfa');
my ($secret) = $page->{content} =~ /id="kot-totp-secret">([A-Z2-7]+)</;
KotTest::TOTP::fresh_step();
$res = $ua->post_form('/kot/mfa', {
    csrf => KotTest::UA::form_field($page->{content}, 'csrf'),
    code => KotTest::TOTP::code($secret, KotTest::TOTP::step() - 1),
    password => 'correct horse battery' });
like $res->{content}, qr/kot-recovery-code/, 'enrolment in MFA works';
my ($rc) = $res->{content} =~ /class="kot-recovery-code">([^<]+)</;
my $two = $ng->ua;
$two->login(tenant => 'acme', username => 'alice',
            password => 'correct horse battery');
my $cf = $two->get('/kot/login/code');
$res = $two->post_form('/kot/login/code', {
    csrf => KotTest::UA::form_field($cf->{content}, 'csrf'),
    code => KotTest::TOTP::code($secret) });
is $res->{status}, 303, 'a login with a code works';
$two = $ng->ua;
$two->login(tenant => 'acme', username => 'alice',
            password => 'correct horse battery');
$cf = $two->get('/kot/login/code');
$res = $two->post_form('/kot/login/code', {
    csrf => KotTest::UA::form_field($cf->{content}, 'csrf'),
    code => $rc });
is $res->{status}, 303, 'and with a recovery code';

# Most commands nginx sends unanswered (heartbeats, CLIENT CACHING,
# anchors): only Redis's own log of refusals sees them all.  A second of
# heartbeats makes sure that they were sent.
my $beats = $t->redis('INFO', 'commandstats') =~ /cmdstat_publish:calls=(\d+)/
    ? $1 : 0;
ok wait_until(sub {
    ($t->redis('INFO', 'commandstats') =~ /cmdstat_publish:calls=(\d+)/)[0]
        > $beats + 20
}, what => 'heartbeats'), 'the workers\' heartbeats go on';
is_deeply $t->redis('ACL', 'LOG'), [], 'Redis refused nothing (ACL LOG)';
unlike $ng->error_log, qr/NOPERM|no permissions|no heartbeat/i,
    'and nginx saw no refusal and no lost heartbeat';


# ---------------------------------------------------------------------
# The ACL users of the shipped conf/redis/kot.conf may run every command
# that their side sends, and nothing else: nginx's (the module, the admin
# API, Sentinel's ROLE and WAIT, kot_redis db=) and kotctl's (its
# commands, --db, the notifications' daemon).  What a side sends is read
# from its sources: the scripts it runs (KOT_SCRIPT_*), with every
# command in them and in the KOT_LUA_* pieces they are made of, and the
# commands it sends itself.  A command added to either, but not to its
# ACL user, fails here before it fails in production.
# ---------------------------------------------------------------------

my $repo = KotTest->repo;
my $conf = KotTest::_slurp("$repo/conf/redis/kot.conf");
my %rules;
for my $user (qw(kot-nginx kotctl)) {
    ($rules{$user}) = $conf =~ /^user \Q$user\E (.*)$/m;
    ok $rules{$user}, "kot.conf has a line for the ACL user $user";
}

my $lua = KotTest::_slurp("$repo/ngx_kot_module/kot/kot_scripts.c");
my (%piece, %script, %var);
$piece{$1} = $2 while $lua =~ /^#define\s+(KOT_LUA_\w+)((?:.*\\\n)*.*)$/mg;
$script{$1} = $2
    while $lua =~ /^static const char\s+(kot_script_\w+)\[\]\s*=(.*?);\n/msg;
$var{$1} = $2 while $lua =~ /\[KOT_SCRIPT_(\w+)\]\s*=\s*
                             \{\s*"[^"]*",\s*(kot_script_\w+)/gx;

# commands with subcommands, which an ACL names as "client|id"
my %container = map { $_ => 1 } qw(client script xgroup xinfo config object);

sub command_of ($cmd, $sub) {
    $cmd = lc $cmd;
    return $container{$cmd} && $sub ? "$cmd|" . lc $sub : $cmd;
}

sub lua_commands ($text, $seen = {}) {
    my %c;
    while ($text =~ /redis\.p?call\('(\w+)'(?:,\s*'(\w+)')?|\beach\('(\w+)'/g) {
        $c{ command_of($1 // $3, $2) } = 1;
    }
    for my $p ($text =~ /\b(KOT_LUA_\w+)/g) {
        next if $seen->{$p}++ || !exists $piece{$p};
        $c{$_} = 1 for keys %{ lua_commands($piece{$p}, $seen) };
    }
    return \%c;
}

sub commands_sent ($dir) {
    my %need;
    for my $file (glob "$repo/$dir/*.c") {
        my $c = KotTest::_slurp($file);
        for my $id (grep { $_ ne 'N' } $c =~ /\bKOT_SCRIPT_(\w+)/g) {
            my $v = $var{$id} or die "$file: no script KOT_SCRIPT_$id";
            $need{$_} = 1 for keys %{ lua_commands($script{$v}) };
        }
        # an argument vector ("ROLE", or "CLIENT" then "SETNAME") ...
        while ($c =~ /(?:\b(?:argv|args)\[0\]\s*=\s*|\(u_char[ ]\*\)[ ]|\{\s*)
                      "([A-Z]+)"(?=(.{0,200}))/sgx) {
            my ($cmd, $after) = ($1, $2);
            my ($sub) = $after =~ /\[1\]\s*=\s*"([A-Z]+)"/;
            $need{ command_of($cmd, $sub) } = 1;
        }
        # ... or a format ("CLIENT CACHING YES", "XACK %s %s %s")
        while ($c =~ /(?:\bredisAsyncCommand|\bredisCommand|_cmd)\s*
                      \([^;"]*"([A-Z]+)(?:[ ]([A-Z]+))?/sgx) {
            $need{ command_of($1, $2) } = 1;
        }
    }

    # words in capitals that are no command (DENY, MATCH) go; AUTH is
    # every user's, and SENTINEL goes to the sentinels
    return [ sort grep {
        my ($cmd) = split /\|/;
        $cmd ne 'auth' && $cmd ne 'sentinel'
            && defined $t->redis('COMMAND', 'INFO', $cmd)->[0]
    } keys %need ];
}

my %sent = ('kot-nginx' => commands_sent('ngx_kot_module'),
            kotctl => commands_sent('admin'));
ok((grep { $_ eq 'evalsha' } @{ $sent{'kot-nginx'} })
    && (grep { $_ eq 'xreadgroup' } @{ $sent{kotctl} }),
   'the commands each side sends are found in its sources')
    or diag explain \%sent;

for my $user (sort keys %sent) {
    my %granted = map { $_ => 1 } $rules{$user} =~ /(?:^|\s)\+([\w|]+)/g;
    my @missing = grep { !$granted{$_} } @{ $sent{$user} };
    is "@missing", '', "kot.conf's $user may run every command it sends";
    my %used = map { $_ => 1 } @{ $sent{$user} };
    my @more = grep { !$used{$_} } sort keys %granted;
    is "@more", '', "  and nothing else";
}

# kotctl --db with kot.conf's own user: SELECT, then its command
(my $rule = $rules{kotctl}) =~ s/#\@\w+_PASSWORD_SHA256\@/>acl-kotctl/;
is $t->redis('ACL', 'SETUSER', 'kotctl', split ' ', $rule), 'OK',
    'Redis takes kot.conf\'s user kotctl';
KotTest::_spew($t->dir . '/kotctl.pw', "acl-kotctl\n", 0600);
my @as_kotctl = ('--redis-user', 'kotctl',
                 '--redis-password-file', $t->dir . '/kotctl.pw');
my $r = $t->kotctl(@as_kotctl, '--db', 3, 'tenant', 'add', 'dbthree');
is $r->{exit}, 0, 'kotctl --db 3 works as kot.conf\'s user kotctl'
    or diag $r->{err};
is $t->redis('EXISTS', 'kot:v1:t:dbthree'), 0,
    '  in database 3, not 0';

done_testing;
