/* The dashboard's data endpoints in process: the overview's figures, the anomaly table's
 * paging, filters and sorting, a user's events with their baseline and peers, and the bound on
 * the anomalies kept. Seven known events are analysed with an alert threshold of 0, so that every
 * one is an anomaly and every figure is known in advance. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixture.h"
#include "store/store.h"

#include <math.h>
#include <stdlib.h>
#include <unistd.h>

static sn_service *svc;

/* user, department, resource, action, timestamp (2026-12-07 is a Monday), address, place,
 * success */
#define EV(u, d, r, a, t, ip, loc, ok)                                                             \
    "{\"user_id\":\"" u "\",\"department\":\"" d "\",\"resource\":\"" r "\",\"action\":\"" a       \
    "\",\"timestamp\":\"" t "\",\"source_ip\":\"" ip "\",\"location\":\"" loc "\",\"success\":" ok \
    "}"

static const char batch[] = "{\"events\":[" EV(
    "dash-a", "Ops", "payroll", "read", "2026-12-07 10:00:00", "10.0.0.1", "Mumbai, IN",
    "true") "," EV("dash-a", "Ops", "payroll", "read", "2026-12-07 10:30:00", "10.0.0.1",
                   "Mumbai, IN",
                   "true") "," EV("dash-a", "Ops", "crm", "write", "2026-12-07 11:00:00",
                                  "10.0.0.1", "Pune, IN",
                                  "true") "," EV("dash-b", "Ops", "payroll", "read",
                                                 "2026-12-08 09:00:00", "10.0.0.2", "Mumbai, IN",
                                                 "false") "," EV("dash-b", "Ops", "payroll", "read",
                                                                 "2026-12-08 09:01:00",
                                                                 "203.0.113.9", "Mumbai, IN",
                                                                 "false") "," EV("dash-c", "Sales",
                                                                                 "crm", "read",
                                                                                 "2026-12-08 "
                                                                                 "09:02:00",
                                                                                 "203.0.113.9",
                                                                                 "Mumbai, IN",
                                                                                 "false") "," EV("d"
                                                                                                 "a"
                                                                                                 "s"
                                                                                                 "h"
                                                                                                 "-"
                                                                                                 "c",
                                                                                                 "S"
                                                                                                 "a"
                                                                                                 "l"
                                                                                                 "e"
                                                                                                 "s",
                                                                                                 "c"
                                                                                                 "r"
                                                                                                 "m",
                                                                                                 "r"
                                                                                                 "e"
                                                                                                 "a"
                                                                                                 "d",
                                                                                                 "2"
                                                                                                 "0"
                                                                                                 "2"
                                                                                                 "6"
                                                                                                 "-"
                                                                                                 "1"
                                                                                                 "2"
                                                                                                 "-"
                                                                                                 "1"
                                                                                                 "3"
                                                                                                 " "
                                                                                                 "2"
                                                                                                 "3"
                                                                                                 ":"
                                                                                                 "0"
                                                                                                 "0"
                                                                                                 ":"
                                                                                                 "0"
                                                                                                 "0",
                                                                                                 "2"
                                                                                                 "0"
                                                                                                 "3"
                                                                                                 "."
                                                                                                 "0"
                                                                                                 "."
                                                                                                 "1"
                                                                                                 "1"
                                                                                                 "3"
                                                                                                 "."
                                                                                                 "9",
                                                                                                 "M"
                                                                                                 "u"
                                                                                                 "m"
                                                                                                 "b"
                                                                                                 "a"
                                                                                                 "i"
                                                                                                 ","
                                                                                                 " "
                                                                                                 "I"
                                                                                                 "N",
                                                                                                 "t"
                                                                                                 "r"
                                                                                                 "u"
                                                                                                 "e") "]}";

static sn_service *service(int recent)
{
    sn_server_config cfg;
    sn_server_config_default(&cfg);
    cfg.max_future_seconds = 0;  /* fixtures carry fixed dates, some ahead of the clock */
    cfg.insecure_no_auth = true; /* the figures, not who may read them, are tested here */
    cfg.rate_general.count = cfg.rate_analysis.count = cfg.rate_training.count = 0;
    snprintf(cfg.model, sizeof(cfg.model), "test.bin");
    cfg.alert_threshold = 0;
    cfg.recent_anomalies = recent;
    sn_engine *e = fx_engine(true);
    sn_service *s;
    sn_error err;
    if (!e || sn_service_new(&s, e, &cfg, NULL, &err) != SN_OK)
        return NULL;
    fx_answer *a = fx_post(s, "/api/v1/analyze/batch", batch, strlen(batch));
    if (a->status != 200 || !strstr(a->body, "\"anomalies_detected\":7")) {
        sn_service_free(s);
        return NULL;
    }
    return s;
}

