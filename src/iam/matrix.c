/* The users x resources matrix role mining works on: counts of uses kept in a hash map of
 * (user, item) pairs, the users' departments and titles, and the weighted, L2-normalised sparse
 * rows made from them. */
#include "roles.h"

#include "../core/strmap.h"
#include "../core/u64map.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct sn_role_matrix {
    sn_strmap *users, *items, *depts, *titles;
    int32_t *dept, *title; /* per user, -1 unknown */
    int32_t attr_cap;
    sn_u64map cells; /* (user + 1) << 32 | item -> count */
};

sn_role_matrix *sn_role_matrix_new(void)
{
    sn_role_matrix *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->users = sn_strmap_new();
    m->items = sn_strmap_new();
    m->depts = sn_strmap_new();
    m->titles = sn_strmap_new();
    sn_u64map_init(&m->cells);
    if (!m->users || !m->items || !m->depts || !m->titles) {
        sn_role_matrix_free(m);
        return NULL;
    }
    return m;
}

void sn_role_matrix_free(sn_role_matrix *m)
{
    if (!m)
        return;
    sn_strmap_free(m->users);
    sn_strmap_free(m->items);
    sn_strmap_free(m->depts);
    sn_strmap_free(m->titles);
    free(m->dept);
    free(m->title);
    sn_u64map_free(&m->cells);
    free(m);
}

/* The id of user, with room for its attributes; -1 when out of memory. */
static int32_t user_id(sn_role_matrix *m, const char *user, size_t un)
{
    int32_t u = sn_strmap_intern(m->users, user, un);
    if (u < 0)
        return -1;
    if (u >= m->attr_cap) {
        int32_t nc = m->attr_cap ? m->attr_cap : 256;
        while (nc <= u)
            nc *= 2;
        int32_t *d = realloc(m->dept, (size_t)nc * sizeof(int32_t));
        if (!d)
            return -1;
        m->dept = d;
        int32_t *t = realloc(m->title, (size_t)nc * sizeof(int32_t));
        if (!t)
            return -1;
        m->title = t;
        for (int32_t i = m->attr_cap; i < nc; i++)
            m->dept[i] = m->title[i] = -1;
        m->attr_cap = nc;
    }
    return u;
}

static uint64_t cell_key(int32_t user, int32_t item)
{
    return ((uint64_t)(uint32_t)(user + 1) << 32) | (uint32_t)item;
}

sn_status sn_role_matrix_add(sn_role_matrix *m, const char *user, size_t un, const char *item,
                             size_t in, uint32_t count)
{
    int32_t u = user_id(m, user, un);
    int32_t it = u < 0 ? -1 : sn_strmap_intern(m->items, item, in);
    if (it < 0)
        return SN_ERR_NOMEM;
    uint32_t *slot = sn_u64map_slot(&m->cells, cell_key(u, it));
    if (!slot)
        return SN_ERR_NOMEM;
    *slot = *slot > UINT32_MAX - count ? UINT32_MAX : *slot + count;
    return SN_OK;
}

sn_status sn_role_matrix_set_attrs(sn_role_matrix *m, const char *user, size_t un, const char *dept,
                                   size_t dn, const char *title, size_t tn)
{
    int32_t u = user_id(m, user, un);
    if (u < 0)
        return SN_ERR_NOMEM;
    if (dn) {
        int32_t d = sn_strmap_intern(m->depts, dept, dn);
        if (d < 0)
            return SN_ERR_NOMEM;
        m->dept[u] = d;
    }
    if (tn) {
        int32_t t = sn_strmap_intern(m->titles, title, tn);
        if (t < 0)
            return SN_ERR_NOMEM;
        m->title[u] = t;
    }
    return SN_OK;
}

sn_status sn_role_matrix_from_counts(sn_role_matrix *m, const sn_profile_counts *c)
{
    /* Users first, in the baselines' order, with their attributes: rows come out in that order. */
    for (int32_t u = 0; u < c->users; u++) {
        const char *name = c->user_name[u], *d = c->user_peer[u], *t = c->user_title[u];
        if (sn_role_matrix_set_attrs(m, name, strlen(name), d, d ? strlen(d) : 0, t,
                                     t ? strlen(t) : 0) != SN_OK)
            return SN_ERR_NOMEM;
    }
    for (size_t i = 0; i < c->n; i++) {
        const sn_profile_cell *cell = &c->cell[i];
        if (cell->count == 0 || cell->user < 0 || cell->user >= c->users || cell->value < 0 ||
            cell->value >= c->values)
            continue;
        const char *u = c->user_name[cell->user], *r = c->value_name[cell->value];
        if (sn_role_matrix_add(m, u, strlen(u), r, strlen(r), cell->count) != SN_OK)
            return SN_ERR_NOMEM;
    }
    return SN_OK;
}

int32_t sn_role_matrix_users(const sn_role_matrix *m)
{
    return sn_strmap_count(m->users);
}

int32_t sn_role_matrix_items(const sn_role_matrix *m)
{
    return sn_strmap_count(m->items);
}

size_t sn_role_matrix_cells(const sn_role_matrix *m)
{
    return m->cells.len;
}

int32_t sn_role_matrix_depts(const sn_role_matrix *m)
{
    return sn_strmap_count(m->depts);
}

int32_t sn_role_matrix_titles(const sn_role_matrix *m)
{
    return sn_strmap_count(m->titles);
}

