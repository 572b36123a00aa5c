/* Options of the generator: defaults, validation, planning a total, and the calendar they use. */
#include "gen.h"

#include "catalog.h"

#include <math.h>
#include <string.h>

/* ---- calendar (proleptic Gregorian; H. Hinnant, "chrono-Compatible Low-Level Date
 * Algorithms") ---- */

int64_t sn_gen__days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void sn_gen__civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

int sn_gen__is_weekend(int64_t day)
{
    int64_t wd = ((day % 7) + 7 + 3) % 7; /* 1970-01-01 was a Thursday; Monday = 0 */
    return wd >= 5;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : len[m - 1];
}

sn_status sn_gen_parse_date(const char *s, int64_t *day, sn_error *err)
{
    unsigned v[3] = {0, 0, 0};
    static const int width[3] = {4, 2, 2};
    const char *p = s;
    for (int f = 0; f < 3; f++) {
        for (int i = 0; i < width[f]; i++, p++) {
            if (*p < '0' || *p > '9')
                goto bad;
            v[f] = v[f] * 10 + (unsigned)(*p - '0');
        }
        if (f < 2 && *p++ != '-')
            goto bad;
    }
    if (*p || v[0] < 1900 || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > days_in_month(v[0], v[1]))
        goto bad;
    *day = sn_gen__days_from_civil(v[0], v[1], v[2]);
    return SN_OK;
bad:
    return sn_error_set(err, SN_ERR_PARSE, true, NULL, 0, "start",
                        "'%s' is not a date YYYY-MM-DD (years 1900-9999)", s);
}

/* ---- options ---- */

void sn_gen_options_init(sn_gen_options *o)
{
    memset(o, 0, sizeof(*o));
    o->users = 200;
    o->events_per_user = 50;
    o->anomaly_user_rate = 0.30;
    o->anomalies_per_user = 3;
    o->seed = 42;
    o->start_day = sn_gen__days_from_civil(2026, 9, 4);
    o->days = 91;
}

sn_status sn_gen_check_options(const sn_gen_options *o, sn_error *err)
{
    if (o->users < 1 || o->users > SN_GEN_MAX_USERS)
        return sn_error_set(err, SN_ERR_RANGE, true, NULL, 0, "users", "must be 1..%u",
                            SN_GEN_MAX_USERS);
    if (!(o->events_per_user >= 0 && o->events_per_user <= SN_GEN_MAX_EVENTS_PER_USER))
        return sn_error_set(err, SN_ERR_RANGE, true, NULL, 0, "events-per-user", "must be 0..%.0f",
                            SN_GEN_MAX_EVENTS_PER_USER);
    if (ceil(o->events_per_user) * o->users > SN_GEN_MAX_SCHEDULED)
        return sn_error_set(err, SN_ERR_RANGE, true, NULL, 0, "events-per-user",
                            "users x events per user must stay below %.0f", SN_GEN_MAX_SCHEDULED);
    if (!(o->anomaly_user_rate >= 0 && o->anomaly_user_rate <= 1))
        return sn_error_set(err, SN_ERR_RANGE, true, NULL, 0, "anomaly-user-rate", "must be 0..1");
    if (o->anomalies_per_user > 100)
        return sn_error_set(err, SN_ERR_RANGE, true, NULL, 0, "anomalies-per-user",
                            "must be 0..100");
    if (o->days < 1 || o->days > SN_GEN_MAX_DAYS)
        return sn_error_set(err, SN_ERR_RANGE, true, NULL, 0, "days", "must be 1..%u",
                            SN_GEN_MAX_DAYS);
    int64_t y1, y2;
    unsigned m, d;
    sn_gen__civil_from_days(o->start_day, &y1, &m, &d);
    sn_gen__civil_from_days(o->start_day + o->days - 1, &y2, &m, &d);
    if (y1 < 1900 || y2 > 9999)
        return sn_error_set(err, SN_ERR_RANGE, true, NULL, 0, "start",
                            "the period must lie within the years 1900-9999");
    return SN_OK;
}

/* Share of scheduled normal events that survive the weekend thinning over the period. */
static double kept_share(const sn_gen_options *o)
{
    uint64_t weekend = 0;
    for (uint32_t i = 0; i < o->days; i++)
        weekend += (uint64_t)sn_gen__is_weekend(o->start_day + i);
    return ((double)(o->days - weekend) + (double)weekend / SN_GEN__WEEKEND_KEEP_IN) / o->days;
}

double sn_gen_expected_events(const sn_gen_options *o)
{
    return (double)o->users *
           (o->events_per_user * kept_share(o) + o->anomaly_user_rate * o->anomalies_per_user);
}

sn_status sn_gen_plan_total(sn_gen_options *o, uint64_t total, sn_error *err)
{
    if (o->users < 1 || o->days < 1 || o->days > SN_GEN_MAX_DAYS)
        return sn_gen_check_options(o, err);
    double per_user = (double)total / o->users - o->anomaly_user_rate * o->anomalies_per_user;
    double epu = per_user > 0 ? per_user / kept_share(o) : 0;
    if (epu > SN_GEN_MAX_EVENTS_PER_USER || ceil(epu) * o->users > SN_GEN_MAX_SCHEDULED)
        return sn_error_set(err, SN_ERR_RANGE, true, NULL, 0, "total",
                            "%llu events need more than the limit of %.0f scheduled events per "
                            "user or %.0f in all; add users",
                            (unsigned long long)total, SN_GEN_MAX_EVENTS_PER_USER,
                            SN_GEN_MAX_SCHEDULED);
    o->events_per_user = epu;
    return SN_OK;
}
