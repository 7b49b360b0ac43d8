/*
 * ngx_kot: scrypt password hashes as PHC strings.
 *
 * kot_phc_hash() and kot_phc_verify() run in nginx thread-pool threads:
 * they keep no state between calls (kot_scrypt.c).
 */

#include <stdio.h>
#include <string.h>


#include "kot_b64.h"
#include "kot_crypto.h"
#include "kot_phc.h"
#include "kot_scrypt.h"


#define KOT_PHC_ID          "$scrypt$"
#define KOT_PHC_SALT_B64    kot_b64_encoded_len(KOT_PHC_SALT_LEN)
#define KOT_PHC_HASH_B64    kot_b64_encoded_len(KOT_PHC_HASH_LEN)

/* a parameter never needs more digits; more could overflow unsigned */
#define KOT_PHC_DIGITS_MAX  3


typedef struct {
    kot_scrypt_params_t  params;
    uint8_t              salt[KOT_PHC_SALT_LEN];
    uint8_t              hash[KOT_PHC_HASH_LEN];
} kot_phc_t;


/* Not secret: it only has to make the dummy hash well-formed. */
static const uint8_t  kot_phc_dummy_salt[KOT_PHC_SALT_LEN] =
    "kot-dummy-salt-1";


static int kot_phc_parse(const char *s, size_t len, kot_phc_t *phc);
static int kot_phc_literal(const char **p, const char *end, const char *lit);
static int kot_phc_number(const char **p, const char *end, unsigned *v);
static int kot_phc_b64_field(const char *s, size_t len, uint8_t *dst,
    size_t dst_len);
static int kot_phc_format(const kot_scrypt_params_t *sp, const uint8_t *salt,
    const uint8_t *hash, char *out, size_t cap);


int
kot_scrypt_params_ok(const kot_scrypt_params_t *sp)
{
    if (sp->ln < KOT_SCRYPT_LN_MIN || sp->ln > KOT_SCRYPT_LN_MAX
        || sp->r < 1 || sp->r > KOT_SCRYPT_R_MAX
        || sp->p < 1 || sp->p > KOT_SCRYPT_P_MAX)
    {
        return -1;
    }

    /*
     * Each hash holds 128 * r * N bytes while it runs, in every thread at
     * once: a hash string from a compromised store must not be able to
     * ask for gigabytes.
     */
    if (((uint64_t) 128 * sp->r) << sp->ln > KOT_SCRYPT_MEM_MAX) {
        return -1;
    }

    return 0;
}


int
kot_phc_hash(const kot_scrypt_params_t *sp, const char *pw, size_t len,
    char *out, size_t cap)
{
    int      rc;
    uint8_t  salt[KOT_PHC_SALT_LEN];
    uint8_t  hash[KOT_PHC_HASH_LEN];

    if (kot_scrypt_params_ok(sp) != 0) {
        return -1;
    }

    if (kot_random(salt, sizeof(salt)) != 0) {
        return -1;
    }

    rc = -1;

    if (kot_scrypt(pw, len, salt, sizeof(salt), sp->ln, sp->r, sp->p, hash,
                   sizeof(hash))
        == 0)
    {
        rc = kot_phc_format(sp, salt, hash, out, cap);
    }

    kot_cleanse(hash, sizeof(hash));

    return rc;
}


int
kot_phc_verify(const char *phc, size_t phc_len, const char *pw, size_t len)
{
    int        rc;
    uint8_t    hash[KOT_PHC_HASH_LEN];
    kot_phc_t  want;

    if (kot_phc_parse(phc, phc_len, &want) != 0) {
        return -1;
    }

    if (kot_scrypt(pw, len, want.salt, sizeof(want.salt), want.params.ln,
                   want.params.r, want.params.p, hash, sizeof(hash))
        != 0)
    {
        return -1;
    }

    rc = kot_ct_equal(hash, want.hash, sizeof(hash));

    kot_cleanse(hash, sizeof(hash));
    kot_cleanse(&want, sizeof(want));

    return rc;
}


int
kot_phc_params(const char *phc, size_t phc_len, kot_scrypt_params_t *sp)
{
    kot_phc_t  parsed;

    if (kot_phc_parse(phc, phc_len, &parsed) != 0) {
        return -1;
    }

    *sp = parsed.params;

    return 0;
}


