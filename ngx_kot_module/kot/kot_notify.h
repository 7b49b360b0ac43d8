/*
 * ngx_kot: notifications' webhooks (README.md, "Notifications").
 */

#ifndef KOT_NOTIFY_H
#define KOT_NOTIFY_H

#include <stddef.h>

#include "kot_cidr.h"
#include "kot_crypto.h"

/* the longest webhook URL, of kotctl notify --webhook or a tenant's */
#define KOT_NOTIFY_URL_MAX    2048

/* a tenant's signing key: hex, without its NUL */
#define KOT_NOTIFY_TENANT_KEY_LEN  (2 * KOT_MAC_LEN)

/*
 * Whether url is a webhook kotctl notify can post to: http:// or
 * https:// (either case), a host, at most KOT_NOTIFY_URL_MAX bytes, and
 * nothing but printable ASCII (no space, no control character).  1 if
 * so, else 0.
 */
int kot_notify_url_ok(const char *url, size_t len);

/*
 * What of a webhook's URL may be shown to someone who may know where
 * the posts go but not the token that the URL's userinfo, path, query
 * or fragment often carries (Slack's and Teams' webhooks are secrets in
 * their path): its origin, scheme "://" host [":" port], in lower case.
 * Writes it and a NUL to out, cut to size - 1 bytes, and returns its
 * length; 0 (and "") if url is not one kot_notify_url_ok() accepts.
 */
size_t kot_notify_url_origin(const char *url, size_t len, char *out,
    size_t size);

/*
 * The networks a tenant's webhook may not lead to, unless the operator
 * allows it: IPv4's loopback, private, shared (CGNAT), link-local (cloud
 * metadata services), documentation, benchmarking, 6to4 relay anycast,
 * multicast and reserved addresses (IANA's special-purpose registry);
 * every IPv6 address outside global unicast 2000::/3, but for
 * IPv4-mapped and NAT64 ones (matched as that IPv4 address), and in it
 * the blocks not globally reachable: 2001::/23 whole (Teredo's and the
 * other IETF protocol assignments), 2001:db8::/32, 2002::/16 (6to4) and
 * 3fff::/20.
 * A tenant admin sets the URL; the daemon posts from the operator's
 * network, which must not become the tenant's to probe.  On the heap,
 * freed with kot_cidr_set_free(); NULL when out of memory.
 */
kot_cidr_set_t *kot_notify_internal_set(void);

/*
 * 1 if the address (AF_INET: 4 bytes, AF_INET6: 16) is one of set's,
 * kot_notify_internal_set()'s.  An IPv6 address of the NAT64 prefix
 * 64:ff9b::/96 (RFC 6052) is matched as the IPv4 address it ends with:
 * where the daemon's host reaches IPv4 through NAT64, that address is
 * where the post goes.
 */
int kot_notify_addr_internal(const kot_cidr_set_t *set, int family,
    const uint8_t *addr);

/*
 * The key that signs the posts to a tenant's own webhook, which its
 * receiver checks them with: the hex of HMAC-SHA256 under the daemon's
 * key (--hmac-key-file) of "kot-notify-tenant:" and the tenant's name.
 * Each tenant's receiver holds its own: it can neither forge the posts
 * of another tenant's webhook nor those of --webhook, which the
 * daemon's key itself signs.  Writes KOT_NOTIFY_TENANT_KEY_LEN
 * characters and a NUL to hex.
 */
void kot_notify_tenant_key(const kot_hmac_key_t *key, const char *tenant,
    size_t len, char hex[KOT_NOTIFY_TENANT_KEY_LEN + 1]);

#endif /* KOT_NOTIFY_H */
