/* The server's options: one declarative table (name, type, default, bounds, help) read from a
 * YAML file, the environment and the command line alike, and printed by `sentinel serve --help`.
 * Later sources override earlier ones: defaults < file < environment < command line. */
#include "server.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <openssl/evp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <strings.h>
#include <yaml.h>

typedef enum opt_type {
    OPT_STRING,
    OPT_LISTEN, /* HOST:PORT */
    OPT_INT,
    OPT_SIZE, /* bytes, with an optional KiB/MiB/GiB suffix */
    OPT_DOUBLE,
    OPT_LOG_LEVEL, /* debug, info, warn, error or off */
    OPT_BOOL,      /* true/false, yes/no, on/off, 1/0; on the command line --name alone is true */
    OPT_RATE,      /* N/second, N/minute, N/hour or N/day; 0 or off: no limit */
} opt_type;

enum {
    OPT_REQUIRED = 1u,    /* must be given somewhere */
    OPT_EMPTY_UNSET = 2u, /* an empty value leaves it unset (NAN) */
    OPT_NOT_IN_FILE = 4u, /* names the file itself: command line and environment only */
};

typedef struct opt_def {
    const char *name; /* the YAML key; --name with '-' for '_'; SENTINEL_NAME */
    opt_type type;
    const char *def; /* the default, written as a user would write it */
    double min, max;
    unsigned flags;
    size_t offset, size;
    const char *arg;
    const char *help;
} opt_def;

#define FIELD(f) offsetof(sn_server_config, f), sizeof(((sn_server_config *)0)->f)

