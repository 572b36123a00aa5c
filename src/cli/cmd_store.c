/* sentinel user export|forget, sentinel retention apply, sentinel backup: a person's records,
 * the retention policy and copies of the store, from the command line. */
#include <errno.h>
#include "cli.h"
#include "pipeline.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void print_error(const char *command, const sn_error *err)
{
    char msg[1024];
    sn_error_format(err, msg, sizeof(msg));
    fprintf(stderr, "sentinel %s: %s\n", command, msg);
}

/* --db, --store-key-file and the command's own options; returns -1 on a usage error, 1 for
 * --help. */
typedef struct store_args {
    const char *db, *key_file, *to, *output;
    long days;
    bool days_given;
} store_args;

static int parse_store_args(int argc, char **argv, store_args *a, const char *usage)
{
    static const struct option longopts[] = {{"db", required_argument, 0, 'd'},
                                             {"store-key-file", required_argument, 0, 'k'},
                                             {"to", required_argument, 0, 't'},
                                             {"days", required_argument, 0, 'n'},
                                             {"output", required_argument, 0, 'o'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    memset(a, 0, sizeof(*a));
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            a->db = optarg;
            break;
        case 'k':
            a->key_file = optarg;
            break;
        case 't':
            a->to = optarg;
            break;
        case 'o':
            a->output = optarg;
            break;
        case 'n':
            if (sn_cli_parse_long("days", optarg, 1, 36500, &a->days) < 0)
                return -1;
            a->days_given = true;
            break;
        case 'h':
            fputs(usage, stdout);
            return 1;
        default:
            fputs(usage, stderr);
            return -1;
        }
    }
    if (!a->db || !a->db[0]) {
        fprintf(stderr, "sentinel %s: --db PATH is required\n", argv[0]);
        return -1;
    }
    return 0;
}

static const char user_usage[] =
    "usage: sentinel user export ID --db PATH [--output FILE] [--store-key-file FILE]\n"
    "       sentinel user forget ID --db PATH [--store-key-file FILE]\n"
    "\n"
    "export writes one JSON document with every record the store holds about user ID,\n"
    "decrypted: events, verdicts, alerts and baselines (empty arrays when none).\n"
    "forget deletes the user's events, verdicts, alerts and baselines, rebuilds the shared\n"
    "baselines (peer groups included) from the remaining users' stored events, overwrites\n"
    "the deleted bytes and empties the journal, and records the counts (never the id) in\n"
    "the store's privacy log.\n"
    "\n"
    "options:\n"
    "      --db PATH              the store\n"
    "      --store-key-file FILE  its key (64 hex digits, owner-only); default: the\n"
    "                             environment variable SENTINEL_STORE_KEY\n"
    "  -o, --output FILE          where export writes (default standard output)\n";

int sn_cmd_user(int argc, char **argv)
{
    if (argc < 2 || (strcmp(argv[1], "export") != 0 && strcmp(argv[1], "forget") != 0)) {
        if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
            fputs(user_usage, stdout);
            return SN_EXIT_OK;
        }
        fputs(user_usage, stderr);
        return SN_EXIT_USAGE;
    }
    bool forget = !strcmp(argv[1], "forget");
    char name[32];
    snprintf(name, sizeof(name), "user %s", argv[1]);
    argv[1] = name;
    store_args a;
    int r = parse_store_args(argc - 1, argv + 1, &a, user_usage);
    if (r)
        return r > 0 ? SN_EXIT_OK : SN_EXIT_USAGE;
    /* getopt moved the one operand, the user id, to the end. */
    if (optind + 1 != argc - 1) {
        fprintf(stderr, "sentinel %s: give exactly one user id\n", name);
        return SN_EXIT_USAGE;
    }
    const char *user = argv[1 + optind];
    if (!user[0]) {
        fprintf(stderr, "sentinel %s: the user id is empty\n", name);
        return SN_EXIT_USAGE;
    }
    sn_store *s = sn_cli_store_open_existing(a.db, a.key_file, name);
    if (!s || (forget && !sn_cli_store_claim(s, name)))
        return SN_EXIT_FAIL;
    sn_error err;
    int rc = SN_EXIT_OK;
    if (forget) {
        sn_store_counts c;
        if (sn_store_forget_user(s, user, &c, &err) != SN_OK) {
            print_error(name, &err);
            rc = SN_EXIT_FAIL;
        } else {
            fprintf(stderr,
                    "user forget: %lld events, %lld verdicts, %lld alerts deleted; %lld "
                    "baselines rebuilt or deleted\n",
                    (long long)c.events, (long long)c.verdicts, (long long)c.alerts,
                    (long long)c.baselines);
        }
    } else {
        sn_buf j;
        sn_buf_init(&j);
        if (sn_store_export_user(s, user, &j, &err) != SN_OK) {
            print_error(name, &err);
            rc = SN_EXIT_FAIL;
        } else {
            FILE *out = a.output ? fopen(a.output, "w") : stdout;
            bool ok = out && fwrite(j.data, 1, j.len, out) == j.len && fputc('\n', out) != EOF;
            int why = ok ? 0 : errno;
            if (out) {
                int closed = out == stdout ? fflush(out) : fclose(out);
                if (ok && closed != 0)
                    why = errno;
                ok = ok && closed == 0;
            }
            if (!ok) {
                fprintf(stderr, "sentinel %s: cannot write the export to %s: %s\n", name,
                        a.output ? a.output : "standard output", strerror(why ? why : EIO));
                rc = SN_EXIT_FAIL;
            }
        }
        sn_buf_free(&j);
    }
    sn_store_close(s);
    return rc;
}

