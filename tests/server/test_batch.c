/* How the analysis endpoints read a request's events and answer them: a batch's answer byte for
 * byte; the time and the id the server fills in, and the members that give way to them; the
 * size of an event as the line of JSON lines it would be; bodies only jansson reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixture.h"
#include "server/server_internal.h"

static sn_service *svc;

static int setup(void **state)
{
    (void)state;
    svc = fx_service(true, 100);
    return svc ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    sn_service_free(svc);
    return 0;
}

#define BATCH "/api/v1/analyze/batch"
#define ACCESS "/api/v1/analyze/access"

static fx_answer *post(const char *path, const char *body)
{
    return fx_post(svc, path, body, strlen(body));
}

/* The answer's text with every "analysed_at" value (one time for the whole request, checked)
 * written as NOW; caller frees. */
static char *without_time(const char *body)
{
    static const char key[] = "\"analysed_at\":\"";
    char *out = malloc(strlen(body) + 1);
    assert_non_null(out);
    const char *at = strstr(body, key), *p = body;
    char first[28] = "";
    if (at)
        memcpy(first, at + sizeof(key) - 1, 27);
    size_t o = 0;
    while ((at = strstr(p, key))) {
        at += sizeof(key) - 1;
        assert_memory_equal(at, first, 27);
        assert_int_equal(at[27], '"');
        memcpy(out + o, p, (size_t)(at - p));
        o += (size_t)(at - p);
        memcpy(out + o, "NOW", 3);
        o += 3;
        p = at + 27;
    }
    strcpy(out + o, p);
    return out;
}

static void test_batch_answer_exact(void **state)
{
    (void)state;
    /* A fresh service: the history behind these verdicts is the training log alone. */
    sn_service *saved = svc;
    svc = fx_service(true, 100);
    assert_non_null(svc);
    fx_answer *a = post(
        BATCH,
        "{\"events\": [\n"
        " {\"event_id\":\"P1\",\"user_id\":\"U0002\",\"department\":\"Sales\",\"resource\":"
        "\"crm_system\",\"action\":\"Read\",\"timestamp\":\"2026-12-05 10:00:00\",\"source_ip\":"
        "\"192.168.253.10\",\"location\":\"Mumbai, IN\",\"success\":\"True\"},\n"
        " {\"event_id\":\"P2\",\"user_id\":\"U0002\",\"source_ip\":\"nope\",\"timestamp\":"
        "\"2026-12-05 10:01:00\"},\n"
        " \"text\",\n"
        " {\"event_id\":\"P4\",\"user_id\":\"U0007\",\"resource\":\"payroll_db\",\"action\":"
        "\"delete\",\"timestamp\":\"2026-12-06 02:00:00\",\"source_ip\":\"203.0.113.9\","
        "\"location\":\"Lagos, NG\",\"success\":false},\n"
        " {\"event_id\":\"P5\",\"user_id\":\"U0003\",\"timestamp\":1796464800,\"source_ip\":"
        "\"2001:db8::1\",\"resource\":\"wiki\\u00e9\\\"q\",\"action\":\"write\"},\n"
        " {\"user_id\":\"U0004\",\"timestamp\":\"2026-12-05 10:00:00\",\"event_id\":\"P6\","
        "\"latitude\":\"x\",\"longitude\":1}\n"
        "]}");
    assert_int_equal(a->status, 200);
    char *body = without_time(a->body);
    assert_string_equal(
        body,
        "{\"total_events\":6,\"analysed_events\":3,\"failed_events\":3,\"anomalies_detected\":2,"
        "\"anomaly_ratio\":0.6667,\"results\":[{\"event_id\":\"P1\",\"user_id\":\"U0002\",\"times"
        "tamp\":\"2026-12-05T10:00:00.000000Z\",\"source_ip\":\"192.168.253.10\",\"resource\":\"c"
        "rm_system\",\"action\":\"read\",\"is_anomaly\":false,\"risk_score\":3.07,\"anomaly_score"
        "\":5.021,\"risk_level\":\"NORMAL\",\"reasons\":[],\"recommendation\":\"ALLOW\",\"analyse"
        "d_at\":\"NOW\"},{\"index\":1,\"event_id\":\"P2\",\"error\":{\"code\":\"invalid_field\","
        "\"message\":\"the value is not an IPv4 or IPv6 address\",\"field\":\"source_ip\"}},{\"index"
        "\":2,\"error\":{\"code\":\"invalid_event\",\"message\":\"an event must be a JSON object,"
        " got a string\"}},{\"event_id\":\"P4\",\"user_id\":\"U0007\",\"timestamp\":\"2026-12-06T"
        "02:00:00.000000Z\",\"source_ip\":\"203.0.113.9\",\"resource\":\"payroll_db\",\"action\":"
        "\"delete\",\"is_anomaly\":true,\"risk_score\":100.00,\"anomaly_score\":63.098,\"risk_lev"
        "el\":\"CRITICAL\",\"reasons\":[\"sign-in from Lagos, NG; this user was only ever seen in"
        " Sydney, AU (14 events)\",\"first access from network 203.0.0.0/16 by this user; 14 earl"
        "ier events came from 192.168.0.0/16\",\"failed attempt; 0 of this user's 14 earlier even"
        "ts failed\",\"first access to payroll_db by this user in 83 days of history (14 events);"
        " no Sales peer has used it\",\"activity at 02:00, outside the hours of 90% of this user'"
        "s events (09:00-16:59)\",\"first 'delete' action by this user (usual: read, write, execu"
        "te); risk level 4 of 5\",\"weekend activity (Sunday); 0 of this user's 14 earlier events"
        " were on weekends\",\"unusual combination of context (Isolation Forest score 0.80; isola"
        "ted mostly by resource_surprise_bits and location_surprise_bits)\"],\"recommendation\":"
        "\"BLOCK\",\"analysed_at\":\"NOW\"},{\"event_id\":\"P5\",\"user_id\":\"U0003\",\"timestam"
        "p\":\"2026-12-05T10:00:00.000000Z\",\"source_ip\":\"2001:db8::1\",\"resource\":\"wiki"
        "\xc3\xa9\\\"q\",\"action\":\"write\",\"is_anomaly\":true,\"risk_score\":100.00,\"anomaly"
        "_score\":30.692,\"risk_level\":\"CRITICAL\",\"reasons\":[\"first access from network 200"
        "1:db8:0::/48 by this user; 13 earlier events came from 192.168.0.0/16\",\"first access t"
        "o wiki\xc3\xa9\\\"q by this user in 60 days of history (13 events); no IT peer has used "
        "it\",\"weekend activity (Saturday); 0 of this user's 13 earlier events were on weekends"
        "\",\"'write' is rare for this user (1 of 13 events)\",\"unusual combination of context ("
        "Isolation Forest score 0.70; isolated mostly by resource_surprise_bits and weekend_surpr"
        "ise_bits)\"],\"recommendation\":\"BLOCK\",\"analysed_at\":\"NOW\"},{\"index\":5,\"event_"
        "id\":\"P6\",\"error\":{\"code\":\"invalid_field\",\"message\":\"the value is not a latitude in"
        " degrees (-90 to 90)\",\"field\":\"latitude\"}}]}");
    free(body);
    sn_service_free(svc);
    svc = saved;
}

