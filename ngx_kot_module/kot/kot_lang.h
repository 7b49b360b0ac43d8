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

/*
 * The language a user chose ("ja" or "en", as the portal's language
 * switch sends it in ?lang= and keeps in a cookie); -1 for anything else.
 */
int kot_lang_named(const char *s, size_t len);

/*
 * A query string (without "?") with every "lang" parameter left out,
 * into out (at most len bytes); returns its length.  The language
 * switch's links add their own.
 */
size_t kot_lang_args(const char *args, size_t len, char *out);

#endif /* KOT_LANG_H */
