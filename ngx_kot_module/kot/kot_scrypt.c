/*
 * ngx_kot: scrypt (RFC 7914), with a pause every few tens of microseconds.
 *
 * OpenSSL's EVP_KDF "SCRYPT" computes a hash in one piece, 0.3 s at
 * ln=17.  The module runs hashes at the lowest CPU priority, and some
 * kernels (the 2-CPU VMs we measure on among them) let a low-priority
 * thread finish its time slice, up to a scheduler tick, before a woken
 * event loop gets the CPU back: every request then waits behind a hash.
 * Here the memory-hard part (ROMix) calls kot_scrypt_pause, if set,
 * after each slice of work; the module yields the CPU there.  PBKDF2
 * stays with OpenSSL.  The unit tests compare every result with
 * EVP_KDF "SCRYPT" and the RFC's vectors.
 */

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "kot_crypto.h"
#include "kot_phc.h"
#include "kot_scrypt.h"


/* Salsa20/8 cores between pauses: about 25 us on a current x86 core */
#define KOT_SCRYPT_SLICE  512

/* bounds PBKDF2's int lengths */
#define KOT_SCRYPT_OUT_MAX  (1024 * 1024)

/* V is wiped in pieces this large, with a pause after each */
#define KOT_SCRYPT_WIPE   (1024 * 1024)


void  (*kot_scrypt_pause)(void);


static void kot_scrypt_romix(uint32_t *b, size_t r, uint64_t n,
    uint32_t *v, uint32_t *xy);
static void kot_scrypt_slice_done(uint64_t *left, uint64_t every);
static void kot_scrypt_blockmix(const uint32_t *b, uint32_t *y, size_t r);
static void kot_scrypt_salsa(uint32_t b[16]);
static void kot_scrypt_wipe(void *p, size_t len);
static uint32_t kot_le32(const uint8_t *p);
static void kot_put_le32(uint8_t *p, uint32_t v);


int
kot_scrypt(const char *pw, size_t pw_len, const uint8_t *salt,
    size_t salt_len, unsigned ln, unsigned r, unsigned p, uint8_t *out,
    size_t out_len)
{
    int        rc;
    size_t     i, words, blen, vlen;
    uint8_t   *b;
    uint32_t  *w, *v, *xy;
    uint64_t   n;

    if (ln < 1 || ln > KOT_SCRYPT_LN_MAX || r < 1 || r > KOT_SCRYPT_R_MAX
        || p < 1 || p > KOT_SCRYPT_P_MAX || out_len == 0
        || out_len > KOT_SCRYPT_OUT_MAX || pw_len > KOT_SCRYPT_OUT_MAX
        || salt_len > KOT_SCRYPT_OUT_MAX)
    {
        return -1;
    }

    if ((pw == NULL && pw_len != 0) || (salt == NULL && salt_len != 0)) {
        return -1;
    }

    /* within the bounds above none of these can wrap */

    n = (uint64_t) 1 << ln;
    words = 32 * (size_t) r;                    /* one 128 * r byte block */
    blen = 128 * (size_t) r * p;
    vlen = 128 * (size_t) r * (size_t) n;

    b = malloc(blen);
    w = malloc(blen + 256 * (size_t) r);
    v = malloc(vlen);

    rc = -1;

    if (b == NULL || w == NULL || v == NULL) {
        goto done;
    }

    xy = w + words * p;

    if (PKCS5_PBKDF2_HMAC(pw ? pw : "", (int) pw_len,
                          salt ? salt : (const uint8_t *) "",
                          (int) salt_len, 1, EVP_sha256(), (int) blen, b)
        != 1)
    {
        goto done;
    }

    for (i = 0; i < words * p; i++) {
        w[i] = kot_le32(b + 4 * i);
    }

    for (i = 0; i < p; i++) {
        kot_scrypt_romix(w + words * i, r, n, v, xy);
    }

    for (i = 0; i < words * p; i++) {
        kot_put_le32(b + 4 * i, w[i]);
    }

    if (PKCS5_PBKDF2_HMAC(pw ? pw : "", (int) pw_len, b, (int) blen, 1,
                          EVP_sha256(), (int) out_len, out)
        == 1)
    {
        rc = 0;
    }

done:

    if (v) {
        kot_scrypt_wipe(v, vlen);
        free(v);
    }

    if (w) {
        kot_cleanse(w, blen + 256 * (size_t) r);
        free(w);
    }

    if (b) {
        kot_cleanse(b, blen);
        free(b);
    }

    return rc;
}


/* ROMix of RFC 7914, section 5, on b (32 * r words) in place */

static void
kot_scrypt_romix(uint32_t *b, size_t r, uint64_t n, uint32_t *v,
    uint32_t *xy)
{
    size_t     k, words;
    uint32_t  *x, *y;
    uint64_t   i, j, every, left;

    words = 32 * r;
    x = xy;
    y = xy + words;

    /* BlockMix runs 2 * r cores: pause after about a slice of them */
    every = KOT_SCRYPT_SLICE / (2 * r);
    left = every;

    memcpy(x, b, words * sizeof(uint32_t));

    for (i = 0; i < n; i++) {
        memcpy(&v[i * words], x, words * sizeof(uint32_t));
        kot_scrypt_blockmix(&v[i * words], x, r);

        if (--left == 0) {
            kot_scrypt_slice_done(&left, every);
        }
    }

    for (i = 0; i < n; i++) {
        /* Integerify: the first word of the last 64-byte block */
        j = x[(2 * r - 1) * 16] & (n - 1);

        for (k = 0; k < words; k++) {
            y[k] = x[k] ^ v[j * words + k];
        }

        kot_scrypt_blockmix(y, x, r);

        if (--left == 0) {
            kot_scrypt_slice_done(&left, every);
        }
    }

    memcpy(b, x, words * sizeof(uint32_t));
}


