/*
 * kotctl: the per-address login throttle (kot_login_throttle).
 *
 *     kotctl throttle status|clear ADDR
 *
 * An address is throttled in th:{bucket}, named by kot_cidr_bucket() as
 * the module names it: an IPv4 address (however spelt), or the IPv6 /64
 * that holds an address; an IPv6 address also in th:{site}, its /48,
 * named by kot_cidr_site() (kot_login_throttle's ipv6_site).  Status
 * shows both, and clear clears both: an attempt needs a token from each.
 * "user unlock" ends an account's lock, not an address's throttle: after
 * a burst of failures from an office, the office's address stays
 * throttled until its bucket refills or it is cleared here.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "kotctl.h"
#include "kot_cidr.h"
#include "kot_scripts.h"


typedef struct {
    const char  *addr;                        /* as given */
    char         bucket[KOT_CIDR_BUCKET_MAX];
    char        *key;                         /* th:{bucket} */
    char         site[KOT_CIDR_BUCKET_MAX];   /* IPv6: its /48; else "" */
    char        *site_key;                    /* th:{site}, or NULL */
} kotctl_throttle_t;

/* a bucket as the throttle_status script described it */
typedef struct {
    int          state;         /* KOTCTL_THROTTLE_* */
    long long    until;         /* throttled until (ms); 0: not */
    double       tokens;
    long long    rate;          /* a minute */
    long long    burst;
    long long    last;          /* the last attempt counted (ms) */
} kotctl_throttle_state_t;

#define KOTCTL_THROTTLE_NONE     0  /* no recent attempt: a full bucket */
#define KOTCTL_THROTTLE_KNOWN    1
#define KOTCTL_THROTTLE_UNKNOWN  2  /* rate not named; until: full again */


static int kotctl_throttle_addr(const char *text, kotctl_throttle_t *th);
static int kotctl_throttle_status(kotctl_t *k, kotctl_throttle_t *th);
static int kotctl_throttle_get(kotctl_t *k, const char *key,
    kotctl_throttle_state_t *st);
static void kotctl_throttle_state(redisReply *r,
    kotctl_throttle_state_t *st);
static void kotctl_throttle_show(kotctl_throttle_state_t *st,
    kotctl_throttle_t *th);
static json_t *kotctl_throttle_json(kotctl_throttle_state_t *st,
    const char *bucket);
static int kotctl_throttle_clear(kotctl_t *k, kotctl_throttle_t *th);
static void kotctl_throttle_cleared(const char *bucket, long long n);


int
kotctl_throttle(kotctl_t *k, int argc, char **argv)
{
    int                rc;
    kotctl_throttle_t  th;

    if (argc != 2 || (strcmp(argv[0], "status") != 0
                      && strcmp(argv[0], "clear") != 0))
    {
        kotctl_usage_of(stderr, "throttle");
        return KOTCTL_USAGE;
    }

    rc = kotctl_throttle_addr(argv[1], &th);
    if (rc != KOTCTL_OK) {
        return rc;
    }

    if (argv[0][0] == 'c' && kotctl_no_json(k, "clear") != KOTCTL_OK) {
        return KOTCTL_USAGE;
    }

    rc = kotctl_connect(k);
    if (rc != KOTCTL_OK) {
        return rc;
    }

    return (argv[0][0] == 's') ? kotctl_throttle_status(k, &th)
                               : kotctl_throttle_clear(k, &th);
}


/*
 * An address as nginx would see it: "192.0.2.10", "::ffff:192.0.2.10",
 * "2001:db8::1", or an IPv6 /64 ("2001:db8:1:2::/64"), which is what a
 * bucket of IPv6 clients covers (and its /48 follows from it).  Anything
 * wider would name more than one bucket.
 */

static int
kotctl_throttle_addr(const char *text, kotctl_throttle_t *th)
{
    int         rc;
    char        reason[KOT_CIDR_REASON_MAX];
    kot_cidr_t  c;

    th->addr = text;

    rc = kot_cidr_parse(text, strlen(text), &c);

    if (rc != KOT_CIDR_OK) {
        kot_cidr_reason(rc, &c, reason, sizeof(reason));
        kotctl_error("\"%.64s\" is not an address: %s", text, reason);
        return KOTCTL_USAGE;
    }

    if ((c.family == AF_INET && c.prefix != 32)
        || (c.family == AF_INET6 && c.prefix < 64))
    {
        kotctl_error("\"%s\" is a network: the throttle counts each IPv4 "
                     "address, and each IPv6 /64 and its /48; give one "
                     "address (or its /64)", text);
        return KOTCTL_USAGE;
    }

    if (kot_cidr_bucket(c.family, c.addr, th->bucket, sizeof(th->bucket))
        == 0)
    {
        kotctl_error("\"%s\" has no throttle bucket", text);
        return KOTCTL_FAIL;
    }

    th->key = kotctl_key(KOT_KEY_THROTTLE, th->bucket, NULL);
    th->site_key = NULL;

    if (kot_cidr_site(c.family, c.addr, th->site, sizeof(th->site)) == 0) {
        th->site[0] = '\0';

    } else {
        th->site_key = kotctl_key(KOT_KEY_THROTTLE, th->site, NULL);
    }

    return KOTCTL_OK;
}


