/* The server watching itself: failed authentications and rate-limited requests counted in
 * sliding windows on an injected clock, with exact counts, alert texts, one alert per window,
 * the overall thresholds, bounded memory, and each alert in the anomaly feed, the metrics and the
 * audit log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixture.h"

#include "audit/audit.h"
#include "server/server_internal.h"

#include <unistd.h>

static int64_t now;

static int64_t fake_now(void)
{
    return now;
}

#define T0 1764756000000000LL /* 2025-12-03T10:00:00Z */
#define SEC 1000000LL

static sn_service *service(int per_source, int overall, int rate_per_key, int rate_overall)
{
    sn_server_config cfg;
    sn_server_config_default(&cfg);
    cfg.max_future_seconds = 0;  /* fixtures carry fixed dates, some ahead of the clock */
    cfg.insecure_no_auth = true; /* authentication is not what this tests */
    snprintf(cfg.model, sizeof(cfg.model), "test.bin");
    cfg.selfwatch_auth_failures_per_source = per_source;
    cfg.selfwatch_auth_failures = overall;
    cfg.selfwatch_rate_limited_per_key = rate_per_key;
    cfg.selfwatch_rate_limited = rate_overall;
    sn_engine *e = fx_engine(false);
    assert_non_null(e);
    sn_service *s;
    sn_error err;
    assert_int_equal(sn_service_new(&s, e, &cfg, NULL, &err), SN_OK);
    sn_selfwatch_set_clock(s, fake_now);
    now = T0;
    return s;
}

/* The reasons of the anomaly feed, newest first, one a line. */
static void feed(sn_service *s, char *out, size_t cap)
{
    fx_answer *a = fx_call(s, "GET", "/api/v1/anomalies", NULL, NULL, 0);
    assert_int_equal(a->status, 200);
    json_t *root = json_loads(a->body, 0, NULL);
    assert_non_null(root);
    size_t o = 0, i;
    json_t *item;
    out[0] = '\0';
    json_array_foreach(json_object_get(root, "anomalies"), i, item)
    {
        const char *r = json_string_value(json_array_get(json_object_get(item, "reasons"), 0));
        o += (size_t)snprintf(out + o, cap - o, "%s\n", r ? r : "?");
    }
    json_decref(root);
}

static uint64_t metric(sn_service *s, const char *kind)
{
    fx_answer *a = fx_call(s, "GET", "/metrics", NULL, NULL, 0);
    char want[128];
    snprintf(want, sizeof(want), "sentinel_self_alerts_total{kind=\"%s\"} ", kind);
    const char *p = strstr(a->body, want);
    assert_non_null(p);
    return strtoull(p + strlen(want), NULL, 10);
}

