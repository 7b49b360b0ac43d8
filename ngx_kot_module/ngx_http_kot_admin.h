
/*
 * ngx_kot: the admin API (kot_admin), shared by its files:
 * ngx_http_kot_admin.c (routing, who may do what, bodies, queries,
 * conditions and ETags, answers),
 * ngx_http_kot_admin_tenant.c (tenants, support, lists, policy, events)
 * and ngx_http_kot_admin_user.c (users and sessions).
 */


#ifndef _NGX_HTTP_KOT_ADMIN_H_INCLUDED_
#define _NGX_HTTP_KOT_ADMIN_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_kot_module.h"


#define NGX_HTTP_KOT_ADMIN_BODY_MAX  (64 * 1024)

/* nginx names no status 422: its reason phrase is set by the answer */
#define NGX_HTTP_KOT_UNPROCESSABLE   422


/* A reply of Redis, copied into the request's pool. */

typedef struct ngx_http_kot_val_s  ngx_http_kot_val_t;

struct ngx_http_kot_val_s {
    ngx_uint_t                  type;           /* REDIS_REPLY_* */
    int64_t                     integer;
    ngx_str_t                   str;
    ngx_uint_t                  n;              /* elements of an array */
    ngx_http_kot_val_t         *e;
};


typedef struct {
    ngx_str_t                   tenant;         /* T of the path */
    ngx_str_t                   user;           /* U of the path */
    ngx_str_t                   handle;         /* a session's */
    ngx_uint_t                  list;           /* NGX_HTTP_KOT_ALLOW_* */

    json_t                     *body;           /* decoded, or NULL */
    ngx_http_kot_val_t         *reply;          /* of the last command */
    ngx_http_kot_step_pt        next;           /* runs when it is there */

    /* the endpoint's own, between its steps */
    void                       *data;
    ngx_uint_t                  n;
    uint64_t                    time;
    json_t                     *before;         /* for kot.change */

    /* the tenant's effective policy, once loaded, and the step after */
    kot_policy_t               *policy;
    ngx_http_kot_step_pt        with_policy;

    ngx_uint_t                  resource;

    /*
     * If-Match's ETag, decoded: the resource's state as the caller read
     * it (ngx_http_kot_admin_etag()), for its script to compare
     */
    ngx_str_t                   state;

    unsigned                    system:1;       /* a system admin */
    unsigned                    own:1;          /* T is the caller's */
    unsigned                    support:1;      /* under T's grant */
    unsigned                    audited:1;      /* an event says it */
    unsigned                    etag:1;         /* the resource has one */
} ngx_http_kot_admin_t;


#define ngx_http_kot_admin_get(ctx)  ((ngx_http_kot_admin_t *) (ctx)->admin)


/* a password being set, in ad->data: given in the body, or generated */
typedef struct {
    ngx_str_t                   roles;          /* user_add's */
    u_char                     *password;       /* wiped with the pool */
    size_t                      len;
    ngx_uint_t                  generated;
    ngx_uint_t                  history;        /* earlier hashes kept */
    ngx_http_kot_step_pt        hashed;         /* the step after hashing */
    ngx_http_kot_step_pt        stored;         /* after user_add */
    ngx_http_kot_hash_job_t    *job;
} ngx_http_kot_admin_pw_t;


/* answers */
ngx_int_t ngx_http_kot_admin_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *code, const char *fmt, ...);
ngx_int_t ngx_http_kot_admin_answer(ngx_http_request_t *r, ngx_uint_t status,
    json_t *body);
ngx_int_t ngx_http_kot_admin_unavailable(ngx_http_request_t *r);

/*
 * Redis: the reply goes to ad->reply, then next runs; if Redis did not
 * answer, the call is answered 503 instead.
 */
ngx_int_t ngx_http_kot_admin_script(ngx_http_request_t *r, ngx_uint_t id,
    int nkeys, ngx_http_kot_redis_args_t *a, ngx_str_t *more, ngx_uint_t n,
    ngx_http_kot_step_pt next);
ngx_int_t ngx_http_kot_admin_command(ngx_http_request_t *r,
    ngx_http_kot_redis_args_t *a, ngx_http_kot_step_pt next);

