/*
 * ngx_kot: cryptographic primitives on top of OpenSSL 3.0.
 */

#include <limits.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "kot_crypto.h"


typedef struct {
    const void  *data;
    size_t       len;
} kot_chunk_t;


#define KOT_DERIVE_PREFIX  "kot-v1 "


static int kot_hmac_chunks(const uint8_t *key, size_t key_len,
    const kot_chunk_t *chunks, size_t n, uint8_t out[KOT_MAC_LEN]);


int
kot_random(void *buf, size_t len)
{
    uint8_t  *p;
    size_t    chunk;

    /* RAND_bytes() takes an int: feed it in pieces it can take */

    p = buf;

    while (len > 0) {
        chunk = len > INT_MAX ? INT_MAX : len;

        if (RAND_bytes(p, (int) chunk) != 1) {
            return -1;
        }

        p += chunk;
        len -= chunk;
    }

    return 0;
}


int
kot_hmac_sha256(const uint8_t *key, size_t key_len, const void *msg,
    size_t len, uint8_t out[KOT_MAC_LEN])
{
    kot_chunk_t  chunk;

    chunk.data = msg;
    chunk.len = len;

    return kot_hmac_chunks(key, key_len, &chunk, 1, out);
}


int
kot_sha256(const void *msg, size_t len, uint8_t out[KOT_MAC_LEN])
{
    unsigned int  out_len;

    if (msg == NULL) {
        msg = "";
    }

    if (EVP_Digest(msg, len, out, &out_len, EVP_sha256(), NULL) != 1
        || out_len != KOT_MAC_LEN)
    {
        return -1;
    }

    return 0;
}


int
kot_derive_key(const uint8_t *master, size_t master_len, const char *label,
    uint8_t out[KOT_KEY_LEN])
{
    kot_chunk_t  chunks[2];

    /* a short master key would make every subkey guessable */

    if (master_len < KOT_MASTER_MIN || master_len > KOT_MASTER_MAX
        || label == NULL)
    {
        return -1;
    }

    chunks[0].data = KOT_DERIVE_PREFIX;
    chunks[0].len = sizeof(KOT_DERIVE_PREFIX) - 1;
    chunks[1].data = label;
    chunks[1].len = strlen(label);

    return kot_hmac_chunks(master, master_len, chunks, 2, out);
}


int
kot_ct_equal(const void *a, const void *b, size_t len)
{
    if (len == 0) {
        return 1;
    }

    return CRYPTO_memcmp(a, b, len) == 0;
}


void
kot_cleanse(void *p, size_t len)
{
    if (p != NULL && len > 0) {
        OPENSSL_cleanse(p, len);
    }
}


/*
 * HMAC-SHA256 over the concatenation of the chunks, so that callers never
 * need a buffer to glue a message together.  The MAC is fetched per call:
 * OpenSSL caches fetches, and a shared EVP_MAC would need locking.
 */

static int
kot_hmac_chunks(const uint8_t *key, size_t key_len, const kot_chunk_t *chunks,
    size_t n, uint8_t out[KOT_MAC_LEN])
{
    int            rc;
    size_t         i, out_len;
    EVP_MAC       *mac;
    OSSL_PARAM     params[2];
    EVP_MAC_CTX   *ctx;
    static const uint8_t  empty[1];

    /* a NULL key would make EVP_MAC_init() keep a previous key */

    if (key == NULL) {
        if (key_len != 0) {
            return -1;
        }

        key = empty;
    }

    rc = -1;
    ctx = NULL;

    mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (mac == NULL) {
        return -1;
    }

    ctx = EVP_MAC_CTX_new(mac);
    if (ctx == NULL) {
        goto done;
    }

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *) "SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();

    if (EVP_MAC_init(ctx, key, key_len, params) != 1) {
        goto done;
    }

    for (i = 0; i < n; i++) {
        if (chunks[i].len == 0) {
            continue;
        }

        if (EVP_MAC_update(ctx, chunks[i].data, chunks[i].len) != 1) {
            goto done;
        }
    }

    if (EVP_MAC_final(ctx, out, &out_len, KOT_MAC_LEN) != 1
        || out_len != KOT_MAC_LEN)
    {
        goto done;
    }

    rc = 0;

done:

    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);

    return rc;
}
