/* The limits on what a request body may hold, each with its exact status and error body: nesting
 * depth (up to 100,000 levels), invalid UTF-8, NUL characters, numbers out of range, truncated
 * JSON, fields over 4 KiB. None of the answers repeats the body. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixture.h"

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

#define ACCESS "/api/v1/analyze/access"
#define MALFORMED(what)                                                                            \
    "{\"error\":{\"code\":\"malformed_json\",\"message\":\"the body is not "                       \
    "valid JSON (RFC 8259, UTF-8): " what "\"}}"
#define OUT_OF_RANGE(col)                                                                          \
    "{\"error\":{\"code\":\"number_out_of_range\",\"message\":\"a number is out of range (at "     \
    "line 1, column " col "): integers must fit in 64 bits and other numbers in a double\"}}"

static void expect(const char *path, const char *body, size_t len, int status, const char *want)
{
    fx_answer *a = fx_post(svc, path, body, len);
    if (a->status != status || strcmp(a->body, want) != 0)
        fail_msg("%.60s...: got %d %s, want %d %s", body, a->status, a->body, status, want);
}

#define EXPECT(body, status, want) expect(ACCESS, body, sizeof(body) - 1, status, want)

static void test_nesting_depth(void **state)
{
    (void)state;
    static const char too_deep[] = "{\"error\":{\"code\":\"too_deep\",\"message\":\"the JSON is "
                                   "nested deeper than 32 levels (at line 1, column 33)\"}}";
    /* 100,000 levels: refused before jansson (whose own limit is 2,048) looks at it. */
    size_t n = 100000;
    char *deep = malloc(2 * n);
    assert_non_null(deep);
    memset(deep, '[', n);
    memset(deep + n, ']', n);
    expect(ACCESS, deep, 2 * n, 422, too_deep);
    /* Truncated as well: the depth is what is reported first. */
    expect(ACCESS, deep, n, 422, too_deep);
    /* Exactly 32 levels is JSON the server reads (and then refuses as no event). */
    fx_answer *a = fx_post(svc, ACCESS, deep + n - 32, 64);
    assert_int_equal(a->status, 422);
    assert_non_null(strstr(a->body, "\"code\":\"invalid_event\""));
    /* Brackets inside strings do not count. */
    static const char brackets[] = "{\"user_id\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\","
                                   "\"timestamp\":\"2026-12-05 10:00:00\"}";
    assert_int_equal(fx_post(svc, ACCESS, brackets, sizeof(brackets) - 1)->status, 200);
    free(deep);
    char *lines = malloc(100);
    assert_non_null(lines);
    size_t k = (size_t)snprintf(lines, 100, "{\"events\":\n");
    memset(lines + k, '[', 40);
    expect("/api/v1/analyze/batch", lines, k + 40, 422,
           "{\"error\":{\"code\":\"too_deep\",\"message\":\"the JSON is nested deeper than 32 "
           "levels (at line 2, column 32)\"}}");
    free(lines);
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    EXPECT("{\"user_id\":\"\xff\"}", 400, MALFORMED("invalid UTF-8 at line 1, column 12"));
    /* An overlong encoding of '/' and a UTF-16 surrogate encoded as UTF-8. */
    EXPECT("{\"user_id\":\"\xc0\xaf\"}", 400, MALFORMED("invalid UTF-8 at line 1, column 12"));
    EXPECT("{\"user_id\":\"\xed\xa0\x80\"}", 400, MALFORMED("invalid UTF-8 at line 1, column 12"));
    /* A lone surrogate escape is no character either. */
    EXPECT("{\"user_id\":\"\\ud800\"}", 400, MALFORMED("syntax error at line 1, column 19"));
}

