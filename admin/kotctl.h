/*
 * kotctl: the administrator's command line for ngx_kot.  It shares the
 * data model (kot_scripts.h) and the password code (kot_phc.h,
 * kot_policy.h) with the module; only its I/O differs: kotctl blocks.
 */

#ifndef KOTCTL_H
#define KOTCTL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include <hiredis/hiredis.h>
#include <jansson.h>

#include "kot_ident.h"
#include "kot_phc.h"
#include "kot_policy.h"
#include "kot_text.h"

#define KOTCTL_OK       0
#define KOTCTL_FAIL     1       /* the operation could not be done */
#define KOTCTL_USAGE    2       /* the command line is wrong */

typedef struct {
    const char           *redis;        /* host:port or unix:/path */
    const char           *redis_user;
    const char           *redis_password_file;
    const char           *sentinel;     /* ADDR,... or NULL */
    const char           *master;       /* the sentinels' name of it */
    const char           *sentinel_password_file;
    char                  master_addr[64];
    int                   db;
    const char           *secret_file;
    kot_scrypt_params_t   scrypt;
    const char           *audit_log;    /* --audit-log, or $KOT_AUDIT_LOG */
    const char           *auditor_key;  /* --auditor-key, $KOT_AUDITOR_KEY */
    const char           *auditor_private_key;  /* for audit verify */
    int                   json;         /* --json: listings as JSON */
    redisContext         *rc;
} kotctl_t;

/* kotctl_redis.c */
int kotctl_connect(kotctl_t *k);
redisReply *kotctl_eval(kotctl_t *k, int script, int nkeys, int argc,
    const char **argv);
int kotctl_eval_int(kotctl_t *k, int script, int nkeys, int argc,
    const char **argv, long long *v);
redisReply *kotctl_cmd(kotctl_t *k, int argc, const char **argv);
long long kotctl_refusal(redisReply *r);
int kotctl_row_ok(redisReply *r, size_t n, size_t strings);
int kotctl_rows_ok(redisReply *r, size_t n, size_t strings);
int kotctl_unexpected(kotctl_t *k, redisReply *r);
int kotctl_exists(kotctl_t *k, const char *key);
char *kotctl_key(const char *prefix, const char *a, const char *b);
uint64_t kotctl_now(void);
void kotctl_time(uint64_t ms, char *buf, size_t len);

/*
 * Reads a whole file of at most max bytes (a final newline aside, which
 * is dropped unless KOTCTL_FILE_RAW) into buf, which holds max + 1; a
 * larger file is refused, naming what it should hold ("a Redis
 * password"), as nginx refuses it: it is never cut short.  0, or -1 with
 * the reason said.
 */
#define KOTCTL_FILE_SECRET  1   /* refused when others can read it */
#define KOTCTL_FILE_RAW     2   /* the bytes as they are */

int kotctl_read_file(const char *path, const char *what, char *buf,
    size_t max, size_t *len, int flags);

/* JSON output (--json): the admin API's shapes, times as RFC 3339 */
char *kotctl_json_dump(json_t *doc, size_t flags);
json_t *kotctl_json_time(long long ms);
json_t *kotctl_json_text(const char *s, size_t len);
json_t *kotctl_json_roles(const char *roles);
int kotctl_json_print(json_t *doc);
int kotctl_no_json(kotctl_t *k, const char *command);

/* kotctl_user.c */
int kotctl_user(kotctl_t *k, int argc, char **argv);
int kotctl_session(kotctl_t *k, int argc, char **argv);

/* kotctl_tenant.c */
int kotctl_tenant(kotctl_t *k, int argc, char **argv);
int kotctl_support(kotctl_t *k, int argc, char **argv);
int kotctl_tenant_exists(kotctl_t *k, const char *tenant);
int kotctl_no_tenant(kotctl_t *k, const char *tenant);
int kotctl_tenant_name(const char *name, char tenant[KOT_TENANT_MAX + 1]);

/* kotctl_policy.c */
int kotctl_policy_server(kotctl_t *k, kot_policy_t *p, char *blocklist,
    size_t cap);
int kotctl_policy_tenant(kotctl_t *k, const char *tenant, kot_policy_t *p,
    int print);
int kotctl_policy_rules(kotctl_t *k, const char *tenant, kot_policy_t *out,
    char *path, size_t cap);
int kotctl_policy_effective(kotctl_t *k, const char *tenant,
    kot_policy_t *out, kot_blocklist_t **bl);

/* kotctl_mfa.c */
int kotctl_mfa_reset(kotctl_t *k, const char *tenant, const char *user);
int kotctl_mfa_status(kotctl_t *k, const char *tenant, const char *user);

/* kotctl_throttle.c */
int kotctl_throttle(kotctl_t *k, int argc, char **argv);

/* kotctl_migrate.c */
int kotctl_migrate(kotctl_t *k, int argc, char **argv);

