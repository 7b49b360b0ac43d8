/*
 * ngx_kot: the return_to parameter of the login form.
 *
 * Only a path on this site is accepted, so that the login page can never
 * be used as an open redirect.  A value is safe when:
 *   - it is 1..2048 bytes of printable ASCII (0x21..0x7e: no spaces,
 *     controls or raw UTF-8), with no '\' anywhere;
 *   - it starts with '/' and its second byte is neither '/' nor '\';
 *   - after percent-decoding it once, twice, three and four times, it
 *     still starts that way and holds no '\' and no control characters
 *     (decoded spaces and UTF-8 are fine: "/a%20b", "/wiki/%E6%97%A5");
 *   - it is not encoded more than four times.
 * So "/%2F%2Fevil", "/%5Cevil", "/%0d%0a" and their double encodings are
 * refused.  A malformed escape ("/50%off") ends the decoding: it is inert.
 */

#ifndef KOT_RETURN_TO_H
#define KOT_RETURN_TO_H

#include <stddef.h>

#define KOT_RETURN_TO_MAX  2048

/* 1 if s is a safe local path, else 0. */
int kot_return_to_ok(const char *s, size_t len);

/*
 * The path of a Referer of this site: "http://" or "https://", then
 * exactly host (the Host header: name and port, case-insensitive), then
 * a path that kot_return_to_ok() accepts, which *path and *path_len
 * point to (inside referer; a fragment is left out).  1 if so, else 0.
 */
int kot_return_to_referer(const char *referer, size_t len, const char *host,
    size_t host_len, const char **path, size_t *path_len);

#endif /* KOT_RETURN_TO_H */
