/* Explanations: each signal that carried evidence becomes a sentence naming the user's baseline
 * that the event broke, strongest first. */
#include "engine_internal.h"

#include "../ingest/ingest.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REASON_MIN_BITS 1.5

static const char *const weekday_names[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                            "Friday", "Saturday", "Sunday"};

/* 12900 -> "12,900" */
static void thousands(double x, char *out, size_t n)
{
    char digits[32];
    snprintf(digits, sizeof(digits), "%.0f", fabs(x));
    size_t len = strlen(digits), o = 0;
    if (x < 0 && o + 1 < n)
        out[o++] = '-';
    for (size_t i = 0; i < len && o + 2 < n; i++) {
        out[o++] = digits[i];
        size_t left = len - i - 1;
        if (left && left % 3 == 0)
            out[o++] = ',';
    }
    out[o] = '\0';
}

static void duration(double minutes, char *out, size_t n)
{
    if (minutes < 1.0)
        snprintf(out, n, "%.0f seconds", minutes * 60.0);
    else if (minutes < 120.0)
        snprintf(out, n, "%.0f minutes", minutes);
    else if (minutes < 48 * 60.0)
        snprintf(out, n, "%.1f hours", minutes / 60.0);
    else
        snprintf(out, n, "%.0f days", minutes / 1440.0);
}

/* "A, B and C" of the user's most frequent values, excluding `except`. */
static void usual_values(const sn_engine *e, int32_t user, sn_attr a, int32_t except, char *out,
                         size_t n)
{
    int32_t ids[3];
    uint32_t counts[3];
    int k = sn_profiles_user_top(e->profiles, user, a, ids, counts, 3);
    out[0] = '\0';
    size_t used = 0;
    int written = 0;
    for (int i = 0; i < k; i++) {
        if (ids[i] == except)
            continue;
        const char *name = sn_profiles_value_name(e->profiles, a, ids[i]);
        int w = snprintf(out + used, n - used, "%s%s", written ? ", " : "", name ? name : "?");
        if (w < 0 || (size_t)w >= n - used)
            break;
        used += (size_t)w;
        written++;
    }
}

static sn_reason *add(sn_verdict *v, double bits, const char *signal)
{
    if (v->n_reasons < SN_MAX_REASONS) {
        sn_reason *r = &v->reasons[v->n_reasons++];
        r->bits = bits;
        r->signal = signal;
        r->text[0] = '\0';
        return r;
    }
    /* Full: replace the weakest if this one is stronger. */
    int weakest = 0;
    for (int i = 1; i < SN_MAX_REASONS; i++)
        if (v->reasons[i].bits < v->reasons[weakest].bits)
            weakest = i;
    if (v->reasons[weakest].bits >= bits)
        return NULL;
    sn_reason *r = &v->reasons[weakest];
    r->bits = bits;
    r->signal = signal;
    r->text[0] = '\0';
    return r;
}

/* How long the user's history is: "90 days", "1 day", "less than a day". */
static const char *history_span(const sn_obs *o, const sn_judgement *j, char *out, size_t n)
{
    double days = (double)(o->ts_us - j->first_ts_us) / 86400e6;
    if (days < 1.0) /* also out-of-order input: the history is not yet longer */
        snprintf(out, n, "less than a day");
    else if (days < 1.5)
        snprintf(out, n, "1 day");
    else
        snprintf(out, n, "%.0f days", days);
    return out;
}

static const char *plural(uint32_t n)
{
    return n == 1 ? "" : "s";
}

/* Whether hour h lies in the circular window from..to. */
static bool hour_within(int h, int from, int to)
{
    return from <= to ? (h >= from && h <= to) : (h >= from || h <= to);
}

/* Writes a reason's text after what it already holds, cut to SN_REASON_LEN. */
__attribute__((format(printf, 2, 3))) static void append(char *text, const char *fmt, ...)
{
    size_t k = strnlen(text, SN_REASON_LEN - 1);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text + k, SN_REASON_LEN - k, fmt, ap);
    va_end(ap);
}

