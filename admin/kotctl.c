/*
 * kotctl: command line parsing and dispatch.
 */

#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>
#include <sys/stat.h>

#include "kotctl.h"
#include "kotctl_conf.h"
#include "kot_crypto.h"
#include "kot_scripts.h"
#include "kot_utf8.h"


#define KOTCTL_UNKNOWN  3       /* kotctl_option(): no such option */

/* the project's version: the Makefile takes it from debian/changelog */
#ifndef KOT_VERSION
#error "KOT_VERSION is not defined: build kotctl with the Makefile"
#endif


static const char  usage[] =
    "usage: kotctl [options] COMMAND ...\n"
    "\n"
    "options:\n"
    "  --redis ADDR               host:port or unix:/path "
    "(default 127.0.0.1:6379)\n"
    "  --redis-user NAME          Redis ACL user\n"
    "  --redis-password-file PATH file holding the Redis password\n"
    "  --sentinel ADDR,...        ask these sentinels where the master "
    "is (instead\n"
    "                             of --redis); with --master NAME\n"
    "  --master NAME              the master's name for the sentinels\n"
    "  --sentinel-password-file PATH  file holding the sentinels' "
    "password\n"
    "  --db N                     Redis database (default 0)\n"
    "  --secret-file PATH         the key of kot_secret_file (required, "
    "but not by\n"
    "                             audit and notify)\n"
    "  --scrypt-ln N              scrypt cost of new hashes, log2(N) "
    "(default 17;\n"
    "                             match kot_password_hash)\n"
    "  --audit-log PATH           record administrative actions there "
    "($KOT_AUDIT_LOG)\n"
    "  --auditor-public-key PATH  the auditor's RSA public key, PEM "
    "($KOT_AUDITOR_KEY)\n"
    "  --auditor-private-key PATH the auditor's private key, for audit "
    "verify\n"
    "  --json                     listings as JSON, times as RFC 3339 "
    "(also after\n"
    "                             the command)\n"
    "  --version                  print kotctl's version (ngx_kot's) and "
    "exit\n"
    "\n"
    "commands:\n"
    "  tenant add TENANT\n"
    "  tenant list\n"
    "  tenant delete TENANT [--yes]\n"
    "  tenant policy TENANT [RULE=VALUE...]\n"
    "  tenant events TENANT [--limit N]\n"
    "  tenant notify TENANT [URL | --clear]\n"
    "  user add TENANT USER --role ROLE [--role ROLE...]\n"
    "           [--password-stdin | --generate-password] "
    "[--no-force-change]\n"
    "  user passwd TENANT USER [--password-stdin | --generate-password |\n"
    "           --reset] [--no-force-change]\n"
    "  user list TENANT\n"
    "  user status TENANT USER\n"
    "  user roles TENANT USER --role ROLE [--role ROLE...] [--yes]\n"
    "  user unlock TENANT USER\n"
    "  user enable TENANT USER\n"
    "  user disable TENANT USER [--yes]\n"
    "  user delete TENANT USER [--yes]\n"
    "  user mfa-reset TENANT USER\n"
    "  session list TENANT [USER]\n"
    "  session revoke TENANT USER SESSION|--all\n"
    "  session end TENANT SESSION\n"
    "  support grant TENANT --hours N\n"
    "  support revoke|status TENANT\n"
    "  throttle status|clear ADDR\n"
    "  allowlist TENANT access|admin add|remove|set|list [CIDR...]\n"
    "  migrate failures\n"
    "  notify --webhook URL [--hmac-key-file PATH] [--consumer NAME]\n"
    "         [--stuck-after SECONDS] [--tenant-webhooks public|any]\n"
    "  notify key TENANT --hmac-key-file PATH\n"
    "  audit verify [--auditor-private-key PRIVATE.pem...] "
    "[--no-anchors]\n"
    "               [--until T] [--host NAME] FILE...\n"
    "  audit query [--since T] [--until T] [--tenant T] [--user U]\n"
    "              [--action A] [--outcome O] FILE...\n"
    "\n"
    "A deleted tenant's or user's name is retired: it can never be added\n"
    "again.  tenant delete and user delete ask first, unless --yes.\n"
    "user roles, disable and delete refuse to leave a tenant without an\n"
    "admin who can log in, unless --yes.\n"
    "\n"
    "migrate failures, once after an upgrade from a release before\n"
    "kot:v1:fu:, indexes the failed logins it left, so that deleting a\n"
    "tenant finds them.\n"
    "\n"
    "A password set here is temporary: the user must change it at the next\n"
    "login, unless --no-force-change is given.  Without --password-stdin or\n"
    "--generate-password, kotctl asks on the terminal.\n"
    "\n"
    "audit verify checks the files' MAC chains (plain or gzip), then\n"
    "their anchors in Redis, and that no chain Redis saw\n"
    "written to their logs before it began (or before --until T) is\n"
    "missing from them; a live log verifies up to where it was read.  It\n"
    "prints \"OK: ...\" and exits 0, or prints the problems on stdout and\n"
    "exits 1.  Give a rotated log's files together, in any order\n"
    "(FILE.jsonl*): it reads them oldest first, as their chains tell.\n"
    "A log is a path on a host; --host names the host of files whose\n"
    "records do not (an empty file).  Give --auditor-private-key once per\n"
    "key, the old ones too after a new auditor key.\n"
    "audit query prints the matching records unchanged; T is RFC 3339\n"
    "(2026-11-26T10:00:00Z) or a date; --since is inclusive, --until not;\n"
    "--user matches user.name or user.target.name.\n"
    "\n"
    "The options with a value can also be set in " KOTCTL_CONF_FILE ",\n"
    "or in the file named by $KOT_CONFIG, as \"name = value\" lines, the "
    "name\n"
    "without its dashes (\"redis = unix:/run/redis/kot.sock\"); \"#\" "
    "starts a\n"
    "comment.  The environment overrides the file, and options override "
    "both.\n"
    "\n"
    "notify runs until stopped: it POSTs each event of the notification\n"
    "stream (kot_notify) to its tenant's URL (tenant notify), signed with\n"
    "the tenant's key (notify key prints it), or to --webhook, signed with\n"
    "the key file's bytes, and retries for about 2.5 days\n"
    "before the event goes to the dead letters (kot:v1:notify:dead).\n"
    "Another daemon's event is taken over once nothing has happened to it\n"
    "for --stuck-after SECONDS (default 60): its daemon is taken for dead.\n"
    "A tenant's URL that leads to an internal address (loopback, private,\n"
    "link-local, ...) is not posted to, unless --tenant-webhooks any.\n";


