/*
 * ngx_kot: IPv4 and IPv6 networks and compiled sets of them.
 */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kot_cidr.h"


/* closed ranges of addresses, as numbers */

typedef struct {
    uint32_t    first;
    uint32_t    last;
} kot_cidr_r4_t;

typedef struct {
    uint64_t    hi;
    uint64_t    lo;
} kot_cidr_u128_t;

typedef struct {
    kot_cidr_u128_t  first;
    kot_cidr_u128_t  last;
} kot_cidr_r6_t;

/* a reason kot_cidr_parse() gives: its code and its text */

typedef struct {
    const char  *code;
    const char  *text;
} kot_cidr_why_t;

/*
 * The header of a set.  The IPv4 ranges follow it, then the IPv6 ranges
 * at off6: offsets rather than pointers, so that a set can be copied.
 */
struct kot_cidr_set_s {
    uint64_t    n4;
    uint64_t    n6;
    uint64_t    off6;
    uint64_t    used;
};


static int kot_cidr_chars(const char *s, size_t len);
static int kot_cidr_dotted(const char *s, size_t len, uint8_t *dst);
static int kot_cidr_addr4(const char *s, size_t len, kot_cidr_t *out);
static int kot_cidr_addr6(const char *s, size_t len, kot_cidr_t *out);
static int kot_cidr_prefix(const char *s, size_t len, unsigned max,
    int range, unsigned *prefix);
static int kot_cidr_mapped(const uint8_t *a);
static int kot_cidr_host_bits(kot_cidr_t *c);
static const kot_cidr_why_t *kot_cidr_why(int rc);
static size_t kot_cidr_format6(const uint8_t *a, char *p);
static int kot_cidr_valid(const kot_cidr_t *c);
static int kot_cidr_digits(const char *s, size_t len);
static uint32_t kot_cidr_get32(const uint8_t *p);
static uint64_t kot_cidr_get64(const uint8_t *p);
static uint64_t kot_cidr_mask64(unsigned bits);
static void kot_cidr_range4(const kot_cidr_t *c, kot_cidr_r4_t *r);
static void kot_cidr_range6(const kot_cidr_t *c, kot_cidr_r6_t *r);
static int kot_cidr_r4_cmp(const void *a, const void *b);
static int kot_cidr_r6_cmp(const void *a, const void *b);
static int kot_cidr_u128_cmp(const kot_cidr_u128_t *a,
    const kot_cidr_u128_t *b);
static size_t kot_cidr_merge4(kot_cidr_r4_t *r, size_t n);
static size_t kot_cidr_merge6(kot_cidr_r6_t *r, size_t n);
static int kot_cidr_find4(const kot_cidr_r4_t *r, size_t n, uint32_t x);
static int kot_cidr_find6(const kot_cidr_r6_t *r, size_t n,
    const kot_cidr_u128_t *x);
static const kot_cidr_r4_t *kot_cidr_set_r4(const kot_cidr_set_t *s);
static const kot_cidr_r6_t *kot_cidr_set_r6(const kot_cidr_set_t *s);


int
kot_cidr_parse(const char *s, size_t len, kot_cidr_t *out)
{
    int          rc, six;
    size_t       alen;
    unsigned     prefix;
    const char  *slash;

    memset(out, 0, sizeof(kot_cidr_t));

    if (len == 0) {
        return KOT_CIDR_EEMPTY;
    }

    rc = kot_cidr_chars(s, len);
    if (rc != KOT_CIDR_OK) {
        return rc;
    }

    if (len > KOT_CIDR_TEXT_MAX) {
        return KOT_CIDR_ELONG;
    }

    slash = memchr(s, '/', len);
    alen = slash ? (size_t) (slash - s) : len;

    if (alen == 0) {
        return KOT_CIDR_ENOADDR;
    }

    six = (memchr(s, ':', alen) != NULL);

    rc = six ? kot_cidr_addr6(s, alen, out) : kot_cidr_addr4(s, alen, out);
    if (rc != KOT_CIDR_OK) {
        memset(out, 0, sizeof(kot_cidr_t));
        return rc;
    }

    prefix = six ? 128 : 32;

    if (slash) {
        rc = kot_cidr_prefix(slash + 1, len - alen - 1, prefix,
                             six ? KOT_CIDR_ERANGE6 : KOT_CIDR_ERANGE4,
                             &prefix);
        if (rc != KOT_CIDR_OK) {
            memset(out, 0, sizeof(kot_cidr_t));
            return rc;
        }
    }

    out->prefix = prefix;

    /*
     * An IPv4-mapped network is an IPv4 network: clients on dual-stack
     * sockets are matched as IPv4, so it must be stored as one.
     */

    if (six && prefix >= 96 && kot_cidr_mapped(out->addr)) {
        memmove(out->addr, out->addr + 12, 4);
        memset(out->addr + 4, 0, 12);
        out->family = AF_INET;
        out->prefix = prefix - 96;
    }

    return kot_cidr_host_bits(out) ? KOT_CIDR_EHOST : KOT_CIDR_OK;
}


