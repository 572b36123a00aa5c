/* The streaming reader: opens a file, stdin or a memory buffer, keeps one bounded input buffer,
 * detects the format and hands each call to the parser of that format. */
#include "ingest_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int sn_format_from_name(const char *name, sn_format *out)
{
    if (!name)
        return -1;
    if (!strcmp(name, "auto"))
        *out = SN_FORMAT_AUTO;
    else if (!strcmp(name, "csv"))
        *out = SN_FORMAT_CSV;
    else if (!strcmp(name, "jsonl") || !strcmp(name, "ndjson"))
        *out = SN_FORMAT_JSONL;
    else if (!strcmp(name, "syslog") || !strcmp(name, "auth.log"))
        *out = SN_FORMAT_SYSLOG;
    else if (!strcmp(name, "winevt"))
        *out = SN_FORMAT_WINEVT;
    else if (!strcmp(name, "cloudtrail"))
        *out = SN_FORMAT_CLOUDTRAIL;
    else if (!strcmp(name, "okta"))
        *out = SN_FORMAT_OKTA;
    else if (!strcmp(name, "entra") || !strcmp(name, "azuread"))
        *out = SN_FORMAT_ENTRA;
    else if (!strcmp(name, "ecs"))
        *out = SN_FORMAT_ECS;
    else if (!strcmp(name, "ocsf"))
        *out = SN_FORMAT_OCSF;
    else
        return -1;
    return 0;
}

const char *sn_format_name(sn_format f)
{
    switch (f) {
    case SN_FORMAT_AUTO:
        return "auto";
    case SN_FORMAT_CSV:
        return "csv";
    case SN_FORMAT_JSONL:
        return "jsonl";
    case SN_FORMAT_SYSLOG:
        return "syslog";
    case SN_FORMAT_WINEVT:
        return "winevt";
    case SN_FORMAT_CLOUDTRAIL:
        return "cloudtrail";
    case SN_FORMAT_OKTA:
        return "okta";
    case SN_FORMAT_ENTRA:
        return "entra";
    case SN_FORMAT_ECS:
        return "ecs";
    case SN_FORMAT_OCSF:
        return "ocsf";
    }
    return "unknown";
}

size_t sn_ingest_fill(sn_reader *r)
{
    if (r->eof)
        return 0;
    if (r->pos > 0) {
        memmove(r->buf, r->buf + r->pos, r->end - r->pos);
        r->end -= r->pos;
        r->pos = 0;
    }
    size_t room = r->cap - r->end;
    if (room == 0)
        return 0;
    if (r->read_limit && room > r->read_limit)
        room = r->read_limit;
    if (r->fd < 0) {
        size_t k = r->mem_len - r->mem_off;
        if (k > room)
            k = room;
        memcpy(r->buf + r->end, r->mem + r->mem_off, k);
        r->mem_off += k;
        r->end += k;
        if (r->mem_off == r->mem_len)
            r->eof = true;
        return k;
    }
    for (;;) {
        ssize_t k = read(r->fd, r->buf + r->end, room);
        if (k > 0) {
            r->end += (size_t)k;
            return (size_t)k;
        }
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            r->io_failed = true;
            r->io_errno = errno;
        }
        r->eof = true;
        return 0;
    }
}

void sn_ingest_consume(sn_reader *r, size_t n, long nl)
{
    if (n == 0)
        return;
    r->last_nl = r->buf[r->pos + n - 1] == '\n';
    r->any_input = true;
    r->pos += n;
    r->line += nl;
    r->stats.lines += nl;
}

bool sn_ingest_skip_line(sn_reader *r)
{
    for (;;) {
        const char *p = r->buf + r->pos;
        const char *nl = memchr(p, '\n', r->end - r->pos);
        if (nl) {
            sn_ingest_consume(r, (size_t)(nl - p) + 1, 1);
            return true;
        }
        sn_ingest_consume(r, r->end - r->pos, 0);
        if (sn_ingest_fill(r) == 0)
            return false;
    }
}

sn_status sn_ingest_io_error(sn_reader *r, sn_error *err)
{
    return sn_error_set(err, SN_ERR_IO, true, r->name, 0, NULL, "read failed: %s",
                        strerror(r->io_errno));
}

static bool is_blank_line(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
            return false;
    return true;
}

