
/*
 * ngx_kot: the admin API, a content handler for the location that has
 * "kot_admin" (README.md, "The admin API"; docs/admin.md).  This file
 * decides who may do what and answers; the endpoints are in
 * ngx_http_kot_admin_tenant.c and ngx_http_kot_admin_user.c.
 *
 * A call goes through these steps, each of which may refuse it:
 *   the connection's protocol is held to kot_min_tls, as the portal's;
 *   the body is read (at most 64 KiB);
 *   the session is checked as "kot on" checks it, against the caller's
 *   tenant's admin allow-list;
 *   the session must have the role "admin";
 *   a call that is not GET needs the X-Kot-CSRF token of GET session;
 *   the path names a resource, and a tenant the caller may see: its own,
 *   or for a system admin any tenant (inside which it needs the tenant's
 *   support grant); another tenant's is as missing as one that does not
 *   exist;
 *   the method and the caller's role fit the resource, and support
 *   access does not make a call that hands over a credential;
 *   the body decodes strictly into the members the endpoint takes.
 * Every answer is JSON; every error {"error": CODE, "detail": TEXT}.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_kot_admin.h"
#include "kot_b64.h"
#include "kot_body.h"
#include "kot_change.h"
#include "kot_ident.h"
#include "kot_text.h"


#define NGX_HTTP_KOT_ADMIN_SEGMENTS  6
#define NGX_HTTP_KOT_ADMIN_ECHO      64     /* of a name shown back */

/* the longest state an ETag holds: a user's (KOT_LUA_USER_STATE) */
#define NGX_HTTP_KOT_ADMIN_STATE_MAX  (1 + KOT_ROLES_MAX)


typedef enum {
    NGX_HTTP_KOT_R_SESSION = 0,     /* session */
    NGX_HTTP_KOT_R_TENANTS,         /* tenants */
    NGX_HTTP_KOT_R_TENANT,          /* tenants/T */
    NGX_HTTP_KOT_R_USERS,           /* tenants/T/users */
    NGX_HTTP_KOT_R_USER,            /* tenants/T/users/U */
    NGX_HTTP_KOT_R_UNLOCK,          /* tenants/T/users/U/unlock */
    NGX_HTTP_KOT_R_PASSWORD,        /* tenants/T/users/U/password */
    NGX_HTTP_KOT_R_USER_SESSIONS,   /* tenants/T/users/U/sessions */
    NGX_HTTP_KOT_R_USER_MFA,        /* tenants/T/users/U/mfa */
    NGX_HTTP_KOT_R_SESSIONS,        /* tenants/T/sessions */
    NGX_HTTP_KOT_R_SESSION_ONE,     /* tenants/T/sessions/HANDLE */
    NGX_HTTP_KOT_R_ALLOWLIST,       /* tenants/T/allowlists/access|admin */
    NGX_HTTP_KOT_R_POLICY,          /* tenants/T/policy */
    NGX_HTTP_KOT_R_EVENTS,          /* tenants/T/events */
    NGX_HTTP_KOT_R_SUPPORT          /* tenants/T/support */
} ngx_http_kot_resource_e;


/* a path below the prefix: literal segments and {T}enant, {U}ser, {H}andle */
typedef struct {
    const char                 *path[NGX_HTTP_KOT_ADMIN_SEGMENTS];
    ngx_http_kot_resource_e     resource;
    ngx_uint_t                  list;       /* of an allow-list's path */
} ngx_http_kot_route_t;


/* who may call an endpoint, besides the tenant's scope */
typedef enum {
    NGX_HTTP_KOT_WHO_ADMIN = 0,     /* any admin who may see the tenant */
    NGX_HTTP_KOT_WHO_SYSTEM,        /* a system admin */
    NGX_HTTP_KOT_WHO_TENANT         /* an admin of the tenant itself */
} ngx_http_kot_who_e;


/*
 * A call that hands its caller a credential of the tenant (a new
 * account's password, a reset one): a system admin may not make it even
 * under the tenant's grant, or it would keep a login after the grant.
 */
#define NGX_HTTP_KOT_NO_SUPPORT  2


typedef struct {
    ngx_http_kot_resource_e     resource;
    ngx_uint_t                  method;
    ngx_http_kot_who_e          who;
    ngx_uint_t                  grant;      /* a system admin needs one; */
                                            /* NGX_HTTP_KOT_NO_SUPPORT */
    const kot_body_field_t     *fields;     /* of the body; NULL: none */
    ngx_http_kot_step_pt        handler;
} ngx_http_kot_op_t;


