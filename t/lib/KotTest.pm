package KotTest;

# Test harness for ngx_kot: one temporary directory, one Redis and any
# number of nginx instances per test file, all torn down at exit.
#
#     use lib 't/lib';
#     use KotTest;
#
#     my $t = KotTest->new(workers => 2);
#     my $n = $t->nginx(<<'EOF');
#         server {
#             listen 127.0.0.1:%%PORT%%;
#             location / { proxy_pass http://%%APP%%; }
#         }
#     EOF
#     my $res = $n->ua->get('/');
#
# KotTest->new(workers => 2, keep => 0, module => 1, scrypt_ln => 10,
#              redis_unix => 0, redis_password => undef)
#     temp dir /tmp/kot-test-*, a 48-byte secret file, Redis started.
#     KOT_TEST_KEEP=1 keeps the directory (processes are always stopped).
#     redis_unix => 1: Redis also listens on $t->redis_socket.
#     redis_password => PW: Redis requires it (requirepass); the harness
#     and kotctl authenticate, with $t->redis_password_file for kotctl.
#     appendonly => 'always' (or 'everysec'): Redis keeps an AOF with that
#     fsync policy, and a restart, even after kill_redis, reads it back.
#     redis_debug => 1: DEBUG is allowed (from the loopback).
# $t->redis(@cmd), stop_redis(save => 1), start_redis(args => [...],
#     loading => 1), pause_redis, resume_redis,
#     kotctl(@args, { stdin => ..., no_password => 1 }) -> { exit, out, err }
# $t->nginx($snippet, name => 'a', workers => N, module => 1,
#     threads => 4, extra_main => '...', user => 'root') -> KotTest::Nginx;
#     nginx_check(same) -> ($rc, $output), under the name "check" by
#     default.
# $t->browse($nginx, 'script.mjs', @args): a t/browser/ script's TAP.
# $t->curl($jar, @args): curl -sk -i with that cookie jar -> its output.
# $t->audit_records($path, $action): the records of that event.action
#     (every record without $action) in the audit log at $path, decoded;
#     none before the log exists, and not a last line not ended yet.
# $t->log_lines($path): the lines of that log (or another that workers
#     write), as bytes, each with its "\n", without a last one not ended.
# Placeholders: %%PORT%% %%PORT2%% %%APP%% %%REDIS%% %%SECRET%% %%DIR%%.
#
# Perl core modules only: the tests run on a bare Debian with nginx and
# redis-server installed, without CPAN and without Test::Nginx.

use strict;
use warnings;
use v5.36;

use Cwd ();
use Exporter 'import';
use File::Basename ();
use File::Path ();
use File::Temp ();
use IO::Poll ();
use IO::Select;
use IO::Socket::IP;
use JSON::PP ();
use POSIX ();
use Scalar::Util ();
use Test::More ();
use Time::HiRes ();

use KotTest::Nginx;
use KotTest::UA;

our @EXPORT = qw(wait_until);

our $NGINX = '/usr/sbin/nginx';
our $REDIS_SERVER = '/usr/bin/redis-server';

# The repository root: t/lib/KotTest.pm is two levels below it.  Not the
# current directory, so that a test may chdir.
our $REPO = Cwd::abs_path(
    File::Basename::dirname(__FILE__) . '/../..');

# make check-memory: the module built with the sanitizers, and their
# runtimes, which nginx (only nginx) must preload to load it.
our $MODULE_SO = $ENV{KOT_TEST_MODULE}
    // "$REPO/build/nginx/objs/ngx_http_kot_module.so";
our $PRELOAD = $ENV{KOT_TEST_PRELOAD};
our $KOTCTL = "$REPO/build/kotctl";

# kotctl reads /etc/ngx_kot/kotctl.conf when it exists; an empty
# $KOT_CONFIG reads no file, so that this machine's file changes no test.
# A test of the file sets KOT_CONFIG itself.
$ENV{KOT_CONFIG} = '';

my %used_ports;     # ports handed out in this run, never handed out twice
my @all;            # weak references to every KotTest, for END


# ---------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------

# A free TCP port on the loopback: bind to port 0 and let the kernel
# choose.  The socket is closed before the port is used, so another
# process could take it in between; that is rare enough for tests.
sub free_port {
    for (1 .. 100) {
        my $s = IO::Socket::IP->new(
            LocalHost => '127.0.0.1',
            LocalPort => 0,
            Proto     => 'tcp',
        ) or die "free_port: bind: $@\n";
        my $port = $s->sockport;
        close $s;
        next if $used_ports{$port}++;
        return $port;
    }
    die "free_port: no free port found\n";
}


sub wait_until {
    my ($code, %opt) = @_;
    my $timeout = $opt{timeout} // 10;
    my $interval = $opt{interval} // 0.05;
    my $what = $opt{what} // 'condition';
    my $deadline = Time::HiRes::time() + $timeout;

    for (;;) {
        my $v = $code->();
        return $v if $v;
        last if Time::HiRes::time() >= $deadline;
        Time::HiRes::sleep($interval);
    }

    local $Test::Builder::Level = $Test::Builder::Level + 1;
    Test::More::fail("timed out waiting for $what");
    return undef;
}


