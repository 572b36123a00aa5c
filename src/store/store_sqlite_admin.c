/* The SQLite backend's administration: online backup and key rotation in batches. */
#include "store_sqlite.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- backup ---- */

sn_status sn__sq_backup(sn_store *base, const char *to, sn_error *err)
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

/* Re-encrypts, in one transaction, the next batch blocks after *from_seq (advanced past them)
 * that are under the old key, with their tokens under the new key. */
static sn_status reseal_batch(sq_store *s, size_t batch, int64_t *from_seq, sn_store_counts *c,
                              int *more, sn_error *err)
{
    sqlite3_stmt *st = NULL, *alert = NULL;
    sn_status rc = sn__sq_exec(s, "BEGIN IMMEDIATE", err);
    if (rc != SN_OK)
        return rc;
    /* An event's alert follows its token. */
    rc = sn__sq_prepare(s, "UPDATE alerts SET user_token=?1 WHERE seq=?2 AND user_token<>?1",
                        &alert, err);
    /* The batch is listed first, then each block read and replaced. */
    int64_t *list = calloc(batch, sizeof(*list));
    size_t n = 0;
    if (!list && rc == SN_OK)
        rc = sn_error_set(err, SN_ERR_NOMEM, true, s->path, 0, NULL, "out of memory");
    if (rc == SN_OK)
        rc = sn__sq_prepare(s,
                            "SELECT first_seq FROM event_blocks WHERE first_seq > ? AND key_no = ?"
                            " ORDER BY first_seq LIMIT ?",
                            &st, err);
    if (rc == SN_OK) {
        sqlite3_bind_int64(st, 1, *from_seq);
        sqlite3_bind_int64(st, 2, s->old_no);
        sqlite3_bind_int64(st, 3, (int64_t)batch);
        while (n < batch && sqlite3_step(st) == SQLITE_ROW)
            list[n++] = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    st = NULL;
    if (rc == SN_OK && n)
        rc = sn__sq_prepare(s, "SELECT " SN_SQ_BLOCK_COLUMNS " FROM event_blocks WHERE first_seq=?",
                            &st, err);
    sq_block old, next;
    sn__sq_block_init(&old);
    sn__sq_block_init(&next);
    for (size_t i = 0; rc == SN_OK && i < n; i++) {
        *from_seq = list[i];
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, list[i]);
        if (sqlite3_step(st) != SQLITE_ROW)
            continue;
        if ((rc = sn__sq_block_open(s, st, &old, err)) != SN_OK)
            break;
        sn__sq_block_start(&next, old.first_seq, s->cur_no);
        size_t at = 0, index = 0;
        bool bad = false;
        sq_entry e;
        while (rc == SN_OK && sn__sq_block_next(&old, &at, &index, &e, &bad)) {
            unsigned char token[SN_STORE_TOKEN_LEN];
            if (sn__store_token(&s->cur, e.ev.user_id.p, e.ev.user_id.n, token) != SN_OK) {
                rc =
                    sn_error_set(err, SN_ERR_CRYPTO, true, s->path, 0, NULL, "cannot make a token");
                break;
            }
            e.token = token;
            if (!sn__sq_block_add_entry(&next, &e))
                rc = sn_error_set(err, SN_ERR_NOMEM, true, s->path, 0, NULL, "out of memory");
            sqlite3_reset(alert);
            sqlite3_bind_blob(alert, 1, token, SN_STORE_TOKEN_LEN, SQLITE_STATIC);
            sqlite3_bind_int64(alert, 2, e.seq);
            if (rc == SN_OK && sqlite3_step(alert) != SQLITE_DONE)
                rc = sn__sq_fail(s, err, "cannot update an alert");
        }
        if (rc == SN_OK && bad)
            rc = sn__sq_block_bad(s, &old, err);
        if (rc == SN_OK)
            rc = sn__sq_block_write(s, &next, &s->cur, true, err);
        if (rc == SN_OK) {
            c->events += next.n;
            c->verdicts += next.verdicts;
        }
    }
    sqlite3_finalize(st);
    sqlite3_finalize(alert);
    sn__sq_block_free(&old);
    sn__sq_block_free(&next);
    free(list);
    if (rc == SN_OK)
        rc = sn__sq_exec(s, "COMMIT", err);
    if (rc != SN_OK)
        sn__sq_rollback(s);
    *more = n == batch;
    return rc;
}

sn_status sn__sq_rotate(sn_store *base, size_t batch, sn_store_counts *c, sn_error *err)
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
    sn_status rc = SN_OK;
    int more = 1;
    int64_t from = 0;
    while (rc == SN_OK && more)
        rc = reseal_batch(s, batch, &from, c, &more, err);
    /* The snapshots: each sealed under its own row name. */
    static const char *const scopes[] = {"engine", "engine_base"};
    for (size_t i = 0; rc == SN_OK && i < 2; i++) {
        sn_buf snap;
        sn_buf_init(&snap);
        int64_t through = 0;
        sn_status g = sn__sq_get_snapshot(base, scopes[i], &snap, &through, err);
        if (g == SN_OK) {
            rc = sn__sq_put_snapshot(base, scopes[i], snap.data, snap.len, through, err);
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
        rc = sn__sq_prepare(s, "UPDATE store_keys SET retired_at=? WHERE key_id=?", &st, err);
    if (rc == SN_OK) {
        sqlite3_bind_int64(st, 1, sn__sq_now());
        sqlite3_bind_text(st, 2, s->old.id, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = sn__sq_fail(s, err, "cannot retire the old key");
    }
    sqlite3_finalize(st);
    if (rc == SN_OK)
        rc = sn__sq_compact(base, err);
    return rc;
}
