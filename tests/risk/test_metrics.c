/* ROC AUC, average precision and confusion counts against hand-computed answers (checked with
 * scikit-learn 1.2.1's roc_auc_score and average_precision_score), ties included. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/rng.h"
#include "risk/metrics.h"

#include <math.h>
#include <stdlib.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* cmocka 1.1's assert_float_equal compares in float; these answers need double. */
#define assert_near(a, b, eps)                                                                     \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (!(fabs(a_ - b_) <= (eps)))                                                             \
            fail_msg("%s = %.17g, expected %.17g", #a, a_, b_);                                    \
    } while (0)

static void distinct_scores(void **state)
{
    (void)state;
    /* scikit-learn's documentation example. Positives 0.35, 0.8 against negatives 0.1, 0.4:
     * 3 of 4 pairs ordered. AP: 0.8 (P 1, R 1/2), 0.4 (P 1/2), 0.35 (P 2/3, R 1) -> 5/6. */
    const double s[] = {0.1, 0.4, 0.35, 0.8};
    const int8_t y[] = {0, 0, 1, 1};
    assert_near(sn_roc_auc(s, y, N(s)), 0.75, 1e-12);
    assert_near(sn_average_precision(s, y, N(s)), 5.0 / 6.0, 1e-12);
}

static void ties_count_one_half(void **state)
{
    (void)state;
    /* Pairs (pos, neg): (3,2) (3,1) (2,1) won, (2,2) tied -> 3.5 / 4. AP: threshold 3 gives
     * P 1 R 1/2; threshold 2 takes both tied rows at once: P 2/3, R 1 -> 1/2 + 1/3. */
    const double s[] = {3, 2, 2, 1};
    const int8_t y[] = {1, 1, 0, 0};
    assert_near(sn_roc_auc(s, y, N(s)), 0.875, 1e-12);
    assert_near(sn_average_precision(s, y, N(s)), 5.0 / 6.0, 1e-12);

    /* Positives 0.9 0.8 0.7 0.6, negatives 0.8 0.6 0.5: 3 + 2.5 + 2 + 1.5 = 9 of 12.
     * AP = 1/4 (1 + 2/3 + 3/4 + 4/6) = 37/48. */
    const double s2[] = {0.9, 0.8, 0.8, 0.7, 0.6, 0.6, 0.5};
    const int8_t y2[] = {1, 0, 1, 1, 0, 1, 0};
    assert_near(sn_roc_auc(s2, y2, N(s2)), 0.75, 1e-12);
    assert_near(sn_average_precision(s2, y2, N(s2)), 37.0 / 48.0, 1e-12);

    /* Positives 1, 0 against negatives 1, 1, 0: 0.5 + 0.5 + 1 + 0.5 = 2.5 of 6.
     * AP: threshold 1 (P 1/3, R 1/2), threshold 0 (P 2/5, R 1) -> 1/6 + 1/5. */
    const double s3[] = {1, 1, 1, 0, 0};
    const int8_t y3[] = {0, 1, 0, 0, 1};
    assert_near(sn_roc_auc(s3, y3, N(s3)), 2.5 / 6.0, 1e-12);
    assert_near(sn_average_precision(s3, y3, N(s3)), 1.0 / 6.0 + 1.0 / 5.0, 1e-12);
}

static void all_tied_is_chance(void **state)
{
    (void)state;
    const double s[] = {0.5, 0.5, 0.5, 0.5};
    const int8_t y[] = {0, 1, 0, 1};
    assert_near(sn_roc_auc(s, y, N(s)), 0.5, 1e-12);
    assert_near(sn_average_precision(s, y, N(s)), 0.5, 1e-12);
}

