
/*
 * ngx_kot: the password policy.  The server's rules come from
 * kot_password_policy; a tenant may tighten them in Redis (kotctl tenant
 * policy), and the effective policy is the stricter value of each rule.
 * The rules themselves live in kot/kot_policy.c, shared with kotctl.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_kot_module.h"


static void ngx_http_kot_policy_cleanup(void *data);
static ngx_int_t ngx_http_kot_policy_tenant(ngx_log_t *log,
    redisReply *tenant, kot_policy_t *p);


static kot_policy_t  ngx_http_kot_policy_default = KOT_POLICY_DEFAULT;


/*
 * kot_password_policy [min_length=12] [max_length=128] [classes=0]
 *     [not_username=on] [blocklist=PATH] [history=0] [min_age=0]
 *     [max_age=0] [inactive_after=0];
 */

char *
ngx_http_kot_password_policy(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_kot_loc_conf_t *klcf = conf;

    char                 err[256];
    ngx_str_t           *value, path;
    ngx_uint_t           i;
    kot_blocklist_t     *bl;
    ngx_pool_cleanup_t  *cln;

    if (klcf->policy_set != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    if (ngx_http_kot_conf_once(cf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    klcf->policy = ngx_http_kot_policy_default;
    klcf->policy_set = 1;

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "blocklist=", 10) != 0) {
            if (kot_policy_set(&klcf->policy, (char *) value[i].data,
                               value[i].len, err, sizeof(err))
                != 0)
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "kot_password_policy: %s", err);
                return NGX_CONF_ERROR;
            }

            continue;
        }

        path.data = value[i].data + 10;
        path.len = value[i].len - 10;

        if (path.len == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "kot_password_policy: \"blocklist=\" needs a "
                               "file of common passwords, one a line, e.g. "
                               "\"blocklist=/usr/share/john/password.lst\"");
            return NGX_CONF_ERROR;
        }

        if (ngx_conf_full_name(cf->cycle, &path, 1) != NGX_OK) {
            return NGX_CONF_ERROR;
        }

        bl = kot_blocklist_load((char *) path.data, err, sizeof(err));
        if (bl == NULL) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "kot_password_policy: blocklist: %s; Debian's "
                               "john-data package ships "
                               "/usr/share/john/password.lst", err);
            return NGX_CONF_ERROR;
        }

        cln = ngx_pool_cleanup_add(cf->pool, 0);
        if (cln == NULL) {
            kot_blocklist_free(bl);
            return NGX_CONF_ERROR;
        }

        cln->handler = ngx_http_kot_policy_cleanup;
        cln->data = bl;

        klcf->policy.blocklist = bl;
        klcf->policy_path = path;
    }

    if (kot_policy_valid(&klcf->policy, err, sizeof(err), NULL) != 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "kot_password_policy: %s",
                           err);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static void
ngx_http_kot_policy_cleanup(void *data)
{
    kot_blocklist_free(data);
}


void
ngx_http_kot_policy_merge(ngx_http_kot_loc_conf_t *prev,
    ngx_http_kot_loc_conf_t *conf)
{
    if (conf->policy_set != NGX_CONF_UNSET) {
        return;
    }

    if (prev->policy_set != NGX_CONF_UNSET) {
        conf->policy = prev->policy;
        conf->policy_path = prev->policy_path;

    } else {
        conf->policy = ngx_http_kot_policy_default;
    }

    conf->policy_set = 0;
}


/*
 * The server's policy for this request, tightened by the tenant's rules
 * (a reply to HMGET of KOT_TENANT_POLICY_FIELDS).
 */

ngx_int_t
ngx_http_kot_policy_effective(ngx_http_request_t *r, redisReply *tenant,
    kot_policy_t *out)
{
    kot_policy_t              t;
    ngx_http_kot_loc_conf_t  *klcf;

    klcf = ngx_http_get_module_loc_conf(r, ngx_http_kot_module);

    t = klcf->policy;

    if (ngx_http_kot_policy_tenant(r->connection->log, tenant, &t)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    /* kotctl refuses loosenings; this keeps a hand-edited one harmless */
    kot_policy_strictest(out, &klcf->policy, &t);

    return NGX_OK;
}


static ngx_int_t
ngx_http_kot_policy_tenant(ngx_log_t *log, redisReply *tenant,
    kot_policy_t *p)
{
    char         rule[64], err[8];
    size_t       i, n;
    redisReply  *e;
    const char **names = kot_tenant_rules;

    if (tenant->type != REDIS_REPLY_ARRAY
        || tenant->elements != KOT_TENANT_POLICY_N)
    {
        return NGX_ERROR;
    }

    for (i = 0; i < KOT_TENANT_POLICY_N; i++) {
        e = tenant->element[i];

        if (e->type == REDIS_REPLY_NIL) {
            continue;
        }

        /* as kotctl wrote it: a count, on/off, required/optional, a time */
        if (e->type == REDIS_REPLY_STRING && e->len <= 32) {
            n = ngx_snprintf((u_char *) rule, sizeof(rule), "%s=%*s",
                             names[i], e->len, e->str) - (u_char *) rule;

            if (kot_policy_set(p, rule, n, err, sizeof(err)) == 0) {
                continue;
            }
        }

        /* only the server's rule applies then, which is never looser */
        ngx_log_error(NGX_LOG_WARN, log, 0, "kot: the tenant's policy rule "
                      "\"policy.%s\" in Redis is not valid and is ignored; "
                      "set it again with \"kotctl tenant policy\"", names[i]);
    }

    return NGX_OK;
}


/*
 * The http-level policy, for kotctl to apply to the passwords it sets:
 * kot:v1:policy.  Every worker writes the same values.
 */

void
ngx_http_kot_policy_publish(ngx_http_kot_loc_conf_t *klcf)
{
    u_char                     nums[9][NGX_INT64_LEN];
    uint64_t                   v[9];
    ngx_uint_t                 i;
    ngx_http_kot_redis_args_t  a;
    kot_policy_t              *p = &klcf->policy;

    static const char  *names[9] = {
        "min_length", "max_length", "classes", "not_username", "history",
        "min_age", "max_age", "inactive_after", "mfa"
    };

    v[0] = p->min_length;
    v[1] = p->max_length;
    v[2] = p->classes;
    v[3] = p->not_username;
    v[4] = p->history;
    v[5] = p->min_age;
    v[6] = p->max_age;
    v[7] = p->inactive_after;
    v[8] = p->mfa_required;

    a.argc = 0;
    ngx_http_kot_redis_arg(&a, (u_char *) "HSET", 4);
    ngx_http_kot_redis_arg(&a, (u_char *) KOT_KEY_POLICY,
                           sizeof(KOT_KEY_POLICY) - 1);

    for (i = 0; i < 9; i++) {
        ngx_http_kot_redis_arg(&a, (u_char *) names[i],
                               ngx_strlen(names[i]));
        ngx_http_kot_redis_arg(&a, nums[i],
                               ngx_sprintf(nums[i], "%uL", v[i]) - nums[i]);
    }

    ngx_http_kot_redis_arg(&a, (u_char *) "blocklist", 9);
    ngx_http_kot_redis_arg(&a, klcf->policy_path.data,
                           klcf->policy_path.len);

    ngx_http_kot_redis_fire(&a);
}
