
/*
 * ngx_kot: hiredis's async API on nginx events.
 *
 * Each worker keeps one pipelined connection for commands, and, for the
 * session cache, a second one subscribed to Redis's invalidations
 * (ngx_http_kot_cache.c).  hiredis owns each socket;
 * nginx gets a connection structure around the same fd so that the event
 * module can watch it.  Events are level-triggered because hiredis reads
 * at most 16k per call and expects to be called again while data remains.
 *
 * A command is an "op", allocated from the heap since hiredis may answer
 * after the request is gone.  The request's pool cleanup detaches the op;
 * a late reply then only frees it.  Every op has a timer; a timeout drops
 * the connection, which fails all pending ops at once instead of letting
 * each wait for its own timer behind a stalled server.  Reconnection backs
 * off from 100 ms to 2 s, with jitter; while disconnected, commands fail
 * at once.  A Redis that takes connections but refuses the setup (loading
 * its data set, a wrong password) is not asked many times a second: the
 * backoff starts again only once a setup went through.
 * A script's command is kept until answered: should Redis have lost the
 * scripts (NOSCRIPT), they are loaded again and the command repeated.
 * A failure that every request meets (Redis unavailable, an error reply)
 * is logged when it starts and then at most once a second per worker.
 *
 * With kot_redis_sentinel, a third connection asks the sentinels where
 * the master is (SENTINEL get-master-addr-by-name), then stays
 * subscribed to +switch-master on the same sentinel.  The command
 * connection takes no command until ROLE said "master" on it: a replica
 * is left at once and the sentinels are asked again.  When the master
 * moves, both connections are dropped and made again to the new one, so
 * that tracking and heartbeat move with it; until then, requests get 503.
 * A sentinel that hangs without closing the connection (stopped,
 * partitioned) is found out by a PING every second: no byte back within
 * the timeout drops it, and the next sentinel is asked.  A command that
 * times out on the master makes the worker ask the sentinels again too:
 * the one it listens to may have been cut off from the failover.
 * A revocation (a script of kot_scripts[] that ends sessions or access)
 * is done only once a replica has it too: after the script, ROLE says
 * whether the master has replicas, and if so WAIT 1 <timeout> asks one
 * to acknowledge the write, so that a failover cannot bring a revoked
 * session back unnoticed.  These go on a fourth connection, the "sync"
 * one, so that a WAIT blocks no other command of the worker.
 * A new worker (started, reloaded, upgraded, respawned) has no master
 * yet: until it first has one, commands wait for it, each for at most
 * its timeout, so that a reload under load answers no request with 503.
 * A master without replicas makes all that moot: a failover would lose
 * every write.  One worker (the first, ngx_worker 0, so that the error
 * log has it once per nginx and not once per worker) reads the replicas
 * from its ROLE on connecting and from a ROLE every second, and it
 * says so when the master has none, and again only when that changes.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_kot_module.h"


#define NGX_HTTP_KOT_REDIS_BACKOFF_MIN  100
#define NGX_HTTP_KOT_REDIS_BACKOFF_MAX  2000

/*
 * The invalidation connection is alive if it hears the worker's own
 * heartbeat: published on the command connection every BEAT ms, it
 * arrives after every invalidation Redis sent before it.  The cache
 * trusts no entry when the last beat that came back was sent more than
 * FRESH ms ago, which bounds how late a revocation can be seen even if
 * either connection stalls without breaking; when a beat has not come
 * back in LOST ms, the connection is replaced.
 */
#define NGX_HTTP_KOT_REDIS_BEAT         25
#define NGX_HTTP_KOT_REDIS_FRESH        75
#define NGX_HTTP_KOT_REDIS_LOST         1000

/* how often the sentinel connection is asked for a sign of life */
#define NGX_HTTP_KOT_REDIS_PING         1000

/* how often the master is asked whether it has replicas (one worker) */
#define NGX_HTTP_KOT_REDIS_REPLICAS     1000

/* a failure that every request meets is logged at most this often */
#define NGX_HTTP_KOT_REDIS_SAY          1000


typedef struct {
    ngx_http_request_t             *request;
    ngx_http_kot_redis_handler_pt   handler;
    void                           *data;
    ngx_event_t                    *done;
    ngx_pool_cleanup_t             *cleanup;
    ngx_event_t                     timer;
    uint64_t                        sent;       /* for kot_status */
    ngx_queue_t                     queue;      /* waiting for a master */
    char                           *cmd;        /* while waiting */
    int                             len;
    char                           *script;     /* EVALSHA: to repeat */
    int                             script_len;
    uint64_t                        seq;        /* of rd's sent */
    struct ngx_http_kot_redis_s    *rd;         /* where it was sent */
    ngx_uint_t                      phase;      /* a revocation: below */
    unsigned                        in_redis:1;
    unsigned                        revokes:1;
    unsigned                        scripted:1;
    unsigned                        repeated:1;
} ngx_http_kot_redis_op_t;

/*
 * A failure that every request meets while it lasts (Redis down, full,
 * read-only): logged when it starts, then at most once every SAY ms per
 * worker, with the number of requests it refused unlogged since.
 */
typedef struct {
    ngx_msec_t                      said;
    ngx_uint_t                      unsaid;
    u_char                          more[64];   /* " (and N more ...)" */
    unsigned                        once:1;
} ngx_http_kot_redis_say_t;

/* a script's command that no request waits for (ngx_http_kot_redis_call) */
typedef struct {
    redisCallbackFn                *cb;
    void                           *privdata;
    char                           *script;
    int                             script_len;
    uint64_t                        seq;
    unsigned                        repeated:1;
} ngx_http_kot_redis_call_t;

/* a revocation's steps: the script, ROLE, WAIT */
#define NGX_HTTP_KOT_REDIS_SCRIPT  0
#define NGX_HTTP_KOT_REDIS_ROLE    1
#define NGX_HTTP_KOT_REDIS_WAIT    2


typedef struct ngx_http_kot_redis_s {
    ngx_http_kot_redis_conf_t      *conf;
    const char                     *role;       /* "data", "sub", "sync",
                                                   "sentinel" */
    ngx_str_t                       name;       /* the server, for messages */
    ngx_uint_t                      master;     /* the master it went to */
    u_char                          master_name[NGX_SOCKADDR_STRLEN];
    ngx_uint_t                      next;       /* sentinel: which to ask */
    redisAsyncContext              *ac;
    ngx_connection_t               *conn;
    ngx_event_t                     timer;      /* connect, or reconnect */
    ngx_event_t                     ping;       /* sentinel: liveness */
    ngx_msec_t                      ping_sent;
    ngx_msec_t                      backoff;
    uint64_t                        sent;       /* requests' commands */
    uint64_t                        loaded;     /* sent, at SCRIPT LOAD */
    ngx_log_t                      *log;
    long long                       client_id;  /* sub: for REDIRECT */
    ngx_uint_t                      generation; /* sub: subscriptions */
    ngx_msec_t                      last_beat;  /* sub: heard at */
    ngx_msec_t                      unheard;    /* sub: sent, not heard yet */
    ngx_uint_t                      channels;   /* sub: confirmed */
    u_char                          beat[48];   /* the heartbeat channel */
    size_t                          beat_len;
    unsigned                        connected:1;
    unsigned                        ready:1;        /* takes commands */
    unsigned                        exiting:1;
    unsigned                        failed_logged:1;
    unsigned                        setup_refused:1;  /* since one went */
    unsigned                        subscribed:1;   /* sub */
    unsigned                        tracking:1;     /* data */
    unsigned                        refused:1;      /* tracking refused */
    unsigned                        pinging:1;      /* sentinel: unanswered */
} ngx_http_kot_redis_t;

#define ngx_http_kot_redis_usable(rd)                                        \
    ((rd)->ac && (rd)->ready                                                 \
     && !((rd)->ac->c.flags & (REDIS_DISCONNECTING|REDIS_FREEING)))


static void ngx_http_kot_redis_heard(ngx_http_kot_redis_t *rd,
    redisReply *sent);
static void ngx_http_kot_redis_connect(ngx_http_kot_redis_t *rd);
static ngx_int_t ngx_http_kot_redis_target(ngx_http_kot_redis_t *rd,
    ngx_http_kot_redis_addr_t *addr);
static void ngx_http_kot_redis_ready(ngx_http_kot_redis_t *rd);
static void ngx_http_kot_redis_setup_sentinel(ngx_http_kot_redis_t *rd);
static void ngx_http_kot_redis_role(redisAsyncContext *ac, void *reply,
    void *privdata);
static void ngx_http_kot_redis_master_addr(redisAsyncContext *ac,
    void *reply, void *privdata);
static void ngx_http_kot_redis_switch(redisAsyncContext *ac, void *reply,
    void *privdata);
static ngx_int_t ngx_http_kot_redis_move(ngx_http_kot_redis_t *sn,
    char *host, size_t host_len, char *port, size_t port_len);
