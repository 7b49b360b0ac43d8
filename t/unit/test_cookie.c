/*
 * Unit tests of kot_cookie: finding one cookie in a Cookie header.
 */

#include <string.h>

#include "tap.h"
#include "kot_cookie.h"


/* The value of name in hdr as a string, or "(absent)". */

static const char *
find(const char *hdr, const char *name)
{
    size_t       len;
    const char  *v;
    static char  buf[256];

    if (!kot_cookie_find(hdr, strlen(hdr), name, strlen(name), &v, &len)) {
        return "(absent)";
    }

    memcpy(buf, v, len);
    buf[len] = '\0';

    return buf;
}


/* hdr without ngx_kot's cookies, as a string. */

static const char *
strip(const char *hdr)
{
    size_t       n;
    static char  buf[512];

    n = kot_cookie_strip(hdr, strlen(hdr), buf);
    buf[n] = '\0';

    return buf;
}


static int
sets(const char *value)
{
    return kot_cookie_sets_ours(value, strlen(value));
}


int
main(void)
{
    size_t       len;
    const char  *v, *hdr;

    is_str(find("a=1; b=2", "a"), "1", "first cookie");
    is_str(find("a=1; b=2", "b"), "2", "last cookie");
    is_str(find("a=1;b=2", "b"), "2", "no space after ';'");
    is_str(find("  a = 1 ;\tb=2  ", "a"), "1", "spaces around '=' and ';'");
    is_str(find("  a = 1 ;\tb=2  ", "b"), "2", "tabs and trailing spaces");
    is_str(find("a=\"xyz\"", "a"), "xyz", "double quotes removed");
    is_str(find("a=\"\"", "a"), "", "empty quoted value");
    is_str(find("a=\"", "a"), "\"", "a lone quote is kept");
    is_str(find("a=\"x", "a"), "\"x", "an unbalanced quote is kept");
    is_str(find("a=x=y", "a"), "x=y", "'=' inside a value is kept");
    is_str(find("a=; b=2", "a"), "", "empty value is found");
    is_str(find("a=1; a=2", "a"), "1", "first of two wins");
    is_str(find("a; a=2", "a"), "2", "pair without '=' is skipped");
    is_str(find("flag; b=1", "b"), "1", "pair without '=' before");
    is_str(find("ab=1; xa=2", "a"), "(absent)", "no prefix/suffix match");
    is_str(find("ab=1; a=2", "ab"), "1", "longer names work");
    is_str(find("A=1", "a"), "(absent)", "names are case-sensitive");
    is_str(find("b=a=1", "a"), "(absent)", "a name inside a value is not one");
    is_str(find("", "a"), "(absent)", "empty header");
    is_str(find(";;; ;", "a"), "(absent)", "only separators");
    is_str(find("a=1;", "a"), "1", "trailing ';'");
    is_str(find("=1; a=2", ""), "(absent)", "empty name never matches");
    is_str(find("k=v%3B; s=abc_-", "s"), "abc_-", "base64url value");

    ok(kot_cookie_find(NULL, 0, "a", 1, &v, &len) == 0,
       "absent header (NULL, 0)");

    hdr = "a=1; sid=secret";
    ok(kot_cookie_find(hdr, 8, "sid", 3, &v, &len) == 0,
       "header length is honoured");
    ok(kot_cookie_find(hdr, strlen(hdr), "sid", 3, &v, &len) == 1
       && v == hdr + 9 && len == 6, "value points inside the header");
    is_long(kot_cookie_find(hdr, strlen(hdr), "sidx", 3, &v, &len), 1,
            "name length is honoured");


    /* what the application may see */

    is_str(strip("kot_session=abc"), "", "our cookie alone leaves nothing");
    is_str(strip("a=1; kot_session=abc; b=2"), "a=1; b=2",
           "ours in the middle");
    is_str(strip("kot_session=abc; a=1"), "a=1", "ours first");
    is_str(strip("a=1;kot_pre=x"), "a=1", "ours last, no space");
    is_str(strip("__Host-kot_session=s; __Host-kot_pre=p; __Host-kot_mfa=m;"
                 " app=1"), "app=1", "every secure name");
    is_str(strip("kot_session=s; kot_pre=p; kot_mfa=m"), "",
           "every insecure name");
    is_str(strip(" kot_session = s ;\tx=\"q r\" ;flag; y=1=2"),
           "x=\"q r\"; flag; y=1=2",
           "the app's pairs keep their spelling, flags included");
    is_str(strip("a=1;b=2"), "a=1; b=2", "no space after ';' gets one");
    is_str(strip("kot_sessionx=1; xkot_session=2; Kot_session=3;"
                 " __Secure-kot_session=4; __Host-kot_other=5"),
           "kot_sessionx=1; xkot_session=2; Kot_session=3;"
           " __Secure-kot_session=4; __Host-kot_other=5",
           "only exact names are ours");
    is_str(strip("a=kot_session=1"), "a=kot_session=1",
           "our name inside a value is not ours");
    is_str(strip("kot_session=1; kot_session=2; b=3"), "b=3",
           "repeated cookies of ours all go");
    is_str(strip(";;; ; "), "", "only separators");

    ok(kot_cookie_maybe_ours("a=1; kot_x=2", 12), "the quick test sees kot_");
    ok(!kot_cookie_maybe_ours("a=1; b=2", 8), "and nothing else");

    ok(sets("kot_session=x; Path=/"), "Set-Cookie of our session");
    ok(sets(" __Host-kot_pre = y"), "of our pre-login cookie, spaced");
    ok(sets("__Host-kot_mfa="), "of an empty pending cookie");
    ok(!sets("app=kot_session; Path=/"),
       "not an app cookie named like a value");
    ok(!sets("kot_session"), "not a value without '='");
    ok(!sets("Path=/; kot_session=1"), "only the first pair names the cookie");

    return done_testing();
}
