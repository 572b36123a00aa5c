/* The reference CSV reader: RFC 4180 quoting, header handling, bad records reported with file,
 * line, field and reason, fatal inputs, streaming across buffer blocks, and the real data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ingest/ingest.h"
#include "ingest/ingest_impl.h"
#include "testutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HEADER                                                                                     \
    "event_id,user_id,username,department,job_title,resource,action,timestamp,source_ip,location," \
    "success,is_anomaly,anomaly_type\n"
#define ROW(id, user)                                                                              \
    id "," user ",abrown60,Legal,General Counsel,learning_portal,read,2026-09-04 "                 \
       "09:03:24.530587,192.168.134.202,\"S\xc3\xa3o Paulo, BR\",True,False,\n"

/* Reads all of data and writes one line per call: "ok LINE USER" or "FILE:LINE: FIELD: why",
 * then "eof" or "fatal ...". */
static char *transcript_chunked(const char *data, size_t n, sn_format fmt, size_t read_limit)
{
    static char out[1 << 16];
    size_t o = 0;
    sn_reader *r;
    sn_error err;
    char msg[1024];
    out[0] = '\0';
    if (sn_ingest_open_mem_chunked(&r, data, n, "t.csv", fmt, read_limit, &err) != SN_OK) {
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
        if (o > sizeof(out) - 2048)
            break;
    }
    sn_reader_close(r);
    return out;
}

static char *transcript(const char *data, size_t n, sn_format fmt)
{
    return transcript_chunked(data, n, fmt, 0);
}

static char *run(const char *s)
{
    return transcript(s, strlen(s), SN_FORMAT_AUTO);
}

static sn_reader *open_str(const char *s)
{
    sn_reader *r = NULL;
    sn_error err;
    if (sn_reader_open_mem(&r, s, strlen(s), "t.csv", SN_FORMAT_CSV, &err) != SN_OK)
        fail_msg("open failed: %s", err.msg);
    return r;
}

static void assert_str(sn_str s, const char *want)
{
    if (s.n != strlen(want) || (s.n && memcmp(s.p, want, s.n)))
        fail_msg("got '%.*s', want '%s'", (int)s.n, s.p ? s.p : "", want);
}

static void reference_row_fields(void **state)
{
    (void)state;
    sn_reader *r = open_str(HEADER ROW("E000001", "U0090"));
    sn_event ev;
    sn_error err;
    assert_int_equal(sn_reader_next(r, &ev, &err), SN_OK);
    assert_str(ev.event_id, "E000001");
    assert_str(ev.user_id, "U0090");
    assert_str(ev.username, "abrown60");
    assert_str(ev.department, "Legal");
    assert_str(ev.job_title, "General Counsel");
    assert_str(ev.resource, "learning_portal");
    assert_str(ev.action, "read");
    assert_str(ev.location, "S\xc3\xa3o Paulo, BR");
    assert_str(ev.raw_timestamp, "2026-09-04 09:03:24.530587");
    assert_str(ev.raw_ip, "192.168.134.202");
    assert_int_equal(ev.ts_us, 1788512604530587LL);
    assert_int_equal(ev.ip.family, 4);
    assert_int_equal(ev.success, 1);
    assert_int_equal(ev.is_anomaly, 0);
    assert_int_equal(ev.mfa, -1);
    assert_int_equal(ev.anomaly_type.n, 0);
    assert_false(ev.has_coords);
    assert_string_equal(ev.src_file, "t.csv");
    assert_int_equal(ev.src_line, 2);
    assert_int_equal(sn_reader_next(r, &ev, &err), SN_EOF);
    assert_int_equal(sn_reader_next(r, &ev, &err), SN_EOF);
    const sn_reader_stats *st = sn_reader_get_stats(r);
    assert_int_equal(st->records, 1);
    assert_int_equal(st->skipped, 0);
    assert_int_equal(st->lines, 2);
    assert_int_equal(sn_reader_format(r), SN_FORMAT_CSV);
    sn_reader_close(r);
}

