/* The SQLite backend's side of privacy: one person's records exported and erased without
 * trace, the retention policy, and emptying the journal of deleted content. */
#include "store_sqlite.h"

#include "../ingest/ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The blocks that may hold one of two tokens (a match at a position that is not a token's is
 * told apart by the caller): the tokens are read through, there is no index on them. */
#define BLOCKS_WITH_TOKENS                                                                         \
    " FROM event_blocks WHERE instr(user_tokens, ?1) > 0 OR instr(user_tokens, ?2) > 0"

static bool token_is(const sq_entry *e, const unsigned char *t1, const unsigned char *t2)
{
    return !memcmp(e->token, t1, SN_STORE_TOKEN_LEN) || !memcmp(e->token, t2, SN_STORE_TOKEN_LEN);
}

/* ---- a person's records: export and erasure ---- */

/* The user's tokens under every key given (two during a rotation). */
static sn_status user_tokens(sq_store *s, const char *user_id,
                             unsigned char cur[SN_STORE_TOKEN_LEN],
                             unsigned char old[SN_STORE_TOKEN_LEN], sn_error *err)
{
    if (sn__store_token(&s->cur, user_id, strlen(user_id), cur) != SN_OK ||
        sn__store_token(s->has_old ? &s->old : &s->cur, user_id, strlen(user_id), old) != SN_OK)
        return sn_error_set(err, SN_ERR_CRYPTO, true, s->path, 0, NULL, "cannot make a token");
    return SN_OK;
}

static void bind_tokens(sqlite3_stmt *st, const unsigned char *t1, const unsigned char *t2)
{
    sqlite3_bind_blob(st, 1, t1, SN_STORE_TOKEN_LEN, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, t2, SN_STORE_TOKEN_LEN, SQLITE_STATIC);
}

/* The user's events as JSON objects into events, their verdicts into verdicts (each
 * comma-separated), in stored order; each decrypted event must name the user. */
typedef struct export_ctx {
    const unsigned char *t1, *t2;
    const char *user_id;
    sn_buf *events, *verdicts;
    const char *path;
} export_ctx;

static sn_status export_entry(void *ctx, const sq_entry *e, sn_error *err)
{
    export_ctx *c = ctx;
    if (!token_is(e, c->t1, c->t2))
        return SN_OK;
    if (e->ev.user_id.n != strlen(c->user_id) ||
        memcmp(e->ev.user_id.p, c->user_id, e->ev.user_id.n) != 0)
        return sn_error_set(err, SN_ERR_STORE, true, c->path, 0, NULL,
                            "event %lld is not a valid record of this user", (long long)e->seq);
    if (c->events->len)
        sn_buf_putc(c->events, ',');
    sn__store_event_json(c->events, &e->ev, e->event_id);
    if (e->v.kind == SN_STORED_NONE)
        return SN_OK;
    if (c->verdicts->len)
        sn_buf_putc(c->verdicts, ',');
    sn__store_verdict_json(c->verdicts, &e->ev, e->event_id, &e->v);
    return SN_OK;
}

static sn_status export_rows(sq_store *s, const unsigned char *t1, const unsigned char *t2,
                             const char *user_id, sn_buf *events, sn_buf *verdicts, sn_error *err)
{
    /* Every block is opened, not only those whose clear tokens name the user: the tokens are
     * checked by the block's seal, so a damaged or altered row makes the export fail instead of
     * leaving the user's records out of it. */
    sqlite3_stmt *st;
    sn_status rc = sn__sq_prepare(
        s, "SELECT " SN_SQ_BLOCK_COLUMNS " FROM event_blocks ORDER BY first_seq", &st, err);
    if (rc != SN_OK)
        return rc;
    export_ctx c = {t1, t2, user_id, events, verdicts, s->path};
    return sn__sq_each_entry(s, st, export_entry, &c, "read the user's records", err);
}

/* SQLite's own check of the database file: an export reads every block, but damage in a page
 * it never reaches could otherwise hide records without a word. */
static sn_status check_file(sq_store *s, sn_error *err)
{
    sqlite3_stmt *st;
    sn_status rc = sn__sq_prepare(s, "PRAGMA quick_check(1)", &st, err);
    if (rc != SN_OK)
        return rc;
    int step = sqlite3_step(st);
    const char *r = step == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
    if (step != SQLITE_ROW)
        rc = sn__sq_fail(s, err, "cannot check the store");
    else if (!r || strcmp(r, "ok") != 0)
        rc = sn_error_set(err, SN_ERR_STORE, true, s->path, 0, NULL,
                          "the store is damaged (%.200s): restore it from a backup",
                          r ? r : "no answer");
    sqlite3_finalize(st);
    return rc;
}

