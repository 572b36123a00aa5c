/* POST /api/v1/roles/discover in process: roles mined from the baselines of the model (30
 * generated users) and of the events analysed since, n_clusters given or chosen, and the exact
 * answers to a bad n_clusters, a service without a model and a wrong method. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixture.h"

static sn_service *svc, *unready;

static int setup(void **state)
{
    (void)state;
    svc = fx_service(true, 100);
    unready = fx_service(false, 100);
    return svc && unready ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    sn_service_free(svc);
    sn_service_free(unready);
    return 0;
}

static fx_answer *discover(sn_service *s, const char *n_clusters)
{
    static fx_answer a;
    free(a.body);
    sn_http_arg arg = {"n_clusters", n_clusters};
    sn_http_request req = {.method = "POST",
                           .path = "/api/v1/roles/discover",
                           .args = &arg,
                           .n_args = n_clusters ? 1 : 0};
    sn_http_response resp;
    sn_service_handle(s, &req, &resp);
    a.status = resp.status;
    a.body = malloc(resp.body_len + 1);
    memcpy(a.body, resp.body, resp.body_len);
    a.body[resp.body_len] = '\0';
    a.len = resp.body_len;
    a.retry_after = resp.retry_after;
    free(resp.body);
    return &a;
}

static void test_discover(void **state)
{
    (void)state;
    fx_answer *a = discover(svc, NULL);
    assert_int_equal(a->status, 200);
    json_error_t jerr;
    json_t *d = json_loads(a->body, 0, &jerr);
    assert_non_null(d);
    assert_int_equal(json_integer_value(json_object_get(d, "total_users")), 30);
    json_int_t k = json_integer_value(json_object_get(d, "total_roles"));
    assert_true(k >= 2 && k <= 29);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(d, "k_selection"), "method")),
        "silhouette");
    json_t *roles = json_object_get(d, "roles");
    assert_int_equal((json_int_t)json_array_size(roles), k);
    json_int_t members = 0;
    size_t i;
    json_t *r;
    json_array_foreach(roles, i, r)
    {
        members += json_integer_value(json_object_get(r, "user_count"));
        assert_non_null(json_string_value(json_object_get(r, "role_name")));
        assert_int_equal(json_array_size(json_object_get(r, "users")),
                         json_integer_value(json_object_get(r, "user_count")));
    }
    assert_int_equal(members, 30);
    json_t *h = json_object_get(d, "role_health");
    assert_int_equal(json_integer_value(json_object_get(h, "total_roles")), k);
    assert_true(json_is_boolean(json_object_get(h, "is_role_explosion")));
    /* The generated users name their departments: purity is known. */
    assert_true(
        json_is_number(json_object_get(json_object_get(d, "quality"), "purity_department")));
    json_decref(d);

    a = discover(svc, "3");
    assert_int_equal(a->status, 200);
    d = json_loads(a->body, 0, &jerr);
    assert_int_equal(json_integer_value(json_object_get(d, "total_roles")), 3);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(d, "k_selection"), "method")), "given");
    json_decref(d);
    /* The same request, the same roles (the seconds aside). */
    char *first = strdup(a->body);
    a = discover(svc, "3");
    char *s1 = strstr(first, ",\"seconds\":"), *s2 = strstr(a->body, ",\"seconds\":");
    assert_non_null(s1);
    assert_non_null(s2);
    assert_int_equal(s1 - first, s2 - a->body);
    assert_memory_equal(first, a->body, (size_t)(s1 - first));
    free(first);
}

