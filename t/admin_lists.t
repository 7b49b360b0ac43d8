# A tenant's allow-lists, password policy and events through the admin
# API: lists replaced and applied at once, a list that would shut out
# the admin refused unless forced, a policy tightened but never
# loosened, two admins changing a list or the policy at once (the one
# whose read is older changes nothing: ETag and If-Match, 412), and the
# events, newest first.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use KotTest::Admin;
use Test::More;
use JSON::PP ();

my $t = KotTest->new;
my $n = $t->nginx(KotTest::Admin->site);

my $PW = 'correct horse battery';
my $A = 'KotTest::Admin';
my $T = JSON::PP::true;

$t->add_user('ops', 'root', $PW, roles => ['admin']);
$t->add_user('acme', 'alice', $PW, roles => ['admin']);
$t->add_user('acme', 'bob', $PW, roles => ['user']);

my $alice = $A->login($n, 'acme', 'alice', $PW);
my $root = $A->login($n, 'ops', 'root', $PW);

sub logs_in ($user, $password) {
    return $n->ua->login(tenant => 'acme', username => $user,
                         password => $password)->{status} == 303;
}

sub if_match ($etag) { return { headers => { 'If-Match' => $etag } } }

# The tenant's records of an action, in its events list.
sub events_of ($action) {
    return scalar grep { /"\Q$action\E"/ }
        @{ $t->redis('LRANGE', 'kot:v1:ev:acme', 0, -1) };
}

# The module writes a call's record after its answer: a record missing
# right after a call may still come.  A barrier: a later call (a tenant
# admin deleting its tenant, refused and recorded), whose record is
# waited for, so that any record of the calls before it is there too.
sub barrier () {
    my $before = events_of('admin_api');
    $alice->call(DELETE => 'tenants/acme');
    return wait_until(sub { events_of('admin_api') > $before },
                      what => 'the record of a later call');
}


# allow-lists

my $res = $alice->call(GET => 'tenants/acme/allowlists/access');
is $res->{status}, 200, 'GET an allow-list';
is_deeply $res->{json}, { networks => [] }, 'empty: it allows everyone';

$res = $alice->call(PUT => 'tenants/acme/allowlists/access',
                    { networks => ['2001:DB8::/32', '10.1.0.0/16',
                                   '127.0.0.1', '::ffff:10.1.2.0/120',
                                   '10.1.0.0/16'] });
is $res->{status}, 200, 'PUT replaces it: 200';
is_deeply $res->{json}{networks},
    ['10.1.0.0/16', '10.1.2.0/24', '127.0.0.1/32', '2001:db8::/32'],
    'with each network once, canonical, in order';
is_deeply $alice->call(GET => 'tenants/acme/allowlists/access')->{json},
    $res->{json}, 'GET shows the same';
is_deeply [ sort @{ $t->redis('SMEMBERS', 'kot:v1:al:acme:access') } ],
    ['10.1.0.0/16', '10.1.2.0/24', '127.0.0.1/32', '2001:db8::/32'],
    'as kotctl stores them';
is $t->kotctl('allowlist', 'acme', 'access', 'list')->{out} =~ tr/\n//, 4,
    'kotctl lists them too';
ok logs_in('bob', $PW), 'this address is in it: bob logs in';

# the same list again is as asked already: nothing written, the version
# kept (no node reloads the list), nothing recorded
sub list_changes () { return events_of('allowlist_changed') }
my $version = $t->redis('GET', 'kot:v1:alv:acme');
ok wait_until(sub { list_changes() == 1 }, what => 'the change\'s event'),
    'the change is among the tenant\'s events (written after the answer)';
$res = $alice->call(PUT => 'tenants/acme/allowlists/access',
                    { networks => ['127.0.0.1/32', '2001:db8::/32',
                                   '10.1.2.0/24', '10.1.0.0/16'] });
