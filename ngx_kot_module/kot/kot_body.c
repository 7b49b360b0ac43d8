/*
 * ngx_kot: a JSON request body checked against the table of its members
 * (kot_body.h).
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kot_body.h"
#include "kot_crypto.h"


/* jansson's blocks: each starts with its size, aligned for anything */
typedef union {
    size_t        size;
    long double   ld;
    long long     ll;
    void         *p;
} kot_body_block_t;


static int kot_body_member_ok(const kot_body_field_t *f, json_t *v);
static void *kot_body_malloc(size_t size);
static void kot_body_free(void *p);


/* [kot_body_type_e] */
static const char  *kot_body_types[] = {
    "a string", "true or false", "an integer", "an array of strings",
    "a string, a number or true or false"
};


/* the admin API's bodies (README, "The admin API") */

const kot_body_field_t  kot_body_tenant[] = {
    { "name", KOT_BODY_STRING, 1 },
    { "admin", KOT_BODY_STRING, 0 },         /* its first admin */
    { NULL, 0, 0 }
};

/* PUT tenants/T: its webhook ("" for none) */
const kot_body_field_t  kot_body_tenant_put[] = {
    { "notify_url", KOT_BODY_STRING, 1 },
    { NULL, 0, 0 }
};

const kot_body_field_t  kot_body_user[] = {
    { "username", KOT_BODY_STRING, 1 },
    { "roles", KOT_BODY_STRINGS, 1 },
    { "password", KOT_BODY_STRING, 0 },
    { NULL, 0, 0 }
};

const kot_body_field_t  kot_body_patch[] = {
    { "roles", KOT_BODY_STRINGS, 0 },
    { "disabled", KOT_BODY_BOOL, 0 },
    { NULL, 0, 0 }
};

const kot_body_field_t  kot_body_allowlist[] = {
    { "networks", KOT_BODY_STRINGS, 1 },
    { "force", KOT_BODY_BOOL, 0 },
    { NULL, 0, 0 }
};

/* as GET policy's "rules" has them, texts, or as numbers and booleans */
const kot_body_field_t  kot_body_policy[] = {
    { "min_length", KOT_BODY_SCALAR, 0 },
    { "classes", KOT_BODY_SCALAR, 0 },
    { "not_username", KOT_BODY_SCALAR, 0 },
    { "history", KOT_BODY_SCALAR, 0 },
    { "min_age", KOT_BODY_SCALAR, 0 },
    { "max_age", KOT_BODY_SCALAR, 0 },
    { "inactive_after", KOT_BODY_SCALAR, 0 },
    { "mfa", KOT_BODY_SCALAR, 0 },
    { NULL, 0, 0 }
};

const kot_body_field_t  kot_body_support[] = {
    { "hours", KOT_BODY_INT, 1 },
    { NULL, 0, 0 }
};


/*
 * A password in a body passes through jansson's parser and strings:
 * everything jansson frees is wiped first.  Its free() is told no size,
 * so each block carries its own.  Once per process, before jansson
 * allocates anything that it frees later.
 */

void
kot_body_wipe_freed(void)
{
    json_set_alloc_funcs(kot_body_malloc, kot_body_free);
}


static void *
kot_body_malloc(size_t size)
{
    kot_body_block_t  *b;

    if (size > SIZE_MAX - sizeof(kot_body_block_t)) {
        return NULL;
    }

    b = malloc(sizeof(kot_body_block_t) + size);
    if (b == NULL) {
        return NULL;
    }

    b->size = size;

    return b + 1;
}


static void
kot_body_free(void *p)
{
    kot_body_block_t  *b;

    if (p == NULL) {
        return;
    }

    b = (kot_body_block_t *) p - 1;
    kot_cleanse(p, b->size);
    free(b);
}


/*
 * jansson ends its reason with " near '...'", a quote of the body where
 * it stopped: in a password that is the password's first part, which
 * the API's answer would show.  The reason keeps only its words; the
 * line and column say where.  No reason of jansson's holds " near "
 * before that end.
 */

json_t *
kot_body_decode(const char *data, size_t len, json_error_t *err)
{
    char    *near;
    json_t  *body;

    body = json_loadb(data, len, JSON_REJECT_DUPLICATES|JSON_ALLOW_NUL, err);

    if (body == NULL) {
        near = strstr(err->text, " near ");

        if (near != NULL) {
            kot_cleanse(near, sizeof(err->text) - (near - err->text));
        }
    }

    return body;
}


kot_body_e
kot_body_check(json_t *body, const kot_body_field_t *fields,
    const char **name, const kot_body_field_t **field)
{
    const char              *key;
    json_t                  *v;
    const kot_body_field_t  *f;

    if (!json_is_object(body)) {
        return KOT_BODY_NOT_OBJECT;
    }

    json_object_foreach(body, key, v) {

        for (f = fields; f && f->name; f++) {
            if (strcmp(f->name, key) == 0) {
                break;
            }
        }

        if (f == NULL || f->name == NULL) {
            *name = key;
            return KOT_BODY_UNKNOWN;
        }

        if (!kot_body_member_ok(f, v)) {
            *field = f;
            return KOT_BODY_WRONG_TYPE;
        }
    }

    for (f = fields; f && f->name; f++) {
        if (f->required && json_object_get(body, f->name) == NULL) {
            *field = f;
            return KOT_BODY_MISSING;
        }
    }

    return KOT_BODY_OK;
}


static int
kot_body_member_ok(const kot_body_field_t *f, json_t *v)
{
    size_t  i;

    switch (f->type) {

    case KOT_BODY_STRING:
        return json_is_string(v);

    case KOT_BODY_BOOL:
        return json_is_boolean(v);

    case KOT_BODY_INT:
        return json_is_integer(v);

    case KOT_BODY_SCALAR:
        return json_is_string(v) || json_is_integer(v) || json_is_boolean(v);

    default: /* KOT_BODY_STRINGS */
        if (!json_is_array(v)) {
            return 0;
        }

        for (i = 0; i < json_array_size(v); i++) {
            if (!json_is_string(json_array_get(v, i))) {
                return 0;
            }
        }

        return 1;
    }
}


const char *
kot_body_type_text(kot_body_type_e type)
{
    return kot_body_types[type];
}