static void ngx_http_kot_admin_cleanup(void *data);
static void ngx_http_kot_admin_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_kot_admin_checked(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_admin_authorize(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_admin_csrf_ok(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_admin_route(ngx_http_request_t *r,
    ngx_http_kot_admin_t *ad);
static ngx_uint_t ngx_http_kot_admin_split(ngx_str_t *path, ngx_str_t *seg);
static ngx_int_t ngx_http_kot_admin_names(ngx_http_request_t *r,
    ngx_http_kot_admin_t *ad, ngx_str_t *tenant, ngx_str_t *user);
static ngx_int_t ngx_http_kot_admin_scope(ngx_http_request_t *r,
    ngx_http_kot_admin_t *ad);
static ngx_int_t ngx_http_kot_admin_scoped(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_admin_dispatch(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_admin_session(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_admin_no_tenant(ngx_http_request_t *r);
static ngx_int_t ngx_http_kot_admin_decode(ngx_http_request_t *r,
    ngx_http_kot_admin_t *ad, const kot_body_field_t *fields,
    ngx_int_t *rc);
static ngx_int_t ngx_http_kot_admin_read_body(ngx_http_request_t *r,
    ngx_str_t *body);
static ngx_int_t ngx_http_kot_admin_json_type(ngx_http_request_t *r);
static void ngx_http_kot_admin_support_access(ngx_http_request_t *r,
    ngx_uint_t status);
static ngx_int_t ngx_http_kot_admin_replied(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static void ngx_http_kot_admin_reply_copy(ngx_http_request_t *r, void *data,
    redisReply *reply);
static ngx_http_kot_val_t *ngx_http_kot_val_copy(ngx_pool_t *pool,
    redisReply *reply, ngx_uint_t depth);
static json_t *ngx_http_kot_json_text(u_char *data, size_t len);
static ngx_int_t ngx_http_kot_admin_conditions(ngx_http_request_t *r,
    ngx_http_kot_admin_t *ad);
static ngx_int_t ngx_http_kot_admin_etag_parse(ngx_http_request_t *r,
    ngx_str_t *etag, ngx_str_t *state);
static void ngx_http_kot_admin_refused(ngx_http_request_t *r,
    ngx_http_kot_admin_t *ad, const char *reason, const char *what);
static ngx_int_t ngx_http_kot_admin_no_support(ngx_http_request_t *r,
    ngx_http_kot_admin_t *ad);
static ngx_int_t ngx_http_kot_admin_allow(ngx_http_request_t *r,
    ngx_uint_t resource);
static ngx_int_t ngx_http_kot_admin_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_http_kot_admin_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static ngx_str_t *ngx_http_kot_admin_too_large(ngx_http_request_t *r);


static ngx_http_output_header_filter_pt  ngx_http_kot_admin_next_header;
static ngx_http_output_body_filter_pt    ngx_http_kot_admin_next_body;


static const ngx_http_kot_route_t  ngx_http_kot_routes[] = {
    { { "session" }, NGX_HTTP_KOT_R_SESSION, 0 },
    { { "tenants" }, NGX_HTTP_KOT_R_TENANTS, 0 },
    { { "tenants", "{T}" }, NGX_HTTP_KOT_R_TENANT, 0 },
    { { "tenants", "{T}", "users" }, NGX_HTTP_KOT_R_USERS, 0 },
    { { "tenants", "{T}", "users", "{U}" }, NGX_HTTP_KOT_R_USER, 0 },
    { { "tenants", "{T}", "users", "{U}", "unlock" },
      NGX_HTTP_KOT_R_UNLOCK, 0 },
    { { "tenants", "{T}", "users", "{U}", "password" },
      NGX_HTTP_KOT_R_PASSWORD, 0 },
    { { "tenants", "{T}", "users", "{U}", "sessions" },
      NGX_HTTP_KOT_R_USER_SESSIONS, 0 },
    { { "tenants", "{T}", "users", "{U}", "mfa" },
      NGX_HTTP_KOT_R_USER_MFA, 0 },
    { { "tenants", "{T}", "sessions" }, NGX_HTTP_KOT_R_SESSIONS, 0 },
    { { "tenants", "{T}", "sessions", "{H}" },
      NGX_HTTP_KOT_R_SESSION_ONE, 0 },
    { { "tenants", "{T}", "allowlists", "access" },
      NGX_HTTP_KOT_R_ALLOWLIST, NGX_HTTP_KOT_ALLOW_ACCESS },
    { { "tenants", "{T}", "allowlists", "admin" },
      NGX_HTTP_KOT_R_ALLOWLIST, NGX_HTTP_KOT_ALLOW_ADMIN },
    { { "tenants", "{T}", "policy" }, NGX_HTTP_KOT_R_POLICY, 0 },
    { { "tenants", "{T}", "events" }, NGX_HTTP_KOT_R_EVENTS, 0 },
    { { "tenants", "{T}", "support" }, NGX_HTTP_KOT_R_SUPPORT, 0 },
    { { NULL }, 0, 0 }
};


static const ngx_http_kot_op_t  ngx_http_kot_ops[] = {

    { NGX_HTTP_KOT_R_SESSION, NGX_HTTP_GET, NGX_HTTP_KOT_WHO_ADMIN, 0,
      NULL, ngx_http_kot_admin_session },

    { NGX_HTTP_KOT_R_TENANTS, NGX_HTTP_GET, NGX_HTTP_KOT_WHO_ADMIN, 0,
      NULL, ngx_http_kot_admin_tenants },
    { NGX_HTTP_KOT_R_TENANTS, NGX_HTTP_POST, NGX_HTTP_KOT_WHO_SYSTEM, 0,
      kot_body_tenant, ngx_http_kot_admin_tenant_add },
    { NGX_HTTP_KOT_R_TENANT, NGX_HTTP_DELETE, NGX_HTTP_KOT_WHO_SYSTEM, 0,
      NULL, ngx_http_kot_admin_tenant_delete },
    { NGX_HTTP_KOT_R_TENANT, NGX_HTTP_GET, NGX_HTTP_KOT_WHO_ADMIN, 1,
      NULL, ngx_http_kot_admin_tenant_get },
    /* where the tenant's alarms go, after any grant too: its own */
    { NGX_HTTP_KOT_R_TENANT, NGX_HTTP_PUT, NGX_HTTP_KOT_WHO_TENANT, 1,
      kot_body_tenant_put, ngx_http_kot_admin_tenant_put },

    { NGX_HTTP_KOT_R_USERS, NGX_HTTP_GET, NGX_HTTP_KOT_WHO_ADMIN, 1,
      NULL, ngx_http_kot_admin_users },
    { NGX_HTTP_KOT_R_USERS, NGX_HTTP_POST, NGX_HTTP_KOT_WHO_ADMIN,
      NGX_HTTP_KOT_NO_SUPPORT, kot_body_user, ngx_http_kot_admin_user_add },
    { NGX_HTTP_KOT_R_USER, NGX_HTTP_GET, NGX_HTTP_KOT_WHO_ADMIN, 1,
      NULL, ngx_http_kot_admin_user_get },
    { NGX_HTTP_KOT_R_USER, NGX_HTTP_PATCH, NGX_HTTP_KOT_WHO_ADMIN, 1,
      kot_body_patch, ngx_http_kot_admin_user_patch },
    { NGX_HTTP_KOT_R_USER, NGX_HTTP_DELETE, NGX_HTTP_KOT_WHO_ADMIN, 1,
      NULL, ngx_http_kot_admin_user_delete },
    { NGX_HTTP_KOT_R_UNLOCK, NGX_HTTP_POST, NGX_HTTP_KOT_WHO_ADMIN, 1,
      NULL, ngx_http_kot_admin_user_unlock },
    { NGX_HTTP_KOT_R_PASSWORD, NGX_HTTP_POST, NGX_HTTP_KOT_WHO_ADMIN,
      NGX_HTTP_KOT_NO_SUPPORT, NULL, ngx_http_kot_admin_user_password },
    { NGX_HTTP_KOT_R_USER_SESSIONS, NGX_HTTP_DELETE, NGX_HTTP_KOT_WHO_ADMIN,
      1, NULL, ngx_http_kot_admin_user_sessions_end },
    { NGX_HTTP_KOT_R_USER_MFA, NGX_HTTP_DELETE, NGX_HTTP_KOT_WHO_ADMIN, 1,
      NULL, ngx_http_kot_admin_user_mfa_reset },

    { NGX_HTTP_KOT_R_SESSIONS, NGX_HTTP_GET, NGX_HTTP_KOT_WHO_ADMIN, 1,
      NULL, ngx_http_kot_admin_sessions },
    { NGX_HTTP_KOT_R_SESSION_ONE, NGX_HTTP_DELETE, NGX_HTTP_KOT_WHO_ADMIN, 1,
      NULL, ngx_http_kot_admin_session_end },

    { NGX_HTTP_KOT_R_ALLOWLIST, NGX_HTTP_GET, NGX_HTTP_KOT_WHO_ADMIN, 1,
      NULL, ngx_http_kot_admin_allowlist_get },
    /* who may reach the API, and so revoke a grant: not under a grant */
    { NGX_HTTP_KOT_R_ALLOWLIST, NGX_HTTP_PUT, NGX_HTTP_KOT_WHO_TENANT, 1,
      kot_body_allowlist, ngx_http_kot_admin_allowlist_put },

    { NGX_HTTP_KOT_R_POLICY, NGX_HTTP_GET, NGX_HTTP_KOT_WHO_ADMIN, 1,
      NULL, ngx_http_kot_admin_policy_get },
    { NGX_HTTP_KOT_R_POLICY, NGX_HTTP_PUT, NGX_HTTP_KOT_WHO_ADMIN, 1,
      kot_body_policy, ngx_http_kot_admin_policy_put },

    { NGX_HTTP_KOT_R_EVENTS, NGX_HTTP_GET, NGX_HTTP_KOT_WHO_ADMIN, 1,
      NULL, ngx_http_kot_admin_events },

    /* the grant itself: visible to the operator, given by the tenant */
    { NGX_HTTP_KOT_R_SUPPORT, NGX_HTTP_GET, NGX_HTTP_KOT_WHO_ADMIN, 0,
      NULL, ngx_http_kot_admin_support_get },
    { NGX_HTTP_KOT_R_SUPPORT, NGX_HTTP_POST, NGX_HTTP_KOT_WHO_TENANT, 0,
      kot_body_support, ngx_http_kot_admin_support_grant },
    { NGX_HTTP_KOT_R_SUPPORT, NGX_HTTP_DELETE, NGX_HTTP_KOT_WHO_TENANT, 0,
      NULL, ngx_http_kot_admin_support_revoke }
};


/* kot_admin_operator TENANT; */

char *
ngx_http_kot_admin_operator(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_kot_main_conf_t *kmcf = conf;

    int         n;
    ngx_str_t  *value;

    if (kmcf->admin_operator.len) {
        return "is duplicate";
    }

    value = cf->args->elts;

    kmcf->admin_operator.data = ngx_pnalloc(cf->pool, KOT_TENANT_MAX + 1);
    if (kmcf->admin_operator.data == NULL) {
        return NGX_CONF_ERROR;
    }

    n = kot_tenant_normalize((char *) value[1].data, value[1].len,
                             (char *) kmcf->admin_operator.data,
                             KOT_TENANT_MAX + 1);
    if (n < 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "kot_admin_operator \"%V\" is not a tenant name: "
                           "use " KOT_TENANT_RULE, &value[1]);
        return NGX_CONF_ERROR;
    }

    kmcf->admin_operator.len = n;

    return NGX_CONF_OK;
}


/*
 * A body of up to 64 KiB stays in memory, so that it never waits on a
 * file: the location's client_body_buffer_size is raised to hold one.
 */

void
ngx_http_kot_admin_merge(ngx_conf_t *cf, ngx_http_kot_loc_conf_t *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    if (conf->admin.len == 0) {
        return;
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->client_body_buffer_size < NGX_HTTP_KOT_ADMIN_BODY_MAX + 1) {
        clcf->client_body_buffer_size = NGX_HTTP_KOT_ADMIN_BODY_MAX + 1;
    }
}


/*
 * A body over client_max_body_size is refused by nginx itself, with its
 * HTML page: before any handler runs when Content-Length says so, or,
 * when the body is chunked, while it is read, which finalizes the
 * request without a word to the handler that asked for the body.  In
 * an admin location, these filters make that page the API's JSON 413.
 */

ngx_int_t
ngx_http_kot_admin_init_filters(ngx_conf_t *cf)
{
    ngx_http_kot_admin_next_header = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_kot_admin_header_filter;

    ngx_http_kot_admin_next_body = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_kot_admin_body_filter;

    return NGX_OK;
}


static ngx_int_t
ngx_http_kot_admin_header_filter(ngx_http_request_t *r)
{
    ngx_str_t                *json;
    ngx_http_kot_ctx_t       *ctx;
    ngx_http_kot_loc_conf_t  *klcf;

    klcf = ngx_http_get_module_loc_conf(r, ngx_http_kot_module);

    /* err_status: set by nginx's own error pages, not by our answers */
    if (r != r->main || klcf->admin.len == 0
        || r->err_status != NGX_HTTP_REQUEST_ENTITY_TOO_LARGE)
    {
        return ngx_http_kot_admin_next_header(r);
    }

    ctx = ngx_http_kot_ctx(r);
    json = ngx_http_kot_admin_too_large(r);

    if (ctx == NULL || json == NULL
        || ngx_http_kot_add_header(r, "Cache-Control",
                                   (u_char *) "no-store", 8)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    ctx->admin_413 = 1;

    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_length_n = json->len;

    return ngx_http_kot_admin_next_header(r);
}


/* nginx's page goes in one chain: ours goes in its place */

static ngx_int_t
ngx_http_kot_admin_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    ngx_buf_t           *b;
    ngx_str_t           *json;
    ngx_chain_t         *cl, out;
    ngx_http_kot_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_kot_module);

    if (ctx == NULL || !ctx->admin_413 || in == NULL) {
        return ngx_http_kot_admin_next_body(r, in);
    }

    for (cl = in; cl; cl = cl->next) {
        cl->buf->pos = cl->buf->last;
    }

    if (ctx->admin_413_sent) {
        return NGX_OK;
    }

    ctx->admin_413_sent = 1;

    json = ngx_http_kot_admin_too_large(r);
    b = ngx_calloc_buf(r->pool);

    if (json == NULL || b == NULL) {
        return NGX_ERROR;
    }

    b->pos = json->data;
    b->last = json->data + json->len;
    b->memory = 1;
    b->last_buf = 1;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_kot_admin_next_body(r, &out);
}


/* The answer ngx_http_kot_admin_read_body() gives, with nginx's limit. */

static ngx_str_t *
ngx_http_kot_admin_too_large(ngx_http_request_t *r)
{
    off_t                      max;
    ngx_str_t                 *json;
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    max = NGX_HTTP_KOT_ADMIN_BODY_MAX;

    if (clcf->client_max_body_size && clcf->client_max_body_size < max) {
        max = clcf->client_max_body_size;
    }

    json = ngx_palloc(r->pool, sizeof(ngx_str_t));
    if (json == NULL) {
        return NULL;
    }

    json->data = ngx_pnalloc(r->pool, 96 + NGX_OFF_T_LEN);
    if (json->data == NULL) {
        return NULL;
    }

    json->len = ngx_sprintf(json->data, "{\"error\":\"body_too_large\","
                            "\"detail\":\"a body may have at most %O "
                            "bytes\"}\n", max)
                - json->data;

    return json;
}


ngx_int_t
ngx_http_kot_admin_handler(ngx_http_request_t *r)
{
    ngx_int_t              rc;
    const char            *protocol, *floor;
    ngx_pool_cleanup_t    *cln;
    ngx_http_kot_ctx_t    *ctx;
    ngx_http_kot_admin_t  *ad;

    ctx = ngx_http_kot_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ad = ngx_pcalloc(r->pool, sizeof(ngx_http_kot_admin_t));
    if (ad == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_http_kot_admin_cleanup;
    cln->data = ad;

    ctx->admin = ad;

    /*
     * nginx would test If-Match and the like on the answer, once the
     * call is done: a change made, then answered 412 in HTML.  The API
     * tests them itself, first (ngx_http_kot_admin_conditions()).
     */
    r->disable_not_modified = 1;

    /* before a byte of the body is read or Redis is asked anything */
    switch (ngx_http_kot_tls_floor(r, ctx, &protocol, &floor)) {

    case NGX_OK:
        break;

    case NGX_DECLINED:
        /* the answer finalizes the request, as after a body is read */
        r->main->count++;

        return ngx_http_kot_admin_error(r, NGX_HTTP_FORBIDDEN, "tls_too_old",
                                        "connected with %s: the admin API "
                                        "needs %s or newer", protocol, floor);

    default:
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (r->headers_in.content_length_n > NGX_HTTP_KOT_ADMIN_BODY_MAX) {
        /* the answer finalizes the request, as after a body is read */
        r->main->count++;

        return ngx_http_kot_admin_error(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                        "body_too_large",
                                        "a body may have at most %d bytes",
                                        NGX_HTTP_KOT_ADMIN_BODY_MAX);
    }

    rc = ngx_http_read_client_request_body(r, ngx_http_kot_admin_body);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


/*
 * The JSON a call holds between its steps goes with the request, on
 * every path: answered, refused after a step that took "before" (a PUT
 * of an allow-list to a tenant gone meanwhile), failed with nginx's own
 * page, or closed while Redis was asked.
 */

static void
ngx_http_kot_admin_cleanup(void *data)
{
    ngx_http_kot_admin_t  *ad = data;

    json_decref(ad->body);
    json_decref(ad->before);

    ad->body = NULL;
    ad->before = NULL;
}


/* The body is there: the session is checked as "kot on" checks it. */

static void
ngx_http_kot_admin_body(ngx_http_request_t *r)
{
    ngx_int_t            rc;
    ngx_http_kot_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_kot_module);

    ngx_http_kot_session_read(r, &ctx->session);

    if (!ctx->session.cookie) {
        rc = ngx_http_kot_admin_error(r, NGX_HTTP_UNAUTHORIZED,
                                      "login_required", "log in first");

    } else if (ngx_http_kot_session_check(r, ctx, 0) != NGX_AGAIN) {
        rc = ngx_http_kot_admin_unavailable(r);

    } else {
        rc = ngx_http_kot_wait(r, ctx, ngx_http_kot_admin_checked);
    }

    if (rc != NGX_AGAIN && rc != NGX_DONE) {
        ngx_http_finalize_request(r, rc);
    }
}


static ngx_int_t
ngx_http_kot_admin_checked(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    switch (ngx_http_kot_access_check(r, ctx, NGX_HTTP_KOT_ALLOW_ADMIN)) {

    case NGX_HTTP_KOT_ACCESS_OK:
        /* a call of a session is a request record, as a proxied one is */
        ctx->checked = 1;
        return ngx_http_kot_admin_authorize(r, ctx);

    case NGX_HTTP_KOT_ACCESS_AGAIN:
        return ngx_http_kot_wait(r, ctx, ngx_http_kot_admin_checked);

    case NGX_HTTP_KOT_ACCESS_UNAVAILABLE:
        return ngx_http_kot_admin_unavailable(r);

    case NGX_HTTP_KOT_ACCESS_LOGIN:
        if (ngx_http_kot_set_cookie(r, NGX_HTTP_KOT_COOKIE_SESSION, NULL, 0)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_kot_admin_error(r, NGX_HTTP_UNAUTHORIZED,
                                        "login_required",
                                        "the session has ended: log in "
                                        "again");

    case NGX_HTTP_KOT_ACCESS_IP_DENIED:
        return ngx_http_kot_admin_error(r, NGX_HTTP_FORBIDDEN,
                                        "ip_not_allowed",
                                        "this address is not in the %s "
                                        "allow-list of the tenant",
                                        ctx->allow_denied);

    case NGX_HTTP_KOT_ACCESS_ROLE_DENIED:
        return ngx_http_kot_admin_error(r, NGX_HTTP_FORBIDDEN, "forbidden",
                                        "the session lacks a role that "
                                        "this location requires");

    case NGX_HTTP_KOT_ACCESS_MFA_ENROL:
        return ngx_http_kot_admin_error(r, NGX_HTTP_UNAUTHORIZED,
                                        "mfa_enrolment_required",
                                        "set up two-step login first, on "
                                        "the login portal");

    default: /* NGX_HTTP_KOT_ACCESS_MUST_CHANGE */
        return ngx_http_kot_admin_error(r, NGX_HTTP_UNAUTHORIZED,
                                        ctx->session.must_change
                                        == KOT_MUST_CHANGE_EXPIRED
                                        ? "password_expired"
                                        : "password_change_required",
                                        "change the password first, on "
                                        "the login portal");
    }
}


/* Who the caller is, and what the path names. */

static ngx_int_t
ngx_http_kot_admin_authorize(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_str_t                 *role;
    ngx_array_t               *roles;
    ngx_http_kot_admin_t      *ad = ngx_http_kot_admin_get(ctx);
    ngx_http_kot_session_t    *s = &ctx->session;
    ngx_http_kot_main_conf_t  *kmcf;

    if (!kot_roles_have((char *) s->roles.data, s->roles.len, KOT_ROLE_ADMIN,
                        sizeof(KOT_ROLE_ADMIN) - 1))
    {
        roles = ngx_array_create(r->pool, 1, sizeof(ngx_str_t));
        role = roles ? ngx_array_push(roles) : NULL;

        if (role == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_str_set(role, KOT_ROLE_ADMIN);
        ngx_http_kot_role_record(r, s, roles);

        return ngx_http_kot_admin_error(r, NGX_HTTP_FORBIDDEN, "forbidden",
                                        "the admin API is for users with "
                                        "the role \"admin\"");
    }

    kmcf = ngx_http_get_module_main_conf(r, ngx_http_kot_module);

    ad->system = (kmcf->admin_operator.len == s->tenant.len
                  && ngx_strncmp(kmcf->admin_operator.data, s->tenant.data,
                                 s->tenant.len)
                     == 0);

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))
        && !ngx_http_kot_admin_csrf_ok(r, ctx))
    {
        ngx_http_kot_admin_refused(r, ad, "csrf", "missing or wrong "
                                   "X-Kot-CSRF token");

        return ngx_http_kot_admin_error(r, NGX_HTTP_FORBIDDEN, "csrf",
                                        "a call that is not GET needs the "
                                        "header X-Kot-CSRF with the "
                                        "\"csrf\" of GET session");
    }

    if (ngx_http_kot_admin_route(r, ad) != NGX_OK) {
        return ngx_http_kot_admin_error(r, NGX_HTTP_NOT_FOUND, "not_found",
                                        "no such resource");
    }

    if (ad->tenant.len == 0) {
        return ngx_http_kot_admin_dispatch(r, ctx);
    }

    ad->own = (ad->tenant.len == s->tenant.len
               && ngx_strncmp(ad->tenant.data, s->tenant.data,
                              s->tenant.len)
                  == 0);

    if (ad->own) {
        return ngx_http_kot_admin_dispatch(r, ctx);
    }

    /* another tenant's: as if it did not exist, but to the operator */
    if (!ad->system) {
        return ngx_http_kot_admin_no_tenant(r);
    }

    return ngx_http_kot_admin_scope(r, ad);
}


static ngx_int_t
ngx_http_kot_admin_csrf_ok(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_table_elt_t  *h;

    h = ngx_http_kot_header_in(r, "x-kot-csrf", sizeof("x-kot-csrf") - 1);

    return h != NULL
           && ngx_http_kot_csrf_ok(r, "admin", ctx->session.id,
                                   KOT_SID_B64_LEN, &h->value);
}


/* The resource and the names of the path below the location's prefix. */

static ngx_int_t
ngx_http_kot_admin_route(ngx_http_request_t *r, ngx_http_kot_admin_t *ad)
{
    ngx_str_t                    path, seg[NGX_HTTP_KOT_ADMIN_SEGMENTS];
    ngx_str_t                   *tenant, *user;
    ngx_uint_t                   i, n, k;
    const char                  *part;
    const ngx_http_kot_route_t  *rt;
    ngx_http_kot_loc_conf_t     *klcf;

    klcf = ngx_http_get_module_loc_conf(r, ngx_http_kot_module);

    if (r->uri.len < klcf->admin.len) {
        return NGX_DECLINED;
    }

    path.data = r->uri.data + klcf->admin.len;
    path.len = r->uri.len - klcf->admin.len;

    n = ngx_http_kot_admin_split(&path, seg);

    for (rt = ngx_http_kot_routes; rt->path[0]; rt++) {
        tenant = NULL;
        user = NULL;

        for (i = 0; i < n; i++) {
            part = rt->path[i];

            if (part == NULL) {
                break;
            }

            if (part[0] == '{') {
                /* {T}, {U}, {H} */
                if (part[1] == 'T') {
                    tenant = &seg[i];

                } else if (part[1] == 'U') {
                    user = &seg[i];

                } else {
                    ad->handle = seg[i];
                }

                continue;
            }

            k = ngx_strlen(part);

            if (seg[i].len != k || ngx_strncmp(seg[i].data, part, k) != 0) {
                break;
            }
        }

        if (i == n && (n == NGX_HTTP_KOT_ADMIN_SEGMENTS
                       || rt->path[n] == NULL))
        {
            ad->resource = rt->resource;
            ad->list = rt->list;

            return tenant ? ngx_http_kot_admin_names(r, ad, tenant, user)
                          : NGX_OK;
        }
    }

    return NGX_DECLINED;
}


/* Up to SEGMENTS non-empty segments of path; 0 if it has another shape. */

static ngx_uint_t
ngx_http_kot_admin_split(ngx_str_t *path, ngx_str_t *seg)
{
    u_char      *p, *last, *slash;
    ngx_uint_t   n;

    p = path->data;
    last = p + path->len;

    for (n = 0; p < last; n++) {
        if (n == NGX_HTTP_KOT_ADMIN_SEGMENTS) {
            return 0;
        }

        slash = ngx_strlchr(p, last, '/');
        if (slash == NULL) {
            slash = last;
        }

        if (slash == p || slash == last - 1) {
            return 0;       /* "//", or a trailing "/" */
        }

        seg[n].data = p;
        seg[n].len = slash - p;
        p = slash + 1;
    }

    return n;
}


/*
 * The tenant, and the user, as names: one that is not a valid name names
 * nothing that could exist (a user's 404 comes after the tenant's scope).
 */

static ngx_int_t
ngx_http_kot_admin_names(ngx_http_request_t *r, ngx_http_kot_admin_t *ad,
    ngx_str_t *tenant, ngx_str_t *user)
{
    int  n;

    ad->tenant.data = ngx_pnalloc(r->pool, KOT_TENANT_MAX + 1);
    ad->user.data = ngx_pnalloc(r->pool, KOT_USERNAME_MAX + 1);

    if (ad->tenant.data == NULL || ad->user.data == NULL) {
        return NGX_ERROR;
    }

    n = kot_tenant_normalize((char *) tenant->data, tenant->len,
                             (char *) ad->tenant.data, KOT_TENANT_MAX + 1);
    if (n < 0) {
        /* "-" is no tenant's name, and nobody's own */
        ngx_str_set(&ad->tenant, "-");
        return NGX_OK;
    }

    ad->tenant.len = n;

    if (user) {
        n = kot_username_normalize((char *) user->data, user->len,
                                   (char *) ad->user.data,
                                   KOT_USERNAME_MAX + 1);

        /* checked once the tenant is in scope: see the user endpoints */
        ad->user.len = (n < 0) ? 0 : n;
    }

    return NGX_OK;
}


/*
 * A system admin inside another tenant: whether the tenant exists and
 * has granted support access.  A grant is kept only with its tenant
 * (support_grant, tenant_delete), so one EXISTS of both tells: 0 no
 * tenant, 1 no grant, 2 both.
 */

static ngx_int_t
ngx_http_kot_admin_scope(ngx_http_request_t *r, ngx_http_kot_admin_t *ad)
{
    ngx_http_kot_redis_args_t  a;

    if (ad->tenant.len == 1 && ad->tenant.data[0] == '-') {
        return ngx_http_kot_admin_no_tenant(r);
    }

    a.argc = 0;
    ngx_http_kot_redis_arg(&a, (u_char *) "EXISTS", 6);

    if (ngx_http_kot_redis_key(r, &a, KOT_KEY_TENANT, &ad->tenant, NULL)
        != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_GRANT, &ad->tenant, NULL)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_kot_admin_command(r, &a, ngx_http_kot_admin_scoped);
}


static ngx_int_t
ngx_http_kot_admin_scoped(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_admin_t  *ad = ngx_http_kot_admin_get(ctx);

    if (ad->reply->type != REDIS_REPLY_INTEGER) {
        return ngx_http_kot_admin_unavailable(r);
    }

    if (ad->reply->integer == 0) {
        return ngx_http_kot_admin_no_tenant(r);
    }

    ad->support = (ad->reply->integer == 2);

    return ngx_http_kot_admin_dispatch(r, ctx);
}


/* The method, the caller's role and the body, then the endpoint. */

static ngx_int_t
ngx_http_kot_admin_dispatch(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_int_t                 rc;
    ngx_uint_t                i, method;
    const char               *who;
    ngx_http_kot_admin_t     *ad = ngx_http_kot_admin_get(ctx);
    const ngx_http_kot_op_t  *op;

    method = (r->method == NGX_HTTP_HEAD) ? NGX_HTTP_GET : r->method;
    op = NULL;

    for (i = 0; i < sizeof(ngx_http_kot_ops) / sizeof(ngx_http_kot_op_t);
         i++)
    {
        if (ngx_http_kot_ops[i].resource == ad->resource
            && ngx_http_kot_ops[i].method == method)
        {
            op = &ngx_http_kot_ops[i];
            break;
        }
    }

    if (op == NULL) {
        if (ngx_http_kot_admin_allow(r, ad->resource) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_kot_admin_error(r, NGX_HTTP_NOT_ALLOWED,
                                        "method_not_allowed",
                                        "this resource does not take %V",
                                        &r->method_name);
    }

    if ((op->who == NGX_HTTP_KOT_WHO_SYSTEM && !ad->system)
        || (op->who == NGX_HTTP_KOT_WHO_TENANT && !ad->own))
    {
        who = (op->who == NGX_HTTP_KOT_WHO_SYSTEM)
              ? "only a system admin may do this"
              : "only an admin of the tenant itself may do this";

        /* under a grant, the answer's support_access record says it */
        if (!ad->support) {
            ngx_http_kot_admin_refused(r, ad, "forbidden", who);
        }

        return ngx_http_kot_admin_error(r, NGX_HTTP_FORBIDDEN, "forbidden",
                                        "%s", who);
    }

    /* the tenant's grant itself, or its deletion, is no support access */
    if (!op->grant) {
        ad->support = 0;

    } else if (ad->tenant.len && !ad->own && !ad->support) {
        ngx_http_kot_admin_refused(r, ad, "support_grant_required",
                                   "the tenant has not granted support "
                                   "access");

        return ngx_http_kot_admin_error(r, NGX_HTTP_FORBIDDEN,
                                        "support_grant_required",
                                        "the tenant has not granted support "
                                        "access: its admin can, with POST "
                                        "tenants/%V/support", &ad->tenant);
    }

    if (ad->support && op->grant == NGX_HTTP_KOT_NO_SUPPORT) {
        return ngx_http_kot_admin_no_support(r, ad);
    }

    rc = ngx_http_kot_admin_conditions(r, ad);
    if (rc != NGX_OK) {
        return rc;
    }

    if (ngx_http_kot_admin_decode(r, ad, op->fields, &rc) != NGX_OK) {
        return rc;
    }

    return op->handler(r, ctx);
}


/*
 * A call refused for want of a right (reason): an admin_api failure, in
 * the caller's events list and in that of the tenant the path named, if
 * the caller may know of it (its own, or one that a system admin reached
 * in ngx_http_kot_admin_scoped()), so that a tenant sees who reached
 * for it.
 */

static void
ngx_http_kot_admin_refused(ngx_http_request_t *r, ngx_http_kot_admin_t *ad,
    const char *reason, const char *what)
{
    ngx_http_kot_event_t  ev;

    ngx_memzero(&ev, sizeof(ngx_http_kot_event_t));
    ev.action = "admin_api";
    ev.category = "iam";
    ev.outcome = "failure";
    ev.reason = reason;
    ev.status = NGX_HTTP_FORBIDDEN;

    if (ad->tenant.len) {
        ev.target_tenant = &ad->tenant;
        ev.fields = json_pack("{s:s,s:o}", "kot.via", "api",
                              "kot.target.tenant",
                              ngx_http_kot_json_str(&ad->tenant));
    }

    ngx_http_kot_event(r, &ev, "admin API call refused: %s", what);
}


/*
 * The call's conditions (RFC 9110, 13.1), before it does anything.  A
 * user (users/U), an allow-list and the password policy have an ETag,
 * of their state: If-Match's, one strong ETag, goes to ad->state, for
 * the script that changes the resource to compare at the moment of the
 * change (or for GET to compare).  Nothing else has one, so an If-Match
 * other than "*" cannot hold there; nor can If-None-Match or
 * If-Unmodified-Since be told for a change, which is refused rather
 * than made unconditionally.  A GET is answered in full.
 */

static ngx_int_t
ngx_http_kot_admin_conditions(ngx_http_request_t *r, ngx_http_kot_admin_t *ad)
{
    ngx_str_t         v;
    const char       *name;
    ngx_table_elt_t  *h;

    ad->etag = (ad->resource == NGX_HTTP_KOT_R_USER
                || ad->resource == NGX_HTTP_KOT_R_ALLOWLIST
                || ad->resource == NGX_HTTP_KOT_R_POLICY);
    name = NULL;

    if (r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD)) {
        /* a full answer is always a right one */

    } else if (r->headers_in.if_none_match) {
        name = "If-None-Match";

    } else if (r->headers_in.if_unmodified_since) {
        name = "If-Unmodified-Since";
    }

    if (name) {
        return ngx_http_kot_admin_error(r, NGX_HTTP_PRECONDITION_FAILED,
                                        "precondition_failed",
                                        "the API cannot tell %s of this "
                                        "resource, and made no change: "
                                        "send the call without it", name);
    }

    h = r->headers_in.if_match;

    if (h == NULL) {
        return NGX_OK;
    }

    v = h->value;

    while (v.len && (v.data[0] == ' ' || v.data[0] == '\t')) {
        v.data++;
        v.len--;
    }

    while (v.len && (v.data[v.len - 1] == ' ' || v.data[v.len - 1] == '\t')) {
        v.len--;
    }

    if (v.len == 1 && v.data[0] == '*') {
        return NGX_OK;
    }

    if (!ad->etag) {
        return ngx_http_kot_admin_error(r, NGX_HTTP_PRECONDITION_FAILED,
                                        "precondition_failed",
                                        "only a user, an allow-list and "
                                        "the password policy have an "
                                        "ETag: If-Match takes * here, and "
                                        "no change was made");
    }

    switch (ngx_http_kot_admin_etag_parse(r, &v, &ad->state)) {

    case NGX_OK:
        return NGX_OK;

    case NGX_ERROR:
        return NGX_HTTP_INTERNAL_SERVER_ERROR;

    default:
        return ngx_http_kot_admin_error(r, NGX_HTTP_PRECONDITION_FAILED,
                                        "precondition_failed",
                                        "If-Match takes one ETag, as GET of "
                                        "the resource answers it, or *; no "
                                        "change was made");
    }
}


/*
 * If-Match's ETag (without its blanks) as the state it holds; NGX_DECLINED
 * if it is not one that ngx_http_kot_admin_etag() could have made.  Which
 * state it is, the resource's script tells: one of another resource, or
 * of a state gone, is not the one it has.
 */

static ngx_int_t
ngx_http_kot_admin_etag_parse(ngx_http_request_t *r, ngx_str_t *etag,
    ngx_str_t *state)
{
    size_t    len;
    ssize_t   n;

    if (etag->len < 3 || etag->data[0] != '"'
        || etag->data[etag->len - 1] != '"')
    {
        return NGX_DECLINED;
    }

    len = etag->len - 2;

    if (len > kot_b64_encoded_len(NGX_HTTP_KOT_ADMIN_STATE_MAX)) {
        return NGX_DECLINED;
    }

    state->data = ngx_pnalloc(r->pool, kot_b64_decoded_len(len) + 1);
    if (state->data == NULL) {
        return NGX_ERROR;
    }

    n = kot_b64url_decode(state->data, kot_b64_decoded_len(len) + 1,
                          (char *) etag->data + 1, len);

    if (n < 1) {
        state->data = NULL;
        return NGX_DECLINED;
    }

    state->len = n;

    return NGX_OK;
}


/*
 * The ETag of the resource, of its state (what its script compares
 * with If-Match's: KOT_LUA_USER_STATE, a list's version, the digest of
 * a policy), in the answer: the state in base64url, between quotes.
 * NGX_DECLINED for a GET whose If-Match it is not.
 */

ngx_int_t
ngx_http_kot_admin_etag(ngx_http_request_t *r, u_char *state, size_t len)
{
    u_char                *tag;
    ngx_http_kot_ctx_t    *ctx;
    ngx_http_kot_admin_t  *ad;

    ctx = ngx_http_get_module_ctx(r, ngx_http_kot_module);
    ad = ngx_http_kot_admin_get(ctx);

    if (!ad->etag) {
        return NGX_OK;
    }

    /* a change was compared by its script; it answers the state after */
    if ((r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))
        && ad->state.data
        && (ad->state.len != len
            || ngx_memcmp(ad->state.data, state, len) != 0))
    {
        return NGX_DECLINED;
    }

    tag = ngx_pnalloc(r->pool, kot_b64_encoded_len(len) + 2);
    if (tag == NULL) {
        return NGX_ERROR;
    }

    tag[0] = '"';
    len = 1 + kot_b64url_encode((char *) tag + 1, state, len);
    tag[len++] = '"';

    return ngx_http_kot_add_header(r, "ETag", tag, len);
}


/*
 * 412: the resource (what, "the user") is no longer as the caller read
 * it, and this call changed nothing.  now, if not NULL, is the resource
 * as it is now, whose members the answer carries after the error (with
 * its ETag, which the caller set), so that a console can show it without
 * another call.
 */

ngx_int_t
ngx_http_kot_admin_changed(ngx_http_request_t *r, const char *what,
    json_t *now)
{
    u_char  *p, detail[NGX_MAX_ERROR_STR];
    json_t  *body;

    p = ngx_slprintf(detail, detail + sizeof(detail),
                     "%s has changed since that ETag was read, and this "
                     "call changed nothing: %s", what,
                     now ? "this answer holds it as it is now"
                         : "read it again");

    body = json_pack("{s:s,s:o}", "error", "precondition_failed",
                     "detail", ngx_http_kot_json_text(detail, p - detail));

    if (body != NULL && now != NULL && json_object_update(body, now) != 0) {
        json_decref(body);
        body = NULL;
    }

    json_decref(now);

    return ngx_http_kot_admin_answer(r, NGX_HTTP_PRECONDITION_FAILED, body);
}


/*
 * The query parameter name's value, the name in any case, as
 * ngx_http_arg() finds it (a name without "=" too, with an empty value):
 * NGX_OK, or NGX_DECLINED if the query does not have it.  A parameter
 * given twice (?user=a&user=b) is refused, not read as either: the call
 * is answered 400 duplicate_parameter, and NGX_DONE returned.
 */

ngx_int_t
ngx_http_kot_admin_arg(ngx_http_request_t *r, const char *name,
    ngx_str_t *value)
{
    u_char      *p, *last, *amp, *eq;
    size_t       len;
    ngx_uint_t   found;

    len = ngx_strlen(name);
    found = 0;

    p = r->args.data;
    last = p + r->args.len;

    for ( /* void */ ; p < last; p = amp + 1) {
        amp = ngx_strlchr(p, last, '&');
        if (amp == NULL) {
            amp = last;
        }

        eq = ngx_strlchr(p, amp, '=');
        if (eq == NULL) {
            eq = amp;
        }

        if ((size_t) (eq - p) != len
            || ngx_strncasecmp(p, (u_char *) name, len) != 0)
        {
            continue;
        }

        if (found) {
            return ngx_http_kot_admin_answer(r, NGX_HTTP_BAD_REQUEST,
                       json_pack("{s:s,s:s++,s:s}",
                                 "error", "duplicate_parameter",
                                 "detail", "the query gives \"", name,
                                 "\" more than once: give it once",
                                 "parameter", name));
        }

        found = 1;
        value->data = (eq < amp) ? eq + 1 : amp;
        value->len = amp - value->data;
    }

    return found ? NGX_OK : NGX_DECLINED;
}


/*
 * Support access may not create an account nor set a password: the
 * refusal is recorded under the action refused, and nothing changes.
 */

static ngx_int_t
ngx_http_kot_admin_no_support(ngx_http_request_t *r,
    ngx_http_kot_admin_t *ad)
{
    ngx_http_kot_admin_audit(r, ad->resource == NGX_HTTP_KOT_R_USERS
                                ? "user_added" : "user_password_set",
                             "iam", "support_not_permitted", &ad->user,
                             NULL, NULL);

    return ngx_http_kot_admin_error(r, NGX_HTTP_FORBIDDEN,
                                    "support_not_permitted",
                                    "Support access cannot create "
                                    "accounts or set passwords; ask the "
                                    "tenant's administrator.");
}


/* The methods the resource takes, for a 405's Allow header. */

static ngx_int_t
ngx_http_kot_admin_allow(ngx_http_request_t *r, ngx_uint_t resource)
{
    u_char      *p, *start;
    ngx_uint_t   i, j;

    static const struct {
        ngx_uint_t   method;
        const char  *names;
    } methods[] = {
        { NGX_HTTP_GET, "GET, HEAD" },
        { NGX_HTTP_POST, "POST" },
        { NGX_HTTP_PUT, "PUT" },
        { NGX_HTTP_PATCH, "PATCH" },
        { NGX_HTTP_DELETE, "DELETE" }
    };

    start = ngx_pnalloc(r->pool, sizeof("GET, HEAD, POST, PUT, PATCH, "
                                        "DELETE"));
    if (start == NULL) {
        return NGX_ERROR;
    }

    p = start;

    for (j = 0; j < sizeof(methods) / sizeof(methods[0]); j++) {
        for (i = 0; i < sizeof(ngx_http_kot_ops) / sizeof(ngx_http_kot_op_t);
             i++)
        {
            if (ngx_http_kot_ops[i].resource == resource
                && ngx_http_kot_ops[i].method == methods[j].method)
            {
                if (p != start) {
                    p = ngx_cpymem(p, ", ", 2);
                }

                p = ngx_cpymem(p, methods[j].names,
                               ngx_strlen(methods[j].names));
                break;
            }
        }
    }

    return ngx_http_kot_add_header(r, "Allow", start, p - start);
}


static ngx_int_t
ngx_http_kot_admin_no_tenant(ngx_http_request_t *r)
{
    return ngx_http_kot_admin_error(r, NGX_HTTP_NOT_FOUND, "not_found",
                                    "no such tenant");
}


/*
 * GET session: who the caller is, from which address (as the allow-lists
 * see it, so that a console can say what a list would shut out), the
 * handle of its own session (so that a console can tell it from the
 * caller's others, and warn before it ends it), and the token for its
 * other calls.
 */

static ngx_int_t
ngx_http_kot_admin_session(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    u_char                  csrf[NGX_HTTP_KOT_CSRF_LEN];
    ngx_str_t               ip;
    struct sockaddr        *sa;
    ngx_http_kot_admin_t   *ad = ngx_http_kot_admin_get(ctx);
    ngx_http_kot_session_t *s = &ctx->session;

    if (ngx_http_kot_csrf(r, "admin", s->id, KOT_SID_B64_LEN, csrf)
        != NGX_OK
        || ngx_http_kot_client(r, &sa, &ip) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_kot_admin_answer(r, NGX_HTTP_OK,
               json_pack("{s:o,s:o,s:o,s:b,s:o,s:s%,s:s%}",
                         "user", ngx_http_kot_json_str(&s->user),
                         "tenant", ngx_http_kot_json_str(&s->tenant),
                         "roles", ngx_http_kot_json_roles(&s->roles),
                         "system_admin", (int) ad->system,
                         "ip", ngx_http_kot_json_str(&ip),
                         "handle", (char *) s->sid,
                         (size_t) KOT_SID_SHORT_LEN,
                         "csrf", (char *) csrf, sizeof(csrf)));
}


/* bodies */

/*
 * Decodes the body into ad->body: a JSON object with only the members
 * of fields, of their types, or nothing at all for an endpoint without
 * fields.  NGX_OK; or NGX_DECLINED with the answer's code in *rc.
 */

static ngx_int_t
ngx_http_kot_admin_decode(ngx_http_request_t *r, ngx_http_kot_admin_t *ad,
    const kot_body_field_t *fields, ngx_int_t *rc)
{
    const char              *key;
    ngx_str_t                body;
    json_error_t             err;
    const kot_body_field_t  *f;

    *rc = ngx_http_kot_admin_read_body(r, &body);
    if (*rc != NGX_OK) {
        return NGX_DECLINED;
    }

    /* no body is an empty object: what it lacks is named below */
    if (body.len == 0) {
        ad->body = json_object();

        if (ad->body == NULL) {
            *rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
            return NGX_DECLINED;
        }

    } else if (ngx_http_kot_admin_json_type(r) != NGX_OK) {
        *rc = ngx_http_kot_admin_error(r, NGX_HTTP_UNSUPPORTED_MEDIA_TYPE,
                                       "unsupported_media_type",
                                       "send the body as Content-Type: "
                                       "application/json");
        return NGX_DECLINED;

    } else {
        ad->body = kot_body_decode((char *) body.data, body.len, &err);

        /* jansson has what it needs; a password may have been in it */
        ngx_explicit_memzero(body.data, body.len);
    }

    if (ad->body == NULL) {
        *rc = ngx_http_kot_admin_error(r, NGX_HTTP_BAD_REQUEST,
                                       "invalid_json",
                                       "the body is not JSON: %s (line %d, "
                                       "column %d)", err.text, err.line,
                                       err.column);
        return NGX_DECLINED;
    }

    key = NULL;
    f = NULL;

    switch (kot_body_check(ad->body, fields, &key, &f)) {

    case KOT_BODY_OK:
        return NGX_OK;

    case KOT_BODY_NOT_OBJECT:
        *rc = ngx_http_kot_admin_error(r, NGX_HTTP_BAD_REQUEST,
                                       "invalid_json",
                                       "the body must be a JSON object");
        break;

    case KOT_BODY_UNKNOWN:
        *rc = ngx_http_kot_admin_error(r, NGX_HTTP_BAD_REQUEST,
                                       "unknown_field",
                                       "unknown field \"%*s\"",
                                       ngx_min(ngx_strlen(key),
                                               NGX_HTTP_KOT_ADMIN_ECHO),
                                       key);
        break;

    case KOT_BODY_WRONG_TYPE:
        *rc = ngx_http_kot_admin_error(r, NGX_HTTP_BAD_REQUEST,
                                       "wrong_type",
                                       "the field \"%s\" must be %s",
                                       f->name, kot_body_type_text(f->type));
        break;

    default: /* KOT_BODY_MISSING */
        *rc = ngx_http_kot_admin_error(r, NGX_HTTP_BAD_REQUEST,
                                       "missing_field",
                                       "the field \"%s\" is required",
                                       f->name);
    }

    return NGX_DECLINED;
}


json_t *
ngx_http_kot_admin_member(ngx_http_request_t *r, const char *name)
{
    ngx_http_kot_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_kot_module);

    return json_object_get(ngx_http_kot_admin_get(ctx)->body, name);
}


/*
 * The body in one buffer: NGX_OK, or the answer's code.  A body that did
 * not fit the buffer that ngx_http_kot_admin_merge() set (so larger than
 * 64 KiB) is refused.
 */

static ngx_int_t
ngx_http_kot_admin_read_body(ngx_http_request_t *r, ngx_str_t *body)
{
    u_char       *p;
    size_t        len;
    ngx_chain_t  *cl;

    body->len = 0;
    body->data = NULL;

    if (r->request_body == NULL) {
        return NGX_OK;
    }

    len = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        if (cl->buf->in_file || r->request_body->temp_file) {
            len = NGX_HTTP_KOT_ADMIN_BODY_MAX + 1;
            break;
        }

        len += cl->buf->last - cl->buf->pos;
    }

    if (len > NGX_HTTP_KOT_ADMIN_BODY_MAX) {
        return ngx_http_kot_admin_error(r, NGX_HTTP_REQUEST_ENTITY_TOO_LARGE,
                                        "body_too_large",
                                        "a body may have at most %d bytes",
                                        NGX_HTTP_KOT_ADMIN_BODY_MAX);
    }

    if (len == 0) {
        return NGX_OK;
    }

    body->data = ngx_pnalloc(r->pool, len);
    if (body->data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = body->data;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        p = ngx_cpymem(p, cl->buf->pos, cl->buf->last - cl->buf->pos);

        /* a password may have been in it */
        ngx_explicit_memzero(cl->buf->pos, cl->buf->last - cl->buf->pos);
    }

    body->len = len;

    return NGX_OK;
}


/* application/json, with parameters (charset=utf-8) or not */

static ngx_int_t
ngx_http_kot_admin_json_type(ngx_http_request_t *r)
{
    ngx_str_t  *type;

    static const u_char  json[] = "application/json";

    type = r->headers_in.content_type ? &r->headers_in.content_type->value
                                      : NULL;

    if (type && type->len >= sizeof(json) - 1
        && ngx_strncasecmp(type->data, (u_char *) json, sizeof(json) - 1)
           == 0
        && (type->len == sizeof(json) - 1
            || type->data[sizeof(json) - 1] == ';'
            || type->data[sizeof(json) - 1] == ' '))
    {
        return NGX_OK;
    }

    return NGX_DECLINED;
}


/* answers */

ngx_int_t
ngx_http_kot_admin_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *code, const char *fmt, ...)
{
    u_char   *p, detail[NGX_MAX_ERROR_STR];
    va_list   args;

    va_start(args, fmt);
    p = ngx_vslprintf(detail, detail + sizeof(detail), fmt, args);
    va_end(args);

    return ngx_http_kot_admin_answer(r, status,
               json_pack("{s:s,s:o}", "error", code,
                         "detail", ngx_http_kot_json_text(detail,
                                                          p - detail)));
}


ngx_int_t
ngx_http_kot_admin_unavailable(ngx_http_request_t *r)
{
    return ngx_http_kot_admin_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                    "session_store_unavailable",
                                    "Redis does not answer; nothing was "
                                    "changed, try again in a moment");
}


/*
 * Every answer of the API, with body NULL for 204.  A call under a
 * support grant that no record names yet gets one here, with its
 * status.  The request is finalized here, and NGX_DONE returned: a step
 * (or a helper that may answer) returns NGX_AGAIN when it waits, NGX_DONE
 * when it answered, NGX_OK when its caller goes on, or a status for
 * nginx's own page.
 */

ngx_int_t
ngx_http_kot_admin_answer(ngx_http_request_t *r, ngx_uint_t status,
    json_t *body)
{
    ngx_http_kot_ctx_t    *ctx;
    ngx_http_kot_admin_t  *ad;

    ctx = ngx_http_get_module_ctx(r, ngx_http_kot_module);
    ad = ngx_http_kot_admin_get(ctx);

    if (ad->body) {
        json_decref(ad->body);
        ad->body = NULL;
    }

    if (ad->support && !ad->audited) {
        ngx_http_kot_admin_support_access(r, status);
    }

    if (status == NGX_HTTP_KOT_UNPROCESSABLE) {
        ngx_str_set(&r->headers_out.status_line, "422 Unprocessable Entity");
    }

    /* NGX_AGAIN too: a long answer is flushed from there */
    ngx_http_finalize_request(r, ngx_http_kot_send_json(r, status, body));

    return NGX_DONE;
}


static void
ngx_http_kot_admin_support_access(ngx_http_request_t *r, ngx_uint_t status)
{
    ngx_http_kot_ctx_t    *ctx;
    ngx_http_kot_admin_t  *ad;
    ngx_http_kot_event_t   ev;

    ctx = ngx_http_get_module_ctx(r, ngx_http_kot_module);
    ad = ngx_http_kot_admin_get(ctx);

    ad->audited = 1;

    ngx_memzero(&ev, sizeof(ngx_http_kot_event_t));
    ev.action = "support_access";
    ev.category = "iam";
    ev.outcome = (status < NGX_HTTP_BAD_REQUEST) ? "success" : "failure";
    ev.status = status;
    ev.target_tenant = &ad->tenant;
    ev.fields = json_pack("{s:s,s:b,s:o}", "kot.via", "api", "kot.support", 1,
                          "kot.target.tenant",
                          ngx_http_kot_json_str(&ad->tenant));

    ngx_http_kot_event(r, &ev, "support access to tenant \"%V\" by user "
                       "\"%V\" of tenant \"%V\": %V %V, %ui", &ad->tenant,
                       &ctx->session.user, &ctx->session.tenant,
                       &r->method_name, &r->uri, status);
}


/*
 * The record of a change through the API, or of one refused (reason
 * set): the actor is the session's user, target the user it concerned,
 * if any; ad->before and after make kot.change, with the members of
 * change (all stolen) besides them.
 */

void
ngx_http_kot_admin_audit(ngx_http_request_t *r, const char *action,
    const char *category, const char *reason, ngx_str_t *target,
    json_t *after, json_t *change)
{
    json_t                *fields, *c;
    ngx_http_kot_ctx_t    *ctx;
    ngx_http_kot_admin_t  *ad;
    ngx_http_kot_event_t   ev;

    ctx = ngx_http_get_module_ctx(r, ngx_http_kot_module);
    ad = ngx_http_kot_admin_get(ctx);

    ad->audited = 1;

    fields = json_pack("{s:s,s:b}", "kot.via", "api", "kot.support",
                       (int) ad->support);

    if (fields && ad->tenant.len) {
        json_object_set_new(fields, "kot.target.tenant",
                            ngx_http_kot_json_str(&ad->tenant));
    }

    if (fields && target && target->len) {
        json_object_set_new(fields, "user.target.name",
                            ngx_http_kot_json_str(target));
    }

    if (fields && reason == NULL) {
        c = json_pack("{s:o,s:o}", "before",
                      ad->before ? ad->before : json_null(),
                      "after", after ? after : json_null());

        ad->before = NULL;
        after = NULL;

        if (c && change) {
            json_object_update(c, change);
        }

        json_object_set_new(fields, "kot.change", c);
    }

    json_decref(ad->before);
    json_decref(after);
    json_decref(change);
    ad->before = NULL;

    ngx_memzero(&ev, sizeof(ngx_http_kot_event_t));
    ev.action = action;
    ev.category = category;
    ev.outcome = reason ? "failure" : "success";
    ev.reason = reason;
    ev.target_tenant = ad->tenant.len ? &ad->tenant : NULL;
    ev.fields = fields;

    ngx_http_kot_event(r, &ev, "admin API: %s%s%s: tenant \"%V\"%s%V%s by "
                       "user \"%V\" of tenant \"%V\"%s", action,
                       reason ? " refused, " : "", reason ? reason : "",
                       &ad->tenant,
                       target && target->len ? " user \"" : "",
                       target && target->len ? target : &ad->tenant,
                       target && target->len ? "\"" : "",
                       &ctx->session.user, &ctx->session.tenant,
                       ad->support ? " (support)" : "");
}


/* Redis */

ngx_int_t
ngx_http_kot_admin_script(ngx_http_request_t *r, ngx_uint_t id, int nkeys,
    ngx_http_kot_redis_args_t *a, ngx_str_t *more, ngx_uint_t n,
    ngx_http_kot_step_pt next)
{
    ngx_http_kot_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_kot_module);

    if (ngx_http_kot_redis_script_list(r, id, ngx_http_kot_admin_reply_copy,
                                       ctx, &ctx->done, nkeys, a, more, n)
        != NGX_OK)
    {
        return ngx_http_kot_admin_unavailable(r);
    }

    ngx_http_kot_admin_get(ctx)->next = next;

    return ngx_http_kot_wait(r, ctx, ngx_http_kot_admin_replied);
}


/* A read that needs no script: one command. */

ngx_int_t
ngx_http_kot_admin_command(ngx_http_request_t *r,
    ngx_http_kot_redis_args_t *a, ngx_http_kot_step_pt next)
{
    ngx_http_kot_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_kot_module);

    if (ngx_http_kot_redis_command(r, ngx_http_kot_admin_reply_copy, ctx,
                                   &ctx->done, a)
        != NGX_OK)
    {
        return ngx_http_kot_admin_unavailable(r);
    }

    ngx_http_kot_admin_get(ctx)->next = next;

    return ngx_http_kot_wait(r, ctx, ngx_http_kot_admin_replied);
}