sn_status sn_ingest_next_line(sn_reader *r, const char **line, size_t *len, long *lineno,
                              sn_error *err)
{
    for (;;) {
        const char *p = r->buf + r->pos;
        size_t avail = r->end - r->pos;
        const char *nl = memchr(p, '\n', avail);
        if (!nl) {
            if (avail > SN_MAX_RECORD) {
                long at = r->line;
                sn_ingest_skip_line(r);
                if (r->io_failed)
                    return sn_ingest_io_error(r, err);
                return sn_error_set(err, SN_ERR_TOO_LONG, false, r->name, at, NULL,
                                    "line is longer than %d bytes", SN_MAX_RECORD);
            }
            if (!r->eof) {
                sn_ingest_fill(r);
                if (r->io_failed)
                    return sn_ingest_io_error(r, err);
                continue;
            }
            if (avail == 0)
                return SN_EOF;
        }
        size_t n = nl ? (size_t)(nl - p) : avail;
        size_t whole = nl ? n + 1 : n;
        if (n > 0 && p[n - 1] == '\r')
            n--;
        long at = r->line;
        sn_ingest_consume(r, whole, nl ? 1 : 0);
        if (is_blank_line(p, n))
            continue;
        if (n > SN_MAX_RECORD)
            return sn_error_set(err, SN_ERR_TOO_LONG, false, r->name, at, NULL,
                                "line is longer than %d bytes", SN_MAX_RECORD);
        *line = p;
        *len = n;
        *lineno = at;
        return SN_OK;
    }
}

sn_status sn_ingest_repeat_hold(sn_reader *r, const sn_event *ev, long count, sn_error *err)
{
    r->repeat_left = 0;
    if (count <= 1)
        return SN_OK;
    if (!r->repeat_buf) {
        r->repeat_buf = malloc(SN_MAX_RECORD);
        if (!r->repeat_buf)
            return sn_error_set(err, SN_ERR_NOMEM, true, r->name, ev->src_line, NULL, NULL);
    }
    if (sn_event_copy(&r->repeat_ev, ev, r->repeat_buf, SN_MAX_RECORD) == (size_t)-1)
        return sn_error_set(err, SN_ERR_LIMIT, false, r->name, ev->src_line, NULL,
                            "repeated record too large to hold");
    r->repeat_left = count - 1;
    return SN_OK;
}

sn_status sn_ingest_repeat_next(sn_reader *r, sn_event *ev)
{
    if (r->repeat_left <= 0)
        return SN_EOF;
    r->repeat_left--;
    *ev = r->repeat_ev;
    return SN_OK;
}

static sn_reader *reader_new(const char *name, size_t cap)
{
    sn_reader *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->fd = -1;
    r->line = 1;
    r->cap = cap;
    r->buf = calloc(1, cap + SN_BUF_PAD);
    r->name = strdup(name ? name : "");
    if (!r->buf || !r->name) {
        free(r->buf);
        free(r->name);
        free(r);
        return NULL;
    }
    return r;
}

/* Skips the UTF-8 byte order mark and the blanks before the content, reads up to its first byte,
 * and picks the format from it. */
static sn_status reader_start(sn_reader *r, sn_format format, sn_error *err)
{
    while (r->end - r->pos < 3 && sn_ingest_fill(r) > 0) {
    }
    if (r->io_failed)
        return sn_ingest_io_error(r, err);
    if (r->end - r->pos >= 3 && !memcmp(r->buf + r->pos, "\xEF\xBB\xBF", 3))
        r->pos += 3;
    for (;;) {
        /* Blank lines and spaces before the first content say nothing in any format. */
        size_t i = r->pos, nl = 0;
        while (i < r->end && sn_ingest_is_blank(r->buf[i]))
            nl += r->buf[i++] == '\n';
        sn_ingest_consume(r, i - r->pos, (long)nl);
        if (r->pos < r->end)
            break;
        if (sn_ingest_fill(r) == 0) {
            if (r->io_failed)
                return sn_ingest_io_error(r, err);
            return sn_error_set(err, SN_ERR_EMPTY, true, r->name, 0, NULL, NULL);
        }
    }
    bool guessed = format == SN_FORMAT_AUTO;
    if (guessed) {
        format = sn_ingest_detect_format(r);
        if (r->io_failed)
            return sn_ingest_io_error(r, err);
    }
    r->format = format;
    sn_status st;
    switch (format) {
    case SN_FORMAT_CSV:
        st = sn_csv_open(r, err);
        break;
    case SN_FORMAT_JSONL:
        return sn_jsonl_open(r, err);
    case SN_FORMAT_SYSLOG:
        return sn_syslog_open(r, err);
    case SN_FORMAT_WINEVT:
        return sn_winevt_open(r, err);
    case SN_FORMAT_CLOUDTRAIL:
        return sn_cloudtrail_open(r, err);
    case SN_FORMAT_OKTA:
        return sn_okta_open(r, err);
    case SN_FORMAT_ENTRA:
        return sn_entra_open(r, err);
    case SN_FORMAT_ECS:
        return sn_ecs_open(r, err);
    case SN_FORMAT_OCSF:
        return sn_ocsf_open(r, err);
    default:
        return sn_error_set(err, SN_ERR_FORMAT, true, r->name, 0, NULL, "unknown input format %d",
                            (int)format);
    }
    if (st == SN_ERR_FORMAT && guessed && r->csv_unknown && err) {
        /* Nothing in the first line says which format it is: say which ones were tried. */
        char why[200];
        snprintf(why, sizeof(why), "%.199s", err->msg);
        snprintf(err->msg, sizeof(err->msg),
                 "unrecognised input format: not a CSV header (%s), a JSON object or a syslog "
                 "line; the formats are csv, jsonl, syslog, winevt, cloudtrail, okta, entra, ecs "
                 "and ocsf (--format NAME)",
                 why);
    }
    return st;
}

