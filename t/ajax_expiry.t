# After expiry, who gets what: a browser navigating gets the login page
# (303 for a form it posted, and a notice that the form was lost); a
# script (XHR, fetch, htmx) gets 401 JSON, whatever it accepts, so that
# it never inserts the login page into the application's page.

use strict;
use warnings;
use v5.36;

use lib 't/lib';
use KotTest;
use Test::More;
use MIME::Base64 ();

my $t = KotTest->new;
my ($crt, $key) = $t->tls_cert;

# Sessions end 2 s after login.  The browser's server uses the secure
# cookie names over TLS; the other is plain HTTP.
my $locations = <<'EOF';
        location /kot/ {
            kot_portal;
        }

        location / {
            kot on;
            kot_absolute_timeout 2s;
            proxy_pass http://unix:%%DIR%%/app.sock;
        }
EOF

my $n = $t->nginx(<<"EOF");
    kot_redis %%REDIS%% timeout=1s;
    kot_secret_file %%SECRET%%;
    kot_last_login_notice off;
    kot_thread_pool kot_test;
    kot_password_hash scrypt ln=10;
    kot_login_throttle off;

    # the application: a page with a form, and a plain answer otherwise
    server {
        listen unix:%%DIR%%/app.sock;

        location /notes/edit {
            default_type text/html;
            return 200 '<!doctype html><title>Notes</title>
<form method="post" action="/notes/save"><textarea name="text"></textarea>
<button type="submit">Save</button></form>';
        }

        location / {
            default_type text/plain;
            return 200 "app \$request_method \$request_uri\\n";
        }
    }

    server {
        listen 127.0.0.1:%%PORT%% ssl;
        ssl_certificate $crt;
        ssl_certificate_key $key;
$locations
    }

    server {
        listen 127.0.0.1:%%PORT2%%;
        kot_insecure_cookie on;
$locations
        # clients that speak only HTTP authentication (CalDAV, feeds)
        location /dav/ {
            auth_basic "Calendars";
            auth_basic_user_file %%DIR%%/dav.users;
            proxy_pass http://unix:%%DIR%%/app.sock;
        }
    }
EOF

$t->add_user('acme', 'alice', 'correct horse battery');
KotTest::_spew($n->dir . '/dav.users', "alice:{PLAIN}calendar secret\n");

my $origin = 'http://127.0.0.1:' . $n->port2;
sub ua () { KotTest::UA->new(port => $n->port2) }

sub get (%h) { ua()->get('/notes/list', \%h) }
sub post (%h) { ua()->post_form('/notes/save', { text => 'typed' }, \%h) }

my $HTML = 'text/html,application/xhtml+xml,*/*;q=0.8';


# scripts

my $res = get(Accept => 'text/html, */*; q=0.01',
              'X-Requested-With' => 'XMLHttpRequest');
is $res->{status}, 401, 'jQuery or htmx asking for HTML gets 401';
is $res->{content}, qq({"error":"login_required"}\n), 'as JSON';
is $res->{headers}{'www-authenticate'}, 'Cookie realm="kot"',
    'with a challenge that no HTTP authentication scheme answers';

is get(Accept => $HTML, 'Sec-Fetch-Mode' => 'cors',
       'Sec-Fetch-Dest' => 'empty')->{status}, 401,
    'fetch() asking for HTML gets 401';
is get(Accept => $HTML, 'Sec-Fetch-Mode' => 'no-cors',
       'Sec-Fetch-Dest' => 'image')->{status}, 401,
    'so does an image';
is get(Accept => $HTML, 'Sec-Fetch-Dest' => 'empty')->{status}, 401,
    'Sec-Fetch-Dest alone says it too';
is post(Accept => $HTML, 'Sec-Fetch-Mode' => 'cors')->{status}, 401,
    "a script's POST gets 401";


# navigations

$res = get(Accept => $HTML, 'Sec-Fetch-Mode' => 'navigate',
           'Sec-Fetch-Dest' => 'document');
is $res->{status}, 302, 'a navigation gets 302';
is $res->{headers}{location}, '/kot/login?return_to=/notes/list',
    'to the login page';

