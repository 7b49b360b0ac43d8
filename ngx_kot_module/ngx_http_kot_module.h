
/*
 * ngx_kot: login security controls in the nginx request phase.
 */


#ifndef _NGX_HTTP_KOT_MODULE_H_INCLUDED_
#define _NGX_HTTP_KOT_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#if !(NGX_THREADS)
#error ngx_kot needs nginx configured --with-threads
#endif

/*
 * the project's version (kot_build_info, record 0's service.version):
 * config defines it from KOT_VERSION, which the Makefile reads from
 * debian/changelog
 */
#ifndef NGX_HTTP_KOT_VERSION
#error "no NGX_HTTP_KOT_VERSION: configure with KOT_VERSION (make module)"
#endif

#include <jansson.h>
#include <openssl/evp.h>

#include "kot_cidr.h"
#include "kot_cookie.h"
#include "kot_crypto.h"
#include "kot_form.h"
#include "kot_lang.h"
#include "kot_phc.h"
#include "kot_policy.h"
#include "kot_scripts.h"
#include "kot_totp.h"

#include "ngx_http_kot_redis.h"


#define NGX_HTTP_KOT_COOKIE_SESSION     KOT_COOKIE_SESSION
#define NGX_HTTP_KOT_COOKIE_PRELOGIN    KOT_COOKIE_PRELOGIN
#define NGX_HTTP_KOT_COOKIE_PENDING     KOT_COOKIE_PENDING
#define NGX_HTTP_KOT_COOKIE_LANG        "__Host-kot_lang"

/* the insecure names skip the "__Host-" prefix, which requires Secure */
#define NGX_HTTP_KOT_PREFIX_LEN         (sizeof(KOT_COOKIE_HOST_PREFIX) - 1)

#define NGX_HTTP_KOT_CSRF_LEN           43      /* base64url of a MAC */

/* kot_allowlist; also the index of a tenant's list */
#define NGX_HTTP_KOT_ALLOW_ACCESS       0
#define NGX_HTTP_KOT_ALLOW_ADMIN        1
#define NGX_HTTP_KOT_ALLOW_OFF          2


typedef struct ngx_http_kot_audit_log_s  ngx_http_kot_audit_log_t;
typedef struct ngx_http_kot_loc_conf_s   ngx_http_kot_loc_conf_t;
typedef struct ngx_http_kot_look_s       ngx_http_kot_look_t;


typedef struct {
    ngx_http_kot_redis_conf_t   redis;
    ngx_flag_t                  redis_set;

    ngx_str_t                   secret_file;
    kot_hmac_key_t              session_key;    /* keyed, ready */
    kot_hmac_key_t              csrf_key;
    u_char                      mfa_key[KOT_KEY_LEN];  /* seals seeds */
    kot_hmac_key_t              recovery_key;   /* keys recovery codes */
    ngx_str_t                   mfa_issuer;     /* kot_mfa_issuer */

    ngx_str_t                   thread_pool_name;
    ngx_thread_pool_t          *thread_pool;

    kot_scrypt_params_t         scrypt;
    ngx_flag_t                  scrypt_set;
    char                        dummy_hash[KOT_PHC_MAX + 1];

    ngx_array_t                 audit_logs;     /* of audit_log_t * */
    EVP_PKEY                   *auditor_key;
    char                        auditor_fpr[17];
    ngx_int_t                   request_id;     /* $request_id's index */
    ngx_http_kot_loc_conf_t    *http_conf;      /* for kot:v1:policy */
    ngx_uint_t                  cache_size;     /* kot_session_cache */
    ngx_int_t                   realip_peer;    /* $realip_remote_addr */
    ngx_str_t                   admin_operator; /* kot_admin_operator */
    ngx_shm_zone_t             *status_zone;    /* kot_status */
    ngx_http_kot_look_t        *look;           /* the built-in one */
    ngx_flag_t                  notify;         /* kot_notify */

    ngx_flag_t                  used;
} ngx_http_kot_main_conf_t;


typedef struct {
    ngx_uint_t                  threshold;
    ngx_msec_t                  window;
    ngx_msec_t                  duration;
    ngx_msec_t                  max_duration;
    ngx_uint_t                  permanent_after;    /* 0: never */
} ngx_http_kot_lockout_conf_t;


typedef struct {
    ngx_uint_t                  rate;               /* per minute; 0: off */
    ngx_uint_t                  burst;
    ngx_uint_t                  ipv6_site;      /* a /48's share; 0: off */
} ngx_http_kot_throttle_conf_t;


