/*
 * kotctl: tenants, users and sessions.
 */

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "kotctl.h"
#include "kot_change.h"
#include "kot_crypto.h"
#include "kot_ident.h"
#include "kot_policy.h"
#include "kot_scripts.h"


#define KOTCTL_PASSWORD_MAX  1024

typedef struct {
    char     tenant[KOT_TENANT_MAX + 1];
    char     user[KOT_USERNAME_MAX + 1];
    char     roles[KOT_ROLES_MAX];
    char     password[KOTCTL_PASSWORD_MAX + 2];
    size_t   password_len;
    unsigned history;
    int      password_stdin;
    int      generate;
    int      force_change;
    int      yes;           /* --yes: the last admin too */
} kotctl_user_args_t;


static int kotctl_names(const char *tenant, const char *user,
    kotctl_user_args_t *a);
static int kotctl_user_options(int argc, char **argv, kotctl_user_args_t *a,
    int roles);
static int kotctl_add_role(kotctl_user_args_t *a, const char *role);
static int kotctl_password(kotctl_t *k, kotctl_user_args_t *a);
static int kotctl_password_read(kotctl_user_args_t *a);
static int kotctl_password_generate(kotctl_user_args_t *a,
    const kot_policy_t *p);
static int kotctl_password_policy(kotctl_user_args_t *a,
    const kot_policy_t *p);
static void kotctl_password_broken(unsigned bits, const kot_policy_t *p);
static int kotctl_password_reused(kotctl_t *k, kotctl_user_args_t *a);
static int kotctl_history_matches(kotctl_t *k, kotctl_user_args_t *a);
static int kotctl_hash_matches(kotctl_user_args_t *a, const char *phc,
    size_t len);
static int kotctl_user_enable(kotctl_t *k, kotctl_user_args_t *a);
static int kotctl_user_disable(kotctl_t *k, kotctl_user_args_t *a);
static redisReply *kotctl_user_patch(kotctl_t *k, kotctl_user_args_t *a,
    const char *op, const char *roles);
static int kotctl_user_as_is(kotctl_user_args_t *a, const char *already,
    const char *what);
static int kotctl_user_list(kotctl_t *k, const char *tenant);
static json_t *kotctl_user_json(redisReply **e, const kot_policy_t *p);
static redisReply *kotctl_user_get(kotctl_t *k, kotctl_user_args_t *a,
    kot_policy_t *p);
static redisReply *kotctl_user_row(kotctl_t *k, kotctl_user_args_t *a,
    redisReply *r, size_t n, size_t strings);
static int kotctl_user_roles(kotctl_t *k, kotctl_user_args_t *a);
static int kotctl_user_delete(kotctl_t *k, kotctl_user_args_t *a, int yes);
static int kotctl_no_user(kotctl_user_args_t *a);
static int kotctl_inactive_before(kotctl_t *k, kotctl_user_args_t *a,
    char *buf, size_t len);
static int kotctl_last_admin(kotctl_user_args_t *a, long long code);
static int kotctl_user_known(kotctl_t *k, kotctl_user_args_t *a);
static int kotctl_password_tty(kotctl_user_args_t *a);
static int kotctl_user_add(kotctl_t *k, kotctl_user_args_t *a);
static int kotctl_user_passwd(kotctl_t *k, kotctl_user_args_t *a);
static int kotctl_user_status(kotctl_t *k, kotctl_user_args_t *a);
static int kotctl_user_unlock(kotctl_t *k, kotctl_user_args_t *a);
static int kotctl_session_list(kotctl_t *k, kotctl_user_args_t *a);
static int kotctl_session_revoke(kotctl_t *k, kotctl_user_args_t *a,
    const char *which);
static int kotctl_session_end(kotctl_t *k, kotctl_user_args_t *a,
    const char *handle);


/* what kotctl_user_options() takes: --role, the password options, both */
#define KOTCTL_OPT_PASSWORD  1
#define KOTCTL_OPT_ROLES     2


int
kotctl_user(kotctl_t *k, int argc, char **argv)
{
    int                 rc, opts;
    const char         *cmd;
    kotctl_user_args_t  a;

    memset(&a, 0, sizeof(kotctl_user_args_t));
    a.force_change = 1;

    cmd = (argc > 0) ? argv[0] : "";

    if (strcmp(cmd, "list") == 0 && argc == 2) {
        rc = kotctl_tenant_name(argv[1], a.tenant);

        if (rc == KOTCTL_OK) {
            rc = kotctl_connect(k);
        }

        return (rc == KOTCTL_OK) ? kotctl_user_list(k, a.tenant) : rc;
    }

    if (argc < 3 || strcmp(cmd, "list") == 0) {
        kotctl_usage_of(stderr, "user");
        return KOTCTL_USAGE;
    }

    rc = kotctl_names(argv[1], argv[2], &a);
    if (rc != KOTCTL_OK) {
        return rc;
    }

    if (strcmp(cmd, "status") != 0 && kotctl_no_json(k, cmd) != KOTCTL_OK) {
        return KOTCTL_USAGE;
    }

    if (strcmp(cmd, "mfa-reset") == 0) {
        if (argc != 3) {
            kotctl_error("usage: kotctl user mfa-reset TENANT USER");
            return KOTCTL_USAGE;
        }

        rc = kotctl_connect(k);

        return (rc == KOTCTL_OK) ? kotctl_mfa_reset(k, a.tenant, a.user)
                                 : rc;
    }

    if (strcmp(cmd, "status") == 0 || strcmp(cmd, "unlock") == 0
        || strcmp(cmd, "enable") == 0 || strcmp(cmd, "disable") == 0
        || strcmp(cmd, "delete") == 0)
    {
        /* --yes: delete without asking; disable the last admin too */

        if (argc != 3
            && !(argc == 4 && cmd[0] == 'd' && strcmp(argv[3], "--yes") == 0))
        {
            kotctl_error("usage: kotctl user %s TENANT USER%s", cmd,
                         cmd[0] == 'd' ? " [--yes]" : "");
            return KOTCTL_USAGE;
        }

        a.yes = (argc == 4);

        rc = kotctl_connect(k);
        if (rc != KOTCTL_OK) {
            return rc;
        }

        return (cmd[0] == 's') ? kotctl_user_status(k, &a)
               : (cmd[0] == 'u') ? kotctl_user_unlock(k, &a)
               : (cmd[0] == 'e') ? kotctl_user_enable(k, &a)
               : (cmd[1] == 'i') ? kotctl_user_disable(k, &a)
               : kotctl_user_delete(k, &a, a.yes);
    }

    opts = (strcmp(cmd, "add") == 0)
           ? KOTCTL_OPT_PASSWORD | KOTCTL_OPT_ROLES
           : (strcmp(cmd, "passwd") == 0) ? KOTCTL_OPT_PASSWORD
           : (strcmp(cmd, "roles") == 0) ? KOTCTL_OPT_ROLES : 0;

    if (opts == 0) {
        kotctl_error("unknown user command \"%s\"; see \"kotctl --help\"",
                     cmd);
        return KOTCTL_USAGE;
    }

    rc = kotctl_user_options(argc - 3, argv + 3, &a, opts);
    if (rc != KOTCTL_OK) {
        return rc;
    }

    if ((opts & KOTCTL_OPT_ROLES) && a.roles[0] == '\0') {
        kotctl_error("user %s needs at least one --role", cmd);
        return KOTCTL_USAGE;
    }

    rc = kotctl_connect(k);
    if (rc != KOTCTL_OK) {
        return rc;
    }

    if (!(opts & KOTCTL_OPT_PASSWORD)) {
        return kotctl_user_roles(k, &a);
    }

    rc = kotctl_password(k, &a);

    if (rc == KOTCTL_OK) {
        rc = kotctl_change_ready(k);
    }

    if (rc == KOTCTL_OK) {
        rc = (opts & KOTCTL_OPT_ROLES) ? kotctl_user_add(k, &a)
                                       : kotctl_user_passwd(k, &a);
    }

    kot_cleanse(a.password, sizeof(a.password));

    return rc;
}


