/*
 * ngx_kot: QR codes as SVG.  Each row's runs of dark modules become one
 * path segment ("M x y h n v1 h-n z"), which keeps the markup small
 * (about 10 KiB for an otpauth URI) and renders without seams.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qrencode.h>

#include "kot_qr.h"


/* the longest text: a version 40 code holds 2331 bytes at level M */
#define KOT_QR_TEXT_MAX  2048


static size_t kot_qr_draw(char *dst, size_t cap, QRcode *qr);


int
kot_qr_svg(const char *text, size_t len, char **out, size_t *out_len)
{
    char    *s, *copy;
    size_t   cap, n;
    QRcode  *qr;

    if (len == 0 || len > KOT_QR_TEXT_MAX || memchr(text, '\0', len)) {
        return -1;
    }

    /* libqrencode takes a C string */
    copy = malloc(len + 1);
    if (copy == NULL) {
        return -1;
    }

    memcpy(copy, text, len);
    copy[len] = '\0';

    qr = QRcode_encodeString8bit(copy, 0, QR_ECLEVEL_M);
    free(copy);

    if (qr == NULL) {
        return -1;
    }

    /* at most one segment of 32 bytes per module, and the frame */
    cap = (size_t) qr->width * qr->width * 32 + 512;

    s = malloc(cap);
    if (s == NULL) {
        QRcode_free(qr);
        return -1;
    }

    n = kot_qr_draw(s, cap, qr);
    QRcode_free(qr);

    if (n == 0) {
        free(s);
        return -1;
    }

    *out = s;
    *out_len = n;

    return 0;
}


static size_t
kot_qr_draw(char *dst, size_t cap, QRcode *qr)
{
    int     x, y, run, w, size;
    size_t  n;

    w = qr->width;
    size = w + 2 * KOT_QR_QUIET;

    n = snprintf(dst, cap, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
                 "class=\"kot-qr\" viewBox=\"0 0 %d %d\" width=\"%d\" "
                 "height=\"%d\" shape-rendering=\"crispEdges\" "
                 "role=\"img\"><rect width=\"%d\" height=\"%d\" "
                 "fill=\"#fff\"/><path fill=\"#000\" d=\"",
                 size, size, size * 5, size * 5, size, size);

    for (y = 0; y < w; y++) {
        for (x = 0; x < w; x += run) {
            /* bit 0 of each byte is the module's colour: 1 is dark */
            for (run = 0; x + run < w && (qr->data[y * w + x + run] & 1);
                 run++)
            { /* void */ }

            if (run == 0) {
                run = 1;
                continue;
            }

            if (n >= cap) {
                return 0;
            }

            n += snprintf(dst + n, cap - n, "M%d %dh%dv1h-%dz",
                          x + KOT_QR_QUIET, y + KOT_QR_QUIET, run, run);
        }
    }

    if (n >= cap) {
        return 0;
    }

    n += snprintf(dst + n, cap - n, "\"/></svg>");

    return (n < cap) ? n : 0;
}
