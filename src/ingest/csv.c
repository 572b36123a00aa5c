/* The reference CSV (RFC 4180): header-driven columns, quoted fields with doubled quotes and
 * line breaks, CRLF or LF. Fields point into the reader's buffer; quoted ones are unescaped in
 * place, so a record costs no allocation. */
#include "ingest_impl.h"

#include <stdio.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* A bit for every byte of p[0, 64) that can end plain field content: comma, quote, CR, LF.
 * *odd gets bits for bytes that are not plain ASCII (>= 0x80, or NUL), so a record that has
 * none skips the UTF-8 check. The reader's buffer has SN_BUF_PAD readable bytes past its end,
 * so p may be near it. */
static inline uint64_t special_mask(const char *p, uint64_t *odd)
{
    uint64_t m = 0, o = 0;
#ifdef __SSE2__
    const __m128i comma = _mm_set1_epi8(','), quote = _mm_set1_epi8('"');
    const __m128i lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
    const __m128i zero = _mm_setzero_si128();
    for (int k = 0; k < 4; k++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
        __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, comma), _mm_cmpeq_epi8(v, quote)),
                                   _mm_or_si128(_mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, cr)));
        m |= (uint64_t)(unsigned)_mm_movemask_epi8(hit) << (16 * k);
        o |=
            (uint64_t)(unsigned)(_mm_movemask_epi8(v) | _mm_movemask_epi8(_mm_cmpeq_epi8(v, zero)));
    }
#else
    for (int k = 0; k < 64; k++) {
        char c = p[k];
        if (c == ',' || c == '"' || c == '\n' || c == '\r')
            m |= (uint64_t)1 << k;
        o |= (unsigned char)c >= 0x80 || c == 0;
    }
#endif
    *odd |= o;
    return m;
}

/* Finds the bytes that matter in a record a 64-byte block at a time, so that each byte of
 * plain content is looked at once however short the fields are. */
typedef struct csv_cursor {
    const char *b;
    size_t end;
    size_t base; /* bits describes b[base, base + 64) */
    uint64_t bits;
    uint64_t odd; /* non-zero once a scanned block held a byte that is not plain ASCII */
} csv_cursor;

static void cursor_init(csv_cursor *c, const char *b, size_t start, size_t end)
{
    c->b = b;
    c->end = end;
    c->base = start;
    c->odd = 0;
    c->bits = special_mask(b + start, &c->odd);
}

/* Index of the first special byte in b[k, end), or end. */
static inline size_t next_special(csv_cursor *c, size_t k)
{
    while (k < c->end) {
        if (k - c->base >= 64) { /* also when k < base: the difference wraps */
            c->base = k;
            c->bits = special_mask(c->b + k, &c->odd);
        }
        uint64_t m = c->bits >> (k - c->base);
        if (m) {
            size_t r = k + (size_t)__builtin_ctzll(m);
            return r < c->end ? r : c->end;
        }
        k = c->base + 64;
    }
    return c->end;
}

typedef enum csv_scan_result {
    CSV_RECORD,     /* a whole record is in the buffer */
    CSV_NEED_MORE,  /* the buffer ends inside the record */
    CSV_END,        /* no input left */
    CSV_TOO_LONG,   /* longer than SN_MAX_RECORD */
    CSV_UNBALANCED, /* a quoted field still open at the end of input */
} csv_scan_result;

typedef enum csv_problem {
    CSV_FINE,
    CSV_STRAY_QUOTE, /* a quote inside an unquoted field */
    CSV_AFTER_QUOTE, /* text between a closing quote and the next separator */
} csv_problem;

typedef struct csv_rec {
    size_t start, content_end, next; /* next: first byte after the record's line break */
    long nl;                         /* line breaks in the record, its terminator included */
    size_t nf;                       /* fields seen, also those past the stored spans */
    csv_problem problem;
    size_t problem_col;
    bool plain_ascii; /* no byte >= 0x80 and no NUL in the record */
    bool in_quote;    /* for CSV_TOO_LONG and CSV_UNBALANCED: a quoted field was open */
    size_t open_col;
} csv_rec;

/* Plain content from b[*i] up to a comma, a line break (LF, or CRLF) or the end of the buffer.
 * A quote here breaks RFC 4180 section 2 rule 5; it is noted and scanning goes on, so that the
 * record still ends at its line break. Returns false when more input is needed to decide. */
static bool scan_plain(csv_cursor *cur, size_t *i, bool eof, csv_rec *rec, size_t col)
{
    const char *b = cur->b;
    const size_t end = cur->end;
    size_t k = *i;
    for (;;) {
        k = next_special(cur, k);
        if (k >= end)
            break;
        char c = b[k];
        if (c == ',' || c == '\n')
            break;
        if (c == '"') {
            if (rec->problem == CSV_FINE) {
                rec->problem = CSV_STRAY_QUOTE;
                rec->problem_col = col;
            }
            k++;
            continue;
        }
        /* '\r': a line break only before '\n' or at the end of input */
        if (k + 1 >= end) {
            if (!eof)
                return false;
            break;
        }
        if (b[k + 1] == '\n')
            break;
        k++;
    }
    *i = k;
    return true;
}

