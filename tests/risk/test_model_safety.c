/* Model safety: the poisoning defence (outliers left out of the forest's training), the training
 * risk distribution kept with the model and the population stability index that compares live
 * risks with it, and old model files refused with a clear message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gen/gen.h"
#include "ingest/ingest.h"
#include "risk/risk.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define assert_near(a, b, tol) assert_true(fabs((double)(a) - (double)(b)) <= (tol))

/* PSI by hand: expected shares 1/4, 1/4, 1/2 and actual 1/2, 1/4, 1/4 give
 * (1/2 - 1/4) ln 2 + 0 + (1/4 - 1/2) ln(1/2) = (1/2) ln 2. */
static void psi_of_a_known_histogram(void **state)
{
    (void)state;
    const uint64_t expected[] = {25, 25, 50}, actual[] = {50, 25, 25};
    assert_near(sn_psi(expected, actual, 3), 0.5 * log(2.0), 1e-15);
    /* Counts, not shares: the same shares at another scale give the same index. */
    const uint64_t actual_x10[] = {500, 250, 250};
    assert_near(sn_psi(expected, actual_x10, 3), 0.5 * log(2.0), 1e-15);
    /* Identical distributions: 0. */
    assert_near(sn_psi(expected, expected, 3), 0.0, 0);
    /* An empty bin counts as a share of 1e-4: e = (1/2, 1/2), a = (1, 1e-4). */
    const uint64_t e2[] = {1, 1}, a2[] = {4, 0};
    double want = (1 - 0.5) * log(1 / 0.5) + (1e-4 - 0.5) * log(1e-4 / 0.5);
    assert_near(sn_psi(e2, a2, 2), want, 1e-12);
    /* Nothing to compare: NAN. */
    const uint64_t none[] = {0, 0};
    assert_true(isnan(sn_psi(e2, none, 2)));
    assert_true(isnan(sn_psi(none, a2, 2)));
}

/* Deciles as bin edges; ties merged and none at the minimum. */
static void histogram_of_known_scores(void **state)
{
    (void)state;
    double s[100];
    for (int i = 0; i < 100; i++)
        s[99 - i] = i + 1; /* 100 .. 1: fitting sorts them */
    sn_score_hist h;
    sn_score_hist_fit(&h, s, 100);
    assert_int_equal(h.n_bins, 10);
    for (int i = 0; i < 9; i++)
        assert_near(h.edge[i], 10 * (i + 1) + 1, 0); /* 11, 21, ..., 91 */
    for (int i = 0; i < 10; i++)
        assert_int_equal(h.count[i], 10);
    assert_int_equal(h.total, 100);
    assert_int_equal(sn_score_hist_bin(&h, 10.99), 0);
    assert_int_equal(sn_score_hist_bin(&h, 11), 1);
    assert_int_equal(sn_score_hist_bin(&h, 1e9), 9);
    /* Half the scores tied at the minimum (as most events carry no evidence): 50 zeros, then
     * 1 .. 50; deciles 0 (four times, at the minimum: no edge), 1, 11, 21, 31, 41. */
    for (int i = 0; i < 100; i++)
        s[i] = i < 50 ? 0 : i - 49;
    sn_score_hist_fit(&h, s, 100);
    assert_int_equal(h.n_bins, 6);
    const double edges[] = {1, 11, 21, 31, 41};
    const uint64_t counts[] = {50, 10, 10, 10, 10, 10};
    for (int i = 0; i < 5; i++)
        assert_near(h.edge[i], edges[i], 0);
    for (int i = 0; i < 6; i++)
        assert_int_equal(h.count[i], counts[i]);
    assert_int_equal(sn_score_hist_bin(&h, -5), 0);
    sn_score_hist_fit(&h, s, 0);
    assert_int_equal(h.n_bins, 0);
}

/* A generated, clean history (no compromised users) as text. */
static char *clean_log(size_t *len, uint32_t users)
{
    char *data = NULL;
    FILE *f = open_memstream(&data, len);
    sn_gen_options o;
    sn_gen_options_init(&o);
    o.users = users;
    o.events_per_user = 40;
    o.anomaly_user_rate = 0;
    o.seed = 9;
    sn_error err;
    assert_int_equal(sn_gen_write(&o, f, "gen", NULL, &err), SN_OK);
    fclose(f);
    return data;
}

/* The poison: one account's administrator access to payroll from Pyongyang at 03:00, failing. */
static void poison(sn_event *ev, int64_t day_us)
{
    memset(ev, 0, sizeof(*ev));
    ev->user_id = (sn_str){"U0005", 5};
    ev->resource = (sn_str){"payroll_system", 14};
    ev->action = (sn_str){"admin", 5};
    ev->location = (sn_str){"Pyongyang, KP", 13};
    ev->ts_us = day_us + 3LL * 3600 * 1000000;
    ev->success = 0;
    ev->mfa = -1;
    ev->is_anomaly = -1;
    ev->ip.family = 4;
    const uint8_t ip[4] = {175, 45, 176, 1};
    memcpy(ev->ip.addr, ip, 4);
}

