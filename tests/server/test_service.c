/* The REST API in process, without sockets: routing and its checks, each endpoint's answer, and
 * events converted with the same validation as files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gen/gen.h"
#include "ingest/ingest.h"
#include "risk/risk.h"
#include "server/server.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sn_service *svc;
static sn_server_config cfg;

/* A service on an engine trained on a small generated log (30 users). */
static int setup(void **state)
{
    (void)state;
    char *data = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&data, &len);
    sn_gen_options o;
    sn_gen_options_init(&o);
    o.users = 30;
    o.events_per_user = 20;
    o.seed = 3;
    sn_error err;
    if (!f || sn_gen_write(&o, f, "gen", NULL, &err) != SN_OK)
        return -1;
    fclose(f);
    sn_engine *e = sn_engine_new(NULL);
    sn_reader *r;
    if (!e || sn_reader_open_mem(&r, data, len, "gen", SN_FORMAT_CSV, &err) != SN_OK)
        return -1;
    sn_event ev;
    while (sn_reader_next(r, &ev, &err) == SN_OK)
        sn_engine_learn(e, &ev, &err);
    sn_reader_close(r);
    free(data);
    if (sn_engine_fit(e, &err) != SN_OK)
        return -1;
    sn_server_config_default(&cfg);
    cfg.max_future_seconds = 0; /* fixtures carry fixed dates, some ahead of the clock */
    snprintf(cfg.model, sizeof(cfg.model), "test.bin");
    cfg.batch_limit = 4;
    /* Routing and answers are the point here, not who calls or how often (test_auth.c). */
    cfg.insecure_no_auth = true;
    cfg.rate_general.count = cfg.rate_analysis.count = cfg.rate_training.count = 0;
    return sn_service_new(&svc, e, &cfg, NULL, &err) == SN_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    sn_service_free(svc);
    return 0;
}

typedef struct answer {
    int status;
    char body[1 << 16];
    const char *allow;
} answer;

static answer *call(const char *method, const char *path, const char *content_type,
                    const char *body, const sn_http_arg *args, size_t n_args)
{
    static answer a;
    sn_http_request req = {.method = method,
                           .path = path,
                           .content_type = content_type,
                           .body = body,
                           .body_len = body ? strlen(body) : 0,
                           .args = args,
                           .n_args = n_args};
    sn_http_response resp;
    sn_service_handle(svc, &req, &resp);
    a.status = resp.status;
    a.allow = resp.allow;
    assert_non_null(resp.body);
    assert_true(resp.body_len < sizeof(a.body));
    memcpy(a.body, resp.body, resp.body_len);
    a.body[resp.body_len] = '\0';
    free(resp.body);
    return &a;
}

static answer *post(const char *path, const char *body)
{
    return call("POST", path, "application/json", body, NULL, 0);
}

static json_t *parse(const answer *a)
{
    json_error_t jerr;
    json_t *j = json_loads(a->body, 0, &jerr);
    assert_non_null(j);
    return j;
}

#define EVENT                                                                                      \
    "\"user_id\":\"U0002\",\"department\":\"Sales\",\"resource\":\"crm_system\","                  \
    "\"action\":\"read\",\"timestamp\":\"2026-12-05 10:00:00\",\"source_ip\":\"192.168.253.10\","  \
    "\"location\":\"Mumbai, IN\",\"success\":\"True\""

static void test_health(void **state)
{
    (void)state;
    answer *a = call("GET", "/health", NULL, NULL, NULL, 0);
    assert_int_equal(a->status, 200);
    json_t *j = parse(a);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "healthy");
    assert_true(json_is_true(json_object_get(j, "models_loaded")));
    assert_string_equal(json_string_value(json_object_get(j, "version")), SENTINEL_VERSION);
    assert_non_null(json_string_value(json_object_get(j, "timestamp")));
    json_decref(j);
    assert_int_equal(call("HEAD", "/health", NULL, NULL, NULL, 0)->status, 200);
}

