/*
 * Unit tests of kot_base32: RFC 4648 section 10's vectors, and a decoder
 * that takes what people type but nothing else.
 */

#include <stdint.h>
#include <string.h>

#include "tap.h"
#include "kot_base32.h"


static void
test_vectors(void)
{
    size_t   i, n;
    char     out[32];
    uint8_t  raw[16];

    static const char  *v[][2] = {
        { "", "" }, { "f", "MY" }, { "fo", "MZXQ" }, { "foo", "MZXW6" },
        { "foob", "MZXW6YQ" }, { "fooba", "MZXW6YTB" },
        { "foobar", "MZXW6YTBOI" }
    };

    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        n = kot_base32_encode(out, (const uint8_t *) v[i][0],
                              strlen(v[i][0]));
        out[n] = '\0';
        is_str(out, v[i][1], "encode: \"%s\" (RFC 4648)", v[i][0]);
        is_long(n, kot_base32_encoded_len(strlen(v[i][0])),
                "encode: \"%s\" has the predicted length", v[i][0]);

        is_long(kot_base32_decode(raw, sizeof(raw), v[i][1],
                                  strlen(v[i][1])),
                strlen(v[i][0]), "decode: %s", v[i][1]);
        ok(memcmp(raw, v[i][0], strlen(v[i][0])) == 0,
           "decode: %s gives \"%s\" back", v[i][1], v[i][0]);
    }
}


static void
test_decode(void)
{
    uint8_t  raw[16];

    is_long(kot_base32_decode(raw, sizeof(raw), "mzxw 6ytb oi", 12), 6,
            "decode: lower case and spaces, as typed");
    ok(memcmp(raw, "foobar", 6) == 0, "decode: typed gives the same bytes");

    is_long(kot_base32_decode(raw, sizeof(raw), "MZXW6YTBO1", 10), -1,
            "decode: '1' is not in the alphabet");
    is_long(kot_base32_decode(raw, sizeof(raw), "MZXW6YTBOI==", 12), -1,
            "decode: padding is refused");
    is_long(kot_base32_decode(raw, sizeof(raw), "MZX", 3), -1,
            "decode: an impossible length is refused");
    is_long(kot_base32_decode(raw, sizeof(raw), "MY", 2), 1,
            "decode: 2 characters are one byte");
    is_long(kot_base32_decode(raw, sizeof(raw), "MY7", 2), 1,
            "decode: only the length given is read");
    is_long(kot_base32_decode(raw, sizeof(raw), "MZ", 2), -1,
            "decode: non-zero trailing bits are refused");
    is_long(kot_base32_decode(raw, 5, "MZXW6YTBOI", 10), -1,
            "decode: more than fits is refused");
}


int
main(void)
{
    test_vectors();
    test_decode();

    return done_testing();
}
