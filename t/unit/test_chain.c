/*
 * Unit tests of kot_chain: known answers computed with the openssl
 * command line (Poly1305, and HMAC-SHA256 for the chains written before
 * it), the chain recomputed with raw OpenSSL calls, key evolution,
 * tampering, sealing K_0 to an RSA key and its fingerprint.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "tap.h"
#include "kot_chain.h"


#define RECORDS  200

static const uint8_t  k0_fixed[KOT_CHAIN_KEY_LEN] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
    0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
    0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f
};

/*
 * The known answers, computed independently with the openssl command line
 * (K0 = 000102...1f, S0 and S1 as below).  Poly1305:
 *
 *   (head -c 16 /dev/zero; printf '%s' "$S0p") > m0
 *   openssl mac -macopt hexkey:$K0 -in m0 POLY1305               -> M0
 *   K1=$(printf $K0 | xxd -r -p | openssl dgst -sha256 -r)
 *   (printf $M0 | xxd -r -p; printf '%s' "$S1") > m1
 *   openssl mac -macopt hexkey:$K1 -in m1 POLY1305               -> M1
 *
 * HMAC-SHA256, the same with 32 zero bytes and S0:
 *
 *   (head -c 32 /dev/zero; printf '%s' "$S0") > m0
 *   openssl dgst -sha256 -mac HMAC -macopt hexkey:$K0 -r m0      -> M0
 *   K1=$(printf $K0 | xxd -r -p | openssl dgst -sha256 -r)
 *   (printf $M0 | xxd -r -p; printf '%s' "$S1") > m1
 *   openssl dgst -sha256 -mac HMAC -macopt hexkey:$K1 -r m1      -> M1
 *   K2=$(printf $K1 | xxd -r -p | openssl dgst -sha256 -r)
 */

static const char  s0[] =
    "{\"@timestamp\":\"2026-11-26T10:00:00.123Z\",\"event.sequence\":0,"
    "\"kot.chain\":\"0123456789abcdef\",\"event.action\":\"chain_start\"}";
static const char  s0p[] =
    "{\"@timestamp\":\"2026-11-26T10:00:00.123Z\",\"event.sequence\":0,"
    "\"kot.chain\":\"0123456789abcdef\",\"event.action\":\"chain_start\","
    "\"kot.mac_alg\":\"poly1305\"}";
static const char  s1[] =
    "{\"@timestamp\":\"2026-11-26T10:00:01.000Z\",\"event.sequence\":1,"
    "\"kot.chain\":\"0123456789abcdef\",\"event.action\":\"login\","
    "\"user.name\":\"\\u00e9\\\"x\"}";

static const char  m0_hex[] =
    "6ff05add69a1717f705e2e361ea93668cfae77fe46d38583be5a37f9cb552d93";
static const char  m1_hex[] =
    "6f87ac2cff6242206e60515f8733ce3d9848f0a4debb3743d393e7065a2da49b";
static const char  p0_hex[] = "7bbf37b324ca3846598195ce00624679";
static const char  p1_hex[] = "5c205d42cde7479cb5dd4b2087a6f569";
static const char  k2_hex[] =
    "2f287b4d3d4910f6cada9e1bd1b4648099e8c52c81aa4a6aebfa6fc86f19834e";


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


/* A record's S_i: different lengths and characters for each i. */

static size_t
record(char *buf, size_t cap, const char *id, unsigned i)
{
    return (size_t) snprintf(buf, cap,
        "{\"@timestamp\":\"2026-11-26T10:%02u:%02u.%03uZ\","
        "\"event.sequence\":%u,\"kot.chain\":\"%s\","
        "\"event.action\":\"login\",\"user.name\":\"u%0*u\\n\\\"\"}",
        i / 60 % 60, i % 60, i % 1000, i, id, (int) (i % 40), i);
}


static void
known_answer(kot_chain_alg_t alg, const char *r0, const char *mac0,
    const char *mac1)
{
    long         n;
    char         line[512], want[512];
    const char  *name;
    kot_chain_t  c;

    name = alg == KOT_CHAIN_POLY1305 ? "poly1305" : "hmac-sha256";

    is_long(kot_chain_resume(&c, "0123456789abcdef", k0_fixed, alg), 0,
            "kat %s: resume succeeds", name);
    is_str(c.id, "0123456789abcdef", "kat %s: resume keeps the id", name);
    is_long((long) c.seq, 0, "kat %s: resume starts at record 0", name);
    is_str(kot_chain_alg_name(&c), name, "kat %s: the chain's name", name);

    n = kot_chain_seal(&c, r0, strlen(r0), line);
    snprintf(want, sizeof(want), "%.*s,\"kot.mac\":\"%s\"}\n",
             (int) strlen(r0) - 1, r0, mac0);
    is_long(n, (long) strlen(want), "kat %s: record 0 has the right length",
            name);
    line[n > 0 ? n : 0] = '\0';
    is_str(line, want, "kat %s: record 0 matches the openssl command", name);

    n = kot_chain_seal(&c, s1, strlen(s1), line);
    snprintf(want, sizeof(want), "%.*s,\"kot.mac\":\"%s\"}\n",
             (int) strlen(s1) - 1, s1, mac1);
    line[n > 0 ? n : 0] = '\0';
    is_str(line, want, "kat %s: record 1 chains on record 0's MAC", name);
    is_long(n, (long) (strlen(s1) + KOT_CHAIN_SUFFIX(strlen(mac1))),
            "kat %s: a line is S plus the MAC member", name);

    is_str(hex(c.key, sizeof(c.key)), k2_hex, "kat %s: K_2 = SHA-256(K_1)",
           name);
    is_str(hex(c.mac, c.mac_len), mac1, "kat %s: the last MAC is kept", name);
    is_long((long) c.seq, 2, "kat %s: seq counts records", name);

    kot_chain_head_hex(&c, line);
    is_str(line, mac1, "kat %s: the head in hex is the last MAC", name);

    kot_chain_wipe(&c);
    ok(c.poly == NULL, "kat %s: wipe frees the MAC context", name);

    if (alg == KOT_CHAIN_POLY1305) {
        is_long(kot_chain_seal(&c, s1, strlen(s1), line), -1,
                "kat %s: a wiped chain seals nothing", name);
    }
}