/* Users first seen by the server join the matrix: 5 new users of a new resource. */
static void test_discover_sees_new_events(void **state)
{
    (void)state;
    char body[4096];
    size_t o = (size_t)snprintf(body, sizeof(body), "{\"events\":[");
    for (int u = 0; u < 5; u++)
        for (int e = 0; e < 3; e++)
            o += (size_t)snprintf(body + o, sizeof(body) - o,
                                  "%s{\"user_id\":\"NEW%d\",\"department\":\"Research\","
                                  "\"resource\":\"lab_notebook\",\"action\":\"read\","
                                  "\"timestamp\":\"2026-12-0%d 10:00:00\",\"success\":true}",
                                  u || e ? "," : "", u, e + 1);
    snprintf(body + o, sizeof(body) - o, "]}");
    assert_int_equal(fx_post(svc, "/api/v1/analyze/batch", body, strlen(body))->status, 200);
    fx_answer *a = discover(svc, NULL);
    assert_int_equal(a->status, 200);
    json_error_t jerr;
    json_t *d = json_loads(a->body, 0, &jerr);
    assert_int_equal(json_integer_value(json_object_get(d, "total_users")), 35);
    /* They make a role of their own. */
    bool found = false;
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(d, "roles"), i, r)
    {
        const char *name = json_string_value(json_object_get(r, "role_name"));
        if (!strcmp(name, "Research")) {
            found = true;
            assert_int_equal(json_integer_value(json_object_get(r, "user_count")), 5);
            assert_string_equal(json_string_value(json_object_get(r, "top_resource")),
                                "lab_notebook");
        }
    }
    assert_true(found);
    json_decref(d);
}

static void test_bad_n_clusters(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "0", "1", "1001", "abc", "-3", "3x", "", " 3", "99999999999999999999"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        fx_answer *a = discover(svc, bad[i]);
        assert_int_equal(a->status, 422);
        assert_string_equal(a->body, "{\"error\":{\"code\":\"invalid_field\",\"message\":"
                                     "\"n_clusters must be an integer from 2 to 1000\","
                                     "\"field\":\"n_clusters\"}}");
    }
    /* ?n_clusters without a value. */
    fx_answer *a = discover(svc, NULL);
    sn_http_arg arg = {"n_clusters", NULL};
    sn_http_request req = {
        .method = "POST", .path = "/api/v1/roles/discover", .args = &arg, .n_args = 1};
    sn_http_response resp;
    sn_service_handle(svc, &req, &resp);
    assert_int_equal(resp.status, 422);
    free(resp.body);
    /* More roles than users (35 by now). */
    a = discover(svc, "36");
    assert_int_equal(a->status, 422);
    assert_string_equal(a->body, "{\"error\":{\"code\":\"invalid_field\",\"message\":"
                                 "\"36 roles asked of 35 users\",\"field\":\"n_clusters\"}}");
}

/* Discovery counts against the training allowance (1 an hour by default), but a request refused
 * for its own arguments did no training and leaves it whole. */
static void test_a_refused_discovery_spends_no_allowance(void **state)
{
    (void)state;
    sn_server_config cfg;
    sn_server_config_default(&cfg);
    cfg.max_future_seconds = 0; /* fixtures carry fixed dates, some ahead of the clock */
    snprintf(cfg.model, sizeof(cfg.model), "test.bin");
    cfg.insecure_no_auth = true;
    cfg.rate_general.count = cfg.rate_analysis.count = 0;
    assert_int_equal(cfg.rate_training.count, 1);
    sn_engine *e = fx_engine(true);
    assert_non_null(e);
    sn_service *s;
    sn_error err;
    assert_int_equal(sn_service_new(&s, e, &cfg, NULL, &err), SN_OK);
    assert_int_equal(discover(s, "1")->status, 422);
    assert_int_equal(discover(s, "x")->status, 422);
    assert_int_equal(discover(s, "2")->status, 200);
    fx_answer *a = discover(s, "2");
    assert_int_equal(a->status, 429);
    sn_service_free(s);
}

static void test_discover_other_answers(void **state)
{
    (void)state;
    fx_answer *a = discover(unready, NULL);
    assert_int_equal(a->status, 503);
    assert_int_equal(a->retry_after, 1);
    assert_string_equal(a->body, "{\"error\":{\"code\":\"model_not_ready\",\"message\":"
                                 "\"no model is loaded yet\"}}");
    a = fx_call(svc, "GET", "/api/v1/roles/discover", NULL, NULL, 0);
    assert_int_equal(a->status, 405);
    /* A body is not needed, and not read. */
    a = fx_call(svc, "POST", "/api/v1/roles/discover", "text/plain", "anything", 8);
    assert_int_equal(a->status, 200);
    assert_true(sn_service_is_heavy("/api/v1/roles/discover"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_discover),
        cmocka_unit_test(test_discover_sees_new_events),
        cmocka_unit_test(test_bad_n_clusters),
        cmocka_unit_test(test_a_refused_discovery_spends_no_allowance),
        cmocka_unit_test(test_discover_other_answers),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