/*
 * The address's bucket and, for IPv6, its /48's: an attempt goes on only
 * if both have a token.
 */

static int
kotctl_throttle_status(kotctl_t *k, kotctl_throttle_t *th)
{
    json_t                   *doc, *bucket;
    kotctl_throttle_state_t   st, site;

    if (kotctl_throttle_get(k, th->key, &st) != KOTCTL_OK
        || (th->site_key
            && kotctl_throttle_get(k, th->site_key, &site) != KOTCTL_OK))
    {
        return KOTCTL_FAIL;
    }

    if (k->json) {
        doc = json_pack("{s:s}", "address", th->addr);
        bucket = kotctl_throttle_json(&st, th->bucket);
        json_object_update(doc, bucket);
        json_decref(bucket);
        json_object_set_new(doc, "site", th->site_key
                                         ? kotctl_throttle_json(&site,
                                                                th->site)
                                         : json_null());
        return kotctl_json_print(doc);
    }

    kotctl_print(stdout, "address:       %s\n", th->addr);

    if (strcmp(th->addr, th->bucket) != 0) {
        kotctl_print(stdout, "counted as:    %s\n", th->bucket);
    }

    kotctl_throttle_show(&st, th);

    if (th->site_key) {
        kotctl_print(stdout, "and in:        %s\n", th->site);
        kotctl_throttle_show(&site, th);
    }

    return KOTCTL_OK;
}


/* The state of the bucket at key, by the throttle_status script. */

static int
kotctl_throttle_get(kotctl_t *k, const char *key,
    kotctl_throttle_state_t *st)
{
    char         now[24];
    const char  *args[2];
    redisReply  *r;

    snprintf(now, sizeof(now), "%llu", (unsigned long long) kotctl_now());

    args[0] = key;
    args[1] = now;

    r = kotctl_eval(k, KOT_SCRIPT_THROTTLE_STATUS, 1, 2, args);
    if (r == NULL) {
        return KOTCTL_FAIL;
    }

    if (r->type != REDIS_REPLY_ARRAY || r->elements < 1
        || r->element[0]->type != REDIS_REPLY_INTEGER)
    {
        return kotctl_unexpected(k, r);
    }

    kotctl_throttle_state(r, st);
    freeReplyObject(r);

    return KOTCTL_OK;
}


/*
 * The reply of the throttle_status script: no bucket (a full one), a
 * bucket, or one that does not name its rate (written by an earlier
 * ngx_kot), of which only the time when it is full again is known.
 */

static void
kotctl_throttle_state(redisReply *r, kotctl_throttle_state_t *st)
{
    uint64_t      now;
    long long     ms;
    redisReply  **e;

    e = r->element;
    now = kotctl_now();
    memset(st, 0, sizeof(kotctl_throttle_state_t));

    if (e[0]->integer == 0) {
        st->state = KOTCTL_THROTTLE_NONE;
        return;
    }

    if (e[0]->integer == 2 || r->elements != 6
        || e[1]->type != REDIS_REPLY_STRING
        || e[2]->type != REDIS_REPLY_INTEGER
        || e[3]->type != REDIS_REPLY_INTEGER
        || e[4]->type != REDIS_REPLY_INTEGER
        || e[5]->type != REDIS_REPLY_INTEGER)
    {
        ms = (r->elements > 1 && e[1]->type == REDIS_REPLY_INTEGER)
             ? e[1]->integer : 0;
        st->state = KOTCTL_THROTTLE_UNKNOWN;
        st->until = now + (ms > 0 ? ms : 0);
        return;
    }

    st->state = KOTCTL_THROTTLE_KNOWN;
    st->until = e[2]->integer > 0 ? now + e[2]->integer : 0;
    st->tokens = strtod(e[1]->str, NULL);
    st->rate = e[3]->integer;
    st->burst = e[4]->integer;
    st->last = e[5]->integer;
}


/*
 * A bucket as JSON: {"counted_as", "throttled", "until", "tokens",
 * "burst", "rate", "last_attempt"}; "throttled" is null when the bucket
 * does not name its rate, and "until" is then when it is full again.
 */

