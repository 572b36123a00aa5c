/* Public face of the store: the durable record of events, verdicts, alerts, baselines, API keys
 * and models, encrypted at rest. Detection never sees the backend: every operation goes through
 * the ops table of sn_store, so that another backend (PostgreSQL) can be added beside SQLite. */
#ifndef SN_STORE_H
#define SN_STORE_H

#include "../core/buf.h"
#include "../core/error.h"
#include "../ingest/event.h"
#include "../risk/risk.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Environment variable holding the store key when no key file is given. */
#define SN_STORE_KEY_ENV "SENTINEL_STORE_KEY"

/* Keys the store is opened with. The master key (64 hex digits) gives, by derivation, the
 * AES-256-GCM key for personal fields, the HMAC key for lookup tokens and the key id. */
typedef struct sn_store_keys {
    bool encrypt;             /* false: no encryption at all (benchmarks and tests only) */
    unsigned char master[32]; /* the current key */
    bool has_old;             /* rotation: old_master is the key being replaced */
    unsigned char old_master[32];
} sn_store_keys;

/* Loads the master key from key_file when given, else SENTINEL_STORE_KEY; clear error (naming
 * where it looked, never the key) when missing, unsafe or not 64 hex digits. */
sn_status sn_store_keys_load(sn_store_keys *keys, const char *key_file, sn_error *err);

/* One analysed event and its verdict (verdict NULL: the event alone). */
typedef struct sn_store_item {
    const sn_event *ev;
    const char *event_id;
    const sn_verdict *verdict;
    /* The verdict as its front end answered it (NULL: sn_verdict_json's form is kept). */
    const char *verdict_json;
    size_t verdict_json_len;
} sn_store_item;

/* Row counts an operation touched (kept in the privacy log: counts, never content). */
typedef struct sn_store_counts {
    int64_t events, verdicts, alerts, baselines, other;
} sn_store_counts;

/* A stored event handed back: ev's strings are borrowed until the callback returns. */
typedef int (*sn_store_event_fn)(void *ctx, int64_t seq, const sn_event *ev, const char *event_id);
/* A stored verdict as its JSON object (NUL-terminated), borrowed until the callback returns. */
typedef int (*sn_store_json_fn)(void *ctx, int64_t seq, const char *json, size_t len);

typedef struct sn_store sn_store;

typedef struct sn_store_ops {
    const char *name;
    void (*close)(sn_store *s);
    sn_status (*put)(sn_store *s, const sn_store_item *items, size_t n, sn_error *err);
    sn_status (*each_event)(sn_store *s, int64_t after_seq, sn_store_event_fn fn, void *ctx,
                            sn_error *err);
    sn_status (*recent_verdicts)(sn_store *s, size_t limit, bool anomalies_only,
                                 sn_store_json_fn fn, void *ctx, sn_error *err);
    /* scope: "engine" (the latest snapshot) or "engine_base" (what no stored event holds) */
    sn_status (*put_snapshot)(sn_store *s, const char *scope, const void *data, size_t len,
                              int64_t through_seq, sn_error *err);
    sn_status (*get_snapshot)(sn_store *s, const char *scope, sn_buf *out, int64_t *through_seq,
                              sn_error *err);
    sn_status (*register_model)(sn_store *s, const char *path, const char *sha256_hex,
                                uint64_t events, int64_t trained_at, sn_error *err);
    sn_status (*export_user)(sn_store *s, const char *user_id, sn_buf *json, sn_error *err);
    sn_status (*forget_user)(sn_store *s, const char *user_id, sn_store_counts *c, sn_error *err);
    sn_status (*retention)(sn_store *s, int64_t before_us, sn_store_counts *c, sn_error *err);
    sn_status (*backup)(sn_store *s, const char *to, sn_error *err);
    sn_status (*rotate)(sn_store *s, size_t batch, sn_store_counts *c, sn_error *err);
    sn_status (*last_seq)(sn_store *s, int64_t *seq, sn_error *err);
    /* Leaves no deleted content in the files: checkpoints and truncates the journal. */
    sn_status (*compact)(sn_store *s, sn_error *err);
    sn_status (*begin)(sn_store *s, sn_error *err);
    sn_status (*commit)(sn_store *s, sn_error *err);
    /* Claims the store for this process's writes until close (SN_ERR_DENIED when another holds
     * it). */
    sn_status (*claim)(sn_store *s, sn_error *err);
} sn_store_ops;

/* Every backend's handle begins with this. */
struct sn_store {
    const sn_store_ops *ops;
};

/* Opens (creating and migrating when needed) the store at target: a file path for SQLite.
 * Refuses a key that does not match the one the store was created with (a key check value is
 * kept in the store), and an encrypted store opened without a key. Caller closes. */
sn_status sn_store_open(sn_store **out, const char *target, const sn_store_keys *keys,
                        sn_error *err);
void sn_store_close(sn_store *s);

