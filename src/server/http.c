/* HTTP/1.1 front end on libmicrohttpd: a listening socket we bind ourselves (so that port 0 and
 * bind errors are ours to report), a pool of worker threads polling with epoll, keep-alive,
 * per-connection timeouts against slow clients, the body size limit, and a shutdown that lets
 * in-flight requests finish. Requests go to the service (routes.c); nothing here knows the API
 * beyond asking it which requests are heavy: those are suspended and answered from a worker of
 * their own (jobs.c), so that the HTTP thread's other connections are not held up meanwhile.
 * A request is admitted or refused on its headers alone (credentials, role, rate), before its
 * body is read. TLS through GnuTLS when a certificate is configured. Every answer carries the
 * security headers, is counted for /metrics and logged (method, path, status, duration, the
 * caller's public id; never the body, the query, a header or a credential). */
#include "server_internal.h"

#include "../audit/audit.h"
#include "../core/secret.h"
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <microhttpd.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Batches waiting for a worker at most; more get 503 overloaded. */
#define MAX_QUEUED_BATCHES 64

struct sn_server {
    struct MHD_Daemon *daemon;
    sn_service *svc;
    sn_log *log; /* the service's */
    sn_pool *pool;
    sn_server_config cfg;
    int listen_fd;
    bool listen_fd_ours; /* MHD gave it back (quiesce): we close it */
    int port;
    char url[300];
    atomic_int in_flight;
    atomic_int connections;
    atomic_llong trimmed_at; /* monotonic seconds of the last give_back */
    atomic_bool draining;
    bool tls;
    char *tls_cert; /* PEM, NUL-terminated; MHD reads it at start */
    sn_secret tls_key;
};

/* Bodies from this size on are followed by give_back(srv, true). */
#define LARGE_BODY (1024 * 1024)

/* Hands the memory freed after a burst (a large batch, many connections closing) back to the
 * system: glibc keeps it in each thread's arena otherwise, and the process would stay at its
 * peak size. At most once a second unless always (after a large batch, which takes far longer
 * than the trim). */
static void give_back(sn_server *srv, bool always)
{
    if (always) {
        malloc_trim(0);
        return;
    }
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long long prev = atomic_load(&srv->trimmed_at);
    if ((long long)now.tv_sec <= prev ||
        !atomic_compare_exchange_strong(&srv->trimmed_at, &prev, (long long)now.tv_sec))
        return;
    malloc_trim(0);
}

#define MAX_ARGS 32

/* The request target (path and query, as sent) and the header fields (each counted as
 * "Name: value" and its line end) allowed; longer ones get 414 and 431 with a JSON error body.
 * libmicrohttpd holds a request's line and headers in the connection's memory, which is made
 * larger than both together (CONNECTION_MEMORY), so that these answers, and not its own HTML
 * page, are what a client over them gets; a request past even that still gets libmicrohttpd's
 * own 414 or 431. */
#define MAX_TARGET 8192
#define MAX_HEADER_BYTES 16384
#define CONNECTION_MEMORY (64 * 1024)

typedef struct args_ctx {
    sn_http_arg args[MAX_ARGS];
    size_t n;
} args_ctx;

/* One request in progress (MHD keeps it between the calls that deliver its body). */
typedef struct req_ctx {
    sn_job job; /* when answered by a worker */
    sn_server *srv;
    struct MHD_Connection *conn;
    int64_t start_us;  /* monotonic, when its headers had arrived */
    size_t target_len; /* of the request target as sent (0: unknown) */
    bool nul_escape;   /* the target as sent holds %00 */
    bool started;      /* the headers were seen */
    bool answered;     /* a response is queued */
    bool too_large;    /* the body went past the limit while arriving */
    bool offloaded;    /* suspended, waiting for a worker's answer in resp */
    size_t received;
    char source[48]; /* the client's address, for the audit log */
    sn_buf body;
    /* For the worker: the connection's strings stay valid while it is suspended. */
    sn_http_request req;
    args_ctx args;
    sn_http_response resp;
    sn_caller caller; /* what admitting the request decided */
    char remote[64];  /* the client's address, as its rate limit counts it */
    bool credential;  /* the request presented one (an Authorization header) */
} req_ctx;

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    (void)kind;
    args_ctx *a = cls;
    if (a->n < MAX_ARGS)
        a->args[a->n++] = (sn_http_arg){key, value};
    return MHD_YES;
}

