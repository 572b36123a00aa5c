/* sentinel users / sentinel user-risk: who is riskiest, and why, from their judged events. */
#include "cli.h"
#include "pipeline.h"

#include "core/buf.h"
#include "core/strmap.h"
#include "risk/metrics.h"
#include "risk/user_risk.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char users_usage[] =
    "usage: sentinel users --input FILE [--model MODEL] [--top N] [--json] [options]\n"
    "       sentinel user-risk --input FILE --user ID [--model MODEL] [--json] [options]\n"
    "\n"
    "Judges every event of FILE as `sentinel detect` does, then scores each user's overall risk\n"
    "(0-100) from five factors over the 30 days up to the user's latest event: anomalies\n"
    "(weight 0.30), deviation from the peer group (0.20), sensitive access (0.20), failed\n"
    "attempts (0.15) and policy violations (0.15: outside business hours, suspicious\n"
    "countries). Levels: CRITICAL >= 90, HIGH >= 75, MEDIUM >= 50, LOW >= 25.\n"
    "`users` ranks the users (default top 20); `user-risk` explains one, with the facts\n"
    "behind each factor and recommendations. --json prints the reference system's fields:\n"
    "user_id, risk_score, risk_level, factor_scores, recommendations.\n"
    "\n"
    "options:\n"
    "  -i, --input FILE       events (formats as for detect)\n"
    "  -m, --model FILE       model written by `sentinel train` (else learned from FILE)\n"
    "  -u, --user ID          the user to explain (user-risk)\n"
    "      --top N            users to list (users; default 20)\n"
    "      --window-days D    the window of the factors, up to each user's latest event\n"
    "                         (default 30)\n"
    "      --json             JSON output\n"
    "\n"
    "When FILE labels events (is_anomaly), `users` also reports the ROC AUC of the risk score\n"
    "against \"the user has a labelled anomalous event\" (any, and within the user's window);\n"
    "labels are never used to score.\n"
    "%s";

/* Per user, from the labels (evaluation only): whether any event is labelled anomalous, and the
 * latest such event. */
typedef struct user_label {
    bool labelled, anomalous;
    int64_t last_anomaly_us;
} user_label;

typedef struct users_ctx {
    sn_engine *engine;
    sn_event_batch *batch;
    sn_user_history *history;
    sn_strmap *label_ids;
    user_label *labels;
    int32_t labels_cap;
    bool out_of_memory;
} users_ctx;

static void note_label(users_ctx *c, const sn_event *ev)
{
    if (ev->is_anomaly < 0)
        return;
    int32_t id = sn_strmap_intern(c->label_ids, ev->user_id.p, ev->user_id.n);
    if (id < 0) {
        c->out_of_memory = true;
        return;
    }
    if (id >= c->labels_cap) {
        int32_t nc = c->labels_cap ? c->labels_cap * 2 : 1024;
        while (nc <= id)
            nc *= 2;
        user_label *l = realloc(c->labels, (size_t)nc * sizeof(*l));
        if (!l) {
            c->out_of_memory = true;
            return;
        }
        memset(l + c->labels_cap, 0, (size_t)(nc - c->labels_cap) * sizeof(*l));
        c->labels = l;
        c->labels_cap = nc;
    }
    user_label *u = &c->labels[id];
    if (!u->labelled)
        u->last_anomaly_us = INT64_MIN;
    u->labelled = true;
    if (ev->is_anomaly == 1) {
        u->anomalous = true;
        if (ev->ts_us > u->last_anomaly_us)
            u->last_anomaly_us = ev->ts_us;
    }
}

/* ROC AUC of the users' risk scores against their labels: any anomalous event, and one within
 * the user's window. Returns false when the input has no labels of both kinds. */
typedef struct label_auc {
    int32_t users, anomalous, window_anomalous;
    double auc, window_auc;
} label_auc;

