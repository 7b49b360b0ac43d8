/*
 * ngx_kot: tenant and user names: the one rule of what they may be, for
 * the module, kotctl and the README (why these: below).
 *
 * Both become parts of Redis keys (kot:v1:u:{tenant}:{user}), of URLs and
 * form fields, and of log and audit records, so they are limited to a
 * small alphabet that needs no escaping anywhere, and normalised to lower
 * case (ASCII only):
 *   tenant:   1..63 of [a-z0-9.-], starting and ending with [a-z0-9],
 *             without "..";
 *   username: 1..64 of [a-z0-9._@+-], not starting with '.', '@' or '-'.
 * Upper-case ASCII input is folded; anything else is refused.
 *
 * Roles are 1..32 of [a-z0-9_-], taken as they are (no folding); a
 * user's roles are stored as one comma-separated list.
 */

#ifndef KOT_IDENT_H
#define KOT_IDENT_H

#include <stddef.h>

/*
 * Why these and no more.  ':' separates the parts of a key, so neither
 * name may hold it (or "a:b" + "c" would be "a" + "b:c"); '*', '?', '['
 * and ']' are glob characters in KEYS, SCAN and PSUBSCRIBE patterns, and
 * '{' and '}' a Redis Cluster hash tag; '/', '%', '#', '&', '=' and
 * spaces change a URL or a form field; quotes, '\' and control
 * characters break log and JSON lines.  A tenant is a host-name label
 * sequence, so that "kot_tenant $host;" can name it and a tenant can
 * always be a DNS name (acme.example.com): '_', '@' and '+' are left out
 * ('+' also reads as a space in a query string, and '@' separates the
 * user from the host in a URL).  A username keeps '_', '@' and '+' so
 * that e-mail addresses (bob+ops@acme.example) can be usernames; the
 * portal's form is percent-encoded by the browser, so '+' survives it.
 *
 * The rules in words, as kotctl and nginx's error log state them:
 */
#define KOT_TENANT_RULE                                                     \
    "1 to 63 of a-z, 0-9, '.' and '-', starting and ending with a letter "  \
    "or digit, without \"..\""
#define KOT_USERNAME_RULE                                                   \
    "1 to 64 of a-z, 0-9 and . _ @ + -, not starting with . @ or -"

#define KOT_TENANT_MAX    63
#define KOT_USERNAME_MAX  64
#define KOT_ROLE_MAX      32

/* the role of a tenant's administrators (and, in the operator's tenant,
 * of the system's) */
#define KOT_ROLE_ADMIN    "admin"

/* a user's roles, comma-separated, with the NUL */
#define KOT_ROLES_MAX     512

/*
 * Normalises in[0..len) into out (cap >= max + 1, NUL-terminated).
 * Returns the length, or -1 if the name is not acceptable (out is then
 * an empty string).
 */
int kot_tenant_normalize(const char *in, size_t len, char *out, size_t cap);
int kot_username_normalize(const char *in, size_t len, char *out,
    size_t cap);

/* 1 if role[0..len) is a valid role name, 0 if not. */
int kot_role_valid(const char *role, size_t len);

/*
 * Adds role[0..len) to the comma-separated list in roles (NUL-terminated,
 * of cap bytes) unless it is there already.  0; -1 if the role is not
 * valid; -2 if the list has no room (KOT_ROLES_MAX always has enough for
 * a user's roles).
 */
int kot_roles_add(char *roles, size_t cap, const char *role, size_t len);

/*
 * 1 if s[0..len) can name a session: a handle ($kot_session, the first
 * KOT_SID_SHORT_LEN characters of the sid), or a longer prefix of the sid.
 */
int kot_session_handle_valid(const char *s, size_t len);

/* 1 if the comma-separated list roles[0..len) holds role[0..rlen). */
int kot_roles_have(const char *roles, size_t len, const char *role,
    size_t rlen);

#endif /* KOT_IDENT_H */