/* On every answer: the API's responses are data, never pages to render, frame or cache. */
static void add_security_headers(const sn_server *srv, struct MHD_Response *mr,
                                 const sn_http_response *r)
{
    /* The dashboard's assets may be cached (revalidated by ETag) and its pages carry their
     * own policy; everything else is API data. */
    MHD_add_response_header(mr, MHD_HTTP_HEADER_CACHE_CONTROL,
                            r->cache_control ? r->cache_control : "no-store");
    MHD_add_response_header(mr, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(mr, "X-Frame-Options", "DENY");
    MHD_add_response_header(mr, "Content-Security-Policy",
                            r->csp ? r->csp
                                   : "default-src 'none'; frame-ancestors 'none'; base-uri "
                                     "'none'; form-action 'none'");
    MHD_add_response_header(mr, "Referrer-Policy", "no-referrer");
    if (srv->tls)
        MHD_add_response_header(mr, "Strict-Transport-Security",
                                "max-age=31536000; includeSubDomains");
}

/* The headers only dashboard assets and sessions set. */
static void add_dashboard_headers(struct MHD_Response *mr, const sn_http_response *r)
{
    if (r->etag)
        MHD_add_response_header(mr, MHD_HTTP_HEADER_ETAG, r->etag);
    if (r->content_encoding) {
        MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_ENCODING, r->content_encoding);
        MHD_add_response_header(mr, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
    }
    if (r->set_cookie[0])
        MHD_add_response_header(mr, MHD_HTTP_HEADER_SET_COOKIE, r->set_cookie);
}

/* Reads the headers the dashboard's sessions and assets use into req. */
static void dashboard_headers(struct MHD_Connection *c, sn_http_request *req)
{
    req->cookie = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_COOKIE);
    req->csrf_token = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-CSRF-Token");
    req->fetch_site = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Sec-Fetch-Site");
    req->if_none_match =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
    req->accept_encoding =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
}

