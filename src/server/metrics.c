/* GET /metrics: counters and gauges kept as atomics by every request (no lock taken, here or
 * there), written in the Prometheus text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/). */
#include "server_internal.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

static const uint64_t bucket_us[SN_LATENCY_BUCKETS] = {
    100,   250,    500,    1000,   2500,    5000,    10000,   25000,
    50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000};

#define RELAXED memory_order_relaxed

void sn_service_observe(sn_service *s, const char *path, int status, int64_t duration_us)
{
    sn_route_metrics *m = &s->routes[sn_service_route_index(path)];
    if (status >= 100 && status <= 599)
        atomic_fetch_add_explicit(&m->by_status[status - 100], 1, RELAXED);
    uint64_t us = duration_us > 0 ? (uint64_t)duration_us : 0;
    size_t b = 0;
    while (b < SN_LATENCY_BUCKETS && us > bucket_us[b])
        b++;
    atomic_fetch_add_explicit(&m->latency[b], 1, RELAXED);
    atomic_fetch_add_explicit(&m->latency_sum_us, us, RELAXED);
}

void sn_service_gauge_connections(sn_service *s, int delta)
{
    atomic_fetch_add_explicit(&s->connections, delta, RELAXED);
}

void sn_service_gauge_in_flight(sn_service *s, int delta)
{
    atomic_fetch_add_explicit(&s->in_flight, delta, RELAXED);
}

void sn_service_gauge_queued(sn_service *s, int delta)
{
    atomic_fetch_add_explicit(&s->queued, delta, RELAXED);
}

static void head(sn_buf *out, const char *name, const char *type, const char *help)
{
    sn_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void counter(sn_buf *out, const char *name, const char *help, uint64_t v)
{
    head(out, name, "counter", help);
    sn_buf_printf(out, "%s %" PRIu64 "\n", name, v);
}

static void gauge(sn_buf *out, const char *name, const char *help, long long v)
{
    head(out, name, "gauge", help);
    sn_buf_printf(out, "%s %lld\n", name, v);
}

/* Seconds from microseconds, exactly (no rounding through a double). */
static void seconds(sn_buf *out, uint64_t us)
{
    sn_buf_printf(out, "%" PRIu64 ".%06" PRIu64, us / 1000000, us % 1000000);
}

void sn_service_metrics_text(sn_service *s, sn_buf *out)
{
    size_t n_routes = sn_service_routes(NULL, 0);
    head(out, "sentinel_build_info", "gauge", "The running server's version.");
    sn_buf_puts(out, "sentinel_build_info{version=\"" SENTINEL_VERSION "\"} 1\n");
    /* Every label value here is the server's own text: nothing to escape. */
    head(out, "sentinel_model_info", "gauge",
         "The model being served: when it was trained, the SHA-256 of its training data.");
    sn_buf_printf(out,
                  "sentinel_model_info{trained_at=\"%s\",training_data_sha256=\"%s\","
                  "events_learned=\"%" PRIu64 "\",models_loaded=\"%s\"} 1\n",
                  s->trained_at, s->data_hash, s->learned, s->models_loaded ? "true" : "false");
    head(out, "sentinel_alert_threshold", "gauge",
         "Risk score (0-100) at which a verdict is an anomaly.");
    sn_buf_puts(out, "sentinel_alert_threshold ");
    sn_buf_fixed(out, s->threshold, 2);
    sn_buf_putc(out, '\n');
    head(out, "sentinel_start_time_seconds", "gauge", "When the server started (Unix time).");
    sn_buf_puts(out, "sentinel_start_time_seconds ");
    seconds(out, (uint64_t)s->started_us);
    sn_buf_putc(out, '\n');

    counter(out, "sentinel_events_analysed_total", "Events judged since the server started.",
            atomic_load_explicit(&s->analysed, RELAXED));
    counter(out, "sentinel_anomalies_detected_total",
            "Events judged anomalous since the server started.",
            atomic_load_explicit(&s->anomalies, RELAXED));
    counter(out, "sentinel_events_refused_total",
            "Events refused by validation (in /api/v1/analyze/access or a batch).",
            atomic_load_explicit(&s->refused, RELAXED));

    sn_drift_view drift;
    sn_service_drift(s, &drift);
    head(out, "sentinel_model_drift_psi", "gauge",
         "Population stability index of the live risk scores (the last drift_window events) "
         "against the training ones; NaN while too few events.");
    sn_buf_puts(out, "sentinel_model_drift_psi ");
    if (isnan(drift.psi))
        sn_buf_puts(out, "NaN");
    else
        sn_buf_fixed(out, drift.psi, 6);
    sn_buf_putc(out, '\n');
    gauge(out, "sentinel_model_drift_alert",
          "1 while the drift index is at or above drift_threshold.", drift.alert ? 1 : 0);
    counter(out, "sentinel_model_drift_alerts_total", "Times the drift alert was raised.",
            drift.alerts);

    head(out, "sentinel_http_requests_total", "counter",
         "Requests answered, by route (as the OpenAPI document names it) and status.");
    for (size_t r = 0; r <= n_routes; r++) {
        const char *route = sn_service_route_name(r);
        for (int st = 0; st < 500; st++) {
            uint64_t v = atomic_load_explicit(&s->routes[r].by_status[st], RELAXED);
            if (v)
                sn_buf_printf(
                    out, "sentinel_http_requests_total{route=\"%s\",status=\"%d\"} %" PRIu64 "\n",
                    route, st + 100, v);
        }
    }
    head(out, "sentinel_http_request_duration_seconds", "histogram",
         "Time from a request's headers to its answer, by route.");
    for (size_t r = 0; r <= n_routes; r++) {
        const sn_route_metrics *m = &s->routes[r];
        uint64_t counts[SN_LATENCY_BUCKETS + 1], total = 0;
        for (size_t b = 0; b <= SN_LATENCY_BUCKETS; b++) {
            counts[b] = atomic_load_explicit(&m->latency[b], RELAXED);
            total += counts[b];
        }
        if (!total)
            continue;
        const char *route = sn_service_route_name(r);
        uint64_t cumulative = 0;
        for (size_t b = 0; b <= SN_LATENCY_BUCKETS; b++) {
            cumulative += counts[b];
            sn_buf_printf(out, "sentinel_http_request_duration_seconds_bucket{route=\"%s\",le=\"",
                          route);
            if (b < SN_LATENCY_BUCKETS)
                seconds(out, bucket_us[b]);
            else
                sn_buf_puts(out, "+Inf");
            sn_buf_printf(out, "\"} %" PRIu64 "\n", cumulative);
        }
        sn_buf_printf(out, "sentinel_http_request_duration_seconds_sum{route=\"%s\"} ", route);
        seconds(out, atomic_load_explicit(&m->latency_sum_us, RELAXED));
        sn_buf_printf(out,
                      "\nsentinel_http_request_duration_seconds_count{route=\"%s\"} %" PRIu64 "\n",
                      route, total);
    }
    gauge(out, "sentinel_http_connections", "Open client connections.",
          atomic_load_explicit(&s->connections, RELAXED));
    gauge(out, "sentinel_http_requests_in_flight", "Requests received and not yet answered.",
          atomic_load_explicit(&s->in_flight, RELAXED));
    gauge(out, "sentinel_batches_queued", "Batches waiting for a worker.",
          atomic_load_explicit(&s->queued, RELAXED));
    counter(out, "sentinel_log_lines_dropped_total",
            "Log lines dropped because standard error was not read fast enough.",
            sn_log_dropped(s->log));
    sn_selfwatch_metrics_text(s, out);
    sn_service_audit_metrics_text(s, out);
}
