/*
 * kotctl: "audit verify" and "audit query" (docs/audit.md).
 *
 * Both stream the files line by line, plain or gzip'd, through one
 * buffer: logs of any size pass in bounded memory, and a line longer than
 * any record (1 MiB) is skipped, never truncated into something else.
 * Log files are evidence that may have been tampered with: nothing in
 * them is trusted, and nothing from them is printed raw.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>

#include <zlib.h>

#include "kotctl.h"
#include "kot_chain.h"
#include "kot_crypto.h"
#include "kot_ident.h"
#include "kot_scripts.h"
#include "kot_text.h"
#include "kot_utf8.h"


/* the fuzz target (Makefile) makes these small: see t/fuzz/README.md */
#ifndef KOTCTL_LINE_MAX
#define KOTCTL_LINE_MAX       (1024 * 1024)
#endif
#ifndef KOTCTL_READ_CHUNK
#define KOTCTL_READ_CHUNK     (256 * 1024)
#endif
#define KOTCTL_TS_LEN         24          /* 2026-11-26T10:00:00.123Z */
#define KOTCTL_TS_PREFIX      "{\"@timestamp\":\""
#define KOTCTL_TS_PREFIX_LEN  (sizeof(KOTCTL_TS_PREFIX) - 1)
#define KOTCTL_BATCH          512         /* Redis commands per round trip */
#define KOTCTL_NOT_GIVEN      UINT64_MAX  /* a log the files do not cover */
#define KOTCTL_FILE_HOSTS     16          /* hosts told apart in one file */
#define KOTCTL_HOST_MAX       1024        /* an anchor's host, as recorded */
#define KOTCTL_WHERE_SHOW     511         /* characters of its file or host
                                             shown */
#define KOTCTL_WHERE_MAX      (2 * KOTCTL_CUT_SIZE(KOTCTL_WHERE_SHOW) + 4)
#define KOTCTL_PROBLEMS_SHOWN 1000        /* findings listed, then counted */
#define KOTCTL_NO_SLOT        SIZE_MAX


/* line reader */

typedef struct {
    int          fd;
    const char  *path;
    char        *buf;           /* KOTCTL_LINE_MAX + KOTCTL_READ_CHUNK */
    size_t       start;         /* of the next line */
    size_t       scan;          /* searched for '\n' up to here */
    size_t       end;
    uint64_t     line;          /* number of the last line returned */
    unsigned     eof:1;
    unsigned     skipping:1;    /* inside a line too long to keep */

    /* the file as read: in zs.next_in, zs.avail_in bytes not yet used */
    z_stream     zs;
    Bytef       *in;            /* KOTCTL_READ_CHUNK */
    uint64_t     members;       /* gzip members begun */
    uint64_t     padding;       /* zero bytes after the last member */
    unsigned     gzip:1;        /* inflated, else read as it is */
    unsigned     in_eof:1;
    unsigned     member_end:1;  /* the last member begun is whole */
    unsigned     trailing:1;    /* the error: data after the last member */
} kotctl_reader_t;

#define KOTCTL_LINE      1
#define KOTCTL_LONG      2      /* a line over KOTCTL_LINE_MAX, skipped */
#define KOTCTL_EOF       0
#define KOTCTL_READ_ERR  (-1)


/* verify */

typedef struct {
    kot_chain_t  chain;         /* next record, key and previous MAC */
    const char  *path;          /* where its last record read in order is */
    uint64_t     line;
    uint64_t     start_ms;      /* when its chain_start was written */
    char        *host;          /* its record 0's host.hostname, or NULL */
    unsigned     noted;         /* 1 + the file given its host was noted in */
    unsigned     ended:1;       /* its chain_end verified */

    /*
     * Going on after a problem: the chain is followed again from the
     * next record whose key can be derived, the MAC its line states
     * taken as the one the record after it is checked against.
     */
    unsigned     dead:1;        /* its keys cannot be followed: the rest of
                                   it is not verified */
    unsigned     blind:1;       /* the MAC of the record before is unknown:
                                   the next record cannot be checked */
    unsigned     unsure:1;      /* that MAC is as stated, not verified */
    unsigned     guessed:1;     /* its write's key is the next write's
                                   on the word of a record not verified */
    unsigned     lost:1;        /* records missing since its last record
                                   verified: a write may have begun among
                                   them */
    unsigned     lost_said:1;   /* and verify said it could not follow */
    uint64_t     top;           /* 1 + the highest sequence number read */
    const char  *top_path;
    uint64_t     top_line;

    /* a sequence gap: records removed, or that come later */
    unsigned     gap:1;
    unsigned     gap_moved:1;   /* one of them came later: said so */
    uint64_t     gap_expected;
    uint64_t     gap_found;
    const char  *gap_path;
    uint64_t     gap_line;
    size_t       gap_slot;      /* its finding's place in the queue */

    /*
     * its anchor as its record 0 was read, before the rest of it: kept
     * while the anchor's record is to come, and a tail missing if it
     * does not
     */
    char        *anchor_where;  /* "FILE on HOST", or NULL: none to check */
    uint64_t     anchor_seq;
    uint64_t     anchor_ms;     /* its ts */
    char         anchor_mac[KOT_CHAIN_MAC_HEX_MAX + 1];
} kotctl_vchain_t;

/* a file given */

/* lines of a file in a row, verified or not */

typedef struct {
    uint64_t     first;
    uint64_t     last;
    unsigned     ok:1;
} kotctl_run_t;

#define KOTCTL_RUNS           24          /* runs of a file told */

typedef struct {
    const char  *path;
    const char  *base;          /* its name without the directory */
    kotctl_run_t runs[KOTCTL_RUNS];        /* its first runs of lines */
    unsigned     nruns;
    unsigned     more_runs:1;   /* and more than those */
    unsigned     crlf:1;        /* its first record's line ends in CRLF */
    unsigned     crlf_known:1;
    uint64_t     lines_ok;
    uint64_t     lines_bad;
    dev_t        dev;
    ino_t        ino;
    char         first_ts[KOTCTL_TS_LEN + 1];  /* its oldest record's */
    const char  *hosts[KOTCTL_FILE_HOSTS];     /* its chains' hosts */
    unsigned     nhosts;
    unsigned     stat:1;        /* dev and ino are known */
    unsigned     untold:1;      /* a chain of it names no host, or too many
                                   hosts wrote it */
    unsigned     blind:1;       /* a chain was expected in it only because
                                   its host is not known */
} kotctl_given_t;

/* a log that the files' own chains are anchored to, and their oldest start */

typedef struct {
    char        *name;
    const char  *host;          /* the chains' host, or NULL: none named */
    uint64_t     since;         /* ms */
} kotctl_log_t;

typedef struct {
    json_t      *json;          /* NULL when read by the fixed layout */
    uint64_t     seq;
    char         chain[KOT_CHAIN_ID_LEN + 1];
    char         ts[KOTCTL_TS_LEN + 1];     /* "" unless well-formed */
    unsigned     start:1;       /* event.action is chain_start */
    unsigned     end:1;         /* event.action is chain_end */
} kotctl_record_t;

#define KOTCTL_SEQ_PREFIX     "\",\"event.sequence\":"
#define KOTCTL_CHAIN_PREFIX   ",\"kot.chain\":\""
#define KOTCTL_END_ACTION     "\",\"event.action\":\"chain_end\","

/* the auditor's keys of one verify: the old ones too, after a rotation */
#define KOTCTL_VERIFY_KEYS    8

typedef struct {
    kotctl_t          *k;
    EVP_PKEY          *priv[KOTCTL_VERIFY_KEYS];
    char               fpr[KOTCTL_VERIFY_KEYS][KOT_CHAIN_FPR_LEN + 1];
    size_t             nkeys;

    kotctl_vchain_t   *chains;      /* in order of first appearance */
    size_t             nchains;
    size_t             cap;
    uint32_t          *index;       /* 1 + position in chains; 0: free */
    size_t             index_size;  /* a power of two */

    uint64_t           records;
    unsigned           files;
    kotctl_given_t    *given;       /* [files], the current one last */
    uint64_t           until_ms;    /* --until, or 0 */
    const char        *host;        /* --host, or NULL */
    unsigned           anchors:1;   /* not --no-anchors */
    redisReply        *listed;      /* the chains Redis knew of before
                                       the files were read */

    const char        *path;        /* where the current line is */
    uint64_t           line;
    unsigned           verified:1;  /* the current line's record */
    unsigned           fatal:1;     /* verify cannot go on */
    uint64_t           problem;     /* the problems found */
    uint64_t           unlisted;    /* those past KOTCTL_PROBLEMS_SHOWN */
    uint64_t           jumped;      /* keys derived past records missing */

    /*
     * Findings waiting for a gap's, which the rest of the files decide
     * (the records may come later), so that they come out in the order
     * of the lines: NULL for one still to come.
     */
    char             **queue;
    size_t             nqueue;
    size_t             queue_cap;
    size_t             queue_head;

    kotctl_log_t      *logs;
    size_t             nlogs;
    size_t             logs_cap;
    size_t             unanchored;
    size_t             beyond;      /* chains written on after --until */
    size_t             lost;        /* chains missing altogether */
    size_t             unbound;     /* ngx_kot/2 chains */
} kotctl_verify_t;


/*
 * The order of the files, as their records tell it: what each holds of
 * each chain, by the chain's id (its 16 hex digits as a number).
 */

typedef struct {
    uint64_t     id;
    uint64_t     first;         /* its lowest sequence number in the file */
    uint64_t     last;          /* its highest */
    unsigned     used:1;
} kotctl_span_t;

typedef struct {
    char         *path;
    kotctl_span_t *spans;       /* a hash table, then sorted by id */
    size_t        nspans;
    size_t        size;         /* of the table, a power of two */
    char          first_ts[KOTCTL_TS_LEN + 1];  /* "" for no record */
    unsigned      placed:1;
} kotctl_order_t;

#define KOTCTL_ORDER_SPANS  64  /* a table's first size */


/* query */

typedef struct {
    const char  *keys[2];       /* members that may match; keys[1] or NULL */
    char        *value;
    char        *needle[2];     /* "key":"value", or NULL: parse instead */
    size_t       needle_len[2];
} kotctl_filter_t;

typedef struct {
    char             since[KOTCTL_TS_LEN + 1];
    char             until[KOTCTL_TS_LEN + 1];
    kotctl_filter_t  filters[4];
    int              nfilters;
    uint64_t         skipped;
    uint64_t         withheld;  /* matching lines not printable as they are */
} kotctl_query_t;


static int kotctl_reader_open(kotctl_reader_t *r, const char *path);
static int kotctl_reader_next(kotctl_reader_t *r, char **line, size_t *len);
static int kotctl_reader_fill(kotctl_reader_t *r);
static long kotctl_reader_read(kotctl_reader_t *r, char *dst, size_t cap);
static long kotctl_reader_inflate(kotctl_reader_t *r, char *dst,
    size_t cap);
static int kotctl_reader_input(kotctl_reader_t *r);
static int kotctl_reader_compressed(kotctl_reader_t *r);
static long kotctl_reader_zeros(kotctl_reader_t *r);
static long kotctl_reader_broken(kotctl_reader_t *r);
static void kotctl_reader_padded(kotctl_reader_t *r);
static void kotctl_reader_close(kotctl_reader_t *r);

static int kotctl_files_distinct(char **files, int n);
static int kotctl_files_order(char **files, int n);
static int kotctl_order_read(kotctl_order_t *f);
static kotctl_span_t *kotctl_order_span(kotctl_order_t *f, uint64_t id);
static int kotctl_order_before(kotctl_order_t *a, kotctl_order_t *b);
static int kotctl_order_blocked(kotctl_order_t *f, unsigned char *before,
    int n, int j);
static int kotctl_order_older(kotctl_order_t *a, kotctl_order_t *b);
static int kotctl_span_cmp(const void *a, const void *b);

static int kotctl_verify_args(kotctl_verify_t *v, int argc, char **argv,
    const char **keys, int *anchors);
static int kotctl_verify_file(kotctl_verify_t *v, const char *path);
static void kotctl_verify_line(kotctl_verify_t *v, const char *line,
    size_t len);
static void kotctl_verify_record(kotctl_verify_t *v, kotctl_record_t *rec,
    const char *line, size_t len);
static void kotctl_verify_failed(kotctl_verify_t *v, kotctl_vchain_t *ch,
    kotctl_record_t *rec, int rc);
static void kotctl_verify_skip(kotctl_verify_t *v, kotctl_vchain_t *ch,
    kotctl_record_t *rec, const char *line, size_t len);
static void kotctl_verify_early(kotctl_verify_t *v, kotctl_vchain_t *ch,
    kotctl_record_t *rec);
static void kotctl_verify_gap(kotctl_verify_t *v, kotctl_vchain_t *ch,
    kotctl_record_t *rec, const char *line, size_t len);
static kotctl_vchain_t *kotctl_verify_dead(kotctl_verify_t *v,
    const char *id);
static void kotctl_verify_at(kotctl_verify_t *v, size_t slot,
    const char *path, uint64_t line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void kotctl_verify_say(kotctl_verify_t *v, size_t slot,
    const char *path, uint64_t line, const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));
static size_t kotctl_verify_reserve(kotctl_verify_t *v);
static void kotctl_verify_flush(kotctl_verify_t *v);
static void kotctl_verify_mark(kotctl_given_t *g, uint64_t line, int ok);
static void kotctl_verify_summary(kotctl_verify_t *v);
static void kotctl_verify_runs(kotctl_given_t *g, int ok);
static void kotctl_verify_mac(kotctl_verify_t *v, kotctl_vchain_t *ch,
    kotctl_record_t *rec, const char *line, size_t len);
static kotctl_vchain_t *kotctl_verify_begin(kotctl_verify_t *v,
    kotctl_record_t *rec);
static void kotctl_verify_given(kotctl_given_t *g, const char *path);
static void kotctl_given_host(kotctl_given_t *g, const char *host);
static int kotctl_given_names(kotctl_given_t *g, const char *host);
static int kotctl_given_by(kotctl_verify_t *v, kotctl_given_t *g,
    const char *host, int *blind);
