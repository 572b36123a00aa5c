/* The server watching itself: failed authentications and rate-limited requests counted in
 * sliding windows, per source (or key) and overall; past a threshold, one alert per window into
 * the service's own anomaly feed, its metrics, its audit log and its log. Bounded memory: at most
 * SW_MAX_KEYS sources are followed at once, the least recently seen making way for a new one. */
#include "server_internal.h"

#include "../audit/audit.h"
#include "../core/strmap.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* A window is SW_BUCKETS buckets of window / SW_BUCKETS each: counts are exact to a bucket
 * (a second for the one-minute default). */
#define SW_BUCKETS 60
#define SW_MAX_KEYS 4096
#define SW_HASH 8192
#define SW_KEY_LEN 64
#define SW_NONE INT64_MIN

typedef struct sw_window {
    int64_t head;       /* bucket number of the newest bucket; SW_NONE when empty */
    int64_t last_alert; /* bucket number of the last alert; SW_NONE when none */
    uint32_t counts[SW_BUCKETS];
} sw_window;

typedef struct sw_entry {
    char key[SW_KEY_LEN];
    int32_t next; /* in its hash chain; -1 ends it */
    int64_t seen; /* bucket number of its last event, for making way */
    sw_window w;
} sw_entry;

/* One kind of event followed per key and overall. */
typedef struct sw_counter {
    sw_entry *entries; /* SW_MAX_KEYS, allocated when the first event comes */
    int32_t used;
    int32_t heads[SW_HASH];
    sw_window overall;
    int per_key, total; /* thresholds; 0: not watched */
} sw_counter;

struct sn_selfwatch {
    pthread_mutex_t mutex;
    int64_t (*now_us)(void);
    int64_t bucket_us;
    int window_s;
    sw_counter counters[2]; /* auth failures, rate limited */
    atomic_uint_fast64_t alerts[SN_SELF_ALERT_KINDS];
    atomic_uint_fast64_t serial;
};

static const char *const alert_names[SN_SELF_ALERT_KINDS] = {
    "auth_failures_per_source", "auth_failures_overall", "rate_limited_per_key",
    "rate_limited_overall"};

const char *sn_self_alert_name(sn_self_alert kind)
{
    return kind < SN_SELF_ALERT_KINDS ? alert_names[kind] : "unknown";
}

static void window_clear(sw_window *w)
{
    memset(w, 0, sizeof(*w));
    w->head = SW_NONE;
    w->last_alert = SW_NONE;
}

sn_selfwatch *sn_selfwatch_new(const sn_server_config *cfg)
{
    sn_selfwatch *w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    if (pthread_mutex_init(&w->mutex, NULL) != 0) {
        free(w);
        return NULL;
    }
    w->now_us = sn_now_us;
    w->window_s = cfg->selfwatch_window > 0 ? cfg->selfwatch_window : 60;
    w->bucket_us = (int64_t)w->window_s * 1000000 / SW_BUCKETS;
    w->counters[0].per_key = cfg->selfwatch_auth_failures_per_source;
    w->counters[0].total = cfg->selfwatch_auth_failures;
    w->counters[1].per_key = cfg->selfwatch_rate_limited_per_key;
    w->counters[1].total = cfg->selfwatch_rate_limited;
    for (int c = 0; c < 2; c++) {
        window_clear(&w->counters[c].overall);
        for (int i = 0; i < SW_HASH; i++)
            w->counters[c].heads[i] = -1;
    }
    for (int k = 0; k < SN_SELF_ALERT_KINDS; k++)
        atomic_init(&w->alerts[k], 0);
    atomic_init(&w->serial, 0);
    return w;
}

void sn_selfwatch_free(sn_selfwatch *w)
{
    if (!w)
        return;
    free(w->counters[0].entries);
    free(w->counters[1].entries);
    pthread_mutex_destroy(&w->mutex);
    free(w);
}

void sn_selfwatch_set_clock(sn_service *s, int64_t (*now_us)(void))
{
    s->watch->now_us = now_us ? now_us : sn_now_us;
}

uint64_t sn_selfwatch_alerts(const sn_service *s, sn_self_alert kind)
{
    return s->watch && kind < SN_SELF_ALERT_KINDS ? atomic_load(&s->watch->alerts[kind]) : 0;
}

/* Counts one event at bucket b; returns the count in the window when it calls for an alert (the
 * threshold reached, and no alert within the last window), else 0. */
