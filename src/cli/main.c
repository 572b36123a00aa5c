/* The sentinel command line: a thin front end that dispatches to one subcommand. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const sn_command commands[] = {
    {"detect", "give every event an explained verdict (JSON lines)", sn_cmd_detect},
    {"train", "learn baselines and detectors, write a model file", sn_cmd_train},
    {"eval", "measure detection against labelled events", sn_cmd_eval},
    {"users", "rank users by overall risk (five factors)", sn_cmd_users},
    {"user-risk", "explain one user's overall risk", sn_cmd_user_risk},
    {"roles", "mine roles from who uses what (k-means++), with their health", sn_cmd_roles},
    {"generate", "write a synthetic labelled access log", sn_cmd_generate},
    {"iforest", "run a bare Isolation Forest on a numeric CSV", sn_cmd_iforest},
    {"predict", "predict approval of access requests (train, cv, ask)", sn_cmd_predict},
    {"serve", "serve the REST API for real-time decisions", sn_cmd_serve},
    {"audit", "verify the audit log's chain, show its records", sn_cmd_audit},
    {"keys", "create, list and revoke API keys for serve", sn_cmd_keys},
    {"user", "export or forget everything the store holds about one user", sn_cmd_user},
    {"retention", "delete stored records older than the retention period", sn_cmd_retention},
    {"backup", "copy the store while it stays in use", sn_cmd_backup},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: sentinel COMMAND [OPTIONS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n`sentinel COMMAND --help` describes one command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return SN_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("sentinel %s\n", SENTINEL_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "sentinel: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return SN_EXIT_USAGE;
}