static void one_alert_per_window_per_source(void **state)
{
    (void)state;
    sn_service *s = service(20, 0, 0, 0);
    char text[4096];
    for (int i = 0; i < 19; i++) {
        sn_selfwatch_auth_failure(s, "203.0.113.9");
        now += SEC;
    }
    assert_int_equal(sn_selfwatch_alerts(s, SN_SELF_AUTH_PER_SOURCE), 0);
    feed(s, text, sizeof(text));
    assert_string_equal(text, "");
    sn_selfwatch_auth_failure(s, "203.0.113.9"); /* the 20th, 19 s after the first */
    assert_int_equal(sn_selfwatch_alerts(s, SN_SELF_AUTH_PER_SOURCE), 1);
    /* 22 more in the same window: still one alert. */
    for (int i = 0; i < 22; i++)
        sn_selfwatch_auth_failure(s, "203.0.113.9");
    assert_int_equal(sn_selfwatch_alerts(s, SN_SELF_AUTH_PER_SOURCE), 1);
    feed(s, text, sizeof(text));
    assert_string_equal(text, "20 failed authentications from 203.0.113.9 in the last minute\n");
    assert_int_equal(metric(s, "auth_failures_per_source"), 1);
    assert_int_equal(metric(s, "auth_failures_overall"), 0);

    /* The feed entry reads like a verdict. */
    fx_answer *a = fx_call(s, "GET", "/api/v1/anomalies", NULL, NULL, 0);
    assert_non_null(strstr(a->body, "{\"event_id\":\"self-1\",\"user_id\":null,\"timestamp\":"
                                    "\"2025-12-03T10:00:19.000000Z\",\"source_ip\":"
                                    "\"203.0.113.9\",\"resource\":\"sentinel\",\"action\":"
                                    "\"authenticate\",\"is_anomaly\":true,\"risk_score\":75.00,"));
    assert_non_null(strstr(a->body, "\"kind\":\"self_alert\",\"alert\":\"auth_failures_per_"
                                    "source\",\"count\":20,\"threshold\":20,\"window_seconds\":60,"
                                    "\"source\":\"203.0.113.9\"}"));

    /* 23 more at 70 s: past the threshold, but within a window of the alert. */
    now = T0 + 70 * SEC;
    for (int i = 0; i < 23; i++)
        sn_selfwatch_auth_failure(s, "203.0.113.9");
    assert_int_equal(sn_selfwatch_alerts(s, SN_SELF_AUTH_PER_SOURCE), 1);
    /* A window after the alert (everything up to 19 s has left it): 23 + 1. */
    now = T0 + 79 * SEC;
    sn_selfwatch_auth_failure(s, "203.0.113.9");
    assert_int_equal(sn_selfwatch_alerts(s, SN_SELF_AUTH_PER_SOURCE), 2);
    feed(s, text, sizeof(text));
    assert_string_equal(text, "24 failed authentications from 203.0.113.9 in the last minute\n"
                              "20 failed authentications from 203.0.113.9 in the last minute\n");
    sn_service_free(s);
}

static void the_window_slides(void **state)
{
    (void)state;
    sn_service *s = service(20, 0, 0, 0);
    /* 10 at 0 s and 10 at 60 s: the first ten have left the window. */
    for (int i = 0; i < 10; i++)
        sn_selfwatch_auth_failure(s, "198.51.100.1");
    now = T0 + 60 * SEC;
    for (int i = 0; i < 10; i++)
        sn_selfwatch_auth_failure(s, "198.51.100.1");
    assert_int_equal(sn_selfwatch_alerts(s, SN_SELF_AUTH_PER_SOURCE), 0);
    /* 10 more at 119 s join the ten of 60 s. */
    now = T0 + 119 * SEC;
    for (int i = 0; i < 9; i++)
        sn_selfwatch_auth_failure(s, "198.51.100.1");
    assert_int_equal(sn_selfwatch_alerts(s, SN_SELF_AUTH_PER_SOURCE), 0);
    sn_selfwatch_auth_failure(s, "198.51.100.1");
    assert_int_equal(sn_selfwatch_alerts(s, SN_SELF_AUTH_PER_SOURCE), 1);
    /* Other sources are counted apart. */
    for (int i = 0; i < 19; i++)
        sn_selfwatch_auth_failure(s, "198.51.100.2");
    assert_int_equal(sn_selfwatch_alerts(s, SN_SELF_AUTH_PER_SOURCE), 1);
    sn_service_free(s);
}

