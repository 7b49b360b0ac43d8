
/*
 * ngx_kot: the audit log (docs/audit.md).  Each worker keeps one MAC
 * chain per log file; records are JSON Lines built with jansson.
 *
 * Security events are written before the response goes out.  Records of
 * proxied requests wait in a buffer for up to "flush" time, and are built
 * without jansson, which cost a third of a proxied request's time: a
 * small writer below emits the same fields in the same order, escaped by
 * kot_json_escape() (fuzzed; invalid UTF-8 becomes U+FFFD as elsewhere).
 * A buffer is always written with one write() to a file opened with
 * O_APPEND, so the lines of several workers never interleave.  The
 * chain's head goes to Redis as an anchor, so that a cut-off tail shows:
 * after every write that holds a security event, and otherwise at most
 * once per flush interval.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>

#include "ngx_http_kot_module.h"
#include "kot_chain.h"
#include "kot_ident.h"
#include "kot_text.h"


#define NGX_HTTP_KOT_AUDIT_RECORD_MAX  (64 * 1024)

/*
 * cache=: past Linux's own writeback of dirty pages (30 s after they are
 * written, by a flusher that wakes every 5 s), so that the pages dropped
 * are ones the kernel has written
 */
#define NGX_HTTP_KOT_AUDIT_CACHE       (60 * 1000)

/* the longest line that kotctl audit verify reads (KOTCTL_LINE_MAX) */
#define NGX_HTTP_KOT_AUDIT_LINE_MAX    (1024 * 1024)
#define NGX_HTTP_KOT_AUDIT_FIELD_MAX   4096
#define NGX_HTTP_KOT_AUDIT_ANCHOR_TTL  "34560000"     /* 400 days, in s */

/* login_rejected_busy: addresses counted per second, and named */
#define NGX_HTTP_KOT_BUSY_SOURCES      64
#define NGX_HTTP_KOT_BUSY_TOP          5


typedef struct {
    u_char                      addr[NGX_SOCKADDR_STRLEN];
    size_t                      len;
    ngx_uint_t                  count;
} ngx_http_kot_busy_source_t;


/*
 * The logins of one second refused because the hash queue was full, of
 * one worker and log.  The addresses are counted with the Space-Saving
 * algorithm: exact while the second has at most BUSY_SOURCES of them;
 * beyond, a new address takes the place of the least counted and its
 * count, so counts are upper bounds, and any address behind more than
 * 1/BUSY_SOURCES of the refusals is surely among them.
 */
typedef struct {
    time_t                      sec;
    ngx_uint_t                  count;
    ngx_uint_t                  nsources;
    unsigned                    approximate:1;
    ngx_event_t                 timer;
    ngx_http_kot_busy_source_t  sources[NGX_HTTP_KOT_BUSY_SOURCES];
} ngx_http_kot_busy_t;


struct ngx_http_kot_audit_log_s {
    ngx_str_t                   path;
    ngx_open_file_t            *file;
    size_t                      size;           /* buffer=, 0: none */
    ngx_msec_t                  flush;          /* flush= */
    ngx_msec_t                  cache;          /* cache=, 0: keep */
    unsigned                    size_given:1;   /* by a directive */
    unsigned                    flush_given:1;
    unsigned                    cache_given:1;

    /* per worker, after fork */
    kot_chain_t                 chain;
    u_char                     *buf;
    u_char                     *pos;
    size_t                      cap;            /* of buf */
    ngx_event_t                 timer;
    ngx_log_t                  *log;
    ngx_msec_t                  anchored;       /* last anchor, at */
    ngx_http_kot_main_conf_t   *kmcf;
    uint64_t                    lost;           /* records, since restart */
    char                        lost_chain[KOT_CHAIN_ID_LEN + 1];
    ngx_http_kot_busy_t         busy;
    ngx_thread_task_t          *uncache;
    off_t                       cache_mark;     /* the file's end, at */
    ngx_msec_t                  cache_marked;
    unsigned                    started:1;
    unsigned                    restart:1;      /* records were lost */
    unsigned                    restart_failed:1;
    unsigned                    failed:1;
    unsigned                    seal_failed:1;
    unsigned                    unanchored:1;
};


typedef struct {
    ngx_fd_t                    fd;
    off_t                       end;
} ngx_http_kot_audit_uncache_t;


static void ngx_http_kot_audit_key_free(void *data);
static json_t *ngx_http_kot_audit_record(ngx_http_kot_audit_log_t *al,
    const char *action, const char *category, const char *outcome);
static void ngx_http_kot_audit_request_fields(ngx_http_request_t *r,
    json_t *rec);
static ngx_int_t ngx_http_kot_audit_append(ngx_http_kot_audit_log_t *al,
    json_t *rec, ngx_str_t *line);
static void ngx_http_kot_audit_flush(ngx_http_kot_audit_log_t *al,
    ngx_uint_t anchor);
static ngx_int_t ngx_http_kot_audit_keep(ngx_http_kot_audit_log_t *al,
    u_char *p);
static void ngx_http_kot_audit_uncache(ngx_http_kot_audit_log_t *al);
static void ngx_http_kot_audit_uncache_thread(void *data, ngx_log_t *log);
static void ngx_http_kot_audit_uncached(ngx_event_t *ev);
static char *ngx_http_kot_audit_dir(ngx_conf_t *cf, ngx_str_t *path);
static void ngx_http_kot_audit_create(ngx_open_file_t *file);
static void ngx_http_kot_audit_flush_file(ngx_open_file_t *file,
    ngx_log_t *log);
static void ngx_http_kot_audit_timer(ngx_event_t *ev);
static void ngx_http_kot_audit_anchor(ngx_http_kot_audit_log_t *al);
static ngx_int_t ngx_http_kot_audit_start(ngx_cycle_t *cycle,
    ngx_http_kot_main_conf_t *kmcf, ngx_http_kot_audit_log_t *al);
static ngx_int_t ngx_http_kot_audit_chain(ngx_http_kot_audit_log_t *al);
static void ngx_http_kot_audit_restart(ngx_http_kot_audit_log_t *al);
static void ngx_http_kot_audit_last(ngx_http_kot_audit_log_t *al);
static ngx_fd_t ngx_http_kot_audit_last_fd(ngx_http_kot_audit_log_t *al,
    ngx_err_t *err);
static ngx_uint_t ngx_http_kot_audit_held(ngx_http_kot_audit_log_t *al,
    ngx_file_info_t *fi);
static uint64_t ngx_http_kot_audit_count(ngx_http_kot_audit_log_t *al,
    u_char *p);
static void ngx_http_kot_audit_drop(ngx_http_kot_audit_log_t *al,
    u_char *p);
static void ngx_http_kot_audit_set(json_t *rec, const char *key,
    u_char *data, size_t len);
static void ngx_http_kot_audit_set_str(json_t *rec, const char *key,
    ngx_str_t *s);
static ngx_int_t ngx_http_kot_audit_log_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_kot_audit_frame(ngx_http_kot_audit_log_t *al,
    char *s, size_t len);
static ngx_int_t ngx_http_kot_audit_seal_framed(
    ngx_http_kot_audit_log_t *al);
static void ngx_http_kot_audit_seal_failed(ngx_http_kot_audit_log_t *al);
static ngx_int_t ngx_http_kot_audit_text(ngx_http_kot_audit_log_t *al,
    char *s, size_t len, ngx_str_t *line);
static u_char *ngx_http_kot_event_escape(u_char *dst, u_char *last,
    u_char *src, size_t len);
static void ngx_http_kot_audit_lists(ngx_http_request_t *r,
    ngx_http_kot_event_t *ev, json_t *rec, ngx_str_t *line);
static char *ngx_http_kot_audit_list_text(ngx_http_request_t *r,
    json_t *rec, ngx_str_t *text);
static void ngx_http_kot_audit_push(ngx_http_request_t *r, ngx_str_t *tenant,
    ngx_str_t *line);
static u_char *ngx_http_kot_audit_head(ngx_http_kot_audit_log_t *al,
    u_char *p, ngx_uint_t success);
static ngx_http_variable_value_t *ngx_http_kot_audit_request_id(
    ngx_http_request_t *r);
static ngx_inline void ngx_http_kot_audit_hex8(u_char *dst, u_char *src);
static void ngx_http_kot_audit_busy_count(ngx_http_kot_busy_t *b,
    ngx_str_t *addr);
static void ngx_http_kot_audit_busy_flush(ngx_http_kot_audit_log_t *al);
static void ngx_http_kot_audit_busy_timer(ngx_event_t *ev);
static int ngx_libc_cdecl ngx_http_kot_audit_busy_cmp(const void *one,
    const void *two);
static json_t *ngx_http_kot_audit_time(time_t sec);


/* the request record's writer: each adds ',"key":value' if it fits */

typedef struct {
    u_char                     *p;
    u_char                     *end;
    ngx_uint_t                  full;
} ngx_http_kot_jw_t;

/*
 * A member of a request record: the key is a literal, its length known
 * at compile time; values that come from outside are escaped, values
 * made here (hex, base64url) are copied.
 */
#define ngx_http_kot_jw_str(w, key, v, len, escape)                          \
    ngx_http_kot_jw_strn(w, (u_char *) ",\"" key "\":\"",                   \
                         sizeof(",\"" key "\":\"") - 1, v, len, escape)
#define ngx_http_kot_jw_int(w, key, n)                                       \
    ngx_http_kot_jw_intn(w, (u_char *) ",\"" key "\":",                      \
                         sizeof(",\"" key "\":") - 1, n)
#define ngx_http_kot_audit_lit(p, s)  ngx_cpymem(p, s, sizeof(s) - 1)

static ngx_inline void ngx_http_kot_jw_strn(ngx_http_kot_jw_t *w,
    u_char *key, size_t klen, u_char *v, size_t len, ngx_uint_t escape);
static ngx_uint_t ngx_http_kot_jw_fits(ngx_http_kot_jw_t *w, size_t klen,
    u_char *v, size_t len, ngx_uint_t escape);
