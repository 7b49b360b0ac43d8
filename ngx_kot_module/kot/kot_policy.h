/*
 * ngx_kot: password policy checks.
 *
 * Lengths are counted in Unicode code points, never bytes, and nothing is
 * ever truncated.  Any printable Unicode is allowed, spaces included;
 * invalid UTF-8 and control characters (C0, DEL, C1) are refused.
 */

#ifndef KOT_POLICY_H
#define KOT_POLICY_H

#include <stddef.h>
#include <stdint.h>

typedef struct kot_blocklist_s  kot_blocklist_t;

typedef struct {
    unsigned                 min_length;    /* code points, default 12 */
    unsigned                 max_length;    /* code points, default 128 */
    unsigned                 classes;       /* of lower/upper/digit/other */
    int                      not_username;  /* refuse the user's name */
    unsigned                 history;       /* refuse the last N */
    uint64_t                 min_age;       /* ms; 0: off */
    uint64_t                 max_age;       /* ms; 0: off */
    uint64_t                 inactive_after;    /* ms; 0: off */
    const kot_blocklist_t   *blocklist;     /* or NULL */
    int                      mfa_required;  /* mfa=required: a second */
                                            /* factor at every login */
} kot_policy_t;

#define KOT_POLICY_DEFAULT  { 12, 128, 0, 1, 0, 0, 0, 0, NULL, 0 }

/*
 * The two values of a required/optional rule (mfa), as kot_policy_set()
 * reads them and kot_policy_show() writes them.  A tenant's rule is
 * stored so in Redis, where the mfa_remove script compares it with
 * KOT_POLICY_REQUIRED too: one spelling for both.
 */
#define KOT_POLICY_REQUIRED  "required"
#define KOT_POLICY_OPTIONAL  "optional"

#define KOT_POLICY_MAX_LENGTH   1024
#define KOT_POLICY_HISTORY_MAX  24

/* Reasons, as a bit mask: one bit per broken rule. */
#define KOT_PW_OK             0x00
#define KOT_PW_TOO_SHORT      0x01
#define KOT_PW_TOO_LONG       0x02
#define KOT_PW_INVALID_CHARS  0x04
#define KOT_PW_CLASSES        0x08
#define KOT_PW_USERNAME       0x10
#define KOT_PW_BLOCKLISTED    0x20

/*
 * Checks pw[0..len) against the policy; username may be NULL.
 * not_username compares case-insensitively (ASCII) and refuses a password
 * that contains the username when the username is 3 or more characters.
 */
unsigned kot_policy_check(const kot_policy_t *p, const char *pw, size_t len,
    const char *username, size_t username_len);

/*
 * Sets one "name=value" rule (min_length=16, history=5, max_age=90d,
 * mfa=required ...; not blocklist=, which names a file).  Times take the
 * units ms, s, m, h, d, w, M (30 days) and y (365 days), combined as in
 * nginx ("1d12h").
 * Returns 0, or -1 with a message in err.
 */
int kot_policy_set(kot_policy_t *p, const char *s, size_t len, char *err,
    size_t err_len);

/*
 * What a refused rule broke, for a caller that words it itself (the
 * admin console, in its user's language): the rule, why, and the bound
 * it must keep, written as the rule is ("12", "90d", "on").
 *
 *   looser      limit is the server's value
 *   range       a count from min to limit
 *   time        not a time
 *   on_off      not on or off
 *   required    not required or optional
 *   shorter     min_age must be shorter than max_age, which is limit
 *   server      the server's alone (max_length, blocklist)
 *   unknown     no such rule
 */
typedef struct {
    const char  *rule;
    const char  *reason;
    char         min[8];
    char         limit[32];
} kot_policy_fault_t;

/*
 * The fault of a value of the rule name[0..len) that could not be read:
 * the reason by the kind of the rule, "unknown" if there is none.
 */
void kot_policy_malformed(const char *name, size_t len,
    kot_policy_fault_t *fault);

/*
 * 0 if the rules agree with each other (min_length within 1..max_length,
 * min_age shorter than max_age), else -1 with the reason in err (and in
 * fault, unless NULL).  Checked once all rules are set, so that their
 * order does not matter.
 */
int kot_policy_valid(const kot_policy_t *p, char *err, size_t err_len,
    kot_policy_fault_t *fault);

