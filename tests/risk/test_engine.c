/* The engine on small hand-made histories: impossible travel is charged to the stranger of the
 * two places, out-of-order events get no travel evidence, verdicts are coherent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "enrich/enrich.h"
#include "ingest/ingest.h"
#include "risk/risk.h"

#include <stdio.h>
#include <string.h>

#define MAX 256

/* Learns from the CSV text, fits, then judges it afresh; verdicts in out (n returned). */
static size_t run(const char *csv, sn_verdict *out)
{
    sn_engine *e = sn_engine_new(NULL);
    assert_non_null(e);
    sn_error err;
    sn_reader *r;
    sn_event ev;
    assert_int_equal(sn_reader_open_mem(&r, csv, strlen(csv), "t.csv", SN_FORMAT_CSV, &err), SN_OK);
    while (sn_reader_next(r, &ev, &err) == SN_OK)
        assert_int_equal(sn_engine_learn(e, &ev, &err), SN_OK);
    sn_reader_close(r);
    assert_int_equal(sn_engine_fit(e, &err), SN_OK);
    sn_engine_reset_history(e);
    assert_int_equal(sn_reader_open_mem(&r, csv, strlen(csv), "t.csv", SN_FORMAT_CSV, &err), SN_OK);
    size_t n = 0;
    while (n < MAX && sn_reader_next(r, &ev, &err) == SN_OK)
        assert_int_equal(sn_engine_analyse(e, &ev, &out[n++], &err), SN_OK);
    sn_reader_close(r);
    sn_engine_free(e);
    return n;
}

static bool has_reason(const sn_verdict *v, const char *signal)
{
    for (int i = 0; i < v->n_reasons; i++)
        if (!strcmp(v->reasons[i].signal, signal))
            return true;
    return false;
}

/* The text of the reason from one signal, or NULL. */
static const char *reason_text(const sn_verdict *v, const char *signal)
{
    for (int i = 0; i < v->n_reasons; i++)
        if (!strcmp(v->reasons[i].signal, signal))
            return v->reasons[i].text;
    return NULL;
}

static void history(sn_buf *b, int days)
{
    sn_buf_puts(b, "user_id,timestamp,source_ip,location,resource,action,success\n");
    for (int d = 0; d < days; d++)
        sn_buf_printf(b,
                      "alice,2026-09-%02dT%02d:15:00Z,10.0.%d.7,\"Toronto, CA\",wiki,read,true\n",
                      d % 28 + 1, 9 + d % 8, d % 4);
}

/* The 28-day history of alice, then the lines of extra: the verdicts into v, their count. */
static size_t run_after_history(const char *extra, sn_verdict *v)
{
    sn_buf b;
    sn_buf_init(&b);
    history(&b, 28);
    sn_buf_puts(&b, extra);
    assert_false(b.failed);
    size_t n = run(b.data, v);
    sn_buf_free(&b);
    return n;
}

/* A hijacked sign-in from Moscow, then the real user at home 30 minutes later: the Moscow event
 * is the alert; the return home is not. */
static void return_leg_is_not_blamed(void **state)
{
    (void)state;
    static sn_verdict v[MAX];
    size_t n =
        run_after_history("alice,2026-09-29T09:00:00Z,5.6.7.8,\"Moscow, RU\",wiki,read,true\n"
                          "alice,2026-09-29T09:30:00Z,10.0.0.7,\"Toronto, CA\",wiki,read,true\n",
                          v);
    assert_int_equal(n, 30);
    assert_true(v[28].is_anomaly);
    assert_true(has_reason(&v[28], "location"));
    assert_false(v[29].is_anomaly);
    assert_false(has_reason(&v[29], "travel"));
}

/* Toronto, then Sydney 40 minutes later: the Sydney event carries the impossible travel. */
static void impossible_travel_is_explained(void **state)
{
    (void)state;
    static sn_verdict v[MAX];
    size_t n =
        run_after_history("alice,2026-09-29T09:00:00Z,10.0.1.7,\"Toronto, CA\",wiki,read,true\n"
                          "alice,2026-09-29T09:40:00Z,10.0.1.7,\"Sydney, AU\",wiki,read,true\n",
                          v);
    assert_int_equal(n, 30);
    assert_true(v[29].is_anomaly);
    assert_true(has_reason(&v[29], "travel"));
    bool found = false;
    for (int i = 0; i < v[29].n_reasons; i++)
        found = found || strstr(v[29].reasons[i].text, "km from the previous event 40 minutes");
    assert_true(found);
}

