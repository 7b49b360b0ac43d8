/*
 * libFuzzer target: kot_tmpl_parse() and kot_tmpl_render() on arbitrary
 * templates, and kot_tmpl_vars_parse() on arbitrary values files (the
 * first byte chooses).  A rendered page's markup is the template's own:
 * values full of markup characters never add a '<'.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kot_lang.h"
#include "kot_tmpl.h"


static const char  *names[] = { "title", "body", "product", "logo_url",
                                "help" };

#define NNAMES  (sizeof(names) / sizeof(names[0]))


static size_t
count_lt(const char *s, size_t len)
{
    size_t  i, n;

    for (i = 0, n = 0; i < len; i++) {
        n += (s[i] == '<');
    }

    return n;
}


static void
fuzz_template(const char *s, size_t size)
{
    char              *out, err[128];
    size_t             len, i;
    unsigned           line;
    kot_tmpl_t        *t;
    kot_tmpl_value_t   v[NNAMES];

    t = kot_tmpl_parse(s, size, names, NNAMES, &line, err, sizeof(err));
    if (t == NULL) {
        if (line == 0 && strcmp(err, "out of memory") != 0) {
            abort();
        }

        return;
    }

    /* every value set: every section shows, each text once */
    for (i = 0; i < NNAMES; i++) {
        v[i].data = "<b>\"&'</b>";
        v[i].len = 10;
        v[i].raw = 0;
    }

    len = kot_tmpl_render(t, v, NULL);
    out = malloc(len + 1);

    if (out == NULL) {
        kot_tmpl_free(t);
        return;
    }

    if (kot_tmpl_render(t, v, out) != len
        || count_lt(out, len) != count_lt(s, size))
    {
        abort();
    }

    free(out);

    /* no value set: sections are skipped */
    for (i = 0; i < NNAMES; i++) {
        v[i].len = 0;
    }

    len = kot_tmpl_render(t, v, NULL);
    out = malloc(len + 1);

    if (out && kot_tmpl_render(t, v, out) != len) {
        abort();
    }

    free(out);
    kot_tmpl_free(t);
}


static void
fuzz_values(const char *s, size_t size)
{
    char                   err[128];
    size_t                 i;
    unsigned               line;
    kot_tmpl_vars_t        vs;
    const kot_tmpl_var_t  *var;

    if (kot_tmpl_vars_parse(s, size, &vs, &line, err, sizeof(err)) != 0) {
        return;
    }

    for (i = 0; i < vs.n; i++) {
        var = kot_tmpl_vars_get(&vs, vs.vars[i].name,
                                vs.vars[i].lang == KOT_LANG_EN
                                ? KOT_LANG_EN : KOT_LANG_JA);

        if (var == NULL || strlen(var->value) != var->len
            || memchr(var->value, '\n', var->len) != NULL)
        {
            abort();
        }
    }

    kot_tmpl_vars_free(&vs);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char  *s;

    if (size == 0) {
        return 0;
    }

    s = malloc(size);
    if (s == NULL) {
        return 0;
    }

    memcpy(s, data + 1, size - 1);

    if (data[0] & 1) {
        fuzz_values(s, size - 1);

    } else {
        fuzz_template(s, size - 1);
    }

    free(s);

    return 0;
}