static void
test_known_answers(void)
{
    kot_chain_alg_t  alg;

    known_answer(KOT_CHAIN_POLY1305, s0p, p0_hex, p1_hex);
    known_answer(KOT_CHAIN_HMAC_SHA256, s0, m0_hex, m1_hex);

    ok(kot_chain_alg("poly1305", &alg) == 0 && alg == KOT_CHAIN_POLY1305,
       "alg: \"poly1305\" names Poly1305");
    ok(kot_chain_alg(NULL, &alg) == 0 && alg == KOT_CHAIN_HMAC_SHA256,
       "alg: no name is a chain written before it, HMAC-SHA256");
    ok(kot_chain_alg("hmac-sha256", &alg) == 0
       && alg == KOT_CHAIN_HMAC_SHA256, "alg: \"hmac-sha256\" too");
    is_long(kot_chain_alg("md5", &alg), -1, "alg: another name is refused");
    is_long(kot_chain_alg("Poly1305", &alg), -1, "alg: names are exact");
}


/* Seals RECORDS records into lines[], one malloc'd line each. */

static void
make_chain(kot_chain_t *c, char **lines, size_t *lens)
{
    char      s[256];
    size_t    len;
    unsigned  i;

    for (i = 0; i < RECORDS; i++) {
        len = record(s, sizeof(s), c->id, i);
        lines[i] = malloc(len + KOT_CHAIN_SUFFIX_MAX);
        lens[i] = (size_t) kot_chain_seal(c, s, len, lines[i]);
    }
}


/* The chain recomputed with EVP_Q_mac() and SHA256(), independently. */

static int
recompute(const uint8_t k0[32], char **lines, size_t *lens)
{
    size_t    body, mlen;
    uint8_t   key[32], mac[16], buf[1024];
    unsigned  i;

    memcpy(key, k0, 32);
    memset(mac, 0, 16);

    for (i = 0; i < RECORDS; i++) {
        body = lens[i] - 1 - KOT_CHAIN_SUFFIX(32);

        memcpy(buf, mac, 16);
        memcpy(buf + 16, lines[i], body);
        buf[16 + body] = '}';

        if (EVP_Q_mac(NULL, "POLY1305", NULL, NULL, NULL, key, 32, buf,
                      16 + body + 1, mac, sizeof(mac), &mlen) == NULL
            || mlen != 16)
        {
            return (int) i;
        }

        SHA256(key, 32, key);

        if (memcmp(lines[i] + body + 12, hex(mac, 16), 32) != 0
            || lines[i][lens[i] - 1] != '\n')
        {
            return (int) i;
        }
    }

    return -1;
}


static void
test_round_trip(void)
{
    int          bad;
    char        *lines[RECORDS];
    size_t       lens[RECORDS];
    uint8_t      k0[32], key[32];
    unsigned     i;
    kot_chain_t  w, v;

    is_long(kot_chain_start(&w, k0), 0, "start: succeeds");
    is_long((long) strlen(w.id), KOT_CHAIN_ID_LEN, "start: a 16-digit id");
    ok(strspn(w.id, "0123456789abcdef") == KOT_CHAIN_ID_LEN,
       "start: the id is lower-case hex");
    ok(memcmp(k0, w.key, 32) == 0, "start: k0 is K_0");

    make_chain(&w, lines, lens);
    is_long(recompute(k0, lines, lens), -1,
            "seal: %d MACs match raw Poly1305/SHA256 recomputation",
            RECORDS);

    kot_chain_resume(&v, w.id, k0, KOT_CHAIN_POLY1305);
    bad = -1;

    for (i = 0; i < RECORDS; i++) {
        if (kot_chain_check(&v, lines[i], lens[i] - 1) != 1) {
            bad = (int) i;
            break;
        }
    }

    is_long(bad, -1, "check: all %d records verify", RECORDS);
    is_long((long) v.seq, RECORDS, "check: the chain moved on each time");
    ok(memcmp(v.key, w.key, 32) == 0 && memcmp(v.mac, w.mac, 32) == 0,
       "check: verifier and writer end in the same state");

    memcpy(key, k0, 32);
    for (i = 0; i < RECORDS; i++) {
        SHA256(key, 32, key);
    }

    ok(memcmp(v.key, key, 32) == 0, "evolution: key = SHA-256^%d(K_0)",
       RECORDS);

    kot_chain_wipe(&v);
    ok(v.key[0] == 0 && memcmp(v.key, v.key + 1, 31) == 0,
       "wipe: the key is zeroed");

    for (i = 0; i < RECORDS; i++) {
        free(lines[i]);
    }

    kot_chain_wipe(&w);
}


