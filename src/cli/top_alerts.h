/* The N alerts with the most evidence, kept while streaming and printed for a person to read. */
#ifndef SN_CLI_TOP_ALERTS_H
#define SN_CLI_TOP_ALERTS_H

#include "risk/risk.h"

#include <stdio.h>

typedef struct sn_top_alerts sn_top_alerts;

/* Keeps up to n alerts; NULL when out of memory. Caller frees with sn_top_alerts_free. */
sn_top_alerts *sn_top_alerts_new(int n);
void sn_top_alerts_free(sn_top_alerts *t);
/* Offers one verdict (only alerts are kept). */
void sn_top_alerts_offer(sn_top_alerts *t, const sn_event *ev, const sn_verdict *v,
                         const char *event_id);
/* Prints them strongest first (ties in risk broken by the evidence in bits). Log text is
 * printed with control bytes escaped, so a log cannot send escape sequences to the terminal. */
void sn_top_alerts_print(sn_top_alerts *t, FILE *out);

#endif
