/*
 * kotctl's configuration file: the parser (kotctl_conf.h).
 */

#include <string.h>

#include "kotctl_conf.h"


static char *
kotctl_conf_trim(char *s, char *end)
{
    while (s < end && (*s == ' ' || *s == '\t')) {
        s++;
    }

    while (end > s && (end[-1] == ' ' || end[-1] == '\t'
                       || end[-1] == '\r'))
    {
        end--;
    }

    *end = '\0';

    return s;
}


int
kotctl_conf_parse(char *text, size_t len, kotctl_conf_handler_pt handler,
    void *data, unsigned *line, const char **err)
{
    int    rc;
    char  *p, *end, *eol, *hash, *eq, *name, *value;

    p = text;
    end = text + len;
    *line = 0;

    while (p < end) {
        (*line)++;

        eol = memchr(p, '\n', end - p);
        if (eol == NULL) {
            eol = end;
        }

        if (memchr(p, '\0', eol - p) != NULL) {
            *err = "a NUL byte";
            return -1;
        }

        hash = memchr(p, '#', eol - p);
        eq = memchr(p, '=', (hash ? hash : eol) - p);

        if (eq == NULL) {
            if (*kotctl_conf_trim(p, hash ? hash : eol) != '\0') {
                *err = "not \"name = value\"";
                return -1;
            }

            p = eol + 1;
            continue;
        }

        name = kotctl_conf_trim(p, eq);
        value = kotctl_conf_trim(eq + 1, hash ? hash : eol);

        if (*name == '\0') {
            *err = "no name before \"=\"";
            return -1;
        }

        if (*value == '\0') {
            *err = "no value after \"=\"";
            return -1;
        }

        rc = handler(data, name, value, *line);
        if (rc != 0) {
            return rc;
        }

        p = eol + 1;
    }

    return 0;
}
