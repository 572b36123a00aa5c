/* API keys in a file: one JSON object per line holding a key's public id, role, scope, dates and a
 * salted HMAC-SHA-256 of its secret (never the secret), written atomically with mode 0600, and
 * the key checker the server uses on it, which re-reads the file when it changes and records
 * what changed in the audit log. */
#include "auth.h"

#include "../audit/audit.h"
#include "../core/file.h"
#include "../ingest/ingest.h"
#include "../core/secret.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Largest keys file read (about forty thousand keys). */
#define KEYS_FILE_MAX (16 * 1024 * 1024)

static void to_hex(const unsigned char *b, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = '\0';
}

static bool is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return s[n] == '\0';
}

void sn_keylist_free(sn_keylist *l)
{
    if (l->items)
        OPENSSL_cleanse(l->items, l->cap * sizeof(*l->items));
    free(l->items);
    memset(l, 0, sizeof(*l));
}

sn_status sn_keylist_add(sn_keylist *l, const sn_key_record *r)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        sn_key_record *p = realloc(l->items, cap * sizeof(*p));
        if (!p)
            return SN_ERR_NOMEM;
        l->items = p;
        l->cap = cap;
    }
    l->items[l->n++] = *r;
    return SN_OK;
}

/* The whole file, refused when others could read or change it (it says who may call). */
static sn_status read_private(const char *path, bool missing_ok, char **out, size_t *len,
                              sn_error *err)
{
    *out = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT && missing_ok)
            return SN_OK;
        return sn_error_set(err, SN_ERR_SECRET, true, path, 0, NULL, "cannot open keys file: %s",
                            strerror(errno));
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return sn_error_set(err, SN_ERR_SECRET, true, path, 0, NULL,
                            "keys file is not a regular file");
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        close(fd);
        return sn_error_set(err, SN_ERR_SECRET, true, path, 0, NULL,
                            "keys file may be read or changed by other users: make it readable "
                            "by its owner only (chmod 600)");
    }
    if (st.st_size > KEYS_FILE_MAX) {
        close(fd);
        return sn_error_set(err, SN_ERR_SECRET, true, path, 0, NULL, "keys file is too large");
    }
    char *data = malloc((size_t)st.st_size + 1);
    if (!data) {
        close(fd);
        return sn_error_set(err, SN_ERR_NOMEM, true, path, 0, NULL, "out of memory");
    }
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, data + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    data[got] = '\0';
    *out = data;
    *len = got;
    return SN_OK;
}

static bool copy_str(json_t *o, const char *key, char *out, size_t cap, bool required)
{
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v)) {
        out[0] = '\0';
        return !required;
    }
    if (!json_is_string(v) || json_string_length(v) >= cap)
        return false;
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return strlen(out) == json_string_length(v);
}

static bool copy_time(json_t *o, const char *key, int64_t *out)
{
    json_t *v = json_object_get(o, key);
    *out = 0;
    if (!v || json_is_null(v))
        return true;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return false;
    *out = (int64_t)json_integer_value(v);
    return true;
}

static bool parse_record(const char *line, size_t n, sn_key_record *r)
{
    memset(r, 0, sizeof(*r));
    json_t *o = json_loadb(line, n, JSON_REJECT_DUPLICATES, NULL);
    char role[16];
    bool ok = json_is_object(o) && copy_str(o, "id", r->id, sizeof(r->id), true) &&
              is_hex(r->id, SN_KEY_ID_LEN) &&
              copy_str(o, "name", r->name, sizeof(r->name), false) &&
              copy_str(o, "role", role, sizeof(role), true) && sn_role_parse(role, &r->role) &&
              copy_str(o, "scope", r->scope, sizeof(r->scope), false) &&
              copy_str(o, "salt", r->salt, sizeof(r->salt), true) && is_hex(r->salt, 32) &&
              copy_str(o, "hash", r->hash, sizeof(r->hash), true) && is_hex(r->hash, 64) &&
              copy_time(o, "created", &r->created) && copy_time(o, "expires", &r->expires) &&
              copy_time(o, "revoked", &r->revoked);
    json_decref(o);
    return ok;
}

