/* GET /metrics (Prometheus text format), /health before a model is loaded, and the structured
 * log: one JSON object per line, escaped, never blocking a request on a reader that does not
 * read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixture.h"

#include <ctype.h>
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#define EVENT                                                                                      \
    "{\"user_id\":\"U0002\",\"department\":\"Sales\",\"resource\":\"crm_system\","                 \
    "\"action\":\"read\",\"timestamp\":\"2026-12-05 10:00:00\",\"source_ip\":\"192.168.253.10\","  \
    "\"location\":\"Mumbai, IN\",\"success\":true}"

/* The value of the sample whose name and labels are exactly series; -1 when absent. */
static double sample(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (!strncmp(p, series, n) && p[n] == ' ')
            return strtod(p + n + 1, NULL);
    return -1;
}

/* Every line is a comment (# HELP / # TYPE) or NAME{LABELS} VALUE. */
static void well_formed(const char *text)
{
    for (const char *p = text; *p;) {
        const char *end = strchr(p, '\n');
        assert_non_null(end);
        if (*p == '#') {
            assert_true(!strncmp(p, "# HELP ", 7) || !strncmp(p, "# TYPE ", 7));
        } else {
            const char *q = p;
            assert_true(isalpha((unsigned char)*q) || *q == '_');
            while (isalnum((unsigned char)*q) || *q == '_' || *q == ':')
                q++;
            if (*q == '{') {
                /* Label values may hold braces ({user_id}): the labels end at the last one. */
                const char *close = q;
                for (const char *r = q; r < end; r++)
                    if (*r == '}')
                        close = r;
                assert_true(close > q);
                q = close + 1;
            }
            assert_int_equal(*q, ' ');
            char *num_end;
            strtod(q + 1, &num_end);
            assert_ptr_equal(num_end, end);
        }
        p = end + 1;
    }
}

static void test_metrics(void **state)
{
    (void)state;
    sn_service *s = fx_service(true, 100);
    assert_non_null(s);
    assert_int_equal(fx_post(s, "/api/v1/analyze/access", EVENT, strlen(EVENT))->status, 200);
    static const char batch[] = "{\"events\":[" EVENT "," EVENT ",{\"user_id\":\"\"}]}";
    assert_int_equal(fx_post(s, "/api/v1/analyze/batch", batch, sizeof(batch) - 1)->status, 200);
    /* What the front end reports for each answer it sends. */
    sn_service_observe(s, "/health", 200, 40);
    sn_service_observe(s, "/health", 200, 900);
    sn_service_observe(s, "/api/v1/user/U0002/risk-score", 404, 30000000);
    sn_service_observe(s, "/nowhere", 404, 10);
    sn_service_gauge_connections(s, 3);
    sn_service_gauge_queued(s, 2);
    sn_service_gauge_queued(s, -1);

    fx_answer *a = fx_call(s, "GET", "/metrics", NULL, NULL, 0);
    assert_int_equal(a->status, 200);
    assert_string_equal(a->content_type, "text/plain; version=0.0.4; charset=utf-8");
    const char *t = a->body;
    well_formed(t);
    assert_true(sample(t, "sentinel_events_analysed_total") == 3);
    assert_true(sample(t, "sentinel_events_refused_total") == 1);
    assert_true(sample(t, "sentinel_anomalies_detected_total") >= 0);
    assert_true(sample(t, "sentinel_build_info{version=\"" SENTINEL_VERSION "\"}") == 1);
    assert_true(sample(t, "sentinel_http_requests_total{route=\"/health\",status=\"200\"}") == 2);
    assert_true(sample(t, "sentinel_http_requests_total{route=\"/api/v1/user/{user_id}/"
                          "risk-score\",status=\"404\"}") == 1);
    assert_true(sample(t, "sentinel_http_requests_total{route=\"unmatched\",status=\"404\"}") == 1);
    /* The histogram is cumulative, in seconds, and ends with +Inf = count. */
    assert_true(
        sample(
            t,
            "sentinel_http_request_duration_seconds_bucket{route=\"/health\",le=\"0.000100\"}") ==
        1);
    assert_true(
        sample(
            t,
            "sentinel_http_request_duration_seconds_bucket{route=\"/health\",le=\"0.001000\"}") ==
        2);
    assert_true(sample(t, "sentinel_http_request_duration_seconds_sum{route=\"/health\"}") ==
                0.00094);
    assert_true(sample(t, "sentinel_http_request_duration_seconds_count{route=\"/health\"}") == 2);
    const char *slow = "sentinel_http_request_duration_seconds_bucket{route=\"/api/v1/user/"
                       "{user_id}/risk-score\",le=";
    char series[256];
    snprintf(series, sizeof(series), "%s\"10.000000\"}", slow);
    assert_true(sample(t, series) == 0);
    snprintf(series, sizeof(series), "%s\"+Inf\"}", slow);
    assert_true(sample(t, series) == 1);
    assert_true(sample(t, "sentinel_http_connections") == 3);
    assert_true(sample(t, "sentinel_batches_queued") == 1);
    /* The model, as labels: the same hash as /api/v1/model/metrics. */
    char *metrics = strdup(t);
    a = fx_call(s, "GET", "/api/v1/model/metrics", NULL, NULL, 0);
    json_error_t jerr;
    json_t *j = json_loads(a->body, 0, &jerr);
    assert_non_null(j);
    char want[256];
    snprintf(want, sizeof(want), "training_data_sha256=\"%s\"",
             json_string_value(json_object_get(j, "training_data_sha256")));
    assert_non_null(strstr(metrics, want));
    snprintf(want, sizeof(want), "trained_at=\"%s\"",
             json_string_value(json_object_get(j, "trained_at")));
    assert_non_null(strstr(metrics, want));
    assert_non_null(strstr(metrics, "models_loaded=\"true\"} 1\n"));
    json_decref(j);
    free(metrics);
    sn_service_free(s);
}

