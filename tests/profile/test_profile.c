/* Baselines: hierarchical Pitman-Yor probabilities with known answers, cold starts, bursts,
 * and the serialisation round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "ingest/ingest.h"
#include "profile/profile.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static sn_str S(const char *s)
{
    return (sn_str){s, strlen(s)};
}

static sn_event event(const char *user, const char *ip, int64_t ts_us, int success)
{
    sn_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.user_id = S(user);
    ev.department = S("Finance");
    ev.resource = S("payroll_system");
    ev.action = S("read");
    ev.location = S("London, UK");
    ev.ts_us = ts_us;
    ev.success = (int8_t)success;
    ev.is_anomaly = -1;
    ev.mfa = -1;
    sn_error err;
    assert_int_equal(sn_parse_ip(ip, strlen(ip), &ev.ip, &err), SN_OK);
    return ev;
}

static void feed(sn_profiles *p, const sn_event *ev, sn_judgement *j)
{
    sn_obs o;
    assert_int_equal(sn_profiles_observe(p, ev, &o), SN_OK);
    sn_profiles_judge(p, &o, j);
    assert_int_equal(sn_profiles_update(p, &o, j), SN_OK);
}

/* Ten events from 10.0.0.0/16, then one from 8.8.0.0/16. With theta 1 and discount 0.5 at all
 * three levels (one user, one group), the new network has probability
 * (1.5/11) * (1.5/11) * (1.5/11) = 0.0025357..., i.e. 8.6234 bits; the usual one 0 bits. */
static void new_network_known_answer(void **state)
{
    (void)state;
    sn_profiles *p = sn_profiles_new(NULL);
    assert_non_null(p);
    sn_judgement j;
    int64_t t = 1788000000LL * 1000000;
    for (int i = 0; i < 10; i++) {
        sn_event ev = event("alice", "10.0.1.2", t + i * 3600000000LL, 1);
        feed(p, &ev, &j);
    }
    sn_event usual = event("alice", "10.0.9.9", t + 11 * 3600000000LL, 1);
    sn_obs o;
    assert_int_equal(sn_profiles_observe(p, &usual, &o), SN_OK);
    sn_profiles_judge(p, &o, &j);
    assert_true(fabs(j.bits[SN_ATTR_NETWORK]) < 1e-12);
    sn_event odd = event("alice", "8.8.8.8", t + 11 * 3600000000LL, 1);
    assert_int_equal(sn_profiles_observe(p, &odd, &o), SN_OK);
    sn_profiles_judge(p, &o, &j);
    double expected = -3.0 * log2(1.5 / 11.0);
    assert_true(fabs(j.bits[SN_ATTR_NETWORK] - expected) < 1e-9);
    assert_int_equal(j.user_count[SN_ATTR_NETWORK], 0);
    assert_int_equal(j.user_n[SN_ATTR_NETWORK], 10);
    assert_string_equal(sn_profiles_value_name(p, SN_ATTR_NETWORK, o.value[SN_ATTR_NETWORK]),
                        "8.8.0.0/16");
    sn_profiles_free(p);
}

/* A new user's first event is judged by the peers: a network every peer uses costs nothing. */
static void cold_start_uses_peers(void **state)
{
    (void)state;
    sn_profiles *p = sn_profiles_new(NULL);
    sn_judgement j;
    int64_t t = 1788000000LL * 1000000;
    const char *users[] = {"u1", "u2", "u3", "u4"};
    for (int i = 0; i < 40; i++) {
        sn_event ev = event(users[i % 4], "10.0.1.2", t + i * 60000000LL, 1);
        feed(p, &ev, &j);
    }
    sn_event first = event("newcomer", "10.0.3.4", t + 41 * 60000000LL, 1);
    sn_obs o;
    assert_int_equal(sn_profiles_observe(p, &first, &o), SN_OK);
    sn_profiles_judge(p, &o, &j);
    assert_true(j.bits[SN_ATTR_NETWORK] < 0.1);
    assert_int_equal(j.user_n[SN_ATTR_NETWORK], 0);
    sn_event stranger = event("newcomer2", "203.0.113.5", t + 41 * 60000000LL, 1);
    assert_int_equal(sn_profiles_observe(p, &stranger, &o), SN_OK);
    sn_profiles_judge(p, &o, &j);
    assert_true(j.bits[SN_ATTR_NETWORK] > 5.0);
    sn_profiles_free(p);
}

/* Failures from one source for many accounts within minutes count distinct accounts. */
static void spray_counts_distinct_accounts(void **state)
{
    (void)state;
    sn_profiles *p = sn_profiles_new(NULL);
    sn_judgement j;
    int64_t t = 1788000000LL * 1000000;
    char name[16];
    for (int i = 0; i < 7; i++) {
        snprintf(name, sizeof(name), "acct%d", i);
        sn_event ev = event(name, "198.51.100.7", t + i * 1000LL, 0);
        feed(p, &ev, &j);
    }
    assert_true(j.source_fail_users > 6.9 && j.source_fail_users <= 7.0);
    assert_true(j.source_fail_burst > 6.9 && j.source_fail_burst <= 7.0);
    sn_profiles_free(p);
}

