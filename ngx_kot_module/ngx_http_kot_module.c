
/*
 * ngx_kot: directives, configuration, variables and the shared request
 * context.  The phases live in ngx_http_kot_access.c (protected locations)
 * and ngx_http_kot_portal.c (the login portal).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_kot_module.h"
#include "kot_ident.h"
#include "kot_body.h"


static ngx_int_t ngx_http_kot_add_variables(ngx_conf_t *cf);
static ngx_int_t ngx_http_kot_init(ngx_conf_t *cf);
static void *ngx_http_kot_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_kot_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_kot_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_kot_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_http_kot_merge_handler(ngx_conf_t *cf,
    ngx_http_kot_loc_conf_t *conf);
static char *ngx_http_kot_redis_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_kot_redis_sentinel(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_kot_redis_master_name(ngx_str_t *name);
static char *ngx_http_kot_redis_duplicate(ngx_conf_t *cf);
static char *ngx_http_kot_redis_check(ngx_conf_t *cf,
    ngx_http_kot_main_conf_t *kmcf);
static char *ngx_http_kot_redis_addr(ngx_conf_t *cf, ngx_str_t *value,
    ngx_http_kot_redis_addr_t *addr);
static char *ngx_http_kot_redis_option(ngx_conf_t *cf,
    ngx_http_kot_redis_conf_t *rc, ngx_str_t *opt);
static char *ngx_http_kot_secret_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_kot_read_file(ngx_conf_t *cf, const char *directive,
    ngx_str_t *path, ngx_str_t *out, const char *owner);
static char *ngx_http_kot_prefix_handler(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_kot_password_hash(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_kot_portal_uri(ngx_conf_t *cf, void *post, void *data);
static char *ngx_http_kot_tenant_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_kot_session_cache(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_kot_strip_headers(ngx_http_request_t *r);
static ngx_int_t ngx_http_kot_is_kot_header(ngx_str_t *name);
static ngx_int_t ngx_http_kot_header_is(ngx_str_t *name, const u_char *text,
    size_t n);
static ngx_int_t ngx_http_kot_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_http_kot_last_login_text(ngx_http_request_t *r,
    ngx_http_kot_session_t *session, ngx_str_t *s);
static void ngx_http_kot_done_handler(ngx_event_t *ev);
static void ngx_http_kot_ctx_cleanup(void *data);
static ngx_int_t ngx_http_kot_init_process(ngx_cycle_t *cycle);
static void ngx_http_kot_exit_process(ngx_cycle_t *cycle);


static ngx_conf_post_handler_pt  ngx_http_kot_portal_uri_p =
    ngx_http_kot_portal_uri;


static ngx_command_t  ngx_http_kot_commands[] = {

    { ngx_string("kot_redis"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_kot_redis_directive,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("kot_redis_sentinel"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_2MORE,
      ngx_http_kot_redis_sentinel,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("kot_secret_file"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_kot_secret_file,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("kot_thread_pool"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_kot_main_conf_t, thread_pool_name),
      NULL },

    { ngx_string("kot_password_hash"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_http_kot_password_hash,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("kot"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kot_loc_conf_t, enable),
      NULL },

    { ngx_string("kot_portal"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_kot_prefix_handler,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kot_loc_conf_t, portal),
      "/kot/" },

    { ngx_string("kot_portal_uri"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kot_loc_conf_t, portal_uri),
      &ngx_http_kot_portal_uri_p },

    { ngx_string("kot_tenant"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_kot_tenant_directive,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kot_loc_conf_t, tenant),
      NULL },

    { ngx_string("kot_idle_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kot_loc_conf_t, idle_timeout),
      NULL },

    { ngx_string("kot_absolute_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kot_loc_conf_t, absolute_timeout),
      NULL },

    { ngx_string("kot_insecure_cookie"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kot_loc_conf_t, insecure_cookie),
      NULL },

    { ngx_string("kot_lockout"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_CONF_ANY,
      ngx_http_kot_lockout,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("kot_login_throttle"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_CONF_1MORE,
      ngx_http_kot_login_throttle,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("kot_audit_log"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1234,
      ngx_http_kot_audit_log,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("kot_audit_requests"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kot_loc_conf_t, audit_requests),
      NULL },

    { ngx_string("kot_audit_auditor_key"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_kot_audit_auditor_key,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("kot_password_policy"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_CONF_ANY,
      ngx_http_kot_password_policy,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("kot_portal_templates"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_CONF_TAKE1,
      ngx_http_kot_portal_templates,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("kot_allowlist"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_kot_allowlist,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("kot_trusted_proxies"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_CONF_1MORE,
      ngx_http_kot_trusted_proxies,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("kot_session_cache"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_kot_session_cache,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("kot_session_touch"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kot_loc_conf_t, touch),
      NULL },

    { ngx_string("kot_long_poll"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kot_loc_conf_t, long_poll),
      NULL },

    { ngx_string("kot_require_role"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_kot_require_role,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("kot_admin"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_kot_prefix_handler,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kot_loc_conf_t, admin),
      "/kot/admin/api/" },

    { ngx_string("kot_admin_operator"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_kot_admin_operator,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("kot_mfa_issuer"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_kot_mfa_issuer,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("kot_notify"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_kot_main_conf_t, notify),
      NULL },

    { ngx_string("kot_status"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_kot_status,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("kot_strip_identity"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kot_loc_conf_t, strip_identity),
      NULL },

    { ngx_string("kot_pass_session_cookie"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kot_loc_conf_t, pass_cookie),
      NULL },

    { ngx_string("kot_identity_headers"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kot_loc_conf_t, identity_headers),
      NULL },

    { ngx_string("kot_min_tls"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_kot_min_tls,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("kot_activity"),
      NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kot_loc_conf_t, activity),
      NULL },

    { ngx_string("kot_last_login_notice"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_kot_loc_conf_t, last_login_notice),
      NULL },

    { ngx_string("kot_max_sessions"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_CONF_TAKE12,
      ngx_http_kot_max_sessions,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("kot_hsts"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_http_kot_hsts,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_kot_module_ctx = {
    ngx_http_kot_add_variables,            /* preconfiguration */
    ngx_http_kot_init,                     /* postconfiguration */

    ngx_http_kot_create_main_conf,         /* create main configuration */
    ngx_http_kot_init_main_conf,           /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_kot_create_loc_conf,          /* create location configuration */
    ngx_http_kot_merge_loc_conf            /* merge location configuration */
};