/* Queues r (its body is handed over), then counts and logs it. */
static enum MHD_Result send_response(sn_server *srv, req_ctx *rc, struct MHD_Connection *c,
                                     const char *method, const char *path, sn_http_response *r,
                                     bool close)
{
    rc->answered = true;
    int status = r->status;
    enum MHD_Result ret = MHD_NO;
    struct MHD_Response *mr =
        MHD_create_response_from_buffer(r->body_len, r->body, MHD_RESPMEM_MUST_FREE);
    if (!mr) {
        free(r->body);
        status = 500;
    } else {
        if (r->body_len || r->status != 204)
            MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE,
                                    r->content_type ? r->content_type : "application/json");
        add_security_headers(srv, mr, r);
        add_dashboard_headers(mr, r);
        if (r->allow)
            MHD_add_response_header(mr, MHD_HTTP_HEADER_ALLOW, r->allow);
        char num[32];
        if (r->retry_after > 0) {
            snprintf(num, sizeof(num), "%d", r->retry_after);
            MHD_add_response_header(mr, MHD_HTTP_HEADER_RETRY_AFTER, num);
        }
        if (r->challenge)
            MHD_add_response_header(mr, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                    "Bearer realm=\"sentinel\"");
        if (r->rate_limit > 0) {
            snprintf(num, sizeof(num), "%ld", r->rate_limit);
            MHD_add_response_header(mr, "RateLimit-Limit", num);
            snprintf(num, sizeof(num), "%ld", r->rate_remaining);
            MHD_add_response_header(mr, "RateLimit-Remaining", num);
            snprintf(num, sizeof(num), "%ld", r->rate_reset);
            MHD_add_response_header(mr, "RateLimit-Reset", num);
        }
        if (r->vary_origin)
            MHD_add_response_header(mr, MHD_HTTP_HEADER_VARY, "Origin");
        if (r->cors_origin) {
            MHD_add_response_header(mr, MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN,
                                    r->cors_origin);
            if (r->cors_credentials)
                MHD_add_response_header(mr, "Access-Control-Allow-Credentials", "true");
            if (r->preflight_methods) {
                MHD_add_response_header(mr, "Access-Control-Allow-Methods", r->preflight_methods);
                MHD_add_response_header(mr, "Access-Control-Allow-Headers",
                                        "Authorization, Content-Type");
                MHD_add_response_header(mr, "Access-Control-Max-Age", "600");
            }
        }
        if (close)
            MHD_add_response_header(mr, MHD_HTTP_HEADER_CONNECTION, "close");
        ret = MHD_queue_response(c, (unsigned)r->status, mr);
        MHD_destroy_response(mr);
    }
    r->body = NULL;
    int64_t took = mono_us() - rc->start_us;
    sn_service_observe(srv->svc, path, status, took);
    const char *source = rc->source[0] ? rc->source : NULL;
    const char *caller = rc->caller.who.id[0] ? rc->caller.who.id : NULL;
    /* Authentication attempts: a refused credential, or an accepted one (not when
     * authentication is off); both feed the audit log, refusals also the watch on spikes. */
    if (status == 401) {
        sn_audit_auth(sn_service_audit(srv->svc), caller, source, false, "credential refused");
        sn_selfwatch_auth_failure(srv->svc, source ? source : "unknown");
    } else if (rc->credential && caller && !srv->cfg.insecure_no_auth) {
        sn_audit_auth(sn_service_audit(srv->svc), caller, source, true, NULL);
    }
    if (status == 429)
        sn_selfwatch_rate_limited(srv->svc, caller ? caller : (source ? source : "unknown"));
    sn_service_audit_call(srv->svc, caller, source, method, path, status, took);
    if (sn_log_enabled(srv->log, SN_LOG_INFO)) {
        sn_log_line line;
        sn_log_begin(&line, SN_LOG_INFO, "request");
        sn_log_str(&line, "method", method, strlen(method));
        sn_log_str(&line, "path", path, strlen(path));
        sn_log_int(&line, "status", status);
        sn_log_int(&line, "duration_us", took);
        /* Who called, by public id: never the key, the token or the Authorization header. */
        if (rc->caller.who.id[0])
            sn_log_str(&line, "caller", rc->caller.who.id, strlen(rc->caller.who.id));
        sn_log_end(srv->log, &line);
    }
    return ret;
}

/* A worker's side of a heavy request: answer it, then let MHD send the answer. */
static void run_job(sn_job *job)
{
    req_ctx *rc = (req_ctx *)job;
    sn_server *srv = rc->srv;
    sn_service_gauge_queued(srv->svc, -1);
    sn_service_answer(srv->svc, &rc->req, &rc->caller, &rc->resp);
    bool large = rc->req.body_len >= LARGE_BODY;
    MHD_resume_connection(rc->conn);
    if (large)
        give_back(srv, true);
}

static void cancel_job(sn_job *job)
{
    req_ctx *rc = (req_ctx *)job;
    sn_service_gauge_queued(rc->srv->svc, -1);
    sn_service_error(&rc->resp, 503, "shutting_down", "the server is shutting down", NULL);
    MHD_resume_connection(rc->conn);
}

/* The peer's address as text: in full for the audit log ("" when unknown), or, for the rate
 * limits of unauthenticated callers, with an IPv6 address cut to its /64 (one IPv6 client
 * usually holds a whole /64) and "unknown" when there is none. */
static void client_address(struct MHD_Connection *c, char *out, size_t cap, bool per_64)
{
    snprintf(out, cap, "%s", per_64 ? "unknown" : "");
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !ci->client_addr)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
                  (socklen_t)cap);
    } else if (sa->sa_family == AF_INET6) {
        struct in6_addr a = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
        if (per_64)
            memset(a.s6_addr + 8, 0, 8);
        inet_ntop(AF_INET6, &a, out, (socklen_t)cap);
        if (per_64) {
            size_t n = strlen(out);
            snprintf(out + n, cap - n, "/64");
        }
    }
}

static long long content_length(struct MHD_Connection *c)
{
    const char *cl =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (!cl)
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(cl, &end, 10);
    return (errno || end == cl || v < 0) ? -1 : v;
}

