
/*
 * ngx_kot: sessions.  The cookie carries 256 random bits; Redis only
 * ever sees HMAC(key, id), so a copy of the database opens no session.
 * Expiry is decided from the timestamps stored in Redis, never from the
 * cookie.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_kot_module.h"
#include "kot_b64.h"
#include "kot_cookie.h"
#include "kot_ua.h"


/*
 * A connection's last session cookie, and the Redis id made from it.  A
 * client sends the same cookie with every request of a keepalive
 * connection, so the HMAC is made once per connection rather than once
 * per request.  It lives in the connection's pool, no other connection
 * sees it, and it is wiped when the connection closes.
 */

typedef struct {
    u_char                      cookie[KOT_SID_B64_LEN];
    u_char                      sid[KOT_SID_B64_LEN];
    unsigned                    set:1;
} ngx_http_kot_memo_t;


static ngx_http_kot_memo_t *ngx_http_kot_session_memo(ngx_http_request_t *r);
static void ngx_http_kot_session_memo_wipe(void *data);
static ngx_int_t ngx_http_kot_session_rotate(ngx_http_request_t *r,
    ngx_http_kot_session_t *s, ngx_str_t *old);
static void ngx_http_kot_session_check_reply(ngx_http_request_t *r,
    void *data, redisReply *reply);
static void ngx_http_kot_session_create_reply(ngx_http_request_t *r,
    void *data, redisReply *reply);
static void ngx_http_kot_session_destroy_reply(ngx_http_request_t *r,
    void *data, redisReply *reply);


/* Reads our cookie; a missing or malformed one leaves s->cookie unset. */

void
ngx_http_kot_session_read(ngx_http_request_t *r, ngx_http_kot_session_t *s)
{
    u_char                raw[KOT_SID_RAW_LEN];
    ngx_str_t             value;
    ngx_http_kot_memo_t  *memo;

    s->cookie = 0;

    if (ngx_http_kot_cookie(r, NGX_HTTP_KOT_COOKIE_SESSION, &value)
        != NGX_OK
        || value.len != KOT_SID_B64_LEN)
    {
        return;
    }

    memo = ngx_http_kot_session_memo(r);

    if (memo && memo->set
        && kot_ct_equal(memo->cookie, value.data, KOT_SID_B64_LEN))
    {
        ngx_memcpy(s->id, value.data, KOT_SID_B64_LEN);
        s->id[KOT_SID_B64_LEN] = '\0';
        ngx_memcpy(s->sid, memo->sid, KOT_SID_B64_LEN);
        s->sid[KOT_SID_B64_LEN] = '\0';
        s->cookie = 1;
        return;
    }

    if (kot_b64url_decode(raw, sizeof(raw), (char *) value.data, value.len)
        != KOT_SID_RAW_LEN)
    {
        return;
    }

    /* the decoder takes only the canonical spelling: the value is it */
    if (ngx_http_kot_session_id(r, s, raw, value.data) == NGX_OK) {
        s->cookie = 1;

        if (memo) {
            ngx_memcpy(memo->cookie, s->id, KOT_SID_B64_LEN);
            ngx_memcpy(memo->sid, s->sid, KOT_SID_B64_LEN);
            memo->set = 1;
        }
    }

    kot_cleanse(raw, sizeof(raw));
}


/*
 * The memo of the client's connection: with HTTP/2, of the connection
 * that carries the stream.  Found among the pool's cleanups, which hold
 * few entries; made on first use.  NULL if there is no memory for it.
 */

static ngx_http_kot_memo_t *
ngx_http_kot_session_memo(ngx_http_request_t *r)
{
    ngx_connection_t    *c;
    ngx_pool_cleanup_t  *cln;

    c = r->connection;

#if (NGX_HTTP_V2)
    if (r->stream) {
        c = r->stream->connection->connection;
    }
#endif

    for (cln = c->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == ngx_http_kot_session_memo_wipe) {
            return cln->data;
        }
    }

    cln = ngx_pool_cleanup_add(c->pool, sizeof(ngx_http_kot_memo_t));
    if (cln == NULL) {
        return NULL;
    }

    ngx_memzero(cln->data, sizeof(ngx_http_kot_memo_t));
    cln->handler = ngx_http_kot_session_memo_wipe;

    return cln->data;
}