ngx_module_t  ngx_http_kot_module = {
    NGX_MODULE_V1,
    &ngx_http_kot_module_ctx,              /* module context */
    ngx_http_kot_commands,                 /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_kot_init_process,             /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_kot_exit_process,             /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


typedef enum {
    NGX_HTTP_KOT_VAR_USER = 0,
    NGX_HTTP_KOT_VAR_TENANT,
    NGX_HTTP_KOT_VAR_ROLES,
    NGX_HTTP_KOT_VAR_SESSION,
    NGX_HTTP_KOT_VAR_LAST_LOGIN
} ngx_http_kot_var_e;


static ngx_http_variable_t  ngx_http_kot_vars[] = {

    { ngx_string("kot_user"), NULL, ngx_http_kot_variable,
      NGX_HTTP_KOT_VAR_USER, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("kot_tenant"), NULL, ngx_http_kot_variable,
      NGX_HTTP_KOT_VAR_TENANT, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("kot_roles"), NULL, ngx_http_kot_variable,
      NGX_HTTP_KOT_VAR_ROLES, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("kot_session"), NULL, ngx_http_kot_variable,
      NGX_HTTP_KOT_VAR_SESSION, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("kot_last_login"), NULL, ngx_http_kot_variable,
      NGX_HTTP_KOT_VAR_LAST_LOGIN, NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


static ngx_int_t
ngx_http_kot_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_kot_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_kot_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_kot_main_conf_t   *kmcf;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);
    kmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_kot_module);

    if (ngx_http_kot_audit_init(cf, kmcf) != NGX_OK
        || ngx_http_kot_allow_init_conf(cf, kmcf) != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* the http level is never merged: give it the defaults it lacks */
    kmcf->http_conf = ngx_http_conf_get_module_loc_conf(cf,
                                                        ngx_http_kot_module);
    ngx_http_kot_policy_merge(kmcf->http_conf, kmcf->http_conf);

    /* every request of every server: no client may supply an identity */
    h = ngx_array_push(&cmcf->phases[NGX_HTTP_POST_READ_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_kot_strip_headers;

    if (ngx_http_kot_upstream_init(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_kot_tls_init(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_kot_admin_init_filters(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_http_kot_conn_init(cf) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_kot_access_init(cf);
}


static void *
ngx_http_kot_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_kot_main_conf_t  *kmcf;

    /* the module's first call, before any JSON: every block is wiped */
    kot_body_wipe_freed();

    kmcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_kot_main_conf_t));
    if (kmcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     kmcf->redis = { 0 };
     *     kmcf->secret_file = { 0, NULL };
     *     kmcf->thread_pool_name = { 0, NULL };
     *     kmcf->mfa_issuer = { 0, NULL };
     *     kmcf->thread_pool = NULL;
     */

    if (ngx_array_init(&kmcf->audit_logs, cf->pool, 2,
                       sizeof(ngx_http_kot_audit_log_t *))
        != NGX_OK)
    {
        return NULL;
    }

    kmcf->redis_set = NGX_CONF_UNSET;
    kmcf->scrypt_set = NGX_CONF_UNSET;
    kmcf->used = NGX_CONF_UNSET;
    kmcf->cache_size = NGX_CONF_UNSET_UINT;
    kmcf->notify = NGX_CONF_UNSET;

    return kmcf;
}


static char *
ngx_http_kot_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_kot_main_conf_t  *kmcf = conf;

    static kot_scrypt_params_t  defaults = KOT_SCRYPT_DEFAULT;

    ngx_conf_init_value(kmcf->redis_set, 0);
    ngx_conf_init_value(kmcf->used, 0);
    ngx_conf_init_uint_value(kmcf->cache_size, 10000);
    ngx_conf_init_value(kmcf->notify, 0);

    if (kmcf->scrypt_set == NGX_CONF_UNSET) {
        kmcf->scrypt = defaults;
        kmcf->scrypt_set = 0;
    }

    if (kot_phc_dummy(&kmcf->scrypt, kmcf->dummy_hash,
                      sizeof(kmcf->dummy_hash))
        < 0)
    {
        return NGX_CONF_ERROR;
    }

    kmcf->look = ngx_http_kot_look_default(cf);
    if (kmcf->look == NULL) {
        return NGX_CONF_ERROR;
    }

    if (kot_scripts_init() != 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "kot: cannot hash the Redis scripts");
        return NGX_CONF_ERROR;
    }

    if (!kmcf->redis_set) {
        return NGX_CONF_OK;
    }

    if (kmcf->thread_pool_name.len == 0) {
        ngx_str_set(&kmcf->thread_pool_name, "default");
    }

    kmcf->thread_pool = ngx_thread_pool_add(cf, &kmcf->thread_pool_name);
    if (kmcf->thread_pool == NULL) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static void *
ngx_http_kot_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_kot_loc_conf_t  *klcf;

    klcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_kot_loc_conf_t));
    if (klcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     klcf->portal = { 0, NULL };
     *     klcf->admin = { 0, NULL };
     *     klcf->handler = NULL;
     *     klcf->portal_uri = { 0, NULL };
     *     klcf->guard = NULL;
     *     klcf->hsts = { 0, NULL };
     */

    klcf->enable = NGX_CONF_UNSET;
    klcf->tenant = NGX_CONF_UNSET_PTR;
    klcf->idle_timeout = NGX_CONF_UNSET_MSEC;
    klcf->absolute_timeout = NGX_CONF_UNSET_MSEC;
    klcf->touch = NGX_CONF_UNSET_MSEC;
    klcf->long_poll = NGX_CONF_UNSET;
    klcf->insecure_cookie = NGX_CONF_UNSET;
    klcf->strip_identity = NGX_CONF_UNSET;
    klcf->pass_cookie = NGX_CONF_UNSET;
    klcf->identity_headers = NGX_CONF_UNSET;
    klcf->lockout.threshold = NGX_CONF_UNSET_UINT;
    klcf->throttle.rate = NGX_CONF_UNSET_UINT;
    klcf->audit_log = NGX_CONF_UNSET_PTR;
    klcf->audit_requests = NGX_CONF_UNSET;
    klcf->policy_set = NGX_CONF_UNSET;
    klcf->allowlist = NGX_CONF_UNSET_UINT;
    klcf->trusted = NGX_CONF_UNSET_PTR;
    klcf->require_roles = NGX_CONF_UNSET_PTR;
    klcf->look = NGX_CONF_UNSET_PTR;
    klcf->min_tls = NGX_CONF_UNSET_UINT;
    klcf->activity = NGX_CONF_UNSET;
    klcf->last_login_notice = NGX_CONF_UNSET;
    klcf->max_sessions = NGX_CONF_UNSET_UINT;
    klcf->max_sessions_refuse = NGX_CONF_UNSET;

    return klcf;
}


static char *
ngx_http_kot_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_kot_loc_conf_t *prev = parent;
    ngx_http_kot_loc_conf_t *conf = child;

    ngx_http_kot_main_conf_t  *kmcf;

    ngx_conf_merge_value(conf->enable, prev->enable, 0);
    ngx_conf_merge_str_value(conf->portal_uri, prev->portal_uri, "/kot/");
    ngx_conf_merge_ptr_value(conf->tenant, prev->tenant, NULL);
    ngx_conf_merge_msec_value(conf->idle_timeout, prev->idle_timeout,
                              30 * 60 * 1000);
    ngx_conf_merge_msec_value(conf->absolute_timeout,
                              prev->absolute_timeout, 12 * 60 * 60 * 1000);
    ngx_conf_merge_msec_value(conf->touch, prev->touch, 30 * 1000);
    ngx_conf_merge_value(conf->long_poll, prev->long_poll, 0);
    ngx_conf_merge_value(conf->insecure_cookie, prev->insecure_cookie, 0);
    ngx_conf_merge_value(conf->strip_identity, prev->strip_identity, 1);
    ngx_conf_merge_value(conf->pass_cookie, prev->pass_cookie, 0);
    ngx_conf_merge_value(conf->identity_headers, prev->identity_headers, 0);
    ngx_http_kot_lockout_merge(prev, conf);
    ngx_conf_merge_ptr_value(conf->audit_log, prev->audit_log, NULL);
    ngx_conf_merge_value(conf->audit_requests, prev->audit_requests, 1);
    ngx_http_kot_policy_merge(prev, conf);
    ngx_conf_merge_uint_value(conf->allowlist, prev->allowlist,
                              NGX_HTTP_KOT_ALLOW_ACCESS);
    ngx_conf_merge_ptr_value(conf->trusted, prev->trusted, NULL);
    ngx_conf_merge_ptr_value(conf->require_roles, prev->require_roles, NULL);
    ngx_http_kot_tls_merge(prev, conf);
    ngx_conf_merge_value(conf->activity, prev->activity, 1);
    ngx_conf_merge_value(conf->last_login_notice, prev->last_login_notice,
                         1);
    ngx_conf_merge_uint_value(conf->max_sessions, prev->max_sessions, 0);
    ngx_conf_merge_value(conf->max_sessions_refuse,
                         prev->max_sessions_refuse, 0);

    kmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_kot_module);

    ngx_conf_merge_ptr_value(conf->look, prev->look, kmcf->look);

    if (ngx_http_kot_merge_handler(cf, conf) != NGX_CONF_OK
        || ngx_http_kot_guard_merge(cf, conf) != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (!conf->enable && conf->portal.len == 0 && conf->admin.len == 0) {
        return NGX_CONF_OK;
    }

    ngx_http_kot_admin_merge(cf, conf);

    if (!kmcf->redis_set) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"kot\" and \"kot_portal\" need a session store: "
                           "add \"kot_redis 127.0.0.1:6379;\" (or "
                           "\"kot_redis unix:/path;\", or "
                           "\"kot_redis_sentinel ADDR... master=NAME;\") "
                           "to the http block");
        return NGX_CONF_ERROR;
    }

    if (kmcf->secret_file.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"kot\" and \"kot_portal\" need a key: add "
                           "\"kot_secret_file /etc/nginx/kot.key;\" to the "
                           "http block (create the file with "
                           "\"(umask 077; head -c 32 /dev/urandom "
                           "> /etc/nginx/kot.key)\")");
        return NGX_CONF_ERROR;
    }

    if (conf->idle_timeout == 0 || conf->absolute_timeout == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"kot_idle_timeout\" and \"kot_absolute_timeout\" "
                           "must be more than 0");
        return NGX_CONF_ERROR;
    }

    kmcf->used = 1;

    return NGX_CONF_OK;
}


