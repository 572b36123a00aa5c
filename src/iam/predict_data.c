/* Labelled requests: a table of categorical columns and approve/deny labels, built row by row
 * (from access history) or read from a labelled CSV request file (RFC 4180). */
#include "predict_internal.h"

#include "../ingest/ingest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define DATA_MAX_ROWS ((size_t)1 << 31)
#define CSV_MAX_BYTES ((size_t)4 << 30)

sn_predict_data *sn_predict_data_new(int ncols, const char *const *names, const sn_pcol_role *roles)
{
    if (ncols < 1 || ncols > SN_PREDICT_MAX_COLUMNS)
        return NULL;
    sn_predict_data *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->ncols = ncols;
    for (int c = 0; c < ncols; c++) {
        snprintf(d->names[c], sizeof(d->names[c]), "%s", names[c]);
        d->roles[c] = roles[c];
        d->dict[c] = sn_strmap_new();
        if (!d->dict[c]) {
            sn_predict_data_free(d);
            return NULL;
        }
    }
    return d;
}

void sn_predict_data_free(sn_predict_data *d)
{
    if (!d)
        return;
    for (int c = 0; c < d->ncols; c++)
        sn_strmap_free(d->dict[c]);
    free(d->codes);
    free(d->labels);
    free(d);
}

sn_status sn_predict_data_add(sn_predict_data *d, const char *const *values, const size_t *lens,
                              int label)
{
    if (d->rows >= DATA_MAX_ROWS)
        return SN_ERR_LIMIT;
    if (d->rows == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 1024;
        int32_t *codes = realloc(d->codes, cap * (size_t)d->ncols * sizeof(int32_t));
        if (!codes)
            return SN_ERR_NOMEM;
        d->codes = codes;
        uint8_t *labels = realloc(d->labels, cap);
        if (!labels)
            return SN_ERR_NOMEM;
        d->labels = labels;
        d->cap = cap;
    }
    int32_t *row = d->codes + d->rows * (size_t)d->ncols;
    for (int c = 0; c < d->ncols; c++) {
        int32_t id = sn_strmap_intern(d->dict[c], lens[c] ? values[c] : "", lens[c]);
        if (id < 0)
            return SN_ERR_NOMEM;
        row[c] = id;
    }
    d->labels[d->rows] = label ? 1 : 0;
    d->positives += label ? 1 : 0;
    d->rows++;
    return SN_OK;
}

size_t sn_predict_data_rows(const sn_predict_data *d)
{
    return d->rows;
}

size_t sn_predict_data_positives(const sn_predict_data *d)
{
    return d->positives;
}

int sn_predict_data_columns(const sn_predict_data *d)
{
    return d->ncols;
}

const char *sn_predict_data_column(const sn_predict_data *d, int col)
{
    return col >= 0 && col < d->ncols ? d->names[col] : NULL;
}

/* ---- CSV ---------------------------------------------------------------------------------- */

static sn_pcol_role role_of(const char *name)
{
    static const struct {
        const char *name;
        sn_pcol_role role;
    } known[] = {
        {"resource", SN_PCOL_RESOURCE},
        {"mgr_id", SN_PCOL_MANAGER},
        {"manager", SN_PCOL_MANAGER},
        {"manager_id", SN_PCOL_MANAGER},
        {"role_deptname", SN_PCOL_DEPARTMENT},
        {"department", SN_PCOL_DEPARTMENT},
        {"role_title", SN_PCOL_TITLE},
        {"job_title", SN_PCOL_TITLE},
        {"title", SN_PCOL_TITLE},
        {"user", SN_PCOL_USER},
        {"user_id", SN_PCOL_USER},
        {"action", SN_PCOL_ACTION},
    };
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (!strcasecmp(name, known[i].name))
            return known[i].role;
    return SN_PCOL_OTHER;
}

/* One CSV record: fields as spans into a scratch buffer (quotes removed). */
typedef struct csv_rec {
    size_t nf;
    size_t start[SN_PREDICT_MAX_COLUMNS + 2], len[SN_PREDICT_MAX_COLUMNS + 2];
    char *scratch;
    size_t cap;
} csv_rec;

/* Reads the record at *pos; returns 1 (record), 0 (end of text), -1 (error in *why). Counts
 * the lines it crosses in *line. At most maxf fields are kept; more give -1. */
