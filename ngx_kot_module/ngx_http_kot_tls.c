
/*
 * ngx_kot: the transport under the portal, kot_admin and "kot on"
 * locations.
 *
 *     kot_min_tls TLSv1.2|TLSv1.3 [legacy=CIDR[,CIDR...]]...;
 *     kot_hsts max_age=SECONDS [includeSubDomains] [preload] | off;
 *
 * A request over an older protocol than the floor, or over no TLS at all,
 * is refused (403) and recorded; from a legacy= network it passes, and
 * each such request is recorded with kot.legacy_tls.  HSTS is added to
 * every response of those locations that goes over TLS.  Whatever may
 * change something, there and under kot_admin, is refused (425) when it
 * came in TLS 1.3 early data.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_kot_module.h"


/* no TLS at all: below every floor */
#define NGX_HTTP_KOT_PLAIN      "plain HTTP"

/* RFC 8470; nginx has no name for it */
#define NGX_HTTP_KOT_TOO_EARLY  425


static ngx_uint_t ngx_http_kot_tls_version(ngx_http_request_t *r,
    const char **name);
static void ngx_http_kot_tls_legacy_session(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx, ngx_http_kot_ctx_t *mctx);
static const char *ngx_http_kot_tls_floor_name(ngx_uint_t version);
static void ngx_http_kot_tls_record(ngx_http_request_t *r,
    const char *protocol, const char *floor);
static ngx_int_t ngx_http_kot_tls_refuse(ngx_http_request_t *r,
    const char *protocol, const char *floor);
static ngx_int_t ngx_http_kot_tls_log_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_kot_early_data_handler(ngx_http_request_t *r);
static ngx_uint_t ngx_http_kot_in_early_data(ngx_http_request_t *r);
static ngx_int_t ngx_http_kot_hsts_filter(ngx_http_request_t *r);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;


/* the floors kot_min_tls takes, and the protocol versions they mean */

static struct {
    ngx_str_t   name;
    ngx_uint_t  version;
} ngx_http_kot_tls_floors[] = {
    { ngx_string("TLSv1.2"), 0x0303 },      /* TLS1_2_VERSION */
    { ngx_string("TLSv1.3"), 0x0304 },      /* TLS1_3_VERSION */
    { ngx_null_string, 0 }
};


ngx_int_t
ngx_http_kot_tls_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_kot_tls_log_handler;

    /* before any check of the access phase, for subrequests too */
    h = ngx_array_push(&cmcf->phases[NGX_HTTP_PREACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_kot_early_data_handler;

    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_kot_hsts_filter;

    return NGX_OK;
}


/* kot_min_tls TLSv1.2|TLSv1.3|off [legacy=CIDR[,CIDR...]]...; */

char *
ngx_http_kot_min_tls(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_kot_loc_conf_t *klcf = conf;

    u_char       *p, *last, *comma;
    ngx_str_t    *value, *net;
    ngx_uint_t    i;
    ngx_array_t  *nets;

    if (klcf->min_tls != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        if (cf->args->nelts > 2) {
            return "takes no legacy= networks when \"off\"";
        }

        klcf->min_tls = 0;
        klcf->legacy_tls = NULL;
        return NGX_CONF_OK;
    }

    for (i = 0; ngx_http_kot_tls_floors[i].version; i++) {
        if (value[1].len == ngx_http_kot_tls_floors[i].name.len
            && ngx_strcmp(value[1].data,
                          ngx_http_kot_tls_floors[i].name.data) == 0)
        {
            klcf->min_tls = ngx_http_kot_tls_floors[i].version;
            break;
        }
    }

    if (klcf->min_tls == NGX_CONF_UNSET_UINT) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "kot_min_tls \"%V\": the floor is \"TLSv1.2\", "
                           "\"TLSv1.3\" or \"off\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    klcf->legacy_tls = NULL;

    if (cf->args->nelts == 2) {
        return NGX_CONF_OK;
    }

    nets = ngx_array_create(cf->pool, 4, sizeof(ngx_str_t));
    if (nets == NULL) {
        return NGX_CONF_ERROR;
    }

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "legacy=", 7) != 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "kot_min_tls: invalid parameter \"%V\"; "
                               "expected legacy=CIDR[,CIDR...], e.g. "
                               "\"legacy=10.20.0.0/16\"", &value[i]);
            return NGX_CONF_ERROR;
        }

        p = value[i].data + 7;
        last = value[i].data + value[i].len;

        for ( ;; ) {
            comma = ngx_strlchr(p, last, ',');

            net = ngx_array_push(nets);
            if (net == NULL) {
                return NGX_CONF_ERROR;
            }

            net->data = p;
            net->len = (comma ? comma : last) - p;

            if (comma == NULL) {
                break;
            }

            p = comma + 1;
        }
    }

    return ngx_http_kot_cidr_set(cf, "kot_min_tls legacy=", nets->elts,
                                 nets->nelts, &klcf->legacy_tls);
}