/*
 * Only the alphabet of addresses may appear.  Spaces and zones get their
 * own reasons because they are the usual copy-and-paste accidents.
 */

static int
kot_cidr_chars(const char *s, size_t len)
{
    size_t         i;
    unsigned char  c;

    for (i = 0; i < len; i++) {
        c = (unsigned char) s[i];

        if (c <= ' ' || c == 0x7f) {
            return KOT_CIDR_ESPACE;
        }

        if (c == '%') {
            return KOT_CIDR_EZONE;
        }

        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')
              || (c >= 'A' && c <= 'F') || c == '.' || c == ':'
              || c == '/'))
        {
            return KOT_CIDR_EGARBAGE;
        }
    }

    return KOT_CIDR_OK;
}


/*
 * Exactly four decimal numbers 0..255.  Leading zeros are refused, as
 * some parsers read "010" as octal 8 and others as decimal 10.
 */

static int
kot_cidr_dotted(const char *s, size_t len, uint8_t *dst)
{
    int       zero;
    size_t    i, digits, parts;
    unsigned  v;

    zero = 0;
    parts = 0;
    digits = 0;
    v = 0;

    for (i = 0; i <= len; i++) {

        if (i == len || s[i] == '.') {
            if (digits == 0 || parts == 4 || v > 255) {
                return KOT_CIDR_EADDR4;
            }

            if (digits > 1 && s[i - digits] == '0') {
                zero = 1;
            }

            dst[parts++] = (uint8_t) v;
            digits = 0;
            v = 0;
            continue;
        }

        if (s[i] < '0' || s[i] > '9' || ++digits > 3) {
            return KOT_CIDR_EADDR4;
        }

        v = v * 10 + (s[i] - '0');
    }

    if (parts != 4) {
        return KOT_CIDR_EADDR4;
    }

    return zero ? KOT_CIDR_ELEADZERO : KOT_CIDR_OK;
}


static int
kot_cidr_addr4(const char *s, size_t len, kot_cidr_t *out)
{
    int      rc;
    char     buf[KOT_CIDR_TEXT_MAX + 1];
    uint8_t  mine[4];

    /* hex letters without a colon: neither family */

    if (!kot_cidr_digits(s, len)) {
        return KOT_CIDR_EADDR;
    }

    rc = kot_cidr_dotted(s, len, mine);
    if (rc != KOT_CIDR_OK) {
        return rc;
    }

    /* libc's opinion too, now that the text is known to be plain */

    memcpy(buf, s, len);
    buf[len] = '\0';

    if (inet_pton(AF_INET, buf, out->addr) != 1
        || memcmp(out->addr, mine, 4) != 0)
    {
        return KOT_CIDR_EADDR4;
    }

    out->family = AF_INET;

    return KOT_CIDR_OK;
}


/* 1 if s[0..len) holds only decimal digits and dots */

static int
kot_cidr_digits(const char *s, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || s[i] == '.')) {
            return 0;
        }
    }

    return 1;
}