/* Finds the record starting at r->pos and the spans of its first max_spans fields, without
 * changing the buffer (so the scan can start over after more input is read). */
static csv_scan_result csv_scan(sn_reader *r, csv_rec *rec, size_t max_spans)
{
    const char *b = r->buf;
    const size_t start = r->pos, end = r->end;
    const bool eof = r->eof;
    size_t i = start, nf = 0;
    long nl = 0;

    memset(rec, 0, sizeof(*rec));
    rec->start = start;
    if (start >= end)
        return eof ? CSV_END : CSV_NEED_MORE;
    csv_cursor cur;
    cursor_init(&cur, b, start, end);
    for (;;) {
        size_t fs = i, fe;
        uint8_t quoted = 0, escaped = 0;
        if (i < end && b[i] == '"') {
            /* RFC 4180 section 2 rules 6 and 7: a quoted field runs to a quote that is not
             * doubled, and may hold commas and line breaks. */
            size_t j = i + 1;
            quoted = 1;
            for (;;) {
                j = next_special(&cur, j);
                if (j >= end) {
                    rec->in_quote = true;
                    rec->open_col = nf;
                    if (!eof || end - start > SN_MAX_RECORD)
                        goto need_more;
                    rec->nl = nl;
                    return CSV_UNBALANCED;
                }
                if (b[j] != '"') {
                    nl += b[j] == '\n';
                    j++;
                    continue;
                }
                if (j + 1 >= end && !eof) {
                    rec->in_quote = true;
                    rec->open_col = nf;
                    goto need_more;
                }
                if (j + 1 < end && b[j + 1] == '"') {
                    escaped = 1;
                    j += 2;
                    continue;
                }
                break;
            }
            fs = i + 1;
            fe = j;
            i = j + 1;
        } else {
            size_t k = next_special(&cur, i);
            if (k < end && b[k] == ',' && nf < max_spans) {
                /* the common case: a plain field and its comma */
                sn_csv_span *sp = &r->spans[nf++];
                sp->off = (uint32_t)i;
                sp->len = (uint32_t)(k - i);
                sp->quoted = 0;
                sp->escaped = 0;
                i = k + 1;
                continue;
            }
            if (!scan_plain(&cur, &i, eof, rec, nf))
                goto need_more;
            fe = i;
        }
        if (nf < max_spans) {
            sn_csv_span *sp = &r->spans[nf];
            sp->off = (uint32_t)fs;
            sp->len = (uint32_t)(fe - fs);
            sp->quoted = quoted;
            sp->escaped = escaped;
        }
        nf++;
        for (;;) {
            if (i >= end) {
                if (!eof)
                    goto need_more;
                rec->content_end = rec->next = i;
                goto done;
            }
            char c = b[i];
            if (c == ',') {
                i++;
                break;
            }
            if (c == '\n') {
                rec->content_end = i;
                rec->next = i + 1;
                nl++;
                goto done;
            }
            if (c == '\r') {
                if (i + 1 >= end) {
                    if (!eof)
                        goto need_more;
                    rec->content_end = i;
                    rec->next = i + 1;
                    goto done;
                }
                if (b[i + 1] == '\n') {
                    rec->content_end = i;
                    rec->next = i + 2;
                    nl++;
                    goto done;
                }
            }
            /* Only after a closing quote: RFC 4180 section 2 rule 7 ends a quoted field
             * there. Skip to the separator so the record still ends where it should. */
            if (rec->problem == CSV_FINE) {
                rec->problem = CSV_AFTER_QUOTE;
                rec->problem_col = nf - 1;
            }
            i++;
            if (!scan_plain(&cur, &i, eof, rec, nf - 1))
                goto need_more;
        }
    }
done:
    rec->nf = nf;
    rec->nl = nl;
    rec->plain_ascii = cur.odd == 0;
    if (rec->content_end - start > SN_MAX_RECORD)
        return CSV_TOO_LONG;
    return CSV_RECORD;
need_more:
    rec->nf = nf;
    rec->nl = nl;
    if (end - start > SN_MAX_RECORD)
        return CSV_TOO_LONG;
    return CSV_NEED_MORE;
}

/* Collapses the doubled quotes of a quoted field (RFC 4180 section 2 rule 7) in place. */
static void unescape(char *p, uint32_t *len)
{
    uint32_t w = 0;
    for (uint32_t k = 0; k < *len; k++) {
        p[w++] = p[k];
        if (p[k] == '"')
            k++;
    }
    *len = w;
}