/*
 * kot_portal, kot_admin and kot_status answer every request of their
 * location.  A content handler that nginx read after them (proxy_pass,
 * empty_gif...) took their place without a word, and a portal under
 * "kot on" would ask for a login before its login page.
 */

static char *
ngx_http_kot_merge_handler(ngx_conf_t *cf, ngx_http_kot_loc_conf_t *conf)
{
    const char                *name;
    ngx_http_core_loc_conf_t  *clcf;

    if (conf->handler == NULL) {
        return NGX_CONF_OK;
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    name = conf->portal.len ? "kot_portal"
                            : (conf->admin.len ? "kot_admin" : "kot_status");

    if (clcf->handler != conf->handler) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "location \"%V\" has \"%s\" and another content "
                           "handler (proxy_pass, fastcgi_pass, empty_gif...): "
                           "give \"%s\" a location of its own",
                           &clcf->name, name, name);
        return NGX_CONF_ERROR;
    }

    if (conf->portal.len && conf->enable) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"kot_portal\" of location \"%V\" is under "
                           "\"kot on\", so nobody could reach the login "
                           "page: add \"kot off;\" to the location",
                           &clcf->name);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * kot_redis 127.0.0.1:6379 | [::1]:6379 | unix:/path
 *           [password_file=PATH] [user=NAME] [db=N] [timeout=TIME];
 */

