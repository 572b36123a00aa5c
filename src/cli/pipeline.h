/* Shared plumbing of the commands that read events: streaming an input with bad-record
 * reporting and progress, and building an engine from a model file or from the input itself. */
#ifndef SN_CLI_PIPELINE_H
#define SN_CLI_PIPELINE_H

#include "ingest/ingest.h"
#include "risk/risk.h"
#include "store/store.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

typedef struct sn_input_counts {
    long records;      /* good events */
    long skipped;      /* bad records reported and skipped */
    long out_of_order; /* events earlier than the previous one in the input */
    long ignored;      /* well-formed records that are not access events (counted, skipped) */
} sn_input_counts;

/* Called for every good event; event_id is the record's id or one made from its position.
 * Return non-zero to stop with that status. */
typedef int (*sn_event_fn)(void *ctx, const sn_event *ev, const char *event_id);

typedef struct sn_input_opts {
    const char *path;
    sn_format format;
    long max_errors_shown;    /* bad records printed before only counting: 0 means 1000, <0 none */
    bool progress;            /* progress bar on stderr when it is a terminal */
    const char *phase;        /* label for the progress bar */
    sn_reader_options reader; /* --year, --timezone */
} sn_input_opts;

/* Input options shared by the commands that read events (--year, --timezone); returns 1 if
 * applied, 0 if not one of them, -1 on a bad value (message printed). */
int sn_cli_input_option(sn_input_opts *in, const char *name, const char *value);

/* Streams path through fn. Returns 0, or SN_EXIT_FAIL after printing a fatal error. */
int sn_cli_each_event(const sn_input_opts *opts, sn_event_fn fn, void *ctx,
                      sn_input_counts *counts);

/* A block of events kept past the reader's next call (deep copies), with room for their
 * verdicts, so that the engine can judge them together (sn_engine_analyse_many). */
#define SN_EVENT_ID_MAX 256
typedef struct sn_event_batch {
    size_t n;
    sn_event ev[SN_ANALYSE_BLOCK];
    char id[SN_ANALYSE_BLOCK][SN_EVENT_ID_MAX];
    sn_verdict verdict[SN_ANALYSE_BLOCK];
    char *arena;     /* SN_ANALYSE_BLOCK * SN_MAX_RECORD bytes */
    char file[4096]; /* the events' input name, kept past the reader's close */
    size_t used;
} sn_event_batch;

/* Caller frees with sn_event_batch_free. NULL when out of memory. */
sn_event_batch *sn_event_batch_new(void);
void sn_event_batch_free(sn_event_batch *b);
/* Adds a copy of ev; returns true when the batch is now full. */
bool sn_event_batch_add(sn_event_batch *b, const sn_event *ev, const char *event_id);
/* Judges the batch's events; their verdicts are in b->verdict. Returns 0 or SN_EXIT_FAIL after
 * printing the error. The caller empties the batch (b->n = 0, b->used = 0) when done. */
int sn_event_batch_analyse(sn_event_batch *b, sn_engine *e);

/* The engine a command judges with: loaded from model when given, else learned from the input
 * (both passes read the same input: its history is then reset for scoring). NULL after printing
 * an error naming the command. */
sn_engine *sn_cli_engine_for(const sn_input_opts *in, const char *model,
                             const sn_engine_config *cfg, const char *command);
/* The same, with the model file's key (NULL: a plain model file). */
sn_engine *sn_cli_engine_for_keyed(const sn_input_opts *in, const char *model,
                                   const unsigned char *model_key, const sn_engine_config *cfg,
                                   const char *command);

/* Opens the store at db with the key from key_file, else SENTINEL_STORE_KEY. NULL after
 * printing an error naming the command. */
sn_store *sn_cli_store_open(const char *db, const char *key_file, const char *command);
/* The same for commands that only act on a store (export, forget, retention, backup, key
 * rotation): a path that does not exist is an error, not a new empty store. */
sn_store *sn_cli_store_open_existing(const char *db, const char *key_file, const char *command);
/* sn_cli_store_open, then the store claimed for writing (sn_store_claim): NULL, with the error
 * printed, when another process holds it. */
sn_store *sn_cli_store_open_writer(const char *db, const char *key_file, const char *command);
/* Claims s for writing; on failure prints why, closes s and returns false. */
bool sn_cli_store_claim(sn_store *s, const char *command);

