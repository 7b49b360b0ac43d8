/*
 * libFuzzer target: the audit reader of "kotctl audit verify"
 * (admin/kotctl_verify.c, included here for its static functions): the
 * input is one log file, read as kotctl reads it (plain or gzip'd, line
 * by line) and verified record by record with the key below, whose
 * chains the seeds are sealed to.  The anchors in Redis are not checked.
 *
 * KOT_FUZZ_AUDIT_SEED=FILE build/fuzz/audit writes such a log, a chain
 * from chain_start to chain_end, to FILE (t/fuzz/seeds/audit/chain).
 *
 * Speed (t/fuzz/README.md): the Makefile builds the reader with small
 * buffers, and the sealed keys opened are remembered (open_key() below):
 * an RSA decryption costs more than all the rest of an input, and most
 * inputs carry a sealed key already seen.
 */

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/pem.h>

#define kot_chain_open_key  open_key

#include "kotctl_verify.c"

#undef kot_chain_open_key

int open_key(EVP_PKEY *priv, const char *b64, size_t len,
    uint8_t k0[KOT_CHAIN_KEY_LEN]);
int kot_chain_open_key(EVP_PKEY *priv, const char *b64, size_t len,
    uint8_t k0[KOT_CHAIN_KEY_LEN]);


/* a throwaway RSA key, for this target only */
static const char  key_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQDhFebvnoUPmSai\n"
    "QXCKv4xJMeszFJN9n021QH98w9LaztRZ++J04wgZBCWxXStSvEn17wpZUPj0SE6q\n"
    "5CK/yuM3hmA7LZ0JDyB+Q4dsGF7zMxw482MVhgC0BKEZ6uTq/NSGn0gmOK+iXdK3\n"
    "2lFBwyl+2FFjryrHsDDOwaTNlN4+iQ2KtdLSJQNgTYQ47i4LAlKEkN0ImUKLV/SI\n"
    "kvCmN/dyp/37iMINioHMmP5vWVqgpwF78HpekUlFFBmtREr9S6pzvKa7JtL6tGVg\n"
    "94zE+Ac9EmxH19Qp6Rhw7oup2tX2mjmvZ3FVXEjuzaJ7MTjnBNSDpZgQVGuAMFvj\n"
    "0Z1baPKtAgMBAAECggEAXwSx8qHGpikO6Bwb+FaYUCXkljGvea6QTV2m8/JuxrPd\n"
    "bQcqOBHHT1gy2UbtjQWza0C367CFCAqmOvoHuVNazAvL/+9nhXV/UA4N0xIOszf2\n"
    "SAxm3aUuEtCJeblxXcnRpesDuC7h5fcZh0eAWfSbRdLnuN8vfhDg6cdRXP/lOhwy\n"
    "bgog3181LI0eBearKEZDhnJPq+4xKeRFGfZHYjwx5qj015nvQZ2HdRb5wP3qZLVo\n"
    "aj0aQ/J637x34VtJmuTsXwtg9wjrLfKNMlHLpKswRmuOWmdGSaFOv3orQ6KtZjKM\n"
    "R2JwFjC/BV2KfnCutdGIfiDedPLi29Kayse0bHx6OQKBgQD5G2/h0JTC7FtVLoFI\n"
    "nG7K9anu4U0us5+Dm5LicZhSvj969HLIs/Qqu6zk6ydrleFXRaPQ6anbLsGRs+4T\n"
    "uH10syFzp945drYpf7gBd6lfUrL8OH+kOTnzQtmyV56RZw86y4dpsSMdxjfCAd1m\n"
    "uQ//M/Ml1cUHygjnMMbDkqAZdwKBgQDnUE6FHjX0ImweGQ6+d5Nm3oS3IawnKaKm\n"
    "WhCIRPy6yyUPcxnVfRNN6w3UQ/ZPxQXosXboVPk1B52nB4n4Ny4LE6Wn1C13mo4S\n"
    "+PbenSLvVepb0HHGe2AZwRaeYUNiG4ID/6DRD2L2p5cUwUBN9vPxKqvocyP2EplS\n"
    "Ct6XMj6d+wKBgFm3IvVN/LWzEDW+ePtgs5pPHbOV2wlN0c5BUoZRaQ2rzQsITOqx\n"
    "vOdDDkKn2lup8C1RPG16Kh1xWm+SQNVDZZOJDCwuMh+5/GM3x1pn8U0OaL3jzzyj\n"
    "C5br5aGQYuB1IIwJTyymikIn6F7r8wQS9Irx98kRk1N51PkGnR9EiHqDAoGAZrOn\n"
    "ST9yoSSvcGWbwEGDNsdRkaXns7OuvcF7WaWXuK/9knB+ZeWUrqHQkBBkymImD3zL\n"
    "2LfxtfPdsY2NWqHVVaGxiWSRk2sR7aaQpaKLIky5M27HNWMN9iFfE48HxgWEopXb\n"
    "Jzd3ryAV2mc7T+J3yPozPY/xxY3YeS7OSb9LQgUCgYAjZHIjmX12GlX/SqF1Q5lt\n"
    "abcG/OPDFHSjvZsFlz7iIYzm45ZIbt8jZ3qFxyDqZN4k2WULBbzhncZaeLiI837j\n"
    "7bLoqy3WigTxcfWIzvzw5lap03A2caEhhk20hNzX+SArztEkzEGjDbVCOj9qOZuv\n"
    "WN+OFagZFBfMAabrpqcAjQ==\n"
    "-----END PRIVATE KEY-----\n"
    ;

