/*
 * Unit tests of kot_ident: tenant and user name normalisation.
 */

#include <string.h>

#include "tap.h"
#include "kot_ident.h"


typedef int (*norm_pt)(const char *in, size_t len, char *out, size_t cap);


/* The normalised name, or "(refused)". */

static const char *
norm(norm_pt f, const char *s)
{
    static char  out[KOT_USERNAME_MAX + 1];

    if (f(s, strlen(s), out, sizeof(out)) < 0) {
        return "(refused)";
    }

    return out;
}


/*
 * Every byte in the middle of a name: exactly the documented alphabet
 * (kot_ident.h, README's data model) passes, after folding.  Above all,
 * nothing that means something in a Redis key or pattern (: * ? [ ] { }),
 * a URL (/ % # & = ? +) or a log line (quotes, \, controls).
 */

static void
test_alphabet(norm_pt f, const char *what, const char *alphabet)
{
    int          c, n, wrong;
    char         in[4], out[KOT_USERNAME_MAX + 1];
    const char  *lower;

    wrong = 0;

    for (c = 1; c < 256; c++) {
        in[0] = 'a';
        in[1] = (char) c;
        in[2] = 'a';
        in[3] = '\0';

        lower = (c >= 'A' && c <= 'Z') ? strchr(alphabet, c + 'a' - 'A')
                                       : strchr(alphabet, c);

        n = f(in, 3, out, sizeof(out));

        if ((n == 3) != (lower != NULL)) {
            printf("# %s: byte 0x%02x %s\n", what, c,
                   n == 3 ? "accepted" : "refused");
            wrong++;
        }
    }

    ok(wrong == 0, "%s: exactly [%s] inside a name, upper case folded",
       what, alphabet);
}


static void
test_tenant(void)
{
    size_t       i;
    char         name[KOT_TENANT_MAX + 2], out[KOT_TENANT_MAX + 1];
    static const char  *bad[] = {
        "", "-acme", "acme-", ".acme", "acme.", "a..b", "ac me", "acme:x",
        "acme_x", "acme@x", "acme+x", "acme{x}", "acme/x", "acme*",
        "acme\n", "\xef\xbd\x81\x63me",
        "acme\xc3\xa9",
    };

    is_str(norm(kot_tenant_normalize, "Acme"), "acme", "tenant: folds case");
    is_str(norm(kot_tenant_normalize, "acme.example.com"),
           "acme.example.com", "tenant: host name");
    is_str(norm(kot_tenant_normalize, "a-1.b-2"), "a-1.b-2",
           "tenant: digits and inner hyphens");
    is_str(norm(kot_tenant_normalize, "a"), "a", "tenant: one character");
    is_str(norm(kot_tenant_normalize, "0"), "0", "tenant: one digit");

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        is_str(norm(kot_tenant_normalize, bad[i]), "(refused)",
               "tenant: refuses bad #%zu", i);
    }

    memset(name, 'a', sizeof(name));
    is_long(kot_tenant_normalize(name, KOT_TENANT_MAX, out, sizeof(out)),
            KOT_TENANT_MAX, "tenant: 63 characters accepted");
    is_long(kot_tenant_normalize(name, KOT_TENANT_MAX + 1, out,
                                 sizeof(out)),
            -1, "tenant: 64 characters refused");
    is_str(out, "", "tenant: output emptied on refusal");
    is_long(kot_tenant_normalize("acme", 4, out, 4), -1,
            "tenant: output too small refused");
    is_long(kot_tenant_normalize("acme\0x", 6, out, sizeof(out)), -1,
            "tenant: embedded NUL refused");
    is_long(kot_tenant_normalize("acme-", 4, out, sizeof(out)), 4,
            "tenant: len is honoured");

    test_alphabet(kot_tenant_normalize, "tenant",
                  "abcdefghijklmnopqrstuvwxyz0123456789.-");
}


static void
test_username(void)
{
    size_t       i;
    char         name[KOT_USERNAME_MAX + 2], out[KOT_USERNAME_MAX + 1];
    static const char  *bad[] = {
        "", "al ice", "alice:x", "al*", ".alice", "@alice", "-alice",
        "alice\t", "al\x01ice", "al\x7f", "\xc3\xa9lise", "alice/x",
        "alice\\x", "alice%", "ali\"ce",
    };

    is_str(norm(kot_username_normalize, "Alice@Example.com"),
           "alice@example.com", "username: folds case of an address");
    is_str(norm(kot_username_normalize, "bob_smith+tag-1.x"),
           "bob_smith+tag-1.x", "username: all punctuation allowed");
    is_str(norm(kot_username_normalize, "_bob"), "_bob",
           "username: may start with '_'");
    is_str(norm(kot_username_normalize, "bob."), "bob.",
           "username: may end with '.'");

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        is_str(norm(kot_username_normalize, bad[i]), "(refused)",
               "username: refuses bad #%zu", i);
    }

    memset(name, 'B', sizeof(name));
    is_long(kot_username_normalize(name, KOT_USERNAME_MAX, out,
                                   sizeof(out)),
            KOT_USERNAME_MAX, "username: 64 characters accepted");
    ok(out[0] == 'b' && out[KOT_USERNAME_MAX] == '\0',
       "username: folded and NUL-terminated");
    is_long(kot_username_normalize(name, KOT_USERNAME_MAX + 1, out,
                                   sizeof(out)),
            -1, "username: 65 characters refused");

    test_alphabet(kot_username_normalize, "username",
                  "abcdefghijklmnopqrstuvwxyz0123456789._@+-");
}