static int
kot_cidr_addr6(const char *s, size_t len, kot_cidr_t *out)
{
    int      rc;
    char     buf[KOT_CIDR_TEXT_MAX + 1];
    size_t   i, run, last_colon, hex_len;
    uint8_t  v4[4];

    last_colon = 0;

    for (i = 0; i < len; i++) {
        if (s[i] == ':') {
            last_colon = i;
        }
    }

    /*
     * An embedded IPv4 address may only be the last part, and its
     * numbers follow the IPv4 rules (no leading zeros).
     */

    hex_len = len;

    if (memchr(s, '.', len) != NULL) {
        if (memchr(s, '.', last_colon) != NULL) {
            return KOT_CIDR_EADDR6;
        }

        rc = kot_cidr_dotted(s + last_colon + 1, len - last_colon - 1, v4);
        if (rc != KOT_CIDR_OK) {
            return (rc == KOT_CIDR_ELEADZERO) ? rc : KOT_CIDR_EADDR6;
        }

        hex_len = last_colon + 1;
    }

    /* at most four hex digits a group, whatever libc tolerates */

    for (i = 0, run = 0; i < hex_len; i++) {
        run = (s[i] == ':') ? 0 : run + 1;

        if (run > 4) {
            return KOT_CIDR_EADDR6;
        }
    }

    memcpy(buf, s, len);
    buf[len] = '\0';

    if (inet_pton(AF_INET6, buf, out->addr) != 1) {
        return KOT_CIDR_EADDR6;
    }

    out->family = AF_INET6;

    return KOT_CIDR_OK;
}


/* A decimal prefix length without sign or leading zeros, up to max. */

static int
kot_cidr_prefix(const char *s, size_t len, unsigned max, int range,
    unsigned *prefix)
{
    size_t    i;
    unsigned  v;

    if (len == 0) {
        return KOT_CIDR_ENOPREFIX;
    }

    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return KOT_CIDR_EPREFIX;
        }
    }

    if (len > 1 && s[0] == '0') {
        return KOT_CIDR_EPREFIXZERO;
    }

    if (len > 3) {
        return range;
    }

    for (i = 0, v = 0; i < len; i++) {
        v = v * 10 + (s[i] - '0');
    }

    if (v > max) {
        return range;
    }

    *prefix = v;

    return KOT_CIDR_OK;
}


/* ::ffff:0:0/96 */

static int
kot_cidr_mapped(const uint8_t *a)
{
    static const uint8_t  mapped[12] = {
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
    };

    return memcmp(a, mapped, sizeof(mapped)) == 0;
}


/* Clears the host bits of c; 1 if any was set. */

static int
kot_cidr_host_bits(kot_cidr_t *c)
{
    int       set;
    size_t    i, bytes;
    unsigned  bits;
    uint8_t   mask;

    set = 0;
    bytes = (c->family == AF_INET) ? 4 : 16;

    for (i = 0; i < bytes; i++) {
        bits = (c->prefix > i * 8) ? c->prefix - i * 8 : 0;
        mask = (bits >= 8) ? 0xff : (uint8_t) (0xff00 >> bits);

        if (c->addr[i] & ~mask) {
            set = 1;
            c->addr[i] &= mask;
        }
    }

    return set;
}


/*
 * Every reason kot_cidr_parse() gives, indexed by -rc: a code for a
 * program (the admin API's "reason", which the console words in its own
 * language), and the text for a person.  Codes are part of the API: a
 * text may be reworded, a code never changes.
 */
static const kot_cidr_why_t  kot_cidr_reasons[] = {

    [-KOT_CIDR_OK] = { "valid", "valid" },

    [-KOT_CIDR_EEMPTY] = { "empty", "empty" },

    [-KOT_CIDR_ELONG] = { "too_long", "too long to be an address" },

    [-KOT_CIDR_ESPACE] = { "space", "spaces or control characters" },

    [-KOT_CIDR_EZONE] = { "zone", "an IPv6 zone (%...) is not allowed" },

    [-KOT_CIDR_EGARBAGE] = { "bad_character",
        "unexpected characters (an address has only digits, a-f, '.', "
        "':' and one '/')" },

    [-KOT_CIDR_ENOADDR] = { "no_address", "no address before the '/'" },

    [-KOT_CIDR_ENOPREFIX] = { "no_prefix",
        "no prefix length after the '/'" },

    [-KOT_CIDR_EPREFIX] = { "bad_prefix",
        "the prefix length is not a decimal number" },

    [-KOT_CIDR_EPREFIXZERO] = { "prefix_leading_zero",
        "leading zero in the prefix length" },

    [-KOT_CIDR_ELEADZERO] = { "leading_zero",
        "leading zeros in IPv4 numbers are ambiguous (octal or decimal?)" },

    [-KOT_CIDR_EADDR] = { "not_an_address", "not an IPv4 or IPv6 address" },

    [-KOT_CIDR_EADDR4] = { "not_ipv4",
        "not an IPv4 address (four numbers 0 to 255: a.b.c.d)" },

    [-KOT_CIDR_EADDR6] = { "not_ipv6", "not an IPv6 address" },

    [-KOT_CIDR_ERANGE4] = { "prefix_range_ipv4",
        "prefix length out of range (IPv4 allows /0 to /32)" },

    [-KOT_CIDR_ERANGE6] = { "prefix_range_ipv6",
        "prefix length out of range (IPv6 allows /0 to /128)" },

    [-KOT_CIDR_EHOST] = { "host_bits_set", "host bits set" },
};

