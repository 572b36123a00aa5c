/* `sentinel generate`: writes a seeded, labelled synthetic access log in the reference CSV
 * format (the engine is in src/gen). */
#include "cli.h"

#include "gen/gen.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    OPT_USERS = 'u',
    OPT_EVENTS = 'e',
    OPT_RATE = 'r',
    OPT_PER_USER = 'a',
    OPT_SEED = 's',
    OPT_START = 'S',
    OPT_DAYS = 'd',
    OPT_OUTPUT = 'o',
    OPT_TOTAL = 't',
    OPT_QUIET = 'q',
    OPT_HELP = 'h',
};

/* One table drives parsing and --help. */
typedef struct option_spec {
    const char *name;
    int key;
    const char *arg; /* NULL: takes no argument */
    const char *help;
} option_spec;

static const option_spec specs[] = {
    {"users", OPT_USERS, "N", "number of users (default 200)"},
    {"events-per-user", OPT_EVENTS, "N",
     "scheduled events per user, a mean (default 50); as in the reference data, weekend ones are "
     "mostly dropped, so about 0.74 N appear"},
    {"anomaly-user-rate", OPT_RATE, "F",
     "share of users who are compromised, 0..1 (default 0.30, as measured on the reference "
     "data)"},
    {"anomalies-per-user", OPT_PER_USER, "N",
     "labelled events per compromised user, 0..100 (default 3, as in the reference data)"},
    {"seed", OPT_SEED, "N", "random seed (default 42); same seed and options, same bytes"},
    {"start", OPT_START, "YYYY-MM-DD", "first day (default 2026-09-04)"},
    {"days", OPT_DAYS, "N", "length of the period in days (default 91)"},
    {"total", OPT_TOTAL, "N",
     "write about N events in all, choosing --events-per-user (not with --events-per-user)"},
    {"output", OPT_OUTPUT, "FILE", "write to FILE instead of standard output"},
    {"quiet", OPT_QUIET, NULL, "do not print the summary on standard error"},
    {"help", OPT_HELP, NULL, "show this help"},
};
#define NSPECS (sizeof(specs) / sizeof(specs[0]))

static void usage(FILE *f, const char *prog)
{
    fprintf(f,
            "usage: %s [OPTIONS]\n\n"
            "Writes a synthetic access log with anomaly labels, as CSV with the header\n"
            "event_id,user_id,username,department,job_title,resource,action,timestamp,\n"
            "source_ip,location,success,is_anomaly,anomaly_type\n"
            "in time order, with the distributions of the reference system's generator.\n\n"
            "options:\n",
            prog);
    for (size_t i = 0; i < NSPECS; i++) {
        char left[64];
        snprintf(left, sizeof(left), "--%s%s%s", specs[i].name, specs[i].arg ? " " : "",
                 specs[i].arg ? specs[i].arg : "");
        fprintf(f, "  %-26s", left);
        /* Wrap the help text at word boundaries into a 60-column right-hand side. */
        const char *h = specs[i].help;
        while (*h) {
            size_t n = strlen(h);
            if (n > 60) {
                n = 60;
                while (n > 0 && h[n] != ' ')
                    n--;
                if (n == 0)
                    n = 60;
            }
            fprintf(f, " %.*s\n", (int)n, h);
            h += n;
            while (*h == ' ')
                h++;
            if (*h)
                fprintf(f, "  %-26s", "");
        }
    }
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    if (!*s || *s == '-' || *s == '+')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max)
        return -1;
    *out = v;
    return 0;
}

static int parse_double(const char *s, double lo, double hi, double *out)
{
    if (!*s)
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v) || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int bad_value(const char *prog, const char *opt, const char *value, const char *want)
{
    fprintf(stderr, "%s: --%s '%s': %s\n", prog, opt, value, want);
    return SN_EXIT_USAGE;
}

static void print_error(const char *prog, const sn_error *err)
{
    char msg[1024];
    sn_error_format(err, msg, sizeof(msg));
    fprintf(stderr, "%s: %s\n", prog, msg);
}

