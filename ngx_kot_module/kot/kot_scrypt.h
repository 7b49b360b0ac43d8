/*
 * ngx_kot: scrypt (RFC 7914) over OpenSSL's PBKDF2, in slices.
 */

#ifndef KOT_SCRYPT_H
#define KOT_SCRYPT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Raw scrypt with N = 2^ln.  Only the upper bounds of kot_phc.h apply
 * (ln >= 1, r >= 1, p >= 1), so that test vectors with small N work.
 * 0 on success, -1 on failure (bad parameters, out of memory).
 */
int kot_scrypt(const char *pw, size_t pw_len, const uint8_t *salt,
    size_t salt_len, unsigned ln, unsigned r, unsigned p, uint8_t *out,
    size_t out_len);

/*
 * If set, called by kot_scrypt() after every slice of about 25 us of
 * work.  Set it once, before any thread hashes.
 */
extern void  (*kot_scrypt_pause)(void);

#endif /* KOT_SCRYPT_H */
