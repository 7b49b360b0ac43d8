/*
 * ngx_kot: base32 (RFC 4648 section 6) without padding.
 */

#include "kot_base32.h"


static const char  kot_base32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";


size_t
kot_base32_encode(char *dst, const uint8_t *src, size_t n)
{
    size_t    i, len;
    unsigned  bits;
    uint32_t  acc;

    len = 0;
    acc = 0;
    bits = 0;

    for (i = 0; i < n; i++) {
        acc = (acc << 8) | src[i];
        bits += 8;

        while (bits >= 5) {
            bits -= 5;
            dst[len++] = kot_base32_alphabet[(acc >> bits) & 0x1f];
        }
    }

    if (bits > 0) {
        dst[len++] = kot_base32_alphabet[(acc << (5 - bits)) & 0x1f];
    }

    return len;
}


static int
kot_base32_value(char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }

    if (c >= 'a' && c <= 'z') {
        return c - 'a';
    }

    if (c >= '2' && c <= '7') {
        return c - '2' + 26;
    }

    return -1;
}


ssize_t
kot_base32_decode(uint8_t *dst, size_t cap, const char *src, size_t n)
{
    int       v;
    size_t    i, len;
    unsigned  bits;
    uint32_t  acc;

    len = 0;
    acc = 0;
    bits = 0;

    for (i = 0; i < n; i++) {
        if (src[i] == ' ') {
            continue;
        }

        v = kot_base32_value(src[i]);
        if (v < 0) {
            return -1;
        }

        acc = (acc << 5) | (uint32_t) v;
        bits += 5;

        if (bits >= 8) {
            bits -= 8;

            if (len == cap) {
                return -1;
            }

            dst[len++] = (uint8_t) (acc >> bits);
        }
    }

    /* what is left must be padding bits, all zero, less than a byte */
    if (bits >= 5 || (acc & ((1u << bits) - 1)) != 0) {
        return -1;
    }

    return (ssize_t) len;
}
