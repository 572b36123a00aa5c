/* Writing the audit log: records built and chained under one mutex, one write() per record (or
 * per batch of records), fdatasync per record or from a thread of the log's own, what must never
 * be recorded dropped, personal values pseudonymised. */
#include "audit_internal.h"

#include "../core/buf.h"
#include "../core/secret.h"
#include "../ingest/ingest.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct sn_audit {
    pthread_mutex_t mutex;
    int fd;
    char path[4096];
    unsigned char key[SN_AUDIT_MAX_KEY];
    size_t key_len;
    unsigned char pkey[SN_AUDIT_MAX_KEY];
    size_t pkey_len; /* 0: no pseudonyms */
    int64_t (*now_us)(void);
    /* The chain, guarded by mutex: the last record written and the bytes of whole records. */
    uint64_t seq;
    char prev[65];
    off_t size;
    sn_buf out; /* records being written, reused */
    atomic_uint_fast64_t records, failures;
    /* The fdatasync thread (fsync_ms > 0). */
    int fsync_ms;
    bool flusher;
    bool stop, dirty; /* guarded by mutex */
    pthread_cond_t wake;
    pthread_t thread;
    uint64_t recovered; /* bytes of an unfinished record cut off at open */
};

static int64_t real_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- What is never recorded ------------------------------------------------------------ */

bool sn_audit_name_denied(const char *name)
{
    char n[72];
    size_t len = 0;
    for (; len < sizeof(n) - 1 && name[len]; len++)
        n[len] = name[len] == '-' ? '_' : (char)tolower((unsigned char)name[len]);
    n[len] = '\0';
    /* Anything named like a credential, wherever the word appears in the name. */
    static const char *const parts[] = {
        "password", "passwd", "passphrase", "secret",  "token",  "credential", "authorization",
        "cookie",   "apikey", "api_key",    "private", "bearer", "jwt",        "signature"};
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
        if (strstr(n, parts[i]))
            return true;
    /* A key itself ("key", "hmac_key", "apikey"), not a key's id or name ("key_id"). */
    if (len >= 3 && !strcmp(n + len - 3, "key"))
        return true;
    static const char *const exact[] = {"pwd", "pass", "pin", "otp", "auth", "session"};
    for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
        if (!strcmp(n, exact[i]))
            return true;
    return false;
}

/* An Authorization header's value, wherever it turns up. */
static bool value_denied(const char *v)
{
    static const char *const schemes[] = {"bearer ", "basic ", "digest ", "negotiate "};
    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
        if (!strncasecmp(v, schemes[i], strlen(schemes[i])))
            return true;
    return false;
}

/* ---- Building records ------------------------------------------------------------------ */

/* s as a JSON string, cut to max bytes at a character boundary, invalid UTF-8 replaced by
 * U+FFFD, so that a record is always valid JSON whatever a caller hands over. */
static void put_text(sn_buf *b, const char *s, size_t max)
{
    size_t n = strnlen(s, max + 4);
    char tmp[SN_AUDIT_MAX_VALUE * 3 + 8];
    size_t o = 0, i = 0;
    while (i < n && o < max) {
        size_t ok = sn_utf8_valid_prefix(s + i, n - i);
        size_t take = ok;
        if (o + take > max) {
            /* Back to a character boundary within max. */
            take = max - o;
            while (take > 0 && ((unsigned char)s[i + take] & 0xc0) == 0x80)
                take--;
        }
        memcpy(tmp + o, s + i, take);
        o += take;
        i += take;
        if (take < ok || i >= n)
            break;
        /* One invalid byte: U+FFFD in its place. */
        if (o + 3 > max)
            break;
        memcpy(tmp + o, "\xef\xbf\xbd", 3);
        o += 3;
        i++;
    }
    sn_buf_json_str(b, tmp, o);
}

static bool valid_kind(const char *k)
{
    size_t n = 0;
    for (; k[n]; n++)
        if (!(k[n] >= 'a' && k[n] <= 'z') && k[n] != '_')
            return false;
    return n >= 1 && n <= 32;
}

