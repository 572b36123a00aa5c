/* Detection quality on the reference system's labelled data, unsupervised (labels unused):
 * the bands the product promises, and the model file round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ingest/ingest.h"
#include "risk/metrics.h"
#include "risk/risk.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_EVENTS 200000

typedef struct run_result {
    size_t n;
    double *scores;
    int8_t *labels;
    int8_t *flagged;
    char (*types)[32];
    double threshold;
} run_result;

static sn_engine *learn(const char *path)
{
    sn_engine *e = sn_engine_new(NULL);
    assert_non_null(e);
    sn_reader *r;
    sn_error err;
    assert_int_equal(sn_reader_open(&r, path, SN_FORMAT_AUTO, &err), SN_OK);
    sn_event ev;
    sn_status s;
    while ((s = sn_reader_next(r, &ev, &err)) != SN_EOF) {
        assert_int_equal(s, SN_OK);
        assert_int_equal(sn_engine_learn(e, &ev, &err), SN_OK);
    }
    sn_reader_close(r);
    assert_int_equal(sn_engine_fit(e, &err), SN_OK);
    return e;
}

static void score(sn_engine *e, const char *path, run_result *res)
{
    memset(res, 0, sizeof(*res));
    res->scores = calloc(MAX_EVENTS, sizeof(double));
    res->labels = calloc(MAX_EVENTS, 1);
    res->flagged = calloc(MAX_EVENTS, 1);
    res->types = calloc(MAX_EVENTS, 32);
    assert_non_null(res->types);
    sn_reader *r;
    sn_error err;
    assert_int_equal(sn_reader_open(&r, path, SN_FORMAT_AUTO, &err), SN_OK);
    sn_event ev;
    while (sn_reader_next(r, &ev, &err) == SN_OK && res->n < MAX_EVENTS) {
        sn_verdict v;
        assert_int_equal(sn_engine_analyse(e, &ev, &v, &err), SN_OK);
        res->scores[res->n] = v.anomaly_score;
        res->labels[res->n] = ev.is_anomaly;
        res->flagged[res->n] = v.is_anomaly;
        snprintf(res->types[res->n], 32, "%.*s", (int)ev.anomaly_type.n, ev.anomaly_type.p);
        /* Every verdict is coherent: an alert is never ALLOW, a non-alert is never BLOCK. */
        if (v.is_anomaly)
            assert_true(v.level >= SN_MEDIUM);
        else
            assert_true(v.level <= SN_LOW);
        if (v.is_anomaly)
            assert_true(v.n_reasons > 0);
        res->n++;
    }
    sn_reader_close(r);
    res->threshold = sn_engine_get_stats(e)->threshold_bits;
}

static void free_result(run_result *res)
{
    free(res->scores);
    free(res->labels);
    free(res->flagged);
    free(res->types);
}

static void check_bands(const run_result *res, const char *name)
{
    sn_confusion cm;
    sn_confusion_at(res->scores, res->labels, res->n, res->threshold, &cm);
    double ap = sn_average_precision(res->scores, res->labels, res->n);
    double roc = sn_roc_auc(res->scores, res->labels, res->n);
    printf("%s: n=%zu precision=%.4f recall=%.4f F1=%.4f ROC AUC=%.4f PR AUC=%.4f\n", name, res->n,
           cm.precision, cm.recall, cm.f1, roc, ap);
    assert_true(cm.f1 >= 0.95);
    assert_true(ap >= 0.95);
    static const char *const types[] = {"unusual_time",         "unusual_location",
                                        "privilege_escalation", "impossible_travel",
                                        "unusual_resource",     "excessive_access"};
    for (size_t t = 0; t < 6; t++) {
        size_t total = 0, hit = 0;
        for (size_t i = 0; i < res->n; i++) {
            if (strcmp(res->types[i], types[t]) != 0)
                continue;
            total++;
            hit += res->flagged[i];
        }
        printf("  %-22s %zu/%zu = %.3f\n", types[t], hit, total, total ? (double)hit / total : 0);
        assert_true(total > 0);
        assert_true((double)hit / (double)total >= 0.85);
    }
}

static void reference_200x50_unsupervised_meets_bands(void **state)
{
    (void)state;
    const char *path = tu_data_path("reference/sample_iam_logs_200x50.csv");
    if (!path)
        skip();
    char copy[4096];
    snprintf(copy, sizeof(copy), "%s", path);
    sn_engine *e = learn(copy);
    sn_engine_reset_history(e);
    run_result res;
    score(e, copy, &res);
    assert_int_equal(res.n, 7628);
    check_bands(&res, "sample_iam_logs_200x50");
    free_result(&res);
    sn_engine_free(e);
}

static void reference_2000x50_unsupervised_meets_bands(void **state)
{
    (void)state;
    const char *path = tu_data_path("reference/sample_iam_logs_2000x50.csv");
    if (!path)
        skip();
    char copy[4096];
    snprintf(copy, sizeof(copy), "%s", path);
    sn_engine *e = learn(copy);
    sn_engine_reset_history(e);
    run_result res;
    score(e, copy, &res);
    assert_int_equal(res.n, 76011);
    check_bands(&res, "sample_iam_logs_2000x50");
    free_result(&res);
    sn_engine_free(e);
}

static void model_file_round_trip_gives_identical_verdicts(void **state)
{
    (void)state;
    const char *path = tu_data_path("reference/sample_iam_logs_200x50.csv");
    if (!path)
        skip();
    char copy[4096];
    snprintf(copy, sizeof(copy), "%s", path);
    sn_engine *e = learn(copy);
    char model[] = "/tmp/sn_model_XXXXXX";
    int fd = mkstemp(model);
    assert_true(fd >= 0);
    close(fd);
    sn_error err;
    assert_int_equal(sn_engine_save(e, model, &err), SN_OK);
    sn_engine *loaded = NULL;
    assert_int_equal(sn_engine_load(&loaded, model, &err), SN_OK);
    run_result a, b;
    score(e, copy, &a);
    score(loaded, copy, &b);
    assert_int_equal(a.n, b.n);
    for (size_t i = 0; i < a.n; i++)
        assert_true(a.scores[i] == b.scores[i]);
    free_result(&a);
    free_result(&b);
    sn_engine_free(loaded);

    /* One changed byte anywhere makes loading fail with a clear message. */
    FILE *f = fopen(model, "r+b");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, size / 2, SEEK_SET);
    int ch = fgetc(f);
    fseek(f, size / 2, SEEK_SET);
    fputc(ch ^ 0x01, f);
    fclose(f);
    assert_int_equal(sn_engine_load(&loaded, model, &err), SN_ERR_MODEL);
    assert_null(loaded);
    assert_non_null(strstr(err.msg, "checksum mismatch"));

    /* A foreign file is refused by its magic number. */
    static const char csv[] = "event_id,user_id,timestamp\nE1,U1,2026-09-04 09:03:24\n"
                              "E2,U2,2026-09-04 09:04:24\n";
    const char *foreign = tu_temp_file(csv, sizeof(csv) - 1);
    assert_int_equal(sn_engine_load(&loaded, foreign, &err), SN_ERR_MODEL);
    assert_non_null(strstr(err.msg, "wrong magic number"));
    remove(model);
    sn_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reference_200x50_unsupervised_meets_bands),
        cmocka_unit_test(reference_2000x50_unsupervised_meets_bands),
        cmocka_unit_test(model_file_round_trip_gives_identical_verdicts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
