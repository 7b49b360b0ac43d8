/*
 * libFuzzer target: the escapers.  Each *_len must equal what its writer
 * produces (into a buffer of exactly that size), and the output must be
 * safe for its context.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kot_policy.h"
#include "kot_text.h"


typedef size_t (*len_pt)(const char *s, size_t len);
typedef size_t (*esc_pt)(char *dst, const char *s, size_t len);


static char *
escape(len_pt lf, esc_pt ef, const char *s, size_t size, size_t *out_len)
{
    char    *out;
    size_t   n;

    n = lf(s, size);

    out = malloc(n ? n : 1);
    if (out == NULL) {
        return NULL;
    }

    if (ef(out, s, size) != n) {
        abort();
    }

    *out_len = n;

    return out;
}


static void
check_html(const char *s, size_t size)
{
    char    *out;
    size_t   n;

    out = escape(kot_html_escape_len, kot_html_escape, s, size, &n);
    if (out == NULL) {
        return;
    }

    if (memchr(out, '<', n) || memchr(out, '>', n) || memchr(out, '"', n)
        || memchr(out, '\'', n))
    {
        abort();
    }

    free(out);
}


static void
check_url(const char *s, size_t size)
{
    char     *out;
    size_t    n, i;
    unsigned  c;

    out = escape(kot_url_escape_len, kot_url_escape, s, size, &n);
    if (out == NULL) {
        return;
    }

    for (i = 0; i < n; i++) {
        c = (unsigned char) out[i];

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9')
              || (c != '\0' && strchr("-._~/%", (int) c) != NULL)))
        {
            abort();
        }
    }

    free(out);
}


static void
check_json(const char *s, size_t size)
{
    char    *out;
    size_t   n, i;

    out = escape(kot_json_escape_len, kot_json_escape, s, size, &n);
    if (out == NULL) {
        return;
    }

    /* the audit writer sizes its buffer by this bound */
    if (kot_utf8_length(out, n) < 0 || n > size * KOT_JSON_ESCAPE_MAX) {
        abort();
    }

    /* scan it as the inside of a JSON string */

    for (i = 0; i < n; i++) {
        if ((unsigned char) out[i] < 0x20 || out[i] == 0x7f
            || out[i] == '"')
        {
            abort();
        }

        if (out[i] != '\\') {
            continue;
        }

        if (++i == n || out[i] == '\0'
            || strchr("\"\\nrtu", out[i]) == NULL)
        {
            abort();
        }
    }

    free(out);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char  *s;

    s = malloc(size ? size : 1);
    if (s == NULL) {
        return 0;
    }

    memcpy(s, data, size);

    check_html(s, size);
    check_url(s, size);
    check_json(s, size);

    free(s);

    return 0;
}
