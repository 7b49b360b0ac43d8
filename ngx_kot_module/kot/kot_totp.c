/*
 * ngx_kot: TOTP (RFC 6238), recovery codes and the otpauth URI.
 * Checked against RFC 6238's appendix B in t/unit/test_totp.c.
 */

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "kot_b64.h"
#include "kot_base32.h"
#include "kot_crypto.h"
#include "kot_text.h"
#include "kot_totp.h"
#include "kot_utf8.h"


#define KOT_TOTP_AAD_PREFIX  "kot-v1 totp "
#define KOT_RECOVERY_PREFIX  "kot-v1 recovery "


static void kot_totp_digits(char out[KOT_TOTP_DIGITS], uint32_t v);
static char *kot_totp_copy(char *dst, const char *src, size_t len);


static const uint32_t  kot_pow10[] = {
    1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000
};


long
kot_hotp(const uint8_t *key, size_t key_len, uint64_t counter,
    unsigned digits)
{
    int            i;
    uint8_t        msg[8], md[EVP_MAX_MD_SIZE];
    uint32_t       bin;
    unsigned int   md_len, off;

    if (digits < 6 || digits > 8 || key_len > 1024) {
        return -1;
    }

    for (i = 7; i >= 0; i--) {
        msg[i] = (uint8_t) (counter & 0xff);
        counter >>= 8;
    }

    if (HMAC(EVP_sha1(), key, (int) key_len, msg, sizeof(msg), md, &md_len)
        == NULL || md_len != 20)
    {
        return -1;
    }

    /* RFC 4226 section 5.3, dynamic truncation */
    off = md[19] & 0x0f;
    bin = ((uint32_t) (md[off] & 0x7f) << 24)
          | ((uint32_t) md[off + 1] << 16)
          | ((uint32_t) md[off + 2] << 8)
          | (uint32_t) md[off + 3];

    kot_cleanse(md, sizeof(md));

    return (long) (bin % kot_pow10[digits]);
}


int
kot_totp_check(const uint8_t *key, size_t key_len, uint64_t step,
    const char *code, size_t len, uint64_t *used)
{
    int       i, match[2];
    long      v;
    char      want[KOT_TOTP_DIGITS];
    uint64_t  s;

    if (len != KOT_TOTP_DIGITS || step == 0) {
        return 0;
    }

    /* both steps always, so that the time does not tell which matched */
    for (i = 0; i < 2; i++) {
        s = step - (uint64_t) i;

        v = kot_hotp(key, key_len, s, KOT_TOTP_DIGITS);
        if (v < 0) {
            return -1;
        }

        kot_totp_digits(want, (uint32_t) v);
        match[i] = kot_ct_equal(want, code, KOT_TOTP_DIGITS);
    }

    kot_cleanse(want, sizeof(want));

    if (match[0]) {
        *used = step;
        return 1;
    }

    if (match[1]) {
        *used = step - 1;
        return 1;
    }

    return 0;
}


kot_code_kind_t
kot_code_kind(const char *in, size_t len, char *out, size_t *out_len)
{
    char      c;
    size_t    i, n, digits;

    n = 0;
    digits = 0;

    for (i = 0; i < len; i++) {
        c = in[i];

        if (c == ' ' || c == '-') {
            continue;
        }

        if (n == KOT_RECOVERY_CHARS) {
            out[0] = '\0';
            *out_len = 0;
            return KOT_CODE_INVALID;
        }

        if (c >= 'A' && c <= 'Z') {
            c = (char) (c - 'A' + 'a');
        }

        digits += (c >= '0' && c <= '9');
        out[n++] = c;
    }

    out[n] = '\0';
    *out_len = n;

    if (n == KOT_TOTP_DIGITS && digits == n) {
        return KOT_CODE_TOTP;
    }

    if (n != KOT_RECOVERY_CHARS) {
        return KOT_CODE_INVALID;
    }

    /* the lower-case base32 alphabet of kot_recovery_generate() */
    for (i = 0; i < n; i++) {
        if (!((out[i] >= 'a' && out[i] <= 'z')
              || (out[i] >= '2' && out[i] <= '7')))
        {
            return KOT_CODE_INVALID;
        }
    }

    return KOT_CODE_RECOVERY;
}


int
kot_recovery_generate(char out[KOT_RECOVERY_LEN + 1])
{
    size_t   i;
    char     b32[16];
    uint8_t  raw[7];

    if (kot_random(raw, sizeof(raw)) != 0) {
        return -1;
    }

    /* 50 bits: the last byte gives 2 bits, the other 6 of it are dropped */
    raw[6] &= 0xc0;
    (void) kot_base32_encode(b32, raw, sizeof(raw));
    kot_cleanse(raw, sizeof(raw));

    for (i = 0; i < KOT_RECOVERY_CHARS; i++) {
        if (b32[i] >= 'A' && b32[i] <= 'Z') {
            b32[i] = (char) (b32[i] - 'A' + 'a');
        }
    }

    memcpy(out, b32, 5);
    out[5] = '-';
    memcpy(out + 6, b32 + 5, 5);
    out[KOT_RECOVERY_LEN] = '\0';

    kot_cleanse(b32, sizeof(b32));

    return 0;
}


