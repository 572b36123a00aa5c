/* The engine and the store together: a restored engine (snapshot + the events stored after it
 * replayed) judges exactly as the engine that never stopped, and after an erasure the rebuilt
 * baselines judge exactly as baselines learned without that user ever existing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ingest/ingest.h"
#include "profile/profile.h"
#include "risk/risk.h"
#include "store/store.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N_EVENTS 600

static char dir[64], db[128], csv[4096];

/* Three Finance users; mallory alone ever uses the vault. */
static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/sn_store_engine_XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(db, sizeof(db), "%s/s.db", dir);
    sn_buf b;
    sn_buf_init(&b);
    sn_buf_puts(&b, "event_id,user_id,username,department,job_title,resource,action,timestamp,"
                    "source_ip,location,success\n");
    static const char *users[] = {"alice", "bob", "mallory"};
    for (int i = 0; i < N_EVENTS; i++) {
        const char *u = users[i % 3];
        const char *res = i % 3 == 2 && i % 2 ? "vault" : (i % 5 ? "ledger" : "payroll");
        sn_buf_printf(&b,
                      "E%04d,%s,%s,Finance,Analyst,%s,read,2026-03-%02d %02d:%02d:00,"
                      "10.1.%d.%d,\"London, UK\",true\n",
                      i, u, u, res, 1 + i / 24, 8 + i % 9, (i * 7) % 60, i % 3, 10 + i % 3);
    }
    const char *p = tu_temp_file(b.data, b.len);
    sn_buf_free(&b);
    if (!p)
        return -1;
    snprintf(csv, sizeof(csv), "%s", p);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    unlink(csv);
    return system(cmd) == 0 ? 0 : -1;
}

typedef struct loaded {
    sn_event ev[N_EVENTS];
    char *buf[N_EVENTS];
    char id[N_EVENTS][16];
    size_t n;
} loaded;

static loaded *load_events(void)
{
    loaded *l = calloc(1, sizeof(*l));
    assert_non_null(l);
    sn_reader *r;
    sn_error err;
    assert_int_equal(sn_reader_open(&r, csv, SN_FORMAT_CSV, &err), SN_OK);
    sn_event e;
    while (l->n < N_EVENTS && sn_reader_next(r, &e, &err) == SN_OK) {
        l->buf[l->n] = malloc(SN_MAX_RECORD);
        assert_non_null(l->buf[l->n]);
        assert_true(sn_event_copy(&l->ev[l->n], &e, l->buf[l->n], SN_MAX_RECORD) != (size_t)-1);
        l->ev[l->n].src_file = NULL;
        snprintf(l->id[l->n], sizeof(l->id[l->n]), "%.*s", (int)e.event_id.n, e.event_id.p);
        l->n++;
    }
    sn_reader_close(r);
    assert_int_equal(l->n, N_EVENTS);
    return l;
}

static void free_events(loaded *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->buf[i]);
    free(l);
}

/* The fitted model's bytes: every engine below starts from a copy. */
static sn_buf fitted_model(const loaded *l)
{
    sn_engine *e = sn_engine_new(NULL);
    assert_non_null(e);
    sn_error err;
    for (size_t i = 0; i < l->n; i++)
        assert_int_equal(sn_engine_learn(e, &l->ev[i], &err), SN_OK);
    assert_int_equal(sn_engine_fit(e, &err), SN_OK);
    sn_engine_reset_history(e);
    sn_buf b;
    sn_buf_init(&b);
    assert_int_equal(sn_engine_serialize(e, &b, &err), SN_OK);
    sn_engine_free(e);
    return b;
}

static sn_engine *copy_of(const sn_buf *model)
{
    sn_engine *e = NULL;
    sn_error err;
    assert_int_equal(
        sn_engine_deserialize(&e, (const uint8_t *)model->data, model->len, NULL, &err), SN_OK);
    return e;
}

static double judge(sn_engine *e, const sn_event *ev)
{
    sn_verdict v;
    sn_error err;
    assert_int_equal(sn_engine_analyse(e, ev, &v, &err), SN_OK);
    return v.risk_score + v.anomaly_score * 1000.0;
}

/* Analysed one by one, stored 50 at a time: the store keeps them in blocks of many events and
 * several users, which restores and erasures take apart. */
#define PUT_EVENTS 50

static void analyse_and_store(sn_engine *e, sn_store *s, const loaded *l, size_t from, size_t to)
{
    sn_error err;
    static sn_verdict v[PUT_EVENTS];
    sn_store_item it[PUT_EVENTS];
    for (size_t i = from; i < to; i += PUT_EVENTS) {
        size_t n = to - i < PUT_EVENTS ? to - i : PUT_EVENTS;
        for (size_t j = 0; j < n; j++) {
            assert_int_equal(sn_engine_analyse(e, &l->ev[i + j], &v[j], &err), SN_OK);
            it[j] =
                (sn_store_item){.ev = &l->ev[i + j], .event_id = l->id[i + j], .verdict = &v[j]};
        }
        assert_int_equal(sn_store_put(s, it, n, &err), SN_OK);
    }
}

