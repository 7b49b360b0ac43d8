
/*
 * ngx_kot: "kot_status;", the module's metrics in Prometheus's text
 * format (0.0.4), summed over every worker of the master.
 *
 * The counts live in a shared memory zone, one slot per worker index
 * (ngx_worker), each on cache lines of its own.  A worker adds to its own
 * slot only, with no lock; the status handler reads all the slots and
 * adds them up.  The adds are atomic (lock-free, and uncontended): a
 * worker index is shared for a few seconds when a reload starts new
 * workers while the old ones finish, and an index beyond the zone's
 * slots wraps onto a used one.  A slot's words only grow, so a total
 * read later is never smaller than one read before.
 *
 * The zone keeps its counts while the master lives: a respawned worker
 * goes on counting in the slot of the one it replaced, and a reload
 * (HUP) keeps the zone, since its name, size and tag stay the same.  A
 * restart or a binary upgrade (USR2) starts from zero, which Prometheus
 * takes as a counter reset.
 *
 * The gauges are a worker's own state: whether its command connection to
 * Redis is up, how many sessions its cache holds, how many replicas its
 * master has (only the worker that looks, with Sentinel).  Each is a word
 * with the owner's pid in the high half, so that only the worker that last
 * claimed the slot writes it (compare and swap): an old worker that
 * finishes after a reload cannot overwrite its successor's state.  A
 * worker gives its slot's gauges up when it exits; the handler also
 * skips the slot of a worker that died without exiting.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_kot_module.h"


/* worker indexes beyond this share slots (the counts stay exact) */
#define NGX_HTTP_KOT_STATUS_SLOTS       128

#define NGX_HTTP_KOT_STATUS_BUCKETS     16      /* the last one is +Inf */
#define NGX_HTTP_KOT_STATUS_OUT_MAX     (16 * 1024)


typedef enum {
    NGX_HTTP_KOT_GAUGE_REDIS_UP = 0,
    NGX_HTTP_KOT_GAUGE_CACHE,
    NGX_HTTP_KOT_GAUGE_REPLICAS,    /* + 1, 0: not known; one worker's */
    NGX_HTTP_KOT_GAUGE_N
} ngx_http_kot_gauge_e;


typedef enum {
    NGX_HTTP_KOT_HIST_REDIS = 0,
    NGX_HTTP_KOT_HIST_HASH,
    NGX_HTTP_KOT_HIST_N
} ngx_http_kot_hist_e;


/*
 * event.reason of a "login" record: the audit log's words, a fixed set.
 * [0] is a success; a reason not listed counts as "other".
 */
static const char  *ngx_http_kot_status_reasons[] = {
    "",
    "unknown_user", "bad_password", "locked", "disabled", "inactive",
    "invalid_name", "password_changed", "user_deleted", "csrf",
    "duplicate_field", "malformed_form", "form_too_large",
    "bad_code", "code_reused", "code_expired", "mfa_changed",
    "other"
};

#define NGX_HTTP_KOT_STATUS_REASONS                                          \
    (sizeof(ngx_http_kot_status_reasons) / sizeof(char *))


typedef struct {
    ngx_atomic_t                bucket[NGX_HTTP_KOT_STATUS_BUCKETS];
    ngx_atomic_t                sum;            /* microseconds */
} ngx_http_kot_status_hist_t;


typedef struct {
    ngx_atomic_t                gauge[NGX_HTTP_KOT_GAUGE_N];
    ngx_atomic_t                counter[NGX_HTTP_KOT_STAT_N];
    ngx_atomic_t                login[NGX_HTTP_KOT_STATUS_REASONS];
    ngx_http_kot_status_hist_t  hist[NGX_HTTP_KOT_HIST_N];
} ngx_http_kot_status_slot_t;

#define NGX_HTTP_KOT_STATUS_STRIDE                                           \
    ngx_align(sizeof(ngx_http_kot_status_slot_t), NGX_CPU_CACHE_LINE)


typedef struct {
    const char                 *name;
    const char                 *help;
    uint64_t                    bound[NGX_HTTP_KOT_STATUS_BUCKETS - 1];
    ngx_uint_t                  n;              /* bounds; then +Inf */
} ngx_http_kot_status_hist_spec_t;


