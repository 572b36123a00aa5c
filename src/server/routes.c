/* The REST API's routes (product spec section 4; the reference system's paths and field names):
 * matching, the checks every request passes, and one handler per endpoint. */
#include "dashboard.h"

#include "../audit/audit.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef void (*handler_fn)(sn_service *s, const sn_http_request *req, const sn_caller *caller,
                           sn_http_response *resp);

typedef struct route {
    const char *name;   /* the path as the OpenAPI document and the metrics write it */
    const char *path;   /* the whole path, or its beginning when suffix is set */
    const char *suffix; /* routes with a parameter: path PARAM suffix */
    const char *method; /* GET (HEAD too) or POST */
    bool json_body;
    bool heavy;       /* answered off the HTTP thread (sn_service_is_heavy) */
    bool needs_model; /* 503 while no model is loaded */
    unsigned roles;   /* sn_role bits admitted; 0: public, no credential needed */
    sn_rate_class rate;
    handler_fn fn;
    /* Only for callers with the admin role once roles exist: personal data of anyone. */
    bool admin_only;
} route;

static void h_health(sn_service *s, const sn_http_request *req, const sn_caller *caller,
                     sn_http_response *resp);
static void h_analyze_access(sn_service *s, const sn_http_request *req, const sn_caller *caller,
                             sn_http_response *resp);
static void h_analyze_batch(sn_service *s, const sn_http_request *req, const sn_caller *caller,
                            sn_http_response *resp);
static void h_user_risk(sn_service *s, const sn_http_request *req, const sn_caller *caller,
                        sn_http_response *resp);
static void h_user_export(sn_service *s, const sn_http_request *req, const sn_caller *caller,
                          sn_http_response *resp);
static void h_user_forget(sn_service *s, const sn_http_request *req, const sn_caller *caller,
                          sn_http_response *resp);
static void h_model_metrics(sn_service *s, const sn_http_request *req, const sn_caller *caller,
                            sn_http_response *resp);
static void h_roles_discover(sn_service *s, const sn_http_request *req, const sn_caller *caller,
                             sn_http_response *resp);
static void h_predict_access(sn_service *s, const sn_http_request *req, const sn_caller *caller,
                             sn_http_response *resp);
static void h_metrics(sn_service *s, const sn_http_request *req, const sn_caller *caller,
                      sn_http_response *resp);
static void h_openapi(sn_service *s, const sn_http_request *req, const sn_caller *caller,
                      sn_http_response *resp);

/* The routing table; the OpenAPI document (openapi.c) describes exactly these routes, which
 * tests/server/test_openapi.c checks. /health, /metrics and /openapi.json never take the engine
 * lock. The roles column is the access policy: analysis for analysts and services, reading
 * verdicts and user risk for viewers and up, the model for admins, /metrics for admins and
 * services (what a metrics scraper is), the API's own description for anyone authenticated,
 * /health for everyone. */
#define VIEWER_UP (SN_ROLE_VIEWER | SN_ROLE_ANALYST | SN_ROLE_ADMIN)
#define ANALYSIS (SN_ROLE_ANALYST | SN_ROLE_SERVICE)
static const route routes[] = {
    {"/health", "/health", NULL, "GET", false, false, false, 0, SN_RATE_GENERAL, h_health},
    {"/api/v1/analyze/access", "/api/v1/analyze/access", NULL, "POST", true, false, true, ANALYSIS,
     SN_RATE_ANALYSIS, h_analyze_access},
    {"/api/v1/analyze/batch", "/api/v1/analyze/batch", NULL, "POST", true, true, true, ANALYSIS,
     SN_RATE_ANALYSIS, h_analyze_batch},
    {"/api/v1/user/{user_id}/risk-score", "/api/v1/user/", "/risk-score", "GET", false, false,
     false, VIEWER_UP, SN_RATE_GENERAL, h_user_risk},
    /* Export and erasure of one person's records (the store): admin only. */
    {"/api/v1/user/{user_id}/export", "/api/v1/user/", "/export", "GET", false, false, false,
     SN_ROLE_ADMIN, SN_RATE_GENERAL, h_user_export},
    {"/api/v1/user/{user_id}", "/api/v1/user/", "", "DELETE", false, false, false, SN_ROLE_ADMIN,
     SN_RATE_GENERAL, h_user_forget},
    {"/api/v1/anomalies", "/api/v1/anomalies", NULL, "GET", false, false, false, VIEWER_UP,
     SN_RATE_GENERAL, sn_dash_h_anomalies},
    /* The dashboard's figures (dashboard.c). */
    {"/api/v1/stats/overview", "/api/v1/stats/overview", NULL, "GET", false, false, false,
     VIEWER_UP, SN_RATE_GENERAL, sn_dash_h_overview},
    {"/api/v1/user/{user_id}/events", "/api/v1/user/", "/events", "GET", false, false, false,
     VIEWER_UP, SN_RATE_GENERAL, sn_dash_h_user_events},
    {"/api/v1/model/metrics", "/api/v1/model/metrics", NULL, "GET", false, false, false,
     SN_ROLE_ADMIN, SN_RATE_GENERAL, h_model_metrics},
    /* Role discovery fits a model, so it is limited like training. */
    {"/api/v1/roles/discover", "/api/v1/roles/discover", NULL, "POST", false, true, true,
     SN_ROLE_ANALYST, SN_RATE_TRAINING, h_roles_discover},
    /* Needs the access predictor, not the detection model. */
    {"/api/v1/predict/access", "/api/v1/predict/access", NULL, "POST", true, false, false, ANALYSIS,
     SN_RATE_ANALYSIS, h_predict_access},
    {"/metrics", "/metrics", NULL, "GET", false, false, false, SN_ROLE_ADMIN | SN_ROLE_SERVICE,
     SN_RATE_GENERAL, h_metrics},
    {"/openapi.json", "/openapi.json", NULL, "GET", false, false, false, SN_ROLE_ANY,
     SN_RATE_GENERAL, h_openapi},
};

