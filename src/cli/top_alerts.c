/* The strongest alerts of a run, for the terminal. */
#include "top_alerts.h"

#include "core/buf.h"
#include "ingest/ingest.h"

#include <stdlib.h>
#include <string.h>

typedef struct top_alert {
    double risk, bits; /* ties in risk (many alerts round to 100) are broken by the evidence */
    char *line;        /* formatted alert, owned */
} top_alert;

struct sn_top_alerts {
    int cap, len;
    top_alert item[];
};

sn_top_alerts *sn_top_alerts_new(int n)
{
    if (n < 0)
        n = 0;
    sn_top_alerts *t = calloc(1, sizeof(*t) + (size_t)n * sizeof(top_alert));
    if (t)
        t->cap = n;
    return t;
}

void sn_top_alerts_free(sn_top_alerts *t)
{
    if (!t)
        return;
    for (int i = 0; i < t->len; i++)
        free(t->item[i].line);
    free(t);
}

/* Log text shown on a terminal: control bytes (escape sequences) as \xNN. */
static void append_safe(sn_buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f)
            sn_buf_printf(b, "\\x%02x", c);
        else
            sn_buf_putc(b, (char)c);
    }
}

void sn_top_alerts_offer(sn_top_alerts *t, const sn_event *ev, const sn_verdict *v, const char *id)
{
    if (!t || t->cap <= 0 || !v->is_anomaly)
        return;
    int slot = t->len;
    if (t->len == t->cap) {
        int weakest = 0;
        for (int i = 1; i < t->len; i++)
            if (t->item[i].bits < t->item[weakest].bits)
                weakest = i;
        if (t->item[weakest].bits >= v->anomaly_score)
            return;
        free(t->item[weakest].line);
        t->item[weakest].line = NULL;
        slot = weakest;
    } else {
        t->len++;
    }
    sn_buf b;
    sn_buf_init(&b);
    char ts[32], ip[48];
    sn_format_timestamp(ev->ts_us, ts);
    sn_buf_printf(&b, "%6.1f %-8s %-6s %s ", v->risk_score, sn_level_name(v->level),
                  v->recommendation, ts);
    append_safe(&b, ev->user_id.p, ev->user_id.n);
    if (ev->ip.family) {
        sn_format_ip(&ev->ip, ip);
        sn_buf_printf(&b, " from %s", ip);
    }
    sn_buf_putc(&b, ' ');
    append_safe(&b, ev->action.p, ev->action.n);
    sn_buf_putc(&b, ' ');
    append_safe(&b, ev->resource.p, ev->resource.n);
    sn_buf_puts(&b, " (");
    append_safe(&b, id, strlen(id));
    sn_buf_putc(&b, ')');
    if (ev->anomaly_type.n) {
        sn_buf_puts(&b, " [label: ");
        append_safe(&b, ev->anomaly_type.p, ev->anomaly_type.n);
        sn_buf_putc(&b, ']');
    } else if (ev->is_anomaly == 0) {
        sn_buf_puts(&b, " [label: normal]");
    }
    for (int i = 0; i < v->n_reasons; i++) {
        sn_buf_puts(&b, "\n         - ");
        append_safe(&b, v->reasons[i].text, strlen(v->reasons[i].text));
    }
    t->item[slot].bits = v->anomaly_score;
    t->item[slot].risk = v->risk_score;
    t->item[slot].line = b.data; /* NULL if allocation failed: skipped when printing */
}

static int cmp_top(const void *a, const void *b)
{
    double x = ((const top_alert *)a)->bits, y = ((const top_alert *)b)->bits;
    return (x < y) - (x > y);
}

void sn_top_alerts_print(sn_top_alerts *t, FILE *out)
{
    if (!t || !t->len)
        return;
    qsort(t->item, (size_t)t->len, sizeof(top_alert), cmp_top);
    fprintf(out, "Top %d alerts (risk, level, recommendation, time, user, action, resource):\n",
            t->len);
    for (int i = 0; i < t->len; i++)
        if (t->item[i].line)
            fprintf(out, "%s\n", t->item[i].line);
    fprintf(out, "\n");
}