sn_status sn_keys_load(const char *path, bool missing_ok, sn_keylist *out, sn_error *err)
{
    memset(out, 0, sizeof(*out));
    char *data;
    size_t len;
    sn_status st = read_private(path, missing_ok, &data, &len, err);
    if (st != SN_OK || !data)
        return st;
    long line_no = 0;
    for (size_t pos = 0; pos < len && st == SN_OK;) {
        const char *nl = memchr(data + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (data + pos)) : len - pos;
        line_no++;
        const char *line = data + pos;
        pos += n + 1;
        size_t k = 0;
        while (k < n && (line[k] == ' ' || line[k] == '\t' || line[k] == '\r'))
            k++;
        if (k == n)
            continue;
        sn_key_record r;
        if (!parse_record(line, n, &r))
            st = sn_error_set(err, SN_ERR_PARSE, true, path, line_no, NULL,
                              "not a key record (id, role, salt, hash, created, expires, revoked)");
        else if (sn_keylist_add(out, &r) != SN_OK)
            st = sn_error_set(err, SN_ERR_NOMEM, true, path, 0, NULL, "out of memory");
        OPENSSL_cleanse(&r, sizeof(r));
    }
    OPENSSL_cleanse(data, len);
    free(data);
    if (st != SN_OK)
        sn_keylist_free(out);
    return st;
}

static json_t *time_or_null(int64_t t)
{
    return t ? json_integer(t) : json_null();
}

sn_status sn_keys_save(const char *path, const sn_keylist *l, sn_error *err)
{
    sn_buf b;
    sn_buf_init(&b);
    bool ok = true;
    for (size_t i = 0; ok && i < l->n; i++) {
        const sn_key_record *r = &l->items[i];
        json_t *o = json_object();
        ok = o && !json_object_set_new(o, "id", json_string(r->id)) &&
             !json_object_set_new(o, "name", json_string(r->name)) &&
             !json_object_set_new(o, "role", json_string(sn_role_name(r->role))) &&
             !json_object_set_new(o, "scope", json_string(r->scope)) &&
             !json_object_set_new(o, "salt", json_string(r->salt)) &&
             !json_object_set_new(o, "hash", json_string(r->hash)) &&
             !json_object_set_new(o, "created", json_integer(r->created)) &&
             !json_object_set_new(o, "expires", time_or_null(r->expires)) &&
             !json_object_set_new(o, "revoked", time_or_null(r->revoked));
        char *text = ok ? json_dumps(o, JSON_COMPACT) : NULL;
        ok = text != NULL;
        if (ok) {
            sn_buf_puts(&b, text);
            sn_buf_putc(&b, '\n');
        }
        free(text);
        json_decref(o);
    }
    sn_status st = ok && !b.failed
                       ? sn_file_replace(path, b.data, b.len, 0600, "keys file", err)
                       : sn_error_set(err, SN_ERR_NOMEM, true, path, 0, NULL, "out of memory");
    if (b.data)
        OPENSSL_cleanse(b.data, b.len);
    sn_buf_free(&b);
    return st;
}

static sn_status key_hash(const char *salt_hex, const char *secret, char out[65])
{
    return sn_hmac_hex((const unsigned char *)salt_hex, strlen(salt_hex), secret, strlen(secret),
                       out);
}

sn_status sn_key_generate(sn_key_record *rec, char text[SN_KEY_TEXT_LEN + 1], sn_error *err)
{
    unsigned char id[SN_KEY_ID_LEN / 2], salt[16], secret[SN_KEY_SECRET_LEN / 2];
    char secret_hex[SN_KEY_SECRET_LEN + 1];
    if (RAND_bytes(id, sizeof(id)) != 1 || RAND_bytes(salt, sizeof(salt)) != 1 ||
        RAND_bytes(secret, sizeof(secret)) != 1)
        return sn_error_set(err, SN_ERR_CRYPTO, true, NULL, 0, NULL, "the random generator failed");
    to_hex(id, sizeof(id), rec->id);
    to_hex(salt, sizeof(salt), rec->salt);
    to_hex(secret, sizeof(secret), secret_hex);
    sn_status st = key_hash(rec->salt, secret_hex, rec->hash);
    if (st == SN_OK)
        snprintf(text, SN_KEY_TEXT_LEN + 1, "sn_%s_%s", rec->id, secret_hex);
    rec->created = (int64_t)time(NULL);
    OPENSSL_cleanse(secret, sizeof(secret));
    OPENSSL_cleanse(secret_hex, sizeof(secret_hex));
    if (st != SN_OK)
        return sn_error_set(err, SN_ERR_CRYPTO, true, NULL, 0, NULL, "hashing the key failed");
    return SN_OK;
}

