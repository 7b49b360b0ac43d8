/*
 * Unit tests of kot_text: HTML, URL and JSON escaping, and that each
 * *_len function predicts its writer exactly.
 */

#include <string.h>

#include "tap.h"
#include "kot_text.h"
#include "kot_utf8.h"


typedef size_t (*len_pt)(const char *s, size_t len);
typedef size_t (*esc_pt)(char *dst, const char *s, size_t len);

static int  len_mismatches;


/* Escapes s[0..n) and checks the length function against the writer. */

static const char *
esc(len_pt lf, esc_pt ef, const char *s, size_t n)
{
    size_t       want, got;
    static char  buf[1024];

    want = lf(s, n);
    if (want >= sizeof(buf)) {
        return "(too long)";
    }

    memset(buf, '#', sizeof(buf));
    got = ef(buf, s, n);

    if (got != want || buf[want] != '#') {
        len_mismatches++;
    }

    buf[got] = '\0';

    return buf;
}


static const char *
html(const char *s)
{
    return esc(kot_html_escape_len, kot_html_escape, s, strlen(s));
}


static const char *
url(const char *s)
{
    return esc(kot_url_escape_len, kot_url_escape, s, strlen(s));
}


static const char *
json(const char *s)
{
    return esc(kot_json_escape_len, kot_json_escape, s, strlen(s));
}


static void
test_html(void)
{
    is_str(html(""), "", "html: empty");
    is_str(html("plain text"), "plain text", "html: plain text unchanged");
    is_str(html("<script>alert('x')</script>"),
           "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;",
           "html: tags and single quotes");
    is_str(html("a & b \"c\""), "a &amp; b &quot;c&quot;",
           "html: ampersand and double quotes");
    is_str(html("&amp;"), "&amp;amp;", "html: entities are escaped again");
    is_str(html("\xe6\x97\xa5\xe6\x9c\xac"), "\xe6\x97\xa5\xe6\x9c\xac",
           "html: UTF-8 unchanged");
}


static void
test_url(void)
{
    is_str(url("/app/page-1_a.b~c"), "/app/page-1_a.b~c",
           "url: unreserved and '/' kept");
    is_str(url("/a?b=c&d=e#f"), "/a%3Fb%3Dc%26d%3De%23f",
           "url: query characters encoded");
    is_str(url("a b+c%"), "a%20b%2Bc%25", "url: space, plus and percent");
    is_str(url("\xe6\x97\xa5\r\n"), "%E6%97%A5%0D%0A",
           "url: bytes >= 0x80 and controls, upper-case hex");
    is_long(kot_url_escape_len("\0", 1), 3, "url: NUL is encoded");
}


