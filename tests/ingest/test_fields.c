/* Field parsers: timestamps in every accepted shape, IP addresses, booleans, UTF-8. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ingest/ingest.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

static int64_t ts_ok(const char *s)
{
    int64_t us = 0;
    sn_error err;
    sn_error_clear(&err);
    sn_status st = sn_parse_timestamp(s, strlen(s), &us, &err);
    if (st != SN_OK)
        fail_msg("'%s' rejected: %s", s, err.msg);
    return us;
}

static void ts_bad(const char *s, const char *why)
{
    int64_t us = 0;
    sn_error err;
    sn_error_clear(&err);
    if (sn_parse_timestamp(s, strlen(s), &us, &err) == SN_OK)
        fail_msg("'%s' accepted as %lld", s, (long long)us);
    assert_false(err.fatal);
    if (why && !strstr(err.msg, why))
        fail_msg("'%s': message '%s' lacks '%s'", s, err.msg, why);
}

static void timestamp_reference_shape_keeps_microseconds(void **state)
{
    (void)state;
    assert_int_equal(ts_ok("2026-09-04 09:03:24.530587"), 1788512604530587LL);
    assert_int_equal(ts_ok("2026-09-04T09:03:24.530587"), 1788512604530587LL);
    assert_int_equal(ts_ok("2026-09-04t09:03:24.530587z"), 1788512604530587LL);
    assert_int_equal(ts_ok("  2026-09-04T09:03:24.530587Z \r\n"), 1788512604530587LL);
}

static void timestamp_fractions_and_zones(void **state)
{
    (void)state;
    assert_int_equal(ts_ok("2026-09-04T09:03:24Z"), 1788512604000000LL);
    assert_int_equal(ts_ok("2026-09-04 09:03:24"), 1788512604000000LL);
    assert_int_equal(ts_ok("2026-09-04T09:03"), 1788512580000000LL);
    assert_int_equal(ts_ok("2026-09-04T09:03:24.5Z"), 1788512604500000LL);
    assert_int_equal(ts_ok("2026-09-04T09:03:24,25Z"), 1788512604250000LL);
    /* nanoseconds are cut to microseconds */
    assert_int_equal(ts_ok("2026-09-04T09:03:24.530587999Z"), 1788512604530587LL);
    assert_int_equal(ts_ok("2026-09-04T09:03:24+05:30"), 1788492804000000LL);
    assert_int_equal(ts_ok("2026-09-04T09:03:24+0530"), 1788492804000000LL);
    assert_int_equal(ts_ok("2026-09-04T09:03:24-07"), 1788537804000000LL);
    assert_int_equal(ts_ok("2026-09-04T09:03:24-07:00"), 1788537804000000LL);
    assert_int_equal(ts_ok("2026-09-04T09:03:24+00:00"), 1788512604000000LL);
    assert_int_equal(ts_ok("2026-09-04 09:03:24 UTC"), 1788512604000000LL);
    assert_int_equal(ts_ok("2026-09-04 09:03:24 +0000"), 1788512604000000LL);
}

static void timestamp_calendar_edges(void **state)
{
    (void)state;
    assert_int_equal(ts_ok("2024-02-29T23:59:59Z"), 1709251199000000LL);
    assert_int_equal(ts_ok("2000-01-01T00:00:00Z"), 946684800000000LL);
    assert_int_equal(ts_ok("2000-02-29T00:00:00Z"), 951782400000000LL);
    assert_int_equal(ts_ok("1969-12-31T23:59:59.5Z"), -500000LL);
    assert_int_equal(ts_ok("1900-03-01T00:00:00Z"), -2203891200000000LL);
    assert_int_equal(ts_ok("9999-12-31T23:59:59.999999Z"), 253402300799999999LL);
    /* a leap second is the first second of the next minute */
    assert_int_equal(ts_ok("2016-12-31T23:59:60Z"), ts_ok("2017-01-01T00:00:00Z"));
}

static void timestamp_epoch_seconds_and_milliseconds(void **state)
{
    (void)state;
    assert_int_equal(ts_ok("1788512604"), 1788512604000000LL);
    assert_int_equal(ts_ok("1788512604.530587"), 1788512604530587LL);
    assert_int_equal(ts_ok("1788512604.5"), 1788512604500000LL);
    assert_int_equal(ts_ok("1788512604530"), 1788512604530000LL);
    assert_int_equal(ts_ok("178851260453"), 178851260453000LL);
    assert_int_equal(ts_ok("99999999999"), 99999999999000000LL);
    assert_int_equal(ts_ok("0"), 0);
}

