/* sentinel eval: detection quality on labelled input, with the top alerts and their reasons. */
#include "cli.h"
#include "pipeline.h"
#include "top_alerts.h"

#include "core/strmap.h"
#include "risk/metrics.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "usage: sentinel eval --input LABELLED [--model MODEL] [--json] [--top N] [options]\n"
    "\n"
    "Runs detection exactly as `sentinel detect` does (learning from the input itself when no\n"
    "model is given; the labels are never used to detect) and compares the verdicts with the\n"
    "input's is_anomaly / anomaly_type labels: precision, recall, F1, ROC AUC and PR AUC\n"
    "(average precision) of the anomaly score, the confusion matrix at the alert threshold,\n"
    "and recall per anomaly type. Events without a label are left out of the figures.\n"
    "\n"
    "options:\n"
    "  -i, --input FILE       labelled events (reference CSV or JSON lines)\n"
    "  -f, --format NAME      auto (default), csv, jsonl, syslog (auth.log: sshd, su,\n"
    "                         sudo), winevt (Windows Security events, JSON lines),\n"
    "                         cloudtrail (AWS CloudTrail), okta (Okta System Log), entra\n"
    "                         (Entra ID sign-in and audit logs), ecs (Elastic Common\n"
    "                         Schema) or ocsf (OCSF Authentication)\n"
    "      --year N           year of syslog lines, whose headers have none (default: this\n"
    "                         year, or the last if the date would lie in the future)\n"
    "      --timezone TZ      zone of timestamps written without one: UTC (default), +02:00\n"
    "  -m, --model FILE       model written by `sentinel train`\n"
    "      --json             print the figures as one JSON object\n"
    "      --top N            first print the N highest-risk alerts with their reasons (default "
    "0)\n"
    "      --max-errors N     bad records printed before only counting them (default 1000)\n"
    "%s"
    "\n"
    "exit status as for detect.\n";

#define MAX_TYPES 64

typedef struct eval_ctx {
    sn_engine *engine;
    double *scores;
    int8_t *labels;
    int16_t *types;
    int8_t *flagged;
    size_t n, cap;
    sn_strmap *type_names;
    sn_top_alerts *top;
    sn_error err;
} eval_ctx;

static int eval_one(void *ctx, const sn_event *ev, const char *event_id)
{
    eval_ctx *e = ctx;
    sn_verdict v;
    if (sn_engine_analyse(e->engine, ev, &v, &e->err) != SN_OK) {
        char msg[1024];
        sn_error_format(&e->err, msg, sizeof(msg));
        fprintf(stderr, "sentinel: %s\n", msg);
        return SN_EXIT_FAIL;
    }
    sn_top_alerts_offer(e->top, ev, &v, event_id);
    if (ev->is_anomaly < 0)
        return 0;
    if (e->n == e->cap) {
        size_t nc = e->cap ? e->cap * 2 : 4096;
        double *s = realloc(e->scores, nc * sizeof(double));
        if (s)
            e->scores = s;
        int8_t *l = realloc(e->labels, nc);
        if (l)
            e->labels = l;
        int8_t *f = realloc(e->flagged, nc);
        if (f)
            e->flagged = f;
        int16_t *t = realloc(e->types, nc * sizeof(int16_t));
        if (t)
            e->types = t;
        if (!s || !l || !f || !t) {
            fprintf(stderr, "sentinel eval: out of memory\n");
            return SN_EXIT_FAIL;
        }
        e->cap = nc;
    }
    int16_t type = -1;
    if (ev->is_anomaly == 1) {
        const char *name = ev->anomaly_type.n ? ev->anomaly_type.p : "(untyped)";
        size_t len = ev->anomaly_type.n ? ev->anomaly_type.n : strlen(name);
        int32_t id = sn_strmap_find(e->type_names, name, len);
        if (id < 0 && sn_strmap_count(e->type_names) < MAX_TYPES)
            id = sn_strmap_intern(e->type_names, name, len);
        type = (int16_t)id;
    }
    e->scores[e->n] = v.anomaly_score;
    e->labels[e->n] = ev->is_anomaly;
    e->flagged[e->n] = v.is_anomaly;
    e->types[e->n] = type;
    e->n++;
    return 0;
}

static size_t cm_positives(const int8_t *labels, size_t n)
{
    size_t p = 0;
    for (size_t i = 0; i < n; i++)
        p += labels[i] == 1;
    return p;
}

static void print_num(FILE *out, const char *name, double v, bool comma)
{
    if (isnan(v))
        fprintf(out, "\"%s\":null%s", name, comma ? "," : "");
    else
        fprintf(out, "\"%s\":%.6f%s", name, v, comma ? "," : "");
}

