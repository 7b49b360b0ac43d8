/*
 * ngx_kot: a JSON request body (the admin API's) checked against the
 * table of its members.  Strict: one JSON object, no member twice, no
 * member the table lacks, each member of the type the table says, and
 * none that the table requires missing.
 */

#ifndef KOT_BODY_H
#define KOT_BODY_H

#include <stddef.h>

#include <jansson.h>

/* a member's JSON type */
typedef enum {
    KOT_BODY_STRING = 0,
    KOT_BODY_BOOL,
    KOT_BODY_INT,
    KOT_BODY_STRINGS,                   /* an array of strings */
    KOT_BODY_SCALAR                     /* any of the first three */
} kot_body_type_e;

typedef struct {
    const char       *name;
    kot_body_type_e   type;
    unsigned          required;
} kot_body_field_t;                     /* tables end with a NULL name */

typedef enum {
    KOT_BODY_OK = 0,
    KOT_BODY_NOT_OBJECT,
    KOT_BODY_UNKNOWN,                   /* *name: the body's member */
    KOT_BODY_WRONG_TYPE,                /* *field: the member's field */
    KOT_BODY_MISSING                    /* *field: the required one */
} kot_body_e;

/* the admin API's bodies: POST tenants, POST users, PATCH a user, PUT an
 * allow-list, PUT policy, POST support */
extern const kot_body_field_t  kot_body_tenant[];
extern const kot_body_field_t  kot_body_tenant_put[];
extern const kot_body_field_t  kot_body_user[];
extern const kot_body_field_t  kot_body_patch[];
extern const kot_body_field_t  kot_body_allowlist[];
extern const kot_body_field_t  kot_body_policy[];
extern const kot_body_field_t  kot_body_support[];

/* from now on, jansson wipes what it frees (a body's password) */
void kot_body_wipe_freed(void);

/* the body as JSON (no duplicate member; NULs kept), or NULL and *err */
json_t *kot_body_decode(const char *data, size_t len, json_error_t *err);

/* fields NULL: the body must be an empty object */
kot_body_e kot_body_check(json_t *body, const kot_body_field_t *fields,
    const char **name, const kot_body_field_t **field);

/* what a member of that type must be: "a string", ... */
const char *kot_body_type_text(kot_body_type_e type);

#endif /* KOT_BODY_H */
