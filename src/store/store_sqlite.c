/* The SQLite store backend: schema and migrations, durable batched writes of sealed personal
 * fields, lookups by token, erasure without trace, retention, online backup and key rotation.
 *
 * Durability: WAL journal with synchronous=FULL, so a transaction that has returned is in the
 * fsynced WAL: it survives both a killed process and a power loss. */
#include "store_internal.h"

#include "../core/strmap.h"
#include "../ingest/ingest.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SCHEMA_VERSION 1

/* Migration i takes the schema from version i to i + 1. */
static const char *const migrations[SCHEMA_VERSION] = {
    "CREATE TABLE store_keys(key_id TEXT PRIMARY KEY, check_value BLOB NOT NULL,"
    " added_at INTEGER NOT NULL, retired_at INTEGER);"
    "CREATE TABLE events(seq INTEGER PRIMARY KEY, event_id TEXT NOT NULL,"
    " user_token TEXT NOT NULL, ts_us INTEGER NOT NULL, stored_at INTEGER NOT NULL,"
    " key_id TEXT NOT NULL, record BLOB NOT NULL);"
    "CREATE INDEX events_user ON events(user_token);"
    "CREATE TABLE verdicts(seq INTEGER PRIMARY KEY, event_id TEXT NOT NULL,"
    " user_token TEXT NOT NULL, ts_us INTEGER NOT NULL, risk_score REAL NOT NULL,"
    " risk_level TEXT NOT NULL, is_anomaly INTEGER NOT NULL, key_id TEXT NOT NULL,"
    " body BLOB NOT NULL);"
    "CREATE TABLE alerts(seq INTEGER PRIMARY KEY, event_id TEXT NOT NULL,"
    " user_token TEXT NOT NULL, ts_us INTEGER NOT NULL, risk_score REAL NOT NULL,"
    " risk_level TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'open', created_at INTEGER NOT NULL);"
    "CREATE INDEX alerts_user ON alerts(user_token);"
    "CREATE TABLE baselines(scope TEXT NOT NULL, subject_token TEXT NOT NULL,"
    " through_seq INTEGER NOT NULL, updated_at INTEGER NOT NULL, key_id TEXT NOT NULL,"
    " body BLOB NOT NULL, PRIMARY KEY(scope, subject_token));"
    "CREATE TABLE api_keys(key_id TEXT PRIMARY KEY, key_hash TEXT NOT NULL, role TEXT NOT NULL,"
    " label TEXT, created_at INTEGER NOT NULL, revoked_at INTEGER);"
    "CREATE TABLE models(id INTEGER PRIMARY KEY, path TEXT NOT NULL, sha256 TEXT NOT NULL,"
    " events INTEGER NOT NULL, trained_at INTEGER NOT NULL, registered_at INTEGER NOT NULL,"
    " active INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE privacy_log(id INTEGER PRIMARY KEY, at INTEGER NOT NULL, action TEXT NOT NULL,"
    " events INTEGER NOT NULL, verdicts INTEGER NOT NULL, alerts INTEGER NOT NULL,"
    " baselines INTEGER NOT NULL, detail TEXT);",
};

typedef struct sq_store {
    sn_store base;
    sqlite3 *db;
    char path[4096];
    sn_store_key cur, old;
    bool has_old;
    bool in_batch; /* inside sn_store_begin .. sn_store_commit */
    sqlite3_stmt *ins_event, *ins_verdict, *ins_alert, *max_seq;
    sn_buf rec, sealed, aad_buf;
} sq_store;

static sn_status db_fail(sq_store *s, sn_error *err, const char *what)
{
    return sn_error_set(err, SN_ERR_STORE, true, s->path, 0, NULL, "%s: %s", what,
                        sqlite3_errmsg(s->db));
}

static sn_status exec(sq_store *s, const char *sql, sn_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        sn_status st = sn_error_set(err, SN_ERR_STORE, true, s->path, 0, NULL, "%s",
                                    msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        return st;
    }
    return SN_OK;
}

static sn_status prepare(sq_store *s, const char *sql, sqlite3_stmt **st, sn_error *err)
{
    if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK)
        return db_fail(s, err, "cannot prepare a statement");
    return SN_OK;
}

static void rollback(sq_store *s)
{
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

static int64_t now_s(void)
{
    return (int64_t)time(NULL);
}

/* The key a row was sealed with, or NULL (error set) when it was not given. */
static const sn_store_key *key_for(sq_store *s, const char *id, sn_error *err)
{
    if (id && !strcmp(id, s->cur.id))
        return &s->cur;
    if (id && s->has_old && !strcmp(id, s->old.id))
        return &s->old;
    sn_error_set(err, SN_ERR_SECRET, true, s->path, 0, NULL,
                 "rows are encrypted with key %s, which was not given (an unfinished key "
                 "rotation? run `sentinel keys rotate` with that key as the old key)",
                 id ? id : "?");
    return NULL;
}

static const char *aad(sq_store *s, const char *table_col, int64_t row, const char *token)
{
    sn_buf_reset(&s->aad_buf);
    sn_buf_printf(&s->aad_buf, "%s|%lld|%s", table_col, (long long)row, token);
    return s->aad_buf.failed ? "" : s->aad_buf.data;
}

/* ---- opening, schema, keys ---- */

static sn_status migrate(sq_store *s, sn_error *err)
{
    sqlite3_stmt *st;
    sn_status rc = prepare(s, "PRAGMA user_version", &st, err);
    if (rc != SN_OK)
        return rc;
    int version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    if (version < 0)
        return db_fail(s, err, "cannot read the schema version");
    if (version > SCHEMA_VERSION)
        return sn_error_set(err, SN_ERR_STORE, true, s->path, 0, NULL,
                            "store schema version %d is newer than this build reads (%d)", version,
                            SCHEMA_VERSION);
    for (int v = version; v < SCHEMA_VERSION; v++) {
        char set[64];
        snprintf(set, sizeof(set), "PRAGMA user_version=%d", v + 1);
        if ((rc = exec(s, "BEGIN IMMEDIATE", err)) != SN_OK)
            return rc;
        if ((rc = exec(s, migrations[v], err)) != SN_OK || (rc = exec(s, set, err)) != SN_OK ||
            (rc = exec(s, "COMMIT", err)) != SN_OK) {
            rollback(s);
            return rc;
        }
    }
    return SN_OK;
}

static sn_status add_key(sq_store *s, const sn_store_key *k, sn_error *err)
{
    sn_buf check;
    sn_buf_init(&check);
    sn_status rc = sn__store_key_check(k, &check);
    sqlite3_stmt *st = NULL;
    if (rc == SN_OK)
        rc = prepare(s, "INSERT INTO store_keys(key_id, check_value, added_at) VALUES(?,?,?)", &st,
                     err);
    if (rc == SN_OK) {
        sqlite3_bind_text(st, 1, k->id, -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 2, check.data, (int)check.len, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, now_s());
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = db_fail(s, err, "cannot record the store key");
    }
    sqlite3_finalize(st);
    sn_buf_free(&check);
    return rc;
}

/* 1: the key is known and active, 0: unknown, -1: retired, -2: check value wrong. */
static int key_state(sq_store *s, const sn_store_key *k)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT check_value, retired_at FROM store_keys WHERE key_id=?",
                           -1, &st, NULL) != SQLITE_OK)
        return -2;
    sqlite3_bind_text(st, 1, k->id, -1, SQLITE_STATIC);
    int state = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        if (sqlite3_column_type(st, 1) != SQLITE_NULL)
            state = -1;
        else if (!sn__store_key_verify(k, sqlite3_column_blob(st, 0),
                                       (size_t)sqlite3_column_bytes(st, 0)))
            state = -2;
        else
            state = 1;
    }
    sqlite3_finalize(st);
    return state;
}