static const char retention_usage[] =
    "usage: sentinel retention apply --db PATH --days N [--store-key-file FILE]\n"
    "\n"
    "Deletes the events, verdicts and alerts whose event time is more than N days ago,\n"
    "overwrites the deleted bytes, empties the journal and records the counts in the store's\n"
    "privacy log. The server applies the same policy every hour when retention_days is set.\n";

int sn_cmd_retention(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "apply") != 0) {
        if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
            fputs(retention_usage, stdout);
            return SN_EXIT_OK;
        }
        fputs(retention_usage, stderr);
        return SN_EXIT_USAGE;
    }
    char name[] = "retention apply";
    argv[1] = name;
    store_args a;
    int r = parse_store_args(argc - 1, argv + 1, &a, retention_usage);
    if (r)
        return r > 0 ? SN_EXIT_OK : SN_EXIT_USAGE;
    if (!a.days_given) {
        fprintf(stderr, "sentinel retention apply: --days N is required\n");
        return SN_EXIT_USAGE;
    }
    if (optind != argc - 1) {
        fprintf(stderr, "sentinel retention apply: unexpected argument '%s'\n", argv[1 + optind]);
        return SN_EXIT_USAGE;
    }
    sn_store *s = sn_cli_store_open_existing(a.db, a.key_file, name);
    if (!s || !sn_cli_store_claim(s, name))
        return SN_EXIT_FAIL;
    int64_t before = ((int64_t)time(NULL) - (int64_t)a.days * 86400) * 1000000;
    sn_store_counts c;
    sn_error err;
    int rc = SN_EXIT_OK;
    if (sn_store_retention(s, before, &c, &err) != SN_OK) {
        print_error(name, &err);
        rc = SN_EXIT_FAIL;
    } else {
        fprintf(stderr,
                "retention: %lld events, %lld verdicts, %lld alerts older than %ld days "
                "deleted\n",
                (long long)c.events, (long long)c.verdicts, (long long)c.alerts, a.days);
    }
    sn_store_close(s);
    return rc;
}

static const char backup_usage[] =
    "usage: sentinel backup --db PATH --to FILE [--store-key-file FILE]\n"
    "\n"
    "Copies the whole store to FILE (which must not exist) with SQLite's online backup, while\n"
    "the store stays in use. The copy stays encrypted: it needs the same key.\n";

int sn_cmd_backup(int argc, char **argv)
{
    store_args a;
    int r = parse_store_args(argc, argv, &a, backup_usage);
    if (r)
        return r > 0 ? SN_EXIT_OK : SN_EXIT_USAGE;
    if (!a.to || !a.to[0]) {
        fprintf(stderr, "sentinel backup: --to FILE is required\n");
        return SN_EXIT_USAGE;
    }
    if (optind != argc) {
        fprintf(stderr, "sentinel backup: unexpected argument '%s'\n", argv[optind]);
        return SN_EXIT_USAGE;
    }
    sn_store *s = sn_cli_store_open_existing(a.db, a.key_file, argv[0]);
    if (!s)
        return SN_EXIT_FAIL;
    sn_error err;
    int rc = SN_EXIT_OK;
    if (sn_store_backup(s, a.to, &err) != SN_OK) {
        print_error(argv[0], &err);
        rc = SN_EXIT_FAIL;
    } else {
        fprintf(stderr, "backup: %s copied to %s\n", a.db, a.to);
    }
    sn_store_close(s);
    return rc;
}
