/* Access-request prediction: the tree ensembles, the request file reader, the predictor's
 * decisions and peer counts on data of known structure, determinism, and the predictor file. */
#include "iam/predict_fixture.h"
#include "testutil.h"

#include "iam/tree.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

static char *error_text(const sn_error *err)
{
    static char msg[1024];
    sn_error_format(err, msg, sizeof(msg));
    return msg;
}

/* XOR of two features, with the quadrant (1, 1) twice as frequent: an exactly balanced XOR
 * gives no single split any gain, for any greedy tree. */
static void xor_data(float *x, uint8_t *y, size_t n)
{
    static const int qa[5] = {0, 0, 1, 1, 1}, qb[5] = {0, 1, 0, 1, 1};
    for (size_t i = 0; i < n; i++) {
        int a = qa[i % 5], b = qb[i % 5];
        x[2 * i] = (float)a + 0.01f * (float)(i % 7);
        x[2 * i + 1] = (float)b + 0.01f * (float)(i % 3);
        y[i] = (uint8_t)(a ^ b);
    }
}

static void test_trees_learn_xor(void **state)
{
    (void)state;
    enum { N = 400 };
    float x[2 * N];
    uint8_t y[N];
    xor_data(x, y, N);
    for (int kind = 0; kind < 2; kind++) {
        sn_trees_params p;
        sn_trees_params_default(&p, (sn_trees_kind)kind);
        p.trees = 30;
        p.min_child_weight = kind ? 1 : 0.1;
        p.learning_rate = kind ? 1 : 0.3;
        p.col_sample = 1; /* both features in every tree and node: the interaction needs both */
        sn_trees *t = NULL;
        sn_error err;
        assert_int_equal(sn_trees_fit(&t, x, y, N, 2, &p, &err), SN_OK);
        assert_int_equal(sn_trees_count(t), 30);
        float q00[2] = {0, 0}, q01[2] = {0, 1}, q10[2] = {1, 0}, q11[2] = {1, 1};
        assert_true(sn_trees_predict(t, q00) < 0.1);
        assert_true(sn_trees_predict(t, q11) < 0.1);
        assert_true(sn_trees_predict(t, q01) > 0.9);
        assert_true(sn_trees_predict(t, q10) > 0.9);
        /* written and read back: the same answers to the bit */
        sn_buf b;
        sn_buf_init(&b);
        sn_trees_write(t, &b);
        sn_trees *u = NULL;
        size_t used = 0;
        assert_int_equal(sn_trees_read(&u, (const uint8_t *)b.data, b.len, &used, &err), SN_OK);
        assert_int_equal(used, b.len);
        assert_true(sn_trees_predict(u, q01) == sn_trees_predict(t, q01));
        /* every cut short copy is refused */
        for (size_t k = 0; k < b.len; k += 7) {
            sn_trees *v = NULL;
            sn_status s = sn_trees_read(&v, (const uint8_t *)b.data, k, &used, &err);
            assert_int_not_equal(s, SN_OK);
            assert_null(v);
        }
        sn_buf_free(&b);
        sn_trees_free(u);
        sn_trees_free(t);
    }
}

static void test_trees_refuse_bad_parameters(void **state)
{
    (void)state;
    sn_trees_params p;
    sn_trees_params_default(&p, SN_TREES_BOOSTED);
    p.bins = 257;
    sn_error err;
    assert_int_equal(sn_trees_params_check(&p, &err), SN_ERR_USAGE);
    assert_string_equal(error_text(&err), "bins: out of range");
    float x[2] = {0, 1};
    uint8_t y[2] = {0, 1};
    sn_trees *t = NULL;
    sn_trees_params_default(&p, SN_TREES_BOOSTED);
    assert_int_equal(sn_trees_fit(&t, x, y, 1, 1, &p, &err), SN_ERR_USAGE);
    assert_null(t);
}

