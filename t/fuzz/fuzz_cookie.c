/*
 * libFuzzer target: kot_cookie_find().  The first byte gives the length
 * of the cookie name, taken from the bytes that follow; the rest is the
 * header.  The header also goes through kot_cookie_strip(), which must
 * stay within its bound, leave none of ngx_kot's cookies, and change
 * nothing on a second pass; and through kot_cookie_sets_ours().
 */

#define _GNU_SOURCE     /* memmem() */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kot_cookie.h"


static const char  *ours[] = {
    "__Host-kot_session", "__Host-kot_pre", "__Host-kot_mfa",
    "kot_session", "kot_pre", "kot_mfa"
};


static void
check_strip(const char *hdr, size_t len)
{
    char        *out, *again;
    size_t       n, m, i, value_len;
    const char  *value;

    out = malloc(2 * len + 1);
    again = malloc(4 * len + 1);
    if (out == NULL || again == NULL) {
        free(out);
        free(again);
        return;
    }

    n = kot_cookie_strip(hdr, len, out);
    if (n > 2 * len) {
        abort();
    }

    for (i = 0; i < sizeof(ours) / sizeof(ours[0]); i++) {
        if (kot_cookie_find(out, n, ours[i], strlen(ours[i]), &value,
                            &value_len))
        {
            abort();
        }
    }

    m = kot_cookie_strip(out, n, again);
    if (m != n || memcmp(out, again, n) != 0) {
        abort();
    }

    (void) kot_cookie_sets_ours(hdr, len);

    free(out);
    free(again);
}


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

    check_strip(hdr, hdr_len);

    free(name);
    free(hdr);

    return 0;
}
