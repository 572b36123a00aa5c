/* The REST API's routes (product spec section 4; the reference system's paths and field names):
 * matching, the checks every request passes, and one handler per endpoint. */
#include "server_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef void (*handler_fn)(sn_service *s, const sn_http_request *req, sn_http_response *resp);

typedef struct route {
    const char *name;   /* the path as the OpenAPI document and the metrics write it */
    const char *path;   /* the whole path, or its beginning when suffix is set */
    const char *suffix; /* routes with a parameter: path PARAM suffix */
    const char *method; /* GET (HEAD too) or POST */
    bool json_body;
    bool heavy;       /* answered off the HTTP thread (sn_service_is_heavy) */
    bool needs_model; /* 503 while no model is loaded */
    handler_fn fn;
} route;

static void h_health(sn_service *s, const sn_http_request *req, sn_http_response *resp);
static void h_analyze_access(sn_service *s, const sn_http_request *req, sn_http_response *resp);
static void h_analyze_batch(sn_service *s, const sn_http_request *req, sn_http_response *resp);
static void h_user_risk(sn_service *s, const sn_http_request *req, sn_http_response *resp);
static void h_anomalies(sn_service *s, const sn_http_request *req, sn_http_response *resp);
static void h_model_metrics(sn_service *s, const sn_http_request *req, sn_http_response *resp);
static void h_roles_discover(sn_service *s, const sn_http_request *req, sn_http_response *resp);
static void h_predict_access(sn_service *s, const sn_http_request *req, sn_http_response *resp);
static void h_metrics(sn_service *s, const sn_http_request *req, sn_http_response *resp);
static void h_openapi(sn_service *s, const sn_http_request *req, sn_http_response *resp);

/* The routing table; the OpenAPI document (openapi.c) describes exactly these routes, which
 * tests/server/test_openapi.c checks. /health, /metrics and /openapi.json never take the engine
 * lock. */
static const route routes[] = {
    {"/health", "/health", NULL, "GET", false, false, false, h_health},
    {"/api/v1/analyze/access", "/api/v1/analyze/access", NULL, "POST", true, false, true,
     h_analyze_access},
    {"/api/v1/analyze/batch", "/api/v1/analyze/batch", NULL, "POST", true, true, true,
     h_analyze_batch},
    {"/api/v1/user/{user_id}/risk-score", "/api/v1/user/", "/risk-score", "GET", false, false,
     false, h_user_risk},
    {"/api/v1/anomalies", "/api/v1/anomalies", NULL, "GET", false, false, false, h_anomalies},
    {"/api/v1/model/metrics", "/api/v1/model/metrics", NULL, "GET", false, false, false,
     h_model_metrics},
    /* Not built yet: it answers 501 before looking at the body. */
    {"/api/v1/roles/discover", "/api/v1/roles/discover", NULL, "POST", false, false, false,
     h_roles_discover},
    /* Needs the access predictor, not the detection model. */
    {"/api/v1/predict/access", "/api/v1/predict/access", NULL, "POST", true, false, false,
     h_predict_access},
    {"/metrics", "/metrics", NULL, "GET", false, false, false, h_metrics},
    {"/openapi.json", "/openapi.json", NULL, "GET", false, false, false, h_openapi},
};

#define N_ROUTES (sizeof(routes) / sizeof(routes[0]))

