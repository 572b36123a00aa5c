/* The stored record of an event and its verdict (one binary record, sealed as a whole), the
 * record of schema version 1 (read by the migration), and their JSON forms for export.
 *
 * Record, version 2 (little-endian; "str" is a LEB128 length and the bytes):
 *   u8 version (2), u8 verdict kind (0 none, 1 fields, 2 JSON text)
 *   str event_id, user_id, username, department, job_title, resource, action, location,
 *       country, user_agent, session_id, anomaly_type
 *   u64 ts_us; u8 ip family (0, 4, 6) and 0, 4 or 16 address bytes
 *   u8 flags (1 coordinates, 2 anonymous, 4 weak cipher); with coordinates f64 lat, f64 lon
 *   i8 success, mfa, is_anomaly (label); LEB128 src_line
 *   kind 1: u8 flags (1 anomaly, 2 own recommendation), u8 level, f64 risk_score,
 *           f64 anomaly_score, [str recommendation], u8 reason count, str reasons
 *   kind 2: str JSON object
 * The timestamp and address as the source spelled them are not kept (data minimisation): their
 * parsed values are, and nothing reads the spelling after the input. */
#include "store_internal.h"

#include "../ingest/ingest.h"

#include <string.h>

#define RECORD_VERSION 2u
#define RECORD_VERSION_1 1u
#define VARINT_MAX SN_STORE_VARINT_MAX

enum { F_COORDS = 1, F_ANONYMOUS = 2, F_WEAK_CIPHER = 4 };
enum { V_ANOMALY = 1, V_OWN_RECOMMENDATION = 2 };

size_t sn__store_put_varint(uint8_t *o, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        o[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    o[n++] = (uint8_t)v;
    return n;
}

uint64_t sn__store_get_varint(sn_rd *r)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (!sn_rd_need(r, 1))
            return 0;
        uint8_t b = r->p[r->off++];
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
    r->bad = true;
    return 0;
}

static uint8_t *put_varint(uint8_t *o, uint64_t v)
{
    return o + sn__store_put_varint(o, v);
}

static uint8_t *put_str(uint8_t *o, const char *p, size_t n)
{
    o = put_varint(o, n);
    if (n)
        memcpy(o, p, n);
    return o + n;
}

static uint8_t *put_u64(uint8_t *o, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        o[i] = (uint8_t)(v >> (8 * i));
    return o + 8;
}

static uint8_t *put_f64(uint8_t *o, double d)
{
    uint64_t v;
    memcpy(&v, &d, 8);
    return put_u64(o, v);
}

/* The event's strings in record order (event_id comes first, from the item); version 1 also
 * kept the raw timestamp and address. */
#define N_FIELDS 11
#define N_FIELDS_V1 13
#define EVENT_FIELDS(ev)                                                                           \
    {                                                                                              \
        &(ev)->user_id, &(ev)->username, &(ev)->department, &(ev)->job_title, &(ev)->resource,     \
            &(ev)->action, &(ev)->location, &(ev)->country, &(ev)->user_agent, &(ev)->session_id,  \
            &(ev)->anomaly_type, &(ev)->raw_timestamp, &(ev)->raw_ip                               \
    }

static bool own_recommendation(const sn_verdict *v)
{
    const char *std = sn_recommendation(v->level);
    return v->recommendation && v->recommendation != std && strcmp(v->recommendation, std) != 0;
}

