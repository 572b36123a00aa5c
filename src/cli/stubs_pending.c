/* Subcommands whose implementation lives in their own files once written. */
#include "cli.h"

#include <stdio.h>

int sn_cmd_generate(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "%s: not built yet\n", argv[0]);
    return SN_EXIT_FAIL;
}

int sn_cmd_iforest(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "%s: not built yet\n", argv[0]);
    return SN_EXIT_FAIL;
}