/* a new reason below KOT_CIDR_ELAST would have neither code nor text */
typedef char kot_cidr_reasons_complete[
    (sizeof(kot_cidr_reasons) / sizeof(kot_cidr_reasons[0])
     == (size_t) -KOT_CIDR_ELAST + 1) ? 1 : -1];


/* The entry of a kot_cidr_parse() result; NULL for a number that is none. */

static const kot_cidr_why_t *
kot_cidr_why(int rc)
{
    if (rc > KOT_CIDR_OK || rc < KOT_CIDR_ELAST
        || kot_cidr_reasons[-rc].code == NULL)
    {
        return NULL;
    }

    return &kot_cidr_reasons[-rc];
}


const char *
kot_cidr_strerror(int rc)
{
    const kot_cidr_why_t  *why = kot_cidr_why(rc);

    return (why != NULL) ? why->text : "invalid";
}


const char *
kot_cidr_code(int rc)
{
    const kot_cidr_why_t  *why = kot_cidr_why(rc);

    return (why != NULL) ? why->code : "invalid";
}


size_t
kot_cidr_reason(int rc, const kot_cidr_t *parsed, char *buf, size_t cap)
{
    int   n;
    char  net[KOT_CIDR_STR_MAX];

    if (cap == 0) {
        return 0;
    }

    if (rc == KOT_CIDR_EHOST && parsed != NULL
        && kot_cidr_format(parsed, net, sizeof(net)) > 0)
    {
        n = snprintf(buf, cap, "%s (did you mean %s?)",
                     kot_cidr_strerror(rc), net);

    } else {
        n = snprintf(buf, cap, "%s", kot_cidr_strerror(rc));
    }

    if (n < 0) {
        buf[0] = '\0';
        return 0;
    }

    return ((size_t) n < cap) ? (size_t) n : cap - 1;
}


size_t
kot_cidr_format(const kot_cidr_t *c, char *buf, size_t cap)
{
    char    tmp[KOT_CIDR_STR_MAX], *p;
    size_t  len;

    if (cap > 0) {
        buf[0] = '\0';
    }

    if (!kot_cidr_valid(c)) {
        return 0;
    }

    if (c->family == AF_INET) {
        p = tmp + sprintf(tmp, "%u.%u.%u.%u", c->addr[0], c->addr[1],
                          c->addr[2], c->addr[3]);

    } else {
        p = tmp + kot_cidr_format6(c->addr, tmp);
    }

    p += sprintf(p, "/%u", c->prefix);
    len = p - tmp;

    if (len >= cap) {
        return 0;
    }

    memcpy(buf, tmp, len + 1);

    return len;
}


size_t
kot_cidr_bucket(int family, const uint8_t *addr, char *buf, size_t cap)
{
    int  n;

    if (cap < KOT_CIDR_BUCKET_MAX) {
        return 0;
    }

    if (family == AF_INET6 && kot_cidr_mapped(addr)) {
        family = AF_INET;
        addr += 12;
    }

    if (family == AF_INET) {
        n = sprintf(buf, "%u.%u.%u.%u", addr[0], addr[1], addr[2], addr[3]);

    } else if (family == AF_INET6) {
        n = sprintf(buf, "%02x%02x:%02x%02x:%02x%02x:%02x%02x::/64",
                    addr[0], addr[1], addr[2], addr[3], addr[4], addr[5],
                    addr[6], addr[7]);

    } else {
        buf[0] = '\0';
        return 0;
    }

    return (size_t) n;
}