static int
kotctl_names(const char *tenant, const char *user, kotctl_user_args_t *a)
{
    if (kotctl_tenant_name(tenant, a->tenant) != KOTCTL_OK) {
        return KOTCTL_USAGE;
    }

    if (kot_username_normalize(user, strlen(user), a->user, sizeof(a->user))
        < 0)
    {
        kotctl_error("\"%s\" is not a valid username: use "
                     KOT_USERNAME_RULE, user);
        return KOTCTL_USAGE;
    }

    return KOTCTL_OK;
}


static int
kotctl_user_options(int argc, char **argv, kotctl_user_args_t *a, int opts)
{
    int  i, pw, roles;

    pw = opts & KOTCTL_OPT_PASSWORD;
    roles = opts & KOTCTL_OPT_ROLES;

    for (i = 0; i < argc; i++) {

        if (roles && strcmp(argv[i], "--role") == 0) {
            if (i + 1 == argc) {
                kotctl_error("--role needs a value: --role ROLE");
                return KOTCTL_USAGE;
            }

            if (kotctl_add_role(a, argv[++i]) != KOTCTL_OK) {
                return KOTCTL_USAGE;
            }

        } else if (pw && strcmp(argv[i], "--password-stdin") == 0) {
            a->password_stdin = 1;

        } else if (pw && (strcmp(argv[i], "--generate-password") == 0
                          || (!roles && strcmp(argv[i], "--reset") == 0)))
        {
            /* --reset: a temporary password, as if forgotten */
            a->generate = 1;

        } else if (pw && strcmp(argv[i], "--no-force-change") == 0) {
            a->force_change = 0;

        } else if (!pw && strcmp(argv[i], "--yes") == 0) {
            /* user roles: the last admin may lose "admin" */
            a->yes = 1;

        } else {
            kotctl_error("unexpected argument \"%s\"", argv[i]);
            return KOTCTL_USAGE;
        }
    }

    if (a->password_stdin && a->generate) {
        kotctl_error("--password-stdin excludes %s",
                     roles ? "--generate-password"
                           : "--generate-password and --reset");
        return KOTCTL_USAGE;
    }

    return KOTCTL_OK;
}


/* Roles are kept as a comma-separated list. */

static int
kotctl_add_role(kotctl_user_args_t *a, const char *role)
{
    switch (kot_roles_add(a->roles, sizeof(a->roles), role, strlen(role))) {
    case 0:
        return KOTCTL_OK;
    case -1:
        kotctl_error("\"%s\" is not a valid role: use 1 to %d of a-z, 0-9, "
                     "'_' and '-'", role, KOT_ROLE_MAX);
        return KOTCTL_USAGE;
    default:
        kotctl_error("too many roles");
        return KOTCTL_USAGE;
    }
}


/*
 * The new password, given or generated, and the effective policy of the
 * tenant, which it must follow in either case.
 */

static int
kotctl_password(kotctl_t *k, kotctl_user_args_t *a)
{
    int               rc;
    kot_policy_t      p;
    kot_blocklist_t  *bl;

    if (!a->generate) {
        rc = kotctl_password_read(a);
        if (rc != KOTCTL_OK) {
            return rc;
        }
    }

    if (kotctl_policy_effective(k, a->tenant, &p, &bl) != KOTCTL_OK) {
        return KOTCTL_FAIL;
    }

    a->history = p.history;

    /* a generated password is made to pass the policy already */
    rc = a->generate ? kotctl_password_generate(a, &p)
                     : kotctl_password_policy(a, &p);

    kot_blocklist_free(bl);

    return rc;
}


static int
kotctl_password_read(kotctl_user_args_t *a)
{
    /* typed on a terminal, --password-stdin's too is not echoed */

    if (!a->password_stdin || isatty(STDIN_FILENO)) {
        return kotctl_password_tty(a);
    }

    if (fgets(a->password, sizeof(a->password), stdin) == NULL) {
        kotctl_error("no password on standard input");
        return KOTCTL_USAGE;
    }

    a->password_len = strcspn(a->password, "\r\n");

    if (a->password_len > KOTCTL_PASSWORD_MAX) {
        kotctl_error("the password is longer than %d bytes",
                     KOTCTL_PASSWORD_MAX);
        return KOTCTL_USAGE;
    }

    a->password[a->password_len] = '\0';

    return KOTCTL_OK;
}


/* A random password that the policy accepts (kot_policy_generate()). */

static int
kotctl_password_generate(kotctl_user_args_t *a, const kot_policy_t *p)
{
    long      n;
    unsigned  bits;

    n = kot_policy_generate(p, a->user, strlen(a->user), a->password,
                            KOTCTL_PASSWORD_MAX + 1, &bits);

    if (n >= 0) {
        a->password_len = (size_t) n;
        return KOTCTL_OK;
    }

    if (n == -1) {
        kotctl_error("RAND_bytes() failed");
        return KOTCTL_FAIL;
    }

    kotctl_error("cannot generate a password that the policy of tenant "
                 "\"%s\" accepts (%u kinds of characters); the last one "
                 "tried broke it:", a->tenant, p->classes);
    kotctl_password_broken(bits, p);

    return KOTCTL_FAIL;
}


/* The same rules as the portal's: the server's, tightened by the tenant. */

static int
kotctl_password_policy(kotctl_user_args_t *a, const kot_policy_t *p)
{
    unsigned  bits;

    bits = kot_policy_check(p, a->password, a->password_len, a->user,
                            strlen(a->user));

    if (bits == KOT_PW_OK) {
        return KOTCTL_OK;
    }

    fprintf(stderr, "kotctl: the password breaks the password policy:\n");
    kotctl_password_broken(bits, p);

    return KOTCTL_USAGE;
}


static void
kotctl_password_broken(unsigned bits, const kot_policy_t *p)
{
    char  why[512];

    kot_policy_explain(bits, p, "\n  ", why, sizeof(why));
    fprintf(stderr, "  %s\n", why);
}