static const opt_def options[] = {
    {"listen", OPT_LISTEN, "127.0.0.1:8080", 0, 0, 0, FIELD(listen), "HOST:PORT",
     "address to listen on ([::1]:PORT for IPv6); port 0 picks a free port"},
    {"model", OPT_STRING, "", 0, 0, OPT_REQUIRED, FIELD(model), "FILE",
     "model written by `sentinel train` (required)"},
    {"predictor", OPT_STRING, "", 0, 0, 0, FIELD(predictor), "FILE",
     "access predictor written by `sentinel predict train`; without one POST "
     "/api/v1/predict/access answers 503"},
    {"config", OPT_STRING, "", 0, 0, OPT_NOT_IN_FILE, FIELD(config), "FILE",
     "YAML file of these options, one `name: value` per line"},
    {"threads", OPT_INT, "0", 0, 1024, 0, FIELD(threads), "N",
     "HTTP worker threads; 0 means one per CPU"},
    {"body_limit", OPT_SIZE, "4MiB", 1024, 1073741824.0, 0, FIELD(body_limit), "BYTES",
     "largest request body; larger ones get 413 (suffixes KiB, MiB, GiB)"},
    {"batch_limit", OPT_INT, "10000", 1, 100000, 0, FIELD(batch_limit), "N",
     "most events in one /api/v1/analyze/batch request"},
    {"alert_threshold", OPT_DOUBLE, "", 0, 100, OPT_EMPTY_UNSET, FIELD(alert_threshold), "RISK",
     "risk score (0-100) at which is_anomaly is true; default: the model's threshold"},
    {"connection_timeout", OPT_INT, "30", 1, 3600, 0, FIELD(connection_timeout), "SECONDS",
     "close a connection that stays idle or stalls this long, or whose request body takes "
     "this long in all (slow clients)"},
    {"max_connections", OPT_INT, "4096", 1, 1000000, 0, FIELD(max_connections), "N",
     "open connections at once; more are refused"},
    {"max_future_seconds", OPT_INT, "86400", 0, 315360000, 0, FIELD(max_future_seconds),
     "SECONDS",
     "refuse (422) an event dated more than this ahead of the server's clock, which would "
     "otherwise stand as the user's latest event; 0 accepts any date"},
    {"recent_anomalies", OPT_INT, "100000", 1, 1000000, 0, FIELD(recent_anomalies), "N",
     "anomalous verdicts kept for /api/v1/anomalies and the dashboard (about 1 KiB each)"},
    {"user_history", OPT_INT, "1000", 1, 1000000, 0, FIELD(user_history), "N",
     "most recent events kept per user for the user risk score"},
    {"user_window_days", OPT_DOUBLE, "30", 0.001, 36500, 0, FIELD(user_window_days), "DAYS",
     "the user risk score counts events this close to the user's latest one"},
    {"sessions", OPT_INT, "1024", 1, 100000, 0, FIELD(sessions), "N",
     "dashboard sessions held at once; past it the one closest to expiry is ended"},
    {"session_ttl", OPT_INT, "28800", 60, 604800, 0, FIELD(session_ttl), "SECONDS",
     "how long a dashboard sign-in lasts"},
    {"shutdown_timeout", OPT_INT, "10", 0, 3600, 0, FIELD(shutdown_timeout), "SECONDS",
     "at SIGTERM or SIGINT, time in-flight requests get to finish"},
    {"roles_max_users", OPT_INT, "20000", 2, 10000000, 0, FIELD(roles_max_users), "N",
     "role discovery fits k-means on at most this many users (a seeded sample beyond), then "
     "gives every user the nearest role"},
    {"drift_threshold", OPT_DOUBLE, "0.25", 0.001, 100, 0, FIELD(drift_threshold), "PSI",
     "population stability index of the live risk scores against the training ones at which "
     "the model's drift alert is raised"},
    {"drift_window", OPT_INT, "10000", 100, 10000000, 0, FIELD(drift_window), "N",
     "the live risk distribution is that of the N most recent events analysed"},
    {"drift_min_events", OPT_INT, "1000", 1, 10000000, 0, FIELD(drift_min_events), "N",
     "events the window must hold before the drift index is computed"},
    {"log_level", OPT_LOG_LEVEL, "info", 0, 0, 0, FIELD(log_level), "LEVEL",
     "least severe log lines written to standard error: debug, info (one per request), warn, "
     "error or off"},
    {"audit_log", OPT_STRING, "", 0, 0, 0, FIELD(audit_log), "FILE|off",
     "tamper-evident audit log (JSON lines, HMAC-chained); default: audit.jsonl in the store's "
     "directory (db), else in the model's; `off` turns it off, with a warning at every start"},
    {"audit_key_file", OPT_STRING, "", 0, 0, 0, FIELD(audit_key_file), "FILE",
     "the audit log's HMAC key (owner-only file, 32-256 bytes); default: the key itself in "
     "SENTINEL_AUDIT_KEY, else the file beside the log (audit.jsonl: audit.key), made owner-only "
     "at the first start"},
    {"audit_pseudonym_key_file", OPT_STRING, "", 0, 0, 0, FIELD(audit_pseudonym_key_file), "FILE",
     "key that pseudonymises user ids and addresses in the audit log; default: "
     "SENTINEL_AUDIT_PSEUDONYM_KEY, else recorded as they are"},
    {"audit_fsync_ms", OPT_INT, "1000", 0, 60000, 0, FIELD(audit_fsync_ms), "MS",
     "audit records are written at once; fdatasync at most every MS milliseconds (0: after "
     "every record)"},
    {"selfwatch_window", OPT_INT, "60", 1, 86400, 0, FIELD(selfwatch_window), "SECONDS",
     "the sliding window of the spikes the server watches in itself"},
    {"selfwatch_auth_failures_per_source", OPT_INT, "20", 0, 1000000, 0,
     FIELD(selfwatch_auth_failures_per_source), "N",
     "failed authentications from one address within the window that raise an alert (0: "
     "off)"},
    {"selfwatch_auth_failures", OPT_INT, "100", 0, 10000000, 0, FIELD(selfwatch_auth_failures), "N",
     "failed authentications from all addresses within the window that raise an alert"},
    {"selfwatch_rate_limited_per_key", OPT_INT, "50", 0, 1000000, 0,
     FIELD(selfwatch_rate_limited_per_key), "N",
     "rate-limited requests of one key (or address) within the window that raise an alert"},
    {"selfwatch_rate_limited", OPT_INT, "500", 0, 10000000, 0, FIELD(selfwatch_rate_limited), "N",
     "rate-limited requests of all callers within the window that raise an alert"},
    {"keys_file", OPT_STRING, "", 0, 0, 0, FIELD(keys_file), "FILE",
     "API keys written by `sentinel keys create` (owner-only file); re-read when it changes"},
    {"jwt_hs256_secret_file", OPT_STRING, "", 0, 0, 0, FIELD(jwt_hs256_secret_file), "FILE",
     "accept JWT bearer tokens signed with HS256 and this secret (owner-only file)"},
    {"jwt_public_key_file", OPT_STRING, "", 0, 0, 0, FIELD(jwt_public_key_file), "FILE",
     "accept JWT bearer tokens signed with RS256 or ES256, verified with this PEM public key"},
    {"jwt_algorithm", OPT_STRING, "", 0, 0, 0, FIELD(jwt_algorithm), "ALG",
     "HS256, RS256 or ES256: the only algorithm accepted; default HS256 with a secret file, "
     "RS256 with a public key"},
    {"jwt_issuer", OPT_STRING, "", 0, 0, 0, FIELD(jwt_issuer), "ISS",
     "tokens must carry exactly this `iss` claim (not checked when empty)"},
    {"jwt_audience", OPT_STRING, "", 0, 0, 0, FIELD(jwt_audience), "AUD",
     "tokens must name this audience in `aud` (not checked when empty)"},
    {"jwt_max_lifetime", OPT_INT, "900", 1, 86400, 0, FIELD(jwt_max_lifetime), "SECONDS",
     "longest token lifetime accepted: exp - iat (exp - now without iat)"},
    {"jwt_clock_skew", OPT_INT, "60", 0, 600, 0, FIELD(jwt_clock_skew), "SECONDS",
     "leeway for exp, nbf and iat against this server's clock"},
    {"insecure_no_auth", OPT_BOOL, "false", 0, 0, 0, FIELD(insecure_no_auth), "",
     "serve without authentication, every caller an admin: loopback addresses only, with a "
     "warning at every start"},
    {"rate_limit_general", OPT_RATE, "1000/hour", 0, 0, 0, FIELD(rate_general), "N/PERIOD",
     "requests per caller to all but the analysis and training endpoints (0: no limit)"},
    {"rate_limit_analysis", OPT_RATE, "100/minute", 0, 0, 0, FIELD(rate_analysis), "N/PERIOD",
     "requests per caller to /api/v1/analyze/* and /api/v1/predict/access (0: no limit)"},
    {"rate_limit_training", OPT_RATE, "1/hour", 0, 0, 0, FIELD(rate_training), "N/PERIOD",
     "requests per caller to endpoints that fit models: /api/v1/roles/discover (0: no limit)"},
    {"rate_limit_sources", OPT_INT, "100000", 16, 10000000, 0, FIELD(rate_limit_sources), "N",
     "callers whose rate is tracked at once; the idle are forgotten first"},
    {"tls_cert_file", OPT_STRING, "", 0, 0, 0, FIELD(tls_cert_file), "FILE",
     "serve HTTPS with this PEM certificate (chain); needs --tls-key-file"},
    {"tls_key_file", OPT_STRING, "", 0, 0, 0, FIELD(tls_key_file), "FILE",
     "the certificate's PEM private key (owner-only file)"},
    {"tls_min_version", OPT_STRING, "1.3", 0, 0, 0, FIELD(tls_min_version), "VERSION",
     "oldest TLS version accepted: 1.3, or 1.2 to also allow TLS 1.2"},
    {"cors_origins", OPT_STRING, "", 0, 0, 0, FIELD(cors_origins), "ORIGINS",
     "comma-separated origins (https://host[:port]) browsers may call from; none when empty"},
    {"cors_allow_credentials", OPT_BOOL, "false", 0, 0, 0, FIELD(cors_allow_credentials), "",
     "let those origins send credentials (Access-Control-Allow-Credentials: true)"},
    {"db", OPT_STRING, "", 0, 0, 0, FIELD(db), "PATH",
     "the store: every analysed event and verdict is committed there before the answer, and "
     "a restart continues from it; \"\" keeps nothing"},
    {"store_key_file", OPT_STRING, "", 0, 0, 0, FIELD(store_key_file), "FILE",
     "file holding the store and model key (64 hex digits, owner-only); default: the "
     "environment variable SENTINEL_STORE_KEY. The key itself is never a configuration value"},
    {"retention_days", OPT_INT, "0", 0, 36500, 0, FIELD(retention_days), "DAYS",
     "stored events, verdicts and alerts older than this are deleted; 0 keeps them"},
    {"retention_interval", OPT_INT, "3600", 1, 604800, 0, FIELD(retention_interval), "SECONDS",
     "time between two runs of the retention job"},
    {"snapshot_events", OPT_INT, "10000", 1, 100000000, 0, FIELD(snapshot_events), "N",
     "stored events between two snapshots of the baselines (a restart replays the events "
     "after the last one)"},
};

