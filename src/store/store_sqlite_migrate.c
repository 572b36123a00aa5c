/* The SQLite backend's schema: created whole in a new store, and reached from version 1 by a
 * migration that re-encodes every row.
 *
 * Version 1 kept an event and its verdict in two tables (events.record and verdicts.body, one
 * row and one sealing each, the verdict as JSON text) with hex lookup tokens and an index on
 * them. Version 2 keeps blocks of consecutive events (event_blocks): the events' and verdicts'
 * records sealed together under one nonce, a 16-byte token per event, the key's number instead
 * of its id, and no index on the tokens. */
#include "store_sqlite.h"

#include <stdio.h>
#include <string.h>

#define EVENT_BLOCKS_COLUMNS                                                                       \
    "(first_seq INTEGER PRIMARY KEY, last_seq INTEGER NOT NULL, events INTEGER NOT NULL,"          \
    " verdicts INTEGER NOT NULL, min_ts INTEGER NOT NULL, max_ts INTEGER NOT NULL,"                \
    " key_no INTEGER NOT NULL, user_tokens BLOB NOT NULL, record BLOB NOT NULL)"
#define ALERTS_COLUMNS                                                                             \
    "(seq INTEGER PRIMARY KEY, event_id TEXT NOT NULL, user_token BLOB NOT NULL,"                  \
    " ts_us INTEGER NOT NULL, risk_score REAL NOT NULL, risk_level TEXT NOT NULL,"                 \
    " status TEXT NOT NULL DEFAULT 'open', created_at INTEGER NOT NULL)"
#define STORE_KEYS_COLUMNS                                                                         \
    "(key_no INTEGER PRIMARY KEY, key_id TEXT NOT NULL UNIQUE, check_value BLOB NOT NULL,"         \
    " added_at INTEGER NOT NULL, retired_at INTEGER)"

static const char schema_v2[] =
    "CREATE TABLE store_keys" STORE_KEYS_COLUMNS ";"
    "CREATE TABLE event_blocks" EVENT_BLOCKS_COLUMNS ";"
    "CREATE TABLE alerts" ALERTS_COLUMNS ";"
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
    " baselines INTEGER NOT NULL, detail TEXT);";

#define SET_VERSION_2 "PRAGMA user_version=2"

/* The version read again once the write lock is held: another process may have moved it on. */
static int locked_version(sq_store *s)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return -1;
    int v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    return v;
}

sn_status sn__sq_create_schema(sq_store *s, sn_error *err)
{
    sn_status rc = sn__sq_exec(s, "BEGIN IMMEDIATE", err);
    if (rc != SN_OK)
        return rc;
    if (locked_version(s) == 0 && ((rc = sn__sq_exec(s, schema_v2, err)) != SN_OK ||
                                   (rc = sn__sq_exec(s, SET_VERSION_2, err)) != SN_OK)) {
        sn__sq_rollback(s);
        return rc;
    }
    if ((rc = sn__sq_exec(s, "COMMIT", err)) != SN_OK)
        sn__sq_rollback(s);
    return rc;
}

/* The writable key behind a row's key id (the migration seals with it again). */
static sn_store_key *row_key(sq_store *s, const char *id, int64_t *key_no, sn_error *err)
{
    const sn_store_key *k = sn__sq_key_for(s, id, err);
    if (!k)
        return NULL;
    *key_no = k == &s->cur ? s->cur_no : s->old_no;
    return k == &s->cur ? &s->cur : &s->old;
}

typedef struct migration {
    sn_buf event, verdict, id;
    sq_block block;
    sn_store_key *block_key; /* the key of the block being filled (NULL: none) */
} migration;

static sn_status flush_block(sq_store *s, migration *m, sn_error *err)
{
    if (!m->block_key)
        return SN_OK;
    sn_status rc = sn__sq_block_write(s, &m->block, m->block_key, false, err);
    m->block_key = NULL;
    return rc;
}

/* The current row of sel (seq, event key id, event token, record, verdict key id, verdict token,
 * body) added to the block being filled: blocks of consecutive events under one key. */
