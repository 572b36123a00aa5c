/* What the server holds between requests: the engine, the per-user history behind the user risk
 * score and a bounded ring of recent anomalous verdicts, all behind one lock taken one block of
 * events at a time. */
#include "dashboard.h"

#include "../audit/audit.h"
#include "../iam/roles.h"

#include <errno.h>
#include <stdatomic.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t psi_bits(double psi)
{
    uint64_t b;
    memcpy(&b, &psi, sizeof(b));
    return b;
}

static double psi_value(uint64_t b)
{
    double psi;
    memcpy(&psi, &b, sizeof(psi));
    return psi;
}

static int fair_init(sn_fair_lock *l)
{
    l->next = 0;
    atomic_init(&l->serving, 0);
    l->sleepers = 0;
    if (pthread_mutex_init(&l->mutex, NULL) != 0)
        return -1;
    if (pthread_cond_init(&l->turn, NULL) != 0) {
        pthread_mutex_destroy(&l->mutex);
        return -1;
    }
    return 0;
}

static void fair_destroy(sn_fair_lock *l)
{
    pthread_cond_destroy(&l->turn);
    pthread_mutex_destroy(&l->mutex);
}

/* Turns a waiter watches the ticket before it sleeps: the lock is held for one block of events,
 * microseconds for a single request, so a waiter mostly gets its turn without the two context
 * switches a sleep costs. */
#define FAIR_SPINS 256

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static void fair_lock(sn_fair_lock *l)
{
    pthread_mutex_lock(&l->mutex);
    uint64_t ticket = l->next++;
    bool mine = atomic_load(&l->serving) == ticket;
    pthread_mutex_unlock(&l->mutex);
    if (mine)
        return;
    for (int k = 0; k < FAIR_SPINS; k++) {
        if (atomic_load_explicit(&l->serving, memory_order_acquire) == ticket)
            return;
        cpu_relax();
    }
    pthread_mutex_lock(&l->mutex);
    l->sleepers++;
    while (atomic_load(&l->serving) != ticket)
        pthread_cond_wait(&l->turn, &l->mutex);
    l->sleepers--;
    pthread_mutex_unlock(&l->mutex);
}

static void fair_unlock(sn_fair_lock *l)
{
    pthread_mutex_lock(&l->mutex);
    atomic_store_explicit(&l->serving, atomic_load(&l->serving) + 1, memory_order_release);
    bool wake = l->sleepers > 0;
    pthread_mutex_unlock(&l->mutex);
    /* Every sleeper wakes and checks its ticket: a few threads at most (HTTP threads and batch
     * workers). */
    if (wake)
        pthread_cond_broadcast(&l->turn);
}

static void hex64(const uint8_t hash[32], char out[65])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hex[hash[i] >> 4];
        out[2 * i + 1] = hex[hash[i] & 15];
    }
    out[64] = '\0';
}

