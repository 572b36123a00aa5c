/* The output buffer: JSON string escaping and fixed-point numbers equal to printf's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/rng.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static void fixed_matches_printf(void **state)
{
    (void)state;
    sn_rng r;
    sn_rng_seed(&r, 7);
    char want[64];
    sn_buf b;
    sn_buf_init(&b);
    for (int i = 0; i < 200000; i++) {
        double v = (sn_rng_uniform(&r) - 0.3) * pow(10, (double)sn_rng_below(&r, 9) - 2);
        int d = (int)sn_rng_below(&r, 4);
        sn_buf_reset(&b);
        sn_buf_fixed(&b, v, d);
        snprintf(want, sizeof(want), "%.*f", d, v);
        if (strcmp(b.data, want) != 0)
            fail_msg("%.17g with %d decimals: got %s, printf says %s", v, d, b.data, want);
    }
    sn_buf_reset(&b);
    sn_buf_fixed(&b, 100.0, 2);
    assert_string_equal(b.data, "100.00");
    sn_buf_reset(&b);
    sn_buf_fixed(&b, -0.0004, 3);
    assert_string_equal(b.data, "-0.000");
    sn_buf_reset(&b);
    sn_buf_fixed(&b, NAN, 2);
    assert_string_equal(b.data, "null");
    sn_buf_free(&b);
}

static void json_strings_are_escaped(void **state)
{
    (void)state;
    sn_buf b;
    sn_buf_init(&b);
    sn_buf_json_str(&b, "a\"b\\c\n\x01é", 9);
    assert_string_equal(b.data, "\"a\\\"b\\\\c\\n\\u0001é\"");
    sn_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fixed_matches_printf),
        cmocka_unit_test(json_strings_are_escaped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