#define N_ROUTES (sizeof(routes) / sizeof(routes[0]))

size_t sn_service_route_index(const char *path)
{
    size_t n = strlen(path);
    /* Exact paths and parameters followed by a suffix first; then a parameter that ends the
     * path, which takes the rest of it, '/' and all (user ids such as CloudTrail's
     * ROLE/SESSION): /api/v1/user/a/b is user a/b, /api/v1/user/a/events a's events. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < N_ROUTES; i++) {
            const route *r = &routes[i];
            if (!r->suffix) {
                if (pass == 0 && !strcmp(path, r->path))
                    return i;
                continue;
            }
            size_t p = strlen(r->path), q = strlen(r->suffix);
            if ((q == 0) != (pass == 1))
                continue;
            /* (a parameter never starts or ends with '/': no empty segment stands for it) */
            if (n > p + q && !strncmp(path, r->path, p) && !strcmp(path + n - q, r->suffix) &&
                path[p] != '/' && path[n - q - 1] != '/')
                return i;
        }
    }
    return N_ROUTES;
}

static const route *find_route(const char *path)
{
    size_t i = sn_service_route_index(path);
    return i < N_ROUTES ? &routes[i] : NULL;
}

const char *sn_service_route_name(size_t i)
{
    return i < N_ROUTES ? routes[i].name : "unmatched";
}

size_t sn_service_routes(sn_route_info *out, size_t cap)
{
    for (size_t i = 0; i < N_ROUTES && i < cap; i++)
        out[i] = (sn_route_info){routes[i].method, routes[i].name};
    return N_ROUTES;
}

bool sn_service_is_heavy(const char *path)
{
    const route *r = find_route(path);
    return r && r->heavy;
}

/* application/json, with or without parameters ("; charset=utf-8"). */
static bool is_json_type(const char *ct)
{
    if (!ct)
        return false;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    static const char want[] = "application/json";
    if (strncasecmp(ct, want, sizeof(want) - 1) != 0)
        return false;
    const char *rest = ct + sizeof(want) - 1;
    while (*rest == ' ' || *rest == '\t')
        rest++;
    return *rest == '\0' || *rest == ';';
}

/* The request's Origin when it is one of cors_origins (compared exactly), else NULL. */
static const char *allowed_origin(const sn_service *s, const char *origin)
{
    if (!origin || !*origin)
        return NULL;
    size_t n = strlen(origin);
    for (const char *p = s->cfg.cors_origins; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *end = p;
        while (*end && *end != ',')
            end++;
        const char *last = end;
        while (last > p && last[-1] == ' ')
            last--;
        if (last > p && (size_t)(last - p) == n && !memcmp(p, origin, n))
            return origin;
        p = end;
    }
    return NULL;
}

/* What every answer to the caller carries: CORS and rate limit headers. */
static void decorate(const sn_service *s, const sn_caller *caller, sn_http_response *resp)
{
    resp->vary_origin = s->cfg.cors_origins[0] != '\0';
    resp->cors_origin = caller->cors_origin;
    resp->cors_credentials = caller->cors_origin && s->cfg.cors_allow_credentials;
    resp->rate_limit = caller->rate_limit;
    resp->rate_remaining = caller->rate_remaining;
    resp->rate_reset = caller->rate_reset;
}

static const sn_rate *rate_of(const sn_service *s, sn_rate_class c)
{
    return c == SN_RATE_ANALYSIS   ? &s->cfg.rate_analysis
           : c == SN_RATE_TRAINING ? &s->cfg.rate_training
                                   : &s->cfg.rate_general;
}

/* Counts one request of the caller known as key; false with a 429 in resp when over. */
static bool take_rate(sn_service *s, sn_rate_class c, const char *key, sn_caller *caller,
                      sn_http_response *resp)
{
    static const char *const words[] = {"these endpoints", "the analysis endpoints",
                                        "the training endpoints"};
    sn_rate_decision d;
    const sn_rate *rate = rate_of(s, c);
    sn_ratelimit_take(s->limits, c, rate, key, sn_now_us(), &d);
    caller->rate_limit = d.limit;
    caller->rate_remaining = d.remaining;
    caller->rate_reset = d.reset_s;
    if (d.allowed)
        return true;
    const char *period = rate->period_s == 1      ? "second"
                         : rate->period_s == 60   ? "minute"
                         : rate->period_s == 3600 ? "hour"
                                                  : "day";
    char msg[160];
    snprintf(msg, sizeof(msg), "more than %ld requests per %s to %s; retry in %ld s", rate->count,
             period, words[c], d.retry_after);
    sn_service_error(resp, 429, "rate_limited", msg, NULL);
    resp->retry_after = (int)d.retry_after;
    return false;
}

