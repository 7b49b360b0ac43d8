# Hostile input to the admin API: names with ':', '*', '{', a newline,
# NUL or a thousand characters, in bodies, paths and queries; roles,
# networks and policy values alike; JSON that is not, or too deep, or
# too large a number, or with a member twice; a query parameter twice.
# Each gets a clear error in JSON and leaves every key in Redis as it
# was.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use KotTest::Admin;
use Test::More;

my $t = KotTest->new;
my $n = $t->nginx(KotTest::Admin->site);

my $PW = 'correct horse battery';
my $A = 'KotTest::Admin';

$t->add_user('ops', 'root', $PW, roles => ['admin']);
$t->add_user('acme', 'alice', $PW, roles => ['admin']);
$t->add_user('acme', 'bob', $PW, roles => ['user']);

my $root = $A->login($n, 'ops', 'root', $PW);
my $alice = $A->login($n, 'acme', 'alice', $PW);

my %hostile = (
    colon    => 'acme:bob',
    star     => 'ac*',
    brace    => 'a{b}',
    newline  => "acme\nx",
    nul      => "acme\0x",
    long     => 'a' x 1000,
    space    => 'a b',
    slash    => 'a/b',
    unicode  => "\x{430}cme",
    empty    => '',
);

my $before = $A->dump_keys($t);

sub refused ($res, $status, $code, $what) {
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    $A->is_error($res, $status, $code, $what);
}

for my $k (sort keys %hostile) {
    my $v = $hostile{$k};

    refused($root->call(POST => 'tenants', { name => $v }), 422,
            'invalid_name', "a tenant name with $k: 422 invalid_name");
    refused($alice->call(POST => 'tenants/acme/users',
                         { username => $v, roles => ['user'] }),
            422, 'invalid_name', "a username with $k: 422 invalid_name");
    refused($alice->call(POST => 'tenants/acme/users',
                         { username => 'eve', roles => [$v] }),
            422, 'invalid_role', "a role with $k: 422 invalid_role");
    refused($alice->call(PATCH => 'tenants/acme/users/bob',
                         { roles => ['user', $v] }),
            422, 'invalid_role', "a new role with $k: 422");
    next if $v eq '';

    refused($alice->call(PUT => 'tenants/acme/allowlists/access',
                         { networks => ["10.0.0.0/8$v"] }),
            422, 'invalid_cidr', "a network with $k: 422 invalid_cidr");
    refused($alice->call(PUT => 'tenants/acme/policy',
                         { max_age => "90d$v" }),
            422, 'invalid_policy', "a policy time with $k: 422");
}
refused($alice->call(PUT => 'tenants/acme/policy',
                     { min_length => "16\0junk" }),
        422, 'invalid_policy', 'a policy count with a NUL inside: 422');

my $res = $root->call(POST => 'tenants', { name => "a\nb" });
like $res->{json}{detail}, qr/^a tenant name is 1 to 63 of/,
    'the detail says what a name is, and never echoes the name';

# in paths and queries, percent-encoded: names that cannot exist
for my $k (qw(%3A %2A %7B %0A %20 %FF)) {
    refused($alice->call(GET => "tenants/acme/users/bob${k}x"), 404,
            'not_found', "a username with $k in the path: 404");
    refused($alice->call(DELETE => "tenants/acme${k}x/users/bob"), 404,
            'not_found', "a tenant with $k in the path: 404");
    refused($alice->call(GET => "tenants/acme/sessions?user=bob${k}x"), 404,
            'not_found', "a user with $k in the query: 404");
    refused($alice->call(DELETE => "tenants/acme/sessions/AAAAAAAAAAAA${k}"),
            404, 'not_found', "a session handle with $k: 404");
}
refused($alice->call(GET => 'tenants/acme/users/' . ('a' x 1000)), 404,
        'not_found', 'a username of 1000 characters in the path: 404');
refused($root->call(DELETE => 'tenants/' . ('a' x 1000)), 404,
        'not_found', 'a tenant of 1000 characters: 404');
refused($alice->call(GET => 'tenants/acme/events?limit=1%00'), 400,
        'invalid_parameter', 'a limit with a NUL: 400');

