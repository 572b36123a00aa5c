/* Shared by the server layer's own files only: the service state, request events and the JSON
 * writers. */
#ifndef SN_SERVER_INTERNAL_H
#define SN_SERVER_INTERNAL_H

#include "server.h"

#include "../core/buf.h"
#include "../ingest/ingest.h"
#include "../risk/user_risk.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

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
    uint64_t next, serving; /* tickets handed out; the ticket that holds the lock */
} sn_fair_lock;

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
    sn_fair_lock lock;
    sn_engine *engine;
    sn_predictor *predictor; /* NULL when none is configured; read-only once serving */
    sn_user_history *users;
    /* Recent anomalous verdicts as JSON objects; the newest at (head + cap - 1) % cap. */
    char **ring;
    size_t *ring_len;
    size_t ring_cap, ring_head, ring_count;
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
};

/* One event of a request after conversion: its event (strings in the batch's arena) or why it
 * was refused. */
typedef struct sn_req_event {
    sn_event ev;
    sn_error *err; /* NULL when ev is good */
} sn_req_event;

typedef struct sn_arena_block sn_arena_block;

typedef struct sn_req_events {
    size_t n, good;
    sn_req_event *items;
    sn_arena_block *blocks;
} sn_req_events;

/* Converts JSON values (each should be an event object) through the ingest layer, so they pass
 * the same validation as files. A missing timestamp becomes the current time and a missing
 * event_id a generated one; a string holding a NUL character (\u0000) is refused naming its
 * field. Per-event problems go into items[i].err; returns SN_ERR_NOMEM only when memory runs out.
 * Free with sn_req_events_free. */
sn_status sn_req_events_from_json(sn_req_events *out, json_t *const *values, size_t n);
void sn_req_events_free(sn_req_events *e);

/* Parses a request body as JSON (RFC 8259, UTF-8, no duplicate keys, at most SN_BODY_MAX_DEPTH
 * levels deep, numbers within the range of a double or a 64-bit integer). On failure returns NULL
 * with resp filled: 400 malformed_json, or 422 too_deep / number_out_of_range; the message says
 * where, never what the body held. */
json_t *sn_json_parse_body(const char *body, size_t len, sn_http_response *resp);

/* JSON writers (json.c). */
/* One verdict as the API answers it. */
void sn_json_verdict(sn_buf *out, const sn_event *ev, const sn_verdict *v, const char *analysed_at);
/* {"code", "message", "field"} (field omitted when NULL or empty); message cut to valid UTF-8. */
void sn_json_error_object(sn_buf *out, const char *code, const char *message, const char *field);
/* The error code of a refused event: missing_field, invalid_field or invalid_event. */
const char *sn_json_event_error_code(const sn_error *err);
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
/* The user's risk; false when nothing is recorded for them. */
bool sn_service_user_risk(sn_service *s, const char *user, size_t n, sn_user_risk *out);
/* Appends up to limit of the most recent anomalous verdicts, newest first, as a JSON array;
 * returns how many. */
size_t sn_service_anomalies(sn_service *s, size_t limit, sn_buf *out);
/* Appends the model metrics object. */
void sn_service_model_metrics(sn_service *s, sn_buf *out);

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
