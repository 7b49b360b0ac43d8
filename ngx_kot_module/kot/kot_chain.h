/*
 * ngx_kot: the audit log's MAC chain with evolving keys (docs/audit.md).
 * Pure C on OpenSSL: the module writes with it, kotctl writes and
 * verifies with it.
 */

#ifndef KOT_CHAIN_H
#define KOT_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#define KOT_CHAIN_ID_LEN       16      /* hex digits */
#define KOT_CHAIN_KEY_LEN      32
#define KOT_CHAIN_MAC_MAX      32      /* bytes, of either algorithm */
#define KOT_CHAIN_MAC_HEX_MAX  (2 * KOT_CHAIN_MAC_MAX)
#define KOT_CHAIN_FPR_LEN      16      /* hex digits of the key fingerprint */
#define KOT_CHAIN_SEALED_MAX   1024    /* base64 of an RSA-OAEP block */

/* record 0 names the chain's MAC algorithm in this member */
#define KOT_CHAIN_ALG_MEMBER   "kot.mac_alg"

/*
 * record 0 of an nginx chain names its format in this member: "ngx_kot/1"
 * (or none: kotctl's chains) evolves the key after every record,
 * "ngx_kot/2" and "ngx_kot/3" after every write of the log's buffer,
 * ngx_kot/3 into a key that depends on the write it closes
 */
#define KOT_CHAIN_VERSION_MEMBER  "kot.version"
#define KOT_CHAIN_VERSION_1       "ngx_kot/1"
#define KOT_CHAIN_VERSION_2       "ngx_kot/2"
#define KOT_CHAIN_VERSION_3       "ngx_kot/3"

/*
 * in a chain that evolves its key per write, the first record of each
 * write after the first ends in ,"kot.batch":<the write's number>
 */
#define KOT_CHAIN_BATCH_PREFIX    ",\"kot.batch\":"
#define KOT_CHAIN_BATCH_MAX       (sizeof(KOT_CHAIN_BATCH_PREFIX) - 1 + 20)

/* record keys made at once in a chain with a key per write */
#define KOT_CHAIN_KEYS            64

/* records framed at most before kot_chain_seal_framed() must run */
#define KOT_CHAIN_FRAMED_MAX      KOT_CHAIN_KEYS

/* what follows S_i's content in a line: ,"kot.mac":"<hex>"}\n */
#define KOT_CHAIN_MAC_PREFIX   ",\"kot.mac\":\""
#define KOT_CHAIN_SUFFIX(hex)  (sizeof(KOT_CHAIN_MAC_PREFIX) - 1 + (hex) + 2)
#define KOT_CHAIN_SUFFIX_MAX   (KOT_CHAIN_BATCH_MAX                          \
                                + KOT_CHAIN_SUFFIX(KOT_CHAIN_MAC_HEX_MAX))

typedef enum {
    KOT_CHAIN_POLY1305 = 0,             /* what every writer uses */
    KOT_CHAIN_HMAC_SHA256               /* chains without the member */
} kot_chain_alg_t;

typedef struct {
    char              id[KOT_CHAIN_ID_LEN + 1];
    uint64_t          seq;                      /* of the next record */
    uint8_t           key[KOT_CHAIN_KEY_LEN];   /* K_seq, or the write's */
    uint8_t           mac[KOT_CHAIN_MAC_MAX];   /* mac_{seq-1}, zeros at 0 */
    size_t            mac_len;
    kot_chain_alg_t   alg;
    EVP_MAC_CTX      *poly;

    /* a key per write (ngx_kot/2 and 3) */
    unsigned          batched:1;
    unsigned          bound:1;                  /* ngx_kot/3 */
    unsigned          keys_made:1;
    uint64_t          batch;                    /* the write's number */
    uint64_t          index;                    /* the next record's in it */
    uint64_t          keys_from;                /* index of keys[0] */
    uint8_t          *keys;                     /* KOT_CHAIN_KEYS of them */
    EVP_CIPHER       *chacha20;
    EVP_CIPHER_CTX   *chacha;

    /* a writer's records framed, their MACs not made yet */
    size_t            framed;
    struct {
        char         *line;
        size_t        body;                     /* where the suffix starts */
    }                *frames;                   /* KOT_CHAIN_FRAMED_MAX */

    /* a verifier's: the write's key before kot_chain_skip() moved on */
    unsigned          prev_kept:1;
    uint64_t          prev_index;
    uint8_t           prev[KOT_CHAIN_KEY_LEN];
} kot_chain_t;