static void test_csv_reads_requests(void **state)
{
    (void)state;
    static const char text[] = "\xEF\xBB\xBF"
                               "ACTION,RESOURCE,MGR_ID,ROLE_DEPTNAME\r\n"
                               "1,10,5,\"a,b\"\r\n"
                               "0,11,5,\"say \"\"x\"\"\"\r\n"
                               "\r\n";
    sn_predict_data *d = NULL;
    sn_error err;
    assert_int_equal(
        sn_predict_data_parse_csv(&d, text, sizeof(text) - 1, "req.csv", "action", &err), SN_OK);
    assert_int_equal(sn_predict_data_rows(d), 2);
    assert_int_equal(sn_predict_data_positives(d), 1);
    assert_int_equal(sn_predict_data_columns(d), 3);
    assert_string_equal(sn_predict_data_column(d, 0), "RESOURCE");
    assert_string_equal(sn_predict_data_column(d, 2), "ROLE_DEPTNAME");
    sn_predict_data_free(d);
}

static void expect_csv_error(const char *text, const char *label, const char *want)
{
    sn_predict_data *d = NULL;
    sn_error err;
    assert_int_not_equal(sn_predict_data_parse_csv(&d, text, strlen(text), "req.csv", label, &err),
                         SN_OK);
    assert_null(d);
    assert_string_equal(error_text(&err), want);
}

static void test_csv_errors_name_line_and_field(void **state)
{
    (void)state;
    expect_csv_error("", "ACTION", "req.csv: the file is empty");
    expect_csv_error("RESOURCE,MGR_ID\n1,2\n", "ACTION",
                     "req.csv:1: ACTION: no such column in the header (the 0/1 label)");
    expect_csv_error("ACTION,RESOURCE\n1,10\n1,10,5\n", "ACTION",
                     "req.csv:3: 3 fields where the header has 2");
    expect_csv_error("ACTION,RESOURCE\n1,10\n2,10\n", "ACTION",
                     "req.csv:3: ACTION: the label must be 0 or 1");
    expect_csv_error("ACTION,RESOURCE\n1,\"10\n", "ACTION",
                     "req.csv:2: a quoted field is not closed (the header has 2)");
    expect_csv_error("ACTION,RESOURCE\n1,1\"0\n", "ACTION",
                     "req.csv:2: a quote inside an unquoted field (the header has 2)");
    expect_csv_error("ACTION,RESOURCE\n1,\xff\n", "ACTION",
                     "req.csv:2: RESOURCE: not valid UTF-8 text");
    expect_csv_error("ACTION,ACTION\n1,1\n", "ACTION",
                     "req.csv:1: ACTION: the column is named twice");
    expect_csv_error("ACTION\n1\n", "ACTION", "req.csv:1: header: no column besides the label");
    expect_csv_error("ACTION,RESOURCE\n", "ACTION", "req.csv: no rows after the header");
}

static void test_predictor_learns_interactions_and_peers(void **state)
{
    (void)state;
    sn_predict_data *d = fx_predict_data();
    assert_non_null(d);
    assert_int_equal(sn_predict_data_rows(d), 180);
    assert_int_equal(sn_predict_data_positives(d), 120);
    sn_predict_params p;
    fx_predict_params(&p);
    sn_predictor *pr = NULL;
    sn_error err;
    assert_int_equal(sn_predictor_fit(&pr, d, &p, &err), SN_OK);

    sn_prediction a;
    fx_ask(pr, "e0", "Eng", "Dev", "git", &a);
    assert_true(a.probability_approve > 0.9);
    assert_true(a.should_approve);
    assert_string_equal(a.recommendation, "APPROVE");
    assert_true(a.probability_deny == 1 - a.probability_approve);
    assert_true(a.confidence == a.probability_approve);
    /* ten engineers, the requester excluded: nine peers, all holding git */
    assert_true(a.department.present);
    assert_string_equal(a.department.value, "Eng");
    assert_int_equal(a.department.peers, 9);
    assert_int_equal(a.department.holders, 9);
    assert_true(a.department.share == 1.0);
    assert_int_equal(a.title.peers, 9);
    assert_false(a.manager.present);

    fx_ask(pr, "s3", "Sales", "Rep", "git", &a);
    assert_true(a.probability_approve < 0.1);
    assert_false(a.should_approve);
    assert_string_equal(a.recommendation, "DENY");
    assert_int_equal(a.department.peers, 9);
    assert_int_equal(a.department.holders, 0);
    assert_true(a.department.share == 0.0);

    /* a new engineer is nobody's peer yet: all ten engineers count */
    fx_ask(pr, "e77", "Eng", "Dev", "git", &a);
    assert_true(a.should_approve);
    assert_int_equal(a.department.peers, 10);
    assert_int_equal(a.department.holders, 10);

    /* an unknown department has no peers */
    fx_ask(pr, "x", "Legal", "Counsel", "wiki", &a);
    assert_int_equal(a.department.peers, 0);
    assert_int_equal(a.department.holders, 0);

    sn_buf b;
    sn_buf_init(&b);
    fx_ask(pr, "e0", "Eng", "Dev", "git", &a);
    sn_prediction_json(&a, &b);
    assert_non_null(strstr(b.data, ",\"recommendation\":\"APPROVE\",\"reason\":\"requests like "
                                   "this one are usually approved\",\"peer_analysis\":{"
                                   "\"department\":{\"value\":\"Eng\",\"peers\":9,\"with_access\":"
                                   "9,\"share\":1.0000},\"job_title\":{\"value\":\"Dev\",\"peers\":"
                                   "9,\"with_access\":9,\"share\":1.0000}}}"));
    assert_true(strncmp(b.data, "{\"should_approve\":true,\"confidence\":0.9", 39) == 0);
    sn_buf_free(&b);
    sn_predictor_free(pr);
    sn_predict_data_free(d);
}