#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

static const opt_def *find_option(const char *name, size_t n)
{
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const char *o = options[i].name;
        size_t k = 0;
        /* '-' and '_' are one character here: --body-limit is body_limit. */
        while (k < n && o[k] && (o[k] == name[k] || (o[k] == '_' && name[k] == '-')))
            k++;
        if (k == n && !o[k])
            return &options[i];
    }
    return NULL;
}

/* A value as it may appear in a message: quoted, at most 60 bytes, controls escaped. */
static void quote(char *out, size_t cap, const char *s)
{
    size_t o = 0, i = 0;
    out[o++] = '\'';
    for (; i < 60 && s[i] && o + 6 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f || c >= 0x80 || c == '\'')
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
        else
            out[o++] = (char)c;
    }
    if (s[i] && o + 4 < cap) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o++] = '\'';
    out[o] = '\0';
}

bool sn_server_split_listen(const char *listen, char *host, size_t host_cap, int *port)
{
    const char *colon;
    const char *h = listen;
    size_t hn;
    if (listen[0] == '[') {
        const char *close = strchr(listen, ']');
        if (!close || close[1] != ':')
            return false;
        h = listen + 1;
        hn = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(listen, ':');
        if (!colon || memchr(listen, ':', (size_t)(colon - listen)))
            return false; /* an IPv6 address needs its brackets */
        hn = (size_t)(colon - listen);
    }
    if (hn == 0 || hn >= host_cap)
        return false;
    for (size_t i = 0; i < hn; i++)
        if (!isalnum((unsigned char)h[i]) && !strchr(".-:_%", h[i]))
            return false;
    const char *p = colon + 1;
    if (!*p || strlen(p) > 5)
        return false;
    int v = 0;
    for (; *p; p++) {
        if (!isdigit((unsigned char)*p))
            return false;
        v = v * 10 + (*p - '0');
    }
    if (v > 65535)
        return false;
    memcpy(host, h, hn);
    host[hn] = '\0';
    *port = v;
    return true;
}