static void overall_spikes_and_rate_limits(void **state)
{
    (void)state;
    sn_service *s = service(20, 100, 50, 60);
    char src[32], text[4096];
    /* 100 sources failing once each within 50 s: no source alert, one overall alert. */
    for (int i = 0; i < 100; i++) {
        snprintf(src, sizeof(src), "192.0.2.%d", i);
        sn_selfwatch_auth_failure(s, src);
        now += SEC / 2;
    }
    assert_int_equal(sn_selfwatch_alerts(s, SN_SELF_AUTH_PER_SOURCE), 0);
    assert_int_equal(sn_selfwatch_alerts(s, SN_SELF_AUTH_OVERALL), 1);
    for (int i = 0; i < 49; i++)
        sn_selfwatch_rate_limited(s, "key-ops-1");
    assert_int_equal(sn_selfwatch_alerts(s, SN_SELF_RATE_PER_KEY), 0);
    sn_selfwatch_rate_limited(s, "key-ops-1");
    assert_int_equal(sn_selfwatch_alerts(s, SN_SELF_RATE_PER_KEY), 1);
    for (int i = 0; i < 10; i++)
        sn_selfwatch_rate_limited(s, "key-ops-2");
    assert_int_equal(sn_selfwatch_alerts(s, SN_SELF_RATE_OVERALL), 1);
    feed(s, text, sizeof(text));
    assert_string_equal(text, "60 rate-limited requests in the last minute, from all callers\n"
                              "50 rate-limited requests from key-ops-1 in the last minute\n"
                              "100 failed authentications in the last minute, from all sources\n");
    assert_int_equal(metric(s, "rate_limited_per_key"), 1);
    assert_int_equal(metric(s, "rate_limited_overall"), 1);
    assert_int_equal(metric(s, "auth_failures_overall"), 1);
    sn_service_free(s);
}

static void memory_is_bounded(void **state)
{
    (void)state;
    sn_service *s = service(20, 0, 0, 0);
    sn_selfwatch_set_clock(s, fake_now);
    for (int i = 0; i < 19; i++)
        sn_selfwatch_auth_failure(s, "203.0.113.50");
    now += SEC;
    /* 5,000 other sources: more than are followed at once, so the oldest makes way. */
    char src[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(src, sizeof(src), "10.%d.%d.1", i / 256, i % 256);
        sn_selfwatch_auth_failure(s, src);
    }
    sn_selfwatch_auth_failure(s, "203.0.113.50");
    assert_int_equal(sn_selfwatch_alerts(s, SN_SELF_AUTH_PER_SOURCE), 0);
    /* Followed again from one: 19 more make 20. */
    for (int i = 0; i < 19; i++)
        sn_selfwatch_auth_failure(s, "203.0.113.50");
    assert_int_equal(sn_selfwatch_alerts(s, SN_SELF_AUTH_PER_SOURCE), 1);
    /* Odd keys are shown safely. */
    sn_selfwatch_rate_limited(s, "a\"b\\c\n");
    sn_service_free(s);
}

static void alerts_are_audited_without_the_address_in_the_text(void **state)
{
    (void)state;
    char path[64];
    snprintf(path, sizeof(path), "/tmp/sn-sw-audit-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    sn_audit_options o = {.path = path,
                          .key = (const unsigned char *)"0123456789abcdef0123456789abcdef",
                          .key_len = 32,
                          .pseudonym_key =
                              (const unsigned char *)"pseudonym-key-0123456789abcdef!!",
                          .pseudonym_key_len = 32};
    sn_audit *a;
    sn_error err;
    assert_int_equal(sn_audit_open(&a, &o, &err), SN_OK);
    sn_service *s = service(3, 0, 0, 0);
    sn_service_set_audit(s, a);
    assert_ptr_equal(sn_service_audit(s), a);
    for (int i = 0; i < 3; i++)
        sn_selfwatch_auth_failure(s, "203.0.113.77");
    sn_service_free(s);
    sn_audit_close(a);
    FILE *f = fopen(path, "r");
    char line[4096];
    assert_non_null(fgets(line, sizeof(line), f));
    fclose(f);
    assert_non_null(strstr(line, "\"kind\":\"alert\",\"actor\":\"sentinel\",\"source\":\"p:"));
    assert_non_null(strstr(line, "\"details\":{\"alert\":\"auth_failures_per_source\",\"count\":3,"
                                 "\"threshold\":3,\"window_seconds\":60,\"message\":\"3 failed "
                                 "authentications from this source in the last minute\"}"));
    assert_null(strstr(line, "203.0.113.77"));
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_alert_per_window_per_source),
        cmocka_unit_test(the_window_slides),
        cmocka_unit_test(overall_spikes_and_rate_limits),
        cmocka_unit_test(memory_is_bounded),
        cmocka_unit_test(alerts_are_audited_without_the_address_in_the_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