static void
test_tampering(void)
{
    char        *lines[RECORDS], *l, saved;
    size_t       lens[RECORDS], len, n;
    uint8_t      k0[32];
    unsigned     i;
    kot_chain_t  w, v;

    kot_chain_start(&w, k0);
    make_chain(&w, lines, lens);

    kot_chain_resume(&v, w.id, k0, KOT_CHAIN_HMAC_SHA256);
    is_long(kot_chain_check(&v, lines[0], lens[0] - 1), -1,
            "tamper: a Poly1305 record is no HMAC-SHA256 record");
    kot_chain_wipe(&v);

    kot_chain_resume(&v, w.id, k0, KOT_CHAIN_POLY1305);

    for (i = 0; i < 50; i++) {
        kot_chain_check(&v, lines[i], lens[i] - 1);
    }

    l = lines[50];
    len = lens[50] - 1;

    l[20] ^= 0x01;
    is_long(kot_chain_check(&v, l, len), 0, "tamper: a flipped bit in S");
    l[20] ^= 0x01;
    is_long((long) v.seq, 50, "tamper: a bad record does not move the chain");

    saved = l[len - 10];
    l[len - 10] = saved == '0' ? '1' : '0';
    is_long(kot_chain_check(&v, l, len), 0, "tamper: another hex digit");
    l[len - 10] = 'A';
    is_long(kot_chain_check(&v, l, len), -1,
            "tamper: upper-case hex is not a MAC");
    l[len - 10] = saved;

    is_long(kot_chain_check(&v, lines[51], lens[51] - 1), 0,
            "tamper: the next record in place of this one");
    is_long(kot_chain_check(&v, lines[49], lens[49] - 1), 0,
            "tamper: the previous record again");
    is_long(kot_chain_check(&v, l, len - 1), -1,
            "tamper: a cut line has no MAC member");
    is_long(kot_chain_check(&v, l, len + 1), -1,
            "tamper: the newline inside the line");

    for (n = 0; n <= KOT_CHAIN_SUFFIX(32) + 1; n++) {
        if (kot_chain_check(&v, l + len - n, n) != -1) {
            break;
        }
    }

    is_long((long) n, KOT_CHAIN_SUFFIX(32) + 2,
            "tamper: short tails are refused, never read before the line");

    is_long(kot_chain_check(&v, l, len), 1, "tamper: the original verifies");

    is_long(kot_chain_seal(&w, "{\"a\":1", 6, lines[0]), -1,
            "seal: S must end in '}'");
    is_long(kot_chain_seal(&w, "}", 1, lines[0]), -1,
            "seal: S must be an object");

    for (i = 0; i < RECORDS; i++) {
        free(lines[i]);
    }

    kot_chain_wipe(&v);
    kot_chain_wipe(&w);
}


static EVP_PKEY *
public_half(EVP_PKEY *priv)
{
    int                   len;
    unsigned char        *der;
    const unsigned char  *p;
    EVP_PKEY             *pub;

    der = NULL;
    len = i2d_PUBKEY(priv, &der);
    p = der;
    pub = d2i_PUBKEY(NULL, &p, len);
    OPENSSL_free(der);

    return pub;
}


static void
test_seal_key(EVP_PKEY *priv, EVP_PKEY *other)
{
    long       n, m;
    char       a[KOT_CHAIN_SEALED_MAX], b[KOT_CHAIN_SEALED_MAX];
    uint8_t    k0[32], opened[32];
    EVP_PKEY  *pub;

    pub = public_half(priv);
    memcpy(k0, k0_fixed, 32);

    n = kot_chain_seal_key(pub, k0, a, sizeof(a));
    is_long(n, 344, "seal_key: 256 bytes as padded base64");
    ok(n > 2 && a[n - 1] == '=' && a[n - 2] == '=' && a[n] == '\0',
       "seal_key: with its padding, NUL-terminated");

    m = kot_chain_seal_key(pub, k0, b, sizeof(b));
    ok(m == n && strcmp(a, b) != 0, "seal_key: OAEP is randomised");

    is_long(kot_chain_seal_key(pub, k0, b, 344), -1,
            "seal_key: refuses a buffer without room for the NUL");

    memset(opened, 0, sizeof(opened));
    is_long(kot_chain_open_key(priv, a, n, opened), 0,
            "open_key: the private key opens it");
    ok(memcmp(opened, k0, 32) == 0, "open_key: to K_0");

    is_long(kot_chain_open_key(other, a, n, opened), -1,
            "open_key: another private key does not");
    is_long(kot_chain_open_key(pub, a, n, opened), -1,
            "open_key: nor does the public key");

    a[100] = a[100] == 'A' ? 'B' : 'A';
    is_long(kot_chain_open_key(priv, a, n, opened), -1,
            "open_key: an altered block is refused");
    a[100] = b[100];

    is_long(kot_chain_open_key(priv, a, n - 1, opened), -1,
            "open_key: a length that is not a multiple of 4");
    is_long(kot_chain_open_key(priv, "AAA=", 4, opened), -1,
            "open_key: a short block");
    is_long(kot_chain_open_key(priv, "A=A=", 4, opened), -1,
            "open_key: padding in the middle");
    is_long(kot_chain_open_key(priv, "====", 4, opened), -1,
            "open_key: only padding");
    is_long(kot_chain_open_key(priv, "", 0, opened), -1,
            "open_key: nothing");

    EVP_PKEY_free(pub);
}