is $res->{status}, 200, 'PUT of the list it holds: 200';
is_deeply $res->{json}{networks},
    ['10.1.0.0/16', '10.1.2.0/24', '127.0.0.1/32', '2001:db8::/32'],
    '  with the list';
is $t->redis('GET', 'kot:v1:alv:acme'), $version, '  the version kept';
ok barrier(), '  (the record of a call made after it is there)';
is list_changes(), 1, '  and nothing recorded';

$res = $alice->call(PUT => 'tenants/acme/allowlists/access',
                    { networks => ['10.0.0.0/8'] });
$A->is_error($res, 409, 'would_lock_out_caller',
             'a list without the admin\'s own address: 409');
like $res->{json}{detail}, qr/"force":true/, 'which says how to insist';
is $t->redis('SCARD', 'kot:v1:al:acme:access'), 4, 'and nothing changed';
$A->is_error($alice->call(PUT => 'tenants/acme/allowlists/admin',
                          { networks => ['192.0.2.0/24'] }),
             409, 'would_lock_out_caller', 'the admin list too');

$res = $alice->call(PUT => 'tenants/acme/allowlists/admin',
                    { networks => ['127.0.0.0/8'] });
is $res->{status}, 200, 'an admin list that holds it is fine';

$res = $alice->call(PUT => 'tenants/acme/allowlists/access',
                    { networks => ['10.0.0.1/8', 'x', '1.2.3.4', '01.2.3.4',
                                   '2001:db8::/129'] });
$A->is_error($res, 422, 'invalid_cidr', 'a network that is none: 422');
my $hint = '\(did you mean 10\.0\.0\.0/8\?\)';
like $res->{json}{detail},
    qr{"10\.0\.0\.1/8" is not a network: host bits set $hint},
    'naming the first bad one, with a hint';
# the console words each refused line by its code, not by the English
is_deeply $res->{json}{refused}, [
    { index => 0, network => '10.0.0.1/8', reason => 'host_bits_set',
      detail => 'host bits set (did you mean 10.0.0.0/8?)',
      suggestion => '10.0.0.0/8' },
    { index => 1, network => 'x', reason => 'bad_character',
      detail => "unexpected characters (an address has only digits, a-f, "
                . "'.', ':' and one '/')" },
    { index => 3, network => '01.2.3.4', reason => 'leading_zero',
      detail => 'leading zeros in IPv4 numbers are ambiguous (octal or '
                . 'decimal?)' },
    { index => 4, network => '2001:db8::/129',
      reason => 'prefix_range_ipv6',
      detail => 'prefix length out of range (IPv6 allows /0 to /128)' },
], 'and every refused line: where, why as a code and in words, and a hint';

$res = $alice->call(PUT => 'tenants/acme/allowlists/access',
                    { networks => [('x') x 150, "\x{3042}" x 30] });
