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

/*
 * Looks for the first cookie called name in hdr[0..len).  On success sets
 * *value / *value_len to point inside hdr and returns 1; returns 0 when
 * the cookie is absent.
 */
int kot_cookie_find(const char *hdr, size_t len, const char *name,
    size_t name_len, const char **value, size_t *value_len);

#endif /* KOT_COOKIE_H */