/* "AS14061 (DigitalOcean, LLC)": the autonomous system with the organisation the ASN database
 * names for the event's address (the number alone when it names none). */
static void asn_label(const sn_engine *e, const sn_event *ev, const char *name, char *out, size_t n)
{
    char org[128];
    if (e->geoip && sn_geoip_asn_org(e->geoip, &ev->ip, org, sizeof(org)) && org[0])
        snprintf(out, n, "%s (%.96s)", name, org);
    else
        snprintf(out, n, "%s", name);
}

/* Who else uses a value: the peer group when it has events with the attribute, else the
 * organisation (never "no peer" for a user without peers); how events relate to the value in
 * relation ("came from it", "touch it"). */
static void others_using(const sn_judgement *j, sn_attr a, const char *peer, const char *relation,
                         char *out, size_t n)
{
    if (peer && j->peer_n[a]) {
        if (j->peer_share[a] == 0.0)
            snprintf(out, n, "no %s peer has used it", peer);
        else
            snprintf(out, n, "%.1f%% of %s peers' events %s", 100.0 * j->peer_share[a], peer,
                     relation);
    } else if (j->org_share[a] == 0.0) {
        snprintf(out, n, "no one in the organisation has used it");
    } else {
        snprintf(out, n, "%.1f%% of the organisation's events %s", 100.0 * j->org_share[a],
                 relation);
    }
}