/*
 * The history rule, as the portal applies it: with history=N, a new
 * password may not be the current one nor one of the N-1 earlier ones
 * kept in ph:{tenant}:{user}.  Each stored hash is verified in turn, as
 * slow as a login each.  An administrator cannot bypass the rule; a
 * generated password is new by construction and is not compared.
 */

static int
kotctl_password_reused(kotctl_t *k, kotctl_user_args_t *a)
{
    int  rc;

    if (a->generate || a->history == 0) {
        return KOTCTL_OK;
    }

    rc = kotctl_history_matches(k, a);

    if (rc == 0) {
        return KOTCTL_OK;
    }

    if (rc < 0) {
        return KOTCTL_FAIL;
    }

    fprintf(stderr, "kotctl: the password breaks the password policy:\n");

    if (a->history == 1) {
        fprintf(stderr, "  reused: it is the current password "
                "(history=1)\n");

    } else {
        fprintf(stderr, "  reused: it is one of the last %u passwords of "
                "the user (history=%u)\n", a->history, a->history);
    }

    return KOTCTL_USAGE;
}


/*
 * 1 if the new password matches the current hash or one of the
 * history - 1 newest earlier ones, 0 if none, -1 on failure (an unknown
 * user included, with the reason printed).
 */

static int
kotctl_history_matches(kotctl_t *k, kotctl_user_args_t *a)
{
    int          match;
    char         last[16];
    size_t       i;
    const char  *args[4];
    redisReply  *r;

    args[0] = "HGET";
    args[1] = kotctl_key(KOT_KEY_USER, a->tenant, a->user);
    args[2] = "hash";

    r = kotctl_cmd(k, 3, args);
    if (r == NULL) {
        return -1;
    }

    if (r->type != REDIS_REPLY_STRING) {
        freeReplyObject(r);
        (void) kotctl_no_user(a);
        return -1;
    }

    match = kotctl_hash_matches(a, r->str, r->len);
    freeReplyObject(r);

    if (match || a->history < 2) {
        return match;
    }

    snprintf(last, sizeof(last), "%u", a->history - 2);

    args[0] = "LRANGE";
    args[1] = kotctl_key(KOT_KEY_HISTORY, a->tenant, a->user);
    args[2] = "0";
    args[3] = last;

    r = kotctl_cmd(k, 4, args);
    if (r == NULL) {
        return -1;
    }

    for (i = 0; !match && r->type == REDIS_REPLY_ARRAY && i < r->elements;
         i++)
    {
        if (r->element[i]->type == REDIS_REPLY_STRING) {
            match = kotctl_hash_matches(a, r->element[i]->str,
                                        r->element[i]->len);
        }
    }

    freeReplyObject(r);

    return match;
}


/* As the module: only a verified match counts; a bad hash is skipped. */

static int
kotctl_hash_matches(kotctl_user_args_t *a, const char *phc, size_t len)
{
    int  rc;

    rc = kot_phc_verify(phc, len, a->password, a->password_len);

    if (rc < 0) {
        kotctl_error("warning: a stored hash of user \"%s\" in tenant "
                     "\"%s\" cannot be verified; it is not compared",
                     a->user, a->tenant);
    }

    return rc == 1;
}


/*
 * The signals that end kotctl (kotctl_end_signals), at the prompt:
 * caught while echo is off, so that the terminal gets its echo back
 * before kotctl dies of the signal as it would have.
 */

static volatile sig_atomic_t  kotctl_tty_caught;


static void
kotctl_tty_catch(int signo)
{
    kotctl_tty_caught = signo;
}


/* without SA_RESTART: the signal ends the read that waits for a line */

static void
kotctl_tty_trap(struct sigaction *old)
{
    size_t            i;
    struct sigaction  sa;

    memset(&sa, 0, sizeof(struct sigaction));
    sa.sa_handler = kotctl_tty_catch;
    sigemptyset(&sa.sa_mask);

    kotctl_tty_caught = 0;

    for (i = 0; i < KOTCTL_END_SIGNALS; i++) {
        sigaction(kotctl_end_signals[i], &sa, &old[i]);
    }
}


static void
kotctl_tty_untrap(const struct sigaction *old)
{
    size_t  i;

    for (i = 0; i < KOTCTL_END_SIGNALS; i++) {
        sigaction(kotctl_end_signals[i], &old[i], NULL);
    }
}


/* A line without echo; 0 when none came (end of file, a signal). */

static int
kotctl_tty_line(const char *prompt, char *buf, size_t size)
{
    int  ok;

    fputs(prompt, stderr);

    ok = !kotctl_tty_caught && fgets(buf, size, stdin) != NULL;

    /* the newline that the user typed was not echoed */
    fputs("\n", stderr);

    return ok && !kotctl_tty_caught;
}


static int
kotctl_password_tty(kotctl_user_args_t *a)
{
    int               ok, signo;
    char              again[KOTCTL_PASSWORD_MAX + 2];
    struct termios    old, noecho;
    struct sigaction  was[KOTCTL_END_SIGNALS];

    if (!isatty(STDIN_FILENO)) {
        kotctl_error("no password: use --password-stdin or "
                     "--generate-password, or run on a terminal");
        return KOTCTL_USAGE;
    }

    if (tcgetattr(STDIN_FILENO, &old) != 0) {
        kotctl_error("cannot read the terminal: %s", strerror(errno));
        return KOTCTL_USAGE;
    }

    noecho = old;
    noecho.c_lflag &= ~ECHO;
    again[0] = '\0';

    kotctl_tty_trap(was);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &noecho);

    ok = kotctl_tty_line("New password: ", a->password, sizeof(a->password))
         && kotctl_tty_line("Again: ", again, sizeof(again));

    tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    kotctl_tty_untrap(was);

    a->password_len = strcspn(a->password, "\r\n");
    a->password[a->password_len] = '\0';
    again[strcspn(again, "\r\n")] = '\0';

    ok = ok && strcmp(a->password, again) == 0;
    kot_cleanse(again, sizeof(again));

    signo = kotctl_tty_caught;

    if (signo != 0) {
        /* the echo is back: end as the signal would have ended kotctl */
        kot_cleanse(a->password, sizeof(a->password));
        kotctl_error("interrupted: nothing was changed");
        raise(signo);
        return KOTCTL_FAIL;
    }

    if (!ok) {
        kotctl_error("the passwords do not match");
        return KOTCTL_USAGE;
    }

    return KOTCTL_OK;
}


