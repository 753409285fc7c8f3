/* The crypto interface (src/crypto/mzmtp_crypto.h, libsodium backend) against the CURVE
 * known-answer transcript (tests/vectors are not in the repo: the values below are copied
 * from the team's curve-kat.txt, made with libsodium 1.0.18 and libzmq 4.3.4's layouts).
 * This checks the primitives and nonce layouts the CURVE mechanism will use; it is not
 * the mechanism itself (not written yet). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../src/crypto/mzmtp_crypto.h"
#include "curve_kat.h"

#define unhex kat_unhex

/* nonce = 16-byte prefix + 8-byte big-endian counter (RFC 26 short nonces) */
static void short_nonce(uint8_t n[24], const char *prefix16, const uint8_t *counter8)
{
    memcpy(n, prefix16, 16);
    memcpy(n + 16, counter8, 8);
}

static void transient_keys_come_from_scalarmult_base(void **state)
{
    (void)state;
    uint8_t sec[32], pub[32], want[32];
    assert_true(mzmtp_crypto_init());
    unhex(sec, 32, CT_SEC); unhex(want, 32, CT_PUB);
    assert_true(mzmtp_crypto_scalarmult_base(pub, sec));
    assert_memory_equal(pub, want, 32);
    unhex(sec, 32, ST_SEC); unhex(want, 32, ST_PUB);
    assert_true(mzmtp_crypto_scalarmult_base(pub, sec));
    assert_memory_equal(pub, want, 32);
}

static void hello_signature_box_matches_transcript(void **state)
{
    (void)state;
    uint8_t frame[202], s_pub[32], ct_sec[32], k[32], nonce[24], zeros[64] = {0}, box[80];
    assert_int_equal(unhex(frame, sizeof frame, HELLO), 202);
    unhex(s_pub, 32, S_PUB); unhex(ct_sec, 32, CT_SEC);
    assert_true(mzmtp_crypto_box_beforenm(k, s_pub, ct_sec));
    short_nonce(nonce, "CurveZMQHELLO---", frame + 2 + 6 + 2 + 72 + 32);
    assert_true(mzmtp_crypto_box_afternm(box, zeros, 64, nonce, k));
    assert_memory_equal(box, frame + 202 - 80, 80);
    /* opening it back gives the 64 zero bytes; one flipped bit is refused */
    uint8_t plain[64];
    assert_true(mzmtp_crypto_box_open_afternm(plain, frame + 122, 80, nonce, k));
    assert_memory_equal(plain, zeros, 64);
    frame[150] ^= 1;
    assert_false(mzmtp_crypto_box_open_afternm(plain, frame + 122, 80, nonce, k));
    assert_false(mzmtp_crypto_box_open_afternm(plain, frame + 122, 15, nonce, k));
    mzmtp_crypto_memzero(k, sizeof k);
    for (size_t i = 0; i < sizeof k; i++) assert_int_equal(k[i], 0);
}

static void welcome_opens_to_server_transient_key(void **state)
{
    (void)state;
    uint8_t frame[170], s_pub[32], ct_sec[32], st_pub[32], k[32], nonce[24], plain[128];
    assert_int_equal(unhex(frame, sizeof frame, WELCOME), 170);
    unhex(s_pub, 32, S_PUB); unhex(ct_sec, 32, CT_SEC); unhex(st_pub, 32, ST_PUB);
    assert_true(mzmtp_crypto_box_beforenm(k, s_pub, ct_sec));
    memcpy(nonce, "WELCOME-", 8);
    memcpy(nonce + 8, frame + 2 + 8, 16);
    assert_true(mzmtp_crypto_box_open_afternm(plain, frame + 26, 144, nonce, k));
    assert_memory_equal(plain, st_pub, 32); /* then the 96-byte cookie */
}

