/*
 * Unit tests of kot_cidr: strict parsing with reasons, canonical text,
 * and the compiled set against a brute-force reference on random
 * networks and addresses (fixed seed, so that a failure reproduces).
 */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "tap.h"
#include "kot_cidr.h"


#define SEED  0x6b6f745f63696472ULL     /* "kot_cidr" */

typedef struct {
    const char  *in;
    const char  *canonical;
} accept_t;

typedef struct {
    const char  *in;
    int          rc;
    const char  *reason;
} refuse_t;

/* how a random set looks */
typedef struct {
    const char  *name;
    size_t       n;
    unsigned     v4_percent;
    unsigned     min4, max4;    /* prefix lengths */
    unsigned     min6, max6;
    unsigned     fixed4;        /* leading bits shared by every entry */
    unsigned     fixed6;
    unsigned     dups;          /* copies of each entry */
} shape_t;

static uint64_t  rng = SEED;


static uint64_t
rnd(void)
{
    /* xorshift64*: plenty for test data, and the same on every libc */
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;

    return rng * 0x2545f4914f6cdd1dULL;
}


static unsigned
rnd_below(unsigned n)
{
    return (unsigned) (rnd() % n);
}


/* s with bytes outside 0x21..0x7e as \xNN, so that TAP stays one line */

static const char *
show(const char *s, size_t len)
{
    char         *p;
    size_t        i;
    static char  buf[512];

    for (i = 0, p = buf; i < len && p < buf + sizeof(buf) - 5; i++) {
        if ((unsigned char) s[i] < 0x21 || (unsigned char) s[i] > 0x7e) {
            p += sprintf(p, "\\x%02x", (unsigned char) s[i]);

        } else {
            *p++ = s[i];
        }
    }

    *p = '\0';

    return buf;
}


static const char *
canon(const char *s)
{
    kot_cidr_t   c;
    static char  buf[KOT_CIDR_STR_MAX];

    if (kot_cidr_parse(s, strlen(s), &c) != KOT_CIDR_OK) {
        return "(refused)";
    }

    if (kot_cidr_format(&c, buf, sizeof(buf)) == 0) {
        return "(unformattable)";
    }

    return buf;
}


static void
test_accept(void)
{
    size_t  i;

    static const accept_t  good[] = {
        { "10.0.0.0/8", "10.0.0.0/8" },
        { "192.0.2.7", "192.0.2.7/32" },
        { "192.0.2.7/32", "192.0.2.7/32" },
        { "0.0.0.0/0", "0.0.0.0/0" },
        { "0.0.0.0", "0.0.0.0/32" },
        { "255.255.255.255", "255.255.255.255/32" },
        { "255.255.255.254/31", "255.255.255.254/31" },
        { "128.0.0.0/1", "128.0.0.0/1" },
        { "100.64.0.0/10", "100.64.0.0/10" },
        { "2001:db8::/32", "2001:db8::/32" },
        { "2001:DB8::/32", "2001:db8::/32" },
        { "2001:0db8:0000::/48", "2001:db8::/48" },
        { "2001:db8::1", "2001:db8::1/128" },
        { "::/0", "::/0" },
        { "::", "::/128" },
        { "::1", "::1/128" },
        { "1::", "1::/128" },
        { "fe80::/10", "fe80::/10" },
        { "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
          "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128" },
        { "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1/128" },
        { "2001:0:0:1:0:0:0:1", "2001:0:0:1::1/128" },
        { "2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1/128" },
        { "1:0:2:0:3:0:4:0", "1:0:2:0:3:0:4:0/128" },
        { "::ffff:10.1.2.0/120", "10.1.2.0/24" },
        { "::ffff:10.1.2.3", "10.1.2.3/32" },
        { "::FFFF:a01:203", "10.1.2.3/32" },
        { "::ffff:0.0.0.0/96", "0.0.0.0/0" },
        { "::ffff:0:0/96", "0.0.0.0/0" },
        { "0:0:0:0:0:ffff:192.0.2.128/121", "192.0.2.128/25" },
        { "::1.2.3.4", "::102:304/128" },
        { "64:ff9b::192.0.2.1", "64:ff9b::c000:201/128" },
        { "::fffe:0:0/95", "::fffe:0:0/95" },
        { "::/80", "::/80" },
    };

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        is_str(canon(good[i].in), good[i].canonical, "accepts \"%s\" as %s",
               good[i].in, good[i].canonical);
    }
}


