/*
 * kotctl: per-tenant source address allow-lists.
 *
 *     kotctl allowlist TENANT access|admin add|remove|set|list [CIDR...]
 *
 * Each list is a Redis set of canonical CIDR texts, al:{tenant}:{list},
 * changed by the allowlist_change script (kot_scripts.c) that the admin
 * API runs too; every change increments alv:{tenant}, so that the
 * module's cached matchers notice it.  A list already as asked is not
 * changed, its version stays, and nothing is recorded.  An empty list
 * allows every address.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kotctl.h"
#include "kot_cidr.h"
#include "kot_ident.h"
#include "kot_scripts.h"
#include "kot_utf8.h"


/* how much of a refused argument is shown back */
#define KOTCTL_ALLOW_SHOW      64

typedef char  kotctl_cidr_text_t[KOT_CIDR_STR_MAX];

typedef struct {
    char                 tenant[KOT_TENANT_MAX + 1];
    const char          *list;          /* "access" or "admin" */
    const char          *op;            /* "add", "remove", "set" */
    kotctl_cidr_text_t  *entries;       /* canonical, sorted, unique */
    size_t               n;
} kotctl_allow_t;

/* what the script did */
typedef struct {
    long long            size;          /* entries in the list after */
    long long            version;       /* alv:{tenant} after */
    json_t              *added;         /* the entries it added */
    json_t              *removed;       /* and removed */
} kotctl_allow_result_t;


static int kotctl_allow_args(int argc, char **argv, kotctl_allow_t *a);
static int kotctl_allow_parse(int argc, char **argv, kotctl_allow_t *a);
static int kotctl_allow_change(kotctl_t *k, kotctl_allow_t *a);
static int kotctl_allow_eval(kotctl_t *k, kotctl_allow_t *a,
    kotctl_allow_result_t *r);
static void kotctl_allow_report(kotctl_allow_t *a,
    kotctl_allow_result_t *r);
static void kotctl_allow_empty(FILE *out, kotctl_allow_t *a,
    const char *now);
static json_t *kotctl_allow_audit(kotctl_allow_t *a,
    kotctl_allow_result_t *r);
static int kotctl_allow_list(kotctl_t *k, kotctl_allow_t *a);


int
kotctl_allowlist(kotctl_t *k, int argc, char **argv)
{
    int             rc;
    kotctl_allow_t  a;

    memset(&a, 0, sizeof(kotctl_allow_t));

    rc = kotctl_allow_args(argc, argv, &a);
    if (rc != KOTCTL_OK) {
        return rc;
    }

    if (strcmp(a.op, "list") == 0) {
        rc = kotctl_connect(k);
        return (rc == KOTCTL_OK) ? kotctl_allow_list(k, &a) : rc;
    }

    if (kotctl_no_json(k, a.op) != KOTCTL_OK) {
        return KOTCTL_USAGE;
    }

    /* every entry is checked before anything is changed */

    rc = kotctl_allow_parse(argc - 3, argv + 3, &a);

    if (rc == KOTCTL_OK) {
        rc = kotctl_change_ready(k);
    }

    if (rc == KOTCTL_OK) {
        rc = kotctl_connect(k);
    }

    if (rc == KOTCTL_OK) {
        rc = kotctl_allow_change(k, &a);
    }

    free(a.entries);

    return rc;
}


static int
kotctl_allow_args(int argc, char **argv, kotctl_allow_t *a)
{
    if (argc < 3) {
        kotctl_usage_of(stderr, "allowlist");
        return KOTCTL_USAGE;
    }

    if (kotctl_tenant_name(argv[0], a->tenant) != KOTCTL_OK) {
        return KOTCTL_USAGE;
    }

    if (strcmp(argv[1], "access") != 0 && strcmp(argv[1], "admin") != 0) {
        kotctl_error("unknown list \"%s\": use access (every request) or "
                     "admin (administrators)", argv[1]);
        return KOTCTL_USAGE;
    }

    a->list = argv[1];
    a->op = argv[2];

    if (strcmp(a->op, "list") == 0) {
        if (argc != 3) {
            kotctl_error("allowlist list takes no CIDR");
            return KOTCTL_USAGE;
        }

        return KOTCTL_OK;
    }

    if (strcmp(a->op, "add") != 0 && strcmp(a->op, "remove") != 0
        && strcmp(a->op, "set") != 0)
    {
        kotctl_error("unknown allowlist command \"%s\"; see \"kotctl "
                     "--help\"", a->op);
        return KOTCTL_USAGE;
    }

    /* "set" without entries is how a list is emptied */

    if (argc == 3 && strcmp(a->op, "set") != 0) {
        kotctl_error("allowlist %s needs at least one CIDR", a->op);
        return KOTCTL_USAGE;
    }

    return KOTCTL_OK;
}


