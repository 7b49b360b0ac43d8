
/*
 * ngx_kot: hiredis's async API on nginx events.
 */


#ifndef _NGX_HTTP_KOT_REDIS_H_INCLUDED_
#define _NGX_HTTP_KOT_REDIS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>


#define NGX_HTTP_KOT_REDIS_MAX_ARGS  32


/* a command's arguments; the strings belong to the caller */
typedef struct {
    const char                 *argv[NGX_HTTP_KOT_REDIS_MAX_ARGS];
    size_t                      argvlen[NGX_HTTP_KOT_REDIS_MAX_ARGS];
    int                         argc;
} ngx_http_kot_redis_args_t;


typedef struct {
    ngx_str_t                   name;       /* as written, for messages */
    ngx_str_t                   host;       /* NUL-terminated IP literal */
    int                         port;
    ngx_str_t                   unix_path;  /* NUL-terminated, or empty */
} ngx_http_kot_redis_addr_t;


typedef struct {
    ngx_str_t                   name;       /* as written, for messages */
    ngx_str_t                   host;       /* NUL-terminated IP literal */
    int                         port;
    ngx_str_t                   unix_path;  /* NUL-terminated, or empty */
    ngx_str_t                   user;
    ngx_str_t                   password;
    ngx_int_t                   db;
    ngx_msec_t                  timeout;

    /* kot_redis_sentinel: the master's address comes from these */
    ngx_array_t                *sentinels;  /* ngx_http_kot_redis_addr_t */
    ngx_str_t                   master;     /* its name for the sentinels */
    ngx_str_t                   sentinel_password;
} ngx_http_kot_redis_conf_t;


/*
 * Called once per command with the reply, or with NULL when the command
 * failed (timeout, connection lost).  It runs inside hiredis, which frees
 * the reply afterwards: copy what is needed into request memory and do
 * nothing else.  The request's done event is posted right after.
 */
typedef void (*ngx_http_kot_redis_handler_pt)(ngx_http_request_t *r,
    void *data, redisReply *reply);


ngx_int_t ngx_http_kot_redis_init_worker(ngx_cycle_t *cycle,
    ngx_http_kot_redis_conf_t *conf, ngx_uint_t cache);
ngx_int_t ngx_http_kot_redis_caching(void);
ngx_int_t ngx_http_kot_redis_fresh(void);
ngx_int_t ngx_http_kot_redis_tracked_get(u_char *key, size_t len,
    redisCallbackFn *cb, void *privdata);
void ngx_http_kot_redis_exit_worker(ngx_cycle_t *cycle);

/*
 * Sends one command for request r.  Returns NGX_OK when sent (handler and
 * then done follow, unless the request goes away first), or NGX_ERROR when
 * Redis is unreachable now: the caller answers 503 at once.
 */
ngx_int_t ngx_http_kot_redis_command(ngx_http_request_t *r,
    ngx_http_kot_redis_handler_pt handler, void *data, ngx_event_t *done,
    ngx_http_kot_redis_args_t *a);

/*
 * EVALSHA of one of kot_scripts[]: the first nkeys arguments are keys.
 */
ngx_int_t ngx_http_kot_redis_script(ngx_http_request_t *r, ngx_uint_t id,
    ngx_http_kot_redis_handler_pt handler, void *data, ngx_event_t *done,
    int nkeys, ngx_http_kot_redis_args_t *a);

/* The same, with the arguments of a followed by a list of any length. */
ngx_int_t ngx_http_kot_redis_script_list(ngx_http_request_t *r, ngx_uint_t id,
    ngx_http_kot_redis_handler_pt handler, void *data, ngx_event_t *done,
    int nkeys, ngx_http_kot_redis_args_t *a, ngx_str_t *more, ngx_uint_t n);

/*
 * A command no request waits for (an audit anchor): sent if Redis is
 * connected, its reply ignored.  The strings may be freed on return.
 */
void ngx_http_kot_redis_fire(ngx_http_kot_redis_args_t *a);

/*
 * The same for a reply that no request waits for: cb gets it with
 * privdata, or NULL if the connection breaks first (hiredis calls it,
 * also when the worker exits).  NGX_ERROR: not sent, cb never called.
 */
ngx_int_t ngx_http_kot_redis_call(ngx_http_kot_redis_args_t *a,
    redisCallbackFn *cb, void *privdata);

/* Appending arguments; numbers and keys are built in r->pool. */
void ngx_http_kot_redis_arg(ngx_http_kot_redis_args_t *a, u_char *data,
    size_t len);
ngx_int_t ngx_http_kot_redis_num(ngx_http_request_t *r,
    ngx_http_kot_redis_args_t *a, uint64_t n);
/* Copies a string reply into r->pool, NUL-terminated. */
ngx_int_t ngx_http_kot_redis_str(ngx_http_request_t *r, redisReply *reply,
    ngx_str_t *s);

/* A number from a string or integer reply; 0 for anything else. */
uint64_t ngx_http_kot_redis_uint(redisReply *reply);

/* prefix + p1 [+ ":" + p2] */
ngx_int_t ngx_http_kot_redis_key(ngx_http_request_t *r,
    ngx_http_kot_redis_args_t *a, const char *prefix, ngx_str_t *p1,
    ngx_str_t *p2);


#endif /* _NGX_HTTP_KOT_REDIS_H_INCLUDED_ */
