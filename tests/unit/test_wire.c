/*
 * The ZMTP 3.1 codec (mzmtp_wire.h): greeting, frame headers, commands, metadata and the
 * socket-type table, each checked against the exact bytes of RFC 37 and wire-notes.
 */
#include "testutil.h"

/* ---------------------------------------------------------------- greeting encode -- */

static void greeting_encodes_the_64_rfc37_bytes_for_null(void **state)
{
    uint8_t g[64];
    assert_int_equal(mzmtp_wire_encode_greeting(g, sizeof g, "NULL", false), 64);
    /* G1: FF, padding (libzmq's 00…01, G2), 7F, 03 01, "NULL" padded to 20, as-server, 31×00 */
    TU_ASSERT_HEX(g, sizeof g,
                  "FF 00 00 00 00 00 00 00 01 7F 03 01"
                  "'NULL' 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
                  "00"
                  "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"
                  "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
}

static void greeting_encode_sets_as_server_in_byte_32(void **state)
{
    uint8_t g[64];
    assert_int_equal(mzmtp_wire_encode_greeting(g, sizeof g, "PLAIN", true), 64);
    assert_int_equal(g[32], 1);
    TU_ASSERT_HEX(g + 12, 20, "'PLAIN' 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
    for (int i = 33; i < 64; i++) assert_int_equal(g[i], 0);
}

static void greeting_encode_refuses_a_short_buffer(void **state)
{
    uint8_t g[63];
    assert_int_equal(mzmtp_wire_encode_greeting(g, sizeof g, "NULL", false), 0);
}

static void greeting_encode_with_null_buffer_returns_size(void **state)
{
    assert_int_equal(mzmtp_wire_encode_greeting(NULL, 0, "NULL", false), 64);
}

static void greeting_encode_refuses_a_mechanism_over_20_chars(void **state)
{
    uint8_t g[64];
    assert_int_equal(mzmtp_wire_encode_greeting(g, sizeof g, "ABCDEFGHIJKLMNOPQRSTU", false), 0);
    assert_int_equal(mzmtp_wire_encode_greeting(g, sizeof g, "ABCDEFGHIJKLMNOPQRST", false), 64);
}

/* ---------------------------------------------------------------- greeting decode -- */

/* The greeting under test (greeting_of() writes a peer's) and what decode() makes of it. */
static uint8_t greet[64];
static mzmtp_greeting_info_t greet_info;

static void greeting_of(uint8_t major, uint8_t minor, const char *mech)
{
    tu_buf_t b = {greet, 0, sizeof greet};
    tu_put_greeting(&b, major, minor, mech);
    assert_int_equal(b.len, sizeof greet);
}

/* Decode the first @p n bytes of greet into greet_info. */
static mzmtp_status_t decode(size_t n)
{
    return mzmtp_wire_decode_greeting(greet, n, &greet_info);
}

static void greeting_decode_accepts_a_libzmq_greeting(void **state)
{
    greeting_of(3, 1, "NULL");
    memset(&greet_info, 0xAA, sizeof greet_info);
    TU_ASSERT_STATUS(decode(64), MZMTP_OK);
    assert_int_equal(greet_info.major, 3);
    assert_int_equal(greet_info.minor, 1);
    assert_false(greet_info.as_server);
    TU_ASSERT_HEX(greet_info.mechanism, 20, "'NULL' 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
}

static void greeting_decode_reads_as_server(void **state)
{
    greeting_of(3, 1, "PLAIN");
    greet[32] = 1;
    TU_ASSERT_STATUS(decode(64), MZMTP_OK);
    assert_true(greet_info.as_server);
}

static void greeting_decode_ignores_padding_bytes_1_to_8(void **state)
{
    /* G2: the receiver must not check bytes 1–8 ("abc" routing id gives …04 7F). */
    greeting_of(3, 1, "NULL");
    for (int i = 1; i <= 8; i++) greet[i] = (uint8_t)(0x11 * i);
    TU_ASSERT_STATUS(decode(64), MZMTP_OK);
}

static void greeting_decode_rejects_bad_byte_0(void **state)
{
    greeting_of(3, 1, "NULL");
    greet[0] = 0x00;
    TU_ASSERT_STATUS(decode(64), MZMTP_ERR_PROTOCOL);
}

static void greeting_decode_rejects_bad_byte_9(void **state)
{
    greeting_of(3, 1, "NULL");
    greet[9] = 0x7E; /* G4: bit 0 of byte 9 clear means ZMTP 1.0 */
    TU_ASSERT_STATUS(decode(64), MZMTP_ERR_PROTOCOL);
    greet[9] = 0x00;
    TU_ASSERT_STATUS(decode(64), MZMTP_ERR_PROTOCOL);
}

static void greeting_decode_fails_a_bad_signature_after_10_bytes(void **state)
{
    /* Fail as early as the bytes allow: no need to wait for all 64. */
    greeting_of(3, 1, "NULL");
    greet[9] = 0x00;
    TU_ASSERT_STATUS(decode(10), MZMTP_ERR_PROTOCOL);
    greet[9] = 0x7F;
    greet[0] = 0x01;
    TU_ASSERT_STATUS(decode(10), MZMTP_ERR_PROTOCOL);
}

static void greeting_decode_rejects_major_2_as_version(void **state)
{
    greeting_of(2, 0, "NULL");
    TU_ASSERT_STATUS(decode(64), MZMTP_ERR_VERSION);
    /* …and says so as soon as byte 10 is there. */
    TU_ASSERT_STATUS(decode(11), MZMTP_ERR_VERSION);
}

static void greeting_decode_accepts_minor_0_as_zmtp_3_0(void **state)
{
    greeting_of(3, 0, "NULL");
    TU_ASSERT_STATUS(decode(64), MZMTP_OK);
    assert_int_equal(greet_info.major, 3);
    assert_int_equal(greet_info.minor, 0);
}

static void greeting_decode_accepts_major_4(void **state)
{
    greeting_of(4, 0, "NULL");
    TU_ASSERT_STATUS(decode(64), MZMTP_OK);
    assert_int_equal(greet_info.major, 4);
    /* G4: any major above 3 is treated as (at least) 3.1, never as 3.0. */
    assert_int_not_equal(greet_info.minor, 0);
}

static void greeting_decode_accepts_minor_255(void **state)
{
    greeting_of(3, 255, "NULL");
    TU_ASSERT_STATUS(decode(64), MZMTP_OK);
    assert_int_equal(greet_info.minor, 255);
}

static void greeting_decode_says_again_on_every_valid_prefix(void **state)
{
    greeting_of(3, 1, "NULL");
    for (size_t n = 0; n < 64; n++)
        TU_ASSERT_STATUS(decode(n), MZMTP_AGAIN);
}

/* ---------------------------------------------------------------- frame header encode */

static void frame_hdr_encodes_short_form_up_to_255(void **state)
{
    uint8_t h[9];
    assert_int_equal(mzmtp_wire_encode_frame_hdr(h, sizeof h, 0, 0), 2);
    TU_ASSERT_HEX(h, 2, "00 00");
    assert_int_equal(mzmtp_wire_encode_frame_hdr(h, sizeof h, MZMTP_FLAG_MORE, 1), 2);
    TU_ASSERT_HEX(h, 2, "01 01");
    assert_int_equal(mzmtp_wire_encode_frame_hdr(h, sizeof h, 0, 255), 2);
    TU_ASSERT_HEX(h, 2, "00 FF");
    assert_int_equal(mzmtp_wire_encode_frame_hdr(h, sizeof h, MZMTP_FLAG_COMMAND, 25), 2);
    TU_ASSERT_HEX(h, 2, "04 19");
    assert_int_equal(mzmtp_wire_frame_hdr_size(255), 2);
}

static void frame_hdr_encodes_long_form_from_256(void **state)
{
    uint8_t h[9];
    assert_int_equal(mzmtp_wire_encode_frame_hdr(h, sizeof h, 0, 256), 9);
    TU_ASSERT_HEX(h, 9, "02 00 00 00 00 00 00 01 00");
    assert_int_equal(mzmtp_wire_encode_frame_hdr(h, sizeof h, MZMTP_FLAG_MORE, 0x0102030405060708ull), 9);
    TU_ASSERT_HEX(h, 9, "03 01 02 03 04 05 06 07 08");
    assert_int_equal(mzmtp_wire_encode_frame_hdr(h, sizeof h, MZMTP_FLAG_COMMAND, 1000), 9);
    TU_ASSERT_HEX(h, 9, "06 00 00 00 00 00 00 03 E8");
    assert_int_equal(mzmtp_wire_frame_hdr_size(256), 9);
}

static void frame_hdr_encode_refuses_illegal_flags(void **state)
{
    uint8_t h[9];
    assert_int_equal(mzmtp_wire_encode_frame_hdr(h, sizeof h, 0x08, 1), 0);
    assert_int_equal(mzmtp_wire_encode_frame_hdr(h, sizeof h, 0x80, 1), 0);
    assert_int_equal(mzmtp_wire_encode_frame_hdr(h, sizeof h, MZMTP_FLAG_COMMAND | MZMTP_FLAG_MORE, 1), 0);
}

static void frame_hdr_encode_refuses_a_short_buffer(void **state)
{
    uint8_t h[9];
    assert_int_equal(mzmtp_wire_encode_frame_hdr(h, 1, 0, 1), 0);
    assert_int_equal(mzmtp_wire_encode_frame_hdr(h, 8, 0, 256), 0);
}

/* ---------------------------------------------------------------- frame header decode */

static void frame_hdr_decodes_every_legal_flag_byte(void **state)
{
    static const uint8_t legal[] = {0x00, 0x01, 0x04};
    for (size_t i = 0; i < sizeof legal; i++) {
        uint8_t in[2] = {legal[i], 7};
        mzmtp_frame_hdr_t h;
        TU_ASSERT_STATUS(mzmtp_wire_decode_frame_hdr(in, 2, &h), MZMTP_OK);
        assert_int_equal(h.flags, legal[i]);
        assert_int_equal(h.hdr_len, 2);
        assert_int_equal(h.size, 7);
    }
    static const uint8_t legal_long[] = {0x02, 0x03, 0x06};
    for (size_t i = 0; i < sizeof legal_long; i++) {
        uint8_t in[9] = {legal_long[i], 0, 0, 0, 0, 0, 0, 0x01, 0x00};
        mzmtp_frame_hdr_t h;
        TU_ASSERT_STATUS(mzmtp_wire_decode_frame_hdr(in, 9, &h), MZMTP_OK);
        assert_int_equal(h.flags, legal_long[i]);
        assert_int_equal(h.hdr_len, 9);
        assert_int_equal(h.size, 256);
    }
}

/* Decode the long-form frame header @p script (9 bytes, tu_script hex) into @p h. */
static mzmtp_status_t decode_long_hdr(const char *script, mzmtp_frame_hdr_t *h)
{
    uint8_t in[9];
    assert_int_equal(tu_script(script, in, sizeof in), sizeof in);
    return mzmtp_wire_decode_frame_hdr(in, sizeof in, h);
}

static void frame_hdr_decode_accepts_long_form_for_a_small_body(void **state)
{
    /* F2: libzmq accepts the long form for small bodies; so do we. */
    mzmtp_frame_hdr_t h;
    TU_ASSERT_STATUS(decode_long_hdr("02 00 00 00 00 00 00 00 05", &h), MZMTP_OK);
    assert_int_equal(h.size, 5);
    assert_int_equal(h.hdr_len, 9);
}

static void frame_hdr_decode_accepts_the_largest_legal_size(void **state)
{
    mzmtp_frame_hdr_t h;
    TU_ASSERT_STATUS(decode_long_hdr("02 7F FF FF FF FF FF FF FF", &h), MZMTP_OK);
    assert_true(h.size == 0x7FFFFFFFFFFFFFFFull);
}

static void frame_hdr_decode_rejects_reserved_bits(void **state)
{
    for (unsigned bit = 3; bit < 8; bit++) {
        uint8_t in[9] = {(uint8_t)(1u << bit), 1, 0, 0, 0, 0, 0, 0, 1};
        mzmtp_frame_hdr_t h;
        TU_ASSERT_STATUS(mzmtp_wire_decode_frame_hdr(in, 9, &h), MZMTP_ERR_PROTOCOL);
    }
    uint8_t f8[2] = {0x08, 0x00}, f80[2] = {0x80, 0x00};
    mzmtp_frame_hdr_t h;
    TU_ASSERT_STATUS(mzmtp_wire_decode_frame_hdr(f8, 2, &h), MZMTP_ERR_PROTOCOL);
    TU_ASSERT_STATUS(mzmtp_wire_decode_frame_hdr(f80, 2, &h), MZMTP_ERR_PROTOCOL);
}

static void frame_hdr_decode_rejects_more_on_a_command(void **state)
{
    uint8_t in5[2] = {0x05, 0x01};
    uint8_t in7[9] = {0x07, 0, 0, 0, 0, 0, 0, 1, 0};
    mzmtp_frame_hdr_t h;
    TU_ASSERT_STATUS(mzmtp_wire_decode_frame_hdr(in5, 2, &h), MZMTP_ERR_PROTOCOL);
    TU_ASSERT_STATUS(mzmtp_wire_decode_frame_hdr(in7, 9, &h), MZMTP_ERR_PROTOCOL);
}

static void frame_hdr_decode_rejects_size_of_2_pow_63_or_more(void **state)
{
    mzmtp_frame_hdr_t h;
    TU_ASSERT_STATUS(decode_long_hdr("02 80 00 00 00 00 00 00 00", &h), MZMTP_ERR_PROTOCOL);
    TU_ASSERT_STATUS(decode_long_hdr("02 FF FF FF FF FF FF FF FF", &h), MZMTP_ERR_PROTOCOL);
}

static void frame_hdr_decode_says_again_on_partial_input(void **state)
{
    uint8_t s[2] = {0x00, 0x05};
    uint8_t l[9] = {0x02, 0, 0, 0, 0, 0, 0, 1, 0};
    mzmtp_frame_hdr_t h;
    TU_ASSERT_STATUS(mzmtp_wire_decode_frame_hdr(s, 0, &h), MZMTP_AGAIN);
    TU_ASSERT_STATUS(mzmtp_wire_decode_frame_hdr(s, 1, &h), MZMTP_AGAIN);
    for (size_t n = 1; n < 9; n++) TU_ASSERT_STATUS(mzmtp_wire_decode_frame_hdr(l, n, &h), MZMTP_AGAIN);
}

static void frame_hdr_roundtrips_through_encode_and_decode(void **state)
{
    static const uint64_t sizes[] = {0, 1, 254, 255, 256, 257, 65535, 65536, 0xFFFFFFFFull,
                                     0x100000000ull, 0x7FFFFFFFFFFFFFFFull};
    static const uint8_t flags[] = {0, MZMTP_FLAG_MORE, MZMTP_FLAG_COMMAND};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        for (size_t f = 0; f < sizeof flags; f++) {
            uint8_t buf[9];
            size_t n = mzmtp_wire_encode_frame_hdr(buf, sizeof buf, flags[f], sizes[i]);
            assert_int_equal(n, mzmtp_wire_frame_hdr_size(sizes[i]));
            mzmtp_frame_hdr_t h;
            TU_ASSERT_STATUS(mzmtp_wire_decode_frame_hdr(buf, n, &h), MZMTP_OK);
            assert_true(h.size == sizes[i]);
            assert_int_equal(h.hdr_len, n);
            assert_int_equal(h.flags & ~MZMTP_FLAG_LONG, flags[f]);
        }
    }
}

/* ---------------------------------------------------------------- commands -------- */

static void sub_ready_encodes_exactly_as_libzmq(void **state)
{
    /* N2: SUB sends 04 19 05 READY 0B Socket-Type 00 00 00 03 SUB */
    uint8_t props[64], out[64];
    size_t pl = mzmtp_wire_encode_property(props, sizeof props, "Socket-Type", (const uint8_t *)"SUB", 3);
    assert_int_equal(pl, 1 + 11 + 4 + 3);
    size_t n = mzmtp_wire_encode_command(out, sizeof out, "READY", props, pl);
    assert_int_equal(n, 27);
    TU_ASSERT_HEX(out, n, "04 19 05 'READY' 0B 'Socket-Type' 00 00 00 03 'SUB'");
}

static void dealer_ready_with_empty_identity_encodes_exactly_as_libzmq(void **state)
{
    /* N2: 04 29 05 READY 0B Socket-Type 00 00 00 06 DEALER 08 Identity 00 00 00 00 (43 B) */
    uint8_t props[64], out[64];
    size_t pl = mzmtp_wire_encode_property(props, sizeof props, "Socket-Type", (const uint8_t *)"DEALER", 6);
    pl += mzmtp_wire_encode_property(props + pl, sizeof props - pl, "Identity", NULL, 0);
    size_t n = mzmtp_wire_encode_command(out, sizeof out, "READY", props, pl);
    assert_int_equal(n, 43);
    TU_ASSERT_HEX(out, n, "04 29 05 'READY' 0B 'Socket-Type' 00 00 00 06 'DEALER' 08 'Identity' 00 00 00 00");
}

static void subscribe_command_encodes_as_in_test_mock_pub_sub(void **state)
{
    /* H1 */
    uint8_t out[32];
    size_t n = mzmtp_wire_encode_command(out, sizeof out, "SUBSCRIBE", (const uint8_t *)"A", 1);
    TU_ASSERT_HEX(out, n, "04 0B 09 53 55 42 53 43 52 49 42 45 41");
}

static void command_with_a_long_body_uses_the_long_header(void **state)
{
    static uint8_t data[300], out[400];
    memset(data, 'x', sizeof data);
    size_t n = mzmtp_wire_encode_command(out, sizeof out, "PING", data, sizeof data);
    assert_int_equal(n, 9 + 1 + 4 + 300);
    TU_ASSERT_HEX(out, 14, "06 00 00 00 00 00 00 01 31 04 'PING'");
}

static void command_encode_refuses_bad_names_and_small_buffers(void **state)
{
    uint8_t out[600];
    char name256[257];
    memset(name256, 'N', 256);
    name256[256] = 0;
    assert_int_equal(mzmtp_wire_encode_command(out, sizeof out, "", NULL, 0), 0);
    assert_int_equal(mzmtp_wire_encode_command(out, sizeof out, name256, NULL, 0), 0);
    name256[255] = 0; /* 255 is the longest legal name */
    assert_int_equal(mzmtp_wire_encode_command(out, sizeof out, name256, NULL, 0), 9 + 256);
    assert_int_equal(mzmtp_wire_encode_command(out, 7, "READY", NULL, 0), 0);
    assert_int_equal(mzmtp_wire_encode_command(out, 8, "READY", NULL, 0), 8);
}

static void command_encode_with_null_buffer_returns_size(void **state)
{
    assert_int_equal(mzmtp_wire_encode_command(NULL, 0, "SUBSCRIBE", (const uint8_t *)"A", 1), 13);
    assert_int_equal(mzmtp_wire_encode_property(NULL, 0, "Socket-Type", (const uint8_t *)"SUB", 3), 19);
    assert_int_equal(mzmtp_wire_encode_frame_hdr(NULL, 0, 0, 300), 9);
}

static void command_decode_splits_name_and_data(void **state)
{
    uint8_t body[32];
    size_t n = tu_script("04 'PING' 00 0F 'ctx'", body, sizeof body);
    const uint8_t *name, *data;
    size_t nl, dl;
    TU_ASSERT_STATUS(mzmtp_wire_decode_command(body, n, &name, &nl, &data, &dl), MZMTP_OK);
    assert_true(mzmtp_wire_name_is(name, nl, "PING"));
    TU_ASSERT_HEX(data, dl, "00 0F 'ctx'");
    assert_ptr_equal(name, body + 1);
    assert_ptr_equal(data, body + 5);
}

static void command_decode_accepts_a_command_with_no_data(void **state)
{
    uint8_t body[8];
    size_t n = tu_script("05 'READY'", body, sizeof body);
    const uint8_t *name, *data;
    size_t nl, dl;
    TU_ASSERT_STATUS(mzmtp_wire_decode_command(body, n, &name, &nl, &data, &dl), MZMTP_OK);
    assert_int_equal(nl, 5);
    assert_int_equal(dl, 0);
}

static void command_decode_rejects_empty_body(void **state)
{
    uint8_t body[1] = {0};
    const uint8_t *name, *data;
    size_t nl, dl;
    TU_ASSERT_STATUS(mzmtp_wire_decode_command(body, 0, &name, &nl, &data, &dl), MZMTP_ERR_PROTOCOL);
}

static void command_decode_rejects_name_len_past_the_body(void **state)
{
    uint8_t body[8];
    size_t n = tu_script("06 'READY'", body, sizeof body);
    const uint8_t *name, *data;
    size_t nl, dl;
    TU_ASSERT_STATUS(mzmtp_wire_decode_command(body, n, &name, &nl, &data, &dl), MZMTP_ERR_PROTOCOL);
}

static void command_decode_rejects_a_zero_length_name(void **state)
{
    /* F6: name-len is 1..255. */
    uint8_t body[4] = {0x00, 'a', 'b', 'c'};
    const uint8_t *name, *data;
    size_t nl, dl;
    TU_ASSERT_STATUS(mzmtp_wire_decode_command(body, 4, &name, &nl, &data, &dl), MZMTP_ERR_PROTOCOL);
}

/* A name as it came off the wire, a literal, and whether the comparison under test finds
 * them the same. */
typedef struct name_case {
    const char *name;
    const char *literal;
    bool same;
} name_case_t;

/* Each of the @p n cases: @p cmp(name, strlen(name), literal) is its `same`. */
static void expect_name_cases(bool (*cmp)(const uint8_t *, size_t, const char *),
                              const name_case_t *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *nm = cases[i].name;
        if (cmp((const uint8_t *)nm, strlen(nm), cases[i].literal) != cases[i].same) {
            fail_msg("case %zu ('%s' vs '%s'): expected %s", i, nm, cases[i].literal,
                     cases[i].same ? "the same" : "different");
        }
    }
}

static void command_name_is_is_exact_and_case_sensitive(void **state)
{
    static const name_case_t cases[] = {
        {"READY", "READY", true},
        {"ready", "READY", false},
        {"READYX", "READY", false},
        {"READ", "READY", false},
        {"^RROR", "ERROR", false}, /* P4: libzmq's "^RROR" is not ERROR */
    };
    expect_name_cases(mzmtp_wire_name_is, cases, sizeof cases / sizeof cases[0]);
}

/* ---------------------------------------------------------------- metadata --------- */

static void metadata_iterates_over_good_properties(void **state)
{
    uint8_t md[64];
    size_t n = tu_script("0B 'Socket-Type' 00 00 00 03 'SUB' 08 'Identity' 00 00 00 00"
                         "05 'X-Foo' 00 00 00 02 'hi'",
                         md, sizeof md);
    mzmtp_metadata_iter_t it;
    mzmtp_wire_metadata_begin(&it, md, n);
    const uint8_t *name, *val;
    size_t nl, vl;
    TU_ASSERT_STATUS(mzmtp_wire_metadata_next(&it, &name, &nl, &val, &vl), MZMTP_OK);
    TU_ASSERT_HEX(name, nl, "'Socket-Type'");
    TU_ASSERT_HEX(val, vl, "'SUB'");
    TU_ASSERT_STATUS(mzmtp_wire_metadata_next(&it, &name, &nl, &val, &vl), MZMTP_OK);
    TU_ASSERT_HEX(name, nl, "'Identity'");
    assert_int_equal(vl, 0);
    TU_ASSERT_STATUS(mzmtp_wire_metadata_next(&it, &name, &nl, &val, &vl), MZMTP_OK);
    TU_ASSERT_HEX(name, nl, "'X-Foo'");
    TU_ASSERT_HEX(val, vl, "'hi'");
    TU_ASSERT_STATUS(mzmtp_wire_metadata_next(&it, &name, &nl, &val, &vl), MZMTP_AGAIN);
}

static void metadata_empty_block_has_no_properties(void **state)
{
    mzmtp_metadata_iter_t it;
    mzmtp_wire_metadata_begin(&it, (const uint8_t *)"", 0);
    const uint8_t *name, *val;
    size_t nl, vl;
    TU_ASSERT_STATUS(mzmtp_wire_metadata_next(&it, &name, &nl, &val, &vl), MZMTP_AGAIN);
}

static mzmtp_status_t last_status_of(const char *script)
{
    uint8_t md[128];
    size_t n = tu_script(script, md, sizeof md);
    mzmtp_metadata_iter_t it;
    mzmtp_wire_metadata_begin(&it, md, n);
    const uint8_t *name, *val;
    size_t nl, vl;
    mzmtp_status_t st;
    int guard = 0;
    while ((st = mzmtp_wire_metadata_next(&it, &name, &nl, &val, &vl)) == MZMTP_OK) {
        assert_true(name >= md && name + nl <= md + n);
        assert_true(val >= md && val + vl <= md + n);
        assert_true(++guard < 100);
    }
    return st;
}

static void metadata_rejects_a_truncated_property(void **state)
{
    /* M1: a truncated property closes the connection. */
    TU_ASSERT_STATUS(last_status_of("0B 'Socket-Type' 00 00"), MZMTP_ERR_PROTOCOL);
    TU_ASSERT_STATUS(last_status_of("0B 'Socket-Ty'"), MZMTP_ERR_PROTOCOL);
    TU_ASSERT_STATUS(last_status_of("0B 'Socket-Type' 00 00 00 03 'SUB' 08 'Iden'"), MZMTP_ERR_PROTOCOL);
}

static void metadata_rejects_a_single_leftover_byte(void **state)
{
    TU_ASSERT_STATUS(last_status_of("0B 'Socket-Type' 00 00 00 03 'SUB' 00"), MZMTP_ERR_PROTOCOL);
    TU_ASSERT_STATUS(last_status_of("0B 'Socket-Type' 00 00 00 03 'SUB' 05"), MZMTP_ERR_PROTOCOL);
}

static void metadata_rejects_a_value_length_past_the_block(void **state)
{
    TU_ASSERT_STATUS(last_status_of("0B 'Socket-Type' 00 00 00 04 'SUB'"), MZMTP_ERR_PROTOCOL);
    TU_ASSERT_STATUS(last_status_of("0B 'Socket-Type' FF FF FF FF 'SUB'"), MZMTP_ERR_PROTOCOL);
    TU_ASSERT_STATUS(last_status_of("0B 'Socket-Type' 80 00 00 00 'SUB'"), MZMTP_ERR_PROTOCOL);
}

static void metadata_rejects_a_name_length_past_the_block(void **state)
{
    TU_ASSERT_STATUS(last_status_of("20 'Socket-Type' 00 00 00 03 'SUB'"), MZMTP_ERR_PROTOCOL);
}

static void metadata_rejects_a_zero_length_name(void **state)
{
    TU_ASSERT_STATUS(last_status_of("00 00 00 00 03 'SUB'"), MZMTP_ERR_PROTOCOL);
}

static void metadata_property_encode_refuses_bad_input(void **state)
{
    uint8_t out[32];
    assert_int_equal(mzmtp_wire_encode_property(out, sizeof out, "", (const uint8_t *)"x", 1), 0);
    assert_int_equal(mzmtp_wire_encode_property(out, 18, "Socket-Type", (const uint8_t *)"SUB", 3), 0);
    assert_int_equal(mzmtp_wire_encode_property(out, 19, "Socket-Type", (const uint8_t *)"SUB", 3), 19);
}

static void metadata_names_compare_case_insensitively(void **state)
{
    /* M3: property names are case-insensitive. */
    static const name_case_t cases[] = {
        {"socket-type", "Socket-Type", true},
        {"SOCKET-TYPE", "Socket-Type", true},
        {"Socket-Type", "socket-type", true},
        {"Socket-Typf", "Socket-Type", false},
        {"Socket-Typ", "Socket-Type", false},
        {"Socket-Types", "Socket-Type", false},
    };
    expect_name_cases(mzmtp_wire_name_eq_nocase, cases, sizeof cases / sizeof cases[0]);
}

static void metadata_name_compare_folds_only_letters(void **state)
{
    /* '@' (40) and '`' (60), '[' (5B) and '{' (7B), '-' (2D) and 0D differ by 0x20 but are
     * not the same letter in two cases. */
    static const name_case_t cases[] = {
        {"`", "@", false},
        {"{", "[", false},
        {"Socket\rType", "Socket-Type", false},
        {"\xc9", "\xe9", false},
    };
    expect_name_cases(mzmtp_wire_name_eq_nocase, cases, sizeof cases / sizeof cases[0]);
}

/* ---------------------------------------------------------------- socket types ----- */

static void socket_type_names_are_libzmqs(void **state)
{
    static const char *const names[] = {"PAIR", "PUB", "SUB", "REQ", "REP", "DEALER",
                                        "ROUTER", "PULL", "PUSH", "XPUB", "XSUB"};
    for (int t = 0; t < MZMTP_SOCKET_TYPE_COUNT; t++) {
        assert_string_equal(mzmtp_wire_socket_type_name(t), names[t]);
        assert_int_equal(mzmtp_wire_socket_type_parse((const uint8_t *)names[t], strlen(names[t])), t);
    }
    assert_null(mzmtp_wire_socket_type_name(-1));
    assert_null(mzmtp_wire_socket_type_name(MZMTP_SOCKET_TYPE_COUNT));
}

static void socket_type_parse_is_exact_and_case_sensitive(void **state)
{
    /* M4: "pull" is rejected. */
    assert_int_equal(mzmtp_wire_socket_type_parse((const uint8_t *)"pull", 4), -1);
    assert_int_equal(mzmtp_wire_socket_type_parse((const uint8_t *)"PUBX", 4), -1);
    assert_int_equal(mzmtp_wire_socket_type_parse((const uint8_t *)"PU", 2), -1);
    assert_int_equal(mzmtp_wire_socket_type_parse((const uint8_t *)"SUB\0", 4), -1);
    assert_int_equal(mzmtp_wire_socket_type_parse((const uint8_t *)"", 0), -1);
    assert_int_equal(mzmtp_wire_socket_type_parse((const uint8_t *)"CLIENT", 6), -1);
}

static void socket_type_table_is_rfc37s_exhaustively(void **state)
{
    /* M5, rows: our type, columns: peer type, in mzmtp_socket_type_t order
     * PAIR PUB SUB REQ REP DEALER ROUTER PULL PUSH XPUB XSUB */
    static const char *const table[MZMTP_SOCKET_TYPE_COUNT] = {
        "10000000000", /* PAIR   - PAIR */
        "00100000001", /* PUB    - SUB XSUB */
        "01000000010", /* SUB    - PUB XPUB */
        "00001010000", /* REQ    - REP ROUTER */
        "00010100000", /* REP    - REQ DEALER */
        "00001110000", /* DEALER - REP DEALER ROUTER */
        "00010110000", /* ROUTER - REQ DEALER ROUTER */
        "00000000100", /* PULL   - PUSH */
        "00000001000", /* PUSH   - PULL */
        "00100000001", /* XPUB   - SUB XSUB */
        "01000000010", /* XSUB   - PUB XPUB */
    };
    for (int a = 0; a < MZMTP_SOCKET_TYPE_COUNT; a++) {
        for (int b = 0; b < MZMTP_SOCKET_TYPE_COUNT; b++) {
            bool exp = table[a][b] == '1';
            if (mzmtp_wire_socket_types_compatible(a, b) != exp)
                fail_msg("%s-%s should be %s", mzmtp_wire_socket_type_name(a),
                         mzmtp_wire_socket_type_name(b), exp ? "compatible" : "incompatible");
            /* The relation is symmetric. */
            assert_int_equal(mzmtp_wire_socket_types_compatible(a, b),
                             mzmtp_wire_socket_types_compatible(b, a));
        }
        assert_false(mzmtp_wire_socket_types_compatible(a, -1));
        assert_false(mzmtp_wire_socket_types_compatible(a, MZMTP_SOCKET_TYPE_COUNT));
        assert_false(mzmtp_wire_socket_types_compatible(-1, a));
    }
}

static void status_names_and_fatal_ranges(void **state)
{
    assert_string_equal(mzmtp_status_str(MZMTP_ERR_PROTOCOL), "MZMTP_ERR_PROTOCOL");
    assert_string_equal(mzmtp_status_str(MZMTP_OK), "MZMTP_OK");
    assert_false(mzmtp_status_is_fatal(MZMTP_OK));
    assert_false(mzmtp_status_is_fatal(MZMTP_AGAIN));
    assert_false(mzmtp_status_is_fatal(MZMTP_ERR_INVALID));
    assert_false(mzmtp_status_is_fatal(MZMTP_ERR_NO_MEMORY));
    assert_true(mzmtp_status_is_fatal(MZMTP_ERR_PROTOCOL));
    assert_true(mzmtp_status_is_fatal(MZMTP_ERR_TIMEOUT));
    assert_true(mzmtp_status_is_fatal(MZMTP_ERR_CLOSED));
    assert_true(mzmtp_status_is_fatal(MZMTP_ERR_AUTH));
    assert_true(mzmtp_status_is_fatal(MZMTP_ERR_CRYPTO));
    assert_true(mzmtp_status_is_fatal(MZMTP_ERR_PEER_LIMIT));
    assert_false(mzmtp_status_is_fatal(MZMTP_ERR_LIMIT));
    assert_string_equal(mzmtp_status_str(MZMTP_ERR_PEER_LIMIT), "MZMTP_ERR_PEER_LIMIT");
    assert_non_null(mzmtp_status_str((mzmtp_status_t)-99));
}

static void no_retry_after_a_protocol_error(void **state)
{
    /* wire-notes R2: libzmq's connecting side never reconnects after these. */
    assert_false(mzmtp_status_allows_reconnect(MZMTP_ERR_PROTOCOL));
    assert_false(mzmtp_status_allows_reconnect(MZMTP_ERR_VERSION));
    assert_false(mzmtp_status_allows_reconnect(MZMTP_ERR_MECHANISM));
    assert_false(mzmtp_status_allows_reconnect(MZMTP_ERR_SOCKET_TYPE));
    assert_false(mzmtp_status_allows_reconnect(MZMTP_ERR_PEER_ERROR));
    assert_false(mzmtp_status_allows_reconnect(MZMTP_ERR_MSG_SIZE));
    assert_false(mzmtp_status_allows_reconnect(MZMTP_ERR_AUTH));
    assert_false(mzmtp_status_allows_reconnect(MZMTP_ERR_CRYPTO));
}

static void retry_after_transport_losses_and_timeouts(void **state)
{
    static const mzmtp_status_t ok[] = {
        MZMTP_OK,          MZMTP_AGAIN,           MZMTP_ERR_INVALID,  MZMTP_ERR_STATE,
        MZMTP_ERR_NOT_SUPPORTED, MZMTP_ERR_NO_MEMORY, MZMTP_ERR_LIMIT, MZMTP_ERR_TRUNCATED,
        MZMTP_ERR_UNROUTABLE, MZMTP_ERR_TIMEOUT, MZMTP_ERR_CLOSED, MZMTP_ERR_PEER_LIMIT,
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        if (!mzmtp_status_allows_reconnect(ok[i])) print_error("%s\n", mzmtp_status_str(ok[i]));
        assert_true(mzmtp_status_allows_reconnect(ok[i]));
    }
}

/* The engine writes through these (issue 13: one encoder for the codec's tests and the
 * product): the command head, properties with a given name length, and type traits. */
static void command_head_is_the_start_of_the_whole_command(void **state)
{
    (void)state;
    uint8_t whole[600], head[16];
    static const uint8_t data[300] = {1, 2, 3};
    static const size_t lens[] = {0, 3, 246, 247, 300};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        size_t w = mzmtp_wire_encode_command(whole, sizeof whole, "PING", data, lens[i]);
        size_t h = mzmtp_wire_encode_command_head(head, sizeof head, (const uint8_t *)"PING", 4, lens[i]);
        assert_int_equal(h, mzmtp_wire_command_head_size(4, lens[i]));
        assert_int_equal(w, h + lens[i]);
        assert_memory_equal(whole, head, h);
        assert_int_equal(mzmtp_wire_encode_command_head(NULL, 0, (const uint8_t *)"PING", 4, lens[i]), h);
    }
    assert_int_equal(mzmtp_wire_encode_command_head(head, 5, (const uint8_t *)"PING", 4, 0), 0);
    assert_int_equal(mzmtp_wire_encode_command_head(head, 16, (const uint8_t *)"", 0, 0), 0);
}

