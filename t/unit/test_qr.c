/*
 * Unit tests of kot_qr: the SVG, read back module by module, is the
 * matrix that libqrencode made.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qrencode.h>

#include "tap.h"
#include "kot_qr.h"


/* Paints the path's "Mx yhNv1h-Nz" runs into a size x size bitmap. */
static int
paint(const char *svg, unsigned char *bits, int size)
{
    int          x, y, n, m, used;
    const char  *p;

    p = strstr(svg, " d=\"");
    if (p == NULL) {
        return -1;
    }

    for (p += 4; *p == 'M'; p += used) {
        if (sscanf(p, "M%d %dh%dv1h-%dz%n", &x, &y, &n, &m, &used) != 4
            || n != m || x < 0 || y < 0 || x + n > size || y >= size)
        {
            return -1;
        }

        while (n--) {
            bits[y * size + x + n] = 1;
        }
    }

    return *p == '"' ? 0 : -1;
}


static void
test_matrix(const char *text)
{
    int            size, x, y, same, w;
    char          *svg, head[128];
    size_t         len;
    QRcode        *qr;
    unsigned char *bits;

    if (!ok(kot_qr_svg(text, strlen(text), &svg, &len) == 0,
            "svg: draws %.30s...", text))
    {
        return;
    }

    ok(strlen(svg) == len && strncmp(svg, "<svg ", 5) == 0
       && strcmp(svg + len - 6, "</svg>") == 0,
       "svg: one <svg> element of the length returned");

    qr = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
    w = qr->width;
    size = w + 2 * KOT_QR_QUIET;

    snprintf(head, sizeof(head), "viewBox=\"0 0 %d %d\"", size, size);
    ok(strstr(svg, head) != NULL, "svg: the view box is the code and its "
       "quiet zone (%d modules)", size);

    bits = calloc(size * size, 1);
    is_long(paint(svg, bits, size), 0, "svg: the path is runs of modules");

    same = 1;
    for (y = 0; y < size; y++) {
        for (x = 0; x < size; x++) {
            int  inside = x >= KOT_QR_QUIET && x < w + KOT_QR_QUIET
                          && y >= KOT_QR_QUIET && y < w + KOT_QR_QUIET;
            int  dark = inside
                        && (qr->data[(y - KOT_QR_QUIET) * w
                                     + x - KOT_QR_QUIET] & 1);

            same = same && (bits[y * size + x] == dark);
        }
    }

    ok(same, "svg: every module is as libqrencode made it, the quiet zone "
       "white");

    free(bits);
    free(svg);
    QRcode_free(qr);
}


int
main(void)
{
    char    *svg, big[4096];
    size_t   len;

    test_matrix("otpauth://totp/Example%20Inc:alice%40acme?secret="
                "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Example%20Inc"
                "&algorithm=SHA1&digits=6&period=30");
    test_matrix("x");

    memset(big, 'a', sizeof(big));
    is_long(kot_qr_svg(big, sizeof(big), &svg, &len), -1,
            "svg: text too long for a QR code is refused");
    is_long(kot_qr_svg("a\0b", 3, &svg, &len), -1,
            "svg: text with a NUL is refused");

    return done_testing();
}
