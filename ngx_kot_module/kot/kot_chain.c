/*
 * ngx_kot: the audit log's MAC chain with evolving keys (docs/audit.md).
 *
 * No static mutable state: every nginx worker thread and every kotctl
 * run keeps its own kot_chain_t.  A Poly1305 chain holds its own MAC
 * context; other OpenSSL objects are made per call.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "kot_b64.h"
#include "kot_chain.h"
#include "kot_crypto.h"


#define KOT_CHAIN_PREFIX_LEN  (sizeof(KOT_CHAIN_MAC_PREFIX) - 1)
#define KOT_CHAIN_BATCH_LEN   (sizeof(KOT_CHAIN_BATCH_PREFIX) - 1)
#define KOT_CHAIN_KEYS_LEN    (KOT_CHAIN_KEYS * KOT_CHAIN_KEY_LEN)


/* the formats' names, by number from 1 */
static const char *const  kot_chain_versions[] = {
    KOT_CHAIN_VERSION_1, KOT_CHAIN_VERSION_2, KOT_CHAIN_VERSION_3
};

#define KOT_CHAIN_VERSIONS                                                    \
    (int) (sizeof(kot_chain_versions) / sizeof(kot_chain_versions[0]))


static int kot_chain_init(kot_chain_t *c, kot_chain_alg_t alg);
static long kot_chain_layout(kot_chain_t *c, const char *s, size_t len,
    char *out, size_t *body);
static int kot_chain_finish(kot_chain_t *c, char *line, size_t body);
static int kot_chain_mac(kot_chain_t *c, const char *s, size_t len,
    int close, uint8_t *out);
static void kot_chain_hmac(const kot_chain_t *c, const char *s, size_t len,
    int close, uint8_t *out);
static int kot_chain_poly1305(const kot_chain_t *c, const uint8_t *key,
    const char *s, size_t len, int close, uint8_t *out);
static const uint8_t *kot_chain_record_key(kot_chain_t *c);
static int kot_chain_advance(kot_chain_t *c, const uint8_t *mac);
static int kot_chain_next(kot_chain_t *c);
static int kot_chain_rekey(kot_chain_t *c, const uint8_t *in, size_t n);
static int kot_chain_mark(const char *s, size_t len, uint64_t *batch);
static int kot_chain_stated(const kot_chain_t *c, const char *line,
    size_t len, uint8_t *mac, size_t *body);
static char *kot_chain_uint(char *p, uint64_t n);
static EVP_PKEY_CTX *kot_chain_oaep_ctx(EVP_PKEY *key, int encrypt);
static void kot_chain_hex(char *dst, const uint8_t *src, size_t n);
static int kot_chain_unhex(uint8_t *dst, const char *src, size_t n);


int
kot_chain_start(kot_chain_t *c, uint8_t k0[KOT_CHAIN_KEY_LEN])
{
    uint8_t  id[KOT_CHAIN_ID_LEN / 2];

    if (kot_chain_init(c, KOT_CHAIN_POLY1305) != 0) {
        return -1;
    }

    if (kot_random(id, sizeof(id)) != 0
        || kot_random(c->key, KOT_CHAIN_KEY_LEN) != 0)
    {
        kot_cleanse(c->key, KOT_CHAIN_KEY_LEN);
        return -1;
    }

    kot_chain_hex(c->id, id, sizeof(id));
    c->id[KOT_CHAIN_ID_LEN] = '\0';

    memcpy(k0, c->key, KOT_CHAIN_KEY_LEN);

    return 0;
}


int
kot_chain_resume(kot_chain_t *c, const char *id,
    const uint8_t k0[KOT_CHAIN_KEY_LEN], kot_chain_alg_t alg)
{
    if (kot_chain_init(c, alg) != 0) {
        return -1;
    }

    /* strncpy() stops at a short id's NUL; the rest stays zeroed */
    strncpy(c->id, id, KOT_CHAIN_ID_LEN);
    memcpy(c->key, k0, KOT_CHAIN_KEY_LEN);

    return 0;
}