static void reordered_columns_aliases_and_unknown_columns(void **state)
{
    (void)state;
    sn_reader *r = open_str(" @Timestamp ,Extra,ACTION,User,IP,Label,latitude,longitude,country\n"
                            "2026-09-04T09:03:24Z,zzz,DownLoad,alice,2001:db8::7,1,-23.55,"
                            "-46.63,BR\n"
                            "1788512604,,Admin,bob,,,,,\n");
    sn_event ev;
    sn_error err;
    assert_int_equal(sn_reader_next(r, &ev, &err), SN_OK);
    assert_str(ev.user_id, "alice");
    assert_str(ev.action, "download");
    assert_int_equal(ev.ts_us, 1788512604000000LL);
    assert_int_equal(ev.ip.family, 6);
    assert_int_equal(ev.is_anomaly, 1);
    assert_int_equal(ev.success, -1);
    assert_int_equal(ev.event_id.n, 0);
    assert_true(ev.has_coords);
    assert_true(ev.lat == -23.55);
    assert_true(ev.lon == -46.63);
    assert_str(ev.country, "BR");
    assert_int_equal(sn_reader_next(r, &ev, &err), SN_OK);
    assert_str(ev.user_id, "bob");
    assert_str(ev.action, "admin");
    assert_int_equal(ev.ip.family, 0);
    assert_int_equal(ev.raw_ip.n, 0);
    assert_int_equal(ev.is_anomaly, -1);
    assert_false(ev.has_coords);
    assert_int_equal(sn_reader_next(r, &ev, &err), SN_EOF);
    sn_reader_close(r);
}

static void quoting_rfc4180(void **state)
{
    (void)state;
    sn_reader *r = open_str("user_id,timestamp,location,resource\r\n"
                            "u1,2026-09-04T09:03:24Z,\"Lagos, NG\",\"say \"\"hi\"\"\"\r\n"
                            "\"u2\",\"2026-09-04T09:03:25Z\",\"\",\"\"\"\"\r\n"
                            "u3,2026-09-04T09:03:26Z,\"two\r\nlines\",x");
    sn_event ev;
    sn_error err;
    assert_int_equal(sn_reader_next(r, &ev, &err), SN_OK);
    assert_str(ev.location, "Lagos, NG");
    assert_str(ev.resource, "say \"hi\"");
    assert_int_equal(sn_reader_next(r, &ev, &err), SN_OK);
    assert_str(ev.user_id, "u2");
    assert_int_equal(ev.location.n, 0);
    assert_str(ev.resource, "\"");
    assert_int_equal(sn_reader_next(r, &ev, &err), SN_OK);
    assert_str(ev.location, "two\r\nlines");
    assert_str(ev.resource, "x");
    assert_int_equal(ev.src_line, 4);
    assert_int_equal(sn_reader_next(r, &ev, &err), SN_EOF);
    assert_int_equal(sn_reader_get_stats(r)->lines, 5);
    sn_reader_close(r);
}

static void bom_crlf_and_blank_lines(void **state)
{
    (void)state;
    const char *s = "\xEF\xBB\xBF"
                    "user_id,timestamp\r\n"
                    "\r\n"
                    "u1,2026-09-04T09:03:24Z\r\n"
                    "\n"
                    "u2,2026-09-04T09:03:25Z\r\n";
    assert_string_equal(run(s), "ok 3 u1\n"
                                "ok 5 u2\n"
                                "eof\n");
}

static void quoted_newline_keeps_line_numbers(void **state)
{
    (void)state;
    const char *s = "user_id,timestamp,location\n"
                    "u1,2026-09-04T09:03:24Z,\"a\nb\nc\"\n"
                    "u2,2026-09-04T09:03:24Z,x\n"
                    "u3,nope,x\n"
                    "u4,2026-09-04T09:03:24Z,\"\n\"\n"
                    "u5,2026-09-04T09:03:24Z,x\n";
    assert_string_equal(run(s), "ok 2 u1\n"
                                "ok 5 u2\n"
                                "t.csv:6: timestamp: 'nope' is not a valid timestamp: expected "
                                "an ISO 8601 / RFC 3339 date and time, or epoch seconds or "
                                "milliseconds\n"
                                "ok 7 u4\n"
                                "ok 9 u5\n"
                                "eof\n");
}