/*
 * Writes text with each character that could act on a terminal or split
 * a line escaped as the core escapes it in JSON ("\u001b", "\n"; invalid
 * UTF-8 as U+FFFD): control characters (C0, DEL, C1), U+2028, U+2029.
 * Quotes and backslashes stay as they are: they are the message's own.
 */

void
kotctl_put_safe(FILE *f, const char *s, size_t len)
{
    int       n;
    char      esc[KOT_JSON_ESCAPE_MAX * 4];
    uint32_t  cp;

    while (len > 0) {
        n = kot_utf8_decode((const unsigned char *) s, len, &cp);

        if (n < 0) {
            n = 1;
        }

        if (*s != '"' && *s != '\\'
            && kot_json_escape_len(s, n) != (size_t) n)
        {
            fwrite(esc, 1, kot_json_escape(esc, s, n), f);

        } else {
            fwrite(s, 1, n, f);
        }

        s += n;
        len -= n;
    }
}


/*
 * A value too long to show whole (an argument, a name from a log or from
 * Redis), cut after whole characters; invalid UTF-8 counts a byte each.
 */

const char *
kotctl_cut(const char *s, size_t chars, char *buf)
{
    int       n;
    size_t    i, len, shown;
    uint32_t  cp;

    len = strlen(s);

    for (i = 0, shown = 0; i < len && shown < chars; shown++) {
        n = kot_utf8_decode((const unsigned char *) s + i, len - i, &cp);
        i += (n > 0) ? (size_t) n : 1;
    }

    memcpy(buf, s, i);
    strcpy(buf + i, (i < len) ? "..." : "");

    return buf;
}


/*
 * printf() whose output never holds a raw control character: a name, a
 * path or a reply that kotctl shows may hold any.  A newline that ends
 * fmt is the line's own and stays.
 */