int
kot_chain_alg(const char *name, kot_chain_alg_t *alg)
{
    if (name == NULL || strcmp(name, "hmac-sha256") == 0) {
        *alg = KOT_CHAIN_HMAC_SHA256;
        return 0;
    }

    if (strcmp(name, "poly1305") == 0) {
        *alg = KOT_CHAIN_POLY1305;
        return 0;
    }

    return -1;
}


const char *
kot_chain_alg_name(const kot_chain_t *c)
{
    return c->alg == KOT_CHAIN_POLY1305 ? "poly1305" : "hmac-sha256";
}


int
kot_chain_version(const char *version, int *format)
{
    int  i;

    /* kotctl's chains name none: a key per record */

    if (version == NULL) {
        *format = 1;
        return 0;
    }

    for (i = 0; i < KOT_CHAIN_VERSIONS; i++) {
        if (strcmp(version, kot_chain_versions[i]) == 0) {
            *format = i + 1;
            return 0;
        }
    }

    return -1;
}


const char *
kot_chain_version_name(const kot_chain_t *c)
{
    /* 0, 1 or 2: a key per record, per write, per write bound to it */
    return kot_chain_versions[c->batched + c->bound];
}


int
kot_chain_batched(kot_chain_t *c, int format)
{
    /* Poly1305 only: HMAC-SHA256 chains are older than these formats */

    if ((format != 2 && format != 3) || c->alg != KOT_CHAIN_POLY1305
        || c->seq != 0)
    {
        return -1;
    }

    /* fetched once: an implicit fetch per use costs a lock and a lookup */

    c->chacha20 = EVP_CIPHER_fetch(NULL, "ChaCha20", NULL);
    c->chacha = EVP_CIPHER_CTX_new();

    /* apart: a verifier keeps a chain for every writer there was */
    c->keys = OPENSSL_malloc(KOT_CHAIN_KEYS_LEN);

    if (c->chacha20 == NULL || c->chacha == NULL || c->keys == NULL) {
        return -1;
    }

    c->batched = 1;
    c->bound = format == 3;

    return 0;
}


int
kot_chain_written(kot_chain_t *c)
{
    static const uint8_t  zero[KOT_CHAIN_KEY_LEN];

    if (c->framed) {
        return -1;
    }

    if (!c->batched || c->index == 0) {
        return 0;
    }

    if (kot_chain_next(c) != 0) {
        return -1;
    }

    /* the contexts keep the last keys they were given */

    if (EVP_CIPHER_CTX_reset(c->chacha) != 1
        || EVP_MAC_init(c->poly, zero, sizeof(zero), NULL) != 1)
    {
        return -1;
    }

    return 0;
}


size_t
kot_chain_head_hex(const kot_chain_t *c,
    char out[KOT_CHAIN_MAC_HEX_MAX + 1])
{
    kot_chain_hex(out, c->mac, c->mac_len);
    out[2 * c->mac_len] = '\0';

    return 2 * c->mac_len;
}


long
kot_chain_seal(kot_chain_t *c, const char *s, size_t len, char *out)
{
    long    n;
    size_t  body;

    /* the records framed before come first in the chain */
    if (c->framed) {
        return -1;
    }

    n = kot_chain_layout(c, s, len, out, &body);

    if (n < 0 || kot_chain_finish(c, out, body) != 0) {
        return -1;
    }

    return n;
}


long
kot_chain_frame(kot_chain_t *c, const char *s, size_t len, char *out)
{
    long    n;
    size_t  body;

    if (!c->batched || c->poly == NULL || c->framed == KOT_CHAIN_FRAMED_MAX) {
        return -1;
    }

    if (c->frames == NULL) {
        c->frames = malloc(KOT_CHAIN_FRAMED_MAX * sizeof(c->frames[0]));
        if (c->frames == NULL) {
            return -1;
        }
    }

    n = kot_chain_layout(c, s, len, out, &body);
    if (n < 0) {
        return -1;
    }

    c->frames[c->framed].line = out;
    c->frames[c->framed].body = body;
    c->framed++;

    return n;
}