static void explain_attr(const sn_engine *e, const sn_event *ev, const sn_obs *o,
                         const sn_judgement *j, const sn_event_context *ctx, sn_attr a, double bits,
                         sn_verdict *v)
{
    sn_reason *r = add(v, bits, sn_attr_name(a));
    if (!r)
        return;
    char usual[160];
    int32_t val = o->value[a];
    const char *name = sn_profiles_value_name(e->profiles, a, val);
    const char *peer = o->peer >= 0 ? sn_profiles_peer_name(e->profiles, o->peer) : NULL;
    uint32_t n = j->user_n[a], c = j->user_count[a];
    usual_values(e, o->user, a, val, usual, sizeof(usual));
    char span[32];
    bool first = c == 0;
    switch (a) {
    case SN_ATTR_NETWORK: {
        /* the network with its provider when known: "203.0.0.0/16 in AS64500 (Example Net)" */
        char net[160];
        if (o->value[SN_ATTR_ASN] >= 0) {
            char label[128];
            asn_label(e, ev,
                      sn_profiles_value_name(e->profiles, SN_ATTR_ASN, o->value[SN_ATTR_ASN]),
                      label, sizeof(label));
            snprintf(net, sizeof(net), "%.24s in %s", name ? name : "?", label);
        } else {
            snprintf(net, sizeof(net), "%s", name ? name : "?");
        }
        if (!n)
            append(r->text,
                   "first event of this user comes from network %s, rare in the "
                   "organisation",
                   net);
        else if (first)
            append(r->text,
                   "first access from network %s by this user; %u earlier event%s came "
                   "from %s",
                   net, n, plural(n), usual);
        else
            append(r->text, "network %s is rare for this user (%u of %u events)", net, c, n);
        break;
    }
    case SN_ATTR_ASN:
    case SN_ATTR_CLIENT: {
        /* a provider with its organisation, "AS15169 (Google LLC)"; a client by its family */
        char label[128], others[96];
        if (a == SN_ATTR_ASN)
            asn_label(e, ev, name, label, sizeof(label));
        else
            snprintf(label, sizeof(label), "client %.96s", name ? name : "?");
        others_using(j, a, peer, "came from it", others, sizeof(others));
        if (first && n)
            append(r->text, "first use of %s by this user (%u earlier event%s from %s); %s", label,
                   n, plural(n), usual, others);
        else if (first)
            append(r->text, "first use of %s by this user; %s", label, others);
        else
            append(r->text, "%s is rare for this user (%u of %u events)", label, c, n);
        break;
    }
    case SN_ATTR_LOCATION:
        if (!n)
            snprintf(r->text, SN_REASON_LEN,
                     "first event of this user is from %s, rare in the organisation", name);
        else if (first && j->user_distinct[a] <= 3)
            snprintf(r->text, SN_REASON_LEN,
                     "sign-in from %s; this user was only ever seen in %s (%u event%s)", name,
                     usual, n, plural(n));
        else if (first)
            snprintf(r->text, SN_REASON_LEN, "first event from %s for this user (usually %s)", name,
                     usual);
        else
            snprintf(r->text, SN_REASON_LEN, "%s is rare for this user (%u of %u events)", name, c,
                     n);
        break;
    case SN_ATTR_RESOURCE: {
        char others[96];
        bool peers = peer && j->peer_n[a];
        double share = peers ? j->peer_share[a] : j->org_share[a];
        others_using(j, a, peer, "touch it", others, sizeof(others));
        if (first && n)
            snprintf(r->text, SN_REASON_LEN,
                     "first access to %s by this user in %s of history (%u event%s); %s", name,
                     history_span(o, j, span, sizeof(span)), n, plural(n), others);
        else if (first && peers)
            snprintf(r->text, SN_REASON_LEN,
                     "access to %s, which is rare for %s peers (%.1f%% of their events)", name,
                     peer, 100.0 * share);
        else if (first)
            snprintf(r->text, SN_REASON_LEN,
                     "access to %s, which is rare in the organisation (%.1f%% of its events)", name,
                     100.0 * share);
        else
            snprintf(r->text, SN_REASON_LEN, "%s is rarely used by this user (%u of %u events)",
                     name, c, n);
        break;
    }
    case SN_ATTR_ACTION:
        if (first && n)
            snprintf(r->text, SN_REASON_LEN,
                     "first '%s' action by this user (usual: %s); risk level %d of 5", name, usual,
                     ctx->action_risk);
        else if (first)
            snprintf(r->text, SN_REASON_LEN, "'%s' action, rare for %s peers", name,
                     peer ? peer : "the user's");
        else
            snprintf(r->text, SN_REASON_LEN, "'%s' is rare for this user (%u of %u events)", name,
                     c, n);
        break;
    case SN_ATTR_HOUR: {
        int from, to;
        sn_profiles_user_hours(e->profiles, o->user, &from, &to);
        int minute = (int)((ev->ts_us / 60000000) % 60);
        if (minute < 0)
            minute += 60;
        if (from >= 0 && !hour_within(ctx->hour, from, to))
            snprintf(r->text, SN_REASON_LEN,
                     "activity at %02d:%02d, outside the hours of 90%% of this user's events "
                     "(%02d:00-%02d:59)",
                     ctx->hour, minute, from, to);
        else if (from >= 0)
            snprintf(r->text, SN_REASON_LEN,
                     "activity at %02d:%02d, an hour this user is rarely active at (%u of %u "
                     "events)",
                     ctx->hour, minute, c, n);
        else
            snprintf(r->text, SN_REASON_LEN, "activity at %02d:%02d, unusual for %s peers",
                     ctx->hour, minute, peer ? peer : "the user's");
        break;
    }
    case SN_ATTR_WEEKEND:
        if (n)
            snprintf(r->text, SN_REASON_LEN,
                     "weekend activity (%s); %u of this user's %u earlier event%s %s on "
                     "weekends",
                     weekday_names[ctx->weekday], c, n, plural(n), c == 1 ? "was" : "were");
        else
            snprintf(r->text, SN_REASON_LEN, "weekend activity (%s), rare for %s peers",
                     weekday_names[ctx->weekday], peer ? peer : "the user's");
        break;
    case SN_ATTR_OUTCOME:
        if (val == 0 && n) /* a success that is the surprise, after the user's failures */
            snprintf(r->text, SN_REASON_LEN,
                     "successful attempt, rare for this user (%u of %u earlier event%s succeeded)",
                     c, n, plural(n));
        else if (val == 0)
            snprintf(r->text, SN_REASON_LEN,
                     "successful attempt where almost every attempt in the log failed");
        else if (n)
            snprintf(r->text, SN_REASON_LEN,
                     "failed attempt; %u of this user's %u earlier event%s failed", c, n,
                     plural(n));
        else
            snprintf(r->text, SN_REASON_LEN, "failed attempt as this user's first event");
        break;
    default:
        break;
    }
}