void
kotctl_vprint(FILE *f, const char *fmt, va_list ap)
{
    int     len;
    char   *text;
    size_t  nl;

    len = vasprintf(&text, fmt, ap);

    if (len < 0) {
        fputs("(out of memory)\n", f);
        return;
    }

    nl = (len > 0 && fmt[0] != '\0' && fmt[strlen(fmt) - 1] == '\n');

    kotctl_put_safe(f, text, (size_t) len - nl);

    if (nl) {
        fputc('\n', f);
    }

    free(text);
}


void
kotctl_print(FILE *f, const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    kotctl_vprint(f, fmt, ap);
    va_end(ap);
}


void
kotctl_error(const char *fmt, ...)
{
    va_list  ap;

    fputs("kotctl: ", stderr);
    va_start(ap, fmt);
    kotctl_vprint(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}


struct kotctl_table_s {
    const kotctl_column_t  *col;
    size_t                  ncols;
    size_t                 *width;      /* of each column, in columns */
    char                  **text;       /* each cell as it is printed */
    size_t                 *len;
    size_t                 *cols;
    size_t                  n;          /* cells so far, the head's too */
    size_t                  cap;
    int                     nomem;
};


/*
 * The columns a terminal gives to UTF-8 text without control characters
 * (as kotctl_put_safe() writes it): two for a wide character, none for a
 * combining mark, as the C library's UTF-8 locale says (wcwidth()).  The
 * UTF-8 one whatever the environment's locale: kotctl writes UTF-8 in
 * any (a job run with LANG=C included), and the width of a character
 * does not change between UTF-8 locales.  Without C.UTF-8 (not glibc),
 * or for a character the C library does not know, a column each.
 */

static size_t
kotctl_columns(const char *s, size_t len)
{
    int              n, w;
    size_t           cols;
    uint32_t         cp;
    locale_t         was;
    static int       tried;
    static locale_t  utf8;

    if (!tried) {
        tried = 1;
        utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t) 0);
    }

    was = (utf8 != (locale_t) 0) ? uselocale(utf8) : (locale_t) 0;

    for (cols = 0; len > 0; s += n, len -= n) {
        n = kot_utf8_decode((const unsigned char *) s, len, &cp);

        if (n <= 0) {
            n = 1;
            cp = 0xfffd;
        }

        w = (cp < 0x80) ? 1 : wcwidth((wchar_t) cp);
        cols += (w < 0) ? 1 : (size_t) w;
    }

    if (was != (locale_t) 0) {
        uselocale(was);
    }

    return cols;
}


kotctl_table_t *
kotctl_table(const kotctl_column_t *col, size_t ncols)
{
    size_t           i;
    kotctl_table_t  *t;

    t = calloc(1, sizeof(kotctl_table_t));
    if (t == NULL || (t->width = calloc(ncols, sizeof(size_t))) == NULL) {
        free(t);
        kotctl_error("out of memory");
        return NULL;
    }

    t->col = col;
    t->ncols = ncols;

    for (i = 0; i < ncols; i++) {
        t->width[i] = col[i].width;
        kotctl_table_text(t, col[i].head);
    }

    return t;
}


void
kotctl_table_cell(kotctl_table_t *t, const char *s, size_t len)
{
    char    *text, **tp;
    size_t   size, cap, *lp, *cp, i;
    FILE    *f;

    if (t->nomem) {
        return;
    }

    if (t->n == t->cap) {
        cap = t->cap ? t->cap * 2 : t->ncols * 16;
        tp = realloc(t->text, cap * sizeof(char *));
        t->text = tp ? tp : t->text;
        lp = realloc(t->len, cap * sizeof(size_t));
        t->len = lp ? lp : t->len;
        cp = realloc(t->cols, cap * sizeof(size_t));
        t->cols = cp ? cp : t->cols;

        if (tp == NULL || lp == NULL || cp == NULL) {
            t->nomem = 1;
            return;
        }

        t->cap = cap;
    }

    /* what is printed is measured: the escaped text */

    text = NULL;
    f = open_memstream(&text, &size);

    if (f == NULL) {
        t->nomem = 1;
        return;
    }

    kotctl_put_safe(f, s, len);

    if (fclose(f) != 0) {
        free(text);
        t->nomem = 1;
        return;
    }

    i = t->n % t->ncols;

    t->text[t->n] = text;
    t->len[t->n] = size;
    t->cols[t->n] = kotctl_columns(text, size);

    if (t->cols[t->n] > t->width[i]) {
        t->width[i] = t->cols[t->n];
    }

    t->n++;
}


