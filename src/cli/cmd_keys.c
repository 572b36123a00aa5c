/* sentinel keys: API keys for `sentinel serve` (create, list, revoke) in the keys file the server
 * reads; a new key is printed once and only its salted hash is stored. */
#include "cli.h"

#include "server/auth.h"

#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: sentinel keys create --role ROLE [--scope SCOPE] [--expires WHEN] [--name NAME]\n"
    "                            --keys FILE\n"
    "       sentinel keys list --keys FILE\n"
    "       sentinel keys revoke ID --keys FILE\n"
    "       sentinel keys rotate --db PATH --old-key-file A --new-key-file B [--batch N]\n"
    "\n"
    "rotate re-encrypts the store from key A to key B (see `sentinel keys rotate --help`).\n"
    "\n"
    "API keys for `sentinel serve --keys-file FILE`. create prints the new key once on standard\n"
    "output (sn_ID_SECRET): the file keeps only its public ID, a random salt and HMAC-SHA-256 of\n"
    "the secret, so a lost key cannot be shown again, only revoked and replaced. The file is\n"
    "written with mode 0600 through a temporary file renamed over it; a running server reads it\n"
    "again at its next request, so a revoked key stops working at once, and records the change\n"
    "(the key's ID, name, role and scope; never its secret) in its audit log within a second.\n"
    "\n"
    "  --role ROLE     viewer, analyst, admin or service\n"
    "  --scope SCOPE   users whose risk the key may read: * (all), department:NAME, or several\n"
    "                  separated by commas; default * for admin, none for the others\n"
    "  --expires WHEN  a duration from now (30d, 12h, 90m, 3600s) or a UTC date (2027-01-31 or\n"
    "                  2027-01-31T12:00:00Z); default: never\n"
    "  --name NAME     a label for list\n"
    "  --keys FILE     the keys file (or SENTINEL_KEYS_FILE)\n"
    "\n"
    "exit status: 0 done; 1 failure (unreadable or unwritable file, unknown ID); 2 bad usage.\n";

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "sentinel keys: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(see sentinel keys --help)\n");
    return SN_EXIT_USAGE;
}

static int fail(const sn_error *err)
{
    char msg[1024];
    sn_error_format(err, msg, sizeof(msg));
    fprintf(stderr, "sentinel keys: %s\n", msg);
    return SN_EXIT_FAIL;
}

typedef struct keys_args {
    const char *keys, *role, *scope, *expires, *name, *id;
} keys_args;

/* --name VALUE or --name=VALUE, and one positional argument (the ID of revoke). */
static int parse_args(int argc, char **argv, keys_args *a)
{
    memset(a, 0, sizeof(*a));
    a->keys = getenv("SENTINEL_KEYS_FILE");
    static const struct {
        const char *name;
        size_t offset;
    } opts[] = {{"--keys", offsetof(keys_args, keys)},
                {"--role", offsetof(keys_args, role)},
                {"--scope", offsetof(keys_args, scope)},
                {"--expires", offsetof(keys_args, expires)},
                {"--name", offsetof(keys_args, name)}};
    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i];
        if (arg[0] != '-') {
            if (a->id)
                return usage_error("unexpected argument '%.60s'", arg);
            a->id = arg;
            continue;
        }
        bool known = false;
        for (size_t k = 0; k < sizeof(opts) / sizeof(opts[0]) && !known; k++) {
            size_t n = strlen(opts[k].name);
            if (strncmp(arg, opts[k].name, n) != 0 || (arg[n] != '\0' && arg[n] != '='))
                continue;
            const char **slot = (const char **)((char *)a + opts[k].offset);
            if (arg[n] == '=')
                *slot = arg + n + 1;
            else if (i + 1 < argc)
                *slot = argv[++i];
            else
                return usage_error("%s needs a value", opts[k].name);
            known = true;
        }
        if (!known)
            return usage_error("unknown option '%.60s'", arg);
    }
    if (!a->keys || !*a->keys)
        return usage_error("%s", "--keys FILE is required (or SENTINEL_KEYS_FILE)");
    return SN_EXIT_OK;
}

