/*
 * kotctl: tenants, their password policy and events, and the support
 * access a tenant grants to the operator's staff.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kotctl.h"
#include "kot_ident.h"
#include "kot_notify.h"
#include "kot_policy.h"
#include "kot_scripts.h"


#define KOTCTL_EVENTS_DEFAULT  100


static int kotctl_tenant_add(kotctl_t *k, const char *tenant);
static int kotctl_tenant_list(kotctl_t *k);
static int kotctl_tenant_delete(kotctl_t *k, const char *tenant, int argc,
    char **argv);
static int kotctl_tenant_policy(kotctl_t *k, const char *tenant, int argc,
    char **argv);
static int kotctl_tenant_events(kotctl_t *k, const char *tenant, int argc,
    char **argv);
static int kotctl_tenant_notify(kotctl_t *k, const char *tenant, int argc,
    char **argv);
static int kotctl_support_grant(kotctl_t *k, const char *tenant, int argc,
    char **argv);
static int kotctl_support_revoke(kotctl_t *k, const char *tenant);
static int kotctl_support_status(kotctl_t *k, const char *tenant);
static int kotctl_number(const char *s, long min, long max, long *n);


int
kotctl_tenant(kotctl_t *k, int argc, char **argv)
{
    int          rc;
    char         tenant[KOT_TENANT_MAX + 1];
    const char  *cmd;

    cmd = (argc > 0) ? argv[0] : "";

    if (strcmp(cmd, "list") == 0 && argc == 1) {
        rc = kotctl_connect(k);
        return (rc == KOTCTL_OK) ? kotctl_tenant_list(k) : rc;
    }

    if (argc < 2
        || (strcmp(cmd, "add") == 0 && argc != 2)
        || (strcmp(cmd, "notify") == 0 && argc > 3)
        || (strcmp(cmd, "add") != 0 && strcmp(cmd, "delete") != 0
            && strcmp(cmd, "policy") != 0 && strcmp(cmd, "events") != 0
            && strcmp(cmd, "notify") != 0))
    {
        kotctl_usage_of(stderr, "tenant");
        return KOTCTL_USAGE;
    }

    rc = kotctl_tenant_name(argv[1], tenant);
    if (rc != KOTCTL_OK) {
        return rc;
    }

    /* only the policy and the webhook when not set, and the events, show */

    if (strcmp(cmd, "events") != 0
        && ((strcmp(cmd, "policy") != 0 && strcmp(cmd, "notify") != 0)
            || argc > 2)
        && kotctl_no_json(k, cmd) != KOTCTL_OK)
    {
        return KOTCTL_USAGE;
    }

    rc = kotctl_connect(k);
    if (rc != KOTCTL_OK) {
        return rc;
    }

    switch (cmd[0]) {
    case 'a':
        return kotctl_tenant_add(k, tenant);
    case 'd':
        return kotctl_tenant_delete(k, tenant, argc - 2, argv + 2);
    case 'e':
        return kotctl_tenant_events(k, tenant, argc - 2, argv + 2);
    case 'n':
        return kotctl_tenant_notify(k, tenant, argc - 2, argv + 2);
    default:
        return kotctl_tenant_policy(k, tenant, argc - 2, argv + 2);
    }
}


static int
kotctl_tenant_add(kotctl_t *k, const char *tenant)
{
    char         now[24];
    long long    rc;
    const char  *args[5];

    if (kotctl_change_ready(k) != KOTCTL_OK) {
        return KOTCTL_FAIL;
    }

    snprintf(now, sizeof(now), "%llu", (unsigned long long) kotctl_now());

    args[0] = kotctl_key(KOT_KEY_TENANT, tenant, NULL);
    args[1] = KOT_KEY_TENANTS;
    args[2] = KOT_KEY_RETIRED_TENANTS;
    args[3] = tenant;
    args[4] = now;

    if (kotctl_eval_int(k, KOT_SCRIPT_TENANT_ADD, 3, 5, args, &rc)
        != KOTCTL_OK)
    {
        return KOTCTL_FAIL;
    }

    if (rc == KOT_RETIRED) {
        kotctl_error("tenant \"%s\" was deleted: its name is retired and "
                     "can never be used again; choose another", tenant);
        return KOTCTL_FAIL;
    }

    if (rc != 1) {
        kotctl_error("tenant \"%s\" already exists", tenant);
        return KOTCTL_FAIL;
    }

    kotctl_print(stdout, "tenant \"%s\" added\n", tenant);

    return kotctl_audit_event(k, "tenant_added", "configuration", tenant,
                              NULL, NULL) == 0 ? KOTCTL_OK : KOTCTL_FAIL;
}


