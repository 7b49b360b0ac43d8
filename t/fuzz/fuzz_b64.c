/*
 * libFuzzer target: the base64 decoders must accept only canonical text
 * (decoding then encoding gives the input back), and encoding any bytes
 * must decode to them again.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kot_b64.h"


typedef ssize_t (*decode_pt)(uint8_t *dst, size_t cap, const char *src,
    size_t n);
typedef size_t (*encode_pt)(char *dst, const uint8_t *src, size_t n);


static void
canonical(decode_pt dec, encode_pt enc, const uint8_t *data, size_t size)
{
    char     *txt;
    size_t    cap, n;
    ssize_t   d;
    uint8_t  *bin;

    cap = kot_b64_decoded_len(size);
    bin = malloc(cap ? cap : 1);
    txt = malloc(size ? size : 1);
    if (bin == NULL || txt == NULL) {
        goto done;
    }

    d = dec(bin, cap, (const char *) data, size);

    if (d >= 0) {
        n = enc(txt, bin, (size_t) d);
        if (n != size || memcmp(txt, data, size) != 0) {
            abort();
        }
    }

    /* one byte short of room must be refused, not overrun */

    if (d > 0 && dec(bin, (size_t) d - 1, (const char *) data, size) != -1) {
        abort();
    }

done:

    free(bin);
    free(txt);
}


static void
round_trip(decode_pt dec, encode_pt enc, const uint8_t *data, size_t size)
{
    char     *txt;
    size_t    n;
    uint8_t  *bin;

    txt = malloc(kot_b64_encoded_len(size) + 1);
    bin = malloc(size ? size : 1);
    if (bin == NULL || txt == NULL) {
        goto done;
    }

    n = enc(txt, data, size);

    if (n != kot_b64_encoded_len(size)
        || dec(bin, size, txt, n) != (ssize_t) size
        || memcmp(bin, data, size) != 0)
    {
        abort();
    }

done:

    free(bin);
    free(txt);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    canonical(kot_b64_decode, kot_b64_encode, data, size);
    canonical(kot_b64url_decode, kot_b64url_encode, data, size);
    round_trip(kot_b64_decode, kot_b64_encode, data, size);
    round_trip(kot_b64url_decode, kot_b64url_encode, data, size);

    return 0;
}
