/*
 * kotctl: blocking Redis access (kotctl may block; the module may not)
 * and small helpers.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "kotctl.h"
#include "kot_crypto.h"
#include "kot_scripts.h"


#define KOTCTL_TIMEOUT_SEC  5
#define KOTCTL_WAIT_MS      "2000"     /* for a replica's acknowledgement */


static redisContext *kotctl_open_addr(const char *addr,
    struct timeval tv);
static const char *kotctl_io_error(redisContext *c);
static void kotctl_replicated(kotctl_t *k);


/*
 * The timeout bounds the connect and, once connected, each reply: a
 * Redis that accepts but never answers (stopped, swapping, a network
 * that drops the packets, another service on the port) must not keep
 * an operator waiting for ever.  hiredis sets the second only when told.
 */

static redisContext *
kotctl_open(const char *addr)
{
    redisContext    *c;
    struct timeval   tv = { KOTCTL_TIMEOUT_SEC, 0 };

    c = kotctl_open_addr(addr, tv);

    if (c != NULL && !c->err) {
        (void) redisSetTimeout(c, tv);      /* a failure is in c->err */
    }

    return c;
}


/* Why a command got no reply: a timeout said as one, not as EAGAIN. */

static const char *
kotctl_io_error(redisContext *c)
{
    static char  text[160];

    if (c->err == REDIS_ERR_IO
        && (strcmp(c->errstr, strerror(EAGAIN)) == 0
            || strcmp(c->errstr, strerror(EWOULDBLOCK)) == 0))
    {
        snprintf(text, sizeof(text), "no answer within %d s (Redis is "
                 "stopped or overloaded, or the address is not Redis's)",
                 KOTCTL_TIMEOUT_SEC);
        return text;
    }

    return c->errstr;
}


static redisContext *
kotctl_open_addr(const char *addr, struct timeval tv)
{
    char            host[256], *colon, *end;
    long            port;
    size_t          len;

    if (strncmp(addr, "unix:", 5) == 0) {
        return redisConnectUnixWithTimeout(addr + 5, tv);
    }

    colon = strrchr(addr, ':');
    if (colon == NULL) {
        return NULL;
    }

    len = colon - addr;

    if (len >= 2 && addr[0] == '[' && addr[len - 1] == ']') {
        addr++;
        len -= 2;
    }

    if (len == 0 || len >= sizeof(host)) {
        return NULL;
    }

    memcpy(host, addr, len);
    host[len] = '\0';

    port = strtol(colon + 1, &end, 10);
    if (*end != '\0' || port < 1 || port > 65535) {
        return NULL;
    }

    return redisConnectWithTimeout(host, (int) port, tv);
}


/*
 * A password file, NUL-terminated, as nginx reads kot_redis's
 * password_file= and sentinel_password_file=: 1 to 512 bytes and a
 * newline; password holds KOT_REDIS_PASSWORD_MAX + 1 bytes.
 */

static int
kotctl_read_password(const char *path, char *password)
{
    size_t  len;

    if (kotctl_read_file(path, "a Redis password", password,
                         KOT_REDIS_PASSWORD_MAX, &len, KOTCTL_FILE_SECRET)
        != 0)
    {
        return -1;
    }

    if (len == 0) {
        kotctl_error("\"%s\" is empty: it should hold a Redis password; "
                     "nothing was done", path);
        return -1;
    }

    password[len] = '\0';

    return 0;
}


/* The key of kot_secret_file: checked as nginx checks it, then wiped. */

static int
kotctl_secret_ok(const char *path)
{
    int     rc;
    char    key[KOT_MASTER_MAX + 1];
    size_t  len;

    if (kotctl_read_file(path, "the key", key, KOT_MASTER_MAX, &len,
                         KOTCTL_FILE_SECRET)
        != 0)
    {
        return -1;
    }

    kot_cleanse(key, sizeof(key));
    rc = 0;

    if (len < KOT_MASTER_MIN) {
        kotctl_error("\"%s\" holds %zu bytes; a key needs %d to %d",
                     path, len, KOT_MASTER_MIN, KOT_MASTER_MAX);
        rc = -1;
    }

    return rc;
}


/*
 * Asks each sentinel in turn where the master is; k->redis is then that
 * address.  The master is checked with ROLE once connected.
 */

