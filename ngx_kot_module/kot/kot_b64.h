/*
 * ngx_kot: base64 without padding, in two alphabets:
 * base64url (RFC 4648 section 5) for cookies and Redis keys, and the
 * standard alphabet for PHC strings.  Decoders are strict: they refuse
 * padding, characters outside the alphabet, impossible lengths
 * (len % 4 == 1) and non-zero trailing bits, so that every value has
 * exactly one encoding.
 */

#ifndef KOT_B64_H
#define KOT_B64_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Length of the encoding of n bytes, without padding and without NUL. */
#define kot_b64_encoded_len(n)  (((n) * 4 + 2) / 3)

/* Maximum decoded length of n characters. */
#define kot_b64_decoded_len(n)  ((n) * 3 / 4)

/* Encodes n bytes into dst (no NUL added); returns the length written. */
size_t kot_b64url_encode(char *dst, const uint8_t *src, size_t n);
size_t kot_b64_encode(char *dst, const uint8_t *src, size_t n);

/*
 * Decodes n characters into dst, which holds cap bytes.
 * Returns the decoded length, or -1 on any invalid input or overflow.
 */
ssize_t kot_b64url_decode(uint8_t *dst, size_t cap, const char *src,
    size_t n);
ssize_t kot_b64_decode(uint8_t *dst, size_t cap, const char *src, size_t n);

#endif /* KOT_B64_H */