static bool parse_size(const char *s, double *out)
{
    char *end;
    errno = 0;
    if (!isdigit((unsigned char)*s))
        return false;
    double v = strtod(s, &end);
    if (errno || end == s)
        return false;
    while (*end == ' ')
        end++;
    static const struct {
        const char *suffix;
        double mult;
    } units[] = {{"", 1},
                 {"b", 1},
                 {"k", 1024},
                 {"kb", 1024},
                 {"kib", 1024},
                 {"m", 1048576},
                 {"mb", 1048576},
                 {"mib", 1048576},
                 {"g", 1073741824.0},
                 {"gb", 1073741824.0},
                 {"gib", 1073741824.0}};
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (!strcasecmp(end, units[i].suffix)) {
            *out = floor(v * units[i].mult);
            return true;
        }
    return false;
}

/* Parses and stores one value; on a bad one returns false with why (without the option name). */
static bool apply(sn_server_config *c, const opt_def *o, const char *value, char *why, size_t n)
{
    char q[128];
    quote(q, sizeof(q), value);
    char *field = (char *)c + o->offset;
    char *end;
    double d;
    switch (o->type) {
    case OPT_STRING:
    case OPT_LISTEN:
        if (strlen(value) >= o->size) {
            snprintf(why, n, "longer than %zu bytes", o->size - 1);
            return false;
        }
        if (o->type == OPT_LISTEN) {
            char host[256];
            int port;
            if (!sn_server_split_listen(value, host, sizeof(host), &port)) {
                snprintf(why, n, "%s is not HOST:PORT (port 0-65535; [ADDRESS]:PORT for IPv6)", q);
                return false;
            }
        }
        memcpy(field, value, strlen(value) + 1);
        return true;
    case OPT_INT:
        errno = 0;
        d = (double)strtol(value, &end, 10);
        if (errno || end == value || *end || d < o->min || d > o->max) {
            snprintf(why, n, "%s is not an integer in [%.0f, %.0f]", q, o->min, o->max);
            return false;
        }
        {
            int iv = (int)d;
            memcpy(field, &iv, sizeof(iv));
        }
        return true;
    case OPT_SIZE:
        if (!parse_size(value, &d) || d < o->min || d > o->max) {
            snprintf(why, n, "%s is not a size in [%.0f, %.0f] bytes (suffixes KiB, MiB, GiB)", q,
                     o->min, o->max);
            return false;
        }
        {
            size_t sv = (size_t)d;
            memcpy(field, &sv, sizeof(sv));
        }
        return true;
    case OPT_LOG_LEVEL:
        for (int lv = SN_LOG_DEBUG; lv <= SN_LOG_OFF; lv++)
            if (!strcasecmp(value, sn_log_level_name((sn_log_level)lv))) {
                memcpy(field, &lv, sizeof(lv));
                return true;
            }
        snprintf(why, n, "%s is not one of debug, info, warn, error, off", q);
        return false;
    case OPT_BOOL: {
        static const char *const yes[] = {"true", "yes", "on", "1"};
        static const char *const no[] = {"false", "no", "off", "0"};
        for (size_t i = 0; i < 4; i++)
            if (!strcasecmp(value, yes[i]) || !strcasecmp(value, no[i])) {
                bool bv = !strcasecmp(value, yes[i]);
                memcpy(field, &bv, sizeof(bv));
                return true;
            }
        snprintf(why, n, "%s is not true or false", q);
        return false;
    }
    case OPT_RATE: {
        sn_rate r = {0, 3600};
        if (strcmp(value, "0") != 0 && strcasecmp(value, "off") != 0) {
            static const struct {
                const char *name;
                long seconds;
            } periods[] = {{"second", 1}, {"minute", 60}, {"hour", 3600}, {"day", 86400}};
            errno = 0;
            long count = isdigit((unsigned char)value[0]) ? strtol(value, &end, 10) : -1;
            r.period_s = 0;
            if (!errno && count >= 1 && count <= 10000000L && *end == '/')
                for (size_t i = 0; i < 4; i++)
                    if (!strcasecmp(end + 1, periods[i].name))
                        r.period_s = periods[i].seconds;
            if (!r.period_s) {
                snprintf(why, n, "%s is not N/second, N/minute, N/hour or N/day (N >= 1), or 0", q);
                return false;
            }
            r.count = count;
        }
        memcpy(field, &r, sizeof(r));
        return true;
    }
    case OPT_DOUBLE:
        if (!*value && (o->flags & OPT_EMPTY_UNSET)) {
            double nan = NAN;
            memcpy(field, &nan, sizeof(nan));
            return true;
        }
        errno = 0;
        d = strtod(value, &end);
        if (errno || end == value || *end || !(d >= o->min && d <= o->max)) {
            snprintf(why, n, "%s is not a number in [%g, %g]", q, o->min, o->max);
            return false;
        }
        memcpy(field, &d, sizeof(d));
        return true;
    }
    return false;
}

