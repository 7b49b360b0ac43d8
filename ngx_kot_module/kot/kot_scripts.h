/*
 * ngx_kot: the Redis data model shared by the module and kotctl.
 *
 * Every key lives under KOT_PREFIX; README.md ("Data model") documents
 * each one.  Changes that touch several keys run as Lua scripts so that
 * they are atomic across workers and nodes.
 */

#ifndef KOT_SCRIPTS_H
#define KOT_SCRIPTS_H

#include <stddef.h>

#define KOT_PREFIX            "kot:v1:"
#define KOT_KEY_TENANTS       KOT_PREFIX "tenants"
#define KOT_KEY_TENANT        KOT_PREFIX "t:"     /* t:{tenant} */
#define KOT_KEY_USERS         KOT_PREFIX "users:" /* users:{tenant} */
#define KOT_KEY_USER          KOT_PREFIX "u:"     /* u:{tenant}:{user} */
#define KOT_KEY_SESSION       KOT_PREFIX "s:"     /* s:{sid} */
#define KOT_KEY_USER_SESSIONS KOT_PREFIX "us:"    /* us:{tenant}:{user} */
#define KOT_KEY_SESSION_ENDED KOT_PREFIX "se:"    /* se:{sid} */
#define KOT_KEY_FAILURES      KOT_PREFIX "f:"     /* f:{tenant}:{user} */
#define KOT_KEY_FAILED_NAMES  KOT_PREFIX "fu:"    /* fu:{tenant} */
#define KOT_KEY_THROTTLE      KOT_PREFIX "th:"    /* th:{client} */
#define KOT_KEY_HISTORY       KOT_PREFIX "ph:"    /* ph:{tenant}:{user} */
#define KOT_KEY_ALLOW         KOT_PREFIX "al:"    /* al:{tenant}:{list} */
#define KOT_KEY_ALLOW_VERSION KOT_PREFIX "alv:"   /* alv:{tenant} */
#define KOT_KEY_POLICY        KOT_PREFIX "policy"
#define KOT_KEY_RETIRED_TENANTS KOT_PREFIX "retired:tenants"
#define KOT_KEY_RETIRED_USERS KOT_PREFIX "retired:u:" /* retired:u:{tenant} */
#define KOT_KEY_GRANT         KOT_PREFIX "grant:"  /* grant:{tenant} */
#define KOT_KEY_EVENTS        KOT_PREFIX "ev:"     /* ev:{tenant} */
#define KOT_KEY_NOTIFY        KOT_PREFIX "notify"  /* the stream */
#define KOT_KEY_NOTIFY_DEAD   KOT_PREFIX "notify:dead"
#define KOT_KEY_NOTIFY_BURST  KOT_PREFIX "nb:"     /* nb:{tenant} */
#define KOT_KEY_NETWORKS      KOT_PREFIX "nn:"     /* nn:{tenant}:{user} */

/*
 * Notifications (kot_notify, kotctl notify; README.md, "Notifications").
 * The stream keeps about the newest KOT_NOTIFY_MAXLEN events (XADD
 * MAXLEN ~): events the daemon has not delivered by then are lost.
 * KOT_NOTIFY_BURST address denials of a tenant within KOT_NOTIFY_BURST_MS
 * make one ip_denial_burst event; a network not logged in from for
 * KOT_NOTIFY_NETWORK_MS (90 days) makes a login_new_network event, and a
 * user's newest KOT_NOTIFY_NETWORKS networks are remembered.
 */
#define KOT_NOTIFY_MAXLEN     100000
#define KOT_NOTIFY_BURST      20
#define KOT_NOTIFY_BURST_MS   60000
#define KOT_NOTIFY_NETWORK_MS 7776000000
#define KOT_NOTIFY_NETWORKS   100
#define KOT_NOTIFY_GROUP      "kot-notify"  /* kotctl notify's group */

/* a tenant's events list keeps the newest this many */
#define KOT_EVENTS_MAX        1000

/*
 * An event longer than this (an allow-list of thousands replaced) goes
 * to the events list without its kot.change, with "kot.change_omitted":
 * true; the audit log has it whole.  1,000 events stay under 16 MB.
 */
#define KOT_EVENT_MAX_BYTES   16384

/* a support grant lasts this many hours */
#define KOT_GRANT_HOURS_MIN   1
#define KOT_GRANT_HOURS_MAX   72

/* entries of one allow-list: the module compiles a list at every change */
#define KOT_ALLOW_MAX         10000
#define KOT_KEY_MFA           KOT_PREFIX "mfa:"   /* mfa:{tenant}:{user} */
#define KOT_KEY_MFA_CODES     KOT_PREFIX "mrc:"   /* mrc:{tenant}:{user} */
#define KOT_KEY_MFA_PENDING   KOT_PREFIX "mp:"    /* mp:{pending id} */
#define KOT_KEY_MFA_OFFER     KOT_PREFIX "mo:"    /* mo:{sid} */

