/*
 * kotctl: the audit log (docs/audit.md).  Each kotctl run that changes
 * something writes its own short chain: chain_start, the action,
 * chain_end; then publishes the chain's head to Redis as its anchor.
 * "audit verify" and "audit query" are in kotctl_verify.c.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "kotctl.h"
#include "kot_chain.h"
#include "kot_crypto.h"
#include "kot_scripts.h"
#include "kot_text.h"


#define KOTCTL_AUDIT_LINE_MAX   (1024 * 1024)   /* what verify accepts */
#define KOTCTL_AUDIT_TTL        "34560000"      /* 400 days, in s */
#define KOTCTL_AUDIT_KEEP_MS    (400ULL * 86400 * 1000)
#define KOTCTL_AUDIT_RSA_MIN    2048


typedef struct {
    kotctl_t     *k;
    int           fd;
    kot_chain_t   chain;
    char          host[256];
} kotctl_audit_writer_t;


static EVP_PKEY *kotctl_audit_key(kotctl_t *k);
static int kotctl_audit_prepare(kotctl_t *k, EVP_PKEY **pub, int *fd);
static int kotctl_audit_chain(kotctl_audit_writer_t *w, EVP_PKEY *pub,
    json_t *action);
static json_t *kotctl_audit_record(kotctl_audit_writer_t *w,
    const char *action);
static int kotctl_audit_write(kotctl_audit_writer_t *w, json_t *rec);
static int kotctl_audit_start(kotctl_audit_writer_t *w, EVP_PKEY *pub);
static int kotctl_audit_anchor(kotctl_audit_writer_t *w);
static void kotctl_audit_set(json_t *rec, const char *key, const char *value);
static void kotctl_audit_timestamp(char buf[64]);
static int kotctl_audit_push(kotctl_t *k, json_t *action,
    const char *tenant);


int
kotctl_audit(kotctl_t *k, int argc, char **argv)
{
    if (argc >= 1 && strcmp(argv[0], "verify") == 0) {
        return (kotctl_no_json(k, "verify") == KOTCTL_OK)
               ? kotctl_audit_verify(k, argc - 1, argv + 1) : KOTCTL_USAGE;
    }

    /* query prints JSON Lines, with or without --json */

    if (argc >= 1 && strcmp(argv[0], "query") == 0) {
        return kotctl_audit_query(k, argc - 1, argv + 1);
    }

    kotctl_usage("usage: kotctl audit verify --auditor-private-key "
                 "PRIVATE.pem [--no-anchors]\n"
                 "                           [--until T] [--host NAME] "
                 "FILE...\n"
                 "       kotctl audit query [--since T] [--until T] "
                 "[--tenant T] [--user U]\n"
                 "                          [--action A] [--outcome O] "
                 "FILE...");

    return KOTCTL_USAGE;
}


int
kotctl_audit_ready(kotctl_t *k)
{
    int        rc, fd;
    EVP_PKEY  *pub;

    if (k->audit_log == NULL) {
        return KOTCTL_OK;
    }

    rc = kotctl_audit_prepare(k, &pub, &fd);

    if (rc == KOTCTL_OK) {
        EVP_PKEY_free(pub);
        close(fd);
    }

    return rc;
}


int
kotctl_audit_event(kotctl_t *k, const char *action, const char *category,
    const char *tenant, const char *target, json_t *change)
{
    int                     rc;
    char                    user[300];
    json_t                 *rec;
    EVP_PKEY               *pub;
    kotctl_audit_writer_t   w;

    memset(&w, 0, sizeof(w));
    w.k = k;

    rec = json_object();
    if (rec == NULL) {
        kotctl_error("out of memory: the action was not recorded");
        json_decref(change);
        return KOTCTL_FAIL;
    }

    if (gethostname(w.host, sizeof(w.host) - 1) != 0) {
        w.host[0] = '\0';
    }

    kotctl_actor(user, sizeof(user));

    /* the action's own fields, in the order of docs/audit.md */

    kotctl_audit_set(rec, "event.action", action);
    kotctl_audit_set(rec, "event.category", category);
    kotctl_audit_set(rec, "event.outcome", "success");
    kotctl_audit_set(rec, "user.name", user);
    kotctl_audit_set(rec, "user.target.name", target);
    kotctl_audit_set(rec, "organization.id", tenant);
    kotctl_audit_set(rec, "kot.target.tenant", tenant);
    kotctl_audit_set(rec, "kot.via", "kotctl");

    if (change) {
        json_object_set_new(rec, "kot.change", change);
    }

    kotctl_audit_set(rec, "host.hostname", w.host);

    rc = KOTCTL_OK;

    if (k->audit_log != NULL) {
        if (kotctl_audit_prepare(k, &pub, &w.fd) != KOTCTL_OK) {
            kotctl_error("the action was not recorded in the audit log "
                         "\"%s\"", k->audit_log);
            json_decref(rec);
            return KOTCTL_FAIL;
        }

        rc = kotctl_audit_chain(&w, pub, rec);

        EVP_PKEY_free(pub);
        close(w.fd);
        kot_chain_wipe(&w.chain);
    }

    if (rc == KOTCTL_OK && tenant != NULL) {
        rc = kotctl_audit_push(k, rec, tenant);
    }

    json_decref(rec);

    return rc;
}


