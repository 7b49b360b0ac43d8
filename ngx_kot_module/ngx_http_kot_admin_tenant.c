
/*
 * ngx_kot: the admin API's tenant endpoints: tenants, their allow-lists,
 * password policy, events and support grant.  Every change is one script
 * of kot_scripts.c, after the pure core checked the input.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_kot_admin.h"
#include "kot_cidr.h"
#include "kot_ident.h"
#include "kot_notify.h"


#define NGX_HTTP_KOT_EVENTS_DEFAULT  100

/* a 422 names at most this many refused networks: the first ones */
#define NGX_HTTP_KOT_REFUSED_MAX     100


static ngx_int_t ngx_http_kot_admin_tenants_listed(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_admin_tenant_store(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_admin_tenant_added(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_admin_first_admin(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static json_t *ngx_http_kot_admin_tenant_json(ngx_str_t *name,
    ngx_uint_t users);
static ngx_int_t ngx_http_kot_admin_tenant_deleted(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_admin_allowlist_load(ngx_http_request_t *r,
    ngx_http_kot_admin_t *ad, ngx_http_kot_step_pt next);
static ngx_int_t ngx_http_kot_admin_allowlist_got(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_admin_allowlist_stale(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_admin_allowlist_etag(ngx_http_request_t *r,
    int64_t version);
static json_t *ngx_http_kot_admin_networks(ngx_http_request_t *r,
    ngx_http_kot_val_t *list);
static ngx_int_t ngx_http_kot_admin_allowlist_parse(ngx_http_request_t *r,
    kot_cidr_t **v, size_t *n);
static json_t *ngx_http_kot_admin_cidr_refused(size_t index, json_t *item,
    int rc, const kot_cidr_t *parsed);
static ngx_int_t ngx_http_kot_admin_cidr_error(ngx_http_request_t *r,
    json_t *refused);
static ngx_int_t ngx_http_kot_admin_locks_out(ngx_http_request_t *r,
    kot_cidr_t *v, size_t n);
static ngx_int_t ngx_http_kot_admin_allowlist_before(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_admin_allowlist_changed(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_admin_policy_kept(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_admin_policy_read(ngx_http_request_t *r,
    ngx_http_kot_step_pt next);
static ngx_int_t ngx_http_kot_admin_policy_got(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_admin_policy_stale(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_admin_policy_etag(ngx_http_request_t *r,
    ngx_http_kot_val_t *reply);
static ngx_int_t ngx_http_kot_admin_policy_set(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_admin_policy_rule(ngx_http_request_t *r,
    ngx_uint_t i, ngx_str_t *rule, ngx_str_t *value);
static ngx_int_t ngx_http_kot_admin_policy_error(ngx_http_request_t *r,
    const char *code, const char *detail, kot_policy_fault_t *fault);
static ngx_int_t ngx_http_kot_admin_policy_changed(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static json_t *ngx_http_kot_admin_policy_json(ngx_http_request_t *r,
    ngx_http_kot_val_t *rules);
static json_t *ngx_http_kot_admin_rules_set(ngx_http_kot_val_t *rules);
static json_t *ngx_http_kot_admin_rules_json(kot_policy_t *p);
static json_t *ngx_http_kot_admin_duration(uint64_t ms);
static ngx_int_t ngx_http_kot_admin_tenant_script(ngx_http_request_t *r,
    ngx_uint_t id, ngx_str_t *more, ngx_uint_t n, ngx_http_kot_step_pt next);
static ngx_int_t ngx_http_kot_admin_notify_url(ngx_http_request_t *r,
    ngx_str_t *op, ngx_str_t *url, ngx_http_kot_step_pt next);
static ngx_int_t ngx_http_kot_admin_tenant_got(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_admin_tenant_set(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static json_t *ngx_http_kot_admin_tenant_notify(ngx_http_kot_admin_t *ad,
    ngx_str_t *url);
static ngx_int_t ngx_http_kot_admin_events_listed(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_admin_support_status(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_admin_support_granted(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_admin_support_revoked(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_admin_tenants_keys(ngx_http_request_t *r,
    ngx_http_kot_redis_args_t *a, ngx_str_t *t);


/* tenants */

/* A system admin sees every tenant, a tenant admin its own. */

ngx_int_t
ngx_http_kot_admin_tenants(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_admin_t       *ad = ngx_http_kot_admin_get(ctx);
    ngx_http_kot_redis_args_t   a;

    a.argc = 0;
    ngx_http_kot_redis_arg(&a, (u_char *) KOT_KEY_TENANTS,
                           sizeof(KOT_KEY_TENANTS) - 1);

    if (ad->system) {
        ngx_http_kot_redis_arg(&a, NULL, 0);

    } else {
        ngx_http_kot_redis_arg(&a, ctx->session.tenant.data,
                               ctx->session.tenant.len);
    }

    return ngx_http_kot_admin_script(r, KOT_SCRIPT_TENANT_LIST, 1, &a, NULL,
                                     0, ngx_http_kot_admin_tenants_listed);
}


static ngx_int_t
ngx_http_kot_admin_tenants_listed(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx)
{
    json_t                *list;
    ngx_uint_t             i;
    ngx_http_kot_val_t    *row;
    ngx_http_kot_admin_t  *ad = ngx_http_kot_admin_get(ctx);

    list = json_array();

    for (i = 0; list && (row = ngx_http_kot_val(ad->reply, i)); i++) {
        json_array_append_new(list,
            json_pack("{s:o,s:o,s:I}",
                      "name", ngx_http_kot_json_str(
                                  ngx_http_kot_val_str(row, 0)),
                      "created", ngx_http_kot_json_time(
                                     ngx_http_kot_val_int(row, 1)),
                      "users", (json_int_t) ngx_http_kot_val_int(row, 2)));
    }

    return ngx_http_kot_admin_answer(r, NGX_HTTP_OK,
                                     json_pack("{s:o}", "tenants", list));
}


/*
 * POST tenants {"name", "admin"?}: with "admin", the tenant's first admin
 * too, with a temporary password: a new tenant has nobody yet who could
 * grant a system admin access to add one.  Its password is made and
 * hashed first, so that the tenant and its admin are stored one after
 * the other.
 */

ngx_int_t
ngx_http_kot_admin_tenant_add(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    int                        n;
    json_t                    *name;
    ngx_int_t                  rc;
    ngx_http_kot_admin_t      *ad = ngx_http_kot_admin_get(ctx);
    ngx_http_kot_admin_pw_t   *pw;
    ngx_http_kot_loc_conf_t   *klcf;

    name = ngx_http_kot_admin_member(r, "name");

    ad->tenant.data = ngx_pnalloc(r->pool, KOT_TENANT_MAX + 1);
    if (ad->tenant.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    n = kot_tenant_normalize(json_string_value(name), json_string_length(name),
                             (char *) ad->tenant.data, KOT_TENANT_MAX + 1);
    if (n < 0) {
        ad->tenant.len = 0;
        return ngx_http_kot_admin_error(r, NGX_HTTP_KOT_UNPROCESSABLE,
                                        "invalid_name",
                                        "a tenant name is " KOT_TENANT_RULE);
    }

    ad->tenant.len = n;

    if (ngx_http_kot_admin_member(r, "admin") == NULL) {
        return ngx_http_kot_admin_tenant_store(r, ctx);
    }

    rc = ngx_http_kot_admin_username(r, "admin");
    if (rc != NGX_OK) {
        return rc;
    }

    pw = ngx_http_kot_admin_pw(r, ngx_http_kot_admin_tenant_store);
    if (pw == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_str_set(&pw->roles, KOT_ROLE_ADMIN);

    /* a new tenant has no rules of its own: the server's policy */
    klcf = ngx_http_get_module_loc_conf(r, ngx_http_kot_module);

    return ngx_http_kot_admin_pw_make(r, ctx, &klcf->policy);
}


static ngx_int_t
ngx_http_kot_admin_tenant_store(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_admin_t       *ad = ngx_http_kot_admin_get(ctx);
    ngx_http_kot_admin_pw_t    *pw = ad->data;
    ngx_http_kot_redis_args_t   a;

    if (pw && pw->job->new_hash_len < 0) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "kot: hashing a new admin's password failed");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_kot_admin_tenants_keys(r, &a, &ad->tenant) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (pw == NULL) {
        if (ngx_http_kot_redis_num(r, &a, ngx_http_kot_now()) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_kot_admin_script(r, KOT_SCRIPT_TENANT_ADD, 3, &a,
                                         NULL, 0,
                                         ngx_http_kot_admin_tenant_added);
    }

    /* the admin's keys go before the tenant's name, the first ARGV */

    a.argc--;

    if (ngx_http_kot_redis_key(r, &a, KOT_KEY_USER, &ad->tenant, &ad->user)
        != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_USERS, &ad->tenant, NULL)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_kot_redis_arg(&a, ad->tenant.data, ad->tenant.len);

    if (ngx_http_kot_redis_num(r, &a, ngx_http_kot_now()) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_kot_redis_arg(&a, ad->user.data, ad->user.len);
    ngx_http_kot_redis_arg(&a, pw->job->new_hash, pw->job->new_hash_len);
    ngx_http_kot_redis_arg(&a, pw->roles.data, pw->roles.len);

    return ngx_http_kot_admin_script(r, KOT_SCRIPT_TENANT_ADD, 5, &a, NULL, 0,
                                     ngx_http_kot_admin_tenant_added);
}


static ngx_int_t
ngx_http_kot_admin_tenant_added(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_admin_t  *ad = ngx_http_kot_admin_get(ctx);

    switch (ad->reply->integer) {

    case 1:
        ngx_http_kot_admin_audit(r, "tenant_added", "configuration", NULL,
                                 NULL, json_pack("{s:o}", "name",
                                          ngx_http_kot_json_str(&ad->tenant)),
                                 NULL);

        if (ad->data) {
            return ngx_http_kot_admin_first_admin(r, ctx);
        }

        return ngx_http_kot_admin_answer(r, NGX_HTTP_CREATED,
                   ngx_http_kot_admin_tenant_json(&ad->tenant, 0));

    case 0:
        ngx_http_kot_admin_audit(r, "tenant_added", "configuration", "exists",
                                 NULL, NULL, NULL);
        return ngx_http_kot_admin_error(r, NGX_HTTP_CONFLICT, "exists",
                                        "the tenant exists");

    default: /* KOT_RETIRED */
        ngx_http_kot_admin_audit(r, "tenant_added", "configuration",
                                 "retired", NULL, NULL, NULL);
        return ngx_http_kot_admin_error(r, NGX_HTTP_CONFLICT,
                                        "tenant_retired",
                                        "a tenant of that name was deleted; "
                                        "its name is never issued again");
    }
}


/* The new tenant's first admin was stored with it: both are answered. */

static ngx_int_t
ngx_http_kot_admin_first_admin(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx)
{
    json_t                   *answer;
    ngx_http_kot_admin_t     *ad = ngx_http_kot_admin_get(ctx);
    ngx_http_kot_admin_pw_t  *pw = ad->data;

    ngx_http_kot_admin_audit(r, "user_added", "iam", NULL, &ad->user,
                             json_pack("{s:[s],s:b,s:b}", "roles",
                                       KOT_ROLE_ADMIN, "must_change", 1,
                                       "password_generated", 1),
                             NULL);

    answer = ngx_http_kot_admin_tenant_json(&ad->tenant, 1);

    if (answer) {
        json_object_set_new(answer, "admin",
                            json_pack("{s:o,s:s%}",
                                      "username",
                                      ngx_http_kot_json_str(&ad->user),
                                      "temporary_password",
                                      (char *) pw->password, pw->len));
    }

    return ngx_http_kot_admin_answer(r, NGX_HTTP_CREATED, answer);
}


static json_t *
ngx_http_kot_admin_tenant_json(ngx_str_t *name, ngx_uint_t users)
{
    return json_pack("{s:o,s:o,s:i}", "name", ngx_http_kot_json_str(name),
                     "created", ngx_http_kot_json_time(ngx_http_kot_now()),
                     "users", (int) users);
}


/*
 * Everything of the tenant goes, its sessions first (at once, on every
 * node), and its name is retired.  The operator's own tenant stays: its
 * system admins would delete themselves.
 */

ngx_int_t
ngx_http_kot_admin_tenant_delete(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_admin_t       *ad = ngx_http_kot_admin_get(ctx);
    ngx_http_kot_redis_args_t   a;

    if (ad->own) {
        return ngx_http_kot_admin_error(r, NGX_HTTP_CONFLICT,
                                        "cannot_delete_own_tenant",
                                        "the operator's tenant, of the "
                                        "system admins, cannot be deleted");
    }

    if (ngx_http_kot_admin_tenants_keys(r, &a, &ad->tenant) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_kot_admin_script(r, KOT_SCRIPT_TENANT_DELETE, 3, &a, NULL,
                                     0, ngx_http_kot_admin_tenant_deleted);
}


static ngx_int_t
ngx_http_kot_admin_tenant_deleted(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_admin_t  *ad = ngx_http_kot_admin_get(ctx);

    if (ad->reply->type != REDIS_REPLY_ARRAY) {
        return ngx_http_kot_admin_error(r, NGX_HTTP_NOT_FOUND, "not_found",
                                        "no such tenant");
    }

    ad->before = json_pack("{s:I}", "users",
                           (json_int_t) ngx_http_kot_val_int(ad->reply, 0));

    ngx_http_kot_admin_audit(r, "tenant_deleted", "configuration", NULL,
                             NULL, NULL,
                             json_pack("{s:I,s:I,s:I,s:b}",
                                       "sessions_ended",
                                       (json_int_t)
                                       ngx_http_kot_val_int(ad->reply, 1),
                                       "notifications_dropped",
                                       (json_int_t)
                                       ngx_http_kot_val_int(ad->reply, 2),
                                       "dead_letters_dropped",
                                       (json_int_t)
                                       ngx_http_kot_val_int(ad->reply, 3),
                                       "retired", 1));

    return ngx_http_kot_admin_answer(r, NGX_HTTP_NO_CONTENT, NULL);
}


/* allow-lists */

ngx_int_t
ngx_http_kot_admin_allowlist_get(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx)
{
    return ngx_http_kot_admin_allowlist_load(r, ngx_http_kot_admin_get(ctx),
                                             ngx_http_kot_admin_allowlist_got);
}


static ngx_int_t
ngx_http_kot_admin_allowlist_load(ngx_http_request_t *r,
    ngx_http_kot_admin_t *ad, ngx_http_kot_step_pt next)
{
    ngx_str_t                   access, admin;
    ngx_http_kot_redis_args_t   a;

    ngx_str_set(&access, "access");
    ngx_str_set(&admin, "admin");

    a.argc = 0;

    if (ngx_http_kot_redis_key(r, &a, KOT_KEY_ALLOW, &ad->tenant, &access)
        != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_ALLOW, &ad->tenant, &admin)
           != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_ALLOW_VERSION, &ad->tenant,
                                  NULL)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_kot_admin_script(r, KOT_SCRIPT_ALLOWLIST_LOAD, 3, &a,
                                     NULL, 0, next);
}


static ngx_int_t
ngx_http_kot_admin_allowlist_got(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_admin_t  *ad = ngx_http_kot_admin_get(ctx);

    switch (ngx_http_kot_admin_allowlist_etag(r,
                                        ngx_http_kot_val_int(ad->reply, 0)))
    {
    case NGX_OK:
        break;

    case NGX_DECLINED:
        return ngx_http_kot_admin_changed(r, "the list", NULL);

    default:
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_kot_admin_answer(r, NGX_HTTP_OK,
               json_pack("{s:o}", "networks",
                         ngx_http_kot_admin_networks(r,
                             ngx_http_kot_val(ad->reply, 1 + ad->list))));
}


/* A PUT on a version gone: 412, with the list as it is now (reloaded) */

static ngx_int_t
ngx_http_kot_admin_allowlist_stale(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_admin_t  *ad = ngx_http_kot_admin_get(ctx);

    if (ngx_http_kot_admin_allowlist_etag(r,
                                          ngx_http_kot_val_int(ad->reply, 0))
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_kot_admin_changed(r, "the list",
               json_pack("{s:o}", "networks",
                         ngx_http_kot_admin_networks(r,
                             ngx_http_kot_val(ad->reply, 1 + ad->list))));
}


/*
 * The ETag of either of the tenant's lists: the version of its lists
 * (alv:T), which moves at every change of either, as allowlist_change
 * compares it.
 */

static ngx_int_t
ngx_http_kot_admin_allowlist_etag(ngx_http_request_t *r, int64_t version)
{
    u_char  text[NGX_INT64_LEN], *p;

    p = ngx_sprintf(text, "%L", version);

    return ngx_http_kot_admin_etag(r, text, p - text);
}


/* A list as stored, in the order "kotctl allowlist list" shows. */

static json_t *
ngx_http_kot_admin_networks(ngx_http_request_t *r, ngx_http_kot_val_t *list)
{
    char         text[KOT_CIDR_STR_MAX];
    size_t       i, n, valid;
    json_t      *out;
    ngx_str_t   *s;
    kot_cidr_t  *v;

    out = json_array();
    n = list ? list->n : 0;

    v = ngx_palloc(r->pool, (n + 1) * sizeof(kot_cidr_t));
    if (out == NULL || v == NULL) {
        json_decref(out);
        return NULL;
    }

    valid = 0;

    for (i = 0; i < n; i++) {
        s = ngx_http_kot_val_str(list, i);

        /* the module skips an entry that is not a network: so here */
        if (kot_cidr_parse((char *) s->data, s->len, &v[valid])
            == KOT_CIDR_OK)
        {
            valid++;
        }
    }

    n = kot_cidr_unique(v, valid);

    for (i = 0; i < n; i++) {
        json_array_append_new(out,
            json_stringn(text, kot_cidr_format(&v[i], text, sizeof(text))));
    }

    return out;
}


/*
 * PUT replaces the list.  Every network is checked first; a list that
 * would refuse the caller's own address (in the caller's own tenant)
 * needs "force".
 */

ngx_int_t
ngx_http_kot_admin_allowlist_put(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx)
{
    size_t                 i, n;
    json_t                *force;
    ngx_int_t              rc;
    ngx_str_t             *texts;
    kot_cidr_t            *v;
    ngx_http_kot_admin_t  *ad = ngx_http_kot_admin_get(ctx);

    v = NULL;
    n = 0;

    rc = ngx_http_kot_admin_allowlist_parse(r, &v, &n);
    if (rc != NGX_OK) {
        return rc;
    }

    force = ngx_http_kot_admin_member(r, "force");

    if (ad->own && !json_is_true(force)
        && ngx_http_kot_admin_locks_out(r, v, n))
    {
        return ngx_http_kot_admin_error(r, NGX_HTTP_CONFLICT,
                                        "would_lock_out_caller",
                                        "the new list does not hold this "
                                        "address, so it would refuse this "
                                        "admin; send \"force\":true to "
                                        "store it anyway");
    }

    texts = ngx_palloc(r->pool, (n + 1) * sizeof(ngx_str_t));
    if (texts == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    for (i = 0; i < n; i++) {
        texts[i].data = ngx_pnalloc(r->pool, KOT_CIDR_STR_MAX);
        if (texts[i].data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        texts[i].len = kot_cidr_format(&v[i], (char *) texts[i].data,
                                       KOT_CIDR_STR_MAX);
    }

    ad->data = texts;
    ad->n = n;

    /* what the list held, for the record */
    return ngx_http_kot_admin_allowlist_load(r, ad,
                                       ngx_http_kot_admin_allowlist_before);
}


static ngx_int_t
ngx_http_kot_admin_allowlist_parse(ngx_http_request_t *r, kot_cidr_t **v,
    size_t *n)
{
    int      rc;
    size_t   i;
    json_t  *list, *item, *refused;

    list = ngx_http_kot_admin_member(r, "networks");
    *n = json_array_size(list);

    if (*n > KOT_ALLOW_MAX) {
        return ngx_http_kot_admin_error(r, NGX_HTTP_KOT_UNPROCESSABLE,
                                        "too_many_networks",
                                        "a list holds at most %d networks",
                                        KOT_ALLOW_MAX);
    }

    *v = ngx_palloc(r->pool, (*n + 1) * sizeof(kot_cidr_t));
    if (*v == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* every bad line at once, so that an admin fixes them in one go */
    refused = json_array();
    if (refused == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    for (i = 0; i < *n; i++) {
        item = json_array_get(list, i);

        rc = kot_cidr_parse(json_string_value(item),
                            json_string_length(item), &(*v)[i]);

        if (rc != KOT_CIDR_OK
            && json_array_size(refused) < NGX_HTTP_KOT_REFUSED_MAX
            && json_array_append_new(refused,
                   ngx_http_kot_admin_cidr_refused(i, item, rc, &(*v)[i]))
               != 0)
        {
            json_decref(refused);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    if (json_array_size(refused) > 0) {
        return ngx_http_kot_admin_cidr_error(r, refused);
    }

    json_decref(refused);

    *n = kot_cidr_unique(*v, *n);

    return NGX_OK;
}


/*
 * A refused network for a program: where it is in the list, its text
 * (cut as the parser cuts it), the reason as the core's code, for the
 * console to word in its own language, and in English, and for host
 * bits set the network probably meant.
 */

static json_t *
ngx_http_kot_admin_cidr_refused(size_t index, json_t *item, int rc,
    const kot_cidr_t *parsed)
{
    char       reason[KOT_CIDR_REASON_MAX], net[KOT_CIDR_STR_MAX];
    json_t    *entry;
    ngx_str_t  text;

    text.data = (u_char *) json_string_value(item);
    text.len = ngx_min(json_string_length(item), KOT_CIDR_TEXT_MAX);

    kot_cidr_reason(rc, parsed, reason, sizeof(reason));

    entry = json_pack("{s:I,s:o,s:s,s:s}", "index", (json_int_t) index,
                      "network", ngx_http_kot_json_str(&text),
                      "reason", kot_cidr_code(rc), "detail", reason);

    if (entry != NULL && rc == KOT_CIDR_EHOST
        && kot_cidr_format(parsed, net, sizeof(net)) > 0
        && json_object_set_new(entry, "suggestion", json_string(net)) != 0)
    {
        json_decref(entry);
        return NULL;
    }

    return entry;
}


/* 422 invalid_cidr: the detail names the first refused network. */

static ngx_int_t
ngx_http_kot_admin_cidr_error(ngx_http_request_t *r, json_t *refused)
{
    json_t     *first, *net, *body;
    ngx_str_t   text;
    u_char      detail[NGX_MAX_ERROR_STR], *p;

    first = json_array_get(refused, 0);
    net = json_object_get(first, "network");

    p = ngx_slprintf(detail, detail + sizeof(detail),
                     "\"%*s\" is not a network: %s",
                     json_string_length(net), json_string_value(net),
                     json_string_value(json_object_get(first, "detail")));

    text.data = detail;
    text.len = p - detail;

    body = json_pack("{s:s,s:o,s:o}", "error", "invalid_cidr",
                     "detail", ngx_http_kot_json_str(&text),
                     "refused", refused);

    return ngx_http_kot_admin_answer(r, NGX_HTTP_KOT_UNPROCESSABLE, body);
}


/* Whether a non-empty list of networks leaves out the client's address. */

static ngx_int_t
ngx_http_kot_admin_locks_out(ngx_http_request_t *r, kot_cidr_t *v, size_t n)
{
    ngx_int_t         out;
    ngx_str_t         text;
    kot_cidr_set_t   *set;
    struct sockaddr  *sa;

    if (n == 0) {
        return 0;
    }

    if (ngx_http_kot_client(r, &sa, &text) != NGX_OK) {
        return 1;
    }

    set = kot_cidr_set_build(v, n);
    if (set == NULL) {
        return 1;
    }

    out = !kot_cidr_set_match(set, sa);
    kot_cidr_set_free(set);

    return out;
}


static ngx_int_t
ngx_http_kot_admin_allowlist_before(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx)
{
    ngx_str_t                   name, op;
    ngx_http_kot_admin_t       *ad = ngx_http_kot_admin_get(ctx);
    ngx_http_kot_redis_args_t   a;

    ad->before = json_pack("{s:o}", "networks",
                           ngx_http_kot_admin_networks(r,
                               ngx_http_kot_val(ad->reply, 1 + ad->list)));

    if (ad->list == NGX_HTTP_KOT_ALLOW_ACCESS) {
        ngx_str_set(&name, "access");

    } else {
        ngx_str_set(&name, "admin");
    }

    a.argc = 0;

    if (ngx_http_kot_redis_key(r, &a, KOT_KEY_TENANT, &ad->tenant, NULL)
        != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_ALLOW, &ad->tenant, &name)
           != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_ALLOW_VERSION, &ad->tenant,
                                  NULL)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* "set", or "set:V" on the version V that If-Match's ETag holds */
    ngx_str_set(&op, "set");

    if (ad->state.data) {
        op.len = sizeof("set:") - 1 + ad->state.len;
        op.data = ngx_pnalloc(r->pool, op.len);
        if (op.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_memcpy(ngx_cpymem(op.data, "set:", 4), ad->state.data,
                   ad->state.len);
    }

    ngx_http_kot_redis_arg(&a, op.data, op.len);

    if (ngx_http_kot_redis_num(r, &a, KOT_ALLOW_MAX) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_kot_admin_script(r, KOT_SCRIPT_ALLOWLIST_CHANGE, 3, &a,
                                     ad->data, ad->n,
                                     ngx_http_kot_admin_allowlist_changed);
}


static ngx_int_t
ngx_http_kot_admin_allowlist_changed(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx)
{
    json_t                *after;
    ngx_uint_t             i;
    ngx_str_t             *texts;
    ngx_http_kot_val_t    *added, *removed;
    ngx_http_kot_admin_t  *ad = ngx_http_kot_admin_get(ctx);

    if (ad->reply->type == REDIS_REPLY_INTEGER
        && ad->reply->integer == KOT_CHANGED)
    {
        return ngx_http_kot_admin_allowlist_load(r, ad,
                                           ngx_http_kot_admin_allowlist_stale);
    }

    if (ad->reply->type != REDIS_REPLY_ARRAY) {
        return (ad->reply->integer == KOT_NO_TENANT)
               ? ngx_http_kot_admin_error(r, NGX_HTTP_NOT_FOUND, "not_found",
                                          "no such tenant")
               : ngx_http_kot_admin_error(r, NGX_HTTP_KOT_UNPROCESSABLE,
                                          "too_many_networks",
                                          "a list holds at most %d "
                                          "networks", KOT_ALLOW_MAX);
    }

    if (ngx_http_kot_admin_allowlist_etag(r,
                                          ngx_http_kot_val_int(ad->reply, 1))
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    texts = ad->data;
    after = json_array();

    for (i = 0; after && i < ad->n; i++) {
        json_array_append_new(after, ngx_http_kot_json_str(&texts[i]));
    }

    /* the list as asked already: the script wrote nothing; no record */

    added = ngx_http_kot_val(ad->reply, 2);
    removed = ngx_http_kot_val(ad->reply, 3);

    if ((added == NULL || added->n == 0)
        && (removed == NULL || removed->n == 0))
    {
        json_decref(ad->before);
        ad->before = NULL;

        return ngx_http_kot_admin_answer(r, NGX_HTTP_OK,
                                         json_pack("{s:o}", "networks",
                                                   after));
    }

    ngx_http_kot_admin_audit(r, "allowlist_changed", "configuration", NULL,
                             NULL, json_pack("{s:O}", "networks", after),
                             json_pack("{s:s,s:s,s:o,s:o}",
                                       "list",
                                       ad->list == NGX_HTTP_KOT_ALLOW_ACCESS
                                       ? "access" : "admin",
                                       "op", "set",
                                       "added",
                                       ngx_http_kot_val_strings(added),
                                       "removed",
                                       ngx_http_kot_val_strings(removed)));

    return ngx_http_kot_admin_answer(r, NGX_HTTP_OK,
                                     json_pack("{s:o}", "networks", after));
}


/* password policy */

ngx_int_t
ngx_http_kot_admin_policy_get(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    return ngx_http_kot_admin_policy_read(r, ngx_http_kot_admin_policy_got);
}


/* The tenant's own rules and their state, for the ETag, then next. */

static ngx_int_t
ngx_http_kot_admin_policy_read(ngx_http_request_t *r,
    ngx_http_kot_step_pt next)
{
    static ngx_str_t  state = ngx_string("state");

    return ngx_http_kot_admin_tenant_script(r, KOT_SCRIPT_POLICY_GET, &state,
                                            1, next);
}


/* The ETag of the policy, of the state after the rules of reply. */

static ngx_int_t
ngx_http_kot_admin_policy_etag(ngx_http_request_t *r,
    ngx_http_kot_val_t *reply)
{
    ngx_str_t  *state;

    state = ngx_http_kot_val_str(reply, KOT_TENANT_POLICY_N);

    return ngx_http_kot_admin_etag(r, state->data, state->len);
}


/* The tenant's own rules (policy_get), then next. */

ngx_int_t
ngx_http_kot_admin_policy_load(ngx_http_request_t *r,
    ngx_http_kot_step_pt next)
{
    return ngx_http_kot_admin_tenant_script(r, KOT_SCRIPT_POLICY_GET, NULL, 0,
                                            next);
}


/* A script whose one key is the tenant's, t:T, with arguments more[n]. */

static ngx_int_t
ngx_http_kot_admin_tenant_script(ngx_http_request_t *r, ngx_uint_t id,
    ngx_str_t *more, ngx_uint_t n, ngx_http_kot_step_pt next)
{
    ngx_http_kot_ctx_t         *ctx;
    ngx_http_kot_redis_args_t   a;

    ctx = ngx_http_get_module_ctx(r, ngx_http_kot_module);

    a.argc = 0;

    if (ngx_http_kot_redis_key(r, &a, KOT_KEY_TENANT,
                               &ngx_http_kot_admin_get(ctx)->tenant, NULL)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_kot_admin_script(r, id, 1, &a, more, n, next);
}


/*
 * The policy for the tenant's passwords: the server's, tightened by the
 * tenant's own rules as policy_get answered them.  NGX_OK; NGX_DECLINED
 * for no such tenant.
 */

ngx_int_t
ngx_http_kot_admin_policy_of(ngx_http_request_t *r, ngx_http_kot_val_t *rules,
    kot_policy_t *tenant, kot_policy_t *effective)
{
    u_char                    text[64];
    char                      err[256];
    size_t                    len;
    ngx_str_t                *v;
    ngx_uint_t                i;
    ngx_http_kot_loc_conf_t  *klcf;

    klcf = ngx_http_get_module_loc_conf(r, ngx_http_kot_module);

    if (rules->type != REDIS_REPLY_ARRAY) {
        return NGX_DECLINED;
    }

    *tenant = klcf->policy;

    for (i = 0; i < KOT_TENANT_POLICY_N; i++) {
        v = ngx_http_kot_val_str(rules, i);

        if (v->len == 0 || v->len > 32) {
            continue;
        }

        len = ngx_snprintf(text, sizeof(text), "%s=%V",
                           kot_tenant_rules[i], v) - text;

        /* as the portal: a rule not valid is ignored, the server's holds */
        (void) kot_policy_tenant_set(tenant, (char *) text, len, err,
                                     sizeof(err), NULL);
    }

    kot_policy_strictest(effective, &klcf->policy, tenant);

    return NGX_OK;
}


/* The tenant's effective policy in ad->policy (read once), then next. */

ngx_int_t
ngx_http_kot_admin_with_policy(ngx_http_request_t *r,
    ngx_http_kot_step_pt next)
{
    ngx_http_kot_ctx_t    *ctx;
    ngx_http_kot_admin_t  *ad;

    ctx = ngx_http_get_module_ctx(r, ngx_http_kot_module);
    ad = ngx_http_kot_admin_get(ctx);

    if (ad->policy) {
        return next(r, ctx);
    }

    ad->with_policy = next;

    return ngx_http_kot_admin_policy_load(r, ngx_http_kot_admin_policy_kept);
}


static ngx_int_t
ngx_http_kot_admin_policy_kept(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx)
{
    kot_policy_t           tenant;
    ngx_http_kot_admin_t  *ad = ngx_http_kot_admin_get(ctx);

    ad->policy = ngx_palloc(r->pool, sizeof(kot_policy_t));
    if (ad->policy == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_kot_admin_policy_of(r, ad->reply, &tenant, ad->policy)
        != NGX_OK)
    {
        return ngx_http_kot_admin_error(r, NGX_HTTP_NOT_FOUND, "not_found",
                                        "no such tenant");
    }

    return ad->with_policy(r, ctx);
}


static ngx_int_t
ngx_http_kot_admin_policy_got(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_admin_t  *ad = ngx_http_kot_admin_get(ctx);

    if (ad->reply->type != REDIS_REPLY_ARRAY) {
        return ngx_http_kot_admin_error(r, NGX_HTTP_NOT_FOUND, "not_found",
                                        "no such tenant");
    }

    switch (ngx_http_kot_admin_policy_etag(r, ad->reply)) {

    case NGX_OK:
        break;

    case NGX_DECLINED:
        return ngx_http_kot_admin_changed(r, "the policy", NULL);

    default:
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_kot_admin_answer(r, NGX_HTTP_OK,
                                     ngx_http_kot_admin_policy_json(r,
                                                                ad->reply));
}


/* A PUT on a state gone: 412, with the policy as it is now (reread) */

static ngx_int_t
ngx_http_kot_admin_policy_stale(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_admin_t  *ad = ngx_http_kot_admin_get(ctx);

    if (ad->reply->type != REDIS_REPLY_ARRAY) {
        return ngx_http_kot_admin_error(r, NGX_HTTP_NOT_FOUND, "not_found",
                                        "no such tenant");
    }

    if (ngx_http_kot_admin_policy_etag(r, ad->reply) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_kot_admin_changed(r, "the policy",
                                      ngx_http_kot_admin_policy_json(r,
                                                                ad->reply));
}


/*
 * {"rules": the tenant's own, as set ("kotctl tenant policy"'s texts),
 *  "server": kot_password_policy's, "effective": the stricter of each}
 */

static json_t *
ngx_http_kot_admin_policy_json(ngx_http_request_t *r,
    ngx_http_kot_val_t *rules)
{
    kot_policy_t              tenant, effective;
    ngx_http_kot_loc_conf_t  *klcf;

    klcf = ngx_http_get_module_loc_conf(r, ngx_http_kot_module);

    if (ngx_http_kot_admin_policy_of(r, rules, &tenant, &effective)
        != NGX_OK)
    {
        return NULL;
    }

    return json_pack("{s:o,s:o,s:o}",
                     "rules", ngx_http_kot_admin_rules_set(rules),
                     "server", ngx_http_kot_admin_rules_json(&klcf->policy),
                     "effective", ngx_http_kot_admin_rules_json(&effective));
}


/* The rules of policy_get's answer that are set, by name. */

static json_t *
ngx_http_kot_admin_rules_set(ngx_http_kot_val_t *rules)
{
    json_t      *set;
    ngx_str_t   *s;
    ngx_uint_t   i;

    set = json_object();

    for (i = 0; set && i < KOT_TENANT_POLICY_N; i++) {
        s = ngx_http_kot_val_str(rules, i);

        if (s->len) {
            json_object_set_new(set, kot_tenant_rules[i],
                                ngx_http_kot_json_str(s));
        }
    }

    return set;
}


static json_t *
ngx_http_kot_admin_rules_json(kot_policy_t *p)
{
    return json_pack("{s:i,s:i,s:i,s:b,s:i,s:o,s:o,s:o,s:s,s:b}",
                     "min_length", (int) p->min_length,
                     "max_length", (int) p->max_length,
                     "classes", (int) p->classes,
                     "not_username", p->not_username,
                     "history", (int) p->history,
                     "min_age", ngx_http_kot_admin_duration(p->min_age),
                     "max_age", ngx_http_kot_admin_duration(p->max_age),
                     "inactive_after",
                     ngx_http_kot_admin_duration(p->inactive_after),
                     "mfa", p->mfa_required ? KOT_POLICY_REQUIRED
                                           : KOT_POLICY_OPTIONAL,
                     "blocklist", p->blocklist != NULL);
}


/* A time of the policy as its rules are written: "90d", "12h", "0". */

static json_t *
ngx_http_kot_admin_duration(uint64_t ms)
{
    u_char      buf[NGX_INT64_LEN + 3], *p;
    ngx_uint_t  i;

    static const struct {
        uint64_t     ms;
        const char  *unit;
    } units[] = {
        { 86400000, "d" }, { 3600000, "h" }, { 60000, "m" }, { 1000, "s" },
        { 1, "ms" }
    };

    if (ms == 0) {
        return json_string("0");
    }

    for (i = 0; ms % units[i].ms; i++) { /* void */ }

    p = ngx_sprintf(buf, "%uL%s", ms / units[i].ms, units[i].unit);

    return json_stringn((char *) buf, p - buf);
}


/*
 * PUT replaces the tenant's own rules with those of the body: each is
 * checked on the server's policy, the whole must loosen nothing of it,
 * and then policy_set stores them all at once ("" removes a rule).
 */

ngx_int_t
ngx_http_kot_admin_policy_put(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    char                      err[256];
    ngx_int_t                 rc;
    ngx_str_t                *values, rule;
    ngx_uint_t                i;
    kot_policy_t              t;
    kot_policy_fault_t        fault;
    ngx_http_kot_admin_t     *ad = ngx_http_kot_admin_get(ctx);
    ngx_http_kot_loc_conf_t  *klcf;

    klcf = ngx_http_get_module_loc_conf(r, ngx_http_kot_module);

    /*
     * policy_set's arguments: rule, value, ..., and the state If-Match's
     * ETag holds ("" for none)
     */
    values = ngx_pcalloc(r->pool,
                         (2 * KOT_TENANT_POLICY_N + 1) * sizeof(ngx_str_t));
    if (values == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    values[2 * KOT_TENANT_POLICY_N] = ad->state;

    t = klcf->policy;

    for (i = 0; i < KOT_TENANT_POLICY_N; i++) {
        values[2 * i].data = (u_char *) kot_tenant_rules[i];
        values[2 * i].len = ngx_strlen(kot_tenant_rules[i]);

        rc = ngx_http_kot_admin_policy_rule(r, i, &rule, &values[2 * i + 1]);
        if (rc != NGX_OK) {
            return rc;
        }

        if (rule.len
            && kot_policy_tenant_set(&t, (char *) rule.data, rule.len, err,
                                     sizeof(err), &fault)
               != 0)
        {
            return ngx_http_kot_admin_policy_error(r, "invalid_policy", err,
                                                   &fault);
        }
    }

    if (kot_policy_check_tighter(&klcf->policy, &t, err, sizeof(err), &fault)
        != 0)
    {
        return ngx_http_kot_admin_policy_error(r, "policy_loosened", err,
                                               &fault);
    }

    if (kot_policy_valid(&t, err, sizeof(err), &fault) != 0) {
        return ngx_http_kot_admin_policy_error(r, "invalid_policy", err,
                                               &fault);
    }

    ad->data = values;

    /* what the rules were, for the record, comes back from policy_set */
    return ngx_http_kot_admin_policy_set(r, ctx);
}


/*
 * A refused policy in words (detail) and for a console to word in its
 * own language: the rule, why (kot_policy_fault_t), and the bound.
 */

static ngx_int_t
ngx_http_kot_admin_policy_error(ngx_http_request_t *r, const char *code,
    const char *detail, kot_policy_fault_t *fault)
{
    json_t     *body;
    ngx_str_t   text;

    text.data = (u_char *) detail;
    text.len = ngx_strlen(detail);

    body = json_pack("{s:s,s:o,s:s}", "error", code,
                     "detail", ngx_http_kot_json_str(&text),
                     "reason", fault->reason);

    if (body != NULL && fault->rule != NULL) {
        (void) json_object_set_new(body, "rule", json_string(fault->rule));
    }

    if (body != NULL && fault->min[0]) {
        (void) json_object_set_new(body, "min", json_string(fault->min));
    }

    if (body != NULL && fault->limit[0]) {
        (void) json_object_set_new(body, "limit", json_string(fault->limit));
    }

    return ngx_http_kot_admin_answer(r, NGX_HTTP_KOT_UNPROCESSABLE, body);
}


/*
 * The body's rule i as the core reads it ("min_length=16") and as it is
 * stored (value, "16"); both empty when the body leaves it out.
 */

static ngx_int_t
ngx_http_kot_admin_policy_rule(ngx_http_request_t *r, ngx_uint_t i,
    ngx_str_t *rule, ngx_str_t *value)
{
    u_char              *p, err[64];
    json_t              *v;
    size_t               len, nlen;
    const char          *name;
    kot_policy_fault_t   fault;

    name = kot_tenant_rules[i];
    nlen = ngx_strlen(name);

    v = ngx_http_kot_admin_member(r, name);

    ngx_str_null(rule);
    ngx_str_set(value, "");

    if (v == NULL) {
        return NGX_OK;
    }

    /* ngx_http_kot_policy.c reads at most 32 characters of a stored rule */
    len = json_is_string(v) ? json_string_length(v) : NGX_INT64_LEN;

    if (len > 32) {
        kot_policy_malformed(name, nlen, &fault);
        (void) ngx_snprintf(err, sizeof(err), "\"%s\": over 32 characters, "
                            "which no rule's value is%Z", name);

        return ngx_http_kot_admin_policy_error(r, "invalid_policy",
                                               (char *) err, &fault);
    }

    rule->data = ngx_pnalloc(r->pool, nlen + 1 + len);
    if (rule->data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_cpymem(rule->data, name, nlen);
    *p++ = '=';
    value->data = p;

    if (json_is_boolean(v)) {
        p = json_is_true(v) ? ngx_cpymem(p, "on", 2) : ngx_cpymem(p, "off", 3);

    } else if (json_is_integer(v)) {
        p = ngx_sprintf(p, "%L", (int64_t) json_integer_value(v));

    } else {
        p = ngx_cpymem(p, json_string_value(v), len);
    }

    value->len = p - value->data;
    rule->len = p - rule->data;

    return NGX_OK;
}


static ngx_int_t
ngx_http_kot_admin_policy_set(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    return ngx_http_kot_admin_tenant_script(r, KOT_SCRIPT_POLICY_SET,
                                            ngx_http_kot_admin_get(ctx)->data,
                                            2 * KOT_TENANT_POLICY_N + 1,
                                            ngx_http_kot_admin_policy_changed);
}


static ngx_int_t
ngx_http_kot_admin_policy_changed(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx)
{
    json_t                *answer;
    ngx_str_t             *values;
    ngx_uint_t             i;
    ngx_http_kot_val_t    *now;
    ngx_http_kot_admin_t  *ad = ngx_http_kot_admin_get(ctx);

    if (ad->reply->type == REDIS_REPLY_INTEGER
        && ad->reply->integer == KOT_CHANGED)
    {
        return ngx_http_kot_admin_policy_read(r,
                                              ngx_http_kot_admin_policy_stale);
    }

    if (ad->reply->type != REDIS_REPLY_ARRAY) {
        return ngx_http_kot_admin_error(r, NGX_HTTP_NOT_FOUND, "not_found",
                                        "no such tenant");
    }

    if (ngx_http_kot_admin_policy_etag(r, ad->reply) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the rules as they are now, in the shape of policy_get's answer */
    values = ad->data;

    now = ngx_pcalloc(r->pool, sizeof(ngx_http_kot_val_t));
    if (now == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    now->type = REDIS_REPLY_ARRAY;
    now->n = KOT_TENANT_POLICY_N;
    now->e = ngx_pcalloc(r->pool, now->n * sizeof(ngx_http_kot_val_t));
    if (now->e == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    for (i = 0; i < KOT_TENANT_POLICY_N; i++) {
        now->e[i].type = REDIS_REPLY_STRING;
        now->e[i].str = values[2 * i + 1];
    }

    answer = ngx_http_kot_admin_policy_json(r, now);
    ad->before = ngx_http_kot_admin_rules_set(ad->reply);

    ngx_http_kot_admin_audit(r, "tenant_policy_changed", "configuration",
                             NULL, NULL, ngx_http_kot_admin_rules_set(now),
                             NULL);

    return ngx_http_kot_admin_answer(r, NGX_HTTP_OK, answer);
}


/*
 * The tenant itself: its webhook for notifications (kotctl notify posts
 * the tenant's events there rather than to its --webhook).  GET answers
 * {"name", "notify_url"} (under support, its origin only: see
 * ngx_http_kot_admin_tenant_notify()); PUT {"notify_url": URL, or "" to
 * remove it}.
 * The audit record says whether there was a webhook and is one, not
 * the URL: a webhook's URL often holds its token.
 */

ngx_int_t
ngx_http_kot_admin_tenant_get(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_str_t  get = ngx_string("get");

    return ngx_http_kot_admin_notify_url(r, &get, NULL,
                                         ngx_http_kot_admin_tenant_got);
}


ngx_int_t
ngx_http_kot_admin_tenant_put(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    json_t     *v;
    ngx_str_t   set = ngx_string("set"), url;

    v = ngx_http_kot_admin_member(r, "notify_url");

    url.data = (u_char *) json_string_value(v);
    url.len = json_string_length(v);

    if (url.len && !kot_notify_url_ok((char *) url.data, url.len)) {
        return ngx_http_kot_admin_error(r, NGX_HTTP_KOT_UNPROCESSABLE,
                                        "invalid_url",
                                        "notify_url must be an http:// or "
                                        "https:// URL of at most %d "
                                        "characters, without spaces, or "
                                        "\"\" for none", KOT_NOTIFY_URL_MAX);
    }

    return ngx_http_kot_admin_notify_url(r, &set, &url,
                                         ngx_http_kot_admin_tenant_set);
}


/* notify_url: "get", or "set" to url */

static ngx_int_t
ngx_http_kot_admin_notify_url(ngx_http_request_t *r, ngx_str_t *op,
    ngx_str_t *url, ngx_http_kot_step_pt next)
{
    ngx_str_t  args[2];

    args[0] = *op;
    ngx_str_set(&args[1], "");

    if (url) {
        args[1] = *url;
    }

    return ngx_http_kot_admin_tenant_script(r, KOT_SCRIPT_NOTIFY_URL, args, 2,
                                            next);
}


static ngx_int_t
ngx_http_kot_admin_tenant_got(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_admin_t  *ad = ngx_http_kot_admin_get(ctx);

    if (ad->reply->type != REDIS_REPLY_STRING) {
        return ngx_http_kot_admin_error(r, NGX_HTTP_NOT_FOUND, "not_found",
                                        "no such tenant");
    }

    return ngx_http_kot_admin_answer(r, NGX_HTTP_OK,
                                     ngx_http_kot_admin_tenant_notify(ad,
                                                             &ad->reply->str));
}


static ngx_int_t
ngx_http_kot_admin_tenant_set(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    json_t                *v;
    ngx_str_t              url;
    ngx_http_kot_admin_t  *ad = ngx_http_kot_admin_get(ctx);

    if (ad->reply->type != REDIS_REPLY_STRING) {
        return ngx_http_kot_admin_error(r, NGX_HTTP_NOT_FOUND, "not_found",
                                        "no such tenant");
    }

    v = ngx_http_kot_admin_member(r, "notify_url");
    url.data = (u_char *) json_string_value(v);
    url.len = json_string_length(v);

    ad->before = json_pack("{s:b}", "notify_url", ad->reply->str.len > 0);

    ngx_http_kot_admin_audit(r, "tenant_notify_changed", "configuration",
                             NULL, NULL,
                             json_pack("{s:b}", "notify_url", url.len > 0),
                             NULL);

    return ngx_http_kot_admin_answer(r, NGX_HTTP_OK,
                                     ngx_http_kot_admin_tenant_notify(ad,
                                                                      &url));
}


/*
 * Under a support grant the webhook's URL is shown as its origin, with
 * "notify_url_redacted": where the posts go, but not the token that a
 * webhook's path or userinfo often holds, with which anyone could post
 * to the tenant's channel.  A URL without an origin (not one that
 * kot_notify_url_ok() takes) is withheld whole.
 */

static json_t *
ngx_http_kot_admin_tenant_notify(ngx_http_kot_admin_t *ad, ngx_str_t *url)
{
    char     origin[KOT_NOTIFY_URL_MAX + 1];
    size_t   n;
    json_t  *name;

    name = ngx_http_kot_json_str(&ad->tenant);

    if (url->len == 0 || !ad->support) {
        return json_pack("{s:o,s:o}", "name", name,
                         "notify_url", url->len ? ngx_http_kot_json_str(url)
                                                : json_null());
    }

    n = kot_notify_url_origin((char *) url->data, url->len, origin,
                              sizeof(origin));

    return json_pack("{s:o,s:o,s:b}", "name", name,
                     "notify_url", n ? json_stringn(origin, n) : json_null(),
                     "notify_url_redacted", 1);
}


/* events */

/* GET events?limit=N: the newest N (default 100, at most 1,000) */

ngx_int_t
ngx_http_kot_admin_events(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_int_t                   limit, rc;
    ngx_str_t                   arg;
    ngx_http_kot_redis_args_t   a;

    limit = NGX_HTTP_KOT_EVENTS_DEFAULT;

    rc = ngx_http_kot_admin_arg(r, "limit", &arg);

    if (rc == NGX_DONE) {
        return rc;
    }

    if (rc == NGX_OK) {
        limit = ngx_atoi(arg.data, arg.len);

        if (limit < 1 || limit > KOT_EVENTS_MAX) {
            return ngx_http_kot_admin_error(r, NGX_HTTP_BAD_REQUEST,
                                            "invalid_parameter",
                                            "limit must be 1 to %d",
                                            KOT_EVENTS_MAX);
        }
    }

    a.argc = 0;

    if (ngx_http_kot_admin_tenant_keys(r, &a, KOT_KEY_EVENTS) != NGX_OK
        || ngx_http_kot_redis_num(r, &a, limit) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_kot_admin_script(r, KOT_SCRIPT_EVENT_LIST, 2, &a, NULL, 0,
                                     ngx_http_kot_admin_events_listed);
}


static ngx_int_t
ngx_http_kot_admin_events_listed(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx)
{
    json_t                *list, *rec;
    ngx_str_t             *s;
    ngx_uint_t             i;
    ngx_http_kot_admin_t  *ad = ngx_http_kot_admin_get(ctx);

    if (ad->reply->type != REDIS_REPLY_ARRAY) {
        return ngx_http_kot_admin_error(r, NGX_HTTP_NOT_FOUND, "not_found",
                                        "no such tenant");
    }

    list = json_array();

    for (i = 0; list && i < ad->reply->n; i++) {
        s = ngx_http_kot_val_str(ad->reply, i);

        /* the module's own records; anything else is left out */
        rec = json_loadb((char *) s->data, s->len, 0, NULL);

        if (json_is_object(rec)) {
            json_array_append_new(list, rec);

        } else {
            json_decref(rec);
        }
    }

    return ngx_http_kot_admin_answer(r, NGX_HTTP_OK,
                                     json_pack("{s:o}", "events", list));
}


/* support access */

ngx_int_t
ngx_http_kot_admin_support_get(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_redis_args_t  a;

    a.argc = 0;

    if (ngx_http_kot_admin_tenant_keys(r, &a, KOT_KEY_GRANT) != NGX_OK
        || ngx_http_kot_redis_num(r, &a, ngx_http_kot_now()) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_kot_admin_script(r, KOT_SCRIPT_SUPPORT_STATUS, 2, &a,
                                     NULL, 0,
                                     ngx_http_kot_admin_support_status);
}


static ngx_int_t
ngx_http_kot_admin_support_status(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_admin_t  *ad = ngx_http_kot_admin_get(ctx);

    if (ad->reply->type != REDIS_REPLY_ARRAY) {
        return ngx_http_kot_admin_error(r, NGX_HTTP_NOT_FOUND, "not_found",
                                        "no such tenant");
    }

    if (ad->reply->n == 0) {
        return ngx_http_kot_admin_answer(r, NGX_HTTP_OK,
                   json_pack("{s:b,s:n}", "granted", 0, "expires"));
    }

    return ngx_http_kot_admin_answer(r, NGX_HTTP_OK,
               json_pack("{s:b,s:o,s:o,s:o}", "granted", 1,
                         "expires", ngx_http_kot_json_time(
                                        ngx_http_kot_val_int(ad->reply, 2)),
                         "by", ngx_http_kot_json_str(
                                   ngx_http_kot_val_str(ad->reply, 0)),
                         "created", ngx_http_kot_json_time(
                                        ngx_http_kot_val_int(ad->reply, 1))));
}


/* POST support {"hours": 1..72}: a new grant replaces the one there was */

ngx_int_t
ngx_http_kot_admin_support_grant(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx)
{
    uint64_t                    now;
    json_int_t                  hours;
    ngx_http_kot_admin_t       *ad = ngx_http_kot_admin_get(ctx);
    ngx_http_kot_redis_args_t   a;

    hours = json_integer_value(ngx_http_kot_admin_member(r, "hours"));

    if (hours < KOT_GRANT_HOURS_MIN || hours > KOT_GRANT_HOURS_MAX) {
        return ngx_http_kot_admin_error(r, NGX_HTTP_KOT_UNPROCESSABLE,
                                        "invalid_hours",
                                        "a grant lasts %d to %d hours",
                                        KOT_GRANT_HOURS_MIN,
                                        KOT_GRANT_HOURS_MAX);
    }

    now = ngx_http_kot_now();
    ad->time = now + (uint64_t) hours * 3600000;
    ad->n = hours;

    a.argc = 0;

    if (ngx_http_kot_admin_tenant_keys(r, &a, KOT_KEY_GRANT) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_kot_redis_arg(&a, ctx->session.user.data, ctx->session.user.len);

    if (ngx_http_kot_redis_num(r, &a, now) != NGX_OK
        || ngx_http_kot_redis_num(r, &a, ad->time) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_kot_admin_script(r, KOT_SCRIPT_SUPPORT_GRANT, 2, &a, NULL,
                                     0, ngx_http_kot_admin_support_granted);
}


static ngx_int_t
ngx_http_kot_admin_support_granted(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_admin_t  *ad = ngx_http_kot_admin_get(ctx);

    if (ad->reply->integer < 0) {
        return ngx_http_kot_admin_error(r, NGX_HTTP_NOT_FOUND, "not_found",
                                        "no such tenant");
    }

    ad->before = json_pack("{s:o}", "expires",
                           ngx_http_kot_json_time(ad->reply->integer));

    ngx_http_kot_admin_audit(r, "support_granted", "iam", NULL, NULL,
                             json_pack("{s:o,s:I}", "expires",
                                       ngx_http_kot_json_time(ad->time),
                                       "hours", (json_int_t) ad->n),
                             NULL);

    return ngx_http_kot_admin_answer(r, NGX_HTTP_CREATED,
               json_pack("{s:o}", "expires",
                         ngx_http_kot_json_time(ad->time)));
}


ngx_int_t
ngx_http_kot_admin_support_revoke(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_admin_t       *ad = ngx_http_kot_admin_get(ctx);
    ngx_http_kot_redis_args_t   a;

    a.argc = 0;

    if (ngx_http_kot_redis_key(r, &a, KOT_KEY_GRANT, &ad->tenant, NULL)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_kot_admin_script(r, KOT_SCRIPT_SUPPORT_REVOKE, 1, &a,
                                     NULL, 0,
                                     ngx_http_kot_admin_support_revoked);
}


/* 204 whether there was a grant or not; only an end of one is recorded */

static ngx_int_t
ngx_http_kot_admin_support_revoked(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_admin_t  *ad = ngx_http_kot_admin_get(ctx);

    if (ad->reply->integer > 0) {
        ad->before = json_pack("{s:o}", "expires",
                               ngx_http_kot_json_time(ad->reply->integer));

        ngx_http_kot_admin_audit(r, "support_revoked", "iam", NULL, NULL,
                                 json_pack("{s:n}", "expires"), NULL);
    }

    return ngx_http_kot_admin_answer(r, NGX_HTTP_NO_CONTENT, NULL);
}


/* t:T and another key of the tenant: prefix + T */

ngx_int_t
ngx_http_kot_admin_tenant_keys(ngx_http_request_t *r,
    ngx_http_kot_redis_args_t *a, const char *prefix)
{
    ngx_str_t              *t;
    ngx_http_kot_ctx_t     *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_kot_module);
    t = &ngx_http_kot_admin_get(ctx)->tenant;

    if (ngx_http_kot_redis_key(r, a, KOT_KEY_TENANT, t, NULL) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_kot_redis_key(r, a, prefix, t, NULL);
}


/* tenant_add's and tenant_delete's: t:T, tenants, retired:tenants; T */

static ngx_int_t
ngx_http_kot_admin_tenants_keys(ngx_http_request_t *r,
    ngx_http_kot_redis_args_t *a, ngx_str_t *t)
{
    a->argc = 0;

    if (ngx_http_kot_redis_key(r, a, KOT_KEY_TENANT, t, NULL) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_kot_redis_arg(a, (u_char *) KOT_KEY_TENANTS,
                           sizeof(KOT_KEY_TENANTS) - 1);
    ngx_http_kot_redis_arg(a, (u_char *) KOT_KEY_RETIRED_TENANTS,
                           sizeof(KOT_KEY_RETIRED_TENANTS) - 1);
    ngx_http_kot_redis_arg(a, t->data, t->len);

    return NGX_OK;
}
