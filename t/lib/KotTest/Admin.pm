package KotTest::Admin;

# A client of the admin API (kot_admin) for tests: a logged-in session,
# its CSRF token, and JSON in and out.
#
#     my $site = KotTest::Admin->site;          # the nginx snippet
#     my $n = $t->nginx($site);
#     my $api = KotTest::Admin->login($n, 'ops', 'root', 'password');
#     my $res = $api->call(POST => 'tenants', { name => 'acme' });
#     $res->{status}; $res->{json}; $res->{content}
#
# Calls send the token unless { csrf => undef } or another one is given;
# { raw => BYTES } sends a body as it is, { type => ... } its type.

use strict;
use warnings;
use v5.36;

use JSON::PP ();

use KotTest;
use Test::More ();

our $PREFIX = '/kot/admin/api/';

my $JSON = JSON::PP->new->utf8->canonical;


# The usual site with the API at $PREFIX; operator => the system
# admins' tenant ("ops"), http => more http-level directives.
sub site {
    my ($class, %o) = @_;

    my $operator = exists $o{operator} ? $o{operator} : 'ops';

    return KotTest->site(
        http => ($operator ? "kot_admin_operator $operator;\n" : '')
              . ($o{http} // ''),
        server => <<"EOF" . ($o{server} // ''));
        location $PREFIX {
            kot_admin;
        }
EOF
}


sub login {
    my ($class, $n, $tenant, $user, $password) = @_;

    my $ua = $n->ua;
    my $res = $ua->login(tenant => $tenant, username => $user,
                         password => $password);
    die "login of $user\@$tenant: $res->{status}\n"
        unless $res->{status} == 303;

    my $self = bless { ua => $ua, n => $n, user => $user,
                       tenant => $tenant }, $class;

    my $s = $self->call(GET => 'session');
    $self->{csrf} = $s->{json} ? $s->{json}{csrf} : undef;

    return $self;
}


# Without a session: for 401s.
sub anonymous {
    my ($class, $n) = @_;
    return bless { ua => $n->ua, n => $n }, $class;
}


sub ua { $_[0]{ua} }
sub csrf { $_[0]{csrf} }


sub call {
    my ($self, $method, $path, $body, $opt) = @_;
    $opt //= {};

    my %h = %{ $opt->{headers} // {} };
    my $csrf = exists $opt->{csrf} ? $opt->{csrf} : $self->{csrf};
    $h{'X-Kot-CSRF'} = $csrf if defined $csrf && $method ne 'GET';

    my $content = exists $opt->{raw} ? $opt->{raw}
                : defined $body ? $JSON->encode($body) : undef;

    if (defined $content) {
        $h{'Content-Type'} = $opt->{type} // 'application/json'
            unless exists $h{'Content-Type'};
    }

    my $url = $path =~ m{^/} ? $path : $PREFIX . $path;
    my $res = $self->{ua}->request($method, $url,
                                   { headers => \%h, content => $content });

    $res->{json} = eval { $JSON->decode($res->{content}) }
        if length($res->{content} // '');

    return $res;
}


# Every kot:v1:* key and its value (DUMP), sorted, but the audit
# chains' anchors, which any audit record moves: what a refused call must
# leave as it was.  events => 0 leaves out the tenants' events lists too,
# for refusals that are recorded there.
sub dump_keys {
    my ($class, $t, %o) = @_;
    my @keys = sort grep { !/^kot:v1:audit:/
                           && ($o{events} // 1 || !/^kot:v1:ev:/) }
               @{ $t->redis('KEYS', 'kot:v1:*') };
    return join "\n", map { $_ . '=' . unpack('H*', $t->redis('DUMP', $_)
                                               // '') } @keys;
}


# An error as the API sends every one: the status, JSON with the code
# and a detail, and nothing else (but a password_policy's broken rules,
# and what some errors carry to act on: a 412's resource as it now is).
sub is_error {
    my ($class, $res, $status, $code, $name) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my $ok = $res->{status} == $status
        && ($res->{headers}{'content-type'} // '') eq 'application/json'
        && ref $res->{json} eq 'HASH'
        && ($res->{json}{error} // '') eq $code
        && length($res->{json}{detail} // '')
        && !grep { !/^(error|detail)$/
                   && !($code eq 'password_policy' && $_ eq 'broken')
                   && !($code =~ /^(invalid_policy|policy_loosened)$/
                        && /^(rule|reason|min|limit)$/)
                   && !($code eq 'invalid_role' && /^(reason|role)$/)
                   && !($code eq 'last_admin' && $_ eq 'reason')
                   && !($code eq 'invalid_cidr' && $_ eq 'refused')
                   && !($code eq 'duplicate_parameter' && $_ eq 'parameter')
                   && !($code eq 'precondition_failed'
                        && /^(networks|rules|server|effective)$/) }
                keys %{ $res->{json} };
    Test::More::ok($ok, $name // "$status $code")
        or Test::More::diag("got $res->{status} $res->{content}");
    return $ok;
}


sub decode { $JSON->decode($_[1]) }
sub encode { $JSON->encode($_[1]) }

1;
