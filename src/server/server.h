/* Public face of the server layer: `sentinel serve`, the REST API for real-time decisions.
 *
 * Four parts, used in this order by the command line:
 *   - the configuration (one declarative table of options read from a YAML file, the environment
 *     and the command line alike);
 *   - the log: structured JSON lines on standard error;
 *   - the service: the detection engine and what the server remembers (recent anomalous
 *     verdicts, per-user history for the user risk score), answering requests in process, with
 *     its metrics and its OpenAPI document, after checking who calls, what their role allows
 *     and how often they call (auth.h);
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

/* A rate limit: count requests per period_s seconds (a token bucket that holds count and refills
 * evenly over the period); count 0 turns it off. */
typedef struct sn_rate {
    long count;
    long period_s;
} sn_rate;

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
    int max_future_seconds;  /* events dated further ahead of the clock are refused; 0: off */
    int user_history;        /* events kept per user for the user risk score */
    int sessions;            /* dashboard sessions held at once */
    int session_ttl;         /* seconds a dashboard session lasts */
    double user_window_days; /* the user risk score's window */
    int shutdown_timeout;    /* seconds in-flight requests get to finish at shutdown */
    int roles_max_users;     /* role discovery fits k-means on at most this many users */
    double drift_threshold;  /* population stability index at which drift is raised */
    int drift_window;        /* most recent events the live risk distribution holds */
    int drift_min_events;    /* events in the window before the index is computed */
    int log_level;           /* sn_log_level: the least severe level written */
    /* The store (store_sqlite.c) and retention. */
    char db[4096];             /* the store ("" : none) */
    char store_key_file[4096]; /* the store and model key's file ("": SENTINEL_STORE_KEY) */
    int retention_days;        /* records older than this are deleted; 0: kept */
    int retention_interval;    /* seconds between two runs of the retention job */
    int snapshot_events;       /* events stored between two snapshots of the baselines */
    /* The audit log and the server watching itself (selfwatch.c, service_audit.c). */
    char audit_log[4096];                   /* the log's path; "off"; "": the default path */
    char audit_key_file[4096];              /* "": SENTINEL_AUDIT_KEY, else beside the log */
    char audit_pseudonym_key_file[4096];    /* "": SENTINEL_AUDIT_PSEUDONYM_KEY, else none */
    int audit_fsync_ms;                     /* 0: fdatasync every record; else at most every N ms */
    int selfwatch_window;                   /* seconds of the sliding windows */
    int selfwatch_auth_failures_per_source; /* thresholds per window; 0: not watched */
    int selfwatch_auth_failures;
    int selfwatch_rate_limited_per_key;
    int selfwatch_rate_limited;
    /* Who may call (auth.c): API keys, JWT bearer tokens, or nobody checked at all. */
    char keys_file[4096];             /* written by `sentinel keys create`; re-read on change */
    char jwt_hs256_secret_file[4096]; /* HS256 shared secret (owner-only file) */
    char jwt_public_key_file[4096];   /* RS256/ES256 public key (PEM) */
    char jwt_algorithm[16];           /* HS256, RS256 or ES256; "" from the key file given */
    char jwt_issuer[256];             /* required `iss` ("" not checked) */
    char jwt_audience[256];           /* required in `aud` ("" not checked) */
    int jwt_max_lifetime;             /* seconds from iat (or now) to exp at most */
    int jwt_clock_skew;               /* seconds of leeway for exp, nbf and iat */
    bool insecure_no_auth;            /* every caller is an admin; loopback only */
    /* Rate limits (ratelimit.c), per key or token subject, per address when unauthenticated. */
    sn_rate rate_general, rate_analysis, rate_training;
    int rate_limit_sources; /* callers tracked at most; idle ones are forgotten first */
    /* Transport. */
    char tls_cert_file[4096]; /* PEM certificate chain; TLS is on when set */
    char tls_key_file[4096];  /* PEM private key (owner-only file) */
    char tls_min_version[8];  /* "1.3" (default) or "1.2" */
    char cors_origins[4096];  /* comma-separated exact origins allowed to call from a browser */
    bool cors_allow_credentials;
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

/* SHA-256 (hex) of the options in force, written one `name: value` line each in the table's
 * order: what the audit log records of the configuration (file paths, never a secret's bytes). */
void sn_server_config_digest(const sn_server_config *c, char out[65]);

/* HOST and PORT of a listen address; false when it is not HOST:PORT with PORT in 0..65535. */
bool sn_server_split_listen(const char *listen, char *host, size_t host_cap, int *port);

/* The checks across options: a credential (keys file or JWT key) unless insecure_no_auth, which
 * may only listen on a loopback address; TLS certificate and key together; no wildcard origin.
 * SN_ERR_USAGE with err naming the option. */
