/* The streaming reader: opens a file, stdin or a memory buffer, keeps one bounded input buffer,
 * detects the format and hands each call to the CSV or JSON-lines parser. */
#include "ingest_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
        /* Blank lines and spaces before the first content say nothing in either format. */
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
    if (format == SN_FORMAT_AUTO)
        format = r->buf[r->pos] == '{' ? SN_FORMAT_JSONL : SN_FORMAT_CSV;
    r->format = format;
    if (format == SN_FORMAT_CSV)
        return sn_csv_open(r, err);
    if (format == SN_FORMAT_JSONL)
        return sn_jsonl_open(r, err);
    return sn_error_set(err, SN_ERR_FORMAT, true, r->name, 0, NULL, "unknown input format %d",
                        (int)format);
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
    *out = NULL;
    if (!path)
        return sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, NULL, "no input path");
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
    return finish_open(out, r, format, err);
}

sn_status sn_reader_open_mem(sn_reader **out, const char *data, size_t n, const char *name,
                             sn_format format, sn_error *err)
{
    return sn_ingest_open_mem_chunked(out, data, n, name, format, 0, err);
}

sn_status sn_ingest_open_mem_chunked(sn_reader **out, const char *data, size_t n, const char *name,
                                     sn_format format, size_t read_limit, sn_error *err)
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
    return finish_open(out, r, format, err);
}

sn_status sn_reader_next(sn_reader *r, sn_event *ev, sn_error *err)
{
    sn_error local;
    if (!err)
        err = &local;
    if (r->done)
        return SN_EOF;
    sn_status st =
        r->format == SN_FORMAT_JSONL ? sn_jsonl_next(r, ev, err) : sn_csv_next(r, ev, err);
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
    if (r->own_fd && r->fd >= 0)
        close(r->fd);
    free(r->buf);
    free(r->name);
    free(r);
}
