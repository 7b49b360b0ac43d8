/*
 * kotctl: the password policy that applies to a tenant's passwords.  The
 * server's rules are what nginx published in kot:v1:policy (the
 * http-level kot_password_policy); the tenant's own rules tighten them.
 * The rules themselves are kot/kot_policy.c, the module's code.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kotctl.h"
#include "kot_policy.h"
#include "kot_scripts.h"


/* The server's policy; the defaults when nginx has not published one. */

int
kotctl_policy_server(kotctl_t *k, kot_policy_t *p, char *blocklist,
    size_t cap)
{
    char         rule[128], err[256];
    size_t       i;
    const char  *args[2], *name, *value;
    redisReply  *r;

    static kot_policy_t  defaults = KOT_POLICY_DEFAULT;

    *p = defaults;
    blocklist[0] = '\0';

    args[0] = "HGETALL";
    args[1] = KOT_KEY_POLICY;

    r = kotctl_cmd(k, 2, args);
    if (r == NULL) {
        return KOTCTL_FAIL;
    }

    for (i = 0; i + 1 < r->elements; i += 2) {
        name = r->element[i]->str;
        value = r->element[i + 1]->str;

        if (strcmp(name, "blocklist") == 0) {
            snprintf(blocklist, cap, "%s", value);
            continue;
        }

        /* times are published in ms */
        snprintf(rule, sizeof(rule), "%s=%s%s", name, value,
                 strstr(name, "age") || strstr(name, "inactive") ? "ms"
                                                                 : "");

        if (strcmp(name, "not_username") == 0) {
            snprintf(rule, sizeof(rule), "not_username=%s",
                     value[0] == '1' ? "on" : "off");
        }

        if (strcmp(name, "mfa") == 0) {
            snprintf(rule, sizeof(rule), "mfa=%s",
                     value[0] == '1' ? KOT_POLICY_REQUIRED
                                     : KOT_POLICY_OPTIONAL);
        }

        (void) kot_policy_set(p, rule, strlen(rule), err, sizeof(err));
    }

    freeReplyObject(r);

    return KOTCTL_OK;
}


/*
 * The tenant's own rules, applied on top of p as written by kotctl; with
 * print, shown too (as JSON with --json).  An unknown tenant is an error.
 */

int
kotctl_policy_tenant(kotctl_t *k, const char *tenant, kot_policy_t *p,
    int print)
{
    char          rule[128], err[256];
    size_t        i;
    json_t       *rules;
    const char   *args[1];
    redisReply   *r, *e;

    args[0] = kotctl_key(KOT_KEY_TENANT, tenant, NULL);

    r = kotctl_eval(k, KOT_SCRIPT_POLICY_GET, 1, 1, args);
    if (r == NULL) {
        return KOTCTL_FAIL;
    }

    if (kotctl_refusal(r)) {
        freeReplyObject(r);
        return kotctl_no_tenant(k, tenant);
    }

    if (r->type != REDIS_REPLY_ARRAY || r->elements != KOT_TENANT_POLICY_N) {
        return kotctl_unexpected(k, r);
    }

    rules = json_object();

    if (print && !k->json) {
        kotctl_print(stdout, "tenant \"%s\" tightens the server's policy "
                     "with:\n", tenant);
    }

    for (i = 0; i < KOT_TENANT_POLICY_N; i++) {
        e = r->element[i];

        if (e->type != REDIS_REPLY_STRING || e->len == 0) {
            continue;
        }

        snprintf(rule, sizeof(rule), "%s=%s", kot_tenant_rules[i],
                 e->str);
        (void) kot_policy_set(p, rule, strlen(rule), err, sizeof(err));
        json_object_set_new(rules, kot_tenant_rules[i],
                            kotctl_json_text(e->str, e->len));

        if (print && !k->json) {
            kotctl_print(stdout, "  %s\n", rule);
        }
    }

    freeReplyObject(r);

    if (print && k->json) {
        return kotctl_json_print(json_pack("{s:s, s:o}", "tenant", tenant,
                                           "rules", rules));
    }

    json_decref(rules);

    return KOTCTL_OK;
}


/*
 * The effective policy of a tenant, as the module's: the server's
 * tightened by the tenant's own rules.  path gets the server's
 * blocklist, which is not loaded.
 */

int
kotctl_policy_rules(kotctl_t *k, const char *tenant, kot_policy_t *out,
    char *path, size_t cap)
{
    kot_policy_t  server, t;

    if (kotctl_policy_server(k, &server, path, cap) != KOTCTL_OK) {
        return KOTCTL_FAIL;
    }

    t = server;

    if (kotctl_policy_tenant(k, tenant, &t, 0) != KOTCTL_OK) {
        return KOTCTL_FAIL;
    }

    kot_policy_strictest(out, &server, &t);

    return KOTCTL_OK;
}


/*
 * The effective policy for a tenant's passwords, with the server's
 * blocklist if this host can read it.
 */

int
kotctl_policy_effective(kotctl_t *k, const char *tenant, kot_policy_t *out,
    kot_blocklist_t **bl)
{
    char  path[1024], err[256];

    if (kotctl_policy_rules(k, tenant, out, path, sizeof(path))
        != KOTCTL_OK)
    {
        return KOTCTL_FAIL;
    }

    *bl = NULL;

    if (path[0]) {
        *bl = kot_blocklist_load(path, err, sizeof(err));

        if (*bl == NULL) {
            kotctl_error("warning: the blocklist is not checked: %s", err);
        }
    }

    out->blocklist = *bl;

    return KOTCTL_OK;
}
