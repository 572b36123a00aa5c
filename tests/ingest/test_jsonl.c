/* The JSON-lines reader: field types, numbers as epoch times, and bad lines (bad JSON, wrong
 * types, deep nesting, over-long lines) reported and skipped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ingest/ingest.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *transcript(const char *data, size_t n)
{
    static char out[1 << 16];
    size_t o = 0;
    sn_reader *r;
    sn_error err;
    char msg[1024];
    if (sn_reader_open_mem(&r, data, n, "t.jsonl", SN_FORMAT_AUTO, &err) != SN_OK) {
        sn_error_format(&err, msg, sizeof(msg));
        snprintf(out, sizeof(out), "fatal %s\n", msg);
        return out;
    }
    for (;;) {
        sn_event ev;
        sn_status st = sn_reader_next(r, &ev, &err);
        if (st == SN_EOF) {
            o += (size_t)snprintf(out + o, sizeof(out) - o, "eof\n");
            break;
        }
        if (st == SN_OK) {
            o += (size_t)snprintf(out + o, sizeof(out) - o, "ok %ld %.*s\n", ev.src_line,
                                  (int)ev.user_id.n, ev.user_id.p);
            continue;
        }
        sn_error_format(&err, msg, sizeof(msg));
        o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s\n", err.fatal ? "fatal " : "", msg);
        if (err.fatal)
            break;
    }
    sn_reader_close(r);
    return out;
}

static void assert_str(sn_str s, const char *want)
{
    if (s.n != strlen(want) || (s.n && memcmp(s.p, want, s.n)))
        fail_msg("got '%.*s', want '%s'", (int)s.n, s.p ? s.p : "", want);
}

static void good_lines_with_every_value_type(void **state)
{
    (void)state;
    const char *s =
        "{\"event_id\":\"E1\",\"user_id\":\"U1\",\"username\":\"al\",\"department\":\"Legal\","
        "\"job_title\":\"GC\",\"resource\":\"payroll\",\"action\":\"WRITE\",\"timestamp\":"
        "\"2026-09-04 09:03:24.530587\",\"source_ip\":\"10.1.2.3\",\"location\":\"S\xc3\xa3o "
        "Paulo, BR\",\"success\":true,\"is_anomaly\":\"False\",\"anomaly_type\":null,"
        "\"extra\":{\"nested\":[1,2,{\"a\":\"}\"}]}}\n"
        "\n"
        "{\"user\":42,\"time\":1788512604530,\"success\":0,\"label\":1,\"latitude\":-23.5,"
        "\"longitude\":\"-46.6\",\"mfa\":\"yes\"}\r\n"
        "{\"user_id\":\"U3\",\"@timestamp\":1788512604.25,\"success\":\"failure\"}";
    sn_reader *r;
    sn_error err;
    assert_int_equal(sn_reader_open_mem(&r, s, strlen(s), "t.jsonl", SN_FORMAT_AUTO, &err), SN_OK);
    assert_int_equal(sn_reader_format(r), SN_FORMAT_JSONL);
    sn_event ev;
    assert_int_equal(sn_reader_next(r, &ev, &err), SN_OK);
    assert_str(ev.event_id, "E1");
    assert_str(ev.user_id, "U1");
    assert_str(ev.username, "al");
    assert_str(ev.action, "write");
    assert_str(ev.location, "S\xc3\xa3o Paulo, BR");
    assert_int_equal(ev.ts_us, 1788512604530587LL);
    assert_int_equal(ev.ip.family, 4);
    assert_int_equal(ev.success, 1);
    assert_int_equal(ev.is_anomaly, 0);
    assert_int_equal(ev.anomaly_type.n, 0);
    assert_int_equal(ev.src_line, 1);

    assert_int_equal(sn_reader_next(r, &ev, &err), SN_OK);
    assert_str(ev.user_id, "42");
    assert_int_equal(ev.event_id.n, 0);
    assert_int_equal(ev.ts_us, 1788512604530000LL);
    assert_str(ev.raw_timestamp, "1788512604530");
    assert_int_equal(ev.success, 0);
    assert_int_equal(ev.is_anomaly, 1);
    assert_int_equal(ev.mfa, 1);
    assert_true(ev.has_coords);
    assert_true(ev.lat == -23.5);
    assert_true(ev.lon == -46.6);
    assert_int_equal(ev.src_line, 3);

    assert_int_equal(sn_reader_next(r, &ev, &err), SN_OK);
    assert_str(ev.user_id, "U3");
    assert_int_equal(ev.ts_us, 1788512604250000LL);
    assert_int_equal(ev.success, 0);
    assert_int_equal(ev.src_line, 4);
    assert_int_equal(sn_reader_next(r, &ev, &err), SN_EOF);
    const sn_reader_stats *st = sn_reader_get_stats(r);
    assert_int_equal(st->records, 3);
    assert_int_equal(st->skipped, 0);
    assert_int_equal(st->lines, 4);
    sn_reader_close(r);
}

static void bad_lines_reported_and_skipped(void **state)
{
    (void)state;
    char deep[256];
    size_t o = (size_t)sprintf(deep, "{\"user_id\":\"U\",\"timestamp\":0,\"x\":");
    for (int i = 0; i < 20; i++)
        deep[o++] = '[';
    for (int i = 0; i < 20; i++)
        deep[o++] = ']';
    deep[o++] = '}';
    deep[o] = '\0';
    char *s = malloc(2 * SN_MAX_RECORD + 4096);
    assert_non_null(s);
    o = (size_t)sprintf(s,
                        /* 1 */
                        "{\"user_id\":\"U1\",\"timestamp\":\"2026-09-04T09:03:24Z\"}\n"
                        /* 2 */ "{\"user_id\":\"U2\",\"timestamp\":}\n"
                        /* 3 */ "{\"user_id\":[\"U3\"],\"timestamp\":0}\n"
                        /* 4 */ "{\"user_id\":\"U4\",\"timestamp\":true}\n"
                        /* 5 */ "{\"user_id\":\"U5\",\"timestamp\":0,\"success\":\"perhaps\"}\n"
                        /* 6 */ "{\"user_id\":\"U6\",\"timestamp\":0,\"is_anomaly\":{}}\n"
                        /* 7 */ "%s\n"
                        /* 8 */ "[1,2]\n"
                        /* 9 */ "{\"user_id\":\"U9\"}\n"
                        /* 10 */ "{\"user_id\":\"U10\",\"timestamp\":0,\"source_ip\":\"1.2.3\"}\n"
                        /* 11 */ "{\"user_id\":\"U\xc3\x28\",\"timestamp\":0}\n"
                        /* 12 */ "{\"user_id\":\"U12\",\"user_id\":\"U12\",\"timestamp\":0}\n"
                        /* 13 */ "{\"user_id\":\"U13\",\"timestamp\":12345678901234}\n"
                        /* 14 */ "{\"user_id\":\"U14\",\"timestamp\":0,\"resource\":1.5}\n"
                        /* 15 */ "{\"user_id\":\"U15\",\"timestamp\":0} trailing\n"
                        /* 16 */ "{\"user_id\":\"U16\",\"timestamp\":0,\"latitude\":\"x\","
                        "\"longitude\":1}\n"
                        /* 17 */ "{\"user_id\":\"U17\",\"timestamp\":0,\"x\":\"",
                        deep);
    memset(s + o, 'a', SN_MAX_RECORD + 10);
    o += SN_MAX_RECORD + 10;
    o += (size_t)sprintf(s + o, "\"}\n"
                                /* 18 */ "{\"user_id\":\"U18\",\"timestamp\":1788512604}\n");
    assert_string_equal(
        transcript(s, o),
        "ok 1 U1\n"
        "t.jsonl:2: not valid JSON (RFC 8259): unexpected token near '}' at column 29\n"
        "t.jsonl:3: user_id: expected a string, got an array\n"
        "t.jsonl:4: timestamp: expected a number or a string, got true\n"
        "t.jsonl:5: success: 'perhaps' is not a boolean (true/false, 1/0, yes/no, "
        "success/failure)\n"
        "t.jsonl:6: is_anomaly: expected a boolean or a string, got an object\n"
        "t.jsonl:7: JSON nested deeper than 16 levels\n"
        "t.jsonl:8: expected a JSON object, got an array\n"
        "t.jsonl:9: timestamp: required field is missing or empty\n"
        "t.jsonl:10: source_ip: '1.2.3' is not an IPv4 or IPv6 address\n"
        "t.jsonl:11: invalid UTF-8 (byte 0xc3 at offset 13)\n"
        "t.jsonl:12: not valid JSON (RFC 8259): duplicate object key near '\"user_id\"' at "
        "column 26\n"
        "t.jsonl:13: timestamp: '12345678901234' is not a valid timestamp: epoch number has "
        "too many digits (seconds have at most 11, milliseconds 12 or 13)\n"
        "t.jsonl:14: resource: expected a string, got a real number\n"
        "t.jsonl:15: not valid JSON (RFC 8259): end of file expected near 'trailing' at "
        "column 40\n"
        "t.jsonl:16: latitude: 'x' is not a latitude in degrees (-90 to 90)\n"
        "t.jsonl:17: line is longer than 65536 bytes\n"
        "ok 18 U18\n"
        "eof\n");
    free(s);
}

