/* The SQLite store: round trips, personal fields never in clear on disk, key checks, export and
 * erasure, retention, backup, rotation, schema version and row binding of ciphertexts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ingest/ingest.h"
#include "store/store.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];
static char db[128];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/sn_store_XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(db, sizeof(db), "%s/s.db", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static sn_str S(const char *s)
{
    return (sn_str){.p = s, .n = strlen(s)};
}

static sn_store_keys key_of(unsigned char b)
{
    sn_store_keys k = {.encrypt = true};
    memset(k.master, b, 32);
    return k;
}

/* Event i of three users: alice.m (3 events), bob.k (2), carol.x (1). */
static const char *users[] = {"alice.m", "bob.k", "alice.m", "carol.x", "alice.m", "bob.k"};
static const char *ips[] = {"203.0.113.77", "198.51.100.23", "203.0.113.77",
                            "192.0.2.201",  "203.0.113.78",  "198.51.100.23"};

static void make_event(int i, sn_event *ev, sn_verdict *v)
{
    memset(ev, 0, sizeof(*ev));
    memset(v, 0, sizeof(*v));
    ev->user_id = S(users[i]);
    ev->username = S(i % 2 ? "Bob Kowalczyk" : "Alice Marchetti");
    ev->department = S("Finance");
    ev->resource = S("payroll_system");
    ev->action = S("read");
    ev->location = S("Reykjavik, IS");
    ev->raw_ip = S(ips[i]);
    sn_error err;
    assert_int_equal(sn_parse_ip(ips[i], strlen(ips[i]), &ev->ip, &err), SN_OK);
    ev->ts_us = (int64_t)(1700000000 + i * 3600) * 1000000;
    ev->success = 1;
    ev->mfa = -1;
    ev->is_anomaly = -1;
    v->risk_score = i == 4 ? 91.5 : 10.0;
    v->level = sn_level_from_risk(v->risk_score);
    v->is_anomaly = i == 4;
    v->recommendation = sn_recommendation(v->level);
}

static void fill(sn_store *s, int n)
{
    sn_event ev[6];
    sn_verdict v[6];
    sn_store_item it[6];
    char ids[6][16];
    for (int i = 0; i < n; i++) {
        make_event(i, &ev[i], &v[i]);
        snprintf(ids[i], sizeof(ids[i]), "EVT-%d", i);
        it[i] = (sn_store_item){.ev = &ev[i], .event_id = ids[i], .verdict = &v[i]};
    }
    sn_error err;
    assert_int_equal(sn_store_put(s, it, (size_t)n, &err), SN_OK);
}

/* Whether needle occurs anywhere in the file's bytes. */
static bool file_has(const char *path, const char *needle)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    bool found = memmem(buf, (size_t)n, needle, strlen(needle)) != NULL;
    free(buf);
    return found;
}

static bool store_has(const char *needle)
{
    char wal[160];
    snprintf(wal, sizeof(wal), "%s-wal", db);
    return file_has(db, needle) || file_has(wal, needle);
}

static int count_rows(const char *sql)
{
    sqlite3 *h;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return n;
}