# a query parameter given twice names no one value: refused, not read as
# the first (nor the last)
for my $q ('sessions?user=bob&user=alice', 'sessions?user=bob&user=bob',
           'sessions?User=bob&user=alice', 'events?limit=1&x=2&limit=3') {
    my $res = $alice->call(GET => "tenants/acme/$q");
    refused($res, 400, 'duplicate_parameter', "$q: 400");
    is $res->{json}{parameter}, $q =~ /user/ ? 'user' : 'limit',
        '  naming the parameter';
}
isnt $alice->call(GET => 'tenants/acme/users/bob%00')->{status}, 200,
    'a NUL in the path finds nobody';

# JSON that is not, or is too much
refused($alice->call(POST => 'tenants/acme/users', undef,
                     { raw => qq({"username":"\xff","roles":["user"]}) }),
        400, 'invalid_json', 'a string that is not UTF-8: 400');
refused($alice->call(POST => 'tenants/acme/users', undef,
                     { raw => '[' x 5000 . ']' x 5000 }),
        400, 'invalid_json', 'nesting 5000 deep: 400');
refused($alice->call(POST => 'tenants/acme/support', undef,
                     { raw => '{"hours":1e999}' }),
        400, 'invalid_json', 'a number too large for anything: 400');
refused($alice->call(POST => 'tenants/acme/support', undef,
                     { raw => '{"hours":99999999999999999999999}' }),
        400, 'invalid_json', 'an integer too large: 400');
refused($alice->call(POST => 'tenants/acme/support', undef,
                     { raw => '{"hours":-4611686018427387904}' }),
        422, 'invalid_hours', 'a negative one: 422');
refused($alice->call(POST => 'tenants/acme/users', undef,
                     { raw => '{"username":"eve","roles":["user"]} x' }),
        400, 'invalid_json', 'anything after the object: 400');
refused($alice->call(POST => 'tenants/acme/users', undef,
                     { raw => qq({"\x01":1}) }),
        400, 'invalid_json', 'a raw control character: 400');
refused($alice->call(POST => 'tenants/acme/users', undef,
                     { raw => '{"a\u0000b":1}' }),
        400, 'invalid_json', 'a NUL in a field name: 400');
$res = $alice->call(POST => 'tenants/acme/users', undef,
                    { raw => '{"username":"eve","roles":["user"],'
                             . '"password":"Hunter2-secret' });
is $res->{status}, 400, 'a body cut short in its password: 400';
like $res->{json}{detail}, qr/^the body is not JSON: premature end of input /,
    'the detail says why';
unlike $res->{json}{detail}, qr/Hunter2/,
    'and quotes none of the body, not the start of the password';
$res = $alice->call(POST => 'tenants/acme/users', undef,
                    { raw => '{"a\n\u0001b":1}' });
refused($res, 400, 'unknown_field', 'a field name with control characters');
like $res->{content}, qr/"unknown field \\"a\\n\\u0001b\\""/,
    'named, escaped in valid JSON';
$res = $alice->call(POST => 'tenants/acme/users', undef,
                    { raw => '{"' . ('k' x 5000) . '":1}' });
ok length($res->{json}{detail}) < 200, 'a long field name is cut short';

# a member twice: refused whole, whichever of the two a reader would take
refused($alice->call(PATCH => 'tenants/acme/users/bob', undef,
                     { raw => '{"disabled":false,"disabled":true}' }),
        400, 'invalid_json', 'a member twice: 400');
refused($alice->call(PUT => 'tenants/acme/allowlists/admin', undef,
                     { raw => '{"networks":["192.0.2.0/24"],'
                              . '"force":false,"force":true}' }),
        400, 'invalid_json', 'force twice, on a list that would shut '
                             . 'out the caller: 400');
refused($alice->call(PUT => 'tenants/acme/policy', undef,
                     { raw => '{"min_length":16,"min_length":1}' }),
        400, 'invalid_json', 'a policy rule twice: 400');

is $A->dump_keys($t), $before, 'none of it changed a key in Redis';
is $alice->call(GET => 'tenants/acme/users/bob')->{status}, 200,
    'and the API still answers';

my $err = $n->error_log;
unlike $err, qr/acme\nx/, 'the error log has no line broken by a name';

done_testing;
