
/*
 * ngx_kot: the second factor.
 *
 * At login (ngx_http_kot_portal.c), a user with MFA who gave the right
 * password gets a pending login instead of a session: a cookie with 256
 * random bits whose HMAC names mp:{pid} in Redis, good for 5 minutes and
 * 5 codes.  A code that matches (TOTP, the current step or one back, or
 * a recovery code) is used up in a script, and only then is the session
 * made.  Each code takes a token from the client's login throttle, as a
 * password does, and a right code gives it back: one address cannot
 * spend the tries of many pending logins (credential stuffing).
 *
 * {portal}mfa enrols: it offers a new seed (kept sealed under the
 * session for a while), shows it as a QR code and in base32, and a code
 * from the app confirms it; the answer shows 10 recovery codes, once.
 * Enrolling, replacing or removing MFA needs the password too, but for
 * the first enrolment of a session bound to enrol.
 *
 * Seeds are sealed with AES-256-GCM under a key derived from
 * kot_secret_file, bound to the tenant and user; recovery codes are kept
 * as HMACs under another key derived from it, bound to them too
 * (kot_recovery_hash()).  The crypto here is a few microseconds and runs on
 * the event loop; the password check runs in the thread pool.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_kot_module.h"
#include "kot_b64.h"
#include "kot_base32.h"
#include "kot_qr.h"
#include "kot_return_to.h"


static ngx_int_t ngx_http_kot_mfa_aad(ngx_http_request_t *r,
    ngx_http_kot_login_t *login, ngx_str_t *aad);
static ngx_int_t ngx_http_kot_recovery_hash(ngx_http_request_t *r,
    ngx_http_kot_login_t *login, const char *code, size_t len, u_char *out);
static ngx_int_t ngx_http_kot_mfa_open(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx, u_char seed[KOT_TOTP_SEED_LEN]);
static void ngx_http_kot_mfa_code_load_reply(ngx_http_request_t *r,
    void *data, redisReply *reply);
static void ngx_http_kot_mfa_use_reply(ngx_http_request_t *r, void *data,
    redisReply *reply);
static ngx_int_t ngx_http_kot_mfa_checked(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_mfa_load(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static void ngx_http_kot_mfa_load_reply(ngx_http_request_t *r, void *data,
    redisReply *reply);
static ngx_int_t ngx_http_kot_mfa_page_loaded(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_mfa_page(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx, ngx_uint_t status, ngx_http_kot_msg_t msg);
static ngx_int_t ngx_http_kot_mfa_view(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx, ngx_http_kot_mfa_view_t *v);
static ngx_int_t ngx_http_kot_mfa_issuer_of(ngx_http_request_t *r,
    ngx_str_t *issuer);
static ngx_int_t ngx_http_kot_mfa_post_loaded(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_mfa_enrol(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_mfa_enrol_verified(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_mfa_enrol_store(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_mfa_enrolled(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_mfa_remove(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_mfa_remove_verified(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_mfa_removed(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_mfa_remove_required(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_mfa_enrol_counted(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_mfa_remove_counted(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx);
static ngx_int_t ngx_http_kot_mfa_counted(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx, const char *action);
static ngx_int_t ngx_http_kot_mfa_refused(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx, const char *action, const char *reason,
    ngx_uint_t status, ngx_http_kot_msg_t msg);
static void ngx_http_kot_mfa_failed(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx, const char *action, const char *reason,
    ngx_uint_t status);
static const char *ngx_http_kot_mfa_changed(ngx_int_t result);
static ngx_int_t ngx_http_kot_mfa_again(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx, const char *flag);
static ngx_int_t ngx_http_kot_mfa_keys(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx, ngx_http_kot_redis_args_t *a,
    ngx_uint_t offer);
static void ngx_http_kot_mfa_ended_msg(ngx_http_kot_page_t *p,
    ngx_int_t ended);
static ngx_uint_t ngx_http_kot_mfa_none(ngx_http_kot_portal_t *pt);
static ngx_uint_t ngx_http_kot_mfa_password_needed(ngx_http_kot_ctx_t *ctx);
static ngx_uint_t ngx_http_kot_mfa_removing(ngx_http_kot_portal_t *pt);


/* the recovery codes of one enrolment, shown once */
typedef u_char  ngx_http_kot_mfa_codes_t[KOT_RECOVERY_N][KOT_RECOVERY_LEN + 1];


/* kot_mfa_issuer NAME; */

char *
ngx_http_kot_mfa_issuer(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_kot_main_conf_t *kmcf = conf;

    ngx_str_t  *value;

    if (kmcf->mfa_issuer.len) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (!kot_totp_issuer_valid((char *) value[1].data, value[1].len)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "kot_mfa_issuer \"%V\": use 1 to %d bytes of "
                           "UTF-8 without control characters and without "
                           "\":\", e.g. \"Example Inc.\"", &value[1],
                           KOT_TOTP_ISSUER_MAX);
        return NGX_CONF_ERROR;
    }

    kmcf->mfa_issuer = value[1];

    return NGX_CONF_OK;
}


/* login: the pending state */

/*
 * After the right password of a user with MFA: a new pending id, and the
 * browser's old session ends.  ctx->rc and ctx->result as for
 * session_create.
 */

ngx_int_t
ngx_http_kot_mfa_pending(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    u_char                     *mc;
    ngx_str_t                   pid, old, client;
    struct sockaddr            *sa;
    ngx_http_kot_login_t       *login = ctx->login;
    ngx_http_kot_portal_t      *pt = ctx->portal;
    ngx_http_kot_redis_args_t   a;

    if (ngx_http_kot_session_new_id(r, &pt->mfa.id) != NGX_OK
        || ngx_http_kot_client(r, &sa, &client) != NGX_OK)
    {
        return NGX_ERROR;
    }

    pid.data = pt->mfa.id.sid;
    pid.len = KOT_SID_B64_LEN;

    old.len = 0;
    old.data = NULL;

    if (ctx->session.cookie) {
        old.data = ctx->session.sid;
        old.len = KOT_SID_B64_LEN;
        ngx_http_kot_cache_forget(old.data);
    }

    a.argc = 0;

    if (ngx_http_kot_redis_key(r, &a, KOT_KEY_MFA_PENDING, &pid, NULL)
        != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_USER, &login->tenant,
                                  &login->user)
           != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_FAILURES, &login->tenant,
                                  &login->user)
           != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_SESSION,
                                  old.len ? &old : &pid, NULL)
           != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_MFA, &login->tenant,
                                  &login->user)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_http_kot_redis_arg(&a, login->tenant.data, login->tenant.len);
    ngx_http_kot_redis_arg(&a, login->user.data, login->user.len);
    ngx_http_kot_redis_arg(&a, login->roles.data, login->roles.len);

    mc = ngx_pnalloc(r->pool, 1);
    if (mc == NULL) {
        return NGX_ERROR;
    }

    *mc = login->must_change;
    ngx_http_kot_redis_arg(&a, mc, 1);

    if (ngx_http_kot_redis_num(r, &a, ngx_http_kot_now()) != NGX_OK
        || ngx_http_kot_redis_num(r, &a, login->pw_changed) != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_http_kot_redis_arg(&a, old.data, old.len);
    ngx_http_kot_redis_arg(&a, client.data, client.len);

    return ngx_http_kot_redis_script(r, KOT_SCRIPT_MFA_PENDING,
                                     ngx_http_kot_session_int_reply, ctx,
                                     &ctx->done, 5, &a);
}


