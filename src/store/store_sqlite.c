/* The SQLite store backend: opening, the key check, durable batched writes of sealed events
 * and verdicts, reads, snapshots and the model registry (the schema and its migration are in
 * store_sqlite_migrate.c, blocks of events in store_sqlite_block.c, a person's records and
 * retention in store_sqlite_privacy.c, backup and key rotation in store_sqlite_admin.c).
 *
 * Durability: WAL journal with synchronous=FULL, so a transaction that has returned is in the
 * fsynced WAL: it survives both a killed process and a power loss.
 *
 * Events and their verdicts are written in blocks of consecutive events, one row and one
 * sealing each (store_sqlite_block.c); alerts are rows of their own. */
#include "store_sqlite.h"

#include "../ingest/ingest.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Pages of 4 KiB: a block of events fills one (store_sqlite_block.c), so larger pages save
 * nothing measurable, while each commit of the server (an event or a few) writes whole pages.
 * A small cache: writes append, and a bulk transaction larger than the cache writes its full
 * pages to the journal before its commit instead of at it. The journal is copied into the
 * database once it holds about 16 MiB (each copy syncs both files). */
#define PAGE_SIZE "4096"
#define CACHE_SIZE "-2048"
#define AUTOCHECKPOINT "4096"

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

const sn_store_key *sn__sq_key_for_no(sq_store *s, int64_t key_no, sn_error *err)
{
    if (key_no && key_no == s->cur_no)
        return &s->cur;
    if (key_no && s->has_old && key_no == s->old_no)
        return &s->old;
    char id[17] = "?";
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT key_id FROM store_keys WHERE key_no=?", -1, &st, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_int64(st, 1, key_no);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
            snprintf(id, sizeof(id), "%s", (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    }
    return sn__sq_key_for(s, id, err);
}

const char *sn__sq_aad(sq_store *s, const char *table_col, int64_t row, const char *scope)
{
    sn_buf_reset(&s->aad_buf);
    sn_buf_printf(&s->aad_buf, "%s|%lld|%s", table_col, (long long)row, scope);
    return s->aad_buf.failed ? "" : s->aad_buf.data;
}

/* ---- opening, schema, keys ---- */

static sn_status schema_version(sq_store *s, int *version, sn_error *err)
{
    sqlite3_stmt *st;
    sn_status rc = sn__sq_prepare(s, "PRAGMA user_version", &st, err);
    if (rc != SN_OK)
        return rc;
    *version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    if (*version < 0)
        return sn__sq_fail(s, err, "cannot read the schema version");
    if (*version > SN_SQ_SCHEMA_VERSION)
        return sn_error_set(err, SN_ERR_STORE, true, s->path, 0, NULL,
                            "store schema version %d is newer than this build reads (%d)", *version,
                            SN_SQ_SCHEMA_VERSION);
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

sn_status sn__sq_load_key_numbers(sq_store *s, sn_error *err)
{
    sqlite3_stmt *st;
    sn_status rc = sn__sq_prepare(s, "SELECT key_no FROM store_keys WHERE key_id=?", &st, err);
    if (rc != SN_OK)
        return rc;
    s->cur_no = s->old_no = 0;
    for (int i = 0; i < (s->has_old ? 2 : 1); i++) {
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, i ? s->old.id : s->cur.id, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            *(i ? &s->old_no : &s->cur_no) = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    if (!s->cur_no)
        return sn_error_set(err, SN_ERR_STORE, true, s->path, 0, NULL,
                            "the store key (id %s) is not in store_keys", s->cur.id);
    return SN_OK;
}

static void sq_close(sn_store *base)
{
    sq_store *s = (sq_store *)base;
    sqlite3_stmt *const stmts[] = {s->ins_block, s->upd_block, s->ins_alert,  s->max_seq,
                                   s->savepoint, s->release,   s->rollback_to};
    for (size_t i = 0; i < sizeof(stmts) / sizeof(stmts[0]); i++)
        sqlite3_finalize(stmts[i]);
    if (s->db)
        sqlite3_close(s->db);
    if (s->claim_fd >= 0)
        close(s->claim_fd); /* and the claim with it */
    sn__store_key_wipe(&s->cur);
    sn__store_key_wipe(&s->old);
    sn__sq_block_free(&s->put);
    sn_buf_free(&s->rec);
    sn_buf_free(&s->sealed);
    sn_buf_free(&s->aad_buf);
    free(s);
}

/* The claim: an exclusive flock(2) on the database file, through a descriptor of its own
 * (SQLite's locks are fcntl(2) locks, which flock does not touch). */
static sn_status sq_claim(sn_store *base, sn_error *err)
{
    sq_store *s = (sq_store *)base;
    if (s->claim_fd >= 0)
        return SN_OK;
    int fd = open(s->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return sn_error_set(err, SN_ERR_IO, true, s->path, 0, NULL, "cannot open the store: %s",
                            strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(fd);
        if (e == EWOULDBLOCK)
            return sn_error_set(err, SN_ERR_DENIED, true, s->path, 0, NULL,
                                "the store is in use by another process that writes to it (a "
                                "running `sentinel serve`?): erase through its API (DELETE "
                                "/api/v1/user/{id}), or stop it first");
        return sn_error_set(err, SN_ERR_IO, true, s->path, 0, NULL, "cannot claim the store: %s",
                            strerror(e));
    }
    s->claim_fd = fd;
    return SN_OK;
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

/* Writes the block being built and the alerts of its anomalies (items[0..) are its events). */
static sn_status write_put_block(sq_store *s, const sn_store_item *items, int64_t now,
                                 sn_error *err)
{
    const sq_block *b = &s->put;
    sn_status rc = sn__sq_block_write(s, b, &s->cur, false, err);
    for (int64_t j = 0; rc == SN_OK && j < b->n; j++) {
        const sn_store_item *it = &items[j];
        if (!it->verdict || !it->verdict->is_anomaly)
            continue;
        sqlite3_stmt *st = s->ins_alert;
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, b->first_seq + j);
        sqlite3_bind_text(st, 2, it->event_id, -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 3, b->tokens.data + j * SN_STORE_TOKEN_LEN, SN_STORE_TOKEN_LEN,
                          SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, it->ev->ts_us);
        sqlite3_bind_double(st, 5, it->verdict->risk_score);
        sqlite3_bind_text(st, 6, sn_level_name(it->verdict->level), -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 7, now);
        int step = sqlite3_step(st);
        sqlite3_reset(st);
        if (step != SQLITE_DONE)
            rc = sn__sq_fail(s, err, "cannot store an alert");
    }
    return rc;
}

/* Stores items[0..n) as the events seq + 1 .. seq + n, in blocks that each fit a page;
 * anomalies become alerts. */
static sn_status put_items(sq_store *s, int64_t seq, const sn_store_item *items, size_t n,
                           sn_error *err)
{
    int64_t now = sn__sq_now();
    sq_block *b = &s->put;
    size_t first = 0; /* the item the block being built starts with */
    sn__sq_block_start(b, seq + 1, s->cur_no);
    for (size_t i = 0; i < n; i++) {
        const sn_event *ev = items[i].ev;
        unsigned char token[SN_STORE_TOKEN_LEN];
        if (!ev->user_id.n)
            return sn_error_set(err, SN_ERR_MISSING, true, s->path, 0, "user_id",
                                "an event without a user id cannot be stored");
        if (sn__store_token(&s->cur, ev->user_id.p, ev->user_id.n, token) != SN_OK)
            return sn_error_set(err, SN_ERR_CRYPTO, true, s->path, 0, NULL, "cannot make a token");
        sn_buf_reset(&s->rec);
        sn__store_record_encode(&s->rec, &items[i]);
        if (sn__sq_block_full(b, s->rec.len, s->block_bytes)) {
            sn_status rc = write_put_block(s, items + first, now, err);
            if (rc != SN_OK)
                return rc;
            first = i;
            sn__sq_block_start(b, seq + 1 + (int64_t)i, s->cur_no);
        }
        if (!sn__sq_block_add(b, seq + 1 + (int64_t)i, token, &items[i], &s->rec))
            return sn_error_set(err, SN_ERR_NOMEM, true, s->path, 0, NULL, "out of memory");
    }
    return n ? write_put_block(s, items + first, now, err) : SN_OK;
}

/* Runs a prepared statement without results (SAVEPOINT, RELEASE, ...). */
static sn_status run_prepared(sq_store *s, sqlite3_stmt *st, sn_error *err)
{
    int step = sqlite3_step(st);
    sqlite3_reset(st);
    return step == SQLITE_DONE ? SN_OK : sn__sq_fail(s, err, sqlite3_sql(st));
}

static sn_status sq_put(sn_store *base, const sn_store_item *items, size_t n, sn_error *err)
{
    sq_store *s = (sq_store *)base;
    /* Inside a batch, a savepoint: a failed put leaves the batch's earlier puts in place. */
    sn_status rc =
        s->in_batch ? run_prepared(s, s->savepoint, err) : sn__sq_exec(s, "BEGIN IMMEDIATE", err);
    if (rc != SN_OK)
        return rc;
    int64_t seq = 0;
    rc = sq_last_seq(base, &seq, err);
    if (rc == SN_OK)
        rc = put_items(s, seq, items, n, err);
    if (s->in_batch) {
        if (rc != SN_OK)
            run_prepared(s, s->rollback_to, NULL);
        run_prepared(s, s->release, NULL);
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

/* The blocks that hold the events after after_seq, in stored order. */
#define BLOCKS_AFTER                                                                               \
    "SELECT " SN_SQ_BLOCK_COLUMNS " FROM event_blocks WHERE first_seq >= coalesce((SELECT"         \
    " max(first_seq) FROM event_blocks WHERE first_seq <= ?1), 0) AND last_seq > ?1"               \
    " ORDER BY first_seq"

typedef struct each_event_ctx {
    int64_t after_seq;
    sn_store_event_fn fn;
    void *ctx;
    sn_buf id;
    const char *path;
} each_event_ctx;

static sn_status each_event_entry(void *ctx, const sq_entry *e, sn_error *err)
{
    each_event_ctx *c = ctx;
    if (e->seq <= c->after_seq)
        return SN_OK;
    sn_buf_reset(&c->id);
    sn_buf_append(&c->id, e->event_id.p ? e->event_id.p : "", e->event_id.n);
    if (c->id.failed)
        return sn_error_set(err, SN_ERR_NOMEM, true, c->path, 0, NULL, "out of memory");
    return c->fn(c->ctx, e->seq, &e->ev, c->id.data ? c->id.data : "") ? SN_ERR_USAGE : SN_OK;
}

static sn_status sq_each_event(sn_store *base, int64_t after_seq, sn_store_event_fn fn, void *ctx,
                               sn_error *err)
{
    sq_store *s = (sq_store *)base;
    sqlite3_stmt *st;
    sn_status rc = sn__sq_prepare(s, BLOCKS_AFTER, &st, err);
    if (rc != SN_OK)
        return rc;
    sqlite3_bind_int64(st, 1, after_seq);
    each_event_ctx c = {.after_seq = after_seq, .fn = fn, .ctx = ctx, .path = s->path};
    sn_buf_init(&c.id);
    rc = sn__sq_each_entry(s, st, each_event_entry, &c, "read events", err);
    sn_buf_free(&c.id);
    return rc;
}

typedef struct found_list {
    struct found {
        int64_t seq;
        size_t at, len;
    } * list;
    size_t n, cap;
    sn_buf json; /* the verdicts, NUL-separated */
} found_list;

static bool found_add(found_list *f, int64_t seq, const sq_entry *e)
{
    if (f->n == f->cap) {
        size_t nc = f->cap ? f->cap * 2 : 64;
        struct found *grown = realloc(f->list, nc * sizeof(*grown));
        if (!grown)
            return false;
        f->list = grown;
        f->cap = nc;
    }
    size_t at = f->json.len;
    sn__store_verdict_json(&f->json, &e->ev, e->event_id, &e->v);
    sn_buf_putc(&f->json, '\0');
    f->list[f->n++] = (struct found){.seq = seq, .at = at, .len = f->json.len - at - 1};
    return !f->json.failed;
}

/* The newest limit anomalies: the alerts name them, their blocks hold their verdicts (a block
 * is read once for all its alerts). */
static sn_status newest_anomalies(sq_store *s, size_t limit, found_list *f, sn_error *err)
{
    sqlite3_stmt *al = NULL, *blk = NULL;
    sn_status rc = sn__sq_prepare(s, "SELECT seq FROM alerts ORDER BY seq DESC LIMIT ?", &al, err);
    if (rc == SN_OK)
        rc = sn__sq_prepare(s,
                            "SELECT " SN_SQ_BLOCK_COLUMNS " FROM event_blocks WHERE first_seq <= ?"
                            " ORDER BY first_seq DESC LIMIT 1",
                            &blk, err);
    if (rc == SN_OK)
        sqlite3_bind_int64(al, 1, limit > INT64_MAX ? INT64_MAX : (int64_t)limit);
    sq_block b;
    sn__sq_block_init(&b);
    bool have = false;
    int step = SQLITE_DONE;
    while (rc == SN_OK && (step = sqlite3_step(al)) == SQLITE_ROW) {
        int64_t seq = sqlite3_column_int64(al, 0);
        if (!have || seq < b.first_seq || seq > b.last_seq) {
            sqlite3_reset(blk);
            sqlite3_bind_int64(blk, 1, seq);
            if (sqlite3_step(blk) != SQLITE_ROW)
                continue; /* an alert without its event */
            if ((rc = sn__sq_block_open(s, blk, &b, err)) != SN_OK)
                break;
            have = true;
        }
        size_t at = 0, index = 0;
        bool bad = false;
        sq_entry e;
        while (sn__sq_block_next(&b, &at, &index, &e, &bad) && e.seq <= seq)
            if (e.seq == seq && e.v.kind != SN_STORED_NONE && !found_add(f, seq, &e))
                rc = sn_error_set(err, SN_ERR_NOMEM, true, s->path, 0, NULL, "out of memory");
        if (rc == SN_OK && bad)
            rc = sn__sq_block_bad(s, &b, err);
    }
    if (rc == SN_OK && step != SQLITE_DONE)
        rc = sn__sq_fail(s, err, "cannot read alerts");
    sqlite3_finalize(al);
    sqlite3_finalize(blk);
    sn__sq_block_free(&b);
    return rc;
}

/* The newest limit verdicts of any kind: the blocks from the newest back. */
static sn_status newest_verdicts(sq_store *s, size_t limit, found_list *f, sn_error *err)
{
    sqlite3_stmt *st;
    sn_status rc = sn__sq_prepare(s,
                                  "SELECT " SN_SQ_BLOCK_COLUMNS " FROM event_blocks WHERE"
                                  " verdicts > 0 ORDER BY first_seq DESC",
                                  &st, err);
    if (rc != SN_OK)
        return rc;
    sq_block b;
    sn__sq_block_init(&b);
    int step = SQLITE_DONE;
    while (rc == SN_OK && f->n < limit && (step = sqlite3_step(st)) == SQLITE_ROW) {
        if ((rc = sn__sq_block_open(s, st, &b, err)) != SN_OK)
            break;
        /* A block's verdicts in order, then taken newest first. */
        size_t from = f->n, at = 0, index = 0;
        bool bad = false;
        sq_entry e;
        while (rc == SN_OK && sn__sq_block_next(&b, &at, &index, &e, &bad))
            if (e.v.kind != SN_STORED_NONE && !found_add(f, e.seq, &e))
                rc = sn_error_set(err, SN_ERR_NOMEM, true, s->path, 0, NULL, "out of memory");
        if (rc == SN_OK && bad)
            rc = sn__sq_block_bad(s, &b, err);
        for (size_t i = from, j = f->n; i + 1 < j; i++, j--) {
            struct found t = f->list[i];
            f->list[i] = f->list[j - 1];
            f->list[j - 1] = t;
        }
    }
    if (rc == SN_OK && f->n > limit)
        f->n = limit;
    if (rc == SN_OK && step != SQLITE_DONE && step != SQLITE_ROW)
        rc = sn__sq_fail(s, err, "cannot read verdicts");
    sqlite3_finalize(st);
    sn__sq_block_free(&b);
    return rc;
}

static sn_status sq_recent_verdicts(sn_store *base, size_t limit, bool anomalies_only,
                                    sn_store_json_fn fn, void *ctx, sn_error *err)
{
    sq_store *s = (sq_store *)base;
    found_list f = {0};
    sn_buf_init(&f.json);
    /* Found newest first; handed on oldest first. */
    sn_status rc =
        anomalies_only ? newest_anomalies(s, limit, &f, err) : newest_verdicts(s, limit, &f, err);
    for (size_t i = f.n; rc == SN_OK && i-- > 0;)
        if (fn(ctx, f.list[i].seq, f.json.data + f.list[i].at, f.list[i].len))
            rc = SN_ERR_USAGE;
    free(f.list);
    sn_buf_free(&f.json);
    return rc;
}

/* ---- snapshots and models ---- */

sn_status sn__sq_put_snapshot(sn_store *base, const char *scope, const void *data, size_t len,
                              int64_t through_seq, sn_error *err)
{
    sq_store *s = (sq_store *)base;
    sn_buf sealed;
    sn_buf_init(&sealed);
    const char *aad = sn__sq_aad(s, "baselines.body", through_seq, scope);
    sn_status rc = sn__store_seal(&s->cur, aad, strlen(aad), data, len, &sealed);
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
        const char *aad = sn__sq_aad(s, "baselines.body", through, scope);
        if (!k)
            rc = SN_ERR_SECRET;
        else if (sn__store_open_field(k, aad, strlen(aad), sqlite3_column_blob(st, 2),
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
    .claim = sq_claim,
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
    s->claim_fd = -1;
    snprintf(s->path, sizeof(s->path), "%s", path);
    sn__sq_block_init(&s->put);
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
    /* The page size counts only for a new file (it is set before the first write). */
    rc = sn__sq_exec(s, "PRAGMA page_size=" PAGE_SIZE, err);
    sqlite3_stmt *st = NULL;
    if (rc == SN_OK &&
        sqlite3_prepare_v2(s->db, "PRAGMA journal_mode=WAL", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW &&
        strcmp((const char *)sqlite3_column_text(st, 0), "wal") != 0)
        rc = sn_error_set(err, SN_ERR_STORE, true, path, 0, NULL,
                          "cannot switch the store to WAL mode");
    sqlite3_finalize(st);
    if (rc == SN_OK)
        rc = sn__sq_exec(s,
                         "PRAGMA synchronous=FULL; PRAGMA secure_delete=ON; PRAGMA foreign_keys=ON;"
                         " PRAGMA cache_size=" CACHE_SIZE "; PRAGMA temp_store=MEMORY;"
                         " PRAGMA wal_autocheckpoint=" AUTOCHECKPOINT "; PRAGMA trusted_schema=OFF",
                         err);
    int version = 0, page = 0;
    if (rc == SN_OK)
        rc = schema_version(s, &version, err);
    st = NULL;
    if (rc == SN_OK && sqlite3_prepare_v2(s->db, "PRAGMA page_size", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        page = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    s->block_bytes = page > 2 * SN_SQ_BLOCK_SLACK ? (size_t)page - SN_SQ_BLOCK_SLACK : 4096;
    if (rc == SN_OK && version == 0)
        rc = sn__sq_create_schema(s, err);
    /* The key check reads store_keys as versions 1 and 2 both lay it out. */
    if (rc == SN_OK)
        rc = check_keys(s, err);
    if (rc == SN_OK && version == 1)
        rc = sn__sq_migrate_v1(s, err);
    if (rc == SN_OK)
        rc = sn__sq_load_key_numbers(s, err);
    /* (The migration may have prepared the block writes already.) */
    if (rc == SN_OK && !s->ins_block)
        rc = sn__sq_prepare(s, SN_SQ_INSERT_BLOCK, &s->ins_block, err);
    if (rc == SN_OK && !s->upd_block)
        rc = sn__sq_prepare(s, SN_SQ_UPDATE_BLOCK, &s->upd_block, err);
    if (rc == SN_OK)
        rc = sn__sq_prepare(s, "SAVEPOINT put", &s->savepoint, err);
    if (rc == SN_OK)
        rc = sn__sq_prepare(s, "RELEASE put", &s->release, err);
    if (rc == SN_OK)
        rc = sn__sq_prepare(s, "ROLLBACK TO put", &s->rollback_to, err);
    if (rc == SN_OK)
        rc = sn__sq_prepare(s,
                            "INSERT INTO alerts(seq, event_id, user_token, ts_us, risk_score,"
                            " risk_level, created_at) VALUES(?,?,?,?,?,?,?)",
                            &s->ins_alert, err);
    if (rc == SN_OK)
        /* A snapshot's too: numbers are not given again once their events are gone, so a
         * snapshot never covers an event stored after it. */
        rc = sn__sq_prepare(s,
                            "SELECT max(coalesce((SELECT last_seq FROM event_blocks ORDER BY"
                            " first_seq DESC LIMIT 1), 0), coalesce((SELECT max(through_seq)"
                            " FROM baselines), 0))",
                            &s->max_seq, err);
    if (rc != SN_OK) {
        sq_close(&s->base);
        return rc;
    }
    *out = &s->base;
    return SN_OK;
}
