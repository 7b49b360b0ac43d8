/*
 * ngx_kot: password policy checks.
 */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kot_crypto.h"
#include "kot_policy.h"
#include "kot_utf8.h"


#define KOT_CLASS_LOWER  0x01
#define KOT_CLASS_UPPER  0x02
#define KOT_CLASS_DIGIT  0x04
#define KOT_CLASS_OTHER  0x08

#define KOT_GENERATE_TRIES  1000


typedef struct {
    size_t      length;     /* code points; an invalid byte counts as one */
    unsigned    classes;    /* KOT_CLASS_* seen */
    int         invalid;    /* bad UTF-8 or a control character */
} kot_pw_scan_t;


static void kot_policy_scan(const char *pw, size_t len, kot_pw_scan_t *scan);
static unsigned kot_policy_class(uint32_t cp);
static int kot_policy_is_control(uint32_t cp);
static unsigned kot_policy_count_classes(unsigned classes);
static int kot_policy_contains(const char *s, size_t len, const char *sub,
    size_t sub_len);
static unsigned char kot_policy_lower(unsigned char c);


unsigned
kot_policy_check(const kot_policy_t *p, const char *pw, size_t len,
    const char *username, size_t username_len)
{
    unsigned       rc;
    kot_pw_scan_t  scan;

    kot_policy_scan(pw, len, &scan);

    rc = KOT_PW_OK;

    if (scan.length < p->min_length) {
        rc |= KOT_PW_TOO_SHORT;
    }

    if (scan.length > p->max_length) {
        rc |= KOT_PW_TOO_LONG;
    }

    if (scan.invalid) {
        rc |= KOT_PW_INVALID_CHARS;
    }

    if (kot_policy_count_classes(scan.classes) < p->classes) {
        rc |= KOT_PW_CLASSES;
    }

    /* a name of one or two letters would refuse far too many passwords */

    if (p->not_username && username != NULL && username_len >= 3
        && kot_policy_contains(pw, len, username, username_len))
    {
        rc |= KOT_PW_USERNAME;
    }

    if (p->blocklist && kot_blocklist_has(p->blocklist, pw, len)) {
        rc |= KOT_PW_BLOCKLISTED;
    }

    return rc;
}


long
kot_utf8_length(const char *s, size_t len)
{
    int                   n;
    long                  count;
    uint32_t              cp;
    const unsigned char  *p, *end;

    if (len == 0) {
        return 0;
    }

    p = (const unsigned char *) s;
    end = p + len;
    count = 0;

    while (p < end) {
        n = kot_utf8_decode(p, end - p, &cp);
        if (n < 0 || count == LONG_MAX) {
            return -1;
        }

        p += n;
        count++;
    }

    return count;
}


/*
 * One pass over the password that gathers everything the rules need, so
 * that every broken rule is reported even when the UTF-8 is invalid.
 */

static void
kot_policy_scan(const char *pw, size_t len, kot_pw_scan_t *scan)
{
    int                   n;
    uint32_t              cp;
    const unsigned char  *p, *end;

    scan->length = 0;
    scan->classes = 0;
    scan->invalid = 0;

    if (len == 0) {
        return;
    }

    p = (const unsigned char *) pw;
    end = p + len;

    while (p < end) {
        n = kot_utf8_decode(p, end - p, &cp);

        if (n < 0) {
            scan->invalid = 1;
            scan->classes |= KOT_CLASS_OTHER;
            n = 1;

        } else {
            if (kot_policy_is_control(cp)) {
                scan->invalid = 1;
            }

            scan->classes |= kot_policy_class(cp);
        }

        p += n;
        scan->length++;
    }
}


static unsigned
kot_policy_class(uint32_t cp)
{
    if (cp >= 'a' && cp <= 'z') {
        return KOT_CLASS_LOWER;
    }

    if (cp >= 'A' && cp <= 'Z') {
        return KOT_CLASS_UPPER;
    }

    if (cp >= '0' && cp <= '9') {
        return KOT_CLASS_DIGIT;
    }

    return KOT_CLASS_OTHER;
}


