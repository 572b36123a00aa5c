/* sentinel train: learn baselines and detectors from a history and write a model file. */
#include "cli.h"
#include "pipeline.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "usage: sentinel train --input FILE --model OUT [options]\n"
    "\n"
    "Learns every user's and peer group's baselines from FILE (in time order), fits the\n"
    "Isolation Forest on the behavioural feature vectors and calibrates the ensemble, then\n"
    "writes OUT: magic number, format version, feature names, SHA-256 of the training events,\n"
    "parameters, calibration, the training risk distribution (for the server's drift monitor),\n"
    "forest, baselines and a SHA-256 checksum. `sentinel detect --model OUT` continues from\n"
    "this state. A corrupt or foreign model file is refused.\n"
    "\n"
    "Poisoning defence: a first forest scores the training events and the share --train-filter\n"
    "(default 1%%) it isolates most is left out of the forest and its calibration, so that a\n"
    "few planted events cannot teach it that they are ordinary.\n"
    "\n"
    "options:\n"
    "  -i, --input FILE       history to learn from\n"
    "  -f, --format NAME      auto (default), csv, jsonl, syslog (auth.log: sshd, su,\n"
    "                         sudo), winevt (Windows Security events, JSON lines),\n"
    "                         cloudtrail (AWS CloudTrail), okta (Okta System Log), entra\n"
    "                         (Entra ID sign-in and audit logs), ecs (Elastic Common\n"
    "                         Schema) or ocsf (OCSF Authentication)\n"
    "      --year N           year of syslog lines, whose headers have none (default: this\n"
    "                         year, or the last if the date would lie in the future)\n"
    "      --timezone TZ      zone of timestamps written without one: UTC (default), +02:00\n"
    "  -m, --model OUT        model file to write\n"
    "      --max-errors N     bad records printed before only counting them (default 1000)\n"
    "%s";

int sn_cmd_train(int argc, char **argv)
{
    static const struct option longopts[] = {{"input", required_argument, 0, 'i'},
                                             {"model", required_argument, 0, 'm'},
                                             {"help", no_argument, 0, 'h'},
                                             SN_CLI_INPUT_LONGOPTS,
                                             SN_CLI_ENGINE_LONGOPTS,
                                             {0, 0, 0, 0}};
    sn_input_opts in = {.format = SN_FORMAT_AUTO, .progress = true, .phase = "learning"};
    const char *model = NULL;
    sn_engine_config cfg;
    sn_engine_config_default(&cfg);
    int c, idx;
    optind = 1;
    while ((c = getopt_long(argc, argv, "i:f:m:h", longopts, &idx)) != -1) {
        switch (c) {
        case 'i':
            in.path = optarg;
            break;
        case 'm':
            model = optarg;
            break;
        case 'h':
            printf(usage_text, sn_cli_engine_help);
            return SN_EXIT_OK;
        default:
            if (sn_cli_shared_or_usage(c, longopts, idx, argv, usage_text, &in, &cfg, NULL))
                return SN_EXIT_USAGE;
            break;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "sentinel train: unexpected argument '%s'\n", argv[optind]);
        return SN_EXIT_USAGE;
    }
    if (!in.path || !in.path[0] || !model || !model[0]) {
        fprintf(stderr, "sentinel train: --input FILE and --model OUT are required\n");
        return SN_EXIT_USAGE;
    }
    if (sn_cli_check_distinct(in.path, model, "model") < 0)
        return SN_EXIT_USAGE;
    sn_input_counts counts;
    sn_engine *e = sn_cli_train(&in, &cfg, &counts);
    if (!e)
        return SN_EXIT_FAIL;
    sn_error err;
    if (sn_engine_save(e, model, &err) != SN_OK) {
        char msg[1024];
        sn_error_format(&err, msg, sizeof(msg));
        fprintf(stderr, "sentinel train: %s\n", msg);
        sn_engine_free(e);
        return SN_EXIT_FAIL;
    }
    const sn_engine_stats *st = sn_engine_get_stats(e);
    char hash[65];
    for (int i = 0; i < 32; i++)
        snprintf(hash + 2 * i, 3, "%02x", st->data_hash[i]);
    fprintf(stderr,
            "train: %ld events learned (%ld bad records skipped, %ld not access events ignored), "
            "%d users, model written to %s\n"
            "train: %" PRIu64 " training events left out of the forest as outliers (--train-filter "
            "%g of the %zu events it samples)\n"
            "train: training-data SHA-256 %s\n",
            counts.records, counts.skipped, counts.ignored,
            sn_profiles_user_count(sn_engine_profiles(e)), model, st->train_filtered,
            sn_engine_get_config(e)->train_filter,
            (size_t)st->learned < sn_engine_get_config(e)->sample_size
                ? (size_t)st->learned
                : sn_engine_get_config(e)->sample_size,
            hash);
    sn_engine_free(e);
    return counts.skipped ? SN_EXIT_SKIPPED : SN_EXIT_OK;
}
