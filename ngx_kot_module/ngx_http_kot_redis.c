
/*
 * ngx_kot: hiredis's async API on nginx events.
 *
 * Each worker keeps one pipelined connection.  hiredis owns the socket;
 * nginx gets a connection structure around the same fd so that the event
 * module can watch it.  Events are level-triggered because hiredis reads
 * at most 16k per call and expects to be called again while data remains.
 *
 * A command is an "op", allocated from the heap since hiredis may answer
 * after the request is gone.  The request's pool cleanup detaches the op;
 * a late reply then only frees it.  Every op has a timer; a timeout drops
 * the connection, which fails all pending ops at once instead of letting
 * each wait for its own timer behind a stalled server.  Reconnection backs
 * off from 100 ms to 2 s; while disconnected, commands fail at once.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_kot_module.h"


#define NGX_HTTP_KOT_REDIS_BACKOFF_MIN  100
#define NGX_HTTP_KOT_REDIS_BACKOFF_MAX  2000


typedef struct {
    ngx_http_request_t             *request;
    ngx_http_kot_redis_handler_pt   handler;
    void                           *data;
    ngx_event_t                    *done;
    ngx_pool_cleanup_t             *cleanup;
    ngx_event_t                     timer;
    unsigned                        in_redis:1;
} ngx_http_kot_redis_op_t;


typedef struct {
    ngx_http_kot_redis_conf_t      *conf;
    redisAsyncContext              *ac;
    ngx_connection_t               *conn;
    ngx_event_t                     timer;      /* connect, or reconnect */
    ngx_msec_t                      backoff;
    ngx_log_t                      *log;
    unsigned                        connected:1;
    unsigned                        exiting:1;
    unsigned                        failed_logged:1;
} ngx_http_kot_redis_t;


static void ngx_http_kot_redis_connect(ngx_http_kot_redis_t *rd);
static void ngx_http_kot_redis_schedule(ngx_http_kot_redis_t *rd);
static void ngx_http_kot_redis_timer_handler(ngx_event_t *ev);
static void ngx_http_kot_redis_setup(ngx_http_kot_redis_t *rd);
static void ngx_http_kot_redis_setup_handler(redisAsyncContext *ac,
    void *reply, void *privdata);
static void ngx_http_kot_redis_connected(const redisAsyncContext *ac,
    int status);
static void ngx_http_kot_redis_disconnected(const redisAsyncContext *ac,
    int status);
static void ngx_http_kot_redis_drop(ngx_http_kot_redis_t *rd,
    const char *why);
static void ngx_http_kot_redis_read_handler(ngx_event_t *ev);
static void ngx_http_kot_redis_write_handler(ngx_event_t *ev);
static void ngx_http_kot_redis_add_read(void *privdata);
static void ngx_http_kot_redis_del_read(void *privdata);
static void ngx_http_kot_redis_add_write(void *privdata);
static void ngx_http_kot_redis_del_write(void *privdata);
static void ngx_http_kot_redis_cleanup(void *privdata);
static void ngx_http_kot_redis_reply(redisAsyncContext *ac, void *reply,
    void *privdata);
static void ngx_http_kot_redis_op_timeout(ngx_event_t *ev);
static void ngx_http_kot_redis_op_finish(ngx_http_kot_redis_op_t *op,
    redisReply *reply);
static void ngx_http_kot_redis_op_detach(void *data);


static ngx_http_kot_redis_t  ngx_http_kot_redis;


ngx_int_t
ngx_http_kot_redis_init_worker(ngx_cycle_t *cycle,
    ngx_http_kot_redis_conf_t *conf)
{
    ngx_http_kot_redis_t  *rd = &ngx_http_kot_redis;

    ngx_memzero(rd, sizeof(ngx_http_kot_redis_t));

    rd->conf = conf;
    rd->log = cycle->log;
    rd->backoff = NGX_HTTP_KOT_REDIS_BACKOFF_MIN;

    rd->timer.handler = ngx_http_kot_redis_timer_handler;
    rd->timer.data = rd;
    rd->timer.log = cycle->log;
    rd->timer.cancelable = 1;

    ngx_http_kot_redis_connect(rd);

    return NGX_OK;
}


void
ngx_http_kot_redis_exit_worker(ngx_cycle_t *cycle)
{
    ngx_http_kot_redis_t  *rd = &ngx_http_kot_redis;

    rd->exiting = 1;

    if (rd->timer.timer_set) {
        ngx_del_timer(&rd->timer);
    }

    if (rd->ac) {
        /* the last anchors, if the socket takes them now */
        if (rd->connected) {
            redisAsyncHandleWrite(rd->ac);
        }

        if (rd->ac) {
            redisAsyncFree(rd->ac);
        }
    }
}


