/*
 * ngx_kot: the portal's layout templates and their named values
 * (kot_portal_templates).
 *
 * A template is HTML with tags:
 *
 *     {{name}}              the value, HTML-escaped
 *     {{#name}} ... {{/name}}  what is between, only if the value is
 *                           not empty (sections nest)
 *
 * There is no tag that inserts a value unescaped: only the caller marks
 * a value as its own markup (the page body, the <head> contents).  Names
 * are [a-z0-9_], at most KOT_TMPL_NAME_MAX long, and must be among those
 * the caller lists.  Templates carry no <script> and no <style> element.
 *
 * A values file has "name = value" lines; "name.ja = value" and
 * "name.en = value" give a language its own.  "#" starts a comment line.
 * A value is one line of printable UTF-8, trimmed; the value of a name
 * ending in "_url" must be an http(s) URL or a path ("/..."), as it goes
 * into href and src attributes.
 *
 * Errors name the line (from 1) and the reason.
 */

#ifndef KOT_TMPL_H
#define KOT_TMPL_H

#include <stddef.h>

#define KOT_TMPL_NAME_MAX   32
#define KOT_TMPL_DEPTH      8
#define KOT_TMPL_VALUE_MAX  2048

typedef struct kot_tmpl_s  kot_tmpl_t;

typedef struct {
    const char       *data;
    size_t            len;
    int               raw;          /* the caller's markup, as is */
} kot_tmpl_value_t;

/*
 * Parses text[0..len) that may use names[0..nnames).  Returns NULL with
 * *line and the reason in err on an error (or no memory: *line 0).
 */
kot_tmpl_t *kot_tmpl_parse(const char *text, size_t len,
    const char *const *names, size_t nnames, unsigned *line, char *err,
    size_t err_len);

/* How often names[name] appears as {{name}} outside any section. */
size_t kot_tmpl_uses(const kot_tmpl_t *t, size_t name);

/*
 * Renders with values[i] for names[i]; with dst NULL only counts.
 * Returns the length.
 */
size_t kot_tmpl_render(const kot_tmpl_t *t, const kot_tmpl_value_t *values,
    char *dst);

void kot_tmpl_free(kot_tmpl_t *t);


typedef struct {
    char              name[KOT_TMPL_NAME_MAX + 1];
    int               lang;         /* kot_lang_t, or -1: any */
    char             *value;        /* NUL-terminated */
    size_t            len;
} kot_tmpl_var_t;

typedef struct {
    kot_tmpl_var_t   *vars;
    size_t            n;
} kot_tmpl_vars_t;

/* Parses a values file; -1 with *line and err on an error. */
int kot_tmpl_vars_parse(const char *text, size_t len, kot_tmpl_vars_t *out,
    unsigned *line, char *err, size_t err_len);

/* The value of name for lang (kot_lang_t): its own, else any; or NULL. */
const kot_tmpl_var_t *kot_tmpl_vars_get(const kot_tmpl_vars_t *vs,
    const char *name, int lang);

void kot_tmpl_vars_free(kot_tmpl_vars_t *vs);

#endif /* KOT_TMPL_H */
