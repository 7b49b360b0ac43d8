# kotctl and the admin API write the same kot.change for the same change
# of a user: added, password set, roles changed.  An auditor's query
# over kot.change must not depend on which tool made it.

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
my $A = 'KotTest::Admin';

my $PW = 'correct horse battery';
$t->add_user('acme', 'alice', $PW, roles => ['admin', 'user']);
my $alice = $A->login($n, 'acme', 'alice', $PW);

# the same three changes, once through each
is $alice->call(POST => 'tenants/acme/users',
                { username => 'ann', roles => ['admin', 'user'] })->{status},
    201, 'the API adds ann';
is $alice->call(POST => 'tenants/acme/users/ann/password')->{status}, 200,
    'sets her password';
is $alice->call(PATCH => 'tenants/acme/users/ann',
                { roles => ['user'] })->{status}, 200,
    'and changes her roles';

for my $cmd ([ 'add', 'acme', 'ben', '--role', 'admin', '--role', 'user',
               '--generate-password' ],
             [ 'passwd', 'acme', 'ben', '--generate-password' ],
             [ 'roles', 'acme', 'ben', '--role', 'user' ]) {
    my $r = $t->kotctl('user', @$cmd);
    is $r->{exit}, 0, "kotctl user $cmd->[0] ben" or diag $r->{err};
}

my $events = JSON::PP->new->utf8->decode(
    $t->kotctl('tenant', 'events', 'acme', '--json')->{out})->{events};

sub change ($action, $user) {
    my ($rec) = grep { $_->{'event.action'} eq $action
                       && ($_->{'user.target.name'} // '') eq $user }
                @$events;
    return $rec ? $rec->{'kot.change'} : undef;
}

# the types of a value, member by member: what a query or a schema sees
sub shape ($v) {
    return 'null' unless defined $v;
    return 'bool' if JSON::PP::is_bool($v);
    return { map { $_ => shape($v->{$_}) } keys %$v } if ref $v eq 'HASH';
    return [ map { shape($_) } @$v ] if ref $v eq 'ARRAY';
    return 'scalar';
}

for my $action (qw(user_added user_password_set user_roles_changed)) {
    my ($api, $ctl) = (change($action, 'ann'), change($action, 'ben'));
    ok $api && $ctl, "$action: both recorded it";
    is_deeply shape($ctl), shape($api),
        "$action: kotctl's kot.change has the API's shape";
    is_deeply $ctl, $api, "$action: and, for the same change, its values";
}

is_deeply change('user_added', 'ann'),
    { before => undef,
      after => { roles => [ 'admin', 'user' ], must_change => JSON::PP::true,
                 password_generated => JSON::PP::true } },
    'user_added: before null, after the roles as an array';
is_deeply change('user_roles_changed', 'ben'),
    { before => { roles => [ 'admin', 'user' ] },
      after => { roles => ['user'] } },
    'user_roles_changed: the roles before and after, as arrays';
my $set = change('user_password_set', 'ben');
is_deeply [ sort keys %$set ], [qw(after before sessions_ended)],
    'user_password_set: before, after and the sessions it ended';

done_testing;
