/* Placeholder for the generate subcommand until its implementation lands in cmd_generate.c. */
#include "cli.h"

#include <stdio.h>

int sn_cmd_generate(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "%s: not built yet\n", argv[0]);
    return SN_EXIT_FAIL;
}
