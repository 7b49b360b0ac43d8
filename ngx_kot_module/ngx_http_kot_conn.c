
/*
 * ngx_kot: long-lived requests end with their session.
 *
 * A request through "kot on" is long-lived when its response is "101
 * Switching Protocols" (a WebSocket) or a text/event-stream (server-sent
 * events).  The header filter below sees that, and only then does the
 * request get a record in the worker's index of sessions: a short
 * request costs a few comparisons in the filter and nothing else.
 *
 * A long poll shows nothing of the kind: its response, and with it the
 * end, comes late, that is all.  Recognising one unasked would need a
 * record or a timer for every protected request (which the other
 * requests would pay for), or a periodic walk of the worker's
 * connections (which reads nginx's internals to tell a request from an
 * idle connection, and does not see HTTP/2 streams).  So it is the
 * configuration that says so: in a location with kot_long_poll on, every
 * request is followed from its access check; elsewhere, nothing is.
 *
 * A session in the index is read again from Redis, with the script that
 * every request uses (session_check), when
 * - Redis announces that its key changed: the session cache's
 *   invalidations (ngx_http_kot_cache.c), which bring a logout, a
 *   revocation, a disabled user, a password change or a deletion made
 *   on any node to every worker, as fast as they empty its cache.  The
 *   read is tracked, so that the next change is announced too;
 * - every POLL ms while those announcements are not known to arrive
 *   (kot_session_cache off, the invalidation connection down or late);
 * - its idle end comes (other requests may have moved it), or the
 *   client sent something on one of its long-lived requests and a touch
 *   is due (kot_session_touch): that read touches the session, so that
 *   a user busy only on a WebSocket stays logged in over HTTP.  Only what
 *   the client sends counts: a page left open on a feed that the server
 *   keeps pushing would otherwise never reach its idle end.
 * Its absolute end needs no Redis.  When the session is over, each of its
 * requests in this worker is closed and recorded
 * (session_connection_closed, with the reason).  So is a session past its
 * idle end as last known, when Redis has not answered for GRACE ms
 * since: it fails closed, as requests get 503 then.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_kot_module.h"


#define NGX_HTTP_KOT_CONN_POLL  100

/* past its idle end with no word from Redis for this long: closed */
#define NGX_HTTP_KOT_CONN_GRACE 1000


typedef struct ngx_http_kot_watch_s  ngx_http_kot_watch_t;


/* a long-lived request */
struct ngx_http_kot_conn_s {
    ngx_queue_t                 link;       /* in its session's */
    ngx_http_request_t         *request;
    ngx_http_kot_ctx_t         *ctx;
    ngx_http_kot_watch_t       *watch;
    ngx_event_t                 timer;
    off_t                       sent;       /* by the client, so far */
    unsigned                    passive:1;  /* kot_activity off */
};


/* a session with long-lived requests in this worker */
struct ngx_http_kot_watch_s {
    ngx_str_node_t              sn;         /* key: the sid */
    u_char                      sid[KOT_SID_B64_LEN];
    ngx_queue_t                 conns;
    ngx_event_t                 ended;      /* posted when it is over */
    const char                 *reason;
    uint64_t                    created;    /* as last known: the check */
    uint64_t                    last;       /* activity, as last known */
    ngx_msec_t                  idle;
    ngx_msec_t                  absolute;
    ngx_msec_t                  touch;
    unsigned                    checking:1;
    unsigned                    again:1;    /* changed while checking */
    unsigned                    active:1;   /* the client sent since */
    unsigned                    ending:1;
};


static ngx_int_t ngx_http_kot_conn_header_filter(ngx_http_request_t *r);
static const char *ngx_http_kot_conn_kind(ngx_http_request_t *r);
static off_t ngx_http_kot_conn_sent(ngx_http_request_t *r);
static void ngx_http_kot_conn_tick(ngx_event_t *ev);
static void ngx_http_kot_conn_arm(ngx_http_kot_conn_t *k, uint64_t now);
static ngx_msec_t ngx_http_kot_conn_left(uint64_t end, uint64_t now);
static void ngx_http_kot_conn_unlink(ngx_http_kot_conn_t *k);
static void ngx_http_kot_conn_close(ngx_http_kot_conn_t *k,
    const char *reason);