/* ---- The checker on the file ------------------------------------------------------------ */

typedef struct file_checker {
    char *path;
    sn_log *log;
    pthread_rwlock_t lock;
    /* The keys last read: checked against while loaded, and what a change is told apart from. */
    sn_keylist keys;
    /* What the keys were read from: a change of any means the file was replaced or edited. */
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    struct timespec ctime; /* a chmod changes only this: a file fixed by chmod is read again */
    bool loaded;           /* false when the current file could not be read: no key is admitted */
    /* Where changes are recorded (NULL: nowhere), set before the watch starts. */
    sn_audit *audit;
    /* The watch: a thread looking at the file every WATCH_MS while an audit log is kept, so
     * that a change is recorded when it happens, not at the next request with a key. */
    pthread_mutex_t watch_mutex;
    pthread_cond_t watch_cond;
    pthread_t watch_thread;
    bool watching, watch_stop;
} file_checker;

/* How often the watch looks at the keys file. */
#define WATCH_MS 1000
/* Key records written to the audit log at a time. */
#define CHANGE_CHUNK 256

static bool same_file(const file_checker *fc, const struct stat *st)
{
    return fc->dev == st->st_dev && fc->ino == st->st_ino && fc->size == st->st_size &&
           fc->mtime.tv_sec == st->st_mtim.tv_sec && fc->mtime.tv_nsec == st->st_mtim.tv_nsec &&
           fc->ctime.tv_sec == st->st_ctim.tv_sec && fc->ctime.tv_nsec == st->st_ctim.tv_nsec;
}

/* ---- What changed, for the audit log ------------------------------------------------------ */

/* key_change records being gathered: written CHANGE_CHUNK at a time. They point into the key
 * lists, which outlive them. */
typedef struct change_batch {
    file_checker *fc;
    size_t n;
    sn_audit_rec recs[CHANGE_CHUNK];
    sn_audit_field fields[CHANGE_CHUNK][8];
    char expires[CHANGE_CHUNK][32];
} change_batch;

static void batch_flush(change_batch *b)
{
    sn_error err;
    if (b->n && sn_audit_record_many(b->fc->audit, b->recs, b->n, &err) != SN_OK)
        sn_log_msg(b->fc->log, SN_LOG_ERROR, "cannot write the audit log", err.msg);
    b->n = 0;
}

/* One key's record: what happened to it and its public part, never its salt or hash. */
static void batch_key(change_batch *b, const char *action, const sn_key_record *r)
{
    size_t i = b->n;
    sn_audit_field *f = b->fields[i];
    if (r->expires)
        sn_format_timestamp(r->expires * 1000000, b->expires[i]);
    f[0] = SN_AUDIT_S("action", action);
    f[1] = SN_AUDIT_S("key_id", r->id);
    f[2] = SN_AUDIT_S("name", r->name);
    f[3] = SN_AUDIT_S("role", sn_role_name(r->role));
    f[4] = SN_AUDIT_S("scope", r->scope);
    f[5] = SN_AUDIT_S("expires", r->expires ? b->expires[i] : NULL);
    f[6] = SN_AUDIT_B("revoked", r->revoked != 0);
    f[7] = SN_AUDIT_S("keys_file", b->fc->path);
    b->recs[i] = (sn_audit_rec){"key_change", "sentinel", NULL, f, 8};
    if (++b->n == CHANGE_CHUNK)
        batch_flush(b);
}

