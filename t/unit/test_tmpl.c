/*
 * Unit tests of kot_tmpl: the portal's layout templates escape every
 * named value, show sections only when their value is set, and refuse a
 * broken template with the line at fault.
 */

#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "kot_lang.h"
#include "kot_tmpl.h"


static const char  *names[] = { "title", "body", "product", "logo_url" };

#define NNAMES  (sizeof(names) / sizeof(names[0]))


/* Renders src with the values; "" if it does not parse. */

static char *
render(const char *src, kot_tmpl_value_t *v)
{
    char        *out, err[128];
    size_t       len;
    unsigned     line;
    kot_tmpl_t  *t;

    t = kot_tmpl_parse(src, strlen(src), names, NNAMES, &line, err,
                       sizeof(err));
    if (t == NULL) {
        return strdup("");
    }

    len = kot_tmpl_render(t, v, NULL);
    out = malloc(len + 1);
    if (out && kot_tmpl_render(t, v, out) != len) {
        out[0] = '\0';
        len = 0;
    }

    if (out) {
        out[len] = '\0';
    }

    kot_tmpl_free(t);

    return out;
}


/* The reason and line of a refused template, as "3: reason". */

static char *
refusal(const char *src)
{
    static char  buf[256];
    char         err[192];
    unsigned     line;
    kot_tmpl_t  *t;

    t = kot_tmpl_parse(src, strlen(src), names, NNAMES, &line, err,
                       sizeof(err));
    if (t) {
        kot_tmpl_free(t);
        return "accepted";
    }

    snprintf(buf, sizeof(buf), "%u: %s", line, err);

    return buf;
}


static char *
vars_refusal(const char *src)
{
    static char      buf[256];
    char             err[192];
    unsigned         line;
    kot_tmpl_vars_t  vs;

    if (kot_tmpl_vars_parse(src, strlen(src), &vs, &line, err, sizeof(err))
        == 0)
    {
        kot_tmpl_vars_free(&vs);
        return "accepted";
    }

    snprintf(buf, sizeof(buf), "%u: %s", line, err);

    return buf;
}