static void a_restored_engine_judges_as_the_one_that_never_stopped(void **state)
{
    (void)state;
    loaded *l = load_events();
    sn_buf model = fitted_model(l);
    sn_store_keys k = {.encrypt = true};
    memset(k.master, 0x5a, 32);
    sn_store *s;
    sn_error err;
    assert_int_equal(sn_store_open(&s, db, &k, &err), SN_OK);
    sn_engine *live = copy_of(&model);
    analyse_and_store(live, s, l, 0, 300);
    assert_int_equal(sn_store_save_engine(s, live, &err), SN_OK);
    analyse_and_store(live, s, l, 300, 500); /* after the snapshot: replayed at restore */
    sn_store_close(s);

    assert_int_equal(sn_store_open(&s, db, &k, &err), SN_OK);
    sn_engine *restored = NULL;
    assert_int_equal(sn_store_restore_engine(s, &restored, &err), SN_OK);
    for (size_t i = 500; i < N_EVENTS; i++)
        assert_true(judge(live, &l->ev[i]) == judge(restored, &l->ev[i]));
    /* The snapshot covers the first 300 events: the other 200 came from the replay. */
    sn_buf snap;
    sn_buf_init(&snap);
    int64_t through = 0;
    assert_int_equal(sn_store_get_snapshot(s, &snap, &through, &err), SN_OK);
    assert_int_equal(through, 300);
    sn_buf_free(&snap);
    sn_engine_free(restored);
    sn_engine_free(live);
    sn_store_close(s);
    sn_buf_free(&model);
    free_events(l);
}

static void after_forget_the_baselines_are_as_if_the_user_never_existed(void **state)
{
    (void)state;
    loaded *l = load_events();
    sn_buf model = fitted_model(l);
    sn_store_keys k = {.encrypt = true};
    memset(k.master, 0x5a, 32);
    sn_store *s;
    sn_error err;
    assert_int_equal(sn_store_open(&s, db, &k, &err), SN_OK);
    sn_engine *live = copy_of(&model);
    analyse_and_store(live, s, l, 0, N_EVENTS);
    assert_int_equal(sn_store_save_engine(s, live, &err), SN_OK);

    /* The reference: the same model, shown every event but mallory's. */
    sn_engine *without = copy_of(&model);
    for (size_t i = 0; i < N_EVENTS; i++)
        if (strncmp(l->ev[i].user_id.p, "mallory", l->ev[i].user_id.n) != 0)
            judge(without, &l->ev[i]);

    sn_store_counts c;
    assert_int_equal(sn_store_forget_user(s, "mallory", &c, &err), SN_OK);
    assert_int_equal(c.events, N_EVENTS / 3);
    assert_int_equal(c.verdicts, N_EVENTS / 3);
    sn_engine *rebuilt = NULL;
    assert_int_equal(sn_store_restore_engine(s, &rebuilt, &err), SN_OK);

    /* bob opens the vault: a peer's use of it no longer counts. */
    sn_event probe = l->ev[1];
    probe.resource = (sn_str){"vault", 5};
    probe.ts_us += (int64_t)40 * 86400 * 1000000;
    sn_engine *live2 = copy_of(&model);
    for (size_t i = 0; i < N_EVENTS; i++)
        judge(live2, &l->ev[i]);
    double with_mallory = judge(live2, &probe);
    double reference = judge(without, &probe);
    double after = judge(rebuilt, &probe);
    assert_true(after == reference);
    assert_true(with_mallory != reference);
    /* Nor is mallory's department remembered: a later event of hers naming none has no peers. */
    size_t m = 0;
    while (strncmp(l->ev[m].user_id.p, "mallory", l->ev[m].user_id.n) != 0)
        m++;
    sn_event hers = l->ev[m];
    assert_true(hers.department.n > 0);
    hers.department = (sn_str){NULL, 0};
    sn_obs o;
    assert_int_equal(sn_profiles_observe(sn_engine_profiles(live2), &hers, &o), SN_OK);
    assert_true(o.peer >= 0);
    assert_int_equal(sn_profiles_observe(sn_engine_profiles(rebuilt), &hers, &o), SN_OK);
    assert_int_equal(o.peer, -1);
    sn_engine_free(live2);
    sn_engine_free(rebuilt);
    sn_engine_free(without);
    sn_engine_free(live);
    sn_store_close(s);
    sn_buf_free(&model);
    free_events(l);
}

