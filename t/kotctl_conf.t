# kotctl's configuration file: the options an administrator would repeat
# on every command go once in /etc/ngx_kot/kotctl.conf (or $KOT_CONFIG),
# flags override them, and a wrong line is named by file and number.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;
use File::Temp ();

my $t = KotTest->new(redis_password => 'conf test pw');
my $dir = $t->dir;
my $kotctl = KotTest->repo . '/build/kotctl';
my $conf = "$dir/kotctl.conf";

sub kotctl (@args) {
    return $t->_run([ $kotctl, @args ]);
}

sub conf (@lines) {
    KotTest::_spew($conf, join '', map { "$_\n" } @lines);
}

$ENV{KOT_CONFIG} = $conf;
conf('# the site\'s Redis, as kot_redis names it',
     'redis = ' . $t->redis_addr . '   # loopback',
     'redis-password-file = ' . $t->redis_password_file,
     '',
     'secret-file=' . $t->secret_file,
     'scrypt-ln = 10');

my $r = kotctl('tenant', 'add', 'acme');
is $r->{exit}, 0, 'with the file, "kotctl tenant add acme" needs no option'
    or diag $r->{err};
like $r->{out}, qr/tenant "acme" added/, 'and adds the tenant';

$r = kotctl('--redis', '127.0.0.1:1', 'tenant', 'list');
is $r->{exit}, 1, 'a flag overrides the file';
like $r->{err}, qr/127\.0\.0\.1:1/, 'kotctl names the address of the flag';

conf('redis = ' . $t->redis_addr,
     'secret-file = ' . $t->secret_file,
     'redis-pasword-file = /etc/nginx/redis.pass');
$r = kotctl('tenant', 'list');
is $r->{exit}, 2, 'an unknown name is a usage error';
like $r->{err},
    qr/^kotctl: \Q$conf\E, line 3: unknown name "redis-pasword-file"/m,
    'naming the file, the line and the name';
unlike $r->{out}, qr/acme/, 'and nothing runs';

conf('redis ' . $t->redis_addr);
$r = kotctl('tenant', 'list');
is $r->{exit}, 2, 'a line without "=" is refused';
like $r->{err}, qr/^kotctl: \Q$conf\E, line 1: not "name = value"/m,
    'at its line';

conf('db = two');
$r = kotctl('tenant', 'list');
is $r->{exit}, 2, 'a bad value is refused as the flag would be';
like $r->{err}, qr/--db: "two" is not a number.*\n.*\Q$conf\E, line 1/,
    'with where it was written';

# root's kotctl sends the Redis password to the "redis" the file names,
# and writes where "audit-log" says: a file that someone else could write
# is refused, naming the fix.  Read by all is fine: it holds paths.
conf('redis = ' . $t->redis_addr,
     'redis-password-file = ' . $t->redis_password_file,
     'secret-file = ' . $t->secret_file);
for my $mode (0666, 0602) {
    chmod $mode, $conf;
    $r = kotctl('tenant', 'list');
    is $r->{exit}, 2, sprintf('a file of mode %04o is refused', $mode);
    my $refusal = sprintf 'kotctl: %s can be written by other users '
                          . '(mode 0%o); run "chmod go-w %s"',
                          $conf, $mode, $conf;
    like $r->{err}, qr/^\Q$refusal\E/m,
        'naming the file, its mode and the fix';
    unlike $r->{out}, qr/acme/, 'and nothing runs';
}
# a user's private group (umask 002) may write it: a warning
chmod 0664, $conf;
$r = kotctl('tenant', 'list');
is $r->{exit}, 0, 'a file its group can write is read' or diag $r->{err};
my $warning = "kotctl: warning: $conf can be written by its group "
            . qq{(mode 0664); run "chmod g-w $conf"};
like $r->{err}, qr/^\Q$warning\E/m,
    'with a warning';
