/*
 * ngx_kot: escaping text for HTML, URLs and JSON strings.
 *
 * Each escaper is written once and runs in two modes: with dst == NULL it
 * only counts, so that a *_len function and its writer cannot disagree.
 * kot_json_escape() alone copies plain text first by a faster way of its
 * own; t/unit/test_text.c and t/fuzz/fuzz_text.c hold it to the count.
 */

#include <string.h>
#include <time.h>

#include "kot_text.h"
#include "kot_utf8.h"


static const char  kot_hex[] = "0123456789ABCDEF";

/* JSON.stringify() writes lower case; matching it eases comparisons */
static const char  kot_hex_lc[] = "0123456789abcdef";

/* the bytes that a JSON string holds as they are: printable ASCII but " \\ */
static const unsigned char  kot_json_plain[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
};


static size_t kot_html_run(char *dst, const char *s, size_t len);
static size_t kot_url_run(char *dst, const char *s, size_t len);
static size_t kot_json_run(char *dst, const char *s, size_t len);
static const unsigned char *kot_json_plain_run(char *dst,
    const unsigned char *p, const unsigned char *end);
static int kot_json_plain8(uint64_t x);
static size_t kot_json_char(char *dst, uint32_t cp, const unsigned char *raw,
    size_t raw_len);
static size_t kot_put(char *dst, const char *src, size_t len);
static int kot_url_unreserved(unsigned char c);
static size_t kot_utf8_run(char *dst, const char *s, size_t len);


size_t
kot_html_escape_len(const char *s, size_t len)
{
    return kot_html_run(NULL, s, len);
}


size_t
kot_html_escape(char *dst, const char *s, size_t len)
{
    return kot_html_run(dst, s, len);
}


size_t
kot_url_escape_len(const char *s, size_t len)
{
    return kot_url_run(NULL, s, len);
}


size_t
kot_url_escape(char *dst, const char *s, size_t len)
{
    return kot_url_run(dst, s, len);
}


size_t
kot_json_escape_len(const char *s, size_t len)
{
    return kot_json_run(NULL, s, len);
}


/*
 * Most strings of a log need no escape: they are only copied, eight
 * bytes at a time (kot_json_plain_run()); the rest, from the first byte
 * to escape on, goes through kot_json_run() as kot_json_escape_len()
 * does, which counts the same bytes.
 */

size_t
kot_json_escape(char *dst, const char *s, size_t len)
{
    size_t                n;
    const unsigned char  *p, *end;

    if (len == 0) {
        return 0;
    }

    end = (const unsigned char *) s + len;
    p = kot_json_plain_run(dst, (const unsigned char *) s, end);

    if (p == end) {
        return len;
    }

    n = p - (const unsigned char *) s;

    return n + kot_json_run(dst + n, (const char *) p, end - p);
}


static size_t
kot_html_run(char *dst, const char *s, size_t len)
{
    size_t       i, n, k;
    const char  *ent;

    n = 0;

    for (i = 0; i < len; i++) {
        switch (s[i]) {
        case '&':
            ent = "&amp;";
            break;
        case '<':
            ent = "&lt;";
            break;
        case '>':
            ent = "&gt;";
            break;
        case '"':
            ent = "&quot;";
            break;
        case '\'':
            ent = "&#39;";
            break;
        default:
            ent = NULL;
        }

        if (ent == NULL) {
            n += kot_put(dst ? dst + n : NULL, &s[i], 1);
            continue;
        }

        k = strlen(ent);
        n += kot_put(dst ? dst + n : NULL, ent, k);
    }

    return n;
}


static size_t
kot_url_run(char *dst, const char *s, size_t len)
{
    size_t         i, n;
    unsigned char  c;
    char           esc[3];

    n = 0;

    for (i = 0; i < len; i++) {
        c = (unsigned char) s[i];

        if (kot_url_unreserved(c)) {
            n += kot_put(dst ? dst + n : NULL, &s[i], 1);
            continue;
        }

        esc[0] = '%';
        esc[1] = kot_hex[c >> 4];
        esc[2] = kot_hex[c & 0x0f];

        n += kot_put(dst ? dst + n : NULL, esc, 3);
    }

    return n;
}


static int
kot_url_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
           || (c >= '0' && c <= '9')
           || c == '-' || c == '.' || c == '_' || c == '~' || c == '/';
}