/* Toronto, then Sydney 9 seconds later: the speed is taken over a minute, so the reason says
 * "less than a minute" and "at least", never "9 seconds" beside a speed made over 60. */
static void travel_within_a_minute_says_at_least(void **state)
{
    (void)state;
    static sn_verdict v[MAX];
    size_t n =
        run_after_history("alice,2026-09-29T09:00:00Z,10.0.1.7,\"Toronto, CA\",wiki,read,true\n"
                          "alice,2026-09-29T09:00:09Z,10.0.1.7,\"Sydney, AU\",wiki,read,true\n",
                          v);
    assert_int_equal(n, 30);
    const char *t = reason_text(&v[29], "travel");
    assert_non_null(t);
    assert_string_equal(t, "15,565 km from the previous event less than a minute earlier (at "
                           "least 933,923 km/h): impossible travel");
}

/* A history shorter than a day is told as such, not as "0 days". */
static void a_history_of_hours_is_less_than_a_day(void **state)
{
    (void)state;
    static sn_verdict v[MAX];
    sn_buf extra;
    sn_buf_init(&extra);
    for (int i = 0; i < 12; i++)
        sn_buf_printf(&extra,
                      "carol,2026-09-10T%02d:00:00Z,10.0.9.7,\"Toronto, CA\",wiki,read,true\n",
                      8 + i % 2);
    sn_buf_puts(&extra,
                "carol,2026-09-10T10:30:00Z,10.0.9.7,\"Toronto, CA\",payroll_db,delete,true\n");
    assert_false(extra.failed);
    size_t n = run_after_history(extra.data, v);
    sn_buf_free(&extra);
    assert_int_equal(n, 41);
    const char *t = reason_text(&v[40], "resource");
    assert_non_null(t);
    assert_string_equal(t, "first access to payroll_db by this user in less than a day of "
                           "history (12 events); no one in the organisation has used it");
}

/* An event older than the one before it gets no travel speed (no negative minutes). */
static void out_of_order_gets_no_travel(void **state)
{
    (void)state;
    static sn_verdict v[MAX];
    size_t n =
        run_after_history("alice,2026-09-29T09:00:00Z,10.0.1.7,\"Toronto, CA\",wiki,read,true\n"
                          "alice,2026-09-29T08:00:00Z,10.0.1.7,\"Sydney, AU\",wiki,read,true\n",
                          v);
    assert_int_equal(n, 30);
    assert_false(has_reason(&v[29], "travel"));
    for (int i = 0; i < v[29].n_reasons; i++)
        assert_null(strstr(v[29].reasons[i].text, " -"));
}

/* Seven accounts failing on one host within a second, with no address in the records (as in
 * Windows 4625 events from a workstation): a password spray against that host. Another
 * account's later success there carries no spray evidence. */
static void spray_without_addresses_is_charged_to_the_host(void **state)
{
    (void)state;
    static sn_verdict v[MAX];
    sn_buf b;
    sn_buf_init(&b);
    sn_buf_puts(&b, "user_id,timestamp,resource,action,success\n");
    for (int d = 0; d < 20; d++)
        sn_buf_printf(&b, "svc%d,2026-09-%02dT09:00:00Z,HOST1,logon,true\n", d % 4, d + 1);
    for (int a = 0; a < 7; a++)
        sn_buf_printf(&b, "victim%d,2026-09-22T09:00:00.%03dZ,HOST1,logon,false\n", a, a * 2);
    sn_buf_puts(&b, "svc1,2026-09-22T09:00:05Z,HOST1,logon,true\n");
    size_t n = run(b.data, v);
    assert_int_equal(n, 28);
    assert_true(v[26].is_anomaly);
    assert_true(has_reason(&v[26], "spray"));
    bool named = false;
    for (int i = 0; i < v[26].n_reasons; i++)
        named = named || strstr(v[26].reasons[i].text, "7 different accounts against HOST1");
    assert_true(named);
    assert_false(has_reason(&v[27], "spray"));
    sn_buf_free(&b);
}

/* One account asking within seconds for tickets to 15 services it never used: enumeration
 * (Kerberoasting), an alert with the count in its reason. */
static void enumeration_of_services_is_flagged(void **state)
{
    (void)state;
    static sn_verdict v[MAX];
    sn_buf b;
    sn_buf_init(&b);
    sn_buf_puts(&b, "user_id,timestamp,source_ip,resource,action,success\n");
    for (int d = 0; d < 20; d++)
        sn_buf_printf(&b, "bob,2026-09-%02dT09:00:00Z,10.1.0.5,fileserver,ticket,true\n", d + 1);
    for (int k = 0; k < 15; k++)
        sn_buf_printf(&b, "bob,2026-09-22T09:00:%02dZ,10.1.0.5,svc%02d,ticket,true\n", k, k);
    size_t n = run(b.data, v);
    assert_int_equal(n, 35);
    assert_true(v[34].is_anomaly);
    assert_true(has_reason(&v[34], "enumeration"));
    assert_false(v[19].is_anomaly);
    sn_buf_free(&b);
}

