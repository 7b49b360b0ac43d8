/*
 * ngx_kot: the portal's layout templates and their named values.
 *
 * A template is parsed once, at configuration time, into a list of
 * operations: copy text, insert a value, skip a section if its value is
 * empty.  Rendering walks the list twice per page (count, then write).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kot_lang.h"
#include "kot_text.h"
#include "kot_tmpl.h"


typedef enum {
    KOT_TMPL_TEXT = 0,
    KOT_TMPL_VALUE,
    KOT_TMPL_SECTION,                       /* skips to end if empty */
    KOT_TMPL_END
} kot_tmpl_op_e;

typedef struct {
    kot_tmpl_op_e     type;
    size_t            off, len;             /* TEXT: into text */
    size_t            name;                 /* VALUE, SECTION */
    size_t            end;                  /* SECTION: op after its END */
} kot_tmpl_op_t;

struct kot_tmpl_s {
    char             *text;
    kot_tmpl_op_t    *ops;
    size_t            nops;
    size_t           *uses;                 /* per name, outside sections */
    size_t            nnames;
};


static int kot_tmpl_push(kot_tmpl_t *t, size_t *cap, kot_tmpl_op_e type,
    size_t off, size_t len, size_t name);
static const char *kot_tmpl_pair(const char *p, const char *end, char c);
static const char *kot_tmpl_forbidden(const char *s, size_t len,
    const char **why);
static int kot_tmpl_in_element_name(const char *text, const char *tag);
static unsigned kot_tmpl_line(const char *text, const char *p);
static int kot_tmpl_name(const char *s, size_t len);
static int kot_tmpl_find(const char *const *names, size_t nnames,
    const char *s, size_t len);
static int kot_tmpl_var_line(kot_tmpl_vars_t *out, size_t *cap,
    const char *p, const char *end, char *err, size_t err_len);
static int kot_tmpl_url_ok(const char *s, size_t len);


kot_tmpl_t *
kot_tmpl_parse(const char *text, size_t len, const char *const *names,
    size_t nnames, unsigned *line, char *err, size_t err_len)
{
    int          name;
    size_t       cap, depth, open[KOT_TMPL_DEPTH];
    unsigned     open_line[KOT_TMPL_DEPTH];
    const char  *p, *end, *tag, *close, *bad, *n, *why;
    kot_tmpl_t  *t;

    *line = 0;
    snprintf(err, err_len, "out of memory");

    t = calloc(1, sizeof(kot_tmpl_t));
    if (t == NULL) {
        return NULL;
    }

    t->nnames = nnames;
    t->text = malloc(len ? len : 1);
    t->uses = calloc(nnames ? nnames : 1, sizeof(size_t));

    if (t->text == NULL || t->uses == NULL) {
        goto failed;
    }

    memcpy(t->text, text, len);

    cap = 0;
    depth = 0;
    p = t->text;
    end = t->text + len;

    while (p < end) {
        tag = kot_tmpl_pair(p, end, '{');
        if (tag == NULL) {
            tag = end;
        }

        bad = kot_tmpl_forbidden(p, tag - p, &why);
        if (bad) {
            *line = kot_tmpl_line(t->text, bad);
            snprintf(err, err_len, "%s", why);
            goto failed;
        }

        if (tag > p
            && kot_tmpl_push(t, &cap, KOT_TMPL_TEXT, p - t->text, tag - p, 0)
               != 0)
        {
            goto failed;
        }

        if (tag == end) {
            break;
        }

        *line = kot_tmpl_line(t->text, tag);

        if (kot_tmpl_in_element_name(t->text, tag)) {
            snprintf(err, err_len, "no tag inside an element's name (it "
                     "could make a <script> or <style>)");
            goto failed;
        }

        close = kot_tmpl_pair(tag + 2, end, '}');
        if (close == NULL) {
            snprintf(err, err_len, "\"{{\" without \"}}\"");
            goto failed;
        }

        n = tag + 2;

        while (n < close && *n == ' ') {
            n++;
        }

        for (p = close; p > n && p[-1] == ' '; p--) { /* void */ }

        if (p > n && (*n == '#' || *n == '/')) {
            n++;
        }

        if (!kot_tmpl_name(n, p - n)) {
            snprintf(err, err_len, "\"%.*s\" is not a value's name "
                     "([a-z0-9_], at most %d characters)",
                     (int) ((p - n) > 40 ? 40 : p - n), n,
                     KOT_TMPL_NAME_MAX);
            goto failed;
        }

        name = kot_tmpl_find(names, nnames, n, p - n);
        if (name < 0) {
            snprintf(err, err_len, "unknown value \"%.*s\"", (int) (p - n),
                     n);
            goto failed;
        }

        if (n[-1] == '#') {
            if (depth == KOT_TMPL_DEPTH) {
                snprintf(err, err_len, "sections nest deeper than %d",
                         KOT_TMPL_DEPTH);
                goto failed;
            }

            open_line[depth] = *line;
            open[depth++] = t->nops;

            if (kot_tmpl_push(t, &cap, KOT_TMPL_SECTION, 0, 0, name) != 0) {
                goto failed;
            }

        } else if (n[-1] == '/') {
            if (depth == 0 || t->ops[open[depth - 1]].name != (size_t) name)
            {
                snprintf(err, err_len, "{{/%s}} closes no {{#%s}}",
                         names[name], names[name]);
                goto failed;
            }

            if (kot_tmpl_push(t, &cap, KOT_TMPL_END, 0, 0, name) != 0) {
                goto failed;
            }

            t->ops[open[--depth]].end = t->nops;

        } else {
            if (depth == 0) {
                t->uses[name]++;
            }

            if (kot_tmpl_push(t, &cap, KOT_TMPL_VALUE, 0, 0, name) != 0) {
                goto failed;
            }
        }

        p = close + 2;
    }

    if (depth) {
        *line = open_line[depth - 1];
        snprintf(err, err_len, "{{#%s}} is not closed",
                 names[t->ops[open[depth - 1]].name]);
        goto failed;
    }

    return t;

failed:

    kot_tmpl_free(t);
    return NULL;
}


