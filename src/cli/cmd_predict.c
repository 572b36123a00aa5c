/* sentinel predict: learn approve/deny prediction for access requests (train), measure it by
 * cross-validation (cv), and judge one request (ask). */
#include "cli.h"
#include "pipeline.h"

#include "iam/predict.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char usage_text[] =
    "usage: sentinel predict train --input FILE --output OUT [options]\n"
    "       sentinel predict cv --input FILE [--folds K] [--seed S] [--json] [options]\n"
    "       sentinel predict ask --model FILE --user U --department D --title T\n"
    "                            --resource R --action A [--field NAME=VALUE ...]\n"
    "\n"
    "Predicts whether an access request is approved, from a tree ensemble over the request's\n"
    "categorical columns (out-of-fold target statistics and frequencies of each column and each\n"
    "pair of columns), with the share of the requester's peers (same department, title or\n"
    "manager) who hold the access.\n"
    "\n"
    "FILE is either a labelled request file, a CSV with a header, a 0/1 label column (--label,\n"
    "default ACTION) and up to 16 categorical columns, such as Amazon's access requests; or\n"
    "access history in any supported event format, whose request columns are user_id,\n"
    "department, job_title, resource and action, and whose label is the event's success\n"
    "(granted). A CSV whose header has the label column and no timestamp column is read as a\n"
    "request file; --requests says so explicitly.\n"
    "\n"
    "train writes OUT (versioned, with a SHA-256 checksum); with --cv-folds K it first measures\n"
    "the settings by K-fold cross-validation and stores the AUC in OUT. cv prints each fold's\n"
    "ROC AUC and their mean. ask prints the prediction as JSON.\n"
    "\n"
    "input options (train, cv):\n"
    "  -i, --input FILE         labelled requests or access history\n"
    "      --requests           FILE is a labelled request file\n"
    "      --label COL          the 0/1 label column of a request file (default ACTION)\n"
    "  -f, --format NAME        format of access history (default auto; see sentinel detect)\n"
    "      --year N, --timezone TZ, --max-errors N   as for sentinel detect\n"
    "model options (train, cv):\n"
    "      --algorithm NAME     boosted (gradient-boosted trees, default) or forest\n"
    "      --trees N            trees (default 300)\n"
    "      --learning-rate F    shrinkage of each boosted tree (default 0.05)\n"
    "      --max-depth N        deepest split (default 8 boosted, 40 forest)\n"
    "      --max-leaves N       leaves per tree (default 16 boosted, unlimited forest)\n"
    "      --min-child-weight F least hessian (boosted, default 0.5) or rows (forest, 1)\n"
    "      --lambda F           L2 penalty on leaf values (boosted, default 1)\n"
    "      --row-sample F       share of rows per boosted tree (default 0.6) or drawn with\n"
    "                           replacement per forest tree (default 1)\n"
    "      --col-sample F       share of features per boosted tree (default 0.5) or per\n"
    "                           forest node (default: square root of the features)\n"
    "      --interactions N     1: each column alone; 2: and every pair of columns\n"
    "                           (default); 3: and every triple\n"
    "      --smoothing A        prior weight of the target statistics (default 1)\n"
    "      --bags N             average N ensembles, each learned on its own out-of-fold\n"
    "                           draw of the statistics and its own seed (1-16, default 4)\n"
    "      --seed S             seed of the folds and the trees (default 42)\n"
    "  -o, --output OUT         (train) predictor file to write\n"
    "      --cv-folds K         (train) measure by K-fold cross-validation first\n"
    "      --folds K            (cv) folds (default 5)\n"
    "      --json               (cv) print {rows, approved, folds, seed, auc: [...],\n"
    "                           fit_seconds: [...], predict_seconds: [...], mean_auc,\n"
    "                           seconds} as JSON (fit and predict: CPU seconds)\n"
    "      --folds-out FILE     (cv) write each row's fold (0..K-1), one a line, in input\n"
    "                           order, so that other tools can use the same folds\n"
    "ask options:\n"
    "  -m, --model FILE         predictor file written by sentinel predict train\n"
    "      --user, --department, --title, --manager, --resource, --action VALUE\n"
    "                           the request's columns by meaning\n"
    "      --field NAME=VALUE   a column by its name (as in the request file's header)\n";