static void test_nul(void **state)
{
    (void)state;
    static const char in_field[] =
        "{\"error\":{\"code\":\"invalid_field\",\"message\":\"holds a NUL character (\\\\u0000), "
        "which no field may contain\",\"field\":\"user_id\"}}";
    EXPECT("{\"user_id\":\"U1\\u0000x\"}", 422, in_field);
    EXPECT("{\"user_id\":\"\\u0000\"}", 422, in_field);
    /* Deep inside a field that is not even read: still refused, and named. */
    EXPECT("{\"user_id\":\"U1\",\"tags\":[{\"k\":\"\\u0000\"}]}", 422,
           "{\"error\":{\"code\":\"invalid_field\",\"message\":\"holds a NUL character "
           "(\\\\u0000), which no field may contain\",\"field\":\"tags\"}}");
    /* A raw NUL byte is not JSON at all; in a key jansson cannot keep it. */
    expect(ACCESS, "{\"user_id\":\"U1\0x\"}", 18, 400,
           MALFORMED("syntax error at line 1, column 14"));
    EXPECT("{\"a\\u0000\":1}", 400,
           MALFORMED("a NUL character (\\\\u0000) in an object key at line 1, column 10"));
    /* In a batch, the event with one is refused alone. */
    static const char batch[] = "{\"events\":[{\"user_id\":\"U1\",\"timestamp\":\"2026-12-05 "
                                "10:00:00\"},{\"event_id\":\"N\",\"user_id\":\"U\\u0000\"}]}";
    fx_answer *a = fx_post(svc, "/api/v1/analyze/batch", batch, sizeof(batch) - 1);
    assert_int_equal(a->status, 200);
    assert_non_null(strstr(a->body, "\"analysed_events\":1,\"failed_events\":1"));
    assert_non_null(strstr(a->body, "{\"index\":1,\"event_id\":\"N\",\"error\":{\"code\":"
                                    "\"invalid_field\",\"message\":\"holds a NUL character "
                                    "(\\\\u0000), which no field may contain\",\"field\":"
                                    "\"user_id\"}}"));
}

static void test_numbers(void **state)
{
    (void)state;
    EXPECT("{\"user_id\":\"U1\",\"latitude\":1e400}", 422, OUT_OF_RANGE("32"));
    EXPECT("{\"user_id\":\"U1\",\"latitude\":-1e400}", 422, OUT_OF_RANGE("33"));
    EXPECT("{\"user_id\":123456789012345678901234567890}", 422, OUT_OF_RANGE("41"));
    /* In range for JSON, out of range for the field. */
    EXPECT("{\"user_id\":\"U1\",\"latitude\":1e308,\"longitude\":0}", 422,
           "{\"error\":{\"code\":\"invalid_field\",\"message\":\"the value is not a latitude in "
           "degrees (-90 to 90)\",\"field\":\"latitude\"}}");
    static const char huge_time[] = "{\"user_id\":\"U1\",\"timestamp\":1e300}";
    fx_answer *a = fx_post(svc, ACCESS, huge_time, sizeof(huge_time) - 1);
    assert_int_equal(a->status, 422);
    assert_non_null(strstr(a->body, "\"field\":\"timestamp\""));
    /* The largest 64-bit integer is a user id like any other; a tiny number is zero. */
    static const char largest[] = "{\"user_id\":9223372036854775807,\"score\":1e-400}";
    a = fx_post(svc, ACCESS, largest, sizeof(largest) - 1);
    assert_int_equal(a->status, 200);
    assert_non_null(strstr(a->body, "\"user_id\":\"9223372036854775807\""));
}

static void test_truncated_and_trailing(void **state)
{
    (void)state;
    EXPECT("{\"user_id\":\"U1\",\"resource\":\"x", 400,
           MALFORMED("unexpected end of the body at line 1, column 29"));
    EXPECT("{\"user_id\":\"U1\",", 400,
           MALFORMED("unexpected end of the body at line 1, column 16"));
    EXPECT("{\"user_id\":\"U1\"} x", 400,
           MALFORMED("more data after the JSON value at line 1, column 18"));
    EXPECT("{\"user_id\":\"U1\",\"user_id\":\"U2\"}", 400,
           MALFORMED("a duplicate object key at line 1, column 25"));
    expect(ACCESS, "", 0, 400,
           "{\"error\":{\"code\":\"malformed_json\",\"message\":\"the body is empty; expected "
           "JSON\"}}");
}

static void test_field_length(void **state)
{
    (void)state;
    /* 4,096 bytes is the limit of every text field, as in the file readers. */
    for (size_t n = 4095; n <= 4097; n++) {
        char *body = malloc(n + 64);
        assert_non_null(body);
        int k = snprintf(body, 64, "{\"user_id\":\"");
        memset(body + k, 'u', n);
        size_t len = (size_t)k + n + (size_t)sprintf(body + k + n, "\"}");
        fx_answer *a = fx_post(svc, ACCESS, body, len);
        if (n <= 4096) {
            assert_int_equal(a->status, 200);
        } else {
            assert_int_equal(a->status, 422);
            assert_string_equal(a->body, "{\"error\":{\"code\":\"invalid_field\",\"message\":"
                                         "\"field is 4097 bytes, longer than the 4096-byte "
                                         "limit\",\"field\":\"user_id\"}}");
        }
        free(body);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nesting_depth),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_nul),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_truncated_and_trailing),
        cmocka_unit_test(test_field_length),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
