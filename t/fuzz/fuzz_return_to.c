/*
 * libFuzzer target: kot_return_to_ok().  Whatever it accepts must be a
 * local path, as given (printable ASCII) and after every decoding, strict
 * or lenient (spaces and UTF-8 allowed, controls not).
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kot_form.h"
#include "kot_return_to.h"


static int
local_path(const char *s, size_t len, int decoded)
{
    size_t         i;
    unsigned char  c;

    if (len == 0 || len > KOT_RETURN_TO_MAX || s[0] != '/'
        || (len > 1 && (s[1] == '/' || s[1] == '\\')))
    {
        return 0;
    }

    for (i = 0; i < len; i++) {
        c = (unsigned char) s[i];

        if (c < 0x20 || c == 0x7f || c == '\\'
            || (!decoded && (c == ' ' || c > 0x7e)))
        {
            return 0;
        }
    }

    return 1;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    long    n;
    char   *s, *dec;
    size_t  len, m;

    s = malloc(size ? size : 1);
    dec = malloc(size ? size : 1);
    if (s == NULL || dec == NULL) {
        free(s);
        free(dec);
        return 0;
    }

    memcpy(s, data, size);

    if (kot_return_to_ok(s, size)) {
        if (!local_path(s, size, 0)) {
            abort();
        }

        n = kot_url_decode(dec, s, size, 0);
        if (n >= 0 && !local_path(dec, (size_t) n, 1)) {
            abort();
        }

        for (len = size; ; len = m) {
            m = kot_url_decode_lenient(dec, s, len);
            if (m == len) {
                break;
            }

            if (!local_path(dec, m, 1)) {
                abort();
            }

            memcpy(s, dec, m);
        }
    }

    free(s);
    free(dec);

    return 0;
}