static void ngx_http_kot_redis_follow(ngx_http_kot_redis_t *rd);
static void ngx_http_kot_redis_schedule(ngx_http_kot_redis_t *rd);
static void ngx_http_kot_redis_timer_handler(ngx_event_t *ev);
static void ngx_http_kot_redis_ping(ngx_event_t *ev);
static void ngx_http_kot_redis_setup(ngx_http_kot_redis_t *rd);
static void ngx_http_kot_redis_setup_done(ngx_http_kot_redis_t *rd);
static void ngx_http_kot_redis_loaded(redisAsyncContext *ac, void *reply,
    void *privdata);
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
static ngx_int_t ngx_http_kot_redis_wait(ngx_http_kot_redis_op_t *op,
    int argc, const char **argv, const size_t *argvlen);
static void ngx_http_kot_redis_wait_timeout(ngx_event_t *ev);
static void ngx_http_kot_redis_unwait(ngx_http_kot_redis_op_t *op);
static void ngx_http_kot_redis_send_waiting(ngx_http_kot_redis_t *rd);
static void ngx_http_kot_redis_init(ngx_http_kot_redis_t *rd,
    ngx_cycle_t *cycle, ngx_http_kot_redis_conf_t *conf, const char *role);
static void ngx_http_kot_redis_free(ngx_http_kot_redis_t *rd);
static void ngx_http_kot_redis_setup_sub(ngx_http_kot_redis_t *rd);
static void ngx_http_kot_redis_client_id(redisAsyncContext *ac, void *reply,
    void *privdata);
static void ngx_http_kot_redis_message(redisAsyncContext *ac, void *reply,
    void *privdata);
static void ngx_http_kot_redis_track(void);
static void ngx_http_kot_redis_beat(ngx_event_t *ev);
static void ngx_http_kot_redis_tracking(redisAsyncContext *ac, void *reply,
    void *privdata);
static ngx_int_t ngx_http_kot_redis_send(ngx_http_request_t *r,
    ngx_http_kot_redis_handler_pt handler, void *data, ngx_event_t *done,
    ngx_uint_t revokes, ngx_uint_t scripted, int argc, const char **argv,
    const size_t *argvlen);
static void ngx_http_kot_redis_load(ngx_http_kot_redis_t *rd);
static ngx_uint_t ngx_http_kot_redis_noscript(redisReply *rep);
static ngx_int_t ngx_http_kot_redis_repeat(ngx_http_kot_redis_op_t *op);
static ngx_int_t ngx_http_kot_redis_say(ngx_http_kot_redis_say_t *say,
    ngx_str_t *more);
static void ngx_http_kot_redis_reload(ngx_http_kot_redis_t *rd,
    uint64_t seq);
static void ngx_http_kot_redis_called(redisAsyncContext *ac, void *reply,
    void *privdata);
static void ngx_http_kot_redis_op_free(ngx_http_kot_redis_op_t *op);
static ngx_int_t ngx_http_kot_redis_replicate(ngx_http_kot_redis_op_t *op,
    redisReply *reply);
static void ngx_http_kot_redis_unreplicated(ngx_http_kot_redis_op_t *op,
    const char *why);
static void ngx_http_kot_redis_op_done(ngx_http_kot_redis_op_t *op);
static void ngx_http_kot_redis_replicas_check(ngx_event_t *ev);
static void ngx_http_kot_redis_replicas_role(redisAsyncContext *ac,
    void *reply, void *privdata);
static void ngx_http_kot_redis_replicas(ngx_http_kot_redis_t *rd,
    redisReply *role);


static ngx_http_kot_redis_t  ngx_http_kot_redis;       /* commands */
static ngx_http_kot_redis_t  ngx_http_kot_redis_sub;   /* invalidations */
static ngx_http_kot_redis_t  ngx_http_kot_redis_sync;  /* revocations */
static ngx_http_kot_redis_t  ngx_http_kot_redis_sentinel;
static ngx_event_t           ngx_http_kot_redis_beat_ev;

/* where the sentinels said the master is; 0 while nobody said */
static ngx_uint_t  ngx_http_kot_redis_master;
static u_char      ngx_http_kot_redis_master_host[NGX_INET6_ADDRSTRLEN + 1];
static int         ngx_http_kot_redis_master_port;
static u_char      ngx_http_kot_redis_master_name[NGX_SOCKADDR_STRLEN];

/* Sentinel: commands of a worker that never had a master yet */
static ngx_uint_t   ngx_http_kot_redis_had_master;
static ngx_queue_t  ngx_http_kot_redis_waiting;

/*
 * Sentinel, one worker: the replicas of the master last looked at (its
 * ngx_http_kot_redis_master), -1 while none was
 */
static ngx_http_kot_redis_say_t  ngx_http_kot_redis_say_unavailable;
static ngx_http_kot_redis_say_t  ngx_http_kot_redis_say_error;

static ngx_event_t  ngx_http_kot_redis_replicas_ev;
static ngx_uint_t   ngx_http_kot_redis_replicas_master;
static ngx_int_t    ngx_http_kot_redis_replicas_n;
static ngx_uint_t   ngx_http_kot_redis_replicas_asked;


ngx_int_t
ngx_http_kot_redis_init_worker(ngx_cycle_t *cycle,
    ngx_http_kot_redis_conf_t *conf, ngx_uint_t cache)
{
    ngx_http_kot_redis_master = 0;
    ngx_http_kot_redis_had_master = 0;
    ngx_queue_init(&ngx_http_kot_redis_waiting);

    if (conf->sentinels) {
        ngx_http_kot_redis_init(&ngx_http_kot_redis_sentinel, cycle, conf,
                                "sentinel");
        ngx_http_kot_redis_sentinel.next = ngx_random();
        ngx_http_kot_redis_connect(&ngx_http_kot_redis_sentinel);

        ngx_http_kot_redis_init(&ngx_http_kot_redis_sync, cycle, conf,
                                "sync");
        ngx_http_kot_redis_connect(&ngx_http_kot_redis_sync);

        ngx_http_kot_redis_replicas_master = 0;
        ngx_http_kot_redis_replicas_n = -1;
        ngx_http_kot_redis_replicas_asked = 0;

        if (ngx_worker == 0) {
            ngx_http_kot_redis_replicas_ev.handler =
                                             ngx_http_kot_redis_replicas_check;
            ngx_http_kot_redis_replicas_ev.log = cycle->log;
            ngx_http_kot_redis_replicas_ev.cancelable = 1;
            ngx_add_timer(&ngx_http_kot_redis_replicas_ev,
                          NGX_HTTP_KOT_REDIS_REPLICAS);
        }
    }

    ngx_http_kot_redis_init(&ngx_http_kot_redis, cycle, conf, "data");
    ngx_http_kot_redis_connect(&ngx_http_kot_redis);

    if (cache) {
        ngx_http_kot_redis_init(&ngx_http_kot_redis_sub, cycle, conf, "sub");
        ngx_http_kot_redis_connect(&ngx_http_kot_redis_sub);

        ngx_http_kot_redis_beat_ev.handler = ngx_http_kot_redis_beat;
        ngx_http_kot_redis_beat_ev.log = cycle->log;
        ngx_http_kot_redis_beat_ev.cancelable = 1;
        ngx_add_timer(&ngx_http_kot_redis_beat_ev, NGX_HTTP_KOT_REDIS_BEAT);
    }

    return NGX_OK;
}


static void
ngx_http_kot_redis_init(ngx_http_kot_redis_t *rd, ngx_cycle_t *cycle,
    ngx_http_kot_redis_conf_t *conf, const char *role)
{
    long     fallback;
    u_char  *p, nonce[sizeof(long)];

    ngx_memzero(rd, sizeof(ngx_http_kot_redis_t));

    rd->conf = conf;
    rd->role = role;
    rd->name = conf->name;
    rd->log = cycle->log;
    rd->backoff = NGX_HTTP_KOT_REDIS_BACKOFF_MIN;

    rd->timer.handler = ngx_http_kot_redis_timer_handler;
    rd->timer.data = rd;
    rd->timer.log = cycle->log;
    rd->timer.cancelable = 1;

    rd->ping.handler = ngx_http_kot_redis_ping;
    rd->ping.data = rd;
    rd->ping.log = cycle->log;
    rd->ping.cancelable = 1;

    /* pids repeat across the nodes of a site: the channel must not */
    if (kot_random(nonce, sizeof(nonce)) != 0) {
        fallback = ngx_random();
        ngx_memcpy(nonce, &fallback, sizeof(nonce));
    }

    p = ngx_sprintf(rd->beat, KOT_PREFIX "hb:%P:", ngx_pid);
    p = ngx_hex_dump(p, nonce, sizeof(nonce));
    rd->beat_len = p - rd->beat;
}


void
ngx_http_kot_redis_exit_worker(ngx_cycle_t *cycle)
{
    if (ngx_http_kot_redis_beat_ev.timer_set) {
        ngx_del_timer(&ngx_http_kot_redis_beat_ev);
    }

    if (ngx_http_kot_redis_replicas_ev.timer_set) {
        ngx_del_timer(&ngx_http_kot_redis_replicas_ev);
    }

    ngx_http_kot_redis_free(&ngx_http_kot_redis_sub);
    ngx_http_kot_redis_free(&ngx_http_kot_redis);
    ngx_http_kot_redis_free(&ngx_http_kot_redis_sync);
    ngx_http_kot_redis_free(&ngx_http_kot_redis_sentinel);
}