/* A record about the file itself: unusable (why) or usable again. */
static void batch_file(change_batch *b, const char *action, const char *why)
{
    size_t i = b->n;
    sn_audit_field *f = b->fields[i];
    f[0] = SN_AUDIT_S("action", action);
    f[1] = SN_AUDIT_S("keys_file", b->fc->path);
    f[2] = SN_AUDIT_S("error", why);
    b->recs[i] = (sn_audit_rec){"key_change", "sentinel", NULL, f, why ? 3 : 2};
    if (++b->n == CHANGE_CHUNK)
        batch_flush(b);
}

/* A key of a list, for ordering the list by id without moving it. */
typedef struct key_ref {
    const sn_key_record *r;
} key_ref;

static int by_id(const void *a, const void *b)
{
    return strcmp(((const key_ref *)a)->r->id, ((const key_ref *)b)->r->id);
}

/* The list's records ordered by id (caller frees); NULL when out of memory or empty. */
static key_ref *sorted(const sn_keylist *l)
{
    if (!l->n)
        return NULL;
    key_ref *p = malloc(l->n * sizeof(*p));
    if (!p)
        return NULL;
    for (size_t i = 0; i < l->n; i++)
        p[i].r = &l->items[i];
    qsort(p, l->n, sizeof(*p), by_id);
    return p;
}

/* What happened to a key between two readings of the file; NULL: nothing. */
static const char *key_action(const sn_key_record *o, const sn_key_record *n)
{
    if (!o)
        return "created";
    if (!n)
        return "removed";
    if (!o->revoked && n->revoked)
        return "revoked";
    if (o->role != n->role || o->expires != n->expires || o->revoked != n->revoked ||
        strcmp(o->scope, n->scope) != 0 || strcmp(o->name, n->name) != 0 ||
        strcmp(o->salt, n->salt) != 0 || strcmp(o->hash, n->hash) != 0)
        return "changed";
    return NULL;
}

/* Records each key created, revoked, removed or changed from before to after, matched by id. */
static void record_changes(change_batch *b, const sn_keylist *before, const sn_keylist *after)
{
    key_ref *o = sorted(before), *n = sorted(after);
    if ((before->n && !o) || (after->n && !n)) {
        sn_log_msg(b->fc->log, SN_LOG_ERROR, "cannot write the audit log",
                   "out of memory: the keys file's changes are not recorded");
    } else {
        size_t i = 0, j = 0;
        while (i < before->n || j < after->n) {
            int c = i == before->n ? 1 : j == after->n ? -1 : strcmp(o[i].r->id, n[j].r->id);
            const sn_key_record *was = c <= 0 ? o[i++].r : NULL;
            const sn_key_record *now = c >= 0 ? n[j++].r : NULL;
            const char *action = key_action(was, now);
            if (action)
                batch_key(b, action, now ? now : was);
        }
    }
    free(o);
    free(n);
}

/* Reads the file again when it changed; called with no lock held. */
static void refresh(file_checker *fc)
{
    struct stat st;
    bool exists = stat(fc->path, &st) == 0;
    pthread_rwlock_rdlock(&fc->lock);
    bool fresh = exists ? same_file(fc, &st) : !fc->loaded && fc->ino == 0;
    pthread_rwlock_unlock(&fc->lock);
    if (fresh)
        return;
    pthread_rwlock_wrlock(&fc->lock);
    if (!(exists && same_file(fc, &st))) {
        sn_keylist fresh_keys;
        sn_error err;
        fc->dev = exists ? st.st_dev : 0;
        fc->ino = exists ? st.st_ino : 0;
        fc->size = exists ? st.st_size : 0;
        fc->mtime = exists ? st.st_mtim : (struct timespec){0, 0};
        fc->ctime = exists ? st.st_ctim : (struct timespec){0, 0};
        /* Recorded under the lock, so that two readings never record out of order. */
        change_batch *b = fc->audit ? calloc(1, sizeof(*b)) : NULL;
        if (b)
            b->fc = fc;
        else if (fc->audit)
            sn_log_msg(fc->log, SN_LOG_ERROR, "cannot write the audit log",
                       "out of memory: the keys file's changes are not recorded");
        if (sn_keys_load(fc->path, false, &fresh_keys, &err) == SN_OK) {
            if (b && !fc->loaded)
                batch_file(b, "file_usable", NULL);
            if (b) {
                record_changes(b, &fc->keys, &fresh_keys);
                batch_flush(b); /* its records point into both lists */
            }
            sn_keylist_free(&fc->keys);
            fc->keys = fresh_keys;
            fc->loaded = true;
            sn_log_msg(fc->log, SN_LOG_INFO, "keys file read again", NULL);
        } else {
            /* The keys last read stay, unused, to tell the next change apart from them. */
            fc->loaded = false;
            if (b)
                batch_file(b, "file_unusable", err.msg);
            sn_log_msg(fc->log, SN_LOG_ERROR, "keys file unusable: no API key is accepted",
                       err.msg);
        }
        if (b) {
            batch_flush(b);
            free(b);
        }
    }
    pthread_rwlock_unlock(&fc->lock);
}