static void kotctl_verify_gaps(kotctl_verify_t *v);
static void kotctl_verify_missing(kotctl_verify_t *v, kotctl_vchain_t *ch);
static void kotctl_verify_problem(kotctl_verify_t *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static kotctl_vchain_t *kotctl_verify_find(kotctl_verify_t *v,
    const char *id);
static kotctl_vchain_t *kotctl_verify_add(kotctl_verify_t *v,
    const char *id, const uint8_t k0[KOT_CHAIN_KEY_LEN],
    kot_chain_alg_t alg);
static int kotctl_verify_rehash(kotctl_verify_t *v);
static void kotctl_verify_free(kotctl_verify_t *v);
static int kotctl_anchors(kotctl_verify_t *v);
static int kotctl_anchor_fetch(kotctl_verify_t *v, kotctl_vchain_t *ch);
static int kotctl_anchor_keep(kotctl_verify_t *v, kotctl_vchain_t *ch,
    redisReply *r);
static void kotctl_anchor_held(kotctl_verify_t *v, kotctl_vchain_t *ch,
    kotctl_record_t *rec);
static void kotctl_anchor_tail(kotctl_verify_t *v, kotctl_vchain_t *ch);
static int kotctl_anchor_listed(kotctl_verify_t *v);
static int kotctl_anchor_lost(kotctl_verify_t *v);
static int kotctl_anchor_lost_one(kotctl_verify_t *v, const char *id,
    const char *score, redisReply *r);
static void kotctl_anchor_blind(kotctl_verify_t *v);
static kotctl_log_t *kotctl_anchor_log(kotctl_verify_t *v,
    const char *name, const char *host);
static int kotctl_anchor_expected(kotctl_verify_t *v, const char *name,
    const char *host, uint64_t ms);
static int kotctl_anchor_given(kotctl_verify_t *v, const char *name,
    const char *host, uint64_t ms);
static const char *kotctl_anchor_host(redisReply *e,
    char buf[KOTCTL_HOST_MAX]);
static void kotctl_anchor_where(char where[KOTCTL_WHERE_MAX],
    redisReply *file, const char *host);
static int kotctl_same_host(const char *a, const char *b);
static int kotctl_anchor_error(kotctl_verify_t *v);

static int kotctl_record_parse(kotctl_record_t *rec, const char *line,
    size_t len);
static int kotctl_record_fast(kotctl_record_t *rec, const char *line,
    size_t len);
static int kotctl_is_chain_id(const char *s);
static int kotctl_is_ts(const char *s, size_t len);
static int kotctl_ts_ms(const char *ts, uint64_t *ms);
static int kotctl_ms_ts(uint64_t ms, char ts[KOTCTL_TS_LEN + 1]);

static int kotctl_query_args(kotctl_query_t *q, int argc, char **argv,
    int *first);
static int kotctl_query_filter(kotctl_query_t *q, const char *key1,
    const char *key2, const char *value);
static char *kotctl_query_needle(const char *key, const char *value,
    size_t *len);
static int kotctl_query_file(kotctl_query_t *q, const char *path);
static int kotctl_query_match(kotctl_query_t *q, const char *line,
    size_t len);
static int kotctl_query_member(kotctl_filter_t *f, int i, const char *line,
    size_t len);
static int kotctl_query_parsed(kotctl_filter_t *f, json_t *rec);
static int kotctl_top_level(const char *line, size_t pos);
static int kotctl_plain(const char *s);
static int kotctl_line_crlf(const char *line, size_t *len);
static int kotctl_line_printable(const char *line, size_t len);
static int kotctl_printable8(const unsigned char *p);
static int kotctl_parse_time(const char *s, char out[KOTCTL_TS_LEN + 1]);
static int kotctl_parse_digits(const char **p, int n, int *value);


/* ------------------------------------------------------------------ */
/* audit verify                                                        */
/* ------------------------------------------------------------------ */


int
kotctl_audit_verify(kotctl_t *k, int argc, char **argv)
{
    int              i, first, anchors, rc;
    size_t           n;
    const char      *keys[KOTCTL_VERIFY_KEYS];
    kotctl_verify_t  v;

    memset(&v, 0, sizeof(v));
    v.k = k;

    first = kotctl_verify_args(&v, argc, argv, keys, &anchors);
    if (first < 0) {
        return KOTCTL_USAGE;
    }

    if (kotctl_files_distinct(argv + first, argc - first) != 0) {
        return KOTCTL_USAGE;
    }

    if (kotctl_files_order(argv + first, argc - first) != 0) {
        return KOTCTL_FAIL;
    }

    v.given = calloc(argc - first, sizeof(kotctl_given_t));
    if (v.given == NULL) {
        kotctl_error("out of memory");
        return KOTCTL_FAIL;
    }

    for (n = v.nkeys, v.nkeys = 0; v.nkeys < n; v.nkeys++) {
        v.priv[v.nkeys] = kot_chain_load_private(keys[v.nkeys]);

        if (v.priv[v.nkeys] == NULL
            || kot_chain_fingerprint(v.priv[v.nkeys], v.fpr[v.nkeys]) != 0)
        {
            kotctl_error("\"%s\" is not a readable PEM private key",
                         keys[v.nkeys]);
            v.nkeys++;
            kotctl_verify_free(&v);
            return KOTCTL_FAIL;
        }
    }

    v.anchors = anchors;

    /* before a long read: a missing Redis should not show at the end */

    if (anchors && kotctl_connect(k) != KOTCTL_OK) {
        kotctl_error("cannot check the anchors; --no-anchors verifies "
                     "without them, but then a cut-off tail goes unseen");
        kotctl_verify_free(&v);
        return KOTCTL_FAIL;
    }

    /*
     * The chains Redis knew of before the files were read: on a live log,
     * those started later, by a reload or a kotctl run, are in no file
     * read, and are not missing.
     */

    if (anchors && kotctl_anchor_listed(&v) != 0) {
        kotctl_verify_free(&v);
        return KOTCTL_FAIL;
    }

    rc = 0;

    for (i = first; i < argc && rc == 0 && !v.fatal; i++) {
        rc = kotctl_verify_file(&v, argv[i]);
    }

    if (rc == 0) {
        kotctl_verify_gaps(&v);
    }

    if (rc == 0 && !v.fatal && anchors) {
        rc = kotctl_anchors(&v);
    }

    if (rc == 0 && !v.fatal && v.problem) {
        kotctl_verify_summary(&v);
    }

    if (rc == 0 && !v.fatal && !v.problem) {
        printf("OK: %u %s, %zu %s, %llu %s verified\n", v.files,
               kotctl_plural(v.files, "file", "files"), v.nchains,
               kotctl_plural((long long) v.nchains, "chain", "chains"),
               (unsigned long long) v.records,
               kotctl_plural((long long) v.records, "record", "records"));

        if (v.unanchored) {
            fprintf(stderr, "note: %zu of the chains have no anchor in "
                    "Redis (expired, not published yet or ever, or not "
                    "written by this site): their tails could not be "
                    "checked\n", v.unanchored);
        }

        if (v.beyond) {
            fprintf(stderr, "note: %zu of the chains were written on after "
                    "--until: their tails are in files not given, and "
                    "were not checked\n", v.beyond);
        }

        /* one line, as above: a year of logs has a chain per worker start */

        if (v.unbound) {
            fprintf(stderr, "note: %zu of the chains are of the format "
                    KOT_CHAIN_VERSION_2 ": whoever took such a chain's "
                    "writer over could have cut short, unseen, the last "
                    "write before, and written on (docs/audit.md)\n",
                    v.unbound);
        }
    }

    rc = (rc == 0 && !v.fatal && !v.problem) ? KOTCTL_OK : KOTCTL_FAIL;
    kotctl_verify_free(&v);

    return rc;
}


/* Returns the index of the first file, or -1 after a usage message. */

static int
kotctl_verify_args(kotctl_verify_t *v, int argc, char **argv,
    const char **keys, int *anchors)
{
    int   i;
    char  until[KOTCTL_TS_LEN + 1];

    v->nkeys = 0;
    *anchors = 1;

    for (i = 0; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {

        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        }

        if (strcmp(argv[i], "--no-anchors") == 0) {
            *anchors = 0;

        } else if (strcmp(argv[i], "--until") == 0 && i + 1 < argc) {
            i++;

            if (kotctl_parse_time(argv[i], until) != 0
                || kotctl_ts_ms(until, &v->until_ms) != 0
                || v->until_ms == 0)
            {
                kotctl_error("--until \"%s\" is not a time: use RFC 3339, "
                             "as 2026-11-26T10:00:00Z, or a date, as "
                             "2026-11-26", argv[i]);
                return -1;
            }

        } else if (strcmp(argv[i], "--host") == 0 && i + 1 < argc) {
            v->host = argv[++i];

            if (v->host[0] == '\0') {
                kotctl_error("--host needs a host name: the host whose log "
                             "the files are, as its records' host.hostname "
                             "has it");
                return -1;
            }

        } else if ((strcmp(argv[i], "--auditor-private-key") == 0
                    || strcmp(argv[i], "--auditor-key") == 0)
                   && i + 1 < argc)
        {
            if (strcmp(argv[i], "--auditor-key") == 0) {
                kotctl_error("note: audit verify --auditor-key is "
                             "deprecated, say --auditor-private-key");
            }

            if (v->nkeys == KOTCTL_VERIFY_KEYS) {
                kotctl_error("audit verify takes at most %d keys",
                             KOTCTL_VERIFY_KEYS);
                return -1;
            }

            keys[v->nkeys++] = argv[++i];

        } else {
            kotctl_error("audit verify: unknown option \"%s\"", argv[i]);
            return -1;
        }
    }

    /* the global option's key, or kotctl.conf's, unless keys were given */

    if (v->nkeys == 0 && v->k->auditor_private_key != NULL) {
        keys[v->nkeys++] = v->k->auditor_private_key;
    }

    if (v->nkeys == 0 || i >= argc) {
        kotctl_usage("usage: kotctl audit verify --auditor-private-key "
                     "PRIVATE.pem [--no-anchors]\n"
                     "                           [--until T] [--host NAME] "
                     "FILE...");
        return -1;
    }

    return i;
}


/* 0 when the file was read (a problem may have been found), else -1 */

static int
kotctl_verify_file(kotctl_verify_t *v, const char *path)
{
    int              rc, cr;
    char            *line;
    size_t           len;
    kotctl_given_t  *g;
    kotctl_reader_t  r;

    if (kotctl_reader_open(&r, path) != 0) {
        return -1;
    }

    g = &v->given[v->files++];
    kotctl_verify_given(g, path);
    v->path = path;

    while (!v->fatal) {
        rc = kotctl_reader_next(&r, &line, &len);
        v->line = r.line;
        v->verified = 0;

        if (rc == KOTCTL_EOF) {
            break;
        }

        if (rc == KOTCTL_READ_ERR) {
            if (r.trailing) {
                kotctl_verify_problem(v, "data follows its last gzip "
                                      "member (appended after it was "
                                      "compressed?)");
                break;
            }

            kotctl_verify_problem(v, "the file cannot be read past here "
                                  "(a damaged or cut-off gzip file?)");
            break;
        }

        if (rc == KOTCTL_LONG) {
            kotctl_verify_problem(v, "not an audit record (a line longer "
                                  "than %d bytes)", KOTCTL_LINE_MAX);
            kotctl_verify_mark(g, v->line, 0);
            continue;
        }

        /*
         * A whole file converted (kotctl_line_crlf()) is a copy, said
         * once; a record's line unlike the file's first record's was
         * changed.
         */

        cr = kotctl_line_crlf(line, &len);

        kotctl_verify_line(v, line, len);

        if (v->verified && !g->crlf_known) {
            g->crlf_known = 1;
            g->crlf = cr;

        } else if (v->verified && cr != g->crlf) {
            if (cr) {
                kotctl_verify_problem(v, "the line ends in CRLF, unlike "
                                      "the file's first record: a CR was "
                                      "added after it was written (its "
                                      "record verifies without it)");
            } else {
                kotctl_verify_problem(v, "the line ends in LF alone, "
                                      "unlike the file's first record, "
                                      "whose line ends in CRLF: it was "
                                      "added or changed after the file "
                                      "was converted (its record "
                                      "verifies)");
            }

            v->verified = 0;
        }

        kotctl_verify_mark(g, v->line, v->verified);
    }

    kotctl_reader_padded(&r);
    kotctl_reader_close(&r);

    if (g->crlf) {
        kotctl_print(stderr, "note: %s has CRLF line ends: it is a copy "
                     "converted to text (on Windows, or by a text-mode "
                     "transfer), not the file written, and does not verify "
                     "as it is; it was verified as the original, each "
                     "line's CR removed, which no writer writes. Verify "
                     "the original file, or restore its bytes with: sed "
                     "'s/\\r$//' FILE > ORIGINAL\n", path);
    }

    return 0;
}


static void
kotctl_verify_line(kotctl_verify_t *v, const char *line, size_t len)
{
    size_t            cut;
    const char       *next;
    kotctl_record_t   rec;

    if (kotctl_record_parse(&rec, line, len) == 0) {
        kotctl_verify_record(v, &rec, line, len);
        json_decref(rec.json);
        return;
    }

    json_decref(rec.json);

    /*
     * A line cut short that nothing ended (a crash, a power loss): the
     * next writer's record, a new chain's record 0 after a restart,
     * follows it on the same line.  Its MAC covers its own bytes alone,
     * so it is checked as a line of its own.  Where a record begins is
     * looked for once: no writer writes the prefix inside a record.
     */

    next = len > 1 ? memmem(line + 1, len - 1, KOTCTL_TS_PREFIX,
                            KOTCTL_TS_PREFIX_LEN)
                   : NULL;
    cut = next ? (size_t) (next - line) : 0;

    if (next == NULL || kotctl_record_parse(&rec, next, len - cut) != 0) {
        json_decref(next ? rec.json : NULL);
        kotctl_verify_problem(v, "not an audit record");
        return;
    }

    kotctl_verify_problem(v, "not an audit record (%zu bytes of a line cut "
                          "short, then a record on the same line, as after "
                          "a crash: checked as a line of its own)", cut);
    kotctl_verify_record(v, &rec, next, len - cut);
    json_decref(rec.json);

    /* the line is not as written, whatever its record */
    v->verified = 0;
}


static void
kotctl_verify_record(kotctl_verify_t *v, kotctl_record_t *rec,
    const char *line, size_t len)
{
    kotctl_vchain_t  *ch;

    ch = kotctl_verify_find(v, rec->chain);

    if (ch == NULL) {
        ch = kotctl_verify_begin(v, rec);

        if (ch != NULL && !ch->dead) {
            kotctl_verify_mac(v, ch, rec, line, len);
        }

    } else if (ch->dead) {
        /* said where it could no longer be followed; a gap's record? */
        if (rec->seq < ch->chain.seq) {
            kotctl_verify_early(v, ch, rec);
        }

    } else if (rec->seq < ch->chain.seq) {
        kotctl_verify_early(v, ch, rec);

    } else if (ch->ended) {
        kotctl_verify_problem(v, "record %llu of chain %s comes after the "
                              "chain's chain_end record",
                              (unsigned long long) rec->seq, rec->chain);

    } else if (rec->seq > ch->chain.seq) {
        kotctl_verify_gap(v, ch, rec, line, len);

    } else if (ch->blind) {
        /* its MAC covers one not known: the next record checks it */
        kotctl_verify_skip(v, ch, rec, line, len);

    } else {
        kotctl_verify_mac(v, ch, rec, line, len);
    }

    if (ch != NULL && rec->seq >= ch->top) {
        ch->top = rec->seq + 1;
        ch->top_path = v->path;
        ch->top_line = v->line;
    }
}


static void
kotctl_verify_mac(kotctl_verify_t *v, kotctl_vchain_t *ch,
    kotctl_record_t *rec, const char *line, size_t len)
{
    int              rc;
    char            *first;
    kotctl_given_t  *g;

    rc = kot_chain_check(&ch->chain, line, len);

    /* the write's start that the record before named was not one */

    if (rc != 1 && ch->guessed && kot_chain_unskip(&ch->chain) == 0) {
        rc = kot_chain_check(&ch->chain, line, len);
    }

    if (rc != 1) {
        kotctl_verify_failed(v, ch, rec, rc);

        if (rec->seq == 0) {
            kotctl_verify_problem(v, "chain %s cannot be verified past its "
                                  "record 0, from which its key, format "
                                  "and MAC algorithm are read", rec->chain);
            ch->dead = 1;
        }

        if (!ch->dead) {
            kotctl_verify_skip(v, ch, rec, line, len);
        }

        return;
    }

    ch->blind = 0;
    ch->unsure = 0;
    ch->guessed = 0;
    ch->lost = 0;
    ch->lost_said = 0;
    v->verified = 1;
    v->records++;
    ch->path = v->path;
    ch->line = v->line;

    if (rec->seq == 0 && kotctl_ts_ms(rec->ts, &ch->start_ms) != 0) {
        ch->start_ms = 0;
    }

    /* the anchor as the rest of the chain is still to be read */

    if (rec->seq == 0 && v->anchors && kotctl_anchor_fetch(v, ch) != 0) {
        v->fatal = 1;
        return;
    }

    if (ch->anchor_where != NULL && rec->seq == ch->anchor_seq) {
        kotctl_anchor_held(v, ch, rec);
    }

    if (rec->end) {
        ch->ended = 1;
    }

    /* verified, so its time and host can be trusted to bound the anchors' */

    g = &v->given[v->files - 1];
    first = g->first_ts;

    if (rec->ts[0] != '\0'
        && (first[0] == '\0' || strcmp(rec->ts, first) < 0))
    {
        memcpy(first, rec->ts, KOTCTL_TS_LEN + 1);
    }

    if (ch->noted != v->files) {
        ch->noted = v->files;
        kotctl_given_host(g, ch->host);
    }
}


/*
 * A record that fails its MAC.  Right after records that could not be
 * checked, the MAC it is checked against is only as its line before
 * states: either may be the one altered.
 */

static void
kotctl_verify_failed(kotctl_verify_t *v, kotctl_vchain_t *ch,
    kotctl_record_t *rec, int rc)
{
    const char  *why;

    why = NULL;

    if (ch->lost && ch->chain.batched) {
        /* in ngx_kot/2 the next write's start, by its number, may tell */
        if (!ch->chain.bound) {
            if (!ch->lost_said) {
                ch->lost_said = 1;
                kotctl_verify_problem(v, "record %llu of chain %s cannot be "
                                      "verified: a write may have begun "
                                      "among the records missing before "
                                      "it; verify follows the chain again "
                                      "from the next write's start",
                                      (unsigned long long) rec->seq,
                                      rec->chain);
            }

            return;
        }

        why = "a write may have begun among the records missing before "
              "it, and in " KOT_CHAIN_VERSION_3 " a write's key is made "
              "from the write before";

    } else if (ch->guessed) {
        why = "the key of its write cannot be known past the records that "
              "did not verify";
    }

    if (why != NULL) {
        kotctl_verify_problem(v, "record %llu of chain %s cannot be "
                              "verified, nor can the rest of the chain: %s",
                              (unsigned long long) rec->seq, rec->chain,
                              why);
        ch->dead = 1;
        return;
    }

    if (ch->unsure) {
        kotctl_verify_problem(v, "record %llu of chain %s does not verify "
                              "with the MAC that record %llu states: one "
                              "of the two was altered",
                              (unsigned long long) rec->seq, rec->chain,
                              (unsigned long long) (rec->seq - 1));
        return;
    }

    if (rc < 0) {
        kotctl_verify_problem(v, "record %llu of chain %s was altered (it "
                              "does not end in a well-formed kot.mac)",
                              (unsigned long long) rec->seq, rec->chain);
        return;
    }

    kotctl_verify_problem(v, "record %llu of chain %s was altered (its "
                          "MAC does not match)",
                          (unsigned long long) rec->seq, rec->chain);
}


/*
 * Past a record that cannot be verified, to the next one: its key is
 * used up, and the MAC its line states is the one the next record is
 * checked against.  If the next one verifies, that MAC was as written.
 */

static void
kotctl_verify_skip(kotctl_verify_t *v, kotctl_vchain_t *ch,
    kotctl_record_t *rec, const char *line, size_t len)
{
    int  rc;

    rc = kot_chain_skip(&ch->chain, line, len, !ch->blind && !ch->lost);

    if (rc < 0) {
        kotctl_verify_problem(v, "chain %s cannot be verified from record "
                              "%llu on: %s", rec->chain,
                              (unsigned long long) rec->seq,
                              ch->chain.bound
                              ? "in " KOT_CHAIN_VERSION_3 " a write's key "
                                "is made from the write before, whose "
                                "last record is missing"
                              : "its keys cannot be followed past the "
                                "damage");
        ch->dead = 1;
        return;
    }

    ch->guessed = rc == 2;
    ch->blind = rc == 0;
    ch->unsure = rc > 0;
    ch->path = v->path;
    ch->line = v->line;

    /* the record Redis saw: its MAC as stated, checked by the next one */

    if (ch->anchor_where != NULL && rec->seq == ch->anchor_seq) {
        if (rc > 0) {
            kotctl_anchor_held(v, ch, rec);

        } else {
            free(ch->anchor_where);
            ch->anchor_where = NULL;
        }
    }
}


/* A record of a chain that has gone past it. */

static void
kotctl_verify_early(kotctl_verify_t *v, kotctl_vchain_t *ch,
    kotctl_record_t *rec)
{
    if (!ch->gap || rec->seq < ch->gap_expected
        || rec->seq >= ch->gap_found)
    {
        if (ch->dead) {
            return;
        }

        kotctl_verify_problem(v, "record %llu of chain %s is out of order "
                              "or repeated (expected %llu)",
                              (unsigned long long) rec->seq, rec->chain,
                              (unsigned long long) ch->chain.seq);
        return;
    }

    /* one of the records missing at a gap: moved, named with the gap */

    if (!ch->gap_moved) {
        ch->gap_moved = 1;
        kotctl_verify_at(v, ch->gap_slot, ch->gap_path, ch->gap_line,
                         "record %llu of chain %s is out of order "
                         "(expected %llu, which comes later, at %s:%llu)",
                         (unsigned long long) ch->gap_found, rec->chain,
                         (unsigned long long) ch->gap_expected, v->path,
                         (unsigned long long) v->line);
    }
}


/*
 * Records missing before this one: removed, or moved further down, which
 * only the rest of the files can tell.  The chain goes on from here.
 */

static void
kotctl_verify_gap(kotctl_verify_t *v, kotctl_vchain_t *ch,
    kotctl_record_t *rec, const char *line, size_t len)
{
    uint64_t  n;

    if (ch->gap && !ch->gap_moved) {
        kotctl_verify_missing(v, ch);
    }

    ch->gap_slot = kotctl_verify_reserve(v);

    if (v->fatal) {
        return;
    }

    v->problem++;

    ch->gap = 1;
    ch->gap_moved = 0;
    ch->gap_expected = ch->chain.seq;
    ch->gap_found = rec->seq;
    ch->gap_path = v->path;
    ch->gap_line = v->line;

    /* the record Redis saw is among those missing: named with them */

    if (ch->anchor_where != NULL && ch->anchor_seq < rec->seq) {
        free(ch->anchor_where);
        ch->anchor_where = NULL;
    }

    /*
     * With a key per record, a key past a gap costs a SHA-256 per record
     * missing: a file that claims ever more of them does not get verify
     * to hash for ever.
     */

    n = ch->chain.batched ? 0 : rec->seq - ch->chain.seq;

    if (n > KOT_CHAIN_JUMP_MAX - v->jumped
        || kot_chain_jump(&ch->chain, rec->seq) != 0)
    {
        kotctl_verify_problem(v, "chain %s cannot be verified from record "
                              "%llu on: its keys cannot be followed that "
                              "far", rec->chain,
                              (unsigned long long) rec->seq);
        ch->dead = 1;
        return;
    }

    v->jumped += n;
    ch->blind = 1;
    ch->unsure = 0;
    ch->lost = 1;
    kotctl_verify_skip(v, ch, rec, line, len);
}


static void
kotctl_verify_given(kotctl_given_t *g, const char *path)
{
    struct stat  st;

    g->path = path;
    g->base = strrchr(path, '/');
    g->base = g->base ? g->base + 1 : path;

    if (stat(path, &st) == 0) {
        g->dev = st.st_dev;
        g->ino = st.st_ino;
        g->stat = 1;
    }
}


/*
 * The hosts that wrote a file given, as its chains name them: a file
 * whose chains do not all name one cannot tell whose log it is.
 */

static void
kotctl_given_host(kotctl_given_t *g, const char *host)
{
    if (host != NULL && kotctl_given_names(g, host)) {
        return;
    }

    if (host == NULL || g->nhosts == KOTCTL_FILE_HOSTS) {
        g->untold = 1;
        return;
    }

    g->hosts[g->nhosts++] = host;
}


static int
kotctl_given_names(kotctl_given_t *g, const char *host)
{
    unsigned  i;

    for (i = 0; i < g->nhosts; i++) {
        if (strcasecmp(g->hosts[i], host) == 0) {
            return 1;
        }
    }

    return 0;
}


/*
 * Whether the file given may be the log of host (NULL: any).  A file
 * whose records do not tell its host is --host's, or any host's: then
 * *blind is set.
 */

static int
kotctl_given_by(kotctl_verify_t *v, kotctl_given_t *g, const char *host,
    int *blind)
{
    *blind = 0;

    if (host == NULL || kotctl_given_names(g, host)) {
        return 1;
    }

    if (g->nhosts > 0 && !g->untold) {
        return 0;
    }

    if (v->host) {
        return strcasecmp(v->host, host) == 0;
    }

    *blind = 1;

    return 1;
}


/* A chain seen for the first time: its record 0, sealed to our key. */

static kotctl_vchain_t *
kotctl_verify_begin(kotctl_verify_t *v, kotctl_record_t *rec)
{
    size_t            i;
    char              fpr[KOTCTL_CUT_SIZE(KOT_CHAIN_FPR_LEN)];
    int               format;
    json_t           *sealed, *auditor, *alg_name, *version, *host;
    uint8_t           k0[KOT_CHAIN_KEY_LEN];
    kot_chain_alg_t   alg;
    kotctl_vchain_t  *ch;

    if (rec->seq != 0) {
        kotctl_verify_problem(v, "chain %s starts without its chain_start "
                              "record (its first record here is record "
                              "%llu; are older files missing? give them "
                              "too)", rec->chain,
                              (unsigned long long) rec->seq);
        return kotctl_verify_dead(v, rec->chain);
    }

    sealed = json_object_get(rec->json, "kot.sealed_key");
    auditor = json_object_get(rec->json, "kot.auditor_key");
    alg_name = json_object_get(rec->json, KOT_CHAIN_ALG_MEMBER);
    version = json_object_get(rec->json, KOT_CHAIN_VERSION_MEMBER);

    if (!rec->start || !json_is_string(sealed) || !json_is_string(auditor))
    {
        kotctl_verify_problem(v, "record 0 of chain %s is not a "
                              "chain_start record with a sealed key",
                              rec->chain);
        return kotctl_verify_dead(v, rec->chain);
    }

    for (i = 0; i < v->nkeys; i++) {
        if (strcmp(json_string_value(auditor), v->fpr[i]) == 0) {
            break;
        }
    }

    if (i == v->nkeys) {
        (void) kotctl_cut(json_string_value(auditor), KOT_CHAIN_FPR_LEN,
                          fpr);
        if (v->nkeys == 1) {
            kotctl_verify_problem(v, "chain %s was sealed to another "
                                  "auditor key (fingerprint %s; the key "
                                  "given has %s)", rec->chain, fpr,
                                  v->fpr[0]);
        } else {
            kotctl_verify_problem(v, "chain %s was sealed to another "
                                  "auditor key (fingerprint %s; none of the "
                                  "%zu keys given)", rec->chain, fpr,
                                  v->nkeys);
        }

        return kotctl_verify_dead(v, rec->chain);
    }

    /*
     * A name changed to the other algorithm fails that algorithm's MAC;
     * a name we do not know stops the chain here.
     */

    if (alg_name && !json_is_string(alg_name)) {
        kotctl_verify_problem(v, "record 0 of chain %s was altered (its "
                              KOT_CHAIN_ALG_MEMBER " is not a string)",
                              rec->chain);
        return kotctl_verify_dead(v, rec->chain);
    }

    if (kot_chain_alg(json_string_value(alg_name), &alg) != 0) {
        kotctl_verify_problem(v, "record 0 of chain %s names a MAC "
                              "algorithm this kotctl does not know (is "
                              "kotctl older than the writer?)", rec->chain);
        return kotctl_verify_dead(v, rec->chain);
    }

    /* the same for the format: how its keys evolve */

    if (version && !json_is_string(version)) {
        kotctl_verify_problem(v, "record 0 of chain %s was altered (its "
                              KOT_CHAIN_VERSION_MEMBER " is not a string)",
                              rec->chain);
        return kotctl_verify_dead(v, rec->chain);
    }

    if (kot_chain_version(json_string_value(version), &format) != 0) {
        kotctl_verify_problem(v, "record 0 of chain %s names a format this "
                              "kotctl does not know (is kotctl older than "
                              "the writer?)", rec->chain);
        return kotctl_verify_dead(v, rec->chain);
    }

    if (kot_chain_open_key(v->priv[i], json_string_value(sealed),
                           json_string_length(sealed), k0)
        != 0)
    {
        kotctl_verify_problem(v, "record 0 of chain %s was altered (its "
                              "sealed key does not open)", rec->chain);
        return kotctl_verify_dead(v, rec->chain);
    }

    ch = kotctl_verify_add(v, rec->chain, k0, alg);
    kot_cleanse(k0, sizeof(k0));

    if (ch != NULL && format > 1
        && kot_chain_batched(&ch->chain, format) != 0)
    {
        kotctl_verify_problem(v, "record 0 of chain %s was altered (%s "
                              "chains are Poly1305 chains)", rec->chain,
                              json_string_value(version));
        ch->dead = 1;
        return ch;
    }

    v->unbound += ch != NULL && format == 2;

    /* a host that is not one plain string is none: any host's */

    host = json_object_get(rec->json, "host.hostname");

    if (ch != NULL && json_is_string(host) && json_string_length(host) > 0
        && strlen(json_string_value(host)) == json_string_length(host))
    {
        ch->host = strdup(json_string_value(host));

        if (ch->host == NULL) {
            ch = NULL;
        }
    }

    if (ch == NULL) {
        kotctl_error("out of memory");
        v->fatal = 1;
        return kotctl_verify_dead(v, rec->chain);
    }

    return ch;
}


/*
 * A chain whose record 0 cannot be read as ours: none of its records can
 * be verified, said once, here.
 */

static kotctl_vchain_t *
kotctl_verify_dead(kotctl_verify_t *v, const char *id)
{
    static const uint8_t  none[KOT_CHAIN_KEY_LEN];
    kotctl_vchain_t      *ch;

    ch = kotctl_verify_add(v, id, none, KOT_CHAIN_POLY1305);

    if (ch == NULL) {
        kotctl_error("out of memory");
        v->fatal = 1;
        return NULL;
    }

    ch->dead = 1;

    return ch;
}


/* Once every file is read: the gaps whose records never came. */

static void
kotctl_verify_gaps(kotctl_verify_t *v)
{
    size_t  i;

    for (i = 0; i < v->nchains && !v->fatal; i++) {
        if (v->chains[i].gap && !v->chains[i].gap_moved) {
            kotctl_verify_missing(v, &v->chains[i]);
        }
    }
}


/* A gap whose records never came: removed. */

static void
kotctl_verify_missing(kotctl_verify_t *v, kotctl_vchain_t *ch)
{
    const char  *id;

    id = ch->chain.id;
    ch->gap = 0;

    if (ch->gap_found - ch->gap_expected == 1) {
        kotctl_verify_at(v, ch->gap_slot, ch->gap_path, ch->gap_line,
                         "record %llu of chain %s is missing (expected "
                         "%llu, found %llu)",
                         (unsigned long long) ch->gap_expected, id,
                         (unsigned long long) ch->gap_expected,
                         (unsigned long long) ch->gap_found);
        return;
    }

    kotctl_verify_at(v, ch->gap_slot, ch->gap_path, ch->gap_line,
                     "records %llu to %llu of chain %s are missing "
                     "(expected %llu, found %llu)",
                     (unsigned long long) ch->gap_expected,
                     (unsigned long long) (ch->gap_found - 1), id,
                     (unsigned long long) ch->gap_expected,
                     (unsigned long long) ch->gap_found);
}


/* "file:line: what" on stdout: the finding is verify's result */

static void
kotctl_verify_problem(kotctl_verify_t *v, const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    kotctl_verify_say(v, KOTCTL_NO_SLOT, v->path, v->line, fmt, ap);
    va_end(ap);
}


/* The same, of another line, or in a place kept for it in the queue. */

static void
kotctl_verify_at(kotctl_verify_t *v, size_t slot, const char *path,
    uint64_t line, const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    kotctl_verify_say(v, slot, path, line, fmt, ap);
    va_end(ap);
}


static void
kotctl_verify_say(kotctl_verify_t *v, size_t slot, const char *path,
    uint64_t line, const char *fmt, va_list ap)
{
    char    *text;
    FILE    *f;
    size_t   size;

    if (slot == KOTCTL_NO_SLOT && v->problem++ >= KOTCTL_PROBLEMS_SHOWN) {
        v->unlisted++;
        return;
    }

    text = NULL;
    f = open_memstream(&text, &size);

    if (f == NULL) {
        kotctl_error("out of memory");
        v->fatal = 1;
        return;
    }

    kotctl_print(f, "%s:%llu: ", path, (unsigned long long) line);
    kotctl_vprint(f, fmt, ap);
    fputc('\n', f);

    if (fclose(f) != 0) {
        free(text);
        kotctl_error("out of memory");
        v->fatal = 1;
        return;
    }

    if (slot == KOTCTL_NO_SLOT && v->queue_head == v->nqueue) {
        fputs(text, stdout);
        free(text);
        return;
    }

    if (slot == KOTCTL_NO_SLOT) {
        slot = kotctl_verify_reserve(v);

        if (slot == KOTCTL_NO_SLOT) {
            free(text);
            return;
        }
    }

    v->queue[slot] = text;
    kotctl_verify_flush(v);
}


/*
 * A place in the queue for a finding still to come (a gap's), which
 * those after it wait for; counted now.  KOTCTL_NO_SLOT when out of
 * memory.
 */

static size_t
kotctl_verify_reserve(kotctl_verify_t *v)
{
    size_t   cap;
    char   **queue;

    if (v->nqueue == v->queue_cap) {
        cap = v->queue_cap ? 2 * v->queue_cap : 64;
        queue = realloc(v->queue, cap * sizeof(char *));

        if (queue == NULL) {
            kotctl_error("out of memory");
            v->fatal = 1;
            return KOTCTL_NO_SLOT;
        }

        v->queue = queue;
        v->queue_cap = cap;
    }

    v->queue[v->nqueue] = NULL;

    return v->nqueue++;
}


/* The findings no longer waiting, in order. */

static void
kotctl_verify_flush(kotctl_verify_t *v)
{
    while (v->queue_head < v->nqueue && v->queue[v->queue_head] != NULL) {
        fputs(v->queue[v->queue_head], stdout);
        free(v->queue[v->queue_head]);
        v->queue[v->queue_head++] = NULL;
    }

    if (v->queue_head == v->nqueue) {
        v->queue_head = 0;
        v->nqueue = 0;
    }
}


/* A line of the file given: its record verified, or not. */

static void
kotctl_verify_mark(kotctl_given_t *g, uint64_t line, int ok)
{
    kotctl_run_t  *run;

    if (ok) {
        g->lines_ok++;
    } else {
        g->lines_bad++;
    }

    run = g->nruns ? &g->runs[g->nruns - 1] : NULL;

    if (run != NULL && run->ok == (unsigned) ok && run->last + 1 == line) {
        run->last = line;
        return;
    }

    if (g->nruns == KOTCTL_RUNS) {
        g->more_runs = 1;
        return;
    }

    run = &g->runs[g->nruns++];
    run->first = line;
    run->last = line;
    run->ok = ok;
}


/*
 * After the problems, what verify could still check, file by file: the
 * lines whose records verified, and those that did not (a problem's
 * line, or a record past one that could not be checked).
 */

static void
kotctl_verify_summary(kotctl_verify_t *v)
{
    unsigned         i;
    kotctl_given_t  *g;

    if (v->unlisted) {
        printf("... and %llu more %s, not listed\n",
               (unsigned long long) v->unlisted,
               kotctl_plural((long long) v->unlisted, "problem",
                             "problems"));
    }

    fprintf(stderr, "note: verify went on past each problem, where the "
            "chains allow it: %llu %s verified\n",
            (unsigned long long) v->records,
            kotctl_plural((long long) v->records, "record", "records"));

    for (i = 0; i < v->files; i++) {
        g = &v->given[i];

        kotctl_print(stderr, "note: %s: ", g->path);

        if (g->lines_bad == 0) {
            fprintf(stderr, "all %llu %s verified\n",
                    (unsigned long long) g->lines_ok,
                    kotctl_plural((long long) g->lines_ok, "line",
                                  "lines"));
            continue;
        }

        fprintf(stderr, "%llu %s verified",
                (unsigned long long) g->lines_ok,
                kotctl_plural((long long) g->lines_ok, "line", "lines"));
        kotctl_verify_runs(g, 1);
        fprintf(stderr, ", %llu not", (unsigned long long) g->lines_bad);
        kotctl_verify_runs(g, 0);
        fputc('\n', stderr);
    }
}


static void
kotctl_verify_runs(kotctl_given_t *g, int ok)
{
    unsigned       i, n;
    kotctl_run_t  *run;

    for (i = 0, n = 0; i < g->nruns; i++) {
        run = &g->runs[i];

        if (run->ok != (unsigned) ok) {
            continue;
        }

        fprintf(stderr, "%s%llu", n++ ? ", " : " (lines ",
                (unsigned long long) run->first);

        if (run->last > run->first) {
            fprintf(stderr, "-%llu", (unsigned long long) run->last);
        }
    }

    if (n) {
        fputs(g->more_runs ? ", ...)" : ")", stderr);
    }
}


/* chains by id: open addressing over the parsed 64-bit id */

static size_t
kotctl_verify_hash(const kotctl_verify_t *v, const char *id)
{
    uint64_t  h;

    h = strtoull(id, NULL, 16) * 0x9e3779b97f4a7c15ULL;

    return (size_t) (h >> 32) & (v->index_size - 1);
}


static kotctl_vchain_t *
kotctl_verify_find(kotctl_verify_t *v, const char *id)
{
    size_t  i;

    if (v->index_size == 0) {
        return NULL;
    }

    for (i = kotctl_verify_hash(v, id); v->index[i] != 0;
         i = (i + 1) & (v->index_size - 1))
    {
        if (strcmp(v->chains[v->index[i] - 1].chain.id, id) == 0) {
            return &v->chains[v->index[i] - 1];
        }
    }

    return NULL;
}


static kotctl_vchain_t *
kotctl_verify_add(kotctl_verify_t *v, const char *id,
    const uint8_t k0[KOT_CHAIN_KEY_LEN], kot_chain_alg_t alg)
{
    size_t            i, cap;
    kotctl_vchain_t  *chains;

    if (v->nchains == v->cap) {
        cap = v->cap ? 2 * v->cap : 64;

        if (cap > UINT32_MAX / 2) {
            return NULL;
        }

        chains = realloc(v->chains, cap * sizeof(kotctl_vchain_t));
        if (chains == NULL) {
            return NULL;
        }

        v->chains = chains;
        v->cap = cap;
    }

    if (2 * (v->nchains + 1) > v->index_size
        && kotctl_verify_rehash(v) != 0)
    {
        return NULL;
    }

    memset(&v->chains[v->nchains], 0, sizeof(kotctl_vchain_t));

    if (kot_chain_resume(&v->chains[v->nchains].chain, id, k0, alg) != 0) {
        kot_chain_wipe(&v->chains[v->nchains].chain);
        return NULL;
    }

    for (i = kotctl_verify_hash(v, id); v->index[i] != 0;
         i = (i + 1) & (v->index_size - 1))
    {
        /* void */
    }

    v->index[i] = (uint32_t) ++v->nchains;

    return &v->chains[v->nchains - 1];
}


static int
kotctl_verify_rehash(kotctl_verify_t *v)
{
    size_t     i, j, size;
    uint32_t  *index;

    size = v->index_size ? 2 * v->index_size : 128;

    index = calloc(size, sizeof(uint32_t));
    if (index == NULL) {
        return -1;
    }

    free(v->index);
    v->index = index;
    v->index_size = size;

    for (i = 0; i < v->nchains; i++) {
        for (j = kotctl_verify_hash(v, v->chains[i].chain.id);
             index[j] != 0;
             j = (j + 1) & (size - 1))
        {
            /* void */
        }

        index[j] = (uint32_t) (i + 1);
    }

    return 0;
}


static void
kotctl_verify_free(kotctl_verify_t *v)
{
    size_t  i;

    for (i = 0; i < v->nchains; i++) {
        kot_chain_wipe(&v->chains[i].chain);
        free(v->chains[i].host);
        free(v->chains[i].anchor_where);
    }

    for (i = 0; i < v->nlogs; i++) {
        free(v->logs[i].name);
    }

    if (v->listed != NULL) {
        freeReplyObject(v->listed);
    }

    while (v->queue_head < v->nqueue) {
        free(v->queue[v->queue_head++]);
    }

    free(v->queue);
    free(v->logs);
    free(v->given);
    free(v->chains);
    free(v->index);

    while (v->nkeys) {
        EVP_PKEY_free(v->priv[--v->nkeys]);
    }
}


/* ------------------------------------------------------------------ */
/* anchors                                                             */
/* ------------------------------------------------------------------ */


/*
 * Once every file is read: each chain whose record at its anchor never
 * came, then the chains that Redis saw written but that the files lack
 * altogether.  Nothing is read from Redis again: on a live log, records
 * and chains written after verify read the file are not missing.
 */

static int
kotctl_anchors(kotctl_verify_t *v)
{
    size_t  i;

    for (i = 0; i < v->nchains; i++) {
        if (v->chains[i].anchor_where != NULL) {
            kotctl_anchor_tail(v, &v->chains[i]);
        }
    }

    return kotctl_anchor_lost(v);
}


/*
 * A chain's anchor, as its record 0 is read: before the rest of it, so
 * that whatever the anchor names was in the file before verify read on.
 * Comparing only the last record in the files with it would let a chain
 * be replaced under its own id by a longer one, sealed to the auditor's
 * public key: every MAC right, and nothing to compare.  So the record
 * Redis saw written is checked as it passes, whatever follows it.
 */

static int
kotctl_anchor_fetch(kotctl_verify_t *v, kotctl_vchain_t *ch)
{
    int          rc;
    char        *key;
    const char  *argv[7];
    redisReply  *r;

    key = kotctl_key(KOT_PREFIX "audit:", ch->chain.id, NULL);

    argv[0] = "HMGET";
    argv[1] = key;
    argv[2] = "seq";
    argv[3] = "mac";
    argv[4] = "file";
    argv[5] = "host";
    argv[6] = "ts";

    r = kotctl_cmd(v->k, 7, argv);
    free(key);

    if (r == NULL) {
        return -1;
    }

    if (r->type != REDIS_REPLY_ARRAY || r->elements != 5) {
        freeReplyObject(r);
        return kotctl_anchor_error(v);
    }

    rc = kotctl_anchor_keep(v, ch, r);
    freeReplyObject(r);

    if (rc != 0) {
        kotctl_error("out of memory");
    }

    return rc;
}


/*
 * 0, and the anchor kept if the chain has one, with the log it names
 * covered from the chain's start on; -1 when out of memory
 */

static int
kotctl_anchor_keep(kotctl_verify_t *v, kotctl_vchain_t *ch, redisReply *r)
{
    char           where[KOTCTL_WHERE_MAX], host[KOTCTL_HOST_MAX];
    redisReply   **e;
    kotctl_log_t  *log;

    e = r->element;

    if (e[0]->type != REDIS_REPLY_STRING) {
        v->unanchored++;
        return 0;
    }

    if (e[2]->type == REDIS_REPLY_STRING) {
        log = kotctl_anchor_log(v, e[2]->str, ch->host);
        if (log == NULL) {
            return -1;
        }

        if (log->since > ch->start_ms) {
            log->since = ch->start_ms;
        }
    }

    ch->anchor_seq = strtoull(e[0]->str, NULL, 10);
    ch->anchor_ms = (e[4]->type == REDIS_REPLY_STRING)
                    ? strtoull(e[4]->str, NULL, 10) : 0;

    /* a MAC missing or too long matches no record */

    ch->anchor_mac[0] = '\0';

    if (e[1]->type == REDIS_REPLY_STRING
        && e[1]->len <= KOT_CHAIN_MAC_HEX_MAX)
    {
        memcpy(ch->anchor_mac, e[1]->str, e[1]->len + 1);
    }

    kotctl_anchor_where(where, e[2],
                        kotctl_anchor_host(e[3], host));

    ch->anchor_where = strdup(where);

    return ch->anchor_where ? 0 : -1;
}


/* The record Redis saw as the chain's head, just verified: is it that? */

static void
kotctl_anchor_held(kotctl_verify_t *v, kotctl_vchain_t *ch,
    kotctl_record_t *rec)
{
    char  mac[KOT_CHAIN_MAC_HEX_MAX + 1];

    (void) kot_chain_head_hex(&ch->chain, mac);

    if (strcmp(mac, ch->anchor_mac) != 0) {
        kotctl_verify_problem(v, "record %llu of chain %s is not the one "
                              "Redis saw written to %s",
                              (unsigned long long) rec->seq, rec->chain,
                              ch->anchor_where);
    }

    free(ch->anchor_where);
    ch->anchor_where = NULL;
}


/*
 * A chain whose record at its anchor never came: the files end before
 * what Redis saw written when verify began to read the chain.
 */

static void
kotctl_anchor_tail(kotctl_verify_t *v, kotctl_vchain_t *ch)
{
    if (v->until_ms && ch->anchor_ms >= v->until_ms) {
        /* written on after --until: in files not given */
        v->beyond++;
        return;
    }

    /* there, but past where the chain could be followed: said there */

    if (ch->top > ch->anchor_seq) {
        return;
    }

    kotctl_print(stdout, "chain %s: its tail is missing: the files end at "
                 "record %llu (%s:%llu), Redis saw record %llu written to "
                 "%s\n", ch->chain.id,
                 (unsigned long long) (ch->top - 1), ch->top_path,
                 (unsigned long long) ch->top_line,
                 (unsigned long long) ch->anchor_seq, ch->anchor_where);

    v->problem++;
}


/*
 * The chains Redis knew of as verify began, up to --until, and when each
 * was last anchored: 0, or -1 once said why not.
 */

static int
kotctl_anchor_listed(kotctl_verify_t *v)
{
    char         max[24];
    const char  *argv[5];

    if (v->until_ms) {
        snprintf(max, sizeof(max), "(%llu",
                 (unsigned long long) v->until_ms);
    }

    argv[0] = "ZRANGEBYSCORE";
    argv[1] = KOT_PREFIX "audit:chains";
    argv[2] = "-inf";
    argv[3] = v->until_ms ? max : "+inf";
    argv[4] = "WITHSCORES";

    v->listed = kotctl_cmd(v->k, 5, argv);
    if (v->listed == NULL) {
        return -1;
    }

    if (v->listed->type != REDIS_REPLY_ARRAY) {
        return kotctl_anchor_error(v);
    }

    return 0;
}


/*
 * Chains that Redis saw written to one of the logs the files cover,
 * before verify began or --until, but that are not in the files at all:
 * whole chains, the newest ones above all, can be cut out without
 * leaving a gap in any other chain.
 */

static int
kotctl_anchor_lost(kotctl_verify_t *v)
{
    int          rc;
    char        *keys[KOTCTL_BATCH];
    size_t       i, j, n, nids;
    const char  *argv[5], *ids[KOTCTL_BATCH], *scores[KOTCTL_BATCH];
    redisReply  *all, *reply;

    all = v->listed;

    argv[0] = "HMGET";
    argv[2] = "file";
    argv[3] = "seq";
    argv[4] = "host";
    rc = 0;

    for (i = 0; i + 1 < all->elements && rc == 0; i += 2 * n) {

        /* a batch of the chains not in the files */

        for (n = 0, nids = 0;
             i + 2 * n + 1 < all->elements && nids < KOTCTL_BATCH;
             n++)
        {
            reply = all->element[i + 2 * n];

            if (reply->type != REDIS_REPLY_STRING
                || all->element[i + 2 * n + 1]->type != REDIS_REPLY_STRING
                || !kotctl_is_chain_id(reply->str)
                || kotctl_verify_find(v, reply->str) != NULL)
            {
                continue;
            }

            ids[nids] = reply->str;
            scores[nids] = all->element[i + 2 * n + 1]->str;
            keys[nids] = kotctl_key(KOT_PREFIX "audit:", reply->str, NULL);
            argv[1] = keys[nids++];
            redisAppendCommandArgv(v->k->rc, 5, argv, NULL);
        }

        for (j = 0; j < nids; j++) {
            free(keys[j]);

            if (redisGetReply(v->k->rc, (void **) &reply) != REDIS_OK) {
                rc = -1;
                continue;
            }

            if (rc == 0) {
                rc = kotctl_anchor_lost_one(v, ids[j], scores[j], reply);
            }

            freeReplyObject(reply);
        }
    }

    if (rc != 0) {
        return kotctl_anchor_error(v);
    }

    if (v->lost) {
        fprintf(stderr, "note: a chain is missing when Redis saw it "
                "written to a log these files cover, and none of its "
                "records is in them: if the log was rotated, give the "
                "rotated files too%s\n",
                v->until_ms ? "" : "; for files that end at a time T, "
                "give --until T");
        kotctl_anchor_blind(v);
    }

    return 0;
}


static int
kotctl_anchor_lost_one(kotctl_verify_t *v, const char *id,
    const char *score, redisReply *r)
{
    char         where[KOTCTL_WHERE_MAX], ts[KOTCTL_TS_LEN + 1];
    char         buf[KOTCTL_HOST_MAX];
    uint64_t     ms;
    const char  *host;

    if (r->type != REDIS_REPLY_ARRAY || r->elements != 3) {
        return -1;
    }

    if (r->element[0]->type != REDIS_REPLY_STRING
        || r->element[1]->type != REDIS_REPLY_STRING)
    {
        return 0;
    }

    host = kotctl_anchor_host(r->element[2], buf);
    ms = strtoull(score, NULL, 10);

    if (!kotctl_anchor_expected(v, r->element[0]->str, host, ms)) {
        return 0;
    }

    kotctl_anchor_where(where, r->element[0], host);
    if (kotctl_ms_ts(ms, ts) != 0) {
        memcpy(ts, "a time past 9999", sizeof("a time past 9999"));
    }

    kotctl_print(stdout, "chain %s is missing: Redis saw its record %llu "
                 "written to %s at %s, and the files hold none of its "
                 "records\n", id, strtoull(r->element[1]->str, NULL, 10),
                 where, ts);

    v->problem++;
    v->lost++;

    return 0;
}


/* Files whose host was not known, and so were any host's log: say so. */

static void
kotctl_anchor_blind(kotctl_verify_t *v)
{
    unsigned  i;

    for (i = 0; i < v->files; i++) {
        if (v->given[i].blind) {
            kotctl_print(stderr, "note: %s: its records do not tell "
                         "which host wrote it, so the chains that every "
                         "host wrote to its path were expected in it: if "
                         "it is one host's log, run kotctl audit verify "
                         "again with --host NAME, the host as the missing "
                         "chains above name it\n", v->given[i].path);
        }
    }
}


/*
 * The log name of the files' own chains of host (NULL: chains that name
 * no host), or NULL when out of memory.
 */

static kotctl_log_t *
kotctl_anchor_log(kotctl_verify_t *v, const char *name, const char *host)
{
    size_t         i, cap;
    kotctl_log_t  *logs, *log;

    for (i = 0; i < v->nlogs; i++) {
        log = &v->logs[i];

        if (strcmp(log->name, name) == 0
            && (log->host && host ? strcasecmp(log->host, host) == 0
                                  : log->host == host))
        {
            return log;
        }
    }

    if (v->nlogs == v->logs_cap) {
        cap = v->logs_cap ? 2 * v->logs_cap : 16;

        logs = realloc(v->logs, cap * sizeof(kotctl_log_t));
        if (logs == NULL) {
            return NULL;
        }

        v->logs = logs;
        v->logs_cap = cap;
    }

    log = &v->logs[v->nlogs];

    log->name = strdup(name);
    if (log->name == NULL) {
        return NULL;
    }

    log->host = host;
    log->since = KOTCTL_NOT_GIVEN;
    v->nlogs++;

    return log;
}


/*
 * Whether the files should hold a chain that Redis saw written to the
 * log name on host (NULL: an anchor that names no host, any host's) at
 * ms.  A log of the files' own chains (of a host that may be that one)
 * is covered from the oldest of those chains' starts on: older chains
 * are in older files.  Another log is covered when it is one of the
 * files given.
 */

static int
kotctl_anchor_expected(kotctl_verify_t *v, const char *name,
    const char *host, uint64_t ms)
{
    size_t    i;
    uint64_t  since;

    since = KOTCTL_NOT_GIVEN;

    for (i = 0; i < v->nlogs; i++) {
        if (strcmp(v->logs[i].name, name) == 0
            && kotctl_same_host(v->logs[i].host, host)
            && v->logs[i].since < since)
        {
            since = v->logs[i].since;
        }
    }

    if (since != KOTCTL_NOT_GIVEN) {
        return ms >= since;
    }

    return kotctl_anchor_given(v, name, host, ms);
}


/*
 * Whether one of the files given is the log name of host, and holds
 * records as old as ms: the same file (by device and inode) or, where
 * name is not found, as on an auditor's machine, one of the same name,
 * and written by host as far as its records tell.  An empty file is
 * covered from the beginning.
 */

static int
kotctl_anchor_given(kotctl_verify_t *v, const char *name, const char *host,
    uint64_t ms)
{
    int              found, blind;
    unsigned         i;
    uint64_t         first;
    struct stat      st;
    const char      *base;
    kotctl_given_t  *g, *by_any;

    found = stat(name, &st) == 0;
    base = strrchr(name, '/');
    base = base ? base + 1 : name;
    by_any = NULL;

    for (i = 0; i < v->files; i++) {
        g = &v->given[i];

        if (!(found ? (g->stat && g->dev == st.st_dev && g->ino == st.st_ino)
                    : strcmp(g->base, base) == 0)
            || !kotctl_given_by(v, g, host, &blind))
        {
            continue;
        }

        if (kotctl_ts_ms(g->first_ts, &first) == 0 && ms < first) {
            continue;
        }

        if (!blind) {
            return 1;
        }

        if (by_any == NULL) {
            by_any = g;
        }
    }

    if (by_any) {
        by_any->blind = 1;
        return 1;
    }

    return 0;
}


/*
 * An anchor's host as records have it, invalid UTF-8 replaced, or NULL
 * for any host: an anchor written before anchors named their host, or
 * a host no writer could have.
 */

static const char *
kotctl_anchor_host(redisReply *e, char buf[KOTCTL_HOST_MAX])
{
    if (e->type != REDIS_REPLY_STRING || e->len == 0
        || memchr(e->str, '\0', e->len) != NULL
        || kot_utf8_sanitize_len(e->str, e->len) >= KOTCTL_HOST_MAX)
    {
        return NULL;
    }

    buf[kot_utf8_sanitize(buf, e->str, e->len)] = '\0';

    return buf;
}


/*
 * "FILE on HOST" or, for an anchor that names no host, "FILE", each cut
 * to KOTCTL_WHERE_SHOW characters; what prints it escapes it.
 */

static void
kotctl_anchor_where(char where[KOTCTL_WHERE_MAX], redisReply *file,
    const char *host)
{
    int   n;
    char  shown[KOTCTL_CUT_SIZE(KOTCTL_WHERE_SHOW)];

    n = snprintf(where, KOTCTL_WHERE_MAX, "%s",
                 kotctl_cut(file->type == REDIS_REPLY_STRING ? file->str
                                                             : "?",
                            KOTCTL_WHERE_SHOW, shown));

    if (host != NULL) {
        snprintf(where + n, KOTCTL_WHERE_MAX - n, " on %s",
                 kotctl_cut(host, KOTCTL_WHERE_SHOW, shown));
    }
}


/* Host names ignore (ASCII) case, as in DNS; NULL is any host. */

static int
kotctl_same_host(const char *a, const char *b)
{
    return a == NULL || b == NULL || strcasecmp(a, b) == 0;
}


static int
kotctl_anchor_error(kotctl_verify_t *v)
{
    kotctl_error("redis at %s: cannot read the anchors: %s", v->k->redis,
                 v->k->rc->errstr[0] ? v->k->rc->errstr
                                     : "unexpected reply");
    return -1;
}


/* ------------------------------------------------------------------ */
/* audit query                                                         */
/* ------------------------------------------------------------------ */


int
kotctl_audit_query(kotctl_t *k, int argc, char **argv)
{
    int             i, first, rc;
    kotctl_query_t  q;

    (void) k;

    memset(&q, 0, sizeof(q));

    rc = kotctl_query_args(&q, argc, argv, &first);

    if (rc == KOTCTL_OK
        && kotctl_files_distinct(argv + first, argc - first) != 0)
    {
        rc = KOTCTL_USAGE;
    }

    if (rc == KOTCTL_OK) {
        static char  out[1 << 18];

        setvbuf(stdout, out, _IOFBF, sizeof(out));

        if (kotctl_files_order(argv + first, argc - first) != 0) {
            rc = KOTCTL_FAIL;
        }

        for (i = first; i < argc && rc == KOTCTL_OK; i++) {
            rc = kotctl_query_file(&q, argv[i]);
        }

        if (fflush(stdout) != 0) {
            kotctl_error("cannot write the records: %s", strerror(errno));
            rc = KOTCTL_FAIL;
        }
    }

    if (q.skipped) {
        fprintf(stderr, "note: %llu lines were not audit records and were "
                "skipped\n", (unsigned long long) q.skipped);
    }

    if (q.withheld) {
        fprintf(stderr, "note: %llu matching lines held control characters "
                "or invalid UTF-8, which no writer writes, and were not "
                "printed: kotctl audit verify says where the files were "
                "altered\n", (unsigned long long) q.withheld);
    }

    for (i = 0; i < q.nfilters; i++) {
        free(q.filters[i].value);
        free(q.filters[i].needle[0]);
        free(q.filters[i].needle[1]);
    }

    return rc;
}


/*
 * A filter that no record can match is refused: answered with nothing
 * and exit 0, a mistyped outcome or an empty range would read as "no
 * such event".
 */

static int
kotctl_query_args(kotctl_query_t *q, int argc, char **argv, int *first)
{
    int          i, n, rc;
    char         name[KOT_USERNAME_MAX + 1];
    const char  *opt, *val, *given[6];

    static const char  *opts[] = {
        "--since", "--until", "--tenant", "--user", "--action", "--outcome"
    };

    memset(given, 0, sizeof(given));

    for (i = 0; i < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        opt = argv[i];

        if (strcmp(opt, "--") == 0) {
            i++;
            break;
        }

        for (n = 0; n < 6 && strcmp(opt, opts[n]) != 0; n++) {
            /* void */
        }

        if (n == 6) {
            kotctl_error("audit query: unknown option \"%s\"", opt);
            return KOTCTL_USAGE;
        }

        if (i + 1 >= argc) {
            kotctl_error("audit query: %s needs a value", opt);
            return KOTCTL_USAGE;
        }

        /* filters are and-ed: the same one twice matches nothing */

        if (given[n] != NULL) {
            kotctl_error("audit query: %s may be given once", opt);
            return KOTCTL_USAGE;
        }

        val = given[n] = argv[i + 1];

        if (n < 2) {
            rc = kotctl_parse_time(val, n == 0 ? q->since : q->until);
            if (rc != 0) {
                kotctl_error("%s \"%s\" is not a time: use RFC 3339, as "
                             "2026-11-26T10:00:00Z, or a date, as "
                             "2026-11-26", opt, val);
                return KOTCTL_USAGE;
            }

            continue;
        }

        if (val[0] == '\0') {
            kotctl_error("audit query: %s \"\" matches no record: absent "
                         "values are left out, never empty", opt);
            return KOTCTL_USAGE;
        }

        /*
         * The writers record names folded to lower case, and the rest of
         * kotctl takes them in any case; a value that is no name (kotctl's
         * actor, "kotctl:root") is matched as it is.
         */

        if (strcmp(opt, "--tenant") == 0) {
            if (kot_tenant_normalize(val, strlen(val), name, sizeof(name))
                >= 0)
            {
                val = name;
            }

            rc = kotctl_query_filter(q, "organization.id", NULL, val);

        } else if (strcmp(opt, "--user") == 0) {
            if (kot_username_normalize(val, strlen(val), name, sizeof(name))
                >= 0)
            {
                val = name;
            }

            rc = kotctl_query_filter(q, "user.name", "user.target.name",
                                     val);

        } else if (strcmp(opt, "--action") == 0) {
            rc = kotctl_query_filter(q, "event.action", NULL, val);

        } else if (strcmp(val, "success") != 0
                   && strcmp(val, "failure") != 0
                   && strcmp(val, "unknown") != 0)
        {
            /* the three that docs/audit.md lists, as the writers spell them */
            kotctl_error("audit query: --outcome \"%s\" is not an outcome: "
                         "use success, failure or unknown", val);
            return KOTCTL_USAGE;

        } else {
            rc = kotctl_query_filter(q, "event.outcome", NULL, val);
        }

        if (rc != KOTCTL_OK) {
            return rc;
        }
    }

    if (q->since[0] && q->until[0]
        && memcmp(q->until, q->since, KOTCTL_TS_LEN) <= 0)
    {
        kotctl_error("audit query: --until \"%s\" is not after --since "
                     "\"%s\": no record can match (--until is exclusive: "
                     "a day D is --since D --until D+1)", given[1],
                     given[0]);
        return KOTCTL_USAGE;
    }

    if (i >= argc) {
        kotctl_error("usage: kotctl audit query [--since T] [--until T] "
                     "[--tenant T] [--user U] [--action A] [--outcome O] "
                     "FILE...");
        return KOTCTL_USAGE;
    }

    *first = i;

    return KOTCTL_OK;
}


/*
 * A filter on one or two members.  Its needle, "key":"value" as the
 * writers spell it, lets most lines be refused without parsing them; a
 * value whose escaping could differ between writers has no needle.
 */

static int
kotctl_query_filter(kotctl_query_t *q, const char *key1, const char *key2,
    const char *value)
{
    size_t            len;
    kotctl_filter_t  *f;

    if (q->nfilters == 4) {
        kotctl_error("audit query: each filter may be given once");
        return KOTCTL_USAGE;
    }

    f = &q->filters[q->nfilters++];
    f->keys[0] = key1;
    f->keys[1] = key2;

    /* the writers replace invalid UTF-8 the same way */

    len = strlen(value);
    f->value = malloc(kot_utf8_sanitize_len(value, len) + 1);
    if (f->value == NULL) {
        kotctl_error("out of memory");
        return KOTCTL_FAIL;
    }

    f->value[kot_utf8_sanitize(f->value, value, len)] = '\0';

    if (kotctl_plain(f->value)) {
        f->needle[0] = kotctl_query_needle(key1, f->value,
                                           &f->needle_len[0]);
        f->needle[1] = key2 ? kotctl_query_needle(key2, f->value,
                                                  &f->needle_len[1])
                            : NULL;
    }

    return KOTCTL_OK;
}


static char *
kotctl_query_needle(const char *key, const char *value, size_t *len)
{
    char  *s;

    *len = strlen(key) + strlen(value) + 5;

    s = malloc(*len + 1);
    if (s == NULL) {
        kotctl_error("out of memory");
        exit(KOTCTL_FAIL);
    }

    snprintf(s, *len + 1, "\"%s\":\"%s\"", key, value);

    return s;
}


static int
kotctl_query_file(kotctl_query_t *q, const char *path)
{
    int              rc;
    char            *line;
    size_t           len;
    uint64_t         crlf;
    kotctl_reader_t  r;

    if (kotctl_reader_open(&r, path) != 0) {
        return KOTCTL_FAIL;
    }

    crlf = 0;

    for ( ;; ) {
        rc = kotctl_reader_next(&r, &line, &len);

        if (rc == KOTCTL_EOF || rc == KOTCTL_READ_ERR) {
            break;
        }

        if (rc == KOTCTL_LONG) {
            q->skipped++;
            continue;
        }

        crlf += kotctl_line_crlf(line, &len);

        rc = kotctl_query_match(q, line, len);

        if (rc < 0) {
            q->skipped++;

        } else if (rc > 0 && !kotctl_line_printable(line, len)) {
            q->withheld++;

        } else if (rc > 0) {
            line[len] = '\n';
            fwrite(line, 1, len + 1, stdout);
        }
    }

    kotctl_reader_padded(&r);
    kotctl_reader_close(&r);

    if (crlf) {
        kotctl_print(stderr, "note: %s has CRLF line ends: it is a copy "
                     "converted to text (on Windows, or by a text-mode "
                     "transfer); its records were printed as written, "
                     "without the CR\n", path);
    }

    if (rc == KOTCTL_READ_ERR && r.trailing) {
        kotctl_error("%s: data follows its last gzip member, after line "
                     "%llu", path, (unsigned long long) r.line);
        return KOTCTL_FAIL;
    }

    if (rc == KOTCTL_READ_ERR) {
        kotctl_error("%s: cannot be read past line %llu", path,
                     (unsigned long long) r.line);
        return KOTCTL_FAIL;
    }

    return KOTCTL_OK;
}


/*
 * 1 if the line matches, 0 if not, -1 if it is not a record.  The time
 * is compared as text (fixed width); the filters by needle; a full parse
 * only when a needle cannot decide.
 */

static int
kotctl_query_match(kotctl_query_t *q, const char *line, size_t len)
{
    int          i, rc, parse;
    json_t      *rec;
    const char  *ts;

    if (len < KOTCTL_TS_PREFIX_LEN + KOTCTL_TS_LEN + 2
        || memcmp(line, KOTCTL_TS_PREFIX, KOTCTL_TS_PREFIX_LEN) != 0
        || line[KOTCTL_TS_PREFIX_LEN + KOTCTL_TS_LEN] != '"'
        || line[len - 1] != '}')
    {
        return -1;
    }

    ts = line + KOTCTL_TS_PREFIX_LEN;

    if ((q->since[0] && memcmp(ts, q->since, KOTCTL_TS_LEN) < 0)
        || (q->until[0] && memcmp(ts, q->until, KOTCTL_TS_LEN) >= 0))
    {
        return 0;
    }

    parse = 0;

    for (i = 0; i < q->nfilters; i++) {
        if (q->filters[i].needle[0] == NULL) {
            parse = 1;
            continue;
        }

        if (!kotctl_query_member(&q->filters[i], 0, line, len)
            && !kotctl_query_member(&q->filters[i], 1, line, len))
        {
            return 0;
        }
    }

    if (!parse) {
        return 1;
    }

    rec = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(rec)) {
        json_decref(rec);
        return -1;
    }

    rc = 1;

    for (i = 0; i < q->nfilters && rc; i++) {
        if (q->filters[i].needle[0] == NULL) {
            rc = kotctl_query_parsed(&q->filters[i], rec);
        }
    }

    json_decref(rec);

    return rc;
}