/* kotctl_allow.c */
int kotctl_allowlist(kotctl_t *k, int argc, char **argv);

/* kotctl_notify.c: the delivery daemon of notifications */
int kotctl_notify(kotctl_t *k, int argc, char **argv);

/* kotctl_audit.c */
int kotctl_audit(kotctl_t *k, int argc, char **argv);

/*
 * Checks, before an action is made, that kotctl_audit_event() will be
 * able to record it: with --audit-log, that --auditor-key names a usable
 * RSA public key and that the log can be opened for appending.
 * KOTCTL_OK (also without --audit-log), KOTCTL_USAGE or KOTCTL_FAIL,
 * with the reason already printed.
 */
int kotctl_audit_ready(kotctl_t *k);

/*
 * kotctl_audit_ready(), and from then on the signals that end kotctl
 * held until it exits: a change that Redis makes is reported and
 * recorded, never cut off between the two.  Use it before a change.
 */
int kotctl_change_ready(kotctl_t *k);

/* the signals that end kotctl: Ctrl-C, Ctrl-\, a hang-up, kill */
#define KOTCTL_END_SIGNALS  4
extern const int  kotctl_end_signals[KOTCTL_END_SIGNALS];

/*
 * Records an administrative action in the audit log (docs/audit.md), as
 * its own short chain, when k->audit_log is set: action such as
 * "user_added", category "iam" or "configuration", the tenant, the target
 * user (or NULL) and a JSON object describing the change (or NULL; the
 * reference is stolen).  The record of a tenant's change also goes to
 * its events list (ev:{tenant}), with or without an audit log.  0 on
 * success.
 */
int kotctl_audit_event(kotctl_t *k, const char *action,
    const char *category, const char *tenant, const char *target,
    json_t *change);

/* Who runs kotctl, as the audit log names the actor: "kotctl:root". */
void kotctl_actor(char *buf, size_t len);

/* kotctl_verify.c: "audit verify" and "audit query" */
int kotctl_audit_verify(kotctl_t *k, int argc, char **argv);
int kotctl_audit_query(kotctl_t *k, int argc, char **argv);

/* kotctl.c */

/*
 * The messages, listings and reports of kotctl, printf() style; a name,
 * path, reply or anything read from Redis that they show is escaped where
 * it holds a control character (kotctl_print()).  kotctl_error() prints
 * "kotctl: " and a line on stderr.
 */
void kotctl_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
void kotctl_print(FILE *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void kotctl_vprint(FILE *f, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* len bytes, a NUL among them too, escaped as kotctl_print() escapes */
void kotctl_put_safe(FILE *f, const char *s, size_t len);

/*
 * s cut after chars characters, with "..." when cut, for a message that
 * escapes it (kotctl_print()); buf holds KOTCTL_CUT_SIZE(chars) bytes.
 */
#define KOTCTL_CUT_SIZE(chars)  ((chars) * 4 + 4)
const char *kotctl_cut(const char *s, size_t chars, char *buf);

/*
 * The tables of the listings (tenant list, user list, session list): each
 * cell escaped as kotctl_print() escapes, a NUL too, so a name is shown
 * whole; each column as wide as its widest cell as a terminal shows it
 * (a CJK character takes two columns), and at least width; two spaces
 * between columns, the last one not padded.  kotctl_table() takes the
 * head line's columns; the cells follow row by row, left to right;
 * kotctl_table_print() prints the table and frees it (KOTCTL_OK, or
 * KOTCTL_FAIL if memory ran out, said).  Out of memory, kotctl_table()
 * says so and returns NULL.
 */
typedef struct {
    const char  *head;
    size_t       width;         /* at least, in columns */
} kotctl_column_t;

typedef struct kotctl_table_s  kotctl_table_t;

kotctl_table_t *kotctl_table(const kotctl_column_t *col, size_t ncols);
void kotctl_table_cell(kotctl_table_t *t, const char *s, size_t len);
void kotctl_table_text(kotctl_table_t *t, const char *s);
int kotctl_table_print(kotctl_table_t *t, FILE *f);

/*
 * A listing: its JSON array with --json, else its table; KOTCTL_OK, or
 * KOTCTL_FAIL with the reason said.  kotctl_listing_print() prints it as
 * {"name": [...]} or as the table.
 */
int kotctl_listing(kotctl_t *k, const kotctl_column_t *col, size_t ncols,
    json_t **list, kotctl_table_t **tbl);
int kotctl_listing_print(kotctl_t *k, const char *name, json_t *list,
    kotctl_table_t *tbl);

/* a usage text of several lines, printed as it is */
void kotctl_usage(const char *text);
void kotctl_usage_of(FILE *f, const char *command);
int kotctl_confirm(const char *name, int yes);

/* one or many, as n asks: "1 entry", "2 entries", "0 entries" */
const char *kotctl_plural(long long n, const char *one, const char *many);

#endif /* KOTCTL_H */