static int setup(void **state)
{
    (void)state;
    svc = service(100000);
    return svc ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    sn_service_free(svc);
    return 0;
}

/* GET path with query arguments ("name", "value", ... NULL); the answer parsed. */
/* Ends get()'s list of query arguments (a null pointer of the type va_arg reads). */
#define ARGS_END ((const char *)NULL)

static json_t *get(sn_service *s, int want, const char *path, ...)
{
    sn_http_arg args[16];
    size_t n = 0;
    va_list ap;
    va_start(ap, path);
    for (const char *name; n < 16 && (name = va_arg(ap, const char *));) {
        args[n].name = name;
        args[n++].value = va_arg(ap, const char *);
    }
    va_end(ap);
    sn_http_request req = {.method = "GET", .path = path, .args = args, .n_args = n};
    sn_http_response resp;
    sn_service_handle(s, &req, &resp);
    if (resp.status != want)
        fail_msg("GET %s: %d, wanted %d: %.*s", path, resp.status, want, (int)resp.body_len,
                 resp.body);
    json_error_t jerr;
    json_t *j = json_loadb(resp.body, resp.body_len, 0, &jerr);
    free(resp.body);
    assert_non_null(j);
    return j;
}

static json_int_t int_at(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v))
        fail_msg("\"%s\" is not an integer", key);
    return json_integer_value(v);
}

static const char *str_at(json_t *obj, const char *key)
{
    const char *v = json_string_value(json_object_get(obj, key));
    if (!v)
        fail_msg("\"%s\" is not a string", key);
    return v;
}

static void test_ring_default_holds_100000(void **state)
{
    (void)state;
    sn_server_config cfg;
    sn_server_config_default(&cfg);
    cfg.max_future_seconds = 0;  /* fixtures carry fixed dates, some ahead of the clock */
    cfg.insecure_no_auth = true; /* the figures, not who may read them, are tested here */
    cfg.rate_general.count = cfg.rate_analysis.count = cfg.rate_training.count = 0;
    assert_int_equal(cfg.recent_anomalies, 100000);
    assert_int_equal(cfg.sessions, 1024);
    assert_int_equal(cfg.session_ttl, 28800);
}

static void test_overview_totals(void **state)
{
    (void)state;
    json_t *o = get(svc, 200, "/api/v1/stats/overview", ARGS_END);
    json_t *t = json_object_get(o, "totals");
    assert_int_equal(int_at(t, "events"), 7);
    assert_int_equal(int_at(t, "anomalies"), 7);
    assert_int_equal(int_at(t, "failures"), 3);
    assert_int_equal(int_at(t, "users"), 3);
    assert_int_equal(int_at(t, "anomalies_kept"), 7);
    assert_string_equal(str_at(o, "first_event"), "2026-12-07T10:00:00.000000Z");
    assert_string_equal(str_at(o, "last_event"), "2026-12-13T23:00:00.000000Z");
    /* Every event is an anomaly, and an anomaly is never below MEDIUM. */
    json_t *lv = json_object_get(o, "levels");
    assert_int_equal(int_at(lv, "NORMAL"), 0);
    assert_int_equal(int_at(lv, "LOW"), 0);
    assert_int_equal(int_at(lv, "MEDIUM") + int_at(lv, "HIGH") + int_at(lv, "CRITICAL"), 7);
    json_decref(o);
}

