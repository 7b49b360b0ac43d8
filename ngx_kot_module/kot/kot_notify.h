/*
 * ngx_kot: notifications' webhooks (README.md, "Notifications").
 */

#ifndef KOT_NOTIFY_H
#define KOT_NOTIFY_H

#include <stddef.h>

/* the longest webhook URL, of kotctl notify --webhook or a tenant's */
#define KOT_NOTIFY_URL_MAX    2048

/*
 * Whether url is a webhook kotctl notify can post to: http:// or
 * https:// (either case), a host, at most KOT_NOTIFY_URL_MAX bytes, and
 * nothing but printable ASCII (no space, no control character).  1 if
 * so, else 0.
 */
int kot_notify_url_ok(const char *url, size_t len);

#endif /* KOT_NOTIFY_H */
