/* Shared by the server layer's own files only: the service state, request events and the JSON
 * writers. */
#ifndef SN_SERVER_INTERNAL_H
#define SN_SERVER_INTERNAL_H

#include "auth.h"
#include "server.h"

#include "../core/buf.h"
#include "../ingest/ingest.h"
#include "../ingest/json_doc.h"
#include "../risk/user_risk.h"
#include "../store/store.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

typedef struct sn_selfwatch sn_selfwatch;

/* Deepest nesting of arrays and objects a request body may have. */
#define SN_BODY_MAX_DEPTH 32

/* Latency histogram buckets of GET /metrics, in microseconds (and +Inf). */
#define SN_LATENCY_BUCKETS 16

/* What GET /metrics reports about one route (or about paths that match none). */
typedef struct sn_route_metrics {
    atomic_uint_fast64_t by_status[500]; /* status 100-599 at [status - 100] */
    atomic_uint_fast64_t latency[SN_LATENCY_BUCKETS + 1];
    atomic_uint_fast64_t latency_sum_us;
} sn_route_metrics;

/* A lock handed out in the order it was asked for: a batch that releases it between two blocks
 * of events and asks again queues behind the requests already waiting, instead of taking it
 * straight back (a plain mutex lets the thread that just released it win most of the time). */
typedef struct sn_fair_lock {
    pthread_mutex_t mutex;
    pthread_cond_t turn;
    uint64_t next;            /* tickets handed out (under mutex) */
    _Atomic uint64_t serving; /* the ticket that holds the lock (written under mutex) */
    int sleepers;             /* waiters asleep on turn (under mutex) */
} sn_fair_lock;

/* One recent anomalous verdict: the JSON the API answers, then what the dashboard's table
 * filters and sorts it by. */
typedef struct sn_anomaly_entry {
    char *json;   /* NUL-terminated, then the user id, the resource and the department (each
                     NUL-terminated) in the same block */
    uint32_t len; /* of the JSON */
    uint32_t user_len, resource_len;
    uint32_t reasons_off, reasons_len; /* the reasons array within the JSON */
    int64_t ts_us;                     /* the event's time */
    float risk;
    uint8_t level;
} sn_anomaly_entry;

/* The department of the entry's event ("" when unknown or for the server's own alerts): a
 * caller sees the entry only when its scope covers it. */
const char *sn_anomaly_entry_department(const sn_anomaly_entry *e);

/* The service: one lock guards the engine and everything recorded from its verdicts, taken for
 * one block of at most SN_ANALYSE_BLOCK events at a time, so that concurrent requests are judged
 * exactly as if their blocks came one after another and a large batch never holds it for long.
 * The engine keeps per-user and per-group baselines that any event may update, so finer locking
 * (per user, with the peer-group and organisation levels behind their own locks) is the next
 * step. Counters and gauges are atomics, and what describes the model is copied at start, so
 * that /health, /metrics and /openapi.json never take the lock. */
struct sn_service {
    sn_server_config cfg;
    sn_log *log; /* borrowed; may be NULL */
    sn_auth *auth;
    sn_ratelimit *limits;
    sn_fair_lock lock;
    sn_engine *engine;
    sn_predictor *predictor; /* NULL when none is configured; read-only once serving */
    sn_user_history *users;
    /* Recent anomalous verdicts; the newest at (head + cap - 1) % cap. */
    sn_anomaly_entry *ring;
    size_t ring_cap, ring_head, ring_count;
    struct sn_dash *dash;         /* the dashboard's figures, under the lock */
    struct sn_sessions *sessions; /* dashboard sign-ins, behind their own lock */
    atomic_uint_fast64_t analysed, anomalies, refused; /* events since start */
    atomic_int connections, in_flight, queued;         /* gauges kept by the front end */
    sn_route_metrics *routes;                          /* one per route, then one for the rest */
    int64_t started_us;
    bool models_loaded; /* fixed at start */
    /* The model, fixed at start. */
    char trained_at[32];
    char data_hash[65];
    uint64_t learned;
    double threshold; /* the alert threshold in force */
    sn_audit *audit;  /* borrowed; NULL: not recorded */
    sn_selfwatch *watch;
    /* The store (NULL: none), used under the lock only. */
    sn_store *store;
    uint64_t since_snapshot; /* events stored since the last snapshot */
    pthread_t retention;
    bool retention_started, stopping;
    pthread_mutex_t stop_mutex;
    pthread_cond_t stop_cond;
    uint64_t seed; /* the model's seed, for role discovery */
    /* Drift monitor: the bins of the live risk scores of the last drift_window events (a ring,
     * under the lock), against the model's training distribution (fixed at start). The index and
     * the alert are atomics, for /metrics. */
    sn_score_hist train_hist;
    uint8_t *drift_ring;
    size_t drift_head, drift_len;
    uint64_t drift_count[SN_HIST_BINS];
    atomic_uint_fast64_t drift_psi; /* the bits of a double; NAN while too few events */
    atomic_bool drift_alert;
    atomic_uint_fast64_t drift_alerts; /* times the alert was raised */
};

