
/*
 * ngx_kot: the login portal, a content handler for the location that has
 * "kot_portal":
 *
 *     {prefix}login       GET form, POST credentials
 *     {prefix}login/code  GET form, POST the second factor (MFA users)
 *     {prefix}logout      GET confirmation, POST ends the session
 *     {prefix}password    GET form, POST changes the password
 *     {prefix}mfa         enrolment in MFA (ngx_http_kot_mfa.c)
 *     {prefix}session     GET the session's times left, in JSON
 *     {prefix}sessions    GET the user's sessions, POST ends some
 *     {prefix}welcome     GET the last login, right after a login
 *                         (the three in ngx_http_kot_sessions.c)
 *
 * Each POST is a chain of steps; a step that waits on Redis or the hash
 * thread pool names the next one with ngx_http_kot_wait().  Every POST
 * carries a CSRF token; without a valid one nothing changes.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_kot_module.h"
#include "kot_b64.h"
#include "kot_ident.h"
#include "kot_policy.h"
#include "kot_return_to.h"
#include "kot_text.h"


#define NGX_HTTP_KOT_BODY_MAX  8192


static ngx_int_t ngx_http_kot_portal_get(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static void ngx_http_kot_portal_body(ngx_http_request_t *r);
static ngx_int_t ngx_http_kot_portal_post(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_read_body(ngx_http_request_t *r,
    ngx_http_kot_portal_t *pt, const char **reason);
static void ngx_http_kot_csrf_record(ngx_http_request_t *r,
    const char *action);
static ngx_int_t ngx_http_kot_form_refused(ngx_http_request_t *r,
    ngx_http_kot_portal_t *pt, ngx_uint_t status, const char *reason);
static void ngx_http_kot_portal_wipe(void *data);
static ngx_int_t ngx_http_kot_login_form(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx, ngx_uint_t status, ngx_http_kot_msg_t msg);
static ngx_int_t ngx_http_kot_prelogin(ngx_http_request_t *r,
    ngx_str_t *pre, ngx_uint_t create);
static ngx_int_t ngx_http_kot_login_post(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static void ngx_http_kot_login_names(ngx_http_request_t *r,
    ngx_http_kot_portal_t *pt);
static ngx_int_t ngx_http_kot_login_loaded(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_login_verified(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_login_pended(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static const char *ngx_http_kot_login_refused(ngx_int_t result);
static ngx_int_t ngx_http_kot_login_created(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_login_rehash(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_login_rehashed(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_login_stored(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_login_answer(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_login_counted(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_login_failed(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx, const char *reason);
static void ngx_http_kot_account_locked(ngx_http_request_t *r,
    ngx_http_kot_login_t *login);
static ngx_int_t ngx_http_kot_code_form(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx, ngx_uint_t status, ngx_http_kot_msg_t msg);
static ngx_int_t ngx_http_kot_code_get(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_code_post(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_code_loaded(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_login_throttled(ngx_http_request_t *r,
    ngx_http_kot_login_t *login, ngx_uint_t code);
static ngx_int_t ngx_http_kot_code_expired(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_code_used(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_code_wrong(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx, const char *reason);
static ngx_int_t ngx_http_kot_logout_get(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_logout_post(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_logout_done(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_logout_failed(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_logout_forget(ngx_http_request_t *r);
static ngx_int_t ngx_http_kot_password_get(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_password_page(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_password_user(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx, ngx_http_kot_step_pt step,
    ngx_http_kot_step_pt next);
static ngx_int_t ngx_http_kot_password_page_loaded(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_password_form(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx, ngx_http_kot_page_t *p);
static ngx_int_t ngx_http_kot_password_post(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_password_checked(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_password_loaded(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_password_hashed(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_password_counted(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_password_wrong(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx, const char *reason);
static ngx_int_t ngx_http_kot_password_changed(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_uint_t ngx_http_kot_password_rules(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx, ngx_http_kot_page_t *p);
static ngx_int_t ngx_http_kot_load_user(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static void ngx_http_kot_load_user_reply(ngx_http_request_t *r, void *data,
    redisReply *reply);
static void ngx_http_kot_return_to(ngx_str_t *in, ngx_str_t *out);


/* [action]: the fields each form has, in NGX_HTTP_KOT_F_* order */

static const char  *ngx_http_kot_fields[][NGX_HTTP_KOT_F_N] = {
    { "csrf", "return_to", "tenant", "username", "password" },
    { "csrf", "return_to", NULL, NULL, NULL },
    { "csrf", "return_to", "current_password", "new_password",
      "confirm_password" },
    { "csrf", "return_to", "code", NULL, NULL },
    { "csrf", "return_to", "code", "password", "action" },
    { "csrf", "return_to", NULL, NULL, NULL },
    { "csrf", "return_to", "end", NULL, NULL },
    { "csrf", "return_to", NULL, NULL, NULL }
};


/* [action]: the event.action of a form refused */

static const char  *ngx_http_kot_actions[] = {
    "login", "logout", "password_change", "login", "mfa", "session",
    "session_end", "welcome"
};