static void property_n_equals_property(void **state)
{
    (void)state;
    uint8_t a[64], b[64];
    size_t na = mzmtp_wire_encode_property(a, sizeof a, "Identity", (const uint8_t *)"xy", 2);
    size_t nb = mzmtp_wire_encode_property_n(b, sizeof b, (const uint8_t *)"Identity", 8,
                                             (const uint8_t *)"xy", 2);
    assert_int_equal(na, 15);
    assert_int_equal(nb, na);
    assert_memory_equal(a, b, na);
    assert_int_equal(mzmtp_wire_encode_property_n(b, 14, (const uint8_t *)"Identity", 8,
                                                  (const uint8_t *)"xy", 2), 0);
}

static void socket_type_info_gives_peers_and_traits(void **state)
{
    (void)state;
    uint16_t peers;
    uint8_t traits;
    for (int a = 0; a < MZMTP_SOCKET_TYPE_COUNT; a++) {
        assert_true(mzmtp_wire_socket_type_info(a, &peers, &traits));
        for (int b = 0; b < MZMTP_SOCKET_TYPE_COUNT; b++) {
            assert_int_equal((peers >> b) & 1u, mzmtp_wire_socket_types_compatible(a, b));
        }
        bool id = a == MZMTP_REQ || a == MZMTP_DEALER || a == MZMTP_ROUTER;
        bool subs = a == MZMTP_PUB || a == MZMTP_XPUB;
        assert_int_equal((traits & MZMTP_WIRE_TYPE_SENDS_IDENTITY) != 0, id);
        assert_int_equal((traits & MZMTP_WIRE_TYPE_TAKES_SUBSCRIPTIONS) != 0, subs);
    }
    assert_false(mzmtp_wire_socket_type_info(11, &peers, &traits));
    assert_int_equal(peers, 0);
    assert_false(mzmtp_wire_socket_type_info(-1, &peers, &traits));
}

