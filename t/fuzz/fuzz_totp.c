/*
 * libFuzzer target: what a browser can send to the second factor.  A
 * typed code is classified with its invariants holding, base32 decodes
 * only to bytes that encode back to the same value, and a sealed seed
 * that was not sealed by the key never opens.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kot_base32.h"
#include "kot_totp.h"


static void
code_kind(const uint8_t *data, size_t size)
{
    char             out[KOT_RECOVERY_CHARS + 1];
    size_t           n, i;
    kot_code_kind_t  kind;

    kind = kot_code_kind((const char *) data, size, out, &n);

    if (n > KOT_RECOVERY_CHARS || out[n] != '\0') {
        abort();
    }

    for (i = 0; i < n; i++) {
        if (kind == KOT_CODE_TOTP && (out[i] < '0' || out[i] > '9')) {
            abort();
        }

        if (kind == KOT_CODE_RECOVERY
            && !((out[i] >= 'a' && out[i] <= 'z')
                 || (out[i] >= '2' && out[i] <= '7')))
        {
            abort();
        }
    }

    if ((kind == KOT_CODE_TOTP && n != KOT_TOTP_DIGITS)
        || (kind == KOT_CODE_RECOVERY && n != KOT_RECOVERY_CHARS))
    {
        abort();
    }
}


static void
base32(const uint8_t *data, size_t size)
{
    char     *txt;
    ssize_t   d;
    uint8_t  *bin, *again;

    bin = malloc(size + 1);
    again = malloc(size + 1);
    txt = malloc(kot_base32_encoded_len(size) + 1);
    if (bin == NULL || again == NULL || txt == NULL) {
        goto done;
    }

    d = kot_base32_decode(bin, size, (const char *) data, size);

    if (d >= 0) {
        size_t  n = kot_base32_encode(txt, bin, (size_t) d);

        if (kot_base32_decode(again, size, txt, n) != d
            || memcmp(bin, again, (size_t) d) != 0)
        {
            abort();
        }
    }

done:

    free(bin);
    free(again);
    free(txt);
}


static void
sealed(const uint8_t *data, size_t size)
{
    uint8_t  key[32], seed[KOT_TOTP_SEED_LEN];

    memset(key, 0x5a, sizeof(key));

    if (kot_totp_open(key, "kot-v1 totp a:b", 15, (const char *) data, size,
                      seed)
        == 0)
    {
        abort();
    }

    (void) kot_totp_issuer_valid((const char *) data, size);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    code_kind(data, size);
    base32(data, size);
    sealed(data, size);

    return 0;
}
