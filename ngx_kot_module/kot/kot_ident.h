/*
 * ngx_kot: tenant and user names.
 *
 * Both become parts of Redis keys and of log lines, so they are limited
 * to a small alphabet and normalised to lower case (ASCII only):
 *   tenant:   1..63 of [a-z0-9.-], starting and ending with [a-z0-9],
 *             without ".." (a DNS-like name, so that $host can name the
 *             tenant);
 *   username: 1..64 of [a-z0-9._@+-], not starting with '.', '@' or '-'.
 * Upper-case ASCII input is folded; anything else is refused.
 *
 * Roles are 1..32 of [a-z0-9_-], taken as they are (no folding); a
 * user's roles are stored as one comma-separated list.
 */

#ifndef KOT_IDENT_H
#define KOT_IDENT_H

#include <stddef.h>

#define KOT_TENANT_MAX    63
#define KOT_USERNAME_MAX  64
#define KOT_ROLE_MAX      32

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

/* 1 if the comma-separated list roles[0..len) holds role[0..rlen). */
int kot_roles_have(const char *roles, size_t len, const char *role,
    size_t rlen);

#endif /* KOT_IDENT_H */