static void
ngx_http_kot_redis_free(ngx_http_kot_redis_t *rd)
{
    rd->exiting = 1;

    if (rd->timer.timer_set) {
        ngx_del_timer(&rd->timer);
    }

    if (rd->ping.timer_set) {
        ngx_del_timer(&rd->ping);
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
    redisAsyncContext          *ac;
    ngx_connection_t           *c;
    ngx_http_kot_redis_addr_t   addr;

    if (ngx_http_kot_redis_target(rd, &addr) != NGX_OK) {
        /* no master known yet: the sentinels' answer calls us back */
        return;
    }

    rd->name = addr.name;
    rd->ready = 0;

    if (addr.unix_path.len) {
        ac = redisAsyncConnectUnix((char *) addr.unix_path.data);

    } else {
        ac = redisAsyncConnect((char *) addr.host.data, addr.port);
    }

    if (ac == NULL || ac->err) {
        if (!rd->failed_logged) {
            ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                          "kot: cannot connect to redis at \"%V\": %s",
                          &rd->name, ac ? ac->errstr : "no memory");
            rd->failed_logged = 1;
        }

        if (ac) {
            redisAsyncFree(ac);
        }

        /*
         * A refusal inside connect() (a sentinel's socket gone) never
         * reaches cleanup(), which moves on after a later one: without
         * this, the worker would retry the same dead sentinel for good.
         */
        if (rd == &ngx_http_kot_redis_sentinel) {
            rd->next++;
        }

        ngx_http_kot_redis_schedule(rd);
        return;
    }

    /*
     * A sentinel is only listened to: without TCP keepalive, one that
     * vanished without a word (a partition) would never be noticed.
     */
    if (rd == &ngx_http_kot_redis_sentinel && addr.unix_path.len == 0) {
        (void) redisEnableKeepAlive(&ac->c);
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

    /* with kot_redis, commands may queue behind the setup at once */
    if (rd == &ngx_http_kot_redis && rd->conf->sentinels == NULL) {
        rd->ready = 1;

        /* a new command connection has no tracking yet */
        ngx_http_kot_redis_track();
    }

    ngx_add_timer(&rd->timer, rd->conf->timeout);
}


/*
 * The server a connection goes to: kot_redis's, the next sentinel, or
 * the master the sentinels named (NGX_DECLINED while none did).
 */

static ngx_int_t
ngx_http_kot_redis_target(ngx_http_kot_redis_t *rd,
    ngx_http_kot_redis_addr_t *addr)
{
    ngx_http_kot_redis_addr_t  *sentinels;
    ngx_http_kot_redis_conf_t  *conf = rd->conf;

    if (conf->sentinels == NULL) {
        addr->name = conf->name;
        addr->host = conf->host;
        addr->port = conf->port;
        addr->unix_path = conf->unix_path;
        return NGX_OK;
    }

    if (rd == &ngx_http_kot_redis_sentinel) {
        sentinels = conf->sentinels->elts;
        *addr = sentinels[rd->next % conf->sentinels->nelts];
        return NGX_OK;
    }

    if (ngx_http_kot_redis_master == 0) {
        return NGX_DECLINED;
    }

    rd->master = ngx_http_kot_redis_master;

    /* its own copy: messages about it must not name the next master */
    addr->name.data = rd->master_name;
    addr->name.len = ngx_cpystrn(rd->master_name,
                                 ngx_http_kot_redis_master_name,
                                 sizeof(rd->master_name))
                     - rd->master_name;
    addr->host.data = ngx_http_kot_redis_master_host;
    addr->host.len = ngx_strlen(ngx_http_kot_redis_master_host);
    addr->port = ngx_http_kot_redis_master_port;
    ngx_str_null(&addr->unix_path);

    return NGX_OK;
}


/* The setup is answered: the connect timer's work is done. */

static void
ngx_http_kot_redis_ready(ngx_http_kot_redis_t *rd)
{
    if (rd->timer.timer_set) {
        ngx_del_timer(&rd->timer);
    }

    rd->ready = 1;

    /* a stalled Redis that answers again is used again at once */
    if (!rd->setup_refused) {
        rd->backoff = NGX_HTTP_KOT_REDIS_BACKOFF_MIN;
    }

    /* commands flow: with Sentinel, only once ROLE said master */
    ngx_http_kot_status_redis_up(rd == &ngx_http_kot_redis, 1);

    if (rd == &ngx_http_kot_redis) {
        /* perhaps another Redis: its allow-list versions may have gone back */
        ngx_http_kot_allow_forget();

        ngx_http_kot_redis_had_master = 1;
        ngx_http_kot_redis_send_waiting(rd);
    }

    if (rd == &ngx_http_kot_redis_sentinel) {
        rd->pinging = 0;

        if (!rd->ping.timer_set) {
            ngx_add_timer(&rd->ping, ngx_min(NGX_HTTP_KOT_REDIS_PING,
                                             rd->conf->timeout));
        }
    }
}


/*
 * AUTH, SELECT, a name for CLIENT LIST, and then the scripts (commands)
 * or the subscription (invalidations): pipelined before anything else.
 */

static void
ngx_http_kot_redis_setup(ngx_http_kot_redis_t *rd)
{
    int                         argc;
    u_char                      db[NGX_INT_T_LEN];
    u_char                      name[32];
    size_t                      argvlen[3];
    const char                 *argv[3];
    ngx_http_kot_redis_conf_t  *conf = rd->conf;

    if (rd == &ngx_http_kot_redis_sentinel) {
        ngx_http_kot_redis_setup_sentinel(rd);
        return;
    }

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

    argv[0] = "CLIENT";
    argvlen[0] = 6;
    argv[1] = "SETNAME";
    argvlen[1] = 7;
    argv[2] = (char *) name;
    argvlen[2] = ngx_sprintf(name, "kot-%s-%P", rd->role, ngx_pid) - name;

    /* only for people reading CLIENT LIST: a refusal changes nothing */
    redisAsyncCommandArgv(rd->ac, NULL, NULL, 3, argv, argvlen);

    if (rd == &ngx_http_kot_redis_sub) {
        ngx_http_kot_redis_setup_sub(rd);
        return;
    }

    /* the sentinels may lag behind a failover: only a master will do */
    if (conf->sentinels) {
        redisAsyncCommand(rd->ac, ngx_http_kot_redis_role, NULL, "ROLE");
    }

    ngx_http_kot_redis_load(rd);
}


/*
 * SCRIPT LOAD of every script, ahead of the commands sent from now on:
 * at the setup, and again when Redis lost them (NOSCRIPT).
 */

static void
ngx_http_kot_redis_load(ngx_http_kot_redis_t *rd)
{
    size_t       argvlen[3];
    ngx_uint_t   i;
    const char  *argv[3];

    argv[0] = "SCRIPT";
    argvlen[0] = 6;
    argv[1] = "LOAD";
    argvlen[1] = 4;

    for (i = 0; i < KOT_SCRIPT_N; i++) {
        argv[2] = kot_scripts[i].source;
        argvlen[2] = ngx_strlen(kot_scripts[i].source);

        /* the last reply says the whole setup went through */
        redisAsyncCommandArgv(rd->ac, i == KOT_SCRIPT_N - 1
                                      ? ngx_http_kot_redis_loaded
                                      : ngx_http_kot_redis_setup_handler,
                              "SCRIPT LOAD", 3, argv, argvlen);
    }

    rd->loaded = rd->sent;
}


static void
ngx_http_kot_redis_role(redisAsyncContext *ac, void *reply, void *privdata)
{
    redisReply            *rep = reply;
    ngx_http_kot_redis_t  *rd = ac->data;

    if (rep == NULL) {
        return;
    }

    if (rep->type == REDIS_REPLY_ARRAY && rep->elements > 0
        && rep->element[0]->type == REDIS_REPLY_STRING
        && ngx_strcmp(rep->element[0]->str, "master") == 0)
    {
        ngx_http_kot_redis_ready(rd);

        if (rd == &ngx_http_kot_redis) {
            ngx_http_kot_redis_track();
            ngx_http_kot_redis_replicas(rd, rep);
        }

        return;
    }

    ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                  "kot: redis at \"%V\" is not the master of \"%V\" "
                  "(ROLE: %s); asking the sentinels again", &rd->name,
                  &rd->conf->master,
                  rep->type == REDIS_REPLY_ARRAY && rep->elements > 0
                  && rep->element[0]->type == REDIS_REPLY_STRING
                  ? rep->element[0]->str
                  : rep->type == REDIS_REPLY_ERROR ? rep->str : "?");
    rd->failed_logged = 1;

    redisAsyncFree(ac);

    ngx_http_kot_redis_drop(&ngx_http_kot_redis_sentinel,
                            "the master it named is not one");
}


/* One worker's timer: ROLE on the command connection, if it is up. */

static void
ngx_http_kot_redis_replicas_check(ngx_event_t *ev)
{
    ngx_http_kot_redis_t  *rd = &ngx_http_kot_redis;

    /* an unanswered one: the command timeouts see to a stalled master */
    if (!ngx_http_kot_redis_replicas_asked
        && ngx_http_kot_redis_usable(rd)
        && redisAsyncCommand(rd->ac, ngx_http_kot_redis_replicas_role, NULL,
                             "ROLE")
           == REDIS_OK)
    {
        ngx_http_kot_redis_replicas_asked = 1;
    }

    if (!ngx_exiting) {
        ngx_add_timer(ev, NGX_HTTP_KOT_REDIS_REPLICAS);
    }
}