/* C0, DEL and C1: they cannot be typed and may upset logs or terminals. */

static int
kot_policy_is_control(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}


static unsigned
kot_policy_count_classes(unsigned classes)
{
    unsigned  n;

    for (n = 0; classes; classes >>= 1) {
        n += classes & 1;
    }

    return n;
}


/* Case-insensitive (ASCII) substring search; usernames are short. */

static int
kot_policy_contains(const char *s, size_t len, const char *sub,
    size_t sub_len)
{
    size_t  i, j;

    if (sub_len > len) {
        return 0;
    }

    for (i = 0; i <= len - sub_len; i++) {
        for (j = 0; j < sub_len; j++) {
            if (kot_policy_lower((unsigned char) s[i + j])
                != kot_policy_lower((unsigned char) sub[j]))
            {
                break;
            }
        }

        if (j == sub_len) {
            return 1;
        }
    }

    return 0;
}


static unsigned char
kot_policy_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}



/* policy rules by name */

typedef enum {
    KOT_RULE_COUNT,         /* unsigned, more is stricter */
    KOT_RULE_FLAG,          /* on/off, on is stricter */
    KOT_RULE_AGE_MIN,       /* time, more is stricter */
    KOT_RULE_AGE_MAX,       /* time, less is stricter, 0 is off */
    KOT_RULE_REQUIRED       /* required/optional, required is stricter */
} kot_rule_kind_t;

typedef struct {
    const char       *name;
    kot_rule_kind_t   kind;
    size_t            offset;
    unsigned          max;          /* for counts */
} kot_rule_t;

const char  *kot_tenant_rules[KOT_TENANT_RULES_N] = {
    "min_length", "classes", "not_username", "history", "min_age",
    "max_age", "inactive_after", "mfa"
};


static const kot_rule_t  kot_rules[] = {
    { "min_length", KOT_RULE_COUNT, offsetof(kot_policy_t, min_length),
      KOT_POLICY_MAX_LENGTH },
    { "max_length", KOT_RULE_COUNT, offsetof(kot_policy_t, max_length),
      KOT_POLICY_MAX_LENGTH },
    { "classes", KOT_RULE_COUNT, offsetof(kot_policy_t, classes), 4 },
    { "not_username", KOT_RULE_FLAG, offsetof(kot_policy_t, not_username),
      1 },
    { "history", KOT_RULE_COUNT, offsetof(kot_policy_t, history),
      KOT_POLICY_HISTORY_MAX },
    { "min_age", KOT_RULE_AGE_MIN, offsetof(kot_policy_t, min_age), 0 },
    { "max_age", KOT_RULE_AGE_MAX, offsetof(kot_policy_t, max_age), 0 },
    { "inactive_after", KOT_RULE_AGE_MAX,
      offsetof(kot_policy_t, inactive_after), 0 },
    { "mfa", KOT_RULE_REQUIRED, offsetof(kot_policy_t, mfa_required), 1 },
};

#define KOT_RULES_N  (sizeof(kot_rules) / sizeof(kot_rules[0]))

#define kot_rule_uint(p, r)  ((unsigned *) ((char *) (p) + (r)->offset))
#define kot_rule_int(p, r)   ((int *) ((char *) (p) + (r)->offset))
#define kot_rule_ms(p, r)    ((uint64_t *) ((char *) (p) + (r)->offset))


static int kot_policy_value(const kot_rule_t *rule, kot_policy_t *p,
    const char *v, size_t len);
static int kot_policy_looser(const kot_rule_t *rule, const kot_policy_t *base,
    const kot_policy_t *p);
static void kot_policy_show(const kot_rule_t *rule, const kot_policy_t *p,
    char *buf, size_t len);
static int kot_policy_set_rule(kot_policy_t *p, const char *s, size_t len,
    char *err, size_t err_len, kot_policy_fault_t *fault);
static size_t kot_policy_rule_index(const char *name, size_t len);


