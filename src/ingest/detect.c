/* --format auto: the format of an input from its first record, so that logs load as they are. */
#include "json_stream.h"

#include <string.h>

/* Members of a top-level object that hold the records: CloudTrail's files, then Graph pages
 * and Azure Monitor's records (Entra ID). */
static const char *const container_keys[] = {"Records", "value", "records", NULL};

/* The JSON format whose records look like rec. */
static sn_format classify(sn_jv rec)
{
    if (sn_winevt_object_matches(rec))
        return SN_FORMAT_WINEVT;
    if (sn_jv_present(sn_jv_member(rec, "user_id", 7, false))) /* the reference fields */
        return SN_FORMAT_JSONL;
    if (sn_cloudtrail_object_matches(rec))
        return SN_FORMAT_CLOUDTRAIL;
    if (sn_okta_object_matches(rec))
        return SN_FORMAT_OKTA;
    if (sn_entra_object_matches(rec))
        return SN_FORMAT_ENTRA;
    if (sn_ocsf_object_matches(rec))
        return SN_FORMAT_OCSF;
    if (sn_ecs_object_matches(rec))
        return SN_FORMAT_ECS;
    return SN_FORMAT_JSONL;
}

/* JSON input: by its first record, which may be pretty-printed over many lines or sit in an
 * array; SN_FORMAT_AUTO when there is none to look at. */
static sn_format detect_json(sn_reader *r)
{
    int key;
    bool empty;
    sn_jv rec;
    bool parsed = sn_jstream_peek(r, container_keys, &key, &empty, &rec);
    sn_format f = SN_FORMAT_AUTO;
    if (key == 0)
        f = SN_FORMAT_CLOUDTRAIL; /* {"Records": [...]} is CloudTrail's own file */
    else if (parsed)
        f = classify(rec);
    else if (empty && key > 0)
        f = SN_FORMAT_ENTRA;
    return f;
}

sn_format sn_ingest_detect_format(sn_reader *r)
{
    /* Everything looked at is read whole, however the input arrives: the choice must not
     * depend on how a pipe cuts the bytes. */
    char first = r->buf[r->pos];
    if (first == '{' || first == '[') {
        sn_format f = detect_json(r);
        if (f != SN_FORMAT_AUTO)
            return f;
        if (first == '{')
            return SN_FORMAT_JSONL; /* its first record is bad: the JSON-lines reader says why */
    }
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
    if (sn_syslog_line_matches(p, n > SN_MAX_RECORD ? SN_MAX_RECORD : n))
        return SN_FORMAT_SYSLOG;
    return SN_FORMAT_CSV;
}
