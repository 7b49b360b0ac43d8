
/*
 * ngx_kot: the worker's session cache.  A protected request normally
 * needs no Redis round trip: the session it names was read before, and
 * Redis has promised to say when it changes.
 *
 * The promise is Redis's client-side caching (CLIENT TRACKING, in OPTIN
 * mode, redirected to a second, subscribed connection): every
 * session check that reads a session is tracked, and any change to that
 * session key (logout, expiry, password change, an administrator's reset,
 * another node's activity) or to the tenant's allow-list version arrives
 * as an invalidation.  While that stream is not known to work (either
 * connection down, tracking refused or not yet confirmed for the
 * connection subscribed now, its heartbeat late), the cache is not used
 * and every request asks Redis.  Any break empties the cache, since
 * invalidations may have been lost.
 *
 * A read and an invalidation travel on different connections and may
 * arrive in either order.  An entry is therefore reserved before its read
 * is sent; an invalidation meanwhile removes the reservation, and the
 * late reply then serves its own request but is not cached.
 *
 * A tenant's allow-list version is read inside the session check, where
 * Redis does not track it (only a script's declared keys are).  So the
 * first session of a tenant also sends a tracked GET of that version, and
 * the tenant's sessions are used only once that GET confirmed the version
 * they carry: from then on, a change of the lists is announced.
 *
 * The same announcements end the WebSockets and streams of a session
 * that ended (ngx_http_kot_conn.c).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_kot_module.h"


typedef struct {
    ngx_rbtree_node_t           node;           /* key: hash of the sid */
    ngx_queue_t                 lru;
    ngx_queue_t                 tenant_link;
    ngx_str_node_t             *tenant;         /* NULL while reserved */
    uint64_t                    serial;         /* of the reservation */
    u_char                      sid[KOT_SID_B64_LEN];

    /* the session as Redis last said */
    uint64_t                    created;
    uint64_t                    last;
    int64_t                     allow_version;
    u_char                      must_change;
    unsigned                    enrol:1;
    ngx_str_t                   user;
    ngx_str_t                   roles;
    ngx_str_t                   tenant_name;
    ngx_str_t                   last_login;
} ngx_http_kot_cache_entry_t;


typedef struct {
    ngx_str_node_t              sn;             /* key: the tenant */
    ngx_queue_t                 entries;
    int64_t                     version;        /* of its allow-lists */
    unsigned                    confirmed:1;    /* tracked at version */
} ngx_http_kot_cache_tenant_t;


typedef struct {
    ngx_rbtree_t                entries;
    ngx_rbtree_node_t           entries_sentinel;
    ngx_rbtree_t                tenants;
    ngx_rbtree_node_t           tenants_sentinel;
    ngx_queue_t                 lru;
    ngx_uint_t                  count;
    ngx_uint_t                  max;
    uint64_t                    serial;
    ngx_log_t                  *log;
    unsigned                    enabled:1;
} ngx_http_kot_cache_t;


static ngx_rbtree_key_t ngx_http_kot_cache_key(u_char *sid);
static ngx_http_kot_cache_entry_t *ngx_http_kot_cache_find(u_char *sid);
static void ngx_http_kot_cache_insert(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);
static void ngx_http_kot_cache_remove(ngx_http_kot_cache_entry_t *e);
static void ngx_http_kot_cache_flush(void);
static ngx_int_t ngx_http_kot_cache_attach(ngx_http_kot_cache_entry_t *e,
    ngx_str_t *tenant);
static ngx_int_t ngx_http_kot_cache_track(ngx_http_kot_cache_tenant_t *t);
static void ngx_http_kot_cache_confirm(redisAsyncContext *ac, void *reply,
    void *privdata);
static void ngx_http_kot_cache_drop_tenant(u_char *name, size_t len);
static u_char *ngx_http_kot_cache_copy(ngx_str_t *dst, ngx_str_t *src,
    u_char *p);


static ngx_http_kot_cache_t  ngx_http_kot_cache;


void
ngx_http_kot_cache_init_process(ngx_cycle_t *cycle, ngx_uint_t max)
{
    ngx_http_kot_cache_t  *cache = &ngx_http_kot_cache;

    ngx_rbtree_init(&cache->entries, &cache->entries_sentinel,
                    ngx_http_kot_cache_insert);
    ngx_rbtree_init(&cache->tenants, &cache->tenants_sentinel,
                    ngx_str_rbtree_insert_value);
    ngx_queue_init(&cache->lru);

    cache->max = max;
    cache->log = cycle->log;
}