# A base64url token with the character at index $i changed.  'A' and 'Q'
# differ only in bits that every position of a token uses, so the result
# still decodes: a well-formed token that is not the right one.
sub altered {
    my ($token, $i) = @_;
    substr($token, $i, 1) = substr($token, $i, 1) eq 'A' ? 'Q' : 'A';
    return $token;
}


# Whether a process exists and is not a zombie.  The nginx master is
# not our child (it daemonizes), and PID 1 in a container does not
# always reap, so kill(0) alone would see a dead master as alive.
sub _alive {
    my ($pid) = @_;
    return 0 unless $pid;
    open my $fh, '<', "/proc/$pid/stat" or return 0;
    my $stat = <$fh> // '';
    close $fh;
    my ($state) = $stat =~ /\)\s+(\S)/;
    return 0 if !defined $state || $state eq 'Z' || $state eq 'X';
    return 1;
}


# Live (non-zombie) children of a process, from /proc: the same list as
# `ps --ppid PID` without running ps.
sub _children {
    my ($ppid) = @_;
    my @pids;
    opendir my $dh, '/proc' or return ();
    for my $pid (grep { /^\d+$/ } readdir $dh) {
        open my $fh, '<', "/proc/$pid/stat" or next;
        my $stat = <$fh> // '';
        close $fh;
        # "pid (comm) state ppid ...": comm may contain spaces or ")".
        my ($state, $parent) = $stat =~ /\)\s+(\S)\s+(\d+)/ or next;
        push @pids, $pid + 0 if $parent == $ppid && $state ne 'Z';
    }
    closedir $dh;
    @pids = sort { $a <=> $b } @pids;
    return @pids;      # the count in scalar context
}


sub _port_open {
    my ($port) = @_;
    my $s = IO::Socket::IP->new(
        PeerHost => '127.0.0.1',
        PeerPort => $port,
        Proto    => 'tcp',
        Timeout  => 1,
    ) or return 0;
    close $s;
    return 1;
}


sub _slurp {
    my ($path) = @_;
    open my $fh, '<:raw', $path or return '';
    local $/;
    my $s = <$fh>;
    close $fh;
    return $s // '';
}


sub _spew {
    my ($path, $data, $mode) = @_;
    open my $fh, '>:raw', $path or die "open $path: $!\n";
    chmod $mode, $path if defined $mode;
    print {$fh} $data or die "write $path: $!\n";
    close $fh or die "close $path: $!\n";
}


# ---------------------------------------------------------------------
# the test environment
# ---------------------------------------------------------------------

sub new {
    my ($class, %opt) = @_;

    my $self = bless {
        workers   => $opt{workers} // 2,
        keep      => $opt{keep} // 0,
        module    => $opt{module} // 1,
        scrypt_ln => $opt{scrypt_ln} // 10,
        redis_unix     => $opt{redis_unix} // 0,
        redis_password => $opt{redis_password},
        appendonly     => $opt{appendonly},
        redis_debug    => $opt{redis_debug} // 0,
        owner     => $$,
        nginx     => {},    # name => KotTest::Nginx
        run_seq   => 0,
    }, $class;

    # Registered first, so that whatever is started below is cleaned
    # up even if new() dies half way.
    push @all, $self;
    Scalar::Util::weaken($all[-1]);

    # Without a handler, SIGINT (^C under prove), SIGTERM or SIGHUP
    # would skip END and leave nginx daemons behind.
    for my $sig (qw(HUP INT TERM)) {
        next if defined $SIG{$sig} && $SIG{$sig} ne ''
                && $SIG{$sig} ne 'DEFAULT';
        $SIG{$sig} = sub { print STDERR "# caught SIG$_[0]\n"; exit 1 };
    }

    # With prove gone (a run cut short), the test's next line of TAP
    # raises SIGPIPE, whose default action skips END as well.
    $SIG{PIPE} = \&_sigpipe
        if !defined $SIG{PIPE} || $SIG{PIPE} eq '' || $SIG{PIPE} eq 'DEFAULT';

    $self->{dir} = File::Temp::tempdir('kot-test-XXXXXXXX',
                                       DIR => '/tmp', CLEANUP => 0);

    open my $rnd, '<:raw', '/dev/urandom' or die "/dev/urandom: $!\n";
    read($rnd, my $secret, 48) == 48 or die "/dev/urandom: short read\n";
    close $rnd;
    $self->{secret_file} = "$self->{dir}/secret";
    _spew($self->{secret_file}, $secret, 0600);

    if (defined $self->{redis_password}) {
        _spew("$self->{dir}/redis.pw", "$self->{redis_password}\n", 0600);
    }

    $self->{redis_port} = free_port();
    $self->start_redis;

    return $self;
}


sub dir { $_[0]{dir} }
sub secret_file { $_[0]{secret_file} }
sub redis_addr { "127.0.0.1:$_[0]{redis_port}" }
sub redis_socket { $_[0]{redis_unix} ? "$_[0]{dir}/redis.sock" : undef }
sub redis_password_file {
    defined $_[0]{redis_password} ? "$_[0]{dir}/redis.pw" : undef
}
sub repo { $REPO }