/* The drift monitor's state as GET /api/v1/model/metrics and /metrics report it. */
typedef struct sn_drift_view {
    const char *status; /* unavailable, insufficient_data, stable, moderate, drift */
    double psi;         /* NAN when not computed */
    bool alert;
    uint64_t alerts;
} sn_drift_view;

/* Reads the drift monitor without the lock (the index, the alert and the window's size). */
void sn_service_drift(sn_service *s, sn_drift_view *out);

/* Why one event of a request was refused, and the event_id its result names (p NULL: none). */
typedef struct sn_req_refusal {
    sn_error err;
    sn_str event_id;
} sn_req_refusal;

typedef struct sn_arena_block sn_arena_block;

/* The events of a request after conversion, in one arena per request (request.c). */
typedef struct sn_req_events {
    size_t n, good;
    sn_event *ev;             /* event i, when refused[i] is NULL */
    sn_req_refusal **refused; /* why event i was refused; NULL when it is good */
    sn_arena_block *blocks;
} sn_req_events;

/* Parses the body of req as JSON (RFC 8259, UTF-8, no duplicate keys, at most SN_BODY_MAX_DEPTH
 * levels deep, numbers within the range of a double or a 64-bit integer) into the calling
 * thread's parser: *root, any JSON value (each route says whether it is the one it takes), is
 * borrowed until the thread's next request. On failure returns false with resp filled as
 * sn_json_parse_body fills it. */
bool sn_body_parse(const sn_http_request *req, sn_jv *root, sn_http_response *resp);
/* After answering req: frees the thread's parser when it grew for a large body. */
void sn_body_done(const sn_http_request *req);

/* Converts the events of the array events (each should be an object), or the one event, of the
 * body the calling thread parsed last, through the ingest layer, so they pass the same
 * validation as files. A missing timestamp becomes the current time and a missing event_id a
 * generated one; a string holding a NUL character (\u0000) is refused naming its field, and so
 * is an event dated more than max_future_seconds ahead of the clock (0: any date).
 * Per-event problems go into refused[i]; returns SN_ERR_NOMEM only when memory runs out. Free
 * with sn_req_events_free (also after a failure). */
sn_status sn_req_events_from_array(sn_req_events *out, sn_jv events, int max_future_seconds);
sn_status sn_req_events_from_value(sn_req_events *out, sn_jv event, int max_future_seconds);
void sn_req_events_free(sn_req_events *e);

/* Parses a request body with jansson, within the same limits and with the same answers as
 * sn_body_parse (which asks it when simdjson refused a body): NULL with resp filled, 400
 * malformed_json, or 422 too_deep / number_out_of_range; the message says where, never what the
 * body held. NUL characters in strings are let through. */
json_t *sn_json_parse_body(const char *body, size_t len, sn_http_response *resp);

/* JSON writers (json.c). */
/* One verdict as the API answers it. */
void sn_json_verdict(sn_buf *out, const sn_event *ev, const sn_verdict *v, const char *analysed_at);
/* {"code", "message", "field"} (field omitted when NULL or empty); message cut to valid UTF-8. */
void sn_json_error_object(sn_buf *out, const char *code, const char *message, const char *field);
/* The error code of a refused event: missing_field, invalid_field or invalid_event. */
const char *sn_json_event_error_code(const sn_error *err);
/* Takes the raw model scores out of a JSON answer for callers who may not see them: every
 * anomaly_score, mean and peer anomaly score and evidence bits removed, and each risk_score
 * replaced by its risk_band ("60-80"). On failure the answer becomes a 500. */
void sn_json_redact_scores(sn_http_response *resp);
/* Moves out's bytes into resp with status (500 when out failed for lack of memory). */
void sn_json_respond(sn_http_response *resp, int status, sn_buf *out);
/* Current time as ISO 8601 UTC with microseconds, and as microseconds. */
int64_t sn_now_us(void);
void sn_now_iso(char out[32]);

/* State (state.c). */
/* Judges the good events of evs in order under the service lock, records their verdicts, and
 * writes verdicts[i] for each good events[i]. SN_ERR_NOMEM on failure. */
