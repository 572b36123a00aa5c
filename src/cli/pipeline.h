/* Shared plumbing of the commands that read events: streaming an input with bad-record
 * reporting and progress, and building an engine from a model file or from the input itself. */
#ifndef SN_CLI_PIPELINE_H
#define SN_CLI_PIPELINE_H

#include "ingest/ingest.h"
#include "risk/risk.h"

#include <stdbool.h>
#include <stdio.h>

typedef struct sn_input_counts {
    long records;      /* good events */
    long skipped;      /* bad records reported and skipped */
    long out_of_order; /* events earlier than the previous one in the input */
} sn_input_counts;

/* Called for every good event; event_id is the record's id or one made from its position.
 * Return non-zero to stop with that status. */
typedef int (*sn_event_fn)(void *ctx, const sn_event *ev, const char *event_id);

typedef struct sn_input_opts {
    const char *path;
    sn_format format;
    long max_errors_shown; /* bad records printed before only counting: 0 means 1000, <0 none */
    bool progress;         /* progress bar on stderr when it is a terminal */
    const char *phase;     /* label for the progress bar */
} sn_input_opts;

/* Streams path through fn. Returns 0, or SN_EXIT_FAIL after printing a fatal error. */
int sn_cli_each_event(const sn_input_opts *opts, sn_event_fn fn, void *ctx,
                      sn_input_counts *counts);

/* Trains an engine on the input (learn pass + fit). Returns NULL after printing an error. */
sn_engine *sn_cli_train(const sn_input_opts *opts, const sn_engine_config *cfg,
                        sn_input_counts *counts);

/* Options shared by train/detect/eval for the engine configuration; returns 1 if the option was
 * one of them (and applied), 0 if not, -1 on a bad value (message printed). */
int sn_cli_engine_option(sn_engine_config *cfg, const char *name, const char *value);
/* The --help text of those options. */
extern const char sn_cli_engine_help[];

#endif