/*
 * Parses every CIDR and reports every bad one, so that one run shows
 * all the mistakes; keeps the canonical texts, sorted and unique.
 */

static int
kotctl_allow_parse(int argc, char **argv, kotctl_allow_t *a)
{
    int          i, rc, bad;
    char         reason[KOT_CIDR_REASON_MAX];
    char         shown[KOTCTL_CUT_SIZE(KOTCTL_ALLOW_SHOW)];
    size_t       j, n;
    kot_cidr_t  *v;

    v = calloc(argc ? argc : 1, sizeof(kot_cidr_t));
    a->entries = calloc(argc ? argc : 1, sizeof(kotctl_cidr_text_t));

    if (v == NULL || a->entries == NULL) {
        kotctl_error("out of memory");
        free(v);
        return KOTCTL_FAIL;
    }

    bad = 0;

    for (i = 0; i < argc; i++) {
        rc = kot_cidr_parse(argv[i], strlen(argv[i]), &v[i]);

        if (rc != KOT_CIDR_OK) {
            kot_cidr_reason(rc, &v[i], reason, sizeof(reason));
            kotctl_error("\"%s\": %s",
                         kotctl_cut(argv[i], KOTCTL_ALLOW_SHOW, shown),
                         reason);
            bad++;
        }
    }

    if (bad) {
        kotctl_error("%d of %d %s %s not valid; nothing was changed",
                     bad, argc, kotctl_plural(argc, "entry", "entries"),
                     kotctl_plural(bad, "is", "are"));
        free(v);
        return KOTCTL_USAGE;
    }

    n = kot_cidr_unique(v, argc);

    if (n > KOT_ALLOW_MAX) {
        kotctl_error("%zu entries: a list holds at most %d; nothing was "
                     "changed", n, KOT_ALLOW_MAX);
        free(v);
        return KOTCTL_USAGE;
    }

    for (j = 0; j < n; j++) {
        kot_cidr_format(&v[j], a->entries[j], sizeof(kotctl_cidr_text_t));
    }

    a->n = n;
    free(v);

    return KOTCTL_OK;
}


static int
kotctl_allow_change(kotctl_t *k, kotctl_allow_t *a)
{
    int                    rc;
    kotctl_allow_result_t  r;

    memset(&r, 0, sizeof(kotctl_allow_result_t));

    rc = kotctl_allow_eval(k, a, &r);
    if (rc != KOTCTL_OK) {
        return rc;
    }

    kotctl_allow_report(a, &r);

    /* already as asked: allowlist_change wrote nothing; no record */

    if (json_array_size(r.added) == 0 && json_array_size(r.removed) == 0) {
        json_decref(r.added);
        json_decref(r.removed);
        return KOTCTL_OK;
    }

    if (kotctl_audit_event(k, "allowlist_changed", "configuration",
                           a->tenant, NULL, kotctl_allow_audit(a, &r))
        != 0)
    {
        return KOTCTL_FAIL;
    }

    return KOTCTL_OK;
}