void sn__store_record_encode(sn_buf *out, const sn_store_item *it)
{
    const sn_event *ev = it->ev;
    const sn_verdict *v = it->verdict;
    const sn_str *f[N_FIELDS_V1] = EVENT_FIELDS(ev);
    size_t id_n = strlen(it->event_id);
    size_t need = 2 + VARINT_MAX + id_n + 8 + 1 + 16 + 1 + 16 + 3 + VARINT_MAX;
    for (int i = 0; i < N_FIELDS; i++)
        need += VARINT_MAX + f[i]->n;
    sn_stored_kind kind = !v                 ? SN_STORED_NONE
                          : it->verdict_json ? SN_STORED_JSON
                                             : SN_STORED_FIELDS;
    size_t reason_n[SN_MAX_REASONS] = {0};
    int n_reasons = 0;
    bool own_rec = false;
    if (kind == SN_STORED_JSON) {
        need += VARINT_MAX + it->verdict_json_len;
    } else if (kind == SN_STORED_FIELDS) {
        n_reasons = v->n_reasons < 0                ? 0
                    : v->n_reasons > SN_MAX_REASONS ? SN_MAX_REASONS
                                                    : v->n_reasons;
        own_rec = own_recommendation(v);
        need += 2 + 16 + 1 + (own_rec ? VARINT_MAX + strlen(v->recommendation) : 0);
        for (int i = 0; i < n_reasons; i++)
            need += VARINT_MAX + (reason_n[i] = strnlen(v->reasons[i].text, SN_REASON_LEN));
    }
    if ((out->len + need + 1 > out->cap && sn_buf_reserve(out, need) != 0) || out->failed)
        return;
    uint8_t *o = (uint8_t *)out->data + out->len;
    *o++ = RECORD_VERSION;
    *o++ = (uint8_t)kind;
    o = put_str(o, it->event_id, id_n);
    for (int i = 0; i < N_FIELDS; i++)
        o = put_str(o, f[i]->p, f[i]->n);
    o = put_u64(o, (uint64_t)ev->ts_us);
    uint8_t fam = ev->ip.family == 4 || ev->ip.family == 6 ? ev->ip.family : 0;
    *o++ = fam;
    if (fam) {
        size_t an = fam == 4 ? 4 : 16;
        memcpy(o, ev->ip.addr, an);
        o += an;
    }
    *o++ = (uint8_t)((ev->has_coords ? F_COORDS : 0) | (ev->anonymous ? F_ANONYMOUS : 0) |
                     (ev->weak_cipher ? F_WEAK_CIPHER : 0));
    if (ev->has_coords) {
        o = put_f64(o, ev->lat);
        o = put_f64(o, ev->lon);
    }
    *o++ = (uint8_t)ev->success;
    *o++ = (uint8_t)ev->mfa;
    *o++ = (uint8_t)ev->is_anomaly;
    o = put_varint(o, (uint64_t)ev->src_line);
    if (kind == SN_STORED_JSON) {
        o = put_str(o, it->verdict_json, it->verdict_json_len);
    } else if (kind == SN_STORED_FIELDS) {
        *o++ = (uint8_t)((v->is_anomaly ? V_ANOMALY : 0) | (own_rec ? V_OWN_RECOMMENDATION : 0));
        *o++ = (uint8_t)v->level;
        o = put_f64(o, v->risk_score);
        o = put_f64(o, v->anomaly_score);
        if (own_rec)
            o = put_str(o, v->recommendation, strlen(v->recommendation));
        *o++ = (uint8_t)n_reasons;
        for (int i = 0; i < n_reasons; i++)
            o = put_str(o, v->reasons[i].text, reason_n[i]);
    }
    out->len = (size_t)((char *)o - out->data);
    out->data[out->len] = '\0';
}

static uint8_t get_u8(sn_rd *r)
{
    return sn_rd_need(r, 1) ? r->p[r->off++] : 0;
}

static sn_str get_str(sn_rd *r)
{
    uint64_t n = sn__store_get_varint(r);
    if (r->bad || n > r->n - r->off) {
        r->bad = true;
        return (sn_str){0};
    }
    sn_str s = {.p = (const char *)r->p + r->off, .n = (size_t)n};
    r->off += (size_t)n;
    return s;
}