chmod 0644, $conf;
$r = kotctl('tenant', 'list');
is $r->{exit}, 0, 'mode 0644 is fine' or diag $r->{err};
SKIP: {
    skip 'needs root to give the file to another user', 2 unless $> == 0;
    chown 65534, -1, $conf;
    $r = kotctl('tenant', 'list');
    is $r->{exit}, 2, 'a file of another user\'s is refused';
    my $owner = "kotctl: $conf belongs to another user (uid 65534); "
              . qq{run "chown root $conf"};
    like $r->{err}, qr/^\Q$owner\E/m,
        'naming its owner and the fix';
    chown 0, -1, $conf;
}

$ENV{KOT_CONFIG} = "$dir/missing.conf";
$r = kotctl('tenant', 'list');
is $r->{exit}, 2, 'a $KOT_CONFIG that does not exist is an error';
like $r->{err}, qr/cannot open "\Q$dir\E\/missing.conf"/, 'naming it';

# The auditor's machine: the log and the private key in the file, and
# nothing else, are enough to verify and query.
my ($priv, $pub) = $t->auditor_keys;
my $log = "$dir/audit.log";
$ENV{KOT_CONFIG} = $conf;
conf('redis = ' . $t->redis_addr,
     'redis-password-file = ' . $t->redis_password_file,
     'secret-file = ' . $t->secret_file,
     'scrypt-ln = 10',
     "audit-log = $log",
     "auditor-public-key = $pub");
$r = kotctl('user', 'add', 'acme', 'alice', '--role', 'user',
            '--generate-password');
is $r->{exit}, 0, 'kotctl records its changes in the audit log of the file'
    or diag $r->{err};
ok -s $log, 'which it writes';
is sprintf('%04o', (stat $log)[2] & 07777), '0640',
    'created mode 0640, never readable by others';

conf("auditor-private-key = $priv", 'redis = ' . $t->redis_addr,
     'redis-password-file = ' . $t->redis_password_file);
$r = kotctl('audit', 'verify', $log);
is $r->{exit}, 0, 'audit verify takes the private key from the file'
    or diag $r->{out}, $r->{err};
like $r->{out}, qr/^OK: /m, 'and the log verifies';
$r = kotctl('audit', 'query', '--user', 'alice', $log);
like $r->{out}, qr/"user_added"/, 'audit query finds the change';

# The web host's file names the session key, root's alone (mode 600).
# The notifications' daemon (kot-notify.service, a user of its own) and
# an auditor logged in as themselves read the same file: neither needs
# the key, and neither may be stopped by it.
SKIP: {
    my ($setpriv) = grep { -x } map { "$_/setpriv" } split /:/, $ENV{PATH};
    skip 'needs root and setpriv to run kotctl as another user', 6
        unless $> == 0 && $setpriv;

    my $nobody = getpwnam('nobody') // 65534;
    my $pub_dir = File::Temp::tempdir('kot-conf-XXXXXXXX', TMPDIR => 1,
                                      CLEANUP => 1);
    chmod 0755, $pub_dir;
    my %own;
    for my $f ([ 'redis.pw', KotTest::_slurp($t->redis_password_file) ],
               [ 'notify.key', 'n' x 64 ],
               [ 'auditor.pem', KotTest::_slurp($priv) ],
               [ 'audit.log', KotTest::_slurp($log) ])
    {
        $own{$f->[0]} = "$pub_dir/$f->[0]";
        KotTest::_spew($own{$f->[0]}, $f->[1], 0600);
        chown $nobody, $nobody, $own{$f->[0]};
    }
    my $web_conf = "$pub_dir/kotctl.conf";
    $ENV{KOT_CONFIG} = $web_conf;

    sub as_nobody (@args) {
        return $t->_run([ $setpriv, "--reuid=$nobody", "--regid=$nobody",
                          '--clear-groups', $kotctl, @args ]);
    }

    KotTest::_spew($web_conf, join '', map { "$_\n" }
                   'redis = 127.0.0.1:1',
                   'secret-file = ' . $t->secret_file);
    chmod 0644, $web_conf;

    $r = as_nobody('notify', '--webhook', 'http://127.0.0.1:9/',
                   '--hmac-key-file', $own{'notify.key'});
    unlike $r->{err}, qr/\Q${\ $t->secret_file }\E/,
        'the daemon does not open the session key that the file names'
        or diag $r->{err};
    like $r->{err}, qr/cannot connect to redis at 127\.0\.0\.1:1/,
        'and goes on to Redis';

    $r = as_nobody('audit', 'verify', '--auditor-private-key',
                   $own{'auditor.pem'}, $own{'audit.log'});
    unlike $r->{err}, qr/\Q${\ $t->secret_file }\E/,
        'nor does audit verify under an auditor\'s own user'
        or diag $r->{err};
    like $r->{err}, qr/cannot connect to redis at 127\.0\.0\.1:1/,
        'which goes on to the anchors';

    KotTest::_spew($web_conf, join '', map { "$_\n" }
                   'redis = ' . $t->redis_addr,
                   "redis-password-file = $own{'redis.pw'}",
                   'secret-file = ' . $t->secret_file);
    $r = as_nobody('audit', 'verify', '--auditor-private-key',
                   $own{'auditor.pem'}, $own{'audit.log'});
    is $r->{exit}, 0, 'and verifies the log with its anchors'
        or diag $r->{out}, $r->{err};
    like $r->{out}, qr/^OK: /m, 'OK';
}