void
kotctl_table_text(kotctl_table_t *t, const char *s)
{
    kotctl_table_cell(t, s, strlen(s));
}


int
kotctl_table_print(kotctl_table_t *t, FILE *f)
{
    int     rc;
    size_t  i, c;

    rc = t->nomem ? KOTCTL_FAIL : KOTCTL_OK;

    if (rc != KOTCTL_OK) {
        kotctl_error("out of memory");
    }

    for (i = 0; rc == KOTCTL_OK && i < t->n; i++) {
        c = i % t->ncols;

        fwrite(t->text[i], 1, t->len[i], f);

        if (c + 1 < t->ncols) {
            fprintf(f, "%*s", (int) (t->width[c] - t->cols[i] + 2), "");

        } else {
            fputc('\n', f);
        }
    }

    for (i = 0; i < t->n; i++) {
        free(t->text[i]);
    }

    free(t->text);
    free(t->len);
    free(t->cols);
    free(t->width);
    free(t);

    return rc;
}


int
kotctl_listing(kotctl_t *k, const kotctl_column_t *col, size_t ncols,
    json_t **list, kotctl_table_t **tbl)
{
    *list = NULL;
    *tbl = NULL;

    if (k->json) {
        *list = json_array();
        return KOTCTL_OK;
    }

    *tbl = kotctl_table(col, ncols);

    return (*tbl != NULL) ? KOTCTL_OK : KOTCTL_FAIL;
}


int
kotctl_listing_print(kotctl_t *k, const char *name, json_t *list,
    kotctl_table_t *tbl)
{
    return k->json ? kotctl_json_print(json_pack("{s:o}", name, list))
                   : kotctl_table_print(tbl, stdout);
}


/* A usage text of many lines, kotctl's own: as it is. */

void
kotctl_usage(const char *text)
{
    fprintf(stderr, "kotctl: %s\n", text);
}


/*
 * The lines of the usage text for one command ("user"), with their
 * continuation lines, as "usage: kotctl user add ...": what a usage
 * error of the command shows (on stderr, after "kotctl: ") and what
 * "kotctl user --help" prints.  One text: they cannot drift apart.
 */

void
kotctl_usage_of(FILE *f, const char *command)
{
    int          shown, ours;
    size_t       n, len, sp, indent;
    const char  *p, *end, *nl;

    p = strstr(usage, "\ncommands:\n") + sizeof("\ncommands:\n") - 1;
    end = strstr(p, "\n\n");
    len = strlen(command);

    for (shown = 0, ours = 0; p < end; p = nl + 1) {
        nl = strchr(p, '\n');
        n = nl - p;

        /* "  user add ..." starts a command, deeper lines go on one */

        if (p[2] != ' ') {
            ours = strncmp(p + 2, command, len) == 0 && p[2 + len] == ' ';

            if (ours) {
                fprintf(f, "%s%s%.*s\n",
                        shown ? "" : (f == stderr ? "kotctl: " : ""),
                        shown ? "       kotctl " : "usage: kotctl ",
                        (int) (n - 2), p + 2);
                shown = 1;
            }

        } else if (ours) {
            /* 12 columns deeper, as "kotctl " is, within 79 columns */
            sp = strspn(p, " ");
            n -= sp;
            indent = (sp + 12 + n > 79) ? 79 - n : sp + 12;
            fprintf(f, "%*s%.*s\n", (int) indent, "", (int) n, p + sp);
        }
    }
}


const int  kotctl_end_signals[KOTCTL_END_SIGNALS] = {
    SIGINT, SIGQUIT, SIGHUP, SIGTERM
};


/*
 * Every wait after this is bounded (the Redis timeouts), so kotctl ends
 * soon all the same; it then says that it did not end at once.
 */

int
kotctl_change_ready(kotctl_t *k)
{
    int       rc;
    size_t    i;
    sigset_t  set;

    rc = kotctl_audit_ready(k);

    if (rc != KOTCTL_OK) {
        return rc;
    }

    sigemptyset(&set);

    for (i = 0; i < KOTCTL_END_SIGNALS; i++) {
        sigaddset(&set, kotctl_end_signals[i]);
    }

    sigprocmask(SIG_BLOCK, &set, NULL);

    return KOTCTL_OK;
}


