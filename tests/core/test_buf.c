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

/* Every byte value at every position of strings long enough for the word-at-a-time scan: the
 * escaped form is the plain one with that byte's escape spliced in. */
static void json_escapes_found_at_every_position(void **state)
{
    (void)state;
    static const char *const expect[256] = {
        ['"'] = "\\\"", ['\\'] = "\\\\", ['\n'] = "\\n", ['\r'] = "\\r", ['\t'] = "\\t"};
    char in[40], want[64], esc[8];
    for (int c = 0; c < 256; c++) {
        for (size_t len = 1; len <= 24; len++) {
            for (size_t at = 0; at < len; at++) {
                memset(in, 'x', len);
                in[at] = (char)c;
                if (expect[c])
                    snprintf(esc, sizeof(esc), "%s", expect[c]);
                else if (c < 0x20)
                    snprintf(esc, sizeof(esc), "\\u%04x", (unsigned)c);
                else
                    snprintf(esc, sizeof(esc), "%c", c);
                snprintf(want, sizeof(want), "\"%.*s%s%.*s\"", (int)at, in, esc,
                         (int)(len - at - 1), in + at + 1);
                sn_buf b;
                sn_buf_init(&b);
                sn_buf_json_str(&b, in, len);
                assert_string_equal(b.data, want);
                sn_buf_free(&b);
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fixed_matches_printf),
        cmocka_unit_test(json_strings_are_escaped),
        cmocka_unit_test(json_escapes_found_at_every_position),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