/* Redis answered (in ad->reply) the command that next waited for. */

static ngx_int_t
ngx_http_kot_admin_replied(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_admin_t  *ad = ngx_http_kot_admin_get(ctx);

    if (ctx->rc != NGX_OK || ad->reply == NULL) {
        return ngx_http_kot_admin_unavailable(r);
    }

    return ad->next(r, ctx);
}


static void
ngx_http_kot_admin_reply_copy(ngx_http_request_t *r, void *data,
    redisReply *reply)
{
    ngx_http_kot_ctx_t    *ctx = data;
    ngx_http_kot_admin_t  *ad = ngx_http_kot_admin_get(ctx);

    ad->reply = reply ? ngx_http_kot_val_copy(r->pool, reply, 0) : NULL;
    ctx->rc = ad->reply ? NGX_OK : NGX_ERROR;
}


static ngx_http_kot_val_t *
ngx_http_kot_val_copy(ngx_pool_t *pool, redisReply *reply, ngx_uint_t depth)
{
    size_t               i;
    ngx_http_kot_val_t  *v, *e;

    /* the scripts answer arrays of arrays at most */
    if (depth > 4) {
        return NULL;
    }

    v = ngx_pcalloc(pool, sizeof(ngx_http_kot_val_t));
    if (v == NULL) {
        return NULL;
    }

    v->type = reply->type;

    switch (reply->type) {

    case REDIS_REPLY_INTEGER:
        v->integer = reply->integer;
        break;

    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
        if (ngx_http_kot_strdup(pool, &v->str, (u_char *) reply->str,
                                reply->len)
            != NGX_OK)
        {
            return NULL;
        }

        v->type = REDIS_REPLY_STRING;
        break;

    case REDIS_REPLY_ARRAY:
        v->n = reply->elements;
        v->e = ngx_pcalloc(pool, (v->n + 1) * sizeof(ngx_http_kot_val_t));
        if (v->e == NULL) {
            return NULL;
        }

        for (i = 0; i < reply->elements; i++) {
            e = ngx_http_kot_val_copy(pool, reply->element[i], depth + 1);
            if (e == NULL) {
                return NULL;
            }

            v->e[i] = *e;
        }

        break;

    default:
        v->type = REDIS_REPLY_NIL;
        break;
    }

    return v;
}