static bool refuse(const sn_service *s, const sn_caller *caller, sn_http_response *resp)
{
    decorate(s, caller, resp);
    return false;
}

/* Whether a Host header names the loopback interface: 127.0.0.0/8, [::1] or localhost, with or
 * without a port. */
static bool loopback_host(const char *host)
{
    size_t n = strlen(host);
    if (host[0] == '[') {
        const char *end = strchr(host, ']');
        return end && end - host == 4 && !memcmp(host, "[::1]", 5) && (!end[1] || end[1] == ':');
    }
    const char *colon = strchr(host, ':');
    if (colon)
        n = (size_t)(colon - host);
    if (n && host[n - 1] == '.')
        n--; /* the root's dot */
    if (n == 9 && !strncasecmp(host, "localhost", 9))
        return true;
    char name[64];
    if (n >= sizeof(name))
        return false;
    memcpy(name, host, n);
    name[n] = '\0';
    unsigned char addr[4];
    return inet_pton(AF_INET, name, addr) == 1 && addr[0] == 127; /* dotted quads only */
}

bool sn_service_admit(sn_service *s, const sn_http_request *req, long long content_length,
                      sn_caller *caller, sn_http_response *resp)
{
    memset(resp, 0, sizeof(*resp));
    memset(caller, 0, sizeof(*caller));
    caller->cors_origin = allowed_origin(s, req->origin);
    if (s->cfg.insecure_no_auth && req->host && !loopback_host(req->host)) {
        /* Open to every caller, the server must not be reachable under a name a web page can
         * point at it (DNS rebinding): only loopback names are answered. */
        sn_service_error(resp, 403, "host_not_allowed",
                         "without authentication the server answers only requests addressed to "
                         "a loopback name (Host 127.0.0.1, localhost or [::1])",
                         NULL);
        return refuse(s, caller, resp);
    }
    /* The dashboard's pages, assets and sign-in answer for themselves. */
    if (sn_web_owns(req->path))
        return sn_web_precheck(s, req, content_length, resp);
    const route *r = find_route(req->path);
    if (!strcmp(req->method, "OPTIONS")) {
        /* A browser's preflight carries no credentials: it is answered on the origin alone. */
        if (!r) {
            sn_service_error(resp, 404, "not_found", "no endpoint at this path", NULL);
        } else if (!caller->cors_origin) {
            sn_service_error(resp, 403, "origin_not_allowed",
                             "this origin may not call the API from a browser", NULL);
        } else {
            resp->status = 204;
            resp->preflight_methods = !strcmp(r->method, "GET") ? "GET, HEAD" : "POST";
        }
        return refuse(s, caller, resp);
    }
    if (!r) {
        sn_service_error(resp, 404, "not_found", "no endpoint at this path", NULL);
        return refuse(s, caller, resp);
    }
    bool get = !strcmp(r->method, "GET");
    if (strcmp(req->method, r->method) != 0 && !(get && !strcmp(req->method, "HEAD"))) {
        char msg[64];
        snprintf(msg, sizeof(msg), "this endpoint answers %s", r->method);
        sn_service_error(resp, 405, "method_not_allowed", msg, NULL);
        resp->allow = get ? "GET, HEAD" : r->method;
        return refuse(s, caller, resp);
    }
    char address_key[80];
    snprintf(address_key, sizeof(address_key), "addr:%.64s", req->remote ? req->remote : "local");
    if (r->roles) {
        const char *why = NULL;
        /* A browser (it sends Sec-Fetch-Site, or the session cookie) without an Authorization
         * header is known by its dashboard session only, whatever the authentication mode:
         * signed out, it gets nothing. */
        bool browser = !req->authorization && (req->fetch_site || sn_session_cookie_sent(req));
        bool csrf_ok = true;
        sn_auth_result a = browser ? sn_session_authenticate(s, req, &caller->who, &csrf_ok, &why)
                                   : sn_auth_check(s->auth, req->authorization, &caller->who, &why);
        if (a == SN_AUTH_OK && !csrf_ok) {
            sn_service_error(resp, 403, "csrf_failed",
                             "a request that may change state needs the session's X-CSRF-Token",
                             NULL);
            return refuse(s, caller, resp);
        }
        if (a != SN_AUTH_OK) {
            /* Guessing keys costs the guesser's address its general allowance. */
            if (!take_rate(s, SN_RATE_GENERAL, address_key, caller, resp))
                return refuse(s, caller, resp);
            sn_service_error(resp, 401,
                             a == SN_AUTH_MISSING ? "unauthenticated" : "invalid_credentials", why,
                             NULL);
            resp->challenge = true;
            return refuse(s, caller, resp);
        }
    } else {
        snprintf(caller->who.id, sizeof(caller->who.id), "anonymous");
    }
    /* An anonymous caller (public route, or authentication off) is known by its address. */
    const char *key = strcmp(caller->who.id, "anonymous") != 0 ? caller->who.id : address_key;
    if (!take_rate(s, r->rate, key, caller, resp))
        return refuse(s, caller, resp);
    snprintf(caller->rate_key, sizeof(caller->rate_key), "%s", key);
    if (r->roles && !(r->roles & (unsigned)caller->who.role)) {
        char msg[128];
        snprintf(msg, sizeof(msg), "the %s role may not use this endpoint",
                 sn_role_name((sn_role)caller->who.role));
        sn_service_error(resp, 403, "forbidden", msg, NULL);
        return refuse(s, caller, resp);
    }
    if (r->json_body && !is_json_type(req->content_type)) {
        sn_service_error(resp, 415, "unsupported_media_type",
                         "send the body as JSON with Content-Type: application/json", NULL);
        return refuse(s, caller, resp);
    }
    if (content_length >= 0 && (unsigned long long)content_length > s->cfg.body_limit) {
        char msg[128];
        snprintf(msg, sizeof(msg), "the body is larger than the %zu-byte limit", s->cfg.body_limit);
        sn_service_error(resp, 413, "body_too_large", msg, NULL);
        return refuse(s, caller, resp);
    }
    decorate(s, caller, resp);
    return true;
}