static char *
ngx_http_kot_redis_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_kot_main_conf_t *kmcf = conf;

    char                       *rv;
    ngx_str_t                  *value;
    ngx_uint_t                  i;
    ngx_http_kot_redis_addr_t   addr;
    ngx_http_kot_redis_conf_t  *rc;

    if (kmcf->redis_set != NGX_CONF_UNSET) {
        return ngx_http_kot_redis_duplicate(cf);
    }

    if (ngx_http_kot_conf_once(cf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;
    rc = &kmcf->redis;
    rc->timeout = 1000;

    if (ngx_http_kot_redis_addr(cf, &value[1], &addr) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    rc->name = addr.name;
    rc->host = addr.host;
    rc->port = addr.port;
    rc->unix_path = addr.unix_path;

    for (i = 2; i < cf->args->nelts; i++) {
        rv = ngx_http_kot_redis_option(cf, rc, &value[i]);
        if (rv != NGX_CONF_OK) {
            return rv;
        }
    }

    return ngx_http_kot_redis_check(cf, kmcf);
}


/*
 * kot_redis_sentinel ADDR... master=NAME [sentinel_password_file=PATH]
 *           [password_file=PATH] [user=NAME] [db=N] [timeout=TIME];
 */

static char *
ngx_http_kot_redis_sentinel(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_kot_main_conf_t *kmcf = conf;

    char                       *rv;
    ngx_str_t                  *value, s;
    ngx_uint_t                  i;
    ngx_http_kot_redis_addr_t  *addr;
    ngx_http_kot_redis_conf_t  *rc;

    if (kmcf->redis_set != NGX_CONF_UNSET) {
        return ngx_http_kot_redis_duplicate(cf);
    }

    if (ngx_http_kot_conf_once(cf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;
    rc = &kmcf->redis;
    rc->timeout = 1000;

    rc->sentinels = ngx_array_create(cf->pool, 3,
                                     sizeof(ngx_http_kot_redis_addr_t));
    if (rc->sentinels == NULL) {
        return NGX_CONF_ERROR;
    }

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strlchr(value[i].data, value[i].data + value[i].len, '=')
            == NULL)
        {
            addr = ngx_array_push(rc->sentinels);
            if (addr == NULL
                || ngx_http_kot_redis_addr(cf, &value[i], addr)
                   != NGX_CONF_OK)
            {
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "master=", 7) == 0) {
            rc->master.data = value[i].data + 7;
            rc->master.len = value[i].len - 7;

            if (!ngx_http_kot_redis_master_name(&rc->master)) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "kot_redis_sentinel: invalid \"%V\": the "
                                   "master's name is the one of the "
                                   "sentinels' \"sentinel monitor\" line, "
                                   "e.g. \"master=mymaster\"", &value[i]);
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "sentinel_password_file=", 23) == 0) {
            s.data = value[i].data + 23;
            s.len = value[i].len - 23;

            rv = ngx_http_kot_read_file(cf,
                                        "kot_redis_sentinel "
                                        "sentinel_password_file",
                                        &s, &rc->sentinel_password,
                                        "the sentinels (\"requirepass\" in "
                                        "sentinel.conf)");
            if (rv != NGX_CONF_OK) {
                return rv;
            }

            continue;
        }

        rv = ngx_http_kot_redis_option(cf, rc, &value[i]);
        if (rv != NGX_CONF_OK) {
            return rv;
        }
    }

    if (rc->sentinels->nelts == 0 || rc->master.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "kot_redis_sentinel needs the sentinels' "
                           "addresses and the master's name, e.g. "
                           "\"kot_redis_sentinel 10.0.0.1:26379 "
                           "10.0.0.2:26379 10.0.0.3:26379 master=mymaster;\"");
        return NGX_CONF_ERROR;
    }

    /* messages name the master until the sentinels say where it is */
    rc->name = rc->master;

    return ngx_http_kot_redis_check(cf, kmcf);
}


/* it goes into +switch-master's space-separated fields: no blanks */

static ngx_int_t
ngx_http_kot_redis_master_name(ngx_str_t *name)
{
    ngx_uint_t  i;

    if (name->len == 0 || name->len > 128) {
        return 0;
    }

    for (i = 0; i < name->len; i++) {
        if (name->data[i] <= ' ' || name->data[i] >= 0x7f) {
            return 0;
        }
    }

    return 1;
}


static char *
ngx_http_kot_redis_duplicate(ngx_conf_t *cf)
{
    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "a second \"kot_redis\" or \"kot_redis_sentinel\": "
                       "keep exactly one of them in the http block "
                       "(\"kot_redis_sentinel\" when Sentinel finds the "
                       "master, \"kot_redis\" otherwise)");

    return NGX_CONF_ERROR;
}


static char *
ngx_http_kot_redis_check(ngx_conf_t *cf, ngx_http_kot_main_conf_t *kmcf)
{
    ngx_str_t  *name;

    name = cf->args->elts;

    if (kmcf->redis.user.len && kmcf->redis.password.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%V \"user=\" needs \"password_file=\" too",
                           name);
        return NGX_CONF_ERROR;
    }

    kmcf->redis_set = 1;

    return NGX_CONF_OK;
}


/* IP:PORT (an IP literal: resolving would block) or unix:/path */

static char *
ngx_http_kot_redis_addr(ngx_conf_t *cf, ngx_str_t *value,
    ngx_http_kot_redis_addr_t *addr)
{
    ngx_url_t   u;
    ngx_str_t  *name;

    ngx_memzero(addr, sizeof(ngx_http_kot_redis_addr_t));

    name = cf->args->elts;
    addr->name = *value;

    if (ngx_strncmp(value->data, "unix:", 5) == 0) {
        if (value->len == 5) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "%V \"unix:\" needs a socket path, "
                               "e.g. \"unix:/run/redis/redis.sock\"", name);
            return NGX_CONF_ERROR;
        }

        /* workers connect from "/"; connect() takes no more than this */
        if (value->data[5] != '/'
            || value->len - 5
               >= sizeof(((struct sockaddr_un *) 0)->sun_path))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "%V \"%V\": a socket path must be absolute "
                               "and shorter than %uz bytes, e.g. "
                               "\"unix:/run/redis/redis.sock\"", name, value,
                               sizeof(((struct sockaddr_un *) 0)->sun_path));
            return NGX_CONF_ERROR;
        }

        return ngx_http_kot_strdup(cf->pool, &addr->unix_path,
                                   value->data + 5, value->len - 5)
               == NGX_OK ? NGX_CONF_OK : NGX_CONF_ERROR;
    }

    ngx_memzero(&u, sizeof(ngx_url_t));

    u.url = *value;
    u.no_resolve = 1;

    if (ngx_parse_url(cf->pool, &u) != NGX_OK || u.no_port
        || u.naddrs != 1 || u.host.len == 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%V \"%V\" is not an address: use "
                           "\"IP:PORT\" with an IP literal, e.g. "
                           "\"127.0.0.1:6379\", or \"unix:/path\"",
                           name, value);
        return NGX_CONF_ERROR;
    }

    /* hiredis wants the bare address: strip IPv6 brackets */
    if (u.host.data[0] == '[') {
        u.host.data++;
        u.host.len -= 2;
    }

    addr->port = u.port;

    return ngx_http_kot_strdup(cf->pool, &addr->host, u.host.data,
                               u.host.len)
           == NGX_OK ? NGX_CONF_OK : NGX_CONF_ERROR;
}


