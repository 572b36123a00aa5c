/* A small pool of worker threads with a bounded queue: the HTTP threads hand it requests that
 * take long (a batch of thousands of events) and go on serving their other connections. */
#include "server_internal.h"

#include <stdlib.h>

struct sn_pool {
    pthread_mutex_t lock;
    pthread_cond_t work;
    sn_job *head, *tail;
    size_t reserved, max_queued; /* places taken in the queue (queued or about to be) */
    bool stop;
    unsigned n_threads;
    pthread_t threads[];
};

static void *worker(void *arg)
{
    sn_pool *p = arg;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->head && !p->stop)
            pthread_cond_wait(&p->work, &p->lock);
        sn_job *job = p->head;
        if (!job)
            break;
        p->head = job->next;
        if (!p->head)
            p->tail = NULL;
        p->reserved--;
        bool stopping = p->stop;
        pthread_mutex_unlock(&p->lock);
        if (stopping)
            job->cancel(job);
        else
            job->run(job);
        pthread_mutex_lock(&p->lock);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

sn_pool *sn_pool_new(unsigned threads, size_t max_queued)
{
    if (threads < 1)
        threads = 1;
    sn_pool *p = calloc(1, sizeof(*p) + threads * sizeof(pthread_t));
    if (!p)
        return NULL;
    p->max_queued = max_queued;
    if (pthread_mutex_init(&p->lock, NULL) != 0) {
        free(p);
        return NULL;
    }
    pthread_cond_init(&p->work, NULL);
    for (; p->n_threads < threads; p->n_threads++)
        if (pthread_create(&p->threads[p->n_threads], NULL, worker, p) != 0)
            break;
    if (p->n_threads == 0) {
        sn_pool_free(p);
        return NULL;
    }
    return p;
}

bool sn_pool_reserve(sn_pool *p)
{
    pthread_mutex_lock(&p->lock);
    bool ok = !p->stop && p->reserved < p->max_queued;
    if (ok)
        p->reserved++;
    pthread_mutex_unlock(&p->lock);
    return ok;
}

void sn_pool_submit(sn_pool *p, sn_job *job)
{
    job->next = NULL;
    pthread_mutex_lock(&p->lock);
    if (p->tail)
        p->tail->next = job;
    else
        p->head = job;
    p->tail = job;
    pthread_cond_signal(&p->work);
    pthread_mutex_unlock(&p->lock);
}

void sn_pool_free(sn_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->lock);
    for (unsigned i = 0; i < p->n_threads; i++)
        pthread_join(p->threads[i], NULL);
    /* Without threads (none could start), what was queued is cancelled here. */
    for (sn_job *job = p->head, *next; job; job = next) {
        next = job->next;
        job->cancel(job);
    }
    pthread_cond_destroy(&p->work);
    pthread_mutex_destroy(&p->lock);
    free(p);
}