/* Viewers and services get levels, bands and recommendations, never the model's raw scores. */
static bool sees_raw_scores(const sn_caller *caller)
{
    return caller->who.role != SN_ROLE_VIEWER && caller->who.role != SN_ROLE_SERVICE;
}

/* The first query parameter given more than once, or NULL: which of two values is meant cannot
 * be told (and a filter in front may have read the other). */
static const char *repeated_arg(const sn_http_request *req)
{
    for (size_t i = 0; i < req->n_args; i++)
        for (size_t k = i + 1; k < req->n_args; k++)
            if (!strcmp(req->args[i].name, req->args[k].name))
                return req->args[i].name;
    return NULL;
}

void sn_service_answer(sn_service *s, const sn_http_request *req, const sn_caller *caller,
                       sn_http_response *resp)
{
    memset(resp, 0, sizeof(*resp));
    if (sn_web_owns(req->path)) {
        sn_web_handle(s, req, resp);
        return;
    }
    const route *r = find_route(req->path);
    const char *twice = req->n_args > 1 && req->n_args <= 64 ? repeated_arg(req) : NULL;
    if (!r) {
        sn_service_error(resp, 404, "not_found", "no endpoint at this path", NULL);
    } else if (twice || req->n_args > 64) {
        /* Named only when it is a plain name: the answer repeats nothing else a client sent. */
        bool plain = twice && strlen(twice) <= 32;
        for (const char *p = twice; plain && *p; p++)
            plain = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_';
        sn_service_error(resp, 422, "invalid_request",
                         twice ? "a query parameter is given more than once"
                               : "more than 64 query parameters",
                         plain ? twice : NULL);
    } else if (req->body_len > s->cfg.body_limit) {
        char msg[128];
        snprintf(msg, sizeof(msg), "the body is larger than the %zu-byte limit", s->cfg.body_limit);
        sn_service_error(resp, 413, "body_too_large", msg, NULL);
    } else if (r->needs_model && !s->models_loaded) {
        sn_service_error(resp, 503, "model_not_ready", "no model is loaded yet", NULL);
        resp->retry_after = 1;
    } else {
        /* The handlers' audit records name the caller admission decided on. */
        sn_http_request named = *req;
        if (!named.caller && caller->who.id[0])
            named.caller = caller->who.id;
        r->fn(s, &named, caller, resp);
        /* A training request refused for its own content (a bad argument, a bad body) did no
         * training: the hour's allowance is not spent on it. */
        if (r->rate == SN_RATE_TRAINING && resp->status >= 400 && resp->status < 500 &&
            resp->status != 429 && caller->rate_key[0])
            sn_ratelimit_give_back(s->limits, r->rate, caller->rate_key);
        if (resp->status == 200 && !resp->content_type && r->roles && !sees_raw_scores(caller))
            sn_json_redact_scores(resp);
    }
    decorate(s, caller, resp);
}

void sn_service_handle(sn_service *s, const sn_http_request *req, sn_http_response *resp)
{
    sn_caller caller;
    if (sn_service_admit(s, req, (long long)req->body_len, &caller, resp))
        sn_service_answer(s, req, &caller, resp);
}

/* ---- Endpoints -------------------------------------------------------------------------- */

static void h_health(sn_service *s, const sn_http_request *req, const sn_caller *caller,
                     sn_http_response *resp)
{
    (void)caller;
    (void)req;
    char now[32];
    sn_now_iso(now);
    sn_buf b;
    sn_buf_init(&b);
    /* Ready means able to judge events: a load balancer sends nothing before. */
    sn_buf_puts(&b, s->models_loaded ? "{\"status\":\"healthy\"" : "{\"status\":\"unavailable\"");
    sn_buf_puts(&b, ",\"version\":\"" SENTINEL_VERSION "\",\"models_loaded\":");
    sn_buf_puts(&b, s->models_loaded ? "true" : "false");
    sn_buf_puts(&b, ",\"timestamp\":\"");
    sn_buf_puts(&b, now);
    sn_buf_puts(&b, "\",\"uptime_seconds\":");
    sn_buf_u64(&b, (uint64_t)((sn_now_us() - s->started_us) / 1000000));
    sn_buf_putc(&b, '}');
    sn_json_respond(resp, s->models_loaded ? 200 : 503, &b);
    if (!s->models_loaded)
        resp->retry_after = 1;
}

