/*
 * kotctl: a user's second factor.  "user mfa-reset" is for a lost phone:
 * it removes the user's TOTP seed and recovery codes and ends the user's
 * sessions; the next login enrols again where the tenant requires MFA.
 * Nothing here reads a seed: kotctl needs no key to remove one.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kotctl.h"
#include "kot_scripts.h"


int
kotctl_mfa_reset(kotctl_t *k, const char *tenant, const char *user)
{
    long long    result, ended;
    const char  *args[4];
    redisReply  *r;

    if (kotctl_change_ready(k) != KOTCTL_OK) {
        return KOTCTL_FAIL;
    }

    args[0] = kotctl_key(KOT_KEY_MFA, tenant, user);
    args[1] = kotctl_key(KOT_KEY_USER_SESSIONS, tenant, user);
    args[2] = kotctl_key(KOT_KEY_USER, tenant, user);
    args[3] = kotctl_key(KOT_KEY_MFA_CODES, tenant, user);

    r = kotctl_eval(k, KOT_SCRIPT_MFA_RESET, 4, 4, args);
    if (r == NULL) {
        return KOTCTL_FAIL;
    }

    if (r->type != REDIS_REPLY_ARRAY || r->elements < 1
        || r->element[0]->type != REDIS_REPLY_INTEGER)
    {
        freeReplyObject(r);
        kotctl_error("Redis answered the script with something unexpected; "
                     "is another program using the kot:v1: keys?");
        return KOTCTL_FAIL;
    }

    result = r->element[0]->integer;
    ended = (r->elements == 2 && r->element[1]->type == REDIS_REPLY_INTEGER)
            ? r->element[1]->integer : 0;
    freeReplyObject(r);

    if (result < 0) {
        kotctl_error("user \"%s\" does not exist in tenant \"%s\"", user,
                     tenant);
        return KOTCTL_FAIL;
    }

    if (result == 0) {
        kotctl_print(stdout, "user \"%s\" in tenant \"%s\" has no MFA; "
                     "nothing to reset\n", user, tenant);
        return KOTCTL_OK;
    }

    kotctl_print(stdout, "MFA of user \"%s\" in tenant \"%s\" reset; %lld %s "
                 "ended\n", user, tenant, ended,
                 kotctl_plural(ended, "session", "sessions"));

    return kotctl_audit_event(k, "mfa_reset", "iam", tenant, user,
                              json_pack("{s:I}", "sessions_ended",
                                        (json_int_t) ended))
           == 0 ? KOTCTL_OK : KOTCTL_FAIL;
}


/*
 * For "user status": whether the user has MFA, since when, and how many
 * recovery codes are left.
 */

int
kotctl_mfa_status(kotctl_t *k, const char *tenant, const char *user)
{
    char         t[32];
    const char  *args[3];
    redisReply  *r, *n;

    args[0] = "HGET";
    args[1] = kotctl_key(KOT_KEY_MFA, tenant, user);
    args[2] = "enrolled";

    r = kotctl_cmd(k, 3, args);
    if (r == NULL) {
        return KOTCTL_FAIL;
    }

    if (r->type != REDIS_REPLY_STRING) {
        freeReplyObject(r);
        printf("mfa:           no\n");
        return KOTCTL_OK;
    }

    kotctl_time(strtoull(r->str, NULL, 10), t, sizeof(t));
    freeReplyObject(r);

    args[0] = "SCARD";
    args[1] = kotctl_key(KOT_KEY_MFA_CODES, tenant, user);

    n = kotctl_cmd(k, 2, args);
    if (n == NULL) {
        return KOTCTL_FAIL;
    }

    printf("mfa:           yes, since %s (%lld recovery %s left)\n", t,
           n->type == REDIS_REPLY_INTEGER ? n->integer : 0,
           kotctl_plural(n->type == REDIS_REPLY_INTEGER ? n->integer : 0,
                         "code", "codes"));
    freeReplyObject(n);

    return KOTCTL_OK;
}