static void timestamp_invalid_ones_rejected(void **state)
{
    (void)state;
    ts_bad("", "empty");
    ts_bad("   ", "empty");
    ts_bad("2026-09-04", "a date without a time of day");
    ts_bad("2026-13-01T00:00:00Z", "month 13 out of range 1-12");
    ts_bad("2026-00-01T00:00:00Z", "month 0 out of range 1-12");
    ts_bad("2026-02-29T00:00:00Z", "day 29 out of range for 2026-02");
    ts_bad("1900-02-29T00:00:00Z", "day 29 out of range for 1900-02");
    ts_bad("2026-04-31T00:00:00Z", "day 31 out of range for 2026-04");
    ts_bad("2026-04-00T00:00:00Z", "day 0 out of range");
    ts_bad("2026-09-04T24:00:00Z", "hour 24 out of range 0-23");
    ts_bad("2026-09-04T23:60:00Z", "minute 60 out of range 0-59");
    ts_bad("2026-09-04T23:59:61Z", "second 61 out of range 0-60");
    ts_bad("2026-09-04T09:03:24.1234567891Z", "1 to 9 digits");
    ts_bad("2026-09-04T09:03:24.Z", "1 to 9 digits");
    ts_bad("2026-09-04T09:03:24+24:00", "zone offset 24:00 out of range");
    ts_bad("2026-09-04T09:03:24+05:", "zone offset must be");
    ts_bad("2026-09-04T09:03:24+5", "zone offset must be");
    ts_bad("2026-09-04T09:03:24Zjunk", "unexpected text");
    ts_bad("2026-09-04X09:03:24", "expected 'T' or a space");
    ts_bad("2026-9-4T09:03:24", "expected an ISO 8601");
    ts_bad("yesterday", "expected an ISO 8601");
    ts_bad("17885126045301", "too many digits");
    ts_bad("1788512604.", "1 to 9 digits");
    ts_bad("-1788512604", "expected an ISO 8601");
    ts_bad("1e9", "expected an ISO 8601");
}

static void timestamp_error_quotes_the_value(void **state)
{
    (void)state;
    sn_error err;
    int64_t us;
    sn_parse_timestamp("2026-02-30 10:00:00", 19, &us, &err);
    assert_string_equal(err.msg,
                        "'2026-02-30 10:00:00' is not a valid timestamp: day 30 out of range "
                        "for 2026-02");
    sn_parse_timestamp("a\x01\xff", 3, &us, &err);
    assert_non_null(strstr(err.msg, "'a\\x01\\xff'"));
}

static void timestamp_formats_back(void **state)
{
    (void)state;
    char out[32];
    sn_format_timestamp(1788512604530587LL, out);
    assert_string_equal(out, "2026-09-04T09:03:24.530587Z");
    sn_format_timestamp(0, out);
    assert_string_equal(out, "1970-01-01T00:00:00.000000Z");
    sn_format_timestamp(-500000, out);
    assert_string_equal(out, "1969-12-31T23:59:59.500000Z");
    sn_format_timestamp(1709251199000001LL, out);
    assert_string_equal(out, "2024-02-29T23:59:59.000001Z");
    /* every day of four centuries goes round trip */
    for (int64_t d = -146097; d < 146097 * 2; d += 1) {
        int64_t us = d * 86400 * 1000000LL + 3723000042LL;
        int64_t back;
        sn_format_timestamp(us, out);
        assert_int_equal(sn_parse_timestamp(out, strlen(out), &back, NULL), SN_OK);
        assert_int_equal(back, us);
    }
}

static void ip_accepts_v4_v6_and_mapped(void **state)
{
    (void)state;
    sn_ip ip;
    char out[48];
    assert_int_equal(sn_parse_ip("192.168.134.202", 15, &ip, NULL), SN_OK);
    assert_int_equal(ip.family, 4);
    assert_int_equal(ip.addr[0], 192);
    assert_int_equal(ip.addr[3], 202);
    sn_format_ip(&ip, out);
    assert_string_equal(out, "192.168.134.202");
    static const char *const quads[] = {"0.0.0.0", "255.255.255.255", "10.0.0.1", "1.20.255.9"};
    for (size_t i = 0; i < sizeof(quads) / sizeof(quads[0]); i++) {
        assert_int_equal(sn_parse_ip(quads[i], strlen(quads[i]), &ip, NULL), SN_OK);
        assert_int_equal(ip.family, 4);
        sn_format_ip(&ip, out);
        assert_string_equal(out, quads[i]);
    }

    assert_int_equal(sn_parse_ip(" 2001:db8::1 ", 13, &ip, NULL), SN_OK);
    assert_int_equal(ip.family, 6);
    sn_format_ip(&ip, out);
    assert_string_equal(out, "2001:db8::1");

    assert_int_equal(sn_parse_ip("[2001:DB8:0:0:0:0:0:2]", 22, &ip, NULL), SN_OK);
    sn_format_ip(&ip, out);
    assert_string_equal(out, "2001:db8::2");

    /* RFC 4291 IPv4-mapped addresses are the IPv4 host */
    assert_int_equal(sn_parse_ip("::ffff:10.1.2.3", 15, &ip, NULL), SN_OK);
    assert_int_equal(ip.family, 4);
    sn_format_ip(&ip, out);
    assert_string_equal(out, "10.1.2.3");

    assert_int_equal(sn_parse_ip("::1", 3, &ip, NULL), SN_OK);
    assert_int_equal(ip.family, 6);
    sn_ip none = {0};
    sn_format_ip(&none, out);
    assert_string_equal(out, "");
}

