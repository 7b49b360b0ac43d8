/*
 * kotctl notify: the delivery daemon of notifications (README.md,
 * "Notifications").  nginx and kotctl append events to the stream
 * kot:v1:notify; this reads it in the consumer group "kot-notify" and
 * POSTs each event, as JSON, to its tenant's webhook or to --webhook.
 *
 * Delivery is at least once: an event is acknowledged (XACK) only after
 * a 2xx.  Until then it stays in the group's pending list, which is all
 * the state there is: the number of deliveries Redis counts is the
 * number of attempts, and the time since the last one says when the next
 * is due.  So a daemon killed mid-way, or another daemon, picks up where
 * it left off.
 *
 * Posts to different webhooks go at once (libcurl's multi interface),
 * each webhook's one at a time, in the order their events were read:
 * a receiver that answers slowly delays its own events only.
 *
 * A post to a tenant's own webhook is signed with the tenant's key
 * (kot_notify_tenant_key(), which "kotctl notify key TENANT" prints),
 * never with the key file's: every tenant's receiver holds its key, and
 * must not be able to sign as the daemon to another's or to --webhook.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include "kotctl.h"
#include "kot_crypto.h"
#include "kot_notify.h"
#include "kot_scripts.h"


#define KOTCTL_NOTIFY_BATCH        16       /* new events read at once */
#define KOTCTL_NOTIFY_PAGE         100      /* pending events, per XPENDING */
#define KOTCTL_NOTIFY_SCAN         1000     /* ... and per round */
#define KOTCTL_NOTIFY_BLOCK_MS     1000
#define KOTCTL_NOTIFY_TIMEOUT_SEC  10
/* another consumer's event is taken over after this long without news */
#define KOTCTL_NOTIFY_STUCK        60       /* seconds */
#define KOTCTL_NOTIFY_MAX_BACKOFF  86400    /* seconds: a day */
#define KOTCTL_NOTIFY_SECONDS_MAX  86400    /* of either option */
#define KOTCTL_NOTIFY_KEY_MIN      16
#define KOTCTL_NOTIFY_KEY_MAX      4096
/* a webhook whose post failed this slowly is stalled */
#define KOTCTL_NOTIFY_SLOW_MS      2000
#define KOTCTL_NOTIFY_STALLED      16       /* such webhooks at once */
/* posts under way at once, each to another webhook */
#define KOTCTL_NOTIFY_PARALLEL     64
/* events waiting their post, per webhook and in all */
#define KOTCTL_NOTIFY_QUEUE        1000
#define KOTCTL_NOTIFY_QUEUED       4000
/* while posts are under way, new events are looked for this often */
#define KOTCTL_NOTIFY_TICK_MS      100
/* an event that waited its turn longer looks its webhook up again */
#define KOTCTL_NOTIFY_RECHECK_MS   1000


/*
 * A stalled webhook: a post to it took KOTCTL_NOTIFY_SLOW_MS or more to
 * fail (it hangs, trickles, or is unreachable).  Its other events wait,
 * not attempted, until the daemon has been through the retries due and
 * through the new events read after the post; then the next due is
 * tried.  The posts to the other webhooks go on meanwhile, as they do
 * while a post to it is under way: this spares a receiver that does not
 * answer a post for each of its events, 10 s each, and the events their
 * attempts.
 */
typedef struct {
    char       *url;
    unsigned    phases;                         /* ends still to come */
} kotctl_notify_stalled_t;


typedef struct kotctl_notify_s       kotctl_notify_t;
typedef struct kotctl_notify_post_s  kotctl_notify_post_t;
typedef struct kotctl_notify_hook_s  kotctl_notify_hook_t;


/* An event to post, waiting its turn at its webhook, or under way. */

struct kotctl_notify_post_s {
    kotctl_notify_post_t  *next;
    char                  *id;
    char                  *tenant;      /* the stream's fields, or NULL */
    char                  *type;
    char                  *event;
    char                  *body;        /* the JSON posted */
    int                    tenants;     /* to the tenant's own webhook */
    long long              attempts;    /* this one included */
    long long              since;       /* the attempt before, or the read */
    long long              taken;       /* read, claimed or held: its idle
                                           time started again */
    long long              looked;      /* its webhook looked up */
};


/*
 * A webhook with events to post: one at a time, in order; head is the
 * one under way while easy is set.  Gone once it has none.
 */

struct kotctl_notify_hook_s {
    kotctl_notify_hook_t  *next;
    kotctl_notify_t       *n;
    char                  *url;
    kotctl_notify_post_t  *head;
    kotctl_notify_post_t  *tail;
    size_t                 count;
    int                    full;        /* KOTCTL_NOTIFY_QUEUE reached */
    CURL                  *easy;
    struct curl_slist     *headers;
    long long              start;
    char                   refused[INET6_ADDRSTRLEN];
    char                   error[CURL_ERROR_SIZE];
};


struct kotctl_notify_s {
    kotctl_t       *k;
    const char     *webhook;
    const char     *consumer;
    kot_hmac_key_t  key;
    int             signed_posts;       /* --hmac-key-file given */
    long long       max_backoff_ms;
    long long       stuck_ms;           /* --stuck-after */
    CURLM          *multi;
    kotctl_notify_hook_t  *hooks;
    size_t          queued;             /* events in the hooks' queues */
    size_t          running;            /* posts under way */
    long long       retry_at;           /* the next look at the retries */
    int             tenant_any;         /* --tenant-webhooks any */
    kot_cidr_set_t *internal;
    kotctl_notify_stalled_t  stalled[KOTCTL_NOTIFY_STALLED];
    size_t          nstalled;
    int             reading;            /* the new events' phase */
    char            scan[64];           /* "(id": the retries go on after */
};


static volatile sig_atomic_t  kotctl_notify_stop;


static int kotctl_notify_tenant_key(kotctl_t *k, int argc, char **argv);
static int kotctl_notify_options(kotctl_notify_t *n, int argc, char **argv);
static int kotctl_notify_seconds(const char *name, const char *value,
    long long *ms);
static int kotctl_notify_key(kotctl_notify_t *n, const char *path);
static int kotctl_notify_run(kotctl_notify_t *n);
static int kotctl_notify_group(kotctl_notify_t *n);
static int kotctl_notify_retries(kotctl_notify_t *n, long long *next);
static int kotctl_notify_claim(kotctl_notify_t *n, const char *id,
    long long deliveries, long long due, long long since);
static int kotctl_notify_read(kotctl_notify_t *n, long long block);
static int kotctl_notify_batch(kotctl_notify_t *n, long long block,
    size_t *got);
static int kotctl_notify_hold(kotctl_notify_t *n, const char *id,
    long long since);
static long long kotctl_notify_ms(void);
static int kotctl_notify_entry(kotctl_notify_t *n, redisReply *entry,
    long long deliveries, long long since);
static int kotctl_notify_queue(kotctl_notify_t *n, const char *url,
    kotctl_notify_post_t *p);
static int kotctl_notify_queued(kotctl_notify_t *n, const char *id);
static int kotctl_notify_pump(kotctl_notify_t *n, long long wait);
static int kotctl_notify_start(kotctl_notify_t *n);
static int kotctl_notify_recheck(kotctl_notify_t *n, kotctl_notify_hook_t *h,
    long long now);
static int kotctl_notify_done(kotctl_notify_t *n, kotctl_notify_hook_t *h,
    CURLcode rc);
static int kotctl_notify_result(kotctl_notify_t *n, kotctl_notify_hook_t *h,
    kotctl_notify_post_t *p, long status, const char *err, long long took);
static int kotctl_notify_give_back(kotctl_notify_t *n,
    kotctl_notify_hook_t *h);