static void
ngx_http_kot_session_memo_wipe(void *data)
{
    kot_cleanse(data, sizeof(ngx_http_kot_memo_t));
}


/*
 * Fills the cookie value (b64, or encoded from raw when NULL) and the
 * Redis id from the raw session id (or the id of a pending login).
 */

ngx_int_t
ngx_http_kot_session_id(ngx_http_request_t *r, ngx_http_kot_session_t *s,
    u_char *raw, u_char *b64)
{
    u_char                     mac[KOT_MAC_LEN];
    ngx_http_kot_main_conf_t  *kmcf;

    kmcf = ngx_http_get_module_main_conf(r, ngx_http_kot_module);

    kot_hmac_mac(&kmcf->session_key, raw, KOT_SID_RAW_LEN, NULL, 0, mac);

    if (b64) {
        ngx_memcpy(s->id, b64, KOT_SID_B64_LEN);

    } else {
        kot_b64url_encode((char *) s->id, raw, KOT_SID_RAW_LEN);
    }

    s->id[KOT_SID_B64_LEN] = '\0';

    kot_b64url_encode((char *) s->sid, mac, KOT_MAC_LEN);
    s->sid[KOT_SID_B64_LEN] = '\0';

    return NGX_OK;
}


/* A fresh id from the CSPRNG: never one the client chose. */

ngx_int_t
ngx_http_kot_session_new_id(ngx_http_request_t *r, ngx_http_kot_session_t *s)
{
    u_char     raw[KOT_SID_RAW_LEN];
    ngx_int_t  rc;

    if (kot_random(raw, sizeof(raw)) != 0) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "kot: RAND_bytes() failed");
        return NGX_ERROR;
    }

    rc = ngx_http_kot_session_id(r, s, raw, NULL);

    kot_cleanse(raw, sizeof(raw));

    return rc;
}


/* The record of a session found expired, wherever it is met first. */

void
ngx_http_kot_session_expired(ngx_http_request_t *r, ngx_http_kot_session_t *s)
{
    ngx_http_kot_event_t  ev;

    if (s->status != KOT_SESSION_IDLE && s->status != KOT_SESSION_ABSOLUTE) {
        return;
    }

    ngx_memzero(&ev, sizeof(ngx_http_kot_event_t));
    ev.action = "session_expired";
    ev.category = "session";
    ev.outcome = "success";
    ev.reason = (s->status == KOT_SESSION_IDLE) ? "idle" : "absolute";

    ngx_http_kot_event(r, &ev, "session %*s of user \"%V\" in tenant \"%V\" "
                       "expired (%s)", (size_t) KOT_SID_SHORT_LEN, s->sid,
                       &s->user, &s->tenant, ev.reason);
}


/*
 * NGX_OK: answered from the worker's cache (only when cached is set, for
 * protected requests); NGX_AGAIN: asked Redis, ctx->done follows;
 * NGX_ERROR: Redis cannot be asked.
 */