static void
test_json(void)
{
    int     c;
    char    ch;
    size_t  worst;

    is_str(json("hello"), "hello", "json: plain text unchanged");
    is_str(json("say \"hi\" \\o/"), "say \\\"hi\\\" \\\\o/",
           "json: quotes and backslashes");
    is_str(json("a\nb\rc\td"), "a\\nb\\rc\\td", "json: short forms");
    is_str(json("\x01\x1f\x7f"), "\\u0001\\u001f\\u007f",
           "json: other controls and DEL as \\u00XX");
    is_long(kot_json_escape_len("\0", 1), 6, "json: NUL is \\u0000");
    is_str(json("\xc2\x85"), "\\u0085", "json: C1 control escaped");
    is_str(json("\xe2\x80\xa8|\xe2\x80\xa9"), "\\u2028|\\u2029",
           "json: U+2028 and U+2029 escaped");
    is_str(json("\xe6\x97\xa5\xf0\x9f\x98\x80"), "\xe6\x97\xa5\xf0\x9f\x98\x80",
           "json: valid UTF-8 unchanged");
    is_str(json("a\xff" "b"), "a\xef\xbf\xbd" "b",
           "json: invalid byte becomes U+FFFD");
    is_str(json("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd",
           "json: overlong, one U+FFFD per byte");
    is_str(json("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
           "json: surrogate replaced");
    is_str(json("x\xe6\x97"), "x\xef\xbf\xbd\xef\xbf\xbd",
           "json: truncated sequence at the end");
    is_str(json("\xe6\x97" "a"), "\xef\xbf\xbd\xef\xbf\xbd" "a",
           "json: truncated sequence resynchronises");
    is_str(json("</script>"), "</script>", "json: '<' and '/' kept");
    is_str(json("x\"\x01y\xe6\x97\xa5z\\"), "x\\\"\\u0001y\xe6\x97\xa5z\\\\",
           "json: escapes between runs of plain text");

    for (c = 0, worst = 0; c < 256; c++) {
        ch = (char) c;
        worst = kot_json_escape_len(&ch, 1) > worst
                ? kot_json_escape_len(&ch, 1) : worst;
    }

    ok(worst <= KOT_JSON_ESCAPE_MAX, "json: no byte grows beyond %d bytes",
       KOT_JSON_ESCAPE_MAX);
}


/*
 * The escaper as it was before plain text went eight bytes at a time:
 * one code point after another, by the rules of kot_text.h.
 */

static size_t
json_ref(char *dst, const unsigned char *s, size_t len)
{
    int         k;
    size_t      i, n;
    uint32_t    cp;
    const char  *hex = "0123456789abcdef";

    for (i = 0, n = 0; i < len; i += k) {
        k = kot_utf8_decode(s + i, len - i, &cp);

        if (k < 0) {
            memcpy(dst + n, "\xef\xbf\xbd", 3);
            n += 3;
            k = 1;

        } else if (cp == '"' || cp == '\\') {
            dst[n++] = '\\';
            dst[n++] = (char) cp;

        } else if (cp == '\n' || cp == '\r' || cp == '\t') {
            dst[n++] = '\\';
            dst[n++] = cp == '\n' ? 'n' : cp == '\r' ? 'r' : 't';

        } else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)
                   || cp == 0x2028 || cp == 0x2029)
        {
            dst[n++] = '\\';
            dst[n++] = 'u';
            dst[n++] = hex[cp >> 12 & 0xf];
            dst[n++] = hex[cp >> 8 & 0xf];
            dst[n++] = hex[cp >> 4 & 0xf];
            dst[n++] = hex[cp & 0xf];

        } else {
            memcpy(dst + n, s + i, k);
            n += k;
        }
    }

    return n;
}


static int
json_same(const unsigned char *s, size_t len)
{
    size_t  n, m;
    char    want[64 * KOT_JSON_ESCAPE_MAX], got[sizeof(want) + 1];

    n = json_ref(want, s, len);

    got[n] = '#';
    m = kot_json_escape(got, (const char *) s, len);

    return m == n && got[n] == '#' && memcmp(got, want, n) == 0
           && kot_json_escape_len((const char *) s, len) == n;
}


static void
test_json_fast(void)
{
    int            bad;
    size_t         i, j, len;
    uint32_t       seed;
    unsigned char  s[64];

    /* bytes that matter, and the pieces of sequences, valid or not */
#define P(lit)  { lit, sizeof(lit) - 1 }
    static const struct {
        const char  *s;
        size_t       len;
    } pieces[] = {
        P("a"), P("Z"), P(" "), P("~"), P("\""), P("\\"), P("\x7f"),
        P("\x1f"), P("\n"), P("\x00"), P("\x80"), P("\xc2\x85"),
        P("\xc2\xa0"), P("\xe2\x80\xa8"), P("\xe2\x80\xa9"),
        P("\xe6\x97\xa5"), P("\xf0\x9f\x98\x80"), P("\xc0\xaf"),
        P("\xed\xa0\x80"), P("\xff"), P("\xe2"), P("\xe2\x80"),
        P("\xf0\x9f\x98"), P("0123456789abcdef")
    };
#undef P

    for (i = 0, bad = 0; i < 256; i++) {
        s[0] = (unsigned char) i;
        bad += !json_same(s, 1);

        for (j = 0; j < 256; j++) {
            s[1] = (unsigned char) j;
            bad += !json_same(s, 2);
        }
    }

    ok(bad == 0, "json: every byte and pair of bytes as before");

    /* each byte at each place of the words read eight at a time */
    for (i = 0, bad = 0; i < 256; i++) {
        for (j = 0; j < 24; j++) {
            memset(s, 'x', 24);
            s[j] = (unsigned char) i;
            bad += !json_same(s, 24);
            bad += !json_same(s, j + 1);
            bad += !json_same(s + j, 24 - j);
        }
    }

    ok(bad == 0, "json: every byte at every place of a longer string");

    for (i = 0, bad = 0, seed = 20; i < 200000; i++) {
        len = 0;

        do {
            seed = seed * 1103515245 + 12345;
            j = (seed >> 16) % (sizeof(pieces) / sizeof(pieces[0]));

            if (len + pieces[j].len > sizeof(s)) {
                break;
            }

            memcpy(s + len, pieces[j].s, pieces[j].len);
            len += pieces[j].len;
        } while ((seed >> 8) % 23 != 0);

        bad += !json_same(s, len);
    }

    ok(bad == 0, "json: 200000 random strings as before");
}


