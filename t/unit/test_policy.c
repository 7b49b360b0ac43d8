/*
 * Unit tests of kot_policy: code-point lengths, strict UTF-8, control
 * characters, character classes and the username rule.
 */

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    kot_policy_t  tiny = { 3, 5, 0, 0, 0, 0, 0, 0, NULL, 0 };

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
    kot_policy_t  p = { 1, 128, 0, 0, 0, 0, 0, 0, NULL, 0 };

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
    kot_policy_t  p = { 1, 128, 3, 0, 0, 0, 0, 0, NULL, 0 };

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
    kot_policy_t  p = { 1, 128, 0, 1, 0, 0, 0, 0, NULL, 0 };

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


static int
set(kot_policy_t *p, const char *rule, char *err)
{
    return kot_policy_set(p, rule, strlen(rule), err, 256);
}


static int
tenant_set(kot_policy_t *t, const char *rule, char *err,
    kot_policy_fault_t *f)
{
    return kot_policy_tenant_set(t, rule, strlen(rule), err, 256, f);
}


static void
test_rules(void)
{
    char          err[256];
    kot_policy_t  p = KOT_POLICY_DEFAULT;

    ok(set(&p, "min_length=16", err) == 0 && p.min_length == 16,
       "min_length=16 is set");
    ok(set(&p, "history=5", err) == 0 && p.history == 5, "history=5 is set");
    ok(set(&p, "max_age=90d", err) == 0 && p.max_age == 90ULL * 86400000,
       "max_age=90d is 90 days");
    ok(set(&p, "not_username=off", err) == 0 && p.not_username == 0,
       "not_username=off turns the rule off");
    ok(set(&p, "classes=3", err) == 0 && p.classes == 3, "classes=3 is set");

    ok(set(&p, "classes=5", err) == -1, "classes=5 is refused (4 classes)");
    ok(set(&p, "history=25", err) == -1, "more history than kept is refused");
    ok(set(&p, "min_length=200", err) == 0
       && kot_policy_valid(&p, err, 256, NULL) == -1,
       "min_length above max_length is refused: %s", err);
    ok(set(&p, "max_length=256", err) == 0
       && kot_policy_valid(&p, err, 256, NULL) == 0,
       "but not when max_length follows it");
    ok(set(&p, "min_length=0", err) == 0
       && kot_policy_valid(&p, err, 256, NULL) == -1,
       "min_length=0 is refused");
    set(&p, "min_length=16", err);
    ok(set(&p, "min_age=90d", err) == 0
       && kot_policy_valid(&p, err, 256, NULL) == -1
       && strstr(err, "max_age"),
       "a min_age not shorter than max_age (90d) is refused: %s", err);
    set(&p, "min_age=1d", err);
    ok(set(&p, "colour=blue", err) == -1 && strstr(err, "unknown rule"),
       "an unknown rule is named: %s", err);
    ok(set(&p, "max_age=soon", err) == -1 && strstr(err, "not a time"),
       "a bad time is named: %s", err);
    ok(set(&p, "min_length", err) == -1, "a rule without = is refused");
    ok(set(&p, "min_length=-3", err) == -1, "a negative count is refused");
    ok(kot_policy_set(&p, "min_length=16\0junk", 19, err, 256) == -1,
       "a count with a NUL and more after it is refused");

    ok(p.mfa_required == 0, "mfa is optional by default");
    ok(set(&p, "mfa=required", err) == 0 && p.mfa_required == 1,
       "mfa=required is set");
    ok(set(&p, "mfa=optional", err) == 0 && p.mfa_required == 0,
       "mfa=optional is set");
    ok(set(&p, "mfa=on", err) == -1 && strstr(err, "required or optional"),
       "mfa takes required or optional: %s", err);
}


