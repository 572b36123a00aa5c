/* The SQLite store: round trips, personal fields never in clear on disk, key checks, export and
 * erasure, retention, backup, rotation, schema version and its migration, blocks of events and
 * the binding of their ciphertexts to their rows. */
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

/* Events [0, n) in one put (one block) or one put each (a block each). */
static void fill_as(sn_store *s, int n, bool one_put)
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
    if (one_put)
        assert_int_equal(sn_store_put(s, it, (size_t)n, &err), SN_OK);
    for (int i = 0; !one_put && i < n; i++)
        assert_int_equal(sn_store_put(s, &it[i], 1, &err), SN_OK);
}

static void fill(sn_store *s, int n)
{
    fill_as(s, n, true);
}

/* The bytes of a file (NUL-terminated; caller frees), or NULL when it cannot be read. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = (size_t)n;
    return buf;
}

/* Whether the n bytes of needle occur anywhere in the file. */
static bool file_has(const char *path, const void *needle, size_t n)
{
    size_t len = 0;
    char *buf = slurp(path, &len);
    if (!buf)
        return false;
    bool found = memmem(buf, len, needle, n) != NULL;
    free(buf);
    return found;
}

static bool store_has_bytes(const void *needle, size_t n)
{
    char wal[160];
    snprintf(wal, sizeof(wal), "%s-wal", db);
    return file_has(db, needle, n) || file_has(wal, needle, n);
}