/* Parses the body; on failure answers without repeating any of it. */
static json_t *parse_body(const sn_http_request *req, sn_http_response *resp)
{
    return sn_json_parse_body(req->body ? req->body : "", req->body_len, resp);
}

static void event_refused(sn_http_response *resp, const sn_error *err)
{
    sn_service_error(resp, 422, sn_json_event_error_code(err), err->msg, err->field);
}

static void internal_error(sn_http_response *resp, const char *msg)
{
    sn_service_error(resp, 500, "internal_error", msg, NULL);
}

static void h_analyze_access(sn_service *s, const sn_http_request *req, const sn_caller *caller,
                             sn_http_response *resp)
{
    (void)caller;
    sn_jv root;
    if (!sn_body_parse(req, &root, resp))
        return;
    if (sn_jv_typeof(root) != SN_JV_OBJECT) {
        sn_service_error(resp, 422, "invalid_event",
                         "the body must be one event: a JSON object with the fields of the "
                         "reference CSV (user_id, timestamp, source_ip, ...)",
                         NULL);
        sn_body_done(req);
        return;
    }
    sn_req_events evs;
    sn_verdict v;
    char now[32];
    sn_error err;
    sn_now_iso(now);
    if (sn_req_events_from_value(&evs, root, s->cfg.max_future_seconds) != SN_OK) {
        internal_error(resp, "out of memory");
    } else if (evs.refused[0]) {
        atomic_fetch_add_explicit(&s->refused, 1, memory_order_relaxed);
        event_refused(resp, &evs.refused[0]->err);
    } else if (sn_service_analyse(s, &evs, &v, now, &err) != SN_OK) {
        internal_error(resp, err.msg);
    } else {
        sn_service_audit_verdicts(s, req, &evs, &v);
        sn_buf b;
        sn_buf_init(&b);
        sn_json_verdict(&b, &evs.ev[0], &v, now);
        sn_json_respond(resp, 200, &b);
    }
    sn_req_events_free(&evs);
    sn_body_done(req);
}

/* The answer to a batch: the counts, then each event's verdict or why it was refused. */
static void batch_answer(const sn_req_events *evs, const sn_verdict *verdicts, const char *now,
                         sn_http_response *resp)
{
    size_t n = evs->n, anomalies = 0;
    for (size_t i = 0; i < n; i++)
        anomalies += !evs->refused[i] && verdicts[i].is_anomaly;
    sn_buf b;
    sn_buf_init(&b);
    sn_buf_reserve(&b, n * 512); /* about a verdict's size: no copying while it grows */
    sn_buf_puts(&b, "{\"total_events\":");
    sn_buf_u64(&b, n);
    sn_buf_puts(&b, ",\"analysed_events\":");
    sn_buf_u64(&b, evs->good);
    sn_buf_puts(&b, ",\"failed_events\":");
    sn_buf_u64(&b, n - evs->good);
    sn_buf_puts(&b, ",\"anomalies_detected\":");
    sn_buf_u64(&b, anomalies);
    sn_buf_puts(&b, ",\"anomaly_ratio\":");
    sn_buf_fixed(&b, evs->good ? (double)anomalies / (double)evs->good : 0.0, 4);
    sn_buf_puts(&b, ",\"results\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            sn_buf_putc(&b, ',');
        const sn_req_refusal *r = evs->refused[i];
        if (!r) {
            sn_json_verdict(&b, &evs->ev[i], &verdicts[i], now);
            continue;
        }
        sn_buf_puts(&b, "{\"index\":");
        sn_buf_u64(&b, i);
        if (r->event_id.p) {
            sn_buf_puts(&b, ",\"event_id\":");
            sn_buf_json_str(&b, r->event_id.p, r->event_id.n);
        }
        sn_buf_puts(&b, ",\"error\":");
        sn_json_error_object(&b, sn_json_event_error_code(&r->err), r->err.msg, r->err.field);
        sn_buf_putc(&b, '}');
    }
    sn_buf_puts(&b, "]}");
    sn_json_respond(resp, 200, &b);
}

