/* User risk score: each of the five factors on hand-built histories with known answers, the
 * window, the per-user bound and the peer group. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "risk/user_risk.h"

#include <math.h>
#include <string.h>

#define HOUR_US (3600LL * 1000000)
#define DAY_US (24 * HOUR_US)
#define T0 (1788000000LL * 1000000) /* a Monday, 2026 */

typedef struct spec {
    int64_t ts_us;
    double bits;
    bool anomaly;
    int8_t success;
    int sensitivity, action_risk;
    bool business_hours, suspicious;
} spec;

static void add(sn_user_history *h, const char *user, const char *dept, spec s)
{
    sn_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.user_id = (sn_str){user, strlen(user)};
    if (dept)
        ev.department = (sn_str){dept, strlen(dept)};
    ev.ts_us = s.ts_us;
    ev.success = s.success;
    sn_verdict v;
    memset(&v, 0, sizeof(v));
    v.anomaly_score = s.bits;
    v.is_anomaly = s.anomaly;
    v.features[SN_F_RESOURCE_SENSITIVITY] = (float)(s.sensitivity ? s.sensitivity : 1);
    v.features[SN_F_ACTION_RISK] = (float)(s.action_risk ? s.action_risk : 1);
    v.features[SN_F_IS_BUSINESS_HOURS] = s.business_hours;
    v.features[SN_F_SUSPICIOUS_LOCATION] = s.suspicious;
    assert_int_equal(sn_user_history_add(h, &ev, &v), SN_OK);
}

static spec normal(int i)
{
    return (spec){.ts_us = T0 + i * HOUR_US, .bits = 2.0, .success = 1, .business_hours = true};
}

static void test_factors(void **state)
{
    (void)state;
    sn_user_history *h = sn_user_history_new(NULL);
    assert_non_null(h);
    /* Ten events: one anomaly, one failure, two off hours, five on a sensitive resource, two
     * writes. */
    for (int i = 0; i < 10; i++) {
        spec s = normal(i);
        s.anomaly = i == 0;
        s.success = i == 1 ? 0 : 1;
        s.business_hours = i != 2 && i != 3;
        s.sensitivity = i < 5 ? 3 : 1;
        s.action_risk = i >= 8 ? 3 : 1;
        add(h, "alice", "Finance", s);
    }
    sn_user_risk r;
    assert_true(sn_user_risk_compute(h, "alice", 5, &r));
    assert_int_equal(r.events, 10);
    assert_true(fabs(r.factor[SN_UF_ANOMALY] - 50.0) < 1e-9);            /* 10% x 500 */
    assert_true(fabs(r.factor[SN_UF_FAILED_ATTEMPTS] - 100.0) < 1e-9);   /* 10% x 1000 */
    assert_true(fabs(r.factor[SN_UF_POLICY_VIOLATIONS] - 100.0) < 1e-9); /* 20% x 500 */
    assert_true(fabs(r.factor[SN_UF_SENSITIVE_ACCESS] - 38.0) < 1e-9);   /* 60x0.5 + 40x0.2 */
    assert_true(r.factor[SN_UF_PEER_DEVIATION] == 0.0);                  /* no peers */
    double want = 0.30 * 50 + 0.20 * 38 + 0.15 * 100 + 0.15 * 100;
    assert_true(fabs(r.risk_score - want) < 1e-9);
    assert_int_equal(r.level, SN_MEDIUM);
    assert_string_equal(r.department, "Finance");
    bool credentials = false;
    for (int i = 0; i < r.n_recommendations; i++)
        credentials |= strstr(r.recommendations[i], "credentials") != NULL;
    assert_true(credentials);
    assert_false(sn_user_risk_compute(h, "bob", 3, &r));
    sn_user_history_free(h);
}

static void test_weights(void **state)
{
    (void)state;
    double sum = 0;
    for (int f = 0; f < SN_UF_COUNT; f++)
        sum += sn_user_factor_weight((sn_user_factor)f);
    assert_true(fabs(sum - 1.0) < 1e-12);
    assert_string_equal(sn_user_factor_name(SN_UF_ANOMALY), "anomaly_score");
    assert_string_equal(sn_user_factor_name(SN_UF_POLICY_VIOLATIONS), "policy_violations");
}

static void test_quiet_user(void **state)
{
    (void)state;
    sn_user_history *h = sn_user_history_new(NULL);
    for (int i = 0; i < 20; i++)
        add(h, "carol", "Sales", normal(i));
    sn_user_risk r;
    assert_true(sn_user_risk_compute(h, "carol", 5, &r));
    assert_true(r.risk_score == 0.0);
    assert_int_equal(r.level, SN_NORMAL);
    assert_int_equal(r.n_recommendations, 1);
    assert_string_equal(r.recommendations[0], "continue normal monitoring");
    sn_user_history_free(h);
}

static void test_window_and_bound(void **state)
{
    (void)state;
    sn_user_risk_params p;
    sn_user_risk_params_default(&p);
    p.window_days = 7;
    p.per_user = 5;
    sn_user_history *h = sn_user_history_new(&p);
    /* An old anomaly 30 days back, then four normal events this week. */
    spec old = normal(0);
    old.anomaly = true;
    old.ts_us = T0 - 30 * DAY_US;
    add(h, "dave", NULL, old);
    for (int i = 0; i < 4; i++)
        add(h, "dave", NULL, normal(i));
    sn_user_risk r;
    assert_true(sn_user_risk_compute(h, "dave", 4, &r));
    assert_int_equal(r.events, 4); /* the old one is outside the window */
    assert_true(r.factor[SN_UF_ANOMALY] == 0.0);
    assert_true(r.window_start_us == T0 + 3 * HOUR_US - 7 * DAY_US);
    /* Arriving late, an event inside the window counts. */
    spec late = normal(0);
    late.anomaly = true;
    late.ts_us = T0 - DAY_US;
    add(h, "dave", NULL, late);
    assert_true(sn_user_risk_compute(h, "dave", 4, &r));
    assert_int_equal(r.events, 5);
    assert_int_equal(r.anomalies, 1);
    /* Only the five most recent events are kept: six more push the anomaly out. */
    for (int i = 4; i < 10; i++)
        add(h, "dave", NULL, normal(i));
    assert_true(sn_user_risk_compute(h, "dave", 4, &r));
    assert_int_equal(r.events, 5);
    assert_int_equal(r.anomalies, 0);
    sn_user_history_free(h);
}