sn_status sn_service_new(sn_service **out, sn_engine *engine, const sn_server_config *cfg,
                         sn_log *log, sn_error *err)
{
    *out = NULL;
    /* jansson seeds its hash function on first use; do it before any worker thread exists. */
    json_object_seed(0);
    sn_service *s = calloc(1, sizeof(*s));
    if (!s) {
        sn_engine_free(engine);
        return sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL, "out of memory");
    }
    s->cfg = *cfg;
    s->log = log;
    s->engine = engine;
    sn_status ast = sn_server_config_check(cfg, err);
    if (ast == SN_OK)
        ast = sn_auth_new(&s->auth, cfg, log, err);
    if (ast != SN_OK) {
        sn_engine_free(engine);
        free(s);
        return ast;
    }
    s->limits = sn_ratelimit_new((size_t)cfg->rate_limit_sources);
    s->started_us = sn_now_us();
    s->models_loaded = sn_engine_is_fitted(engine);
    const sn_engine_stats *st = sn_engine_get_stats(engine);
    sn_format_timestamp(st->trained_at * 1000000, s->trained_at);
    hex64(st->data_hash, s->data_hash);
    s->learned = st->learned;
    s->seed = sn_engine_get_config(engine)->seed;
    s->threshold = isnan(cfg->alert_threshold) ? sn_engine_get_config(engine)->alert_threshold
                                               : cfg->alert_threshold;
    atomic_init(&s->analysed, 0);
    atomic_init(&s->anomalies, 0);
    atomic_init(&s->refused, 0);
    atomic_init(&s->connections, 0);
    atomic_init(&s->in_flight, 0);
    atomic_init(&s->queued, 0);
    /* calloc'd atomics start at zero on every platform this builds on. */
    s->routes = calloc(sn_service_routes(NULL, 0) + 1, sizeof(*s->routes));
    sn_user_risk_params up;
    sn_user_risk_params_default(&up);
    up.per_user = (uint32_t)cfg->user_history;
    up.window_days = cfg->user_window_days;
    s->users = sn_user_history_new(&up);
    s->train_hist = *sn_engine_score_hist(engine);
    s->drift_ring = malloc(cfg->drift_window > 0 ? (size_t)cfg->drift_window : 1);
    atomic_init(&s->drift_psi, psi_bits(NAN));
    atomic_init(&s->drift_alert, false);
    atomic_init(&s->drift_alerts, 0);
    s->ring_cap = cfg->recent_anomalies > 0 ? (size_t)cfg->recent_anomalies : 1;
    s->ring = calloc(s->ring_cap, sizeof(*s->ring));
    s->watch = sn_selfwatch_new(cfg);
    s->dash = sn_dash_new();
    s->sessions = sn_sessions_new((size_t)(cfg->sessions > 0 ? cfg->sessions : 1),
                                  cfg->session_ttl > 0 ? cfg->session_ttl : 60);
    if (!s->users || !s->ring || !s->dash || !s->sessions || !s->routes || !s->watch ||
        !s->limits || !s->drift_ring || fair_init(&s->lock) != 0) {
        sn_selfwatch_free(s->watch);
        sn_auth_free(s->auth);
        sn_ratelimit_free(s->limits);
        sn_user_history_free(s->users);
        free(s->drift_ring);
        sn_dash_free(s->dash);
        sn_sessions_free(s->sessions);
        free(s->routes);
        free(s->ring);
        sn_engine_free(engine);
        free(s);
        return sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL, "out of memory");
    }
    *out = s;
    return SN_OK;
}

void sn_service_set_predictor(sn_service *s, sn_predictor *pr)
{
    sn_predictor_free(s->predictor);
    s->predictor = pr;
}

void sn_service_free(sn_service *s)
{
    if (!s)
        return;
    if (s->retention_started) {
        pthread_mutex_lock(&s->stop_mutex);
        s->stopping = true;
        pthread_cond_signal(&s->stop_cond);
        pthread_mutex_unlock(&s->stop_mutex);
        pthread_join(s->retention, NULL);
    }
    if (s->store) {
        sn_error err;
        if (s->since_snapshot && sn_store_save_engine(s->store, s->engine, &err) != SN_OK)
            sn_log_msg(s->log, SN_LOG_WARN, "cannot snapshot the baselines", err.msg);
        sn_store_close(s->store);
        pthread_cond_destroy(&s->stop_cond);
        pthread_mutex_destroy(&s->stop_mutex);
    }
    for (size_t i = 0; i < s->ring_cap; i++)
        free(s->ring[i].json);
    free(s->ring);
    sn_dash_free(s->dash);
    sn_sessions_free(s->sessions);
    free(s->routes);
    free(s->drift_ring);
    sn_user_history_free(s->users);
    sn_selfwatch_free(s->watch);
    sn_engine_free(s->engine);
    sn_auth_free(s->auth);
    sn_ratelimit_free(s->limits);
    sn_predictor_free(s->predictor);
    fair_destroy(&s->lock);
    free(s);
}

/* The server's own alert threshold, when one is configured, in place of the model's: the same
 * rule the engine applies (an alert is never below MEDIUM). */
static void apply_threshold(const sn_service *s, sn_verdict *v)
{
    if (isnan(s->cfg.alert_threshold))
        return;
    v->is_anomaly = v->risk_score >= s->cfg.alert_threshold;
    v->level = sn_level_from_risk(v->risk_score);
    if (v->is_anomaly && v->level < SN_MEDIUM)
        v->level = SN_MEDIUM;
    v->recommendation = sn_recommendation(v->level);
}

