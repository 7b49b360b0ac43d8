/*
 * ngx_kot: the kot.change of a user's audit records (kot_change.h).
 * NULL when out of memory.
 */

#include <string.h>

#include "kot_change.h"


json_t *
kot_change_roles(const char *roles, size_t len)
{
    json_t      *list;
    const char  *p, *last, *comma;

    list = json_array();
    if (list == NULL) {
        return NULL;
    }

    p = roles;
    last = roles + len;

    while (p < last) {
        comma = memchr(p, ',', last - p);
        if (comma == NULL) {
            comma = last;
        }

        if (comma > p
            && json_array_append_new(list, json_stringn(p, comma - p)) != 0)
        {
            json_decref(list);
            return NULL;
        }

        p = comma + 1;
    }

    return list;
}


json_t *
kot_change_user_added(const char *roles, size_t len, int must_change,
    int generated)
{
    return json_pack("{s:n,s:{s:o,s:b,s:b}}", "before", "after",
                     "roles", kot_change_roles(roles, len),
                     "must_change", must_change,
                     "password_generated", generated);
}


json_t *
kot_change_password_set(int must_change, int generated,
    long long sessions_ended)
{
    return json_pack("{s:n,s:{s:b,s:b},s:I}", "before", "after",
                     "must_change", must_change,
                     "password_generated", generated,
                     "sessions_ended", (json_int_t) sessions_ended);
}


json_t *
kot_change_user_roles(const char *before, size_t before_len,
    const char *after, size_t after_len)
{
    return json_pack("{s:{s:o},s:{s:o}}",
                     "before", "roles", kot_change_roles(before, before_len),
                     "after", "roles", kot_change_roles(after, after_len));
}


json_t *
kot_change_account_enabled(int disabled, int inactive)
{
    return json_pack("{s:{s:b,s:b},s:{s:b,s:b}}",
                     "before", "disabled", disabled, "inactive", inactive,
                     "after", "disabled", 0, "inactive", 0);
}