static int
kotctl_user_add(kotctl_t *k, kotctl_user_args_t *a)
{
    char         hash[KOT_PHC_MAX + 1], now[24];
    long long    rc;
    const char  *args[9];

    if (kot_phc_hash(&k->scrypt, a->password, a->password_len, hash,
                     sizeof(hash))
        < 0)
    {
        kotctl_error("hashing the password failed");
        return KOTCTL_FAIL;
    }

    snprintf(now, sizeof(now), "%llu", (unsigned long long) kotctl_now());

    args[0] = kotctl_key(KOT_KEY_TENANT, a->tenant, NULL);
    args[1] = kotctl_key(KOT_KEY_USER, a->tenant, a->user);
    args[2] = kotctl_key(KOT_KEY_USERS, a->tenant, NULL);
    args[3] = kotctl_key(KOT_KEY_RETIRED_USERS, a->tenant, NULL);
    args[4] = a->user;
    args[5] = hash;
    args[6] = a->roles;
    args[7] = a->force_change ? "1" : "0";
    args[8] = now;

    if (kotctl_eval_int(k, KOT_SCRIPT_USER_ADD, 4, 9, args, &rc)
        != KOTCTL_OK)
    {
        return KOTCTL_FAIL;
    }

    if (rc == -1) {
        return kotctl_no_tenant(k, a->tenant);
    }

    if (rc == KOT_RETIRED) {
        kotctl_error("user \"%s\" was deleted from tenant \"%s\": the name "
                     "is retired and can never be used again in this tenant; "
                     "choose another", a->user, a->tenant);
        return KOTCTL_FAIL;
    }

    if (rc != 1) {
        kotctl_error("user \"%s\" already exists in tenant \"%s\"", a->user,
                     a->tenant);
        return KOTCTL_FAIL;
    }

    kotctl_print(stdout, "user \"%s\" added to tenant \"%s\" with roles %s\n",
                 a->user, a->tenant, a->roles);

    if (kotctl_audit_event(k, "user_added", "iam", a->tenant, a->user,
                           kot_change_user_added(a->roles, strlen(a->roles),
                                                 a->force_change,
                                                 a->generate))
        != 0)
    {
        return KOTCTL_FAIL;
    }

    if (a->generate) {
        printf("password: %s\n", a->password);
    }

    if (a->force_change) {
        printf("the password must be changed at the first login\n");
    }

    return KOTCTL_OK;
}


static int
kotctl_user_passwd(kotctl_t *k, kotctl_user_args_t *a)
{
    int          rc;
    long long    ended;
    char         hash[KOT_PHC_MAX + 1], now[24], keep[16];
    const char  *args[7];
    redisReply  *reply;

    rc = kotctl_password_reused(k, a);
    if (rc != KOTCTL_OK) {
        return rc;
    }

    if (kot_phc_hash(&k->scrypt, a->password, a->password_len, hash,
                     sizeof(hash))
        < 0)
    {
        kotctl_error("hashing the password failed");
        return KOTCTL_FAIL;
    }

    snprintf(now, sizeof(now), "%llu", (unsigned long long) kotctl_now());
    snprintf(keep, sizeof(keep), "%u", a->history ? a->history - 1 : 0);

    args[0] = kotctl_key(KOT_KEY_USER, a->tenant, a->user);
    args[1] = kotctl_key(KOT_KEY_USER_SESSIONS, a->tenant, a->user);
    args[2] = kotctl_key(KOT_KEY_HISTORY, a->tenant, a->user);
    args[3] = hash;
    args[4] = a->force_change ? "1" : "0";
    args[5] = now;
    args[6] = keep;

    reply = kotctl_eval(k, KOT_SCRIPT_USER_PASSWD, 3, 7, args);
    if (reply == NULL) {
        return KOTCTL_FAIL;
    }

    ended = (reply->type == REDIS_REPLY_INTEGER) ? reply->integer : -1;
    freeReplyObject(reply);

    if (ended < 0) {
        return kotctl_no_user(a);
    }

    kotctl_print(stdout, "password of user \"%s\" in tenant \"%s\" set; %lld "
                 "%s ended\n", a->user, a->tenant, ended,
                 kotctl_plural(ended, "session", "sessions"));

    if (kotctl_audit_event(k, "user_password_set", "iam", a->tenant,
                           a->user,
                           kot_change_password_set(a->force_change,
                                                   a->generate, ended))
        != 0)
    {
        return KOTCTL_FAIL;
    }

    if (a->generate) {
        printf("password: %s\n", a->password);
    }

    if (a->force_change) {
        printf("the password must be changed at the next login\n");
    }

    return KOTCTL_OK;
}


/*
 * user_get of the user, and the tenant's effective policy in p (for
 * "inactive"): the reply, or NULL once it has said why not.
 */

static redisReply *
kotctl_user_get(kotctl_t *k, kotctl_user_args_t *a, kot_policy_t *p)
{
    char         now[24], path[1024];
    const char  *args[4];

    if (kotctl_policy_rules(k, a->tenant, p, path, sizeof(path))
        != KOTCTL_OK)
    {
        return NULL;
    }

    snprintf(now, sizeof(now), "%llu", (unsigned long long) kotctl_now());

    args[0] = kotctl_key(KOT_KEY_USER, a->tenant, a->user);
    args[1] = kotctl_key(KOT_KEY_FAILURES, a->tenant, a->user);
    args[2] = a->user;
    args[3] = now;

    return kotctl_user_row(k, a, kotctl_eval(k, KOT_SCRIPT_USER_GET, 2, 4,
                                             args),
                           15, 2);
}


/* What an administrator needs to answer "why can't I log in?". */

static int
kotctl_user_status(kotctl_t *k, kotctl_user_args_t *a)
{
    char           t[KOT_RFC3339_LEN];
    json_t        *doc;
    long long      until;
    redisReply    *r, **e;
    kot_policy_t   p;

    r = kotctl_user_get(k, a, &p);
    if (r == NULL) {
        return KOTCTL_FAIL;
    }

    e = r->element;
    until = e[10]->integer;

    if (k->json) {
        doc = kotctl_user_json(e, &p);
        json_object_set_new(doc, "tenant", json_string(a->tenant));
        json_object_set_new(doc, "failures", json_integer(e[9]->integer));
        json_object_set_new(doc, "locked_until",
                            until == KOT_LOCKED_FOREVER
                            ? json_string("permanent")
                            : kotctl_json_time(until));
        json_object_set_new(doc, "lockouts", json_integer(e[11]->integer));
        json_object_set_new(doc, "last_failure",
                            kotctl_json_time(e[12]->integer));
        json_object_set_new(doc, "password_set",
                            kotctl_json_time(e[13]->integer));
        json_object_set_new(doc, "disabled_since",
                            kotctl_json_time(e[14]->integer));
        freeReplyObject(r);

        return kotctl_json_print(doc);
    }

    kotctl_print(stdout, "user:          %s\n", a->user);
    kotctl_print(stdout, "tenant:        %s\n", a->tenant);
    printf("roles:         ");
    kotctl_put_safe(stdout, e[1]->str, e[1]->len);
    putchar('\n');
    printf("must change:   %s\n", e[4]->integer ? "yes" : "no");

    kotctl_time((uint64_t) e[6]->integer, t, sizeof(t));
    printf("last login:    %s\n", e[6]->integer ? t : "never");

    kotctl_time((uint64_t) e[13]->integer, t, sizeof(t));
    printf("password set:  %s\n", t);

    kotctl_time((uint64_t) e[14]->integer, t, sizeof(t));
    printf("disabled:      %s%s\n", e[2]->integer ? "yes, since " : "no",
           e[2]->integer ? t : "");

    printf("inactive:      %s\n",
           kot_policy_inactive(&p, (uint64_t) e[8]->integer, kotctl_now())
           ? "yes, no login for longer than inactive_after: \"kotctl user "
             "enable\" lets it log in again"
           : "no");

    printf("failures:      %lld", e[9]->integer);

    if (e[12]->integer) {
        kotctl_time((uint64_t) e[12]->integer, t, sizeof(t));
        printf(" (last %s)", t);
    }

    printf("\n");

    if (until == KOT_LOCKED_FOREVER) {
        printf("locked:        yes, until an administrator unlocks it\n");

    } else if (until > 0) {
        kotctl_time((uint64_t) until, t, sizeof(t));
        printf("locked:        yes, until %s\n", t);

    } else {
        printf("locked:        no\n");
    }

    printf("lockouts:      %lld\n", e[11]->integer);

    freeReplyObject(r);

    return kotctl_mfa_status(k, a->tenant, a->user);
}


