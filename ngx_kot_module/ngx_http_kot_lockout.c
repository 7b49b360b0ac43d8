
/*
 * ngx_kot: brute-force defence.  Each account counts its failed logins
 * and locks after too many (kot_lockout); each client address has a token
 * bucket for login attempts (kot_login_throttle).  Both live in Redis, so
 * they hold across workers and nodes, and change only inside Lua scripts.
 *
 * The two work together: the lock stops guessing at one account, the
 * throttle stops one address from guessing at many accounts, or from
 * locking many real users out on purpose.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_kot_module.h"


static void ngx_http_kot_login_begin_reply(ngx_http_request_t *r,
    void *data, redisReply *reply);
static void ngx_http_kot_login_fail_reply(ngx_http_request_t *r, void *data,
    redisReply *reply);
static char *ngx_http_kot_time_param(ngx_conf_t *cf, ngx_str_t *v,
    size_t skip, ngx_msec_t *t);


/*
 * 10 failures in 15 minutes lock an account for 30 minutes, doubling up
 * to a day (PCI DSS: at most 10 tries, at least 30 minutes); 10 login
 * attempts a minute per client, in bursts of 20, and an IPv6 /48 as a
 * whole 16 times that: a site has a few hosts that log in, an attacker
 * with a /48 has 65536 /64s.
 */
static ngx_http_kot_lockout_conf_t  ngx_http_kot_lockout_default = {
    10, 15 * 60 * 1000, 30 * 60 * 1000, 24 * 60 * 60 * 1000, 0
};

static ngx_http_kot_throttle_conf_t  ngx_http_kot_throttle_default = {
    10, 20, 16
};


/*
 * kot_lockout threshold=N window=TIME duration=TIME [max_duration=TIME]
 *             [permanent_after=K];
 */

char *
ngx_http_kot_lockout(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_kot_loc_conf_t *klcf = conf;

    char                         *rv;
    ngx_int_t                     n;
    ngx_str_t                    *value;
    ngx_uint_t                    i;
    ngx_http_kot_lockout_conf_t  *lo;

    lo = &klcf->lockout;

    if (lo->threshold != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    if (ngx_http_kot_conf_once(cf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    *lo = ngx_http_kot_lockout_default;

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        rv = NGX_CONF_OK;

        if (ngx_strncmp(value[i].data, "threshold=", 10) == 0) {
            n = ngx_atoi(value[i].data + 10, value[i].len - 10);
            if (n < 1 || n > 100) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "kot_lockout: \"%V\": the threshold must "
                                   "be 1..100 failed logins (NIST SP 800-63B "
                                   "allows at most 100)", &value[i]);
                return NGX_CONF_ERROR;
            }

            lo->threshold = n;

        } else if (ngx_strncmp(value[i].data, "window=", 7) == 0) {
            rv = ngx_http_kot_time_param(cf, &value[i], 7, &lo->window);

        } else if (ngx_strncmp(value[i].data, "duration=", 9) == 0) {
            rv = ngx_http_kot_time_param(cf, &value[i], 9, &lo->duration);

        } else if (ngx_strncmp(value[i].data, "max_duration=", 13) == 0) {
            rv = ngx_http_kot_time_param(cf, &value[i], 13,
                                         &lo->max_duration);

        } else if (ngx_strncmp(value[i].data, "permanent_after=", 16) == 0) {
            n = ngx_atoi(value[i].data + 16, value[i].len - 16);
            if (n < 1 || n > 1000) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "kot_lockout: \"%V\" must be 1..1000 "
                                   "lockouts", &value[i]);
                return NGX_CONF_ERROR;
            }

            lo->permanent_after = n;

        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "kot_lockout: invalid parameter \"%V\"; "
                               "expected threshold=N, window=TIME, "
                               "duration=TIME, max_duration=TIME or "
                               "permanent_after=N", &value[i]);
            return NGX_CONF_ERROR;
        }

        if (rv != NGX_CONF_OK) {
            return rv;
        }
    }

    if (lo->max_duration < lo->duration) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "kot_lockout: max_duration must not be shorter "
                           "than duration");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* kot_login_throttle rate=N/m [burst=N] [ipv6_site=N|off] | off; */