int
kot_policy_set(kot_policy_t *p, const char *s, size_t len, char *err,
    size_t err_len)
{
    return kot_policy_set_rule(p, s, len, err, err_len, NULL);
}


static int
kot_policy_set_rule(kot_policy_t *p, const char *s, size_t len, char *err,
    size_t err_len, kot_policy_fault_t *fault)
{
    size_t       i, nlen;
    const char  *eq;

    eq = memchr(s, '=', len);
    nlen = eq ? (size_t) (eq - s) : len;

    if (fault) {
        kot_policy_malformed(s, nlen, fault);
    }

    if (eq == NULL) {
        snprintf(err, err_len, "\"%.*s\" is not name=value", (int) len, s);
        return -1;
    }

    i = kot_policy_rule_index(s, nlen);

    if (i == KOT_RULES_N) {
        snprintf(err, err_len, "unknown rule \"%.*s\"; the rules are "
                 "min_length, max_length, classes, not_username, history, "
                 "min_age, max_age, inactive_after and mfa", (int) nlen, s);
        return -1;
    }

    if (kot_policy_value(&kot_rules[i], p, eq + 1, len - nlen - 1) != 0) {
        snprintf(err, err_len, "\"%.*s\": %s", (int) len, s,
                 kot_rules[i].kind == KOT_RULE_FLAG ? "use on or off"
                 : kot_rules[i].kind == KOT_RULE_REQUIRED
                   ? "use " KOT_POLICY_REQUIRED " or " KOT_POLICY_OPTIONAL
                 : kot_rules[i].kind == KOT_RULE_COUNT
                   ? "not a number in range"
                 : "not a time (e.g. 90d, 12h, 30m)");
        return -1;
    }

    return 0;
}


static size_t
kot_policy_rule_index(const char *name, size_t len)
{
    size_t  i;

    for (i = 0; i < KOT_RULES_N; i++) {
        if (strlen(kot_rules[i].name) == len
            && memcmp(kot_rules[i].name, name, len) == 0)
        {
            break;
        }
    }

    return i;
}


void
kot_policy_malformed(const char *name, size_t len, kot_policy_fault_t *fault)
{
    size_t             i;
    const kot_rule_t  *rule;

    i = kot_policy_rule_index(name, len);

    fault->min[0] = '\0';
    fault->limit[0] = '\0';

    if (i == KOT_RULES_N) {
        fault->rule = NULL;
        fault->reason = "unknown";
        return;
    }

    rule = &kot_rules[i];
    fault->rule = rule->name;

    switch (rule->kind) {

    case KOT_RULE_FLAG:
        fault->reason = "on_off";
        return;

    case KOT_RULE_REQUIRED:
        fault->reason = "required";
        return;

    case KOT_RULE_COUNT:
        fault->reason = "range";
        snprintf(fault->min, sizeof(fault->min), "0");
        snprintf(fault->limit, sizeof(fault->limit), "%u", rule->max);
        return;

    default:
        fault->reason = "time";
        return;
    }
}


int
kot_policy_valid(const kot_policy_t *p, char *err, size_t err_len,
    kot_policy_fault_t *fault)
{
    if (p->min_length > p->max_length || p->min_length == 0) {
        snprintf(err, err_len, "min_length must be 1 to max_length (%u)",
                 p->max_length);

        if (fault) {
            fault->rule = "min_length";
            fault->reason = "range";
            snprintf(fault->min, sizeof(fault->min), "1");
            snprintf(fault->limit, sizeof(fault->limit), "%u",
                     p->max_length);
        }

        return -1;
    }

    if (p->max_age && p->min_age >= p->max_age) {
        snprintf(err, err_len, "min_age must be shorter than max_age, or an "
                 "expired password could not be changed");

        if (fault) {
            fault->rule = "min_age";
            fault->reason = "shorter";
            fault->min[0] = '\0';
            kot_policy_show(&kot_rules[kot_policy_rule_index("max_age", 7)],
                            p, fault->limit, sizeof(fault->limit));
        }

        return -1;
    }

    return 0;
}


