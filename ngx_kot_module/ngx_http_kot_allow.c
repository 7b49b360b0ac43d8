
/*
 * ngx_kot: per-tenant source address allow-lists (kot_allowlist), and
 * the client address they are checked against (kot_trusted_proxies).
 *
 * Each tenant has two lists in Redis, "access" and "admin", and a version
 * that kotctl increments on every change.  The session check and the
 * login's first script return that version with their other work, so a
 * worker's compiled copy of the lists is checked on every request at no
 * extra round trip, and reloaded (one round trip) only when it changed:
 * a change applies to the next request on every worker and node.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_kot_module.h"
#include "kot_cidr.h"


typedef struct {
    ngx_str_node_t              sn;             /* key: the tenant */
    int64_t                     version;
    kot_cidr_set_t             *lists[2];       /* access, admin */
    ngx_uint_t                  sizes[2];       /* entries; 0: open */
} ngx_http_kot_allow_node_t;


typedef struct {
    ngx_str_t                   tenant;
    int64_t                     want;
} ngx_http_kot_allow_load_t;


static ngx_http_kot_allow_node_t *ngx_http_kot_allow_find(ngx_str_t *tenant);
static ngx_int_t ngx_http_kot_allow_load(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx, ngx_str_t *tenant);
static void ngx_http_kot_allow_load_reply(ngx_http_request_t *r,
    void *data, redisReply *reply);
static ngx_int_t ngx_http_kot_allow_store(ngx_str_t *tenant,
    int64_t version, redisReply **lists);
static kot_cidr_set_t *ngx_http_kot_allow_build(redisReply *list,
    ngx_uint_t *n);
static ngx_int_t ngx_http_kot_allow_match(ngx_http_request_t *r,
    ngx_http_kot_allow_node_t *node, ngx_uint_t list);


static ngx_rbtree_t       ngx_http_kot_allow_tree;
static ngx_rbtree_node_t  ngx_http_kot_allow_sentinel;


/* kot_allowlist access | admin | off; */

char *
ngx_http_kot_allowlist(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_kot_loc_conf_t *klcf = conf;

    ngx_str_t  *value;

    if (klcf->allowlist != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "access") == 0) {
        klcf->allowlist = NGX_HTTP_KOT_ALLOW_ACCESS;

    } else if (ngx_strcmp(value[1].data, "admin") == 0) {
        klcf->allowlist = NGX_HTTP_KOT_ALLOW_ADMIN;

    } else if (ngx_strcmp(value[1].data, "off") == 0) {
        klcf->allowlist = NGX_HTTP_KOT_ALLOW_OFF;
        return NGX_CONF_OK;

    } else {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "kot_allowlist \"%V\": use \"access\" (the "
                           "tenant's networks for users), \"admin\" (for "
                           "admin screens: both lists) or \"off\"",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    if (cf->cmd_type == NGX_HTTP_LOC_CONF) {
        klcf->guard = "kot_allowlist";
    }

    return NGX_CONF_OK;
}


/* kot_trusted_proxies CIDR ... | off; */

