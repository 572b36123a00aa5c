/* The SQLite backend's administration: online backup and key rotation in batches. */
#include "store_sqlite.h"

#include "../core/strmap.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
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
    sn_status rc = sn__sq_exec(s, "BEGIN IMMEDIATE", err);
    if (rc != SN_OK)
        return rc;
    if ((rc = sn__sq_prepare(s, sel, &st, err)) == SN_OK)
        rc = sn__sq_prepare(s, upd, &up, err);
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
        if (sn__store_open_field(&s->old, sn__sq_aad(s, tc, seq, old_token),
                                 sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2),
                                 &pt) != SN_OK) {
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
        if (sn__store_seal(&s->cur, sn__sq_aad(s, tc, seq, new_token), pt.data, pt.len, &ct) !=
            SN_OK) {
            rc = sn_error_set(err, SN_ERR_CRYPTO, true, s->path, 0, NULL, "cannot seal");
            break;
        }
        sqlite3_reset(up);
        sqlite3_bind_text(up, 1, s->cur.id, -1, SQLITE_STATIC);
        sqlite3_bind_text(up, 2, new_token, -1, SQLITE_STATIC);
        sqlite3_bind_blob(up, 3, ct.data, (int)ct.len, SQLITE_STATIC);
        sqlite3_bind_int64(up, 4, seq);
        if (sqlite3_step(up) != SQLITE_DONE)
            rc = sn__sq_fail(s, err, "cannot re-encrypt");
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
        rc = sn__sq_exec(
            s,
            "UPDATE alerts SET user_token=(SELECT v.user_token FROM verdicts v WHERE "
            "v.seq=alerts.seq) WHERE EXISTS (SELECT 1 FROM verdicts v WHERE v.seq=alerts.seq"
            " AND v.user_token<>alerts.user_token)",
            err);
    if (rc == SN_OK)
        rc = sn__sq_exec(s, "COMMIT", err);
    if (rc != SN_OK)
        sn__sq_rollback(s);
    *count += (int64_t)n;
    *more = seen == batch;
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