/* The value of the string member name in the JSON object text (the first one), into out. */
static void member(const char *text, const char *name, char *out, size_t cap)
{
    json_t *j = json_loads(text, 0, NULL);
    assert_non_null(j);
    const char *v = json_string_value(json_object_get(j, name));
    assert_non_null(v);
    snprintf(out, cap, "%s", v);
    json_decref(j);
}

static void is_generated_id(const char *id)
{
    assert_int_equal(strlen(id), 36);
    assert_int_equal(id[8], '-');
    assert_int_equal(id[14], '4'); /* RFC 9562 version 4 */
}

static void test_time_and_id_filled_in(void **state)
{
    (void)state;
    char id[64], ts[64], at[64];
    /* Members under the names of the time and the id that hold nothing give way to the
     * server's own. */
    fx_answer *a = post(ACCESS, "{\"user_id\":\"U0002\",\"TIME\":\" \\t\",\"event_id\":null}");
    assert_int_equal(a->status, 200);
    member(a->body, "event_id", id, sizeof(id));
    member(a->body, "timestamp", ts, sizeof(ts));
    member(a->body, "analysed_at", at, sizeof(at));
    is_generated_id(id);
    assert_int_equal(strlen(ts), 27);
    assert_true(strcmp(ts, at) >= 0); /* taken as the request was read, after analysed_at */
    /* A time with a value is the event's: a blank member before it, under another of the
     * names, still comes first for its field and leaves the event without one. */
    a = post(ACCESS, "{\"user_id\":\"U0002\",\"time\":\"\",\"timestamp\":\"2026-12-05 10:00:00\"}");
    assert_int_equal(a->status, 422);
    assert_string_equal(a->body, "{\"error\":{\"code\":\"missing_field\",\"message\":\"required "
                                 "field is missing or empty\",\"field\":\"timestamp\"}}");
    /* Eight blank members give way at most: a ninth comes first for its field, unless it is
     * named timestamp exactly, whose value the server's time then takes. */
#define EIGHT                                                                                      \
    "\"TIMESTAMP\":\"\",\"Timestamp\":\"\",\"tImestamp\":\"\",\"tiMestamp\":\"\","                 \
    "\"timEstamp\":\"\",\"timeStamp\":\"\",\"timesTamp\":\"\",\"timestAmp\":\"\""
    a = post(ACCESS, "{\"user_id\":\"U0002\"," EIGHT ",\"timestamP\":null}");
    assert_int_equal(a->status, 422);
    assert_non_null(strstr(a->body, "\"field\":\"timestamp\""));
    a = post(ACCESS, "{\"user_id\":\"U0002\"," EIGHT ",\"timestamp\":null}");
    assert_int_equal(a->status, 200);
    member(a->body, "timestamp", ts, sizeof(ts));
    assert_int_equal(strlen(ts), 27);

    /* In a batch, an event refused once its id is filled in is named by it; one refused
     * before (a NUL character) only by an id it was given. */
    a = post(
        BATCH,
        "{\"events\":[{\"user_id\":\"U0002\",\"source_ip\":\"nope\"},"
        "{\"event_id\":null,\"user_id\":\"U0002\",\"extra\":[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]},"
        "{\"event_id\":\"  \",\"EVENT_ID\":\"Q\",\"user_id\":\"U\\u0000\"},"
        "{\"EVENT_ID\":\"Q\",\"user_id\":\"U0002\",\"source_ip\":\"nope\"},"
        "{\"event_id\":7,\"user_id\":\"U\\u0000\"}]}");
    assert_int_equal(a->status, 200);
    json_t *j = json_loads(a->body, 0, NULL);
    assert_non_null(j);
    json_t *res = json_object_get(j, "results");
    is_generated_id(json_string_value(json_object_get(json_array_get(res, 0), "event_id")));
    json_t *deep = json_array_get(res, 1);
    is_generated_id(json_string_value(json_object_get(deep, "event_id")));
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(deep, "error"), "message")),
        "JSON nested deeper than 16 levels");
    assert_string_equal(json_string_value(json_object_get(json_array_get(res, 2), "event_id")),
                        "  ");
    assert_null(json_object_get(json_array_get(res, 3), "event_id"));
    assert_null(json_object_get(json_array_get(res, 4), "event_id"));
    json_decref(j);
}