sn_status sn_service_analyse(sn_service *s, const sn_req_events *evs, sn_verdict *verdicts,
                             const char *analysed_at, sn_error *err);
/* Takes and releases the service lock, for readers of the engine and what is recorded from its
 * verdicts (the dashboard's figures). */
void sn_service_lock(sn_service *s);
void sn_service_unlock(sn_service *s);
/* The user's risk; false when nothing is recorded for them. */
bool sn_service_user_risk(sn_service *s, const char *user, size_t n, sn_user_risk *out);
/* A person's records (the store's export; false with err when there is no store or it
 * fails) and their erasure: the store's rows, the baselines rebuilt without them, and the
 * anomalies and history the server holds in memory. */
sn_status sn_service_export_user(sn_service *s, const char *user, sn_buf *out, sn_error *err);
sn_status sn_service_forget_user(sn_service *s, const char *user, sn_store_counts *c,
                                 sn_error *err);

/* Appends the model metrics object. */
void sn_service_model_metrics(sn_service *s, sn_buf *out);
/* Mines roles from the resource use in the engine's baselines (k roles, or k chosen by the
 * silhouette when k is 0) and appends the answer. The lock is held only while the baselines'
 * counts are copied. SN_ERR_USAGE (err says why) when k exceeds the users; SN_ERR_NOMEM. */
sn_status sn_service_discover_roles(sn_service *s, int k, sn_buf *out, sn_error *err);

/* Puts an alert of the server's own (a JSON object like a verdict) into the feed of recent
 * anomalies; json is copied. */
void sn_service_push_anomaly(sn_service *s, const char *json, size_t len);

/* The server watching itself (selfwatch.c). */
typedef enum sn_self_alert {
    SN_SELF_AUTH_PER_SOURCE,
    SN_SELF_AUTH_OVERALL,
    SN_SELF_RATE_PER_KEY,
    SN_SELF_RATE_OVERALL,
    SN_SELF_ALERT_KINDS
} sn_self_alert;
/* The thresholds and window of cfg; NULL when out of memory. */
sn_selfwatch *sn_selfwatch_new(const sn_server_config *cfg);
void sn_selfwatch_free(sn_selfwatch *w);
/* The clock the windows follow (tests); NULL: the real time. */
void sn_selfwatch_set_clock(sn_service *s, int64_t (*now_us)(void));
/* Alerts of kind raised since start. */
uint64_t sn_selfwatch_alerts(const sn_service *s, sn_self_alert kind);
/* "auth_failures_per_source", ...: the metrics label of kind. */
const char *sn_self_alert_name(sn_self_alert kind);
/* Appends sentinel_self_alerts_total for GET /metrics. */
void sn_selfwatch_metrics_text(sn_service *s, sn_buf *out);

/* The audit log's part in answering (service_audit.c). */
/* Records the verdict of each good event of evs (prediction): route, event id, user
 * (pseudonymised), level, risk score, recommendation. */
void sn_service_audit_verdicts(sn_service *s, const sn_http_request *req, const sn_req_events *evs,
                               const sn_verdict *verdicts);
/* Appends sentinel_audit_records_total and sentinel_audit_write_failures_total. */
void sn_service_audit_metrics_text(sn_service *s, sn_buf *out);

/* Workers for requests taken off the HTTP threads (jobs.c). */
typedef struct sn_job sn_job;
struct sn_job {
    sn_job *next;
    void (*run)(sn_job *job);    /* on a worker */
    void (*cancel)(sn_job *job); /* in place of run, for a job still queued when the pool stops */
};

typedef struct sn_pool sn_pool;

/* threads workers; at most max_queued jobs waiting at once. NULL when out of resources. */
sn_pool *sn_pool_new(unsigned threads, size_t max_queued);
/* Takes a place in the queue, to be used by sn_pool_submit; false when the queue is full or the
 * pool is stopping. */
bool sn_pool_reserve(sn_pool *p);
/* Queues job (borrowed until its run or cancel returns) in the place reserved. */
void sn_pool_submit(sn_pool *p, sn_job *job);
/* Stops: jobs still queued are cancelled, running ones finish; then frees. */
void sn_pool_free(sn_pool *p);

/* Metrics (metrics.c). */
/* Index of the route of path in the routing table; the table's size when none matches. */
size_t sn_service_route_index(const char *path);
/* Name of route i as the metrics label it ("unmatched" past the table). */
const char *sn_service_route_name(size_t i);
/* Appends the Prometheus text exposition (format 0.0.4) of the service's metrics. */
void sn_service_metrics_text(sn_service *s, sn_buf *out);

#endif