delete $ENV{KOT_CONFIG};


# A password file is read whole, as nginx reads password_file=: up to 512
# bytes and a newline.  A longer one is refused, never cut to its first
# 512 bytes (which here are an ACL user's password: cut, it would log in).

my $long = join '', map { chr(ord('a') + $_ % 26) } 0 .. 511;
is $t->redis('ACL', 'SETUSER', 'long', 'on', ">$long", '~*', '&*', '+@all'),
    'OK', 'an ACL user with a password of 512 bytes';

sub with_password ($bytes, @args) {
    my $file = "$dir/long.pw";
    KotTest::_spew($file, $bytes, 0600);
    return $t->_run([ $kotctl, '--redis', $t->redis_addr, '--redis-user',
                      'long', '--redis-password-file', $file,
                      '--secret-file', $t->secret_file, @args ]);
}

$r = with_password("$long\n", 'tenant', 'add', 'long512');
is $r->{exit}, 0, 'a password of 512 bytes and a newline is used'
    or diag $r->{err};

for my $extra ('x', "\n\n", "more than 512 bytes\n") {
    my $what = length($long . $extra) . ' bytes';
    $r = with_password($long . $extra, 'tenant', 'add', 'long513');
    is $r->{exit}, 1, "a password file of $what is refused";
    like $r->{err}, qr/^kotctl: "\Q$dir\E\/long\.pw" is too large(?x)
        \s \(${\ length($long . $extra) } \s bytes\): \s a \s Redis \s password
        \s is \s at \s most \s 512 \s bytes \s and \s a \s final \s newline;
        \s nothing \s was \s done$/m, '  naming the file and the limit';
    is $t->redis('EXISTS', 'kot:v1:t:long513'), 0, '  and nothing is added';
}

$r = with_password('', 'tenant', 'add', 'long513');
is $r->{exit}, 1, 'an empty password file is refused, as nginx refuses it';
like $r->{err}, qr/^kotctl: "\Q$dir\E\/long\.pw" is empty/m, '  saying so';

# the key files too: kot_secret_file's, and the daemon's HMAC key
my $key = "$dir/long.key";
KotTest::_spew($key, 'k' x 4097, 0600);
$r = $t->_run([ $kotctl, '--redis', $t->redis_addr, '--secret-file', $key,
                'tenant', 'add', 'long513' ]);
is $r->{exit}, 1, 'a key file of 4097 bytes is refused';
like $r->{err}, qr/"\Q$key\E" is too large \(4097 bytes\): the key is at(?x)
    \s most \s 4096 \s bytes/m, '  naming it and the limit';
$r = $t->_run([ $kotctl, 'notify', 'key', 'acme', '--hmac-key-file', $key ]);
is $r->{exit}, 1, 'an HMAC key file of 4097 bytes is refused';
like $r->{err}, qr/"\Q$key\E" is too large \(4097 bytes\): the HMAC key(?x)
    \s is \s at \s most \s 4096 \s bytes;/m, '  naming it and the limit';

done_testing;
