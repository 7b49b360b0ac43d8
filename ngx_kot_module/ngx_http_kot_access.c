
/*
 * ngx_kot: the access phase of "kot on" locations.  No request passes
 * without a session that Redis confirms; when Redis cannot answer, the
 * answer is 503.
 *
 * The handler runs twice per request: first it sends the session check
 * and returns NGX_AGAIN; when the reply arrives, the phases run again and
 * the handler decides from what the reply left in the context.
 *
 * nginx runs no access phase for subrequests (SSI includes, auth_request,
 * mirror): the same handler decides for them at the start of the
 * precontent phase, from the main request's cookie.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_kot_module.h"
#include "kot_ident.h"
#include "kot_return_to.h"


static ngx_int_t ngx_http_kot_access_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_kot_subrequest_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_kot_access_resume(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_access_decide(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_login_required(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_has_role(ngx_http_kot_session_t *s,
    ngx_array_t *roles);
static ngx_int_t ngx_http_kot_role_answer(ngx_http_request_t *r);
static ngx_int_t ngx_http_kot_done(ngx_http_request_t *r, ngx_int_t rc);


ngx_int_t
ngx_http_kot_access_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_kot_access_handler;

    /* registered last, so it runs before mirror and try_files */
    h = ngx_array_push(&cmcf->phases[NGX_HTTP_PRECONTENT_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_kot_subrequest_handler;

    return NGX_OK;
}


static ngx_int_t
ngx_http_kot_subrequest_handler(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    /* the main request's access phase is over: the cookie's work too */
    if (r == r->main) {
        return ngx_http_kot_cookies_strip(r);
    }

    rc = ngx_http_kot_access_handler(r);

    /* in this phase NGX_OK would skip the handlers after this one */
    return (rc == NGX_OK) ? NGX_DECLINED : rc;
}


static ngx_int_t
ngx_http_kot_access_handler(ngx_http_request_t *r)
{
    ngx_int_t                 rc;
    ngx_http_kot_ctx_t       *ctx;
    ngx_http_kot_loc_conf_t  *klcf;

    klcf = ngx_http_get_module_loc_conf(r, ngx_http_kot_module);

    /* kot_admin checks the session itself, and answers in JSON */
    if (!klcf->enable || klcf->admin.len) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_kot_module);

    if (ctx) {
        if (ctx->waiting) {
            return NGX_AGAIN;
        }

        if (ctx->checked) {
            return ngx_http_kot_access_decide(r, ctx);
        }
    }

    ctx = ngx_http_kot_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_kot_tls_check(r, ctx, &rc) != NGX_OK) {
        return ngx_http_kot_done(r, rc);
    }

    ngx_http_kot_session_read(r, &ctx->session);

    if (!ctx->session.cookie) {
        return ngx_http_kot_done(r, ngx_http_kot_login_required(r, ctx));
    }

    switch (ngx_http_kot_session_check(r, ctx, 1)) {

    case NGX_OK:
        /* the worker's cache knew it: no round trip */
        ctx->checked = 1;
        return ngx_http_kot_access_decide(r, ctx);

    case NGX_AGAIN:
        return ngx_http_kot_wait(r, ctx, ngx_http_kot_access_resume);

    default:
        return ngx_http_kot_done(r, ngx_http_kot_unavailable(r));
    }
}


static ngx_int_t
ngx_http_kot_access_resume(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ctx->checked = 1;

    /* back into the phases; the handler above now decides */
    r->write_event_handler(r);

    return NGX_DONE;
}