static void ngx_http_kot_conn_poll(ngx_event_t *ev);
static ngx_http_kot_watch_t *ngx_http_kot_watch_find(u_char *sid);
static ngx_http_kot_watch_t *ngx_http_kot_watch_add(u_char *sid,
    ngx_http_kot_loc_conf_t *klcf);
static void ngx_http_kot_watch_free(ngx_http_kot_watch_t *w);
static void ngx_http_kot_watch_check(ngx_http_kot_watch_t *w,
    ngx_uint_t touch);
static void ngx_http_kot_watch_reply(redisAsyncContext *ac, void *reply,
    void *privdata);
static void ngx_http_kot_watch_times(ngx_http_kot_watch_t *w,
    uint64_t created, uint64_t last);
static const char *ngx_http_kot_watch_why(ngx_http_kot_watch_t *w);
static void ngx_http_kot_watch_ended(ngx_event_t *ev);
static void ngx_http_kot_watch_end(ngx_http_kot_watch_t *w,
    const char *reason);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;

static ngx_rbtree_t        ngx_http_kot_watches;
static ngx_rbtree_node_t   ngx_http_kot_watches_sentinel;
static ngx_uint_t          ngx_http_kot_nwatches;
static ngx_event_t         ngx_http_kot_conn_poll_ev;
static ngx_log_t          *ngx_http_kot_conn_log;


ngx_int_t
ngx_http_kot_conn_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_kot_conn_header_filter;

    return NGX_OK;
}


void
ngx_http_kot_conn_init_process(ngx_cycle_t *cycle)
{
    ngx_rbtree_init(&ngx_http_kot_watches, &ngx_http_kot_watches_sentinel,
                    ngx_str_rbtree_insert_value);

    ngx_http_kot_conn_log = cycle->log;

    ngx_http_kot_conn_poll_ev.handler = ngx_http_kot_conn_poll;
    ngx_http_kot_conn_poll_ev.log = cycle->log;
    ngx_http_kot_conn_poll_ev.cancelable = 1;
}


