/*
 * ngx_kot: notifications' webhooks (README.md, "Notifications").
 */

#ifndef KOT_NOTIFY_H
#define KOT_NOTIFY_H

#include <stddef.h>

#include "kot_cidr.h"

/* the longest webhook URL, of kotctl notify --webhook or a tenant's */
#define KOT_NOTIFY_URL_MAX    2048

/*
 * Whether url is a webhook kotctl notify can post to: http:// or
 * https:// (either case), a host, at most KOT_NOTIFY_URL_MAX bytes, and
 * nothing but printable ASCII (no space, no control character).  1 if
 * so, else 0.
 */
int kot_notify_url_ok(const char *url, size_t len);

/*
 * The networks a tenant's webhook may not lead to, unless the operator
 * allows it: loopback, private, shared (CGNAT), link-local (cloud
 * metadata services), documentation, benchmarking, multicast and
 * reserved addresses, IPv4 and IPv6 (IANA's special-purpose registries).
 * A tenant admin sets the URL; the daemon posts from the operator's
 * network, which must not become the tenant's to probe.  On the heap,
 * freed with kot_cidr_set_free(); NULL when out of memory.
 */
kot_cidr_set_t *kot_notify_internal_set(void);

#endif /* KOT_NOTIFY_H */
