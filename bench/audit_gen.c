/*
 * Generates an audit log for bench/audit_query.sh: N records of request,
 * login and logout events spread over several interleaved chains, sealed
 * with kot_chain so that "kotctl audit verify" accepts the result.
 *
 *     audit_gen PUBLIC.pem OUT RECORDS [CHAINS]
 *
 * Record i is stamped 2026-11-26T00:00:00.000Z + 10 ms * i; user "uNNNN"
 * of 500 acts in tenant i % 4.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kot_chain.h"
#include "kot_crypto.h"


#define GEN_LINE_MAX  4096
#define GEN_BASE      1795651200ULL     /* 2026-11-26T00:00:00Z */

static const char  *tenants[] = { "acme", "globex", "initech", "umbrella" };


static size_t
gen_time(char *buf, size_t cap, unsigned long long i)
{
    unsigned long long  ms, s, d;

    ms = i * 10;
    s = GEN_BASE + ms / 1000;
    d = s % 86400;

    /* all records fall on one day: a record every 10 ms is 8.6M a day */

    return (size_t) snprintf(buf, cap, "2026-11-%02lluT%02llu:%02llu:"
                             "%02llu.%03lluZ", 26 + (s - GEN_BASE) / 86400,
                             d / 3600, d / 60 % 60, d % 60, ms % 1000);
}


static size_t
gen_record(char *buf, size_t cap, kot_chain_t *c, unsigned long long i)
{
    char         ts[64];
    unsigned     user, kind;
    const char  *tenant;

    gen_time(ts, sizeof(ts), i);

    user = (unsigned) (i * 7919 % 500);
    tenant = tenants[i % 4];
    kind = (unsigned) (i % 50);

    if (kind == 0) {
        return (size_t) snprintf(buf, cap,
            "{\"@timestamp\":\"%s\",\"event.sequence\":%llu,"
            "\"kot.chain\":\"%s\",\"event.action\":\"login\","
            "\"event.category\":\"authentication\","
            "\"event.outcome\":\"%s\",%s\"user.name\":\"u%04u\","
            "\"organization.id\":\"%s\",\"source.ip\":\"192.0.2.%u\","
            "\"user_agent.original\":\"Mozilla/5.0 (X11; Linux x86_64) "
            "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 "
            "Safari/537.36\",\"url.path\":\"/kot/login\","
            "\"http.request.method\":\"POST\","
            "\"http.request.id\":\"%016llx%016llx\"}",
            ts, (unsigned long long) c->seq, c->id,
            i % 3 ? "success" : "failure",
            i % 3 ? "" : "\"event.reason\":\"bad_password\",",
            user, tenant, user % 250, i * 2654435761ULL, i);
    }

    return (size_t) snprintf(buf, cap,
        "{\"@timestamp\":\"%s\",\"event.sequence\":%llu,"
        "\"kot.chain\":\"%s\",\"event.action\":\"%s\","
        "\"event.category\":\"web\",\"event.outcome\":\"success\","
        "\"user.name\":\"u%04u\",\"organization.id\":\"%s\","
        "\"source.ip\":\"192.0.2.%u\",\"user_agent.original\":"
        "\"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like "
        "Gecko) Chrome/120.0 Safari/537.36\",\"url.path\":\"/app/items/%llu"
        "\",\"http.request.method\":\"GET\","
        "\"http.response.status_code\":200,"
        "\"http.response.body.bytes\":%llu,"
        "\"http.request.id\":\"%016llx%016llx\","
        "\"session.hash\":\"%016llx\",\"kot.upstream_ms\":%llu}",
        ts, (unsigned long long) c->seq, c->id,
        kind == 1 ? "logout" : "request", user, tenant, user % 250,
        i % 10000, 1000 + i % 50000, i * 2654435761ULL, i,
        (unsigned long long) user * 0x9e3779b97f4a7c15ULL, i % 300);
}


static int
gen_start(FILE *out, EVP_PKEY *pub, kot_chain_t *c)
{
    char     s[GEN_LINE_MAX], line[GEN_LINE_MAX + KOT_CHAIN_SUFFIX_MAX];
    char     sealed[KOT_CHAIN_SEALED_MAX], fpr[KOT_CHAIN_FPR_LEN + 1], ts[64];
    long     n;
    size_t   len;
    uint8_t  k0[KOT_CHAIN_KEY_LEN];

    if (kot_chain_start(c, k0) != 0
        || kot_chain_seal_key(pub, k0, sealed, sizeof(sealed)) < 0
        || kot_chain_fingerprint(pub, fpr) != 0)
    {
        return -1;
    }

    kot_cleanse(k0, sizeof(k0));
    gen_time(ts, sizeof(ts), 0);

    len = (size_t) snprintf(s, sizeof(s),
        "{\"@timestamp\":\"%s\",\"event.sequence\":0,\"kot.chain\":\"%s\","
        "\"event.action\":\"chain_start\",\"kot.sealed_key\":\"%s\","
        "\"kot.auditor_key\":\"%s\",\"host.hostname\":\"bench\","
        "\"process.pid\":1,\"" KOT_CHAIN_ALG_MEMBER "\":\"%s\"}", ts, c->id,
        sealed, fpr, kot_chain_alg_name(c));

    n = kot_chain_seal(c, s, len, line);

    return (n < 0 || fwrite(line, 1, n, out) != (size_t) n) ? -1 : 0;
}


int
main(int argc, char **argv)
{
    char                 s[GEN_LINE_MAX];
    char                 line[GEN_LINE_MAX + KOT_CHAIN_SUFFIX_MAX];
    long                 n;
    FILE                *out;
    size_t               len;
    unsigned             nchains, j;
    EVP_PKEY            *pub;
    kot_chain_t         *chains, *c;
    unsigned long long   i, records;

    if (argc < 4) {
        fprintf(stderr, "usage: audit_gen PUBLIC.pem OUT RECORDS [CHAINS]\n");
        return 2;
    }

    records = strtoull(argv[3], NULL, 10);
    nchains = argc > 4 ? (unsigned) strtoul(argv[4], NULL, 10) : 8;

    pub = kot_chain_load_public(argv[1]);
    out = fopen(argv[2], "w");
    chains = calloc(nchains ? nchains : 1, sizeof(kot_chain_t));

    if (pub == NULL || out == NULL || chains == NULL || nchains == 0) {
        fprintf(stderr, "audit_gen: bad key, output or chain count\n");
        return 1;
    }

    for (j = 0; j < nchains; j++) {
        if (gen_start(out, pub, &chains[j]) != 0) {
            fprintf(stderr, "audit_gen: cannot start a chain\n");
            return 1;
        }
    }

    /* chain_start records count as records too */

    for (i = nchains; i < records; i++) {
        c = &chains[(i * 2654435761ULL >> 7) % nchains];
        len = gen_record(s, sizeof(s), c, i);
        n = kot_chain_seal(c, s, len, line);

        if (n < 0 || fwrite(line, 1, n, out) != (size_t) n) {
            fprintf(stderr, "audit_gen: cannot write record %llu\n", i);
            return 1;
        }
    }

    for (j = 0; j < nchains; j++) {
        kot_chain_wipe(&chains[j]);
    }

    free(chains);
    EVP_PKEY_free(pub);

    return fclose(out) == 0 ? 0 : 1;
}
