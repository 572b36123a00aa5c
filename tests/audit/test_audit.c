/* The audit log: exact record layout and MACs, continuing a chain, refusing a damaged tail, what
 * is never recorded, pseudonyms, bounded records, many threads, the verifier naming the first
 * bad record after each kind of damage, and the key file kept beside the log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "audit/audit.h"
#include "core/secret.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static const char KEY[] = "0123456789abcdef0123456789abcdef";  /* 32 bytes */
static const char PKEY[] = "fedcba9876543210fedcba9876543210"; /* 32 bytes */
static char path[64];

static int64_t fixed_now(void)
{
    return 1764756000000000LL; /* 2025-12-03T10:00:00Z */
}

static void fresh_path(void)
{
    snprintf(path, sizeof(path), "/tmp/sn-audit-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path);
}

static sn_audit *open_log(bool pseudonyms, int fsync_ms)
{
    sn_audit_options o = {.path = path,
                          .key = (const unsigned char *)KEY,
                          .key_len = 32,
                          .pseudonym_key = pseudonyms ? (const unsigned char *)PKEY : NULL,
                          .pseudonym_key_len = pseudonyms ? 32 : 0,
                          .fsync_ms = fsync_ms,
                          .now_us = fixed_now};
    sn_audit *a = NULL;
    sn_error err;
    sn_status st = sn_audit_open(&a, &o, &err);
    if (st != SN_OK)
        fail_msg("open: %s", err.msg);
    return a;
}

static void put(sn_audit *a, const char *route, int status)
{
    sn_audit_field f[] = {SN_AUDIT_S("route", route), SN_AUDIT_I("status", status)};
    sn_audit_rec r = {"api_call", NULL, "127.0.0.1", f, 2};
    sn_error err;
    assert_int_equal(sn_audit_record(a, &r, &err), SN_OK);
}

/* The whole file; caller frees. */
static char *slurp(size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(1 << 22);
    assert_non_null(buf);
    *n = fread(buf, 1, (1 << 22) - 1, f);
    buf[*n] = '\0';
    fclose(f);
    return buf;
}

static void spit(const char *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
}

/* Start of line i (from 1) in s. */
static char *line_at(char *s, int i)
{
    for (int k = 1; k < i; k++) {
        s = strchr(s, '\n');
        assert_non_null(s);
        s++;
    }
    return s;
}

static void verify(char *out, size_t cap, bool *intact)
{
    sn_audit_verifier v;
    sn_error err;
    assert_int_equal(sn_audit_verifier_init(&v, (const unsigned char *)KEY, 32, &err), SN_OK);
    assert_int_equal(sn_audit_verify_file(path, &v, &err), SN_OK);
    sn_audit_verifier_describe(&v, out, cap);
    *intact = v.fault == SN_AUDIT_FAULT_NONE;
}

static void writes_exact_records_chained_from_the_genesis(void **state)
{
    (void)state;
    fresh_path();
    sn_audit *a = open_log(false, 0);
    put(a, "/health", 200);
    put(a, "/api/v1/anomalies", 422);
    assert_int_equal(sn_audit_records(a), 2);
    sn_audit_close(a);

    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    char genesis[65], mac1[65], mac2[65], expect[1024];
    assert_int_equal(
        sn_hmac_hex((const unsigned char *)KEY, 32, "sentinel audit log v1 genesis", 29, genesis),
        SN_OK);
    int n = snprintf(expect, sizeof(expect),
                     "{\"seq\":1,\"time\":\"2025-12-03T10:00:00.000000Z\",\"kind\":\"api_call\","
                     "\"actor\":\"anonymous\",\"source\":\"127.0.0.1\",\"details\":{\"route\":"
                     "\"/health\",\"status\":200},\"prev\":\"%s\"}",
                     genesis);
    assert_int_equal(sn_hmac_hex((const unsigned char *)KEY, 32, expect, (size_t)n, mac1), SN_OK);
    size_t len;
    char *text = slurp(&len);
    char *l2 = line_at(text, 2);
    /* The line is the signed bytes with the mac member in place of the closing brace. */
    assert_int_equal(memcmp(text, expect, (size_t)n - 1), 0);
    char tail[128];
    snprintf(tail, sizeof(tail), ",\"mac\":\"%s\"}\n", mac1);
    assert_int_equal(memcmp(text + n - 1, tail, strlen(tail)), 0);
    assert_ptr_equal(l2, text + n - 1 + strlen(tail));

    n = snprintf(expect, sizeof(expect),
                 "{\"seq\":2,\"time\":\"2025-12-03T10:00:00.000000Z\",\"kind\":\"api_call\","
                 "\"actor\":\"anonymous\",\"source\":\"127.0.0.1\",\"details\":{\"route\":"
                 "\"/api/v1/anomalies\",\"status\":422},\"prev\":\"%s\"}",
                 mac1);
    assert_int_equal(sn_hmac_hex((const unsigned char *)KEY, 32, expect, (size_t)n, mac2), SN_OK);
    assert_int_equal(memcmp(l2, expect, (size_t)n - 1), 0);
    snprintf(tail, sizeof(tail), ",\"mac\":\"%s\"}\n", mac2);
    assert_string_equal(l2 + n - 1, tail);
    free(text);
    unlink(path);
}

static void reopening_continues_the_chain(void **state)
{
    (void)state;
    fresh_path();
    sn_audit *a = open_log(false, 0);
    put(a, "/health", 200);
    put(a, "/health", 200);
    sn_audit_close(a);
    a = open_log(false, 50); /* and with the fdatasync thread */
    put(a, "/metrics", 200);
    sn_audit_close(a);
    a = open_log(false, 0);
    put(a, "/metrics", 200);
    sn_audit_close(a);
    char msg[512];
    bool ok;
    verify(msg, sizeof(msg), &ok);
    assert_true(ok);
    assert_string_equal(msg, "4 records, chain intact");
    size_t len;
    char *text = slurp(&len);
    assert_non_null(strstr(line_at(text, 4), "{\"seq\":4,"));
    free(text);
    unlink(path);
}

static sn_status try_open(char *msg, size_t cap)
{
    sn_audit_options o = {.path = path, .key = (const unsigned char *)KEY, .key_len = 32};
    sn_audit *a = NULL;
    sn_error err;
    sn_status st = sn_audit_open(&a, &o, &err);
    sn_error_format(&err, msg, cap);
    sn_audit_close(a);
    return st;
}

/* A fresh log of three records; its text (caller frees) and length. */
static char *three_records(size_t *len)
{
    fresh_path();
    sn_audit *a = open_log(false, 0);
    for (int i = 0; i < 3; i++)
        put(a, "/health", 200);
    sn_audit_close(a);
    return slurp(len);
}

static void refuses_to_continue_a_damaged_tail(void **state)
{
    (void)state;
    size_t len;
    char *text = three_records(&len);
    char msg[1024];
    char want[1024];

    /* One byte of the last record changed. */
    char *l3 = line_at(text, 3);
    char *digit = strstr(l3, "200");
    digit[0] = '5';
    spit(text, len);
    assert_int_equal(try_open(msg, sizeof(msg)), SN_ERR_CRYPTO);
    snprintf(want, sizeof(want),
             "%s: cannot continue the audit log: its last record fails verification: mac "
             "mismatch: the record was changed after it was written (or the key is not this "
             "log's); check it with `sentinel audit verify --log FILE`, and move it aside to "
             "start a new log",
             path);
    assert_string_equal(msg, want);
    digit[0] = '2';

    /* The record before the last removed: the last no longer links to its predecessor. */
    char *l2 = line_at(text, 2);
    char removed[8192];
    size_t head = (size_t)(l2 - text), l2len = (size_t)(l3 - l2);
    memcpy(removed, text, head);
    memcpy(removed + head, l3, len - head - l2len);
    spit(removed, len - l2len);
    assert_int_equal(try_open(msg, sizeof(msg)), SN_ERR_CRYPTO);
    assert_non_null(strstr(msg, "its last record fails verification: chain broken: its prev is "
                                "not the mac of the record before it"));

    /* Ends in more bytes without a newline than any record has: not a crash's leftover. */
    char *junk = malloc(len + SN_AUDIT_MAX_RECORD + 2);
    assert_non_null(junk);
    memcpy(junk, text, len);
    memset(junk + len, 'x', SN_AUDIT_MAX_RECORD + 1);
    spit(junk, len + SN_AUDIT_MAX_RECORD + 1);
    free(junk);
    assert_int_equal(try_open(msg, sizeof(msg)), SN_ERR_PARSE);
    snprintf(want, sizeof(want),
             "%s: cannot continue the audit log: it ends in over 16384 bytes without a newline, "
             "longer than any record; check it with `sentinel audit verify --log FILE`, and move "
             "it aside to start a new log",
             path);
    assert_string_equal(msg, want);

    /* Intact again: it opens and continues. */
    spit(text, len);
    assert_int_equal(try_open(msg, sizeof(msg)), SN_OK);
    free(text);
    unlink(path);
}

/* A crash in the middle of a write leaves the last record unfinished: the log is continued, the
 * fragment cut off and the cut recorded in the chain. */
static void cuts_off_a_record_a_crash_left_unfinished(void **state)
{
    (void)state;
    size_t len;
    char *text = three_records(&len);
    char *l3 = line_at(text, 3);
    size_t whole = (size_t)(l3 - text), fragment = len - whole - 10;
    char sha[65];
    assert_true(sn_sha256_hex(l3, fragment, sha));
    spit(text, len - 10); /* the third record without its last 10 bytes (newline included) */

    sn_audit *a = open_log(false, 0);
    assert_int_equal(sn_audit_recovered_bytes(a), fragment);
    put(a, "/metrics", 200);
    sn_audit_close(a);
    char msg[512];
    bool ok;
    verify(msg, sizeof(msg), &ok);
    assert_true(ok);
    assert_string_equal(msg, "4 records, chain intact");
    size_t len2;
    char *text2 = slurp(&len2);
    assert_memory_equal(text2, text, whole);
    char want[512];
    snprintf(want, sizeof(want),
             "{\"seq\":3,\"time\":\"2025-12-03T10:00:00.000000Z\",\"kind\":\"audit_recovered\","
             "\"actor\":\"sentinel\",\"source\":null,\"details\":{\"cut_bytes\":%zu,"
             "\"cut_sha256\":\"%s\",\"after_seq\":2},\"prev\":",
             fragment, sha);
    assert_memory_equal(text2 + whole, want, strlen(want));
    assert_non_null(strstr(line_at(text2, 4), "{\"seq\":4,"));
    assert_non_null(strstr(line_at(text2, 4), "/metrics"));
    free(text2);

    /* The only record cut short: the chain starts again from the genesis, after the cut. */
    spit(text, 40);
    a = open_log(false, 0);
    assert_int_equal(sn_audit_recovered_bytes(a), 40);
    sn_audit_close(a);
    verify(msg, sizeof(msg), &ok);
    assert_true(ok);
    assert_string_equal(msg, "1 records, chain intact");
    text2 = slurp(&len2);
    assert_non_null(strstr(text2, "\"cut_bytes\":40,"));
    assert_non_null(strstr(text2, "\"after_seq\":0}"));
    free(text2);

    /* An intact log: nothing cut. */
    spit(text, len);
    a = open_log(false, 0);
    assert_int_equal(sn_audit_recovered_bytes(a), 0);
    sn_audit_close(a);
    free(text);
    unlink(path);
}

static void refuses_short_keys_and_a_second_writer(void **state)
{
    (void)state;
    fresh_path();
    sn_audit_options o = {.path = path, .key = (const unsigned char *)"short", .key_len = 5};
    sn_audit *a = NULL, *b = NULL;
    sn_error err;
    assert_int_equal(sn_audit_open(&a, &o, &err), SN_ERR_SECRET);
    assert_null(a);
    assert_string_equal(err.msg, "the audit key must be 32-256 bytes (for example the 64 "
                                 "characters `openssl rand -hex 32` prints)");
    a = open_log(false, 0);
    o.key = (const unsigned char *)KEY;
    o.key_len = 32;
    assert_int_equal(sn_audit_open(&b, &o, &err), SN_ERR_IO);
    assert_string_equal(err.msg, "the audit log is open for writing in another process");
    sn_audit_close(a);
    unlink(path);
}

static void never_records_secrets(void **state)
{
    (void)state;
    assert_true(sn_audit_name_denied("password"));
    assert_true(sn_audit_name_denied("new_password"));
    assert_true(sn_audit_name_denied("Authorization"));
    assert_true(sn_audit_name_denied("X-Api-Key"));
    assert_true(sn_audit_name_denied("access_token"));
    assert_true(sn_audit_name_denied("client_secret"));
    assert_true(sn_audit_name_denied("key"));
    assert_true(sn_audit_name_denied("hmac_key"));
    assert_true(sn_audit_name_denied("cookie"));
    assert_false(sn_audit_name_denied("key_id"));
    assert_false(sn_audit_name_denied("route"));
    assert_false(sn_audit_name_denied("user"));

    fresh_path();
    sn_audit *a = open_log(false, 0);
    sn_audit_field f[] = {
        SN_AUDIT_S("key_id", "ops-1"),
        SN_AUDIT_S("password", "hunter2-pw"),
        SN_AUDIT_S("api_key", "sk_live_abcdef"),
        SN_AUDIT_S("Authorization", "Bearer eyJhbGciOi.payload.sig"),
        SN_AUDIT_S("client_secret", "cs-123456"),
        SN_AUDIT_S("access_token", "tok-987654"),
        SN_AUDIT_S("key", "0011223344556677"),
        SN_AUDIT_S("note", "Bearer eyJhbGciOi.other.sig"),
        SN_AUDIT_B("ok", true),
    };
    sn_audit_rec r = {"key_change", "Basic dXNlcjpwYXNz", NULL, f, 9};
    sn_error err;
    assert_int_equal(sn_audit_record(a, &r, &err), SN_OK);
    assert_int_equal(sn_audit_auth(a, "ops-1", "203.0.113.9", false, "unknown key"), SN_OK);
    sn_audit_close(a);
    size_t len;
    char *text = slurp(&len);
    static const char *const secrets[] = {"hunter2",     "sk_live",    "eyJhbGciOi",
                                          "cs-123456",   "tok-987654", "0011223344556677",
                                          "dXNlcjpwYXNz"};
    for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
        assert_null(strstr(text, secrets[i]));
    assert_non_null(strstr(text, "\"kind\":\"key_change\",\"actor\":\"redacted\",\"source\":null,"
                                 "\"details\":{\"key_id\":\"ops-1\",\"ok\":true,\"redacted\":["
                                 "\"password\",\"api_key\",\"Authorization\",\"client_secret\","
                                 "\"access_token\",\"key\",\"note\"]},\"prev\":"));
    assert_non_null(strstr(line_at(text, 2),
                           "\"kind\":\"auth\",\"actor\":\"ops-1\",\"source\":\"203.0.113.9\","
                           "\"details\":{\"outcome\":\"failure\",\"reason\":\"unknown key\"}"));
    free(text);
    unlink(path);
}

static void pseudonymises_personal_values(void **state)
{
    (void)state;
    fresh_path();
    sn_audit *a = open_log(true, 0);
    sn_audit_field f[] = {SN_AUDIT_P("user", "U0090"), SN_AUDIT_S("event_id", "E1")};
    sn_audit_rec r = {"prediction", "svc-1", "198.51.100.7", f, 2};
    sn_error err;
    assert_int_equal(sn_audit_record(a, &r, &err), SN_OK);
    char user[67], src[67], p[67];
    assert_true(sn_audit_pseudonym(a, "U0090", 5, p));
    sn_audit_close(a);
    char hex[65];
    assert_int_equal(sn_hmac_hex((const unsigned char *)PKEY, 32, "U0090", 5, hex), SN_OK);
    snprintf(user, sizeof(user), "p:%s", hex);
    assert_string_equal(p, user);
    assert_int_equal(sn_hmac_hex((const unsigned char *)PKEY, 32, "198.51.100.7", 12, hex), SN_OK);
    snprintf(src, sizeof(src), "p:%s", hex);
    size_t len;
    char *text = slurp(&len);
    char want[512];
    snprintf(want, sizeof(want),
             "\"actor\":\"svc-1\",\"source\":\"%s\",\"details\":{\"user\":\"%s\",\"event_id\":"
             "\"E1\"}",
             src, user);
    assert_non_null(strstr(text, want));
    assert_null(strstr(text, "U0090"));
    assert_null(strstr(text, "198.51.100.7"));
    free(text);
    unlink(path);
}

static void bounds_every_record(void **state)
{
    (void)state;
    fresh_path();
    sn_audit *a = open_log(false, 0);
    char *big = malloc(100001);
    assert_non_null(big);
    memset(big, 'x', 100000);
    big[100000] = '\0';
    big[3] = (char)0xff; /* invalid UTF-8 becomes U+FFFD */
    sn_audit_field f[40];
    char names[40][8];
    for (int i = 0; i < 40; i++) {
        snprintf(names[i], sizeof(names[i]), "f%d", i);
        f[i] = SN_AUDIT_S(names[i], big);
    }
    sn_audit_rec r = {"config_change", big, NULL, f, 40};
    sn_error err;
    assert_int_equal(sn_audit_record(a, &r, &err), SN_OK);
    sn_audit_rec bad = {"Config", NULL, NULL, NULL, 0};
    assert_int_equal(sn_audit_record(a, &bad, &err), SN_ERR_USAGE);
    sn_audit_field badf[] = {SN_AUDIT_I("Status Code", 1)};
    sn_audit_rec bad2 = {"api_call", NULL, NULL, badf, 1};
    assert_int_equal(sn_audit_record(a, &bad2, &err), SN_ERR_USAGE);
    sn_audit_close(a);
    free(big);
    size_t len;
    char *text = slurp(&len);
    char *nl = strchr(text, '\n');
    assert_non_null(nl);
    assert_ptr_equal(nl + 1, text + len); /* the two bad records wrote nothing */
    assert_true(len <= SN_AUDIT_MAX_RECORD);
    assert_non_null(strstr(text, "\"f0\":\"xxx\xef\xbf\xbdxxxx"));
    assert_non_null(strstr(text, ",\"truncated\":true},\"prev\":"));
    assert_null(strstr(text, "\"f39\""));
    /* 512 bytes at most per value: 511 of the 512 are x (one is the 3-byte U+FFFD). */
    char *v0 = strstr(text, "\"f0\":\"") + 6;
    assert_int_equal(strchr(v0, '"') - v0, 512);
    char msg[256];
    bool ok;
    verify(msg, sizeof(msg), &ok);
    assert_string_equal(msg, "1 records, chain intact");
    free(text);
    unlink(path);
}

static sn_audit *shared;

static void *writer(void *arg)
{
    (void)arg;
    for (int i = 0; i < 250; i++) {
        if (i % 50 == 0) {
            sn_audit_field f[] = {SN_AUDIT_I("i", i)};
            sn_audit_rec recs[3] = {{"prediction", NULL, NULL, f, 1},
                                    {"prediction", NULL, NULL, f, 1},
                                    {"prediction", NULL, NULL, f, 1}};
            sn_error err;
            sn_audit_record_many(shared, recs, 3, &err);
        } else {
            put(shared, "/api/v1/analyze/access", 200);
        }
    }
    return NULL;
}

static void many_threads_make_one_chain(void **state)
{
    (void)state;
    fresh_path();
    shared = open_log(false, 20);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, writer, NULL), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    /* Per thread: 245 single records and 5 batches of 3. */
    assert_int_equal(sn_audit_records(shared), 4 * (245 + 15));
    assert_int_equal(sn_audit_failures(shared), 0);
    sn_audit_close(shared);
    char msg[256];
    bool ok;
    verify(msg, sizeof(msg), &ok);
    assert_true(ok);
    assert_string_equal(msg, "1040 records, chain intact");
    unlink(path);
}

