/*
 * libFuzzer target: kot_ua_device() on arbitrary User-Agent values, and
 * kot_device_words() on arbitrary stored forms.  What a page shows comes
 * only from the tables: no byte of the input may reach it.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kot_ua.h"


/* The words hold no markup and no control character, whatever came in. */

static void
check_words(const char *s, size_t n)
{
    size_t  i;

    if (n == 0 || n >= KOT_DEVICE_WORDS_MAX || strlen(s) != n) {
        abort();
    }

    for (i = 0; i < n; i++) {
        if (s[i] == '<' || s[i] == '>' || s[i] == '&' || s[i] == '"'
            || (unsigned char) s[i] < 0x20)
        {
            abort();
        }
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char    *s, stored[KOT_DEVICE_MAX], words[KOT_DEVICE_WORDS_MAX];
    size_t   n;

    s = malloc(size ? size : 1);
    if (s == NULL) {
        return 0;
    }

    memcpy(s, data, size);

    n = kot_ua_device(s, size, stored);

    if (n >= KOT_DEVICE_MAX || strlen(stored) != n
        || (n && memchr(stored, ';', n) == NULL))
    {
        abort();
    }

    check_words(words, kot_device_words(stored, n, KOT_LANG_EN, words));
    check_words(words, kot_device_words(stored, n, KOT_LANG_JA, words));

    /* the input read back as a stored form */
    check_words(words, kot_device_words(s, size, KOT_LANG_EN, words));

    free(s);

    return 0;
}
