/*
 * Unit tests of kot_phc: scrypt known answers (RFC 7914), PHC hashing and
 * verification at ln=10, and the strictness of the parser.
 */

#include <stdint.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "tap.h"
#include "kot_phc.h"
#include "kot_scrypt.h"


#define FAST  { 10, 8, 1 }

/* made by Python's hashlib.scrypt, salt 00..0f */
#define PY_PHC  "$scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$" \
                "mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU"
#define PY_PW   "correct horse battery staple"

#define PY_PHC_JA  "$scrypt$ln=11,r=4,p=2$AAECAwQFBgcICQoLDA0ODw$" \
                   "fPchE/6lZbaKR+Kg0ByoHDLUJB9x0eg6T7h17KyjZds"
#define PY_PW_JA   "\xe3\x83\x91\xe3\x82\xb9\xe3\x83\xaf\xe3\x83\xbc" \
                   "\xe3\x83\x89"


static const char *
hex(const uint8_t *p, size_t len)
{
    size_t       i;
    static char  buf[2 * 64 + 1];

    for (i = 0; i < len && i < 64; i++) {
        sprintf(buf + 2 * i, "%02x", p[i]);
    }

    buf[2 * i] = '\0';

    return buf;
}


static int
verify(const char *phc, const char *pw)
{
    return kot_phc_verify(phc, strlen(phc), pw, strlen(pw));
}


static void
test_rfc7914(void)
{
    uint8_t  out[64];

    is_long(kot_scrypt("", 0, (const uint8_t *) "", 0, 4, 1, 1, out, 64), 0,
            "kdf: RFC 7914 vector 1 succeeds");
    is_str(hex(out, 64),
           "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
           "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906",
           "kdf: RFC 7914 vector 1 (empty password and salt, N=16)");

    is_long(kot_scrypt("password", 8, (const uint8_t *) "NaCl", 4, 10, 8, 16,
                       out, 64),
            0, "kdf: RFC 7914 vector 2 succeeds");
    is_str(hex(out, 64),
           "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
           "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640",
           "kdf: RFC 7914 vector 2 (password/NaCl, N=1024, r=8, p=16)");

    is_long(kot_scrypt("x", 1, (const uint8_t *) "s", 1, 23, 8, 1, out, 32),
            -1, "kdf: ln above the maximum is refused");
    is_long(kot_scrypt("x", 1, (const uint8_t *) "s", 1, 10, 0, 1, out, 32),
            -1, "kdf: r = 0 is refused");
}


/* OpenSSL's EVP_KDF "SCRYPT", the reference for kot_scrypt() */

static int
openssl_scrypt(const char *pw, size_t pw_len, const uint8_t *salt,
    size_t salt_len, unsigned ln, unsigned r, unsigned p, uint8_t *out,
    size_t out_len)
{
    int           rc;
    uint32_t      r32, p32;
    uint64_t      n, maxmem;
    EVP_KDF      *kdf;
    OSSL_PARAM    params[7], *prm;
    EVP_KDF_CTX  *ctx;

    n = (uint64_t) 1 << ln;
    r32 = r;
    p32 = p;
    maxmem = 1ULL << 32;

    prm = params;
    *prm++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD,
                                               (void *) pw, pw_len);
    *prm++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
                                               (void *) salt, salt_len);
    *prm++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n);
    *prm++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r32);
    *prm++ = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p32);
    *prm++ = OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM,
                                         &maxmem);
    *prm = OSSL_PARAM_construct_end();

    kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL);
    ctx = EVP_KDF_CTX_new(kdf);
    EVP_KDF_free(kdf);

    rc = EVP_KDF_derive(ctx, out, out_len, params) == 1 ? 0 : -1;
    EVP_KDF_CTX_free(ctx);

    return rc;
}


static int  pauses;

static void
count_pause(void)
{
    pauses++;
}


static void
test_against_openssl(void)
{
    size_t         i;
    uint8_t        ours[48], ref[48];
    static const struct {
        const char  *pw;
        const char  *salt;
        unsigned     ln, r, p;
        size_t       out;
    } cases[] = {
        { "", "", 1, 1, 1, 32 },
        { "a", "b", 10, 1, 1, 32 },
        { "correct horse", "0123456789abcdef", 10, 8, 1, 32 },
        { "\xe3\x83\x91\xe3\x82\xb9", "salt", 11, 4, 2, 48 },
        { "pw", "s", 12, 3, 3, 17 },
        { "long password long password long password long password "
          "long password long password", "s", 10, 32, 1, 32 },
        { "p", "s", 10, 2, 16, 1 },
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(ours, 0, sizeof(ours));
        memset(ref, 1, sizeof(ref));

        ok(kot_scrypt(cases[i].pw, strlen(cases[i].pw),
                      (const uint8_t *) cases[i].salt,
                      strlen(cases[i].salt), cases[i].ln, cases[i].r,
                      cases[i].p, ours, cases[i].out) == 0
           && openssl_scrypt(cases[i].pw, strlen(cases[i].pw),
                             (const uint8_t *) cases[i].salt,
                             strlen(cases[i].salt), cases[i].ln, cases[i].r,
                             cases[i].p, ref, cases[i].out) == 0
           && memcmp(ours, ref, cases[i].out) == 0,
           "kdf: same as OpenSSL's scrypt, ln=%u r=%u p=%u, %zu bytes",
           cases[i].ln, cases[i].r, cases[i].p, cases[i].out);
    }

    /* the module yields the CPU in the pauses: they must come often */
    kot_scrypt_pause = count_pause;
    pauses = 0;
    is_long(kot_scrypt("pw", 2, (const uint8_t *) "s", 1, 12, 8, 1, ours, 32),
            0, "kdf: hashing with a pause hook succeeds");
    kot_scrypt_pause = NULL;

    /* 2 * 4096 BlockMixes of 16 cores each, a pause per 512 cores */
    ok(pauses >= 2 * 4096 * 16 / 512, "kdf: paused %d times in one ln=12 "
       "hash", pauses);

    ok(openssl_scrypt("pw", 2, (const uint8_t *) "s", 1, 12, 8, 1, ref,
                         32) == 0
       && memcmp(ours, ref, 32) == 0,
       "kdf: pauses do not change the result");
}


