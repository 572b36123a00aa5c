/* Streaming inputs with bad-record reports and progress; training from an input. */
#include "pipeline.h"
#include "relay.h"

#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int sn_cli_each_event(const sn_input_opts *opts, sn_event_fn fn, void *ctx, sn_input_counts *counts)
{
    sn_reader *r = NULL;
    sn_error err;
    sn_error_clear(&err);
    memset(counts, 0, sizeof(*counts));
    if (sn_reader_open_opts(&r, opts->path, opts->format, &opts->reader, &err) != SN_OK) {
        char msg[1024];
        sn_error_format(&err, msg, sizeof(msg));
        fprintf(stderr, "sentinel: %s\n", msg);
        return SN_EXIT_FAIL;
    }
    bool progress = opts->progress && isatty(STDERR_FILENO);
    double next_report = now_seconds() + 0.5;
    /* 0 means the default; negative means report none (a second pass over the same input). */
    long max_shown = opts->max_errors_shown == 0 ? 1000 : opts->max_errors_shown;
    if (max_shown < 0)
        max_shown = 0;
    const char *base = strrchr(opts->path, '/');
    base = base ? base + 1 : opts->path;
    if (!strcmp(opts->path, "-"))
        base = "stdin"; /* ids made from positions read stdin:LINE */
    int64_t prev_ts = INT64_MIN;
    int rc = 0;
    for (;;) {
        sn_event ev;
        sn_status s = sn_reader_next(r, &ev, &err);
        if (s == SN_EOF)
            break;
        if (s != SN_OK) {
            char msg[1024];
            sn_error_format(&err, msg, sizeof(msg));
            if (err.fatal) {
                fprintf(stderr, "sentinel: %s\n", msg);
                rc = SN_EXIT_FAIL;
                break;
            }
            if (++counts->skipped <= max_shown)
                fprintf(stderr, "%s\n", msg);
            else if (counts->skipped == max_shown + 1 && opts->max_errors_shown >= 0)
                fprintf(stderr, "sentinel: further bad records are counted, not shown\n");
            continue;
        }
        counts->records++;
        if (ev.ts_us < prev_ts)
            counts->out_of_order++;
        else
            prev_ts = ev.ts_us;
        char idbuf[300];
        const char *id;
        if (ev.event_id.n) {
            size_t n = ev.event_id.n < sizeof(idbuf) - 1 ? ev.event_id.n : sizeof(idbuf) - 1;
            memcpy(idbuf, ev.event_id.p, n);
            idbuf[n] = '\0';
            id = idbuf;
        } else {
            snprintf(idbuf, sizeof(idbuf), "%s:%ld", base, ev.src_line);
            id = idbuf;
        }
        int frc = fn(ctx, &ev, id);
        if (frc) {
            rc = frc;
            break;
        }
        if (progress && (counts->records & 0xffff) == 0 && now_seconds() >= next_report) {
            next_report = now_seconds() + 0.5;
            fprintf(stderr, "\r%s: %ld events, %ld skipped", opts->phase ? opts->phase : "reading",
                    counts->records, counts->skipped);
        }
    }
    if (progress)
        fprintf(stderr, "\r\033[K");
    counts->ignored = sn_reader_get_stats(r)->ignored;
    sn_reader_close(r);
    return rc;
}

sn_event_batch *sn_event_batch_new(void)
{
    sn_event_batch *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    b->arena = malloc((size_t)SN_ANALYSE_BLOCK * SN_MAX_RECORD);
    if (!b->arena) {
        free(b);
        return NULL;
    }
    return b;
}

void sn_event_batch_free(sn_event_batch *b)
{
    if (!b)
        return;
    free(b->arena);
    free(b);
}

bool sn_event_batch_add(sn_event_batch *b, const sn_event *ev, const char *event_id)
{
    size_t cap = (size_t)SN_ANALYSE_BLOCK * SN_MAX_RECORD - b->used;
    size_t used = sn_event_copy(&b->ev[b->n], ev, b->arena + b->used, cap);
    if (used == (size_t)-1) {
        /* Cannot happen for records within SN_MAX_RECORD; keep the event without its
         * optional context rather than lose it. */
        sn_event *c = &b->ev[b->n];
        *c = *ev;
        c->username = c->user_agent = c->session_id = c->raw_timestamp = c->raw_ip = (sn_str){0};
        used = sn_event_copy(c, c, b->arena + b->used, cap);
        if (used == (size_t)-1)
            used = 0;
    }
    b->used += used;
    if (ev->src_file && strcmp(ev->src_file, b->file) != 0)
        snprintf(b->file, sizeof(b->file), "%s", ev->src_file);
    b->ev[b->n].src_file = ev->src_file ? b->file : NULL;
    size_t idlen = strnlen(event_id, SN_EVENT_ID_MAX - 1);
    memcpy(b->id[b->n], event_id, idlen);
    b->id[b->n][idlen] = '\0';
    b->n++;
    return b->n == SN_ANALYSE_BLOCK;
}

