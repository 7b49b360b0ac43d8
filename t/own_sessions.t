# {portal}sessions: a user sees where they are logged in (Authelia
# #1388) and ends a session they do not recognise, or all the others; the
# device that was logged out meets the login page at its next request.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;
use KotTest::UA;

my $t = KotTest->new(workers => 2);
my (undef, $pub) = $t->auditor_keys;
my $log = $t->dir . '/a/audit.log';
my $n = $t->nginx(KotTest->site(
    http => "kot_audit_log %%DIR%%/audit.log flush=100ms;\n"
          . "    kot_audit_auditor_key $pub;"));

$t->add_user('acme', 'alice', 'correct horse battery');

my %agents = (
    laptop => 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 '
            . '(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
    phone  => 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) '
            . 'AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 '
            . 'Mobile/15E148 Safari/604.1',
    tablet => 'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 '
            . 'Firefox/121.0',
    kiosk  => 'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 '
            . 'Firefox/121.0',
);

sub device ($name, $user = 'alice', $tenant = 'acme') {
    my $ua = $n->ua;
    my %h = ('User-Agent' => $agents{$name}, 'Accept-Language' => 'en');
    my $csrf = KotTest::UA::form_field($ua->get('/kot/login', \%h)->{content},
                                       'csrf');
    my $r = $ua->post_form('/kot/login', { csrf => $csrf, tenant => $tenant,
        username => $user, password => 'correct horse battery' }, \%h);
    die "login of $name: $r->{status}" unless $r->{status} == 303;
    my ($handle) = $ua->get('/app')->{content} =~ /session=\[([\w-]+)\]/;
    return { ua => $ua, h => \%h, handle => $handle };
}

sub page ($d, $lang = 'en') {
    return $d->{ua}->get('/kot/sessions',
                         { %{ $d->{h} }, 'Accept-Language' => $lang });
}

sub end ($d, $what, $csrf = undef) {
    $csrf //= KotTest::UA::form_field(page($d)->{content}, 'csrf');
    return $d->{ua}->post_form('/kot/sessions',
                               { csrf => $csrf, end => $what }, $d->{h});
}

sub logged_out ($d) {
    my $r = $d->{ua}->get('/app', { Accept => 'text/html' });
    return $r->{status} == 302 && $r->{headers}{location} =~ m{^/kot/login};
}

my %d = map { $_ => device($_) } qw(laptop phone tablet);


# the list

my $list = page($d{laptop});
is $list->{status}, 200, 'the sessions page opens';
my @rows =
    $list->{content} =~ /<li class="kot-session" data-session="([\w-]+)"/g;
is scalar @rows, 3, 'it lists the 3 sessions';
is "@rows", join(' ', map { $d{$_}{handle} } qw(tablet phone laptop)),
    'newest login first, by handle ($kot_session)';
my $laptop = '<strong id="kot-device-2">Chrome on Windows<\/strong>';
like $list->{content}, qr/$laptop<span class="kot-this">This device<\/span>/,
    'the laptop is "Chrome on Windows", marked as this device';
like $list->{content},
    qr/<strong id="kot-device-1">Safari on iPhone<\/strong><br>/,
    'the phone is "Safari on iPhone"';
like $list->{content},
    qr/<strong id="kot-device-0">Firefox on Linux<\/strong><br>/,
    'the tablet "Firefox on Linux"';
my $when = '\d{4}-\d\d-\d\d \d\d:\d\d UTC '
         . '\((?:just now|\d+ minutes? ago)\)';
like $list->{content},
    qr/Address: 127\.0\.0\.1<br>Logged in: $when<br>Last activity: $when/,
    'each with its address, login time and last activity';
is scalar(() = $list->{content} =~ /name="end" value="[\w-]{16}"/g), 2,
    'the other two each have a button that ends them';
like $list->{content},
    qr/name="end" value="others".*Log out all other devices/s,
    'and one ends all the others';