static char *
ngx_http_kot_redis_option(ngx_conf_t *cf, ngx_http_kot_redis_conf_t *rc,
    ngx_str_t *opt)
{
    ngx_str_t  s, *name;

    name = cf->args->elts;

    if (ngx_strncmp(opt->data, "password_file=", 14) == 0) {
        s.data = opt->data + 14;
        s.len = opt->len - 14;

        return ngx_http_kot_read_file(cf, rc->sentinels
                                          ? "kot_redis_sentinel password_file"
                                          : "kot_redis password_file",
                                      &s, &rc->password,
                                      "Redis (its \"requirepass\", or the "
                                      "ACL user's)");
    }

    if (ngx_strncmp(opt->data, "user=", 5) == 0) {
        rc->user.data = opt->data + 5;
        rc->user.len = opt->len - 5;

        if (rc->user.len == 0) {
            goto invalid;
        }

        return NGX_CONF_OK;
    }

    if (ngx_strncmp(opt->data, "db=", 3) == 0) {
        rc->db = ngx_atoi(opt->data + 3, opt->len - 3);

        if (rc->db == NGX_ERROR || rc->db > 65535) {
            goto invalid;
        }

        return NGX_CONF_OK;
    }

    if (ngx_strncmp(opt->data, "timeout=", 8) == 0) {
        s.data = opt->data + 8;
        s.len = opt->len - 8;

        rc->timeout = ngx_parse_time(&s, 0);

        if (rc->timeout == (ngx_msec_t) NGX_ERROR || rc->timeout == 0) {
            goto invalid;
        }

        return NGX_CONF_OK;
    }

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "%V: invalid parameter \"%V\"; expected %s"
                       "password_file=PATH, user=NAME, db=N or timeout=TIME",
                       name, opt,
                       rc->sentinels ? "master=NAME, sentinel_password_file="
                                       "PATH, " : "");

    return NGX_CONF_ERROR;
}


static char *
ngx_http_kot_secret_file(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_kot_main_conf_t *kmcf = conf;

    char       *rv;
    u_char      key[KOT_KEY_LEN];
    ngx_str_t  *value, secret;

    if (kmcf->secret_file.len) {
        return "is duplicate";
    }

    value = cf->args->elts;
    kmcf->secret_file = value[1];

    rv = ngx_http_kot_read_file(cf, "kot_secret_file", &kmcf->secret_file,
                                &secret, NULL);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    /* subkeys, kept only as HMAC key schedules */

    if (kot_derive_key(secret.data, secret.len, "session id", key) != 0) {
        kot_cleanse(secret.data, secret.len);
        return "cannot derive keys";
    }

    kot_hmac_key(&kmcf->session_key, key, sizeof(key));

    (void) kot_derive_key(secret.data, secret.len, "csrf", key);
    kot_hmac_key(&kmcf->csrf_key, key, sizeof(key));

    (void) kot_derive_key(secret.data, secret.len, "recovery code", key);
    kot_hmac_key(&kmcf->recovery_key, key, sizeof(key));

    /* kept as it is: AES-256-GCM takes the key itself */
    (void) kot_derive_key(secret.data, secret.len, "totp seed",
                          kmcf->mfa_key);

    kot_cleanse(key, sizeof(key));
    kot_cleanse(secret.data, secret.len);

    return NGX_CONF_OK;
}


/*
 * Reads a small secret file, refusing one that other users could read:
 * a key that leaked through file permissions is no key.  The value is
 * read as bytes; text files lose one trailing newline.  A key (owner
 * NULL) is best made at random; a password is the one that its owner
 * (Redis, the sentinels) already has.
 */

static char *
ngx_http_kot_read_file(ngx_conf_t *cf, const char *directive,
    ngx_str_t *path, ngx_str_t *out, const char *owner)
{
    u_char           mode[4];
    size_t           size, min, max;
    ssize_t          n;
    ngx_fd_t         fd;
    ngx_file_info_t  fi;

    min = owner ? 1 : KOT_MASTER_MIN;
    max = owner ? KOT_REDIS_PASSWORD_MAX : KOT_MASTER_MAX;

    if (ngx_conf_full_name(cf->cycle, path, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    fd = ngx_open_file(path->data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE && owner) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "%s \"%V\" cannot be opened; write the password "
                           "of %s to it with \"(umask 077; cat > %V)\"",
                           directive, path, owner, path);
        return NGX_CONF_ERROR;
    }

    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "%s \"%V\" cannot be opened; create it with "
                           "\"(umask 077; head -c 32 /dev/urandom > %V)\"",
                           directive, path, path);
        return NGX_CONF_ERROR;
    }

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR || !ngx_is_file(&fi)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%s \"%V\" is not a regular file", directive, path);
        goto failed;
    }

    if (fi.st_mode & (S_IRWXG|S_IRWXO)) {
        /* ngx_sprintf() has no octal */
        mode[0] = '0' + ((fi.st_mode >> 9) & 7);
        mode[1] = '0' + ((fi.st_mode >> 6) & 7);
        mode[2] = '0' + ((fi.st_mode >> 3) & 7);
        mode[3] = '0' + (fi.st_mode & 7);

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%s \"%V\" is accessible by other users (mode "
                           "%*s); run \"chmod 600 %V\"",
                           directive, path, (size_t) 4, mode, path);
        goto failed;
    }

    size = (size_t) ngx_file_size(&fi);

    if (size > max + 1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%s \"%V\" is too large (%uz bytes, at most %uz)",
                           directive, path, size, max);
        goto failed;
    }

    out->data = ngx_pnalloc(cf->pool, size + 1);
    if (out->data == NULL) {
        goto failed;
    }

    n = ngx_read_fd(fd, out->data, size);
    if (n < 0 || (size_t) n != size) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "%s \"%V\" cannot be read", directive, path);
        goto failed;
    }

    if (n > 0 && out->data[n - 1] == '\n') {
        n--;
    }

    out->len = n;
    out->data[n] = '\0';

    if ((out->len < min || out->len > max) && owner) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%s \"%V\" holds %uz bytes; it needs %uz to %uz: "
                           "the password of %s, on one line",
                           directive, path, out->len, min, max, owner);
        goto failed;
    }

    if (out->len < min || out->len > max) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "%s \"%V\" holds %uz bytes; it needs %uz to %uz "
                           "(\"(umask 077; head -c 32 /dev/urandom > %V)\" "
                           "makes a good one)",
                           directive, path, out->len, min, max, path);
        goto failed;
    }

    ngx_close_file(fd);

    return NGX_CONF_OK;