static void
ngx_http_kot_redis_connect(ngx_http_kot_redis_t *rd)
{
    redisAsyncContext  *ac;
    ngx_connection_t   *c;

    if (rd->conf->unix_path.len) {
        ac = redisAsyncConnectUnix((char *) rd->conf->unix_path.data);

    } else {
        ac = redisAsyncConnect((char *) rd->conf->host.data, rd->conf->port);
    }

    if (ac == NULL || ac->err) {
        if (!rd->failed_logged) {
            ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                          "kot: cannot connect to redis at \"%V\": %s",
                          &rd->conf->name, ac ? ac->errstr : "no memory");
            rd->failed_logged = 1;
        }

        if (ac) {
            redisAsyncFree(ac);
        }

        ngx_http_kot_redis_schedule(rd);
        return;
    }

    c = ngx_get_connection(ac->c.fd, rd->log);
    if (c == NULL) {
        redisAsyncFree(ac);
        ngx_http_kot_redis_schedule(rd);
        return;
    }

    c->data = rd;
    c->read->handler = ngx_http_kot_redis_read_handler;
    c->write->handler = ngx_http_kot_redis_write_handler;
    c->read->log = rd->log;
    c->write->log = rd->log;

    rd->ac = ac;
    rd->conn = c;
    rd->connected = 0;

    ac->data = rd;
    ac->ev.data = rd;
    ac->ev.addRead = ngx_http_kot_redis_add_read;
    ac->ev.delRead = ngx_http_kot_redis_del_read;
    ac->ev.addWrite = ngx_http_kot_redis_add_write;
    ac->ev.delWrite = ngx_http_kot_redis_del_write;
    ac->ev.cleanup = ngx_http_kot_redis_cleanup;

    redisAsyncSetConnectCallback(ac, ngx_http_kot_redis_connected);
    redisAsyncSetDisconnectCallback(ac, ngx_http_kot_redis_disconnected);

    /* these go out first, ahead of any request's command */
    ngx_http_kot_redis_setup(rd);

    ngx_add_timer(&rd->timer, rd->conf->timeout);
}


/* AUTH, SELECT and SCRIPT LOAD, pipelined before anything else. */

static void
ngx_http_kot_redis_setup(ngx_http_kot_redis_t *rd)
{
    int                         argc;
    u_char                      db[NGX_INT_T_LEN];
    size_t                      argvlen[3];
    ngx_uint_t                  i;
    const char                 *argv[3];
    ngx_http_kot_redis_conf_t  *conf = rd->conf;

    if (conf->password.len) {
        argc = 0;
        argv[argc] = "AUTH";
        argvlen[argc++] = 4;

        if (conf->user.len) {
            argv[argc] = (char *) conf->user.data;
            argvlen[argc++] = conf->user.len;
        }

        argv[argc] = (char *) conf->password.data;
        argvlen[argc++] = conf->password.len;

        redisAsyncCommandArgv(rd->ac, ngx_http_kot_redis_setup_handler,
                              "AUTH", argc, argv, argvlen);
    }

    if (conf->db) {
        argv[0] = "SELECT";
        argvlen[0] = 6;
        argv[1] = (char *) db;
        argvlen[1] = ngx_sprintf(db, "%i", conf->db) - db;

        redisAsyncCommandArgv(rd->ac, ngx_http_kot_redis_setup_handler,
                              "SELECT", 2, argv, argvlen);
    }

    for (i = 0; i < KOT_SCRIPT_N; i++) {
        argv[0] = "SCRIPT";
        argvlen[0] = 6;
        argv[1] = "LOAD";
        argvlen[1] = 4;
        argv[2] = kot_scripts[i].source;
        argvlen[2] = ngx_strlen(kot_scripts[i].source);

        redisAsyncCommandArgv(rd->ac, ngx_http_kot_redis_setup_handler,
                              "SCRIPT LOAD", 3, argv, argvlen);
    }
}


static void
ngx_http_kot_redis_setup_handler(redisAsyncContext *ac, void *reply,
    void *privdata)
{
    redisReply            *rep = reply;
    ngx_http_kot_redis_t  *rd = ac->data;

    if (rep == NULL || rep->type != REDIS_REPLY_ERROR) {
        return;
    }

    /* a wrong password or db is a configuration error: say it loudly */
    ngx_log_error(NGX_LOG_ALERT, rd->log, 0,
                  "kot: redis at \"%V\" refused %s: %s",
                  &rd->conf->name, (char *) privdata, rep->str);

    redisAsyncFree(ac);
}


