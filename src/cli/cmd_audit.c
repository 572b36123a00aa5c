/* sentinel audit: checking the audit log's chain, reading its latest records, and finding a
 * person's records by their pseudonym. */
#include "cli.h"

#include "audit/audit.h"
#include "core/secret.h"

#include <getopt.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "usage: sentinel audit verify --log FILE [--key-file KEY] [--anchor SEQ:MAC]\n"
    "       sentinel audit show --log FILE [--tail N] [--kind KIND]\n"
    "       sentinel audit pseudonym VALUE [--pseudonym-key-file KEY]\n"
    "\n"
    "verify     checks every record of the audit log written by `sentinel serve`: its mac\n"
    "           (HMAC-SHA-256 with the audit key), its link to the record before it and its\n"
    "           sequence number. Prints `OK: N records, chain intact` and the last record's seq\n"
    "           and mac, or `FAILED: line L (seq S): why` for the first bad record (mac\n"
    "           mismatch: changed; chain broken: a record removed or reordered; malformed JSON;\n"
    "           record cut short; sequence gap). Records removed from the end of a log cannot\n"
    "           be told from its end: --anchor SEQ:MAC (the last record as an earlier check\n"
    "           printed it) fails when that record is no longer there.\n"
    "show       prints the last N records (default 20), of one kind if given, as they are.\n"
    "pseudonym  prints the pseudonym the log holds in place of VALUE (a user id, an address),\n"
    "           to find a person's records.\n"
    "\n"
    "options:\n"
    "  -l, --log FILE                  the audit log\n"
    "  -k, --key-file KEY              the audit key (owner-only file); default: the\n"
    "                                  SENTINEL_AUDIT_KEY environment variable, else the key\n"
    "                                  file beside the log that the server made (audit.jsonl:\n"
    "                                  audit.key; other names: FILE.key)\n"
    "  -p, --pseudonym-key-file KEY    the pseudonym key; default: SENTINEL_AUDIT_PSEUDONYM_KEY\n"
    "      --anchor SEQ:MAC            a record the log must still hold (verify)\n"
    "  -n, --tail N                    records shown (show; default 20)\n"
    "      --kind KIND                 only records of this kind (show)\n"
    "\n"
    "exit status: 0 intact (verify) or done; 1 damaged, unreadable or no usable key; 2 bad "
    "usage.\n";

typedef struct audit_args {
    const char *log, *key_file, *pkey_file, *kind, *anchor;
    long tail;
} audit_args;

static int parse(int argc, char **argv, audit_args *a)
{
    static const struct option opts[] = {{"log", required_argument, NULL, 'l'},
                                         {"key-file", required_argument, NULL, 'k'},
                                         {"pseudonym-key-file", required_argument, NULL, 'p'},
                                         {"tail", required_argument, NULL, 'n'},
                                         {"kind", required_argument, NULL, 'K'},
                                         {"anchor", required_argument, NULL, 'A'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    memset(a, 0, sizeof(*a));
    a->tail = 20;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "l:k:p:n:h", opts, NULL)) != -1) {
        switch (c) {
        case 'l':
            a->log = optarg;
            break;
        case 'k':
            a->key_file = optarg;
            break;
        case 'p':
            a->pkey_file = optarg;
            break;
        case 'K':
            a->kind = optarg;
            break;
        case 'A':
            a->anchor = optarg;
            break;
        case 'n': {
            char *end;
            a->tail = strtol(optarg, &end, 10);
            if (*end || a->tail < 1 || a->tail > 1000000) {
                fprintf(stderr, "sentinel audit: --tail: '%s' is not an integer in [1, 1000000]\n",
                        optarg);
                return SN_EXIT_USAGE;
            }
            break;
        }
        case 'h':
            fputs(usage_text, stdout);
            return -1;
        default:
            fputs(usage_text, stderr);
            return SN_EXIT_USAGE;
        }
    }
    return SN_EXIT_OK;
}

static int need_log(const audit_args *a)
{
    if (a->log)
        return SN_EXIT_OK;
    fprintf(stderr, "sentinel audit: --log FILE is required\n");
    return SN_EXIT_USAGE;
}

/* The key as the server finds it: --key-file, else SENTINEL_AUDIT_KEY, else the key file beside
 * the log. */
static sn_status load_key(const audit_args *a, sn_secret *key, sn_error *err)
{
    const char *env = getenv("SENTINEL_AUDIT_KEY");
    if ((a->key_file && *a->key_file) || (env && *env))
        return sn_secret_load(a->key_file, "SENTINEL_AUDIT_KEY", key, err);
    char beside[4096];
    if (!sn_audit_key_path(a->log, beside, sizeof(beside)))
        return sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, "--log",
                            "the log's name is too long for a key file beside it");
    return sn_audit_key_read(beside, key, err);
}