static void kotctl_notify_abandon(kotctl_notify_t *n);
static kotctl_notify_post_t *kotctl_notify_pop(kotctl_notify_t *n,
    kotctl_notify_hook_t *h);
static void kotctl_notify_post_free(kotctl_notify_post_t *p);
static kotctl_notify_stalled_t *kotctl_notify_stalled(kotctl_notify_t *n,
    const char *url);
static void kotctl_notify_stall(kotctl_notify_t *n, const char *url);
static int kotctl_notify_defer(kotctl_notify_t *n, const char *id,
    long long deliveries, long long since);
static void kotctl_notify_phase_end(kotctl_notify_t *n, int all);
static curl_socket_t kotctl_notify_socket(void *data,
    curlsocktype purpose, struct curl_sockaddr *a);
static int kotctl_notify_post(kotctl_notify_t *n, kotctl_notify_hook_t *h);
static size_t kotctl_notify_discard(char *data, size_t size, size_t n,
    void *ctx);
static void kotctl_notify_sign(kotctl_notify_t *n, const char *tenant,
    time_t t, const char *body, char *header, size_t len);
static redisReply *kotctl_notify_cmd(kotctl_notify_t *n, int type,
    const char *fmt, ...);
static const char *kotctl_notify_field(redisReply *fields, const char *name);
static int kotctl_notify_url(kotctl_notify_t *n, const char *tenant,
    char *url, size_t len, int *tenants);
static long long kotctl_notify_backoff(kotctl_notify_t *n,
    long long attempts);
static int kotctl_notify_dead(kotctl_notify_t *n, const char *id,
    const char *tenant, const char *type, const char *event,
    long long attempts, const char *err);
static int kotctl_notify_retired(kotctl_notify_t *n, const char *tenant);
static int kotctl_notify_drop(kotctl_notify_t *n, const char *id,
    const char *type, const char *tenant, const char *err);
static int kotctl_notify_reconnect(kotctl_notify_t *n);
static void kotctl_notify_signal(int signo);


int
kotctl_notify(kotctl_t *k, int argc, char **argv)
{
    int              rc;
    char             host[256];
    kotctl_notify_t  n;

    if (argc > 0 && strcmp(argv[0], "key") == 0) {
        return kotctl_notify_tenant_key(k, argc - 1, argv + 1);
    }

    memset(&n, 0, sizeof(kotctl_notify_t));
    n.k = k;
    n.max_backoff_ms = KOTCTL_NOTIFY_MAX_BACKOFF * 1000LL;
    n.stuck_ms = KOTCTL_NOTIFY_STUCK * 1000LL;

    if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') {
        strcpy(host, "kotctl");
    }

    host[sizeof(host) - 1] = '\0';
    n.consumer = host;

    rc = kotctl_notify_options(&n, argc, argv);
    if (rc != KOTCTL_OK) {
        return rc;
    }

    if (kotctl_no_json(k, "notify") != KOTCTL_OK) {
        return KOTCTL_USAGE;
    }

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        kotctl_error("notify: cannot initialise libcurl");
        return KOTCTL_FAIL;
    }

    n.multi = curl_multi_init();
    if (n.multi == NULL) {
        kotctl_error("notify: cannot initialise libcurl");
        return KOTCTL_FAIL;
    }

    n.internal = n.tenant_any ? NULL : kot_notify_internal_set();
    if (!n.tenant_any && n.internal == NULL) {
        kotctl_error("notify: out of memory");
        curl_multi_cleanup(n.multi);
        return KOTCTL_FAIL;
    }

    signal(SIGTERM, kotctl_notify_signal);
    signal(SIGINT, kotctl_notify_signal);
    signal(SIGPIPE, SIG_IGN);

    rc = kotctl_connect(k);

    if (rc == KOTCTL_OK) {
        kotctl_print(stderr, "kotctl notify: consumer \"%s\" of group \"%s\" "
                     "reading %s%s\n", n.consumer, KOT_NOTIFY_GROUP,
                     KOT_KEY_NOTIFY, n.signed_posts
                     ? "" : "; posts are NOT signed (no --hmac-key-file)");
        rc = kotctl_notify_run(&n);
    }

    kotctl_notify_abandon(&n);
    kotctl_notify_phase_end(&n, 1);
    curl_multi_cleanup(n.multi);
    curl_global_cleanup();
    kot_cidr_set_free(n.internal);
    kot_cleanse(&n.key, sizeof(n.key));

    return rc;
}


/*
 * kotctl notify key TENANT --hmac-key-file PATH: the key the tenant's
 * receiver checks the posts to its webhook with, from the daemon's key
 * file; no Redis is asked.
 */

static int
kotctl_notify_tenant_key(kotctl_t *k, int argc, char **argv)
{
    int              rc;
    char             tenant[KOT_TENANT_MAX + 1];
    char             hex[KOT_NOTIFY_TENANT_KEY_LEN + 1];
    kotctl_notify_t  n;

    if (argc != 3 || strcmp(argv[1], "--hmac-key-file") != 0) {
        kotctl_error("usage: kotctl notify key TENANT --hmac-key-file PATH");
        return KOTCTL_USAGE;
    }

    rc = kotctl_tenant_name(argv[0], tenant);
    if (rc != KOTCTL_OK) {
        return rc;
    }

    if (kotctl_no_json(k, "notify key") != KOTCTL_OK) {
        return KOTCTL_USAGE;
    }

    memset(&n, 0, sizeof(kotctl_notify_t));

    if (kotctl_notify_key(&n, argv[2]) != KOTCTL_OK) {
        return KOTCTL_FAIL;
    }

    kot_notify_tenant_key(&n.key, tenant, strlen(tenant), hex);
    kot_cleanse(&n.key, sizeof(n.key));

    rc = (printf("%s\n", hex) < 0 || fflush(stdout) != 0) ? KOTCTL_FAIL
                                                          : KOTCTL_OK;
    kot_cleanse(hex, sizeof(hex));

    return rc;
}


static int
kotctl_notify_options(kotctl_notify_t *n, int argc, char **argv)
{
    int  i;

    for (i = 0; i < argc; i += 2) {
        if (i + 1 >= argc) {
            goto usage;
        }

        if (strcmp(argv[i], "--webhook") == 0) {
            if (!kot_notify_url_ok(argv[i + 1], strlen(argv[i + 1]))) {
                kotctl_error("notify: --webhook \"%s\" is not an http:// or "
                             "https:// URL", argv[i + 1]);
                return KOTCTL_USAGE;
            }

            n->webhook = argv[i + 1];

        } else if (strcmp(argv[i], "--hmac-key-file") == 0) {
            if (kotctl_notify_key(n, argv[i + 1]) != KOTCTL_OK) {
                return KOTCTL_FAIL;
            }

        } else if (strcmp(argv[i], "--consumer") == 0) {
            n->consumer = argv[i + 1];

        } else if (strcmp(argv[i], "--tenant-webhooks") == 0) {
            if (strcmp(argv[i + 1], "any") == 0) {
                n->tenant_any = 1;

            } else if (strcmp(argv[i + 1], "public") != 0) {
                kotctl_error("notify: --tenant-webhooks is \"public\" (the "
                             "default) or \"any\", not \"%s\"",
                             argv[i + 1]);
                return KOTCTL_USAGE;
            }

        } else if (strcmp(argv[i], "--max-backoff") == 0) {
            /* for tests: how soon an event gives up */
            if (kotctl_notify_seconds(argv[i], argv[i + 1],
                                      &n->max_backoff_ms)
                != KOTCTL_OK)
            {
                return KOTCTL_USAGE;
            }

        } else if (strcmp(argv[i], "--stuck-after") == 0) {
            if (kotctl_notify_seconds(argv[i], argv[i + 1], &n->stuck_ms)
                != KOTCTL_OK)
            {
                return KOTCTL_USAGE;
            }

        } else {
            goto usage;
        }
    }

    if (n->webhook == NULL) {
        goto usage;
    }

    return KOTCTL_OK;

usage:

    kotctl_error("usage: kotctl notify --webhook URL [--hmac-key-file PATH] "
                 "[--consumer NAME] [--stuck-after SECONDS] "
                 "[--tenant-webhooks public|any]; kotctl notify key TENANT "
                 "--hmac-key-file PATH");
    return KOTCTL_USAGE;
}


