/* The reader -> judge -> writer relay: every batch judged and written once, in input order, and
 * a stage's failure reported. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cli/relay.h"

#include <stdio.h>
#include <string.h>

typedef struct order {
    long judged, written; /* events seen by each stage, in order */
    long bad_order;       /* events a stage saw out of order */
    long fail_judge_at;   /* judge fails on the batch holding this event (-1: never) */
    long fail_write_at;   /* write fails on the batch holding this event (-1: never) */
} order;

static long event_number(const sn_event_batch *b, size_t i)
{
    long n = -1;
    sscanf(b->id[i], "e%ld", &n);
    return n;
}

static bool holds(const sn_event_batch *b, long n)
{
    return n >= event_number(b, 0) && n <= event_number(b, b->n - 1);
}

static int judge(void *ctx, sn_event_batch *b)
{
    order *o = ctx;
    for (size_t i = 0; i < b->n; i++) {
        o->bad_order += event_number(b, i) != o->judged;
        o->judged++;
        b->verdict[i].risk_score = (double)event_number(b, i);
    }
    return holds(b, o->fail_judge_at) ? 7 : 0;
}

static int write_fn(void *ctx, sn_event_batch *b)
{
    order *o = ctx;
    for (size_t i = 0; i < b->n; i++) {
        o->bad_order += event_number(b, i) != o->written;
        o->bad_order += b->verdict[i].risk_score != (double)event_number(b, i);
        o->written++;
    }
    return holds(b, o->fail_write_at) ? 9 : 0;
}

static int run(order *o, long events)
{
    sn_relay *r = sn_relay_start(judge, write_fn, o);
    assert_non_null(r);
    sn_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.user_id = (sn_str){"u", 1};
    for (long k = 0; k < events; k++) {
        char id[32];
        snprintf(id, sizeof(id), "e%ld", k);
        if (sn_event_batch_add(sn_relay_batch(r), &ev, id))
            sn_relay_next(r);
    }
    return sn_relay_finish(r);
}

static void every_event_judged_then_written_in_order(void **state)
{
    (void)state;
    /* none, less than a batch, exactly a group of batches, several groups and a remainder */
    const long sizes[] = {0, 1, SN_ANALYSE_BLOCK - 1, SN_ANALYSE_BLOCK, 1024, 1025, 10000};
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        order o = {.fail_judge_at = -1, .fail_write_at = -1};
        assert_int_equal(run(&o, sizes[k]), 0);
        assert_int_equal(o.judged, sizes[k]);
        assert_int_equal(o.written, sizes[k]);
        assert_int_equal(o.bad_order, 0);
    }
}

static void a_failed_judgement_stops_the_output_and_is_reported(void **state)
{
    (void)state;
    order o = {.fail_judge_at = 3000, .fail_write_at = -1};
    assert_int_equal(run(&o, 10000), 7);
    /* the judge stops at the end of the failing batch (batches of 256 events); nothing from
     * that group (1,024 events) on is written */
    assert_int_equal(SN_ANALYSE_BLOCK, 256);
    assert_int_equal(o.judged, 3072);
    assert_int_equal(o.written, 2048);
    assert_int_equal(o.bad_order, 0);
}

static void a_failed_write_is_reported(void **state)
{
    (void)state;
    order o = {.fail_judge_at = -1, .fail_write_at = 100};
    assert_int_equal(run(&o, 5000), 9);
    assert_int_equal(o.judged, 5000);
    /* the batch holding the failure is the last one written */
    assert_int_equal(o.written, 256);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_event_judged_then_written_in_order),
        cmocka_unit_test(a_failed_judgement_stops_the_output_and_is_reported),
        cmocka_unit_test(a_failed_write_is_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