ngx_int_t
ngx_http_kot_portal_handler(ngx_http_request_t *r)
{
    ngx_int_t                 rc;
    ngx_str_t                 page;
    ngx_http_kot_ctx_t       *ctx;
    ngx_http_kot_portal_t    *pt;
    ngx_http_kot_loc_conf_t  *klcf;

    klcf = ngx_http_get_module_loc_conf(r, ngx_http_kot_module);

    if (r->uri.len < klcf->portal.len) {
        return ngx_http_kot_page_error(r, NGX_HTTP_NOT_FOUND,
                                       NGX_HTTP_KOT_MSG_NOT_FOUND, 0);
    }

    page.data = r->uri.data + klcf->portal.len;
    page.len = r->uri.len - klcf->portal.len;

    ctx = ngx_http_kot_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    pt = ngx_pcalloc(r->pool, sizeof(ngx_http_kot_portal_t));
    if (pt == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->portal = pt;
    ctx->login = &pt->login;

    if (page.len == 5 && ngx_strncmp(page.data, "login", 5) == 0) {
        pt->action = NGX_HTTP_KOT_LOGIN;

    } else if (page.len == 10
               && ngx_strncmp(page.data, "login/code", 10) == 0)
    {
        pt->action = NGX_HTTP_KOT_CODE;

    } else if (page.len == 3 && ngx_strncmp(page.data, "mfa", 3) == 0) {
        pt->action = NGX_HTTP_KOT_MFA;

    } else if (page.len == 6 && ngx_strncmp(page.data, "logout", 6) == 0) {
        pt->action = NGX_HTTP_KOT_LOGOUT;

    } else if (page.len == 8 && ngx_strncmp(page.data, "password", 8) == 0) {
        pt->action = NGX_HTTP_KOT_PASSWORD;

    } else if (page.len == 7 && ngx_strncmp(page.data, "session", 7) == 0) {
        pt->action = NGX_HTTP_KOT_SESSION;

    } else if (page.len == 8 && ngx_strncmp(page.data, "sessions", 8) == 0) {
        pt->action = NGX_HTTP_KOT_SESSIONS;

    } else if (page.len == 7 && ngx_strncmp(page.data, "welcome", 7) == 0) {
        pt->action = NGX_HTTP_KOT_WELCOME;

    } else if (page.len == 0 && (r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return ngx_http_kot_goto_portal(r, "login", NULL, NULL);

    } else {
        /* the portal's own page, with its headers, not nginx's */
        return ngx_http_kot_page_error(r, NGX_HTTP_NOT_FOUND,
                                       NGX_HTTP_KOT_MSG_NOT_FOUND, 0);
    }

    /*
     * Passwords only over TLS: the "__Host-" cookies would not even be
     * kept by a browser on a plain connection.
     */
    if (!klcf->insecure_cookie
#if (NGX_HTTP_SSL)
        && r->connection->ssl == NULL
#endif
       )
    {
        return ngx_http_kot_page_error(r, NGX_HTTP_FORBIDDEN,
                                       NGX_HTTP_KOT_MSG_USE_HTTPS, 0);
    }

    if (ngx_http_kot_tls_check(r, ctx, &rc) != NGX_OK) {
        return rc;
    }

    ngx_http_kot_session_read(r, &ctx->session);

    if (r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD)) {
        return ngx_http_kot_portal_get(r, ctx);
    }

    if (pt->action == NGX_HTTP_KOT_SESSION
        || pt->action == NGX_HTTP_KOT_WELCOME)
    {
        return ngx_http_kot_not_allowed(r, "GET, HEAD");
    }

    if (r->method != NGX_HTTP_POST) {
        return ngx_http_kot_not_allowed(r, "GET, HEAD, POST");
    }

    rc = ngx_http_read_client_request_body(r, ngx_http_kot_portal_body);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


static ngx_int_t
ngx_http_kot_portal_get(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    long                    n;
    ngx_int_t               rc;
    ngx_str_t               arg, decoded;
    ngx_http_kot_msg_t      msg;
    ngx_http_kot_portal_t  *pt = ctx->portal;

    decoded.len = 0;

    if (ngx_http_arg(r, (u_char *) "return_to", 9, &arg) == NGX_OK) {
        decoded.data = ngx_pnalloc(r->pool, arg.len);
        if (decoded.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        n = kot_url_decode((char *) decoded.data, (char *) arg.data, arg.len,
                           1);
        decoded.len = (n < 0) ? 0 : n;
    }

    ngx_http_kot_return_to(&decoded, &pt->return_to);

    switch (pt->action) {

    case NGX_HTTP_KOT_LOGIN:
        msg = NGX_HTTP_KOT_MSG_NONE;

        if (ngx_http_arg(r, (u_char *) "logged_out", 10, &arg) == NGX_OK) {
            msg = NGX_HTTP_KOT_MSG_LOGGED_OUT;

        } else if (ngx_http_arg(r, (u_char *) "unsaved", 7, &arg) == NGX_OK) {
            msg = NGX_HTTP_KOT_MSG_UNSAVED;

        } else if (ngx_http_arg(r, (u_char *) "expired", 7, &arg) == NGX_OK) {
            msg = NGX_HTTP_KOT_MSG_EXPIRED;

        } else if (ngx_http_arg(r, (u_char *) "evicted", 7, &arg) == NGX_OK) {
            msg = NGX_HTTP_KOT_MSG_EVICTED;

        } else if (ngx_http_arg(r, (u_char *) "ended_elsewhere", 15, &arg)
                   == NGX_OK)
        {
            msg = NGX_HTTP_KOT_MSG_ENDED_ELSEWHERE;

        } else if (ngx_http_arg(r, (u_char *) "code_expired", 12, &arg)
                   == NGX_OK)
        {
            msg = NGX_HTTP_KOT_MSG_CODE_EXPIRED;
        }

        return ngx_http_kot_login_form(r, ctx, NGX_HTTP_OK, msg);

    case NGX_HTTP_KOT_LOGOUT:
        return ngx_http_kot_logout_get(r, ctx);

    case NGX_HTTP_KOT_CODE:
        return ngx_http_kot_code_get(r, ctx);

    default: /* PASSWORD, MFA, SESSION, SESSIONS, WELCOME */
        rc = (pt->action == NGX_HTTP_KOT_MFA)
             ? ngx_http_kot_mfa_get(r, ctx)
             : (pt->action == NGX_HTTP_KOT_SESSION)
             ? ngx_http_kot_session_times(r, ctx)
             : (pt->action == NGX_HTTP_KOT_SESSIONS)
             ? ngx_http_kot_sessions_get(r, ctx)
             : (pt->action == NGX_HTTP_KOT_WELCOME)
             ? ngx_http_kot_last_login_get(r, ctx)
             : ngx_http_kot_password_get(r, ctx);

        if (rc == NGX_AGAIN) {
            r->main->count++;
            return NGX_DONE;
        }

        return rc;
    }
}


static void
ngx_http_kot_portal_body(ngx_http_request_t *r)
{
    ngx_int_t            rc;
    ngx_http_kot_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_kot_module);

    rc = ngx_http_kot_portal_post(r, ctx);

    if (rc != NGX_AGAIN && rc != NGX_DONE) {
        ngx_http_finalize_request(r, rc);
    }
}


static ngx_int_t
ngx_http_kot_portal_post(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_int_t               rc;
    const char             *reason;
    ngx_http_kot_portal_t  *pt = ctx->portal;

    rc = ngx_http_kot_read_body(r, pt, &reason);

    if (rc != NGX_OK) {
        return reason ? ngx_http_kot_form_refused(r, pt, rc, reason) : rc;
    }

    ngx_http_kot_return_to(&pt->v[NGX_HTTP_KOT_F_RETURN_TO], &pt->return_to);

    switch (pt->action) {

    case NGX_HTTP_KOT_LOGIN:
        return ngx_http_kot_login_post(r, ctx);

    case NGX_HTTP_KOT_LOGOUT:
        return ngx_http_kot_logout_post(r, ctx);

    case NGX_HTTP_KOT_CODE:
        return ngx_http_kot_code_post(r, ctx);

    case NGX_HTTP_KOT_MFA:
        return ngx_http_kot_mfa_post(r, ctx);

    case NGX_HTTP_KOT_SESSIONS:
        return ngx_http_kot_sessions_post(r, ctx);

    default: /* NGX_HTTP_KOT_PASSWORD */
        return ngx_http_kot_password_post(r, ctx);
    }
}


/*
 * Collects the form into one buffer and parses it.  Bodies are small:
 * anything larger than a login form, or spilled to a file, is refused.
 * Sends nothing: returns NGX_OK, or the status to refuse the form with
 * and the reason, or a status alone for a failure of the server's.
 */

static ngx_int_t
ngx_http_kot_read_body(ngx_http_request_t *r, ngx_http_kot_portal_t *pt,
    const char **reason)
{
    u_char              *p;
    size_t               len;
    ngx_uint_t           i, n;
    ngx_chain_t         *cl;
    ngx_pool_cleanup_t  *cln;
    kot_form_rc_t        rc;

    *reason = NULL;

    if (r->request_body == NULL || r->request_body->temp_file) {
        goto too_large;
    }

    len = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        if (cl->buf->in_file) {
            goto too_large;
        }

        len += cl->buf->last - cl->buf->pos;
    }

    if (len > NGX_HTTP_KOT_BODY_MAX) {
        goto too_large;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    pt->body_len = len;
    pt->body = ngx_pnalloc(r->pool, len + 1);
    pt->scratch_len = len + NGX_HTTP_KOT_F_N;
    pt->scratch = ngx_pnalloc(r->pool, pt->scratch_len);

    if (pt->body == NULL || pt->scratch == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_http_kot_portal_wipe;
    cln->data = pt;

    p = pt->body;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        p = ngx_cpymem(p, cl->buf->pos, cl->buf->last - cl->buf->pos);

        /* nginx's own copy held the password too */
        ngx_explicit_memzero(cl->buf->pos, cl->buf->last - cl->buf->pos);
    }

    for (n = 0; n < NGX_HTTP_KOT_F_N; n++) {
        pt->f[n].name = ngx_http_kot_fields[pt->action][n];

        if (pt->f[n].name == NULL) {
            break;
        }
    }

    rc = kot_form_parse((char *) pt->body, len, pt->f, n,
                        (char *) pt->scratch, pt->scratch_len);

    switch (rc) {

    case KOT_FORM_OK:
        break;

    case KOT_FORM_DUPLICATE:
        *reason = "duplicate_field";
        return NGX_HTTP_BAD_REQUEST;

    case KOT_FORM_TOO_LARGE:
        goto too_large;

    default: /* KOT_FORM_MALFORMED */
        *reason = "malformed_form";
        return NGX_HTTP_BAD_REQUEST;
    }

    for (i = 0; i < n; i++) {
        pt->v[i].data = (u_char *) pt->f[i].value;
        pt->v[i].len = pt->f[i].present ? pt->f[i].len : 0;
    }

    return NGX_OK;

too_large:

    *reason = "form_too_large";
    return NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;
}


static void
ngx_http_kot_portal_wipe(void *data)
{
    ngx_http_kot_portal_t  *pt = data;

    ngx_explicit_memzero(pt->body, pt->body_len);
    ngx_explicit_memzero(pt->scratch, pt->scratch_len);
}




/* login */

static ngx_int_t
ngx_http_kot_login_form(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx,
    ngx_uint_t status, ngx_http_kot_msg_t msg)
{
    u_char                    csrf[NGX_HTTP_KOT_CSRF_LEN];
    ngx_str_t                 pre, *tenant, *username;
    ngx_http_kot_page_t       p;
    ngx_http_kot_portal_t    *pt = ctx->portal;
    ngx_http_kot_loc_conf_t  *klcf;

    klcf = ngx_http_get_module_loc_conf(r, ngx_http_kot_module);

    if (ngx_http_kot_prelogin(r, &pre, 1) != NGX_OK
        || ngx_http_kot_csrf(r, "login", pre.data, pre.len, csrf) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memzero(&p, sizeof(ngx_http_kot_page_t));

    p.status = status;
    p.csrf.data = csrf;
    p.csrf.len = sizeof(csrf);
    p.return_to = pt->return_to;
    p.ask_tenant = (klcf->tenant == NULL);

    if (msg != NGX_HTTP_KOT_MSG_NONE) {
        p.msgs[p.nmsgs++] = msg;
    }

    /*
     * The company ID and the username come back, so that only the
     * password needs typing again: that is the field to correct.  Not
     * from a form refused unread: another site may have sent it.
     */
    if (pt->action == NGX_HTTP_KOT_LOGIN
        && msg != NGX_HTTP_KOT_MSG_LOGIN_EXPIRED)
    {
        tenant = &pt->v[NGX_HTTP_KOT_F_TENANT];
        username = &pt->v[NGX_HTTP_KOT_F_USERNAME];

        if (tenant->len <= 2 * KOT_TENANT_MAX) {
            p.tenant = *tenant;
        }

        if (username->len <= 2 * KOT_USERNAME_MAX) {
            p.username = *username;
        }

        if (msg == NGX_HTTP_KOT_MSG_LOGIN_FAILED) {
            p.error_field = "password";
        }
    }

    if (ngx_http_kot_url(r, &p.action, "login") != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_kot_page_login(r, &p);
}


/*
 * The pre-login cookie: a random value the login form's CSRF token is
 * bound to, so that another site cannot post a login (login CSRF).
 */

static ngx_int_t
ngx_http_kot_prelogin(ngx_http_request_t *r, ngx_str_t *pre,
    ngx_uint_t create)
{
    u_char  raw[KOT_SID_RAW_LEN];

    if (ngx_http_kot_cookie(r, NGX_HTTP_KOT_COOKIE_PRELOGIN, pre) == NGX_OK
        && pre->len == KOT_SID_B64_LEN
        && kot_b64url_decode(raw, sizeof(raw), (char *) pre->data, pre->len)
           == KOT_SID_RAW_LEN)
    {
        return NGX_OK;
    }

    if (!create) {
        return NGX_DECLINED;
    }

    pre->data = ngx_pnalloc(r->pool, KOT_SID_B64_LEN);
    if (pre->data == NULL || kot_random(raw, sizeof(raw)) != 0) {
        return NGX_ERROR;
    }

    pre->len = kot_b64url_encode((char *) pre->data, raw, sizeof(raw));

    return ngx_http_kot_set_cookie(r, NGX_HTTP_KOT_COOKIE_PRELOGIN,
                                   pre->data, pre->len);
}


static ngx_int_t
ngx_http_kot_login_post(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_str_t               pre;
    ngx_http_kot_portal_t  *pt = ctx->portal;

    /*
     * Refused, but with the login page again rather than a dead end: the
     * cookie is gone when the browser was restarted with the tab kept,
     * or never came back when it takes no cookies.
     */
    if (ngx_http_kot_prelogin(r, &pre, 0) != NGX_OK
        || !ngx_http_kot_csrf_ok(r, "login", pre.data, pre.len,
                                 &pt->v[NGX_HTTP_KOT_F_CSRF]))
    {
        ngx_http_kot_csrf_record(r, "login");

        return ngx_http_kot_login_form(r, ctx, NGX_HTTP_FORBIDDEN,
                                       NGX_HTTP_KOT_MSG_LOGIN_EXPIRED);
    }

    ngx_http_kot_login_names(r, pt);

    if (ngx_http_kot_login_begin(r, ctx) != NGX_OK) {
        return ngx_http_kot_unavailable(r);
    }

    return ngx_http_kot_wait(r, ctx, ngx_http_kot_login_loaded);
}


/*
 * The tenant (from kot_tenant or the form) and the username, normalised.
 * A name that cannot exist goes on as "-", which no real name can be, so
 * that its failure costs and looks the same as any other.
 */

static void
ngx_http_kot_login_names(ngx_http_request_t *r, ngx_http_kot_portal_t *pt)
{
    int                    n;
    ngx_int_t              rc;
    ngx_str_t             *v;
    ngx_http_kot_login_t  *login = &pt->login;

    rc = ngx_http_kot_tenant(r, &login->tenant);

    if (rc == NGX_DECLINED) {
        v = &pt->v[NGX_HTTP_KOT_F_TENANT];

        login->tenant.data = ngx_pnalloc(r->pool, KOT_TENANT_MAX + 1);
        if (login->tenant.data == NULL) {
            rc = NGX_ERROR;

        } else {
            n = kot_tenant_normalize((char *) v->data, v->len,
                                     (char *) login->tenant.data,
                                     KOT_TENANT_MAX + 1);
            rc = (n < 0) ? NGX_ERROR : NGX_OK;
            login->tenant.len = (n < 0) ? 0 : n;
        }
    }

    v = &pt->v[NGX_HTTP_KOT_F_USERNAME];

    login->user.data = ngx_pnalloc(r->pool, KOT_USERNAME_MAX + 1);

    n = (login->user.data == NULL) ? -1
        : kot_username_normalize((char *) v->data, v->len,
                                 (char *) login->user.data,
                                 KOT_USERNAME_MAX + 1);

    if (rc != NGX_OK || n < 0) {
        ngx_str_set(&login->tenant, "-");
        ngx_str_set(&login->user, "-");
        return;
    }

    login->user.len = n;
}


static ngx_int_t
ngx_http_kot_login_loaded(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_int_t                  rc;
    ngx_str_t                  dummy;
    ngx_http_kot_event_t       ev;
    ngx_http_kot_login_t      *login = ctx->login;
    ngx_http_kot_portal_t     *pt = ctx->portal;
    ngx_http_kot_main_conf_t  *kmcf;

    if (ctx->rc != NGX_OK) {
        return ngx_http_kot_unavailable(r);
    }

    ngx_memzero(&ev, sizeof(ngx_http_kot_event_t));

    if (login->retry_after) {
        return ngx_http_kot_login_throttled(r, login, 0);
    }

    /* before the password is even looked at */
    rc = ngx_http_kot_allow(r, ctx, &login->tenant, login->allow_version,
                            NGX_HTTP_KOT_ALLOW_ACCESS);

    if (rc == NGX_AGAIN) {
        return ngx_http_kot_wait(r, ctx, ngx_http_kot_login_loaded);
    }

    if (rc == NGX_ERROR) {
        return ngx_http_kot_unavailable(r);
    }

    if (rc == NGX_DECLINED) {
        return ngx_http_kot_allow_denied(r, ctx, &login->tenant,
                                         &login->user);
    }

    kmcf = ngx_http_get_module_main_conf(r, ngx_http_kot_module);

    /*
     * Unknown users, and locked accounts, cost one hash too: time must
     * not tell them apart from a wrong password.
     */
    dummy.data = (u_char *) kmcf->dummy_hash;
    dummy.len = ngx_strlen(kmcf->dummy_hash);

    return ngx_http_kot_hash(r, ctx, login->found ? &login->hash : &dummy,
                             &pt->v[NGX_HTTP_KOT_F_PASSWORD], NULL, NULL, 0,
                             ngx_http_kot_login_verified);
}


static ngx_int_t
ngx_http_kot_login_verified(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    uint64_t                now;
    ngx_http_kot_login_t   *login = ctx->login;
    ngx_http_kot_portal_t  *pt = ctx->portal;

    if (login->found && pt->job->verified < 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "kot: the stored password hash of user \"%V\" in "
                      "tenant \"%V\" is malformed",
                      &login->user, &login->tenant);
    }

    if (!login->found || pt->job->verified != 1 || login->locked) {
        /* a locked account is counted like any failure: not at all */
        if (ngx_http_kot_login_fail(r, ctx) != NGX_OK) {
            return ngx_http_kot_unavailable(r);
        }

        return ngx_http_kot_wait(r, ctx, ngx_http_kot_login_counted);
    }

    /* the right password of an account an administrator disabled */
    if (login->disabled) {
        return ngx_http_kot_login_failed(r, ctx, "disabled");
    }

    now = ngx_http_kot_now();

    /* the right password of an account nobody used for too long */
    if (kot_policy_inactive(&login->policy, login->active, now)) {
        return ngx_http_kot_login_failed(r, ctx, "inactive");
    }

    if (login->policy.max_age && login->must_change == KOT_MUST_CHANGE_NO
        && now - login->pw_changed > login->policy.max_age)
    {
        login->must_change = KOT_MUST_CHANGE_EXPIRED;
    }

    /* no session yet: the second factor first */
    if (login->mfa) {
        if (ngx_http_kot_mfa_pending(r, ctx) != NGX_OK) {
            return ngx_http_kot_unavailable(r);
        }

        return ngx_http_kot_wait(r, ctx, ngx_http_kot_login_pended);
    }

    /* a session that opens nothing but the enrolment */
    login->enrol = login->policy.mfa_required;

    if (ngx_http_kot_session_create(r, ctx, login) != NGX_OK) {
        return ngx_http_kot_unavailable(r);
    }

    return ngx_http_kot_wait(r, ctx, ngx_http_kot_login_created);
}


/*
 * The password was right and the user has MFA: the browser holds a
 * pending login that a code turns into a session.  A weaker stored hash
 * is raised now, while the password is at hand.
 */

static ngx_int_t
ngx_http_kot_login_pended(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_event_t    ev;
    ngx_http_kot_login_t   *login = ctx->login;
    ngx_http_kot_portal_t  *pt = ctx->portal;

    if (ctx->rc == NGX_ERROR) {
        return ngx_http_kot_unavailable(r);
    }

    if (ctx->rc == NGX_DECLINED) {
        return ngx_http_kot_login_failed(r, ctx,
                                     ngx_http_kot_login_refused(ctx->result));
    }

    pt->mfa.created = 1;

    ngx_memzero(&ev, sizeof(ngx_http_kot_event_t));
    ev.action = "login";
    ev.category = "authentication";
    ev.outcome = "unknown";
    ev.reason = "code_required";
    ev.user = &login->user;
    ev.tenant = &login->tenant;
    ev.status = NGX_HTTP_SEE_OTHER;

    ngx_http_kot_event(r, &ev, "login: tenant \"%V\" user \"%V\": password "
                       "right, waiting for the code", &login->tenant,
                       &login->user);

    if (ngx_http_kot_login_rehash(r, ctx) == NGX_OK) {
        return ngx_http_kot_wait(r, ctx, ngx_http_kot_login_rehashed);
    }

    return ngx_http_kot_login_answer(r, ctx);
}


/* Why a login that checked its factors was refused at the last moment. */

static const char *
ngx_http_kot_login_refused(ngx_int_t result)
{
    switch (result) {

    case KOT_CREATE_LOCKED:
        return "locked";

    case KOT_CREATE_DISABLED:
        return "disabled";

    case KOT_CREATE_PW_CHANGED:
        return "password_changed";

    case KOT_CREATE_MFA_GONE:
        return "mfa_changed";

    case KOT_CREATE_TOO_MANY:
        return "session_limit";

    default:
        return "user_deleted";
    }
}


static ngx_int_t
ngx_http_kot_login_created(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_event_t    ev;
    ngx_http_kot_login_t   *login = ctx->login;
    ngx_http_kot_portal_t  *pt = ctx->portal;

    if (ctx->rc == NGX_ERROR) {
        return ngx_http_kot_unavailable(r);
    }

    if (ctx->rc == NGX_DECLINED) {
        return ngx_http_kot_login_failed(r, ctx,
                                     ngx_http_kot_login_refused(ctx->result));
    }

    ngx_memzero(&ev, sizeof(ngx_http_kot_event_t));
    ev.action = "login";
    ev.category = "authentication";
    ev.outcome = "success";
    ev.status = NGX_HTTP_SEE_OTHER;

    if (pt->action == NGX_HTTP_KOT_CODE) {
        ev.reason = (pt->mfa.kind == KOT_CODE_RECOVERY)
                    ? "recovery_code_used" : NULL;
        ev.fields = json_pack("{s:s,s:I}", "kot.mfa.factor",
                              (pt->mfa.kind == KOT_CODE_RECOVERY)
                              ? "recovery_code" : "totp",
                              "kot.mfa.recovery_codes_left",
                              (json_int_t) pt->mfa.codes_left);
    }

    ngx_http_kot_event(r, &ev, "login: tenant \"%V\" user \"%V\" session %*s"
                       "%s", &login->tenant, &login->user,
                       (size_t) KOT_SID_SHORT_LEN, ctx->session.sid,
                       ev.reason ? ", with a recovery code" : "");

    ngx_http_kot_session_evicted(r, login);

    /* the second step has no password to hash again */
    if (pt->action == NGX_HTTP_KOT_LOGIN
        && ngx_http_kot_login_rehash(r, ctx) == NGX_OK)
    {
        return ngx_http_kot_wait(r, ctx, ngx_http_kot_login_rehashed);
    }

    return ngx_http_kot_login_answer(r, ctx);
}


/*
 * A stored hash weaker than kot_password_hash asks for is made again from
 * the password, in a job of its own after the login succeeded: the time
 * that a failed login takes must not tell whether the password was right
 * (for a locked or disabled account).  NGX_DECLINED: nothing to do now;
 * a full queue puts it off to a later login.
 */

static ngx_int_t
ngx_http_kot_login_rehash(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_login_t      *login = ctx->login;
    ngx_http_kot_portal_t     *pt = ctx->portal;
    ngx_http_kot_hash_job_t   *job;
    ngx_http_kot_main_conf_t  *kmcf;

    kmcf = ngx_http_get_module_main_conf(r, ngx_http_kot_module);

    if (kot_phc_needs_rehash((char *) login->hash.data, login->hash.len,
                             &kmcf->scrypt)
        != 1)
    {
        return NGX_DECLINED;
    }

    job = ngx_http_kot_hash_job(r);
    if (job == NULL) {
        return NGX_DECLINED;
    }

    job->new_password = pt->v[NGX_HTTP_KOT_F_PASSWORD];
    pt->job = job;

    return ngx_http_kot_hash_run(r, ctx, job) == NGX_OK ? NGX_OK
                                                        : NGX_DECLINED;
}


/* Stores the new hash if the stored one is still the one verified. */

static ngx_int_t
ngx_http_kot_login_rehashed(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_login_t       *login = ctx->login;
    ngx_http_kot_portal_t      *pt = ctx->portal;
    ngx_http_kot_redis_args_t   a;

    if (pt->job->new_hash_len < 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "kot: hashing the password again failed");
        return ngx_http_kot_login_answer(r, ctx);
    }

    a.argc = 0;

    if (ngx_http_kot_redis_key(r, &a, KOT_KEY_USER, &login->tenant,
                               &login->user)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_kot_redis_arg(&a, pt->job->new_hash, pt->job->new_hash_len);
    ngx_http_kot_redis_arg(&a, login->hash.data, login->hash.len);

    if (ngx_http_kot_redis_script(r, KOT_SCRIPT_PASSWORD_REHASH,
                                  ngx_http_kot_session_int_reply, ctx,
                                  &ctx->done, 1, &a)
        != NGX_OK)
    {
        ctx->rc = NGX_ERROR;
        return ngx_http_kot_login_stored(r, ctx);
    }

    return ngx_http_kot_wait(r, ctx, ngx_http_kot_login_stored);
}


/*
 * The login stands whatever became of the new hash: the password was
 * right.  A hash not stored is made again at the next login.
 */

static ngx_int_t
ngx_http_kot_login_stored(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    u_char                  from[sizeof("ln=,r=,p=") + 3 * NGX_INT_T_LEN];
    u_char                  to[sizeof(from)];
    size_t                  from_len, to_len;
    json_t                 *fields;
    kot_scrypt_params_t     sp;
    ngx_http_kot_event_t    ev;
    ngx_http_kot_login_t   *login = ctx->login;
    ngx_http_kot_portal_t  *pt = ctx->portal;

    (void) kot_phc_params((char *) login->hash.data, login->hash.len, &sp);
    from_len = ngx_sprintf(from, "ln=%ud,r=%ud,p=%ud", sp.ln, sp.r, sp.p)
               - from;

    sp = pt->job->params;
    to_len = ngx_sprintf(to, "ln=%ud,r=%ud,p=%ud", sp.ln, sp.r, sp.p) - to;

    ngx_memzero(&ev, sizeof(ngx_http_kot_event_t));
    ev.action = "password_rehash";
    ev.category = "iam";
    ev.user = &login->user;
    ev.tenant = &login->tenant;
    ev.outcome = (ctx->rc == NGX_OK) ? "success" : "failure";
    ev.reason = (ctx->rc == NGX_OK) ? NULL
                : (ctx->rc == NGX_DECLINED) ? "password_changed"
                : "store_failed";

    fields = json_object();
    if (fields) {
        json_object_set_new(fields, "kot.rehash.from",
                            json_stringn((char *) from, from_len));
        json_object_set_new(fields, "kot.rehash.to",
                            json_stringn((char *) to, to_len));
    }

    ev.fields = fields;

    ngx_http_kot_event(r, &ev, "password hash of tenant \"%V\" user \"%V\" "
                       "%s from %*s to %*s", &login->tenant, &login->user,
                       (ctx->rc == NGX_OK) ? "raised"
                       : (ctx->rc == NGX_DECLINED)
                       ? "not raised: the password changed meanwhile,"
                       : "not raised: Redis failed,",
                       from_len, from, to_len, to);

    return ngx_http_kot_login_answer(r, ctx);
}


static ngx_int_t
ngx_http_kot_login_answer(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_login_t     *login = ctx->login;
    ngx_http_kot_portal_t    *pt = ctx->portal;
    ngx_http_kot_loc_conf_t  *klcf;

    /*
     * The pre-login cookie stays: the login form of another tab, or one
     * sent twice, is bound to it, and would otherwise be refused as a
     * forgery ("Access denied") with the right password in it.
     */

    if (pt->mfa.created) {
        /* the browser's old session ended with the password step */
        if ((ctx->session.cookie
             && ngx_http_kot_set_cookie(r, NGX_HTTP_KOT_COOKIE_SESSION,
                                        NULL, 0)
                != NGX_OK)
            || ngx_http_kot_set_cookie(r, NGX_HTTP_KOT_COOKIE_PENDING,
                                       pt->mfa.id.id, KOT_SID_B64_LEN)
               != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_kot_goto_portal(r, "login/code", &pt->return_to,
                                        NULL);
    }

    if (ngx_http_kot_set_cookie(r, NGX_HTTP_KOT_COOKIE_SESSION,
                                ctx->session.id, KOT_SID_B64_LEN)
        != NGX_OK
        || (pt->action == NGX_HTTP_KOT_CODE
            && ngx_http_kot_set_cookie(r, NGX_HTTP_KOT_COOKIE_PENDING,
                                       NULL, 0)
               != NGX_OK))
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (login->must_change != KOT_MUST_CHANGE_NO) {
        return ngx_http_kot_goto_portal(r, "password", &pt->return_to, NULL);
    }

    if (login->enrol) {
        return ngx_http_kot_goto_portal(r, "mfa", &pt->return_to, NULL);
    }

    klcf = ngx_http_get_module_loc_conf(r, ngx_http_kot_module);

    /*
     * the last login, on its own page, before the application; and the
     * session kot_max_sessions ended for this one, which the user would
     * otherwise find logged out on another device without a word here
     */
    if (klcf->last_login_notice) {
        return ngx_http_kot_goto_portal(r, "welcome", &pt->return_to,
                                        login->nevicted ? "others_ended"
                                                        : NULL);
    }

    return ngx_http_kot_redirect(r, NGX_HTTP_SEE_OTHER, &pt->return_to);
}


/* After login_fail: say what happened to the account, in the log only. */

static ngx_int_t
ngx_http_kot_login_counted(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_login_t  *login = ctx->login;
    ngx_http_kot_portal_t *pt = ctx->portal;

    if (ctx->rc != NGX_OK) {
        return ngx_http_kot_unavailable(r);
    }

    if (login->fail == KOT_FAIL_LOCKED_NOW) {
        ngx_http_kot_account_locked(r, login);
    }

    return ngx_http_kot_login_failed(r, ctx,
               login->fail == KOT_FAIL_WAS_LOCKED ? "locked"
               : pt->reason ? pt->reason
               : !login->found ? "unknown_user"
               : pt->job->verified == 1 ? "locked"
               : "bad_password");
}


/*
 * Every failure looks the same to the client: one status, one message.
 * Only the log knows why; but for kot_max_sessions' refusal, which comes
 * after every factor was right.
 */

static ngx_int_t
ngx_http_kot_login_failed(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx,
    const char *reason)
{
    ngx_uint_t              limit;
    ngx_http_kot_event_t    ev;
    ngx_http_kot_login_t   *login = ctx->login;
    ngx_http_kot_portal_t  *pt = ctx->portal;

    ngx_memzero(&ev, sizeof(ngx_http_kot_event_t));
    ev.action = "login";
    ev.category = "authentication";
    ev.outcome = "failure";
    ev.reason = reason;
    ev.status = NGX_HTTP_UNAUTHORIZED;

    if (login->user.len == 1 && login->user.data[0] == '-') {
        ev.reason = "invalid_name";
        ngx_http_kot_event(r, &ev, "login failed: invalid tenant or user "
                           "name");

    } else {
        ev.user = &login->user;
        ev.tenant = &login->tenant;
        ngx_http_kot_event(r, &ev, "login failed: tenant \"%V\" user \"%V\": "
                           "%s", &login->tenant, &login->user, reason);
    }

    /* the factors were right: the user may know what to do */
    limit = (ngx_strcmp(reason, "session_limit") == 0);

    /* the same message for a wrong code as for a wrong password */
    if (pt->action == NGX_HTTP_KOT_CODE) {
        if (pt->mfa.left > 0 && !limit) {
            return ngx_http_kot_code_form(r, ctx, NGX_HTTP_UNAUTHORIZED,
                                          NGX_HTTP_KOT_MSG_LOGIN_FAILED);
        }

        /* out of tries: the pending login is over, start again */
        if (ngx_http_kot_set_cookie(r, NGX_HTTP_KOT_COOKIE_PENDING, NULL, 0)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    return ngx_http_kot_login_form(r, ctx, NGX_HTTP_UNAUTHORIZED,
                                   limit ? NGX_HTTP_KOT_MSG_SESSION_LIMIT
                                         : NGX_HTTP_KOT_MSG_LOGIN_FAILED);
}


static void
ngx_http_kot_account_locked(ngx_http_request_t *r,
    ngx_http_kot_login_t *login)
{
    int64_t               left;
    ngx_http_kot_event_t  ev;

    ngx_memzero(&ev, sizeof(ngx_http_kot_event_t));
    ev.action = "account_locked";
    ev.category = "iam";
    ev.outcome = "success";
    ev.reason = "too_many_failures";
    ev.user = &login->user;
    ev.tenant = &login->tenant;
    ev.status = NGX_HTTP_UNAUTHORIZED;

    ev.fields = json_pack("{s:I,s:I,s:I}", "kot.lockout.failures",
                          (json_int_t) login->fails, "kot.lockout.count",
                          (json_int_t) login->locks, "kot.lockout.until",
                          (json_int_t) login->until);

    if (login->until == KOT_LOCKED_FOREVER) {
        ngx_http_kot_event(r, &ev, "account locked: tenant \"%V\" user \"%V\" "
                           "after %i failures, lockout %i, until an "
                           "administrator unlocks it", &login->tenant,
                           &login->user, login->fails, login->locks);
        return;
    }

    left = (login->until - (int64_t) ngx_http_kot_now() + 999) / 1000;

    ngx_http_kot_event(r, &ev, "account locked: tenant \"%V\" user \"%V\" "
                       "after %i failures, lockout %i, for %L s",
                       &login->tenant, &login->user, login->fails,
                       login->locks, left);
}


/* login/code: the second step */

static ngx_int_t
ngx_http_kot_code_form(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx,
    ngx_uint_t status, ngx_http_kot_msg_t msg)
{
    u_char                  csrf[NGX_HTTP_KOT_CSRF_LEN];
    ngx_http_kot_page_t     p;
    ngx_http_kot_portal_t  *pt = ctx->portal;

    /* bound to the pending cookie, as the login form's to kot_pre */
    if (ngx_http_kot_csrf(r, "code", pt->mfa.id.id, KOT_SID_B64_LEN, csrf)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memzero(&p, sizeof(ngx_http_kot_page_t));

    p.status = status;
    p.csrf.data = csrf;
    p.csrf.len = sizeof(csrf);
    p.return_to = pt->return_to;

    if (msg != NGX_HTTP_KOT_MSG_NONE) {
        p.msgs[p.nmsgs++] = msg;
    }

    if (msg == NGX_HTTP_KOT_MSG_LOGIN_FAILED) {
        p.error_field = "code";
    }

    if (ngx_http_kot_url(r, &p.action, "login/code") != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_kot_page_code(r, &p);
}


static ngx_int_t
ngx_http_kot_code_get(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_portal_t  *pt = ctx->portal;

    if (ngx_http_kot_mfa_pending_read(r, &pt->mfa) != NGX_OK) {
        return ngx_http_kot_goto_portal(r, "login", &pt->return_to, NULL);
    }

    return ngx_http_kot_code_form(r, ctx, NGX_HTTP_OK,
                                  NGX_HTTP_KOT_MSG_NONE);
}


static ngx_int_t
ngx_http_kot_code_post(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_portal_t  *pt = ctx->portal;

    if (ngx_http_kot_mfa_pending_read(r, &pt->mfa) != NGX_OK) {
        return ngx_http_kot_goto_portal(r, "login", &pt->return_to,
                                        "code_expired");
    }

    if (!ngx_http_kot_csrf_ok(r, "code", pt->mfa.id.id, KOT_SID_B64_LEN,
                              &pt->v[NGX_HTTP_KOT_F_CSRF]))
    {
        return ngx_http_kot_csrf_refused(r, "login");
    }

    if (ngx_http_kot_mfa_code_load(r, ctx) != NGX_OK) {
        return ngx_http_kot_unavailable(r);
    }

    return ngx_http_kot_wait(r, ctx, ngx_http_kot_code_loaded);
}


/*
 * The client had a token and the pending login counted this try (or the
 * throttle held it back); is the code right?
 */

static ngx_int_t
ngx_http_kot_code_loaded(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_int_t               rc;
    ngx_http_kot_login_t   *login = ctx->login;
    ngx_http_kot_portal_t  *pt = ctx->portal;

    if (ctx->rc != NGX_OK) {
        return ngx_http_kot_unavailable(r);
    }

    /* a right code too: it would be the guess that hit */
    if (login->retry_after) {
        return ngx_http_kot_login_throttled(r, login, 1);
    }

    if (!pt->mfa.found) {
        return ngx_http_kot_code_expired(r, ctx);
    }

    rc = ngx_http_kot_allow(r, ctx, &login->tenant, login->allow_version,
                            NGX_HTTP_KOT_ALLOW_ACCESS);

    if (rc == NGX_AGAIN) {
        return ngx_http_kot_wait(r, ctx, ngx_http_kot_code_loaded);
    }

    if (rc == NGX_ERROR) {
        return ngx_http_kot_unavailable(r);
    }

    if (rc == NGX_DECLINED) {
        return ngx_http_kot_allow_denied(r, ctx, &login->tenant,
                                         &login->user);
    }

    /* like a password on a locked account: refused, and not counted */
    if (pt->mfa.locked) {
        return ngx_http_kot_login_failed(r, ctx, "locked");
    }

    rc = ngx_http_kot_mfa_code_check(r, ctx, &pt->v[NGX_HTTP_KOT_F_CODE]);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc == NGX_DECLINED) {
        return ngx_http_kot_code_wrong(r, ctx, "bad_code");
    }

    if (ngx_http_kot_mfa_use(r, ctx) != NGX_OK) {
        return ngx_http_kot_unavailable(r);
    }

    return ngx_http_kot_wait(r, ctx, ngx_http_kot_code_used);
}


/*
 * A password or a code from a client over its rate (kot_login_throttle):
 * 429 with Retry-After, counted against no account and no pending
 * login.  Recorded as login_throttled, with the reason "code_throttled"
 * at the code step and the user of its pending login.
 */

static ngx_int_t
ngx_http_kot_login_throttled(ngx_http_request_t *r,
    ngx_http_kot_login_t *login, ngx_uint_t code)
{
    u_char                *p;
    ngx_str_t              from;
    ngx_http_kot_event_t   ev;

    ngx_str_set(&from, "this client");

    if (login->site.len) {
        p = ngx_pnalloc(r->pool, sizeof("the IPv6 network  of this client")
                                 + login->site.len);
        if (p == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        from.data = p;
        from.len = ngx_sprintf(p, "the IPv6 network %V of this client",
                               &login->site)
                   - p;
    }

    ngx_memzero(&ev, sizeof(ngx_http_kot_event_t));
    ev.action = "login_throttled";
    ev.category = "authentication";
    ev.outcome = "failure";
    ev.reason = code ? "code_throttled" : "throttled";
    ev.user = &login->user;
    ev.tenant = &login->tenant;
    ev.status = NGX_HTTP_TOO_MANY_REQUESTS;

    if (code) {
        ngx_http_kot_event(r, &ev, "login throttled at the code step: "
                           "tenant \"%V\" user \"%V\": too many attempts "
                           "from %V; retry after %M ms", &login->tenant,
                           &login->user, &from, login->retry_after);

    } else {
        ngx_http_kot_event(r, &ev, "login throttled: too many attempts "
                           "from %V; retry after %M ms", &from,
                           login->retry_after);
    }

    return ngx_http_kot_page_error(r, NGX_HTTP_TOO_MANY_REQUESTS,
                                   NGX_HTTP_KOT_MSG_THROTTLED,
                                   (login->retry_after + 999) / 1000);
}


/*
 * Too late, out of tries, or used by another request with its own code:
 * the login starts again.
 */

static ngx_int_t
ngx_http_kot_code_expired(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_event_t    ev;
    ngx_http_kot_login_t   *login = ctx->login;
    ngx_http_kot_portal_t  *pt = ctx->portal;

    ngx_memzero(&ev, sizeof(ngx_http_kot_event_t));
    ev.action = "login";
    ev.category = "authentication";
    ev.outcome = "failure";
    ev.reason = "code_expired";
    ev.status = NGX_HTTP_SEE_OTHER;

    if (pt->mfa.found) {
        ev.user = &login->user;
        ev.tenant = &login->tenant;

        ngx_http_kot_event(r, &ev, "login failed: tenant \"%V\" user "
                           "\"%V\": the pending login was used by another "
                           "request", &login->tenant, &login->user);

    } else {
        ngx_http_kot_event(r, &ev, "login failed: the pending login expired "
                           "or ran out of tries");
    }

    if (ngx_http_kot_set_cookie(r, NGX_HTTP_KOT_COOKIE_PENDING, NULL, 0)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_kot_goto_portal(r, "login", &pt->return_to,
                                    "code_expired");
}


static ngx_int_t
ngx_http_kot_code_used(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_portal_t  *pt = ctx->portal;

    if (ctx->rc == NGX_ERROR) {
        return ngx_http_kot_unavailable(r);
    }

    /* another request of this pending login used it: it is over */
    if (ctx->rc == NGX_DECLINED && ctx->result == -2) {
        return ngx_http_kot_code_expired(r, ctx);
    }

    if (ctx->rc == NGX_DECLINED) {
        return ngx_http_kot_code_wrong(r, ctx, (ctx->result == 0)
                                               ? "code_reused" : "bad_code");
    }

    /* the session only if the user's MFA is still the one checked */
    ctx->login->mfa_seed = pt->mfa.seed;

    if (ngx_http_kot_session_create(r, ctx, ctx->login) != NGX_OK) {
        return ngx_http_kot_unavailable(r);
    }

    return ngx_http_kot_wait(r, ctx, ngx_http_kot_login_created);
}


/* A wrong or used code counts toward the lockout like a wrong password. */

static ngx_int_t
ngx_http_kot_code_wrong(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx,
    const char *reason)
{
    ngx_http_kot_portal_t  *pt = ctx->portal;

    pt->reason = reason;

    if (ngx_http_kot_login_fail(r, ctx) != NGX_OK) {
        return ngx_http_kot_unavailable(r);
    }

    return ngx_http_kot_wait(r, ctx, ngx_http_kot_login_counted);
}


/* A POST without the form's token: nothing changes, and it is recorded. */

ngx_int_t
ngx_http_kot_csrf_refused(ngx_http_request_t *r, const char *action)
{
    ngx_http_kot_csrf_record(r, action);

    return ngx_http_kot_page_error(r, NGX_HTTP_FORBIDDEN,
                                   NGX_HTTP_KOT_MSG_FORM_EXPIRED, 0);
}


static void
ngx_http_kot_csrf_record(ngx_http_request_t *r, const char *action)
{
    ngx_http_kot_event_t  ev;

    ngx_memzero(&ev, sizeof(ngx_http_kot_event_t));
    ev.action = action;
    ev.category = "authentication";
    ev.outcome = "failure";
    ev.reason = "csrf";
    ev.status = NGX_HTTP_FORBIDDEN;

    ngx_http_kot_event(r, &ev, "%s refused: missing or wrong CSRF token",
                       action);
}


/*
 * A POST whose form cannot be read: nothing changes, it is recorded, and
 * it is the one answer.
 */

static ngx_int_t
ngx_http_kot_form_refused(ngx_http_request_t *r, ngx_http_kot_portal_t *pt,
    ngx_uint_t status, const char *reason)
{
    ngx_http_kot_event_t  ev;

    ngx_memzero(&ev, sizeof(ngx_http_kot_event_t));
    ev.action = ngx_http_kot_actions[pt->action];
    ev.category = "authentication";
    ev.outcome = "failure";
    ev.reason = reason;
    ev.status = status;

    ngx_http_kot_event(r, &ev, "%s refused: %s", ev.action, reason);

    return ngx_http_kot_page_error(r, status, NGX_HTTP_KOT_MSG_BAD_FORM, 0);
}


/* logout */

static ngx_int_t
ngx_http_kot_logout_get(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_page_t  p;

    if (!ctx->session.cookie) {
        return ngx_http_kot_goto_portal(r, "login", NULL, NULL);
    }

    ngx_memzero(&p, sizeof(ngx_http_kot_page_t));
    p.status = NGX_HTTP_OK;

    if (ngx_http_kot_session_csrf(r, ctx, "logout", &p.csrf) != NGX_OK
        || ngx_http_kot_url(r, &p.action, "logout") != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_kot_page_logout(r, &p);
}


static ngx_int_t
ngx_http_kot_logout_post(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_portal_t  *pt = ctx->portal;

    if (!ctx->session.cookie) {
        return ngx_http_kot_goto_portal(r, "login", NULL, "logged_out");
    }

    if (!ngx_http_kot_csrf_ok(r, "logout", ctx->session.id, KOT_SID_B64_LEN,
                              &pt->v[NGX_HTTP_KOT_F_CSRF]))
    {
        return ngx_http_kot_csrf_refused(r, "logout");
    }

    if (ngx_http_kot_session_destroy(r, ctx) != NGX_OK) {
        return ngx_http_kot_logout_failed(r, ctx);
    }

    return ngx_http_kot_wait(r, ctx, ngx_http_kot_logout_done);
}


static ngx_int_t
ngx_http_kot_logout_done(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_event_t  ev;

    if (ctx->rc == NGX_ERROR) {
        return ngx_http_kot_logout_failed(r, ctx);
    }

    /* the user is the session's owner, as the script found it */
    ngx_memzero(&ev, sizeof(ngx_http_kot_event_t));
    ev.action = "logout";
    ev.category = "session";
    ev.outcome = "success";
    ev.status = NGX_HTTP_SEE_OTHER;

    ngx_http_kot_event(r, &ev, "logout: session %*s",
                       (size_t) KOT_SID_SHORT_LEN, ctx->session.sid);

    if (ngx_http_kot_logout_forget(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_kot_goto_portal(r, "login", NULL, "logged_out");
}


/*
 * Redis did not end the session: it lives on until it expires, but this
 * browser forgets it, so that the next person at a shared computer does
 * not find it there once Redis is back.
 */

static ngx_int_t
ngx_http_kot_logout_failed(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_event_t  ev;

    ngx_memzero(&ev, sizeof(ngx_http_kot_event_t));
    ev.action = "logout";
    ev.category = "session";
    ev.outcome = "failure";
    ev.reason = "unavailable";
    ev.status = NGX_HTTP_SERVICE_UNAVAILABLE;

    ngx_http_kot_event(r, &ev, "logout failed: session %*s: the session "
                       "store is unavailable; the browser forgets the session, "
                       "which lives on until it expires",
                       (size_t) KOT_SID_SHORT_LEN, ctx->session.sid);

    if (ngx_http_kot_logout_forget(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_kot_unavailable(r);
}


/*
 * The browser forgets the session, and what it cached of the site while
 * logged in: the application's pages, often sent without Cache-Control,
 * would otherwise come back with the back button, the user's data and
 * all, for the next person at the screen.  Browsers take Clear-Site-Data
 * from HTTPS (and localhost) only; "cache" leaves the application's
 * cookies and storage alone.
 */

static ngx_int_t
ngx_http_kot_logout_forget(ngx_http_request_t *r)
{
    if (ngx_http_kot_set_cookie(r, NGX_HTTP_KOT_COOKIE_SESSION, NULL, 0)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_kot_add_header(r, "Clear-Site-Data",
                                   (u_char *) "\"cache\"",
                                   sizeof("\"cache\"") - 1);
}


/* password change */

static ngx_int_t
ngx_http_kot_password_get(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_portal_t  *pt = ctx->portal;

    if (!ctx->session.cookie) {
        return ngx_http_kot_goto_portal(r, "login", &pt->return_to, NULL);
    }

    /* a change of password deserves Redis's word, not the cache's */
    if (ngx_http_kot_session_check(r, ctx, 0) != NGX_AGAIN) {
        return ngx_http_kot_unavailable(r);
    }

    return ngx_http_kot_wait(r, ctx, ngx_http_kot_password_page);
}


/* After a session check: NGX_OK if the user may go on. */

ngx_int_t
ngx_http_kot_password_session(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx,
    ngx_int_t *rc, ngx_http_kot_step_pt step)
{
    ngx_http_kot_portal_t  *pt = ctx->portal;

    if (ctx->rc != NGX_OK) {
        *rc = ngx_http_kot_unavailable(r);
        return NGX_DECLINED;
    }

    if (ctx->session.status == KOT_SESSION_OK) {
        switch (ngx_http_kot_allow(r, ctx, &ctx->session.tenant,
                                   ctx->session.allow_version,
                                   NGX_HTTP_KOT_ALLOW_ACCESS))
        {
        case NGX_OK:
            return NGX_OK;

        case NGX_AGAIN:
            /* the tenant's lists changed: run this step again after */
            *rc = ngx_http_kot_wait(r, ctx, step);
            return NGX_AGAIN;

        case NGX_DECLINED:
            *rc = ngx_http_kot_allow_denied(r, ctx, &ctx->session.tenant,
                                            &ctx->session.user);
            return NGX_DECLINED;

        default:
            *rc = ngx_http_kot_unavailable(r);
            return NGX_DECLINED;
        }
    }

    ngx_http_kot_session_expired(r, &ctx->session);

    if (ngx_http_kot_set_cookie(r, NGX_HTTP_KOT_COOKIE_SESSION, NULL, 0)
        != NGX_OK)
    {
        *rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return NGX_DECLINED;
    }

    *rc = ngx_http_kot_goto_portal(r, "login", &pt->return_to,
                                   ngx_http_kot_session_why(&ctx->session));
    return NGX_DECLINED;
}


/* The form lists the rules in force: the user's tenant may tighten them. */

static ngx_int_t
ngx_http_kot_password_page(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    return ngx_http_kot_password_user(r, ctx, ngx_http_kot_password_page,
                                      ngx_http_kot_password_page_loaded);
}


/*
 * After a session check (step runs again if the tenant's lists changed):
 * the session's user and the rules in force loaded, then next.
 */

static ngx_int_t
ngx_http_kot_password_user(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx,
    ngx_http_kot_step_pt step, ngx_http_kot_step_pt next)
{
    ngx_int_t               rc;
    ngx_http_kot_portal_t  *pt = ctx->portal;

    if (ngx_http_kot_password_session(r, ctx, &rc, step) != NGX_OK) {
        return rc;
    }

    pt->login.tenant = ctx->session.tenant;
    pt->login.user = ctx->session.user;

    if (ngx_http_kot_load_user(r, ctx) != NGX_OK) {
        return ngx_http_kot_unavailable(r);
    }

    return ngx_http_kot_wait(r, ctx, next);
}


static ngx_int_t
ngx_http_kot_password_page_loaded(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_page_t     p;
    ngx_http_kot_portal_t  *pt = ctx->portal;

    if (ctx->rc != NGX_OK) {
        return ngx_http_kot_unavailable(r);
    }

    if (!pt->login.found) {
        return ngx_http_kot_page_error(r, NGX_HTTP_CONFLICT,
                                       NGX_HTTP_KOT_MSG_PW_CHANGED_ELSEWHERE,
                                       0);
    }

    ngx_memzero(&p, sizeof(ngx_http_kot_page_t));
    p.status = NGX_HTTP_OK;

    if (ctx->session.must_change == KOT_MUST_CHANGE_EXPIRED) {
        p.msgs[p.nmsgs++] = NGX_HTTP_KOT_MSG_PW_EXPIRED;

    } else if (ctx->session.must_change != KOT_MUST_CHANGE_NO) {
        p.msgs[p.nmsgs++] = NGX_HTTP_KOT_MSG_MUST_CHANGE;
    }

    return ngx_http_kot_password_form(r, ctx, &p);
}


static ngx_int_t
ngx_http_kot_password_form(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx,
    ngx_http_kot_page_t *p)
{
    ngx_http_kot_portal_t  *pt = ctx->portal;

    p->return_to = pt->return_to;
    p->policy = &pt->login.policy;

    if (ngx_http_kot_session_csrf(r, ctx, "password", &p->csrf) != NGX_OK
        || ngx_http_kot_url(r, &p->action, "password") != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_kot_page_password(r, p);
}


static ngx_int_t
ngx_http_kot_password_post(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_portal_t  *pt = ctx->portal;

    if (!ctx->session.cookie) {
        return ngx_http_kot_goto_portal(r, "login", &pt->return_to, NULL);
    }

    if (!ngx_http_kot_csrf_ok(r, "password", ctx->session.id,
                              KOT_SID_B64_LEN, &pt->v[NGX_HTTP_KOT_F_CSRF]))
    {
        return ngx_http_kot_csrf_refused(r, "password_change");
    }

    /* a change of password deserves Redis's word, not the cache's */
    if (ngx_http_kot_session_check(r, ctx, 0) != NGX_AGAIN) {
        return ngx_http_kot_unavailable(r);
    }

    return ngx_http_kot_wait(r, ctx, ngx_http_kot_password_checked);
}


static ngx_int_t
ngx_http_kot_password_checked(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    return ngx_http_kot_password_user(r, ctx, ngx_http_kot_password_checked,
                                      ngx_http_kot_password_loaded);
}


/* Adds one message per broken rule; returns how many. */

static ngx_uint_t
ngx_http_kot_password_rules(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx,
    ngx_http_kot_page_t *p)
{
    unsigned                 bits;
    uint64_t                 wait;
    ngx_str_t               *cur, *new, *confirm;
    kot_policy_t            *policy;
    ngx_http_kot_portal_t   *pt = ctx->portal;

    policy = &pt->login.policy;

    cur = &pt->v[NGX_HTTP_KOT_F_CURRENT];
    new = &pt->v[NGX_HTTP_KOT_F_NEW];
    confirm = &pt->v[NGX_HTTP_KOT_F_CONFIRM];

    /*
     * A forced change may come at once: a temporary password (the user's
     * record says so) or an expired one (only the session knows).
     */
    if (policy->min_age && pt->login.must_change == KOT_MUST_CHANGE_NO
        && ctx->session.must_change == KOT_MUST_CHANGE_NO
        && ngx_http_kot_now() - pt->login.pw_changed < policy->min_age)
    {
        wait = policy->min_age - (ngx_http_kot_now() - pt->login.pw_changed);
        p->nums[p->nmsgs] = (wait + 59999) / 60000;
        p->msgs[p->nmsgs++] = NGX_HTTP_KOT_MSG_PW_TOO_RECENT;
        return p->nmsgs;
    }

    if (new->len != confirm->len
        || ngx_memcmp(new->data, confirm->data, new->len) != 0)
    {
        p->msgs[p->nmsgs++] = NGX_HTTP_KOT_MSG_PW_MISMATCH;
        p->error_field = "confirm_password";
    }

    bits = kot_policy_check(policy, (char *) new->data, new->len,
                            (char *) ctx->session.user.data,
                            ctx->session.user.len);

    if (bits & KOT_PW_TOO_SHORT) {
        p->nums[p->nmsgs] = policy->min_length;
        p->msgs[p->nmsgs++] = NGX_HTTP_KOT_MSG_PW_TOO_SHORT;
    }

    if (bits & KOT_PW_TOO_LONG) {
        p->nums[p->nmsgs] = policy->max_length;
        p->msgs[p->nmsgs++] = NGX_HTTP_KOT_MSG_PW_TOO_LONG;
    }

    if (bits & KOT_PW_INVALID_CHARS) {
        p->msgs[p->nmsgs++] = NGX_HTTP_KOT_MSG_PW_INVALID_CHARS;
    }

    if (bits & KOT_PW_CLASSES) {
        p->nums[p->nmsgs] = policy->classes;
        p->msgs[p->nmsgs++] = NGX_HTTP_KOT_MSG_PW_CLASSES;
    }

    if (bits & KOT_PW_USERNAME) {
        p->msgs[p->nmsgs++] = NGX_HTTP_KOT_MSG_PW_USERNAME;
    }

    if (bits & KOT_PW_BLOCKLISTED) {
        p->msgs[p->nmsgs++] = NGX_HTTP_KOT_MSG_PW_BLOCKLISTED;
    }

    if (new->len == cur->len
        && ngx_memcmp(new->data, cur->data, new->len) == 0)
    {
        p->msgs[p->nmsgs++] = NGX_HTTP_KOT_MSG_PW_SAME;
    }

    /* the new password before its confirmation, as the form has them */
    if (bits
        || (p->nmsgs && p->msgs[p->nmsgs - 1] == NGX_HTTP_KOT_MSG_PW_SAME))
    {
        p->error_field = "new_password";
    }

    return p->nmsgs;
}


static ngx_int_t
ngx_http_kot_password_loaded(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_str_t               *history;
    ngx_uint_t               n;
    ngx_http_kot_page_t      p;
    ngx_http_kot_event_t     ev;
    ngx_http_kot_portal_t   *pt = ctx->portal;

    if (ctx->rc != NGX_OK) {
        return ngx_http_kot_unavailable(r);
    }

    if (!pt->login.found) {
        return ngx_http_kot_page_error(r, NGX_HTTP_CONFLICT,
                                       NGX_HTTP_KOT_MSG_PW_CHANGED_ELSEWHERE,
                                       0);
    }

    ngx_memzero(&p, sizeof(ngx_http_kot_page_t));
    p.status = NGX_HTTP_BAD_REQUEST;

    if (ngx_http_kot_password_rules(r, ctx, &p)) {
        ngx_memzero(&ev, sizeof(ngx_http_kot_event_t));
        ev.action = "password_change";
        ev.category = "iam";
        ev.outcome = "failure";
        ev.reason = (p.msgs[0] == NGX_HTTP_KOT_MSG_PW_TOO_RECENT)
                    ? "min_age" : "policy";
        ev.status = NGX_HTTP_BAD_REQUEST;

        ngx_http_kot_event(r, &ev, "password change refused: tenant \"%V\" "
                           "user \"%V\": %s", &ctx->session.tenant,
                           &ctx->session.user, ev.reason);

        return ngx_http_kot_password_form(r, ctx, &p);
    }

    /* the current password and the earlier ones the policy remembers */
    n = pt->login.policy.history ? pt->login.policy.history - 1 : 0;
    n = ngx_min(n, pt->login.nhistory);
    history = pt->login.history;

    return ngx_http_kot_hash(r, ctx, &pt->login.hash,
                             &pt->v[NGX_HTTP_KOT_F_CURRENT],
                             &pt->v[NGX_HTTP_KOT_F_NEW], history, n,
                             ngx_http_kot_password_hashed);
}


static ngx_int_t
ngx_http_kot_password_hashed(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_str_t                 new_hash;
    ngx_http_kot_page_t       p;
    ngx_http_kot_event_t      ev;
    ngx_http_kot_portal_t    *pt = ctx->portal;
    ngx_http_kot_hash_job_t  *job = pt->job;

    /* a guess with a session counts as at login */
    if (job->verified != 1 || pt->login.locked) {
        return ngx_http_kot_current_password_count(r, ctx,
                   ngx_http_kot_password_counted);
    }

    if (job->reused) {
        ngx_memzero(&ev, sizeof(ngx_http_kot_event_t));
        ev.action = "password_change";
        ev.category = "iam";
        ev.outcome = "failure";
        ev.reason = "history";
        ev.status = NGX_HTTP_BAD_REQUEST;

        ngx_http_kot_event(r, &ev, "password change refused: tenant \"%V\" "
                           "user \"%V\": a recent password",
                           &ctx->session.tenant, &ctx->session.user);

        ngx_memzero(&p, sizeof(ngx_http_kot_page_t));
        p.status = NGX_HTTP_BAD_REQUEST;
        p.nums[0] = pt->login.policy.history;
        p.msgs[p.nmsgs++] = NGX_HTTP_KOT_MSG_PW_REUSED;
        p.error_field = "new_password";

        return ngx_http_kot_password_form(r, ctx, &p);
    }

    if (job->new_hash_len < 0) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "kot: hashing the new password failed");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    new_hash.data = job->new_hash;
    new_hash.len = job->new_hash_len;

    if (ngx_http_kot_session_change_password(r, ctx, &pt->login.hash,
                                             &new_hash,
                                             pt->login.policy.history
                                             ? pt->login.policy.history - 1
                                             : 0)
        != NGX_OK)
    {
        return ngx_http_kot_unavailable(r);
    }

    return ngx_http_kot_wait(r, ctx, ngx_http_kot_password_changed);
}


/* After login_fail: the change form again, as for any wrong password. */

static ngx_int_t
ngx_http_kot_password_counted(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    if (ctx->rc != NGX_OK) {
        return ngx_http_kot_unavailable(r);
    }

    return ngx_http_kot_password_wrong(r, ctx,
               ngx_http_kot_current_password_refused(r, ctx->login));
}


/*
 * A session alone must not be a way to guess its user's password: a
 * wrong current password counts toward the lockout as at login, and a
 * locked account is refused (login_fail counts nothing then) even with
 * the right one.
 */

ngx_int_t
ngx_http_kot_current_password_count(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx, ngx_http_kot_step_pt next)
{
    if (ngx_http_kot_login_fail(r, ctx) != NGX_OK) {
        return ngx_http_kot_unavailable(r);
    }

    return ngx_http_kot_wait(r, ctx, next);
}


const char *
ngx_http_kot_current_password_refused(ngx_http_request_t *r,
    ngx_http_kot_login_t *login)
{
    if (login->fail == KOT_FAIL_LOCKED_NOW) {
        ngx_http_kot_account_locked(r, login);
    }

    return (login->fail == KOT_FAIL_WAS_LOCKED) ? "locked"
                                                : "bad_current_password";
}


static ngx_int_t
ngx_http_kot_password_wrong(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx,
    const char *reason)
{
    ngx_http_kot_page_t   p;
    ngx_http_kot_event_t  ev;

    ngx_memzero(&ev, sizeof(ngx_http_kot_event_t));
    ev.action = "password_change";
    ev.category = "iam";
    ev.outcome = "failure";
    ev.reason = reason;
    ev.status = NGX_HTTP_BAD_REQUEST;

    ngx_http_kot_event(r, &ev, "password change refused: tenant \"%V\" "
                       "user \"%V\": %s", &ctx->session.tenant,
                       &ctx->session.user,
                       ngx_strcmp(reason, "locked") == 0
                       ? "the account is locked"
                       : "wrong current password");

    ngx_memzero(&p, sizeof(ngx_http_kot_page_t));
    p.status = NGX_HTTP_BAD_REQUEST;
    p.msgs[p.nmsgs++] = NGX_HTTP_KOT_MSG_PW_CURRENT_WRONG;
    p.error_field = "current_password";

    return ngx_http_kot_password_form(r, ctx, &p);
}


static ngx_int_t
ngx_http_kot_password_changed(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_event_t    ev;
    ngx_http_kot_portal_t  *pt = ctx->portal;

    if (ctx->rc == NGX_ERROR) {
        return ngx_http_kot_unavailable(r);
    }

    /* locked while the current password was being checked */
    if (ctx->rc == NGX_DECLINED && ctx->result == KOT_CREATE_LOCKED) {
        return ngx_http_kot_password_wrong(r, ctx, "locked");
    }

    if (ctx->rc == NGX_DECLINED) {
        if (ngx_http_kot_set_cookie(r, NGX_HTTP_KOT_COOKIE_SESSION, NULL, 0)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_kot_page_error(r, NGX_HTTP_CONFLICT,
                                   NGX_HTTP_KOT_MSG_PW_CHANGED_ELSEWHERE, 0);
    }

    ngx_memzero(&ev, sizeof(ngx_http_kot_event_t));
    ev.action = "password_change";
    ev.category = "iam";
    ev.outcome = "success";
    ev.status = NGX_HTTP_SEE_OTHER;
    ev.fields = json_pack("{s:I}", "kot.sessions_ended",
                          (json_int_t) pt->ended);

    ngx_http_kot_event(r, &ev, "password changed: tenant \"%V\" user \"%V\", "
                       "other sessions ended: %i, session %*s",
                       &ctx->session.tenant, &ctx->session.user, pt->ended,
                       (size_t) KOT_SID_SHORT_LEN, ctx->session.sid);

    if (ngx_http_kot_set_cookie(r, NGX_HTTP_KOT_COOKIE_SESSION,
                                ctx->session.id, KOT_SID_B64_LEN)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_kot_redirect(r, NGX_HTTP_SEE_OTHER, &pt->return_to);
}


/* shared steps */

/* What the change of a user's password needs (password_load). */

static ngx_int_t
ngx_http_kot_load_user(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_login_t       *login = ctx->login;
    ngx_http_kot_redis_args_t   a;

    a.argc = 0;

    if (ngx_http_kot_redis_key(r, &a, KOT_KEY_USER, &login->tenant,
                               &login->user)
        != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_HISTORY, &login->tenant,
                                  &login->user)
           != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_TENANT, &login->tenant,
                                  NULL)
           != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_FAILURES, &login->tenant,
                                  &login->user)
           != NGX_OK
        || ngx_http_kot_redis_num(r, &a, ngx_http_kot_now()) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_kot_redis_script(r, KOT_SCRIPT_PASSWORD_LOAD,
                                     ngx_http_kot_load_user_reply, ctx,
                                     &ctx->done, 4, &a);
}


static void
ngx_http_kot_load_user_reply(ngx_http_request_t *r, void *data,
    redisReply *reply)
{
    size_t                 i;
    redisReply           **e, *h;
    ngx_http_kot_ctx_t    *ctx = data;
    ngx_http_kot_login_t  *login = ctx->login;

    ctx->rc = NGX_ERROR;

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || reply->elements < 1
        || reply->element[0]->type != REDIS_REPLY_INTEGER)
    {
        return;
    }

    e = reply->element;
    login->found = 0;

    if (e[0]->integer == 0) {
        ctx->rc = NGX_OK;
        return;
    }

    if (reply->elements != 7
        || e[1]->len > KOT_PHC_MAX
        || ngx_http_kot_redis_str(r, e[1], &login->hash) != NGX_OK
        || e[3]->type != REDIS_REPLY_STRING
        || e[4]->type != REDIS_REPLY_ARRAY
        || ngx_http_kot_policy_effective(r, e[5], &login->policy) != NGX_OK
        || e[6]->type != REDIS_REPLY_INTEGER)
    {
        return;
    }

    login->locked = (e[6]->integer == 1);
    login->pw_changed = ngx_http_kot_redis_uint(e[2]);
    login->must_change = (e[3]->len == 1) ? e[3]->str[0]
                                          : KOT_MUST_CHANGE_NO;

    h = e[4];

    login->history = ngx_pcalloc(r->pool, (h->elements + 1)
                                          * sizeof(ngx_str_t));
    if (login->history == NULL) {
        return;
    }

    for (i = 0; i < h->elements; i++) {
        if (h->element[i]->len <= KOT_PHC_MAX
            && ngx_http_kot_redis_str(r, h->element[i],
                                      &login->history[login->nhistory])
               == NGX_OK)
        {
            login->nhistory++;
        }
    }

    login->found = 1;
    ctx->rc = NGX_OK;
}


ngx_int_t
ngx_http_kot_hash(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx,
    ngx_str_t *hash, ngx_str_t *password, ngx_str_t *new_password,
    ngx_str_t *history, ngx_uint_t nhistory, ngx_http_kot_step_pt next)
{
    ngx_http_kot_portal_t    *pt = ctx->portal;
    ngx_http_kot_hash_job_t  *job;

    job = ngx_http_kot_hash_job(r);
    if (job == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    job->hash = *hash;
    job->password = *password;

    if (new_password) {
        job->new_password = *new_password;
    }

    job->history = history;
    job->nhistory = nhistory;

    pt->job = job;

    if (ngx_http_kot_hash_run(r, ctx, job) != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "kot: the password hashing queue is full");

        if (pt->action == NGX_HTTP_KOT_LOGIN) {
            ngx_http_kot_audit_busy(r);
        }

        return ngx_http_kot_page_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                       NGX_HTTP_KOT_MSG_BUSY, 0);
    }

    return ngx_http_kot_wait(r, ctx, next);
}


/* A return_to that is not a safe local path becomes "/". */

static void
ngx_http_kot_return_to(ngx_str_t *in, ngx_str_t *out)
{
    if (in->len && kot_return_to_ok((char *) in->data, in->len)) {
        *out = *in;
        return;
    }

    ngx_str_set(out, "/");
}


ngx_int_t
ngx_http_kot_url(ngx_http_request_t *r, ngx_str_t *out, const char *page)
{
    size_t                    len;
    ngx_http_kot_loc_conf_t  *klcf;

    klcf = ngx_http_get_module_loc_conf(r, ngx_http_kot_module);

    len = ngx_strlen(page);

    out->data = ngx_pnalloc(r->pool, klcf->portal.len + len);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(ngx_cpymem(out->data, klcf->portal.data, klcf->portal.len),
               page, len);
    out->len = klcf->portal.len + len;

    return NGX_OK;
}


ngx_int_t
ngx_http_kot_session_csrf(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx,
    const char *purpose, ngx_str_t *out)
{
    out->data = ngx_pnalloc(r->pool, NGX_HTTP_KOT_CSRF_LEN);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    out->len = NGX_HTTP_KOT_CSRF_LEN;

    return ngx_http_kot_csrf(r, purpose, ctx->session.id, KOT_SID_B64_LEN,
                             out->data);
}
