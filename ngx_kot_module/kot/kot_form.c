/*
 * ngx_kot: application/x-www-form-urlencoded bodies.
 */

#include <limits.h>
#include <string.h>

#include "kot_form.h"


/* decoded values are NUL-terminated C strings; a NUL would cut them */
#define KOT_FORM_NUL  (-2)


static kot_form_rc_t kot_form_pair(const char *p, size_t len,
    kot_form_field_t *fields, size_t n, char *scratch, size_t scratch_len,
    size_t *used);
static long kot_form_decode(char *dst, const char *src, size_t len);
static int kot_form_name_is(const char *src, size_t len, const char *want);
static void kot_form_reset(kot_form_field_t *fields, size_t n);
static int kot_hex_value(unsigned char c);
static int kot_unescape(const char *src, size_t len, size_t *i);


kot_form_rc_t
kot_form_parse(const char *body, size_t len, kot_form_field_t *fields,
    size_t n, char *scratch, size_t scratch_len)
{
    size_t         used;
    const char    *p, *end, *amp;
    kot_form_rc_t  rc;

    kot_form_reset(fields, n);

    /* nginx may hand over an empty body as NULL; NULL + 0 is undefined */

    if (len == 0) {
        return KOT_FORM_OK;
    }

    used = 0;
    p = body;
    end = body + len;

    while (p < end) {
        amp = memchr(p, '&', end - p);
        if (amp == NULL) {
            amp = end;
        }

        rc = kot_form_pair(p, amp - p, fields, n, scratch, scratch_len,
                           &used);
        if (rc != KOT_FORM_OK) {
            kot_form_reset(fields, n);
            return rc;
        }

        if (amp == end) {
            break;
        }

        p = amp + 1;
    }

    return KOT_FORM_OK;
}


long
kot_url_decode(char *dst, const char *src, size_t len, int plus_is_space)
{
    int     c;
    size_t  i, n;

    if (len > LONG_MAX) {
        return -1;
    }

    n = 0;

    for (i = 0; i < len; /* void */) {
        if (src[i] == '+' && plus_is_space) {
            c = ' ';
            i++;

        } else {
            c = kot_unescape(src, len, &i);
            if (c < 0) {
                return -1;
            }
        }

        dst[n++] = (char) c;
    }

    return (long) n;
}


size_t
kot_url_decode_lenient(char *dst, const char *src, size_t len)
{
    int     hi, lo;
    size_t  i, n;

    n = 0;

    for (i = 0; i < len; i++) {
        if (src[i] == '%' && len - i >= 3
            && (hi = kot_hex_value((unsigned char) src[i + 1])) >= 0
            && (lo = kot_hex_value((unsigned char) src[i + 2])) >= 0)
        {
            dst[n++] = (char) ((hi << 4) | lo);
            i += 2;
            continue;
        }

        dst[n++] = src[i];
    }

    return n;
}


/*
 * One "name=value" segment: every segment is checked, wanted or not, so
 * that a malformed body is refused whatever the caller asks for.
 */

static kot_form_rc_t
kot_form_pair(const char *p, size_t len, kot_form_field_t *fields, size_t n,
    char *scratch, size_t scratch_len, size_t *used)
{
    long               vlen;
    size_t             i, name_len, value_len, room;
    const char        *eq, *value;
    kot_form_field_t  *f;

    eq = memchr(p, '=', len);

    if (eq == NULL) {
        name_len = len;
        value = p + len;
        value_len = 0;

    } else {
        name_len = eq - p;
        value = eq + 1;
        value_len = len - name_len - 1;
    }

    vlen = kot_form_decode(NULL, value, value_len);

    if (vlen < 0 || kot_form_decode(NULL, p, name_len) < 0) {
        return KOT_FORM_MALFORMED;
    }

    for (i = 0; i < n; i++) {
        if (kot_form_name_is(p, name_len, fields[i].name)) {
            break;
        }
    }

    if (i == n) {
        return KOT_FORM_OK;
    }

    f = &fields[i];

    if (f->present) {
        return KOT_FORM_DUPLICATE;
    }

    room = scratch_len - *used;

    if ((size_t) vlen >= room) {
        return KOT_FORM_TOO_LARGE;
    }

    (void) kot_form_decode(scratch + *used, value, value_len);

    scratch[*used + vlen] = '\0';

    f->value = scratch + *used;
    f->len = (size_t) vlen;
    f->present = 1;

    *used += vlen + 1;

    return KOT_FORM_OK;
}


/*
 * Decodes a form component ('+' is a space) into dst, or only checks it
 * when dst is NULL.  Returns the length, -1 on a malformed escape or
 * KOT_FORM_NUL on a decoded NUL byte.
 */

static long
kot_form_decode(char *dst, const char *src, size_t len)
{
    int     c;
    size_t  i, n;

    n = 0;

    for (i = 0; i < len; /* void */) {
        if (src[i] == '+') {
            c = ' ';
            i++;

        } else {
            c = kot_unescape(src, len, &i);
            if (c < 0) {
                return -1;
            }

            if (c == '\0') {
                return KOT_FORM_NUL;
            }
        }

        if (dst != NULL) {
            dst[n] = (char) c;
        }

        n++;
    }

    return (long) n;
}


/* Compares an encoded (already checked) name with a wanted one. */

static int
kot_form_name_is(const char *src, size_t len, const char *want)
{
    int     c;
    size_t  i, j;

    if (want == NULL) {
        return 0;
    }

    j = 0;

    for (i = 0; i < len; /* void */) {
        if (src[i] == '+') {
            c = ' ';
            i++;

        } else {
            c = kot_unescape(src, len, &i);
        }

        if (want[j] == '\0' || c != (unsigned char) want[j]) {
            return 0;
        }

        j++;
    }

    return want[j] == '\0';
}


/* Nothing a caller finds after a failure may look like a field. */

static void
kot_form_reset(kot_form_field_t *fields, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        fields[i].value = "";
        fields[i].len = 0;
        fields[i].present = 0;
    }
}


/*
 * Reads one byte of src at *i, decoding a "%XX" escape, and advances *i.
 * Returns the byte (0..255) or -1 on a malformed escape.
 */

static int
kot_unescape(const char *src, size_t len, size_t *i)
{
    int     hi, lo;
    size_t  k;

    k = *i;

    if (src[k] != '%') {
        *i = k + 1;
        return (unsigned char) src[k];
    }

    if (len - k < 3) {
        return -1;
    }

    hi = kot_hex_value((unsigned char) src[k + 1]);
    lo = kot_hex_value((unsigned char) src[k + 2]);

    if (hi < 0 || lo < 0) {
        return -1;
    }

    *i = k + 3;

    return (hi << 4) | lo;
}


static int
kot_hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c |= 0x20;

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    return -1;
}