int sn_cmd_eval(int argc, char **argv)
{
    static const struct option longopts[] = {{"input", required_argument, 0, 'i'},
                                             {"model", required_argument, 0, 'm'},
                                             {"json", no_argument, 0, 'J'},
                                             {"top", required_argument, 0, 'T'},
                                             {"help", no_argument, 0, 'h'},
                                             SN_CLI_INPUT_LONGOPTS,
                                             SN_CLI_ENGINE_LONGOPTS,
                                             {0, 0, 0, 0}};
    sn_input_opts in = {.format = SN_FORMAT_AUTO, .progress = true, .phase = "evaluating"};
    const char *model = NULL;
    bool json = false;
    int top = 0;
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
        case 'J':
            json = true;
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
        default:
            if (sn_cli_shared_or_usage(c, longopts, idx, argv, usage_text, &in, &cfg, NULL))
                return SN_EXIT_USAGE;
            break;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "sentinel eval: unexpected argument '%s'\n", argv[optind]);
        return SN_EXIT_USAGE;
    }
    if (!in.path || !in.path[0]) {
        fprintf(stderr, "sentinel eval: --input FILE is required\n");
        return SN_EXIT_USAGE;
    }
    if (!model && sn_cli_check_rereadable(in.path, "eval") < 0)
        return SN_EXIT_USAGE;
    if (!model && !strcmp(in.path, "-")) {
        fprintf(stderr, "sentinel eval: standard input needs --model\n");
        return SN_EXIT_USAGE;
    }
    eval_ctx e = {0};
    e.type_names = sn_strmap_new();
    e.top = top ? sn_top_alerts_new(top) : NULL;
    if (!e.type_names || (top && !e.top)) {
        fprintf(stderr, "sentinel eval: out of memory\n");
        return SN_EXIT_FAIL;
    }
    sn_input_counts counts = {0};
    e.engine = sn_cli_engine_for(&in, model, &cfg, argv[0]);
    if (!e.engine)
        return SN_EXIT_FAIL;
    sn_input_opts pass = in;
    if (!model)
        pass.max_errors_shown = -1;
    int rc = sn_cli_each_event(&pass, eval_one, &e, &counts);
    if (rc)
        goto done;

    if (e.n == 0 || cm_positives(e.labels, e.n) == 0) {
        fprintf(stderr,
                "sentinel eval: %s: %s; evaluation needs is_anomaly labels with at least one "
                "anomalous event\n",
                in.path,
                e.n == 0 ? "no event carries an is_anomaly label"
                         : "no event is labelled anomalous");
        rc = SN_EXIT_FAIL;
        goto done;
    }
    double threshold = sn_engine_get_stats(e.engine)->threshold_bits;
    double risk_threshold = sn_engine_get_config(e.engine)->alert_threshold;
    sn_confusion cm;
    sn_confusion_at(e.scores, e.labels, e.n, threshold, &cm);
    double roc = sn_roc_auc(e.scores, e.labels, e.n);
    double ap = sn_average_precision(e.scores, e.labels, e.n);
    int ntypes = sn_strmap_count(e.type_names);
    size_t type_total[MAX_TYPES] = {0}, type_hit[MAX_TYPES] = {0};
    for (size_t i = 0; i < e.n; i++) {
        if (e.types[i] < 0)
            continue;
        type_total[e.types[i]]++;
        type_hit[e.types[i]] += e.flagged[i];
    }
    sn_top_alerts_print(e.top, json ? stderr : stdout);
    if (json) {
        printf("{\"events\":%ld,\"labelled\":%zu,\"skipped\":%ld,", counts.records, e.n,
               counts.skipped);
        printf("\"threshold_risk\":%.2f,\"threshold_bits\":%.4f,", risk_threshold, threshold);
        print_num(stdout, "precision", cm.precision, true);
        print_num(stdout, "recall", cm.recall, true);
        print_num(stdout, "f1", cm.f1, true);
        print_num(stdout, "roc_auc", roc, true);
        print_num(stdout, "pr_auc", ap, true);
        printf("\"confusion\":{\"tp\":%zu,\"fp\":%zu,\"tn\":%zu,\"fn\":%zu},", cm.tp, cm.fp, cm.tn,
               cm.fn);
        printf("\"recall_by_type\":{");
        for (int t = 0; t < ntypes; t++)
            printf("%s\"%s\":{\"events\":%zu,\"detected\":%zu,\"recall\":%.6f}", t ? "," : "",
                   sn_strmap_str(e.type_names, t), type_total[t], type_hit[t],
                   type_total[t] ? (double)type_hit[t] / type_total[t] : 0.0);
        printf("}}\n");
    } else {
        printf("Evaluation on %s: %zu labelled events (%zu anomalous), %ld bad records skipped\n",
               in.path, e.n, cm.tp + cm.fn, counts.skipped);
        printf("  alert threshold: risk %.1f (%.2f bits of evidence)\n", risk_threshold, threshold);
        printf("  precision %.4f  recall %.4f  F1 %.4f\n", cm.precision, cm.recall, cm.f1);
        printf("  ROC AUC %.4f  PR AUC %.4f\n", roc, ap);
        printf("  confusion matrix: TP %zu  FP %zu  TN %zu  FN %zu\n", cm.tp, cm.fp, cm.tn, cm.fn);
        if (ntypes) {
            printf("  recall by anomaly type:\n");
            for (int t = 0; t < ntypes; t++)
                printf("    %-22s %4zu / %-4zu %.3f\n", sn_strmap_str(e.type_names, t), type_hit[t],
                       type_total[t], type_total[t] ? (double)type_hit[t] / type_total[t] : 0.0);
        }
    }
done:
    sn_top_alerts_free(e.top);
    free(e.scores);
    free(e.labels);
    free(e.flagged);
    free(e.types);
    sn_strmap_free(e.type_names);
    sn_engine_free(e.engine);
    if (rc)
        return rc;
    return counts.skipped ? SN_EXIT_SKIPPED : SN_EXIT_OK;
}