static int
kotctl_find_master(kotctl_t *k)
{
    int            rc = KOTCTL_FAIL;
    char           list[1024], *addr, *save;
    char           password[KOT_REDIS_PASSWORD_MAX + 1];
    redisReply    *reply;
    redisContext  *c;

    if (k->master == NULL || k->master[0] == '\0') {
        kotctl_error("--sentinel needs --master NAME, the name of the "
                     "sentinels' \"sentinel monitor\" line");
        return KOTCTL_USAGE;
    }

    if (strlen(k->sentinel) >= sizeof(list)) {
        kotctl_error("--sentinel: the list is too long");
        return KOTCTL_USAGE;
    }

    password[0] = '\0';

    if (k->sentinel_password_file
        && kotctl_read_password(k->sentinel_password_file, password) != 0)
    {
        return KOTCTL_FAIL;
    }

    strcpy(list, k->sentinel);

    for (addr = strtok_r(list, ",", &save); addr != NULL;
         addr = strtok_r(NULL, ",", &save))
    {
        c = kotctl_open(addr);

        if (c == NULL) {
            kotctl_error("--sentinel \"%s\" is not host:port or unix:/path",
                         addr);
            rc = KOTCTL_USAGE;
            break;
        }

        if (c->err) {
            kotctl_error("cannot connect to sentinel at %s: %s", addr,
                         c->errstr);
            redisFree(c);
            continue;
        }

        if (password[0]) {
            reply = redisCommand(c, "AUTH %s", password);
            freeReplyObject(reply);
        }

        reply = redisCommand(c, "SENTINEL get-master-addr-by-name %s",
                             k->master);

        if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2
            && reply->element[0]->type == REDIS_REPLY_STRING
            && reply->element[1]->type == REDIS_REPLY_STRING)
        {
            snprintf(k->master_addr, sizeof(k->master_addr),
                     strchr(reply->element[0]->str, ':') ? "[%s]:%s"
                                                         : "%s:%s",
                     reply->element[0]->str, reply->element[1]->str);
            k->redis = k->master_addr;
            rc = KOTCTL_OK;

        } else if (reply == NULL) {
            kotctl_error("sentinel at %s: %s", addr, kotctl_io_error(c));

        } else {
            kotctl_error("sentinel at %s does not know master \"%s\"%s%s",
                         addr, k->master,
                         reply && reply->type == REDIS_REPLY_ERROR ? ": " : "",
                         reply && reply->type == REDIS_REPLY_ERROR
                         ? reply->str : "");
        }

        freeReplyObject(reply);
        redisFree(c);

        if (rc == KOTCTL_OK) {
            break;
        }
    }

    kot_cleanse(password, sizeof(password));

    if (rc == KOTCTL_FAIL) {
        kotctl_error("no sentinel of --sentinel %s named the master",
                     k->sentinel);
    }

    return rc;
}


/* Sentinels can lag behind a failover: only a master is written to. */

static int
kotctl_check_master(kotctl_t *k)
{
    int          ok;
    const char  *argv[1] = { "ROLE" };
    redisReply  *reply;

    reply = kotctl_cmd(k, 1, argv);
    if (reply == NULL) {
        return KOTCTL_FAIL;
    }

    ok = reply->type == REDIS_REPLY_ARRAY && reply->elements > 0
         && reply->element[0]->type == REDIS_REPLY_STRING
         && strcmp(reply->element[0]->str, "master") == 0;
    freeReplyObject(reply);

    if (!ok) {
        kotctl_error("redis at %s is not the master of \"%s\" (yet): "
                     "try again in a moment", k->redis, k->master);
        return KOTCTL_FAIL;
    }

    return KOTCTL_OK;
}


int
kotctl_connect(kotctl_t *k)
{
    int          rc, argc;
    char         password[KOT_REDIS_PASSWORD_MAX + 1], db[16];
    const char  *argv[3];
    redisReply  *reply;

    /* audit verify reads anchors only, and has no --secret-file */

    if (k->secret_file != NULL
        && kotctl_secret_ok(k->secret_file) != 0)
    {
        return KOTCTL_FAIL;
    }

    if (k->sentinel) {
        rc = kotctl_find_master(k);

        if (rc != KOTCTL_OK) {
            return rc;
        }
    }

    k->rc = kotctl_open(k->redis);

    if (k->rc == NULL) {
        kotctl_error("--redis \"%s\" is not host:port or unix:/path",
                     k->redis);
        return KOTCTL_USAGE;
    }

    if (k->rc->err) {
        kotctl_error("cannot connect to redis at %s: %s", k->redis,
                     k->rc->errstr);
        return KOTCTL_FAIL;
    }

    if (k->redis_password_file) {
        if (kotctl_read_password(k->redis_password_file, password) != 0) {
            return KOTCTL_FAIL;
        }

        argc = 0;
        argv[argc++] = "AUTH";

        if (k->redis_user) {
            argv[argc++] = k->redis_user;
        }

        argv[argc++] = password;

        reply = kotctl_cmd(k, argc, argv);
        kot_cleanse(password, sizeof(password));

        if (reply == NULL) {
            return KOTCTL_FAIL;
        }

        freeReplyObject(reply);
    }

    if (k->db) {
        snprintf(db, sizeof(db), "%d", k->db);
        argv[0] = "SELECT";
        argv[1] = db;

        reply = kotctl_cmd(k, 2, argv);
        if (reply == NULL) {
            return KOTCTL_FAIL;
        }

        freeReplyObject(reply);
    }

    return k->sentinel ? kotctl_check_master(k) : KOTCTL_OK;
}


