/*
 * kotctl: one-off changes of the data a release before this one left.
 *
 *     kotctl migrate failures
 *
 * Releases before fu:{tenant} kept the failed logins of names that are
 * not users (f:{tenant}:{user}) in no index, and tenant deletion found
 * them by a SCAN inside its script.  It no longer does: this indexes
 * them (script failures_index), and deletes those of tenants that do
 * not exist.  The keyspace is walked here, a SCAN step at a time, each
 * batch in one short script, so Redis is never blocked for long; it is
 * safe to run twice, or while nginx runs, or again after it stopped
 * half-way: what is indexed is indexed again the same, and a deleted
 * key is not found again.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kotctl.h"
#include "kot_scripts.h"


#define KOTCTL_MIGRATE_STEP   "1000"    /* SCAN's COUNT */


static int kotctl_migrate_walk(kotctl_t *k, long long *indexed,
    long long *deleted);
static int kotctl_migrate_batch(kotctl_t *k, redisReply *keys,
    long long *indexed, long long *deleted);


int
kotctl_migrate(kotctl_t *k, int argc, char **argv)
{
    int        rc;
    long long  indexed, deleted;

    if (argc != 1 || strcmp(argv[0], "failures") != 0) {
        kotctl_usage_of(stderr, "migrate");
        return KOTCTL_USAGE;
    }

    if (kotctl_no_json(k, "migrate") != KOTCTL_OK) {
        return KOTCTL_USAGE;
    }

    rc = kotctl_connect(k);
    if (rc != KOTCTL_OK) {
        return rc;
    }

    indexed = 0;
    deleted = 0;

    rc = kotctl_migrate_walk(k, &indexed, &deleted);

    if (rc != KOTCTL_OK) {

        /*
         * what the batches before did stays done; the one that failed
         * may have done part of its keys, which a new run finds done
         */

        kotctl_error("migrate failures stopped: %lld failed %s indexed "
                     "and %lld of tenants that do not exist deleted "
                     "before the batch that failed; it is safe to run "
                     "\"kotctl migrate failures\" again: each batch of "
                     "keys is one script, and a new run finds what is "
                     "done and goes on", indexed,
                     kotctl_plural(indexed, "login", "logins"), deleted);
        return KOTCTL_FAIL;
    }

    printf("failed logins of names that are not users: %lld indexed, "
           "%lld of tenants that do not exist deleted\n", indexed, deleted);

    return KOTCTL_OK;
}


/* The keyspace, a SCAN step and a batch at a time. */

static int
kotctl_migrate_walk(kotctl_t *k, long long *indexed, long long *deleted)
{
    int          rc;
    char         cursor[32];
    const char  *args[6];
    redisReply  *r;

    strcpy(cursor, "0");

    do {
        args[0] = "SCAN";
        args[1] = cursor;
        args[2] = "MATCH";
        args[3] = KOT_KEY_FAILURES "*";
        args[4] = "COUNT";
        args[5] = KOTCTL_MIGRATE_STEP;

        r = kotctl_cmd(k, 6, args);
        if (r == NULL) {
            return KOTCTL_FAIL;
        }

        if (r->type != REDIS_REPLY_ARRAY || r->elements != 2
            || r->element[0]->type != REDIS_REPLY_STRING
            || r->element[0]->len >= sizeof(cursor)
            || r->element[1]->type != REDIS_REPLY_ARRAY)
        {
            return kotctl_unexpected(k, r);
        }

        strcpy(cursor, r->element[0]->str);

        rc = kotctl_migrate_batch(k, r->element[1], indexed, deleted);

        freeReplyObject(r);

        if (rc != KOTCTL_OK) {
            return rc;
        }

    } while (strcmp(cursor, "0") != 0);

    return KOTCTL_OK;
}


static int
kotctl_migrate_batch(kotctl_t *k, redisReply *keys, long long *indexed,
    long long *deleted)
{
    size_t        i;
    char          now[24];
    const char  **args;
    redisReply   *r;

    if (keys->elements == 0) {
        return KOTCTL_OK;
    }

    args = calloc(keys->elements + 1, sizeof(char *));
    if (args == NULL) {
        kotctl_error("out of memory");
        return KOTCTL_FAIL;
    }

    for (i = 0; i < keys->elements; i++) {
        if (keys->element[i]->type != REDIS_REPLY_STRING) {
            free(args);
            kotctl_error("unexpected reply from redis at %s to SCAN",
                         k->redis);
            return KOTCTL_FAIL;
        }

        args[i] = keys->element[i]->str;
    }

    snprintf(now, sizeof(now), "%llu", (unsigned long long) kotctl_now());
    args[i] = now;

    r = kotctl_eval(k, KOT_SCRIPT_FAILURES_INDEX, (int) keys->elements,
                    (int) keys->elements + 1, args);

    free(args);

    if (r == NULL) {
        return KOTCTL_FAIL;
    }

    if (!kotctl_row_ok(r, 2, 0)) {
        return kotctl_unexpected(k, r);
    }

    *indexed += r->element[0]->integer;
    *deleted += r->element[1]->integer;

    freeReplyObject(r);

    return KOTCTL_OK;
}