/* After a record that cannot be read as such: go on at the line after the one where it
 * started, so one broken quote costs as few records as possible. */
static void resync(sn_reader *r)
{
    sn_ingest_skip_line(r);
}

static const char *col_label(const sn_reader *r, size_t col)
{
    return col < (size_t)r->ncols ? r->col_name[col] : "";
}

/* Reads the next record into rec, reading more input as needed. Returns CSV_RECORD,
 * CSV_END, CSV_TOO_LONG or CSV_UNBALANCED (the last two leave r->pos at the record); a read
 * error is returned as CSV_END with r->io_failed set. */
static csv_scan_result csv_read(sn_reader *r, csv_rec *rec, size_t max_spans)
{
    for (;;) {
        csv_scan_result res = csv_scan(r, rec, max_spans);
        if (res != CSV_NEED_MORE)
            return res;
        if (sn_ingest_fill(r) == 0 && r->io_failed)
            return CSV_END;
    }
}

static bool is_blank_record(const sn_reader *r, const csv_rec *rec)
{
    return rec->nf == 1 && r->spans[0].len == 0 && !r->spans[0].quoted;
}

static void sanitize_name(char *out, size_t cap, const char *s, size_t n)
{
    size_t o = 0;
    while (n > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    for (size_t k = 0; k < n && o + 1 < cap; k++) {
        unsigned char c = (unsigned char)s[k];
        out[o++] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
    }
    out[o] = '\0';
}

sn_status sn_csv_open(sn_reader *r, sn_error *err)
{
    csv_rec rec;
    csv_scan_result res;
    for (;;) {
        res = csv_read(r, &rec, SN_CSV_MAX_COLUMNS);
        if (res != CSV_RECORD || !is_blank_record(r, &rec))
            break;
        sn_ingest_consume(r, rec.next - rec.start, rec.nl);
    }
    long line = r->line;
    if (r->io_failed)
        return sn_ingest_io_error(r, err);
    if (res == CSV_END)
        return sn_error_set(err, SN_ERR_EMPTY, true, r->name, 0, NULL, NULL);
    if (res == CSV_TOO_LONG || res == CSV_UNBALANCED)
        return sn_error_set(err, SN_ERR_FORMAT, true, r->name, line, NULL,
                            "no CSV header: the first line %s",
                            res == CSV_TOO_LONG ? "is longer than 65536 bytes"
                                                : "opens a quote that is never closed");
    if (rec.problem != CSV_FINE)
        return sn_error_set(err, SN_ERR_FORMAT, true, r->name, line, NULL,
                            "no CSV header: misplaced quote in column %zu of the first line",
                            rec.problem_col + 1);
    if (rec.nf > SN_CSV_MAX_COLUMNS)
        return sn_error_set(err, SN_ERR_FORMAT, true, r->name, line, NULL,
                            "CSV header has %zu columns, more than the %d accepted", rec.nf,
                            SN_CSV_MAX_COLUMNS);
    r->ncols = (int)rec.nf;
    bool used[SN_F_COUNT] = {false};
    int known = 0;
    for (size_t c = 0; c < rec.nf; c++) {
        sn_csv_span *sp = &r->spans[c];
        char *p = r->buf + sp->off;
        if (sp->escaped)
            unescape(p, &sp->len);
        int id = sn_ingest_field_lookup(p, sp->len);
        if (id >= 0 && used[id])
            id = -1; /* the first column of a name wins */
        r->col_field[c] = (int8_t)id;
        r->col_str[c] = (int16_t)(id >= 0 ? sn_ingest_str_offset(id) : -1);
        if (id >= 0) {
            used[id] = true;
            known++;
            snprintf(r->col_name[c], sizeof(r->col_name[c]), "%s", sn_ingest_field_name(id));
        } else {
            sanitize_name(r->col_name[c], sizeof(r->col_name[c]), p, sp->len);
        }
    }
    sn_ingest_consume(r, rec.next - rec.start, rec.nl);
    r->csv_unknown = known == 0;
    if (known == 0 || !used[SN_F_USER_ID] || !used[SN_F_TIMESTAMP]) {
        const char *why = known == 0            ? "the first line names none of the known "
                                                  "columns (user_id, timestamp, ...)"
                          : !used[SN_F_USER_ID] ? "the header has no user_id column"
                                                : "the header has no timestamp column";
        return sn_error_set(err, SN_ERR_FORMAT, true, r->name, line, NULL,
                            "no usable CSV header: %s", why);
    }
    return SN_OK;
}

/* Checks a scanned record and turns it into an event. Consumes the record either way. */
static sn_status csv_build(sn_reader *r, const csv_rec *rec, sn_event *ev, sn_error *err)
{
    const long line = r->line;
    const size_t ncols = (size_t)r->ncols;
    sn_status st = SN_OK;

    sn_ingest_event_init(r, ev, line);
    if (rec->problem == CSV_STRAY_QUOTE) {
        st = sn_error_set(err, SN_ERR_PARSE, false, r->name, line, col_label(r, rec->problem_col),
                          "quote inside an unquoted field (RFC 4180: quote the whole field "
                          "and double the quote)");
        goto out;
    }
    if (rec->problem == CSV_AFTER_QUOTE) {
        st = sn_error_set(err, SN_ERR_PARSE, false, r->name, line, col_label(r, rec->problem_col),
                          "text after the closing quote (RFC 4180: a quoted field ends at its "
                          "closing quote)");
        goto out;
    }
    if (rec->nf > ncols) {
        st = sn_error_set(err, SN_ERR_PARSE, false, r->name, line, NULL,
                          "record has %zu fields, the header has %zu", rec->nf, ncols);
        goto out;
    }
    size_t len = rec->content_end - rec->start;
    size_t badpos = rec->plain_ascii ? len : sn_ingest_text_check(r->buf + rec->start, len);
    if (badpos < len) {
        size_t at = rec->start + badpos, col = 0;
        for (size_t c = 0; c < rec->nf; c++)
            if (r->spans[c].off <= at)
                col = c;
        unsigned char byte = (unsigned char)r->buf[at];
        size_t off = at - r->spans[col].off;
        if (byte == 0)
            st = sn_error_set(err, SN_ERR_UTF8, false, r->name, line, col_label(r, col),
                              "NUL byte at offset %zu", off);
        else
            st = sn_error_set(err, SN_ERR_UTF8, false, r->name, line, col_label(r, col),
                              "invalid UTF-8 (byte 0x%02x at offset %zu)", byte, off);
        goto out;
    }
    for (size_t c = 0; c < rec->nf; c++) {
        sn_csv_span *sp = &r->spans[c];
        char *p = r->buf + sp->off;
        if (sp->escaped)
            unescape(p, &sp->len);
        if (sp->len > SN_MAX_FIELD) {
            st = sn_error_set(err, SN_ERR_TOO_LONG, false, r->name, line, col_label(r, c),
                              "field is %u bytes, longer than the %d-byte limit", (unsigned)sp->len,
                              SN_MAX_FIELD);
            goto out;
        }
        int16_t off = r->col_str[c];
        if (off >= 0) {
            /* plain text: no parsing, just point at it */
            sn_str *dst = (sn_str *)(void *)((char *)ev + off);
            dst->p = sp->len ? p : NULL;
            dst->n = sp->len;
        } else if (r->col_field[c] >= 0) {
            st = sn_ingest_set_text(r, ev, r->col_field[c], p, sp->len, err);
            if (st != SN_OK)
                goto out;
        }
    }
    st = sn_ingest_finish_event(r, ev, err);
out:
    /* A quoting error in a record that ran over several lines most likely comes from a quote
     * that was never closed: the lines it swallowed are records of their own, so go on at the
     * line after the record's first instead of losing them. */
    if ((rec->problem == CSV_STRAY_QUOTE || rec->problem == CSV_AFTER_QUOTE) && rec->nl > 1)
        resync(r);
    else
        sn_ingest_consume(r, rec->next - rec->start, rec->nl);
    return st;
}

sn_status sn_csv_next(sn_reader *r, sn_event *ev, sn_error *err)
{
    for (;;) {
        csv_rec rec;
        csv_scan_result res = csv_read(r, &rec, (size_t)r->ncols + 1);
        if (r->io_failed)
            return sn_ingest_io_error(r, err);
        if (res == CSV_END)
            return SN_EOF;
        if (res == CSV_TOO_LONG || res == CSV_UNBALANCED) {
            long line = r->line;
            const char *field = rec.in_quote ? col_label(r, rec.open_col) : NULL;
            if (res == CSV_UNBALANCED)
                sn_error_set(err, SN_ERR_PARSE, false, r->name, line, field,
                             "unbalanced quote: quoted field not closed before the end of "
                             "input");
            else if (rec.in_quote)
                sn_error_set(err, SN_ERR_TOO_LONG, false, r->name, line, field,
                             "unbalanced quote: quoted field still open after %d bytes",
                             SN_MAX_RECORD);
            else
                sn_error_set(err, SN_ERR_TOO_LONG, false, r->name, line, NULL,
                             "record is longer than %d bytes", SN_MAX_RECORD);
            resync(r);
            if (r->io_failed)
                return sn_ingest_io_error(r, err);
            return err ? err->code : SN_ERR_PARSE;
        }
        if (is_blank_record(r, &rec)) {
            sn_ingest_consume(r, rec.next - rec.start, rec.nl);
            continue;
        }
        return csv_build(r, &rec, ev, err);
    }
}