static int
kotctl_allow_eval(kotctl_t *k, kotctl_allow_t *a, kotctl_allow_result_t *r)
{
    int           rc;
    char          limit[16];
    size_t        i, j, argc;
    json_t       *lists[2];
    const char  **argv;
    redisReply   *reply, **e;

    argc = 5 + a->n;
    argv = calloc(argc, sizeof(char *));
    if (argv == NULL) {
        kotctl_error("out of memory");
        return KOTCTL_FAIL;
    }

    snprintf(limit, sizeof(limit), "%d", KOT_ALLOW_MAX);

    argv[0] = kotctl_key(KOT_KEY_TENANT, a->tenant, NULL);
    argv[1] = kotctl_key(KOT_KEY_ALLOW, a->tenant, a->list);
    argv[2] = kotctl_key(KOT_KEY_ALLOW_VERSION, a->tenant, NULL);
    argv[3] = a->op;
    argv[4] = limit;

    for (i = 0; i < a->n; i++) {
        argv[5 + i] = a->entries[i];
    }

    reply = kotctl_eval(k, KOT_SCRIPT_ALLOWLIST_CHANGE, 3, (int) argc,
                        argv);
    free(argv);

    if (reply == NULL) {
        return KOTCTL_FAIL;
    }

    switch (kotctl_refusal(reply)) {
    case 0:
        break;
    case -1:
        freeReplyObject(reply);
        return kotctl_no_tenant(k, a->tenant);
    default:
        freeReplyObject(reply);
        kotctl_error("the %s list of tenant \"%s\" would hold more than %d "
                     "entries; nothing was changed", a->list, a->tenant,
                     KOT_ALLOW_MAX);
        return KOTCTL_FAIL;
    }

    e = reply->element;

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 4
        || e[0]->type != REDIS_REPLY_INTEGER
        || e[1]->type != REDIS_REPLY_INTEGER
        || e[2]->type != REDIS_REPLY_ARRAY
        || e[3]->type != REDIS_REPLY_ARRAY)
    {
        return kotctl_unexpected(k, reply);
    }

    r->size = e[0]->integer;
    r->version = e[1]->integer;

    for (i = 0; i < 2; i++) {
        lists[i] = json_array();

        for (j = 0; lists[i] && j < e[2 + i]->elements; j++) {
            if (e[2 + i]->element[j]->type == REDIS_REPLY_STRING) {
                json_array_append_new(lists[i],
                                      json_string(e[2 + i]->element[j]->str));
            }
        }
    }

    r->added = lists[0];
    r->removed = lists[1];
    rc = KOTCTL_OK;

    freeReplyObject(reply);

    return rc;
}


static void
kotctl_allow_report(kotctl_allow_t *a, kotctl_allow_result_t *r)
{
    long long    given, changed;
    const char  *as_is;

    given = (long long) a->n;
    changed = (long long) (json_array_size(r->added)
                           + json_array_size(r->removed));
    as_is = changed ? "" : "; nothing changed";

    if (strcmp(a->op, "add") == 0) {
        kotctl_print(stdout, "%lld of %lld %s added to the %s list of tenant "
                     "\"%s\" (%lld already there); it has %lld %s%s\n",
                     changed, given, kotctl_plural(given, "entry", "entries"),
                     a->list, a->tenant, given - changed, r->size,
                     kotctl_plural(r->size, "entry", "entries"), as_is);

    } else if (strcmp(a->op, "remove") == 0) {
        kotctl_print(stdout, "%lld of %lld %s removed from the %s list of "
                     "tenant \"%s\" (%lld not there); it has %lld %s%s\n",
                     changed, given, kotctl_plural(given, "entry", "entries"),
                     a->list, a->tenant, given - changed, r->size,
                     kotctl_plural(r->size, "entry", "entries"), as_is);

    } else {
        kotctl_print(stdout, "the %s list of tenant \"%s\" %s; it has "
                     "%lld %s%s\n", a->list, a->tenant,
                     changed ? "was replaced" : "already is that list",
                     r->size, kotctl_plural(r->size, "entry", "entries"),
                     as_is);
    }

    /* an empty list is no restriction at all: say so loudly */

    if (r->size == 0) {
        kotctl_allow_empty(stdout, a, changed ? "now " : "");
    }
}


/* What an empty list means: no restriction of its own. */

static void
kotctl_allow_empty(FILE *out, kotctl_allow_t *a, const char *now)
{
    if (strcmp(a->list, "access") == 0) {
        kotctl_print(out, "the access list of tenant \"%s\" is %sempty: every "
                     "network is allowed\n", a->tenant, now);

    } else {
        kotctl_print(out, "the admin list of tenant \"%s\" is %sempty: admin "
                     "locations allow every network that the access list "
                     "allows\n", a->tenant, now);
    }
}