static void test_overview_timeline_and_heat_map(void **state)
{
    (void)state;
    json_t *o = get(svc, 200, "/api/v1/stats/overview", ARGS_END);
    json_t *tl = json_object_get(o, "timeline");
    assert_int_equal(int_at(tl, "bucket_seconds"), 3600);
    assert_string_equal(str_at(tl, "start"), "2026-12-07T10:00:00.000000Z");
    json_t *ev = json_object_get(tl, "events"), *an = json_object_get(tl, "anomalies");
    /* 2026-12-07 10:00 to 2026-12-13 23:00: six days and 14 hours. */
    assert_int_equal(json_array_size(ev), 6 * 24 + 14);
    assert_int_equal(json_array_size(an), 6 * 24 + 14);
    assert_int_equal(json_integer_value(json_array_get(ev, 0)), 2);
    assert_int_equal(json_integer_value(json_array_get(ev, 1)), 1);
    assert_int_equal(json_integer_value(json_array_get(ev, 2)), 0);
    assert_int_equal(json_integer_value(json_array_get(ev, 23)), 3); /* Tuesday 09:00 */
    assert_int_equal(json_integer_value(json_array_get(ev, 6 * 24 + 13)), 1);
    assert_int_equal(json_integer_value(json_array_get(an, 23)), 3);
    json_t *hm = json_object_get(o, "heatmap");
    json_t *heat = json_object_get(hm, "events");
    assert_string_equal(json_string_value(json_array_get(json_object_get(hm, "weekdays"), 0)),
                        "Mon");
    long total = 0;
    for (size_t w = 0; w < 7; w++)
        for (size_t h = 0; h < 24; h++)
            total += (long)json_integer_value(json_array_get(json_array_get(heat, w), h));
    assert_int_equal(total, 7);
    assert_int_equal(json_integer_value(json_array_get(json_array_get(heat, 0), 10)), 2);
    assert_int_equal(json_integer_value(json_array_get(json_array_get(heat, 0), 11)), 1);
    assert_int_equal(json_integer_value(json_array_get(json_array_get(heat, 1), 9)), 3);
    assert_int_equal(json_integer_value(json_array_get(json_array_get(heat, 6), 23)), 1);
    json_decref(o);
}

static void test_overview_lists(void **state)
{
    (void)state;
    json_t *o = get(svc, 200, "/api/v1/stats/overview", "recent", "2", ARGS_END);
    json_t *src = json_object_get(o, "top_failure_sources");
    assert_int_equal(json_array_size(src), 2);
    assert_string_equal(str_at(json_array_get(src, 0), "source_ip"), "203.0.113.9");
    assert_int_equal(int_at(json_array_get(src, 0), "failures"), 2);
    assert_string_equal(str_at(json_array_get(src, 1), "source_ip"), "10.0.0.2");
    assert_int_equal(int_at(json_array_get(src, 1), "failures"), 1);
    assert_int_equal(int_at(o, "other_source_failures"), 0);
    json_t *users = json_object_get(o, "top_users");
    assert_int_equal(json_array_size(users), 3);
    double prev = 101;
    for (size_t i = 0; i < 3; i++) {
        double r = json_number_value(json_object_get(json_array_get(users, i), "risk_score"));
        assert_true(r <= prev);
        prev = r;
    }
    /* The newest two anomalies, newest first. */
    json_t *recent = json_object_get(o, "recent_anomalies");
    assert_int_equal(json_array_size(recent), 2);
    assert_string_equal(str_at(json_array_get(recent, 0), "timestamp"),
                        "2026-12-13T23:00:00.000000Z");
    assert_string_equal(str_at(json_array_get(recent, 1), "timestamp"),
                        "2026-12-08T09:02:00.000000Z");
    json_decref(o);
    json_decref(get(svc, 422, "/api/v1/stats/overview", "recent", "101", ARGS_END));
}

static void test_anomalies_backward_compatible(void **state)
{
    (void)state;
    json_t *a = get(svc, 200, "/api/v1/anomalies", "limit", "3", ARGS_END);
    assert_int_equal(int_at(a, "count"), 3);
    assert_int_equal(int_at(a, "limit"), 3);
    assert_int_equal(int_at(a, "offset"), 0);
    assert_int_equal(int_at(a, "total"), 7);
    assert_string_equal(str_at(a, "sort"), "recent");
    json_t *list = json_object_get(a, "anomalies");
    assert_string_equal(str_at(json_array_get(list, 0), "timestamp"),
                        "2026-12-13T23:00:00.000000Z");
    assert_string_equal(str_at(json_array_get(list, 2), "user_id"), "dash-b");
    json_decref(a);
    json_decref(get(svc, 422, "/api/v1/anomalies", "limit", "0", ARGS_END));
    json_decref(get(svc, 422, "/api/v1/anomalies", "limit", "1001", ARGS_END));
}