/* A signal held by kotctl_change_ready() is said, not lost silently. */

static int
kotctl_done(int rc)
{
    size_t    i;
    sigset_t  pending;

    if (sigpending(&pending) != 0) {
        return rc;
    }

    for (i = 0; i < KOTCTL_END_SIGNALS; i++) {
        if (sigismember(&pending, kotctl_end_signals[i])) {
            kotctl_error("interrupted (%s) while changing: %s",
                         strsignal(kotctl_end_signals[i]),
                         (rc == KOTCTL_OK)
                         ? "kotctl finished the change and its record first"
                         : "held until kotctl was done (see above)");
            break;
        }
    }

    return rc;
}


/*
 * Asks for the name of what is about to be deleted, on the terminal,
 * unless --yes was given.  Without a terminal, --yes is required.
 */

int
kotctl_confirm(const char *name, int yes)
{
    char  line[256];

    if (yes) {
        return KOTCTL_OK;
    }

    if (!isatty(STDIN_FILENO)) {
        kotctl_error("not deleted: confirm with --yes, or run on a "
                     "terminal");
        return KOTCTL_USAGE;
    }

    kotctl_print(stderr, "type \"%s\" to confirm: ", name);

    if (fgets(line, sizeof(line), stdin) == NULL
        || strcmp(strtok(line, "\r\n") ? line : "", name) != 0)
    {
        kotctl_error("not confirmed; nothing was deleted");
        return KOTCTL_FAIL;
    }

    return KOTCTL_OK;
}


const char *
kotctl_plural(long long n, const char *one, const char *many)
{
    return (n == 1) ? one : many;
}


/*
 * Sets a global option, named without its dashes, from the command line
 * or the configuration file: KOTCTL_OK, KOTCTL_USAGE for a bad value
 * (said), or KOTCTL_UNKNOWN for a name that is no option (not said: the
 * caller knows where it came from).
 */

static int
kotctl_option(kotctl_t *k, const char *name, const char *value)
{
    char  *end;
    long   n;

    if (strcmp(name, "redis") == 0) {
        k->redis = value;

    } else if (strcmp(name, "redis-user") == 0) {
        k->redis_user = value;

    } else if (strcmp(name, "redis-password-file") == 0) {
        k->redis_password_file = value;

    } else if (strcmp(name, "sentinel") == 0) {
        k->sentinel = value;

    } else if (strcmp(name, "master") == 0) {
        k->master = value;

    } else if (strcmp(name, "sentinel-password-file") == 0) {
        k->sentinel_password_file = value;

    } else if (strcmp(name, "secret-file") == 0) {
        k->secret_file = value;

    } else if (strcmp(name, "audit-log") == 0) {
        k->audit_log = value;

    } else if (strcmp(name, "auditor-public-key") == 0) {
        k->auditor_key = value;

    } else if (strcmp(name, "auditor-key") == 0) {
        kotctl_error("note: --auditor-key is deprecated, say "
                     "--auditor-public-key");
        k->auditor_key = value;

    } else if (strcmp(name, "auditor-private-key") == 0) {
        k->auditor_private_key = value;

    } else if (strcmp(name, "db") == 0
               || strcmp(name, "scrypt-ln") == 0)
    {
        n = strtol(value, &end, 10);

        if (*value == '\0' || *end != '\0' || n < 0 || n > 65535) {
            kotctl_error("--%s: \"%s\" is not a number", name, value);
            return KOTCTL_USAGE;
        }

        if (name[0] == 'd') {
            k->db = (int) n;

        } else {
            k->scrypt.ln = (unsigned) n;

            if (kot_scrypt_params_ok(&k->scrypt) != 0) {
                kotctl_error("--scrypt-ln must be %d..%d",
                             KOT_SCRYPT_LN_MIN, KOT_SCRYPT_LN_MAX);
                return KOTCTL_USAGE;
            }
        }

    } else {
        return KOTCTL_UNKNOWN;
    }

    return KOTCTL_OK;
}


typedef struct {
    kotctl_t    *k;
    const char  *path;
} kotctl_conf_ctx_t;


