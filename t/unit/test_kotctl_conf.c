/*
 * kotctl's configuration file, as the README states it: "name = value"
 * lines, "#" comments, and a line that is neither named by its number.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "kotctl_conf.h"


typedef struct {
    char      seen[512];
    unsigned  lines[8];
    int       n;
} got_t;


static int
collect(void *data, const char *name, const char *value, unsigned line)
{
    got_t   *g = data;
    size_t   used = strlen(g->seen);

    snprintf(g->seen + used, sizeof(g->seen) - used, "[%s=%s]", name, value);

    if (g->n < 8) {
        g->lines[g->n] = line;
    }

    g->n++;

    return strcmp(name, "stop") == 0 ? 7 : 0;
}


/* parses a copy of s, as kotctl parses its buffer */
static int
parse(const char *s, got_t *g, unsigned *line, const char **err)
{
    int     rc;
    char   *text;
    size_t  len = strlen(s);

    memset(g, 0, sizeof(got_t));
    *err = NULL;
    text = malloc(len + 1);
    memcpy(text, s, len + 1);
    rc = kotctl_conf_parse(text, len, collect, g, line, err);
    free(text);

    return rc;
}


int
main(void)
{
    int          rc;
    got_t        g;
    unsigned     line;
    const char  *err;

    rc = parse("# kotctl.conf\n"
               "redis = unix:/run/redis/kot.sock\n"
               "\n"
               "  redis-user=kotctl   # the ACL user\n"
               "\tsecret-file =\t/etc/nginx/kot.key \r\n"
               "db = 2", &g, &line, &err);
    is_long(rc, 0, "a file of names, values, comments and blank lines parses");
    is_str(g.seen, "[redis=unix:/run/redis/kot.sock][redis-user=kotctl]"
           "[secret-file=/etc/nginx/kot.key][db=2]",
           "each value without its spaces, comment or CR; the last line "
           "without a newline");
    ok(g.n == 4 && g.lines[0] == 2 && g.lines[1] == 4 && g.lines[2] == 5
       && g.lines[3] == 6, "each with its line number");

    rc = parse("", &g, &line, &err);
    ok(rc == 0 && g.n == 0, "an empty file sets nothing");

    rc = parse("audit-log = /var/log/a=b.log\n", &g, &line, &err);
    is_str(g.seen, "[audit-log=/var/log/a=b.log]",
           "the first \"=\" ends the name: a value may hold one");

    rc = parse("redis = 127.0.0.1:6379\nredis 127.0.0.1\n", &g, &line, &err);
    ok(rc == -1 && line == 2, "a line without \"=\" is refused at its line");
    is_str(err, "not \"name = value\"", "saying what it should be");
    is_long(g.n, 1, "the lines before it were read");

    rc = parse("# a = b\n = value\n", &g, &line, &err);
    ok(rc == -1 && line == 2 && g.n == 0, "a commented \"=\" is a comment; "
       "an empty name is refused at its line");
    is_str(err, "no name before \"=\"", "saying so");

    rc = parse("redis =   # later\n", &g, &line, &err);
    ok(rc == -1 && line == 1, "an empty value is refused");
    is_str(err, "no value after \"=\"", "saying so");

    {
        char  text[] = "db = 1\nred\0is = x\n";

        memset(&g, 0, sizeof(got_t));
        rc = kotctl_conf_parse(text, sizeof(text) - 1, collect, &g, &line,
                               &err);
        ok(rc == -1 && line == 2 && g.n == 1, "a NUL byte is refused at "
           "its line");
    }

    rc = parse("stop = now\ndb = 3\n", &g, &line, &err);
    ok(rc == 7 && g.n == 1, "the handler's refusal stops the parse and is "
       "returned");

    return done_testing();
}