/* How many times a request carries a header field of one name. */
typedef struct header_count {
    const char *name;
    int n;
} header_count;

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    (void)kind;
    (void)value;
    header_count *h = cls;
    if (key && !strcasecmp(key, h->name))
        h->n++;
    return MHD_YES;
}

static int headers_named(struct MHD_Connection *c, const char *name)
{
    header_count h = {name, 0};
    MHD_get_connection_values(c, MHD_HEADER_KIND, count_header, &h);
    return h.n;
}

static enum MHD_Result add_header_bytes(void *cls, enum MHD_ValueKind kind, const char *key,
                                        const char *value)
{
    (void)kind;
    size_t *n = cls;
    *n += (key ? strlen(key) : 0) + (value ? strlen(value) : 0) + 4; /* ": " and CRLF */
    return MHD_YES;
}

/* Called by libmicrohttpd with the request target as sent (before it is decoded and split)
 * once the request line has arrived: the request's context starts here, knowing its length.
 * NULL (out of memory) is made good at the headers. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    (void)cls;
    (void)c;
    req_ctx *rc = calloc(1, sizeof(*rc));
    if (rc) {
        rc->target_len = strlen(uri);
        /* As sent, before decoding: a %00 would cut the decoded path or argument short, and the
         * request would reach another route than the one it names. */
        for (const char *p = strchr(uri, '%'); p && !rc->nul_escape; p = strchr(p + 1, '%'))
            rc->nul_escape = p[1] == '0' && p[2] == '0';
    }
    return rc;
}

/* A request whose framing two parties could read differently (RFC 9112 section 6.3: more than
 * one Content-Length, or one beside Transfer-Encoding; section 3.2: HTTP/1.1 without Host) is
 * refused rather than guessed at: a proxy in front may have read it another way (request
 * smuggling). NULL when it is sound. */