static sn_status migrate_row(sq_store *s, sqlite3_stmt *sel, migration *m, sn_error *err)
{
    int64_t seq = sqlite3_column_int64(sel, 0), key_no = 0, unused = 0;
    const char *tok = (const char *)sqlite3_column_text(sel, 2);
    sn_store_key *k = row_key(s, (const char *)sqlite3_column_text(sel, 1), &key_no, err);
    if (!k)
        return SN_ERR_SECRET;
    const char *aad = sn__sq_aad(s, "events.record", seq, tok ? tok : "");
    sn_buf_reset(&m->event);
    sn_event ev;
    sn_str event_id;
    if (sn__store_open_field(k, aad, strlen(aad), sqlite3_column_blob(sel, 3),
                             (size_t)sqlite3_column_bytes(sel, 3), &m->event) != SN_OK)
        return sn_error_set(err, SN_ERR_CRYPTO, true, s->path, 0, NULL,
                            "row %lld of events does not decrypt: wrong key or a modified row",
                            (long long)seq);
    if (!sn__store_event_decode_v1((const uint8_t *)m->event.data, m->event.len, &ev, &event_id))
        return sn_error_set(err, SN_ERR_STORE, true, s->path, 0, NULL,
                            "event %lld is not a valid record", (long long)seq);
    sn_buf_reset(&m->id);
    sn_buf_append(&m->id, event_id.p ? event_id.p : "", event_id.n);
    sn_verdict v = {0};
    sn_store_item it = {.ev = &ev, .event_id = m->id.data ? m->id.data : ""};
    if (sqlite3_column_type(sel, 6) != SQLITE_NULL) {
        const char *vtok = (const char *)sqlite3_column_text(sel, 5);
        const sn_store_key *vk =
            row_key(s, (const char *)sqlite3_column_text(sel, 4), &unused, err);
        if (!vk)
            return SN_ERR_SECRET;
        aad = sn__sq_aad(s, "verdicts.body", seq, vtok ? vtok : "");
        sn_buf_reset(&m->verdict);
        if (sn__store_open_field(vk, aad, strlen(aad), sqlite3_column_blob(sel, 6),
                                 (size_t)sqlite3_column_bytes(sel, 6), &m->verdict) != SN_OK ||
            !m->verdict.len)
            return sn_error_set(err, SN_ERR_CRYPTO, true, s->path, 0, NULL,
                                "row %lld of verdicts does not decrypt: wrong key or a modified "
                                "row",
                                (long long)seq);
        /* The verdict stays the JSON text it was. */
        it.verdict = &v;
        it.verdict_json = m->verdict.data;
        it.verdict_json_len = m->verdict.len;
    }
    unsigned char token[SN_STORE_TOKEN_LEN];
    if (sn__store_token(k, ev.user_id.p, ev.user_id.n, token) != SN_OK)
        return sn_error_set(err, SN_ERR_CRYPTO, true, s->path, 0, NULL, "cannot make a token");
    sn_buf_reset(&s->rec);
    sn__store_record_encode(&s->rec, &it);
    sn_status rc = SN_OK;
    if (m->block_key &&
        (m->block_key != k || sn__sq_block_full(&m->block, s->rec.len, s->block_bytes)))
        rc = flush_block(s, m, err);
    if (rc == SN_OK && !m->block_key) {
        sn__sq_block_start(&m->block, seq, key_no);
        m->block_key = k;
    }
    if (rc == SN_OK && (m->id.failed || !sn__sq_block_add(&m->block, seq, token, &it, &s->rec)))
        rc = sn_error_set(err, SN_ERR_NOMEM, true, s->path, 0, NULL, "out of memory");
    return rc;
}

static sn_status migrate_events(sq_store *s, sn_error *err)
{
    sqlite3_stmt *sel = NULL;
    sn_status rc = sn__sq_prepare(s,
                                  "SELECT e.seq, e.key_id, e.user_token, e.record, v.key_id,"
                                  " v.user_token, v.body FROM events e LEFT JOIN verdicts v"
                                  " ON v.seq = e.seq ORDER BY e.seq",
                                  &sel, err);
    migration m = {0};
    sn_buf_init(&m.event);
    sn_buf_init(&m.verdict);
    sn_buf_init(&m.id);
    sn__sq_block_init(&m.block);
    int step = SQLITE_DONE;
    while (rc == SN_OK && (step = sqlite3_step(sel)) == SQLITE_ROW)
        rc = migrate_row(s, sel, &m, err);
    if (rc == SN_OK && step != SQLITE_DONE)
        rc = sn__sq_fail(s, err, "cannot read the events to migrate");
    if (rc == SN_OK)
        rc = flush_block(s, &m, err);
    sqlite3_finalize(sel);
    sn_buf *bufs[] = {&m.event, &m.verdict, &m.id};
    for (size_t i = 0; i < 3; i++) {
        if (bufs[i]->data)
            memset(bufs[i]->data, 0, bufs[i]->cap);
        sn_buf_free(bufs[i]);
    }
    sn__sq_block_free(&m.block);
    return rc;
}