/* The constants a build of PUB or PUSH alone takes instead of the tables. */
static void one_type_constants_are_the_tables_entries(void **state)
{
    (void)state;
    static const struct {
        int type;
        const char *name;
        unsigned peers, traits;
    } rows[] = {
        {MZMTP_PUB, MZMTP_WIRE_PUB_NAME, MZMTP_WIRE_PUB_PEERS, MZMTP_WIRE_PUB_TRAITS},
        {MZMTP_PUSH, MZMTP_WIRE_PUSH_NAME, MZMTP_WIRE_PUSH_PEERS, MZMTP_WIRE_PUSH_TRAITS},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        uint16_t peers;
        uint8_t traits;
        assert_true(mzmtp_wire_socket_type_info(rows[i].type, &peers, &traits));
        assert_int_equal(peers, rows[i].peers);
        assert_int_equal(traits, rows[i].traits);
        assert_string_equal(mzmtp_wire_socket_type_name(rows[i].type), rows[i].name);
    }
}

static void engine_greetings_are_the_encoders_bytes(void **state)
{
    (void)state;
    static const uint8_t flash[64] = MZMTP_WIRE_GREETING('C', 'U', 'R', 'V', 'E', 1);
    uint8_t out[64];
    assert_int_equal(mzmtp_wire_encode_greeting(out, sizeof out, "CURVE", true), 64);
    assert_memory_equal(out, flash, 64);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(command_head_is_the_start_of_the_whole_command),
        cmocka_unit_test(property_n_equals_property),
        cmocka_unit_test(socket_type_info_gives_peers_and_traits),
        cmocka_unit_test(one_type_constants_are_the_tables_entries),
        cmocka_unit_test(engine_greetings_are_the_encoders_bytes),
        cmocka_unit_test(greeting_encodes_the_64_rfc37_bytes_for_null),
        cmocka_unit_test(greeting_encode_sets_as_server_in_byte_32),
        cmocka_unit_test(greeting_encode_refuses_a_short_buffer),
        cmocka_unit_test(greeting_encode_with_null_buffer_returns_size),
        cmocka_unit_test(greeting_encode_refuses_a_mechanism_over_20_chars),
        cmocka_unit_test(greeting_decode_accepts_a_libzmq_greeting),
        cmocka_unit_test(greeting_decode_reads_as_server),
        cmocka_unit_test(greeting_decode_ignores_padding_bytes_1_to_8),
        cmocka_unit_test(greeting_decode_rejects_bad_byte_0),
        cmocka_unit_test(greeting_decode_rejects_bad_byte_9),
        cmocka_unit_test(greeting_decode_fails_a_bad_signature_after_10_bytes),
        cmocka_unit_test(greeting_decode_rejects_major_2_as_version),
        cmocka_unit_test(greeting_decode_accepts_minor_0_as_zmtp_3_0),
        cmocka_unit_test(greeting_decode_accepts_major_4),
        cmocka_unit_test(greeting_decode_accepts_minor_255),
        cmocka_unit_test(greeting_decode_says_again_on_every_valid_prefix),
        cmocka_unit_test(frame_hdr_encodes_short_form_up_to_255),
        cmocka_unit_test(frame_hdr_encodes_long_form_from_256),
        cmocka_unit_test(frame_hdr_encode_refuses_illegal_flags),
        cmocka_unit_test(frame_hdr_encode_refuses_a_short_buffer),
        cmocka_unit_test(frame_hdr_decodes_every_legal_flag_byte),
        cmocka_unit_test(frame_hdr_decode_accepts_long_form_for_a_small_body),
        cmocka_unit_test(frame_hdr_decode_accepts_the_largest_legal_size),
        cmocka_unit_test(frame_hdr_decode_rejects_reserved_bits),
        cmocka_unit_test(frame_hdr_decode_rejects_more_on_a_command),
        cmocka_unit_test(frame_hdr_decode_rejects_size_of_2_pow_63_or_more),
        cmocka_unit_test(frame_hdr_decode_says_again_on_partial_input),
        cmocka_unit_test(frame_hdr_roundtrips_through_encode_and_decode),
        cmocka_unit_test(sub_ready_encodes_exactly_as_libzmq),
        cmocka_unit_test(dealer_ready_with_empty_identity_encodes_exactly_as_libzmq),
        cmocka_unit_test(subscribe_command_encodes_as_in_test_mock_pub_sub),
        cmocka_unit_test(command_with_a_long_body_uses_the_long_header),
        cmocka_unit_test(command_encode_refuses_bad_names_and_small_buffers),
        cmocka_unit_test(command_encode_with_null_buffer_returns_size),
        cmocka_unit_test(command_decode_splits_name_and_data),
        cmocka_unit_test(command_decode_accepts_a_command_with_no_data),
        cmocka_unit_test(command_decode_rejects_empty_body),
        cmocka_unit_test(command_decode_rejects_name_len_past_the_body),
        cmocka_unit_test(command_decode_rejects_a_zero_length_name),
        cmocka_unit_test(command_name_is_is_exact_and_case_sensitive),
        cmocka_unit_test(metadata_iterates_over_good_properties),
        cmocka_unit_test(metadata_empty_block_has_no_properties),
        cmocka_unit_test(metadata_rejects_a_truncated_property),
        cmocka_unit_test(metadata_rejects_a_single_leftover_byte),
        cmocka_unit_test(metadata_rejects_a_value_length_past_the_block),
        cmocka_unit_test(metadata_rejects_a_name_length_past_the_block),
        cmocka_unit_test(metadata_rejects_a_zero_length_name),
        cmocka_unit_test(metadata_property_encode_refuses_bad_input),
        cmocka_unit_test(metadata_names_compare_case_insensitively),
        cmocka_unit_test(metadata_name_compare_folds_only_letters),
        cmocka_unit_test(socket_type_names_are_libzmqs),
        cmocka_unit_test(socket_type_parse_is_exact_and_case_sensitive),
        cmocka_unit_test(socket_type_table_is_rfc37s_exhaustively),
        cmocka_unit_test(status_names_and_fatal_ranges),
        cmocka_unit_test(no_retry_after_a_protocol_error),
        cmocka_unit_test(retry_after_transport_losses_and_timeouts),
    };
    return cmocka_run_group_tests_name("wire", tests, NULL, NULL);
}