/* A whole number of seconds, 1 to a day, as ms. */

static int
kotctl_notify_seconds(const char *name, const char *value, long long *ms)
{
    char  *end;
    long   v;

    errno = 0;
    v = strtol(value, &end, 10);

    if (*value == '\0' || *end != '\0' || errno != 0 || v < 1
        || v > KOTCTL_NOTIFY_SECONDS_MAX)
    {
        kotctl_error("notify: %s is 1 to %d seconds, not \"%s\"", name,
                     KOTCTL_NOTIFY_SECONDS_MAX, value);
        return KOTCTL_USAGE;
    }

    *ms = v * 1000LL;

    return KOTCTL_OK;
}


/*
 * The key is the file's bytes as they are, a trailing newline too; the
 * file must be private, as every key of kotctl.
 */

static int
kotctl_notify_key(kotctl_notify_t *n, const char *path)
{
    int      rc;
    size_t   len;
    uint8_t  buf[KOTCTL_NOTIFY_KEY_MAX + 1];

    if (kotctl_read_file(path, "the HMAC key", (char *) buf,
                         KOTCTL_NOTIFY_KEY_MAX, &len,
                         KOTCTL_FILE_SECRET|KOTCTL_FILE_RAW)
        != 0)
    {
        return KOTCTL_FAIL;
    }

    rc = KOTCTL_OK;

    if (len < KOTCTL_NOTIFY_KEY_MIN) {
        kotctl_error("notify: \"%s\" must hold %d to %d bytes (e.g. "
                     "\"openssl rand -hex 32 >%s\")", path,
                     KOTCTL_NOTIFY_KEY_MIN, KOTCTL_NOTIFY_KEY_MAX, path);
        rc = KOTCTL_FAIL;

    } else {
        kot_hmac_key(&n->key, buf, len);
        n->signed_posts = 1;
    }

    kot_cleanse(buf, sizeof(buf));

    return rc;
}


/*
 * Each round: the retries due (at most each KOTCTL_NOTIFY_BLOCK_MS, or
 * when the first is due), the new events, then the posts under way,
 * which go on meanwhile.  With none under way, the read waits for new
 * events until a retry is due; with some, it does not wait, and the
 * posts are waited for KOTCTL_NOTIFY_TICK_MS at most.  The events
 * waiting their post are not read or claimed again: past
 * KOTCTL_NOTIFY_QUEUED of them, the posts go first.  Stopped, the
 * posts under way end (10 s at most), and the events still waiting go
 * back as they were.
 */

static int
kotctl_notify_run(kotctl_notify_t *n)
{
    int        ready, ok;
    long long  next, now, block;

    ready = 0;

    while (!kotctl_notify_stop) {

        ok = ready || (ready = (kotctl_notify_group(n) == KOTCTL_OK));
        now = kotctl_notify_ms();

        if (ok && now >= n->retry_at && n->queued < KOTCTL_NOTIFY_QUEUED) {
            ok = kotctl_notify_retries(n, &next) == KOTCTL_OK;
            n->retry_at = now + next;
            kotctl_notify_phase_end(n, 0);
        }

        if (ok && n->queued < KOTCTL_NOTIFY_QUEUED) {
            block = (n->running || n->queued) ? 0 : n->retry_at - now;

            n->reading = 1;
            ok = kotctl_notify_read(n, block > 0 ? block : 0) == KOTCTL_OK;
            n->reading = 0;

            kotctl_notify_phase_end(n, 0);
        }

        ok = ok && kotctl_notify_pump(n, KOTCTL_NOTIFY_TICK_MS) == KOTCTL_OK;

        if (ok) {
            continue;
        }

        /* what was under way or waiting stays pending: it comes again */
        kotctl_notify_abandon(n);
        n->retry_at = 0;
        ready = 0;

        if (kotctl_notify_reconnect(n) != KOTCTL_OK) {
            return KOTCTL_FAIL;
        }
    }

    while (n->running && kotctl_notify_pump(n, KOTCTL_NOTIFY_TICK_MS)
                         == KOTCTL_OK)
    { /* void */ }

    while (n->hooks != NULL && n->running == 0
           && kotctl_notify_give_back(n, n->hooks) == KOTCTL_OK)
    { /* void */ }

    fprintf(stderr, "kotctl notify: stopped\n");

    return KOTCTL_OK;
}


/*
 * The stream and the group, from the stream's start: events appended
 * before the first daemon ran are delivered too.
 */

static int
kotctl_notify_group(kotctl_notify_t *n)
{
    redisReply  *r;

    r = redisCommand(n->k->rc, "XGROUP CREATE %s %s 0 MKSTREAM",
                     KOT_KEY_NOTIFY, KOT_NOTIFY_GROUP);

    if (r == NULL) {
        kotctl_error("notify: redis: %s", n->k->rc->errstr);
        return KOTCTL_FAIL;
    }

    if (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "BUSYGROUP", 9) != 0)
    {
        kotctl_error("notify: redis refused XGROUP: %s", r->str);
        freeReplyObject(r);
        return KOTCTL_FAIL;
    }

    freeReplyObject(r);

    return KOTCTL_OK;
}


/*
 * The pending events whose next attempt is due: this consumer's after
 * their backoff, another's (a daemon that died) after --stuck-after
 * too.  KOTCTL_NOTIFY_SCAN are looked at each round, a page at a time,
 * from where the round before stopped (n->scan): with more pending (a
 * webhook that failed for hours), each round would look at the same
 * oldest ones, and the retries of those after them would never come.
 * *next is how long until the next one is due, at most
 * KOTCTL_NOTIFY_BLOCK_MS; 1 ms if some were not looked at.
 */

static int
kotctl_notify_retries(kotctl_notify_t *n, long long *next)
{
    int          rc;
    char         start[64];
    size_t       i, seen;
    long long    idle, deliveries, due;
    redisReply  *r, *e;

    *next = KOTCTL_NOTIFY_BLOCK_MS;
    strcpy(start, n->scan[0] ? n->scan : "-");
    n->scan[0] = '\0';
    rc = KOTCTL_OK;

    for (seen = 0; seen < KOTCTL_NOTIFY_SCAN && !kotctl_notify_stop; ) {

        r = kotctl_notify_cmd(n, REDIS_REPLY_ARRAY, "XPENDING %s %s %s + %d",
                              KOT_KEY_NOTIFY, KOT_NOTIFY_GROUP, start,
                              KOTCTL_NOTIFY_PAGE);
        if (r == NULL) {
            return KOTCTL_FAIL;
        }

        for (i = 0; i < r->elements && rc == KOTCTL_OK; i++) {
            e = r->element[i];

            if (e->type != REDIS_REPLY_ARRAY || e->elements < 4
                || e->element[0]->type != REDIS_REPLY_STRING
                || e->element[1]->type != REDIS_REPLY_STRING
                || e->element[2]->type != REDIS_REPLY_INTEGER
                || e->element[3]->type != REDIS_REPLY_INTEGER)
            {
                continue;
            }

            snprintf(start, sizeof(start), "(%s", e->element[0]->str);

            /* waiting its post here, or under way: not due */
            if (kotctl_notify_queued(n, e->element[0]->str)) {
                continue;
            }

            idle = e->element[2]->integer;
            deliveries = e->element[3]->integer;
            due = kotctl_notify_backoff(n, deliveries);

            if (strcmp(e->element[1]->str, n->consumer) != 0
                && due < n->stuck_ms)
            {
                due = n->stuck_ms;
            }

            if (idle < due) {
                if (due - idle < *next) {
                    *next = due - idle;
                }
                continue;
            }

            rc = kotctl_notify_claim(n, e->element[0]->str, deliveries, due,
                                     kotctl_notify_ms() - idle);
        }

        seen += r->elements;
        i = r->elements;
        freeReplyObject(r);

        if (rc != KOTCTL_OK || i < KOTCTL_NOTIFY_PAGE) {
            break;
        }

        if (seen >= KOTCTL_NOTIFY_SCAN) {
            /* the next round goes on from here, soon */
            strcpy(n->scan, start);
            *next = 1;
        }
    }

    if (*next < 1) {
        *next = 1;
    }

    return rc;
}