bool sn__store_record_decode(const uint8_t *data, size_t len, sn_event *ev, sn_str *event_id,
                             sn_stored_verdict *v)
{
    memset(ev, 0, sizeof(*ev));
    memset(v, 0, sizeof(*v));
    sn_rd r = {.p = data, .n = len};
    if (get_u8(&r) != RECORD_VERSION)
        return false;
    uint8_t kind = get_u8(&r);
    if (kind > SN_STORED_JSON)
        return false;
    v->kind = (sn_stored_kind)kind;
    *event_id = get_str(&r);
    sn_str *f[N_FIELDS_V1] = EVENT_FIELDS(ev);
    for (int i = 0; i < N_FIELDS; i++)
        *f[i] = get_str(&r);
    ev->ts_us = (int64_t)sn_get_u64(&r);
    uint8_t fam = get_u8(&r);
    if (fam != 0 && fam != 4 && fam != 6)
        return false;
    ev->ip.family = fam;
    if (fam && sn_rd_need(&r, fam == 4 ? 4 : 16)) {
        memcpy(ev->ip.addr, r.p + r.off, fam == 4 ? 4 : 16);
        r.off += fam == 4 ? 4 : 16;
    }
    uint8_t flags = get_u8(&r);
    if (flags & ~(F_COORDS | F_ANONYMOUS | F_WEAK_CIPHER))
        return false;
    ev->has_coords = flags & F_COORDS;
    ev->anonymous = flags & F_ANONYMOUS;
    ev->weak_cipher = flags & F_WEAK_CIPHER;
    if (ev->has_coords) {
        ev->lat = sn_get_f64(&r);
        ev->lon = sn_get_f64(&r);
    }
    ev->success = (int8_t)get_u8(&r);
    ev->mfa = (int8_t)get_u8(&r);
    ev->is_anomaly = (int8_t)get_u8(&r);
    ev->src_line = (long)sn__store_get_varint(&r);
    if (v->kind == SN_STORED_JSON) {
        v->json = get_str(&r);
        if (!v->json.n)
            return false;
    } else if (v->kind == SN_STORED_FIELDS) {
        uint8_t vf = get_u8(&r);
        uint8_t level = get_u8(&r);
        if ((vf & ~(V_ANOMALY | V_OWN_RECOMMENDATION)) || level > SN_CRITICAL)
            return false;
        v->is_anomaly = vf & V_ANOMALY;
        v->level = (sn_level)level;
        v->risk_score = sn_get_f64(&r);
        v->anomaly_score = sn_get_f64(&r);
        if (vf & V_OWN_RECOMMENDATION)
            v->recommendation = get_str(&r);
        uint8_t n = get_u8(&r);
        if (n > SN_MAX_REASONS)
            return false;
        v->n_reasons = n;
        for (int i = 0; i < n; i++)
            v->reasons[i] = get_str(&r);
    }
    return !r.bad && r.off == r.n && ev->user_id.n > 0;
}

static sn_str get_str_v1(sn_rd *r)
{
    size_t n = 0;
    const uint8_t *p = sn_get_bytes(r, &n);
    return (sn_str){.p = (const char *)p, .n = p ? n : 0};
}

bool sn__store_event_decode_v1(const uint8_t *data, size_t len, sn_event *ev, sn_str *event_id)
{
    memset(ev, 0, sizeof(*ev));
    sn_rd r = {.p = data, .n = len};
    if (sn_get_u32(&r) != RECORD_VERSION_1)
        return false;
    *event_id = get_str_v1(&r);
    sn_str *f[N_FIELDS_V1] = EVENT_FIELDS(ev);
    for (int i = 0; i < N_FIELDS_V1; i++)
        *f[i] = get_str_v1(&r);
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

void sn__store_event_json(sn_buf *out, const sn_event *ev, sn_str event_id)
{
    char ts[32], ip[48];
    sn_format_timestamp(ev->ts_us, ts);
    sn_buf_puts(out, "{\"event_id\":");
    sn_buf_json_str(out, event_id.p ? event_id.p : "", event_id.n);
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

void sn__store_verdict_json(sn_buf *out, const sn_event *ev, sn_str event_id,
                            const sn_stored_verdict *v)
{
    if (v->kind == SN_STORED_JSON) {
        sn_buf_append(out, v->json.p, v->json.n);
        return;
    }
    if (v->kind != SN_STORED_FIELDS)
        return;
    sn_buf_puts(out, "{\"event_id\":");
    sn_buf_json_str(out, event_id.p ? event_id.p : "", event_id.n);
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
        sn_buf_json_str(out, v->reasons[i].p ? v->reasons[i].p : "", v->reasons[i].n);
    }
    sn_buf_puts(out, "],\"recommendation\":");
    if (v->recommendation.n) {
        sn_buf_json_str(out, v->recommendation.p, v->recommendation.n);
    } else {
        const char *rec = sn_recommendation(v->level);
        sn_buf_json_str(out, rec, strlen(rec));
    }
    sn_buf_putc(out, '}');
}