static void ring_push(sn_service *s, const sn_anomaly_entry *e)
{
    size_t slot = (s->ring_head + s->ring_count) % s->ring_cap;
    if (s->ring_count == s->ring_cap) {
        slot = s->ring_head;
        s->ring_head = (s->ring_head + 1) % s->ring_cap;
    } else {
        s->ring_count++;
    }
    free(s->ring[slot].json);
    s->ring[slot] = *e;
}

/* A ring entry: the verdict's JSON, then the user, resource and department it is filed under
 * (the department decides who may read it: a caller's scope), and what the dashboard sorts and
 * searches by. false when out of memory. */
static bool ring_entry_make(sn_anomaly_entry *e, const char *json, size_t len, sn_str user,
                            sn_str res, sn_str dept, int64_t ts_us, double risk, int level)
{
    e->json = malloc(len + 1 + user.n + 1 + res.n + 1 + dept.n + 1);
    if (!e->json)
        return false;
    char *p = e->json;
    const sn_str parts[4] = {{json, len}, user, res, dept};
    for (int k = 0; k < 4; k++) {
        if (parts[k].n)
            memcpy(p, parts[k].p, parts[k].n);
        p[parts[k].n] = '\0';
        p += parts[k].n + 1;
    }
    e->len = (uint32_t)len;
    e->user_len = (uint32_t)user.n;
    e->resource_len = (uint32_t)res.n;
    /* The reasons' text, for the dashboard's search (the keys around it would match too). */
    static const char from[] = "\"reasons\":[", to[] = "],\"recommendation\"";
    const char *a = memmem(json, len, from, sizeof(from) - 1);
    const char *b = a ? memmem(a, len - (size_t)(a - json), to, sizeof(to) - 1) : NULL;
    e->reasons_off = b ? (uint32_t)(a - json) + sizeof(from) - 1 : 0;
    e->reasons_len = b ? (uint32_t)(b - a - (sizeof(from) - 1)) : 0;
    e->ts_us = ts_us;
    e->risk = (float)risk;
    e->level = (uint8_t)level;
    return true;
}

/* The ring's entry for one anomalous verdict whose JSON is in json. */
static bool ring_entry(sn_anomaly_entry *e, const sn_buf *json, const sn_event *ev,
                       const sn_verdict *v)
{
    return !json->failed && ring_entry_make(e, json->data, json->len, ev->user_id, ev->resource,
                                            ev->department, ev->ts_us, v->risk_score, v->level);
}

void sn_service_push_anomaly(sn_service *s, const char *json, size_t len)
{
    /* The server's own alerts: no user, resource or department (only callers of scope "*"
     * see them), HIGH, now. */
    sn_anomaly_entry e;
    if (!ring_entry_make(&e, json, len, (sn_str){0}, (sn_str){0}, (sn_str){0}, sn_now_us(), 80.0,
                         SN_HIGH))
        return;
    fair_lock(&s->lock);
    ring_push(s, &e);
    fair_unlock(&s->lock);
}

const char *sn_anomaly_entry_department(const sn_anomaly_entry *e)
{
    return e->json + e->len + 1 + e->user_len + 1 + e->resource_len + 1;
}

/* Drift monitor, under the lock: the risk's training bin into the window. */
static void drift_add(sn_service *s, double risk)
{
    if (s->train_hist.n_bins == 0)
        return;
    uint8_t bin = (uint8_t)sn_score_hist_bin(&s->train_hist, risk);
    size_t cap = (size_t)s->cfg.drift_window;
    if (s->drift_len == cap) {
        s->drift_count[s->drift_ring[s->drift_head]]--;
        s->drift_ring[s->drift_head] = bin;
        s->drift_head = (s->drift_head + 1) % cap;
    } else {
        s->drift_ring[(s->drift_head + s->drift_len) % cap] = bin;
        s->drift_len++;
    }
    s->drift_count[bin]++;
}

/* Under the lock, after a block: the index of the window against training, and whether the
 * alert changes (+1 raised, -1 cleared, 0 neither). */
static int drift_update(sn_service *s, double *psi_out)
{
    double psi = NAN;
    if (s->train_hist.n_bins > 0 && s->drift_len >= (size_t)s->cfg.drift_min_events)
        psi = sn_psi(s->train_hist.count, s->drift_count, s->train_hist.n_bins);
    atomic_store_explicit(&s->drift_psi, psi_bits(psi), memory_order_relaxed);
    *psi_out = psi;
    bool alert = atomic_load_explicit(&s->drift_alert, memory_order_relaxed);
    bool now = psi >= s->cfg.drift_threshold; /* false for NAN */
    if (now == alert)
        return 0;
    atomic_store_explicit(&s->drift_alert, now, memory_order_relaxed);
    if (now)
        atomic_fetch_add_explicit(&s->drift_alerts, 1, memory_order_relaxed);
    return now ? 1 : -1;
}