/*
 * Takes a due event (Redis counts one more delivery, and its idle time
 * starts again) and attempts it.  Only if it is still due: another
 * daemon that took it first reset its idle time.  An event trimmed from
 * the stream meanwhile comes back as nothing, and Redis drops it from
 * the list.
 */

static int
kotctl_notify_claim(kotctl_notify_t *n, const char *id, long long deliveries,
    long long due, long long since)
{
    int          rc;
    redisReply  *r;

    r = kotctl_notify_cmd(n, REDIS_REPLY_ARRAY, "XCLAIM %s %s %s %lld %s",
                          KOT_KEY_NOTIFY, KOT_NOTIFY_GROUP, n->consumer, due,
                          id);
    if (r == NULL) {
        return KOTCTL_FAIL;
    }

    rc = KOTCTL_OK;

    if (r->elements == 1 && r->element[0]->type == REDIS_REPLY_ARRAY) {
        rc = kotctl_notify_entry(n, r->element[0], deliveries + 1, since);
    }

    freeReplyObject(r);

    return rc;
}


/*
 * New events, waiting at most block ms for some, a batch at a time while
 * batches come full, up to KOTCTL_NOTIFY_SCAN: a burst (a wave of
 * lockouts) goes into the webhooks' queues at once.
 */

static int
kotctl_notify_read(kotctl_notify_t *n, long long block)
{
    size_t  got, total;

    for (total = 0; total < KOTCTL_NOTIFY_SCAN && !kotctl_notify_stop; ) {

        if (kotctl_notify_batch(n, block, &got) != KOTCTL_OK) {
            return KOTCTL_FAIL;
        }

        if (got < KOTCTL_NOTIFY_BATCH) {
            break;
        }

        total += got;
        block = 0;              /* the next at once, if any */
    }

    return KOTCTL_OK;
}


/*
 * A batch of new events, *count of them, each put in its webhook's
 * queue.  They are pending at this consumer from the read on: those
 * still waiting their turn look idle to the other daemons, which take
 * them over after --stuck-after.  So one that waited is held again
 * before its post (kotctl_notify_start()), and one taken over meanwhile
 * is left to the daemon that took it.
 */

static int
kotctl_notify_batch(kotctl_notify_t *n, long long block, size_t *count)
{
    int          rc;
    size_t       i;
    long long    got;
    redisReply  *r, *entries, *e;

    *count = 0;

    /* BLOCK 0 would wait for ever: 0 is not to wait at all */
    r = (block > 0)
        ? kotctl_notify_cmd(n, 0, "XREADGROUP GROUP %s %s COUNT %d BLOCK "
                            "%lld STREAMS %s >", KOT_NOTIFY_GROUP,
                            n->consumer, KOTCTL_NOTIFY_BATCH, block,
                            KOT_KEY_NOTIFY)
        : kotctl_notify_cmd(n, 0, "XREADGROUP GROUP %s %s COUNT %d "
                            "STREAMS %s >", KOT_NOTIFY_GROUP, n->consumer,
                            KOTCTL_NOTIFY_BATCH, KOT_KEY_NOTIFY);
    if (r == NULL) {
        return KOTCTL_FAIL;
    }

    got = kotctl_notify_ms();
    rc = KOTCTL_OK;

    /* [[stream, [[id, [field, value, ...]], ...]]], or nil */

    if (r->type == REDIS_REPLY_ARRAY && r->elements == 1
        && r->element[0]->type == REDIS_REPLY_ARRAY
        && r->element[0]->elements == 2)
    {
        entries = r->element[0]->element[1];
        *count = entries->elements;

        for (i = 0; i < entries->elements && rc == KOTCTL_OK; i++) {
            e = entries->element[i];
            rc = kotctl_notify_entry(n, e, 1, got);
        }
    }

    freeReplyObject(r);

    return rc;
}


/*
 * Holds again an event this consumer read at since (kotctl_notify_ms()):
 * XCLAIM to itself, JUSTID (the attempt is the same one), with a minimum
 * idle time of the time since the read less half --stuck-after.  Another
 * daemon takes an event over only once it has been idle --stuck-after,
 * and its idle time starts again then: below that minimum, so that it
 * keeps the event.  Not the time since the read itself: Redis may count
 * a millisecond less than this clock, and an event held just after its
 * read would look taken over, and wait for a retry.  One acknowledged
 * meanwhile is no longer pending.  1: still this consumer's, its idle
 * time starting again; 0: not; -1: Redis failed.
 */

static int
kotctl_notify_hold(kotctl_notify_t *n, const char *id, long long since)
{
    int          held;
    long long    idle;
    redisReply  *r;

    idle = kotctl_notify_ms() - since - n->stuck_ms / 2;

    r = kotctl_notify_cmd(n, REDIS_REPLY_ARRAY, "XCLAIM %s %s %s %lld %s "
                          "JUSTID", KOT_KEY_NOTIFY, KOT_NOTIFY_GROUP,
                          n->consumer, idle > 0 ? idle : 0, id);
    if (r == NULL) {
        return -1;
    }

    held = (r->elements == 1);
    freeReplyObject(r);

    return held;
}


/* A monotonic clock, in ms. */

