/*
 * Unit tests of kot_form: picking wanted fields out of urlencoded bodies,
 * percent-decoding, and refusing malformed, duplicated or oversized ones.
 */

#include <string.h>

#include "tap.h"
#include "kot_form.h"


#define USER  0
#define PASS  1

static kot_form_field_t  f[2];
static char              scratch[512];


static kot_form_rc_t
parse(const char *body)
{
    f[USER].name = "username";
    f[PASS].name = "password";

    return kot_form_parse(body, strlen(body), f, 2, scratch,
                          strlen(body) + 2);
}


static int
nothing_trusted(void)
{
    return !f[USER].present && !f[PASS].present && f[USER].len == 0
           && f[PASS].len == 0 && strcmp(f[USER].value, "") == 0;
}


static void
test_basic(void)
{
    is_long(parse("username=alice&password=s3cret"), KOT_FORM_OK,
            "basic: parses");
    is_str(f[USER].value, "alice", "basic: username value");
    is_long(f[USER].len, 5, "basic: username length");
    is_str(f[PASS].value, "s3cret", "basic: password value");
    ok(f[USER].present && f[PASS].present, "basic: both present");

    parse("password=p&csrf=x&username=u");
    ok(strcmp(f[USER].value, "u") == 0 && strcmp(f[PASS].value, "p") == 0,
       "basic: order and unwanted fields do not matter");

    is_long(parse("password=a+b%20c%2B%e3%81%82"), KOT_FORM_OK,
            "decode: parses escapes");
    is_str(f[PASS].value, "a b c+\xe3\x81\x82",
           "decode: '+' and %20 are spaces, %2B is '+', lower-case hex");

    parse("user%6Eame=bob");
    is_str(f[USER].value, "bob", "decode: field names are decoded too");

    parse("username=a=b=c");
    is_str(f[USER].value, "a=b=c", "decode: '=' in a value is kept");

    parse("usernamex=1&user=2&Username=3");
    ok(!f[USER].present, "names: only exact, case-sensitive names match");
}


static void
test_empty(void)
{
    is_long(kot_form_parse(NULL, 0, f, 2, NULL, 0), KOT_FORM_OK,
            "empty: NULL body of length 0");
    is_long(parse(""), KOT_FORM_OK, "empty: empty body is fine");
    ok(nothing_trusted(), "empty: no field present, values are \"\"");

    is_long(parse("&&username=a&&"), KOT_FORM_OK, "empty: '&&' is skipped");
    is_str(f[USER].value, "a", "empty: value between empty pairs");

    parse("username&password=");
    ok(f[USER].present && f[USER].len == 0 && f[PASS].present
       && f[PASS].len == 0, "empty: field without '=' and empty value");
    is_str(f[PASS].value, "", "empty: empty value is \"\"");

    parse("=x&=&password=p");
    is_str(f[PASS].value, "p", "empty: empty names are ignored");
}


static void
test_refused(void)
{
    is_long(parse("username=a&username=b"), KOT_FORM_DUPLICATE,
            "dup: a wanted field twice");
    ok(nothing_trusted(), "dup: nothing filled in");
    is_long(parse("username=a&user%6eame=b"), KOT_FORM_DUPLICATE,
            "dup: a wanted field twice, once encoded");
    is_long(parse("username&username"), KOT_FORM_DUPLICATE,
            "dup: twice without values");
    is_long(parse("x=1&x=2&username=u"), KOT_FORM_OK,
            "dup: unwanted fields may repeat");

    is_long(parse("username=a&password=%"), KOT_FORM_MALFORMED,
            "malformed: lone %");
    ok(nothing_trusted(), "malformed: nothing filled in");
    is_long(parse("password=%4"), KOT_FORM_MALFORMED,
            "malformed: one hex digit");
    is_long(parse("password=%4&x=1"), KOT_FORM_MALFORMED,
            "malformed: one hex digit before '&'");
    is_long(parse("password=%zz"), KOT_FORM_MALFORMED,
            "malformed: non-hex digits");
    is_long(parse("password=%-1"), KOT_FORM_MALFORMED,
            "malformed: sign in an escape");
    is_long(parse("x=%g0&username=u"), KOT_FORM_MALFORMED,
            "malformed: in an unwanted field too");
    is_long(parse("%zz=1"), KOT_FORM_MALFORMED, "malformed: in a name");
    is_long(parse("password=a%00b"), KOT_FORM_MALFORMED,
            "nul: in a wanted value");
    is_long(parse("x=%00"), KOT_FORM_MALFORMED, "nul: in an unwanted value");
    is_long(parse("username%00=a"), KOT_FORM_MALFORMED, "nul: in a name");
}


static void
test_scratch(void)
{
    const char  *body = "username=alice&password=secret";

    f[USER].name = "username";
    f[PASS].name = "password";

    is_long(kot_form_parse(body, strlen(body), f, 2, scratch, 12),
            KOT_FORM_TOO_LARGE, "scratch: too small is refused");
    ok(nothing_trusted(), "scratch: nothing filled in");
    is_long(kot_form_parse(body, strlen(body), f, 2, scratch, 13),
            KOT_FORM_OK, "scratch: exactly the decoded values and NULs");
    is_long(kot_form_parse(body, strlen(body), f, 2, NULL, 0),
            KOT_FORM_TOO_LARGE, "scratch: none at all");
    is_long(kot_form_parse("x=1", 3, f, 2, NULL, 0), KOT_FORM_OK,
            "scratch: not needed without wanted fields");
    is_long(kot_form_parse(body, strlen(body), NULL, 0, NULL, 0),
            KOT_FORM_OK, "scratch: no wanted fields at all");
    is_long(kot_form_parse("username=ab", 9, f, 2, scratch, sizeof(scratch)),
            KOT_FORM_OK, "len: body length is honoured");
    ok(f[USER].present && f[USER].len == 0, "len: value cut at len");
}


static const char *
url_decode(const char *s, int plus)
{
    long         n;
    static char  buf[64];

    n = kot_url_decode(buf, s, strlen(s), plus);
    if (n < 0) {
        return "(refused)";
    }

    buf[n] = '\0';

    return buf;
}


static void
test_url_decode(void)
{
    char  buf[8];

    is_str(url_decode("a+b%2Fc", 1), "a b/c", "url_decode: plus is space");
    is_str(url_decode("a+b%2fc", 0), "a+b/c", "url_decode: plus is kept");
    is_str(url_decode("%", 0), "(refused)", "url_decode: lone %");
    is_str(url_decode("ab%2", 0), "(refused)", "url_decode: truncated");
    is_str(url_decode("%G1", 0), "(refused)", "url_decode: bad hex");
    is_str(url_decode("", 0), "", "url_decode: empty");
    is_long(kot_url_decode(buf, "a%00b", 5, 0), 3,
            "url_decode: NUL is the caller's business");
}


int
main(void)
{
    test_basic();
    test_empty();
    test_refused();
    test_scratch();
    test_url_decode();

    return done_testing();
}