/* Redis confirmed the tracking: from now on, changes are announced. */

void
ngx_http_kot_cache_enable(void)
{
    ngx_http_kot_cache_t  *cache = &ngx_http_kot_cache;

    if (cache->max == 0 || cache->enabled) {
        return;
    }

    ngx_http_kot_cache_flush();
    cache->enabled = 1;

    /* nothing was tracked before: long-lived requests' sessions now are */
    ngx_http_kot_conn_recheck();

    ngx_log_error(NGX_LOG_INFO, cache->log, 0,
                  "kot: session cache on (Redis announces changes)");
}


void
ngx_http_kot_cache_disable(const char *why)
{
    ngx_http_kot_cache_t  *cache = &ngx_http_kot_cache;

    if (cache->enabled) {
        ngx_log_error(NGX_LOG_NOTICE, cache->log, 0,
                      "kot: session cache off until Redis can announce "
                      "changes again: %s", why);
    }

    cache->enabled = 0;
    ngx_http_kot_cache_flush();
}


ngx_uint_t
ngx_http_kot_cache_enabled(void)
{
    return ngx_http_kot_cache.enabled;
}


/*
 * One invalidation message: a list of keys, or nil when Redis dropped
 * everything it tracked (FLUSHALL, a full tracking table).
 */

void
ngx_http_kot_cache_invalidate(redisReply *keys)
{
    size_t       i, plen;
    redisReply  *k;

    if (keys == NULL || keys->type != REDIS_REPLY_ARRAY) {
        ngx_http_kot_cache_flush();
        ngx_http_kot_conn_recheck();
        return;
    }

    for (i = 0; i < keys->elements; i++) {
        k = keys->element[i];

        if (k->type != REDIS_REPLY_STRING) {
            continue;
        }

        plen = sizeof(KOT_KEY_SESSION) - 1;

        if (k->len == plen + KOT_SID_B64_LEN
            && ngx_strncmp(k->str, KOT_KEY_SESSION, plen) == 0)
        {
            ngx_http_kot_cache_forget((u_char *) k->str + plen);
            ngx_http_kot_conn_changed((u_char *) k->str + plen);
            continue;
        }

        plen = sizeof(KOT_KEY_ALLOW_VERSION) - 1;

        if (k->len > plen
            && ngx_strncmp(k->str, KOT_KEY_ALLOW_VERSION, plen) == 0)
        {
            ngx_http_kot_cache_drop_tenant((u_char *) k->str + plen,
                                           k->len - plen);
        }
    }
}


/*
 * A session from the cache, if it is there and nothing about it needs
 * Redis: not near its absolute end, and its last activity in Redis
 * recent enough that no touch is due (which also keeps it far from its
 * idle end, touch being a fraction of idle).
 */

ngx_int_t
ngx_http_kot_cache_lookup(ngx_http_request_t *r, ngx_http_kot_session_t *s,
    ngx_msec_t absolute, ngx_msec_t touch)
{
    u_char                      *p;
    uint64_t                     now;
    ngx_http_kot_cache_entry_t  *e;

    /* invalidations are known to arrive, or nothing here is trusted */
    if (!ngx_http_kot_cache.enabled || !ngx_http_kot_redis_fresh()) {
        return NGX_DECLINED;
    }

    e = ngx_http_kot_cache_find(s->sid);

    if (e == NULL || e->tenant == NULL
        || !((ngx_http_kot_cache_tenant_t *) e->tenant)->confirmed)
    {
        return NGX_DECLINED;
    }

    now = ngx_http_kot_now();

    if (now - e->created >= absolute || now - e->last >= touch) {
        return NGX_DECLINED;
    }

    /*
     * copies: an invalidation may drop the entry while the request logs;
     * one allocation for the four, each NUL-terminated as
     * ngx_http_kot_strdup() leaves the values read from Redis
     */
    p = ngx_pnalloc(r->pool, e->user.len + e->roles.len + e->tenant_name.len
                             + e->last_login.len + 4);
    if (p == NULL) {
        return NGX_ERROR;
    }

    p = ngx_http_kot_cache_copy(&s->user, &e->user, p);
    p = ngx_http_kot_cache_copy(&s->roles, &e->roles, p);
    p = ngx_http_kot_cache_copy(&s->tenant, &e->tenant_name, p);
    (void) ngx_http_kot_cache_copy(&s->last_login, &e->last_login, p);

    s->status = KOT_SESSION_OK;
    s->created = e->created;
    s->last = e->last;
    s->must_change = e->must_change;
    s->enrol = e->enrol;
    s->allow_version = e->allow_version;

    ngx_queue_remove(&e->lru);
    ngx_queue_insert_head(&ngx_http_kot_cache.lru, &e->lru);
    ngx_http_kot_status_count(NGX_HTTP_KOT_STAT_SESSIONS_CACHE);

    return NGX_OK;
}


