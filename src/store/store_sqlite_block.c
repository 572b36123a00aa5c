/* Blocks of events, the unit the SQLite backend writes: a row of event_blocks holds the
 * consecutive events of one put that fit in a page, their records sealed together under one
 * nonce, with one lookup token per event beside them. The associated data names the row and every
 * clear value of it (sequence range, event times, counts and the tokens), so that a sealed block
 * moved to another row, or clear values changed, fail to open. */
#include "store_sqlite.h"

#include <stdio.h>
#include <string.h>

#define BLOCK_LABEL "event_blocks.record|"
#define VARINT_MAX SN_STORE_VARINT_MAX

void sn__sq_block_init(sq_block *b)
{
    memset(b, 0, sizeof(*b));
    sn_buf_init(&b->tokens);
    sn_buf_init(&b->pt);
}

void sn__sq_block_free(sq_block *b)
{
    if (b->pt.data)
        memset(b->pt.data, 0, b->pt.cap);
    sn_buf_free(&b->pt);
    sn_buf_free(&b->tokens);
}

void sn__sq_block_start(sq_block *b, int64_t first_seq, int64_t key_no)
{
    b->first_seq = first_seq;
    b->last_seq = first_seq;
    b->min_ts = INT64_MAX;
    b->max_ts = INT64_MIN;
    b->key_no = key_no;
    b->n = b->verdicts = 0;
    sn_buf_reset(&b->tokens);
    sn_buf_reset(&b->pt);
}

static bool add_bytes(sq_block *b, int64_t seq, const unsigned char *token, const void *rec,
                      size_t len, int64_t ts, bool verdict)
{
    uint8_t head[2 * VARINT_MAX];
    size_t k = sn__store_put_varint(head, (uint64_t)(seq - b->first_seq));
    k += sn__store_put_varint(head + k, len);
    sn_buf_append(&b->pt, head, k);
    sn_buf_append(&b->pt, rec, len);
    sn_buf_append(&b->tokens, token, SN_STORE_TOKEN_LEN);
    b->n++;
    b->last_seq = seq;
    b->verdicts += verdict;
    if (ts < b->min_ts)
        b->min_ts = ts;
    if (ts > b->max_ts)
        b->max_ts = ts;
    return !b->pt.failed && !b->tokens.failed;
}

bool sn__sq_block_full(const sq_block *b, size_t rec_len, size_t limit)
{
    return b->n &&
           b->pt.len + b->tokens.len + 2 * VARINT_MAX + rec_len + SN_STORE_TOKEN_LEN > limit;
}

bool sn__sq_block_add(sq_block *b, int64_t seq, const unsigned char *token, const sn_store_item *it,
                      const sn_buf *rec)
{
    return !rec->failed &&
           add_bytes(b, seq, token, rec->data, rec->len, it->ev->ts_us, it->verdict != NULL);
}

bool sn__sq_block_add_entry(sq_block *b, const sq_entry *e)
{
    return add_bytes(b, e->seq, e->token, e->rec, e->rec_len, e->ev.ts_us,
                     e->v.kind != SN_STORED_NONE);
}

static void put_be64(sn_buf *out, int64_t v)
{
    uint8_t x[8];
    for (int i = 0; i < 8; i++)
        x[i] = (uint8_t)((uint64_t)v >> (56 - 8 * i));
    sn_buf_append(out, x, 8);
}

static void block_aad(sn_buf *aad, const sq_block *b)
{
    sn_buf_reset(aad);
    sn_buf_append(aad, BLOCK_LABEL, sizeof(BLOCK_LABEL) - 1);
    const int64_t v[] = {b->first_seq, b->last_seq, b->min_ts, b->max_ts, b->n, b->verdicts};
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        put_be64(aad, v[i]);
    sn_buf_append(aad, b->tokens.data, b->tokens.len);
}

sn_status sn__sq_block_write(sq_store *s, const sq_block *b, const sn_store_key *k, bool update,
                             sn_error *err)
{
    block_aad(&s->aad_buf, b);
    sn_buf_reset(&s->sealed);
    sn_status rc = s->aad_buf.failed ? SN_ERR_NOMEM
                                     : sn__store_seal(k, s->aad_buf.data, s->aad_buf.len,
                                                      b->pt.data, b->pt.len, &s->sealed);
    if (rc == SN_OK && (s->sealed.len > INT32_MAX || b->tokens.len > INT32_MAX))
        rc = SN_ERR_LIMIT;
    if (rc != SN_OK)
        return sn_error_set(err, rc, true, s->path, 0, NULL, "cannot seal events %lld-%lld",
                            (long long)b->first_seq, (long long)b->last_seq);
    sqlite3_stmt *st = update ? s->upd_block : s->ins_block;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, b->first_seq);
    sqlite3_bind_int64(st, 2, b->last_seq);
    sqlite3_bind_int64(st, 3, b->n);
    sqlite3_bind_int64(st, 4, b->verdicts);
    sqlite3_bind_int64(st, 5, b->min_ts);
    sqlite3_bind_int64(st, 6, b->max_ts);
    sqlite3_bind_int64(st, 7, b->key_no);
    sqlite3_bind_blob(st, 8, b->tokens.data, (int)b->tokens.len, SQLITE_STATIC);
    sqlite3_bind_blob(st, 9, s->sealed.data, (int)s->sealed.len, SQLITE_STATIC);
    int step = sqlite3_step(st);
    sqlite3_reset(st);
    if (step != SQLITE_DONE)
        return sn__sq_fail(s, err, "cannot store events");
    return SN_OK;
}