static void each_bad_record_reported_then_next_returned(void **state)
{
    (void)state;
    char *big = malloc(SN_MAX_FIELD + 200);
    assert_non_null(big);
    memset(big, 'x', SN_MAX_FIELD + 1);
    big[SN_MAX_FIELD + 1] = '\0';
    char *s = malloc(3 * SN_MAX_FIELD + 4096);
    assert_non_null(s);
    snprintf(
        s, 3 * SN_MAX_FIELD + 4096,
        HEADER
        /* 2 */ "E1,,n,d,j,r,read,2026-09-04 09:03:24,10.0.0.1,\"X, Y\",True,False,\n"
                /* 3 */ "E2,U2,n,d,j,r,read,,10.0.0.1,,True,False,\n"
                /* 4 */ "E3,U3,n,d,j,r,read,2026-02-30 09:03:24,10.0.0.1,,True,False,\n"
                /* 5 */ "E4,U4,n,d,j,r,read,2026-09-04 09:03:24,not-an-ip,,True,False,\n"
                /* 6 */ "E5,U5,n\xff,d,j,r,read,2026-09-04 09:03:24,10.0.0.1,,True,False,\n"
                /* 7 */ "E6,U6,n,d,j,%s,read,2026-09-04 09:03:24,10.0.0.1,,True,False,\n"
                /* 8 */ "E7,U7,n,d,j,r,read,2026-09-04 09:03:24,10.0.0.1,,True,False,,extra\n"
                /* 9 */ "E8,U8,n,d,j,r,read,2026-09-04 09:03:24,10.0.0.1,,maybe,False,\n"
                /* 10 */ "E9,U9,n,d,j,r,read,2026-09-04 09:03:24,10.0.0.1,Sa\"o,True,False,\n"
                /* 11 */ "E10,U10,n,d,j,r,read,2026-09-04 09:03:24,10.0.0.1,\"X\"Y,True,False,\n"
                /* 12 */ "E11,U11,n,d,j,r,read,2026-09-04 09:03:24,10.0.0.1,,True,False,\n"
                /* 13 */ "E12,U12,n,d,j,r,read,2026-09-04 09:03:24,10.0.0.1,\"open,True,False,\n"
                /* 14 */ "E13,U13,n,d,j,r,read,2026-09-04 09:03:24,10.0.0.1,,True,False,\n",
        big);
    assert_string_equal(
        run(s),
        "t.csv:2: user_id: required field is missing or empty\n"
        "t.csv:3: timestamp: required field is missing or empty\n"
        "t.csv:4: timestamp: '2026-02-30 09:03:24' is not a valid timestamp: day 30 out of "
        "range for 2026-02\n"
        "t.csv:5: source_ip: 'not-an-ip' is not an IPv4 or IPv6 address\n"
        "t.csv:6: username: invalid UTF-8 (byte 0xff at offset 1)\n"
        "t.csv:7: resource: field is 4097 bytes, longer than the 4096-byte limit\n"
        "t.csv:8: record has 14 fields, the header has 13\n"
        "t.csv:9: success: 'maybe' is not a boolean (true/false, 1/0, yes/no, success/failure)\n"
        "t.csv:10: location: quote inside an unquoted field (RFC 4180: quote the whole field "
        "and double the quote)\n"
        "t.csv:11: location: text after the closing quote (RFC 4180: a quoted field ends at "
        "its closing quote)\n"
        "ok 12 U11\n"
        "t.csv:13: location: unbalanced quote: quoted field not closed before the end of "
        "input\n"
        "ok 14 U13\n"
        "eof\n");
    free(s);
    free(big);
}

static void bad_records_counted(void **state)
{
    (void)state;
    sn_reader *r =
        open_str("user_id,timestamp\nu1,bad\nu2,2026-09-04T09:03:24Z\n,2026-09-04T09:03:24Z\n");
    sn_event ev;
    sn_error err;
    assert_int_equal(sn_reader_next(r, &ev, &err), SN_ERR_PARSE);
    assert_false(err.fatal);
    assert_int_equal(sn_reader_next(r, &ev, &err), SN_OK);
    assert_int_equal(sn_reader_next(r, &ev, &err), SN_ERR_MISSING);
    assert_int_equal(sn_reader_next(r, &ev, &err), SN_EOF);
    const sn_reader_stats *st = sn_reader_get_stats(r);
    assert_int_equal(st->records, 1);
    assert_int_equal(st->skipped, 2);
    assert_int_equal(st->lines, 4);
    sn_reader_close(r);
}

