/* The syslog (auth.log) reader: exact events for each kind of sshd, su and sudo line, years
 * inferred or given, zones, lines that are no events counted as ignored, malformed lines
 * reported, and the real loghub OpenSSH log checked against the loghub team's own parse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ingest/ingest_impl.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 2026-12-03T13:40:00Z: the wall clock the year inference is tested at */
#define NOW_US 1796305200000000LL

/* One line per call: "ok LINE USER|TIME|IP|RESOURCE|ACTION|SUCCESS" or "FILE:LINE: FIELD:
 * why", then "eof N ignored". */
static char *transcript_opts(const char *data, const sn_reader_options *opts, size_t read_limit)
{
    static char out[1 << 16];
    size_t o = 0;
    sn_reader *r;
    sn_error err;
    char msg[1024];
    if (sn_ingest_open_mem_ex(&r, data, strlen(data), "t.log", SN_FORMAT_AUTO, opts, read_limit,
                              NOW_US, &err) != SN_OK) {
        sn_error_format(&err, msg, sizeof(msg));
        snprintf(out, sizeof(out), "fatal %s\n", msg);
        return out;
    }
    assert_int_equal(sn_reader_format(r), SN_FORMAT_SYSLOG);
    for (;;) {
        sn_event ev;
        sn_status st = sn_reader_next(r, &ev, &err);
        if (st == SN_EOF) {
            o += (size_t)snprintf(out + o, sizeof(out) - o, "eof %ld ignored\n",
                                  sn_reader_get_stats(r)->ignored);
            break;
        }
        if (st == SN_OK) {
            char ts[32], ip[48];
            sn_format_timestamp(ev.ts_us, ts);
            sn_format_ip(&ev.ip, ip);
            o += (size_t)snprintf(out + o, sizeof(out) - o, "ok %ld %.*s|%s|%s|%.*s|%.*s|%d\n",
                                  ev.src_line, (int)ev.user_id.n, ev.user_id.p, ts,
                                  ev.ip.family ? ip : "-", (int)ev.resource.n, ev.resource.p,
                                  (int)ev.action.n, ev.action.p, ev.success);
            assert_int_equal(ev.location.n, 0);
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

static char *transcript(const char *data, int year, const char *tz)
{
    sn_reader_options o = {.year = year, .timezone = tz};
    return transcript_opts(data, &o, 0);
}

static const char every_kind[] =
    /* 1 */
    "Dec 10 06:55:46 gw1 sshd[24200]: Invalid user webadmin from 203.0.113.7\n"
    /* 2 */ "Dec 10 06:55:48 gw1 sshd[24200]: Failed password for invalid user webadmin "
    "from 203.0.113.7 port 38926 ssh2\n"
    /* 3 */ "Dec 10 06:55:48 gw1 sshd[24200]: Connection closed by 203.0.113.7 [preauth]\n"
    /* 4 */ "Dec 10 07:13:31 gw1 sshd[24227]: pam_unix(sshd:auth): authentication failure; "
    "logname= uid=0 euid=0 tty=ssh ruser= rhost=host-198-51-100-23.example.net  user=root\n"
    /* 5 */ "Dec 10 07:13:56 gw1 sshd[24227]: message repeated 3 times: [ Failed password for "
    "root from 198.51.100.23 port 42393 ssh2]\n"
    /* 6 */ "Dec 10 07:14:00 gw1 sshd[24227]: Received disconnect from 198.51.100.23: 11: Bye Bye "
    "[preauth]\n"
    /* 7 */ "Dec 10 09:32:20 gw1 sshd[24680]: Accepted password for dave from 192.0.2.44 "
    "port 49116 ssh2\n"
    /* 8 */ "Dec 10 09:32:20 gw1 sshd[24680]: pam_unix(sshd:session): session opened for user "
    "dave by (uid=0)\n"
    /* 9 */ "Dec 11 00:00:05 web1 sshd-session[99]: Accepted publickey for alice from "
    "2001:db8::7 port 50000 ssh2: ED25519 SHA256:abcdef\n"
    /* 10 */ "Dec 11 00:00:06 web1 sudo: pam_unix(sudo:session): session opened for user "
    "root(uid=0) by alice(uid=1000)\n"
    /* 11 */ "Dec 11 00:00:07 web1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; "
    "COMMAND=/usr/bin/id\n"
    /* 12 */ "Dec 11 00:00:08 web1 sudo:      bob : 2 incorrect password attempts ; TTY=pts/1 ; "
    "PWD=/home/bob ; USER=root ; COMMAND=/bin/sh\n"
    /* 13 */ "Dec 11 00:00:09 web1 su: pam_unix(su:auth): authentication failure; logname=bob "
    "uid=1001 euid=0 tty=pts/1 ruser=bob rhost=  user=root\n"
    /* 14 */ "Dec 11 00:00:10 web1 su[120]: pam_unix(su-l:session): session opened for user "
    "postgres by alice(uid=1000)\n"
    /* 15 */ "Dec 11 00:00:11 web1 CRON[5]: pam_unix(cron:session): session opened for user root "
    "by (uid=0)\n"
    /* 16 */ "<38>Dec 11 00:00:12 web1 sshd[7]: Failed none for invalid user admin from "
    "10.0.0.9 port 1 ssh2\n"
    /* 17 */ "2026-03-01T10:00:00.250000+01:00 web2 sshd[8]: Invalid user oracle from 10.0.0.10 "
    "port 22\n"
    /* 18 */ "Dec  1 00:00:13 web1 sshd[9]: Failed password for x from 1.1.1.1 port 2 from "
    "10.0.0.11 port 22 ssh2\n"
    /* 19 */ "Dec 11 00:00:14 web1 sudo:    carol : user NOT in sudoers ; TTY=pts/2 ; "
    "PWD=/tmp ; USER=postgres ; COMMAND=/bin/ls\n"
    /* 20 */ "Dec 11 00:00:15 web1 kernel: [ 1.0] eth0: link up\n";

static void each_kind_of_line_gives_its_exact_event(void **state)
{
    (void)state;
    assert_string_equal(
        transcript(every_kind, 2015, "+02:00"),
        "ok 1 webadmin|2015-12-10T04:55:46.000000Z|203.0.113.7|gw1/sshd|login|0\n"
        "ok 2 webadmin|2015-12-10T04:55:48.000000Z|203.0.113.7|gw1/sshd|login|0\n"
        "ok 4 root|2015-12-10T05:13:31.000000Z|-|gw1/sshd|login|0\n"
        "ok 5 root|2015-12-10T05:13:56.000000Z|198.51.100.23|gw1/sshd|login|0\n"
        "ok 5 root|2015-12-10T05:13:56.000000Z|198.51.100.23|gw1/sshd|login|0\n"
        "ok 5 root|2015-12-10T05:13:56.000000Z|198.51.100.23|gw1/sshd|login|0\n"
        "ok 7 dave|2015-12-10T07:32:20.000000Z|192.0.2.44|gw1/sshd|login|1\n"
        "ok 9 alice|2015-12-10T22:00:05.000000Z|2001:db8::7|web1/sshd|login|1\n"
        "ok 10 alice|2015-12-10T22:00:06.000000Z|-|root|sudo|1\n"
        "ok 12 bob|2015-12-10T22:00:08.000000Z|-|root|sudo|0\n"
        "ok 12 bob|2015-12-10T22:00:08.000000Z|-|root|sudo|0\n"
        "ok 13 bob|2015-12-10T22:00:09.000000Z|-|root|su|0\n"
        "ok 14 alice|2015-12-10T22:00:10.000000Z|-|postgres|su|1\n"
        "ok 16 admin|2015-12-10T22:00:12.000000Z|10.0.0.9|web1/sshd|login|0\n"
        "ok 17 oracle|2026-03-01T09:00:00.250000Z|10.0.0.10|web2/sshd|login|0\n"
        "ok 18 x from 1.1.1.1 port 2|2015-11-30T22:00:13.000000Z|10.0.0.11|web1/sshd|login|0\n"
        "ok 19 carol|2015-12-10T22:00:14.000000Z|-|postgres|sudo|0\n"
        "eof 6 ignored\n");
}

static void timestamps_in_microseconds(void **state)
{
    (void)state;
    sn_reader_options o = {.year = 2015, .timezone = "+02:00"};
    sn_reader *r;
    sn_error err;
    assert_int_equal(sn_reader_open_mem_opts(&r, every_kind, strlen(every_kind), "t.log",
                                             SN_FORMAT_SYSLOG, &o, &err),
                     SN_OK);
    sn_event ev;
    assert_int_equal(sn_reader_next(r, &ev, &err), SN_OK);
    assert_int_equal(ev.ts_us, 1449723346000000LL); /* 2015-12-10T04:55:46Z */
    assert_int_equal(ev.raw_timestamp.n, 15);
    assert_memory_equal(ev.raw_timestamp.p, "Dec 10 06:55:46", 15);
    assert_int_equal(ev.ip.family, 4);
    while (sn_reader_next(r, &ev, &err) == SN_OK && ev.src_line != 17) {
    }
    assert_int_equal(ev.src_line, 17);
    assert_int_equal(ev.ts_us, 1772355600250000LL); /* its own zone, not the option's */
    while (sn_reader_next(r, &ev, &err) == SN_OK && ev.src_line != 18) {
    }
    assert_int_equal(ev.ts_us, 1448920813000000LL); /* "Dec  1 00:00:13" at +02:00 */
    sn_reader_close(r);
}

static void the_same_events_whatever_the_read_sizes(void **state)
{
    (void)state;
    sn_reader_options o = {.year = 2015, .timezone = "+02:00"};
    char whole[1 << 14];
    snprintf(whole, sizeof(whole), "%s", transcript_opts(every_kind, &o, 0));
    for (size_t limit = 1; limit < 40; limit += 3)
        assert_string_equal(transcript_opts(every_kind, &o, limit), whole);
}

static void years_follow_the_months_across_a_new_year(void **state)
{
    (void)state;
    assert_string_equal(
        transcript("Dec 31 23:59:59 h sshd[1]: Invalid user a from 1.2.3.4\n"
                   "Jan  1 00:00:01 h sshd[1]: Connection closed by 1.2.3.4 [preauth]\n"
                   "Dec 31 23:59:58 h sshd[1]: Invalid user c from 1.2.3.4\n"
                   "Jan  1 00:00:02 h sshd[1]: Invalid user d from 1.2.3.4\n"
                   "Jul  1 00:00:02 h sshd[1]: Invalid user e from 1.2.3.4\n",
                   2015, NULL),
        "ok 1 a|2015-12-31T23:59:59.000000Z|1.2.3.4|h/sshd|login|0\n"
        "ok 3 c|2015-12-31T23:59:58.000000Z|1.2.3.4|h/sshd|login|0\n"
        "ok 4 d|2016-01-01T00:00:02.000000Z|1.2.3.4|h/sshd|login|0\n"
        "ok 5 e|2016-07-01T00:00:02.000000Z|1.2.3.4|h/sshd|login|0\n"
        "eof 1 ignored\n");
    assert_string_equal(
        transcript("Feb 29 00:00:00 h sshd[1]: Invalid user a from 1.2.3.4\n", 2015, NULL),
        "t.log:1: timestamp: 'Feb 29 00:00:00' is not a date in 2015 (the year "
        "the header leaves out; give it with --year)\n"
        "eof 0 ignored\n");
    assert_string_equal(
        transcript("Feb 29 00:00:00 h sshd[1]: Invalid user a from 1.2.3.4\n", 2016, NULL),
        "ok 1 a|2016-02-29T00:00:00.000000Z|1.2.3.4|h/sshd|login|0\n"
        "eof 0 ignored\n");
}

static void the_year_is_inferred_from_the_clock(void **state)
{
    (void)state;
    /* at 2026-12-03T13:40:00Z: a date more than a day ahead was written last year */
    assert_int_equal(sn_syslog_infer_year(12, 10, 6, 55, 46, 0, NOW_US), 2025);
    assert_int_equal(sn_syslog_infer_year(12, 4, 13, 0, 0, 0, NOW_US), 2026);
    assert_int_equal(sn_syslog_infer_year(12, 5, 0, 0, 0, 0, NOW_US), 2025);
    assert_int_equal(sn_syslog_infer_year(11, 30, 0, 0, 0, 0, NOW_US), 2026);
    assert_int_equal(sn_syslog_infer_year(1, 5, 0, 0, 0, 0, NOW_US), 2026);
    /* the clock read in the log's zone: 2026-12-31T23:30Z is already 1 January at +01:00 */
    assert_int_equal(sn_syslog_infer_year(1, 1, 0, 10, 0, 60, 1798759800000000LL), 2027);
    assert_int_equal(sn_syslog_infer_year(1, 1, 0, 10, 0, 0, 1798759800000000LL), 2026);
    /* through the reader: no year given, so the first line's is inferred and carried on */
    assert_string_equal(transcript("Dec 10 06:55:46 gw1 sshd[1]: Invalid user a from 1.2.3.4\n"
                                   "Jan  2 00:00:00 gw1 sshd[1]: Invalid user b from 1.2.3.4\n",
                                   0, "UTC"),
                        "ok 1 a|2025-12-10T06:55:46.000000Z|1.2.3.4|gw1/sshd|login|0\n"
                        "ok 2 b|2026-01-02T00:00:00.000000Z|1.2.3.4|gw1/sshd|login|0\n"
                        "eof 0 ignored\n");
}

static void malformed_lines_are_reported_and_skipped(void **state)
{
    (void)state;
    assert_string_equal(
        transcript("Dec 10 06:55:46 h sshd[1]: Invalid user a from 1.2.3.4\n"
                   "this is not syslog\n"
                   "Dec 10 06:55:46 h sshd[1]: Failed password for root from 999.1.1.1 port 22 "
                   "ssh2\n"
                   "Dec 10 06:55:46 h sshd[1]: Invalid user  from 1.2.3.4 port 22\n"
                   "Dec 10 06:55:46 h sshd[1]: message repeated 5000 times: [ Failed password "
                   "for root from 1.2.3.4 port 22 ssh2]\n"
                   "Dec 10 06:55:46 h sshd[1]: Failed password for root\n"
                   "Dec 10 25:55:46 h sshd[1]: Invalid user a from 1.2.3.4\n"
                   "Dec 10 06:55:46 h sshd[1]: Invalid user \xff from 1.2.3.4\n"
                   "Dec 10 06:55:46\n"
                   "\n"
                   "Dec 10 06:55:47 h sshd[1]: Invalid user z from 1.2.3.4\n",
                   2015, NULL),
        "ok 1 a|2015-12-10T06:55:46.000000Z|1.2.3.4|h/sshd|login|0\n"
        "t.log:2: not a syslog line (RFC 3164 'Mmm dd hh:mm:ss host tag: message'): expected a "
        "month name (Jan to Dec) at the start of the syslog header: 'this is not syslog'\n"
        "t.log:3: source_ip: '999.1.1.1' is not an IPv4 or IPv6 address\n"
        "t.log:4: user_id: the message names no user\n"
        "t.log:5: repeat count of 'message repeated N times' out of range (1 to 1000)\n"
        "t.log:6: source_ip: sshd authentication message without 'from ADDRESS port N'\n"
        "t.log:7: not a syslog line (RFC 3164 'Mmm dd hh:mm:ss host tag: message'): time of "
        "day out of range: 'Dec 10 25:55:46 h sshd[1]: Invalid user a from 1.2.3.4'\n"
        "t.log:8: invalid UTF-8 (byte 0xff at offset 40)\n"
        "t.log:9: not a syslog line (RFC 3164 'Mmm dd hh:mm:ss host tag: message'): expected a "
        "space and a host name after the timestamp: 'Dec 10 06:55:46'\n"
        "ok 11 z|2015-12-10T06:55:47.000000Z|1.2.3.4|h/sshd|login|0\n"
        "eof 0 ignored\n");
}

static void a_host_name_too_long_for_dns_is_cut_at_a_character(void **state)
{
    (void)state;
    char line[512], want[512];
    int k = snprintf(line, sizeof(line),
                     "Dec 10 06:55:46 %0254d\xc3\xa9"
                     "b sshd[1]: Invalid user a "
                     "from 1.2.3.4\n",
                     0);
    assert_true(k > 0 && (size_t)k < sizeof(line));
    snprintf(want, sizeof(want),
             "ok 1 a|2015-12-10T06:55:46.000000Z|1.2.3.4|%0254d/sshd|login|0\n"
             "eof 0 ignored\n",
             0);
    assert_string_equal(transcript(line, 2015, NULL), want);
}

static void bad_options_are_refused(void **state)
{
    (void)state;
    sn_reader *r = (sn_reader *)1;
    sn_error err;
    char msg[512];
    sn_reader_options o = {.timezone = "Europe/Paris"};
    assert_int_equal(sn_reader_open_mem_opts(&r, "x", 1, "t.log", SN_FORMAT_SYSLOG, &o, &err),
                     SN_ERR_USAGE);
    assert_null(r);
    assert_true(err.fatal);
    sn_error_format(&err, msg, sizeof(msg));
    assert_string_equal(msg, "timezone: 'Europe/Paris' is not a fixed offset from UTC such as "
                             "+02:00, -0530 or UTC");
    o = (sn_reader_options){.year = 1969};
    assert_int_equal(sn_reader_options_check(&o, &err), SN_ERR_USAGE);
    assert_int_equal(sn_reader_open_opts(&r, "/nonexistent", SN_FORMAT_AUTO, &o, &err),
                     SN_ERR_USAGE);
    assert_null(r);
    assert_int_equal(sn_reader_options_check(NULL, &err), SN_OK);

    int m = 99;
    assert_true(sn_ingest_parse_utc_offset("UTC", &m) && m == 0);
    assert_true(sn_ingest_parse_utc_offset("z", &m) && m == 0);
    assert_true(sn_ingest_parse_utc_offset("+02:00", &m) && m == 120);
    assert_true(sn_ingest_parse_utc_offset("-0530", &m) && m == -330);
    assert_true(sn_ingest_parse_utc_offset("+1", &m) && m == 60);
    assert_true(sn_ingest_parse_utc_offset("UTC+14:00", &m) && m == 840);
    assert_false(sn_ingest_parse_utc_offset("+14:01", &m));
    assert_false(sn_ingest_parse_utc_offset("+02:0", &m));
    assert_false(sn_ingest_parse_utc_offset("", &m));
    assert_false(sn_ingest_parse_utc_offset("CET", &m));
}

static void the_zone_option_reads_zoneless_timestamps_of_every_format(void **state)
{
    (void)state;
    const char *csv = "user_id,timestamp\nU1,2026-09-04 09:03:24\nU2,2026-09-04T09:03:24Z\n";
    sn_reader_options o = {.timezone = "-05:00"};
    sn_reader *r;
    sn_error err;
    sn_event ev;
    assert_int_equal(
        sn_reader_open_mem_opts(&r, csv, strlen(csv), "t.csv", SN_FORMAT_AUTO, &o, &err), SN_OK);
    assert_int_equal(sn_reader_next(r, &ev, &err), SN_OK);
    assert_int_equal(ev.ts_us, 1788530604000000LL); /* 14:03:24Z */
    assert_int_equal(sn_reader_next(r, &ev, &err), SN_OK);
    assert_int_equal(ev.ts_us, 1788512604000000LL); /* its own zone wins */
    sn_reader_close(r);
}

static void auto_detection_and_forcing(void **state)
{
    (void)state;
    const char *line = "Dec 10 06:55:46 gw1 sshd[24200]: Invalid user a from 1.2.3.4\n";
    sn_reader *r;
    sn_error err;
    sn_format f;
    assert_int_equal(sn_format_from_name("syslog", &f), 0);
    assert_int_equal(f, SN_FORMAT_SYSLOG);
    assert_int_equal(sn_format_from_name("auth.log", &f), 0);
    assert_int_equal(f, SN_FORMAT_SYSLOG);
    assert_string_equal(sn_format_name(SN_FORMAT_SYSLOG), "syslog");
    assert_true(sn_syslog_line_matches(line, strlen(line) - 1));
    assert_true(sn_syslog_line_matches("2026-03-01T10:00:00Z h su: x", 28));
    assert_false(sn_syslog_line_matches("user_id,timestamp", 17));
    assert_false(sn_syslog_line_matches("Dec 10 06:55:46 host no tag here", 32));
    /* a CSV read as syslog: each line is reported, none is taken for an event */
    const char *csv = "user_id,timestamp\nU1,2026-09-04 09:03:24\n";
    assert_int_equal(sn_reader_open_mem(&r, csv, strlen(csv), "t.csv", SN_FORMAT_SYSLOG, &err),
                     SN_OK);
    sn_event ev;
    assert_int_equal(sn_reader_next(r, &ev, &err), SN_ERR_PARSE);
    assert_false(err.fatal);
    assert_int_equal(sn_reader_next(r, &ev, &err), SN_ERR_PARSE);
    assert_int_equal(sn_reader_next(r, &ev, &err), SN_EOF);
    assert_int_equal(sn_reader_get_stats(r)->skipped, 2);
    sn_reader_close(r);
}

/* The loghub line that holds the event, for checking it against the structured parse. */
typedef struct loghub_event {
    long line;
    char user[128];
    char ip[48]; /* "-" when none */
    int success;
} loghub_event;

static char *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)len + 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)len, f), (size_t)len);
    s[len] = '\0';
    fclose(f);
    *n = (size_t)len;
    return s;
}