size_t sn_service_route_index(const char *path)
{
    size_t n = strlen(path);
    for (size_t i = 0; i < N_ROUTES; i++) {
        const route *r = &routes[i];
        if (!r->suffix) {
            if (!strcmp(path, r->path))
                return i;
            continue;
        }
        size_t p = strlen(r->path), q = strlen(r->suffix);
        if (n > p + q && !strncmp(path, r->path, p) && !strcmp(path + n - q, r->suffix))
            return i;
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

bool sn_service_precheck(sn_service *s, const sn_http_request *req, long long content_length,
                         sn_http_response *resp)
{
    memset(resp, 0, sizeof(*resp));
    const route *r = find_route(req->path);
    if (!r) {
        sn_service_error(resp, 404, "not_found", "no endpoint at this path", NULL);
        return false;
    }
    bool get = !strcmp(r->method, "GET");
    if (strcmp(req->method, r->method) != 0 && !(get && !strcmp(req->method, "HEAD"))) {
        sn_service_error(resp, 405, "method_not_allowed",
                         get ? "this endpoint answers GET" : "this endpoint answers POST", NULL);
        resp->allow = get ? "GET, HEAD" : "POST";
        return false;
    }
    if (r->json_body && !is_json_type(req->content_type)) {
        sn_service_error(resp, 415, "unsupported_media_type",
                         "send the body as JSON with Content-Type: application/json", NULL);
        return false;
    }
    if (content_length >= 0 && (unsigned long long)content_length > s->cfg.body_limit) {
        char msg[128];
        snprintf(msg, sizeof(msg), "the body is larger than the %zu-byte limit", s->cfg.body_limit);
        sn_service_error(resp, 413, "body_too_large", msg, NULL);
        return false;
    }
    return true;
}

void sn_service_handle(sn_service *s, const sn_http_request *req, sn_http_response *resp)
{
    if (!sn_service_precheck(s, req, (long long)req->body_len, resp))
        return;
    const route *r = find_route(req->path);
    if (r->needs_model && !s->models_loaded) {
        sn_service_error(resp, 503, "model_not_ready", "no model is loaded yet", NULL);
        resp->retry_after = 1;
        return;
    }
    r->fn(s, req, resp);
}

/* ---- Endpoints -------------------------------------------------------------------------- */

static void h_health(sn_service *s, const sn_http_request *req, sn_http_response *resp)
{
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

static void h_analyze_access(sn_service *s, const sn_http_request *req, sn_http_response *resp)
{
    json_t *root = parse_body(req, resp);
    if (!root)
        return;
    if (!json_is_object(root)) {
        sn_service_error(resp, 422, "invalid_event",
                         "the body must be one event: a JSON object with the fields of the "
                         "reference CSV (user_id, timestamp, source_ip, ...)",
                         NULL);
        json_decref(root);
        return;
    }
    sn_req_events evs;
    sn_verdict v;
    char now[32];
    sn_error err;
    sn_now_iso(now);
    if (sn_req_events_from_json(&evs, &root, 1) != SN_OK) {
        internal_error(resp, "out of memory");
    } else if (evs.items[0].err) {
        atomic_fetch_add_explicit(&s->refused, 1, memory_order_relaxed);
        event_refused(resp, evs.items[0].err);
    } else if (sn_service_analyse(s, &evs, &v, now, &err) != SN_OK) {
        internal_error(resp, err.msg);
    } else {
        sn_buf b;
        sn_buf_init(&b);
        sn_json_verdict(&b, &evs.items[0].ev, &v, now);
        sn_json_respond(resp, 200, &b);
    }
    sn_req_events_free(&evs);
    json_decref(root);
}

static void h_analyze_batch(sn_service *s, const sn_http_request *req, sn_http_response *resp)
{
    json_t *root = parse_body(req, resp);
    if (!root)
        return;
    json_t *events = json_is_object(root) ? json_object_get(root, "events") : NULL;
    size_t n = json_array_size(events);
    if (!json_is_array(events) || n == 0) {
        sn_service_error(resp, 422, json_is_array(events) ? "invalid_field" : "missing_field",
                         "expected {\"events\": [...]} with at least one event", "events");
        json_decref(root);
        return;
    }
    if (n > (size_t)s->cfg.batch_limit) {
        char msg[128];
        snprintf(msg, sizeof(msg), "%zu events; a batch holds at most %d", n, s->cfg.batch_limit);
        sn_service_error(resp, 413, "too_many_events", msg, "events");
        json_decref(root);
        return;
    }
    json_t **values = malloc(n * sizeof(*values));
    sn_verdict *verdicts = malloc(n * sizeof(*verdicts));
    sn_req_events evs = {0};
    sn_error err;
    char now[32];
    sn_now_iso(now);
    if (!values || !verdicts) {
        internal_error(resp, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        values[i] = json_array_get(events, i);
    if (sn_req_events_from_json(&evs, values, n) != SN_OK) {
        internal_error(resp, "out of memory");
        goto done;
    }
    atomic_fetch_add_explicit(&s->refused, n - evs.good, memory_order_relaxed);
    if (evs.good && sn_service_analyse(s, &evs, verdicts, now, &err) != SN_OK) {
        internal_error(resp, err.msg);
        goto done;
    }
    size_t anomalies = 0;
    for (size_t i = 0; i < n; i++)
        anomalies += !evs.items[i].err && verdicts[i].is_anomaly;
    sn_buf b;
    sn_buf_init(&b);
    sn_buf_reserve(&b, n * 512); /* about a verdict's size: no copying while it grows */
    sn_buf_puts(&b, "{\"total_events\":");
    sn_buf_u64(&b, n);
    sn_buf_puts(&b, ",\"analysed_events\":");
    sn_buf_u64(&b, evs.good);
    sn_buf_puts(&b, ",\"failed_events\":");
    sn_buf_u64(&b, n - evs.good);
    sn_buf_puts(&b, ",\"anomalies_detected\":");
    sn_buf_u64(&b, anomalies);
    sn_buf_puts(&b, ",\"anomaly_ratio\":");
    sn_buf_fixed(&b, evs.good ? (double)anomalies / (double)evs.good : 0.0, 4);
    sn_buf_puts(&b, ",\"results\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            sn_buf_putc(&b, ',');
        const sn_req_event *it = &evs.items[i];
        if (!it->err) {
            sn_json_verdict(&b, &it->ev, &verdicts[i], now);
            continue;
        }
        sn_buf_puts(&b, "{\"index\":");
        sn_buf_u64(&b, i);
        json_t *id = json_is_object(values[i]) ? json_object_get(values[i], "event_id") : NULL;
        if (json_is_string(id)) {
            sn_buf_puts(&b, ",\"event_id\":");
            sn_buf_json_str(&b, json_string_value(id), json_string_length(id));
        }
        sn_buf_puts(&b, ",\"error\":");
        sn_json_error_object(&b, sn_json_event_error_code(it->err), it->err->msg, it->err->field);
        sn_buf_putc(&b, '}');
    }
    sn_buf_puts(&b, "]}");
    sn_json_respond(resp, 200, &b);
done:
    sn_req_events_free(&evs);
    free(values);
    free(verdicts);
    json_decref(root);
}

static void h_user_risk(sn_service *s, const sn_http_request *req, sn_http_response *resp)
{
    const char *user = req->path + strlen("/api/v1/user/");
    size_t n = strlen(user) - strlen("/risk-score");
    if (n > SN_MAX_FIELD || sn_utf8_valid_prefix(user, n) != n) {
        sn_service_error(resp, 422, "invalid_field",
                         "user_id must be valid UTF-8 of at most 4096 bytes", "user_id");
        return;
    }
    sn_user_risk r;
    if (!sn_service_user_risk(s, user, n, &r)) {
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

static void h_anomalies(sn_service *s, const sn_http_request *req, sn_http_response *resp)
{
    bool present;
    const char *v = arg_value(req, "limit", &present);
    long limit = 100;
    if (present) {
        char *end = NULL;
        errno = 0;
        limit = v && isdigit((unsigned char)v[0]) ? strtol(v, &end, 10) : -1;
        if (errno || !end || *end || limit < 1 || limit > 1000) {
            sn_service_error(resp, 422, "invalid_field", "limit must be an integer from 1 to 1000",
                             "limit");
            return;
        }
    }
    sn_buf list;
    sn_buf_init(&list);
    size_t count = sn_service_anomalies(s, (size_t)limit, &list);
    sn_buf b;
    sn_buf_init(&b);
    sn_buf_puts(&b, "{\"count\":");
    sn_buf_u64(&b, count);
    sn_buf_puts(&b, ",\"limit\":");
    sn_buf_u64(&b, (uint64_t)limit);
    sn_buf_puts(&b, ",\"anomalies\":");
    sn_buf_append(&b, list.data, list.len);
    sn_buf_putc(&b, '}');
    if (list.failed)
        b.failed = 1;
    sn_buf_free(&list);
    sn_json_respond(resp, 200, &b);
}

static void h_model_metrics(sn_service *s, const sn_http_request *req, sn_http_response *resp)
{
    (void)req;
    sn_buf b;
    sn_buf_init(&b);
    sn_service_model_metrics(s, &b);
    sn_json_respond(resp, 200, &b);
}

static void h_roles_discover(sn_service *s, const sn_http_request *req, sn_http_response *resp)
{
    (void)s;
    (void)req;
    sn_service_error(resp, 501, "not_implemented", "role discovery is not available yet", NULL);
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

static void h_predict_access(sn_service *s, const sn_http_request *req, sn_http_response *resp)
{
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

static void h_metrics(sn_service *s, const sn_http_request *req, sn_http_response *resp)
{
    (void)req;
    sn_buf b;
    sn_buf_init(&b);
    sn_service_metrics_text(s, &b);
    sn_json_respond(resp, 200, &b);
    if (resp->status == 200)
        resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

static void h_openapi(sn_service *s, const sn_http_request *req, sn_http_response *resp)
{
    (void)s;
    (void)req;
    size_t n;
    const char *doc = sn_openapi_document(&n);
    sn_buf b;
    sn_buf_init(&b);
    sn_buf_append(&b, doc, n);
    sn_json_respond(resp, 200, &b);
}