static void
test_params_ok(void)
{
    size_t  i;
    static const kot_scrypt_params_t  good[] = {
        KOT_SCRYPT_DEFAULT, { 10, 1, 1 }, { 20, 8, 16 }, { 22, 2, 1 },
        { 13, 32, 1 },
    };
    static const kot_scrypt_params_t  bad[] = {
        { 9, 8, 1 }, { 23, 8, 1 }, { 17, 0, 1 }, { 17, 33, 1 },
        { 17, 8, 0 }, { 17, 8, 17 },
        { 21, 8, 1 }, { 22, 32, 16 },   /* over 1 GiB of memory */
    };

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        is_long(kot_scrypt_params_ok(&good[i]), 0,
                "params_ok: ln=%u r=%u p=%u accepted", good[i].ln, good[i].r,
                good[i].p);
    }

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        is_long(kot_scrypt_params_ok(&bad[i]), -1,
                "params_ok: ln=%u r=%u p=%u refused", bad[i].ln, bad[i].r,
                bad[i].p);
    }
}


static void
test_hash_verify(void)
{
    int                  n;
    char                 a[KOT_PHC_MAX + 1], b[KOT_PHC_MAX + 1];
    kot_scrypt_params_t  sp = FAST, bad = { 9, 8, 1 };

    n = kot_phc_hash(&sp, "hunter2", 7, a, sizeof(a));
    is_long(n, (long) strlen(a), "hash: returns the string length");
    is_long(n, 22 + 22 + 1 + 43, "hash: 16-byte salt, 32-byte hash");
    ok(strncmp(a, "$scrypt$ln=10,r=8,p=1$", 22) == 0,
       "hash: PHC prefix with the parameters");
    is_long(verify(a, "hunter2"), 1, "verify: right password matches");
    is_long(verify(a, "hunter3"), 0, "verify: wrong password mismatches");
    is_long(verify(a, ""), 0, "verify: empty password mismatches");
    is_long(kot_phc_verify(a, strlen(a), "hunter2", 6), 0,
            "verify: a prefix of the password mismatches");

    kot_phc_hash(&sp, "hunter2", 7, b, sizeof(b));
    ok(strcmp(a, b) != 0, "hash: fresh salt each time");

    kot_phc_hash(&sp, "a\0b", 3, a, sizeof(a));
    is_long(kot_phc_verify(a, strlen(a), "a\0b", 3), 1,
            "verify: passwords may contain NUL bytes");
    is_long(kot_phc_verify(a, strlen(a), "a\0c", 3), 0,
            "verify: bytes after a NUL count");

    kot_phc_hash(&sp, NULL, 0, a, sizeof(a));
    is_long(verify(a, ""), 1, "verify: empty password round trip");

    is_long(kot_phc_hash(&bad, "x", 1, a, sizeof(a)), -1,
            "hash: out-of-range parameters refused");
    is_long(kot_phc_hash(&sp, "x", 1, a, 60), -1,
            "hash: too small an output buffer refused");

    /* once at full cost: OpenSSL's default memory limit is too low */

    sp = (kot_scrypt_params_t) KOT_SCRYPT_DEFAULT;
    n = kot_phc_hash(&sp, "hunter2", 7, a, sizeof(a));
    ok(n > 0 && strncmp(a, "$scrypt$ln=17,r=8,p=1$", 22) == 0,
       "hash: default parameters (128 MiB) work");
    is_long(verify(a, "hunter2"), 1, "verify: default parameters match");

    is_long(verify(PY_PHC, PY_PW), 1,
            "verify: string made by another implementation");
    is_long(verify(PY_PHC, "correct horse battery stapl"), 0,
            "verify: other implementation, wrong password");
    is_long(verify(PY_PHC_JA, PY_PW_JA), 1,
            "verify: UTF-8 password, ln=11 r=4 p=2");
}


