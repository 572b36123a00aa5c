/* sentinel detect: one explained verdict per input event, as JSON lines. */
#include "cli.h"
#include "pipeline.h"
#include "relay.h"
#include "top_alerts.h"

#include <errno.h>
#include <getopt.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage_text[] =
    "usage: sentinel detect --input FILE [--model MODEL] [--output FILE] [--db PATH] [options]\n"
    "\n"
    "Gives every event of FILE a verdict, in input order, as one JSON object per line:\n"
    "event_id, user_id, timestamp, source_ip, resource, action, is_anomaly, anomaly_score\n"
    "(evidence in bits), risk_score (0-100), risk_level, reasons, recommendation, and the\n"
    "record's file and line. Each event is judged against the history before it.\n"
    "\n"
    "With --model, baselines and detectors come from `sentinel train` and continue from there.\n"
    "Without --model, detect first learns from FILE itself (a first pass over the file), then\n"
    "scores it in a second pass from an empty history; FILE must then be a regular file.\n"
    "\n"
    "options:\n"
    "  -i, --input FILE       events to judge ('-' for standard input, needs --model)\n"
    "  -f, --format NAME      auto (default), csv, jsonl, syslog (auth.log: sshd, su,\n"
    "                         sudo), winevt (Windows Security events, JSON lines),\n"
    "                         cloudtrail (AWS CloudTrail), okta (Okta System Log), entra\n"
    "                         (Entra ID sign-in and audit logs), ecs (Elastic Common\n"
    "                         Schema) or ocsf (OCSF Authentication)\n"
    "      --year N           year of syslog lines, whose headers have none (default: this\n"
    "                         year, or the last if the date would lie in the future)\n"
    "      --timezone TZ      zone of timestamps written without one: UTC (default), +02:00\n"
    "  -m, --model FILE       model written by `sentinel train`\n"
    "  -o, --output FILE      where to write verdicts (default standard output)\n"
    "      --anomalies-only   write only the verdicts that are anomalies\n"
    "      --top N            at the end, print the N alerts with the most evidence and their\n"
    "                         reasons on standard error (default 0)\n"
    "      --max-errors N     bad records printed before only counting them (default 1000)\n"
    "      --db PATH          also keep every event and its verdict in the store at PATH\n"
    "                         (created when missing), committed batch by batch, and the\n"
    "                         baselines at the end; personal fields are encrypted\n"
    "      --store-key-file F the store and model key (64 hex digits, owner-only file);\n"
    "                         default: the environment variable SENTINEL_STORE_KEY. With a\n"
    "                         key, an encrypted --model is read with it\n"
    "  -q, --quiet            no summary on standard error\n"
    "%s"
    "\n"
    "exit status: 0 success; 3 success but some records were bad and skipped (each reported\n"
    "as FILE:LINE: FIELD: why on standard error); 1 failure; 2 bad command line.\n";

/* Events per store transaction: a multiple of the batch. */
_Static_assert(SN_STORE_BULK_EVENTS % SN_ANALYSE_BLOCK == 0, "whole batches per transaction");

typedef struct detect_ctx {
    sn_engine *engine;
    FILE *out;
    sn_buf buf;
    bool anomalies_only;
    long anomalies;
    sn_relay *relay;
    sn_top_alerts *top;
    int write_failed;
    int write_errno;      /* why the last write failed */
    const char *out_name; /* the output's name in messages */
    sn_store *store;
    long stored;
} detect_ctx;

static int flush_out(detect_ctx *d)
{
    if (d->buf.len && fwrite(d->buf.data, 1, d->buf.len, d->out) != d->buf.len) {
        d->write_failed = 1;
        d->write_errno = errno;
    }
    if (d->buf.failed) {
        d->write_failed = 1;
        d->write_errno = ENOMEM;
    }
    sn_buf_reset(&d->buf);
    return d->write_failed;
}

static void write_error(const detect_ctx *d)
{
    fprintf(stderr, "sentinel detect: cannot write verdicts to %s: %s\n", d->out_name,
            strerror(d->write_errno ? d->write_errno : EIO));
}

/* The judging thread's stage. */
static int judge_batch(void *ctx, sn_event_batch *b)
{
    detect_ctx *d = ctx;
    return sn_event_batch_analyse(b, d->engine);
}

/* Keeps the batch's events and verdicts in the store (writing thread): before the verdicts are
 * written, so that what was reported is also kept. */