/* An event of `len` bytes as compact JSON, sent with a space after every comma. */
static char *sized_event(size_t len)
{
    static const char head[] = "{\"user_id\":\"U0002\",\"timestamp\":\"2026-12-05 10:00:00\","
                               "\"event_id\":\"S";
    static const char mid[] = "\",\"n\":[";
    /* head, id, mid, "1,1,...,1", "]}" */
    size_t fixed = sizeof(head) - 1 + sizeof(mid) - 1 + 2, id = 1;
    if ((len - fixed - id) % 2 == 0)
        id++;
    size_t ones = (len - fixed - id + 1) / 2;
    assert_int_equal(fixed + id + 2 * ones - 1, len);
    char *b = malloc(2 * len);
    assert_non_null(b);
    size_t o = (size_t)sprintf(b, "%s%.*s%s", head, (int)id, "TT", mid);
    for (size_t i = 0; i < ones; i++)
        o += (size_t)sprintf(b + o, i ? ", 1" : "1");
    strcpy(b + o, "]}");
    return b;
}

static void test_event_size_as_a_line(void **state)
{
    (void)state;
    /* The limit is that of a line of JSON lines: 65,536 bytes of the event's compact text,
     * whatever the spaces of the body. */
    char *b = sized_event(SN_MAX_RECORD);
    fx_answer *a = post(ACCESS, b);
    assert_int_equal(a->status, 200);
    free(b);
    b = sized_event(SN_MAX_RECORD + 1);
    a = post(ACCESS, b);
    assert_int_equal(a->status, 422);
    assert_string_equal(a->body, "{\"error\":{\"code\":\"invalid_event\",\"message\":\"the event "
                                 "is longer than the 65536-byte limit\"}}");
    free(b);
}

