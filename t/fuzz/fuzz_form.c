/*
 * libFuzzer target: kot_form_parse() and kot_url_decode() on hostile
 * bodies, with buffers of exactly the documented sizes so that ASan sees
 * any overrun.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kot_form.h"


#define NFIELDS  3


static void
check_fields(kot_form_rc_t rc, const kot_form_field_t *f, const char *scratch,
    size_t scratch_len)
{
    size_t  i;

    for (i = 0; i < NFIELDS; i++) {
        if (rc != KOT_FORM_OK) {
            if (f[i].present || f[i].len != 0) {
                abort();
            }

            continue;
        }

        if (!f[i].present) {
            continue;
        }

        if (f[i].value < scratch
            || f[i].value + f[i].len >= scratch + scratch_len
            || f[i].value[f[i].len] != '\0'
            || strlen(f[i].value) != f[i].len)
        {
            abort();
        }
    }
}


static void
parse(const char *body, size_t len, size_t scratch_len)
{
    char              *scratch;
    kot_form_rc_t      rc;
    kot_form_field_t   f[NFIELDS];

    scratch = malloc(scratch_len ? scratch_len : 1);
    if (scratch == NULL) {
        return;
    }

    f[0].name = "username";
    f[1].name = "password";
    f[2].name = "";

    rc = kot_form_parse(body, len, f, NFIELDS, scratch, scratch_len);

    if (scratch_len >= len + NFIELDS && rc == KOT_FORM_TOO_LARGE) {
        abort();
    }

    check_fields(rc, f, scratch, scratch_len);

    free(scratch);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    long   n;
    char  *body, *dst;

    /* a copy of exactly size bytes: reading past it is caught */

    body = malloc(size ? size : 1);
    dst = malloc(size ? size : 1);
    if (body == NULL || dst == NULL) {
        free(body);
        free(dst);
        return 0;
    }

    memcpy(body, data, size);

    parse(body, size, size + NFIELDS);
    parse(body, size, size / 2);

    n = kot_url_decode(dst, body, size, size & 1);
    if (n > (long) size) {
        abort();
    }

    free(body);
    free(dst);

    return 0;
}
