/* The stored form of a normalised event (one binary record, sealed as a whole) and its JSON
 * form for a person's export. */
#include "store_internal.h"

#include "../core/serial.h"
#include "../ingest/ingest.h"

#include <string.h>

static void put_str(sn_buf *b, sn_str s)
{
    sn_put_bytes(b, s.p ? s.p : "", s.n);
}

#define RECORD_VERSION 1u

void sn__store_event_encode(sn_buf *out, const sn_event *ev, const char *event_id)
{
    sn_put_u32(out, RECORD_VERSION);
    sn_put_bytes(out, event_id, strlen(event_id));
    const sn_str *f[] = {&ev->user_id,    &ev->username,   &ev->department,   &ev->job_title,
                         &ev->resource,   &ev->action,     &ev->location,     &ev->country,
                         &ev->user_agent, &ev->session_id, &ev->anomaly_type, &ev->raw_timestamp,
                         &ev->raw_ip};
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
        put_str(out, *f[i]);
    sn_put_u64(out, (uint64_t)ev->ts_us);
    sn_put_u32(out, ev->ip.family);
    sn_buf_append(out, ev->ip.addr, 16);
    sn_put_f64(out, ev->lat);
    sn_put_f64(out, ev->lon);
    sn_put_u32(out, (uint32_t)ev->has_coords | (uint32_t)(uint8_t)ev->success << 8 |
                        (uint32_t)(uint8_t)ev->mfa << 16 | (uint32_t)(uint8_t)ev->is_anomaly << 24);
    sn_put_u64(out, (uint64_t)ev->src_line);
}

static sn_str get_str(sn_rd *r)
{
    size_t n = 0;
    const uint8_t *p = sn_get_bytes(r, &n);
    return (sn_str){.p = (const char *)p, .n = p ? n : 0};
}

bool sn__store_event_decode(const uint8_t *data, size_t len, sn_event *ev, const char **event_id,
                            size_t *event_id_len)
{
    memset(ev, 0, sizeof(*ev));
    sn_rd r = {.p = data, .n = len};
    if (sn_get_u32(&r) != RECORD_VERSION)
        return false;
    sn_str id = get_str(&r);
    *event_id = id.p;
    *event_id_len = id.n;
    sn_str *f[] = {&ev->user_id,    &ev->username,   &ev->department,   &ev->job_title,
                   &ev->resource,   &ev->action,     &ev->location,     &ev->country,
                   &ev->user_agent, &ev->session_id, &ev->anomaly_type, &ev->raw_timestamp,
                   &ev->raw_ip};
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
        *f[i] = get_str(&r);
    ev->ts_us = (int64_t)sn_get_u64(&r);
    uint32_t fam = sn_get_u32(&r);
    if (fam != 0 && fam != 4 && fam != 6)
        return false;
    ev->ip.family = (uint8_t)fam;
    if (sn_rd_need(&r, 16)) {
        memcpy(ev->ip.addr, r.p + r.off, 16);
        r.off += 16;
    }
    ev->lat = sn_get_f64(&r);
    ev->lon = sn_get_f64(&r);
    uint32_t flags = sn_get_u32(&r);
    ev->has_coords = (flags & 0xff) != 0;
    ev->success = (int8_t)(uint8_t)(flags >> 8);
    ev->mfa = (int8_t)(uint8_t)(flags >> 16);
    ev->is_anomaly = (int8_t)(uint8_t)(flags >> 24);
    ev->src_line = (long)sn_get_u64(&r);
    return !r.bad && r.off == r.n && ev->user_id.n > 0;
}

static void json_field(sn_buf *out, const char *name, sn_str s)
{
    sn_buf_printf(out, ",\"%s\":", name);
    if (s.n)
        sn_buf_json_str(out, s.p, s.n);
    else
        sn_buf_puts(out, "null");
}

static void json_tri(sn_buf *out, const char *name, int8_t v)
{
    sn_buf_printf(out, ",\"%s\":%s", name, v < 0 ? "null" : v ? "true" : "false");
}

void sn__store_event_json(sn_buf *out, const sn_event *ev, const char *event_id, size_t id_len)
{
    char ts[32], ip[48];
    sn_format_timestamp(ev->ts_us, ts);
    sn_buf_puts(out, "{\"event_id\":");
    sn_buf_json_str(out, event_id, id_len);
    sn_buf_printf(out, ",\"timestamp\":\"%s\"", ts);
    json_field(out, "user_id", ev->user_id);
    json_field(out, "username", ev->username);
    json_field(out, "department", ev->department);
    json_field(out, "job_title", ev->job_title);
    json_field(out, "resource", ev->resource);
    json_field(out, "action", ev->action);
    sn_buf_puts(out, ",\"source_ip\":");
    if (ev->ip.family) {
        sn_format_ip(&ev->ip, ip);
        sn_buf_json_str(out, ip, strlen(ip));
    } else {
        sn_buf_puts(out, "null");
    }
    json_field(out, "location", ev->location);
    json_field(out, "country", ev->country);
    json_field(out, "user_agent", ev->user_agent);
    json_field(out, "session_id", ev->session_id);
    json_tri(out, "success", ev->success);
    json_tri(out, "mfa", ev->mfa);
    if (ev->has_coords) {
        sn_buf_puts(out, ",\"latitude\":");
        sn_buf_fixed(out, ev->lat, 4);
        sn_buf_puts(out, ",\"longitude\":");
        sn_buf_fixed(out, ev->lon, 4);
    }
    sn_buf_putc(out, '}');
}

void sn__store_verdict_json(sn_buf *out, const sn_event *ev, const sn_verdict *v,
                            const char *event_id)
{
    sn_buf_puts(out, "{\"event_id\":");
    sn_buf_json_str(out, event_id, strlen(event_id));
    sn_buf_puts(out, ",\"user_id\":");
    sn_buf_json_str(out, ev->user_id.p, ev->user_id.n);
    sn_buf_puts(out, v->is_anomaly ? ",\"is_anomaly\":true,\"anomaly_score\":"
                                   : ",\"is_anomaly\":false,\"anomaly_score\":");
    sn_buf_fixed(out, v->anomaly_score, 3);
    sn_buf_puts(out, ",\"risk_score\":");
    sn_buf_fixed(out, v->risk_score, 2);
    sn_buf_printf(out, ",\"risk_level\":\"%s\",\"reasons\":[", sn_level_name(v->level));
    for (int i = 0; i < v->n_reasons; i++) {
        if (i)
            sn_buf_putc(out, ',');
        sn_buf_json_str(out, v->reasons[i].text, strlen(v->reasons[i].text));
    }
    sn_buf_printf(out, "],\"recommendation\":\"%s\"}",
                  v->recommendation ? v->recommendation : sn_recommendation(v->level));
}
