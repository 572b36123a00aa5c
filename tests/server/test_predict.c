/* POST /api/v1/predict/access and the predictor in GET /api/v1/model/metrics, in process: a good
 * request answers exactly what the predictor says, a missing or unusable field its 422, a body
 * that is not an object 422, bad JSON 400, no predictor 503. */
#include "fixture.h"
#include "iam/predict_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

static sn_service *svc, *bare;

static int setup(void **state)
{
    (void)state;
    svc = fx_service(true, 100);
    bare = fx_service(true, 100);
    sn_predict_data *d = fx_predict_data();
    sn_predict_params p;
    fx_predict_params(&p);
    sn_predictor *pr = NULL;
    sn_error err;
    if (!svc || !bare || !d || sn_predictor_fit(&pr, d, &p, &err) != SN_OK)
        return -1;
    sn_predict_data_free(d);
    sn_service_set_predictor(svc, pr);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sn_service_free(svc);
    sn_service_free(bare);
    return 0;
}

static fx_answer *post(sn_service *s, const char *body)
{
    return fx_call(s, "POST", "/api/v1/predict/access", "application/json", body, strlen(body));
}

static void test_good_request(void **state)
{
    (void)state;
    fx_answer *a = post(svc, "{\"user_id\":\"s3\",\"department\":\"Sales\",\"job_title\":\"Rep\","
                             "\"resource\":\"crm\",\"action\":\"read\",\"note\":\"ignored\"}");
    assert_int_equal(a->status, 200);
    /* exactly what the predictor answers, through the same writer */
    sn_predict_data *d = fx_predict_data();
    sn_predict_params p;
    fx_predict_params(&p);
    sn_predictor *pr = NULL;
    sn_error err;
    assert_int_equal(sn_predictor_fit(&pr, d, &p, &err), SN_OK);
    sn_prediction want;
    fx_ask(pr, "s3", "Sales", "Rep", "crm", &want);
    sn_buf b;
    sn_buf_init(&b);
    sn_prediction_json(&want, &b);
    assert_string_equal(a->body, b.data);
    assert_true(want.should_approve);
    assert_non_null(strstr(a->body, "\"peer_analysis\":{\"department\":{\"value\":\"Sales\","
                                    "\"peers\":9,\"with_access\":9,\"share\":1.0000},"
                                    "\"job_title\":{\"value\":\"Rep\",\"peers\":9,"
                                    "\"with_access\":9,\"share\":1.0000}}}"));
    sn_buf_free(&b);
    sn_predictor_free(pr);
    sn_predict_data_free(d);

    a = post(svc, "{\"user_id\":\"s3\",\"department\":\"Sales\",\"job_title\":\"Rep\","
                  "\"resource\":\"git\",\"action\":\"read\"}");
    assert_int_equal(a->status, 200);
    assert_non_null(strstr(a->body, "{\"should_approve\":false,"));
    assert_non_null(strstr(a->body, "\"recommendation\":\"DENY\""));
    assert_non_null(strstr(a->body, "\"peers\":9,\"with_access\":0,\"share\":0.0000"));
}

