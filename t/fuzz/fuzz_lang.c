/*
 * libFuzzer target: kot_lang_pick() on arbitrary Accept-Language values.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kot_lang.h"


/* Japanese needs "ja" somewhere, in either case. */

static int
has_ja(const char *s, size_t size)
{
    size_t  i;

    for (i = 0; i + 1 < size; i++) {
        if ((s[i] | 0x20) == 'j' && (s[i + 1] | 0x20) == 'a') {
            return 1;
        }
    }

    return 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char        *s;
    kot_lang_t   lang;

    s = malloc(size ? size : 1);
    if (s == NULL) {
        return 0;
    }

    memcpy(s, data, size);

    lang = kot_lang_pick(s, size);

    if (lang != KOT_LANG_EN && lang != KOT_LANG_JA) {
        abort();
    }

    if (lang == KOT_LANG_JA && !has_ja(s, size)) {
        abort();
    }

    free(s);

    return 0;
}
