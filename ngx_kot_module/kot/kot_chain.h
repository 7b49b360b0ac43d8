/*
 * ngx_kot: the audit log's MAC chain with evolving keys (docs/audit.md).
 * Pure C on OpenSSL: the module writes with it, kotctl writes and
 * verifies with it.
 */

#ifndef KOT_CHAIN_H
#define KOT_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#define KOT_CHAIN_ID_LEN       16      /* hex digits */
#define KOT_CHAIN_KEY_LEN      32
#define KOT_CHAIN_MAC_MAX      32      /* bytes, of either algorithm */
#define KOT_CHAIN_MAC_HEX_MAX  (2 * KOT_CHAIN_MAC_MAX)
#define KOT_CHAIN_FPR_LEN      16      /* hex digits of the key fingerprint */
#define KOT_CHAIN_SEALED_MAX   1024    /* base64 of an RSA-OAEP block */

/* record 0 names the chain's MAC algorithm in this member */
#define KOT_CHAIN_ALG_MEMBER   "kot.mac_alg"

/* what follows S_i's content in a line: ,"kot.mac":"<hex>"}\n */
#define KOT_CHAIN_MAC_PREFIX   ",\"kot.mac\":\""
#define KOT_CHAIN_SUFFIX(hex)  (sizeof(KOT_CHAIN_MAC_PREFIX) - 1 + (hex) + 2)
#define KOT_CHAIN_SUFFIX_MAX   KOT_CHAIN_SUFFIX(KOT_CHAIN_MAC_HEX_MAX)

typedef enum {
    KOT_CHAIN_POLY1305 = 0,             /* what every writer uses */
    KOT_CHAIN_HMAC_SHA256               /* chains without the member */
} kot_chain_alg_t;

typedef struct {
    char              id[KOT_CHAIN_ID_LEN + 1];
    uint64_t          seq;                      /* of the next record */
    uint8_t           key[KOT_CHAIN_KEY_LEN];   /* K_seq */
    uint8_t           mac[KOT_CHAIN_MAC_MAX];   /* mac_{seq-1}, zeros at 0 */
    size_t            mac_len;
    kot_chain_alg_t   alg;
    EVP_MAC_CTX      *poly;
} kot_chain_t;

/*
 * Starts a Poly1305 chain: a random id and a random K_0, copied to k0 (to
 * be sealed into record 0, then wiped by the caller).  Record 0 must
 * carry KOT_CHAIN_ALG_MEMBER with kot_chain_alg_name(c).  0 on success;
 * kot_chain_wipe() ends the chain either way.
 */
int kot_chain_start(kot_chain_t *c, uint8_t k0[KOT_CHAIN_KEY_LEN]);

/* Sets up a chain to verify, from its id and its opened K_0.  0 on success. */
int kot_chain_resume(kot_chain_t *c, const char *id,
    const uint8_t k0[KOT_CHAIN_KEY_LEN], kot_chain_alg_t alg);

/*
 * The algorithm that record 0's KOT_CHAIN_ALG_MEMBER names, NULL when it
 * has none (the chains written before the member existed): 0, or -1 for
 * a name we do not know.
 */
int kot_chain_alg(const char *name, kot_chain_alg_t *alg);
const char *kot_chain_alg_name(const kot_chain_t *c);

/* mac_{seq-1} in lower-case hex, NUL-terminated: the chain's head. */
size_t kot_chain_head_hex(const kot_chain_t *c,
    char out[KOT_CHAIN_MAC_HEX_MAX + 1]);

/*
 * Finishes record c->seq: s[0..len) is S_i, a JSON object text ending in
 * '}' that already holds @timestamp, event.sequence and kot.chain.
 * Writes the complete line (S_i with ,"kot.mac":"..."} and '\n' in place
 * of its final '}') into out, which holds len + KOT_CHAIN_SUFFIX_MAX
 * bytes, and returns the line's length, or -1.  Then moves the chain on:
 * the MAC is kept, the key evolves and the old key is wiped, seq + 1.
 */
long kot_chain_seal(kot_chain_t *c, const char *s, size_t len, char *out);

/*
 * Checks one line (without '\n') as record c->seq of chain c: 1 if its
 * MAC is right (and the chain moves on), 0 if not (the chain does not
 * move), -1 if the line does not end in a well-formed "kot.mac" member.
 */
int kot_chain_check(kot_chain_t *c, const char *line, size_t len);

/* Wipes the chain's key material and frees what it holds. */
void kot_chain_wipe(kot_chain_t *c);

/*
 * K_0 sealed to the auditor's RSA public key (RSA-OAEP, SHA-256) as
 * padded standard base64, NUL-terminated in out (cap bytes); returns the
 * length or -1.  kot_chain_open_key() reverses it with the private key;
 * 0 on success.
 */
long kot_chain_seal_key(EVP_PKEY *pub, const uint8_t k0[KOT_CHAIN_KEY_LEN],
    char *out, size_t cap);
int kot_chain_open_key(EVP_PKEY *priv, const char *b64, size_t len,
    uint8_t k0[KOT_CHAIN_KEY_LEN]);

/*
 * The first KOT_CHAIN_FPR_LEN hex digits of SHA-256 over the public key's
 * DER SubjectPublicKeyInfo, NUL-terminated.  0 on success.
 */
int kot_chain_fingerprint(EVP_PKEY *key, char out[KOT_CHAIN_FPR_LEN + 1]);

/* Loads a PEM public or private key file; NULL on failure. */
EVP_PKEY *kot_chain_load_public(const char *path);
EVP_PKEY *kot_chain_load_private(const char *path);

#endif /* KOT_CHAIN_H */