/* 1 if the key exists, 0 if not, -1 when Redis could not tell. */

int
kotctl_exists(kotctl_t *k, const char *key)
{
    int          exists;
    const char  *args[2];
    redisReply  *r;

    args[0] = "EXISTS";
    args[1] = key;

    r = kotctl_cmd(k, 2, args);
    if (r == NULL) {
        return -1;
    }

    exists = (r->type == REDIS_REPLY_INTEGER && r->integer == 1);
    freeReplyObject(r);

    return exists;
}


/*
 * What to do about a refusal that kotctl's own options cause, as a line
 * of its own, or NULL.
 */

static const char *
kotctl_redis_hint(kotctl_t *k, const char *error)
{
    static char  hint[512];

    if (strncmp(error, "NOAUTH", 6) == 0) {
        return k->redis_password_file
               ? NULL
               : "Redis wants a password: give the file that "
                 "holds it with --redis-password-file PATH (and "
                 "--redis-user NAME for an ACL user), as password_file= "
                 "and user= of kot_redis";
    }

    if (strncmp(error, "WRONGPASS", 9) == 0) {
        return "check the password in --redis-password-file "
               "and the user in --redis-user";
    }

    /* refused by the ACL: a command, a key, or a command of a script */

    if (strncmp(error, "NOPERM", 6) == 0
        || strstr(error, "user executing the script can't run") != NULL)
    {
        snprintf(hint, sizeof(hint), "the Redis ACL user \"%s\" lacks a "
                 "permission that kotctl needs here: add it (ACL SETUSER); "
                 "the line \"user kotctl\" of conf/redis/kot.conf lists "
                 "what kotctl runs (README.md, \"Running Redis\")",
                 k->redis_user ? k->redis_user : "default");
        return hint;
    }

    return NULL;
}


/* Any command; an error reply is reported and gives NULL. */

redisReply *
kotctl_cmd(kotctl_t *k, int argc, const char **argv)
{
    const char  *hint;
    redisReply  *reply;

    reply = redisCommandArgv(k->rc, argc, argv, NULL);

    if (reply == NULL) {
        kotctl_error("redis at %s: %s", k->redis, kotctl_io_error(k->rc));

        /* a script's change may have been made, its answer lost */

        if (strcmp(argv[0], "EVAL") == 0) {
            kotctl_error("whether the change was made is unknown: look "
                         "before repeating it");
        }

        return NULL;
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        kotctl_error("redis at %s refused %s: %s", k->redis, argv[0],
                     reply->str);

        hint = kotctl_redis_hint(k, reply->str);

        if (hint != NULL) {
            kotctl_error("%s", hint);
        }

        freeReplyObject(reply);
        return NULL;
    }

    return reply;
}


redisReply *
kotctl_eval(kotctl_t *k, int script, int nkeys, int argc, const char **argv)
{
    int           i;
    char          n[16];
    const char  **args;
    redisReply   *reply;

    args = calloc(argc + 3, sizeof(char *));
    if (args == NULL) {
        kotctl_error("out of memory");
        return NULL;
    }

    snprintf(n, sizeof(n), "%d", nkeys);

    args[0] = "EVAL";
    args[1] = kot_scripts[script].source;
    args[2] = n;

    for (i = 0; i < argc; i++) {
        args[i + 3] = argv[i];
    }

    reply = kotctl_cmd(k, argc + 3, args);

    free(args);

    if (reply && kot_scripts[script].revokes && k->sentinel) {
        kotctl_replicated(k);
    }

    return reply;
}


/*
 * A revocation is reported done once a replica has it, as the module
 * does: a failover must not bring the sessions back.  A master without
 * replicas has nothing to wait for.
 */