static void
ngx_http_kot_redis_replicas_role(redisAsyncContext *ac, void *reply,
    void *privdata)
{
    ngx_http_kot_redis_replicas_asked = 0;

    if (reply) {
        ngx_http_kot_redis_replicas(ac->data, reply);
    }
}


/*
 * ROLE of the master on rd: ["master", offset, [[ip, port, offset]...]],
 * the replicas being those connected and in sync (online).  Said when
 * first seen without replicas, and when that changes; a new master
 * (a failover) is seen anew.
 */

static void
ngx_http_kot_redis_replicas(ngx_http_kot_redis_t *rd, redisReply *role)
{
    ngx_int_t  n, was;

    if (ngx_worker != 0
        || role->type != REDIS_REPLY_ARRAY || role->elements < 3
        || role->element[0]->type != REDIS_REPLY_STRING
        || ngx_strcmp(role->element[0]->str, "master") != 0
        || role->element[2]->type != REDIS_REPLY_ARRAY)
    {
        return;
    }

    n = (ngx_int_t) role->element[2]->elements;
    was = (rd->master == ngx_http_kot_redis_replicas_master)
          ? ngx_http_kot_redis_replicas_n : -1;

    ngx_http_kot_redis_replicas_master = rd->master;
    ngx_http_kot_redis_replicas_n = n;
    ngx_http_kot_status_replicas(n);

    if (n == 0 && was != 0) {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "kot: master \"%V\" at \"%V\" has no replica: a "
                      "failover would lose writes, revocations included; "
                      "add a replica", &rd->conf->master, &rd->name);

    } else if (n > 0 && was == 0) {
        ngx_log_error(NGX_LOG_NOTICE, rd->log, 0,
                      "kot: master \"%V\" at \"%V\" has a replica again "
                      "(%i connected)", &rd->conf->master, &rd->name, n);
    }
}


/*
 * AUTH, the master's address, and then +switch-master: hiredis answers
 * pending commands before the subscription's messages.
 */

static void
ngx_http_kot_redis_setup_sentinel(ngx_http_kot_redis_t *rd)
{
    ngx_http_kot_redis_conf_t  *conf = rd->conf;

    if (conf->sentinel_password.len) {
        redisAsyncCommand(rd->ac, ngx_http_kot_redis_setup_handler, "AUTH",
                          "AUTH %b", conf->sentinel_password.data,
                          conf->sentinel_password.len);
    }

    redisAsyncCommand(rd->ac, ngx_http_kot_redis_master_addr, NULL,
                      "SENTINEL get-master-addr-by-name %b",
                      conf->master.data, conf->master.len);
    redisAsyncCommand(rd->ac, ngx_http_kot_redis_switch, NULL,
                      "SUBSCRIBE +switch-master");
}


/* [ip, port], or nil if this sentinel does not monitor that master */

static void
ngx_http_kot_redis_master_addr(redisAsyncContext *ac, void *reply,
    void *privdata)
{
    redisReply            *rep = reply;
    ngx_http_kot_redis_t  *rd = ac->data;

    if (rep == NULL) {
        return;
    }

    if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2
        || rep->element[0]->type != REDIS_REPLY_STRING
        || rep->element[1]->type != REDIS_REPLY_STRING)
    {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "kot: sentinel at \"%V\" does not know master \"%V\"%s"
                      "%s: check \"master=\" of kot_redis_sentinel",
                      &rd->name, &rd->conf->master,
                      rep->type == REDIS_REPLY_ERROR ? ": " : "",
                      rep->type == REDIS_REPLY_ERROR ? rep->str : "");
        rd->failed_logged = 1;
        redisAsyncFree(ac);
        return;
    }

    if (ngx_http_kot_redis_move(rd, rep->element[0]->str,
                                rep->element[0]->len, rep->element[1]->str,
                                rep->element[1]->len)
        != NGX_OK)
    {
        redisAsyncFree(ac);
        return;
    }

    ngx_http_kot_redis_setup_done(rd);
    ngx_http_kot_redis_ready(rd);
}


/* ["message", "+switch-master", "name old-ip old-port new-ip new-port"] */

static void
ngx_http_kot_redis_switch(redisAsyncContext *ac, void *reply,
    void *privdata)
{
    u_char                *p, *last, *field[5];
    size_t                 len[5];
    ngx_uint_t             n;
    redisReply            *rep = reply, *msg;
    ngx_http_kot_redis_t  *rd = ac->data;

    if (rep == NULL || rep->type != REDIS_REPLY_ARRAY || rep->elements != 3
        || rep->element[0]->type != REDIS_REPLY_STRING
        || ngx_strcmp(rep->element[0]->str, "message") != 0
        || rep->element[2]->type != REDIS_REPLY_STRING)
    {
        return;
    }

    msg = rep->element[2];
    p = (u_char *) msg->str;
    last = p + msg->len;

    for (n = 0; n < 5 && p < last; n++) {
        field[n] = p;

        while (p < last && *p != ' ') {
            p++;
        }

        len[n] = p - field[n];
        p++;
    }

    if (n != 5 || len[0] != rd->conf->master.len
        || ngx_strncmp(field[0], rd->conf->master.data, len[0]) != 0)
    {
        return;
    }

    ngx_log_error(NGX_LOG_NOTICE, rd->log, 0,
                  "kot: sentinel at \"%V\" says master \"%V\" switched",
                  &rd->name, &rd->conf->master);

    (void) ngx_http_kot_redis_move(rd, (char *) field[3], len[3],
                                   (char *) field[4], len[4]);
}


/*
 * The master is at host:port from now on.  Only an IP literal will do:
 * resolving a name would block the worker.
 */

static ngx_int_t
ngx_http_kot_redis_move(ngx_http_kot_redis_t *sn, char *host,
    size_t host_len, char *port, size_t port_len)
{
    u_char     *p;
    ngx_int_t   n;
#if (NGX_HAVE_INET6)
    u_char      addr[16];
#endif

    n = ngx_atoi((u_char *) port, port_len);

    if (n < 1 || n > 65535
        || host_len > NGX_INET6_ADDRSTRLEN
        || (ngx_inet_addr((u_char *) host, host_len) == INADDR_NONE
#if (NGX_HAVE_INET6)
            && ngx_inet6_addr((u_char *) host, host_len, addr) != NGX_OK
#endif
           ))
    {
        ngx_log_error(NGX_LOG_ERR, sn->log, 0,
                      "kot: sentinel at \"%V\" named master \"%V\" at an "
                      "address that is not IP:PORT; it is ignored (set "
                      "\"sentinel resolve-hostnames no\")",
                      &sn->name, &sn->conf->master);
        return NGX_ERROR;
    }

    if (ngx_http_kot_redis_master
        && n == ngx_http_kot_redis_master_port
        && ngx_strlen(ngx_http_kot_redis_master_host) == host_len
        && ngx_strncmp(ngx_http_kot_redis_master_host, host, host_len) == 0)
    {
        return NGX_OK;
    }

    p = ngx_cpymem(ngx_http_kot_redis_master_host, host, host_len);
    *p = '\0';
    ngx_http_kot_redis_master_port = (int) n;

    p = ngx_snprintf(ngx_http_kot_redis_master_name,
                     sizeof(ngx_http_kot_redis_master_name) - 1,
                     ngx_strchr(ngx_http_kot_redis_master_host, ':')
                     ? "[%s]:%i" : "%s:%i",
                     ngx_http_kot_redis_master_host, n);
    *p = '\0';

    ngx_http_kot_redis_master++;

    ngx_log_error(NGX_LOG_NOTICE, sn->log, 0,
                  "kot: master \"%V\" is at \"%s\" (sentinel at \"%V\")",
                  &sn->conf->master, ngx_http_kot_redis_master_name,
                  &sn->name);

    ngx_http_kot_redis_follow(&ngx_http_kot_redis);

    ngx_http_kot_redis_follow(&ngx_http_kot_redis_sync);

    if (ngx_http_kot_redis_sub.conf) {
        ngx_http_kot_redis_follow(&ngx_http_kot_redis_sub);
    }

    return NGX_OK;
}


/* A connection to an old master goes, and one to the new comes now. */

static void
ngx_http_kot_redis_follow(ngx_http_kot_redis_t *rd)
{
    if (rd->ac) {
        ngx_http_kot_redis_drop(rd, "the master moved");
    }

    rd->backoff = NGX_HTTP_KOT_REDIS_BACKOFF_MIN;

    if (rd->ac == NULL) {
        if (rd->timer.timer_set) {
            ngx_del_timer(&rd->timer);
        }

        ngx_http_kot_redis_connect(rd);
    }
}


static void
ngx_http_kot_redis_setup_sub(ngx_http_kot_redis_t *rd)
{
    redisAsyncCommand(rd->ac, ngx_http_kot_redis_client_id, NULL,
                      "CLIENT ID");
    redisAsyncCommand(rd->ac, ngx_http_kot_redis_message, NULL,
                      "SUBSCRIBE __redis__:invalidate %b", rd->beat,
                      rd->beat_len);
}