static void test_anomalies_paged(void **state)
{
    (void)state;
    json_t *a = get(svc, 200, "/api/v1/anomalies", "limit", "5", "offset", "5", ARGS_END);
    assert_int_equal(int_at(a, "count"), 2);
    assert_int_equal(int_at(a, "total"), 7);
    json_t *list = json_object_get(a, "anomalies");
    /* Arrival order, newest first: the 6th and 7th newest are the batch's 2nd and 1st. */
    assert_string_equal(str_at(json_array_get(list, 0), "timestamp"),
                        "2026-12-07T10:30:00.000000Z");
    assert_string_equal(str_at(json_array_get(list, 1), "timestamp"),
                        "2026-12-07T10:00:00.000000Z");
    json_decref(a);
    a = get(svc, 200, "/api/v1/anomalies", "offset", "7", ARGS_END);
    assert_int_equal(int_at(a, "count"), 0);
    assert_int_equal(int_at(a, "total"), 7);
    json_decref(a);
    json_decref(get(svc, 422, "/api/v1/anomalies", "offset", "-1", ARGS_END));
}

static void test_anomalies_filtered(void **state)
{
    (void)state;
    json_t *a = get(svc, 200, "/api/v1/anomalies", "user", "dash-c", ARGS_END);
    assert_int_equal(int_at(a, "total"), 2);
    assert_string_equal(str_at(json_array_get(json_object_get(a, "anomalies"), 1), "timestamp"),
                        "2026-12-08T09:02:00.000000Z");
    json_decref(a);
    a = get(svc, 200, "/api/v1/anomalies", "q", "PAYROLL", ARGS_END);
    assert_int_equal(int_at(a, "total"), 4);
    json_decref(a);
    a = get(svc, 200, "/api/v1/anomalies", "q", "dash-b", ARGS_END);
    assert_int_equal(int_at(a, "total"), 2);
    json_decref(a);
    /* A key of the JSON is not a match: only user, resource and reasons are searched. */
    a = get(svc, 200, "/api/v1/anomalies", "q", "recommendation", ARGS_END);
    assert_int_equal(int_at(a, "total"), 0);
    json_decref(a);
    a = get(svc, 200, "/api/v1/anomalies", "level", "normal,LOW", ARGS_END);
    assert_int_equal(int_at(a, "total"), 0);
    json_decref(a);
    a = get(svc, 200, "/api/v1/anomalies", "level", "MEDIUM,HIGH,CRITICAL", "user", "dash-a",
            ARGS_END);
    assert_int_equal(int_at(a, "total"), 3);
    json_decref(a);
    json_decref(get(svc, 422, "/api/v1/anomalies", "level", "SEVERE", ARGS_END));
    json_decref(get(svc, 422, "/api/v1/anomalies", "sort", "colour", ARGS_END));
}

static void test_anomalies_sorted(void **state)
{
    (void)state;
    json_t *a = get(svc, 200, "/api/v1/anomalies", "sort", "time", "limit", "1", ARGS_END);
    assert_string_equal(str_at(a, "sort"), "time");
    assert_string_equal(str_at(json_array_get(json_object_get(a, "anomalies"), 0), "timestamp"),
                        "2026-12-07T10:00:00.000000Z");
    json_decref(a);
    a = get(svc, 200, "/api/v1/anomalies", "sort", "-user", ARGS_END);
    json_t *list = json_object_get(a, "anomalies");
    assert_string_equal(str_at(json_array_get(list, 0), "user_id"), "dash-c");
    assert_string_equal(str_at(json_array_get(list, 6), "user_id"), "dash-a");
    json_decref(a);
    a = get(svc, 200, "/api/v1/anomalies", "sort", "-risk", ARGS_END);
    list = json_object_get(a, "anomalies");
    assert_int_equal(json_array_size(list), 7);
    for (size_t i = 1; i < 7; i++)
        assert_true(json_number_value(json_object_get(json_array_get(list, i - 1), "risk_score")) >=
                    json_number_value(json_object_get(json_array_get(list, i), "risk_score")));
    json_decref(a);
}

static void test_ring_is_bounded(void **state)
{
    (void)state;
    sn_service *s = service(3);
    assert_non_null(s);
    json_t *a = get(s, 200, "/api/v1/anomalies", ARGS_END);
    assert_int_equal(int_at(a, "total"), 3);
    assert_string_equal(str_at(json_array_get(json_object_get(a, "anomalies"), 2), "timestamp"),
                        "2026-12-08T09:01:00.000000Z");
    json_decref(a);
    json_t *o = get(s, 200, "/api/v1/stats/overview", ARGS_END);
    /* The figures count every event; only the kept verdicts are bounded. */
    assert_int_equal(int_at(json_object_get(o, "totals"), "anomalies"), 7);
    assert_int_equal(int_at(json_object_get(o, "totals"), "anomalies_kept"), 3);
    json_decref(o);
    sn_service_free(s);
}

