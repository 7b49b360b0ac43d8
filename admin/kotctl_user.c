/*
 * kotctl: tenants, users and sessions.
 */

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "kotctl.h"
#include "kot_crypto.h"
#include "kot_ident.h"
#include "kot_policy.h"
#include "kot_scripts.h"


#define KOTCTL_PASSWORD_MAX  1024
#define KOTCTL_ROLES_MAX     512

#define KOTCTL_GENERATED_MIN    20      /* characters of a generated one */
#define KOTCTL_GENERATE_TRIES   1000

typedef struct {
    char     tenant[KOT_TENANT_MAX + 1];
    char     user[KOT_USERNAME_MAX + 1];
    char     roles[KOTCTL_ROLES_MAX];
    char     password[KOTCTL_PASSWORD_MAX + 2];
    size_t   password_len;
    unsigned history;
    int      password_stdin;
    int      generate;
    int      force_change;
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
static int kotctl_password_random(kotctl_user_args_t *a, size_t len,
    const char *alphabet);
static int kotctl_password_policy(kotctl_user_args_t *a,
    const kot_policy_t *p);
static void kotctl_password_broken(unsigned bits, const kot_policy_t *p);
static int kotctl_password_reused(kotctl_t *k, kotctl_user_args_t *a);
static int kotctl_history_matches(kotctl_t *k, kotctl_user_args_t *a);
static int kotctl_hash_matches(kotctl_user_args_t *a, const char *phc,
    size_t len);
static int kotctl_user_enable(kotctl_t *k, kotctl_user_args_t *a);
static int kotctl_user_disable(kotctl_t *k, kotctl_user_args_t *a);
static int kotctl_user_script(kotctl_t *k, kotctl_user_args_t *a,
    int script, long long *result);
static int kotctl_no_user(kotctl_user_args_t *a);
static int kotctl_user_known(kotctl_t *k, kotctl_user_args_t *a);
static int kotctl_password_tty(kotctl_user_args_t *a);
static int kotctl_user_add(kotctl_t *k, kotctl_user_args_t *a);
static int kotctl_user_passwd(kotctl_t *k, kotctl_user_args_t *a);
static int kotctl_user_status(kotctl_t *k, kotctl_user_args_t *a);
static int kotctl_user_unlock(kotctl_t *k, kotctl_user_args_t *a);
static const char *kotctl_field(redisReply *r, size_t i);
static int kotctl_session_list(kotctl_t *k, kotctl_user_args_t *a);
static int kotctl_session_handle(const char *s);
static int kotctl_session_revoke(kotctl_t *k, kotctl_user_args_t *a,
    const char *which);
static int kotctl_session_show(kotctl_t *k, const char *sid,
    uint64_t absolute);


int
kotctl_user(kotctl_t *k, int argc, char **argv)
{
    int                 rc, add;
    kotctl_user_args_t  a;

    if (argc < 3) {
        kotctl_error("usage: kotctl user add|passwd|status|unlock|enable|"
                     "disable TENANT USER ...");
        return KOTCTL_USAGE;
    }

    memset(&a, 0, sizeof(kotctl_user_args_t));
    a.force_change = 1;

    rc = kotctl_names(argv[1], argv[2], &a);
    if (rc != KOTCTL_OK) {
        return rc;
    }

    if (strcmp(argv[0], "status") == 0 || strcmp(argv[0], "unlock") == 0
        || strcmp(argv[0], "enable") == 0 || strcmp(argv[0], "disable") == 0)
    {
        if (argc != 3) {
            kotctl_error("usage: kotctl user %s TENANT USER", argv[0]);
            return KOTCTL_USAGE;
        }

        rc = kotctl_connect(k);
        if (rc != KOTCTL_OK) {
            return rc;
        }

        return (argv[0][0] == 's') ? kotctl_user_status(k, &a)
               : (argv[0][0] == 'u') ? kotctl_user_unlock(k, &a)
               : (argv[0][0] == 'e') ? kotctl_user_enable(k, &a)
               : kotctl_user_disable(k, &a);
    }

    if (strcmp(argv[0], "add") != 0 && strcmp(argv[0], "passwd") != 0) {
        kotctl_error("unknown user command \"%s\"; see \"kotctl --help\"",
                     argv[0]);
        return KOTCTL_USAGE;
    }

    add = (argv[0][0] == 'a');

    rc = kotctl_user_options(argc - 3, argv + 3, &a, add);
    if (rc != KOTCTL_OK) {
        return rc;
    }

    if (add && a.roles[0] == '\0') {
        kotctl_error("user add needs at least one --role");
        return KOTCTL_USAGE;
    }

    rc = kotctl_connect(k);
    if (rc != KOTCTL_OK) {
        return rc;
    }

    rc = kotctl_password(k, &a);

    if (rc == KOTCTL_OK) {
        rc = kotctl_audit_ready(k);
    }

    if (rc == KOTCTL_OK) {
        rc = add ? kotctl_user_add(k, &a) : kotctl_user_passwd(k, &a);
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
kotctl_user_options(int argc, char **argv, kotctl_user_args_t *a, int roles)
{
    int  i;

    for (i = 0; i < argc; i++) {

        if (roles && strcmp(argv[i], "--role") == 0 && i + 1 < argc) {
            if (kotctl_add_role(a, argv[++i]) != KOTCTL_OK) {
                return KOTCTL_USAGE;
            }

        } else if (strcmp(argv[i], "--password-stdin") == 0) {
            a->password_stdin = 1;

        } else if (strcmp(argv[i], "--generate-password") == 0
                   || (!roles && strcmp(argv[i], "--reset") == 0))
        {
            /* --reset: a temporary password, as if forgotten */
            a->generate = 1;

        } else if (strcmp(argv[i], "--no-force-change") == 0) {
            a->force_change = 0;

        } else {
            kotctl_error("unexpected argument \"%s\"", argv[i]);
            return KOTCTL_USAGE;
        }
    }

    if (a->password_stdin && a->generate) {
        kotctl_error("--password-stdin and --generate-password exclude "
                     "each other");
        return KOTCTL_USAGE;
    }

    return KOTCTL_OK;
}


/* Roles are kept as a comma-separated list. */

static int
kotctl_add_role(kotctl_user_args_t *a, const char *role)
{
    size_t  len, used;

    len = strlen(role);

    if (!kot_role_valid(role, len)) {
        kotctl_error("\"%s\" is not a valid role: use 1 to %d of a-z, 0-9, "
                     "'_' and '-'", role, KOT_ROLE_MAX);
        return KOTCTL_USAGE;
    }

    used = strlen(a->roles);

    if (used + len + 2 > sizeof(a->roles)) {
        kotctl_error("too many roles");
        return KOTCTL_USAGE;
    }

    snprintf(a->roles + used, sizeof(a->roles) - used, "%s%s",
             used ? "," : "", role);

    return KOTCTL_OK;
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
    if (!a->password_stdin) {
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


/*
 * A random password that the policy accepts: at least 20 characters, or
 * min_length if more, but no more than max_length; letters and digits
 * without look-alikes (about 5.8 bits each), and symbols too when the
 * policy asks for all four kinds of characters.  Candidates are drawn
 * until one passes the policy check (one lacking a required kind, say),
 * so every accepted password is equally likely.
 */

static int
kotctl_password_generate(kotctl_user_args_t *a, const kot_policy_t *p)
{
    size_t    len;
    unsigned  i, bits;

    static const char  alnum[] = "abcdefghijkmnpqrstuvwxyz"
                                 "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    static const char  all[] = "abcdefghijkmnpqrstuvwxyz"
                               "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
                               "#%+-=?@_";

    len = (p->min_length > KOTCTL_GENERATED_MIN) ? p->min_length
                                                 : KOTCTL_GENERATED_MIN;

    if (len > p->max_length) {
        len = p->max_length;
    }

    if (len > KOTCTL_PASSWORD_MAX) {
        len = KOTCTL_PASSWORD_MAX;
    }

    bits = KOT_PW_OK;

    for (i = 0; i < KOTCTL_GENERATE_TRIES; i++) {
        if (kotctl_password_random(a, len, p->classes >= 4 ? all : alnum)
            != KOTCTL_OK)
        {
            return KOTCTL_FAIL;
        }

        bits = kot_policy_check(p, a->password, a->password_len, a->user,
                                strlen(a->user));
        if (bits == KOT_PW_OK) {
            return KOTCTL_OK;
        }
    }

    kotctl_error("cannot generate a password that the policy of tenant "
                 "\"%s\" accepts (%zu characters, %u kinds); the last one "
                 "tried broke it:", a->tenant, len, p->classes);
    kotctl_password_broken(bits, p);

    return KOTCTL_FAIL;
}


/* len characters drawn uniformly from alphabet, by rejection sampling. */

static int
kotctl_password_random(kotctl_user_args_t *a, size_t len,
    const char *alphabet)
{
    size_t    i, j, n;
    unsigned  limit;
    uint8_t   rnd[64];

    n = strlen(alphabet);
    limit = 256 - 256 % n;
    j = sizeof(rnd);

    for (i = 0; i < len; j++) {
        if (j == sizeof(rnd)) {
            if (kot_random(rnd, sizeof(rnd)) != 0) {
                kotctl_error("RAND_bytes() failed");
                return KOTCTL_FAIL;
            }

            j = 0;
        }

        if (rnd[j] < limit) {
            a->password[i++] = alphabet[rnd[j] % n];
        }
    }

    a->password_len = len;
    a->password[len] = '\0';
    kot_cleanse(rnd, sizeof(rnd));

    return KOTCTL_OK;
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
    if (bits & KOT_PW_TOO_SHORT) {
        fprintf(stderr, "  too short: at least %u characters\n",
                p->min_length);
    }

    if (bits & KOT_PW_TOO_LONG) {
        fprintf(stderr, "  too long: at most %u characters\n",
                p->max_length);
    }

    if (bits & KOT_PW_INVALID_CHARS) {
        fprintf(stderr, "  control characters or invalid UTF-8\n");
    }

    if (bits & KOT_PW_CLASSES) {
        fprintf(stderr, "  too few kinds of characters: %u of lower case, "
                "upper case, digits, symbols\n", p->classes);
    }

    if (bits & KOT_PW_USERNAME) {
        fprintf(stderr, "  contains the username\n");
    }

    if (bits & KOT_PW_BLOCKLISTED) {
        fprintf(stderr, "  a common password from the blocklist\n");
    }
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


static int
kotctl_password_tty(kotctl_user_args_t *a)
{
    int             ok;
    char            again[KOTCTL_PASSWORD_MAX + 2];
    FILE           *tty;
    struct termios  old, noecho;

    if (!isatty(STDIN_FILENO)) {
        kotctl_error("no password: use --password-stdin or "
                     "--generate-password, or run on a terminal");
        return KOTCTL_USAGE;
    }

    tty = stdin;

    if (tcgetattr(fileno(tty), &old) != 0) {
        kotctl_error("cannot read the terminal: %s", strerror(errno));
        return KOTCTL_USAGE;
    }

    noecho = old;
    noecho.c_lflag &= ~ECHO;
    tcsetattr(fileno(tty), TCSAFLUSH, &noecho);

    fputs("New password: ", stderr);
    ok = (fgets(a->password, sizeof(a->password), tty) != NULL);
    fputs("\nAgain: ", stderr);
    ok = ok && (fgets(again, sizeof(again), tty) != NULL);
    fputs("\n", stderr);

    tcsetattr(fileno(tty), TCSAFLUSH, &old);

    a->password_len = strcspn(a->password, "\r\n");
    a->password[a->password_len] = '\0';
    again[strcspn(again, "\r\n")] = '\0';

    ok = ok && strcmp(a->password, again) == 0;
    kot_cleanse(again, sizeof(again));

    if (!ok) {
        kotctl_error("the passwords do not match");
        return KOTCTL_USAGE;
    }

    return KOTCTL_OK;
}


static int
kotctl_user_add(kotctl_t *k, kotctl_user_args_t *a)
{
    int          rc;
    char         hash[KOT_PHC_MAX + 1], now[24];
    const char  *args[9];
    redisReply  *reply;

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

    reply = kotctl_eval(k, KOT_SCRIPT_USER_ADD, 4, 9, args);
    if (reply == NULL) {
        return KOTCTL_FAIL;
    }

    rc = (reply->type == REDIS_REPLY_INTEGER) ? (int) reply->integer : -2;
    freeReplyObject(reply);

    if (rc == -1) {
        kotctl_error("tenant \"%s\" does not exist; add it with \"kotctl "
                     "tenant add %s\"", a->tenant, a->tenant);
        return KOTCTL_FAIL;
    }

    if (rc != 1) {
        kotctl_error("user \"%s\" already exists in tenant \"%s\"", a->user,
                     a->tenant);
        return KOTCTL_FAIL;
    }

    printf("user \"%s\" added to tenant \"%s\" with roles %s\n", a->user,
           a->tenant, a->roles);

    if (kotctl_audit_event(k, "user_added", "iam", a->tenant, a->user,
                           json_pack("{s:s,s:b}", "roles", a->roles,
                                     "must_change", a->force_change))
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

    printf("password of user \"%s\" in tenant \"%s\" set; %lld %s ended\n",
           a->user, a->tenant, ended,
           kotctl_plural(ended, "session", "sessions"));

    if (kotctl_audit_event(k, "user_password_set", "iam", a->tenant,
                           a->user,
                           json_pack("{s:b,s:I}", "must_change",
                                     a->force_change, "sessions_ended",
                                     (json_int_t) ended))
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


/* What an administrator needs to answer "why can't I log in?". */

static int
kotctl_user_status(kotctl_t *k, kotctl_user_args_t *a)
{
    char         t1[32], t2[32];
    long long    until;
    const char  *args[8], *v;
    redisReply  *u, *f;

    args[0] = "HMGET";
    args[1] = kotctl_key(KOT_KEY_USER, a->tenant, a->user);
    args[2] = "roles";
    args[3] = "must_change";
    args[4] = "last_login";
    args[5] = "pw_changed";
    args[6] = "disabled";

    u = kotctl_cmd(k, 7, args);
    if (u == NULL) {
        return KOTCTL_FAIL;
    }

    if (kotctl_field(u, 0) == NULL) {
        freeReplyObject(u);
        return kotctl_no_user(a);
    }

    args[1] = kotctl_key(KOT_KEY_FAILURES, a->tenant, a->user);
    args[2] = "fails";
    args[3] = "until";
    args[4] = "locks";
    args[5] = "last";

    f = kotctl_cmd(k, 6, args);
    if (f == NULL) {
        freeReplyObject(u);
        return KOTCTL_FAIL;
    }

    printf("user:          %s\n", a->user);
    printf("tenant:        %s\n", a->tenant);
    printf("roles:         %s\n", kotctl_field(u, 0));

    v = kotctl_field(u, 1);
    printf("must change:   %s\n", (v && v[0] == '1') ? "yes" : "no");

    v = kotctl_field(u, 2);
    if (v) {
        kotctl_time(strtoull(v, NULL, 10), t1, sizeof(t1));
    }
    printf("last login:    %s\n", v ? t1 : "never");

    v = kotctl_field(u, 3);
    kotctl_time(v ? strtoull(v, NULL, 10) : 0, t1, sizeof(t1));
    printf("password set:  %s\n", t1);

    v = kotctl_field(u, 4);
    if (v) {
        kotctl_time(strtoull(v, NULL, 10), t1, sizeof(t1));
    }
    printf("disabled:      %s%s\n", v ? "yes, since " : "no", v ? t1 : "");

    v = kotctl_field(f, 0);
    printf("failures:      %s", v ? v : "0");

    v = kotctl_field(f, 3);
    if (v) {
        kotctl_time(strtoull(v, NULL, 10), t2, sizeof(t2));
        printf(" (last %s)", t2);
    }
    printf("\n");

    v = kotctl_field(f, 1);
    until = v ? strtoll(v, NULL, 10) : 0;

    if (until == KOT_LOCKED_FOREVER) {
        printf("locked:        yes, until an administrator unlocks it\n");

    } else if (until > (long long) kotctl_now()) {
        kotctl_time((uint64_t) until, t1, sizeof(t1));
        printf("locked:        yes, until %s\n", t1);

    } else {
        printf("locked:        no\n");
    }

    v = kotctl_field(f, 2);
    printf("lockouts:      %s\n", v ? v : "0");

    freeReplyObject(u);
    freeReplyObject(f);

    return KOTCTL_OK;
}


/* Ends a lock and forgets the failures and earlier lockouts. */

static int
kotctl_user_unlock(kotctl_t *k, kotctl_user_args_t *a)
{
    const char  *args[2];
    redisReply  *r;

    if (kotctl_user_known(k, a) != KOTCTL_OK
        || kotctl_audit_ready(k) != KOTCTL_OK)
    {
        return KOTCTL_FAIL;
    }

    args[0] = "DEL";
    args[1] = kotctl_key(KOT_KEY_FAILURES, a->tenant, a->user);

    r = kotctl_cmd(k, 2, args);
    if (r == NULL) {
        return KOTCTL_FAIL;
    }

    freeReplyObject(r);

    printf("user \"%s\" in tenant \"%s\" unlocked; failures and lockouts "
           "cleared\n", a->user, a->tenant);

    return kotctl_audit_event(k, "account_unlocked", "iam", a->tenant,
                              a->user, NULL) == 0 ? KOTCTL_OK : KOTCTL_FAIL;
}


/*
 * An account disabled by an administrator, or refused for inactivity
 * (inactive_after), may log in again: the clock of inactivity restarts
 * now.
 */

static int
kotctl_user_enable(kotctl_t *k, kotctl_user_args_t *a)
{
    long long  was;

    if (kotctl_user_script(k, a, KOT_SCRIPT_USER_ENABLE, &was)
        != KOTCTL_OK)
    {
        return KOTCTL_FAIL;
    }

    printf("user \"%s\" in tenant \"%s\" enabled%s\n", a->user, a->tenant,
           was ? "" : " (it was not disabled; its inactivity restarts now)");

    return kotctl_audit_event(k, "account_enabled", "iam", a->tenant,
                              a->user, NULL) == 0 ? KOTCTL_OK : KOTCTL_FAIL;
}


/* No login succeeds any more, and every session of the account ends now. */

static int
kotctl_user_disable(kotctl_t *k, kotctl_user_args_t *a)
{
    long long  ended;

    if (kotctl_user_script(k, a, KOT_SCRIPT_USER_DISABLE, &ended)
        != KOTCTL_OK)
    {
        return KOTCTL_FAIL;
    }

    printf("user \"%s\" in tenant \"%s\" disabled; %lld %s ended\n",
           a->user, a->tenant, ended,
           kotctl_plural(ended, "session", "sessions"));

    return kotctl_audit_event(k, "account_disabled", "iam", a->tenant,
                              a->user,
                              json_pack("{s:I}", "sessions_ended",
                                        (json_int_t) ended))
           == 0 ? KOTCTL_OK : KOTCTL_FAIL;
}


/*
 * Runs a script that takes u:{tenant}:{user} and us:{tenant}:{user} and
 * the time, once the audit log is ready; its result is -1 for an unknown
 * user.
 */

static int
kotctl_user_script(kotctl_t *k, kotctl_user_args_t *a, int script,
    long long *result)
{
    char         now[24];
    const char  *args[5];
    redisReply  *r;

    if (kotctl_audit_ready(k) != KOTCTL_OK) {
        return KOTCTL_FAIL;
    }

    snprintf(now, sizeof(now), "%llu", (unsigned long long) kotctl_now());

    /* kotctl acts as root, never as one of the tenant's users */

    args[0] = kotctl_key(KOT_KEY_USER, a->tenant, a->user);
    args[1] = kotctl_key(KOT_KEY_USER_SESSIONS, a->tenant, a->user);
    args[2] = now;
    args[3] = a->user;
    args[4] = "";

    r = kotctl_eval(k, script, 2, 5, args);
    if (r == NULL) {
        return KOTCTL_FAIL;
    }

    if (r->type != REDIS_REPLY_INTEGER) {
        freeReplyObject(r);
        kotctl_error("Redis answered the script with something other than "
                     "a number; is another program using the kot:v1: keys?");
        return KOTCTL_FAIL;
    }

    *result = r->integer;
    freeReplyObject(r);

    return (*result < 0) ? kotctl_no_user(a) : KOTCTL_OK;
}


static int
kotctl_no_user(kotctl_user_args_t *a)
{
    kotctl_error("user \"%s\" does not exist in tenant \"%s\"", a->user,
                 a->tenant);
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


/* The i-th element of an array reply, if it is a string. */

static const char *
kotctl_field(redisReply *r, size_t i)
{
    if (r->type != REDIS_REPLY_ARRAY || i >= r->elements
        || r->element[i]->type != REDIS_REPLY_STRING)
    {
        return NULL;
    }

    return r->element[i]->str;
}


int
kotctl_session(kotctl_t *k, int argc, char **argv)
{
    int                 rc;
    kotctl_user_args_t  a;

    if (!((argc == 3 && strcmp(argv[0], "list") == 0)
          || (argc == 4 && strcmp(argv[0], "revoke") == 0)))
    {
        kotctl_error("usage: kotctl session list TENANT USER\n"
                     "       kotctl session revoke TENANT USER "
                     "SESSION|--all");
        return KOTCTL_USAGE;
    }

    rc = kotctl_names(argv[1], argv[2], &a);
    if (rc != KOTCTL_OK) {
        return rc;
    }

    if (argc == 4 && strcmp(argv[3], "--all") != 0
        && !kotctl_session_handle(argv[3]))
    {
        kotctl_error("\"%s\" is not a session: give the SESSION column of "
                     "\"kotctl session list\" (at least %d characters), or "
                     "--all", argv[3], KOT_SID_SHORT_LEN);
        return KOTCTL_USAGE;
    }

    rc = kotctl_connect(k);
    if (rc != KOTCTL_OK) {
        return rc;
    }

    return (argc == 3) ? kotctl_session_list(k, &a)
                       : kotctl_session_revoke(k, &a, argv[3]);
}


static int
kotctl_session_list(kotctl_t *k, kotctl_user_args_t *a)
{
    int          rc;
    size_t       i;
    const char  *args[5];
    redisReply  *list, *sid, *score;

    if (kotctl_user_known(k, a) != KOTCTL_OK) {
        return KOTCTL_FAIL;
    }

    /* scored by the absolute expiry: the login time + the timeout */

    args[0] = "ZRANGE";
    args[1] = kotctl_key(KOT_KEY_USER_SESSIONS, a->tenant, a->user);
    args[2] = "0";
    args[3] = "-1";
    args[4] = "WITHSCORES";

    list = kotctl_cmd(k, 5, args);
    if (list == NULL) {
        return KOTCTL_FAIL;
    }

    printf("%-16s  %-20s  %-20s  %-20s  %-20s  %s\n", "SESSION", "CREATED",
           "LAST ACTIVE", "IDLE EXPIRY", "ABSOLUTE EXPIRY", "SOURCE");

    rc = KOTCTL_OK;

    for (i = 0; i + 1 < list->elements; i += 2) {
        sid = list->element[i];
        score = list->element[i + 1];

        if (sid->type != REDIS_REPLY_STRING
            || score->type != REDIS_REPLY_STRING)
        {
            continue;
        }

        if (kotctl_session_show(k, sid->str,
                                (uint64_t) strtod(score->str, NULL))
            != KOTCTL_OK)
        {
            rc = KOTCTL_FAIL;
            break;
        }
    }

    freeReplyObject(list);

    return rc;
}


/* A handle as "session list" shows it, or a longer prefix of the sid. */

static int
kotctl_session_handle(const char *s)
{
    size_t  i, len;

    len = strlen(s);

    if (len < KOT_SID_SHORT_LEN || len > KOT_SID_B64_LEN) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (!isalnum((unsigned char) s[i]) && s[i] != '-' && s[i] != '_') {
            return 0;
        }
    }

    return 1;
}


/* Ends one session of a user (by its handle), or all of them (--all). */

static int
kotctl_session_revoke(kotctl_t *k, kotctl_user_args_t *a, const char *which)
{
    long long    ended;
    const char  *args[2];
    redisReply  *r;

    if (kotctl_user_known(k, a) != KOTCTL_OK
        || kotctl_audit_ready(k) != KOTCTL_OK)
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

    printf("%lld %s of user \"%s\" in tenant \"%s\" ended\n", ended,
           kotctl_plural(ended, "session", "sessions"), a->user, a->tenant);

    return kotctl_audit_event(k, "session_revoked", "session", a->tenant,
                              a->user,
                              json_pack("{s:s,s:I}", "session",
                                        args[1][0] ? which : "all",
                                        "sessions_ended",
                                        (json_int_t) ended))
           == 0 ? KOTCTL_OK : KOTCTL_FAIL;
}


/*
 * One line per live session.  A session's key outlives its expiry by the
 * grace (KOT_SESSION_GRACE_MS), so that the next request can say that it
 * expired; such a session is over and is not shown.  The expiries are the
 * module's own: the key's TTL was last set at the last activity to the
 * idle timeout (or what was left of the absolute one) plus the grace, and
 * absolute is the login time plus the absolute timeout, as stored at
 * login.
 */

static int
kotctl_session_show(kotctl_t *k, const char *sid, uint64_t absolute)
{
    char         created[32], seen[32], idle_at[32], absolute_at[32];
    uint64_t     now, idle;
    const char  *args[5];
    redisReply  *f, *ttl;

    args[0] = "HMGET";
    args[1] = kotctl_key(KOT_KEY_SESSION, sid, NULL);
    args[2] = "c";
    args[3] = "l";
    args[4] = "ip";

    f = kotctl_cmd(k, 5, args);
    if (f == NULL) {
        return KOTCTL_FAIL;
    }

    args[0] = "PTTL";

    ttl = kotctl_cmd(k, 2, args);
    if (ttl == NULL) {
        freeReplyObject(f);
        return KOTCTL_FAIL;
    }

    now = kotctl_now();

    if (f->elements == 3 && f->element[0]->type == REDIS_REPLY_STRING
        && f->element[1]->type == REDIS_REPLY_STRING
        && ttl->type == REDIS_REPLY_INTEGER
        && ttl->integer > KOT_SESSION_GRACE_MS)
    {
        idle = now + (uint64_t) (ttl->integer - KOT_SESSION_GRACE_MS);

        if (idle > absolute) {
            idle = absolute;
        }

        if (idle > now) {
            kotctl_time(strtoull(f->element[0]->str, NULL, 10), created,
                        sizeof(created));
            kotctl_time(strtoull(f->element[1]->str, NULL, 10), seen,
                        sizeof(seen));
            kotctl_time(idle, idle_at, sizeof(idle_at));
            kotctl_time(absolute, absolute_at, sizeof(absolute_at));

            printf("%-16.16s  %-20s  %-20s  %-20s  %-20s  %s\n", sid,
                   created, seen, idle_at, absolute_at,
                   f->element[2]->type == REDIS_REPLY_STRING
                   ? f->element[2]->str : "-");
        }
    }

    freeReplyObject(f);
    freeReplyObject(ttl);

    return KOTCTL_OK;
}