static int
have(const char *roles, const char *role)
{
    return kot_roles_have(roles, strlen(roles), role, strlen(role));
}


static void
test_role(void)
{
    char  name[KOT_ROLE_MAX + 1];

    ok(kot_role_valid("admin", 5), "role: a plain name");
    ok(kot_role_valid("help-desk_2", 11), "role: with '-', '_' and digits");
    ok(!kot_role_valid("", 0), "role: empty refused");
    ok(!kot_role_valid("Admin", 5), "role: upper case refused, not folded");
    ok(!kot_role_valid("a,b", 3), "role: a comma would split the list");
    ok(!kot_role_valid("a b", 3), "role: a space refused");
    ok(!kot_role_valid("a\0b", 3), "role: NUL refused");

    memset(name, 'r', sizeof(name));
    ok(kot_role_valid(name, KOT_ROLE_MAX), "role: 32 characters accepted");
    ok(!kot_role_valid(name, KOT_ROLE_MAX + 1),
       "role: 33 characters refused");

    ok(have("admin", "admin"), "roles: the only one");
    ok(have("user,admin", "admin"), "roles: the last one");
    ok(have("admin,user", "admin"), "roles: the first one");
    ok(have("a,admin,b", "admin"), "roles: one in the middle");
    ok(!have("administrator", "admin"), "roles: a longer name is another");
    ok(!have("user,xadmin", "admin"), "roles: so is one that ends alike");
    ok(!have("adm", "admin"), "roles: and a shorter one");
    ok(!have("", "admin"), "roles: none");
    ok(!have("user,,x", "admin"), "roles: empty entries match nothing");
}


static void
test_roles_add(void)
{
    char  roles[16], big[KOT_ROLES_MAX];

    roles[0] = '\0';
    ok(kot_roles_add(roles, sizeof(roles), "admin", 5) == 0
       && kot_roles_add(roles, sizeof(roles), "ops", 3) == 0,
       "roles_add: two roles");
    is_str(roles, "admin,ops", "  comma-separated");
    ok(kot_roles_add(roles, sizeof(roles), "admin", 5) == 0,
       "roles_add: a role there already");
    is_str(roles, "admin,ops", "  is not added twice");
    ok(kot_roles_add(roles, sizeof(roles), "a,b", 3) == -1,
       "roles_add: refuses an invalid role");
    ok(kot_roles_add(roles, sizeof(roles), "abcdef", 6) == -2,
       "roles_add: refuses what does not fit");
    ok(kot_roles_add(roles, sizeof(roles), "abcde", 5) == 0,
       "roles_add: takes what fits exactly");
    is_str(roles, "admin,ops,abcde", "  and the list stays whole");

    big[0] = '\0';
    ok(kot_roles_add(big, sizeof(big), "admin", 5) == 0,
       "roles_add: KOT_ROLES_MAX holds roles");
}


static void
test_handle(void)
{
    ok(kot_session_handle_valid("AbCd-_0123456789", 16),
       "handle: 16 base64url characters");
    ok(kot_session_handle_valid("AbCd-_0123456789AbCd-_0123456789AbCd-_01234",
                                43), "handle: the whole sid");
    ok(!kot_session_handle_valid("AbCd-_012345678", 15),
       "handle: 15 characters are too few");
    ok(!kot_session_handle_valid("AbCd-_01234567*9", 16),
       "handle: a glob character refused");
    ok(!kot_session_handle_valid("AbCd-_0123456:89", 16),
       "handle: a colon refused");
    ok(!kot_session_handle_valid("AbCd-_01234567\x10" "9", 16),
       "handle: a control character refused");
    ok(!kot_session_handle_valid("AbCd-_01234567\x00" "9", 16),
       "handle: NUL refused");
}


int
main(void)
{
    test_tenant();
    test_username();
    test_role();
    test_roles_add();
    test_handle();

    return done_testing();
}