static bool valid_name(const char *k)
{
    size_t n = 0;
    for (; k[n]; n++)
        if (!(k[n] >= 'a' && k[n] <= 'z') && !(k[n] >= '0' && k[n] <= '9') && k[n] != '_')
            return false;
    return n >= 1 && n <= 64;
}

void sn_audit_pseudonym_with(const unsigned char *key, size_t key_len, const char *value, size_t n,
                             char out[67])
{
    out[0] = 'p';
    out[1] = ':';
    if (sn_hmac_hex(key, key_len, value, n, out + 2) != SN_OK)
        out[0] = '\0';
}

bool sn_audit_pseudonym(const sn_audit *a, const char *value, size_t n, char out[67])
{
    if (!a || !a->pkey_len)
        return false;
    sn_audit_pseudonym_with(a->pkey, a->pkey_len, value, n, out);
    return out[0] != '\0';
}

/* A personal value: its pseudonym when there is a pseudonym key, else the value. */
static void put_personal(const sn_audit *a, sn_buf *b, const char *s)
{
    char p[67];
    if (sn_audit_pseudonym(a, s, strnlen(s, SN_AUDIT_MAX_VALUE), p))
        sn_buf_json_str(b, p, strlen(p));
    else
        put_text(b, s, SN_AUDIT_MAX_VALUE);
}

/* The details object of rec into b, within budget bytes. */
static sn_status put_details(const sn_audit *a, sn_buf *b, const sn_audit_rec *rec, size_t budget,
                             sn_error *err)
{
    const char *redacted[SN_AUDIT_MAX_FIELDS];
    size_t n_redacted = 0, written = 0, start = b->len;
    bool truncated = rec->n_fields > SN_AUDIT_MAX_FIELDS;
    sn_buf_putc(b, '{');
    for (size_t i = 0; i < rec->n_fields && i < SN_AUDIT_MAX_FIELDS; i++) {
        const sn_audit_field *f = &rec->fields[i];
        bool text = f->type == SN_AUDIT_STR || f->type == SN_AUDIT_PERSONAL;
        if (!f->name || sn_audit_name_denied(f->name) || (text && f->str && value_denied(f->str))) {
            redacted[n_redacted++] = f->name ? f->name : "";
            continue;
        }
        if (!valid_name(f->name))
            return sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, f->name,
                                "an audit detail name is lower-case letters, digits and '_'");
        size_t before = b->len;
        if (written)
            sn_buf_putc(b, ',');
        sn_buf_json_str(b, f->name, strlen(f->name));
        sn_buf_putc(b, ':');
        if (text && !f->str)
            sn_buf_puts(b, "null");
        else if (f->type == SN_AUDIT_STR)
            put_text(b, f->str, SN_AUDIT_MAX_VALUE);
        else if (f->type == SN_AUDIT_PERSONAL)
            put_personal(a, b, f->str);
        else if (f->type == SN_AUDIT_BOOL)
            sn_buf_puts(b, f->num ? "true" : "false");
        else
            sn_buf_printf(b, "%lld", f->num);
        /* Room is kept for the closing members below. */
        if (b->len - start + 400 > budget) {
            b->len = before;
            truncated = true;
            break;
        }
        written++;
    }
    if (n_redacted) {
        sn_buf_puts(b, written ? ",\"redacted\":[" : "\"redacted\":[");
        for (size_t i = 0; i < n_redacted; i++) {
            /* A name takes at most 386 bytes escaped. */
            if (b->len - start + 450 > budget) {
                truncated = true;
                break;
            }
            if (i)
                sn_buf_putc(b, ',');
            put_text(b, redacted[i], 64);
        }
        sn_buf_putc(b, ']');
        written++;
    }
    if (truncated)
        sn_buf_puts(b, written ? ",\"truncated\":true" : "\"truncated\":true");
    sn_buf_putc(b, '}');
    return SN_OK;
}