static int
kot_policy_value(const kot_rule_t *rule, kot_policy_t *p, const char *v,
    size_t len)
{
    char           *end, buf[16];
    unsigned long   n;

    switch (rule->kind) {

    case KOT_RULE_FLAG:
        if (len == 2 && memcmp(v, "on", 2) == 0) {
            *kot_rule_int(p, rule) = 1;
            return 0;
        }

        if (len == 3 && memcmp(v, "off", 3) == 0) {
            *kot_rule_int(p, rule) = 0;
            return 0;
        }

        return -1;

    case KOT_RULE_REQUIRED:
        if (len == sizeof(KOT_POLICY_REQUIRED) - 1
            && memcmp(v, KOT_POLICY_REQUIRED, len) == 0)
        {
            *kot_rule_int(p, rule) = 1;
            return 0;
        }

        if (len == sizeof(KOT_POLICY_OPTIONAL) - 1
            && memcmp(v, KOT_POLICY_OPTIONAL, len) == 0)
        {
            *kot_rule_int(p, rule) = 0;
            return 0;
        }

        return -1;

    case KOT_RULE_COUNT:
        if (len == 0 || len >= sizeof(buf) || v[0] < '0' || v[0] > '9') {
            return -1;
        }

        memcpy(buf, v, len);
        buf[len] = '\0';

        errno = 0;
        n = strtoul(buf, &end, 10);

        if (errno || end != buf + len || n > rule->max) {
            return -1;
        }

        *kot_rule_uint(p, rule) = (unsigned) n;
        return 0;

    default:
        return kot_parse_duration(v, len, kot_rule_ms(p, rule));
    }
}


int
kot_policy_check_tighter(const kot_policy_t *base, const kot_policy_t *p,
    char *err, size_t err_len, kot_policy_fault_t *fault)
{
    char    want[32], have[32];
    size_t  i;

    for (i = 0; i < KOT_RULES_N; i++) {
        if (strcmp(kot_rules[i].name, "max_length") == 0
            || !kot_policy_looser(&kot_rules[i], base, p))
        {
            continue;
        }

        kot_policy_show(&kot_rules[i], p, want, sizeof(want));
        kot_policy_show(&kot_rules[i], base, have, sizeof(have));

        snprintf(err, err_len, "%s=%s would loosen the server's %s=%s; a "
                 "tenant may only tighten the policy", kot_rules[i].name,
                 want, kot_rules[i].name, have);

        if (fault) {
            fault->rule = kot_rules[i].name;
            fault->reason = "looser";
            fault->min[0] = '\0';
            snprintf(fault->limit, sizeof(fault->limit), "%s", have);
        }

        return -1;
    }

    return 0;
}


int
kot_policy_tenant_set(kot_policy_t *p, const char *s, size_t len, char *err,
    size_t err_len, kot_policy_fault_t *fault)
{
    size_t       n;
    const char  *eq;

    eq = memchr(s, '=', len);
    n = eq ? (size_t) (eq - s) : len;

    if ((n == 10 && memcmp(s, "max_length", 10) == 0)
        || (n == 9 && memcmp(s, "blocklist", 9) == 0))
    {
        snprintf(err, err_len, "\"%.*s\": %.*s is set for the whole "
                 "server by kot_password_policy, not per tenant",
                 (int) len, s, (int) n, s);

        if (fault) {
            fault->rule = (n == 9) ? "blocklist" : "max_length";
            fault->reason = "server";
            fault->min[0] = '\0';
            fault->limit[0] = '\0';
        }

        return -1;
    }

    return kot_policy_set_rule(p, s, len, err, err_len, fault);
}


int
kot_policy_tenant_check(const kot_policy_t *server, const kot_policy_t *t,
    char *err, size_t err_len)
{
    if (kot_policy_check_tighter(server, t, err, err_len, NULL) != 0) {
        return -1;
    }

    return kot_policy_valid(t, err, err_len, NULL);
}