struct ngx_http_kot_loc_conf_s {
    ngx_flag_t                  enable;
    ngx_str_t                   portal;         /* prefix, if kot_portal */
    ngx_str_t                   admin;          /* prefix, if kot_admin */
    ngx_http_handler_pt         handler;        /* of kot_portal, kot_admin
                                                   or kot_status: here */
    ngx_str_t                   portal_uri;
    ngx_http_complex_value_t   *tenant;
    ngx_msec_t                  idle_timeout;
    ngx_msec_t                  absolute_timeout;
    ngx_msec_t                  touch;          /* kot_session_touch */
    ngx_flag_t                  long_poll;      /* kot_long_poll */
    ngx_flag_t                  insecure_cookie;
    ngx_flag_t                  strip_identity;
    ngx_flag_t                  pass_cookie;    /* kot_pass_session_cookie */
    ngx_flag_t                  identity_headers;
    ngx_http_kot_lockout_conf_t   lockout;
    ngx_http_kot_throttle_conf_t  throttle;
    ngx_http_kot_audit_log_t     *audit_log;
    ngx_flag_t                    audit_requests;
    kot_policy_t                  policy;
    ngx_flag_t                    policy_set;
    ngx_str_t                     policy_path;      /* of the blocklist */
    ngx_uint_t                    allowlist;        /* ..._ALLOW_* */
    kot_cidr_set_t               *trusted;          /* proxies, or NULL */
    ngx_array_t                  *require_roles;    /* of ngx_str_t */
    const char                   *guard;    /* kot_require_role or
                                               kot_allowlist, given in
                                               this location */
    ngx_http_kot_look_t          *look;     /* kot_portal_templates */
    ngx_uint_t                    min_tls;          /* 0: off, 0x0303 */
    kot_cidr_set_t               *legacy_tls;       /* or NULL */
    ngx_str_t                     hsts;             /* the header's */
    ngx_flag_t                    activity;         /* kot_activity */
    ngx_flag_t                    last_login_notice;
    ngx_uint_t                    max_sessions;     /* 0: no limit */
    ngx_flag_t                    max_sessions_refuse;
};


typedef struct {
    ngx_str_t                   tenant;
    ngx_str_t                   user;
    ngx_str_t                   roles;
    ngx_str_t                   last_login;     /* "ms|address|failures" */

    /* the cookie value: secret, never logged or stored */
    u_char                      id[KOT_SID_B64_LEN + 1];
    /* base64url HMAC of the id: the Redis key and the log handle */
    u_char                      sid[KOT_SID_B64_LEN + 1];

    ngx_uint_t                  status;         /* KOT_SESSION_* */
    uint64_t                    created;        /* login time */
    uint64_t                    last;           /* last activity */
    int64_t                     allow_version;  /* the tenant's lists */
    u_char                      must_change;    /* KOT_MUST_CHANGE_* */
    unsigned                    cookie:1;       /* a well-formed cookie */
    unsigned                    enrol:1;        /* must enrol in MFA first */
} ngx_http_kot_session_t;


/* A session's last login: the login before it ($kot_last_login). */
typedef struct {
    uint64_t                    time;       /* ms; 0: no login before */
    ngx_str_t                   address;
    ngx_uint_t                  failed;     /* failed logins since */
} ngx_http_kot_last_login_t;


/* A login attempt, or the user behind a password change. */
typedef struct {
    ngx_str_t                   tenant;
    ngx_str_t                   user;

    /* from Redis */
    ngx_str_t                   hash;
    ngx_str_t                   roles;
    u_char                      must_change;    /* KOT_MUST_CHANGE_* */
    unsigned                    found:1;
    unsigned                    locked:1;
    unsigned                    disabled:1;     /* kotctl user disable */
    unsigned                    mfa:1;          /* the user has MFA */
    unsigned                    enrol:1;        /* the session must enrol */
    ngx_msec_t                  retry_after;    /* > 0: throttled */
    ngx_str_t                   site;   /* throttled as this IPv6 /48 */
    uint64_t                    pw_changed;
    uint64_t                    active;         /* last login, or so */
    int64_t                     allow_version;  /* the tenant's lists */
    ngx_str_t                  *history;        /* earlier hashes */
    ngx_uint_t                  nhistory;
    kot_policy_t                policy;         /* effective */

    /*
     * the second factor this login checked: the sealed seed of the code
     * step, or empty for a login with the password alone; the session
     * is made only if the user's MFA is still that
     */
    ngx_str_t                   mfa_seed;

    /* after a failure: KOT_FAIL_*, the counts, the lock's end */
    ngx_int_t                   fail;
    ngx_int_t                   fails;
    ngx_int_t                   locks;
    int64_t                     until;

    /* the handles of the sessions that kot_max_sessions ended */
    ngx_str_t                  *evicted;
    ngx_uint_t                  nevicted;
} ngx_http_kot_login_t;


typedef struct ngx_http_kot_ctx_s  ngx_http_kot_ctx_t;
typedef struct ngx_http_kot_conn_s  ngx_http_kot_conn_t;

/*
 * A step of a request's work, run when the previous async step finished.
 * Returns NGX_AGAIN when it waits again, NGX_DONE when the request needs
 * nothing more from it, or a code for ngx_http_finalize_request().
 */
