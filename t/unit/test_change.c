/*
 * kot_change: the kot.change that kotctl and the admin API both write
 * for a user's changes.
 */

#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "kot_change.h"


/* compact JSON with sorted members, to compare whole */
static int
is_json(json_t *j, const char *want, const char *name)
{
    int    rc;
    char  *s;

    s = j ? json_dumps(j, JSON_COMPACT|JSON_SORT_KEYS) : NULL;
    rc = is_str(s ? s : "(null)", want, "%s", name);
    free(s);
    json_decref(j);

    return rc;
}


int
main(void)
{
    is_json(kot_change_roles("admin,user", 10), "[\"admin\",\"user\"]",
            "roles as stored become an array");
    is_json(kot_change_roles("", 0), "[]", "no roles, an empty array");
    is_json(kot_change_roles(",a,,b,", 6), "[\"a\",\"b\"]",
            "empty roles are left out");
    is_json(kot_change_roles("a,b", 1), "[\"a\"]", "only len bytes are read");

    is_json(kot_change_user_added("admin,user", 10, 1, 0),
            "{\"after\":{\"must_change\":true,\"password_generated\":false,"
            "\"roles\":[\"admin\",\"user\"]},\"before\":null}",
            "user_added: nothing before, the account after");

    is_json(kot_change_password_set(0, 1, 3),
            "{\"after\":{\"must_change\":false,\"password_generated\":true},"
            "\"before\":null,\"sessions_ended\":3}",
            "user_password_set: and the sessions it ended");

    is_json(kot_change_user_roles("admin,user", 10, "user", 4),
            "{\"after\":{\"roles\":[\"user\"]},"
            "\"before\":{\"roles\":[\"admin\",\"user\"]}}",
            "user_roles_changed: the roles before and after");

    is_json(kot_change_account_enabled(0, 1),
            "{\"after\":{\"disabled\":false,\"inactive\":false},"
            "\"before\":{\"disabled\":false,\"inactive\":true}}",
            "account_enabled: an account refused for inactivity");

    return done_testing();
}
