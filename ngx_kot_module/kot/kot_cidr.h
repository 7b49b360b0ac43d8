/*
 * ngx_kot: IPv4 and IPv6 networks (CIDR) for the per-tenant source
 * address allow-lists, and a compiled set of them to match clients.
 *
 * Parsing is strict, so that every network has one canonical text and
 * an administrator's typo is refused rather than guessed at:
 *   "10.0.0.0/8", "192.0.2.7" (a host: /32), "2001:db8::/32",
 *   "2001:DB8::1" (/128), "::ffff:10.1.2.0/120" (an IPv4-mapped network,
 *   stored and printed as the IPv4 network 10.1.2.0/24).
 * Refused: host bits set ("10.0.0.1/8"), leading zeros in IPv4 numbers
 * ("01.2.3.4": octal or decimal?) and in the prefix length ("/08"),
 * short forms ("1.2.3"), spaces anywhere, zones ("fe80::1%eth0"),
 * brackets, signs, and anything longer than any address can be.
 *
 * IPv4 clients are matched against IPv4 networks only, whether they
 * arrive as AF_INET or as IPv4-mapped IPv6 (::ffff:a.b.c.d) on a
 * dual-stack socket, and IPv6 networks never match them: "::/0" means
 * every IPv6 client, not every client.
 */

#ifndef KOT_CIDR_H
#define KOT_CIDR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* longest text kot_cidr_parse() looks at; anything longer is refused */
#define KOT_CIDR_TEXT_MAX     64

/* buffer for kot_cidr_format(): "ffff:...:ffff/128" and its NUL */
#define KOT_CIDR_STR_MAX      44

/* buffer for kot_cidr_reason(): a reason with a suggestion */
#define KOT_CIDR_REASON_MAX   128

/* kot_cidr_parse() results */
#define KOT_CIDR_OK            0
#define KOT_CIDR_EEMPTY       -1
#define KOT_CIDR_ELONG        -2
#define KOT_CIDR_ESPACE       -3
#define KOT_CIDR_EZONE        -4
#define KOT_CIDR_EGARBAGE     -5
#define KOT_CIDR_ENOADDR      -6
#define KOT_CIDR_ENOPREFIX    -7
#define KOT_CIDR_EPREFIX      -8
#define KOT_CIDR_EPREFIXZERO  -9
#define KOT_CIDR_ELEADZERO   -10
#define KOT_CIDR_EADDR       -11
#define KOT_CIDR_EADDR4      -12
#define KOT_CIDR_EADDR6      -13
#define KOT_CIDR_ERANGE4     -14
#define KOT_CIDR_ERANGE6     -15
#define KOT_CIDR_EHOST       -16
/* the last code: a new reason takes the next number, and is the last */
#define KOT_CIDR_ELAST        KOT_CIDR_EHOST

typedef struct {
    int        family;      /* AF_INET or AF_INET6 */
    unsigned   prefix;      /* 0..32 or 0..128 */
    uint8_t    addr[16];    /* network byte order; IPv4 uses 4, rest 0 */
} kot_cidr_t;

/*
 * Parses s[0..len) (no NUL needed) into *out.  Returns KOT_CIDR_OK or a
 * negative KOT_CIDR_E* code.  On KOT_CIDR_EHOST, *out holds the network
 * with the host bits cleared, for a "did you mean" hint; on any other
 * error it is zeroed.
 */
int kot_cidr_parse(const char *s, size_t len, kot_cidr_t *out);

/* The reason for a kot_cidr_parse() code, e.g. "host bits set". */
const char *kot_cidr_strerror(int rc);

/*
 * The same reason as a stable machine code, e.g. "host_bits_set", for a
 * program to word in its own language (the admin API's "reason"): the
 * text of kot_cidr_strerror() may be reworded, a code never changes.
 * "valid" for KOT_CIDR_OK, "invalid" for a number that is no reason.
 */
const char *kot_cidr_code(int rc);

/*
 * The reason for a code as an administrator should read it, into buf:
 * for KOT_CIDR_EHOST with the network that was probably meant,
 * "host bits set (did you mean 10.0.0.0/8?)", given parse's *out.
 * Returns the length (truncated to fit cap, always NUL-terminated).
 */
size_t kot_cidr_reason(int rc, const kot_cidr_t *parsed, char *buf,
    size_t cap);

/*
 * The canonical text of a network: "10.0.0.0/8", "2001:db8::/32" (RFC
 * 5952: lower case, no leading zeros, the longest run of zero groups as
 * "::").  Always with the prefix length.  Returns the length without the
 * NUL, or 0 if cap is too small (KOT_CIDR_STR_MAX always suffices) or the
 * network is not valid.
 */
size_t kot_cidr_format(const kot_cidr_t *c, char *buf, size_t cap);

