/*
 * kotctl: per-tenant source address allow-lists.  (Being written.)
 */

#include "kotctl.h"


int
kotctl_allowlist(kotctl_t *k, int argc, char **argv)
{
    (void) k;
    (void) argc;
    (void) argv;

    kotctl_error("allowlist: not implemented yet");

    return KOTCTL_FAIL;
}