static uint32_t window_add(sw_window *w, int64_t b, int threshold)
{
    if (w->head == SW_NONE || b - w->head >= SW_BUCKETS) {
        memset(w->counts, 0, sizeof(w->counts));
        w->head = b;
    } else if (b > w->head) {
        for (int64_t k = w->head + 1; k <= b; k++)
            w->counts[k % SW_BUCKETS] = 0;
        w->head = b;
    }
    /* An event from before the newest bucket (the clock stepped back) counts in the newest. */
    uint32_t *c = &w->counts[w->head % SW_BUCKETS];
    if (*c < UINT32_MAX)
        (*c)++;
    uint64_t sum = 0;
    for (int i = 0; i < SW_BUCKETS; i++)
        sum += w->counts[i];
    if (threshold <= 0 || sum < (uint64_t)threshold)
        return 0;
    if (w->last_alert != SW_NONE && w->head - w->last_alert < SW_BUCKETS)
        return 0;
    w->last_alert = w->head;
    return sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
}

/* The key as it is followed and shown: printable ASCII, at most SW_KEY_LEN - 1 bytes. */
static void clean_key(const char *in, char out[SW_KEY_LEN])
{
    size_t o = 0;
    for (; in && in[o] && o < SW_KEY_LEN - 1; o++) {
        unsigned char c = (unsigned char)in[o];
        out[o] = c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ? (char)c : '?';
    }
    out[o] = '\0';
    if (o == 0)
        snprintf(out, SW_KEY_LEN, "unknown");
}

static sw_entry *find_entry(sw_counter *c, const char *key, int64_t b)
{
    if (!c->entries) {
        c->entries = calloc(SW_MAX_KEYS, sizeof(*c->entries));
        if (!c->entries)
            return NULL;
    }
    size_t n = strlen(key);
    uint32_t h = (uint32_t)(sn_hash_bytes(key, n, 0x5e1f) % SW_HASH);
    for (int32_t i = c->heads[h]; i >= 0; i = c->entries[i].next)
        if (!strcmp(c->entries[i].key, key))
            return &c->entries[i];
    int32_t slot;
    if (c->used < SW_MAX_KEYS) {
        slot = c->used++;
    } else {
        /* Full: the source seen least recently makes way. */
        slot = 0;
        for (int32_t i = 1; i < SW_MAX_KEYS; i++)
            if (c->entries[i].seen < c->entries[slot].seen)
                slot = i;
        uint32_t oh =
            (uint32_t)(sn_hash_bytes(c->entries[slot].key, strlen(c->entries[slot].key), 0x5e1f) %
                       SW_HASH);
        int32_t *link = &c->heads[oh];
        while (*link != slot)
            link = &c->entries[*link].next;
        *link = c->entries[slot].next;
    }
    sw_entry *e = &c->entries[slot];
    memcpy(e->key, key, n + 1);
    e->seen = b;
    window_clear(&e->w);
    e->next = c->heads[h];
    c->heads[h] = slot;
    return e;
}

static void window_words(int seconds, char *out, size_t cap)
{
    if (seconds == 60)
        snprintf(out, cap, "the last minute");
    else if (seconds % 60 == 0)
        snprintf(out, cap, "the last %d minutes", seconds / 60);
    else
        snprintf(out, cap, "the last %d seconds", seconds);
}

