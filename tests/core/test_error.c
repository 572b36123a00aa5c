/* The error vocabulary and its "FILE:LINE: FIELD: why" formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/error.h"
#include "core/strmap.h"

#include <stdio.h>
#include <string.h>

static void formats_file_line_field_reason(void **state)
{
    (void)state;
    sn_error e;
    char buf[256];
    sn_error_set(&e, SN_ERR_PARSE, false, "logs.csv", 12, "timestamp", "not a date: '%s'", "x");
    sn_error_format(&e, buf, sizeof(buf));
    assert_string_equal(buf, "logs.csv:12: timestamp: not a date: 'x'");
    sn_error_set(&e, SN_ERR_EMPTY, true, "a.csv", 0, NULL, NULL);
    sn_error_format(&e, buf, sizeof(buf));
    assert_string_equal(buf, "a.csv: input is empty");
}

static void names_and_messages_come_from_one_table(void **state)
{
    (void)state;
    assert_string_equal(sn_status_name(SN_ERR_UTF8), "utf8");
    assert_string_equal(sn_status_message(SN_ERR_TOO_LONG), "field too long");
    assert_string_equal(sn_status_name((sn_status)999), "unknown");
}

static void strmap_interns_to_dense_ids(void **state)
{
    (void)state;
    sn_strmap *m = sn_strmap_new();
    assert_non_null(m);
    char key[32];
    for (int i = 0; i < 10000; i++) {
        int n = snprintf(key, sizeof(key), "user-%d", i);
        assert_int_equal(sn_strmap_intern(m, key, (size_t)n), i);
    }
    assert_int_equal(sn_strmap_intern(m, "user-42", 7), 42);
    assert_int_equal(sn_strmap_find(m, "nobody", 6), -1);
    assert_string_equal(sn_strmap_str(m, 9999), "user-9999");
    assert_int_equal(sn_strmap_count(m), 10000);
    sn_strmap_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(formats_file_line_field_reason),
        cmocka_unit_test(names_and_messages_come_from_one_table),
        cmocka_unit_test(strmap_interns_to_dense_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
