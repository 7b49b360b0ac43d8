/*
 * ngx_kot: tenant and user names (the rule and why: kot_ident.h).
 */

#include <string.h>

#include "kot_ident.h"
#include "kot_scripts.h"


static int kot_ident_fold(const char *in, size_t len, char *out, size_t cap,
    size_t max, int (*allowed)(unsigned char c));
static int kot_tenant_char(unsigned char c);
static int kot_username_char(unsigned char c);
static int kot_alnum(unsigned char c);
static int kot_role_char(unsigned char c);


int
kot_tenant_normalize(const char *in, size_t len, char *out, size_t cap)
{
    int     n;
    size_t  i;

    n = kot_ident_fold(in, len, out, cap, KOT_TENANT_MAX, kot_tenant_char);
    if (n < 0) {
        return -1;
    }

    if (!kot_alnum(out[0]) || !kot_alnum(out[n - 1])) {
        goto refuse;
    }

    /* an empty label ("a..b") is no host name */

    for (i = 1; i < (size_t) n; i++) {
        if (out[i] == '.' && out[i - 1] == '.') {
            goto refuse;
        }
    }

    return n;

refuse:

    out[0] = '\0';

    return -1;
}


int
kot_username_normalize(const char *in, size_t len, char *out, size_t cap)
{
    int  n;

    n = kot_ident_fold(in, len, out, cap, KOT_USERNAME_MAX,
                       kot_username_char);
    if (n < 0) {
        return -1;
    }

    if (out[0] == '.' || out[0] == '@' || out[0] == '-') {
        out[0] = '\0';
        return -1;
    }

    return n;
}


/*
 * Copies in[0..len) to out in lower case if it is 1..max characters that
 * are all allowed after folding.  out is left empty on failure so that a
 * refused name is never used by mistake.
 */

static int
kot_ident_fold(const char *in, size_t len, char *out, size_t cap, size_t max,
    int (*allowed)(unsigned char c))
{
    size_t         i;
    unsigned char  c;

    if (len == 0 || len > max || cap < len + 1) {
        if (cap > 0) {
            out[0] = '\0';
        }

        return -1;
    }

    for (i = 0; i < len; i++) {
        c = (unsigned char) in[i];

        if (c >= 'A' && c <= 'Z') {
            c += 'a' - 'A';
        }

        if (!allowed(c)) {
            out[0] = '\0';
            return -1;
        }

        out[i] = (char) c;
    }

    out[len] = '\0';

    return (int) len;
}


static int
kot_tenant_char(unsigned char c)
{
    return kot_alnum(c) || c == '.' || c == '-';
}


static int
kot_username_char(unsigned char c)
{
    return kot_alnum(c) || c == '.' || c == '_' || c == '@' || c == '+'
           || c == '-';
}


static int
kot_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}


int
kot_role_valid(const char *role, size_t len)
{
    size_t  i;

    if (len == 0 || len > KOT_ROLE_MAX) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (!kot_role_char((unsigned char) role[i])) {
            return 0;
        }
    }

    return 1;
}


int
kot_roles_have(const char *roles, size_t len, const char *role, size_t rlen)
{
    size_t  i, start;

    start = 0;

    for (i = 0; i <= len; i++) {
        if (i < len && roles[i] != ',') {
            continue;
        }

        if (i - start == rlen && memcmp(roles + start, role, rlen) == 0) {
            return 1;
        }

        start = i + 1;
    }

    return 0;
}


static int
kot_role_char(unsigned char c)
{
    return kot_alnum(c) || c == '_' || c == '-';
}


int
kot_roles_add(char *roles, size_t cap, const char *role, size_t len)
{
    size_t  used;

    if (!kot_role_valid(role, len)) {
        return -1;
    }

    used = strlen(roles);

    if (kot_roles_have(roles, used, role, len)) {
        return 0;
    }

    if (used + (used ? 1 : 0) + len + 1 > cap) {
        return -2;
    }

    if (used) {
        roles[used++] = ',';
    }

    memcpy(roles + used, role, len);
    roles[used + len] = '\0';

    return 0;
}


int
kot_session_handle_valid(const char *s, size_t len)
{
    size_t         i;
    unsigned char  c;

    if (len < KOT_SID_SHORT_LEN || len > KOT_SID_B64_LEN) {
        return 0;
    }

    /* base64url */

    for (i = 0; i < len; i++) {
        c = (unsigned char) s[i];

        if (!kot_alnum(c) && !(c >= 'A' && c <= 'Z') && c != '-' && c != '_')
        {
            return 0;
        }
    }

    return 1;
}
