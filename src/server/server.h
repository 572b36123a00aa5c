/* Public face of the server layer: `sentinel serve`, the REST API for real-time decisions.
 *
 * Three parts, used in this order by the command line:
 *   - the configuration (one declarative table of options read from a YAML file, the environment
 *     and the command line alike);
 *   - the service: the detection engine and what the server remembers (recent anomalous
 *     verdicts, per-user history for the user risk score), answering requests in process;
 *   - the HTTP front end (libmicrohttpd) that carries requests to the service over a socket. */
#ifndef SN_SERVER_H
#define SN_SERVER_H

#include "../core/error.h"
#include "../risk/risk.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* ---- Configuration ---------------------------------------------------------------------- */

typedef struct sn_server_config {
    char listen[256];        /* HOST:PORT ("[::1]:8080" for IPv6); port 0 picks a free one */
    char model[4096];        /* model file written by `sentinel train` */
    char config[4096];       /* the YAML file the options came from ("" when none) */
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

/* ---- Service: answering requests in process -------------------------------------------- */

typedef struct sn_service sn_service;

/* Takes ownership of engine (freed with the service, also on failure). */
sn_status sn_service_new(sn_service **out, sn_engine *engine, const sn_server_config *cfg,
                         sn_error *err);
void sn_service_free(sn_service *s);

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
    char *body; /* JSON, malloc'd: the caller frees it */
    size_t body_len;
    const char *allow; /* static; the Allow header of a 405 */
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

/* ---- HTTP front end ----------------------------------------------------------------------- */

typedef struct sn_server sn_server;

/* Binds cfg->listen and serves svc (borrowed until sn_server_stop) on a pool of worker threads.
 * Once it returns SN_OK, connections are accepted. Failures (address in use, bad host) return
 * SN_ERR_IO with err filled. */
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
