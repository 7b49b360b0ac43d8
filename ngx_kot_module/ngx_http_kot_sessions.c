
/*
 * ngx_kot: what the portal tells a user about their own sessions.
 *
 *     {prefix}session     GET {"idle_remaining":S,"absolute_remaining":S}
 *                         for the application's "you will be logged out"
 *                         warning; it extends nothing
 *     {prefix}sessions    GET the user's sessions: device, address, login
 *                         and last activity, and which is this one;
 *                         POST csrf, end=HANDLE|others ends sessions as
 *                         an administrator's revocation does
 *     {prefix}welcome     GET the login before this one and the failed
 *                         logins since ($kot_last_login), on the way to
 *                         return_to (kot_last_login_notice)
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_kot_module.h"
#include "kot_ident.h"
#include "kot_return_to.h"


/* end=others */
#define NGX_HTTP_KOT_END_OTHERS  "others"


static ngx_int_t ngx_http_kot_session_times_answer(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_sessions_checked(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_sessions_load(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static void ngx_http_kot_sessions_reply(ngx_http_request_t *r, void *data,
    redisReply *reply);
static ngx_int_t ngx_http_kot_sessions_page(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_sessions_end(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_sessions_ended(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_sessions_own(ngx_http_kot_ctx_t *ctx,
    ngx_str_t *handle);
static ngx_int_t ngx_http_kot_last_login_page(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);


ngx_int_t
ngx_http_kot_session_times(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    if (!ctx->session.cookie) {
        return ngx_http_kot_json(r, NGX_HTTP_UNAUTHORIZED, "login_required");
    }

    /* an application polls this: no activity, and the cache may answer */
    ctx->passive = 1;

    switch (ngx_http_kot_session_check(r, ctx, 1)) {

    case NGX_OK:
        return ngx_http_kot_session_times_answer(r, ctx);

    case NGX_AGAIN:
        return ngx_http_kot_wait(r, ctx, ngx_http_kot_session_times_answer);

    default:
        return ngx_http_kot_unavailable(r);
    }
}


/* In seconds, rounded down; the idle time never outlasts the absolute. */

static ngx_int_t
ngx_http_kot_session_times_answer(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx)
{
    int64_t                   now, idle, absolute;
    ngx_http_kot_session_t   *s = &ctx->session;
    ngx_http_kot_loc_conf_t  *klcf;

    if (ctx->rc != NGX_OK) {
        return ngx_http_kot_unavailable(r);
    }

    if (s->status != KOT_SESSION_OK) {
        ngx_http_kot_session_expired(r, s);

        if (ngx_http_kot_set_cookie(r, NGX_HTTP_KOT_COOKIE_SESSION, NULL, 0)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_kot_json(r, NGX_HTTP_UNAUTHORIZED, "login_required");
    }

    klcf = ngx_http_get_module_loc_conf(r, ngx_http_kot_module);

    now = (int64_t) ngx_http_kot_now();
    absolute = (int64_t) (s->created + klcf->absolute_timeout) - now;
    idle = ngx_min((int64_t) (s->last + klcf->idle_timeout) - now, absolute);

    return ngx_http_kot_send_json(r, NGX_HTTP_OK,
               json_pack("{s:I,s:I}",
                         "idle_remaining",
                         (json_int_t) ngx_max(idle, 0) / 1000,
                         "absolute_remaining",
                         (json_int_t) ngx_max(absolute, 0) / 1000));
}


/* GET {prefix}sessions */

ngx_int_t
ngx_http_kot_sessions_get(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    if (!ctx->session.cookie) {
        return ngx_http_kot_goto_portal(r, "login",
                                        kot_return_to_ok(
                                            (char *) r->unparsed_uri.data,
                                            r->unparsed_uri.len)
                                        ? &r->unparsed_uri : NULL, NULL);
    }

    /* what ends sessions deserves Redis's word, not the cache's */
    if (ngx_http_kot_session_check(r, ctx, 0) != NGX_AGAIN) {
        return ngx_http_kot_unavailable(r);
    }

    return ngx_http_kot_wait(r, ctx, ngx_http_kot_sessions_checked);
}


/* POST {prefix}sessions: csrf, end=HANDLE|others */

ngx_int_t
ngx_http_kot_sessions_post(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_str_t              *end;
    ngx_http_kot_portal_t  *pt = ctx->portal;

    if (!ctx->session.cookie) {
        return ngx_http_kot_goto_portal(r, "login", NULL, NULL);
    }

    if (!ngx_http_kot_csrf_ok(r, "sessions", ctx->session.id,
                              KOT_SID_B64_LEN, &pt->v[NGX_HTTP_KOT_F_CSRF]))
    {
        return ngx_http_kot_csrf_refused(r, "session_end");
    }

    end = &pt->v[NGX_HTTP_KOT_F_END];

    if (!(end->len == sizeof(NGX_HTTP_KOT_END_OTHERS) - 1
          && ngx_strncmp(end->data, NGX_HTTP_KOT_END_OTHERS, end->len) == 0)
        && !(end->len == KOT_SID_SHORT_LEN
             && kot_session_handle_valid((char *) end->data, end->len)))
    {
        return ngx_http_kot_page_error(r, NGX_HTTP_BAD_REQUEST,
                                       NGX_HTTP_KOT_MSG_BAD_FORM, 0);
    }

    if (ngx_http_kot_session_check(r, ctx, 0) != NGX_AGAIN) {
        return ngx_http_kot_unavailable(r);
    }

    return ngx_http_kot_wait(r, ctx, ngx_http_kot_sessions_checked);
}


static ngx_int_t
ngx_http_kot_sessions_checked(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_int_t  rc;

    if (ngx_http_kot_password_session(r, ctx, &rc,
                                      ngx_http_kot_sessions_checked)
        != NGX_OK)
    {
        return rc;
    }

    /*
     * A session bound to enrol in MFA proves a password alone: it opens
     * nothing but the enrolment, as everywhere else, and so neither lists
     * the user's devices nor logs them out.
     */
    if (ctx->session.enrol) {
        return ngx_http_kot_goto_portal(r, "mfa", NULL, NULL);
    }

    return (r->method == NGX_HTTP_POST) ? ngx_http_kot_sessions_end(r, ctx)
                                        : ngx_http_kot_sessions_load(r, ctx);
}


static ngx_int_t
ngx_http_kot_sessions_load(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_redis_args_t   a;

    a.argc = 0;

    if (ngx_http_kot_redis_key(r, &a, KOT_KEY_USER_SESSIONS,
                               &ctx->session.tenant, &ctx->session.user)
        != NGX_OK
        || ngx_http_kot_redis_script(r, KOT_SCRIPT_SESSION_OWN,
                                     ngx_http_kot_sessions_reply, ctx,
                                     &ctx->done, 1, &a)
           != NGX_OK)
    {
        return ngx_http_kot_unavailable(r);
    }

    return ngx_http_kot_wait(r, ctx, ngx_http_kot_sessions_page);
}


/* {{handle, address, device, login time, last activity}, ...} */

static void
ngx_http_kot_sessions_reply(ngx_http_request_t *r, void *data,
    redisReply *reply)
{
    ngx_uint_t                   i;
    redisReply                 **e;
    ngx_http_kot_ctx_t          *ctx = data;
    ngx_http_kot_portal_t       *pt = ctx->portal;
    ngx_http_kot_session_row_t  *row;

    ctx->rc = NGX_ERROR;

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
        return;
    }

    pt->sessions = ngx_array_create(r->pool, reply->elements + 1,
                                    sizeof(ngx_http_kot_session_row_t));
    if (pt->sessions == NULL) {
        return;
    }

    for (i = 0; i < reply->elements; i++) {
        if (reply->element[i]->type != REDIS_REPLY_ARRAY
            || reply->element[i]->elements != 5)
        {
            return;
        }

        e = reply->element[i]->element;

        row = ngx_array_push(pt->sessions);
        if (row == NULL
            || ngx_http_kot_redis_str(r, e[0], &row->handle) != NGX_OK
            || ngx_http_kot_redis_str(r, e[1], &row->address) != NGX_OK
            || ngx_http_kot_redis_str(r, e[2], &row->device) != NGX_OK)
        {
            return;
        }

        row->created = ngx_http_kot_redis_uint(e[3]);
        row->last = ngx_http_kot_redis_uint(e[4]);
        row->current = ngx_http_kot_sessions_own(ctx, &row->handle);
    }

    ctx->rc = NGX_OK;
}


static ngx_int_t
ngx_http_kot_sessions_page(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_int_t               n;
    ngx_str_t               arg;
    ngx_http_kot_page_t     p;
    ngx_http_kot_portal_t  *pt = ctx->portal;

    if (ctx->rc != NGX_OK) {
        return ngx_http_kot_unavailable(r);
    }

    ngx_memzero(&p, sizeof(ngx_http_kot_page_t));
    p.status = NGX_HTTP_OK;

    if (ngx_http_arg(r, (u_char *) "ended", 5, &arg) == NGX_OK) {
        n = ngx_atoi(arg.data, arg.len);

        if (n == 0) {
            p.msgs[p.nmsgs++] = NGX_HTTP_KOT_MSG_SESSIONS_NONE;

        } else if (n != NGX_ERROR && n < 1000) {
            p.msgs[p.nmsgs] = NGX_HTTP_KOT_MSG_SESSIONS_ENDED;
            p.nums[p.nmsgs++] = n;
        }
    }

    if (ngx_http_kot_session_csrf(r, ctx, "sessions", &p.csrf) != NGX_OK
        || ngx_http_kot_url(r, &p.action, "sessions") != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_kot_page_sessions(r, &p, pt->sessions);
}


/*
 * The sessions end through session_revoke, as an administrator's do:
 * their keys go, and every node's cache hears of it from Redis.
 */

static ngx_int_t
ngx_http_kot_sessions_end(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_str_t                  *end;
    ngx_http_kot_portal_t      *pt = ctx->portal;
    ngx_http_kot_redis_args_t   a;

    end = &pt->v[NGX_HTTP_KOT_F_END];

    a.argc = 0;

    if (ngx_http_kot_redis_key(r, &a, KOT_KEY_USER_SESSIONS,
                               &ctx->session.tenant, &ctx->session.user)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (end->len == KOT_SID_SHORT_LEN) {
        ngx_http_kot_redis_arg(&a, end->data, end->len);
        ngx_http_kot_redis_arg(&a, NULL, 0);

    } else {
        ngx_http_kot_redis_arg(&a, NULL, 0);
        ngx_http_kot_redis_arg(&a, ctx->session.sid, KOT_SID_B64_LEN);
    }

    /* the devices logged out are told that it was from another of theirs */
    ngx_http_kot_redis_arg(&a, (u_char *) "by_user", 7);

    if (ngx_http_kot_redis_script(r, KOT_SCRIPT_SESSION_REVOKE,
                                  ngx_http_kot_session_int_reply, ctx,
                                  &ctx->done, 1, &a)
        != NGX_OK)
    {
        return ngx_http_kot_unavailable(r);
    }

    return ngx_http_kot_wait(r, ctx, ngx_http_kot_sessions_ended);
}


static ngx_int_t
ngx_http_kot_sessions_ended(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    u_char                 *p;
    ngx_str_t              *end, location;
    ngx_http_kot_event_t    ev;
    ngx_http_kot_portal_t  *pt = ctx->portal;

    if (ctx->rc == NGX_ERROR) {
        return ngx_http_kot_unavailable(r);
    }

    end = &pt->v[NGX_HTTP_KOT_F_END];

    /*
     * A handle that ended nothing is no session of this user's: another
     * user's, another tenant's, or one already over.  The record says so
     * rather than that the user revoked it.
     */
    ngx_memzero(&ev, sizeof(ngx_http_kot_event_t));
    ev.action = "session_revoked";
    ev.category = "session";

    if (ctx->result == 0 && end->len == KOT_SID_SHORT_LEN) {
        ev.outcome = "failure";
        ev.reason = "no_such_session";

    } else {
        ev.outcome = "success";
        ev.reason = "by_user";
    }

    ev.status = NGX_HTTP_SEE_OTHER;
    ev.fields = json_pack("{s:s%,s:I}", "kot.session", (char *) end->data,
                          end->len, "kot.sessions_ended",
                          (json_int_t) ctx->result);

    ngx_http_kot_event(r, &ev, "user \"%V\" of tenant \"%V\" ended %V "
                       "(%L session(s))", &ctx->session.user,
                       &ctx->session.tenant, end, ctx->result);

    /* the user ended this very session: a logout */
    if (end->len == KOT_SID_SHORT_LEN && ngx_http_kot_sessions_own(ctx, end)) {
        if (ngx_http_kot_set_cookie(r, NGX_HTTP_KOT_COOKIE_SESSION, NULL, 0)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_kot_goto_portal(r, "login", NULL, "logged_out");
    }

    if (ngx_http_kot_url(r, &location, "sessions?ended=") != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_pnalloc(r->pool, location.len + NGX_INT64_LEN);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    location.len = ngx_sprintf(ngx_cpymem(p, location.data, location.len),
                               "%L", ctx->result)
                   - p;
    location.data = p;

    return ngx_http_kot_redirect(r, NGX_HTTP_SEE_OTHER, &location);
}


/* Whether a handle is this request's session's. */

static ngx_int_t
ngx_http_kot_sessions_own(ngx_http_kot_ctx_t *ctx, ngx_str_t *handle)
{
    return handle->len == KOT_SID_SHORT_LEN
           && ngx_strncmp(handle->data, ctx->session.sid, KOT_SID_SHORT_LEN)
              == 0;
}


/* GET {prefix}welcome */

ngx_int_t
ngx_http_kot_last_login_get(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_portal_t  *pt = ctx->portal;

    if (!ctx->session.cookie) {
        return ngx_http_kot_goto_portal(r, "login", &pt->return_to, NULL);
    }

    if (ngx_http_kot_session_check(r, ctx, 0) != NGX_AGAIN) {
        return ngx_http_kot_unavailable(r);
    }

    return ngx_http_kot_wait(r, ctx, ngx_http_kot_last_login_page);
}


static ngx_int_t
ngx_http_kot_last_login_page(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_int_t                   rc;
    ngx_str_t                   arg;
    ngx_http_kot_page_t         p;
    ngx_http_kot_portal_t      *pt = ctx->portal;
    ngx_http_kot_last_login_t   ll;

    if (ngx_http_kot_password_session(r, ctx, &rc,
                                      ngx_http_kot_last_login_page)
        != NGX_OK)
    {
        return rc;
    }

    ngx_http_kot_last_login(&ctx->session, &ll);

    ngx_memzero(&p, sizeof(ngx_http_kot_page_t));
    p.status = NGX_HTTP_OK;
    p.return_to = pt->return_to;

    if (ll.failed) {
        p.msgs[p.nmsgs] = NGX_HTTP_KOT_MSG_FAILED_SINCE;
        p.nums[p.nmsgs++] = ll.failed;
    }

    /* this login ended the oldest of the user's (kot_max_sessions) */
    if (ngx_http_arg(r, (u_char *) "others_ended", 12, &arg) == NGX_OK) {
        p.msgs[p.nmsgs++] = NGX_HTTP_KOT_MSG_OTHERS_EVICTED;
    }

    return ngx_http_kot_page_welcome(r, &p, &ll);
}


/*
 * The session's "ll", "time|address|failures" as session_create wrote
 * it; anything else reads as no login before and no failure.
 */

void
ngx_http_kot_last_login(ngx_http_kot_session_t *s,
    ngx_http_kot_last_login_t *ll)
{
    u_char     *p, *q, *last;
    ngx_int_t   n;

    ngx_memzero(ll, sizeof(ngx_http_kot_last_login_t));

    p = s->last_login.data;
    last = p + s->last_login.len;

    q = (p == NULL) ? NULL : ngx_strlchr(p, last, '|');
    if (q == NULL) {
        return;
    }

    n = ngx_atoi(p, q - p);
    ll->time = (n == NGX_ERROR) ? 0 : (uint64_t) n;

    p = q + 1;
    q = ngx_strlchr(p, last, '|');
    if (q == NULL) {
        ll->time = 0;
        return;
    }

    ll->address.data = p;
    ll->address.len = q - p;

    n = ngx_atoi(q + 1, last - (q + 1));
    ll->failed = (n == NGX_ERROR) ? 0 : (ngx_uint_t) n;
}
