/* Public face of the server layer: `sentinel serve`, the REST API for real-time decisions.
 *
 * Four parts, used in this order by the command line:
 *   - the configuration (one declarative table of options read from a YAML file, the environment
 *     and the command line alike);
 *   - the log: structured JSON lines on standard error;
 *   - the service: the detection engine and what the server remembers (recent anomalous
 *     verdicts, per-user history for the user risk score), answering requests in process, with
 *     its metrics and its OpenAPI document;
 *   - the HTTP front end (libmicrohttpd) that carries requests to the service over a socket. */
#ifndef SN_SERVER_H
#define SN_SERVER_H

#include "../core/error.h"
#include "../iam/predict.h"
#include "../risk/risk.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- Configuration ---------------------------------------------------------------------- */

typedef struct sn_server_config {
    char listen[256];        /* HOST:PORT ("[::1]:8080" for IPv6); port 0 picks a free one */
    char model[4096];        /* model file written by `sentinel train` */
    char config[4096];       /* the YAML file the options came from ("" when none) */
    char predictor[4096];    /* access predictor written by `sentinel predict train` ("": none) */
    int threads;             /* HTTP worker threads; 0: one per CPU */
    size_t body_limit;       /* largest request body in bytes */
    int batch_limit;         /* most events in one /api/v1/analyze/batch request */
    double alert_threshold;  /* risk at which is_anomaly is true; NAN: the model's own */
    int connection_timeout;  /* seconds a connection may stay idle or stall */
    int max_connections;     /* open connections at once */
    int recent_anomalies;    /* anomalous verdicts kept for /api/v1/anomalies */
    int user_history;        /* events kept per user for the user risk score */
    double user_window_days; /* the user risk score's window */
    int shutdown_timeout;    /* seconds in-flight requests get to finish at shutdown */
    int log_level;           /* sn_log_level: the least severe level written */
} sn_server_config;

void sn_server_config_default(sn_server_config *c);

/* Builds the configuration: the defaults, then the YAML file (--config FILE or SENTINEL_CONFIG),
 * then the environment (SENTINEL_LISTEN, SENTINEL_MODEL, ...), then argv (argv[0] is the
 * command's name; options are --name VALUE or --name=VALUE). Returns SN_OK, or SN_ERR_USAGE with
 * err naming the option and where it came from (file and line, variable, or --option).
 * *help is set when --help or -h was given (nothing else is checked then). */
sn_status sn_server_config_parse(sn_server_config *c, int argc, char **argv, bool *help,
                                 sn_error *err);

/* The options table as help text: name, argument, default, meaning. */
void sn_server_config_help(FILE *out);

/* HOST and PORT of a listen address; false when it is not HOST:PORT with PORT in 0..65535. */
bool sn_server_split_listen(const char *listen, char *host, size_t host_cap, int *port);

/* ---- Log: one JSON object per line -------------------------------------------------------- */

typedef enum sn_log_level {
    SN_LOG_DEBUG,
    SN_LOG_INFO,
    SN_LOG_WARN,
    SN_LOG_ERROR,
    SN_LOG_OFF
} sn_log_level;

typedef struct sn_log sn_log;

/* Writes lines at level min and above to fd (not closed) from a thread of its own, so that a
 * slow or blocked reader never holds up a request: lines that find the buffer full are counted
 * (sn_log_dropped) and dropped. NULL when out of memory. */
sn_log *sn_log_new(int fd, sn_log_level min);
/* Writes out what is buffered (waiting at most two seconds for the reader), then frees. */
void sn_log_free(sn_log *l);
bool sn_log_enabled(const sn_log *l, sn_log_level level);
uint64_t sn_log_dropped(const sn_log *l);
const char *sn_log_level_name(sn_log_level level);

/* One line being built: {"time": now, "level", "msg", then the fields added}. String values are
 * escaped and cut to 512 bytes of valid UTF-8; a field that does not fit the line is left out. */
typedef struct sn_log_line {
    sn_log_level level;
    bool cut; /* a field was left out: the line says "truncated": true */
    size_t len;
    char text[2048];
} sn_log_line;

void sn_log_begin(sn_log_line *line, sn_log_level level, const char *msg);
void sn_log_str(sn_log_line *line, const char *key, const char *value, size_t n);
void sn_log_int(sn_log_line *line, const char *key, long long value);
/* Ends the line and hands it to l (NULL or a level below its minimum: dropped silently). */
void sn_log_end(sn_log *l, sn_log_line *line);
/* A line with a message and, when detail is not NULL, an "error" field. */
void sn_log_msg(sn_log *l, sn_log_level level, const char *msg, const char *detail);