/* Whether the needle occurs as a member of the record itself. */

static int
kotctl_query_member(kotctl_filter_t *f, int i, const char *line, size_t len)
{
    const char  *p, *end;

    if (f->needle[i] == NULL) {
        return 0;
    }

    p = line;
    end = line + len;

    while ((p = memmem(p, end - p, f->needle[i], f->needle_len[i]))
           != NULL)
    {
        if (kotctl_top_level(line, p - line)) {
            return 1;
        }

        p++;
    }

    return 0;
}


static int
kotctl_query_parsed(kotctl_filter_t *f, json_t *rec)
{
    int      i;
    json_t  *v;

    for (i = 0; i < 2 && f->keys[i]; i++) {
        v = json_object_get(rec, f->keys[i]);

        if (json_is_string(v) && strcmp(json_string_value(v), f->value) == 0
            && strlen(f->value) == json_string_length(v))
        {
            return 1;
        }
    }

    return 0;
}


/*
 * Whether line[pos] is outside strings at depth 1, where a member of the
 * record (not of a nested object such as kot.change) begins.
 */

static int
kotctl_top_level(const char *line, size_t pos)
{
    int     depth, in_string;
    size_t  i;

    depth = 0;
    in_string = 0;

    for (i = 0; i < pos; i++) {
        if (in_string) {
            if (line[i] == '\\') {
                i++;

            } else if (line[i] == '"') {
                in_string = 0;
            }

            continue;
        }

        switch (line[i]) {
        case '"':
            in_string = 1;
            break;
        case '{':
        case '[':
            depth++;
            break;
        case '}':
        case ']':
            depth--;
            break;
        }
    }

    return !in_string && i == pos && depth == 1;
}


