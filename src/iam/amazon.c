/* Amazon's employee access file (Kaggle "Amazon.com - Employee Access Challenge", 2013) as a
 * users x resources matrix: every approved request (ACTION 1) is one use of RESOURCE by the
 * requesting role. All fields are integer ids; the header names the columns. */
#include "roles.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { A_ACTION, A_RESOURCE, A_R1, A_R2, A_DEPT, A_TITLE, A_FDESC, A_FAMILY, A_CODE, A_COLS };

static const char *const col_names[A_COLS] = {"ACTION",           "RESOURCE",      "ROLE_ROLLUP_1",
                                              "ROLE_ROLLUP_2",    "ROLE_DEPTNAME", "ROLE_TITLE",
                                              "ROLE_FAMILY_DESC", "ROLE_FAMILY",   "ROLE_CODE"};

/* Splits line at commas into at most max fields (NUL-terminating them in place). */
static int split(char *line, char **f, int max)
{
    int n = 0;
    char *p = line;
    for (;;) {
        if (n < max)
            f[n] = p;
        n++;
        char *c = strchr(p, ',');
        if (!c)
            break;
        *c = '\0';
        p = c + 1;
    }
    return n;
}

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
        s[--n] = '\0';
}

static bool is_int(const char *s)
{
    if (!*s || strlen(s) > 18)
        return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return false;
    return true;
}

sn_status sn_role_matrix_read_amazon(sn_role_matrix *m, const char *path, sn_amazon_user who,
                                     long *rows_read, sn_error *err)
{
    *rows_read = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return sn_error_set(err, SN_ERR_IO, true, path, 0, NULL, "cannot open: %s",
                            strerror(errno));
    sn_status st = sn_role_matrix_read_amazon_stream(m, f, path, who, rows_read, err);
    fclose(f);
    return st;
}

sn_status sn_role_matrix_read_amazon_stream(sn_role_matrix *m, FILE *f, const char *path,
                                            sn_amazon_user who, long *rows_read, sn_error *err)
{
    *rows_read = 0;
    char line[1024];
    char *fields[64];
    int at[A_COLS];
    sn_status st = SN_OK;
    if (!fgets(line, sizeof(line), f))
        return sn_error_set(err, SN_ERR_EMPTY, true, path, 0, NULL, "empty file");
    trim(line);
    char *hdr = line;
    if (!strncmp(hdr, "\xef\xbb\xbf", 3))
        hdr += 3;
    int nh = split(hdr, fields, 64);
    for (int c = 0; c < A_COLS; c++) {
        at[c] = -1;
        for (int i = 0; i < nh && i < 64; i++)
            if (!strcasecmp(fields[i], col_names[c]))
                at[c] = i;
        if (at[c] < 0) {
            return sn_error_set(err, SN_ERR_MISSING, true, path, 1, col_names[c],
                                "no %s column (expected Amazon's access file: ACTION, RESOURCE, "
                                "MGR_ID, ROLE_ROLLUP_1 .. ROLE_CODE)",
                                col_names[c]);
        }
    }
    long lineno = 1;
    while (st == SN_OK && fgets(line, sizeof(line), f)) {
        lineno++;
        if (!strchr(line, '\n') && !feof(f)) {
            st = sn_error_set(err, SN_ERR_TOO_LONG, true, path, lineno, NULL, "line too long");
            break;
        }
        trim(line);
        if (!line[0])
            continue;
        int n = split(line, fields, 64);
        if (n != nh) {
            st = sn_error_set(err, SN_ERR_PARSE, true, path, lineno, NULL,
                              "%d fields where the header has %d", n, nh);
            break;
        }
        for (int c = 0; c < A_COLS; c++)
            if (!is_int(fields[at[c]])) {
                st = sn_error_set(err, SN_ERR_PARSE, true, path, lineno, col_names[c],
                                  "'%.40s' is not an integer id", fields[at[c]]);
                break;
            }
        if (st != SN_OK)
            break;
        (*rows_read)++;
        char user[256];
        if (who == SN_AMAZON_ROLE_CODE)
            snprintf(user, sizeof(user), "%s", fields[at[A_CODE]]);
        else
            snprintf(user, sizeof(user), "%s/%s/%s/%s/%s/%s/%s", fields[at[A_R1]], fields[at[A_R2]],
                     fields[at[A_DEPT]], fields[at[A_TITLE]], fields[at[A_FDESC]],
                     fields[at[A_FAMILY]], fields[at[A_CODE]]);
        const char *dept = fields[at[A_DEPT]], *title = fields[at[A_TITLE]];
        if (sn_role_matrix_set_attrs(m, user, strlen(user), dept, strlen(dept), title,
                                     strlen(title)) != SN_OK)
            st = sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL, "out of memory");
        else if (!strcmp(fields[at[A_ACTION]], "1") &&
                 sn_role_matrix_add(m, user, strlen(user), fields[at[A_RESOURCE]],
                                    strlen(fields[at[A_RESOURCE]]), 1) != SN_OK)
            st = sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, NULL, "out of memory");
    }
    if (st == SN_OK && ferror(f))
        st = sn_error_set(err, SN_ERR_IO, true, path, lineno, NULL, "read error");
    return st;
}