enum {
    O_REQUESTS = 256,
    O_LABEL,
    O_ALGORITHM,
    O_TREES,
    O_RATE,
    O_DEPTH,
    O_LEAVES,
    O_MCW,
    O_LAMBDA,
    O_ROWS,
    O_COLS,
    O_INTERACTIONS,
    O_SMOOTH,
    O_BAGS,
    O_SEED,
    O_CVFOLDS,
    O_FOLDS,
    O_JSON,
    O_FOLDS_OUT,
    O_USER,
    O_DEPT,
    O_TITLE,
    O_MANAGER,
    O_RESOURCE,
    O_ACTION,
    O_FIELD,
};

typedef struct opts {
    sn_input_opts in;
    bool requests;
    const char *label;
    const char *output, *model;
    sn_predict_params params;
    bool col_sample_given;
    int cv_folds, folds;
    uint64_t seed;
    bool json;
    const char *folds_out;
    /* ask */
    const char *by_role[SN_PCOL_ACTION + 1];
    const char *field_name[SN_PREDICT_MAX_COLUMNS], *field_value[SN_PREDICT_MAX_COLUMNS];
    int nfields;
} opts;

static int parse_double(const char *name, const char *v, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || end == v || *end || !(d >= lo && d <= hi)) {
        fprintf(stderr, "sentinel predict: --%s: '%s' is not a number in [%g, %g]\n", name, v, lo,
                hi);
        return -1;
    }
    *out = d;
    return 0;
}

static int parse_int(const char *name, const char *v, long lo, long hi, int *out)
{
    long l;
    if (sn_cli_parse_long(name, v, lo, hi, &l) < 0)
        return -1;
    *out = (int)l;
    return 0;
}

