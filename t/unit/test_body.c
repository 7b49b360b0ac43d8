/*
 * kot_body: the admin API's JSON bodies, checked against their tables.
 */

#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "kot_body.h"


static const kot_body_field_t  user[] = {
    { "username", KOT_BODY_STRING, 1 },
    { "roles", KOT_BODY_STRINGS, 1 },
    { "disabled", KOT_BODY_BOOL, 0 },
    { "hours", KOT_BODY_INT, 0 },
    { "min_length", KOT_BODY_SCALAR, 0 },
    { NULL, 0, 0 }
};


/* the verdict on a body (-1: not JSON), and the member it names */
static int check(const char *text, const kot_body_field_t *fields,
    const char **who);
static const char *why(const char *text);


/* the decoder's reason for refusing text */
static const char *
why(const char *text)
{
    json_t              *body;
    static json_error_t  err;

    body = kot_body_decode(text, strlen(text), &err);
    json_decref(body);

    return body ? "(decoded)" : err.text;
}


static int
check(const char *text, const kot_body_field_t *fields, const char **who)
{
    int                      rc;
    json_t                  *body;
    json_error_t             err;
    const char              *name = NULL;
    const kot_body_field_t  *f = NULL;
    static char              named[64];

    body = kot_body_decode(text, strlen(text), &err);
    if (body == NULL) {
        *who = "(not JSON)";
        return -1;
    }

    rc = (int) kot_body_check(body, fields, &name, &f);

    snprintf(named, sizeof(named), "%s",
             name ? name : f ? f->name : "");
    *who = named;

    json_decref(body);

    return rc;
}


int
main(void)
{
    const char     *who;
    json_free_t     free_fn;
    json_malloc_t   malloc_fn;

    /* as in nginx: every check below runs on the allocator that wipes */
    kot_body_wipe_freed();
    json_get_alloc_funcs(&malloc_fn, &free_fn);
    ok(malloc_fn != malloc && free_fn != free,
       "jansson allocates through kot_body's wiping allocator");

    is_long(check("{\"username\":\"bob\",\"roles\":[\"a\",\"b\"]}", user,
                  &who), KOT_BODY_OK, "a complete body passes");

    is_long(check("{\"username\":\"bob\",\"roles\":[],\"disabled\":false,"
                  "\"hours\":3,\"min_length\":\"12\"}", user, &who),
            KOT_BODY_OK, "every type, optional members too");

    is_long(check("{\"username\":\"bob\",\"roles\":[],\"min_length\":true}",
                  user, &who), KOT_BODY_OK, "a scalar may be true or false");

    is_long(check("[1]", user, &who), KOT_BODY_NOT_OBJECT,
            "an array is not a body");

    is_long(check("{\"username\":\"a\",\"username\":\"b\",\"roles\":[]}",
                  user, &who), -1, "a member twice is not JSON we read");

    is_long(check("{\"username\":\"a\",\"roles\":[],\"admin\":true}", user,
                  &who), KOT_BODY_UNKNOWN, "an unknown member is refused");
    is_str(who, "admin", "and named");

    is_long(check("{\"username\":\"a\",\"roles\":[\"x\",1]}", user, &who),
            KOT_BODY_WRONG_TYPE, "a number among roles is refused");
    is_str(who, "roles", "and the member named");

    is_long(check("{\"username\":\"a\",\"roles\":[],\"hours\":1.5}", user,
                  &who), KOT_BODY_WRONG_TYPE, "1.5 is not an integer");

    is_long(check("{\"username\":\"a\",\"roles\":[],\"min_length\":null}",
                  user, &who), KOT_BODY_WRONG_TYPE, "null is not a scalar");

    is_long(check("{\"username\":\"a\"}", user, &who), KOT_BODY_MISSING,
            "a required member missing is refused");
    is_str(who, "roles", "and named");

    is_long(check("{}", NULL, &who), KOT_BODY_OK,
            "no table: an empty object passes");
    is_long(check("{\"a\":1}", NULL, &who), KOT_BODY_UNKNOWN,
            "no table: any member is unknown");

    /*
     * the reason goes back in the API's answer: jansson's "near '...'"
     * would quote the body there, a password's first part with it
     */
    is_str(why("{\"password\":\"hunter2-secret"), "premature end of input",
           "a body cut short: the reason quotes none of it");
    is_str(why("{\"password\":\"hunter2-secret\x01\"}"),
           "control character 0x1",
           "a control character in a string: the string is not quoted");
    is_str(why("{\"password\":\"hunter2-secret\\q\"}"), "invalid escape",
           "a wrong escape: neither");
    is_str(why("{\"a\":tru}"), "invalid token", "a wrong token: neither");

    is_str(kot_body_type_text(KOT_BODY_STRINGS), "an array of strings",
           "the types have their words");

    return done_testing();
}