int sn_event_batch_analyse(sn_event_batch *b, sn_engine *e)
{
    sn_error err;
    if (b->n && sn_engine_analyse_many(e, b->ev, b->n, b->verdict, &err) != SN_OK) {
        char msg[1024];
        sn_error_format(&err, msg, sizeof(msg));
        fprintf(stderr, "sentinel: %s\n", msg);
        return SN_EXIT_FAIL;
    }
    return 0;
}

typedef struct learn_ctx {
    sn_engine *engine;
    sn_error err;
} learn_ctx;

/* The learning thread's stage. */
static int learn_batch(void *ctx, sn_event_batch *b)
{
    learn_ctx *lc = ctx;
    for (size_t i = 0; i < b->n; i++)
        if (sn_engine_learn(lc->engine, &b->ev[i], &lc->err) != SN_OK) {
            char msg[1024];
            sn_error_format(&lc->err, msg, sizeof(msg));
            fprintf(stderr, "sentinel: %s\n", msg);
            return SN_EXIT_FAIL;
        }
    return 0;
}

static int learned(void *ctx, sn_event_batch *b)
{
    (void)ctx;
    (void)b;
    return 0;
}

sn_engine *sn_cli_train(const sn_input_opts *opts, const sn_engine_config *cfg,
                        sn_input_counts *counts)
{
    learn_ctx lc = {.engine = sn_engine_new(cfg)};
    if (!lc.engine) {
        fprintf(stderr, "sentinel: out of memory\n");
        return NULL;
    }
    sn_input_opts o = *opts;
    o.phase = "learning";
    /* Parsing on this thread, learning on another. */
    sn_relay *relay = sn_relay_start(learn_batch, learned, &lc);
    int rc = relay ? sn_cli_each_event(&o, sn_relay_offer, relay, counts) : SN_EXIT_FAIL;
    if (relay) {
        int stages = sn_relay_finish(relay);
        rc = rc ? rc : stages;
    }
    if (rc != 0) {
        sn_engine_free(lc.engine);
        return NULL;
    }
    if (counts->records == 0) {
        fprintf(stderr, "sentinel: %s: no valid events to learn from\n", opts->path);
        sn_engine_free(lc.engine);
        return NULL;
    }
    if (sn_engine_fit(lc.engine, &lc.err) != SN_OK) {
        char msg[1024];
        sn_error_format(&lc.err, msg, sizeof(msg));
        fprintf(stderr, "sentinel: %s: %s\n", opts->path, msg);
        sn_engine_free(lc.engine);
        return NULL;
    }
    return lc.engine;
}

int sn_cli_shared_option(int c, const char *name, const char *arg, const char *command,
                         sn_input_opts *in, sn_engine_config *cfg)
{
    long v;
    switch (c) {
    case 'f':
        if (sn_format_from_name(arg, &in->format) != 0) {
            fprintf(stderr, "sentinel %s: unknown format '%s' (" SN_FORMAT_NAMES ")\n", command,
                    arg);
            return -1;
        }
        return 1;
    case 'E':
        if (sn_cli_parse_long("max-errors", arg, 0, 1000000000L, &v) < 0)
            return -1;
        in->max_errors_shown = v > 0 ? v : -1;
        return 1;
    case SN_OPT_INPUT:
        return sn_cli_input_option(in, name, arg) < 0 ? -1 : 1;
    case SN_OPT_ENGINE:
        return sn_cli_engine_option(cfg, name, arg) < 0 ? -1 : 1;
    default:
        return 0;
    }
}

int sn_cli_input_option(sn_input_opts *in, const char *name, const char *value)
{
    sn_reader_options o = in->reader;
    if (!strcmp(name, "year")) {
        long y;
        if (sn_cli_parse_long(name, value, 1970, 9999, &y) < 0)
            return -1;
        o.year = (int)y;
    } else if (!strcmp(name, "timezone")) {
        o.timezone = value;
    } else {
        return 0;
    }
    sn_error err;
    if (sn_reader_options_check(&o, &err) != SN_OK) {
        fprintf(stderr, "sentinel: --%s: %s\n", name, err.msg);
        return -1;
    }
    in->reader = o;
    return 1;
}

sn_engine *sn_cli_engine_for(const sn_input_opts *in, const char *model,
                             const sn_engine_config *cfg, const char *command)
{
    return sn_cli_engine_for_keyed(in, model, NULL, cfg, command);
}