# what a screen reader says of each button: its accessible name, from
# aria-labelledby, and its description, from aria-describedby
sub text_of ($html, $id) {
    my ($inner) = $html =~
        /\bid="\Q$id\E"[^>]*>(.*?)<\/(?:strong|span|button)>/s;
    return ($inner // '') =~ s/<br>/ /gr =~ s/<[^>]*>//gr;
}
sub buttons ($html) {
    my @b;
    while ($html =~ /<button([^>]*)>(.*?)<\/button>/gs) {
        my ($attrs, $text) = ($1, $2);
        my ($by) = $attrs =~ /aria-labelledby="([^"]*)"/;
        my ($about) = $attrs =~ /aria-describedby="([^"]*)"/;
        push @b, { name => $by ? join(' ', map { text_of($html, $_) }
                                               split ' ', $by) : $text,
                   about => $about ? text_of($html, $about) : '' };
    }
    return @b;
}
my @buttons = buttons($list->{content});
is_deeply [ map { $_->{name} } @buttons ],
    [ 'Log out that device Firefox on Linux',
      'Log out that device Safari on iPhone', 'Log out all other devices' ],
    'a screen reader names each button by the device it logs out';
like $buttons[1]{about}, qr/^Address: 127\.0\.0\.1 Logged in: $when /,
    'and describes it by its address and times';
is_deeply [ map { $_->{name} } buttons(page($d{laptop}, 'ja')->{content}) ],
    [ 'その端末をログアウト LinuxのFirefox',
      'その端末をログアウト iPhoneのSafari',
      '他のすべての端末をログアウト' ],
    'in Japanese too';

# on a shared computer, the way to log out of this one is on its row
sub this_row ($html) {
    my ($row) = $html =~ m{(<li\ class="kot-session"(?:(?!</li>).)*
                             kot-this.*?</li>)}sx;
    return $row // '';
}
like this_row($list->{content}),
    qr{<a class="kot-logout" href="/kot/logout">Log out</a>},
    'this device\'s row links to the logout page';
like this_row(page($d{laptop}, 'ja')->{content}),
    qr{<a class="kot-logout" href="/kot/logout">ログアウト</a>},
    'in Japanese too';
is scalar(() = $list->{content} =~ /class="kot-logout"/g), 1,
    'and no other row does';

my $ja = page($d{laptop}, 'ja')->{content};
like $ja, qr/ログイン中の端末/, 'in Japanese';
my $laptop_ja = '<strong id="kot-device-2">WindowsのChrome<\/strong>';
like $ja, qr/$laptop_ja<span class="kot-this">この端末<\/span>/,
    'device and "this device" too';
like $ja, qr{<a class="kot-back" href="/">アプリケーションに戻る</a>},
    'and the way back to the application';

# the way back: the application's root, whatever the request names
like $list->{content},
    qr{<a class="kot-back" href="/">Back to the application</a>},
    'a link leads back to the application';
my $back = $d{laptop}{ua}->get('/kot/sessions?return_to=//evil.example/'
                               . '&next=https://evil.example/',
                               { %{ $d{laptop}{h} },
                                 Referer => 'https://evil.example/' });
