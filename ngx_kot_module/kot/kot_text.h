/*
 * ngx_kot: escaping text for HTML, URLs and JSON strings.
 * Each *_len function gives the exact output size for the matching
 * writer, which returns the number of bytes written (no NUL).
 */

#ifndef KOT_TEXT_H
#define KOT_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* HTML text and attribute values: & < > " ' become entities. */
size_t kot_html_escape_len(const char *s, size_t len);
size_t kot_html_escape(char *dst, const char *s, size_t len);

/*
 * URL component: everything except ALPHA / DIGIT / "-._~/" is
 * percent-encoded (so a path stays readable in a query parameter).
 */
size_t kot_url_escape_len(const char *s, size_t len);
size_t kot_url_escape(char *dst, const char *s, size_t len);

/*
 * JSON string contents (without the surrounding quotes): '"', '\\',
 * control characters (C0, DEL, C1) and U+2028/U+2029 are escaped; invalid
 * UTF-8 bytes become U+FFFD so the output is always valid UTF-8 JSON.
 */
size_t kot_json_escape_len(const char *s, size_t len);
size_t kot_json_escape(char *dst, const char *s, size_t len);

/*
 * JSON text as a library such as jansson writes it, with the characters
 * that JSON allows raw but that split lines for some readers (DEL, C1
 * controls, U+2028/U+2029) escaped as kot_json_escape() does.  They occur
 * only inside strings, so the text means the same.  With dst NULL it
 * returns the length only; it is len when there is nothing to escape.
 */
size_t kot_json_harden(char *dst, const char *s, size_t len);

/* no input byte takes more than this in the output ("\u0000") */
#define KOT_JSON_ESCAPE_MAX  6

/*
 * UTF-8 as is, with each byte that is not part of a valid sequence
 * replaced by U+FFFD (three bytes): for libraries such as jansson that
 * refuse invalid UTF-8 outright.  kot_utf8_valid() says whether that is
 * needed at all.
 */
int kot_utf8_valid(const char *s, size_t len);
size_t kot_utf8_sanitize_len(const char *s, size_t len);
size_t kot_utf8_sanitize(char *dst, const char *s, size_t len);

/*
 * A time in milliseconds since the epoch as RFC 3339 UTC, to the second:
 * "2026-11-26T10:00:00Z", as the admin API and "kotctl --json" print
 * times.  buf holds at least KOT_RFC3339_LEN bytes; returns the length.
 */
#define KOT_RFC3339_LEN  21
size_t kot_rfc3339(uint64_t ms, char *buf, size_t len);

#endif /* KOT_TEXT_H */