static const char *unsound_framing(struct MHD_Connection *c, const char *version)
{
    int lengths = headers_named(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (lengths > 1)
        return "more than one Content-Length header";
    if (headers_named(c, MHD_HTTP_HEADER_HOST) > 1)
        return "more than one Host header"; /* which names the server? (RFC 9112 3.2) */
    if (lengths &&
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING))
        return "both Content-Length and Transfer-Encoding";
    if (version && !strcmp(version, MHD_HTTP_VERSION_1_1) &&
        !MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST))
        return "an HTTP/1.1 request needs a Host header";
    return NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    sn_server *srv = cls;
    req_ctx *rc = *con_cls;
    sn_http_request req = {.method = method, .path = url};
    req.content_type =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    req.authorization =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    req.origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ORIGIN);
    req.host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    dashboard_headers(c, &req);
    sn_http_response resp = {0};
    if (!rc || !rc->started) {
        /* First call: headers only. Answer now whatever the body cannot change. */
        if (!rc && !(rc = calloc(1, sizeof(*rc))))
            return MHD_NO;
        rc->started = true;
        rc->start_us = mono_us();
        rc->srv = srv;
        rc->conn = c;
        rc->job.run = run_job;
        rc->job.cancel = cancel_job;
        client_address(c, rc->source, sizeof(rc->source), false);
        sn_buf_init(&rc->body);
        client_address(c, rc->remote, sizeof(rc->remote), true);
        rc->credential = req.authorization != NULL;
        *con_cls = rc;
        atomic_fetch_add(&srv->in_flight, 1);
        sn_service_gauge_in_flight(srv->svc, 1);
        if (atomic_load(&srv->draining)) {
            sn_service_error(&resp, 503, "shutting_down", "the server is shutting down", NULL);
            return send_response(srv, rc, c, method, url, &resp, true);
        }
        size_t header_bytes = 0;
        MHD_get_connection_values(c, MHD_HEADER_KIND, add_header_bytes, &header_bytes);
        if (rc->target_len > MAX_TARGET) {
            char msg[96];
            snprintf(msg, sizeof(msg), "the request target is longer than %d bytes", MAX_TARGET);
            sn_service_error(&resp, 414, "uri_too_long", msg, NULL);
            return send_response(srv, rc, c, method, url, &resp, true);
        }
        if (header_bytes > MAX_HEADER_BYTES) {
            char msg[96];
            snprintf(msg, sizeof(msg), "the header fields take more than %d bytes",
                     MAX_HEADER_BYTES);
            sn_service_error(&resp, 431, "headers_too_large", msg, NULL);
            return send_response(srv, rc, c, method, url, &resp, true);
        }
        if (rc->nul_escape) {
            sn_service_error(&resp, 400, "bad_request",
                             "the request target holds an encoded NUL character (%00)", NULL);
            return send_response(srv, rc, c, method, url, &resp, true);
        }
        const char *unsound = unsound_framing(c, version);
        if (unsound) {
            sn_service_error(&resp, 400, "bad_request", unsound, NULL);
            return send_response(srv, rc, c, method, url, &resp, true);
        }
        /* Admitted (or refused) once, on the headers: a refused request with a body is answered
         * before it arrives (401 or 413 without reading 10 MiB). */
        req.remote = rc->remote;
        if (!sn_service_admit(srv->svc, &req, content_length(c), &rc->caller, &resp))
            return send_response(srv, rc, c, method, url, &resp, false);
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        /* The connection timeout only sees silence: a body that trickles in a byte at a time
         * is cut off once it has taken that long in all. */
        if (mono_us() - rc->start_us > (int64_t)srv->cfg.connection_timeout * 1000000)
            return MHD_NO;
        if (rc->answered)
            return MHD_YES;
        rc->received += n;
        if (rc->received > srv->cfg.body_limit) {
            /* A body without a declared length (chunked) that outgrows the limit. An answer
             * can only be queued once the body has arrived, so the rest is read and dropped,
             * up to a bound past which the connection is simply closed. */
            rc->too_large = true;
            sn_buf_free(&rc->body);
            return rc->received / 16 > srv->cfg.body_limit ? MHD_NO : MHD_YES;
        }
        sn_buf_append(&rc->body, upload_data, n);
        return MHD_YES;
    }
    if (rc->offloaded) {
        /* Resumed: the worker's answer is ready. */
        rc->offloaded = false;
        return send_response(srv, rc, c, method, url, &rc->resp, false);
    }
    if (rc->answered)
        return MHD_YES;
    if (rc->too_large) {
        char msg[128];
        snprintf(msg, sizeof(msg), "the body is larger than the %zu-byte limit",
                 srv->cfg.body_limit);
        sn_service_error(&resp, 413, "body_too_large", msg, NULL);
        return send_response(srv, rc, c, method, url, &resp, true);
    }
    req.source = rc->source[0] ? rc->source : NULL;
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_arg, &rc->args);
    req.args = rc->args.args;
    req.n_args = rc->args.n;
    if (rc->body.failed) {
        sn_service_error(&resp, 500, "internal_error", "out of memory", NULL);
        return send_response(srv, rc, c, method, url, &resp, true);
    }
    /* Room past the body for the JSON parser's wide reads: no copy of the body to make it. */
    if (rc->body.data)
        sn_buf_reserve(&rc->body, SN_JDOC_PADDING);
    req.body = rc->body.data;
    req.body_len = rc->body.len;
    req.body_pad = rc->body.data && !rc->body.failed ? rc->body.cap - rc->body.len : 0;
    req.remote = rc->remote;
    if (sn_service_is_heavy(url)) {
        if (!sn_pool_reserve(srv->pool)) {
            char msg[128];
            snprintf(msg, sizeof(msg), "%d batches are already waiting; try again shortly",
                     MAX_QUEUED_BATCHES);
            sn_service_error(&resp, 503, "overloaded", msg, NULL);
            resp.retry_after = 1;
            return send_response(srv, rc, c, method, url, &resp, false);
        }
        /* Suspended before it is queued, so that the worker cannot resume it first. */
        rc->req = req;
        rc->offloaded = true;
        MHD_suspend_connection(c);
        sn_service_gauge_queued(srv->svc, 1);
        sn_pool_submit(srv->pool, &rc->job);
        return MHD_YES;
    }
    sn_service_answer(srv->svc, &req, &rc->caller, &resp);
    return send_response(srv, rc, c, method, url, &resp, false);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)c;
    (void)toe;
    sn_server *srv = cls;
    req_ctx *rc = *con_cls;
    if (!rc)
        return;
    bool started = rc->started; /* else libmicrohttpd refused it before its headers */
    sn_buf_free(&rc->body);
    free(rc->resp.body); /* an answer never sent (the connection died first) */
    free(rc);
    *con_cls = NULL;
    if (!started)
        return;
    atomic_fetch_sub(&srv->in_flight, 1);
    sn_service_gauge_in_flight(srv->svc, -1);
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    (void)c;
    (void)socket_context;
    sn_server *srv = cls;
    int delta = code == MHD_CONNECTION_NOTIFY_STARTED ? 1 : -1;
    sn_service_gauge_connections(srv->svc, delta);
    if (atomic_fetch_add(&srv->connections, delta) + delta == 0)
        give_back(srv, false);
}