static bool store_has(const char *needle)
{
    return store_has_bytes(needle, strlen(needle));
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

static void exec_sql(const char *sql)
{
    sqlite3 *h;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    char *msg = NULL;
    int rc = sqlite3_exec(h, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        fail_msg("%s: %s", sql, msg ? msg : "?");
    sqlite3_close(h);
}

#define EVENTS_STORED "SELECT coalesce(sum(events), 0) FROM event_blocks"

static const char verdict0[] =
    "{\"event_id\":\"EVT-0\",\"user_id\":\"alice.m\",\"is_anomaly\":false,\"anomaly_score\":0.000,"
    "\"risk_score\":10.00,\"risk_level\":\"NORMAL\",\"reasons\":[],\"recommendation\":\"ALLOW\"}";
static const char verdict4[] =
    "{\"event_id\":\"EVT-4\",\"user_id\":\"alice.m\",\"is_anomaly\":true,\"anomaly_score\":0.000,"
    "\"risk_score\":91.50,\"risk_level\":\"CRITICAL\",\"reasons\":[],\"recommendation\":"
    "\"BLOCK\"}";

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
    /* One put of six small events: one row. */
    assert_int_equal(count_rows("SELECT count(*) FROM event_blocks"), 1);
    assert_int_equal(count_rows(EVENTS_STORED), 6);
    assert_int_equal(count_rows("SELECT sum(verdicts) FROM event_blocks"), 6);
    assert_int_equal(count_rows("SELECT count(*) FROM alerts"), 1);
    assert_int_equal(count_rows("PRAGMA user_version"), 2);

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
    /* The verdicts are written from their stored fields exactly as before. */
    assert_non_null(strstr(j.data, verdict0));
    assert_non_null(strstr(j.data, verdict4));

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
    fill_as(s, 3, false);
    assert_int_equal(count_rows("SELECT count(*) FROM event_blocks"), 3);
    exec_sql("UPDATE event_blocks SET record=(SELECT record FROM event_blocks WHERE first_seq=1)"
             " WHERE first_seq=3");
    sn_buf j;
    sn_buf_init(&j);
    assert_int_equal(sn_store_export_user(s, "alice.m", &j, &err), SN_ERR_CRYPTO);
    assert_string_equal(err.msg, "events 3-3 do not decrypt: wrong key or a modified row");
    sn_buf_free(&j);
    sn_store_close(s);
}

/* The clear values of a row (event times, counts, tokens) are authenticated with its sealed
 * events: changed, the row does not open. */
static void a_block_s_clear_values_are_bound_to_its_ciphertext(void **state)
{
    (void)state;
    sn_store_keys k = key_of(0x11);
    sn_store *s;
    sn_error err;
    assert_int_equal(sn_store_open(&s, db, &k, &err), SN_OK);
    fill(s, 6);
    sn_buf j;
    sn_buf_init(&j);
    exec_sql("UPDATE event_blocks SET max_ts = max_ts + 86400000000");
    assert_int_equal(sn_store_export_user(s, "bob.k", &j, &err), SN_ERR_CRYPTO);
    assert_string_equal(err.msg, "events 1-6 do not decrypt: wrong key or a modified row");
    exec_sql("UPDATE event_blocks SET max_ts = max_ts - 86400000000");
    assert_int_equal(sn_store_export_user(s, "bob.k", &j, &err), SN_OK);
    /* alice's first token and bob's first token swapped: erasure would miss them. */
    exec_sql("UPDATE event_blocks SET user_tokens = substr(user_tokens, 17, 16) ||"
             " substr(user_tokens, 1, 16) || substr(user_tokens, 33)");
    sn_buf_reset(&j);
    assert_int_equal(sn_store_export_user(s, "bob.k", &j, &err), SN_ERR_CRYPTO);
    assert_non_null(strstr(err.msg, "do not decrypt"));
    /* Every token of the row blanked: an export must not answer "nothing held" for a user
     * whose records it can no longer find. */
    exec_sql("UPDATE event_blocks SET user_tokens = zeroblob(length(user_tokens))");
    sn_buf_reset(&j);
    assert_int_equal(sn_store_export_user(s, "bob.k", &j, &err), SN_ERR_STORE);
    assert_string_equal(err.msg, "events 1-6: the lookup tokens do not match the events");
    sn_buf_free(&j);
    sn_store_close(s);
}

/* A page the export never reads (the api_keys table's root) overwritten: SQLite's check finds
 * the damage and the export says so instead of answering with what it could still read. */
static void an_export_of_a_damaged_store_fails(void **state)
{
    (void)state;
    sn_store_keys k = key_of(0x11);
    sn_store *s;
    sn_error err;
    assert_int_equal(sn_store_open(&s, db, &k, &err), SN_OK);
    fill(s, 6);
    sn_store_close(s);
    sqlite3 *h;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(h,
                                        "SELECT rootpage, (SELECT page_size FROM pragma_page_size)"
                                        " FROM sqlite_master WHERE name = 'api_keys'",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long root = (long)sqlite3_column_int64(st, 0), page = (long)sqlite3_column_int64(st, 1);
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_exec(h, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(h);
    FILE *f = fopen(db, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, (root - 1) * page, SEEK_SET), 0);
    for (long i = 0; i < page; i++)
        fputc(0xff, f);
    fclose(f);
    assert_int_equal(sn_store_open(&s, db, &k, &err), SN_OK);
    sn_buf j;
    sn_buf_init(&j);
    assert_int_equal(sn_store_export_user(s, "bob.k", &j, &err), SN_ERR_STORE);
    assert_non_null(strstr(err.msg, "the store is damaged ("));
    assert_non_null(strstr(err.msg, "): restore it from a backup"));
    sn_buf_free(&j);
    sn_store_close(s);
}

/* The first token in the first row: alice.m's, under key 0x11. */
static void first_token(unsigned char out[16])
{
    sqlite3 *h;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(h,
                                        "SELECT user_tokens FROM event_blocks ORDER BY first_seq"
                                        " LIMIT 1",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_true(sqlite3_column_bytes(st, 0) >= 16);
    memcpy(out, sqlite3_column_blob(st, 0), 16);
    sqlite3_finalize(st);
    sqlite3_close(h);
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
    unsigned char token[16];
    first_token(token);
    assert_true(store_has_bytes(token, sizeof(token)));

    /* alice's events leave the block they share with bob and carol. */
    sn_store_counts c;
    assert_int_equal(sn_store_forget_user(s, "alice.m", &c, &err), SN_OK);
    assert_int_equal(c.events, 3);
    assert_int_equal(c.verdicts, 3);
    assert_int_equal(c.alerts, 1);
    assert_false(store_has_bytes(token, sizeof(token)));
    assert_false(store_has("alice.m"));
    assert_int_equal(count_rows(EVENTS_STORED), 3);
    assert_int_equal(count_rows("SELECT count(*) FROM event_blocks"), 1);
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

static void forget_deletes_the_rows_that_held_only_the_user(void **state)
{
    (void)state;
    sn_store_keys k = key_of(0x11);
    sn_store *s;
    sn_error err;
    assert_int_equal(sn_store_open(&s, db, &k, &err), SN_OK);
    fill_as(s, 6, false);
    sn_store_counts c;
    assert_int_equal(sn_store_forget_user(s, "carol.x", &c, &err), SN_OK);
    assert_int_equal(c.events, 1);
    assert_int_equal(c.verdicts, 1);
    assert_int_equal(c.alerts, 0);
    assert_int_equal(count_rows("SELECT count(*) FROM event_blocks"), 5);
    assert_int_equal(count_rows("SELECT count(*) FROM event_blocks WHERE first_seq=4"), 0);
    assert_int_equal(count_rows(EVENTS_STORED), 5);
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
    /* Events are an hour apart from 1700000000: keep the last two. Their row reaches across
     * the bound, so it is written again with those two. */
    assert_int_equal(sn_store_retention(s, (int64_t)(1700000000 + 4 * 3600) * 1000000, &c, &err),
                     SN_OK);
    assert_int_equal(c.events, 4);
    assert_int_equal(c.verdicts, 4);
    assert_int_equal(c.alerts, 0);
    assert_int_equal(count_rows(EVENTS_STORED), 2);
    assert_int_equal(count_rows("SELECT count(*) FROM event_blocks WHERE min_ts=1700014400000000"
                                " AND max_ts=1700018000000000 AND first_seq=1 AND last_seq=6"),
                     1);
    assert_int_equal(count_rows("SELECT count(*) FROM privacy_log WHERE action='retention'"), 1);
    sn_buf j;
    sn_buf_init(&j);
    assert_int_equal(sn_store_export_user(s, "alice.m", &j, &err), SN_OK);
    json_t *doc = json_loads(j.data, 0, NULL);
    assert_int_equal(json_array_size(json_object_get(doc, "events")), 1);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(doc, "events"), 0), "event_id")),
                        "EVT-4");
    json_decref(doc);
    /* Then every row wholly older goes at once. */
    assert_int_equal(sn_store_retention(s, (int64_t)(1700000000 + 9 * 3600) * 1000000, &c, &err),
                     SN_OK);
    assert_int_equal(c.events, 2);
    assert_int_equal(c.verdicts, 2);
    assert_int_equal(c.alerts, 1);
    assert_int_equal(count_rows("SELECT count(*) FROM event_blocks"), 0);
    sn_buf_free(&j);
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
    assert_false(file_has(to, "alice.m", 7));
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
    fill_as(s, 6, false);
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
    assert_int_equal(count_rows("SELECT count(*) FROM event_blocks WHERE key_no = (SELECT key_no"
                                " FROM store_keys WHERE retired_at IS NULL)"),
                     6);
    /* The alert follows its event's new token (one event per row here). */
    assert_int_equal(count_rows("SELECT count(*) FROM alerts a JOIN event_blocks b ON"
                                " b.first_seq = a.seq WHERE b.user_tokens = a.user_token"),
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
    exec_sql("PRAGMA user_version=7");
    assert_int_equal(sn_store_open(&s, db, &k, &err), SN_ERR_STORE);
    assert_string_equal(err.msg, "store schema version 7 is newer than this build reads (2)");
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

typedef struct walked {
    int n;
    int64_t seq[16];
    char id[16][16];
    char user[16][16];
} walked;

static int walk(void *ctx, int64_t seq, const sn_event *ev, const char *event_id)
{
    walked *w = ctx;
    if (w->n >= 16)
        return 1;
    w->seq[w->n] = seq;
    snprintf(w->id[w->n], sizeof(w->id[0]), "%s", event_id);
    snprintf(w->user[w->n], sizeof(w->user[0]), "%.*s", (int)ev->user_id.n, ev->user_id.p);
    w->n++;
    return 0;
}

typedef struct verdict_list {
    int n;
    int64_t seq[16];
    char json[16][512];
} verdict_list;

static int collect(void *ctx, int64_t seq, const char *json, size_t len)
{
    verdict_list *l = ctx;
    if (l->n >= 16 || len >= sizeof(l->json[0]))
        return 1;
    l->seq[l->n] = seq;
    memcpy(l->json[l->n], json, len + 1);
    l->n++;
    return 0;
}

static char *source_file(const char *name)
{
    const char *src = getenv("SENTINEL_SOURCE_DIR");
    if (!src)
        fail_msg("SENTINEL_SOURCE_DIR is not set: cannot find tests/store/%s", name);
    char path[4096];
    snprintf(path, sizeof(path), "%s/tests/store/%s", src, name);
    char *text = slurp(path, NULL);
    if (!text)
        fail_msg("cannot read %s", path);
    return text;
}

/* A store written by schema version 1 (tests/store/store_v1.sql, with the exports version 1
 * gave of it) opens, is migrated once, and gives back every record as it did. */
static void a_version_1_store_is_migrated(void **state)
{
    (void)state;
    char *sql = source_file("store_v1.sql");
    exec_sql(sql);
    free(sql);
    assert_int_equal(count_rows("PRAGMA user_version"), 1);
    sn_store_keys k = key_of(0x11), wrong = key_of(0x22);
    sn_store *s;
    sn_error err;
    /* A wrong key is refused before anything changes. */
    assert_int_equal(sn_store_open(&s, db, &wrong, &err), SN_ERR_SECRET);
    assert_non_null(strstr(err.msg, "wrong store key"));
    assert_int_equal(count_rows("PRAGMA user_version"), 1);

    assert_int_equal(sn_store_open(&s, db, &k, &err), SN_OK);
    assert_int_equal(count_rows("PRAGMA user_version"), 2);
    assert_int_equal(count_rows("SELECT count(*) FROM sqlite_master WHERE name IN ('events',"
                                " 'verdicts', 'events_user', 'store_keys_v2', 'alerts_v2')"),
                     0);
    assert_int_equal(count_rows(EVENTS_STORED), 8);
    assert_int_equal(count_rows("SELECT sum(verdicts) FROM event_blocks"), 7);
    assert_int_equal(count_rows("SELECT count(*) FROM alerts"), 1);
    assert_int_equal(count_rows("SELECT count(*) FROM store_keys WHERE key_no=1 AND"
                                " key_id='4dbc7ca7a74a3f96'"),
                     1);
    static const char *const people[] = {"alice.m", "bob.k", "carol.x", "dave.r"};
    for (size_t i = 0; i < 4; i++) {
        char name[64];
        snprintf(name, sizeof(name), "store_v1_%s.json", people[i]);
        char *expected = source_file(name);
        sn_buf j;
        sn_buf_init(&j);
        assert_int_equal(sn_store_export_user(s, people[i], &j, &err), SN_OK);
        assert_string_equal(j.data, expected);
        sn_buf_free(&j);
        free(expected);
    }
    walked w = {0};
    assert_int_equal(sn_store_each_event(s, 0, walk, &w, &err), SN_OK);
    assert_int_equal(w.n, 8);
    for (int i = 0; i < 8; i++) {
        char id[16];
        snprintf(id, sizeof(id), "EVT-%d", i);
        assert_int_equal(w.seq[i], i + 1);
        assert_string_equal(w.id[i], id);
    }
    assert_string_equal(w.user[7], "dave.r");
    verdict_list l = {0};
    assert_int_equal(sn_store_recent_verdicts(s, 10, true, collect, &l, &err), SN_OK);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.seq[0], 5);
    assert_non_null(
        strstr(l.json[0], "\"event_id\":\"EVT-4\",\"user_id\":\"alice.m\",\"is_anomaly\":true"));
    sn_buf snap;
    sn_buf_init(&snap);
    int64_t through = 0;
    assert_int_equal(sn_store_get_snapshot(s, &snap, &through, &err), SN_OK);
    assert_int_equal(through, 8);
    assert_int_equal(snap.len, 14);
    assert_memory_equal(snap.data, "snapshot bytes", 14);
    sn_buf_free(&snap);
    int64_t last = 0;
    assert_int_equal(sn_store_last_seq(s, &last, &err), SN_OK);
    assert_int_equal(last, 8);
    fill(s, 1);
    assert_int_equal(sn_store_last_seq(s, &last, &err), SN_OK);
    assert_int_equal(last, 9);
    sn_store_close(s);
    /* Opened again: already version 2, nothing to migrate. */
    assert_int_equal(sn_store_open(&s, db, &k, &err), SN_OK);
    assert_int_equal(count_rows(EVENTS_STORED), 9);
    sn_store_close(s);
}

#define COPIED_STRINGS 11

/* One event handed back by the store, its strings copied. */
typedef struct copied {
    int n;
    int64_t seq;
    sn_event ev;
    char str[COPIED_STRINGS][64];
    char id[32];
} copied;

static int copy_one(void *ctx, int64_t seq, const sn_event *ev, const char *event_id)
{
    copied *c = ctx;
    const sn_str *got[] = {&ev->user_id,    &ev->username,   &ev->department,  &ev->job_title,
                           &ev->resource,   &ev->action,     &ev->location,    &ev->country,
                           &ev->user_agent, &ev->session_id, &ev->anomaly_type};
    c->n++;
    c->seq = seq;
    c->ev = *ev;
    for (size_t i = 0; i < COPIED_STRINGS; i++)
        snprintf(c->str[i], sizeof(c->str[i]), "%.*s", (int)got[i]->n, got[i]->p ? got[i]->p : "");
    snprintf(c->id, sizeof(c->id), "%s", event_id);
    return 0;
}

/* Every field of an event comes back from the store as it went in; the anonymous-caller and
 * weak-cipher flags were once left out of the stored record. */
static void every_event_field_survives_the_store(void **state)
{
    (void)state;
    sn_store_keys k = key_of(0x11);
    sn_store *s;
    sn_error err;
    assert_int_equal(sn_store_open(&s, db, &k, &err), SN_OK);
    sn_event ev = {0};
    ev.user_id = S("svc-backup");
    ev.username = S("Backup Service");
    ev.department = S("IT");
    ev.job_title = S("Service");
    ev.resource = S("MSSQLSvc/db01");
    ev.action = S("ticket");
    ev.location = S("Oslo, NO");
    ev.country = S("NO");
    ev.user_agent = S("Kerberos");
    ev.session_id = S("s-42");
    ev.anomaly_type = S("kerberoasting");
    assert_int_equal(sn_parse_ip("2001:db8::17", 12, &ev.ip, &err), SN_OK);
    ev.ts_us = 1760000000123456;
    ev.lat = 59.9133;
    ev.lon = 10.7389;
    ev.has_coords = true;
    ev.success = 0;
    ev.mfa = 1;
    ev.is_anomaly = 1;
    ev.anonymous = true;
    ev.weak_cipher = true;
    ev.src_line = 12345;
    sn_store_item it = {.ev = &ev, .event_id = "E-1"};
    assert_int_equal(sn_store_put(s, &it, 1, &err), SN_OK);
    sn_store_close(s);
    assert_int_equal(sn_store_open(&s, db, &k, &err), SN_OK);
    copied c = {0};
    assert_int_equal(sn_store_each_event(s, 0, copy_one, &c, &err), SN_OK);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.seq, 1);
    assert_string_equal(c.id, "E-1");
    const sn_str *want[] = {&ev.user_id,    &ev.username,   &ev.department,  &ev.job_title,
                            &ev.resource,   &ev.action,     &ev.location,    &ev.country,
                            &ev.user_agent, &ev.session_id, &ev.anomaly_type};
    for (size_t i = 0; i < COPIED_STRINGS; i++) {
        char w[64];
        snprintf(w, sizeof(w), "%.*s", (int)want[i]->n, want[i]->p);
        assert_string_equal(c.str[i], w);
    }
    assert_true(c.ev.ts_us == ev.ts_us);
    assert_int_equal(c.ev.ip.family, 6);
    assert_memory_equal(c.ev.ip.addr, ev.ip.addr, 16);
    assert_true(c.ev.has_coords);
    assert_true(c.ev.lat == ev.lat && c.ev.lon == ev.lon);
    assert_int_equal(c.ev.success, 0);
    assert_int_equal(c.ev.mfa, 1);
    assert_int_equal(c.ev.is_anomaly, 1);
    assert_true(c.ev.anonymous);
    assert_true(c.ev.weak_cipher);
    assert_int_equal(c.ev.src_line, 12345);
    sn_store_close(s);
}

