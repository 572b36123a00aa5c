/* What the server holds between requests: the engine, the per-user history behind the user risk
 * score and a bounded ring of recent anomalous verdicts, all behind one lock taken one block of
 * events at a time. */
#include "server_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int fair_init(sn_fair_lock *l)
{
    l->next = l->serving = 0;
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

static void fair_lock(sn_fair_lock *l)
{
    pthread_mutex_lock(&l->mutex);
    uint64_t ticket = l->next++;
    while (ticket != l->serving)
        pthread_cond_wait(&l->turn, &l->mutex);
    pthread_mutex_unlock(&l->mutex);
}

static void fair_unlock(sn_fair_lock *l)
{
    pthread_mutex_lock(&l->mutex);
    l->serving++;
    bool waiting = l->next != l->serving;
    pthread_mutex_unlock(&l->mutex);
    /* Every waiter wakes and checks its ticket: a few threads at most (HTTP threads and batch
     * workers). */
    if (waiting)
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
    s->started_us = sn_now_us();
    s->models_loaded = sn_engine_is_fitted(engine);
    const sn_engine_stats *st = sn_engine_get_stats(engine);
    sn_format_timestamp(st->trained_at * 1000000, s->trained_at);
    hex64(st->data_hash, s->data_hash);
    s->learned = st->learned;
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
    s->ring_cap = cfg->recent_anomalies > 0 ? (size_t)cfg->recent_anomalies : 1;
    s->ring = calloc(s->ring_cap, sizeof(*s->ring));
    s->ring_len = calloc(s->ring_cap, sizeof(*s->ring_len));
    if (!s->users || !s->ring || !s->ring_len || !s->routes || fair_init(&s->lock) != 0) {
        sn_user_history_free(s->users);
        free(s->routes);
        free(s->ring);
        free(s->ring_len);
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
    for (size_t i = 0; i < s->ring_cap; i++)
        free(s->ring[i]);
    free(s->ring);
    free(s->ring_len);
    free(s->routes);
    sn_user_history_free(s->users);
    sn_engine_free(s->engine);
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

static void ring_push(sn_service *s, char *json, size_t len)
{
    size_t slot = (s->ring_head + s->ring_count) % s->ring_cap;
    if (s->ring_count == s->ring_cap) {
        slot = s->ring_head;
        s->ring_head = (s->ring_head + 1) % s->ring_cap;
    } else {
        s->ring_count++;
    }
    free(s->ring[slot]);
    s->ring[slot] = json;
    s->ring_len[slot] = len;
}

/* Judges a run of consecutive good events at once (the engine's block path). */
static sn_status judge_run(sn_service *s, const sn_req_events *evs, size_t from, size_t to,
                           sn_verdict *verdicts, sn_event *scratch, sn_error *err)
{
    for (size_t i = from; i < to; i++)
        scratch[i - from] = evs->items[i].ev;
    return sn_engine_analyse_many(s->engine, scratch, to - from, verdicts + from, err);
}

sn_status sn_service_analyse(sn_service *s, const sn_req_events *evs, sn_verdict *verdicts,
                             const char *analysed_at, sn_error *err)
{
    sn_event *scratch = malloc(SN_ANALYSE_BLOCK * sizeof(*scratch));
    if (!scratch)
        return sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL, "out of memory");
    sn_status st = SN_OK;
    sn_buf json;
    sn_buf_init(&json);
    for (size_t i = 0; st == SN_OK && i < evs->n;) {
        if (evs->items[i].err) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < evs->n && j - i < SN_ANALYSE_BLOCK && !evs->items[j].err)
            j++;
        /* The lock is held for one block only: between two blocks of a large batch, other
         * requests get their turn (their events then come between the two blocks, each judged
         * against everything taken before it). */
        uint64_t anomalies = 0;
        fair_lock(&s->lock);
        st = judge_run(s, evs, i, j, verdicts, scratch, err);
        for (size_t k = i; st == SN_OK && k < j; k++) {
            sn_verdict *v = &verdicts[k];
            apply_threshold(s, v);
            if (sn_user_history_add(s->users, &evs->items[k].ev, v) != SN_OK)
                st = sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL, "out of memory");
            if (!v->is_anomaly)
                continue;
            anomalies++;
            sn_buf_reset(&json);
            sn_json_verdict(&json, &evs->items[k].ev, v, analysed_at);
            char *copy = json.failed ? NULL : malloc(json.len + 1);
            if (copy) {
                memcpy(copy, json.data, json.len + 1);
                ring_push(s, copy, json.len);
            }
        }
        fair_unlock(&s->lock);
        if (st == SN_OK) {
            atomic_fetch_add_explicit(&s->analysed, j - i, memory_order_relaxed);
            atomic_fetch_add_explicit(&s->anomalies, anomalies, memory_order_relaxed);
        }
        i = j;
    }
    sn_buf_free(&json);
    free(scratch);
    return st;
}

bool sn_service_user_risk(sn_service *s, const char *user, size_t n, sn_user_risk *out)
{
    fair_lock(&s->lock);
    bool found = sn_user_risk_compute(s->users, user, n, out);
    fair_unlock(&s->lock);
    return found;
}

size_t sn_service_anomalies(sn_service *s, size_t limit, sn_buf *out)
{
    sn_buf_putc(out, '[');
    fair_lock(&s->lock);
    size_t k = 0;
    for (; k < limit && k < s->ring_count; k++) {
        size_t slot = (s->ring_head + s->ring_count - 1 - k) % s->ring_cap;
        if (k)
            sn_buf_putc(out, ',');
        sn_buf_append(out, s->ring[slot], s->ring_len[slot]);
    }
    fair_unlock(&s->lock);
    sn_buf_putc(out, ']');
    return k;
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
    sn_buf_puts(out, "],\"server\":{\"events_analysed\":");
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
