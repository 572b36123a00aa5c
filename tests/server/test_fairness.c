/* One heavy request never starves the others: while a batch of 10,000 events is judged, a single
 * event is judged between two of its blocks (the engine lock is taken one block at a time, and
 * handed out in order), and /health and /metrics answer without the lock at all. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fixture.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#define EVENT                                                                                      \
    "{\"user_id\":\"U0002\",\"department\":\"Sales\",\"resource\":\"crm_system\","                 \
    "\"action\":\"read\",\"timestamp\":\"2026-12-05 10:00:00\",\"source_ip\":\"192.168.253.10\","  \
    "\"location\":\"Mumbai, IN\",\"success\":true}"

#define BATCH 10000

static sn_service *svc;
static char *batch;
static size_t batch_len;
static atomic_bool batch_done;
static int batch_status;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void *run_batch(void *arg)
{
    (void)arg;
    sn_http_request req = {.method = "POST",
                           .path = "/api/v1/analyze/batch",
                           .content_type = "application/json",
                           .body = batch,
                           .body_len = batch_len};
    sn_http_response resp;
    sn_service_handle(svc, &req, &resp);
    batch_status = resp.status;
    free(resp.body);
    atomic_store(&batch_done, true);
    return NULL;
}

/* Events analysed so far, read from /metrics (which takes no lock). */
static double analysed(sn_http_response *resp)
{
    sn_http_request req = {.method = "GET", .path = "/metrics"};
    sn_service_handle(svc, &req, resp);
    static const char name[] = "\nsentinel_events_analysed_total ";
    const char *p = strstr(resp->body, name);
    double v = p ? strtod(p + sizeof(name) - 1, NULL) : -1;
    free(resp->body);
    return v;
}

static void test_single_event_during_batch(void **state)
{
    (void)state;
    svc = fx_service(true, BATCH);
    assert_non_null(svc);
    batch = fx_batch(BATCH, &batch_len);
    assert_non_null(batch);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, run_batch, NULL), 0);
    /* Wait until the batch is being judged (its events are being counted). */
    sn_http_response resp;
    while (!atomic_load(&batch_done) && analysed(&resp) < 64) {
    }
    double before = analysed(&resp);
    double t0 = now_ms();
    sn_http_request req = {.method = "POST",
                           .path = "/api/v1/analyze/access",
                           .content_type = "application/json",
                           .body = EVENT,
                           .body_len = strlen(EVENT)};
    sn_service_handle(svc, &req, &resp);
    double took = now_ms() - t0;
    int status = resp.status;
    free(resp.body);
    double after = analysed(&resp);
    bool overlapped = !atomic_load(&batch_done);
    double t1 = now_ms();
    sn_http_request health = {.method = "GET", .path = "/health"};
    sn_service_handle(svc, &health, &resp);
    double health_ms = now_ms() - t1;
    free(resp.body);
    pthread_join(t, NULL);
    double total = analysed(&resp);
    printf("single event during a %d-event batch: %.3f ms (batch at %.0f..%.0f of %d events "
           "analysed); /health %.3f ms; %.0f events analysed in all\n",
           BATCH, took, before, after, BATCH, health_ms, total);
    assert_int_equal(status, 200);
    assert_int_equal(batch_status, 200);
    assert_true(total == BATCH + 1);
    if (overlapped) {
        /* Judged between two blocks of the batch, not after all of it. */
        assert_true(after < BATCH);
    }
    /* Generous for a loaded machine and sanitizer builds; one block takes about a millisecond. */
    assert_true(took < 500);
    assert_true(health_ms < 100);
    free(batch);
    sn_service_free(svc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_event_during_batch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
