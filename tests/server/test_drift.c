/* The drift monitor in process: the live risk scores of the last drift_window events against the
 * model's training distribution. The rest of the history the model learned from stays stable;
 * traffic of strangers (new users, places and actions) raises the alert, which /metrics and the
 * model metrics show, and which clears once ordinary traffic has filled the window again. The
 * index itself is checked exactly on known histograms in tests/risk/test_model_safety.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixture.h"

#include <math.h>

static sn_service *svc;
static sn_buf later[2]; /* the log's last third as two JSON batches: ordinary traffic */

/* An engine trained on the first two thirds (by time) of a generated log of 200 users, behind a
 * service with a window of 500 events; the last third, judged after it, is traffic without
 * drift. */
static int setup(void **state)
{
    (void)state;
    char *data = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&data, &len);
    sn_gen_options o;
    sn_gen_options_init(&o);
    o.users = 200;
    o.events_per_user = 40;
    o.seed = 21;
    sn_error err;
    if (!f || sn_gen_write(&o, f, "gen", NULL, &err) != SN_OK)
        return -1;
    fclose(f);
    int64_t cut = (o.start_day + (int64_t)o.days * 2 / 3) * 86400LL * 1000000;
    sn_engine *e = sn_engine_new(NULL);
    sn_reader *r;
    if (!e || sn_reader_open_mem(&r, data, len, "gen", SN_FORMAT_CSV, &err) != SN_OK)
        return -1;
    sn_event ev;
    size_t n_later = 0;
    for (int i = 0; i < 2; i++) {
        sn_buf_init(&later[i]);
        sn_buf_puts(&later[i], "{\"events\":[");
    }
    while (sn_reader_next(r, &ev, &err) == SN_OK) {
        if (ev.ts_us < cut) {
            sn_engine_learn(e, &ev, &err);
            continue;
        }
        sn_buf *b = &later[n_later++ < 700 ? 0 : 1];
        if (b->data[b->len - 1] != '[')
            sn_buf_putc(b, ',');
        sn_buf_puts(b, "{\"user_id\":");
        sn_buf_json_str(b, ev.user_id.p, ev.user_id.n);
        sn_buf_puts(b, ",\"department\":");
        sn_buf_json_str(b, ev.department.p, ev.department.n);
        sn_buf_puts(b, ",\"job_title\":");
        sn_buf_json_str(b, ev.job_title.p, ev.job_title.n);
        sn_buf_puts(b, ",\"resource\":");
        sn_buf_json_str(b, ev.resource.p, ev.resource.n);
        sn_buf_puts(b, ",\"action\":");
        sn_buf_json_str(b, ev.action.p, ev.action.n);
        sn_buf_puts(b, ",\"timestamp\":");
        sn_buf_json_str(b, ev.raw_timestamp.p, ev.raw_timestamp.n);
        sn_buf_puts(b, ",\"source_ip\":");
        sn_buf_json_str(b, ev.raw_ip.p, ev.raw_ip.n);
        sn_buf_puts(b, ",\"location\":");
        sn_buf_json_str(b, ev.location.p, ev.location.n);
        sn_buf_puts(b, ev.success ? ",\"success\":true}" : ",\"success\":false}");
    }
    sn_reader_close(r);
    free(data);
    for (int i = 0; i < 2; i++)
        sn_buf_puts(&later[i], "]}");
    if (n_later < 1300 || sn_engine_fit(e, &err) != SN_OK)
        return -1;
    sn_server_config cfg;
    sn_server_config_default(&cfg);
    cfg.max_future_seconds = 0;  /* fixtures carry fixed dates, some ahead of the clock */
    cfg.insecure_no_auth = true; /* drift, not who may call, is tested here */
    cfg.rate_general.count = cfg.rate_analysis.count = cfg.rate_training.count = 0;
    snprintf(cfg.model, sizeof(cfg.model), "test.bin");
    cfg.batch_limit = 10000;
    cfg.drift_window = 500;
    cfg.drift_min_events = 300;
    cfg.drift_threshold = 0.25;
    return sn_service_new(&svc, e, &cfg, NULL, &err) == SN_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    sn_service_free(svc);
    sn_buf_free(&later[0]);
    sn_buf_free(&later[1]);
    return 0;
}

/* {"events": [...]} of n strangers' events: unknown accounts, administrator actions at night
 * from far away, failing. */
static char *strangers(size_t n, size_t *len)
{
    size_t cap = 64 + n * 400;
    char *b = malloc(cap);
    size_t o = (size_t)snprintf(b, cap, "{\"events\":[");
    for (size_t k = 0; k < n; k++)
        o +=
            (size_t)snprintf(b + o, cap - o,
                             "%s{\"user_id\":\"X%05zu\",\"department\":\"Unknown\","
                             "\"resource\":\"vault_%zu\",\"action\":\"admin\","
                             "\"timestamp\":\"2027-01-%02zu 03:%02zu:00\",\"source_ip\":"
                             "\"175.45.%zu.%zu\",\"location\":\"Pyongyang, KP\","
                             "\"success\":false}",
                             k ? "," : "", k, k % 7, 1 + k / 60 % 28, k % 60, k % 250, 1 + k % 250);
    o += (size_t)snprintf(b + o, cap - o, "]}");
    *len = o;
    return b;
}