static int store_batch(detect_ctx *d, sn_event_batch *b)
{
    sn_store_item items[SN_ANALYSE_BLOCK];
    for (size_t i = 0; i < b->n; i++)
        items[i] =
            (sn_store_item){.ev = &b->ev[i], .event_id = b->id[i], .verdict = &b->verdict[i]};
    sn_error err;
    bool ok = sn_store_put(d->store, items, b->n, &err) == SN_OK;
    if (ok) {
        d->stored += (long)b->n;
        /* A bulk load: one journal sync per few thousand events, not per batch. */
        if (d->stored % SN_STORE_BULK_EVENTS == 0)
            ok =
                sn_store_commit(d->store, &err) == SN_OK && sn_store_begin(d->store, &err) == SN_OK;
    }
    if (ok)
        return 0;
    char msg[1024];
    sn_error_format(&err, msg, sizeof(msg));
    fprintf(stderr, "sentinel detect: %s\n", msg);
    return SN_EXIT_FAIL;
}

/* The writing thread's stage: the store, the verdicts as JSON lines, the strongest alerts. */
static int write_batch(void *ctx, sn_event_batch *b)
{
    detect_ctx *d = ctx;
    if (d->store && b->n && store_batch(d, b) != 0)
        return SN_EXIT_FAIL;
    for (size_t i = 0; i < b->n; i++) {
        const sn_verdict *v = &b->verdict[i];
        d->anomalies += v->is_anomaly;
        sn_top_alerts_offer(d->top, &b->ev[i], v, b->id[i]);
        if (d->anomalies_only && !v->is_anomaly)
            continue;
        sn_verdict_json(&d->buf, &b->ev[i], v, b->id[i]);
        sn_buf_putc(&d->buf, '\n');
    }
    if (d->buf.len >= (1u << 20) && flush_out(d)) {
        write_error(d);
        return SN_EXIT_FAIL;
    }
    return 0;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int sn_cmd_detect(int argc, char **argv)
{
    static const struct option longopts[] = {{"input", required_argument, 0, 'i'},
                                             {"model", required_argument, 0, 'm'},
                                             {"output", required_argument, 0, 'o'},
                                             {"quiet", no_argument, 0, 'q'},
                                             {"help", no_argument, 0, 'h'},
                                             {"anomalies-only", no_argument, 0, 'A'},
                                             {"top", required_argument, 0, 'T'},
                                             {"db", required_argument, 0, 'D'},
                                             {"store-key-file", required_argument, 0, 'K'},
                                             SN_CLI_INPUT_LONGOPTS,
                                             SN_CLI_ENGINE_LONGOPTS,
                                             {0, 0, 0, 0}};
    sn_input_opts in = {.format = SN_FORMAT_AUTO, .progress = true, .phase = "detecting"};
    const char *model = NULL, *output = NULL, *db = NULL, *key_file = NULL;
    bool quiet = false, anomalies_only = false, cfg_given = false;
    int top = 0;
    sn_engine_config cfg;
    sn_engine_config_default(&cfg);
    int c, idx;
    optind = 1;
    while ((c = getopt_long(argc, argv, "i:f:m:o:qh", longopts, &idx)) != -1) {
        switch (c) {
        case 'i':
            in.path = optarg;
            break;
        case 'm':
            model = optarg;
            break;
        case 'o':
            output = optarg;
            break;
        case 'q':
            quiet = true;
            break;
        case 'A':
            anomalies_only = true;
            break;
        case 'D':
            db = optarg;
            break;
        case 'K':
            key_file = optarg;
            break;
        case 'T': {
            long v;
            if (sn_cli_parse_long("top", optarg, 0, 10000, &v) < 0)
                return SN_EXIT_USAGE;
            top = (int)v;
            break;
        }
        case 'h':
            printf(usage_text, sn_cli_engine_help);
            return SN_EXIT_OK;
        default: {
            bool engine_option;
            if (sn_cli_shared_or_usage(c, longopts, idx, argv, usage_text, &in, &cfg,
                                       &engine_option))
                return SN_EXIT_USAGE;
            cfg_given = cfg_given || engine_option;
            break;
        }
        }
    }
    if (optind < argc) {
        fprintf(stderr,
                "sentinel detect: unexpected argument '%s' (the input is given with "
                "--input FILE)\n",
                argv[optind]);
        return SN_EXIT_USAGE;
    }
    if (!in.path || !in.path[0]) {
        fprintf(stderr, "sentinel detect: --input FILE is required\n");
        return SN_EXIT_USAGE;
    }
    if (sn_cli_check_distinct(in.path, output, "output") < 0)
        return SN_EXIT_USAGE;
    if (!model && sn_cli_check_rereadable(in.path, "detect") < 0)
        return SN_EXIT_USAGE;
    if (!model && !strcmp(in.path, "-")) {
        fprintf(stderr, "sentinel detect: standard input needs --model (without a model the "
                        "input is read twice)\n");
        return SN_EXIT_USAGE;
    }
    if (model && cfg_given)
        fprintf(stderr, "sentinel detect: note: detection options come from the model; the "
                        "ones given are ignored\n");
    double t0 = now_seconds();
    detect_ctx d = {.anomalies_only = anomalies_only};
    sn_buf_init(&d.buf);
    sn_input_counts counts = {0};
    unsigned char model_key[32];
    bool have_key = false;
    if (sn_cli_model_key(key_file, model_key, &have_key, argv[0]) < 0)
        return SN_EXIT_FAIL;
    if (db && !(d.store = sn_cli_store_open_writer(db, key_file, argv[0])))
        return SN_EXIT_FAIL;
    d.engine = sn_cli_engine_for_keyed(&in, model, have_key ? model_key : NULL, &cfg, argv[0]);
    OPENSSL_cleanse(model_key, sizeof(model_key));
    if (!d.engine) {
        sn_store_close(d.store);
        return SN_EXIT_FAIL;
    }
    d.out = stdout;
    d.out_name = output ? output : "standard output";
    if (output && !(d.out = fopen(output, "w"))) {
        fprintf(stderr, "sentinel detect: %s: cannot write: %s\n", output, strerror(errno));
        sn_engine_free(d.engine);
        sn_store_close(d.store);
        return SN_EXIT_FAIL;
    }
    /* Bad records were already reported by the learning pass. */
    sn_input_opts pass = in;
    if (!model)
        pass.max_errors_shown = -1;
    if (d.store) {
        sn_error err;
        int64_t last = 0;
        /* A store's first events: the model's history, which none of them holds, is kept as the
         * base an erasure rebuilds from. */
        if (sn_store_last_seq(d.store, &last, &err) != SN_OK ||
            (last == 0 && sn_store_save_base(d.store, d.engine, false, &err) != SN_OK) ||
            sn_store_begin(d.store, &err) != SN_OK) {
            char msg[1024];
            sn_error_format(&err, msg, sizeof(msg));
            fprintf(stderr, "sentinel detect: %s\n", msg);
            sn_engine_free(d.engine);
            sn_store_close(d.store);
            return SN_EXIT_FAIL;
        }
    }
    d.top = top ? sn_top_alerts_new(top) : NULL;
    d.relay = sn_relay_start(judge_batch, write_batch, &d);
    int rc = d.relay ? sn_cli_each_event(&pass, sn_relay_offer, d.relay, &counts) : SN_EXIT_FAIL;
    if (d.relay) {
        int stages = sn_relay_finish(d.relay);
        rc = rc ? rc : stages;
    }
    if (!rc && d.store) {
        sn_error err;
        if (sn_store_commit(d.store, &err) != SN_OK ||
            sn_store_save_engine(d.store, d.engine, &err) != SN_OK) {
            char msg[1024];
            sn_error_format(&err, msg, sizeof(msg));
            fprintf(stderr, "sentinel detect: cannot keep the baselines: %s\n", msg);
            rc = SN_EXIT_FAIL;
        }
    }
    if (!rc && !flush_out(&d) && fflush(d.out) != 0) {
        d.write_failed = 1;
        d.write_errno = errno;
    }
    if (!rc && d.write_failed) {
        write_error(&d);
        rc = SN_EXIT_FAIL;
    }
    if (output && fclose(d.out) != 0 && !rc) {
        d.write_errno = errno;
        write_error(&d);
        rc = SN_EXIT_FAIL;
    }
    double secs = now_seconds() - t0;
    if (!quiet && !rc) {
        fprintf(stderr,
                "detect: %ld events, %ld anomalies (%.2f%%), %ld bad records skipped, %ld records "
                "that are not access events ignored, %.2f s (%.0f events/s%s)\n",
                counts.records, d.anomalies,
                counts.records ? 100.0 * d.anomalies / counts.records : 0.0, counts.skipped,
                counts.ignored, secs, secs > 0 ? counts.records / secs : 0.0,
                model ? "" : ", learning pass included");
        if (counts.out_of_order)
            fprintf(stderr,
                    "detect: warning: %ld events are earlier than an event before them; they were "
                    "judged in input order\n",
                    counts.out_of_order);
    }
    if (!quiet && !rc && d.store)
        fprintf(stderr, "detect: %ld events and their verdicts stored in %s\n", d.stored, db);
    if (!rc)
        sn_top_alerts_print(d.top, stderr);
    sn_store_close(d.store);
    sn_top_alerts_free(d.top);
    sn_buf_free(&d.buf);
    sn_engine_free(d.engine);
    if (rc)
        return rc;
    return counts.skipped ? SN_EXIT_SKIPPED : SN_EXIT_OK;
}
