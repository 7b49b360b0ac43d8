package KotTest::Nginx;

# One nginx instance of a KotTest environment: its own prefix directory
# <dir>/<name>/, ports and echo application.  Created by $t->nginx().

use strict;
use warnings;
use v5.36;

use Scalar::Util ();
use Time::HiRes ();

use KotTest::UA;


sub _new {
    my ($class, $t, $inst) = @_;
    my $self = bless { %$inst, t => $t, pid => undef }, $class;
    # The environment owns its instances; a strong reference back would
    # be a cycle and delay the cleanup of a dropped environment.
    Scalar::Util::weaken($self->{t});
    return $self;
}


sub name { $_[0]{name} }
sub dir { $_[0]{dir} }
sub port { $_[0]{port} }
sub port2 { $_[0]{port2} }
sub app_port { $_[0]{app_port} }
sub pid { $_[0]{pid} }
sub conf { KotTest::_slurp("$_[0]{dir}/nginx.conf") }
sub error_log { KotTest::_slurp("$_[0]{dir}/error.log") }
sub access_log { KotTest::_slurp("$_[0]{dir}/access.log") }

sub url {
    my ($self, $path) = @_;
    return "http://127.0.0.1:$self->{port}" . ($path // '/');
}

sub ua {
    my ($self) = @_;
    return KotTest::UA->new(port => $self->{port});
}

sub worker_pids {
    my ($self) = @_;
    my @w = $self->{pid} ? KotTest::_children($self->{pid}) : ();
    return @w;         # the count in scalar context
}


sub _write_conf {
    my ($self) = @_;
    KotTest::_spew("$self->{dir}/nginx.conf", $self->{t}->_conf($self));
}


sub _log_size {
    my ($self) = @_;
    return -s "$self->{dir}/error.log" // 0;
}


sub _log_since {
    my ($self, $off) = @_;
    return substr($self->error_log, $off // 0);
}


# Starts (or restarts, after stop) the instance with its current config.
sub start {
    my ($self) = @_;

    die "nginx '$self->{name}' is already running\n" if $self->{pid};

    my $t = $self->{t};
    my $dir = $self->{dir};
    my $log_off = $self->_log_size;

    $self->_write_conf;
    unlink "$dir/nginx.pid";

    # -e: the error log used before the config is read, which would
    # otherwise be /var/log/nginx/error.log.  nginx daemonizes, so a
    # config error shows as the exit code of this command.
    my $r = $t->_run([$t->_nginx_bin, '-p', "$dir/", '-c', 'nginx.conf',
                      '-e', "$dir/error.log"], merge => 1);

    return $self->_fail_start("nginx exited with $r->{exit}", $r->{out},
                              $log_off)
        if $r->{exit} != 0;

    # The master writes its pid file after daemonizing: wait for it,
    # then for the port and for the workers.  The listen port is %%PORT%%
    # when the snippet has one, else the echo application's.
    my $port = $self->{snippet} =~ /%%PORT%%/ ? $self->{port}
                                              : $self->{app_port};
    my $deadline = Time::HiRes::time() + 10;
    my $why;

    for (;;) {
        if (!$self->{pid}) {
            my ($pid) = KotTest::_slurp("$dir/nginx.pid") =~ /(\d+)/;
            $self->{pid} = $pid if $pid;
        }

        if ($self->{pid}) {
            if (!KotTest::_alive($self->{pid})) {
                $why = 'nginx master exited';
                last;
            }

            last if KotTest::_port_open($port)
                    && $self->worker_pids >= $self->{workers};
        }

        if (Time::HiRes::time() > $deadline) {
            $why = $self->{pid}
                ? "port $port or $self->{workers} workers not ready"
                : 'no pid file';
            last;
        }

        Time::HiRes::sleep(0.02);
    }

    return $self->_fail_start($why, $r->{out}, $log_off) if $why;

    return $self;
}


sub _fail_start {
    my ($self, $why, $out, $log_off) = @_;

    my $log = $self->_log_since($log_off);
    $self->_kill;

    die "nginx '$self->{name}' failed to start: $why\n"
        . "--- nginx output ---\n$out"
        . "--- $self->{dir}/nginx.conf ---\n" . $self->conf
        . "--- error.log ---\n$log";
}


# Waits up to $timeout seconds for all the pids to be gone.
sub _wait_gone {
    my ($timeout, @pids) = @_;
    my $deadline = Time::HiRes::time() + $timeout;
    for (;;) {
        return 1 unless grep { KotTest::_alive($_) } @pids;
        return 0 if Time::HiRes::time() > $deadline;
        Time::HiRes::sleep(0.02);
    }
}


# Graceful stop: old requests complete, as in production.
sub stop {
    my ($self) = @_;

    my $pid = $self->{pid} or return 1;
    my @workers = $self->worker_pids;

    kill 'QUIT', $pid;

    if (!_wait_gone(10, $pid)) {
        kill 'TERM', $pid;
        kill 'KILL', $pid unless _wait_gone(5, $pid);
    }

    $self->{pid} = undef;
    _kill_leftovers(@workers);
    return 1;
}


# Fast stop, for the cleanup at exit.
sub _kill {
    my ($self) = @_;

    my $pid = $self->{pid} or return 1;
    my @workers = $self->worker_pids;

    kill 'TERM', $pid;
    kill 'KILL', $pid unless _wait_gone(5, $pid);

    $self->{pid} = undef;
    _kill_leftovers(@workers);
    return 1;
}


# Workers outlive a master killed with SIGKILL.  The command line is
# checked so as not to kill an unrelated process that reused a pid.
sub _kill_leftovers {
    my (@pids) = @_;

    return if _wait_gone(2, @pids);

    for my $pid (@pids) {
        next unless KotTest::_alive($pid);
        next unless KotTest::_slurp("/proc/$pid/cmdline") =~ /^nginx:/;
        kill 'KILL', $pid;
    }

    _wait_gone(2, @pids);
}


# SIGHUP, optionally with a new http snippet (same ports and options).
# Returns true once a new generation of workers serves and the old one
# is gone.  Returns false without failing a test if nginx logged an
# [emerg] (a rejected config: the old workers keep serving); fails a
# test on timeout.
sub reload {
    my ($self, $snippet) = @_;

    my $pid = $self->{pid} or die "nginx '$self->{name}' is not running\n";

    if (defined $snippet) {
        $self->{snippet} = $snippet;
        $self->_write_conf;
    }

    my @old = $self->worker_pids;
    my $log_off = $self->_log_size;
    my $rejected = 0;

    kill 'HUP', $pid;

    my $ok = KotTest::wait_until(sub {
        if ($self->_log_since($log_off) =~ /\[emerg\]/) {
            $rejected = 1;
            return 1;
        }
        return 0 if grep { KotTest::_alive($_) } @old;
        return $self->worker_pids >= $self->{workers};
    }, timeout => 10, what => "reload of nginx '$self->{name}'");

    return $ok && !$rejected;
}


1;
