/* Three threads over one input: the caller reads and parses events into batches, a second
 * thread judges them, a third formats and writes the verdicts. Batches travel in groups, in
 * order, through bounded queues, so that parsing, judging and writing overlap on separate cores
 * while verdicts still come out in input order and each event is judged after the ones before
 * it. */
#ifndef SN_CLI_RELAY_H
#define SN_CLI_RELAY_H

#include "pipeline.h"

/* A stage's work on one batch: 0, or non-zero to report (the first non-zero result is what
 * sn_relay_finish returns; later batches still flow through, unprocessed by that stage). */
typedef int (*sn_relay_fn)(void *ctx, sn_event_batch *b);

typedef struct sn_relay sn_relay;

/* Starts the judging and writing threads. judge and write each run on their own thread, one
 * batch at a time, in input order; write gets every batch after judge. NULL (message printed)
 * when out of memory or threads cannot start. */
sn_relay *sn_relay_start(sn_relay_fn judge, sn_relay_fn write, void *ctx);

/* The batch the reader fills now (never NULL after a successful start). */
sn_event_batch *sn_relay_batch(sn_relay *r);

/* Passes the current (full) batch on and returns the next empty one; may wait for the other
 * threads to give batches back. */
sn_event_batch *sn_relay_next(sn_relay *r);

/* An sn_event_fn for the reading thread (ctx is the relay): a copy of the event into the current
 * batch, which is passed on when full. Always 0. */
int sn_relay_offer(void *ctx, const sn_event *ev, const char *event_id);

/* Passes the current batch on (when it holds events), waits for both threads to finish, frees
 * the relay and returns the first non-zero stage result, or 0. */
int sn_relay_finish(sn_relay *r);

#endif