static void
test_tighter(void)
{
    char                err[256];
    kot_policy_t        server = KOT_POLICY_DEFAULT, t, out;
    kot_policy_fault_t  fault;

    set(&server, "max_age=90d", err);
    set(&server, "history=3", err);

    t = server;
    set(&t, "min_length=16", err);
    set(&t, "history=5", err);
    set(&t, "max_age=30d", err);
    is_long(kot_policy_check_tighter(&server, &t, err, sizeof(err), NULL), 0,
            "a tenant may raise min_length and history and shorten max_age");

    t = server;
    set(&t, "min_length=8", err);
    is_long(kot_policy_check_tighter(&server, &t, err, sizeof(err), NULL), -1,
            "a shorter min_length is a loosening");
    is_str(err, "min_length=8 would loosen the server's min_length=12; a "
           "tenant may only tighten the policy", "and says so");
    (void) kot_policy_check_tighter(&server, &t, err, sizeof(err), &fault);
    ok(strcmp(fault.rule, "min_length") == 0
       && strcmp(fault.reason, "looser") == 0
       && strcmp(fault.limit, "12") == 0,
       "and names the rule and the server's bound for a console to word");

    t = server;
    set(&t, "max_age=0", err);
    is_long(kot_policy_check_tighter(&server, &t, err, sizeof(err), NULL), -1,
            "turning max_age off is a loosening");

    t = server;
    set(&t, "max_age=120d", err);
    is_long(kot_policy_check_tighter(&server, &t, err, sizeof(err), &fault),
            -1, "a longer max_age is a loosening");
    ok(strcmp(fault.rule, "max_age") == 0 && strcmp(fault.limit, "90d") == 0,
       "its bound written as the rule is");

    t = server;
    set(&t, "not_username=off", err);
    is_long(kot_policy_check_tighter(&server, &t, err, sizeof(err), NULL), -1,
            "turning not_username off is a loosening");

    t = server;
    set(&t, "min_length=20", err);
    set(&t, "max_age=30d", err);
    set(&t, "inactive_after=60d", err);
    kot_policy_strictest(&out, &server, &t);
    ok(out.min_length == 20 && out.max_age == 30ULL * 86400000
       && out.inactive_after == 60ULL * 86400000 && out.history == 3,
       "the effective policy takes the stricter value of each rule");

    kot_policy_strictest(&out, &t, &server);
    ok(out.min_length == 20 && out.max_age == 30ULL * 86400000,
       "whichever side it comes from");

    t = server;
    set(&t, "mfa=required", err);
    is_long(kot_policy_check_tighter(&server, &t, err, sizeof(err), NULL), 0,
            "a tenant may require MFA");
    kot_policy_strictest(&out, &server, &t);
    ok(out.mfa_required == 1, "and then the effective policy requires it");

    set(&server, "mfa=required", err);
    t = server;
    set(&t, "mfa=optional", err);
    is_long(kot_policy_check_tighter(&server, &t, err, sizeof(err), NULL), -1,
            "a tenant may not make optional what the server requires");
    is_str(err, "mfa=optional would loosen the server's mfa=required; a "
           "tenant may only tighten the policy", "and says so");
    kot_policy_strictest(&out, &server, &t);
    ok(out.mfa_required == 1, "a hand-edited loosening changes nothing");
}


static void
test_inactive(void)
{
    char          err[256];
    uint64_t      day = 86400000, now = 1000 * day;
    kot_policy_t  p = KOT_POLICY_DEFAULT;

    ok(!kot_policy_inactive(&p, 0, now),
       "inactive: never, with inactive_after off");

    set(&p, "inactive_after=30d", err);
    ok(!kot_policy_inactive(&p, now - 30 * day, now),
       "inactive: not at exactly inactive_after");
    ok(kot_policy_inactive(&p, now - 30 * day - 1, now),
       "inactive: a millisecond later");
    ok(kot_policy_inactive(&p, 0, now),
       "inactive: an account never active at all");
    ok(!kot_policy_inactive(&p, now + day, now),
       "inactive: not for an activity ahead of this clock");
    ok(kot_policy_inactive_before(&p, now) == now - 30 * day,
       "inactive before: inactive_after ago");
    ok(kot_policy_inactive_before(&p, 30 * day) == 0,
       "inactive before: none, at a clock not past inactive_after");

    set(&p, "inactive_after=0", err);
    ok(kot_policy_inactive_before(&p, now) == 0,
       "inactive before: none, with inactive_after off");
}


