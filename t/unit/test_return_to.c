/*
 * Unit tests of kot_return_to: only local paths, however encoded.
 */

#include <string.h>

#include "tap.h"
#include "kot_return_to.h"


static int
rt(const char *s)
{
    return kot_return_to_ok(s, strlen(s));
}


/* s with bytes outside 0x21..0x7e as \xNN, so that TAP stays one line */

static const char *
show(const char *s)
{
    char         *p;
    static char  buf[256];

    for (p = buf; *s && p < buf + sizeof(buf) - 5; s++) {
        if ((unsigned char) *s < 0x21 || (unsigned char) *s > 0x7e) {
            p += sprintf(p, "\\x%02x", (unsigned char) *s);

        } else {
            *p++ = *s;
        }
    }

    *p = '\0';

    return buf;
}


/* The path kot_return_to_referer() finds, or "(refused)". */

static const char *
referer(const char *ref, const char *host)
{
    size_t       len;
    const char  *path;
    static char  buf[256];

    if (!kot_return_to_referer(ref, strlen(ref), host, strlen(host), &path,
                               &len))
    {
        return "(refused)";
    }

    memcpy(buf, path, len);
    buf[len] = '\0';

    return buf;
}


int
main(void)
{
    size_t       i;
    static char  big[KOT_RETURN_TO_MAX + 2];
    static const char  *good[] = {
        "/", "/app?x=1", "/a/b#frag", "/app/?next=%2Fdashboard",
        "/search?q=a+b", "/~user/", "/a%2Fb", "/%41", "/a?b=/c",
        "/a%20b", "/%20a", "/wiki/%E6%97%A5%E6%9C%AC", "/50%off", "/%",
        "/%zz", "/%2", "/%2525zz", "/reports?q=100%", "/a?x=%zz&y=%2F",
    };
    static const char  *bad[] = {
        "", "//evil", "///evil", "/\\evil", "\\\\evil", "\\/evil",
        "https://evil", "http:/evil", "evil", "javascript:alert(1)",
        "/%2F%2Fevil", "/%2fevil", "/%5Cevil", "/%5cevil", "/a%5Cb",
        "/%252F%252Fevil", "/%25252Fevil", "/%255Cevil",
        "/a%0d%0aSet-Cookie:x", "/a%0aX", "/a%250d%250aX", "/a%00",
        "/ a", "/\t/evil", "/a\r\nb", "/a b", "/%09/evil",
        "/\xc3\xa9", "/a\x7f", "/\x80", "/a%7f",
        "/%2525252Fevil", "/%252525252Fevil",
        "/%2F%2Fevil?%", "/%5C%5Cevil?x=%zz", "/%252F%252Fevil?%",
        "/%2F%2Fevil%",
    };

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        is_long(rt(good[i]), 1, "accepts \"%s\"", good[i]);
    }

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        is_long(rt(bad[i]), 0, "refuses \"%s\"", show(bad[i]));
    }

    ok(kot_return_to_ok("/a\0b", 4) == 0, "refuses an embedded NUL");
    is_str(rt("/ok") ? "safe" : "unsafe", "safe", "a plain path is safe");
    ok(kot_return_to_ok("//evil", 1) == 1, "honours len");

    big[0] = '/';
    memset(big + 1, 'a', KOT_RETURN_TO_MAX);
    is_long(kot_return_to_ok(big, KOT_RETURN_TO_MAX), 1,
            "accepts %d bytes", KOT_RETURN_TO_MAX);
    is_long(kot_return_to_ok(big, KOT_RETURN_TO_MAX + 1), 0,
            "refuses %d bytes", KOT_RETURN_TO_MAX + 1);

    /* the page of a form, from its Referer */

    is_str(referer("https://app.example:8443/notes/7?x=1#top",
                   "app.example:8443"), "/notes/7?x=1",
           "a Referer of this site gives its path, without the fragment");
    is_str(referer("HTTP://APP.example/a", "app.EXAMPLE"), "/a",
           "scheme and host are case-insensitive");
    is_str(referer("https://app.example/", "app.example"), "/",
           "the site's root");
    is_str(referer("https://app.example", "app.example"), "(refused)",
           "an origin without a path (Referrer-Policy: origin)");
    is_str(referer("https://app.example.evil/a", "app.example"), "(refused)",
           "another host that starts with this one");
    is_str(referer("https://app.example:8443/a", "app.example"), "(refused)",
           "another port");
    is_str(referer("https://evil/a", "app.example"), "(refused)",
           "another site");
    is_str(referer("https://app.example@evil/a", "app.example"), "(refused)",
           "a user name that looks like the host");
    is_str(referer("ftp://app.example/a", "app.example"), "(refused)",
           "another scheme");
    is_str(referer("https://app.example//evil", "app.example"), "(refused)",
           "a path that return_to refuses");
    is_str(referer("https://app.example/a\r\nb", "app.example"), "(refused)",
           "a path with a line break");
    is_str(referer("/a", ""), "(refused)", "no host");

    return done_testing();
}