void
ngx_http_kot_tls_merge(ngx_http_kot_loc_conf_t *prev,
    ngx_http_kot_loc_conf_t *conf)
{
    if (conf->min_tls == NGX_CONF_UNSET_UINT) {
        conf->min_tls = (prev->min_tls == NGX_CONF_UNSET_UINT)
                        ? 0 : prev->min_tls;
        conf->legacy_tls = prev->legacy_tls;
    }

    if (conf->hsts.data == NULL) {
        conf->hsts = prev->hsts;
    }
}


/*
 * The floor of kot_min_tls of r's location, for a subrequest (an SSI
 * include, auth_request, mirror) too: its location may ask more than
 * the page's.  NGX_OK: go on (a legacy client is marked, on the main
 * request, for the log phase); NGX_DECLINED: the status to answer with
 * was sent or is returned in *rc.
 */

ngx_int_t
ngx_http_kot_tls_check(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx,
    ngx_int_t *rc)
{
    const char  *protocol, *floor;

    switch (ngx_http_kot_tls_floor(r, ctx, &protocol, &floor)) {

    case NGX_OK:
        return NGX_OK;

    case NGX_DECLINED:
        *rc = ngx_http_kot_tls_refuse(r, protocol, floor);
        return NGX_DECLINED;

    default:
        *rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return NGX_DECLINED;
    }
}


/*
 * The decision of ngx_http_kot_tls_check(), for a caller that answers in
 * its own form (kot_admin): NGX_OK, go on; NGX_DECLINED, r is below the
 * floor and recorded (unless an earlier subrequest of the same page
 * was), *protocol and *floor name both; NGX_ERROR.
 */

ngx_int_t
ngx_http_kot_tls_floor(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx,
    const char **protocol, const char **floor)
{
    ngx_str_t                 text;
    struct sockaddr          *sa;
    ngx_http_kot_ctx_t       *mctx;
    ngx_http_kot_loc_conf_t  *klcf;

    klcf = ngx_http_get_module_loc_conf(r, ngx_http_kot_module);

    if (klcf->min_tls == 0
        || ngx_http_kot_tls_version(r, protocol) >= klcf->min_tls)
    {
        return NGX_OK;
    }

    /* the request the client made: its record, once */
    mctx = (r == r->main) ? ctx : ngx_http_kot_ctx(r->main);
    if (mctx == NULL) {
        return NGX_ERROR;
    }

    if (klcf->legacy_tls
        && ngx_http_kot_client(r, &sa, &text) == NGX_OK
        && kot_cidr_set_match(klcf->legacy_tls, sa))
    {
        mctx->tls_legacy = *protocol;
        ngx_http_kot_tls_legacy_session(r, ctx, mctx);
        return NGX_OK;
    }

    *floor = ngx_http_kot_tls_floor_name(klcf->min_tls);

    if (!mctx->tls_refused) {
        ngx_http_kot_tls_record(r, *protocol, *floor);
        mctx->tls_refused = 1;
    }

    return NGX_DECLINED;
}


/*
 * A subrequest let in below its floor (the page itself may have no
 * session): its session, checked after this, names the user of the
 * page's record.  One that found a user stays; one that found none
 * (or none yet) gives way to the next.
 */

static void
ngx_http_kot_tls_legacy_session(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx, ngx_http_kot_ctx_t *mctx)
{
    if (r != r->main
        && (mctx->tls_session == NULL || mctx->tls_session->user.len == 0))
    {
        mctx->tls_session = &ctx->session;
    }
}


/* The connection's protocol version (0 without TLS) and its name. */