static void test_not_ready(void **state)
{
    (void)state;
    /* The command line only listens once the model is loaded; a service on an engine that was
     * never fitted says it is not ready, and judges nothing. */
    sn_service *s = fx_service(false, 100);
    assert_non_null(s);
    fx_answer *a = fx_call(s, "GET", "/health", NULL, NULL, 0);
    assert_int_equal(a->status, 503);
    assert_int_equal(a->retry_after, 1);
    assert_non_null(strstr(a->body, "{\"status\":\"unavailable\",\"version\":\"" SENTINEL_VERSION
                                    "\",\"models_loaded\":false,"));
    a = fx_post(s, "/api/v1/analyze/access", EVENT, strlen(EVENT));
    assert_int_equal(a->status, 503);
    assert_string_equal(a->body, "{\"error\":{\"code\":\"model_not_ready\",\"message\":\"no model "
                                 "is loaded yet\"}}");
    assert_int_equal(fx_post(s, "/api/v1/analyze/batch", "{}", 2)->status, 503);
    a = fx_call(s, "GET", "/metrics", NULL, NULL, 0);
    assert_int_equal(a->status, 200);
    assert_non_null(strstr(a->body, "models_loaded=\"false\"} 1\n"));
    sn_service_free(s);
}

/* Everything written to the read end of p until it is closed. */
static char *drain(int fd)
{
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap);
    assert_non_null(out);
    ssize_t n;
    while ((n = read(fd, out + len, cap - len - 1)) > 0) {
        len += (size_t)n;
        if (cap - len < 1024) {
            char *grown = realloc(out, cap *= 2);
            if (!grown)
                free(out);
            assert_non_null(grown);
            out = grown;
        }
    }
    out[len] = '\0';
    return out;
}

