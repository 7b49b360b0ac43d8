/*
 * The single-core scrypt rate at the default cost (ln=17, r=8, p=1):
 * kot_scrypt(), the function that kot's hashing threads run, and
 * OpenSSL's EVP_KDF "SCRYPT", in turn in this one process, each in
 * hashes per second of the process's CPU time.  bench/logins sets the
 * login rate of a hashing core against the first: what a login costs
 * besides its hash.  Each hash allocates its 128 MiB afresh, as a login's
 * does.  It measures; t/unit/test_phc.c tests.
 *
 *     make build/bench/scrypt && build/bench/scrypt [runs]
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "kot_scrypt.h"


#define BENCH_LN    17
#define BENCH_R     8
#define BENCH_P     1
#define BENCH_RUNS  8

static const char     bench_pw[] = "correct horse battery";
static const uint8_t  bench_salt[16] = "0123456789abcdef";


static double
cpu_s(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);

    return ts.tv_sec + ts.tv_nsec / 1e9;
}


static int
kot_hash(uint8_t *out)
{
    return kot_scrypt(bench_pw, sizeof(bench_pw) - 1, bench_salt,
                      sizeof(bench_salt), BENCH_LN, BENCH_R, BENCH_P, out,
                      32);
}


static int
openssl_hash(uint8_t *out)
{
    int           rc;
    EVP_KDF      *kdf;
    OSSL_PARAM    params[6];
    EVP_KDF_CTX  *ctx;
    uint64_t      n = 1ULL << BENCH_LN;
    uint32_t      r = BENCH_R, p = BENCH_P;

    kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL);
    ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    EVP_KDF_free(kdf);

    if (ctx == NULL) {
        return -1;
    }

    params[0] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD,
                    (void *) bench_pw, sizeof(bench_pw) - 1);
    params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
                    (void *) bench_salt, sizeof(bench_salt));
    params[2] = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n);
    params[3] = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r);
    params[4] = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p);
    params[5] = OSSL_PARAM_construct_end();

    rc = EVP_KDF_derive(ctx, out, 32, params) == 1 ? 0 : -1;
    EVP_KDF_CTX_free(ctx);

    return rc;
}


int
main(int argc, char **argv)
{
    int      i, runs;
    double   t, kot, ossl;
    uint8_t  a[32], b[32];

    runs = argc > 1 ? atoi(argv[1]) : BENCH_RUNS;
    if (runs < 1) {
        fprintf(stderr, "usage: scrypt [runs]\n");
        return 2;
    }

    kot = 0;
    ossl = 0;

    /* in turn, so that whatever else the machine does hits both alike */
    for (i = 0; i < runs; i++) {
        t = cpu_s();
        if (kot_hash(a) != 0) {
            fprintf(stderr, "scrypt: kot_scrypt failed\n");
            return 1;
        }
        kot += cpu_s() - t;

        t = cpu_s();
        if (openssl_hash(b) != 0) {
            fprintf(stderr, "scrypt: EVP_KDF SCRYPT failed\n");
            return 1;
        }
        ossl += cpu_s() - t;
    }

    printf("scrypt: kot %.2f/s, openssl %.2f/s per CPU second (%s)\n",
           runs / kot, runs / ossl,
           memcmp(a, b, sizeof(a)) == 0 ? "same hash" : "DIFFERENT HASH");

    return memcmp(a, b, sizeof(a)) == 0 ? 0 : 1;
}