/* Tree defaults follow the algorithm unless given: keep what was given across --algorithm. */
static int parse_opts(int argc, char **argv, opts *o)
{
    static const struct option longopts[] = {{"input", required_argument, 0, 'i'},
                                             {"output", required_argument, 0, 'o'},
                                             {"model", required_argument, 0, 'm'},
                                             {"help", no_argument, 0, 'h'},
                                             {"requests", no_argument, 0, O_REQUESTS},
                                             {"label", required_argument, 0, O_LABEL},
                                             {"algorithm", required_argument, 0, O_ALGORITHM},
                                             {"trees", required_argument, 0, O_TREES},
                                             {"learning-rate", required_argument, 0, O_RATE},
                                             {"max-depth", required_argument, 0, O_DEPTH},
                                             {"max-leaves", required_argument, 0, O_LEAVES},
                                             {"min-child-weight", required_argument, 0, O_MCW},
                                             {"lambda", required_argument, 0, O_LAMBDA},
                                             {"row-sample", required_argument, 0, O_ROWS},
                                             {"col-sample", required_argument, 0, O_COLS},
                                             {"interactions", required_argument, 0, O_INTERACTIONS},
                                             {"smoothing", required_argument, 0, O_SMOOTH},
                                             {"bags", required_argument, 0, O_BAGS},
                                             {"seed", required_argument, 0, O_SEED},
                                             {"cv-folds", required_argument, 0, O_CVFOLDS},
                                             {"folds", required_argument, 0, O_FOLDS},
                                             {"json", no_argument, 0, O_JSON},
                                             {"folds-out", required_argument, 0, O_FOLDS_OUT},
                                             {"user", required_argument, 0, O_USER},
                                             {"department", required_argument, 0, O_DEPT},
                                             {"title", required_argument, 0, O_TITLE},
                                             {"manager", required_argument, 0, O_MANAGER},
                                             {"resource", required_argument, 0, O_RESOURCE},
                                             {"action", required_argument, 0, O_ACTION},
                                             {"field", required_argument, 0, O_FIELD},
                                             SN_CLI_INPUT_LONGOPTS,
                                             {0, 0, 0, 0}};
    /* the tree options given, applied after --algorithm has set the defaults */
    struct {
        int c;
        const char *v;
    } given[32];
    int ngiven = 0;
    sn_trees_kind kind = SN_TREES_BOOSTED;
    int c, idx;
    optind = 1;
    while ((c = getopt_long(argc, argv, "i:o:m:f:h", longopts, &idx)) != -1) {
        switch (c) {
        case 'i':
            o->in.path = optarg;
            break;
        case 'o':
            o->output = optarg;
            break;
        case 'm':
            o->model = optarg;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return 1;
        case O_REQUESTS:
            o->requests = true;
            break;
        case O_LABEL:
            o->label = optarg;
            break;
        case O_ALGORITHM:
            if (!strcmp(optarg, "boosted"))
                kind = SN_TREES_BOOSTED;
            else if (!strcmp(optarg, "forest"))
                kind = SN_TREES_FOREST;
            else {
                fprintf(stderr, "sentinel predict: --algorithm: '%s' is not boosted or forest\n",
                        optarg);
                return -1;
            }
            break;
        case O_TREES:
        case O_RATE:
        case O_DEPTH:
        case O_LEAVES:
        case O_MCW:
        case O_LAMBDA:
        case O_ROWS:
        case O_COLS:
            if (ngiven == 32) {
                fprintf(stderr, "sentinel predict: too many options\n");
                return -1;
            }
            given[ngiven].c = c;
            given[ngiven++].v = optarg;
            break;
        case O_INTERACTIONS:
            if (parse_int("interactions", optarg, 1, 3, &o->params.interactions) < 0)
                return -1;
            break;
        case O_SMOOTH:
            if (parse_double("smoothing", optarg, 0, 1e6, &o->params.smoothing) < 0)
                return -1;
            break;
        case O_BAGS:
            if (parse_int("bags", optarg, 1, SN_PREDICT_MAX_BAGS, &o->params.bags) < 0)
                return -1;
            break;
        case O_SEED: {
            char *end;
            errno = 0;
            unsigned long long s = strtoull(optarg, &end, 10);
            if (errno || end == optarg || *end || optarg[0] == '-') {
                fprintf(stderr, "sentinel predict: --seed: '%s' is not a whole number >= 0\n",
                        optarg);
                return -1;
            }
            o->seed = s;
            break;
        }
        case O_CVFOLDS:
            if (parse_int("cv-folds", optarg, 2, 100, &o->cv_folds) < 0)
                return -1;
            break;
        case O_FOLDS:
            if (parse_int("folds", optarg, 2, 100, &o->folds) < 0)
                return -1;
            break;
        case O_JSON:
            o->json = true;
            break;
        case O_FOLDS_OUT:
            o->folds_out = optarg;
            break;
        case O_USER:
        case O_DEPT:
        case O_TITLE:
        case O_MANAGER:
        case O_RESOURCE:
        case O_ACTION: {
            static const sn_pcol_role role[] = {SN_PCOL_USER,     SN_PCOL_DEPARTMENT,
                                                SN_PCOL_TITLE,    SN_PCOL_MANAGER,
                                                SN_PCOL_RESOURCE, SN_PCOL_ACTION};
            o->by_role[role[c - O_USER]] = optarg;
            break;
        }
        case O_FIELD: {
            const char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg || o->nfields == SN_PREDICT_MAX_COLUMNS) {
                fprintf(stderr, "sentinel predict: --field: '%s' is not NAME=VALUE%s\n", optarg,
                        eq && eq != optarg ? " (too many --field)" : "");
                return -1;
            }
            o->field_name[o->nfields] = optarg;
            o->field_value[o->nfields++] = eq + 1;
            break;
        }
        default: {
            sn_engine_config unused;
            sn_engine_config_default(&unused);
            int r = sn_cli_shared_option(c, c == SN_OPT_INPUT ? longopts[idx].name : NULL, optarg,
                                         "predict", &o->in, &unused);
            if (r <= 0) {
                if (r == 0)
                    fputs(usage_text, stderr);
                return -1;
            }
            break;
        }
        }
    }
    sn_trees_params *t = &o->params.trees;
    sn_trees_params_default(t, kind);
    for (int k = 0; k < ngiven; k++) {
        const char *v = given[k].v;
        int rc = 0;
        switch (given[k].c) {
        case O_TREES:
            rc = parse_int("trees", v, 1, 100000, &t->trees);
            break;
        case O_RATE:
            rc = parse_double("learning-rate", v, 1e-6, 1, &t->learning_rate);
            break;
        case O_DEPTH:
            rc = parse_int("max-depth", v, 1, 64, &t->max_depth);
            break;
        case O_LEAVES:
            rc = parse_int("max-leaves", v, 2, 1 << 20, &t->max_leaves);
            break;
        case O_MCW:
            rc = parse_double("min-child-weight", v, 0, 1e9, &t->min_child_weight);
            break;
        case O_LAMBDA:
            rc = parse_double("lambda", v, 0, 1e9, &t->lambda);
            break;
        case O_ROWS:
            rc = parse_double("row-sample", v, 1e-6, 1, &t->row_sample);
            break;
        case O_COLS:
            rc = parse_double("col-sample", v, 1e-6, 1, &t->col_sample);
            break;
        }
        if (rc < 0)
            return -1;
    }
    t->seed = o->seed;
    return 0;
}