static ngx_uint_t
ngx_http_kot_tls_version(ngx_http_request_t *r, const char **name)
{
#if (NGX_HTTP_SSL)
    if (r->connection->ssl) {
        *name = SSL_get_version(r->connection->ssl->connection);
        return SSL_version(r->connection->ssl->connection);
    }
#endif

    *name = NGX_HTTP_KOT_PLAIN;

    return 0;
}


/* "TLSv1.3" of 0x0304, as kot_min_tls takes it */

static const char *
ngx_http_kot_tls_floor_name(ngx_uint_t version)
{
    ngx_uint_t  i;

    for (i = 0; ngx_http_kot_tls_floors[i].version; i++) {
        if (ngx_http_kot_tls_floors[i].version == version) {
            return (const char *) ngx_http_kot_tls_floors[i].name.data;
        }
    }

    return "";
}


static void
ngx_http_kot_tls_record(ngx_http_request_t *r, const char *protocol,
    const char *floor)
{
    ngx_http_kot_event_t  ev;

    ngx_memzero(&ev, sizeof(ngx_http_kot_event_t));
    ev.action = "tls_refused";
    ev.category = "network";
    ev.outcome = "failure";
    ev.reason = "tls_too_old";
    ev.status = NGX_HTTP_FORBIDDEN;
    ev.fields = json_pack("{s:s,s:s}", "kot.tls_protocol", protocol,
                          "kot.min_tls", floor);

    ngx_http_kot_event(r, &ev, "refused a request over %s: kot_min_tls is %s",
                       protocol, floor);
}


/*
 * 403, for a subrequest in JSON (its answer goes into the page or to
 * another module).
 */

static ngx_int_t
ngx_http_kot_tls_refuse(ngx_http_request_t *r, const char *protocol,
    const char *floor)
{
    if (r != r->main
        || (!ngx_http_kot_is_browser(r) && r->method != NGX_HTTP_POST))
    {
        return ngx_http_kot_json(r, NGX_HTTP_FORBIDDEN, "tls_too_old");
    }

    return ngx_http_kot_page_tls(r, protocol, floor);
}


/*
 * Each request of a legacy client, once it is answered; its user is the
 * page's session, or else that of a part of it let in below its floor.
 */

static ngx_int_t
ngx_http_kot_tls_log_handler(ngx_http_request_t *r)
{
    ngx_http_kot_ctx_t    *ctx;
    ngx_http_kot_event_t   ev;

    ctx = ngx_http_get_module_ctx(r, ngx_http_kot_module);

    if (ctx == NULL || ctx->tls_legacy == NULL) {
        return NGX_OK;
    }

    ngx_memzero(&ev, sizeof(ngx_http_kot_event_t));
    ev.action = "tls_legacy";
    ev.category = "network";
    ev.outcome = "success";
    ev.status = r->headers_out.status;

    if (ctx->session.user.len == 0 && ctx->tls_session) {
        ev.session = ctx->tls_session;
    }

    ev.fields = json_pack("{s:b,s:s}", "kot.legacy_tls", 1,
                          "kot.tls_protocol", ctx->tls_legacy);

    ngx_http_kot_event(r, &ev, "let in a request over %s from a "
                       "kot_min_tls legacy= network", ctx->tls_legacy);

    return NGX_OK;
}


/*
 * TLS 1.3 early data (0-RTT, nginx's "ssl_early_data on") has no
 * protection against replay: whoever captured it can send it again.
 * Nothing of the portal, kot_admin or "kot on" that may change
 * something (any method but GET and HEAD) is taken from it: 425 Too
 * Early (RFC 8470), which a browser answers by sending the request again
 * once the handshake is done.
 */

static ngx_int_t
ngx_http_kot_early_data_handler(ngx_http_request_t *r)
{
    ngx_http_kot_event_t      ev;
    ngx_http_kot_loc_conf_t  *klcf;

    klcf = ngx_http_get_module_loc_conf(r, ngx_http_kot_module);

    if ((r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))
        || (!klcf->enable && !klcf->portal.len && !klcf->admin.len)
        || !ngx_http_kot_in_early_data(r))
    {
        return NGX_DECLINED;
    }

    ngx_memzero(&ev, sizeof(ngx_http_kot_event_t));
    ev.action = "early_data_refused";
    ev.category = "network";
    ev.outcome = "failure";
    ev.reason = "too_early";
    ev.status = NGX_HTTP_KOT_TOO_EARLY;

    ngx_http_kot_event(r, &ev, "refused a %V request sent in TLS early "
                       "data, which could be a replay", &r->method_name);

    ngx_str_set(&r->headers_out.status_line, "425 Too Early");

    ngx_http_finalize_request(r, ngx_http_kot_json(r, NGX_HTTP_KOT_TOO_EARLY,
                                                   "too_early"));

    return NGX_DONE;
}