/*
 * The rows of tenant_list: every tenant, or only the one named (none if
 * it does not exist).  NULL with the reason printed.
 */

static redisReply *
kotctl_tenant_rows(kotctl_t *k, const char *tenant)
{
    size_t       i;
    const char  *args[2];
    redisReply  *r, *row;

    args[0] = KOT_KEY_TENANTS;
    args[1] = tenant ? tenant : "";

    r = kotctl_eval(k, KOT_SCRIPT_TENANT_LIST, 1, 2, args);
    if (r == NULL) {
        return NULL;
    }

    for (i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        row = r->element[i];

        if (row->type != REDIS_REPLY_ARRAY || row->elements != 3
            || row->element[0]->type != REDIS_REPLY_STRING
            || row->element[1]->type != REDIS_REPLY_INTEGER
            || row->element[2]->type != REDIS_REPLY_INTEGER)
        {
            break;
        }
    }

    if (r->type != REDIS_REPLY_ARRAY || i < r->elements) {
        (void) kotctl_unexpected(k, r);
        return NULL;
    }

    return r;
}


static int
kotctl_tenant_list(kotctl_t *k)
{
    char             created[KOT_RFC3339_LEN], users[24];
    size_t           i;
    json_t          *list;
    redisReply      *r, **e;
    kotctl_table_t  *tbl;

    static const kotctl_column_t  columns[] = {
        { "TENANT", 40 }, { "CREATED", 20 }, { "USERS", 0 }
    };

    r = kotctl_tenant_rows(k, NULL);
    if (r == NULL) {
        return KOTCTL_FAIL;
    }

    if (kotctl_listing(k, columns, 3, &list, &tbl) != KOTCTL_OK) {
        freeReplyObject(r);
        return KOTCTL_FAIL;
    }

    for (i = 0; i < r->elements; i++) {
        e = r->element[i]->element;

        if (k->json) {
            json_array_append_new(list,
                json_pack("{s:o, s:o, s:I}", "name",
                          kotctl_json_text(e[0]->str, e[0]->len),
                          "created", kotctl_json_time(e[1]->integer),
                          "users", (json_int_t) e[2]->integer));
            continue;
        }

        kotctl_time((uint64_t) e[1]->integer, created, sizeof(created));
        snprintf(users, sizeof(users), "%lld", e[2]->integer);

        kotctl_table_cell(tbl, e[0]->str, e[0]->len);
        kotctl_table_text(tbl, created);
        kotctl_table_text(tbl, users);
    }

    freeReplyObject(r);

    return kotctl_listing_print(k, "tenants", list, tbl);
}


/*
 * Everything of the tenant goes, at once on every node; its name is
 * retired.  What it purges is said before it is confirmed.
 */