/* ---- Reading the training data ----------------------------------------------------------- */

/* Whether FILE's first line is a CSV header with the label column and no timestamp column. */
static bool looks_like_requests(const char *path, const char *label)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    char line[4096];
    bool has_label = false, has_ts = false;
    if (fgets(line, sizeof(line), f)) {
        char *save = NULL;
        char *p = line;
        if (!strncmp(p, "\xEF\xBB\xBF", 3))
            p += 3;
        for (char *tok = strtok_r(p, ",\r\n", &save); tok; tok = strtok_r(NULL, ",\r\n", &save)) {
            if (*tok == '"' && strlen(tok) >= 2 && tok[strlen(tok) - 1] == '"') {
                tok[strlen(tok) - 1] = '\0';
                tok++;
            }
            has_label |= !strcasecmp(tok, label);
            has_ts |= !strcasecmp(tok, "timestamp");
        }
    }
    fclose(f);
    return has_label && !has_ts;
}

typedef struct history_ctx {
    sn_predict_data *data;
    long unlabelled;
} history_ctx;

static int add_event(void *ctx, const sn_event *ev, const char *event_id)
{
    (void)event_id;
    history_ctx *h = ctx;
    if (ev->success < 0) {
        h->unlabelled++;
        return 0;
    }
    const char *v[5] = {ev->user_id.p, ev->department.p, ev->job_title.p, ev->resource.p,
                        ev->action.p};
    size_t n[5] = {ev->user_id.n, ev->department.n, ev->job_title.n, ev->resource.n, ev->action.n};
    if (sn_predict_data_add(h->data, v, n, ev->success) != SN_OK) {
        fprintf(stderr, "sentinel predict: out of memory\n");
        return SN_EXIT_FAIL;
    }
    return 0;
}

/* The labelled requests of o->in.path; NULL after printing an error. *skipped gets the bad
 * records skipped (history only). */