static sn_status check_keys(sq_store *s, sn_error *err)
{
    sqlite3_stmt *st;
    sn_status rc = prepare(s, "SELECT count(*), sum(key_id='plain') FROM store_keys", &st, err);
    if (rc != SN_OK)
        return rc;
    int64_t n = 0, plain = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        n = sqlite3_column_int64(st, 0);
        plain = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    if (n == 0)
        return add_key(s, &s->cur, err);
    if (plain && s->cur.encrypt)
        return sn_error_set(err, SN_ERR_SECRET, true, s->path, 0, NULL,
                            "this store was created without encryption; it cannot be opened "
                            "with a key");
    if (!plain && !s->cur.encrypt)
        return sn_error_set(err, SN_ERR_SECRET, true, s->path, 0, NULL,
                            "this store is encrypted: give its key (store_key_file or %s)",
                            SN_STORE_KEY_ENV);
    int cur = key_state(s, &s->cur);
    if (cur == -2)
        return sn_error_set(err, SN_ERR_SECRET, true, s->path, 0, NULL,
                            "the store key does not pass the key check");
    if (cur == -1)
        return sn_error_set(err, SN_ERR_SECRET, true, s->path, 0, NULL,
                            "the store key (id %s) was retired by a key rotation; give the new "
                            "key",
                            s->cur.id);
    if (s->has_old) {
        int old = key_state(s, &s->old);
        if (old != 1)
            return sn_error_set(err, SN_ERR_SECRET, true, s->path, 0, NULL,
                                "the old key (id %s) is not an active key of this store",
                                s->old.id);
        if (cur == 0)
            return add_key(s, &s->cur, err);
        return SN_OK;
    }
    if (cur == 0)
        return sn_error_set(err, SN_ERR_SECRET, true, s->path, 0, NULL,
                            "wrong store key: this store was not encrypted with key id %s",
                            s->cur.id);
    return SN_OK;
}

static void sq_close(sn_store *base)
{
    sq_store *s = (sq_store *)base;
    sqlite3_finalize(s->ins_event);
    sqlite3_finalize(s->ins_verdict);
    sqlite3_finalize(s->ins_alert);
    sqlite3_finalize(s->max_seq);
    if (s->db)
        sqlite3_close(s->db);
    sn__store_key_wipe(&s->cur);
    sn__store_key_wipe(&s->old);
    sn_buf_free(&s->rec);
    sn_buf_free(&s->sealed);
    sn_buf_free(&s->aad_buf);
    free(s);
}

/* ---- writes ---- */

static sn_status sq_last_seq(sn_store *base, int64_t *seq, sn_error *err)
{
    sq_store *s = (sq_store *)base;
    sqlite3_reset(s->max_seq);
    if (sqlite3_step(s->max_seq) != SQLITE_ROW) {
        sqlite3_reset(s->max_seq);
        return db_fail(s, err, "cannot read the last event");
    }
    *seq = sqlite3_column_int64(s->max_seq, 0);
    sqlite3_reset(s->max_seq);
    return SN_OK;
}

static sn_status put_one(sq_store *s, int64_t seq, const sn_store_item *it, sn_error *err)
{
    char token[65];
    if (sn__store_token(&s->cur, it->ev->user_id.p, it->ev->user_id.n, token) != SN_OK)
        return sn_error_set(err, SN_ERR_CRYPTO, true, s->path, 0, NULL, "cannot make a token");
    int64_t stored = now_s();
    sn_buf_reset(&s->rec);
    sn__store_event_encode(&s->rec, it->ev, it->event_id);
    sn_buf_reset(&s->sealed);
    sn_status rc = s->rec.failed ? SN_ERR_NOMEM
                                 : sn__store_seal(&s->cur, aad(s, "events.record", seq, token),
                                                  s->rec.data, s->rec.len, &s->sealed);
    if (rc != SN_OK)
        return sn_error_set(err, rc, true, s->path, 0, NULL, "cannot seal an event");
    sqlite3_stmt *st = s->ins_event;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, seq);
    sqlite3_bind_text(st, 2, it->event_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, token, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, it->ev->ts_us);
    sqlite3_bind_int64(st, 5, stored);
    sqlite3_bind_text(st, 6, s->cur.id, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 7, s->sealed.data, (int)s->sealed.len, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        return db_fail(s, err, "cannot store an event");
    const sn_verdict *v = it->verdict;
    if (!v)
        return SN_OK;
    sn_buf_reset(&s->rec);
    if (it->verdict_json)
        sn_buf_append(&s->rec, it->verdict_json, it->verdict_json_len);
    else
        sn__store_verdict_json(&s->rec, it->ev, v, it->event_id);
    sn_buf_reset(&s->sealed);
    rc = s->rec.failed ? SN_ERR_NOMEM
                       : sn__store_seal(&s->cur, aad(s, "verdicts.body", seq, token), s->rec.data,
                                        s->rec.len, &s->sealed);
    if (rc != SN_OK)
        return sn_error_set(err, rc, true, s->path, 0, NULL, "cannot seal a verdict");
    st = s->ins_verdict;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, seq);
    sqlite3_bind_text(st, 2, it->event_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, token, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, it->ev->ts_us);
    sqlite3_bind_double(st, 5, v->risk_score);
    sqlite3_bind_text(st, 6, sn_level_name(v->level), -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 7, v->is_anomaly);
    sqlite3_bind_text(st, 8, s->cur.id, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 9, s->sealed.data, (int)s->sealed.len, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        return db_fail(s, err, "cannot store a verdict");
    if (!v->is_anomaly)
        return SN_OK;
    st = s->ins_alert;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, seq);
    sqlite3_bind_text(st, 2, it->event_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, token, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, it->ev->ts_us);
    sqlite3_bind_double(st, 5, v->risk_score);
    sqlite3_bind_text(st, 6, sn_level_name(v->level), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, stored);
    if (sqlite3_step(st) != SQLITE_DONE)
        return db_fail(s, err, "cannot store an alert");
    return SN_OK;
}