/* Serialises the commands that change the keys file (read, change, rename over it): without
 * it, two at once would each write the file they read and one change would be lost. The lock
 * is FILE.lock beside it, held until the returned descriptor is closed; -1 on failure. */
static int lock_keys(const char *keys)
{
    char path[4096 + 8];
    if (snprintf(path, sizeof(path), "%s.lock", keys) >= (int)sizeof(path))
        return -1;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    while (flock(fd, LOCK_EX) != 0)
        if (errno != EINTR) {
            close(fd);
            return -1;
        }
    return fd;
}

static int lock_failed(const char *keys)
{
    fprintf(stderr, "sentinel keys: cannot lock %s.lock: %s\n", keys, strerror(errno));
    return SN_EXIT_FAIL;
}

/* A duration from now or a UTC date, as Unix seconds; 0 when not understood. */
static int64_t parse_expiry(const char *s, int64_t now)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (!errno && end != s && v > 0 && end[0] && !end[1] && isdigit((unsigned char)s[0])) {
        long long unit = end[0] == 's'   ? 1
                         : end[0] == 'm' ? 60
                         : end[0] == 'h' ? 3600
                         : end[0] == 'd' ? 86400
                                         : 0;
        if (unit && v <= 36500LL * 86400 / unit)
            return now + v * unit;
        return 0;
    }
    static const char *const formats[] = {"%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S",
                                          "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"};
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
        struct tm tm;
        memset(&tm, 0, sizeof(tm));
        const char *rest = strptime(s, formats[i], &tm);
        if (rest && !*rest) {
            time_t t = timegm(&tm);
            return t > now ? (int64_t)t : 0;
        }
    }
    return 0;
}

static void iso(int64_t t, char out[32])
{
    if (!t) {
        snprintf(out, 32, "-");
        return;
    }
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int keys_create(int argc, char **argv)
{
    keys_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc != SN_EXIT_OK)
        return rc;
    if (a.id)
        return usage_error("unexpected argument '%.60s'", a.id);
    sn_key_record rec;
    memset(&rec, 0, sizeof(rec));
    if (!a.role || !sn_role_parse(a.role, &rec.role))
        return usage_error("%s", "--role must be viewer, analyst, admin or service");
    const char *scope = a.scope ? a.scope : rec.role == SN_ROLE_ADMIN ? "*" : "";
    if (strlen(scope) >= sizeof(rec.scope))
        return usage_error("%s", "--scope is too long");
    snprintf(rec.scope, sizeof(rec.scope), "%s", scope);
    if (a.name && strlen(a.name) >= sizeof(rec.name))
        return usage_error("%s", "--name is too long");
    snprintf(rec.name, sizeof(rec.name), "%s", a.name ? a.name : "");
    int64_t now = (int64_t)time(NULL);
    if (a.expires && !(rec.expires = parse_expiry(a.expires, now)))
        return usage_error("--expires '%.60s' is not a duration (30d, 12h, 90m, 3600s) or a "
                           "future UTC date (2027-01-31)",
                           a.expires);
    sn_keylist list;
    sn_error err;
    int lock = lock_keys(a.keys);
    if (lock < 0)
        return lock_failed(a.keys);
    if (sn_keys_load(a.keys, true, &list, &err) != SN_OK) {
        close(lock);
        return fail(&err);
    }
    char text[SN_KEY_TEXT_LEN + 1];
    int64_t expires = rec.expires;
    if (sn_key_generate(&rec, text, &err) != SN_OK) {
        sn_keylist_free(&list);
        close(lock);
        return fail(&err);
    }
    rec.expires = expires;
    if (sn_keylist_add(&list, &rec) != SN_OK) {
        sn_keylist_free(&list);
        close(lock);
        fprintf(stderr, "sentinel keys: out of memory\n");
        return SN_EXIT_FAIL;
    }
    sn_status st = sn_keys_save(a.keys, &list, &err);
    sn_keylist_free(&list);
    close(lock);
    if (st != SN_OK)
        return fail(&err);
    /* The key alone on standard output, for scripts; what it is on standard error. */
    printf("%s\n", text);
    fflush(stdout);
    memset(text, 0, sizeof(text));
    char exp[32];
    iso(rec.expires, exp);
    fprintf(stderr, "created key %s: role %s, scope '%s', expires %s (shown once: store it now)\n",
            rec.id, sn_role_name(rec.role), rec.scope, rec.expires ? exp : "never");
    return SN_EXIT_OK;
}

