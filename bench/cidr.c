/*
 * Benchmark of kot_cidr sets: the cost of building a set of 10,000
 * random networks (half IPv4, half IPv6) and of matching a client
 * address against it, next to a naive linear scan of the same networks.
 * It measures; it does not test (t/unit/test_cidr.c does).
 *
 *     make build/bench/cidr && build/bench/cidr [entries]
 */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kot_cidr.h"


#define BENCH_ENTRIES   10000
#define BENCH_BUILDS    50
#define BENCH_ADDRS     (1 << 20)
#define BENCH_ROUNDS    8
#define BENCH_NAIVE     20000

typedef struct {
    struct sockaddr_storage  ss;
} bench_addr_t;

static uint64_t  rng = 0x62656e6368ULL;


static uint64_t
rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;

    return rng * 0x2545f4914f6cdd1dULL;
}


static double
now_ns(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec * 1e9 + ts.tv_nsec;
}


/* Realistic lengths: IPv4 /16 to /32, IPv6 /32 to /128. */

static void
random_network(kot_cidr_t *c)
{
    size_t    i, bytes;
    unsigned  bits;

    memset(c, 0, sizeof(kot_cidr_t));

    if (rnd() & 1) {
        c->family = AF_INET;
        c->prefix = 16 + rnd() % 17;
        bytes = 4;

    } else {
        c->family = AF_INET6;
        c->prefix = 32 + rnd() % 97;
        bytes = 16;
    }

    for (i = 0; i < bytes; i++) {
        bits = (c->prefix > i * 8) ? c->prefix - i * 8 : 0;
        c->addr[i] = (uint8_t) rnd()
                     & ((bits >= 8) ? 0xff : (uint8_t) (0xff00 >> bits));
    }
}


/*
 * Clients: half inside a random network of the list (so the search
 * runs to a hit), half anywhere; a quarter of the IPv4 ones arrive
 * IPv4-mapped, as on a dual-stack socket.
 */

static void
random_client(const kot_cidr_t *v, size_t n, bench_addr_t *a)
{
    int                   inside;
    size_t                i, bytes;
    unsigned              bits;
    uint8_t               addr[16], keep;
    const kot_cidr_t     *c;
    struct sockaddr_in   *sin;
    struct sockaddr_in6  *sin6;

    c = &v[rnd() % n];
    bytes = (c->family == AF_INET) ? 4 : 16;
    inside = rnd() & 1;

    for (i = 0; i < bytes; i++) {
        bits = (inside && c->prefix > i * 8) ? c->prefix - i * 8 : 0;
        keep = (bits >= 8) ? 0xff : (uint8_t) (0xff00 >> bits);
        addr[i] = (c->addr[i] & keep) | ((uint8_t) rnd() & ~keep);
    }

    memset(a, 0, sizeof(bench_addr_t));

    if (c->family == AF_INET && (rnd() & 3)) {
        sin = (struct sockaddr_in *) &a->ss;
        sin->sin_family = AF_INET;
        memcpy(&sin->sin_addr, addr, 4);
        return;
    }

    sin6 = (struct sockaddr_in6 *) &a->ss;
    sin6->sin6_family = AF_INET6;

    if (c->family == AF_INET) {
        memset(sin6->sin6_addr.s6_addr + 10, 0xff, 2);
        memcpy(sin6->sin6_addr.s6_addr + 12, addr, 4);

    } else {
        memcpy(sin6->sin6_addr.s6_addr, addr, 16);
    }
}


/* The obvious way: every network in turn, masking the client address. */

