/* Seeded, deterministic generator of labelled synthetic access logs in the reference CSV format,
 * with the distributions of the reference system's own generator (see generate.c for the facts
 * measured on its published samples). Output is streamed in time order in constant memory apart
 * from a small record per user. */
#ifndef SN_GEN_H
#define SN_GEN_H

#include "../core/error.h"

#include <stdint.h>
#include <stdio.h>

/* The six labelled anomaly types, in the order of sn_gen_anomaly_name. */
enum {
    SN_GEN_UNUSUAL_TIME,
    SN_GEN_UNUSUAL_LOCATION,
    SN_GEN_PRIVILEGE_ESCALATION,
    SN_GEN_IMPOSSIBLE_TRAVEL,
    SN_GEN_UNUSUAL_RESOURCE,
    SN_GEN_EXCESSIVE_ACCESS,
    SN_GEN_ANOMALY_TYPES
};

/* Limits that keep every counter in range; sn_gen_check_options enforces them. */
#define SN_GEN_MAX_USERS 1000000u
#define SN_GEN_MAX_EVENTS_PER_USER 1000000.0
#define SN_GEN_MAX_DAYS 36600u
#define SN_GEN_MAX_SCHEDULED 4000000000.0 /* users x events per user */

typedef struct sn_gen_options {
    uint32_t users;              /* number of users (default 200) */
    double events_per_user;      /* mean scheduled events per user (default 50); weekend ones are
                                    mostly dropped, as in the reference, so about 0.74 of them appear */
    double anomaly_user_rate;    /* probability that a user is compromised (default 0.30) */
    uint32_t anomalies_per_user; /* labelled events per compromised user (default 3) */
    uint64_t seed;               /* default 42 */
    int64_t start_day;           /* first day, in days since 1970-01-01 (default 2026-09-04) */
    uint32_t days;               /* length of the period in days (default 91) */
} sn_gen_options;

typedef struct sn_gen_stats {
    uint64_t events;    /* rows written, header excluded */
    uint64_t anomalies; /* rows labelled anomalous */
    uint64_t by_type[SN_GEN_ANOMALY_TYPES];
    uint32_t anomalous_users;
} sn_gen_stats;

/* Fills o with the defaults above. */
void sn_gen_options_init(sn_gen_options *o);

/* SN_OK, or SN_ERR_RANGE with the offending option named in err. */
sn_status sn_gen_check_options(const sn_gen_options *o, sn_error *err);

/* Parses "YYYY-MM-DD" (years 1900-9999) into days since 1970-01-01. */
sn_status sn_gen_parse_date(const char *s, int64_t *day, sn_error *err);

/* Expected number of rows (header excluded) for these options. */
double sn_gen_expected_events(const sn_gen_options *o);

/* Sets o->events_per_user so that about `total` rows are written with the other options as they
 * are. SN_ERR_RANGE when that would exceed the limits. */
sn_status sn_gen_plan_total(sn_gen_options *o, uint64_t total, sn_error *err);

/* "unusual_time", ...; NULL for an unknown type. */
const char *sn_gen_anomaly_name(int type);

/* Writes the header and every row to out (borrowed; not closed, but flushed). out_name names it
 * in error messages. Same options give byte-identical output. stats may be NULL. Returns SN_OK,
 * SN_ERR_RANGE for bad options, SN_ERR_NOMEM, or SN_ERR_IO when a write fails (err says why). */
sn_status sn_gen_write(const sn_gen_options *o, FILE *out, const char *out_name,
                       sn_gen_stats *stats, sn_error *err);

#endif