static int keys_list(int argc, char **argv)
{
    keys_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc != SN_EXIT_OK)
        return rc;
    sn_keylist list;
    sn_error err;
    if (sn_keys_load(a.keys, false, &list, &err) != SN_OK)
        return fail(&err);
    int64_t now = (int64_t)time(NULL);
    printf("%-16s  %-8s  %-20s  %-20s  %-20s  %-7s  %s\n", "ID", "ROLE", "SCOPE", "CREATED",
           "EXPIRES", "STATUS", "NAME");
    for (size_t i = 0; i < list.n; i++) {
        const sn_key_record *r = &list.items[i];
        char created[32], expires[32];
        iso(r->created, created);
        iso(r->expires, expires);
        const char *status = r->revoked                        ? "revoked"
                             : r->expires && r->expires <= now ? "expired"
                                                               : "active";
        printf("%-16s  %-8s  %-20s  %-20s  %-20s  %-7s  %s\n", r->id, sn_role_name(r->role),
               r->scope[0] ? r->scope : "-", created, expires, status, r->name);
    }
    sn_keylist_free(&list);
    return SN_EXIT_OK;
}

static int keys_revoke(int argc, char **argv)
{
    keys_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc != SN_EXIT_OK)
        return rc;
    if (!a.id)
        return usage_error("%s", "revoke needs the ID of the key (see sentinel keys list)");
    sn_keylist list;
    sn_error err;
    int lock = lock_keys(a.keys);
    if (lock < 0)
        return lock_failed(a.keys);
    if (sn_keys_load(a.keys, false, &list, &err) != SN_OK) {
        close(lock);
        return fail(&err);
    }
    sn_key_record *found = NULL;
    for (size_t i = 0; i < list.n && !found; i++)
        if (!strcmp(list.items[i].id, a.id))
            found = &list.items[i];
    if (!found) {
        sn_keylist_free(&list);
        close(lock);
        fprintf(stderr, "sentinel keys: no key with ID '%.40s' in %s\n", a.id, a.keys);
        return SN_EXIT_FAIL;
    }
    if (!found->revoked)
        found->revoked = (int64_t)time(NULL);
    sn_status st = sn_keys_save(a.keys, &list, &err);
    sn_keylist_free(&list);
    close(lock);
    if (st != SN_OK)
        return fail(&err);
    fprintf(stderr, "revoked key %s\n", a.id);
    return SN_EXIT_OK;
}

/* `keys rotate`: the store's encryption key (cmd_rotate.c), whose options start after the
 * subcommand's name. */
static int keys_rotate(int argc, char **argv)
{
    return sn_cmd_keys_rotate(argc - 1, argv + 1);
}

/* The subcommands: API keys, and the store's encryption key. */
static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
} subcommands[] = {
    {"create", keys_create},
    {"list", keys_list},
    {"revoke", keys_revoke},
    {"rotate", keys_rotate},
};

int sn_cmd_keys(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_text, stderr);
        return SN_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(usage_text, stdout);
        return SN_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
        if (!strcmp(argv[1], subcommands[i].name))
            return subcommands[i].run(argc, argv);
    return usage_error("unknown subcommand '%.60s' (create, list, revoke, rotate)", argv[1]);
}
