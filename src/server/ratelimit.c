/* Per-caller rate limits: a token bucket per caller and class of endpoint, counted in millionths
 * of a request so that refilling needs no floating point, in a bounded hash table under one
 * lock (a bucket update is a few hundred nanoseconds; one lock keeps the count exact). */
#include "auth.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define UNIT 1000000LL /* one request, in bucket units */

typedef struct bucket {
    struct bucket *next;
    int64_t tokens;  /* in UNITs of a request */
    int64_t updated; /* microseconds */
    sn_rate_class cls;
    char who[];
} bucket;

struct sn_ratelimit {
    pthread_mutex_t lock;
    bucket **slots;
    size_t n_slots, count, max;
    sn_rate rates[SN_RATE_CLASSES]; /* the latest rate of each class, for eviction */
};

sn_ratelimit *sn_ratelimit_new(size_t max_sources)
{
    sn_ratelimit *rl = calloc(1, sizeof(*rl));
    if (!rl)
        return NULL;
    rl->max = max_sources ? max_sources : 1;
    rl->n_slots = 1024;
    while (rl->n_slots < rl->max && rl->n_slots < ((size_t)1 << 22))
        rl->n_slots *= 2;
    rl->slots = calloc(rl->n_slots, sizeof(bucket *));
    if (!rl->slots || pthread_mutex_init(&rl->lock, NULL) != 0) {
        free(rl->slots);
        free(rl);
        return NULL;
    }
    return rl;
}

void sn_ratelimit_free(sn_ratelimit *rl)
{
    if (!rl)
        return;
    for (size_t i = 0; i < rl->n_slots; i++)
        for (bucket *b = rl->slots[i], *next; b; b = next) {
            next = b->next;
            free(b);
        }
    free(rl->slots);
    pthread_mutex_destroy(&rl->lock);
    free(rl);
}

/* FNV-1a of the caller and class. */
static size_t slot_of(const sn_ratelimit *rl, const char *who, sn_rate_class cls)
{
    uint64_t h = 1469598103934665603ULL ^ (uint64_t)cls;
    for (const unsigned char *p = (const unsigned char *)who; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return (size_t)(h & (rl->n_slots - 1));
}

/* Tokens of b brought up to now. */
static void refill(bucket *b, const sn_rate *rate, int64_t now)
{
    int64_t cap = (int64_t)rate->count * UNIT;
    int64_t elapsed = now - b->updated;
    if (elapsed <= 0)
        return;
    int64_t period_us = (int64_t)rate->period_s * 1000000;
    /* count / period_s requests a second is count / period_s UNITs a microsecond. */
    int64_t add = elapsed >= period_us ? cap : elapsed * rate->count / rate->period_s;
    b->tokens = b->tokens + add > cap ? cap : b->tokens + add;
    b->updated = now;
}

/* Makes room for more callers: forgets every bucket idle long enough to be full again (as if
 * never seen); if none is, the older half by age (everything last seen before the midpoint
 * between the oldest update and now), so that a flood of new callers costs one sweep per many
 * insertions rather than one each. Called with the lock held. */
static void evict(sn_ratelimit *rl, const sn_rate *rates, int64_t now)
{
    int64_t oldest = now;
    for (int pass = 0; pass < 2 && rl->count >= rl->max; pass++) {
        int64_t cutoff = oldest + (now - oldest) / 2;
        for (size_t i = 0; i < rl->n_slots; i++)
            for (bucket **pb = &rl->slots[i]; *pb;) {
                bucket *b = *pb;
                const sn_rate *r = &rates[b->cls];
                bool idle = r->count == 0 || now - b->updated >= (int64_t)r->period_s * 1000000;
                if (pass == 0 ? idle : b->updated <= cutoff) {
                    *pb = b->next;
                    free(b);
                    rl->count--;
                    continue;
                }
                if (b->updated < oldest)
                    oldest = b->updated;
                pb = &b->next;
            }
    }
}

void sn_ratelimit_take(sn_ratelimit *rl, sn_rate_class cls, const sn_rate *rate, const char *who,
                       int64_t now_us, sn_rate_decision *d)
{
    memset(d, 0, sizeof(*d));
    d->allowed = true;
    if (rate->count <= 0)
        return;
    d->limit = rate->count;
    pthread_mutex_lock(&rl->lock);
    rl->rates[cls] = *rate;
    size_t slot = slot_of(rl, who, cls);
    bucket *b = rl->slots[slot];
    while (b && (b->cls != cls || strcmp(b->who, who) != 0))
        b = b->next;
    if (!b) {
        if (rl->count >= rl->max)
            evict(rl, rl->rates, now_us);
        size_t n = strlen(who);
        b = malloc(sizeof(*b) + n + 1);
        if (!b) {
            /* Out of memory: refuse rather than let the caller through unlimited. */
            pthread_mutex_unlock(&rl->lock);
            d->allowed = false;
            d->retry_after = 1;
            d->reset_s = 1;
            return;
        }
        memcpy(b->who, who, n + 1);
        b->cls = cls;
        b->tokens = (int64_t)rate->count * UNIT;
        b->updated = now_us;
        slot = slot_of(rl, who, cls);
        b->next = rl->slots[slot];
        rl->slots[slot] = b;
        rl->count++;
    }
    refill(b, rate, now_us);
    if (b->tokens >= UNIT) {
        b->tokens -= UNIT;
    } else {
        d->allowed = false;
        /* Microseconds until one UNIT: (UNIT - tokens) * period_s / count. */
        int64_t wait_us = (UNIT - b->tokens) * rate->period_s / rate->count;
        d->retry_after = (long)((wait_us + 999999) / 1000000);
        if (d->retry_after < 1)
            d->retry_after = 1;
    }
    d->remaining = (long)(b->tokens / UNIT);
    int64_t missing = (int64_t)rate->count * UNIT - b->tokens;
    int64_t full_us = missing / rate->count * rate->period_s;
    d->reset_s = (long)((full_us + 999999) / 1000000);
    pthread_mutex_unlock(&rl->lock);
}

void sn_ratelimit_give_back(sn_ratelimit *rl, sn_rate_class cls, const char *who)
{
    pthread_mutex_lock(&rl->lock);
    const sn_rate *rate = &rl->rates[cls];
    bucket *b = rl->slots[slot_of(rl, who, cls)];
    while (b && (b->cls != cls || strcmp(b->who, who) != 0))
        b = b->next;
    if (b && rate->count > 0) {
        int64_t cap = (int64_t)rate->count * UNIT;
        b->tokens = b->tokens + UNIT > cap ? cap : b->tokens + UNIT;
    }
    pthread_mutex_unlock(&rl->lock);
}

size_t sn_ratelimit_tracked(sn_ratelimit *rl)
{
    pthread_mutex_lock(&rl->lock);
    size_t n = rl->count;
    pthread_mutex_unlock(&rl->lock);
    return n;
}
