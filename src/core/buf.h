/* Growable byte buffer used for output and serialisation. */
#ifndef SN_BUF_H
#define SN_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct sn_buf {
    char *data;
    size_t len, cap;
    int failed; /* set once an allocation failed; later appends are no-ops */
} sn_buf;

void sn_buf_init(sn_buf *b);
void sn_buf_free(sn_buf *b);
void sn_buf_reset(sn_buf *b);
int sn_buf_reserve(sn_buf *b, size_t extra);
void sn_buf_append_slow(sn_buf *b, const void *p, size_t n);

/* The common case (room left) inline: output of every verdict goes through these. */
static inline void sn_buf_append(sn_buf *b, const void *p, size_t n)
{
    if (n && b->len + n < b->cap && !b->failed) {
        memcpy(b->data + b->len, p, n);
        b->len += n;
        b->data[b->len] = '\0';
        return;
    }
    sn_buf_append_slow(b, p, n);
}

static inline void sn_buf_putc(sn_buf *b, char c)
{
    sn_buf_append(b, &c, 1);
}

static inline void sn_buf_puts(sn_buf *b, const char *s)
{
    sn_buf_append(b, s, strlen(s));
}
void sn_buf_printf(sn_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal (quoted, escaped; bytes assumed valid UTF-8). */
void sn_buf_json_str(sn_buf *b, const char *s, size_t n);
void sn_buf_u64(sn_buf *b, uint64_t v);
/* Appends v with exactly `decimals` (0-6) digits after the point, rounded half away from zero,
 * as printf("%.*f") would for the same value; NaN and infinities as JSON null. */
void sn_buf_fixed(sn_buf *b, double v, int decimals);

/* The same two written at o, which must have room (6 * n + 2 bytes for a string, SN_FIXED_MAX
 * for a number); they return the end of what they wrote and add no NUL. For writers that
 * reserve once for a whole record. */
#define SN_FIXED_MAX 330 /* printf("%.6f") of the largest double, and its NUL */
char *sn_json_str_to(char *o, const char *s, size_t n);
char *sn_fixed_to(char *o, double v, int decimals);

#endif
