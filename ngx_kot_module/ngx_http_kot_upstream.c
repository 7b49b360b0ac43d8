
/*
 * ngx_kot: what the application behind it sees.  ngx_kot's cookies stay
 * between the browser and ngx_kot: they are removed from the request
 * headers that go upstream, and an upstream's Set-Cookie for one of
 * their names never reaches the browser (unless kot_pass_session_cookie
 * is on).  kot_identity_headers adds the user's identity to the request
 * headers themselves, so that every upstream module passes it on
 * whatever its own *_set_header or *_param directives say.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_kot_module.h"


typedef struct {
    ngx_str_t                   name;
    u_char                     *lowcase;
    ngx_uint_t                  hash;
} ngx_http_kot_identity_header_t;


static ngx_int_t ngx_http_kot_header_named(ngx_table_elt_t *h,
    const char *name, size_t len);
static ngx_int_t ngx_http_kot_is_cookie(ngx_table_elt_t *h);
static ngx_int_t ngx_http_kot_cookies_keep(ngx_http_request_t *r);
static ngx_int_t ngx_http_kot_header_remove(ngx_http_request_t *r,
    ngx_table_elt_t *h);
static ngx_int_t ngx_http_kot_identity_present(ngx_http_request_t *r);
static ngx_int_t ngx_http_kot_set_cookie_filter(ngx_http_request_t *r);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;


/* in the order of ngx_http_kot_identity_headers()'s values */
static ngx_http_kot_identity_header_t  ngx_http_kot_identity[] = {
    { ngx_string("X-Kot-User"), (u_char *) "x-kot-user", 0 },
    { ngx_string("X-Kot-Tenant"), (u_char *) "x-kot-tenant", 0 },
    { ngx_string("X-Kot-Roles"), (u_char *) "x-kot-roles", 0 },
    { ngx_string("X-Kot-Session"), (u_char *) "x-kot-session", 0 },
};


ngx_int_t
ngx_http_kot_upstream_init(ngx_conf_t *cf)
{
    ngx_uint_t  i;

    for (i = 0; i < sizeof(ngx_http_kot_identity)
                    / sizeof(ngx_http_kot_identity[0]); i++)
    {
        ngx_http_kot_identity[i].hash =
            ngx_hash_key(ngx_http_kot_identity[i].lowcase,
                         ngx_http_kot_identity[i].name.len);
    }

    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_kot_set_cookie_filter;

    return NGX_OK;
}


/*
 * Removes ngx_kot's cookies from the Cookie headers that go upstream,
 * for the main request, before its content handler (proxy_pass,
 * fastcgi_pass...) copies the headers.  ngx_kot itself, and $cookie_*,
 * read r->headers_in.cookies: it keeps the values the client sent, so
 * that an internal redirect (try_files, error_page) into another
 * "kot on" location still finds the session.  A request without
 * ngx_kot's cookies costs a look at each Cookie header.
 */

