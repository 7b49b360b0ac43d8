/*
 * ngx_kot: cryptographic primitives on top of OpenSSL 3.0.
 *
 * HMAC and SHA-256 use OpenSSL's SHA-256 block functions directly: they
 * run on every request (the session id) and every audit record, where
 * the EVP_MAC interface costs an algorithm fetch, a lock and several
 * allocations per call.  HMAC itself is RFC 2104, checked against RFC
 * 4231's vectors in t/unit/test_crypto.c.
 */

/* the SHA-256 block API is deprecated in 3.0, not gone */
#define OPENSSL_API_COMPAT  0x10101000L

#include <limits.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "kot_crypto.h"


#define KOT_DERIVE_PREFIX  "kot-v1 "
#define KOT_SHA256_BLOCK   64


typedef struct {
    SHA256_CTX   inner;     /* after key ^ ipad */
    SHA256_CTX   outer;     /* after key ^ opad */
} kot_hmac_state_t;

typedef char  kot_hmac_fits[sizeof(kot_hmac_state_t)
                            <= sizeof(kot_hmac_key_t) ? 1 : -1];
typedef char  kot_hmac_ctx_fits[sizeof(SHA256_CTX)
                                <= sizeof(kot_hmac_ctx_t) ? 1 : -1];


/*
 * OpenSSL 3.0's Poly1305 on CPUs with AVX512IFMA returns with the upper
 * halves of the YMM registers in use (XGETBV(1) says so; its SHA-256,
 * ChaCha20, AES-GCM and DRBG leave them clean).  Until a VZEROUPPER,
 * Intel CPUs then make the SSE instructions that nginx and glibc run
 * pay for the mixed state: with one audit record sealed when a worker
 * starts, each of its requests took about 1 us more of CPU
 * (bench/README.md, "The vector registers after Poly1305").
 */

void
kot_vector_clean(void)
{
#if defined(__x86_64__) || defined(__i386__)
    if (__builtin_cpu_supports("avx")) {
        __asm__ volatile ("vzeroupper");
    }
#endif
}


int
kot_random(void *buf, size_t len)
{
    uint8_t  *p;
    size_t    chunk;

    /* RAND_bytes() takes an int: feed it in pieces it can take */

    p = buf;

    while (len > 0) {
        chunk = len > INT_MAX ? INT_MAX : len;

        if (RAND_bytes(p, (int) chunk) != 1) {
            return -1;
        }

        p += chunk;
        len -= chunk;
    }

    return 0;
}


void
kot_hmac_key(kot_hmac_key_t *k, const uint8_t *key, size_t key_len)
{
    size_t             i;
    uint8_t            block[KOT_SHA256_BLOCK], pad[KOT_SHA256_BLOCK];
    kot_hmac_state_t  *st = (kot_hmac_state_t *) k;

    memset(block, 0, sizeof(block));

    if (key_len > KOT_SHA256_BLOCK) {
        (void) kot_sha256(key, key_len, block);

    } else if (key_len > 0) {
        memcpy(block, key, key_len);
    }

    for (i = 0; i < KOT_SHA256_BLOCK; i++) {
        pad[i] = block[i] ^ 0x36;
    }

    SHA256_Init(&st->inner);
    SHA256_Update(&st->inner, pad, sizeof(pad));

    for (i = 0; i < KOT_SHA256_BLOCK; i++) {
        pad[i] = block[i] ^ 0x5c;
    }

    SHA256_Init(&st->outer);
    SHA256_Update(&st->outer, pad, sizeof(pad));

    kot_cleanse(block, sizeof(block));
    kot_cleanse(pad, sizeof(pad));
}


void
kot_hmac_mac(const kot_hmac_key_t *k, const void *a, size_t a_len,
    const void *b, size_t b_len, uint8_t out[KOT_MAC_LEN])
{
    kot_hmac_ctx_t  ctx;

    kot_hmac_begin(&ctx, k);
    kot_hmac_update(&ctx, a, a_len);
    kot_hmac_update(&ctx, b, b_len);
    kot_hmac_end(&ctx, k, out);
}


void
kot_hmac_begin(kot_hmac_ctx_t *ctx, const kot_hmac_key_t *k)
{
    *(SHA256_CTX *) ctx = ((const kot_hmac_state_t *) k)->inner;
}


void
kot_hmac_update(kot_hmac_ctx_t *ctx, const void *data, size_t len)
{
    if (len) {
        SHA256_Update((SHA256_CTX *) ctx, data, len);
    }
}


void
kot_hmac_end(kot_hmac_ctx_t *ctx, const kot_hmac_key_t *k,
    uint8_t out[KOT_MAC_LEN])
{
    SHA256_CTX  outer;
    uint8_t     inner[KOT_MAC_LEN];

    SHA256_Final(inner, (SHA256_CTX *) ctx);

    outer = ((const kot_hmac_state_t *) k)->outer;
    SHA256_Update(&outer, inner, sizeof(inner));
    SHA256_Final(out, &outer);

    kot_cleanse(&outer, sizeof(outer));
    kot_cleanse(inner, sizeof(inner));
    kot_cleanse(ctx, sizeof(kot_hmac_ctx_t));
}