static int
kot_policy_looser(const kot_rule_t *rule, const kot_policy_t *base,
    const kot_policy_t *p)
{
    uint64_t  b, v;

    switch (rule->kind) {

    case KOT_RULE_FLAG:
    case KOT_RULE_REQUIRED:
        return *kot_rule_int(p, rule) < *kot_rule_int(base, rule);

    case KOT_RULE_COUNT:
        return *kot_rule_uint(p, rule) < *kot_rule_uint(base, rule);

    case KOT_RULE_AGE_MIN:
        return *kot_rule_ms(p, rule) < *kot_rule_ms(base, rule);

    default:
        b = *kot_rule_ms(base, rule);
        v = *kot_rule_ms(p, rule);

        /* 0 is "never": the loosest of all */
        return b != 0 && (v == 0 || v > b);
    }
}


void
kot_policy_strictest(kot_policy_t *out, const kot_policy_t *a,
    const kot_policy_t *b)
{
    size_t             i;
    uint64_t           x, y;
    kot_policy_t       r;
    const kot_rule_t  *rule;

    r = *a;

    for (i = 0; i < KOT_RULES_N; i++) {
        rule = &kot_rules[i];

        if (strcmp(rule->name, "max_length") == 0
            || !kot_policy_looser(rule, b, a))
        {
            continue;
        }

        /* a is looser than b here: take b's */
        switch (rule->kind) {

        case KOT_RULE_FLAG:
        case KOT_RULE_REQUIRED:
            *kot_rule_int(&r, rule) = *kot_rule_int(b, rule);
            break;

        case KOT_RULE_COUNT:
            *kot_rule_uint(&r, rule) = *kot_rule_uint(b, rule);
            break;

        default:
            x = *kot_rule_ms(a, rule);
            y = *kot_rule_ms(b, rule);
            *kot_rule_ms(&r, rule) = (rule->kind == KOT_RULE_AGE_MIN
                                      || x == 0 || y < x) ? y : x;
            break;
        }
    }

    if (r.min_length > r.max_length) {
        r.min_length = r.max_length;
    }

    *out = r;
}


uint64_t
kot_policy_inactive_before(const kot_policy_t *p, uint64_t now)
{
    return (p->inactive_after != 0 && now > p->inactive_after)
           ? now - p->inactive_after : 0;
}


int
kot_policy_inactive(const kot_policy_t *p, uint64_t active, uint64_t now)
{
    /* a clock behind another node's makes no account inactive */
    return active < kot_policy_inactive_before(p, now);
}


static void
kot_policy_show(const kot_rule_t *rule, const kot_policy_t *p, char *buf,
    size_t len)
{
    uint64_t  ms;

    switch (rule->kind) {

    case KOT_RULE_FLAG:
        snprintf(buf, len, "%s", *kot_rule_int(p, rule) ? "on" : "off");
        return;

    case KOT_RULE_REQUIRED:
        snprintf(buf, len, "%s",
                 *kot_rule_int(p, rule) ? KOT_POLICY_REQUIRED
                                        : KOT_POLICY_OPTIONAL);
        return;

    case KOT_RULE_COUNT:
        snprintf(buf, len, "%u", *kot_rule_uint(p, rule));
        return;

    default:
        ms = *kot_rule_ms(p, rule);

        if (ms == 0) {
            snprintf(buf, len, "0");

        } else if (ms % 86400000 == 0) {
            snprintf(buf, len, "%llud", (unsigned long long) (ms / 86400000));

        } else if (ms % 1000 == 0) {
            snprintf(buf, len, "%llus", (unsigned long long) (ms / 1000));

        } else {
            snprintf(buf, len, "%llums", (unsigned long long) ms);
        }
    }
}