void sn_server_config_default(sn_server_config *c)
{
    memset(c, 0, sizeof(*c));
    char why[256];
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (options[i].def[0] || options[i].type == OPT_DOUBLE)
            apply(c, &options[i], options[i].def, why, sizeof(why));
}

static void env_name(const opt_def *o, char *out, size_t n)
{
    size_t k = (size_t)snprintf(out, n, "SENTINEL_");
    for (const char *p = o->name; *p && k + 1 < n; p++)
        out[k++] = (char)toupper((unsigned char)*p);
    out[k] = '\0';
}

/* ---- YAML: one mapping of scalar names to scalar values ---------------------------------- */

static sn_status yaml_fail(sn_error *err, const char *path, const yaml_mark_t *m, const char *field,
                           const char *msg)
{
    return sn_error_set(err, SN_ERR_USAGE, true, path, m ? (long)m->line + 1 : 0, field, "%s", msg);
}

static bool yaml_is_null(const yaml_event_t *ev)
{
    const char *v = (const char *)ev->data.scalar.value;
    return ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
           (!*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
            !strcmp(v, "NULL"));
}

static sn_status load_yaml(sn_server_config *c, const char *path, sn_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, "--config", "%s: cannot open: %s",
                            path, strerror(errno));
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        fclose(f);
        return sn_error_set(err, SN_ERR_NOMEM, true, path, 0, NULL, "out of memory");
    }
    yaml_parser_set_input_file(&parser, f);
    bool seen[N_OPTIONS] = {false};
    const opt_def *key = NULL;
    int depth = 0, documents = 0;
    sn_status st = SN_OK;
    char why[512];
    for (bool done = false; !done && st == SN_OK;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            snprintf(why, sizeof(why), "not valid YAML: %s",
                     parser.problem ? parser.problem : "syntax error");
            st = yaml_fail(err, path, &parser.problem_mark, NULL, why);
            break;
        }
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (++documents > 1)
                st = yaml_fail(err, path, &ev.start_mark, NULL, "only one YAML document allowed");
            break;
        case YAML_MAPPING_START_EVENT:
            if (depth++ > 0)
                st = yaml_fail(err, path, &ev.start_mark, key ? key->name : NULL,
                               "expected a single value, got a mapping");
            break;
        case YAML_MAPPING_END_EVENT:
            depth--;
            break;
        case YAML_SEQUENCE_START_EVENT:
            st = yaml_fail(err, path, &ev.start_mark, key ? key->name : NULL,
                           depth ? "expected a single value, got a list"
                                 : "expected a mapping of option names to values");
            break;
        case YAML_ALIAS_EVENT:
            st = yaml_fail(err, path, &ev.start_mark, key ? key->name : NULL,
                           "aliases are not supported");
            break;
        case YAML_SCALAR_EVENT: {
            const char *v = (const char *)ev.data.scalar.value;
            if (depth == 0) {
                if (!yaml_is_null(&ev))
                    st = yaml_fail(err, path, &ev.start_mark, NULL,
                                   "expected a mapping of option names to values");
            } else if (!key) {
                key = find_option(v, strlen(v));
                if (!key || strchr(v, '-')) {
                    char q[128];
                    quote(q, sizeof(q), v);
                    snprintf(why, sizeof(why), "unknown option %s (names are written with '_')", q);
                    st = yaml_fail(err, path, &ev.start_mark, NULL, why);
                } else if (key->flags & OPT_NOT_IN_FILE) {
                    st = yaml_fail(err, path, &ev.start_mark, key->name,
                                   "can only be given on the command line or in the environment");
                } else if (seen[key - options]) {
                    st = yaml_fail(err, path, &ev.start_mark, key->name, "given twice");
                }
                if (key)
                    seen[key - options] = true;
            } else {
                const char *value = yaml_is_null(&ev) ? "" : v;
                if (!apply(c, key, value, why, sizeof(why)))
                    st = yaml_fail(err, path, &ev.start_mark, key->name, why);
                key = NULL;
            }
            break;
        }
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    fclose(f);
    return st;
}