/* Element i of an array, or NULL. */

ngx_http_kot_val_t *
ngx_http_kot_val(ngx_http_kot_val_t *v, ngx_uint_t i)
{
    if (v == NULL || v->type != REDIS_REPLY_ARRAY || i >= v->n) {
        return NULL;
    }

    return &v->e[i];
}


/* The number of element i, given as an integer or a string; else 0. */

int64_t
ngx_http_kot_val_int(ngx_http_kot_val_t *v, ngx_uint_t i)
{
    v = ngx_http_kot_val(v, i);

    if (v == NULL) {
        return 0;
    }

    if (v->type == REDIS_REPLY_INTEGER) {
        return v->integer;
    }

    /* copies are NUL-terminated */
    return (v->type == REDIS_REPLY_STRING)
           ? strtoll((char *) v->str.data, NULL, 10) : 0;
}


ngx_str_t *
ngx_http_kot_val_str(ngx_http_kot_val_t *v, ngx_uint_t i)
{
    static ngx_str_t  empty = ngx_null_string;

    v = ngx_http_kot_val(v, i);

    return (v && v->type == REDIS_REPLY_STRING) ? &v->str : &empty;
}


/* JSON values */

json_t *
ngx_http_kot_json_str(ngx_str_t *s)
{
    return ngx_http_kot_json_text(s->data, s->len);
}


