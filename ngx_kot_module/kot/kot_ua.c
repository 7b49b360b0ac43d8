/*
 * ngx_kot: a device in words from a User-Agent header (see kot_ua.h).
 *
 * The first token found wins, so the order of each table matters: every
 * Chromium browser says "Chrome", every iPhone browser "Safari" and
 * "like Mac OS X", and Android says "Linux".
 */

#include <stdio.h>
#include <string.h>

#include "kot_ua.h"


#define KOT_JA_NO       "の"
#define KOT_JA_BROWSER  "ブラウザー"
#define KOT_JA_UNKNOWN  "不明な端末"


typedef struct {
    const char  *token;     /* in the User-Agent */
    const char  *name;      /* stored and shown */
} kot_ua_name_t;


static const kot_ua_name_t  kot_ua_browsers[] = {
    { "Edg/", "Edge" },
    { "EdgA/", "Edge" },
    { "EdgiOS/", "Edge" },
    { "OPR/", "Opera" },
    { "SamsungBrowser/", "Samsung Internet" },
    { "FxiOS/", "Firefox" },
    { "Firefox/", "Firefox" },
    { "CriOS/", "Chrome" },
    { "Chrome/", "Chrome" },
    { "Safari/", "Safari" },
    { "curl/", "curl" },
    { NULL, NULL }
};


static const kot_ua_name_t  kot_ua_systems[] = {
    { "iPhone", "iPhone" },
    { "iPad", "iPad" },
    { "Android", "Android" },
    { "CrOS", "ChromeOS" },
    { "Windows", "Windows" },
    { "Mac OS X", "macOS" },
    { "Macintosh", "macOS" },
    { "Linux", "Linux" },
    { NULL, NULL }
};


static const char *kot_ua_find(const kot_ua_name_t *t, const char *ua,
    size_t len);
static const char *kot_ua_known(const kot_ua_name_t *t, const char *s,
    size_t len);


size_t
kot_ua_device(const char *ua, size_t len, char *buf)
{
    size_t       n, m;
    const char  *browser, *os;

    browser = kot_ua_find(kot_ua_browsers, ua, len);
    os = kot_ua_find(kot_ua_systems, ua, len);

    if (browser == NULL && os == NULL) {
        buf[0] = '\0';
        return 0;
    }

    n = browser ? strlen(browser) : 0;
    m = os ? strlen(os) : 0;

    memcpy(buf, browser ? browser : "", n);
    buf[n] = ';';
    memcpy(buf + n + 1, os ? os : "", m);
    buf[n + 1 + m] = '\0';

    return n + 1 + m;
}


size_t
kot_device_words(const char *stored, size_t len, kot_lang_t lang, char *buf)
{
    int          ja, n;
    const char  *semi, *browser, *os;

    semi = memchr(stored, ';', len);
    browser = NULL;
    os = NULL;

    if (semi) {
        browser = kot_ua_known(kot_ua_browsers, stored, semi - stored);
        os = kot_ua_known(kot_ua_systems, semi + 1,
                          len - (size_t) (semi + 1 - stored));
    }

    ja = (lang == KOT_LANG_JA);

    if (browser && os) {
        n = ja ? snprintf(buf, KOT_DEVICE_WORDS_MAX, "%s" KOT_JA_NO "%s", os,
                          browser)
               : snprintf(buf, KOT_DEVICE_WORDS_MAX, "%s on %s", browser, os);

    } else if (browser) {
        n = snprintf(buf, KOT_DEVICE_WORDS_MAX, "%s", browser);

    } else if (os) {
        n = ja ? snprintf(buf, KOT_DEVICE_WORDS_MAX,
                          "%s" KOT_JA_NO KOT_JA_BROWSER, os)
               : snprintf(buf, KOT_DEVICE_WORDS_MAX, "A browser on %s", os);

    } else {
        n = snprintf(buf, KOT_DEVICE_WORDS_MAX, "%s",
                     ja ? KOT_JA_UNKNOWN : "Unknown device");
    }

    return (n < 0) ? 0 : (size_t) n;
}


/* The name of the first token of t that ua holds, or NULL. */

static const char *
kot_ua_find(const kot_ua_name_t *t, const char *ua, size_t len)
{
    size_t  i, n;

    for ( /* void */ ; t->token; t++) {
        n = strlen(t->token);

        for (i = 0; i + n <= len; i++) {
            if (memcmp(ua + i, t->token, n) == 0) {
                return t->name;
            }
        }
    }

    return NULL;
}


/*
 * The name of t that s[0..len) is, or NULL: a stored form is trusted no
 * further than the tables.
 */

static const char *
kot_ua_known(const kot_ua_name_t *t, const char *s, size_t len)
{
    for ( /* void */ ; t->token; t++) {
        if (strlen(t->name) == len && memcmp(s, t->name, len) == 0) {
            return t->name;
        }
    }

    return NULL;
}
