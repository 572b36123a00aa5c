/* Shared by the SQLite backend's files only: the handle and the helpers its parts use. */
#ifndef SN_STORE_SQLITE_H
#define SN_STORE_SQLITE_H

#include "store_internal.h"

#include <sqlite3.h>

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

/* An error naming the store and SQLite's reason. */
sn_status sn__sq_fail(sq_store *s, sn_error *err, const char *what);
sn_status sn__sq_exec(sq_store *s, const char *sql, sn_error *err);
sn_status sn__sq_prepare(sq_store *s, const char *sql, sqlite3_stmt **st, sn_error *err);
void sn__sq_rollback(sq_store *s);
int64_t sn__sq_now(void);
/* The key a row was sealed with, or NULL (error set) when it was not given. */
const sn_store_key *sn__sq_key_for(sq_store *s, const char *id, sn_error *err);
/* The associated data of a sealed field: "table.column|row|token" (valid until the next call). */
const char *sn__sq_aad(sq_store *s, const char *table_col, int64_t row, const char *token);

/* Operations of the ops table, by file: store_sqlite.c */
/* The current row of st, laid out (seq, key_id, user_token, sealed value): its seq, and the
 * value decrypted into pt. label is the sealed column ("events.record"). */
sn_status sn__sq_open_row(sq_store *s, sqlite3_stmt *st, const char *label, int64_t *seq,
                          sn_buf *pt, sn_error *err);
sn_status sn__sq_put_snapshot(sn_store *base, const char *scope, const void *data, size_t len,
                              int64_t through_seq, sn_error *err);
sn_status sn__sq_get_snapshot(sn_store *base, const char *scope, sn_buf *out, int64_t *through_seq,
                              sn_error *err);
/* store_sqlite_privacy.c */
sn_status sn__sq_export_user(sn_store *base, const char *user_id, sn_buf *json, sn_error *err);
sn_status sn__sq_forget_user(sn_store *base, const char *user_id, sn_store_counts *c,
                             sn_error *err);
sn_status sn__sq_retention(sn_store *base, int64_t before_us, sn_store_counts *c, sn_error *err);
sn_status sn__sq_compact(sn_store *base, sn_error *err);
/* store_sqlite_admin.c */
sn_status sn__sq_backup(sn_store *base, const char *to, sn_error *err);
sn_status sn__sq_rotate(sn_store *base, size_t batch, sn_store_counts *c, sn_error *err);

#endif