/* Puts one alert into the anomaly feed, the metrics, the audit log and the log. */
static void raise_alert(sn_service *s, sn_self_alert kind, const char *key, uint32_t count,
                        int threshold)
{
    sn_selfwatch *w = s->watch;
    atomic_fetch_add(&w->alerts[kind], 1);
    bool auth = kind == SN_SELF_AUTH_PER_SOURCE || kind == SN_SELF_AUTH_OVERALL;
    bool per_key = kind == SN_SELF_AUTH_PER_SOURCE || kind == SN_SELF_RATE_PER_KEY;
    char when[64], text[256], audit_text[256];
    window_words(w->window_s, when, sizeof(when));
    const char *what = auth ? "failed authentications" : "rate-limited requests";
    if (per_key) {
        snprintf(text, sizeof(text), "%" PRIu32 " %s from %s in %s", count, what, key, when);
        /* The audit record names the source in its (pseudonymised) source member only. */
        snprintf(audit_text, sizeof(audit_text), "%" PRIu32 " %s from this %s in %s", count, what,
                 auth ? "source" : "caller", when);
    } else {
        snprintf(text, sizeof(text), "%" PRIu32 " %s in %s, from all %s", count, what, when,
                 auth ? "sources" : "callers");
        snprintf(audit_text, sizeof(audit_text), "%s", text);
    }

    char now[32];
    sn_format_timestamp(w->now_us(), now);
    sn_buf b;
    sn_buf_init(&b);
    sn_buf_printf(&b, "{\"event_id\":\"self-%" PRIu64 "\",\"user_id\":null,\"timestamp\":\"%s\"",
                  (uint64_t)atomic_fetch_add(&w->serial, 1) + 1, now);
    sn_ip ip;
    sn_error err;
    sn_buf_puts(&b, ",\"source_ip\":");
    if (per_key && sn_parse_ip(key, strlen(key), &ip, &err) == SN_OK) {
        char text_ip[48];
        sn_format_ip(&ip, text_ip);
        sn_buf_json_str(&b, text_ip, strlen(text_ip));
    } else {
        sn_buf_puts(&b, "null");
    }
    sn_buf_printf(&b,
                  ",\"resource\":\"sentinel\",\"action\":\"%s\",\"is_anomaly\":true,"
                  "\"risk_score\":75.00,\"anomaly_score\":0.000,\"risk_level\":\"HIGH\","
                  "\"reasons\":[",
                  auth ? "authenticate" : "request");
    sn_buf_json_str(&b, text, strlen(text));
    sn_buf_printf(&b,
                  "],\"recommendation\":\"BLOCK\",\"analysed_at\":\"%s\",\"kind\":\"self_alert\","
                  "\"alert\":\"%s\",\"count\":%" PRIu32 ",\"threshold\":%d,\"window_seconds\":%d",
                  now, alert_names[kind], count, threshold, w->window_s);
    if (per_key) {
        sn_buf_puts(&b, auth ? ",\"source\":" : ",\"caller\":");
        sn_buf_json_str(&b, key, strlen(key));
    }
    sn_buf_putc(&b, '}');
    if (!b.failed)
        sn_service_push_anomaly(s, b.data, b.len);
    sn_buf_free(&b);

    sn_audit_field f[] = {SN_AUDIT_S("alert", alert_names[kind]), SN_AUDIT_I("count", count),
                          SN_AUDIT_I("threshold", threshold),
                          SN_AUDIT_I("window_seconds", w->window_s),
                          SN_AUDIT_S("message", audit_text)};
    sn_audit_rec rec = {"alert", "sentinel", per_key ? key : NULL, f, 5};
    sn_audit_record(s->audit, &rec, &err);

    if (sn_log_enabled(s->log, SN_LOG_WARN)) {
        sn_log_line line;
        sn_log_begin(&line, SN_LOG_WARN, "self alert");
        sn_log_str(&line, "alert", alert_names[kind], strlen(alert_names[kind]));
        sn_log_str(&line, "reason", text, strlen(text));
        sn_log_end(s->log, &line);
    }
}

static void count_event(sn_service *s, int which, const char *raw_key)
{
    sn_selfwatch *w = s->watch;
    if (!w)
        return;
    char key[SW_KEY_LEN];
    clean_key(raw_key, key);
    sw_counter *c = &w->counters[which];
    uint32_t per = 0, all = 0;
    pthread_mutex_lock(&w->mutex);
    int64_t b = w->now_us() / w->bucket_us;
    if (c->per_key > 0) {
        sw_entry *e = find_entry(c, key, b);
        if (e) {
            e->seen = b;
            per = window_add(&e->w, b, c->per_key);
        }
    }
    all = window_add(&c->overall, b, c->total);
    pthread_mutex_unlock(&w->mutex);
    /* Alerts go out without the lock: they take the service's own locks. */
    if (per)
        raise_alert(s, which == 0 ? SN_SELF_AUTH_PER_SOURCE : SN_SELF_RATE_PER_KEY, key, per,
                    c->per_key);
    if (all)
        raise_alert(s, which == 0 ? SN_SELF_AUTH_OVERALL : SN_SELF_RATE_OVERALL, key, all,
                    c->total);
}

void sn_selfwatch_auth_failure(sn_service *s, const char *source)
{
    count_event(s, 0, source);
}

void sn_selfwatch_rate_limited(sn_service *s, const char *key_or_source)
{
    count_event(s, 1, key_or_source);
}

void sn_selfwatch_metrics_text(sn_service *s, sn_buf *out)
{
    sn_buf_puts(out, "# HELP sentinel_self_alerts_total Alerts the server raised about itself "
                     "(failed-authentication and rate-limit spikes), by kind.\n"
                     "# TYPE sentinel_self_alerts_total counter\n");
    for (int k = 0; k < SN_SELF_ALERT_KINDS; k++)
        sn_buf_printf(out, "sentinel_self_alerts_total{kind=\"%s\"} %" PRIu64 "\n", alert_names[k],
                      sn_selfwatch_alerts(s, (sn_self_alert)k));
}