int
kot_parse_duration(const char *s, size_t len, uint64_t *ms)
{
    size_t    i;
    uint64_t  n, unit, total;

    if (len == 1 && s[0] == '0') {
        *ms = 0;
        return 0;
    }

    total = 0;
    i = 0;

    if (len == 0) {
        return -1;
    }

    while (i < len) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }

        for (n = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
            n = n * 10 + (s[i] - '0');

            /* a century in ms has 13 digits */
            if (n > 10000000000000ULL) {
                return -1;
            }
        }

        if (i == len) {
            return -1;
        }

        switch (s[i++]) {
        case 'm':
            if (i < len && s[i] == 's') {
                i++;
                unit = 1;
            } else {
                unit = 60 * 1000;
            }
            break;
        case 's': unit = 1000; break;
        case 'h': unit = 3600 * 1000; break;
        case 'd': unit = 86400ULL * 1000; break;
        case 'w': unit = 7 * 86400ULL * 1000; break;
        case 'M': unit = 30 * 86400ULL * 1000; break;
        case 'y': unit = 365 * 86400ULL * 1000; break;
        default: return -1;
        }

        if (n > UINT64_MAX / unit || total + n * unit < total) {
            return -1;
        }

        total += n * unit;
    }

    *ms = total;

    return 0;
}


/* blocklist */

struct kot_blocklist_s {
    char     **words;           /* lower case, sorted */
    size_t     n;
    char      *text;            /* the file, lower-cased, NUL-separated */
};


static int kot_blocklist_cmp(const void *a, const void *b);
static int kot_blocklist_lower_cmp(const char *w, const char *pw,
    size_t len);


kot_blocklist_t *
kot_blocklist_load(const char *path, char *err, size_t err_len)
{
    char             *p, *line, *end;
    FILE             *f;
    long              size;
    size_t            n, cap;
    kot_blocklist_t  *bl;

    f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, err_len, "cannot open \"%s\": %s", path,
                 strerror(errno));
        return NULL;
    }

    bl = calloc(1, sizeof(kot_blocklist_t));

    if (bl == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0
        || size > 256 * 1024 * 1024 || fseek(f, 0, SEEK_SET) != 0
        || (bl->text = malloc(size + 1)) == NULL
        || fread(bl->text, 1, size, f) != (size_t) size)
    {
        snprintf(err, err_len, "cannot read \"%s\"", path);
        fclose(f);
        kot_blocklist_free(bl);
        return NULL;
    }

    fclose(f);
    bl->text[size] = '\n';

    cap = 0;
    n = 0;
    end = bl->text + size;

    for (line = bl->text; line < end; line = p + 1) {
        p = memchr(line, '\n', end + 1 - line);
        *p = '\0';

        if (p > line && p[-1] == '\r') {
            p[-1] = '\0';
        }

        if (*line == '\0' || strncmp(line, "#!comment", 9) == 0) {
            continue;
        }

        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            bl->words = realloc(bl->words, cap * sizeof(char *));
            if (bl->words == NULL) {
                snprintf(err, err_len, "out of memory");
                kot_blocklist_free(bl);
                return NULL;
            }
        }

        for (p = line; *p; p++) {
            *p = (char) kot_policy_lower((unsigned char) *p);
        }

        bl->words[n++] = line;
    }

    bl->n = n;
    qsort(bl->words, n, sizeof(char *), kot_blocklist_cmp);

    return bl;
}


int
kot_blocklist_has(const kot_blocklist_t *bl, const char *pw, size_t len)
{
    int     c;
    size_t  lo, hi, mid;

    lo = 0;
    hi = bl->n;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        c = kot_blocklist_lower_cmp(bl->words[mid], pw, len);

        if (c == 0) {
            return 1;
        }

        if (c < 0) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return 0;
}


size_t
kot_blocklist_count(const kot_blocklist_t *bl)
{
    return bl->n;
}


void
kot_blocklist_free(kot_blocklist_t *bl)
{
    if (bl) {
        free(bl->words);
        free(bl->text);
        free(bl);
    }
}


static int
kot_blocklist_cmp(const void *a, const void *b)
{
    return strcmp(*(char * const *) a, *(char * const *) b);
}


/* strcmp() of a stored word against the password lower-cased on the fly */