static void
ngx_http_kot_redis_connected(const redisAsyncContext *ac, int status)
{
    ngx_http_kot_redis_t  *rd = ac->data;

    if (status != REDIS_OK) {
        /* hiredis frees the context next; cleanup() reschedules */
        if (!rd->failed_logged) {
            ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                          "kot: cannot connect to redis at \"%V\": %s",
                          &rd->conf->name, ac->errstr);
            rd->failed_logged = 1;
        }

        return;
    }

    if (rd->failed_logged) {
        ngx_log_error(NGX_LOG_NOTICE, rd->log, 0,
                      "kot: connected to redis at \"%V\" again",
                      &rd->conf->name);
    }

    rd->connected = 1;
    rd->failed_logged = 0;
    rd->backoff = NGX_HTTP_KOT_REDIS_BACKOFF_MIN;

    if (rd->timer.timer_set) {
        ngx_del_timer(&rd->timer);
    }
}


static void
ngx_http_kot_redis_disconnected(const redisAsyncContext *ac, int status)
{
    ngx_http_kot_redis_t  *rd = ac->data;

    if (status != REDIS_OK && !rd->exiting) {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "kot: lost connection to redis at \"%V\": %s",
                      &rd->conf->name, ac->errstr);
        rd->failed_logged = 1;
    }
}


/* The connect timer; after a failure, the same timer retries. */

static void
ngx_http_kot_redis_timer_handler(ngx_event_t *ev)
{
    ngx_http_kot_redis_t  *rd = ev->data;

    if (rd->ac) {
        ngx_http_kot_redis_drop(rd, "connect timed out");
        return;
    }

    ngx_http_kot_redis_connect(rd);
}


static void
ngx_http_kot_redis_schedule(ngx_http_kot_redis_t *rd)
{
    if (rd->exiting || ngx_exiting || ngx_terminate || ngx_quit) {
        return;
    }

    if (rd->timer.timer_set) {
        ngx_del_timer(&rd->timer);
    }

    ngx_add_timer(&rd->timer, rd->backoff);

    rd->backoff = ngx_min(rd->backoff * 2, NGX_HTTP_KOT_REDIS_BACKOFF_MAX);
}


/* Fails every pending command now; cleanup() then schedules a retry. */

static void
ngx_http_kot_redis_drop(ngx_http_kot_redis_t *rd, const char *why)
{
    if (rd->ac == NULL) {
        return;
    }

    ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                  "kot: redis at \"%V\": %s, reconnecting",
                  &rd->conf->name, why);
    rd->failed_logged = 1;

    redisAsyncFree(rd->ac);
}


static void
ngx_http_kot_redis_read_handler(ngx_event_t *ev)
{
    ngx_connection_t      *c = ev->data;
    ngx_http_kot_redis_t  *rd = c->data;

    redisAsyncHandleRead(rd->ac);
}


static void
ngx_http_kot_redis_write_handler(ngx_event_t *ev)
{
    ngx_connection_t      *c = ev->data;
    ngx_http_kot_redis_t  *rd = c->data;

    redisAsyncHandleWrite(rd->ac);
}


static void
ngx_http_kot_redis_add_read(void *privdata)
{
    ngx_http_kot_redis_t  *rd = privdata;

    if (!rd->conn->read->active) {
        (void) ngx_add_event(rd->conn->read, NGX_READ_EVENT, NGX_LEVEL_EVENT);
    }
}


static void
ngx_http_kot_redis_del_read(void *privdata)
{
    ngx_http_kot_redis_t  *rd = privdata;

    if (rd->conn->read->active) {
        (void) ngx_del_event(rd->conn->read, NGX_READ_EVENT, 0);
    }
}


static void
ngx_http_kot_redis_add_write(void *privdata)
{
    ngx_http_kot_redis_t  *rd = privdata;

    if (!rd->conn->write->active) {
        (void) ngx_add_event(rd->conn->write, NGX_WRITE_EVENT,
                             NGX_LEVEL_EVENT);
    }
}


static void
ngx_http_kot_redis_del_write(void *privdata)
{
    ngx_http_kot_redis_t  *rd = privdata;

    if (rd->conn->write->active) {
        (void) ngx_del_event(rd->conn->write, NGX_WRITE_EVENT, 0);
    }
}


/*
 * hiredis is about to close the fd and free the context: forget both.
 * The fd is still open here, but closing it removes it from epoll, so the
 * events need no epoll_ctl() (NGX_CLOSE_EVENT).
 */

