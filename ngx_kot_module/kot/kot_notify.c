/*
 * ngx_kot: notifications' webhooks.
 */

#include <strings.h>

#include "kot_notify.h"


int
kot_notify_url_ok(const char *url, size_t len)
{
    size_t  i, skip;

    if (len > KOT_NOTIFY_URL_MAX) {
        return 0;
    }

    if (len > 7 && strncasecmp(url, "http://", 7) == 0) {
        skip = 7;

    } else if (len > 8 && strncasecmp(url, "https://", 8) == 0) {
        skip = 8;

    } else {
        return 0;
    }

    /* a host: something before the path, the query or the fragment */

    if (url[skip] == '/' || url[skip] == '?' || url[skip] == '#') {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if ((unsigned char) url[i] <= 0x20 || (unsigned char) url[i] >= 0x7f) {
            return 0;
        }
    }

    return 1;
}
