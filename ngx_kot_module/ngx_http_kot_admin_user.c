
/*
 * ngx_kot: the admin API's user and session endpoints.  A temporary
 * password follows the tenant's effective policy and is hashed in the
 * thread pool, as the portal hashes; every change is one script of
 * kot_scripts.c.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_kot_admin.h"
#include "kot_change.h"
#include "kot_crypto.h"
#include "kot_form.h"
#include "kot_ident.h"


static ngx_int_t ngx_http_kot_admin_no_user(ngx_http_request_t *r);
static ngx_int_t ngx_http_kot_admin_user_keys(ngx_http_request_t *r,
    ngx_http_kot_redis_args_t *a, const char *prefix, ...);
static json_t *ngx_http_kot_admin_user_json(ngx_http_kot_val_t *row,
    ngx_uint_t full, kot_policy_t *policy);
static ngx_int_t ngx_http_kot_admin_users_list(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_admin_users_listed(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_admin_user_load(ngx_http_request_t *r,
    ngx_http_kot_step_pt next);
static ngx_int_t ngx_http_kot_admin_user_show(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_admin_user_etag(ngx_http_request_t *r,
    ngx_http_kot_admin_t *ad);
static ngx_int_t ngx_http_kot_admin_user_shown(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_admin_roles(ngx_http_request_t *r,
    ngx_str_t *roles);
static ngx_int_t ngx_http_kot_admin_role_error(ngx_http_request_t *r,
    const char *reason, json_t *role);
static void ngx_http_kot_admin_pw_wipe(void *data);
static ngx_int_t ngx_http_kot_admin_pw_refused(ngx_http_request_t *r,
    kot_policy_t *policy, unsigned bits, ngx_uint_t generated);
static ngx_int_t ngx_http_kot_admin_pw_hash(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_admin_user_added(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_admin_patch_read(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_admin_patch_inactive(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_admin_patch_run(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_admin_patched(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_admin_patch_refused(ngx_http_request_t *r,
    ngx_http_kot_admin_t *ad);
static ngx_int_t ngx_http_kot_admin_self(ngx_http_request_t *r,
    ngx_http_kot_admin_t *ad, const char *action, const char *code,
    const char *detail);
static ngx_int_t ngx_http_kot_admin_own(ngx_http_request_t *r,
    ngx_http_kot_admin_t *ad, const char *action, const char *detail);
static ngx_int_t ngx_http_kot_admin_last_admin(ngx_http_request_t *r,
    ngx_http_kot_admin_t *ad, const char *action);
static void ngx_http_kot_admin_patch_audit_disabled(ngx_http_request_t *r,
    ngx_http_kot_admin_t *ad);
static void ngx_http_kot_admin_patch_audit_roles(ngx_http_request_t *r,
    ngx_http_kot_admin_t *ad);
static ngx_int_t ngx_http_kot_admin_user_delete_run(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_admin_user_deleted(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_admin_mfa_reset_done(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_admin_user_unlocked(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_admin_password_store(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_admin_password_set(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_admin_sessions_revoke(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_admin_sessions_revoked(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_admin_sessions_listed(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_admin_session_ended(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_str_t *ngx_http_kot_admin_actor(ngx_http_request_t *r);


/* users: "inactive" is said by the tenant's effective policy */

ngx_int_t
ngx_http_kot_admin_users(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    return ngx_http_kot_admin_with_policy(r, ngx_http_kot_admin_users_list);
}