static void
test_fingerprint(EVP_PKEY *priv, EVP_PKEY *other)
{
    int            len;
    char           f1[KOT_CHAIN_FPR_LEN + 1], f2[KOT_CHAIN_FPR_LEN + 1];
    char           f3[KOT_CHAIN_FPR_LEN + 1], want[KOT_CHAIN_FPR_LEN + 1];
    uint8_t        digest[32];
    unsigned char *der;
    EVP_PKEY      *pub;

    pub = public_half(priv);

    is_long(kot_chain_fingerprint(priv, f1), 0, "fingerprint: succeeds");
    kot_chain_fingerprint(pub, f2);
    kot_chain_fingerprint(other, f3);

    der = NULL;
    len = i2d_PUBKEY(pub, &der);
    SHA256(der, len, digest);
    OPENSSL_free(der);
    memcpy(want, hex(digest, 8), sizeof(want));

    is_str(f1, want, "fingerprint: SHA-256 of the SPKI DER, 16 digits");
    is_str(f2, f1, "fingerprint: the same for the public half");
    ok(strcmp(f3, f1) != 0, "fingerprint: another key differs");

    kot_chain_fingerprint(priv, f2);
    is_str(f2, f1, "fingerprint: stable");

    EVP_PKEY_free(pub);
}


static void
test_load(EVP_PKEY *priv)
{
    int        fd;
    char       pub_path[] = "/tmp/kot-chain-pub-XXXXXX";
    char       priv_path[] = "/tmp/kot-chain-priv-XXXXXX";
    char       f1[KOT_CHAIN_FPR_LEN + 1], f2[KOT_CHAIN_FPR_LEN + 1];
    FILE      *f;
    EVP_PKEY  *a, *b;

    fd = mkstemp(pub_path);
    f = fdopen(fd, "w");
    PEM_write_PUBKEY(f, priv);
    fclose(f);

    fd = mkstemp(priv_path);
    f = fdopen(fd, "w");
    PEM_write_PrivateKey(f, priv, NULL, NULL, 0, NULL, NULL);
    fclose(f);

    a = kot_chain_load_public(pub_path);
    b = kot_chain_load_private(priv_path);
    ok(a != NULL && b != NULL, "load: both PEM files load");

    if (a && b) {
        kot_chain_fingerprint(a, f1);
        kot_chain_fingerprint(b, f2);
        is_str(f1, f2, "load: to the same key pair");
    }

    EVP_PKEY_free(a);
    EVP_PKEY_free(b);

    ok(kot_chain_load_public(priv_path) == NULL,
       "load: a private key file is not a public key");
    ok(kot_chain_load_private(pub_path) == NULL,
       "load: a public key file is not a private key");
    ok(kot_chain_load_public("/nonexistent/key.pem") == NULL,
       "load: a missing file gives NULL");

    unlink(pub_path);
    unlink(priv_path);
}

/*
 * ngx_kot/2 and 3: the writes' sizes, in records; the third crosses the
 * 64 record keys made at a time.
 */
static const unsigned  writes[] = { 1, 2, 70, 1, 5, 64, 57 };
#define WRITES  (sizeof(writes) / sizeof(writes[0]))


/*
 * The batched chain recomputed with raw EVP calls, independently; its
 * last write key in w.
 */

static int
recompute_batched(int format, const uint8_t k0[32], char **lines,
    size_t *lens, uint8_t w[32])
{
    int              n;
    char             mark[32];
    size_t           body, mlen, mk;
    uint8_t          mac[16], buf[1024], iv[16], next[32 + 8 + 16];
    uint8_t          stream[200 * 32];
    unsigned         b, j, i;
    EVP_CIPHER_CTX  *ctx;

    memcpy(w, k0, 32);
    memset(mac, 0, 16);
    memset(iv, 0, 16);
    ctx = EVP_CIPHER_CTX_new();
    i = 0;

    for (b = 0; b < WRITES; b++) {
        memset(stream, 0, sizeof(stream));

        if (EVP_EncryptInit_ex2(ctx, EVP_chacha20(), w, iv, NULL) != 1
            || EVP_EncryptUpdate(ctx, stream, &n, stream, writes[b] * 32)
               != 1)
        {
            EVP_CIPHER_CTX_free(ctx);
            return (int) i;
        }

        for (j = 0; j < writes[b]; j++, i++) {
            body = lens[i] - 1 - KOT_CHAIN_SUFFIX(32);

            /* the first record of each write after the first names it */
            mk = (size_t) snprintf(mark, sizeof(mark), ",\"kot.batch\":%u",
                                   b);
            if ((j == 0 && b > 0)
                != (body > mk && memcmp(lines[i] + body - mk, mark, mk) == 0))
            {
                EVP_CIPHER_CTX_free(ctx);
                return (int) i;
            }

            memcpy(buf, mac, 16);
            memcpy(buf + 16, lines[i], body);
            buf[16 + body] = '}';

            if (EVP_Q_mac(NULL, "POLY1305", NULL, NULL, NULL,
                          stream + 32 * j, 32, buf, 16 + body + 1, mac,
                          sizeof(mac), &mlen) == NULL
                || memcmp(lines[i] + body + 12, hex(mac, 16), 32) != 0)
            {
                EVP_CIPHER_CTX_free(ctx);
                return (int) i;
            }
        }

        /* ngx_kot/3: W_{b+1} = SHA-256(W_b || le64(n_b) || last MAC) */
        memcpy(next, w, 32);
        memset(next + 32, 0, 8);
        next[32] = (uint8_t) writes[b];
        memcpy(next + 40, mac, 16);
        SHA256(next, format == 3 ? sizeof(next) : 32, w);
    }

    EVP_CIPHER_CTX_free(ctx);

    return -1;
}