sn_status sn_reader_options_check(const sn_reader_options *opts, sn_error *err)
{
    int tz;
    if (!opts)
        return SN_OK;
    if (opts->year != 0 && (opts->year < 1970 || opts->year > 9999))
        return sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, "year",
                            "%d is not a year from 1970 to 9999 (0 infers it)", opts->year);
    if (opts->timezone && !sn_ingest_parse_utc_offset(opts->timezone, &tz))
        return sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, "timezone",
                            "'%.64s' is not a fixed offset from UTC such as +02:00, -0530 or UTC",
                            opts->timezone);
    return SN_OK;
}

/* Applies opts (checked) to r; now_us 0 means the wall clock. */
static sn_status apply_options(sn_reader *r, const sn_reader_options *opts, int64_t now_us,
                               sn_error *err)
{
    sn_status st = sn_reader_options_check(opts, err);
    if (st != SN_OK)
        return st;
    if (opts) {
        r->year_opt = opts->year;
        if (opts->timezone)
            sn_ingest_parse_utc_offset(opts->timezone, &r->tz_offset_min);
    }
    if (now_us == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        now_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    }
    r->now_us = now_us;
    return SN_OK;
}

static sn_status finish_open(sn_reader **out, sn_reader *r, sn_format format, sn_error *err)
{
    sn_status st = reader_start(r, format, err);
    if (st != SN_OK) {
        sn_reader_close(r);
        return st;
    }
    *out = r;
    return SN_OK;
}

sn_status sn_reader_open(sn_reader **out, const char *path, sn_format format, sn_error *err)
{
    return sn_reader_open_opts(out, path, format, NULL, err);
}

sn_status sn_reader_open_opts(sn_reader **out, const char *path, sn_format format,
                              const sn_reader_options *opts, sn_error *err)
{
    *out = NULL;
    if (!path)
        return sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, NULL, "no input path");
    if (sn_reader_options_check(opts, err) != SN_OK)
        return SN_ERR_USAGE;
    bool is_stdin = !strcmp(path, "-");
    sn_reader *r = reader_new(is_stdin ? "<stdin>" : path, SN_BUF_CAP);
    if (!r)
        return sn_error_set(err, SN_ERR_NOMEM, true, path, 0, NULL, NULL);
    if (is_stdin) {
        r->fd = STDIN_FILENO;
    } else {
        r->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (r->fd < 0) {
            int e = errno;
            sn_reader_close(r);
            return sn_error_set(err, SN_ERR_IO, true, path, 0, NULL, "cannot open: %s",
                                strerror(e));
        }
        r->own_fd = true;
        struct stat st;
        if (fstat(r->fd, &st) == 0 && S_ISDIR(st.st_mode)) {
            sn_reader_close(r);
            return sn_error_set(err, SN_ERR_IO, true, path, 0, NULL, "is a directory");
        }
    }
    sn_status st = apply_options(r, opts, 0, err);
    if (st != SN_OK) {
        sn_reader_close(r);
        return st;
    }
    return finish_open(out, r, format, err);
}

sn_status sn_reader_open_mem(sn_reader **out, const char *data, size_t n, const char *name,
                             sn_format format, sn_error *err)
{
    return sn_ingest_open_mem_ex(out, data, n, name, format, NULL, 0, 0, err);
}