# The project's version: debian/changelog's top entry, as the Makefile
# reads it for kotctl and the module.
sub version {
    my ($v) = _slurp("$REPO/debian/changelog") =~ /\A\S+ \(([^)]+)\)/;
    return $v // die "debian/changelog: no version in its first line\n";
}
sub _nginx_bin { $NGINX }


# The console's locations as the README gives them (its files and its
# API), on this checkout: for a server block.  Dies if the README shows
# none.
sub console_locations {
    open my $fh, '<:encoding(UTF-8)', "$REPO/README.md"
        or die "$REPO/README.md: $!\n";
    local $/;
    my $intro = 'Serve the console and its API like this';
    my ($console) = <$fh> =~ /^\Q$intro\E.*?```nginx\n(.*?)```/ms
        or die "the README shows no console locations\n";
    $console =~ s{/usr/share/ngx_kot/admin/}{$REPO/admin/ui/}g;
    $console =~ s{snippets/}{$REPO/conf/}g;
    return $console;
}


# Runs a command with stdin from a string and stdout/stderr captured in
# files (pipes could deadlock, and a daemon inheriting a pipe would keep
# it open).  Returns { exit, out, err }; exit is 128 + signal if killed.
sub _run {
    my ($self, $cmd, %opt) = @_;

    my $base = sprintf '%s/run-%d', $self->{dir}, ++$self->{run_seq};
    _spew("$base.in", $opt{stdin} // '');

    my $pid = fork // die "fork: $!\n";

    if ($pid == 0) {
        open STDIN, '<', "$base.in" or POSIX::_exit(126);
        open STDOUT, '>', "$base.out" or POSIX::_exit(126);
        if ($opt{merge}) {
            open STDERR, '>&', \*STDOUT or POSIX::_exit(126);
        } else {
            open STDERR, '>', "$base.err" or POSIX::_exit(126);
        }
        $ENV{LD_PRELOAD} = $PRELOAD if $PRELOAD && $cmd->[0] eq $NGINX;
        { no warnings 'exec'; exec { $cmd->[0] } @$cmd }
        print STDERR "exec $cmd->[0]: $!\n";
        # _exit: a plain exit would run our END blocks in the child.
        POSIX::_exit(127);
    }

    waitpid $pid, 0;
    my $st = $?;
    my %r = (
        exit => ($st & 127) ? 128 + ($st & 127) : $st >> 8,
        out  => _slurp("$base.out"),
        err  => $opt{merge} ? '' : _slurp("$base.err"),
    );
    unlink "$base.in", "$base.out", "$base.err";
    return \%r;
}


# ---------------------------------------------------------------------
# Redis
# ---------------------------------------------------------------------

# With args, more options for redis-server; with loading => 1, returns
# as soon as Redis answers at all, even if only -LOADING while it reads
# its data set.
sub start_redis {
    my ($self, %opt) = @_;

    die "redis already running\n" if $self->{redis_pid};

    my $dir = $self->{dir};
    my @cmd = ($REDIS_SERVER,
        '--port', $self->{redis_port},
        '--bind', '127.0.0.1',
        '--daemonize', 'no',
        '--dir', $dir,
        '--dbfilename', 'dump.rdb',
        '--logfile', "$dir/redis.log",
        # No persistence but an explicit SAVE, or the AOF asked for: a
        # restart without either must lose the data.
        '--save', '',
        (defined $self->{appendonly}
            ? ('--appendonly', 'yes', '--appendfsync', $self->{appendonly})
            : ('--appendonly', 'no')),
        ($self->{redis_debug} ? ('--enable-debug-command', 'local') : ()),
        ($self->{redis_unix}
            ? ('--unixsocket', $self->redis_socket, '--unixsocketperm', '700')
            : ()),
        (defined $self->{redis_password}
            ? ('--requirepass', $self->{redis_password}) : ()),
        @{ $opt{args} // [] });

    my $pid = fork // die "fork: $!\n";

    if ($pid == 0) {
        # Never inherit the TAP stdout: prove would wait for its EOF.
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', "$dir/redis.out";
        open STDERR, '>&', \*STDOUT;
        { no warnings 'exec'; exec { $cmd[0] } @cmd }
        print STDERR "exec $cmd[0]: $!\n";
        POSIX::_exit(127);
    }

    $self->{redis_pid} = $pid;
    $self->_redis_close;

    my $deadline = Time::HiRes::time() + 10;
    my $why;

    while (Time::HiRes::time() < $deadline) {
        if (waitpid($pid, POSIX::WNOHANG()) == $pid) {
            delete $self->{redis_pid};
            $why = "redis-server exited with status $?";
            last;
        }

        # -LOADING while dump.rdb is read: retry, unless that will do.
        my $pong = eval { $self->redis('PING') } // '';
        return 1 if $pong eq 'PONG' || ($opt{loading} && $@ =~ /^LOADING/);
        $self->_redis_close;
        Time::HiRes::sleep(0.05);
    }

    $why //= 'redis-server does not answer PING';
    $self->stop_redis if $self->{redis_pid};
    die "$why\n--- redis.log ---\n" . _slurp("$dir/redis.log")
        . _slurp("$dir/redis.out");
}


sub stop_redis {
    my ($self, %opt) = @_;

    my $pid = $self->{redis_pid} or return 1;

    $self->redis('SAVE') if $opt{save};
    $self->_redis_close;

    # A stopped process keeps SIGTERM pending until continued.
    kill 'CONT', $pid;
    kill 'TERM', $pid;

    my $deadline = Time::HiRes::time() + 10;
    while (waitpid($pid, POSIX::WNOHANG()) == 0) {
        if (Time::HiRes::time() > $deadline) {
            kill 'KILL', $pid;
            waitpid $pid, 0;
            last;
        }
        Time::HiRes::sleep(0.02);
    }

    delete $self->{redis_pid};
    delete $self->{redis_paused};
    return 1;
}


# A Sentinel group around the test's Redis, which becomes its master
# "kot": replicas and sentinels on free loopback ports, each with its own
# files in the test's directory.  Returns once the sentinels see the
# replicas and each other, so that a failover can happen.  With ipv6 or
# unix, the sentinels listen on ::1 or a socket as well.
sub start_sentinels {
    my ($self, %o) = @_;

    my $dir = $self->{dir};
    my $master = $self->{redis_port};
    my $n = $o{sentinels} // 3;
    my $down = $o{down_after} // 500;
    die "start_sentinels: no password support\n"
        if defined $self->{redis_password};

    # a replica is a copy only once synced: no 5 s wait for more replicas
    $self->redis('CONFIG', 'SET', 'repl-diskless-sync-delay', 0);

    $self->start_replica("replica$_") for 1 .. ($o{replicas} // 1);

    for my $i (1 .. $n) {
        my $port = free_port();
        my $conf = "$dir/sentinel$i.conf";
        # listening on ::1 and a socket too (sentinel_socket($i))
        my $ipv6 = $o{ipv6} ? ' ::1' : '';
        my $unix = $o{unix} ? "\nunixsocket $dir/sentinel$i.sock\n"
                              . 'unixsocketperm 700' : '';
        _spew($conf, <<"EOF", 0600);
port $port
bind 127.0.0.1$ipv6
daemonize no$unix
dir $dir
logfile $dir/sentinel$i.log
sentinel monitor kot 127.0.0.1 $master 2
sentinel down-after-milliseconds kot $down
sentinel failover-timeout kot 10000
sentinel parallel-syncs kot 1
EOF
        $self->_start_extra("sentinel$i", $port, $REDIS_SERVER, $conf,
                            '--sentinel');
        push @{ $self->{sentinel_ports} }, $port;
    }

    for my $port (@{ $self->{sentinel_ports} }) {
        wait_until(sub {
            my $m = eval { $self->redis_on($port, 'SENTINEL', 'master',
                                           'kot') } or return 0;
            my %m = @$m;
            return $m{'num-slaves'} >= $self->replica_ports
                   && $m{'num-other-sentinels'} >= $n - 1;
        }, timeout => 30, what => "sentinel on port $port to see the group");
    }

    return 1;
}

# A replica of the test's Redis, as process $name; returns its port once
# it has synced.
sub start_replica {
    my ($self, $name) = @_;

    my $dir = $self->{dir};
    my $port = free_port();
    $self->_start_extra($name, $port, $REDIS_SERVER,
        '--port', $port, '--bind', '127.0.0.1', '--daemonize', 'no',
        '--dir', $dir, '--dbfilename', "$name.rdb",
        '--logfile', "$dir/$name.log", '--save', '',
        '--appendonly', 'no', '--replicaof', '127.0.0.1',
        $self->{redis_port});
    push @{ $self->{replica_ports} }, $port;

    wait_until(sub {
        (eval { $self->redis_on($port, 'INFO', 'replication') } // '')
            =~ /master_link_status:up/
    }, timeout => 30, what => "$name to sync");

    return $port;
}

sub sentinel_ports { @{ $_[0]{sentinel_ports} // [] } }
sub sentinel_socket { "$_[0]{dir}/sentinel$_[1].sock" }
sub replica_ports { @{ $_[0]{replica_ports} // [] } }

# The usual site (site(%o)) with $line (kot_redis_sentinel ...) for its
# kot_redis.
sub sentinel_site {
    my ($class, $line, %o) = @_;
    my $site = $class->site(%o);
    $site =~ s{kot_redis %%REDIS%% timeout=1s;}{$line}
        or die "no kot_redis line in the site\n";
    return $site;
}

# Whether the replica on $port replicates the master on $master, within
# 60 s (after a failover, the sentinels point the others at the new one,
# with a full sync: slow on a busy machine).
sub replica_follows {
    my ($self, $port, $master) = @_;
    return wait_until(sub {
        (eval { $self->redis_on($port, 'INFO', 'replication') } // '')
            =~ /master_port:$master\b.*master_link_status:up/s
    }, timeout => 60, what => "the replica on $port to follow $master");
}


# One command to another Redis (or sentinel) of the test, on a connection
# of its own.
sub redis_on {
    my ($self, $port, @cmd) = @_;

    local $self->{redis_port} = $port;
    local $self->{redis_sock};
    local $self->{redis_buf};
    local $self->{redis_password};

    my $r = eval { $self->redis(@cmd) };
    my $e = $@;
    $self->_redis_close;
    die $e if $e;
    return $r;
}


# The master dies at once (SIGKILL): no goodbye to its clients.
sub kill_redis {
    my ($self) = @_;
    my $pid = delete $self->{redis_pid} or die "redis is not running\n";
    $self->_redis_close;
    kill 'KILL', $pid;
    waitpid $pid, 0;
    return 1;
}

# From now on redis() and kotctl go to the Redis on $port.
sub use_redis_port {
    my ($self, $port) = @_;
    $self->_redis_close;
    $self->{redis_port} = $port;
}


# A process the test owns besides its Redis; stopped by the cleanup.
# With a port, returns once it answers PING there.
sub _start_extra {
    my ($self, $name, $port, @cmd) = @_;

    my $pid = $self->fork_extra($name, sub {
        open STDOUT, '>>', "$self->{dir}/$name.out";
        open STDERR, '>&', \*STDOUT;
        { no warnings 'exec'; exec { $cmd[0] } @cmd }
        print STDERR "exec $cmd[0]: $!\n";
    });

    wait_until(sub { (eval { $self->redis_on($port, 'PING') } // '')
                     eq 'PONG' },
               timeout => 10, what => "$name to answer PING")
        if $port;

    return $pid;
}


# A forked helper process of the test (a fake server, say), stopped by
# the cleanup like the others.
sub fork_extra {
    my ($self, $name, $code) = @_;

    my $pid = fork // die "fork: $!\n";

    if ($pid == 0) {
        # Never inherit the TAP stdout: prove would wait for its EOF.
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', '/dev/null';
        @SIG{qw(HUP INT TERM PIPE)} = ('DEFAULT') x 4;
        $code->();
        # _exit: a plain exit would run our END blocks in the child.
        POSIX::_exit(127);
    }

    $self->{extra}{$name} = $pid;
    return $pid;
}


sub _stop_extras {
    my ($self) = @_;
    $self->stop_extra(keys %{ $self->{extra} // {} });
}

sub stop_extra {
    my ($self, @names) = @_;

    my %pids = map { $_ => delete $self->{extra}{$_} } @names;
    kill 'TERM', values %pids;

    my $deadline = Time::HiRes::time() + 10;
    for my $pid (values %pids) {
        while (waitpid($pid, POSIX::WNOHANG()) == 0) {
            if (Time::HiRes::time() > $deadline) {
                kill 'KILL', $pid;
                waitpid $pid, 0;
                last;
            }
            Time::HiRes::sleep(0.02);
        }
    }
}


sub _proc_state {
    my ($pid) = @_;
    my ($state) = _slurp("/proc/$pid/stat") =~ /\)\s+(\S)/;
    return $state // '';
}


sub pause_redis {
    my ($self) = @_;
    my $pid = $self->{redis_pid} or die "redis is not running\n";
    kill 'STOP', $pid;
    $self->{redis_paused} = 1;
    # The signal is asynchronous; return once it has taken effect.
    wait_until(sub { _proc_state($pid) eq 'T' },
               timeout => 5, interval => 0.01, what => 'redis to stop');
    return 1;
}


sub resume_redis {
    my ($self) = @_;
    my $pid = $self->{redis_pid} or die "redis is not running\n";
    kill 'CONT', $pid;
    delete $self->{redis_paused};
    wait_until(sub { _proc_state($pid) ne 'T' },
               timeout => 5, interval => 0.01, what => 'redis to resume');
    return 1;
}


sub _redis_close {
    my ($self) = @_;
    close $self->{redis_sock} if $self->{redis_sock};
    delete $self->{redis_sock};
    $self->{redis_buf} = '';
}


# A minimal RESP2 client: enough for tests to look at and tamper with
# what the module stores.
sub redis {
    my ($self, @cmd) = @_;

    my $req = '*' . scalar(@cmd) . "\r\n";
    for my $arg (@cmd) {
        my $b = $arg // '';
        utf8::encode($b) if utf8::is_utf8($b);
        $req .= '$' . length($b) . "\r\n$b\r\n";
    }

    local $SIG{PIPE} = 'IGNORE';

    for my $try (1, 2) {
        my ($reply, @errors);
        $self->{redis_got} = 0;

        my $ok = eval {
            $self->_redis_connect;
            $self->_redis_write($req);
            $reply = $self->_redis_reply(\@errors);
            1;
        };

        if (!$ok) {
            my $e = $@;
            $self->_redis_close;
            # The connection died before any byte of the reply: Redis was
            # restarted behind our back.  Retry once on a new connection.
            next if $try == 1 && !$self->{redis_got}
                    && $e =~ /^redis I\/O:/;
            die $e;
        }

        die "$errors[0]\n" if @errors;
        return $reply;
    }
}


sub _redis_connect {
    my ($self) = @_;
    return if $self->{redis_sock};
    my $s = IO::Socket::IP->new(
        PeerHost => '127.0.0.1',
        PeerPort => $self->{redis_port},
        Proto    => 'tcp',
        Timeout  => 5,
    ) or die "redis: cannot connect to " . $self->redis_addr . ": $@\n";
    $self->{redis_sock} = $s;
    $self->{redis_buf} = '';

    if (defined $self->{redis_password}) {
        my $pw = $self->{redis_password};
        my @errors;
        $self->_redis_write("*2\r\n\$4\r\nAUTH\r\n\$" . length($pw)
                            . "\r\n$pw\r\n");
        $self->_redis_reply(\@errors);
        die "redis: AUTH: $errors[0]\n" if @errors;
        # the command's reply has not begun (see the retry in redis())
        $self->{redis_got} = 0;
    }
}


sub _redis_write {
    my ($self, $data) = @_;
    my $off = 0;
    while ($off < length $data) {
        my $n = syswrite $self->{redis_sock}, $data, length($data) - $off,
                         $off;
        die "redis I/O: write: $!\n" unless $n;
        $off += $n;
    }
}


# Reads until the buffer holds at least $want bytes.
sub _redis_fill {
    my ($self, $want) = @_;
    my $sel = IO::Select->new($self->{redis_sock});
    while (length $self->{redis_buf} < $want) {
        $sel->can_read(10) or die "redis: timeout\n";
        my $n = sysread $self->{redis_sock}, $self->{redis_buf}, 65536,
                        length $self->{redis_buf};
        die "redis I/O: read: " . (defined $n ? 'EOF' : $!) . "\n"
            unless $n;
        $self->{redis_got} = 1;
    }
}


sub _redis_line {
    my ($self) = @_;
    my $i;
    while (($i = index $self->{redis_buf}, "\r\n") < 0) {
        $self->_redis_fill(length($self->{redis_buf}) + 1);
    }
    my $line = substr $self->{redis_buf}, 0, $i + 2, '';
    return substr $line, 0, $i;
}


# Error replies are collected rather than thrown, so that the whole
# reply is consumed and the connection stays usable.
sub _redis_reply {
    my ($self, $errors) = @_;

    my $line = $self->_redis_line;
    my ($type, $rest) = (substr($line, 0, 1), substr($line, 1));

    return $rest if $type eq '+';
    return $rest + 0 if $type eq ':';

    if ($type eq '-') {
        push @$errors, $rest;
        return undef;
    }

    if ($type eq '$') {
        return undef if $rest < 0;
        $self->_redis_fill($rest + 2);
        my $data = substr $self->{redis_buf}, 0, $rest + 2, '';
        return substr $data, 0, $rest;
    }

    if ($type eq '*') {
        return undef if $rest < 0;
        return [ map { $self->_redis_reply($errors) } 1 .. $rest ];
    }

    $self->_redis_close;
    die "redis: protocol error: '$line'\n";
}


# ---------------------------------------------------------------------
# kotctl
# ---------------------------------------------------------------------

sub kotctl {
    my ($self, @args) = @_;
    my $opt = (@args && ref $args[-1] eq 'HASH') ? pop @args : {};

    my @cmd = ($KOTCTL,
        '--redis', $self->redis_addr,
        '--secret-file', $self->{secret_file},
        '--scrypt-ln', $self->{scrypt_ln},
        (defined $self->{redis_password} && !$opt->{no_password}
            ? ('--redis-password-file', $self->redis_password_file) : ()),
        @args);

    return $self->_run(\@cmd, stdin => $opt->{stdin});
}


# ---------------------------------------------------------------------
# the usual protected site
# ---------------------------------------------------------------------

# The http-level snippet most tests run: a portal at /kot/ and the echo
# application behind "kot on" at /, with the identity passed upstream.
# Options: http => extra http-level directives, server => extra
# server-level directives, location => extra directives in "location /".
# Tests log in from one address many times: the per-client login throttle
# is off unless a test names it (throttle => 'rate=6/m burst=3').  Logins
# go straight back to return_to: the last-login page is off (t/last_login.t
# turns it on).
sub site {
    my ($class, %o) = @_;

    my $http = ($o{http} // '') . "\n    kot_login_throttle "
        . ($o{throttle} // 'off') . ';';
    my $server = $o{server} // '';
    my $location = $o{location} // '';

    return <<"EOF";
    kot_redis %%REDIS%% timeout=1s;
    kot_secret_file %%SECRET%%;
    kot_thread_pool kot_test;
    kot_password_hash scrypt ln=10;
    kot_insecure_cookie on;
    kot_last_login_notice off;
    $http

    server {
        listen 127.0.0.1:%%PORT%%;
        $server

        location /kot/ {
            kot_portal;
        }

        location / {
            kot on;
            $location
            proxy_pass http://%%APP%%;
            proxy_set_header X-Kot-User \$kot_user;
            proxy_set_header X-Kot-Tenant \$kot_tenant;
            proxy_set_header X-Kot-Roles \$kot_roles;
            proxy_set_header X-Kot-Session \$kot_session;
        }

        location /public/ {
            proxy_pass http://%%APP%%;
        }
    }
EOF
}


# A self-signed certificate for 127.0.0.1 and localhost, made once per
# test environment with the openssl command line.  Returns (cert, key).
sub tls_cert {
    my ($self) = @_;

    my ($crt, $key) = ("$self->{dir}/tls.crt", "$self->{dir}/tls.key");
    return ($crt, $key) if -f $crt;

    my $r = $self->_run([ 'openssl', 'req', '-x509', '-newkey', 'rsa:2048',
        '-nodes', '-days', '2', '-subj', '/CN=localhost',
        '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-keyout', $key, '-out', $crt ], merge => 1);
    die "openssl req failed: $r->{out}" if $r->{exit};

    return ($crt, $key);
}


# An auditor's RSA key pair, made once per test environment.  Returns
# (private key, public key) paths.
sub auditor_keys {
    my ($self) = @_;

    my ($priv, $pub) = ("$self->{dir}/auditor.pem", "$self->{dir}/auditor.pub");
    return ($priv, $pub) if -f $pub;

    for my $cmd ([ 'openssl', 'genpkey', '-algorithm', 'RSA', '-pkeyopt',
                   'rsa_keygen_bits:2048', '-out', $priv ],
                 [ 'openssl', 'pkey', '-in', $priv, '-pubout', '-out', $pub ])
    {
        my $r = $self->_run($cmd, merge => 1);
        die "@$cmd failed: $r->{out}" if $r->{exit};
    }

    return ($priv, $pub);
}


# curl -sk -i with a cookie jar read and written: the status line,
# headers and body, with curl's own errors.
sub curl {
    my ($self, $jar, @args) = @_;

    return $self->_run([ 'curl', '-sk', '-i', '-b', $jar, '-c', $jar,
                         @args ], merge => 1)->{out};
}


# The lines of a log that workers write (the audit log, an access log),
# as bytes, each with its "\n"; none while the log does not exist yet,
# and not a last line still being written (a worker may be in the
# middle of it).
sub log_lines {
    my ($self, $path) = @_;

    open my $fh, '<:raw', $path or return ();

    return grep { /\n\z/ } <$fh>;
}


# The records of one event.action in an audit log (of every action
# without one), decoded, from the lines log_lines returns.
sub audit_records {
    my ($self, $path, $action) = @_;

    my $json = JSON::PP->new->utf8;

    return grep { !defined $action || $_->{'event.action'} eq $action }
           map { $json->decode($_) } grep { /\S/ } $self->log_lines($path);
}


# Creates a tenant (if new) and a user with a known password that need
# not be changed, unless force_change => 1.
sub add_user {
    my ($self, $tenant, $user, $password, %o) = @_;

    $self->kotctl('tenant', 'add', $tenant)
        unless $self->{tenants}{$tenant}++;

    my @roles = map { ('--role', $_) } @{ $o{roles} // ['user'] };
    my $r = $self->kotctl('user', 'add', $tenant, $user, @roles,
        '--password-stdin', ($o{force_change} ? () : '--no-force-change'),
        { stdin => "$password\n" });

    die "kotctl user add failed: $r->{err}" if $r->{exit};
    return $r;
}


# ---------------------------------------------------------------------
# nginx
# ---------------------------------------------------------------------

# The ports of an instance are kept by name: starting "a" again after
# it was stopped gives it the same ports, like a restarted server.
sub _instance {
    my ($self, $snippet, %opt) = @_;

    my $name = $opt{name} // 'a';
    die "bad instance name '$name'\n" unless $name =~ /^[\w.-]+$/;

    my $ports = $self->{ports}{$name} //= {
        port     => free_port(),
        port2    => free_port(),
        app_port => free_port(),
    };

    my $dir = "$self->{dir}/$name";
    File::Path::make_path($dir);

    return {
        name       => $name,
        dir        => $dir,
        %$ports,
        workers    => $opt{workers} // $self->{workers},
        threads    => $opt{threads} // 4,
        module     => $opt{module} // $self->{module},
        extra_main => $opt{extra_main} // '',
        user       => $opt{user} // 'root',
        snippet    => $snippet // '',
    };
}


# The nginx.conf of an instance (a hashref from _instance).
sub _conf {
    my ($self, $i) = @_;

    my $d = $i->{dir};
    my %ph = (
        PORT   => $i->{port},
        PORT2  => $i->{port2},
        APP    => "127.0.0.1:$i->{app_port}",
        REDIS  => $self->redis_addr,
        SECRET => $self->{secret_file},
        DIR    => $d,
    );

    my $subst = sub ($s) {
        $s =~ s{%%(\w+)%%}{
            $ph{$1} // die "unknown placeholder %%$1%% in config\n"
        }ge;
        return $s;
    };

    my $conf = '';

    if ($i->{module}) {
        die "module not built: $MODULE_SO (run make, or use module => 0)\n"
            unless -f $MODULE_SO;
        $conf .= "load_module $MODULE_SO;\n";
    }

    # "user root": as root, nginx would otherwise run its workers as
    # nobody, which could not write to the temporary directory.  A test
    # of what a worker may not do names another (user => 'nobody nogroup').
    $conf .= <<"EOF";
user $i->{user};
worker_processes $i->{workers};
pid $d/nginx.pid;
error_log $d/error.log info;
thread_pool kot_test threads=$i->{threads};
events { worker_connections 1024; }
EOF

    $conf .= $subst->($i->{extra_main}) . "\n" if length $i->{extra_main};

    # A binary upgrade's new master gets only the variables named here.
    $conf .= "env LD_PRELOAD;\nenv ASAN_OPTIONS;\nenv LSAN_OPTIONS;\n"
        . "env UBSAN_OPTIONS;\n" if $PRELOAD;

    # The echo server receives ngx_kot's own proxied requests.
    my $strip = $i->{module} ? 'kot_strip_identity off;' : '';

    my $echo = 'app user=[$http_x_kot_user] tenant=[$http_x_kot_tenant]'
        . ' roles=[$http_x_kot_roles] session=[$http_x_kot_session]'
        . ' forged=[$http_x_kot_forged] kot=[$http_x_kot]'
        . ' uri=[$request_uri]\n';

    $conf .= <<"EOF";
http {
    access_log $d/access.log;
    client_body_temp_path $d/client_body;
    proxy_temp_path $d/proxy;
    fastcgi_temp_path $d/fastcgi;
    uwsgi_temp_path $d/uwsgi;
    scgi_temp_path $d/scgi;

    # The echo application: an upstream that shows what it received.
    server {
        listen 127.0.0.1:$i->{app_port};
        $strip
        location / {
            default_type text/plain;
            return 200 "$echo";
        }
    }

EOF

    $conf .= $subst->($i->{snippet});
    $conf .= "\n" unless $conf =~ /\n\z/;
    $conf .= "}\n";

    return $conf;
}


sub nginx {
    my ($self, $snippet, %opt) = @_;

    my $name = $opt{name} // 'a';
    my $old = $self->{nginx}{$name};
    die "nginx '$name' is already running\n" if $old && $old->pid;

    my $n = KotTest::Nginx->_new($self, $self->_instance($snippet, %opt));
    $self->{nginx}{$name} = $n;
    $n->start;
    return $n;
}


sub nginx_check {
    my ($self, $snippet, %opt) = @_;

    # Not "a": checking a config must not overwrite a running instance's.
    $opt{name} //= 'check';

    my $i = $self->_instance($snippet, %opt);
    _spew("$i->{dir}/nginx.conf", $self->_conf($i));

    my $r = $self->_run([$NGINX, '-t', '-p', "$i->{dir}/",
                         '-c', 'nginx.conf', '-e', "$i->{dir}/error.log"],
                        merge => 1);

    return ($r->{exit}, $r->{out});
}


# Runs a t/browser/ script (node, headless Chromium) against an https
# instance (or a base URL given instead), with its base URL first, and
# passes its TAP through as tests of this file; then one test that the
# run ended cleanly.
sub browse {
    my ($self, $n, $script, @args) = @_;

    my $base = ref $n ? 'https://127.0.0.1:' . $n->port : $n;
    my $r = $self->_run([ 'node', "$REPO/t/browser/$script", $base, @args ],
                        merge => 1);
    my $ran = 0;

    local $Test::Builder::Level = $Test::Builder::Level + 1;

    for (split /\n/, $r->{out}) {
        if (/^(not )?ok \d+ - (.*)$/) {
            Test::More::ok(!$1, $2);
            $ran++;
        } elsif (!/^1\.\.\d+$/) {
            Test::More::diag($_);
        }
    }

    Test::More::ok($ran > 0 && $r->{exit} == 0,
                   "the browser run of $script ended cleanly");
}


# ---------------------------------------------------------------------
# cleanup
# ---------------------------------------------------------------------

sub _cleanup {
    my ($self) = @_;

    # Not in a forked child, and only once.
    return if $$ != ($self->{owner} // 0) || $self->{cleaned}++;

    for my $n (values %{ $self->{nginx} // {} }) {
        eval { $n->_kill; 1 } or warn "stopping nginx: $@";
    }

    eval { $self->stop_redis; 1 } or warn "stopping redis: $@";
    eval { $self->_stop_extras; 1 } or warn "stopping helpers: $@";

    my $dir = $self->{dir} or return;

    if ($self->{keep} || $ENV{KOT_TEST_KEEP}) {
        print STDERR "# KotTest: kept $dir\n";
    } else {
        File::Path::remove_tree($dir);
    }
}


# Only a broken TAP stdout ends the test: a write to a socket that a
# test closed on purpose still just fails with EPIPE.
sub _sigpipe {
    my $poll = IO::Poll->new;
    $poll->mask(\*STDOUT => IO::Poll::POLLOUT());
    $poll->poll(0);
    exit 1 if $poll->events(\*STDOUT) & IO::Poll::POLLERR();
}


sub DESTROY {
    my ($self) = @_;
    local ($?, $!, $@);
    $self->_cleanup;
}


END {
    # Keep the test's exit status: waitpid() in the cleanup sets $?.
    local ($?, $!, $@);
    for my $t (grep { defined } @all) {
        $t->_cleanup;
    }
}


1;