/* The pending cookie, well-formed, and the Redis id made from it. */

ngx_int_t
ngx_http_kot_mfa_pending_read(ngx_http_request_t *r,
    ngx_http_kot_pending_t *p)
{
    u_char     raw[KOT_SID_RAW_LEN];
    ngx_int_t  rc;
    ngx_str_t  value;

    if (ngx_http_kot_cookie(r, NGX_HTTP_KOT_COOKIE_PENDING, &value) != NGX_OK
        || value.len != KOT_SID_B64_LEN
        || kot_b64url_decode(raw, sizeof(raw), (char *) value.data,
                             value.len)
           != KOT_SID_RAW_LEN)
    {
        return NGX_DECLINED;
    }

    rc = ngx_http_kot_session_id(r, &p->id, raw, value.data);

    kot_cleanse(raw, sizeof(raw));

    return rc;
}


/*
 * A code came: take a token from the client's login throttle, count the
 * try, and load what checking it needs.
 */

ngx_int_t
ngx_http_kot_mfa_code_load(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_str_t                   pid, client;
    ngx_http_kot_login_t       *login = ctx->login;
    ngx_http_kot_portal_t      *pt = ctx->portal;
    ngx_http_kot_redis_args_t   a;

    pid.data = pt->mfa.id.sid;
    pid.len = KOT_SID_B64_LEN;

    if (ngx_http_kot_throttle_buckets(r, &client, &login->site) != NGX_OK) {
        return NGX_ERROR;
    }

    a.argc = 0;

    if (ngx_http_kot_redis_key(r, &a, KOT_KEY_MFA_PENDING, &pid, NULL)
        != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_THROTTLE, &client, NULL)
           != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_THROTTLE, &login->site,
                                  NULL)
           != NGX_OK
        || ngx_http_kot_throttle_args(r, &a) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_kot_redis_script(r, KOT_SCRIPT_MFA_CODE_LOAD,
                                     ngx_http_kot_mfa_code_load_reply, ctx,
                                     &ctx->done, 3, &a);
}


static void
ngx_http_kot_mfa_code_load_reply(ngx_http_request_t *r, void *data,
    redisReply *reply)
{
    size_t                  i;
    redisReply            **e;
    ngx_http_kot_ctx_t     *ctx = data;
    ngx_http_kot_login_t   *login = ctx->login;
    ngx_http_kot_portal_t  *pt = ctx->portal;

    ctx->rc = NGX_ERROR;

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || reply->elements < 1
        || reply->element[0]->type != REDIS_REPLY_INTEGER)
    {
        return;
    }

    e = reply->element;

    if (e[0]->integer == 0) {
        ctx->rc = NGX_OK;
        return;
    }

    /* over the client's rate: who it was, for the record */
    if (e[0]->integer == -1) {
        if (reply->elements == 5
            && ngx_http_kot_redis_str(r, e[3], &login->tenant) == NGX_OK
            && ngx_http_kot_redis_str(r, e[4], &login->user) == NGX_OK)
        {
            ctx->rc = ngx_http_kot_throttle_held(login, &e[1], 2);
        }

        return;
    }

    if (reply->elements != 10) {
        return;
    }

    for (i = 1; i < 10; i++) {
        if (e[i]->type != ((i == 6 || i >= 8) ? REDIS_REPLY_INTEGER
                                               : REDIS_REPLY_STRING))
        {
            return;
        }
    }

    if (e[4]->len != 1
        || ngx_http_kot_redis_str(r, e[1], &login->tenant) != NGX_OK
        || ngx_http_kot_redis_str(r, e[2], &login->user) != NGX_OK
        || ngx_http_kot_redis_str(r, e[3], &login->roles) != NGX_OK
        || ngx_http_kot_redis_str(r, e[7], &pt->mfa.seed) != NGX_OK)
    {
        return;
    }

    login->found = 1;
    login->must_change = e[4]->str[0];
    login->pw_changed = ngx_http_kot_redis_uint(e[5]);
    login->allow_version = e[9]->integer;

    pt->mfa.left = e[6]->integer;
    pt->mfa.locked = (e[8]->integer == 1);
    pt->mfa.found = 1;

    ctx->rc = NGX_OK;
}


/*
 * Whether the typed code can be right: a TOTP code of this step or the
 * one before (NGX_OK, with the step), or a recovery code, whose hash the
 * script looks for (NGX_OK).  NGX_DECLINED: wrong.
 */

ngx_int_t
ngx_http_kot_mfa_code_check(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx,
    ngx_str_t *code)
{
    int                     rc;
    char                    norm[KOT_RECOVERY_CHARS + 1];
    size_t                  n;
    u_char                  seed[KOT_TOTP_SEED_LEN];
    ngx_http_kot_portal_t  *pt = ctx->portal;

    pt->mfa.kind = kot_code_kind((char *) code->data, code->len, norm, &n);

    switch (pt->mfa.kind) {

    case KOT_CODE_RECOVERY:
        /* the unkeyed form too, for codes that earlier releases stored */
        rc = (ngx_http_kot_recovery_hash(r, ctx->login, norm, n,
                                         pt->mfa.code_hash)
              == NGX_OK)
             ? kot_recovery_hash_unkeyed(norm, n,
                                         (char *) pt->mfa.code_hash_unkeyed)
             : -1;
        kot_cleanse(norm, sizeof(norm));
        return (rc == 0) ? NGX_OK : NGX_ERROR;

    case KOT_CODE_TOTP:
        break;

    default:
        return NGX_DECLINED;
    }

    if (ngx_http_kot_mfa_open(r, ctx, seed) != NGX_OK) {
        kot_cleanse(norm, sizeof(norm));
        return NGX_DECLINED;
    }

    rc = kot_totp_check(seed, sizeof(seed),
                        kot_totp_step(ngx_http_kot_now() / 1000), norm, n,
                        &pt->mfa.step);

    kot_cleanse(seed, sizeof(seed));
    kot_cleanse(norm, sizeof(norm));

    return (rc == 1) ? NGX_OK : (rc == 0) ? NGX_DECLINED : NGX_ERROR;
}


