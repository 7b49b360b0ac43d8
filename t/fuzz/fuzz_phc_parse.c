/*
 * libFuzzer target: PHC string parsing only (kot_phc_params and
 * kot_phc_needs_rehash); never a hash, which would take seconds.
 * Whatever parses must be in range and spelt canonically.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kot_phc.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                  rc, n, expect;
    char                *s, prefix[64];
    kot_scrypt_params_t  sp, want = KOT_SCRYPT_DEFAULT;

    s = malloc(size ? size : 1);
    if (s == NULL) {
        return 0;
    }

    memcpy(s, data, size);

    rc = kot_phc_params(s, size, &sp);

    if (rc == 0) {
        if (kot_scrypt_params_ok(&sp) != 0) {
            abort();
        }

        n = snprintf(prefix, sizeof(prefix), "$scrypt$ln=%u,r=%u,p=%u$",
                     sp.ln, sp.r, sp.p);

        if (size != (size_t) n + 22 + 1 + 43
            || memcmp(s, prefix, n) != 0 || s[n + 22] != '$')
        {
            abort();
        }
    }

    expect = (rc != 0) ? -1 : (sp.ln < want.ln || sp.r < want.r
                               || sp.p < want.p);

    if (kot_phc_needs_rehash(s, size, &want) != expect) {
        abort();
    }

    free(s);

    return 0;
}