static void
kotctl_replicated(kotctl_t *k)
{
    long long    acked = -1;
    const char  *argv[3] = { "ROLE", "1", KOTCTL_WAIT_MS };
    redisReply  *reply;

    reply = kotctl_cmd(k, 1, argv);

    if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements >= 3
        && reply->element[2]->type == REDIS_REPLY_ARRAY
        && reply->element[2]->elements == 0)
    {
        freeReplyObject(reply);
        return;
    }

    freeReplyObject(reply);

    argv[0] = "WAIT";
    reply = kotctl_cmd(k, 3, argv);

    if (reply && reply->type == REDIS_REPLY_INTEGER) {
        acked = reply->integer;
    }

    freeReplyObject(reply);

    if (acked < 1) {
        kotctl_error("warning: no replica of \"%s\" acknowledged the "
                     "revocation within " KOTCTL_WAIT_MS " ms: it is on the "
                     "master only; should the master fail before its "
                     "replicas have it, repeat it", k->master);
    }
}


/* prefix + a [+ ":" + b], on the heap (kotctl is short-lived) */

char *
kotctl_key(const char *prefix, const char *a, const char *b)
{
    char    *key;
    size_t   len;

    len = strlen(prefix) + strlen(a) + (b ? 1 + strlen(b) : 0) + 1;

    key = malloc(len);
    if (key == NULL) {
        kotctl_error("out of memory");
        exit(KOTCTL_FAIL);
    }

    snprintf(key, len, "%s%s%s%s", prefix, a, b ? ":" : "", b ? b : "");

    return key;
}


uint64_t
kotctl_now(void)
{
    struct timeval  tv;

    gettimeofday(&tv, NULL);

    return (uint64_t) tv.tv_sec * 1000 + tv.tv_usec / 1000;
}


/* A time in milliseconds as RFC 3339 UTC, to the second. */

void
kotctl_time(uint64_t ms, char *buf, size_t len)
{
    (void) kot_rfc3339(ms, buf, len);
}


int
kotctl_read_file(const char *path, const char *what, char *buf,
    size_t max, size_t *len, int flags)
{
    int          fd;
    char         more;
    size_t       n;
    ssize_t      got;
    struct stat  st;

    fd = open(path, O_RDONLY|O_CLOEXEC);
    if (fd == -1) {
        kotctl_error("cannot open \"%s\": %s", path, strerror(errno));
        return -1;
    }

    if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
        kotctl_error("\"%s\" is not a regular file", path);
        close(fd);
        return -1;
    }

    if ((flags & KOTCTL_FILE_SECRET) && (st.st_mode & (S_IRWXG|S_IRWXO))) {
        kotctl_error("\"%s\" is accessible by other users (mode %04o); run "
                     "\"chmod 600 %s\"", path,
                     (unsigned) (st.st_mode & 07777), path);
        close(fd);
        return -1;
    }

    /* max bytes and a newline, then a byte more shows a larger file */

    n = 0;
    got = 1;

    while (n <= max && got > 0) {
        got = read(fd, buf + n, max + 1 - n);
        n += (got > 0) ? (size_t) got : 0;
    }

    if (got > 0) {
        got = read(fd, &more, 1);
        n += (got > 0) ? 1 : 0;
    }

    close(fd);

    if (got < 0) {
        kotctl_error("cannot read \"%s\": %s", path, strerror(errno));
        kot_cleanse(buf, max + 1);
        return -1;
    }

    if (!(flags & KOTCTL_FILE_RAW) && n > 0 && n <= max + 1
        && buf[n - 1] == '\n')
    {
        n--;
    }

    if (n > max) {
        kotctl_error("\"%s\" is too large (%lld bytes): %s is at most %zu "
                     "bytes%s; nothing was done", path,
                     (long long) (st.st_size > (off_t) n ? st.st_size
                                                          : (off_t) n),
                     what, max,
                     (flags & KOTCTL_FILE_RAW) ? "" : " and a final newline");
        kot_cleanse(buf, max + 1);
        return -1;
    }

    *len = n;

    return 0;
}


/*
 * A script's refusal: its reply is a bare negative integer (docs/admin.md).
 * Returns it, or 0 when the reply is anything else.
 */

long long
kotctl_refusal(redisReply *r)
{
    return (r->type == REDIS_REPLY_INTEGER && r->integer < 0) ? r->integer
                                                              : 0;
}


/* Frees a reply of the wrong shape and says so. */

int
kotctl_unexpected(kotctl_t *k, redisReply *r)
{
    freeReplyObject(r);
    kotctl_error("unexpected reply from redis at %s; is another program "
                 "using the kot:v1: keys?", k->redis);

    return KOTCTL_FAIL;
}


/* A time as the admin API gives it: RFC 3339 UTC, or null for none (0). */