/*
 * Uses the code up, once, and gives the client back its throttle's
 * token; ctx->result 0: reused, -1: not there.
 */

ngx_int_t
ngx_http_kot_mfa_use(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_str_t                   pid, client, site;
    ngx_http_kot_login_t       *login = ctx->login;
    ngx_http_kot_portal_t      *pt = ctx->portal;
    ngx_http_kot_redis_args_t   a;

    pid.data = pt->mfa.id.sid;
    pid.len = KOT_SID_B64_LEN;

    if (ngx_http_kot_throttle_buckets(r, &client, &site) != NGX_OK) {
        return NGX_ERROR;
    }

    a.argc = 0;

    if (ngx_http_kot_redis_key(r, &a, KOT_KEY_MFA, &login->tenant,
                               &login->user)
        != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_MFA_CODES, &login->tenant,
                                  &login->user)
           != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_MFA_PENDING, &pid, NULL)
           != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_THROTTLE, &client, NULL)
           != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_THROTTLE, &site, NULL)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_http_kot_redis_arg(&a, pt->mfa.seed.data, pt->mfa.seed.len);

    if (pt->mfa.kind == KOT_CODE_TOTP) {
        if (ngx_http_kot_redis_num(r, &a, pt->mfa.step) != NGX_OK) {
            return NGX_ERROR;
        }

        ngx_http_kot_redis_arg(&a, NULL, 0);
        ngx_http_kot_redis_arg(&a, NULL, 0);

    } else {
        ngx_http_kot_redis_arg(&a, NULL, 0);
        ngx_http_kot_redis_arg(&a, pt->mfa.code_hash, KOT_RECOVERY_HASH_LEN);
        ngx_http_kot_redis_arg(&a, pt->mfa.code_hash_unkeyed,
                               KOT_RECOVERY_HASH_LEN);
    }

    if (ngx_http_kot_redis_num(r, &a, ngx_http_kot_now()) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_kot_redis_script(r, KOT_SCRIPT_MFA_USE,
                                     ngx_http_kot_mfa_use_reply, ctx,
                                     &ctx->done, 5, &a);
}


static void
ngx_http_kot_mfa_use_reply(ngx_http_request_t *r, void *data,
    redisReply *reply)
{
    ngx_http_kot_ctx_t     *ctx = data;
    ngx_http_kot_portal_t  *pt = ctx->portal;

    ngx_http_kot_session_pair(r, ctx, reply, &pt->mfa.codes_left);
}


/* "kot-v1 totp {tenant}:{user}": a seed opens only for its owner. */

static ngx_int_t
ngx_http_kot_mfa_aad(ngx_http_request_t *r, ngx_http_kot_login_t *login,
    ngx_str_t *aad)
{
    int     n;
    size_t  cap;

    cap = sizeof("kot-v1 totp :") + login->tenant.len + login->user.len;

    aad->data = ngx_pnalloc(r->pool, cap);
    if (aad->data == NULL) {
        return NGX_ERROR;
    }

    n = kot_totp_aad((char *) aad->data, cap, (char *) login->tenant.data,
                     login->tenant.len, (char *) login->user.data,
                     login->user.len);
    if (n < 0) {
        return NGX_ERROR;
    }

    aad->len = n;

    return NGX_OK;
}


/* What is stored of a recovery code of login's user (kot_totp.h). */