static void test_log_lines(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    sn_log *log = sn_log_new(p[1], SN_LOG_INFO);
    assert_non_null(log);
    assert_false(sn_log_enabled(log, SN_LOG_DEBUG));
    assert_true(sn_log_enabled(log, SN_LOG_WARN));
    sn_log_msg(log, SN_LOG_DEBUG, "not written", NULL);
    sn_log_line line;
    sn_log_begin(&line, SN_LOG_INFO, "request");
    sn_log_str(&line, "method", "GET", 3);
    static const char path[] = "/api/v1/user/a\"b\\c\n\x01\xc3\xa9\xff/risk-score";
    sn_log_str(&line, "path", path, sizeof(path) - 1);
    sn_log_int(&line, "status", 404);
    sn_log_int(&line, "duration_us", -5);
    sn_log_end(log, &line);
    /* A value over 512 bytes is cut (at a character); a line never grows past its buffer. */
    char big[3000];
    memset(big, 'x', sizeof(big));
    sn_log_begin(&line, SN_LOG_WARN, "big");
    for (int i = 0; i < 6; i++)
        sn_log_str(&line, "v", big, sizeof(big));
    sn_log_end(log, &line);
    sn_log_msg(log, SN_LOG_ERROR, "failed", "it broke");
    sn_log_free(log);
    close(p[1]);
    char *text = drain(p[0]);
    close(p[0]);

    char *save = NULL;
    char *l1 = strtok_r(text, "\n", &save);
    char *l2 = strtok_r(NULL, "\n", &save);
    char *l3 = strtok_r(NULL, "\n", &save);
    assert_non_null(l3);
    assert_null(strtok_r(NULL, "\n", &save));
    json_error_t jerr;
    json_t *j = json_loads(l1, 0, &jerr);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "level")), "info");
    assert_string_equal(json_string_value(json_object_get(j, "msg")), "request");
    assert_string_equal(json_string_value(json_object_get(j, "method")), "GET");
    /* Escaped, and cut before the invalid byte. */
    assert_string_equal(json_string_value(json_object_get(j, "path")),
                        "/api/v1/user/a\"b\\c\n\x01\xc3\xa9");
    assert_int_equal(json_integer_value(json_object_get(j, "status")), 404);
    assert_int_equal(json_integer_value(json_object_get(j, "duration_us")), -5);
    const char *time = json_string_value(json_object_get(j, "time"));
    assert_non_null(time);
    assert_int_equal(strlen(time), 27);
    assert_int_equal(time[26], 'Z');
    json_decref(j);
    j = json_loads(l2, 0, &jerr);
    assert_non_null(j);
    assert_true(json_is_true(json_object_get(j, "truncated")));
    assert_int_equal(json_string_length(json_object_get(j, "v")), 512);
    assert_true(strlen(l2) < sizeof(line.text));
    json_decref(j);
    j = json_loads(l3, 0, &jerr);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "error")), "it broke");
    json_decref(j);
    free(text);
}

static void test_log_never_blocks(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    int p[2];
    assert_int_equal(pipe(p), 0);
    sn_log *log = sn_log_new(p[1], SN_LOG_INFO);
    assert_non_null(log);
    /* Nobody reads: 40,000 lines (over 4 MB) find the pipe and the buffer full, and are
     * dropped and counted, quickly. */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    sn_log_line line;
    for (int i = 0; i < 40000; i++) {
        sn_log_begin(&line, SN_LOG_INFO, "request");
        sn_log_str(&line, "path", "/api/v1/analyze/access/and/some/more/text/to/fill/it/up", 55);
        sn_log_int(&line, "status", 200);
        sn_log_end(log, &line);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("40,000 log lines with nobody reading: %.3f s, %llu dropped\n", secs,
           (unsigned long long)sn_log_dropped(log));
    assert_true(sn_log_dropped(log) > 10000);
    assert_true(secs < 5.0);
    /* Freeing gives up waiting for the reader after two seconds; once the reader goes away, the
     * writer ends and frees what is left. */
    sn_log_free(log);
    close(p[0]);
    struct timespec nap = {0, 200 * 1000 * 1000};
    nanosleep(&nap, NULL);
    close(p[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metrics),
        cmocka_unit_test(test_not_ready),
        cmocka_unit_test(test_log_lines),
        cmocka_unit_test(test_log_never_blocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
