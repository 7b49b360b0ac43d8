/*
 * kotctl: tenants and their password policy.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kotctl.h"
#include "kot_ident.h"
#include "kot_policy.h"
#include "kot_scripts.h"


static int kotctl_tenant_add(kotctl_t *k, const char *tenant);
static int kotctl_tenant_policy(kotctl_t *k, const char *tenant, int argc,
    char **argv);


int
kotctl_tenant(kotctl_t *k, int argc, char **argv)
{
    int   rc;
    char  tenant[KOT_TENANT_MAX + 1];

    if (argc < 2 || (strcmp(argv[0], "add") != 0
                     && strcmp(argv[0], "policy") != 0)
        || (argv[0][0] == 'a' && argc != 2))
    {
        kotctl_error("usage: kotctl tenant add TENANT | "
                     "tenant policy TENANT [RULE=VALUE...]");
        return KOTCTL_USAGE;
    }

    rc = kotctl_tenant_name(argv[1], tenant);
    if (rc != KOTCTL_OK) {
        return rc;
    }

    rc = kotctl_connect(k);
    if (rc != KOTCTL_OK) {
        return rc;
    }

    if (argv[0][0] == 'a') {
        return kotctl_tenant_add(k, tenant);
    }

    return kotctl_tenant_policy(k, tenant, argc - 2, argv + 2);
}


static int
kotctl_tenant_add(kotctl_t *k, const char *tenant)
{
    int          rc;
    char         now[24];
    const char  *args[5];
    redisReply  *reply;

    if (kotctl_audit_ready(k) != KOTCTL_OK) {
        return KOTCTL_FAIL;
    }

    snprintf(now, sizeof(now), "%llu", (unsigned long long) kotctl_now());

    args[0] = kotctl_key(KOT_KEY_TENANT, tenant, NULL);
    args[1] = KOT_KEY_TENANTS;
    args[2] = KOT_KEY_RETIRED_TENANTS;
    args[3] = tenant;
    args[4] = now;

    reply = kotctl_eval(k, KOT_SCRIPT_TENANT_ADD, 3, 5, args);
    if (reply == NULL) {
        return KOTCTL_FAIL;
    }

    rc = (reply->type == REDIS_REPLY_INTEGER && reply->integer == 1);
    freeReplyObject(reply);

    if (!rc) {
        kotctl_error("tenant \"%s\" already exists", tenant);
        return KOTCTL_FAIL;
    }

    printf("tenant \"%s\" added\n", tenant);

    return kotctl_audit_event(k, "tenant_added", "configuration", tenant,
                              NULL, NULL) == 0 ? KOTCTL_OK : KOTCTL_FAIL;
}


/*
 * Without rules: shows the policy.  With rules: tightens it.  Every rule
 * is checked before anything is stored, and a loosening of the server's
 * policy is refused.
 */

static int
kotctl_tenant_policy(kotctl_t *k, const char *tenant, int argc, char **argv)
{
    int            i;
    char           err[256], path[1024], field[64];
    size_t         n;
    json_t        *change;
    const char    *args[4];
    kot_policy_t   server, t;
    redisReply    *r;

    if (kotctl_tenant_exists(k, tenant) != KOTCTL_OK
        || kotctl_policy_server(k, &server, path, sizeof(path)) != KOTCTL_OK)
    {
        return KOTCTL_FAIL;
    }

    t = server;

    if (argc == 0) {
        printf("tenant \"%s\" tightens the server's policy with:\n", tenant);
        return kotctl_policy_tenant(k, tenant, &t, 1);
    }

    if (kotctl_policy_tenant(k, tenant, &t, 0) != KOTCTL_OK) {
        return KOTCTL_FAIL;
    }

    for (i = 0; i < argc; i++) {
        n = strcspn(argv[i], "=");

        if ((n == 10 && strncmp(argv[i], "max_length", 10) == 0)
            || (n == 9 && strncmp(argv[i], "blocklist", 9) == 0))
        {
            kotctl_error("\"%s\": %.*s is set for the whole server by "
                         "kot_password_policy, not per tenant", argv[i],
                         (int) n, argv[i]);
            return KOTCTL_USAGE;
        }

        if (kot_policy_set(&t, argv[i], strlen(argv[i]), err, sizeof(err))
            != 0)
        {
            kotctl_error("%s", err);
            return KOTCTL_USAGE;
        }
    }

    if (kot_policy_check_tighter(&server, &t, err, sizeof(err)) != 0
        || kot_policy_valid(&t, err, sizeof(err)) != 0)
    {
        kotctl_error("%s", err);
        return KOTCTL_USAGE;
    }

    if (kotctl_audit_ready(k) != KOTCTL_OK) {
        return KOTCTL_FAIL;
    }

    change = json_object();

    for (i = 0; i < argc; i++) {
        n = strcspn(argv[i], "=");
        snprintf(field, sizeof(field), "policy.%.*s", (int) n, argv[i]);

        args[0] = "HSET";
        args[1] = kotctl_key(KOT_KEY_TENANT, tenant, NULL);
        args[2] = field;
        args[3] = argv[i] + n + 1;

        r = kotctl_cmd(k, 4, args);
        if (r == NULL) {
            json_decref(change);
            return KOTCTL_FAIL;
        }

        freeReplyObject(r);
        json_object_set_new(change, field + 7, json_string(argv[i] + n + 1));
    }

    printf("tenant \"%s\": policy tightened\n", tenant);

    return kotctl_audit_event(k, "tenant_policy_changed", "configuration",
                              tenant, NULL, change) == 0
           ? KOTCTL_OK : KOTCTL_FAIL;
}


/* The normalised name (kot_ident.h), or the rule it breaks. */

int
kotctl_tenant_name(const char *name, char tenant[KOT_TENANT_MAX + 1])
{
    if (kot_tenant_normalize(name, strlen(name), tenant, KOT_TENANT_MAX + 1)
        < 0)
    {
        kotctl_error("\"%s\" is not a valid tenant name: use "
                     KOT_TENANT_RULE, name);
        return KOTCTL_USAGE;
    }

    return KOTCTL_OK;
}


int
kotctl_tenant_exists(kotctl_t *k, const char *tenant)
{
    int  exists;

    exists = kotctl_exists(k, kotctl_key(KOT_KEY_TENANT, tenant, NULL));

    if (exists < 0) {
        return KOTCTL_FAIL;
    }

    if (!exists) {
        kotctl_error("tenant \"%s\" does not exist; add it with \"kotctl "
                     "tenant add %s\"", tenant, tenant);
        return KOTCTL_FAIL;
    }

    return KOTCTL_OK;
}