size_t
kot_tmpl_uses(const kot_tmpl_t *t, size_t name)
{
    return name < t->nnames ? t->uses[name] : 0;
}


size_t
kot_tmpl_render(const kot_tmpl_t *t, const kot_tmpl_value_t *values,
    char *dst)
{
    size_t                   i, n, len;
    const kot_tmpl_op_t     *op;
    const kot_tmpl_value_t  *v;

    len = 0;
    i = 0;

    while (i < t->nops) {
        op = &t->ops[i++];

        switch (op->type) {

        case KOT_TMPL_TEXT:
            if (dst) {
                memcpy(dst + len, t->text + op->off, op->len);
            }

            len += op->len;
            break;

        case KOT_TMPL_VALUE:
            v = &values[op->name];

            if (v->raw) {
                if (dst) {
                    memcpy(dst + len, v->data, v->len);
                }

                n = v->len;

            } else {
                n = dst ? kot_html_escape(dst + len, v->data, v->len)
                        : kot_html_escape_len(v->data, v->len);
            }

            len += n;
            break;

        case KOT_TMPL_SECTION:
            if (values[op->name].len == 0) {
                i = op->end;
            }

            break;

        default: /* KOT_TMPL_END */
            break;
        }
    }

    return len;
}


void
kot_tmpl_free(kot_tmpl_t *t)
{
    if (t == NULL) {
        return;
    }

    free(t->text);
    free(t->ops);
    free(t->uses);
    free(t);
}


static int
kot_tmpl_push(kot_tmpl_t *t, size_t *cap, kot_tmpl_op_e type, size_t off,
    size_t len, size_t name)
{
    kot_tmpl_op_t  *ops;

    if (t->nops == *cap) {
        ops = realloc(t->ops, (*cap ? *cap * 2 : 16) * sizeof(kot_tmpl_op_t));
        if (ops == NULL) {
            return -1;
        }

        t->ops = ops;
        *cap = *cap ? *cap * 2 : 16;
    }

    ops = &t->ops[t->nops++];
    ops->type = type;
    ops->off = off;
    ops->len = len;
    ops->name = name;
    ops->end = 0;

    return 0;
}


/* The first "cc" in p[0..end), or NULL (no memmem(): not in C99). */

static const char *
kot_tmpl_pair(const char *p, const char *end, char c)
{
    for ( /* void */ ; p + 1 < end; p++) {
        if (p[0] == c && p[1] == c) {
            return p;
        }
    }

    return NULL;
}