static ngx_inline void ngx_http_kot_jw_intn(ngx_http_kot_jw_t *w,
    u_char *key, size_t klen, uint64_t n);
static u_char *ngx_http_kot_audit_uint(u_char *p, uint64_t n);


/* kot_audit_log path [buffer=size] [flush=time] [cache=time|keep] | off; */

char *
ngx_http_kot_audit_log(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_kot_loc_conf_t *klcf = conf;

    ssize_t                     size;
    ngx_str_t                  *value, s;
    u_char                     *eq;
    ngx_msec_t                  flush, cache;
    ngx_uint_t                  i, keep;
    ngx_http_kot_audit_log_t   *al, **alp;
    ngx_http_kot_main_conf_t   *kmcf;

    if (klcf->audit_log != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    if (ngx_http_kot_conf_once(cf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        if (cf->args->nelts != 2) {
            return "takes no parameters after \"off\"";
        }

        klcf->audit_log = NULL;
        return NGX_CONF_OK;
    }

    kmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_kot_module);

    if (ngx_conf_full_name(cf->cycle, &value[1], 0) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    /* one path, one log, whichever locations name it */
    alp = kmcf->audit_logs.elts;

    for (i = 0; i < kmcf->audit_logs.nelts; i++) {
        if (alp[i]->path.len == value[1].len
            && ngx_strncmp(alp[i]->path.data, value[1].data, value[1].len)
               == 0)
        {
            al = alp[i];
            goto params;
        }
    }

    al = ngx_pcalloc(cf->pool, sizeof(ngx_http_kot_audit_log_t));
    if (al == NULL) {
        return NGX_CONF_ERROR;
    }

    if (ngx_http_kot_audit_dir(cf, &value[1]) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    al->path = value[1];
    al->size = 64 * 1024;
    al->flush = 1000;
    al->cache = NGX_HTTP_KOT_AUDIT_CACHE;

    al->file = ngx_conf_open_file(cf->cycle, &al->path);
    if (al->file == NULL) {
        return NGX_CONF_ERROR;
    }

    /* in the master too, which reopens the file before the workers do */
    al->file->flush = ngx_http_kot_audit_flush_file;
    al->file->data = al;

    ngx_http_kot_audit_create(al->file);

    alp = ngx_array_push(&kmcf->audit_logs);
    if (alp == NULL) {
        return NGX_CONF_ERROR;
    }

    *alp = al;

params:

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "buffer=", 7) == 0) {
            s.data = value[i].data + 7;
            s.len = value[i].len - 7;

            size = ngx_parse_size(&s);
            if (size == NGX_ERROR || size > 16 * 1024 * 1024) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "kot_audit_log: \"%V\" must be a size "
                                   "up to 16m, e.g. buffer=64k", &value[i]);
                return NGX_CONF_ERROR;
            }

            if (al->size_given && al->size != (size_t) size) {
                goto differs;
            }

            al->size = size;
            al->size_given = 1;

        } else if (ngx_strncmp(value[i].data, "flush=", 6) == 0) {
            s.data = value[i].data + 6;
            s.len = value[i].len - 6;

            flush = ngx_parse_time(&s, 0);
            if (flush == (ngx_msec_t) NGX_ERROR || flush == 0) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "kot_audit_log: \"%V\" must be a time, "
                                   "e.g. flush=1s", &value[i]);
                return NGX_CONF_ERROR;
            }

            if (al->flush_given && al->flush != flush) {
                goto differs;
            }

            al->flush = flush;
            al->flush_given = 1;

        } else if (ngx_strncmp(value[i].data, "cache=", 6) == 0) {
            s.data = value[i].data + 6;
            s.len = value[i].len - 6;

            keep = (s.len == 4 && ngx_strncmp(s.data, "keep", 4) == 0);
            cache = keep ? 0 : ngx_parse_time(&s, 0);

            if (cache == (ngx_msec_t) NGX_ERROR || (cache == 0 && !keep)) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "kot_audit_log: \"%V\" must be a time "
                                   "or \"keep\", e.g. cache=60s",
                                   &value[i]);
                return NGX_CONF_ERROR;
            }

            if (al->cache_given && al->cache != cache) {
                goto differs;
            }

            al->cache = cache;
            al->cache_given = 1;

        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "kot_audit_log: invalid parameter \"%V\"; "
                               "expected buffer=SIZE, flush=TIME or "
                               "cache=TIME|keep", &value[i]);
            return NGX_CONF_ERROR;
        }
    }

    klcf->audit_log = al;

    return NGX_CONF_OK;

differs:

    /* one file is one log, with one buffer: one of the two would not be */
    eq = ngx_strlchr(value[i].data, value[i].data + value[i].len, '=');

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "kot_audit_log \"%V\": \"%V\" differs from the %*s "
                       "given to the same file before; give it once, or "
                       "the same everywhere", &al->path, &value[i],
                       eq + 1 - value[i].data, value[i].data);

    return NGX_CONF_ERROR;
}


/* kot_audit_auditor_key path; */