static void h_analyze_batch(sn_service *s, const sn_http_request *req, const sn_caller *caller,
                            sn_http_response *resp)
{
    (void)caller;
    sn_jv root;
    if (!sn_body_parse(req, &root, resp))
        return;
    sn_jv events = sn_jv_member(root, "events", 6, false);
    size_t n = sn_jv_size(events);
    sn_req_events evs = {0};
    sn_verdict *verdicts = NULL;
    sn_error err;
    char now[32];
    if (sn_jv_typeof(events) != SN_JV_ARRAY || n == 0) {
        sn_service_error(resp, 422,
                         sn_jv_typeof(events) == SN_JV_NONE ? "missing_field" : "invalid_field",
                         "expected {\"events\": [...]} with at least one event", "events");
        goto done;
    }
    if (n > (size_t)s->cfg.batch_limit) {
        char msg[128];
        snprintf(msg, sizeof(msg), "%zu events; a batch holds at most %d", n, s->cfg.batch_limit);
        sn_service_error(resp, 413, "too_many_events", msg, "events");
        goto done;
    }
    sn_now_iso(now);
    verdicts = malloc(n * sizeof(*verdicts));
    if (!verdicts || sn_req_events_from_array(&evs, events, s->cfg.max_future_seconds) != SN_OK) {
        internal_error(resp, "out of memory");
        goto done;
    }
    atomic_fetch_add_explicit(&s->refused, n - evs.good, memory_order_relaxed);
    if (evs.good && sn_service_analyse(s, &evs, verdicts, now, &err) != SN_OK) {
        internal_error(resp, err.msg);
        goto done;
    }
    sn_service_audit_verdicts(s, req, &evs, verdicts);
    batch_answer(&evs, verdicts, now, resp);
done:
    sn_req_events_free(&evs);
    free(verdicts);
    sn_body_done(req);
}

static void h_user_risk(sn_service *s, const sn_http_request *req, const sn_caller *caller,
                        sn_http_response *resp)
{
    const char *user = req->path + strlen("/api/v1/user/");
    size_t n = strlen(user) - strlen("/risk-score");
    if (n > SN_MAX_FIELD || sn_utf8_valid_prefix(user, n) != n) {
        sn_service_error(resp, 422, "invalid_field",
                         "user_id must be valid UTF-8 of at most 4096 bytes", "user_id");
        return;
    }
    sn_user_risk r;
    bool found = sn_service_user_risk(s, user, n, &r);
    /* A caller limited to some departments learns nothing of users outside them, not even
     * whether they exist. */
    if (found ? !sn_scope_covers(&caller->who, r.department)
              : !sn_scope_covers(&caller->who, NULL)) {
        sn_service_error(resp, 403, "out_of_scope",
                         "this user is outside the departments the caller may read", "user_id");
        return;
    }
    if (!found) {
        sn_service_error(resp, 404, "user_not_found",
                         "no events of this user were analysed since the server started",
                         "user_id");
        return;
    }
    char from[32], to[32];
    sn_format_timestamp(r.window_start_us, from);
    sn_format_timestamp(r.latest_us, to);
    sn_buf b;
    sn_buf_init(&b);
    sn_buf_puts(&b, "{\"user_id\":");
    sn_buf_json_str(&b, user, n);
    sn_buf_puts(&b, ",\"risk_score\":");
    sn_buf_fixed(&b, r.risk_score, 2);
    sn_buf_puts(&b, ",\"risk_level\":\"");
    sn_buf_puts(&b, sn_level_name(r.level));
    sn_buf_puts(&b, "\",\"factor_scores\":{");
    for (int f = 0; f < SN_UF_COUNT; f++) {
        if (f)
            sn_buf_putc(&b, ',');
        sn_buf_printf(&b, "\"%s\":", sn_user_factor_name((sn_user_factor)f));
        sn_buf_fixed(&b, r.factor[f], 2);
    }
    sn_buf_puts(&b, "},\"factor_weights\":{");
    for (int f = 0; f < SN_UF_COUNT; f++) {
        if (f)
            sn_buf_putc(&b, ',');
        sn_buf_printf(&b, "\"%s\":", sn_user_factor_name((sn_user_factor)f));
        sn_buf_fixed(&b, sn_user_factor_weight((sn_user_factor)f), 2);
    }
    sn_buf_puts(&b, "},\"recommendations\":[");
    for (int i = 0; i < r.n_recommendations; i++) {
        if (i)
            sn_buf_putc(&b, ',');
        sn_buf_json_str(&b, r.recommendations[i], strlen(r.recommendations[i]));
    }
    sn_buf_puts(&b, "],\"window\":{\"from\":\"");
    sn_buf_puts(&b, from);
    sn_buf_puts(&b, "\",\"to\":\"");
    sn_buf_puts(&b, to);
    sn_buf_puts(&b, "\",\"days\":");
    sn_buf_fixed(&b, s->cfg.user_window_days, 3);
    sn_buf_puts(&b, "},\"events\":");
    sn_buf_u64(&b, r.events);
    sn_buf_puts(&b, ",\"anomalies\":");
    sn_buf_u64(&b, r.anomalies);
    sn_buf_puts(&b, ",\"sensitive_accesses\":");
    sn_buf_u64(&b, r.sensitive);
    sn_buf_puts(&b, ",\"high_risk_actions\":");
    sn_buf_u64(&b, r.risky_actions);
    sn_buf_puts(&b, ",\"failures\":");
    sn_buf_u64(&b, r.failures);
    sn_buf_puts(&b, ",\"policy_violations\":");
    sn_buf_u64(&b, r.violations);
    sn_buf_puts(&b, ",\"mean_anomaly_score\":");
    sn_buf_fixed(&b, r.mean_anomaly_score, 3);
    sn_buf_puts(&b, ",\"department\":");
    if (r.department[0])
        sn_buf_json_str(&b, r.department, strlen(r.department));
    else
        sn_buf_puts(&b, "null");
    sn_buf_puts(&b, ",\"peers\":");
    sn_buf_u64(&b, r.peers);
    sn_buf_puts(&b, ",\"peer_mean_anomaly_score\":");
    sn_buf_fixed(&b, r.peer_mean_anomaly_score, 3);
    sn_buf_putc(&b, '}');
    sn_json_respond(resp, 200, &b);
}

