/*
 * libFuzzer target: kot_cidr_parse() and kot_cidr_format().  Whatever
 * parses is a valid network without host bits, formats, and parses back
 * to the same value and the same text; a refusal leaves nothing behind
 * (except the network meant, for "host bits set"); and a set of the one
 * network matches its first and last addresses.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kot_cidr.h"


static void
check_network(const kot_cidr_t *c)
{
    size_t      i, bytes;
    unsigned    bits;
    uint8_t     mask;

    if (c->family != AF_INET && c->family != AF_INET6) {
        abort();
    }

    bytes = (c->family == AF_INET) ? 4 : 16;

    if (c->prefix > bytes * 8) {
        abort();
    }

    for (i = 0; i < 16; i++) {
        bits = (c->prefix > i * 8) ? c->prefix - i * 8 : 0;
        mask = (i >= bytes) ? 0 : (bits >= 8) ? 0xff
                                              : (uint8_t) (0xff00 >> bits);

        if (c->addr[i] & ~mask) {
            abort();
        }
    }
}


static void
check_round_trip(const kot_cidr_t *c)
{
    char        a[KOT_CIDR_STR_MAX], b[KOT_CIDR_STR_MAX];
    size_t      n;
    kot_cidr_t  d;

    n = kot_cidr_format(c, a, sizeof(a));

    if (n == 0 || n >= sizeof(a) || strlen(a) != n
        || kot_cidr_parse(a, n, &d) != KOT_CIDR_OK
        || memcmp(c, &d, sizeof(kot_cidr_t)) != 0
        || kot_cidr_format(&d, b, sizeof(b)) != n || strcmp(a, b) != 0)
    {
        abort();
    }

    /* one byte short of room must be refused, not overrun */

    if (kot_cidr_format(c, b, n) != 0 || b[0] != '\0') {
        abort();
    }
}


static int
mapped_addr(const kot_cidr_t *c, const uint8_t *a)
{
    return c->family == AF_INET6
           && memcmp(a, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0;
}


static int
mapped(const kot_cidr_t *c)
{
    return mapped_addr(c, c->addr);
}


static void
check_set(const kot_cidr_t *c)
{
    size_t           i, bytes;
    uint8_t          last[16];
    kot_cidr_set_t  *s;

    s = kot_cidr_set_build(c, 1);
    if (s == NULL) {
        abort();
    }

    bytes = (c->family == AF_INET) ? 4 : 16;
    memcpy(last, c->addr, bytes);

    for (i = c->prefix; i < bytes * 8; i++) {
        last[i / 8] |= (uint8_t) (0x80 >> (i % 8));
    }

    /*
     * IPv4-mapped addresses are IPv4 clients: "::/80" holds some, but an
     * IPv6 network never matches an IPv4 client.
     */

    if (kot_cidr_set_match_addr(s, c->family, c->addr) != !mapped(c)
        || kot_cidr_set_match_addr(s, c->family, last) != !mapped_addr(c,
                                                                      last))
    {
        abort();
    }

    kot_cidr_set_free(s);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int         rc;
    char        reason[KOT_CIDR_REASON_MAX], *s;
    kot_cidr_t  c, zero;

    /* a copy of exactly size bytes, so that ASan sees any overread */

    s = malloc(size ? size : 1);
    if (s == NULL) {
        return 0;
    }

    memcpy(s, data, size);
    memset(&zero, 0, sizeof(kot_cidr_t));

    rc = kot_cidr_parse(s, size, &c);

    if (rc > KOT_CIDR_OK || rc < KOT_CIDR_ELAST
        || strcmp(kot_cidr_strerror(rc), "invalid") == 0
        || strcmp(kot_cidr_code(rc), "invalid") == 0)
    {
        abort();
    }

    if (rc == KOT_CIDR_OK || rc == KOT_CIDR_EHOST) {
        if (size > KOT_CIDR_TEXT_MAX) {
            abort();
        }

        check_network(&c);
        check_round_trip(&c);
        check_set(&c);

    } else if (memcmp(&c, &zero, sizeof(kot_cidr_t)) != 0) {
        abort();
    }

    if (kot_cidr_reason(rc, &c, reason, sizeof(reason)) >= sizeof(reason)
        || kot_cidr_reason(rc, &c, reason, 9) > 8)
    {
        abort();
    }

    free(s);

    return 0;
}
