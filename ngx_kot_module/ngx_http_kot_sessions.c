
/*
 * ngx_kot: what the portal tells a user about their own sessions.
 *
 *     {prefix}session     GET {"idle_remaining":S,"absolute_remaining":S}
 *                         for the application's "you will be logged out"
 *                         warning; it extends nothing
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_kot_module.h"


static ngx_int_t ngx_http_kot_session_times_answer(ngx_http_request_t *r,
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