typedef ngx_int_t (*ngx_http_kot_step_pt)(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);


struct ngx_http_kot_ctx_s {
    ngx_http_kot_session_t      session;

    /* an async step (Redis, thread pool) posts this when it finishes */
    ngx_event_t                 done;
    ngx_http_kot_step_pt        next;
    ngx_int_t                   rc;             /* NGX_OK, NGX_ERROR */
    int64_t                     result;         /* a script's number */

    void                       *portal;         /* portal state */
    void                       *admin;          /* kot_admin state */
    ngx_http_kot_login_t       *login;

    uint64_t                    cache_serial;   /* a cache reservation */
    ngx_http_kot_conn_t        *conn;           /* long-lived, or NULL */

    ngx_str_t                   allow_tenant;   /* lists being loaded */
    const char                 *allow_denied;   /* the list that refused */
    unsigned                    allow_loaded:1;

    const char                 *tls_legacy;     /* let in below */
    ngx_http_kot_session_t     *tls_session;    /* a subrequest's, then */
    unsigned                    tls_refused:1;  /* recorded */

    unsigned                    waiting:1;
    unsigned                    checked:1;
    unsigned                    passive:1;      /* extends no session */
    unsigned                    admin_413:1;    /* nginx's, made JSON */
    unsigned                    admin_413_sent:1;
};


extern ngx_module_t  ngx_http_kot_module;


/* ngx_http_kot_module.c */
ngx_http_kot_ctx_t *ngx_http_kot_ctx(ngx_http_request_t *r);
ngx_int_t ngx_http_kot_strdup(ngx_pool_t *pool, ngx_str_t *dst, u_char *data,
    size_t len);
char *ngx_http_kot_conf_once(ngx_conf_t *cf);
ngx_int_t ngx_http_kot_wait(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx,
    ngx_http_kot_step_pt next);
ngx_int_t ngx_http_kot_tenant(ngx_http_request_t *r, ngx_str_t *tenant);
ngx_int_t ngx_http_kot_headers_compact(ngx_http_request_t *r);
uint64_t ngx_http_kot_now(void);

/* ngx_http_kot_access.c */
typedef enum {
    NGX_HTTP_KOT_ACCESS_OK = 0,
    NGX_HTTP_KOT_ACCESS_AGAIN,          /* lists loading: ask after done */
    NGX_HTTP_KOT_ACCESS_UNAVAILABLE,    /* Redis did not answer */
    NGX_HTTP_KOT_ACCESS_LOGIN,          /* no live session */
    NGX_HTTP_KOT_ACCESS_IP_DENIED,      /* recorded */
    NGX_HTTP_KOT_ACCESS_ROLE_DENIED,    /* recorded */
    NGX_HTTP_KOT_ACCESS_MUST_CHANGE,    /* a password change comes first */
    NGX_HTTP_KOT_ACCESS_MFA_ENROL       /* the tenant requires MFA first */
} ngx_http_kot_access_e;

ngx_int_t ngx_http_kot_access_init(ngx_conf_t *cf);
ngx_str_t *ngx_http_kot_back(ngx_http_request_t *r);
ngx_http_kot_access_e ngx_http_kot_access_check(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx, ngx_uint_t list);
void ngx_http_kot_role_record(ngx_http_request_t *r,
    ngx_http_kot_session_t *s, ngx_array_t *roles);
