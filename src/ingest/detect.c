/* --format auto: the format of an input from its first line, so that logs load as they are. */
#include "ingest_impl.h"

#include <jansson.h>
#include <string.h>

sn_format sn_ingest_detect_format(sn_reader *r)
{
    /* Only the first line is looked at, and all of it, however the input arrives: the choice
     * must not depend on how a pipe cuts the bytes. */
    const char *nl;
    for (;;) {
        nl = memchr(r->buf + r->pos, '\n', r->end - r->pos);
        if (nl || r->end - r->pos > SN_MAX_RECORD || sn_ingest_fill(r) == 0)
            break;
    }
    const char *p = r->buf + r->pos;
    size_t n = nl ? (size_t)(nl - p) : r->end - r->pos;
    if (n > 0 && p[n - 1] == '\r')
        n--;
    if (n > 0 && p[0] == '{') {
        if (n > SN_MAX_RECORD)
            return SN_FORMAT_JSONL;
        void *root = NULL;
        sn_error ignored;
        bool windows = false;
        if (sn_jsonl_parse(r, p, n, r->line, &root, &ignored) == SN_OK)
            windows = sn_winevt_object_matches(root);
        json_decref((json_t *)root);
        return windows ? SN_FORMAT_WINEVT : SN_FORMAT_JSONL;
    }
    if (sn_syslog_line_matches(p, n > SN_MAX_RECORD ? SN_MAX_RECORD : n))
        return SN_FORMAT_SYSLOG;
    return SN_FORMAT_CSV;
}