/* ---- Command line ------------------------------------------------------------------------ */

/* Splits argv[*i] into an option and its value (the next argument or after '='). Returns the
 * option or NULL with err filled. */
static const opt_def *cli_option(int argc, char **argv, int *i, const char **value, sn_error *err)
{
    const char *a = argv[*i];
    if (a[0] != '-' || a[1] != '-' || !a[2]) {
        sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, NULL,
                     "unexpected argument '%.60s' (options are --name VALUE)", a);
        return NULL;
    }
    const char *name = a + 2;
    const char *eq = strchr(name, '=');
    size_t n = eq ? (size_t)(eq - name) : strlen(name);
    const opt_def *o = find_option(name, n);
    if (!o) {
        sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, NULL,
                     "unknown option '--%.*s' (see sentinel serve --help)", (int)(n > 60 ? 60 : n),
                     name);
        return NULL;
    }
    if (eq) {
        *value = eq + 1;
    } else if (o->type == OPT_BOOL) {
        *value = "true"; /* a flag: --insecure-no-auth */
    } else if (*i + 1 < argc) {
        *value = argv[++*i];
    } else {
        sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, NULL, "--%.*s needs a value", (int)n, name);
        return NULL;
    }
    return o;
}

static void cli_name(const opt_def *o, char *out, size_t n)
{
    size_t k = (size_t)snprintf(out, n, "--");
    for (const char *p = o->name; *p && k + 1 < n; p++)
        out[k++] = *p == '_' ? '-' : *p;
    out[k] = '\0';
}