sn_status sn__sq_export_user(sn_store *base, const char *user_id, sn_buf *json, sn_error *err)
{
    sq_store *s = (sq_store *)base;
    sn_status checked = check_file(s, err);
    if (checked != SN_OK)
        return checked;
    unsigned char t1[SN_STORE_TOKEN_LEN], t2[SN_STORE_TOKEN_LEN];
    sn_status rc = user_tokens(s, user_id, t1, t2, err);
    if (rc != SN_OK)
        return rc;
    /* One read transaction, so that the document is one consistent view. */
    if ((rc = sn__sq_exec(s, "BEGIN", err)) != SN_OK)
        return rc;
    sn_buf events, verdicts;
    sn_buf_init(&events);
    sn_buf_init(&verdicts);
    rc = export_rows(s, t1, t2, user_id, &events, &verdicts, err);
    sn_buf_puts(json, "{\"user_id\":");
    sn_buf_json_str(json, user_id, strlen(user_id));
    sn_buf_puts(json, ",\"events\":[");
    sn_buf_append(json, events.data, events.len);
    sn_buf_puts(json, "],\"verdicts\":[");
    sn_buf_append(json, verdicts.data, verdicts.len);
    sn_buf_puts(json, "],\"alerts\":[");
    bool failed = events.failed || verdicts.failed;
    sn_buf *parts[] = {&events, &verdicts};
    for (size_t i = 0; i < 2; i++) {
        if (parts[i]->data)
            memset(parts[i]->data, 0, parts[i]->cap);
        sn_buf_free(parts[i]);
    }
    sqlite3_stmt *st = NULL;
    if (rc == SN_OK)
        rc = sn__sq_prepare(
            s,
            "SELECT event_id, ts_us, risk_score, risk_level, status, created_at FROM "
            "alerts WHERE user_token IN (?,?) ORDER BY seq",
            &st, err);
    if (rc == SN_OK) {
        bind_tokens(st, t1, t2);
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
    /* Per-user baseline rows are keyed by the token in hex. */
    char h1[33], h2[33];
    sn__store_token_hex(t1, h1);
    sn__store_token_hex(t2, h2);
    if (rc == SN_OK)
        rc = sn__sq_prepare(
            s,
            "SELECT scope, updated_at, length(body) FROM baselines WHERE subject_token IN "
            "(?,?)",
            &st, err);
    if (rc == SN_OK) {
        sqlite3_bind_text(st, 1, h1, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, h2, -1, SQLITE_STATIC);
        for (int first = 1; sqlite3_step(st) == SQLITE_ROW; first = 0)
            sn_buf_printf(json, "%s{\"scope\":\"%s\",\"updated_at\":%lld,\"bytes\":%lld}",
                          first ? "" : ",", (const char *)sqlite3_column_text(st, 0),
                          (long long)sqlite3_column_int64(st, 1),
                          (long long)sqlite3_column_int64(st, 2));
    }
    sqlite3_finalize(st);
    sn_buf_puts(json, "]}");
    sn__sq_exec(s, "COMMIT", NULL);
    if (rc == SN_OK && (json->failed || failed))
        rc = sn_error_set(err, SN_ERR_NOMEM, true, s->path, 0, NULL, "out of memory");
    return rc;
}

/* Runs sql with the two tokens (t1 given) or else the time bound as its parameters: a DELETE
 * adds the rows it deleted to *count; a SELECT (count2 given) adds its two columns to *count and
 * *count2. */
static sn_status run(sq_store *s, const char *sql, const unsigned char *t1, const unsigned char *t2,
                     int64_t ts, int64_t *count, int64_t *count2, sn_error *err)
{
    sqlite3_stmt *st;
    sn_status rc = sn__sq_prepare(s, sql, &st, err);
    if (rc != SN_OK)
        return rc;
    if (t1)
        bind_tokens(st, t1, t2);
    else
        sqlite3_bind_int64(st, 1, ts);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW && count2) {
        *count += sqlite3_column_int64(st, 0);
        *count2 += sqlite3_column_int64(st, 1);
    } else if (step != SQLITE_DONE) {
        rc = sn__sq_fail(s, err, "cannot delete");
    } else {
        *count += sqlite3_changes(s->db);
    }
    sqlite3_finalize(st);
    return rc;
}

/* Which events of a block stay: not the user's (two tokens), or not older than a time. */
typedef struct keep_rule {
    const unsigned char *t1, *t2;
    int64_t before_us;
} keep_rule;

static bool keeps(const keep_rule *k, const sq_entry *e)
{
    return k->t1 ? !token_is(e, k->t1, k->t2) : e->ev.ts_us >= k->before_us;
}

/* The first sequence numbers of the blocks sql selects (sql binds like run). */
static sn_status block_list(sq_store *s, const char *sql, const keep_rule *k, int64_t **out,
                            size_t *n, sn_error *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st;
    sn_status rc = sn__sq_prepare(s, sql, &st, err);
    if (rc != SN_OK)
        return rc;
    if (k->t1)
        bind_tokens(st, k->t1, k->t2);
    else
        sqlite3_bind_int64(st, 1, k->before_us);
    size_t cap = 0;
    int step;
    while (rc == SN_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            int64_t *grown = realloc(*out, nc * sizeof(*grown));
            if (!grown) {
                rc = sn_error_set(err, SN_ERR_NOMEM, true, s->path, 0, NULL, "out of memory");
                break;
            }
            *out = grown;
            cap = nc;
        }
        (*out)[(*n)++] = sqlite3_column_int64(st, 0);
    }
    if (rc == SN_OK && step != SQLITE_DONE)
        rc = sn__sq_fail(s, err, "cannot read events");
    sqlite3_finalize(st);
    return rc;
}