static int cmp_reason(const void *a, const void *b)
{
    double x = ((const sn_reason *)a)->bits, y = ((const sn_reason *)b)->bits;
    return (x < y) - (x > y);
}

void sn_explain(const sn_engine *e, const sn_event *ev, const sn_obs *o, const sn_judgement *j,
                const sn_event_context *ctx, const sn_evidence *b, sn_verdict *v)
{
    for (int a = 0; a < SN_ATTR_COUNT; a++)
        if (b->attr[a] >= REASON_MIN_BITS)
            explain_attr(e, ev, o, j, ctx, (sn_attr)a, b->attr[a], v);
    sn_reason *r;
    if (b->travel > 0 && (r = add(v, b->travel, "travel"))) {
        char km[32], kmh[32], dur[32];
        thousands(ctx->travel_km, km, sizeof(km));
        thousands(ctx->travel_kmh, kmh, sizeof(kmh));
        duration(ctx->travel_minutes, dur, sizeof(dur));
        /* Under a minute apart, the speed is taken over a minute (clocks of two systems are
         * seldom closer than that): at least that fast. */
        bool quick = ctx->travel_minutes < 1.0;
        snprintf(r->text, SN_REASON_LEN,
                 "%s km from the previous event %s earlier (%s%s km/h): impossible travel%s", km,
                 quick ? "less than a minute" : dur, quick ? "at least " : "", kmh,
                 ctx->travel_rough ? " (places from the IP addresses)" : "");
    }
    if (b->user_failures > 0 && (r = add(v, b->user_failures, "failures")))
        snprintf(r->text, SN_REASON_LEN,
                 "%.0f failed attempts for this user in the last minutes (brute force?)",
                 j->user_fail_burst);
    if (b->spray > 0 && (r = add(v, b->spray, "spray"))) {
        if (o->source_is_resource) {
            snprintf(r->text, SN_REASON_LEN,
                     "failures for %.0f different accounts against %.*s in the last minutes "
                     "(password spraying?)",
                     j->source_fail_users, (int)(ev->resource.n > 80 ? 80 : ev->resource.n),
                     ev->resource.p);
        } else {
            char ip[48];
            sn_format_ip(&ev->ip, ip);
            snprintf(r->text, SN_REASON_LEN,
                     "failures for %.0f different accounts from %s in the last minutes "
                     "(password spraying?)",
                     j->source_fail_users, ip);
        }
    }
    if (b->enumeration > 0 && (r = add(v, b->enumeration, "enumeration")))
        snprintf(r->text, SN_REASON_LEN,
                 "%.0f resources new to this user in the last minutes (enumeration, such as "
                 "Kerberoasting?)",
                 j->user_novel_burst);
    if (b->guessed > 0 && (r = add(v, b->guessed, "guessed")))
        snprintf(r->text, SN_REASON_LEN,
                 "success right after %.0f failed attempts for this user (a guess that worked?)",
                 j->user_fail_before);
    if (b->privilege > 0 && (r = add(v, b->privilege, "privilege"))) {
        const char *name =
            sn_profiles_value_name(e->profiles, SN_ATTR_ACTION, o->value[SN_ATTR_ACTION]);
        const char *peer = sn_profiles_peer_name(e->profiles, o->peer);
        bool by_peer = j->peer_n[SN_ATTR_ACTION] >= PRIVILEGE_MIN_PEER_EVENTS;
        double share = by_peer ? j->peer_share[SN_ATTR_ACTION] : j->org_share[SN_ATTR_ACTION];
        char seen[96];
        if (!by_peer && j->org_n[SN_ATTR_ACTION] < PRIVILEGE_MIN_PEER_EVENTS)
            snprintf(seen, sizeof(seen), "too few events yet to say how common it is");
        else
            snprintf(seen, sizeof(seen), "%.1f%% of %s%s events use it", 100.0 * share,
                     by_peer && peer ? peer : "the organisation",
                     by_peer && peer ? " peers'" : "'s");
        snprintf(r->text, SN_REASON_LEN, "first '%s' by this user, %s; %s (privilege escalation?)",
                 name ? name : "?",
                 o->changes_rights ? "a grant of rights or credentials"
                                   : "an administrative action",
                 seen);
    }
    if (b->weak_ticket > 0 && (r = add(v, b->weak_ticket, "weak_ticket")))
        snprintf(r->text, SN_REASON_LEN,
                 "Kerberos ticket with RC4 or DES encryption, the kind requested to crack a "
                 "service account's password offline (Kerberoasting?)");
    if (b->anonymous > 0 && (r = add(v, b->anonymous, "anonymous"))) {
        int rn = (int)(ev->resource.n > 80 ? 80 : ev->resource.n);
        if (o->success == 0)
            snprintf(r->text, SN_REASON_LEN,
                     "unauthenticated (anonymous) request for %.*s, refused: a probe for "
                     "publicly open data?",
                     rn, ev->resource.p);
        else
            snprintf(r->text, SN_REASON_LEN,
                     "unauthenticated (anonymous) access to %.*s%s: open to anyone on the "
                     "internet?",
                     rn, ev->resource.p, o->success > 0 ? " succeeded" : "");
    }
    if (b->foreign_account > 0 && (r = add(v, b->foreign_account, "foreign_account"))) {
        int rn = (int)(ev->resource.n > 80 ? 80 : ev->resource.n);
        unsigned long long acct = (unsigned long long)o->caller_account;
        if (j->foreign_calls)
            snprintf(r->text, SN_REASON_LEN,
                     "cross-account request for %.*s by AWS account %012llu, not one of this "
                     "organisation's accounts (%u earlier request%s from it)",
                     rn, ev->resource.p, acct, j->foreign_calls, plural(j->foreign_calls));
        else
            snprintf(r->text, SN_REASON_LEN,
                     "cross-account request for %.*s by AWS account %012llu, not one of this "
                     "organisation's accounts, the first from it",
                     rn, ev->resource.p, acct);
    }
    if (b->volume > 0 && (r = add(v, b->volume, "volume")))
        snprintf(r->text, SN_REASON_LEN,
                 "%.0f events in the last hour against this user's usual %.1f per active hour",
                 j->user_rate_now, j->user_rate_usual);
}