static size_t
kot_json_run(char *dst, const char *s, size_t len)
{
    int                   k;
    size_t                n;
    uint32_t              cp;
    const unsigned char  *p, *q, *end;

    if (len == 0) {
        return 0;
    }

    n = 0;
    p = (const unsigned char *) s;
    end = p + len;

    while (p < end) {

        /* printable ASCII, most of any log, goes in runs */
        for (q = p; q < end && kot_json_plain[*q]; q++) {
            /* void */
        }

        if (q != p) {
            n += kot_put(dst ? dst + n : NULL, (const char *) p, q - p);
            p = q;
            continue;
        }

        k = kot_utf8_decode(p, end - p, &cp);

        if (k < 0) {
            /* one U+FFFD per invalid byte keeps resynchronising simple */
            n += kot_put(dst ? dst + n : NULL, "\xef\xbf\xbd", 3);
            p++;
            continue;
        }

        n += kot_json_char(dst ? dst + n : NULL, cp, p, k);
        p += k;
    }

    return n;
}


/*
 * Copies the plain bytes at p to dst and returns the first that is not.
 * Eight bytes are tested at once, and stored as they were loaded; the
 * tail of a longer string is its last 8 bytes, tested again in part.  A
 * string shorter than a word is tested by the table without a loop (some
 * bytes twice) and stored by overlapping stores.  A memcpy() call and a
 * loop per string cost a request record more than all its other members
 * (bench/README.md, issue 20).
 */

static const unsigned char *
kot_json_plain_run(char *dst, const unsigned char *p,
    const unsigned char *end)
{
    size_t    len;
    uint32_t  a, b;
    uint64_t  x;

    len = end - p;

    if (len >= 8) {
        do {
            memcpy(&x, p, 8);

            if (!kot_json_plain8(x)) {
                goto bytes;
            }

            memcpy(dst, &x, 8);
            dst += 8;

            p += 8;
        } while (end - p >= 8);

        if (p == end) {
            return p;
        }

        /* the last 8 bytes, some of them copied already */
        memcpy(&x, end - 8, 8);

        if (kot_json_plain8(x)) {
            memcpy(dst + (end - p) - 8, &x, 8);
            return end;
        }

    } else if (len >= 4) {
        memcpy(&a, p, 4);
        memcpy(&b, end - 4, 4);

        if (kot_json_plain[p[0]] & kot_json_plain[p[1]] & kot_json_plain[p[2]]
            & kot_json_plain[p[3]] & kot_json_plain[end[-3]]
            & kot_json_plain[end[-2]] & kot_json_plain[end[-1]])
        {
            memcpy(dst, &a, 4);
            memcpy(dst + len - 4, &b, 4);
            return end;
        }

    } else if (len) {
        /* the three bytes, or one of them twice or thrice */
        if (kot_json_plain[p[0]] & kot_json_plain[p[len / 2]]
            & kot_json_plain[p[len - 1]])
        {
            dst[0] = (char) p[0];
            dst[len / 2] = (char) p[len / 2];
            dst[len - 1] = (char) p[len - 1];
            return end;
        }
    }

bytes:

    while (p < end && kot_json_plain[*p]) {
        *dst++ = (char) *p++;
    }

    return p;
}


/*
 * Whether each of the 8 bytes of x is plain (kot_json_plain[]): from 0x20
 * to 0x7e, but '"' and '\\'.  The sums stay within each byte (no term
 * exceeds 0xfe), so each byte's top bit says yes or no for that byte.
 */

static int
kot_json_plain8(uint64_t x)
{
    uint64_t  a, ok;

#define KOT_B(c)  (0x0101010101010101ULL * (c))

    a = x & KOT_B(0x7f);

    ok = ~x                                  /* < 0x80 */
         & (a + KOT_B(0x60))                 /* >= 0x20 */
         & ~(a + KOT_B(0x01))                /* != 0x7f */
         & ((a ^ KOT_B('"')) + KOT_B(0x7f))  /* != '"' */
         & ((a ^ KOT_B('\\')) + KOT_B(0x7f)); /* != '\\' */

    return (ok & KOT_B(0x80)) == KOT_B(0x80);

#undef KOT_B
}


