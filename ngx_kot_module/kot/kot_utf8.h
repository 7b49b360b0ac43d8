/*
 * ngx_kot: private strict UTF-8 decoder shared by kot_policy.c and
 * kot_text.c.  Header-only so that the list of sources stays the same.
 */

#ifndef KOT_UTF8_H
#define KOT_UTF8_H

#include <stddef.h>
#include <stdint.h>


/*
 * Decodes the code point at s[0] (len >= 1) into *cp and returns the
 * number of bytes it takes, or -1 if the bytes there are not valid UTF-8:
 * a stray continuation byte, a truncated sequence, an overlong form, a
 * surrogate or a value above U+10FFFF.
 */

static inline int
kot_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
    int       n, i;
    uint32_t  c, min;

    c = s[0];

    if (c < 0x80) {
        *cp = c;
        return 1;
    }

    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        c &= 0x1f;
        min = 0x80;

    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        c &= 0x0f;
        min = 0x800;

    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        c &= 0x07;
        min = 0x10000;

    } else {
        return -1;
    }

    if (len < (size_t) n) {
        return -1;
    }

    for (i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return -1;
        }

        c = (c << 6) | (s[i] & 0x3f);
    }

    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
        return -1;
    }

    *cp = c;

    return n;
}

#endif /* KOT_UTF8_H */