static void
ngx_http_kot_redis_client_id(redisAsyncContext *ac, void *reply,
    void *privdata)
{
    redisReply            *rep = reply;
    ngx_http_kot_redis_t  *rd = ac->data;

    if (rep && rep->type == REDIS_REPLY_INTEGER) {
        rd->client_id = rep->integer;
    }
}


/*
 * Everything the subscription brings: first the confirmation, then one
 * message per invalidation, ["message", channel, keys or nil].
 */

static void
ngx_http_kot_redis_message(redisAsyncContext *ac, void *reply,
    void *privdata)
{
    redisReply            *rep = reply;
    ngx_http_kot_redis_t  *rd = ac->data;

    if (rep == NULL || rep->type != REDIS_REPLY_ARRAY || rep->elements != 3
        || rep->element[0]->type != REDIS_REPLY_STRING)
    {
        return;
    }

    if (ngx_strcmp(rep->element[0]->str, "subscribe") == 0) {
        if (++rd->channels < 2) {
            return;
        }

        /* subscribed in time */
        ngx_http_kot_redis_setup_done(rd);
        ngx_http_kot_redis_ready(rd);

        rd->subscribed = 1;
        rd->generation++;
        rd->last_beat = ngx_current_msec;
        ngx_http_kot_redis_track();
        return;
    }

    if (ngx_strcmp(rep->element[0]->str, "message") != 0
        || rep->element[1]->type != REDIS_REPLY_STRING)
    {
        return;
    }

    if (rep->element[1]->len == rd->beat_len
        && ngx_strncmp(rep->element[1]->str, rd->beat, rd->beat_len) == 0)
    {
        ngx_http_kot_redis_heard(rd, rep->element[2]);
        return;
    }

    ngx_http_kot_cache_invalidate(rep->element[2]);
}


/*
 * A heartbeat carries the time it was sent.  Redis handled it after that
 * time, and sent every invalidation of a change made before it first: so
 * the cache has heard of every change older than the send time.
 */

static void
ngx_http_kot_redis_heard(ngx_http_kot_redis_t *rd, redisReply *sent)
{
    ngx_int_t  t;

    if (sent->type != REDIS_REPLY_STRING) {
        return;
    }

    t = ngx_atoi((u_char *) sent->str, sent->len);

    if (t != NGX_ERROR && (ngx_msec_t) t - rd->last_beat < NGX_MAX_INT_T_VALUE
        && ngx_current_msec - (ngx_msec_t) t < NGX_MAX_INT_T_VALUE)
    {
        rd->last_beat = (ngx_msec_t) t;
    }
}


/*
 * Every BEAT ms: the heartbeat out, and a look at whether it comes back.
 * The connection is lost when the first beat sent after the last one
 * heard (to within a beat) has been out for LOST ms.  A worker that
 * stood still itself (a paused VM, a worker under valgrind) sent no beat
 * meanwhile, so its own stall does not replace a connection that works.
 */

static void
ngx_http_kot_redis_beat(ngx_event_t *ev)
{
    ngx_http_kot_redis_t  *rd = &ngx_http_kot_redis;
    ngx_http_kot_redis_t  *sub = &ngx_http_kot_redis_sub;

    if (rd->ac && rd->ready && rd->connected && sub->subscribed) {
        (void) redisAsyncCommand(rd->ac, NULL, NULL, "PUBLISH %b %llu",
                                 sub->beat, sub->beat_len,
                                 (unsigned long long) ngx_current_msec);

        if ((ngx_msec_int_t) (sub->unheard - sub->last_beat) <= 0) {
            sub->unheard = ngx_current_msec;

        } else if (ngx_current_msec - sub->unheard > NGX_HTTP_KOT_REDIS_LOST)
        {
            ngx_http_kot_redis_drop(sub, "no heartbeat on the invalidation "
                                         "connection");
        }
    }

    if (!ngx_exiting) {
        ngx_add_timer(ev, NGX_HTTP_KOT_REDIS_BEAT);
    }
}


/* Whether the invalidation connection was heard from recently enough. */

ngx_int_t
ngx_http_kot_redis_fresh(void)
{
    ngx_http_kot_redis_t  *sub = &ngx_http_kot_redis_sub;

    return sub->subscribed
           && ngx_current_msec - sub->last_beat <= NGX_HTTP_KOT_REDIS_FRESH;
}


/*
 * Once both connections are up: reads of the command connection are
 * tracked (those after CLIENT CACHING YES), and their invalidations go to
 * the subscribed one.  Without NOLOOP, so that a change this worker makes
 * to sessions it did not name (all of a user's, at a password change)
 * reaches its own cache too.  The cache waits for the reply: whatever it
 * holds was tracked for another connection, or for none.
 */

static void
ngx_http_kot_redis_track(void)
{
    u_char                 id[NGX_INT64_LEN];
    size_t                 argvlen[8];
    const char            *argv[8];
    ngx_http_kot_redis_t  *rd = &ngx_http_kot_redis;
    ngx_http_kot_redis_t  *sub = &ngx_http_kot_redis_sub;

    rd->tracking = 0;
    ngx_http_kot_cache_disable("tracking is set up again");

    if (rd->ac == NULL || !rd->ready || sub->ac == NULL || !sub->subscribed
        || sub->client_id == 0 || rd->master != sub->master)
    {
        return;
    }

    argv[0] = "CLIENT";
    argvlen[0] = 6;
    argv[1] = "TRACKING";
    argvlen[1] = 8;
    argv[2] = "OFF";
    argvlen[2] = 3;

    redisAsyncCommandArgv(rd->ac, NULL, NULL, 3, argv, argvlen);

    argv[2] = "ON";
    argvlen[2] = 2;
    argv[3] = "REDIRECT";
    argvlen[3] = 8;
    argv[4] = (char *) id;
    argvlen[4] = ngx_sprintf(id, "%L", (int64_t) sub->client_id) - id;
    argv[5] = "OPTIN";
    argvlen[5] = 5;

    /* the reply counts only while this subscription lasts */
    redisAsyncCommandArgv(rd->ac, ngx_http_kot_redis_tracking,
                          (void *) (uintptr_t) sub->generation, 6, argv,
                          argvlen);
}


static void
ngx_http_kot_redis_tracking(redisAsyncContext *ac, void *reply,
    void *privdata)
{
    redisReply            *rep = reply;
    ngx_http_kot_redis_t  *rd = ac->data;
    ngx_http_kot_redis_t  *sub = &ngx_http_kot_redis_sub;

    if (rep == NULL) {
        return;
    }

    /*
     * A late reply: the invalidation connection it named is gone, and
     * Redis drops (RESP2: silently) what it would send there.  Nothing
     * read now may be cached; the next subscription sets tracking up
     * again, and its own reply turns the cache on.
     */
    if (!sub->subscribed || (uintptr_t) privdata != sub->generation) {
        return;
    }

    if (rep->type == REDIS_REPLY_ERROR) {
        if (!rd->refused) {
            ngx_log_error(NGX_LOG_WARN, rd->log, 0,
                          "kot: redis at \"%V\" refused CLIENT TRACKING: "
                          "%s; every request asks Redis", &rd->conf->name,
                          rep->str);
            rd->refused = 1;
        }

        return;
    }

    rd->tracking = 1;
    rd->refused = 0;
    ngx_http_kot_cache_enable();
}


/*
 * A tracked GET of one key, for the cache: its reply goes to cb with
 * privdata (NULL if the connection breaks first).
 */

ngx_int_t
ngx_http_kot_redis_tracked_get(u_char *key, size_t len,
    redisCallbackFn *cb, void *privdata)
{
    size_t                 argvlen[2];
    const char            *argv[2];
    ngx_http_kot_redis_t  *rd = &ngx_http_kot_redis;

    if (!rd->tracking || rd->ac == NULL
        || redisAsyncCommand(rd->ac, NULL, NULL, "CLIENT CACHING YES")
           != REDIS_OK)
    {
        return NGX_ERROR;
    }

    argv[0] = "GET";
    argvlen[0] = 3;
    argv[1] = (char *) key;
    argvlen[1] = len;

    return redisAsyncCommandArgv(rd->ac, cb, privdata, 2, argv, argvlen)
           == REDIS_OK ? NGX_OK : NGX_ERROR;
}


/*
 * Before a read the cache may keep: asks Redis to track it.  Returns 0
 * when the cache is not in use.
 */

ngx_int_t
ngx_http_kot_redis_caching(void)
{
    ngx_http_kot_redis_t  *rd = &ngx_http_kot_redis;

    if (!rd->tracking || !ngx_http_kot_cache_enabled() || rd->ac == NULL) {
        return 0;
    }

    return redisAsyncCommand(rd->ac, NULL, NULL, "CLIENT CACHING YES")
           == REDIS_OK;
}


/*
 * The connection's setup went through: the next break retries soon
 * again, and the next refusal is worth a word.  (The command connection
 * of kot_redis takes commands before its setup is answered, and its
 * backoff starts again when it connects, unless a setup was refused
 * since the last one that went through.)
 */

static void
ngx_http_kot_redis_setup_done(ngx_http_kot_redis_t *rd)
{
    rd->backoff = NGX_HTTP_KOT_REDIS_BACKOFF_MIN;
    rd->setup_refused = 0;
}