static sn_status sq_put(sn_store *base, const sn_store_item *items, size_t n, sn_error *err)
{
    sq_store *s = (sq_store *)base;
    sn_status rc = s->in_batch ? SN_OK : exec(s, "BEGIN IMMEDIATE", err);
    if (rc != SN_OK)
        return rc;
    if (s->in_batch)
        rc = exec(s, "SAVEPOINT put", err);
    if (rc != SN_OK)
        return rc;
    int64_t seq = 0;
    rc = sq_last_seq(base, &seq, err);
    for (size_t i = 0; rc == SN_OK && i < n; i++) {
        if (!items[i].ev->user_id.n)
            rc = sn_error_set(err, SN_ERR_MISSING, true, s->path, 0, "user_id",
                              "an event without a user id cannot be stored");
        else
            rc = put_one(s, ++seq, &items[i], err);
    }
    if (s->in_batch) {
        /* A failed put leaves the batch's earlier puts in place. */
        if (rc != SN_OK)
            sqlite3_exec(s->db, "ROLLBACK TO put", NULL, NULL, NULL);
        sqlite3_exec(s->db, "RELEASE put", NULL, NULL, NULL);
        return rc;
    }
    if (rc == SN_OK)
        rc = exec(s, "COMMIT", err);
    if (rc != SN_OK)
        rollback(s);
    return rc;
}

static sn_status sq_begin(sn_store *base, sn_error *err)
{
    sq_store *s = (sq_store *)base;
    if (s->in_batch)
        return SN_OK;
    sn_status rc = exec(s, "BEGIN IMMEDIATE", err);
    s->in_batch = rc == SN_OK;
    return rc;
}

static sn_status sq_commit(sn_store *base, sn_error *err)
{
    sq_store *s = (sq_store *)base;
    if (!s->in_batch)
        return SN_OK;
    s->in_batch = false;
    sn_status rc = exec(s, "COMMIT", err);
    if (rc != SN_OK)
        rollback(s);
    return rc;
}

/* ---- reads ---- */

static sn_status sq_each_event(sn_store *base, int64_t after_seq, sn_store_event_fn fn, void *ctx,
                               sn_error *err)
{
    sq_store *s = (sq_store *)base;
    sqlite3_stmt *st;
    sn_status rc = prepare(s,
                           "SELECT seq, key_id, user_token, record FROM events WHERE seq > ? "
                           "ORDER BY seq",
                           &st, err);
    if (rc != SN_OK)
        return rc;
    sqlite3_bind_int64(st, 1, after_seq);
    sn_buf pt;
    sn_buf_init(&pt);
    int step;
    while (rc == SN_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t seq = sqlite3_column_int64(st, 0);
        const sn_store_key *k = key_for(s, (const char *)sqlite3_column_text(st, 1), err);
        if (!k) {
            rc = SN_ERR_SECRET;
            break;
        }
        const char *token = (const char *)sqlite3_column_text(st, 2);
        sn_buf_reset(&pt);
        if (sn__store_open_field(k, aad(s, "events.record", seq, token ? token : ""),
                                 sqlite3_column_blob(st, 3), (size_t)sqlite3_column_bytes(st, 3),
                                 &pt) != SN_OK) {
            rc = sn_error_set(err, SN_ERR_CRYPTO, true, s->path, 0, NULL,
                              "event %lld does not decrypt: wrong key or a modified row",
                              (long long)seq);
            break;
        }
        sn_event ev;
        const char *id;
        size_t id_len;
        if (!sn__store_event_decode((const uint8_t *)pt.data, pt.len, &ev, &id, &id_len)) {
            rc = sn_error_set(err, SN_ERR_STORE, true, s->path, 0, NULL,
                              "event %lld is not a valid record", (long long)seq);
            break;
        }
        char idbuf[512];
        snprintf(idbuf, sizeof(idbuf), "%.*s", (int)id_len, id);
        if (fn(ctx, seq, &ev, idbuf))
            rc = SN_ERR_USAGE;
    }
    if (rc == SN_OK && step != SQLITE_DONE)
        rc = db_fail(s, err, "cannot read events");
    sqlite3_finalize(st);
    sn_buf_free(&pt);
    return rc;
}

static sn_status sq_recent_verdicts(sn_store *base, size_t limit, bool anomalies_only,
                                    sn_store_json_fn fn, void *ctx, sn_error *err)
{
    sq_store *s = (sq_store *)base;
    sqlite3_stmt *st;
    sn_status rc = prepare(s,
                           "SELECT seq, key_id, user_token, body FROM (SELECT * FROM verdicts "
                           "WHERE is_anomaly >= ? ORDER BY seq DESC LIMIT ?) ORDER BY seq",
                           &st, err);
    if (rc != SN_OK)
        return rc;
    sqlite3_bind_int(st, 1, anomalies_only ? 1 : 0);
    sqlite3_bind_int64(st, 2, (int64_t)limit);
    sn_buf pt;
    sn_buf_init(&pt);
    int step;
    while (rc == SN_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t seq = sqlite3_column_int64(st, 0);
        const sn_store_key *k = key_for(s, (const char *)sqlite3_column_text(st, 1), err);
        if (!k) {
            rc = SN_ERR_SECRET;
            break;
        }
        const char *token = (const char *)sqlite3_column_text(st, 2);
        sn_buf_reset(&pt);
        if (sn__store_open_field(k, aad(s, "verdicts.body", seq, token ? token : ""),
                                 sqlite3_column_blob(st, 3), (size_t)sqlite3_column_bytes(st, 3),
                                 &pt) != SN_OK) {
            rc = sn_error_set(err, SN_ERR_CRYPTO, true, s->path, 0, NULL,
                              "verdict %lld does not decrypt: wrong key or a modified row",
                              (long long)seq);
            break;
        }
        if (fn(ctx, seq, pt.data, pt.len))
            rc = SN_ERR_USAGE;
    }
    if (rc == SN_OK && step != SQLITE_DONE)
        rc = db_fail(s, err, "cannot read verdicts");
    sqlite3_finalize(st);
    sn_buf_free(&pt);
    return rc;
}