/*
 * {"list": "access", "op": "add", "entries": [...], "added": [...],
 *  "removed": [...], "before": {"size": 1}, "after": {"size": 2},
 *  "version": 7}: the request, and what it changed.
 */

static json_t *
kotctl_allow_audit(kotctl_allow_t *a, kotctl_allow_result_t *r)
{
    size_t      i;
    json_t     *entries;
    json_int_t  before;

    entries = json_array();

    for (i = 0; entries != NULL && i < a->n; i++) {
        json_array_append_new(entries, json_string(a->entries[i]));
    }

    before = (json_int_t) (r->size + json_array_size(r->removed)
                           - json_array_size(r->added));

    return json_pack("{s:s, s:s, s:o*, s:o*, s:o*, s:{s:I}, s:{s:I}, s:I}",
                     "list", a->list, "op", a->op, "entries", entries,
                     "added", r->added, "removed", r->removed,
                     "before", "size", before,
                     "after", "size", (json_int_t) r->size,
                     "version", (json_int_t) r->version);
}


/*
 * Prints the list sorted, IPv4 first.  Entries that are not valid (put
 * there by hand) are reported, not hidden, and make the exit status 1.
 */

static int
kotctl_allow_list(kotctl_t *k, kotctl_allow_t *a)
{
    int           rc;
    char          text[KOT_CIDR_STR_MAX];
    char          shown[KOTCTL_CUT_SIZE(KOTCTL_ALLOW_SHOW)];
    size_t        i, n;
    json_t       *networks;
    const char   *argv[2];
    redisReply   *reply, *e;
    kot_cidr_t   *v;

    rc = kotctl_tenant_exists(k, a->tenant);
    if (rc != KOTCTL_OK) {
        return rc;
    }

    argv[0] = "SMEMBERS";
    argv[1] = kotctl_key(KOT_KEY_ALLOW, a->tenant, a->list);

    reply = kotctl_cmd(k, 2, argv);
    if (reply == NULL) {
        return KOTCTL_FAIL;
    }

    if (reply->type != REDIS_REPLY_ARRAY) {
        kotctl_error("%s is not a set", argv[1]);
        freeReplyObject(reply);
        return KOTCTL_FAIL;
    }

    v = calloc(reply->elements ? reply->elements : 1, sizeof(kot_cidr_t));
    if (v == NULL) {
        kotctl_error("out of memory");
        freeReplyObject(reply);
        return KOTCTL_FAIL;
    }

    for (i = 0, n = 0; i < reply->elements; i++) {
        e = reply->element[i];

        if (e->type == REDIS_REPLY_STRING
            && kot_cidr_parse(e->str, e->len, &v[n]) == KOT_CIDR_OK)
        {
            n++;
            continue;
        }

        kotctl_error("%s holds \"%s\", which is not a valid CIDR",
                     argv[1],
                     e->type == REDIS_REPLY_STRING
                     ? kotctl_cut(e->str, KOTCTL_ALLOW_SHOW, shown) : "?");
        rc = KOTCTL_FAIL;
    }

    n = kot_cidr_unique(v, n);
    networks = json_array();

    for (i = 0; i < n; i++) {
        kot_cidr_format(&v[i], text, sizeof(text));

        if (k->json) {
            json_array_append_new(networks, json_string(text));

        } else {
            kotctl_print(stdout, "%s\n", text);
        }
    }

    if (!k->json) {
        json_decref(networks);

    } else if (kotctl_json_print(json_pack("{s:s, s:s, s:o}", "tenant",
                                           a->tenant, "list", a->list,
                                           "networks", networks))
               != KOTCTL_OK)
    {
        rc = KOTCTL_FAIL;
    }

    /* standard output keeps one network a line, for scripts */

    if (reply->elements == 0) {
        kotctl_allow_empty(stderr, a, "");
    }

    free(v);
    freeReplyObject(reply);

    return rc;
}
