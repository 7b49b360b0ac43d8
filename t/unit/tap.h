/*
 * A tiny TAP producer for the C unit tests, so that they run under prove
 * next to the Perl suites.  Header-only: each test file includes it once.
 */

#ifndef KOT_TAP_H
#define KOT_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* a test file need not use every helper */
#define TAP_UNUSED  __attribute__((unused))

static int  tap_n;
static int  tap_failed;

static void
tap_report(int pass, const char *fmt, va_list ap)
{
    tap_n++;
    if (!pass) {
        tap_failed++;
    }
    printf("%sok %d - ", pass ? "" : "not ", tap_n);
    vprintf(fmt, ap);
    putchar('\n');
}

static TAP_UNUSED int
ok(int pass, const char *fmt, ...)
{
    va_list  ap;

    va_start(ap, fmt);
    tap_report(pass, fmt, ap);
    va_end(ap);
    return pass;
}

/* Compares two NUL-terminated strings and shows both on failure. */
static TAP_UNUSED int
is_str(const char *got, const char *want, const char *fmt, ...)
{
    int      pass;
    va_list  ap;

    pass = (got != NULL && want != NULL && strcmp(got, want) == 0)
           || (got == NULL && want == NULL);
    va_start(ap, fmt);
    tap_report(pass, fmt, ap);
    va_end(ap);
    if (!pass) {
        printf("#   got:      '%s'\n#   expected: '%s'\n",
               got ? got : "(null)", want ? want : "(null)");
    }
    return pass;
}

static TAP_UNUSED int
is_long(long got, long want, const char *fmt, ...)
{
    int      pass;
    va_list  ap;

    pass = (got == want);
    va_start(ap, fmt);
    tap_report(pass, fmt, ap);
    va_end(ap);
    if (!pass) {
        printf("#   got:      %ld\n#   expected: %ld\n", got, want);
    }
    return pass;
}

/* Prints the plan and returns the exit status for main(). */
static TAP_UNUSED int
done_testing(void)
{
    printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}

#endif /* KOT_TAP_H */
