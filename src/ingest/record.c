/* From named text values to the normalised event (product spec section 1): the table of field
 * names and aliases, and the validation every input format shares. */
#include "ingest_impl.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* The names of the fields, then aliases seen in exports of other tools: the first name of each
 * field is its canonical one, at its id's place. */
#define FIELD_NAMES(X)                                                                             \
    X("event_id", SN_F_EVENT_ID)                                                                   \
    X("user_id", SN_F_USER_ID)                                                                     \
    X("username", SN_F_USERNAME)                                                                   \
    X("department", SN_F_DEPARTMENT)                                                               \
    X("job_title", SN_F_JOB_TITLE)                                                                 \
    X("resource", SN_F_RESOURCE)                                                                   \
    X("action", SN_F_ACTION)                                                                       \
    X("timestamp", SN_F_TIMESTAMP)                                                                 \
    X("source_ip", SN_F_SOURCE_IP)                                                                 \
    X("location", SN_F_LOCATION)                                                                   \
    X("success", SN_F_SUCCESS)                                                                     \
    X("is_anomaly", SN_F_IS_ANOMALY)                                                               \
    X("anomaly_type", SN_F_ANOMALY_TYPE)                                                           \
    X("country", SN_F_COUNTRY)                                                                     \
    X("latitude", SN_F_LATITUDE)                                                                   \
    X("longitude", SN_F_LONGITUDE)                                                                 \
    X("user_agent", SN_F_USER_AGENT)                                                               \
    X("session_id", SN_F_SESSION_ID)                                                               \
    X("mfa", SN_F_MFA)                                                                             \
    X("user", SN_F_USER_ID)                                                                        \
    X("userid", SN_F_USER_ID)                                                                      \
    X("user_name", SN_F_USERNAME)                                                                  \
    X("ip", SN_F_SOURCE_IP)                                                                        \
    X("src_ip", SN_F_SOURCE_IP)                                                                    \
    X("source_ip_address", SN_F_SOURCE_IP)                                                         \
    X("time", SN_F_TIMESTAMP)                                                                      \
    X("@timestamp", SN_F_TIMESTAMP)                                                                \
    X("label", SN_F_IS_ANOMALY)                                                                    \
    X("lat", SN_F_LATITUDE)                                                                        \
    X("lon", SN_F_LONGITUDE)                                                                       \
    X("lng", SN_F_LONGITUDE)                                                                       \
    X("useragent", SN_F_USER_AGENT)

#define TABLE_ENTRY(s, id) {s, sizeof(s) - 1, id},

static const struct {
    const char *name;
    uint8_t len;
    int8_t id;
} field_names[] = {FIELD_NAMES(TABLE_ENTRY)};

/* A name as the table writes it: compared at a length known when compiling, which costs a
 * comparison of the length and one or two of words. */
#define EXACT_MATCH(s, id)                                                                         \
    if (n == sizeof(s) - 1 && !memcmp(name, s, sizeof(s) - 1))                                    \
        return id;

int sn_ingest_field_lookup(const char *name, size_t n)
{
    /* The names as written in the table first: what nearly every record has. */
    FIELD_NAMES(EXACT_MATCH)
    char low[24];
    while (n > 0 && sn_ingest_is_blank(*name)) {
        name++;
        n--;
    }
    while (n > 0 && sn_ingest_is_blank(name[n - 1]))
        n--;
    if (n == 0 || n >= sizeof(low))
        return -1;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        low[i] = (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
    }
    for (size_t k = 0; k < sizeof(field_names) / sizeof(field_names[0]); k++)
        if (n == field_names[k].len && low[0] == field_names[k].name[0] &&
            !memcmp(low, field_names[k].name, n))
            return field_names[k].id;
    return -1;
}

const char *sn_ingest_field_name(int id)
{
    return (id >= 0 && id < SN_F_COUNT) ? field_names[id].name : "";
}

int sn_ingest_str_offset(int id)
{
    switch (id) {
    case SN_F_EVENT_ID:
        return (int)offsetof(sn_event, event_id);
    case SN_F_USER_ID:
        return (int)offsetof(sn_event, user_id);
    case SN_F_USERNAME:
        return (int)offsetof(sn_event, username);
    case SN_F_DEPARTMENT:
        return (int)offsetof(sn_event, department);
    case SN_F_JOB_TITLE:
        return (int)offsetof(sn_event, job_title);
    case SN_F_RESOURCE:
        return (int)offsetof(sn_event, resource);
    case SN_F_LOCATION:
        return (int)offsetof(sn_event, location);
    case SN_F_COUNTRY:
        return (int)offsetof(sn_event, country);
    case SN_F_USER_AGENT:
        return (int)offsetof(sn_event, user_agent);
    case SN_F_SESSION_ID:
        return (int)offsetof(sn_event, session_id);
    case SN_F_ANOMALY_TYPE:
        return (int)offsetof(sn_event, anomaly_type);
    default:
        return -1;
    }
}

void sn_ingest_event_init(sn_reader *r, sn_event *ev, long line)
{
    memset(ev, 0, sizeof(*ev));
    ev->success = -1;
    ev->mfa = -1;
    ev->is_anomaly = -1;
    ev->src_file = r->name;
    ev->src_line = line;
    r->scratch_len = 0;
    r->coords_seen = 0;
}