/* The walk after a sequence number starts inside a row; the recent verdicts leave out events
 * stored without one and keep a front end's own JSON as it was. */
static void events_after_a_point_and_recent_verdicts(void **state)
{
    (void)state;
    sn_store_keys k = key_of(0x11);
    sn_store *s;
    sn_error err;
    assert_int_equal(sn_store_open(&s, db, &k, &err), SN_OK);
    fill(s, 6);
    sn_event ev[2];
    sn_verdict v[2];
    make_event(5, &ev[0], &v[0]);
    make_event(1, &ev[1], &v[1]);
    static const char own[] = "{\"event_id\":\"API-1\",\"analysed_at\":\"2026-01-01T00:00:00Z\"}";
    sn_store_item it[2] = {
        {.ev = &ev[0],
         .event_id = "API-1",
         .verdict = &v[0],
         .verdict_json = own,
         .verdict_json_len = strlen(own)},
        {.ev = &ev[1], .event_id = "TRAIN-1"},
    };
    assert_int_equal(sn_store_put(s, it, 2, &err), SN_OK);
    walked w = {0};
    assert_int_equal(sn_store_each_event(s, 3, walk, &w, &err), SN_OK);
    assert_int_equal(w.n, 5);
    static const char *const ids[] = {"EVT-3", "EVT-4", "EVT-5", "API-1", "TRAIN-1"};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(w.seq[i], 4 + i);
        assert_string_equal(w.id[i], ids[i]);
    }
    assert_string_equal(w.user[0], "carol.x");
    verdict_list l = {0};
    assert_int_equal(sn_store_recent_verdicts(s, 3, false, collect, &l, &err), SN_OK);
    assert_int_equal(l.n, 3);
    assert_int_equal(l.seq[0], 5);
    assert_int_equal(l.seq[1], 6);
    assert_int_equal(l.seq[2], 7);
    assert_string_equal(l.json[0], verdict4);
    assert_string_equal(l.json[2], own);
    memset(&l, 0, sizeof(l));
    assert_int_equal(sn_store_recent_verdicts(s, 10, true, collect, &l, &err), SN_OK);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.json[0], verdict4);
    sn_store_close(s);
}

