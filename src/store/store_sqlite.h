/* Shared by the SQLite backend's files only: the handle, the block of events a row holds, and
 * the helpers its parts use. */
#ifndef SN_STORE_SQLITE_H
#define SN_STORE_SQLITE_H

#include "store_internal.h"

#include <sqlite3.h>

/* The schema this build writes (PRAGMA user_version). */
#define SN_SQ_SCHEMA_VERSION 2

/* A block is cut where its row would no longer fit in one page: the bytes of its entries and
 * tokens stay within the page size less this much (the page's and the row's own overhead), so
 * that rows fill pages without overflow pages. An event larger than that is a block alone. */
#define SN_SQ_BLOCK_SLACK 120

/* The columns a block is read with, in the order sn__sq_block_open expects them. */
#define SN_SQ_BLOCK_COLUMNS                                                                        \
    "first_seq, last_seq, events, verdicts, min_ts, max_ts, key_no, user_tokens, record"

/* The statements that write blocks (parameters in SN_SQ_BLOCK_COLUMNS order). */
#define SN_SQ_INSERT_BLOCK                                                                         \
    "INSERT INTO event_blocks(" SN_SQ_BLOCK_COLUMNS ") VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)"
#define SN_SQ_UPDATE_BLOCK                                                                         \
    "UPDATE event_blocks SET last_seq=?2, events=?3, verdicts=?4, min_ts=?5, max_ts=?6,"           \
    " key_no=?7, user_tokens=?8, record=?9 WHERE first_seq=?1"

/* One row of event_blocks: consecutive events (sequence numbers first_seq .. last_seq, fewer
 * after an erasure), each with its lookup token, and their records, decrypted. */
typedef struct sq_block {
    int64_t first_seq, last_seq, min_ts, max_ts, key_no;
    int64_t n, verdicts;
    sn_buf tokens; /* n tokens of SN_STORE_TOKEN_LEN bytes, in event order */
    sn_buf pt;     /* n entries: LEB128 seq - first_seq, LEB128 length, the record */
} sq_block;

/* One event of a block, decoded: its strings are borrowed from the block. */
typedef struct sq_entry {
    int64_t seq;
    const unsigned char *token;
    const uint8_t *rec; /* the record, and its bytes */
    size_t rec_len;
    sn_event ev;
    sn_str event_id;
    sn_stored_verdict v;
} sq_entry;

typedef struct sq_store {
    sn_store base;
    sqlite3 *db;
    char path[4096];
    int claim_fd; /* >= 0 while this process holds the claim (sn_store_claim); -1 */
    sn_store_key cur, old;
    bool has_old;
    int64_t cur_no, old_no; /* the keys' numbers in store_keys, beside every row (0: none) */
    bool in_batch;          /* inside sn_store_begin .. sn_store_commit */
    sqlite3_stmt *ins_block, *upd_block, *ins_alert, *max_seq;
    sqlite3_stmt *savepoint, *release, *rollback_to;
    size_t block_bytes; /* entries and tokens of one block, at most (unless one event alone) */
    sq_block put;       /* the block a put is building */
    sn_buf rec, sealed, aad_buf;
} sq_store;

/* An error naming the store and SQLite's reason. */
sn_status sn__sq_fail(sq_store *s, sn_error *err, const char *what);
sn_status sn__sq_exec(sq_store *s, const char *sql, sn_error *err);
sn_status sn__sq_prepare(sq_store *s, const char *sql, sqlite3_stmt **st, sn_error *err);
void sn__sq_rollback(sq_store *s);
int64_t sn__sq_now(void);
/* The key a snapshot was sealed with (by key id), or NULL (error set) when it was not given. */
const sn_store_key *sn__sq_key_for(sq_store *s, const char *id, sn_error *err);
/* The key of a block (by key number), or NULL (error set) when it was not given. */
const sn_store_key *sn__sq_key_for_no(sq_store *s, int64_t key_no, sn_error *err);
/* The associated data of a snapshot: "table.column|row|scope" (valid until the next call). */
const char *sn__sq_aad(sq_store *s, const char *table_col, int64_t row, const char *scope);
/* The numbers store_keys gives the keys (after the key check and any migration). */
sn_status sn__sq_load_key_numbers(sq_store *s, sn_error *err);

/* store_sqlite_block.c: blocks built, sealed, written, read and walked. */
void sn__sq_block_init(sq_block *b);
void sn__sq_block_free(sq_block *b); /* wipes the plaintext */
/* Empties b for a new block whose first event will be first_seq, under key number key_no. */
void sn__sq_block_start(sq_block *b, int64_t first_seq, int64_t key_no);
/* Whether b is not empty and an entry of a record of rec_len bytes would take it past limit
 * bytes of entries and tokens. */
bool sn__sq_block_full(const sq_block *b, size_t rec_len, size_t limit);
/* Appends an event, its record already encoded into rec (by sn__store_record_encode), with its
 * token and sequence number (above the block's last); false when out of memory. */
bool sn__sq_block_add(sq_block *b, int64_t seq, const unsigned char *token, const sn_store_item *it,
                      const sn_buf *rec);
/* Appends an entry as another block holds it (the rewrite of a block). */
bool sn__sq_block_add_entry(sq_block *b, const sq_entry *e);
/* Seals b under k and inserts it (update false) or replaces the row first_seq (update true). */
sn_status sn__sq_block_write(sq_store *s, const sq_block *b, const sn_store_key *k, bool update,
                             sn_error *err);
/* Deletes the row of block first_seq. */
sn_status sn__sq_block_delete(sq_store *s, int64_t first_seq, sn_error *err);
/* Reads the current row of st (SN_SQ_BLOCK_COLUMNS first) into b, decrypted. */
sn_status sn__sq_block_open(sq_store *s, sqlite3_stmt *st, sq_block *b, sn_error *err);
/* The next entry of b after offset *at (0 at first); false at the end. A malformed entry ends
 * the walk with *bad set. */
bool sn__sq_block_next(const sq_block *b, size_t *at, size_t *index, sq_entry *e, bool *bad);
/* The error for a block whose entries do not decode. */
sn_status sn__sq_block_bad(sq_store *s, const sq_block *b, sn_error *err);
/* Opens every block the prepared statement st yields (columns SN_SQ_BLOCK_COLUMNS) and calls fn
 * on each of its entries in order; fn returns SN_OK to go on. A block that does not open or
 * does not parse, and a failed read ("cannot WHAT"), are errors. st is finalized. */
typedef sn_status (*sn_sq_entry_fn)(void *ctx, const sq_entry *e, sn_error *err);
sn_status sn__sq_each_entry(sq_store *s, sqlite3_stmt *st, sn_sq_entry_fn fn, void *ctx,
                            const char *what, sn_error *err);

/* store_sqlite.c */
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
/* store_sqlite_migrate.c: the schema of this build, created in an empty store, and the
 * migration of a version 1 store (every row re-encoded; needs the keys its rows were sealed
 * with). Each runs in one transaction. */
sn_status sn__sq_create_schema(sq_store *s, sn_error *err);
sn_status sn__sq_migrate_v1(sq_store *s, sn_error *err);

#endif
