/* Interning of strings to dense ids (0, 1, 2, ...), and hashing helpers. Open addressing;
 * the strings are copied into an internal arena, so callers may pass borrowed bytes. */
#ifndef SN_STRMAP_H
#define SN_STRMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct sn_strmap sn_strmap;

/* Returns NULL when out of memory. Caller frees with sn_strmap_free. */
sn_strmap *sn_strmap_new(void);
void sn_strmap_free(sn_strmap *m);

/* Id of s (adding it when absent). Returns -1 when out of memory. */
int32_t sn_strmap_intern(sn_strmap *m, const char *s, size_t n);
/* The same in two steps, for callers that look up many strings at once: the hash of s (the
 * map's own), a hint to load where a lookup of that hash starts, and the interning with it. */
uint64_t sn_strmap_hash(const sn_strmap *m, const char *s, size_t n);
void sn_strmap_prefetch(const sn_strmap *m, uint64_t h);
int32_t sn_strmap_intern_hashed(sn_strmap *m, const char *s, size_t n, uint64_t h);
/* Id of s, or -1 when absent. */
int32_t sn_strmap_find(const sn_strmap *m, const char *s, size_t n);
/* The string of an id (NUL-terminated, owned by the map, stable until the map is freed). */
const char *sn_strmap_str(const sn_strmap *m, int32_t id);
size_t sn_strmap_len(const sn_strmap *m, int32_t id);
int32_t sn_strmap_count(const sn_strmap *m);

/* 64-bit hash of bytes (FNV-1a followed by a mix; not for adversarial keys across processes
 * unless seeded). */
uint64_t sn_hash_bytes(const void *p, size_t n, uint64_t seed);
static inline uint64_t sn_hash_u64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

#endif