static void ip_rejects_anything_else(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "not-an-ip",
        "256.1.1.1",
        "1.2.3",
        "1.2.3.4.5",
        "1.2.3.4:80",
        "fe80::1%eth0",
        "2001:db8:::1",
        "[1.2.3.4",
        "",
        " ",
        "01.2.3.4x",
        "01.2.3.4",
        "1.2.3.04",
        "1.2.3.00",
        "1..2.3",
        ".1.2.3",
        "1.2.3.4.",
        "1.2.3.1000",
        "1.2.3.-1",
        "1.2.3.25a",
        "::ffff:999.1.1.1",
        "1234:5678:9abc:def0:1234:5678:9abc:def0:1",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sn_ip ip;
        sn_error err;
        if (sn_parse_ip(bad[i], strlen(bad[i]), &ip, &err) == SN_OK)
            fail_msg("'%s' accepted", bad[i]);
        assert_int_equal(ip.family, 0);
    }
    sn_ip ip;
    sn_error err;
    sn_parse_ip("not-an-ip", 9, &ip, &err);
    assert_string_equal(err.msg, "'not-an-ip' is not an IPv4 or IPv6 address");
}

static void bool_words(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int v;
    } cases[] = {{"True", 1}, {"FALSE", 0},  {"1", 1},       {"0", 0},       {"yes", 1},
                 {"No", 0},   {" true ", 1}, {"success", 1}, {"Failure", 0}, {"failed", 0},
                 {"t", 1},    {"F", 0},      {"y", 1},       {"n", 0}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int8_t b = -1;
        assert_int_equal(sn_parse_bool(cases[i].s, strlen(cases[i].s), &b, NULL), SN_OK);
        assert_int_equal(b, cases[i].v);
    }
    int8_t b;
    sn_error err;
    assert_int_not_equal(sn_parse_bool("maybe", 5, &b, &err), SN_OK);
    assert_string_equal(err.msg,
                        "'maybe' is not a boolean (true/false, 1/0, yes/no, success/failure)");
    assert_int_not_equal(sn_parse_bool("", 0, &b, NULL), SN_OK);
    assert_int_not_equal(sn_parse_bool("truee", 5, &b, NULL), SN_OK);
}

static void utf8_prefix(void **state)
{
    (void)state;
    assert_int_equal(sn_utf8_valid_prefix("S\xc3\xa3o Paulo", 10), 10);
    assert_int_equal(sn_utf8_valid_prefix("\xf0\x9f\x98\x80 ok", 7), 7);
    assert_int_equal(sn_utf8_valid_prefix("abc\xff", 4), 3);
    assert_int_equal(sn_utf8_valid_prefix("abc\xc3", 4), 3);          /* truncated */
    assert_int_equal(sn_utf8_valid_prefix("\xc0\xaf", 2), 0);         /* overlong '/' */
    assert_int_equal(sn_utf8_valid_prefix("\xe0\x80\xaf", 3), 0);     /* overlong */
    assert_int_equal(sn_utf8_valid_prefix("\xed\xa0\x80", 3), 0);     /* surrogate */
    assert_int_equal(sn_utf8_valid_prefix("\xf4\x90\x80\x80", 4), 0); /* > U+10FFFF */
    assert_int_equal(sn_utf8_valid_prefix("\xf5\x80\x80\x80", 4), 0);
    assert_int_equal(sn_utf8_valid_prefix("0123456789abcdef\x80", 17), 16);
    assert_int_equal(sn_utf8_valid_prefix("", 0), 0);
}

static void format_names(void **state)
{
    (void)state;
    sn_format f;
    assert_int_equal(sn_format_from_name("csv", &f), 0);
    assert_int_equal(f, SN_FORMAT_CSV);
    assert_int_equal(sn_format_from_name("jsonl", &f), 0);
    assert_int_equal(f, SN_FORMAT_JSONL);
    assert_int_equal(sn_format_from_name("auto", &f), 0);
    assert_int_equal(f, SN_FORMAT_AUTO);
    assert_int_equal(sn_format_from_name("xml", &f), -1);
    assert_string_equal(sn_format_name(SN_FORMAT_JSONL), "jsonl");
}