static void serialisation_round_trip(void **state)
{
    (void)state;
    sn_profiles *p = sn_profiles_new(NULL);
    sn_judgement j, k;
    int64_t t = 1788000000LL * 1000000;
    for (int i = 0; i < 50; i++) {
        sn_event ev = event(i % 3 ? "alice" : "bob", i % 7 ? "10.0.1.2" : "192.0.2.1",
                            t + i * 600000000LL, i % 9 != 0);
        feed(p, &ev, &j);
    }
    sn_buf b;
    sn_buf_init(&b);
    assert_int_equal(sn_profiles_write(p, &b), SN_OK);
    sn_profiles *q = NULL;
    sn_error err;
    size_t used = 0;
    assert_int_equal(sn_profiles_read(&q, NULL, (const uint8_t *)b.data, b.len, &used, &err),
                     SN_OK);
    assert_int_equal(used, b.len);
    sn_event probe = event("alice", "203.0.113.9", t + 60 * 600000000LL, 0);
    sn_obs o1, o2;
    assert_int_equal(sn_profiles_observe(p, &probe, &o1), SN_OK);
    assert_int_equal(sn_profiles_observe(q, &probe, &o2), SN_OK);
    sn_profiles_judge(p, &o1, &j);
    sn_profiles_judge(q, &o2, &k);
    for (int a = 0; a < SN_ATTR_COUNT; a++)
        assert_true(j.bits[a] == k.bits[a]);
    /* Every truncation is refused, never read past the end. */
    for (size_t cut = 0; cut < b.len; cut += 97) {
        sn_profiles *r = NULL;
        assert_int_equal(sn_profiles_read(&r, NULL, (const uint8_t *)b.data, cut, &used, &err),
                         SN_ERR_MODEL);
        assert_null(r);
    }
    sn_buf_free(&b);
    sn_profiles_free(p);
    sn_profiles_free(q);
}

/* Baselines with no peer group at all (no event named a department) round-trip; reading them
 * once passed a null array to memcpy. */
static void baselines_without_departments_round_trip(void **state)
{
    (void)state;
    sn_profiles *p = sn_profiles_new(NULL);
    sn_judgement j;
    sn_event ev = event("solo", "10.0.0.1", 1788000000LL * 1000000, 1);
    ev.department = (sn_str){0};
    feed(p, &ev, &j);
    sn_buf b;
    sn_buf_init(&b);
    assert_int_equal(sn_profiles_write(p, &b), SN_OK);
    sn_profiles *q = NULL;
    sn_error err;
    size_t used;
    assert_int_equal(sn_profiles_read(&q, NULL, (const uint8_t *)b.data, b.len, &used, &err),
                     SN_OK);
    assert_int_equal(sn_profiles_user_count(q), 1);
    sn_buf_free(&b);
    sn_profiles_free(p);
    sn_profiles_free(q);
}

/* Counts stay exact when a user's values outgrow the inline slots and spill into the map. */
static void many_values_per_user_counted_exactly(void **state)
{
    (void)state;
    sn_profiles *p = sn_profiles_new(NULL);
    sn_judgement j;
    char name[20][16];
    int64_t t = 1788000000LL * 1000000;
    for (int round = 0; round < 3; round++)
        for (int r = 0; r < 20; r++) {
            snprintf(name[r], sizeof(name[r]), "res%02d", r);
            sn_event ev = event("alice", "10.0.0.1", t, 1);
            ev.resource = (sn_str){name[r], strlen(name[r])};
            t += 60000000LL;
            feed(p, &ev, &j);
        }
    for (int r = 0; r < 20; r++) {
        sn_event ev = event("alice", "10.0.0.1", t, 1);
        ev.resource = (sn_str){name[r], strlen(name[r])};
        sn_obs o;
        assert_int_equal(sn_profiles_observe(p, &ev, &o), SN_OK);
        sn_profiles_judge(p, &o, &j);
        assert_int_equal(j.user_count[SN_ATTR_RESOURCE], 3);
        assert_int_equal(j.user_distinct[SN_ATTR_RESOURCE], 20);
        assert_int_equal(j.user_n[SN_ATTR_RESOURCE], 60);
    }
    sn_profiles_free(p);
}

/* Networks are named by their prefix: IPv4 /16, IPv6 /48, IPv4-mapped IPv6 as IPv4. */
static void network_names(void **state)
{
    (void)state;
    sn_profiles *p = sn_profiles_new(NULL);
    static const char *const ips[] = {"2001:db8:1:2::9", "::ffff:192.0.2.7", "10.20.30.40"};
    static const char *const names[] = {"2001:db8:1::/48", "192.0.0.0/16", "10.20.0.0/16"};
    for (int i = 0; i < 3; i++) {
        sn_event ev = event("dave", ips[i], 1788000000LL * 1000000, 1);
        sn_obs o;
        assert_int_equal(sn_profiles_observe(p, &ev, &o), SN_OK);
        assert_string_equal(sn_profiles_value_name(p, SN_ATTR_NETWORK, o.value[SN_ATTR_NETWORK]),
                            names[i]);
    }
    sn_profiles_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(new_network_known_answer),
        cmocka_unit_test(cold_start_uses_peers),
        cmocka_unit_test(spray_counts_distinct_accounts),
        cmocka_unit_test(serialisation_round_trip),
        cmocka_unit_test(baselines_without_departments_round_trip),
        cmocka_unit_test(many_values_per_user_counted_exactly),
        cmocka_unit_test(network_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