static sn_predict_data *read_data(const opts *o, long *skipped)
{
    *skipped = 0;
    if (o->requests || looks_like_requests(o->in.path, o->label)) {
        sn_predict_data *d = NULL;
        sn_error err;
        if (sn_predict_data_read_csv(&d, o->in.path, o->label, &err) != SN_OK) {
            char msg[1024];
            sn_error_format(&err, msg, sizeof(msg));
            fprintf(stderr, "sentinel predict: %s\n", msg);
            return NULL;
        }
        return d;
    }
    static const char *const names[5] = {"user_id", "department", "job_title", "resource",
                                         "action"};
    static const sn_pcol_role roles[5] = {SN_PCOL_USER, SN_PCOL_DEPARTMENT, SN_PCOL_TITLE,
                                          SN_PCOL_RESOURCE, SN_PCOL_ACTION};
    history_ctx h = {.data = sn_predict_data_new(5, names, roles)};
    if (!h.data) {
        fprintf(stderr, "sentinel predict: out of memory\n");
        return NULL;
    }
    sn_input_counts counts;
    if (sn_cli_each_event(&o->in, add_event, &h, &counts) != 0) {
        sn_predict_data_free(h.data);
        return NULL;
    }
    *skipped = counts.skipped;
    if (h.unlabelled)
        fprintf(stderr, "sentinel predict: %ld events without an outcome (success) left out\n",
                h.unlabelled);
    return h.data;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int print_error(const sn_error *err)
{
    char msg[1024];
    sn_error_format(err, msg, sizeof(msg));
    fprintf(stderr, "sentinel predict: %s\n", msg);
    return SN_EXIT_FAIL;
}

/* ---- Subcommands ---------------------------------------------------------------------------- */

static int run_cv(const opts *o, sn_predict_data *d, int folds, bool quiet, double *mean)
{
    sn_predict_cv_result res;
    memset(&res, 0, sizeof(res));
    size_t n = sn_predict_data_rows(d);
    if (o->folds_out) {
        res.fold = malloc(n ? n : 1);
        if (!res.fold) {
            fprintf(stderr, "sentinel predict: out of memory\n");
            return SN_EXIT_FAIL;
        }
    }
    sn_error err;
    double t0 = now_seconds();
    if (sn_predict_cv(d, &o->params, folds, o->seed, &res, &err) != SN_OK) {
        free(res.fold);
        return print_error(&err);
    }
    double secs = now_seconds() - t0;
    *mean = res.mean_auc;
    if (o->folds_out) {
        FILE *f = fopen(o->folds_out, "w");
        bool ok = f != NULL;
        for (size_t r = 0; ok && r < n; r++)
            ok = fprintf(f, "%d\n", res.fold[r]) > 0;
        if (f)
            ok = (fclose(f) == 0) && ok;
        free(res.fold);
        if (!ok) {
            fprintf(stderr, "sentinel predict: %s: cannot write the folds\n", o->folds_out);
            return SN_EXIT_FAIL;
        }
    }
    if (quiet)
        return 0;
    if (o->json) {
        printf("{\"rows\":%zu,\"approved\":%zu,\"folds\":%d,\"seed\":%llu,\"auc\":[", n,
               sn_predict_data_positives(d), folds, (unsigned long long)o->seed);
        for (int f = 0; f < folds; f++)
            printf("%s%.6f", f ? "," : "", res.auc[f]);
        printf("],\"fit_seconds\":[");
        for (int f = 0; f < folds; f++)
            printf("%s%.4f", f ? "," : "", res.fit_seconds[f]);
        printf("],\"predict_seconds\":[");
        for (int f = 0; f < folds; f++)
            printf("%s%.4f", f ? "," : "", res.predict_seconds[f]);
        printf("],\"mean_auc\":%.6f,\"seconds\":%.2f}\n", res.mean_auc, secs);
    } else {
        printf("%zu requests, %zu approved; %d folds, seed %llu\n", n, sn_predict_data_positives(d),
               folds, (unsigned long long)o->seed);
        for (int f = 0; f < folds; f++)
            printf("fold %d  ROC AUC %.4f  (fit %.2f s, predict %.3f s)\n", f + 1, res.auc[f],
                   res.fit_seconds[f], res.predict_seconds[f]);
        printf("mean    ROC AUC %.4f  (%.1f s)\n", res.mean_auc, secs);
    }
    return 0;
}

static int cmd_train_or_cv(const opts *o, bool train)
{
    const char *cmd = train ? "train" : "cv";
    if (!o->in.path || !o->in.path[0]) {
        fprintf(stderr, "sentinel predict %s: --input FILE is required\n", cmd);
        return SN_EXIT_USAGE;
    }
    if (train && (!o->output || !o->output[0])) {
        fprintf(stderr, "sentinel predict train: --output OUT is required\n");
        return SN_EXIT_USAGE;
    }
    if (train && sn_cli_check_distinct(o->in.path, o->output, "predictor") < 0)
        return SN_EXIT_USAGE;
    long skipped;
    sn_predict_data *d = read_data(o, &skipped);
    if (!d)
        return SN_EXIT_FAIL;
    int rc = 0;
    if (!train) {
        double mean;
        rc = run_cv(o, d, o->folds, false, &mean);
    } else {
        double mean = NAN;
        if (o->cv_folds)
            rc = run_cv(o, d, o->cv_folds, false, &mean);
        sn_predictor *pr = NULL;
        sn_error err;
        double t0 = now_seconds();
        if (rc == 0 && sn_predictor_fit(&pr, d, &o->params, &err) != SN_OK)
            rc = print_error(&err);
        if (rc == 0) {
            if (o->cv_folds)
                sn_predictor_set_cv(pr, mean, o->cv_folds);
            if (sn_predictor_save(pr, o->output, &err) != SN_OK)
                rc = print_error(&err);
            else
                fprintf(stderr,
                        "sentinel predict: %zu requests (%zu approved) learned in %.1f s, "
                        "written to %s\n",
                        sn_predict_data_rows(d), sn_predict_data_positives(d), now_seconds() - t0,
                        o->output);
        }
        sn_predictor_free(pr);
    }
    sn_predict_data_free(d);
    if (rc == 0 && skipped)
        return SN_EXIT_SKIPPED;
    return rc;
}

static int cmd_ask(const opts *o)
{
    if (!o->model || !o->model[0]) {
        fprintf(stderr, "sentinel predict ask: --model FILE is required\n");
        return SN_EXIT_USAGE;
    }
    sn_predictor *pr = NULL;
    sn_error err;
    if (sn_predictor_load(&pr, o->model, &err) != SN_OK)
        return print_error(&err);
    const char *vals[SN_PREDICT_MAX_COLUMNS];
    size_t lens[SN_PREDICT_MAX_COLUMNS];
    int rc = 0;
    int nc = sn_predictor_columns(pr);
    bool used[SN_PREDICT_MAX_COLUMNS] = {false};
    for (int c = 0; c < nc && rc == 0; c++) {
        const char *name = sn_predictor_column(pr, c);
        const char *v = o->by_role[sn_predictor_column_role(pr, c)];
        if (sn_predictor_column_role(pr, c) == SN_PCOL_OTHER)
            v = NULL;
        for (int k = 0; k < o->nfields; k++) {
            size_t nl = (size_t)(o->field_value[k] - 1 - o->field_name[k]);
            if (nl == strlen(name) && !strncasecmp(o->field_name[k], name, nl)) {
                v = o->field_value[k];
                used[k] = true;
            }
        }
        if (!v) {
            const char *field = sn_pcol_field(sn_predictor_column_role(pr, c));
            fprintf(stderr,
                    "sentinel predict ask: the model needs column %s: give --field %s=VALUE%s%s\n",
                    name, name, field ? " or --" : "",
                    field ? (!strcmp(field, "user_id")     ? "user"
                             : !strcmp(field, "job_title") ? "title"
                                                           : field)
                          : "");
            rc = SN_EXIT_USAGE;
            break;
        }
        vals[c] = v;
        lens[c] = strlen(v);
    }
    for (int k = 0; k < o->nfields && rc == 0; k++)
        if (!used[k]) {
            fprintf(stderr, "sentinel predict ask: --field %.*s: the model has no such column\n",
                    (int)(o->field_value[k] - 1 - o->field_name[k]), o->field_name[k]);
            rc = SN_EXIT_USAGE;
        }
    if (rc == 0) {
        sn_prediction p;
        sn_predictor_ask(pr, vals, lens, &p);
        sn_buf b;
        sn_buf_init(&b);
        sn_prediction_json(&p, &b);
        if (b.failed) {
            fprintf(stderr, "sentinel predict: out of memory\n");
            rc = SN_EXIT_FAIL;
        } else {
            puts(b.data);
        }
        sn_buf_free(&b);
    }
    sn_predictor_free(pr);
    return rc;
}

int sn_cmd_predict(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(usage_text, argc < 2 ? stderr : stdout);
        return argc < 2 ? SN_EXIT_USAGE : SN_EXIT_OK;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "train") != 0 && strcmp(sub, "cv") != 0 && strcmp(sub, "ask") != 0) {
        fprintf(stderr, "sentinel predict: unknown subcommand '%s' (train, cv or ask)\n", sub);
        return SN_EXIT_USAGE;
    }
    opts o = {.in = {.format = SN_FORMAT_AUTO, .progress = true, .phase = "reading"},
              .label = "ACTION",
              .folds = 5,
              .seed = 42};
    sn_predict_params_default(&o.params);
    int r = parse_opts(argc - 1, argv + 1, &o);
    if (r > 0)
        return SN_EXIT_OK;
    if (r < 0)
        return SN_EXIT_USAGE;
    if (optind < argc - 1) {
        fprintf(stderr, "sentinel predict %s: unexpected argument '%s'\n", sub, argv[optind + 1]);
        return SN_EXIT_USAGE;
    }
    if (!strcmp(sub, "ask"))
        return cmd_ask(&o);
    return cmd_train_or_cv(&o, !strcmp(sub, "train"));
}
