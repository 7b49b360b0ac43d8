# Raising kot_password_hash strengthens stored hashes as users log in:
# a successful login hashes the password again at the new cost and
# stores it, unless the password was changed meanwhile.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;

# users are made by kotctl at ln=10; nginx asks for ln=11
my $t = KotTest->new(workers => 1, scrypt_ln => 10);
my ($priv, $pub) = $t->auditor_keys;
my $n = $t->nginx(KotTest->site(
    http => "kot_audit_log %%DIR%%/audit.log;\n"
          . "    kot_audit_auditor_key $pub;") =~ s/ln=10/ln=11/r);


sub hash_of ($user) { $t->redis('HGET', "kot:v1:u:acme:$user", 'hash') }

sub records ($inst, $action) {
    return $t->audit_records($t->dir . '/' . $inst->name . '/audit.log',
                             $action);
}

sub login ($inst, $user, $password) {
    my $ua = $inst->ua;
    $ua->login(tenant => 'acme', username => $user, password => $password);
    return $ua->cookie('kot_session');
}

$t->add_user('acme', 'alice', 'correct horse battery');
my $old = hash_of('alice');
my %before = @{ $t->redis('HGETALL', 'kot:v1:u:acme:alice') };
like $old, qr/^\$scrypt\$ln=10,r=8,p=1\$/, 'a user made at ln=10';

ok login($n, 'alice', 'correct horse battery'), 'logs in';
my $new = hash_of('alice');
like $new, qr/^\$scrypt\$ln=11,r=8,p=1\$/,
    'and her stored hash now has the configured cost';
my %after = @{ $t->redis('HGETALL', 'kot:v1:u:acme:alice') };
is_deeply [ @after{qw(pw_changed must_change)} ],
    [ @before{qw(pw_changed must_change)} ],
    'the password counts as unchanged (its age, must_change)';

ok login($n, 'alice', 'correct horse battery'),
    'she logs in again with the same password';
is hash_of('alice'), $new, 'and a hash at the cost is not made again';
ok !login($n, 'alice', 'wrong horse battery'),
    'a wrong password still fails against the new hash';

my @r = records($n, 'password_rehash');
is scalar @r, 1, 'one password_rehash record';
is_deeply [ @{ $r[0] }{qw(event.outcome user.name organization.id
                          kot.rehash.from kot.rehash.to)} ],
    [ 'success', 'alice', 'acme', 'ln=10,r=8,p=1', 'ln=11,r=8,p=1' ],
    'that says whose hash went from which cost to which';
my $audit = do { local $/; open my $fh, '<', $t->dir . '/a/audit.log'; <$fh> };
unlike $audit . $n->error_log, qr/correct horse|\Q$new\E|\Q$old\E/,
    'and neither the password nor a hash is logged';


# A password set while a login checks the old one: the login fails and
# starts no session.  One hashing thread, held by logins of unknown users
# (each costs a dummy hash at ln=16), so that bob's login waits with his
# old hash in hand while an administrator sets a new password.

my $s = $t->nginx(KotTest->site(
        http => "kot_audit_log %%DIR%%/audit.log;\n"
              . "    kot_audit_auditor_key $pub;",
        throttle => 'rate=1000/m burst=1000',
        server => 'set_real_ip_from 127.0.0.1; real_ip_header X-Real-IP;')
        =~ s/kot_thread_pool kot_test/kot_thread_pool kot_one/r
        =~ s/ln=10/ln=16/r,
    name => 'race', extra_main => 'thread_pool kot_one threads=1;');

$t->add_user('acme', 'bob', 'Old secret of B 5521');

my $ua = $s->ua;
my $csrf = KotTest::UA::form_field($ua->get('/kot/login')->{content}, 'csrf');

sub send_login ($user, $password, $ip) {
    return $ua->post_form_detached('/kot/login', {
        csrf => $csrf, tenant => 'acme', username => $user,
        password => $password }, { 'X-Real-IP' => $ip });
}

sub hold () { map { send_login("nobody$_", 'x', '192.0.2.1') } 1 .. 4 }

my @hold = hold();
my $bob = send_login('bob', 'Old secret of B 5521', '192.0.2.77');

# his login has read his hash (and taken a throttle token) once this is set
wait_until(sub { $t->redis('EXISTS', 'kot:v1:th:192.0.2.77') },
           what => "bob's login to load his hash");
my $r = $t->kotctl('user', 'passwd', 'acme', 'bob', '--password-stdin',
                   '--no-force-change', { stdin => "New secret of B 7743\n" });
is $r->{exit}, 0, 'an administrator sets a new password meanwhile'
    or diag $r->{err};
my $set = hash_of('bob');

is KotTest::UA::status($bob, 60), 401,
    "bob's login with the old password is refused";
close $_ for @hold;
ok !$t->redis('EXISTS', 'kot:v1:us:acme:bob'), 'and starts no session';
my ($refused) = grep { $_->{'user.name'} eq 'bob' } records($s, 'login');
is "$refused->{'event.outcome'} $refused->{'event.reason'}",
    'failure password_changed', 'the refusal is recorded with why';
is hash_of('bob'), $set, 'the new password stands';


# A password set while a login's rehash waits is not overwritten.  Bob's
# hash is at ln=10, so his check is quick; the held logins sent right
# after it queue his rehash (at ln=16) behind theirs.

$bob = send_login('bob', 'New secret of B 7743', '192.0.2.77');
@hold = hold();
wait_until(sub { $t->redis('EXISTS', 'kot:v1:us:acme:bob') },
           what => "bob's session");
$r = $t->kotctl('user', 'passwd', 'acme', 'bob', '--password-stdin',
                '--no-force-change', { stdin => "Third secret of B 3391\n" });
is $r->{exit}, 0, 'an administrator sets a password while the rehash waits'
    or diag $r->{err};
$set = hash_of('bob');

is KotTest::UA::status($bob, 60), 303, "bob's login itself succeeded";
close $_ for @hold;

is hash_of('bob'), $set,
    'the new password is not overwritten by the rehash of the old one';
ok login($s, 'bob', 'Third secret of B 3391'), 'bob logs in with the new one';

my ($lost) = records($s, 'password_rehash');
is "$lost->{'event.outcome'} $lost->{'event.reason'}",
    'failure password_changed', 'and the rehash not stored is recorded';

done_testing;