/*
 * Whether every writer spells the value as is inside a JSON string:
 * printable ASCII but '"' and '\', and UTF-8 that nobody escapes.
 */

static int
kotctl_plain(const char *s)
{
    int       n;
    size_t    len;
    uint32_t  cp;

    len = strlen(s);

    while (len > 0) {
        n = kot_utf8_decode((const unsigned char *) s, len, &cp);

        if (n < 0 || cp < 0x20 || cp == '"' || cp == '\\' || cp == 0x7f
            || (cp >= 0x80 && cp < 0xa0) || cp == 0x2028 || cp == 0x2029)
        {
            return 0;
        }

        s += n;
        len -= n;
    }

    return 1;
}


/*
 * No writer writes a raw CR (JSON escapes it): a line that ends in one
 * was converted (Windows, a text-mode transfer), and without it is the
 * line written, which its MAC checks.  Takes it off; 1 if there was one.
 */

static int
kotctl_line_crlf(const char *line, size_t *len)
{
    if (*len > 0 && line[*len - 1] == '\r') {
        (*len)--;
        return 1;
    }

    return 0;
}


/*
 * Whether a matching line may be printed as it is.  Writers escape
 * control characters and replace invalid UTF-8, so a line that holds
 * either was not written by them, and on a terminal its ESC, OSC or C1
 * sequences would act: such a line is withheld and counted rather than
 * escaped, as query prints records unchanged or not at all.
 */

