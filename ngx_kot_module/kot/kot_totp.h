/*
 * ngx_kot: the second factor.  TOTP (RFC 6238 over RFC 4226's HOTP)
 * with HMAC-SHA-1, 6 digits and 30-second steps, as authenticator apps
 * use it; single-use recovery codes; the otpauth:// URI that apps scan.
 *
 * Which step was used last, and which recovery codes are left, is kept
 * in Redis and decided by a script (kot_scripts.c): a code is accepted
 * once.  Seeds are stored sealed (kot_aead_seal), recovery codes only as
 * keyed hashes.
 */

#ifndef KOT_TOTP_H
#define KOT_TOTP_H

#include <stddef.h>
#include <stdint.h>

#include "kot_crypto.h"

#define KOT_TOTP_SEED_LEN       20      /* 160 bits, RFC 4226 */
#define KOT_TOTP_SECRET_LEN     32      /* the seed in base32 */
#define KOT_TOTP_PERIOD         30      /* seconds per step */
#define KOT_TOTP_DIGITS         6

/* the sealed seed as stored: base64url of nonce, ciphertext and tag */
#define KOT_TOTP_SEALED_LEN     64

#define KOT_RECOVERY_N          10      /* codes per enrolment */
#define KOT_RECOVERY_CHARS      10      /* base32: 50 bits each */
#define KOT_RECOVERY_LEN        11      /* as shown: xxxxx-xxxxx */
#define KOT_RECOVERY_HASH_LEN   43      /* base64url of SHA-256 */

#define KOT_TOTP_ISSUER_MAX     64

/* What a code typed at login is, once spaces and dashes are dropped. */
typedef enum {
    KOT_CODE_INVALID = 0,
    KOT_CODE_TOTP,                  /* 6 digits */
    KOT_CODE_RECOVERY               /* 10 base32 letters and digits */
} kot_code_kind_t;

/*
 * HOTP(key, counter) with HMAC-SHA-1, truncated to digits (6 to 8)
 * decimal digits.  Returns the code, or -1 on failure.
 */
long kot_hotp(const uint8_t *key, size_t key_len, uint64_t counter,
    unsigned digits);

/* The TOTP step of a time in seconds since the Unix epoch. */
#define kot_totp_step(now)      ((uint64_t) (now) / KOT_TOTP_PERIOD)

/*
 * Whether code (KOT_TOTP_DIGITS digits) is the one of step or of the
 * step before it, compared in constant time.  Returns 1 and sets *used
 * to the step it matched (the newer one if both), 0 if neither matches,
 * -1 on failure.
 */
int kot_totp_check(const uint8_t *key, size_t key_len, uint64_t step,
    const char *code, size_t len, uint64_t *used);

/*
 * Normalises a typed code into out (KOT_RECOVERY_CHARS + 1 bytes): drops
 * spaces and dashes, folds to lower case, and says what it can be.
 */
kot_code_kind_t kot_code_kind(const char *in, size_t len, char *out,
    size_t *out_len);

/* A new recovery code as shown (xxxxx-xxxxx, NUL-terminated). */
int kot_recovery_generate(char out[KOT_RECOVERY_LEN + 1]);

/*
 * What is stored of a normalised recovery code: base64url of
 * HMAC-SHA256(key, owner || code), where key is derived from
 * kot_secret_file and owner is kot_totp_aad()'s "kot-v1 totp
 * {tenant}:{user}".  The codes are random, so no salt or slow hash is
 * needed against guessing one; but 50 bits under a hash that anyone can
 * compute fall to one pass of a GPU, for every code of every user at
 * once, to whoever has a copy of Redis.  Keyed, a copy tests no guess
 * without the secret (as the seeds, sealed under it, open for no one);
 * bound to the owner, one user's stored code is no other user's.
 */
int kot_recovery_hash(const kot_hmac_key_t *key, const char *owner,
    size_t owner_len, const char *code, size_t len,
    char out[KOT_RECOVERY_HASH_LEN]);

/*
 * The unkeyed form of earlier releases, base64url SHA-256 of "kot-v1
 * recovery " || code: only to accept the codes they stored, never made.
 */
int kot_recovery_hash_unkeyed(const char *code, size_t len,
    char out[KOT_RECOVERY_HASH_LEN]);

/*
 * The additional data that binds a sealed seed to its owner:
 * "kot-v1 totp {tenant}:{user}".  Returns the length, or -1 if cap is
 * too small.
 */
int kot_totp_aad(char *out, size_t cap, const char *tenant,
    size_t tenant_len, const char *user, size_t user_len);

/* Seals a seed into KOT_TOTP_SEALED_LEN characters; 0 or -1. */
int kot_totp_seal(const uint8_t key[32], const char *aad, size_t aad_len,
    const uint8_t seed[KOT_TOTP_SEED_LEN], char out[KOT_TOTP_SEALED_LEN]);

/* Opens a sealed seed; 0, or -1 for a wrong key, owner or a forgery. */
int kot_totp_open(const uint8_t key[32], const char *aad, size_t aad_len,
    const char *sealed, size_t len, uint8_t seed[KOT_TOTP_SEED_LEN]);

/*
 * An issuer name for kot_mfa_issuer: 1 to KOT_TOTP_ISSUER_MAX bytes of
 * UTF-8 without control characters and without ':', which separates the
 * issuer from the account in an otpauth label.
 */
int kot_totp_issuer_valid(const char *s, size_t len);

/*
 * otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}
 * &algorithm=SHA1&digits=6&period=30, percent-encoded.  With dst NULL
 * returns the length only.
 */
size_t kot_totp_uri(char *dst, const char *issuer, size_t issuer_len,
    const char *account, size_t account_len, const char *secret,
    size_t secret_len);

#endif /* KOT_TOTP_H */