/*
 * 0 if p is nowhere looser than base (a tenant may only tighten the
 * server's policy), else -1 with the first loosening named in err (and
 * in fault, unless NULL).  max_length and the blocklist are the server's
 * alone and not compared.
 */
int kot_policy_check_tighter(const kot_policy_t *base, const kot_policy_t *p,
    char *err, size_t err_len, kot_policy_fault_t *fault);

/*
 * The names of a tenant's own rules, in the order of the fields
 * KOT_TENANT_POLICY_FIELDS reads (kot_scripts.h): the module, the admin
 * API and kotctl all name them from here.
 */
#define KOT_TENANT_RULES_N  8

extern const char  *kot_tenant_rules[KOT_TENANT_RULES_N];

/*
 * Sets one of a tenant's own rules: as kot_policy_set(), but max_length
 * and the blocklist are the server's alone and refused.  fault, unless
 * NULL, gets the refusal as kot_policy_fault_t tells.
 */
int kot_policy_tenant_set(kot_policy_t *p, const char *s, size_t len,
    char *err, size_t err_len, kot_policy_fault_t *fault);

/*
 * 0 if a tenant's policy t, its own rules set on a copy of the server's,
 * loosens nothing of server and its rules agree with each other; else -1
 * with the reason in err.
 */
int kot_policy_tenant_check(const kot_policy_t *server,
    const kot_policy_t *t, char *err, size_t err_len);

/*
 * The broken rules of a kot_policy_check() result in words ("too short:
 * at least 12 characters"), separated by sep, into buf (always
 * NUL-terminated).  Returns the length written.
 */
size_t kot_policy_explain(unsigned bits, const kot_policy_t *p,
    const char *sep, char *buf, size_t len);

/*
 * A random password that p accepts for the user (user may be NULL): 20
 * characters, or min_length if more, but no more than max_length or
 * cap - 1; letters and digits without look-alikes (about 5.8 bits each),
 * and symbols too when the policy asks for all four kinds of characters.
 * Candidates are drawn until one passes the policy, so every accepted
 * password is equally likely.  Returns its length, NUL-terminated in out;
 * -1 if no random bytes could be had; -2 if no candidate followed the
 * policy, with the last one's broken rules in *bits.
 */
long kot_policy_generate(const kot_policy_t *p, const char *user,
    size_t user_len, char *out, size_t cap, unsigned *bits);

#define KOT_GENERATED_MIN   20

/* The stricter of a (the server's) and b (a tenant's), rule by rule. */
void kot_policy_strictest(kot_policy_t *out, const kot_policy_t *a,
    const kot_policy_t *b);

/*
 * 1 if an account last active at active (ms: the latest of its last
 * login, its creation and its enabling again, as the scripts read it)
 * is inactive at now under p: no login for longer than inactive_after.
 * Such an account's logins are refused until an administrator enables
 * it.  0 when inactive_after is off.
 */
int kot_policy_inactive(const kot_policy_t *p, uint64_t active,
    uint64_t now);

/*
 * The same rule as a bound, for a script that reads many accounts
 * (KOT_LUA_LAST_ADMIN): an account last active before it (ms) is
 * inactive at now under p.  0 when inactive_after is off: none is.
 */
uint64_t kot_policy_inactive_before(const kot_policy_t *p, uint64_t now);

/* A time as above into milliseconds; 0 on success, -1 if malformed. */
int kot_parse_duration(const char *s, size_t len, uint64_t *ms);

/*
 * A list of common passwords, one per line, compared case-insensitively
 * (ASCII); "#!comment" lines (John the Ripper's style) and empty lines
 * are skipped.  Loading sorts it once; lookups are binary searches.
 */
kot_blocklist_t *kot_blocklist_load(const char *path, char *err,
    size_t err_len);
int kot_blocklist_has(const kot_blocklist_t *bl, const char *pw, size_t len);
size_t kot_blocklist_count(const kot_blocklist_t *bl);
void kot_blocklist_free(kot_blocklist_t *bl);

/*
 * Counts code points in s[0..len).  Returns -1 if s is not valid UTF-8
 * (overlongs, surrogates and values above U+10FFFF are invalid).
 */
long kot_utf8_length(const char *s, size_t len);

#endif /* KOT_POLICY_H */