/* ---- snapshots and models ---- */

static sn_status sq_put_snapshot(sn_store *base, const void *data, size_t len, int64_t through_seq,
                                 sn_error *err)
{
    sq_store *s = (sq_store *)base;
    sn_buf sealed;
    sn_buf_init(&sealed);
    sn_status rc = sn__store_seal(&s->cur, aad(s, "baselines.body", through_seq, "engine"), data,
                                  len, &sealed);
    sqlite3_stmt *st = NULL;
    if (rc != SN_OK) {
        sn_buf_free(&sealed);
        return sn_error_set(err, rc, true, s->path, 0, NULL, "cannot seal the baselines");
    }
    if (len > INT32_MAX - 64) {
        sn_buf_free(&sealed);
        return sn_error_set(err, SN_ERR_LIMIT, true, s->path, 0, NULL,
                            "the baselines are too large to store (%zu bytes)", len);
    }
    rc = prepare(s,
                 "INSERT OR REPLACE INTO baselines(scope, subject_token, through_seq, updated_at,"
                 " key_id, body) VALUES('engine', '', ?, ?, ?, ?)",
                 &st, err);
    if (rc == SN_OK) {
        sqlite3_bind_int64(st, 1, through_seq);
        sqlite3_bind_int64(st, 2, now_s());
        sqlite3_bind_text(st, 3, s->cur.id, -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 4, sealed.data, (int)sealed.len, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = db_fail(s, err, "cannot store the baselines");
    }
    sqlite3_finalize(st);
    sn_buf_free(&sealed);
    return rc;
}

static sn_status sq_get_snapshot(sn_store *base, sn_buf *out, int64_t *through_seq, sn_error *err)
{
    sq_store *s = (sq_store *)base;
    sqlite3_stmt *st;
    sn_status rc = prepare(s,
                           "SELECT through_seq, key_id, body FROM baselines WHERE scope='engine'"
                           " AND subject_token=''",
                           &st, err);
    if (rc != SN_OK)
        return rc;
    int step = sqlite3_step(st);
    if (step == SQLITE_DONE) {
        rc = SN_EOF;
    } else if (step != SQLITE_ROW) {
        rc = db_fail(s, err, "cannot read the baselines");
    } else {
        int64_t through = sqlite3_column_int64(st, 0);
        const sn_store_key *k = key_for(s, (const char *)sqlite3_column_text(st, 1), err);
        if (!k)
            rc = SN_ERR_SECRET;
        else if (sn__store_open_field(k, aad(s, "baselines.body", through, "engine"),
                                      sqlite3_column_blob(st, 2),
                                      (size_t)sqlite3_column_bytes(st, 2), out) != SN_OK)
            rc = sn_error_set(err, SN_ERR_CRYPTO, true, s->path, 0, NULL,
                              "the stored baselines do not decrypt: wrong key or modified");
        *through_seq = through;
    }
    sqlite3_finalize(st);
    return rc;
}

static sn_status sq_register_model(sn_store *base, const char *path, const char *sha256_hex,
                                   uint64_t events, int64_t trained_at, sn_error *err)
{
    sq_store *s = (sq_store *)base;
    sn_status rc = exec(s, "BEGIN IMMEDIATE; UPDATE models SET active=0", err);
    sqlite3_stmt *st = NULL;
    if (rc == SN_OK)
        rc = prepare(s,
                     "INSERT INTO models(path, sha256, events, trained_at, registered_at, active)"
                     " VALUES(?,?,?,?,?,1)",
                     &st, err);
    if (rc == SN_OK) {
        sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, sha256_hex, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, (int64_t)events);
        sqlite3_bind_int64(st, 4, trained_at);
        sqlite3_bind_int64(st, 5, now_s());
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = db_fail(s, err, "cannot register the model");
    }
    sqlite3_finalize(st);
    if (rc == SN_OK)
        rc = exec(s, "COMMIT", err);
    if (rc != SN_OK)
        rollback(s);
    return rc;
}

/* ---- a person's records: export and erasure ---- */

/* The user's tokens under every key given (two during a rotation). */
static sn_status user_tokens(sq_store *s, const char *user_id, char cur[65], char old[65],
                             sn_error *err)
{
    if (sn__store_token(&s->cur, user_id, strlen(user_id), cur) != SN_OK ||
        sn__store_token(s->has_old ? &s->old : &s->cur, user_id, strlen(user_id), old) != SN_OK)
        return sn_error_set(err, SN_ERR_CRYPTO, true, s->path, 0, NULL, "cannot make a token");
    return SN_OK;
}

