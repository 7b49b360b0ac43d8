/*
 * ngx_kot: password policy checks.
 *
 * Lengths are counted in Unicode code points, never bytes, and nothing is
 * ever truncated.  Any printable Unicode is allowed, spaces included;
 * invalid UTF-8 and control characters (C0, DEL, C1) are refused.
 */

#ifndef KOT_POLICY_H
#define KOT_POLICY_H

#include <stddef.h>

typedef struct {
    unsigned    min_length;     /* code points, default 12 */
    unsigned    max_length;     /* code points, default 128 */
    unsigned    classes;        /* how many of lower/upper/digit/other */
    int         not_username;   /* refuse passwords containing the user */
} kot_policy_t;

#define KOT_POLICY_DEFAULT  { 12, 128, 0, 1 }

/* Reasons, as a bit mask: one bit per broken rule. */
#define KOT_PW_OK             0x00
#define KOT_PW_TOO_SHORT      0x01
#define KOT_PW_TOO_LONG       0x02
#define KOT_PW_INVALID_CHARS  0x04
#define KOT_PW_CLASSES        0x08
#define KOT_PW_USERNAME       0x10

/*
 * Checks pw[0..len) against the policy; username may be NULL.
 * not_username compares case-insensitively (ASCII) and refuses a password
 * that contains the username when the username is 3 or more characters.
 */
unsigned kot_policy_check(const kot_policy_t *p, const char *pw, size_t len,
    const char *username, size_t username_len);

/*
 * Counts code points in s[0..len).  Returns -1 if s is not valid UTF-8
 * (overlongs, surrogates and values above U+10FFFF are invalid).
 */
long kot_utf8_length(const char *s, size_t len);

#endif /* KOT_POLICY_H */