/*
 * Starts a Poly1305 chain: a random id and a random K_0, copied to k0 (to
 * be sealed into record 0, then wiped by the caller).  Record 0 must
 * carry KOT_CHAIN_ALG_MEMBER with kot_chain_alg_name(c).  0 on success;
 * kot_chain_wipe() ends the chain either way.
 */
int kot_chain_start(kot_chain_t *c, uint8_t k0[KOT_CHAIN_KEY_LEN]);

/* Sets up a chain to verify, from its id and its opened K_0.  0 on success. */
int kot_chain_resume(kot_chain_t *c, const char *id,
    const uint8_t k0[KOT_CHAIN_KEY_LEN], kot_chain_alg_t alg);

/*
 * The algorithm that record 0's KOT_CHAIN_ALG_MEMBER names, NULL when it
 * has none (the chains written before the member existed): 0, or -1 for
 * a name we do not know.
 */
int kot_chain_alg(const char *name, kot_chain_alg_t *alg);
const char *kot_chain_alg_name(const kot_chain_t *c);

/*
 * The format that record 0's KOT_CHAIN_VERSION_MEMBER names (NULL when it
 * has none): *format is its number, 1 (a key per record), 2 or 3 (a key
 * per write).  0, or -1 for a version we do not know.
 */
int kot_chain_version(const char *version, int *format);

/* The KOT_CHAIN_VERSION_MEMBER of the chain's format, for its record 0. */
const char *kot_chain_version_name(const kot_chain_t *c);

/*
 * Makes a chain just started or resumed evolve its key per write rather
 * than per record, in format 2 or 3.  Record i of write b is MACed, as in
 * ngx_kot/1, over mac_{i-1} || S_i, with a key of its own: 32 bytes of
 * the ChaCha20 key stream of the write's key W_b (nonce and counter
 * zero), the j-th 32 bytes for the write's j-th record.  W_0 = K_0; in
 * ngx_kot/3 W_{b+1} = SHA-256(W_b || le64(n_b) || mac of write b's last
 * record), n_b its records, and in ngx_kot/2 W_{b+1} = SHA-256(W_b), which
 * lets whoever holds W_{b+1} cut write b short.  0 on success.
 */
int kot_chain_batched(kot_chain_t *c, int format);

/*
 * The records sealed so far are written: a chain with a key per write
 * moves to the next write's key, and wipes the one before and the record
 * keys made from it.  The next record carries KOT_CHAIN_BATCH_PREFIX.
 * Nothing happens if no record was sealed since the last write, or for
 * a chain with a key per record.  0 on success.
 */
int kot_chain_written(kot_chain_t *c);

/* mac_{seq-1} in lower-case hex, NUL-terminated: the chain's head. */
size_t kot_chain_head_hex(const kot_chain_t *c,
    char out[KOT_CHAIN_MAC_HEX_MAX + 1]);

/*
 * Finishes record c->seq: s[0..len) is S_i, a JSON object text ending in
 * '}' that already holds @timestamp, event.sequence and kot.chain.
 * Writes the complete line (S_i with ,"kot.mac":"..."} and '\n' in place
 * of its final '}', and the write's number before it when it starts a
 * write) into out, which holds len + KOT_CHAIN_SUFFIX_MAX bytes, and
 * returns the line's length, or -1.  Then moves the chain on: the MAC is
 * kept, seq + 1, and in a chain with a key per record the key evolves
 * and the old key is wiped.
 */
long kot_chain_seal(kot_chain_t *c, const char *s, size_t len, char *out);

