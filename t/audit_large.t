# Records larger than the audit log's buffer: an administrator's change
# that names thousands of networks is written whole, in its own write,
# and the log goes on verifying.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use KotTest::Admin;
use Test::More;

my $t = KotTest->new(workers => 1);
my ($priv, $pub) = $t->auditor_keys;
my $log = $t->dir . '/a/audit.log';

my $n = $t->nginx(KotTest::Admin->site(
    http => "kot_audit_log %%DIR%%/audit.log buffer=4k flush=200ms;\n"
          . "    kot_audit_auditor_key $pub;\n"));

my $PW = 'correct horse battery';
$t->add_user('acme', 'alice', $PW, roles => ['admin']);
my $alice = KotTest::Admin->login($n, 'acme', 'alice', $PW);

sub records () { $t->audit_records($log) }

my @many = ('127.0.0.1', map { "10.$_->[0].$_->[1].0/24" }
                         map { my $x = $_; map { [$x, $_] } 0 .. 99 } 0 .. 29);
my $res = $alice->call(PUT => 'tenants/acme/allowlists/access',
                       { networks => \@many });
is $res->{status}, 200, 'a list of 3,001 networks is set';

# then a request after it, so that the record has one behind it
$alice->call(GET => 'tenants/acme/allowlists/access');
$alice->call(PUT => 'tenants/acme/allowlists/access', { networks => [] });

my ($big);
KotTest::wait_until(sub {
    my @recs = records();
    ($big) = grep { $_->{'event.action'} eq 'allowlist_changed'
                    && @{ $_->{'kot.change'}{after}{networks} // [] } }
             @recs;
    $big && grep { $_->{'event.action'} eq 'allowlist_changed'
                   && !@{ $_->{'kot.change'}{after}{networks} // [1] } }
            @recs;
}, what => 'both changes in the audit log');

ok $big, 'the change of 3,001 networks is in the audit log';
is scalar @{ $big->{'kot.change'}{after}{networks} }, 3001,
    'whole, every network named';
unlike $n->error_log, qr/audit record too large/,
    'and no record was refused as too large';

$n->stop;

my $v = $t->kotctl('audit', 'verify', '--auditor-private-key', $priv, $log);
is $v->{exit}, 0, 'the log verifies' or diag $v->{out}, $v->{err};

done_testing;
