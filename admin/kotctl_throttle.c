/*
 * kotctl: the per-address login throttle (kot_login_throttle).
 *
 *     kotctl throttle status|clear ADDR
 *
 * An address is throttled in th:{bucket}, named by kot_cidr_bucket() as
 * the module names it: an IPv4 address (however spelt), or the IPv6 /64
 * that holds an address.  "user unlock" ends an account's lock, not an
 * address's throttle: after a burst of failures from an office, the
 * office's address stays throttled until its bucket refills or it is
 * cleared here.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "kotctl.h"
#include "kot_cidr.h"
#include "kot_scripts.h"


#define KOTCTL_THROTTLE_USAGE                                               \
    "usage: kotctl throttle status|clear ADDR"

typedef struct {
    const char  *addr;                        /* as given */
    char         bucket[KOT_CIDR_BUCKET_MAX];
    char        *key;                         /* th:{bucket} */
} kotctl_throttle_t;


static int kotctl_throttle_addr(const char *text, kotctl_throttle_t *th);
static int kotctl_throttle_status(kotctl_t *k, kotctl_throttle_t *th);
static void kotctl_throttle_show(redisReply *r, kotctl_throttle_t *th);
static json_t *kotctl_throttle_json(redisReply *r, kotctl_throttle_t *th);
static int kotctl_throttle_clear(kotctl_t *k, kotctl_throttle_t *th);


int
kotctl_throttle(kotctl_t *k, int argc, char **argv)
{
    int                rc;
    kotctl_throttle_t  th;

    if (argc != 2 || (strcmp(argv[0], "status") != 0
                      && strcmp(argv[0], "clear") != 0))
    {
        kotctl_error(KOTCTL_THROTTLE_USAGE);
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
 * bucket of IPv6 clients covers.  Anything wider would name more than
 * one bucket.
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
                     "address and each IPv6 /64; give one address",
                     text);
        return KOTCTL_USAGE;
    }

    if (kot_cidr_bucket(c.family, c.addr, th->bucket, sizeof(th->bucket))
        == 0)
    {
        kotctl_error("\"%s\" has no throttle bucket", text);
        return KOTCTL_FAIL;
    }

    th->key = kotctl_key(KOT_KEY_THROTTLE, th->bucket, NULL);

    return KOTCTL_OK;
}


static int
kotctl_throttle_status(kotctl_t *k, kotctl_throttle_t *th)
{
    char         now[24];
    json_t      *doc;
    const char  *args[2];
    redisReply  *r;

    snprintf(now, sizeof(now), "%llu", (unsigned long long) kotctl_now());

    args[0] = th->key;
    args[1] = now;

    r = kotctl_eval(k, KOT_SCRIPT_THROTTLE_STATUS, 1, 2, args);
    if (r == NULL) {
        return KOTCTL_FAIL;
    }

    if (r->type != REDIS_REPLY_ARRAY || r->elements < 1
        || r->element[0]->type != REDIS_REPLY_INTEGER)
    {
        kotctl_error("unexpected reply from redis at %s", k->redis);
        freeReplyObject(r);
        return KOTCTL_FAIL;
    }

    if (k->json) {
        doc = kotctl_throttle_json(r, th);
        freeReplyObject(r);
        return kotctl_json_print(doc);
    }

    printf("address:       %s\n", th->addr);

    if (strcmp(th->addr, th->bucket) != 0) {
        printf("counted as:    %s\n", th->bucket);
    }

    kotctl_throttle_show(r, th);

    freeReplyObject(r);

    return KOTCTL_OK;
}


/*
 * The same as JSON: {"address", "counted_as", "throttled", "until",
 * "tokens", "burst", "rate", "last_attempt"}; "throttled" is null when
 * the bucket does not name its rate (written by an earlier ngx_kot).
 */

