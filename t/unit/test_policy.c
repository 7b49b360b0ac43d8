/*
 * Unit tests of kot_policy: code-point lengths, strict UTF-8, control
 * characters, character classes and the username rule.
 */

#include <string.h>

#include "tap.h"
#include "kot_policy.h"


/* "パスワードは十二文字以上です": 14 code points, 42 bytes */
#define JA_LONG  "\xe3\x83\x91\xe3\x82\xb9\xe3\x83\xaf\xe3\x83\xbc" \
                 "\xe3\x83\x89\xe3\x81\xaf\xe5\x8d\x81\xe4\xba\x8c" \
                 "\xe6\x96\x87\xe5\xad\x97\xe4\xbb\xa5\xe4\xb8\x8a" \
                 "\xe3\x81\xa7\xe3\x81\x99"

/* "パスワード": 5 code points, 15 bytes */
#define JA_SHORT  "\xe3\x83\x91\xe3\x82\xb9\xe3\x83\xaf\xe3\x83\xbc" \
                  "\xe3\x83\x89"


static unsigned
check(const kot_policy_t *p, const char *pw, const char *user)
{
    return kot_policy_check(p, pw, strlen(pw), user,
                            user ? strlen(user) : 0);
}


/* The reasons as words, so that a failure shows what went wrong. */

static const char *
reasons(unsigned rc)
{
    static char  buf[128];

    buf[0] = '\0';

    if (rc == KOT_PW_OK) {
        return "ok";
    }

    if (rc & KOT_PW_TOO_SHORT) {
        strcat(buf, " short");
    }

    if (rc & KOT_PW_TOO_LONG) {
        strcat(buf, " long");
    }

    if (rc & KOT_PW_INVALID_CHARS) {
        strcat(buf, " invalid");
    }

    if (rc & KOT_PW_CLASSES) {
        strcat(buf, " classes");
    }

    if (rc & KOT_PW_USERNAME) {
        strcat(buf, " username");
    }

    return buf + 1;
}


static long
u8len(const char *s)
{
    return kot_utf8_length(s, strlen(s));
}


static void
test_utf8_length(void)
{
    size_t       i;
    static const char  *bad[] = {
        "\x80", "a\xbf", "\xc0\x80", "\xc1\xbf", "\xe0\x80\xaf",
        "\xf0\x80\x80\xaf", "\xed\xa0\x80", "\xed\xbf\xbf",
        "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xff", "\xc3",
        "\xe3\x81", "\xf0\x9f\x98", "\xe3\x81\x61", "\xc3\xa9\xa9",
    };

    is_long(u8len(""), 0, "utf8: empty");
    is_long(kot_utf8_length(NULL, 0), 0, "utf8: NULL of length 0");
    is_long(u8len("abc"), 3, "utf8: ASCII");
    is_long(u8len(JA_LONG), 14, "utf8: Japanese, 42 bytes");
    is_long(u8len("\xc2\x80\xdf\xbf"), 2, "utf8: 2-byte bounds");
    is_long(u8len("\xe0\xa0\x80\xef\xbf\xbf"), 2, "utf8: 3-byte bounds");
    is_long(u8len("\xed\x9f\xbf\xee\x80\x80"), 2, "utf8: around surrogates");
    is_long(u8len("\xf0\x90\x80\x80\xf4\x8f\xbf\xbf"), 2,
            "utf8: 4-byte bounds up to U+10FFFF");
    is_long(u8len("\xf0\x9f\x98\x80!"), 2, "utf8: emoji");
    is_long(kot_utf8_length("a\0b", 3), 3, "utf8: NUL is a code point");

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        is_long(u8len(bad[i]), -1, "utf8: refuses invalid #%zu", i);
    }
}


static void
test_length(void)
{
    kot_policy_t  p = KOT_POLICY_DEFAULT;
    kot_policy_t  tiny = { 3, 5, 0, 0 };

    is_long(check(&p, JA_LONG, NULL), KOT_PW_OK,
            "length: 14 Japanese code points pass min 12");
    is_long(check(&p, JA_SHORT, NULL), KOT_PW_TOO_SHORT,
            "length: 5 Japanese code points (15 bytes) are too short");
    is_long(check(&p, "correct horse", NULL), KOT_PW_OK,
            "length: spaces are allowed");
    is_long(check(&p, "elevenchars", NULL), KOT_PW_TOO_SHORT,
            "length: 11 is too short");
    is_long(check(&p, "twelve chars", NULL), KOT_PW_OK,
            "length: 12 is enough");
    is_long(check(&p, "", NULL), KOT_PW_TOO_SHORT, "length: empty");

    is_long(check(&tiny, "abcde", NULL), KOT_PW_OK, "length: max is fine");
    is_long(check(&tiny, "abcdef", NULL), KOT_PW_TOO_LONG,
            "length: max + 1 is too long");
    is_long(check(&tiny, JA_SHORT, NULL), KOT_PW_OK,
            "length: max counts code points, not bytes");
}


