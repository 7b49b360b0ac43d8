/*
 * ngx_kot: choosing the page language from Accept-Language (RFC 9110
 * section 12.5.4).  Only Japanese and English exist; the highest q-value
 * among "ja*" and "en*" wins, ties go to the earlier entry, "*" counts
 * as English, and anything unparsable or absent means English.
 */

#ifndef KOT_LANG_H
#define KOT_LANG_H

#include <stddef.h>

typedef enum {
    KOT_LANG_EN = 0,
    KOT_LANG_JA
} kot_lang_t;

kot_lang_t kot_lang_pick(const char *accept_language, size_t len);

#endif /* KOT_LANG_H */