static ngx_int_t
ngx_http_kot_conn_header_filter(ngx_http_request_t *r)
{
    ngx_http_kot_ctx_t  *ctx;

    if (r == r->main && ngx_http_kot_conn_kind(r)) {
        ctx = ngx_http_get_module_ctx(r, ngx_http_kot_module);

        if (ctx && ctx->checked && ctx->conn == NULL && ctx->rc == NGX_OK
            && ctx->session.status == KOT_SESSION_OK
            && ngx_http_kot_conn_add(r, ctx) != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return ngx_http_next_header_filter(r);
}


/* What a response says of its request: long-lived, or NULL. */

static const char *
ngx_http_kot_conn_kind(ngx_http_request_t *r)
{
    ngx_str_t  *type;

    static const char  sse[] = "text/event-stream";

    if (r->headers_out.status == NGX_HTTP_SWITCHING_PROTOCOLS) {
        return "upgraded";
    }

    type = &r->headers_out.content_type;

    if (type->len >= sizeof(sse) - 1
        && ngx_strncasecmp(type->data, (u_char *) sse, sizeof(sse) - 1) == 0)
    {
        return "stream";
    }

    return NULL;
}


/* The request, passed by "kot on", is followed until it ends. */

ngx_int_t
ngx_http_kot_conn_add(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_conn_t      *k;
    ngx_http_kot_watch_t     *w;
    ngx_http_kot_loc_conf_t  *klcf;

    klcf = ngx_http_get_module_loc_conf(r, ngx_http_kot_module);

    /* the portal's and kot_admin's own answers are never long-lived */
    if (!klcf->enable || klcf->portal.len || klcf->admin.len) {
        return NGX_OK;
    }

    k = ngx_pcalloc(r->pool, sizeof(ngx_http_kot_conn_t));
    if (k == NULL) {
        return NGX_ERROR;
    }

    w = ngx_http_kot_watch_find(ctx->session.sid);

    if (w == NULL) {
        w = ngx_http_kot_watch_add(ctx->session.sid, klcf);
        if (w == NULL) {
            return NGX_ERROR;
        }

        /*
         * The times that the request's own check found: its ends hold
         * even if Redis stalls before it answers the read below.
         */
        w->created = ctx->session.created;
        w->last = ctx->session.last;

        /* as it is now, and tracked: the next change is announced */
        ngx_http_kot_watch_check(w, 0);
    }

    k->request = r;
    k->ctx = ctx;
    k->watch = w;
    k->sent = ngx_http_kot_conn_sent(r);
    k->passive = !klcf->activity;

    k->timer.handler = ngx_http_kot_conn_tick;
    k->timer.data = k;
    k->timer.log = r->connection->log;
    k->timer.cancelable = 1;

    ngx_queue_insert_tail(&w->conns, &k->link);
    ctx->conn = k;

    ngx_http_kot_conn_arm(k, ngx_http_kot_now());

    return NGX_OK;
}


/*
 * What the client sent upstream since the response began: an upgraded
 * connection writes it to the upstream's socket, which counts it.
 */

static off_t
ngx_http_kot_conn_sent(ngx_http_request_t *r)
{
    ngx_http_upstream_t  *u = r->upstream;

    return (u && u->peer.connection) ? u->peer.connection->sent : 0;
}


static void
ngx_http_kot_conn_tick(ngx_event_t *ev)
{
    off_t                  sent;
    uint64_t               now;
    ngx_http_kot_conn_t   *k = ev->data;
    ngx_http_kot_watch_t  *w = k->watch;

    now = ngx_http_kot_now();

    if (w->created && ngx_http_kot_conn_left(w->created + w->absolute, now)
                      == 0)
    {
        ngx_http_kot_watch_end(w, "absolute");
        return;
    }

    if (w->created
        && ngx_http_kot_conn_left(w->last + w->idle + NGX_HTTP_KOT_CONN_GRACE,
                                  now)
           == 0)
    {
        ngx_http_kot_watch_end(w, "unavailable");
        return;
    }

    sent = ngx_http_kot_conn_sent(k->request);

    if (sent != k->sent) {
        k->sent = sent;
        w->active |= !k->passive;
    }

    if (w->created == 0
        || ngx_http_kot_conn_left(w->last + w->idle, now) == 0
        || (w->active && ngx_http_kot_conn_left(w->last + w->touch, now)
                         == 0))
    {
        ngx_http_kot_watch_check(w, w->active);
    }

    ngx_http_kot_conn_arm(k, now);
}


/*
 * The next look: a touch period away, or the session's next end (past
 * the idle end, while Redis is asked, the end of the grace).
 */

static void
ngx_http_kot_conn_arm(ngx_http_kot_conn_t *k, uint64_t now)
{
    ngx_msec_t             t, idle;
    ngx_http_kot_watch_t  *w = k->watch;

    t = w->touch;

    if (w->created) {
        idle = ngx_http_kot_conn_left(w->last + w->idle, now);

        if (idle == 0) {
            idle = ngx_http_kot_conn_left(w->last + w->idle
                                          + NGX_HTTP_KOT_CONN_GRACE, now);
        }

        t = ngx_min(t, idle);
        t = ngx_min(t, ngx_http_kot_conn_left(w->created + w->absolute,
                                              now));
    }

    ngx_add_timer(&k->timer, ngx_max(t, 1));
}


static ngx_msec_t
ngx_http_kot_conn_left(uint64_t end, uint64_t now)
{
    return (end > now) ? (ngx_msec_t) (end - now) : 0;
}


/* The request ends by itself. */

void
ngx_http_kot_conn_remove(ngx_http_kot_conn_t *k)
{
    ngx_http_kot_watch_t  *w = k->watch;

    ngx_http_kot_conn_unlink(k);

    if (ngx_queue_empty(&w->conns) && !w->ending) {
        ngx_http_kot_watch_free(w);
    }
}


static void
ngx_http_kot_conn_unlink(ngx_http_kot_conn_t *k)
{
    ngx_queue_remove(&k->link);

    if (k->timer.timer_set) {
        ngx_del_timer(&k->timer);
    }

    k->ctx->conn = NULL;
}


static void
ngx_http_kot_conn_close(ngx_http_kot_conn_t *k, const char *reason)
{
    const char              *kind;
    ngx_connection_t        *c;
    ngx_http_request_t      *r = k->request;
    ngx_http_kot_event_t     ev;
    ngx_http_kot_session_t  *s = &k->ctx->session;

    ngx_http_kot_conn_unlink(k);

    c = r->connection;
    ngx_http_set_log_request(c->log, r);

    kind = ngx_http_kot_conn_kind(r);

    if (kind == NULL) {
        kind = "long_poll";     /* kot_long_poll */
    }

    ngx_memzero(&ev, sizeof(ngx_http_kot_event_t));
    ev.action = "session_connection_closed";
    ev.category = "session";
    ev.outcome = "success";
    ev.reason = reason;
    ev.fields = json_pack("{s:s}", "kot.connection", kind);

    ngx_http_kot_event(r, &ev, "session %*s of user \"%V\" in tenant \"%V\" "
                       "is over (%s): its %s request is closed",
                       (size_t) KOT_SID_SHORT_LEN, s->sid, &s->user,
                       &s->tenant, reason, kind);

    /*
     * Terminated as when the client fails.  The upstream's cleanup then
     * finalizes the request first, which would free it (or keep its
     * connection alive) under the terminating code: this reference keeps
     * the request until the terminal handler, which closes the
     * connection.
     */
    r->main->count++;
    r->keepalive = 0;

    ngx_http_finalize_request(r, NGX_HTTP_CLOSE);
    ngx_http_run_posted_requests(c);
}


/*
 * Every POLL ms while there are sessions to watch: when Redis's
 * announcements are not known to arrive, each is read again.
 */

static void
ngx_http_kot_conn_poll(ngx_event_t *ev)
{
    if (ngx_http_kot_nwatches == 0) {
        return;
    }

    if (!ngx_http_kot_cache_enabled() || !ngx_http_kot_redis_fresh()) {
        ngx_http_kot_conn_recheck();
    }

    ngx_add_timer(ev, NGX_HTTP_KOT_CONN_POLL);
}


/* Redis announced a change of the session's key. */

void
ngx_http_kot_conn_changed(u_char *sid)
{
    ngx_http_kot_watch_t  *w;

    w = ngx_http_kot_watch_find(sid);

    if (w) {
        ngx_http_kot_watch_check(w, 0);
    }
}


/* Every session read again: what was tracked is unknown. */

void
ngx_http_kot_conn_recheck(void)
{
    ngx_rbtree_node_t  *node;

    if (ngx_http_kot_nwatches == 0) {
        return;
    }

    for (node = ngx_rbtree_min(ngx_http_kot_watches.root,
                               ngx_http_kot_watches.sentinel);
         node;
         node = ngx_rbtree_next(&ngx_http_kot_watches, node))
    {
        ngx_http_kot_watch_check((ngx_http_kot_watch_t *) node, 0);
    }
}


static ngx_http_kot_watch_t *
ngx_http_kot_watch_find(u_char *sid)
{
    ngx_str_t  s;

    if (ngx_http_kot_nwatches == 0) {
        return NULL;
    }

    s.data = sid;
    s.len = KOT_SID_B64_LEN;

    return (ngx_http_kot_watch_t *)
           ngx_str_rbtree_lookup(&ngx_http_kot_watches, &s,
                                 ngx_crc32_short(sid, KOT_SID_B64_LEN));
}


static ngx_http_kot_watch_t *
ngx_http_kot_watch_add(u_char *sid, ngx_http_kot_loc_conf_t *klcf)
{
    ngx_http_kot_watch_t  *w;

    w = ngx_calloc(sizeof(ngx_http_kot_watch_t), ngx_http_kot_conn_log);
    if (w == NULL) {
        return NULL;
    }

    ngx_memcpy(w->sid, sid, KOT_SID_B64_LEN);
    w->sn.str.data = w->sid;
    w->sn.str.len = KOT_SID_B64_LEN;
    w->sn.node.key = ngx_crc32_short(sid, KOT_SID_B64_LEN);

    ngx_queue_init(&w->conns);

    w->ended.handler = ngx_http_kot_watch_ended;
    w->ended.data = w;
    w->ended.log = ngx_http_kot_conn_log;

    w->idle = klcf->idle_timeout;
    w->absolute = klcf->absolute_timeout;
    w->touch = ngx_http_kot_session_touch(klcf);

    ngx_rbtree_insert(&ngx_http_kot_watches, &w->sn.node);

    if (ngx_http_kot_nwatches++ == 0 && !ngx_http_kot_conn_poll_ev.timer_set)
    {
        ngx_add_timer(&ngx_http_kot_conn_poll_ev, NGX_HTTP_KOT_CONN_POLL);
    }

    return w;
}


static void
ngx_http_kot_watch_free(ngx_http_kot_watch_t *w)
{
    if (w->ended.posted) {
        ngx_delete_posted_event(&w->ended);
    }

    ngx_rbtree_delete(&ngx_http_kot_watches, &w->sn.node);
    ngx_http_kot_nwatches--;

    ngx_free(w);
}


/*
 * The session read from Redis, touched if the client was active.  One
 * read at a time per session; a change announced meanwhile asks for
 * another, since the reply may predate it.
 */

static void
ngx_http_kot_watch_check(ngx_http_kot_watch_t *w, ngx_uint_t touch)
{
    u_char                     *sid, *sha1, *p;
    u_char                      key[sizeof(KOT_KEY_SESSION) - 1
                                    + KOT_SID_B64_LEN];
    u_char                      num[4 * NGX_INT64_LEN], *n;
    uint64_t                    args[4];
    ngx_uint_t                  i;
    ngx_http_kot_redis_args_t   a;

    if (w->checking) {
        w->again = 1;
        return;
    }

    args[0] = ngx_http_kot_now();
    args[1] = w->idle;
    args[2] = w->absolute;
    /* a session idle as long as its whole life is over: never touched */
    args[3] = touch ? w->touch : w->absolute;

    ngx_memcpy(ngx_cpymem(key, KOT_KEY_SESSION, sizeof(KOT_KEY_SESSION) - 1),
               w->sid, KOT_SID_B64_LEN);

    a.argc = 0;
    sha1 = (u_char *) kot_scripts[KOT_SCRIPT_SESSION_CHECK].sha1;

    ngx_http_kot_redis_arg(&a, (u_char *) "EVALSHA", 7);
    ngx_http_kot_redis_arg(&a, sha1, 40);
    ngx_http_kot_redis_arg(&a, (u_char *) "1", 1);
    ngx_http_kot_redis_arg(&a, key, sizeof(key));

    for (i = 0, n = num; i < 4; i++, n = p) {
        p = ngx_sprintf(n, "%uL", args[i]);
        ngx_http_kot_redis_arg(&a, n, p - n);
    }

    ngx_http_kot_redis_arg(&a, w->sid, KOT_SID_B64_LEN);

    /* the reply finds the session by its id: it may be gone by then */
    sid = ngx_alloc(KOT_SID_B64_LEN, ngx_http_kot_conn_log);
    if (sid == NULL) {
        return;
    }

    ngx_memcpy(sid, w->sid, KOT_SID_B64_LEN);

    (void) ngx_http_kot_redis_caching();

    if (ngx_http_kot_redis_call(&a, ngx_http_kot_watch_reply, sid)
        != NGX_OK)
    {
        /* Redis is down: the poll asks again */
        ngx_free(sid);
        return;
    }

    w->checking = 1;
    w->again = 0;

    if (touch) {
        w->active = 0;
    }
}


static void
ngx_http_kot_watch_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    u_char                *sid = privdata;
    ngx_int_t              status;
    redisReply            *rep = reply;
    ngx_http_kot_watch_t  *w;

    w = ngx_http_kot_watch_find(sid);

    ngx_free(sid);

    if (w == NULL) {
        return;
    }

    w->checking = 0;

    status = ngx_http_kot_session_reply(rep);

    /* no answer: asked again by the poll (Redis is not fresh) or a tick */
    if (status == NGX_ERROR || status == NGX_DECLINED) {
        return;
    }

    switch (status) {

    case KOT_SESSION_OK:
        ngx_http_kot_watch_times(w,
            ngx_http_kot_redis_uint(rep->element[KOT_SESSION_REPLY_CREATED]),
            ngx_http_kot_redis_uint(rep->element[KOT_SESSION_REPLY_LAST]));

        if (w->again) {
            ngx_http_kot_watch_check(w, 0);
        }

        return;

    case KOT_SESSION_IDLE:
        w->reason = "idle";
        break;

    case KOT_SESSION_ABSOLUTE:
        w->reason = "absolute";
        break;

    default:
        w->reason = ngx_http_kot_watch_why(w);
        break;
    }

    /* closing requests is no work for inside hiredis */
    ngx_post_event(&w->ended, &ngx_posted_events);
}


/*
 * The session's times as Redis has them.  An answer may bring its ends
 * closer than the timers, set before it from what the request's check
 * found (a session cache's copy), look: they are set again.
 */

static void
ngx_http_kot_watch_times(ngx_http_kot_watch_t *w, uint64_t created,
    uint64_t last)
{
    uint64_t              now;
    ngx_uint_t            closer;
    ngx_queue_t          *q;
    ngx_http_kot_conn_t  *k;

    closer = (w->created == 0 || created < w->created || last < w->last);

    w->created = created;
    w->last = last;

    if (!closer) {
        return;
    }

    now = ngx_http_kot_now();

    for (q = ngx_queue_head(&w->conns);
         q != ngx_queue_sentinel(&w->conns);
         q = ngx_queue_next(q))
    {
        k = ngx_queue_data(q, ngx_http_kot_conn_t, link);

        if (k->timer.timer_set) {
            ngx_del_timer(&k->timer);
        }

        ngx_http_kot_conn_arm(k, now);
    }
}


/*
 * Why a session that Redis no longer has ended.  Whoever first finds it
 * expired deletes it (another worker, another node): past its end as
 * last known, it expired; otherwise it was ended (a logout, a
 * revocation, a disabled user, a password change, a deletion).
 */

static const char *
ngx_http_kot_watch_why(ngx_http_kot_watch_t *w)
{
    uint64_t  now;

    now = ngx_http_kot_now();

    if (w->created == 0) {
        return "ended";
    }

    if (ngx_http_kot_conn_left(w->created + w->absolute, now) == 0) {
        return "absolute";
    }

    if (ngx_http_kot_conn_left(w->last + w->idle, now) == 0) {
        return "idle";
    }

    return "ended";
}


static void
ngx_http_kot_watch_ended(ngx_event_t *ev)
{
    ngx_http_kot_watch_t  *w = ev->data;

    ngx_http_kot_watch_end(w, w->reason);
}


static void
ngx_http_kot_watch_end(ngx_http_kot_watch_t *w, const char *reason)
{
    ngx_queue_t  *q;

    /* a close may end another of its requests: w stays until the last */
    w->ending = 1;

    while (!ngx_queue_empty(&w->conns)) {
        q = ngx_queue_head(&w->conns);
        ngx_http_kot_conn_close(ngx_queue_data(q, ngx_http_kot_conn_t, link),
                                reason);
    }

    ngx_http_kot_watch_free(w);
}
