/*
 * ngx_kot: finding one cookie in a Cookie request header, and keeping
 * ngx_kot's own cookies away from the application.
 */

#include <string.h>

#include "kot_cookie.h"


static void kot_cookie_trim(const char **p, const char **end);
static const char *kot_cookie_name(const char *p, const char *end,
    const char **n_end);


/* the names without KOT_COOKIE_HOST_PREFIX, with their lengths */
#define KOT_COOKIE_BARE(name)                                               \
    { &name[sizeof(KOT_COOKIE_HOST_PREFIX) - 1],                            \
      sizeof(name) - sizeof(KOT_COOKIE_HOST_PREFIX) }

static const struct {
    const char  *name;
    size_t       len;
} kot_cookie_names[] = {
    KOT_COOKIE_BARE(KOT_COOKIE_SESSION),
    KOT_COOKIE_BARE(KOT_COOKIE_PRELOGIN),
    KOT_COOKIE_BARE(KOT_COOKIE_PENDING)
};


int
kot_cookie_find(const char *hdr, size_t len, const char *name,
    size_t name_len, const char **value, size_t *value_len)
{
    const char  *p, *end, *semi, *n, *n_end, *v, *v_end;

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

        n = kot_cookie_name(p, semi, &n_end);

        if (n != NULL && (size_t) (n_end - n) == name_len
            && memcmp(n, name, name_len) == 0)
        {
            v = (const char *) memchr(n_end, '=', semi - n_end) + 1;
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


int
kot_cookie_ours(const char *name, size_t len)
{
    size_t  i, prefix;

    prefix = sizeof(KOT_COOKIE_HOST_PREFIX) - 1;

    if (len > prefix && memcmp(name, KOT_COOKIE_HOST_PREFIX, prefix) == 0) {
        name += prefix;
        len -= prefix;
    }

    for (i = 0; i < sizeof(kot_cookie_names) / sizeof(kot_cookie_names[0]);
         i++)
    {
        if (len == kot_cookie_names[i].len
            && memcmp(name, kot_cookie_names[i].name, len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


/* every name of ours holds "kot_", and few other cookies do */

int
kot_cookie_maybe_ours(const char *hdr, size_t len)
{
    const char  *p, *end;

    end = hdr + len;

    for (p = hdr; end - p >= 4; p++) {
        p = memchr(p, 'k', end - p - 3);
        if (p == NULL) {
            return 0;
        }

        if (memcmp(p, "kot_", 4) == 0) {
            return 1;
        }
    }

    return 0;
}


size_t
kot_cookie_strip(const char *hdr, size_t len, char *out)
{
    char        *o;
    const char  *p, *end, *semi, *s, *s_end, *n, *n_end;

    o = out;
    p = hdr;
    end = hdr + len;

    while (p < end) {
        semi = memchr(p, ';', end - p);
        if (semi == NULL) {
            semi = end;
        }

        s = p;
        s_end = semi;
        kot_cookie_trim(&s, &s_end);

        n = kot_cookie_name(s, s_end, &n_end);

        if (s < s_end && (n == NULL || !kot_cookie_ours(n, n_end - n))) {
            if (o > out) {
                *o++ = ';';
                *o++ = ' ';
            }

            memcpy(o, s, s_end - s);
            o += s_end - s;
        }

        p = semi + 1;
    }

    return o - out;
}


int
kot_cookie_sets_ours(const char *value, size_t len)
{
    const char  *semi, *n, *n_end;

    semi = memchr(value, ';', len);

    n = kot_cookie_name(value, semi ? semi : value + len, &n_end);

    return n != NULL && kot_cookie_ours(n, n_end - n);
}


/* The trimmed name of a "name=value" pair, or NULL without '='. */

static const char *
kot_cookie_name(const char *p, const char *end, const char **n_end)
{
    const char  *eq;

    eq = memchr(p, '=', end - p);
    if (eq == NULL) {
        return NULL;
    }

    *n_end = eq;
    kot_cookie_trim(&p, n_end);

    return p;
}