/* Every octet value formats as inet_ntop formats it. */
static void ipv4_formatting_matches_inet_ntop(void **state)
{
    (void)state;
    for (unsigned v = 0; v < 256; v++) {
        sn_ip ip = {.family = 4, .addr = {(uint8_t)v, 0, (uint8_t)(255 - v), (uint8_t)(v * 7)}};
        char got[48], want[48];
        sn_format_ip(&ip, got);
        inet_ntop(AF_INET, ip.addr, want, sizeof(want));
        assert_string_equal(got, want);
    }
}

static void expect_str(sn_str s, const char *want, const char *buf, size_t used)
{
    assert_int_equal(s.n, strlen(want));
    assert_memory_equal(s.p, want, s.n);
    /* the copy lives in the caller's buffer */
    assert_true(s.p >= buf && s.p + s.n <= buf + used);
}

/* Copies of an event whose fields lie together in one record's text (copied as one stretch)
 * and of one whose fields lie apart (copied one by one) both own every byte they point at. */
static void event_copies_own_their_text(void **state)
{
    (void)state;
    static char record[] = "E1,U7,alice,Sales,Rep,crm,read,2026-01-01 10:00:00,10.0.0.1";
    static char far_action[] = "write";
    sn_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.event_id = (sn_str){record, 2};
    ev.user_id = (sn_str){record + 3, 2};
    ev.username = (sn_str){record + 6, 5};
    ev.department = (sn_str){record + 12, 5};
    ev.job_title = (sn_str){record + 18, 3};
    ev.resource = (sn_str){record + 22, 3};
    ev.action = (sn_str){far_action, 5};
    static char buf[4096];
    sn_event copy;
    size_t used = sn_event_copy(&copy, &ev, buf, sizeof(buf));
    assert_true(used != (size_t)-1 && used <= sizeof(buf));
    memset(record, '#', sizeof(record) - 1);
    memset(far_action, '#', sizeof(far_action) - 1);
    expect_str(copy.event_id, "E1", buf, used);
    expect_str(copy.user_id, "U7", buf, used);
    expect_str(copy.username, "alice", buf, used);
    expect_str(copy.department, "Sales", buf, used);
    expect_str(copy.job_title, "Rep", buf, used);
    expect_str(copy.resource, "crm", buf, used);
    expect_str(copy.action, "write", buf, used);
    assert_null(copy.location.p);
    assert_int_equal(copy.location.n, 0);

    /* Fields scattered over memory, as a JSON reader leaves them. */
    char *scattered[3];
    for (int i = 0; i < 3; i++) {
        scattered[i] = malloc(8192);
        assert_non_null(scattered[i]);
    }
    memcpy(scattered[0], "U8", 2);
    memcpy(scattered[1] + 4000, "bob", 3);
    memcpy(scattered[2] + 8000, "vpn", 3);
    memset(&ev, 0, sizeof(ev));
    ev.user_id = (sn_str){scattered[0], 2};
    ev.username = (sn_str){scattered[1] + 4000, 3};
    ev.resource = (sn_str){scattered[2] + 8000, 3};
    /* Too small a buffer is refused, not overrun. */
    assert_int_equal(sn_event_copy(&copy, &ev, buf, 4), (size_t)-1);
    used = sn_event_copy(&copy, &ev, buf, sizeof(buf));
    assert_int_equal(used, 8);
    /* Too small a buffer is refused, not overrun. */
    sn_event small;
    assert_int_equal(sn_event_copy(&small, &ev, buf + 64, 4), (size_t)-1);
    for (int i = 0; i < 3; i++)
        free(scattered[i]);
    expect_str(copy.user_id, "U8", buf, used);
    expect_str(copy.username, "bob", buf, used);
    expect_str(copy.resource, "vpn", buf, used);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(timestamp_reference_shape_keeps_microseconds),
        cmocka_unit_test(timestamp_fractions_and_zones),
        cmocka_unit_test(timestamp_calendar_edges),
        cmocka_unit_test(timestamp_epoch_seconds_and_milliseconds),
        cmocka_unit_test(timestamp_invalid_ones_rejected),
        cmocka_unit_test(timestamp_error_quotes_the_value),
        cmocka_unit_test(timestamp_formats_back),
        cmocka_unit_test(ip_accepts_v4_v6_and_mapped),
        cmocka_unit_test(ip_rejects_anything_else),
        cmocka_unit_test(bool_words),
        cmocka_unit_test(utf8_prefix),
        cmocka_unit_test(format_names),
        cmocka_unit_test(ipv4_formatting_matches_inet_ntop),
        cmocka_unit_test(event_copies_own_their_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