static void
test_batched(int format)
{
    int          bad;
    char        *lines[RECORDS], s[256], *l;
    size_t       lens[RECORDS], len;
    uint8_t      k0[32], key[32];
    unsigned     b, j, i, total;
    kot_chain_t  w, v;

    is_long(kot_chain_start(&w, k0), 0, "batched %d: start", format);
    is_long(kot_chain_batched(&w, format), 0, "batched %d: a key per write",
            format);
    ok(strcmp(kot_chain_version_name(&w), format == 3 ? "ngx_kot/3"
                                                      : "ngx_kot/2") == 0,
       "batched %d: record 0 names the format", format);

    total = 0;

    for (b = 0; b < WRITES; b++) {
        for (j = 0; j < writes[b]; j++, total++) {
            len = record(s, sizeof(s), w.id, total);
            lines[total] = malloc(len + KOT_CHAIN_SUFFIX_MAX);
            lens[total] = (size_t) kot_chain_seal(&w, s, len, lines[total]);
        }

        is_long(kot_chain_written(&w), 0, "batched %d: write %u done",
                format, b);
    }

    is_long(kot_chain_written(&w), 0, "batched %d: a write of nothing",
            format);
    is_long((long) w.batch, WRITES, "batched %d: nothing written moves "
            "nothing", format);

    if (format == 2) {
        memcpy(key, k0, 32);
        for (b = 0; b < WRITES; b++) {
            SHA256(key, 32, key);
        }

        ok(memcmp(w.key, key, 32) == 0, "batched 2: the key is "
           "SHA-256^%u(K_0) after %u writes", (unsigned) WRITES,
           (unsigned) WRITES);
    }

    is_long(recompute_batched(format, k0, lines, lens, key), -1,
            "batched %d: %u MACs match raw ChaCha20/Poly1305/SHA256 "
            "recomputation", format, total);
    ok(memcmp(w.key, key, 32) == 0, "batched %d: and so does the write key "
       "after %u writes", format, (unsigned) WRITES);

    kot_chain_resume(&v, w.id, k0, KOT_CHAIN_POLY1305);
    kot_chain_batched(&v, format);
    bad = -1;

    for (i = 0; i < total; i++) {
        /* a write's first record altered first: the chain must not move */
        l = lines[i];
        len = lens[i] - 1;
        l[1] ^= 1;

        if (kot_chain_check(&v, l, len) != 0) {
            bad = (int) i;
        }

        l[1] ^= 1;

        if (bad >= 0 || kot_chain_check(&v, l, len) != 1) {
            bad = (int) i;
            break;
        }
    }

    is_long(bad, -1, "batched %d: all %u records verify, each after a "
            "failed check of it altered", format, total);
    ok(v.seq == w.seq && memcmp(v.mac, w.mac, 16) == 0,
       "batched %d: verifier and writer end at the same head", format);

    /* the other format's verifier fails at the second write */
    kot_chain_wipe(&v);
    kot_chain_resume(&v, w.id, k0, KOT_CHAIN_POLY1305);
    kot_chain_batched(&v, 5 - format);
    is_long(kot_chain_check(&v, lines[0], lens[0] - 1)
            + kot_chain_check(&v, lines[1], lens[1] - 1), 1,
            "batched %d: read as ngx_kot/%d, the second write fails",
            format, 5 - format);

    kot_chain_wipe(&v);
    kot_chain_resume(&v, w.id, k0, KOT_CHAIN_POLY1305);
    is_long(kot_chain_check(&v, lines[0], lens[0] - 1), 0,
            "batched %d: a chain read with a key per record fails at once",
            format);
    is_long(kot_chain_batched(&v, 4) + kot_chain_batched(&v, 1), -2,
            "batched %d: formats 1 and 4 are not a key per write", format);
    kot_chain_wipe(&v);

    kot_chain_resume(&v, w.id, k0, KOT_CHAIN_HMAC_SHA256);
    is_long(kot_chain_batched(&v, format), -1,
            "batched %d: HMAC-SHA256 chains have a key per record only",
            format);
    kot_chain_wipe(&v);

    kot_chain_wipe(&w);
    for (i = 0; i < total; i++) {
        free(lines[i]);
    }
}


/*
 * The attack on ngx_kot/2 that ngx_kot/3 stops.  Write 0 and write 1 of
 * several records each are sealed and written; whoever then takes the
 * writer over holds its state, the key of write 2 in it.  They cut write
 * 1 after its first record (the security event its last one was) and
 * seal records of their own after it, from the next sequence number on,
 * the first marked as write 2, chained to the MAC of the last record
 * kept, as read from the file.  The verifier, from K_0, must refuse the
 * first of them: in ngx_kot/3 write 2's key depends on write 1's records,
 * in ngx_kot/2 it does not, and the forgery passes.  The sequence number
 * of the first record refused, or -1.
 */

#define CUT_WRITE0  3
#define CUT_WRITE1  4
#define CUT_KEPT    (CUT_WRITE0 + 1)    /* records 0 .. 3 */
#define CUT_FORGED  3

