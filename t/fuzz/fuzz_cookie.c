/*
 * libFuzzer target: kot_cookie_find().  The first byte gives the length
 * of the cookie name, taken from the bytes that follow; the rest is the
 * header.
 */

#define _GNU_SOURCE     /* memmem() */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kot_cookie.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char        *hdr, *name;
    size_t       name_len, hdr_len, value_len;
    const char  *value;

    if (size < 1) {
        return 0;
    }

    name_len = data[0] % 16;
    if (name_len > size - 1) {
        name_len = size - 1;
    }

    hdr_len = size - 1 - name_len;

    name = malloc(name_len ? name_len : 1);
    hdr = malloc(hdr_len ? hdr_len : 1);
    if (name == NULL || hdr == NULL) {
        free(name);
        free(hdr);
        return 0;
    }

    memcpy(name, data + 1, name_len);
    memcpy(hdr, data + 1 + name_len, hdr_len);

    if (kot_cookie_find(hdr, hdr_len, name, name_len, &value, &value_len)) {
        if (name_len == 0 || value < hdr || value + value_len > hdr + hdr_len
            || memmem(hdr, hdr_len, name, name_len) == NULL)
        {
            abort();
        }
    }

    free(name);
    free(hdr);

    return 0;
}