size_t
kot_cidr_site(int family, const uint8_t *addr, char *buf, size_t cap)
{
    if (cap < KOT_CIDR_BUCKET_MAX || family != AF_INET6
        || kot_cidr_mapped(addr))
    {
        if (cap > 0) {
            buf[0] = '\0';
        }

        return 0;
    }

    return (size_t) sprintf(buf, "%02x%02x:%02x%02x:%02x%02x::/48",
                            addr[0], addr[1], addr[2], addr[3], addr[4],
                            addr[5]);
}


/*
 * RFC 5952: lower-case hex without leading zeros, and the first longest
 * run of two or more zero groups as "::".  Never the dotted IPv4 tail:
 * mapped networks are IPv4 networks by now.
 */

static size_t
kot_cidr_format6(const uint8_t *a, char *p)
{
    int        i, best, best_len, run;
    char      *start;
    unsigned   w[8];

    best = -1;
    best_len = 1;
    run = 0;

    for (i = 0; i < 8; i++) {
        w[i] = (unsigned) a[2 * i] << 8 | a[2 * i + 1];
        run = (w[i] == 0) ? run + 1 : 0;

        if (run > best_len) {
            best = i - run + 1;
            best_len = run;
        }
    }

    start = p;

    for (i = 0; i < 8; i++) {
        if (i == best) {
            *p++ = ':';
            *p++ = ':';
            i += best_len - 1;
            continue;
        }

        if (i > 0 && !(best >= 0 && i == best + best_len)) {
            *p++ = ':';
        }

        p += sprintf(p, "%x", w[i]);
    }

    *p = '\0';

    return p - start;
}


static int
kot_cidr_valid(const kot_cidr_t *c)
{
    return (c->family == AF_INET && c->prefix <= 32)
           || (c->family == AF_INET6 && c->prefix <= 128);
}


int
kot_cidr_cmp(const void *a, const void *b)
{
    int                rc;
    const kot_cidr_t  *x, *y;

    x = a;
    y = b;

    if (x->family != y->family) {
        return (x->family == AF_INET) ? -1 : 1;
    }

    rc = memcmp(x->addr, y->addr, (x->family == AF_INET) ? 4 : 16);
    if (rc != 0) {
        return rc;
    }

    return (x->prefix > y->prefix) - (x->prefix < y->prefix);
}


size_t
kot_cidr_unique(kot_cidr_t *v, size_t n)
{
    size_t  i, m;

    if (n == 0) {
        return 0;
    }

    qsort(v, n, sizeof(kot_cidr_t), kot_cidr_cmp);

    for (i = 1, m = 1; i < n; i++) {
        if (kot_cidr_cmp(&v[i], &v[m - 1]) != 0) {
            v[m++] = v[i];
        }
    }

    return m;
}


size_t
kot_cidr_set_size(const kot_cidr_t *v, size_t n)
{
    size_t  i, n4;

    if (n > (SIZE_MAX - sizeof(kot_cidr_set_t)) / sizeof(kot_cidr_r6_t)) {
        return 0;
    }

    for (i = 0, n4 = 0; i < n; i++) {
        n4 += (v[i].family == AF_INET);
    }

    return sizeof(kot_cidr_set_t) + n4 * sizeof(kot_cidr_r4_t)
           + (n - n4) * sizeof(kot_cidr_r6_t);
}


kot_cidr_set_t *
kot_cidr_set_init(void *mem, size_t cap, const kot_cidr_t *v, size_t n)
{
    size_t           i, n4, n6, need;
    kot_cidr_r4_t   *r4;
    kot_cidr_r6_t   *r6;
    kot_cidr_set_t  *s;

    need = kot_cidr_set_size(v, n);

    if (mem == NULL || ((uintptr_t) mem & 7) != 0 || need == 0
        || cap < need)
    {
        return NULL;
    }

    /* the IPv6 ranges start after room for every IPv4 one, then move */

    s = mem;
    r4 = (kot_cidr_r4_t *) (s + 1);
    n4 = 0;

    for (i = 0; i < n; i++) {
        if (!kot_cidr_valid(&v[i])) {
            return NULL;
        }

        n4 += (v[i].family == AF_INET);
    }

    r6 = (kot_cidr_r6_t *) (r4 + n4);
    n4 = 0;
    n6 = 0;

    for (i = 0; i < n; i++) {
        if (v[i].family == AF_INET) {
            kot_cidr_range4(&v[i], &r4[n4++]);

        } else {
            kot_cidr_range6(&v[i], &r6[n6++]);
        }
    }

    s->n4 = kot_cidr_merge4(r4, n4);
    s->n6 = kot_cidr_merge6(r6, n6);
    s->off6 = sizeof(kot_cidr_set_t) + s->n4 * sizeof(kot_cidr_r4_t);
    s->used = s->off6 + s->n6 * sizeof(kot_cidr_r6_t);

    memmove((uint8_t *) s + s->off6, r6, s->n6 * sizeof(kot_cidr_r6_t));

    return s;
}