int
kot_chain_seal_framed(kot_chain_t *c, char **failed)
{
    size_t  i, n;

    n = c->framed;

    /* the MAC of each record covers the one before: in order */
    c->framed = 0;

    for (i = 0; i < n; i++) {
        if (kot_chain_finish(c, c->frames[i].line, c->frames[i].body) != 0) {
            *failed = c->frames[i].line;
            return -1;
        }
    }

    return 0;
}


/*
 * S_i, its final '}' left out, then the write's number when it starts a
 * write, and the suffix with room for the MAC's hex; *body is where the
 * suffix starts.  out may be s itself when the caller left room (the
 * module does).
 */

static long
kot_chain_layout(kot_chain_t *c, const char *s, size_t len, char *out,
    size_t *body)
{
    char  *p;

    if (len < 2 || s[0] != '{' || s[len - 1] != '}') {
        return -1;
    }

    if (out != s) {
        memmove(out, s, len - 1);
    }

    p = out + len - 1;

    if (c->batched && c->index + c->framed == 0 && c->batch > 0) {
        memcpy(p, KOT_CHAIN_BATCH_PREFIX, KOT_CHAIN_BATCH_LEN);
        p = kot_chain_uint(p + KOT_CHAIN_BATCH_LEN, c->batch);
    }

    *body = p - out;

    memcpy(p, KOT_CHAIN_MAC_PREFIX, KOT_CHAIN_PREFIX_LEN);
    p += KOT_CHAIN_PREFIX_LEN + 2 * c->mac_len;
    *p++ = '"';
    *p++ = '}';
    *p++ = '\n';

    return (long) (p - out);
}


/*
 * The MAC of a line laid out, in place, and the chain moved on.  The MAC
 * covers the record closed by its '}', which goes for a moment where the
 * suffix starts: one call to the MAC for the record, not two.
 */

static int
kot_chain_finish(kot_chain_t *c, char *line, size_t body)
{
    int      rc;
    char     keep;
    uint8_t  mac[KOT_CHAIN_MAC_MAX];

    keep = line[body];
    line[body] = '}';

    rc = kot_chain_mac(c, line, body + 1, 0, mac);

    line[body] = keep;

    if (rc != 0) {
        return -1;
    }

    kot_chain_hex(line + body + KOT_CHAIN_PREFIX_LEN, mac, c->mac_len);

    return kot_chain_advance(c, mac);
}


int
kot_chain_check(kot_chain_t *c, const char *line, size_t len)
{
    int          ok, moved;
    size_t       body;
    uint8_t      want[KOT_CHAIN_MAC_MAX], got[KOT_CHAIN_MAC_MAX];
    uint64_t     batch;
    kot_chain_t  before;

    if (kot_chain_stated(c, line, len, want, &body) != 0) {
        return -1;
    }

    /*
     * The first record of a write names the write, and is MACed with its
     * key: a name moved, added or removed makes a MAC wrong.  The chain
     * moves back if it is.
     */

    ok = 1;
    moved = c->batched && kot_chain_mark(line, body, &batch);

    if (moved) {
        memcpy(&before, c, sizeof(kot_chain_t));
        ok = batch == c->batch + 1 && c->index > 0 && kot_chain_next(c) == 0;
    }

    ok = ok && kot_chain_mac(c, line, body, 1, got) == 0
         && kot_ct_equal(got, want, c->mac_len)
         && kot_chain_advance(c, got) == 0;

    if (moved) {
        if (!ok) {
            /* the record keys made meanwhile are the other write's */
            memcpy(c, &before, sizeof(kot_chain_t));
            c->keys_made = 0;
        }

        kot_cleanse(&before, sizeof(kot_chain_t));
    }

    if (ok && c->prev_kept) {
        kot_cleanse(c->prev, sizeof(c->prev));
        c->prev_kept = 0;
    }

    return ok;
}