/*
 * The first "<script" or "<style" in s, any case, with the reason; or
 * NULL.  The CSP would stop both; refusing them says so at "nginx -t".
 */

static const char *
kot_tmpl_forbidden(const char *s, size_t len, const char **why)
{
    size_t  i;

    for (i = 0; i + 1 < len; i++) {
        if (s[i] != '<') {
            continue;
        }

        if (len - i > 6 && strncasecmp(s + i + 1, "script", 6) == 0) {
            *why = "no <script>: portal pages run no script";
            return s + i;
        }

        if (len - i > 5 && strncasecmp(s + i + 1, "style", 5) == 0) {
            *why = "no <style>: CSS goes in style.css";
            return s + i;
        }
    }

    return NULL;
}


/*
 * Whether a tag at "tag" could make a <script> or <style>: after "<" or
 * "</" and a start of either name ("", "s", "scr", "sty"...).
 * kot_tmpl_forbidden() sees the text between tags only, so
 * "<scr{{#x}}{{/x}}ipt>", or "<{{x}}>" with x = "script", would make the
 * elements it refuses.  Any other name may go on with a tag, as in
 * "<li{{#x}} class=\"on\"{{/x}}>".  Looking back from the first tag of a
 * run is enough: a later one follows a "}}".
 */

static int
kot_tmpl_in_element_name(const char *text, const char *tag)
{
    size_t       n;
    const char  *p;

    for (p = tag;
         p > text && ((p[-1] >= 'a' && p[-1] <= 'z')
                      || (p[-1] >= 'A' && p[-1] <= 'Z')
                      || (p[-1] >= '0' && p[-1] <= '9'));
         p--)
    {
        /* void */
    }

    n = tag - p;

    if (!((n <= 6 && strncasecmp(p, "script", n) == 0)
          || (n <= 5 && strncasecmp(p, "style", n) == 0)))
    {
        return 0;
    }

    if (p > text && p[-1] == '/') {
        p--;
    }

    return p > text && p[-1] == '<';
}


static unsigned
kot_tmpl_line(const char *text, const char *p)
{
    unsigned  line;

    for (line = 1; text < p; text++) {
        line += (*text == '\n');
    }

    return line;
}


static int
kot_tmpl_name(const char *s, size_t len)
{
    size_t  i;

    if (len == 0 || len > KOT_TMPL_NAME_MAX) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')
              || s[i] == '_'))
        {
            return 0;
        }
    }

    return 1;
}


static int
kot_tmpl_find(const char *const *names, size_t nnames, const char *s,
    size_t len)
{
    size_t  i;

    for (i = 0; i < nnames; i++) {
        if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0) {
            return (int) i;
        }
    }

    return -1;
}


int
kot_tmpl_vars_parse(const char *text, size_t len, kot_tmpl_vars_t *out,
    unsigned *line, char *err, size_t err_len)
{
    size_t       cap;
    const char  *p, *end, *eol;

    out->vars = NULL;
    out->n = 0;
    cap = 0;

    *line = 0;
    p = text;
    end = text + len;

    while (p < end) {
        (*line)++;

        eol = memchr(p, '\n', end - p);
        if (eol == NULL) {
            eol = end;
        }

        if (kot_tmpl_var_line(out, &cap, p, eol, err, err_len) != 0) {
            kot_tmpl_vars_free(out);
            return -1;
        }

        p = eol + (eol < end);
    }

    return 0;
}


/* One line: empty, a comment, or "name[.lang] = value". */

