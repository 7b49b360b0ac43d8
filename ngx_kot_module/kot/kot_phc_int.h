/*
 * ngx_kot: internals of kot_phc.c, exposed for the known-answer test.
 */

#ifndef KOT_PHC_INT_H
#define KOT_PHC_INT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Raw scrypt with N = 2^ln through OpenSSL's EVP_KDF "SCRYPT".  Only the
 * upper bounds of kot_phc.h apply (ln >= 1, r >= 1, p >= 1), so that test
 * vectors with small N work.  0 on success, -1 on failure.
 */
int kot_scrypt(const char *pw, size_t pw_len, const uint8_t *salt,
    size_t salt_len, unsigned ln, unsigned r, unsigned p, uint8_t *out,
    size_t out_len);

#endif /* KOT_PHC_INT_H */
