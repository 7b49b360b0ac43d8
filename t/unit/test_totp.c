/*
 * Unit tests of kot_totp: the vectors of RFC 6238 (appendix B, SHA-1)
 * and RFC 4226 (appendix D), the window of one step back, typed codes,
 * recovery codes, sealed seeds and the otpauth URI.
 */

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "kot_base32.h"
#include "kot_crypto.h"
#include "kot_totp.h"


static const uint8_t  rfc_seed[] = "12345678901234567890";


static void
test_rfc6238(void)
{
    size_t  i;
    char    code[16];

    /* appendix B, the SHA-1 rows: time in seconds, 8 digits */
    static const struct {
        uint64_t     time;
        const char  *totp;
    } v[] = {
        { 59, "94287082" },
        { 1111111109, "07081804" },
        { 1111111111, "14050471" },
        { 1234567890, "89005924" },
        { 2000000000, "69279037" },
        { 20000000000ULL, "65353130" },
    };

    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        snprintf(code, sizeof(code), "%08ld",
                 kot_hotp(rfc_seed, 20, kot_totp_step(v[i].time), 8));
        is_str(code, v[i].totp, "RFC 6238 appendix B: T = %llu",
               (unsigned long long) v[i].time);
    }
}


static void
test_rfc4226(void)
{
    size_t  i;

    static const long  v[] = {
        755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583,
        399871, 520489
    };

    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        is_long(kot_hotp(rfc_seed, 20, i, 6), v[i],
                "RFC 4226 appendix D: count %zu", i);
    }

    is_long(kot_hotp(rfc_seed, 20, 0, 5), -1, "hotp: 5 digits is refused");
}


static void
code_of(uint64_t step, char out[7])
{
    snprintf(out, 7, "%06ld", kot_hotp(rfc_seed, 20, step, 6));
}


static void
test_window(void)
{
    char      c[7];
    uint64_t  now, used;

    now = kot_totp_step(1111111111);

    code_of(now, c);
    used = 0;
    is_long(kot_totp_check(rfc_seed, 20, now, c, 6, &used), 1,
            "check: the code of the current step is accepted");
    ok(used == now, "check: and reports the current step");

    code_of(now - 1, c);
    is_long(kot_totp_check(rfc_seed, 20, now, c, 6, &used), 1,
            "check: the code of one step back is accepted");
    ok(used == now - 1, "check: and reports that step");

    code_of(now - 2, c);
    is_long(kot_totp_check(rfc_seed, 20, now, c, 6, &used), 0,
            "check: the code of two steps back is refused");

    code_of(now + 1, c);
    is_long(kot_totp_check(rfc_seed, 20, now, c, 6, &used), 0,
            "check: the code of the next step is refused");

    code_of(now, c);
    is_long(kot_totp_check(rfc_seed, 20, now, c, 5, &used), 0,
            "check: a code of the wrong length is refused");
    c[5] = (c[5] == '9') ? '0' : c[5] + 1;
    is_long(kot_totp_check(rfc_seed, 20, now, c, 6, &used), 0,
            "check: a code one digit off is refused");
}


static void
test_kind(void)
{
    char    out[KOT_RECOVERY_CHARS + 1];
    size_t  n;

    is_long(kot_code_kind(" 123 456 ", 9, out, &n), KOT_CODE_TOTP,
            "kind: 6 digits with spaces are a TOTP code");
    is_str(out, "123456", "kind: spaces are dropped");
    is_long(kot_code_kind("ABCDE-FGH23", 11, out, &n), KOT_CODE_RECOVERY,
            "kind: a recovery code as shown, in upper case");
    is_str(out, "abcdefgh23", "kind: folded and without the dash");
    is_long(kot_code_kind("12345", 5, out, &n), KOT_CODE_INVALID,
            "kind: 5 digits are nothing");
    is_long(kot_code_kind("1234567", 7, out, &n), KOT_CODE_INVALID,
            "kind: 7 digits are nothing");
    is_long(kot_code_kind("abcde-fgh18", 11, out, &n), KOT_CODE_INVALID,
            "kind: 1 and 8 are not in a recovery code");
    is_long(kot_code_kind("abcde-fghij-k", 13, out, &n), KOT_CODE_INVALID,
            "kind: too long is nothing");
    is_long(kot_code_kind("", 0, out, &n), KOT_CODE_INVALID,
            "kind: empty is nothing");
}