char *
ngx_http_kot_audit_auditor_key(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_kot_main_conf_t *kmcf = conf;

    ngx_str_t           *value;
    ngx_file_info_t      fi;
    ngx_pool_cleanup_t  *cln;

    if (kmcf->auditor_key) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_conf_full_name(cf->cycle, &value[1], 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    /* a path mistyped is not a key of the wrong kind */
    if (ngx_file_info(value[1].data, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "kot_audit_auditor_key \"%V\" cannot be opened; "
                           "copy the auditor's public key there (made by "
                           "the auditor with \"openssl pkey -in auditor.pem "
                           "-pubout\")", &value[1]);
        return NGX_CONF_ERROR;
    }

    kmcf->auditor_key = kot_chain_load_public((char *) value[1].data);

    /* not in the pool: each reload would leak the old cycle's key */
    if (kmcf->auditor_key) {
        cln = ngx_pool_cleanup_add(cf->pool, 0);
        if (cln == NULL) {
            EVP_PKEY_free(kmcf->auditor_key);
            kmcf->auditor_key = NULL;
            return NGX_CONF_ERROR;
        }

        cln->handler = ngx_http_kot_audit_key_free;
        cln->data = kmcf->auditor_key;
    }

    if (kmcf->auditor_key == NULL
        || kot_chain_fingerprint(kmcf->auditor_key, kmcf->auditor_fpr) != 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "kot_audit_auditor_key \"%V\" is not an RSA "
                           "public key in PEM; make one with \"openssl "
                           "genpkey -algorithm RSA -pkeyopt "
                           "rsa_keygen_bits:3072 -out auditor.pem; openssl "
                           "pkey -in auditor.pem -pubout -out %V\" and keep "
                           "auditor.pem away from this host", &value[1],
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static void
ngx_http_kot_audit_key_free(void *data)
{
    EVP_PKEY_free(data);
}


/* After the http block: a log without the auditor's key is no log. */

ngx_int_t
ngx_http_kot_audit_init(ngx_conf_t *cf, ngx_http_kot_main_conf_t *kmcf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    static ngx_str_t  request_id = ngx_string("request_id");

    /* records go to the tenants' events lists without a log too */
    kmcf->request_id = ngx_http_get_variable_index(cf, &request_id);
    if (kmcf->request_id == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (kmcf->audit_logs.nelts == 0) {
        return NGX_OK;
    }

    if (kmcf->auditor_key == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"kot_audit_log\" needs the auditor's public key: "
                           "add \"kot_audit_auditor_key /etc/nginx/"
                           "auditor.pub;\" to the http block");
        return NGX_ERROR;
    }

    if (!kmcf->redis_set) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"kot_audit_log\" needs \"kot_redis\" for its "
                           "anchors: add \"kot_redis 127.0.0.1:6379;\" to "
                           "the http block");
        return NGX_ERROR;
    }

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_kot_audit_log_handler;

    /* workers need Redis for the anchors even with no "kot on" */
    kmcf->used = 1;

    return NGX_OK;
}


/* Each worker starts its own chain in each log. */

ngx_int_t
ngx_http_kot_audit_init_process(ngx_cycle_t *cycle,
    ngx_http_kot_main_conf_t *kmcf)
{
    ngx_uint_t                 i;
    ngx_http_kot_audit_log_t **alp;

    alp = kmcf->audit_logs.elts;

    for (i = 0; i < kmcf->audit_logs.nelts; i++) {
        if (ngx_http_kot_audit_start(cycle, kmcf, alp[i]) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_kot_audit_start(ngx_cycle_t *cycle, ngx_http_kot_main_conf_t *kmcf,
    ngx_http_kot_audit_log_t *al)
{
    al->log = cycle->log;
    al->kmcf = kmcf;

    al->cap = al->size + NGX_HTTP_KOT_AUDIT_RECORD_MAX + KOT_CHAIN_SUFFIX_MAX;

    al->buf = ngx_alloc(al->cap, cycle->log);
    if (al->buf == NULL) {
        return NGX_ERROR;
    }

    al->pos = al->buf;

    al->timer.handler = ngx_http_kot_audit_timer;
    al->timer.data = al;
    al->timer.log = cycle->log;
    al->timer.cancelable = 1;

    al->busy.timer.handler = ngx_http_kot_audit_busy_timer;
    al->busy.timer.data = al;
    al->busy.timer.log = cycle->log;
    al->busy.timer.cancelable = 1;

    if (al->cache) {
        al->uncache = ngx_thread_task_alloc(cycle->pool,
                                      sizeof(ngx_http_kot_audit_uncache_t));
        if (al->uncache == NULL) {
            return NGX_ERROR;
        }

        al->uncache->handler = ngx_http_kot_audit_uncache_thread;
        al->uncache->event.handler = ngx_http_kot_audit_uncached;
        al->cache_marked = ngx_current_msec;
    }

    if (ngx_http_kot_audit_chain(al) != NGX_OK) {
        return NGX_ERROR;
    }

    al->started = 1;

    ngx_http_kot_audit_flush(al, 1);

    return NGX_OK;
}


/*
 * A new chain in the log, its record 0 in the buffer.  After records
 * were lost, record 0 says how many, and names the chain of the first.
 */

static ngx_int_t
ngx_http_kot_audit_chain(ngx_http_kot_audit_log_t *al)
{
    char       sealed[KOT_CHAIN_SEALED_MAX];
    long       n;
    json_t    *rec;
    uint8_t    k0[KOT_CHAIN_KEY_LEN];
    ngx_str_t  host;

    /*
     * a key per write of the buffer, bound to the write before it
     * (docs/audit.md, "ngx_kot/3")
     */

    if (kot_chain_start(&al->chain, k0) != 0
        || kot_chain_batched(&al->chain, 3) != 0)
    {
        kot_cleanse(k0, sizeof(k0));
        kot_chain_wipe(&al->chain);
        return NGX_ERROR;
    }

    n = kot_chain_seal_key(al->kmcf->auditor_key, k0, sealed,
                           sizeof(sealed));
    kot_cleanse(k0, sizeof(k0));

    if (n < 0) {
        ngx_log_error(NGX_LOG_ALERT, al->log, 0,
                      "kot: cannot seal the audit chain's key to the "
                      "auditor's key");
        kot_chain_wipe(&al->chain);
        return NGX_ERROR;
    }

    rec = ngx_http_kot_audit_record(al, "chain_start", "configuration",
                                    "success");
    if (rec == NULL) {
        kot_chain_wipe(&al->chain);
        return NGX_ERROR;
    }

    host = ngx_cycle->hostname;

    json_object_set_new(rec, "kot.sealed_key", json_stringn(sealed, n));
    json_object_set_new(rec, "kot.auditor_key",
                        json_string(al->kmcf->auditor_fpr));
    ngx_http_kot_audit_set_str(rec, "host.hostname", &host);
    json_object_set_new(rec, "process.pid", json_integer(ngx_pid));
    json_object_set_new(rec, "service.version",
                        json_string(NGX_HTTP_KOT_VERSION));
    json_object_set_new(rec, KOT_CHAIN_VERSION_MEMBER,
                        json_string(kot_chain_version_name(&al->chain)));
    json_object_set_new(rec, KOT_CHAIN_ALG_MEMBER,
                        json_string(kot_chain_alg_name(&al->chain)));

    if (al->lost) {
        json_object_set_new(rec, "kot.lost_records",
                            json_integer((json_int_t) al->lost));
        json_object_set_new(rec, "kot.lost_chain",
                            json_string(al->lost_chain));
    }

    if (ngx_http_kot_audit_append(al, rec, NULL) != NGX_OK) {
        kot_chain_wipe(&al->chain);
        return NGX_ERROR;
    }

    al->lost = 0;

    return NGX_OK;
}


/* After records were lost: the next record goes into a new chain. */

static void
ngx_http_kot_audit_restart(ngx_http_kot_audit_log_t *al)
{
    al->restart = 0;

    if (ngx_http_kot_audit_chain(al) == NGX_OK) {
        al->restart_failed = 0;
        return;
    }

    /* its records cannot be sealed meanwhile: they count as errors */
    al->restart = 1;

    if (!al->restart_failed) {
        ngx_log_error(NGX_LOG_ALERT, al->log, 0,
                      "kot: cannot start a new audit chain in \"%V\"; "
                      "records are lost until it can", &al->path);
        al->restart_failed = 1;
    }
}


void
ngx_http_kot_audit_exit_process(ngx_cycle_t *cycle,
    ngx_http_kot_main_conf_t *kmcf)
{
    json_t                     *rec;
    ngx_uint_t                  i;
    ngx_http_kot_audit_log_t  **alp, *al;

    alp = kmcf->audit_logs.elts;

    for (i = 0; i < kmcf->audit_logs.nelts; i++) {
        al = alp[i];

        if (!al->started) {
            continue;
        }

        if (al->busy.count) {
            ngx_http_kot_audit_busy_flush(al);
        }

        rec = ngx_http_kot_audit_record(al, "chain_end", "configuration",
                                        "success");
        if (rec) {
            (void) ngx_http_kot_audit_append(al, rec, NULL);
        }

        ngx_http_kot_audit_flush(al, 1);

        if (al->pos > al->buf) {
            ngx_http_kot_audit_last(al);
        }

        kot_chain_wipe(&al->chain);
        al->started = 0;

        ngx_free(al->buf);
        al->buf = NULL;
    }
}


/*
 * A security event of request r: written (and anchored) before the
 * response is sent.  The same words go to the error log at "notice", so
 * that operators without an audit log see them too.  The record also
 * goes to the events list of its tenant (and of the tenant an
 * administrator acted in), audit log or not.
 */

void
ngx_http_kot_event(ngx_http_request_t *r, ngx_http_kot_event_t *ev,
    const char *fmt, ...)
{
    u_char                    *p, msg[NGX_MAX_ERROR_STR];
    u_char                     safe[NGX_MAX_ERROR_STR];
    va_list                    args;
    json_t                    *rec;
    ngx_str_t                  line;
    ngx_http_kot_ctx_t        *ctx;
    ngx_http_kot_session_t    *s;
    ngx_http_kot_loc_conf_t   *klcf;
    ngx_http_kot_audit_log_t  *al;

    ngx_http_kot_status_event(r, ev);

    va_start(args, fmt);
    p = ngx_vslprintf(msg, msg + sizeof(msg), fmt, args);
    va_end(args);

    p = ngx_http_kot_event_escape(safe, safe + sizeof(safe), msg, p - msg);

    ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0, "kot: %*s",
                  p - safe, safe);

    klcf = ngx_http_get_module_loc_conf(r, ngx_http_kot_module);
    al = klcf->audit_log;

    if (al && !al->started) {
        al = NULL;
    }

    s = ev->session;

    if (s == NULL) {
        ctx = ngx_http_get_module_ctx(r, ngx_http_kot_module);
        s = ctx ? &ctx->session : NULL;
    }

    if (ev->user == NULL && s && s->user.len) {
        ev->user = &s->user;
        ev->tenant = &s->tenant;
    }

    if (al == NULL && (ev->tenant == NULL || ev->tenant->len == 0)
        && ev->target_tenant == NULL)
    {
        json_decref(ev->fields);
        ev->fields = NULL;
        return;
    }

    rec = ngx_http_kot_audit_record(al, ev->action, ev->category,
                                    ev->outcome);
    if (rec == NULL) {
        return;
    }

    if (ev->reason) {
        json_object_set_new(rec, "event.reason", json_string(ev->reason));
    }

    ngx_http_kot_audit_set_str(rec, "user.name", ev->user);
    ngx_http_kot_audit_set_str(rec, "organization.id", ev->tenant);

    if (s && s->sid[0]) {
        ngx_http_kot_audit_set(rec, "session.hash", s->sid,
                               KOT_SID_SHORT_LEN);
    }

    ngx_http_kot_audit_request_fields(r, rec);

    if (ev->status) {
        json_object_set_new(rec, "http.response.status_code",
                            json_integer(ev->status));
    }

    if (ev->fields) {
        json_object_update(rec, ev->fields);
        json_decref(ev->fields);
        ev->fields = NULL;
    }

    if (al == NULL) {
        ngx_http_kot_audit_lists(r, ev, rec, NULL);
        json_decref(rec);
        return;
    }

    /* the lists may need the record again, should the line be too long */
    json_incref(rec);

    if (ngx_http_kot_audit_append(al, rec, &line) == NGX_OK) {
        ngx_http_kot_audit_lists(r, ev, rec, &line);
        ngx_http_kot_audit_flush(al, 1);
    }

    json_decref(rec);
}


/*
 * Control characters and the backslash as \xNN, as nginx's access log
 * escapes its variables: a value from a request (the URI of a support
 * access, say) can neither end the line nor forge one.
 */

static u_char *
ngx_http_kot_event_escape(u_char *dst, u_char *last, u_char *src, size_t len)
{
    u_char         c;
    static u_char  hex[] = "0123456789ABCDEF";

    while (len-- && last - dst >= 4) {
        c = *src++;

        if (c >= 0x20 && c != 0x7f && c != '\\') {
            *dst++ = c;
            continue;
        }

        *dst++ = '\\';
        *dst++ = 'x';
        *dst++ = hex[c >> 4];
        *dst++ = hex[c & 0xf];
    }

    return dst;
}


/*
 * The record to the events lists of its tenant and of the tenant an
 * administrator acted in: as the log's line, or as rec when there is no
 * log or the line is too long for a list (KOT_EVENT_MAX_BYTES; then
 * without its kot.change, as docs/admin.md says).  Nobody waits for it.
 */

static void
ngx_http_kot_audit_lists(ngx_http_request_t *r, ngx_http_kot_event_t *ev,
    json_t *rec, ngx_str_t *line)
{
    char       *s;
    ngx_str_t   text, *tenant, *target;

    tenant = (ev->tenant && ev->tenant->len) ? ev->tenant : NULL;
    target = (ev->target_tenant && ev->target_tenant->len)
             ? ev->target_tenant : NULL;

    if (tenant && target && tenant->len == target->len
        && ngx_strncmp(tenant->data, target->data, tenant->len) == 0)
    {
        tenant = NULL;
    }

    if (tenant == NULL && target == NULL) {
        return;
    }

    s = NULL;

    if (line == NULL || line->len > KOT_EVENT_MAX_BYTES) {
        s = ngx_http_kot_audit_list_text(r, rec, &text);
        if (s == NULL) {
            return;
        }

        line = &text;
    }

    if (target) {
        ngx_http_kot_audit_push(r, target, line);
    }

    if (tenant) {
        ngx_http_kot_audit_push(r, tenant, line);
    }

    ngx_free(s);
}


/*
 * rec as a line of the events lists, hardened as the log's lines are;
 * too long, without its kot.change.  Returns the memory to free.
 */

static char *
ngx_http_kot_audit_list_text(ngx_http_request_t *r, json_t *rec,
    ngx_str_t *text)
{
    char    *s, *h;
    size_t   len;

    len = json_dumpb(rec, NULL, 0, JSON_COMPACT);

    if (len > KOT_EVENT_MAX_BYTES && json_object_get(rec, "kot.change")) {
        json_object_del(rec, "kot.change");
        json_object_set_new(rec, "kot.change_omitted", json_true());
        len = json_dumpb(rec, NULL, 0, JSON_COMPACT);
    }

    s = (len == 0) ? NULL : ngx_alloc(len, r->connection->log);

    if (s == NULL || json_dumpb(rec, s, len, JSON_COMPACT) != len) {
        ngx_free(s);
        return NULL;
    }

    h = ngx_alloc(kot_json_harden(NULL, s, len), r->connection->log);

    if (h) {
        text->data = (u_char *) h;
        text->len = kot_json_harden(h, s, len);
    }

    ngx_free(s);

    return h;
}


/*
 * With kot_notify on, the same script appends what should be notified to
 * the notification stream; the client's network tells a login from a new
 * one.
 */

static void
ngx_http_kot_audit_push(ngx_http_request_t *r, ngx_str_t *tenant,
    ngx_str_t *line)
{
    u_char                     t[sizeof(KOT_KEY_TENANT) + KOT_TENANT_MAX];
    u_char                     ev[sizeof(KOT_KEY_EVENTS) + KOT_TENANT_MAX];
    u_char                     cap[NGX_INT_T_LEN], now[NGX_INT64_LEN];
    ngx_str_t                  net;
    ngx_http_kot_redis_args_t  a;
    ngx_http_kot_main_conf_t  *kmcf;

    if (tenant->len > KOT_TENANT_MAX) {
        return;
    }

    kmcf = ngx_http_get_module_main_conf(r, ngx_http_kot_module);

    if (!kmcf->notify || ngx_http_kot_client_key(r, &net, NULL) != NGX_OK) {
        ngx_str_set(&net, "");
    }

    a.argc = 0;
    ngx_http_kot_redis_arg(&a, (u_char *) "EVALSHA", 7);
    ngx_http_kot_redis_arg(&a,
                           (u_char *) kot_scripts[KOT_SCRIPT_EVENT_PUSH].sha1,
                           40);
    ngx_http_kot_redis_arg(&a, (u_char *) "2", 1);
    ngx_http_kot_redis_arg(&a, t, ngx_sprintf(t, KOT_KEY_TENANT "%V", tenant)
                                  - t);
    ngx_http_kot_redis_arg(&a, ev,
                           ngx_sprintf(ev, KOT_KEY_EVENTS "%V", tenant) - ev);
    ngx_http_kot_redis_arg(&a, line->data, line->len);
    ngx_http_kot_redis_arg(&a, cap,
                           ngx_sprintf(cap, "%d", KOT_EVENTS_MAX) - cap);
    ngx_http_kot_redis_arg(&a, (u_char *) (kmcf->notify ? "on" : "off"),
                           kmcf->notify ? 2 : 3);
    ngx_http_kot_redis_arg(&a, now,
                           ngx_sprintf(now, "%uL", ngx_http_kot_now()) - now);
    ngx_http_kot_redis_arg(&a, net.data, net.len);

    ngx_http_kot_redis_fire(&a);
}


/*
 * A login refused with 503 because the hash queue is full.  A storm
 * brings hundreds of thousands: they are counted, and each second that
 * had some gets one login_rejected_busy record, written when the next
 * second begins (by the next refusal or by a timer), or at exit.
 */

void
ngx_http_kot_audit_busy(ngx_http_request_t *r)
{
    ngx_str_t                  client;
    ngx_time_t                *tp;
    struct sockaddr           *sa;
    ngx_http_kot_busy_t       *b;
    ngx_http_kot_loc_conf_t   *klcf;
    ngx_http_kot_audit_log_t  *al;

    klcf = ngx_http_get_module_loc_conf(r, ngx_http_kot_module);
    al = klcf->audit_log;

    if (al == NULL || !al->started) {
        return;
    }

    b = &al->busy;

    if (b->count && b->sec != ngx_time()) {
        ngx_http_kot_audit_busy_flush(al);
    }

    if (ngx_http_kot_client(r, &sa, &client) != NGX_OK) {
        ngx_str_set(&client, "-");
    }

    b->sec = ngx_time();
    b->count++;

    ngx_http_kot_audit_busy_count(b, &client);

    if (!b->timer.timer_set) {
        /* to the next second, and a little after it */
        tp = ngx_timeofday();
        ngx_add_timer(&b->timer, 1000 - tp->msec + 10);
    }
}


static void
ngx_http_kot_audit_busy_count(ngx_http_kot_busy_t *b, ngx_str_t *addr)
{
    size_t                       len;
    ngx_uint_t                   i;
    ngx_http_kot_busy_source_t  *src, *min;

    len = ngx_min(addr->len, NGX_SOCKADDR_STRLEN);
    min = NULL;

    for (i = 0; i < b->nsources; i++) {
        src = &b->sources[i];

        if (src->len == len && ngx_memcmp(src->addr, addr->data, len) == 0) {
            src->count++;
            return;
        }

        if (min == NULL || src->count < min->count) {
            min = src;
        }
    }

    if (b->nsources < NGX_HTTP_KOT_BUSY_SOURCES) {
        src = &b->sources[b->nsources++];
        src->count = 1;

    } else {
        src = min;
        src->count++;
        b->approximate = 1;
    }

    ngx_memcpy(src->addr, addr->data, len);
    src->len = len;
}


static void
ngx_http_kot_audit_busy_flush(ngx_http_kot_audit_log_t *al)
{
    u_char                      *p, *last, msg[NGX_MAX_ERROR_STR];
    json_t                      *rec, *list, *item;
    ngx_uint_t                   i, n;
    ngx_http_kot_busy_t         *b;
    ngx_http_kot_busy_source_t  *src;

    b = &al->busy;

    if (b->timer.timer_set) {
        ngx_del_timer(&b->timer);
    }

    ngx_qsort(b->sources, b->nsources, sizeof(ngx_http_kot_busy_source_t),
              ngx_http_kot_audit_busy_cmp);

    n = ngx_min(b->nsources, NGX_HTTP_KOT_BUSY_TOP);

    last = msg + sizeof(msg);
    p = ngx_slprintf(msg, last, "kot: %ui logins refused in one second: "
                     "the password hashing queue was full; from",
                     b->count);

    for (i = 0; i < n; i++) {
        src = &b->sources[i];
        p = ngx_slprintf(p, last, "%s %*s (%ui)", i ? "," : "",
                         src->len, src->addr, src->count);
    }

    ngx_log_error(NGX_LOG_NOTICE, al->log, 0, "%*s%s", p - msg, msg,
                  b->nsources > n ? ", ..." : "");

    rec = ngx_http_kot_audit_record(al, "login_rejected_busy",
                                    "authentication", "failure");
    list = json_array();

    if (rec && list) {
        json_object_set_new(rec, "event.reason", json_string("busy"));
        json_object_set_new(rec, "event.start",
                            ngx_http_kot_audit_time(b->sec));
        json_object_set_new(rec, "event.end",
                            ngx_http_kot_audit_time(b->sec + 1));
        json_object_set_new(rec, "http.response.status_code",
                            json_integer(NGX_HTTP_SERVICE_UNAVAILABLE));
        json_object_set_new(rec, "kot.busy.count",
                            json_integer((json_int_t) b->count));

        for (i = 0; i < n; i++) {
            src = &b->sources[i];

            item = json_object();
            if (item == NULL) {
                break;
            }

            ngx_http_kot_audit_set(item, "source.ip", src->addr, src->len);
            json_object_set_new(item, "count",
                                json_integer((json_int_t) src->count));
            json_array_append_new(list, item);
        }

        json_object_set_new(rec, "kot.busy.sources", list);
        json_object_set_new(rec, "kot.busy.exact",
                            json_boolean(!b->approximate));
        list = NULL;

        if (ngx_http_kot_audit_append(al, rec, NULL) == NGX_OK) {
            ngx_http_kot_audit_flush(al, 1);
        }

        rec = NULL;
    }

    json_decref(rec);
    json_decref(list);

    b->count = 0;
    b->nsources = 0;
    b->approximate = 0;
}


static void
ngx_http_kot_audit_busy_timer(ngx_event_t *ev)
{
    ngx_http_kot_audit_log_t  *al = ev->data;

    if (al->busy.count) {
        ngx_http_kot_audit_busy_flush(al);
    }
}


/* the most counted first */

static int ngx_libc_cdecl
ngx_http_kot_audit_busy_cmp(const void *one, const void *two)
{
    const ngx_http_kot_busy_source_t  *a = one, *b = two;

    return (a->count < b->count) - (a->count > b->count);
}


/* a whole second as RFC 3339, like @timestamp */

static json_t *
ngx_http_kot_audit_time(time_t sec)
{
    u_char    ts[sizeof("2026-11-26T10:00:00.000Z")];
    ngx_tm_t  tm;

    ngx_gmtime(sec, &tm);

    ngx_sprintf(ts, "%4d-%02d-%02dT%02d:%02d:%02d.000Z",
                tm.ngx_tm_year, tm.ngx_tm_mon, tm.ngx_tm_mday,
                tm.ngx_tm_hour, tm.ngx_tm_min, tm.ngx_tm_sec);

    return json_stringn((char *) ts, sizeof(ts) - 1);
}


/* The record of a proxied request of a session, in the log phase. */

static ngx_int_t
ngx_http_kot_audit_log_handler(ngx_http_request_t *r)
{
    u_char                     *q;
    off_t                       bytes;
    ngx_str_t                   path, client;
    ngx_uint_t                  i, ms;
    struct sockaddr            *sa;
    ngx_http_kot_jw_t           w;
    ngx_http_kot_ctx_t         *ctx;
    ngx_http_upstream_state_t  *state;
    ngx_http_variable_value_t  *id;
    ngx_http_kot_loc_conf_t    *klcf;
    ngx_http_kot_audit_log_t   *al;

    klcf = ngx_http_get_module_loc_conf(r, ngx_http_kot_module);
    al = klcf->audit_log;

    if (al == NULL || !al->started || !klcf->audit_requests) {
        return NGX_OK;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_http_kot_module);

    if (ctx == NULL || !ctx->checked
        || ctx->session.status != KOT_SESSION_OK)
    {
        return NGX_OK;
    }

    if (al->restart) {
        ngx_http_kot_audit_restart(al);

        /* the new record 0 may fill a small buffer: room for this one */
        if ((size_t) (al->pos - al->buf) >= al->size) {
            ngx_http_kot_audit_flush(al, 0);
        }
    }

    /*
     * Written and sealed right in the log's buffer: a flush leaves it
     * less than its size full, so a whole record always fits after.
     */
    w.p = ngx_http_kot_audit_head(al, al->pos,
                                  r->headers_out.status < 400);
    w.end = al->pos + NGX_HTTP_KOT_AUDIT_RECORD_MAX - 1;
    w.full = 0;

    ngx_http_kot_jw_str(&w, "user.name", ctx->session.user.data,
                        ctx->session.user.len, 1);
    ngx_http_kot_jw_str(&w, "organization.id", ctx->session.tenant.data,
                        ctx->session.tenant.len, 1);
    ngx_http_kot_jw_str(&w, "session.hash", ctx->session.sid,
                        KOT_SID_SHORT_LEN, 0);

    if (ngx_http_kot_client(r, &sa, &client) == NGX_OK) {
        ngx_http_kot_jw_str(&w, "source.ip", client.data, client.len, 1);
    }

    if (r->headers_in.user_agent) {
        ngx_http_kot_jw_str(&w, "user_agent.original",
                            r->headers_in.user_agent->value.data,
                            r->headers_in.user_agent->value.len, 1);
    }

    path = r->unparsed_uri;
    q = ngx_strlchr(path.data, path.data + path.len, '?');
    if (q) {
        path.len = q - path.data;
    }

    ngx_http_kot_jw_str(&w, "url.path", path.data, path.len, 1);
    ngx_http_kot_jw_str(&w, "http.request.method", r->method_name.data,
                        r->method_name.len, 1);

    id = ngx_http_kot_audit_request_id(r);
    if (id) {
        ngx_http_kot_jw_str(&w, "http.request.id", id->data, id->len, 0);
    }

    ngx_http_kot_jw_int(&w, "http.response.status_code",
                        r->headers_out.status);

    bytes = r->connection->sent - r->header_size;
    ngx_http_kot_jw_int(&w, "http.response.body.bytes",
                        bytes > 0 ? bytes : 0);

    if (r->upstream_states && r->upstream_states->nelts) {
        ms = 0;
        state = r->upstream_states->elts;

        for (i = 0; i < r->upstream_states->nelts; i++) {
            if (state[i].status) {
                ms += state[i].response_time;
            }
        }

        ngx_http_kot_jw_int(&w, "kot.upstream_ms", ms);
    }

    if (w.full) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "kot: audit record of a request too large");
        return NGX_OK;
    }

    *w.p++ = '}';

    (void) ngx_http_kot_audit_frame(al, (char *) al->pos, w.p - al->pos);

    if (al->size == 0 || (size_t) (al->pos - al->buf) >= al->size) {
        ngx_http_kot_audit_flush(al, 0);

    } else if (!al->timer.timer_set) {
        ngx_add_timer(&al->timer, al->flush);
    }

    return NGX_OK;
}


/*
 * nginx's $request_id, unless the request has one already, made as nginx
 * makes it (16 random bytes in hex) but from a buffer of randomness:
 * RAND_bytes() for each request costs more than the rest of the record.
 * Kept as the variable's value, so that a later "$request_id" agrees.
 * Only workers fill the buffer, after fork.
 */

static ngx_http_variable_value_t *
ngx_http_kot_audit_request_id(ngx_http_request_t *r)
{
    u_char                     *id;
    ngx_http_kot_main_conf_t   *kmcf;
    ngx_http_variable_value_t  *v;

    static u_char  random[16384];
    static size_t  left;

    kmcf = ngx_http_get_module_main_conf(r, ngx_http_kot_module);
    v = &r->variables[kmcf->request_id];

    if (v->valid || v->not_found) {
        return v->not_found ? NULL : v;
    }

    if (left < 16) {
        if (kot_random(random, sizeof(random)) != 0) {
            return NULL;
        }

        left = sizeof(random);
    }

    id = ngx_pnalloc(r->pool, 32);
    if (id == NULL) {
        return NULL;
    }

    left -= 16;

    ngx_http_kot_audit_hex8(id, random + left);
    ngx_http_kot_audit_hex8(id + 16, random + left + 8);

    kot_cleanse(random + left, 16);

    v->len = 32;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = id;

    return v;
}


/*
 * 8 random bytes as 16 lower-case hex digits, 8 at a time: the low
 * nibbles, then the high ones.  Which digit goes where does not matter
 * for random bytes, as long as each nibble is used once; ngx_hex_dump()
 * or a table of pairs goes one byte at a time.
 */

static ngx_inline void
ngx_http_kot_audit_hex8(u_char *dst, u_char *src)
{
    uint64_t  x, lo, hi;

#define NGX_HTTP_KOT_B(c)  (0x0101010101010101ULL * (c))

    ngx_memcpy(&x, src, 8);

    lo = x & NGX_HTTP_KOT_B(0x0f);
    hi = (x >> 4) & NGX_HTTP_KOT_B(0x0f);

    /* '0' + d, and 'a' - '0' - 10 more where d > 9: no byte carries */
    lo += NGX_HTTP_KOT_B('0')
          + (((lo + NGX_HTTP_KOT_B(6)) >> 4) & NGX_HTTP_KOT_B(1)) * 0x27;
    hi += NGX_HTTP_KOT_B('0')
          + (((hi + NGX_HTTP_KOT_B(6)) >> 4) & NGX_HTTP_KOT_B(1)) * 0x27;

#undef NGX_HTTP_KOT_B

    ngx_memcpy(dst, &lo, 8);
    ngx_memcpy(dst + 8, &hi, 8);
}


/* '{' and the fields a request record starts with, as jansson writes them */

static u_char *
ngx_http_kot_audit_head(ngx_http_kot_audit_log_t *al, u_char *p,
    ngx_uint_t success)
{
    ngx_tm_t     tm;
    ngx_time_t  *tp;

    /* the date and time to the second, made once a second */
    static time_t  sec = -1;
    static u_char  ts[sizeof("{\"@timestamp\":\"2026-11-26T10:00:00.") - 1];

    tp = ngx_timeofday();

    if (tp->sec != sec) {
        ngx_gmtime(tp->sec, &tm);
        ngx_sprintf(ts, "{\"@timestamp\":\"%4d-%02d-%02dT%02d:%02d:%02d.",
                    tm.ngx_tm_year, tm.ngx_tm_mon, tm.ngx_tm_mday,
                    tm.ngx_tm_hour, tm.ngx_tm_min, tm.ngx_tm_sec);
        sec = tp->sec;
    }

    p = ngx_cpymem(p, ts, sizeof(ts));
    *p++ = (u_char) ('0' + tp->msec / 100);
    *p++ = (u_char) ('0' + tp->msec / 10 % 10);
    *p++ = (u_char) ('0' + tp->msec % 10);
    p = ngx_http_kot_audit_lit(p, "Z\",\"event.sequence\":");
    p = ngx_http_kot_audit_uint(p, kot_chain_next_seq(&al->chain));
    p = ngx_http_kot_audit_lit(p, ",\"kot.chain\":\"");
    p = ngx_cpymem(p, al->chain.id, KOT_CHAIN_ID_LEN);
    p = ngx_http_kot_audit_lit(p, "\",\"event.action\":\"request\","
                                  "\"event.category\":\"web\","
                                  "\"event.outcome\":\"");

    return success ? ngx_http_kot_audit_lit(p, "success\"")
                   : ngx_http_kot_audit_lit(p, "failure\"");
}


/*
 * Inlined, so that each member's key, of a length known at compile time,
 * is a few stores rather than a memcpy() call; the rare record that comes
 * near the end of the buffer takes ngx_http_kot_jw_fits().
 */

static ngx_inline void
ngx_http_kot_jw_strn(ngx_http_kot_jw_t *w, u_char *key, size_t klen,
    u_char *v, size_t len, ngx_uint_t escape)
{
    size_t  n;

    if (len == 0 || w->full) {
        return;
    }

    len = ngx_min(len, NGX_HTTP_KOT_AUDIT_FIELD_MAX);

    n = escape ? len * KOT_JSON_ESCAPE_MAX : len;
    if ((size_t) (w->end - w->p) < klen + n + 1
        && !ngx_http_kot_jw_fits(w, klen, v, len, escape))
    {
        return;
    }

    w->p = ngx_cpymem(w->p, key, klen);

    if (escape) {
        w->p += kot_json_escape((char *) w->p, (char *) v, len);

    } else {
        w->p = ngx_cpymem(w->p, v, len);
    }

    *w->p++ = '"';
}


/* counting first only when the worst case might not fit */

static ngx_uint_t
ngx_http_kot_jw_fits(ngx_http_kot_jw_t *w, size_t klen, u_char *v,
    size_t len, ngx_uint_t escape)
{
    size_t  n;

    n = escape ? kot_json_escape_len((char *) v, len) : len;

    if ((size_t) (w->end - w->p) < klen + n + 1) {
        w->full = 1;
        return 0;
    }

    return 1;
}


static ngx_inline void
ngx_http_kot_jw_intn(ngx_http_kot_jw_t *w, u_char *key, size_t klen,
    uint64_t n)
{
    if (w->full) {
        return;
    }

    if ((size_t) (w->end - w->p) < klen + NGX_INT64_LEN) {
        w->full = 1;
        return;
    }

    w->p = ngx_cpymem(w->p, key, klen);
    w->p = ngx_http_kot_audit_uint(w->p, n);
}


/*
 * ngx_sprintf() parses its format at every call: too slow per request.
 * The digits are written in place, two at a time, once their count is
 * known.
 */

static u_char *
ngx_http_kot_audit_uint(u_char *p, uint64_t n)
{
    u_char    *d;
    size_t     len;
    uint64_t   t;

    static const char  pairs[] =
        "00010203040506070809101112131415161718192021222324252627282930"
        "31323334353637383940414243444546474849505152535455565758596061"
        "62636465666768697071727374757677787980818283848586878889909192"
        "93949596979899";

    len = 1;

    for (t = n; t >= 100; t /= 100) {
        len += 2;
    }

    len += (t >= 10);

    d = p + len;

    while (n >= 100) {
        t = n % 100 * 2;
        n /= 100;
        *--d = pairs[t + 1];
        *--d = pairs[t];
    }

    if (n >= 10) {
        *--d = pairs[n * 2 + 1];
        *--d = pairs[n * 2];

    } else {
        *--d = (u_char) ('0' + n);
    }

    return p + len;
}


/* @timestamp, event.sequence, kot.chain and the event's own first fields */

static json_t *
ngx_http_kot_audit_record(ngx_http_kot_audit_log_t *al, const char *action,
    const char *category, const char *outcome)
{
    u_char      ts[sizeof("2026-11-26T10:00:00.123Z")];
    json_t     *rec;
    ngx_tm_t    tm;
    ngx_time_t *tp;

    /* a record 0 first, should records of this log have been lost */
    if (al && al->restart) {
        ngx_http_kot_audit_restart(al);
    }

    rec = json_object();
    if (rec == NULL) {
        return NULL;
    }

    tp = ngx_timeofday();
    ngx_gmtime(tp->sec, &tm);

    ngx_sprintf(ts, "%4d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                tm.ngx_tm_year, tm.ngx_tm_mon, tm.ngx_tm_mday,
                tm.ngx_tm_hour, tm.ngx_tm_min, tm.ngx_tm_sec,
                (int) tp->msec);

    json_object_set_new(rec, "@timestamp",
                        json_stringn((char *) ts, sizeof(ts) - 1));

    /* without a log, a record only for the events lists: in no chain */
    if (al) {
        json_object_set_new(rec, "event.sequence",
                            json_integer((json_int_t)
                                         kot_chain_next_seq(&al->chain)));
        json_object_set_new(rec, "kot.chain", json_string(al->chain.id));
    }

    json_object_set_new(rec, "event.action", json_string(action));
    json_object_set_new(rec, "event.category", json_string(category));
    json_object_set_new(rec, "event.outcome", json_string(outcome));

    return rec;
}


static void
ngx_http_kot_audit_request_fields(ngx_http_request_t *r, json_t *rec)
{
    u_char                     *q;
    ngx_str_t                   path, client;
    struct sockaddr            *sa;
    ngx_http_variable_value_t  *id;

    if (ngx_http_kot_client(r, &sa, &client) == NGX_OK) {
        ngx_http_kot_audit_set_str(rec, "source.ip", &client);
    }

    if (r->headers_in.user_agent) {
        ngx_http_kot_audit_set_str(rec, "user_agent.original",
                                   &r->headers_in.user_agent->value);
    }

    /* the path as the client sent it, without the query */
    path = r->unparsed_uri;
    q = ngx_strlchr(path.data, path.data + path.len, '?');
    if (q) {
        path.len = q - path.data;
    }

    ngx_http_kot_audit_set_str(rec, "url.path", &path);
    ngx_http_kot_audit_set_str(rec, "http.request.method",
                               &r->method_name);

    id = ngx_http_kot_audit_request_id(r);
    if (id) {
        ngx_http_kot_audit_set(rec, "http.request.id", id->data, id->len);
    }
}


/* Seals the record into the chain and puts its line in the buffer. */

static ngx_int_t
ngx_http_kot_audit_append(ngx_http_kot_audit_log_t *al, json_t *rec,
    ngx_str_t *line)
{
    char       s[NGX_HTTP_KOT_AUDIT_RECORD_MAX], *text, *big, *h;
    size_t     len, n;
    ngx_int_t  rc;

    text = s;
    big = NULL;

    len = json_dumpb(rec, s, sizeof(s), JSON_COMPACT);

    /*
     * A record longer than the stack's, such as an administrator's change
     * of thousands of networks, is a security event all the same: on the
     * heap, as long as verify can read its line.
     */

    if (len >= sizeof(s)
        && len < NGX_HTTP_KOT_AUDIT_LINE_MAX - KOT_CHAIN_SUFFIX_MAX)
    {
        big = ngx_alloc(len, al->log);

        if (big && json_dumpb(rec, big, len, JSON_COMPACT) == len) {
            text = big;

        } else {
            len = 0;
        }
    }

    json_decref(rec);

    n = len;

    /* jansson leaves DEL, C1 and U+2028/9 raw: rare, so escaped apart */
    if (len && (text != s || len < sizeof(s))) {
        n = kot_json_harden(NULL, text, len);
    }

    if (n == 0 || (text == s && len >= sizeof(s))
        || n >= NGX_HTTP_KOT_AUDIT_LINE_MAX - KOT_CHAIN_SUFFIX_MAX)
    {
        ngx_log_error(NGX_LOG_ALERT, al->log, 0,
                      "kot: audit record too large (%uz bytes)", n);
        ngx_free(big);
        return NGX_ERROR;
    }

    if (n == len) {
        rc = ngx_http_kot_audit_text(al, text, len, line);
        ngx_free(big);
        return rc;
    }

    h = ngx_alloc(n, al->log);
    if (h == NULL) {
        ngx_free(big);
        return NGX_ERROR;
    }

    (void) kot_json_harden(h, text, len);
    ngx_free(big);

    rc = ngx_http_kot_audit_text(al, h, n, line);
    ngx_free(h);

    return rc;
}


/*
 * Seals S, built apart from the buffer, into the buffer at al->pos
 * (request records are framed in place: ngx_http_kot_audit_frame()).
 * The buffer holds size + RECORD_MAX bytes and the MAC member beyond
 * them.  line, if not NULL, gets the sealed line in the buffer, without
 * its newline, until the next flush.
 */

static ngx_int_t
ngx_http_kot_audit_text(ngx_http_kot_audit_log_t *al, char *s, size_t len,
    ngx_str_t *line)
{
    long     n;
    size_t   need;
    u_char  *buf;

    /* before the buffer may move, and before this record in the chain */
    (void) ngx_http_kot_audit_seal_framed(al);

    if ((size_t) (al->pos - al->buf) + len
        > al->size + NGX_HTTP_KOT_AUDIT_RECORD_MAX)
    {
        ngx_http_kot_audit_flush(al, 0);
    }

    /*
     * A record larger than the buffer can hold after what it keeps: the
     * buffer grows to hold it, for good.
     */

    need = (al->pos - al->buf) + len + KOT_CHAIN_SUFFIX_MAX;

    if (need > al->cap) {
        buf = ngx_alloc(need, al->log);
        if (buf == NULL) {
            ngx_http_kot_status_count(NGX_HTTP_KOT_STAT_AUDIT_WRITE_ERRORS);
            return NGX_ERROR;
        }

        ngx_memcpy(buf, al->buf, al->pos - al->buf);
        al->pos = buf + (al->pos - al->buf);
        ngx_free(al->buf);
        al->buf = buf;
        al->cap = need;
    }

    n = kot_chain_seal(&al->chain, s, len, (char *) al->pos);

    if (n < 0) {
        ngx_http_kot_audit_seal_failed(al);
        return NGX_ERROR;
    }

    if (line) {
        line->data = al->pos;
        line->len = n - 1;
    }

    al->pos += n;
    al->seal_failed = 0;
    ngx_http_kot_status_count(NGX_HTTP_KOT_STAT_AUDIT_RECORDS);

    return NGX_OK;
}


/*
 * A request record, written in place at al->pos, gets its line but not
 * yet its MAC: the MACs are made KOT_CHAIN_FRAMED_MAX at a time, or
 * before anything else is sealed or written.  Sealed one by one between
 * requests, each found OpenSSL's code and data gone from the CPU's
 * caches, and cost about twice as much (bench/README.md).  A record not
 * yet written is in the worker's memory, with or without its MAC.
 */

static ngx_int_t
ngx_http_kot_audit_frame(ngx_http_kot_audit_log_t *al, char *s, size_t len)
{
    long  n;

    n = kot_chain_frame(&al->chain, s, len, (char *) al->pos);

    if (n < 0) {
        ngx_http_kot_audit_seal_failed(al);
        return NGX_ERROR;
    }

    al->pos += n;
    ngx_http_kot_status_count(NGX_HTTP_KOT_STAT_AUDIT_RECORDS);

    if (al->chain.framed == KOT_CHAIN_FRAMED_MAX) {
        return ngx_http_kot_audit_seal_framed(al);
    }

    return NGX_OK;
}


/*
 * The MACs of the records framed.  Those left without one are taken out
 * of the buffer: lost, as a record that cannot be sealed is.
 */

static ngx_int_t
ngx_http_kot_audit_seal_framed(ngx_http_kot_audit_log_t *al)
{
    char  *failed;

    if (al->chain.framed == 0) {
        return NGX_OK;
    }

    if (kot_chain_seal_framed(&al->chain, &failed) == 0) {
        al->seal_failed = 0;
        return NGX_OK;
    }

    al->pos = (u_char *) failed;
    ngx_http_kot_audit_seal_failed(al);

    return NGX_ERROR;
}


/* the chain does not move on, so verify cannot see the loss: say it */

static void
ngx_http_kot_audit_seal_failed(ngx_http_kot_audit_log_t *al)
{
    ngx_http_kot_status_count(NGX_HTTP_KOT_STAT_AUDIT_WRITE_ERRORS);

    if (!al->seal_failed) {
        ngx_log_error(NGX_LOG_ALERT, al->log, 0,
                      "kot: sealing an audit record for \"%V\" failed; "
                      "records are lost until it works again", &al->path);
        al->seal_failed = 1;
    }
}


/*
 * Writes the buffer.  The chain's head goes to Redis after a security
 * event (anchor set) and otherwise at most once per flush interval, the
 * timer making sure that it does go: a busy log must not cost a Redis
 * command per buffer.
 */

static void
ngx_http_kot_audit_flush(ngx_http_kot_audit_log_t *al, ngx_uint_t anchor)
{
    u_char   *p;
    ssize_t   n;

    if (al->timer.timer_set) {
        ngx_del_timer(&al->timer);
    }

    (void) ngx_http_kot_audit_seal_framed(al);

    p = al->buf;

    while (p < al->pos) {
        n = ngx_write_fd(al->file->fd, p, al->pos - p);

        if (n == -1) {
            if (ngx_errno == NGX_EINTR) {
                continue;
            }

            ngx_http_kot_status_count(NGX_HTTP_KOT_STAT_AUDIT_WRITE_ERRORS);

            if (!al->failed) {
                ngx_log_error(NGX_LOG_ALERT, al->log, ngx_errno,
                              "kot: writing the audit log \"%V\" failed",
                              &al->path);
                al->failed = 1;
            }

            break;
        }

        p += n;
    }

    if (p < al->pos) {
        if (ngx_http_kot_audit_keep(al, p) != NGX_OK) {
            ngx_http_kot_audit_drop(al, p);
            return;
        }

        /* the chain stays in this write: its next key needs all of it */
        if (!al->timer.timer_set) {
            ngx_add_timer(&al->timer, al->flush);
        }

        return;
    }

    if (p == al->pos && al->pos > al->buf) {
        al->failed = 0;
        al->unanchored = 1;
        ngx_http_kot_audit_uncache(al);
    }

    /*
     * What was written can no longer be rewritten with the key in memory;
     * a chain that cannot move on stops sealing, loudly.
     */
    if (al->pos > al->buf && kot_chain_written(&al->chain) != 0) {
        ngx_log_error(NGX_LOG_ALERT, al->log, 0,
                      "kot: the audit chain of \"%V\" cannot move to its "
                      "next key", &al->path);
        kot_chain_wipe(&al->chain);
    }

    al->pos = al->buf;

    if (!al->unanchored) {
        return;
    }

    if (anchor || ngx_current_msec - al->anchored >= al->flush) {
        ngx_http_kot_audit_anchor(al);
        al->anchored = ngx_current_msec;
        al->unanchored = 0;

    } else if (!al->timer.timer_set) {
        ngx_add_timer(&al->timer, al->flush);
    }
}


/*
 * After a failed write (a full disk), the records not written stay in the
 * buffer for the next write, the timer's or a later record's: the next
 * write's key is made from every record of this one (ngx_kot/3), so a
 * write dropped would leave every later record of the chain unverifiable.
 * A line cut short by the failure is written again whole, after a newline
 * that ends what went out of it.  Only while less than the buffer's size
 * is left, so that a record still fits after it; beyond, the records are
 * lost, as the error log said.
 */

static ngx_int_t
ngx_http_kot_audit_keep(ngx_http_kot_audit_log_t *al, u_char *p)
{
    u_char  *line;
    size_t   left;

    /* the start of the line that p is in */
    for (line = p; line > al->buf && line[-1] != '\n'; line--) {
        /* void */
    }

    left = al->pos - line + (line != p);

    if (left >= al->size) {
        return NGX_DECLINED;
    }

    if (line != p) {
        ngx_memmove(al->buf + 1, line, al->pos - line);
        al->buf[0] = '\n';

    } else {
        ngx_memmove(al->buf, line, al->pos - line);
    }

    al->pos = al->buf + left;

    return NGX_OK;
}


/*
 * The log is written here and read elsewhere, later: its pages leave the
 * page cache once they are "cache" old (between that and twice that),
 * rather than fill memory until the kernel reclaims them.  On a virtual
 * machine that gives free memory back to its host (a balloon with free
 * page reporting, as Firecracker's), a page the cache takes that was not
 * in use is a fault in the host, and writing the log cost 1.3 ns a byte
 * there; into pages the log gave back, 0.2 (bench/README.md).  A thread
 * of the pool does it, since dropping many pages, or starting the write
 * of any still dirty, takes the kernel a while.  The worker's part is a
 * clock test per write, and a system call or two per "cache" interval.
 */

static void
ngx_http_kot_audit_uncache(ngx_http_kot_audit_log_t *al)
{
    off_t                          end;
    ngx_fd_t                       fd;
    ngx_http_kot_audit_uncache_t  *u;

    /* event.active: the task is still queued or running */
    if (al->uncache == NULL || al->uncache->event.active
        || ngx_current_msec - al->cache_marked < al->cache)
    {
        return;
    }

    /* what was written before the mark is at least "cache" old now */
    if (al->cache_mark > 0) {

        /* a reopen may close the log's descriptor while the task waits */
        fd = dup(al->file->fd);

        if (fd != NGX_INVALID_FILE) {
            u = al->uncache->ctx;
            u->fd = fd;
            u->end = al->cache_mark;

            if (ngx_thread_task_post(al->kmcf->thread_pool, al->uncache)
                != NGX_OK)
            {
                (void) close(fd);
            }
        }
    }

    end = lseek(al->file->fd, 0, SEEK_END);

    al->cache_mark = (end == -1) ? 0 : end;
    al->cache_marked = ngx_current_msec;
}


/* in a thread of the pool; a failure costs only memory, and says nothing */

static void
ngx_http_kot_audit_uncache_thread(void *data, ngx_log_t *log)
{
    ngx_http_kot_audit_uncache_t  *u = data;

    (void) posix_fadvise(u->fd, 0, u->end, POSIX_FADV_DONTNEED);
    (void) close(u->fd);
}


/* nginx calls it when the task is done, having cleared event.active */

static void
ngx_http_kot_audit_uncached(ngx_event_t *ev)
{
}


/*
 * The worker exits (a reload, a stop) with records still waiting for a
 * retry, which no timer will make now: one last attempt, blocking, since
 * nothing waits on this worker any more.  While the file at the log's
 * path is still the one the worker holds, the records go through the
 * descriptor it holds: a worker may not be allowed to open the log again
 * (nginx opens it as root, in the master).  A file rotated away, or
 * removed, has left the path to another file, or to none: the path is
 * opened again, as a new file may have room.  If it cannot be, the
 * records go to the file the worker holds, rotated away, rather than
 * nowhere; not if it was removed, where no one would read them.  Written
 * or lost, the error log says how many records of
 * which chain, and to which file: no record 0 of a next chain of this
 * worker will count a loss.
 */

static void
ngx_http_kot_audit_last(ngx_http_kot_audit_log_t *al)
{
    u_char     *p;
    ssize_t     n;
    uint64_t    records;
    ngx_fd_t    fd;
    ngx_err_t   err, open_err;

    (void) ngx_http_kot_audit_seal_framed(al);

    records = ngx_http_kot_audit_count(al, al->buf);

    if (records == 0) {
        return;
    }

    open_err = 0;
    fd = ngx_http_kot_audit_last_fd(al, &open_err);
    err = open_err;

    p = al->buf;

    /*
     * The newline kept to end a line cut short belongs to the file cut:
     * in another (a descriptor other than the worker's is another file,
     * ngx_http_kot_audit_last_fd()), it would be a line that is no record.
     */
    if (fd != NGX_INVALID_FILE && fd != al->file->fd && *p == '\n') {
        p++;
    }

    while (fd != NGX_INVALID_FILE && p < al->pos) {
        n = ngx_write_fd(fd, p, al->pos - p);

        if (n == -1) {
            err = ngx_errno;

            if (err == NGX_EINTR) {
                continue;
            }

            break;
        }

        p += n;
    }

    if (fd != NGX_INVALID_FILE && fd != al->file->fd && close(fd) == -1
        && p == al->pos)
    {
        err = ngx_errno;
        p = al->buf;
    }

    if (p != al->pos) {
        ngx_log_error(NGX_LOG_ALERT, al->log, err,
                      "kot: %uL audit records of chain %s lost at exit, as "
                      "\"%V\" cannot be written%s",
                      ngx_http_kot_audit_count(al, p), al->chain.id,
                      &al->path,
                      open_err ? " (opened again, nor the file rotated away "
                                 "or removed from it)" : "");

        ngx_http_kot_status_count(NGX_HTTP_KOT_STAT_AUDIT_WRITE_ERRORS);
        return;
    }

    if (fd != al->file->fd) {
        ngx_log_error(NGX_LOG_WARN, al->log, 0,
                      "kot: %uL audit records of chain %s written at exit, "
                      "to \"%V\" opened again", records, al->chain.id,
                      &al->path);

    } else if (open_err) {
        ngx_log_error(NGX_LOG_WARN, al->log, open_err,
                      "kot: %uL audit records of chain %s written at exit, "
                      "to the file rotated away from \"%V\", as the path "
                      "cannot be opened", records, al->chain.id, &al->path);

    } else {
        ngx_log_error(NGX_LOG_WARN, al->log, 0,
                      "kot: %uL audit records of chain %s written at exit, "
                      "to \"%V\"", records, al->chain.id, &al->path);
    }

    al->pos = al->buf;

    /* the head, as an orderly exit's flush publishes it */
    ngx_http_kot_audit_anchor(al);
}


/*
 * The descriptor for the last write: the worker's own while its file is
 * still at the log's path, else the path opened again; if that fails, the
 * error in err, the worker's own, or none if its file was removed.
 */

static ngx_fd_t
ngx_http_kot_audit_last_fd(ngx_http_kot_audit_log_t *al, ngx_err_t *err)
{
    ngx_fd_t         fd;
    ngx_file_info_t  at;

    if (ngx_file_info(al->file->name.data, &at) != NGX_FILE_ERROR
        && ngx_http_kot_audit_held(al, &at))
    {
        return al->file->fd;
    }

    fd = open((char *) al->file->name.data,
              O_WRONLY|O_APPEND|O_CREAT|O_CLOEXEC, 0640);

    if (fd != -1) {
        return fd;
    }

    *err = ngx_errno;

    if (ngx_fd_info(al->file->fd, &at) == NGX_FILE_ERROR
        || at.st_nlink == 0)
    {
        return NGX_INVALID_FILE;
    }

    return al->file->fd;
}


/* Whether fi is the file that the worker's descriptor has open. */

static ngx_uint_t
ngx_http_kot_audit_held(ngx_http_kot_audit_log_t *al, ngx_file_info_t *fi)
{
    ngx_file_info_t  held;

    return ngx_fd_info(al->file->fd, &held) != NGX_FILE_ERROR
           && held.st_dev == fi->st_dev
           && ngx_file_uniq(&held) == ngx_file_uniq(fi);
}


/* The records from the line that p is in to the end of the buffer. */

static uint64_t
ngx_http_kot_audit_count(ngx_http_kot_audit_log_t *al, u_char *p)
{
    u_char    *line;
    uint64_t   n;

    for (line = p; line > al->buf && line[-1] != '\n'; line--) {
        /* void */
    }

    /* the newline kept to end a line cut short is no record */
    if (line == al->buf && line < al->pos && *line == '\n') {
        line++;
    }

    for (n = 0; line < al->pos; line++) {
        n += (*line == '\n');
    }

    return n;
}


/*
 * The records not written, when the buffer cannot keep them: lost.  The
 * chain cannot go on, since its next key is made from them, so it ends
 * here, as a killed worker's does, and the next record starts a new one
 * whose record 0 counts them.  The written records of the chain that are
 * not anchored yet stay so: its head covers the lost ones.
 */

static void
ngx_http_kot_audit_drop(ngx_http_kot_audit_log_t *al, u_char *p)
{
    uint64_t    n;
    ngx_uint_t  cut;

    /* the file ends in a line cut short: by this write, or by one before */
    cut = (p > al->buf) ? (p[-1] != '\n')
                        : (al->pos > al->buf && al->buf[0] == '\n');

    n = ngx_http_kot_audit_count(al, p);

    ngx_log_error(NGX_LOG_ALERT, al->log, 0,
                  "kot: %uL audit records of chain %s lost, as \"%V\" "
                  "cannot be written; a new chain starts with the next "
                  "record", n, al->chain.id, &al->path);

    if (al->lost == 0) {
        ngx_memcpy(al->lost_chain, al->chain.id, KOT_CHAIN_ID_LEN + 1);
    }

    al->lost += n;
    al->restart = 1;
    al->unanchored = 0;
    al->pos = al->buf;

    /* a line cut short is ended, so that the new record 0 is a line */
    if (cut) {
        *al->pos++ = '\n';
    }

    kot_chain_wipe(&al->chain);
}


/*
 * nginx creates the files it opens with mode 0644; an audit log names
 * users, addresses and sessions, so ngx_kot creates it first, 0640,
 * before nginx opens it at start and at every reopen.  An existing file
 * keeps its mode (logrotate's "create 0640 root adm" makes the new one).
 */

/*
 * nginx opens the file after the configuration is read, and its "open()
 * failed" would name neither the directive nor the fix: a directory that
 * is not there is the usual slip (a path typed by hand, a package not
 * installed), so it is named here.
 */

static char *
ngx_http_kot_audit_dir(ngx_conf_t *cf, ngx_str_t *path)
{
    size_t            len;
    u_char           *dir;
    ngx_err_t         err;
    ngx_file_info_t   fi;

    /* a full name: it has a "/", and the directory ends at the last one */
    for (len = path->len; len > 1 && path->data[len - 1] != '/'; len--) {
        /* void */
    }

    if (len <= 1) {
        return NGX_CONF_OK;
    }

    dir = ngx_pnalloc(cf->pool, len);
    if (dir == NULL) {
        return NGX_CONF_ERROR;
    }

    (void) ngx_cpystrn(dir, path->data, len);

    if (ngx_file_info(dir, &fi) != NGX_FILE_ERROR) {
        if (ngx_is_dir(&fi)) {
            return NGX_CONF_OK;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "kot_audit_log \"%V\": \"%s\" is not a "
                           "directory; name a file in a directory", path,
                           dir);
        return NGX_CONF_ERROR;
    }

    err = ngx_errno;

    if (err != NGX_ENOENT && err != NGX_ENOTDIR) {
        /* nginx's own open() names the other errors well enough */
        return NGX_CONF_OK;
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "kot_audit_log \"%V\": the directory \"%s\" does "
                       "not exist; create it (\"install -d -m 0750 %s\"; "
                       "the package makes /var/log/ngx_kot), or name a "
                       "file in a directory that exists", path, dir, dir);

    return NGX_CONF_ERROR;
}


static void
ngx_http_kot_audit_create(ngx_open_file_t *file)
{
    ngx_fd_t  fd;

    fd = open((char *) file->name.data,
              O_WRONLY|O_APPEND|O_CREAT|O_EXCL|O_CLOEXEC, 0640);

    if (fd != -1) {
        (void) close(fd);
    }

    /* any other error is nginx's to report, when it opens the file */
}


/* nginx calls this before it reopens the file (USR1) */

static void
ngx_http_kot_audit_flush_file(ngx_open_file_t *file, ngx_log_t *log)
{
    ngx_http_kot_audit_log_t  *al = file->data;

    ngx_http_kot_audit_create(file);

    if (al->started) {
        ngx_http_kot_audit_flush(al, 1);

        /* the mark is an offset in this file, not in the next */
        al->cache_mark = 0;
        al->cache_marked = ngx_current_msec;
    }
}


static void
ngx_http_kot_audit_timer(ngx_event_t *ev)
{
    ngx_http_kot_audit_flush(ev->data, 1);
}


/* The chain's head, after the records that lead to it are written. */

static void
ngx_http_kot_audit_anchor(ngx_http_kot_audit_log_t *al)
{
    u_char                     key[sizeof(KOT_PREFIX "audit:")
                                   + KOT_CHAIN_ID_LEN];
    u_char                     seq[NGX_INT64_LEN], now[NGX_INT64_LEN];
    char                       mac[KOT_CHAIN_MAC_HEX_MAX + 1];
    u_char                     cutoff[NGX_INT64_LEN];
    uint64_t                   ms;
    ngx_http_kot_redis_args_t  a;

    ms = ngx_http_kot_now();

    a.argc = 0;
    ngx_http_kot_redis_arg(&a, (u_char *) "EVALSHA", 7);
    ngx_http_kot_redis_arg(&a,
                           (u_char *) kot_scripts[KOT_SCRIPT_AUDIT_ANCHOR].sha1,
                           40);
    ngx_http_kot_redis_arg(&a, (u_char *) "2", 1);
    ngx_http_kot_redis_arg(&a, key,
                           ngx_sprintf(key, KOT_PREFIX "audit:%s",
                                       al->chain.id) - key);
    ngx_http_kot_redis_arg(&a, (u_char *) KOT_PREFIX "audit:chains",
                           sizeof(KOT_PREFIX "audit:chains") - 1);
    ngx_http_kot_redis_arg(&a, (u_char *) al->chain.id, KOT_CHAIN_ID_LEN);
    ngx_http_kot_redis_arg(&a, seq,
                           ngx_sprintf(seq, "%uL", al->chain.seq - 1) - seq);
    ngx_http_kot_redis_arg(&a, (u_char *) mac,
                           kot_chain_head_hex(&al->chain, mac));
    ngx_http_kot_redis_arg(&a, now, ngx_sprintf(now, "%uL", ms) - now);
    ngx_http_kot_redis_arg(&a, al->path.data, al->path.len);
    ngx_http_kot_redis_arg(&a, cutoff,
                           ngx_sprintf(cutoff, "%uL",
                                       ms - 400ULL * 86400 * 1000) - cutoff);
    ngx_http_kot_redis_arg(&a, (u_char *) NGX_HTTP_KOT_AUDIT_ANCHOR_TTL,
                           sizeof(NGX_HTTP_KOT_AUDIT_ANCHOR_TTL) - 1);

    /* as record 0's host.hostname has it */
    ngx_http_kot_redis_arg(&a, ngx_cycle->hostname.data,
                           ngx_cycle->hostname.len);

    ngx_http_kot_redis_fire(&a);
}


/*
 * A string field.  Client-supplied values are capped, so that one long
 * header cannot push a record past what a line may hold.
 */

static void
ngx_http_kot_audit_set(json_t *rec, const char *key, u_char *data,
    size_t len)
{
    char  *s;

    len = ngx_min(len, NGX_HTTP_KOT_AUDIT_FIELD_MAX);

    if (kot_utf8_valid((char *) data, len)) {
        json_object_set_new(rec, key, json_stringn((char *) data, len));
        return;
    }

    /* jansson refuses invalid UTF-8: keep what can be kept */
    s = ngx_alloc(kot_utf8_sanitize_len((char *) data, len), ngx_cycle->log);
    if (s == NULL) {
        return;
    }

    json_object_set_new(rec, key,
                        json_stringn(s, kot_utf8_sanitize(s, (char *) data,
                                                          len)));
    ngx_free(s);
}


static void
ngx_http_kot_audit_set_str(json_t *rec, const char *key, ngx_str_t *s)
{
    if (s && s->len) {
        ngx_http_kot_audit_set(rec, key, s->data, s->len);
    }
}