char *
ngx_http_kot_trusted_proxies(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_kot_loc_conf_t *klcf = conf;

    ngx_str_t  *value;

    if (klcf->trusted != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (cf->args->nelts == 2 && ngx_strcmp(value[1].data, "off") == 0) {
        klcf->trusted = NULL;
        return NGX_CONF_OK;
    }

    return ngx_http_kot_cidr_set(cf, "kot_trusted_proxies", &value[1],
                                 cf->args->nelts - 1, &klcf->trusted);
}


/*
 * The set of the networks nets[0..n) that a directive lists, freed with
 * the configuration; a network that kot_cidr refuses fails "nginx -t"
 * with the directive's name and the reason.
 */

char *
ngx_http_kot_cidr_set(ngx_conf_t *cf, const char *directive, ngx_str_t *nets,
    ngx_uint_t n, kot_cidr_set_t **set)
{
    int                  rc;
    char                 reason[KOT_CIDR_REASON_MAX];
    ngx_uint_t           i;
    kot_cidr_t          *v;
    ngx_pool_cleanup_t  *cln;

    v = ngx_palloc(cf->pool, n * sizeof(kot_cidr_t));
    if (v == NULL) {
        return NGX_CONF_ERROR;
    }

    for (i = 0; i < n; i++) {
        rc = kot_cidr_parse((char *) nets[i].data, nets[i].len, &v[i]);

        if (rc != KOT_CIDR_OK) {
            kot_cidr_reason(rc, &v[i], reason, sizeof(reason));
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "%s \"%V\": %s",
                               directive, &nets[i], reason);
            return NGX_CONF_ERROR;
        }
    }

    *set = kot_cidr_set_build(v, n);
    if (*set == NULL) {
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    cln->handler = (ngx_pool_cleanup_pt) kot_cidr_set_free;
    cln->data = *set;

    return NGX_CONF_OK;
}


ngx_int_t
ngx_http_kot_allow_init_conf(ngx_conf_t *cf, ngx_http_kot_main_conf_t *kmcf)
{
    static ngx_str_t  name = ngx_string("realip_remote_addr");

    ngx_rbtree_init(&ngx_http_kot_allow_tree, &ngx_http_kot_allow_sentinel,
                    ngx_str_rbtree_insert_value);

    /* present when nginx has the realip module, as Debian's does */
    kmcf->realip_peer = ngx_http_get_variable_index(cf, &name);

    return kmcf->realip_peer == NGX_ERROR ? NGX_ERROR : NGX_OK;
}


/*
 * The address of the client: $remote_addr as nginx's realip module left
 * it, unless kot_trusted_proxies is set and the peer that claimed it is
 * not one of them; then the peer's own address.  X-Forwarded-For is never
 * read here.
 */

ngx_int_t
ngx_http_kot_client(ngx_http_request_t *r, struct sockaddr **sa,
    ngx_str_t *text)
{
    ngx_addr_t                  peer;
    ngx_connection_t           *c;
    ngx_http_variable_value_t  *v;
    ngx_http_kot_loc_conf_t    *klcf;
    ngx_http_kot_main_conf_t   *kmcf;

    c = r->connection;
    klcf = ngx_http_get_module_loc_conf(r, ngx_http_kot_module);

    *sa = c->sockaddr;
    *text = c->addr_text;

    if (klcf->trusted == NULL) {
        return NGX_OK;
    }

    kmcf = ngx_http_get_module_main_conf(r, ngx_http_kot_module);

    v = ngx_http_get_indexed_variable(r, kmcf->realip_peer);

    if (v == NULL || v->not_found
        || (v->len == c->addr_text.len
            && ngx_strncmp(v->data, c->addr_text.data, v->len) == 0))
    {
        /* realip did not replace the address */
        return NGX_OK;
    }

    if (ngx_parse_addr(r->pool, &peer, v->data, v->len) != NGX_OK) {
        return NGX_ERROR;
    }

    if (kot_cidr_set_match(klcf->trusted, peer.sockaddr)) {
        return NGX_OK;
    }

    text->data = v->data;
    text->len = v->len;

    ngx_log_error(NGX_LOG_NOTICE, c->log, 0,
                  "kot: %V is not in kot_trusted_proxies: its client "
                  "address %V is not used", text, &c->addr_text);

    *sa = peer.sockaddr;

    return NGX_OK;
}


/*
 * Whether the client may use this tenant's account from where it is.
 * version is the tenant's list version that Redis just reported.
 * Returns NGX_OK (allowed), NGX_DECLINED (denied), NGX_AGAIN (the lists
 * are being reloaded: run the step again after ctx->done), NGX_ERROR.
 */

ngx_int_t
ngx_http_kot_allow(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx,
    ngx_str_t *tenant, int64_t version, ngx_uint_t which)
{
    ngx_int_t                   rc;
    ngx_http_kot_allow_node_t  *node;

    if (which == NGX_HTTP_KOT_ALLOW_OFF) {
        return NGX_OK;
    }

    /* a tenant that never had a list: open, and nothing to cache */
    if (version == 0) {
        return NGX_OK;
    }

    node = ngx_http_kot_allow_find(tenant);

    /*
     * Any other version, not only a newer one: a Redis restored from a
     * backup, or a replica promoted that missed the last change, goes
     * back, and its next change gives a version cached here to another
     * list.
     */

    if (node == NULL || node->version != version) {

        if (!ctx->allow_loaded) {
            ctx->allow_loaded = 1;

            return ngx_http_kot_allow_load(r, ctx, tenant) == NGX_OK
                   ? NGX_AGAIN : NGX_ERROR;
        }

        /* just loaded: a change made since the version came is newer */
        if (node == NULL || node->version < version) {
            /* loaded, yet older than asked: Redis is inconsistent */
            return NGX_ERROR;
        }
    }

    /* the admin list narrows the access list: both must let it in */
    ctx->allow_denied = "access";
    rc = ngx_http_kot_allow_match(r, node, NGX_HTTP_KOT_ALLOW_ACCESS);

    if (rc == NGX_OK && which == NGX_HTTP_KOT_ALLOW_ADMIN) {
        ctx->allow_denied = "admin";
        rc = ngx_http_kot_allow_match(r, node, NGX_HTTP_KOT_ALLOW_ADMIN);
    }

    return rc;
}


/*
 * Every list cached, dropped when the connection to Redis is made again:
 * the Redis behind it may be another, restored from a backup or a replica
 * promoted, whose versions went back, so that its next change gives a
 * version cached here to another list.  Each tenant's lists are loaded
 * again at its next request.
 */

void
ngx_http_kot_allow_forget(void)
{
    ngx_rbtree_node_t          *node;
    ngx_http_kot_allow_node_t  *an;

    while (ngx_http_kot_allow_tree.root != ngx_http_kot_allow_tree.sentinel)
    {
        node = ngx_http_kot_allow_tree.root;
        ngx_rbtree_delete(&ngx_http_kot_allow_tree, node);

        an = (ngx_http_kot_allow_node_t *) node;
        kot_cidr_set_free(an->lists[0]);
        kot_cidr_set_free(an->lists[1]);
        ngx_free(an);
    }
}


/* The refusal, recorded: 403, with a page for people and JSON for APIs. */

ngx_int_t
ngx_http_kot_allow_denied(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx,
    ngx_str_t *tenant, ngx_str_t *user)
{
    ngx_http_kot_allow_record(r, ctx, tenant, user);

    return ngx_http_kot_allow_answer(r);
}


void
ngx_http_kot_allow_record(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx,
    ngx_str_t *tenant, ngx_str_t *user)
{
    ngx_str_t             addr;
    struct sockaddr      *sa;
    ngx_http_kot_event_t  ev;

    if (ngx_http_kot_client(r, &sa, &addr) != NGX_OK) {
        ngx_str_set(&addr, "-");
    }

    ngx_memzero(&ev, sizeof(ngx_http_kot_event_t));
    ev.action = "ip_denied";
    ev.category = "network";
    ev.outcome = "failure";
    ev.reason = "ip_denied";
    ev.user = user;
    ev.tenant = tenant;
    ev.status = NGX_HTTP_FORBIDDEN;
    ev.fields = json_pack("{s:s}", "kot.allowlist", ctx->allow_denied);

    ngx_http_kot_event(r, &ev, "address %V denied by the %s list of tenant "
                       "\"%V\"%s%V%s", &addr, ctx->allow_denied, tenant,
                       user && user->len ? " (user \"" : "",
                       user && user->len ? user : &addr,
                       user && user->len ? "\")" : "");
}


ngx_int_t
ngx_http_kot_allow_answer(ngx_http_request_t *r)
{
    if (!ngx_http_kot_is_browser(r) && r->method != NGX_HTTP_POST) {
        return ngx_http_kot_json(r, NGX_HTTP_FORBIDDEN, "ip_not_allowed");
    }

    return ngx_http_kot_page_error(r, NGX_HTTP_FORBIDDEN,
                                   NGX_HTTP_KOT_MSG_IP_DENIED, 0);
}


static ngx_int_t
ngx_http_kot_allow_match(ngx_http_request_t *r,
    ngx_http_kot_allow_node_t *node, ngx_uint_t list)
{
    ngx_str_t         text;
    struct sockaddr  *sa;

    /* an empty list restricts nothing */
    if (node->sizes[list] == 0) {
        return NGX_OK;
    }

    if (ngx_http_kot_client(r, &sa, &text) != NGX_OK) {
        return NGX_DECLINED;
    }

    return kot_cidr_set_match(node->lists[list], sa) ? NGX_OK : NGX_DECLINED;
}


static ngx_http_kot_allow_node_t *
ngx_http_kot_allow_find(ngx_str_t *tenant)
{
    uint32_t  hash;

    hash = ngx_crc32_long(tenant->data, tenant->len);

    return (ngx_http_kot_allow_node_t *)
           ngx_str_rbtree_lookup(&ngx_http_kot_allow_tree, tenant, hash);
}


static ngx_int_t
ngx_http_kot_allow_load(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx,
    ngx_str_t *tenant)
{
    ngx_str_t                   access, admin;
    ngx_http_kot_redis_args_t   a;

    ngx_str_set(&access, "access");
    ngx_str_set(&admin, "admin");

    a.argc = 0;

    if (ngx_http_kot_redis_key(r, &a, KOT_KEY_ALLOW, tenant, &access)
        != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_ALLOW, tenant, &admin)
           != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_ALLOW_VERSION, tenant, NULL)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    ctx->allow_tenant = *tenant;

    return ngx_http_kot_redis_script(r, KOT_SCRIPT_ALLOWLIST_LOAD,
                                     ngx_http_kot_allow_load_reply, ctx,
                                     &ctx->done, 3, &a);
}