/* bounds in microseconds */
static ngx_http_kot_status_hist_spec_t  ngx_http_kot_status_hists[] = {

    { "kot_redis_latency_seconds",
      "Time from sending a request's Redis command to its reply.",
      { 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000,
        250000, 500000, 1000000 }, 13 },

    { "kot_hash_seconds",
      "Time from queueing a password hash in the thread pool to its "
      "result, the wait in the queue included.",
      { 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000,
        2500000, 5000000, 10000000 }, 11 }
};


typedef struct {
    const char                 *name;
    const char                 *help;           /* NULL: as the row before */
    const char                 *labels;         /* NULL: none */
    ngx_uint_t                  counter;
} ngx_http_kot_status_counter_t;


static ngx_http_kot_status_counter_t  ngx_http_kot_status_counters[] = {

    { "kot_lockouts_total",
      "Accounts locked after too many failed logins.",
      NULL, NGX_HTTP_KOT_STAT_LOCKOUTS },

    { "kot_ip_denied_total",
      "Logins, requests, portal pages and admin API calls refused by a "
      "tenant's allow-list, by the list that refused.",
      "list=\"access\"", NGX_HTTP_KOT_STAT_IP_DENIED_ACCESS },

    { "kot_ip_denied_total", NULL,
      "list=\"admin\"", NGX_HTTP_KOT_STAT_IP_DENIED_ADMIN },

    { "kot_login_throttled_total",
      "Login attempts refused by the per-client login throttle (429).",
      NULL, NGX_HTTP_KOT_STAT_THROTTLED },

    { "kot_sessions_checked_total",
      "Session checks (protected requests, portal pages, admin API "
      "calls), by where the answer came from: the worker's session "
      "cache, or Redis.",
      "source=\"cache\"", NGX_HTTP_KOT_STAT_SESSIONS_CACHE },

    { "kot_sessions_checked_total", NULL,
      "source=\"redis\"", NGX_HTTP_KOT_STAT_SESSIONS_REDIS },

    { "kot_redis_errors_total",
      "Redis commands of requests that failed: Redis unreachable, a "
      "timeout, a lost connection or an error reply.",
      NULL, NGX_HTTP_KOT_STAT_REDIS_ERRORS },

    { "kot_audit_records_total",
      "Records sealed into the audit logs.",
      NULL, NGX_HTTP_KOT_STAT_AUDIT_RECORDS },

    { "kot_audit_write_errors_total",
      "Failed writes and seals of the audit logs; records were lost.",
      NULL, NGX_HTTP_KOT_STAT_AUDIT_WRITE_ERRORS },

    { "kot_hash_queue_full_total",
      "Password hashes refused because the thread pool's queue was full "
      "(the login got 503).",
      NULL, NGX_HTTP_KOT_STAT_HASH_QUEUE_FULL }
};


typedef struct {
    uint64_t                    counter[NGX_HTTP_KOT_STAT_N];
    uint64_t                    login[NGX_HTTP_KOT_STATUS_REASONS];
    uint64_t                    bucket[NGX_HTTP_KOT_HIST_N]
                                      [NGX_HTTP_KOT_STATUS_BUCKETS];
    uint64_t                    sum[NGX_HTTP_KOT_HIST_N];
    ngx_uint_t                  live;
    ngx_uint_t                  redis_up;
    uint64_t                    cache;
    ngx_uint_t                  replicas;       /* + 1, 0: not known */
} ngx_http_kot_status_totals_t;


static ngx_int_t ngx_http_kot_status_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static ngx_int_t ngx_http_kot_status_handler(ngx_http_request_t *r);
static void ngx_http_kot_status_gauge(ngx_uint_t gauge, ngx_uint_t value);
static void ngx_http_kot_status_observe(ngx_uint_t hist, uint64_t start);
static void ngx_http_kot_status_sum(u_char *slots,
    ngx_http_kot_status_totals_t *t);
static u_char *ngx_http_kot_status_print(u_char *p, u_char *last,
    ngx_http_kot_status_totals_t *t);
static u_char *ngx_http_kot_status_seconds(u_char *p, u_char *last,
    uint64_t us);