/* The limits hold exactly: 16 levels of nesting are read and 17 refused; a member named twice is
 * refused at any depth and among many members; U+0000 is refused in any string; the smallest
 * 64-bit integer is taken and one below it refused. */
static void limits_hold_at_any_depth(void **state)
{
    (void)state;
    char buf[4096];
    size_t o = 0;
    for (int levels = 16; levels <= 17; levels++) {
        o += (size_t)sprintf(buf + o, "{\"user_id\":\"D%d\",\"timestamp\":0,\"x\":", levels);
        for (int i = 1; i < levels; i++)
            buf[o++] = '[';
        for (int i = 1; i < levels; i++)
            buf[o++] = ']';
        o += (size_t)sprintf(buf + o, "}\n");
    }
    o += (size_t)sprintf(buf + o,
                         "{\"user_id\":\"N\",\"timestamp\":0,\"x\":[{\"a\":1},{\"b\":1,\"b\":2}]}\n"
                         "{\"user_id\":\"M\",\"timestamp\":0,\"x\":{");
    for (int i = 0; i < 20; i++)
        o += (size_t)sprintf(buf + o, "\"k%d\":%d,", i, i);
    o += (size_t)sprintf(buf + o,
                         "\"k7\":0}}\n"
                         "{\"user_id\":\"Z\",\"timestamp\":0,\"x\":[\"a\\u0000\"]}\n"
                         "{\"user_id\":\"I\",\"timestamp\":0,\"x\":-9223372036854775808}\n"
                         "{\"user_id\":\"J\",\"timestamp\":0,\"x\":-9223372036854775809}\n");
    assert_string_equal(transcript(buf, o),
                        "ok 1 D16\n"
                        "t.jsonl:2: JSON nested deeper than 16 levels\n"
                        "t.jsonl:3: not valid JSON (RFC 8259): duplicate object key near '\"b\"' "
                        "at column 52\n"
                        "t.jsonl:4: not valid JSON (RFC 8259): duplicate object key near '\"k7\"' "
                        "at column 198\n"
                        "t.jsonl:5: not valid JSON (RFC 8259): \\u0000 is not allowed without "
                        "JSON_ALLOW_NUL near '\"a\\u0000\"' at column 43\n"
                        "ok 6 I\n"
                        "t.jsonl:7: not valid JSON (RFC 8259): too big negative integer near "
                        "'-9223372036854775809' at column 53\n"
                        "eof\n");
}

