/*
 * libFuzzer target: the admin API's JSON bodies, as the module reads
 * them: kot_body_decode() and kot_body_check() against the endpoint's
 * table (the first byte chooses it), then each member that passed
 * through the core's validator of it: names, roles, networks, policy
 * rules (texts, numbers or true/false, as the module spells them).
 */

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kot_body.h"
#include "kot_cidr.h"
#include "kot_ident.h"
#include "kot_policy.h"


static const kot_body_field_t  *tables[] = {
    kot_body_tenant, kot_body_user, kot_body_patch, kot_body_allowlist,
    kot_body_policy, kot_body_support, kot_body_tenant_put, NULL
};


static void
names(json_t *body)
{
    char     out[256];
    json_t  *v;

    v = json_object_get(body, "name");
    if (json_is_string(v)) {
        (void) kot_tenant_normalize(json_string_value(v),
                                    json_string_length(v), out, sizeof(out));
    }

    v = json_object_get(body, "username");
    if (!json_is_string(v)) {
        v = json_object_get(body, "admin");
    }

    if (json_is_string(v)) {
        (void) kot_username_normalize(json_string_value(v),
                                      json_string_length(v), out,
                                      sizeof(out));
    }
}


static void
roles(json_t *body)
{
    char     list[KOT_ROLES_MAX];
    size_t   i;
    json_t  *a, *v;

    a = json_object_get(body, "roles");
    list[0] = '\0';

    for (i = 0; i < json_array_size(a); i++) {
        v = json_array_get(a, i);
        (void) kot_role_valid(json_string_value(v), json_string_length(v));
        (void) kot_roles_add(list, sizeof(list), json_string_value(v),
                             json_string_length(v));
    }
}


static void
networks(json_t *body)
{
    char             text[KOT_CIDR_TEXT_MAX + 64];
    size_t           i, n;
    json_t          *a, *v;
    kot_cidr_t       c[64];
    kot_cidr_set_t  *set;

    a = json_object_get(body, "networks");
    n = 0;

    for (i = 0; i < json_array_size(a) && n < 64; i++) {
        v = json_array_get(a, i);

        if (kot_cidr_parse(json_string_value(v), json_string_length(v),
                           &c[n])
            != 0)
        {
            continue;
        }

        (void) kot_cidr_format(&c[n], text, sizeof(text));
        n++;
    }

    n = kot_cidr_unique(c, n);
    set = kot_cidr_set_build(c, n);
    kot_cidr_set_free(set);
}


static void
rules(json_t *body)
{
    int                      len;
    char                     rule[128], err[256];
    json_t                  *v;
    kot_policy_fault_t       fault;
    kot_policy_t             t = KOT_POLICY_DEFAULT;
    const kot_policy_t       server = KOT_POLICY_DEFAULT;
    const kot_body_field_t  *f;

    for (f = kot_body_policy; f->name; f++) {
        v = json_object_get(body, f->name);

        if (json_is_boolean(v)) {
            len = snprintf(rule, sizeof(rule), "%s=%s", f->name,
                           json_is_true(v) ? "on" : "off");

        } else if (json_is_integer(v)) {
            len = snprintf(rule, sizeof(rule), "%s=%" PRId64, f->name,
                           (int64_t) json_integer_value(v));

        } else if (json_is_string(v) && json_string_length(v) <= 32) {
            len = snprintf(rule, sizeof(rule), "%s=", f->name);
            memcpy(rule + len, json_string_value(v), json_string_length(v));
            len += (int) json_string_length(v);

        } else {
            continue;
        }

        (void) kot_policy_tenant_set(&t, rule, (size_t) len, err,
                                     sizeof(err), &fault);
    }

    (void) kot_policy_check_tighter(&server, &t, err, sizeof(err), &fault);
    (void) kot_policy_valid(&t, err, sizeof(err), &fault);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t                  *body;
    const char              *name;
    json_error_t             err;
    const kot_body_field_t  *fields, *f;

    if (size < 1) {
        return 0;
    }

    /* 7: an endpoint without a body, which must be an empty object */
    fields = tables[data[0] % 8];

    body = kot_body_decode((const char *) data + 1, size - 1, &err);
    if (body == NULL) {
        return 0;
    }

    name = NULL;
    f = NULL;

    switch (kot_body_check(body, fields, &name, &f)) {

    case KOT_BODY_OK:
        names(body);
        roles(body);
        networks(body);
        rules(body);
        break;

    case KOT_BODY_UNKNOWN:
        if (name == NULL) {
            __builtin_trap();
        }
        break;

    case KOT_BODY_WRONG_TYPE:
    case KOT_BODY_MISSING:
        if (f == NULL || f->name == NULL
            || kot_body_type_text(f->type) == NULL)
        {
            __builtin_trap();
        }
        break;

    default:
        break;
    }

    json_decref(body);

    return 0;
}