static ngx_int_t
ngx_http_kot_recovery_hash(ngx_http_request_t *r,
    ngx_http_kot_login_t *login, const char *code, size_t len, u_char *out)
{
    ngx_str_t                  owner;
    ngx_http_kot_main_conf_t  *kmcf;

    kmcf = ngx_http_get_module_main_conf(r, ngx_http_kot_module);

    if (ngx_http_kot_mfa_aad(r, login, &owner) != NGX_OK
        || kot_recovery_hash(&kmcf->recovery_key, (char *) owner.data,
                             owner.len, code, len, (char *) out)
           != 0)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* The seed of pt->mfa.seed, or NGX_DECLINED (and why in the log). */

static ngx_int_t
ngx_http_kot_mfa_open(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx,
    u_char seed[KOT_TOTP_SEED_LEN])
{
    ngx_str_t                  aad;
    ngx_http_kot_login_t      *login = ctx->login;
    ngx_http_kot_portal_t     *pt = ctx->portal;
    ngx_http_kot_main_conf_t  *kmcf;

    kmcf = ngx_http_get_module_main_conf(r, ngx_http_kot_module);

    if (pt->mfa.seed.len == 0) {
        return NGX_DECLINED;
    }

    if (ngx_http_kot_mfa_aad(r, login, &aad) != NGX_OK) {
        return NGX_ERROR;
    }

    if (kot_totp_open(kmcf->mfa_key, (char *) aad.data, aad.len,
                      (char *) pt->mfa.seed.data, pt->mfa.seed.len, seed)
        != 0)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "kot: the TOTP seed of user \"%V\" in tenant \"%V\" "
                      "cannot be opened (was kot_secret_file replaced?); "
                      "\"kotctl user mfa-reset %V %V\" lets the user enrol "
                      "again", &login->user, &login->tenant, &login->tenant,
                      &login->user);
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* {portal}mfa: enrolment */

ngx_int_t
ngx_http_kot_mfa_get(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_str_t  self;

    if (!ctx->session.cookie) {
        if (ngx_http_kot_url(r, &self, "mfa") != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return ngx_http_kot_goto_portal(r, "login", &self, NULL);
    }

    /* what MFA to show deserves Redis's word, not the cache's */
    if (ngx_http_kot_session_check(r, ctx, 0) != NGX_AGAIN) {
        return ngx_http_kot_unavailable(r);
    }

    return ngx_http_kot_wait(r, ctx, ngx_http_kot_mfa_checked);
}


/* The session is good: what the page or the form needs, from Redis. */

static ngx_int_t
ngx_http_kot_mfa_checked(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_int_t  rc;

    if (ngx_http_kot_password_session(r, ctx, &rc, ngx_http_kot_mfa_checked)
        != NGX_OK)
    {
        return rc;
    }

    if (ngx_http_kot_mfa_load(r, ctx) != NGX_OK) {
        return ngx_http_kot_unavailable(r);
    }

    return ngx_http_kot_wait(r, ctx, (r->method == NGX_HTTP_POST)
                                     ? ngx_http_kot_mfa_post_loaded
                                     : ngx_http_kot_mfa_page_loaded);
}


/*
 * The user's MFA, the password hash and the tenant's policy, and the seed
 * offered to this session: the one offered before, or a new one (160
 * bits from RAND_bytes, sealed before it leaves the worker).
 */

static ngx_int_t
ngx_http_kot_mfa_load(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    u_char                      seed[KOT_TOTP_SEED_LEN];
    u_char                     *sealed;
    ngx_str_t                   aad;
    ngx_http_kot_login_t       *login = ctx->login;
    ngx_http_kot_portal_t      *pt = ctx->portal;
    ngx_http_kot_main_conf_t   *kmcf;
    ngx_http_kot_redis_args_t   a;

    kmcf = ngx_http_get_module_main_conf(r, ngx_http_kot_module);

    login->tenant = ctx->session.tenant;
    login->user = ctx->session.user;

    sealed = ngx_pnalloc(r->pool, KOT_TOTP_SEALED_LEN);

    if (sealed == NULL
        || ngx_http_kot_mfa_aad(r, login, &aad) != NGX_OK
        || kot_random(seed, sizeof(seed)) != 0)
    {
        return NGX_ERROR;
    }

    if (kot_totp_seal(kmcf->mfa_key, (char *) aad.data, aad.len, seed,
                      (char *) sealed)
        != 0)
    {
        kot_cleanse(seed, sizeof(seed));
        return NGX_ERROR;
    }

    kot_cleanse(seed, sizeof(seed));

    pt->mfa.seed.data = sealed;
    pt->mfa.seed.len = KOT_TOTP_SEALED_LEN;

    a.argc = 0;

    if (ngx_http_kot_mfa_keys(r, ctx, &a, 1) != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_TENANT, &login->tenant,
                                  NULL)
           != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_USER, &login->tenant,
                                  &login->user)
           != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_FAILURES, &login->tenant,
                                  &login->user)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_http_kot_redis_arg(&a, sealed, KOT_TOTP_SEALED_LEN);

    if (ngx_http_kot_redis_num(r, &a, ngx_http_kot_now()) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_kot_redis_script(r, KOT_SCRIPT_MFA_LOAD,
                                     ngx_http_kot_mfa_load_reply, ctx,
                                     &ctx->done, 6, &a);
}


/* mfa:, mrc: of the session's user, and mo: of the session if offer */

static ngx_int_t
ngx_http_kot_mfa_keys(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx,
    ngx_http_kot_redis_args_t *a, ngx_uint_t offer)
{
    ngx_str_t              sid;
    ngx_http_kot_login_t  *login = ctx->login;

    sid.data = ctx->session.sid;
    sid.len = KOT_SID_B64_LEN;

    if (ngx_http_kot_redis_key(r, a, KOT_KEY_MFA, &login->tenant,
                               &login->user)
        != NGX_OK
        || ngx_http_kot_redis_key(r, a, KOT_KEY_MFA_CODES, &login->tenant,
                                  &login->user)
           != NGX_OK
        || (offer
            && ngx_http_kot_redis_key(r, a, KOT_KEY_MFA_OFFER, &sid, NULL)
               != NGX_OK))
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_http_kot_mfa_load_reply(ngx_http_request_t *r, void *data,
    redisReply *reply)
{
    ngx_str_t               offered;
    redisReply            **e;
    ngx_http_kot_ctx_t     *ctx = data;
    ngx_http_kot_login_t   *login = ctx->login;
    ngx_http_kot_portal_t  *pt = ctx->portal;

    ctx->rc = NGX_ERROR;

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || reply->elements != 6)
    {
        return;
    }

    e = reply->element;

    if (e[5]->type != REDIS_REPLY_INTEGER
        || e[0]->type != REDIS_REPLY_STRING
        || e[1]->type != REDIS_REPLY_INTEGER
        || e[2]->type != REDIS_REPLY_STRING
        || e[4]->type != REDIS_REPLY_STRING
        || e[4]->len > KOT_PHC_MAX
        || ngx_http_kot_redis_str(r, e[0], &pt->mfa.enrolled) != NGX_OK
        || ngx_http_kot_redis_str(r, e[2], &offered) != NGX_OK
        || ngx_http_kot_redis_str(r, e[4], &login->hash) != NGX_OK
        || ngx_http_kot_policy_effective(r, e[3], &login->policy) != NGX_OK)
    {
        return;
    }

    /* the seed sent along was kept only if none was offered before */
    pt->mfa.created = (offered.len == pt->mfa.seed.len
                       && ngx_memcmp(offered.data, pt->mfa.seed.data,
                                     offered.len) == 0);
    pt->mfa.seed = offered;
    pt->mfa.codes_left = e[1]->integer;
    login->found = (login->hash.len > 0);
    login->locked = (e[5]->integer == 1);

    ctx->rc = NGX_OK;
}


static ngx_int_t
ngx_http_kot_mfa_page_loaded(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_int_t               n;
    ngx_str_t               arg;
    ngx_http_kot_msg_t      msg;
    ngx_http_kot_portal_t  *pt = ctx->portal;

    if (ctx->rc != NGX_OK) {
        return ngx_http_kot_unavailable(r);
    }

    msg = NGX_HTTP_KOT_MSG_NONE;

    if (ngx_http_arg(r, (u_char *) "removed", 7, &arg) == NGX_OK) {
        msg = NGX_HTTP_KOT_MSG_MFA_REMOVED;

        /* as the sessions page's ?ended=: a number the user may change */
        if (ngx_http_arg(r, (u_char *) "ended", 5, &arg) == NGX_OK) {
            n = ngx_atoi(arg.data, arg.len);
            pt->ended = (n != NGX_ERROR && n < 1000) ? n : 0;
        }

    } else if (ngx_http_arg(r, (u_char *) "expired", 7, &arg) == NGX_OK) {
        msg = NGX_HTTP_KOT_MSG_MFA_OFFER_EXPIRED;
    }

    return ngx_http_kot_mfa_page(r, ctx, NGX_HTTP_OK, msg);
}


/* The enrolment page as things stand, with a message if any. */

static ngx_int_t
ngx_http_kot_mfa_page(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx,
    ngx_uint_t status, ngx_http_kot_msg_t msg)
{
    ngx_http_kot_page_t      p;
    ngx_http_kot_portal_t   *pt = ctx->portal;
    ngx_http_kot_mfa_view_t  v;

    ngx_memzero(&p, sizeof(ngx_http_kot_page_t));
    ngx_memzero(&v, sizeof(ngx_http_kot_mfa_view_t));

    p.status = status;
    p.return_to = pt->return_to;

    if (msg != NGX_HTTP_KOT_MSG_NONE) {
        p.msgs[p.nmsgs++] = msg;
    }

    /* the field to correct: the password of the form that was sent */
    if (msg == NGX_HTTP_KOT_MSG_MFA_BAD_CODE) {
        p.error_field = "code";

    } else if (msg == NGX_HTTP_KOT_MSG_PW_CURRENT_WRONG) {
        p.error_field = ngx_http_kot_mfa_removing(pt) ? "remove-password"
                                                      : "password";
    }

    ngx_http_kot_mfa_ended_msg(&p, pt->ended);

    if (ngx_http_kot_mfa_view(r, ctx, &v) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (v.required && v.enrolled.len == 0) {
        p.msgs[p.nmsgs++] = NGX_HTTP_KOT_MSG_MFA_REQUIRED;
    }

    if (ngx_http_kot_session_csrf(r, ctx, "mfa", &p.csrf) != NGX_OK
        || ngx_http_kot_url(r, &p.action, "mfa") != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_kot_page_mfa(r, &p, &v);
}


/*
 * The offered seed as the page shows it: base32, an otpauth URI of the
 * issuer and "user@tenant", and that URI as a QR code.
 */

static ngx_int_t
ngx_http_kot_mfa_view(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx,
    ngx_http_kot_mfa_view_t *v)
{
    char                   *svg;
    size_t                  len;
    u_char                  seed[KOT_TOTP_SEED_LEN];
    ngx_tm_t                tm;
    ngx_int_t               ms;
    ngx_str_t               issuer, account;
    ngx_http_kot_login_t   *login = ctx->login;
    ngx_http_kot_portal_t  *pt = ctx->portal;

    v->required = login->policy.mfa_required;
    v->password = ngx_http_kot_mfa_password_needed(ctx);
    v->codes_left = pt->mfa.codes_left;

    ms = ngx_atoi(pt->mfa.enrolled.data, pt->mfa.enrolled.len);

    if (ms > 0) {
        ngx_gmtime((time_t) (ms / 1000), &tm);

        v->enrolled.data = ngx_pnalloc(r->pool, sizeof("2026-11-26"));
        if (v->enrolled.data == NULL) {
            return NGX_ERROR;
        }

        v->enrolled.len = ngx_sprintf(v->enrolled.data, "%4d-%02d-%02d",
                                      tm.ngx_tm_year, tm.ngx_tm_mon,
                                      tm.ngx_tm_mday)
                          - v->enrolled.data;
    }

    if (ngx_http_kot_mfa_open(r, ctx, seed) != NGX_OK) {
        /* nothing to offer: the page says how things stand */
        return NGX_OK;
    }

    v->secret.data = ngx_pnalloc(r->pool, KOT_TOTP_SECRET_LEN);
    if (v->secret.data == NULL) {
        kot_cleanse(seed, sizeof(seed));
        return NGX_ERROR;
    }

    v->secret.len = kot_base32_encode((char *) v->secret.data, seed,
                                      sizeof(seed));
    kot_cleanse(seed, sizeof(seed));

    account.len = login->user.len + 1 + login->tenant.len;
    account.data = ngx_pnalloc(r->pool, account.len);

    if (account.data == NULL
        || ngx_http_kot_mfa_issuer_of(r, &issuer) != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_sprintf(account.data, "%V@%V", &login->user, &login->tenant);

    v->uri.len = kot_totp_uri(NULL, (char *) issuer.data, issuer.len,
                              (char *) account.data, account.len,
                              (char *) v->secret.data, v->secret.len);
    v->uri.data = ngx_pnalloc(r->pool, v->uri.len);
    if (v->uri.data == NULL) {
        return NGX_ERROR;
    }

    (void) kot_totp_uri((char *) v->uri.data, (char *) issuer.data,
                        issuer.len, (char *) account.data, account.len,
                        (char *) v->secret.data, v->secret.len);

    if (kot_qr_svg((char *) v->uri.data, v->uri.len, &svg, &len) != 0) {
        return NGX_ERROR;
    }

    v->svg.data = ngx_pnalloc(r->pool, len);
    if (v->svg.data == NULL) {
        free(svg);
        return NGX_ERROR;
    }

    v->svg.len = len;
    ngx_memcpy(v->svg.data, svg, len);
    free(svg);

    return NGX_OK;
}


/*
 * kot_mfa_issuer, or else the server's name; a name that is a pattern
 * (a wildcard, a regex, or none) gives way to the Host the browser sent.
 */

static ngx_int_t
ngx_http_kot_mfa_issuer_of(ngx_http_request_t *r, ngx_str_t *issuer)
{
    ngx_http_kot_main_conf_t   *kmcf;
    ngx_http_core_srv_conf_t   *cscf;

    kmcf = ngx_http_get_module_main_conf(r, ngx_http_kot_module);

    if (kmcf->mfa_issuer.len) {
        *issuer = kmcf->mfa_issuer;
        return NGX_OK;
    }

    cscf = ngx_http_get_module_srv_conf(r, ngx_http_core_module);

    *issuer = cscf->server_name;

    if (kot_totp_issuer_valid((char *) issuer->data, issuer->len)
        && ngx_strlchr(issuer->data, issuer->data + issuer->len, '*')
           == NULL
        && issuer->data[0] != '~')
    {
        return NGX_OK;
    }

    *issuer = r->headers_in.server;

    if (kot_totp_issuer_valid((char *) issuer->data, issuer->len)) {
        return NGX_OK;
    }

    ngx_str_set(issuer, "ngx_kot");

    return NGX_OK;
}


ngx_int_t
ngx_http_kot_mfa_post(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_portal_t  *pt = ctx->portal;

    if (!ctx->session.cookie) {
        return ngx_http_kot_goto_portal(r, "login", &pt->return_to, NULL);
    }

    if (!ngx_http_kot_csrf_ok(r, "mfa", ctx->session.id, KOT_SID_B64_LEN,
                              &pt->v[NGX_HTTP_KOT_F_CSRF]))
    {
        return ngx_http_kot_csrf_refused(r, "mfa");
    }

    if (ngx_http_kot_session_check(r, ctx, 0) != NGX_AGAIN) {
        return ngx_http_kot_unavailable(r);
    }

    return ngx_http_kot_wait(r, ctx, ngx_http_kot_mfa_checked);
}


static ngx_int_t
ngx_http_kot_mfa_post_loaded(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_str_t              *action;
    ngx_http_kot_portal_t  *pt = ctx->portal;

    if (ctx->rc != NGX_OK) {
        return ngx_http_kot_unavailable(r);
    }

    if (!ctx->login->found) {
        return ngx_http_kot_page_error(r, NGX_HTTP_CONFLICT,
                                       NGX_HTTP_KOT_MSG_PW_CHANGED_ELSEWHERE,
                                       0);
    }

    action = &pt->v[NGX_HTTP_KOT_F_MFA_ACTION];

    if (ngx_http_kot_mfa_removing(pt)) {
        return ngx_http_kot_mfa_remove(r, ctx);
    }

    if (action->len == 0
        || (action->len == 5 && ngx_strncmp(action->data, "enrol", 5) == 0))
    {
        return ngx_http_kot_mfa_enrol(r, ctx);
    }

    return ngx_http_kot_page_error(r, NGX_HTTP_BAD_REQUEST,
                                   NGX_HTTP_KOT_MSG_BAD_FORM, 0);
}


/*
 * A code from the app confirms the offered seed, with the password (see
 * ngx_http_kot_mfa_password_needed()); a user who has MFA already
 * replaces it.
 */

static ngx_int_t
ngx_http_kot_mfa_enrol(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    int                     rc;
    char                    norm[KOT_RECOVERY_CHARS + 1];
    size_t                  n;
    u_char                  seed[KOT_TOTP_SEED_LEN];
    ngx_str_t              *code;
    ngx_http_kot_portal_t  *pt = ctx->portal;

    /* the seed that the page showed is gone: show the new one */
    if (pt->mfa.created) {
        return ngx_http_kot_mfa_refused(r, ctx, "mfa_enrolled",
                                        "offer_expired", NGX_HTTP_CONFLICT,
                                        NGX_HTTP_KOT_MSG_MFA_OFFER_EXPIRED);
    }

    if (ngx_http_kot_mfa_open(r, ctx, seed) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    code = &pt->v[NGX_HTTP_KOT_F_CODE];

    rc = (kot_code_kind((char *) code->data, code->len, norm, &n)
          == KOT_CODE_TOTP)
         ? kot_totp_check(seed, sizeof(seed),
                          kot_totp_step(ngx_http_kot_now() / 1000), norm, n,
                          &pt->mfa.step)
         : 0;

    kot_cleanse(seed, sizeof(seed));
    kot_cleanse(norm, sizeof(norm));

    if (rc < 0) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc == 0) {
        return ngx_http_kot_mfa_refused(r, ctx, "mfa_enrolled", "bad_code",
                                        NGX_HTTP_BAD_REQUEST,
                                        NGX_HTTP_KOT_MSG_MFA_BAD_CODE);
    }

    if (!ngx_http_kot_mfa_password_needed(ctx)) {
        return ngx_http_kot_mfa_enrol_store(r, ctx);
    }

    return ngx_http_kot_hash(r, ctx, &ctx->login->hash,
                             &pt->v[NGX_HTTP_KOT_F_MFA_PASSWORD], NULL, NULL,
                             0, ngx_http_kot_mfa_enrol_verified);
}


static ngx_int_t
ngx_http_kot_mfa_enrol_verified(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_portal_t  *pt = ctx->portal;

    if (pt->job->verified != 1 || ctx->login->locked) {
        return ngx_http_kot_current_password_count(r, ctx,
                   ngx_http_kot_mfa_enrol_counted);
    }

    return ngx_http_kot_mfa_enrol_store(r, ctx);
}


/*
 * New recovery codes; their hashes go to Redis with the seed, the codes
 * themselves only to this page.
 */

static ngx_int_t
ngx_http_kot_mfa_enrol_store(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    char                        norm[KOT_RECOVERY_CHARS + 1];
    size_t                      n;
    u_char                     *hashes;
    ngx_uint_t                  i;
    ngx_str_t                   sid;
    ngx_http_kot_login_t       *login = ctx->login;
    ngx_http_kot_portal_t      *pt = ctx->portal;
    ngx_http_kot_redis_args_t   a;
    ngx_http_kot_mfa_codes_t   *codes;

    codes = ngx_palloc(r->pool, sizeof(ngx_http_kot_mfa_codes_t));
    hashes = ngx_pnalloc(r->pool, KOT_RECOVERY_N * KOT_RECOVERY_HASH_LEN);

    if (codes == NULL || hashes == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    for (i = 0; i < KOT_RECOVERY_N; i++) {
        if (kot_recovery_generate((char *) (*codes)[i]) != 0
            || kot_code_kind((char *) (*codes)[i], KOT_RECOVERY_LEN, norm, &n)
               != KOT_CODE_RECOVERY
            || ngx_http_kot_recovery_hash(r, ctx->login, norm, n,
                                          hashes + i * KOT_RECOVERY_HASH_LEN)
               != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    kot_cleanse(norm, sizeof(norm));

    pt->mfa.codes = *codes;

    sid.data = ctx->session.sid;
    sid.len = KOT_SID_B64_LEN;

    a.argc = 0;

    if (ngx_http_kot_mfa_keys(r, ctx, &a, 1) != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_SESSION, &sid, NULL)
           != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_USER, &login->tenant,
                                  &login->user)
           != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_USER_SESSIONS,
                                  &login->tenant, &login->user)
           != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_FAILURES, &login->tenant,
                                  &login->user)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_kot_redis_arg(&a, pt->mfa.seed.data, pt->mfa.seed.len);

    if (ngx_http_kot_redis_num(r, &a, pt->mfa.step) != NGX_OK
        || ngx_http_kot_redis_num(r, &a, ngx_http_kot_now()) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_kot_redis_arg(&a, pt->mfa.enrolled.data, pt->mfa.enrolled.len);

    if (pt->job) {
        ngx_http_kot_redis_arg(&a, login->hash.data, login->hash.len);

    } else {
        ngx_http_kot_redis_arg(&a, NULL, 0);
    }

    ngx_http_kot_redis_arg(&a, sid.data, sid.len);

    for (i = 0; i < KOT_RECOVERY_N; i++) {
        ngx_http_kot_redis_arg(&a, hashes + i * KOT_RECOVERY_HASH_LEN,
                               KOT_RECOVERY_HASH_LEN);
    }

    if (ngx_http_kot_redis_script(r, KOT_SCRIPT_MFA_ENROL,
                                  ngx_http_kot_session_ended_reply, ctx,
                                  &ctx->done, 7, &a)
        != NGX_OK)
    {
        return ngx_http_kot_unavailable(r);
    }

    return ngx_http_kot_wait(r, ctx, ngx_http_kot_mfa_enrolled);
}


static ngx_int_t
ngx_http_kot_mfa_enrolled(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_page_t      p;
    ngx_http_kot_event_t     ev;
    ngx_http_kot_portal_t   *pt = ctx->portal;
    ngx_http_kot_mfa_view_t  v;

    if (ctx->rc == NGX_ERROR) {
        return ngx_http_kot_unavailable(r);
    }

    if (ctx->rc == NGX_DECLINED && ctx->result == KOT_MFA_LOCKED) {
        return ngx_http_kot_mfa_refused(r, ctx, "mfa_enrolled", "locked",
                                        NGX_HTTP_BAD_REQUEST,
                                        NGX_HTTP_KOT_MSG_PW_CURRENT_WRONG);
    }

    if (ctx->rc == NGX_DECLINED) {
        if (ctx->result == 0 || ctx->result == -3) {
            ngx_http_kot_mfa_failed(r, ctx, "mfa_enrolled",
                                    ngx_http_kot_mfa_changed(ctx->result),
                                    NGX_HTTP_SEE_OTHER);
            return ngx_http_kot_mfa_again(r, ctx, "expired");
        }

        ngx_http_kot_mfa_failed(r, ctx, "mfa_enrolled",
                                ngx_http_kot_mfa_changed(ctx->result),
                                NGX_HTTP_CONFLICT);
        return ngx_http_kot_page_error(r, NGX_HTTP_CONFLICT,
                                     NGX_HTTP_KOT_MSG_PW_CHANGED_ELSEWHERE, 0);
    }

    ngx_memzero(&ev, sizeof(ngx_http_kot_event_t));
    ev.action = "mfa_enrolled";
    ev.category = "iam";
    ev.outcome = "success";
    ev.status = NGX_HTTP_OK;
    ev.fields = json_pack("{s:b,s:I}", "kot.mfa.replaced",
                          !ngx_http_kot_mfa_none(pt),
                          "kot.sessions_ended", (json_int_t) pt->ended);

    ngx_http_kot_event(r, &ev, "MFA %s: tenant \"%V\" user \"%V\", "
                       "other sessions ended: %i",
                       ngx_http_kot_mfa_none(pt) ? "enrolled" : "replaced",
                       &ctx->session.tenant, &ctx->session.user,
                       pt->ended);

    ngx_memzero(&p, sizeof(ngx_http_kot_page_t));
    ngx_memzero(&v, sizeof(ngx_http_kot_mfa_view_t));

    p.status = NGX_HTTP_OK;
    p.return_to = pt->return_to;
    p.msgs[p.nmsgs++] = NGX_HTTP_KOT_MSG_MFA_ENROLLED;
    ngx_http_kot_mfa_ended_msg(&p, pt->ended);

    v.codes = pt->mfa.codes;

    return ngx_http_kot_page_recovery(r, &p, &v);
}


/*
 * Removal: the password, and the policy must not require MFA.  The
 * mfa_remove script decides, atomically with the removal; the policy
 * read with the page only spares a password hash when it already
 * requires MFA.
 */

static ngx_int_t
ngx_http_kot_mfa_remove(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_portal_t  *pt = ctx->portal;

    if (ngx_http_kot_mfa_none(pt)) {
        return ngx_http_kot_mfa_again(r, ctx, NULL);
    }

    if (ctx->login->policy.mfa_required) {
        return ngx_http_kot_mfa_remove_required(r, ctx);
    }

    return ngx_http_kot_hash(r, ctx, &ctx->login->hash,
                             &pt->v[NGX_HTTP_KOT_F_MFA_PASSWORD], NULL, NULL,
                             0, ngx_http_kot_mfa_remove_verified);
}


static ngx_int_t
ngx_http_kot_mfa_remove_verified(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx)
{
    ngx_http_kot_login_t       *login = ctx->login;
    ngx_http_kot_portal_t      *pt = ctx->portal;
    ngx_http_kot_loc_conf_t    *klcf;
    ngx_http_kot_redis_args_t   a;

    if (pt->job->verified != 1 || login->locked) {
        return ngx_http_kot_current_password_count(r, ctx,
                   ngx_http_kot_mfa_remove_counted);
    }

    a.argc = 0;

    if (ngx_http_kot_mfa_keys(r, ctx, &a, 0) != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_USER, &login->tenant,
                                  &login->user)
           != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_FAILURES, &login->tenant,
                                  &login->user)
           != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_TENANT, &login->tenant,
                                  NULL)
           != NGX_OK
        || ngx_http_kot_redis_key(r, &a, KOT_KEY_USER_SESSIONS,
                                  &login->tenant, &login->user)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_kot_redis_arg(&a, pt->mfa.enrolled.data, pt->mfa.enrolled.len);
    ngx_http_kot_redis_arg(&a, login->hash.data, login->hash.len);

    klcf = ngx_http_get_module_loc_conf(r, ngx_http_kot_module);

    /* the server's own policy; the script reads the tenant's */
    if (ngx_http_kot_redis_num(r, &a, ngx_http_kot_now()) != NGX_OK
        || ngx_http_kot_redis_num(r, &a, klcf->policy.mfa_required) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the session that removes it goes on */
    ngx_http_kot_redis_arg(&a, ctx->session.sid, KOT_SID_B64_LEN);

    if (ngx_http_kot_redis_script(r, KOT_SCRIPT_MFA_REMOVE,
                                  ngx_http_kot_session_ended_reply, ctx,
                                  &ctx->done, 6, &a)
        != NGX_OK)
    {
        return ngx_http_kot_unavailable(r);
    }

    return ngx_http_kot_wait(r, ctx, ngx_http_kot_mfa_removed);
}


static ngx_int_t
ngx_http_kot_mfa_removed(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx)
{
    u_char                 *flag;
    ngx_http_kot_event_t    ev;
    ngx_http_kot_portal_t  *pt = ctx->portal;

    if (ctx->rc == NGX_ERROR) {
        return ngx_http_kot_unavailable(r);
    }

    if (ctx->rc == NGX_DECLINED && ctx->result == KOT_MFA_LOCKED) {
        return ngx_http_kot_mfa_refused(r, ctx, "mfa_removed", "locked",
                                        NGX_HTTP_BAD_REQUEST,
                                        NGX_HTTP_KOT_MSG_PW_CURRENT_WRONG);
    }

    if (ctx->rc == NGX_DECLINED && ctx->result == KOT_MFA_REQUIRED) {
        /* required since the page's policy was read: show it as it is */
        ctx->login->policy.mfa_required = 1;
        return ngx_http_kot_mfa_remove_required(r, ctx);
    }

    if (ctx->rc == NGX_DECLINED) {
        /* mfa_remove's 0 is enrol's -3: the MFA changed meanwhile */
        if (ctx->result == 0) {
            ngx_http_kot_mfa_failed(r, ctx, "mfa_removed", "mfa_changed",
                                    NGX_HTTP_SEE_OTHER);
            return ngx_http_kot_mfa_again(r, ctx, NULL);
        }

        ngx_http_kot_mfa_failed(r, ctx, "mfa_removed",
                                ngx_http_kot_mfa_changed(ctx->result),
                                NGX_HTTP_CONFLICT);
        return ngx_http_kot_page_error(r, NGX_HTTP_CONFLICT,
                                     NGX_HTTP_KOT_MSG_PW_CHANGED_ELSEWHERE, 0);
    }

    ngx_memzero(&ev, sizeof(ngx_http_kot_event_t));
    ev.action = "mfa_removed";
    ev.category = "iam";
    ev.outcome = "success";
    ev.status = NGX_HTTP_SEE_OTHER;
    ev.fields = json_pack("{s:I}", "kot.sessions_ended",
                          (json_int_t) pt->ended);

    ngx_http_kot_event(r, &ev, "MFA removed: tenant \"%V\" user \"%V\", "
                       "other sessions ended: %i", &ctx->session.tenant,
                       &ctx->session.user, pt->ended);

    /* the page after the redirect says how many other sessions ended */
    flag = ngx_pnalloc(r->pool, sizeof("removed=1&ended=") + NGX_INT_T_LEN);
    if (flag == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_sprintf(flag, "removed=1&ended=%i%Z", pt->ended);

    return ngx_http_kot_mfa_again(r, ctx, (char *) flag);
}


/* Where MFA is required, a user may not turn it off. */

static ngx_int_t
ngx_http_kot_mfa_remove_required(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx)
{
    return ngx_http_kot_mfa_refused(r, ctx, "mfa_removed", "mfa_required",
                                    NGX_HTTP_FORBIDDEN,
                                    NGX_HTTP_KOT_MSG_MFA_CANNOT_REMOVE);
}


static ngx_int_t
ngx_http_kot_mfa_enrol_counted(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx)
{
    return ngx_http_kot_mfa_counted(r, ctx, "mfa_enrolled");
}


static ngx_int_t
ngx_http_kot_mfa_remove_counted(ngx_http_request_t *r,
    ngx_http_kot_ctx_t *ctx)
{
    return ngx_http_kot_mfa_counted(r, ctx, "mfa_removed");
}


/* That a change of MFA logged the user out on their other devices. */

static void
ngx_http_kot_mfa_ended_msg(ngx_http_kot_page_t *p, ngx_int_t ended)
{
    if (ended > 0) {
        p->msgs[p->nmsgs] = NGX_HTTP_KOT_MSG_MFA_OTHERS_ENDED;
        p->nums[p->nmsgs++] = ended;
    }
}


/* Whether the user had no MFA when the page was loaded. */

static ngx_uint_t
ngx_http_kot_mfa_none(ngx_http_kot_portal_t *pt)
{
    return pt->mfa.enrolled.len == 1 && pt->mfa.enrolled.data[0] == '0';
}


/*
 * An enrolment binds an authenticator to the account, and so asks for
 * the password (NIST SP 800-63B): else a stolen session cookie would let
 * its thief enrol their own phone, and lock the user out.  The one
 * exception is the first enrolment of a session bound to enrol (the
 * tenant requires MFA): its login has just proved the password, and it
 * can do nothing else.  mfa_enrol holds the same rule, atomically.
 */

static ngx_uint_t
ngx_http_kot_mfa_password_needed(ngx_http_kot_ctx_t *ctx)
{
    return !(ngx_http_kot_mfa_none(ctx->portal) && ctx->session.enrol);
}


/* Whether the form sent is the one that removes MFA, not the enrolment. */

static ngx_uint_t
ngx_http_kot_mfa_removing(ngx_http_kot_portal_t *pt)
{
    ngx_str_t  *action = &pt->v[NGX_HTTP_KOT_F_MFA_ACTION];

    return action->len == 6 && ngx_strncmp(action->data, "remove", 6) == 0;
}


/* After a wrong password was counted: the page again, as for any. */

static ngx_int_t
ngx_http_kot_mfa_counted(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx,
    const char *action)
{
    if (ctx->rc != NGX_OK) {
        return ngx_http_kot_unavailable(r);
    }

    return ngx_http_kot_mfa_refused(r, ctx, action,
               ngx_http_kot_current_password_refused(r, ctx->login),
               NGX_HTTP_BAD_REQUEST, NGX_HTTP_KOT_MSG_PW_CURRENT_WRONG);
}


/* A refused enrolment or removal: recorded, and the page again. */

static ngx_int_t
ngx_http_kot_mfa_refused(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx,
    const char *action, const char *reason, ngx_uint_t status,
    ngx_http_kot_msg_t msg)
{
    ngx_http_kot_mfa_failed(r, ctx, action, reason, status);

    return ngx_http_kot_mfa_page(r, ctx, status, msg);
}


/* The record of an enrolment or removal that changed nothing. */

static void
ngx_http_kot_mfa_failed(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx,
    const char *action, const char *reason, ngx_uint_t status)
{
    ngx_http_kot_event_t  ev;

    ngx_memzero(&ev, sizeof(ngx_http_kot_event_t));
    ev.action = action;
    ev.category = "iam";
    ev.outcome = "failure";
    ev.reason = reason;
    ev.status = status;

    ngx_http_kot_event(r, &ev, "%s refused: tenant \"%V\" user \"%V\": %s",
                       action, &ctx->session.tenant, &ctx->session.user,
                       reason);
}


/* Why mfa_enrol or mfa_remove changed nothing (kot_scripts.c). */

static const char *
ngx_http_kot_mfa_changed(ngx_int_t result)
{
    switch (result) {

    case 0:
        return "offer_expired";

    case -1:
        return "session_ended";

    case -2:
        return "user_deleted";

    case -3:
        return "mfa_changed";

    default:
        return "password_changed";
    }
}


/* 303 to the enrolment page, which shows how things stand now. */

static ngx_int_t
ngx_http_kot_mfa_again(ngx_http_request_t *r, ngx_http_kot_ctx_t *ctx,
    const char *flag)
{
    ngx_http_kot_portal_t  *pt = ctx->portal;

    return ngx_http_kot_goto_portal(r, "mfa", &pt->return_to, flag);
}