static void
ngx_http_kot_redis_cleanup(void *privdata)
{
    ngx_connection_t      *c;
    ngx_http_kot_redis_t  *rd = privdata;

    c = rd->conn;

    if (c) {
        if (c->read->active) {
            (void) ngx_del_event(c->read, NGX_READ_EVENT, NGX_CLOSE_EVENT);
        }

        if (c->write->active) {
            (void) ngx_del_event(c->write, NGX_WRITE_EVENT, NGX_CLOSE_EVENT);
        }

        if (c->read->posted) {
            ngx_delete_posted_event(c->read);
        }

        if (c->write->posted) {
            ngx_delete_posted_event(c->write);
        }

        ngx_free_connection(c);
        c->fd = (ngx_socket_t) -1;
    }

    rd->ac = NULL;
    rd->conn = NULL;
    rd->connected = 0;

    ngx_http_kot_redis_schedule(rd);
}


ngx_int_t
ngx_http_kot_redis_command(ngx_http_request_t *r,
    ngx_http_kot_redis_handler_pt handler, void *data, ngx_event_t *done,
    ngx_http_kot_redis_args_t *a)
{
    ngx_http_kot_redis_t     *rd = &ngx_http_kot_redis;
    ngx_http_kot_redis_op_t  *op;

    if (a->argc > NGX_HTTP_KOT_REDIS_MAX_ARGS) {
        return NGX_ERROR;
    }

    if (rd->ac == NULL
        || (rd->ac->c.flags & (REDIS_DISCONNECTING|REDIS_FREEING)))
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "kot: redis at \"%V\" is unavailable",
                      &rd->conf->name);
        return NGX_ERROR;
    }

    op = ngx_calloc(sizeof(ngx_http_kot_redis_op_t), r->connection->log);
    if (op == NULL) {
        return NGX_ERROR;
    }

    op->cleanup = ngx_pool_cleanup_add(r->pool, 0);
    if (op->cleanup == NULL) {
        ngx_free(op);
        return NGX_ERROR;
    }

    if (redisAsyncCommandArgv(rd->ac, ngx_http_kot_redis_reply, op,
                              a->argc, a->argv, a->argvlen)
        != REDIS_OK)
    {
        ngx_free(op);
        return NGX_ERROR;
    }

    op->request = r;
    op->handler = handler;
    op->data = data;
    op->done = done;
    op->in_redis = 1;

    op->cleanup->handler = ngx_http_kot_redis_op_detach;
    op->cleanup->data = op;

    op->timer.handler = ngx_http_kot_redis_op_timeout;
    op->timer.data = op;
    op->timer.log = r->connection->log;

    ngx_add_timer(&op->timer, rd->conf->timeout);

    return NGX_OK;
}


void
ngx_http_kot_redis_fire(ngx_http_kot_redis_args_t *a)
{
    ngx_http_kot_redis_t  *rd = &ngx_http_kot_redis;

    if (a->argc > NGX_HTTP_KOT_REDIS_MAX_ARGS || rd->ac == NULL
        || (rd->ac->c.flags & (REDIS_DISCONNECTING|REDIS_FREEING)))
    {
        return;
    }

    (void) redisAsyncCommandArgv(rd->ac, NULL, NULL, a->argc, a->argv,
                                 a->argvlen);
}


ngx_int_t
ngx_http_kot_redis_script(ngx_http_request_t *r, ngx_uint_t id,
    ngx_http_kot_redis_handler_pt handler, void *data, ngx_event_t *done,
    int nkeys, ngx_http_kot_redis_args_t *a)
{
    int                        i;
    u_char                     n[NGX_INT_T_LEN];
    ngx_http_kot_redis_args_t  cmd;

    if (a->argc > NGX_HTTP_KOT_REDIS_MAX_ARGS) {
        return NGX_ERROR;
    }

    cmd.argc = 0;
    ngx_http_kot_redis_arg(&cmd, (u_char *) "EVALSHA", 7);
    ngx_http_kot_redis_arg(&cmd, (u_char *) kot_scripts[id].sha1, 40);
    ngx_http_kot_redis_arg(&cmd, n, ngx_sprintf(n, "%d", nkeys) - n);

    for (i = 0; i < a->argc; i++) {
        ngx_http_kot_redis_arg(&cmd, (u_char *) a->argv[i], a->argvlen[i]);
    }

    return ngx_http_kot_redis_command(r, handler, data, done, &cmd);
}


/* a full list takes no more: the command then fails as a whole */

