/*
 * ngx_kot: unpadded base64 and base64url with strict decoders.
 */

#include <limits.h>

#include "kot_b64.h"


static const char  kot_b64_std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static const char  kot_b64_url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";


static size_t kot_b64_encode_with(char *dst, const uint8_t *src, size_t n,
    const char *alphabet);
static ssize_t kot_b64_decode_with(uint8_t *dst, size_t cap, const char *src,
    size_t n, char c62, char c63);
static int kot_b64_value(unsigned char c, char c62, char c63);


size_t
kot_b64url_encode(char *dst, const uint8_t *src, size_t n)
{
    return kot_b64_encode_with(dst, src, n, kot_b64_url);
}


size_t
kot_b64_encode(char *dst, const uint8_t *src, size_t n)
{
    return kot_b64_encode_with(dst, src, n, kot_b64_std);
}


ssize_t
kot_b64url_decode(uint8_t *dst, size_t cap, const char *src, size_t n)
{
    return kot_b64_decode_with(dst, cap, src, n, '-', '_');
}


ssize_t
kot_b64_decode(uint8_t *dst, size_t cap, const char *src, size_t n)
{
    return kot_b64_decode_with(dst, cap, src, n, '+', '/');
}


static size_t
kot_b64_encode_with(char *dst, const uint8_t *src, size_t n,
    const char *alphabet)
{
    char  *p;

    p = dst;

    while (n >= 3) {
        *p++ = alphabet[src[0] >> 2];
        *p++ = alphabet[((src[0] & 0x03) << 4) | (src[1] >> 4)];
        *p++ = alphabet[((src[1] & 0x0f) << 2) | (src[2] >> 6)];
        *p++ = alphabet[src[2] & 0x3f];

        src += 3;
        n -= 3;
    }

    if (n == 1) {
        *p++ = alphabet[src[0] >> 2];
        *p++ = alphabet[(src[0] & 0x03) << 4];

    } else if (n == 2) {
        *p++ = alphabet[src[0] >> 2];
        *p++ = alphabet[((src[0] & 0x03) << 4) | (src[1] >> 4)];
        *p++ = alphabet[(src[1] & 0x0f) << 2];
    }

    return p - dst;
}


/*
 * The two alphabets differ only in the last two characters.  Letters and
 * digits are tested by range, not with ctype, which depends on the locale.
 */

static int
kot_b64_value(unsigned char c, char c62, char c63)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }

    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }

    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }

    if (c == (unsigned char) c62) {
        return 62;
    }

    if (c == (unsigned char) c63) {
        return 63;
    }

    return -1;
}


static ssize_t
kot_b64_decode_with(uint8_t *dst, size_t cap, const char *src, size_t n,
    char c62, char c63)
{
    int            v;
    size_t         i, rem, out_len, o;
    uint32_t       acc;
    unsigned char  c;

    rem = n % 4;

    if (rem == 1) {
        return -1;
    }

    /* computed without n * 3, which could wrap */

    out_len = n / 4 * 3 + (rem ? rem - 1 : 0);

    if (out_len > cap || out_len > (size_t) SSIZE_MAX) {
        return -1;
    }

    acc = 0;
    o = 0;

    for (i = 0; i < n; i++) {
        c = (unsigned char) src[i];

        v = kot_b64_value(c, c62, c63);
        if (v < 0) {
            return -1;
        }

        acc = (acc << 6) | (uint32_t) v;

        if (i % 4 == 3) {
            dst[o++] = (uint8_t) (acc >> 16);
            dst[o++] = (uint8_t) (acc >> 8);
            dst[o++] = (uint8_t) acc;
            acc = 0;
        }
    }

    /*
     * Leftover bits that no output byte uses must be zero; otherwise
     * several strings would decode to the same bytes.
     */

    if (rem == 2) {
        if (acc & 0x0f) {
            return -1;
        }

        dst[o++] = (uint8_t) (acc >> 4);

    } else if (rem == 3) {
        if (acc & 0x03) {
            return -1;
        }

        dst[o++] = (uint8_t) (acc >> 10);
        dst[o++] = (uint8_t) (acc >> 2);
    }

    return (ssize_t) o;
}