sn_status sn_server_config_check(const sn_server_config *c, sn_error *err);

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
 * analysis endpoints with 503. Refuses (sn_server_config_check) a configuration without a
 * credential unless insecure_no_auth; SN_ERR_SECRET when the keys file or the JWT secret cannot
 * be used. */
sn_status sn_service_new(sn_service **out, sn_engine *engine, const sn_server_config *cfg,
                         sn_log *log, sn_error *err);
void sn_service_free(sn_service *s);
/* Takes ownership of pr (freed with the service), which then answers POST
 * /api/v1/predict/access; without one that endpoint answers 503. Call before serving. */
void sn_service_set_predictor(sn_service *s, sn_predictor *pr);

/* Gives the service a store (owned from then on, closed by sn_service_free after a last
 * snapshot): every analysed event and its verdict is committed to it before the answer, the
 * recent anomalies are reloaded from it, the baselines are snapshotted every
 * cfg->snapshot_events events, and a job applies cfg->retention_days every
 * cfg->retention_interval seconds. */
struct sn_store;
sn_status sn_service_set_store(sn_service *s, struct sn_store *store, sn_error *err);

typedef struct sn_http_arg {
    const char *name, *value; /* decoded query argument; value NULL for "?flag" */
} sn_http_arg;

/* One request, all of it borrowed for the duration of the call. */
typedef struct sn_http_request {
    const char *source;        /* the client's address as text; NULL when unknown */
    const char *caller;        /* key id or token subject once authenticated; NULL: anonymous */
    const char *method;        /* "GET", "POST", ... */
    const char *path;          /* decoded, without the query */
    const char *content_type;  /* NULL when absent */
    const char *authorization; /* the Authorization header; NULL when absent */
    const char *origin;        /* the Origin header (browsers); NULL when absent */
    const char *host;          /* the Host header; NULL when absent (HTTP/1.0, in process) */
    const char *remote;        /* the client's address as text; NULL in process */
    const char *body;
    size_t body_len;
    size_t body_pad; /* bytes past the body's end that may be read (not part of it) */
    const sn_http_arg *args;
    size_t n_args;
    /* Headers the dashboard's sessions and assets read; NULL when absent. */
    const char *cookie;          /* Cookie */
    const char *csrf_token;      /* X-CSRF-Token */
    const char *fetch_site;      /* Sec-Fetch-Site: sent by browsers only */
    const char *if_none_match;   /* If-None-Match */
    const char *accept_encoding; /* Accept-Encoding */
} sn_http_request;

typedef struct sn_http_response {
    int status;
    char *body; /* malloc'd: the caller frees it */
    size_t body_len;
    const char *content_type;                    /* static; NULL: application/json */
    const char *allow;                           /* static; the Allow header of a 405 */
    int retry_after;                             /* seconds for a Retry-After header; 0: none */
    bool challenge;                              /* a 401: WWW-Authenticate: Bearer */
    long rate_limit, rate_remaining, rate_reset; /* RateLimit-* headers when rate_limit > 0 */
    const char *cors_origin;       /* Access-Control-Allow-Origin (the request's own Origin) */
    bool cors_credentials;         /* Access-Control-Allow-Credentials: true */
    bool vary_origin;              /* Vary: Origin (CORS is configured) */
    const char *preflight_methods; /* static; the answer to a CORS preflight */
    /* Dashboard assets and sessions (static strings; NULL or "" when absent). */
    const char *cache_control;    /* in place of no-store */
    const char *etag;             /* ETag */
    const char *content_encoding; /* Content-Encoding */
    const char *csp;              /* Content-Security-Policy */
    char set_cookie[256];         /* Set-Cookie */
} sn_http_response;

/* Roles, as bits so that a route lists those it admits in one mask. */
typedef enum sn_role {
    SN_ROLE_VIEWER = 1,
    SN_ROLE_ANALYST = 2,
    SN_ROLE_ADMIN = 4,
    SN_ROLE_SERVICE = 8,
} sn_role;

#define SN_ROLE_ANY (SN_ROLE_VIEWER | SN_ROLE_ANALYST | SN_ROLE_ADMIN | SN_ROLE_SERVICE)

/* An authenticated caller. */
typedef struct sn_principal {
    int role;        /* one sn_role; SN_ROLE_ANY when authentication is off */
    char id[160];    /* "key:PUBLIC_ID", "sub:SUBJECT" or "anonymous"; never a secret */
    char scope[256]; /* which users it may read: "*", "department:NAME", comma-separated */
    int64_t expires; /* seconds since the epoch after which it stands no more (a JWT's exp); 0 */
} sn_principal;

