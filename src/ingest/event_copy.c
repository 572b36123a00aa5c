/* Deep copies of events, for callers that keep events past the reader's next call. */
#include "ingest.h"

#include <string.h>

static int copy_str(sn_str *s, char *buf, size_t cap, size_t *used)
{
    if (!s->n) {
        s->p = NULL;
        return 0;
    }
    if (cap - *used < s->n)
        return -1;
    memcpy(buf + *used, s->p, s->n);
    s->p = buf + *used;
    *used += s->n;
    return 0;
}

size_t sn_event_copy(sn_event *dst, const sn_event *src, char *buf, size_t cap)
{
    *dst = *src;
    sn_str *fields[] = {&dst->event_id,      &dst->user_id,    &dst->username,   &dst->department,
                        &dst->job_title,     &dst->resource,   &dst->action,     &dst->location,
                        &dst->country,       &dst->user_agent, &dst->session_id, &dst->anomaly_type,
                        &dst->raw_timestamp, &dst->raw_ip};
    size_t used = 0;
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        if (copy_str(fields[i], buf, cap, &used) != 0)
            return (size_t)-1;
    return used;
}