sn_status sn_server_config_parse(sn_server_config *c, int argc, char **argv, bool *help,
                                 sn_error *err)
{
    *help = false;
    sn_error_clear(err);
    sn_server_config_default(c);
    /* First pass: --help wins over everything; --config must be read before the rest. */
    const char *config = getenv("SENTINEL_CONFIG");
    const char *config_from = "SENTINEL_CONFIG";
    if (config && !*config)
        config = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            *help = true;
            return SN_OK;
        }
    }
    for (int i = 1; i < argc; i++) {
        const char *value;
        const opt_def *o = cli_option(argc, argv, &i, &value, err);
        if (!o)
            return SN_ERR_USAGE;
        if (!strcmp(o->name, "config")) {
            config = value;
            config_from = "--config";
        }
    }
    char why[512], name[64];
    if (config) {
        if (!*config)
            return sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, config_from, "empty file name");
        if (!apply(c, find_option("config", 6), config, why, sizeof(why)))
            return sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, config_from, "%s", why);
        sn_status st = load_yaml(c, config, err);
        if (st != SN_OK)
            return st;
    }
    for (size_t i = 0; i < N_OPTIONS; i++) {
        env_name(&options[i], name, sizeof(name));
        const char *v = getenv(name);
        if (v && *v && !apply(c, &options[i], v, why, sizeof(why)))
            return sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, name, "%s", why);
    }
    for (int i = 1; i < argc; i++) {
        const char *value;
        const opt_def *o = cli_option(argc, argv, &i, &value, err);
        if (!o)
            return SN_ERR_USAGE;
        if (!apply(c, o, value, why, sizeof(why))) {
            cli_name(o, name, sizeof(name));
            return sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, name, "%s", why);
        }
    }
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const opt_def *o = &options[i];
        if ((o->flags & OPT_REQUIRED) && !*((const char *)c + o->offset)) {
            char env[64];
            cli_name(o, name, sizeof(name));
            env_name(o, env, sizeof(env));
            return sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, name,
                                "required (or %s in the environment, or %s: in the config file)",
                                env, o->name);
        }
    }
    return SN_OK;
}

void sn_server_config_help(FILE *out)
{
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const opt_def *o = &options[i];
        char name[64], env[64], left[96];
        cli_name(o, name, sizeof(name));
        env_name(o, env, sizeof(env));
        snprintf(left, sizeof(left), o->arg[0] ? "%s %s" : "%s%s", name, o->arg);
        fprintf(out, "  %-28s %s\n", left, o->help);
        char def[96];
        if (o->def[0])
            snprintf(def, sizeof(def), "default %s; ", o->def);
        else
            def[0] = '\0';
        if (o->flags & OPT_NOT_IN_FILE)
            fprintf(out, "  %-28s (%s%s)\n", "", def, env);
        else
            fprintf(out, "  %-28s (%s%s; %s: in the file)\n", "", def, env, o->name);
    }
}