const char *sn_role_matrix_user_name(const sn_role_matrix *m, int32_t user)
{
    return sn_strmap_str(m->users, user);
}

const char *sn_role_matrix_item_name(const sn_role_matrix *m, int32_t item)
{
    return sn_strmap_str(m->items, item);
}

int32_t sn_role_matrix_user_dept(const sn_role_matrix *m, int32_t user)
{
    return user >= 0 && user < sn_strmap_count(m->users) ? m->dept[user] : -1;
}

int32_t sn_role_matrix_user_title(const sn_role_matrix *m, int32_t user)
{
    return user >= 0 && user < sn_strmap_count(m->users) ? m->title[user] : -1;
}

const char *sn_role_matrix_dept_name(const sn_role_matrix *m, int32_t dept)
{
    return sn_strmap_str(m->depts, dept);
}

const char *sn_role_matrix_title_name(const sn_role_matrix *m, int32_t title)
{
    return sn_strmap_str(m->titles, title);
}

static const char *const weighting_names[] = {"binary", "count", "log", "tfidf"};

const char *sn_role_weighting_name(sn_role_weighting w)
{
    return (unsigned)w <= SN_RW_TFIDF ? weighting_names[w] : "?";
}

int sn_role_weighting_from_name(const char *name, sn_role_weighting *out)
{
    for (int w = 0; w <= SN_RW_TFIDF; w++)
        if (!strcmp(name, weighting_names[w])) {
            *out = (sn_role_weighting)w;
            return 0;
        }
    return -1;
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

sn_status sn_role_matrix_rows(const sn_role_matrix *m, sn_role_weighting w, sn_csr *x,
                              int32_t **row_user)
{
    memset(x, 0, sizeof(*x));
    *row_user = NULL;
    int32_t nu = sn_strmap_count(m->users), ni = sn_strmap_count(m->items);
    int64_t *per_user = calloc((size_t)nu + 1, sizeof(int64_t));
    int32_t *row_of = malloc((size_t)(nu > 0 ? nu : 1) * sizeof(int32_t));
    int32_t *df = calloc((size_t)(ni > 0 ? ni : 1), sizeof(int32_t));
    if (!per_user || !row_of || !df)
        goto nomem;
    for (size_t s = 0; s < m->cells.cap; s++) {
        uint64_t key = m->cells.keys[s];
        if (!key || !m->cells.vals[s])
            continue;
        per_user[(int32_t)(key >> 32) - 1]++;
        df[(int32_t)(uint32_t)key]++;
    }
    int32_t rows = 0;
    for (int32_t u = 0; u < nu; u++)
        row_of[u] = per_user[u] ? rows++ : -1;
    x->rows = rows;
    x->cols = ni;
    x->ptr = calloc((size_t)rows + 1, sizeof(int64_t));
    *row_user = malloc((size_t)(rows > 0 ? rows : 1) * sizeof(int32_t));
    if (!x->ptr || !*row_user)
        goto nomem;
    for (int32_t u = 0; u < nu; u++)
        if (row_of[u] >= 0) {
            (*row_user)[row_of[u]] = u;
            x->ptr[row_of[u] + 1] = per_user[u];
        }
    for (int32_t r = 0; r < rows; r++)
        x->ptr[r + 1] += x->ptr[r];
    int64_t nnz = x->ptr[rows];
    x->col = malloc((size_t)(nnz > 0 ? nnz : 1) * sizeof(int32_t));
    x->val = malloc((size_t)(nnz > 0 ? nnz : 1) * sizeof(double));
    if (!x->col || !x->val)
        goto nomem;
    /* Fill each row, then sort its columns (the map's order is its hash layout). */
    memset(per_user, 0, ((size_t)nu + 1) * sizeof(int64_t));
    for (size_t s = 0; s < m->cells.cap; s++) {
        uint64_t key = m->cells.keys[s];
        if (!key || !m->cells.vals[s])
            continue;
        int32_t r = row_of[(int32_t)(key >> 32) - 1];
        int64_t at = x->ptr[r] + per_user[(int32_t)(key >> 32) - 1]++;
        x->col[at] = (int32_t)(uint32_t)key;
    }
    for (int32_t r = 0; r < rows; r++)
        qsort(x->col + x->ptr[r], (size_t)(x->ptr[r + 1] - x->ptr[r]), sizeof(int32_t), cmp_i32);
    for (int32_t r = 0; r < rows; r++) {
        int32_t u = (*row_user)[r];
        double norm = 0;
        for (int64_t e = x->ptr[r]; e < x->ptr[r + 1]; e++) {
            uint32_t c = sn_u64map_get(&m->cells, cell_key(u, x->col[e]));
            double v;
            switch (w) {
            case SN_RW_BINARY:
                v = 1.0;
                break;
            case SN_RW_COUNT:
                v = (double)c;
                break;
            case SN_RW_LOG:
                v = log1p((double)c);
                break;
            default:
                v = log1p((double)c) * (log((1.0 + rows) / (1.0 + df[x->col[e]])) + 1.0);
                break;
            }
            x->val[e] = v;
            norm += v * v;
        }
        norm = sqrt(norm);
        for (int64_t e = x->ptr[r]; e < x->ptr[r + 1]; e++)
            x->val[e] /= norm;
    }
    free(per_user);
    free(row_of);
    free(df);
    return SN_OK;
nomem:
    free(per_user);
    free(row_of);
    free(df);
    sn_csr_free(x);
    free(*row_user);
    *row_user = NULL;
    return SN_ERR_NOMEM;
}