/*
 * A tenant's own policy rules, fields of t:{tenant} named "policy." and
 * the rule (policy.min_length ...), in this order wherever they are read.
 */
#define KOT_TENANT_POLICY_FIELDS                                            \
    "'policy.min_length', 'policy.classes', 'policy.not_username', "        \
    "'policy.history', 'policy.min_age', 'policy.max_age', "                \
    "'policy.inactive_after', " KOT_TENANT_POLICY_MFA
#define KOT_TENANT_POLICY_N   8       /* KOT_TENANT_RULES_N */
#define KOT_TENANT_POLICY_MFA "'policy.mfa'"    /* required/optional */

/* must_change values of a user and of a session */
#define KOT_MUST_CHANGE_NO        '0'
#define KOT_MUST_CHANGE_TEMPORARY '1'   /* set by an administrator */
#define KOT_MUST_CHANGE_EXPIRED   '2'   /* older than max_age */

/* Session id: 256 random bits in the cookie, base64url. */
#define KOT_SID_RAW_LEN       32
#define KOT_SID_B64_LEN       43
/* The non-secret correlation handle ($kot_session): a prefix of the key. */
#define KOT_SID_SHORT_LEN     16

/*
 * A session's key outlives its expiry by this much, so that the next
 * request still finds it and can say (and log) that it expired rather
 * than that it never existed.
 */
#define KOT_SESSION_GRACE_MS  600000

/* A permanent lock, in f:{tenant}:{user}'s "until" field. */
#define KOT_LOCKED_FOREVER    (-1)

/* login_fail results (first element of the reply). */
#define KOT_FAIL_COUNTED      0
#define KOT_FAIL_LOCKED_NOW   1
#define KOT_FAIL_WAS_LOCKED   2

/* session_create results */
#define KOT_CREATE_OK         1
#define KOT_CREATE_NO_USER    0
#define KOT_CREATE_LOCKED     (-2)
#define KOT_CREATE_DISABLED   (-3)
#define KOT_CREATE_PW_CHANGED (-4)
#define KOT_CREATE_MFA_GONE   (-5)      /* the user's MFA changed */
#define KOT_CREATE_TOO_MANY   (-6)      /* kot_max_sessions ... refuse */

/* mfa_enrol (a replacement) and mfa_remove: the account is locked */
#define KOT_MFA_LOCKED        (-5)
/* mfa_remove: the tenant's policy or the server's requires MFA */
#define KOT_MFA_REQUIRED      (-6)

/*
 * The second step of a login: how long the pending state lasts, and how
 * many codes it takes; how long an enrolment page's seed is offered.
 */
#define KOT_MFA_PENDING_MS    300000
#define KOT_MFA_PENDING_TRIES 5
#define KOT_MFA_OFFER_MS      900000

/*
 * Refusals of the administrative scripts (docs/admin.md): a bare
 * negative integer reply, with nothing changed.
 */
#define KOT_NO_TENANT         (-1)
#define KOT_NO_USER           (-1)
#define KOT_RETIRED           (-2)  /* the name was deleted: never again */
#define KOT_SELF              (-2)  /* an admin would end itself */
#define KOT_SELF_DEMOTE       (-3)  /* user_patch: ... or drop its admin */
#define KOT_CHANGED           (-4)  /* user_patch, user_delete, */
                                    /* allowlist_change, policy_set: the */
                                    /* user, list or policy is no longer */
                                    /* as the caller read it */
#define KOT_LAST_ADMIN        (-5)  /* user_patch, user_delete: it would */
                                    /* leave the tenant no enabled admin */
#define KOT_LAST_ADMIN_BARRED (-6)  /* ... no admin who can log in: */
                                    /* the other enabled admins are */
                                    /* inactive or locked until unlocked */
#define KOT_NO_SUCH_RULE      (-2)  /* policy_set */
#define KOT_OVER_LIMIT        (-2)  /* allowlist_change */

/* user_unlock: nothing to clear, as asked already; nothing changed */
#define KOT_AS_IS             0

/* Session check results (first element of the reply). */
#define KOT_SESSION_MISSING   0
#define KOT_SESSION_OK        1
#define KOT_SESSION_IDLE      2
#define KOT_SESSION_ABSOLUTE  3
/*
 * None, but se:{sid} says why: kot_max_sessions ended it for a login, or
 * the user did on another device ({portal}sessions)
 */
#define KOT_SESSION_EVICTED   4
#define KOT_SESSION_ENDED_BY_USER  5