static long
cut_short(int format)
{
    long         bad;
    char         lines[CUT_WRITE0 + CUT_WRITE1][512], s[256];
    char         forged[CUT_FORGED][512];
    long         lens[CUT_WRITE0 + CUT_WRITE1], flens[CUT_FORGED];
    uint8_t      k0[32], kept_mac[16];
    unsigned     i;
    kot_chain_t  w, v;

    kot_chain_start(&w, k0);
    kot_chain_batched(&w, format);
    memset(kept_mac, 0, sizeof(kept_mac));

    for (i = 0; i < CUT_WRITE0 + CUT_WRITE1; i++) {
        lens[i] = kot_chain_seal(&w, s, record(s, sizeof(s), w.id, i),
                                 lines[i]);

        if (i == CUT_KEPT - 1) {
            memcpy(kept_mac, w.mac, 16);
        }

        if (i == CUT_WRITE0 - 1 || i == CUT_WRITE0 + CUT_WRITE1 - 1) {
            kot_chain_written(&w);
        }
    }

    /* the attacker: the writer's state, rewound to the last record kept */

    w.seq = CUT_KEPT;
    memcpy(w.mac, kept_mac, 16);

    for (i = 0; i < CUT_FORGED; i++) {
        flens[i] = kot_chain_seal(&w, s,
                                  record(s, sizeof(s), w.id, CUT_KEPT + i),
                                  forged[i]);
    }

    /* the auditor */

    kot_chain_resume(&v, w.id, k0, KOT_CHAIN_POLY1305);
    kot_chain_batched(&v, format);
    bad = -1;

    for (i = 0; i < CUT_KEPT + CUT_FORGED && bad < 0; i++) {
        if (i < CUT_KEPT
            ? kot_chain_check(&v, lines[i], (size_t) lens[i] - 1) != 1
            : kot_chain_check(&v, forged[i - CUT_KEPT],
                              (size_t) flens[i - CUT_KEPT] - 1) != 1)
        {
            bad = i;
        }
    }

    kot_chain_wipe(&v);
    kot_chain_wipe(&w);

    return bad;
}


static void
test_cut_short(void)
{
    is_long(cut_short(3), CUT_KEPT, "cut short: ngx_kot/3 refuses the "
            "first record chained to a write cut short by the writer's "
            "holder");
    is_long(cut_short(2), -1, "cut short: ngx_kot/2 takes them all (why "
            "ngx_kot/3 exists)");
}


/*
 * A verifier that goes on after a problem (kotctl audit verify): a
 * record altered, or records missing, and the chain is followed again
 * from the record after, where its keys can be derived.  Format 1 is a
 * key per record; in 2 and 3 the writes are writes[].
 */

static void
resync_chain(int format, kot_chain_t *v, const uint8_t k0[32],
    const char *id, char **lines, size_t *lens, unsigned upto)
{
    unsigned  i;

    kot_chain_resume(v, id, k0, KOT_CHAIN_POLY1305);

    if (format > 1) {
        kot_chain_batched(v, format);
    }

    for (i = 0; i < upto; i++) {
        kot_chain_check(v, lines[i], lens[i] - 1);
    }
}