/*
 * A row of user_list (or the start of user_get's) as the admin API's,
 * inactive by the tenant's effective policy p.
 */

static json_t *
kotctl_user_json(redisReply **e, const kot_policy_t *p)
{
    return json_pack("{s:o, s:o, s:b, s:b, s:b, s:o, s:o, s:b, s:b}",
                     "username", kotctl_json_text(e[0]->str, e[0]->len),
                     "roles", kotctl_json_roles(e[1]->str),
                     "disabled", (int) e[2]->integer,
                     "locked", (int) e[3]->integer,
                     "must_change", e[4]->integer != 0,
                     "created", kotctl_json_time(e[5]->integer),
                     "last_login", kotctl_json_time(e[6]->integer),
                     "mfa", e[7]->integer != 0,
                     "inactive", kot_policy_inactive(p,
                                     (uint64_t) e[8]->integer,
                                     kotctl_now()));
}


static int
kotctl_user_list(kotctl_t *k, const char *tenant)
{
    char             now[24], created[KOT_RFC3339_LEN];
    char             last[KOT_RFC3339_LEN], path[1024];
    size_t           i, j;
    json_t          *list;
    const char      *args[4];
    redisReply      *r, **e;
    kot_policy_t     p;
    kotctl_table_t  *tbl;

    /* the flags' fields of a row of the user_list script */
    static const size_t           flags[] = { 2, 3, 4, 7 };
    static const kotctl_column_t  columns[] = {
        { "USER", 32 }, { "ROLES", 20 }, { "DISABLED", 8 }, { "LOCKED", 6 },
        { "MUST CHANGE", 11 }, { "MFA", 3 }, { "CREATED", 20 },
        { "LAST LOGIN", 0 }
    };

    /* for "inactive" */
    if (k->json
        && kotctl_policy_rules(k, tenant, &p, path, sizeof(path))
           != KOTCTL_OK)
    {
        return KOTCTL_FAIL;
    }

    snprintf(now, sizeof(now), "%llu", (unsigned long long) kotctl_now());

    args[0] = kotctl_key(KOT_KEY_TENANT, tenant, NULL);
    args[1] = kotctl_key(KOT_KEY_USERS, tenant, NULL);
    args[2] = tenant;
    args[3] = now;

    r = kotctl_eval(k, KOT_SCRIPT_USER_LIST, 2, 4, args);
    if (r == NULL) {
        return KOTCTL_FAIL;
    }

    if (kotctl_refusal(r)) {
        freeReplyObject(r);
        return kotctl_no_tenant(k, tenant);
    }

    if (!kotctl_rows_ok(r, 9, 2)) {
        return kotctl_unexpected(k, r);
    }

    if (kotctl_listing(k, columns, 8, &list, &tbl) != KOTCTL_OK) {
        freeReplyObject(r);
        return KOTCTL_FAIL;
    }

    for (i = 0; i < r->elements; i++) {
        e = r->element[i]->element;

        if (k->json) {
            json_array_append_new(list, kotctl_user_json(e, &p));
            continue;
        }

        kotctl_time((uint64_t) e[5]->integer, created, sizeof(created));
        kotctl_time((uint64_t) e[6]->integer, last, sizeof(last));

        kotctl_table_cell(tbl, e[0]->str, e[0]->len);
        kotctl_table_cell(tbl, e[1]->str, e[1]->len);

        for (j = 0; j < 4; j++) {
            kotctl_table_text(tbl, e[flags[j]]->integer ? "yes" : "no");
        }

        kotctl_table_text(tbl, created);
        kotctl_table_text(tbl, e[6]->integer ? last : "never");
    }

    freeReplyObject(r);

    return kotctl_listing_print(k, "users", list, tbl);
}


/*
 * New roles; the user's live sessions carry them from their next request
 * on, on every node.
 */

static int
kotctl_user_roles(kotctl_t *k, kotctl_user_args_t *a)
{
    char        *old;
    json_t      *change;
    redisReply  *r;

    r = kotctl_user_patch(k, a, "", a->roles);
    if (r == NULL) {
        return KOTCTL_FAIL;
    }

    old = strdup(r->element[0]->str);
    freeReplyObject(r);

    if (old == NULL) {
        kotctl_error("out of memory");
        return KOTCTL_FAIL;
    }

    if (strcmp(old, a->roles) == 0) {
        free(old);
        return kotctl_user_as_is(a, "already has roles ", a->roles);
    }

    kotctl_print(stdout, "roles of user \"%s\" in tenant \"%s\": %s (were "
                 "%s); its sessions have them now\n", a->user, a->tenant,
                 a->roles, old);

    change = kot_change_user_roles(old, strlen(old), a->roles,
                                   strlen(a->roles));
    free(old);

    return kotctl_audit_event(k, "user_roles_changed", "iam", a->tenant,
                              a->user, change)
           == 0 ? KOTCTL_OK : KOTCTL_FAIL;
}


/*
 * The user goes, with its sessions (at once, on every node), lockout
 * state and password history; its name is retired in the tenant.
 */

