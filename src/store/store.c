/* The store's backend-independent half: opening by target, dispatch through the ops table,
 * loading keys, and keeping the engine's baselines in step with the stored events. */
#include "store_internal.h"

#include "../core/secret.h"

#include <openssl/crypto.h>
#include <string.h>

sn_status sn_store_keys_load(sn_store_keys *keys, const char *key_file, sn_error *err)
{
    memset(keys, 0, sizeof(*keys));
    sn_secret sec = {0};
    sn_status st = sn_secret_load(key_file, SN_STORE_KEY_ENV, &sec, err);
    if (st != SN_OK) {
        if (err && !(key_file && key_file[0]))
            snprintf(err->msg, sizeof(err->msg),
                     "no store key: give store_key_file (--store-key-file) or set %s to 64 "
                     "hexadecimal digits (openssl rand -hex 32)",
                     SN_STORE_KEY_ENV);
        return st;
    }
    st = sn_secret_key32(&sec, keys->master, err);
    sn_secret_free(&sec);
    if (st != SN_OK)
        return st;
    keys->encrypt = true;
    return SN_OK;
}

sn_status sn_store_open(sn_store **out, const char *target, const sn_store_keys *keys,
                        sn_error *err)
{
    *out = NULL;
    if (!target || !target[0])
        return sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, NULL, "no store path given");
    if (!strncmp(target, "postgres://", 11) || !strncmp(target, "postgresql://", 13))
        return sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, NULL,
                            "this build has no PostgreSQL store backend; give a file path");
    return sn_store_sqlite_open(out, target, keys, err);
}

void sn_store_close(sn_store *s)
{
    if (s)
        s->ops->close(s);
}

sn_status sn_store_claim(sn_store *s, sn_error *err)
{
    return s->ops->claim(s, err);
}

sn_status sn_store_put(sn_store *s, const sn_store_item *items, size_t n, sn_error *err)
{
    return n ? s->ops->put(s, items, n, err) : SN_OK;
}

sn_status sn_store_begin(sn_store *s, sn_error *err)
{
    return s->ops->begin(s, err);
}

sn_status sn_store_commit(sn_store *s, sn_error *err)
{
    return s->ops->commit(s, err);
}

sn_status sn_store_each_event(sn_store *s, int64_t after_seq, sn_store_event_fn fn, void *ctx,
                              sn_error *err)
{
    return s->ops->each_event(s, after_seq, fn, ctx, err);
}

sn_status sn_store_recent_verdicts(sn_store *s, size_t limit, bool anomalies_only,
                                   sn_store_json_fn fn, void *ctx, sn_error *err)
{
    return s->ops->recent_verdicts(s, limit, anomalies_only, fn, ctx, err);
}

sn_status sn_store_put_snapshot(sn_store *s, const void *data, size_t len, int64_t through_seq,
                                sn_error *err)
{
    return s->ops->put_snapshot(s, "engine", data, len, through_seq, err);
}

sn_status sn_store_get_snapshot(sn_store *s, sn_buf *out, int64_t *through_seq, sn_error *err)
{
    return s->ops->get_snapshot(s, "engine", out, through_seq, err);
}

sn_status sn_store_register_model(sn_store *s, const char *path, const char *sha256_hex,
                                  uint64_t events, int64_t trained_at, sn_error *err)
{
    return s->ops->register_model(s, path, sha256_hex, events, trained_at, err);
}

sn_status sn_store_export_user(sn_store *s, const char *user_id, sn_buf *json, sn_error *err)
{
    return s->ops->export_user(s, user_id, json, err);
}

sn_status sn_store_retention(sn_store *s, int64_t before_us, sn_store_counts *c, sn_error *err)
{
    sn_status st = s->ops->retention(s, before_us, c, err);
    return st == SN_OK ? s->ops->compact(s, err) : st;
}

sn_status sn_store_backup(sn_store *s, const char *to, sn_error *err)
{
    return s->ops->backup(s, to, err);
}

sn_status sn_store_rotate(sn_store *s, size_t batch, sn_store_counts *c, sn_error *err)
{
    return s->ops->rotate(s, batch ? batch : 500, c, err);
}

sn_status sn_store_last_seq(sn_store *s, int64_t *seq, sn_error *err)
{
    return s->ops->last_seq(s, seq, err);
}

typedef struct replay_ctx {
    sn_engine *e;
    sn_error *err;
    sn_status st;
} replay_ctx;

static int replay_one(void *ctx, int64_t seq, const sn_event *ev, const char *event_id)
{
    (void)seq;
    (void)event_id;
    replay_ctx *r = ctx;
    sn_verdict v;
    r->st = sn_engine_analyse(r->e, ev, &v, r->err);
    return r->st != SN_OK;
}