static void
test_sanitize(void)
{
    char         out[64];
    size_t       n;
    size_t       i;
    static const struct {
        const char  *in;
        size_t       len;
        const char  *want;
    } cases[] = {
        { "plain", 5, "plain" },
        { "\xe6\x97\xa5\xe6\x9c\xac", 6, "\xe6\x97\xa5\xe6\x9c\xac" },
        { "a\xff" "b", 3, "a\xef\xbf\xbd" "b" },
        { "\xe6\x97", 2, "\xef\xbf\xbd\xef\xbf\xbd" },
        { "\xc0\xaf", 2, "\xef\xbf\xbd\xef\xbf\xbd" },
        { "nul\0" "x", 5, "nul\0" "x" },
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        n = kot_utf8_sanitize(out, cases[i].in, cases[i].len);
        ok(n == kot_utf8_sanitize_len(cases[i].in, cases[i].len)
           && n == strlen(cases[i].want) + (i == 5 ? 2 : 0)
           && memcmp(out, cases[i].want, n) == 0,
           "sanitize case %zu keeps valid UTF-8 and replaces each bad byte",
           i);
        is_long(kot_utf8_valid(cases[i].in, cases[i].len),
                i == 2 || i == 3 || i == 4 ? 0 : 1,
                "utf8_valid case %zu", i);
    }
}


static void
test_harden(void)
{
    char         out[128];
    size_t       i, n;
    const char  *plain = "{\"a\":\"\xe6\x97\xa5 \xe2\x82\xac \xc3\xa9\"}";

    static const struct {
        const char  *in;
        const char  *want;
    } cases[] = {
        { "{\"a\":\"x\x7fy\"}", "{\"a\":\"x\\u007fy\"}" },
        { "{\"a\":\"\xc2\x85\"}", "{\"a\":\"\\u0085\"}" },
        { "{\"a\":\"\xe2\x80\xa8\xe2\x80\xa9\"}",
          "{\"a\":\"\\u2028\\u2029\"}" },
        { "{\"a\":\"\xc2\xa0\xe2\x80\xa6\"}",
          "{\"a\":\"\xc2\xa0\xe2\x80\xa6\"}" },
    };

    is_long(kot_json_harden(NULL, plain, strlen(plain)), strlen(plain),
            "harden: text with nothing to escape keeps its length");

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        n = kot_json_harden(out, cases[i].in, strlen(cases[i].in));
        ok(n == kot_json_harden(NULL, cases[i].in, strlen(cases[i].in))
           && n == strlen(cases[i].want)
           && memcmp(out, cases[i].want, n) == 0,
           "harden case %zu escapes only DEL, C1 and U+2028/9", i);
    }
}


static void
test_rfc3339(void)
{
    char  buf[KOT_RFC3339_LEN];

    ok(kot_rfc3339(1796187019123ULL, buf, sizeof(buf)) == 20,
       "rfc3339: 20 characters");
    is_str(buf, "2026-12-02T04:50:19Z", "  UTC, to the second");
    kot_rfc3339(0, buf, sizeof(buf));
    is_str(buf, "1970-01-01T00:00:00Z", "rfc3339: the epoch");
    ok(kot_rfc3339(0, buf, KOT_RFC3339_LEN - 1) == 0 && buf[0] == '\0',
       "rfc3339: a buffer too small gives an empty string");
}


int
main(void)
{
    test_html();
    test_url();
    test_json();
    test_json_fast();

    ok(kot_html_escape_len(NULL, 0) == 0 && kot_url_escape_len(NULL, 0) == 0
       && kot_json_escape_len(NULL, 0) == 0, "NULL of length 0 is empty");
    ok(len_mismatches == 0, "every *_len matched its writer");

    test_sanitize();
    test_harden();
    test_rfc3339();

    return done_testing();
}
