/*
 * Unit tests of kot_notify: which webhooks kotctl notify posts to.
 */

#include <string.h>

#include "tap.h"
#include "kot_notify.h"


static int
url(const char *s)
{
    return kot_notify_url_ok(s, strlen(s));
}


int
main(void)
{
    size_t       i;
    static char  big[KOT_NOTIFY_URL_MAX + 2];

    static const char  *good[] = {
        "https://hooks.example.com/kot",
        "http://127.0.0.1:8080/hook?token=abc",
        "HTTPS://Example.COM",
        "https://[2001:db8::1]:8443/x",
    };

    static const char  *bad[] = {
        "", "https://", "http://", "ftp://example.com/", "file:///etc/passwd",
        "//example.com/", "example.com", "https:///path", "https://?q",
        "https://example.com/a b", "https://example.com/\r\nX-Evil: 1",
        "https://example.com/\x7f", "https://ex\xc3\xa4mple.com/",
        " https://example.com/", "javascript:alert(1)",
    };

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        is_long(url(good[i]), 1, "accepts \"%s\"", good[i]);
    }

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        is_long(url(bad[i]), 0, "refuses bad URL %zu", i);
    }

    ok(kot_notify_url_ok("https://a/\0b", 12) == 0, "refuses a NUL");
    ok(kot_notify_url_ok("https://a.example", 9) == 1, "honours len");

    memcpy(big, "https://a/", 10);
    memset(big + 10, 'a', sizeof(big) - 11);
    is_long(kot_notify_url_ok(big, KOT_NOTIFY_URL_MAX), 1,
            "accepts %d bytes", KOT_NOTIFY_URL_MAX);
    is_long(kot_notify_url_ok(big, KOT_NOTIFY_URL_MAX + 1), 0,
            "refuses %d bytes", KOT_NOTIFY_URL_MAX + 1);

    return done_testing();
}