void sn_service_drift(sn_service *s, sn_drift_view *out)
{
    out->psi = psi_value(atomic_load_explicit(&s->drift_psi, memory_order_relaxed));
    out->alert = atomic_load_explicit(&s->drift_alert, memory_order_relaxed);
    out->alerts = atomic_load_explicit(&s->drift_alerts, memory_order_relaxed);
    if (s->train_hist.n_bins == 0)
        out->status = "unavailable";
    else if (isnan(out->psi))
        out->status = "insufficient_data";
    else if (out->psi >= s->cfg.drift_threshold)
        out->status = "drift";
    else if (out->psi < 0.1)
        out->status = "stable";
    else
        out->status = "moderate";
}

static void drift_log(sn_service *s, int change, double psi)
{
    sn_log_line line;
    sn_log_begin(&line, change > 0 ? SN_LOG_WARN : SN_LOG_INFO,
                 change > 0 ? "model drift: the live risk distribution has moved away from the "
                              "training one"
                            : "model drift cleared");
    char v[32];
    snprintf(v, sizeof(v), "%.4f", psi);
    sn_log_str(&line, "psi", v, strlen(v));
    snprintf(v, sizeof(v), "%.4f", s->cfg.drift_threshold);
    sn_log_str(&line, "threshold", v, strlen(v));
    sn_log_end(s->log, &line);
}

/* Stores events [from, to) with their verdicts as the API answers them, in one transaction,
 * and snapshots the baselines every cfg.snapshot_events events. Under the lock. */
static sn_status store_block(sn_service *s, const sn_req_events *evs, size_t from, size_t to,
                             const sn_verdict *verdicts, const char *analysed_at, sn_error *err)
{
    sn_store_item items[SN_ANALYSE_BLOCK];
    sn_buf json[SN_ANALYSE_BLOCK];
    size_t n = to - from;
    sn_status st = SN_OK;
    for (size_t k = 0; k < n; k++) {
        const sn_event *ev = &evs->ev[from + k];
        sn_buf_init(&json[k]);
        sn_json_verdict(&json[k], ev, &verdicts[from + k], analysed_at);
        if (json[k].failed)
            st = sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL, "out of memory");
        /* The event id the API answered with: the request's, or the one generated for it. */
        items[k] = (sn_store_item){.ev = ev,
                                   .verdict = &verdicts[from + k],
                                   .verdict_json = json[k].data,
                                   .verdict_json_len = json[k].len};
    }
    /* The ids NUL-terminated, one after the other. */
    sn_buf ids;
    sn_buf_init(&ids);
    size_t at[SN_ANALYSE_BLOCK];
    for (size_t k = 0; k < n; k++) {
        const sn_str *id = &evs->ev[from + k].event_id;
        at[k] = ids.len;
        sn_buf_append(&ids, id->p ? id->p : "", id->n);
        sn_buf_putc(&ids, '\0');
    }
    if (ids.failed && st == SN_OK)
        st = sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL, "out of memory");
    for (size_t k = 0; st == SN_OK && k < n; k++)
        items[k].event_id = ids.data + at[k];
    if (st == SN_OK)
        st = sn_store_put(s->store, items, n, err);
    sn_buf_free(&ids);
    for (size_t k = 0; k < n; k++)
        sn_buf_free(&json[k]);
    if (st != SN_OK)
        return st;
    s->since_snapshot += n;
    if (s->since_snapshot >= (uint64_t)s->cfg.snapshot_events) {
        sn_error serr;
        if (sn_store_save_engine(s->store, s->engine, &serr) == SN_OK)
            s->since_snapshot = 0;
        else
            sn_log_msg(s->log, SN_LOG_WARN, "cannot snapshot the baselines", serr.msg);
    }
    return SN_OK;
}

