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
#include <stdint.h>

/* The service: one mutex guards the engine and everything recorded from its verdicts, so that
 * concurrent requests are judged exactly as if they came one after another. The engine keeps
 * per-user and per-group baselines that any event may update, so finer locking (per user, with
 * the peer-group and organisation levels behind their own locks) is the next step. */
struct sn_service {
    sn_server_config cfg;
    pthread_mutex_t lock;
    sn_engine *engine;
    sn_user_history *users;
    /* Recent anomalous verdicts as JSON objects; the newest at (head + cap - 1) % cap. */
    char **ring;
    size_t *ring_len;
    size_t ring_cap, ring_head, ring_count;
    uint64_t analysed, anomalies; /* since start */
    int64_t started_us;
    bool models_loaded; /* fixed at start */
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
 * event_id a generated one. Per-event problems go into items[i].err; returns SN_ERR_NOMEM only
 * when memory runs out. Free with sn_req_events_free. */
sn_status sn_req_events_from_json(sn_req_events *out, json_t *const *values, size_t n);
void sn_req_events_free(sn_req_events *e);

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

#endif