sn_status sn_reader_open_mem_opts(sn_reader **out, const char *data, size_t n, const char *name,
                                  sn_format format, const sn_reader_options *opts, sn_error *err)
{
    return sn_ingest_open_mem_ex(out, data, n, name, format, opts, 0, 0, err);
}

sn_status sn_ingest_open_mem_chunked(sn_reader **out, const char *data, size_t n, const char *name,
                                     sn_format format, size_t read_limit, sn_error *err)
{
    return sn_ingest_open_mem_ex(out, data, n, name, format, NULL, read_limit, 0, err);
}

sn_status sn_ingest_open_mem_ex(sn_reader **out, const char *data, size_t n, const char *name,
                                sn_format format, const sn_reader_options *opts, size_t read_limit,
                                int64_t now_us, sn_error *err)
{
    *out = NULL;
    /* the whole input fits: no buffer larger than it */
    size_t cap = data && n < SN_BUF_CAP ? n + 1 : SN_BUF_CAP;
    sn_reader *r = reader_new(name ? name : "<memory>", cap);
    if (!r)
        return sn_error_set(err, SN_ERR_NOMEM, true, name, 0, NULL, NULL);
    r->read_limit = read_limit;
    r->mem = data;
    r->mem_len = data ? n : 0;
    if (r->mem_len == 0)
        r->eof = true;
    sn_status st = apply_options(r, opts, now_us, err);
    if (st != SN_OK) {
        sn_reader_close(r);
        return st;
    }
    return finish_open(out, r, format, err);
}

sn_status sn_reader_open_objects(sn_reader **out, const char *name, sn_error *err)
{
    *out = NULL;
    sn_reader *r = reader_new(name ? name : "<memory>", 1);
    if (!r)
        return sn_error_set(err, SN_ERR_NOMEM, true, name, 0, NULL, NULL);
    r->eof = true;
    sn_status st = apply_options(r, NULL, 0, err);
    if (st == SN_OK) {
        r->format = SN_FORMAT_JSONL;
        st = sn_jsonl_open(r, err);
    }
    if (st != SN_OK) {
        sn_reader_close(r);
        return st;
    }
    *out = r;
    return SN_OK;
}

sn_status sn_reader_next(sn_reader *r, sn_event *ev, sn_error *err)
{
    sn_error local;
    if (!err)
        err = &local;
    if (r->done)
        return SN_EOF;
    sn_status st;
    switch (r->format) {
    case SN_FORMAT_JSONL:
        st = sn_jsonl_next(r, ev, err);
        break;
    case SN_FORMAT_SYSLOG:
        st = sn_syslog_next(r, ev, err);
        break;
    case SN_FORMAT_WINEVT:
        st = sn_winevt_next(r, ev, err);
        break;
    case SN_FORMAT_CLOUDTRAIL:
        st = sn_cloudtrail_next(r, ev, err);
        break;
    case SN_FORMAT_OKTA:
        st = sn_okta_next(r, ev, err);
        break;
    case SN_FORMAT_ENTRA:
        st = sn_entra_next(r, ev, err);
        break;
    case SN_FORMAT_ECS:
        st = sn_ecs_next(r, ev, err);
        break;
    case SN_FORMAT_OCSF:
        st = sn_ocsf_next(r, ev, err);
        break;
    default:
        st = sn_csv_next(r, ev, err);
        break;
    }
    if (st == SN_OK) {
        r->stats.records++;
    } else if (st == SN_EOF || err->fatal) {
        r->done = true;
        if (st == SN_EOF && r->any_input && !r->last_nl)
            r->stats.lines++; /* the last line had no newline */
    } else {
        r->stats.skipped++;
    }
    return st;
}

const sn_reader_stats *sn_reader_get_stats(const sn_reader *r)
{
    return &r->stats;
}

sn_format sn_reader_format(const sn_reader *r)
{
    return r->format;
}

void sn_reader_close(sn_reader *r)
{
    if (!r)
        return;
    sn_jsonl_release(r);
    sn_jdoc_free(r->js_doc);
    for (size_t i = 0; i < sizeof(r->js_parsed) / sizeof(r->js_parsed[0]); i++)
        sn_jdoc_free(r->js_parsed[i]);
    if (r->own_fd && r->fd >= 0)
        close(r->fd);
    free(r->repeat_buf);
    free(r->buf);
    free(r->name);
    free(r);
}
