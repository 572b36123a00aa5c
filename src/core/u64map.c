/* Open-addressing (linear probing) map from 64-bit keys to 32-bit values. */
#include "u64map.h"

#include "strmap.h"

#include <stdlib.h>
#include <string.h>

void sn_u64map_init(sn_u64map *m)
{
    memset(m, 0, sizeof(*m));
}

void sn_u64map_free(sn_u64map *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof(*m));
}

void sn_u64map_clear(sn_u64map *m)
{
    if (m->cap) {
        memset(m->keys, 0, m->cap * sizeof(uint64_t));
        memset(m->vals, 0, m->cap * sizeof(uint32_t));
    }
    m->len = 0;
}

uint32_t sn_u64map_get(const sn_u64map *m, uint64_t key)
{
    if (!m->cap)
        return 0;
    size_t mask = m->cap - 1, i = sn_hash_u64(key) & mask;
    for (;;) {
        uint64_t k = m->keys[i];
        if (k == key)
            return m->vals[i];
        if (k == 0)
            return 0;
        i = (i + 1) & mask;
    }
}

static int grow(sn_u64map *m)
{
    size_t ncap = m->cap ? m->cap * 2 : 64;
    uint64_t *nk = calloc(ncap, sizeof(uint64_t));
    uint32_t *nv = calloc(ncap, sizeof(uint32_t));
    if (!nk || !nv) {
        free(nk);
        free(nv);
        return -1;
    }
    for (size_t j = 0; j < m->cap; j++) {
        if (!m->keys[j])
            continue;
        size_t i = sn_hash_u64(m->keys[j]) & (ncap - 1);
        while (nk[i])
            i = (i + 1) & (ncap - 1);
        nk[i] = m->keys[j];
        nv[i] = m->vals[j];
    }
    free(m->keys);
    free(m->vals);
    m->keys = nk;
    m->vals = nv;
    m->cap = ncap;
    return 0;
}

uint32_t *sn_u64map_slot(sn_u64map *m, uint64_t key)
{
    if ((m->len + 1) * 4 > m->cap * 3 && grow(m) != 0)
        return NULL;
    size_t mask = m->cap - 1, i = sn_hash_u64(key) & mask;
    for (;;) {
        uint64_t k = m->keys[i];
        if (k == key)
            return &m->vals[i];
        if (k == 0) {
            m->keys[i] = key;
            m->vals[i] = 0;
            m->len++;
            return &m->vals[i];
        }
        i = (i + 1) & mask;
    }
}
