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

/* Fills buf with len bytes from RAND_bytes; 0 on success, -1 on failure. */
int kot_random(void *buf, size_t len);

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

#endif /* KOT_CRYPTO_H */