int
kot_chain_skip(kot_chain_t *c, const char *line, size_t len, int known)
{
    size_t    body;
    uint8_t   mac[KOT_CHAIN_MAC_MAX];
    uint64_t  batch;
    int       rc;

    kot_cleanse(c->prev, sizeof(c->prev));
    c->prev_kept = 0;

    if (kot_chain_stated(c, line, len, mac, &body) != 0) {
        /* the key is used up all the same; the next record cannot tell */
        memset(mac, 0, sizeof(mac));
        return kot_chain_advance(c, mac) == 0 ? 0 : -1;
    }

    rc = 1;

    if (c->batched && kot_chain_mark(line, body, &batch)) {
        if (c->index == 0) {
            return -1;
        }

        if (known) {
            /*
             * Right after the records read, a write's start is the next
             * write's, whatever number it states; and if the mark was
             * added, kot_chain_unskip() takes it back.
             */

            memcpy(c->prev, c->key, KOT_CHAIN_KEY_LEN);
            c->prev_index = c->index;
            c->prev_kept = 1;
            batch = c->batch + 1;
            rc = 2;

        } else if (c->bound || batch <= c->batch
                   || batch - c->batch > c->index)
        {
            /*
             * After records missing: W_{b+1} is made from write b's last
             * record in ngx_kot/3; in ngx_kot/2 it is SHA-256(W_b), but
             * each write has a record at least, so a mark further on than
             * the records since is no mark the writer wrote.
             */
            return -1;
        }

        while (c->batch < batch) {
            if (kot_chain_next(c) != 0) {
                return -1;
            }
        }
    }

    return kot_chain_advance(c, mac) == 0 ? rc : -1;
}


int
kot_chain_unskip(kot_chain_t *c)
{
    if (!c->prev_kept) {
        return -1;
    }

    memcpy(c->key, c->prev, KOT_CHAIN_KEY_LEN);
    kot_cleanse(c->prev, sizeof(c->prev));
    kot_cleanse(c->keys, KOT_CHAIN_KEYS_LEN);
    c->keys_made = 0;
    c->prev_kept = 0;
    c->batch--;
    c->index = c->prev_index + 1;

    return 0;
}


int
kot_chain_jump(kot_chain_t *c, uint64_t seq)
{
    uint64_t  n;

    if (seq < c->seq || seq - c->seq > KOT_CHAIN_JUMP_MAX) {
        return -1;
    }

    for (n = seq - c->seq; n > 0 && !c->batched; n--) {
        if (kot_chain_rekey(c, c->key, KOT_CHAIN_KEY_LEN) != 0) {
            return -1;
        }
    }

    if (c->batched) {
        c->index += seq - c->seq;
    }

    memset(c->mac, 0, sizeof(c->mac));
    c->seq = seq;

    return 0;
}


/*
 * The MAC that a line states in its last member, which sits at a fixed
 * place from the end, and where S_i's content ends: 0, or -1 if the line
 * does not end in a well-formed "kot.mac" member.
 */

static int
kot_chain_stated(const kot_chain_t *c, const char *line, size_t len,
    uint8_t *mac, size_t *body)
{
    size_t       suffix;
    const char  *tail;

    suffix = KOT_CHAIN_SUFFIX(2 * c->mac_len);

    if (len < suffix + 1) {
        return -1;
    }

    *body = len - suffix;
    tail = line + *body;

    if (line[0] != '{'
        || memcmp(tail, KOT_CHAIN_MAC_PREFIX, KOT_CHAIN_PREFIX_LEN) != 0
        || tail[suffix - 2] != '"'
        || tail[suffix - 1] != '}'
        || kot_chain_unhex(mac, tail + KOT_CHAIN_PREFIX_LEN, c->mac_len)
           != 0)
    {
        return -1;
    }

    return 0;
}