static void nul_and_coordinates_checked(void **state)
{
    (void)state;
    static const char s[] = "user_id,timestamp,lat,lon\n"
                            "u\0,2026-09-04T09:03:24Z,,\n"
                            "u2,2026-09-04T09:03:24Z,91,0\n"
                            "u3,2026-09-04T09:03:24Z,45,\n"
                            "u4,2026-09-04T09:03:24Z,45.5,-0.5\n";
    assert_string_equal(transcript(s, sizeof(s) - 1, SN_FORMAT_CSV),
                        "t.csv:2: user_id: NUL byte at offset 1\n"
                        "t.csv:3: latitude: '91' is not a latitude in degrees (-90 to 90)\n"
                        "t.csv:4: longitude: latitude given without longitude\n"
                        "ok 5 u4\n"
                        "eof\n");
}

static void over_long_records_resync(void **state)
{
    (void)state;
    /* A record longer than SN_MAX_RECORD: one error at its first line, then the next line. */
    size_t n = 3 * SN_MAX_RECORD;
    char *s = malloc(n + 256);
    assert_non_null(s);
    size_t o = (size_t)sprintf(s, "user_id,timestamp,location\nu1,2026-09-04T09:03:24Z,");
    memset(s + o, 'y', n);
    o += n;
    o += (size_t)sprintf(s + o, "\nu2,2026-09-04T09:03:24Z,x\n");
    assert_string_equal(transcript(s, o, SN_FORMAT_CSV),
                        "t.csv:2: record is longer than 65536 bytes\n"
                        "ok 3 u2\n"
                        "eof\n");
    /* A quote never closed, with more than SN_MAX_RECORD after it: reading goes on at the
     * line after the one where the record started. */
    o = (size_t)sprintf(s, "user_id,timestamp,location\nu1,2026-09-04T09:03:24Z,\"abc\n");
    o += (size_t)sprintf(s + o, "u2,2026-09-04T09:03:24Z,x\n");
    memset(s + o, 'z', n);
    o += n;
    o += (size_t)sprintf(s + o, "\nu3,2026-09-04T09:03:24Z,x\n");
    assert_string_equal(transcript(s, o, SN_FORMAT_CSV),
                        "t.csv:2: location: unbalanced quote: quoted field still open after "
                        "65536 bytes\n"
                        "ok 3 u2\n"
                        "t.csv:4: record is longer than 65536 bytes\n"
                        "ok 5 u3\n"
                        "eof\n");
    free(s);
}

static void huge_line_without_newline_is_not_buffered(void **state)
{
    (void)state;
    /* 64 MiB with no line break: reported once, memory stays at the reader's buffer. */
    size_t n = (size_t)64 << 20;
    char *s = malloc(n + 128);
    assert_non_null(s);
    size_t o = (size_t)sprintf(s, "user_id,timestamp\n");
    memset(s + o, 'q', n);
    o += n;
    assert_string_equal(transcript(s, o, SN_FORMAT_CSV),
                        "t.csv:2: record is longer than 65536 bytes\n"
                        "eof\n");
    free(s);
}