/* What admitting a request decided, carried to its answer. */
typedef struct sn_caller {
    sn_principal who;
    long rate_limit, rate_remaining, rate_reset;
    char rate_key[160];      /* who the request was counted against ("" when not counted) */
    const char *cors_origin; /* borrowed from the request */
} sn_caller;

/* Everything decided before the body arrives, in this order: a CORS preflight (OPTIONS),
 * unknown path (404), wrong method (405), credentials (401; refused attempts count against the
 * address's rate), rate limit (429), role (403), content type (415), declared length (413;
 * content_length < 0: not declared). Counts one request against the caller's rate limit. Returns
 * true when the request may go on, with caller filled; false with resp filled. */
bool sn_service_admit(sn_service *s, const sn_http_request *req, long long content_length,
                      sn_caller *caller, sn_http_response *resp);

/* Answers an admitted request once its body has arrived. Thread-safe. */
void sn_service_answer(sn_service *s, const sn_http_request *req, const sn_caller *caller,
                       sn_http_response *resp);

/* Answers one whole request: sn_service_admit, then sn_service_answer. Thread-safe. */
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

/* ---- Audit log and watching itself ------------------------------------------------------ */

typedef struct sn_audit sn_audit;

/* Where the audit log and its key are, as sn_server_audit_open found them. */
typedef struct sn_audit_where {
    bool off;         /* audit_log: off */
    bool default_log; /* audit_log unset: log is the default path */
    bool key_created; /* the key file beside the log was made by this start */
    char log[4096];   /* the log ("" when off) */
    char key[4096];   /* the key's file, or "SENTINEL_AUDIT_KEY" */
} sn_audit_where;

/* The audit log's path when audit_log is unset: audit.jsonl in the directory of the store (db)
 * when one is configured, else in the directory of the model file. false when it does not fit
 * in cap. */
bool sn_server_audit_default_path(const sn_server_config *cfg, char *out, size_t cap);
/* Opens the audit log cfg asks for: NULL in *out only when audit_log is "off". The log is
 * audit_log, else sn_server_audit_default_path; its key audit_key_file, else
 * SENTINEL_AUDIT_KEY, else the key file beside the log (sn_audit_key_path), made at the first
 * start (while the log holds no record). A log that cannot be written is refused with SN_ERR_IO
 * and a message naming it, the reason and how to choose another or turn it off; an unusable
 * key with SN_ERR_SECRET. The pseudonym key comes from audit_pseudonym_key_file, else
 * SENTINEL_AUDIT_PSEUDONYM_KEY, else personal values are recorded as they are. where (may be
 * NULL) says what was used. */
sn_status sn_server_audit_open(const sn_server_config *cfg, sn_audit **out, sn_audit_where *where,
                               sn_error *err);
/* The service records to a (borrowed until sn_service_free; NULL: nothing is recorded). */
void sn_service_set_audit(sn_service *s, sn_audit *a);
/* The service's audit log (NULL when off), for sn_audit_auth and sn_audit_record. */
sn_audit *sn_service_audit(sn_service *s);
/* Records the configuration in force (config_change, with sn_server_config_digest), the model
 * loaded (model_change) and the API keys of the keys file (key_change), from then on watched
 * for changes: at start. */
void sn_service_audit_start(sn_service *s);
/* Records the last change of the keys file, if any, and the stop (kind service, the signal
 * that asked for it; may be NULL): after the server stopped serving. */
void sn_service_audit_stop(sn_service *s, const char *signal_name);
/* Records one answered request (api_call): caller (NULL: "anonymous"), source, method, the route
 * as the OpenAPI document names it (never the raw path, which may hold a user id), status and
 * duration. */
void sn_service_audit_call(sn_service *s, const char *caller, const char *source,
                           const char *method, const char *path, int status, int64_t duration_us);

/* Counts a failed authentication from source (an address). Past selfwatch_auth_failures_per_source
 * from one source, or selfwatch_auth_failures from all, within selfwatch_window seconds, raises
 * one alert per window: into GET /api/v1/anomalies, sentinel_self_alerts_total, the audit log and
 * the log. Thread-safe. */
void sn_selfwatch_auth_failure(sn_service *s, const char *source);
/* The same for a request refused by a rate limit, per key (or source when anonymous) and overall
 * (selfwatch_rate_limited_per_key, selfwatch_rate_limited). */
void sn_selfwatch_rate_limited(sn_service *s, const char *key_or_source);

/* ---- HTTP front end ----------------------------------------------------------------------- */

typedef struct sn_server sn_server;

/* Binds cfg->listen and serves svc (borrowed until sn_server_stop) on a pool of worker threads
 * (over TLS when cfg->tls_cert_file is set: TLS 1.3 only unless tls_min_version is "1.2"),
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