static void personal_fields_are_never_in_clear_and_export_decrypts(void **state)
{
    (void)state;
    sn_store_keys k = key_of(0x11);
    sn_store *s;
    sn_error err;
    assert_int_equal(sn_store_open(&s, db, &k, &err), SN_OK);
    fill(s, 6);
    const char *secret[] = {"alice.m",         "bob.k",         "carol.x",
                            "Alice Marchetti", "Bob Kowalczyk", "Reykjavik",
                            "203.0.113.77",    "198.51.100.23", "192.0.2.201"};
    for (size_t i = 0; i < sizeof(secret) / sizeof(secret[0]); i++)
        assert_false(store_has(secret[i]));
    assert_int_equal(count_rows("SELECT count(*) FROM events"), 6);
    assert_int_equal(count_rows("SELECT count(*) FROM verdicts"), 6);
    assert_int_equal(count_rows("SELECT count(*) FROM alerts"), 1);
    assert_int_equal(count_rows("PRAGMA user_version"), 1);

    sn_buf j;
    sn_buf_init(&j);
    assert_int_equal(sn_store_export_user(s, "alice.m", &j, &err), SN_OK);
    json_t *doc = json_loads(j.data, 0, NULL);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "user_id")), "alice.m");
    json_t *evs = json_object_get(doc, "events");
    assert_int_equal(json_array_size(evs), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(evs, 0), "event_id")),
                        "EVT-0");
    assert_string_equal(json_string_value(json_object_get(json_array_get(evs, 2), "source_ip")),
                        "203.0.113.78");
    assert_string_equal(json_string_value(json_object_get(json_array_get(evs, 1), "location")),
                        "Reykjavik, IS");
    assert_int_equal(json_array_size(json_object_get(doc, "verdicts")), 3);
    json_t *alerts = json_object_get(doc, "alerts");
    assert_int_equal(json_array_size(alerts), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(alerts, 0), "risk_level")),
                        "CRITICAL");
    json_decref(doc);

    /* An unknown user: an empty document, not an error. */
    sn_buf_reset(&j);
    assert_int_equal(sn_store_export_user(s, "nobody", &j, &err), SN_OK);
    assert_string_equal(j.data,
                        "{\"user_id\":\"nobody\",\"events\":[],\"verdicts\":[],\"alerts\":[],"
                        "\"baselines\":[]}");
    sn_buf_free(&j);
    sn_store_close(s);
}

static void wrong_or_missing_key_is_a_clear_error(void **state)
{
    (void)state;
    sn_store_keys k = key_of(0x11), wrong = key_of(0x22), none = {.encrypt = false};
    sn_store *s;
    sn_error err;
    assert_int_equal(sn_store_open(&s, db, &k, &err), SN_OK);
    fill(s, 2);
    sn_store_close(s);
    assert_int_equal(sn_store_open(&s, db, &wrong, &err), SN_ERR_SECRET);
    assert_null(s);
    assert_non_null(strstr(err.msg, "wrong store key"));
    assert_int_equal(sn_store_open(&s, db, &none, &err), SN_ERR_SECRET);
    assert_non_null(strstr(err.msg, "this store is encrypted"));

    /* The key from the environment: 64 hex digits, else a message naming the variable. */
    setenv(SN_STORE_KEY_ENV, "not hex", 1);
    sn_store_keys loaded;
    assert_int_equal(sn_store_keys_load(&loaded, NULL, &err), SN_ERR_SECRET);
    unsetenv(SN_STORE_KEY_ENV);
    assert_int_equal(sn_store_keys_load(&loaded, NULL, &err), SN_ERR_SECRET);
    assert_non_null(strstr(err.msg, SN_STORE_KEY_ENV));
    setenv(SN_STORE_KEY_ENV, "1111111111111111111111111111111111111111111111111111111111111111", 1);
    assert_int_equal(sn_store_keys_load(&loaded, NULL, &err), SN_OK);
    unsetenv(SN_STORE_KEY_ENV);
    assert_int_equal(sn_store_open(&s, db, &loaded, &err), SN_OK);
    sn_store_close(s);
}

static void a_ciphertext_moved_to_another_row_does_not_decrypt(void **state)
{
    (void)state;
    sn_store_keys k = key_of(0x11);
    sn_store *s;
    sn_error err;
    assert_int_equal(sn_store_open(&s, db, &k, &err), SN_OK);
    fill(s, 3);
    sqlite3 *h;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h,
                                  "UPDATE events SET record=(SELECT record FROM events WHERE "
                                  "seq=1) WHERE seq=3",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(h);
    sn_buf j;
    sn_buf_init(&j);
    assert_int_equal(sn_store_export_user(s, "alice.m", &j, &err), SN_ERR_CRYPTO);
    assert_non_null(strstr(err.msg, "does not decrypt"));
    sn_buf_free(&j);
    sn_store_close(s);
}