ngx_int_t
ngx_http_kot_session_check(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx,
    ngx_uint_t cached)
{
    ngx_int_t                   rc;
    ngx_str_t                   sid;
    ngx_msec_t                  touch;
    ngx_http_kot_loc_conf_t    *klcf;
    ngx_http_kot_redis_args_t   a;

    klcf = ngx_http_get_module_loc_conf(r, ngx_http_kot_module);

    /*
     * Activity reaches Redis this often: a tenth of the idle time at
     * most.  A request that is no activity (kot_activity off, the times
     * page) touches nothing: Redis checks the idle time first, and the
     * cache asks Redis once it may have passed.
     */
    touch = (klcf->activity && !ctx->passive)
            ? ngx_http_kot_session_touch(klcf)
            : klcf->idle_timeout;

    if (cached) {
        rc = ngx_http_kot_cache_lookup(r, &ctx->session,
                                       klcf->absolute_timeout, touch);
        if (rc != NGX_DECLINED) {
            ctx->rc = rc;
            return rc;
        }

        ctx->cache_serial = ngx_http_kot_redis_caching()
                            ? ngx_http_kot_cache_reserve(ctx->session.sid)
                            : 0;
    }

    sid.data = ctx->session.sid;
    sid.len = KOT_SID_B64_LEN;

    a.argc = 0;

    if (ngx_http_kot_redis_key(r, &a, KOT_KEY_SESSION, &sid, NULL) != NGX_OK
        || ngx_http_kot_redis_num(r, &a, ngx_http_kot_now()) != NGX_OK
        || ngx_http_kot_redis_num(r, &a, klcf->idle_timeout) != NGX_OK
        || ngx_http_kot_redis_num(r, &a, klcf->absolute_timeout) != NGX_OK
        || ngx_http_kot_redis_num(r, &a, touch) != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_http_kot_redis_arg(&a, sid.data, sid.len);

    if (ngx_http_kot_redis_script(r, KOT_SCRIPT_SESSION_CHECK,
                                  ngx_http_kot_session_check_reply, ctx,
                                  &ctx->done, 1, &a)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_http_kot_status_count(NGX_HTTP_KOT_STAT_SESSIONS_REDIS);

    return NGX_AGAIN;
}


/* Activity reaches Redis this often: a tenth of the idle time at most. */

ngx_msec_t
ngx_http_kot_session_touch(ngx_http_kot_loc_conf_t *klcf)
{
    return ngx_min(klcf->touch, klcf->idle_timeout / 10);
}


static void
ngx_http_kot_session_check_reply(ngx_http_request_t *r, void *data,
    redisReply *reply)
{
    redisReply             **e;
    ngx_int_t                status;
    ngx_http_kot_ctx_t      *ctx = data;
    ngx_http_kot_session_t  *s = &ctx->session;

    ctx->rc = NGX_ERROR;

    status = ngx_http_kot_session_reply(reply);

    if (status == NGX_ERROR) {
        return;
    }

    if (status == NGX_DECLINED) {
        s->status = KOT_SESSION_MISSING;
        return;
    }

    s->status = (ngx_uint_t) status;
    e = reply->element;

    if (s->status == KOT_SESSION_OK) {
        if (ngx_http_kot_redis_str(r, e[KOT_SESSION_REPLY_TENANT], &s->tenant)
            != NGX_OK
            || ngx_http_kot_redis_str(r, e[KOT_SESSION_REPLY_USER], &s->user)
               != NGX_OK
            || ngx_http_kot_redis_str(r, e[KOT_SESSION_REPLY_ROLES], &s->roles)
               != NGX_OK
            || ngx_http_kot_redis_str(r, e[KOT_SESSION_REPLY_LAST_LOGIN],
                                      &s->last_login)
               != NGX_OK)
        {
            s->status = KOT_SESSION_MISSING;
            return;
        }

        s->must_change = e[KOT_SESSION_REPLY_MUST_CHANGE]->len == 1
                         ? e[KOT_SESSION_REPLY_MUST_CHANGE]->str[0]
                         : KOT_MUST_CHANGE_NO;
        s->allow_version = e[KOT_SESSION_REPLY_ALLOW_VERSION]->integer;
        s->enrol = (e[KOT_SESSION_REPLY_ENROL]->len == 1
                    && e[KOT_SESSION_REPLY_ENROL]->str[0] == '1');

        s->created = ngx_http_kot_redis_uint(e[KOT_SESSION_REPLY_CREATED]);
        s->last = ngx_http_kot_redis_uint(e[KOT_SESSION_REPLY_LAST]);

        ngx_http_kot_cache_fill(ctx->cache_serial, s);

        ctx->rc = NGX_OK;
        return;
    }

    ngx_http_kot_cache_forget(s->sid);

    if (s->status == KOT_SESSION_IDLE || s->status == KOT_SESSION_ABSOLUTE) {
        if (reply->elements == KOT_SESSION_REPLY_ENDED_N) {
            (void) ngx_http_kot_redis_str(r, e[KOT_SESSION_REPLY_TENANT],
                                          &s->tenant);
            (void) ngx_http_kot_redis_str(r, e[KOT_SESSION_REPLY_USER],
                                          &s->user);
        }

    } else if (s->status != KOT_SESSION_EVICTED
               && s->status != KOT_SESSION_ENDED_BY_USER)
    {
        s->status = KOT_SESSION_MISSING;
    }

    ctx->rc = NGX_OK;
}


/*
 * What the login page is to tell a browser whose session ended, as its
 * argument: NULL for none (a logout, a session that never was).
 */

const char *
ngx_http_kot_session_why(ngx_http_kot_session_t *s)
{
    switch (s->status) {

    case KOT_SESSION_IDLE:
    case KOT_SESSION_ABSOLUTE:
        return "expired";

    case KOT_SESSION_EVICTED:
        return "evicted";

    case KOT_SESSION_ENDED_BY_USER:
        return "ended_elsewhere";

    default:
        return NULL;
    }
}


/*
 * The status of a session_check reply, laid out as kot_session_reply_e
 * tells; NGX_ERROR if it has none, NGX_DECLINED if it is a live
 * session's that lacks a field or has one of another type.  Every reader
 * of the reply checks it here.
 */

ngx_int_t
ngx_http_kot_session_reply(redisReply *reply)
{
    redisReply  **e;

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || reply->elements < 1
        || reply->element[KOT_SESSION_REPLY_STATUS]->type
           != REDIS_REPLY_INTEGER)
    {
        return NGX_ERROR;
    }

    e = reply->element;

    if (e[KOT_SESSION_REPLY_STATUS]->integer != KOT_SESSION_OK) {
        /*
         * below 0 would read as NGX_ERROR: a status the script never
         * returns is no session to every reader
         */
        return e[KOT_SESSION_REPLY_STATUS]->integer < 0
               ? KOT_SESSION_MISSING : e[KOT_SESSION_REPLY_STATUS]->integer;
    }

    if (reply->elements != KOT_SESSION_REPLY_N
        || e[KOT_SESSION_REPLY_TENANT]->type != REDIS_REPLY_STRING
        || e[KOT_SESSION_REPLY_USER]->type != REDIS_REPLY_STRING
        || e[KOT_SESSION_REPLY_ROLES]->type != REDIS_REPLY_STRING
        || e[KOT_SESSION_REPLY_MUST_CHANGE]->type != REDIS_REPLY_STRING
        || e[KOT_SESSION_REPLY_ALLOW_VERSION]->type != REDIS_REPLY_INTEGER
        || e[KOT_SESSION_REPLY_ENROL]->type != REDIS_REPLY_STRING
        || e[KOT_SESSION_REPLY_LAST_LOGIN]->type != REDIS_REPLY_STRING)
    {
        return NGX_DECLINED;
    }

    return KOT_SESSION_OK;
}


/*
 * A new id for the session; old gets the Redis id of the one it had, if
 * any (empty otherwise), for the script that ends it.  Later reads on this
 * connection come after that script, so forgetting it here is early
 * enough.
 */

static ngx_int_t
ngx_http_kot_session_rotate(ngx_http_request_t *r, ngx_http_kot_session_t *s,
    ngx_str_t *old)
{
    old->len = 0;
    old->data = NULL;

    if (s->cookie) {
        old->data = ngx_pnalloc(r->pool, KOT_SID_B64_LEN);
        if (old->data == NULL) {
            return NGX_ERROR;
        }

        old->len = KOT_SID_B64_LEN;
        ngx_memcpy(old->data, s->sid, KOT_SID_B64_LEN);
        ngx_http_kot_cache_forget(s->sid);
    }

    return ngx_http_kot_session_new_id(r, s);
}


/*
 * Creates a session for a user whose password was just verified, unless
 * meanwhile the account got locked or disabled, or its password was set,
 * or its MFA changed.  A session the browser already had is ended in the
 * same script: logging in again never keeps an old id alive.
 */

ngx_int_t
ngx_http_kot_session_create(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx,
    ngx_http_kot_login_t *login)
{
    u_char                   *device;
    ngx_str_t                 sid, old, client;
    struct sockaddr          *sa;
    ngx_http_kot_redis_args_t       a;
    ngx_str_t                *tenant, *user, *roles;
    ngx_http_kot_session_t   *s;
    ngx_http_kot_loc_conf_t  *klcf;

    klcf = ngx_http_get_module_loc_conf(r, ngx_http_kot_module);
    s = &ctx->session;

    /* the device in words, for the user's list: never the header itself */
    device = ngx_pnalloc(r->pool, KOT_DEVICE_MAX);
    if (device == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_kot_session_rotate(r, s, &old) != NGX_OK) {
        return NGX_ERROR;
    }

    tenant = &login->tenant;
    user = &login->user;
    roles = &login->roles;

    s->tenant = *tenant;
    s->user = *user;
    s->roles = *roles;
    s->must_change = login->must_change;
    s->enrol = login->enrol;

    sid.data = s->sid;
    sid.len = KOT_SID_B64_LEN;

    a.argc = 0;

    if (ngx_http_kot_redis_key(r, &a, KOT_KEY_SESSION, &sid, NULL) != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_USER_SESSIONS, tenant, user)
           != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_USER, tenant, user) != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_SESSION,
                                old.len ? &old : &sid, NULL)
           != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_FAILURES, tenant, user)
           != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_MFA, tenant, user)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_http_kot_redis_arg(&a, sid.data, sid.len);
    ngx_http_kot_redis_arg(&a, tenant->data, tenant->len);
    ngx_http_kot_redis_arg(&a, user->data, user->len);
    ngx_http_kot_redis_arg(&a, roles->data, roles->len);

    if (ngx_http_kot_redis_num(r, &a, ngx_http_kot_now()) != NGX_OK
        || ngx_http_kot_redis_num(r, &a, login->must_change - '0')
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_http_kot_client(r, &sa, &client) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_kot_redis_arg(&a, client.data, client.len);

    if (ngx_http_kot_redis_num(r, &a, klcf->idle_timeout) != NGX_OK
        || ngx_http_kot_redis_num(r, &a, klcf->absolute_timeout) != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_http_kot_redis_arg(&a, old.data, old.len);

    if (ngx_http_kot_redis_num(r, &a, login->pw_changed) != NGX_OK
        || ngx_http_kot_redis_num(r, &a, login->enrol) != NGX_OK
        || ngx_http_kot_redis_num(r, &a, klcf->max_sessions) != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_http_kot_redis_arg(&a, (u_char *) (klcf->max_sessions_refuse
                                           ? "refuse" : "evict_oldest"),
                           klcf->max_sessions_refuse ? 6 : 12);

    ngx_http_kot_redis_arg(&a, device,
                           r->headers_in.user_agent
                           ? kot_ua_device((char *)
                                           r->headers_in.user_agent->value.data,
                                           r->headers_in.user_agent->value.len,
                                           (char *) device)
                           : 0);

    if (login->mfa_seed.len) {
        ngx_http_kot_redis_arg(&a, login->mfa_seed.data, login->mfa_seed.len);

    } else {
        ngx_http_kot_redis_arg(&a, (u_char *) "0", 1);
    }

    return ngx_http_kot_redis_script(r, KOT_SCRIPT_SESSION_CREATE,
                                     ngx_http_kot_session_create_reply, ctx,
                                     &ctx->done, 6, &a);
}


/* {1, handles of the sessions evicted...}, or a refusal */

static void
ngx_http_kot_session_create_reply(ngx_http_request_t *r, void *data,
    redisReply *reply)
{
    ngx_uint_t             i;
    ngx_http_kot_ctx_t    *ctx = data;
    ngx_http_kot_login_t  *login = ctx->login;

    ngx_http_kot_session_int_reply(r, data, reply);

    if (ctx->rc != NGX_OK || reply->type != REDIS_REPLY_ARRAY
        || reply->elements < 2)
    {
        return;
    }

    login->evicted = ngx_palloc(r->pool,
                                (reply->elements - 1) * sizeof(ngx_str_t));
    if (login->evicted == NULL) {
        return;
    }

    for (i = 1; i < reply->elements; i++) {
        if (ngx_http_kot_redis_str(r, reply->element[i],
                                   &login->evicted[login->nevicted])
            == NGX_OK)
        {
            login->nevicted++;
        }
    }
}


/* The record of each session that a login ended under kot_max_sessions. */

void
ngx_http_kot_session_evicted(ngx_http_request_t *r,
    ngx_http_kot_login_t *login)
{
    ngx_uint_t                i;
    ngx_http_kot_event_t      ev;
    ngx_http_kot_loc_conf_t  *klcf;

    klcf = ngx_http_get_module_loc_conf(r, ngx_http_kot_module);

    for (i = 0; i < login->nevicted; i++) {
        ngx_memzero(&ev, sizeof(ngx_http_kot_event_t));
        ev.action = "session_evicted";
        ev.category = "session";
        ev.outcome = "success";
        ev.reason = "max_sessions";
        ev.user = &login->user;
        ev.tenant = &login->tenant;
        ev.fields = json_pack("{s:s%,s:I}", "kot.evicted_session",
                              (char *) login->evicted[i].data,
                              login->evicted[i].len, "kot.max_sessions",
                              (json_int_t) klcf->max_sessions);

        ngx_http_kot_event(r, &ev, "session %V of user \"%V\" of tenant "
                           "\"%V\" ended: kot_max_sessions is %ui",
                           &login->evicted[i], &login->user, &login->tenant,
                           klcf->max_sessions);
    }
}


/* kot_max_sessions number [evict_oldest | refuse] | off; */

char *
ngx_http_kot_max_sessions(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_kot_loc_conf_t *klcf = conf;

    ngx_int_t   n;
    ngx_str_t  *value;

    if (klcf->max_sessions != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (cf->args->nelts == 2 && ngx_strcmp(value[1].data, "off") == 0) {
        klcf->max_sessions = 0;
        return NGX_CONF_OK;
    }

    n = ngx_atoi(value[1].data, value[1].len);

    if (n == NGX_ERROR || n == 0 || n > 1000) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "kot_max_sessions \"%V\": give the number of "
                           "sessions a user may have at once (1 to 1000), "
                           "or \"off\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    klcf->max_sessions = n;
    klcf->max_sessions_refuse = 0;

    if (cf->args->nelts == 2
        || ngx_strcmp(value[2].data, "evict_oldest") == 0)
    {
        return NGX_CONF_OK;
    }

    if (ngx_strcmp(value[2].data, "refuse") == 0) {
        klcf->max_sessions_refuse = 1;
        return NGX_CONF_OK;
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "kot_max_sessions: \"%V\" is neither "
                       "\"evict_oldest\" (a new login ends the oldest "
                       "session) nor \"refuse\" (a new login is refused)",
                       &value[2]);

    return NGX_CONF_ERROR;
}


ngx_int_t
ngx_http_kot_session_destroy(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_str_t            sid;
    ngx_http_kot_redis_args_t  a;

    sid.data = ctx->session.sid;
    sid.len = KOT_SID_B64_LEN;

    a.argc = 0;

    if (ngx_http_kot_redis_key(r, &a, KOT_KEY_SESSION, &sid, NULL) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_kot_redis_arg(&a, sid.data, sid.len);

    ngx_http_kot_cache_forget(sid.data);

    return ngx_http_kot_redis_script(r, KOT_SCRIPT_SESSION_DESTROY,
                                     ngx_http_kot_session_destroy_reply, ctx,
                                     &ctx->done, 1, &a);
}


/*
 * Stores a new password hash, keeps the old one among the "keep" earlier
 * hashes, ends every session of the user and moves the current one to a
 * new id.  ctx->rc: NGX_OK, with the other sessions ended in
 * ctx->portal->ended; NGX_DECLINED when the password or the session
 * changed meanwhile; NGX_ERROR.
 */

ngx_int_t
ngx_http_kot_session_change_password(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx, ngx_str_t *old_hash, ngx_str_t *new_hash,
    ngx_uint_t keep)
{
    ngx_str_t                 sid, old;
    ngx_http_kot_redis_args_t       a;
    ngx_http_kot_session_t   *s;
    ngx_http_kot_loc_conf_t  *klcf;

    klcf = ngx_http_get_module_loc_conf(r, ngx_http_kot_module);
    s = &ctx->session;

    if (ngx_http_kot_session_rotate(r, s, &old) != NGX_OK) {
        return NGX_ERROR;
    }

    sid.data = s->sid;
    sid.len = KOT_SID_B64_LEN;

    a.argc = 0;

    if (ngx_http_kot_redis_key(r, &a, KOT_KEY_USER, &s->tenant, &s->user)
        != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_USER_SESSIONS, &s->tenant,
                                &s->user)
           != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_SESSION, &old, NULL) != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_SESSION, &sid, NULL) != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_HISTORY, &s->tenant,
                                  &s->user)
           != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_FAILURES, &s->tenant,
                                  &s->user)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_http_kot_redis_arg(&a, new_hash->data, new_hash->len);

    if (ngx_http_kot_redis_num(r, &a, ngx_http_kot_now()) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_kot_redis_arg(&a, old_hash->data, old_hash->len);
    ngx_http_kot_redis_arg(&a, sid.data, sid.len);

    if (ngx_http_kot_redis_num(r, &a, klcf->idle_timeout) != NGX_OK
        || ngx_http_kot_redis_num(r, &a, klcf->absolute_timeout) != NGX_OK
        || ngx_http_kot_redis_num(r, &a, keep) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_kot_redis_script(r, KOT_SCRIPT_PASSWORD_CHANGE,
                                     ngx_http_kot_session_ended_reply, ctx,
                                     &ctx->done, 6, &a);
}


/* {1, tenant, user} when the session existed: whose session ended */

static void
ngx_http_kot_session_destroy_reply(ngx_http_request_t *r, void *data,
    redisReply *reply)
{
    ngx_http_kot_ctx_t  *ctx = data;

    ngx_http_kot_session_int_reply(r, data, reply);

    if (ctx->rc == NGX_OK && reply->elements == 3) {
        (void) ngx_http_kot_redis_str(r, reply->element[1],
                                      &ctx->session.tenant);
        (void) ngx_http_kot_redis_str(r, reply->element[2],
                                      &ctx->session.user);
    }
}


/* Scripts that answer 1 for done, 0 or less for "not done". */

void
ngx_http_kot_session_int_reply(ngx_http_request_t *r, void *data,
    redisReply *reply)
{
    ngx_http_kot_ctx_t  *ctx = data;

    if (reply == NULL) {
        ctx->rc = NGX_ERROR;
        return;
    }

    if (reply->type == REDIS_REPLY_ARRAY && reply->elements > 0) {
        reply = reply->element[0];
    }

    if (reply->type != REDIS_REPLY_INTEGER) {
        ctx->rc = NGX_ERROR;
        return;
    }

    ctx->result = reply->integer;
    ctx->rc = (reply->integer == 1) ? NGX_OK : NGX_DECLINED;
}


/* {1, n}: n in *n; anything else as ngx_http_kot_session_int_reply() */

void
ngx_http_kot_session_pair(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx,
    redisReply *reply, ngx_int_t *n)
{
    ngx_http_kot_session_int_reply(r, ctx, reply);

    if (ctx->rc != NGX_OK) {
        return;
    }

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2
        || reply->element[1]->type != REDIS_REPLY_INTEGER)
    {
        ctx->rc = NGX_ERROR;
        return;
    }

    *n = reply->element[1]->integer;
}


/*
 * A change of the user's own password or MFA: {1, the user's other
 * sessions that it ended}, or why nothing changed
 */

void
ngx_http_kot_session_ended_reply(ngx_http_request_t *r, void *data,
    redisReply *reply)
{
    ngx_http_kot_ctx_t     *ctx = data;
    ngx_http_kot_portal_t  *pt = ctx->portal;

    ngx_http_kot_session_pair(r, ctx, reply, &pt->ended);
}


ngx_int_t
ngx_http_kot_cookie(ngx_http_request_t *r, const char *name,
    ngx_str_t *value)
{
    size_t                    len;
    ngx_uint_t                i;
    ngx_table_elt_t         **h;
    const char               *v;
    ngx_http_kot_loc_conf_t  *klcf;

    klcf = ngx_http_get_module_loc_conf(r, ngx_http_kot_module);

    if (klcf->insecure_cookie) {
        name += NGX_HTTP_KOT_PREFIX_LEN;
    }

    len = ngx_strlen(name);
    h = r->headers_in.cookies.elts;

    for (i = 0; i < r->headers_in.cookies.nelts; i++) {
        if (kot_cookie_find((char *) h[i]->value.data, h[i]->value.len,
                            name, len, &v, &value->len))
        {
            value->data = (u_char *) v;
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
}


/*
 * Sets (len > 0) or clears (len == 0) one of our cookies.  Without
 * kot_insecure_cookie the name carries the "__Host-" prefix, which makes
 * browsers insist on Secure, Path=/ and no Domain.
 */

ngx_int_t
ngx_http_kot_set_cookie(ngx_http_request_t *r, const char *name,
    u_char *value, size_t len)
{
    u_char                   *p;
    size_t                    size;
    ngx_table_elt_t          *h;
    ngx_http_kot_loc_conf_t  *klcf;

    static const char  attrs[] = "; Path=/; HttpOnly; SameSite=Lax";
    static const char  secure[] = "; Secure";
    static const char  clear[] = "; Max-Age=0";

    klcf = ngx_http_get_module_loc_conf(r, ngx_http_kot_module);

    if (klcf->insecure_cookie) {
        name += NGX_HTTP_KOT_PREFIX_LEN;
    }

    size = ngx_strlen(name) + 1 + len + sizeof(attrs) - 1
           + sizeof(secure) - 1 + sizeof(clear) - 1;

    p = ngx_pnalloc(r->pool, size);
    if (p == NULL) {
        return NGX_ERROR;
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Set-Cookie");
    h->value.data = p;

    p = ngx_sprintf(p, "%s=", name);
    p = ngx_cpymem(p, value, len);
    p = ngx_cpymem(p, attrs, sizeof(attrs) - 1);

    if (!klcf->insecure_cookie) {
        p = ngx_cpymem(p, secure, sizeof(secure) - 1);
    }

    if (len == 0) {
        p = ngx_cpymem(p, clear, sizeof(clear) - 1);
    }

    h->value.len = p - h->value.data;

    return NGX_OK;
}


/*
 * CSRF tokens are MACs of a secret the browser holds in an HttpOnly
 * cookie (the session id, or the pre-login cookie), so a page on another
 * site can neither read nor compute them, and nothing is stored.
 */

ngx_int_t
ngx_http_kot_csrf(ngx_http_request_t *r, const char *purpose, u_char *secret,
    size_t len, u_char *out)
{
    u_char                    msg[64 + 1];
    u_char                    mac[KOT_MAC_LEN];
    size_t                    plen;
    ngx_http_kot_main_conf_t *kmcf;

    kmcf = ngx_http_get_module_main_conf(r, ngx_http_kot_module);

    plen = ngx_strlen(purpose);

    if (plen > 64 || len > KOT_SID_B64_LEN) {
        return NGX_ERROR;
    }

    ngx_memcpy(msg, purpose, plen);
    msg[plen] = ':';

    kot_hmac_mac(&kmcf->csrf_key, msg, plen + 1, secret, len, mac);

    kot_b64url_encode((char *) out, mac, sizeof(mac));

    return NGX_OK;
}


ngx_int_t
ngx_http_kot_csrf_ok(ngx_http_request_t *r, const char *purpose,
    u_char *secret, size_t len, ngx_str_t *token)
{
    u_char  want[NGX_HTTP_KOT_CSRF_LEN];

    if (token->len != NGX_HTTP_KOT_CSRF_LEN
        || ngx_http_kot_csrf(r, purpose, secret, len, want) != NGX_OK)
    {
        return 0;
    }

    return kot_ct_equal(want, token->data, NGX_HTTP_KOT_CSRF_LEN);
}
