/* AES-256-GCM sealing: round trips, fresh nonces, and refusal of a wrong key, wrong associated
 * data and any changed byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/aead.h"

#include <string.h>

static const unsigned char key[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                      12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                      23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

static void seal_open_round_trip_and_fresh_nonces(void **state)
{
    (void)state;
    static const char msg[] = "alice.m from 203.0.113.77";
    sn_buf a, b, pt;
    sn_buf_init(&a);
    sn_buf_init(&b);
    sn_buf_init(&pt);
    sn_aead *ctx = sn_aead_new(key);
    assert_non_null(ctx);
    assert_int_equal(sn_aead_seal_with(ctx, "events.record|1", 15, msg, strlen(msg), &a), SN_OK);
    assert_int_equal(sn_aead_seal(key, "events.record|1", 15, msg, strlen(msg), &b), SN_OK);
    assert_int_equal(a.len, strlen(msg) + SN_AEAD_OVERHEAD);
    assert_int_equal(b.len, a.len);
    /* Same plaintext, different nonce and ciphertext; no plaintext in the output. */
    assert_memory_not_equal(a.data, b.data, SN_AEAD_NONCE);
    assert_null(memmem(a.data, a.len, "alice", 5));
    /* Sealed by the context, opened by the one-shot call, and the reverse. */
    assert_int_equal(sn_aead_open(key, "events.record|1", 15, a.data, a.len, &pt), SN_OK);
    assert_string_equal(pt.data, msg);
    sn_buf_reset(&pt);
    assert_int_equal(sn_aead_open_with(ctx, "events.record|1", 15, b.data, b.len, &pt), SN_OK);
    assert_string_equal(pt.data, msg);
    /* Many seals: every nonce differs from the one before (the pool is refilled). */
    unsigned char prev[SN_AEAD_NONCE] = {0};
    for (int i = 0; i < 1000; i++) {
        sn_buf_reset(&a);
        assert_int_equal(sn_aead_seal_with(ctx, NULL, 0, msg, strlen(msg), &a), SN_OK);
        assert_memory_not_equal(prev, a.data, SN_AEAD_NONCE);
        memcpy(prev, a.data, SN_AEAD_NONCE);
    }
    sn_aead_free(ctx);
    sn_buf_free(&a);
    sn_buf_free(&b);
    sn_buf_free(&pt);
}

static void wrong_key_aad_or_byte_is_refused(void **state)
{
    (void)state;
    sn_buf c, pt;
    sn_buf_init(&c);
    sn_buf_init(&pt);
    assert_int_equal(sn_aead_seal(key, "row|7", 5, "secret", 6, &c), SN_OK);
    unsigned char other[32];
    memcpy(other, key, 32);
    other[31] ^= 1;
    assert_int_equal(sn_aead_open(other, "row|7", 5, c.data, c.len, &pt), SN_ERR_CRYPTO);
    assert_int_equal(sn_aead_open(key, "row|8", 5, c.data, c.len, &pt), SN_ERR_CRYPTO);
    for (size_t i = 0; i < c.len; i++) {
        c.data[i] ^= 0x01;
        assert_int_equal(sn_aead_open(key, "row|7", 5, c.data, c.len, &pt), SN_ERR_CRYPTO);
        c.data[i] ^= 0x01;
    }
    assert_int_equal(sn_aead_open(key, "row|7", 5, c.data, c.len - 1, &pt), SN_ERR_CRYPTO);
    assert_int_equal(sn_aead_open(key, "row|7", 5, c.data, 3, &pt), SN_ERR_CRYPTO);
    assert_int_equal(pt.len, 0);
    assert_int_equal(sn_aead_open(key, "row|7", 5, c.data, c.len, &pt), SN_OK);
    assert_int_equal(pt.len, 6);
    assert_memory_equal(pt.data, "secret", 6);
    sn_buf_free(&c);
    sn_buf_free(&pt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(seal_open_round_trip_and_fresh_nonces),
        cmocka_unit_test(wrong_key_aad_or_byte_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