static int
kotctl_tenant_delete(kotctl_t *k, const char *tenant, int argc, char **argv)
{
    int          rc;
    size_t       i;
    long long    users, ended, queued, dead;
    const char  *args[4];
    redisReply  *r;

    if (argc > 1 || (argc == 1 && strcmp(argv[0], "--yes") != 0)) {
        kotctl_error("usage: kotctl tenant delete TENANT [--yes]");
        return KOTCTL_USAGE;
    }

    r = kotctl_tenant_rows(k, tenant);
    if (r == NULL) {
        return KOTCTL_FAIL;
    }

    users = r->elements ? r->element[0]->element[2]->integer : -1;
    freeReplyObject(r);

    if (users < 0) {
        return kotctl_no_tenant(k, tenant);
    }

    kotctl_print(stderr, "Deleting tenant \"%s\" ends every session of it at "
                 "once and purges its %lld %s, their lockouts and password "
                 "histories, its allow-lists, password policy, support grant, "
                 "events, and notifications not yet delivered and dead "
                 "letters.  The audit log keeps its records.  The name "
                 "\"%s\" can never be used again.\n", tenant, users,
                 kotctl_plural(users, "user", "users"), tenant);

    rc = kotctl_confirm(tenant, argc == 1);
    if (rc != KOTCTL_OK) {
        return rc;
    }

    if (kotctl_change_ready(k) != KOTCTL_OK) {
        return KOTCTL_FAIL;
    }

    args[0] = kotctl_key(KOT_KEY_TENANT, tenant, NULL);
    args[1] = KOT_KEY_TENANTS;
    args[2] = KOT_KEY_RETIRED_TENANTS;
    args[3] = tenant;

    r = kotctl_eval(k, KOT_SCRIPT_TENANT_DELETE, 3, 4, args);
    if (r == NULL) {
        return KOTCTL_FAIL;
    }

    if (kotctl_refusal(r)) {
        freeReplyObject(r);
        return kotctl_no_tenant(k, tenant);
    }

    for (i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        if (r->element[i]->type != REDIS_REPLY_INTEGER) {
            break;
        }
    }

    if (r->type != REDIS_REPLY_ARRAY || r->elements != 4 || i != 4) {
        return kotctl_unexpected(k, r);
    }

    users = r->element[0]->integer;
    ended = r->element[1]->integer;
    queued = r->element[2]->integer;
    dead = r->element[3]->integer;
    freeReplyObject(r);

    kotctl_print(stdout, "tenant \"%s\" deleted: %lld %s removed, %lld %s "
                 "ended", tenant, users,
                 kotctl_plural(users, "user", "users"), ended,
                 kotctl_plural(ended, "session", "sessions"));

    if (queued || dead) {
        printf(", %lld undelivered %s and %lld dead %s dropped", queued,
               kotctl_plural(queued, "notification", "notifications"), dead,
               kotctl_plural(dead, "letter", "letters"));
    }

    printf("; the name is retired\n");

    return kotctl_audit_event(k, "tenant_deleted", "configuration", tenant,
                              NULL,
                              json_pack("{s:{s:I}, s:n, s:I, s:I, s:I, s:b}",
                                        "before", "users",
                                        (json_int_t) users, "after",
                                        "sessions_ended", (json_int_t) ended,
                                        "notifications_dropped",
                                        (json_int_t) queued,
                                        "dead_letters_dropped",
                                        (json_int_t) dead, "retired", 1))
           == 0 ? KOTCTL_OK : KOTCTL_FAIL;
}


/*
 * Without rules: shows the policy.  With rules: tightens it.  Every rule
 * is checked before anything is stored, and a loosening of the server's
 * policy is refused (kot_policy_tenant_check()).
 */