kot_cidr_set_t *
kot_cidr_set_build(const kot_cidr_t *v, size_t n)
{
    void            *mem, *shrunk;
    size_t           size;
    kot_cidr_set_t  *s;

    size = kot_cidr_set_size(v, n);
    if (size == 0) {
        return NULL;
    }

    mem = malloc(size);
    if (mem == NULL) {
        return NULL;
    }

    s = kot_cidr_set_init(mem, size, v, n);
    if (s == NULL) {
        free(mem);
        return NULL;
    }

    /* merging may have freed much of the block; offsets survive a move */

    if (s->used < size) {
        shrunk = realloc(mem, s->used);
        if (shrunk != NULL) {
            s = shrunk;
        }
    }

    return s;
}


void
kot_cidr_set_free(kot_cidr_set_t *s)
{
    free(s);
}


size_t
kot_cidr_set_used(const kot_cidr_set_t *s)
{
    return s->used;
}


void
kot_cidr_set_ranges(const kot_cidr_set_t *s, size_t *n4, size_t *n6)
{
    *n4 = s->n4;
    *n6 = s->n6;
}


int
kot_cidr_set_match(const kot_cidr_set_t *s, const struct sockaddr *sa)
{
    const struct sockaddr_in   *sin;
    const struct sockaddr_in6  *sin6;

    switch (sa->sa_family) {

    case AF_INET:
        sin = (const struct sockaddr_in *) sa;
        return kot_cidr_set_match_addr(s, AF_INET,
                                       (const uint8_t *) &sin->sin_addr);

    case AF_INET6:
        sin6 = (const struct sockaddr_in6 *) sa;
        return kot_cidr_set_match_addr(s, AF_INET6,
                                       sin6->sin6_addr.s6_addr);
    }

    return 0;
}


int
kot_cidr_set_match_addr(const kot_cidr_set_t *s, int family,
    const uint8_t *addr)
{
    kot_cidr_u128_t  x;

    if (family == AF_INET6 && kot_cidr_mapped(addr)) {
        family = AF_INET;
        addr += 12;
    }

    if (family == AF_INET) {
        return kot_cidr_find4(kot_cidr_set_r4(s), s->n4,
                              kot_cidr_get32(addr));
    }

    if (family == AF_INET6) {
        x.hi = kot_cidr_get64(addr);
        x.lo = kot_cidr_get64(addr + 8);

        return kot_cidr_find6(kot_cidr_set_r6(s), s->n6, &x);
    }

    return 0;
}


static uint32_t
kot_cidr_get32(const uint8_t *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16
           | (uint32_t) p[2] << 8 | p[3];
}


static uint64_t
kot_cidr_get64(const uint8_t *p)
{
    return (uint64_t) kot_cidr_get32(p) << 32 | kot_cidr_get32(p + 4);
}


/* the top bits of 64 set; shifting by 64 would be undefined */

static uint64_t
kot_cidr_mask64(unsigned bits)
{
    return (bits == 0) ? 0 : ~(uint64_t) 0 << (64 - bits);
}


/* host bits are cleared here too: a hand-made network is still exact */

static void
kot_cidr_range4(const kot_cidr_t *c, kot_cidr_r4_t *r)
{
    uint32_t  mask;

    mask = (uint32_t) (kot_cidr_mask64(c->prefix) >> 32);

    r->first = kot_cidr_get32(c->addr) & mask;
    r->last = r->first | ~mask;
}


