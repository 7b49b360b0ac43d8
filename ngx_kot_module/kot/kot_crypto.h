/*
 * ngx_kot: cryptographic primitives on top of OpenSSL 3.0.
 * Pure C, no nginx types.
 */

#ifndef KOT_CRYPTO_H
#define KOT_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define KOT_KEY_LEN        32
#define KOT_MAC_LEN        32
#define KOT_MASTER_MIN     32
#define KOT_MASTER_MAX     4096

/* a Redis or sentinel password file's bytes (kot_redis password_file=) */
#define KOT_REDIS_PASSWORD_MAX  512

/*
 * Leaves the vector registers' upper halves clean (VZEROUPPER where the
 * CPU has AVX): call after an OpenSSL primitive that returns with them
 * in use, as its Poly1305 does.
 */
void kot_vector_clean(void);

/* Fills buf with len bytes from RAND_bytes; 0 on success, -1 on failure. */
int kot_random(void *buf, size_t len);

/*
 * HMAC-SHA256 with its key schedule kept: set a key once, then MAC any
 * number of messages without allocating.  The message is a || b (either
 * may be empty), so that callers need no buffer to glue one together.
 * A keyed context may be shared read-only between threads.
 */
typedef struct {
    uint64_t    opaque[32];
} kot_hmac_key_t;

void kot_hmac_key(kot_hmac_key_t *k, const uint8_t *key, size_t key_len);
void kot_hmac_mac(const kot_hmac_key_t *k, const void *a, size_t a_len,
    const void *b, size_t b_len, uint8_t out[KOT_MAC_LEN]);

/* The same in steps, for messages in more pieces. */
typedef struct {
    uint64_t    opaque[16];
} kot_hmac_ctx_t;

void kot_hmac_begin(kot_hmac_ctx_t *ctx, const kot_hmac_key_t *k);
void kot_hmac_update(kot_hmac_ctx_t *ctx, const void *data, size_t len);
void kot_hmac_end(kot_hmac_ctx_t *ctx, const kot_hmac_key_t *k,
    uint8_t out[KOT_MAC_LEN]);

/* HMAC-SHA256(key, msg) into out; 0 on success, -1 on failure. */
int kot_hmac_sha256(const uint8_t *key, size_t key_len, const void *msg,
    size_t len, uint8_t out[KOT_MAC_LEN]);

/* SHA-256(msg) into out; 0 on success, -1 on failure. */
int kot_sha256(const void *msg, size_t len, uint8_t out[KOT_MAC_LEN]);

/*
 * Derives a purpose-bound subkey from the master key:
 * out = HMAC-SHA256(master, "kot-v1 " || label).  0 on success, -1 on
 * failure or if master_len is outside KOT_MASTER_MIN..KOT_MASTER_MAX.
 */
int kot_derive_key(const uint8_t *master, size_t master_len,
    const char *label, uint8_t out[KOT_KEY_LEN]);

/* Constant-time comparison of two equal-length buffers; 1 if equal. */
int kot_ct_equal(const void *a, const void *b, size_t len);

/* Wipes memory in a way the compiler cannot optimise away. */
void kot_cleanse(void *p, size_t len);

/*
 * AES-256-GCM with a random 96-bit nonce, for the few secrets that must
 * be kept and read back (TOTP seeds).  out = nonce || ciphertext || tag,
 * KOT_AEAD_OVERHEAD bytes longer than the plaintext; aad binds it to its
 * owner, so that a value moved to another record does not open.  Both
 * return 0, or -1 on failure (open: a wrong key, aad or a forgery).
 */
#define KOT_AEAD_NONCE_LEN   12
#define KOT_AEAD_TAG_LEN     16
#define KOT_AEAD_OVERHEAD    (KOT_AEAD_NONCE_LEN + KOT_AEAD_TAG_LEN)

int kot_aead_seal(const uint8_t key[KOT_KEY_LEN], const void *aad,
    size_t aad_len, const void *in, size_t len, uint8_t *out);
int kot_aead_open(const uint8_t key[KOT_KEY_LEN], const void *aad,
    size_t aad_len, const uint8_t *in, size_t len, uint8_t *out);

#endif /* KOT_CRYPTO_H */