void
kot_chain_wipe(kot_chain_t *c)
{
    kot_cleanse(c->key, KOT_CHAIN_KEY_LEN);
    kot_cleanse(c->mac, sizeof(c->mac));
    kot_cleanse(c->prev, sizeof(c->prev));

    if (c->keys) {
        OPENSSL_clear_free(c->keys, KOT_CHAIN_KEYS_LEN);
        c->keys = NULL;
    }

    c->keys_made = 0;

    free(c->frames);
    c->frames = NULL;
    c->framed = 0;

    /* the contexts hold the last keys they were given */
    EVP_MAC_CTX_free(c->poly);
    c->poly = NULL;
    EVP_CIPHER_CTX_free(c->chacha);
    c->chacha = NULL;
    EVP_CIPHER_free(c->chacha20);
    c->chacha20 = NULL;
}


long
kot_chain_seal_key(EVP_PKEY *pub, const uint8_t k0[KOT_CHAIN_KEY_LEN],
    char *out, size_t cap)
{
    long            rc;
    size_t          n, b64;
    uint8_t        *sealed;
    EVP_PKEY_CTX   *ctx;

    rc = -1;
    sealed = NULL;

    ctx = kot_chain_oaep_ctx(pub, 1);
    if (ctx == NULL) {
        return -1;
    }

    if (EVP_PKEY_encrypt(ctx, NULL, &n, k0, KOT_CHAIN_KEY_LEN) != 1) {
        goto done;
    }

    b64 = (n + 2) / 3 * 4;
    if (b64 + 1 > cap) {
        goto done;
    }

    sealed = OPENSSL_malloc(n);
    if (sealed == NULL
        || EVP_PKEY_encrypt(ctx, sealed, &n, k0, KOT_CHAIN_KEY_LEN) != 1)
    {
        goto done;
    }

    b64 = kot_b64_encode(out, sealed, n);

    while (b64 % 4) {
        out[b64++] = '=';
    }

    out[b64] = '\0';
    rc = (long) b64;

done:

    OPENSSL_free(sealed);
    EVP_PKEY_CTX_free(ctx);

    return rc;
}


int
kot_chain_open_key(EVP_PKEY *priv, const char *b64, size_t len,
    uint8_t k0[KOT_CHAIN_KEY_LEN])
{
    int             rc;
    size_t          pad, n, cap;
    ssize_t         raw;
    uint8_t        *buf, *plain;
    EVP_PKEY_CTX   *ctx;

    /* padded base64 only, with exactly the padding its length needs */

    if (len == 0 || len % 4 != 0 || len > KOT_CHAIN_SEALED_MAX) {
        return -1;
    }

    pad = (b64[len - 1] == '=') + (b64[len - 2] == '=');

    if (pad == 1 && b64[len - 2] == '=') {
        return -1;
    }

    cap = kot_b64_decoded_len(len);
    rc = -1;
    ctx = NULL;

    /* one allocation: the sealed block, then room for what it opens to */

    buf = OPENSSL_malloc(2 * cap);
    if (buf == NULL) {
        return -1;
    }

    plain = buf + cap;

    raw = kot_b64_decode(buf, cap, b64, len - pad);
    if (raw <= 0) {
        goto done;
    }

    ctx = kot_chain_oaep_ctx(priv, 0);
    if (ctx == NULL) {
        goto done;
    }

    /* RSA-OAEP never yields more than it was given: cap is enough */

    n = cap;

    if (EVP_PKEY_decrypt(ctx, plain, &n, buf, (size_t) raw) == 1
        && n == KOT_CHAIN_KEY_LEN)
    {
        memcpy(k0, plain, KOT_CHAIN_KEY_LEN);
        rc = 0;
    }

done:

    EVP_PKEY_CTX_free(ctx);
    OPENSSL_clear_free(buf, 2 * cap);

    return rc;
}


