/* Access-request prediction on real decisions: Amazon's employee access requests (Kaggle 2013,
 * 32,769 requests, 5.8% denied), 5-fold cross-validated ROC AUC with seeded folds. The test uses
 * one ensemble of 60 trees at rate 0.15 to stay quick under the sanitizers; with those settings
 * and seed 7 the mean is 0.892 (the defaults reach 0.896-0.899 over seeds 1-3). The band
 * asserted, a mean of at least 0.86 and every fold at least 0.84, leaves room for other seeds
 * and machines. Skipped when the file is missing. */
#include "testutil.h"

#include "iam/predict.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

static void test_amazon_cross_validated_auc(void **state)
{
    (void)state;
    const char *path = tu_data_path("amazon-access/train.csv");
    if (!path)
        skip();
    sn_predict_data *d = NULL;
    sn_error err;
    assert_int_equal(sn_predict_data_read_csv(&d, path, "ACTION", &err), SN_OK);
    assert_int_equal(sn_predict_data_rows(d), 32769);
    assert_int_equal(sn_predict_data_positives(d), 30872);
    assert_int_equal(sn_predict_data_columns(d), 9);
    sn_predict_params p;
    sn_predict_params_default(&p);
    p.trees.trees = 60;
    p.trees.learning_rate = 0.15;
    p.bags = 1;
    static sn_predict_cv_result r;
    assert_int_equal(sn_predict_cv(d, &p, 5, 7, &r, &err), SN_OK);
    for (int f = 0; f < 5; f++) {
        printf("fold %d ROC AUC %.4f\n", f + 1, r.auc[f]);
        assert_true(r.auc[f] >= 0.84);
    }
    printf("mean ROC AUC %.4f\n", r.mean_auc);
    assert_true(r.mean_auc >= 0.86);
    sn_predict_data_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_amazon_cross_validated_auc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