sn_status sn__sq_block_delete(sq_store *s, int64_t first_seq, sn_error *err)
{
    sqlite3_stmt *st;
    sn_status rc = sn__sq_prepare(s, "DELETE FROM event_blocks WHERE first_seq=?", &st, err);
    if (rc != SN_OK)
        return rc;
    sqlite3_bind_int64(st, 1, first_seq);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = sn__sq_fail(s, err, "cannot delete events");
    sqlite3_finalize(st);
    return rc;
}

sn_status sn__sq_block_open(sq_store *s, sqlite3_stmt *st, sq_block *b, sn_error *err)
{
    b->first_seq = sqlite3_column_int64(st, 0);
    b->last_seq = sqlite3_column_int64(st, 1);
    b->n = sqlite3_column_int64(st, 2);
    b->verdicts = sqlite3_column_int64(st, 3);
    b->min_ts = sqlite3_column_int64(st, 4);
    b->max_ts = sqlite3_column_int64(st, 5);
    b->key_no = sqlite3_column_int64(st, 6);
    const sn_store_key *k = sn__sq_key_for_no(s, b->key_no, err);
    if (!k)
        return SN_ERR_SECRET;
    int tok_len = sqlite3_column_bytes(st, 7);
    const void *tokens = sqlite3_column_blob(st, 7);
    if (b->n < 1 || b->n > INT32_MAX / SN_STORE_TOKEN_LEN ||
        tok_len != (int)b->n * SN_STORE_TOKEN_LEN || !tokens)
        return sn_error_set(err, SN_ERR_STORE, true, s->path, 0, NULL,
                            "events %lld-%lld: the lookup tokens do not match the events",
                            (long long)b->first_seq, (long long)b->last_seq);
    sn_buf_reset(&b->tokens);
    sn_buf_append(&b->tokens, tokens, (size_t)tok_len);
    block_aad(&s->aad_buf, b);
    if (b->tokens.failed || s->aad_buf.failed)
        return sn_error_set(err, SN_ERR_NOMEM, true, s->path, 0, NULL, "out of memory");
    if (b->pt.data)
        memset(b->pt.data, 0, b->pt.len);
    sn_buf_reset(&b->pt);
    if (sn__store_open_field(k, s->aad_buf.data, s->aad_buf.len, sqlite3_column_blob(st, 8),
                             (size_t)sqlite3_column_bytes(st, 8), &b->pt) != SN_OK)
        return sn_error_set(err, SN_ERR_CRYPTO, true, s->path, 0, NULL,
                            "events %lld-%lld do not decrypt: wrong key or a modified row",
                            (long long)b->first_seq, (long long)b->last_seq);
    return SN_OK;
}

bool sn__sq_block_next(const sq_block *b, size_t *at, size_t *index, sq_entry *e, bool *bad)
{
    if (*index >= (size_t)b->n || *at >= b->pt.len) {
        if (*index != (size_t)b->n || *at != b->pt.len)
            *bad = true;
        return false;
    }
    sn_rd r = {.p = (const uint8_t *)b->pt.data, .n = b->pt.len, .off = *at};
    uint64_t delta = sn__store_get_varint(&r);
    uint64_t len = sn__store_get_varint(&r);
    if (r.bad || len > r.n - r.off || delta > (uint64_t)(b->last_seq - b->first_seq)) {
        *bad = true;
        return false;
    }
    e->seq = b->first_seq + (int64_t)delta;
    e->token = (const unsigned char *)b->tokens.data + *index * SN_STORE_TOKEN_LEN;
    e->rec = r.p + r.off;
    e->rec_len = (size_t)len;
    if (!sn__store_record_decode(e->rec, e->rec_len, &e->ev, &e->event_id, &e->v)) {
        *bad = true;
        return false;
    }
    *at = r.off + (size_t)len;
    (*index)++;
    return true;
}

sn_status sn__sq_block_bad(sq_store *s, const sq_block *b, sn_error *err)
{
    return sn_error_set(err, SN_ERR_STORE, true, s->path, 0, NULL,
                        "events %lld-%lld are not valid records", (long long)b->first_seq,
                        (long long)b->last_seq);
}

sn_status sn__sq_each_entry(sq_store *s, sqlite3_stmt *st, sn_sq_entry_fn fn, void *ctx,
                            const char *what, sn_error *err)
{
    sq_block b;
    sn__sq_block_init(&b);
    sn_status rc = SN_OK;
    int step;
    while (rc == SN_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        if ((rc = sn__sq_block_open(s, st, &b, err)) != SN_OK)
            break;
        size_t at = 0, index = 0;
        bool bad = false;
        sq_entry e;
        while (rc == SN_OK && sn__sq_block_next(&b, &at, &index, &e, &bad))
            rc = fn(ctx, &e, err);
        if (rc == SN_OK && bad)
            rc = sn__sq_block_bad(s, &b, err);
    }
    if (rc == SN_OK && step != SQLITE_DONE) {
        char msg[96];
        snprintf(msg, sizeof(msg), "cannot %s", what);
        rc = sn__sq_fail(s, err, msg);
    }
    sn__sq_block_free(&b);
    sqlite3_finalize(st);
    return rc;
}