/*
 * The sealed keys last opened, and what they opened to: the same text
 * takes the same path through kot_chain_open_key(), so remembering it
 * loses no coverage, and a text not seen yet is opened by it as usual.
 */

#define OPEN_SLOTS  256

typedef struct {
    size_t   len;           /* 0: empty */
    int      rc;
    uint8_t  k0[KOT_CHAIN_KEY_LEN];
    char     b64[KOT_CHAIN_SEALED_MAX];
} opened_t;

static opened_t   opened[OPEN_SLOTS];

static EVP_PKEY  *key;
static char       fpr[KOT_CHAIN_FPR_LEN + 1];
static int        fd = -1;
static char       path[64];


static void
seed(const char *out)
{
    int          i;
    char         s[2048], line[2048 + KOT_CHAIN_SUFFIX_MAX];
    char         sealed[KOT_CHAIN_SEALED_MAX];
    long         n;
    FILE        *f;
    uint8_t      k0[KOT_CHAIN_KEY_LEN];
    kot_chain_t  c;

    static const char  *action[] = {
        "chain_start", "login", "logout", "chain_end"
    };

    f = fopen(out, "w");
    if (f == NULL || kot_chain_start(&c, k0) != 0
        || kot_chain_seal_key(key, k0, sealed, sizeof(sealed)) < 0)
    {
        exit(1);
    }

    for (i = 0; i < 4; i++) {
        n = snprintf(s, sizeof(s), "{\"@timestamp\":\"2026-12-02T06:0%d:00."
                     "000Z\",\"event.sequence\":%d,\"kot.chain\":\"%s\","
                     "\"event.action\":\"%s\",\"host.hostname\":\"fuzz\"%s%s"
                     "%s%s%s%s%s}", i, i, c.id, action[i],
                     i ? "" : ",\"kot.sealed_key\":\"", i ? "" : sealed,
                     i ? "" : "\",\"kot.auditor_key\":\"", i ? "" : fpr,
                     i ? "" : "\",\"" KOT_CHAIN_ALG_MEMBER "\":\"",
                     i ? "" : kot_chain_alg_name(&c), i ? "" : "\"");

        n = kot_chain_seal(&c, s, (size_t) n, line);
        if (n < 0 || fwrite(line, 1, (size_t) n, f) != (size_t) n) {
            exit(1);
        }
    }

    kot_chain_wipe(&c);
    exit(fclose(f) == 0 ? 0 : 1);
}


int
open_key(EVP_PKEY *priv, const char *b64, size_t len,
    uint8_t k0[KOT_CHAIN_KEY_LEN])
{
    size_t     i;
    uint32_t   h;
    opened_t  *o;

    if (len == 0 || len > KOT_CHAIN_SEALED_MAX) {
        return kot_chain_open_key(priv, b64, len, k0);
    }

    h = 2166136261u;

    for (i = 0; i < len; i++) {
        h = (h ^ (uint8_t) b64[i]) * 16777619u;
    }

    o = &opened[h % OPEN_SLOTS];

    if (o->len != len || memcmp(o->b64, b64, len) != 0) {
        o->rc = kot_chain_open_key(priv, b64, len, o->k0);
        o->len = len;
        memcpy(o->b64, b64, len);
    }

    if (o->rc == 0) {
        memcpy(k0, o->k0, KOT_CHAIN_KEY_LEN);
    }

    return o->rc;
}


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    BIO         *b;
    const char  *out;

    (void) argc;
    (void) argv;

    b = BIO_new_mem_buf(key_pem, -1);
    key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    BIO_free(b);

    if (key == NULL || kot_chain_fingerprint(key, fpr) != 0) {
        abort();
    }

    out = getenv("KOT_FUZZ_AUDIT_SEED");
    if (out) {
        seed(out);
    }

    /* the problems found, which verify prints, are not of interest */
    if (freopen("/dev/null", "w", stdout) == NULL) {
        abort();
    }

    fd = memfd_create("audit", 0);
    if (fd < 0) {
        abort();
    }

    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

    return 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kotctl_verify_t  v;

    if (ftruncate(fd, 0) != 0
        || pwrite(fd, data, size, 0) != (ssize_t) size)
    {
        abort();
    }

    memset(&v, 0, sizeof(v));
    memcpy(v.fpr[0], fpr, sizeof(fpr));
    v.priv[0] = key;
    v.nkeys = 1;
    v.given = calloc(1, sizeof(kotctl_given_t));
    if (v.given == NULL) {
        abort();
    }

    if (kotctl_verify_file(&v, path) == 0) {
        kotctl_verify_gaps(&v);
    }

    v.nkeys = 0;        /* the key is kept for the next input */
    kotctl_verify_free(&v);

    return 0;
}