static int
kotctl_line_printable(const char *line, size_t len)
{
    size_t                i;
    unsigned              utf8;
    const unsigned char  *p;

    p = (const unsigned char *) line;
    utf8 = 0;

    for (i = 0; i < len; i++) {

        /* printable ASCII, nearly every byte of a record, 8 at a time */

        if (len - i >= 8 && kotctl_printable8(p + i)) {
            i += 7;
            continue;
        }

        if (p[i] < 0x20 || p[i] == 0x7f) {
            return 0;
        }

        /* C1 controls are C2 80..9F in UTF-8, U+2028 and U+2029 E2 80 A8/9 */

        if ((len - i >= 2 && p[i] == 0xc2 && p[i + 1] >= 0x80
             && p[i + 1] < 0xa0)
            || (len - i >= 3 && p[i] == 0xe2 && p[i + 1] == 0x80
                && (p[i + 2] == 0xa8 || p[i + 2] == 0xa9)))
        {
            return 0;
        }

        utf8 |= p[i] >= 0x80;
    }

    return !utf8 || kot_utf8_valid(line, len);
}


/*
 * Whether each of 8 bytes is from 0x20 to 0x7e.  The sums stay within
 * each byte (no term exceeds 0xdf), so each byte's top bit says yes or
 * no for that byte.
 */