char *
ngx_http_kot_login_throttle(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_kot_loc_conf_t *klcf = conf;

    ngx_int_t                      n;
    ngx_str_t                     *value;
    ngx_uint_t                     i;
    ngx_http_kot_throttle_conf_t  *th;

    th = &klcf->throttle;

    if (th->rate != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    if (ngx_http_kot_conf_once(cf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    if (cf->args->nelts == 2 && ngx_strcmp(value[1].data, "off") == 0) {
        th->rate = 0;
        th->burst = 0;
        th->ipv6_site = 0;
        return NGX_CONF_OK;
    }

    th->rate = 0;
    th->burst = NGX_CONF_UNSET_UINT;
    th->ipv6_site = ngx_http_kot_throttle_default.ipv6_site;

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "rate=", 5) == 0
            && value[i].len > 7
            && ngx_strncmp(value[i].data + value[i].len - 2, "/m", 2) == 0)
        {
            n = ngx_atoi(value[i].data + 5, value[i].len - 7);
            if (n < 1 || n > 60000) {
                goto invalid;
            }

            th->rate = n;

        } else if (ngx_strncmp(value[i].data, "burst=", 6) == 0) {
            n = ngx_atoi(value[i].data + 6, value[i].len - 6);
            if (n < 1 || n > 100000) {
                goto invalid;
            }

            th->burst = n;

        } else if (ngx_strcmp(value[i].data, "ipv6_site=off") == 0) {
            th->ipv6_site = 0;

        } else if (ngx_strncmp(value[i].data, "ipv6_site=", 10) == 0) {
            n = ngx_atoi(value[i].data + 10, value[i].len - 10);
            if (n < 1 || n > 65536) {
                goto invalid;
            }

            th->ipv6_site = n;

        } else {
            goto invalid;
        }
    }

    if (th->rate == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "kot_login_throttle needs \"rate=N/m\" (or "
                           "\"off\")");
        return NGX_CONF_ERROR;
    }

    if (th->burst == NGX_CONF_UNSET_UINT) {
        th->burst = th->rate * 2;
    }

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "kot_login_throttle: invalid parameter \"%V\"; "
                       "expected rate=N/m (1..60000 per minute), "
                       "burst=N (1..100000) and ipv6_site=N (1..65536 "
                       "times the rate and burst, for an IPv6 /48) or "
                       "ipv6_site=off", &value[i]);

    return NGX_CONF_ERROR;
}


void
ngx_http_kot_lockout_merge(ngx_http_kot_loc_conf_t *prev,
    ngx_http_kot_loc_conf_t *conf)
{
    if (conf->lockout.threshold == NGX_CONF_UNSET_UINT) {
        conf->lockout = (prev->lockout.threshold == NGX_CONF_UNSET_UINT)
                        ? ngx_http_kot_lockout_default : prev->lockout;
    }

    if (conf->throttle.rate == NGX_CONF_UNSET_UINT) {
        conf->throttle = (prev->throttle.rate == NGX_CONF_UNSET_UINT)
                         ? ngx_http_kot_throttle_default : prev->throttle;
    }
}


/*
 * Consumes a login attempt from the client's bucket (and an IPv6
 * client's /48's) and loads the user and its lock state.
 */

ngx_int_t
ngx_http_kot_login_begin(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_str_t                   client;
    ngx_http_kot_login_t       *login = ctx->login;
    ngx_http_kot_redis_args_t   a;

    if (ngx_http_kot_throttle_buckets(r, &client, &login->site) != NGX_OK) {
        return NGX_ERROR;
    }

    a.argc = 0;

    if (ngx_http_kot_redis_key(r, &a, KOT_KEY_THROTTLE, &client, NULL)
        != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_USER, &login->tenant,
                                  &login->user)
           != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_FAILURES, &login->tenant,
                                  &login->user)
           != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_TENANT, &login->tenant,
                                  NULL)
           != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_ALLOW_VERSION,
                                  &login->tenant, NULL)
           != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_MFA, &login->tenant,
                                  &login->user)
           != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_THROTTLE, &login->site,
                                  NULL)
           != NGX_OK
        || ngx_http_kot_throttle_args(r, &a) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_kot_redis_script(r, KOT_SCRIPT_LOGIN_BEGIN,
                                     ngx_http_kot_login_begin_reply, ctx,
                                     &ctx->done, 7, &a);
}


