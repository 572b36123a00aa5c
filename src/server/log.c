/* Structured logs: one JSON object per line ({"time", "level", "msg", fields...}) on a
 * descriptor, written by a thread of its own from a bounded buffer, so that a request never
 * waits for a slow or blocked reader of standard error; what does not fit is counted and dropped.
 * The writer collects lines for up to 50 ms and writes them at once: waking it for every line
 * cost as much as judging the event the line is about. Warnings and errors go out at once. */
#include "server_internal.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_BUFFER (1u << 20)
#define FLUSH_WAIT_SECONDS 2
#define GATHER_NS (50 * 1000 * 1000)  /* how long the writer collects lines before writing */
#define GATHER_BYTES (LOG_BUFFER / 4) /* ... unless this much is waiting */

struct sn_log {
    int fd;
    sn_log_level min;
    pthread_mutex_t lock;
    pthread_cond_t more, drained;
    char *ring;
    size_t head, len; /* the bytes not yet written: ring[head .. head + len) modulo the size */
    bool stop, done;
    bool urgent;   /* a warning or an error is waiting: write without collecting more */
    bool orphaned; /* sn_log_free gave up waiting: the writer frees everything when it ends */
    atomic_uint_fast64_t dropped;
    pthread_t thread;
};

static const char *const level_names[] = {"debug", "info", "warn", "error", "off"};

const char *sn_log_level_name(sn_log_level level)
{
    return level >= SN_LOG_DEBUG && level <= SN_LOG_OFF ? level_names[level] : "?";
}

static void destroy(sn_log *l)
{
    pthread_cond_destroy(&l->more);
    pthread_cond_destroy(&l->drained);
    pthread_mutex_destroy(&l->lock);
    free(l->ring);
    free(l);
}

static void *writer(void *arg)
{
    sn_log *l = arg;
    pthread_mutex_lock(&l->lock);
    for (;;) {
        while (l->len == 0 && !l->stop)
            pthread_cond_wait(&l->more, &l->lock);
        if (l->len == 0)
            break;
        /* Collect more lines (a signal only comes for the first line, a warning, a full
         * quarter of the buffer or the stop). */
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += GATHER_NS;
        if (until.tv_nsec >= 1000000000) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000;
        }
        while (!l->stop && !l->urgent && l->len < GATHER_BYTES &&
               pthread_cond_timedwait(&l->more, &l->lock, &until) == 0) {
        }
        l->urgent = false;
        /* The bytes from head on stay put until head moves past them: write without the lock. */
        size_t n = l->len < LOG_BUFFER - l->head ? l->len : LOG_BUFFER - l->head;
        const char *p = l->ring + l->head;
        pthread_mutex_unlock(&l->lock);
        size_t off = 0;
        while (off < n) {
            ssize_t w = write(l->fd, p + off, n - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                break; /* closed or broken: these lines are lost */
            off += (size_t)w;
        }
        pthread_mutex_lock(&l->lock);
        l->head = (l->head + n) % LOG_BUFFER;
        l->len -= n;
        if (l->len == 0)
            pthread_cond_broadcast(&l->drained);
    }
    l->done = true;
    bool orphaned = l->orphaned;
    pthread_cond_broadcast(&l->drained);
    pthread_mutex_unlock(&l->lock);
    if (orphaned)
        destroy(l);
    return NULL;
}

sn_log *sn_log_new(int fd, sn_log_level min)
{
    sn_log *l = calloc(1, sizeof(*l));
    if (!l)
        return NULL;
    l->fd = fd;
    l->min = min;
    atomic_init(&l->dropped, 0);
    l->ring = malloc(LOG_BUFFER);
    if (!l->ring || pthread_mutex_init(&l->lock, NULL) != 0) {
        free(l->ring);
        free(l);
        return NULL;
    }
    pthread_cond_init(&l->more, NULL);
    pthread_cond_init(&l->drained, NULL);
    if (pthread_create(&l->thread, NULL, writer, l) != 0) {
        destroy(l);
        return NULL;
    }
    return l;
}

void sn_log_free(sn_log *l)
{
    if (!l)
        return;
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += FLUSH_WAIT_SECONDS;
    pthread_mutex_lock(&l->lock);
    l->stop = true;
    pthread_cond_signal(&l->more);
    while (!l->done && pthread_cond_timedwait(&l->drained, &l->lock, &deadline) == 0) {
    }
    bool done = l->done;
    l->orphaned = !done;
    pthread_mutex_unlock(&l->lock);
    if (!done) {
        /* Nobody reads the other end and the writer is stuck in write(): rather than wait, let
         * it finish (or the process end) on its own; it frees everything if it gets there. */
        pthread_detach(l->thread);
        return;
    }
    pthread_join(l->thread, NULL);
    destroy(l);
}