static int
kotctl_printable8(const unsigned char *p)
{
    uint64_t  x, a, ok;

#define KOTCTL_B(c)  (0x0101010101010101ULL * (c))

    memcpy(&x, p, 8);
    a = x & KOTCTL_B(0x7f);

    ok = ~x                         /* < 0x80 */
         & (a + KOTCTL_B(0x60))     /* >= 0x20 */
         & ~(a + KOTCTL_B(0x01));   /* != 0x7f */

    return (ok & KOTCTL_B(0x80)) == KOTCTL_B(0x80);

#undef KOTCTL_B
}


/* ------------------------------------------------------------------ */
/* the line reader                                                     */
/* ------------------------------------------------------------------ */


static int
kotctl_reader_open(kotctl_reader_t *r, const char *path)
{
    memset(r, 0, sizeof(kotctl_reader_t));
    r->path = path;

    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->fd == -1) {
        kotctl_error("cannot open \"%s\": %s", path, strerror(errno));
        return -1;
    }

    r->buf = malloc(KOTCTL_LINE_MAX + KOTCTL_READ_CHUNK + 1);
    r->in = malloc(KOTCTL_READ_CHUNK);

    if (r->buf == NULL || r->in == NULL
        || inflateInit2(&r->zs, 16 + MAX_WBITS) != Z_OK)
    {
        kotctl_error("out of memory");
        free(r->buf);
        free(r->in);
        close(r->fd);
        return -1;
    }

    /* gzip by its magic, as gzread() tells: anything else is read as is */

    if (kotctl_reader_input(r) != 0) {
        kotctl_error("cannot read \"%s\": %s", path, strerror(errno));
        kotctl_reader_close(r);
        return -1;
    }

    r->gzip = r->zs.avail_in >= 2 && r->in[0] == 0x1f && r->in[1] == 0x8b;

    if (!r->gzip && kotctl_reader_compressed(r) != 0) {
        kotctl_reader_close(r);
        return -1;
    }

    return 0;
}