/* A success right after a run of failures of the same account carries its own reason. */
static void success_after_failures_is_explained(void **state)
{
    (void)state;
    static sn_verdict v[MAX];
    sn_buf b;
    sn_buf_init(&b);
    sn_buf_puts(&b, "user_id,timestamp,source_ip,resource,action,success\n");
    for (int d = 0; d < 20; d++)
        sn_buf_printf(&b, "carol,2026-09-%02dT09:00:00Z,10.2.0.5,vpn,login,true\n", d + 1);
    for (int k = 0; k < 6; k++)
        sn_buf_printf(&b, "carol,2026-09-22T09:00:%02dZ,10.2.0.5,vpn,login,false\n", k);
    sn_buf_puts(&b, "carol,2026-09-22T09:00:30Z,10.2.0.5,vpn,login,true\n");
    size_t n = run(b.data, v);
    assert_int_equal(n, 27);
    assert_true(has_reason(&v[26], "guessed"));
    sn_buf_free(&b);
}

/* The client of the user agent is a baseline of its own: alice and her peer sign in with Chrome
 * on Windows for 28 days, through browser updates. A request from a tool neither ever used is
 * evidence that names it; Chrome's next version is not. */
static void a_new_client_is_named(void **state)
{
    (void)state;
    sn_buf b;
    sn_buf_init(&b);
    sn_buf_puts(&b, "user_id,department,timestamp,source_ip,location,resource,action,success,"
                    "user_agent\n");
    for (int d = 0; d < 28; d++)
        for (int u = 0; u < 2; u++)
            sn_buf_printf(&b,
                          "%s,Engineering,2026-09-%02dT%02d:15:00Z,10.1.0.%d,\"Toronto, CA\",wiki,"
                          "read,true,\"Mozilla/5.0 (Windows NT 10.0; Win64; x64) "
                          "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 "
                          "Safari/537.36\"\n",
                          u ? "bob" : "alice", d + 1, 9 + d % 8, 1 + u, 118 + d / 10);
    sn_buf_puts(&b, "alice,Engineering,2026-09-28T11:40:00Z,10.1.0.1,\"Toronto, CA\",wiki,read,"
                    "true,python-requests/2.31.0\n"
                    "alice,Engineering,2026-09-28T12:40:00Z,10.1.0.1,\"Toronto, CA\",wiki,read,"
                    "true,\"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
                    "like Gecko) Chrome/121.0.0.0 Safari/537.36\"\n");
    assert_false(b.failed);
    static sn_verdict v[MAX];
    size_t n = run(b.data, v);
    sn_buf_free(&b);
    assert_int_equal(n, 58);
    const char *client = reason_text(&v[56], "client");
    assert_non_null(client);
    assert_string_equal(client, "first use of client python-requests by this user (28 earlier "
                                "events from Chrome on Windows); no Engineering peer has used it");
    assert_null(reason_text(&v[57], "client"));
    for (size_t i = 2; i < 56; i++)
        assert_null(reason_text(&v[i], "client"));
}

/* The source's autonomous system is a baseline of its own: alice and her Engineering peer sign
 * in from four networks of one provider (AS13335) for 28 days. A sign-in from a provider neither
 * ever used is evidence named by its number and organisation; one from a fifth network of the
 * same provider is not, and its network reason names the provider. Known answers of the ASN
 * database the build generates; skipped without it. */