static void ready_and_messages_match_transcript(void **state)
{
    (void)state;
    uint8_t ct_sec[32], ct_pub[32], st_sec[32], st_pub[32], kc[32], ks[32], nonce[24];
    uint8_t frame[67], plain[64], box[64];
    unhex(ct_sec, 32, CT_SEC); unhex(ct_pub, 32, CT_PUB);
    unhex(st_sec, 32, ST_SEC); unhex(st_pub, 32, ST_PUB);
    /* one shared key, computed by each side from its own secret */
    assert_true(mzmtp_crypto_box_beforenm(kc, st_pub, ct_sec));
    assert_true(mzmtp_crypto_box_beforenm(ks, ct_pub, st_sec));
    assert_true(mzmtp_crypto_verify32(kc, ks));

    assert_int_equal(unhex(frame, sizeof frame, READY), 67);
    short_nonce(nonce, "CurveZMQREADY---", frame + 8);
    assert_true(mzmtp_crypto_box_open_afternm(plain, frame + 16, 51, nonce, kc));
    assert_memory_equal(plain, "\x0bSocket-Type\x00\x00\x00\x06ROUTER", 22);
    assert_memory_equal(plain + 22, "\x08Identity\x00\x00\x00\x00", 13);

    /* C->S "Hello" with inner flags 0x00, boxed in place as the sender will */
    assert_int_equal(unhex(frame, sizeof frame, MSG_CS), 40);
    memcpy(box + 16, "\x00Hello", 6);
    short_nonce(nonce, "CurveZMQMESSAGEC", frame + 10);
    assert_true(mzmtp_crypto_box_afternm(box, box + 16, 6, nonce, kc));
    assert_memory_equal(box, frame + 18, 22);

    /* S->C "World" with inner flags 0x01, opened in place as the receiver will */
    assert_int_equal(unhex(frame, sizeof frame, MSG_SC), 40);
    short_nonce(nonce, "CurveZMQMESSAGES", frame + 10);
    assert_true(mzmtp_crypto_box_open_afternm(frame + 18, frame + 18, 22, nonce, kc));
    assert_memory_equal(frame + 18, "\x01World", 6);
}

static void secretbox_round_trip_and_forgery(void **state)
{
    (void)state;
    uint8_t key[32], nonce[24], msg[64], box[80], back[64];
    memset(key, 0xa5, sizeof key); memset(nonce, 0x22, sizeof nonce);
    for (size_t i = 0; i < sizeof msg; i++) msg[i] = (uint8_t)i;
    assert_true(mzmtp_crypto_secretbox(box, msg, 64, nonce, key));
    assert_true(mzmtp_crypto_secretbox_open(back, box, 80, nonce, key));
    assert_memory_equal(back, msg, 64);
    key[0] ^= 1; /* a cookie made with another key is refused */
    assert_false(mzmtp_crypto_secretbox_open(back, box, 80, nonce, key));
}

static void low_order_public_key_is_refused(void **state)
{
    (void)state;
    uint8_t zero[32] = {0}, sec[32], k[32];
    unhex(sec, 32, CT_SEC);
    assert_false(mzmtp_crypto_box_beforenm(k, zero, sec));
}

/* The box built in pieces (MAC pass, then ciphertext in chunks, as the engine does for a
 * frame larger than its scratch) is byte for byte the box built in one call. */
static void box_in_pieces_equals_one_box(void **state)
{
    (void)state;
    static uint8_t msg[70001], whole[70001 + 16], ct[70001];
    uint8_t key[32], nonce[24], mac[16];
    for (size_t i = 0; i < sizeof key; i++) key[i] = (uint8_t)(i * 7 + 1);
    for (size_t i = 0; i < sizeof nonce; i++) nonce[i] = (uint8_t)(i * 13 + 5);
    for (size_t i = 0; i < sizeof msg; i++) msg[i] = (uint8_t)(i * 31 + (i >> 8));
    static const size_t lens[] = {0, 1, 31, 32, 33, 63, 64, 65, 95, 96, 97, 255, 256, 1000,
                                  4096, 70001};
    static const size_t chunks[] = {1, 7, 32, 64, 100, 1024};
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        size_t len = lens[li];
        assert_true(mzmtp_crypto_box_afternm(whole, msg, len, nonce, key));
        memcpy(ct, msg, len); /* the one-call box in place: same MAC, same ciphertext */
        assert_true(mzmtp_crypto_box_detached_afternm(ct, mac, len, nonce, key));
        assert_memory_equal(mac, whole, 16);
        if (len) assert_memory_equal(ct, whole + 16, len);
        for (size_t ci = 0; ci < sizeof chunks / sizeof chunks[0]; ci++) {
            size_t step = chunks[ci];
            if (len > 5000 && step < 64) continue; /* keep the test quick */
            mzmtp_crypto_mac_t st;
            assert_true(mzmtp_crypto_mac_begin(&st, nonce, key));
            for (size_t pos = 0; pos < len; pos += step) {
                size_t k = len - pos < step ? len - pos : step;
                memcpy(ct + pos, msg + pos, k);
                assert_true(mzmtp_crypto_box_xor(ct + pos, ct + pos, k, pos, nonce, key));
                mzmtp_crypto_mac_update(&st, ct + pos, k);
            }
            mzmtp_crypto_mac_final(&st, mac);
            assert_memory_equal(mac, whole, 16);
            if (len) assert_memory_equal(ct, whole + 16, len);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(transient_keys_come_from_scalarmult_base),
        cmocka_unit_test(hello_signature_box_matches_transcript),
        cmocka_unit_test(welcome_opens_to_server_transient_key),
        cmocka_unit_test(ready_and_messages_match_transcript),
        cmocka_unit_test(secretbox_round_trip_and_forgery),
        cmocka_unit_test(low_order_public_key_is_refused),
        cmocka_unit_test(box_in_pieces_equals_one_box),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
