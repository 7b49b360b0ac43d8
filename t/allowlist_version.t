# A worker's cached allow-list follows the version Redis reports, also
# when that version goes back: Redis restored from a backup, or a replica
# promoted that had not seen the last change, reached through a new
# connection.  A list cached at a version that Redis later gives to
# other networks must not stay in force.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;

my $t = KotTest->new(workers => 1);

my $n = $t->nginx(KotTest->site(server => <<'EOF'));
        set_real_ip_from 127.0.0.1;
        real_ip_header X-Real-IP;
EOF

$t->add_user('acme', 'alice', 'correct horse battery');

sub from ($addr) { return ('X-Real-IP' => $addr) }

sub allow (@args) {
    my $r = $t->kotctl('allowlist', 'acme', @args);
    die "kotctl allowlist @args: $r->{err}" if $r->{exit};
}

allow('access', 'set', '10.1.0.0/16');
allow('access', 'add', '10.9.0.0/16');
is $t->redis('GET', 'kot:v1:alv:acme'), 2, 'the list is at version 2';

my $ua = $n->ua;
my %h = from('10.1.2.3');
my $form = $ua->get('/kot/login', \%h);
my $res = $ua->post_form('/kot/login', {
    csrf => KotTest::UA::form_field($form->{content}, 'csrf'),
    tenant => 'acme', username => 'alice',
    password => 'correct horse battery' }, \%h);
is $res->{status}, 303, 'an address in the list logs in';
is $ua->get('/app', { from('10.1.2.3') })->{status}, 200,
    'and its requests pass: the worker caches version 2';

# Redis as it was at version 1, before 10.9.0.0/16 was added, reached
# through new connections, as a restored or promoted one is
$t->redis('SET', 'kot:v1:alv:acme', 1);
$t->redis('SREM', 'kot:v1:al:acme:access', '10.9.0.0/16');
sub commands_clients () {
    my $list = $t->redis('CLIENT', 'LIST', 'TYPE', 'normal');
    return map { /\bid=(\d+)\b.*\bname=kot-data-/ ? $1 : () }
           split /\n/, $list;
}

my @before = commands_clients();
ok @before, 'the worker has its command connection to Redis';
$t->redis('CLIENT', 'KILL', 'TYPE', 'normal');

# no request meanwhile: the worker does not see the version go back
KotTest::wait_until(sub {
    my @now = commands_clients();
    @now && !grep { my $id = $_; grep { $_ == $id } @before } @now
}, what => 'nginx connected to Redis again');

# an administrator then gives the tenant other networks: version 2 again
allow('access', 'set', '10.5.0.0/16');
is $t->redis('GET', 'kot:v1:alv:acme'), 2, 'the new list is at version 2';

is $ua->get('/app', { from('10.1.2.3') })->{status}, 403,
    'an address no longer in the list is refused, not let in by the '
    . 'list cached under the same version';
is $ua->get('/app', { from('10.5.0.1') })->{status}, 200,
    'an address in the new list passes';

# a version that goes back on the same connection: read again too
$t->redis('SET', 'kot:v1:alv:acme', 1);
$t->redis('SADD', 'kot:v1:al:acme:access', '10.7.0.0/16');
is $ua->get('/app', { from('10.7.0.1') })->{status}, 200,
    'a version older than the one cached is read again, not ignored';

done_testing;
