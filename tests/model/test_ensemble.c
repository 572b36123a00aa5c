/* Evidence combination and calibration: known answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "model/ensemble.h"

#include <math.h>

static void risk_is_posterior_with_prior_odds(void **state)
{
    (void)state;
    assert_true(fabs(sn_risk_from_bits(10, 10) - 50.0) < 1e-12);
    assert_true(fabs(sn_risk_from_bits(0, 10) - 100.0 / 1025.0) < 1e-12);
    assert_true(fabs(sn_bits_for_risk(90, 10) - (10 + log2(9))) < 1e-12);
    assert_true(fabs(sn_bits_for_risk(25, 10) - (10 - log2(3))) < 1e-12);
    for (double r = 1; r < 100; r += 7.5)
        assert_true(fabs(sn_risk_from_bits(sn_bits_for_risk(r, 10), 10) - r) < 1e-9);
}

static void calibration_reads_tail_share_in_bits(void **state)
{
    (void)state;
    static double scores[4096];
    for (int i = 0; i < 4096; i++)
        scores[i] = (i + 0.5) / 4096.0;
    sn_calibration c;
    sn_calibration_fit(&c, scores, 4096);
    assert_true(fabs(sn_calibration_bits(&c, 0.5) - 1.0) < 0.01);
    assert_true(fabs(sn_calibration_bits(&c, 0.9375) - 4.0) < 0.02);
    assert_true(fabs(sn_calibration_bits(&c, 0.1) + log2(0.9)) < 0.01); /* tail share 0.9 */
    assert_true(sn_calibration_bits(&c, 0.0) == 0.0);
    assert_true(sn_calibration_bits(&c, 2.0) <= 12.0 + 1e-9); /* capped at log2(n) */
}

static void evidence_curves(void **state)
{
    (void)state;
    /* 6 + 2 log2(12926 / 900) */
    assert_true(fabs(sn_evidence_travel(7540, 12926, 500, 900) - 13.688414) < 1e-6);
    assert_true(sn_evidence_travel(300, 5000, 500, 900) == 0.0); /* short hops: GPS/IP noise */
    assert_true(sn_evidence_travel(5000, 850, 500, 900) == 0.0); /* an airliner can do it */
    assert_true(fabs(sn_evidence_travel(5000, 900, 500, 900) - 6.0) < 1e-12);
    assert_true(sn_evidence_travel(5000, 900, 500, 1000) == 0.0); /* a stricter setting */
    assert_true(fabs(sn_evidence_user_failures(5, 5) - 3.0) < 1e-12);
    assert_true(sn_evidence_user_failures(4, 5) == 0.0);
    assert_true(fabs(sn_evidence_user_failures(16, 8) - 6.0) < 1e-12);
    assert_true(fabs(sn_evidence_spray(3, 3) - 5.0) < 1e-12);
    assert_true(sn_evidence_spray(7, 3) > 10.0);
    assert_true(sn_evidence_spray(7, 8) == 0.0);
    assert_true(sn_evidence_volume(10, 1) == 0.0);
    assert_true(sn_evidence_enumeration(4, 5) == 0.0);
    assert_true(fabs(sn_evidence_enumeration(5, 5) - 4.0) < 1e-12);
    assert_true(sn_evidence_success_after_failures(2, 3) == 0.0);
    assert_true(fabs(sn_evidence_success_after_failures(3, 3) - 6.0) < 1e-12);
    assert_true(fabs(sn_evidence_success_after_failures(12, 3) - 10.0) < 1e-12);
    assert_true(sn_evidence_user_failures(100, 0) == 0.0); /* an onset of 0 turns it off */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(risk_is_posterior_with_prior_odds),
        cmocka_unit_test(calibration_reads_tail_share_in_bits),
        cmocka_unit_test(evidence_curves),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