static void
kot_scrypt_slice_done(uint64_t *left, uint64_t every)
{
    *left = every;

    if (kot_scrypt_pause) {
        kot_scrypt_pause();
    }
}


/* BlockMix of RFC 7914, section 4: b (2 * r blocks of 16 words) into y */

static void
kot_scrypt_blockmix(const uint32_t *b, uint32_t *y, size_t r)
{
    size_t    i, k;
    uint32_t  t[16];

    memcpy(t, &b[(2 * r - 1) * 16], sizeof(t));

    for (i = 0; i < 2 * r; i++) {
        for (k = 0; k < 16; k++) {
            t[k] ^= b[i * 16 + k];
        }

        kot_scrypt_salsa(t);

        /* even blocks to the first half, odd ones to the second */
        memcpy(&y[((i & 1) * r + i / 2) * 16], t, sizeof(t));
    }
}


#define KOT_ROTL(a, b)  (((a) << (b)) | ((a) >> (32 - (b))))

/*
 * Salsa20/8 core of RFC 7914, section 3, in place.  The state lives in
 * sixteen variables, not an array: so GCC at -O2 keeps it in registers.
 */

static void
kot_scrypt_salsa(uint32_t b[16])
{
    int       i;
    uint32_t  x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11, x12, x13,
              x14, x15;

    x0 = b[0]; x1 = b[1]; x2 = b[2]; x3 = b[3];
    x4 = b[4]; x5 = b[5]; x6 = b[6]; x7 = b[7];
    x8 = b[8]; x9 = b[9]; x10 = b[10]; x11 = b[11];
    x12 = b[12]; x13 = b[13]; x14 = b[14]; x15 = b[15];

    for (i = 0; i < 8; i += 2) {
        /* columns */
        x4 ^= KOT_ROTL(x0 + x12, 7);   x8 ^= KOT_ROTL(x4 + x0, 9);
        x12 ^= KOT_ROTL(x8 + x4, 13);  x0 ^= KOT_ROTL(x12 + x8, 18);
        x9 ^= KOT_ROTL(x5 + x1, 7);    x13 ^= KOT_ROTL(x9 + x5, 9);
        x1 ^= KOT_ROTL(x13 + x9, 13);  x5 ^= KOT_ROTL(x1 + x13, 18);
        x14 ^= KOT_ROTL(x10 + x6, 7);  x2 ^= KOT_ROTL(x14 + x10, 9);
        x6 ^= KOT_ROTL(x2 + x14, 13);  x10 ^= KOT_ROTL(x6 + x2, 18);
        x3 ^= KOT_ROTL(x15 + x11, 7);  x7 ^= KOT_ROTL(x3 + x15, 9);
        x11 ^= KOT_ROTL(x7 + x3, 13);  x15 ^= KOT_ROTL(x11 + x7, 18);

        /* rows */
        x1 ^= KOT_ROTL(x0 + x3, 7);    x2 ^= KOT_ROTL(x1 + x0, 9);
        x3 ^= KOT_ROTL(x2 + x1, 13);   x0 ^= KOT_ROTL(x3 + x2, 18);
        x6 ^= KOT_ROTL(x5 + x4, 7);    x7 ^= KOT_ROTL(x6 + x5, 9);
        x4 ^= KOT_ROTL(x7 + x6, 13);   x5 ^= KOT_ROTL(x4 + x7, 18);
        x11 ^= KOT_ROTL(x10 + x9, 7);  x8 ^= KOT_ROTL(x11 + x10, 9);
        x9 ^= KOT_ROTL(x8 + x11, 13);  x10 ^= KOT_ROTL(x9 + x8, 18);
        x12 ^= KOT_ROTL(x15 + x14, 7); x13 ^= KOT_ROTL(x12 + x15, 9);
        x14 ^= KOT_ROTL(x13 + x12, 13); x15 ^= KOT_ROTL(x14 + x13, 18);
    }

    b[0] += x0; b[1] += x1; b[2] += x2; b[3] += x3;
    b[4] += x4; b[5] += x5; b[6] += x6; b[7] += x7;
    b[8] += x8; b[9] += x9; b[10] += x10; b[11] += x11;
    b[12] += x12; b[13] += x13; b[14] += x14; b[15] += x15;
}


/* 128 MiB wiped in one go would be a slice of several milliseconds */

static void
kot_scrypt_wipe(void *p, size_t len)
{
    size_t    k;
    uint8_t  *q;

    for (q = p; len > 0; q += k, len -= k) {
        k = len < KOT_SCRYPT_WIPE ? len : KOT_SCRYPT_WIPE;
        kot_cleanse(q, k);

        if (kot_scrypt_pause) {
            kot_scrypt_pause();
        }
    }
}


static uint32_t
kot_le32(const uint8_t *p)
{
    return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16
           | (uint32_t) p[3] << 24;
}


static void
kot_put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t) v;
    p[1] = (uint8_t) (v >> 8);
    p[2] = (uint8_t) (v >> 16);
    p[3] = (uint8_t) (v >> 24);
}