void sn_explain_finish(const sn_engine *e, double forest_bits, sn_verdict *v)
{
    sn_reason *r;
    if (forest_bits > 0 && e->forest && (r = add(v, forest_bits, "isolation_forest"))) {
        double contrib[SN_FEATURE_COUNT];
        sn_iforest_explain(e->forest, v->features, contrib);
        int best = 0, second = 1;
        if (contrib[second] > contrib[best]) {
            best = 1;
            second = 0;
        }
        for (int i = 2; i < SN_FEATURE_COUNT; i++) {
            if (contrib[i] > contrib[best]) {
                second = best;
                best = i;
            } else if (contrib[i] > contrib[second]) {
                second = i;
            }
        }
        snprintf(r->text, SN_REASON_LEN,
                 "unusual combination of context (Isolation Forest score %.2f; isolated mostly "
                 "by %s and %s)",
                 v->iforest_score, sn_feature_name(best), sn_feature_name(second));
    }
    qsort(v->reasons, (size_t)v->n_reasons, sizeof(sn_reason), cmp_reason);
}

/* Writers of constant text at o. */
#define PUT(o, lit) (memcpy((o), (lit), sizeof(lit) - 1), (o) += sizeof(lit) - 1)

static char *put_str(char *o, const char *s)
{
    size_t n = strlen(s);
    memcpy(o, s, n);
    return o + n;
}