static void
ngx_http_kot_login_begin_reply(ngx_http_request_t *r, void *data,
    redisReply *reply)
{
    redisReply            **e;
    ngx_http_kot_ctx_t     *ctx = data;
    ngx_http_kot_login_t   *login = ctx->login;

    ctx->rc = NGX_ERROR;

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || reply->elements < 2
        || reply->element[0]->type != REDIS_REPLY_INTEGER)
    {
        return;
    }

    e = reply->element;

    if (e[0]->integer == 0) {
        ctx->rc = ngx_http_kot_throttle_held(login, &e[1],
                                             reply->elements - 1);
        return;
    }

    if (reply->elements != 11
        || e[8]->type != REDIS_REPLY_INTEGER
        || e[9]->type != REDIS_REPLY_INTEGER
        || e[10]->type != REDIS_REPLY_INTEGER
        || ngx_http_kot_redis_str(r, e[1], &login->hash) != NGX_OK
        || ngx_http_kot_redis_str(r, e[2], &login->roles) != NGX_OK
        || e[3]->type != REDIS_REPLY_STRING
        || e[4]->type != REDIS_REPLY_INTEGER
        || e[5]->type != REDIS_REPLY_STRING
        || e[6]->type != REDIS_REPLY_STRING
        || login->hash.len > KOT_PHC_MAX
        || ngx_http_kot_policy_effective(r, e[7], &login->policy) != NGX_OK)
    {
        return;
    }

    login->found = (login->hash.len > 0);
    login->must_change = (e[3]->len == 1) ? e[3]->str[0] : KOT_MUST_CHANGE_NO;
    login->locked = (e[4]->integer == 1);
    login->pw_changed = ngx_http_kot_redis_uint(e[5]);
    login->active = ngx_http_kot_redis_uint(e[6]);
    login->allow_version = e[8]->integer;
    login->disabled = (e[9]->integer == 1);
    login->mfa = (e[10]->integer == 1);

    ctx->rc = NGX_OK;
}


/*
 * The login throttle's buckets of this client: its own
 * (ngx_http_kot_client_key()), and site, its IPv6 /48's, or its own
 * again without one (IPv4, or ipv6_site=off): the password step and the
 * code step of a login take from both.
 */

ngx_int_t
ngx_http_kot_throttle_buckets(ngx_http_request_t *r, ngx_str_t *client,
    ngx_str_t *site)
{
    ngx_http_kot_loc_conf_t  *klcf;

    klcf = ngx_http_get_module_loc_conf(r, ngx_http_kot_module);

    if (ngx_http_kot_client_key(r, client, site) != NGX_OK) {
        return NGX_ERROR;
    }

    if (site->len == 0 || klcf->throttle.ipv6_site == 0) {
        *site = *client;
    }

    return NGX_OK;
}


/* What KOT_LUA_BUCKET_TAKE needs: now, and kot_login_throttle's rule. */