is scalar @{$res->{json}{refused} // []}, 100,
    'a list of many bad lines names the first 100';
$res = $alice->call(PUT => 'tenants/acme/allowlists/access',
                    { networks => ["\x{3042}" x 30] });
is $res->{json}{refused}[0]{network}, "\x{3042}" x 21 . "\x{fffd}",
    'a long line is named cut, as the parser reads it';
$A->is_error($alice->call(PUT => 'tenants/acme/allowlists/access', {}),
             400, 'missing_field', 'PUT without networks: 400');

is $alice->call(PUT => 'tenants/acme/allowlists/access',
                { networks => ['192.0.2.0/24'], force => $T })->{status},
    200, 'with "force" the list is stored';
ok !logs_in('bob', $PW), 'and applies at once: bob is refused';
$A->is_error($alice->call(GET => 'session'), 403, 'ip_not_allowed',
             'and so is the admin who forced it');

is $t->kotctl('allowlist', 'acme', 'access', 'set')->{exit}, 0,
    '(kotctl, as root, empties it again)';
ok logs_in('bob', $PW), 'bob is back';

is $alice->call(GET => 'tenants/acme/allowlists/admin')->{status}, 200,
    'the admin list is read alike';

my @many = ('127.0.0.1', map { "10.$_->[0].$_->[1].0/24" }
                         map { my $x = $_; map { [$x, $_] } 0 .. 99 } 0 .. 29);
$res = $alice->call(PUT => 'tenants/acme/allowlists/access',
                    { networks => \@many });
is scalar @{ $res->{json}{networks} }, 3001, 'a list of 3,001 networks';
my $big;
wait_until(sub {
    ($big) = grep { $_->{'event.action'} eq 'allowlist_changed' }
             @{ $alice->call(GET => 'tenants/acme/events')->{json}{events} };
    return $big && $big->{'kot.change_omitted'};
}, what => 'the change in the events list');
ok $big->{'kot.change_omitted'} && !$big->{'kot.change'},
    'goes to the events list without its kot.change, which is too long';
$t->kotctl('allowlist', 'acme', 'access', 'set');

$t->redis('HSET', 'kot:v1:grant:acme', 'by', 'alice', 'expires',
          (time + 3600) * 1000);
$t->redis('PEXPIRE', 'kot:v1:grant:acme', 3_600_000);
$A->is_error($root->call(PUT => 'tenants/acme/allowlists/access',
                         { networks => ['192.0.2.0/24'] }),
             403, 'forbidden', 'a system admin, even under a grant, sets '
                               . 'no list of another tenant');
is $root->call(GET => 'tenants/acme/allowlists/access')->{status}, 200,
    'but reads it';
$t->redis('DEL', 'kot:v1:grant:acme');

# A tenant gone between the read of its list and the write (deleted on
# another node): 404, and the worker keeps none of the list it read.
# 2,000 such PUTs of a list of 200 networks held ~50 MB when the list
# read was never freed.
$t->redis('SADD', 'kot:v1:al:acme:access', '127.0.0.0/8',
          map { "10.9.$_.0/24" } 1 .. 199);
$t->redis('RENAME', 'kot:v1:t:acme', 'kot:v1:t:acme-gone');
$A->is_error($alice->call(PUT => 'tenants/acme/allowlists/access',
                          { networks => [] }),
             404, 'not_found', 'a PUT to a tenant deleted meanwhile: 404');
is $t->redis('SCARD', 'kot:v1:al:acme:access'), 200,
    'and the list is as it was';

sub workers_rss_kb () {
    my $kb = 0;
    for my $pid ($n->worker_pids) {
        open my $f, '<', "/proc/$pid/status" or next;
        while (<$f>) { $kb += $1 if /^VmRSS:\s+(\d+)/ }
    }
    return $kb;
}

sub refused_puts ($count) {
    $alice->call(PUT => 'tenants/acme/allowlists/access',
                 { networks => [] }) for 1 .. $count;
}

refused_puts(200);              # the workers' pools and caches, warm
my $rss = workers_rss_kb();
refused_puts(2000);
SKIP: {
    # AddressSanitizer keeps freed memory in its quarantine (256 MB);
    # there LeakSanitizer reports what is never freed
    skip 'RSS says nothing under make check-memory', 1
        if $ENV{KOT_TEST_MODULE};
    cmp_ok workers_rss_kb() - $rss, '<', 8 * 1024,
        'after 2,000 of them the workers have grown by less than 8 MB';
}

$t->redis('RENAME', 'kot:v1:t:acme-gone', 'kot:v1:t:acme');
$t->redis('DEL', 'kot:v1:al:acme:access');


# two admins editing a list at once: the one whose read is older changes
# nothing (412), and is answered the list as it now is, with its ETag

$t->add_user('acme', 'carol', $PW, roles => ['admin']);
my $carol = $A->login($n, 'acme', 'carol', $PW);
my $ACCESS = 'tenants/acme/allowlists/access';
sub access_list () {
    return [ sort @{ $t->redis('SMEMBERS', 'kot:v1:al:acme:access') } ];
}

my $etag = $alice->call(GET => $ACCESS)->{headers}{etag};
like $etag, qr/^"[A-Za-z0-9_-]+"$/, 'GET of a list answers a strong ETag';
is $carol->call(GET => $ACCESS)->{headers}{etag}, $etag,
    '  the same for both admins';

$res = $alice->call(PUT => $ACCESS,
                    { networks => ['127.0.0.0/8', '10.1.0.0/16'] },
                    if_match($etag));
is $res->{status}, 200, 'the first PUT with If-Match: 200';
my $new = $res->{headers}{etag};
ok $new && $new ne $etag, '  with the new ETag';
is $alice->call(GET => $ACCESS)->{headers}{etag}, $new, '  as GET says';

ok barrier(), '  (the record of a call made after it is there)';
my $changes = list_changes();
$res = $carol->call(PUT => $ACCESS,
                    { networks => ['127.0.0.0/8', '192.0.2.0/24'] },
                    if_match($etag));
$A->is_error($res, 412, 'precondition_failed',
             'the second, on the list it read before: 412');
is_deeply $res->{json}{networks}, ['10.1.0.0/16', '127.0.0.0/8'],
    '  with the list as it now is';
is $res->{headers}{etag}, $new, '  and its ETag';
is_deeply access_list(), ['10.1.0.0/16', '127.0.0.0/8'],
    '  and the first admin\'s list kept';
ok barrier(), '  (the record of a call made after it is there)';
is list_changes(), $changes, '  nothing recorded';

$res = $carol->call(PUT => $ACCESS,
                    { networks => ['127.0.0.0/8', '192.0.2.0/24'] },
                    if_match($new));
is $res->{status}, 200, 'made again on the list as it now is: 200';
is_deeply access_list(), ['127.0.0.0/8', '192.0.2.0/24'], '  as asked';
$new = $res->{headers}{etag};

is $t->kotctl('allowlist', 'acme', 'access', 'add', '10.2.0.0/16')
    ->{exit}, 0, '(kotctl adds a network)';
$A->is_error($alice->call(PUT => $ACCESS, { networks => ['127.0.0.0/8'] },
                          if_match($new)),
             412, 'precondition_failed', 'a change by kotctl meanwhile: 412');
is scalar @{ access_list() }, 3, '  nothing changed';
$A->is_error($alice->call(GET => $ACCESS, undef, if_match($new)),
             412, 'precondition_failed',
             'a GET whose If-Match is not the list\'s: 412');
my $now = $alice->call(GET => $ACCESS)->{headers}{etag};
is $alice->call(GET => $ACCESS, undef, if_match($now))->{status}, 200,
    '  with the list\'s own: 200';
$A->is_error($alice->call(PUT => 'tenants/acme/allowlists/admin',
                          { networks => ['127.0.0.0/8'] },
                          if_match('"' . 'x' x 2000 . '"')),
             412, 'precondition_failed', 'an ETag that is none: 412');

is $alice->call(PUT => $ACCESS, { networks => ['127.0.0.0/8'] })
    ->{status}, 200, 'a PUT without If-Match replaces the list, as before';
is_deeply access_list(), ['127.0.0.0/8'], '  as asked';
$t->redis('DEL', 'kot:v1:al:acme:access');


# password policy

$res = $alice->call(GET => 'tenants/acme/policy');
is $res->{status}, 200, 'GET the policy';
is_deeply $res->{json}{rules}, {}, 'the tenant has no rules of its own';
is $res->{json}{server}{min_length}, 12, 'the server\'s rules';
is_deeply $res->{json}{effective}, $res->{json}{server},
    'which are in force';

$res = $alice->call(PUT => 'tenants/acme/policy',
                    { min_length => 16, classes => '3', not_username => $T,
                      max_age => '90d', history => 3 });
is $res->{status}, 200, 'PUT tightens it: 200';
is_deeply $res->{json}{rules},
    { min_length => '16', classes => '3', not_username => 'on',
      max_age => '90d', history => '3' },
    'the rules as kotctl tenant policy sets them';
is_deeply [ @{ $res->{json}{effective} }{qw(min_length classes max_age)} ],
    [16, 3, '90d'], 'and in force';
is_deeply $alice->call(GET => 'tenants/acme/policy')->{json}, $res->{json},
    'GET shows the same';
my $r = $t->kotctl('tenant', 'policy', 'acme');
like $r->{out}, qr/min_length=16/, 'so does kotctl';

$res = $alice->call(POST => 'tenants/acme/users',
                    { username => 'eve', roles => ['user'],
                      password => 'only twelve!' });
$A->is_error($res, 422, 'password_policy', 'a new password follows it');
like $res->{json}{detail}, qr/at least 16/, 'at once';
$res = $alice->call(POST => 'tenants/acme/users',
                    { username => 'eve', roles => ['user'] });
like $res->{json}{temporary_password}, qr/^.{20,}$/,
    'and the temporary ones do too';

$res = $alice->call(PUT => 'tenants/acme/policy', { min_length => 8 });
$A->is_error($res, 422, 'policy_loosened',
             'a rule looser than the server\'s: 422');
like $res->{json}{detail}, qr/min_length=8 would loosen/, 'named';
is_deeply [ @{ $res->{json} }{qw(rule reason limit)} ],
    [ 'min_length', 'looser', '12' ],
    'and for a console to word: the rule, why, and the server\'s bound';
$res = $alice->call(PUT => 'tenants/acme/policy', { max_age => 'soon' });
$A->is_error($res, 422, 'invalid_policy', 'a time that is none: 422');
is_deeply [ @{ $res->{json} }{qw(rule reason)} ], [ 'max_age', 'time' ],
    'the rule and why';
$res = $alice->call(PUT => 'tenants/acme/policy', { history => 99 });
$A->is_error($res, 422, 'invalid_policy', 'a count out of range: 422');
is_deeply [ @{ $res->{json} }{qw(rule reason min limit)} ],
    [ 'history', 'range', '0', '24' ], 'the rule and its range';
$res = $alice->call(PUT => 'tenants/acme/policy',
                    { min_age => '30d', max_age => '1d' });
$A->is_error($res, 422, 'invalid_policy', 'rules that contradict: 422');
is_deeply [ @{ $res->{json} }{qw(rule reason limit)} ],
    [ 'min_age', 'shorter', '1d' ], 'the rule and the bound it must keep';
$A->is_error($alice->call(PUT => 'tenants/acme/policy',
                          { max_length => 300 }),
             400, 'unknown_field', 'max_length is the server\'s: 400');
$res = $alice->call(PUT => 'tenants/acme/policy', { max_age => 'x' x 40 });
$A->is_error($res, 422, 'invalid_policy', 'a very long value: 422');
is $res->{json}{rule}, 'max_age', 'the rule named';
$res = $alice->call(PUT => 'tenants/acme/policy', { min_length => '1' x 40 });
like $res->{json}{detail}, qr/^"min_length": over 32 characters/,
    'a long count is called too long, not "not a time"';
is $t->redis('HGET', 'kot:v1:t:acme', 'policy.min_length'), '16',
    'the refusals changed nothing';

$res = $alice->call(PUT => 'tenants/acme/policy', { min_length => 14 });
is_deeply $res->{json}{rules}, { min_length => '14' },
    'PUT replaces the rules: those left out are gone';
is $t->redis('HEXISTS', 'kot:v1:t:acme', 'policy.max_age'), 0,
    'from Redis too';

# two admins changing the policy at once
$res = $alice->call(GET => 'tenants/acme/policy');
$etag = $res->{headers}{etag};
like $etag, qr/^"[A-Za-z0-9_-]+"$/, 'GET of the policy answers an ETag';
$res = $alice->call(PUT => 'tenants/acme/policy', { min_length => 15 },
                    if_match($etag));
is $res->{status}, 200, 'a PUT with it: 200';
$new = $res->{headers}{etag};
ok $new && $new ne $etag, '  with the new ETag';
is $carol->call(GET => 'tenants/acme/policy')->{headers}{etag}, $new,
    '  as GET says';
$res = $carol->call(PUT => 'tenants/acme/policy',
                    { min_length => 20, history => 5 }, if_match($etag));
$A->is_error($res, 412, 'precondition_failed',
             'another on the policy read before: 412');
is_deeply $res->{json}{rules}, { min_length => '15' },
    '  with the rules as they now are';
is $res->{json}{effective}{min_length}, 15, '  and in force';
is $res->{headers}{etag}, $new, '  and their ETag';
is $t->redis('HGET', 'kot:v1:t:acme', 'policy.min_length'), '15',
    '  nothing changed';
is $t->redis('HEXISTS', 'kot:v1:t:acme', 'policy.history'), 0,
    '  not even the rule the first did not set';
is $t->kotctl('tenant', 'policy', 'acme', 'min_length=16')->{exit}, 0,
    '(kotctl sets a rule)';
$A->is_error($carol->call(PUT => 'tenants/acme/policy', { min_length => 20 },
                          if_match($new)),
             412, 'precondition_failed', 'a rule set by kotctl meanwhile: 412');
$res = $carol->call(PUT => 'tenants/acme/policy', { min_length => 14 });
is $res->{status}, 200, 'a PUT without If-Match replaces the rules, as before';
is_deeply $res->{json}{rules}, { min_length => '14' }, '  as asked';


# events

$n->ua->login(tenant => 'acme', username => 'bob', password => 'wrong');

my $events;
wait_until(sub {
    $events = $alice->call(GET => 'tenants/acme/events')->{json}{events};
    return grep { $_->{'event.reason'} && $_->{'event.reason'}
                  eq 'bad_password' } @$events;
}, what => 'the failed login in the events list');
ok scalar(@$events) > 5, 'GET events lists the tenant\'s events';
# in the order Redis got them: two workers' records may cross by the
# time between making a record and pushing it (a few ms, more on a busy
# machine)
my @ms = map { my ($h, $m, $s) = $_->{'@timestamp'} =~ /T(\d+):(\d+):([\d.]+)Z/;
               (($h * 60 + $m) * 60 + $s) * 1000 } @$events;
is scalar(grep { $ms[$_] < $ms[$_ + 1] - 250 } 0 .. $#ms - 1), 0,
    'newest first';
is $events->[0]{'event.action'}, 'login',
    'the last one: the failed login';
ok scalar(grep { $_->{'event.action'} eq 'tenant_policy_changed' }
          @$events), 'admin changes are there';
ok scalar(grep { $_->{'event.action'} eq 'ip_denied' } @$events),
    'and refusals';
ok !grep({ $_->{'organization.id'} && $_->{'organization.id'} ne 'acme'
           && !$_->{'kot.target.tenant'} } @$events),
    'nothing of another tenant';

is scalar @{ $alice->call(GET => 'tenants/acme/events?limit=2')
             ->{json}{events} }, 2, '?limit= takes the newest few';
$A->is_error($alice->call(GET => 'tenants/acme/events?limit=0'), 400,
             'invalid_parameter', 'limit 0: 400');
$A->is_error($alice->call(GET => 'tenants/acme/events?limit=1001'), 400,
             'invalid_parameter', 'over 1000: 400');
$A->is_error($alice->call(GET => 'tenants/acme/events?limit=x'), 400,
             'invalid_parameter', 'not a number: 400');
for my $q ('limit=2&limit=3', 'limit=2&LIMIT=2', 'limit&limit=2') {
    $res = $alice->call(GET => "tenants/acme/events?$q");
    $A->is_error($res, 400, 'duplicate_parameter',
                 "?$q: 400, neither taken");
    is $res->{json}{parameter}, 'limit', '  naming the parameter';
}

done_testing;