sn_engine *sn_cli_engine_for_keyed(const sn_input_opts *in, const char *model,
                                   const unsigned char *model_key, const sn_engine_config *cfg,
                                   const char *command)
{
    if (!model) {
        sn_input_counts learned;
        sn_engine *e = sn_cli_train(in, cfg, &learned);
        if (e)
            sn_engine_reset_history(e);
        return e;
    }
    sn_engine *e = NULL;
    sn_error err;
    if (sn_engine_load_keyed(&e, model, model_key, &err) != SN_OK) {
        char msg[1024];
        sn_error_format(&err, msg, sizeof(msg));
        fprintf(stderr, "sentinel %s: %s\n", command, msg);
        return NULL;
    }
    return e;
}

int sn_cli_shared_or_usage(int c, const struct option *longopts, int idx, char **argv,
                           const char *usage, sn_input_opts *in, sn_engine_config *cfg,
                           bool *engine_option)
{
    int r =
        sn_cli_shared_option(c, c == SN_OPT_ENGINE || c == SN_OPT_INPUT ? longopts[idx].name : NULL,
                             optarg, argv[0], in, cfg);
    if (r < 0)
        return SN_EXIT_USAGE;
    if (r == 0) {
        /* usage is one of the commands' own constant texts, with one %s for the engine help */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        fprintf(stderr, usage, sn_cli_engine_help);
#pragma GCC diagnostic pop
        return SN_EXIT_USAGE;
    }
    if (engine_option)
        *engine_option = c == SN_OPT_ENGINE;
    return 0;
}

const char sn_cli_engine_help[] =
    "detection options:\n"
    "  --threshold RISK       alert when the risk score reaches RISK (0-100; default 50)\n"
    "  --prior-bits BITS      prior odds 2^-BITS that an event is not the user's normal\n"
    "                         behaviour; sets where evidence becomes risk (default 10)\n"
    "  --contamination SHARE  alert on a fixed share of training events instead (0-0.5)\n"
    "  --trees N              Isolation Forest trees (default 100)\n"
    "  --psi N                Isolation Forest subsample size (default 256)\n"
    "  --seed N               seed of every random choice (default 42)\n"
    "  --train-filter SHARE   poisoning defence: leave this share of the training events a\n"
    "                         first forest isolates most out of the forest (0-0.5; default\n"
    "                         0.01; 0: off)\n"
    "  --forest-every-event   score the Isolation Forest on every event; by default it is\n"
    "                         skipped where it cannot change the level (scores below LOW)\n"
    "  --suspicious-countries LIST  ISO codes counted as suspicious locations\n"
    "                         (default KP,IR,RU,CN,NG,SY,CU)\n"
    "  --aws-accounts LIST    the organisation's AWS accounts (12-digit ids, comma-separated)\n"
    "                         besides those the logs show; a request by any other account\n"
    "                         into its resources is an alert (default none)\n"
    "  --travel-km KM         impossible travel only over at least KM (default 500)\n"
    "  --travel-kmh KMH       ... and faster than KMH (default 900, an airliner)\n"
    "  --burst-seconds S      horizon of the failure and new-resource bursts (default 600)\n"
    "  --failures N           failures of one account within it that count (default 5)\n"
    "  --spray-accounts N     accounts failing from one source that count (default 3)\n"
    "  --new-resources N      resources new to one account that count (default 5)\n"
    "  --guess-failures N     failures before a success that count (default 3)\n";

int sn_cli_parse_long(const char *name, const char *value, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = value ? strtol(value, &end, 10) : 0;
    if (!value || errno || end == value || *end || v < lo || v > hi) {
        fprintf(stderr, "sentinel: --%s: '%s' is not a whole number in [%ld, %ld]\n", name,
                value ? value : "", lo, hi);
        return -1;
    }
    *out = v;
    return 1;
}

int sn_cli_check_distinct(const char *input, const char *output, const char *what)
{
    struct stat a, b;
    if (!input || !output || strcmp(input, "-") == 0)
        return 0;
    if (stat(input, &a) == 0 && stat(output, &b) == 0 && a.st_dev == b.st_dev &&
        a.st_ino == b.st_ino && S_ISREG(a.st_mode)) {
        fprintf(stderr,
                "sentinel: %s: the %s is the input file; writing it would destroy the "
                "input\n",
                output, what);
        return -1;
    }
    return 0;
}

int sn_cli_check_rereadable(const char *input, const char *command)
{
    struct stat st;
    if (strcmp(input, "-") != 0 && stat(input, &st) == 0 && !S_ISREG(st.st_mode) &&
        !S_ISDIR(st.st_mode)) {
        fprintf(stderr,
                "sentinel %s: %s: not a regular file; without --model the input is read twice "
                "(learn, then score), so it must be a regular file (or train a model first)\n",
                command, input);
        return -1;
    }
    return 0;
}

