/*
 * Unit tests of kot_notify: which webhooks kotctl notify posts to, and
 * the key each tenant's is signed with.
 */

#include <arpa/inet.h>
#include <string.h>

#include "tap.h"
#include "kot_notify.h"


static int
url(const char *s)
{
    return kot_notify_url_ok(s, strlen(s));
}


/* 1 if a webhook at address a (IPv4 or IPv6 text) would be refused */

static int
internal(const kot_cidr_set_t *set, const char *a)
{
    uint8_t  addr[16];

    if (inet_pton(AF_INET, a, addr) == 1) {
        return kot_notify_addr_internal(set, AF_INET, addr);
    }

    if (inet_pton(AF_INET6, a, addr) == 1) {
        return kot_notify_addr_internal(set, AF_INET6, addr);
    }

    return -1;
}


int
main(void)
{
    size_t           i;
    char             file[33], out[64];
    char             hex[KOT_NOTIFY_TENANT_KEY_LEN + 1];
    char             other[KOT_NOTIFY_TENANT_KEY_LEN + 1];
    kot_cidr_set_t  *set;
    kot_hmac_key_t   key;
    static char      big[KOT_NOTIFY_URL_MAX + 2];

    static const char  *good[] = {
        "https://hooks.example.com/kot",
        "http://127.0.0.1:8080/hook?token=abc",
        "HTTPS://Example.COM",
        "https://[2001:db8::1]:8443/x",
    };

    static const char  *origins[][2] = {
        { "https://hooks.slack.com/services/T0/B0/secret",
          "https://hooks.slack.com" },
        { "http://127.0.0.1:8080/hook?token=abc", "http://127.0.0.1:8080" },
        { "HTTPS://Example.COM", "https://example.com" },
        { "https://[2001:DB8::1]:8443/x", "https://[2001:db8::1]:8443" },
        { "https://user:pa@ss@hooks.example:444/x",
          "https://hooks.example:444" },
        { "https://token@hooks.example?x#y", "https://hooks.example" },
        { "https://hooks.example#frag", "https://hooks.example" },
        { "https://hooks.example\\evil/x", "https://hooks.example" },
        { "https://secret@/x", "https://" },
    };

    static const char  *bad[] = {
        "", "https://", "http://", "ftp://example.com/", "file:///etc/passwd",
        "//example.com/", "example.com", "https:///path", "https://?q",
        "https://example.com/a b", "https://example.com/\r\nX-Evil: 1",
        "https://example.com/\x7f", "https://ex\xc3\xa4mple.com/",
        " https://example.com/", "javascript:alert(1)",
    };

    static const char  *inside[] = {
        "127.0.0.1", "127.255.0.9", "10.1.2.3", "172.16.0.1",
        "172.31.255.255", "192.168.1.1", "169.254.169.254", "100.64.0.1",
        "0.0.0.0", "224.0.0.1", "255.255.255.255", "198.18.0.1",
        "::1", "::", "::ffff:127.0.0.1", "::ffff:169.254.169.254",
        "fd00::1", "fe80::1", "ff02::1", "2001:db8::1",
        /* through NAT64: 127.0.0.1, 169.254.169.254, 10.0.0.5 */
        "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b::a00:5",
        /*
         * IPv6 forms that carry an IPv4 address are refused whole, the
         * global IPv4 addresses they carry (8.8.8.8) included: none is
         * a destination an Internet service is reached at.
         * 6to4 (2002::/16, 2002:AABB:CCDD:: is a.b.c.d's):
         */
        "2002:7f00:1::1", "2002:a9fe:a9fe::", "2002:a00:5:1::1",
        "2002:808:808::1",
        /*
         * Teredo (2001::/32): server 169.254.169.254 or 8.8.8.8, client
         * 127.0.0.1 (XOR 0xffffffff); a public server's and client's
         */
        "2001:0:a9fe:a9fe::80ff:fffe", "2001:0:808:808::80ff:fffe",
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",
        /* IPv4-compatible (::/96, deprecated) */
        "::7f00:1", "::a9fe:a9fe", "::a00:5", "::808:808",
        /* IPv4-translated (::ffff:0:0:0/96, RFC 2765) */
        "::ffff:0:7f00:1", "::ffff:0:a9fe:a9fe", "::ffff:0:808:808",
        /* the local-use NAT64 prefix 64:ff9b:1::/48 (RFC 8215) */
        "64:ff9b:1::a9fe:a9fe", "64:ff9b:1:a9fe:a9:fe00::",
        "64:ff9b:1::808:808",
        /* 6to4's relays' anycast (RFC 7526, deprecated) */
        "192.88.99.1", "192.88.99.255",
        /*
         * IPv6 outside global unicast 2000::/3, whatever it is: SRv6
         * SIDs, site-local, unassigned, discard-only, NAT64 beyond /96
         */
        "5f00::1", "4000::1", "8000::1", "fec0::1", "1fff:ffff::1",
        "100::1", "::2", "64:ff9b::1:0:808:808",
        /*
         * IETF protocol assignments (2001::/23), all of them: PCP's,
         * TURN's and DNS-SD SRP's anycast (the nearest one: the site's),
         * benchmarking, AMT, AS112, ORCHID, DRIP; and its last address
         */
        "2001:1::1", "2001:1::2", "2001:1::3", "2001:2::1", "2001:3::1",
        "2001:4:112::1", "2001:10::1", "2001:20::1", "2001:30::1",
        "2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff",
        /* documentation (RFC 9637) */
        "3fff::1", "3fff:fff:ffff::1",
    };

    static const char  *outside[] = {
        "8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "93.184.216.34",
        "2606:4700::1111", "::ffff:8.8.8.8", "2a00:1450::1",
        "64:ff9b::808:808",
        /* global unicast next to the special blocks */
        "2001:4860:4860::8888", "2001:200::1", "2003::1", "2000::1",
        "3ffe:ffff::1", "3fff:1000::1", "192.88.98.255", "192.88.100.0",
    };

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        is_long(url(good[i]), 1, "accepts \"%s\"", good[i]);
    }

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        is_long(url(bad[i]), 0, "refuses bad URL %zu", i);
    }

    ok(kot_notify_url_ok("https://a/\0b", 12) == 0, "refuses a NUL");
    ok(kot_notify_url_ok("https://a.example", 9) == 1, "honours len");

    memcpy(big, "https://a/", 10);
    memset(big + 10, 'a', sizeof(big) - 11);
    is_long(kot_notify_url_ok(big, KOT_NOTIFY_URL_MAX), 1,
            "accepts %d bytes", KOT_NOTIFY_URL_MAX);
    is_long(kot_notify_url_ok(big, KOT_NOTIFY_URL_MAX + 1), 0,
            "refuses %d bytes", KOT_NOTIFY_URL_MAX + 1);

    /* what of a webhook may be shown under support */

    for (i = 0; i < sizeof(origins) / sizeof(origins[0]); i++) {
        is_long(kot_notify_url_origin(origins[i][0], strlen(origins[i][0]),
                                      out, sizeof(out)),
                strlen(origins[i][1]), "origin %zu: its length", i);
        is_str(out, origins[i][1], "origin of %s", origins[i][0]);
    }

    is_long(kot_notify_url_origin("file:///etc/x", 13, out, sizeof(out)), 0,
            "no origin of what is not a webhook");
    is_str(out, "", "  and an empty one");
    is_long(kot_notify_url_origin("https://hooks.example/x", 23, out, 9), 8,
            "an origin cut to its buffer");
    is_str(out, "https://", "  ended by a NUL");

    /* where a tenant's webhook may lead */

    set = kot_notify_internal_set();
    ok(set != NULL, "the internal networks build");

    for (i = 0; i < sizeof(inside) / sizeof(inside[0]); i++) {
        is_long(internal(set, inside[i]), 1, "%s is internal", inside[i]);
    }

    for (i = 0; i < sizeof(outside) / sizeof(outside[0]); i++) {
        is_long(internal(set, outside[i]), 0, "%s is not", outside[i]);
    }

    kot_cidr_set_free(set);

    /* each tenant's signing key (the key file of t/notify.t) */

    memset(file, 'k', 32);
    file[32] = '\n';
    kot_hmac_key(&key, (const uint8_t *) file, sizeof(file));

    kot_notify_tenant_key(&key, "acme", 4, hex);
    is_str(hex, "d95f3f7137be5307d374865aa001830aa8f5d5b2a4c28e5f87aa2112"
           "3d05f9b7", "acme's key is HMAC-SHA256(key file, "
           "\"kot-notify-tenant:acme\"), in hex");
    is_long((long) strlen(hex), KOT_NOTIFY_TENANT_KEY_LEN,
            "of %d characters", KOT_NOTIFY_TENANT_KEY_LEN);

    kot_notify_tenant_key(&key, "beta", 4, other);
    is_str(other, "cef7edd26e90c7f459fd4744c8ec86023efff54d66dade1ebd063c24"
           "584d2d76", "beta's is another");
    kot_notify_tenant_key(&key, "acmex", 4, other);
    is_str(other, hex, "only the tenant's len bytes count");

    return done_testing();
}
