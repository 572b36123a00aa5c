/* The reader -> judge -> writer relay of sn_relay.h: groups of batches in three bounded queues
 * guarded by one mutex. */
#include "relay.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

/* Batches handed over at once: one hand-over per 1,024 events keeps locking out of the
 * profile. Groups in flight: one per stage and one spare, so no stage waits on a full one. */
#define GROUP_BATCHES 4
#define GROUPS 4

typedef struct group {
    sn_event_batch *b[GROUP_BATCHES];
    size_t n;    /* batches holding events */
    bool last;   /* the end of the input */
    bool failed; /* the judge failed on this group or an earlier one */
} group;

/* A queue of at most GROUPS groups, first in first out. */
typedef struct queue {
    group *g[GROUPS];
    size_t head, len;
    pthread_cond_t ready;
} queue;

struct sn_relay {
    pthread_mutex_t mutex;
    queue empty, judged_in, write_in;
    group groups[GROUPS];
    group *filling; /* the reader's */
    pthread_t judge_thread, write_thread;
    sn_relay_fn judge, write;
    void *ctx;
    int judge_rc, write_rc;
};

static void push(sn_relay *r, queue *q, group *g)
{
    pthread_mutex_lock(&r->mutex);
    q->g[(q->head + q->len) % GROUPS] = g;
    q->len++;
    pthread_cond_signal(&q->ready);
    pthread_mutex_unlock(&r->mutex);
}

static group *pop(sn_relay *r, queue *q)
{
    pthread_mutex_lock(&r->mutex);
    while (q->len == 0)
        pthread_cond_wait(&q->ready, &r->mutex);
    group *g = q->g[q->head];
    q->head = (q->head + 1) % GROUPS;
    q->len--;
    pthread_mutex_unlock(&r->mutex);
    return g;
}

static void *judge_main(void *arg)
{
    sn_relay *r = arg;
    for (;;) {
        group *g = pop(r, &r->judged_in);
        for (size_t i = 0; i < g->n && !r->judge_rc; i++)
            r->judge_rc = r->judge(r->ctx, g->b[i]);
        g->failed = r->judge_rc != 0;
        bool last = g->last;
        push(r, &r->write_in, g);
        if (last)
            return NULL;
    }
}

static void *write_main(void *arg)
{
    sn_relay *r = arg;
    for (;;) {
        group *g = pop(r, &r->write_in);
        /* Nothing is written from the group the judge failed in, nor after it. */
        for (size_t i = 0; i < g->n; i++) {
            if (!r->write_rc && !g->failed)
                r->write_rc = r->write(r->ctx, g->b[i]);
            g->b[i]->n = 0;
            g->b[i]->used = 0;
        }
        bool last = g->last;
        g->n = 0;
        if (last)
            return NULL;
        push(r, &r->empty, g);
    }
}

static void free_groups(sn_relay *r)
{
    for (int k = 0; k < GROUPS; k++)
        for (int i = 0; i < GROUP_BATCHES; i++)
            sn_event_batch_free(r->groups[k].b[i]);
}

sn_relay *sn_relay_start(sn_relay_fn judge, sn_relay_fn write, void *ctx)
{
    sn_relay *r = calloc(1, sizeof(*r));
    if (!r) {
        fprintf(stderr, "sentinel: out of memory\n");
        return NULL;
    }
    r->judge = judge;
    r->write = write;
    r->ctx = ctx;
    for (int k = 0; k < GROUPS; k++)
        for (int i = 0; i < GROUP_BATCHES; i++)
            if (!(r->groups[k].b[i] = sn_event_batch_new())) {
                free_groups(r);
                free(r);
                fprintf(stderr, "sentinel: out of memory\n");
                return NULL;
            }
    pthread_mutex_init(&r->mutex, NULL);
    pthread_cond_init(&r->empty.ready, NULL);
    pthread_cond_init(&r->judged_in.ready, NULL);
    pthread_cond_init(&r->write_in.ready, NULL);
    for (int k = 1; k < GROUPS; k++)
        r->empty.g[r->empty.len++] = &r->groups[k];
    r->filling = &r->groups[0];
    if (pthread_create(&r->judge_thread, NULL, judge_main, r) != 0) {
        fprintf(stderr, "sentinel: cannot start a thread\n");
        free_groups(r);
        free(r);
        return NULL;
    }
    if (pthread_create(&r->write_thread, NULL, write_main, r) != 0) {
        fprintf(stderr, "sentinel: cannot start a thread\n");
        group *g = r->filling;
        g->last = true;
        push(r, &r->judged_in, g);
        pthread_join(r->judge_thread, NULL);
        free_groups(r);
        free(r);
        return NULL;
    }
    return r;
}

sn_event_batch *sn_relay_batch(sn_relay *r)
{
    return r->filling->b[r->filling->n];
}

sn_event_batch *sn_relay_next(sn_relay *r)
{
    group *g = r->filling;
    if (++g->n == GROUP_BATCHES) {
        push(r, &r->judged_in, g);
        r->filling = pop(r, &r->empty);
    }
    return sn_relay_batch(r);
}

int sn_relay_offer(void *ctx, const sn_event *ev, const char *event_id)
{
    sn_relay *r = ctx;
    if (sn_event_batch_add(sn_relay_batch(r), ev, event_id))
        sn_relay_next(r);
    return 0;
}

int sn_relay_finish(sn_relay *r)
{
    group *g = r->filling;
    if (g->b[g->n]->n > 0)
        g->n++;
    g->last = true;
    push(r, &r->judged_in, g);
    pthread_join(r->judge_thread, NULL);
    pthread_join(r->write_thread, NULL);
    int rc = r->judge_rc ? r->judge_rc : r->write_rc;
    pthread_mutex_destroy(&r->mutex);
    pthread_cond_destroy(&r->empty.ready);
    pthread_cond_destroy(&r->judged_in.ready);
    pthread_cond_destroy(&r->write_in.ready);
    free_groups(r);
    free(r);
    return rc;
}
