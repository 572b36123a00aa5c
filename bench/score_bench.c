/* Scoring alone: loads a model, reads events into memory first, then times the engine's
 * judge-explain-update step per event (no parsing, no output). Prints ns/event and events/s.
 * usage: score_bench MODEL EVENTS.csv [MAX_EVENTS] */
#include "ingest/ingest.h"
#include "risk/risk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *arena;
static size_t arena_len, arena_cap;

static sn_str keep(sn_str s)
{
    if (arena_len + s.n > arena_cap) {
        fprintf(stderr, "score_bench: arena full\n");
        exit(1);
    }
    memcpy(arena + arena_len, s.p, s.n);
    sn_str out = {arena + arena_len, s.n};
    arena_len += s.n;
    return out;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: score_bench MODEL EVENTS.csv [MAX_EVENTS]\n");
        return 2;
    }
    size_t max = argc > 3 ? (size_t)atol(argv[3]) : 2000000;
    sn_error err;
    sn_engine *e;
    if (sn_engine_load(&e, argv[1], &err) != SN_OK) {
        fprintf(stderr, "score_bench: %s: %s\n", argv[1], err.msg);
        return 1;
    }
    sn_event *events = malloc(max * sizeof(sn_event));
    arena_cap = max * 160;
    arena = malloc(arena_cap);
    if (!events || !arena) {
        fprintf(stderr, "score_bench: no memory for %zu events\n", max);
        free(events);
        free(arena);
        return 1;
    }
    sn_reader *r;
    if (sn_reader_open(&r, argv[2], SN_FORMAT_AUTO, &err) != SN_OK) {
        fprintf(stderr, "score_bench: %s: %s\n", argv[2], err.msg);
        free(events);
        free(arena);
        return 1;
    }
    size_t n = 0;
    sn_event ev;
    while (n < max && sn_reader_next(r, &ev, &err) == SN_OK) {
        sn_event c = ev;
        c.event_id = keep(ev.event_id);
        c.user_id = keep(ev.user_id);
        c.department = keep(ev.department);
        c.job_title = keep(ev.job_title);
        c.resource = keep(ev.resource);
        c.action = keep(ev.action);
        c.location = keep(ev.location);
        c.username = c.country = c.user_agent = c.session_id = c.anomaly_type = (sn_str){0};
        c.raw_timestamp = c.raw_ip = (sn_str){0};
        events[n++] = c;
    }
    sn_reader_close(r);
    size_t anomalies = 0;
    static sn_verdict v[SN_ANALYSE_BLOCK];
    double t0 = now();
    for (size_t i = 0; i < n; i += SN_ANALYSE_BLOCK) {
        size_t m = n - i < SN_ANALYSE_BLOCK ? n - i : SN_ANALYSE_BLOCK;
        sn_engine_analyse_many(e, &events[i], m, v, &err);
        for (size_t k = 0; k < m; k++)
            anomalies += v[k].is_anomaly;
    }
    double secs = now() - t0;
    printf("score_bench: %zu events, %zu anomalies, %.3f s, %.0f ns/event, %.0f events/s "
           "(judge + Isolation Forest + explain + update; no parsing, no output)\n",
           n, anomalies, secs, secs * 1e9 / (double)n, (double)n / secs);
    sn_engine_free(e);
    free(events);
    free(arena);
    return 0;
}
