/*
 * Unit tests of kot_crypto: RFC 4231 and FIPS 180 vectors, key
 * derivation, constant-time comparison and wiping.
 */

#include <stdint.h>
#include <string.h>

#include "tap.h"
#include "kot_crypto.h"


static const char *
hex(const uint8_t *p, size_t len)
{
    size_t       i;
    static char  buf[2 * 64 + 1];

    if (len > 64) {
        return "(too long)";
    }

    for (i = 0; i < len; i++) {
        sprintf(buf + 2 * i, "%02x", p[i]);
    }

    buf[2 * len] = '\0';

    return buf;
}


static void
test_hmac(void)
{
    uint8_t  key[131], out[KOT_MAC_LEN];
    const char  *msg;

    memset(key, 0x0b, 20);
    is_long(kot_hmac_sha256(key, 20, "Hi There", 8, out), 0,
            "hmac: RFC 4231 case 1 succeeds");
    is_str(hex(out, sizeof(out)),
           "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
           "hmac: RFC 4231 case 1 value");

    msg = "what do ya want for nothing?";
    kot_hmac_sha256((const uint8_t *) "Jefe", 4, msg, strlen(msg), out);
    is_str(hex(out, sizeof(out)),
           "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
           "hmac: RFC 4231 case 2 (short key)");

    memset(key, 0xaa, sizeof(key));
    msg = "Test Using Larger Than Block-Size Key - Hash Key First";
    kot_hmac_sha256(key, sizeof(key), msg, strlen(msg), out);
    is_str(hex(out, sizeof(out)),
           "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
           "hmac: RFC 4231 case 6 (key longer than a block)");

    is_long(kot_hmac_sha256(NULL, 0, NULL, 0, out), 0,
            "hmac: empty key and message are allowed");
    is_str(hex(out, sizeof(out)),
           "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad",
           "hmac: empty key and message value");

    is_long(kot_hmac_sha256(NULL, 5, "x", 1, out), -1,
            "hmac: NULL key with a length is refused");
}


static void
test_sha256(void)
{
    uint8_t  out[KOT_MAC_LEN];

    is_long(kot_sha256("abc", 3, out), 0, "sha256: succeeds");
    is_str(hex(out, sizeof(out)),
           "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
           "sha256: FIPS 180 \"abc\"");

    kot_sha256(NULL, 0, out);
    is_str(hex(out, sizeof(out)),
           "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
           "sha256: empty message");
}


static void
test_derive(void)
{
    uint8_t  master[KOT_MASTER_MAX + 1], a[KOT_KEY_LEN], b[KOT_KEY_LEN];
    uint8_t  want[KOT_MAC_LEN];
    const char  *msg;

    memset(master, 0x42, sizeof(master));

    is_long(kot_derive_key(master, KOT_MASTER_MIN, "session", a), 0,
            "derive: succeeds with a minimal master key");

    msg = "kot-v1 session";
    kot_hmac_sha256(master, KOT_MASTER_MIN, msg, strlen(msg), want);
    ok(memcmp(a, want, KOT_KEY_LEN) == 0,
       "derive: is HMAC(master, \"kot-v1 \" || label)");

    kot_derive_key(master, KOT_MASTER_MIN, "csrf", b);
    ok(memcmp(a, b, KOT_KEY_LEN) != 0, "derive: labels give distinct keys");

    kot_derive_key(master, KOT_MASTER_MIN + 1, "session", b);
    ok(memcmp(a, b, KOT_KEY_LEN) != 0,
       "derive: master keys give distinct keys");

    is_long(kot_derive_key(master, KOT_MASTER_MIN - 1, "session", a), -1,
            "derive: master key below the minimum is refused");
    is_long(kot_derive_key(master, KOT_MASTER_MAX, "session", a), 0,
            "derive: master key at the maximum is accepted");
    is_long(kot_derive_key(master, KOT_MASTER_MAX + 1, "session", a), -1,
            "derive: master key above the maximum is refused");
    is_long(kot_derive_key(master, KOT_MASTER_MIN, NULL, a), -1,
            "derive: NULL label is refused");
}