/*
 * The record, with its time, at the head of the tenant's events list
 * (what the admin API shows the tenant's administrators), and in the
 * notification stream if there is one: kotctl cannot see whether nginx
 * has kot_notify on, and the stream exists once nginx or kotctl notify
 * has used it.  A tenant just deleted takes no event: the script leaves
 * its keys gone.
 */

static int
kotctl_audit_push(kotctl_t *k, json_t *action, const char *tenant)
{
    char         ts[64], *s, cap[16], now[24];
    json_t      *rec, *value;
    const char  *key, *args[7];
    redisReply  *r;

    if (k->rc == NULL || k->rc->err) {
        return KOTCTL_OK;
    }

    kotctl_audit_timestamp(ts);

    rec = json_object();
    if (rec == NULL) {
        kotctl_error("out of memory");
        return KOTCTL_FAIL;
    }

    json_object_set_new(rec, "@timestamp", json_string(ts));

    json_object_foreach(action, key, value) {
        json_object_set(rec, key, value);
    }

    s = kotctl_json_dump(rec, JSON_COMPACT);

    if (s != NULL && strlen(s) > KOT_EVENT_MAX_BYTES) {
        free(s);
        json_object_del(rec, "kot.change");
        json_object_set_new(rec, "kot.change_omitted", json_true());
        s = kotctl_json_dump(rec, JSON_COMPACT);
    }

    json_decref(rec);

    if (s == NULL) {
        kotctl_error("out of memory");
        return KOTCTL_FAIL;
    }

    snprintf(cap, sizeof(cap), "%d", KOT_EVENTS_MAX);
    snprintf(now, sizeof(now), "%llu", (unsigned long long) kotctl_now());

    args[0] = kotctl_key(KOT_KEY_TENANT, tenant, NULL);
    args[1] = kotctl_key(KOT_KEY_EVENTS, tenant, NULL);
    args[2] = s;
    args[3] = cap;
    args[4] = "auto";       /* notified if the stream is in use */
    args[5] = now;
    args[6] = "";

    r = kotctl_eval(k, KOT_SCRIPT_EVENT_PUSH, 2, 7, args);
    free(s);

    if (r == NULL) {
        kotctl_error("the action was done, but is not in the events list "
                     "of tenant \"%s\"", tenant);
        return KOTCTL_FAIL;
    }

    freeReplyObject(r);

    return KOTCTL_OK;
}


/*
 * The auditor's key and the open log, or the reason printed: everything
 * that can be checked before an action is made.
 */

static int
kotctl_audit_prepare(kotctl_t *k, EVP_PKEY **pub, int *fd)
{
    if (k->auditor_key == NULL) {
        kotctl_error("--audit-log needs --auditor-public-key: the "
                     "auditor's RSA public key, PEM (or $KOT_AUDITOR_KEY)");
        return KOTCTL_USAGE;
    }

    *pub = kotctl_audit_key(k);
    if (*pub == NULL) {
        return KOTCTL_FAIL;
    }

    *fd = open(k->audit_log, O_WRONLY|O_APPEND|O_CREAT|O_CLOEXEC, 0640);

    if (*fd == -1) {
        kotctl_error("cannot open the audit log \"%s\": %s", k->audit_log,
                     strerror(errno));
        EVP_PKEY_free(*pub);
        return KOTCTL_FAIL;
    }

    return KOTCTL_OK;
}


/* The auditor's public key, checked; the reason is printed on failure. */

