/*
 * ngx_kot: scrypt password hashes as PHC strings,
 *
 *     $scrypt$ln=17,r=8,p=1$<salt>$<hash>
 *
 * salt (16 bytes) and hash (32 bytes) in standard base64 without padding.
 * Hashing uses kot_scrypt() (kot_scrypt.h).  These calls are slow on
 * purpose (about 0.3 s and 128 MiB at ln=17): the module runs them in a
 * thread pool only, kotctl calls them directly.
 */

#ifndef KOT_PHC_H
#define KOT_PHC_H

#include <stddef.h>
#include <stdint.h>

#define KOT_PHC_MAX        128     /* longest PHC string we produce */
#define KOT_PHC_SALT_LEN   16
#define KOT_PHC_HASH_LEN   32

/* Accepted parameter ranges, for parsing and for configuration. */
#define KOT_SCRYPT_LN_MIN  10
#define KOT_SCRYPT_LN_MAX  22
#define KOT_SCRYPT_R_MAX   32
#define KOT_SCRYPT_P_MAX   16
/* and at most this much memory per hash (128 * r * 2^ln bytes) */
#define KOT_SCRYPT_MEM_MAX  (1024 * 1024 * 1024ULL)

typedef struct {
    unsigned    ln;     /* log2(N) */
    unsigned    r;
    unsigned    p;
} kot_scrypt_params_t;

#define KOT_SCRYPT_DEFAULT  { 17, 8, 1 }

/* 0 if the parameters are within the ranges above, else -1. */
int kot_scrypt_params_ok(const kot_scrypt_params_t *sp);

/*
 * Hashes pw (len bytes, any bytes) with a fresh random salt and writes a
 * NUL-terminated PHC string into out (cap >= KOT_PHC_MAX + 1).
 * Returns the string length, or -1 on failure.
 */
int kot_phc_hash(const kot_scrypt_params_t *sp, const char *pw, size_t len,
    char *out, size_t cap);

/*
 * Verifies pw against a PHC string (not necessarily NUL-terminated).
 * Returns 1 on match, 0 on mismatch, -1 if the string is malformed or its
 * parameters are out of range (or if hashing fails, e.g. out of memory).
 * The comparison is constant-time.
 */
int kot_phc_verify(const char *phc, size_t phc_len, const char *pw,
    size_t len);

/*
 * Parses a PHC string's parameters.  Returns 0 and fills sp, or -1 if
 * the string is malformed or its parameters are out of range.
 */
int kot_phc_params(const char *phc, size_t phc_len, kot_scrypt_params_t *sp);

/*
 * 1 if a hash should be recomputed because its parameters are weaker than
 * want (any of ln, r, p lower), 0 if not, -1 if malformed.
 */
int kot_phc_needs_rehash(const char *phc, size_t phc_len,
    const kot_scrypt_params_t *want);

/*
 * Writes a well-formed PHC string with the given parameters that no
 * password matches (a fixed salt and an all-zero hash).  Verifying against
 * it costs exactly as much as a real hash: used for unknown users so that
 * they cannot be told apart by time.  Returns the length or -1.
 */
int kot_phc_dummy(const kot_scrypt_params_t *sp, char *out, size_t cap);

#endif /* KOT_PHC_H */
