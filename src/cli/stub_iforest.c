/* Placeholder for the iforest subcommand until its implementation lands in cmd_iforest.c. */
#include "cli.h"

#include <stdio.h>

int sn_cmd_iforest(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "%s: not built yet\n", argv[0]);
    return SN_EXIT_FAIL;
}