/* {version, {access networks}, {admin networks}} */

static void
ngx_http_kot_allow_load_reply(ngx_http_request_t *r, void *data,
    redisReply *reply)
{
    ngx_http_kot_ctx_t  *ctx = data;

    ctx->rc = NGX_ERROR;

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || reply->elements != 3
        || reply->element[1]->type != REDIS_REPLY_ARRAY
        || reply->element[2]->type != REDIS_REPLY_ARRAY)
    {
        return;
    }

    if (ngx_http_kot_allow_store(&ctx->allow_tenant,
                                 (int64_t) ngx_http_kot_redis_uint(
                                                        reply->element[0]),
                                 &reply->element[1])
        == NGX_OK)
    {
        ctx->rc = NGX_OK;
    }
}


static ngx_int_t
ngx_http_kot_allow_store(ngx_str_t *tenant, int64_t version,
    redisReply **lists)
{
    ngx_uint_t                  i, sizes[2];
    kot_cidr_set_t             *sets[2];
    ngx_http_kot_allow_node_t  *node;

    for (i = 0; i < 2; i++) {
        sets[i] = ngx_http_kot_allow_build(lists[i], &sizes[i]);

        if (sets[i] == NULL) {
            if (i == 1) {
                kot_cidr_set_free(sets[0]);
            }

            return NGX_ERROR;
        }
    }

    node = ngx_http_kot_allow_find(tenant);

    if (node == NULL) {
        node = ngx_calloc(sizeof(ngx_http_kot_allow_node_t) + tenant->len,
                          ngx_cycle->log);
        if (node == NULL) {
            kot_cidr_set_free(sets[0]);
            kot_cidr_set_free(sets[1]);
            return NGX_ERROR;
        }

        node->sn.str.data = (u_char *) (node + 1);
        node->sn.str.len = tenant->len;
        ngx_memcpy(node->sn.str.data, tenant->data, tenant->len);
        node->sn.node.key = ngx_crc32_long(tenant->data, tenant->len);

        ngx_rbtree_insert(&ngx_http_kot_allow_tree, &node->sn.node);

    } else {
        kot_cidr_set_free(node->lists[0]);
        kot_cidr_set_free(node->lists[1]);
    }

    node->version = version;

    for (i = 0; i < 2; i++) {
        node->lists[i] = sets[i];
        node->sizes[i] = sizes[i];
    }

    return NGX_OK;
}


/*
 * kotctl stores canonical texts; anything else is skipped, loudly, and
 * the list still restricts: a broken entry must not open a tenant.
 */

static kot_cidr_set_t *
ngx_http_kot_allow_build(redisReply *list, ngx_uint_t *n)
{
    size_t           i, valid;
    kot_cidr_t      *v;
    kot_cidr_set_t  *set;

    v = ngx_alloc((list->elements + 1) * sizeof(kot_cidr_t), ngx_cycle->log);
    if (v == NULL) {
        return NULL;
    }

    valid = 0;

    for (i = 0; i < list->elements; i++) {
        if (list->element[i]->type == REDIS_REPLY_STRING
            && kot_cidr_parse(list->element[i]->str, list->element[i]->len,
                              &v[valid])
               == KOT_CIDR_OK)
        {
            valid++;
            continue;
        }

        ngx_log_error(NGX_LOG_ALERT, ngx_cycle->log, 0,
                      "kot: an allow-list in Redis holds an entry that is "
                      "not a network; it is ignored");
    }

    *n = list->elements;

    set = kot_cidr_set_build(v, valid);
    ngx_free(v);

    return set;
}