static void a_new_autonomous_system_is_named(void **state)
{
    (void)state;
    sn_geoip *g = sn_geoip_open(NULL);
    bool have = g && sn_geoip_has_asn(g);
    sn_geoip_close(g);
    if (!have) {
        fprintf(stderr, "note: no ASN database (%s), skipping\n", sn_geoip_default_paths());
        skip();
    }
    /* four networks of AS13335: the day goes in the third octet, or the fourth of 1.1.1.0/24 */
    static const char *const nets[] = {"1.1.1", "104.16", "172.64", "162.158"};
    sn_buf b;
    sn_buf_init(&b);
    sn_buf_puts(&b, "user_id,department,timestamp,source_ip,location,resource,action,success\n");
    for (int d = 0; d < 28; d++)
        for (int u = 0; u < 2; u++) {
            sn_buf_printf(&b,
                          "%s,Engineering,2026-09-%02dT%02d:15:00Z,%s.%d%s,\"Toronto, CA\",wiki,"
                          "read,true\n",
                          u ? "bob" : "alice", d + 1, 9 + d % 8, nets[d % 4], d + 1,
                          d % 4 ? ".9" : "");
        }
    sn_buf_puts(&b,
                "alice,Engineering,2026-09-28T11:40:00Z,8.8.8.8,\"Toronto, CA\",wiki,read,true\n"
                "alice,Engineering,2026-09-28T12:40:00Z,108.162.192.5,\"Toronto, CA\",wiki,"
                "read,true\n");
    assert_false(b.failed);
    static sn_verdict v[MAX];
    size_t n = run(b.data, v);
    sn_buf_free(&b);
    assert_int_equal(n, 58);
    const char *asn = reason_text(&v[56], "asn");
    assert_non_null(asn);
    assert_string_equal(asn, "first use of AS15169 (Google LLC) by this user (28 earlier events "
                             "from AS13335); no Engineering peer has used it");
    assert_true(v[56].is_anomaly);
    assert_null(reason_text(&v[56], "network")); /* one provider, one network: counted once */
    assert_null(reason_text(&v[57], "asn"));
    const char *net = reason_text(&v[57], "network");
    assert_non_null(net);
    assert_string_equal(net, "first access from network 108.162.0.0/16 in AS13335 (Cloudflare, "
                             "Inc.) by this user; 29 earlier events came from 1.1.0.0/16, "
                             "104.16.0.0/16, 172.64.0.0/16");
    for (size_t i = 0; i < 56; i++)
        assert_null(reason_text(&v[i], "asn"));
}

/* Learns from the text read as fmt with cfg, fits, then judges it afresh (as run does). */
static size_t run_as(const char *text, sn_format fmt, const sn_engine_config *cfg, sn_verdict *out)
{
    sn_engine *e = sn_engine_new(cfg);
    assert_non_null(e);
    sn_error err;
    sn_reader *r;
    sn_event ev;
    assert_int_equal(sn_reader_open_mem(&r, text, strlen(text), "t.json", fmt, &err), SN_OK);
    while (sn_reader_next(r, &ev, &err) == SN_OK)
        assert_int_equal(sn_engine_learn(e, &ev, &err), SN_OK);
    sn_reader_close(r);
    assert_int_equal(sn_engine_fit(e, &err), SN_OK);
    sn_engine_reset_history(e);
    assert_int_equal(sn_reader_open_mem(&r, text, strlen(text), "t.json", fmt, &err), SN_OK);
    size_t n = 0;
    while (n < MAX && sn_reader_next(r, &ev, &err) == SN_OK)
        assert_int_equal(sn_engine_analyse(e, &ev, &out[n++], &err), SN_OK);
    sn_reader_close(r);
    sn_engine_free(e);
    return n;
}

/* One CloudTrail record: a call to the bucket by an identity (a JSON object's members). */
static void trail(sn_buf *b, int day, int hour, const char *recipient, const char *identity)
{
    sn_buf_printf(
        b,
        "{\"eventTime\":\"2024-03-%02dT%02d:10:00Z\",\"eventSource\":\"s3.amazonaws.com\","
        "\"eventName\":\"GetObject\",%s%s%s\"userIdentity\":{%s},"
        "\"requestParameters\":{\"bucketName\":\"reports\"},"
        "\"sourceIPAddress\":\"10.0.0.5\"}\n",
        day, hour, recipient ? "\"recipientAccountId\":\"" : "", recipient ? recipient : "",
        recipient ? "\"," : "", identity);
}

/* A request by an AWS account that is not the organisation's: the organisation's accounts are
 * those whose resources were called (recipientAccountId), those whose own identities call
 * where no recipient is written, and those configured. The first request of a foreign account
 * weighs more than its next ones; the organisation's own users, roles and root are never
 * flagged, and a configured partner account is not. */