/* One writer at a time: a process that changes what the store holds beside its events — a
 * server (its baselines are snapshotted from memory, so an erasure made behind its back would be
 * written back), an erasure, a retention run, detect or train with --db — claims the store
 * first and keeps it until it closes the store. Readers (export, backup) need no claim. A claim
 * held by another process is refused at once with SN_ERR_DENIED and a message saying so; the
 * claim goes with the process, however it ends. */
sn_status sn_store_claim(sn_store *s, sn_error *err);

/* Commits the items in one transaction; durable (fsynced) when it returns SN_OK. Verdicts that
 * are anomalies also become alerts. */
sn_status sn_store_put(sn_store *s, const sn_store_item *items, size_t n, sn_error *err);

/* Groups the puts that follow into one transaction until sn_store_commit: one journal sync for
 * many batches, for bulk loads; nothing of them is durable before the commit returns. */
#define SN_STORE_BULK_EVENTS 16384 /* events per transaction of a bulk load (detect --db) */
sn_status sn_store_begin(sn_store *s, sn_error *err);
sn_status sn_store_commit(sn_store *s, sn_error *err);

/* Every stored event with a sequence number above after_seq, in stored order, decrypted. A
 * non-zero return from fn stops the walk and is returned as SN_ERR_USAGE. */
sn_status sn_store_each_event(sn_store *s, int64_t after_seq, sn_store_event_fn fn, void *ctx,
                              sn_error *err);

/* The newest limit verdicts (oldest first), decrypted. */
sn_status sn_store_recent_verdicts(sn_store *s, size_t limit, bool anomalies_only,
                                   sn_store_json_fn fn, void *ctx, sn_error *err);

/* The engine snapshot (baselines and detectors, as sn_engine_serialize writes them), encrypted;
 * through_seq is the last event it has seen. get returns SN_EOF when there is none. */
sn_status sn_store_put_snapshot(sn_store *s, const void *data, size_t len, int64_t through_seq,
                                sn_error *err);
sn_status sn_store_get_snapshot(sn_store *s, sn_buf *out, int64_t *through_seq, sn_error *err);

/* The baselines the stored events do not hold — a model's own training history, when the model
 * was trained without this store — kept once, as the engine stood before the store's first
 * event (or, when a server switches models, before its next one). An erasure rebuilds from
 * it plus the remaining stored events instead of from nothing; without it (a store that holds
 * its model's training events, `train --db`), from nothing. Saved only when none is kept yet
 * and the engine has learned anything; SN_OK when there was nothing to do. */
sn_status sn_store_save_base(sn_store *s, const sn_engine *e, bool replace, sn_error *err);

/* Adds a model file to the registry and makes it the active one. */
sn_status sn_store_register_model(sn_store *s, const char *path, const char *sha256_hex,
                                  uint64_t events, int64_t trained_at, sn_error *err);

/* One JSON document with every record held about user_id, decrypted: its events, verdicts,
 * alerts and baselines (empty arrays when nothing is held). */
sn_status sn_store_export_user(sn_store *s, const char *user_id, sn_buf *json, sn_error *err);

/* Deletes every record about user_id, the engine snapshot (it holds the user's baselines) and
 * leaves no trace of them in the database file or its journal; logs the counts. The peer-group
 * baselines are then rebuilt from the remaining users' events by sn_store_rebuild_baselines. */
sn_status sn_store_forget_user(sn_store *s, const char *user_id, sn_store_counts *c, sn_error *err);

/* Deletes events, verdicts and alerts whose event time is before before_us; logs the counts. */
sn_status sn_store_retention(sn_store *s, int64_t before_us, sn_store_counts *c, sn_error *err);

/* A consistent copy of the whole store at path `to`, taken while it stays in use. */
sn_status sn_store_backup(sn_store *s, const char *to, sn_error *err);

/* Re-encrypts every row sealed with the old key under the current key, batch rows per
 * transaction so that the store stays in use, then retires the old key. Needs keys->has_old. */
sn_status sn_store_rotate(sn_store *s, size_t batch, sn_store_counts *c, sn_error *err);

/* The highest sequence number given so far (0 when none): the newest stored event's, or the
 * newest snapshot's when the events it covered are gone. The next event stored gets the next. */
sn_status sn_store_last_seq(sn_store *s, int64_t *seq, sn_error *err);

/* The engine a store's baselines continue from: its snapshot with every event stored after it
 * replayed (*out NULL and SN_EOF when the store has no snapshot). */
sn_status sn_store_restore_engine(sn_store *s, sn_engine **out, sn_error *err);

/* Saves e as the store's snapshot, through the newest stored event. */
sn_status sn_store_save_engine(sn_store *s, const sn_engine *e, sn_error *err);

/* After an erasure: rebuilds the snapshot's baselines from the events still stored (its
 * detectors kept, its history reset and replayed onto the kept base, or onto nothing). With
 * forgotten non-NULL, that user is first erased from the kept base too, which is kept so.
 * SN_EOF when there was no snapshot. */
sn_status sn_store_rebuild_baselines(sn_store *s, const char *forgotten, sn_error *err);

/* SQLite backend (store_sqlite.c). */
sn_status sn_store_sqlite_open(sn_store **out, const char *path, const sn_store_keys *keys,
                               sn_error *err);

#endif