is get(Accept => '*/*', 'Sec-Fetch-Mode' => 'navigate',
       'Sec-Fetch-Dest' => 'document')->{status}, 302,
    'Sec-Fetch-Mode decides, not Accept';
is get(Accept => $HTML, 'Sec-Fetch-Mode' => 'navigate',
       'Sec-Fetch-Dest' => 'iframe')->{status}, 302,
    'a page in a frame is a navigation too';
is get(Accept => $HTML)->{status}, 302,
    'a browser without Sec-Fetch-* that accepts HTML is one too';


# forms

$res = post(Accept => $HTML, 'Sec-Fetch-Mode' => 'navigate',
            'Sec-Fetch-Dest' => 'document', 'Sec-Fetch-Site' => 'same-origin',
            Referer => "$origin/notes/edit?id=7");
is $res->{status}, 303, 'a form posted without a session gets 303';
is $res->{headers}{location},
    '/kot/login?return_to=/notes/edit%3Fid%3D7&unsaved=1',
    'to the login page, back to the page of the form, with a notice';

$res = post(Accept => $HTML, Referer => "$origin/notes/edit");
is $res->{headers}{location}, '/kot/login?return_to=/notes/edit&unsaved=1',
    'from a browser without Sec-Fetch-* too';

for my $case (['https://evil.example/notes/edit', 'another site'],
              ["$origin//evil.example/", 'a path return_to refuses'],
              ['http://127.0.0.1:1/notes/edit', 'another port'])
{
    $res = post(Accept => $HTML, Referer => $case->[0]);
    is $res->{headers}{location}, '/kot/login?unsaved=1',
        "a Referer of $case->[1] is no place to return to";
}

$res = post(Accept => $HTML, 'Sec-Fetch-Mode' => 'navigate',
            'Sec-Fetch-Site' => 'cross-site',
            Referer => "$origin/notes/edit");
is $res->{headers}{location}, '/kot/login?unsaved=1',
    'nor is a form that another site posted';

$res = ua()->get('/kot/login?return_to=/notes/edit&unsaved=1',
                 { Accept => $HTML });
like $res->{content}, qr/what you submitted was not saved/,
    'the login page says that the submission was not saved';
$res = ua()->get('/kot/login?unsaved=1',
                 { Accept => $HTML, 'Accept-Language' => 'ja' });
like $res->{content}, qr/送信した内容は保存されていません/, 'in Japanese too';


# a session that ended while the form was open

my $ua = ua();
$ua->login(tenant => 'acme', username => 'alice',
           password => 'correct horse battery');
is $ua->get('/notes/edit', { Accept => $HTML })->{status}, 200,
    'logged in, the form opens';
my $ended;
wait_until(sub { ($ended = $ua->get('/notes/ping'))->{status} == 401 },
           timeout => 10, what => 'the session to end');
is $ended->{content}, qq({"error":"login_required","reason":"expired"}\n),
    'a script is told that the session expired, to say so to its user';
$res = $ua->post_form('/notes/save', { text => 'typed' },
                      { Accept => $HTML, Referer => "$origin/notes/edit" });
is $res->{status}, 303, 'after expiry the form gets 303';
is $res->{headers}{location}, '/kot/login?return_to=/notes/edit&unsaved=1',
    'to the login page with the notice';


# non-browser clients

$res = ua()->get('/calendars/alice', { Authorization => 'Basic '
                 . MIME::Base64::encode_base64('alice:calendar secret', '') });
is $res->{status}, 401, 'a CalDAV client gets 401 under "kot on"';
is $res->{headers}{'www-authenticate'}, 'Cookie realm="kot"',
    'with a challenge it cannot answer with a password';

$res = ua()->get('/dav/alice', { Authorization => 'Basic '
                 . MIME::Base64::encode_base64('alice:calendar secret', '') });
is $res->{status}, 200, 'a location of its own serves it';
is ua()->get('/dav/alice')->{headers}{'www-authenticate'},
    'Basic realm="Calendars"', 'asking for the password it can send';


$t->browse($n, 'form_expiry.mjs', 'acme', 'alice', 'correct horse battery');

done_testing;
