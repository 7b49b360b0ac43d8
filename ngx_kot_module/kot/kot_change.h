/*
 * ngx_kot: the kot.change of the audit records that the admin API and
 * kotctl both write for a user (docs/admin.md): built here once, so that
 * the two write the same shape.
 */

#ifndef KOT_CHANGE_H
#define KOT_CHANGE_H

#include <stddef.h>

#include <jansson.h>

/* roles as stored, "a,b", as a JSON array ["a", "b"]; empty ones left out */
json_t *kot_change_roles(const char *roles, size_t len);

/* user_added: {"before": null, "after": {"roles": [..], "must_change",
 * "password_generated"}} */
json_t *kot_change_user_added(const char *roles, size_t len, int must_change,
    int generated);

/* user_password_set: {"before": null, "after": {"must_change",
 * "password_generated"}, "sessions_ended": N} */
json_t *kot_change_password_set(int must_change, int generated,
    long long sessions_ended);

/* user_roles_changed: {"before": {"roles": [..]}, "after": {"roles": [..]}} */
json_t *kot_change_user_roles(const char *before, size_t before_len,
    const char *after, size_t after_len);

/*
 * account_enabled: {"before": {"disabled", "inactive"}, "after":
 * {"disabled": false, "inactive": false}}: it was disabled, or refused
 * for inactivity (inactive_after), or both
 */
json_t *kot_change_account_enabled(int disabled, int inactive);

#endif /* KOT_CHANGE_H */