/* The last script of the setup is loaded (or refused, as any other). */

static void
ngx_http_kot_redis_loaded(redisAsyncContext *ac, void *reply,
    void *privdata)
{
    redisReply  *rep = reply;

    if (rep && rep->type != REDIS_REPLY_ERROR) {
        ngx_http_kot_redis_setup_done(ac->data);
        return;
    }

    ngx_http_kot_redis_setup_handler(ac, reply, privdata);
}


/*
 * A refused setup drops the connection, and the backoff, which only a
 * setup that went through resets, spaces the retries.  A Redis that is
 * loading its data set (after a restart), busy with a script, or a
 * replica cut off from its master refuses for a while and then takes
 * it: an error, said once.  Anything else (a wrong password or db) is
 * a configuration error: an alert, said once as well, until a setup
 * goes through; every request refused meanwhile is logged anyway.
 */

static void
ngx_http_kot_redis_setup_handler(redisAsyncContext *ac, void *reply,
    void *privdata)
{
    redisReply            *rep = reply;
    ngx_http_kot_redis_t  *rd = ac->data;

    if (rep == NULL || rep->type != REDIS_REPLY_ERROR) {
        return;
    }

    if (!rd->setup_refused) {
        rd->setup_refused = 1;

        if (ngx_strncmp(rep->str, "LOADING ", 8) == 0
            || ngx_strncmp(rep->str, "BUSY ", 5) == 0
            || ngx_strncmp(rep->str, "MASTERDOWN ", 11) == 0)
        {
            ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                          "kot: %s at \"%V\" is not ready (%s); retrying",
                          rd == &ngx_http_kot_redis_sentinel ? "sentinel"
                                                               : "redis",
                          &rd->name, rep->str);

        } else {
            ngx_log_error(NGX_LOG_ALERT, rd->log, 0,
                          "kot: %s at \"%V\" refused %s: %s",
                          rd == &ngx_http_kot_redis_sentinel ? "sentinel"
                                                               : "redis",
                          &rd->name, (char *) privdata, rep->str);
        }
    }

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
                          &rd->name, ac->errstr);
            rd->failed_logged = 1;
        }

        return;
    }

    if (rd->failed_logged) {
        ngx_log_error(NGX_LOG_NOTICE, rd->log, 0,
                      "kot: connected to redis at \"%V\" again",
                      &rd->name);
    }

    rd->connected = 1;
    rd->failed_logged = 0;

    /*
     * The other connections are ready only once their setup is answered
     * (a refused SUBSCRIBE never answers): their timer stays until then.
     */
    if (rd->ready) {
        ngx_http_kot_redis_ready(rd);
    }
}


static void
ngx_http_kot_redis_disconnected(const redisAsyncContext *ac, int status)
{
    ngx_http_kot_redis_t  *rd = ac->data;

    if (status != REDIS_OK && !rd->exiting) {
        ngx_log_error(NGX_LOG_ERR, rd->log, 0,
                      "kot: lost %s connection to redis at \"%V\": %s",
                      rd->role, &rd->name, ac->errstr);
        rd->failed_logged = 1;
    }
}


/* The connect timer; after a failure, the same timer retries. */

static void
ngx_http_kot_redis_timer_handler(ngx_event_t *ev)
{
    ngx_http_kot_redis_t  *rd = ev->data;

    if (rd->ac) {
        ngx_http_kot_redis_drop(rd, rd->connected ? "no answer to the setup "
                                                    "in time"
                                                  : "connect timed out");
        return;
    }

    ngx_http_kot_redis_connect(rd);
}


/*
 * Every PING ms on the sentinel connection: the last PING must have been
 * answered within the timeout.  Any byte read counts as an answer.  The
 * PING goes straight into the output buffer: hiredis (0.14) would keep a
 * callback for a command on a subscribed connection that never goes.
 */

static void
ngx_http_kot_redis_ping(ngx_event_t *ev)
{
    ngx_http_kot_redis_t  *rd = ev->data;

    static const char      ping[] = "*1\r\n$4\r\nPING\r\n";

    if (rd->ac == NULL || !rd->ready) {
        return;
    }

    if (rd->pinging) {
        if (ngx_current_msec - rd->ping_sent >= rd->conf->timeout) {
            ngx_http_kot_redis_drop(rd, "no answer to PING in time");
            return;
        }

    } else if (redisAppendFormattedCommand(&rd->ac->c, ping,
                                           sizeof(ping) - 1)
               == REDIS_OK)
    {
        rd->pinging = 1;
        rd->ping_sent = ngx_current_msec;
        ngx_http_kot_redis_add_write(rd);
    }

    ngx_add_timer(ev, ngx_min(NGX_HTTP_KOT_REDIS_PING, rd->conf->timeout));
}


/* Between half the backoff and all of it: workers and nodes spread out. */

static void
ngx_http_kot_redis_schedule(ngx_http_kot_redis_t *rd)
{
    if (rd->exiting || ngx_exiting || ngx_terminate || ngx_quit) {
        return;
    }

    if (rd->timer.timer_set) {
        ngx_del_timer(&rd->timer);
    }

    ngx_add_timer(&rd->timer,
                  rd->backoff / 2 + (ngx_msec_t) ngx_random()
                                    % (rd->backoff / 2 + 1));

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
                  "kot: %s at \"%V\": %s, reconnecting",
                  rd == &ngx_http_kot_redis_sentinel ? "sentinel" : "redis",
                  &rd->name, why);
    rd->failed_logged = 1;

    redisAsyncFree(rd->ac);
}


static void
ngx_http_kot_redis_read_handler(ngx_event_t *ev)
{
    ngx_connection_t      *c = ev->data;
    ngx_http_kot_redis_t  *rd = c->data;

    rd->pinging = 0;

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
    ngx_http_kot_status_redis_up(rd == &ngx_http_kot_redis, 0);
    rd->ready = 0;
    rd->subscribed = 0;
    rd->tracking = 0;
    rd->client_id = 0;
    rd->channels = 0;
    rd->pinging = 0;

    if (rd->ping.timer_set) {
        ngx_del_timer(&rd->ping);
    }

    if (rd == &ngx_http_kot_redis_sentinel) {
        /* the next sentinel, then: one down must not stop the others */
        rd->next++;
        ngx_http_kot_redis_schedule(rd);
        return;
    }

    /* the command connection's reads are tracked for one that is gone */
    if (rd == &ngx_http_kot_redis_sub) {
        ngx_http_kot_redis.tracking = 0;
    }

    /* invalidations may have been missed: nothing cached can be trusted */
    if (rd != &ngx_http_kot_redis_sync) {
        ngx_http_kot_cache_disable(rd == &ngx_http_kot_redis
                                   ? "the command connection broke"
                                   : "the invalidation connection broke");
    }

    ngx_http_kot_redis_schedule(rd);
}


ngx_int_t
ngx_http_kot_redis_command(ngx_http_request_t *r,
    ngx_http_kot_redis_handler_pt handler, void *data, ngx_event_t *done,
    ngx_http_kot_redis_args_t *a)
{
    if (a->argc > NGX_HTTP_KOT_REDIS_MAX_ARGS) {
        return NGX_ERROR;
    }

    return ngx_http_kot_redis_send(r, handler, data, done, 0, 0, a->argc,
                                   a->argv, a->argvlen);
}


static ngx_int_t
ngx_http_kot_redis_send(ngx_http_request_t *r,
    ngx_http_kot_redis_handler_pt handler, void *data, ngx_event_t *done,
    ngx_uint_t revokes, ngx_uint_t scripted, int argc, const char **argv,
    const size_t *argvlen)
{
    int                       rc;
    ngx_str_t                 more;
    ngx_uint_t                usable, wait;
    ngx_http_kot_redis_t     *rd = &ngx_http_kot_redis;
    ngx_http_kot_redis_op_t  *op;

    /* the command connection will do, should the sync one be down */
    if (revokes && ngx_http_kot_redis_usable(&ngx_http_kot_redis_sync)) {
        rd = &ngx_http_kot_redis_sync;
    }

    usable = ngx_http_kot_redis_usable(rd);
    wait = !usable && rd->conf->sentinels && !ngx_http_kot_redis_had_master;

    if (!usable && !wait) {
        if (ngx_http_kot_redis_say(&ngx_http_kot_redis_say_unavailable,
                                   &more))
        {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "kot: redis at \"%V\" is unavailable%V",
                          &rd->name, &more);
        }

        ngx_http_kot_status_count(NGX_HTTP_KOT_STAT_REDIS_ERRORS);
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

    op->sent = ngx_http_kot_status_clock();
    op->timer.handler = ngx_http_kot_redis_op_timeout;
    op->rd = rd;
    op->revokes = revokes;
    op->scripted = scripted;

    if (wait) {
        if (ngx_http_kot_redis_wait(op, argc, argv, argvlen) != NGX_OK) {
            ngx_free(op);
            return NGX_ERROR;
        }

    } else {
        if (scripted) {
            /* kept, to be sent again should Redis have lost the script */
            op->script_len = redisFormatCommandArgv(&op->script, argc, argv,
                                                    argvlen);
            rc = (op->script_len < 0)
                 ? REDIS_ERR
                 : redisAsyncFormattedCommand(rd->ac,
                                              ngx_http_kot_redis_reply, op,
                                              op->script, op->script_len);

        } else {
            rc = redisAsyncCommandArgv(rd->ac, ngx_http_kot_redis_reply, op,
                                       argc, argv, argvlen);
        }

        if (rc != REDIS_OK) {
            ngx_http_kot_redis_op_free(op);
            return NGX_ERROR;
        }

        op->seq = ++rd->sent;
        op->in_redis = 1;
    }

    op->request = r;
    op->handler = handler;
    op->data = data;
    op->done = done;

    op->cleanup->handler = ngx_http_kot_redis_op_detach;
    op->cleanup->data = op;

    op->timer.data = op;
    op->timer.log = r->connection->log;

    ngx_add_timer(&op->timer, rd->conf->timeout);

    return NGX_OK;
}