static int
kotctl_conf_option(void *data, const char *name, const char *value,
    unsigned line)
{
    int                 rc;
    kotctl_conf_ctx_t  *ctx = data;

    rc = kotctl_option(ctx->k, name, value);

    if (rc == KOTCTL_UNKNOWN) {
        kotctl_error("%s, line %u: unknown name \"%s\"; the names are the "
                     "global options of \"kotctl --help\" without their "
                     "dashes", ctx->path, line, name);
        return KOTCTL_USAGE;
    }

    if (rc != KOTCTL_OK) {
        kotctl_error("(in %s, line %u)", ctx->path, line);
    }

    return rc;
}


/*
 * The file holds paths, readable by all; but whoever can write it
 * chooses the Redis that root's kotctl sends the password to, and the
 * file that "audit-log" appends to.
 */

static int
kotctl_conf_owned(const char *path)
{
    struct stat  st;

    if (stat(path, &st) == -1) {
        kotctl_error("cannot stat \"%s\"", path);
        return KOTCTL_USAGE;
    }

    if (st.st_mode & S_IWOTH) {
        kotctl_error("%s can be written by other users (mode %04o); run "
                     "\"chmod go-w %s\"", path,
                     (unsigned) (st.st_mode & 07777), path);
        return KOTCTL_USAGE;
    }

    /* a user's private group may be the only one: said, not refused */

    if (st.st_mode & S_IWGRP) {
        kotctl_error("warning: %s can be written by its group (mode %04o); "
                     "run \"chmod g-w %s\"", path,
                     (unsigned) (st.st_mode & 07777), path);
    }

    if (st.st_uid != 0 && st.st_uid != geteuid()) {
        kotctl_error("%s belongs to another user (uid %u); run \"chown "
                     "root %s\"", path, (unsigned) st.st_uid, path);
        return KOTCTL_USAGE;
    }

    return KOTCTL_OK;
}


/*
 * Reads $KOT_CONFIG, or /etc/ngx_kot/kotctl.conf when it exists.  The
 * values stay in the buffer, which lives as long as kotctl.
 */

static int
kotctl_conf(kotctl_t *k)
{
    int                 rc;
    size_t              len;
    unsigned            line;
    const char         *err;
    kotctl_conf_ctx_t   ctx;

    static char         buf[65536];

    ctx.k = k;
    ctx.path = getenv("KOT_CONFIG");

    if (ctx.path == NULL) {
        ctx.path = KOTCTL_CONF_FILE;

        if (access(ctx.path, F_OK) != 0) {
            return KOTCTL_OK;
        }

    } else if (ctx.path[0] == '\0') {
        return KOTCTL_OK;       /* KOT_CONFIG= : no file at all */
    }

    if (kotctl_read_file(ctx.path, "kotctl's configuration", buf,
                         sizeof(buf) - 1, &len, 0)
        != 0)
    {
        return KOTCTL_USAGE;
    }

    if (kotctl_conf_owned(ctx.path) != KOTCTL_OK) {
        return KOTCTL_USAGE;
    }

    rc = kotctl_conf_parse(buf, len, kotctl_conf_option, &ctx, &line, &err);

    if (rc == -1) {
        kotctl_error("%s, line %u: %s", ctx.path, line, err);
        return KOTCTL_USAGE;
    }

    return rc;
}


/*
 * --json after the command ("kotctl user list acme --json") too: taken
 * out of the arguments.  No argument of a command can be "--json"
 * otherwise (names and networks never start with "-").
 */

static int
kotctl_take_json(kotctl_t *k, int argc, char **argv)
{
    int  i, j;

    for (i = 0, j = 0; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            k->json = 1;
            continue;
        }

        argv[j++] = argv[i];
    }

    return j;
}


/*
 * "--help" anywhere after the command ("kotctl user add --help"): no
 * argument of a command can be "--help" otherwise, and nothing is done.
 */

static int
kotctl_wants_help(int argc, char **argv)
{
    int  i;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            return 1;
        }
    }

    return 0;
}


static int
kotctl_help(const char *command)
{
    char         line[64];
    const char  *p;

    /* only a command that the usage text has, at the start of a line */

    snprintf(line, sizeof(line), "\n  %s ", command);
    p = strstr(usage, "\ncommands:\n");

    if (strstr(p, line) == NULL) {
        kotctl_error("unknown command \"%s\"; see \"kotctl --help\"",
                     command);
        return KOTCTL_USAGE;
    }

    kotctl_usage_of(stdout, command);
    printf("\nThe global options come before the command: see "
           "\"kotctl --help\" and kotctl(8).\n");

    return KOTCTL_OK;
}