/*
 * A file compressed by another program than gzip, as logrotate's
 * compresscmd may make it: read as it is, its bytes would be counted as
 * lines that are not records, and a query of it would print nothing and
 * succeed.  Known by its magic, as file(1) knows it.
 */

static int
kotctl_reader_compressed(kotctl_reader_t *r)
{
    size_t  i, len;

    static const struct {
        const char  *name;
        const char  *magic;
        size_t       len;
        const char  *undo;
    } formats[] = {
        { "xz", "\xfd" "7zXZ\0", 6, "xz -dk" },
        { "zstd", "\x28\xb5\x2f\xfd", 4, "zstd -d" },
        { "bzip2", "BZh", 3, "bzip2 -dk" },
        { "lz4", "\x04\x22\x4d\x18", 4, "lz4 -d" },
        { "lzip", "LZIP", 4, "lzip -dk" },
        { "compress", "\x1f\x9d", 2, "uncompress" },
    };

    for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
        len = formats[i].len;

        if (r->zs.avail_in >= len
            && memcmp(r->in, formats[i].magic, len) == 0)
        {
            kotctl_error("cannot read \"%s\": it is compressed with %s, "
                         "and kotctl reads plain and gzip files only: "
                         "decompress it first (%s)", r->path,
                         formats[i].name, formats[i].undo);
            return -1;
        }
    }

    return 0;
}


/*
 * The next line, without its '\n', in place in the buffer: line[len] may
 * be overwritten by the caller.  A last line without '\n' counts too.
 */

static int
kotctl_reader_next(kotctl_reader_t *r, char **line, size_t *len)
{
    int    skipped;
    char  *nl;

    for ( ;; ) {
        nl = memchr(r->buf + r->scan, '\n', r->end - r->scan);

        if (nl == NULL && r->eof && r->start == r->end && !r->skipping) {
            return KOTCTL_EOF;
        }

        if (nl != NULL || r->eof) {
            *line = r->buf + r->start;
            *len = (nl ? (size_t) (nl - r->buf) : r->end) - r->start;
            r->start = r->scan = nl ? (size_t) (nl - r->buf) + 1 : r->end;
            r->line++;

            skipped = r->skipping;
            r->skipping = 0;

            return skipped ? KOTCTL_LONG : KOTCTL_LINE;
        }

        r->scan = r->end;

        if (r->end - r->start > KOTCTL_LINE_MAX) {
            /* too long for a record: drop it, but find where it ends */
            r->skipping = 1;
            r->start = r->scan = r->end = 0;
        }

        if (kotctl_reader_fill(r) != 0) {
            return KOTCTL_READ_ERR;
        }
    }
}


static int
kotctl_reader_fill(kotctl_reader_t *r)
{
    long  n;

    if (r->start > 0) {
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->end -= r->start;
        r->scan -= r->start;
        r->start = 0;
    }

    n = kotctl_reader_read(r, r->buf + r->end, KOTCTL_READ_CHUNK);

    if (n < 0) {
        return -1;
    }

    if (n == 0) {
        r->eof = 1;
    }

    r->end += n;

    return 0;
}


/*
 * Up to cap bytes of the file's content, 0 at its end, or -1.  zlib's
 * gzread() ends quietly at bytes appended after the last gzip member,
 * and at a file cut off at a member's end: evidence must not, so the
 * members are inflated here, one after the other.
 */

static long
kotctl_reader_read(kotctl_reader_t *r, char *dst, size_t cap)
{
    size_t   n;
    ssize_t  got;

    if (r->gzip) {
        return kotctl_reader_inflate(r, dst, cap);
    }

    if (r->zs.avail_in > 0) {
        n = r->zs.avail_in < cap ? r->zs.avail_in : cap;
        memcpy(dst, r->zs.next_in, n);
        r->zs.next_in += n;
        r->zs.avail_in -= n;
        return (long) n;
    }

    do {
        got = read(r->fd, dst, cap);
    } while (got == -1 && errno == EINTR);

    return got;
}


static long
kotctl_reader_inflate(kotctl_reader_t *r, char *dst, size_t cap)
{
    int  rc;

    r->zs.next_out = (Bytef *) dst;
    r->zs.avail_out = (uInt) cap;

    while (r->zs.avail_out == cap) {

        if (kotctl_reader_input(r) != 0) {
            return -1;
        }

        if (r->zs.avail_in == 0) {
            /* the file ends: well after a whole member only */
            return r->member_end ? 0 : kotctl_reader_broken(r);
        }

        if (r->member_end && r->zs.next_in[0] == '\0') {
            return kotctl_reader_zeros(r);
        }

        if (r->member_end || r->members == 0) {
            /* more after a member: it can only be another member */
            (void) inflateReset(&r->zs);
            r->member_end = 0;
            r->members++;
        }

        rc = inflate(&r->zs, Z_NO_FLUSH);

        if (rc == Z_STREAM_END) {
            r->member_end = 1;

        } else if (rc != Z_OK) {
            return kotctl_reader_broken(r);
        }
    }

    return (long) (cap - r->zs.avail_out);
}


/* More input into an empty buffer, unless the file has ended: 0, or -1 */

static int
kotctl_reader_input(kotctl_reader_t *r)
{
    ssize_t  got;

    if (r->zs.avail_in > 0 || r->in_eof) {
        return 0;
    }

    do {
        got = read(r->fd, r->in, KOTCTL_READ_CHUNK);
    } while (got == -1 && errno == EINTR);

    if (got == -1) {
        return -1;
    }

    r->in_eof = (got == 0);
    r->zs.next_in = r->in;
    r->zs.avail_in = (uInt) got;

    return 0;
}


/*
 * Zero bytes after a member, as a tape or block copy pads a file, which
 * gzip -d ignores: 0 when only zero bytes follow, to the file's end; else
 * -1, data after the last member.
 */

static long
kotctl_reader_zeros(kotctl_reader_t *r)
{
    uInt  n;

    for ( ;; ) {
        for (n = 0; n < r->zs.avail_in && r->zs.next_in[n] == '\0'; n++) {
            /* void */
        }

        r->padding += n;
        r->zs.next_in += n;
        r->zs.avail_in -= n;

        if (r->zs.avail_in > 0) {
            r->trailing = 1;
            return -1;
        }

        if (kotctl_reader_input(r) != 0) {
            return -1;
        }

        if (r->zs.avail_in == 0) {
            return 0;
        }
    }
}


/*
 * A member that does not inflate, or is cut off.  One after the first
 * that gave nothing yet is not a member at all: bytes appended after the
 * last one, which gzip -d reports as trailing garbage.
 */

static long
kotctl_reader_broken(kotctl_reader_t *r)
{
    r->trailing = r->members > 1 && r->zs.total_out == 0;

    return -1;
}


/* Zero bytes were ignored: say so, as gzip -d may. */

static void
kotctl_reader_padded(kotctl_reader_t *r)
{
    if (r->padding) {
        kotctl_print(stderr, "note: %s: %llu %s after its last gzip "
                     "member ignored (padding, as gzip -d ignores it)\n",
                     r->path, (unsigned long long) r->padding,
                     kotctl_plural((long long) r->padding, "zero byte",
                                   "zero bytes"));
    }
}


static void
kotctl_reader_close(kotctl_reader_t *r)
{
    (void) inflateEnd(&r->zs);
    close(r->fd);
    free(r->in);
    free(r->buf);
}


/* ------------------------------------------------------------------ */
/* the order of the files                                              */
/* ------------------------------------------------------------------ */


/*
 * A file given twice ("kot-audit.jsonl kot-audit.jsonl*", or a link to
 * it) would be read as records repeated in the log, or printed twice:
 * the auditor's slip is said as such.  Regular files only; -1 after the
 * error.
 */

static int
kotctl_files_distinct(char **files, int n)
{
    int          i, j;
    struct stat  a, b;

    for (i = 1; i < n; i++) {
        if (stat(files[i], &a) != 0 || !S_ISREG(a.st_mode)) {
            continue;
        }

        for (j = 0; j < i; j++) {
            if (stat(files[j], &b) == 0 && a.st_dev == b.st_dev
                && a.st_ino == b.st_ino)
            {
                kotctl_error("\"%s\" is the file \"%s\" again: give each "
                             "file once", files[i], files[j]);
                return -1;
            }
        }
    }

    return 0;
}


/*
 * Puts the files oldest first, as their records tell it, whatever order
 * they were given in: a shell's "kot-audit.jsonl*" gives the live log
 * first.  A file must come before another when a chain has records in
 * both, and its records in the one all come before those in the other;
 * files that no chain links go by their first record's time, then as
 * given.  Nothing here is trusted: the files are then verified in that
 * order as they would be in any other, and an order that no file order
 * explains (records moved between files) is reported there.  Only
 * regular files are read twice: with a pipe, or a file that cannot be
 * read, the order given is kept.  -1 when a file that can be opened
 * cannot be read (compressed by another program than gzip), said before
 * anything of the other files is.
 */

static int
kotctl_files_order(char **files, int n)
{
    int              i, j, best, changed, rc;
    char           **order;
    struct stat      st;
    unsigned char   *before;
    kotctl_order_t  *f;

    if (n < 2) {
        return 0;
    }

    for (i = 0; i < n; i++) {
        if (stat(files[i], &st) != 0 || !S_ISREG(st.st_mode)
            || access(files[i], R_OK) != 0)
        {
            return 0;
        }
    }

    rc = 0;

    f = calloc(n, sizeof(kotctl_order_t));
    order = calloc(n, sizeof(char *));
    before = calloc((size_t) n * n, 1);

    if (f == NULL || order == NULL || before == NULL) {
        goto done;
    }

    for (i = 0; i < n; i++) {
        f[i].path = files[i];

        /* a file compressed by another program: said, before any other */

        if (kotctl_order_read(&f[i]) != 0) {
            rc = -1;
            goto done;
        }
    }

    for (i = 0; i < n; i++) {
        for (j = 0; j < n; j++) {
            before[i * n + j] = (i != j && kotctl_order_before(&f[i], &f[j]));
        }
    }

    changed = 0;

    for (i = 0; i < n; i++) {

        /* the oldest of the files that no file left must come before */

        best = -1;

        for (j = 0; j < n; j++) {
            if (f[j].placed || kotctl_order_blocked(f, before, n, j)) {
                continue;
            }

            if (best == -1 || kotctl_order_older(&f[j], &f[best])) {
                best = j;
            }
        }

        /* files that must each come first: as given, verify says why */

        for (j = 0; best == -1 && j < n; j++) {
            if (!f[j].placed) {
                best = j;
            }
        }

        f[best].placed = 1;
        order[i] = files[best];
        changed |= (best != i);
    }

    if (changed) {
        memcpy(files, order, n * sizeof(char *));
        kotctl_print(stderr, "note: the files are read oldest first, as "
                     "their records tell:");

        for (i = 0; i < n; i++) {
            kotctl_print(stderr, " %s", files[i]);
        }

        fputc('\n', stderr);
    }

done:

    for (i = 0; f != NULL && i < n; i++) {
        free(f[i].spans);
    }

    free(f);
    free(order);
    free(before);

    return rc;
}