static const char *arg_value(const sn_http_request *req, const char *name, bool *present)
{
    *present = false;
    const char *v = NULL;
    for (size_t i = 0; i < req->n_args; i++)
        if (req->args[i].name && !strcmp(req->args[i].name, name)) {
            *present = true;
            v = req->args[i].value;
        }
    return v;
}

/* An optional integer query argument in [lo, hi]: *out is left as it is when the argument is
 * absent; false (with the 422 answer in resp) when it is there but not such an integer. */
static bool query_int(const sn_http_request *req, const char *name, long lo, long hi, long *out,
                      sn_http_response *resp)
{
    bool present;
    const char *v = arg_value(req, name, &present);
    if (!present)
        return true;
    char *end = NULL;
    errno = 0;
    long n = v && isdigit((unsigned char)v[0]) ? strtol(v, &end, 10) : -1;
    if (errno || !end || *end || n < lo || n > hi) {
        char msg[128];
        snprintf(msg, sizeof(msg), "%s must be an integer from %ld to %ld", name, lo, hi);
        sn_service_error(resp, 422, "invalid_field", msg, name);
        return false;
    }
    *out = n;
    return true;
}

static void h_model_metrics(sn_service *s, const sn_http_request *req, const sn_caller *caller,
                            sn_http_response *resp)
{
    (void)caller;
    (void)req;
    sn_buf b;
    sn_buf_init(&b);
    sn_service_model_metrics(s, &b);
    sn_json_respond(resp, 200, &b);
}

/* Roles from the users' resource use in the baselines (the model's history and every event
 * analysed since); ?n_clusters=K asks for K roles, else K is chosen by the silhouette. The body,
 * if any, is not read. */
static void h_roles_discover(sn_service *s, const sn_http_request *req, const sn_caller *caller,
                             sn_http_response *resp)
{
    (void)caller;
    long k = 0;
    if (!query_int(req, "n_clusters", 2, 1000, &k, resp))
        return;
    sn_buf b;
    sn_buf_init(&b);
    sn_error err;
    sn_status st = sn_service_discover_roles(s, (int)k, &b, &err);
    if (st == SN_ERR_USAGE) {
        sn_buf_free(&b);
        sn_service_error(resp, 422, "invalid_field", err.msg, "n_clusters");
        return;
    }
    if (st != SN_OK) {
        sn_buf_free(&b);
        internal_error(resp, "out of memory");
        return;
    }
    sn_json_respond(resp, 200, &b);
}

/* One column of the request: a non-empty string (or an integer, as ids often are) under the
 * column's field name (user_id, department, job_title, manager, resource, action) or its own
 * name. Returns false with resp filled when it is missing or unusable. */
