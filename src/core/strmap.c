/* String interning with open addressing and a chunked arena for the bytes. */
#include "strmap.h"

#include <stdlib.h>
#include <string.h>

#define CHUNK_SIZE (1u << 16)

typedef struct chunk {
    struct chunk *next;
    size_t used, cap;
    char data[];
} chunk;

struct sn_strmap {
    uint64_t *slots; /* high 32 bits of the hash << 32 | (id + 1), 0 = empty: the hash in the
                        slot rejects almost every mismatch without touching the string */
    uint32_t cap;    /* power of two */
    const char **strs;
    uint32_t *lens;
    uint64_t *hashes;
    int32_t count, strs_cap;
    chunk *chunks;
    uint64_t seed;
};

uint64_t sn_hash_bytes(const void *p, size_t n, uint64_t seed)
{
    const unsigned char *b = p;
    uint64_t h = 0xcbf29ce484222325ULL ^ seed;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, b + i, 8);
        h = (h ^ w) * 0x100000001b3ULL;
        h ^= h >> 29;
    }
    for (; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ULL;
    return sn_hash_u64(h ^ n);
}

sn_strmap *sn_strmap_new(void)
{
    sn_strmap *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->cap = 64;
    m->slots = calloc(m->cap, sizeof(uint64_t));
    if (!m->slots) {
        free(m);
        return NULL;
    }
    m->seed = 0x5eed5eed12345678ULL;
    return m;
}

void sn_strmap_free(sn_strmap *m)
{
    if (!m)
        return;
    chunk *c = m->chunks;
    while (c) {
        chunk *n = c->next;
        free(c);
        c = n;
    }
    free(m->slots);
    free(m->strs);
    free(m->lens);
    free(m->hashes);
    free(m);
}

static char *arena_copy(sn_strmap *m, const char *s, size_t n)
{
    chunk *c = m->chunks;
    if (!c || c->cap - c->used < n + 1) {
        size_t cap = n + 1 > CHUNK_SIZE ? n + 1 : CHUNK_SIZE;
        chunk *nc = malloc(sizeof(chunk) + cap);
        if (!nc)
            return NULL;
        nc->used = 0;
        nc->cap = cap;
        nc->next = m->chunks;
        m->chunks = nc;
        c = nc;
    }
    char *dst = c->data + c->used;
    memcpy(dst, s, n);
    dst[n] = '\0';
    c->used += n + 1;
    return dst;
}

static inline uint64_t slot_of(uint64_t h, int32_t id)
{
    return (h & 0xffffffff00000000ULL) | ((uint64_t)(uint32_t)id + 1);
}

static int grow(sn_strmap *m)
{
    uint32_t ncap = m->cap * 2;
    uint64_t *ns = calloc(ncap, sizeof(uint64_t));
    if (!ns)
        return -1;
    for (int32_t id = 0; id < m->count; id++) {
        uint32_t i = (uint32_t)m->hashes[id] & (ncap - 1);
        while (ns[i])
            i = (i + 1) & (ncap - 1);
        ns[i] = slot_of(m->hashes[id], id);
    }
    free(m->slots);
    m->slots = ns;
    m->cap = ncap;
    return 0;
}

static int32_t lookup(const sn_strmap *m, const char *s, size_t n, uint64_t h, uint32_t *slot)
{
    uint32_t i = (uint32_t)h & (m->cap - 1);
    uint64_t tag = h & 0xffffffff00000000ULL;
    while (m->slots[i]) {
        uint64_t v = m->slots[i];
        if ((v & 0xffffffff00000000ULL) == tag) {
            int32_t id = (int32_t)(uint32_t)v - 1;
            if (m->lens[id] == n && memcmp(m->strs[id], s, n) == 0)
                return id;
        }
        i = (i + 1) & (m->cap - 1);
    }
    *slot = i;
    return -1;
}

int32_t sn_strmap_find(const sn_strmap *m, const char *s, size_t n)
{
    uint32_t slot;
    return lookup(m, s, n, sn_hash_bytes(s, n, m->seed), &slot);
}

int32_t sn_strmap_intern(sn_strmap *m, const char *s, size_t n)
{
    uint64_t h = sn_hash_bytes(s, n, m->seed);
    uint32_t slot;
    int32_t id = lookup(m, s, n, h, &slot);
    if (id >= 0)
        return id;
    if (n > UINT32_MAX || m->count == INT32_MAX - 1)
        return -1;
    if ((uint32_t)(m->count + 1) * 4 > m->cap * 3) {
        if (grow(m) != 0)
            return -1;
        lookup(m, s, n, h, &slot);
    }
    if (m->count == m->strs_cap) {
        int32_t nc = m->strs_cap ? m->strs_cap * 2 : 64;
        const char **a = realloc(m->strs, (size_t)nc * sizeof(*a));
        if (!a)
            return -1;
        m->strs = a;
        uint32_t *l = realloc(m->lens, (size_t)nc * sizeof(*l));
        if (!l)
            return -1;
        m->lens = l;
        uint64_t *hs = realloc(m->hashes, (size_t)nc * sizeof(*hs));
        if (!hs)
            return -1;
        m->hashes = hs;
        m->strs_cap = nc;
    }
    char *copy = arena_copy(m, s, n);
    if (!copy)
        return -1;
    id = m->count++;
    m->strs[id] = copy;
    m->lens[id] = (uint32_t)n;
    m->hashes[id] = h;
    m->slots[slot] = slot_of(h, id);
    return id;
}

const char *sn_strmap_str(const sn_strmap *m, int32_t id)
{
    return (id >= 0 && id < m->count) ? m->strs[id] : NULL;
}

size_t sn_strmap_len(const sn_strmap *m, int32_t id)
{
    return (id >= 0 && id < m->count) ? m->lens[id] : 0;
}

int32_t sn_strmap_count(const sn_strmap *m)
{
    return m->count;
}