sn_status sn_service_analyse(sn_service *s, const sn_req_events *evs, sn_verdict *verdicts,
                             const char *analysed_at, sn_error *err)
{
    sn_status st = SN_OK;
    sn_buf json;
    sn_buf_init(&json);
    for (size_t i = 0; st == SN_OK && i < evs->n;) {
        if (evs->refused[i]) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < evs->n && j - i < SN_ANALYSE_BLOCK && !evs->refused[j])
            j++;
        /* The lock is held for one block only: between two blocks of a large batch, other
         * requests get their turn (their events then come between the two blocks, each judged
         * against everything taken before it). */
        uint64_t anomalies = 0;
        int drift_change = 0;
        double psi = NAN;
        fair_lock(&s->lock);
        st = sn_engine_analyse_many(s->engine, evs->ev + i, j - i, verdicts + i, err);
        for (size_t k = i; st == SN_OK && k < j; k++)
            apply_threshold(s, &verdicts[k]);
        /* Committed before anything is answered or remembered: an acknowledged event is a
         * stored one. */
        if (st == SN_OK && s->store)
            st = store_block(s, evs, i, j, verdicts, analysed_at, err);
        for (size_t k = i; st == SN_OK && k < j; k++) {
            sn_verdict *v = &verdicts[k];
            drift_add(s, v->risk_score);
            if (sn_user_history_add(s->users, &evs->ev[k], v) != SN_OK ||
                sn_dash_record(s->dash, &evs->ev[k], v) != SN_OK)
                st = sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL, "out of memory");
            if (!v->is_anomaly)
                continue;
            anomalies++;
            sn_buf_reset(&json);
            sn_json_verdict(&json, &evs->ev[k], v, analysed_at);
            sn_anomaly_entry e;
            if (ring_entry(&e, &json, &evs->ev[k], v))
                ring_push(s, &e);
        }
        if (st == SN_OK)
            drift_change = drift_update(s, &psi);
        fair_unlock(&s->lock);
        if (drift_change)
            drift_log(s, drift_change, psi);
        if (st == SN_OK) {
            atomic_fetch_add_explicit(&s->analysed, j - i, memory_order_relaxed);
            atomic_fetch_add_explicit(&s->anomalies, anomalies, memory_order_relaxed);
        }
        i = j;
    }
    sn_buf_free(&json);
    return st;
}

void sn_service_lock(sn_service *s)
{
    fair_lock(&s->lock);
}

void sn_service_unlock(sn_service *s)
{
    fair_unlock(&s->lock);
}

bool sn_service_user_risk(sn_service *s, const char *user, size_t n, sn_user_risk *out)
{
    fair_lock(&s->lock);
    bool found = sn_user_risk_compute(s->users, user, n, out);
    fair_unlock(&s->lock);
    return found;
}

/* The drift monitor: status, index, threshold, window and alert, and the shares of each bin
 * (training and live). */
static void drift_json(sn_service *s, sn_buf *out)
{
    sn_drift_view d;
    sn_service_drift(s, &d);
    uint64_t live[SN_HIST_BINS];
    size_t len;
    fair_lock(&s->lock);
    memcpy(live, s->drift_count, sizeof(live));
    len = s->drift_len;
    fair_unlock(&s->lock);
    sn_buf_printf(out, "{\"status\":\"%s\",\"psi\":", d.status);
    sn_buf_fixed(out, d.psi, 4);
    sn_buf_puts(out, ",\"threshold\":");
    sn_buf_fixed(out, s->cfg.drift_threshold, 4);
    sn_buf_printf(out, ",\"alert\":%s,\"alerts_raised\":", d.alert ? "true" : "false");
    sn_buf_u64(out, d.alerts);
    sn_buf_puts(out, ",\"window_events\":");
    sn_buf_u64(out, len);
    sn_buf_printf(out, ",\"window\":%d,\"min_events\":%d,\"bins\":[", s->cfg.drift_window,
                  s->cfg.drift_min_events);
    const sn_score_hist *h = &s->train_hist;
    for (int b = 0; b < h->n_bins; b++) {
        sn_buf_puts(out, b ? ",{\"from\":" : "{\"from\":");
        sn_buf_fixed(out, b ? h->edge[b - 1] : NAN, 4);
        sn_buf_puts(out, ",\"to\":");
        sn_buf_fixed(out, b + 1 < h->n_bins ? h->edge[b] : NAN, 4);
        sn_buf_puts(out, ",\"training_share\":");
        sn_buf_fixed(out, h->total ? (double)h->count[b] / (double)h->total : 0, 4);
        sn_buf_puts(out, ",\"live_share\":");
        sn_buf_fixed(out, len ? (double)live[b] / (double)len : 0, 4);
        sn_buf_putc(out, '}');
    }
    sn_buf_puts(out, "]}");
}