void
ngx_http_kot_redis_arg(ngx_http_kot_redis_args_t *a, u_char *data, size_t len)
{
    if (a->argc >= NGX_HTTP_KOT_REDIS_MAX_ARGS) {
        a->argc = NGX_HTTP_KOT_REDIS_MAX_ARGS + 1;
        return;
    }

    a->argv[a->argc] = data ? (char *) data : "";
    a->argvlen[a->argc] = len;
    a->argc++;
}


ngx_int_t
ngx_http_kot_redis_num(ngx_http_request_t *r, ngx_http_kot_redis_args_t *a,
    uint64_t n)
{
    u_char  *p;

    p = ngx_pnalloc(r->pool, NGX_INT64_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_http_kot_redis_arg(a, p, ngx_sprintf(p, "%uL", n) - p);

    return NGX_OK;
}


/* prefix + p1 [+ ":" + p2] */

ngx_int_t
ngx_http_kot_redis_key(ngx_http_request_t *r, ngx_http_kot_redis_args_t *a,
    const char *prefix, ngx_str_t *p1, ngx_str_t *p2)
{
    u_char  *p, *last;
    size_t   len;

    len = ngx_strlen(prefix) + p1->len + (p2 ? 1 + p2->len : 0);

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    last = ngx_cpymem(p, prefix, ngx_strlen(prefix));
    last = ngx_cpymem(last, p1->data, p1->len);

    if (p2) {
        *last++ = ':';
        last = ngx_cpymem(last, p2->data, p2->len);
    }

    ngx_http_kot_redis_arg(a, p, len);

    return NGX_OK;
}




static void
ngx_http_kot_redis_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    redisReply               *rep = reply;
    ngx_http_kot_redis_op_t  *op = privdata;

    op->in_redis = 0;

    if (rep && rep->type == REDIS_REPLY_ERROR
        && ngx_strncmp(rep->str, "NOSCRIPT", 8) == 0)
    {
        /*
         * Someone flushed the script cache.  This command fails; a fresh
         * connection loads the scripts again for the next ones.
         */
        ngx_http_kot_redis_drop(&ngx_http_kot_redis, "scripts were flushed");
    }

    if (op->request) {
        ngx_http_kot_redis_op_finish(op, rep);
    }

    ngx_free(op);
}


static void
ngx_http_kot_redis_op_timeout(ngx_event_t *ev)
{
    ngx_http_kot_redis_op_t  *op = ev->data;

    ngx_log_error(NGX_LOG_ERR, ev->log, 0,
                  "kot: redis at \"%V\" did not answer within %M ms",
                  &ngx_http_kot_redis.conf->name,
                  ngx_http_kot_redis.conf->timeout);

    ngx_http_kot_redis_op_finish(op, NULL);

    /* the op is freed by its callback, run from here */
    ngx_http_kot_redis_drop(&ngx_http_kot_redis, "command timed out");
}


static void
ngx_http_kot_redis_op_finish(ngx_http_kot_redis_op_t *op, redisReply *reply)
{
    if (op->timer.timer_set) {
        ngx_del_timer(&op->timer);
    }

    if (reply && reply->type == REDIS_REPLY_ERROR) {
        ngx_log_error(NGX_LOG_ERR, op->request->connection->log, 0,
                      "kot: redis error: %s", reply->str);
        reply = NULL;
    }

    op->handler(op->request, op->data, reply);

    op->cleanup->handler = NULL;
    op->request = NULL;

    ngx_post_event(op->done, &ngx_posted_events);
}


/* The request is going away before Redis answered. */

static void
ngx_http_kot_redis_op_detach(void *data)
{
    ngx_http_kot_redis_op_t  *op = data;

    if (op->timer.timer_set) {
        ngx_del_timer(&op->timer);
    }

    op->request = NULL;
}


ngx_int_t
ngx_http_kot_redis_str(ngx_http_request_t *r, redisReply *reply,
    ngx_str_t *s)
{
    if (reply->type != REDIS_REPLY_STRING) {
        return NGX_ERROR;
    }

    s->data = ngx_pnalloc(r->pool, reply->len + 1);
    if (s->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(s->data, reply->str, reply->len);
    s->data[reply->len] = '\0';
    s->len = reply->len;

    return NGX_OK;
}


uint64_t
ngx_http_kot_redis_uint(redisReply *reply)
{
    off_t  n;

    if (reply->type == REDIS_REPLY_INTEGER) {
        return reply->integer > 0 ? (uint64_t) reply->integer : 0;
    }

    if (reply->type != REDIS_REPLY_STRING) {
        return 0;
    }

    n = ngx_atoof((u_char *) reply->str, reply->len);

    return n > 0 ? (uint64_t) n : 0;
}