static void test_predictor_is_deterministic(void **state)
{
    (void)state;
    sn_predict_data *d = fx_predict_data();
    sn_predict_params p;
    fx_predict_params(&p);
    p.trees.seed = 9;
    sn_predictor *a = NULL, *b = NULL;
    sn_error err;
    assert_int_equal(sn_predictor_fit(&a, d, &p, &err), SN_OK);
    assert_int_equal(sn_predictor_fit(&b, d, &p, &err), SN_OK);
    static const char *const res[3] = {"git", "crm", "wiki"};
    for (int r = 0; r < 3; r++) {
        sn_prediction x, y;
        fx_ask(a, "s1", "Sales", "Rep", res[r], &x);
        fx_ask(b, "s1", "Sales", "Rep", res[r], &y);
        assert_true(x.probability_approve == y.probability_approve);
    }
    static sn_predict_cv_result r1, r2;
    uint8_t fold[180] = {0}; /* filled by sn_predict_cv */
    r1.fold = fold;
    assert_int_equal(sn_predict_cv(d, &p, 3, 5, &r1, &err), SN_OK);
    assert_int_equal(sn_predict_cv(d, &p, 3, 5, &r2, &err), SN_OK);
    assert_true(r1.mean_auc == r2.mean_auc);
    /* the label is a function of department and resource, seen in every fold */
    assert_true(r1.mean_auc == 1.0);
    /* stratified: 40 approved and 20 denied rows in each fold */
    for (int f = 0; f < 3; f++) {
        int rows = 0, pos = 0;
        for (int i = 0; i < 180; i++)
            if (fold[i] == f) {
                rows++;
                pos += (i % 3 == 2) || (i % 3 == 0 && (i / 3) % 20 < 10) ||
                       (i % 3 == 1 && (i / 3) % 20 >= 10);
            }
        assert_int_equal(rows, 60);
        assert_int_equal(pos, 40);
    }
    sn_predictor_free(a);
    sn_predictor_free(b);
    sn_predict_data_free(d);
}

