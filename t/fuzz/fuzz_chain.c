/*
 * libFuzzer target: kot_chain_check() reads lines from log files that
 * anyone with the file could have written.  It must never read outside
 * the line, never accept a line that is not exactly what a writer
 * sealed, and never move the chain on a refused line.  The first byte
 * picks the algorithm.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kot_chain.h"


static const uint8_t  k0[KOT_CHAIN_KEY_LEN] = { 7 };


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int               rc;
    char             *line, *sealed;
    long              n;
    kot_chain_alg_t   alg;
    kot_chain_t       v, w;

    if (size == 0) {
        return 0;
    }

    alg = data[0] & 1 ? KOT_CHAIN_HMAC_SHA256 : KOT_CHAIN_POLY1305;
    data++;
    size--;

    /* an exact copy, so that ASan sees any read past the line */

    line = malloc(size ? size : 1);
    sealed = malloc(size + KOT_CHAIN_SUFFIX_MAX);
    if (line == NULL || sealed == NULL) {
        abort();
    }

    memcpy(line, data, size);

    if (kot_chain_resume(&v, "0123456789abcdef", k0, alg) != 0) {
        abort();
    }

    rc = kot_chain_check(&v, line, size);

    if (rc < -1 || rc > 1 || (rc != 1 && v.seq != 0)) {
        abort();
    }

    /* whatever a writer seals, a verifier with the same key accepts */

    if (kot_chain_resume(&w, "0123456789abcdef", k0, alg) != 0) {
        abort();
    }

    kot_chain_wipe(&v);

    if (kot_chain_resume(&v, "0123456789abcdef", k0, alg) != 0) {
        abort();
    }

    n = kot_chain_seal(&w, line, size, sealed);

    if (n > 0 && kot_chain_check(&v, sealed, (size_t) n - 1) != 1) {
        abort();
    }

    kot_chain_wipe(&v);
    kot_chain_wipe(&w);
    free(line);
    free(sealed);

    return 0;
}