static long long
kotctl_notify_ms(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


/*
 * An event to attempt: [id, [field, value, ...]], delivered for the
 * attempts-th time, its previous attempt (or its read) made at since
 * (kotctl_notify_ms()), put in its webhook's queue.  KOTCTL_FAIL only
 * when Redis fails (or memory): a failed POST leaves the event pending,
 * to be tried again after its backoff, or moves it to the dead letters.
 * One for a stalled webhook (kotctl_notify_stalled_t) is not attempted,
 * and waits as it was.
 */

static int
kotctl_notify_entry(kotctl_notify_t *n, redisReply *entry,
    long long attempts, long long since)
{
    int                    tenants;
    char                   url[KOT_NOTIFY_URL_MAX + 1];
    char                  *body;
    json_t                *ev;
    redisReply            *fields;
    const char            *id, *tenant, *event, *type;
    json_error_t           jerr;
    kotctl_notify_post_t  *p;

    if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2
        || entry->element[0]->type != REDIS_REPLY_STRING
        || entry->element[1]->type != REDIS_REPLY_ARRAY)
    {
        return KOTCTL_OK;
    }

    id = entry->element[0]->str;
    fields = entry->element[1];
    tenant = kotctl_notify_field(fields, "tenant");
    event = kotctl_notify_field(fields, "event");
    type = kotctl_notify_field(fields, "type");

    ev = event ? json_loads(event, 0, &jerr) : NULL;

    if (!json_is_object(ev)) {
        /* nothing any receiver could use: no point in retrying */
        json_decref(ev);
        return kotctl_notify_dead(n, id, tenant, type, event, attempts,
                                  "not an event");
    }

    json_object_set_new(ev, "id", json_string(id));
    body = json_dumps(ev, JSON_COMPACT);
    json_decref(ev);

    if (body == NULL) {
        kotctl_error("notify: out of memory");
        return KOTCTL_FAIL;
    }

    if (kotctl_notify_url(n, tenant, url, sizeof(url), &tenants)
        != KOTCTL_OK)
    {
        free(body);
        return KOTCTL_FAIL;
    }

    if (tenants < 0) {
        free(body);
        return kotctl_notify_drop(n, id, type, tenant, NULL);
    }

    if (kotctl_notify_stalled(n, url) != NULL) {
        free(body);
        return kotctl_notify_defer(n, id, attempts - 1, since);
    }

    p = calloc(1, sizeof(kotctl_notify_post_t));

    if (p != NULL) {
        p->body = body;
        p->id = strdup(id);
        p->tenant = tenant ? strdup(tenant) : NULL;
        p->type = type ? strdup(type) : NULL;
        p->event = strdup(event);
        p->tenants = tenants;
        p->attempts = attempts;
        p->since = since;
        p->taken = kotctl_notify_ms();
        p->looked = p->taken;
    }

    if (p == NULL || p->id == NULL || (tenant && p->tenant == NULL)
        || (type && p->type == NULL) || p->event == NULL)
    {
        if (p == NULL) {
            free(body);
        }

        kotctl_notify_post_free(p);
        kotctl_error("notify: out of memory");
        return KOTCTL_FAIL;
    }

    return kotctl_notify_queue(n, url, p);
}


/*
 * Puts p at the end of its webhook's queue.  Past KOTCTL_NOTIFY_QUEUE
 * events waiting there (a receiver slower than the events come), it
 * and the webhook's next ones go back as they were, until the queue is
 * empty: the retries bring them back, in order.
 */

static int
kotctl_notify_queue(kotctl_notify_t *n, const char *url,
    kotctl_notify_post_t *p)
{
    int                    rc;
    kotctl_notify_hook_t  *h;

    for (h = n->hooks; h; h = h->next) {
        if (strcmp(h->url, url) == 0) {
            break;
        }
    }

    if (h != NULL && (h->full || h->count >= KOTCTL_NOTIFY_QUEUE)) {
        h->full = 1;
        rc = kotctl_notify_defer(n, p->id, p->attempts - 1, p->since);
        kotctl_notify_post_free(p);
        return rc;
    }

    if (h == NULL) {
        h = calloc(1, sizeof(kotctl_notify_hook_t));

        if (h == NULL || (h->url = strdup(url)) == NULL) {
            free(h);
            kotctl_notify_post_free(p);
            kotctl_error("notify: out of memory");
            return KOTCTL_FAIL;
        }

        h->n = n;
        h->next = n->hooks;
        n->hooks = h;
    }

    if (h->tail) {
        h->tail->next = p;

    } else {
        h->head = p;
    }

    h->tail = p;
    h->count++;
    n->queued++;

    return KOTCTL_OK;
}


/* 1 if the event is in a webhook's queue, or under way. */

static int
kotctl_notify_queued(kotctl_notify_t *n, const char *id)
{
    kotctl_notify_hook_t  *h;
    kotctl_notify_post_t  *p;

    for (h = n->hooks; h; h = h->next) {
        for (p = h->head; p; p = p->next) {
            if (strcmp(p->id, id) == 0) {
                return 1;
            }
        }
    }

    return 0;
}


/*
 * Starts the posts that can start, waits for the posts under way up to
 * wait ms (none: not at all), and ends those that ended.
 */

static int
kotctl_notify_pump(kotctl_notify_t *n, long long wait)
{
    int                    running, left;
    CURLMsg               *m;
    CURLMcode              mc;
    kotctl_notify_hook_t  *h;

    if (kotctl_notify_start(n) != KOTCTL_OK) {
        return KOTCTL_FAIL;
    }

    if (n->running == 0) {
        return KOTCTL_OK;
    }

    mc = curl_multi_perform(n->multi, &running);

    if (mc == CURLM_OK && running > 0) {
        mc = curl_multi_poll(n->multi, NULL, 0, (int) wait, NULL);
        mc = (mc == CURLM_OK) ? curl_multi_perform(n->multi, &running) : mc;
    }

    if (mc != CURLM_OK) {
        kotctl_error("notify: libcurl: %s", curl_multi_strerror(mc));
        return KOTCTL_FAIL;
    }

    while ((m = curl_multi_info_read(n->multi, &left)) != NULL) {
        if (m->msg != CURLMSG_DONE) {
            continue;
        }

        h = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **) &h);

        if (h == NULL || kotctl_notify_done(n, h, m->data.result)
                         != KOTCTL_OK)
        {
            return KOTCTL_FAIL;
        }
    }

    return kotctl_notify_start(n);
}


/*
 * Starts the first event of each webhook that has none under way, up
 * to KOTCTL_NOTIFY_PARALLEL at once; not once the daemon is to stop.
 * One that waited its turn looks its webhook up again
 * (kotctl_notify_recheck()); one that waited long enough for another
 * daemon to take it over is held first (kotctl_notify_hold()), and left
 * to it if it did.
 */

static int
kotctl_notify_start(kotctl_notify_t *n)
{
    int                    held;
    long long              now;
    kotctl_notify_hook_t  *h, *next;
    kotctl_notify_post_t  *p;

    for (h = n->hooks; h; h = next) {
        next = h->next;

        while (!kotctl_notify_stop && h->easy == NULL && h->head != NULL
               && n->running < KOTCTL_NOTIFY_PARALLEL)
        {
            p = h->head;
            now = kotctl_notify_ms();

            if (now - p->looked >= KOTCTL_NOTIFY_RECHECK_MS) {
                held = kotctl_notify_recheck(n, h, now);

                if (held < 0) {
                    return KOTCTL_FAIL;
                }

                if (held == 0) {
                    continue;
                }
            }

            if (now - p->taken >= n->stuck_ms / 2) {
                held = kotctl_notify_hold(n, p->id, p->taken);

                if (held < 0) {
                    return KOTCTL_FAIL;
                }

                if (held == 0) {
                    kotctl_notify_post_free(kotctl_notify_pop(n, h));
                    continue;
                }

                p->taken = now;
            }

            if (kotctl_notify_post(n, h) != KOTCTL_OK) {
                /* out of memory: as a failed post */
                p = kotctl_notify_pop(n, h);
                held = kotctl_notify_result(n, h, p, 0, "out of memory", 0);
                kotctl_notify_post_free(p);

                if (held != KOTCTL_OK) {
                    return KOTCTL_FAIL;
                }
            }
        }

        if (h->head == NULL && h->easy == NULL) {
            kotctl_notify_give_back(n, h);      /* none left: frees it */
        }
    }

    return KOTCTL_OK;
}


/*
 * The webhook of h's first event, which waited its turn, looked up
 * again: the tenant may have changed it, cleared it, or been deleted
 * meanwhile, and then the event goes where it now leads, or nowhere.
 * 1: still h's; 0: gone from h (to another webhook's queue, back as it
 * was for a stalled one, or dropped); -1: Redis failed.
 */