/* A put of many events is cut into rows that each fit in a page; an event larger than a page
 * is a row alone; all come back in order. */
static void a_large_put_is_cut_into_rows_of_a_page(void **state)
{
    (void)state;
    sn_store_keys k = key_of(0x11);
    sn_store *s;
    sn_error err;
    assert_int_equal(sn_store_open(&s, db, &k, &err), SN_OK);
    enum { N = 200 };
    static sn_event ev[N];
    static sn_verdict v[N];
    static sn_store_item it[N];
    static char ids[N][16];
    static char long_ua[9000];
    memset(long_ua, 'a', sizeof(long_ua) - 1);
    for (int i = 0; i < N; i++) {
        make_event(i % 6, &ev[i], &v[i]);
        if (i == 100)
            ev[i].user_agent = S(long_ua);
        snprintf(ids[i], sizeof(ids[i]), "E%03d", i);
        it[i] = (sn_store_item){.ev = &ev[i], .event_id = ids[i], .verdict = &v[i]};
    }
    assert_int_equal(sn_store_put(s, it, N, &err), SN_OK);
    assert_int_equal(count_rows(EVENTS_STORED), N);
    assert_true(count_rows("SELECT count(*) FROM event_blocks") > 5);
    /* Within a 4 KiB page, but for the one large event alone in its row. */
    assert_int_equal(count_rows("SELECT count(*) FROM event_blocks WHERE"
                                " length(record) + length(user_tokens) > 4096 - 92"),
                     1);
    assert_int_equal(count_rows("SELECT count(*) FROM event_blocks WHERE first_seq = 101 AND"
                                " last_seq = 101 AND length(record) > 9000"),
                     1);
    assert_int_equal(count_rows("SELECT count(*) FROM event_blocks a JOIN event_blocks b ON"
                                " b.first_seq = a.last_seq + 1"),
                     count_rows("SELECT count(*) FROM event_blocks") - 1);
    walked w = {0};
    assert_int_equal(sn_store_each_event(s, N - 16, walk, &w, &err), SN_OK);
    assert_int_equal(w.n, 16);
    assert_int_equal(w.seq[15], N);
    assert_string_equal(w.id[15], "E199");
    sn_store_close(s);
}

