/*
 * ngx_kot: base32 (RFC 4648 section 6), as authenticator apps take TOTP
 * secrets: upper case A-Z and 2-7, without padding.  The decoder accepts
 * lower case too and skips spaces, as people type a secret, but refuses
 * anything else and non-zero trailing bits.
 */

#ifndef KOT_BASE32_H
#define KOT_BASE32_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Length of the encoding of n bytes, without padding and without NUL. */
#define kot_base32_encoded_len(n)  (((n) * 8 + 4) / 5)

/* Encodes n bytes into dst (no NUL added); returns the length written. */
size_t kot_base32_encode(char *dst, const uint8_t *src, size_t n);

/*
 * Decodes n characters into dst, which holds cap bytes.  Returns the
 * decoded length, or -1 on invalid input or overflow.
 */
ssize_t kot_base32_decode(uint8_t *dst, size_t cap, const char *src,
    size_t n);

#endif /* KOT_BASE32_H */