static int verify(const audit_args *a)
{
    sn_secret key;
    sn_error err;
    char msg[1024];
    if (load_key(a, &key, &err) != SN_OK) {
        sn_error_format(&err, msg, sizeof(msg));
        fprintf(stderr,
                "sentinel audit verify: no usable audit key: %s (give --key-file or "
                "SENTINEL_AUDIT_KEY, or keep the key file the server made beside the log)\n",
                msg);
        return SN_EXIT_FAIL;
    }
    sn_audit_verifier v;
    sn_status st = sn_audit_verifier_init(&v, key.data, key.len, &err);
    sn_secret_free(&key);
    if (st == SN_OK && a->anchor && sn_audit_verifier_anchor(&v, a->anchor, &err) != SN_OK) {
        sn_error_format(&err, msg, sizeof(msg));
        fprintf(stderr, "sentinel audit verify: %s\n", msg);
        return SN_EXIT_USAGE;
    }
    if (st == SN_OK)
        st = sn_audit_verify_file(a->log, &v, &err);
    if (st != SN_OK) {
        sn_error_format(&err, msg, sizeof(msg));
        fprintf(stderr, "sentinel audit verify: %s\n", msg);
        return SN_EXIT_FAIL;
    }
    sn_audit_verifier_describe(&v, msg, sizeof(msg));
    OPENSSL_cleanse(v.key, sizeof(v.key));
    if (v.fault) {
        printf("FAILED: %s\n%llu records before it verified\n", msg, (unsigned long long)v.records);
        return SN_EXIT_FAIL;
    }
    printf("OK: %s\n", msg);
    if (v.records)
        printf("last record: seq %llu, mac %s (check later with --anchor %llu:%s)\n",
               (unsigned long long)v.last_seq, v.last_mac, (unsigned long long)v.last_seq,
               v.last_mac);
    return SN_EXIT_OK;
}

/* Whether line is a record of kind (a cheap look at its kind member). */
static bool of_kind(const char *line, const char *kind)
{
    if (!kind)
        return true;
    char want[64];
    snprintf(want, sizeof(want), "\"kind\":\"%s\"", kind);
    return strstr(line, want) != NULL;
}

static int show(const audit_args *a)
{
    FILE *f = fopen(a->log, "rb");
    if (!f) {
        perror(a->log);
        return SN_EXIT_FAIL;
    }
    /* The last N lines in a ring; each line at most a record's length (longer ones are cut). */
    size_t cap = (size_t)a->tail;
    char **ring = calloc(cap, sizeof(*ring));
    char *line = malloc(SN_AUDIT_MAX_RECORD + 1);
    size_t count = 0;
    int rc = SN_EXIT_OK;
    if (!ring || !line) {
        fprintf(stderr, "sentinel audit show: out of memory\n");
        rc = SN_EXIT_FAIL;
    }
    while (rc == SN_EXIT_OK && fgets(line, SN_AUDIT_MAX_RECORD + 1, f)) {
        size_t n = strlen(line);
        if (n && line[n - 1] != '\n') {
            int ch; /* the rest of a line too long for a record */
            while ((ch = fgetc(f)) != EOF && ch != '\n') {
            }
        } else if (n) {
            line[--n] = '\0';
        }
        if (!of_kind(line, a->kind))
            continue;
        char *copy = strdup(line);
        if (!copy) {
            fprintf(stderr, "sentinel audit show: out of memory\n");
            rc = SN_EXIT_FAIL;
            break;
        }
        free(ring[count % cap]);
        ring[count % cap] = copy;
        count++;
    }
    size_t first = count > cap ? count - cap : 0;
    for (size_t i = first; rc == SN_EXIT_OK && i < count; i++)
        puts(ring[i % cap]);
    if (ring)
        for (size_t i = 0; i < cap; i++)
            free(ring[i]);
    free(ring);
    free(line);
    fclose(f);
    return rc;
}

static int pseudonym(const audit_args *a, const char *value)
{
    sn_secret key;
    sn_error err;
    char msg[1024];
    if (sn_secret_load(a->pkey_file, "SENTINEL_AUDIT_PSEUDONYM_KEY", &key, &err) != SN_OK) {
        sn_error_format(&err, msg, sizeof(msg));
        fprintf(stderr, "sentinel audit pseudonym: no usable pseudonym key: %s\n", msg);
        return SN_EXIT_FAIL;
    }
    char out[67];
    sn_audit_pseudonym_with(key.data, key.len, value, strlen(value), out);
    sn_secret_free(&key);
    if (!out[0]) {
        fprintf(stderr, "sentinel audit pseudonym: HMAC-SHA-256 failed\n");
        return SN_EXIT_FAIL;
    }
    puts(out);
    return SN_EXIT_OK;
}

int sn_cmd_audit(int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-') {
        bool help = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
        fputs(usage_text, help ? stdout : stderr);
        return help ? SN_EXIT_OK : SN_EXIT_USAGE;
    }
    const char *sub = argv[1];
    audit_args a;
    int rc = parse(argc - 1, argv + 1, &a);
    if (rc < 0)
        return SN_EXIT_OK;
    if (rc != SN_EXIT_OK)
        return rc;
    if (!strcmp(sub, "verify") || !strcmp(sub, "show")) {
        if (optind != argc - 1) {
            fprintf(stderr, "sentinel audit %s: unexpected argument '%s'\n", sub, argv[optind + 1]);
            return SN_EXIT_USAGE;
        }
        if ((rc = need_log(&a)) != SN_EXIT_OK)
            return rc;
        return !strcmp(sub, "verify") ? verify(&a) : show(&a);
    }
    if (!strcmp(sub, "pseudonym")) {
        if (optind != argc - 2) {
            fprintf(stderr, "sentinel audit pseudonym: give one VALUE\n");
            return SN_EXIT_USAGE;
        }
        return pseudonym(&a, argv[optind + 1]);
    }
    fprintf(stderr, "sentinel audit: unknown subcommand '%s' (verify, show, pseudonym)\n", sub);
    return SN_EXIT_USAGE;
}