static int
naive_match(const kot_cidr_t *v, size_t n, const struct sockaddr *sa)
{
    int             family;
    size_t          i, bytes;
    unsigned        bits;
    const uint8_t  *a;

    if (sa->sa_family == AF_INET) {
        family = AF_INET;
        a = (const uint8_t *) &((const struct sockaddr_in *) sa)->sin_addr;

    } else {
        family = AF_INET6;
        a = ((const struct sockaddr_in6 *) sa)->sin6_addr.s6_addr;

        if (memcmp(a, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
            family = AF_INET;
            a += 12;
        }
    }

    for (i = 0; i < n; i++) {
        if (v[i].family != family) {
            continue;
        }

        bytes = v[i].prefix / 8;
        bits = v[i].prefix % 8;

        if (memcmp(v[i].addr, a, bytes) == 0
            && (bits == 0
                || ((v[i].addr[bytes] ^ a[bytes]) & (0xff00 >> bits) & 0xff)
                   == 0))
        {
            return 1;
        }
    }

    return 0;
}


int
main(int argc, char **argv)
{
    int              r;
    long             hits, naive_hits;
    size_t           i, n, n4, n6;
    double           t0, build_ns, match_ns, naive_ns;
    kot_cidr_t      *v;
    bench_addr_t    *addrs;
    kot_cidr_set_t  *s;

    n = (argc > 1) ? strtoul(argv[1], NULL, 10) : BENCH_ENTRIES;
    if (n == 0) {
        n = BENCH_ENTRIES;
    }

    v = malloc(n * sizeof(kot_cidr_t));
    addrs = malloc(BENCH_ADDRS * sizeof(bench_addr_t));
    if (v == NULL || addrs == NULL) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }

    for (i = 0; i < n; i++) {
        random_network(&v[i]);
    }

    for (i = 0; i < BENCH_ADDRS; i++) {
        random_client(v, n, &addrs[i]);
    }

    t0 = now_ns();

    for (r = 0; r < BENCH_BUILDS; r++) {
        s = kot_cidr_set_build(v, n);
        if (s == NULL) {
            fprintf(stderr, "kot_cidr_set_build() failed\n");
            return 1;
        }

        if (r < BENCH_BUILDS - 1) {
            kot_cidr_set_free(s);
        }
    }

    build_ns = (now_ns() - t0) / BENCH_BUILDS;

    hits = 0;
    t0 = now_ns();

    for (r = 0; r < BENCH_ROUNDS; r++) {
        for (i = 0; i < BENCH_ADDRS; i++) {
            hits += kot_cidr_set_match(s, (struct sockaddr *) &addrs[i].ss);
        }
    }

    match_ns = (now_ns() - t0) / ((double) BENCH_ROUNDS * BENCH_ADDRS);

    naive_hits = 0;
    t0 = now_ns();

    for (i = 0; i < BENCH_NAIVE; i++) {
        naive_hits += naive_match(v, n, (struct sockaddr *) &addrs[i].ss);
    }

    naive_ns = (now_ns() - t0) / BENCH_NAIVE;

    /* the two must agree on the addresses both looked at */

    for (i = 0, hits /= BENCH_ROUNDS; i < BENCH_NAIVE; i++) {
        naive_hits -= kot_cidr_set_match(s, (struct sockaddr *) &addrs[i].ss);
    }

    kot_cidr_set_ranges(s, &n4, &n6);

    printf("kot_cidr: %zu random networks (IPv4 /16-/32, IPv6 /32-/128)\n",
           n);
    printf("  set:     %zu IPv4 + %zu IPv6 disjoint ranges, %zu bytes\n",
           n4, n6, kot_cidr_set_used(s));
    printf("  build:   %.0f us (mean of %d)\n", build_ns / 1e3,
           BENCH_BUILDS);
    printf("  match:   %.1f ns per lookup (%d x %d lookups, %.1f%% hits)\n",
           match_ns, BENCH_ROUNDS, BENCH_ADDRS,
           100.0 * hits / BENCH_ADDRS);
    printf("  naive:   %.1f ns per lookup (linear scan, %d lookups)\n",
           naive_ns, BENCH_NAIVE);
    printf("  speedup: %.0fx%s\n", naive_ns / match_ns,
           naive_hits == 0 ? "" : "  (WARNING: results differ)");

    kot_cidr_set_free(s);
    free(addrs);
    free(v);

    return naive_hits == 0 ? 0 : 1;
}