static void
test_refuse(void)
{
    int         rc;
    char        reason[KOT_CIDR_REASON_MAX];
    size_t      i, len;
    kot_cidr_t  c;

    static const refuse_t  bad[] = {
        { "", KOT_CIDR_EEMPTY, "empty" },
        { "10.0.0.0/33", KOT_CIDR_ERANGE4,
          "prefix length out of range (IPv4 allows /0 to /32)" },
        { "10.0.0.0/999", KOT_CIDR_ERANGE4, NULL },
        { "10.0.0.0/4294967304", KOT_CIDR_ERANGE4, NULL },
        { "2001:db8::/129", KOT_CIDR_ERANGE6,
          "prefix length out of range (IPv6 allows /0 to /128)" },
        { "::ffff:1.2.3.4/129", KOT_CIDR_ERANGE6, NULL },
        { "1.2.3", KOT_CIDR_EADDR4,
          "not an IPv4 address (four numbers 0 to 255: a.b.c.d)" },
        { "1.2.3.4.5", KOT_CIDR_EADDR4, NULL },
        { "256.0.0.0/8", KOT_CIDR_EADDR4, NULL },
        { "1.2.3.4.", KOT_CIDR_EADDR4, NULL },
        { ".1.2.3.4", KOT_CIDR_EADDR4, NULL },
        { "1..2.3", KOT_CIDR_EADDR4, NULL },
        { "1234.1.1.1", KOT_CIDR_EADDR4, NULL },
        { "10", KOT_CIDR_EADDR4, NULL },
        { "10.0.0.1/8", KOT_CIDR_EHOST,
          "host bits set (did you mean 10.0.0.0/8?)" },
        { "192.0.2.7/0", KOT_CIDR_EHOST,
          "host bits set (did you mean 0.0.0.0/0?)" },
        { "2001:db8::1/32", KOT_CIDR_EHOST,
          "host bits set (did you mean 2001:db8::/32?)" },
        { "::ffff:10.1.2.3/120", KOT_CIDR_EHOST,
          "host bits set (did you mean 10.1.2.0/24?)" },
        { "::ffff:1.2.3.4/64", KOT_CIDR_EHOST,
          "host bits set (did you mean ::/64?)" },
        { "01.2.3.4", KOT_CIDR_ELEADZERO,
          "leading zeros in IPv4 numbers are ambiguous (octal or "
          "decimal?)" },
        { "10.0.0.010", KOT_CIDR_ELEADZERO, NULL },
        { "10.00.0.0/16", KOT_CIDR_ELEADZERO, NULL },
        { "::ffff:010.1.2.3", KOT_CIDR_ELEADZERO, NULL },
        { "10.0.0.0/08", KOT_CIDR_EPREFIXZERO,
          "leading zero in the prefix length" },
        { "10.0.0.0/00", KOT_CIDR_EPREFIXZERO, NULL },
        { "10.0.0.0/0008", KOT_CIDR_EPREFIXZERO, NULL },
        { " 10.0.0.0/8", KOT_CIDR_ESPACE, "spaces or control characters" },
        { "10.0.0.0/8 ", KOT_CIDR_ESPACE, NULL },
        { "10.0.0.0/ 8", KOT_CIDR_ESPACE, NULL },
        { "10.0.0.0 /8", KOT_CIDR_ESPACE, NULL },
        { "10.0.0.0/8\n", KOT_CIDR_ESPACE, NULL },
        { "10.0.0.0/8\r", KOT_CIDR_ESPACE, NULL },
        { "\t10.0.0.0/8", KOT_CIDR_ESPACE, NULL },
        { "10.0.0.0/8\x7f", KOT_CIDR_ESPACE, NULL },
        { "fe80::1%eth0", KOT_CIDR_EZONE,
          "an IPv6 zone (%...) is not allowed" },
        { "fe80::%1/64", KOT_CIDR_EZONE, NULL },
        { "10.0.0.0/+8", KOT_CIDR_EGARBAGE,
          "unexpected characters (an address has only digits, a-f, '.', "
          "':' and one '/')" },
        { "10.0.0.0/-8", KOT_CIDR_EGARBAGE, NULL },
        { "[2001:db8::1]", KOT_CIDR_EGARBAGE, NULL },
        { "0x0a.0.0.0/8", KOT_CIDR_EGARBAGE, NULL },
        { "localhost", KOT_CIDR_EGARBAGE, NULL },
        { "10.0.0.0/8,", KOT_CIDR_EGARBAGE, NULL },
        { "10.0.0.0\xef\xbc\x8f" "8", KOT_CIDR_EGARBAGE, NULL },
        { "\xef\xbc\x91\xef\xbc\x90.0.0.0", KOT_CIDR_EGARBAGE, NULL },
        { "/8", KOT_CIDR_ENOADDR, "no address before the '/'" },
        { "/", KOT_CIDR_ENOADDR, NULL },
        { "1.2.3.4/", KOT_CIDR_ENOPREFIX, "no prefix length after the '/'" },
        { "2001:db8::/", KOT_CIDR_ENOPREFIX, NULL },
        { "10.0.0.0/8/8", KOT_CIDR_EPREFIX,
          "the prefix length is not a decimal number" },
        { "10.0.0.0//8", KOT_CIDR_EPREFIX, NULL },
        { "10.0.0.0/8.0", KOT_CIDR_EPREFIX, NULL },
        { "10.0.0.0/a", KOT_CIDR_EPREFIX, NULL },
        { "10.0.0.0/0x8", KOT_CIDR_EGARBAGE, NULL },
        { "beef", KOT_CIDR_EADDR, "not an IPv4 or IPv6 address" },
        { "1.2.3.a", KOT_CIDR_EADDR, NULL },
        { "2001:db8:::/48", KOT_CIDR_EADDR6, "not an IPv6 address" },
        { "1::2::3", KOT_CIDR_EADDR6, NULL },
        { ":1::", KOT_CIDR_EADDR6, NULL },
        { "1::2:", KOT_CIDR_EADDR6, NULL },
        { "1:2:3:4:5:6:7:8:9", KOT_CIDR_EADDR6, NULL },
        { "1:2:3:4:5:6:7", KOT_CIDR_EADDR6, NULL },
        { "12345::", KOT_CIDR_EADDR6, NULL },
        { "00000::", KOT_CIDR_EADDR6, NULL },
        { ":", KOT_CIDR_EADDR6, NULL },
        { ":::", KOT_CIDR_EADDR6, NULL },
        { "::ffff:1.2.3", KOT_CIDR_EADDR6, NULL },
        { "::ffff:1.2.3.4.5", KOT_CIDR_EADDR6, NULL },
        { "::ffff:1.2.3.256", KOT_CIDR_EADDR6, NULL },
        { "::1.2.3.4:5", KOT_CIDR_EADDR6, NULL },
        { "1.2.3.4:80", KOT_CIDR_EADDR6, NULL },
        { "1:2:3:4:5:6:7:1.2.3.4", KOT_CIDR_EADDR6, NULL },
        { "::ffff:1.2.3.4.", KOT_CIDR_EADDR6, NULL },
        { "0000:0000:0000:0000:0000:ffff:255.255.255.255/128/",
          KOT_CIDR_EPREFIX, NULL },
        { "1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa:bbbb:cccc:dddd"
          "/128", KOT_CIDR_ELONG, "too long to be an address" },
    };

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        len = strlen(bad[i].in);
        rc = kot_cidr_parse(bad[i].in, len, &c);
        is_long(rc, bad[i].rc, "refuses \"%s\": %s", show(bad[i].in, len),
                kot_cidr_strerror(bad[i].rc));

        if (bad[i].reason != NULL) {
            kot_cidr_reason(rc, &c, reason, sizeof(reason));
            is_str(reason, bad[i].reason, "  and says why");
        }
    }
}