int
main(void)
{
    char                  *out;
    const char            *src;
    unsigned               line;
    kot_tmpl_t            *t;
    kot_tmpl_vars_t        vs;
    const kot_tmpl_var_t  *var;
    char                   err[128];
    kot_tmpl_value_t       v[NNAMES] = {
        { "Log in", 6, 0 },
        { "<form>", 6, 1 },
        { "Acme <b>\"&'", 11, 0 },
        { "", 0, 0 },
    };

    out = render("<title>{{title}} - {{ product }}</title>{{body}}", v);
    is_str(out, "<title>Log in - Acme &lt;b&gt;&quot;&amp;&#39;</title>"
           "<form>", "values are escaped, the caller's markup is not");
    free(out);

    out = render("<a href=\"{{logo_url}}\">", v);
    is_str(out, "<a href=\"\">", "an empty value is empty");
    free(out);

    out = render("[{{#logo_url}}<img src=\"{{logo_url}}\">{{/logo_url}}]"
                 "{{#product}}<p>{{product}}</p>{{/product}}", v);
    is_str(out, "[]<p>Acme &lt;b&gt;&quot;&amp;&#39;</p>",
           "a section shows only when its value is set");
    free(out);

    out = render("{{#product}}a{{#logo_url}}b{{/logo_url}}c{{/product}}d", v);
    is_str(out, "acd", "sections nest");
    free(out);

    out = render("no tags at all }} {", v);
    is_str(out, "no tags at all }} {", "text without tags is kept");
    free(out);

    out = render("", v);
    is_str(out, "", "an empty template renders empty");
    free(out);

    t = kot_tmpl_parse("{{body}}{{#title}}{{body}}{{/title}}{{body}}", 44,
                       names, NNAMES, &line, err, sizeof(err));
    ok(t && kot_tmpl_uses(t, 1) == 2 && kot_tmpl_uses(t, 0) == 0,
       "uses counts a name outside sections only");
    kot_tmpl_free(t);

    is_str(refusal("a\nb\n{{nope}}"), "3: unknown value \"nope\"",
           "an unknown name is refused with its line");
    is_str(refusal("{{Title}}"),
           "1: \"Title\" is not a value's name ([a-z0-9_], at most 32 "
           "characters)", "names are lower case");
    is_str(refusal("{{{title}}}"),
           "1: \"{title\" is not a value's name ([a-z0-9_], at most 32 "
           "characters)", "there is no triple-brace raw tag");
    is_str(refusal("\n\n{{title"), "3: \"{{\" without \"}}\"",
           "an unclosed tag");
    is_str(refusal("x\n{{#title}}\n{{body}}"),
           "2: {{#title}} is not closed", "an unclosed section, its line");
    is_str(refusal("{{#title}}\n{{/body}}"),
           "2: {{/body}} closes no {{#body}}", "a mismatched end");
    is_str(refusal("{{/title}}"), "1: {{/title}} closes no {{#title}}",
           "an end without a start");
    is_str(refusal("{{#title}}{{#title}}{{#title}}{{#title}}{{#title}}"
                   "{{#title}}{{#title}}{{#title}}{{#title}}"),
           "1: sections nest deeper than 8", "nesting is bounded");
    is_str(refusal("<p>\n<SCRIPT src=x></script>"),
           "2: no <script>: portal pages run no script",
           "a script element is refused");
    is_str(refusal("<head>\n\n<style>p{}</style>"),
           "3: no <style>: CSS goes in style.css",
           "a style element is refused");
    is_str(refusal("<link rel=\"stylesheet\"><p style=\"\">"), "accepted",
           "other markup is the author's");
    is_str(refusal("<p>\n<scr{{#title}}{{/title}}ipt src=x></script>"),
           "2: no tag inside an element's name (it could make a <script> "
           "or <style>)", "a section cannot join the halves of <script>");
    is_str(refusal("<{{product}} src=x>"),
           "1: no tag inside an element's name (it could make a <script> "
           "or <style>)", "a value cannot name an element");
    is_str(refusal("<p></{{product}}>"),
           "1: no tag inside an element's name (it could make a <script> "
           "or <style>)", "nor an end tag's");
    is_str(refusal("<sTy{{product}}>"),
           "1: no tag inside an element's name (it could make a <script> "
           "or <style>)", "nor after a start of <style>, any case");
    is_str(refusal("<p>{{title}}</p><a href=/{{logo_url}}>a < {{title}}"),
           "accepted", "a tag after an element's name, or after text");
    is_str(refusal("<li{{#title}} class=\"on\"{{/title}}><h{{product}}>"),
           "accepted", "a name that no tag can make a script or style");

    src = "# brand\n\nproduct = Acme Cloud \r\nproduct.ja = アクメ\n"
          "terms_url=https://acme.example/terms\n\tempty =\n";
    ok(kot_tmpl_vars_parse(src, strlen(src), &vs, &line, err, sizeof(err))
       == 0, "a values file parses");
    var = kot_tmpl_vars_get(&vs, "product", KOT_LANG_EN);
    is_str(var ? var->value : NULL, "Acme Cloud",
           "a value, trimmed, for any language");
    var = kot_tmpl_vars_get(&vs, "product", KOT_LANG_JA);
    is_str(var ? var->value : NULL, "アクメ", "a language's own value");
    var = kot_tmpl_vars_get(&vs, "terms_url", KOT_LANG_JA);
    is_str(var ? var->value : NULL, "https://acme.example/terms",
           "a language without its own takes the common one");
    var = kot_tmpl_vars_get(&vs, "empty", KOT_LANG_JA);
    ok(var && var->len == 0, "a value may be empty");
    ok(kot_tmpl_vars_get(&vs, "help", KOT_LANG_EN) == NULL,
       "an unset name has no value");
    kot_tmpl_vars_free(&vs);

    is_str(vars_refusal("a = 1\nproduct\n"),
           "2: expected \"name = value\"", "a line without =");
    is_str(vars_refusal("Product = x"),
           "1: \"Product\" is not a value's name ([a-z0-9_], at most 32 "
           "characters)", "a bad name");
    is_str(vars_refusal("product.fr = x"),
           "1: \"product.fr\": a name ends in .ja, .en or nothing",
           "only ja and en");
    is_str(vars_refusal("a = 1\n\na = 2"), "3: \"a\" is set twice",
           "a name set twice");
    is_str(vars_refusal("a.ja = 1\na = 2\na.en = 3"), "accepted",
           "a name per language");
    is_str(vars_refusal("terms_url = javascript:alert(1)"),
           "1: terms_url must be an http or https URL, or a path starting "
           "with \"/\"", "a _url value cannot be javascript:");
    is_str(vars_refusal("logo_url = //evil.example/x.png"),
           "1: logo_url must be an http or https URL, or a path starting "
           "with \"/\"", "nor another site without a scheme");
    is_str(vars_refusal("support_url = /\\evil.example/"),
           "1: support_url must be an http or https URL, or a path starting "
           "with \"/\"", "nor another site by \"/\\\", which browsers read "
           "as \"//\"");
    is_str(vars_refusal("logo_url = /brand/logo.svg"), "accepted",
           "a path is a URL");
    is_str(vars_refusal("product = a\x01z"),
           "1: the value has a control character", "no control characters");
    is_str(vars_refusal("product = \xff"), "1: the value is not UTF-8",
           "no invalid UTF-8");

    return done_testing();
}