void sn_verdict_json(sn_buf *out, const sn_event *ev, const sn_verdict *v, const char *event_id)
{
    /* One reservation for the whole record: the strings at their worst (every byte escaped as
     * \uXXXX), the numbers and the constant text. */
    const char *file = ev->src_file ? ev->src_file : "";
    size_t id_n = strlen(event_id), file_n = strlen(file), text = 0;
    size_t reason_n[SN_MAX_REASONS];
    for (int i = 0; i < v->n_reasons; i++)
        text += reason_n[i] = strlen(v->reasons[i].text);
    text += id_n + ev->user_id.n + ev->resource.n + ev->action.n + file_n;
    size_t need = 6 * text + 2 * SN_FIXED_MAX + 512 + 4 * (size_t)v->n_reasons;
    if ((out->len + need + 1 > out->cap && sn_buf_reserve(out, need) != 0) || out->failed)
        return;
    char *o = out->data + out->len;
    PUT(o, "{\"event_id\":");
    o = sn_json_str_to(o, event_id, id_n);
    PUT(o, ",\"user_id\":");
    o = sn_json_str_to(o, ev->user_id.p, ev->user_id.n);
    PUT(o, ",\"timestamp\":\"");
    o += sn_format_timestamp(ev->ts_us, o);
    PUT(o, "\",\"source_ip\":");
    if (ev->ip.family) {
        /* digits, dots, colons and hex: nothing to escape */
        *o++ = '"';
        o += sn_format_ip(&ev->ip, o);
        *o++ = '"';
    } else {
        PUT(o, "null");
    }
    /* Absent fields are null, as an absent address is. */
    PUT(o, ",\"resource\":");
    if (ev->resource.n)
        o = sn_json_str_to(o, ev->resource.p, ev->resource.n);
    else
        PUT(o, "null");
    PUT(o, ",\"action\":");
    if (ev->action.n)
        o = sn_json_str_to(o, ev->action.p, ev->action.n);
    else
        PUT(o, "null");
    if (v->is_anomaly)
        PUT(o, ",\"is_anomaly\":true,\"anomaly_score\":");
    else
        PUT(o, ",\"is_anomaly\":false,\"anomaly_score\":");
    o = sn_fixed_to(o, v->anomaly_score, 3);
    PUT(o, ",\"risk_score\":");
    o = sn_fixed_to(o, v->risk_score, 2);
    PUT(o, ",\"risk_level\":\"");
    switch (v->level) { /* the names with their lengths known here */
    case SN_CRITICAL:
        PUT(o, "CRITICAL");
        break;
    case SN_HIGH:
        PUT(o, "HIGH");
        break;
    case SN_MEDIUM:
        PUT(o, "MEDIUM");
        break;
    case SN_LOW:
        PUT(o, "LOW");
        break;
    default:
        o = put_str(o, sn_level_name(v->level));
    }
    PUT(o, "\",\"reasons\":[");
    for (int i = 0; i < v->n_reasons; i++) {
        if (i)
            *o++ = ',';
        o = sn_json_str_to(o, v->reasons[i].text, reason_n[i]);
    }
    PUT(o, "],\"recommendation\":\"");
    if (v->recommendation == sn_recommendation(v->level))
        switch (v->level) {
        case SN_CRITICAL:
        case SN_HIGH:
            PUT(o, "BLOCK");
            break;
        case SN_MEDIUM:
            PUT(o, "REVIEW");
            break;
        default:
            PUT(o, "ALLOW");
        }
    else
        o = put_str(o, v->recommendation);
    PUT(o, "\",\"file\":");
    o = sn_json_str_to(o, file, file_n);
    PUT(o, ",\"line\":");
    char line[24];
    int k = 23;
    uint64_t ln = ev->src_line > 0 ? (uint64_t)ev->src_line : 0;
    do {
        line[--k] = (char)('0' + ln % 10);
        ln /= 10;
    } while (ln);
    memcpy(o, line + k, (size_t)(23 - k));
    o += 23 - k;
    *o++ = '}';
    *o = '\0';
    out->len = (size_t)(o - out->data);
}