/* Rewrites each listed block without the events the rule drops (sealed again, under a fresh
 * nonce, with the key it was under), or deletes it when none stays; counts what went. */
static sn_status drop_events(sq_store *s, const char *list_sql, const keep_rule *k,
                             sn_store_counts *c, sn_error *err)
{
    int64_t *list;
    size_t n;
    sn_status rc = block_list(s, list_sql, k, &list, &n, err);
    sqlite3_stmt *get = NULL;
    if (rc == SN_OK && n)
        rc = sn__sq_prepare(s, "SELECT " SN_SQ_BLOCK_COLUMNS " FROM event_blocks WHERE first_seq=?",
                            &get, err);
    sq_block old, kept;
    sn__sq_block_init(&old);
    sn__sq_block_init(&kept);
    for (size_t i = 0; rc == SN_OK && i < n; i++) {
        sqlite3_reset(get);
        sqlite3_bind_int64(get, 1, list[i]);
        if (sqlite3_step(get) != SQLITE_ROW)
            continue;
        if ((rc = sn__sq_block_open(s, get, &old, err)) != SN_OK)
            break;
        const sn_store_key *key = sn__sq_key_for_no(s, old.key_no, err);
        sn__sq_block_start(&kept, old.first_seq, old.key_no);
        size_t at = 0, index = 0;
        bool bad = false;
        int64_t gone = 0, gone_verdicts = 0;
        sq_entry e;
        while (rc == SN_OK && sn__sq_block_next(&old, &at, &index, &e, &bad)) {
            if (keeps(k, &e)) {
                if (!sn__sq_block_add_entry(&kept, &e))
                    rc = sn_error_set(err, SN_ERR_NOMEM, true, s->path, 0, NULL, "out of memory");
                continue;
            }
            gone++;
            gone_verdicts += e.v.kind != SN_STORED_NONE;
        }
        if (rc == SN_OK && bad)
            rc = sn__sq_block_bad(s, &old, err);
        if (rc != SN_OK || !gone)
            continue;
        if (kept.n)
            rc = key ? sn__sq_block_write(s, &kept, key, true, err) : SN_ERR_SECRET;
        else
            rc = sn__sq_block_delete(s, old.first_seq, err);
        c->events += gone;
        c->verdicts += gone_verdicts;
    }
    sqlite3_finalize(get);
    sn__sq_block_free(&old);
    sn__sq_block_free(&kept);
    free(list);
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
    unsigned char t1[SN_STORE_TOKEN_LEN], t2[SN_STORE_TOKEN_LEN];
    sn_status rc = user_tokens(s, user_id, t1, t2, err);
    if (rc == SN_OK)
        rc = sn__sq_exec(s, "BEGIN IMMEDIATE", err);
    if (rc != SN_OK)
        return rc;
    /* The user's events leave their blocks; the other events of those blocks stay. */
    keep_rule k = {.t1 = t1, .t2 = t2};
    rc = drop_events(s, "SELECT first_seq" BLOCKS_WITH_TOKENS " ORDER BY first_seq", &k, c, err);
    if (rc == SN_OK)
        rc = run(s, "DELETE FROM alerts WHERE user_token IN (?,?)", t1, t2, 0, &c->alerts, NULL,
                 err);
    char h1[33], h2[33];
    sn__store_token_hex(t1, h1);
    sn__store_token_hex(t2, h2);
    sqlite3_stmt *st = NULL;
    if (rc == SN_OK)
        rc = sn__sq_prepare(s, "DELETE FROM baselines WHERE subject_token IN (?,?)", &st, err);
    if (rc == SN_OK) {
        sqlite3_bind_text(st, 1, h1, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, h2, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = sn__sq_fail(s, err, "cannot delete");
        else
            c->baselines += sqlite3_changes(s->db);
    }
    sqlite3_finalize(st);
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
    /* Blocks wholly older go at once; a block that reaches across the bound is rewritten. */
    int64_t deleted_rows = 0;
    rc = run(s,
             "SELECT coalesce(sum(events), 0), coalesce(sum(verdicts), 0) FROM event_blocks"
             " WHERE max_ts < ?",
             NULL, NULL, before_us, &c->events, &c->verdicts, err);
    if (rc == SN_OK)
        rc = run(s, "DELETE FROM event_blocks WHERE max_ts < ?", NULL, NULL, before_us,
                 &deleted_rows, NULL, err);
    keep_rule k = {.before_us = before_us};
    if (rc == SN_OK)
        rc =
            drop_events(s, "SELECT first_seq FROM event_blocks WHERE min_ts < ? ORDER BY first_seq",
                        &k, c, err);
    if (rc == SN_OK)
        rc = run(s, "DELETE FROM alerts WHERE ts_us < ?", NULL, NULL, before_us, &c->alerts, NULL,
                 err);
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
