/*
 * Prints the source of one of the module's Redis scripts, for bench/run
 * to load it and build sessions exactly as logins build them.
 *
 *     build/bench/script session_create
 */

#include <stdio.h>
#include <string.h>

#include "kot_scripts.h"


int
main(int argc, char **argv)
{
    int  i;

    for (i = 0; argc == 2 && i < KOT_SCRIPT_N; i++) {
        if (strcmp(kot_scripts[i].name, argv[1]) == 0) {
            fputs(kot_scripts[i].source, stdout);
            return 0;
        }
    }

    fprintf(stderr, "usage: script NAME (a name from kot_scripts.c)\n");

    return 2;
}