static json_t *
kotctl_throttle_json(redisReply *r, kotctl_throttle_t *th)
{
    json_t       *doc;
    uint64_t      now;
    long long     ms;
    redisReply  **e;

    e = r->element;
    now = kotctl_now();

    doc = json_pack("{s:s, s:s}", "address", th->addr, "counted_as",
                    th->bucket);

    if (doc == NULL || e[0]->integer == 0) {
        json_object_set_new(doc, "throttled", json_false());
        json_object_set_new(doc, "until", json_null());
        return doc;
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
        json_object_set_new(doc, "throttled", json_null());
        json_object_set_new(doc, "until",
                            kotctl_json_time(now + (ms > 0 ? ms : 0)));
        return doc;
    }

    json_object_set_new(doc, "throttled", json_boolean(e[2]->integer > 0));
    json_object_set_new(doc, "until", e[2]->integer > 0
                        ? kotctl_json_time(now + e[2]->integer)
                        : json_null());
    json_object_set_new(doc, "tokens", json_real(strtod(e[1]->str, NULL)));
    json_object_set_new(doc, "burst", json_integer(e[4]->integer));
    json_object_set_new(doc, "rate", json_integer(e[3]->integer));
    json_object_set_new(doc, "last_attempt",
                        kotctl_json_time(e[5]->integer));

    return doc;
}


/* The reply of the throttle_status script, for a person. */

static void
kotctl_throttle_show(redisReply *r, kotctl_throttle_t *th)
{
    char          t[32];
    long long     wait, rate, burst, ms;
    redisReply  **e;

    e = r->element;

    if (e[0]->integer == 0) {
        printf("throttled:     no (no recent login attempts)\n");
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
        kotctl_time(kotctl_now() + (ms > 0 ? ms : 0), t, sizeof(t));
        printf("throttled:     perhaps (the bucket does not name its "
               "rate); full again by %s\n", t);
        printf("clear it with: kotctl throttle clear %s\n", th->bucket);
        return;
    }

    wait = e[2]->integer;
    rate = e[3]->integer;
    burst = e[4]->integer;

    if (wait > 0) {
        kotctl_time(kotctl_now() + wait, t, sizeof(t));
        printf("throttled:     yes, until %s (%lld s)\n", t,
               (wait + 999) / 1000);

    } else {
        printf("throttled:     no\n");
    }

    printf("attempts left: %.1f of %lld, %lld more a minute\n",
           strtod(e[1]->str, NULL), burst, rate);

    kotctl_time((uint64_t) e[5]->integer, t, sizeof(t));
    printf("last attempt:  %s\n", t);

    if (wait > 0) {
        printf("clear it with: kotctl throttle clear %s\n", th->bucket);
    }
}


/*
 * Gives the address a full bucket at once, as if it had not tried for a
 * while; the accounts it tried keep their failures and locks.
 */

static int
kotctl_throttle_clear(kotctl_t *k, kotctl_throttle_t *th)
{
    long long    n;
    const char  *args[1];
    redisReply  *r;

    if (kotctl_audit_ready(k) != KOTCTL_OK) {
        return KOTCTL_FAIL;
    }

    args[0] = th->key;

    r = kotctl_eval(k, KOT_SCRIPT_THROTTLE_CLEAR, 1, 1, args);
    if (r == NULL) {
        return KOTCTL_FAIL;
    }

    n = (r->type == REDIS_REPLY_INTEGER) ? r->integer : 0;
    freeReplyObject(r);

    if (n) {
        printf("login throttle of %s cleared: it may try again at once\n",
               th->bucket);

    } else {
        printf("no recent login attempts from %s: nothing to clear\n",
               th->bucket);
    }

    return kotctl_audit_event(k, "throttle_cleared", "iam", NULL, NULL,
                              json_pack("{s:s,s:s,s:b}", "address",
                                        th->addr, "counted_as", th->bucket,
                                        "cleared", n > 0))
           == 0 ? KOTCTL_OK : KOTCTL_FAIL;
}