/* Everything of a record that does not depend on its place in the chain: the members from kind
 * to details, written as ,"kind":...,"details":{...} */
static sn_status put_body(const sn_audit *a, sn_buf *b, const sn_audit_rec *rec, sn_error *err)
{
    size_t start = b->len;
    if (!rec->kind || !valid_kind(rec->kind))
        return sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, "kind",
                            "an audit record's kind is 1-32 lower-case letters and '_'");
    sn_buf_puts(b, ",\"kind\":\"");
    sn_buf_puts(b, rec->kind);
    sn_buf_puts(b, "\",\"actor\":");
    if (!rec->actor || !*rec->actor)
        sn_buf_puts(b, "\"anonymous\"");
    else if (value_denied(rec->actor))
        sn_buf_puts(b, "\"redacted\"");
    else
        put_text(b, rec->actor, 256);
    sn_buf_puts(b, ",\"source\":");
    if (rec->source && *rec->source) {
        char src[257];
        snprintf(src, sizeof(src), "%s", rec->source);
        put_personal(a, b, src);
    } else {
        sn_buf_puts(b, "null");
    }
    sn_buf_puts(b, ",\"details\":");
    /* seq, time, prev and mac take under 256 bytes. */
    size_t used = b->len - start;
    return put_details(a, b, rec, SN_AUDIT_MAX_RECORD - 256 - used, err);
}

/* ---- Writing --------------------------------------------------------------------------- */

static bool write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

static void *flush_loop(void *arg)
{
    sn_audit *a = arg;
    pthread_mutex_lock(&a->mutex);
    while (!a->stop) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += a->fsync_ms / 1000;
        until.tv_nsec += (long)(a->fsync_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (!a->stop && pthread_cond_timedwait(&a->wake, &a->mutex, &until) == 0) {
        }
        if (a->dirty) {
            a->dirty = false;
            pthread_mutex_unlock(&a->mutex);
            fdatasync(a->fd);
            pthread_mutex_lock(&a->mutex);
        }
    }
    pthread_mutex_unlock(&a->mutex);
    return NULL;
}

sn_status sn_audit_record_many(sn_audit *a, const sn_audit_rec *recs, size_t n, sn_error *err)
{
    if (!a || n == 0)
        return SN_OK;
    /* Bodies are built outside the lock; only the chained part is built under it. */
    sn_buf body;
    sn_buf_init(&body);
    size_t *ends = malloc(n * sizeof(*ends));
    if (!ends)
        return sn_error_set(err, SN_ERR_NOMEM, true, a->path, 0, NULL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        sn_status st = put_body(a, &body, &recs[i], err);
        if (st != SN_OK) {
            free(ends);
            sn_buf_free(&body);
            return st;
        }
        ends[i] = body.len;
    }
    if (body.failed) {
        free(ends);
        sn_buf_free(&body);
        return sn_error_set(err, SN_ERR_NOMEM, true, a->path, 0, NULL, "out of memory");
    }
    sn_status st = SN_OK;
    pthread_mutex_lock(&a->mutex);
    sn_buf *out = &a->out;
    sn_buf_reset(out);
    uint64_t seq = a->seq;
    char prev[65];
    memcpy(prev, a->prev, 65);
    for (size_t i = 0; i < n && st == SN_OK; i++) {
        size_t from = i ? ends[i - 1] : 0, start = out->len;
        char when[32], mac[65];
        sn_format_timestamp(a->now_us(), when);
        sn_buf_printf(out, "{\"seq\":%llu,\"time\":\"%s\"", (unsigned long long)seq + 1u, when);
        sn_buf_append(out, body.data + from, ends[i] - from);
        sn_buf_puts(out, ",\"prev\":\"");
        sn_buf_puts(out, prev);
        sn_buf_putc(out, '"');
        if (out->failed ||
            !sn_audit_mac(a->key, a->key_len, out->data + start, out->len - start, mac)) {
            st = sn_error_set(err, SN_ERR_NOMEM, true, a->path, 0, NULL,
                              "out of memory or HMAC failure");
            break;
        }
        sn_buf_puts(out, ",\"mac\":\"");
        sn_buf_puts(out, mac);
        sn_buf_puts(out, "\"}\n");
        seq++;
        memcpy(prev, mac, 65);
    }
    if (st == SN_OK && out->failed)
        st = sn_error_set(err, SN_ERR_NOMEM, true, a->path, 0, NULL, "out of memory");
    if (st == SN_OK) {
        if (!write_all(a->fd, out->data, out->len)) {
            int e = errno;
            /* Back to the last whole record, so that the chain on disk stays whole. */
            if (ftruncate(a->fd, a->size) != 0) {
            }
            st = sn_error_set(err, SN_ERR_IO, true, a->path, 0, NULL, "cannot write: %s",
                              strerror(e));
        } else {
            a->size += (off_t)out->len;
            a->seq = seq;
            memcpy(a->prev, prev, 65);
            if (a->fsync_ms > 0)
                a->dirty = true;
            else if (fdatasync(a->fd) != 0)
                st = sn_error_set(err, SN_ERR_IO, true, a->path, 0, NULL,
                                  "written but not synced: %s", strerror(errno));
        }
    }
    if (out->cap > 1u << 20) {
        sn_buf_free(out); /* a large batch's records: not kept for the next small one */
        sn_buf_init(out);
    }
    pthread_mutex_unlock(&a->mutex);
    if (st == SN_OK)
        atomic_fetch_add(&a->records, n);
    else
        atomic_fetch_add(&a->failures, 1);
    free(ends);
    sn_buf_free(&body);
    return st;
}