static void
test_ct_equal(void)
{
    size_t   i, len, missed;
    uint8_t  a[40], b[40];

    memset(a, 7, sizeof(a));
    memset(b, 7, sizeof(b));

    ok(kot_ct_equal(a, b, sizeof(a)) == 1, "ct_equal: equal buffers");
    b[39] = 8;
    ok(kot_ct_equal(a, b, sizeof(a)) == 0, "ct_equal: last byte differs");
    b[39] = 7;
    b[0] = 0;
    ok(kot_ct_equal(a, b, sizeof(a)) == 0, "ct_equal: first byte differs");
    ok(kot_ct_equal(a, b, 0) == 1, "ct_equal: empty buffers are equal");
    b[0] = 7;

    /* eight bytes at a time, then the rest: every place counts */

    missed = 0;

    for (len = 1; len <= sizeof(a); len++) {
        for (i = 0; i < len; i++) {
            b[i] ^= 0x80;
            missed += kot_ct_equal(a, b, len) != 0;
            missed += kot_ct_equal(a + 1, b + 1, len - 1) != (i == 0);
            b[i] ^= 0x80;
        }

        missed += kot_ct_equal(a, b, len) != 1;
    }

    is_long((long) missed, 0, "ct_equal: a difference at any place of any "
            "length, aligned or not");
}


static void
test_random_cleanse(void)
{
    uint8_t  a[32], b[32], zero[32];

    memset(zero, 0, sizeof(zero));

    is_long(kot_random(a, sizeof(a)), 0, "random: succeeds");
    kot_random(b, sizeof(b));
    ok(memcmp(a, b, sizeof(a)) != 0, "random: two draws differ");
    is_long(kot_random(NULL, 0), 0, "random: zero bytes is fine");

    kot_cleanse(a, sizeof(a));
    ok(memcmp(a, zero, sizeof(a)) == 0, "cleanse: wipes the buffer");
    kot_cleanse(NULL, 0);
    ok(1, "cleanse: NULL and zero length are harmless");
}


/* AES-256-GCM: what is sealed opens only with its key and its aad */
static void
test_aead(void)
{
    uint8_t  key[KOT_KEY_LEN], other[KOT_KEY_LEN];
    uint8_t  sealed[20 + KOT_AEAD_OVERHEAD], again[20 + KOT_AEAD_OVERHEAD];
    uint8_t  out[20];

    static const uint8_t  msg[20] = "twenty bytes of seed";

    memset(key, 7, sizeof(key));
    memset(other, 8, sizeof(other));

    is_long(kot_aead_seal(key, "tenant:user", 11, msg, sizeof(msg), sealed),
            0, "aead: seals");
    ok(memmem(sealed, sizeof(sealed), msg, 8) == NULL,
       "aead: the sealed value does not hold the plaintext");
    is_long(kot_aead_open(key, "tenant:user", 11, sealed, sizeof(sealed),
                          out), 0, "aead: opens with the same key and aad");
    ok(memcmp(out, msg, sizeof(msg)) == 0, "aead: gives the plaintext back");

    kot_aead_seal(key, "tenant:user", 11, msg, sizeof(msg), again);
    ok(memcmp(sealed, again, sizeof(sealed)) != 0,
       "aead: two seals of one value differ (random nonce)");

    is_long(kot_aead_open(key, "tenant:other", 12, sealed, sizeof(sealed),
                          out), -1, "aead: another aad does not open it");
    is_long(kot_aead_open(other, "tenant:user", 11, sealed, sizeof(sealed),
                          out), -1, "aead: another key does not open it");

    sealed[KOT_AEAD_NONCE_LEN + 3] ^= 1;
    is_long(kot_aead_open(key, "tenant:user", 11, sealed, sizeof(sealed),
                          out), -1, "aead: a flipped bit does not open");
    sealed[KOT_AEAD_NONCE_LEN + 3] ^= 1;

    is_long(kot_aead_open(key, "tenant:user", 11, sealed,
                          sizeof(sealed) - 1, out), -1,
            "aead: a cut value does not open");
    is_long(kot_aead_open(key, "", 0, sealed, 5, out), -1,
            "aead: a value shorter than nonce and tag is refused");
}


int
main(void)
{
    test_hmac();
    test_sha256();
    test_derive();
    test_ct_equal();
    test_random_cleanse();
    test_aead();

    return done_testing();
}
