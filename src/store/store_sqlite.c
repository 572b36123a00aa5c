/* The SQLite store backend: schema and migrations, the key check, durable batched writes of
 * sealed personal fields, reads, snapshots and the model registry (a person's records and
 * retention are in store_sqlite_privacy.c, backup and key rotation in store_sqlite_admin.c).
 *
 * Durability: WAL journal with synchronous=FULL, so a transaction that has returned is in the
 * fsynced WAL: it survives both a killed process and a power loss. */
#include "store_sqlite.h"

#include "../ingest/ingest.h"

#include <errno.h>
#include <fcntl.h>
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

sn_status sn__sq_fail(sq_store *s, sn_error *err, const char *what)
{
    return sn_error_set(err, SN_ERR_STORE, true, s->path, 0, NULL, "%s: %s", what,
                        sqlite3_errmsg(s->db));
}

sn_status sn__sq_exec(sq_store *s, const char *sql, sn_error *err)
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

sn_status sn__sq_prepare(sq_store *s, const char *sql, sqlite3_stmt **st, sn_error *err)
{
    if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK)
        return sn__sq_fail(s, err, "cannot prepare a statement");
    return SN_OK;
}

void sn__sq_rollback(sq_store *s)
{
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

int64_t sn__sq_now(void)
{
    return (int64_t)time(NULL);
}

/* The key a row was sealed with, or NULL (error set) when it was not given. */
const sn_store_key *sn__sq_key_for(sq_store *s, const char *id, sn_error *err)
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

const char *sn__sq_aad(sq_store *s, const char *table_col, int64_t row, const char *token)
{
    sn_buf_reset(&s->aad_buf);
    sn_buf_printf(&s->aad_buf, "%s|%lld|%s", table_col, (long long)row, token);
    return s->aad_buf.failed ? "" : s->aad_buf.data;
}

/* ---- opening, schema, keys ---- */

static sn_status migrate(sq_store *s, sn_error *err)
{
    sqlite3_stmt *st;
    sn_status rc = sn__sq_prepare(s, "PRAGMA user_version", &st, err);
    if (rc != SN_OK)
        return rc;
    int version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    if (version < 0)
        return sn__sq_fail(s, err, "cannot read the schema version");
    if (version > SCHEMA_VERSION)
        return sn_error_set(err, SN_ERR_STORE, true, s->path, 0, NULL,
                            "store schema version %d is newer than this build reads (%d)", version,
                            SCHEMA_VERSION);
    for (int v = version; v < SCHEMA_VERSION; v++) {
        char set[64];
        snprintf(set, sizeof(set), "PRAGMA user_version=%d", v + 1);
        if ((rc = sn__sq_exec(s, "BEGIN IMMEDIATE", err)) != SN_OK)
            return rc;
        if ((rc = sn__sq_exec(s, migrations[v], err)) != SN_OK ||
            (rc = sn__sq_exec(s, set, err)) != SN_OK ||
            (rc = sn__sq_exec(s, "COMMIT", err)) != SN_OK) {
            sn__sq_rollback(s);
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
        rc = sn__sq_prepare(
            s, "INSERT INTO store_keys(key_id, check_value, added_at) VALUES(?,?,?)", &st, err);
    if (rc == SN_OK) {
        sqlite3_bind_text(st, 1, k->id, -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 2, check.data, (int)check.len, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, sn__sq_now());
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = sn__sq_fail(s, err, "cannot record the store key");
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
    sn_status rc =
        sn__sq_prepare(s, "SELECT count(*), sum(key_id='plain') FROM store_keys", &st, err);
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
        return sn__sq_fail(s, err, "cannot read the last event");
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
    int64_t stored = sn__sq_now();
    sn_buf_reset(&s->rec);
    sn__store_event_encode(&s->rec, it->ev, it->event_id);
    sn_buf_reset(&s->sealed);
    sn_status rc = s->rec.failed
                       ? SN_ERR_NOMEM
                       : sn__store_seal(&s->cur, sn__sq_aad(s, "events.record", seq, token),
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
        return sn__sq_fail(s, err, "cannot store an event");
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
                       : sn__store_seal(&s->cur, sn__sq_aad(s, "verdicts.body", seq, token),
                                        s->rec.data, s->rec.len, &s->sealed);
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
        return sn__sq_fail(s, err, "cannot store a verdict");
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
        return sn__sq_fail(s, err, "cannot store an alert");
    return SN_OK;
}

static sn_status sq_put(sn_store *base, const sn_store_item *items, size_t n, sn_error *err)
{
    sq_store *s = (sq_store *)base;
    sn_status rc = s->in_batch ? SN_OK : sn__sq_exec(s, "BEGIN IMMEDIATE", err);
    if (rc != SN_OK)
        return rc;
    if (s->in_batch)
        rc = sn__sq_exec(s, "SAVEPOINT put", err);
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
        rc = sn__sq_exec(s, "COMMIT", err);
    if (rc != SN_OK)
        sn__sq_rollback(s);
    return rc;
}

static sn_status sq_begin(sn_store *base, sn_error *err)
{
    sq_store *s = (sq_store *)base;
    if (s->in_batch)
        return SN_OK;
    sn_status rc = sn__sq_exec(s, "BEGIN IMMEDIATE", err);
    s->in_batch = rc == SN_OK;
    return rc;
}

static sn_status sq_commit(sn_store *base, sn_error *err)
{
    sq_store *s = (sq_store *)base;
    if (!s->in_batch)
        return SN_OK;
    s->in_batch = false;
    sn_status rc = sn__sq_exec(s, "COMMIT", err);
    if (rc != SN_OK)
        sn__sq_rollback(s);
    return rc;
}

/* ---- reads ---- */

/* The current row of st, laid out (seq, key_id, user_token, sealed value): its seq, and the
 * value decrypted into pt (reset first). label is the sealed column ("events.record"), bound
 * into the value's associated data and named in the error. */
sn_status sn__sq_open_row(sq_store *s, sqlite3_stmt *st, const char *label, int64_t *seq,
                          sn_buf *pt, sn_error *err)
{
    *seq = sqlite3_column_int64(st, 0);
    const sn_store_key *k = sn__sq_key_for(s, (const char *)sqlite3_column_text(st, 1), err);
    if (!k)
        return SN_ERR_SECRET;
    const char *token = (const char *)sqlite3_column_text(st, 2);
    sn_buf_reset(pt);
    if (sn__store_open_field(k, sn__sq_aad(s, label, *seq, token ? token : ""),
                             sqlite3_column_blob(st, 3), (size_t)sqlite3_column_bytes(st, 3),
                             pt) != SN_OK)
        return sn_error_set(err, SN_ERR_CRYPTO, true, s->path, 0, NULL,
                            "row %lld of %s does not decrypt: wrong key or a modified row",
                            (long long)*seq, label);
    return SN_OK;
}

static sn_status sq_each_event(sn_store *base, int64_t after_seq, sn_store_event_fn fn, void *ctx,
                               sn_error *err)
{
    sq_store *s = (sq_store *)base;
    sqlite3_stmt *st;
    sn_status rc =
        sn__sq_prepare(s,
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
        int64_t seq;
        if ((rc = sn__sq_open_row(s, st, "events.record", &seq, &pt, err)) != SN_OK)
            break;
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
        rc = sn__sq_fail(s, err, "cannot read events");
    sqlite3_finalize(st);
    sn_buf_free(&pt);
    return rc;
}

static sn_status sq_recent_verdicts(sn_store *base, size_t limit, bool anomalies_only,
                                    sn_store_json_fn fn, void *ctx, sn_error *err)
{
    sq_store *s = (sq_store *)base;
    sqlite3_stmt *st;
    sn_status rc =
        sn__sq_prepare(s,
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
        int64_t seq;
        if ((rc = sn__sq_open_row(s, st, "verdicts.body", &seq, &pt, err)) != SN_OK)
            break;
        if (fn(ctx, seq, pt.data, pt.len))
            rc = SN_ERR_USAGE;
    }
    if (rc == SN_OK && step != SQLITE_DONE)
        rc = sn__sq_fail(s, err, "cannot read verdicts");
    sqlite3_finalize(st);
    sn_buf_free(&pt);
    return rc;
}

/* ---- snapshots and models ---- */

sn_status sn__sq_put_snapshot(sn_store *base, const char *scope, const void *data, size_t len,
                              int64_t through_seq, sn_error *err)
{
    sq_store *s = (sq_store *)base;
    sn_buf sealed;
    sn_buf_init(&sealed);
    sn_status rc = sn__store_seal(&s->cur, sn__sq_aad(s, "baselines.body", through_seq, scope),
                                  data, len, &sealed);
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
    rc = sn__sq_prepare(
        s,
        "INSERT OR REPLACE INTO baselines(scope, subject_token, through_seq, updated_at,"
        " key_id, body) VALUES(?, '', ?, ?, ?, ?)",
        &st, err);
    if (rc == SN_OK) {
        sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, through_seq);
        sqlite3_bind_int64(st, 3, sn__sq_now());
        sqlite3_bind_text(st, 4, s->cur.id, -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 5, sealed.data, (int)sealed.len, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = sn__sq_fail(s, err, "cannot store the baselines");
    }
    sqlite3_finalize(st);
    sn_buf_free(&sealed);
    return rc;
}

sn_status sn__sq_get_snapshot(sn_store *base, const char *scope, sn_buf *out, int64_t *through_seq,
                              sn_error *err)
{
    sq_store *s = (sq_store *)base;
    sqlite3_stmt *st;
    sn_status rc = sn__sq_prepare(s,
                                  "SELECT through_seq, key_id, body FROM baselines WHERE scope=?"
                                  " AND subject_token=''",
                                  &st, err);
    if (rc != SN_OK)
        return rc;
    sqlite3_bind_text(st, 1, scope, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    if (step == SQLITE_DONE) {
        rc = SN_EOF;
    } else if (step != SQLITE_ROW) {
        rc = sn__sq_fail(s, err, "cannot read the baselines");
    } else {
        int64_t through = sqlite3_column_int64(st, 0);
        const sn_store_key *k = sn__sq_key_for(s, (const char *)sqlite3_column_text(st, 1), err);
        if (!k)
            rc = SN_ERR_SECRET;
        else if (sn__store_open_field(k, sn__sq_aad(s, "baselines.body", through, scope),
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
    sn_status rc = sn__sq_exec(s, "BEGIN IMMEDIATE", err);
    sqlite3_stmt *st = NULL;
    /* The active model registered again (a restart) is no new entry. */
    bool same = false;
    if (rc == SN_OK)
        rc = sn__sq_prepare(s, "SELECT 1 FROM models WHERE active=1 AND sha256=? AND path=?", &st,
                            err);
    if (rc == SN_OK) {
        sqlite3_bind_text(st, 1, sha256_hex, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
        same = sqlite3_step(st) == SQLITE_ROW;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (rc == SN_OK && same) {
        sn__sq_exec(s, "COMMIT", NULL);
        return SN_OK;
    }
    if (rc == SN_OK)
        rc = sn__sq_exec(s, "UPDATE models SET active=0", err);
    if (rc == SN_OK)
        rc = sn__sq_prepare(
            s,
            "INSERT INTO models(path, sha256, events, trained_at, registered_at, active)"
            " VALUES(?,?,?,?,?,1)",
            &st, err);
    if (rc == SN_OK) {
        sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, sha256_hex, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, (int64_t)events);
        sqlite3_bind_int64(st, 4, trained_at);
        sqlite3_bind_int64(st, 5, sn__sq_now());
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = sn__sq_fail(s, err, "cannot register the model");
    }
    sqlite3_finalize(st);
    if (rc == SN_OK)
        rc = sn__sq_exec(s, "COMMIT", err);
    if (rc != SN_OK)
        sn__sq_rollback(s);
    return rc;
}

static const sn_store_ops sqlite_ops = {
    .name = "sqlite",
    .close = sq_close,
    .put = sq_put,
    .each_event = sq_each_event,
    .recent_verdicts = sq_recent_verdicts,
    .put_snapshot = sn__sq_put_snapshot,
    .get_snapshot = sn__sq_get_snapshot,
    .register_model = sq_register_model,
    .export_user = sn__sq_export_user,
    .forget_user = sn__sq_forget_user,
    .retention = sn__sq_retention,
    .backup = sn__sq_backup,
    .rotate = sn__sq_rotate,
    .last_seq = sq_last_seq,
    .compact = sn__sq_compact,
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
        rc = sn__sq_exec(s,
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
        rc =
            sn__sq_prepare(s,
                           "INSERT INTO events(seq, event_id, user_token, ts_us, stored_at, key_id,"
                           " record) VALUES(?,?,?,?,?,?,?)",
                           &s->ins_event, err);
    if (rc == SN_OK)
        rc = sn__sq_prepare(s,
                            "INSERT INTO verdicts(seq, event_id, user_token, ts_us, risk_score,"
                            " risk_level, is_anomaly, key_id, body) VALUES(?,?,?,?,?,?,?,?,?)",
                            &s->ins_verdict, err);
    if (rc == SN_OK)
        rc = sn__sq_prepare(s,
                            "INSERT INTO alerts(seq, event_id, user_token, ts_us, risk_score,"
                            " risk_level, created_at) VALUES(?,?,?,?,?,?,?)",
                            &s->ins_alert, err);
    if (rc == SN_OK)
        rc = sn__sq_prepare(s, "SELECT coalesce(max(seq), 0) FROM events", &s->max_seq, err);
    if (rc != SN_OK) {
        sq_close(&s->base);
        return rc;
    }
    *out = &s->base;
    return SN_OK;
}