static void
test_parse_details(void)
{
    int          rc;
    char         buf[KOT_CIDR_STR_MAX], small[8];
    kot_cidr_t   c, zero;

    memset(&zero, 0, sizeof(kot_cidr_t));

    rc = kot_cidr_parse("10.0.0.0\0/8", 11, &c);
    is_long(rc, KOT_CIDR_ESPACE, "refuses an embedded NUL");
    ok(memcmp(&c, &zero, sizeof(c)) == 0, "  and leaves the output zeroed");

    is_long(kot_cidr_parse("10.0.0.0/8garbage", 10, &c), KOT_CIDR_OK,
            "honours len (no NUL needed)");
    is_long(kot_cidr_parse("10.0.0.0/8", 0, &c), KOT_CIDR_EEMPTY,
            "len 0 is empty");

    rc = kot_cidr_parse("::ffff:10.1.2.0/120", 19, &c);
    ok(rc == KOT_CIDR_OK && c.family == AF_INET && c.prefix == 24
       && c.addr[0] == 10 && c.addr[1] == 1 && c.addr[2] == 2
       && c.addr[3] == 0, "a mapped network is stored as IPv4");

    rc = kot_cidr_parse("2001:db8::1/32", 14, &c);
    kot_cidr_format(&c, buf, sizeof(buf));
    ok(rc == KOT_CIDR_EHOST && strcmp(buf, "2001:db8::/32") == 0,
       "host bits set: the output holds the network meant");

    kot_cidr_parse("2001:db8::/32", 13, &c);
    is_long(kot_cidr_format(&c, small, sizeof(small)), 0,
            "format: refuses a buffer too small");
    is_str(small, "", "  and leaves it empty");
    is_long(kot_cidr_format(&c, buf, 14), 13, "format: exactly enough room");

    c.prefix = 129;
    is_long(kot_cidr_format(&c, buf, sizeof(buf)), 0,
            "format: refuses an impossible prefix length");
    c.family = AF_UNIX;
    c.prefix = 8;
    is_long(kot_cidr_format(&c, buf, sizeof(buf)), 0,
            "format: refuses an unknown family");

    is_long(kot_cidr_reason(KOT_CIDR_ERANGE4, NULL, small, sizeof(small)),
            7, "reason: truncated to fit");
    is_str(kot_cidr_strerror(12345), "invalid", "strerror: unknown code");
}


/*
 * Every reason has a code, and the codes are the API's: the console
 * words a refused network by its code, so a code may never change, while
 * the English text may be reworded.
 */

static void
test_codes(void)
{
    int          rc, other;
    size_t       i;
    const char  *code, *p;

    static const struct {
        int          rc;
        const char  *code;
    } codes[] = {
        { KOT_CIDR_EEMPTY, "empty" },
        { KOT_CIDR_ELONG, "too_long" },
        { KOT_CIDR_ESPACE, "space" },
        { KOT_CIDR_EZONE, "zone" },
        { KOT_CIDR_EGARBAGE, "bad_character" },
        { KOT_CIDR_ENOADDR, "no_address" },
        { KOT_CIDR_ENOPREFIX, "no_prefix" },
        { KOT_CIDR_EPREFIX, "bad_prefix" },
        { KOT_CIDR_EPREFIXZERO, "prefix_leading_zero" },
        { KOT_CIDR_ELEADZERO, "leading_zero" },
        { KOT_CIDR_EADDR, "not_an_address" },
        { KOT_CIDR_EADDR4, "not_ipv4" },
        { KOT_CIDR_EADDR6, "not_ipv6" },
        { KOT_CIDR_ERANGE4, "prefix_range_ipv4" },
        { KOT_CIDR_ERANGE6, "prefix_range_ipv6" },
        { KOT_CIDR_EHOST, "host_bits_set" },
    };

    is_long(sizeof(codes) / sizeof(codes[0]), -KOT_CIDR_ELAST,
            "codes: every reason is pinned here");

    for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        is_str(kot_cidr_code(codes[i].rc), codes[i].code,
               "code of \"%s\"", kot_cidr_strerror(codes[i].rc));
    }

    for (rc = KOT_CIDR_OK - 1; rc >= KOT_CIDR_ELAST; rc--) {
        code = kot_cidr_code(rc);

        p = code + strspn(code, "abcdefghijklmnopqrstuvwxyz0123456789_");

        ok(*p == '\0' && p != code && strcmp(code, "invalid") != 0
           && strcmp(code, "valid") != 0,
           "reason %d has a code: %s", rc, code);
        ok(strcmp(kot_cidr_strerror(rc), "invalid") != 0,
           "  and a text: %s", kot_cidr_strerror(rc));

        for (other = rc - 1; other >= KOT_CIDR_ELAST; other--) {
            if (strcmp(kot_cidr_code(other), code) == 0) {
                break;
            }
        }

        ok(other < KOT_CIDR_ELAST, "  a code of its own");
    }

    is_str(kot_cidr_code(KOT_CIDR_OK), "valid", "code: valid");
    is_str(kot_cidr_code(KOT_CIDR_ELAST - 1), "invalid",
           "code: a number past the last reason");
    is_str(kot_cidr_code(1), "invalid", "code: a positive number");
    is_str(kot_cidr_strerror(KOT_CIDR_ELAST - 1), "invalid",
           "strerror: a number past the last reason");
}