/* buffer for kot_cidr_bucket(): "ffff:ffff:ffff:ffff::/64" and its NUL */
#define KOT_CIDR_BUCKET_MAX   25

/*
 * The name of the login throttle's bucket for a client address (AF_INET
 * with 4 bytes, or AF_INET6 with 16, in network byte order), the part
 * after "th:" in its Redis key.  One client, one name:
 *   - an IPv4 address is "192.0.2.10", also when it arrives IPv4-mapped
 *     (::ffff:192.0.2.10, from a dual-stack socket or through realip):
 *     otherwise the two spellings would be two buckets, and twice the
 *     burst;
 *   - an IPv6 address is counted by the /64 that holds it, since one
 *     host usually has a whole /64: "2001:0db8:0001:0002::/64" (every
 *     group in four digits).
 * The module names the bucket of each login with it, and kotctl the one
 * an administrator asks about.  Returns the length, or 0 for any other
 * family or a cap below KOT_CIDR_BUCKET_MAX.
 */
size_t kot_cidr_bucket(int family, const uint8_t *addr, char *buf,
    size_t cap);

/*
 * The name of the second bucket that an IPv6 client's login attempts
 * take from: the /48 that holds the address, "2001:0db8:0001::/48".  A
 * /48 is what one site, or one attacker, gets (a tunnel broker gives one
 * away), and it holds 65536 /64s, each a bucket of its own: without this
 * one, such an attacker would have 65536 allowances.  Returns the length,
 * or 0 for an IPv4 address (also IPv4-mapped), any other family or a cap
 * below KOT_CIDR_BUCKET_MAX: those have one bucket only.  The module
 * names the second bucket of each login with it, and "kotctl throttle"
 * the one it shows and clears with the address's own.
 */
size_t kot_cidr_site(int family, const uint8_t *addr, char *buf,
    size_t cap);

/*
 * Orders networks for listing: IPv4 before IPv6, then by address, then
 * by prefix length.  A qsort() comparator on kot_cidr_t.
 */
int kot_cidr_cmp(const void *a, const void *b);

/*
 * Sorts v[0..n) by kot_cidr_cmp() and drops duplicates ("10.0.0.0/8" and
 * "::ffff:10.0.0.0/104" are one network).  Returns how many are left.
 */
size_t kot_cidr_unique(kot_cidr_t *v, size_t n);


/*
 * A compiled set of networks, built once and matched many times.
 *
 * The networks become closed address ranges that are sorted, and merged
 * where they overlap or touch, so that the ranges are disjoint and one
 * binary search answers: O(log r) for r ranges (at most 14 probes for
 * 10,000), with 8 bytes per IPv4 range and 32 per IPv6 range.  Building
 * is O(n log n).  Overlapping, nested and duplicate networks, /0, /32
 * and /128 are all exact.  An empty set matches nothing: the caller
 * decides what an empty list means.
 *
 * A set is one block of memory without pointers, immutable once built:
 * it may be shared read-only between threads, or copied (memcpy) as a
 * whole, for example into shared memory.
 */
typedef struct kot_cidr_set_s  kot_cidr_set_t;

/* Bytes a set of v[0..n) needs, or 0 if n is absurdly large. */
size_t kot_cidr_set_size(const kot_cidr_t *v, size_t n);

/*
 * Builds the set of v[0..n) in mem, cap bytes aligned to 8, at least
 * kot_cidr_set_size(v, n).  Returns mem as a set, or NULL if cap is too
 * small or an entry is not a valid network (wrong family, prefix length
 * out of range).  The bytes actually used are kot_cidr_set_used().
 */
kot_cidr_set_t *kot_cidr_set_init(void *mem, size_t cap, const kot_cidr_t *v,
    size_t n);

/* The same on the heap (malloc); NULL on failure.  Free with _free(). */
kot_cidr_set_t *kot_cidr_set_build(const kot_cidr_t *v, size_t n);
void kot_cidr_set_free(kot_cidr_set_t *s);

/* Bytes of the block that a built set uses (a prefix of it). */
size_t kot_cidr_set_used(const kot_cidr_set_t *s);

/* The number of disjoint ranges after merging, per family. */
void kot_cidr_set_ranges(const kot_cidr_set_t *s, size_t *n4, size_t *n6);

/*
 * 1 if the client address is in the set, else 0.  sa is AF_INET or
 * AF_INET6 (IPv4-mapped IPv6 is matched as IPv4); any other family, such
 * as AF_UNIX, matches nothing.
 */
int kot_cidr_set_match(const kot_cidr_set_t *s, const struct sockaddr *sa);

/* The same for a raw address: 4 or 16 bytes in network byte order. */
int kot_cidr_set_match_addr(const kot_cidr_set_t *s, int family,
    const uint8_t *addr);

#endif /* KOT_CIDR_H */