bool sn_log_enabled(const sn_log *l, sn_log_level level)
{
    return l && level >= l->min && level < SN_LOG_OFF;
}

uint64_t sn_log_dropped(const sn_log *l)
{
    return l ? (uint64_t)atomic_load_explicit(&l->dropped, memory_order_relaxed) : 0;
}

/* ---- Building a line ---------------------------------------------------------------------- */

#define LINE_ROOM (sizeof(((sn_log_line *)0)->text) - 2) /* keeps room for "}\n" */
#define VALUE_MAX 512                                    /* longest string value kept */

/* Appends; false (and nothing appended) when it does not fit. */
static bool put(sn_log_line *ln, const char *s, size_t n)
{
    if (ln->len + n > LINE_ROOM)
        return false;
    memcpy(ln->text + ln->len, s, n);
    ln->len += n;
    return true;
}

/* s as a JSON string, at most VALUE_MAX bytes of it, cut to valid UTF-8. */
static bool put_str(sn_log_line *ln, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    n = sn_utf8_valid_prefix(s, n < VALUE_MAX ? n : VALUE_MAX);
    bool ok = put(ln, "\"", 1);
    size_t run = 0; /* bytes copied as they are, pending */
    for (size_t i = 0; ok && i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f) {
            run++;
            continue;
        }
        ok = put(ln, s + i - run, run);
        run = 0;
        char esc[6] = {'\\', (char)c};
        size_t k = 2;
        if (c < 0x20 || c == 0x7f) {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            k = 6;
        }
        ok = ok && put(ln, esc, k);
    }
    return ok && put(ln, s + n - run, run) && put(ln, "\"", 1);
}

/* One field, whole or not at all. */
static void field_done(sn_log_line *ln, size_t start, bool ok)
{
    if (!ok) {
        ln->len = start;
        ln->cut = true;
    }
}

void sn_log_begin(sn_log_line *line, sn_log_level level, const char *msg)
{
    char now[32];
    sn_now_iso(now);
    line->level = level;
    line->len = 0;
    line->cut = false;
    put(line, "{\"time\":\"", 9);
    put(line, now, strlen(now));
    put(line, "\",\"level\":\"", 11);
    put(line, sn_log_level_name(level), strlen(sn_log_level_name(level)));
    put(line, "\",\"msg\":", 8);
    put_str(line, msg, strlen(msg));
}

void sn_log_str(sn_log_line *line, const char *key, const char *value, size_t n)
{
    size_t start = line->len;
    bool ok = put(line, ",", 1) && put_str(line, key, strlen(key)) && put(line, ":", 1) &&
              put_str(line, value, n);
    field_done(line, start, ok);
}

void sn_log_int(sn_log_line *line, const char *key, long long value)
{
    char num[24];
    int k = snprintf(num, sizeof(num), "%lld", value);
    size_t start = line->len;
    bool ok = put(line, ",", 1) && put_str(line, key, strlen(key)) && put(line, ":", 1) &&
              put(line, num, (size_t)k);
    field_done(line, start, ok);
}

void sn_log_end(sn_log *l, sn_log_line *line)
{
    if (!sn_log_enabled(l, line->level))
        return;
    if (line->cut) {
        static const char cut[] = ",\"truncated\":true";
        if (line->len + sizeof(cut) - 1 > LINE_ROOM)
            line->len = LINE_ROOM - (sizeof(cut) - 1); /* never happens: fields are short */
        put(line, cut, sizeof(cut) - 1);
    }
    memcpy(line->text + line->len, "}\n", 2);
    size_t n = line->len + 2;
    pthread_mutex_lock(&l->lock);
    if (l->len + n > LOG_BUFFER || l->stop) {
        pthread_mutex_unlock(&l->lock);
        atomic_fetch_add_explicit(&l->dropped, 1, memory_order_relaxed);
        return;
    }
    size_t tail = (l->head + l->len) % LOG_BUFFER;
    size_t first = n < LOG_BUFFER - tail ? n : LOG_BUFFER - tail;
    memcpy(l->ring + tail, line->text, first);
    memcpy(l->ring, line->text + first, n - first);
    bool wake = l->len == 0 || (l->len < GATHER_BYTES && l->len + n >= GATHER_BYTES) ||
                line->level >= SN_LOG_WARN;
    l->len += n;
    if (line->level >= SN_LOG_WARN)
        l->urgent = true;
    pthread_mutex_unlock(&l->lock);
    if (wake)
        pthread_cond_signal(&l->more);
}

void sn_log_msg(sn_log *l, sn_log_level level, const char *msg, const char *detail)
{
    if (!sn_log_enabled(l, level))
        return;
    sn_log_line line;
    sn_log_begin(&line, level, msg);
    if (detail)
        sn_log_str(&line, "error", detail, strlen(detail));
    sn_log_end(l, &line);
}