static bool users_label_auc(const users_ctx *c, label_auc *out)
{
    memset(out, 0, sizeof(*out));
    int32_t n = sn_user_history_users(c->history);
    double *score = malloc((size_t)(n > 0 ? n : 1) * sizeof(double));
    int8_t *any = malloc((size_t)(n > 0 ? n : 1));
    int8_t *win = malloc((size_t)(n > 0 ? n : 1));
    bool ok = score && any && win;
    int32_t m = 0;
    for (int32_t i = 0; ok && i < n; i++) {
        const char *id = sn_user_history_user_id(c->history, i);
        int32_t l = sn_strmap_find(c->label_ids, id, strlen(id));
        sn_user_risk r;
        if (l < 0 || !c->labels[l].labelled ||
            !sn_user_risk_compute(c->history, id, strlen(id), &r))
            continue;
        score[m] = r.risk_score;
        any[m] = c->labels[l].anomalous;
        win[m] = c->labels[l].anomalous && c->labels[l].last_anomaly_us >= r.window_start_us;
        out->anomalous += any[m];
        out->window_anomalous += win[m];
        m++;
    }
    out->users = m;
    if (ok) {
        out->auc = sn_roc_auc(score, any, (size_t)m);
        out->window_auc = sn_roc_auc(score, win, (size_t)m);
    }
    free(score);
    free(any);
    free(win);
    return ok && m > 0 && out->anomalous > 0 && out->anomalous < m;
}

static int users_batch(users_ctx *c)
{
    sn_event_batch *b = c->batch;
    int rc = sn_event_batch_analyse(b, c->engine);
    for (size_t i = 0; !rc && i < b->n; i++) {
        note_label(c, &b->ev[i]);
        if (c->out_of_memory ||
            sn_user_history_add(c->history, &b->ev[i], &b->verdict[i]) != SN_OK) {
            fprintf(stderr, "sentinel: out of memory\n");
            rc = SN_EXIT_FAIL;
        }
    }
    b->n = 0;
    b->used = 0;
    return rc;
}

static int users_one(void *ctx, const sn_event *ev, const char *event_id)
{
    users_ctx *c = ctx;
    return sn_event_batch_add(c->batch, ev, event_id) ? users_batch(c) : 0;
}

static void risk_json(sn_buf *b, const char *user, const sn_user_risk *r)
{
    sn_buf_puts(b, "{\"user_id\":");
    sn_buf_json_str(b, user, strlen(user));
    sn_buf_puts(b, ",\"risk_score\":");
    sn_buf_fixed(b, r->risk_score, 2);
    sn_buf_printf(b, ",\"risk_level\":\"%s\",\"factor_scores\":{", sn_level_name(r->level));
    for (int f = 0; f < SN_UF_COUNT; f++) {
        sn_buf_printf(b, "%s\"%s\":", f ? "," : "", sn_user_factor_name((sn_user_factor)f));
        sn_buf_fixed(b, r->factor[f], 2);
    }
    sn_buf_puts(b, "},\"recommendations\":[");
    for (int i = 0; i < r->n_recommendations; i++) {
        if (i)
            sn_buf_putc(b, ',');
        sn_buf_json_str(b, r->recommendations[i], strlen(r->recommendations[i]));
    }
    sn_buf_printf(b,
                  "],\"events\":%u,\"anomalies\":%u,\"failures\":%u,\"sensitive\":%u,"
                  "\"violations\":%u}",
                  r->events, r->anomalies, r->failures, r->sensitive, r->violations);
}

typedef struct ranked {
    int32_t id;
    double risk;
} ranked;

static int cmp_ranked(const void *a, const void *b)
{
    double x = ((const ranked *)a)->risk, y = ((const ranked *)b)->risk;
    if (x != y)
        return (x < y) - (x > y);
    return ((const ranked *)a)->id - ((const ranked *)b)->id;
}

