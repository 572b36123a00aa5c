/* `sentinel iforest`: a bare Isolation Forest on a labelled numeric CSV, measured with ROC AUC and
 * PR AUC under the pyod benchmark protocol or the Isolation Forest authors' whole-set protocol. */
#include "cli.h"

#include "core/buf.h"
#include "core/error.h"
#include "core/rng.h"
#include "model/iforest.h"
#include "risk/metrics.h"

#include <errno.h>
#include <float.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_SPLITS 1000

typedef enum { PROTO_PYOD, PROTO_WHOLE } protocol;

typedef struct options {
    const char *input;
    const char *label; /* column name, or 1-based number with --no-header; NULL: "y" */
    int label_last;
    int header;
    protocol proto;
    int splits;
    int json;
    int timing;
    sn_iforest_params forest;
} options;

/* The data set: n rows of d features (row-major floats, as the forest takes them) and labels. */
typedef struct dataset {
    float *X;
    int8_t *y;
    size_t n, d, cap;
    size_t positives;
} dataset;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: sentinel iforest --input FILE.csv [OPTIONS]\n"
            "\n"
            "Fits an Isolation Forest (Liu, Ting & Zhou 2008) on a numeric CSV with a 0/1 label\n"
            "column (1 = outlier) and reports ROC AUC and PR AUC (average precision).\n"
            "\n"
            "  --input FILE       numeric CSV, one row per sample\n"
            "  --label COLUMN     label column: its header name (default y), or its 1-based\n"
            "                     number with --no-header\n"
            "  --label-last       the label is the last column\n"
            "  --no-header        the first line is data, not column names\n"
            "  --protocol P       pyod (default): standardise with the training part's mean and\n"
            "                     std, random 60/40 split, fit on 60%%, score the 40%%, once per\n"
            "                     split; whole: fit and score the whole set as it is, once per\n"
            "                     run (the authors' protocol)\n"
            "  --splits N         splits (pyod) or runs (whole), default 10\n"
            "  --trees N          trees per forest, default 100\n"
            "  --psi N            subsample size, default 256 (min(psi, rows) is used)\n"
            "  --seed N           seed of the splits and forests, default 0\n"
            "  --time             also report the CPU time of one fit and of scoring, per row\n"
            "                     (CSV parsing and standardising excluded; always in --json)\n"
            "  --json             one JSON object on stdout\n"
            "  --help             this text\n");
}

/* ---- reading the CSV -------------------------------------------------------------------- */

static void trim(char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t'))
        (*s)++, (*n)--;
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
    if (*n >= 2 && (*s)[0] == '"' && (*s)[*n - 1] == '"')
        (*s)++, *n -= 2;
}

/* Splits line in place at commas into cells (pointers into line, NUL-terminated). Returns the
 * cell count, or -1 when out of memory. */
static long split_cells(char *line, char ***cells, size_t *cap)
{
    long k = 0;
    char *p = line;
    for (;;) {
        char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if ((size_t)k == *cap) {
            size_t nc = *cap ? *cap * 2 : 64;
            char **c = realloc(*cells, nc * sizeof(*c));
            if (!c)
                return -1;
            *cells = c;
            *cap = nc;
        }
        char *s = p;
        p[len] = '\0';
        trim(&s, &len);
        s[len] = '\0';
        (*cells)[k++] = s;
        if (!end)
            return k;
        p = end + 1;
    }
}

static int parse_number(const char *s, double *v)
{
    char *end;
    if (!*s)
        return -1;
    errno = 0;
    *v = strtod(s, &end);
    return *end || errno == ERANGE || !isfinite(*v) ? -1 : 0;
}

static int grow(dataset *ds)
{
    if (ds->n < ds->cap)
        return 0;
    size_t nc = ds->cap ? ds->cap * 2 : 1024;
    if (nc > SIZE_MAX / sizeof(float) / ds->d)
        return -1;
    float *X = realloc(ds->X, nc * ds->d * sizeof(*X));
    if (!X)
        return -1;
    ds->X = X;
    int8_t *y = realloc(ds->y, nc);
    if (!y)
        return -1;
    ds->y = y;
    ds->cap = nc;
    return 0;
}

