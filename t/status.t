# kot_status: an operator's Prometheus scrapes one page, and its numbers
# are those of the whole server, whichever worker answers: logins by
# outcome and reason, lockouts, allow-list refusals, throttled logins,
# session checks, Redis errors, latency and state, audit records and
# write errors, a full hash queue, the hash times.  The page parses as
# Prometheus text, its counters never go back while the master lives
# (a killed worker, a reload), and it names no user.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;
use Time::HiRes ();

my $t = KotTest->new(workers => 2);
my ($priv, $pub) = $t->auditor_keys;

# reuseport: the kernel spreads the connections over both workers
my $SITE = <<"EOF";
    kot_redis %%REDIS%% timeout=1s;
    kot_secret_file %%SECRET%%;
    kot_thread_pool kot_test;
    kot_password_hash scrypt ln=10;
    kot_insecure_cookie on;
    kot_lockout threshold=3 window=1m duration=1m;
    kot_login_throttle rate=6/m burst=3;
    kot_audit_log %%DIR%%/audit.log;
    kot_audit_auditor_key $pub;

    server {
        listen 127.0.0.1:%%PORT%% reuseport;
        set_real_ip_from 127.0.0.1;
        real_ip_header X-Real-IP;
        add_header X-Worker \$pid always;

        location /kot/ { kot_portal; }

        location / {
            kot on;
            proxy_pass http://%%APP%%;
        }

        location /admin/ {
            kot on;
            kot_allowlist admin;
            proxy_pass http://%%APP%%;
        }

        location = /metrics {
            kot_status;
            allow 127.0.0.1;
            deny all;
        }

        location = /metrics-closed {
            kot_status;
            deny all;
        }
    }
EOF

my $n = $t->nginx($SITE);

$t->add_user('acme', 'alice', 'correct horse battery');
$t->add_user('acme', 'bob', 'battery staple horse');
$t->add_user('acme', 'erin', 'horse staple battery');
$t->add_user('fenced', 'carol', 'staple battery horse');


# ---------------------------------------------------------------------
# a strict reader of Prometheus's text format 0.0.4
# ---------------------------------------------------------------------

my $NAME = qr/[a-zA-Z_:][a-zA-Z0-9_:]*/;
my $LABEL = qr/[a-zA-Z_][a-zA-Z0-9_]*/;
my $VALUE = qr/[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]Inf|NaN/;