int
kot_recovery_hash(const kot_hmac_key_t *key, const char *owner,
    size_t owner_len, const char *code, size_t len,
    char out[KOT_RECOVERY_HASH_LEN])
{
    uint8_t  md[KOT_MAC_LEN];

    /* a fixed length: owner || code cannot be read two ways */
    if (len != KOT_RECOVERY_CHARS) {
        return -1;
    }

    kot_hmac_mac(key, owner, owner_len, code, len, md);
    (void) kot_b64url_encode(out, md, sizeof(md));
    kot_cleanse(md, sizeof(md));

    return 0;
}


int
kot_recovery_hash_unkeyed(const char *code, size_t len,
    char out[KOT_RECOVERY_HASH_LEN])
{
    char     msg[sizeof(KOT_RECOVERY_PREFIX) + KOT_RECOVERY_CHARS];
    uint8_t  md[KOT_MAC_LEN];

    if (len != KOT_RECOVERY_CHARS) {
        return -1;
    }

    memcpy(msg, KOT_RECOVERY_PREFIX, sizeof(KOT_RECOVERY_PREFIX) - 1);
    memcpy(msg + sizeof(KOT_RECOVERY_PREFIX) - 1, code, len);

    if (kot_sha256(msg, sizeof(KOT_RECOVERY_PREFIX) - 1 + len, md) != 0) {
        return -1;
    }

    kot_cleanse(msg, sizeof(msg));
    (void) kot_b64url_encode(out, md, sizeof(md));

    return 0;
}


int
kot_totp_aad(char *out, size_t cap, const char *tenant, size_t tenant_len,
    const char *user, size_t user_len)
{
    int  n;

    n = snprintf(out, cap, "%s%.*s:%.*s", KOT_TOTP_AAD_PREFIX,
                 (int) tenant_len, tenant, (int) user_len, user);

    return (n < 0 || (size_t) n >= cap) ? -1 : n;
}


int
kot_totp_seal(const uint8_t key[32], const char *aad, size_t aad_len,
    const uint8_t seed[KOT_TOTP_SEED_LEN], char out[KOT_TOTP_SEALED_LEN])
{
    uint8_t  sealed[KOT_TOTP_SEED_LEN + KOT_AEAD_OVERHEAD];

    if (kot_aead_seal(key, aad, aad_len, seed, KOT_TOTP_SEED_LEN, sealed)
        != 0)
    {
        return -1;
    }

    (void) kot_b64url_encode(out, sealed, sizeof(sealed));

    return 0;
}


int
kot_totp_open(const uint8_t key[32], const char *aad, size_t aad_len,
    const char *sealed, size_t len, uint8_t seed[KOT_TOTP_SEED_LEN])
{
    uint8_t  raw[KOT_TOTP_SEED_LEN + KOT_AEAD_OVERHEAD];

    if (len != KOT_TOTP_SEALED_LEN
        || kot_b64url_decode(raw, sizeof(raw), sealed, len)
           != (ssize_t) sizeof(raw))
    {
        return -1;
    }

    return kot_aead_open(key, aad, aad_len, raw, sizeof(raw), seed);
}


int
kot_totp_issuer_valid(const char *s, size_t len)
{
    int                   n;
    uint32_t              cp;
    const unsigned char  *p, *end;

    if (len == 0 || len > KOT_TOTP_ISSUER_MAX) {
        return 0;
    }

    p = (const unsigned char *) s;
    end = p + len;

    while (p < end) {
        n = kot_utf8_decode(p, end - p, &cp);

        if (n < 0 || cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == ':') {
            return 0;
        }

        p += n;
    }

    return 1;
}


size_t
kot_totp_uri(char *dst, const char *issuer, size_t issuer_len,
    const char *account, size_t account_len, const char *secret,
    size_t secret_len)
{
    size_t  n, ilen;

    static const char  scheme[] = "otpauth://totp/";
    static const char  param[] = "?secret=";
    static const char  iparam[] = "&issuer=";
    static const char  tail[] = "&algorithm=SHA1&digits=6&period=30";

    ilen = kot_url_escape_len(issuer, issuer_len);

    n = sizeof(scheme) - 1 + ilen + 1
        + kot_url_escape_len(account, account_len)
        + sizeof(param) - 1 + secret_len + sizeof(iparam) - 1 + ilen
        + sizeof(tail) - 1;

    if (dst == NULL) {
        return n;
    }

    dst = kot_totp_copy(dst, scheme, sizeof(scheme) - 1);
    dst += kot_url_escape(dst, issuer, issuer_len);
    *dst++ = ':';
    dst += kot_url_escape(dst, account, account_len);
    dst = kot_totp_copy(dst, param, sizeof(param) - 1);
    dst = kot_totp_copy(dst, secret, secret_len);
    dst = kot_totp_copy(dst, iparam, sizeof(iparam) - 1);
    dst += kot_url_escape(dst, issuer, issuer_len);
    (void) kot_totp_copy(dst, tail, sizeof(tail) - 1);

    return n;
}


static char *
kot_totp_copy(char *dst, const char *src, size_t len)
{
    memcpy(dst, src, len);

    return dst + len;
}


/* v as KOT_TOTP_DIGITS digits with leading zeros, as apps show it */

static void
kot_totp_digits(char out[KOT_TOTP_DIGITS], uint32_t v)
{
    int  i;

    for (i = KOT_TOTP_DIGITS - 1; i >= 0; i--) {
        out[i] = (char) ('0' + v % 10);
        v /= 10;
    }
}