static EVP_PKEY *
kotctl_audit_key(kotctl_t *k)
{
    EVP_PKEY  *pub;

    if (access(k->auditor_key, R_OK) != 0) {
        kotctl_error("cannot read the auditor key \"%s\": %s",
                     k->auditor_key, strerror(errno));
        return NULL;
    }

    pub = kot_chain_load_public(k->auditor_key);

    if (pub == NULL) {
        kotctl_error("\"%s\" is not a PEM public key (make one with "
                     "\"openssl pkey -in PRIVATE.pem -pubout\")",
                     k->auditor_key);
        return NULL;
    }

    if (!EVP_PKEY_is_a(pub, "RSA")
        || EVP_PKEY_get_bits(pub) < KOTCTL_AUDIT_RSA_MIN)
    {
        kotctl_error("the auditor key \"%s\" must be an RSA key of at "
                     "least %d bits", k->auditor_key, KOTCTL_AUDIT_RSA_MIN);
        EVP_PKEY_free(pub);
        return NULL;
    }

    return pub;
}


/* Writes the whole chain around the action record, then its anchor. */

static int
kotctl_audit_chain(kotctl_audit_writer_t *w, EVP_PKEY *pub, json_t *action)
{
    json_t      *rec, *value;
    const char  *key;

    if (kotctl_audit_start(w, pub) != 0) {
        return KOTCTL_FAIL;
    }

    rec = kotctl_audit_record(w, NULL);
    if (rec == NULL) {
        return KOTCTL_FAIL;
    }

    json_object_foreach(action, key, value) {
        json_object_set(rec, key, value);
    }

    if (kotctl_audit_write(w, rec) != 0) {
        return KOTCTL_FAIL;
    }

    rec = kotctl_audit_record(w, "chain_end");
    if (rec == NULL || kotctl_audit_write(w, rec) != 0) {
        return KOTCTL_FAIL;
    }

    /* an anchor must never run ahead of the file */

    if (fdatasync(w->fd) != 0) {
        kotctl_error("cannot sync the audit log \"%s\": %s",
                     w->k->audit_log, strerror(errno));
        return KOTCTL_FAIL;
    }

    return kotctl_audit_anchor(w);
}


static int
kotctl_audit_start(kotctl_audit_writer_t *w, EVP_PKEY *pub)
{
    char     sealed[KOT_CHAIN_SEALED_MAX], fpr[KOT_CHAIN_FPR_LEN + 1];
    json_t  *rec;
    uint8_t  k0[KOT_CHAIN_KEY_LEN];

    if (kot_chain_start(&w->chain, k0) != 0
        || kot_chain_seal_key(pub, k0, sealed, sizeof(sealed)) < 0
        || kot_chain_fingerprint(pub, fpr) != 0)
    {
        kot_cleanse(k0, sizeof(k0));
        kotctl_error("cannot start an audit chain with the auditor key "
                     "\"%s\"", w->k->auditor_key);
        return -1;
    }

    kot_cleanse(k0, sizeof(k0));

    rec = kotctl_audit_record(w, "chain_start");
    if (rec == NULL) {
        return -1;
    }

    kotctl_audit_set(rec, "kot.sealed_key", sealed);
    kotctl_audit_set(rec, "kot.auditor_key", fpr);
    kotctl_audit_set(rec, "host.hostname", w->host);
    json_object_set_new(rec, "process.pid", json_integer(getpid()));
    kotctl_audit_set(rec, "service.version", KOT_VERSION);
    kotctl_audit_set(rec, KOT_CHAIN_ALG_MEMBER,
                     kot_chain_alg_name(&w->chain));

    return kotctl_audit_write(w, rec);
}


/* A new record of the chain with its three leading fields. */

static json_t *
kotctl_audit_record(kotctl_audit_writer_t *w, const char *action)
{
    char     ts[64];
    json_t  *rec;

    kotctl_audit_timestamp(ts);

    rec = json_object();
    if (rec == NULL) {
        kotctl_error("out of memory");
        return NULL;
    }

    json_object_set_new(rec, "@timestamp", json_string(ts));
    json_object_set_new(rec, "event.sequence",
                        json_integer((json_int_t) w->chain.seq));
    json_object_set_new(rec, "kot.chain", json_string(w->chain.id));
    kotctl_audit_set(rec, "event.action", action);

    return rec;
}


/*
 * Seals the record (taking the reference) and appends it with a single
 * write(): with O_APPEND, lines of concurrent writers never interleave.
 */