void sn_service_model_metrics(sn_service *s, sn_buf *out)
{
    fair_lock(&s->lock);
    const sn_engine_stats st = *sn_engine_get_stats(s->engine);
    const sn_engine_config cfg = *sn_engine_get_config(s->engine);
    int32_t users = sn_user_history_users(s->users);
    fair_unlock(&s->lock);
    uint64_t analysed = atomic_load_explicit(&s->analysed, memory_order_relaxed);
    uint64_t anomalies = atomic_load_explicit(&s->anomalies, memory_order_relaxed);

    sn_buf_puts(out, "{\"model_file\":");
    sn_buf_json_str(out, s->cfg.model, strlen(s->cfg.model));
    sn_buf_puts(out, ",\"trained_at\":\"");
    sn_buf_puts(out, s->trained_at);
    sn_buf_puts(out, "\",\"training_data_sha256\":\"");
    sn_buf_puts(out, s->data_hash);
    sn_buf_puts(out, "\",\"events_learned\":");
    sn_buf_u64(out, st.learned);
    sn_buf_puts(out, ",\"threshold\":{\"risk_score\":");
    sn_buf_fixed(out, s->threshold, 2);
    sn_buf_puts(out, ",\"model_risk_score\":");
    sn_buf_fixed(out, cfg.alert_threshold, 2);
    sn_buf_puts(out, ",\"model_evidence_bits\":");
    sn_buf_fixed(out, st.threshold_bits, 3);
    sn_buf_puts(out, ",\"source\":\"");
    sn_buf_puts(out, isnan(s->cfg.alert_threshold) ? "model" : "server");
    sn_buf_puts(out, "\"},\"parameters\":{\"prior_bits\":");
    sn_buf_fixed(out, cfg.prior_bits, 3);
    sn_buf_puts(out, ",\"contamination\":");
    sn_buf_fixed(out, cfg.contamination, 4);
    sn_buf_puts(out, ",\"iforest_weight\":");
    sn_buf_fixed(out, cfg.iforest_weight, 3);
    sn_buf_puts(out, ",\"iforest_floor_bits\":");
    sn_buf_fixed(out, cfg.iforest_floor_bits, 3);
    sn_buf_puts(out, ",\"trees\":");
    sn_buf_u64(out, (uint64_t)cfg.trees);
    sn_buf_puts(out, ",\"psi\":");
    sn_buf_u64(out, (uint64_t)cfg.psi);
    sn_buf_puts(out, ",\"seed\":");
    sn_buf_u64(out, cfg.seed);
    sn_buf_puts(out, ",\"sample_size\":");
    sn_buf_u64(out, cfg.sample_size);
    sn_buf_puts(out, ",\"suspicious_countries\":");
    sn_buf_json_str(out, cfg.suspicious_countries, strlen(cfg.suspicious_countries));
    sn_buf_puts(out, "},\"features\":[");
    for (int i = 0; i < SN_FEATURE_COUNT; i++) {
        if (i)
            sn_buf_putc(out, ',');
        sn_buf_json_str(out, sn_feature_name(i), strlen(sn_feature_name(i)));
    }
    sn_buf_puts(out, "],\"training\":{\"train_filter\":");
    sn_buf_fixed(out, cfg.train_filter, 4);
    sn_buf_puts(out, ",\"rows_filtered\":");
    sn_buf_u64(out, st.train_filtered);
    sn_buf_puts(out, ",\"risk_distribution_events\":");
    sn_buf_u64(out, s->train_hist.total);
    sn_buf_puts(out, "},\"drift\":");
    drift_json(s, out);
    sn_buf_puts(out, ",\"server\":{\"events_analysed\":");
    sn_buf_u64(out, analysed);
    sn_buf_puts(out, ",\"anomalies_detected\":");
    sn_buf_u64(out, anomalies);
    sn_buf_puts(out, ",\"users_seen\":");
    sn_buf_u64(out, (uint64_t)users);
    sn_buf_puts(out, "},\"access_predictor\":");
    if (s->predictor) {
        /* the file it came from, then what it is */
        sn_buf_puts(out, "{\"file\":");
        sn_buf_json_str(out, s->cfg.predictor, strlen(s->cfg.predictor));
        sn_buf_putc(out, ',');
        sn_buf info;
        sn_buf_init(&info);
        sn_predictor_info_json(s->predictor, &info);
        if (info.failed || info.len < 2)
            out->failed = 1;
        else
            sn_buf_append(out, info.data + 1, info.len - 1);
        sn_buf_free(&info);
    } else {
        sn_buf_puts(out, "null");
    }
    sn_buf_putc(out, '}');
}