static void column_name(char *out, size_t n, char **names, size_t col)
{
    if (names)
        snprintf(out, n, "%s", names[col]);
    else
        snprintf(out, n, "column %zu", col + 1);
}

/* Finds the label column among ncol cells (the header, or NULL without one). */
static sn_status find_label(const options *o, char **header, size_t ncol, size_t *label,
                            sn_error *err)
{
    if (o->label_last) {
        *label = ncol - 1;
        return SN_OK;
    }
    if (!header) {
        char *end;
        long v = o->label ? strtol(o->label, &end, 10) : 0;
        if (!o->label || *end || v < 1 || (size_t)v > ncol)
            return sn_error_set(err, SN_ERR_USAGE, true, o->input, 1, o->label ? o->label : NULL,
                                "without a header, give the label's column number (1..%zu) "
                                "with --label or use --label-last",
                                ncol);
        *label = (size_t)v - 1;
        return SN_OK;
    }
    const char *name = o->label ? o->label : "y";
    for (size_t c = 0; c < ncol; c++)
        if (!strcmp(header[c], name)) {
            *label = c;
            return SN_OK;
        }
    return sn_error_set(err, SN_ERR_MISSING, true, o->input, 1, name,
                        "label column not in the header; name it with --label or use "
                        "--label-last");
}

static sn_status load_csv(const options *o, dataset *ds, sn_error *err)
{
    FILE *fp = strcmp(o->input, "-") ? fopen(o->input, "r") : stdin;
    if (!fp)
        return sn_error_set(err, SN_ERR_IO, true, o->input, 0, NULL, "%s", strerror(errno));
    char *line = NULL, **cells = NULL, *header_line = NULL, **header = NULL;
    size_t line_cap = 0, cells_cap = 0, header_cap = 0, ncol = 0, label = 0;
    long lineno = 0, nread;
    sn_status st = SN_OK;
    while ((nread = getline(&line, &line_cap, fp)) >= 0) {
        lineno++;
        while (nread > 0 && (line[nread - 1] == '\n' || line[nread - 1] == '\r'))
            line[--nread] = '\0';
        if (strspn(line, " \t") == (size_t)nread)
            continue;
        if ((size_t)nread != strlen(line)) {
            st = sn_error_set(err, SN_ERR_PARSE, true, o->input, lineno, NULL, "NUL byte in line");
            break;
        }
        if (o->header && !header_line) {
            header_line = strdup(line);
            long k = header_line ? split_cells(header_line, &header, &header_cap) : -1;
            if (k < 0) {
                st = sn_error_set(err, SN_ERR_NOMEM, true, o->input, lineno, NULL, NULL);
                break;
            }
            ncol = (size_t)k;
            if ((st = find_label(o, header, ncol, &label, err)) != SN_OK)
                break;
            continue;
        }
        long k = split_cells(line, &cells, &cells_cap);
        if (k < 0) {
            st = sn_error_set(err, SN_ERR_NOMEM, true, o->input, lineno, NULL, NULL);
            break;
        }
        if (ncol == 0) {
            ncol = (size_t)k;
            if ((st = find_label(o, NULL, ncol, &label, err)) != SN_OK)
                break;
        }
        if ((size_t)k != ncol) {
            st = sn_error_set(err, SN_ERR_PARSE, true, o->input, lineno, NULL,
                              "%ld cells where the %s has %zu", k, header ? "header" : "first row",
                              ncol);
            break;
        }
        if (ncol < 2) {
            st = sn_error_set(err, SN_ERR_PARSE, true, o->input, lineno, NULL,
                              "need at least one feature column besides the label");
            break;
        }
        ds->d = ncol - 1;
        if (grow(ds) != 0) {
            st = sn_error_set(err, SN_ERR_NOMEM, true, o->input, lineno, NULL,
                              "out of memory at row %zu", ds->n + 1);
            break;
        }
        float *row = ds->X + ds->n * ds->d;
        for (size_t c = 0, j = 0; c < ncol; c++) {
            double v = 0.0;
            char name[64];
            int bad = parse_number(cells[c], &v) != 0;
            if (bad || (c != label && fabs(v) > FLT_MAX)) {
                column_name(name, sizeof(name), header, c);
                if (!cells[c][0])
                    st = sn_error_set(err, SN_ERR_MISSING, true, o->input, lineno, name,
                                      "empty cell");
                else
                    st = sn_error_set(err, SN_ERR_PARSE, true, o->input, lineno, name,
                                      bad ? "'%.40s' is not a finite number"
                                          : "'%.40s' is outside the range of float",
                                      cells[c]);
                break;
            }
            if (c == label) {
                if (v != 0.0 && v != 1.0) {
                    column_name(name, sizeof(name), header, c);
                    st = sn_error_set(err, SN_ERR_RANGE, true, o->input, lineno, name,
                                      "label '%.40s' is neither 0 nor 1", cells[c]);
                    break;
                }
                ds->y[ds->n] = (int8_t)v;
                ds->positives += v == 1.0;
            } else {
                row[j++] = (float)v;
            }
        }
        if (st != SN_OK)
            break;
        ds->n++;
    }
    if (st == SN_OK && ferror(fp))
        st = sn_error_set(err, SN_ERR_IO, true, o->input, lineno, NULL, "read error");
    if (st == SN_OK && ds->n == 0)
        st = sn_error_set(err, SN_ERR_EMPTY, true, o->input, 0, NULL,
                          lineno == 0 ? "input is empty" : "no data rows");
    if (st == SN_OK && (ds->positives == 0 || ds->positives == ds->n)) {
        char name[64];
        column_name(name, sizeof(name), header, label);
        st = sn_error_set(err, SN_ERR_RANGE, true, o->input, 0, name,
                          "every label is %d; ROC AUC needs both classes", ds->positives ? 1 : 0);
    }
    free(line);
    free(cells);
    free(header);
    free(header_line);
    if (fp != stdin)
        fclose(fp);
    return st;
}

