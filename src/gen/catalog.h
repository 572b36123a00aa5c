/* Private to the gen layer: the organisation the generator simulates (departments, job titles,
 * resources, places, names, taken from the reference system's published samples), the per-user
 * record built from it, and the calendar. */
#ifndef SN_GEN_CATALOG_H
#define SN_GEN_CATALOG_H

#include "../core/rng.h"

#include <stddef.h>
#include <stdint.h>

#define GEN_DEPARTMENTS 10
#define GEN_RESOURCES 20
#define GEN_COMMON 6     /* company-wide resources every user may use */
#define GEN_HOMES 10     /* office locations; each user has one */
#define GEN_SUSPICIOUS 5 /* places only compromised accounts sign in from */
#define GEN_PLACES (GEN_HOMES + GEN_SUSPICIOUS)
#define GEN_MAX_TYPICAL 6 /* department resources (at most 4) plus 2 common ones */

typedef struct gen_text {
    const char *s;
    uint8_t n;
} gen_text;

typedef struct gen_department {
    gen_text name;
    gen_text titles[4];
    uint8_t ntitles;
    uint8_t resources[4]; /* indices into sn_gen__resources */
    uint8_t nresources;
} gen_department;

extern const gen_department sn_gen__departments[GEN_DEPARTMENTS];
extern const gen_text sn_gen__resources[GEN_RESOURCES];
extern const uint8_t sn_gen__common[GEN_COMMON];
/* Places as written in a CSV field (quoted, since "City, CC" holds a comma); homes first. */
extern const gen_text sn_gen__places_csv[GEN_PLACES];
/* The same places unquoted. */
extern const char *const sn_gen__places[GEN_PLACES];

typedef struct gen_user {
    uint32_t left;  /* scheduled normal events not yet given a day */
    uint32_t today; /* normal events on the current day */
    uint8_t dept, title, home;
    uint8_t anomalies_left; /* labelled events not yet given a day */
    uint8_t ntypical;
    uint8_t typical[GEN_MAX_TYPICAL]; /* resource indices; a repeat weighs double, as in the
                                         reference */
    uint8_t id_len, name_len;
    char id[12];
    char name[24];
} gen_user;

/* Builds user number index (0-based) from r: department, title, home, usual resources, name,
 * how many events it schedules (events_per_user on average) and whether it is compromised. */
void sn_gen__make_user(sn_rng *r, uint32_t index, double events_per_user, double anomaly_rate,
                       uint32_t anomalies_per_user, gen_user *u);

/* A scheduled weekend event survives with probability 1 / this (measured: weekend days carry
 * about a tenth of a weekday's events). */
#define SN_GEN__WEEKEND_KEEP_IN 10u

/* Proleptic Gregorian calendar, days counted from 1970-01-01 (options.c). */
int64_t sn_gen__days_from_civil(int64_t y, unsigned m, unsigned d);
void sn_gen__civil_from_days(int64_t day, int64_t *y, unsigned *m, unsigned *d);
/* Saturday or Sunday. */
int sn_gen__is_weekend(int64_t day);

#endif