static json_t *drift(void)
{
    fx_answer *a = fx_call(svc, "GET", "/api/v1/model/metrics", NULL, NULL, 0);
    assert_int_equal(a->status, 200);
    json_error_t jerr;
    json_t *m = json_loads(a->body, 0, &jerr);
    assert_non_null(m);
    json_t *d = json_incref(json_object_get(m, "drift"));
    json_decref(m);
    return d;
}

static void post(const char *body, size_t len)
{
    assert_int_equal(fx_post(svc, "/api/v1/analyze/batch", body, len)->status, 200);
}

static bool metrics_say(const char *line)
{
    fx_answer *a = fx_call(svc, "GET", "/metrics", NULL, NULL, 0);
    return a->status == 200 && strstr(a->body, line) != NULL;
}

static void drift_is_raised_and_cleared(void **state)
{
    (void)state;
    /* Before any event: too few to say. */
    json_t *d = drift();
    assert_string_equal(json_string_value(json_object_get(d, "status")), "insufficient_data");
    assert_true(json_is_null(json_object_get(d, "psi")));
    assert_false(json_is_true(json_object_get(d, "alert")));
    assert_int_equal(json_integer_value(json_object_get(d, "window")), 500);
    json_t *bins = json_object_get(d, "bins");
    assert_true(json_array_size(bins) >= 2);
    assert_true(json_is_null(json_object_get(json_array_get(bins, 0), "from")));
    json_decref(d);
    assert_true(metrics_say("sentinel_model_drift_psi NaN\n"));
    assert_true(metrics_say("sentinel_model_drift_alert 0\n"));

    /* Ordinary traffic (700 events): stable, no alert. */
    post(later[0].data, later[0].len);
    d = drift();
    double psi = json_number_value(json_object_get(d, "psi"));
    printf("ordinary traffic: PSI %.4f (%s)\n", psi,
           json_string_value(json_object_get(d, "status")));
    assert_true(psi < 0.1);
    assert_string_equal(json_string_value(json_object_get(d, "status")), "stable");
    assert_int_equal(json_integer_value(json_object_get(d, "window_events")), 500);
    assert_false(json_is_true(json_object_get(d, "alert")));
    json_decref(d);

    /* Strangers fill the window: drift. */
    size_t len;
    char *b = strangers(500, &len);
    post(b, len);
    free(b);
    d = drift();
    psi = json_number_value(json_object_get(d, "psi"));
    printf("strangers: PSI %.4f\n", psi);
    assert_true(psi >= 0.25);
    assert_string_equal(json_string_value(json_object_get(d, "status")), "drift");
    assert_true(json_is_true(json_object_get(d, "alert")));
    assert_int_equal(json_integer_value(json_object_get(d, "alerts_raised")), 1);
    json_decref(d);
    assert_true(metrics_say("sentinel_model_drift_alert 1\n"));
    assert_true(metrics_say("sentinel_model_drift_alerts_total 1\n"));

    /* Ordinary traffic again, the whole window: the alert clears; raised once in all. */
    post(later[1].data, later[1].len);
    d = drift();
    psi = json_number_value(json_object_get(d, "psi"));
    printf("ordinary traffic again: PSI %.4f\n", psi);
    assert_true(psi < 0.1);
    assert_false(json_is_true(json_object_get(d, "alert")));
    assert_int_equal(json_integer_value(json_object_get(d, "alerts_raised")), 1);
    json_decref(d);
    assert_true(metrics_say("sentinel_model_drift_alert 0\n"));
}

/* The poisoning defence and the training distribution are reported with the model. */
static void training_is_reported(void **state)
{
    (void)state;
    fx_answer *a = fx_call(svc, "GET", "/api/v1/model/metrics", NULL, NULL, 0);
    json_error_t jerr;
    json_t *m = json_loads(a->body, 0, &jerr);
    json_t *t = json_object_get(m, "training");
    assert_true(json_number_value(json_object_get(t, "train_filter")) == 0.01);
    assert_true(json_integer_value(json_object_get(t, "rows_filtered")) > 0);
    json_int_t learned = json_integer_value(json_object_get(m, "events_learned"));
    assert_int_equal(json_integer_value(json_object_get(t, "rows_filtered")),
                     (json_int_t)(0.01 * (double)learned));
    json_int_t rows = json_integer_value(json_object_get(t, "risk_distribution_events"));
    assert_true(rows > 0 && rows <= learned);
    json_decref(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(drift_is_raised_and_cleared),
        cmocka_unit_test(training_is_reported),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