void sn_server_config_digest(const sn_server_config *c, char out[65])
{
    char text[8192];
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    for (size_t i = 0; ok && i < N_OPTIONS; i++) {
        const opt_def *o = &options[i];
        const char *field = (const char *)c + o->offset;
        int n = 0;
        switch (o->type) {
        case OPT_STRING:
        case OPT_LISTEN:
            n = snprintf(text, sizeof(text), "%s: %s\n", o->name, field);
            break;
        case OPT_INT:
        case OPT_LOG_LEVEL: {
            int v;
            memcpy(&v, field, sizeof(v));
            if (o->type == OPT_LOG_LEVEL)
                n = snprintf(text, sizeof(text), "%s: %s\n", o->name,
                             sn_log_level_name((sn_log_level)v));
            else
                n = snprintf(text, sizeof(text), "%s: %d\n", o->name, v);
            break;
        }
        case OPT_SIZE: {
            size_t v;
            memcpy(&v, field, sizeof(v));
            n = snprintf(text, sizeof(text), "%s: %zu\n", o->name, v);
            break;
        }
        case OPT_DOUBLE: {
            double v;
            memcpy(&v, field, sizeof(v));
            n = isnan(v) ? snprintf(text, sizeof(text), "%s: \n", o->name)
                         : snprintf(text, sizeof(text), "%s: %.17g\n", o->name, v);
            break;
        }
        case OPT_BOOL: {
            bool v;
            memcpy(&v, field, sizeof(v));
            n = snprintf(text, sizeof(text), "%s: %s\n", o->name, v ? "true" : "false");
            break;
        }
        case OPT_RATE: {
            sn_rate v;
            memcpy(&v, field, sizeof(v));
            n = snprintf(text, sizeof(text), "%s: %ld/%lds\n", o->name, v.count, v.period_s);
            break;
        }
        }
        size_t len = n < 0 ? 0 : (size_t)n < sizeof(text) ? (size_t)n : sizeof(text) - 1;
        ok = EVP_DigestUpdate(ctx, text, len);
    }
    ok = ok && EVP_DigestFinal_ex(ctx, md, &md_len) && md_len == 32;
    EVP_MD_CTX_free(ctx);
    static const char hex[] = "0123456789abcdef";
    for (unsigned i = 0; ok && i < 32; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[ok ? 64 : 0] = '\0';
}

/* A loopback address: 127.0.0.0/8, ::1 or localhost. */
static bool is_loopback(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (!strcasecmp(host, "localhost"))
        return true;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6);
    return false;
}

sn_status sn_server_config_check(const sn_server_config *c, sn_error *err)
{
    bool credential = c->keys_file[0] || c->jwt_hs256_secret_file[0] || c->jwt_public_key_file[0];
    if (c->insecure_no_auth) {
        char host[256];
        int port;
        if (!sn_server_split_listen(c->listen, host, sizeof(host), &port) || !is_loopback(host))
            return sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, "--insecure-no-auth",
                                "serving without authentication is only allowed on a loopback "
                                "address (127.0.0.1, [::1], localhost), not on '%.60s'",
                                c->listen);
    } else if (!credential) {
        return sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, "--keys-file",
                            "no credential is configured: give --keys-file (see `sentinel keys "
                            "create`), --jwt-hs256-secret-file or --jwt-public-key-file, or "
                            "--insecure-no-auth to serve on loopback without authentication");
    }
    if (c->jwt_hs256_secret_file[0] && c->jwt_public_key_file[0])
        return sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, "--jwt-public-key-file",
                            "give either --jwt-hs256-secret-file or --jwt-public-key-file");
    if (c->jwt_algorithm[0]) {
        bool hs = !strcmp(c->jwt_algorithm, "HS256");
        bool pk = !strcmp(c->jwt_algorithm, "RS256") || !strcmp(c->jwt_algorithm, "ES256");
        if (!hs && !pk)
            return sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, "--jwt-algorithm",
                                "'%.20s' is not HS256, RS256 or ES256", c->jwt_algorithm);
        if ((hs && c->jwt_public_key_file[0]) || (pk && c->jwt_hs256_secret_file[0]))
            return sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, "--jwt-algorithm",
                                "%s does not go with the key file given (HS256 takes "
                                "--jwt-hs256-secret-file; RS256 and ES256 --jwt-public-key-file)",
                                c->jwt_algorithm);
    }
    if (!c->tls_cert_file[0] != !c->tls_key_file[0])
        return sn_error_set(err, SN_ERR_USAGE, true, NULL, 0,
                            c->tls_cert_file[0] ? "--tls-key-file" : "--tls-cert-file",
                            "TLS needs both --tls-cert-file and --tls-key-file");
    if (strcmp(c->tls_min_version, "1.3") != 0 && strcmp(c->tls_min_version, "1.2") != 0)
        return sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, "--tls-min-version",
                            "'%.8s' is not 1.3 or 1.2", c->tls_min_version);
    if (strchr(c->cors_origins, '*'))
        return sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, "--cors-origins",
                            "list the exact origins allowed; a wildcard is refused");
    return SN_OK;
}