char *ngx_http_kot_require_role(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_kot_guard_merge(ngx_conf_t *cf, ngx_http_kot_loc_conf_t *conf);

/* ngx_http_kot_admin.c */
ngx_int_t ngx_http_kot_admin_handler(ngx_http_request_t *r);
char *ngx_http_kot_admin_operator(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
void ngx_http_kot_admin_merge(ngx_conf_t *cf, ngx_http_kot_loc_conf_t *conf);
ngx_int_t ngx_http_kot_admin_init_filters(ngx_conf_t *cf);

/* ngx_http_kot_session.c */
void ngx_http_kot_session_read(ngx_http_request_t *r,
    ngx_http_kot_session_t *s);
ngx_int_t ngx_http_kot_session_check(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx, ngx_uint_t cached);
ngx_msec_t ngx_http_kot_session_touch(ngx_http_kot_loc_conf_t *klcf);
ngx_int_t ngx_http_kot_session_reply(redisReply *reply);
const char *ngx_http_kot_session_why(ngx_http_kot_session_t *s);
void ngx_http_kot_session_expired(ngx_http_request_t *r,
    ngx_http_kot_session_t *s);
ngx_int_t ngx_http_kot_session_create(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx, ngx_http_kot_login_t *login);
ngx_int_t ngx_http_kot_session_destroy(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
ngx_int_t ngx_http_kot_session_change_password(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx, ngx_str_t *old_hash, ngx_str_t *new_hash,
    ngx_uint_t keep);
ngx_int_t ngx_http_kot_session_new_id(ngx_http_request_t *r,
    ngx_http_kot_session_t *s);
ngx_int_t ngx_http_kot_session_id(ngx_http_request_t *r,
    ngx_http_kot_session_t *s, u_char *raw, u_char *b64);
void ngx_http_kot_session_int_reply(ngx_http_request_t *r, void *data,
    redisReply *reply);
void ngx_http_kot_session_pair(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx, redisReply *reply, ngx_int_t *n);
void ngx_http_kot_session_ended_reply(ngx_http_request_t *r, void *data,
    redisReply *reply);
ngx_int_t ngx_http_kot_set_cookie(ngx_http_request_t *r, const char *name,
    u_char *value, size_t len);
ngx_int_t ngx_http_kot_csrf(ngx_http_request_t *r, const char *purpose,
    u_char *secret, size_t len, u_char *out);
ngx_int_t ngx_http_kot_csrf_ok(ngx_http_request_t *r, const char *purpose,
    u_char *secret, size_t len, ngx_str_t *token);
ngx_int_t ngx_http_kot_cookie(ngx_http_request_t *r, const char *name,
    ngx_str_t *value);
char *ngx_http_kot_max_sessions(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
void ngx_http_kot_session_evicted(ngx_http_request_t *r,
    ngx_http_kot_login_t *login);

/* ngx_http_kot_audit.c */
typedef struct {
    const char                 *action;         /* event.action */
    const char                 *category;       /* event.category */
    const char                 *outcome;        /* event.outcome */
    const char                 *reason;         /* event.reason, or NULL */
    ngx_str_t                  *user;           /* NULL: the session's */
    ngx_http_kot_session_t     *session;        /* NULL: the request's */
    ngx_str_t                  *tenant;
    ngx_str_t                  *target_tenant;  /* an admin's, or NULL */
    ngx_uint_t                  status;         /* what the client gets */
    json_t                     *fields;         /* more, or NULL (stolen) */
} ngx_http_kot_event_t;

char *ngx_http_kot_audit_log(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_kot_audit_auditor_key(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_kot_audit_init(ngx_conf_t *cf,
    ngx_http_kot_main_conf_t *kmcf);
ngx_int_t ngx_http_kot_audit_init_process(ngx_cycle_t *cycle,
    ngx_http_kot_main_conf_t *kmcf);
void ngx_http_kot_audit_exit_process(ngx_cycle_t *cycle,
    ngx_http_kot_main_conf_t *kmcf);
void ngx_http_kot_event(ngx_http_request_t *r, ngx_http_kot_event_t *ev,
    const char *fmt, ...);
void ngx_http_kot_audit_busy(ngx_http_request_t *r);

/* ngx_http_kot_policy.c */
char *ngx_http_kot_password_policy(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
void ngx_http_kot_policy_merge(ngx_http_kot_loc_conf_t *prev,
    ngx_http_kot_loc_conf_t *conf);
ngx_int_t ngx_http_kot_policy_effective(ngx_http_request_t *r,
    redisReply *tenant, kot_policy_t *out);
void ngx_http_kot_policy_publish(ngx_http_kot_loc_conf_t *klcf);

/* ngx_http_kot_allow.c */
char *ngx_http_kot_allowlist(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_kot_trusted_proxies(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_kot_allow_init_conf(ngx_conf_t *cf,
    ngx_http_kot_main_conf_t *kmcf);
ngx_int_t ngx_http_kot_client(ngx_http_request_t *r, struct sockaddr **sa,
    ngx_str_t *text);
ngx_int_t ngx_http_kot_allow(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx,
    ngx_str_t *tenant, int64_t version, ngx_uint_t which);
ngx_int_t ngx_http_kot_allow_denied(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx, ngx_str_t *tenant, ngx_str_t *user);
void ngx_http_kot_allow_record(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx,
    ngx_str_t *tenant, ngx_str_t *user);
ngx_int_t ngx_http_kot_allow_answer(ngx_http_request_t *r);
void ngx_http_kot_allow_forget(void);
char *ngx_http_kot_cidr_set(ngx_conf_t *cf, const char *directive,
    ngx_str_t *nets, ngx_uint_t n, kot_cidr_set_t **set);

/* ngx_http_kot_tls.c */
ngx_int_t ngx_http_kot_tls_init(ngx_conf_t *cf);
char *ngx_http_kot_min_tls(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_kot_hsts(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
void ngx_http_kot_tls_merge(ngx_http_kot_loc_conf_t *prev,
    ngx_http_kot_loc_conf_t *conf);
ngx_int_t ngx_http_kot_tls_check(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx, ngx_int_t *rc);
ngx_int_t ngx_http_kot_tls_floor(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx, const char **protocol, const char **floor);

/* ngx_http_kot_cache.c */
void ngx_http_kot_cache_init_process(ngx_cycle_t *cycle, ngx_uint_t max);
void ngx_http_kot_cache_enable(void);
void ngx_http_kot_cache_disable(const char *why);
ngx_uint_t ngx_http_kot_cache_enabled(void);
void ngx_http_kot_cache_invalidate(redisReply *keys);
ngx_int_t ngx_http_kot_cache_lookup(ngx_http_request_t *r,
    ngx_http_kot_session_t *s, ngx_msec_t absolute, ngx_msec_t touch);
uint64_t ngx_http_kot_cache_reserve(u_char *sid);
void ngx_http_kot_cache_fill(uint64_t serial, ngx_http_kot_session_t *s);
void ngx_http_kot_cache_forget(u_char *sid);

/* ngx_http_kot_conn.c */
ngx_int_t ngx_http_kot_conn_init(ngx_conf_t *cf);
void ngx_http_kot_conn_init_process(ngx_cycle_t *cycle);
ngx_int_t ngx_http_kot_conn_add(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
void ngx_http_kot_conn_remove(ngx_http_kot_conn_t *k);
void ngx_http_kot_conn_changed(u_char *sid);
void ngx_http_kot_conn_recheck(void);

/* ngx_http_kot_lockout.c */
char *ngx_http_kot_lockout(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_http_kot_login_throttle(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
void ngx_http_kot_lockout_merge(ngx_http_kot_loc_conf_t *prev,
    ngx_http_kot_loc_conf_t *conf);
ngx_int_t ngx_http_kot_login_begin(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
ngx_int_t ngx_http_kot_login_fail(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
ngx_int_t ngx_http_kot_throttle_buckets(ngx_http_request_t *r,
    ngx_str_t *client, ngx_str_t *site);
ngx_int_t ngx_http_kot_throttle_args(ngx_http_request_t *r,
    ngx_http_kot_redis_args_t *a);
ngx_int_t ngx_http_kot_throttle_held(ngx_http_kot_login_t *login,
    redisReply **e, size_t n);
/*
 * A current password asked for with a session (a password change, MFA
 * replaced or removed), wrong or on a locked account: counted toward the
 * lockout as at login, then next; and, in next, the lock it set recorded
 * and the reason of the refusal ("locked", "bad_current_password")
 */
ngx_int_t ngx_http_kot_current_password_count(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx, ngx_http_kot_step_pt next);
const char *ngx_http_kot_current_password_refused(ngx_http_request_t *r,
    ngx_http_kot_login_t *login);
/*
 * the client's kot_cidr_bucket(): its throttle bucket and its network;
 * with site, also its kot_cidr_site() (empty for an IPv4 client)
 */
ngx_int_t ngx_http_kot_client_key(ngx_http_request_t *r, ngx_str_t *key,
    ngx_str_t *site);

/* ngx_http_kot_hash.c */
typedef struct {
    ngx_thread_task_t          *task;
    ngx_http_request_t         *request;
    ngx_atomic_t                abandoned;      /* the client left */
    ngx_event_t                 alive;          /* holds a worker exiting */
    /* input */
    ngx_str_t                   password;       /* to verify or hash */
    ngx_str_t                   hash;           /* PHC to verify against */
    ngx_str_t                   new_password;   /* to hash after it */
    ngx_str_t                  *history;        /* new must match none */
    ngx_uint_t                  nhistory;
    kot_scrypt_params_t         params;
    /* output */
    ngx_int_t                   verified;       /* 1, 0, -1 malformed */
    ngx_int_t                   reused;         /* matched the history */
    u_char                      new_hash[KOT_PHC_MAX + 1];
    ngx_int_t                   new_hash_len;   /* -1 on failure */
    uint64_t                    queued;         /* for kot_hash_seconds */
} ngx_http_kot_hash_job_t;

void ngx_http_kot_hash_init_process(void);
ngx_http_kot_hash_job_t *ngx_http_kot_hash_job(ngx_http_request_t *r);
ngx_int_t ngx_http_kot_hash_run(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx, ngx_http_kot_hash_job_t *job);

/* ngx_http_kot_portal.c */
typedef enum {
    NGX_HTTP_KOT_LOGIN = 0,
    NGX_HTTP_KOT_LOGOUT,
    NGX_HTTP_KOT_PASSWORD,
    NGX_HTTP_KOT_CODE,              /* login/code: the second step */
    NGX_HTTP_KOT_MFA,               /* mfa: enrolment */
    NGX_HTTP_KOT_SESSION,           /* session: the times left, JSON */
    NGX_HTTP_KOT_SESSIONS,          /* sessions: the user's own list */
    NGX_HTTP_KOT_WELCOME            /* welcome: the last login, after one */
} ngx_http_kot_action_e;

/* the fields of the portal's forms, by position (see portal.c) */
enum {
    NGX_HTTP_KOT_F_CSRF = 0,
    NGX_HTTP_KOT_F_RETURN_TO,
    NGX_HTTP_KOT_F_TENANT,
    NGX_HTTP_KOT_F_USERNAME,
    NGX_HTTP_KOT_F_PASSWORD,
    NGX_HTTP_KOT_F_CURRENT = NGX_HTTP_KOT_F_TENANT,
    NGX_HTTP_KOT_F_NEW,
    NGX_HTTP_KOT_F_CONFIRM,
    NGX_HTTP_KOT_F_CODE = NGX_HTTP_KOT_F_TENANT,
    NGX_HTTP_KOT_F_MFA_PASSWORD,
    NGX_HTTP_KOT_F_MFA_ACTION,
    NGX_HTTP_KOT_F_END = NGX_HTTP_KOT_F_TENANT,
    NGX_HTTP_KOT_F_N = 5
};

/* A login's second step, or an enrolment, as far as it went. */
typedef struct {
    ngx_http_kot_session_t      id;         /* the pending cookie's */
    ngx_str_t                   seed;       /* sealed, as in Redis */
    ngx_str_t                   enrolled;   /* as the page saw it */
    ngx_int_t                   left;       /* tries left */
    ngx_int_t                   codes_left; /* recovery codes */
    kot_code_kind_t             kind;       /* of the code typed */
    uint64_t                    step;       /* the TOTP step it matched */
    u_char                      code_hash[KOT_RECOVERY_HASH_LEN];
    u_char                      code_hash_unkeyed[KOT_RECOVERY_HASH_LEN];
    u_char                    (*codes)[KOT_RECOVERY_LEN + 1];  /* new */
    unsigned                    created:1;  /* at the password step */
    unsigned                    found:1;    /* at the code step */
    unsigned                    locked:1;
} ngx_http_kot_pending_t;

typedef struct {
    ngx_http_kot_action_e       action;
    kot_form_field_t            f[NGX_HTTP_KOT_F_N];
    ngx_str_t                   v[NGX_HTTP_KOT_F_N];    /* decoded */

    ngx_http_kot_login_t        login;
    ngx_str_t                   return_to;
    ngx_http_kot_pending_t      mfa;
    const char                 *reason;     /* of a failed code */

    ngx_http_kot_hash_job_t    *job;

    ngx_array_t                *sessions;   /* of ..._session_row_t */
    ngx_int_t                   ended;      /* the user's other sessions */
                                            /* that a change of password */
                                            /* or MFA ended */

    /* wiped when the request ends: they held passwords */
    u_char                     *body;
    size_t                      body_len;
    u_char                     *scratch;
    size_t                      scratch_len;
} ngx_http_kot_portal_t;

ngx_int_t ngx_http_kot_portal_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_kot_url(ngx_http_request_t *r, ngx_str_t *out,
    const char *page);
ngx_int_t ngx_http_kot_session_csrf(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx, const char *purpose, ngx_str_t *out);
ngx_int_t ngx_http_kot_password_session(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx, ngx_int_t *rc, ngx_http_kot_step_pt step);
ngx_int_t ngx_http_kot_hash(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx,
    ngx_str_t *hash, ngx_str_t *password, ngx_str_t *new_password,
    ngx_str_t *history, ngx_uint_t nhistory, ngx_http_kot_step_pt next);
ngx_int_t ngx_http_kot_csrf_refused(ngx_http_request_t *r,
    const char *action);

/* ngx_http_kot_mfa.c */
char *ngx_http_kot_mfa_issuer(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_kot_mfa_pending(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
ngx_int_t ngx_http_kot_mfa_pending_read(ngx_http_request_t *r,
    ngx_http_kot_pending_t *p);
ngx_int_t ngx_http_kot_mfa_code_load(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
ngx_int_t ngx_http_kot_mfa_code_check(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx, ngx_str_t *code);
ngx_int_t ngx_http_kot_mfa_use(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
ngx_int_t ngx_http_kot_mfa_get(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
ngx_int_t ngx_http_kot_mfa_post(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);

/* ngx_http_kot_page.c */
typedef enum {
    NGX_HTTP_KOT_MSG_NONE = 0,
    NGX_HTTP_KOT_MSG_LOGIN_FAILED,
    NGX_HTTP_KOT_MSG_LOGGED_OUT,
    NGX_HTTP_KOT_MSG_EXPIRED,
    NGX_HTTP_KOT_MSG_FORM_EXPIRED,
    NGX_HTTP_KOT_MSG_MUST_CHANGE,
    NGX_HTTP_KOT_MSG_PW_MISMATCH,
    NGX_HTTP_KOT_MSG_PW_CURRENT_WRONG,
    NGX_HTTP_KOT_MSG_PW_SAME,
    NGX_HTTP_KOT_MSG_PW_TOO_SHORT,
    NGX_HTTP_KOT_MSG_PW_TOO_LONG,
    NGX_HTTP_KOT_MSG_PW_INVALID_CHARS,
    NGX_HTTP_KOT_MSG_PW_CLASSES,
    NGX_HTTP_KOT_MSG_PW_USERNAME,
    NGX_HTTP_KOT_MSG_PW_CHANGED_ELSEWHERE,
    NGX_HTTP_KOT_MSG_USE_HTTPS,
    NGX_HTTP_KOT_MSG_BUSY,
    NGX_HTTP_KOT_MSG_BAD_FORM,
    NGX_HTTP_KOT_MSG_THROTTLED,
    NGX_HTTP_KOT_MSG_PW_BLOCKLISTED,
    NGX_HTTP_KOT_MSG_PW_REUSED,
    NGX_HTTP_KOT_MSG_PW_TOO_RECENT,
    NGX_HTTP_KOT_MSG_PW_EXPIRED,
    NGX_HTTP_KOT_MSG_IP_DENIED,
    NGX_HTTP_KOT_MSG_NOT_FOUND,
    NGX_HTTP_KOT_MSG_ROLE_DENIED,
    NGX_HTTP_KOT_MSG_CODE_EXPIRED,
    NGX_HTTP_KOT_MSG_MFA_REQUIRED,
    NGX_HTTP_KOT_MSG_MFA_BAD_CODE,
    NGX_HTTP_KOT_MSG_MFA_OFFER_EXPIRED,
    NGX_HTTP_KOT_MSG_MFA_REMOVED,
    NGX_HTTP_KOT_MSG_MFA_CANNOT_REMOVE,
    NGX_HTTP_KOT_MSG_MFA_ENROLLED,
    NGX_HTTP_KOT_MSG_UNSAVED,
    NGX_HTTP_KOT_MSG_SESSION_LIMIT,
    NGX_HTTP_KOT_MSG_SESSIONS_ENDED,
    NGX_HTTP_KOT_MSG_SESSIONS_NONE,
    NGX_HTTP_KOT_MSG_FAILED_SINCE,
    NGX_HTTP_KOT_MSG_MFA_OTHERS_ENDED,
    NGX_HTTP_KOT_MSG_LOGIN_EXPIRED,
    NGX_HTTP_KOT_MSG_EVICTED,
    NGX_HTTP_KOT_MSG_ENDED_ELSEWHERE,
    NGX_HTTP_KOT_MSG_OTHERS_EVICTED,
    NGX_HTTP_KOT_MSG_N
} ngx_http_kot_msg_t;

typedef struct {
    ngx_uint_t                  status;
    ngx_str_t                   tenant;         /* echoed on failure */
    ngx_str_t                   username;       /* echoed on failure */
    const char                 *error_field;    /* id to correct, or NULL */
    ngx_str_t                   return_to;
    ngx_str_t                   csrf;
    ngx_str_t                   action;         /* form target */
    const kot_policy_t         *policy;         /* rules to list, or NULL */
    ngx_http_kot_msg_t          msgs[8];
    ngx_uint_t                  nums[8];        /* a number per message */
    ngx_uint_t                  nmsgs;
    unsigned                    ask_tenant:1;
} ngx_http_kot_page_t;

char *ngx_http_kot_portal_templates(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_http_kot_look_t *ngx_http_kot_look_default(ngx_conf_t *cf);
ngx_int_t ngx_http_kot_page_login(ngx_http_request_t *r,
    ngx_http_kot_page_t *p);
ngx_int_t ngx_http_kot_page_logout(ngx_http_request_t *r,
    ngx_http_kot_page_t *p);
ngx_int_t ngx_http_kot_page_password(ngx_http_request_t *r,
    ngx_http_kot_page_t *p);
ngx_int_t ngx_http_kot_page_error(ngx_http_request_t *r, ngx_uint_t status,
    ngx_http_kot_msg_t msg, ngx_uint_t num);

/* What the enrolment page shows besides its form. */
typedef struct {
    ngx_str_t                   svg;        /* the QR code, or empty */
    ngx_str_t                   secret;     /* the offered seed, base32 */
    ngx_str_t                   uri;        /* otpauth:// */
    ngx_str_t                   enrolled;   /* since when, or empty */
    ngx_uint_t                  codes_left; /* recovery codes */
    u_char                    (*codes)[KOT_RECOVERY_LEN + 1];  /* new */
    unsigned                    required:1; /* the tenant requires MFA */
    unsigned                    password:1; /* the form asks for it */
} ngx_http_kot_mfa_view_t;

ngx_int_t ngx_http_kot_page_code(ngx_http_request_t *r,
    ngx_http_kot_page_t *p);
ngx_int_t ngx_http_kot_page_mfa(ngx_http_request_t *r,
    ngx_http_kot_page_t *p, ngx_http_kot_mfa_view_t *v);
ngx_int_t ngx_http_kot_page_recovery(ngx_http_request_t *r,
    ngx_http_kot_page_t *p, ngx_http_kot_mfa_view_t *v);
/* A row of the user's own sessions page. */
typedef struct {
    ngx_str_t                   handle;     /* $kot_session */
    ngx_str_t                   address;    /* at login */
    ngx_str_t                   device;     /* kot_ua.h's stored form */
    uint64_t                    created;
    uint64_t                    last;
    unsigned                    current:1;  /* this device */
} ngx_http_kot_session_row_t;

ngx_int_t ngx_http_kot_page_sessions(ngx_http_request_t *r,
    ngx_http_kot_page_t *p, ngx_array_t *rows);
ngx_int_t ngx_http_kot_page_welcome(ngx_http_request_t *r,
    ngx_http_kot_page_t *p, ngx_http_kot_last_login_t *ll);
ngx_int_t ngx_http_kot_page_tls(ngx_http_request_t *r, const char *protocol,
    const char *floor);
ngx_int_t ngx_http_kot_unavailable(ngx_http_request_t *r);
ngx_int_t ngx_http_kot_json(ngx_http_request_t *r, ngx_uint_t status,
    const char *error);
ngx_int_t ngx_http_kot_unauthorized(ngx_http_request_t *r,
    const char *error, const char *reason);
ngx_int_t ngx_http_kot_add_header(ngx_http_request_t *r, const char *name,
    u_char *value, size_t len);
ngx_int_t ngx_http_kot_not_allowed(ngx_http_request_t *r, const char *allow);
ngx_int_t ngx_http_kot_send_json(ngx_http_request_t *r, ngx_uint_t status,
    json_t *body);
ngx_table_elt_t *ngx_http_kot_header_in(ngx_http_request_t *r,
    const char *name, size_t len);
ngx_int_t ngx_http_kot_redirect(ngx_http_request_t *r, ngx_uint_t status,
    ngx_str_t *location);
ngx_int_t ngx_http_kot_goto_portal(ngx_http_request_t *r, const char *page,
    ngx_str_t *return_to, const char *flag);
ngx_int_t ngx_http_kot_is_browser(ngx_http_request_t *r);
kot_lang_t ngx_http_kot_lang(ngx_http_request_t *r);

/* ngx_http_kot_upstream.c */
ngx_int_t ngx_http_kot_upstream_init(ngx_conf_t *cf);
ngx_int_t ngx_http_kot_cookies_strip(ngx_http_request_t *r);
ngx_int_t ngx_http_kot_identity_headers(ngx_http_request_t *r,
    ngx_http_kot_session_t *s);
/* ngx_http_kot_sessions.c */
void ngx_http_kot_last_login(ngx_http_kot_session_t *s,
    ngx_http_kot_last_login_t *ll);
ngx_int_t ngx_http_kot_last_login_get(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
ngx_int_t ngx_http_kot_session_times(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
ngx_int_t ngx_http_kot_sessions_get(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
ngx_int_t ngx_http_kot_sessions_post(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);

/* ngx_http_kot_status.c */
typedef enum {
    NGX_HTTP_KOT_STAT_LOCKOUTS = 0,
    NGX_HTTP_KOT_STAT_IP_DENIED_ACCESS,
    NGX_HTTP_KOT_STAT_IP_DENIED_ADMIN,
    NGX_HTTP_KOT_STAT_THROTTLED,
    NGX_HTTP_KOT_STAT_SESSIONS_CACHE,
    NGX_HTTP_KOT_STAT_SESSIONS_REDIS,
    NGX_HTTP_KOT_STAT_REDIS_ERRORS,
    NGX_HTTP_KOT_STAT_AUDIT_RECORDS,
    NGX_HTTP_KOT_STAT_AUDIT_WRITE_ERRORS,
    NGX_HTTP_KOT_STAT_HASH_QUEUE_FULL,
    NGX_HTTP_KOT_STAT_N
} ngx_http_kot_stat_e;

char *ngx_http_kot_status(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
void ngx_http_kot_status_init_process(ngx_http_kot_main_conf_t *kmcf);
void ngx_http_kot_status_exit_process(void);
void ngx_http_kot_status_count(ngx_uint_t counter);
void ngx_http_kot_status_event(ngx_http_request_t *r,
    ngx_http_kot_event_t *ev);
uint64_t ngx_http_kot_status_clock(void);
void ngx_http_kot_status_redis(uint64_t sent, redisReply *reply);
void ngx_http_kot_status_redis_up(ngx_uint_t commands, ngx_uint_t up);
void ngx_http_kot_status_cache(ngx_uint_t entries);
void ngx_http_kot_status_replicas(ngx_uint_t n);
void ngx_http_kot_status_hash(uint64_t queued);


#endif /* _NGX_HTTP_KOT_MODULE_H_INCLUDED_ */
