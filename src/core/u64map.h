/* Open-addressing map from non-zero 64-bit keys to 32-bit values (counts, ids). */
#ifndef SN_U64MAP_H
#define SN_U64MAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct sn_u64map {
    uint64_t *keys; /* 0 = empty slot */
    uint32_t *vals;
    size_t cap; /* power of two, or 0 */
    size_t len;
} sn_u64map;

void sn_u64map_init(sn_u64map *m);
void sn_u64map_free(sn_u64map *m);
void sn_u64map_clear(sn_u64map *m);
/* Value of key, or 0 when absent (key must be non-zero). */
uint32_t sn_u64map_get(const sn_u64map *m, uint64_t key);
/* Pointer to key's value, inserting 0 when absent; NULL when out of memory. Invalidated by the
 * next insertion. */
uint32_t *sn_u64map_slot(sn_u64map *m, uint64_t key);
/* Iteration: for (size_t i = 0; i < m->cap; i++) if (m->keys[i]) ... */

#endif