static int
kotctl_notify_recheck(kotctl_notify_t *n, kotctl_notify_hook_t *h,
    long long now)
{
    int                    tenants, rc;
    char                   url[KOT_NOTIFY_URL_MAX + 1];
    kotctl_notify_post_t  *p;

    p = h->head;

    if (kotctl_notify_url(n, p->tenant, url, sizeof(url), &tenants)
        != KOTCTL_OK)
    {
        return -1;
    }

    p->looked = now;

    if (tenants >= 0 && strcmp(url, h->url) == 0) {
        p->tenants = tenants;
        return 1;
    }

    p = kotctl_notify_pop(n, h);
    p->tenants = tenants;

    if (tenants < 0) {
        rc = kotctl_notify_drop(n, p->id, p->type, p->tenant, NULL);
        kotctl_notify_post_free(p);

    } else if (kotctl_notify_stalled(n, url) != NULL) {
        rc = kotctl_notify_defer(n, p->id, p->attempts - 1, p->since);
        kotctl_notify_post_free(p);

    } else {
        rc = kotctl_notify_queue(n, url, p);
    }

    return (rc == KOTCTL_OK) ? 0 : -1;
}


/* The post under way to h ended: rc is libcurl's result. */

static int
kotctl_notify_done(kotctl_notify_t *n, kotctl_notify_hook_t *h, CURLcode rc)
{
    int                    res;
    char                   err[CURL_ERROR_SIZE + 128];
    long                   status;
    long long              took;
    kotctl_notify_post_t  *p;

    status = 0;

    if (rc != CURLE_OK && h->refused[0]) {
        snprintf(err, sizeof(err), "the tenant's webhook leads to %s, an "
                 "internal address (--tenant-webhooks any allows it)",
                 h->refused);

    } else if (rc != CURLE_OK) {
        snprintf(err, sizeof(err), "%s", h->error[0] ? h->error
                                                     : curl_easy_strerror(rc));

    } else {
        curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &status);
        snprintf(err, sizeof(err), "HTTP status %ld", status);
    }

    took = kotctl_notify_ms() - h->start;

    curl_multi_remove_handle(n->multi, h->easy);
    curl_easy_cleanup(h->easy);
    curl_slist_free_all(h->headers);
    h->easy = NULL;
    h->headers = NULL;
    n->running--;

    p = kotctl_notify_pop(n, h);
    res = kotctl_notify_result(n, h, p, status, err, took);
    kotctl_notify_post_free(p);

    return res;
}


/*
 * What came of the post of p to h: acknowledged after a 2xx; else
 * dropped (its tenant deleted meanwhile), to the dead letters after the
 * last attempt, or pending for the next.  A post that failed slowly
 * stalls its webhook (kotctl_notify_stall()): its events waiting here
 * go back as they were, not attempted.
 */

static int
kotctl_notify_result(kotctl_notify_t *n, kotctl_notify_hook_t *h,
    kotctl_notify_post_t *p, long status, const char *err, long long took)
{
    int          rc;
    const char  *slow, *tenant, *type;
    redisReply  *r;

    tenant = p->tenant ? p->tenant : "-";
    type = p->type ? p->type : "-";

    if (status >= 200 && status < 300) {
        r = kotctl_notify_cmd(n, REDIS_REPLY_INTEGER, "XACK %s %s %s",
                              KOT_KEY_NOTIFY, KOT_NOTIFY_GROUP, p->id);
        rc = r ? KOTCTL_OK : KOTCTL_FAIL;
        if (r) {
            freeReplyObject(r);
        }

        kotctl_print(stderr, "kotctl notify: %s %s of tenant \"%s\" delivered "
                     "(%ld)%s\n", p->id, type, tenant, status,
                     rc == KOTCTL_OK ? "" : ", but not acknowledged");
        return rc;
    }

    /*
     * The tenant deleted while its event was being posted: the deletion
     * took the event from the stream, so no attempt comes after this one,
     * and the log must not promise one.
     */
    if (p->tenant != NULL && strlen(p->tenant) <= KOT_TENANT_MAX) {
        rc = kotctl_notify_retired(n, p->tenant);

        if (rc != 0) {
            return (rc < 0) ? KOTCTL_FAIL
                            : kotctl_notify_drop(n, p->id, p->type,
                                                 p->tenant, err);
        }
    }

    slow = "";

    if (took >= KOTCTL_NOTIFY_SLOW_MS) {
        kotctl_notify_stall(n, h->url);
        slow = p->tenants ? " (its webhook's other events wait, not "
                            "attempted)"
                          : " (the other events for --webhook wait, not "
                            "attempted)";

        if (kotctl_notify_stalled(n, h->url) != NULL
            && kotctl_notify_give_back(n, h) != KOTCTL_OK)
        {
            return KOTCTL_FAIL;
        }
    }

    if (p->attempts >= 2
        && kotctl_notify_backoff(n, p->attempts - 1) >= n->max_backoff_ms)
    {
        kotctl_print(stderr, "kotctl notify: %s %s of tenant \"%s\": %s; "
                     "attempt %lld, the last: to the dead letters%s\n", p->id,
                     type, tenant, err, p->attempts, slow);
        return kotctl_notify_dead(n, p->id, p->tenant, p->type, p->event,
                                  p->attempts, err);
    }

    kotctl_print(stderr, "kotctl notify: %s %s of tenant \"%s\": %s; attempt "
                 "%lld, next in %lld s%s\n", p->id, type, tenant, err,
                 p->attempts, kotctl_notify_backoff(n, p->attempts) / 1000,
                 slow);

    return KOTCTL_OK;
}


/*
 * The events waiting in h's queue, not under way, go back as they were
 * (kotctl_notify_defer()); h goes too once it has none under way.
 */

static int
kotctl_notify_give_back(kotctl_notify_t *n, kotctl_notify_hook_t *h)
{
    int                    rc;
    kotctl_notify_hook_t **hp;
    kotctl_notify_post_t  *p, *keep;

    rc = KOTCTL_OK;
    keep = h->easy ? kotctl_notify_pop(n, h) : NULL;

    while (rc == KOTCTL_OK && h->head != NULL) {
        p = kotctl_notify_pop(n, h);
        rc = kotctl_notify_defer(n, p->id, p->attempts - 1, p->since);
        kotctl_notify_post_free(p);
    }

    if (keep != NULL) {
        keep->next = h->head;
        h->head = keep;
        h->tail = h->tail ? h->tail : keep;
        h->count++;
        n->queued++;
        return rc;
    }

    if (h->head == NULL) {
        for (hp = &n->hooks; *hp != h; hp = &(*hp)->next) { /* void */ }

        *hp = h->next;
        free(h->url);
        free(h);
    }

    return rc;
}


/*
 * Forgets every post under way or waiting, after Redis failed or as
 * the daemon stops: their events stay pending, and come again.
 */

static void
kotctl_notify_abandon(kotctl_notify_t *n)
{
    kotctl_notify_hook_t  *h;

    while ((h = n->hooks) != NULL) {
        n->hooks = h->next;

        if (h->easy) {
            curl_multi_remove_handle(n->multi, h->easy);
            curl_easy_cleanup(h->easy);
            curl_slist_free_all(h->headers);
            n->running--;
        }

        while (h->head) {
            kotctl_notify_post_free(kotctl_notify_pop(n, h));
        }

        free(h->url);
        free(h);
    }
}


static kotctl_notify_post_t *
kotctl_notify_pop(kotctl_notify_t *n, kotctl_notify_hook_t *h)
{
    kotctl_notify_post_t  *p;

    p = h->head;
    h->head = p->next;
    h->tail = h->head ? h->tail : NULL;
    h->count--;
    n->queued--;
    p->next = NULL;

    return p;
}


static void
kotctl_notify_post_free(kotctl_notify_post_t *p)
{
    if (p == NULL) {
        return;
    }

    free(p->id);
    free(p->tenant);
    free(p->type);
    free(p->event);
    free(p->body);
    free(p);
}