/* A log of five records, then damage, then what the verifier says. */
static char *five(size_t *len)
{
    fresh_path();
    sn_audit *a = open_log(false, 0);
    for (int i = 0; i < 5; i++)
        put(a, "/health", 200 + i);
    sn_audit_close(a);
    return slurp(len);
}

static void verifier_names_the_first_bad_record(void **state)
{
    (void)state;
    size_t len;
    char *text = five(&len);
    char msg[512];
    bool ok;
    verify(msg, sizeof(msg), &ok);
    assert_true(ok);
    assert_string_equal(msg, "5 records, chain intact");

    /* (a) one byte changed in record 3. */
    char *copy = malloc(len + 1);
    memcpy(copy, text, len + 1);
    char *l3 = line_at(copy, 3);
    strstr(l3, "202")[2] = '9';
    spit(copy, len);
    verify(msg, sizeof(msg), &ok);
    assert_false(ok);
    assert_string_equal(msg, "line 3 (seq 3): mac mismatch: the record was changed after it was "
                             "written (or the key is not this log's)");

    /* (b) record 3 removed. */
    l3 = line_at(text, 3);
    char *l4 = line_at(text, 4);
    size_t head = (size_t)(l3 - text), cut = (size_t)(l4 - l3);
    memcpy(copy, text, head);
    memcpy(copy + head, l4, len - head - cut);
    spit(copy, len - cut);
    verify(msg, sizeof(msg), &ok);
    assert_string_equal(msg, "line 3 (seq 4): chain broken: its prev is not the mac of the "
                             "record before it (line 2, seq 2): a record was removed or "
                             "reordered");

    /* (c) records 2 and 3 swapped. */
    char *l2 = line_at(text, 2);
    size_t a2 = (size_t)(l2 - text), n2 = (size_t)(l3 - l2), n3 = (size_t)(l4 - l3);
    memcpy(copy, text, len);
    memcpy(copy + a2, l3, n3);
    memcpy(copy + a2 + n3, l2, n2);
    spit(copy, len);
    verify(msg, sizeof(msg), &ok);
    assert_string_equal(msg, "line 2 (seq 3): chain broken: its prev is not the mac of the "
                             "record before it (line 1, seq 1): a record was removed or "
                             "reordered");

    /* (d) the last record cut short. */
    spit(text, len - 20);
    verify(msg, sizeof(msg), &ok);
    assert_string_equal(msg, "line 5 (seq 5): record cut short: the file ends inside it (no "
                             "newline)");

    /* The first record removed. */
    spit(l2, len - (size_t)(l2 - text));
    verify(msg, sizeof(msg), &ok);
    assert_string_equal(msg, "line 1 (seq 2): chain broken: the first record does not start the "
                             "chain (records before it were removed, or it was moved here)");

    /* Not JSON. */
    memcpy(copy, text, len);
    l3 = line_at(copy, 3);
    l3[0] = '[';
    spit(copy, len);
    verify(msg, sizeof(msg), &ok);
    assert_string_equal(msg, "line 3: malformed JSON: ']' expected near ':' (column 7)");

    /* A blank line. */
    memcpy(copy, text, len);
    spit(copy, (size_t)(line_at(copy, 2) - copy));
    FILE *f = fopen(path, "ab");
    fputs("\n", f);
    fclose(f);
    verify(msg, sizeof(msg), &ok);
    assert_string_equal(msg, "line 2: malformed record: empty line");

    /* Another key. */
    spit(text, len);
    sn_audit_verifier v;
    sn_error err;
    assert_int_equal(sn_audit_verifier_init(&v, (const unsigned char *)PKEY, 32, &err), SN_OK);
    assert_int_equal(sn_audit_verify_file(path, &v, &err), SN_OK);
    sn_audit_verifier_describe(&v, msg, sizeof(msg));
    assert_string_equal(msg, "line 1 (seq 1): mac mismatch: the record was changed after it was "
                             "written (or the key is not this log's)");
    free(copy);
    free(text);
    unlink(path);
}