/* Learns the clean history with `poisoned` copies of the poison spread through it; the forest's
 * evidence weighted by forest_weight (0: the behavioural evidence alone). */
static sn_engine *trained(const char *log, size_t len, double filter, int poisoned,
                          double forest_weight, size_t *rows)
{
    sn_engine_config cfg;
    sn_engine_config_default(&cfg);
    cfg.train_filter = filter;
    cfg.forest_every_event = true;
    cfg.iforest_weight = forest_weight;
    sn_engine *e = sn_engine_new(&cfg);
    sn_reader *r;
    sn_error err;
    assert_int_equal(sn_reader_open_mem(&r, log, len, "gen", SN_FORMAT_CSV, &err), SN_OK);
    sn_event ev;
    size_t n = 0;
    while (sn_reader_next(r, &ev, &err) == SN_OK) {
        assert_int_equal(sn_engine_learn(e, &ev, &err), SN_OK);
        if (++n % 100 == 0 && poisoned > 0) {
            sn_event p;
            poison(&p, ev.ts_us - ev.ts_us % (86400LL * 1000000));
            assert_int_equal(sn_engine_learn(e, &p, &err), SN_OK);
            poisoned--;
            n++;
        }
    }
    sn_reader_close(r);
    assert_int_equal(sn_engine_fit(e, &err), SN_OK);
    *rows = n;
    return e;
}

/* Poisoning: 20 copies of one malicious access (0.8% of the training events) planted in the
 * history. Unfiltered, the forest and its calibration count them as training events: a fresh
 * copy is only about as isolated as they were, and gets little of the forest's evidence. The
 * defence (1%) leaves the 24 rows a first forest isolates most out of the forest and its
 * calibration, the 20 planted ones among them: the fresh copy is then more isolated than every
 * row kept, and gets the forest's full evidence, 0.5 * (log2(rows kept) - 6) bits. The
 * baselines learned the same events either way (the behavioural evidence, measured with the
 * forest's weight at 0, is the same), so the difference is the forest's. */
static void poisoned_training_rows_are_left_out(void **state)
{
    (void)state;
    size_t len, rows;
    char *log = clean_log(&len, 80);
    sn_engine *plain = trained(log, len, 0.0, 20, 0.5, &rows);
    sn_engine *guarded = trained(log, len, 0.01, 20, 0.5, &rows);
    sn_engine *behaviour = trained(log, len, 0.01, 20, 0.0, &rows);
    uint64_t dropped = (uint64_t)(0.01 * rows);
    assert_int_equal(sn_engine_get_stats(plain)->train_filtered, 0);
    assert_int_equal(sn_engine_get_stats(guarded)->train_filtered, dropped);
    assert_true(rows > 2000);
    sn_event p;
    poison(&p, 1796000000LL * 1000000);
    sn_verdict a, b, c;
    sn_error err;
    assert_int_equal(sn_engine_analyse(plain, &p, &a, &err), SN_OK);
    assert_int_equal(sn_engine_analyse(guarded, &p, &b, &err), SN_OK);
    assert_int_equal(sn_engine_analyse(behaviour, &p, &c, &err), SN_OK);
    double full = 0.5 * (log2((double)(rows - dropped)) - 6.0);
    printf("poisoned event: forest evidence %.2f bits unfiltered, %.2f filtered (full: %.2f); "
           "behavioural %.2f\n",
           a.anomaly_score - c.anomaly_score, b.anomaly_score - c.anomaly_score, full,
           c.anomaly_score);
    assert_near(b.anomaly_score - c.anomaly_score, full, 1e-9);
    assert_true(a.anomaly_score - c.anomaly_score < full - 0.5);
    sn_engine_free(plain);
    sn_engine_free(guarded);
    sn_engine_free(behaviour);
    free(log);
}