static int run(int argc, char **argv, bool one)
{
    static const struct option longopts[] = {{"input", required_argument, 0, 'i'},
                                             {"model", required_argument, 0, 'm'},
                                             {"user", required_argument, 0, 'u'},
                                             {"top", required_argument, 0, 'T'},
                                             {"window-days", required_argument, 0, 'W'},
                                             {"json", no_argument, 0, 'J'},
                                             {"help", no_argument, 0, 'h'},
                                             SN_CLI_INPUT_LONGOPTS,
                                             SN_CLI_ENGINE_LONGOPTS,
                                             {0, 0, 0, 0}};
    sn_input_opts in = {.format = SN_FORMAT_AUTO, .progress = true, .phase = "scoring users"};
    const char *model = NULL, *user = NULL;
    long top = 20;
    bool json = false;
    sn_user_risk_params up;
    sn_user_risk_params_default(&up);
    sn_engine_config cfg;
    sn_engine_config_default(&cfg);
    int c, idx;
    optind = 1;
    while ((c = getopt_long(argc, argv, "i:f:m:u:h", longopts, &idx)) != -1) {
        switch (c) {
        case 'i':
            in.path = optarg;
            break;
        case 'm':
            model = optarg;
            break;
        case 'u':
            user = optarg;
            break;
        case 'T':
            if (sn_cli_parse_long("top", optarg, 1, 1000000, &top) < 0)
                return SN_EXIT_USAGE;
            break;
        case 'J':
            json = true;
            break;
        case 'W': {
            char *end;
            errno = 0;
            double d = strtod(optarg, &end);
            if (errno || end == optarg || *end || !(d >= 0.001 && d <= 36500)) {
                fprintf(stderr,
                        "sentinel %s: --window-days: '%s' is not a number in [0.001, 36500]\n",
                        argv[0], optarg);
                return SN_EXIT_USAGE;
            }
            up.window_days = d;
            break;
        }
        case 'h':
            printf(users_usage, sn_cli_engine_help);
            return SN_EXIT_OK;
        default:
            if (sn_cli_shared_or_usage(c, longopts, idx, argv, users_usage, &in, &cfg, NULL))
                return SN_EXIT_USAGE;
            break;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "sentinel %s: unexpected argument '%s'\n", argv[0], argv[optind]);
        return SN_EXIT_USAGE;
    }
    if (!in.path || !in.path[0] || (one && (!user || !user[0]))) {
        fprintf(stderr, "sentinel %s: %s required\n", argv[0],
                one ? "--input FILE and --user ID are" : "--input FILE is");
        return SN_EXIT_USAGE;
    }
    if (!model && sn_cli_check_rereadable(in.path, argv[0]) < 0)
        return SN_EXIT_USAGE;
    users_ctx ctx = {0};
    sn_input_counts counts = {0};
    ctx.engine = sn_cli_engine_for(&in, model, &cfg, argv[0]);
    if (!ctx.engine)
        return SN_EXIT_FAIL;
    if (!model)
        in.max_errors_shown = -1; /* already reported by the learning pass */
    ctx.batch = sn_event_batch_new();
    ctx.history = sn_user_history_new(&up);
    ctx.label_ids = sn_strmap_new();
    int rc = SN_EXIT_FAIL;
    if (!ctx.batch || !ctx.history || !ctx.label_ids) {
        fprintf(stderr, "sentinel %s: out of memory\n", argv[0]);
        goto done;
    }
    rc = sn_cli_each_event(&in, users_one, &ctx, &counts);
    if (!rc)
        rc = users_batch(&ctx);
    if (rc)
        goto done;
    sn_buf out;
    sn_buf_init(&out);
    if (one) {
        sn_user_risk r;
        if (!sn_user_risk_compute(ctx.history, user, strlen(user), &r)) {
            fprintf(stderr, "sentinel user-risk: no event of user '%s' in %s\n", user, in.path);
            rc = SN_EXIT_FAIL;
            sn_buf_free(&out);
            goto done;
        }
        if (json) {
            risk_json(&out, user, &r);
            sn_buf_putc(&out, '\n');
        } else {
            sn_buf_printf(&out, "user %s%s%s: risk %.1f (%s)\n", user, r.department[0] ? ", " : "",
                          r.department, r.risk_score, sn_level_name(r.level));
            sn_buf_printf(&out,
                          "  %u events in the window, %u anomalous, %u failed, %u on "
                          "sensitive resources, %u policy violations\n",
                          r.events, r.anomalies, r.failures, r.sensitive, r.violations);
            for (int f = 0; f < SN_UF_COUNT; f++)
                sn_buf_printf(&out, "  %-18s %5.1f  (weight %.2f)\n",
                              sn_user_factor_name((sn_user_factor)f), r.factor[f],
                              sn_user_factor_weight((sn_user_factor)f));
            for (int i = 0; i < r.n_recommendations; i++)
                sn_buf_printf(&out, "  recommendation: %s\n", r.recommendations[i]);
        }
    } else {
        int32_t n = sn_user_history_users(ctx.history);
        ranked *list = malloc((size_t)(n > 0 ? n : 1) * sizeof(*list));
        if (!list) {
            fprintf(stderr, "sentinel users: out of memory\n");
            rc = SN_EXIT_FAIL;
            sn_buf_free(&out);
            goto done;
        }
        for (int32_t i = 0; i < n; i++) {
            sn_user_risk r;
            const char *id = sn_user_history_user_id(ctx.history, i);
            list[i].id = i;
            list[i].risk =
                sn_user_risk_compute(ctx.history, id, strlen(id), &r) ? r.risk_score : 0.0;
        }
        qsort(list, (size_t)n, sizeof(*list), cmp_ranked);
        label_auc la;
        bool labelled = users_label_auc(&ctx, &la);
        if (json) {
            sn_buf_printf(&out, "{\"total_users\":%d,\"window_days\":", n);
            sn_buf_fixed(&out, up.window_days, 3);
            if (labelled) {
                sn_buf_printf(&out, ",\"labels\":{\"users\":%d,\"anomalous_users\":%d,\"roc_auc\":",
                              la.users, la.anomalous);
                sn_buf_fixed(&out, la.auc, 4);
                sn_buf_printf(&out, ",\"window_anomalous_users\":%d,\"window_roc_auc\":",
                              la.window_anomalous);
                sn_buf_fixed(&out, la.window_auc, 4);
                sn_buf_putc(&out, '}');
            }
            sn_buf_puts(&out, ",\"users\":[");
        } else
            sn_buf_printf(&out, "%-6s %-24s %6s %-8s %s\n", "rank", "user", "risk", "level",
                          "factors (anomaly, peer, sensitive, failed, policy)");
        for (int32_t k = 0; k < n && k < top; k++) {
            sn_user_risk r;
            const char *id = sn_user_history_user_id(ctx.history, list[k].id);
            sn_user_risk_compute(ctx.history, id, strlen(id), &r);
            if (json) {
                if (k)
                    sn_buf_putc(&out, ',');
                risk_json(&out, id, &r);
            } else {
                sn_buf_printf(&out, "%-6d %-24.24s %6.1f %-8s %5.1f %5.1f %5.1f %5.1f %5.1f\n",
                              k + 1, id, r.risk_score, sn_level_name(r.level), r.factor[0],
                              r.factor[1], r.factor[2], r.factor[3], r.factor[4]);
            }
        }
        if (json)
            sn_buf_puts(&out, "]}\n");
        else if (labelled)
            sn_buf_printf(&out,
                          "labels: %d of %d users have an event labelled anomalous; ROC AUC of the "
                          "risk score %.4f (%d with one within their %g-day window: %.4f)\n",
                          la.anomalous, la.users, la.auc, la.window_anomalous, up.window_days,
                          la.window_auc);
        free(list);
    }
    fwrite(out.data, 1, out.len, stdout);
    sn_buf_free(&out);
    rc = counts.skipped ? SN_EXIT_SKIPPED : SN_EXIT_OK;
done:
    sn_user_history_free(ctx.history);
    sn_strmap_free(ctx.label_ids);
    free(ctx.labels);
    sn_event_batch_free(ctx.batch);
    sn_engine_free(ctx.engine);
    return rc;
}

int sn_cmd_users(int argc, char **argv)
{
    return run(argc, argv, false);
}

int sn_cmd_user_risk(int argc, char **argv)
{
    return run(argc, argv, true);
}