static int
kot_tmpl_var_line(kot_tmpl_vars_t *out, size_t *cap, const char *p,
    const char *end, char *err, size_t err_len)
{
    int              lang;
    size_t           i, nlen;
    const char      *eq, *n, *ne, *v, *dot;
    kot_tmpl_var_t  *vars;

    if (end > p && end[-1] == '\r') {
        end--;
    }

    while (p < end && (*p == ' ' || *p == '\t')) {
        p++;
    }

    if (p == end || *p == '#') {
        return 0;
    }

    eq = memchr(p, '=', end - p);
    if (eq == NULL) {
        snprintf(err, err_len, "expected \"name = value\"");
        return -1;
    }

    n = p;
    for (ne = eq; ne > n && (ne[-1] == ' ' || ne[-1] == '\t'); ne--) {
        /* void */
    }

    lang = -1;
    dot = memchr(n, '.', ne - n);

    if (dot) {
        if (ne - dot == 3 && memcmp(dot, ".ja", 3) == 0) {
            lang = KOT_LANG_JA;

        } else if (ne - dot == 3 && memcmp(dot, ".en", 3) == 0) {
            lang = KOT_LANG_EN;

        } else {
            snprintf(err, err_len, "\"%.*s\": a name ends in .ja, .en or "
                     "nothing", (int) (ne - n > 40 ? 40 : ne - n), n);
            return -1;
        }
    }

    nlen = (dot ? dot : ne) - n;

    if (!kot_tmpl_name(n, nlen)) {
        snprintf(err, err_len, "\"%.*s\" is not a value's name ([a-z0-9_], "
                 "at most %d characters)", (int) (nlen > 40 ? 40 : nlen), n,
                 KOT_TMPL_NAME_MAX);
        return -1;
    }

    for (v = eq + 1; v < end && (*v == ' ' || *v == '\t'); v++) {
        /* void */
    }

    while (end > v && (end[-1] == ' ' || end[-1] == '\t')) {
        end--;
    }

    if (end - v > KOT_TMPL_VALUE_MAX) {
        snprintf(err, err_len, "the value is longer than %d bytes",
                 KOT_TMPL_VALUE_MAX);
        return -1;
    }

    if (!kot_utf8_valid(v, end - v)) {
        snprintf(err, err_len, "the value is not UTF-8");
        return -1;
    }

    for (i = 0; i < (size_t) (end - v); i++) {
        if ((unsigned char) v[i] < 0x20 || v[i] == 0x7f) {
            snprintf(err, err_len, "the value has a control character");
            return -1;
        }
    }

    if (nlen > 4 && memcmp(n + nlen - 4, "_url", 4) == 0
        && end > v && !kot_tmpl_url_ok(v, end - v))
    {
        snprintf(err, err_len, "%.*s must be an http or https URL, or a "
                 "path starting with \"/\"", (int) nlen, n);
        return -1;
    }

    for (i = 0; i < out->n; i++) {
        if (out->vars[i].lang == lang && strlen(out->vars[i].name) == nlen
            && memcmp(out->vars[i].name, n, nlen) == 0)
        {
            snprintf(err, err_len, "\"%.*s\" is set twice", (int) (ne - n),
                     n);
            return -1;
        }
    }

    if (out->n == *cap) {
        vars = realloc(out->vars, (*cap ? *cap * 2 : 16)
                                  * sizeof(kot_tmpl_var_t));
        if (vars == NULL) {
            snprintf(err, err_len, "out of memory");
            return -1;
        }

        out->vars = vars;
        *cap = *cap ? *cap * 2 : 16;
    }

    vars = &out->vars[out->n];

    vars->value = malloc(end - v + 1);
    if (vars->value == NULL) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }

    memcpy(vars->name, n, nlen);
    vars->name[nlen] = '\0';
    vars->lang = lang;
    memcpy(vars->value, v, end - v);
    vars->value[end - v] = '\0';
    vars->len = end - v;

    out->n++;

    return 0;
}


/*
 * https://..., http://... or /path; not //host, which leaves the site,
 * nor /\\host, which browsers read as //host.
 */

static int
kot_tmpl_url_ok(const char *s, size_t len)
{
    return (len > 8 && strncasecmp(s, "https://", 8) == 0)
           || (len > 7 && strncasecmp(s, "http://", 7) == 0)
           || (len >= 1 && s[0] == '/'
               && (len == 1 || (s[1] != '/' && s[1] != '\\')));
}


const kot_tmpl_var_t *
kot_tmpl_vars_get(const kot_tmpl_vars_t *vs, const char *name, int lang)
{
    size_t                 i;
    const kot_tmpl_var_t  *any;

    any = NULL;

    for (i = 0; i < vs->n; i++) {
        if (strcmp(vs->vars[i].name, name) != 0) {
            continue;
        }

        if (vs->vars[i].lang == lang) {
            return &vs->vars[i];
        }

        if (vs->vars[i].lang == -1) {
            any = &vs->vars[i];
        }
    }

    return any;
}


void
kot_tmpl_vars_free(kot_tmpl_vars_t *vs)
{
    size_t  i;

    for (i = 0; i < vs->n; i++) {
        free(vs->vars[i].value);
    }

    free(vs->vars);
    vs->vars = NULL;
    vs->n = 0;
}