ngx_int_t
ngx_http_kot_throttle_args(ngx_http_request_t *r,
    ngx_http_kot_redis_args_t *a)
{
    ngx_http_kot_loc_conf_t  *klcf;

    klcf = ngx_http_get_module_loc_conf(r, ngx_http_kot_module);

    if (ngx_http_kot_redis_num(r, a, ngx_http_kot_now()) != NGX_OK
        || ngx_http_kot_redis_num(r, a, klcf->throttle.rate) != NGX_OK
        || ngx_http_kot_redis_num(r, a, klcf->throttle.burst) != NGX_OK
        || ngx_http_kot_redis_num(r, a, klcf->throttle.ipv6_site) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * A refusal by the throttle: e holds {ms to wait, 1 for the client's
 * bucket or 2 for its /48's}.  login->site, the /48 that
 * ngx_http_kot_throttle_buckets() gave, stays only if it was its bucket
 * that was empty, for the log line.
 */

ngx_int_t
ngx_http_kot_throttle_held(ngx_http_kot_login_t *login, redisReply **e,
    size_t n)
{
    if (n < 1 || e[0]->type != REDIS_REPLY_INTEGER) {
        return NGX_ERROR;
    }

    login->retry_after = (ngx_msec_t) ngx_max(e[0]->integer, 1);

    if (n < 2 || e[1]->type != REDIS_REPLY_INTEGER || e[1]->integer != 2) {
        login->site.len = 0;
    }

    return NGX_OK;
}


/* Counts a failed login; may lock the account. */

ngx_int_t
ngx_http_kot_login_fail(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_login_t         *login = ctx->login;
    ngx_http_kot_loc_conf_t      *klcf;
    ngx_http_kot_redis_args_t     a;
    ngx_http_kot_lockout_conf_t  *lo;

    klcf = ngx_http_get_module_loc_conf(r, ngx_http_kot_module);
    lo = &klcf->lockout;

    a.argc = 0;

    if (ngx_http_kot_redis_key(r, &a, KOT_KEY_FAILURES, &login->tenant,
                               &login->user)
        != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_USER, &login->tenant,
                                  &login->user)
           != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_TENANT, &login->tenant,
                                  NULL)
           != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_FAILED_NAMES,
                                  &login->tenant, NULL)
           != NGX_OK
        || ngx_http_kot_redis_num(r, &a, ngx_http_kot_now()) != NGX_OK
        || ngx_http_kot_redis_num(r, &a, lo->threshold) != NGX_OK
        || ngx_http_kot_redis_num(r, &a, lo->window) != NGX_OK
        || ngx_http_kot_redis_num(r, &a, lo->duration) != NGX_OK
        || ngx_http_kot_redis_num(r, &a, lo->max_duration) != NGX_OK
        || ngx_http_kot_redis_num(r, &a, lo->permanent_after) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_kot_redis_script(r, KOT_SCRIPT_LOGIN_FAIL,
                                     ngx_http_kot_login_fail_reply, ctx,
                                     &ctx->done, 4, &a);
}


static void
ngx_http_kot_login_fail_reply(ngx_http_request_t *r, void *data,
    redisReply *reply)
{
    ngx_uint_t             i;
    ngx_http_kot_ctx_t    *ctx = data;
    ngx_http_kot_login_t  *login = ctx->login;

    ctx->rc = NGX_ERROR;

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || reply->elements != 4)
    {
        return;
    }

    for (i = 0; i < 4; i++) {
        if (reply->element[i]->type != REDIS_REPLY_INTEGER) {
            return;
        }
    }

    login->fail = reply->element[0]->integer;
    login->fails = reply->element[1]->integer;
    login->locks = reply->element[2]->integer;
    login->until = reply->element[3]->integer;

    ctx->rc = NGX_OK;
}


/*
 * The client's bucket: the address that nginx settled on (after the
 * realip module, never a raw X-Forwarded-For), named as kot_cidr_bucket()
 * says, so that an IPv4 client has one bucket however its address is
 * spelt.  Any other family (a unix socket) keeps its text.  It is also
 * the "network" of a login that notifications compare.  site, if asked
 * for, is the IPv6 /48 that holds the address (kot_cidr_site()), or
 * empty.
 */

ngx_int_t
ngx_http_kot_client_key(ngx_http_request_t *r, ngx_str_t *key,
    ngx_str_t *site)
{
    u_char           *addr;
    struct sockaddr  *sa;

    if (site) {
        site->len = 0;
        site->data = NULL;
    }

    if (ngx_http_kot_client(r, &sa, key) != NGX_OK) {
        return NGX_ERROR;
    }

    switch (sa->sa_family) {

    case AF_INET:
        addr = (u_char *) &((struct sockaddr_in *) sa)->sin_addr;
        break;

#if (NGX_HAVE_INET6)
    case AF_INET6:
        addr = ((struct sockaddr_in6 *) sa)->sin6_addr.s6_addr;
        break;
#endif

    default:
        return NGX_OK;
    }

    key->data = ngx_pnalloc(r->pool, KOT_CIDR_BUCKET_MAX);
    if (key->data == NULL) {
        return NGX_ERROR;
    }

    key->len = kot_cidr_bucket(sa->sa_family, addr, (char *) key->data,
                               KOT_CIDR_BUCKET_MAX);

    if (key->len == 0) {
        return NGX_ERROR;
    }

    if (site == NULL) {
        return NGX_OK;
    }

    site->data = ngx_pnalloc(r->pool, KOT_CIDR_BUCKET_MAX);
    if (site->data == NULL) {
        return NGX_ERROR;
    }

    site->len = kot_cidr_site(sa->sa_family, addr, (char *) site->data,
                              KOT_CIDR_BUCKET_MAX);

    return NGX_OK;
}


static char *
ngx_http_kot_time_param(ngx_conf_t *cf, ngx_str_t *v, size_t skip,
    ngx_msec_t *t)
{
    ngx_str_t  s;

    s.data = v->data + skip;
    s.len = v->len - skip;

    *t = ngx_parse_time(&s, 0);

    if (*t == (ngx_msec_t) NGX_ERROR || *t == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "kot_lockout: \"%V\" is not a time, e.g. 15m",
                           v);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}