/* A model trained without the store (its history in the model only): an erasure rebuilds from
 * that history plus the remaining stored events, not from nothing — else every user would lose
 * the baselines the model taught — but without the erased user's share of that history. */
static void forget_keeps_the_history_the_model_brought(void **state)
{
    (void)state;
    loaded *l = load_events();
    sn_engine *trained = sn_engine_new(NULL);
    assert_non_null(trained);
    sn_error err;
    for (size_t i = 0; i < 300; i++)
        assert_int_equal(sn_engine_learn(trained, &l->ev[i], &err), SN_OK);
    assert_int_equal(sn_engine_fit(trained, &err), SN_OK);
    sn_buf model;
    sn_buf_init(&model);
    assert_int_equal(sn_engine_serialize(trained, &model, &err), SN_OK);
    sn_engine_free(trained);

    sn_store_keys k = {.encrypt = true};
    memset(k.master, 0x5a, 32);
    sn_store *s;
    assert_int_equal(sn_store_open(&s, db, &k, &err), SN_OK);
    sn_engine *live = copy_of(&model);
    assert_int_equal(sn_store_save_base(s, live, false, &err), SN_OK);
    analyse_and_store(live, s, l, 300, N_EVENTS);
    assert_int_equal(sn_store_save_engine(s, live, &err), SN_OK);

    /* mallory is in the model's own history too (its first 300 events). */
    sn_profiles *mp = sn_engine_profiles(live);
    int32_t mid = sn_profiles_user_id(mp, "mallory", 7);
    assert_true(mid >= 0);
    int32_t top[3];
    uint32_t counts[3];
    assert_true(sn_profiles_user_top(mp, mid, SN_ATTR_LOCATION, top, counts, 3) > 0);
    /* The reference: the model without mallory, then every stored event but mallory's. */
    sn_engine *without = copy_of(&model);
    assert_true(sn_engine_forget_user(without, "mallory", 7));
    for (size_t i = 300; i < N_EVENTS; i++)
        if (strncmp(l->ev[i].user_id.p, "mallory", l->ev[i].user_id.n) != 0)
            judge(without, &l->ev[i]);
    sn_store_counts c;
    assert_int_equal(sn_store_forget_user(s, "mallory", &c, &err), SN_OK);
    assert_int_equal(c.events, 100);
    sn_engine *rebuilt = NULL;
    sn_status rst = sn_store_restore_engine(s, &rebuilt, &err);
    if (rst != SN_OK)
        fail_msg("%s", err.msg);
    /* Nothing of mallory's baseline is left, not even what the model had learned: no usual
     * place, no usual hours, none of the events counted. */
    sn_profiles *rp = sn_engine_profiles(rebuilt);
    mid = sn_profiles_user_id(rp, "mallory", 7);
    if (mid >= 0) {
        int from, to;
        assert_int_equal(sn_profiles_user_top(rp, mid, SN_ATTR_LOCATION, top, counts, 3), 0);
        assert_int_equal(sn_profiles_user_top(rp, mid, SN_ATTR_RESOURCE, top, counts, 3), 0);
        sn_profiles_user_hours(rp, mid, &from, &to);
        assert_int_equal(from, -1);
    }
    /* alice at night from far away: judged as by the model that never met mallory */
    sn_event probe = l->ev[0];
    probe.ts_us += (int64_t)40 * 86400 * 1000000 + (int64_t)14 * 3600 * 1000000;
    probe.location = (sn_str){"Sydney, AU", 10};
    for (size_t i = 0; i < 3; i++) {
        probe.ts_us += 60 * 1000000;
        assert_true(judge(rebuilt, &probe) == judge(without, &probe));
    }
    /* The base kept in the store is without mallory too: a second erasure (of someone else)
     * does not bring her back. */
    assert_int_equal(sn_store_forget_user(s, "nobody", &c, &err), SN_OK);
    sn_engine_free(rebuilt);
    assert_int_equal(sn_store_restore_engine(s, &rebuilt, &err), SN_OK);
    rp = sn_engine_profiles(rebuilt);
    mid = sn_profiles_user_id(rp, "mallory", 7);
    if (mid >= 0)
        assert_int_equal(sn_profiles_user_top(rp, mid, SN_ATTR_LOCATION, top, counts, 3), 0);
    sn_engine_free(rebuilt);
    sn_engine_free(without);
    sn_engine_free(live);
    sn_store_close(s);
    sn_buf_free(&model);
    free_events(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_restored_engine_judges_as_the_one_that_never_stopped,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(forget_keeps_the_history_the_model_brought, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(after_forget_the_baselines_are_as_if_the_user_never_existed,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
