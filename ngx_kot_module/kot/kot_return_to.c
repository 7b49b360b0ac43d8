/*
 * ngx_kot: the return_to parameter of the login form.
 */

#include <string.h>
#include <strings.h>

#include "kot_form.h"
#include "kot_return_to.h"


/* how many rounds of percent-decoding are looked through */
#define KOT_RETURN_TO_LEVELS  4


static int kot_return_to_path(const char *s, size_t len, int decoded);


int
kot_return_to_ok(const char *s, size_t len)
{
    int          i;
    char         buf[2][KOT_RETURN_TO_MAX];
    size_t       n;
    const char  *cur;

    if (len == 0 || len > KOT_RETURN_TO_MAX
        || !kot_return_to_path(s, len, 0))
    {
        return 0;
    }

    /*
     * Whatever decodes the value later (the application, a proxy, a
     * browser) must still see a local path.  Most decoders keep a '%'
     * that begins no escape and decode the rest, so a malformed escape
     * does not end the looking.  Decoding never makes a string longer,
     * so the buffers suffice.
     */

    cur = s;

    for (i = 0; i < KOT_RETURN_TO_LEVELS; i++) {
        n = kot_url_decode_lenient(buf[i % 2], cur, len);
        if (n == len) {
            return 1;
        }

        cur = buf[i % 2];
        len = n;

        if (!kot_return_to_path(cur, len, 1)) {
            return 0;
        }
    }

    /* encoded more deeply than any honest link */
    return kot_url_decode_lenient(buf[i % 2], cur, len) == len;
}


int
kot_return_to_referer(const char *referer, size_t len, const char *host,
    size_t host_len, const char **path, size_t *path_len)
{
    size_t       skip;
    const char  *p, *end, *hash;

    if (len > 7 && strncasecmp(referer, "http://", 7) == 0) {
        skip = 7;

    } else if (len > 8 && strncasecmp(referer, "https://", 8) == 0) {
        skip = 8;

    } else {
        return 0;
    }

    p = referer + skip;
    end = referer + len;

    if (host_len == 0 || (size_t) (end - p) <= host_len
        || strncasecmp(p, host, host_len) != 0 || p[host_len] != '/')
    {
        return 0;
    }

    p += host_len;

    hash = memchr(p, '#', end - p);
    if (hash) {
        end = hash;
    }

    if (!kot_return_to_ok(p, end - p)) {
        return 0;
    }

    *path = p;
    *path_len = end - p;

    return 1;
}


/*
 * A path on this site: no scheme, no "//host" or "/\host" (browsers treat
 * '\' as '/'), and nothing a header or a log line could be split on.  The
 * value as sent must be plain printable ASCII; once decoded, it may hold
 * spaces and UTF-8 (a Japanese page name, say), but still no controls.
 */

static int
kot_return_to_path(const char *s, size_t len, int decoded)
{
    size_t         i;
    unsigned char  c;

    if (len == 0 || s[0] != '/' || (len > 1 && (s[1] == '/' || s[1] == '\\')))
    {
        return 0;
    }

    for (i = 0; i < len; i++) {
        c = (unsigned char) s[i];

        if (c == '\\' || c < 0x20 || c == 0x7f
            || (!decoded && (c == ' ' || c > 0x7e)))
        {
            return 0;
        }
    }

    return 1;
}