static void
test_chars(void)
{
    kot_policy_t  p = { 1, 128, 0, 0 };

    is_long(check(&p, "pass\tword", NULL), KOT_PW_INVALID_CHARS,
            "chars: TAB refused");
    is_long(check(&p, "pass\nword", NULL), KOT_PW_INVALID_CHARS,
            "chars: newline refused");
    is_long(check(&p, "pass\x7fword", NULL), KOT_PW_INVALID_CHARS,
            "chars: DEL refused");
    is_long(check(&p, "pass\xc2\x85word", NULL), KOT_PW_INVALID_CHARS,
            "chars: C1 NEL (U+0085) refused");
    is_long(check(&p, "pass\xc2\x9fword", NULL), KOT_PW_INVALID_CHARS,
            "chars: C1 U+009F refused");
    is_long(check(&p, "pass\xc2\xa0word", NULL), KOT_PW_OK,
            "chars: U+00A0 allowed");
    is_long(kot_policy_check(&p, "pass\0word", 9, NULL, 0),
            KOT_PW_INVALID_CHARS, "chars: NUL refused");
    is_long(check(&p, "pass\xc0\xafword", NULL), KOT_PW_INVALID_CHARS,
            "chars: overlong refused");
    is_long(check(&p, "pass\xed\xa0\x80word", NULL), KOT_PW_INVALID_CHARS,
            "chars: surrogate refused");
    is_long(check(&p, "pass\xf4\x90\x80\x80", NULL), KOT_PW_INVALID_CHARS,
            "chars: above U+10FFFF refused");
    is_long(check(&p, "pass\xe3\x81", NULL), KOT_PW_INVALID_CHARS,
            "chars: truncated sequence refused");
    is_long(check(&p, "\xf0\x9f\x94\x91 key", NULL), KOT_PW_OK,
            "chars: emoji allowed");

    p.min_length = 12;
    p.max_length = 1;
    p.classes = 3;
    p.not_username = 1;
    is_str(reasons(check(&p, "\xff" "bob\x01", "Bob")),
           "short long invalid classes username",
           "chars: every broken rule is reported");
    p.classes = 2;
    ok(check(&p, "\xff\x01", NULL) & KOT_PW_CLASSES,
       "chars: invalid bytes and controls are one class (other)");
}


static void
test_classes(void)
{
    kot_policy_t  p = { 1, 128, 3, 0 };

    is_long(check(&p, "abcABC", NULL), KOT_PW_CLASSES,
            "classes: two are not three");
    is_long(check(&p, "abcABC123", NULL), KOT_PW_OK,
            "classes: lower, upper, digit");
    is_long(check(&p, "abc123!", NULL), KOT_PW_OK,
            "classes: lower, digit, other");
    is_long(check(&p, "abc123" JA_SHORT, NULL), KOT_PW_OK,
            "classes: non-ASCII counts as other");
    is_long(check(&p, "abc def", NULL), KOT_PW_CLASSES,
            "classes: space is other, still two");

    p.classes = 4;
    is_long(check(&p, "aB3 ", NULL), KOT_PW_OK, "classes: all four");
    is_long(check(&p, "aB3", NULL), KOT_PW_CLASSES, "classes: three of four");
}


static void
test_username(void)
{
    kot_policy_t  p = { 1, 128, 0, 1 };

    is_long(check(&p, "my-alice-pass", "alice"), KOT_PW_USERNAME,
            "username: contained");
    is_long(check(&p, "my-ALICE-pass", "alice"), KOT_PW_USERNAME,
            "username: contained, case-insensitively");
    is_long(check(&p, "alice", "alice"), KOT_PW_USERNAME,
            "username: equal");
    is_long(check(&p, "alic", "alice"), KOT_PW_OK,
            "username: shorter than the name");
    is_long(check(&p, "bobby", "bob"), KOT_PW_USERNAME,
            "username: three characters count");
    is_long(check(&p, "jo-password", "jo"), KOT_PW_OK,
            "username: two characters do not");
    is_long(check(&p, "alice", NULL), KOT_PW_OK, "username: none given");

    p.not_username = 0;
    is_long(check(&p, "alice", "alice"), KOT_PW_OK,
            "username: rule can be off");
}


int
main(void)
{
    test_utf8_length();
    test_length();
    test_chars();
    test_classes();
    test_username();

    return done_testing();
}
