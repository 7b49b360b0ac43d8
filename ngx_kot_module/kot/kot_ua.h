/*
 * ngx_kot: a device in words from a User-Agent header, for the list of a
 * user's own sessions ("Firefox on Windows").
 *
 * The browser and the system come from fixed tables, never from the
 * client's text: what is stored (the session's "d" field) and shown needs
 * no escaping, and says no more about a user than those two names.
 * Stored as "Browser;System", either part possibly empty.
 */

#ifndef KOT_UA_H
#define KOT_UA_H

#include <stddef.h>

#include "kot_lang.h"

/* longest stored form, and longest words, with the NUL */
#define KOT_DEVICE_MAX        40
#define KOT_DEVICE_WORDS_MAX  80

/*
 * The stored form for a User-Agent (ua[0..len), no NUL needed) into buf,
 * which holds at least KOT_DEVICE_MAX.  Returns its length; 0 when
 * neither part is known (the form is then empty).
 */
size_t kot_ua_device(const char *ua, size_t len, char *buf);

/*
 * The words for a stored form, in lang, into buf (at least
 * KOT_DEVICE_WORDS_MAX): "Chrome on Android", "AndroidのChrome".  A
 * stored form that names nothing in the tables is an unknown device.
 * Returns the length.
 */
size_t kot_device_words(const char *stored, size_t len, kot_lang_t lang,
    char *buf);

#endif /* KOT_UA_H */
