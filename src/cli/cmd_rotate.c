/* sentinel keys rotate: re-encrypts a store under a new key, batch by batch, while it stays in
 * use. */
#include "cli.h"
#include "pipeline.h"

#include <errno.h>
#include <getopt.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const char usage_text[] =
    "usage: sentinel keys rotate --db PATH --old-key-file A --new-key-file B [--batch N]\n"
    "\n"
    "Re-encrypts every personal field and the stored baselines of the store from key A to\n"
    "key B (files of 64 hex digits, owner-only) and recomputes the lookup tokens, N rows per\n"
    "transaction (default 500) so that writers and readers are held up for one batch at a\n"
    "time. Rows written with key A meanwhile are taken in later batches. When it ends, key A\n"
    "is retired: the store then opens only with key B. An interrupted rotation is resumed by\n"
    "running the command again.\n";

static int load_key(const char *path, const char *what, unsigned char out[32])
{
    sn_store_keys k;
    sn_error err;
    if (!path || !path[0]) {
        fprintf(stderr, "sentinel keys rotate: --%s-key-file FILE is required\n", what);
        return -1;
    }
    if (sn_store_keys_load(&k, path, &err) != SN_OK) {
        char msg[1024];
        sn_error_format(&err, msg, sizeof(msg));
        fprintf(stderr, "sentinel keys rotate: %s key: %s\n", what, msg);
        return -1;
    }
    memcpy(out, k.master, 32);
    OPENSSL_cleanse(&k, sizeof(k));
    return 0;
}

int sn_cmd_keys_rotate(int argc, char **argv)
{
    static const struct option longopts[] = {{"db", required_argument, 0, 'd'},
                                             {"old-key-file", required_argument, 0, 'o'},
                                             {"new-key-file", required_argument, 0, 'n'},
                                             {"batch", required_argument, 0, 'b'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    const char *db = NULL, *old_file = NULL, *new_file = NULL;
    long batch = 500;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            db = optarg;
            break;
        case 'o':
            old_file = optarg;
            break;
        case 'n':
            new_file = optarg;
            break;
        case 'b':
            if (sn_cli_parse_long("batch", optarg, 1, 1000000, &batch) < 0)
                return SN_EXIT_USAGE;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return SN_EXIT_OK;
        default:
            fputs(usage_text, stderr);
            return SN_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "sentinel keys rotate: unexpected argument '%s'\n", argv[optind]);
        return SN_EXIT_USAGE;
    }
    if (!db || !db[0]) {
        fprintf(stderr, "sentinel keys rotate: --db PATH is required\n");
        return SN_EXIT_USAGE;
    }
    struct stat sb;
    if (!strstr(db, "://") && stat(db, &sb) != 0) {
        fprintf(stderr, "sentinel keys rotate: %s: no such store (%s)\n", db, strerror(errno));
        return SN_EXIT_FAIL;
    }
    sn_store_keys keys = {.encrypt = true, .has_old = true};
    if (load_key(old_file, "old", keys.old_master) < 0 ||
        load_key(new_file, "new", keys.master) < 0) {
        OPENSSL_cleanse(&keys, sizeof(keys));
        return SN_EXIT_FAIL;
    }
    sn_store *s = NULL;
    sn_error err;
    sn_status st = sn_store_open(&s, db, &keys, &err);
    OPENSSL_cleanse(&keys, sizeof(keys));
    sn_store_counts counts;
    /* A running server holds the store's keys in memory and would go on writing under the old
     * one, which the rotation retires: it must be stopped first. */
    if (st == SN_OK)
        st = sn_store_claim(s, &err);
    if (st == SN_OK)
        st = sn_store_rotate(s, (size_t)batch, &counts, &err);
    sn_store_close(s);
    if (st != SN_OK) {
        char msg[1024];
        sn_error_format(&err, msg, sizeof(msg));
        fprintf(stderr, "sentinel keys rotate: %s\n", msg);
        return SN_EXIT_FAIL;
    }
    fprintf(stderr,
            "keys rotate: %lld events, %lld verdicts and %lld baselines re-encrypted; the old "
            "key is retired\n",
            (long long)counts.events, (long long)counts.verdicts, (long long)counts.baselines);
    return SN_EXIT_OK;
}
