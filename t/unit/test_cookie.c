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

    return done_testing();
}