/*
 * The reply of session_check (kot_scripts.c), by position: the status;
 * for KOT_SESSION_OK all of these (KOT_SESSION_REPLY_N), for
 * KOT_SESSION_IDLE and KOT_SESSION_ABSOLUTE the tenant and the user
 * (KOT_SESSION_REPLY_ENDED_N), for KOT_SESSION_MISSING,
 * KOT_SESSION_EVICTED and KOT_SESSION_ENDED_BY_USER nothing more.
 * The script returns them in this order: change both together.
 */
typedef enum {
    KOT_SESSION_REPLY_STATUS = 0,       /* integer */
    KOT_SESSION_REPLY_TENANT,           /* string */
    KOT_SESSION_REPLY_USER,             /* string */
    KOT_SESSION_REPLY_ROLES,            /* string, "" for none */
    KOT_SESSION_REPLY_MUST_CHANGE,      /* string, KOT_MUST_CHANGE_* */
    KOT_SESSION_REPLY_ALLOW_VERSION,    /* integer: the tenant's alv: */
    KOT_SESSION_REPLY_CREATED,          /* login time, ms */
    KOT_SESSION_REPLY_LAST,             /* last activity, ms */
    KOT_SESSION_REPLY_ENROL,            /* string, "1": MFA enrolment first */
    KOT_SESSION_REPLY_LAST_LOGIN,       /* string, KOT_LUA_LAST_LOGIN's "ll" */
    KOT_SESSION_REPLY_N
} kot_session_reply_e;

#define KOT_SESSION_REPLY_ENDED_N  (KOT_SESSION_REPLY_USER + 1)

typedef struct {
    const char  *name;
    const char  *source;
    char         sha1[41];      /* filled by kot_scripts_init() */
    int          revokes;       /* ends sessions or access: replicated
                                   before it is reported done */
} kot_script_t;

typedef enum {
    KOT_SCRIPT_SESSION_CHECK = 0,
    KOT_SCRIPT_LOGIN_BEGIN,
    KOT_SCRIPT_LOGIN_FAIL,
    KOT_SCRIPT_FAILURES_INDEX,
    KOT_SCRIPT_SESSION_CREATE,
    KOT_SCRIPT_SESSION_DESTROY,
    KOT_SCRIPT_PASSWORD_LOAD,
    KOT_SCRIPT_PASSWORD_CHANGE,
    KOT_SCRIPT_TENANT_ADD,
    KOT_SCRIPT_USER_ADD,
    KOT_SCRIPT_USER_PASSWD,
    KOT_SCRIPT_USER_PATCH,
    KOT_SCRIPT_SESSION_REVOKE,
    KOT_SCRIPT_AUDIT_ANCHOR,
    KOT_SCRIPT_ALLOWLIST_LOAD,
    KOT_SCRIPT_PASSWORD_REHASH,
    KOT_SCRIPT_THROTTLE_STATUS,
    KOT_SCRIPT_THROTTLE_CLEAR,
    KOT_SCRIPT_TENANT_DELETE,
    KOT_SCRIPT_TENANT_LIST,
    KOT_SCRIPT_USER_DELETE,
    KOT_SCRIPT_USER_UNLOCK,
    KOT_SCRIPT_USER_LIST,
    KOT_SCRIPT_USER_GET,
    KOT_SCRIPT_SESSION_LIST,
    KOT_SCRIPT_SESSION_END,
    KOT_SCRIPT_ALLOWLIST_CHANGE,
    KOT_SCRIPT_POLICY_GET,
    KOT_SCRIPT_POLICY_SET,
    KOT_SCRIPT_SUPPORT_GRANT,
    KOT_SCRIPT_SUPPORT_REVOKE,
    KOT_SCRIPT_SUPPORT_STATUS,
    KOT_SCRIPT_EVENT_PUSH,
    KOT_SCRIPT_EVENT_LIST,
    KOT_SCRIPT_NOTIFY_URL,
    KOT_SCRIPT_NOTIFY_DEAD,
    KOT_SCRIPT_MFA_PENDING,
    KOT_SCRIPT_MFA_CODE_LOAD,
    KOT_SCRIPT_MFA_USE,
    KOT_SCRIPT_MFA_LOAD,
    KOT_SCRIPT_MFA_ENROL,
    KOT_SCRIPT_MFA_REMOVE,
    KOT_SCRIPT_MFA_RESET,
    KOT_SCRIPT_SESSION_OWN,
    KOT_SCRIPT_N
} kot_script_id_t;

extern kot_script_t  kot_scripts[KOT_SCRIPT_N];

/* Computes every script's SHA1 (for EVALSHA).  0 on success. */
int kot_scripts_init(void);

#endif /* KOT_SCRIPTS_H */