static int
kot_blocklist_lower_cmp(const char *w, const char *pw, size_t len)
{
    size_t         i;
    unsigned char  a, b;

    for (i = 0; i < len; i++) {
        a = (unsigned char) w[i];
        b = kot_policy_lower((unsigned char) pw[i]);

        if (a != b) {
            return (a < b) ? -1 : 1;
        }

        if (a == '\0') {
            return -1;
        }
    }

    return w[len] == '\0' ? 0 : 1;
}


size_t
kot_policy_explain(unsigned bits, const kot_policy_t *p, const char *sep,
    char *buf, size_t len)
{
    int          n;
    char         what[96];
    size_t       i, used;
    const char  *s;

    static const unsigned  order[] = {
        KOT_PW_TOO_SHORT, KOT_PW_TOO_LONG, KOT_PW_INVALID_CHARS,
        KOT_PW_CLASSES, KOT_PW_USERNAME, KOT_PW_BLOCKLISTED
    };

    if (len == 0) {
        return 0;
    }

    buf[0] = '\0';
    used = 0;

    for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        if (!(bits & order[i])) {
            continue;
        }

        s = what;

        switch (order[i]) {
        case KOT_PW_TOO_SHORT:
            snprintf(what, sizeof(what), "too short: at least %u characters",
                     p->min_length);
            break;
        case KOT_PW_TOO_LONG:
            snprintf(what, sizeof(what), "too long: at most %u characters",
                     p->max_length);
            break;
        case KOT_PW_INVALID_CHARS:
            s = "control characters or invalid UTF-8";
            break;
        case KOT_PW_CLASSES:
            snprintf(what, sizeof(what), "too few kinds of characters: %u "
                     "of lower case, upper case, digits, symbols",
                     p->classes);
            break;
        case KOT_PW_USERNAME:
            s = "contains the username";
            break;
        default:
            s = "a common password from the blocklist";
        }

        n = snprintf(buf + used, len - used, "%s%s", used ? sep : "", s);

        if (n < 0 || (size_t) n >= len - used) {
            return strlen(buf);
        }

        used += n;
    }

    return used;
}


long
kot_policy_generate(const kot_policy_t *p, const char *user,
    size_t user_len, char *out, size_t cap, unsigned *bits)
{
    size_t    i, j, n, len, limit;
    unsigned  try;
    uint8_t   rnd[64];

    static const char  alnum[] = "abcdefghijkmnpqrstuvwxyz"
                                 "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    static const char  all[] = "abcdefghijkmnpqrstuvwxyz"
                               "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
                               "#%+-=?@_";
    const char        *alphabet;

    if (cap < 2) {
        *bits = KOT_PW_TOO_SHORT;
        return -2;
    }

    len = (p->min_length > KOT_GENERATED_MIN) ? p->min_length
                                              : KOT_GENERATED_MIN;
    len = (len > p->max_length) ? p->max_length : len;
    len = (len > cap - 1) ? cap - 1 : len;

    alphabet = (p->classes >= 4) ? all : alnum;
    n = strlen(alphabet);
    limit = 256 - 256 % n;

    *bits = KOT_PW_OK;

    for (try = 0; try < KOT_GENERATE_TRIES; try++) {

        /* uniform over the alphabet: bytes above limit are drawn again */

        for (i = 0, j = sizeof(rnd); i < len; j++) {
            if (j == sizeof(rnd)) {
                if (kot_random(rnd, sizeof(rnd)) != 0) {
                    kot_cleanse(out, cap);
                    return -1;
                }

                j = 0;
            }

            if (rnd[j] < limit) {
                out[i++] = alphabet[rnd[j] % n];
            }
        }

        out[len] = '\0';

        *bits = kot_policy_check(p, out, len, user, user_len);
        if (*bits == KOT_PW_OK) {
            kot_cleanse(rnd, sizeof(rnd));
            return (long) len;
        }
    }

    kot_cleanse(rnd, sizeof(rnd));
    kot_cleanse(out, cap);

    return -2;
}
