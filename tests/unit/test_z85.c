/*
 * Z85 (RFC 32): the RFC's test vector, libzmq's documented key pairs (wire-notes C12,
 * C13) decoded to 32 bytes and encoded back, and every refusal: lengths, characters
 * outside the alphabet, a group above 2^32 - 1, buffers too small.
 */
#include <stdio.h>
#include "testutil.h"

static void hello_world_vector(void **state)
{
    static const uint8_t raw[8] = {0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B};
    char text[11];
    TU_ASSERT_STATUS(mzmtp_z85_encode(text, sizeof text, raw, sizeof raw), MZMTP_OK);
    assert_string_equal(text, "HelloWorld");
    uint8_t back[8];
    TU_ASSERT_STATUS(mzmtp_z85_decode(back, sizeof back, "HelloWorld", 10), MZMTP_OK);
    assert_memory_equal(back, raw, sizeof raw);
}

static void libzmq_keys_round_trip(void **state)
{
    static const char *const keys[] = {
        "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID", "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs",
        "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7", "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6",
    };
    for (size_t i = 0; i < 4; i++) {
        uint8_t key[32];
        char text[41];
        TU_ASSERT_STATUS(mzmtp_z85_decode(key, sizeof key, keys[i], 40), MZMTP_OK);
        TU_ASSERT_STATUS(mzmtp_z85_encode(text, sizeof text, key, sizeof key), MZMTP_OK);
        assert_string_equal(text, keys[i]);
    }
}

static void extremes_and_every_byte(void **state)
{
    uint8_t raw[256], back[256];
    char text[321];
    for (size_t i = 0; i < sizeof raw; i++) raw[i] = (uint8_t)(255 - i);
    TU_ASSERT_STATUS(mzmtp_z85_encode(text, sizeof text, raw, sizeof raw), MZMTP_OK);
    assert_int_equal(strlen(text), 320);
    TU_ASSERT_STATUS(mzmtp_z85_decode(back, sizeof back, text, 320), MZMTP_OK);
    assert_memory_equal(back, raw, sizeof raw);
    static const uint8_t ones[4] = {0xFF, 0xFF, 0xFF, 0xFF}, zeros[4] = {0};
    TU_ASSERT_STATUS(mzmtp_z85_encode(text, 6, ones, 4), MZMTP_OK);
    assert_string_equal(text, "%nSc0"); /* 2^32 - 1, the largest group */
    TU_ASSERT_STATUS(mzmtp_z85_encode(text, 6, zeros, 4), MZMTP_OK);
    assert_string_equal(text, "00000");
    TU_ASSERT_STATUS(mzmtp_z85_encode(text, 1, raw, 0), MZMTP_OK);
    assert_string_equal(text, "");
}

static void refusals(void **state)
{
    uint8_t out[8];
    char text[16];
    static const uint8_t raw[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    /* encode: length not a multiple of 4, no room for the NUL */
    TU_ASSERT_STATUS(mzmtp_z85_encode(text, sizeof text, raw, 3), MZMTP_ERR_INVALID);
    TU_ASSERT_STATUS(mzmtp_z85_encode(text, 10, raw, 8), MZMTP_ERR_INVALID);
    TU_ASSERT_STATUS(mzmtp_z85_encode(NULL, 11, raw, 8), MZMTP_ERR_INVALID);
    /* decode: length, characters outside the alphabet (space, quote, NUL, 0x80), a group
     * above 2^32 - 1, no room */
    TU_ASSERT_STATUS(mzmtp_z85_decode(out, sizeof out, "Hello", 4), MZMTP_ERR_INVALID);
    TU_ASSERT_STATUS(mzmtp_z85_decode(out, sizeof out, "Hel o", 5), MZMTP_ERR_INVALID);
    TU_ASSERT_STATUS(mzmtp_z85_decode(out, sizeof out, "Hel\"o", 5), MZMTP_ERR_INVALID);
    TU_ASSERT_STATUS(mzmtp_z85_decode(out, sizeof out, "Hel\0o", 5), MZMTP_ERR_INVALID);
    TU_ASSERT_STATUS(mzmtp_z85_decode(out, sizeof out, "Hel\x80o", 5), MZMTP_ERR_INVALID);
    TU_ASSERT_STATUS(mzmtp_z85_decode(out, sizeof out, "%nSc1", 5), MZMTP_ERR_INVALID);
    TU_ASSERT_STATUS(mzmtp_z85_decode(out, sizeof out, "#####", 5), MZMTP_ERR_INVALID);
    TU_ASSERT_STATUS(mzmtp_z85_decode(out, 7, "HelloWorld", 10), MZMTP_ERR_INVALID);
    TU_ASSERT_STATUS(mzmtp_z85_decode(out, 4, "%nSc0", 5), MZMTP_OK);
    static const uint8_t ones[4] = {0xFF, 0xFF, 0xFF, 0xFF};
    assert_memory_equal(out, ones, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hello_world_vector),
        cmocka_unit_test(libzmq_keys_round_trip),
        cmocka_unit_test(extremes_and_every_byte),
        cmocka_unit_test(refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