failed:

    ngx_close_file(fd);

    return NGX_CONF_ERROR;
}


/*
 * kot_portal; and kot_admin;: a content handler for the pages below a
 * prefix location's path.  cmd->offset is where the prefix goes, and
 * cmd->post an example of the location.
 */

static char *
ngx_http_kot_prefix_handler(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_kot_loc_conf_t *klcf = conf;

    ngx_str_t                 *prefix;
    ngx_http_core_loc_conf_t  *clcf;

    prefix = (ngx_str_t *) ((u_char *) conf + cmd->offset);
    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (prefix->len) {
        return "is duplicate";
    }

    if (clcf->handler) {
        return "needs a location of its own, without another content "
               "handler (proxy_pass, kot_portal, kot_admin, kot_status...)";
    }

    if (clcf->name.len == 0 || clcf->name.data[clcf->name.len - 1] != '/'
        || clcf->exact_match || clcf->named
#if (NGX_PCRE)
        || clcf->regex
#endif
       )
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" must be in a prefix location that ends "
                           "with \"/\", e.g. \"location %s { %V; }\"",
                           &cmd->name, (char *) cmd->post, &cmd->name);
        return NGX_CONF_ERROR;
    }

    *prefix = clcf->name;
    klcf->handler = (cmd->offset == offsetof(ngx_http_kot_loc_conf_t, portal))
                    ? ngx_http_kot_portal_handler
                    : ngx_http_kot_admin_handler;
    clcf->handler = klcf->handler;

    return NGX_CONF_OK;
}


/* kot_password_hash scrypt [ln=17] [r=8] [p=1]; */

static char *
ngx_http_kot_password_hash(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_kot_main_conf_t *kmcf = conf;

    ngx_int_t    n;
    ngx_str_t   *value;
    ngx_uint_t   i;
    unsigned    *field;

    static kot_scrypt_params_t  defaults = KOT_SCRYPT_DEFAULT;

    if (kmcf->scrypt_set != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    if (ngx_http_kot_conf_once(cf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "scrypt") != 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "kot_password_hash: unknown algorithm \"%V\"; "
                           "the only one is \"scrypt\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    kmcf->scrypt = defaults;

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "ln=", 3) == 0) {
            field = &kmcf->scrypt.ln;
            n = ngx_atoi(value[i].data + 3, value[i].len - 3);

        } else if (ngx_strncmp(value[i].data, "r=", 2) == 0) {
            field = &kmcf->scrypt.r;
            n = ngx_atoi(value[i].data + 2, value[i].len - 2);

        } else if (ngx_strncmp(value[i].data, "p=", 2) == 0) {
            field = &kmcf->scrypt.p;
            n = ngx_atoi(value[i].data + 2, value[i].len - 2);

        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "kot_password_hash: invalid parameter \"%V\"; "
                               "expected ln=N, r=N or p=N", &value[i]);
            return NGX_CONF_ERROR;
        }

        if (n == NGX_ERROR) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "kot_password_hash: \"%V\" is not a number",
                               &value[i]);
            return NGX_CONF_ERROR;
        }

        *field = (unsigned) n;
    }

    if (kot_scrypt_params_ok(&kmcf->scrypt) != 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "kot_password_hash: scrypt parameters out of "
                           "range: ln must be %d..%d, r 1..%d, p 1..%d, "
                           "and a hash may take at most 1 GiB "
                           "(128 * r * 2^ln bytes)",
                           KOT_SCRYPT_LN_MIN, KOT_SCRYPT_LN_MAX,
                           KOT_SCRYPT_R_MAX, KOT_SCRYPT_P_MAX);
        return NGX_CONF_ERROR;
    }

    kmcf->scrypt_set = 1;

    return NGX_CONF_OK;
}


/* kot_session_cache size | off; */

static char *
ngx_http_kot_session_cache(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_kot_main_conf_t *kmcf = conf;

    ngx_int_t   n;
    ngx_str_t  *value;

    if (kmcf->cache_size != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        kmcf->cache_size = 0;
        return NGX_CONF_OK;
    }

    n = ngx_atoi(value[1].data, value[1].len);

    if (n == NGX_ERROR || n == 0 || n > 10000000) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "kot_session_cache \"%V\": give the number of "
                           "sessions each worker keeps (1 to 10000000), or "
                           "\"off\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    kmcf->cache_size = n;

    return NGX_CONF_OK;
}


static char *
ngx_http_kot_portal_uri(ngx_conf_t *cf, void *post, void *data)
{
    ngx_str_t  *uri = data;

    if (uri->len == 0 || uri->data[0] != '/'
        || uri->data[uri->len - 1] != '/')
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "kot_portal_uri \"%V\" must be a path that starts "
                           "and ends with \"/\", like the portal's location, "
                           "e.g. \"/kot/\"", uri);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * kot_tenant VALUE;  a value without variables is checked now, since one
 * that is no tenant name would let no login succeed.
 */