/* Lower-case hex SHA-256 of a file's bytes (the model registry's name for a model file); -1
 * and an empty hex when it cannot be read. */
int sn_cli_file_sha256(const char *path, char hex[65]);

/* The key that encrypts model files: the store key, when key_file is given or
 * SENTINEL_STORE_KEY is set (*have then true). -1 after printing an error. */
int sn_cli_model_key(const char *key_file, unsigned char key[32], bool *have, const char *command);

/* The default case of the commands' option loops: applies a shared option (returns 0), or prints
 * the usage and returns SN_EXIT_USAGE. *engine_option tells whether it was a detection option. */
int sn_cli_shared_or_usage(int c, const struct option *longopts, int idx, char **argv,
                           const char *usage, sn_input_opts *in, sn_engine_config *cfg,
                           bool *engine_option);

/* Trains an engine on the input (learn pass + fit). Returns NULL after printing an error. */
sn_engine *sn_cli_train(const sn_input_opts *opts, const sn_engine_config *cfg,
                        sn_input_counts *counts);

/* Options shared by train/detect/eval for the engine configuration; returns 1 if the option was
 * one of them (and applied), 0 if not, -1 on a bad value (message printed). */
int sn_cli_engine_option(sn_engine_config *cfg, const char *name, const char *value);
/* Options shared by every command that reads events, for its getopt_long table: the input
 * options, then the detection options. sn_cli_shared_option handles what they return. */
#define SN_OPT_ENGINE 1
#define SN_OPT_INPUT 2
#define SN_CLI_INPUT_LONGOPTS                                                                      \
    {"format", required_argument, 0, 'f'}, {"max-errors", required_argument, 0, 'E'},              \
        {"year", required_argument, 0, SN_OPT_INPUT},                                              \
    {                                                                                              \
        "timezone", required_argument, 0, SN_OPT_INPUT                                             \
    }
#define SN_CLI_ENGINE_LONGOPTS                                                                     \
    {"threshold", required_argument, 0, SN_OPT_ENGINE},                                            \
        {"prior-bits", required_argument, 0, SN_OPT_ENGINE},                                       \
        {"contamination", required_argument, 0, SN_OPT_ENGINE},                                    \
        {"trees", required_argument, 0, SN_OPT_ENGINE},                                            \
        {"psi", required_argument, 0, SN_OPT_ENGINE},                                              \
        {"seed", required_argument, 0, SN_OPT_ENGINE},                                             \
        {"train-filter", required_argument, 0, SN_OPT_ENGINE},                                     \
        {"suspicious-countries", required_argument, 0, SN_OPT_ENGINE},                             \
        {"aws-accounts", required_argument, 0, SN_OPT_ENGINE},                                     \
        {"travel-km", required_argument, 0, SN_OPT_ENGINE},                                        \
        {"travel-kmh", required_argument, 0, SN_OPT_ENGINE},                                       \
        {"failures", required_argument, 0, SN_OPT_ENGINE},                                         \
        {"spray-accounts", required_argument, 0, SN_OPT_ENGINE},                                   \
        {"new-resources", required_argument, 0, SN_OPT_ENGINE},                                    \
        {"guess-failures", required_argument, 0, SN_OPT_ENGINE},                                   \
        {"burst-seconds", required_argument, 0, SN_OPT_ENGINE},                                    \
    {                                                                                              \
        "forest-every-event", no_argument, 0, SN_OPT_ENGINE                                        \
    }

/* Applies one of the shared options (c as getopt_long returned it, name its long name, arg its
 * value). Returns 1 if applied, 0 if c is not a shared option, -1 on a bad value (message
 * printed, naming the command). */
int sn_cli_shared_option(int c, const char *name, const char *arg, const char *command,
                         sn_input_opts *in, sn_engine_config *cfg);

/* Whole number in [lo, hi] from an option value; -1 (message printed naming --name) if the
 * value is not one. */
int sn_cli_parse_long(const char *name, const char *value, long lo, long hi, long *out);

/* Refuses (message printed, returns -1) an output path that names the same file as the input,
 * so that writing it cannot destroy the input. */
int sn_cli_check_distinct(const char *input, const char *output, const char *what);

/* Refuses (message printed, returns -1) an input that cannot be read twice (pipes, terminals):
 * learning from the input itself needs a second pass. */
int sn_cli_check_rereadable(const char *input, const char *command);

/* The --help text of those options. */
extern const char sn_cli_engine_help[];

#endif