/* whether a file not placed yet must come before file j */

static int
kotctl_order_blocked(kotctl_order_t *f, unsigned char *before, int n, int j)
{
    int  i;

    for (i = 0; i < n; i++) {
        if (!f[i].placed && before[i * n + j] && !before[j * n + i]) {
            return 1;
        }
    }

    return 0;
}


/* by the first record's time; a file without records is the newest */

static int
kotctl_order_older(kotctl_order_t *a, kotctl_order_t *b)
{
    if (a->first_ts[0] == '\0') {
        return 0;
    }

    return b->first_ts[0] == '\0' || strcmp(a->first_ts, b->first_ts) < 0;
}


/*
 * What a file holds of each chain, read as verify reads it; lines that
 * are not records, and what follows a damage, say nothing here.
 */

static int
kotctl_order_read(kotctl_order_t *f)
{
    int               rc;
    char             *line;
    size_t            len;
    uint64_t          id;
    kotctl_span_t    *sp;
    kotctl_record_t   rec;
    kotctl_reader_t   r;

    if (kotctl_reader_open(&r, f->path) != 0) {
        return -1;
    }

    for ( ;; ) {
        rc = kotctl_reader_next(&r, &line, &len);

        if (rc == KOTCTL_EOF || rc == KOTCTL_READ_ERR) {
            rc = 0;
            break;
        }

        if (rc != KOTCTL_LINE) {
            continue;
        }

        rc = kotctl_record_parse(&rec, line, len);
        json_decref(rec.json);

        if (rc != 0) {
            continue;
        }

        if (f->first_ts[0] == '\0' && rec.ts[0] != '\0') {
            memcpy(f->first_ts, rec.ts, KOTCTL_TS_LEN + 1);
        }

        id = strtoull(rec.chain, NULL, 16);

        sp = kotctl_order_span(f, id);
        if (sp == NULL) {
            rc = -1;
            break;
        }

        if (!sp->used) {
            sp->used = 1;
            sp->id = id;
            sp->first = rec.seq;
            sp->last = rec.seq;
            f->nspans++;
            continue;
        }

        sp->first = (rec.seq < sp->first) ? rec.seq : sp->first;
        sp->last = (rec.seq > sp->last) ? rec.seq : sp->last;
    }

    kotctl_reader_close(&r);

    if (rc != 0) {
        kotctl_error("out of memory");
        return -1;
    }

    /* the table, its used entries first, by id: for the files' pairs */

    qsort(f->spans, f->size, sizeof(kotctl_span_t), kotctl_span_cmp);

    return 0;
}


/* the chain's entry in the file's table, grown when half full */

static kotctl_span_t *
kotctl_order_span(kotctl_order_t *f, uint64_t id)
{
    size_t          i, size;
    kotctl_span_t  *old, *sp;

    if (f->nspans * 2 >= f->size) {
        old = f->spans;
        size = f->size ? f->size * 2 : KOTCTL_ORDER_SPANS;

        f->spans = calloc(size, sizeof(kotctl_span_t));
        if (f->spans == NULL) {
            f->spans = old;
            return NULL;
        }

        f->size = size;

        for (i = 0; old != NULL && i < size / 2; i++) {
            if (old[i].used) {
                sp = kotctl_order_span(f, old[i].id);
                *sp = old[i];
            }
        }

        free(old);
    }

    /* chain ids are random: their low bits spread them */

    for (i = id & (f->size - 1); f->spans[i].used && f->spans[i].id != id;
         i = (i + 1) & (f->size - 1))
    {
        /* void */
    }

    return &f->spans[i];
}


/*
 * Whether a must come before b: a chain has records in both, and those
 * in a all come before those in b.
 */

static int
kotctl_order_before(kotctl_order_t *a, kotctl_order_t *b)
{
    size_t  i, j;

    for (i = 0, j = 0; i < a->nspans && j < b->nspans; ) {
        if (a->spans[i].id < b->spans[j].id) {
            i++;

        } else if (a->spans[i].id > b->spans[j].id) {
            j++;

        } else {
            if (a->spans[i].last < b->spans[j].first) {
                return 1;
            }

            i++;
            j++;
        }
    }

    return 0;
}


static int
kotctl_span_cmp(const void *a, const void *b)
{
    const kotctl_span_t  *x = a, *y = b;

    if (x->used != y->used) {
        return x->used ? -1 : 1;
    }

    return (x->id > y->id) - (x->id < y->id);
}


/* ------------------------------------------------------------------ */
/* records and times                                                   */
/* ------------------------------------------------------------------ */


/*
 * The fields verify needs.  Records after the first are read by their
 * fixed layout when they have it, as every writer writes them: a full
 * parse would cost more than the MAC, and the MAC covers every byte
 * anyway.  Record 0, with its sealed key, is always parsed.
 */

static int
kotctl_record_parse(kotctl_record_t *rec, const char *line, size_t len)
{
    json_t      *seq, *chain, *action, *ts;
    json_int_t   n;

    memset(rec, 0, sizeof(kotctl_record_t));

    if (kotctl_record_fast(rec, line, len) == 0) {
        return 0;
    }

    rec->json = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);

    if (!json_is_object(rec->json)) {
        return -1;
    }

    seq = json_object_get(rec->json, "event.sequence");
    chain = json_object_get(rec->json, "kot.chain");
    action = json_object_get(rec->json, "event.action");
    ts = json_object_get(rec->json, "@timestamp");

    if (!json_is_integer(seq) || !json_is_string(chain)
        || !kotctl_is_chain_id(json_string_value(chain)))
    {
        return -1;
    }

    n = json_integer_value(seq);
    if (n < 0) {
        return -1;
    }

    rec->seq = (uint64_t) n;
    memcpy(rec->chain, json_string_value(chain), KOT_CHAIN_ID_LEN);

    if (json_is_string(action)) {
        rec->start = strcmp(json_string_value(action), "chain_start") == 0;
        rec->end = strcmp(json_string_value(action), "chain_end") == 0;
    }

    if (json_is_string(ts)
        && kotctl_is_ts(json_string_value(ts), json_string_length(ts)))
    {
        memcpy(rec->ts, json_string_value(ts), KOTCTL_TS_LEN);
    }

    return 0;
}


/*
 * {"@timestamp":"<24>","event.sequence":<n>,"kot.chain":"<16 hex>",...
 * with n > 0 written as JSON writes it; -1 for anything else.
 */

static int
kotctl_record_fast(kotctl_record_t *rec, const char *line, size_t len)
{
    size_t       i, digits;
    uint64_t     n;
    const char  *p, *end;

    p = line;
    end = line + len;

    if ((size_t) (end - p) < KOTCTL_TS_PREFIX_LEN + KOTCTL_TS_LEN + 64
        || memcmp(p, KOTCTL_TS_PREFIX, KOTCTL_TS_PREFIX_LEN) != 0
        || !kotctl_is_ts(p + KOTCTL_TS_PREFIX_LEN, KOTCTL_TS_LEN))
    {
        return -1;
    }

    memcpy(rec->ts, p + KOTCTL_TS_PREFIX_LEN, KOTCTL_TS_LEN);
    p += KOTCTL_TS_PREFIX_LEN + KOTCTL_TS_LEN;

    if (memcmp(p, KOTCTL_SEQ_PREFIX, sizeof(KOTCTL_SEQ_PREFIX) - 1) != 0) {
        return -1;
    }

    p += sizeof(KOTCTL_SEQ_PREFIX) - 1;

    /* 1 to 19 digits, no leading zero: no overflow, one spelling */

    n = 0;

    for (digits = 0; p < end && *p >= '0' && *p <= '9'; p++, digits++) {
        n = n * 10 + (uint64_t) (*p - '0');
    }

    if (digits == 0 || digits > 19 || n == 0 || *(p - digits) == '0'
        || (size_t) (end - p) < sizeof(KOTCTL_CHAIN_PREFIX) - 1
                                + KOT_CHAIN_ID_LEN + 1
        || memcmp(p, KOTCTL_CHAIN_PREFIX, sizeof(KOTCTL_CHAIN_PREFIX) - 1)
           != 0)
    {
        return -1;
    }

    p += sizeof(KOTCTL_CHAIN_PREFIX) - 1;

    for (i = 0; i < KOT_CHAIN_ID_LEN; i++) {
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
        {
            return -1;
        }
    }

    memcpy(rec->chain, p, KOT_CHAIN_ID_LEN);
    p += KOT_CHAIN_ID_LEN;

    rec->seq = n;
    rec->end = (size_t) (end - p) >= sizeof(KOTCTL_END_ACTION) - 1
               && memcmp(p, KOTCTL_END_ACTION,
                         sizeof(KOTCTL_END_ACTION) - 1) == 0;

    return 0;
}


static int
kotctl_is_chain_id(const char *s)
{
    return strlen(s) == KOT_CHAIN_ID_LEN
           && strspn(s, "0123456789abcdef") == KOT_CHAIN_ID_LEN;
}


/* YYYY-MM-DDTHH:MM:SS.mmmZ, by shape */

static int
kotctl_is_ts(const char *s, size_t len)
{
    size_t  i;

    static const char  shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";

    if (len != KOTCTL_TS_LEN) {
        return 0;
    }

    for (i = 0; i < KOTCTL_TS_LEN; i++) {
        if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
        {
            return 0;
        }
    }

    return 1;
}


static int
kotctl_ts_ms(const char *ts, uint64_t *ms)
{
    int        ms_part;
    time_t     t;
    struct tm  tm;

    if (!kotctl_is_ts(ts, strlen(ts))) {
        return -1;
    }

    memset(&tm, 0, sizeof(tm));

    if (sscanf(ts, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon,
               &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms_part)
        != 7)
    {
        return -1;
    }

    tm.tm_year -= 1900;
    tm.tm_mon -= 1;

    t = timegm(&tm);
    if (t < 0) {
        return -1;
    }

    *ms = (uint64_t) t * 1000 + (uint64_t) ms_part;

    return 0;
}


/* The record's form of a time in ms, or -1 past the year 9999. */

static int
kotctl_ms_ts(uint64_t ms, char ts[KOTCTL_TS_LEN + 1])
{
    char       buf[64];
    time_t     t;
    struct tm  tm;

    t = (time_t) (ms / 1000);

    if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 > 9999) {
        return -1;
    }

    snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, (int) (ms % 1000));
    memcpy(ts, buf, KOTCTL_TS_LEN + 1);

    return 0;
}


/*
 * RFC 3339 (2026-11-26T10:00:00Z, 2026-11-26T19:00:00.5+09:00) or a date
 * (midnight UTC), as the record's fixed-width UTC form.
 */

static int
kotctl_parse_time(const char *s, char out[KOTCTL_TS_LEN + 1])
{
    int          y, mo, d, h, mi, sec, ms, oh, om, sign, digits, finer;
    time_t       t;
    long long    total;
    struct tm    tm;
    const char  *p;

    p = s;
    h = mi = sec = ms = oh = om = finer = 0;
    sign = 0;

    if (kotctl_parse_digits(&p, 4, &y) || *p++ != '-'
        || kotctl_parse_digits(&p, 2, &mo) || *p++ != '-'
        || kotctl_parse_digits(&p, 2, &d))
    {
        return -1;
    }

    if (*p != '\0') {
        if (*p != 'T' && *p != 't' && *p != ' ') {
            return -1;
        }

        p++;

        if (kotctl_parse_digits(&p, 2, &h) || *p++ != ':'
            || kotctl_parse_digits(&p, 2, &mi) || *p++ != ':'
            || kotctl_parse_digits(&p, 2, &sec))
        {
            return -1;
        }

        if (*p == '.') {
            p++;

            for (digits = 0; *p >= '0' && *p <= '9'; p++, digits++) {
                if (digits < 3) {
                    ms = ms * 10 + (*p - '0');

                } else if (*p != '0') {
                    finer = 1;
                }
            }

            if (digits == 0) {
                return -1;
            }

            for ( /* void */ ; digits < 3; digits++) {
                ms *= 10;
            }
        }

        if (*p == 'Z' || *p == 'z') {
            p++;

        } else if (*p == '+' || *p == '-') {
            sign = (*p++ == '+') ? 1 : -1;

            if (kotctl_parse_digits(&p, 2, &oh) || *p++ != ':'
                || kotctl_parse_digits(&p, 2, &om) || oh > 23 || om > 59)
            {
                return -1;
            }

        } else {
            return -1;
        }

        if (*p != '\0') {
            return -1;
        }
    }

    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59
        || sec > 60)
    {
        return -1;
    }

    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec == 60 ? 59 : sec;

    t = timegm(&tm);

    /* timegm() normalises 2026-02-31 into March: refuse it instead */

    if (tm.tm_mday != d || tm.tm_mon != mo - 1) {
        return -1;
    }

    /*
     * Records have milliseconds: a finer time is rounded up, so that
     * ts >= since and ts < until keep their meaning.
     */

    total = ((long long) t - sign * (oh * 3600 + om * 60)) * 1000 + ms
            + finer;

    return total < 0 ? -1 : kotctl_ms_ts((uint64_t) total, out);
}


static int
kotctl_parse_digits(const char **p, int n, int *value)
{
    int  i;

    *value = 0;

    for (i = 0; i < n; i++) {
        if ((*p)[i] < '0' || (*p)[i] > '9') {
            return -1;
        }

        *value = *value * 10 + ((*p)[i] - '0');
    }

    *p += n;

    return 0;
}