/* As nginx's $ssl_early_data: a request read before the handshake ended. */

static ngx_uint_t
ngx_http_kot_in_early_data(ngx_http_request_t *r)
{
#if (NGX_HTTP_SSL)
    ngx_str_t  early;

    if (r->connection->ssl
        && ngx_ssl_get_early_data(r->connection, r->pool, &early) == NGX_OK
        && early.len)
    {
        return 1;
    }
#endif

    return 0;
}


/* kot_hsts max_age=SECONDS [includeSubDomains] [preload] | off; */

char *
ngx_http_kot_hsts(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_kot_loc_conf_t *klcf = conf;

    u_char      *p;
    ngx_int_t    age;
    ngx_str_t   *value;
    ngx_uint_t   i, sub, preload;

    if (klcf->hsts.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (cf->args->nelts == 2 && ngx_strcmp(value[1].data, "off") == 0) {
        ngx_str_set(&klcf->hsts, "");
        return NGX_CONF_OK;
    }

    age = NGX_ERROR;
    sub = 0;
    preload = 0;

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "max_age=", 8) == 0 && age < 0) {
            age = ngx_atoi(value[i].data + 8, value[i].len - 8);

            if (age == NGX_ERROR) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "kot_hsts \"%V\": max_age is a number of "
                                   "seconds, e.g. \"max_age=31536000\" (a "
                                   "year)", &value[i]);
                return NGX_CONF_ERROR;
            }

        } else if (ngx_strcmp(value[i].data, "includeSubDomains") == 0) {
            sub = 1;

        } else if (ngx_strcmp(value[i].data, "preload") == 0) {
            preload = 1;

        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "kot_hsts: invalid parameter \"%V\"; "
                               "expected max_age=SECONDS, "
                               "includeSubDomains, preload, or \"off\"",
                               &value[i]);
            return NGX_CONF_ERROR;
        }
    }

    if (age < 0) {
        return "needs max_age=SECONDS, e.g. \"max_age=31536000\"";
    }

    if (preload && (!sub || age < 31536000)) {
        /* the preload list takes nothing less, and would refuse the site */
        return "with \"preload\" needs \"includeSubDomains\" and a max_age "
               "of at least 31536000 (a year)";
    }

    p = ngx_pnalloc(cf->pool, sizeof("max-age=; includeSubDomains; preload")
                              - 1 + NGX_INT_T_LEN);
    if (p == NULL) {
        return NGX_CONF_ERROR;
    }

    klcf->hsts.data = p;
    p = ngx_sprintf(p, "max-age=%i%s%s", age,
                    sub ? "; includeSubDomains" : "",
                    preload ? "; preload" : "");
    klcf->hsts.len = p - klcf->hsts.data;

    return NGX_CONF_OK;
}


/*
 * Strict-Transport-Security on every response of the portal, kot_admin
 * and "kot on" locations that goes over TLS; a browser ignores it over
 * plain HTTP, where a man in the middle could have added it anyway.
 */

static ngx_int_t
ngx_http_kot_hsts_filter(ngx_http_request_t *r)
{
#if (NGX_HTTP_SSL)
    ngx_uint_t                i;
    ngx_list_part_t          *part;
    ngx_table_elt_t          *h;
    ngx_http_kot_loc_conf_t  *klcf;

    klcf = ngx_http_get_module_loc_conf(r, ngx_http_kot_module);

    if (r != r->main || r->connection->ssl == NULL || klcf->hsts.len == 0
        || (!klcf->enable && !klcf->portal.len && !klcf->admin.len))
    {
        return ngx_http_next_header_filter(r);
    }

    /* the sysadmin's policy, not the application's */
    part = &r->headers_out.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len == sizeof("Strict-Transport-Security") - 1
            && ngx_strncasecmp(h[i].key.data,
                               (u_char *) "Strict-Transport-Security",
                               h[i].key.len) == 0)
        {
            h[i].hash = 0;
        }
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Strict-Transport-Security");
    h->value = klcf->hsts;
#endif

    return ngx_http_next_header_filter(r);
}