static char *
ngx_http_kot_tenant_directive(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_kot_loc_conf_t *klcf = conf;

    char       *rv;
    u_char      name[KOT_TENANT_MAX + 1];
    ngx_str_t  *value;

    rv = ngx_http_set_complex_value_slot(cf, cmd, conf);

    if (rv != NGX_CONF_OK || klcf->tenant->lengths) {
        return rv;
    }

    value = &klcf->tenant->value;

    if (kot_tenant_normalize((char *) value->data, value->len, (char *) name,
                             sizeof(name))
        < 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "kot_tenant \"%V\" is not a tenant name: use "
                           KOT_TENANT_RULE, value);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * Removes every request header named X-Kot or X-Kot-* (or X_Kot_* and
 * X.Kot.*, which some upstreams read as the same name), so that only the
 * module can tell the application who the user is.  It runs in every server,
 * protected or not, since an application may trust the headers on any
 * path; only a server that receives ngx_kot's own proxied requests turns
 * it off.  ngx_list_t has no removal: the list is rebuilt, which only
 * happens when a client tried.
 */

static ngx_int_t
ngx_http_kot_strip_headers(ngx_http_request_t *r)
{
    ngx_uint_t                i, found;
    ngx_list_part_t          *part;
    ngx_table_elt_t          *h;
    ngx_http_kot_event_t      ev;
    ngx_http_kot_loc_conf_t  *klcf;

    klcf = ngx_http_get_module_loc_conf(r, ngx_http_kot_module);

    if (!klcf->strip_identity) {
        return NGX_DECLINED;
    }

    found = 0;
    part = &r->headers_in.headers.part;
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

        if (ngx_http_kot_is_kot_header(&h[i].key)) {
            h[i].hash = 0;
            found++;
        }
    }

    if (found == 0) {
        return NGX_DECLINED;
    }

    ngx_memzero(&ev, sizeof(ngx_http_kot_event_t));
    ev.action = "identity_header_removed";
    ev.category = "web";
    ev.outcome = "failure";
    ev.reason = "forged_identity";

    ngx_http_kot_event(r, &ev, "removed %ui client X-Kot-* header(s)",
                       found);

    if (ngx_http_kot_headers_compact(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_DECLINED;
}


/*
 * Drops the request headers that a caller marked with hash 0 (as nginx
 * marks a response header it will not send).  The pointers in
 * r->headers_in (host, cookies...) keep pointing to the old elements,
 * whose values are unchanged.
 */

ngx_int_t
ngx_http_kot_headers_compact(ngx_http_request_t *r)
{
    ngx_uint_t        i;
    ngx_list_t        old;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h, *nh;

    /* built in place: a copied list's "last" would point to the copy */
    old = r->headers_in.headers;

    if (ngx_list_init(&r->headers_in.headers, r->pool, 20,
                      sizeof(ngx_table_elt_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    part = &old.part;
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

        if (h[i].hash == 0) {
            continue;
        }

        nh = ngx_list_push(&r->headers_in.headers);
        if (nh == NULL) {
            return NGX_ERROR;
        }

        *nh = h[i];
    }

    return NGX_OK;
}


/*
 * "X-Kot" itself, or "X-Kot-" and anything after it; but not X-Kot-CSRF,
 * which names no one: the admin API's token, which a client sends.
 */

static ngx_int_t
ngx_http_kot_is_kot_header(ngx_str_t *name)
{
    static const u_char  prefix[] = "x-kot-";
    static const u_char  csrf[] = "x-kot-csrf";

    /* every request's every header comes here: most fail at once */
    if (name->len < sizeof(prefix) - 2 || (name->data[0] | 0x20) != 'x') {
        return 0;
    }

    if (name->len == sizeof(csrf) - 1
        && ngx_http_kot_header_is(name, csrf, sizeof(csrf) - 1))
    {
        return 0;
    }

    return ngx_http_kot_header_is(name, prefix,
                                  ngx_min(name->len, sizeof(prefix) - 1));
}


/*
 * The first n characters of name are text's, '_' and '.' counting as
 * '-': FastCGI, uwsgi and SCGI turn '-' into '_' (HTTP_X_KOT_USER), and
 * PHP turns the '.' of a parameter's name into '_' too, so that
 * "X.Kot.User", which nginx passes with "ignore_invalid_headers off",
 * would be HTTP_X_KOT_USER there.
 */

static ngx_int_t
ngx_http_kot_header_is(ngx_str_t *name, const u_char *text, size_t n)
{
    ngx_uint_t  i;

    for (i = 0; i < n; i++) {
        if (ngx_tolower(name->data[i]) != text[i]
            && !(text[i] == '-'
                 && (name->data[i] == '_' || name->data[i] == '.')))
        {
            return 0;
        }
    }

    return 1;
}


static ngx_int_t
ngx_http_kot_variable(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    uintptr_t data)
{
    ngx_str_t               s;
    ngx_http_kot_ctx_t     *ctx;
    ngx_http_kot_session_t *session;

    /* a subrequest's own check (auth_request_set), else the page's */
    ctx = ngx_http_get_module_ctx(r, ngx_http_kot_module);

    if (ctx == NULL) {
        ctx = ngx_http_get_module_ctx(r->main, ngx_http_kot_module);
    }

    if (ctx == NULL || ctx->session.status != KOT_SESSION_OK) {
        v->not_found = 1;
        return NGX_OK;
    }

    session = &ctx->session;

    switch (data) {

    case NGX_HTTP_KOT_VAR_USER:
        s = session->user;
        break;

    case NGX_HTTP_KOT_VAR_TENANT:
        s = session->tenant;
        break;

    case NGX_HTTP_KOT_VAR_ROLES:
        s = session->roles;
        break;

    case NGX_HTTP_KOT_VAR_LAST_LOGIN:
        if (ngx_http_kot_last_login_text(r, session, &s) != NGX_OK) {
            return NGX_ERROR;
        }

        break;

    default: /* NGX_HTTP_KOT_VAR_SESSION */
        s.data = session->sid;
        s.len = KOT_SID_SHORT_LEN;
        break;
    }

    v->data = s.data;
    v->len = s.len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return NGX_OK;
}


/*
 * $kot_last_login: "time=2026-12-02T07:08:09Z ip=192.0.2.7 failed=3", the
 * login before this session's, and the failed logins between; "time=-
 * ip=-" before a first login.
 */

static ngx_int_t
ngx_http_kot_last_login_text(ngx_http_request_t *r,
    ngx_http_kot_session_t *session, ngx_str_t *s)
{
    u_char                     *p;
    ngx_tm_t                    tm;
    ngx_http_kot_last_login_t   ll;

    ngx_http_kot_last_login(session, &ll);

    p = ngx_pnalloc(r->pool, sizeof("time=2026-12-02T07:08:09Z ip= failed=")
                             - 1 + ll.address.len + NGX_INT_T_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    s->data = p;

    if (ll.time == 0) {
        p = ngx_sprintf(p, "time=- ip=- failed=%ui", ll.failed);

    } else {
        ngx_gmtime((time_t) (ll.time / 1000), &tm);

        p = ngx_sprintf(p, "time=%4d-%02d-%02dT%02d:%02d:%02dZ ip=%V "
                        "failed=%ui", tm.ngx_tm_year, tm.ngx_tm_mon,
                        tm.ngx_tm_mday, tm.ngx_tm_hour, tm.ngx_tm_min,
                        tm.ngx_tm_sec, &ll.address, ll.failed);
    }

    s->len = p - s->data;

    return NGX_OK;
}


/*
 * Refuses a NAME= parameter that the directive being read has twice: the
 * second one would win without a word, as "min_length=8" after
 * "min_length=12" would weaken the policy that the first one reads as.
 */

char *
ngx_http_kot_conf_once(ngx_conf_t *cf)
{
    u_char      *eq;
    size_t       len;
    ngx_str_t   *value;
    ngx_uint_t   i, j;

    value = cf->args->elts;

    for (i = 2; i < cf->args->nelts; i++) {
        eq = ngx_strlchr(value[i].data, value[i].data + value[i].len, '=');
        if (eq == NULL) {
            continue;
        }

        len = eq + 1 - value[i].data;

        for (j = 1; j < i; j++) {
            if (value[j].len >= len
                && ngx_strncmp(value[j].data, value[i].data, len) == 0)
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "%V: \"%*s\" is given twice (\"%V\" and "
                                   "\"%V\"); keep one", &value[0], len,
                                   value[i].data, &value[j], &value[i]);
                return NGX_CONF_ERROR;
            }
        }
    }

    return NGX_CONF_OK;
}


/* A copy of data in the pool, NUL-terminated for C libraries. */

ngx_int_t
ngx_http_kot_strdup(ngx_pool_t *pool, ngx_str_t *dst, u_char *data,
    size_t len)
{
    dst->data = ngx_pnalloc(pool, len + 1);
    if (dst->data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(dst->data, data, len);
    dst->data[len] = '\0';
    dst->len = len;

    return NGX_OK;
}


ngx_http_kot_ctx_t *
ngx_http_kot_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t  *cln;
    ngx_http_kot_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_kot_module);
    if (ctx) {
        return ctx;
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_kot_ctx_t));
    if (ctx == NULL) {
        return NULL;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    ctx->done.handler = ngx_http_kot_done_handler;
    ctx->done.data = r;
    ctx->done.log = r->connection->log;

    cln->handler = ngx_http_kot_ctx_cleanup;
    cln->data = ctx;

    ngx_http_set_ctx(r, ctx, ngx_http_kot_module);

    return ctx;
}


/* Parks the request until an async step posts ctx->done. */

ngx_int_t
ngx_http_kot_wait(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx,
    ngx_http_kot_step_pt next)
{
    ctx->next = next;
    ctx->waiting = 1;

    return NGX_AGAIN;
}


static void
ngx_http_kot_done_handler(ngx_event_t *ev)
{
    ngx_int_t            rc;
    ngx_connection_t    *c;
    ngx_http_request_t  *r;
    ngx_http_kot_ctx_t  *ctx;

    r = ev->data;
    c = r->connection;

    ngx_http_set_log_request(c->log, r);

    ctx = ngx_http_get_module_ctx(r, ngx_http_kot_module);

    ctx->waiting = 0;
    rc = ctx->next(r, ctx);

    if (rc != NGX_AGAIN && rc != NGX_DONE) {
        ngx_http_finalize_request(r, rc);
    }

    ngx_http_run_posted_requests(c);
}


static void
ngx_http_kot_ctx_cleanup(void *data)
{
    ngx_http_kot_ctx_t  *ctx = data;

    if (ctx->done.posted) {
        ngx_delete_posted_event(&ctx->done);
    }

    if (ctx->conn) {
        ngx_http_kot_conn_remove(ctx->conn);
    }
}


/*
 * The tenant this location names (kot_tenant), normalised.  NGX_DECLINED
 * when the location leaves it to the login form, NGX_ERROR when the value
 * is not a valid tenant name.
 */

ngx_int_t
ngx_http_kot_tenant(ngx_http_request_t *r, ngx_str_t *tenant)
{
    int                       n;
    ngx_str_t                 v;
    ngx_http_kot_loc_conf_t  *klcf;

    klcf = ngx_http_get_module_loc_conf(r, ngx_http_kot_module);

    if (klcf->tenant == NULL) {
        return NGX_DECLINED;
    }

    if (ngx_http_complex_value(r, klcf->tenant, &v) != NGX_OK) {
        return NGX_ERROR;
    }

    tenant->data = ngx_pnalloc(r->pool, KOT_TENANT_MAX + 1);
    if (tenant->data == NULL) {
        return NGX_ERROR;
    }

    n = kot_tenant_normalize((char *) v.data, v.len, (char *) tenant->data,
                             KOT_TENANT_MAX + 1);
    if (n < 0) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "kot: kot_tenant gave an invalid tenant name; a "
                      "tenant name is " KOT_TENANT_RULE);
        return NGX_ERROR;
    }

    tenant->len = n;

    return NGX_OK;
}