static void *watch_loop(void *arg)
{
    file_checker *fc = arg;
    pthread_mutex_lock(&fc->watch_mutex);
    while (!fc->watch_stop) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += WATCH_MS / 1000;
        until.tv_nsec += (long)(WATCH_MS % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (!fc->watch_stop &&
               pthread_cond_timedwait(&fc->watch_cond, &fc->watch_mutex, &until) == 0) {
        }
        if (fc->watch_stop)
            break;
        pthread_mutex_unlock(&fc->watch_mutex);
        refresh(fc);
        pthread_mutex_lock(&fc->watch_mutex);
    }
    pthread_mutex_unlock(&fc->watch_mutex);
    return NULL;
}

/* Records the keys in force now, then every change: noticed at the next request with a key or
 * by the watch within WATCH_MS, whichever comes first. */
static void file_audit(void *ctx, sn_audit *audit)
{
    file_checker *fc = ctx;
    if (!audit || fc->audit)
        return;
    change_batch *b = calloc(1, sizeof(*b));
    if (!b) {
        sn_log_msg(fc->log, SN_LOG_ERROR, "cannot write the audit log",
                   "out of memory: the keys file's changes are not recorded");
        return;
    }
    b->fc = fc;
    pthread_rwlock_wrlock(&fc->lock);
    fc->audit = audit;
    for (size_t i = 0; i < fc->keys.n; i++)
        batch_key(b, "present_at_start", &fc->keys.items[i]);
    batch_flush(b);
    pthread_rwlock_unlock(&fc->lock);
    free(b);
    pthread_condattr_t ca;
    bool ok = pthread_condattr_init(&ca) == 0;
    ok = ok && pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 &&
         pthread_cond_init(&fc->watch_cond, &ca) == 0;
    pthread_condattr_destroy(&ca);
    if (ok && pthread_mutex_init(&fc->watch_mutex, NULL) != 0) {
        pthread_cond_destroy(&fc->watch_cond);
        ok = false;
    }
    if (ok && pthread_create(&fc->watch_thread, NULL, watch_loop, fc) != 0) {
        pthread_mutex_destroy(&fc->watch_mutex);
        pthread_cond_destroy(&fc->watch_cond);
        ok = false;
    }
    fc->watching = ok;
    if (!ok)
        sn_log_msg(fc->log, SN_LOG_WARN, "cannot watch the keys file",
                   "its changes are recorded at the next request with an API key");
}

static void file_poll(void *ctx)
{
    refresh(ctx);
}

/* The record of id read under the lock: whether it admits now, and as whom. */
static sn_auth_result admits(const sn_key_record *r, int64_t now, sn_principal *who,
                             const char **why)
{
    if (r->revoked) {
        *why = "this API key has been revoked";
        return SN_AUTH_REVOKED;
    }
    if (r->expires && r->expires <= now) {
        *why = "this API key has expired";
        return SN_AUTH_EXPIRED;
    }
    *why = NULL;
    who->role = r->role;
    snprintf(who->id, sizeof(who->id), "key:%s", r->id);
    snprintf(who->scope, sizeof(who->scope), "%s", r->scope);
    return SN_AUTH_OK;
}