static int
kotctl_user_delete(kotctl_t *k, kotctl_user_args_t *a, int yes)
{
    int          rc;
    char         before[24];
    long long    ended;
    const char  *args[12];

    if (kotctl_user_known(k, a) != KOTCTL_OK) {
        return KOTCTL_FAIL;
    }

    kotctl_print(stderr, "Deleting user \"%s\" of tenant \"%s\" ends its "
                 "sessions at once and removes its password, lockout state "
                 "and password history.  The audit log keeps its records.  "
                 "The name \"%s\" can never be used again in tenant "
                 "\"%s\".\n", a->user, a->tenant, a->user, a->tenant);

    rc = kotctl_confirm(a->user, yes);
    if (rc != KOTCTL_OK) {
        return rc;
    }

    if (kotctl_change_ready(k) != KOTCTL_OK
        || kotctl_inactive_before(k, a, before, sizeof(before)) != KOTCTL_OK)
    {
        return KOTCTL_FAIL;
    }

    args[0] = kotctl_key(KOT_KEY_USER, a->tenant, a->user);
    args[1] = kotctl_key(KOT_KEY_USER_SESSIONS, a->tenant, a->user);
    args[2] = kotctl_key(KOT_KEY_USERS, a->tenant, NULL);
    args[3] = kotctl_key(KOT_KEY_RETIRED_USERS, a->tenant, NULL);
    args[4] = kotctl_key(KOT_KEY_FAILURES, a->tenant, a->user);
    args[5] = kotctl_key(KOT_KEY_HISTORY, a->tenant, a->user);
    args[6] = a->user;
    args[7] = "";
    args[8] = "";
    args[9] = "";
    args[10] = yes ? "1" : "";
    args[11] = before;

    if (kotctl_eval_int(k, KOT_SCRIPT_USER_DELETE, 6, 12, args, &ended)
        != KOTCTL_OK)
    {
        return KOTCTL_FAIL;
    }

    if (ended == KOT_LAST_ADMIN || ended == KOT_LAST_ADMIN_BARRED) {
        return kotctl_last_admin(a, ended);
    }

    if (ended < 0) {
        return kotctl_no_user(a);
    }

    kotctl_print(stdout, "user \"%s\" deleted from tenant \"%s\"; %lld %s "
                 "ended; the name is retired\n", a->user, a->tenant, ended,
                 kotctl_plural(ended, "session", "sessions"));

    return kotctl_audit_event(k, "user_deleted", "iam", a->tenant, a->user,
                              json_pack("{s:I, s:b}", "sessions_ended",
                                        (json_int_t) ended, "retired", 1))
           == 0 ? KOTCTL_OK : KOTCTL_FAIL;
}


/*
 * Ends a lock and forgets the failures and earlier lockouts; an account
 * with none of them is left as it is, and nothing is recorded.
 */

static int
kotctl_user_unlock(kotctl_t *k, kotctl_user_args_t *a)
{
    json_t       *change;
    long long     until;
    const char   *args[2];
    redisReply   *r, **e;

    if (kotctl_change_ready(k) != KOTCTL_OK) {
        return KOTCTL_FAIL;
    }

    args[0] = kotctl_key(KOT_KEY_USER, a->tenant, a->user);
    args[1] = kotctl_key(KOT_KEY_FAILURES, a->tenant, a->user);

    r = kotctl_eval(k, KOT_SCRIPT_USER_UNLOCK, 2, 2, args);
    if (r == NULL) {
        return KOTCTL_FAIL;
    }

    if (kotctl_refusal(r)) {
        freeReplyObject(r);
        return kotctl_no_user(a);
    }

    if (r->type == REDIS_REPLY_INTEGER && r->integer == KOT_AS_IS) {
        freeReplyObject(r);
        return kotctl_user_as_is(a, "is not locked and has no failed logins "
                                 "nor lockouts", "");
    }

    if (!kotctl_row_ok(r, 3, 0)) {
        return kotctl_unexpected(k, r);
    }

    e = r->element;
    until = e[1]->integer;

    change = json_pack("{s:{s:I, s:o, s:I}, s:{s:i, s:n, s:i}}",
                       "before", "failures", (json_int_t) e[0]->integer,
                       "locked_until", until == KOT_LOCKED_FOREVER
                                       ? json_string("permanent")
                                       : kotctl_json_time(until),
                       "lockouts", (json_int_t) e[2]->integer,
                       "after", "failures", 0, "locked_until",
                       "lockouts", 0);
    freeReplyObject(r);

    kotctl_print(stdout, "user \"%s\" in tenant \"%s\" unlocked; failures "
                 "and lockouts cleared\n", a->user, a->tenant);

    return kotctl_audit_event(k, "account_unlocked", "iam", a->tenant,
                              a->user, change) == 0 ? KOTCTL_OK : KOTCTL_FAIL;
}


/*
 * An account disabled by an administrator, or refused for inactivity
 * (inactive_after), may log in again: the clock of inactivity restarts
 * now.  An account neither disabled nor inactive is left as it is, as
 * the admin API's PATCH leaves it.  The record says which it was.
 */

static int
kotctl_user_enable(kotctl_t *k, kotctl_user_args_t *a)
{
    int            inactive;
    long long      was;
    redisReply    *r;
    kot_policy_t   p;

    r = kotctl_user_get(k, a, &p);
    if (r == NULL) {
        return KOTCTL_FAIL;
    }

    inactive = kot_policy_inactive(&p, (uint64_t) r->element[8]->integer,
                                   kotctl_now());
    freeReplyObject(r);

    /* "reenable": an account refused as inactive is not disabled */

    r = kotctl_user_patch(k, a, inactive ? "reenable" : "enable", "");
    if (r == NULL) {
        return KOTCTL_FAIL;
    }

    was = r->element[1]->integer;
    freeReplyObject(r);

    if (!was && !inactive) {
        return kotctl_user_as_is(a, "is already enabled", "");
    }

    kotctl_print(stdout, "user \"%s\" in tenant \"%s\" enabled%s\n", a->user,
                 a->tenant, was ? "" : " (it was not disabled; its inactivity "
                                       "restarts now)");

    return kotctl_audit_event(k, "account_enabled", "iam", a->tenant,
                              a->user,
                              kot_change_account_enabled((int) was,
                                                         inactive))
           == 0 ? KOTCTL_OK : KOTCTL_FAIL;
}


/* No login succeeds any more, and every session of the account ends now. */

static int
kotctl_user_disable(kotctl_t *k, kotctl_user_args_t *a)
{
    long long    was, ended;
    redisReply  *r;

    r = kotctl_user_patch(k, a, "disable", "");
    if (r == NULL) {
        return KOTCTL_FAIL;
    }

    was = r->element[1]->integer;
    ended = r->element[2]->integer;
    freeReplyObject(r);

    /* a session that a login racing the first disabling left is a change */

    if (was && ended == 0) {
        return kotctl_user_as_is(a, "is already disabled", "");
    }

    kotctl_print(stdout, "user \"%s\" in tenant \"%s\" disabled; %lld %s "
                 "ended\n", a->user, a->tenant, ended,
                 kotctl_plural(ended, "session", "sessions"));

    return kotctl_audit_event(k, "account_disabled", "iam", a->tenant,
                              a->user,
                              json_pack("{s:I}", "sessions_ended",
                                        (json_int_t) ended))
           == 0 ? KOTCTL_OK : KOTCTL_FAIL;
}


/*
 * Runs user_patch once the audit log is ready: op and roles as the
 * script takes them.  Returns its reply {old roles, was disabled,
 * sessions ended}, or NULL once it has said why not.
 */

