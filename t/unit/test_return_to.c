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


int
main(void)
{
    size_t       i;
    static char  big[KOT_RETURN_TO_MAX + 2];
    static const char  *good[] = {
        "/", "/app?x=1", "/a/b#frag", "/app/?next=%2Fdashboard",
        "/search?q=a+b", "/~user/", "/a%2Fb", "/%41", "/a?b=/c",
        "/a%20b", "/%20a", "/wiki/%E6%97%A5%E6%9C%AC", "/50%off", "/%",
        "/%zz", "/%2", "/%2525zz",
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

    return done_testing();
}