int
main(int argc, char **argv)
{
    int        i, rc;
    kotctl_t   k;

    static kot_scrypt_params_t  defaults = KOT_SCRYPT_DEFAULT;

    memset(&k, 0, sizeof(kotctl_t));
    k.redis = "127.0.0.1:6379";
    k.scrypt = defaults;

    rc = kotctl_conf(&k);
    if (rc != KOTCTL_OK) {
        return rc;
    }

    if (getenv("KOT_AUDIT_LOG") != NULL) {
        k.audit_log = getenv("KOT_AUDIT_LOG");
    }

    if (getenv("KOT_AUDITOR_KEY") != NULL) {
        k.auditor_key = getenv("KOT_AUDITOR_KEY");
    }

    for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {

        if (strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            return KOTCTL_OK;
        }

        if (strcmp(argv[i], "--version") == 0) {
            printf("kotctl %s\n", KOT_VERSION);
            return KOTCTL_OK;
        }

        if (strcmp(argv[i], "--json") == 0) {
            k.json = 1;
            i--;
            continue;
        }

        if (i + 1 >= argc) {
            kotctl_error("%s needs a value", argv[i]);
            return KOTCTL_USAGE;
        }

        rc = kotctl_option(&k, argv[i] + 2, argv[i + 1]);

        if (rc == KOTCTL_UNKNOWN) {
            kotctl_error("unknown option \"%s\"; see \"kotctl --help\"",
                         argv[i]);
            return KOTCTL_USAGE;
        }

        if (rc != KOTCTL_OK) {
            return rc;
        }
    }

    if (i >= argc) {
        fputs(usage, stderr);
        return KOTCTL_USAGE;
    }

    /* before the options are needed: help needs no Redis, no key */

    if (kotctl_wants_help(argc - i, argv + i)) {
        return kotctl_help(argv[i]);
    }

    /*
     * an auditor's machine has no business holding the session key, nor
     * has the notifications' daemon: neither opens it, even when
     * kotctl.conf names it, since their users (an auditor's own, the
     * daemon's DynamicUser) cannot read root's key
     */

    if (strcmp(argv[i], "audit") == 0 || strcmp(argv[i], "notify") == 0) {
        k.secret_file = NULL;

    } else if (k.secret_file == NULL) {
        kotctl_error("--secret-file is required (the file named by "
                     "kot_secret_file in nginx.conf)");
        return KOTCTL_USAGE;
    }

    argc = i + kotctl_take_json(&k, argc - i, argv + i);

    if (kot_scripts_init() != 0) {
        kotctl_error("cannot hash the Redis scripts");
        return KOTCTL_FAIL;
    }

    if (strcmp(argv[i], "tenant") == 0) {
        return kotctl_done(kotctl_tenant(&k, argc - i - 1, argv + i + 1));
    }

    if (strcmp(argv[i], "user") == 0) {
        return kotctl_done(kotctl_user(&k, argc - i - 1, argv + i + 1));
    }

    if (strcmp(argv[i], "session") == 0) {
        return kotctl_done(kotctl_session(&k, argc - i - 1, argv + i + 1));
    }

    if (strcmp(argv[i], "support") == 0) {
        return kotctl_done(kotctl_support(&k, argc - i - 1, argv + i + 1));
    }

    if (strcmp(argv[i], "allowlist") == 0) {
        return kotctl_done(kotctl_allowlist(&k, argc - i - 1, argv + i + 1));
    }

    if (strcmp(argv[i], "throttle") == 0) {
        return kotctl_done(kotctl_throttle(&k, argc - i - 1, argv + i + 1));
    }

    if (strcmp(argv[i], "migrate") == 0) {
        return kotctl_migrate(&k, argc - i - 1, argv + i + 1);
    }

    if (strcmp(argv[i], "notify") == 0) {
        return kotctl_notify(&k, argc - i - 1, argv + i + 1);
    }

    if (strcmp(argv[i], "audit") == 0) {
        return kotctl_audit(&k, argc - i - 1, argv + i + 1);
    }

    kotctl_error("unknown command \"%s\"; see \"kotctl --help\"", argv[i]);

    return KOTCTL_USAGE;
}