/* The command, kept whole until there is a master to send it to. */

static ngx_int_t
ngx_http_kot_redis_wait(ngx_http_kot_redis_op_t *op, int argc,
    const char **argv, const size_t *argvlen)
{
    op->len = redisFormatCommandArgv(&op->cmd, argc, argv, argvlen);
    if (op->len < 0) {
        return NGX_ERROR;
    }

    op->timer.handler = ngx_http_kot_redis_wait_timeout;
    ngx_queue_insert_tail(&ngx_http_kot_redis_waiting, &op->queue);

    return NGX_OK;
}


/* No master in time: the request fails (503), the connections go on. */

static void
ngx_http_kot_redis_wait_timeout(ngx_event_t *ev)
{
    ngx_http_kot_redis_op_t  *op = ev->data;

    ngx_log_error(NGX_LOG_ERR, ev->log, 0,
                  "kot: no master of \"%V\" found within %M ms",
                  &ngx_http_kot_redis.conf->master,
                  ngx_http_kot_redis.conf->timeout);

    ngx_http_kot_redis_unwait(op);
    ngx_http_kot_redis_op_finish(op, NULL);
    ngx_free(op);
}


static void
ngx_http_kot_redis_unwait(ngx_http_kot_redis_op_t *op)
{
    ngx_queue_remove(&op->queue);
    redisFreeCommand(op->cmd);
    op->cmd = NULL;
}


/* The first master: the commands waiting for it go, in their order. */

static void
ngx_http_kot_redis_send_waiting(ngx_http_kot_redis_t *rd)
{
    ngx_queue_t              *q;
    ngx_http_kot_redis_op_t  *op;

    while (!ngx_queue_empty(&ngx_http_kot_redis_waiting)) {
        q = ngx_queue_head(&ngx_http_kot_redis_waiting);
        op = ngx_queue_data(q, ngx_http_kot_redis_op_t, queue);

        if (redisAsyncFormattedCommand(rd->ac, ngx_http_kot_redis_reply, op,
                                       op->cmd, op->len)
            != REDIS_OK)
        {
            ngx_http_kot_redis_unwait(op);
            ngx_http_kot_redis_op_finish(op, NULL);
            ngx_free(op);
            continue;
        }

        if (op->scripted) {
            /* the command is kept as any other script's */
            ngx_queue_remove(&op->queue);
            op->script = op->cmd;
            op->script_len = op->len;
            op->cmd = NULL;

        } else {
            ngx_http_kot_redis_unwait(op);
        }

        op->seq = ++rd->sent;
        op->in_redis = 1;
        op->timer.handler = ngx_http_kot_redis_op_timeout;
    }
}


void
ngx_http_kot_redis_fire(ngx_http_kot_redis_args_t *a)
{
    (void) ngx_http_kot_redis_call(a, NULL, NULL);
}


ngx_int_t
ngx_http_kot_redis_call(ngx_http_kot_redis_args_t *a, redisCallbackFn *cb,
    void *privdata)
{
    ngx_http_kot_redis_t       *rd = &ngx_http_kot_redis;
    ngx_http_kot_redis_call_t  *c;

    if (a->argc > NGX_HTTP_KOT_REDIS_MAX_ARGS
        || !ngx_http_kot_redis_usable(rd))
    {
        return NGX_ERROR;
    }

    if (a->argc == 0 || a->argvlen[0] != 7
        || ngx_strncmp(a->argv[0], "EVALSHA", 7) != 0)
    {
        return redisAsyncCommandArgv(rd->ac, cb, privdata, a->argc,
                                     a->argv, a->argvlen)
               == REDIS_OK ? NGX_OK : NGX_ERROR;
    }

    /* a script's, kept as a request's is: see ngx_http_kot_redis_repeat() */
    c = ngx_calloc(sizeof(ngx_http_kot_redis_call_t), rd->log);
    if (c == NULL) {
        return NGX_ERROR;
    }

    c->cb = cb;
    c->privdata = privdata;
    c->script_len = redisFormatCommandArgv(&c->script, a->argc, a->argv,
                                           a->argvlen);

    if (c->script_len < 0
        || redisAsyncFormattedCommand(rd->ac, ngx_http_kot_redis_called, c,
                                      c->script, c->script_len)
           != REDIS_OK)
    {
        if (c->script_len >= 0) {
            redisFreeCommand(c->script);
        }

        ngx_free(c);
        return NGX_ERROR;
    }

    c->seq = ++rd->sent;

    return NGX_OK;
}


static void
ngx_http_kot_redis_called(redisAsyncContext *ac, void *reply,
    void *privdata)
{
    redisReply                 *rep = reply;
    ngx_http_kot_redis_t       *rd = ac->data;
    ngx_http_kot_redis_call_t  *c = privdata;

    if (ngx_http_kot_redis_noscript(rep)
        && !c->repeated && ngx_http_kot_redis_usable(rd))
    {
        ngx_http_kot_redis_reload(rd, c->seq);

        if (redisAsyncFormattedCommand(ac, ngx_http_kot_redis_called, c,
                                       c->script, c->script_len)
            == REDIS_OK)
        {
            c->repeated = 1;
            return;
        }
    }

    if (c->cb) {
        c->cb(ac, reply, c->privdata);
    }

    redisFreeCommand(c->script);
    ngx_free(c);
}


ngx_int_t
ngx_http_kot_redis_script(ngx_http_request_t *r, ngx_uint_t id,
    ngx_http_kot_redis_handler_pt handler, void *data, ngx_event_t *done,
    int nkeys, ngx_http_kot_redis_args_t *a)
{
    return ngx_http_kot_redis_script_list(r, id, handler, data, done, nkeys,
                                          a, NULL, 0);
}


/* The same, with the arguments of a followed by a list of any length. */

ngx_int_t
ngx_http_kot_redis_script_list(ngx_http_request_t *r, ngx_uint_t id,
    ngx_http_kot_redis_handler_pt handler, void *data, ngx_event_t *done,
    int nkeys, ngx_http_kot_redis_args_t *a, ngx_str_t *more, ngx_uint_t n)
{
    int          i, argc;
    u_char      *num;
    size_t      *argvlen;
    ngx_uint_t   j;
    const char **argv;

    if (a->argc > NGX_HTTP_KOT_REDIS_MAX_ARGS || n > 1000000) {
        return NGX_ERROR;
    }

    argc = 3 + a->argc + (int) n;

    argv = ngx_palloc(r->pool, argc * sizeof(char *));
    argvlen = ngx_palloc(r->pool, argc * sizeof(size_t));
    num = ngx_pnalloc(r->pool, NGX_INT_T_LEN);

    if (argv == NULL || argvlen == NULL || num == NULL) {
        return NGX_ERROR;
    }

    argv[0] = "EVALSHA";
    argvlen[0] = 7;
    argv[1] = kot_scripts[id].sha1;
    argvlen[1] = 40;
    argv[2] = (char *) num;
    argvlen[2] = ngx_sprintf(num, "%d", nkeys) - num;

    for (i = 0; i < a->argc; i++) {
        argv[3 + i] = a->argv[i];
        argvlen[3 + i] = a->argvlen[i];
    }

    for (j = 0; j < n; j++) {
        argv[3 + a->argc + j] = (char *) more[j].data;
        argvlen[3 + a->argc + j] = more[j].len;
    }

    return ngx_http_kot_redis_send(r, handler, data, done,
                                   kot_scripts[id].revokes
                                   && ngx_http_kot_redis.conf->sentinels,
                                   1, argc, argv, argvlen);
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

    if (op->phase != NGX_HTTP_KOT_REDIS_SCRIPT) {
        if (op->request == NULL
            || ngx_http_kot_redis_replicate(op, rep) != NGX_AGAIN)
        {
            ngx_http_kot_redis_op_free(op);
        }

        return;
    }

    if (ngx_http_kot_redis_noscript(rep)
        && ngx_http_kot_redis_repeat(op) == NGX_OK)
    {
        return;
    }

    ngx_http_kot_status_redis(op->sent, rep);

    if (op->request) {
        ngx_http_kot_redis_op_finish(op, rep);
    }

    if (op->request == NULL) {
        ngx_http_kot_redis_op_free(op);
    }
}


/*
 * Redis lost the scripts (SCRIPT FLUSH): the command did nothing.  The
 * scripts are loaded again, once for all the commands sent before, and
 * the command goes again behind them, once: its request sees nothing
 * but the time taken, all within its timer.
 */

