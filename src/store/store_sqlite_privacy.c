/* The SQLite backend's side of privacy: one person's records exported and erased without
 * trace, the retention policy, and emptying the journal of deleted content. */
#include "store_sqlite.h"

#include "../ingest/ingest.h"

#include <stdio.h>
#include <string.h>

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
    sn_status rc = sn__sq_prepare(s, sql, &st, err);
    if (rc != SN_OK)
        return rc;
    sqlite3_bind_text(st, 1, tok1, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, tok2, -1, SQLITE_STATIC);
    sn_buf pt;
    sn_buf_init(&pt);
    int step, first = 1;
    while (rc == SN_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t seq;
        if ((rc = sn__sq_open_row(s, st, table_col, &seq, &pt, err)) != SN_OK)
            break;
        if (!first)
            sn_buf_putc(json, ',');
        first = 0;
        if (events) {
            sn_event ev;
            const char *id;
            size_t id_len;
            if (!sn__store_event_decode((const uint8_t *)pt.data, pt.len, &ev, &id, &id_len) ||
                ev.user_id.n != strlen(user_id) ||
                memcmp(ev.user_id.p, user_id, ev.user_id.n) != 0) {
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
        rc = sn__sq_fail(s, err, "cannot read the user's records");
    if (pt.data)
        memset(pt.data, 0, pt.cap);
    sn_buf_free(&pt);
    sqlite3_finalize(st);
    return rc;
}

sn_status sn__sq_export_user(sn_store *base, const char *user_id, sn_buf *json, sn_error *err)
{
    sq_store *s = (sq_store *)base;
    char t1[65], t2[65];
    sn_status rc = user_tokens(s, user_id, t1, t2, err);
    if (rc != SN_OK)
        return rc;
    /* One read transaction, so that the document is one consistent view. */
    if ((rc = sn__sq_exec(s, "BEGIN", err)) != SN_OK)
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
        rc = sn__sq_prepare(
            s,
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
        rc = sn__sq_prepare(
            s,
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
    sn__sq_exec(s, "COMMIT", NULL);
    if (rc == SN_OK && json->failed)
        rc = sn_error_set(err, SN_ERR_NOMEM, true, s->path, 0, NULL, "out of memory");
    return rc;
}

static sn_status delete_where(sq_store *s, const char *sql, const char *a, const char *b,
                              int64_t ts, int64_t *count, sn_error *err)
{
    sqlite3_stmt *st;
    sn_status rc = sn__sq_prepare(s, sql, &st, err);
    if (rc != SN_OK)
        return rc;
    if (a) {
        sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
    } else {
        sqlite3_bind_int64(st, 1, ts);
    }
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = sn__sq_fail(s, err, "cannot delete");
    else
        *count += sqlite3_changes(s->db);
    sqlite3_finalize(st);
    return rc;
}

static sn_status log_privacy(sq_store *s, const char *action, const sn_store_counts *c,
                             const char *detail, sn_error *err)
{
    sqlite3_stmt *st;
    sn_status rc = sn__sq_prepare(s,
                                  "INSERT INTO privacy_log(at, action, events, verdicts, alerts, "
                                  "baselines, detail) VALUES(?,?,?,?,?,?,?)",
                                  &st, err);
    if (rc != SN_OK)
        return rc;
    sqlite3_bind_int64(st, 1, sn__sq_now());
    sqlite3_bind_text(st, 2, action, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, c->events);
    sqlite3_bind_int64(st, 4, c->verdicts);
    sqlite3_bind_int64(st, 5, c->alerts);
    sqlite3_bind_int64(st, 6, c->baselines);
    sqlite3_bind_text(st, 7, detail, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = sn__sq_fail(s, err, "cannot record the erasure");
    sqlite3_finalize(st);
    return rc;
}

sn_status sn__sq_forget_user(sn_store *base, const char *user_id, sn_store_counts *c, sn_error *err)
{
    sq_store *s = (sq_store *)base;
    sn_store_counts local = {0};
    if (!c)
        c = &local;
    memset(c, 0, sizeof(*c));
    char t1[65], t2[65];
    sn_status rc = user_tokens(s, user_id, t1, t2, err);
    if (rc == SN_OK)
        rc = sn__sq_exec(s, "BEGIN IMMEDIATE", err);
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
        rc = sn__sq_exec(s, "COMMIT", err);
    if (rc != SN_OK)
        sn__sq_rollback(s);
    return rc;
}

sn_status sn__sq_retention(sn_store *base, int64_t before_us, sn_store_counts *c, sn_error *err)
{
    sq_store *s = (sq_store *)base;
    sn_store_counts local = {0};
    if (!c)
        c = &local;
    memset(c, 0, sizeof(*c));
    sn_status rc = sn__sq_exec(s, "BEGIN IMMEDIATE", err);
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
        rc = sn__sq_exec(s, "COMMIT", err);
    if (rc != SN_OK)
        sn__sq_rollback(s);
    return rc;
}

sn_status sn__sq_compact(sn_store *base, sn_error *err)
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