static int parse_double(const char *name, const char *value, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(value, &end);
    if (errno || end == value || *end || !(d >= lo && d <= hi)) {
        fprintf(stderr, "sentinel: --%s: '%s' is not a number in [%.15g, %.15g]\n", name, value, lo,
                hi);
        return -1;
    }
    *out = d;
    return 1;
}

int sn_cli_engine_option(sn_engine_config *cfg, const char *name, const char *value)
{
    if (!strcmp(name, "threshold"))
        return parse_double(name, value, 0, 100, &cfg->alert_threshold);
    if (!strcmp(name, "prior-bits"))
        return parse_double(name, value, 0, 64, &cfg->prior_bits);
    if (!strcmp(name, "travel-km"))
        return parse_double(name, value, 0, 20100, &cfg->travel_km);
    if (!strcmp(name, "travel-kmh"))
        return parse_double(name, value, 1, 1e6, &cfg->travel_kmh);
    if (!strcmp(name, "failures"))
        return parse_double(name, value, 1, 1e6, &cfg->user_failures);
    if (!strcmp(name, "spray-accounts"))
        return parse_double(name, value, 2, 1e6, &cfg->spray_accounts);
    if (!strcmp(name, "new-resources"))
        return parse_double(name, value, 1, 1e6, &cfg->new_resources);
    if (!strcmp(name, "guess-failures"))
        return parse_double(name, value, 1, 1e6, &cfg->guess_failures);
    if (!strcmp(name, "burst-seconds"))
        return parse_double(name, value, 1, 86400, &cfg->profile.burst_seconds);
    if (!strcmp(name, "contamination"))
        return parse_double(name, value, 0, 0.5, &cfg->contamination);
    if (!strcmp(name, "train-filter"))
        return parse_double(name, value, 0, 0.5, &cfg->train_filter);
    long l;
    if (!strcmp(name, "trees")) {
        if (sn_cli_parse_long(name, value, 1, 10000, &l) < 0)
            return -1;
        cfg->trees = (int)l;
        return 1;
    }
    if (!strcmp(name, "psi")) {
        if (sn_cli_parse_long(name, value, 2, 65536, &l) < 0)
            return -1;
        cfg->psi = (int)l;
        return 1;
    }
    if (!strcmp(name, "seed")) {
        char *end;
        errno = 0;
        unsigned long long seed = strtoull(value, &end, 10);
        if (errno || end == value || *end || value[0] == '-') {
            fprintf(stderr, "sentinel: --seed: '%s' is not a whole number >= 0\n", value);
            return -1;
        }
        cfg->seed = (uint64_t)seed;
        return 1;
    }
    if (!strcmp(name, "forest-every-event")) {
        cfg->forest_every_event = true;
        return 1;
    }
    if (!strcmp(name, "suspicious-countries")) {
        if (strlen(value) >= sizeof(cfg->suspicious_countries)) {
            fprintf(stderr, "sentinel: --%s: list too long\n", name);
            return -1;
        }
        /* Comma-separated two-letter codes, nothing else. */
        for (const char *p = value; *p;) {
            if (!isalpha((unsigned char)p[0]) || !isalpha((unsigned char)p[1]) ||
                (p[2] != ',' && p[2] != '\0') || (p[2] == ',' && p[3] == '\0')) {
                fprintf(stderr,
                        "sentinel: --%s: '%s' is not a comma-separated list of two-letter "
                        "country codes\n",
                        name, value);
                return -1;
            }
            p += p[2] == ',' ? 3 : 2;
        }
        snprintf(cfg->suspicious_countries, sizeof(cfg->suspicious_countries), "%s", value);
        return 1;
    }
    if (!strcmp(name, "aws-accounts")) {
        if (strlen(value) >= sizeof(cfg->aws_accounts)) {
            fprintf(stderr, "sentinel: --%s: list too long (at most %zu accounts)\n", name,
                    sizeof(cfg->aws_accounts) / 13);
            return -1;
        }
        /* Comma-separated ids of exactly 12 digits, nothing else. */
        for (const char *p = value; *p;) {
            size_t k = strspn(p, "0123456789");
            if (k != 12 || (p[k] != ',' && p[k] != '\0') || (p[k] == ',' && p[k + 1] == '\0')) {
                fprintf(stderr,
                        "sentinel: --%s: '%s' is not a comma-separated list of 12-digit AWS "
                        "account ids\n",
                        name, value);
                return -1;
            }
            p += p[k] == ',' ? k + 1 : k;
        }
        snprintf(cfg->aws_accounts, sizeof(cfg->aws_accounts), "%s", value);
        return 1;
    }
    return 0;
}
