/*
 * ngx_kot: finding one cookie in a Cookie request header.
 */

#include <string.h>

#include "kot_cookie.h"


static void kot_cookie_trim(const char **p, const char **end);


int
kot_cookie_find(const char *hdr, size_t len, const char *name,
    size_t name_len, const char **value, size_t *value_len)
{
    const char  *p, *end, *semi, *eq, *n, *n_end, *v, *v_end;

    /* an empty name would match stray "=value" pairs */

    if (name_len == 0 || len == 0) {
        return 0;
    }

    p = hdr;
    end = hdr + len;

    while (p < end) {
        semi = memchr(p, ';', end - p);
        if (semi == NULL) {
            semi = end;
        }

        eq = memchr(p, '=', semi - p);

        if (eq != NULL) {
            n = p;
            n_end = eq;
            kot_cookie_trim(&n, &n_end);

            if ((size_t) (n_end - n) == name_len
                && memcmp(n, name, name_len) == 0)
            {
                v = eq + 1;
                v_end = semi;
                kot_cookie_trim(&v, &v_end);

                if (v_end - v >= 2 && *v == '"' && v_end[-1] == '"') {
                    v++;
                    v_end--;
                }

                *value = v;
                *value_len = v_end - v;

                return 1;
            }
        }

        if (semi == end) {
            break;
        }

        p = semi + 1;
    }

    return 0;
}


static void
kot_cookie_trim(const char **p, const char **end)
{
    while (*p < *end && (**p == ' ' || **p == '\t')) {
        (*p)++;
    }

    while (*end > *p && ((*end)[-1] == ' ' || (*end)[-1] == '\t')) {
        (*end)--;
    }
}
