/* Shared by the tests of the JSON log readers (CloudTrail, Okta, Entra ID, ECS, OCSF): every
 * event, error and the end of an input as one line of text, so that tests compare whole
 * readings with their exact known answers. */
#ifndef SN_TEST_JSON_TRANSCRIPT_H
#define SN_TEST_JSON_TRANSCRIPT_H

#include "ingest/ingest_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "ok LINE user|time|address|resource|action|success", then the optional fields present:
 * mfa=, loc='', cc=, at=lat,lon, ua='', sid=, id=, name=. */
__attribute__((unused)) static void jt_event(const sn_event *ev, char *out, size_t cap)
{
    char ts[32], ip[48];
    sn_format_timestamp(ev->ts_us, ts);
    sn_format_ip(&ev->ip, ip);
    int k = snprintf(out, cap, "ok %ld %.*s|%s|%s|%.*s|%.*s|%d", ev->src_line, (int)ev->user_id.n,
                     ev->user_id.p, ts, ev->ip.family ? ip : "-", (int)ev->resource.n,
                     ev->resource.p, (int)ev->action.n, ev->action.p, ev->success);
    size_t o = k > 0 ? (size_t)k : 0;
#define JT_PUT(...)                                                                                \
    do {                                                                                           \
        if (o < cap)                                                                               \
            o += (size_t)snprintf(out + o, cap - o, __VA_ARGS__);                                  \
    } while (0)
    if (ev->mfa >= 0)
        JT_PUT(" mfa=%d", ev->mfa);
    if (ev->location.n)
        JT_PUT(" loc='%.*s'", (int)ev->location.n, ev->location.p);
    if (ev->country.n)
        JT_PUT(" cc=%.*s", (int)ev->country.n, ev->country.p);
    if (ev->has_coords)
        JT_PUT(" at=%.4f,%.4f", ev->lat, ev->lon);
    if (ev->user_agent.n)
        JT_PUT(" ua='%.*s'", (int)ev->user_agent.n, ev->user_agent.p);
    if (ev->session_id.n)
        JT_PUT(" sid=%.*s", (int)ev->session_id.n, ev->session_id.p);
    if (ev->event_id.n)
        JT_PUT(" id=%.*s", (int)ev->event_id.n, ev->event_id.p);
    if (ev->username.n)
        JT_PUT(" name='%.*s'", (int)ev->username.n, ev->username.p);
#undef JT_PUT
}

/* Reads data as format fmt (SN_FORMAT_AUTO: must choose want) with reads of at most
 * read_limit bytes (0: whole); one line per call, then "eof N ignored". The result is a static
 * buffer, overwritten by the next call. */
__attribute__((unused)) static char *jt_read(const char *data, size_t n, sn_format fmt,
                                             sn_format want, size_t read_limit)
{
    static char out[1 << 17];
    size_t o = 0;
    sn_reader *r;
    sn_error err;
    char msg[2048];
    if (sn_ingest_open_mem_chunked(&r, data, n, "t.json", fmt, read_limit, &err) != SN_OK) {
        sn_error_format(&err, msg, sizeof(msg));
        snprintf(out, sizeof(out), "fatal %s\n", msg);
        return out;
    }
    if (sn_reader_format(r) != want) {
        snprintf(out, sizeof(out), "format %s, not %s\n", sn_format_name(sn_reader_format(r)),
                 sn_format_name(want));
        sn_reader_close(r);
        return out;
    }
    for (;;) {
        sn_event ev;
        sn_status st = sn_reader_next(r, &ev, &err);
        if (st == SN_EOF) {
            o += (size_t)snprintf(out + o, sizeof(out) - o, "eof %ld ignored\n",
                                  sn_reader_get_stats(r)->ignored);
            break;
        }
        if (st == SN_OK)
            jt_event(&ev, msg, sizeof(msg));
        else
            sn_error_format(&err, msg, sizeof(msg));
        o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s\n",
                              st != SN_OK && err.fatal ? "fatal " : "", msg);
        if (o >= sizeof(out))
            break;
        if (st != SN_OK && err.fatal)
            break;
    }
    sn_reader_close(r);
    return out;
}

__attribute__((unused)) static char *jt(const char *data, sn_format fmt, sn_format want)
{
    return jt_read(data, strlen(data), fmt, want, 0);
}

/* The transcript without the "ok LINE " and "t.json:LINE: " positions, for comparing the same
 * records laid out on other lines. Caller frees. */
__attribute__((unused)) static char *jt_without_lines(const char *t)
{
    size_t n = strlen(t);
    char *o = malloc(n + 1), *w = o;
    if (!o)
        abort();
    while (*t) {
        const char *e = strchr(t, '\n');
        size_t len = e ? (size_t)(e - t) + 1 : strlen(t);
        const char *p = t;
        if (!strncmp(p, "ok ", 3)) {
            p += 3;
            while (*p >= '0' && *p <= '9')
                p++;
            p++;
        } else if (!strncmp(p, "t.json:", 7)) {
            p += 7;
            while (*p >= '0' && *p <= '9')
                p++;
            p += 2;
        }
        memcpy(w, p, len - (size_t)(p - t));
        w += len - (size_t)(p - t);
        t += len;
    }
    *w = '\0';
    return o;
}

/* Reading data whole and with every read size from 1 to 19 bytes gives the same transcript. */
__attribute__((unused)) static void jt_same_in_pieces(const char *data, sn_format fmt,
                                                      sn_format want)
{
    size_t n = strlen(data);
    char *whole = strdup(jt_read(data, n, fmt, want, 0));
    if (!whole)
        abort();
    for (size_t limit = 1; limit < 20; limit++) {
        const char *t = jt_read(data, n, fmt, want, limit);
        if (strcmp(whole, t))
            fail_msg("whole:\n%s\nin pieces of %zu:\n%s\n", whole, limit, t);
    }
    free(whole);
}

#endif