static int
kotctl_tenant_policy(kotctl_t *k, const char *tenant, int argc, char **argv)
{
    int            i;
    char           err[256], path[1024];
    size_t         n;
    json_t        *before, *after;
    const char   **args;
    kot_policy_t   server, t;
    redisReply    *r;

    if (kotctl_policy_server(k, &server, path, sizeof(path)) != KOTCTL_OK) {
        return KOTCTL_FAIL;
    }

    t = server;

    if (argc == 0) {
        return kotctl_policy_tenant(k, tenant, &t, 1);
    }

    if (kotctl_policy_tenant(k, tenant, &t, 0) != KOTCTL_OK) {
        return KOTCTL_FAIL;
    }

    for (i = 0; i < argc; i++) {
        if (kot_policy_tenant_set(&t, argv[i], strlen(argv[i]), err,
                                  sizeof(err), NULL)
            != 0)
        {
            kotctl_error("%s", err);
            return KOTCTL_USAGE;
        }
    }

    if (kot_policy_tenant_check(&server, &t, err, sizeof(err)) != 0) {
        kotctl_error("%s", err);
        return KOTCTL_USAGE;
    }

    if (kotctl_change_ready(k) != KOTCTL_OK) {
        return KOTCTL_FAIL;
    }

    /* rule, value, ...: each argument is "rule=value", checked above */

    args = calloc(1 + 2 * argc, sizeof(char *));
    if (args == NULL) {
        kotctl_error("out of memory");
        return KOTCTL_FAIL;
    }

    args[0] = kotctl_key(KOT_KEY_TENANT, tenant, NULL);

    for (i = 0; i < argc; i++) {
        n = strcspn(argv[i], "=");
        argv[i][n] = '\0';
        args[1 + 2 * i] = argv[i];
        args[2 + 2 * i] = argv[i] + n + 1;
    }

    r = kotctl_eval(k, KOT_SCRIPT_POLICY_SET, 1, 2 * argc + 1, args);
    if (r == NULL) {
        free(args);
        return KOTCTL_FAIL;
    }

    if (kotctl_refusal(r) || r->type != REDIS_REPLY_ARRAY
        || r->elements != (size_t) argc)
    {
        free(args);

        if (kotctl_refusal(r) == -1) {
            freeReplyObject(r);
            return kotctl_no_tenant(k, tenant);
        }

        return kotctl_unexpected(k, r);
    }

    before = json_object();
    after = json_object();

    for (i = 0; i < argc; i++) {
        json_object_set_new(before, args[1 + 2 * i],
                            r->element[i]->type == REDIS_REPLY_STRING
                            && r->element[i]->len
                            ? json_string(r->element[i]->str) : json_null());
        json_object_set_new(after, args[1 + 2 * i],
                            json_string(args[2 + 2 * i]));
    }

    freeReplyObject(r);
    free(args);

    kotctl_print(stdout, "tenant \"%s\": policy tightened\n", tenant);

    return kotctl_audit_event(k, "tenant_policy_changed", "configuration",
                              tenant, NULL,
                              json_pack("{s:o, s:o}", "before", before,
                                        "after", after))
           == 0 ? KOTCTL_OK : KOTCTL_FAIL;
}


/* The tenant's last events, newest first, as JSON Lines or one document. */

static int
kotctl_tenant_events(kotctl_t *k, const char *tenant, int argc, char **argv)
{
    int           rc;
    long          limit;
    char          n[24];
    size_t        i;
    json_t       *list, *rec;
    const char   *args[3];
    redisReply   *r, *e;

    limit = KOTCTL_EVENTS_DEFAULT;

    if (argc != 0 && (argc != 2 || strcmp(argv[0], "--limit") != 0
                      || kotctl_number(argv[1], 1, KOT_EVENTS_MAX, &limit)
                         != KOTCTL_OK))
    {
        kotctl_error("usage: kotctl tenant events TENANT [--limit N] "
                     "(N: 1 to %d)", KOT_EVENTS_MAX);
        return KOTCTL_USAGE;
    }

    snprintf(n, sizeof(n), "%ld", limit);

    args[0] = kotctl_key(KOT_KEY_TENANT, tenant, NULL);
    args[1] = kotctl_key(KOT_KEY_EVENTS, tenant, NULL);
    args[2] = n;

    r = kotctl_eval(k, KOT_SCRIPT_EVENT_LIST, 2, 3, args);
    if (r == NULL) {
        return KOTCTL_FAIL;
    }

    if (kotctl_refusal(r)) {
        freeReplyObject(r);
        return kotctl_no_tenant(k, tenant);
    }

    if (r->type != REDIS_REPLY_ARRAY) {
        return kotctl_unexpected(k, r);
    }

    rc = KOTCTL_OK;
    list = json_array();

    for (i = 0; i < r->elements; i++) {
        e = r->element[i];

        if (e->type != REDIS_REPLY_STRING) {
            continue;
        }

        /* all of it: a NUL must not hide the rest */

        if (!k->json) {
            kotctl_put_safe(stdout, e->str, e->len);
            putchar('\n');
            continue;
        }

        rec = json_loadb(e->str, e->len, 0, NULL);

        if (rec == NULL) {
            kotctl_error("an event of tenant \"%s\" is not JSON; left out",
                         tenant);
            rc = KOTCTL_FAIL;
            continue;
        }

        json_array_append_new(list, rec);
    }

    freeReplyObject(r);

    if (!k->json) {
        json_decref(list);
        return rc;
    }

    return kotctl_json_print(json_pack("{s:o}", "events", list)) == KOTCTL_OK
           ? rc : KOTCTL_FAIL;
}