/* src's value at p, NUL-terminated, as dst; returns where the next goes */

static u_char *
ngx_http_kot_cache_copy(ngx_str_t *dst, ngx_str_t *src, u_char *p)
{
    dst->data = p;
    dst->len = src->len;

    p = ngx_cpymem(p, src->data, src->len);
    *p++ = '\0';

    return p;
}


/*
 * Before a session is read from Redis: a reservation that an
 * invalidation can cancel.  Returns its serial, 0 when not caching.
 */

uint64_t
ngx_http_kot_cache_reserve(u_char *sid)
{
    ngx_http_kot_cache_t        *cache = &ngx_http_kot_cache;
    ngx_http_kot_cache_entry_t  *e;

    if (!cache->enabled) {
        return 0;
    }

    e = ngx_http_kot_cache_find(sid);

    if (e) {
        /* the fields stay, but unusable until the new read lands */
        if (e->tenant) {
            ngx_queue_remove(&e->tenant_link);
            e->tenant = NULL;
        }

    } else {
        if (cache->count >= cache->max) {
            ngx_http_kot_cache_remove(ngx_queue_data(
                                          ngx_queue_last(&cache->lru),
                                          ngx_http_kot_cache_entry_t, lru));
        }

        e = ngx_calloc(sizeof(ngx_http_kot_cache_entry_t), cache->log);
        if (e == NULL) {
            return 0;
        }

        ngx_memcpy(e->sid, sid, KOT_SID_B64_LEN);
        e->node.key = ngx_http_kot_cache_key(sid);

        ngx_rbtree_insert(&cache->entries, &e->node);
        ngx_queue_insert_head(&cache->lru, &e->lru);
        cache->count++;
        ngx_http_kot_status_cache(cache->count);
    }

    e->serial = ++cache->serial;

    return e->serial;
}


/* The read landed: cache it, unless its reservation was cancelled. */

void
ngx_http_kot_cache_fill(uint64_t serial, ngx_http_kot_session_t *s)
{
    u_char                      *p;
    ngx_http_kot_cache_entry_t  *e;

    if (serial == 0 || !ngx_http_kot_cache.enabled) {
        return;
    }

    e = ngx_http_kot_cache_find(s->sid);

    if (e == NULL || e->serial != serial) {
        return;
    }

    if (s->status != KOT_SESSION_OK) {
        ngx_http_kot_cache_remove(e);
        return;
    }

    ngx_free(e->user.data);

    p = ngx_alloc(s->user.len + s->roles.len + s->tenant.len
                  + s->last_login.len + 1,
                  ngx_http_kot_cache.log);
    if (p == NULL) {
        e->user.data = NULL;
        ngx_http_kot_cache_remove(e);
        return;
    }

    e->user.data = p;
    e->user.len = s->user.len;
    e->roles.data = ngx_cpymem(p, s->user.data, s->user.len);
    e->roles.len = s->roles.len;
    e->tenant_name.data = ngx_cpymem(e->roles.data, s->roles.data,
                                     s->roles.len);
    e->tenant_name.len = s->tenant.len;
    e->last_login.data = ngx_cpymem(e->tenant_name.data, s->tenant.data,
                                    s->tenant.len);
    e->last_login.len = s->last_login.len;
    ngx_memcpy(e->last_login.data, s->last_login.data, s->last_login.len);

    e->created = s->created;
    e->last = s->last;
    e->must_change = s->must_change;
    e->enrol = s->enrol;
    e->allow_version = s->allow_version;

    if (ngx_http_kot_cache_attach(e, &e->tenant_name) != NGX_OK) {
        ngx_http_kot_cache_remove(e);
    }
}


void
ngx_http_kot_cache_forget(u_char *sid)
{
    ngx_http_kot_cache_entry_t  *e;

    e = ngx_http_kot_cache_find(sid);

    if (e) {
        ngx_http_kot_cache_remove(e);
    }
}