int
kot_hmac_sha256(const uint8_t *key, size_t key_len, const void *msg,
    size_t len, uint8_t out[KOT_MAC_LEN])
{
    kot_hmac_key_t  k;

    if ((key == NULL && key_len != 0) || (msg == NULL && len != 0)) {
        return -1;
    }

    kot_hmac_key(&k, key, key_len);
    kot_hmac_mac(&k, msg, len, NULL, 0, out);
    kot_cleanse(&k, sizeof(k));

    return 0;
}


/* SHA256() would be EVP_Q_digest(), with a fetch: the block API has none */

int
kot_sha256(const void *msg, size_t len, uint8_t out[KOT_MAC_LEN])
{
    SHA256_CTX  ctx;

    if (msg == NULL && len != 0) {
        return -1;
    }

    SHA256_Init(&ctx);

    if (len) {
        SHA256_Update(&ctx, msg, len);
    }

    SHA256_Final(out, &ctx);
    kot_cleanse(&ctx, sizeof(ctx));

    return 0;
}


int
kot_derive_key(const uint8_t *master, size_t master_len, const char *label,
    uint8_t out[KOT_KEY_LEN])
{
    kot_hmac_key_t  k;

    /* a short master key would make every subkey guessable */

    if (master_len < KOT_MASTER_MIN || master_len > KOT_MASTER_MAX
        || label == NULL)
    {
        return -1;
    }

    kot_hmac_key(&k, master, master_len);
    kot_hmac_mac(&k, KOT_DERIVE_PREFIX, sizeof(KOT_DERIVE_PREFIX) - 1,
                 label, strlen(label), out);
    kot_cleanse(&k, sizeof(k));

    return 0;
}


int
kot_ct_equal(const void *a, const void *b, size_t len)
{
    size_t                i;
    uint64_t              x, y, d;
    const unsigned char  *p, *q;

    /*
     * Eight bytes at a time: CRYPTO_memcmp() goes a byte at a time, which
     * showed in every request's profile (the cookie against the last one
     * of its connection).  The empty asm keeps the compiler from
     * reasoning about d, so that no early exit can appear.
     */

    p = a;
    q = b;
    d = 0;

    for (i = 0; i + 8 <= len; i += 8) {
        memcpy(&x, p + i, 8);
        memcpy(&y, q + i, 8);
        d |= x ^ y;
        __asm__ ("" : "+r" (d));
    }

    for ( /* void */ ; i < len; i++) {
        d |= (uint64_t) (p[i] ^ q[i]);
        __asm__ ("" : "+r" (d));
    }

    return d == 0;
}


/*
 * explicit_bzero() is glibc's memset() that the compiler may not drop;
 * OPENSSL_cleanse() does the same a byte at a time, which showed in every
 * request's profile (each HMAC wipes its contexts).
 */

void
kot_cleanse(void *p, size_t len)
{
    if (p != NULL && len > 0) {
        explicit_bzero(p, len);
    }
}


static int kot_aead(int seal, const uint8_t key[KOT_KEY_LEN],
    const uint8_t *nonce, const void *aad, size_t aad_len, const uint8_t *in,
    size_t len, uint8_t *out, uint8_t *tag);


int
kot_aead_seal(const uint8_t key[KOT_KEY_LEN], const void *aad,
    size_t aad_len, const void *in, size_t len, uint8_t *out)
{
    if (kot_random(out, KOT_AEAD_NONCE_LEN) != 0) {
        return -1;
    }

    return kot_aead(1, key, out, aad, aad_len, in, len,
                    out + KOT_AEAD_NONCE_LEN,
                    out + KOT_AEAD_NONCE_LEN + len);
}


int
kot_aead_open(const uint8_t key[KOT_KEY_LEN], const void *aad,
    size_t aad_len, const uint8_t *in, size_t len, uint8_t *out)
{
    size_t  n;

    if (len < KOT_AEAD_OVERHEAD) {
        return -1;
    }

    n = len - KOT_AEAD_OVERHEAD;

    /* the tag is only read, but EVP_CTRL_GCM_SET_TAG takes it non-const */
    return kot_aead(0, key, in, aad, aad_len, in + KOT_AEAD_NONCE_LEN, n,
                    out, (uint8_t *) in + KOT_AEAD_NONCE_LEN + n);
}


/* One GCM pass; opening fails, and wipes out, unless the tag matches. */

static int
kot_aead(int seal, const uint8_t key[KOT_KEY_LEN], const uint8_t *nonce,
    const void *aad, size_t aad_len, const uint8_t *in, size_t len,
    uint8_t *out, uint8_t *tag)
{
    int              n, rc;
    EVP_CIPHER_CTX  *ctx;

    if (len > INT_MAX || aad_len > INT_MAX) {
        return -1;
    }

    ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL) {
        return -1;
    }

    rc = EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, nonce, seal)
         == 1
         && (aad_len == 0
             || EVP_CipherUpdate(ctx, NULL, &n, aad, (int) aad_len) == 1)
         && (len == 0
             || EVP_CipherUpdate(ctx, out, &n, in, (int) len) == 1)
         && (seal
             || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG,
                                    KOT_AEAD_TAG_LEN, tag) == 1)
         && EVP_CipherFinal_ex(ctx, out + len, &n) == 1
         && (!seal
             || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG,
                                    KOT_AEAD_TAG_LEN, tag) == 1);

    EVP_CIPHER_CTX_free(ctx);

    if (!rc && !seal) {
        kot_cleanse(out, len);
    }

    return rc ? 0 : -1;
}