static sn_status export_sealed(sq_store *s, const char *sql, const char *table_col,
                               const char *tok1, const char *tok2, const char *user_id, bool events,
                               sn_buf *json, sn_error *err)
{
    sqlite3_stmt *st;
    sn_status rc = prepare(s, sql, &st, err);
    if (rc != SN_OK)
        return rc;
    sqlite3_bind_text(st, 1, tok1, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, tok2, -1, SQLITE_STATIC);
    sn_buf pt;
    sn_buf_init(&pt);
    int step, first = 1;
    while (rc == SN_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t seq = sqlite3_column_int64(st, 0);
        const sn_store_key *k = key_for(s, (const char *)sqlite3_column_text(st, 1), err);
        if (!k) {
            rc = SN_ERR_SECRET;
            break;
        }
        const char *token = (const char *)sqlite3_column_text(st, 2);
        sn_buf_reset(&pt);
        if (sn__store_open_field(k, aad(s, table_col, seq, token ? token : ""),
                                 sqlite3_column_blob(st, 3), (size_t)sqlite3_column_bytes(st, 3),
                                 &pt) != SN_OK) {
            rc = sn_error_set(err, SN_ERR_CRYPTO, true, s->path, 0, NULL,
                              "row %lld of %s does not decrypt: wrong key or a modified row",
                              (long long)seq, table_col);
            break;
        }
        if (!first)
            sn_buf_putc(json, ',');
        first = 0;
        if (events) {
            sn_event ev;
            const char *id;
            size_t id_len;
            if (!sn__store_event_decode((const uint8_t *)pt.data, pt.len, &ev, &id, &id_len) ||
                ev.user_id.n != strlen(user_id) || memcmp(ev.user_id.p, user_id, ev.user_id.n)) {
                rc = sn_error_set(err, SN_ERR_STORE, true, s->path, 0, NULL,
                                  "event %lld is not a valid record of this user", (long long)seq);
                break;
            }
            sn__store_event_json(json, &ev, id, id_len);
        } else {
            sn_buf_append(json, pt.data, pt.len);
        }
    }
    if (rc == SN_OK && step != SQLITE_DONE)
        rc = db_fail(s, err, "cannot read the user's records");
    if (pt.data)
        memset(pt.data, 0, pt.cap);
    sn_buf_free(&pt);
    sqlite3_finalize(st);
    return rc;
}

static sn_status sq_export_user(sn_store *base, const char *user_id, sn_buf *json, sn_error *err)
{
    sq_store *s = (sq_store *)base;
    char t1[65], t2[65];
    sn_status rc = user_tokens(s, user_id, t1, t2, err);
    if (rc != SN_OK)
        return rc;
    /* One read transaction, so that the document is one consistent view. */
    if ((rc = exec(s, "BEGIN", err)) != SN_OK)
        return rc;
    sn_buf_puts(json, "{\"user_id\":");
    sn_buf_json_str(json, user_id, strlen(user_id));
    sn_buf_puts(json, ",\"events\":[");
    rc = export_sealed(s,
                       "SELECT seq, key_id, user_token, record FROM events WHERE user_token IN "
                       "(?,?) ORDER BY seq",
                       "events.record", t1, t2, user_id, true, json, err);
    sn_buf_puts(json, "],\"verdicts\":[");
    if (rc == SN_OK)
        rc = export_sealed(s,
                           "SELECT seq, key_id, user_token, body FROM verdicts WHERE seq IN "
                           "(SELECT seq FROM events WHERE user_token IN (?,?)) ORDER BY seq",
                           "verdicts.body", t1, t2, user_id, false, json, err);
    sn_buf_puts(json, "],\"alerts\":[");
    sqlite3_stmt *st = NULL;
    if (rc == SN_OK)
        rc = prepare(s,
                     "SELECT event_id, ts_us, risk_score, risk_level, status, created_at FROM "
                     "alerts WHERE user_token IN (?,?) ORDER BY seq",
                     &st, err);
    if (rc == SN_OK) {
        sqlite3_bind_text(st, 1, t1, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, t2, -1, SQLITE_STATIC);
        for (int first = 1; sqlite3_step(st) == SQLITE_ROW; first = 0) {
            const char *id = (const char *)sqlite3_column_text(st, 0);
            char ts[32];
            sn_format_timestamp(sqlite3_column_int64(st, 1), ts);
            sn_buf_puts(json, first ? "{\"event_id\":" : ",{\"event_id\":");
            sn_buf_json_str(json, id ? id : "", id ? strlen(id) : 0);
            sn_buf_printf(json, ",\"timestamp\":\"%s\",\"risk_score\":", ts);
            sn_buf_fixed(json, sqlite3_column_double(st, 2), 2);
            sn_buf_printf(json, ",\"risk_level\":\"%s\",\"status\":\"%s\",\"created_at\":%lld}",
                          (const char *)sqlite3_column_text(st, 3),
                          (const char *)sqlite3_column_text(st, 4),
                          (long long)sqlite3_column_int64(st, 5));
        }
    }
    sqlite3_finalize(st);
    st = NULL;
    sn_buf_puts(json, "],\"baselines\":[");
    if (rc == SN_OK)
        rc = prepare(s,
                     "SELECT scope, updated_at, length(body) FROM baselines WHERE subject_token IN "
                     "(?,?)",
                     &st, err);
    if (rc == SN_OK) {
        sqlite3_bind_text(st, 1, t1, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, t2, -1, SQLITE_STATIC);
        for (int first = 1; sqlite3_step(st) == SQLITE_ROW; first = 0)
            sn_buf_printf(json, "%s{\"scope\":\"%s\",\"updated_at\":%lld,\"bytes\":%lld}",
                          first ? "" : ",", (const char *)sqlite3_column_text(st, 0),
                          (long long)sqlite3_column_int64(st, 1),
                          (long long)sqlite3_column_int64(st, 2));
    }
    sqlite3_finalize(st);
    sn_buf_puts(json, "]}");
    exec(s, "COMMIT", NULL);
    if (rc == SN_OK && json->failed)
        rc = sn_error_set(err, SN_ERR_NOMEM, true, s->path, 0, NULL, "out of memory");
    return rc;
}

static sn_status delete_where(sq_store *s, const char *sql, const char *a, const char *b,
                              int64_t ts, int64_t *count, sn_error *err)
{
    sqlite3_stmt *st;
    sn_status rc = prepare(s, sql, &st, err);
    if (rc != SN_OK)
        return rc;
    if (a) {
        sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
    } else {
        sqlite3_bind_int64(st, 1, ts);
    }
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = db_fail(s, err, "cannot delete");
    else
        *count += sqlite3_changes(s->db);
    sqlite3_finalize(st);
    return rc;
}