/* The webhook url if it is stalled, or NULL. */

static kotctl_notify_stalled_t *
kotctl_notify_stalled(kotctl_notify_t *n, const char *url)
{
    size_t  i;

    for (i = 0; i < n->nstalled; i++) {
        if (strcmp(n->stalled[i].url, url) == 0) {
            return &n->stalled[i];
        }
    }

    return NULL;
}


/*
 * A post to the webhook url failed slowly.  Past KOTCTL_NOTIFY_STALLED
 * webhooks, or out of memory, the others are posted to as before: only
 * slower.
 */

static void
kotctl_notify_stall(kotctl_notify_t *n, const char *url)
{
    kotctl_notify_stalled_t  *s;

    if (n->nstalled == KOTCTL_NOTIFY_STALLED
        || kotctl_notify_stalled(n, url) != NULL)
    {
        return;
    }

    s = &n->stalled[n->nstalled];
    s->url = strdup(url);

    if (s->url == NULL) {
        return;
    }

    /*
     * Up to the end of the next phase of new events after this one
     * (kotctl_notify_run()): the retries due and the events written
     * meanwhile are read, and posted, first.
     */
    s->phases = n->reading ? 3 : 2;
    n->nstalled++;
}


/*
 * Gives an event not attempted back as it was: XCLAIM to this consumer
 * again (it holds it), JUSTID, with the count of deliveries and the idle
 * time it had before this round's claim, so that its backoff, and its
 * takeover by another daemon, are as if it had not been touched.
 */

static int
kotctl_notify_defer(kotctl_notify_t *n, const char *id, long long deliveries,
    long long since)
{
    long long    idle;
    redisReply  *r;

    idle = kotctl_notify_ms() - since;

    r = kotctl_notify_cmd(n, REDIS_REPLY_ARRAY, "XCLAIM %s %s %s 0 %s IDLE "
                          "%lld RETRYCOUNT %lld JUSTID", KOT_KEY_NOTIFY,
                          KOT_NOTIFY_GROUP, n->consumer, id,
                          idle > 0 ? idle : 0,
                          deliveries > 0 ? deliveries : 0);
    if (r == NULL) {
        return KOTCTL_FAIL;
    }

    freeReplyObject(r);

    return KOTCTL_OK;
}


/*
 * The end of a phase (the retries, or the new events; all: the daemon
 * stops): a stalled webhook whose time is over is posted to again.
 */

static void
kotctl_notify_phase_end(kotctl_notify_t *n, int all)
{
    size_t                    i, kept;
    kotctl_notify_stalled_t  *s;

    kept = 0;

    for (i = 0; i < n->nstalled; i++) {
        s = &n->stalled[i];

        if (--s->phases > 0 && !all) {
            n->stalled[kept++] = *s;
            continue;
        }

        free(s->url);
    }

    n->nstalled = kept;
}


/*
 * Starts the post of h's first event: to its tenant's own webhook, or
 * to --webhook.  KOTCTL_FAIL when out of memory.
 */

static int
kotctl_notify_post(kotctl_notify_t *n, kotctl_notify_hook_t *h)
{
    char                   header[160];
    CURL                  *c;
    struct curl_slist     *hs, *hs2;
    kotctl_notify_post_t  *p;

    p = h->head;

    /* without "Expect:", curl waits a second before a body over 1 KB */
    hs = curl_slist_append(NULL, "Content-Type: application/json");
    hs = hs ? curl_slist_append(hs, "Expect:") : NULL;
    hs2 = hs;

    if (hs && n->signed_posts) {
        kotctl_notify_sign(n, p->tenants ? p->tenant : NULL, time(NULL),
                           p->body, header, sizeof(header));
        hs2 = curl_slist_append(hs, header);
    }

    c = hs2 ? curl_easy_init() : NULL;

    if (c == NULL) {
        curl_slist_free_all(hs);
        return KOTCTL_FAIL;
    }

    h->error[0] = '\0';
    h->refused[0] = '\0';

    curl_easy_setopt(c, CURLOPT_URL, h->url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hs);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, p->body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long) strlen(p->body));
    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long) KOTCTL_NOTIFY_TIMEOUT_SEC);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_USERAGENT, "kotctl-notify");
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->error);
    curl_easy_setopt(c, CURLOPT_PRIVATE, h);

    /*
     * The answer's body is the receiver's, a tenant's: libcurl would
     * write it to stdout, that is, into the daemon's log (the journal),
     * as it came, however long, log lines of its own making included.
     */
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, kotctl_notify_discard);

    /* a redirect is not followed: the body would go where it leads */
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);

    /*
     * A tenant's webhook: each address is checked as curl connects, so a
     * name that resolves (or rebinds) to an internal one is caught too;
     * directly, since through a proxy the address would be the proxy's;
     * on a new connection, never one left open by a post to --webhook.
     */
    if (p->tenants && n->internal) {
        curl_easy_setopt(c, CURLOPT_PROXY, "");
        curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
        curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION,
                         kotctl_notify_socket);
        curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, h);
    }

    if (curl_multi_add_handle(n->multi, c) != CURLM_OK) {
        curl_easy_cleanup(c);
        curl_slist_free_all(hs);
        return KOTCTL_FAIL;
    }

    h->easy = c;
    h->headers = hs;
    h->start = kotctl_notify_ms();
    n->running++;

    return KOTCTL_OK;
}


static size_t
kotctl_notify_discard(char *data, size_t size, size_t n, void *ctx)
{
    (void) data;
    (void) ctx;

    return size * n;
}


static curl_socket_t
kotctl_notify_socket(void *data, curlsocktype purpose,
    struct curl_sockaddr *a)
{
    const void            *ip;
    kotctl_notify_hook_t  *h = data;

    ip = (a->family == AF_INET)
         ? (const void *) &((struct sockaddr_in *) &a->addr)->sin_addr
         : (const void *) &((struct sockaddr_in6 *) &a->addr)->sin6_addr;

    if (purpose == CURLSOCKTYPE_IPCXN
        && (a->family == AF_INET || a->family == AF_INET6)
        && kot_notify_addr_internal(h->n->internal, a->family, ip))
    {
        if (inet_ntop(a->family, ip, h->refused, sizeof(h->refused))
            == NULL)
        {
            strcpy(h->refused, "?");
        }

        return CURL_SOCKET_BAD;
    }

    return socket(a->family, a->socktype, a->protocol);
}


/*
 * X-Kot-Signature: t=<unix seconds>,v1=<hex>, hex being HMAC-SHA256
 * of "<t>.<body>" under the key file's bytes, or for a tenant's own
 * webhook under its key's 64 characters: the receiver checks it and
 * refuses an old t (a replay).
 */

static void
kotctl_notify_sign(kotctl_notify_t *n, const char *tenant, time_t t,
    const char *body, char *header, size_t len)
{
    int                    m;
    char                   ts[24], hex[2 * KOT_MAC_LEN + 1];
    char                   tk[KOT_NOTIFY_TENANT_KEY_LEN + 1];
    size_t                 i;
    uint8_t                mac[KOT_MAC_LEN];
    kot_hmac_key_t         key;
    const kot_hmac_key_t  *use;

    use = &n->key;

    if (tenant) {
        kot_notify_tenant_key(&n->key, tenant, strlen(tenant), tk);
        kot_hmac_key(&key, (const uint8_t *) tk, KOT_NOTIFY_TENANT_KEY_LEN);
        kot_cleanse(tk, sizeof(tk));
        use = &key;
    }

    m = snprintf(ts, sizeof(ts), "%lld.", (long long) t);

    kot_hmac_mac(use, ts, (size_t) m, body, strlen(body), mac);

    if (tenant) {
        kot_cleanse(&key, sizeof(key));
    }

    for (i = 0; i < KOT_MAC_LEN; i++) {
        snprintf(&hex[i * 2], 3, "%02x", mac[i]);
    }

    snprintf(header, len, "X-Kot-Signature: t=%.*s,v1=%s", m - 1, ts, hex);
}