/* ---- Service: answering requests in process -------------------------------------------- */

typedef struct sn_service sn_service;

/* Takes ownership of engine (freed with the service, also on failure); log (may be NULL) is
 * borrowed until sn_service_free. A service whose engine is not fitted answers /health and the
 * analysis endpoints with 503. */
sn_status sn_service_new(sn_service **out, sn_engine *engine, const sn_server_config *cfg,
                         sn_log *log, sn_error *err);
void sn_service_free(sn_service *s);
/* Takes ownership of pr (freed with the service), which then answers POST
 * /api/v1/predict/access; without one that endpoint answers 503. Call before serving. */
void sn_service_set_predictor(sn_service *s, sn_predictor *pr);

typedef struct sn_http_arg {
    const char *name, *value; /* decoded query argument; value NULL for "?flag" */
} sn_http_arg;

/* One request, all of it borrowed for the duration of the call. */
typedef struct sn_http_request {
    const char *method;       /* "GET", "POST", ... */
    const char *path;         /* decoded, without the query */
    const char *content_type; /* NULL when absent */
    const char *body;
    size_t body_len;
    const sn_http_arg *args;
    size_t n_args;
} sn_http_request;

typedef struct sn_http_response {
    int status;
    char *body; /* malloc'd: the caller frees it */
    size_t body_len;
    const char *content_type; /* static; NULL: application/json */
    const char *allow;        /* static; the Allow header of a 405 */
    int retry_after;          /* seconds for a Retry-After header; 0: none */
} sn_http_response;

/* What can be decided before the body arrives: unknown path, wrong method, wrong content type,
 * a declared length over the limit (content_length < 0: not declared). Returns true when the
 * request may go on; false with resp filled with the answer to send at once. */
bool sn_service_precheck(sn_service *s, const sn_http_request *req, long long content_length,
                         sn_http_response *resp);

/* Answers one whole request (every check of sn_service_precheck included). Thread-safe. */
void sn_service_handle(sn_service *s, const sn_http_request *req, sn_http_response *resp);

/* An error answer, {"error": {"code", "message", "field"}} (field omitted when NULL). */
void sn_service_error(sn_http_response *resp, int status, const char *code, const char *message,
                      const char *field);

/* Whether the request to path is worth taking off the HTTP thread that received it (a batch):
 * the front end answers it from a worker so that the thread's other connections go on. */
bool sn_service_is_heavy(const char *path);

/* Counts one answered request for GET /metrics: its route (from path), status and duration. */
void sn_service_observe(sn_service *s, const char *path, int status, int64_t duration_us);

/* Gauges the front end keeps up to date for GET /metrics. */
void sn_service_gauge_connections(sn_service *s, int delta);
void sn_service_gauge_in_flight(sn_service *s, int delta);
void sn_service_gauge_queued(sn_service *s, int delta);

/* The routing table, for checking the OpenAPI document against it: fills up to cap entries and
 * returns how many routes there are. GET routes answer HEAD too. */
typedef struct sn_route_info {
    const char *method; /* "GET" or "POST" */
    const char *path;   /* as the OpenAPI document writes it: /api/v1/user/{user_id}/risk-score */
} sn_route_info;
size_t sn_service_routes(sn_route_info *out, size_t cap);

/* The OpenAPI 3.1 document served at GET /openapi.json (static, NUL-terminated). */
const char *sn_openapi_document(size_t *len);

/* ---- HTTP front end ----------------------------------------------------------------------- */

typedef struct sn_server sn_server;

/* Binds cfg->listen and serves svc (borrowed until sn_server_stop) on a pool of worker threads,
 * with batches answered by a second pool so that one never holds up the connections of the
 * thread that received it. Each answered request is logged to the service's log. Once it returns
 * SN_OK, connections are accepted. Failures (address in use, bad host) return SN_ERR_IO with err
 * filled. */
sn_status sn_server_start(sn_server **out, sn_service *svc, const sn_server_config *cfg,
                          sn_error *err);
/* The port actually bound (the one picked when cfg->listen asked for port 0). */
int sn_server_port(const sn_server *s);
/* "http://HOST:PORT" as bound. */
const char *sn_server_url(const sn_server *s);
/* Stops accepting connections, lets in-flight requests finish (up to cfg->shutdown_timeout
 * seconds; later requests on open connections get 503), then stops and frees the server. */
void sn_server_stop(sn_server *s);

#endif