static void a_foreign_aws_account_is_named(void **state)
{
    (void)state;
    sn_buf b;
    sn_buf_init(&b);
    for (int d = 1; d <= 12; d++)
        trail(&b, d, 9 + d % 8, "111122223333",
              "\"type\":\"IAMUser\",\"userName\":\"alice\",\"accountId\":\"111122223333\"");
    /* 12: a role session of the organisation's account; 13: its root user; 14: an identity of
     * another account of a trail without recipient, learned as the organisation's */
    trail(&b, 13, 10, "111122223333",
          "\"type\":\"AssumedRole\",\"arn\":\"arn:aws:sts::111122223333:assumed-role/ops/bob\","
          "\"accountId\":\"111122223333\",\"sessionContext\":{\"sessionIssuer\":{\"userName\":"
          "\"ops\"}}");
    trail(&b, 13, 11, "111122223333", "\"type\":\"Root\",\"accountId\":\"111122223333\"");
    trail(&b, 13, 12, NULL,
          "\"type\":\"IAMUser\",\"userName\":\"carol\",\"accountId\":\"555566667777\"");
    /* 15, 16: another account calls in twice; 17: an identity of a third account; 18: an
     * account whose id starts with zeros; 19: carol's account again, now with a recipient */
    trail(&b, 13, 13, "111122223333",
          "\"type\":\"AWSAccount\",\"principalId\":\"AIDAEXAMPLE\",\"accountId\":\"444455556666\"");
    trail(&b, 13, 14, "111122223333",
          "\"type\":\"AWSAccount\",\"principalId\":\"AIDAEXAMPLE\",\"accountId\":\"444455556666\"");
    trail(&b, 13, 15, "111122223333",
          "\"type\":\"IAMUser\",\"userName\":\"mallory\",\"accountId\":\"777788889999\"");
    trail(
        &b, 13, 16, "111122223333",
        "\"type\":\"AWSAccount\",\"principalId\":\"000011112222\",\"accountId\":\"000011112222\"");
    trail(&b, 13, 17, "111122223333",
          "\"type\":\"IAMUser\",\"userName\":\"carol\",\"accountId\":\"555566667777\"");
    assert_false(b.failed);

    static sn_verdict v[MAX];
    sn_engine_config cfg;
    sn_engine_config_default(&cfg);
    size_t n = run_as(b.data, SN_FORMAT_CLOUDTRAIL, &cfg, v);
    assert_int_equal(n, 20);
    for (size_t i = 0; i < 15; i++)
        assert_null(reason_text(&v[i], "foreign_account"));
    assert_null(reason_text(&v[19], "foreign_account"));
    static const char *const expected[4] = {
        "cross-account request for s3.amazonaws.com/reports by AWS account 444455556666, not one "
        "of this organisation's accounts, the first from it",
        "cross-account request for s3.amazonaws.com/reports by AWS account 444455556666, not one "
        "of this organisation's accounts (1 earlier request from it)",
        "cross-account request for s3.amazonaws.com/reports by AWS account 777788889999, not one "
        "of this organisation's accounts, the first from it",
        "cross-account request for s3.amazonaws.com/reports by AWS account 000011112222, not one "
        "of this organisation's accounts, the first from it",
    };
    static const double bits[4] = {12.0, 10.0, 12.0, 12.0};
    for (size_t i = 0; i < 4; i++) {
        const sn_verdict *x = &v[15 + i];
        const char *t = reason_text(x, "foreign_account");
        assert_non_null(t);
        assert_string_equal(t, expected[i]);
        for (int k = 0; k < x->n_reasons; k++)
            if (!strcmp(x->reasons[k].signal, "foreign_account"))
                assert_true(x->reasons[k].bits == bits[i]);
        assert_true(x->is_anomaly);
    }

    /* A partner's account, configured: its requests are the organisation's; the others not. */
    snprintf(cfg.aws_accounts, sizeof(cfg.aws_accounts), "999999999999,444455556666");
    n = run_as(b.data, SN_FORMAT_CLOUDTRAIL, &cfg, v);
    assert_int_equal(n, 20);
    assert_null(reason_text(&v[15], "foreign_account"));
    assert_null(reason_text(&v[16], "foreign_account"));
    assert_non_null(reason_text(&v[17], "foreign_account"));
    assert_non_null(reason_text(&v[18], "foreign_account"));
    sn_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(return_leg_is_not_blamed),
        cmocka_unit_test(impossible_travel_is_explained),
        cmocka_unit_test(travel_within_a_minute_says_at_least),
        cmocka_unit_test(a_history_of_hours_is_less_than_a_day),
        cmocka_unit_test(out_of_order_gets_no_travel),
        cmocka_unit_test(spray_without_addresses_is_charged_to_the_host),
        cmocka_unit_test(enumeration_of_services_is_flagged),
        cmocka_unit_test(success_after_failures_is_explained),
        cmocka_unit_test(a_new_autonomous_system_is_named),
        cmocka_unit_test(a_new_client_is_named),
        cmocka_unit_test(a_foreign_aws_account_is_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
