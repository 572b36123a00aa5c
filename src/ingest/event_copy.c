/* Deep copies of events, for callers that keep events past the reader's next call. */
#include "ingest_impl.h"

#include <stdint.h>
#include <string.h>

/* Fields within this many bytes of the user id count as parts of one record's text. */
#define NEAR 1024

size_t sn_event_copy(sn_event *dst, const sn_event *src, char *buf, size_t cap)
{
    *dst = *src;
    sn_str *f[] = {&dst->event_id,      &dst->user_id,    &dst->username,   &dst->department,
                   &dst->job_title,     &dst->resource,   &dst->action,     &dst->location,
                   &dst->country,       &dst->user_agent, &dst->session_id, &dst->anomaly_type,
                   &dst->raw_timestamp, &dst->raw_ip};
    enum { FIELDS = sizeof(f) / sizeof(f[0]) };
    /* A parsed record's fields mostly lie together in the reader's buffer: the stretch of text
     * from the first to the last of those near the user id is copied at once when it is not
     * much longer than they are; every other field is copied on its own. */
    uintptr_t anchor = (uintptr_t)dst->user_id.p, lo = anchor, hi = anchor;
    const char *first = dst->user_id.p;
    size_t total = 0;
    uint32_t near = 0;
    if (dst->user_id.n) {
        for (int i = 0; i < FIELDS; i++) {
            uintptr_t p = (uintptr_t)f[i]->p;
            if (f[i]->n && p - (anchor - NEAR) <= 2 * NEAR) {
                near |= 1u << i;
                if (p < lo) {
                    lo = p;
                    first = f[i]->p;
                }
                hi = p + f[i]->n > hi ? p + f[i]->n : hi;
                total += f[i]->n;
            }
        }
    }
    size_t used = 0;
    if (near && hi - lo <= cap && hi - lo <= 2 * total) {
        memcpy(buf, first, hi - lo);
        used = hi - lo;
    } else {
        near = 0;
    }
    for (int i = 0; i < FIELDS; i++) {
        sn_str *s = f[i];
        if (!s->n) {
            s->p = NULL;
        } else if (near & (1u << i)) {
            s->p = buf + ((uintptr_t)s->p - lo);
        } else {
            if (cap - used < s->n)
                return (size_t)-1;
            memcpy(buf + used, s->p, s->n);
            s->p = buf + used;
            used += s->n;
        }
    }
    return used;
}

size_t sn_event_detach(sn_event *ev, const sn_reader *r, char *buf, size_t cap)
{
    sn_str *f[] = {&ev->event_id,      &ev->user_id,    &ev->username,   &ev->department,
                   &ev->job_title,     &ev->resource,   &ev->action,     &ev->location,
                   &ev->country,       &ev->user_agent, &ev->session_id, &ev->anomaly_type,
                   &ev->raw_timestamp, &ev->raw_ip};
    /* What the reader writes for a record (a lower-cased action, numbers as text, composed
     * values) lies within the reader itself. */
    uintptr_t lo = (uintptr_t)r, hi = lo + sizeof(*r);
    uint32_t inside = 0;
    size_t need = 0;
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
        if (f[i]->n && (uintptr_t)f[i]->p >= lo && (uintptr_t)f[i]->p < hi) {
            inside |= 1u << i;
            need += f[i]->n;
        }
    if (need > cap)
        return (size_t)-1;
    size_t used = 0;
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
        if (!(inside & (1u << i)))
            continue;
        memcpy(buf + used, f[i]->p, f[i]->n);
        f[i]->p = buf + used;
        used += f[i]->n;
    }
    return used;
}