/* The key of id and, when secret is not NULL, only if it matches; the lock held. */
static sn_auth_result look_up(file_checker *fc, const char *id, const char *secret, int64_t now,
                              sn_principal *who, const char **why)
{
    sn_auth_result res = SN_AUTH_INVALID;
    *why = secret ? "invalid API key" : "this API key no longer exists";
    pthread_rwlock_rdlock(&fc->lock);
    for (size_t i = 0; fc->loaded && i < fc->keys.n; i++) {
        const sn_key_record *r = &fc->keys.items[i];
        if (strcmp(r->id, id) != 0)
            continue;
        char h[65];
        if (secret && (key_hash(r->salt, secret, h) != SN_OK ||
                       CRYPTO_memcmp(h, r->hash, sizeof(h) - 1) != 0))
            break;
        res = admits(r, now, who, why);
        break;
    }
    pthread_rwlock_unlock(&fc->lock);
    return res;
}

static sn_auth_result file_check(void *ctx, const char *key, int64_t now, sn_principal *who,
                                 const char **why)
{
    file_checker *fc = ctx;
    /* sn_<16 hex>_<64 hex> */
    if (strlen(key) != SN_KEY_TEXT_LEN || strncmp(key, "sn_", 3) != 0 ||
        key[3 + SN_KEY_ID_LEN] != '_') {
        *why = "malformed API key";
        return SN_AUTH_INVALID;
    }
    char id[SN_KEY_ID_LEN + 1];
    memcpy(id, key + 3, SN_KEY_ID_LEN);
    id[SN_KEY_ID_LEN] = '\0';
    refresh(fc);
    return look_up(fc, id, key + 4 + SN_KEY_ID_LEN, now, who, why);
}

static sn_auth_result file_standing(void *ctx, const char *id, int64_t now, sn_principal *who,
                                    const char **why)
{
    file_checker *fc = ctx;
    refresh(fc);
    return look_up(fc, id, NULL, now, who, why);
}

static void file_free(void *ctx)
{
    file_checker *fc = ctx;
    if (!fc)
        return;
    if (fc->watching) {
        pthread_mutex_lock(&fc->watch_mutex);
        fc->watch_stop = true;
        pthread_cond_signal(&fc->watch_cond);
        pthread_mutex_unlock(&fc->watch_mutex);
        pthread_join(fc->watch_thread, NULL);
        pthread_mutex_destroy(&fc->watch_mutex);
        pthread_cond_destroy(&fc->watch_cond);
    }
    sn_keylist_free(&fc->keys);
    pthread_rwlock_destroy(&fc->lock);
    free(fc->path);
    free(fc);
}

sn_status sn_key_checker_file(sn_key_checker *out, const char *path, sn_log *log, sn_error *err)
{
    memset(out, 0, sizeof(*out));
    file_checker *fc = calloc(1, sizeof(*fc));
    if (!fc || !(fc->path = strdup(path))) {
        free(fc);
        return sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL, "out of memory");
    }
    fc->log = log;
    if (pthread_rwlock_init(&fc->lock, NULL) != 0) {
        free(fc->path);
        free(fc);
        return sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL, "out of resources");
    }
    struct stat st;
    if (stat(path, &st) != 0) {
        file_free(fc);
        return sn_error_set(err, SN_ERR_SECRET, true, path, 0, NULL, "cannot open keys file: %s",
                            strerror(errno));
    }
    sn_status s = sn_keys_load(path, false, &fc->keys, err);
    if (s != SN_OK) {
        file_free(fc);
        return s;
    }
    fc->dev = st.st_dev;
    fc->ino = st.st_ino;
    fc->size = st.st_size;
    fc->mtime = st.st_mtim;
    fc->loaded = true;
    fc->ctime = st.st_ctim;
    out->ctx = fc;
    out->check = file_check;
    out->free = file_free;
    out->audit = file_audit;
    out->poll = file_poll;
    out->standing = file_standing;
    return SN_OK;
}