/* Long streams, in time order and with late events: after every event the window's counts and
 * mean score equal a count by hand over the events kept (the latest per_user by time). */
static void check_stream(bool late_events)
{
    sn_user_risk_params p;
    sn_user_risk_params_default(&p);
    p.window_days = 2;
    p.per_user = 7;
    sn_user_history *h = sn_user_history_new(&p);
    spec all[400];
    int64_t t = T0, latest = INT64_MIN;
    uint64_t rng = 12345;
    for (int i = 0; i < 400; i++) {
        rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
        unsigned r = (unsigned)(rng >> 33);
        t += (int64_t)(r % 40) * HOUR_US / 4; /* gaps of 0 to 10 hours */
        spec s = normal(0);
        s.ts_us = late_events && r % 9 == 0 ? t - 3 * DAY_US : t;
        s.bits = (double)(r % 1000) / 37.0;
        s.anomaly = r % 5 == 0;
        s.success = (int8_t)(r % 7 == 0 ? 0 : (r % 11 == 0 ? -1 : 1));
        s.sensitivity = 1 + (int)(r % 3);
        s.action_risk = 1 + (int)(r % 5);
        s.business_hours = r % 4 != 0;
        all[i] = s;
        add(h, "erin", NULL, s);
        latest = s.ts_us > latest ? s.ts_us : latest;
        uint32_t events = 0, anomalies = 0, failures = 0, known = 0, sensitive = 0;
        double sum = 0.0;
        /* Kept: the per_user latest events by time, a later arrival winning a tie. */
        int order[400] = {0};
        for (int k = 0; k <= i; k++) {
            int j = k;
            while (j > 0 && all[order[j - 1]].ts_us > all[k].ts_us) {
                order[j] = order[j - 1];
                j--;
            }
            order[j] = k;
        }
        for (int q = i + 1 - (int)p.per_user < 0 ? 0 : i + 1 - (int)p.per_user; q <= i; q++) {
            const spec *e = &all[order[q]];
            if (e->ts_us < latest - 2 * DAY_US)
                continue;
            events++;
            anomalies += e->anomaly;
            failures += e->success == 0;
            known += e->success >= 0;
            sensitive += e->sensitivity >= 3;
            sum += (float)e->bits;
        }
        sn_user_risk out;
        assert_true(sn_user_risk_compute(h, "erin", 4, &out));
        assert_int_equal(out.events, events);
        assert_int_equal(out.anomalies, anomalies);
        assert_int_equal(out.failures, failures);
        assert_int_equal(out.outcomes_known, known);
        assert_int_equal(out.sensitive, sensitive);
        assert_true(fabs(out.mean_anomaly_score - (events ? sum / events : 0.0)) < 1e-6);
    }
    sn_user_history_free(h);
}

static void test_window_over_long_streams(void **state)
{
    (void)state;
    check_stream(false);
    check_stream(true);
}

static void test_peer_deviation(void **state)
{
    (void)state;
    sn_user_history *h = sn_user_history_new(NULL);
    /* Peers with mean anomaly scores 1, 2, 3 bits (mean 2, spread 1); the user at 5 bits is
     * three spreads above: 100. */
    const char *peers[] = {"p1", "p2", "p3"};
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < 4; i++) {
            spec s = normal(i);
            s.bits = k + 1.0;
            add(h, peers[k], "Ops", s);
        }
    for (int i = 0; i < 4; i++) {
        spec s = normal(i);
        s.bits = 5.0;
        add(h, "erin", "Ops", s);
    }
    sn_user_risk r;
    assert_true(sn_user_risk_compute(h, "erin", 4, &r));
    assert_int_equal(r.peers, 3);
    assert_true(fabs(r.peer_mean_anomaly_score - 2.0) < 1e-9);
    assert_true(fabs(r.factor[SN_UF_PEER_DEVIATION] - 100.0) < 1e-9);
    /* p3 is one spread above the others' mean of 3 bits (p1, p2, erin: 1, 2, 5; spread 2.08):
     * below it, nothing. */
    assert_true(sn_user_risk_compute(h, "p1", 2, &r));
    assert_true(r.factor[SN_UF_PEER_DEVIATION] == 0.0);
    /* Moving to another group leaves the old one. */
    spec s = normal(5);
    s.bits = 5.0;
    add(h, "erin", "Legal", s);
    assert_true(sn_user_risk_compute(h, "p1", 2, &r));
    assert_int_equal(r.peers, 2);
    assert_true(sn_user_risk_compute(h, "erin", 4, &r));
    assert_string_equal(r.department, "Legal");
    assert_int_equal(r.peers, 0);
    assert_true(r.factor[SN_UF_PEER_DEVIATION] == 0.0);
    sn_user_history_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_factors),        cmocka_unit_test(test_weights),
        cmocka_unit_test(test_quiet_user),     cmocka_unit_test(test_window_and_bound),
        cmocka_unit_test(test_window_over_long_streams), cmocka_unit_test(test_peer_deviation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