# Dies on anything Prometheus would refuse or misread: a sample before
# its TYPE, a family in two places, a repeated series, a bad name, label
# or value, a histogram without its +Inf bucket.  Returns { family =>
# { type, help, samples => [ [ name, { labels }, value ] ] } }.
sub parse_exposition ($text) {
    die "does not end with a newline\n" unless $text =~ /\n\z/;

    my (%fam, %series, $current, %done);

    my $family_of = sub ($name) {
        for my $f (grep { defined } $current, keys %fam) {
            next unless ($fam{$f}{type} // '') eq 'histogram';
            return $f if $name =~ /^\Q$f\E_(?:bucket|sum|count)$/;
        }
        return $name;
    };

    for my $line (split /\n/, $text) {
        if ($line =~ /^#\s+(HELP|TYPE)\s+($NAME)(?:\s+(.*))?$/) {
            my ($kind, $name, $rest) = ($1, $2, $3 // '');
            die "$name: a $kind after its samples\n"
                if $fam{$name}{samples} && @{ $fam{$name}{samples} };
            die "$name: a second $kind\n" if defined $fam{$name}{lc $kind};
            die "$name: family continued after another one\n"
                if $done{$name};
            if ($kind eq 'TYPE') {
                die "$name: unknown type '$rest'\n" unless $rest
                    =~ /^(?:counter|gauge|histogram|summary|untyped)$/;
            } else {
                die "$name: bad escape in HELP\n" if $rest =~ /\\[^\\n]/;
            }
            $fam{$name}{lc $kind} = $rest;
            $done{$current} = 1 if defined $current && $current ne $name;
            $current = $name;
            next;
        }
        next if $line =~ /^#/;
        die "empty line\n" if $line eq '';

        $line =~ /^($NAME)(?:\{(.*)\})?[ \t]+($VALUE)(?:[ \t]+-?\d+)?$/
            or die "not a sample: '$line'\n";
        my ($name, $ltext, $value) = ($1, $2 // '', $3);

        my %labels;
        while (length $ltext) {
            $ltext =~ s/^($LABEL)="((?:[^"\\\n]|\\[\\"n])*)"(?:,|$)//
                or die "bad labels in '$line'\n";
            die "label $1 twice in '$line'\n" if exists $labels{$1};
            $labels{$1} = $2 =~ s/\\n/\n/gr =~ s/\\(["\\])/$1/gr;
        }

        my $f = $family_of->($name);
        die "$name: no TYPE before it\n" unless defined $fam{$f}{type};
        die "$f: family continued after another one\n" if $done{$f};
        $done{$current} = 1 if defined $current && $current ne $f;
        $current = $f;

        my $key = join "\0", $name,
            map { "$_=$labels{$_}" } sort keys %labels;
        die "series repeated: '$line'\n" if $series{$key}++;

        push @{ $fam{$f}{samples} }, [ $name, \%labels, $value ];
    }

    for my $f (grep { $fam{$_}{type} eq 'histogram' } keys %fam) {
        my @b = grep { $_->[0] eq "${f}_bucket" } @{ $fam{$f}{samples} };
        die "$f: no buckets\n" unless @b;
        die "$f: a bucket without le\n" if grep { !defined $_->[1]{le} } @b;
        die "$f: the last bucket is not +Inf\n" if $b[-1][1]{le} ne '+Inf';
        my ($count) = grep { $_->[0] eq "${f}_count" } @{ $fam{$f}{samples} };
        my ($sum) = grep { $_->[0] eq "${f}_sum" } @{ $fam{$f}{samples} };
        die "$f: no _count or _sum\n" unless $count && $sum;
        for my $i (1 .. $#b) {
            die "$f: le not increasing\n"
                unless $b[$i][1]{le} eq '+Inf'
                       || $b[$i][1]{le} > $b[$i - 1][1]{le};
            die "$f: buckets not cumulative\n"
                if $b[$i][2] < $b[$i - 1][2];
        }
        die "$f: +Inf bucket $b[-1][2] is not _count $count->[2]\n"
            if $b[-1][2] != $count->[2];
    }

    return \%fam;
}


# The page, parsed, and who served it.
sub scrape ($path = '/metrics') {
    my $res = $n->ua->get($path);
    die "GET $path: $res->{status}\n" unless $res->{status} == 200;
    my $fam = eval { parse_exposition($res->{content}) };
    fail("the status page parses as Prometheus text: $@") unless $fam;
    return { fam => $fam, text => $res->{content}, res => $res,
             worker => $res->{headers}{'x-worker'} };
}

# The value of one series; labels must match exactly.
sub value ($s, $name, %labels) {
    my ($f) = grep { $name =~ /^\Q$_\E(?:_bucket|_sum|_count)?$/ }
              sort { length $b <=> length $a } keys %{ $s->{fam} };
    die "no family for $name\n" unless $f;
    my $want = join ',', map { "$_=$labels{$_}" } sort keys %labels;
    for my $x (@{ $s->{fam}{$f}{samples} }) {
        next unless $x->[0] eq $name;
        my $got = join ',', map { "$_=$x->[1]{$_}" } sort keys %{ $x->[1] };
        return $x->[2] if $got eq $want;
    }
    die "no series $name\{$want}\n";
}

sub now_value ($name, %labels) { value(scrape(), $name, %labels) }

# A login from an address of its own (each one has a throttle bucket).
my $addr = 0;
sub login (%o) {
    my $ip = $o{ip} // '198.51.100.' . (++$addr % 250 + 1);
    my %h = ('X-Real-IP' => $ip);
    my $ua = $n->ua;
    my $form = $ua->get('/kot/login', \%h);
    my $res = $ua->post_form('/kot/login', {
        csrf => KotTest::UA::form_field($form->{content}, 'csrf'),
        tenant => $o{tenant} // 'acme', username => $o{user} // 'alice',
        password => $o{password} // 'correct horse battery' }, \%h);
    return wantarray ? ($res, $ua) : $res;
}

# What the series moved by while $code ran.
sub moved ($code, @series) {
    my $before = scrape();
    $code->();
    my $after = scrape();
    return map { value($after, @$_) - value($before, @$_) } @series;
}


# ---------------------------------------------------------------------
# the page
# ---------------------------------------------------------------------

my $s = scrape();
pass 'the status page parses as Prometheus text';
like $s->{res}{headers}{'content-type'},
    qr{^text/plain; version=0\.0\.4(?:;|$)},
    'served as text format 0.0.4';

my %want = (
    kot_build_info => 'gauge',
    kot_logins_total => 'counter', kot_lockouts_total => 'counter',
    kot_ip_denied_total => 'counter', kot_login_throttled_total => 'counter',
    kot_sessions_checked_total => 'counter',
    kot_redis_errors_total => 'counter',
    kot_redis_latency_seconds => 'histogram', kot_redis_up => 'gauge',
    kot_session_cache_entries => 'gauge', kot_redis_replicas => 'gauge',
    kot_audit_records_total => 'counter',
    kot_audit_write_errors_total => 'counter',
    kot_hash_queue_full_total => 'counter', kot_hash_seconds => 'histogram');
is_deeply { map { $_ => $s->{fam}{$_}{type} } keys %{ $s->{fam} } }, \%want,
    'it has the metrics the manual lists, with their types, and no others';
ok !grep({ !length $s->{fam}{$_}{help} } keys %{ $s->{fam} }),
    'each with a HELP line';

# which ngx_kot each node runs, in a rolling upgrade: debian/changelog's
my $version = KotTest->version;
is_deeply $s->{fam}{kot_build_info}{samples},
    [ [ 'kot_build_info', { version => $version }, 1 ] ],
    "kot_build_info{version=\"$version\"} 1: the version debian/changelog "
    . 'gives';

# the samples in conf/monitoring and the manual's table name real metrics
my $repo = $t->repo;
for my $doc (glob("$repo/conf/monitoring/*"), "$repo/README.md") {
    my $text = KotTest::_slurp($doc);
    $text = join "\n", $text =~ /^\| `(kot_\w+)/mg if $doc =~ /README/;
    my %named = map { s/_(?:bucket|sum|count)$//r => 1 }
                grep { !/^kot_(?:status|session_cache)$/ }
                $text =~ /\b(kot_\w+)/g;
    my @unknown = grep { !$s->{fam}{$_} } sort keys %named;
    (my $short = $doc) =~ s{^\Q$repo\E/}{};
    ok %named && !@unknown, "$short names only metrics of the page"
        or diag "unknown: @unknown";
    is_deeply [ sort keys %named ], [ sort keys %{ $s->{fam} } ],
        '  and the manual explains every one' if $doc =~ /README/;
}

ok wait_until(sub { now_value('kot_redis_up') == 1 },
              what => 'kot_redis_up 1'),
    'kot_redis_up is 1 once the workers reach Redis';
is now_value('kot_redis_replicas'), -1,
    'kot_redis_replicas is -1 without Sentinel (t/sentinel_lone_master.t '
    . 'has it with)';

is $n->ua->get('/metrics-closed')->{status}, 403,
    'nginx\'s allow and deny protect the page';
my $post = $n->ua->request('POST', '/metrics', { content => 'x' });
is $post->{status}, 405, 'it answers GET only';
is $post->{headers}{allow}, 'GET, HEAD', '  and its Allow header says so';

for my $conf ([ 'proxy_pass http://%%APP%%; kot_status;',
                 qr/"kot_status" directive needs a location of its own/,
                 'kot_status beside proxy_pass' ],
              [ 'kot_status; kot_status;',
                qr/"kot_status" directive is duplicate/,
                'kot_status twice' ]) {
    my ($rc, $out) = $t->nginx_check(<<"EOF");
    server {
        listen 127.0.0.1:%%PORT%%;
        location = /m { $conf->[0] }
    }
EOF
    isnt $rc, 0, "nginx -t refuses $conf->[2]";
    like $out, $conf->[1], '  and says why';
}


# ---------------------------------------------------------------------
# each counter moves when its event happens
# ---------------------------------------------------------------------

my @moved = moved(sub {
    is login()->{status}, 303, 'a login succeeds';
}, [ 'kot_logins_total', outcome => 'success', reason => '' ],
   [ 'kot_logins_total', outcome => 'failure', reason => 'bad_password' ],
   [ 'kot_audit_records_total' ],
   [ 'kot_hash_seconds_count' ],
   [ 'kot_redis_latency_seconds_count' ]);
is $moved[0], 1, 'a successful login counts once as a success';
is $moved[1], 0, '  and not as a failure';
cmp_ok $moved[2], '>=', 1, '  its audit record is counted';
is $moved[3], 1, '  its password hash is timed';
cmp_ok $moved[4], '>=', 2, '  and so are its Redis commands';

@moved = moved(sub {
    is login(user => 'erin', password => 'wrong')->{status}, 401,
        'a wrong password fails';
    is login(user => 'nobody')->{status}, 401, 'an unknown user fails';
}, [ 'kot_logins_total', outcome => 'failure', reason => 'bad_password' ],
   [ 'kot_logins_total', outcome => 'failure', reason => 'unknown_user' ],
   [ 'kot_logins_total', outcome => 'success', reason => '' ]);
is_deeply \@moved, [ 1, 1, 0 ],
    'failures count under the reason of their audit record';

@moved = moved(sub {
    login(user => 'bob', password => 'wrong') for 1 .. 3;
    is login(user => 'bob', password => 'battery staple horse')->{status},
        401, 'the third failure locked bob out';
}, [ 'kot_lockouts_total' ],
   [ 'kot_logins_total', outcome => 'failure', reason => 'locked' ]);
is_deeply \@moved, [ 1, 1 ],
    'the lockout is counted once, and the login refused for it as locked';

@moved = moved(sub {
    my @st = map { login(user => 'mallory', password => 'wrong',
                         ip => '192.0.2.77')->{status} } 1 .. 4;
    is $st[-1], 429, 'the fourth attempt from one address is throttled';
}, [ 'kot_login_throttled_total' ]);
is $moved[0], 1, 'the throttled attempt is counted';

my $r = $t->kotctl('allowlist', 'fenced', 'access', 'set', '10.1.0.0/16');
die "kotctl allowlist: $r->{err}" if $r->{exit};
$r = $t->kotctl('allowlist', 'acme', 'admin', 'set', '10.9.0.0/16');
die "kotctl allowlist: $r->{err}" if $r->{exit};

my ($res, $ua);
@moved = moved(sub {
    is login(tenant => 'fenced', user => 'carol',
             password => 'staple battery horse')->{status}, 403,
        'a login from outside the tenant\'s access list is refused';
    ($res, $ua) = login();
    is $res->{status}, 303, 'alice logs in';
    is $ua->get('/admin/x', { 'X-Real-IP' => '198.51.100.200' })->{status},
        403, 'a page behind the admin list is refused outside it';
}, [ 'kot_ip_denied_total', list => 'access' ],
   [ 'kot_ip_denied_total', list => 'admin' ]);
is_deeply \@moved, [ 1, 1 ], 'each refusal counts under its list';


# Protected requests: the first check of a session asks Redis; once a
# worker's cache holds it, later ones are answered from there.

@moved = moved(sub {
    ($res, $ua) = login();
    my $start = now_value('kot_sessions_checked_total', source => 'cache');
    for (1 .. 60) {
        is $ua->get("/app/$_")->{status}, 200, "protected request $_"
            or last;
        last if now_value('kot_sessions_checked_total', source => 'cache')
                > $start;
    }
}, [ 'kot_sessions_checked_total', source => 'redis' ],
   [ 'kot_sessions_checked_total', source => 'cache' ]);
cmp_ok $moved[0], '>=', 1,
    'the first check of a new session asks Redis, and is counted';
cmp_ok $moved[1], '>=', 1, 'one that the cache answered is counted';
cmp_ok now_value('kot_session_cache_entries'), '>=', 1,
    'the cached session shows in kot_session_cache_entries';


# ---------------------------------------------------------------------
# two workers, one total
# ---------------------------------------------------------------------

my (%served, $logins);
my ($before) = value(scrape(), 'kot_logins_total', outcome => 'success',
                     reason => '');
for (1 .. 40) {
    my $res = login();
    $served{ $res->{headers}{'x-worker'} }++;
    $logins++;
    last if keys %served >= 2 && $logins >= 6;
}
is scalar(keys %served), 2, "both workers served logins ($logins)";

my %views;
for (1 .. 40) {
    my $s = scrape();
    $views{ $s->{worker} } = value($s, 'kot_logins_total',
                                   outcome => 'success', reason => '');
    last if keys %views >= 2;
}
is scalar(keys %views), 2, 'both workers answered the status page';
is_deeply [ values %views ], [ ($before + $logins) x 2 ],
    'and both show every login of both workers';


# ---------------------------------------------------------------------
# histograms, and no names
# ---------------------------------------------------------------------

$s = scrape();
for my $h (qw(kot_redis_latency_seconds kot_hash_seconds)) {
    my @b = grep { $_->[0] eq "${h}_bucket" } @{ $s->{fam}{$h}{samples} };
    is $b[-1][2], value($s, "${h}_count"), "$h: +Inf is _count";
    ok !grep({ $b[$_][2] < $b[$_ - 1][2] } 1 .. $#b),
        "$h: the buckets are cumulative";
    cmp_ok value($s, "${h}_sum"), '>', 0, "$h: the sum of what was timed";
}
my @names = qw(alice bob carol erin mallory nobody acme fenced 198.51.100
               192.0.2);
ok !grep({ $s->{text} =~ /\Q$_\E/ } @names),
    'the page names no user, tenant or address';


# ---------------------------------------------------------------------
# counts survive a killed worker and a reload
# ---------------------------------------------------------------------

sub totals ($s) {
    my %v;
    for my $f (keys %{ $s->{fam} }) {
        next if $s->{fam}{$f}{type} eq 'gauge';
        for my $x (@{ $s->{fam}{$f}{samples} }) {
            $v{ join ',', $x->[0], map { "$_=$x->[1]{$_}" }
                sort keys %{ $x->[1] } } = $x->[2];
        }
    }
    return \%v;
}

sub not_less ($old, $new) {
    return grep { $new->{$_} < $old->{$_} } keys %$old;
}

my $old = totals(scrape());
my @workers = $n->worker_pids;
kill 'KILL', $workers[0];
ok wait_until(sub { my @w = $n->worker_pids;
                    @w == 2 && !grep { $_ == $workers[0] } @w },
              what => 'the master to respawn the worker'),
    'a killed worker is respawned';
ok wait_until(sub { now_value('kot_redis_up') == 1 },
              what => 'kot_redis_up 1 after the respawn'),
    'the new worker reaches Redis';
my @less = not_less($old, totals(scrape()));
is_deeply \@less, [], 'no count went back when a worker was killed';

$old = totals(scrape());
ok $n->reload, 'a reload succeeds';
my @went_back;
for (1 .. 10) {
    push @went_back, not_less($old, totals(scrape()));
}
is_deeply \@went_back, [], 'no count went back across the reload';
ok wait_until(sub { now_value('kot_redis_up') == 1 }, timeout => 5,
              what => 'kot_redis_up 1 after the reload'),
    'kot_redis_up is 1 after the reload: old workers leave the gauge alone';
Time::HiRes::sleep(0.3);
is now_value('kot_redis_up'), 1, '  and it stays 1';


# ---------------------------------------------------------------------
# Redis down
# ---------------------------------------------------------------------

ok wait_until(sub { $ua->get('/app/again');
                    now_value('kot_session_cache_entries') >= 1 },
              what => 'a session in a new worker\'s cache'),
    'the new workers cache sessions again';
my $errors = now_value('kot_redis_errors_total');
$t->stop_redis;
ok wait_until(sub { now_value('kot_redis_up') == 0 },
              what => 'kot_redis_up 0'),
    'with Redis down, kot_redis_up is 0';
is now_value('kot_session_cache_entries'), 0,
    'and the session caches, which can no longer be trusted, are empty';
is $ua->get('/app/down')->{status}, 503,
    'a protected request gets 503';
cmp_ok now_value('kot_redis_errors_total'), '>', $errors,
    'and its failed Redis command is counted';
$t->start_redis;
ok wait_until(sub { now_value('kot_redis_up') == 1 },
              what => 'kot_redis_up 1 again'),
    'once Redis is back, kot_redis_up is 1 again';


# ---------------------------------------------------------------------
# a full hash queue, and an audit log that cannot be written
# ---------------------------------------------------------------------

# One hash thread, a queue of one, and slow hashes: a burst overflows.
my $busy = $t->nginx(<<"EOF", name => 'busy', workers => 1,
    kot_redis %%REDIS%% timeout=1s;
    kot_secret_file %%SECRET%%;
    kot_thread_pool kot_busy;
    kot_password_hash scrypt ln=16;
    kot_insecure_cookie on;
    kot_login_throttle off;
    kot_audit_log /dev/full;
    kot_audit_auditor_key $pub;

    server {
        listen 127.0.0.1:%%PORT%%;
        location /kot/ { kot_portal; }
        location = /metrics { kot_status; }
    }
EOF
    extra_main => 'thread_pool kot_busy threads=1 max_queue=1;');

sub busy_value ($name) {
    my $res = $busy->ua->get('/metrics');
    return value({ fam => parse_exposition($res->{content}) }, $name);
}

my $full = busy_value('kot_hash_queue_full_total');
my $werr = busy_value('kot_audit_write_errors_total');
cmp_ok $werr, '>=', 1,
    'an audit log that cannot be written counts its write errors';

my $bua = $busy->ua;
my $csrf = KotTest::UA::form_field($bua->get('/kot/login')->{content}, 'csrf');
my @burst = map { $bua->post_form_detached('/kot/login', {
                      csrf => $csrf, tenant => 'acme', username => "u$_",
                      password => 'guess' }) } 1 .. 8;
my $refused = grep { (KotTest::UA::status($_, 60) // 0) == 503 } @burst;
cmp_ok $refused, '>=', 1, "a burst of logins overflows the queue ($refused)";
is busy_value('kot_hash_queue_full_total') - $full, $refused,
    'kot_hash_queue_full_total counts each refusal';
cmp_ok busy_value('kot_audit_write_errors_total'), '>', $werr,
    'the records of the burst that were lost count as write errors';

done_testing;