/* Sets the bits of a[0..len) after prefix to the bits of fill. */

static void
set_host(uint8_t *a, size_t len, unsigned prefix, uint8_t fill)
{
    size_t   i;
    uint8_t  keep;

    for (i = 0; i < len; i++) {
        if (prefix >= i * 8 + 8) {
            continue;
        }

        keep = (prefix > i * 8) ? (uint8_t) (0xff00 >> (prefix - i * 8)) : 0;
        a[i] = (a[i] & keep) | (fill & ~keep);
    }
}


static void
mask_host(kot_cidr_t *c)
{
    set_host(c->addr, c->family == AF_INET ? 4 : 16, c->prefix, 0);
}


static void
random_cidr(kot_cidr_t *c, int family, unsigned prefix)
{
    size_t  i;

    memset(c, 0, sizeof(kot_cidr_t));
    c->family = family;
    c->prefix = prefix;

    for (i = 0; i < (family == AF_INET ? 4u : 16u); i++) {
        c->addr[i] = (uint8_t) rnd();
    }

    mask_host(c);
}


/* Every formatted network parses back to itself, and formats the same. */

static void
test_round_trip(void)
{
    int         i, bad;
    char        a[KOT_CIDR_STR_MAX], b[KOT_CIDR_STR_MAX];
    size_t      n, run;
    kot_cidr_t  c, d;

    bad = 0;

    for (i = 0; i < 20000; i++) {
        if (i % 2) {
            random_cidr(&c, AF_INET, rnd_below(33));

        } else {
            random_cidr(&c, AF_INET6, rnd_below(129));

            /* sparse groups, so that "::" appears in many places */
            if (rnd_below(2)) {
                c.addr[rnd_below(16)] = 0;

                /* a run of up to 7 zero bytes anywhere, the end too */
                run = rnd_below(8);
                memset(c.addr + rnd_below(sizeof(c.addr) - run + 1), 0, run);
            }

            if (kot_cidr_cmp(&c, &c) != 0) {
                bad++;
            }

            /* a mapped one would come back as IPv4 */
            if (c.prefix >= 96 && memcmp(c.addr, "\0\0\0\0\0\0\0\0\0\0"
                                         "\xff\xff", 12) == 0)
            {
                continue;
            }
        }

        n = kot_cidr_format(&c, a, sizeof(a));

        if (n == 0 || kot_cidr_parse(a, n, &d) != KOT_CIDR_OK
            || kot_cidr_cmp(&c, &d) != 0
            || kot_cidr_format(&d, b, sizeof(b)) != n || strcmp(a, b) != 0)
        {
            if (bad++ < 5) {
                printf("# round trip failed: %s\n", a);
            }
        }
    }

    is_long(bad, 0, "20000 random networks format and parse back");
}


static const char *
canon_of(const kot_cidr_t *c)
{
    static char  buf[KOT_CIDR_STR_MAX];

    if (kot_cidr_format(c, buf, sizeof(buf)) == 0) {
        return "(unformattable)";
    }

    return buf;
}


static void
test_cmp(void)
{
    size_t      i;
    kot_cidr_t  v[7];

    static const char  *in[] = {
        "2001:db8::/32", "10.0.0.0/16", "::/0", "10.0.0.0/8", "9.0.0.0/8",
        "::ffff:1.0.0.0/104", "2001:db8::/48",
    };
    static const char  *want[] = {
        "1.0.0.0/8", "9.0.0.0/8", "10.0.0.0/8", "10.0.0.0/16", "::/0",
        "2001:db8::/32", "2001:db8::/48",
    };

    for (i = 0; i < 7; i++) {
        kot_cidr_parse(in[i], strlen(in[i]), &v[i]);
    }

    qsort(v, 7, sizeof(kot_cidr_t), kot_cidr_cmp);

    for (i = 0; i < 7; i++) {
        is_str(canon_of(&v[i]), want[i], "sorted #%zu: %s", i, want[i]);
    }
}