/* From the loghub template's text: the value after "pre" up to " post" (or the end). */
static void between(const char *s, const char *pre, const char *post, char *out, size_t cap)
{
    const char *p = strstr(s, pre);
    assert_non_null(p);
    p += strlen(pre);
    const char *q = post ? strstr(p, post) : p + strlen(p);
    assert_non_null(q);
    snprintf(out, cap, "%.*s", (int)(q - p), p);
}

static void real_loghub_openssh_log(void **state)
{
    (void)state;
    const char *path = tu_data_path("loghub/OpenSSH_2k.log");
    if (!path) {
        skip();
        return;
    }
    static loghub_event evs[4096];
    size_t nev = 0;
    sn_reader *r;
    sn_error err;
    sn_reader_options o = {.year = 2015};
    assert_int_equal(sn_reader_open_opts(&r, path, SN_FORMAT_AUTO, &o, &err), SN_OK);
    assert_int_equal(sn_reader_format(r), SN_FORMAT_SYSLOG);
    long failures = 0, accepted = 0;
    sn_event ev;
    sn_status st;
    while ((st = sn_reader_next(r, &ev, &err)) != SN_EOF) {
        assert_int_equal(st, SN_OK);
        assert_true(nev < 4096);
        loghub_event *e = &evs[nev++];
        e->line = ev.src_line;
        snprintf(e->user, sizeof(e->user), "%.*s", (int)ev.user_id.n, ev.user_id.p);
        if (ev.ip.family)
            sn_format_ip(&ev.ip, e->ip);
        else
            snprintf(e->ip, sizeof(e->ip), "-");
        e->success = ev.success;
        failures += ev.success == 0;
        accepted += ev.success == 1;
        assert_int_equal(ev.resource.n, 10);
        assert_memory_equal(ev.resource.p, "LabSZ/sshd", 10);
        assert_int_equal(ev.action.n, 5);
    }
    const sn_reader_stats *s = sn_reader_get_stats(r);
    /* 1 accepted password; 518 failed passwords, 4 failed "none", 2 x 5 repeated failures;
     * 113 invalid users; 384 PAM failures that name the user */
    assert_int_equal(s->records, 1030);
    assert_int_equal(failures, 1029);
    assert_int_equal(accepted, 1);
    assert_int_equal(s->skipped, 0);
    assert_int_equal(s->ignored, 978);
    assert_int_equal(s->lines, 2000);
    sn_reader_close(r);
    for (size_t i = 0; i < nev; i++)
        if (evs[i].success == 1) {
            assert_int_equal(evs[i].line, 956);
            assert_string_equal(evs[i].user, "fztu");
            assert_string_equal(evs[i].ip, "119.137.62.142");
        }

    /* Cross-check: every line the loghub team's parse calls an authentication is one event
     * (five for "message repeated 5 times") with the user and address it names; no other
     * line gives one. */
    const char *csv_path = tu_data_path("loghub/OpenSSH_2k.log_structured.csv");
    if (!csv_path)
        return;
    size_t n;
    char *csv = read_all(csv_path, &n);
    size_t at = 0, checked = 0, invalid_users = 0;
    char *save = NULL;
    for (char *row = strtok_r(csv, "\n", &save); row; row = strtok_r(NULL, "\n", &save)) {
        long line = strtol(row, NULL, 10);
        if (line <= 0)
            continue; /* header */
        /* LineId,Date,Day,Time,Component,Pid,Content,EventId,EventTemplate (no quoting) */
        char *content = row;
        for (int c = 0; c < 6; c++)
            content = strchr(content, ',') + 1;
        char *eid = strstr(content, ",E");
        assert_non_null(eid);
        *eid = '\0';
        int id = atoi(eid + 2);
        size_t first = at;
        while (at < nev && evs[at].line == line)
            at++;
        size_t got = at - first;
        char user[128] = "", ip[48] = "-";
        bool auth = true;
        switch (id) {
        case 1:  /* Accepted password for <*> from <*> port <*> ssh2 */
        case 9:  /* Failed password for <*> from <*> port <*> ssh2 */
        case 14: /* message repeated <*> times: [ Failed password for root from <*> port <*>] */
            between(content, "for ", " from ", user, sizeof(user));
            between(content, " from ", " port", ip, sizeof(ip));
            break;
        case 8:  /* Failed none for invalid user <*> from <*> port <*> ssh2 */
        case 10: /* Failed password for invalid user <*> from <*> port <*> ssh2 */
            between(content, "invalid user ", " from ", user, sizeof(user));
            between(content, " from ", " port", ip, sizeof(ip));
            break;
        case 13: /* Invalid user <*> from <*> */
            between(content, "Invalid user ", " from ", user, sizeof(user));
            between(content, " from ", NULL, ip, sizeof(ip));
            invalid_users++;
            break;
        case 20: /* pam_unix(sshd:auth): authentication failure; ... rhost=<*> user=<*> */
            between(content, " user=", NULL, user, sizeof(user));
            between(content, "rhost=", " ", ip, sizeof(ip));
            if (strspn(ip, "0123456789.") != strlen(ip))
                snprintf(ip, sizeof(ip), "-"); /* a host name: no address */
            break;
        default:
            auth = false;
        }
        if (!auth) {
            assert_int_equal(got, 0);
            continue;
        }
        assert_int_equal(got, id == 14 ? 5 : 1);
        for (size_t k = first; k < at; k++) {
            assert_string_equal(evs[k].user, user);
            assert_string_equal(evs[k].ip, ip);
            assert_int_equal(evs[k].success, id == 1 ? 1 : 0);
        }
        checked++;
    }
    assert_int_equal(at, nev); /* every event was matched to a row */
    assert_int_equal(checked, 1022);
    assert_int_equal(invalid_users, 113);
    free(csv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_kind_of_line_gives_its_exact_event),
        cmocka_unit_test(timestamps_in_microseconds),
        cmocka_unit_test(the_same_events_whatever_the_read_sizes),
        cmocka_unit_test(years_follow_the_months_across_a_new_year),
        cmocka_unit_test(the_year_is_inferred_from_the_clock),
        cmocka_unit_test(malformed_lines_are_reported_and_skipped),
        cmocka_unit_test(a_host_name_too_long_for_dns_is_cut_at_a_character),
        cmocka_unit_test(bad_options_are_refused),
        cmocka_unit_test(the_zone_option_reads_zoneless_timestamps_of_every_format),
        cmocka_unit_test(auto_detection_and_forcing),
        cmocka_unit_test(real_loghub_openssh_log),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
