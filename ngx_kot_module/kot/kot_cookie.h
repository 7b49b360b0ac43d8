/*
 * ngx_kot: finding one cookie in a Cookie request header (RFC 6265
 * section 5.4 syntax: "name=value; name2=value2").
 *
 * Leniency follows browsers: optional whitespace around ';' and '=',
 * double-quoted values (quotes removed).  A pair without '=' is skipped.
 * Only an exact, case-sensitive name match counts.
 */

#ifndef KOT_COOKIE_H
#define KOT_COOKIE_H

#include <stddef.h>

/* ngx_kot's cookies; kot_insecure_cookie drops the "__Host-" prefix */
#define KOT_COOKIE_SESSION      "__Host-kot_session"
#define KOT_COOKIE_PRELOGIN     "__Host-kot_pre"
#define KOT_COOKIE_PENDING      "__Host-kot_mfa"
#define KOT_COOKIE_HOST_PREFIX  "__Host-"

/*
 * Looks for the first cookie called name in hdr[0..len).  On success sets
 * *value / *value_len to point inside hdr and returns 1; returns 0 when
 * the cookie is absent.
 */
int kot_cookie_find(const char *hdr, size_t len, const char *name,
    size_t name_len, const char **value, size_t *value_len);

/*
 * Whether name is one of ngx_kot's cookies, in either spelling (with or
 * without "__Host-"), whatever kot_insecure_cookie says.
 */
int kot_cookie_ours(const char *name, size_t len);

/*
 * Whether hdr may hold one of ngx_kot's cookies: a quick test that lets
 * the common request, without them, skip kot_cookie_strip().
 */
int kot_cookie_maybe_ours(const char *hdr, size_t len);

/*
 * Copies the pairs of hdr[0..len) that are not ngx_kot's cookies to out
 * (2 * len bytes suffice), trimmed and joined with "; ", in their order
 * and spelling.  Returns the length written: 0 when nothing is left.
 */
size_t kot_cookie_strip(const char *hdr, size_t len, char *out);

/*
 * Whether a Set-Cookie value ("name=value; attributes") sets one of
 * ngx_kot's cookies.
 */
int kot_cookie_sets_ours(const char *value, size_t len);

#endif /* KOT_COOKIE_H */