/* this worker's slot; NULL without kot_status */
static ngx_http_kot_status_slot_t  *ngx_http_kot_status_slot;


/* kot_status; */

char *
ngx_http_kot_status(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_kot_loc_conf_t *klcf = conf;

    size_t                     size;
    ngx_http_core_loc_conf_t  *clcf;
    ngx_http_kot_main_conf_t  *kmcf;

    static ngx_str_t  name = ngx_string("kot_status");

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->handler == ngx_http_kot_status_handler) {
        return "is duplicate";
    }

    if (clcf->handler) {
        return "needs a location of its own, without another content "
               "handler (proxy_pass, kot_portal, kot_admin...)";
    }

    clcf->handler = ngx_http_kot_status_handler;
    klcf->handler = clcf->handler;

    kmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_kot_module);

    if (kmcf->status_zone) {
        return NGX_CONF_OK;
    }

    /* the same size on every reload, so that the zone and counts stay */
    size = 8 * ngx_pagesize
           + NGX_HTTP_KOT_STATUS_SLOTS * NGX_HTTP_KOT_STATUS_STRIDE;

    kmcf->status_zone = ngx_shared_memory_add(cf, &name, size,
                                              &ngx_http_kot_module);
    if (kmcf->status_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    kmcf->status_zone->init = ngx_http_kot_status_init_zone;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_kot_status_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_slab_pool_t  *shpool;

    if (data) {
        /* a reload: the slots of the previous cycle, and their counts */
        shm_zone->data = data;
        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        shm_zone->data = shpool->data;
        return NGX_OK;
    }

    shm_zone->data = ngx_slab_calloc(shpool, NGX_HTTP_KOT_STATUS_SLOTS
                                             * NGX_HTTP_KOT_STATUS_STRIDE);
    if (shm_zone->data == NULL) {
        return NGX_ERROR;
    }

    shpool->data = shm_zone->data;

    return NGX_OK;
}


/* Claims the worker's slot: its gauges are this process's from now on. */

void
ngx_http_kot_status_init_process(ngx_http_kot_main_conf_t *kmcf)
{
    ngx_uint_t                   i;
    ngx_http_kot_status_slot_t  *slot;

    if (kmcf->status_zone == NULL) {
        ngx_http_kot_status_slot = NULL;
        return;
    }

    slot = (ngx_http_kot_status_slot_t *)
           ((u_char *) kmcf->status_zone->data
            + (ngx_worker % NGX_HTTP_KOT_STATUS_SLOTS)
              * NGX_HTTP_KOT_STATUS_STRIDE);

    for (i = 0; i < NGX_HTTP_KOT_GAUGE_N; i++) {
        slot->gauge[i] = (ngx_atomic_uint_t) ngx_pid << 32;
    }

    ngx_http_kot_status_slot = slot;
}


/* Gives the gauges up, unless a newer worker claimed them already. */

void
ngx_http_kot_status_exit_process(void)
{
    ngx_uint_t                   i;
    ngx_atomic_uint_t            old;
    ngx_http_kot_status_slot_t  *slot = ngx_http_kot_status_slot;

    if (slot == NULL) {
        return;
    }

    for (i = 0; i < NGX_HTTP_KOT_GAUGE_N; i++) {
        old = slot->gauge[i];

        if (old >> 32 == (ngx_atomic_uint_t) ngx_pid) {
            (void) ngx_atomic_cmp_set(&slot->gauge[i], old, 0);
        }
    }

    ngx_http_kot_status_slot = NULL;
}


void
ngx_http_kot_status_count(ngx_uint_t counter)
{
    if (ngx_http_kot_status_slot) {
        (void) ngx_atomic_fetch_add(
                   &ngx_http_kot_status_slot->counter[counter], 1);
    }
}


/*
 * A security event, as the audit log records it: the counts of logins,
 * lockouts, throttled logins and allow-list refusals follow the records,
 * so that the metrics and the log agree.
 */