static void forget_leaves_no_trace_and_keeps_others(void **state)
{
    (void)state;
    sn_store_keys k = key_of(0x11);
    sn_store *s;
    sn_error err;
    assert_int_equal(sn_store_open(&s, db, &k, &err), SN_OK);
    fill(s, 6);
    sn_buf before;
    sn_buf_init(&before);
    assert_int_equal(sn_store_export_user(s, "bob.k", &before, &err), SN_OK);
    /* The lookup token of alice.m as stored, to look for after the erasure. */
    char token[65] = "";
    sqlite3 *h;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(
        sqlite3_prepare_v2(h, "SELECT user_token FROM events WHERE seq=1", -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    snprintf(token, sizeof(token), "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(h);
    assert_true(store_has(token));

    sn_store_counts c;
    assert_int_equal(sn_store_forget_user(s, "alice.m", &c, &err), SN_OK);
    assert_int_equal(c.events, 3);
    assert_int_equal(c.verdicts, 3);
    assert_int_equal(c.alerts, 1);
    assert_false(store_has(token));
    assert_false(store_has("alice.m"));
    sn_buf j;
    sn_buf_init(&j);
    assert_int_equal(sn_store_export_user(s, "alice.m", &j, &err), SN_OK);
    assert_string_equal(j.data,
                        "{\"user_id\":\"alice.m\",\"events\":[],\"verdicts\":[],\"alerts\":[],"
                        "\"baselines\":[]}");
    sn_buf_reset(&j);
    assert_int_equal(sn_store_export_user(s, "bob.k", &j, &err), SN_OK);
    assert_string_equal(j.data, before.data);
    assert_int_equal(count_rows("SELECT count(*) FROM privacy_log WHERE action='forget' AND "
                                "events=3 AND verdicts=3 AND alerts=1"),
                     1);
    sn_buf_free(&j);
    sn_buf_free(&before);
    sn_store_close(s);
}

static void retention_deletes_old_records_and_logs_counts(void **state)
{
    (void)state;
    sn_store_keys k = key_of(0x11);
    sn_store *s;
    sn_error err;
    assert_int_equal(sn_store_open(&s, db, &k, &err), SN_OK);
    fill(s, 6);
    sn_store_counts c;
    /* Events are an hour apart from 1700000000: keep the last two. */
    assert_int_equal(sn_store_retention(s, (int64_t)(1700000000 + 4 * 3600) * 1000000, &c, &err),
                     SN_OK);
    assert_int_equal(c.events, 4);
    assert_int_equal(c.verdicts, 4);
    assert_int_equal(c.alerts, 0);
    assert_int_equal(count_rows("SELECT count(*) FROM events"), 2);
    assert_int_equal(count_rows("SELECT count(*) FROM privacy_log WHERE action='retention'"), 1);
    sn_store_close(s);
}

static void backup_is_a_complete_encrypted_copy(void **state)
{
    (void)state;
    sn_store_keys k = key_of(0x11);
    sn_store *s;
    sn_error err;
    assert_int_equal(sn_store_open(&s, db, &k, &err), SN_OK);
    fill(s, 6);
    char to[160];
    snprintf(to, sizeof(to), "%s/backup.db", dir);
    assert_int_equal(sn_store_backup(s, to, &err), SN_OK);
    assert_int_equal(sn_store_backup(s, to, &err), SN_ERR_IO);
    assert_non_null(strstr(err.msg, "never overwrites"));
    sn_store_close(s);
    assert_false(file_has(to, "alice.m"));
    assert_int_equal(sn_store_open(&s, to, &k, &err), SN_OK);
    sn_buf j;
    sn_buf_init(&j);
    assert_int_equal(sn_store_export_user(s, "bob.k", &j, &err), SN_OK);
    json_t *doc = json_loads(j.data, 0, NULL);
    assert_int_equal(json_array_size(json_object_get(doc, "events")), 2);
    json_decref(doc);
    sn_buf_free(&j);
    sn_store_close(s);
}

static void rotation_reencrypts_everything_and_retires_the_old_key(void **state)
{
    (void)state;
    sn_store_keys k = key_of(0x11), k2 = key_of(0x33);
    sn_store *s;
    sn_error err;
    assert_int_equal(sn_store_open(&s, db, &k, &err), SN_OK);
    fill(s, 6);
    sn_buf before;
    sn_buf_init(&before);
    assert_int_equal(sn_store_export_user(s, "alice.m", &before, &err), SN_OK);
    sn_store_close(s);

    k2.has_old = true;
    memcpy(k2.old_master, k.master, 32);
    assert_int_equal(sn_store_open(&s, db, &k2, &err), SN_OK);
    sn_store_counts c;
    /* Batches of two rows: several transactions. */
    assert_int_equal(sn_store_rotate(s, 2, &c, &err), SN_OK);
    assert_int_equal(c.events, 6);
    assert_int_equal(c.verdicts, 6);
    sn_store_close(s);

    assert_int_equal(sn_store_open(&s, db, &k, &err), SN_ERR_SECRET);
    assert_non_null(strstr(err.msg, "retired"));
    k2.has_old = false;
    assert_int_equal(sn_store_open(&s, db, &k2, &err), SN_OK);
    sn_buf j;
    sn_buf_init(&j);
    assert_int_equal(sn_store_export_user(s, "alice.m", &j, &err), SN_OK);
    assert_string_equal(j.data, before.data);
    sn_buf_free(&j);
    sn_buf_free(&before);
    assert_int_equal(count_rows("SELECT count(DISTINCT key_id) FROM events"), 1);
    assert_int_equal(count_rows("SELECT count(*) FROM alerts a JOIN verdicts v USING(seq) WHERE "
                                "a.user_token = v.user_token"),
                     1);
    sn_store_close(s);
}

static void a_newer_schema_is_refused(void **state)
{
    (void)state;
    sn_store_keys k = key_of(0x11);
    sn_store *s;
    sn_error err;
    assert_int_equal(sn_store_open(&s, db, &k, &err), SN_OK);
    sn_store_close(s);
    sqlite3 *h;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, "PRAGMA user_version=7", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    assert_int_equal(sn_store_open(&s, db, &k, &err), SN_ERR_STORE);
    assert_non_null(strstr(err.msg, "schema version 7 is newer"));
}

static void an_unencrypted_store_refuses_a_key(void **state)
{
    (void)state;
    sn_store_keys none = {.encrypt = false}, k = key_of(0x11);
    sn_store *s;
    sn_error err;
    assert_int_equal(sn_store_open(&s, db, &none, &err), SN_OK);
    fill(s, 2);
    sn_store_close(s);
    assert_true(store_has("alice.m"));
    assert_int_equal(sn_store_open(&s, db, &k, &err), SN_ERR_SECRET);
    assert_non_null(strstr(err.msg, "without encryption"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(personal_fields_are_never_in_clear_and_export_decrypts,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(wrong_or_missing_key_is_a_clear_error, setup, teardown),
        cmocka_unit_test_setup_teardown(a_ciphertext_moved_to_another_row_does_not_decrypt, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(forget_leaves_no_trace_and_keeps_others, setup, teardown),
        cmocka_unit_test_setup_teardown(retention_deletes_old_records_and_logs_counts, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(backup_is_a_complete_encrypted_copy, setup, teardown),
        cmocka_unit_test_setup_teardown(rotation_reencrypts_everything_and_retires_the_old_key,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(a_newer_schema_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(an_unencrypted_store_refuses_a_key, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