static void
test_resync(int format)
{
    int          rc;
    char        *lines[RECORDS], s[256], *l, saved;
    size_t       lens[RECORDS], len;
    uint8_t      k0[32];
    unsigned     b, j, i, total, good, marked, tried;
    unsigned     first[WRITES];
    kot_chain_t  w, v;

    kot_chain_start(&w, k0);

    if (format > 1) {
        kot_chain_batched(&w, format);
    }

    total = 0;

    for (b = 0; b < WRITES; b++) {
        first[b] = total;

        for (j = 0; j < writes[b]; j++, total++) {
            len = record(s, sizeof(s), w.id, total);
            lines[total] = malloc(len + KOT_CHAIN_SUFFIX_MAX);
            lens[total] = (size_t) kot_chain_seal(&w, s, len, lines[total]);
        }

        kot_chain_written(&w);
    }

    /* each record altered in turn: the next one verifies */

    good = 0;

    for (i = 1; i + 1 < total; i++) {
        resync_chain(format, &v, k0, w.id, lines, lens, i);
        l = lines[i];
        l[1] ^= 1;
        rc = kot_chain_check(&v, l, lens[i] - 1);
        rc = rc == 0 ? kot_chain_skip(&v, l, lens[i] - 1, 1) : -1;
        l[1] ^= 1;
        good += rc >= 1 && kot_chain_check(&v, lines[i + 1], lens[i + 1] - 1)
                           == 1
                && v.seq == i + 2;
        kot_chain_wipe(&v);
    }

    is_long(good, total - 2, "resync %d: after any record altered, the "
            "next one verifies", format);

    /* its MAC altered too: the next one cannot verify against it */

    resync_chain(format, &v, k0, w.id, lines, lens, 10);
    l = lines[10];
    len = lens[10] - 1;
    saved = l[len - 3];
    l[len - 3] = saved == '0' ? '1' : '0';
    rc = kot_chain_skip(&v, l, len, 1);
    is_long(rc * 10 + kot_chain_check(&v, lines[11], lens[11] - 1), 10,
            "resync %d: a MAC altered is not one the next record verifies "
            "against", format);
    l[len - 3] = saved;
    kot_chain_wipe(&v);

    /* a line cut: no MAC to take, the chain moves on without one */

    resync_chain(format, &v, k0, w.id, lines, lens, 10);
    is_long(kot_chain_skip(&v, lines[10], 40, 1), 0,
            "resync %d: a line cut short states no MAC", format);
    is_long((long) v.seq, 11, "resync %d: its key is used up all the same",
            format);
    kot_chain_wipe(&v);

    /*
     * record i removed: record i + 1 cannot be checked (its MAC covers
     * the one removed), record i + 2 can, but for ngx_kot/3 when i + 1
     * begins a write, whose key is made from the MAC removed
     */

    good = 0;
    marked = 0;
    tried = 0;

    for (i = 1; i + 2 < total; i++) {
        for (b = 0; b < WRITES && first[b] != i; b++) {
            /* void */
        }

        /* a write's first record removed: the rest read as the write before */
        if (format > 1 && b < WRITES) {
            continue;
        }

        for (b = 0; b < WRITES && first[b] != i + 1; b++) {
            /* void */
        }

        resync_chain(format, &v, k0, w.id, lines, lens, i);
        rc = kot_chain_jump(&v, i + 1);
        rc = rc == 0 ? kot_chain_skip(&v, lines[i + 1], lens[i + 1] - 1, 0)
                     : -1;

        if (format > 1 && b < WRITES) {
            marked++;
            good += (format == 3) ? rc == -1
                    : rc == 1 && kot_chain_check(&v, lines[i + 2],
                                                 lens[i + 2] - 1) == 1;
        } else {
            tried++;
            good += rc == 1 && kot_chain_check(&v, lines[i + 2],
                                               lens[i + 2] - 1) == 1;
        }

        kot_chain_wipe(&v);
    }

    is_long(good, tried + marked, "resync %d: after any record removed, "
            "the next but one verifies (%u), or for ngx_kot/3 not past "
            "a write's start (%u)", format, tried, marked);

    resync_chain(format, &v, k0, w.id, lines, lens, 1);
    is_long(kot_chain_jump(&v, (uint64_t) KOT_CHAIN_JUMP_MAX + 2), -1,
            "resync %d: a jump too far is refused", format);
    kot_chain_wipe(&v);

    if (format > 1) {
        /* a mark further on than the records read since is none written */
        resync_chain(format, &v, k0, w.id, lines, lens, first[4] + 1);
        is_long(kot_chain_skip(&v, lines[first[6]], lens[first[6]] - 1, 0),
                -1, "resync %d: after records missing, a write's start two "
                "writes on, with one record between, cannot be followed",
                format);
        kot_chain_wipe(&v);

        /* a mark added to a record inside a write: taken back */
        l = malloc(lens[10] + 32);
        len = lens[10] - 1 - KOT_CHAIN_SUFFIX(32);
        memcpy(l, lines[10], len);
        len += (size_t) sprintf(l + len, ",\"kot.batch\":3");
        memcpy(l + len, lines[10] + lens[10] - 1 - KOT_CHAIN_SUFFIX(32),
               KOT_CHAIN_SUFFIX(32));
        len += KOT_CHAIN_SUFFIX(32);

        resync_chain(format, &v, k0, w.id, lines, lens, 10);
        rc = kot_chain_check(&v, l, len) * 10
             + kot_chain_skip(&v, l, len, 1);
        is_long(rc, 2, "resync %d: a write's start added: the record fails, "
                "and is taken for the next write's first", format);
        rc = kot_chain_check(&v, lines[11], lens[11] - 1) * 10
             + kot_chain_unskip(&v);
        rc = rc * 10 + kot_chain_check(&v, lines[11], lens[11] - 1);
        is_long(rc, 1, "resync %d: the next record does not verify so, and "
                "does once that is taken back", format);
        is_long(kot_chain_unskip(&v), -1, "resync %d: once", format);
        kot_chain_wipe(&v);
        free(l);
    }

    kot_chain_wipe(&w);
    for (i = 0; i < total; i++) {
        free(lines[i]);
    }
}


static void
test_versions(void)
{
    int  format;

    ok(kot_chain_version(NULL, &format) == 0 && format == 1,
       "version: none is a key per record");
    ok(kot_chain_version("ngx_kot/1", &format) == 0 && format == 1,
       "version: ngx_kot/1 is a key per record");
    ok(kot_chain_version("ngx_kot/2", &format) == 0 && format == 2,
       "version: ngx_kot/2 is a key per write");
    ok(kot_chain_version("ngx_kot/3", &format) == 0 && format == 3,
       "version: ngx_kot/3 is a key per write bound to the one before");
    is_long(kot_chain_version("ngx_kot/4", &format), -1,
            "version: another is refused");
    is_long(kot_chain_version("ngx_kot/", &format), -1,
            "version: so is a prefix of one");
}


/*
 * Records framed and sealed in runs, as the module writes request
 * records, against the same records sealed one by one from the same K_0:
 * the same lines, byte for byte, with security events sealed at once
 * among them, and runs cut short by KOT_CHAIN_FRAMED_MAX and by writes.
 */

#define FRAMED_BUF  (200 * 512)

static const unsigned  runs[] = { 1, 64, 65, 130, 3 };
#define RUNS  (sizeof(runs) / sizeof(runs[0]))