static json_t *
kotctl_throttle_json(kotctl_throttle_state_t *st, const char *bucket)
{
    json_t  *doc;

    doc = json_pack("{s:s}", "counted_as", bucket);

    if (doc == NULL || st->state == KOTCTL_THROTTLE_NONE) {
        json_object_set_new(doc, "throttled", json_false());
        json_object_set_new(doc, "until", json_null());
        return doc;
    }

    json_object_set_new(doc, "throttled",
                        st->state == KOTCTL_THROTTLE_UNKNOWN
                        ? json_null() : json_boolean(st->until != 0));
    json_object_set_new(doc, "until", kotctl_json_time(st->until));

    if (st->state == KOTCTL_THROTTLE_KNOWN) {
        json_object_set_new(doc, "tokens", json_real(st->tokens));
        json_object_set_new(doc, "burst", json_integer(st->burst));
        json_object_set_new(doc, "rate", json_integer(st->rate));
        json_object_set_new(doc, "last_attempt", kotctl_json_time(st->last));
    }

    return doc;
}


/* The same, for a person. */

static void
kotctl_throttle_show(kotctl_throttle_state_t *st, kotctl_throttle_t *th)
{
    char       t[KOT_RFC3339_LEN];
    long long  wait;

    if (st->state == KOTCTL_THROTTLE_NONE) {
        printf("throttled:     no (no recent login attempts)\n");
        return;
    }

    kotctl_time((uint64_t) st->until, t, sizeof(t));

    if (st->state == KOTCTL_THROTTLE_UNKNOWN) {
        printf("throttled:     perhaps (the bucket does not name its "
               "rate); full again by %s\n", t);
        kotctl_print(stdout, "clear it with: kotctl throttle clear %s\n",
                     th->bucket);
        return;
    }

    if (st->until) {
        wait = st->until - (long long) kotctl_now();
        printf("throttled:     yes, until %s (%lld s)\n", t,
               (wait > 0 ? wait + 999 : 0) / 1000);

    } else {
        printf("throttled:     no\n");
    }

    printf("attempts left: %.1f of %lld, %lld more a minute\n",
           st->tokens, st->burst, st->rate);

    kotctl_time((uint64_t) st->last, t, sizeof(t));
    printf("last attempt:  %s\n", t);

    if (st->until) {
        kotctl_print(stdout, "clear it with: kotctl throttle clear %s\n",
                     th->bucket);
    }
}


/*
 * Gives the address full buckets at once, its /48's too, as if it had
 * not tried for a while; the accounts it tried keep their failures and
 * locks.  Nothing to clear is recorded nowhere.
 */

static int
kotctl_throttle_clear(kotctl_t *k, kotctl_throttle_t *th)
{
    json_t       *change;
    long long     n, site;
    const char   *args[2];
    redisReply   *r;

    if (kotctl_change_ready(k) != KOTCTL_OK) {
        return KOTCTL_FAIL;
    }

    args[0] = th->key;
    args[1] = th->site_key;

    r = kotctl_eval(k, KOT_SCRIPT_THROTTLE_CLEAR, th->site_key ? 2 : 1,
                    th->site_key ? 2 : 1, args);
    if (r == NULL) {
        return KOTCTL_FAIL;
    }

    if (!kotctl_row_ok(r, th->site_key ? 2 : 1, 0)) {
        return kotctl_unexpected(k, r);
    }

    n = r->element[0]->integer;
    site = th->site_key ? r->element[1]->integer : 0;
    freeReplyObject(r);

    kotctl_throttle_cleared(th->bucket, n);

    if (th->site_key) {
        kotctl_throttle_cleared(th->site, site);
    }

    if (n == 0 && site == 0) {
        return KOTCTL_OK;
    }

    change = json_pack("{s:s,s:s,s:b}", "address", th->addr, "counted_as",
                       th->bucket, "cleared", n > 0);

    if (change && th->site_key) {
        json_object_set_new(change, "site", json_string(th->site));
        json_object_set_new(change, "site_cleared", json_boolean(site > 0));
    }

    return kotctl_audit_event(k, "throttle_cleared", "iam", NULL, NULL,
                              change)
           == 0 ? KOTCTL_OK : KOTCTL_FAIL;
}


static void
kotctl_throttle_cleared(const char *bucket, long long n)
{
    if (n) {
        kotctl_print(stdout, "login throttle of %s cleared: it may try "
                     "again at once\n", bucket);

    } else {
        kotctl_print(stdout, "no recent login attempts from %s: nothing to "
                     "clear\n", bucket);
    }
}