ngx_int_t
ngx_http_kot_cookies_strip(ngx_http_request_t *r)
{
    size_t                    n;
    u_char                   *p;
    ngx_uint_t                i, kept, removed;
    ngx_list_part_t          *part;
    ngx_table_elt_t          *h, **c;
    ngx_http_kot_loc_conf_t  *klcf;

    klcf = ngx_http_get_module_loc_conf(r, ngx_http_kot_module);

    if (klcf->pass_cookie || klcf->portal.len || klcf->admin.len) {
        return NGX_DECLINED;
    }

    c = r->headers_in.cookies.elts;

    for (i = 0; i < r->headers_in.cookies.nelts; i++) {
        if (kot_cookie_maybe_ours((char *) c[i]->value.data,
                                  c[i]->value.len))
        {
            break;
        }
    }

    if (i == r->headers_in.cookies.nelts) {
        return NGX_DECLINED;
    }

    kept = 0;
    removed = 0;
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

        if (!ngx_http_kot_is_cookie(&h[i])
            || !kot_cookie_maybe_ours((char *) h[i].value.data,
                                      h[i].value.len))
        {
            continue;
        }

        p = ngx_pnalloc(r->pool, 2 * h[i].value.len);
        if (p == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        n = kot_cookie_strip((char *) h[i].value.data, h[i].value.len,
                             (char *) p);

        /* "kot_" in an application's cookie: nothing to do */
        if (n == h[i].value.len) {
            continue;
        }

        if (!kept++ && ngx_http_kot_cookies_keep(r) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        h[i].value.data = p;
        h[i].value.len = n;

        if (n == 0 && ngx_http_kot_header_remove(r, &h[i]) != NGX_OK) {
            removed++;
        }
    }

    if (removed && ngx_http_kot_headers_compact(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_DECLINED;
}


/* Whether h is the header "name" (lowercase, of len characters). */

static ngx_int_t
ngx_http_kot_header_named(ngx_table_elt_t *h, const char *name, size_t len)
{
    return h->hash != 0 && h->key.len == len
           && ngx_strncasecmp(h->key.data, (u_char *) name, len) == 0;
}


/*
 * A Cookie request header: nginx gives every request header its name in
 * lowercase, so the name is one comparison of six bytes.
 */

static ngx_int_t
ngx_http_kot_is_cookie(ngx_table_elt_t *h)
{
    return h->hash != 0 && h->key.len == 6
           && ngx_memcmp(h->lowcase_key, "cookie", 6) == 0;
}


/*
 * Removes the emptied request header h, which nothing in r->headers_in
 * points to any more (ngx_http_kot_cookies_keep()), without rebuilding
 * the list, when that moves no header that r->headers_in (host, ...)
 * may point to: h is the list's last element, or the last is one of
 * ngx_kot's identity headers, which takes h's place (the order of the
 * headers means nothing to HTTP).  Otherwise h is marked (hash 0) for
 * ngx_http_kot_headers_compact(), and NGX_DECLINED says so.
 */

static ngx_int_t
ngx_http_kot_header_remove(ngx_http_request_t *r, ngx_table_elt_t *h)
{
    ngx_uint_t        i;
    ngx_list_part_t  *last;
    ngx_table_elt_t  *tail;

    last = r->headers_in.headers.last;

    if (last->nelts == 0) {
        h->hash = 0;
        return NGX_DECLINED;
    }

    tail = (ngx_table_elt_t *) last->elts + last->nelts - 1;

    if (tail != h) {
        for (i = 0; i < sizeof(ngx_http_kot_identity)
                        / sizeof(ngx_http_kot_identity[0]); i++)
        {
            if (tail->lowcase_key == ngx_http_kot_identity[i].lowcase) {
                break;
            }
        }

        if (i == sizeof(ngx_http_kot_identity)
                 / sizeof(ngx_http_kot_identity[0]))
        {
            h->hash = 0;
            return NGX_DECLINED;
        }

        *h = *tail;
    }

    last->nelts--;

    return NGX_OK;
}


/*
 * Points r->headers_in.cookies at copies of the headers, before the
 * headers themselves are changed.
 */

static ngx_int_t
ngx_http_kot_cookies_keep(ngx_http_request_t *r)
{
    ngx_uint_t         i;
    ngx_table_elt_t  **c, *copy;

    c = r->headers_in.cookies.elts;

    copy = ngx_palloc(r->pool,
                      r->headers_in.cookies.nelts * sizeof(ngx_table_elt_t));
    if (copy == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < r->headers_in.cookies.nelts; i++) {
        copy[i] = *c[i];
        c[i] = &copy[i];
    }

    return NGX_OK;
}


/*
 * kot_identity_headers on: the session's identity as request headers of
 * the main request, which proxy_pass, grpc_pass (as they are), and
 * fastcgi_pass, uwsgi_pass, scgi_pass (as HTTP_X_KOT_* params) send
 * upstream with the client's, unless *_pass_request_headers is off or a
 * *_set_header or *_param of the same name replaces one.  The client's
 * own X-Kot-* are gone by now (kot_strip_identity).  An empty value
 * (no roles) is left out, as proxy_set_header leaves it out.
 */

ngx_int_t
ngx_http_kot_identity_headers(ngx_http_request_t *r,
    ngx_http_kot_session_t *s)
{
    ngx_str_t                 value[4];
    ngx_uint_t                i, n, room;
    ngx_list_part_t          *last;
    ngx_table_elt_t          *h, *e;
    ngx_http_kot_loc_conf_t  *klcf;

    klcf = ngx_http_get_module_loc_conf(r, ngx_http_kot_module);

    /* a subrequest shares its parent's header list: it inherits them */
    if (!klcf->identity_headers || r != r->main) {
        return NGX_OK;
    }

    /* after an internal redirect, the first location may have set them */
    if (r->internal && ngx_http_kot_identity_present(r)) {
        return NGX_OK;
    }

    value[0] = s->user;
    value[1] = s->tenant;
    value[2] = s->roles;
    value[3].data = s->sid;
    value[3].len = KOT_SID_SHORT_LEN;

    n = 0;

    for (i = 0; i < 4; i++) {
        n += (value[i].len != 0);
    }

    /*
     * in one step when the last part of the list has room, as it has
     * unless the client sent nearly 20 headers (nginx makes 20 a part)
     */
    last = r->headers_in.headers.last;
    room = (r->headers_in.headers.nalloc - last->nelts >= n);
    h = (ngx_table_elt_t *) last->elts + last->nelts;

    if (room) {
        last->nelts += n;
    }

    for (i = 0; i < 4; i++) {

        if (value[i].len == 0) {
            continue;
        }

        e = room ? h++ : ngx_list_push(&r->headers_in.headers);
        if (e == NULL) {
            return NGX_ERROR;
        }

        e->hash = ngx_http_kot_identity[i].hash;
        e->key = ngx_http_kot_identity[i].name;
        e->lowcase_key = ngx_http_kot_identity[i].lowcase;
        e->value = value[i];
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_kot_identity_present(ngx_http_request_t *r)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return 0;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].hash == ngx_http_kot_identity[0].hash
            && h[i].lowcase_key == ngx_http_kot_identity[0].lowcase)
        {
            return 1;
        }
    }
}


/*
 * An upstream's Set-Cookie for one of ngx_kot's names would replace the
 * browser's session (or clear it): it is not sent.  nginx skips a
 * response header whose hash is 0.
 *
 * The headers are looked at when the upstream set cookies, and after an
 * internal redirect: after an X-Accel-Redirect nginx keeps the first
 * upstream's Set-Cookie in r->headers_out, and a second upstream (the
 * redirect's location) starts with no cookies of its own.  Other
 * responses, most of them, are not scanned.  An upstream's header has
 * the hash of its name; the headers that nginx and ngx_kot add
 * themselves (ngx_http_kot_set_cookie()) have hash 1, and ngx_kot's own
 * are kept.
 */

static ngx_int_t
ngx_http_kot_set_cookie_filter(ngx_http_request_t *r)
{
    ngx_uint_t                i;
    ngx_list_part_t          *part;
    ngx_table_elt_t          *h;
    ngx_http_kot_loc_conf_t  *klcf;

    if (r->upstream == NULL
        || (r->upstream->headers_in.cookies.nelts == 0 && !r->internal))
    {
        return ngx_http_next_header_filter(r);
    }

    klcf = ngx_http_get_module_loc_conf(r, ngx_http_kot_module);

    if (klcf->pass_cookie) {
        return ngx_http_next_header_filter(r);
    }

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

        if (h[i].hash != 1
            && ngx_http_kot_header_named(&h[i], "set-cookie", 10)
            && kot_cookie_sets_ours((char *) h[i].value.data,
                                    h[i].value.len))
        {
            h[i].hash = 0;

            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "kot: dropped the upstream's Set-Cookie for a "
                          "cookie of ngx_kot (kot_pass_session_cookie "
                          "is off)");
        }
    }

    return ngx_http_next_header_filter(r);
}
