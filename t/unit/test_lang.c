/*
 * Unit tests of kot_lang: choosing Japanese or English from
 * Accept-Language.
 */

#include <string.h>

#include "tap.h"
#include "kot_lang.h"


static const char *
pick(const char *al)
{
    return kot_lang_pick(al, strlen(al)) == KOT_LANG_JA ? "ja" : "en";
}


int
main(void)
{
    size_t       i, n;
    char         out[64];
    static const char  *args[][2] = {
        { "", "" },
        { "lang=ja", "" },
        { "return_to=%2Fapp&lang=en", "return_to=%2Fapp" },
        { "lang=ja&return_to=%2Fapp&expired=1", "return_to=%2Fapp&expired=1" },
        { "a=1&lang&b=2&lang=ja&lang=en", "a=1&b=2" },
        { "language=x&lang_x=1", "language=x&lang_x=1" },
        { "&&a=1&&", "a=1" },
    };
    static const char  *cases[][2] = {
        { "ja", "ja" },
        { "JA", "ja" },
        { "ja-JP", "ja" },
        { "ja-JP,ja;q=0.9,en;q=0.8", "ja" },
        { "en-US,en;q=0.9,ja;q=0.8", "en" },
        { "fr, ja;q=0.1", "ja" },
        { "fr-CH, fr;q=0.9, ja;q=0.8, en;q=0.7, *;q=0.5", "ja" },
        { "*", "en" },
        { "*;q=0.5, ja;q=0.6", "ja" },
        { "ja;q=0.5, *", "en" },
        { "ja;q=0", "en" },
        { "ja;q=0.000", "en" },
        { "ja;q=0.001", "ja" },
        { "en;q=0.5, ja;q=0.5", "en" },
        { "ja;q=0.5, en;q=0.5", "ja" },
        { "ja;q=1.000, en", "ja" },
        { "en;q=0.1,ja;q=0.2", "ja" },
        { "ja ; q=0.9 , en ; q=0.8", "ja" },
        { "ja;Q=0.9,en;q=0.8", "ja" },
        { "jam, ja-x;q=0.1", "ja" },
        { "jam", "en" },
        { "japanese", "en" },
        { "en-GB-oxendict, ja;q=0.9", "en" },
        { "", "en" },
        { "fr", "en" },
        { ",,, ja ,,", "ja" },
        { "garbage!!", "en" },
        { "ja;q=2, en;q=0.1", "en" },
        { "ja;q=1.5", "en" },
        { "ja;q=0.9999", "en" },
        { "ja;q=.5", "en" },
        { "ja;q=", "en" },
        { "ja;q", "en" },
        { "ja;level=1", "en" },
        { "ja;q=0.5;q=0.6", "en" },
        { "ja-", "en" },
        { "ja--JP", "en" },
        { "ja-123456789", "en" },
        { "ja-12345678", "ja" },
        { "abcdefghi, ja;q=0.1", "ja" },
        { "ja JP", "en" },
        { "\xe6\x97\xa5\xe6\x9c\xac, ja;q=0.3", "ja" },
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        is_str(pick(cases[i][0]), cases[i][1], "\"%s\" -> %s", cases[i][0],
               cases[i][1]);
    }

    ok(kot_lang_pick(NULL, 0) == KOT_LANG_EN, "absent header -> en");
    is_long(kot_lang_pick("ja, en", 1), KOT_LANG_EN,
            "len is honoured (\"j\")");
    is_long(kot_lang_pick("en;q=0.1, ja", 9), KOT_LANG_EN,
            "len is honoured (ja cut off)");

    is_long(kot_lang_named("ja", 2), KOT_LANG_JA, "?lang=ja chooses ja");
    is_long(kot_lang_named("en", 2), KOT_LANG_EN, "?lang=en chooses en");
    is_long(kot_lang_named("JA", 2), -1, "only the switch's own spelling");
    is_long(kot_lang_named("jap", 3), -1, "nothing but ja and en");
    is_long(kot_lang_named("", 0), -1, "an empty choice is none");

    for (i = 0; i < sizeof(args) / sizeof(args[0]); i++) {
        n = kot_lang_args(args[i][0], strlen(args[i][0]), out);
        out[n] = '\0';
        is_str(out, args[i][1], "the switch keeps \"%s\" as \"%s\"",
               args[i][0], args[i][1]);
    }

    return done_testing();
}