/* libmicrohttpd's own messages (a client that broke the protocol, a refused connection). At
 * most one a second, so that a misbehaving client cannot flood the log. */
__attribute__((format(printf, 2, 0))) static void on_log(void *cls, const char *fmt, va_list ap)
{
    sn_server *srv = cls;
    static atomic_llong last;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long long prev = atomic_load(&last);
    if ((long long)now.tv_sec <= prev || !atomic_compare_exchange_strong(&last, &prev, now.tv_sec))
        return;
    char text[512];
    vsnprintf(text, sizeof(text), fmt, ap);
    size_t n = strlen(text);
    while (n && text[n - 1] == '\n')
        text[--n] = '\0';
    sn_log_msg(srv->log, SN_LOG_WARN, "http", text);
}

static sn_status open_listener(sn_server *srv, sn_error *err)
{
    char host[256], port_text[8];
    int port;
    if (!sn_server_split_listen(srv->cfg.listen, host, sizeof(host), &port))
        return sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, "listen", "'%.60s' is not HOST:PORT",
                            srv->cfg.listen);
    snprintf(port_text, sizeof(port_text), "%d", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    int gai = getaddrinfo(host, port_text, &hints, &res);
    if (gai != 0)
        return sn_error_set(err, SN_ERR_IO, true, NULL, 0, "listen", "cannot resolve '%s': %s",
                            host, gai_strerror(gai));
    int fd = -1, last_errno = 0;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            last_errno = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (ai->ai_family == AF_INET6)
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 4096) != 0) {
            last_errno = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0)
        return sn_error_set(err, SN_ERR_IO, true, NULL, 0, "listen", "cannot listen on %s: %s",
                            srv->cfg.listen, strerror(last_errno));
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
        port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                              : ((struct sockaddr_in *)&ss)->sin_port);
    srv->listen_fd = fd;
    srv->port = port;
    bool v6 = strchr(host, ':') != NULL;
    snprintf(srv->url, sizeof(srv->url), "%s://%s%s%s:%d",
             srv->cfg.tls_cert_file[0] ? "https" : "http", v6 ? "[" : "", host, v6 ? "]" : "",
             port);
    return SN_OK;
}

static unsigned worker_threads(const sn_server_config *cfg)
{
    long n = cfg->threads > 0 ? cfg->threads : sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1u : (unsigned)n;
}

/* The certificate (public: any readable file) and its key (a secret: owner-only file). */
static sn_status load_tls(sn_server *srv, sn_error *err)
{
    if (!MHD_is_feature_supported(MHD_FEATURE_TLS))
        return sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, "--tls-cert-file",
                            "this libmicrohttpd was built without TLS");
    FILE *f = fopen(srv->cfg.tls_cert_file, "rb");
    if (!f)
        return sn_error_set(err, SN_ERR_IO, true, srv->cfg.tls_cert_file, 0, "--tls-cert-file",
                            "cannot open: %s", strerror(errno));
    srv->tls_cert = malloc(SN_SECRET_MAX + 1);
    size_t n = srv->tls_cert ? fread(srv->tls_cert, 1, SN_SECRET_MAX, f) : 0;
    fclose(f);
    if (!srv->tls_cert)
        return sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL, "out of memory");
    if (n == 0)
        return sn_error_set(err, SN_ERR_IO, true, srv->cfg.tls_cert_file, 0, "--tls-cert-file",
                            "empty certificate file");
    srv->tls_cert[n] = '\0';
    sn_status st = sn_secret_from_file(srv->cfg.tls_key_file, &srv->tls_key, err);
    if (st == SN_OK)
        srv->tls = true;
    return st;
}