void
ngx_http_kot_status_event(ngx_http_request_t *r, ngx_http_kot_event_t *ev)
{
    ngx_uint_t           i;
    ngx_http_kot_ctx_t  *ctx;

    if (ngx_http_kot_status_slot == NULL) {
        return;
    }

    if (ngx_strcmp(ev->action, "login") == 0) {

        /* a right password that asks for a code: counted when it ends */
        if (ngx_strcmp(ev->outcome, "unknown") == 0) {
            return;
        }

        i = 0;

        if (ngx_strcmp(ev->outcome, "success") != 0) {
            for (i = 1; i < NGX_HTTP_KOT_STATUS_REASONS - 1; i++) {
                if (ev->reason
                    && ngx_strcmp(ev->reason, ngx_http_kot_status_reasons[i])
                       == 0)
                {
                    break;
                }
            }
        }

        (void) ngx_atomic_fetch_add(&ngx_http_kot_status_slot->login[i], 1);

    } else if (ngx_strcmp(ev->action, "account_locked") == 0) {
        ngx_http_kot_status_count(NGX_HTTP_KOT_STAT_LOCKOUTS);

    } else if (ngx_strcmp(ev->action, "login_throttled") == 0) {
        ngx_http_kot_status_count(NGX_HTTP_KOT_STAT_THROTTLED);

    } else if (ngx_strcmp(ev->action, "ip_denied") == 0) {
        ctx = ngx_http_get_module_ctx(r, ngx_http_kot_module);

        ngx_http_kot_status_count(ctx && ctx->allow_denied
                                  && ngx_strcmp(ctx->allow_denied, "admin")
                                     == 0
                                  ? NGX_HTTP_KOT_STAT_IP_DENIED_ADMIN
                                  : NGX_HTTP_KOT_STAT_IP_DENIED_ACCESS);
    }
}


/* Monotonic microseconds, for the histograms; 0 when nobody counts. */