static sn_status log_privacy(sq_store *s, const char *action, const sn_store_counts *c,
                             const char *detail, sn_error *err)
{
    sqlite3_stmt *st;
    sn_status rc = prepare(s,
                           "INSERT INTO privacy_log(at, action, events, verdicts, alerts, "
                           "baselines, detail) VALUES(?,?,?,?,?,?,?)",
                           &st, err);
    if (rc != SN_OK)
        return rc;
    sqlite3_bind_int64(st, 1, now_s());
    sqlite3_bind_text(st, 2, action, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, c->events);
    sqlite3_bind_int64(st, 4, c->verdicts);
    sqlite3_bind_int64(st, 5, c->alerts);
    sqlite3_bind_int64(st, 6, c->baselines);
    sqlite3_bind_text(st, 7, detail, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = db_fail(s, err, "cannot record the erasure");
    sqlite3_finalize(st);
    return rc;
}

static sn_status sq_forget_user(sn_store *base, const char *user_id, sn_store_counts *c,
                                sn_error *err)
{
    sq_store *s = (sq_store *)base;
    sn_store_counts local = {0};
    if (!c)
        c = &local;
    memset(c, 0, sizeof(*c));
    char t1[65], t2[65];
    sn_status rc = user_tokens(s, user_id, t1, t2, err);
    if (rc == SN_OK)
        rc = exec(s, "BEGIN IMMEDIATE", err);
    if (rc != SN_OK)
        return rc;
    /* Verdicts share their event's sequence number and are found through it (one index on
     * the token, not two). */
    if (rc == SN_OK)
        rc = delete_where(s,
                          "DELETE FROM verdicts WHERE seq IN (SELECT seq FROM events WHERE "
                          "user_token IN (?,?))",
                          t1, t2, 0, &c->verdicts, err);
    if (rc == SN_OK)
        rc = delete_where(s, "DELETE FROM events WHERE user_token IN (?,?)", t1, t2, 0, &c->events,
                          err);
    if (rc == SN_OK)
        rc = delete_where(s, "DELETE FROM alerts WHERE user_token IN (?,?)", t1, t2, 0, &c->alerts,
                          err);
    if (rc == SN_OK)
        rc = delete_where(s, "DELETE FROM baselines WHERE subject_token IN (?,?)", t1, t2, 0,
                          &c->baselines, err);
    /* Counts only: the log says that a person was erased, never who. */
    if (rc == SN_OK)
        rc = log_privacy(s, "forget", c, "one person's records", err);
    if (rc == SN_OK)
        rc = exec(s, "COMMIT", err);
    if (rc != SN_OK)
        rollback(s);
    return rc;
}

static sn_status sq_retention(sn_store *base, int64_t before_us, sn_store_counts *c, sn_error *err)
{
    sq_store *s = (sq_store *)base;
    sn_store_counts local = {0};
    if (!c)
        c = &local;
    memset(c, 0, sizeof(*c));
    sn_status rc = exec(s, "BEGIN IMMEDIATE", err);
    if (rc != SN_OK)
        return rc;
    rc = delete_where(s,
                      "DELETE FROM verdicts WHERE seq IN (SELECT seq FROM events WHERE ts_us < ?)",
                      NULL, NULL, before_us, &c->verdicts, err);
    if (rc == SN_OK)
        rc = delete_where(
            s, "DELETE FROM alerts WHERE seq IN (SELECT seq FROM events WHERE ts_us < ?)", NULL,
            NULL, before_us, &c->alerts, err);
    if (rc == SN_OK)
        rc = delete_where(s, "DELETE FROM events WHERE ts_us < ?", NULL, NULL, before_us,
                          &c->events, err);
    char detail[96];
    char ts[32];
    sn_format_timestamp(before_us, ts);
    snprintf(detail, sizeof(detail), "records before %s", ts);
    if (rc == SN_OK)
        rc = log_privacy(s, "retention", c, detail, err);
    if (rc == SN_OK)
        rc = exec(s, "COMMIT", err);
    if (rc != SN_OK)
        rollback(s);
    return rc;
}

static sn_status sq_compact(sn_store *base, sn_error *err)
{
    sq_store *s = (sq_store *)base;
    int log = 0, done = 0;
    int rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, &log, &done);
    if (rc != SQLITE_OK)
        return sn_error_set(err, SN_ERR_STORE, true, s->path, 0, NULL,
                            "cannot checkpoint the journal (another process is reading the "
                            "store?): erased rows may stay in the WAL file until the next "
                            "checkpoint: %s",
                            sqlite3_errmsg(s->db));
    return SN_OK;
}

/* ---- backup ---- */