int
kot_phc_needs_rehash(const char *phc, size_t phc_len,
    const kot_scrypt_params_t *want)
{
    kot_scrypt_params_t  have;

    if (kot_phc_params(phc, phc_len, &have) != 0) {
        return -1;
    }

    return have.ln < want->ln || have.r < want->r || have.p < want->p;
}


int
kot_phc_dummy(const kot_scrypt_params_t *sp, char *out, size_t cap)
{
    static const uint8_t  zero[KOT_PHC_HASH_LEN];

    if (kot_scrypt_params_ok(sp) != 0) {
        return -1;
    }

    return kot_phc_format(sp, kot_phc_dummy_salt, zero, out, cap);
}


/*
 * Strict parser: exactly one spelling per hash, so that a stored string
 * cannot be altered without the parser noticing.
 */

static int
kot_phc_parse(const char *s, size_t len, kot_phc_t *phc)
{
    const char  *p, *end, *dollar;

    if (s == NULL || len > KOT_PHC_MAX) {
        return -1;
    }

    p = s;
    end = s + len;

    if (kot_phc_literal(&p, end, KOT_PHC_ID "ln=") != 0
        || kot_phc_number(&p, end, &phc->params.ln) != 0
        || kot_phc_literal(&p, end, ",r=") != 0
        || kot_phc_number(&p, end, &phc->params.r) != 0
        || kot_phc_literal(&p, end, ",p=") != 0
        || kot_phc_number(&p, end, &phc->params.p) != 0
        || kot_phc_literal(&p, end, "$") != 0)
    {
        return -1;
    }

    if (kot_scrypt_params_ok(&phc->params) != 0) {
        return -1;
    }

    dollar = memchr(p, '$', end - p);
    if (dollar == NULL) {
        return -1;
    }

    if (kot_phc_b64_field(p, dollar - p, phc->salt, sizeof(phc->salt)) != 0
        || kot_phc_b64_field(dollar + 1, end - dollar - 1, phc->hash,
                             sizeof(phc->hash))
           != 0)
    {
        return -1;
    }

    return 0;
}


static int
kot_phc_literal(const char **p, const char *end, const char *lit)
{
    size_t  n;

    n = strlen(lit);

    if ((size_t) (end - *p) < n || memcmp(*p, lit, n) != 0) {
        return -1;
    }

    *p += n;

    return 0;
}


/* A decimal number: no sign, no leading zero, no more than a few digits. */

static int
kot_phc_number(const char **p, const char *end, unsigned *v)
{
    size_t       n;
    const char  *q;

    q = *p;
    *v = 0;

    for (n = 0; q < end && *q >= '0' && *q <= '9'; n++, q++) {
        if (n == KOT_PHC_DIGITS_MAX) {
            return -1;
        }

        *v = *v * 10 + (unsigned) (*q - '0');
    }

    if (n == 0 || (n > 1 && **p == '0')) {
        return -1;
    }

    *p = q;

    return 0;
}


/* A base64 field must decode to exactly dst_len bytes. */

static int
kot_phc_b64_field(const char *s, size_t len, uint8_t *dst, size_t dst_len)
{
    if (len != kot_b64_encoded_len(dst_len)) {
        return -1;
    }

    if (kot_b64_decode(dst, dst_len, s, len) != (ssize_t) dst_len) {
        return -1;
    }

    return 0;
}


static int
kot_phc_format(const kot_scrypt_params_t *sp, const uint8_t *salt,
    const uint8_t *hash, char *out, size_t cap)
{
    int     n;
    size_t  len;

    n = snprintf(out, cap, KOT_PHC_ID "ln=%u,r=%u,p=%u$", sp->ln, sp->r,
                 sp->p);
    if (n < 0) {
        return -1;
    }

    len = (size_t) n;

    if (len + KOT_PHC_SALT_B64 + 1 + KOT_PHC_HASH_B64 + 1 > cap) {
        return -1;
    }

    len += kot_b64_encode(out + len, salt, KOT_PHC_SALT_LEN);
    out[len++] = '$';
    len += kot_b64_encode(out + len, hash, KOT_PHC_HASH_LEN);
    out[len] = '\0';

    return (int) len;
}