/* Inside sn_store_begin .. sn_store_commit, a failed put leaves the earlier puts in place. */
static void a_failed_put_in_a_batch_keeps_the_batch(void **state)
{
    (void)state;
    sn_store_keys k = key_of(0x11);
    sn_store *s;
    sn_error err;
    assert_int_equal(sn_store_open(&s, db, &k, &err), SN_OK);
    assert_int_equal(sn_store_begin(s, &err), SN_OK);
    fill(s, 3);
    sn_event ev[2];
    sn_verdict v[2];
    make_event(0, &ev[0], &v[0]);
    make_event(1, &ev[1], &v[1]);
    ev[1].user_id = (sn_str){0};
    sn_store_item it[2] = {{.ev = &ev[0], .event_id = "X-0", .verdict = &v[0]},
                           {.ev = &ev[1], .event_id = "X-1", .verdict = &v[1]}};
    assert_int_equal(sn_store_put(s, it, 2, &err), SN_ERR_MISSING);
    assert_string_equal(err.field, "user_id");
    assert_int_equal(sn_store_commit(s, &err), SN_OK);
    int64_t last = 0;
    assert_int_equal(sn_store_last_seq(s, &last, &err), SN_OK);
    assert_int_equal(last, 3);
    sn_store_close(s);
    assert_int_equal(count_rows(EVENTS_STORED), 3);
}

