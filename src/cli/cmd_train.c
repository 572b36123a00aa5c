/* sentinel train: learn baselines and detectors from a history and write a model file. */
#include "cli.h"
#include "pipeline.h"

#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
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
    "  -m, --model OUT        model file to write (encrypted and authenticated with\n"
    "                         AES-256-GCM when a store key is given)\n"
    "      --db PATH          also keep the training events, the baselines and the model's\n"
    "                         entry in the model registry in the store at PATH\n"
    "      --store-key-file F the store and model key (64 hex digits, owner-only file);\n"
    "                         default: the environment variable SENTINEL_STORE_KEY\n"
    "      --max-errors N     bad records printed before only counting them (default 1000)\n"
    "%s";

typedef struct store_pass {
    sn_store *store;
    sn_event_batch *batch;
    sn_error *err;
    sn_status st;
} store_pass;

static int store_flush(store_pass *p)
{
    sn_store_item items[SN_ANALYSE_BLOCK];
    for (size_t i = 0; i < p->batch->n; i++)
        items[i] = (sn_store_item){.ev = &p->batch->ev[i], .event_id = p->batch->id[i]};
    p->st = sn_store_put(p->store, items, p->batch->n, p->err);
    p->batch->n = 0;
    p->batch->used = 0;
    return p->st != SN_OK;
}

static int store_one(void *ctx, const sn_event *ev, const char *event_id)
{
    store_pass *p = ctx;
    return sn_event_batch_add(p->batch, ev, event_id) ? store_flush(p) : 0;
}

/* The training events (a second pass over the input, in one transaction), the baselines, and
 * the model file's entry in the registry. */
static sn_status train_store(sn_store *store, const sn_input_opts *in, const sn_engine *e,
                             const char *model, sn_error *err)
{
    store_pass p = {.store = store, .batch = sn_event_batch_new(), .err = err};
    if (!p.batch)
        return sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL, "out of memory");
    sn_input_opts pass = *in;
    pass.max_errors_shown = -1;
    pass.phase = "storing";
    sn_input_counts counts = {0};
    sn_status st = sn_store_begin(store, err);
    if (st == SN_OK && sn_cli_each_event(&pass, store_one, &p, &counts) != 0)
        st = p.st != SN_OK ? p.st
                           : sn_error_set(err, SN_ERR_IO, true, in->path, 0, NULL,
                                          "cannot read the input again");
    if (st == SN_OK && p.batch->n)
        st = store_flush(&p) ? p.st : SN_OK;
    sn_event_batch_free(p.batch);
    if (st == SN_OK)
        st = sn_store_commit(store, err);
    if (st == SN_OK)
        st = sn_store_save_engine(store, e, err);
    /* The registry names the file by its SHA-256, so a swapped file is noticed. */
    char hex[65] = "";
    if (st == SN_OK)
        sn_cli_file_sha256(model, hex);
    if (st == SN_OK && !hex[0])
        st = sn_error_set(err, SN_ERR_IO, true, model, 0, NULL, "cannot read back the model");
    if (st == SN_OK) {
        const sn_engine_stats *stats = sn_engine_get_stats(e);
        char abs[4096];
        st = sn_store_register_model(store, realpath(model, abs) ? abs : model, hex, stats->learned,
                                     stats->trained_at, err);
    }
    return st;
}

int sn_cmd_train(int argc, char **argv)
{
    static const struct option longopts[] = {{"input", required_argument, 0, 'i'},
                                             {"model", required_argument, 0, 'm'},
                                             {"help", no_argument, 0, 'h'},
                                             {"db", required_argument, 0, 'D'},
                                             {"store-key-file", required_argument, 0, 'K'},
                                             SN_CLI_INPUT_LONGOPTS,
                                             SN_CLI_ENGINE_LONGOPTS,
                                             {0, 0, 0, 0}};
    sn_input_opts in = {.format = SN_FORMAT_AUTO, .progress = true, .phase = "learning"};
    const char *model = NULL, *db = NULL, *key_file = NULL;
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
        case 'D':
            db = optarg;
            break;
        case 'K':
            key_file = optarg;
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
    if (db && sn_cli_check_rereadable(in.path, "train --db") < 0)
        return SN_EXIT_USAGE;
    unsigned char key[32];
    bool have_key = false;
    if (sn_cli_model_key(key_file, key, &have_key, "train") < 0)
        return SN_EXIT_FAIL;
    sn_store *store = NULL;
    if (db && !(store = sn_cli_store_open_writer(db, key_file, "train")))
        return SN_EXIT_FAIL;
    sn_input_counts counts;
    sn_engine *e = sn_cli_train(&in, &cfg, &counts);
    if (!e) {
        sn_store_close(store);
        return SN_EXIT_FAIL;
    }
    sn_error err;
    sn_status saved = sn_engine_save_keyed(e, model, have_key ? key : NULL, &err);
    OPENSSL_cleanse(key, sizeof(key));
    if (saved == SN_OK && store)
        saved = train_store(store, &in, e, model, &err);
    sn_store_close(store);
    if (saved != SN_OK) {
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
