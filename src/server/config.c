/* The server's options: one declarative table (name, type, default, bounds, help) read from a
 * YAML file, the environment and the command line alike, and printed by `sentinel serve --help`.
 * Later sources override earlier ones: defaults < file < environment < command line. */
#include "server.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

typedef enum opt_type {
    OPT_STRING,
    OPT_LISTEN, /* HOST:PORT */
    OPT_INT,
    OPT_SIZE, /* bytes, with an optional KiB/MiB/GiB suffix */
    OPT_DOUBLE,
    OPT_LOG_LEVEL, /* debug, info, warn, error or off */
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
    {"recent_anomalies", OPT_INT, "1000", 1, 1000000, 0, FIELD(recent_anomalies), "N",
     "anomalous verdicts kept for /api/v1/anomalies"},
    {"user_history", OPT_INT, "1000", 1, 1000000, 0, FIELD(user_history), "N",
     "most recent events kept per user for the user risk score"},
    {"user_window_days", OPT_DOUBLE, "30", 0.001, 36500, 0, FIELD(user_window_days), "DAYS",
     "the user risk score counts events this close to the user's latest one"},
    {"shutdown_timeout", OPT_INT, "10", 0, 3600, 0, FIELD(shutdown_timeout), "SECONDS",
     "at SIGTERM or SIGINT, time in-flight requests get to finish"},
    {"log_level", OPT_LOG_LEVEL, "info", 0, 0, 0, FIELD(log_level), "LEVEL",
     "least severe log lines written to standard error: debug, info (one per request), warn, "
     "error or off"},
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
        snprintf(left, sizeof(left), "%s %s", name, o->arg);
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