static int
is_mapped(const uint8_t *a)
{
    return memcmp(a, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0;
}


/*
 * The reference: every entry in turn, comparing whole bytes and then
 * the bits of the last one.  Slow and obviously right.
 */

static int
ref_in(const kot_cidr_t *c, const uint8_t *a)
{
    unsigned  bytes, bits;

    bytes = c->prefix / 8;
    bits = c->prefix % 8;

    if (memcmp(c->addr, a, bytes) != 0) {
        return 0;
    }

    return bits == 0
           || ((c->addr[bytes] ^ a[bytes]) & (0xff00 >> bits) & 0xff) == 0;
}


static int
ref_match(const kot_cidr_t *v, size_t n, int family, const uint8_t *a)
{
    size_t  i;

    if (family == AF_INET6 && is_mapped(a)) {
        family = AF_INET;
        a += 12;
    }

    for (i = 0; i < n; i++) {
        if (v[i].family == family && ref_in(&v[i], a)) {
            return 1;
        }
    }

    return 0;
}


/* a[0..len) + delta (+1 or -1), wrapping around like the address space */

static void
step(uint8_t *a, size_t len, int delta)
{
    size_t  i;

    for (i = len; i-- > 0; ) {
        a[i] = (uint8_t) (a[i] + delta);

        if ((delta > 0 && a[i] != 0) || (delta < 0 && a[i] != 0xff)) {
            break;
        }
    }
}


/* The first fixed bits of base, then random bits. */

static void
random_addr(uint8_t *a, size_t len, const uint8_t *base, unsigned fixed)
{
    size_t   i;
    uint8_t  keep;

    for (i = 0; i < len; i++) {
        a[i] = (uint8_t) rnd();

        if (fixed >= i * 8 + 8) {
            a[i] = base[i];

        } else if (fixed > i * 8) {
            keep = (uint8_t) (0xff00 >> (fixed - i * 8));
            a[i] = (base[i] & keep) | (a[i] & ~keep);
        }
    }
}


static void
random_entry(kot_cidr_t *c, const shape_t *sh, const uint8_t *base4,
    const uint8_t *base6)
{
    unsigned  prefix;

    if (rnd_below(100) < sh->v4_percent) {
        prefix = sh->min4 + rnd_below(sh->max4 - sh->min4 + 1);
        random_cidr(c, AF_INET, prefix);
        random_addr(c->addr, 4, base4, sh->fixed4 < prefix ? sh->fixed4
                                                          : prefix);

    } else {
        prefix = sh->min6 + rnd_below(sh->max6 - sh->min6 + 1);
        random_cidr(c, AF_INET6, prefix);
        random_addr(c->addr, 16, base6, sh->fixed6 < prefix ? sh->fixed6
                                                           : prefix);
    }

    /* the cluster's bits may have put host bits back */
    mask_host(c);
}


/* One address, asked every way it can reach the set, against the reference. */

static int
check_addr(const kot_cidr_set_t *s, const kot_cidr_set_t *copy,
    const kot_cidr_t *v, size_t n, int family, const uint8_t *a)
{
    int                  want, bad;
    struct sockaddr_in   sin;
    struct sockaddr_in6  sin6;

    want = ref_match(v, n, family, a);

    bad = (kot_cidr_set_match_addr(s, family, a) != want)
          + (kot_cidr_set_match_addr(copy, family, a) != want);

    memset(&sin, 0, sizeof(sin));
    memset(&sin6, 0, sizeof(sin6));
    sin6.sin6_family = AF_INET6;

    if (family == AF_INET) {
        sin.sin_family = AF_INET;
        memcpy(&sin.sin_addr, a, 4);
        bad += (kot_cidr_set_match(s, (struct sockaddr *) &sin) != want);

        /* the same client on a dual-stack socket */
        memset(sin6.sin6_addr.s6_addr + 10, 0xff, 2);
        memcpy(sin6.sin6_addr.s6_addr + 12, a, 4);

    } else {
        memcpy(sin6.sin6_addr.s6_addr, a, 16);
    }

    bad += (kot_cidr_set_match(s, (struct sockaddr *) &sin6) != want);

    if (bad) {
        printf("# disagrees on %s address %02x%02x%02x%02x...: want %d\n",
               family == AF_INET ? "IPv4" : "IPv6", a[0], a[1], a[2], a[3],
               want);
    }

    return bad != 0;
}


/* The edges of an entry: first - 1, first, a random inside, last, last + 1. */

static int
check_edges(const kot_cidr_set_t *s, const kot_cidr_set_t *copy,
    const kot_cidr_t *v, size_t n, const kot_cidr_t *e, size_t *asked)
{
    int      bad;
    size_t   len, i;
    uint8_t  a[16];

    len = (e->family == AF_INET) ? 4 : 16;
    bad = 0;

    memcpy(a, e->addr, len);
    bad += check_addr(s, copy, v, n, e->family, a);
    step(a, len, -1);
    bad += check_addr(s, copy, v, n, e->family, a);

    memcpy(a, e->addr, len);
    set_host(a, len, e->prefix, 0xff);
    bad += check_addr(s, copy, v, n, e->family, a);
    step(a, len, 1);
    bad += check_addr(s, copy, v, n, e->family, a);

    for (i = 0; i < len; i++) {
        a[i] = (uint8_t) rnd();
    }
    set_host(a, len, 0, 0);
    random_addr(a, len, e->addr, e->prefix);
    bad += check_addr(s, copy, v, n, e->family, a);

    *asked += 5;

    return bad;
}


static void
test_shape(const shape_t *sh)
{
    int              family;
    void            *mem, *copy;
    size_t           i, d, m, size, asked, n4, n6, bad, len;
    uint8_t          base4[4], base6[16], a[16];
    kot_cidr_t      *v, tmp;
    kot_cidr_set_t  *s, *t;

    v = malloc(sh->n * sh->dups * sizeof(kot_cidr_t));

    for (i = 0; i < 16; i++) {
        base6[i] = (uint8_t) rnd();
        base4[i % 4] = base6[i];
    }

    for (i = 0, m = 0; i < sh->n; i++) {
        random_entry(&v[m], sh, base4, base6);

        for (d = 1; d < sh->dups; d++) {
            v[m + d] = v[m];
        }

        m += sh->dups;
    }

    /* the order of the input must not matter */

    for (i = m; i > 1; i--) {
        d = rnd_below((unsigned) i);
        tmp = v[i - 1];
        v[i - 1] = v[d];
        v[d] = tmp;
    }

    s = kot_cidr_set_build(v, m);

    /* a set built in place, copied, and the original scribbled over */

    size = kot_cidr_set_size(v, m);
    mem = malloc(size);
    t = kot_cidr_set_init(mem, size, v, m);
    copy = malloc(kot_cidr_set_used(t));
    memcpy(copy, t, kot_cidr_set_used(t));
    memset(mem, 0xa5, size);
    free(mem);
    t = copy;

    bad = 0;
    asked = 0;

    for (i = 0; i < m && i < 3000; i++) {
        bad += check_edges(s, t, v, m, &v[i], &asked);
    }

    for (i = 0; i < 3000; i++) {
        family = (rnd_below(100) < sh->v4_percent) ? AF_INET : AF_INET6;
        len = (family == AF_INET) ? 4 : 16;

        if (i % 2) {
            random_addr(a, len, family == AF_INET ? base4 : base6, 0);

        } else {
            random_addr(a, len, family == AF_INET ? base4 : base6,
                        family == AF_INET ? sh->fixed4 : sh->fixed6);
        }

        bad += check_addr(s, t, v, m, family, a);
        asked++;
    }

    kot_cidr_set_ranges(s, &n4, &n6);

    is_long((long) bad, 0, "%s: %zu entries in %zu+%zu ranges, %zu "
            "addresses agree with brute force", sh->name, m, n4, n6, asked);

    kot_cidr_set_free(s);
    free(copy);
    free(v);
}


static void
test_random_sets(void)
{
    size_t  i;

    static const shape_t  shapes[] = {
        { "sparse IPv4", 300, 100, 8, 32, 0, 0, 0, 0, 1 },
        { "IPv4 in one /16, heavy overlap", 800, 100, 24, 32, 0, 0, 16, 0,
          1 },
        { "IPv4 in one /22, hosts merging", 300, 100, 29, 32, 0, 0, 22, 0,
          1 },
        { "IPv4 /4 to /10, wide nesting", 20, 100, 4, 10, 0, 0, 0, 0, 1 },
        { "IPv4 /0 to /32, few", 5, 100, 0, 32, 0, 0, 0, 0, 1 },
        { "sparse IPv6", 300, 0, 0, 0, 16, 128, 0, 0, 1 },
        { "IPv6 in one /112, heavy overlap", 800, 0, 0, 0, 120, 128, 0, 112,
          1 },
        { "IPv6 across the 64-bit halves", 400, 0, 0, 0, 62, 72, 0, 56, 1 },
        { "IPv6 /4 to /12, wide nesting", 20, 0, 0, 0, 4, 12, 0, 0, 1 },
        { "mixed, every entry three times", 300, 50, 20, 32, 40, 128, 12, 32,
          3 },
        { "mixed, one entry", 1, 50, 0, 32, 0, 128, 0, 0, 1 },
        { "10,000 mixed entries", 10000, 50, 12, 32, 24, 64, 4, 16, 1 },
    };

    for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
        test_shape(&shapes[i]);
    }
}