int
kot_chain_fingerprint(EVP_PKEY *key, char out[KOT_CHAIN_FPR_LEN + 1])
{
    int             len;
    uint8_t         digest[32];
    unsigned char  *der;

    der = NULL;

    /* i2d_PUBKEY() writes only the public half of a private key too */

    len = i2d_PUBKEY(key, &der);
    if (len <= 0) {
        return -1;
    }

    if (kot_sha256(der, (size_t) len, digest) != 0) {
        OPENSSL_free(der);
        return -1;
    }

    OPENSSL_free(der);

    kot_chain_hex(out, digest, KOT_CHAIN_FPR_LEN / 2);
    out[KOT_CHAIN_FPR_LEN] = '\0';

    return 0;
}


EVP_PKEY *
kot_chain_load_public(const char *path)
{
    FILE      *f;
    EVP_PKEY  *key;

    f = fopen(path, "re");
    if (f == NULL) {
        return NULL;
    }

    key = PEM_read_PUBKEY(f, NULL, NULL, NULL);
    fclose(f);

    return key;
}


EVP_PKEY *
kot_chain_load_private(const char *path)
{
    FILE      *f;
    EVP_PKEY  *key;

    f = fopen(path, "re");
    if (f == NULL) {
        return NULL;
    }

    /* no callback: OpenSSL asks on the terminal for an encrypted key */

    key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);

    return key;
}


static int
kot_chain_init(kot_chain_t *c, kot_chain_alg_t alg)
{
    EVP_MAC  *mac;

    memset(c, 0, sizeof(kot_chain_t));

    c->alg = alg;

    if (alg == KOT_CHAIN_HMAC_SHA256) {
        c->mac_len = 32;
        return 0;
    }

    /* made once per chain: a fetch costs a lock and a lookup */

    c->mac_len = 16;

    mac = EVP_MAC_fetch(NULL, "POLY1305", NULL);
    if (mac == NULL) {
        return -1;
    }

    c->poly = EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac);

    return c->poly ? 0 : -1;
}


/*
 * The MAC of record c->seq over mac_{seq-1} || S, where S is s[0..len),
 * followed by a '}' when close is set: a checked line holds S without
 * its last '}'.
 */

static int
kot_chain_mac(kot_chain_t *c, const char *s, size_t len, int close,
    uint8_t *out)
{
    const uint8_t  *key;

    if (c->alg == KOT_CHAIN_POLY1305) {
        /* a wiped chain MACs nothing */
        if (c->poly == NULL) {
            return -1;
        }

        key = c->batched ? kot_chain_record_key(c) : c->key;

        return key ? kot_chain_poly1305(c, key, s, len, close, out) : -1;
    }

    kot_chain_hmac(c, s, len, close, out);

    return 0;
}


/*
 * Poly1305 with K_seq, or the record's key from its write's key, as its
 * one-time key: each key MACs one record only, which is all Poly1305
 * asks, and costs a third of HMAC-SHA256's two hashes on a record of a
 * few hundred bytes.
 */

static int
kot_chain_poly1305(const kot_chain_t *c, const uint8_t *key, const char *s,
    size_t len, int close, uint8_t *out)
{
    int     ok;
    size_t  n;

    ok = EVP_MAC_init(c->poly, key, KOT_CHAIN_KEY_LEN, NULL) == 1
         && EVP_MAC_update(c->poly, c->mac, c->mac_len) == 1
         && EVP_MAC_update(c->poly, (const uint8_t *) s, len) == 1
         && (!close || EVP_MAC_update(c->poly, (const uint8_t *) "}", 1) == 1)
         && EVP_MAC_final(c->poly, out, &n, c->mac_len) == 1
         && n == c->mac_len;

    kot_vector_clean();

    return ok ? 0 : -1;
}


/* HMAC-SHA256, for the chains written before Poly1305 */

