# What a visitor sees around every portal page: the product's name, a
# language switch that needs no script, a footer; a sysadmin's own look
# from kot_portal_templates, whose values can never add markup, and whose
# mistakes fail "nginx -t" with the file and the line.  And on the pages
# themselves: the password rules before the first try, the visitor's
# address when their network is refused, who to ask for a forgotten
# password.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;
use Digest::SHA qw(sha256_base64);
use File::Copy qw(copy);

my $t = KotTest->new;
my $sample = KotTest->repo . '/conf/portal-templates';

my $realip = <<'EOF';
        set_real_ip_from 127.0.0.1;
        real_ip_header X-Real-IP;
EOF

my $n = $t->nginx(KotTest->site(server => $realip));
my $b = $t->nginx(KotTest->site(server => "kot_portal_templates $sample;"),
                  name => 'branded');

$t->add_user('acme', 'alice', 'correct horse battery');

my $EN = { 'Accept-Language' => 'en' };
my $JA = { 'Accept-Language' => 'ja' };

sub style_allowed ($r, $name) {
    my ($style) = $r->{content} =~ m{<style>(.*?)</style>}s;
    my $hash = sha256_base64($style // '') . '=';
    like $r->{headers}{'content-security-policy'},
        qr/style-src 'sha256-\Q$hash\E'/,
        "$name: the CSP allows the page's stylesheet by its hash";
    unlike $r->{content}, qr/<script/i, "$name: and there is no script";
}


# the built-in look

my $ua = $n->ua;
my $p = $ua->get('/kot/login?return_to=%2Freports', $EN);
like $p->{content}, qr{<span class="kot-brand">ngx_kot</span>},
    'the login page shows the product name';
like $p->{content}, qr{<title>Log in - ngx_kot</title>},
    'and in its title';
my $ja_link = '<a href="\?return_to=%2Freports&amp;lang=ja" hreflang="ja"';
like $p->{content},
    qr{$ja_link lang="ja">日本語</a>},
    'a link switches to Japanese and keeps where the user was going';
like $p->{content},
    qr{<footer class="kot-foot">.*Sign-in protected by ngx_kot}s,
    'a footer';
like $p->{content}, qr{name="viewport" content="width=device-width},
    'the page fits a phone';
like $p->{content},
    qr{Forgot your password\?</strong> Ask your company&#39;s administrator},
    'the login page says who resets a forgotten password';
style_allowed($p, 'the built-in look');

$p = $ua->get('/kot/login?return_to=%2Freports&lang=ja', $EN);
like $p->{content}, qr{<html lang="ja">.*<h1>ログイン</h1>}s,
    '?lang=ja gives the Japanese page over an English browser';
like $p->{content}, qr{パスワードを忘れた場合</strong> 所属企業の管理者},
    'with the help text in Japanese';
like $p->{content},
    qr{<a href="\?return_to=%2Freports&amp;lang=en"[^>]*>English</a>},
    'and a link back to English';
my $c = $p->{headers}{'set-cookie'} // '';
like join("\n", ref $c ? @$c : $c), qr/^kot_lang=ja;.*HttpOnly/m,
    'the choice is kept in a cookie';
like $ua->get('/kot/nothing', $EN)->{content}, qr{<html lang="ja">},
    'so the next page is Japanese too';
like $ua->get('/kot/login?lang=en', $JA)->{content}, qr{<html lang="en">},
    'until the user switches back';
like $n->ua->get('/kot/login?lang=xx', $JA)->{content}, qr{<html lang="ja">},
    'an unknown ?lang= leaves the browser\'s language';

$p = $n->ua->get('/kot/login?x=%22%3E%3Cb%3E&q="><i>', $EN);
like $p->{content},
    qr{href="\?x=%22%3E%3Cb%3E&amp;q=&quot;&gt;&lt;i&gt;&amp;lang=ja"},
    'the query string in the switch\'s link is escaped';
unlike $p->{content}, qr{<i>}, 'and adds no markup';

# a page that answers a form has no query string: where the user was
# going is in the form, and the switch's link carries it
my $tried = $n->ua->login(tenant => 'acme', username => 'alice',
                          password => 'not the password',
                          return_to => '/reports?month=5');
is $tried->{status}, 401, 'a failed login';
like $tried->{content},
    qr{<a href="\?return_to=/reports%3Fmonth%3D5&amp;lang=ja" hreflang="ja"},
    'switches language and keeps where the user was going';
$p = $n->ua->get('/kot/login?return_to=/reports%3Fmonth%3D5&lang=ja');
is KotTest::UA::form_field($p->{content}, 'return_to'), '/reports?month=5',
    'to the login page in Japanese, with the same page to go on to';


# the password form lists the rules in force, in both languages

$ua = $n->ua;
$ua->login(tenant => 'acme', username => 'alice',
           password => 'correct horse battery');
$p = $ua->get('/kot/password', $EN);
my $en_rules = join '.*', 'Your new password must:',
    '<li>have at least 12 characters</li>',
    '<li>have at most 128 characters</li>',
    '<li>not contain your username</li>',
    '<li>differ from your current password</li>';
like $p->{content}, qr{$en_rules}s,
    'the password form lists the rules before the first try';

my $r = $t->kotctl('tenant', 'policy', 'acme', 'min_length=16', 'history=4',
                   'classes=3', 'max_age=90d');
is $r->{exit}, 0, 'the tenant tightens its policy' or diag $r->{err};
$p = $ua->get('/kot/password', $JA);
my $ja_rules = join '.*', '新しいパスワードの条件:',
    '<li>16文字以上であること</li>',
    '<li>英小文字・英大文字・数字・記号のうち3種類以上を含むこと</li>',
    '<li>直近4回のパスワードと異なること</li>',
    '<li>90日以内に再度変更すること';
like $p->{content}, qr{$ja_rules}s,
    'the list follows the tenant\'s rules, in Japanese too';

$r = $ua->post_form('/kot/password', {
    csrf => KotTest::UA::form_field($p->{content}, 'csrf'),
    current_password => 'correct horse battery',
    new_password => 'short', confirm_password => 'short' }, $EN);
is $r->{status}, 400, 'a password that breaks the rules is refused';
my $current = '<input id="current_password" name="current_password"';
like $r->{content},
    qr{$current type="password" required[^>]*>},
    'the refused form still has the current password field';
unlike $r->{content}, qr{correct horse battery|value="short"},
    'with no password echoed back';
like $r->{content}, qr{<li>have at least 16 characters</li>},
    'and the rules again';


# a refused network: the page shows the address to tell the admin

$r = $t->kotctl('allowlist', 'acme', 'access', 'set', '10.1.0.0/16');
is $r->{exit}, 0, 'the tenant allows one network' or diag $r->{err};
my $from = { %$EN, 'X-Real-IP' => '198.51.100.23' };
$ua = $n->ua;
$p = $ua->get('/kot/login', $from);
$r = $ua->post_form('/kot/login', {
    csrf => KotTest::UA::form_field($p->{content}, 'csrf'),
    tenant => 'acme', username => 'alice',
    password => 'correct horse battery' }, $from);
is $r->{status}, 403, 'a login from another network is refused';
my $address = 'Your address, to tell your administrator: ';
like $r->{content},
    qr{$address<span class="kot-address">198\.51\.100\.23</span>},
    'the page shows the visitor\'s address';
$r = $t->kotctl('allowlist', 'acme', 'access', 'set');
is $r->{exit}, 0, 'the list is emptied again';


# the shipped sample look

$ua = $b->ua;
$p = $ua->get('/kot/login', $EN);
my $logo = '<img class="kot-logo" src="/brand/logo.svg" alt="">';
like $p->{content},
    qr{<a class="kot-brand" href="/">${logo}Example Attendance</a>},
    're-branded: the product name and logo of the values file';
like $p->{content}, qr{<title>Log in - Example Attendance</title>},
    'in the title too';
my $footer = join '\s*',
    '<a href="https://example.com/terms">Terms of use</a>',
    '<a href="https://example.com/privacy">Privacy</a>',
    '<a href="https://example.com/support">IT desk</a>';
like $p->{content}, qr{$footer},
    'the footer links to terms, privacy and support';
like $p->{content}, qr{Ask the IT desk \(ext\. 4100},
    'the help text is the sysadmin\'s';
like $p->{content}, qr{<main>\n<h1>Log in</h1>.*name="password"}s,
    'around the module\'s own form';
style_allowed($p, 'the sample look');
like $p->{content}, qr{--kot-accent: #0a7d5a}, 'with the sample\'s colours';

$p = $ua->get('/kot/login?lang=ja');
like $p->{content}, qr{Example 勤怠</a>.*出退勤の打刻}s,
    'a value has its Japanese version';
like $p->{content}, qr{<a href="https://example.com/support">ヘルプデスク</a>},
    'and the built-in labels theirs';

$p = $b->ua->get('/kot/nothing', $EN);
is $p->{status}, 404, 'a page not found';
like $p->{content}, qr{Example Attendance.*<h1>Page not found</h1>}s,
    'has the same look';


# values are text: markup in them shows as typed

my $evil = $t->dir . '/evil';
mkdir $evil or die "$evil: $!";
KotTest::_spew("$evil/values", <<'EOF');
product = "><script>alert(1)</script>
help = <img src=x onerror=alert(1)> & call 'us'
footer.ja = </footer><b>
EOF
my $e = $t->nginx(KotTest->site(server => "kot_portal_templates $evil;"),
                  name => 'evil');
$p = $e->ua->get('/kot/login', $EN);
my $escaped = '&quot;&gt;&lt;script&gt;alert\(1\)&lt;/script&gt;';
like $p->{content},
    qr{<span class="kot-brand">$escaped</span>},
    'a value with markup is escaped in the layout';
like $p->{content}, qr{<title>Log in - &quot;&gt;&lt;script&gt;},
    'and in the title';
my $img = '&lt;img src=x onerror=alert\(1\)&gt;';
like $p->{content},
    qr{</strong> $img &amp; call &#39;us&#39;</p>},
    'and in the page';
unlike $p->{content}, qr{<script|<img src=x}, 'no markup got through';
$p = $e->ua->get('/kot/login', $JA);
like $p->{content}, qr{<p>&lt;/footer&gt;&lt;b&gt;</p>},
    'a language\'s own value is escaped too';
unlike $p->{content}, qr{<b>}, 'and adds no markup';


# mistakes fail nginx -t, naming the file and the line

sub look ($name, %files) {
    my $dir = $t->dir . "/$name";
    mkdir $dir or die "$dir: $!";
    for (grep { !exists $files{$_} } qw(layout.html values style.css)) {
        copy("$sample/$_", "$dir/$_") or die "$_: $!";
    }
    for (grep { defined $files{$_} } keys %files) {
        KotTest::_spew("$dir/$_", $files{$_});
    }
    return $dir;
}

sub refused ($dir, $re, $name) {
    my ($rc, $out) = $t->nginx_check(
        KotTest->site(server => "kot_portal_templates $dir;"));
    isnt $rc, 0, "$name: nginx -t fails";
    like $out, $re, "$name: and says where";
}

my ($rc, $out) = $t->nginx_check(
    KotTest->site(server => "kot_portal_templates $sample;"));
is $rc, 0, 'the shipped sample passes nginx -t' or diag $out;

my $layout = KotTest::_slurp("$sample/layout.html");

my $in_conf = 'in \S+nginx\.conf:\d+';
refused(look('unknown',
             'layout.html' => $layout =~ s/\{\{footer\}\}/{{copyright}}/r),
        qr{unknown/layout\.html:16: unknown value "copyright" $in_conf},
        'an unknown value');
refused(look('unclosed', 'layout.html' => $layout =~ s/\{\{\/tagline\}\}//r),
        qr{unclosed/layout\.html:9: \{\{#tagline\}\} is not closed},
        'an unclosed section');
refused(look('script',
             'layout.html' => $layout =~ s{</body>}
                                          {<script>x()</script>\n</body>}r),
        qr{script/layout\.html:18: no <script>: portal pages run no script},
        'a script element');
my $split_script = '<scr{{#tagline}}{{/tagline}}ipt src="/x.js"></script>';
# the text between tags has no <script>, but the page would
refused(look('splitscript',
             'layout.html' => $layout =~ s{</body>}{$split_script\n</body>}r),
        qr{splitscript/layout\.html:18: no tag inside an element's name},
        'a section that joins the halves of <script>');
refused(look('namedby',
             'layout.html' => $layout =~ s{</body>}
                                          {<{{tagline}} src="/x.js">\n</body>}r,
             values => "home_url = /\ntagline = script\n"),
        qr{namedby/layout\.html:18: no tag inside an element's name},
        'a value that names an element');
my $once = '\{\{head\}\} \(inside <head>\) and \{\{body\}\} '
         . 'must each appear once';
refused(look('nohead', 'layout.html' => $layout =~ s/\{\{head\}\}//r),
        qr{nohead/layout\.html: $once},
        'a layout without {{head}}');
refused(look('badurl',
             values => "product = A\nterms_url = javascript:alert(1)\n"),
        qr{badurl/values:2: terms_url must be an http or https URL},
        'a _url value that is not a URL');
refused(look('backslash',
             values => "product = A\nlogo_url = /\\evil.example/x.svg\n"),
        qr{backslash/values:2: logo_url must be an http or https URL},
        'a _url value that browsers read as another site');
my $ends = 'a name ends in \.ja, \.en or nothing';
refused(look('badlang', values => "# x\nproduct.fr = A\n"),
        qr{badlang/values:2: "product\.fr": $ends},
        'a value for a language that does not exist');
refused(look('setsbody', values => "body = <b>\n"),
        qr{the values file cannot set "body": the module sets it},
        'a value that would replace the page');
refused(look('endstyle', 'style.css' => "p{}</style><script>"),
        qr{endstyle/style\.css must not contain "</style"},
        'a stylesheet that would end its element');
refused(look('empty', 'layout.html' => undef, values => undef,
             'style.css' => undef),
        qr{has none of layout\.html, values and style\.css},
        'an empty directory');

done_testing;