/* Sequence numbers are never given twice, even once retention has emptied the store: a
 * snapshot taken through event 6 must not hide the events stored after it. */
static void sequence_numbers_go_on_after_the_store_is_emptied(void **state)
{
    (void)state;
    sn_store_keys k = key_of(0x11);
    sn_store *s;
    sn_error err;
    assert_int_equal(sn_store_open(&s, db, &k, &err), SN_OK);
    fill(s, 6);
    assert_int_equal(sn_store_put_snapshot(s, "baselines", 9, 6, &err), SN_OK);
    sn_store_counts c;
    assert_int_equal(sn_store_retention(s, (int64_t)(1700000000 + 9 * 3600) * 1000000, &c, &err),
                     SN_OK);
    assert_int_equal(c.events, 6);
    fill(s, 2);
    int64_t last = 0;
    assert_int_equal(sn_store_last_seq(s, &last, &err), SN_OK);
    assert_int_equal(last, 8);
    walked w = {0};
    assert_int_equal(sn_store_each_event(s, 6, walk, &w, &err), SN_OK);
    assert_int_equal(w.n, 2);
    assert_int_equal(w.seq[0], 7);
    assert_string_equal(w.id[1], "EVT-1");
    sn_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(personal_fields_are_never_in_clear_and_export_decrypts,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(wrong_or_missing_key_is_a_clear_error, setup, teardown),
        cmocka_unit_test_setup_teardown(a_ciphertext_moved_to_another_row_does_not_decrypt, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_block_s_clear_values_are_bound_to_its_ciphertext, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(an_export_of_a_damaged_store_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(forget_leaves_no_trace_and_keeps_others, setup, teardown),
        cmocka_unit_test_setup_teardown(forget_deletes_the_rows_that_held_only_the_user, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(retention_deletes_old_records_and_logs_counts, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(backup_is_a_complete_encrypted_copy, setup, teardown),
        cmocka_unit_test_setup_teardown(rotation_reencrypts_everything_and_retires_the_old_key,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(a_newer_schema_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(an_unencrypted_store_refuses_a_key, setup, teardown),
        cmocka_unit_test_setup_teardown(a_version_1_store_is_migrated, setup, teardown),
        cmocka_unit_test_setup_teardown(every_event_field_survives_the_store, setup, teardown),
        cmocka_unit_test_setup_teardown(events_after_a_point_and_recent_verdicts, setup, teardown),
        cmocka_unit_test_setup_teardown(a_large_put_is_cut_into_rows_of_a_page, setup, teardown),
        cmocka_unit_test_setup_teardown(a_failed_put_in_a_batch_keeps_the_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(sequence_numbers_go_on_after_the_store_is_emptied, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