sn_status sn_service_discover_roles(sn_service *s, int k, sn_buf *out, sn_error *err)
{
    /* Under the lock only a flat copy of the counts (ids and pointers to names that never
     * move); the matrix is built and mined after it is released. */
    sn_profile_counts counts;
    fair_lock(&s->lock);
    sn_status st =
        sn_profiles_copy_counts(sn_engine_profiles(s->engine), SN_ATTR_RESOURCE, &counts);
    fair_unlock(&s->lock);
    sn_role_matrix *m = st == SN_OK ? sn_role_matrix_new() : NULL;
    if (!m || sn_role_matrix_from_counts(m, &counts) != SN_OK) {
        sn_profile_counts_free(&counts);
        sn_role_matrix_free(m);
        return sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL, "out of memory");
    }
    sn_profile_counts_free(&counts);
    sn_role_params p;
    sn_role_params_default(&p);
    p.k = k;
    p.seed = s->seed;
    p.max_users = s->cfg.roles_max_users;
    sn_roles r;
    st = sn_roles_mine(m, &p, &r, err);
    if (st == SN_OK) {
        sn_roles_json(out, m, &r, 100);
        sn_roles_free(&r);
    }
    sn_role_matrix_free(m);
    return st;
}

/* ---- The store: recent anomalies at start, retention, a person's records ---- */

/* A stored verdict back into the feed. The verdict names its user, resource, time, score and
 * level; its department is not kept with it, so after a restart only callers whose scope
 * covers every department see it. */
static int reload_anomaly(void *ctx, int64_t seq, const char *json, size_t len)
{
    (void)seq;
    sn_service *s = ctx;
    json_t *j = json_loadb(json, len, 0, NULL);
    const char *user = json_string_value(json_object_get(j, "user_id"));
    const char *res = json_string_value(json_object_get(j, "resource"));
    const char *level = json_string_value(json_object_get(j, "risk_level"));
    const char *ts = json_string_value(json_object_get(j, "timestamp"));
    int lvl = SN_NORMAL;
    for (int l = SN_NORMAL; level && l <= SN_CRITICAL; l++)
        if (!strcmp(level, sn_level_name((sn_level)l)))
            lvl = l;
    int64_t us = 0;
    if (ts && sn_parse_timestamp(ts, strlen(ts), &us, NULL) != SN_OK)
        us = 0;
    sn_anomaly_entry e;
    bool ok = ring_entry_make(&e, json, len, (sn_str){user, user ? strlen(user) : 0},
                              (sn_str){res, res ? strlen(res) : 0}, (sn_str){0}, us,
                              json_number_value(json_object_get(j, "risk_score")), lvl);
    json_decref(j);
    if (!ok)
        return 1;
    ring_push(s, &e);
    return 0;
}

