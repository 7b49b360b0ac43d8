/*
 * Unit tests of kot_b64: RFC 4648 vectors, both alphabets, strictness of
 * the decoders and a random round trip.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "kot_b64.h"
#include "kot_crypto.h"


typedef ssize_t (*decode_pt)(uint8_t *dst, size_t cap, const char *src,
    size_t n);
typedef size_t (*encode_pt)(char *dst, const uint8_t *src, size_t n);


static const char *
enc(encode_pt f, const char *s, size_t n)
{
    size_t       len;
    static char  buf[256];

    len = f(buf, (const uint8_t *) s, n);
    buf[len] = '\0';

    return buf;
}


/* Decodes s and returns the result as a string, or "(refused)". */

static const char *
dec(decode_pt f, const char *s, size_t cap)
{
    ssize_t      n;
    static char  buf[256];

    n = f((uint8_t *) buf, cap, s, strlen(s));
    if (n < 0) {
        return "(refused)";
    }

    buf[n] = '\0';

    return buf;
}


static void
test_vectors(void)
{
    size_t       i;
    static const char  *v[][2] = {
        { "", "" }, { "f", "Zg" }, { "fo", "Zm8" }, { "foo", "Zm9v" },
        { "foob", "Zm9vYg" }, { "fooba", "Zm9vYmE" },
        { "foobar", "Zm9vYmFy" },
    };

    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        is_str(enc(kot_b64_encode, v[i][0], strlen(v[i][0])), v[i][1],
               "encode: RFC 4648 \"%s\"", v[i][0]);
        is_str(dec(kot_b64_decode, v[i][1], 64), v[i][0],
               "decode: RFC 4648 \"%s\"", v[i][1]);
        is_str(enc(kot_b64url_encode, v[i][0], strlen(v[i][0])), v[i][1],
               "url encode: RFC 4648 \"%s\"", v[i][0]);
        is_long(kot_b64_encoded_len(strlen(v[i][0])), strlen(v[i][1]),
                "encoded_len: %zu bytes", strlen(v[i][0]));
    }
}


static void
test_alphabets(void)
{
    const char  *bin = "\xfb\xff\xbf";

    is_str(enc(kot_b64_encode, bin, 3), "+/+/", "std: uses + and /");
    is_str(enc(kot_b64url_encode, bin, 3), "-_-_", "url: uses - and _");
    is_str(dec(kot_b64_decode, "+/+/", 8), bin, "std: decodes + and /");
    is_str(dec(kot_b64url_decode, "-_-_", 8), bin, "url: decodes - and _");
    is_str(dec(kot_b64_decode, "-_-_", 8), "(refused)",
           "std: refuses - and _");
    is_str(dec(kot_b64url_decode, "+/+/", 8), "(refused)",
           "url: refuses + and /");
}


static void
test_strict(void)
{
    ssize_t  n;
    uint8_t  buf[8];

    is_str(dec(kot_b64_decode, "Zg==", 8), "(refused)", "refuses padding");
    is_str(dec(kot_b64_decode, "Zm8=", 8), "(refused)",
           "refuses one padding character");
    is_str(dec(kot_b64_decode, "Zm9vY", 8), "(refused)",
           "refuses length % 4 == 1");
    is_str(dec(kot_b64_decode, "Z", 8), "(refused)",
           "refuses a single character");
    is_str(dec(kot_b64_decode, "Zh", 8), "(refused)",
           "refuses non-zero trailing bits after one byte");
    is_str(dec(kot_b64_decode, "Zm9", 8), "(refused)",
           "refuses non-zero trailing bits after two bytes");
    is_str(dec(kot_b64_decode, "Zm8", 8), "fo", "accepts canonical Zm8");
    is_str(dec(kot_b64_decode, "Zm9v!A", 8), "(refused)",
           "refuses a character outside the alphabet");
    is_str(dec(kot_b64_decode, "Zm9v Zg", 8), "(refused)",
           "refuses a space");
    is_str(dec(kot_b64_decode, "Zm9v\nZg", 8), "(refused)",
           "refuses a newline");
    is_str(dec(kot_b64url_decode, "Zm9v\xc3\xa9", 8), "(refused)",
           "refuses non-ASCII bytes");

    n = kot_b64_decode(buf, sizeof(buf), "Zm9v\0Zg", 7);
    is_long(n, -1, "refuses an embedded NUL");

    is_str(dec(kot_b64_decode, "Zm9vYmFy", 5), "(refused)",
           "refuses output larger than cap");
    is_str(dec(kot_b64_decode, "Zm9vYmFy", 6), "foobar",
           "accepts output exactly cap");

    n = kot_b64url_decode(NULL, 0, "", 0);
    is_long(n, 0, "empty input decodes to nothing");
}


static void
test_round_trip(void)
{
    int      i, bad_len, bad_std, bad_url;
    char     txt[kot_b64_encoded_len(200)];
    size_t   n, e;
    uint8_t  src[200], dst[200];
    ssize_t  d;

    bad_len = bad_std = bad_url = 0;

    for (i = 0; i < 2000; i++) {
        n = (size_t) (rand() % (sizeof(src) + 1));
        kot_random(src, n);

        e = kot_b64_encode(txt, src, n);
        bad_len += e != kot_b64_encoded_len(n);
        d = kot_b64_decode(dst, n, txt, e);
        bad_std += d != (ssize_t) n || memcmp(src, dst, n) != 0;

        e = kot_b64url_encode(txt, src, n);
        bad_len += e != kot_b64_encoded_len(n);
        bad_len += kot_b64_decoded_len(e) != n;
        d = kot_b64url_decode(dst, n, txt, e);
        bad_url += d != (ssize_t) n || memcmp(src, dst, n) != 0;
    }

    ok(bad_len == 0, "random: encoded lengths match the macros");
    is_long(bad_std, 0, "random: std round trip of 2000 buffers");
    is_long(bad_url, 0, "random: url round trip of 2000 buffers");
}


int
main(void)
{
    test_vectors();
    test_alphabets();
    test_strict();
    test_round_trip();

    return done_testing();
}