static void verifier_refuses_long_lines_without_holding_them(void **state)
{
    (void)state;
    fresh_path();
    char *big = malloc(1 << 20);
    assert_non_null(big);
    memset(big, 'a', 1 << 20);
    spit(big, 1 << 20);
    free(big);
    char msg[256];
    bool ok;
    verify(msg, sizeof(msg), &ok);
    assert_string_equal(msg, "line 1: malformed record: longer than 16383 bytes");
    spit("", 0);
    verify(msg, sizeof(msg), &ok);
    assert_true(ok);
    assert_string_equal(msg, "0 records, chain intact");
    unlink(path);
}

static void a_failed_write_leaves_only_whole_records(void **state)
{
    (void)state;
    fresh_path();
    sn_audit *a = open_log(false, 0);
    put(a, "/health", 200);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    /* The file may grow by 100 bytes only: the next record is written in part, then refused. */
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = (rlim_t)st.st_size + 100;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    sn_audit_field f[] = {SN_AUDIT_S("route", "/metrics")};
    sn_audit_rec r = {"api_call", NULL, NULL, f, 1};
    sn_error err;
    sn_status got = sn_audit_record(a, &r, &err);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    assert_int_equal(got, SN_ERR_IO);
    assert_string_equal(err.msg, "cannot write: File too large");
    struct stat after;
    assert_int_equal(stat(path, &after), 0);
    assert_int_equal(after.st_size, st.st_size);
    assert_int_equal(sn_audit_records(a), 1);
    assert_int_equal(sn_audit_failures(a), 1);
    /* The chain goes on from the last whole record. */
    put(a, "/health", 200);
    sn_audit_close(a);
    char msg[256];
    bool ok;
    verify(msg, sizeof(msg), &ok);
    assert_string_equal(msg, "2 records, chain intact");
    unlink(path);
}

