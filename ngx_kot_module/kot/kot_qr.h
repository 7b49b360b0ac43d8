/*
 * ngx_kot: a QR code drawn as inline SVG (libqrencode makes the matrix),
 * so that the enrolment page needs no script and no image request.
 */

#ifndef KOT_QR_H
#define KOT_QR_H

#include <stddef.h>

#define KOT_QR_QUIET    4       /* modules of white border, as ISO 18004 */

/*
 * Draws text as a QR code (error correction level M, 8-bit mode) in an
 * <svg> element, each dark module a square of one unit, with the quiet
 * zone.  *out is malloc()ed; the caller frees it.  Returns 0, or -1 when
 * the text does not fit or memory is short.
 */
int kot_qr_svg(const char *text, size_t len, char **out, size_t *out_len);

#endif /* KOT_QR_H */