uint64_t
ngx_http_kot_status_clock(void)
{
    struct timespec  ts;

    if (ngx_http_kot_status_slot == NULL
        || clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
    {
        return 0;
    }

    return (uint64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}


/*
 * A request's Redis command ended: the reply (its latency counted), or
 * NULL when it failed without one.
 */

void
ngx_http_kot_status_redis(uint64_t sent, redisReply *reply)
{
    if (reply == NULL || reply->type == REDIS_REPLY_ERROR) {
        ngx_http_kot_status_count(NGX_HTTP_KOT_STAT_REDIS_ERRORS);
    }

    if (reply) {
        ngx_http_kot_status_observe(NGX_HTTP_KOT_HIST_REDIS, sent);
    }
}


/* The command connection is up or down (commands: 0 for another one). */

void
ngx_http_kot_status_redis_up(ngx_uint_t commands, ngx_uint_t up)
{
    if (commands) {
        ngx_http_kot_status_gauge(NGX_HTTP_KOT_GAUGE_REDIS_UP, up);
    }
}


void
ngx_http_kot_status_cache(ngx_uint_t entries)
{
    ngx_http_kot_status_gauge(NGX_HTTP_KOT_GAUGE_CACHE, entries);
}


/* The master's replicas, as ROLE listed them (one worker, Sentinel). */

void
ngx_http_kot_status_replicas(ngx_uint_t n)
{
    ngx_http_kot_status_gauge(NGX_HTTP_KOT_GAUGE_REPLICAS, n + 1);
}


/* A hash queued at "queued" (ngx_http_kot_status_clock()) is done. */

void
ngx_http_kot_status_hash(uint64_t queued)
{
    ngx_http_kot_status_observe(NGX_HTTP_KOT_HIST_HASH, queued);
}


static void
ngx_http_kot_status_gauge(ngx_uint_t gauge, ngx_uint_t value)
{
    ngx_atomic_uint_t   old, mine;
    ngx_atomic_t       *g;

    if (ngx_http_kot_status_slot == NULL) {
        return;
    }

    g = &ngx_http_kot_status_slot->gauge[gauge];
    mine = (ngx_atomic_uint_t) ngx_pid << 32;
    old = *g;

    /* a newer worker owns the slot: this one's state is no longer shown */
    if ((old & ~(ngx_atomic_uint_t) 0xffffffff) != mine) {
        return;
    }

    (void) ngx_atomic_cmp_set(g, old, mine | (value & 0xffffffff));
}


static void
ngx_http_kot_status_observe(ngx_uint_t hist, uint64_t start)
{
    uint64_t                          us, now;
    ngx_uint_t                        i;
    ngx_http_kot_status_hist_t       *h;
    ngx_http_kot_status_hist_spec_t  *spec;

    now = ngx_http_kot_status_clock();

    if (start == 0 || now == 0) {
        return;
    }

    us = now - start;
    spec = &ngx_http_kot_status_hists[hist];
    h = &ngx_http_kot_status_slot->hist[hist];

    for (i = 0; i < spec->n && us > spec->bound[i]; i++) {
        /* void */
    }

    (void) ngx_atomic_fetch_add(&h->bucket[i], 1);
    (void) ngx_atomic_fetch_add(&h->sum, us);
}


static ngx_int_t
ngx_http_kot_status_handler(ngx_http_request_t *r)
{
    u_char                        *p;
    ngx_int_t                      rc;
    ngx_buf_t                     *b;
    ngx_chain_t                    out;
    ngx_http_kot_main_conf_t      *kmcf;
    ngx_http_kot_status_totals_t   t;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return ngx_http_kot_not_allowed(r, "GET, HEAD");
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    kmcf = ngx_http_get_module_main_conf(r, ngx_http_kot_module);

    ngx_http_kot_status_sum(kmcf->status_zone->data, &t);

    b = ngx_create_temp_buf(r->pool, NGX_HTTP_KOT_STATUS_OUT_MAX);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_http_kot_status_print(b->pos, b->end, &t);

    if (p == b->end) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "kot: the status page is larger than its buffer");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = p;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    ngx_str_set(&r->headers_out.content_type,
                "text/plain; version=0.0.4; charset=utf-8");
    r->headers_out.content_type_len = sizeof("text/plain") - 1;
    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = b->last - b->pos;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


static void
ngx_http_kot_status_sum(u_char *slots, ngx_http_kot_status_totals_t *t)
{
    ngx_pid_t                    pid;
    ngx_uint_t                   s, i, j, up, replicas;
    ngx_atomic_uint_t            w;
    ngx_http_kot_status_slot_t  *slot;

    ngx_memzero(t, sizeof(ngx_http_kot_status_totals_t));
    t->redis_up = 1;

    for (s = 0; s < NGX_HTTP_KOT_STATUS_SLOTS; s++) {
        slot = (ngx_http_kot_status_slot_t *)
               (slots + s * NGX_HTTP_KOT_STATUS_STRIDE);

        for (i = 0; i < NGX_HTTP_KOT_STAT_N; i++) {
            t->counter[i] += slot->counter[i];
        }

        for (i = 0; i < NGX_HTTP_KOT_STATUS_REASONS; i++) {
            t->login[i] += slot->login[i];
        }

        for (i = 0; i < NGX_HTTP_KOT_HIST_N; i++) {
            for (j = 0; j < NGX_HTTP_KOT_STATUS_BUCKETS; j++) {
                t->bucket[i][j] += slot->hist[i].bucket[j];
            }

            t->sum[i] += slot->hist[i].sum;
        }

        /* the gauges of live workers only */
        w = slot->gauge[NGX_HTTP_KOT_GAUGE_REDIS_UP];
        pid = (ngx_pid_t) (w >> 32);

        if (pid == 0 || (kill(pid, 0) == -1 && ngx_errno == NGX_ESRCH)) {
            continue;
        }

        up = (ngx_uint_t) (w & 0xffffffff);

        t->live++;
        t->redis_up = ngx_min(t->redis_up, up);
        t->cache += slot->gauge[NGX_HTTP_KOT_GAUGE_CACHE] & 0xffffffff;
        /* one worker sets it: the others' slots say 0, not known */
        replicas = slot->gauge[NGX_HTTP_KOT_GAUGE_REPLICAS] & 0xffffffff;
        t->replicas = ngx_max(t->replicas, replicas);
    }

    if (t->live == 0) {
        t->redis_up = 0;
    }
}


static u_char *
ngx_http_kot_status_print(u_char *p, u_char *last,
    ngx_http_kot_status_totals_t *t)
{
    uint64_t                          n;
    ngx_uint_t                        i, j;
    ngx_http_kot_status_counter_t    *c;
    ngx_http_kot_status_hist_spec_t  *h;

    /* Prometheus's build_info convention: the version as a label */
    p = ngx_slprintf(p, last,
                     "# HELP kot_build_info The ngx_kot version this "
                     "node's module was built as (always 1).\n"
                     "# TYPE kot_build_info gauge\n"
                     "kot_build_info{version=\"" NGX_HTTP_KOT_VERSION
                     "\"} 1\n"
                     "# HELP kot_logins_total Logins at the portal, by "
                     "outcome and, for a failure, the event.reason of its "
                     "audit record.\n"
                     "# TYPE kot_logins_total counter\n");

    for (i = 0; i < NGX_HTTP_KOT_STATUS_REASONS; i++) {
        p = ngx_slprintf(p, last,
                         "kot_logins_total{outcome=\"%s\",reason=\"%s\"} "
                         "%uL\n", i ? "failure" : "success",
                         ngx_http_kot_status_reasons[i], t->login[i]);
    }

    for (i = 0; i < sizeof(ngx_http_kot_status_counters)
                    / sizeof(ngx_http_kot_status_counter_t); i++)
    {
        c = &ngx_http_kot_status_counters[i];

        if (c->help) {
            p = ngx_slprintf(p, last, "# HELP %s %s\n# TYPE %s counter\n",
                             c->name, c->help, c->name);
        }

        p = ngx_slprintf(p, last, "%s%s%s%s %uL\n", c->name,
                         c->labels ? "{" : "", c->labels ? c->labels : "",
                         c->labels ? "}" : "", t->counter[c->counter]);
    }

    for (i = 0; i < NGX_HTTP_KOT_HIST_N; i++) {
        h = &ngx_http_kot_status_hists[i];

        p = ngx_slprintf(p, last, "# HELP %s %s\n# TYPE %s histogram\n",
                         h->name, h->help, h->name);

        n = 0;

        for (j = 0; j <= h->n; j++) {
            n += t->bucket[i][j];

            p = ngx_slprintf(p, last, "%s_bucket{le=\"", h->name);
            p = (j < h->n) ? ngx_http_kot_status_seconds(p, last,
                                                         h->bound[j])
                           : ngx_slprintf(p, last, "+Inf");
            p = ngx_slprintf(p, last, "\"} %uL\n", n);
        }

        p = ngx_slprintf(p, last, "%s_sum ", h->name);
        p = ngx_http_kot_status_seconds(p, last, t->sum[i]);
        p = ngx_slprintf(p, last, "\n%s_count %uL\n", h->name, n);
    }

    return ngx_slprintf(p, last,
                        "# HELP kot_redis_up Whether every live worker's "
                        "command connection to Redis is up (1) or not (0).\n"
                        "# TYPE kot_redis_up gauge\n"
                        "kot_redis_up %ui\n"
                        "# HELP kot_session_cache_entries Sessions held in "
                        "the session caches of all live workers.\n"
                        "# TYPE kot_session_cache_entries gauge\n"
                        "kot_session_cache_entries %uL\n"
                        "# HELP kot_redis_replicas Replicas connected to the "
                        "Redis master and in sync, as ROLE listed them at "
                        "the last look (one worker, every second, with "
                        "kot_redis_sentinel); -1 without Sentinel or before "
                        "the first look.\n"
                        "# TYPE kot_redis_replicas gauge\n"
                        "kot_redis_replicas %i\n",
                        t->redis_up, t->cache,
                        (ngx_int_t) t->replicas - 1);
}


/* us as seconds, in decimal without trailing zeros: 0.00025, 1, 12.5 */

static u_char *
ngx_http_kot_status_seconds(u_char *p, u_char *last, uint64_t us)
{
    u_char  *start;

    start = p;
    p = ngx_slprintf(p, last, "%uL.%06uL", us / 1000000, us % 1000000);

    if (p == last) {
        return p;
    }

    while (p > start && p[-1] == '0') {
        p--;
    }

    if (p > start && p[-1] == '.') {
        p--;
    }

    return p;
}