/*
 * The tenant's webhook: kotctl notify posts the tenant's events there
 * rather than to its --webhook.  Shown, set, or removed (--clear).  The
 * audit record says whether there was one and is one, not the URL: a
 * webhook's URL often holds its token.
 */

static int
kotctl_tenant_notify(kotctl_t *k, const char *tenant, int argc, char **argv)
{
    int          set;
    const char  *args[3], *url;
    redisReply  *r;

    url = (argc == 1 && strcmp(argv[0], "--clear") != 0) ? argv[0] : "";
    set = (argc == 1);

    if (*url && !kot_notify_url_ok(url, strlen(url))) {
        kotctl_error("\"%s\" is not a webhook: an http:// or https:// URL "
                     "of at most %d characters, without spaces", url,
                     KOT_NOTIFY_URL_MAX);
        return KOTCTL_USAGE;
    }

    if (set && kotctl_change_ready(k) != KOTCTL_OK) {
        return KOTCTL_FAIL;
    }

    args[0] = kotctl_key(KOT_KEY_TENANT, tenant, NULL);
    args[1] = set ? "set" : "get";
    args[2] = url;

    r = kotctl_eval(k, KOT_SCRIPT_NOTIFY_URL, 1, 3, args);
    if (r == NULL) {
        return KOTCTL_FAIL;
    }

    if (kotctl_refusal(r)) {
        freeReplyObject(r);
        return kotctl_no_tenant(k, tenant);
    }

    if (r->type != REDIS_REPLY_STRING) {
        return kotctl_unexpected(k, r);
    }

    if (!set) {
        if (k->json) {
            json_t  *j;

            j = r->len ? kotctl_json_text(r->str, r->len) : json_null();
            set = kotctl_json_print(json_pack("{s:s,s:o}", "name", tenant,
                                              "notify_url", j));
            freeReplyObject(r);
            return set;
        }

        /* all of it: a NUL must not hide the rest */

        if (r->len) {
            kotctl_put_safe(stdout, r->str, r->len);
            putchar('\n');

        } else {
            printf("(none: kotctl notify --webhook)\n");
        }

        freeReplyObject(r);
        return KOTCTL_OK;
    }

    kotctl_print(stdout, "tenant \"%s\": %s\n", tenant,
                 *url ? "webhook set" : "webhook removed");

    set = (r->len > 0);
    freeReplyObject(r);

    return kotctl_audit_event(k, "tenant_notify_changed", "configuration",
                              tenant, NULL,
                              json_pack("{s:{s:b},s:{s:b}}",
                                        "before", "notify_url", set,
                                        "after", "notify_url", *url != '\0'));
}


/*
 * Support access: the operator's system admins see inside a tenant only
 * while it has granted them access, for 1 to 72 hours.
 */

int
kotctl_support(kotctl_t *k, int argc, char **argv)
{
    int          rc;
    char         tenant[KOT_TENANT_MAX + 1];
    const char  *cmd;

    cmd = (argc > 0) ? argv[0] : "";

    if (argc < 2
        || (strcmp(cmd, "grant") != 0 && argc != 2)
        || (strcmp(cmd, "grant") != 0 && strcmp(cmd, "revoke") != 0
            && strcmp(cmd, "status") != 0))
    {
        kotctl_usage_of(stderr, "support");
        return KOTCTL_USAGE;
    }

    rc = kotctl_tenant_name(argv[1], tenant);
    if (rc != KOTCTL_OK) {
        return rc;
    }

    if (strcmp(cmd, "status") != 0 && kotctl_no_json(k, cmd) != KOTCTL_OK) {
        return KOTCTL_USAGE;
    }

    if (cmd[0] == 'g') {
        return kotctl_support_grant(k, tenant, argc - 2, argv + 2);
    }

    rc = kotctl_connect(k);
    if (rc != KOTCTL_OK) {
        return rc;
    }

    return (cmd[0] == 'r') ? kotctl_support_revoke(k, tenant)
                           : kotctl_support_status(k, tenant);
}


