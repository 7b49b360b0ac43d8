# Conditional calls to the admin API.  A user has an ETag (its roles and
# whether it is disabled): PATCH and DELETE with If-Match change it only
# if it is still as the caller read it, so two admins changing one user
# at once lose nothing (412 precondition_failed, in JSON, nothing
# written); so do the allow-lists and the policy (t/admin_lists.t).  A
# condition the API cannot evaluate, or an ETag that is not the
# resource's, refuses a change before it is made: never the change made
# and then answered 412, or 304, by nginx in HTML.

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

$t->add_user('acme', 'alice', $PW, roles => ['admin']);
$t->add_user('acme', 'carol', $PW, roles => ['admin']);
$t->add_user('acme', 'bob', $PW, roles => ['user']);
$t->add_user('acme', 'dan', $PW, roles => ['user']);

my $alice = $A->login($n, 'acme', 'alice', $PW);
my $carol = $A->login($n, 'acme', 'carol', $PW);

sub if_match ($etag) { return { headers => { 'If-Match' => $etag } } }


# two admins read bob, and each gives him a role

my $a_read = $alice->call(GET => 'tenants/acme/users/bob');
my $c_read = $carol->call(GET => 'tenants/acme/users/bob');
my $etag = $a_read->{headers}{etag};
like $etag, qr/^"[A-Za-z0-9_-]+"$/, 'GET of a user answers a strong ETag';
is $c_read->{headers}{etag}, $etag, 'the same for both readers';

my $res = $alice->call(PATCH => 'tenants/acme/users/bob',
                       { roles => ['user', 'sales'] }, if_match($etag));
is $res->{status}, 200, 'the first PATCH with If-Match: 200';
my $new = $res->{headers}{etag};
ok $new && $new ne $etag, '  with the new ETag';

my $before = $A->dump_keys($t, events => 0);
$res = $carol->call(PATCH => 'tenants/acme/users/bob',
                    { roles => ['user', 'finance'] }, if_match($etag));
$A->is_error($res, 412, 'precondition_failed',
             'the second, of what it read before: 412 precondition_failed');
is $A->dump_keys($t, events => 0), $before, '  and nothing is written';
is_deeply $alice->call(GET => 'tenants/acme/users/bob')->{json}{roles},
    ['user', 'sales'], 'the first change stands';
is $alice->call(GET => 'tenants/acme/users/bob')->{headers}{etag}, $new,
    'as the ETag says';

$res = $carol->call(PATCH => 'tenants/acme/users/bob',
                    { roles => ['user', 'finance'] }, if_match($new));
is $res->{status}, 200, 'read again, the second admin\'s PATCH goes';
$res = $carol->call(PATCH => 'tenants/acme/users/bob', { disabled => $T },
                    if_match($new));
$A->is_error($res, 412, 'precondition_failed',
             'an ETag of before a change of roles refuses disabling too');
$res = $carol->call(PATCH => 'tenants/acme/users/bob', { disabled => $T },
                    if_match('*'));
is $res->{status}, 200, 'If-Match: * lets any state through';
$etag = $res->{headers}{etag};
$res = $carol->call(PATCH => 'tenants/acme/users/bob',
                    { disabled => JSON::PP::false }, if_match($etag));
is $res->{status}, 200, 'the ETag tells a disabled account from an '
                        . 'enabled one';
isnt $res->{headers}{etag}, $etag, '  and changes with it';


# DELETE and GET

$etag = $alice->call(GET => 'tenants/acme/users/dan')->{headers}{etag};
$alice->call(PATCH => 'tenants/acme/users/dan', { roles => ['admin'] });
$A->is_error($alice->call(DELETE => 'tenants/acme/users/dan', undef,
                          if_match($etag)),
             412, 'precondition_failed',
             'DELETE of a user made an admin since it was read: 412');
is $alice->call(GET => 'tenants/acme/users/dan')->{status}, 200,
    '  and it is still there';
$etag = $alice->call(GET => 'tenants/acme/users/dan')->{headers}{etag};
is $alice->call(GET => 'tenants/acme/users/dan', undef, if_match($etag))
    ->{status}, 200, 'a GET whose If-Match matches: 200';
$A->is_error($alice->call(GET => 'tenants/acme/users/bob', undef,
                          if_match($etag)),
             412, 'precondition_failed', 'another user\'s ETag: 412');
is $alice->call(DELETE => 'tenants/acme/users/dan', undef, if_match($etag))
    ->{status}, 204, 'DELETE with the current ETag: 204';

for my $bad ('W/' . $etag, 'abc', '"a b"', "$etag, $etag", '""') {
    $A->is_error($alice->call(PATCH => 'tenants/acme/users/bob',
                              { roles => ['user'] }, if_match($bad)),
                 412, 'precondition_failed', "If-Match: $bad: 412");
}


# conditions the API cannot evaluate refuse a change, before it is made

$before = $A->dump_keys($t, events => 0);
for my $c (['If-Match' => '"abc"'], ['If-None-Match' => '*'],
           ['If-Unmodified-Since' => 'Thu, 01 Jan 2026 00:00:00 GMT']) {
    my %h = @$c;
    $A->is_error($alice->call(PUT => 'tenants/acme/policy',
                              { min_length => 20 }, { headers => \%h }),
                 412, 'precondition_failed',
                 "PUT policy with $c->[0]: 412, in JSON");
    $A->is_error($alice->call(POST => 'tenants/acme/users',
                              { username => 'eve', roles => ['user'] },
                              { headers => \%h }),
                 412, 'precondition_failed', "POST users with $c->[0]: 412");
}
$A->is_error($alice->call(PATCH => 'tenants/acme/users/bob',
                          { roles => ['user'] },
                          { headers => { 'If-None-Match' => '*' } }),
             412, 'precondition_failed', 'PATCH with If-None-Match: 412');
is $A->dump_keys($t, events => 0), $before, 'none of them changed anything';
is $alice->call(PUT => 'tenants/acme/policy', { min_length => 20 },
                if_match('*'))->{status}, 200, 'If-Match: * is no condition';

$res = $alice->call(GET => 'tenants/acme/users/bob', undef,
                    { headers => { 'If-None-Match' => '*' } });
is $res->{status}, 200, 'a GET with If-None-Match is answered in full';
is $res->{json}{username}, 'bob', '  with the user';

done_testing;