static void
test_durations(void)
{
    uint64_t  ms;

    ok(kot_parse_duration("90d", 3, &ms) == 0 && ms == 90ULL * 86400000,
       "90d");
    ok(kot_parse_duration("1d12h", 5, &ms) == 0 && ms == 36ULL * 3600000,
       "1d12h");
    ok(kot_parse_duration("500ms", 5, &ms) == 0 && ms == 500, "500ms");
    ok(kot_parse_duration("2s", 2, &ms) == 0 && ms == 2000, "2s");
    ok(kot_parse_duration("0", 1, &ms) == 0 && ms == 0, "0");
    ok(kot_parse_duration("10", 2, &ms) == -1, "a number without a unit");
    ok(kot_parse_duration("d", 1, &ms) == -1, "a unit without a number");
    ok(kot_parse_duration("", 0, &ms) == -1, "nothing");
    ok(kot_parse_duration("5x", 2, &ms) == -1, "an unknown unit");
}


static void
test_blocklist(void)
{
    char              path[] = "/tmp/kot-blocklist-XXXXXX", err[256];
    FILE             *f;
    kot_blocklist_t  *bl;
    kot_policy_t      p = KOT_POLICY_DEFAULT;
    int               fd;

    fd = mkstemp(path);
    f = fdopen(fd, "w");
    fputs("#!comment: common passwords\n123456\nPassword\r\n\nqwerty\n"
          "letmein123456\n", f);
    fclose(f);

    bl = kot_blocklist_load(path, err, sizeof(err));
    unlink(path);

    ok(bl != NULL && kot_blocklist_count(bl) == 4,
       "a blocklist loads, without comments and empty lines");
    ok(kot_blocklist_has(bl, "PASSWORD", 8), "lookups ignore case");
    ok(kot_blocklist_has(bl, "qwerty", 6), "the last line counts");
    ok(!kot_blocklist_has(bl, "qwert", 5), "a prefix is not a match");
    ok(!kot_blocklist_has(bl, "qwertyu", 7), "a longer word is not a match");

    p.min_length = 6;
    p.blocklist = bl;
    is_long(kot_policy_check(&p, "LetMeIn123456", 13, NULL, 0),
            KOT_PW_BLOCKLISTED, "a blocklisted password is refused");
    is_long(kot_policy_check(&p, "letmein1234567", 14, NULL, 0), KOT_PW_OK,
            "a password merely like one is not");

    kot_blocklist_free(bl);

    ok(kot_blocklist_load("/nonexistent", err, sizeof(err)) == NULL
       && strstr(err, "cannot open"), "a missing file is named: %s", err);
}


