/*
 * kotctl: the audit log.  (Being written.)
 */

#include "kotctl.h"


int
kotctl_audit(kotctl_t *k, int argc, char **argv)
{
    (void) k;
    (void) argc;
    (void) argv;

    kotctl_error("audit: not implemented yet");

    return KOTCTL_FAIL;
}


int
kotctl_audit_event(kotctl_t *k, const char *action, const char *category,
    const char *tenant, const char *target, json_t *change)
{
    (void) k;
    (void) action;
    (void) category;
    (void) tenant;
    (void) target;

    if (change) {
        json_decref(change);
    }

    return 0;
}
