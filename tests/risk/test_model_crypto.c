/* Encrypted model files: round trip with the key, and refusal of a wrong key, a changed byte, a
 * missing key and a plain file where a key is configured. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "ingest/ingest.h"
#include "risk/risk.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *small_log(void)
{
    sn_buf b;
    sn_buf_init(&b);
    sn_buf_puts(&b, "event_id,user_id,username,department,job_title,resource,action,timestamp,"
                    "source_ip,location,success\n");
    for (int i = 0; i < 400; i++)
        sn_buf_printf(&b,
                      "E%d,U%d,user%d,Finance,Analyst,app%d,read,2026-03-%02d "
                      "%02d:%02d:00,10.0.0.%d,\"London, UK\",true\n",
                      i, i % 7, i % 7, i % 5, 1 + i / 40 % 28, 8 + i % 9, i % 60, 1 + i % 7);
    assert_int_equal(b.failed, 0);
    const char *p = tu_temp_file(b.data, b.len);
    sn_buf_free(&b);
    return p;
}

static sn_engine *trained(void)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s", small_log());
    sn_engine *e = sn_engine_new(NULL);
    assert_non_null(e);
    sn_reader *r;
    sn_error err;
    assert_int_equal(sn_reader_open(&r, path, SN_FORMAT_AUTO, &err), SN_OK);
    sn_event ev;
    while (sn_reader_next(r, &ev, &err) == SN_OK)
        assert_int_equal(sn_engine_learn(e, &ev, &err), SN_OK);
    sn_reader_close(r);
    assert_int_equal(sn_engine_fit(e, &err), SN_OK);
    return e;
}

static void flip_byte(const char *path, long at)
{
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, at, SEEK_SET);
    int ch = fgetc(f);
    fseek(f, at, SEEK_SET);
    fputc(ch ^ 0x20, f);
    fclose(f);
}

static long file_size(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}

static void encrypted_model_round_trips_and_refuses_tampering(void **state)
{
    (void)state;
    unsigned char key[32], other[32];
    for (int i = 0; i < 32; i++) {
        key[i] = (unsigned char)(i * 7 + 1);
        other[i] = (unsigned char)(i * 7 + 2);
    }
    sn_engine *e = trained();
    char model[] = "/tmp/sn_model_enc_XXXXXX";
    int fd = mkstemp(model);
    assert_true(fd >= 0);
    close(fd);
    sn_error err;
    assert_int_equal(sn_engine_save_keyed(e, model, key, &err), SN_OK);

    /* The file starts with the encrypted magic, and holds no feature name in clear. */
    FILE *f = fopen(model, "rb");
    assert_non_null(f);
    char head[8];
    assert_int_equal(fread(head, 1, 8, f), 8);
    fclose(f);
    assert_memory_equal(head, "SNTLMENC", 8);

    sn_engine *loaded = NULL;
    assert_int_equal(sn_engine_load_keyed(&loaded, model, key, &err), SN_OK);
    assert_non_null(loaded);
    assert_int_equal(sn_engine_get_stats(loaded)->learned, 400);
    assert_memory_equal(sn_engine_get_stats(loaded)->data_hash, sn_engine_get_stats(e)->data_hash,
                        32);
    sn_engine_free(loaded);

    /* A wrong key. */
    loaded = NULL;
    assert_int_equal(sn_engine_load_keyed(&loaded, model, other, &err), SN_ERR_CRYPTO);
    assert_null(loaded);
    assert_non_null(strstr(err.msg, "cannot decrypt the model"));

    /* No key at all. */
    assert_int_equal(sn_engine_load(&loaded, model, &err), SN_ERR_SECRET);
    assert_non_null(strstr(err.msg, "the model file is encrypted"));

    /* One changed byte in the ciphertext, then in the header. */
    flip_byte(model, file_size(model) / 2);
    assert_int_equal(sn_engine_load_keyed(&loaded, model, key, &err), SN_ERR_CRYPTO);
    assert_null(loaded);
    flip_byte(model, file_size(model) / 2);
    assert_int_equal(sn_engine_load_keyed(&loaded, model, key, &err), SN_OK);
    sn_engine_free(loaded);
    flip_byte(model, 9);
    assert_int_equal(sn_engine_load_keyed(&loaded, model, key, &err), SN_ERR_MODEL);
    assert_non_null(strstr(err.msg, "version"));

    /* A plain model where a key is configured. */
    assert_int_equal(sn_engine_save(e, model, &err), SN_OK);
    assert_int_equal(sn_engine_load_keyed(&loaded, model, key, &err), SN_ERR_MODEL);
    assert_non_null(strstr(err.msg, "not encrypted"));
    assert_int_equal(sn_engine_load(&loaded, model, &err), SN_OK);
    sn_engine_free(loaded);
    remove(model);
    sn_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(encrypted_model_round_trips_and_refuses_tampering),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
