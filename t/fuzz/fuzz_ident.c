/*
 * libFuzzer target: tenant and username normalisation.  Accepted names
 * use only their alphabet, keep their length and normalise to themselves.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kot_ident.h"


typedef int (*norm_pt)(const char *in, size_t len, char *out, size_t cap);


static void
check(norm_pt f, size_t max, const char *alphabet, const char *s,
    size_t size)
{
    int     n, m;
    char   *out, *again;
    size_t  i;

    out = malloc(max + 1);
    again = malloc(max + 1);
    if (out == NULL || again == NULL) {
        goto done;
    }

    n = f(s, size, out, max + 1);

    if (n < 0) {
        if (out[0] != '\0') {
            abort();
        }

        goto done;
    }

    if ((size_t) n != size || n == 0 || (size_t) n > max || out[n] != '\0') {
        abort();
    }

    for (i = 0; i < (size_t) n; i++) {
        if (strchr(alphabet, out[i]) == NULL || out[i] == '\0') {
            abort();
        }
    }

    m = f(out, (size_t) n, again, max + 1);
    if (m != n || memcmp(out, again, n) != 0) {
        abort();
    }

done:

    free(out);
    free(again);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char  *s;

    s = malloc(size ? size : 1);
    if (s == NULL) {
        return 0;
    }

    memcpy(s, data, size);

    check(kot_tenant_normalize, KOT_TENANT_MAX,
          "abcdefghijklmnopqrstuvwxyz0123456789.-", s, size);
    check(kot_username_normalize, KOT_USERNAME_MAX,
          "abcdefghijklmnopqrstuvwxyz0123456789._@+-", s, size);

    free(s);

    return 0;
}