static void
test_framed(void)
{
    int           refused, seqs;
    char          s[256], *wb, *fb, *wp, *fp, *failed;
    long          n;
    size_t        len;
    uint8_t       k0[32];
    uint64_t      seq;
    unsigned      b, j, i, same;
    EVP_MAC_CTX  *poly;
    kot_chain_t   w, f;

    kot_chain_start(&w, k0);
    kot_chain_batched(&w, 3);
    kot_chain_resume(&f, w.id, k0, KOT_CHAIN_POLY1305);
    kot_chain_batched(&f, 3);

    wb = malloc(FRAMED_BUF);
    fb = malloc(FRAMED_BUF);
    same = 0;
    seqs = 1;
    refused = 1;
    i = 0;

    for (b = 0; b < RUNS; b++) {
        wp = wb;
        fp = fb;

        for (j = 0; j < runs[b]; j++, i++) {
            seqs &= kot_chain_next_seq(&f) == w.seq;
            len = record(s, sizeof(s), w.id, i);
            wp += kot_chain_seal(&w, s, len, wp);

            if (i % 50 == 49) {
                /* a security event: the records framed go first */
                refused &= f.framed == 0
                           || kot_chain_seal(&f, s, len, fp) == -1;
                kot_chain_seal_framed(&f, &failed);
                n = kot_chain_seal(&f, s, len, fp);

            } else {
                n = kot_chain_frame(&f, s, len, fp);
            }

            fp += n > 0 ? n : 0;

            if (f.framed == KOT_CHAIN_FRAMED_MAX) {
                refused &= kot_chain_frame(&f, s, len, fp) == -1
                           && kot_chain_written(&f) == -1;
                kot_chain_seal_framed(&f, &failed);
            }
        }

        kot_chain_seal_framed(&f, &failed);
        same += fp - fb == wp - wb && memcmp(fb, wb, wp - wb) == 0;
        kot_chain_written(&w);
        kot_chain_written(&f);
    }

    is_long(same, RUNS, "framed: %u records framed and sealed in runs are "
            "the lines sealed one by one, byte for byte, in all %u writes",
            i, (unsigned) RUNS);
    ok(seqs, "framed: kot_chain_next_seq() counts the records framed");
    ok(refused, "framed: sealing, framing a record more than %d and a "
       "write are refused while records are framed", KOT_CHAIN_FRAMED_MAX);

    /* a MAC that cannot be made: the chain stands before that record */
    for (j = 0; j < 3; j++, i++) {
        kot_chain_frame(&f, s, record(s, sizeof(s), f.id, i), fb + 300 * j);
    }

    poly = f.poly;
    f.poly = NULL;
    seq = f.seq;
    failed = NULL;
    is_long(kot_chain_seal_framed(&f, &failed), -1,
            "framed: a MAC that fails fails the run");
    ok(failed == fb && f.framed == 0 && f.seq == seq,
       "framed: its first record is named, and the chain has not moved");
    f.poly = poly;

    kot_chain_wipe(&f);
    kot_chain_start(&f, k0);
    is_long(kot_chain_frame(&f, s, record(s, sizeof(s), f.id, 0), fb), -1,
            "framed: not in a chain with a key per record");

    kot_chain_wipe(&w);
    kot_chain_wipe(&f);
    free(wb);
    free(fb);
}


/*
 * After a record is sealed, the worker runs nginx's SSE code: OpenSSL's
 * Poly1305 for AVX512IFMA returns with the YMM registers' upper halves
 * in use, which makes every SSE instruction after it dearer on Intel
 * CPUs, about 1 us of a request's CPU.  XGETBV(1), where the CPU has it,
 * tells which register state is in use.
 */

static void
test_vector_state(void)
{
#if defined(__x86_64__)
    int          n, i, dirty;
    char         s[700], line[700 + KOT_CHAIN_SUFFIX_MAX];
    uint8_t      k0[32];
    uint32_t     a, b, c, d, lo, hi;
    kot_chain_t  w;

    if (!__builtin_cpu_supports("avx")
        || !__get_cpuid_count(0xd, 1, &a, &b, &c, &d) || !(a & (1 << 2)))
    {
        ok(1, "seal: vector state # skip the CPU cannot say (XGETBV(1))");
        return;
    }

    kot_chain_start(&w, k0);
    dirty = 0;

    /* which of OpenSSL's code paths runs depends on the length */
    for (i = 0; i < 100; i++) {
        n = snprintf(s, sizeof(s),
                     "{\"@timestamp\":\"2026-12-04T10:00:00.000Z\","
                     "\"event.sequence\":%d,\"kot.chain\":\"%s\","
                     "\"user_agent.original\":\"%0*d\"}",
                     i, w.id, 5 * i + 1, 0);

        kot_chain_seal(&w, s, (size_t) n, line);

        __asm__ volatile ("xgetbv" : "=a" (lo), "=d" (hi) : "c" (1));
        dirty += (lo & 4) != 0;
    }

    is_long(dirty, 0, "seal: records of 100 lengths leave the YMM "
            "registers' upper halves clean");
#else
    ok(1, "seal: vector state # skip not x86-64");
#endif
}


int
main(void)
{
    EVP_PKEY  *priv, *other;

    test_known_answers();
    test_round_trip();
    test_tampering();
    test_batched(2);
    test_batched(3);
    test_cut_short();
    test_resync(1);
    test_resync(2);
    test_resync(3);
    test_versions();
    test_framed();
    test_vector_state();

    priv = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 2048);
    other = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 2048);

    if (ok(priv != NULL && other != NULL, "RSA-2048 keys generated")) {
        test_seal_key(priv, other);
        test_fingerprint(priv, other);
        test_load(priv);
    }

    EVP_PKEY_free(priv);
    EVP_PKEY_free(other);

    return done_testing();
}
