/*
 * ngx_kot: application/x-www-form-urlencoded bodies.
 *
 * The caller names the fields it wants; every other field is ignored.
 * Values are percent-decoded ('+' is a space) into a caller-supplied
 * scratch buffer.  A body is refused as a whole, with nothing filled in
 * that the caller may trust, when:
 *   - a percent escape is malformed ("%", "%4", "%zz");
 *   - a name or value decodes to a NUL byte;
 *   - a wanted field appears twice (parameter pollution);
 *   - the decoded values do not fit in the scratch buffer.
 */

#ifndef KOT_FORM_H
#define KOT_FORM_H

#include <stddef.h>

typedef enum {
    KOT_FORM_OK = 0,
    KOT_FORM_MALFORMED,
    KOT_FORM_DUPLICATE,
    KOT_FORM_TOO_LARGE
} kot_form_rc_t;

typedef struct {
    const char  *name;      /* NUL-terminated wanted field name (input) */
    const char  *value;     /* decoded value, in scratch, NUL-terminated */
    size_t       len;       /* decoded length */
    int          present;   /* 1 if the field was in the body */
} kot_form_field_t;

/*
 * Parses body[0..len) and fills the n fields.  scratch must hold at least
 * len + n bytes for any body to fit; a smaller one may return
 * KOT_FORM_TOO_LARGE.
 */
kot_form_rc_t kot_form_parse(const char *body, size_t len,
    kot_form_field_t *fields, size_t n, char *scratch, size_t scratch_len);

/*
 * Percent-decodes src into dst (which holds at least len bytes), with '+'
 * as space when plus_is_space.  Returns the decoded length, or -1 on a
 * malformed escape.  Used for query strings too.
 */
long kot_url_decode(char *dst, const char *src, size_t len,
    int plus_is_space);

/*
 * Percent-decodes src into dst as browsers and most applications do: a
 * '%' that does not begin an escape is kept as it is.  Returns the
 * decoded length, which is len when nothing was decoded.
 */
size_t kot_url_decode_lenient(char *dst, const char *src, size_t len);

#endif /* KOT_FORM_H */
