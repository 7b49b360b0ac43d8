/*
 * libFuzzer target: kot_policy_check() and kot_utf8_length().  The first
 * four bytes choose the policy and where the username starts; the length
 * verdict must agree with kot_utf8_length() on valid UTF-8.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kot_policy.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char          *pw, *user;
    long           cps;
    size_t         pw_len, user_len;
    unsigned       rc;
    kot_policy_t   p = KOT_POLICY_DEFAULT;

    if (size < 4) {
        return 0;
    }

    p.min_length = data[0] % 32;
    p.max_length = data[1] % 64;
    p.classes = data[2] % 5;
    p.not_username = data[2] >> 7;

    data += 4;
    size -= 4;

    user_len = data[-1] % 8;
    if (user_len > size) {
        user_len = size;
    }

    pw_len = size - user_len;

    pw = malloc(pw_len ? pw_len : 1);
    user = malloc(user_len ? user_len : 1);
    if (pw == NULL || user == NULL) {
        free(pw);
        free(user);
        return 0;
    }

    memcpy(user, data, user_len);
    memcpy(pw, data + user_len, pw_len);

    rc = kot_policy_check(&p, pw, pw_len, user, user_len);
    cps = kot_utf8_length(pw, pw_len);

    if (cps < 0 && !(rc & KOT_PW_INVALID_CHARS)) {
        abort();
    }

    if (cps >= 0
        && (((rc & KOT_PW_TOO_SHORT) != 0) != (cps < (long) p.min_length)
            || ((rc & KOT_PW_TOO_LONG) != 0) != (cps > (long) p.max_length)))
    {
        abort();
    }

    if (cps > (long) pw_len) {
        abort();
    }

    free(pw);
    free(user);

    return 0;
}
