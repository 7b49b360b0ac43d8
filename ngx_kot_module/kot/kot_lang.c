/*
 * ngx_kot: choosing the page language from Accept-Language.
 *
 *     Accept-Language = #( language-range [ weight ] )
 *     language-range  = 1*8ALPHA *( "-" 1*8alphanum ) / "*"
 *     weight          = OWS ";" OWS "q=" qvalue
 *     qvalue          = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
 *
 * A list element that does not follow this grammar is skipped; the rest
 * of the header still counts.
 */

#include <string.h>

#include "kot_lang.h"


#define KOT_LANG_OTHER    (-1)
#define KOT_LANG_SUBTAG   8
#define KOT_Q_MAX         1000


static int kot_lang_element(const char *p, const char *end, int *lang,
    unsigned *q);
static const char *kot_lang_range(const char *p, const char *end, int *lang);
static const char *kot_lang_subtag(const char *p, const char *end,
    int alpha_only);
static const char *kot_lang_qvalue(const char *p, const char *end,
    unsigned *q);
static const char *kot_lang_ows(const char *p, const char *end);
static int kot_lang_is(const char *p, const char *end, const char *tag);
static int kot_alpha(unsigned char c);
static int kot_digit(unsigned char c);


kot_lang_t
kot_lang_pick(const char *accept_language, size_t len)
{
    int          lang;
    unsigned     q, best_q;
    kot_lang_t   best;
    const char  *p, *end, *comma;

    if (len == 0) {
        return KOT_LANG_EN;
    }

    best = KOT_LANG_EN;
    best_q = 0;

    p = accept_language;
    end = accept_language + len;

    for ( ;; ) {
        comma = memchr(p, ',', end - p);
        if (comma == NULL) {
            comma = end;
        }

        /* q=0 means "not acceptable"; equal q keeps the earlier entry */

        if (kot_lang_element(p, comma, &lang, &q) == 0
            && lang != KOT_LANG_OTHER && q > best_q)
        {
            best = (kot_lang_t) lang;
            best_q = q;
        }

        if (comma == end) {
            break;
        }

        p = comma + 1;
    }

    return best;
}


int
kot_lang_named(const char *s, size_t len)
{
    if (len == 2 && memcmp(s, "ja", 2) == 0) {
        return KOT_LANG_JA;
    }

    if (len == 2 && memcmp(s, "en", 2) == 0) {
        return KOT_LANG_EN;
    }

    return -1;
}


size_t
kot_lang_args(const char *args, size_t len, char *out)
{
    size_t       n;
    const char  *p, *end, *amp;

    n = 0;
    p = args;
    end = args + len;

    while (p < end) {
        amp = memchr(p, '&', end - p);
        if (amp == NULL) {
            amp = end;
        }

        if (amp > p
            && !((amp - p == 4 && memcmp(p, "lang", 4) == 0)
                 || (amp - p >= 5 && memcmp(p, "lang=", 5) == 0)))
        {
            if (n) {
                out[n++] = '&';
            }

            memcpy(out + n, p, amp - p);
            n += amp - p;
        }

        p = amp + 1;
    }

    return n;
}


/* Parses one list element; 0 and sets *lang and *q (in 1/1000) if valid. */

static int
kot_lang_element(const char *p, const char *end, int *lang, unsigned *q)
{
    p = kot_lang_ows(p, end);

    p = kot_lang_range(p, end, lang);
    if (p == NULL) {
        return -1;
    }

    *q = KOT_Q_MAX;

    p = kot_lang_ows(p, end);

    if (p < end && *p == ';') {
        p = kot_lang_ows(p + 1, end);

        if (end - p < 2 || (p[0] != 'q' && p[0] != 'Q') || p[1] != '=') {
            return -1;
        }

        p = kot_lang_qvalue(p + 2, end, q);
        if (p == NULL) {
            return -1;
        }

        p = kot_lang_ows(p, end);
    }

    return p == end ? 0 : -1;
}


static const char *
kot_lang_range(const char *p, const char *end, int *lang)
{
    const char  *start, *primary_end;

    if (p < end && *p == '*') {
        *lang = KOT_LANG_EN;
        return p + 1;
    }

    start = p;

    p = kot_lang_subtag(p, end, 1);
    if (p == NULL) {
        return NULL;
    }

    primary_end = p;

    while (p < end && *p == '-') {
        p = kot_lang_subtag(p + 1, end, 0);
        if (p == NULL) {
            return NULL;
        }
    }

    if (kot_lang_is(start, primary_end, "ja")) {
        *lang = KOT_LANG_JA;

    } else if (kot_lang_is(start, primary_end, "en")) {
        *lang = KOT_LANG_EN;

    } else {
        *lang = KOT_LANG_OTHER;
    }

    return p;
}


static const char *
kot_lang_subtag(const char *p, const char *end, int alpha_only)
{
    size_t         n;
    unsigned char  c;

    for (n = 0; p < end && n <= KOT_LANG_SUBTAG; p++, n++) {
        c = (unsigned char) *p;

        if (!kot_alpha(c) && (alpha_only || !kot_digit(c))) {
            break;
        }
    }

    if (n == 0 || n > KOT_LANG_SUBTAG) {
        return NULL;
    }

    return p;
}


static const char *
kot_lang_qvalue(const char *p, const char *end, unsigned *q)
{
    int       i;
    unsigned  scale;

    if (p == end || (*p != '0' && *p != '1')) {
        return NULL;
    }

    *q = (*p == '1') ? KOT_Q_MAX : 0;
    p++;

    if (p == end || *p != '.') {
        return p;
    }

    p++;
    scale = 100;

    for (i = 0; i < 3 && p < end && kot_digit((unsigned char) *p); i++) {
        *q += (unsigned) (*p - '0') * scale;
        scale /= 10;
        p++;
    }

    /* "1.5" is no qvalue */

    if (*q > KOT_Q_MAX) {
        return NULL;
    }

    return p;
}


static const char *
kot_lang_ows(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t')) {
        p++;
    }

    return p;
}


/* Case-insensitive match of p[0..end) against a lower-case tag. */

static int
kot_lang_is(const char *p, const char *end, const char *tag)
{
    size_t  n;

    n = strlen(tag);

    if ((size_t) (end - p) != n) {
        return 0;
    }

    while (p < end) {
        if ((*p | 0x20) != *tag) {
            return 0;
        }

        p++;
        tag++;
    }

    return 1;
}


static int
kot_alpha(unsigned char c)
{
    c |= 0x20;

    return c >= 'a' && c <= 'z';
}


static int
kot_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}
