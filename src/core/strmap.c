/* String interning with open addressing and a chunked arena for the bytes. */
#include "strmap.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_SIZE (1u << 16)

typedef struct chunk {
    struct chunk *next;
    size_t used, cap;
    char data[];
} chunk;

/* What a lookup needs of a string, in one cache line's half: a string of up to HEAD bytes is
 * compared here without touching the arena. */
#define HEAD 12
typedef struct entry {
    uint64_t hash;
    const char *str;
    uint32_t len;
    char head[HEAD]; /* the first HEAD bytes, zero-padded */
} entry;

struct sn_strmap {
    uint64_t *slots; /* high 32 bits of the hash << 32 | (id + 1), 0 = empty: the hash in the
                        slot rejects almost every mismatch without touching the string */
    uint32_t cap;    /* power of two */
    entry *entries;
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
    free(m->entries);
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
        uint32_t i = (uint32_t)m->entries[id].hash & (ncap - 1);
        while (ns[i])
            i = (i + 1) & (ncap - 1);
        ns[i] = slot_of(m->entries[id].hash, id);
    }
    free(m->slots);
    m->slots = ns;
    m->cap = ncap;
    return 0;
}

static void head_of(const char *s, size_t n, char head[HEAD])
{
    memset(head, 0, HEAD);
    memcpy(head, s, n < HEAD ? n : HEAD);
}

static int32_t lookup(const sn_strmap *m, const char *s, size_t n, uint64_t h, uint32_t *slot)
{
    uint32_t i = (uint32_t)h & (m->cap - 1);
    uint64_t tag = h & 0xffffffff00000000ULL;
    char head[HEAD];
    bool have_head = false;
    while (m->slots[i]) {
        uint64_t v = m->slots[i];
        if ((v & 0xffffffff00000000ULL) == tag) {
            int32_t id = (int32_t)(uint32_t)v - 1;
            const entry *e = &m->entries[id];
            if (e->len == n) {
                if (!have_head) {
                    head_of(s, n, head);
                    have_head = true;
                }
                if (memcmp(e->head, head, HEAD) == 0 &&
                    (n <= HEAD || memcmp(e->str + HEAD, s + HEAD, n - HEAD) == 0))
                    return id;
            }
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

uint64_t sn_strmap_hash(const sn_strmap *m, const char *s, size_t n)
{
    return sn_hash_bytes(s, n, m->seed);
}

void sn_strmap_prefetch(const sn_strmap *m, uint64_t h)
{
    __builtin_prefetch(&m->slots[(uint32_t)h & (m->cap - 1)]);
}

int32_t sn_strmap_intern(sn_strmap *m, const char *s, size_t n)
{
    return sn_strmap_intern_hashed(m, s, n, sn_hash_bytes(s, n, m->seed));
}

int32_t sn_strmap_intern_hashed(sn_strmap *m, const char *s, size_t n, uint64_t h)
{
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
        entry *a = realloc(m->entries, (size_t)nc * sizeof(*a));
        if (!a)
            return -1;
        m->entries = a;
        m->strs_cap = nc;
    }
    char *copy = arena_copy(m, s, n);
    if (!copy)
        return -1;
    id = m->count++;
    entry *e = &m->entries[id];
    e->hash = h;
    e->str = copy;
    e->len = (uint32_t)n;
    head_of(s, n, e->head);
    m->slots[slot] = slot_of(h, id);
    return id;
}

const char *sn_strmap_str(const sn_strmap *m, int32_t id)
{
    return (id >= 0 && id < m->count) ? m->entries[id].str : NULL;
}

size_t sn_strmap_len(const sn_strmap *m, int32_t id)
{
    return (id >= 0 && id < m->count) ? m->entries[id].len : 0;
}

int32_t sn_strmap_count(const sn_strmap *m)
{
    return m->count;
}