static void line_without_newline_past_the_limit_is_skipped_unbuffered(void **state)
{
    (void)state;
    size_t n = (size_t)16 << 20;
    char *s = malloc(n + 256);
    assert_non_null(s);
    size_t o = (size_t)sprintf(s, "{\"user_id\":\"a\",\"timestamp\":0}\n{\"x\":\"");
    memset(s + o, 'b', n);
    o += n;
    assert_string_equal(transcript(s, o), "ok 1 a\n"
                                          "t.jsonl:2: line is longer than 65536 bytes\n"
                                          "eof\n");
    free(s);
}

static void auto_detects_json_after_blank_lines(void **state)
{
    (void)state;
    const char *s = "\n  \n {\"user_id\":\"x\",\"timestamp\":\"1788512604\"}";
    assert_string_equal(transcript(s, strlen(s)), "ok 3 x\n"
                                                  "eof\n");
    sn_reader *r;
    sn_error err;
    const char *line = "{\"user_id\":\"x\",\"timestamp\":0}\n";
    const char *p = tu_temp_file(line, strlen(line));
    assert_int_equal(sn_reader_open(&r, p, SN_FORMAT_JSONL, &err), SN_OK);
    sn_event ev;
    assert_int_equal(sn_reader_next(r, &ev, &err), SN_OK);
    assert_int_equal(ev.ts_us, 0);
    assert_int_equal(sn_reader_next(r, &ev, &err), SN_EOF);
    sn_reader_close(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(good_lines_with_every_value_type),
        cmocka_unit_test(bad_lines_reported_and_skipped),
        cmocka_unit_test(limits_hold_at_any_depth),
        cmocka_unit_test(line_without_newline_past_the_limit_is_skipped_unbuffered),
        cmocka_unit_test(auto_detects_json_after_blank_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