const char *sn_ingest_scratch(sn_reader *r, const char *s, size_t n)
{
    if (n > sizeof(r->scratch) - r->scratch_len)
        return NULL;
    char *p = r->scratch + r->scratch_len;
    memcpy(p, s, n);
    r->scratch_len += n;
    return p;
}

/* Puts the record's position and the field name on an error a field parser filled. */
static sn_status at_field(sn_reader *r, const sn_event *ev, int field, sn_error *err)
{
    sn_status code = err ? err->code : SN_ERR_PARSE;
    if (err) {
        err->fatal = false;
        snprintf(err->file, sizeof(err->file), "%s", r->name);
        err->line = ev->src_line;
        snprintf(err->field, sizeof(err->field), "%s", sn_ingest_field_name(field));
    }
    return code;
}

static sn_status set_coord(sn_reader *r, sn_event *ev, int field, const char *s, size_t n,
                           sn_error *err)
{
    double v;
    bool lat = field == SN_F_LATITUDE;
    double lim = lat ? 90.0 : 180.0;
    if (!sn_ingest_parse_double(s, n, &v) || !(v >= -lim && v <= lim)) {
        char q[320];
        sn_ingest_quote(q, sizeof(q), s, n);
        return sn_error_set(err, SN_ERR_RANGE, false, r->name, ev->src_line,
                            sn_ingest_field_name(field), "%s is not a %s in degrees (-%g to %g)", q,
                            lat ? "latitude" : "longitude", lim, lim);
    }
    if (lat)
        ev->lat = v;
    else
        ev->lon = v;
    r->coords_seen |= lat ? 1u : 2u;
    return SN_OK;
}

sn_status sn_ingest_set_text(sn_reader *r, sn_event *ev, int field, const char *s, size_t n,
                             sn_error *err)
{
    sn_str v = {n ? s : NULL, n};
    bool empty = true;
    for (size_t t = 0; t < n && empty; t++)
        empty = sn_ingest_is_blank(s[t]);
    switch (field) {
    case SN_F_EVENT_ID:
        ev->event_id = v;
        break;
    case SN_F_USER_ID:
        ev->user_id = v;
        break;
    case SN_F_USERNAME:
        ev->username = v;
        break;
    case SN_F_DEPARTMENT:
        ev->department = v;
        break;
    case SN_F_JOB_TITLE:
        ev->job_title = v;
        break;
    case SN_F_RESOURCE:
        ev->resource = v;
        break;
    case SN_F_LOCATION:
        ev->location = v;
        break;
    case SN_F_COUNTRY:
        ev->country = v;
        break;
    case SN_F_USER_AGENT:
        ev->user_agent = v;
        break;
    case SN_F_SESSION_ID:
        ev->session_id = v;
        break;
    case SN_F_ANOMALY_TYPE:
        ev->anomaly_type = v;
        break;
    case SN_F_ACTION:
        /* Callers compare actions as lower-case words ("Read" and "read" are one action). */
        if (n > sizeof(r->action))
            n = sizeof(r->action);
        for (size_t i = 0; i < n; i++) {
            char c = s[i];
            r->action[i] = (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
        }
        ev->action = (sn_str){n ? r->action : NULL, n};
        break;
    case SN_F_TIMESTAMP:
        if (empty)
            break;
        if (sn_ingest_parse_timestamp_tz(s, n, r->tz_offset_min, &ev->ts_us, err) != SN_OK)
            return at_field(r, ev, field, err);
        ev->raw_timestamp = v;
        break;
    case SN_F_SOURCE_IP:
        if (empty)
            break;
        if (sn_parse_ip(s, n, &ev->ip, err) != SN_OK)
            return at_field(r, ev, field, err);
        ev->raw_ip = v;
        break;
    case SN_F_SUCCESS:
    case SN_F_IS_ANOMALY:
    case SN_F_MFA: {
        int8_t b = -1;
        if (!empty && sn_parse_bool(s, n, &b, err) != SN_OK)
            return at_field(r, ev, field, err);
        if (field == SN_F_SUCCESS)
            ev->success = b;
        else if (field == SN_F_IS_ANOMALY)
            ev->is_anomaly = b;
        else
            ev->mfa = b;
        break;
    }
    case SN_F_LATITUDE:
    case SN_F_LONGITUDE:
        if (!empty)
            return set_coord(r, ev, field, s, n, err);
        break;
    default:
        break;
    }
    return SN_OK;
}

sn_status sn_ingest_finish_event(sn_reader *r, sn_event *ev, sn_error *err)
{
    size_t t = 0;
    while (t < ev->user_id.n && sn_ingest_is_blank(ev->user_id.p[t]))
        t++;
    if (t == ev->user_id.n)
        return sn_error_set(err, SN_ERR_MISSING, false, r->name, ev->src_line, "user_id",
                            "required field is missing or empty");
    if (ev->raw_timestamp.n == 0)
        return sn_error_set(err, SN_ERR_MISSING, false, r->name, ev->src_line, "timestamp",
                            "required field is missing or empty");
    if (r->coords_seen == 1 || r->coords_seen == 2) {
        bool lat = r->coords_seen == 1;
        return sn_error_set(err, SN_ERR_MISSING, false, r->name, ev->src_line,
                            lat ? "longitude" : "latitude", "%s given without %s",
                            lat ? "latitude" : "longitude", lat ? "longitude" : "latitude");
    }
    ev->has_coords = r->coords_seen == 3;
    return SN_OK;
}