static void test_one_class_is_refused(void **state)
{
    (void)state;
    static const char text[] = "ACTION,RESOURCE\n1,a\n1,b\n";
    sn_predict_data *d = NULL;
    sn_error err;
    assert_int_equal(sn_predict_data_parse_csv(&d, text, sizeof(text) - 1, "r", "ACTION", &err),
                     SN_OK);
    sn_predict_params p;
    fx_predict_params(&p);
    sn_predictor *pr = NULL;
    assert_int_equal(sn_predictor_fit(&pr, d, &p, &err), SN_ERR_USAGE);
    assert_string_equal(err.msg, "the labels hold one class only (2 of 2 approved): nothing to "
                                 "tell apart");
    assert_null(pr);
    sn_predict_data_free(d);
}

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *data = malloc((size_t)len);
    assert_non_null(data);
    assert_int_equal(fread(data, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return data;
}

static void test_predictor_file_round_trip_and_damage(void **state)
{
    (void)state;
    sn_predict_data *d = fx_predict_data();
    sn_predict_params p;
    fx_predict_params(&p);
    p.bags = 3; /* three ensembles written and read back */
    sn_predictor *pr = NULL;
    sn_error err;
    assert_int_equal(sn_predictor_fit(&pr, d, &p, &err), SN_OK);
    sn_predictor_set_cv(pr, 0.875, 5);
    const char *path = tu_temp_file("", 0);
    assert_int_equal(sn_predictor_save(pr, path, &err), SN_OK);
    sn_predictor *back = NULL;
    assert_int_equal(sn_predictor_load(&back, path, &err), SN_OK);
    sn_prediction x, y;
    fx_ask(pr, "s1", "Sales", "Rep", "crm", &x);
    fx_ask(back, "s1", "Sales", "Rep", "crm", &y);
    assert_true(x.probability_approve == y.probability_approve);
    assert_int_equal(y.department.peers, 9);
    sn_predictor_info a, b;
    sn_predictor_get_info(pr, &a);
    sn_predictor_get_info(back, &b);
    assert_memory_equal(a.data_hash, b.data_hash, 32);
    assert_int_equal(b.rows, 180);
    assert_int_equal(b.positives, 120);
    assert_true(b.cv_auc == 0.875);
    assert_int_equal(b.cv_folds, 5);
    assert_int_equal(b.features, 2 * (5 + 10));
    assert_int_equal(b.params.bags, 3);
    assert_int_equal(b.trees, 3 * 50);
    assert_int_equal(b.nodes, a.nodes);
    assert_string_equal(b.algorithm, "gradient_boosted_trees");
    sn_predictor_free(back);

    size_t n;
    uint8_t *data = slurp(path, &n);
    /* one changed byte anywhere in the payload */
    for (size_t at = 20; at < n - 32; at += n / 13) {
        data[at] ^= 0x40;
        assert_int_equal(sn_predictor_from_bytes(&back, data, n, "p.bin", &err), SN_ERR_MODEL);
        assert_string_equal(error_text(&err), "p.bin: not a usable predictor file: checksum "
                                              "mismatch (the file is corrupt or was modified)");
        data[at] ^= 0x40;
    }
    assert_int_equal(sn_predictor_from_bytes(&back, data, n - 1, "p.bin", &err), SN_ERR_MODEL);
    assert_string_equal(error_text(&err), "p.bin: not a usable predictor file: length does not "
                                          "match (truncated or appended to)");
    assert_int_equal(sn_predictor_from_bytes(&back, data, 10, "p.bin", &err), SN_ERR_MODEL);
    assert_string_equal(error_text(&err), "p.bin: not a usable predictor file: too short");
    data[0] = 'X';
    assert_int_equal(sn_predictor_from_bytes(&back, data, n, "p.bin", &err), SN_ERR_MODEL);
    assert_string_equal(error_text(&err), "p.bin: not a usable predictor file: wrong magic number "
                                          "(not written by sentinel predict train)");
    data[0] = 'S';
    data[8] = 9;
    assert_int_equal(sn_predictor_from_bytes(&back, data, n, "p.bin", &err), SN_ERR_MODEL);
    assert_string_equal(error_text(&err), "p.bin: predictor format version 9 is not supported "
                                          "(this build reads 1)");
    assert_null(back);
    free(data);
    remove(path);
    sn_predictor_free(pr);
    sn_predict_data_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trees_learn_xor),
        cmocka_unit_test(test_trees_refuse_bad_parameters),
        cmocka_unit_test(test_csv_reads_requests),
        cmocka_unit_test(test_csv_errors_name_line_and_field),
        cmocka_unit_test(test_predictor_learns_interactions_and_peers),
        cmocka_unit_test(test_predictor_is_deterministic),
        cmocka_unit_test(test_one_class_is_refused),
        cmocka_unit_test(test_predictor_file_round_trip_and_damage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