/* a sid is a keyed hash in base64url: its first bytes are already spread */

static ngx_rbtree_key_t
ngx_http_kot_cache_key(u_char *sid)
{
    uint32_t  key;

    ngx_memcpy(&key, sid, sizeof(uint32_t));

    return key;
}


static ngx_http_kot_cache_entry_t *
ngx_http_kot_cache_find(u_char *sid)
{
    ngx_rbtree_key_t             key;
    ngx_rbtree_node_t           *node, *sentinel;
    ngx_http_kot_cache_entry_t  *e;

    key = ngx_http_kot_cache_key(sid);
    node = ngx_http_kot_cache.entries.root;
    sentinel = ngx_http_kot_cache.entries.sentinel;

    while (node != sentinel) {

        if (key != node->key) {
            node = (key < node->key) ? node->left : node->right;
            continue;
        }

        e = (ngx_http_kot_cache_entry_t *) node;

        if (ngx_memcmp(sid, e->sid, KOT_SID_B64_LEN) == 0) {
            return e;
        }

        /* same hash, another sid: keep looking on the side insert used */
        node = (ngx_memcmp(sid, e->sid, KOT_SID_B64_LEN) < 0) ? node->left
                                                              : node->right;
    }

    return NULL;
}


static void
ngx_http_kot_cache_insert(ngx_rbtree_node_t *temp, ngx_rbtree_node_t *node,
    ngx_rbtree_node_t *sentinel)
{
    ngx_rbtree_node_t          **p;
    ngx_http_kot_cache_entry_t  *e, *t;

    e = (ngx_http_kot_cache_entry_t *) node;

    for ( ;; ) {

        if (node->key != temp->key) {
            p = (node->key < temp->key) ? &temp->left : &temp->right;

        } else {
            t = (ngx_http_kot_cache_entry_t *) temp;
            p = (ngx_memcmp(e->sid, t->sid, KOT_SID_B64_LEN) < 0)
                ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}


static void
ngx_http_kot_cache_remove(ngx_http_kot_cache_entry_t *e)
{
    if (e->tenant) {
        ngx_queue_remove(&e->tenant_link);
    }

    ngx_rbtree_delete(&ngx_http_kot_cache.entries, &e->node);
    ngx_queue_remove(&e->lru);
    ngx_http_kot_cache.count--;
    ngx_http_kot_status_cache(ngx_http_kot_cache.count);

    ngx_free(e->user.data);
    ngx_free(e);
}


static void
ngx_http_kot_cache_flush(void)
{
    ngx_queue_t        *q;
    ngx_rbtree_node_t  *node;

    while (!ngx_queue_empty(&ngx_http_kot_cache.lru)) {
        q = ngx_queue_head(&ngx_http_kot_cache.lru);
        ngx_http_kot_cache_remove(ngx_queue_data(q,
                                                 ngx_http_kot_cache_entry_t,
                                                 lru));
    }

    /* what Redis tracked for this worker is unknown now */
    while (ngx_http_kot_cache.tenants.root
           != ngx_http_kot_cache.tenants.sentinel)
    {
        node = ngx_http_kot_cache.tenants.root;
        ngx_rbtree_delete(&ngx_http_kot_cache.tenants, node);
        ngx_free(node);
    }
}


/* Entries hang off their tenant, so an allow-list change can drop them. */

static ngx_int_t
ngx_http_kot_cache_attach(ngx_http_kot_cache_entry_t *e, ngx_str_t *tenant)
{
    uint32_t                      hash;
    ngx_http_kot_cache_tenant_t  *t;

    hash = ngx_crc32_long(tenant->data, tenant->len);

    t = (ngx_http_kot_cache_tenant_t *)
        ngx_str_rbtree_lookup(&ngx_http_kot_cache.tenants, tenant, hash);

    if (t && t->version != e->allow_version) {
        /* one of the two reads is stale: trust neither */
        ngx_http_kot_cache_drop_tenant(tenant->data, tenant->len);
        return NGX_ERROR;
    }

    if (t == NULL) {
        t = ngx_alloc(sizeof(ngx_http_kot_cache_tenant_t) + tenant->len,
                      ngx_http_kot_cache.log);
        if (t == NULL) {
            return NGX_ERROR;
        }

        t->sn.str.data = (u_char *) (t + 1);
        t->sn.str.len = tenant->len;
        ngx_memcpy(t->sn.str.data, tenant->data, tenant->len);
        t->sn.node.key = hash;
        ngx_queue_init(&t->entries);
        t->version = e->allow_version;
        t->confirmed = 0;

        ngx_rbtree_insert(&ngx_http_kot_cache.tenants, &t->sn.node);

        if (ngx_http_kot_cache_track(t) != NGX_OK) {
            ngx_rbtree_delete(&ngx_http_kot_cache.tenants, &t->sn.node);
            ngx_free(t);
            return NGX_ERROR;
        }
    }

    ngx_queue_insert_head(&t->entries, &e->tenant_link);
    e->tenant = &t->sn;

    return NGX_OK;
}


/* A tracked read of the tenant's allow-list version, to confirm it. */

static ngx_int_t
ngx_http_kot_cache_track(ngx_http_kot_cache_tenant_t *t)
{
    u_char     *key;
    size_t      len;
    ngx_int_t   rc;

    len = sizeof(KOT_KEY_ALLOW_VERSION) - 1 + t->sn.str.len;

    /* the callback's copy of the name: the node may be gone by then */
    key = ngx_alloc(len + 1, ngx_http_kot_cache.log);
    if (key == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(ngx_cpymem(key, KOT_KEY_ALLOW_VERSION,
                          sizeof(KOT_KEY_ALLOW_VERSION) - 1),
               t->sn.str.data, t->sn.str.len);
    key[len] = '\0';

    rc = ngx_http_kot_redis_tracked_get(key, len, ngx_http_kot_cache_confirm,
                                        key);
    if (rc != NGX_OK) {
        ngx_free(key);
    }

    return rc;
}


static void
ngx_http_kot_cache_confirm(redisAsyncContext *ac, void *reply,
    void *privdata)
{
    u_char                       *key = privdata;
    int64_t                       version;
    ngx_str_t                     tenant;
    redisReply                   *rep = reply;
    ngx_http_kot_cache_tenant_t  *t;

    tenant.data = key + sizeof(KOT_KEY_ALLOW_VERSION) - 1;
    tenant.len = ngx_strlen(tenant.data);

    t = (ngx_http_kot_cache_tenant_t *)
        ngx_str_rbtree_lookup(&ngx_http_kot_cache.tenants, &tenant,
                              ngx_crc32_long(tenant.data, tenant.len));

    if (t && rep) {
        /* an error reply (BUSY, LOADING, an ACL's refusal) tracked nothing */
        version = (rep->type == REDIS_REPLY_STRING
                   || rep->type == REDIS_REPLY_NIL)
                  ? (int64_t) ngx_http_kot_redis_uint(rep) : -1;

        if (version == t->version) {
            t->confirmed = 1;

        } else {
            ngx_http_kot_cache_drop_tenant(tenant.data, tenant.len);
        }
    }

    ngx_free(key);
}


/*
 * The tenant's allow-lists changed: its sessions must ask Redis again,
 * which returns the new version with them.  Reservations in flight may
 * carry the old version, so they are cancelled too.
 */

static void
ngx_http_kot_cache_drop_tenant(u_char *name, size_t len)
{
    ngx_str_t                     tenant;
    ngx_queue_t                  *q, *next;
    ngx_http_kot_cache_entry_t   *e;
    ngx_http_kot_cache_tenant_t  *t;

    tenant.data = name;
    tenant.len = len;

    t = (ngx_http_kot_cache_tenant_t *)
        ngx_str_rbtree_lookup(&ngx_http_kot_cache.tenants, &tenant,
                              ngx_crc32_long(name, len));

    if (t) {
        for (q = ngx_queue_head(&t->entries);
             q != ngx_queue_sentinel(&t->entries);
             q = next)
        {
            next = ngx_queue_next(q);
            ngx_http_kot_cache_remove(ngx_queue_data(q,
                                                  ngx_http_kot_cache_entry_t,
                                                  tenant_link));
        }

        ngx_rbtree_delete(&ngx_http_kot_cache.tenants, &t->sn.node);
        ngx_free(t);
    }

    for (q = ngx_queue_head(&ngx_http_kot_cache.lru);
         q != ngx_queue_sentinel(&ngx_http_kot_cache.lru);
         q = next)
    {
        next = ngx_queue_next(q);
        e = ngx_queue_data(q, ngx_http_kot_cache_entry_t, lru);

        if (e->tenant == NULL) {
            ngx_http_kot_cache_remove(e);
        }
    }
}