/* Wall-clock milliseconds, shared with other nodes through Redis. */

uint64_t
ngx_http_kot_now(void)
{
    ngx_time_t  *tp;

    tp = ngx_timeofday();

    return (uint64_t) tp->sec * 1000 + tp->msec;
}


static ngx_int_t
ngx_http_kot_init_process(ngx_cycle_t *cycle)
{
    ngx_http_kot_main_conf_t  *kmcf;

    kmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_kot_module);

    if (kmcf == NULL || !kmcf->used) {
        return NGX_OK;
    }

    ngx_http_kot_status_init_process(kmcf);
    ngx_http_kot_cache_init_process(cycle, kmcf->cache_size);
    ngx_http_kot_conn_init_process(cycle);
    ngx_http_kot_hash_init_process();

    if (ngx_http_kot_redis_init_worker(cycle, &kmcf->redis,
                                       kmcf->cache_size > 0)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_http_kot_policy_publish(kmcf->http_conf);

    return ngx_http_kot_audit_init_process(cycle, kmcf);
}


static void
ngx_http_kot_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_kot_main_conf_t  *kmcf;

    kmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_kot_module);

    if (kmcf == NULL || !kmcf->used) {
        return;
    }

    ngx_http_kot_audit_exit_process(cycle, kmcf);
    ngx_http_kot_redis_exit_worker(cycle);
    ngx_http_kot_status_exit_process();
}