static int
kotctl_support_grant(kotctl_t *k, const char *tenant, int argc, char **argv)
{
    int          rc;
    long         hours;
    char         now[24], expires[24], by[300], until[KOT_RFC3339_LEN];
    uint64_t     ms;
    long long    old;
    const char  *args[5];

    if (argc != 2 || strcmp(argv[0], "--hours") != 0
        || kotctl_number(argv[1], KOT_GRANT_HOURS_MIN, KOT_GRANT_HOURS_MAX,
                         &hours)
           != KOTCTL_OK)
    {
        kotctl_error("usage: kotctl support grant TENANT --hours N "
                     "(N: %d to %d)", KOT_GRANT_HOURS_MIN,
                     KOT_GRANT_HOURS_MAX);
        return KOTCTL_USAGE;
    }

    rc = kotctl_connect(k);
    if (rc != KOTCTL_OK) {
        return rc;
    }

    if (kotctl_change_ready(k) != KOTCTL_OK) {
        return KOTCTL_FAIL;
    }

    ms = kotctl_now();
    snprintf(now, sizeof(now), "%llu", (unsigned long long) ms);
    ms += (uint64_t) hours * 3600 * 1000;
    snprintf(expires, sizeof(expires), "%llu", (unsigned long long) ms);
    kotctl_actor(by, sizeof(by));

    args[0] = kotctl_key(KOT_KEY_TENANT, tenant, NULL);
    args[1] = kotctl_key(KOT_KEY_GRANT, tenant, NULL);
    args[2] = by;
    args[3] = now;
    args[4] = expires;

    if (kotctl_eval_int(k, KOT_SCRIPT_SUPPORT_GRANT, 2, 5, args, &old)
        != KOTCTL_OK)
    {
        return KOTCTL_FAIL;
    }

    if (old < 0) {
        return kotctl_no_tenant(k, tenant);
    }

    kotctl_time(ms, until, sizeof(until));
    kotctl_print(stdout, "support access to tenant \"%s\" granted until %s "
                 "(%ld %s)%s\n", tenant, until, hours,
                 kotctl_plural(hours, "hour", "hours"),
                 old ? "; it replaces the grant there was" : "");

    return kotctl_audit_event(k, "support_granted", "iam", tenant, NULL,
                              json_pack("{s:{s:o}, s:{s:s, s:i}}",
                                        "before", "expires",
                                        kotctl_json_time(old),
                                        "after", "expires", until,
                                        "hours", (int) hours))
           == 0 ? KOTCTL_OK : KOTCTL_FAIL;
}


static int
kotctl_support_revoke(kotctl_t *k, const char *tenant)
{
    long long    old;
    const char  *args[1];

    if (kotctl_tenant_exists(k, tenant) != KOTCTL_OK
        || kotctl_change_ready(k) != KOTCTL_OK)
    {
        return KOTCTL_FAIL;
    }

    args[0] = kotctl_key(KOT_KEY_GRANT, tenant, NULL);

    if (kotctl_eval_int(k, KOT_SCRIPT_SUPPORT_REVOKE, 1, 1, args, &old)
        != KOTCTL_OK)
    {
        return KOTCTL_FAIL;
    }

    if (old == 0) {
        kotctl_print(stdout, "tenant \"%s\" has granted no support access: "
                     "nothing to revoke\n", tenant);
        return KOTCTL_OK;
    }

    kotctl_print(stdout, "support access to tenant \"%s\" revoked\n", tenant);

    return kotctl_audit_event(k, "support_revoked", "iam", tenant, NULL,
                              json_pack("{s:{s:o}, s:{s:n}}",
                                        "before", "expires",
                                        kotctl_json_time(old),
                                        "after", "expires"))
           == 0 ? KOTCTL_OK : KOTCTL_FAIL;
}