static void
kot_chain_hmac(const kot_chain_t *c, const char *s, size_t len, int close,
    uint8_t *out)
{
    kot_hmac_ctx_t  ctx;
    kot_hmac_key_t  k;

    kot_hmac_key(&k, c->key, KOT_CHAIN_KEY_LEN);

    kot_hmac_begin(&ctx, &k);
    kot_hmac_update(&ctx, c->mac, c->mac_len);
    kot_hmac_update(&ctx, s, len);

    if (close) {
        kot_hmac_update(&ctx, "}", 1);
    }

    kot_hmac_end(&ctx, &k, out);
    kot_cleanse(&k, sizeof(k));
}


/*
 * The record's key in a chain with a key per write: ChaCha20's key stream
 * under the write's key, KOT_CHAIN_KEYS keys at a time (one SHA-256 per
 * record cost more than the rest of its MAC).
 */

static const uint8_t *
kot_chain_record_key(kot_chain_t *c)
{
    int       n;
    uint8_t   iv[16];
    uint64_t  from, block;

    from = c->index - c->index % KOT_CHAIN_KEYS;

    if (!c->keys_made || c->keys_from != from) {
        /* the IV: the 32-bit block counter, little-endian; nonce zero */

        block = from * KOT_CHAIN_KEY_LEN / 64;

        if (block > UINT32_MAX - KOT_CHAIN_KEYS_LEN / 64) {
            return NULL;
        }

        memset(iv, 0, sizeof(iv));
        iv[0] = (uint8_t) block;
        iv[1] = (uint8_t) (block >> 8);
        iv[2] = (uint8_t) (block >> 16);
        iv[3] = (uint8_t) (block >> 24);

        memset(c->keys, 0, KOT_CHAIN_KEYS_LEN);

        if (EVP_EncryptInit_ex2(c->chacha, c->chacha20, c->key, iv, NULL) != 1
            || EVP_EncryptUpdate(c->chacha, c->keys, &n, c->keys,
                                 KOT_CHAIN_KEYS_LEN) != 1
            || n != KOT_CHAIN_KEYS_LEN)
        {
            kot_cleanse(c->keys, KOT_CHAIN_KEYS_LEN);
            c->keys_made = 0;
            return NULL;
        }

        c->keys_made = 1;
        c->keys_from = from;
    }

    return c->keys + (c->index - from) * KOT_CHAIN_KEY_LEN;
}


/*
 * The record is sealed: its MAC is kept, and with a key per record
 * K_{i+1} = SHA-256(K_i), K_i not surviving in memory.
 */

static int
kot_chain_advance(kot_chain_t *c, const uint8_t *mac)
{
    if (c->batched) {
        c->index++;

    } else if (kot_chain_rekey(c, c->key, KOT_CHAIN_KEY_LEN) != 0) {
        return -1;
    }

    memcpy(c->mac, mac, c->mac_len);
    c->seq++;

    return 0;
}


/*
 * The next write's key; W_b and the record keys made from it go.  In
 * ngx_kot/2, W_{b+1} = SHA-256(W_b): whoever takes the writer over after
 * write b holds W_{b+1}, and can cut write b short and chain records of
 * their own to what is left of it.  ngx_kot/3 binds the write it closes:
 *
 *     W_{b+1} = SHA-256(W_b || le64(n_b) || mac)
 *
 * n_b the write's records, mac its last one's MAC (c->index and c->mac,
 * for the writer as for the verifier), so a write cut short has another
 * W_{b+1}, which no one holds.  The count alone would do; the MAC, which
 * chains every record of the write, binds its content too for 16 bytes
 * more.  Once per write, not per record: two SHA-256 blocks, not one.
 */

