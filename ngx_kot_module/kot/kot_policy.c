/*
 * ngx_kot: password policy checks.
 */

#include <limits.h>

#include "kot_policy.h"
#include "kot_utf8.h"


#define KOT_CLASS_LOWER  0x01
#define KOT_CLASS_UPPER  0x02
#define KOT_CLASS_DIGIT  0x04
#define KOT_CLASS_OTHER  0x08


typedef struct {
    size_t      length;     /* code points; an invalid byte counts as one */
    unsigned    classes;    /* KOT_CLASS_* seen */
    int         invalid;    /* bad UTF-8 or a control character */
} kot_pw_scan_t;


static void kot_policy_scan(const char *pw, size_t len, kot_pw_scan_t *scan);
static unsigned kot_policy_class(uint32_t cp);
static int kot_policy_is_control(uint32_t cp);
static unsigned kot_policy_count_classes(unsigned classes);
static int kot_policy_contains(const char *s, size_t len, const char *sub,
    size_t sub_len);
static unsigned char kot_policy_lower(unsigned char c);


unsigned
kot_policy_check(const kot_policy_t *p, const char *pw, size_t len,
    const char *username, size_t username_len)
{
    unsigned       rc;
    kot_pw_scan_t  scan;

    kot_policy_scan(pw, len, &scan);

    rc = KOT_PW_OK;

    if (scan.length < p->min_length) {
        rc |= KOT_PW_TOO_SHORT;
    }

    if (scan.length > p->max_length) {
        rc |= KOT_PW_TOO_LONG;
    }

    if (scan.invalid) {
        rc |= KOT_PW_INVALID_CHARS;
    }

    if (kot_policy_count_classes(scan.classes) < p->classes) {
        rc |= KOT_PW_CLASSES;
    }

    /* a name of one or two letters would refuse far too many passwords */

    if (p->not_username && username != NULL && username_len >= 3
        && kot_policy_contains(pw, len, username, username_len))
    {
        rc |= KOT_PW_USERNAME;
    }

    return rc;
}


long
kot_utf8_length(const char *s, size_t len)
{
    int                   n;
    long                  count;
    uint32_t              cp;
    const unsigned char  *p, *end;

    if (len == 0) {
        return 0;
    }

    p = (const unsigned char *) s;
    end = p + len;
    count = 0;

    while (p < end) {
        n = kot_utf8_decode(p, end - p, &cp);
        if (n < 0 || count == LONG_MAX) {
            return -1;
        }

        p += n;
        count++;
    }

    return count;
}


/*
 * One pass over the password that gathers everything the rules need, so
 * that every broken rule is reported even when the UTF-8 is invalid.
 */

static void
kot_policy_scan(const char *pw, size_t len, kot_pw_scan_t *scan)
{
    int                   n;
    uint32_t              cp;
    const unsigned char  *p, *end;

    scan->length = 0;
    scan->classes = 0;
    scan->invalid = 0;

    if (len == 0) {
        return;
    }

    p = (const unsigned char *) pw;
    end = p + len;

    while (p < end) {
        n = kot_utf8_decode(p, end - p, &cp);

        if (n < 0) {
            scan->invalid = 1;
            scan->classes |= KOT_CLASS_OTHER;
            n = 1;

        } else {
            if (kot_policy_is_control(cp)) {
                scan->invalid = 1;
            }

            scan->classes |= kot_policy_class(cp);
        }

        p += n;
        scan->length++;
    }
}


static unsigned
kot_policy_class(uint32_t cp)
{
    if (cp >= 'a' && cp <= 'z') {
        return KOT_CLASS_LOWER;
    }

    if (cp >= 'A' && cp <= 'Z') {
        return KOT_CLASS_UPPER;
    }

    if (cp >= '0' && cp <= '9') {
        return KOT_CLASS_DIGIT;
    }

    return KOT_CLASS_OTHER;
}


/* C0, DEL and C1: they cannot be typed and may upset logs or terminals. */

static int
kot_policy_is_control(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}


static unsigned
kot_policy_count_classes(unsigned classes)
{
    unsigned  n;

    for (n = 0; classes; classes >>= 1) {
        n += classes & 1;
    }

    return n;
}


/* Case-insensitive (ASCII) substring search; usernames are short. */

static int
kot_policy_contains(const char *s, size_t len, const char *sub,
    size_t sub_len)
{
    size_t  i, j;

    if (sub_len > len) {
        return 0;
    }

    for (i = 0; i <= len - sub_len; i++) {
        for (j = 0; j < sub_len; j++) {
            if (kot_policy_lower((unsigned char) s[i + j])
                != kot_policy_lower((unsigned char) sub[j]))
            {
                break;
            }
        }

        if (j == sub_len) {
            return 1;
        }
    }

    return 0;
}


static unsigned char
kot_policy_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}