static bool request_value(const sn_predictor *pr, int c, json_t *root, char *num, size_t numcap,
                          const char **val, size_t *len, sn_http_response *resp)
{
    const char *name = sn_predictor_column(pr, c);
    const char *field = sn_pcol_field(sn_predictor_column_role(pr, c));
    const char *key = field ? field : name;
    json_t *v = field ? json_object_get(root, field) : NULL;
    if (!v) {
        v = json_object_get(root, name);
        if (v)
            key = name;
    }
    char msg[160];
    if (!v || json_is_null(v)) {
        snprintf(msg, sizeof(msg), "the request needs %s", key);
        sn_service_error(resp, 422, "missing_field", msg, key);
        return false;
    }
    if (json_is_integer(v)) {
        snprintf(num, numcap, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        *val = num;
        *len = strlen(num);
        return true;
    }
    if (!json_is_string(v)) {
        snprintf(msg, sizeof(msg), "%s must be a string", key);
        sn_service_error(resp, 422, "invalid_field", msg, key);
        return false;
    }
    *val = json_string_value(v);
    *len = json_string_length(v);
    const char *why = NULL;
    if (*len == 0)
        why = "must not be empty";
    else if (*len > SN_PREDICT_MAX_VALUE)
        why = "is longer than 1024 bytes";
    else if (memchr(*val, '\0', *len))
        why = "must not hold a NUL character";
    if (why) {
        snprintf(msg, sizeof(msg), "%s %s", key, why);
        sn_service_error(resp, 422, "invalid_field", msg, key);
        return false;
    }
    return true;
}

static void h_predict_access(sn_service *s, const sn_http_request *req, const sn_caller *caller,
                             sn_http_response *resp)
{
    (void)caller;
    const sn_predictor *pr = s->predictor;
    if (!pr) {
        sn_service_error(resp, 503, "predictor_not_loaded",
                         "no access predictor is configured (the server's predictor option)", NULL);
        return;
    }
    json_t *root = parse_body(req, resp);
    if (!root)
        return;
    if (!json_is_object(root)) {
        sn_service_error(resp, 422, "invalid_request",
                         "the body must be a JSON object: user_id, department, job_title, "
                         "resource, action",
                         NULL);
        json_decref(root);
        return;
    }
    const char *vals[SN_PREDICT_MAX_COLUMNS];
    size_t lens[SN_PREDICT_MAX_COLUMNS];
    char nums[SN_PREDICT_MAX_COLUMNS][32];
    int nc = sn_predictor_columns(pr);
    for (int c = 0; c < nc; c++)
        if (!request_value(pr, c, root, nums[c], sizeof(nums[c]), &vals[c], &lens[c], resp)) {
            json_decref(root);
            return;
        }
    sn_prediction p;
    sn_predictor_ask(pr, vals, lens, &p);
    json_decref(root);
    sn_buf b;
    sn_buf_init(&b);
    sn_prediction_json(&p, &b);
    sn_json_respond(resp, 200, &b);
}

static void h_metrics(sn_service *s, const sn_http_request *req, const sn_caller *caller,
                      sn_http_response *resp)
{
    (void)caller;
    (void)req;
    sn_buf b;
    sn_buf_init(&b);
    sn_service_metrics_text(s, &b);
    sn_json_respond(resp, 200, &b);
    if (resp->status == 200)
        resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

static void h_openapi(sn_service *s, const sn_http_request *req, const sn_caller *caller,
                      sn_http_response *resp)
{
    (void)caller;
    (void)s;
    (void)req;
    size_t n;
    const char *doc = sn_openapi_document(&n);
    sn_buf b;
    sn_buf_init(&b);
    sn_buf_append(&b, doc, n);
    sn_json_respond(resp, 200, &b);
}

/* ---- A person's records ---- */

/* The user id between "/api/v1/user/" and suffix, checked; NULL after answering 422. */
static char *path_user(const sn_http_request *req, const char *suffix, sn_http_response *resp)
{
    const char *user = req->path + strlen("/api/v1/user/");
    size_t n = strlen(user) - strlen(suffix);
    if (n == 0 || n > SN_MAX_FIELD || sn_utf8_valid_prefix(user, n) != n || memchr(user, '\0', n)) {
        sn_service_error(resp, 422, "invalid_field",
                         "user_id must be valid UTF-8 of 1 to 4096 bytes", "user_id");
        return NULL;
    }
    char *copy = malloc(n + 1);
    if (!copy) {
        internal_error(resp, "out of memory");
        return NULL;
    }
    memcpy(copy, user, n);
    copy[n] = '\0';
    return copy;
}

static void store_failed(sn_service *s, sn_http_response *resp, const sn_error *err)
{
    if (!s->store) {
        sn_service_error(resp, 501, "no_store",
                         "the server keeps no store: start it with the db option", NULL);
        return;
    }
    sn_log_msg(s->log, SN_LOG_ERROR, "store operation failed", err->msg);
    internal_error(resp, "the store failed; see the server log");
}

static void h_user_export(sn_service *s, const sn_http_request *req, const sn_caller *caller,
                          sn_http_response *resp)
{
    (void)caller; /* admin only (route table) */
    char *user = path_user(req, "/export", resp);
    if (!user)
        return;
    sn_buf b;
    sn_buf_init(&b);
    sn_error err;
    if (sn_service_export_user(s, user, &b, &err) != SN_OK) {
        sn_buf_free(&b);
        store_failed(s, resp, &err);
    } else {
        sn_json_respond(resp, 200, &b);
    }
    free(user);
}

static void h_user_forget(sn_service *s, const sn_http_request *req, const sn_caller *caller,
                          sn_http_response *resp)
{
    char *user = path_user(req, "", resp);
    if (!user)
        return;
    sn_store_counts c;
    sn_error err;
    if (sn_service_forget_user(s, user, &c, &err) != SN_OK) {
        store_failed(s, resp, &err);
    } else {
        sn_buf b;
        sn_buf_init(&b);
        sn_buf_puts(&b, "{\"user_id\":");
        sn_buf_json_str(&b, user, strlen(user));
        sn_buf_printf(&b,
                      ",\"deleted\":{\"events\":%lld,\"verdicts\":%lld,\"alerts\":%lld},"
                      "\"baselines_rebuilt\":%lld}",
                      (long long)c.events, (long long)c.verdicts, (long long)c.alerts,
                      (long long)c.baselines);
        sn_json_respond(resp, 200, &b);
        /* Audited without the person: who asked, and how much was erased. */
        sn_audit_field f[] = {
            SN_AUDIT_I("events_deleted", c.events), SN_AUDIT_I("verdicts_deleted", c.verdicts),
            SN_AUDIT_I("alerts_deleted", c.alerts), SN_AUDIT_I("baselines_rebuilt", c.baselines)};
        sn_audit_rec rec = {"erasure", caller->who.id[0] ? caller->who.id : "anonymous",
                            req->source, f, 4};
        sn_error aerr;
        if (sn_audit_record(sn_service_audit(s), &rec, &aerr) != SN_OK)
            sn_log_msg(s->log, SN_LOG_ERROR, "cannot write the audit log", aerr.msg);
        sn_log_line line;
        sn_log_begin(&line, SN_LOG_INFO, "user records erased");
        sn_log_int(&line, "events_deleted", (long long)c.events);
        sn_log_end(s->log, &line);
    }
    free(user);
}