static void test_routing_errors(void **state)
{
    (void)state;
    answer *a = call("GET", "/api/v1/nothing", NULL, NULL, NULL, 0);
    assert_int_equal(a->status, 404);
    assert_string_equal(a->body, "{\"error\":{\"code\":\"not_found\",\"message\":\"no endpoint "
                                 "at this path\"}}");
    a = call("PUT", "/api/v1/analyze/batch", "application/json", "{}", NULL, 0);
    assert_int_equal(a->status, 405);
    assert_string_equal(a->allow, "POST");
    a = call("POST", "/api/v1/anomalies", "application/json", "{}", NULL, 0);
    assert_int_equal(a->status, 405);
    assert_string_equal(a->allow, "GET, HEAD");
    a = call("POST", "/api/v1/analyze/access", NULL, "{" EVENT "}", NULL, 0);
    assert_int_equal(a->status, 415);
    a = call("POST", "/api/v1/analyze/access", "application/jsonx", "{" EVENT "}", NULL, 0);
    assert_int_equal(a->status, 415);
    a = call("POST", "/api/v1/analyze/access", "Application/JSON; charset=utf-8", "{" EVENT "}",
             NULL, 0);
    assert_int_equal(a->status, 200);
    /* The user route needs a non-empty id. */
    assert_int_equal(call("GET", "/api/v1/user//risk-score", NULL, NULL, NULL, 0)->status, 404);
}

static void test_precheck_before_body(void **state)
{
    (void)state;
    sn_http_request req = {
        .method = "POST", .path = "/api/v1/analyze/batch", .content_type = "application/json"};
    sn_http_response resp;
    sn_caller caller;
    assert_true(sn_service_admit(svc, &req, 1000, &caller, &resp));
    assert_true(sn_service_admit(svc, &req, -1, &caller, &resp));
    assert_false(sn_service_admit(svc, &req, 10 * 1024 * 1024, &caller, &resp));
    assert_int_equal(resp.status, 413);
    assert_string_equal(resp.body, "{\"error\":{\"code\":\"body_too_large\",\"message\":\"the body "
                                   "is larger than the 4194304-byte limit\"}}");
    free(resp.body);
}

static void test_malformed_json_not_echoed(void **state)
{
    (void)state;
    answer *a = post("/api/v1/analyze/access", "{\"user_id\": \"SECRET-VALUE");
    assert_int_equal(a->status, 400);
    assert_null(strstr(a->body, "SECRET"));
    assert_non_null(strstr(a->body, "\"code\":\"malformed_json\""));
    a = post("/api/v1/analyze/access", "");
    assert_int_equal(a->status, 400);
    /* Invalid UTF-8 is malformed JSON too (RFC 8259 section 8.1). */
    a = post("/api/v1/analyze/access", "{\"user_id\":\"\xff\"}");
    assert_int_equal(a->status, 400);
    a = post("/api/v1/analyze/access", "{\"user_id\":\"a\",\"user_id\":\"b\"}");
    assert_int_equal(a->status, 400);
}