static void
test_recovery(void)
{
    int     i, j, distinct, shape;
    char    codes[KOT_RECOVERY_N][KOT_RECOVERY_LEN + 1];
    char    norm[KOT_RECOVERY_CHARS + 1], h1[KOT_RECOVERY_HASH_LEN + 1];
    char            h2[KOT_RECOVERY_HASH_LEN + 1];
    size_t          n;
    uint8_t         raw[32];
    kot_hmac_key_t  key, other;

    memset(raw, 0x42, sizeof(raw));
    kot_hmac_key(&key, raw, sizeof(raw));

    shape = 1;

    for (i = 0; i < KOT_RECOVERY_N; i++) {
        kot_recovery_generate(codes[i]);

        shape = shape && strlen(codes[i]) == KOT_RECOVERY_LEN
                && codes[i][5] == '-'
                && kot_code_kind(codes[i], KOT_RECOVERY_LEN, norm, &n)
                   == KOT_CODE_RECOVERY;
    }

    ok(shape, "recovery: every code is xxxxx-xxxxx and reads back as one");

    distinct = 1;
    for (i = 0; i < KOT_RECOVERY_N; i++) {
        for (j = i + 1; j < KOT_RECOVERY_N; j++) {
            distinct = distinct && strcmp(codes[i], codes[j]) != 0;
        }
    }
    ok(distinct, "recovery: ten codes are ten different codes");

    kot_code_kind(codes[0], KOT_RECOVERY_LEN, norm, &n);
    kot_recovery_hash(&key, "o", 1, norm, n, h1);
    h1[KOT_RECOVERY_HASH_LEN] = '\0';
    ok(strstr(h1, norm) == NULL, "recovery: the hash does not hold the code");

    kot_code_kind("  ABCDE fgh23", 13, norm, &n);
    kot_recovery_hash(&key, "o", 1, norm, n, h1);
    kot_code_kind("abcde-fgh23", 11, norm, &n);
    kot_recovery_hash(&key, "o", 1, norm, n, h2);
    h2[KOT_RECOVERY_HASH_LEN] = '\0';
    ok(memcmp(h1, h2, KOT_RECOVERY_HASH_LEN) == 0,
       "recovery: a code typed differently hashes the same");

    kot_code_kind("abcde-fgh24", 11, norm, &n);
    kot_recovery_hash(&key, "o", 1, norm, n, h2);
    ok(memcmp(h1, h2, KOT_RECOVERY_HASH_LEN) != 0,
       "recovery: another code hashes differently");

    /* keyed by the secret, bound to the owner */
    memset(raw, 0x24, sizeof(raw));
    kot_hmac_key(&other, raw, sizeof(raw));
    kot_code_kind("abcde-fgh23", 11, norm, &n);
    kot_recovery_hash(&key, "o", 1, norm, n, h1);
    kot_recovery_hash(&other, "o", 1, norm, n, h2);
    ok(memcmp(h1, h2, KOT_RECOVERY_HASH_LEN) != 0,
       "recovery: another secret hashes the same code differently");
    kot_recovery_hash(&key, "p", 1, norm, n, h2);
    ok(memcmp(h1, h2, KOT_RECOVERY_HASH_LEN) != 0,
       "recovery: so does another owner");

    /* the vector of the releases before the key: SHA-256 of a prefix */
    is_long(kot_recovery_hash_unkeyed(norm, n, h2), 0,
            "recovery: the unkeyed form of earlier releases");
    h2[KOT_RECOVERY_HASH_LEN] = '\0';
    is_str(h2, "3GEv8nUSc8iwstqMNsnCln4ScM00L96Q4OA0cjv3uJw",
           "recovery: is base64url SHA-256(\"kot-v1 recovery \" code)");
    ok(memcmp(h1, h2, KOT_RECOVERY_HASH_LEN) != 0,
       "recovery: and is not the keyed one");
    is_long(kot_recovery_hash(&key, "o", 1, norm, n - 1, h2), -1,
            "recovery: a code of another length is refused");
}


static void
test_seal(void)
{
    int      n;
    char     aad[128], sealed[KOT_TOTP_SEALED_LEN + 1], b32[64];
    uint8_t  key[32], seed[KOT_TOTP_SEED_LEN], back[KOT_TOTP_SEED_LEN];

    memset(key, 0x42, sizeof(key));
    kot_random(seed, sizeof(seed));

    n = kot_totp_aad(aad, sizeof(aad), "acme", 4, "alice", 5);
    is_str(aad, "kot-v1 totp acme:alice", "aad: names the owner");

    is_long(kot_totp_seal(key, aad, n, seed, sealed), 0, "seal: seals");
    sealed[KOT_TOTP_SEALED_LEN] = '\0';
    kot_base32_encode(b32, seed, sizeof(seed));
    b32[KOT_TOTP_SECRET_LEN] = '\0';
    ok(strstr(sealed, b32) == NULL && memmem(sealed, KOT_TOTP_SEALED_LEN,
                                             seed, 4) == NULL,
       "seal: neither the seed nor its base32 is in the sealed value");

    is_long(kot_totp_open(key, aad, n, sealed, KOT_TOTP_SEALED_LEN, back), 0,
            "open: opens for its owner");
    ok(memcmp(seed, back, sizeof(seed)) == 0, "open: gives the seed back");

    n = kot_totp_aad(aad, sizeof(aad), "acme", 4, "bob", 3);
    is_long(kot_totp_open(key, aad, n, sealed, KOT_TOTP_SEALED_LEN, back),
            -1, "open: another user's record does not open it");

    is_long(kot_totp_aad(aad, 10, "acme", 4, "alice", 5), -1,
            "aad: a buffer too small is refused");
}


static void
test_issuer_uri(void)
{
    char    uri[512];
    size_t  n;

    ok(kot_totp_issuer_valid("Example Inc.", 12), "issuer: a name is fine");
    ok(kot_totp_issuer_valid("勤怠", 6), "issuer: Japanese is fine");
    ok(!kot_totp_issuer_valid("a:b", 3), "issuer: ':' is refused");
    ok(!kot_totp_issuer_valid("a\nb", 3), "issuer: a newline is refused");
    ok(!kot_totp_issuer_valid("\xff", 1), "issuer: invalid UTF-8 is refused");
    ok(!kot_totp_issuer_valid("", 0), "issuer: empty is refused");

    n = kot_totp_uri(NULL, "Example Inc", 11, "alice@acme", 10,
                     "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", 32);
    kot_totp_uri(uri, "Example Inc", 11, "alice@acme", 10,
                 "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", 32);
    uri[n] = '\0';
    is_str(uri, "otpauth://totp/Example%20Inc:alice%40acme"
           "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Example%20Inc"
           "&algorithm=SHA1&digits=6&period=30",
           "uri: the otpauth URI, percent-encoded");
}


int
main(void)
{
    test_rfc6238();
    test_rfc4226();
    test_window();
    test_kind();
    test_recovery();
    test_seal();
    test_issuer_uri();

    return done_testing();
}