static void
test_parse(void)
{
    size_t               i;
    kot_scrypt_params_t  sp;
    static const char   *bad[] = {
        "",
        "$scrypt$",
        "$scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0ODw",
        "$scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$",
        "$Scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$"
            "mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU",
        "scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$"
            "mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU",
        "$scrypt$ln=010,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$"
            "mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU",
        "$scrypt$ln=+10,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$"
            "mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU",
        "$scrypt$ln=-10,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$"
            "mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU",
        "$scrypt$ln=9,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$"
            "mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU",
        "$scrypt$ln=23,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$"
            "mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU",
        "$scrypt$ln=4294967306,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$"
            "mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU",
        "$scrypt$ln=10,r=0,p=1$AAECAwQFBgcICQoLDA0ODw$"
            "mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU",
        "$scrypt$ln=10,r=8,p=17$AAECAwQFBgcICQoLDA0ODw$"
            "mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU",
        "$scrypt$r=8,ln=10,p=1$AAECAwQFBgcICQoLDA0ODw$"
            "mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU",
        "$scrypt$ln=10,r=8$AAECAwQFBgcICQoLDA0ODw$"
            "mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU",
        "$scrypt$ln=10,r=8,p=1,x=1$AAECAwQFBgcICQoLDA0ODw$"
            "mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU",
        "$scrypt$ln=10, r=8,p=1$AAECAwQFBgcICQoLDA0ODw$"
            "mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU",
        "$scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0OD$"
            "mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU",
        "$scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0ODw==$"
            "mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU",
        "$scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0ODx$"
            "mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU",
        "$scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$"
            "mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S_AXJlRU",
        "$scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$"
            "mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU=",
        "$scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$"
            "mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRUA",
        "$scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$"
            "mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU$",
        "$scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0ODw$"
            "mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU ",
        "$scrypt$ln=10,r=8,p=1$$AAECAwQFBgcICQoLDA0ODw$"
            "mp90zEQd5XGhjEv4WArVH4Z0XRSzkGWtJK2S/AXJlRU",
    };

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        is_long(kot_phc_params(bad[i], strlen(bad[i]), &sp), -1,
                "params: refuses malformed #%zu", i);
        is_long(verify(bad[i], PY_PW), -1,
                "verify: refuses malformed #%zu", i);
    }

    is_long(kot_phc_verify(PY_PHC, strlen(PY_PHC) - 1, PY_PW, strlen(PY_PW)),
            -1, "verify: honours phc_len (truncated hash)");

    is_long(kot_phc_params(PY_PHC_JA, strlen(PY_PHC_JA), &sp), 0,
            "params: parses a good string");
    ok(sp.ln == 11 && sp.r == 4 && sp.p == 2, "params: ln, r and p values");
}


static void
test_rehash(void)
{
    kot_scrypt_params_t  want = KOT_SCRYPT_DEFAULT;
    kot_scrypt_params_t  same = { 10, 8, 1 }, r4 = { 10, 4, 1 };
    kot_scrypt_params_t  p2 = { 10, 8, 2 };

    is_long(kot_phc_needs_rehash(PY_PHC, strlen(PY_PHC), &want), 1,
            "rehash: lower ln needs rehash");
    is_long(kot_phc_needs_rehash(PY_PHC, strlen(PY_PHC), &same), 0,
            "rehash: same parameters do not");
    is_long(kot_phc_needs_rehash(PY_PHC, strlen(PY_PHC), &r4), 0,
            "rehash: stronger r than wanted does not");
    is_long(kot_phc_needs_rehash(PY_PHC_JA, strlen(PY_PHC_JA), &same), 1,
            "rehash: lower r needs rehash");
    is_long(kot_phc_needs_rehash(PY_PHC, strlen(PY_PHC), &p2), 1,
            "rehash: lower p needs rehash");
    is_long(kot_phc_needs_rehash("$scrypt$", 8, &same), -1,
            "rehash: malformed string");
}


static void
test_dummy(void)
{
    int                  n;
    char                 buf[KOT_PHC_MAX + 1];
    kot_scrypt_params_t  sp = FAST, got, bad = { 10, 8, 0 };

    n = kot_phc_dummy(&sp, buf, sizeof(buf));
    is_long(n, (long) strlen(buf), "dummy: returns the length");
    is_long(kot_phc_params(buf, n, &got), 0, "dummy: is well-formed");
    ok(got.ln == 10 && got.r == 8 && got.p == 1,
       "dummy: carries the parameters");
    ok(strcmp(buf + n - 43, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
       == 0, "dummy: all-zero hash");
    is_long(verify(buf, ""), 0, "dummy: empty password does not match");
    is_long(verify(buf, "password"), 0, "dummy: a password does not match");
    is_long(kot_phc_dummy(&bad, buf, sizeof(buf)), -1,
            "dummy: out-of-range parameters refused");
    is_long(kot_phc_dummy(&sp, buf, 10), -1,
            "dummy: too small an output buffer refused");
}


int
main(void)
{
    test_rfc7914();
    test_against_openssl();
    test_params_ok();
    test_hash_verify();
    test_parse();
    test_rehash();
    test_dummy();

    return done_testing();
}