/* ---- The key beside the log ---------------------------------------------------------------- */

static void the_key_file_is_beside_the_log(void **state)
{
    (void)state;
    char out[64];
    assert_true(sn_audit_key_path("/var/lib/sentinel/audit.jsonl", out, sizeof(out)));
    assert_string_equal(out, "/var/lib/sentinel/audit.key");
    assert_true(sn_audit_key_path("audit.jsonl", out, sizeof(out)));
    assert_string_equal(out, "audit.key");
    assert_true(sn_audit_key_path("/var/log/sentinel.log", out, sizeof(out)));
    assert_string_equal(out, "/var/log/sentinel.log.key");
    /* Never the log itself, never a name that is only an extension. */
    assert_true(sn_audit_key_path("/var/log/a.key", out, sizeof(out)));
    assert_string_equal(out, "/var/log/a.key.key");
    assert_true(sn_audit_key_path("/var/log/.jsonl", out, sizeof(out)));
    assert_string_equal(out, "/var/log/.jsonl.key");
    assert_true(sn_audit_key_path("d.jsonl/log", out, sizeof(out)));
    assert_string_equal(out, "d.jsonl/log.key");
    /* Too long for the room given. */
    assert_false(sn_audit_key_path("/var/lib/sentinel/audit.jsonl", out, 27));
    assert_true(sn_audit_key_path("/var/lib/sentinel/audit.jsonl", out, 28));
}