/*
 * A command whose reply must be of the type given (0: anything but an
 * error); NULL, the reason printed, if it is not.
 */

static redisReply *
kotctl_notify_cmd(kotctl_notify_t *n, int type, const char *fmt, ...)
{
    va_list      ap;
    redisReply  *r;

    va_start(ap, fmt);
    r = redisvCommand(n->k->rc, fmt, ap);
    va_end(ap);

    if (r != NULL && r->type != REDIS_REPLY_ERROR
        && (type == 0 || r->type == type))
    {
        return r;
    }

    kotctl_error("notify: redis: %.*s: %s", (int) strcspn(fmt, " "), fmt,
                 r == NULL ? n->k->rc->errstr
                 : (r->type == REDIS_REPLY_ERROR) ? r->str
                 : "unexpected reply");

    if (r) {
        freeReplyObject(r);
    }

    return NULL;
}


static const char *
kotctl_notify_field(redisReply *fields, const char *name)
{
    size_t  i;

    for (i = 0; i + 1 < fields->elements; i += 2) {
        if (fields->element[i]->type == REDIS_REPLY_STRING
            && fields->element[i + 1]->type == REDIS_REPLY_STRING
            && strcmp(fields->element[i]->str, name) == 0)
        {
            return fields->element[i + 1]->str;
        }
    }

    return NULL;
}


/*
 * The tenant's webhook (kotctl tenant notify), else --webhook; *tenants
 * says which: 1 the tenant's, 0 --webhook, -1 neither, the tenant was
 * deleted (its events are posted nowhere, not even to --webhook).  An
 * event of a name that never was a tenant, which only a hand can write,
 * goes to --webhook, as it always did.
 */

static int
kotctl_notify_url(kotctl_notify_t *n, const char *tenant, char *url,
    size_t len, int *tenants)
{
    int          retired;
    char         key[sizeof(KOT_KEY_TENANT) + KOT_TENANT_MAX];
    const char  *args[2];
    redisReply  *r;

    snprintf(url, len, "%s", n->webhook);
    *tenants = 0;

    if (tenant == NULL || strlen(tenant) > KOT_TENANT_MAX) {
        return KOTCTL_OK;
    }

    snprintf(key, sizeof(key), KOT_KEY_TENANT "%s", tenant);
    args[0] = key;
    args[1] = "get";

    r = kotctl_eval(n->k, KOT_SCRIPT_NOTIFY_URL, 1, 2, args);
    if (r == NULL) {
        return KOTCTL_FAIL;
    }

    if (r->type == REDIS_REPLY_STRING && r->len > 0
        && kot_notify_url_ok(r->str, r->len))
    {
        snprintf(url, len, "%s", r->str);
        *tenants = 1;

    } else if (r->type == REDIS_REPLY_INTEGER && r->integer == -1) {
        /* no such tenant: deleted (retired), or never one (by hand) */
        retired = kotctl_notify_retired(n, tenant);

        if (retired < 0) {
            freeReplyObject(r);
            return KOTCTL_FAIL;
        }

        *tenants = retired ? -1 : 0;
    }

    freeReplyObject(r);

    return KOTCTL_OK;
}


/* 1 if the tenant was deleted (its name is retired), 0 if not, -1. */

static int
kotctl_notify_retired(kotctl_notify_t *n, const char *tenant)
{
    int          retired;
    redisReply  *r;

    r = kotctl_notify_cmd(n, REDIS_REPLY_INTEGER, "SISMEMBER %s %s",
                          KOT_KEY_RETIRED_TENANTS, tenant);
    if (r == NULL) {
        return -1;
    }

    retired = (r->integer != 0);
    freeReplyObject(r);

    return retired;
}


/*
 * How long after its attempts-th attempt an event is tried again: 1 s,
 * doubling, at most --max-backoff (a day).
 */

static long long
kotctl_notify_backoff(kotctl_notify_t *n, long long attempts)
{
    long long  ms;

    ms = 1000;

    while (--attempts > 0 && ms < n->max_backoff_ms) {
        ms *= 2;
    }

    return (ms < n->max_backoff_ms) ? ms : n->max_backoff_ms;
}


static int
kotctl_notify_dead(kotctl_notify_t *n, const char *id, const char *tenant,
    const char *type, const char *event, long long attempts, const char *err)
{
    char         tries[24];
    const char  *args[10];
    redisReply  *r;

    snprintf(tries, sizeof(tries), "%lld", attempts);

    args[0] = KOT_KEY_NOTIFY;
    args[1] = KOT_KEY_NOTIFY_DEAD;
    args[2] = KOT_KEY_RETIRED_TENANTS;
    args[3] = KOT_NOTIFY_GROUP;
    args[4] = id;
    args[5] = tenant ? tenant : "";
    args[6] = type ? type : "";
    args[7] = event ? event : "";
    args[8] = tries;
    args[9] = err;

    r = kotctl_eval(n->k, KOT_SCRIPT_NOTIFY_DEAD, 3, 10, args);
    if (r == NULL) {
        return KOTCTL_FAIL;
    }

    freeReplyObject(r);

    return KOTCTL_OK;
}


/*
 * An event of a deleted tenant: tenant_delete drops those not delivered
 * yet, but one this daemon had already read (or one put back from the
 * dead letters by hand) may still come; it goes, unposted.  One whose
 * post failed (err) while the tenant was deleted goes too, without
 * another attempt.  The tenant cannot come back: its name is retired.
 */

static int
kotctl_notify_drop(kotctl_notify_t *n, const char *id, const char *type,
    const char *tenant, const char *err)
{
    redisReply  *r;

    r = kotctl_notify_cmd(n, REDIS_REPLY_INTEGER, "XACK %s %s %s",
                          KOT_KEY_NOTIFY, KOT_NOTIFY_GROUP, id);
    if (r == NULL) {
        return KOTCTL_FAIL;
    }

    freeReplyObject(r);

    r = kotctl_notify_cmd(n, REDIS_REPLY_INTEGER, "XDEL %s %s",
                          KOT_KEY_NOTIFY, id);
    if (r == NULL) {
        return KOTCTL_FAIL;
    }

    freeReplyObject(r);

    kotctl_print(stderr, "kotctl notify: %s %s of tenant \"%s\"%s%s%s "
                 "dropped: the tenant was deleted\n", id, type ? type : "-",
                 tenant, err ? ": " : "", err ? err : "", err ? ";" : "");

    return KOTCTL_OK;
}


/*
 * Redis went away (or refused): connects again after 1 s, then 2, 4 ...
 * 30 s, until it is back or a signal stops the daemon.
 */

static int
kotctl_notify_reconnect(kotctl_notify_t *n)
{
    int       rc;
    unsigned  wait;

    wait = 1;

    do {
        if (n->k->rc) {
            redisFree(n->k->rc);
            n->k->rc = NULL;
        }

        sleep(wait);
        wait = (wait < 16) ? wait * 2 : 30;

        if (kotctl_notify_stop) {
            return KOTCTL_OK;
        }

        rc = kotctl_connect(n->k);

        if (rc == KOTCTL_USAGE) {
            return KOTCTL_FAIL;
        }

    } while (rc != KOTCTL_OK);

    fprintf(stderr, "kotctl notify: connected to redis again\n");

    return KOTCTL_OK;
}


static void
kotctl_notify_signal(int signo)
{
    (void) signo;

    kotctl_notify_stop = 1;
}