static sn_status sq_backup(sn_store *base, const char *to, sn_error *err)
{
    sq_store *s = (sq_store *)base;
    struct stat a, b;
    if (stat(to, &b) == 0) {
        if (stat(s->path, &a) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
            return sn_error_set(err, SN_ERR_USAGE, true, to, 0, NULL,
                                "the backup cannot be the store itself");
        return sn_error_set(err, SN_ERR_IO, true, to, 0, NULL,
                            "already exists; a backup never overwrites a file");
    }
    int fd = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return sn_error_set(err, SN_ERR_IO, true, to, 0, NULL, "cannot create: %s",
                            strerror(errno));
    close(fd);
    sqlite3 *dst = NULL;
    sn_status rc = SN_OK;
    if (sqlite3_open(to, &dst) != SQLITE_OK) {
        rc = sn_error_set(err, SN_ERR_IO, true, to, 0, NULL, "cannot open: %s",
                          dst ? sqlite3_errmsg(dst) : "out of memory");
    } else {
        sqlite3_backup *bk = sqlite3_backup_init(dst, "main", s->db, "main");
        if (!bk) {
            rc = sn_error_set(err, SN_ERR_STORE, true, to, 0, NULL, "cannot start the backup: %s",
                              sqlite3_errmsg(dst));
        } else {
            /* Copies in steps, so that writers are held up for one step at a time. */
            int step;
            while ((step = sqlite3_backup_step(bk, 256)) == SQLITE_OK || step == SQLITE_BUSY ||
                   step == SQLITE_LOCKED)
                if (step != SQLITE_OK)
                    sqlite3_sleep(20);
            sqlite3_backup_finish(bk);
            if (step != SQLITE_DONE)
                rc = sn_error_set(err, SN_ERR_STORE, true, to, 0, NULL, "backup failed: %s",
                                  sqlite3_errstr(step));
        }
    }
    sqlite3_close(dst);
    if (rc != SN_OK)
        unlink(to);
    return rc;
}

/* ---- key rotation ---- */

/* Old token -> new token, learned from the events so that verdicts need not be parsed. */
typedef struct token_map {
    sn_strmap *ids;
    char (*next)[65];
    size_t cap;
} token_map;

static const char *token_map_get(const token_map *m, const char *old)
{
    int32_t id = sn_strmap_find(m->ids, old, strlen(old));
    return id >= 0 && (size_t)id < m->cap ? m->next[id] : NULL;
}

static int token_map_put(token_map *m, const char *old, const char *next)
{
    int32_t id = sn_strmap_intern(m->ids, old, strlen(old));
    if (id < 0)
        return -1;
    if ((size_t)id >= m->cap) {
        size_t nc = m->cap ? m->cap * 2 : 256;
        while (nc <= (size_t)id)
            nc *= 2;
        char(*grown)[65] = realloc(m->next, nc * sizeof(*grown));
        if (!grown)
            return -1;
        m->next = grown;
        m->cap = nc;
    }
    snprintf(m->next[id], 65, "%s", next);
    return 0;
}

/* Re-encrypts the next batch rows after *from_seq (advanced past them) that are under the old
 * key, in one transaction. */
static sn_status reseal_batch(sq_store *s, const char *table, const char *col, size_t batch,
                              int64_t *from_seq, token_map *tokens, int64_t *count, int *more,
                              sn_error *err)
{
    char sel[256], upd[256], tc[64];
    snprintf(sel, sizeof(sel),
             "SELECT seq, user_token, %s, key_id=? FROM %s WHERE seq > ? ORDER BY seq LIMIT ?", col,
             table);
    snprintf(upd, sizeof(upd), "UPDATE %s SET key_id=?, user_token=?, %s=? WHERE seq=?", table,
             col);
    snprintf(tc, sizeof(tc), "%s.%s", table, col);
    bool events = !strcmp(table, "events");
    sqlite3_stmt *st = NULL, *up = NULL;
    sn_status rc = exec(s, "BEGIN IMMEDIATE", err);
    if (rc != SN_OK)
        return rc;
    if ((rc = prepare(s, sel, &st, err)) == SN_OK)
        rc = prepare(s, upd, &up, err);
    if (rc == SN_OK) {
        sqlite3_bind_text(st, 1, s->old.id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, *from_seq);
        sqlite3_bind_int64(st, 3, (int64_t)batch);
    }
    sn_buf pt, ct;
    sn_buf_init(&pt);
    sn_buf_init(&ct);
    size_t n = 0, seen = 0;
    while (rc == SN_OK && sqlite3_step(st) == SQLITE_ROW) {
        int64_t seq = sqlite3_column_int64(st, 0);
        *from_seq = seq;
        seen++;
        if (!sqlite3_column_int(st, 3))
            continue; /* already under the new key */
        char old_token[65];
        snprintf(old_token, sizeof(old_token), "%s", (const char *)sqlite3_column_text(st, 1));
        sn_buf_reset(&pt);
        if (sn__store_open_field(&s->old, aad(s, tc, seq, old_token), sqlite3_column_blob(st, 2),
                                 (size_t)sqlite3_column_bytes(st, 2), &pt) != SN_OK) {
            rc = sn_error_set(err, SN_ERR_CRYPTO, true, s->path, 0, NULL,
                              "row %lld of %s does not decrypt with the old key", (long long)seq,
                              table);
            break;
        }
        char new_token[65];
        const char *known = token_map_get(tokens, old_token);
        if (known) {
            snprintf(new_token, sizeof(new_token), "%s", known);
        } else {
            /* The clear user id is inside the sealed field: the event record, or the verdict's
             * JSON. */
            char uid[1024] = "";
            if (events) {
                sn_event ev;
                const char *id;
                size_t idl;
                if (sn__store_event_decode((const uint8_t *)pt.data, pt.len, &ev, &id, &idl))
                    snprintf(uid, sizeof(uid), "%.*s", (int)ev.user_id.n, ev.user_id.p);
            } else {
                json_t *j = json_loadb(pt.data, pt.len, 0, NULL);
                const char *u = json_string_value(json_object_get(j, "user_id"));
                if (u)
                    snprintf(uid, sizeof(uid), "%s", u);
                json_decref(j);
            }
            if (!uid[0] || sn__store_token(&s->cur, uid, strlen(uid), new_token) != SN_OK) {
                rc = sn_error_set(err, SN_ERR_STORE, true, s->path, 0, NULL,
                                  "row %lld of %s has no user id", (long long)seq, table);
                break;
            }
            if (token_map_put(tokens, old_token, new_token) != 0) {
                rc = sn_error_set(err, SN_ERR_NOMEM, true, s->path, 0, NULL, "out of memory");
                break;
            }
        }
        sn_buf_reset(&ct);
        if (sn__store_seal(&s->cur, aad(s, tc, seq, new_token), pt.data, pt.len, &ct) != SN_OK) {
            rc = sn_error_set(err, SN_ERR_CRYPTO, true, s->path, 0, NULL, "cannot seal");
            break;
        }
        sqlite3_reset(up);
        sqlite3_bind_text(up, 1, s->cur.id, -1, SQLITE_STATIC);
        sqlite3_bind_text(up, 2, new_token, -1, SQLITE_STATIC);
        sqlite3_bind_blob(up, 3, ct.data, (int)ct.len, SQLITE_STATIC);
        sqlite3_bind_int64(up, 4, seq);
        if (sqlite3_step(up) != SQLITE_DONE)
            rc = db_fail(s, err, "cannot re-encrypt");
        n++;
    }
    if (pt.data)
        memset(pt.data, 0, pt.cap);
    sn_buf_free(&pt);
    sn_buf_free(&ct);
    sqlite3_finalize(st);
    sqlite3_finalize(up);
    /* Alerts follow their verdict's token (same sequence number). */
    if (rc == SN_OK && !events && !strcmp(table, "verdicts"))
        rc = exec(s,
                  "UPDATE alerts SET user_token=(SELECT v.user_token FROM verdicts v WHERE "
                  "v.seq=alerts.seq) WHERE EXISTS (SELECT 1 FROM verdicts v WHERE v.seq=alerts.seq"
                  " AND v.user_token<>alerts.user_token)",
                  err);
    if (rc == SN_OK)
        rc = exec(s, "COMMIT", err);
    if (rc != SN_OK)
        rollback(s);
    *count += (int64_t)n;
    *more = seen == batch;
    return rc;
}

static sn_status sq_rotate(sn_store *base, size_t batch, sn_store_counts *c, sn_error *err)
{
    sq_store *s = (sq_store *)base;
    sn_store_counts local = {0};
    if (!c)
        c = &local;
    memset(c, 0, sizeof(*c));
    if (!s->has_old || !s->cur.encrypt)
        return sn_error_set(err, SN_ERR_USAGE, true, s->path, 0, NULL,
                            "rotation needs the old and the new key");
    if (!strcmp(s->old.id, s->cur.id))
        return sn_error_set(err, SN_ERR_USAGE, true, s->path, 0, NULL,
                            "the old and the new key are the same");
    token_map map = {.ids = sn_strmap_new()};
    token_map *tokens = &map;
    if (!map.ids)
        return sn_error_set(err, SN_ERR_NOMEM, true, s->path, 0, NULL, "out of memory");
    sn_status rc = SN_OK;
    int more = 1;
    int64_t from = 0;
    while (rc == SN_OK && more)
        rc = reseal_batch(s, "events", "record", batch, &from, tokens, &c->events, &more, err);
    more = 1;
    from = 0;
    while (rc == SN_OK && more)
        rc = reseal_batch(s, "verdicts", "body", batch, &from, tokens, &c->verdicts, &more, err);
    sn_strmap_free(map.ids);
    free(map.next);
    /* The snapshot: sealed under its own row name. */
    if (rc == SN_OK) {
        sn_buf snap;
        sn_buf_init(&snap);
        int64_t through = 0;
        sn_status g = sq_get_snapshot(base, &snap, &through, err);
        if (g == SN_OK) {
            rc = sq_put_snapshot(base, snap.data, snap.len, through, err);
            c->baselines++;
        } else if (g != SN_EOF) {
            rc = g;
        }
        if (snap.data)
            memset(snap.data, 0, snap.cap);
        sn_buf_free(&snap);
    }
    sqlite3_stmt *st = NULL;
    if (rc == SN_OK)
        rc = prepare(s, "UPDATE store_keys SET retired_at=? WHERE key_id=?", &st, err);
    if (rc == SN_OK) {
        sqlite3_bind_int64(st, 1, now_s());
        sqlite3_bind_text(st, 2, s->old.id, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = db_fail(s, err, "cannot retire the old key");
    }
    sqlite3_finalize(st);
    if (rc == SN_OK)
        rc = sq_compact(base, err);
    return rc;
}

static const sn_store_ops sqlite_ops = {
    .name = "sqlite",
    .close = sq_close,
    .put = sq_put,
    .each_event = sq_each_event,
    .recent_verdicts = sq_recent_verdicts,
    .put_snapshot = sq_put_snapshot,
    .get_snapshot = sq_get_snapshot,
    .register_model = sq_register_model,
    .export_user = sq_export_user,
    .forget_user = sq_forget_user,
    .retention = sq_retention,
    .backup = sq_backup,
    .rotate = sq_rotate,
    .last_seq = sq_last_seq,
    .compact = sq_compact,
    .begin = sq_begin,
    .commit = sq_commit,
};

sn_status sn_store_sqlite_open(sn_store **out, const char *path, const sn_store_keys *keys,
                               sn_error *err)
{
    *out = NULL;
    if (strlen(path) >= 4096)
        return sn_error_set(err, SN_ERR_TOO_LONG, true, NULL, 0, NULL, "store path too long");
    sq_store *s = calloc(1, sizeof(*s));
    if (!s)
        return sn_error_set(err, SN_ERR_NOMEM, true, path, 0, NULL, "out of memory");
    s->base.ops = &sqlite_ops;
    snprintf(s->path, sizeof(s->path), "%s", path);
    sn_buf_init(&s->rec);
    sn_buf_init(&s->sealed);
    sn_buf_init(&s->aad_buf);
    sn_status rc = sn__store_key_init(&s->cur, keys && keys->encrypt ? keys->master : NULL);
    if (rc == SN_OK && keys && keys->encrypt && keys->has_old) {
        s->has_old = true;
        rc = sn__store_key_init(&s->old, keys->old_master);
    }
    if (rc != SN_OK) {
        sq_close(&s->base);
        return sn_error_set(err, rc, true, path, 0, NULL, "cannot derive the store keys");
    }
    /* Created owner-only: SQLite gives its WAL and shared-memory files the same permissions. */
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = sn_error_set(err, SN_ERR_IO, true, path, 0, NULL, "cannot open the store: %s",
                          strerror(errno));
        sq_close(&s->base);
        return rc;
    }
    close(fd);
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        rc = sn_error_set(err, SN_ERR_STORE, true, path, 0, NULL, "cannot open the store: %s",
                          s->db ? sqlite3_errmsg(s->db) : "out of memory");
        sq_close(&s->base);
        return rc;
    }
    sqlite3_busy_timeout(s->db, 10000);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode=WAL", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW &&
        strcmp((const char *)sqlite3_column_text(st, 0), "wal") != 0)
        rc = sn_error_set(err, SN_ERR_STORE, true, path, 0, NULL,
                          "cannot switch the store to WAL mode");
    sqlite3_finalize(st);
    if (rc == SN_OK)
        rc = exec(s,
                  "PRAGMA synchronous=FULL; PRAGMA secure_delete=ON; PRAGMA foreign_keys=ON;"
                  " PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;"
                  " PRAGMA wal_autocheckpoint=4096;"
                  " PRAGMA trusted_schema=OFF",
                  err);
    if (rc == SN_OK)
        rc = migrate(s, err);
    if (rc == SN_OK)
        rc = check_keys(s, err);
    if (rc == SN_OK)
        rc = prepare(s,
                     "INSERT INTO events(seq, event_id, user_token, ts_us, stored_at, key_id,"
                     " record) VALUES(?,?,?,?,?,?,?)",
                     &s->ins_event, err);
    if (rc == SN_OK)
        rc = prepare(s,
                     "INSERT INTO verdicts(seq, event_id, user_token, ts_us, risk_score,"
                     " risk_level, is_anomaly, key_id, body) VALUES(?,?,?,?,?,?,?,?,?)",
                     &s->ins_verdict, err);
    if (rc == SN_OK)
        rc = prepare(s,
                     "INSERT INTO alerts(seq, event_id, user_token, ts_us, risk_score,"
                     " risk_level, created_at) VALUES(?,?,?,?,?,?,?)",
                     &s->ins_alert, err);
    if (rc == SN_OK)
        rc = prepare(s, "SELECT coalesce(max(seq), 0) FROM events", &s->max_seq, err);
    if (rc != SN_OK) {
        sq_close(&s->base);
        return rc;
    }
    *out = &s->base;
    return SN_OK;
}