static int
kotctl_support_status(kotctl_t *k, const char *tenant)
{
    int           granted;
    char          now[24], t1[KOT_RFC3339_LEN], t2[KOT_RFC3339_LEN];
    const char   *args[3];
    redisReply   *r, **e;

    snprintf(now, sizeof(now), "%llu", (unsigned long long) kotctl_now());

    args[0] = kotctl_key(KOT_KEY_TENANT, tenant, NULL);
    args[1] = kotctl_key(KOT_KEY_GRANT, tenant, NULL);
    args[2] = now;

    r = kotctl_eval(k, KOT_SCRIPT_SUPPORT_STATUS, 2, 3, args);
    if (r == NULL) {
        return KOTCTL_FAIL;
    }

    if (kotctl_refusal(r)) {
        freeReplyObject(r);
        return kotctl_no_tenant(k, tenant);
    }

    e = r->element;
    granted = (r->type == REDIS_REPLY_ARRAY && r->elements == 3);

    if (r->type != REDIS_REPLY_ARRAY || (r->elements != 0 && !granted)
        || (granted && (e[0]->type != REDIS_REPLY_STRING
                        || e[1]->type != REDIS_REPLY_INTEGER
                        || e[2]->type != REDIS_REPLY_INTEGER)))
    {
        return kotctl_unexpected(k, r);
    }

    if (k->json) {
        json_t  *doc;

        doc = granted
              ? json_pack("{s:b, s:o, s:o, s:o}", "granted", 1,
                          "expires", kotctl_json_time(e[2]->integer),
                          "by", kotctl_json_text(e[0]->str, e[0]->len),
                          "created", kotctl_json_time(e[1]->integer))
              : json_pack("{s:b, s:n}", "granted", 0, "expires");

        freeReplyObject(r);
        return kotctl_json_print(doc);
    }

    if (granted) {
        kotctl_time((uint64_t) e[2]->integer, t1, sizeof(t1));
        kotctl_time((uint64_t) e[1]->integer, t2, sizeof(t2));
        printf("support access: granted until %s (by ", t1);
        kotctl_put_safe(stdout, e[0]->str, e[0]->len);
        printf(" at %s)\n", t2);

    } else {
        printf("support access: not granted\n");
    }

    freeReplyObject(r);

    return KOTCTL_OK;
}


/* A whole decimal number in min..max. */

static int
kotctl_number(const char *s, long min, long max, long *n)
{
    char  *end;

    *n = strtol(s, &end, 10);

    return (*s != '\0' && *end == '\0' && *s != '-' && *s != '+'
            && *n >= min && *n <= max)
           ? KOTCTL_OK : KOTCTL_USAGE;
}


/* The normalised name (kot_ident.h), or the rule it breaks. */

int
kotctl_tenant_name(const char *name, char tenant[KOT_TENANT_MAX + 1])
{
    if (kot_tenant_normalize(name, strlen(name), tenant, KOT_TENANT_MAX + 1)
        < 0)
    {
        kotctl_error("\"%s\" is not a valid tenant name: use "
                     KOT_TENANT_RULE, name);
        return KOTCTL_USAGE;
    }

    return KOTCTL_OK;
}


/* KOTCTL_OK if the tenant exists; otherwise says why not. */

int
kotctl_tenant_exists(kotctl_t *k, const char *tenant)
{
    int  exists;

    exists = kotctl_exists(k, kotctl_key(KOT_KEY_TENANT, tenant, NULL));

    if (exists < 0) {
        return KOTCTL_FAIL;
    }

    return exists ? KOTCTL_OK : kotctl_no_tenant(k, tenant);
}


/*
 * Why a tenant is not there (a script said so): it never existed, or it
 * was deleted and its name is retired.  Always KOTCTL_FAIL.
 */

int
kotctl_no_tenant(kotctl_t *k, const char *tenant)
{
    const char  *args[3];
    redisReply  *r;

    args[0] = "SISMEMBER";
    args[1] = KOT_KEY_RETIRED_TENANTS;
    args[2] = tenant;

    r = kotctl_cmd(k, 3, args);

    if (r != NULL && r->type == REDIS_REPLY_INTEGER && r->integer == 1) {
        kotctl_error("tenant \"%s\" was deleted (its name is retired)",
                     tenant);

    } else {
        kotctl_error("tenant \"%s\" does not exist; add it with \"kotctl "
                     "tenant add %s\"", tenant, tenant);
    }

    if (r != NULL) {
        freeReplyObject(r);
    }

    return KOTCTL_FAIL;
}