/* jansson takes only valid UTF-8: anything else as kot_text.h fixes it */

static json_t *
ngx_http_kot_json_text(u_char *data, size_t len)
{
    char    *s;
    json_t  *j;

    if (kot_utf8_valid((char *) data, len)) {
        return json_stringn((char *) data, len);
    }

    s = ngx_alloc(kot_utf8_sanitize_len((char *) data, len), ngx_cycle->log);
    if (s == NULL) {
        return NULL;
    }

    j = json_stringn(s, kot_utf8_sanitize(s, (char *) data, len));
    ngx_free(s);

    return j;
}


/* Milliseconds since the epoch as RFC 3339 UTC; 0 or less: null. */

json_t *
ngx_http_kot_json_time(int64_t ms)
{
    char  buf[KOT_RFC3339_LEN + 1];

    if (ms <= 0) {
        return json_null();
    }

    return json_stringn(buf, kot_rfc3339((uint64_t) ms, buf, sizeof(buf)));
}


/* A lock's end: a time, null for none, "permanent" until an unlock. */

json_t *
ngx_http_kot_json_until(int64_t ms)
{
    return (ms == KOT_LOCKED_FOREVER) ? json_string("permanent")
                                      : ngx_http_kot_json_time(ms);
}


/* An array of strings of Redis as JSON; NULL as []. */

json_t *
ngx_http_kot_val_strings(ngx_http_kot_val_t *v)
{
    json_t      *list;
    ngx_uint_t   i;

    list = json_array();

    for (i = 0; list && v && v->type == REDIS_REPLY_ARRAY && i < v->n; i++) {
        json_array_append_new(list,
                              ngx_http_kot_json_str(
                                  ngx_http_kot_val_str(v, i)));
    }

    return list;
}


/* "a,b" as ["a","b"] */

json_t *
ngx_http_kot_json_roles(ngx_str_t *roles)
{
    return kot_change_roles((char *) roles->data, roles->len);
}