static void test_bodies_jansson_alone_reads(void **state)
{
    (void)state;
    /* jansson passes over a NUL byte right after a number or a literal; the server always read
     * such a body as jansson does. */
    static const char after_number[] =
        "{\"user_id\":\"U0002\",\"timestamp\":\"2026-12-05 10:00:00\",\"n\":1\0}";
    fx_answer *a = fx_post(svc, ACCESS, after_number, sizeof(after_number) - 1);
    assert_int_equal(a->status, 200);
    assert_non_null(strstr(a->body, "\"user_id\":\"U0002\""));
    static const char in_batch[] = "{\"events\":[{\"user_id\":\"U0002\",\"timestamp\":\"2026-12-05 "
                                   "10:00:00\",\"ok\":true\0},null\0]}";
    a = fx_post(svc, BATCH, in_batch, sizeof(in_batch) - 1);
    assert_int_equal(a->status, 200);
    assert_non_null(strstr(a->body, "\"analysed_events\":1,\"failed_events\":1"));
    assert_non_null(strstr(a->body, "{\"index\":1,\"error\":{\"code\":\"invalid_event\","
                                    "\"message\":\"an event must be a JSON object, got null\"}}"));
    /* Elsewhere a NUL byte is no JSON. */
    static const char in_string[] = "{\"user_id\":\"U\0\"}";
    a = fx_post(svc, ACCESS, in_string, sizeof(in_string) - 1);
    assert_int_equal(a->status, 400);
    /* An escaped backslash before u0000 is text. */
    a = post(ACCESS, "{\"user_id\":\"U0002\",\"timestamp\":\"2026-12-05 10:00:00\",\"path\":"
                     "\"C:\\\\u0000\"}");
    assert_int_equal(a->status, 200);
}

/* By default an event dated more than a day ahead of the server's clock is refused: it would
 * stand as the user's latest event and put the events after it "before" it. Within a day it is
 * analysed; in a batch only the far one is refused. */
static void test_far_future_dates_refused(void **state)
{
    (void)state;
    sn_server_config cfg;
    sn_server_config_default(&cfg);
    assert_int_equal(cfg.max_future_seconds, 86400);
    snprintf(cfg.model, sizeof(cfg.model), "test.bin");
    cfg.insecure_no_auth = true;
    cfg.rate_general.count = cfg.rate_analysis.count = cfg.rate_training.count = 0;
    sn_engine *e = fx_engine(true);
    assert_non_null(e);
    sn_service *s;
    sn_error err;
    assert_int_equal(sn_service_new(&s, e, &cfg, NULL, &err), SN_OK);
    char soon[32], body[512];
    sn_format_timestamp(sn_now_us() + 3600 * 1000000LL, soon);
    snprintf(body, sizeof(body), "{\"user_id\":\"U1\",\"timestamp\":\"%s\"}", soon);
    assert_int_equal(fx_post(s, "/api/v1/analyze/access", body, strlen(body))->status, 200);
    static const char far[] = "{\"user_id\":\"U1\",\"timestamp\":\"9999-12-31T00:00:00Z\"}";
    fx_answer *a = fx_post(s, "/api/v1/analyze/access", far, strlen(far));
    assert_int_equal(a->status, 422);
    assert_string_equal(a->body,
                        "{\"error\":{\"code\":\"invalid_field\",\"message\":\"the value is more than "
                                 "86400 seconds ahead of the server's clock "
                                 "(max_future_seconds)\",\"field\":\"timestamp\"}}");
    snprintf(body, sizeof(body),
             "{\"events\":[{\"event_id\":\"a\",\"user_id\":\"U1\",\"timestamp\":\"%s\"},"
             "{\"event_id\":\"b\",\"user_id\":\"U1\",\"timestamp\":\"2999-01-01 00:00:00\"}]}",
             soon);
    a = fx_post(s, "/api/v1/analyze/batch", body, strlen(body));
    assert_int_equal(a->status, 200);
    assert_non_null(strstr(a->body, "\"total_events\":2"));
    assert_non_null(strstr(a->body, "ahead of the server's clock (max_future_seconds)"));
    assert_non_null(strstr(a->body, "\"event_id\":\"a\""));
    sn_service_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_answer_exact),
        cmocka_unit_test(test_far_future_dates_refused),
        cmocka_unit_test(test_time_and_id_filled_in),
        cmocka_unit_test(test_event_size_as_a_line),
        cmocka_unit_test(test_bodies_jansson_alone_reads),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