ngx_http_kot_val_t *ngx_http_kot_val(ngx_http_kot_val_t *v, ngx_uint_t i);
int64_t ngx_http_kot_val_int(ngx_http_kot_val_t *v, ngx_uint_t i);
ngx_str_t *ngx_http_kot_val_str(ngx_http_kot_val_t *v, ngx_uint_t i);
json_t *ngx_http_kot_val_strings(ngx_http_kot_val_t *v);

/* bodies and queries */
json_t *ngx_http_kot_admin_member(ngx_http_request_t *r, const char *name);
ngx_int_t ngx_http_kot_admin_arg(ngx_http_request_t *r, const char *name,
    ngx_str_t *value);

/* conditions: a resource's ETag, and 412 when it has changed */
ngx_int_t ngx_http_kot_admin_etag(ngx_http_request_t *r, u_char *state,
    size_t len);
ngx_int_t ngx_http_kot_admin_changed(ngx_http_request_t *r, const char *what,
    json_t *now);

/* JSON values */
json_t *ngx_http_kot_json_str(ngx_str_t *s);
json_t *ngx_http_kot_json_time(int64_t ms);
json_t *ngx_http_kot_json_until(int64_t ms);
json_t *ngx_http_kot_json_roles(ngx_str_t *roles);

/* the audit record of a change (or a refused one) made through the API */
void ngx_http_kot_admin_audit(ngx_http_request_t *r, const char *action,
    const char *category, const char *reason, ngx_str_t *target,
    json_t *after, json_t *change);

/* ngx_http_kot_admin_tenant.c */
ngx_int_t ngx_http_kot_admin_tenant_keys(ngx_http_request_t *r,
    ngx_http_kot_redis_args_t *a, const char *prefix);
ngx_int_t ngx_http_kot_admin_policy_load(ngx_http_request_t *r,
    ngx_http_kot_step_pt next);
ngx_int_t ngx_http_kot_admin_policy_of(ngx_http_request_t *r,
    ngx_http_kot_val_t *rules, kot_policy_t *tenant, kot_policy_t *effective);
ngx_int_t ngx_http_kot_admin_with_policy(ngx_http_request_t *r,
    ngx_http_kot_step_pt next);

ngx_int_t ngx_http_kot_admin_tenants(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
ngx_int_t ngx_http_kot_admin_tenant_add(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
ngx_int_t ngx_http_kot_admin_tenant_delete(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
ngx_int_t ngx_http_kot_admin_allowlist_get(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
ngx_int_t ngx_http_kot_admin_allowlist_put(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
ngx_int_t ngx_http_kot_admin_policy_get(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
ngx_int_t ngx_http_kot_admin_policy_put(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
ngx_int_t ngx_http_kot_admin_tenant_get(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
ngx_int_t ngx_http_kot_admin_tenant_put(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
ngx_int_t ngx_http_kot_admin_events(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
ngx_int_t ngx_http_kot_admin_support_get(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
ngx_int_t ngx_http_kot_admin_support_grant(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
ngx_int_t ngx_http_kot_admin_support_revoke(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);

/* ngx_http_kot_admin_user.c */
ngx_http_kot_admin_pw_t *ngx_http_kot_admin_pw(ngx_http_request_t *r,
    ngx_http_kot_step_pt hashed);
ngx_int_t ngx_http_kot_admin_pw_make(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx, kot_policy_t *policy);
ngx_int_t ngx_http_kot_admin_user_store(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
ngx_int_t ngx_http_kot_admin_username(ngx_http_request_t *r,
    const char *member);
ngx_int_t ngx_http_kot_admin_users(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
ngx_int_t ngx_http_kot_admin_user_add(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
ngx_int_t ngx_http_kot_admin_user_get(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
ngx_int_t ngx_http_kot_admin_user_patch(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
ngx_int_t ngx_http_kot_admin_user_delete(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
ngx_int_t ngx_http_kot_admin_user_unlock(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
ngx_int_t ngx_http_kot_admin_user_password(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
ngx_int_t ngx_http_kot_admin_user_sessions_end(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
ngx_int_t ngx_http_kot_admin_user_mfa_reset(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
ngx_int_t ngx_http_kot_admin_sessions(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
ngx_int_t ngx_http_kot_admin_session_end(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);


#endif /* _NGX_HTTP_KOT_ADMIN_H_INCLUDED_ */
