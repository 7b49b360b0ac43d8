/*
 * libFuzzer target: kot_chain_check() reads lines from log files that
 * anyone with the file could have written.  It must never read outside
 * the line, never accept a line that is not exactly what a writer
 * sealed, and never move the chain on a refused line.  The first byte
 * picks the algorithm, and for Poly1305 the format: a key per record, or
 * a key per write (ngx_kot/3, or ngx_kot/2), where the line comes as the
 * first record of the second write, after one record of the first.
 * There, the line framed and sealed in a run (kot_chain_frame(), as the
 * module writes request records) must be the line sealed at once.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kot_chain.h"


static const uint8_t  k0[KOT_CHAIN_KEY_LEN] = { 7 };
static const char     first[] = "{\"event.sequence\":0}";


/* A verifier (or a writer) where the line's record comes next. */

static void
chain(kot_chain_t *c, kot_chain_alg_t alg, int format, int writer)
{
    char  line[sizeof(first) + KOT_CHAIN_SUFFIX_MAX];
    long  n;

    if (kot_chain_resume(c, "0123456789abcdef", k0, alg) != 0) {
        abort();
    }

    if (format == 1) {
        return;
    }

    if (kot_chain_batched(c, format) != 0) {
        abort();
    }

    n = kot_chain_seal(c, first, sizeof(first) - 1, line);

    if (n <= 0 || kot_chain_written(c) != 0) {
        abort();
    }

    if (!writer) {
        /* the verifier checks what the writer sealed, from K_0 again */
        kot_chain_wipe(c);

        if (kot_chain_resume(c, "0123456789abcdef", k0, alg) != 0
            || kot_chain_batched(c, format) != 0
            || kot_chain_check(c, line, (size_t) n - 1) != 1)
        {
            abort();
        }
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int               rc, format;
    char             *line, *sealed, *framed, *failed;
    long              n, m;
    uint64_t          seq;
    kot_chain_alg_t   alg;
    kot_chain_t       v, w, f;

    if (size == 0) {
        return 0;
    }

    alg = data[0] & 1 ? KOT_CHAIN_HMAC_SHA256 : KOT_CHAIN_POLY1305;
    format = alg == KOT_CHAIN_HMAC_SHA256 || !(data[0] & 2) ? 1
             : (data[0] & 4) ? 2 : 3;
    data++;
    size--;

    /* an exact copy, so that ASan sees any read past the line */

    line = malloc(size ? size : 1);
    sealed = malloc(size + KOT_CHAIN_SUFFIX_MAX);
    framed = malloc(size + KOT_CHAIN_SUFFIX_MAX);
    if (line == NULL || sealed == NULL || framed == NULL) {
        abort();
    }

    memcpy(line, data, size);

    chain(&v, alg, format, 0);
    seq = v.seq;

    rc = kot_chain_check(&v, line, size);

    if (rc < -1 || rc > 1 || (rc != 1 && (v.seq != seq || v.batch != 0)))
    {
        abort();
    }

    /* whatever a writer seals, a verifier with the same key accepts */

    kot_chain_wipe(&v);
    chain(&v, alg, format, 0);
    chain(&w, alg, format, 1);

    n = kot_chain_seal(&w, line, size, sealed);

    if (n > 0 && kot_chain_check(&v, sealed, (size_t) n - 1) != 1) {
        abort();
    }

    if (format != 1) {
        chain(&f, alg, format, 1);
        m = kot_chain_frame(&f, line, size, framed);

        if (m != n
            || (m > 0 && (kot_chain_seal_framed(&f, &failed) != 0
                          || memcmp(framed, sealed, (size_t) m) != 0
                          || f.seq != w.seq)))
        {
            abort();
        }

        kot_chain_wipe(&f);
    }

    kot_chain_wipe(&v);
    kot_chain_wipe(&w);
    free(line);
    free(sealed);
    free(framed);

    return 0;
}