static void
test_tenant_rules(void)
{
    char                err[256];
    kot_policy_t        server = KOT_POLICY_DEFAULT, t;
    kot_policy_fault_t  f;

    t = server;
    ok(tenant_set(&t, "max_length=64", err, &f) != 0,
       "tenant: max_length is the server's");
    ok(strstr(err, "for the whole server") != NULL, "  and says so: %s", err);
    ok(strcmp(f.reason, "server") == 0, "  fault: server");
    ok(tenant_set(&t, "blocklist=/x", err, NULL) != 0,
       "tenant: so is the blocklist");
    ok(tenant_set(&t, "min_length=16", err, NULL) == 0
       && t.min_length == 16, "tenant: min_length is its own");
    ok(kot_policy_tenant_check(&server, &t, err, sizeof(err)) == 0,
       "tenant: a tighter policy passes");

    ok(tenant_set(&t, "history=30", err, &f) != 0
       && strcmp(f.rule, "history") == 0 && strcmp(f.reason, "range") == 0
       && strcmp(f.min, "0") == 0 && strcmp(f.limit, "24") == 0,
       "tenant: a count out of range names its range");
    ok(tenant_set(&t, "max_age=soon", err, &f) != 0
       && strcmp(f.rule, "max_age") == 0 && strcmp(f.reason, "time") == 0,
       "tenant: a time that is none is named");
    ok(tenant_set(&t, "not_username=maybe", err, &f) != 0
       && strcmp(f.reason, "on_off") == 0, "tenant: so is a flag");

    t = server;
    (void) tenant_set(&t, "min_length=8", err, NULL);
    ok(kot_policy_tenant_check(&server, &t, err, sizeof(err)) != 0
       && strstr(err, "loosen") != NULL, "tenant: a looser one is refused: "
       "%s", err);

    t = server;
    (void) tenant_set(&t, "min_age=2d", err, NULL);
    (void) tenant_set(&t, "max_age=1d", err, NULL);
    ok(kot_policy_tenant_check(&server, &t, err, sizeof(err)) != 0,
       "tenant: rules that disagree are refused: %s", err);
    ok(kot_policy_valid(&t, err, sizeof(err), &f) != 0
       && strcmp(f.rule, "min_age") == 0 && strcmp(f.reason, "shorter") == 0
       && strcmp(f.limit, "1d") == 0, "  fault: shorter than max_age's 1d");

    t = server;
    t.min_length = 0;
    ok(kot_policy_valid(&t, err, sizeof(err), &f) != 0
       && strcmp(f.rule, "min_length") == 0 && strcmp(f.min, "1") == 0
       && strcmp(f.limit, "128") == 0, "  fault: min_length from 1 to 128");
}


static void
test_explain(void)
{
    char          buf[256], tiny[8];
    kot_policy_t  p = KOT_POLICY_DEFAULT;

    kot_policy_explain(KOT_PW_TOO_SHORT | KOT_PW_USERNAME, &p, "; ", buf,
                       sizeof(buf));
    is_str(buf, "too short: at least 12 characters; contains the username",
           "explain: each broken rule, in words");
    ok(kot_policy_explain(KOT_PW_OK, &p, "; ", buf, sizeof(buf)) == 0
       && buf[0] == '\0', "explain: nothing broken, nothing said");
    kot_policy_explain(KOT_PW_BLOCKLISTED, &p, "; ", tiny, sizeof(tiny));
    ok(strlen(tiny) < sizeof(tiny), "explain: a small buffer stays a string");
}


static void
test_generate(void)
{
    int           i, bad;
    char          pw[64];
    long          n;
    unsigned      bits;
    kot_policy_t  p = KOT_POLICY_DEFAULT;

    n = kot_policy_generate(&p, "bob", 3, pw, sizeof(pw), &bits);
    ok(n == KOT_GENERATED_MIN && strlen(pw) == (size_t) n,
       "generate: 20 characters by default");
    ok(kot_policy_check(&p, pw, n, "bob", 3) == KOT_PW_OK,
       "  that the policy accepts");

    p.min_length = 40;
    p.classes = 4;
    bad = 0;

    for (i = 0; i < 50; i++) {
        n = kot_policy_generate(&p, NULL, 0, pw, sizeof(pw), &bits);
        bad += (n != 40 || kot_policy_check(&p, pw, n, NULL, 0) != 0);
    }

    is_long(bad, 0, "generate: min_length and four kinds, 50 times");

    p.min_length = 12;
    p.max_length = 12;
    n = kot_policy_generate(&p, NULL, 0, pw, sizeof(pw), &bits);
    is_long(n, 12, "generate: never over max_length");

    n = kot_policy_generate(&p, NULL, 0, pw, 8, &bits);
    ok(n == -2 && (bits & KOT_PW_TOO_SHORT), "generate: a buffer too small "
       "for min_length gives -2 and says why");
}


int
main(void)
{
    test_utf8_length();
    test_length();
    test_chars();
    test_classes();
    test_username();
    test_rules();
    test_tighter();
    test_inactive();
    test_durations();
    test_blocklist();
    test_tenant_rules();
    test_explain();
    test_generate();

    return done_testing();
}