static void test_field_validation(void **state)
{
    (void)state;
    static const struct {
        const char *body, *field, *code;
    } cases[] = {
        {"{\"user_id\":\"U1\",\"source_ip\":\"999.1.1.1\"}", "source_ip", "invalid_field"},
        {"{\"user_id\":\"U1\",\"timestamp\":\"2026-13-01 00:00:00\"}", "timestamp",
         "invalid_field"},
        {"{\"user_id\":\"U1\",\"success\":\"maybe\"}", "success", "invalid_field"},
        {"{\"user_id\":\"U1\",\"resource\":[1,2]}", "resource", "invalid_field"},
        {"{\"user_id\":\"U1\",\"latitude\":95,\"longitude\":0}", "latitude", "invalid_field"},
        {"{\"user_id\":\"   \"}", "user_id", "missing_field"},
        {"{\"user_id\":null}", "user_id", "missing_field"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        answer *a = post("/api/v1/analyze/access", cases[i].body);
        assert_int_equal(a->status, 422);
        json_t *j = parse(a);
        json_t *e = json_object_get(j, "error");
        assert_string_equal(json_string_value(json_object_get(e, "field")), cases[i].field);
        assert_string_equal(json_string_value(json_object_get(e, "code")), cases[i].code);
        json_decref(j);
    }
    /* Nesting: the file readers' limit for one record (16 levels, the event's own object
     * included) holds for the same event sent here. */
    for (int depth = 15; depth <= 18; depth++) {
        char nested[256];
        int n = snprintf(nested, sizeof(nested), "{\"user_id\":\"U1\",\"extra\":");
        for (int d = 1; d < depth; d++)
            nested[n++] = '[';
        for (int d = 1; d < depth; d++)
            nested[n++] = ']';
        snprintf(nested + n, sizeof(nested) - (size_t)n, "}");
        answer *a = post("/api/v1/analyze/access", nested);
        if (depth <= 16) {
            assert_int_equal(a->status, 200);
        } else {
            assert_int_equal(a->status, 422);
            assert_non_null(strstr(a->body, "JSON nested deeper than 16 levels"));
        }
    }
    /* A field over 4 KiB is refused, whatever its size. */
    size_t big = 100000;
    char *body = malloc(big + 64);
    int k = snprintf(body, 64, "{\"user_id\":\"");
    memset(body + k, 'u', big);
    strcpy(body + k + big, "\"}");
    answer *a = post("/api/v1/analyze/access", body);
    free(body);
    assert_int_equal(a->status, 422);
    assert_non_null(strstr(a->body, "\"field\":\"user_id\""));
}

static void test_analyse_one(void **state)
{
    (void)state;
    answer *a = post("/api/v1/analyze/access", "{\"event_id\":\"E-1\"," EVENT "}");
    assert_int_equal(a->status, 200);
    json_t *j = parse(a);
    assert_string_equal(json_string_value(json_object_get(j, "event_id")), "E-1");
    assert_string_equal(json_string_value(json_object_get(j, "user_id")), "U0002");
    assert_string_equal(json_string_value(json_object_get(j, "timestamp")),
                        "2026-12-05T10:00:00.000000Z");
    assert_true(json_is_boolean(json_object_get(j, "is_anomaly")));
    double risk = json_number_value(json_object_get(j, "risk_score"));
    assert_true(risk >= 0 && risk <= 100);
    assert_true(json_is_number(json_object_get(j, "anomaly_score")));
    assert_true(json_is_array(json_object_get(j, "reasons")));
    assert_non_null(json_string_value(json_object_get(j, "risk_level")));
    assert_non_null(json_string_value(json_object_get(j, "recommendation")));
    json_decref(j);

    /* No event_id: one is generated. No timestamp: now. */
    a = post("/api/v1/analyze/access", "{\"user_id\":\"U0003\",\"timestamp\":null}");
    assert_int_equal(a->status, 200);
    j = parse(a);
    const char *id = json_string_value(json_object_get(j, "event_id"));
    assert_int_equal(strlen(id), 36);
    assert_int_equal(id[14], '4');
    const char *ts = json_string_value(json_object_get(j, "timestamp"));
    const char *at = json_string_value(json_object_get(j, "analysed_at"));
    assert_memory_equal(ts, at, 16); /* the same minute */
    json_decref(j);
}

static void test_batch(void **state)
{
    (void)state;
    answer *a = post("/api/v1/analyze/batch",
                     "{\"events\":[{\"event_id\":\"B1\"," EVENT "},{\"event_id\":\"B2\","
                     "\"user_id\":\"U0002\",\"source_ip\":\"nope\"},\"text\",{\"event_id\":\"B4\","
                     "\"user_id\":\"U0002\",\"timestamp\":\"2026-12-05 10:05:00\"}]}");
    assert_int_equal(a->status, 200);
    json_t *j = parse(a);
    assert_int_equal(json_integer_value(json_object_get(j, "total_events")), 4);
    assert_int_equal(json_integer_value(json_object_get(j, "analysed_events")), 2);
    assert_int_equal(json_integer_value(json_object_get(j, "failed_events")), 2);
    json_t *res = json_object_get(j, "results");
    assert_int_equal(json_array_size(res), 4);
    assert_string_equal(json_string_value(json_object_get(json_array_get(res, 0), "event_id")),
                        "B1");
    json_t *bad = json_array_get(res, 1);
    assert_int_equal(json_integer_value(json_object_get(bad, "index")), 1);
    assert_string_equal(json_string_value(json_object_get(bad, "event_id")), "B2");
    assert_string_equal(json_string_value(json_object_get(json_object_get(bad, "error"), "field")),
                        "source_ip");
    bad = json_array_get(res, 2);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(bad, "error"), "message")),
        "an event must be a JSON object, got a string");
    assert_string_equal(json_string_value(json_object_get(json_array_get(res, 3), "event_id")),
                        "B4");
    json_decref(j);

    a = post("/api/v1/analyze/batch", "{\"events\":[{},{},{},{},{}]}");
    assert_int_equal(a->status, 413);
    assert_string_equal(a->body, "{\"error\":{\"code\":\"too_many_events\",\"message\":\"5 "
                                 "events; a batch holds at most 4\",\"field\":\"events\"}}");
    assert_int_equal(post("/api/v1/analyze/batch", "{\"events\":[]}")->status, 422);
    assert_int_equal(post("/api/v1/analyze/batch", "{\"events\":{}}")->status, 422);
    assert_int_equal(post("/api/v1/analyze/batch", "[]")->status, 422);
}