static void fatal_inputs(void **state)
{
    (void)state;
    assert_string_equal(run(""), "fatal t.csv: input is empty\n");
    assert_string_equal(run("\xEF\xBB\xBF"), "fatal t.csv: input is empty\n");
    assert_string_equal(run("\n\r\n  \n"), "fatal t.csv: input is empty\n");
    /* auto: nothing in the line says which format it is, so the message lists them */
    assert_string_equal(run("E1,U1,2026-09-04T09:03:24Z\n"),
                        "fatal t.csv:1: unrecognised input format: not a CSV header (no usable "
                        "CSV header: the first line names none of the known columns (user_id, "
                        "timestamp, ...)), a JSON object or a syslog line; the formats are csv, "
                        "jsonl, syslog, winevt, cloudtrail, okta, entra, ecs and ocsf (--format "
                        "NAME)\n");
    assert_string_equal(transcript("E1,U1,2026-09-04T09:03:24Z\n", 26, SN_FORMAT_CSV),
                        "fatal t.csv:1: no usable CSV header: the first line names none of the "
                        "known columns (user_id, timestamp, ...)\n");
    assert_string_equal(run("event_id,user_id,action\nE1,U1,read\n"),
                        "fatal t.csv:1: no usable CSV header: the header has no timestamp "
                        "column\n");
    assert_string_equal(run("\n\ntimestamp,resource\n"),
                        "fatal t.csv:3: no usable CSV header: the header has no user_id "
                        "column\n");
    assert_string_equal(run("user_id,\"timestamp\n"),
                        "fatal t.csv:1: no CSV header: the first line opens a quote that is "
                        "never closed\n");

    sn_reader *r = (sn_reader *)1;
    sn_error err;
    char msg[512];
    assert_int_equal(sn_reader_open(&r, "/nonexistent/dir/x.csv", SN_FORMAT_AUTO, &err), SN_ERR_IO);
    assert_null(r);
    assert_true(err.fatal);
    sn_error_format(&err, msg, sizeof(msg));
    assert_string_equal(msg, "/nonexistent/dir/x.csv: cannot open: No such file or directory");
    assert_int_equal(sn_reader_open(&r, "/tmp", SN_FORMAT_AUTO, &err), SN_ERR_IO);
    const char *empty = tu_temp_file("", 0);
    assert_int_equal(sn_reader_open(&r, empty, SN_FORMAT_CSV, &err), SN_ERR_EMPTY);
    assert_true(err.fatal);
}

static void header_only_file_has_no_records(void **state)
{
    (void)state;
    assert_string_equal(run("user_id,timestamp"), "eof\n");
    assert_string_equal(run("user_id,timestamp\n"), "eof\n");
}

static void reads_a_file_across_many_buffer_blocks(void **state)
{
    (void)state;
    /* ~6 MiB: records, quoted fields and line breaks fall across every block boundary. */
    size_t cap = 8u << 20, o = 0;
    char *s = malloc(cap);
    assert_non_null(s);
    o += (size_t)sprintf(s, "user_id,timestamp,location,resource\r\n");
    int n = 0;
    while (o < cap - 256) {
        o += (size_t)snprintf(s + o, cap - o,
                              "user%d,2026-09-04T09:03:24.%06dZ,\"City, %d\",\"a\"\"%d\nb\"\r\n", n,
                              n % 1000000, n, n);
        n++;
    }
    const char *path = tu_temp_file(s, o);
    assert_non_null(path);
    sn_reader *r;
    sn_error err;
    assert_int_equal(sn_reader_open(&r, path, SN_FORMAT_AUTO, &err), SN_OK);
    sn_event ev;
    int got = 0;
    char want[64];
    while (sn_reader_next(r, &ev, &err) == SN_OK) {
        snprintf(want, sizeof(want), "user%d", got);
        assert_str(ev.user_id, want);
        snprintf(want, sizeof(want), "a\"%d\nb", got);
        assert_str(ev.resource, want);
        assert_int_equal(ev.src_line, 2 + 2 * got);
        assert_int_equal(ev.ts_us % 1000000, got % 1000000);
        got++;
    }
    assert_int_equal(got, n);
    assert_int_equal(sn_reader_get_stats(r)->skipped, 0);
    assert_int_equal(sn_reader_get_stats(r)->lines, 1 + 2 * n);
    sn_reader_close(r);
    free(s);
}

/* Whatever the sizes of the reads (a pipe may hand over one byte at a time), the events and
 * errors are the same. */