static void *retention_job(void *arg)
{
    sn_service *s = arg;
    pthread_mutex_lock(&s->stop_mutex);
    while (!s->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += s->cfg.retention_interval;
        while (!s->stopping &&
               pthread_cond_timedwait(&s->stop_cond, &s->stop_mutex, &until) != ETIMEDOUT) {
        }
        if (s->stopping)
            break;
        pthread_mutex_unlock(&s->stop_mutex);
        int64_t before = sn_now_us() - (int64_t)s->cfg.retention_days * 86400 * 1000000;
        sn_store_counts c;
        sn_error err;
        fair_lock(&s->lock);
        sn_status st = sn_store_retention(s->store, before, &c, &err);
        fair_unlock(&s->lock);
        if (st != SN_OK) {
            sn_log_msg(s->log, SN_LOG_ERROR, "retention failed", err.msg);
        } else {
            /* Audited by counts, never by content. */
            sn_audit_field f[] = {SN_AUDIT_I("retention_days", s->cfg.retention_days),
                                  SN_AUDIT_I("events_deleted", c.events),
                                  SN_AUDIT_I("verdicts_deleted", c.verdicts),
                                  SN_AUDIT_I("alerts_deleted", c.alerts)};
            sn_audit_rec rec = {"retention", "sentinel", NULL, f, 4};
            sn_error aerr;
            if (sn_audit_record(s->audit, &rec, &aerr) != SN_OK)
                sn_log_msg(s->log, SN_LOG_ERROR, "cannot write the audit log", aerr.msg);
            sn_log_line line;
            sn_log_begin(&line, SN_LOG_INFO, "retention applied");
            sn_log_int(&line, "events_deleted", (long long)c.events);
            sn_log_int(&line, "verdicts_deleted", (long long)c.verdicts);
            sn_log_int(&line, "alerts_deleted", (long long)c.alerts);
            sn_log_end(s->log, &line);
        }
        pthread_mutex_lock(&s->stop_mutex);
    }
    pthread_mutex_unlock(&s->stop_mutex);
    return NULL;
}

sn_status sn_service_set_store(sn_service *s, sn_store *store, sn_error *err)
{
    if (pthread_mutex_init(&s->stop_mutex, NULL) != 0) {
        sn_store_close(store);
        return sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL, "out of resources");
    }
    if (pthread_cond_init(&s->stop_cond, NULL) != 0) {
        pthread_mutex_destroy(&s->stop_mutex);
        sn_store_close(store);
        return sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL, "out of resources");
    }
    s->store = store;
    sn_status st = sn_store_recent_verdicts(store, s->ring_cap, true, reload_anomaly, s, err);
    if (st != SN_OK)
        return st;
    if (s->cfg.retention_days > 0) {
        if (pthread_create(&s->retention, NULL, retention_job, s) != 0)
            return sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL,
                                "cannot start the retention job");
        s->retention_started = true;
    }
    return SN_OK;
}

sn_status sn_service_export_user(sn_service *s, const char *user, sn_buf *out, sn_error *err)
{
    if (!s->store)
        return sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, NULL,
                            "the server keeps no store (option db)");
    fair_lock(&s->lock);
    sn_status st = sn_store_export_user(s->store, user, out, err);
    fair_unlock(&s->lock);
    return st;
}

/* Whether a ring entry is about user. */
static bool ring_entry_of(const sn_anomaly_entry *e, const char *user)
{
    return e->json && e->user_len == strlen(user) &&
           !memcmp(e->json + e->len + 1, user, e->user_len);
}

sn_status sn_service_forget_user(sn_service *s, const char *user, sn_store_counts *c, sn_error *err)
{
    if (!s->store)
        return sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, NULL,
                            "the server keeps no store (option db)");
    fair_lock(&s->lock);
    sn_status st = sn_store_forget_user(s->store, user, c, err);
    /* The engine in use continues from the rebuilt baselines. */
    sn_engine *rebuilt = NULL;
    if (st == SN_OK) {
        st = sn_store_restore_engine(s->store, &rebuilt, err);
        if (st == SN_OK) {
            sn_engine_free(s->engine);
            s->engine = rebuilt;
            s->since_snapshot = 0;
        } else if (st == SN_EOF) {
            st = SN_OK;
        }
    }
    if (st == SN_OK) {
        sn_user_history_forget(s->users, user, strlen(user));
        sn_dash_forget_user(s->dash, user, strlen(user));
        /* Keep the other anomalies, in order. */
        size_t kept = 0;
        for (size_t k = 0; k < s->ring_count; k++) {
            size_t slot = (s->ring_head + k) % s->ring_cap;
            sn_anomaly_entry *e = &s->ring[slot];
            if (ring_entry_of(e, user)) {
                memset(e->json, 0, e->len);
                free(e->json);
                memset(e, 0, sizeof(*e));
                continue;
            }
            size_t to = (s->ring_head + kept) % s->ring_cap;
            if (to != slot) {
                s->ring[to] = *e;
                memset(e, 0, sizeof(*e));
            }
            kept++;
        }
        s->ring_count = kept;
    }
    fair_unlock(&s->lock);
    return st;
}