static redisReply *
kotctl_user_patch(kotctl_t *k, kotctl_user_args_t *a, const char *op,
    const char *roles)
{
    char         now[24], before[24];
    long long    refused;
    const char  *args[12];
    redisReply  *r;

    if (kotctl_change_ready(k) != KOTCTL_OK
        || kotctl_inactive_before(k, a, before, sizeof(before)) != KOTCTL_OK)
    {
        return NULL;
    }

    snprintf(now, sizeof(now), "%llu", (unsigned long long) kotctl_now());

    /* kotctl acts as root, never as one of the tenant's users */

    args[0] = kotctl_key(KOT_KEY_USER, a->tenant, a->user);
    args[1] = kotctl_key(KOT_KEY_USER_SESSIONS, a->tenant, a->user);
    args[2] = kotctl_key(KOT_KEY_USERS, a->tenant, NULL);
    args[3] = now;
    args[4] = a->user;
    args[5] = "";
    args[6] = op;
    args[7] = roles;
    args[8] = "";
    args[9] = "";
    args[10] = a->yes ? "1" : "";
    args[11] = before;

    r = kotctl_eval(k, KOT_SCRIPT_USER_PATCH, 3, 12, args);
    refused = (r != NULL) ? kotctl_refusal(r) : 0;

    if (refused == KOT_LAST_ADMIN || refused == KOT_LAST_ADMIN_BARRED) {
        freeReplyObject(r);
        kotctl_last_admin(a, refused);
        return NULL;
    }

    return kotctl_user_row(k, a, r, 3, 1);
}


/*
 * A script's reply about the user, if it is a row of n elements, the
 * first strings of them strings; else NULL once it has said why not.
 */

static redisReply *
kotctl_user_row(kotctl_t *k, kotctl_user_args_t *a, redisReply *r, size_t n,
    size_t strings)
{
    if (r == NULL) {
        return NULL;
    }

    if (kotctl_refusal(r)) {
        freeReplyObject(r);
        kotctl_no_user(a);
        return NULL;
    }

    if (!kotctl_row_ok(r, n, strings)) {
        kotctl_unexpected(k, r);
        return NULL;
    }

    return r;
}


/*
 * What was asked is already so: the script changed nothing, and nothing
 * is recorded, as the admin API's PATCH records nothing then.
 */

static int
kotctl_user_as_is(kotctl_user_args_t *a, const char *already,
    const char *what)
{
    kotctl_print(stdout, "user \"%s\" in tenant \"%s\" %s%s; nothing changed\n",
                 a->user, a->tenant, already, what);

    return KOTCTL_OK;
}


static int
kotctl_no_user(kotctl_user_args_t *a)
{
    kotctl_error("user \"%s\" does not exist in tenant \"%s\"", a->user,
                 a->tenant);
    return KOTCTL_FAIL;
}


/*
 * For KOT_LUA_LAST_ADMIN: the time before which an account's last
 * activity makes it inactive, under the tenant's effective policy, as
 * the admin API passes it (kot_policy_inactive_before()).
 */

static int
kotctl_inactive_before(kotctl_t *k, kotctl_user_args_t *a, char *buf,
    size_t len)
{
    char          path[1024];
    kot_policy_t  p;

    if (kotctl_policy_rules(k, a->tenant, &p, path, sizeof(path))
        != KOTCTL_OK)
    {
        return KOTCTL_FAIL;
    }

    snprintf(buf, len, "%llu", (unsigned long long)
             kot_policy_inactive_before(&p, kotctl_now()));

    return KOTCTL_OK;
}


/*
 * The script refused to disable, demote or delete the tenant's last
 * admin who can log in (KOT_LUA_LAST_ADMIN; code KOT_LAST_ADMIN_BARRED
 * when the others are inactive or locked), as the admin API does.
 * kotctl is the way back in when a tenant has lost its admins, so
 * --yes does it all the same; without it a slip leaves the tenant
 * unadministered.
 */

static int
kotctl_last_admin(kotctl_user_args_t *a, long long code)
{
    if (code == KOT_LAST_ADMIN_BARRED) {
        kotctl_error("user \"%s\" is the last admin of tenant \"%s\" who "
                     "can log in: the other admins are inactive or locked "
                     "until unlocked; enable or unlock one first (\"kotctl "
                     "user enable %s USER\", \"kotctl user unlock %s "
                     "USER\"), or run this again with --yes to leave the "
                     "tenant without one; nothing changed", a->user,
                     a->tenant, a->tenant, a->tenant);
        return KOTCTL_FAIL;
    }

    kotctl_error("user \"%s\" is the last enabled admin of tenant \"%s\": "
                 "make another user admin first (\"kotctl user roles %s "
                 "USER --role admin\"), or run this again with --yes to "
                 "leave the tenant without one; nothing changed", a->user,
                 a->tenant, a->tenant);
    return KOTCTL_FAIL;
}


/* KOTCTL_OK if the user exists; otherwise says why not. */

static int
kotctl_user_known(kotctl_t *k, kotctl_user_args_t *a)
{
    switch (kotctl_exists(k, kotctl_key(KOT_KEY_USER, a->tenant, a->user))) {
    case 1:
        return KOTCTL_OK;
    case 0:
        return kotctl_no_user(a);
    default:
        return KOTCTL_FAIL;
    }
}


int
kotctl_session(kotctl_t *k, int argc, char **argv)
{
    int                 rc;
    const char         *cmd, *which;
    kotctl_user_args_t  a;

    memset(&a, 0, sizeof(kotctl_user_args_t));
    cmd = (argc > 0) ? argv[0] : "";

    if (!((argc == 2 || argc == 3) && strcmp(cmd, "list") == 0)
        && !(argc == 4 && strcmp(cmd, "revoke") == 0)
        && !(argc == 3 && strcmp(cmd, "end") == 0))
    {
        kotctl_usage_of(stderr, "session");
        return KOTCTL_USAGE;
    }

    /* "end" names a session of the tenant, the others maybe a user */

    rc = (argc == 4 || (argc == 3 && cmd[0] == 'l'))
         ? kotctl_names(argv[1], argv[2], &a)
         : kotctl_tenant_name(argv[1], a.tenant);

    if (rc != KOTCTL_OK) {
        return rc;
    }

    if (cmd[0] != 'l' && kotctl_no_json(k, cmd) != KOTCTL_OK) {
        return KOTCTL_USAGE;
    }

    which = (cmd[0] == 'r') ? argv[3] : (cmd[0] == 'e') ? argv[2] : NULL;

    if (which != NULL && strcmp(which, "--all") != 0
        && !kot_session_handle_valid(which, strlen(which)))
    {
        kotctl_error("\"%s\" is not a session: give the SESSION column of "
                     "\"kotctl session list\" (at least %d characters)%s",
                     which, KOT_SID_SHORT_LEN,
                     cmd[0] == 'r' ? ", or --all" : "");
        return KOTCTL_USAGE;
    }

    rc = kotctl_connect(k);
    if (rc != KOTCTL_OK) {
        return rc;
    }

    return (cmd[0] == 'l') ? kotctl_session_list(k, &a)
           : (cmd[0] == 'r') ? kotctl_session_revoke(k, &a, which)
           : kotctl_session_end(k, &a, which);
}


/*
 * The live sessions of a user, or of the whole tenant (a->user empty):
 * for each, its handle, the login time, the last activity, when it
 * expires if left idle and however active it is, and the address it
 * logged in from (the session_list script, which the admin API runs too).
 */