static int csv_next(const char *t, size_t n, size_t *pos, long *line, csv_rec *r, size_t maxf,
                    const char **why)
{
    size_t p = *pos;
    if (p >= n)
        return 0;
    r->nf = 0;
    size_t out = 0;
    for (;;) {
        if (r->nf == maxf) {
            *why = "too many fields";
            return -1;
        }
        r->start[r->nf] = out;
        if (p < n && t[p] == '"') {
            p++;
            for (;;) {
                if (p >= n) {
                    *why = "a quoted field is not closed";
                    return -1;
                }
                if (t[p] == '"') {
                    if (p + 1 < n && t[p + 1] == '"') {
                        r->scratch[out++] = '"';
                        p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                if (t[p] == '\n')
                    (*line)++;
                r->scratch[out++] = t[p++];
            }
            if (p < n && t[p] != ',' && t[p] != '\n' && t[p] != '\r') {
                *why = "text after a closing quote";
                return -1;
            }
        } else {
            while (p < n && t[p] != ',' && t[p] != '\n' && t[p] != '\r') {
                if (t[p] == '"') {
                    *why = "a quote inside an unquoted field";
                    return -1;
                }
                r->scratch[out++] = t[p++];
            }
        }
        r->len[r->nf] = out - r->start[r->nf];
        r->nf++;
        if (p < n && t[p] == ',') {
            p++;
            continue;
        }
        if (p < n && t[p] == '\r')
            p++;
        if (p < n && t[p] == '\n')
            p++;
        else if (p < n) {
            *why = "a carriage return not followed by a line feed";
            return -1;
        }
        break;
    }
    *pos = p;
    return 1;
}

sn_status sn_predict_data_parse_csv(sn_predict_data **out, const char *text, size_t n,
                                    const char *name, const char *label, sn_error *err)
{
    *out = NULL;
    size_t pos = 0;
    if (n >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
        pos = 3;
    long line = 1;
    csv_rec r = {.scratch = malloc(n + 1), .cap = n + 1};
    if (!r.scratch)
        return sn_error_set(err, SN_ERR_NOMEM, true, name, 0, NULL, "out of memory");
    const char *why = NULL;
    sn_status st = SN_OK;
    sn_predict_data *d = NULL;
    int rc = csv_next(text, n, &pos, &line, &r, SN_PREDICT_MAX_COLUMNS + 1, &why);
    if (rc == 0) {
        st = sn_error_set(err, SN_ERR_EMPTY, true, name, 0, NULL, "the file is empty");
        goto done;
    }
    if (rc < 0) {
        st = sn_error_set(err, SN_ERR_PARSE, true, name, line, NULL, "header: %s%s", why,
                          !strcmp(why, "too many fields") ? " (at most 16 columns and the label)"
                                                          : "");
        goto done;
    }
    size_t nf = r.nf;
    int label_at = -1;
    char names[SN_PREDICT_MAX_COLUMNS + 1][SN_PREDICT_NAME_MAX];
    for (size_t f = 0; f < nf; f++) {
        size_t len = r.len[f];
        if (len == 0 || len >= SN_PREDICT_NAME_MAX ||
            sn_utf8_valid_prefix(r.scratch + r.start[f], len) != len) {
            st = sn_error_set(err, SN_ERR_PARSE, true, name, line, NULL,
                              "header: column %zu has an empty, overlong or non-UTF-8 name", f + 1);
            goto done;
        }
        memcpy(names[f], r.scratch + r.start[f], len);
        names[f][len] = '\0';
        for (size_t g = 0; g < f; g++)
            if (!strcasecmp(names[g], names[f])) {
                st = sn_error_set(err, SN_ERR_PARSE, true, name, line, names[f],
                                  "the column is named twice");
                goto done;
            }
        if (!strcasecmp(names[f], label))
            label_at = (int)f;
    }
    if (label_at < 0) {
        st = sn_error_set(err, SN_ERR_MISSING, true, name, line, label,
                          "no such column in the header (the 0/1 label)");
        goto done;
    }
    if (nf < 2) {
        st = sn_error_set(err, SN_ERR_PARSE, true, name, line, NULL,
                          "header: no column besides the label");
        goto done;
    }
    const char *cols[SN_PREDICT_MAX_COLUMNS];
    sn_pcol_role roles[SN_PREDICT_MAX_COLUMNS];
    bool taken[SN_PCOL_ACTION + 1] = {false};
    int nc = 0;
    for (size_t f = 0; f < nf; f++) {
        if ((int)f == label_at)
            continue;
        sn_pcol_role role = role_of(names[f]);
        if (role != SN_PCOL_OTHER && taken[role])
            role = SN_PCOL_OTHER;
        taken[role] = true;
        cols[nc] = names[f];
        roles[nc++] = role;
    }
    d = sn_predict_data_new(nc, cols, roles);
    if (!d) {
        st = sn_error_set(err, SN_ERR_NOMEM, true, name, 0, NULL, "out of memory");
        goto done;
    }
    for (;;) {
        long at = ++line;
        /* a blank line (as at the end of the file) is no record */
        if (pos < n &&
            (text[pos] == '\n' || (text[pos] == '\r' && pos + 1 < n && text[pos + 1] == '\n'))) {
            pos += text[pos] == '\r' ? 2 : 1;
            continue;
        }
        rc = csv_next(text, n, &pos, &line, &r, nf + 1, &why);
        if (rc == 0)
            break;
        if (rc < 0) {
            st = sn_error_set(err, SN_ERR_PARSE, true, name, at, NULL, "%s (the header has %zu)",
                              why, nf);
            goto done;
        }
        if (r.nf != nf) {
            st = sn_error_set(err, SN_ERR_PARSE, true, name, at, NULL,
                              "%zu fields where the header has %zu", r.nf, nf);
            goto done;
        }
        const char *vals[SN_PREDICT_MAX_COLUMNS];
        size_t lens[SN_PREDICT_MAX_COLUMNS];
        int c = 0, y = -1;
        for (size_t f = 0; f < nf; f++) {
            const char *v = r.scratch + r.start[f];
            size_t len = r.len[f];
            if ((int)f == label_at) {
                if (len == 1 && (v[0] == '0' || v[0] == '1'))
                    y = v[0] - '0';
                else {
                    st = sn_error_set(err, SN_ERR_PARSE, true, name, at, names[f],
                                      "the label must be 0 or 1");
                    goto done;
                }
                continue;
            }
            if (len > SN_PREDICT_MAX_VALUE || sn_utf8_valid_prefix(v, len) != len ||
                memchr(v, '\0', len)) {
                st = sn_error_set(err, SN_ERR_PARSE, true, name, at, names[f],
                                  len > SN_PREDICT_MAX_VALUE ? "value longer than 1024 bytes"
                                                             : "not valid UTF-8 text");
                goto done;
            }
            vals[c] = v;
            lens[c++] = len;
        }
        sn_status s = sn_predict_data_add(d, vals, lens, y);
        if (s != SN_OK) {
            st = sn_error_set(err, s, true, name, at, NULL,
                              s == SN_ERR_LIMIT ? "too many rows" : "out of memory");
            goto done;
        }
    }
    if (d->rows == 0)
        st = sn_error_set(err, SN_ERR_EMPTY, true, name, 0, NULL, "no rows after the header");
done:
    free(r.scratch);
    if (st != SN_OK) {
        sn_predict_data_free(d);
        return st;
    }
    *out = d;
    return SN_OK;
}

sn_status sn_predict_data_read_csv(sn_predict_data **out, const char *path, const char *label,
                                   sn_error *err)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return sn_error_set(err, SN_ERR_IO, true, path, 0, NULL, "cannot open: %s",
                            strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) ||
        (uint64_t)st.st_size > CSV_MAX_BYTES) {
        fclose(f);
        return sn_error_set(err, SN_ERR_IO, true, path, 0, NULL,
                            "not a regular file of at most 4 GiB");
    }
    size_t n = (size_t)st.st_size;
    char *text = malloc(n ? n : 1);
    if (!text) {
        fclose(f);
        return sn_error_set(err, SN_ERR_NOMEM, true, path, 0, NULL, "out of memory");
    }
    size_t got = fread(text, 1, n, f);
    fclose(f);
    if (got != n) {
        free(text);
        return sn_error_set(err, SN_ERR_IO, true, path, 0, NULL, "read error");
    }
    sn_status s = sn_predict_data_parse_csv(out, text, n, path, label, err);
    free(text);
    return s;
}