static sn_status load_scope(sn_store *s, const char *scope, sn_engine **out, int64_t *through,
                            sn_error *err)
{
    *out = NULL;
    sn_buf snap;
    sn_buf_init(&snap);
    sn_status st = s->ops->get_snapshot(s, scope, &snap, through, err);
    if (st == SN_OK)
        st =
            sn_engine_deserialize(out, (const uint8_t *)snap.data, snap.len, "store snapshot", err);
    if (snap.data)
        OPENSSL_cleanse(snap.data, snap.len);
    sn_buf_free(&snap);
    return st;
}

static sn_status load_snapshot(sn_store *s, sn_engine **out, int64_t *through, sn_error *err)
{
    return load_scope(s, "engine", out, through, err);
}

/* e serialised and kept as the snapshot of scope, standing through seq; the clear bytes wiped. */
static sn_status put_engine(sn_store *s, const char *scope, const sn_engine *e, int64_t seq,
                            sn_error *err)
{
    sn_buf b;
    sn_buf_init(&b);
    sn_status st = sn_engine_serialize(e, &b, err);
    if (st == SN_OK)
        st = s->ops->put_snapshot(s, scope, b.data, b.len, seq, err);
    if (b.data)
        OPENSSL_cleanse(b.data, b.len);
    sn_buf_free(&b);
    return st;
}

sn_status sn_store_save_base(sn_store *s, const sn_engine *e, bool replace, sn_error *err)
{
    if (!sn_engine_get_stats(e)->learned)
        return SN_OK;
    sn_buf probe;
    sn_buf_init(&probe);
    int64_t through = 0;
    sn_status st = s->ops->get_snapshot(s, "engine_base", &probe, &through, err);
    if (probe.data)
        OPENSSL_cleanse(probe.data, probe.len);
    sn_buf_free(&probe);
    if (st == SN_OK && !replace)
        return SN_OK;
    if (st != SN_OK && st != SN_EOF)
        return st;
    int64_t seq = 0;
    if ((st = sn_store_last_seq(s, &seq, err)) != SN_OK)
        return st;
    return put_engine(s, "engine_base", e, seq, err);
}

sn_status sn_store_restore_engine(sn_store *s, sn_engine **out, sn_error *err)
{
    int64_t through = 0;
    sn_status st = load_snapshot(s, out, &through, err);
    if (st != SN_OK)
        return st;
    replay_ctx r = {.e = *out, .err = err};
    st = sn_store_each_event(s, through, replay_one, &r, err);
    if (st != SN_OK && r.st != SN_OK)
        st = r.st;
    if (st != SN_OK) {
        sn_engine_free(*out);
        *out = NULL;
    }
    return st;
}

sn_status sn_store_save_engine(sn_store *s, const sn_engine *e, sn_error *err)
{
    int64_t seq = 0;
    sn_status st = sn_store_last_seq(s, &seq, err);
    return st == SN_OK ? put_engine(s, "engine", e, seq, err) : st;
}

sn_status sn_store_rebuild_baselines(sn_store *s, const char *forgotten, sn_error *err)
{
    sn_engine *e = NULL;
    int64_t through = 0, after = 0;
    /* From the baselines no stored event holds (a model's training history) when they are
     * kept, else from nothing; then every event still held, in order. */
    sn_status st = load_scope(s, "engine_base", &e, &after, err);
    bool from_base = st == SN_OK;
    if (st == SN_EOF) {
        st = load_snapshot(s, &e, &through, err);
        if (st != SN_OK)
            return st;
        /* The detectors stay; every baseline is learned again from the events still held (the
         * reset keeps who belongs to which department and title). */
        sn_engine_reset_history(e);
        after = 0;
    } else if (st != SN_OK) {
        return st;
    }
    /* The erased user goes from what is left: the base's history (kept so, standing where it
     * stood) or the department and title the reset kept. */
    if (forgotten && sn_engine_forget_user(e, forgotten, strlen(forgotten)) && from_base &&
        (st = put_engine(s, "engine_base", e, after, err)) != SN_OK) {
        sn_engine_free(e);
        return st;
    }
    replay_ctx r = {.e = e, .err = err};
    st = sn_store_each_event(s, after, replay_one, &r, err);
    if (st != SN_OK && r.st != SN_OK)
        st = r.st;
    if (st == SN_OK)
        st = sn_store_save_engine(s, e, err);
    sn_engine_free(e);
    return st;
}

sn_status sn_store_forget_user(sn_store *s, const char *user_id, sn_store_counts *c, sn_error *err)
{
    sn_status st = s->ops->forget_user(s, user_id, c, err);
    if (st != SN_OK)
        return st;
    st = sn_store_rebuild_baselines(s, user_id, err);
    if (st == SN_OK && c)
        c->baselines += 1; /* the shared snapshot, rebuilt without the user */
    if (st == SN_EOF)
        st = SN_OK;
    return st == SN_OK ? s->ops->compact(s, err) : st;
}