static void test_missing_and_bad_fields(void **state)
{
    (void)state;
    fx_answer *a = post(svc, "{\"user_id\":\"s3\",\"department\":\"Sales\",\"job_title\":\"Rep\","
                             "\"action\":\"read\"}");
    assert_int_equal(a->status, 422);
    assert_string_equal(a->body, "{\"error\":{\"code\":\"missing_field\",\"message\":\"the "
                                 "request needs resource\",\"field\":\"resource\"}}");
    a = post(svc, "{\"user_id\":\"s3\",\"department\":true,\"job_title\":\"Rep\","
                  "\"resource\":\"git\",\"action\":\"read\"}");
    assert_int_equal(a->status, 422);
    assert_string_equal(a->body, "{\"error\":{\"code\":\"invalid_field\",\"message\":\"department "
                                 "must be a string\",\"field\":\"department\"}}");
    a = post(svc, "{\"user_id\":\"\",\"department\":\"Sales\",\"job_title\":\"Rep\","
                  "\"resource\":\"git\",\"action\":\"read\"}");
    assert_int_equal(a->status, 422);
    assert_string_equal(a->body, "{\"error\":{\"code\":\"invalid_field\",\"message\":\"user_id "
                                 "must not be empty\",\"field\":\"user_id\"}}");
    a = post(svc, "{\"user_id\":\"a\\u0000b\",\"department\":\"Sales\",\"job_title\":\"Rep\","
                  "\"resource\":\"git\",\"action\":\"read\"}");
    assert_int_equal(a->status, 422);
    assert_string_equal(a->body, "{\"error\":{\"code\":\"invalid_field\",\"message\":\"user_id "
                                 "must not hold a NUL character\",\"field\":\"user_id\"}}");
    a = post(svc, "[1,2]");
    assert_int_equal(a->status, 422);
    assert_string_equal(a->body, "{\"error\":{\"code\":\"invalid_request\",\"message\":\"the body "
                                 "must be a JSON object: user_id, department, job_title, "
                                 "resource, action\"}}");
    a = post(svc, "{\"user_id\":");
    assert_int_equal(a->status, 400);
    assert_non_null(strstr(a->body, "\"code\":\"malformed_json\""));
    a = fx_call(svc, "POST", "/api/v1/predict/access", "text/plain", "{}", 2);
    assert_int_equal(a->status, 415);
    a = fx_call(svc, "GET", "/api/v1/predict/access", NULL, NULL, 0);
    assert_int_equal(a->status, 405);
}

static void test_integers_are_values(void **state)
{
    (void)state;
    /* ids written as JSON integers are the same values as their decimal strings */
    fx_answer *a = post(svc, "{\"user_id\":17,\"department\":\"Sales\",\"job_title\":\"Rep\","
                             "\"resource\":\"crm\",\"action\":\"read\"}");
    assert_int_equal(a->status, 200);
    char first[1024];
    snprintf(first, sizeof(first), "%s", a->body);
    a = post(svc, "{\"user_id\":\"17\",\"department\":\"Sales\",\"job_title\":\"Rep\","
                  "\"resource\":\"crm\",\"action\":\"read\"}");
    assert_string_equal(a->body, first);
}

static void test_no_predictor(void **state)
{
    (void)state;
    fx_answer *a = post(bare, "{\"user_id\":\"s3\"}");
    assert_int_equal(a->status, 503);
    assert_string_equal(a->body, "{\"error\":{\"code\":\"predictor_not_loaded\",\"message\":\"no "
                                 "access predictor is configured (the server's predictor "
                                 "option)\"}}");
    a = fx_call(bare, "GET", "/api/v1/model/metrics", NULL, NULL, 0);
    assert_int_equal(a->status, 200);
    assert_non_null(strstr(a->body, ",\"access_predictor\":null}"));
}

static void test_metrics_describe_the_predictor(void **state)
{
    (void)state;
    fx_answer *a = fx_call(svc, "GET", "/api/v1/model/metrics", NULL, NULL, 0);
    assert_int_equal(a->status, 200);
    json_error_t jerr;
    json_t *j = json_loads(a->body, 0, &jerr);
    assert_non_null(j);
    json_t *p = json_object_get(j, "access_predictor");
    assert_true(json_is_object(p));
    assert_string_equal(json_string_value(json_object_get(p, "algorithm")),
                        "gradient_boosted_trees");
    assert_int_equal(json_integer_value(json_object_get(p, "training_rows")), 180);
    assert_int_equal(json_integer_value(json_object_get(p, "training_approved")), 120);
    assert_int_equal(json_integer_value(json_object_get(p, "features")), 30);
    assert_int_equal(strlen(json_string_value(json_object_get(p, "training_data_sha256"))), 64);
    assert_true(json_is_null(json_object_get(p, "cv_auc")));
    json_t *params = json_object_get(p, "parameters");
    assert_int_equal(json_integer_value(json_object_get(params, "trees")), 50);
    assert_int_equal(json_integer_value(json_object_get(params, "interactions")), 2);
    assert_int_equal(json_array_size(json_object_get(p, "columns")), 5);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_request),
        cmocka_unit_test(test_missing_and_bad_fields),
        cmocka_unit_test(test_integers_are_values),
        cmocka_unit_test(test_no_predictor),
        cmocka_unit_test(test_metrics_describe_the_predictor),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