sn_status sn_audit_record(sn_audit *a, const sn_audit_rec *rec, sn_error *err)
{
    return sn_audit_record_many(a, rec, 1, err);
}

sn_status sn_audit_auth(sn_audit *a, const char *actor, const char *source, bool ok,
                        const char *reason)
{
    sn_audit_field f[] = {SN_AUDIT_S("outcome", ok ? "success" : "failure"),
                          SN_AUDIT_S("reason", reason)};
    sn_audit_rec rec = {"auth", actor, source, f, reason ? 2 : 1};
    sn_error err;
    return sn_audit_record(a, &rec, &err);
}

uint64_t sn_audit_records(const sn_audit *a)
{
    return a ? atomic_load(&a->records) : 0;
}

uint64_t sn_audit_failures(const sn_audit *a)
{
    return a ? atomic_load(&a->failures) : 0;
}

/* ---- Opening: continuing the chain ---------------------------------------------------- */

/* Checks the last whole record (and its link to the one before it) and takes the chain from it.
 * A tail after the last newline that is no longer than a record is what a crash in the middle of
 * a write leaves: its length is put in *cut (and its SHA-256 in cut_sha) for the caller to cut it
 * off and say so in the chain. */
static sn_status continue_chain(sn_audit *a, off_t size, off_t *cut, char cut_sha[65],
                                sn_error *err)
{
    *cut = 0;
    size_t want = size < 2 * SN_AUDIT_MAX_RECORD ? (size_t)size : 2 * SN_AUDIT_MAX_RECORD;
    char *tail = malloc(want);
    if (!tail)
        return sn_error_set(err, SN_ERR_NOMEM, true, a->path, 0, NULL, "out of memory");
    ssize_t got = pread(a->fd, tail, want, size - (off_t)want);
    const char *advice = "check it with `sentinel audit verify --log FILE`, and move it aside to "
                         "start a new log";
    sn_status st = SN_OK;
    /* end: one past the newline that closes the last whole record (0: no whole record read). */
    size_t end = want;
    if (got != (ssize_t)want) {
        st = sn_error_set(err, SN_ERR_IO, true, a->path, 0, NULL, "cannot read its end: %s",
                          strerror(errno));
    } else if (tail[want - 1] != '\n') {
        while (end > 0 && tail[end - 1] != '\n')
            end--;
        size_t frag = want - end;
        if ((end == 0 && want < (size_t)size) || frag > SN_AUDIT_MAX_RECORD) {
            st = sn_error_set(err, SN_ERR_PARSE, true, a->path, 0, NULL,
                              "cannot continue the audit log: it ends in %s bytes without a "
                              "newline, longer than any record; %s",
                              end == 0 ? "more than 32768" : "over 16384", advice);
        } else {
            *cut = (off_t)frag;
            if (!sn_sha256_hex(tail + end, frag, cut_sha))
                st = sn_error_set(err, SN_ERR_CRYPTO, true, a->path, 0, NULL, "SHA-256 failed");
        }
    }
    if (st != SN_OK || end == 0) {
        free(tail);
        return st;
    }
    /* The last whole line and, when there is one, the line before it. Each line is at most
     * SN_AUDIT_MAX_RECORD bytes, so both are within what was read; one that is not whole there
     * is longer than that, and refused as such. */
    end--; /* the newline */
    size_t last = end;
    while (last > 0 && tail[last - 1] != '\n')
        last--;
    bool has_before = last > 0;
    size_t before = has_before ? last - 1 : 0;
    while (before > 0 && tail[before - 1] != '\n')
        before--;
    sn_audit_verifier v;
    st = sn_audit_verifier_init(&v, a->key, a->key_len, err);
    if (st == SN_OK) {
        if (has_before) {
            sn_audit_verifier_resume(&v);
            sn_audit_verifier_line(&v, tail + before, last - 1 - before, true);
        }
        sn_audit_verifier_line(&v, tail + last, end - last, true);
        if (v.fault) {
            st = sn_error_set(err,
                              v.fault == SN_AUDIT_FAULT_MALFORMED ? SN_ERR_PARSE : SN_ERR_CRYPTO,
                              true, a->path, 0, NULL,
                              "cannot continue the audit log: its %s record fails verification: "
                              "%s; %s",
                              v.line == 1 && has_before ? "second-last" : "last", v.why, advice);
        } else {
            a->seq = v.last_seq;
            memcpy(a->prev, v.last_mac, 65);
        }
    }
    OPENSSL_cleanse(&v, sizeof(v));
    free(tail);
    return st;
}