static int
kotctl_session_list(kotctl_t *k, kotctl_user_args_t *a)
{
    int              all;
    char             t[KOT_RFC3339_LEN], now[24];
    size_t           i, j;
    json_t          *list;
    const char      *args[5];
    redisReply      *r, **e;
    kotctl_table_t  *tbl;

    /* USER only when the sessions of the whole tenant are listed */
    static const kotctl_column_t  columns[] = {
        { "SESSION", 16 }, { "USER", 32 }, { "CREATED", 20 },
        { "LAST ACTIVE", 20 }, { "IDLE EXPIRY", 20 },
        { "ABSOLUTE EXPIRY", 20 }, { "SOURCE", 0 }
    };
    static const kotctl_column_t  user_columns[] = {
        { "SESSION", 16 }, { "CREATED", 20 }, { "LAST ACTIVE", 20 },
        { "IDLE EXPIRY", 20 }, { "ABSOLUTE EXPIRY", 20 }, { "SOURCE", 0 }
    };

    snprintf(now, sizeof(now), "%llu", (unsigned long long) kotctl_now());

    args[0] = kotctl_key(KOT_KEY_TENANT, a->tenant, NULL);
    args[1] = kotctl_key(KOT_KEY_USERS, a->tenant, NULL);
    args[2] = a->tenant;
    args[3] = a->user;
    args[4] = now;

    r = kotctl_eval(k, KOT_SCRIPT_SESSION_LIST, 2, 5, args);
    if (r == NULL) {
        return KOTCTL_FAIL;
    }

    switch (kotctl_refusal(r)) {
    case 0:
        break;
    case -1:
        freeReplyObject(r);
        return kotctl_no_tenant(k, a->tenant);
    default:
        freeReplyObject(r);
        return kotctl_no_user(a);
    }

    if (!kotctl_rows_ok(r, 7, 3)) {
        return kotctl_unexpected(k, r);
    }

    all = (a->user[0] == '\0');
    if ((all ? kotctl_listing(k, columns, 7, &list, &tbl)
             : kotctl_listing(k, user_columns, 6, &list, &tbl))
        != KOTCTL_OK)
    {
        freeReplyObject(r);
        return KOTCTL_FAIL;
    }

    for (i = 0; i < r->elements; i++) {
        e = r->element[i]->element;

        if (k->json) {
            json_array_append_new(list,
                json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
                          "handle", kotctl_json_text(e[0]->str, e[0]->len),
                          "user", kotctl_json_text(e[1]->str, e[1]->len),
                          "ip", kotctl_json_text(e[2]->str, e[2]->len),
                          "created", kotctl_json_time(e[3]->integer),
                          "last_active", kotctl_json_time(e[4]->integer),
                          "idle_expires", kotctl_json_time(e[5]->integer),
                          "absolute_expires",
                          kotctl_json_time(e[6]->integer)));
            continue;
        }

        kotctl_table_cell(tbl, e[0]->str, e[0]->len);

        if (all) {
            kotctl_table_cell(tbl, e[1]->str, e[1]->len);
        }

        for (j = 0; j < 4; j++) {
            kotctl_time((uint64_t) e[3 + j]->integer, t, sizeof(t));
            kotctl_table_text(tbl, t);
        }

        kotctl_table_cell(tbl, e[2]->len ? e[2]->str : "-",
                          e[2]->len ? e[2]->len : 1);
    }

    freeReplyObject(r);

    return kotctl_listing_print(k, "sessions", list, tbl);
}


/* Ends one session of a user (by its handle), or all of them (--all). */

static int
kotctl_session_revoke(kotctl_t *k, kotctl_user_args_t *a, const char *which)
{
    long long    ended;
    const char  *args[2];
    redisReply  *r;

    if (kotctl_user_known(k, a) != KOTCTL_OK
        || kotctl_change_ready(k) != KOTCTL_OK)
    {
        return KOTCTL_FAIL;
    }

    args[0] = kotctl_key(KOT_KEY_USER_SESSIONS, a->tenant, a->user);
    args[1] = strcmp(which, "--all") == 0 ? "" : which;

    r = kotctl_eval(k, KOT_SCRIPT_SESSION_REVOKE, 1, 2, args);
    if (r == NULL) {
        return KOTCTL_FAIL;
    }

    ended = (r->type == REDIS_REPLY_INTEGER) ? r->integer : 0;
    freeReplyObject(r);

    if (ended == 0 && args[1][0] != '\0') {
        kotctl_error("user \"%s\" in tenant \"%s\" has no session %s "
                     "(\"kotctl session list %s %s\" shows those it has)",
                     a->user, a->tenant, which, a->tenant, a->user);
        return KOTCTL_FAIL;
    }

    kotctl_print(stdout, "%lld %s of user \"%s\" in tenant \"%s\" ended\n",
                 ended, kotctl_plural(ended, "session", "sessions"), a->user,
                 a->tenant);

    return kotctl_audit_event(k, "session_revoked", "session", a->tenant,
                              a->user,
                              json_pack("{s:s,s:I}", "session",
                                        args[1][0] ? which : "all",
                                        "sessions_ended",
                                        (json_int_t) ended))
           == 0 ? KOTCTL_OK : KOTCTL_FAIL;
}


/* Ends a session of the tenant named by its handle alone. */

static int
kotctl_session_end(kotctl_t *k, kotctl_user_args_t *a, const char *handle)
{
    const char  *args[4];
    redisReply  *r;

    if (kotctl_change_ready(k) != KOTCTL_OK) {
        return KOTCTL_FAIL;
    }

    args[0] = kotctl_key(KOT_KEY_TENANT, a->tenant, NULL);
    args[1] = kotctl_key(KOT_KEY_USERS, a->tenant, NULL);
    args[2] = a->tenant;
    args[3] = handle;

    r = kotctl_eval(k, KOT_SCRIPT_SESSION_END, 2, 4, args);
    if (r == NULL) {
        return KOTCTL_FAIL;
    }

    if (kotctl_refusal(r)) {
        freeReplyObject(r);
        return kotctl_no_tenant(k, a->tenant);
    }

    if (!kotctl_row_ok(r, r->elements == 1, 1)) {
        return kotctl_unexpected(k, r);
    }

    if (r->elements == 0) {
        freeReplyObject(r);
        kotctl_error("tenant \"%s\" has no session %s (\"kotctl session list "
                     "%s\" shows those it has)", a->tenant, handle,
                     a->tenant);
        return KOTCTL_FAIL;
    }

    snprintf(a->user, sizeof(a->user), "%s", r->element[0]->str);
    freeReplyObject(r);

    kotctl_print(stdout, "session %s of user \"%s\" in tenant \"%s\" ended\n",
                 handle, a->user, a->tenant);

    return kotctl_audit_event(k, "session_revoked", "session", a->tenant,
                              a->user,
                              json_pack("{s:s,s:i}", "session", handle,
                                        "sessions_ended", 1))
           == 0 ? KOTCTL_OK : KOTCTL_FAIL;
}
