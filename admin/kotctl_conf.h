/*
 * kotctl's configuration file (/etc/ngx_kot/kotctl.conf, or $KOT_CONFIG):
 * "name = value" lines, where a name is a global option's long name
 * without its dashes; "#" starts a comment.  The parser is pure: it knows
 * no option, and the caller checks each name.
 */

#ifndef KOTCTL_CONF_H
#define KOTCTL_CONF_H

#include <stddef.h>

#define KOTCTL_CONF_FILE  "/etc/ngx_kot/kotctl.conf"

/*
 * Called for each "name = value" line with its number (from 1); names and
 * values point into the text, which the parser NUL-terminates in place.
 * A non-zero return stops the parse and is returned by it.
 */
typedef int (*kotctl_conf_handler_pt)(void *data, const char *name,
    const char *value, unsigned line);

/*
 * Parses text (len bytes, modified in place; text[len] must be writable).
 * Returns 0, or the handler's non-zero return, or -1 for a line that is
 * not "name = value": then *line is its number and *err says why.
 */
int kotctl_conf_parse(char *text, size_t len, kotctl_conf_handler_pt handler,
    void *data, unsigned *line, const char **err);

#endif /* KOTCTL_CONF_H */