static ngx_int_t
ngx_http_kot_redis_repeat(ngx_http_kot_redis_op_t *op)
{
    ngx_http_kot_redis_t  *rd = op->rd;

    if (!ngx_http_kot_redis_usable(rd)) {
        /* a new connection loads them anyway */
        return NGX_DECLINED;
    }

    ngx_http_kot_redis_reload(rd, op->seq);

    if (op->request == NULL || op->script == NULL || op->repeated
        || redisAsyncFormattedCommand(rd->ac, ngx_http_kot_redis_reply, op,
                                      op->script, op->script_len)
           != REDIS_OK)
    {
        return NGX_DECLINED;
    }

    op->repeated = 1;
    op->in_redis = 1;

    return NGX_OK;
}


/*
 * Whether to log the failure now; if so, more is what to add to the line
 * (empty, or how many were not logged since the last).
 */

static ngx_int_t
ngx_http_kot_redis_say(ngx_http_kot_redis_say_t *say, ngx_str_t *more)
{
    ngx_msec_t  since;

    since = ngx_current_msec - say->said;

    if (say->once && since < NGX_HTTP_KOT_REDIS_SAY) {
        say->unsaid++;
        return 0;
    }

    more->data = say->more;
    more->len = say->unsaid
                ? (size_t) (ngx_snprintf(say->more, sizeof(say->more),
                                         " (and %ui more within %M ms, "
                                         "not logged)", say->unsaid, since)
                            - say->more)
                : 0;

    say->said = ngx_current_msec;
    say->unsaid = 0;
    say->once = 1;

    return 1;
}


/* Redis lost the scripts (SCRIPT FLUSH, a restart without them). */

static ngx_uint_t
ngx_http_kot_redis_noscript(redisReply *rep)
{
    return rep != NULL && rep->type == REDIS_REPLY_ERROR
           && ngx_strncmp(rep->str, "NOSCRIPT", 8) == 0;
}


/* The scripts again, unless they were since the command seq was sent. */

static void
ngx_http_kot_redis_reload(ngx_http_kot_redis_t *rd, uint64_t seq)
{
    if (seq <= rd->loaded) {
        return;
    }

    ngx_log_error(NGX_LOG_WARN, rd->log, 0,
                  "kot: redis at \"%V\" had lost the scripts (NOSCRIPT): "
                  "loading them again", &rd->name);

    ngx_http_kot_redis_load(rd);
}


static void
ngx_http_kot_redis_op_free(ngx_http_kot_redis_op_t *op)
{
    if (op->script) {
        redisFreeCommand(op->script);
    }

    ngx_free(op);
}


/*
 * A revocation is answered: ROLE, then, if the master has replicas,
 * WAIT for one of them.  Returns NGX_AGAIN while the op waits on.
 */

static ngx_int_t
ngx_http_kot_redis_replicate(ngx_http_kot_redis_op_t *op, redisReply *reply)
{
    u_char                 ms[NGX_INT_T_LEN];
    size_t                 argvlen[3];
    const char            *argv[3];
    ngx_http_kot_redis_t  *rd = op->rd;

    switch (op->phase) {

    case NGX_HTTP_KOT_REDIS_SCRIPT:
        argv[0] = "ROLE";
        argvlen[0] = 4;
        op->phase = NGX_HTTP_KOT_REDIS_ROLE;

        if (ngx_http_kot_redis_usable(rd)
            && redisAsyncCommandArgv(rd->ac, ngx_http_kot_redis_reply, op,
                                     1, argv, argvlen)
               == REDIS_OK)
        {
            op->in_redis = 1;
            return NGX_AGAIN;
        }

        ngx_http_kot_redis_unreplicated(op, "the master could not be "
                                            "asked");
        return NGX_OK;

    case NGX_HTTP_KOT_REDIS_ROLE:
        if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
            || reply->elements < 3
            || reply->element[2]->type != REDIS_REPLY_ARRAY)
        {
            ngx_http_kot_redis_unreplicated(op, "ROLE did not list the "
                                                "replicas");
            return NGX_OK;
        }

        if (reply->element[2]->elements == 0) {
            /*
             * nothing to wait for: a master alone loses it anyway, and
             * ngx_http_kot_redis_replicas() said so once, not per request
             */
            ngx_http_kot_redis_op_done(op);
            return NGX_OK;
        }

        argv[0] = "WAIT";
        argvlen[0] = 4;
        argv[1] = "1";
        argvlen[1] = 1;
        argv[2] = (char *) ms;
        argvlen[2] = ngx_sprintf(ms, "%M", rd->conf->timeout) - ms;
        op->phase = NGX_HTTP_KOT_REDIS_WAIT;

        if (redisAsyncCommandArgv(rd->ac, ngx_http_kot_redis_reply, op, 3,
                                  argv, argvlen)
            == REDIS_OK)
        {
            /* WAIT answers by itself after its timeout: one more for it */
            ngx_add_timer(&op->timer, 2 * rd->conf->timeout);
            op->in_redis = 1;
            return NGX_AGAIN;
        }

        ngx_http_kot_redis_unreplicated(op, "WAIT could not be sent");
        return NGX_OK;

    default: /* NGX_HTTP_KOT_REDIS_WAIT */
        if (reply == NULL || reply->type != REDIS_REPLY_INTEGER
            || reply->integer < 1)
        {
            ngx_http_kot_redis_unreplicated(op, "no replica acknowledged "
                                                "it");
            return NGX_OK;
        }

        ngx_http_kot_redis_op_done(op);
        return NGX_OK;
    }
}


/*
 * The revocation holds on the master, but a failover now could lose it:
 * the request goes on (the user is logged out there), loudly.
 */

static void
ngx_http_kot_redis_unreplicated(ngx_http_kot_redis_op_t *op, const char *why)
{
    ngx_http_request_t    *r = op->request;
    ngx_http_kot_event_t   ev;

    ngx_memzero(&ev, sizeof(ngx_http_kot_event_t));
    ev.action = "revocation_unreplicated";
    ev.category = "session";
    ev.outcome = "unknown";
    ev.reason = "no_replica_ack";

    ngx_http_kot_redis_op_done(op);

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "kot: a revocation is on the master of \"%V\" only (%s; "
                  "WAIT %M ms): should the master fail before its "
                  "replicas have it, repeat it", &op->rd->conf->master,
                  why, op->rd->conf->timeout);

    ngx_http_kot_event(r, &ev, "revocation not acknowledged by a replica");
}


static void
ngx_http_kot_redis_op_timeout(ngx_event_t *ev)
{
    ngx_http_kot_redis_op_t  *op = ev->data;
    ngx_http_kot_redis_t     *rd = op->rd;

    ngx_log_error(NGX_LOG_ERR, ev->log, 0,
                  "kot: redis at \"%V\" did not answer within %M ms",
                  &rd->name, rd->conf->timeout);

    if (op->phase == NGX_HTTP_KOT_REDIS_SCRIPT) {
        ngx_http_kot_redis_op_finish(op, NULL);

    } else {
        ngx_http_kot_redis_unreplicated(op, "the master did not answer");
    }

    /* the op is freed by its callback, run from here */
    ngx_http_kot_redis_drop(rd, "command timed out");

    /* a sentinel cut off from the others would never name the new one */
    if (rd->conf->sentinels) {
        ngx_http_kot_redis_drop(&ngx_http_kot_redis_sentinel,
                                "the master did not answer; asking the "
                                "next sentinel");
    }
}


/*
 * The reply goes to the handler; the request goes on at once, or, for a
 * revocation, once a replica has it.
 */

static void
ngx_http_kot_redis_op_finish(ngx_http_kot_redis_op_t *op, redisReply *reply)
{
    ngx_str_t  more;

    if (op->timer.timer_set) {
        ngx_del_timer(&op->timer);
    }

    if (reply && reply->type == REDIS_REPLY_ERROR) {
        if (ngx_http_kot_redis_say(&ngx_http_kot_redis_say_error, &more)) {
            ngx_log_error(NGX_LOG_ERR, op->request->connection->log, 0,
                          "kot: redis error: %s%V", reply->str, &more);
        }

        reply = NULL;
    }

    op->handler(op->request, op->data, reply);

    if (reply && op->revokes
        && ngx_http_kot_redis_replicate(op, NULL) == NGX_AGAIN)
    {
        ngx_add_timer(&op->timer, op->rd->conf->timeout);
        return;
    }

    if (op->request) {
        ngx_http_kot_redis_op_done(op);
    }
}


static void
ngx_http_kot_redis_op_done(ngx_http_kot_redis_op_t *op)
{
    if (op->timer.timer_set) {
        ngx_del_timer(&op->timer);
    }

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

    /* still waiting for a master: no reply will ever free it */
    if (op->cmd) {
        ngx_http_kot_redis_unwait(op);
        ngx_free(op);
    }
}


ngx_int_t
ngx_http_kot_redis_str(ngx_http_request_t *r, redisReply *reply,
    ngx_str_t *s)
{
    if (reply->type != REDIS_REPLY_STRING) {
        return NGX_ERROR;
    }

    return ngx_http_kot_strdup(r->pool, s, (u_char *) reply->str,
                               reply->len);
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