static kot_cidr_set_t *
set_of(const char **in, size_t n)
{
    size_t      i;
    kot_cidr_t  v[8];

    for (i = 0; i < n; i++) {
        if (kot_cidr_parse(in[i], strlen(in[i]), &v[i]) != KOT_CIDR_OK) {
            printf("# bad test entry %s\n", in[i]);
        }
    }

    return kot_cidr_set_build(v, n);
}


static int
has(const kot_cidr_set_t *s, const char *addr)
{
    uint8_t  a[16];

    if (inet_pton(AF_INET, addr, a) == 1) {
        return kot_cidr_set_match_addr(s, AF_INET, a);
    }

    if (inet_pton(AF_INET6, addr, a) == 1) {
        return kot_cidr_set_match_addr(s, AF_INET6, a);
    }

    return -1;
}


static void
test_edges(void)
{
    size_t               n4, n6;
    uint8_t              buf[256];
    kot_cidr_t           v[2];
    kot_cidr_set_t      *s;
    struct sockaddr_un   sun;

    static const char  *all4[] = { "0.0.0.0/0" };
    static const char  *all6[] = { "::/0" };
    static const char  *ends[] = {
        "0.0.0.0", "255.255.255.255", "::", "ffff:ffff:ffff:ffff:ffff:ffff:"
        "ffff:ffff"
    };
    static const char  *halves4[] = {
        "0.0.0.0/1", "200.0.0.0/8", "128.0.0.0/1", "255.255.255.255"
    };
    static const char  *touch4[] = { "10.0.0.0/25", "10.0.0.128/25" };
    static const char  *gap4[] = { "10.0.0.0/25", "10.0.1.0/25" };
    static const char  *touch6[] = {
        "2001:db8:0:0:ffff:ffff:ffff:ffff", "2001:db8:0:1::/64"
    };

    s = kot_cidr_set_build(NULL, 0);
    ok(s != NULL, "an empty set can be built");
    ok(has(s, "1.2.3.4") == 0 && has(s, "::1") == 0
       && has(s, "::ffff:1.2.3.4") == 0, "  and matches nothing");
    kot_cidr_set_free(s);

    s = set_of(all4, 1);
    ok(has(s, "0.0.0.0") && has(s, "255.255.255.255")
       && has(s, "::ffff:192.0.2.1"), "0.0.0.0/0 matches every IPv4 "
       "client, mapped ones too");
    ok(!has(s, "::1") && !has(s, "2001:db8::1") && !has(s, "::"),
       "  and no IPv6 client");

    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    is_long(kot_cidr_set_match(s, (struct sockaddr *) &sun), 0,
            "  nor a unix socket client");
    kot_cidr_set_free(s);

    s = set_of(all6, 1);
    ok(has(s, "::") && has(s, "::1") && has(s, "ffff:ffff:ffff:ffff:ffff:"
       "ffff:ffff:ffff"), "::/0 matches every IPv6 client");
    ok(!has(s, "1.2.3.4") && !has(s, "::ffff:1.2.3.4"),
       "  but no IPv4 client, mapped or not");
    kot_cidr_set_free(s);

    /* a hand-made IPv6 network over the mapped space */
    memset(v, 0, sizeof(v));
    v[0].family = AF_INET6;
    v[0].prefix = 96;
    v[0].addr[10] = 0xff;
    v[0].addr[11] = 0xff;
    s = kot_cidr_set_build(v, 1);
    ok(!has(s, "::ffff:1.2.3.4") && !has(s, "1.2.3.4"),
       "an IPv6 ::ffff:0:0/96 entry matches no IPv4 client");
    kot_cidr_set_free(s);

    s = set_of(ends, 4);
    ok(has(s, "0.0.0.0") && has(s, "255.255.255.255") && has(s, "::")
       && has(s, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
       "the first and last addresses match as /32 and /128");
    ok(!has(s, "0.0.0.1") && !has(s, "255.255.255.254") && !has(s, "::1")
       && !has(s, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"),
       "  and their neighbours do not");
    kot_cidr_set_free(s);

    s = set_of(halves4, 4);
    kot_cidr_set_ranges(s, &n4, &n6);
    ok(n4 == 1 && n6 == 0, "two halves and what they hold merge into one "
       "range");
    ok(has(s, "127.255.255.255") && has(s, "128.0.0.0"),
       "  across the middle");
    kot_cidr_set_free(s);

    s = set_of(touch4, 2);
    kot_cidr_set_ranges(s, &n4, &n6);
    is_long((long) n4, 1, "touching IPv4 networks merge");
    kot_cidr_set_free(s);

    s = set_of(gap4, 2);
    kot_cidr_set_ranges(s, &n4, &n6);
    is_long((long) n4, 2, "IPv4 networks with a gap stay apart");
    ok(!has(s, "10.0.0.128") && !has(s, "10.0.0.255") && has(s, "10.0.0.127")
       && has(s, "10.0.1.0") && has(s, "10.0.1.127")
       && !has(s, "10.0.1.128"), "  and the gap does not match");
    kot_cidr_set_free(s);

    s = set_of(touch6, 2);
    kot_cidr_set_ranges(s, &n4, &n6);
    is_long((long) n6, 1, "IPv6 networks touching across the 64-bit halves "
            "merge");
    ok(has(s, "2001:db8:0:0:ffff:ffff:ffff:ffff")
       && has(s, "2001:db8:0:1::") && !has(s, "2001:db8:0:0:ffff:ffff:ffff:"
       "fffe") && !has(s, "2001:db8:0:2::"), "  exactly");
    kot_cidr_set_free(s);

    /* what kot_cidr_set_init() refuses */

    kot_cidr_parse("10.0.0.0/8", 10, &v[0]);
    kot_cidr_parse("2001:db8::/32", 13, &v[1]);
    ok(kot_cidr_set_init(buf + 4, sizeof(buf) - 8, v, 2) == NULL,
       "init: refuses memory not aligned to 8");
    ok(kot_cidr_set_init(buf, kot_cidr_set_size(v, 2) - 1, v, 2) == NULL,
       "init: refuses too little memory");
    ok(kot_cidr_set_init(NULL, sizeof(buf), v, 2) == NULL,
       "init: refuses NULL");
    v[1].prefix = 129;
    ok(kot_cidr_set_build(v, 2) == NULL, "build: refuses a prefix length "
       "out of range");
    v[1].prefix = 32;
    v[1].family = AF_UNIX;
    ok(kot_cidr_set_build(v, 2) == NULL, "build: refuses an unknown family");
    is_long((long) kot_cidr_set_size(v, SIZE_MAX / 8), 0,
            "size: refuses an absurd count");
}


/* The throttle's bucket: one per IPv4 client however spelt, one per /64. */

static const char *
bucket(const char *text)
{
    static char  buf[KOT_CIDR_BUCKET_MAX];
    kot_cidr_t   c;

    if (kot_cidr_parse(text, strlen(text), &c) != KOT_CIDR_OK
        || kot_cidr_bucket(c.family, c.addr, buf, sizeof(buf)) == 0)
    {
        return "(none)";
    }

    return buf;
}


static void
test_bucket(void)
{
    char      buf[KOT_CIDR_BUCKET_MAX];
    uint8_t   mapped[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
                             192, 0, 2, 10 };
    uint8_t   v4[4] = { 192, 0, 2, 10 };
    uint8_t   big[16];

    is_str(bucket("192.0.2.10"), "192.0.2.10", "bucket: an IPv4 address");
    is_str(bucket("::ffff:192.0.2.10"), "192.0.2.10",
           "bucket: its IPv4-mapped form is the same bucket");
    is_str(bucket("::FFFF:c000:20a"), "192.0.2.10",
           "bucket: however the mapped form is written");

    ok(kot_cidr_bucket(AF_INET6, mapped, buf, sizeof(buf)) == 10
       && strcmp(buf, "192.0.2.10") == 0,
       "bucket: a mapped AF_INET6 address as a socket gives it (%s)", buf);
    ok(kot_cidr_bucket(AF_INET, v4, buf, sizeof(buf)) == 10
       && strcmp(buf, "192.0.2.10") == 0,
       "bucket: and so does the AF_INET one");

    is_str(bucket("2001:db8:1:2::5"), "2001:0db8:0001:0002::/64",
           "bucket: an IPv6 address is counted by its /64");
    is_str(bucket("2001:db8:1:2:ffff:ffff:ffff:ffff"),
           "2001:0db8:0001:0002::/64",
           "bucket: every address of the /64 shares it");
    is_str(bucket("2001:db8:1:3::5"), "2001:0db8:0001:0003::/64",
           "bucket: the next /64 does not");
    is_str(bucket("::1"), "0000:0000:0000:0000::/64",
           "bucket: ::1 (not IPv4-mapped)");

    memset(big, 0xff, sizeof(big));
    is_long((long) kot_cidr_bucket(AF_INET6, big, buf, sizeof(buf)),
            KOT_CIDR_BUCKET_MAX - 1, "bucket: the longest name fits");
    is_long((long) kot_cidr_bucket(AF_INET6, big, buf, sizeof(buf) - 1), 0,
            "bucket: a buffer too small gives 0");
    is_long((long) kot_cidr_bucket(AF_UNIX, big, buf, sizeof(buf)), 0,
            "bucket: another family gives 0");
}


/* The throttle's second bucket: the /48 of an IPv6 client, none else. */

static const char *
site(const char *text)
{
    static char  buf[KOT_CIDR_BUCKET_MAX];
    kot_cidr_t   c;

    if (kot_cidr_parse(text, strlen(text), &c) != KOT_CIDR_OK
        || kot_cidr_site(c.family, c.addr, buf, sizeof(buf)) == 0)
    {
        return "(none)";
    }

    return buf;
}


static void
test_site(void)
{
    char      buf[KOT_CIDR_BUCKET_MAX];
    uint8_t   big[16];

    is_str(site("2001:db8:1:2::5"), "2001:0db8:0001::/48",
           "site: an IPv6 address is also counted by its /48");
    is_str(site("2001:db8:1:ffff:ffff:ffff:ffff:ffff"),
           "2001:0db8:0001::/48", "site: every /64 of the /48 shares it");
    is_str(site("2001:db8:2::1"), "2001:0db8:0002::/48",
           "site: the next /48 does not");
    is_str(site("192.0.2.10"), "(none)", "site: none for IPv4");
    is_str(site("::ffff:192.0.2.10"), "(none)",
           "site: nor for an IPv4-mapped address");

    memset(big, 0xff, sizeof(big));
    is_long((long) kot_cidr_site(AF_INET6, big, buf, sizeof(buf)),
            (long) strlen("ffff:ffff:ffff::/48"),
            "site: the longest name fits");
    is_long((long) kot_cidr_site(AF_INET6, big, buf, sizeof(buf) - 1), 0,
            "site: a buffer too small gives 0");
    is_long((long) kot_cidr_site(AF_UNIX, big, buf, sizeof(buf)), 0,
            "site: another family gives 0");
}


static void
test_unique(void)
{
    size_t      i, n;
    kot_cidr_t  v[5];

    static const char  *in[] = {
        "10.0.0.0/8", "2001:db8::/32", "::ffff:10.0.0.0/104", "9.0.0.0/8",
        "2001:DB8::/32",
    };

    for (i = 0; i < 5; i++) {
        kot_cidr_parse(in[i], strlen(in[i]), &v[i]);
    }

    n = kot_cidr_unique(v, 5);
    is_long((long) n, 3, "unique: one network however it was written");
    ok(n == 3 && strcmp(canon_of(&v[0]), "9.0.0.0/8") == 0
       && strcmp(canon_of(&v[1]), "10.0.0.0/8") == 0
       && strcmp(canon_of(&v[2]), "2001:db8::/32") == 0,
       "  in the order of a listing");
    is_long((long) kot_cidr_unique(v, 0), 0, "unique: none is none");
}


int
main(void)
{
    test_accept();
    test_refuse();
    test_parse_details();
    test_codes();
    test_round_trip();
    test_cmp();
    test_edges();
    test_random_sets();
    test_bucket();
    test_site();
    test_unique();

    return done_testing();
}