static int
kotctl_audit_write(kotctl_audit_writer_t *w, json_t *rec)
{
    int       rc;
    char     *s, *line;
    long      n;
    size_t    len;
    ssize_t   written;

    s = kotctl_json_dump(rec, JSON_COMPACT);
    json_decref(rec);

    if (s == NULL) {
        kotctl_error("out of memory");
        return -1;
    }

    len = strlen(s);
    rc = -1;
    line = NULL;

    if (len + KOT_CHAIN_SUFFIX_MAX > KOTCTL_AUDIT_LINE_MAX) {
        kotctl_error("the audit record is longer than %d bytes",
                     KOTCTL_AUDIT_LINE_MAX);
        goto done;
    }

    line = malloc(len + KOT_CHAIN_SUFFIX_MAX);
    if (line == NULL) {
        kotctl_error("out of memory");
        goto done;
    }

    n = kot_chain_seal(&w->chain, s, len, line);
    if (n < 0) {
        kotctl_error("cannot seal the audit record");
        goto done;
    }

    written = write(w->fd, line, (size_t) n);

    if (written != n) {
        kotctl_error("cannot write to the audit log \"%s\": %s",
                     w->k->audit_log,
                     written < 0 ? strerror(errno) : "short write");
        goto done;
    }

    rc = 0;

done:

    free(line);
    free(s);

    return rc;
}


/* The chain's head in Redis, with the script the module uses too. */

static int
kotctl_audit_anchor(kotctl_audit_writer_t *w)
{
    char         seq[24], mac[KOT_CHAIN_MAC_HEX_MAX + 1], now[24];
    char         oldest[24];
    char         path[PATH_MAX];
    uint64_t     ms;
    const char  *args[10];
    redisReply  *reply;

    if (w->k->rc == NULL || w->k->rc->err) {
        return KOTCTL_OK;
    }

    (void) kot_chain_head_hex(&w->chain, mac);

    ms = kotctl_now();
    snprintf(seq, sizeof(seq), "%llu",
             (unsigned long long) (w->chain.seq - 1));
    snprintf(now, sizeof(now), "%llu", (unsigned long long) ms);
    snprintf(oldest, sizeof(oldest), "%llu",
             (unsigned long long) (ms - KOTCTL_AUDIT_KEEP_MS));

    args[0] = kotctl_key(KOT_PREFIX "audit:", w->chain.id, NULL);
    args[1] = KOT_PREFIX "audit:chains";
    args[2] = w->chain.id;
    args[3] = seq;
    args[4] = mac;
    args[5] = now;
    args[6] = realpath(w->k->audit_log, path) ? path : w->k->audit_log;
    args[7] = oldest;
    args[8] = KOTCTL_AUDIT_TTL;
    args[9] = w->host;              /* as the records' host.hostname */

    reply = kotctl_eval(w->k, KOT_SCRIPT_AUDIT_ANCHOR, 2, 10, args);
    free((char *) args[0]);

    if (reply == NULL) {
        kotctl_error("the action is in the audit log, but its anchor could "
                     "not be published to Redis");
        return KOTCTL_FAIL;
    }

    freeReplyObject(reply);

    return KOTCTL_OK;
}


/*
 * Sets a string member unless the value is absent or empty.  jansson
 * refuses invalid UTF-8, so such bytes become U+FFFD first.
 */

static void
kotctl_audit_set(json_t *rec, const char *key, const char *value)
{
    char    *clean;
    size_t   len, n;

    if (value == NULL || value[0] == '\0') {
        return;
    }

    len = strlen(value);

    if (kot_utf8_valid(value, len)) {
        json_object_set_new(rec, key, json_stringn(value, len));
        return;
    }

    n = kot_utf8_sanitize_len(value, len);

    clean = malloc(n);
    if (clean == NULL) {
        return;
    }

    kot_utf8_sanitize(clean, value, len);
    json_object_set_new(rec, key, json_stringn(clean, n));
    free(clean);
}


/* 2026-11-26T10:00:00.123Z */

static void
kotctl_audit_timestamp(char buf[64])
{
    struct tm        tm;
    struct timespec  ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);

    snprintf(buf, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, (int) (ts.tv_nsec / 1000000));
}


/*
 * "kotctl:" and the name of the OS user kotctl runs as, and under sudo
 * the administrator who ran it: root alone says nothing of who did it.
 * SUDO_USER is only as true as the environment, which root controls.
 */

void
kotctl_actor(char *buf, size_t len)
{
    int             n;
    const char     *sudo;
    struct passwd  *pw;

    pw = getpwuid(geteuid());

    if (pw != NULL && pw->pw_name != NULL) {
        n = snprintf(buf, len, "kotctl:%s", pw->pw_name);

    } else {
        n = snprintf(buf, len, "kotctl:uid=%u", (unsigned) geteuid());
    }

    sudo = getenv("SUDO_USER");

    if (sudo != NULL && sudo[0] != '\0' && n > 0 && (size_t) n < len) {
        snprintf(buf + n, len - n, " (sudo: %.64s)", sudo);
    }
}