/* A new directory under /tmp and, in it, the key file's path. */
static void key_dir(char *dir, size_t dir_cap, char *key, size_t key_cap)
{
    snprintf(dir, dir_cap, "/tmp/sn-audit-key-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(key, key_cap, "%s/audit.key", dir);
}

static void write_file(const char *p, const char *text, mode_t mode)
{
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(p, mode), 0);
}

static void a_missing_key_is_made_owner_only_and_kept(void **state)
{
    (void)state;
    char dir[64], key[96], msg[512], want[512];
    key_dir(dir, sizeof(dir), key, sizeof(key));
    sn_secret k1, k2;
    bool created = false;
    sn_error err;
    /* Not to be made: a missing file is an error naming it. */
    assert_int_equal(sn_audit_key_load_or_create(key, false, &k1, &created, &err), SN_ERR_SECRET);
    sn_error_format(&err, msg, sizeof(msg));
    snprintf(want, sizeof(want), "%s: cannot open the audit key file: No such file or directory",
             key);
    assert_string_equal(msg, want);
    assert_false(created);
    /* Umask or not, the file is made 0600. */
    mode_t old = umask(0);
    assert_int_equal(sn_audit_key_load_or_create(key, true, &k1, &created, &err), SN_OK);
    umask(old);
    assert_true(created);
    struct stat st;
    assert_int_equal(lstat(key, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(st.st_size, 65);
    char text[80] = {0};
    FILE *f = fopen(key, "rb");
    assert_non_null(f);
    assert_int_equal(fread(text, 1, sizeof(text), f), 65);
    fclose(f);
    assert_int_equal(text[64], '\n');
    assert_int_equal(strspn(text, "0123456789abcdef"), 64);
    /* The key is the 64 digits, as SENTINEL_AUDIT_KEY or --key-file would give them. */
    assert_int_equal(k1.len, 64);
    assert_memory_equal(k1.data, text, 64);
    /* Read again, never made again; no temporary file left beside it. */
    assert_int_equal(sn_audit_key_load_or_create(key, true, &k2, &created, &err), SN_OK);
    assert_false(created);
    assert_int_equal(k2.len, 64);
    assert_memory_equal(k1.data, k2.data, 64);
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "test $(ls -A '%s' | wc -l) -eq 1", dir);
    assert_int_equal(system(cmd), 0);
    /* Two makes of a key are two different keys. */
    sn_secret k3;
    assert_int_equal(unlink(key), 0);
    assert_int_equal(sn_audit_key_load_or_create(key, true, &k3, &created, &err), SN_OK);
    assert_true(created);
    assert_memory_not_equal(k1.data, k3.data, 64);
    sn_secret_free(&k1);
    sn_secret_free(&k2);
    sn_secret_free(&k3);
    /* A key written by hand the same way (`openssl rand -hex 32 > audit.key`) is taken. */
    write_file(key, "00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff\n", 0600);
    assert_int_equal(sn_audit_key_load_or_create(key, true, &k1, &created, &err), SN_OK);
    assert_false(created);
    assert_memory_equal(k1.data, "00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff",
                        64);
    sn_secret_free(&k1);
    unlink(key);
    rmdir(dir);
}

static void an_unsafe_or_wrong_key_file_is_refused(void **state)
{
    (void)state;
    char dir[64], key[96], msg[512], want[512];
    key_dir(dir, sizeof(dir), key, sizeof(key));
    static const char good[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n";
    sn_secret k;
    bool created;
    sn_error err;
    struct {
        const char *content;
        mode_t mode;
        const char *why;
    } cases[] = {
        {good, 0644,
         "the audit key file may be read or changed by other users (mode 0644): make it "
         "readable by its owner only (chmod 600)"},
        {good, 0620,
         "the audit key file may be read or changed by other users (mode 0620): make it "
         "readable by its owner only (chmod 600)"},
        {"0123456789abcdef0123456789abcdef\n", 0600,
         "the audit key file holds 33 bytes, not 64 hexadecimal digits and a newline (65 "
         "bytes, as written at the first start)"},
        {"", 0600,
         "the audit key file holds 0 bytes, not 64 hexadecimal digits and a newline (65 bytes, "
         "as written at the first start)"},
        {"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg\n", 0600,
         "the audit key file is not 64 hexadecimal digits and a newline (as written at the "
         "first start)"},
        {"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef ", 0600,
         "the audit key file is not 64 hexadecimal digits and a newline (as written at the "
         "first start)"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        write_file(key, cases[i].content, cases[i].mode);
        /* may_create changes nothing: a file that is there is never replaced. */
        assert_int_equal(sn_audit_key_load_or_create(key, true, &k, &created, &err), SN_ERR_SECRET);
        assert_false(created);
        assert_null(k.data);
        sn_error_format(&err, msg, sizeof(msg));
        snprintf(want, sizeof(want), "%s: %s", key, cases[i].why);
        assert_string_equal(msg, want);
        assert_int_equal(unlink(key), 0);
    }
    /* Not followed through a symbolic link, not read from a directory. */
    assert_int_equal(symlink("/etc/hostname", key), 0);
    assert_int_equal(sn_audit_key_load_or_create(key, true, &k, &created, &err), SN_ERR_SECRET);
    sn_error_format(&err, msg, sizeof(msg));
    snprintf(want, sizeof(want),
             "%s: cannot open the audit key file: Too many levels of symbolic links", key);
    assert_string_equal(msg, want);
    assert_int_equal(unlink(key), 0);
    assert_int_equal(mkdir(key, 0700), 0);
    assert_int_equal(sn_audit_key_read(key, &k, &err), SN_ERR_SECRET);
    assert_string_equal(err.msg, "the audit key file is not a regular file");
    assert_int_equal(rmdir(key), 0);
    /* A directory that cannot hold it: made nowhere else. */
    char nowhere[128];
    snprintf(nowhere, sizeof(nowhere), "%s/gone/audit.key", dir);
    assert_int_equal(sn_audit_key_load_or_create(nowhere, true, &k, &created, &err), SN_ERR_IO);
    sn_error_format(&err, msg, sizeof(msg));
    snprintf(want, sizeof(want), "%s: cannot create the audit key file: No such file or directory",
             nowhere);
    assert_string_equal(msg, want);
    assert_int_equal(rmdir(dir), 0);
}

static void a_key_file_of_another_user_is_refused(void **state)
{
    (void)state;
    if (geteuid() != 0)
        skip(); /* giving a file to another user takes root */
    char dir[64], key[96], msg[512], want[512];
    key_dir(dir, sizeof(dir), key, sizeof(key));
    write_file(key, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n", 0600);
    assert_int_equal(chown(key, 65534, (gid_t)-1), 0);
    sn_secret k;
    sn_error err;
    assert_int_equal(sn_audit_key_read(key, &k, &err), SN_ERR_SECRET);
    sn_error_format(&err, msg, sizeof(msg));
    snprintf(want, sizeof(want),
             "%s: the audit key file belongs to another user (uid 65534), not to the one "
             "running this (uid 0)",
             key);
    assert_string_equal(msg, want);
    unlink(key);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(writes_exact_records_chained_from_the_genesis),
        cmocka_unit_test(reopening_continues_the_chain),
        cmocka_unit_test(refuses_to_continue_a_damaged_tail),
        cmocka_unit_test(cuts_off_a_record_a_crash_left_unfinished),
        cmocka_unit_test(refuses_short_keys_and_a_second_writer),
        cmocka_unit_test(never_records_secrets),
        cmocka_unit_test(pseudonymises_personal_values),
        cmocka_unit_test(bounds_every_record),
        cmocka_unit_test(many_threads_make_one_chain),
        cmocka_unit_test(verifier_names_the_first_bad_record),
        cmocka_unit_test(verifier_refuses_long_lines_without_holding_them),
        cmocka_unit_test(a_failed_write_leaves_only_whole_records),
        cmocka_unit_test(the_key_file_is_beside_the_log),
        cmocka_unit_test(a_missing_key_is_made_owner_only_and_kept),
        cmocka_unit_test(an_unsafe_or_wrong_key_file_is_refused),
        cmocka_unit_test(a_key_file_of_another_user_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