my @links = $back->{content} =~ /<a class="kot-back" href="([^"]*)"/g;
is "@links", '/', 'to the root, never to an address of the request';
my $app = $d{laptop}{ua}->get($links[0], { Accept => 'text/html' });
ok $app->{status} == 200 && $app->{content} =~ /session=\[/,
    'where the application answers the user'
    or diag "$app->{status} $app->{content}";

# when, in words that need no time zone: the times are in UTC, which is
# not the clock on a Japanese user's wall
my ($phone) = grep { $t->redis('HGET', $_, 'd') eq 'Safari;iPhone' }
              @{ $t->redis('KEYS', 'kot:v1:s:*') };
my $now = int(Time::HiRes::time() * 1000);
$t->redis('HSET', $phone, 'c', $now - (5 * 60 + 1) * 60_000,
          'l', $now - 2 * 60_000 - 5_000);
my $utc = '\d{4}-\d\d-\d\d \d\d:\d\d UTC';
my $phone_times = "Logged in: $utc \\(5 hours ago\\)<br>"
                . "Last activity: $utc \\(2 minutes ago\\)";
like page($d{laptop})->{content}, qr/$phone_times/,
    'the phone logged in 5 hours ago, and was last active 2 minutes ago';
like page($d{laptop}, 'ja')->{content},
    qr/ログイン日時: $utc（5時間前）<br>最終操作: $utc（2分前）/,
    'in Japanese too';
like page($d{laptop})->{content},
    qr/Chrome on Windows.*?Logged in: $utc \(just now\)/s,
    'this device logged in just now';

my ($key) = grep { $t->redis('HGET', $_, 'd') eq 'Chrome;Windows' }
            @{ $t->redis('KEYS', 'kot:v1:s:*') };
ok $key, 'the session hash keeps the device in words';
my $stored = join ' ', @{ $t->redis('HGETALL', $key) };
unlike $stored, qr/Mozilla|AppleWebKit/, 'never the User-Agent itself';
my $id = $d{laptop}{ua}->cookie('kot_session');
unlike $stored . $key, qr/\Q$id\E/, 'nor the session id';


# refusals that change nothing

is end($d{laptop}, $d{phone}{handle}, 'x' x 43)->{status}, 403,
    'ending a session without the form\'s token is refused';
is end($d{laptop}, 'everyone')->{status}, 400, 'so is an end that is neither '
    . 'a handle nor "others"';
ok !logged_out($d{phone}), 'and the phone is still logged in';

# a handle that is not one of the user's: another user's, another
# tenant's (the same user name there), or one no session has
$t->add_user('acme', 'bob', 'correct horse battery');
$t->add_user('beta', 'alice', 'correct horse battery');
my %stranger = (bob => device('laptop', 'bob'),
                beta => device('laptop', 'alice', 'beta'));
for my $who (sort keys %stranger) {
    my $r = end($d{laptop}, $stranger{$who}{handle});
    is $r->{status}, 303, "ending $who\'s session: back to the list";
    is $r->{headers}{location}, '/kot/sessions?ended=0', 'which ended none';
    ok !logged_out($stranger{$who}), "$who is still logged in";
}
my $none = $d{laptop}{ua}->get('/kot/sessions?ended=0', $d{laptop}{h});
my $alert = qr/<p class="msg" role="alert"[^>]*>/;
like $none->{content}, qr/${alert}\QNo session was ended: it had already \E
                          \Qended, or it is not one of yours.\E/x,
    'the list says that none was ended, and why';
unlike $none->{content}, qr/Sessions ended: 0/, 'not "Sessions ended: 0"';
like $d{laptop}{ua}->get('/kot/sessions?ended=0',
                         { %{ $d{laptop}{h} }, 'Accept-Language' => 'ja' })
    ->{content},
    qr/${alert}\Q終了したセッションはありません。\E
       \Qすでに終了しているか、あなたのセッションではありません。\E/x,
    'in Japanese too';
ok !logged_out($d{phone}) && !logged_out($d{tablet}),
    'and none of the user\'s own sessions ended';


# end one

my $r = end($d{laptop}, $d{phone}{handle});
is $r->{status}, 303, 'the laptop ends the phone\'s session';
is $r->{headers}{location}, '/kot/sessions?ended=1', 'back to the list';
like $d{laptop}{ua}->get($r->{headers}{location}, $d{laptop}{h})->{content},
    qr/Sessions ended: 1\./, 'which says so';
ok KotTest::wait_until(sub { logged_out($d{phone}) }, timeout => 0.5,
                       interval => 0.01, what => 'the phone logged out'),
    'the phone\'s next request gets the login page';
ok !logged_out($d{tablet}), 'the tablet is still logged in';
ok !logged_out($d{laptop}), 'and so is the laptop';


# end all the others

$d{kiosk} = device('kiosk');
$r = end($d{laptop}, 'others');
is $r->{headers}{location}, '/kot/sessions?ended=2',
    '"log out all other devices" ends the 2 others';
ok KotTest::wait_until(sub { logged_out($d{tablet}) && logged_out($d{kiosk}) },
                       timeout => 0.5, interval => 0.01,
                       what => 'the others logged out'),
    'both meet the login page at their next request';
ok !logged_out($d{laptop}), 'this device stays logged in';
@rows = page($d{laptop})->{content} =~ /data-session="([\w-]+)"/g;
is "@rows", $d{laptop}{handle}, 'and is all the list shows';

my @ended = KotTest::wait_until(sub {
    my @r = $t->audit_records($log, 'session_revoked');
    @r >= 4 ? \@r : undef;
}, what => 'the records');
my ($one, $all) = grep { $_->{'event.outcome'} eq 'success' }
                  @{ $ended[0] // [] };
my @missed = grep { $_->{'event.outcome'} ne 'success' } @{ $ended[0] // [] };
is_deeply [ sort map { $_->{'kot.session'} } @missed ],
    [ sort map { $_->{handle} } values %stranger ],
    'a handle that ended nothing is on the record';
ok !grep({ $_->{'event.outcome'} ne 'failure'
           || $_->{'event.reason'} ne 'no_such_session'
           || $_->{'kot.sessions_ended'} != 0 } @missed),
    'as a failure, no_such_session, with none ended';
is $one->{'kot.session'}, $d{phone}{handle},
    'the audit log records the session the user ended';
is $one->{'event.reason'}, 'by_user', 'by the user';
is $one->{'user.name'}, 'alice', 'who is named';
is $all->{'kot.session'}, 'others', 'and "others"';
is $all->{'kot.sessions_ended'}, 2, 'with how many';


# the device logged out from another is told so, and what to do if that
# was not the user: whoever ended it holds one of their sessions

my $victim = device('phone');
end($d{laptop}, $victim->{handle});
my $told = $victim->{ua}->get('/app', { Accept => 'text/html' });
like $told->{headers}{location}, qr{^/kot/login\?.*\bended_elsewhere=1},
    'the device logged out from another meets the login page, told why';
my $why = $victim->{ua}->get($told->{headers}{location}, $victim->{h});
like $why->{content},
    qr/${alert}\QYou were logged out on this device from another of your \E
       \Qdevices. If that was not you, log in and change your password\E/x,
    'it says who logged it out, and what to do if it was not them';
like $victim->{ua}->get($told->{headers}{location},
                        { %{ $victim->{h} }, 'Accept-Language' => 'ja' })
    ->{content}, qr/別の端末からこの端末をログアウトしました/,
    'in Japanese too';
my $admin_ended = device('tablet');
is $t->kotctl('session', 'revoke', 'acme', 'alice',
              $admin_ended->{handle})->{exit}, 0,
    'an administrator ends another session of the user';
my $plain = $admin_ended->{ua}->get('/app', { Accept => 'text/html' });
ok $plain->{status} == 302 && $plain->{headers}{location} !~ /elsewhere/,
    'which is not said to be the user\'s doing'
    or diag explain $plain->{headers};

my $script = device('tablet');
end($d{laptop}, $script->{handle});
is $script->{ua}->get('/app', { Accept => 'application/json' })->{content},
    qq({"error":"login_required","reason":"ended_elsewhere"}\n),
    'a script of a device logged out from another is told why too';


# a session bound to enrol in MFA (the company requires it, and the user
# has yet to set it up) opens nothing but the enrolment: a password alone
# neither lists the user's devices nor logs them out
$t->add_user('strict', 'erin', 'correct horse battery');
my $erin = device('laptop', 'erin', 'strict');
$t->kotctl('tenant', 'policy', 'strict', 'mfa=required');
my $bound = device('phone', 'erin', 'strict');
my $refused = $bound->{ua}->get('/kot/sessions',
                                { %{ $bound->{h} }, Accept => 'text/html' });
like $refused->{headers}{location} // '', qr{^/kot/mfa\b},
    'a session bound to enrol is sent to the enrolment, not the list';
unlike $refused->{content} // '', qr/kot-session/, 'which it does not see';
ok !logged_out($erin), 'and the session of before stays';

# (the page has no form for it: the token of an earlier page)
$r = end($d{laptop}, $d{laptop}{handle},
         KotTest::UA::form_field($list->{content}, 'csrf'));
like $r->{headers}{location}, qr{^/kot/login\?logged_out=1},
    'ending this device\'s own session logs it out';
ok logged_out($d{laptop}), 'for good';
is $n->ua->get('/kot/sessions')->{status}, 302,
    'without a session the page sends to the login page';

done_testing;
