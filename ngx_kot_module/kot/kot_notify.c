/*
 * ngx_kot: notifications' webhooks.
 */

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "kot_notify.h"


#define KOT_NOTIFY_TENANT_LABEL  "kot-notify-tenant:"


/*
 * IPv4: IANA's special-purpose registry's blocks that are not globally
 * reachable, and 6to4's relays' anycast 192.88.99.0/24 (RFC 7526: gone,
 * and whatever answers there is a relay near the daemon's host).
 *
 * IPv6: everything but global unicast 2000::/3, which IANA allocates,
 * so that an address outside it is refused without a list that lags
 * behind new assignments (SRv6's 5f00::/16, RFC 9602, is one); and in
 * 2000::/3 the blocks not globally reachable.  Outside 2000::/3, only
 * IPv4-mapped addresses (kot_cidr_set_match()) and those of the NAT64
 * prefix 64:ff9b::/96 (kot_notify_addr_internal()) are judged by the
 * IPv4 address they carry.  The other forms that carry one are refused
 * whole, as Python's ipaddress does (is_private): whatever IPv4 address
 * they carry, none leads to an Internet service, and a host that still
 * tunnels them would take the post into the IPv4 network they name:
 * the IPv4-compatible (::/96), the IPv4-translated (::ffff:0:0:0/96),
 * the local-use NAT64 prefix 64:ff9b:1::/48 (RFC 8215), whose layout
 * and IPv4 side only the site knows, all outside 2000::/3; Teredo's
 * 2001::/32 (a server's and an obfuscated client's IPv4 address,
 * reached through a relay) and 6to4's 2002::/16 (RFC 7526), whose
 * relays forward into the IPv4 network the address names.
 *
 * 2001::/23, the IETF's protocol assignments, goes whole, also its
 * blocks IANA marks globally reachable: their anycast addresses (PCP's,
 * TURN's, DNS-SD SRP's, AMT's relays) lead to the nearest server, often
 * the site's own gateway; AS112 only sinks DNS; ORCHID's and DRIP's are
 * identifiers, not where a receiver listens.  3fff::/20 and 2001:db8::/32
 * are documentation's (RFC 9637, RFC 3849).
 */

static const char  *kot_notify_internal[] = {
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8",
    "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24",
    "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
    "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    /* not 2000::/3 */
    "::/3", "4000::/2", "8000::/1",
    /* in 2000::/3 */
    "2001::/23", "2001:db8::/32", "2002::/16", "3fff::/20",
};


int
kot_notify_url_ok(const char *url, size_t len)
{
    size_t  i, skip;

    if (len > KOT_NOTIFY_URL_MAX) {
        return 0;
    }

    if (len > 7 && strncasecmp(url, "http://", 7) == 0) {
        skip = 7;

    } else if (len > 8 && strncasecmp(url, "https://", 8) == 0) {
        skip = 8;

    } else {
        return 0;
    }

    /* a host: something before the path, the query or the fragment */

    if (url[skip] == '/' || url[skip] == '?' || url[skip] == '#') {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if ((unsigned char) url[i] <= 0x20 || (unsigned char) url[i] >= 0x7f) {
            return 0;
        }
    }

    return 1;
}


size_t
kot_notify_url_origin(const char *url, size_t len, char *out, size_t size)
{
    size_t  i, n, scheme, host, end;

    if (size == 0) {
        return 0;
    }

    out[0] = '\0';

    if (!kot_notify_url_ok(url, len)) {
        return 0;
    }

    scheme = (url[4] == ':') ? 7 : 8;

    /*
     * the authority ends where the path, query or fragment begins (no
     * NUL is met: kot_notify_url_ok() refuses one)
     */
    for (end = scheme; end < len; end++) {
        if (strchr("/?#\\", url[end]) != NULL) {
            break;
        }
    }

    /* a password or token before the host ("user:secret@host") stays */
    host = scheme;

    for (i = scheme; i < end; i++) {
        if (url[i] == '@') {
            host = i + 1;
        }
    }

    n = 0;

    for (i = 0; i < end && n < size - 1; i++) {
        if (i < scheme || i >= host) {
            out[n++] = (char) tolower((unsigned char) url[i]);
        }
    }

    out[n] = '\0';

    return n;
}


kot_cidr_set_t *
kot_notify_internal_set(void)
{
    size_t      i;
    kot_cidr_t  v[sizeof(kot_notify_internal) / sizeof(char *)];

    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        if (kot_cidr_parse(kot_notify_internal[i],
                           strlen(kot_notify_internal[i]), &v[i])
            != KOT_CIDR_OK)
        {
            return NULL;
        }
    }

    return kot_cidr_set_build(v, sizeof(v) / sizeof(v[0]));
}


int
kot_notify_addr_internal(const kot_cidr_set_t *set, int family,
    const uint8_t *addr)
{
    static const uint8_t  nat64[12] = { 0x00, 0x64, 0xff, 0x9b };

    if (family == AF_INET6 && memcmp(addr, nat64, sizeof(nat64)) == 0) {
        return kot_cidr_set_match_addr(set, AF_INET, addr + 12);
    }

    return kot_cidr_set_match_addr(set, family, addr);
}


void
kot_notify_tenant_key(const kot_hmac_key_t *key, const char *tenant,
    size_t len, char hex[KOT_NOTIFY_TENANT_KEY_LEN + 1])
{
    size_t   i;
    uint8_t  mac[KOT_MAC_LEN];

    static const char  digits[] = "0123456789abcdef";

    kot_hmac_mac(key, KOT_NOTIFY_TENANT_LABEL,
                 sizeof(KOT_NOTIFY_TENANT_LABEL) - 1, tenant, len, mac);

    for (i = 0; i < KOT_MAC_LEN; i++) {
        hex[2 * i] = digits[mac[i] >> 4];
        hex[2 * i + 1] = digits[mac[i] & 0xf];
    }

    hex[KOT_NOTIFY_TENANT_KEY_LEN] = '\0';

    kot_cleanse(mac, sizeof(mac));
}