static ngx_int_t
ngx_http_kot_access_decide(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_loc_conf_t  *klcf;

    klcf = ngx_http_get_module_loc_conf(r, ngx_http_kot_module);

    switch (ngx_http_kot_access_check(r, ctx, klcf->allowlist)) {

    case NGX_HTTP_KOT_ACCESS_OK:
        if (ngx_http_kot_identity_headers(r, &ctx->session) != NGX_OK) {
            return ngx_http_kot_done(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        }

        /* kot_long_poll: followed from now, to close it with its session */
        if (klcf->long_poll && r == r->main && ctx->conn == NULL
            && ngx_http_kot_conn_add(r, ctx) != NGX_OK)
        {
            return ngx_http_kot_done(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        }

        return NGX_OK;

    case NGX_HTTP_KOT_ACCESS_AGAIN:
        return ngx_http_kot_wait(r, ctx, ngx_http_kot_access_resume);

    case NGX_HTTP_KOT_ACCESS_UNAVAILABLE:
        return ngx_http_kot_done(r, ngx_http_kot_unavailable(r));

    case NGX_HTTP_KOT_ACCESS_LOGIN:
        return ngx_http_kot_done(r, ngx_http_kot_login_required(r, ctx));

    case NGX_HTTP_KOT_ACCESS_IP_DENIED:
        return ngx_http_kot_done(r, ngx_http_kot_allow_answer(r));

    case NGX_HTTP_KOT_ACCESS_ROLE_DENIED:
        return ngx_http_kot_done(r, ngx_http_kot_role_answer(r));

    case NGX_HTTP_KOT_ACCESS_MFA_ENROL:
        if (ngx_http_kot_is_browser(r)) {
            return ngx_http_kot_done(r, ngx_http_kot_goto_portal(r, "mfa",
                                                 ngx_http_kot_back(r), NULL));
        }

        return ngx_http_kot_done(r, ngx_http_kot_unauthorized(r,
                                   "mfa_enrolment_required", NULL));

    default: /* NGX_HTTP_KOT_ACCESS_MUST_CHANGE */
        if (ngx_http_kot_is_browser(r)) {
            return ngx_http_kot_done(r, ngx_http_kot_goto_portal(r,
                                       "password", ngx_http_kot_back(r),
                                       NULL));
        }

        return ngx_http_kot_done(r, ngx_http_kot_unauthorized(r,
                                   ctx->session.must_change
                                   == KOT_MUST_CHANGE_EXPIRED
                                   ? "password_expired"
                                   : "password_change_required", NULL));
    }
}


/*
 * What "kot on" decides once the session check answered (ctx->rc and
 * ctx->session), against the allow-list "list" of the session's tenant:
 * the session, the location's tenant, the network, kot_require_role and
 * a pending password change.  Refusals are recorded here; what the
 * client gets is the caller's choice (kot_admin answers JSON).
 */

ngx_http_kot_access_e
ngx_http_kot_access_check(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx,
    ngx_uint_t list)
{
    ngx_int_t                 rc;
    ngx_str_t                 tenant;
    ngx_http_kot_session_t   *s = &ctx->session;
    ngx_http_kot_loc_conf_t  *klcf;

    klcf = ngx_http_get_module_loc_conf(r, ngx_http_kot_module);

    if (ctx->rc != NGX_OK) {
        return NGX_HTTP_KOT_ACCESS_UNAVAILABLE;
    }

    if (s->status != KOT_SESSION_OK) {
        ngx_http_kot_session_expired(r, s);
        return NGX_HTTP_KOT_ACCESS_LOGIN;
    }

    /* a session of one tenant opens nothing of another */
    rc = ngx_http_kot_tenant(r, &tenant);

    if (rc == NGX_ERROR
        || (rc == NGX_OK
            && (tenant.len != s->tenant.len
                || ngx_strncmp(tenant.data, s->tenant.data, tenant.len) != 0)))
    {
        s->status = KOT_SESSION_MISSING;
        return NGX_HTTP_KOT_ACCESS_LOGIN;
    }

    rc = ngx_http_kot_allow(r, ctx, &s->tenant, s->allow_version, list);

    if (rc == NGX_AGAIN) {
        return NGX_HTTP_KOT_ACCESS_AGAIN;
    }

    if (rc == NGX_ERROR) {
        return NGX_HTTP_KOT_ACCESS_UNAVAILABLE;
    }

    if (rc == NGX_DECLINED) {
        ngx_http_kot_allow_record(r, ctx, &s->tenant, &s->user);
        return NGX_HTTP_KOT_ACCESS_IP_DENIED;
    }

    if (klcf->require_roles
        && !ngx_http_kot_has_role(s, klcf->require_roles))
    {
        ngx_http_kot_role_record(r, s, klcf->require_roles);
        return NGX_HTTP_KOT_ACCESS_ROLE_DENIED;
    }

    if (s->must_change != KOT_MUST_CHANGE_NO) {
        return NGX_HTTP_KOT_ACCESS_MUST_CHANGE;
    }

    /* the tenant requires MFA, and this user has yet to enrol */
    if (s->enrol) {
        return NGX_HTTP_KOT_ACCESS_MFA_ENROL;
    }

    return NGX_HTTP_KOT_ACCESS_OK;
}


/*
 * Browsers go to the login page and come back afterwards; other clients
 * get 401.  A form posted without a live session is lost: the login
 * page says so, and leads back to the page of the form.  A dead
 * session's cookie is cleared on the way.
 */

static ngx_int_t
ngx_http_kot_login_required(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_session_t  *s = &ctx->session;

    if (s->cookie
        && ngx_http_kot_set_cookie(r, NGX_HTTP_KOT_COOKIE_SESSION, NULL, 0)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (!ngx_http_kot_is_browser(r)) {
        return ngx_http_kot_unauthorized(r, "login_required",
                                         ngx_http_kot_session_why(s));
    }

    if (r->method == NGX_HTTP_POST) {
        return ngx_http_kot_goto_portal(r, "login", ngx_http_kot_back(r),
                                        "unsaved");
    }

    return ngx_http_kot_goto_portal(r, "login", ngx_http_kot_back(r),
                                    ngx_http_kot_session_why(s));
}


/*
 * Where a browser returns after the portal: the page it asked for; or,
 * for a form it posted, the page of the form, from a Referer of this
 * site (the POST's own target would be fetched with GET).  NULL when
 * that fails the return_to rules.
 */

ngx_str_t *
ngx_http_kot_back(ngx_http_request_t *r)
{
    size_t            len;
    ngx_str_t        *back;
    const char       *path;
    ngx_table_elt_t  *referer, *site;

    if (r->method != NGX_HTTP_POST) {
        return kot_return_to_ok((char *) r->unparsed_uri.data,
                                r->unparsed_uri.len)
               ? &r->unparsed_uri : NULL;
    }

    referer = r->headers_in.referer;
    site = ngx_http_kot_header_in(r, "sec-fetch-site", 14);

    if (referer == NULL || r->headers_in.host == NULL
        || (site && (site->value.len != 11
                     || ngx_strncmp(site->value.data, "same-origin", 11)
                        != 0)))
    {
        return NULL;
    }

    if (!kot_return_to_referer((char *) referer->value.data,
                               referer->value.len,
                               (char *) r->headers_in.host->value.data,
                               r->headers_in.host->value.len, &path, &len))
    {
        return NULL;
    }

    back = ngx_palloc(r->pool, sizeof(ngx_str_t));
    if (back == NULL) {
        return NULL;
    }

    back->data = (u_char *) path;
    back->len = len;

    return back;
}


static ngx_int_t
ngx_http_kot_has_role(ngx_http_kot_session_t *s, ngx_array_t *roles)
{
    ngx_str_t   *role;
    ngx_uint_t   i;

    role = roles->elts;

    for (i = 0; i < roles->nelts; i++) {
        if (kot_roles_have((char *) s->roles.data, s->roles.len,
                           (char *) role[i].data, role[i].len))
        {
            return 1;
        }
    }

    return 0;
}


/* The auditor's record of a session without a role that roles require. */

void
ngx_http_kot_role_record(ngx_http_request_t *r, ngx_http_kot_session_t *s,
    ngx_array_t *roles)
{
    json_t                *need;
    ngx_str_t             *role;
    ngx_uint_t             i;
    ngx_http_kot_event_t   ev;

    need = json_array();
    role = roles->elts;

    for (i = 0; need && i < roles->nelts; i++) {
        json_array_append_new(need, json_stringn((char *) role[i].data,
                                                 role[i].len));
    }

    ngx_memzero(&ev, sizeof(ngx_http_kot_event_t));
    ev.action = "role_denied";
    ev.category = "iam";
    ev.outcome = "failure";
    ev.reason = "missing_role";
    ev.status = NGX_HTTP_FORBIDDEN;
    ev.fields = need ? json_pack("{s:o}", "kot.required_roles", need) : NULL;

    ngx_http_kot_event(r, &ev, "user \"%V\" of tenant \"%V\" lacks the "
                       "role this location requires", &s->user, &s->tenant);
}


/* Browsers get a page, others JSON. */

static ngx_int_t
ngx_http_kot_role_answer(ngx_http_request_t *r)
{
    if (!ngx_http_kot_is_browser(r)) {
        return ngx_http_kot_json(r, NGX_HTTP_FORBIDDEN, "forbidden");
    }

    return ngx_http_kot_page_error(r, NGX_HTTP_FORBIDDEN,
                                   NGX_HTTP_KOT_MSG_ROLE_DENIED, 0);
}


/* kot_require_role ROLE...; */

char *
ngx_http_kot_require_role(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_kot_loc_conf_t *klcf = conf;

    ngx_str_t   *value, *role;
    ngx_uint_t   i;

    if (klcf->require_roles != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    klcf->require_roles = ngx_array_create(cf->pool, cf->args->nelts - 1,
                                           sizeof(ngx_str_t));
    if (klcf->require_roles == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        if (!kot_role_valid((char *) value[i].data, value[i].len)) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"kot_require_role\": \"%V\" is not a role "
                               "name: use 1 to %d of a-z, 0-9, '_' and '-'",
                               &value[i], KOT_ROLE_MAX);
            return NGX_CONF_ERROR;
        }

        role = ngx_array_push(klcf->require_roles);
        if (role == NULL) {
            return NGX_CONF_ERROR;
        }

        *role = value[i];
    }

    if (cf->cmd_type == NGX_HTTP_LOC_CONF) {
        klcf->guard = "kot_require_role";
    }

    return NGX_CONF_OK;
}


/*
 * A location that names roles or an allow-list but checks no session
 * would be open to anyone, from anywhere.  Only the location's own
 * directive counts: an inherited one may well reach public locations
 * below a protected server.
 */

char *
ngx_http_kot_guard_merge(ngx_conf_t *cf, ngx_http_kot_loc_conf_t *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    if (conf->guard == NULL || conf->enable || conf->admin.len) {
        return NGX_CONF_OK;
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "\"%s\" in location \"%V\" guards nothing: roles "
                       "and allow-lists are checked only where \"kot on\" "
                       "or \"kot_admin\" checks the session; add \"kot "
                       "on;\" to the location", conf->guard, &clcf->name);

    return NGX_CONF_ERROR;
}


/*
 * The response is sent: finish the request here, and tell the access
 * phase there is nothing more to run.
 */

static ngx_int_t
ngx_http_kot_done(ngx_http_request_t *r, ngx_int_t rc)
{
    ngx_http_finalize_request(r, rc);

    return NGX_DONE;
}