int sn_cmd_generate(int argc, char **argv)
{
    const char *prog = "sentinel generate";
    struct option longopts[NSPECS + 1];
    for (size_t i = 0; i < NSPECS; i++)
        longopts[i] = (struct option){specs[i].name, specs[i].arg ? required_argument : no_argument,
                                      NULL, specs[i].key};
    longopts[NSPECS] = (struct option){NULL, 0, NULL, 0};

    sn_gen_options o;
    sn_gen_options_init(&o);
    const char *output = NULL;
    uint64_t total = 0, v;
    int have_total = 0, have_epu = 0, quiet = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_USERS:
            if (parse_u64(optarg, SN_GEN_MAX_USERS, &v) || v == 0)
                return bad_value(prog, "users", optarg, "want a whole number 1..1000000");
            o.users = (uint32_t)v;
            break;
        case OPT_EVENTS:
            if (parse_double(optarg, 0, SN_GEN_MAX_EVENTS_PER_USER, &o.events_per_user))
                return bad_value(prog, "events-per-user", optarg, "want a number 0..1000000");
            have_epu = 1;
            break;
        case OPT_RATE:
            if (parse_double(optarg, 0, 1, &o.anomaly_user_rate))
                return bad_value(prog, "anomaly-user-rate", optarg, "want a number 0..1");
            break;
        case OPT_PER_USER:
            if (parse_u64(optarg, 100, &v))
                return bad_value(prog, "anomalies-per-user", optarg, "want a whole number 0..100");
            o.anomalies_per_user = (uint32_t)v;
            break;
        case OPT_SEED:
            if (parse_u64(optarg, UINT64_MAX, &o.seed))
                return bad_value(prog, "seed", optarg, "want a whole number 0..2^64-1");
            break;
        case OPT_START: {
            sn_error err;
            if (sn_gen_parse_date(optarg, &o.start_day, &err) != SN_OK)
                return bad_value(prog, "start", optarg, "want a date YYYY-MM-DD");
            break;
        }
        case OPT_DAYS:
            if (parse_u64(optarg, SN_GEN_MAX_DAYS, &v) || v == 0)
                return bad_value(prog, "days", optarg, "want a whole number 1..36600");
            o.days = (uint32_t)v;
            break;
        case OPT_TOTAL:
            if (parse_u64(optarg, UINT64_MAX, &total))
                return bad_value(prog, "total", optarg, "want a whole number");
            have_total = 1;
            break;
        case OPT_OUTPUT:
            output = optarg;
            break;
        case OPT_QUIET:
            quiet = 1;
            break;
        case OPT_HELP:
            usage(stdout, prog);
            return SN_EXIT_OK;
        case ':':
            fprintf(stderr, "%s: option '%s' needs a value\n", prog, argv[optind - 1]);
            return SN_EXIT_USAGE;
        default:
            fprintf(stderr, "%s: unknown option '%s' (see --help)\n", prog, argv[optind - 1]);
            return SN_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "%s: unexpected argument '%s' (see --help)\n", prog, argv[optind]);
        return SN_EXIT_USAGE;
    }
    if (have_total && have_epu) {
        fprintf(stderr, "%s: give --total or --events-per-user, not both\n", prog);
        return SN_EXIT_USAGE;
    }

    sn_error err;
    sn_error_clear(&err);
    if (have_total && sn_gen_plan_total(&o, total, &err) != SN_OK) {
        print_error(prog, &err);
        return SN_EXIT_USAGE;
    }
    if (sn_gen_check_options(&o, &err) != SN_OK) {
        print_error(prog, &err);
        return SN_EXIT_USAGE;
    }

    int to_stdout = !output || !strcmp(output, "-");
    FILE *out = to_stdout ? stdout : fopen(output, "wb");
    if (!out) {
        fprintf(stderr, "%s: cannot open %s for writing: %s\n", prog, output, strerror(errno));
        return SN_EXIT_FAIL;
    }
    sn_gen_stats stats;
    sn_status st = sn_gen_write(&o, out, to_stdout ? "standard output" : output, &stats, &err);
    if (!to_stdout && fclose(out) != 0 && st == SN_OK)
        st = sn_error_set(&err, SN_ERR_IO, true, output, 0, NULL, "cannot write: %s",
                          strerror(errno));
    if (st != SN_OK) {
        print_error(prog, &err);
        if (st == SN_ERR_IO)
            fprintf(stderr, "%s: the output is incomplete\n", prog);
        return SN_EXIT_FAIL;
    }
    if (!quiet)
        fprintf(stderr,
                "%s: %llu events, %llu anomalous (%.2f%%), %u of %u users compromised, seed "
                "%llu\n",
                prog, (unsigned long long)stats.events, (unsigned long long)stats.anomalies,
                stats.events ? 100.0 * (double)stats.anomalies / (double)stats.events : 0.0,
                stats.anomalous_users, o.users, (unsigned long long)o.seed);
    return SN_EXIT_OK;
}