static int
kot_chain_next(kot_chain_t *c)
{
    int      rc, i;
    size_t   n;
    uint8_t  in[KOT_CHAIN_KEY_LEN + 8 + KOT_CHAIN_MAC_MAX];

    memcpy(in, c->key, KOT_CHAIN_KEY_LEN);
    n = KOT_CHAIN_KEY_LEN;

    if (c->bound) {
        for (i = 0; i < 8; i++) {
            in[n++] = (uint8_t) (c->index >> (8 * i));
        }

        memcpy(in + n, c->mac, c->mac_len);
        n += c->mac_len;
    }

    rc = kot_chain_rekey(c, in, n);
    kot_cleanse(in, sizeof(in));

    if (rc != 0) {
        return -1;
    }

    kot_cleanse(c->keys, KOT_CHAIN_KEYS_LEN);
    c->keys_made = 0;

    c->batch++;
    c->index = 0;

    return 0;
}


/* c->key = SHA-256(in[0..n)), in may be c->key; the key before is gone */

static int
kot_chain_rekey(kot_chain_t *c, const uint8_t *in, size_t n)
{
    int      rc;
    uint8_t  next[KOT_CHAIN_KEY_LEN];

    rc = kot_sha256(in, n, next);

    if (rc == 0) {
        memcpy(c->key, next, KOT_CHAIN_KEY_LEN);
    }

    kot_cleanse(next, sizeof(next));

    return rc;
}


/* 1 if s[0..len) ends in ,"kot.batch":N (N > 0, no leading zero) */

static int
kot_chain_mark(const char *s, size_t len, uint64_t *batch)
{
    size_t    i, digits;
    uint64_t  n;

    for (i = len; i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9'; i--) {
        /* void */
    }

    digits = len - i;

    if (digits == 0 || digits > 19 || s[i] == '0' || i < KOT_CHAIN_BATCH_LEN
        || memcmp(s + i - KOT_CHAIN_BATCH_LEN, KOT_CHAIN_BATCH_PREFIX,
                  KOT_CHAIN_BATCH_LEN) != 0)
    {
        return 0;
    }

    for (n = 0; i < len; i++) {
        n = n * 10 + (uint64_t) (s[i] - '0');
    }

    *batch = n;

    return 1;
}


static char *
kot_chain_uint(char *p, uint64_t n)
{
    char  digits[20], *d;

    d = digits + sizeof(digits);

    do {
        *--d = (char) ('0' + n % 10);
        n /= 10;
    } while (n);

    memcpy(p, d, digits + sizeof(digits) - d);

    return p + (digits + sizeof(digits) - d);
}


static EVP_PKEY_CTX *
kot_chain_oaep_ctx(EVP_PKEY *key, int encrypt)
{
    int            rc;
    EVP_PKEY_CTX  *ctx;

    if (key == NULL || !EVP_PKEY_is_a(key, "RSA")) {
        return NULL;
    }

    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
    if (ctx == NULL) {
        return NULL;
    }

    rc = encrypt ? EVP_PKEY_encrypt_init(ctx) : EVP_PKEY_decrypt_init(ctx);

    if (rc != 1
        || EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) != 1
        || EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) != 1
        || EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) != 1)
    {
        EVP_PKEY_CTX_free(ctx);
        return NULL;
    }

    return ctx;
}


static void
kot_chain_hex(char *dst, const uint8_t *src, size_t n)
{
    size_t  i;

    static const char  hex[] = "0123456789abcdef";

    for (i = 0; i < n; i++) {
        dst[2 * i] = hex[src[i] >> 4];
        dst[2 * i + 1] = hex[src[i] & 0x0f];
    }
}


/* lower-case hex only: a MAC has exactly one spelling */

static int
kot_chain_unhex(uint8_t *dst, const char *src, size_t n)
{
    int     v, j;
    size_t  i;
    char    ch;

    for (i = 0; i < n; i++) {
        v = 0;

        for (j = 0; j < 2; j++) {
            ch = src[2 * i + j];

            if (ch >= '0' && ch <= '9') {
                v = (v << 4) | (ch - '0');

            } else if (ch >= 'a' && ch <= 'f') {
                v = (v << 4) | (ch - 'a' + 10);

            } else {
                return -1;
            }
        }

        dst[i] = (uint8_t) v;
    }

    return 0;
}