/* ---- the protocols ---------------------------------------------------------------------- */

typedef struct results {
    double roc[MAX_SPLITS], pr[MAX_SPLITS];
    int used; /* splits whose test part held both classes */
    double fit_seconds, score_seconds;
    size_t scored_rows;
} results;

/* Process CPU time: on a shared machine it measures the work, not the wait. */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Standardises rows (given by index) of ds into out with the mean and population standard
 * deviation of the training rows, a zero deviation counting as 1 (scikit-learn's
 * StandardScaler, which pyod's benchmark applies). */
static void standardise(const dataset *ds, const size_t *train, size_t n_train, const size_t *rows,
                        size_t n_rows, double *mean, double *sd, float *out)
{
    size_t d = ds->d;
    for (size_t j = 0; j < d; j++)
        mean[j] = sd[j] = 0.0;
    for (size_t i = 0; i < n_train; i++)
        for (size_t j = 0; j < d; j++)
            mean[j] += ds->X[train[i] * d + j];
    for (size_t j = 0; j < d; j++)
        mean[j] /= (double)n_train;
    for (size_t i = 0; i < n_train; i++)
        for (size_t j = 0; j < d; j++) {
            double e = ds->X[train[i] * d + j] - mean[j];
            sd[j] += e * e;
        }
    for (size_t j = 0; j < d; j++) {
        double v = sqrt(sd[j] / (double)n_train);
        sd[j] = v > 0.0 ? v : 1.0;
    }
    for (size_t i = 0; i < n_rows; i++)
        for (size_t j = 0; j < d; j++)
            out[i * d + j] = (float)((ds->X[rows[i] * d + j] - mean[j]) / sd[j]);
}

/* One fit and one scoring; records AUCs and times. */
static sn_status fit_and_score(const options *o, uint64_t seed, const float *Xfit, size_t n_fit,
                               const float *Xs, const int8_t *ys, size_t n_s, size_t d,
                               double *scores, results *r, sn_error *err)
{
    sn_iforest_params p = o->forest;
    sn_iforest *f;
    p.seed = seed;
    double t0 = now();
    sn_status st = sn_iforest_fit(&f, Xfit, n_fit, d, &p, err);
    if (st != SN_OK)
        return st;
    double t1 = now();
    sn_iforest_score_many(f, Xs, n_s, scores);
    double t2 = now();
    sn_iforest_free(f);
    r->fit_seconds += t1 - t0;
    r->score_seconds += t2 - t1;
    r->scored_rows += n_s;
    double roc = sn_roc_auc(scores, ys, n_s);
    if (isnan(roc))
        return SN_OK;
    r->roc[r->used] = roc;
    r->pr[r->used] = sn_average_precision(scores, ys, n_s);
    r->used++;
    return SN_OK;
}

static sn_status run(const options *o, const dataset *ds, results *r, sn_error *err)
{
    size_t n = ds->n, d = ds->d;
    /* scikit-learn's train_test_split(test_size=0.4): ceil(0.4 n) test rows. */
    size_t n_test = o->proto == PROTO_PYOD ? (size_t)ceil(0.4 * (double)n) : n;
    size_t n_train = o->proto == PROTO_PYOD ? n - n_test : n;
    if (o->proto == PROTO_PYOD && (n_train < 2 || n_test < 2))
        return sn_error_set(err, SN_ERR_EMPTY, true, o->input, 0, NULL,
                            "%zu rows are too few for a 60/40 split", n);
    size_t *perm = malloc(n * sizeof(*perm));
    float *Xtr = o->proto == PROTO_PYOD ? malloc(n * d * sizeof(*Xtr)) : NULL;
    double *mean = malloc(d * sizeof(*mean)), *sd = malloc(d * sizeof(*sd));
    double *scores = malloc(n_test * sizeof(*scores));
    int8_t *yte = malloc(n_test);
    sn_status st = SN_OK;
    if (!perm || (o->proto == PROTO_PYOD && !Xtr) || !mean || !sd || !scores || !yte) {
        st = sn_error_set(err, SN_ERR_NOMEM, true, o->input, 0, NULL, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    /* One stream of seeds: each split draws its shuffle and its forest seed from it. */
    sn_rng master;
    sn_rng_seed(&master, o->forest.seed);
    for (int s = 0; s < o->splits && st == SN_OK; s++) {
        sn_rng split;
        sn_rng_seed(&split, sn_rng_next(&master));
        uint64_t forest_seed = sn_rng_next(&master);
        if (o->proto == PROTO_WHOLE) {
            st = fit_and_score(o, forest_seed, ds->X, n, ds->X, ds->y, n, d, scores, r, err);
            continue;
        }
        for (size_t i = n - 1; i > 0; i--) {
            size_t j = (size_t)sn_rng_below(&split, i + 1), t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        /* Training rows first, then test rows, standardised with the training statistics. */
        standardise(ds, perm, n_train, perm, n, mean, sd, Xtr);
        for (size_t i = 0; i < n_test; i++)
            yte[i] = ds->y[perm[n_train + i]];
        st = fit_and_score(o, forest_seed, Xtr, n_train, Xtr + n_train * d, yte, n_test, d, scores,
                           r, err);
    }
done:
    free(perm);
    free(Xtr);
    free(mean);
    free(sd);
    free(scores);
    free(yte);
    return st;
}

/* ---- reporting -------------------------------------------------------------------------- */

static void mean_sd(const double *v, int n, double *m, double *s)
{
    double a = 0.0, b = 0.0;
    for (int i = 0; i < n; i++)
        a += v[i];
    a = n ? a / n : NAN;
    for (int i = 0; i < n; i++)
        b += (v[i] - a) * (v[i] - a);
    *m = a;
    *s = n ? sqrt(b / n) : NAN;
}

static void json_num(sn_buf *b, double v)
{
    if (isfinite(v))
        sn_buf_printf(b, "%.6f", v);
    else
        sn_buf_puts(b, "null");
}

static void json_list(sn_buf *b, const double *v, int n)
{
    sn_buf_putc(b, '[');
    for (int i = 0; i < n; i++) {
        if (i)
            sn_buf_putc(b, ',');
        json_num(b, v[i]);
    }
    sn_buf_putc(b, ']');
}

static int report(const options *o, const dataset *ds, const results *r)
{
    double roc_m, roc_s, pr_m, pr_s;
    mean_sd(r->roc, r->used, &roc_m, &roc_s);
    mean_sd(r->pr, r->used, &pr_m, &pr_s);
    int runs = o->splits;
    double fit_s = r->fit_seconds / runs;
    double ns_row = r->scored_rows ? r->score_seconds * 1e9 / (double)r->scored_rows : NAN;
    const char *proto = o->proto == PROTO_PYOD ? "pyod" : "whole";
    sn_buf b;
    sn_buf_init(&b);
    if (o->json) {
        sn_buf_puts(&b, "{\"input\":");
        sn_buf_json_str(&b, o->input, strlen(o->input));
        sn_buf_printf(&b,
                      ",\"n\":%zu,\"d\":%zu,\"outliers\":%zu,\"protocol\":\"%s\",\"splits\":%d,"
                      "\"splits_used\":%d,\"trees\":%d,\"psi\":%d,\"seed\":%llu,\"roc_auc_mean\":",
                      ds->n, ds->d, ds->positives, proto, runs, r->used, o->forest.n_trees,
                      o->forest.psi, (unsigned long long)o->forest.seed);
        json_num(&b, roc_m);
        sn_buf_puts(&b, ",\"roc_auc_std\":");
        json_num(&b, roc_s);
        sn_buf_puts(&b, ",\"pr_auc_mean\":");
        json_num(&b, pr_m);
        sn_buf_puts(&b, ",\"pr_auc_std\":");
        json_num(&b, pr_s);
        sn_buf_puts(&b, ",\"roc_auc\":");
        json_list(&b, r->roc, r->used);
        sn_buf_puts(&b, ",\"pr_auc\":");
        json_list(&b, r->pr, r->used);
        sn_buf_printf(&b, ",\"fit_seconds\":%.6f,\"score_ns_per_row\":", fit_s);
        json_num(&b, ns_row);
        sn_buf_puts(&b, "}\n");
    } else {
        sn_buf_printf(&b, "%s: %zu rows, %zu features, %zu outliers (%.2f%%)\n", o->input, ds->n,
                      ds->d, ds->positives, 100.0 * (double)ds->positives / (double)ds->n);
        if (o->proto == PROTO_PYOD)
            sn_buf_printf(&b,
                          "protocol pyod: %d random 60/40 splits, standardised on the "
                          "training part, scored on the test part\n",
                          runs);
        else
            sn_buf_printf(&b, "protocol whole: %d runs, fitted and scored on the whole set\n",
                          runs);
        sn_buf_printf(&b, "forest: %d trees, psi %d, seed %llu\n", o->forest.n_trees, o->forest.psi,
                      (unsigned long long)o->forest.seed);
        if (r->used < runs)
            sn_buf_printf(&b, "note: %d of %d test parts held one class only and were left out\n",
                          runs - r->used, runs);
        sn_buf_printf(&b, "ROC AUC  %.4f +- %.4f\nPR AUC   %.4f +- %.4f\n", roc_m, roc_s, pr_m,
                      pr_s);
        if (o->timing)
            sn_buf_printf(&b, "fit      %.4f s per forest\nscore    %.1f ns per row\n", fit_s,
                          ns_row);
    }
    int ok = !b.failed && fwrite(b.data, 1, b.len, stdout) == b.len && fflush(stdout) == 0;
    sn_buf_free(&b);
    if (!ok)
        fprintf(stderr, "iforest: cannot write the report\n");
    return ok ? SN_EXIT_OK : SN_EXIT_FAIL;
}

/* ---- command line ----------------------------------------------------------------------- */

static int parse_int(const char *opt, const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || *end || errno || v < lo || v > hi) {
        fprintf(stderr, "iforest: --%s: '%s' is not a whole number in %ld..%ld\n", opt, s, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_options(int argc, char **argv, options *o)
{
    static const struct option longopts[] = {
        {"input", required_argument, NULL, 'i'},
        {"label", required_argument, NULL, 'l'},
        {"label-last", no_argument, NULL, 'L'},
        {"no-header", no_argument, NULL, 'H'},
        {"protocol", required_argument, NULL, 'p'},
        {"splits", required_argument, NULL, 's'},
        {"trees", required_argument, NULL, 't'},
        {"psi", required_argument, NULL, 'P'},
        {"seed", required_argument, NULL, 'S'},
        {"json", no_argument, NULL, 'j'},
        {"time", no_argument, NULL, 'T'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof(*o));
    o->header = 1;
    o->splits = 10;
    sn_iforest_params_default(&o->forest);
    optind = 1;
    opterr = 0;
    int c;
    long v;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'i':
            o->input = optarg;
            break;
        case 'l':
            o->label = optarg;
            break;
        case 'L':
            o->label_last = 1;
            break;
        case 'H':
            o->header = 0;
            break;
        case 'j':
            o->json = 1;
            break;
        case 'T':
            o->timing = 1;
            break;
        case 'h':
            usage(stdout);
            return 1;
        case 'p':
            if (!strcmp(optarg, "pyod"))
                o->proto = PROTO_PYOD;
            else if (!strcmp(optarg, "whole"))
                o->proto = PROTO_WHOLE;
            else {
                fprintf(stderr, "iforest: --protocol: '%s' is neither pyod nor whole\n", optarg);
                return -1;
            }
            break;
        case 's':
            if (parse_int("splits", optarg, 1, MAX_SPLITS, &v))
                return -1;
            o->splits = (int)v;
            break;
        case 't':
            if (parse_int("trees", optarg, 1, SN_IFOREST_MAX_TREES, &v))
                return -1;
            o->forest.n_trees = (int)v;
            break;
        case 'P':
            if (parse_int("psi", optarg, 2, SN_IFOREST_MAX_PSI, &v))
                return -1;
            o->forest.psi = (int)v;
            break;
        case 'S': {
            char *end;
            errno = 0;
            unsigned long long s = strtoull(optarg, &end, 10);
            if (!*optarg || *end || errno || *optarg == '-') {
                fprintf(stderr, "iforest: --seed: '%s' is not a non-negative whole number\n",
                        optarg);
                return -1;
            }
            o->forest.seed = s;
            break;
        }
        case ':':
            fprintf(stderr, "iforest: %s needs a value\n", argv[optind - 1]);
            return -1;
        default:
            fprintf(stderr, "iforest: unknown option '%s'\n", argv[optind - 1]);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "iforest: unexpected argument '%s'\n", argv[optind]);
        return -1;
    }
    if (!o->input) {
        fprintf(stderr, "iforest: --input FILE is required (see --help)\n");
        return -1;
    }
    if (o->label && o->label_last) {
        fprintf(stderr, "iforest: give --label or --label-last, not both\n");
        return -1;
    }
    return 0;
}

int sn_cmd_iforest(int argc, char **argv)
{
    options o;
    int rc = parse_options(argc, argv, &o);
    if (rc != 0)
        return rc > 0 ? SN_EXIT_OK : SN_EXIT_USAGE;
    dataset ds = {0};
    sn_error err;
    sn_error_clear(&err);
    results *r = calloc(1, sizeof(*r));
    sn_status st =
        r ? load_csv(&o, &ds, &err) : sn_error_set(&err, SN_ERR_NOMEM, true, NULL, 0, NULL, NULL);
    if (st == SN_OK)
        st = run(&o, &ds, r, &err);
    if (st == SN_OK)
        rc = report(&o, &ds, r);
    else {
        char msg[1024];
        sn_error_format(&err, msg, sizeof(msg));
        fprintf(stderr, "%s\n", msg);
        rc = st == SN_ERR_USAGE ? SN_EXIT_USAGE : SN_EXIT_FAIL;
    }
    free(ds.X);
    free(ds.y);
    free(r);
    return rc;
}