static ngx_int_t
ngx_http_kot_admin_users_list(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_admin_t       *ad = ngx_http_kot_admin_get(ctx);
    ngx_http_kot_redis_args_t   a;

    a.argc = 0;

    if (ngx_http_kot_admin_tenant_keys(r, &a, KOT_KEY_USERS) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_kot_redis_arg(&a, ad->tenant.data, ad->tenant.len);

    if (ngx_http_kot_redis_num(r, &a, ngx_http_kot_now()) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_kot_admin_script(r, KOT_SCRIPT_USER_LIST, 2, &a, NULL, 0,
                                     ngx_http_kot_admin_users_listed);
}


static ngx_int_t
ngx_http_kot_admin_users_listed(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx)
{
    json_t                *list;
    ngx_uint_t             i;
    ngx_http_kot_admin_t  *ad = ngx_http_kot_admin_get(ctx);

    if (ad->reply->type != REDIS_REPLY_ARRAY) {
        return ngx_http_kot_admin_error(r, NGX_HTTP_NOT_FOUND, "not_found",
                                        "no such tenant");
    }

    list = json_array();

    for (i = 0; list && i < ad->reply->n; i++) {
        json_array_append_new(list,
            ngx_http_kot_admin_user_json(&ad->reply->e[i], 0, ad->policy));
    }

    return ngx_http_kot_admin_answer(r, NGX_HTTP_OK,
                                     json_pack("{s:o}", "users", list));
}


/*
 * A row of user_list or user_get as JSON, as "kotctl --json" prints it,
 * inactive by the tenant's effective policy; full adds what only
 * user_get has.
 */

static json_t *
ngx_http_kot_admin_user_json(ngx_http_kot_val_t *row, ngx_uint_t full,
    kot_policy_t *policy)
{
    json_t   *u;
    int64_t   until;

    u = json_pack("{s:o,s:o,s:b,s:b,s:b,s:o,s:o,s:b,s:b}",
                  "username", ngx_http_kot_json_str(
                                  ngx_http_kot_val_str(row, 0)),
                  "roles", ngx_http_kot_json_roles(
                               ngx_http_kot_val_str(row, 1)),
                  "disabled", ngx_http_kot_val_int(row, 2) != 0,
                  "locked", ngx_http_kot_val_int(row, 3) != 0,
                  "must_change", ngx_http_kot_val_int(row, 4) != 0,
                  "created", ngx_http_kot_json_time(
                                 ngx_http_kot_val_int(row, 5)),
                  "last_login", ngx_http_kot_json_time(
                                    ngx_http_kot_val_int(row, 6)),
                  "mfa", ngx_http_kot_val_int(row, 7) != 0,
                  "inactive", kot_policy_inactive(policy,
                                  ngx_http_kot_val_int(row, 8),
                                  ngx_http_kot_now()));

    if (u == NULL || !full) {
        return u;
    }

    until = ngx_http_kot_val_int(row, 10);

    json_object_set_new(u, "failures",
                        json_integer(ngx_http_kot_val_int(row, 9)));
    json_object_set_new(u, "locked_until", ngx_http_kot_json_until(until));
    json_object_set_new(u, "lockouts",
                        json_integer(ngx_http_kot_val_int(row, 11)));
    json_object_set_new(u, "last_failure",
                        ngx_http_kot_json_time(ngx_http_kot_val_int(row, 12)));
    json_object_set_new(u, "password_set",
                        ngx_http_kot_json_time(ngx_http_kot_val_int(row, 13)));
    json_object_set_new(u, "disabled_since",
                        ngx_http_kot_json_time(ngx_http_kot_val_int(row, 14)));

    return u;
}


ngx_int_t
ngx_http_kot_admin_user_get(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    return ngx_http_kot_admin_with_policy(r, ngx_http_kot_admin_user_show);
}


/* the path's user as user_get answers it, once the policy is there */

static ngx_int_t
ngx_http_kot_admin_user_show(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    return ngx_http_kot_admin_user_load(r, ngx_http_kot_admin_user_shown);
}


/* user_get of the path's user, then next; no such name is a 404 now */

static ngx_int_t
ngx_http_kot_admin_user_load(ngx_http_request_t *r, ngx_http_kot_step_pt next)
{
    ngx_http_kot_ctx_t         *ctx;
    ngx_http_kot_admin_t       *ad;
    ngx_http_kot_redis_args_t   a;

    ctx = ngx_http_get_module_ctx(r, ngx_http_kot_module);
    ad = ngx_http_kot_admin_get(ctx);

    if (ad->user.len == 0) {
        return ngx_http_kot_admin_no_user(r);
    }

    a.argc = 0;

    if (ngx_http_kot_admin_user_keys(r, &a, KOT_KEY_USER, KOT_KEY_FAILURES,
                                     NULL)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_kot_redis_arg(&a, ad->user.data, ad->user.len);

    if (ngx_http_kot_redis_num(r, &a, ngx_http_kot_now()) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_kot_admin_script(r, KOT_SCRIPT_USER_GET, 2, &a, NULL, 0,
                                     next);
}


/* the user as user_get answered: 200, or 404 */

static ngx_int_t
ngx_http_kot_admin_user_shown(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    json_t                *u;
    ngx_http_kot_admin_t  *ad = ngx_http_kot_admin_get(ctx);

    if (ad->reply->type != REDIS_REPLY_ARRAY) {
        return ngx_http_kot_admin_no_user(r);
    }

    switch (ngx_http_kot_admin_user_etag(r, ad)) {

    case NGX_OK:
        break;

    case NGX_DECLINED:
        return ngx_http_kot_admin_changed(r, "the user", NULL);

    default:
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    u = ngx_http_kot_admin_user_json(ad->reply, 1, ad->policy);

    return ngx_http_kot_admin_answer(r, NGX_HTTP_OK, u);
}


/*
 * The ETag of users/U, of the user_get row in ad->reply, in the answer
 * of GET and PATCH: the user's state, what a PATCH or DELETE changes
 * (KOT_LUA_USER_STATE: 0 or 1 for disabled, then the roles).
 * NGX_DECLINED for a GET whose If-Match it is not.
 */

static ngx_int_t
ngx_http_kot_admin_user_etag(ngx_http_request_t *r, ngx_http_kot_admin_t *ad)
{
    u_char      *state;
    size_t       len;
    ngx_str_t   *roles;

    if (!ad->etag) {
        return NGX_OK;
    }

    roles = ngx_http_kot_val_str(ad->reply, 1);
    len = 1 + roles->len;

    state = ngx_pnalloc(r->pool, len);
    if (state == NULL) {
        return NGX_ERROR;
    }

    state[0] = ngx_http_kot_val_int(ad->reply, 2) ? '1' : '0';
    ngx_memcpy(state + 1, roles->data, roles->len);

    return ngx_http_kot_admin_etag(r, state, len);
}


/*
 * POST users {"username", "roles", "password"?}: the password follows
 * the tenant's policy, and without one a temporary one is made; either
 * must be changed at the first login.
 */

ngx_int_t
ngx_http_kot_admin_user_add(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    json_t                   *password;
    ngx_int_t                 rc;
    ngx_http_kot_admin_pw_t  *pw;

    rc = ngx_http_kot_admin_username(r, "username");
    if (rc != NGX_OK) {
        return rc;
    }

    pw = ngx_http_kot_admin_pw(r, ngx_http_kot_admin_user_store);
    if (pw == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    pw->stored = ngx_http_kot_admin_user_added;

    rc = ngx_http_kot_admin_roles(r, &pw->roles);
    if (rc != NGX_OK) {
        return rc;
    }

    password = ngx_http_kot_admin_member(r, "password");

    if (password) {
        pw->len = json_string_length(password);
        pw->password = ngx_pnalloc(r->pool, pw->len + 1);
        if (pw->password == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_memcpy(pw->password, json_string_value(password), pw->len);
    }

    return ngx_http_kot_admin_policy_load(r, ngx_http_kot_admin_pw_hash);
}


/* The body's username member, normalised into ad->user: NGX_OK, or 422. */

ngx_int_t
ngx_http_kot_admin_username(ngx_http_request_t *r, const char *member)
{
    int                    n;
    json_t                *name;
    ngx_http_kot_ctx_t    *ctx;
    ngx_http_kot_admin_t  *ad;

    ctx = ngx_http_get_module_ctx(r, ngx_http_kot_module);
    ad = ngx_http_kot_admin_get(ctx);

    name = ngx_http_kot_admin_member(r, member);

    ad->user.data = ngx_pnalloc(r->pool, KOT_USERNAME_MAX + 1);
    if (ad->user.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    n = kot_username_normalize(json_string_value(name),
                               json_string_length(name),
                               (char *) ad->user.data, KOT_USERNAME_MAX + 1);
    if (n < 0) {
        ad->user.len = 0;
        return ngx_http_kot_admin_error(r, NGX_HTTP_KOT_UNPROCESSABLE,
                                        "invalid_name",
                                        "a username is " KOT_USERNAME_RULE);
    }

    ad->user.len = n;

    return NGX_OK;
}


/* The body's "roles": valid names, without duplicates, at least one. */

static ngx_int_t
ngx_http_kot_admin_roles(ngx_http_request_t *r, ngx_str_t *roles)
{
    json_t      *list, *role;
    size_t       i;
    const char  *s;

    list = ngx_http_kot_admin_member(r, "roles");

    roles->data = ngx_pcalloc(r->pool, KOT_ROLES_MAX);
    if (roles->data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (json_array_size(list) == 0) {
        return ngx_http_kot_admin_role_error(r, "none", NULL);
    }

    json_array_foreach(list, i, role) {
        s = json_string_value(role);

        switch (kot_roles_add((char *) roles->data, KOT_ROLES_MAX, s,
                              json_string_length(role)))
        {
        case 0:
            break;

        case -1:
            return ngx_http_kot_admin_role_error(r, "name", role);

        default:
            return ngx_http_kot_admin_role_error(r, "too_many", NULL);
        }
    }

    roles->len = ngx_strlen(roles->data);

    return NGX_OK;
}


/*
 * A refused "roles": 422 invalid_role, in words (detail), and for a
 * console to word in its own language, "reason" (none, name, too_many)
 * and for a name the "role" refused, of at most KOT_ROLE_MAX + 1 bytes.
 */

static ngx_int_t
ngx_http_kot_admin_role_error(ngx_http_request_t *r, const char *reason,
    json_t *role)
{
    u_char     *p, detail[NGX_MAX_ERROR_STR];
    json_t     *body;
    ngx_str_t   text, name;

    ngx_str_null(&name);

    if (role) {
        name.data = (u_char *) json_string_value(role);
        name.len = ngx_min(json_string_length(role), KOT_ROLE_MAX + 1);

        p = ngx_snprintf(detail, sizeof(detail), "\"%V\" is not a role: "
                         "use 1 to %d of a-z, 0-9, '_' and '-'", &name,
                         KOT_ROLE_MAX);

    } else if (ngx_strcmp(reason, "none") == 0) {
        p = ngx_cpymem(detail, "a user needs at least one role",
                       sizeof("a user needs at least one role") - 1);

    } else {
        p = ngx_cpymem(detail, "too many roles",
                       sizeof("too many roles") - 1);
    }

    text.data = detail;
    text.len = p - detail;

    body = json_pack("{s:s,s:o,s:s}", "error", "invalid_role",
                     "detail", ngx_http_kot_json_str(&text),
                     "reason", reason);

    if (body != NULL && role != NULL) {
        (void) json_object_set_new(body, "role",
                                   ngx_http_kot_json_str(&name));
    }

    return ngx_http_kot_admin_answer(r, NGX_HTTP_KOT_UNPROCESSABLE, body);
}


/* A password to set, then hashed: the step after hashing. */

ngx_http_kot_admin_pw_t *
ngx_http_kot_admin_pw(ngx_http_request_t *r, ngx_http_kot_step_pt hashed)
{
    ngx_pool_cleanup_t       *cln;
    ngx_http_kot_ctx_t       *ctx;
    ngx_http_kot_admin_pw_t  *pw;

    cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_http_kot_admin_pw_t));
    if (cln == NULL) {
        return NULL;
    }

    pw = cln->data;
    ngx_memzero(pw, sizeof(ngx_http_kot_admin_pw_t));
    pw->hashed = hashed;

    cln->handler = ngx_http_kot_admin_pw_wipe;

    ctx = ngx_http_get_module_ctx(r, ngx_http_kot_module);
    ngx_http_kot_admin_get(ctx)->data = pw;

    return pw;
}


static void
ngx_http_kot_admin_pw_wipe(void *data)
{
    ngx_http_kot_admin_pw_t  *pw = data;

    if (pw->password) {
        ngx_explicit_memzero(pw->password, pw->len);
    }
}


/* After policy_get: the password under the tenant's effective policy. */

static ngx_int_t
ngx_http_kot_admin_pw_hash(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    kot_policy_t           tenant, policy;
    ngx_http_kot_admin_t  *ad = ngx_http_kot_admin_get(ctx);

    if (ngx_http_kot_admin_policy_of(r, ad->reply, &tenant, &policy)
        != NGX_OK)
    {
        return ngx_http_kot_admin_error(r, NGX_HTTP_NOT_FOUND, "not_found",
                                        "no such tenant");
    }

    return ngx_http_kot_admin_pw_make(r, ctx, &policy);
}


/*
 * The given password (ad->data's) is checked against the policy, or one
 * is generated that follows it; then it goes to the hash threads, and
 * pw->hashed runs after.
 */

ngx_int_t
ngx_http_kot_admin_pw_make(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx,
    kot_policy_t *policy)
{
    long                      n;
    unsigned                  bits;
    ngx_http_kot_admin_t     *ad = ngx_http_kot_admin_get(ctx);
    ngx_http_kot_admin_pw_t  *pw = ad->data;

    pw->history = policy->history ? policy->history - 1 : 0;

    if (pw->password) {
        bits = kot_policy_check(policy, (char *) pw->password, pw->len,
                                (char *) ad->user.data, ad->user.len);

    } else {
        pw->password = ngx_pnalloc(r->pool, KOT_POLICY_MAX_LENGTH + 1);
        if (pw->password == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        n = kot_policy_generate(policy, (char *) ad->user.data, ad->user.len,
                                (char *) pw->password,
                                KOT_POLICY_MAX_LENGTH + 1, &bits);
        if (n == -1) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        pw->len = (n < 0) ? 0 : (size_t) n;
        pw->generated = 1;
    }

    if (bits != KOT_PW_OK) {
        return ngx_http_kot_admin_pw_refused(r, policy, bits, pw->generated);
    }

    pw->job = ngx_http_kot_hash_job(r);
    if (pw->job == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    pw->job->new_password.data = pw->password;
    pw->job->new_password.len = pw->len;

    if (ngx_http_kot_hash_run(r, ctx, pw->job) != NGX_OK) {
        return ngx_http_kot_admin_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                        "busy",
                                        "the server is hashing too many "
                                        "passwords; try again in a moment");
    }

    return ngx_http_kot_wait(r, ctx, pw->hashed);
}


/*
 * 422 password_policy: the broken rules in words (detail), and as
 * "broken", each rule by its kot_password_policy name with its value in
 * force (true for one without a value), so that a console can say them
 * in its own language.
 */

static ngx_int_t
ngx_http_kot_admin_pw_refused(ngx_http_request_t *r, kot_policy_t *policy,
    unsigned bits, ngx_uint_t generated)
{
    char     why[512], detail[640];
    json_t  *broken;

    kot_policy_explain(bits, policy, "; ", why, sizeof(why));
    snprintf(detail, sizeof(detail), "%s the password policy: %s",
             generated ? "no password can be made that follows"
                       : "the password breaks", why);

    broken = json_object();

    if (broken != NULL) {
        if (bits & KOT_PW_TOO_SHORT) {
            json_object_set_new(broken, "min_length",
                                json_integer(policy->min_length));
        }

        if (bits & KOT_PW_TOO_LONG) {
            json_object_set_new(broken, "max_length",
                                json_integer(policy->max_length));
        }

        if (bits & KOT_PW_INVALID_CHARS) {
            json_object_set_new(broken, "characters", json_true());
        }

        if (bits & KOT_PW_CLASSES) {
            json_object_set_new(broken, "classes",
                                json_integer(policy->classes));
        }

        if (bits & KOT_PW_USERNAME) {
            json_object_set_new(broken, "not_username", json_true());
        }

        if (bits & KOT_PW_BLOCKLISTED) {
            json_object_set_new(broken, "blocklist", json_true());
        }
    }

    return ngx_http_kot_admin_answer(r, NGX_HTTP_KOT_UNPROCESSABLE,
               json_pack("{s:s,s:s,s:o?}", "error", "password_policy",
                         "detail", detail, "broken", broken));
}


ngx_int_t
ngx_http_kot_admin_user_store(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_admin_t       *ad = ngx_http_kot_admin_get(ctx);
    ngx_http_kot_admin_pw_t    *pw = ad->data;
    ngx_http_kot_redis_args_t   a;

    if (pw->job->new_hash_len < 0) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "kot: hashing a new user's password failed");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    a.argc = 0;

    if (ngx_http_kot_redis_key(r, &a, KOT_KEY_TENANT, &ad->tenant, NULL)
        != NGX_OK
        || ngx_http_kot_admin_user_keys(r, &a, KOT_KEY_USER, NULL) != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_USERS, &ad->tenant, NULL)
           != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_RETIRED_USERS, &ad->tenant,
                                  NULL)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_kot_redis_arg(&a, ad->user.data, ad->user.len);
    ngx_http_kot_redis_arg(&a, pw->job->new_hash, pw->job->new_hash_len);
    ngx_http_kot_redis_arg(&a, pw->roles.data, pw->roles.len);
    ngx_http_kot_redis_arg(&a, (u_char *) "1", 1);

    if (ngx_http_kot_redis_num(r, &a, ngx_http_kot_now()) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_kot_admin_script(r, KOT_SCRIPT_USER_ADD, 4, &a, NULL, 0,
                                     pw->stored);
}


static ngx_int_t
ngx_http_kot_admin_user_added(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    json_t                   *answer;
    ngx_http_kot_admin_t     *ad = ngx_http_kot_admin_get(ctx);
    ngx_http_kot_admin_pw_t  *pw = ad->data;

    switch (ad->reply->integer) {

    case 1:
        break;

    case 0:
        ngx_http_kot_admin_audit(r, "user_added", "iam", "exists", &ad->user,
                                 NULL, NULL);
        return ngx_http_kot_admin_error(r, NGX_HTTP_CONFLICT, "exists",
                                        "the user exists");

    case KOT_RETIRED:
        ngx_http_kot_admin_audit(r, "user_added", "iam", "retired",
                                 &ad->user, NULL, NULL);
        return ngx_http_kot_admin_error(r, NGX_HTTP_CONFLICT,
                                        "username_retired",
                                        "a user of that name was deleted "
                                        "from the tenant; the name is never "
                                        "issued again");

    default: /* KOT_NO_TENANT */
        return ngx_http_kot_admin_error(r, NGX_HTTP_NOT_FOUND, "not_found",
                                        "no such tenant");
    }

    ngx_http_kot_admin_audit(r, "user_added", "iam", NULL, &ad->user, NULL,
                             kot_change_user_added((char *) pw->roles.data,
                                                   pw->roles.len, 1,
                                                   (int) pw->generated));

    answer = json_pack("{s:o}", "username",
                       ngx_http_kot_json_str(&ad->user));

    if (answer && pw->generated) {
        json_object_set_new(answer, "temporary_password",
                            json_stringn((char *) pw->password, pw->len));
    }

    return ngx_http_kot_admin_answer(r, NGX_HTTP_CREATED, answer);
}


/*
 * PATCH {"roles"?, "disabled"?}: one user_patch script, so that a PATCH
 * is refused whole or done whole (an admin's own account can neither
 * lose its admin role nor be disabled); then a record for each thing
 * that changed, and the user after.  "disabled": false restores an
 * account that is disabled or inactive (its clock of inactivity starts
 * again, as with kotctl user enable), and changes nothing of one that
 * is neither.
 */

ngx_int_t
ngx_http_kot_admin_user_patch(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_int_t              rc;
    ngx_str_t             *roles;
    ngx_http_kot_admin_t  *ad = ngx_http_kot_admin_get(ctx);

    if (ngx_http_kot_admin_member(r, "roles") == NULL
        && ngx_http_kot_admin_member(r, "disabled") == NULL)
    {
        return ngx_http_kot_admin_error(r, NGX_HTTP_BAD_REQUEST,
                                        "missing_field",
                                        "give \"roles\", \"disabled\" or "
                                        "both");
    }

    if (ngx_http_kot_admin_member(r, "roles")) {
        roles = ngx_pcalloc(r->pool, sizeof(ngx_str_t));
        if (roles == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        rc = ngx_http_kot_admin_roles(r, roles);
        if (rc != NGX_OK) {
            return rc;
        }

        ad->data = roles;
    }

    if (ad->user.len == 0) {
        return ngx_http_kot_admin_no_user(r);
    }

    /* the policy says which admins are inactive (KOT_LUA_LAST_ADMIN) */

    return ngx_http_kot_admin_with_policy(r,
               json_is_false(ngx_http_kot_admin_member(r, "disabled"))
               ? ngx_http_kot_admin_patch_read
               : ngx_http_kot_admin_patch_run);
}


/* before enabling: whether the account is inactive, in ad->n */

static ngx_int_t
ngx_http_kot_admin_patch_read(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    return ngx_http_kot_admin_user_load(r, ngx_http_kot_admin_patch_inactive);
}


static ngx_int_t
ngx_http_kot_admin_patch_inactive(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_admin_t  *ad = ngx_http_kot_admin_get(ctx);

    if (ad->reply->type != REDIS_REPLY_ARRAY) {
        return ngx_http_kot_admin_no_user(r);
    }

    ad->n = kot_policy_inactive(ad->policy,
                                ngx_http_kot_val_int(ad->reply, 8),
                                ngx_http_kot_now());

    return ngx_http_kot_admin_patch_run(r, ctx);
}


static ngx_int_t
ngx_http_kot_admin_patch_run(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    json_t                     *disabled;
    uint64_t                    now;
    ngx_str_t                  *actor, *roles, op;
    ngx_http_kot_admin_t       *ad = ngx_http_kot_admin_get(ctx);
    ngx_http_kot_redis_args_t   a;

    static ngx_str_t  none = ngx_null_string;

    disabled = ngx_http_kot_admin_member(r, "disabled");

    if (disabled == NULL) {
        ngx_str_null(&op);

    } else if (json_is_true(disabled)) {
        ngx_str_set(&op, "disable");

    } else if (ad->n) {
        /* an inactive account is enabled even if not disabled */
        ngx_str_set(&op, "reenable");

    } else {
        ngx_str_set(&op, "enable");
    }

    roles = ad->data ? (ngx_str_t *) ad->data : &none;
    actor = ngx_http_kot_admin_actor(r);
    now = ngx_http_kot_now();

    a.argc = 0;

    if (ngx_http_kot_admin_user_keys(r, &a, KOT_KEY_USER,
                                     KOT_KEY_USER_SESSIONS, NULL)
        != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_USERS, &ad->tenant, NULL)
           != NGX_OK
        || ngx_http_kot_redis_num(r, &a, now) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_kot_redis_arg(&a, ad->user.data, ad->user.len);
    ngx_http_kot_redis_arg(&a, actor->data, actor->len);
    ngx_http_kot_redis_arg(&a, op.data, op.len);
    ngx_http_kot_redis_arg(&a, roles->data, roles->len);
    ngx_http_kot_redis_arg(&a, (u_char *) "1", ad->support ? 1 : 0);
    ngx_http_kot_redis_arg(&a, ad->state.data, ad->state.len);
    ngx_http_kot_redis_arg(&a, (u_char *) "", 0);

    if (ngx_http_kot_redis_num(r, &a,
                               kot_policy_inactive_before(ad->policy, now))
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_kot_admin_script(r, KOT_SCRIPT_USER_PATCH, 3, &a, NULL,
                                     0, ngx_http_kot_admin_patched);
}


static ngx_int_t
ngx_http_kot_admin_patched(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_admin_t  *ad = ngx_http_kot_admin_get(ctx);

    if (ad->reply->type != REDIS_REPLY_ARRAY) {
        return ngx_http_kot_admin_patch_refused(r, ad);
    }

    /* recorded only now: the whole PATCH is done */

    ngx_http_kot_admin_patch_audit_disabled(r, ad);
    ngx_http_kot_admin_patch_audit_roles(r, ad);

    return ngx_http_kot_admin_with_policy(r, ngx_http_kot_admin_user_show);
}


static ngx_int_t
ngx_http_kot_admin_patch_refused(ngx_http_request_t *r,
    ngx_http_kot_admin_t *ad)
{
    json_t  *disabled;

    switch (ad->reply->integer) {

    case KOT_SELF:
        return ngx_http_kot_admin_self(r, ad, "account_disabled",
                                       "cannot_disable_self",
                                       "an admin cannot disable its own "
                                       "account");

    case KOT_SELF_DEMOTE:
        return ngx_http_kot_admin_self(r, ad, "user_roles_changed",
                                       "cannot_demote_self",
                                       "an admin cannot take its own "
                                       "\"admin\" role away");

    case KOT_CHANGED:
        return ngx_http_kot_admin_changed(r, "the user", NULL);

    case KOT_LAST_ADMIN:
    case KOT_LAST_ADMIN_BARRED:
        disabled = ngx_http_kot_admin_member(r, "disabled");

        return ngx_http_kot_admin_last_admin(r, ad, json_is_true(disabled)
                                                    ? "account_disabled"
                                                    : "user_roles_changed");

    default: /* KOT_NO_USER */
        return ngx_http_kot_admin_no_user(r);
    }
}


/*
 * What an admin may not do to its own account, nor support access to
 * any admin's (the scripts refuse both alike): the tenant's admins keep
 * the tenant, and the grant stays theirs to revoke.  Support access is
 * refused an admin's MFA reset too (ngx_http_kot_admin_own(), without
 * code and detail).  The refusal is recorded under the action refused.
 */

static ngx_int_t
ngx_http_kot_admin_self(ngx_http_request_t *r, ngx_http_kot_admin_t *ad,
    const char *action, const char *code, const char *detail)
{
    if (ad->support) {
        ngx_http_kot_admin_audit(r, action, "iam", "support_admin_protected",
                                 &ad->user, NULL, NULL);

        return ngx_http_kot_admin_error(r, NGX_HTTP_FORBIDDEN,
                                        "support_admin_protected",
                                        "Support access cannot disable, "
                                        "demote or delete the tenant's "
                                        "administrators, nor reset their "
                                        "two-step login; ask the tenant's "
                                        "administrator.");
    }

    ngx_http_kot_admin_audit(r, action, "iam", "self", &ad->user, NULL,
                             NULL);

    return ngx_http_kot_admin_error(r, NGX_HTTP_CONFLICT, code, "%s",
                                    detail);
}


/*
 * An admin's own password and second factor are changed on the portal's
 * pages, which ask for the current password: a reset through the API
 * asks nothing, and would let a stolen session keep the account.  The
 * scripts refuse it (KOT_LUA_SELF), and support access to any admin's
 * second factor alike (ngx_http_kot_admin_self()).  The refusal is
 * recorded under the action refused.
 */

static ngx_int_t
ngx_http_kot_admin_own(ngx_http_request_t *r, ngx_http_kot_admin_t *ad,
    const char *action, const char *detail)
{
    if (ad->support) {
        return ngx_http_kot_admin_self(r, ad, action, NULL, NULL);
    }

    ngx_http_kot_admin_audit(r, action, "iam", "own_credentials", &ad->user,
                             NULL, NULL);

    return ngx_http_kot_admin_error(r, NGX_HTTP_FORBIDDEN, "own_credentials",
                                    "%s", detail);
}


/*
 * The tenant's last admin who can log in is not disabled, demoted nor
 * deleted (KOT_LUA_LAST_ADMIN): else only a system admin with kotctl
 * could administer the tenant again.  The script decides, so that two
 * admins demoting each other at once leave one admin.  When the other
 * admins are there but cannot log in (KOT_LAST_ADMIN_BARRED), the
 * detail says so, and "reason" for a console to word it.  Recorded
 * under the action refused.
 */

static ngx_int_t
ngx_http_kot_admin_last_admin(ngx_http_request_t *r,
    ngx_http_kot_admin_t *ad, const char *action)
{
    u_char     *p, detail[NGX_MAX_ERROR_STR];
    ngx_str_t   text;

    ngx_http_kot_admin_audit(r, action, "iam", "last_admin", &ad->user, NULL,
                             NULL);

    if (ad->reply->integer != KOT_LAST_ADMIN_BARRED) {
        return ngx_http_kot_admin_error(r, NGX_HTTP_CONFLICT, "last_admin",
                                        "\"%V\" is the tenant's last "
                                        "enabled admin: make another user "
                                        "admin first", &ad->user);
    }

    p = ngx_snprintf(detail, sizeof(detail), "\"%V\" is the tenant's last "
                     "admin who can log in: the other admins are inactive "
                     "or locked until unlocked; enable or unlock one first",
                     &ad->user);

    text.data = detail;
    text.len = p - detail;

    return ngx_http_kot_admin_answer(r, NGX_HTTP_CONFLICT,
               json_pack("{s:s,s:o,s:s}", "error", "last_admin",
                         "detail", ngx_http_kot_json_str(&text),
                         "reason", "others_cannot_log_in"));
}


/*
 * account_disabled or account_enabled, if the PATCH changed that: an
 * account enabled was disabled, or inactive (ad->n), or both.
 */

static void
ngx_http_kot_admin_patch_audit_disabled(ngx_http_request_t *r,
    ngx_http_kot_admin_t *ad)
{
    json_t      *disabled;
    json_int_t   ended;
    ngx_uint_t   was;

    disabled = ngx_http_kot_admin_member(r, "disabled");
    was = (ngx_http_kot_val_int(ad->reply, 1) != 0);
    ended = ngx_http_kot_val_int(ad->reply, 2);

    if (json_is_false(disabled) && (was || ad->n)) {
        ngx_http_kot_admin_audit(r, "account_enabled", "iam", NULL,
                                 &ad->user, NULL,
                                 kot_change_account_enabled((int) was,
                                                            (int) ad->n));
        return;
    }

    if (!json_is_true(disabled) || was) {
        return;
    }

    ad->before = json_pack("{s:b}", "disabled", 0);

    ngx_http_kot_admin_audit(r, "account_disabled", "iam", NULL, &ad->user,
                             json_pack("{s:b}", "disabled", 1),
                             json_pack("{s:I}", "sessions_ended", ended));
}


/* user_roles_changed, if the PATCH changed them. */

static void
ngx_http_kot_admin_patch_audit_roles(ngx_http_request_t *r,
    ngx_http_kot_admin_t *ad)
{
    ngx_str_t  *roles, *old;

    roles = ad->data;
    old = ngx_http_kot_val_str(ad->reply, 0);

    if (roles == NULL
        || (old->len == roles->len
            && ngx_strncmp(old->data, roles->data, old->len) == 0))
    {
        return;
    }

    ngx_http_kot_admin_audit(r, "user_roles_changed", "iam", NULL, &ad->user,
                             NULL,
                             kot_change_user_roles((char *) old->data,
                                                   old->len,
                                                   (char *) roles->data,
                                                   roles->len));
}


/*
 * DELETE: the user's sessions end, and its name is retired for ever.
 * The policy first: it says which admins are inactive
 * (KOT_LUA_LAST_ADMIN).
 */

ngx_int_t
ngx_http_kot_admin_user_delete(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_admin_t  *ad = ngx_http_kot_admin_get(ctx);

    if (ad->user.len == 0) {
        return ngx_http_kot_admin_no_user(r);
    }

    return ngx_http_kot_admin_with_policy(r,
                                          ngx_http_kot_admin_user_delete_run);
}


static ngx_int_t
ngx_http_kot_admin_user_delete_run(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx)
{
    ngx_str_t                  *actor;
    ngx_http_kot_admin_t       *ad = ngx_http_kot_admin_get(ctx);
    ngx_http_kot_redis_args_t   a;

    actor = ngx_http_kot_admin_actor(r);

    a.argc = 0;

    if (ngx_http_kot_admin_user_keys(r, &a, KOT_KEY_USER,
                                     KOT_KEY_USER_SESSIONS, NULL)
        != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_USERS, &ad->tenant, NULL)
           != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_RETIRED_USERS, &ad->tenant,
                                  NULL)
           != NGX_OK
        || ngx_http_kot_admin_user_keys(r, &a, KOT_KEY_FAILURES,
                                        KOT_KEY_HISTORY, NULL)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_kot_redis_arg(&a, ad->user.data, ad->user.len);
    ngx_http_kot_redis_arg(&a, actor->data, actor->len);
    ngx_http_kot_redis_arg(&a, (u_char *) "1", ad->support ? 1 : 0);
    ngx_http_kot_redis_arg(&a, ad->state.data, ad->state.len);
    ngx_http_kot_redis_arg(&a, (u_char *) "", 0);

    if (ngx_http_kot_redis_num(r, &a,
                               kot_policy_inactive_before(ad->policy,
                                                          ngx_http_kot_now()))
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_kot_admin_script(r, KOT_SCRIPT_USER_DELETE, 6, &a, NULL,
                                     0, ngx_http_kot_admin_user_deleted);
}


static ngx_int_t
ngx_http_kot_admin_user_deleted(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_admin_t  *ad = ngx_http_kot_admin_get(ctx);

    if (ad->reply->integer == KOT_NO_USER) {
        return ngx_http_kot_admin_no_user(r);
    }

    if (ad->reply->integer == KOT_CHANGED) {
        return ngx_http_kot_admin_changed(r, "the user", NULL);
    }

    if (ad->reply->integer == KOT_LAST_ADMIN
        || ad->reply->integer == KOT_LAST_ADMIN_BARRED)
    {
        return ngx_http_kot_admin_last_admin(r, ad, "user_deleted");
    }

    if (ad->reply->integer == KOT_SELF) {
        return ngx_http_kot_admin_self(r, ad, "user_deleted",
                                       "cannot_delete_self",
                                       "an admin cannot delete its own "
                                       "account");
    }

    ad->before = json_pack("{s:o}", "username",
                           ngx_http_kot_json_str(&ad->user));

    ngx_http_kot_admin_audit(r, "user_deleted", "iam", NULL, &ad->user, NULL,
                             json_pack("{s:I,s:b}", "sessions_ended",
                                       (json_int_t) ad->reply->integer,
                                       "retired", 1));

    return ngx_http_kot_admin_answer(r, NGX_HTTP_NO_CONTENT, NULL);
}


/*
 * POST unlock: the lock, the failures and the escalation go.  A user with
 * none of them is answered as it is, and nothing is recorded.
 */

ngx_int_t
ngx_http_kot_admin_user_unlock(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_admin_t       *ad = ngx_http_kot_admin_get(ctx);
    ngx_http_kot_redis_args_t   a;

    if (ad->user.len == 0) {
        return ngx_http_kot_admin_no_user(r);
    }

    a.argc = 0;

    if (ngx_http_kot_admin_user_keys(r, &a, KOT_KEY_USER, KOT_KEY_FAILURES,
                                     NULL)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_kot_admin_script(r, KOT_SCRIPT_USER_UNLOCK, 2, &a, NULL,
                                     0, ngx_http_kot_admin_user_unlocked);
}


static ngx_int_t
ngx_http_kot_admin_user_unlocked(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_admin_t  *ad = ngx_http_kot_admin_get(ctx);

    if (ad->reply->type != REDIS_REPLY_ARRAY) {

        /* nothing to clear: the user as it is, and no record */

        return (ad->reply->type == REDIS_REPLY_INTEGER
                && ad->reply->integer == KOT_AS_IS)
               ? ngx_http_kot_admin_with_policy(r,
                                                ngx_http_kot_admin_user_show)
               : ngx_http_kot_admin_no_user(r);
    }

    ad->before = json_pack("{s:I,s:o,s:I}",
                           "failures", (json_int_t)
                                       ngx_http_kot_val_int(ad->reply, 0),
                           "locked_until", ngx_http_kot_json_until(
                                           ngx_http_kot_val_int(ad->reply, 1)),
                           "lockouts", (json_int_t)
                                       ngx_http_kot_val_int(ad->reply, 2));

    ngx_http_kot_admin_audit(r, "account_unlocked", "iam", NULL, &ad->user,
                             json_pack("{s:i,s:n,s:i}", "failures", 0,
                                       "locked_until", "lockouts", 0),
                             NULL);

    return ngx_http_kot_admin_with_policy(r, ngx_http_kot_admin_user_show);
}


/*
 * DELETE mfa: a lost phone.  The seed and the recovery codes go, and so do
 * the user's sessions, which the lost factor may have opened (the same
 * script as "kotctl user mfa-reset").  Not the admin's own, nor under
 * support access an admin's: the script refuses both.
 */

ngx_int_t
ngx_http_kot_admin_user_mfa_reset(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx)
{
    ngx_str_t                  *actor;
    ngx_http_kot_admin_t       *ad = ngx_http_kot_admin_get(ctx);
    ngx_http_kot_redis_args_t   a;

    if (ad->user.len == 0) {
        return ngx_http_kot_admin_no_user(r);
    }

    actor = ngx_http_kot_admin_actor(r);

    a.argc = 0;

    if (ngx_http_kot_admin_user_keys(r, &a, KOT_KEY_MFA,
                                     KOT_KEY_USER_SESSIONS, KOT_KEY_USER,
                                     KOT_KEY_MFA_CODES, NULL)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_kot_redis_arg(&a, ad->user.data, ad->user.len);
    ngx_http_kot_redis_arg(&a, actor->data, actor->len);
    ngx_http_kot_redis_arg(&a, (u_char *) "1", ad->support ? 1 : 0);

    return ngx_http_kot_admin_script(r, KOT_SCRIPT_MFA_RESET, 4, &a, NULL,
                                     0, ngx_http_kot_admin_mfa_reset_done);
}


static ngx_int_t
ngx_http_kot_admin_mfa_reset_done(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx)
{
    int64_t                result;
    ngx_http_kot_admin_t  *ad = ngx_http_kot_admin_get(ctx);

    result = ngx_http_kot_val_int(ad->reply, 0);

    if (ad->reply->type == REDIS_REPLY_ARRAY && result == KOT_SELF) {
        return ngx_http_kot_admin_own(r, ad, "mfa_reset",
                                      "an admin changes or removes its own "
                                      "two-step login on the portal's MFA "
                                      "page, which asks for the current "
                                      "password, and not by a reset");
    }

    if (ad->reply->type != REDIS_REPLY_ARRAY || result < 0) {
        return ngx_http_kot_admin_no_user(r);
    }

    if (result == 0) {
        return ngx_http_kot_admin_error(r, NGX_HTTP_CONFLICT, "no_mfa",
                                        "the user has no two-step login "
                                        "to reset");
    }

    ngx_http_kot_admin_audit(r, "mfa_reset", "iam", NULL, &ad->user, NULL,
                             json_pack("{s:I}", "sessions_ended",
                                       (json_int_t)
                                       ngx_http_kot_val_int(ad->reply, 1)));

    return ngx_http_kot_admin_answer(r, NGX_HTTP_NO_CONTENT, NULL);
}


/*
 * POST password: a temporary password, to be changed at the next login.
 * Not the admin's own: the script refuses it.
 */

ngx_int_t
ngx_http_kot_admin_user_password(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_admin_t  *ad = ngx_http_kot_admin_get(ctx);

    if (ad->user.len == 0) {
        return ngx_http_kot_admin_no_user(r);
    }

    if (ngx_http_kot_admin_pw(r, ngx_http_kot_admin_password_store) == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_kot_admin_policy_load(r, ngx_http_kot_admin_pw_hash);
}


static ngx_int_t
ngx_http_kot_admin_password_store(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx)
{
    ngx_str_t                  *actor;
    ngx_http_kot_admin_t       *ad = ngx_http_kot_admin_get(ctx);
    ngx_http_kot_admin_pw_t    *pw = ad->data;
    ngx_http_kot_redis_args_t   a;

    if (pw->job->new_hash_len < 0) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "kot: hashing a temporary password failed");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    actor = ngx_http_kot_admin_actor(r);

    a.argc = 0;

    if (ngx_http_kot_admin_user_keys(r, &a, KOT_KEY_USER,
                                     KOT_KEY_USER_SESSIONS, KOT_KEY_HISTORY,
                                     NULL)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_kot_redis_arg(&a, pw->job->new_hash, pw->job->new_hash_len);
    ngx_http_kot_redis_arg(&a, (u_char *) "1", 1);

    if (ngx_http_kot_redis_num(r, &a, ngx_http_kot_now()) != NGX_OK
        || ngx_http_kot_redis_num(r, &a, pw->history) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_kot_redis_arg(&a, ad->user.data, ad->user.len);
    ngx_http_kot_redis_arg(&a, actor->data, actor->len);

    return ngx_http_kot_admin_script(r, KOT_SCRIPT_USER_PASSWD, 3, &a, NULL,
                                     0, ngx_http_kot_admin_password_set);
}


static ngx_int_t
ngx_http_kot_admin_password_set(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_admin_t     *ad = ngx_http_kot_admin_get(ctx);
    ngx_http_kot_admin_pw_t  *pw = ad->data;

    if (ad->reply->integer == KOT_NO_USER) {
        return ngx_http_kot_admin_no_user(r);
    }

    if (ad->reply->integer == KOT_SELF) {
        return ngx_http_kot_admin_own(r, ad, "user_password_set",
                                      "an admin changes its own password "
                                      "on the portal's password page, which "
                                      "asks for the current one, and not by "
                                      "a reset");
    }

    ngx_http_kot_admin_audit(r, "user_password_set", "iam", NULL, &ad->user,
                             NULL,
                             kot_change_password_set(1, (int) pw->generated,
                                                     ad->reply->integer));

    return ngx_http_kot_admin_answer(r, NGX_HTTP_OK,
               json_pack("{s:s%}", "temporary_password",
                         (char *) pw->password, pw->len));
}


/* sessions */

/* DELETE users/U/sessions: every session of the user ends */

ngx_int_t
ngx_http_kot_admin_user_sessions_end(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx)
{
    return ngx_http_kot_admin_user_load(r,
                                        ngx_http_kot_admin_sessions_revoke);
}


static ngx_int_t
ngx_http_kot_admin_sessions_revoke(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_admin_t       *ad = ngx_http_kot_admin_get(ctx);
    ngx_http_kot_redis_args_t   a;

    if (ad->reply->type != REDIS_REPLY_ARRAY) {
        return ngx_http_kot_admin_no_user(r);
    }

    a.argc = 0;

    if (ngx_http_kot_admin_user_keys(r, &a, KOT_KEY_USER_SESSIONS, NULL)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_kot_redis_arg(&a, NULL, 0);

    return ngx_http_kot_admin_script(r, KOT_SCRIPT_SESSION_REVOKE, 1, &a,
                                     NULL, 0,
                                     ngx_http_kot_admin_sessions_revoked);
}


static ngx_int_t
ngx_http_kot_admin_sessions_revoked(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_admin_t  *ad = ngx_http_kot_admin_get(ctx);

    ngx_http_kot_admin_audit(r, "session_revoked", "session", NULL,
                             &ad->user, NULL,
                             json_pack("{s:s,s:I}", "session", "all",
                                       "sessions_ended",
                                       (json_int_t) ad->reply->integer));

    return ngx_http_kot_admin_answer(r, NGX_HTTP_NO_CONTENT, NULL);
}


/* GET sessions[?user=U] */

ngx_int_t
ngx_http_kot_admin_sessions(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    int                         n;
    long                        len;
    u_char                     *user;
    ngx_int_t                   rc;
    ngx_str_t                   arg;
    ngx_http_kot_admin_t       *ad = ngx_http_kot_admin_get(ctx);
    ngx_http_kot_redis_args_t   a;

    a.argc = 0;

    if (ngx_http_kot_admin_tenant_keys(r, &a, KOT_KEY_USERS) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_kot_redis_arg(&a, ad->tenant.data, ad->tenant.len);

    rc = ngx_http_kot_admin_arg(r, "user", &arg);

    if (rc == NGX_DONE) {
        return rc;
    }

    if (rc == NGX_OK) {
        if (arg.len == 0) {
            return ngx_http_kot_admin_error(r, NGX_HTTP_BAD_REQUEST,
                                            "invalid_parameter",
                                            "user is empty: name a user, or "
                                            "leave user out for every "
                                            "session");
        }

        user = ngx_pnalloc(r->pool, arg.len + KOT_USERNAME_MAX + 1);
        if (user == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        /*
         * Decoded once, as nginx decodes the path's names; '+' stays '+'
         * (encodeURIComponent() sends "%2B", and no name has a space).
         * A bad escape, like anything that is no name, names nobody.
         */
        len = kot_url_decode((char *) user, (char *) arg.data, arg.len, 0);
        n = (len < 0) ? -1 : kot_username_normalize((char *) user, len,
                                                    (char *) user + arg.len,
                                                    KOT_USERNAME_MAX + 1);
        if (n < 0) {
            return ngx_http_kot_admin_no_user(r);
        }

        user += arg.len;

        ngx_http_kot_redis_arg(&a, user, n);

    } else {
        ngx_http_kot_redis_arg(&a, NULL, 0);
    }

    if (ngx_http_kot_redis_num(r, &a, ngx_http_kot_now()) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_kot_admin_script(r, KOT_SCRIPT_SESSION_LIST, 2, &a, NULL,
                                     0, ngx_http_kot_admin_sessions_listed);
}


static ngx_int_t
ngx_http_kot_admin_sessions_listed(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx)
{
    json_t                *list;
    ngx_uint_t             i;
    ngx_http_kot_val_t    *row;
    ngx_http_kot_admin_t  *ad = ngx_http_kot_admin_get(ctx);

    if (ad->reply->type != REDIS_REPLY_ARRAY) {
        return (ad->reply->integer == KOT_NO_TENANT)
               ? ngx_http_kot_admin_error(r, NGX_HTTP_NOT_FOUND, "not_found",
                                          "no such tenant")
               : ngx_http_kot_admin_no_user(r);
    }

    list = json_array();

    for (i = 0; list && (row = ngx_http_kot_val(ad->reply, i)); i++) {
        json_array_append_new(list,
            json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o}",
                      "handle", ngx_http_kot_json_str(
                                    ngx_http_kot_val_str(row, 0)),
                      "user", ngx_http_kot_json_str(
                                  ngx_http_kot_val_str(row, 1)),
                      "ip", ngx_http_kot_json_str(
                                ngx_http_kot_val_str(row, 2)),
                      "created", ngx_http_kot_json_time(
                                     ngx_http_kot_val_int(row, 3)),
                      "last_active", ngx_http_kot_json_time(
                                         ngx_http_kot_val_int(row, 4)),
                      "idle_expires", ngx_http_kot_json_time(
                                          ngx_http_kot_val_int(row, 5)),
                      "absolute_expires", ngx_http_kot_json_time(
                                          ngx_http_kot_val_int(row, 6))));
    }

    return ngx_http_kot_admin_answer(r, NGX_HTTP_OK,
                                     json_pack("{s:o}", "sessions", list));
}


/* DELETE sessions/HANDLE: the session ends, on every node at once */

ngx_int_t
ngx_http_kot_admin_session_end(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_admin_t       *ad = ngx_http_kot_admin_get(ctx);
    ngx_http_kot_redis_args_t   a;

    if (!kot_session_handle_valid((char *) ad->handle.data, ad->handle.len)) {
        return ngx_http_kot_admin_error(r, NGX_HTTP_NOT_FOUND, "not_found",
                                        "no such session");
    }

    a.argc = 0;

    if (ngx_http_kot_admin_tenant_keys(r, &a, KOT_KEY_USERS) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_kot_redis_arg(&a, ad->tenant.data, ad->tenant.len);
    ngx_http_kot_redis_arg(&a, ad->handle.data, ad->handle.len);

    return ngx_http_kot_admin_script(r, KOT_SCRIPT_SESSION_END, 2, &a, NULL,
                                     0, ngx_http_kot_admin_session_ended);
}


static ngx_int_t
ngx_http_kot_admin_session_ended(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_admin_t  *ad = ngx_http_kot_admin_get(ctx);

    if (ad->reply->type != REDIS_REPLY_ARRAY || ad->reply->n == 0) {
        return ngx_http_kot_admin_error(r, NGX_HTTP_NOT_FOUND, "not_found",
                                        ad->reply->type == REDIS_REPLY_ARRAY
                                        ? "no such session"
                                        : "no such tenant");
    }

    ngx_http_kot_admin_audit(r, "session_revoked", "session", NULL,
                             ngx_http_kot_val_str(ad->reply, 0), NULL,
                             json_pack("{s:s%,s:i}", "session",
                                       (char *) ad->handle.data,
                                       ad->handle.len,
                                       "sessions_ended", 1));

    return ngx_http_kot_admin_answer(r, NGX_HTTP_NO_CONTENT, NULL);
}


/* helpers */

static ngx_int_t
ngx_http_kot_admin_no_user(ngx_http_request_t *r)
{
    return ngx_http_kot_admin_error(r, NGX_HTTP_NOT_FOUND, "not_found",
                                    "no such user");
}


/* Keys of the path's user: prefix + T:U for each prefix, up to NULL. */

static ngx_int_t
ngx_http_kot_admin_user_keys(ngx_http_request_t *r,
    ngx_http_kot_redis_args_t *a, const char *prefix, ...)
{
    va_list                args;
    ngx_int_t              rc;
    ngx_http_kot_ctx_t    *ctx;
    ngx_http_kot_admin_t  *ad;

    ctx = ngx_http_get_module_ctx(r, ngx_http_kot_module);
    ad = ngx_http_kot_admin_get(ctx);

    rc = NGX_OK;

    va_start(args, prefix);

    for ( /* void */ ; prefix && rc == NGX_OK;
         prefix = va_arg(args, const char *))
    {
        rc = ngx_http_kot_redis_key(r, a, prefix, &ad->tenant, &ad->user);
    }

    va_end(args);

    return rc;
}


/*
 * The acting user, for the scripts' "an admin cannot ... itself": only
 * in the admin's own tenant, where a user of the same name is the admin.
 */

static ngx_str_t *
ngx_http_kot_admin_actor(ngx_http_request_t *r)
{
    ngx_http_kot_ctx_t  *ctx;

    static ngx_str_t  nobody = ngx_null_string;

    ctx = ngx_http_get_module_ctx(r, ngx_http_kot_module);

    return ngx_http_kot_admin_get(ctx)->own ? &ctx->session.user : &nobody;
}