static void free_tls(sn_server *srv)
{
    free(srv->tls_cert);
    sn_secret_free(&srv->tls_key);
}

sn_status sn_server_start(sn_server **out, sn_service *svc, const sn_server_config *cfg,
                          sn_error *err)
{
    *out = NULL;
    sn_server *srv = calloc(1, sizeof(*srv));
    if (!srv)
        return sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL, "out of memory");
    srv->svc = svc;
    srv->log = svc->log;
    srv->cfg = *cfg;
    srv->listen_fd = -1;
    atomic_init(&srv->in_flight, 0);
    atomic_init(&srv->connections, 0);
    atomic_init(&srv->trimmed_at, 0);
    atomic_init(&srv->draining, false);
    sn_status st = cfg->tls_cert_file[0] ? load_tls(srv, err) : SN_OK;
    if (st == SN_OK)
        st = open_listener(srv, err);
    if (st != SN_OK) {
        free_tls(srv);
        free(srv);
        return st;
    }
    unsigned threads = worker_threads(cfg);
    srv->pool = sn_pool_new(threads, MAX_QUEUED_BATCHES);
    if (!srv->pool) {
        close(srv->listen_fd);
        free_tls(srv);
        free(srv);
        return sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL, "cannot start workers");
    }
    /* epoll where the system has it; one internal polling thread per worker; ITC so that
     * quiescing works with the pool, and suspending connections for the workers. */
    unsigned flags = MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
    /* TLS 1.3 only unless TLS 1.2 is asked for; GnuTLS's NORMAL set otherwise. */
    struct MHD_OptionItem tls_opts[] = {{MHD_OPTION_HTTPS_MEM_CERT, 0, srv->tls_cert},
                                        {MHD_OPTION_HTTPS_MEM_KEY, 0, srv->tls_key.data},
                                        {MHD_OPTION_HTTPS_PRIORITIES, 0,
                                         (void *)(strcmp(cfg->tls_min_version, "1.2") == 0
                                                      ? "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
                                                      : "NORMAL:-VERS-ALL:+VERS-TLS1.3")},
                                        {MHD_OPTION_END, 0, NULL}};
    if (srv->tls)
        flags |= MHD_USE_TLS;
    else
        tls_opts[0].option = MHD_OPTION_END;
    srv->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, on_log, srv,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)srv->listen_fd, MHD_OPTION_THREAD_POOL_SIZE,
        threads > 1 ? threads : 0u, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)cfg->connection_timeout, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)cfg->max_connections, MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv, MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY, MHD_OPTION_ARRAY, tls_opts,
        MHD_OPTION_END);
    if (!srv->daemon) {
        sn_pool_free(srv->pool);
        close(srv->listen_fd);
        free_tls(srv);
        free(srv);
        return sn_error_set(err, SN_ERR_IO, true, NULL, 0, NULL,
                            "cannot start the HTTP server (libmicrohttpd refused the options)");
    }
    *out = srv;
    return SN_OK;
}

int sn_server_port(const sn_server *s)
{
    return s->port;
}

const char *sn_server_url(const sn_server *s)
{
    return s->url;
}

void sn_server_stop(sn_server *s)
{
    if (!s)
        return;
    atomic_store(&s->draining, true);
    if (MHD_quiesce_daemon(s->daemon) != MHD_INVALID_SOCKET) {
        s->listen_fd_ours = true;
        /* Refuse new connections now rather than leave them waiting in the backlog; the
         * descriptor itself stays open until the workers are gone. */
        shutdown(s->listen_fd, SHUT_RDWR);
    }
    struct timespec start, now, nap = {0, 10 * 1000 * 1000};
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        if (atomic_load(&s->in_flight) <= 0)
            break;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec >= s->cfg.shutdown_timeout)
            break;
        nanosleep(&nap, NULL);
    }
    /* Batches still waiting get 503; the running ones finish (a block of events takes about a
     * millisecond, a whole batch well under a second). Then nothing can resume a connection. */
    sn_pool_free(s->pool);
    MHD_stop_daemon(s->daemon);
    if (s->listen_fd_ours)
        close(s->listen_fd);
    free_tls(s);
    free(s);
}