/* Filter off: nothing left out; the share is kept with the model and read back. */
static void the_filter_round_trips_with_the_model(void **state)
{
    (void)state;
    size_t len, rows;
    char *log = clean_log(&len, 30);
    sn_engine *e = trained(log, len, 0.02, 0, 0.5, &rows);
    char model[] = "/tmp/sn_model_XXXXXX";
    int fd = mkstemp(model);
    assert_true(fd >= 0);
    close(fd);
    sn_error err;
    assert_int_equal(sn_engine_save(e, model, &err), SN_OK);
    sn_engine *loaded = NULL;
    assert_int_equal(sn_engine_load(&loaded, model, &err), SN_OK);
    assert_near(sn_engine_get_config(loaded)->train_filter, 0.02, 0);
    assert_int_equal(sn_engine_get_stats(loaded)->train_filtered,
                     sn_engine_get_stats(e)->train_filtered);
    assert_int_equal(sn_engine_get_stats(e)->train_filtered, (uint64_t)(0.02 * rows));
    /* The training risk distribution too, bin for bin. */
    const sn_score_hist *h = sn_engine_score_hist(e), *g = sn_engine_score_hist(loaded);
    assert_true(h->n_bins >= 2);
    assert_int_equal(h->n_bins, g->n_bins);
    assert_true(h->total > 0 && h->total <= rows); /* the rows of users known well enough */
    assert_int_equal(g->total, h->total);
    assert_memory_equal(h->edge, g->edge, (size_t)(h->n_bins - 1) * sizeof(double));
    assert_memory_equal(h->count, g->count, (size_t)h->n_bins * sizeof(uint64_t));
    sn_engine_free(loaded);

    /* Files of earlier formats (2; 4, whose baselines had no autonomous systems; 5, without
     * the organisation's AWS accounts) are refused, saying what to do. */
    FILE *f = fopen(model, "r+b");
    assert_non_null(f);
    fseek(f, 8, SEEK_SET);
    const uint8_t v5[4] = {5, 0, 0, 0};
    assert_int_equal(fwrite(v5, 1, 4, f), 4);
    fclose(f);
    assert_int_equal(sn_engine_load(&loaded, model, &err), SN_ERR_MODEL);
    assert_null(loaded);
    assert_string_equal(err.msg, "model format version 5 is not supported (this build reads 7): "
                                 "train the model again with `sentinel train`");
    f = fopen(model, "r+b");
    assert_non_null(f);
    fseek(f, 8, SEEK_SET);
    const uint8_t v2[4] = {2, 0, 0, 0};
    assert_int_equal(fwrite(v2, 1, 4, f), 4);
    fclose(f);
    assert_int_equal(sn_engine_load(&loaded, model, &err), SN_ERR_MODEL);
    assert_null(loaded);
    assert_string_equal(err.msg, "model format version 2 is not supported (this build reads 7): "
                                 "train the model again with `sentinel train`");
    remove(model);
    sn_engine_free(e);
    free(log);
}

/* Without drift the live risks look like the training ones: a model trained on the first two
 * thirds of a log (by time) and the last third judged after it give a population stability index
 * well under 0.1 ("stable"): generated data (200 users) and, when present, the reference
 * system's 2000 users (measured 0.025). */
static double continuation_psi(const char *data, size_t len, const char *path)
{
    sn_engine *e = sn_engine_new(NULL);
    sn_reader *r;
    sn_error err;
    sn_event ev;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (int pass = 0; pass < 3; pass++) {
        if (path)
            assert_int_equal(sn_reader_open(&r, path, SN_FORMAT_AUTO, &err), SN_OK);
        else
            assert_int_equal(sn_reader_open_mem(&r, data, len, "gen", SN_FORMAT_CSV, &err), SN_OK);
        int64_t cut = pass ? lo + (hi - lo) / 3 * 2 : 0;
        uint64_t live[SN_HIST_BINS] = {0};
        while (sn_reader_next(r, &ev, &err) == SN_OK) {
            if (pass == 0) {
                lo = ev.ts_us < lo ? ev.ts_us : lo;
                hi = ev.ts_us > hi ? ev.ts_us : hi;
            } else if (pass == 1 && ev.ts_us < cut) {
                assert_int_equal(sn_engine_learn(e, &ev, &err), SN_OK);
            } else if (pass == 2 && ev.ts_us >= cut) {
                sn_verdict v;
                assert_int_equal(sn_engine_analyse(e, &ev, &v, &err), SN_OK);
                live[sn_score_hist_bin(sn_engine_score_hist(e), v.risk_score)]++;
            }
        }
        sn_reader_close(r);
        if (pass == 1)
            assert_int_equal(sn_engine_fit(e, &err), SN_OK);
        if (pass == 2) {
            const sn_score_hist *h = sn_engine_score_hist(e);
            double psi = sn_psi(h->count, live, h->n_bins);
            sn_engine_free(e);
            return psi;
        }
    }
    return NAN;
}

static void no_drift_without_change(void **state)
{
    (void)state;
    size_t len;
    char *log = clean_log(&len, 200);
    double psi = continuation_psi(log, len, NULL);
    printf("generated, 200 users: PSI of the last third against training %.4f\n", psi);
    assert_true(psi < 0.1);
    free(log);
    const char *path = tu_data_path("reference/sample_iam_logs_2000x50.csv");
    if (!path)
        return;
    psi = continuation_psi(NULL, 0, path);
    printf("sample_iam_logs_2000x50.csv: PSI of the last third against training %.4f\n", psi);
    assert_true(psi < 0.1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(psi_of_a_known_histogram),
        cmocka_unit_test(histogram_of_known_scores),
        cmocka_unit_test(poisoned_training_rows_are_left_out),
        cmocka_unit_test(the_filter_round_trips_with_the_model),
        cmocka_unit_test(no_drift_without_change),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