static void
kot_cidr_range6(const kot_cidr_t *c, kot_cidr_r6_t *r)
{
    uint64_t  mhi, mlo;

    mhi = kot_cidr_mask64(c->prefix > 64 ? 64 : c->prefix);
    mlo = kot_cidr_mask64(c->prefix > 64 ? c->prefix - 64 : 0);

    r->first.hi = kot_cidr_get64(c->addr) & mhi;
    r->first.lo = kot_cidr_get64(c->addr + 8) & mlo;
    r->last.hi = r->first.hi | ~mhi;
    r->last.lo = r->first.lo | ~mlo;
}


static int
kot_cidr_r4_cmp(const void *a, const void *b)
{
    const kot_cidr_r4_t  *x, *y;

    x = a;
    y = b;

    return (x->first > y->first) - (x->first < y->first);
}


static int
kot_cidr_r6_cmp(const void *a, const void *b)
{
    const kot_cidr_r6_t  *x, *y;

    x = a;
    y = b;

    return kot_cidr_u128_cmp(&x->first, &y->first);
}


static int
kot_cidr_u128_cmp(const kot_cidr_u128_t *a, const kot_cidr_u128_t *b)
{
    if (a->hi != b->hi) {
        return (a->hi > b->hi) ? 1 : -1;
    }

    return (a->lo > b->lo) - (a->lo < b->lo);
}


/*
 * Sorts by first address and joins ranges that overlap or touch, in
 * place: the result is disjoint and sorted, so one search answers.
 */

static size_t
kot_cidr_merge4(kot_cidr_r4_t *r, size_t n)
{
    size_t  i, m;

    if (n == 0) {
        return 0;
    }

    qsort(r, n, sizeof(kot_cidr_r4_t), kot_cidr_r4_cmp);

    for (i = 1, m = 0; i < n; i++) {
        if (r[m].last == UINT32_MAX || r[i].first <= r[m].last + 1) {
            if (r[i].last > r[m].last) {
                r[m].last = r[i].last;
            }

        } else {
            r[++m] = r[i];
        }
    }

    return m + 1;
}


static size_t
kot_cidr_merge6(kot_cidr_r6_t *r, size_t n)
{
    size_t           i, m;
    kot_cidr_u128_t  next;

    if (n == 0) {
        return 0;
    }

    qsort(r, n, sizeof(kot_cidr_r6_t), kot_cidr_r6_cmp);

    for (i = 1, m = 0; i < n; i++) {

        /* next = last + 1, unless last is the very last address */

        next.lo = r[m].last.lo + 1;
        next.hi = r[m].last.hi + (next.lo == 0);

        if ((r[m].last.hi == UINT64_MAX && r[m].last.lo == UINT64_MAX)
            || kot_cidr_u128_cmp(&r[i].first, &next) <= 0)
        {
            if (kot_cidr_u128_cmp(&r[i].last, &r[m].last) > 0) {
                r[m].last = r[i].last;
            }

        } else {
            r[++m] = r[i];
        }
    }

    return m + 1;
}


/*
 * The last range that starts at or before x, by a binary search whose
 * step the compiler turns into a conditional move: no branch to
 * mispredict on addresses that come in at random.
 */

static int
kot_cidr_find4(const kot_cidr_r4_t *r, size_t n, uint32_t x)
{
    size_t  half;

    if (n == 0) {
        return 0;
    }

    while (n > 1) {
        half = n / 2;
        r = (r[half].first <= x) ? r + half : r;
        n -= half;
    }

    return r->first <= x && x <= r->last;
}


static int
kot_cidr_find6(const kot_cidr_r6_t *r, size_t n, const kot_cidr_u128_t *x)
{
    size_t  half;

    if (n == 0) {
        return 0;
    }

    while (n > 1) {
        half = n / 2;
        r = (kot_cidr_u128_cmp(&r[half].first, x) <= 0) ? r + half : r;
        n -= half;
    }

    return kot_cidr_u128_cmp(&r->first, x) <= 0
           && kot_cidr_u128_cmp(x, &r->last) <= 0;
}


static const kot_cidr_r4_t *
kot_cidr_set_r4(const kot_cidr_set_t *s)
{
    return (const kot_cidr_r4_t *) (s + 1);
}


static const kot_cidr_r6_t *
kot_cidr_set_r6(const kot_cidr_set_t *s)
{
    return (const kot_cidr_r6_t *) ((const uint8_t *) s + s->off6);
}