/* Alerts keep their rows; their hex tokens become the 16 bytes they spell. */
static sn_status migrate_alerts(sq_store *s, sn_error *err)
{
    sqlite3_stmt *sel = NULL, *ins = NULL;
    sn_status rc = sn__sq_prepare(s,
                                  "SELECT seq, event_id, user_token, ts_us, risk_score, risk_level,"
                                  " status, created_at FROM alerts ORDER BY seq",
                                  &sel, err);
    if (rc == SN_OK)
        rc = sn__sq_prepare(s, "INSERT INTO alerts_v2 VALUES(?,?,?,?,?,?,?,?)", &ins, err);
    int step = SQLITE_DONE;
    while (rc == SN_OK && (step = sqlite3_step(sel)) == SQLITE_ROW) {
        const char *hex = (const char *)sqlite3_column_text(sel, 2);
        unsigned char token[SN_STORE_TOKEN_LEN];
        bool ok = hex && strlen(hex) == 2 * SN_STORE_TOKEN_LEN;
        for (int i = 0; ok && i < 2 * SN_STORE_TOKEN_LEN; i++) {
            char c = hex[i];
            int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            ok = d >= 0;
            if (ok)
                token[i / 2] = (unsigned char)(i % 2 ? (token[i / 2] | d) : d << 4);
        }
        if (!ok) {
            rc = sn_error_set(err, SN_ERR_STORE, true, s->path, 0, NULL,
                              "alert %lld has no valid lookup token",
                              (long long)sqlite3_column_int64(sel, 0));
            break;
        }
        sqlite3_reset(ins);
        for (int c = 0; c < 8; c++)
            if (c == 2)
                sqlite3_bind_blob(ins, 3, token, SN_STORE_TOKEN_LEN, SQLITE_TRANSIENT);
            else
                sqlite3_bind_value(ins, c + 1, sqlite3_column_value(sel, c));
        if (sqlite3_step(ins) != SQLITE_DONE)
            rc = sn__sq_fail(s, err, "cannot migrate an alert");
    }
    if (rc == SN_OK && step != SQLITE_DONE)
        rc = sn__sq_fail(s, err, "cannot read the alerts to migrate");
    sqlite3_finalize(sel);
    sqlite3_finalize(ins);
    return rc;
}

sn_status sn__sq_migrate_v1(sq_store *s, sn_error *err)
{
    sn_status rc = sn__sq_exec(s, "BEGIN IMMEDIATE", err);
    if (rc != SN_OK)
        return rc;
    if (locked_version(s) != 1)
        return sn__sq_exec(s, "COMMIT", err);
    /* Keys get numbers in the order they were added. */
    rc = sn__sq_exec(s,
                     "CREATE TABLE store_keys_v2" STORE_KEYS_COLUMNS ";"
                     "INSERT INTO store_keys_v2(key_id, check_value, added_at, retired_at)"
                     " SELECT key_id, check_value, added_at, retired_at FROM store_keys"
                     " ORDER BY added_at, rowid;"
                     "DROP TABLE store_keys;"
                     "ALTER TABLE store_keys_v2 RENAME TO store_keys;"
                     "CREATE TABLE event_blocks" EVENT_BLOCKS_COLUMNS ";"
                     "CREATE TABLE alerts_v2" ALERTS_COLUMNS ";",
                     err);
    if (rc == SN_OK)
        rc = sn__sq_load_key_numbers(s, err);
    if (rc == SN_OK)
        rc = sn__sq_prepare(s, SN_SQ_INSERT_BLOCK, &s->ins_block, err);
    if (rc == SN_OK)
        rc = migrate_events(s, err);
    if (rc == SN_OK)
        rc = migrate_alerts(s, err);
    if (rc == SN_OK)
        rc = sn__sq_exec(s,
                         "DROP TABLE verdicts;"
                         "DROP TABLE events;"
                         "DROP TABLE alerts;"
                         "ALTER TABLE alerts_v2 RENAME TO alerts;"
                         "CREATE INDEX alerts_user ON alerts(user_token);" SET_VERSION_2,
                         err);
    if (rc == SN_OK)
        rc = sn__sq_exec(s, "COMMIT", err);
    if (rc != SN_OK)
        sn__sq_rollback(s);
    return rc;
}
