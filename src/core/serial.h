/* Little-endian binary writing and bounds-checked reading, for model files. */
#ifndef SN_SERIAL_H
#define SN_SERIAL_H

#include "buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline void sn_put_u32(sn_buf *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    sn_buf_append(b, x, 4);
}

static inline void sn_put_u64(sn_buf *b, uint64_t v)
{
    sn_put_u32(b, (uint32_t)v);
    sn_put_u32(b, (uint32_t)(v >> 32));
}

static inline void sn_put_f64(sn_buf *b, double d)
{
    uint64_t v;
    memcpy(&v, &d, 8);
    sn_put_u64(b, v);
}

static inline void sn_put_bytes(sn_buf *b, const void *p, size_t n)
{
    sn_put_u64(b, n);
    sn_buf_append(b, p, n);
}

/* A reader that turns every out-of-bounds read into a sticky failure (reads then return 0). */
typedef struct sn_reader_bin {
    const uint8_t *p;
    size_t n, off;
    bool bad;
} sn_rd;

static inline bool sn_rd_need(sn_rd *r, size_t k)
{
    if (r->bad || r->n - r->off < k) {
        r->bad = true;
        return false;
    }
    return true;
}

static inline uint32_t sn_get_u32(sn_rd *r)
{
    if (!sn_rd_need(r, 4))
        return 0;
    const uint8_t *x = r->p + r->off;
    r->off += 4;
    return (uint32_t)x[0] | (uint32_t)x[1] << 8 | (uint32_t)x[2] << 16 | (uint32_t)x[3] << 24;
}

static inline uint64_t sn_get_u64(sn_rd *r)
{
    uint64_t lo = sn_get_u32(r);
    return lo | (uint64_t)sn_get_u32(r) << 32;
}

static inline double sn_get_f64(sn_rd *r)
{
    uint64_t v = sn_get_u64(r);
    double d;
    memcpy(&d, &v, 8);
    return d;
}

/* Borrowed pointer to a length-prefixed byte string; NULL (and bad) when out of bounds. */
static inline const uint8_t *sn_get_bytes(sn_rd *r, size_t *n)
{
    uint64_t len = sn_get_u64(r);
    if (r->bad || len > r->n - r->off) {
        r->bad = true;
        *n = 0;
        return NULL;
    }
    const uint8_t *p = r->p + r->off;
    r->off += (size_t)len;
    *n = (size_t)len;
    return p;
}

#endif