static void test_user_events(void **state)
{
    (void)state;
    json_t *u = get(svc, 200, "/api/v1/user/dash-a/events", ARGS_END);
    assert_string_equal(str_at(u, "user_id"), "dash-a");
    assert_string_equal(str_at(u, "department"), "Ops");
    assert_int_equal(int_at(u, "events"), 3);
    assert_int_equal(int_at(u, "anomalies"), 3);
    assert_int_equal(int_at(u, "failures"), 0);
    assert_int_equal(int_at(u, "peers"), 2);
    json_t *tl = json_object_get(u, "timeline");
    assert_int_equal(json_array_size(tl), 3);
    assert_string_equal(str_at(json_array_get(tl, 0), "timestamp"), "2026-12-07T11:00:00.000000Z");
    assert_string_equal(str_at(json_array_get(tl, 0), "resource"), "crm");
    assert_string_equal(str_at(json_array_get(tl, 0), "action"), "write");
    assert_string_equal(str_at(json_array_get(tl, 0), "location"), "Pune, IN");
    assert_string_equal(str_at(json_array_get(tl, 0), "source_ip"), "10.0.0.1");
    json_t *loc = json_object_get(u, "locations");
    assert_int_equal(json_array_size(loc), 2);
    assert_string_equal(str_at(json_array_get(loc, 0), "location"), "Mumbai, IN");
    assert_int_equal(int_at(json_array_get(loc, 0), "events"), 2);
    assert_string_equal(str_at(json_array_get(loc, 1), "location"), "Pune, IN");
    assert_int_equal(int_at(json_array_get(loc, 1), "events"), 1);
    /* Both Ops users used payroll; only dash-a used crm. */
    json_t *res = json_object_get(u, "resources");
    assert_int_equal(json_array_size(res), 2);
    assert_string_equal(str_at(json_array_get(res, 0), "resource"), "payroll");
    assert_int_equal(int_at(json_array_get(res, 0), "events"), 2);
    assert_true(json_number_value(json_object_get(json_array_get(res, 0), "peer_share")) == 1.0);
    assert_string_equal(str_at(json_array_get(res, 1), "resource"), "crm");
    assert_true(json_number_value(json_object_get(json_array_get(res, 1), "peer_share")) == 0.5);
    assert_int_equal(json_array_size(json_object_get(u, "alerts")), 3);
    /* The engine's baseline: hours 10, 10 and 11 hold all of the user's events. */
    json_t *b = json_object_get(u, "baseline");
    assert_true(json_is_object(b));
    json_t *hours = json_object_get(b, "usual_hours");
    assert_int_equal(int_at(hours, "from"), 10);
    assert_int_equal(int_at(hours, "to"), 11);
    json_t *places = json_object_get(b, "usual_places");
    assert_string_equal(str_at(json_array_get(places, 0), "location"), "Mumbai, IN");
    assert_int_equal(int_at(json_array_get(places, 0), "events"), 2);
    json_t *resources = json_object_get(b, "usual_resources");
    assert_string_equal(str_at(json_array_get(resources, 0), "resource"), "payroll");
    assert_int_equal(int_at(json_array_get(resources, 0), "events"), 2);
    json_decref(u);
    u = get(svc, 200, "/api/v1/user/dash-a/events", "alerts", "1", ARGS_END);
    assert_int_equal(json_array_size(json_object_get(u, "alerts")), 1);
    json_decref(u);
    json_decref(get(svc, 404, "/api/v1/user/nobody/events", ARGS_END));
    json_decref(get(svc, 422, "/api/v1/user/\xff/events", ARGS_END));
}

/* After an erasure the dashboard holds nothing of the user: no figures, events, places or
 * resources, and the department's shares count the users left. */