/*
 * kot_chain_seal() in two steps, for a writer that seals records in runs:
 * the MAC code and its key schedule stay in the CPU's caches for a run,
 * where a record sealed alone between requests finds them cold and costs
 * about twice as much.  kot_chain_frame() writes record
 * kot_chain_next_seq(c)'s line as kot_chain_seal() does, with room for
 * its MAC but not the MAC, and returns the line's length or -1;
 * the chain does not move yet.  kot_chain_seal_framed() makes the MACs
 * of the records framed so far, in order, into their lines, which must
 * not have moved, and moves the chain on as kot_chain_seal() would have:
 * the lines are then the same, byte for byte.  It must run before
 * KOT_CHAIN_FRAMED_MAX records are framed, and before kot_chain_seal(),
 * kot_chain_written() or kot_chain_head_hex(): the first two refuse (-1)
 * while records are framed.  0 on success; on failure -1, *failed the
 * line of the first record left without a MAC (the chain stands before
 * it, and no record is framed any more).  Only in a chain with a key per
 * write.
 */
long kot_chain_frame(kot_chain_t *c, const char *s, size_t len, char *out);
int kot_chain_seal_framed(kot_chain_t *c, char **failed);

/* The sequence number of the next record framed or sealed. */
static inline uint64_t
kot_chain_next_seq(const kot_chain_t *c)
{
    return c->seq + c->framed;
}

/*
 * Checks one line (without '\n') as record c->seq of chain c: 1 if its
 * MAC is right (and the chain moves on), 0 if not (the chain does not
 * move), -1 if the line does not end in a well-formed "kot.mac" member.
 */
int kot_chain_check(kot_chain_t *c, const char *line, size_t len);

/*
 * For a verifier that goes on after a problem.  kot_chain_skip() moves
 * chain c past record c->seq without checking it: its key is used up,
 * and the MAC that the line states, unverified, is the one the next
 * record is checked against.  known says that c->mac is the MAC of the
 * record before (none is missing); then a line marked as a write's
 * first record moves the chain to the next write's key, whatever number
 * it states, and kot_chain_unskip() takes that back (the mark was
 * added: the record was one of the write before) if the next record
 * does not verify.  After records missing, a mark moves an ngx_kot/2
 * chain to the write it names (W_{b+1} = SHA-256(W_b)); an ngx_kot/3
 * chain cannot follow, as W_{b+1} is made from write b's last record.
 * Returns 1 when the chain moved, 2 when it moved to the next write's
 * key on the word of a record not verified, 0 when it moved but the line
 * states no MAC (the next record cannot be checked either), -1 when the
 * chain's keys cannot follow.  kot_chain_unskip() returns 0, or -1 when
 * there is nothing to take back.
 *
 * kot_chain_jump() moves chain c to record seq, the records from c->seq
 * on being missing: their keys are used up, in a chain with a key per
 * write as records of the current write, and the MAC before record seq
 * is unknown.  0, or -1 for a jump of more than KOT_CHAIN_JUMP_MAX.
 */
#define KOT_CHAIN_JUMP_MAX        (1U << 24)

int kot_chain_skip(kot_chain_t *c, const char *line, size_t len, int known);
int kot_chain_unskip(kot_chain_t *c);
int kot_chain_jump(kot_chain_t *c, uint64_t seq);

/* Wipes the chain's key material and frees what it holds. */
void kot_chain_wipe(kot_chain_t *c);

/*
 * K_0 sealed to the auditor's RSA public key (RSA-OAEP, SHA-256) as
 * padded standard base64, NUL-terminated in out (cap bytes); returns the
 * length or -1.  kot_chain_open_key() reverses it with the private key;
 * 0 on success.
 */
long kot_chain_seal_key(EVP_PKEY *pub, const uint8_t k0[KOT_CHAIN_KEY_LEN],
    char *out, size_t cap);
int kot_chain_open_key(EVP_PKEY *priv, const char *b64, size_t len,
    uint8_t k0[KOT_CHAIN_KEY_LEN]);

/*
 * The first KOT_CHAIN_FPR_LEN hex digits of SHA-256 over the public key's
 * DER SubjectPublicKeyInfo, NUL-terminated.  0 on success.
 */
int kot_chain_fingerprint(EVP_PKEY *key, char out[KOT_CHAIN_FPR_LEN + 1]);

/* Loads a PEM public or private key file; NULL on failure. */
EVP_PKEY *kot_chain_load_public(const char *path);
EVP_PKEY *kot_chain_load_private(const char *path);

#endif /* KOT_CHAIN_H */