size_t
kot_json_harden(char *dst, const char *s, size_t len)
{
    int                   k;
    size_t                n;
    uint32_t              cp;
    const unsigned char  *p, *q, *end;

    n = 0;
    p = (const unsigned char *) s;
    end = p + len;

    while (p < end) {

        for (q = p; q < end && *q != 0x7f && *q != 0xc2 && *q != 0xe2; q++) {
            /* void */
        }

        n += kot_put(dst ? dst + n : NULL, (const char *) p, q - p);
        p = q;

        if (p == end) {
            break;
        }

        k = kot_utf8_decode(p, end - p, &cp);

        if (k < 0) {
            k = 1;
            cp = *p;
        }

        if (cp == 0x7f || (cp >= 0x80 && cp <= 0x9f)
            || cp == 0x2028 || cp == 0x2029)
        {
            n += kot_json_char(dst ? dst + n : NULL, cp, p, k);

        } else {
            n += kot_put(dst ? dst + n : NULL, (const char *) p, k);
        }

        p += k;
    }

    return n;
}


/*
 * Writes one code point.  Besides what JSON requires, DEL, C1 controls
 * and U+2028/U+2029 are escaped: the last two end a line in JavaScript.
 */

static size_t
kot_json_char(char *dst, uint32_t cp, const unsigned char *raw,
    size_t raw_len)
{
    char  esc[6];

    switch (cp) {
    case '"':
        return kot_put(dst, "\\\"", 2);
    case '\\':
        return kot_put(dst, "\\\\", 2);
    case '\n':
        return kot_put(dst, "\\n", 2);
    case '\r':
        return kot_put(dst, "\\r", 2);
    case '\t':
        return kot_put(dst, "\\t", 2);
    }

    if (cp >= 0x20 && cp != 0x7f && !(cp >= 0x80 && cp <= 0x9f)
        && cp != 0x2028 && cp != 0x2029)
    {
        return kot_put(dst, (const char *) raw, raw_len);
    }

    esc[0] = '\\';
    esc[1] = 'u';
    esc[2] = kot_hex_lc[(cp >> 12) & 0x0f];
    esc[3] = kot_hex_lc[(cp >> 8) & 0x0f];
    esc[4] = kot_hex_lc[(cp >> 4) & 0x0f];
    esc[5] = kot_hex_lc[cp & 0x0f];

    return kot_put(dst, esc, 6);
}


static size_t
kot_put(char *dst, const char *src, size_t len)
{
    if (dst != NULL) {
        memcpy(dst, src, len);
    }

    return len;
}


int
kot_utf8_valid(const char *s, size_t len)
{
    int                   n;
    uint32_t              cp;
    const unsigned char  *p, *end;

    p = (const unsigned char *) s;
    end = p + len;

    while (p < end) {
        if (*p < 0x80) {
            p++;
            continue;
        }

        n = kot_utf8_decode(p, end - p, &cp);
        if (n < 0) {
            return 0;
        }

        p += n;
    }

    return 1;
}


size_t
kot_utf8_sanitize_len(const char *s, size_t len)
{
    return kot_utf8_run(NULL, s, len);
}


size_t
kot_utf8_sanitize(char *dst, const char *s, size_t len)
{
    return kot_utf8_run(dst, s, len);
}


static size_t
kot_utf8_run(char *dst, const char *s, size_t len)
{
    int                   n;
    size_t                out;
    uint32_t              cp;
    const unsigned char  *p, *end;

    out = 0;
    p = (const unsigned char *) s;
    end = p + len;

    while (p < end) {
        n = (*p < 0x80) ? 1 : kot_utf8_decode(p, end - p, &cp);

        if (n < 0) {
            out += kot_put(dst ? dst + out : NULL, "\xef\xbf\xbd", 3);
            p++;
            continue;
        }

        out += kot_put(dst ? dst + out : NULL, (const char *) p, n);
        p += n;
    }

    return out;
}


size_t
kot_rfc3339(uint64_t ms, char *buf, size_t len)
{
    time_t     t;
    struct tm  tm;

    t = (time_t) (ms / 1000);

    if (len < KOT_RFC3339_LEN || gmtime_r(&t, &tm) == NULL) {
        if (len) {
            buf[0] = '\0';
        }

        return 0;
    }

    return strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