json_t *
kotctl_json_time(long long ms)
{
    char  buf[KOT_RFC3339_LEN];

    if (ms <= 0 || kot_rfc3339((uint64_t) ms, buf, sizeof(buf)) == 0) {
        return json_null();
    }

    return json_string(buf);
}


/*
 * A string read from Redis, as JSON.  jansson refuses invalid UTF-8, and
 * a listing would lose its row without a word: each invalid byte becomes
 * U+FFFD, as the listing for a person shows it.  NULL when out of memory.
 */

json_t *
kotctl_json_text(const char *s, size_t len)
{
    char    *buf;
    size_t   n;
    json_t  *j;

    if (kot_utf8_valid(s, len)) {
        return json_stringn(s, len);
    }

    n = kot_utf8_sanitize_len(s, len);

    buf = malloc(n);
    if (buf == NULL) {
        return NULL;
    }

    j = json_stringn(buf, kot_utf8_sanitize(buf, s, len));
    free(buf);

    return j;
}


/* "admin,user" as ["admin","user"] */

json_t *
kotctl_json_roles(const char *roles)
{
    size_t   n;
    json_t  *a;

    a = json_array();

    while (a != NULL && *roles) {
        n = strcspn(roles, ",");

        if (n) {
            json_array_append_new(a, kotctl_json_text(roles, n));
        }

        roles += n + (roles[n] == ',');
    }

    return a;
}


/*
 * jansson's text, with DEL, C1 and U+2028/9 escaped (kot_json_harden):
 * JSON allows them raw, but they act on a terminal or split a line for
 * some readers.  The values stay the same.  NULL when out of memory.
 */

char *
kotctl_json_dump(json_t *doc, size_t flags)
{
    char    *s, *h;
    size_t   len, n;

    s = json_dumps(doc, flags);
    if (s == NULL) {
        return NULL;
    }

    len = strlen(s);
    n = kot_json_harden(NULL, s, len);

    if (n == len) {
        return s;
    }

    h = malloc(n + 1);

    if (h != NULL) {
        (void) kot_json_harden(h, s, len);
        h[n] = '\0';
    }

    free(s);
    return h;
}


/* Prints a document (taking the reference) on standard output. */

int
kotctl_json_print(json_t *doc)
{
    int    rc;
    char  *s;

    if (doc == NULL) {
        kotctl_error("out of memory");
        return KOTCTL_FAIL;
    }

    s = kotctl_json_dump(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(doc);

    if (s == NULL) {
        kotctl_error("out of memory");
        return KOTCTL_FAIL;
    }

    rc = (fputs(s, stdout) == EOF || fputc('\n', stdout) == EOF);
    free(s);

    if (rc) {
        kotctl_error("cannot write the JSON output");
        return KOTCTL_FAIL;
    }

    return KOTCTL_OK;
}


/* --json is for what lists or shows; a change says what it did in words. */

int
kotctl_no_json(kotctl_t *k, const char *command)
{
    if (k->json) {
        kotctl_error("--json is for listings; \"%s\" does not list", command);
        return KOTCTL_USAGE;
    }

    return KOTCTL_OK;
}


/*
 * 1 if r is an array of n elements, the first strings of them strings
 * and the others integers: a row of an administrative script's answer.
 */

int
kotctl_row_ok(redisReply *r, size_t n, size_t strings)
{
    size_t  i;

    if (r->type != REDIS_REPLY_ARRAY || r->elements != n) {
        return 0;
    }

    for (i = 0; i < n; i++) {
        if (r->element[i]->type != (i < strings ? REDIS_REPLY_STRING
                                                : REDIS_REPLY_INTEGER))
        {
            return 0;
        }
    }

    return 1;
}


/* 1 if r is an array of such rows. */

int
kotctl_rows_ok(redisReply *r, size_t n, size_t strings)
{
    size_t  i;

    if (r->type != REDIS_REPLY_ARRAY) {
        return 0;
    }

    for (i = 0; i < r->elements; i++) {
        if (!kotctl_row_ok(r->element[i], n, strings)) {
            return 0;
        }
    }

    return 1;
}


/*
 * Runs a script whose answer is an integer, into *v.  KOTCTL_FAIL, with
 * the reason printed, when it did not run or answered something else.
 */

int
kotctl_eval_int(kotctl_t *k, int script, int nkeys, int argc,
    const char **argv, long long *v)
{
    redisReply  *r;

    r = kotctl_eval(k, script, nkeys, argc, argv);
    if (r == NULL) {
        return KOTCTL_FAIL;
    }

    if (r->type != REDIS_REPLY_INTEGER) {
        return kotctl_unexpected(k, r);
    }

    *v = r->integer;
    freeReplyObject(r);

    return KOTCTL_OK;
}