sn_status sn_audit_open(sn_audit **out, const sn_audit_options *o, sn_error *err)
{
    *out = NULL;
    if (!o->key || o->key_len < SN_AUDIT_MIN_KEY || o->key_len > SN_AUDIT_MAX_KEY)
        return sn_error_set(err, SN_ERR_SECRET, true, NULL, 0, "audit key",
                            "the audit key must be %d-%d bytes (for example the 64 characters "
                            "`openssl rand -hex 32` prints)",
                            SN_AUDIT_MIN_KEY, SN_AUDIT_MAX_KEY);
    if (o->pseudonym_key &&
        (o->pseudonym_key_len < SN_AUDIT_MIN_KEY || o->pseudonym_key_len > SN_AUDIT_MAX_KEY))
        return sn_error_set(err, SN_ERR_SECRET, true, NULL, 0, "pseudonym key",
                            "the pseudonym key must be %d-%d bytes", SN_AUDIT_MIN_KEY,
                            SN_AUDIT_MAX_KEY);
    if (!o->path || !*o->path || strlen(o->path) >= sizeof(((sn_audit *)0)->path))
        return sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, "audit_log",
                            "the audit log needs a file name (of at most 4095 bytes)");
    sn_audit *a = calloc(1, sizeof(*a));
    if (!a)
        return sn_error_set(err, SN_ERR_NOMEM, true, o->path, 0, NULL, "out of memory");
    snprintf(a->path, sizeof(a->path), "%s", o->path);
    memcpy(a->key, o->key, o->key_len);
    a->key_len = o->key_len;
    if (o->pseudonym_key) {
        memcpy(a->pkey, o->pseudonym_key, o->pseudonym_key_len);
        a->pkey_len = o->pseudonym_key_len;
    }
    a->now_us = o->now_us ? o->now_us : real_now_us;
    a->fsync_ms = o->fsync_ms > 0 ? o->fsync_ms : 0;
    sn_buf_init(&a->out);
    atomic_init(&a->records, 0);
    atomic_init(&a->failures, 0);
    sn_audit_genesis(a->key, a->key_len, a->prev);
    a->fd = open(o->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    sn_status st = SN_OK;
    struct stat sb = {0};
    off_t cut = 0;
    char cut_sha[65] = "";
    if (a->fd < 0) {
        st = sn_error_set(err, SN_ERR_IO, true, o->path, 0, NULL, "cannot open the audit log: %s",
                          strerror(errno));
    } else if (flock(a->fd, LOCK_EX | LOCK_NB) != 0) {
        /* Two writers would each continue the chain from the same record. */
        st = sn_error_set(err, SN_ERR_IO, true, o->path, 0, NULL,
                          "the audit log is open for writing in another process");
    } else if (fstat(a->fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        st = sn_error_set(err, SN_ERR_IO, true, o->path, 0, NULL,
                          "the audit log is not a regular file");
    } else if (!a->prev[0]) {
        st = sn_error_set(err, SN_ERR_CRYPTO, true, o->path, 0, NULL, "HMAC-SHA-256 failed");
    } else if (sb.st_size > 0) {
        st = continue_chain(a, sb.st_size, &cut, cut_sha, err);
    }
    /* A record cut short by a crash was never whole: it goes, and the chain says so below. */
    if (st == SN_OK && cut > 0 &&
        (ftruncate(a->fd, sb.st_size - cut) != 0 || fdatasync(a->fd) != 0))
        st = sn_error_set(err, SN_ERR_IO, true, o->path, 0, NULL,
                          "cannot cut off the record a crash left unfinished: %s", strerror(errno));
    a->size = sb.st_size - cut;
    if (st == SN_OK && pthread_mutex_init(&a->mutex, NULL) != 0)
        st = sn_error_set(err, SN_ERR_NOMEM, true, o->path, 0, NULL, "cannot create a mutex");
    if (st != SN_OK) {
        if (a->fd >= 0)
            close(a->fd);
        OPENSSL_cleanse(a, sizeof(*a));
        free(a);
        return st;
    }
    if (a->fsync_ms > 0) {
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        bool cond = pthread_cond_init(&a->wake, &ca) == 0;
        pthread_condattr_destroy(&ca);
        a->flusher = cond && pthread_create(&a->thread, NULL, flush_loop, a) == 0;
        if (!a->flusher) {
            if (cond)
                pthread_cond_destroy(&a->wake);
            a->fsync_ms = 0; /* no thread: every record is synced instead */
        }
    }
    if (cut > 0) {
        /* Before anything else is written: the cut in the chain, with what was cut. */
        sn_audit_field f[] = {SN_AUDIT_I("cut_bytes", cut), SN_AUDIT_S("cut_sha256", cut_sha),
                              SN_AUDIT_I("after_seq", (long long)a->seq)};
        sn_audit_rec rec = {"audit_recovered", "sentinel", NULL, f, 3};
        if ((st = sn_audit_record(a, &rec, err)) != SN_OK) {
            sn_audit_close(a);
            return st;
        }
        a->recovered = (uint64_t)cut;
    }
    *out = a;
    return SN_OK;
}

uint64_t sn_audit_recovered_bytes(const sn_audit *a)
{
    return a ? a->recovered : 0;
}

void sn_audit_close(sn_audit *a)
{
    if (!a)
        return;
    if (a->flusher) {
        pthread_mutex_lock(&a->mutex);
        a->stop = true;
        pthread_cond_signal(&a->wake);
        pthread_mutex_unlock(&a->mutex);
        pthread_join(a->thread, NULL);
        pthread_cond_destroy(&a->wake);
    }
    fdatasync(a->fd);
    close(a->fd);
    pthread_mutex_destroy(&a->mutex);
    sn_buf_free(&a->out);
    OPENSSL_cleanse(a, sizeof(*a));
    free(a);
}
