/* Shared by the reader fuzz targets: reads an input whole and in small pieces, checks every
 * event it returns, and requires both readings to give the same events and errors. */
#ifndef SN_FUZZ_READER_H
#define SN_FUZZ_READER_H

#include "ingest/ingest_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct fz_out {
    char *p;
    size_t n, cap;
} fz_out;

static void fz_put(fz_out *o, const void *s, size_t n)
{
    if (o->n + n > o->cap) {
        size_t cap = (o->cap ? o->cap * 2 : 4096) + n;
        char *p = realloc(o->p, cap);
        if (!p)
            abort();
        o->p = p;
        o->cap = cap;
    }
    memcpy(o->p + o->n, s, n);
    o->n += n;
}

static void fz_str(fz_out *o, sn_str s)
{
    char len[24];
    int k = snprintf(len, sizeof(len), "|%zu:", s.n);
    fz_put(o, len, (size_t)k);
    if (s.n) {
        if (!s.p)
            abort();
        if (s.n > SN_MAX_FIELD || sn_utf8_valid_prefix(s.p, s.n) != s.n || memchr(s.p, 0, s.n))
            abort(); /* every field is valid UTF-8 without NUL, within the size limit */
        fz_put(o, s.p, s.n);
    }
}

static void fz_event(fz_out *o, const sn_event *ev)
{
    char buf[160];
    char ts[32], ip[48];
    if (ev->user_id.n == 0 || ev->raw_timestamp.n == 0)
        abort(); /* required fields */
    for (size_t i = 0; i < ev->action.n; i++)
        if (ev->action.p[i] >= 'A' && ev->action.p[i] <= 'Z')
            abort(); /* actions are lower-cased */
    sn_format_timestamp(ev->ts_us, ts);
    sn_format_ip(&ev->ip, ip);
    int k = snprintf(buf, sizeof(buf), "ok %ld %s %s %d %d %d %d %.17g %.17g", ev->src_line, ts, ip,
                     ev->success, ev->mfa, ev->is_anomaly, ev->has_coords, ev->lat, ev->lon);
    fz_put(o, buf, (size_t)k);
    const sn_str *fields[] = {
        &ev->event_id,   &ev->user_id,      &ev->username,      &ev->department, &ev->job_title,
        &ev->resource,   &ev->action,       &ev->location,      &ev->country,    &ev->user_agent,
        &ev->session_id, &ev->anomaly_type, &ev->raw_timestamp, &ev->raw_ip};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        fz_str(o, *fields[i]);
    fz_put(o, "\n", 1);
}

/* The transcript of reading data with reads of at most read_limit bytes (0: whole). */
static void fz_read(fz_out *o, const char *data, size_t n, sn_format fmt, size_t read_limit)
{
    sn_reader *r;
    sn_error err;
    char msg[1024];
    /* a fixed clock, so that a year inferred for a syslog line is the same in both readings */
    const int64_t now_us = 1781481600000000LL; /* 2026-06-15T00:00:00Z */
    const sn_reader_options opts = {.timezone = "+01:00"};
    if (sn_ingest_open_mem_ex(&r, data, n, "fuzz", fmt, &opts, read_limit, now_us, &err) != SN_OK) {
        if (!err.fatal)
            abort();
        size_t k = sn_error_format(&err, msg, sizeof(msg));
        fz_put(o, "fatal ", 6);
        fz_put(o, msg, k);
        return;
    }
    long calls = 0;
    /* A syslog line can stand for up to SN_REPEAT_MAX events ("message repeated N times") but
     * takes more than 32 bytes to say so. */
    long max_calls = (long)n * (fmt == SN_FORMAT_SYSLOG ? 32 : 1) + 2;
    for (;;) {
        sn_event ev;
        sn_status st = sn_reader_next(r, &ev, &err);
        if (st == SN_EOF)
            break;
        if (++calls > max_calls)
            abort(); /* every call consumes input, or returns a held repeat */
        if (st == SN_OK) {
            fz_event(o, &ev);
            continue;
        }
        size_t k = sn_error_format(&err, msg, sizeof(msg));
        fz_put(o, msg, k);
        fz_put(o, "\n", 1);
        if (err.fatal)
            break;
    }
    const sn_reader_stats *s = sn_reader_get_stats(r);
    if (s->records + s->skipped != calls && !(calls > 0 && s->records + s->skipped == calls - 1))
        abort();
    snprintf(msg, sizeof(msg), "stats %ld %ld %ld %ld\n", s->records, s->skipped, s->lines,
             s->ignored);
    fz_put(o, msg, strlen(msg));
    sn_reader_close(r);
}

/* The first byte picks the piece size; the rest is the input. */
static int fz_run(const uint8_t *data, size_t size, sn_format fmt)
{
    if (size < 1)
        return 0;
    size_t limit = 1 + data[0] % 19;
    const char *in = (const char *)data + 1;
    size_t n = size - 1;
    fz_out whole = {0}, pieces = {0};
    fz_read(&whole, in, n, fmt, 0);
    fz_read(&pieces, in, n, fmt, limit);
    if (whole.n != pieces.n || memcmp(whole.p, pieces.p, whole.n)) {
        fprintf(stderr, "whole:\n%.*s\npieces of %zu:\n%.*s\n", (int)whole.n, whole.p, limit,
                (int)pieces.n, pieces.p);
        abort();
    }
    free(whole.p);
    free(pieces.p);
    return 0;
}

#endif