static void same_results_whatever_the_read_sizes(void **state)
{
    (void)state;
    static const char *const inputs[] = {
        "\xEF\xBB\xBFuser_id,timestamp,location\r\n\r\nu1,2026-09-04T09:03:24Z,\"a\r\nb\"\r\n"
        "u2,2026-09-04T09:03:24Z,\"x\"\"y\"\r\nu3,bad,\r\n\"u4\",2026-09-04T09:03:24Z,\"q\"z\r\n"
        "u5,2026-09-04T09:03:24Z,a\"b\nu6,1788512604,\"open\r\nu7,0,x\r",
        HEADER ROW("E1", "U1") ROW("E2", "U2") "E3,U3,,,,,,2026-09-04 09:03:24,::1,,,,\n"
                                               "E4,U4,,,,,,2026-09-04 09:03:24,10.0.0.1,,,,,\n",
        "{\"user_id\":\"a\",\"timestamp\":0}\r\n\n{bad}\n{\"user_id\":\"b\",\"timestamp\":1}",
    };
    for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        size_t n = strlen(inputs[i]);
        char whole[1 << 14];
        snprintf(whole, sizeof(whole), "%s", transcript(inputs[i], n, SN_FORMAT_AUTO));
        for (size_t limit = 1; limit < 20; limit++)
            assert_string_equal(transcript_chunked(inputs[i], n, SN_FORMAT_AUTO, limit), whole);
    }
}

static void reads_stdin_for_dash(void **state)
{
    (void)state;
    const char *data = "user_id,timestamp\nu1,2026-09-04T09:03:24Z\n";
    const char *path = tu_temp_file(data, strlen(data));
    int saved = dup(STDIN_FILENO);
    int fd = open(path, O_RDONLY);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, STDIN_FILENO);
    close(fd);
    sn_reader *r;
    sn_error err;
    sn_event ev;
    assert_int_equal(sn_reader_open(&r, "-", SN_FORMAT_AUTO, &err), SN_OK);
    assert_int_equal(sn_reader_next(r, &ev, &err), SN_OK);
    assert_string_equal(ev.src_file, "<stdin>");
    assert_int_equal(sn_reader_next(r, &ev, &err), SN_EOF);
    sn_reader_close(r);
    dup2(saved, STDIN_FILENO);
    close(saved);
}

static void real_reference_file(void **state)
{
    (void)state;
    const char *path = tu_data_path("reference/sample_iam_logs_200x50.csv");
    if (!path)
        skip();
    sn_reader *r;
    sn_error err;
    assert_int_equal(sn_reader_open(&r, path, SN_FORMAT_AUTO, &err), SN_OK);
    sn_event ev;
    sn_status st;
    long anomalies = 0, sao = 0;
    while ((st = sn_reader_next(r, &ev, &err)) != SN_EOF) {
        if (st != SN_OK) {
            char msg[1024];
            sn_error_format(&err, msg, sizeof(msg));
            fail_msg("%s", msg);
        }
        anomalies += ev.is_anomaly == 1;
        sao += ev.location.n == 14 && !memcmp(ev.location.p, "S\xc3\xa3o Paulo, BR", 14);
        assert_int_equal(ev.ip.family, 4);
        assert_int_not_equal(ev.success, -1);
        assert_int_not_equal(ev.is_anomaly, -1);
    }
    const sn_reader_stats *s = sn_reader_get_stats(r);
    assert_int_equal(s->records, 7628);
    assert_int_equal(s->skipped, 0);
    assert_int_equal(s->lines, 7629);
    assert_int_equal(anomalies, 171);
    assert_int_equal(sao, 616);
    sn_reader_close(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reference_row_fields),
        cmocka_unit_test(reordered_columns_aliases_and_unknown_columns),
        cmocka_unit_test(quoting_rfc4180),
        cmocka_unit_test(bom_crlf_and_blank_lines),
        cmocka_unit_test(quoted_newline_keeps_line_numbers),
        cmocka_unit_test(each_bad_record_reported_then_next_returned),
        cmocka_unit_test(bad_records_counted),
        cmocka_unit_test(nul_and_coordinates_checked),
        cmocka_unit_test(over_long_records_resync),
        cmocka_unit_test(huge_line_without_newline_is_not_buffered),
        cmocka_unit_test(fatal_inputs),
        cmocka_unit_test(header_only_file_has_no_records),
        cmocka_unit_test(reads_a_file_across_many_buffer_blocks),
        cmocka_unit_test(same_results_whatever_the_read_sizes),
        cmocka_unit_test(reads_stdin_for_dash),
        cmocka_unit_test(real_reference_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