static void test_an_erased_user_leaves_the_figures(void **state)
{
    (void)state;
    char dir[] = "/tmp/sn_dash_forget_XXXXXX", db[64];
    assert_non_null(mkdtemp(dir));
    snprintf(db, sizeof(db), "%s/s.db", dir);
    sn_server_config cfg;
    sn_server_config_default(&cfg);
    cfg.max_future_seconds = 0; /* fixtures carry fixed dates, some ahead of the clock */
    cfg.insecure_no_auth = true;
    cfg.rate_general.count = cfg.rate_analysis.count = cfg.rate_training.count = 0;
    snprintf(cfg.model, sizeof(cfg.model), "test.bin");
    cfg.alert_threshold = 0;
    sn_engine *e = fx_engine(true);
    assert_non_null(e);
    sn_service *s;
    sn_error err;
    assert_int_equal(sn_service_new(&s, e, &cfg, NULL, &err), SN_OK);
    sn_store_keys keys = {.encrypt = true};
    memset(keys.master, 7, sizeof(keys.master));
    sn_store *store;
    assert_int_equal(sn_store_open(&store, db, &keys, &err), SN_OK);
    assert_int_equal(sn_service_set_store(s, store, &err), SN_OK);
    assert_int_equal(fx_post(s, "/api/v1/analyze/batch", batch, strlen(batch))->status, 200);
    json_t *b = get(s, 200, "/api/v1/user/dash-b/events", ARGS_END);
    assert_int_equal(int_at(b, "peers"), 2);
    json_decref(b);

    assert_int_equal(fx_call(s, "DELETE", "/api/v1/user/dash-a", NULL, NULL, 0)->status, 200);
    json_t *gone = get(s, 404, "/api/v1/user/dash-a/events", ARGS_END);
    assert_string_equal(str_at(json_object_get(gone, "error"), "code"), "user_not_found");
    json_decref(gone);
    b = get(s, 200, "/api/v1/user/dash-b/events", ARGS_END);
    assert_int_equal(int_at(b, "events"), 2);
    assert_int_equal(int_at(b, "peers"), 1);
    json_t *res = json_object_get(b, "resources");
    assert_int_equal(json_array_size(res), 1);
    assert_string_equal(str_at(json_array_get(res, 0), "resource"), "payroll");
    assert_true(json_number_value(json_object_get(json_array_get(res, 0), "peer_share")) == 1.0);
    json_decref(b);
    json_t *o = get(s, 200, "/api/v1/stats/overview", ARGS_END);
    json_t *top = json_object_get(o, "top_users");
    for (size_t i = 0; i < json_array_size(top); i++)
        assert_string_not_equal(str_at(json_array_get(top, i), "user_id"), "dash-a");
    json_decref(o);

    /* Seen again afterwards: counted from nothing. */
    static const char again[] = "{\"events\":[" EV(
        "dash-a", "Ops", "crm", "read", "2026-12-09 10:00:00", "10.0.0.1", "Pune, IN", "true") "]}";
    assert_int_equal(fx_post(s, "/api/v1/analyze/batch", again, strlen(again))->status, 200);
    json_t *a = get(s, 200, "/api/v1/user/dash-a/events", ARGS_END);
    assert_int_equal(int_at(a, "events"), 1);
    assert_int_equal(json_array_size(json_object_get(a, "timeline")), 1);
    assert_int_equal(json_array_size(json_object_get(a, "locations")), 1);
    assert_int_equal(int_at(a, "peers"), 2);
    json_decref(a);

    /* An id with a '/' in it (CloudTrail's ROLE/SESSION) is erased by its whole path. */
    static const char role[] =
        "{\"events\":[" EV("Admin/alice-session", "Ops", "crm", "read", "2026-12-09 11:00:00",
                           "10.0.0.1", "Pune, IN", "true") "]}";
    assert_int_equal(fx_post(s, "/api/v1/analyze/batch", role, strlen(role))->status, 200);
    json_decref(get(s, 200, "/api/v1/user/Admin/alice-session/events", ARGS_END));
    fx_answer *del = fx_call(s, "DELETE", "/api/v1/user/Admin/alice-session", NULL, NULL, 0);
    assert_int_equal(del->status, 200);
    assert_non_null(strstr(del->body, "\"user_id\":\"Admin/alice-session\""));
    json_decref(get(s, 404, "/api/v1/user/Admin/alice-session/events", ARGS_END));
    /* its suffixes still name the routes they name */
    assert_int_equal(fx_call(s, "DELETE", "/api/v1/user/dash-b/events", NULL, NULL, 0)->status,
                     405);
    sn_service_free(s);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ring_default_holds_100000),
        cmocka_unit_test(test_overview_totals),
        cmocka_unit_test(test_overview_timeline_and_heat_map),
        cmocka_unit_test(test_overview_lists),
        cmocka_unit_test(test_anomalies_backward_compatible),
        cmocka_unit_test(test_anomalies_paged),
        cmocka_unit_test(test_anomalies_filtered),
        cmocka_unit_test(test_anomalies_sorted),
        cmocka_unit_test(test_ring_is_bounded),
        cmocka_unit_test(test_user_events),
        cmocka_unit_test(test_an_erased_user_leaves_the_figures),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