static void test_anomalies_and_user_risk(void **state)
{
    (void)state;
    /* A sign-in far from home, on a new network, with an admin action on payroll. */
    answer *a = post("/api/v1/analyze/access",
                     "{\"event_id\":\"BAD\",\"user_id\":\"U0005\",\"resource\":\"payroll_system\","
                     "\"action\":\"admin\",\"timestamp\":\"2026-12-06 03:00:00\","
                     "\"source_ip\":\"175.45.176.1\",\"location\":\"Pyongyang, KP\","
                     "\"success\":false}");
    assert_int_equal(a->status, 200);
    assert_non_null(strstr(a->body, "\"is_anomaly\":true"));

    sn_http_arg limit = {"limit", "1"};
    a = call("GET", "/api/v1/anomalies", NULL, NULL, &limit, 1);
    assert_int_equal(a->status, 200);
    json_t *j = parse(a);
    assert_int_equal(json_integer_value(json_object_get(j, "count")), 1);
    json_t *first = json_array_get(json_object_get(j, "anomalies"), 0);
    assert_string_equal(json_string_value(json_object_get(first, "event_id")), "BAD");
    json_decref(j);
    a = call("GET", "/api/v1/anomalies", NULL, NULL, NULL, 0);
    j = parse(a);
    assert_int_equal(json_integer_value(json_object_get(j, "limit")), 100);
    json_decref(j);
    static const char *const bad[] = {"0", "1001", "", "1e3", " 5", "-3"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sn_http_arg arg = {"limit", bad[i]};
        a = call("GET", "/api/v1/anomalies", NULL, NULL, &arg, 1);
        assert_int_equal(a->status, 422);
    }
    sn_http_arg flag = {"limit", NULL};
    assert_int_equal(call("GET", "/api/v1/anomalies", NULL, NULL, &flag, 1)->status, 422);

    a = call("GET", "/api/v1/user/U0005/risk-score", NULL, NULL, NULL, 0);
    assert_int_equal(a->status, 200);
    j = parse(a);
    assert_string_equal(json_string_value(json_object_get(j, "user_id")), "U0005");
    json_t *f = json_object_get(j, "factor_scores");
    assert_int_equal(json_object_size(f), 5);
    assert_true(json_number_value(json_object_get(f, "anomaly_score")) == 100.0);
    assert_true(json_number_value(json_object_get(f, "failed_attempts")) == 100.0);
    assert_true(json_array_size(json_object_get(j, "recommendations")) >= 1);
    json_decref(j);
    assert_int_equal(call("GET", "/api/v1/user/U9999/risk-score", NULL, NULL, NULL, 0)->status,
                     404);
    assert_int_equal(call("GET", "/api/v1/user/\xff/risk-score", NULL, NULL, NULL, 0)->status, 422);
}

static void test_model_metrics_and_not_built(void **state)
{
    (void)state;
    answer *a = call("GET", "/api/v1/model/metrics", NULL, NULL, NULL, 0);
    assert_int_equal(a->status, 200);
    json_t *j = parse(a);
    const char *hash = json_string_value(json_object_get(j, "training_data_sha256"));
    assert_non_null(hash);
    assert_int_equal(strlen(hash), 64);
    assert_true(json_integer_value(json_object_get(j, "events_learned")) > 400);
    json_t *t = json_object_get(j, "threshold");
    assert_true(json_number_value(json_object_get(t, "risk_score")) == 50.0);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "parameters"), "trees")),
                     100);
    assert_int_equal(json_array_size(json_object_get(j, "features")), SN_FEATURE_COUNT);
    json_t *ap = json_object_get(j, "access_predictor");
    assert_non_null(ap);
    assert_true(json_is_null(ap));
    json_decref(j);
    assert_int_equal(post("/api/v1/roles/discover", "{}")->status, 200);
    /* no predictor configured: 503 before the body is looked at */
    answer *p = post("/api/v1/predict/access", "not even json");
    assert_int_equal(p->status, 503);
    assert_string_equal(p->body, "{\"error\":{\"code\":\"predictor_not_loaded\",\"message\":\"no "
                                 "access predictor is configured (the server's predictor "
                                 "option)\"}}");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_health),
        cmocka_unit_test(test_routing_errors),
        cmocka_unit_test(test_precheck_before_body),
        cmocka_unit_test(test_malformed_json_not_echoed),
        cmocka_unit_test(test_field_validation),
        cmocka_unit_test(test_analyse_one),
        cmocka_unit_test(test_batch),
        cmocka_unit_test(test_anomalies_and_user_risk),
        cmocka_unit_test(test_model_metrics_and_not_built),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