static void perfect_and_reversed(void **state)
{
    (void)state;
    const double s[] = {1, 2, 3, 4, 5};
    const int8_t up[] = {0, 0, 0, 1, 1}, down[] = {1, 1, 0, 0, 0};
    assert_near(sn_roc_auc(s, up, N(s)), 1.0, 1e-12);
    assert_near(sn_average_precision(s, up, N(s)), 1.0, 1e-12);
    assert_near(sn_roc_auc(s, down, N(s)), 0.0, 1e-12);
    /* Positives last: P 1/4 at R 1/2, P 2/5 at R 1. */
    assert_near(sn_average_precision(s, down, N(s)), 0.5 / 4.0 + 0.5 * 2.0 / 5.0, 1e-12);
}

static void undefined_cases_are_nan(void **state)
{
    (void)state;
    const double s[] = {0.1, 0.2, 0.3};
    const int8_t none[] = {0, 0, 0}, all[] = {1, 1, 1}, bad[] = {0, 2, 1};
    assert_true(isnan(sn_roc_auc(s, none, 3)));
    assert_true(isnan(sn_roc_auc(s, all, 3)));
    assert_true(isnan(sn_average_precision(s, none, 3)));
    assert_near(sn_average_precision(s, all, 3), 1.0, 1e-12);
    assert_true(isnan(sn_roc_auc(s, bad, 3)));
    assert_true(isnan(sn_average_precision(s, bad, 3)));
    assert_true(isnan(sn_roc_auc(s, none, 0)));
    const double withnan[] = {0.1, NAN, 0.3};
    const int8_t y[] = {0, 1, 1};
    assert_true(isnan(sn_roc_auc(withnan, y, 3)));
}

/* Against the definition, pair by pair, on random scores with many ties. */
static void matches_pairwise_definition(void **state)
{
    (void)state;
    enum { n = 600 };
    double s[n];
    int8_t y[n];
    sn_rng r;
    sn_rng_seed(&r, 11);
    for (int i = 0; i < n; i++) {
        s[i] = (double)sn_rng_below(&r, 20);
        y[i] = (int8_t)(sn_rng_uniform(&r) < 0.2 + s[i] / 40.0);
    }
    double wins = 0, pairs = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            if (y[i] == 1 && y[j] == 0) {
                pairs++;
                wins += s[i] > s[j] ? 1.0 : s[i] == s[j] ? 0.5 : 0.0;
            }
    assert_near(sn_roc_auc(s, y, n), wins / pairs, 1e-12);
}

static void confusion_at_threshold(void **state)
{
    (void)state;
    const double s[] = {0.9, 0.8, 0.8, 0.7, 0.6, 0.6, 0.5};
    const int8_t y[] = {1, 0, 1, 1, 0, 1, 0};
    sn_confusion c;
    sn_confusion_at(s, y, N(s), 0.7, &c); /* flagged: 0.9 0.8 0.8 0.7 */
    assert_int_equal(c.tp, 3);
    assert_int_equal(c.fp, 1);
    assert_int_equal(c.fn, 1);
    assert_int_equal(c.tn, 2);
    assert_near(c.precision, 0.75, 1e-12);
    assert_near(c.recall, 0.75, 1e-12);
    assert_near(c.f1, 0.75, 1e-12);
    sn_confusion_at(s, y, N(s), 1.0, &c); /* nothing flagged */
    assert_int_equal(c.tp + c.fp, 0);
    assert_near(c.precision, 0.0, 0.0);
    assert_near(c.recall, 0.0, 0.0);
    assert_near(c.f1, 0.0, 0.0);
    sn_confusion_at(s, y, N(s), 0.0, &c); /* everything flagged */
    assert_int_equal(c.tp, 4);
    assert_int_equal(c.fp, 3);
    assert_near(c.recall, 1.0, 1e-12);
    assert_near(c.f1, 2.0 * (4.0 / 7.0) / (4.0 / 7.0 + 1.0), 1e-12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(distinct_scores),         cmocka_unit_test(ties_count_one_half),
        cmocka_unit_test(all_tied_is_chance),      cmocka_unit_test(perfect_and_reversed),
        cmocka_unit_test(undefined_cases_are_nan), cmocka_unit_test(matches_pairwise_definition),
        cmocka_unit_test(confusion_at_threshold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
