/*
 * The send ring (mzmtp_outq_*): messages stored once and shared by pipes, HWM accounting,
 * wrap-around, rollback of messages that do not fit, and rewinding a half-written message.
 */
#include "testutil.h"

static mzmtp_outq_t q;
/* Big enough for MZMTP_CONF_SEND_SLOTS one-byte messages plus the largest model ring. */
static uint8_t ring[MZMTP_CONF_SEND_SLOTS * 3u + 8192u];

/* Everything pipe @p p would write next, as one buffer (up to @p max vectors). */
static size_t peek_all(unsigned p, uint8_t *out, size_t cap, bool one_message, size_t *nvec)
{
    mzmtp_iov_t iov[8];
    size_t n = mzmtp_outq_peek(&q, p, iov, 8, one_message);
    assert_true(n <= 8);
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        assert_true(iov[i].len <= cap - total);
        memcpy(out + total, iov[i].base, iov[i].len);
        total += iov[i].len;
    }
    if (nvec) *nvec = n;
    return total;
}

/* What pipe @p p has to write (one message, or all it has) is exactly @p script. */
static void expect_peek(unsigned p, bool one_message, const char *script)
{
    uint8_t out[256];
    size_t n = peek_all(p, out, sizeof out, one_message, NULL);
    TU_ASSERT_HEX(out, n, script);
}

/* Start a message for the pipes named by the bits of @p bits. */
static void begin(uint32_t bits) { tu_outq_begin(&q, bits); }

static void commit(uint32_t mask, const char *s)
{
    begin(mask);
    TU_ASSERT_STATUS(mzmtp_outq_add_frame(&q, (const uint8_t *)s, strlen(s), false), MZMTP_OK);
}

static void commit_len(uint32_t mask, size_t len, uint8_t fill)
{
    static uint8_t body[4096];
    memset(body, fill, len);
    begin(mask);
    TU_ASSERT_STATUS(mzmtp_outq_add_frame(&q, body, len, false), MZMTP_OK);
}

static void consume_all(unsigned p)
{
    mzmtp_iov_t iov[8];
    for (int guard = 0; guard < 10000; guard++) {
        size_t n = mzmtp_outq_peek(&q, p, iov, 8, false);
        if (n == 0) return;
        size_t total = 0;
        for (size_t i = 0; i < n; i++) total += iov[i].len;
        assert_true(total > 0);
        mzmtp_outq_advance(&q, p, total);
    }
    fail_msg("pipe %u never drains", p);
}

/* Pipes 0 and 1 take all they have: the ring of @p size bytes is empty again. */
static void both_pipes_drain_the_ring(size_t size)
{
    consume_all(0);
    consume_all(1);
    assert_int_equal(mzmtp_outq_room(&q), size);
}

static void setup_ring(size_t size, unsigned pipes)
{
    mzmtp_outq_init(&q, ring, size);
    for (unsigned p = 0; p < pipes; p++) mzmtp_outq_pipe_attach(&q, p);
}

/* ------------------------------------------------------------------ encoding -------- */

static void message_is_stored_as_zmtp_frames(void **state)
{
    setup_ring(256, 1);
    begin(1);
    TU_ASSERT_STATUS(mzmtp_outq_add_frame(&q, (const uint8_t *)"A", 1, true), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_outq_add_frame(&q, NULL, 0, true), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_outq_add_frame(&q, (const uint8_t *)"tail", 4, false), MZMTP_OK);
    expect_peek(0, true, "01 01 'A' | 01 00 | 00 04 'tail'");
    assert_int_equal(mzmtp_outq_pipe_queued(&q, 0), 1);
}

static void frame_over_255_bytes_uses_the_long_header(void **state)
{
    setup_ring(1024, 1);
    commit_len(1, 300, 'z');
    uint8_t out[400];
    size_t n = peek_all(0, out, sizeof out, true, NULL);
    assert_int_equal(n, 9 + 300);
    TU_ASSERT_HEX(out, 9, "02 00 00 00 00 00 00 01 2C");
}

static void message_is_invisible_until_its_last_frame(void **state)
{
    setup_ring(256, 1);
    begin(1);
    TU_ASSERT_STATUS(mzmtp_outq_add_frame(&q, (const uint8_t *)"A", 1, true), MZMTP_OK);
    mzmtp_iov_t iov[4];
    assert_int_equal(mzmtp_outq_peek(&q, 0, iov, 4, false), 0);
    assert_int_equal(mzmtp_outq_pipe_queued(&q, 0), 0);
    TU_ASSERT_STATUS(mzmtp_outq_add_frame(&q, (const uint8_t *)"B", 1, false), MZMTP_OK);
    assert_int_equal(mzmtp_outq_pipe_queued(&q, 0), 1);
}

/* ------------------------------------------------------------------ fan-out --------- */

static void fan_out_to_three_pipes_stores_the_message_once(void **state)
{
    TU_NEED_PEERS(3);
    setup_ring(256, 3);
    commit(0x7, "hello");
    mzmtp_iov_t a[4], b[4], c[4];
    assert_int_equal(mzmtp_outq_peek(&q, 0, a, 4, true), 1);
    assert_int_equal(mzmtp_outq_peek(&q, 1, b, 4, true), 1);
    assert_int_equal(mzmtp_outq_peek(&q, 2, c, 4, true), 1);
    /* Same bytes, same address: one copy in the ring. */
    assert_ptr_equal(a[0].base, b[0].base);
    assert_ptr_equal(a[0].base, c[0].base);
    TU_ASSERT_HEX(a[0].base, a[0].len, "00 05 'hello'");
    for (unsigned p = 0; p < 3; p++) assert_int_equal(mzmtp_outq_pipe_queued(&q, p), 1);
}

static void fan_out_slot_is_freed_only_when_every_pipe_wrote_it(void **state)
{
    TU_NEED_PEERS(3);
    setup_ring(64, 3);
    commit_len(0x7, 40, 'x'); /* 42 of 64 bytes */
    assert_false(mzmtp_outq_can_take(&q, 40));
    consume_all(0);
    assert_int_equal(mzmtp_outq_pipe_queued(&q, 0), 0);
    assert_int_equal(mzmtp_outq_pipe_queued(&q, 1), 1);
    assert_false(mzmtp_outq_can_take(&q, 40));
    consume_all(1);
    assert_false(mzmtp_outq_can_take(&q, 40));
    consume_all(2);
    assert_true(mzmtp_outq_can_take(&q, 40));
}

static void message_goes_only_to_the_pipes_in_its_mask(void **state)
{
    TU_NEED_PEERS(3);
    setup_ring(256, 3);
    commit(0x5, "to 0 and 2");
    assert_int_equal(mzmtp_outq_pipe_queued(&q, 0), 1);
    assert_int_equal(mzmtp_outq_pipe_queued(&q, 1), 0);
    assert_int_equal(mzmtp_outq_pipe_queued(&q, 2), 1);
    mzmtp_iov_t iov[4];
    assert_int_equal(mzmtp_outq_peek(&q, 1, iov, 4, false), 0);
}

static void pipe_attached_later_does_not_see_earlier_messages(void **state)
{
    TU_NEED_PEERS(2);
    setup_ring(256, 1);
    commit(0x1, "m1");
    mzmtp_outq_pipe_attach(&q, 1);
    assert_int_equal(mzmtp_outq_pipe_queued(&q, 1), 0);
    commit(0x3, "m2");
    expect_peek(1, false, "00 02 'm2'");
    expect_peek(0, false, "00 02 'm1' 00 02 'm2'");
}

static void pipe_drop_frees_what_only_it_held(void **state)
{
    TU_NEED_PEERS(2);
    setup_ring(64, 2);
    commit_len(0x3, 40, 'x');
    consume_all(0);
    assert_false(mzmtp_outq_can_take(&q, 40));
    mzmtp_outq_pipe_drop(&q, 1);
    assert_int_equal(mzmtp_outq_pipe_queued(&q, 1), 0);
    mzmtp_iov_t iov[4];
    assert_int_equal(mzmtp_outq_peek(&q, 1, iov, 4, false), 0);
    assert_true(mzmtp_outq_can_take(&q, 40));
}

static void pipe_drop_in_mid_message_frees_it(void **state)
{
    setup_ring(64, 1);
    commit_len(0x1, 40, 'x');
    mzmtp_outq_advance(&q, 0, 10);
    assert_true(mzmtp_outq_pipe_mid_message(&q, 0));
    mzmtp_outq_pipe_drop(&q, 0);
    assert_false(mzmtp_outq_pipe_mid_message(&q, 0));
    assert_true(mzmtp_outq_can_take(&q, 40));
}

static void dropped_pipe_reattached_starts_fresh(void **state)
{
    TU_NEED_PEERS(2);
    setup_ring(256, 2);
    commit(0x3, "old");
    mzmtp_outq_pipe_drop(&q, 1);
    mzmtp_outq_pipe_attach(&q, 1);
    commit(0x3, "new");
    expect_peek(1, false, "00 03 'new'");
    assert_int_equal(mzmtp_outq_pipe_queued(&q, 1), 1);
    assert_int_equal(mzmtp_outq_pipe_queued(&q, 0), 2);
}

static void pipe_dropped_while_a_message_is_open_does_not_get_it(void **state)
{
    TU_NEED_PEERS(2);
    setup_ring(256, 2);
    begin(0x3);
    TU_ASSERT_STATUS(mzmtp_outq_add_frame(&q, (const uint8_t *)"a", 1, true), MZMTP_OK);
    mzmtp_outq_pipe_drop(&q, 1); /* and attached again: a new peer in the same slot */
    TU_ASSERT_STATUS(mzmtp_outq_add_frame(&q, (const uint8_t *)"b", 1, false), MZMTP_OK);
    expect_peek(0, false, "01 01 'a' 00 01 'b'");
    mzmtp_iov_t iov[2];
    assert_int_equal(mzmtp_outq_peek(&q, 1, iov, 2, false), 0);
    assert_int_equal(mzmtp_outq_pipe_queued(&q, 1), 0);
    /* The next message reaches it. */
    commit(0x3, "next");
    expect_peek(1, false, "00 04 'next'");
    assert_int_equal(mzmtp_outq_pipe_queued(&q, 1), 1);
    both_pipes_drain_the_ring(256);
}

static void message_left_by_all_its_pipes_while_open_vanishes_and_the_next_arrives(void **state)
{
    setup_ring(256, 1);
    begin(0x1);
    TU_ASSERT_STATUS(mzmtp_outq_add_frame(&q, (const uint8_t *)"a", 1, true), MZMTP_OK);
    mzmtp_outq_pipe_drop(&q, 0);
    TU_ASSERT_STATUS(mzmtp_outq_add_frame(&q, (const uint8_t *)"b", 1, false), MZMTP_OK);
    mzmtp_iov_t iov[2];
    assert_int_equal(mzmtp_outq_peek(&q, 0, iov, 2, false), 0);
    commit(0x1, "c");
    expect_peek(0, false, "00 01 'c'");
    consume_all(0);
    assert_int_equal(mzmtp_outq_room(&q), 256);
}

static void one_peer_messages_go_to_that_peer_alone(void **state)
{
    TU_NEED_PEERS(2);
    setup_ring(256, 2);
    mzmtp_outq_begin_one(&q, 1);
    TU_ASSERT_STATUS(mzmtp_outq_add_frame(&q, (const uint8_t *)"to1", 3, false), MZMTP_OK);
    mzmtp_outq_begin_one(&q, 0);
    TU_ASSERT_STATUS(mzmtp_outq_add_frame(&q, (const uint8_t *)"to0", 3, false), MZMTP_OK);
    mzmtp_outq_begin_one(&q, 1);
    TU_ASSERT_STATUS(mzmtp_outq_add_frame(&q, (const uint8_t *)"again", 5, false), MZMTP_OK);
    assert_int_equal(mzmtp_outq_pipe_queued(&q, 0), 1);
    assert_int_equal(mzmtp_outq_pipe_queued(&q, 1), 2);
    expect_peek(1, false, "00 03 'to1' 00 05 'again'");
    expect_peek(0, false, "00 03 'to0'");
    consume_all(1);
    assert_false(mzmtp_outq_room(&q) == 256); /* "to0" still waits */
    consume_all(0);
    assert_int_equal(mzmtp_outq_room(&q), 256);
}

/* Every peer slot the build has gets the same message, stored once; the ring empties
 * when the last one has written it. */
static void fan_out_to_every_peer_slot(void **state)
{
    setup_ring(256, MZMTP_CONF_MAX_PEERS);
    mzmtp_peerset_t all;
    memset(&all, 0, sizeof all);
    for (unsigned p = 0; p < MZMTP_CONF_MAX_PEERS; p++) all.w[p / 32u] |= (uint32_t)1u << (p % 32u);
    for (int m = 0; m < 3; m++) {
        mzmtp_outq_begin(&q, all);
        TU_ASSERT_STATUS(mzmtp_outq_add_frame(&q, (const uint8_t *)"all", 3, false), MZMTP_OK);
    }
    for (unsigned p = 0; p < MZMTP_CONF_MAX_PEERS; p++) {
        assert_int_equal(mzmtp_outq_pipe_queued(&q, p), 3);
        assert_false(mzmtp_outq_room(&q) == 256);
        consume_all(p);
    }
    assert_int_equal(mzmtp_outq_room(&q), 256);
}

/* Sequence numbers are 32 bits and wrap: a pipe that held nothing while 2^31 + 5 messages
 * went by (its numbers then look ahead of the ring's) still gets the next one, at once. */
static void pipe_idle_for_2_to_the_31_messages_gets_the_next_one(void **state)
{
    TU_NEED_PEERS(2);
    setup_ring(256, 2);
    commit(0x3, "a");
    consume_all(0);
    consume_all(1);
    mzmtp_outq_pipe_shed(&q, 1);
    assert_int_equal(mzmtp_outq_room(&q), 256);
    q.seq_first += 0x80000005u; /* the ring is empty: only its numbering moves */
    commit(0x3, "b");
    expect_peek(1, false, "00 01 'b'");
    expect_peek(0, false, "00 01 'b'");
    consume_all(1);
    consume_all(0);
    assert_int_equal(mzmtp_outq_room(&q), 256);
}

#if MZMTP_OUTQ_WIDE
/* Beyond 32 peers a slot does not hold a peer set: its size is the same at 33 peers and
 * at 65535. */
static void slot_size_does_not_grow_with_peers(void **state)
{
    assert_true(sizeof(mzmtp_outq_slot_t) <= 24u + 2u * sizeof(void *));
    assert_true(sizeof(mzmtp_outq_slot_t) < sizeof(mzmtp_peerset_t) + 8u ||
                MZMTP_CONF_MAX_PEERS <= 256);
}

static unsigned groups_in_use(void)
{
    unsigned n = 0;
    for (unsigned g = 0; g < MZMTP_CONF_SEND_GROUPS; g++) n += q.group[g].slots != 0;
    return n;
}

static void messages_to_the_same_peers_share_one_recipient_set(void **state)
{
    setup_ring(256, 3);
    for (int m = 0; m < 5; m++) commit(0x7, "x");
    assert_int_equal(groups_in_use(), 1);
    commit(0x3, "y");
    commit(0x7, "z"); /* the first set again: found, not made anew */
    assert_int_equal(groups_in_use(), 2);
    for (unsigned p = 0; p < 3; p++) consume_all(p);
    assert_int_equal(groups_in_use(), 0);
    assert_int_equal(mzmtp_outq_room(&q), 256);
}

/* The count of begins that marks a peer dropped while a message is open wraps: past
 * 2^32 it must not match the mark of peers that were never dropped. */
static void begin_count_wrapping_leaves_no_peer_out(void **state)
{
    setup_ring(256, 2);
    q.open_gen = UINT32_MAX;
    commit(0x3, "w");
    assert_int_equal(mzmtp_outq_pipe_queued(&q, 0), 1);
    assert_int_equal(mzmtp_outq_pipe_queued(&q, 1), 1);
    both_pipes_drain_the_ring(256);
}

static void more_distinct_peer_sets_than_groups_wait_for_one(void **state)
{
    setup_ring(4096, 8);
    for (uint32_t i = 1; i <= MZMTP_CONF_SEND_GROUPS; i++) commit(i, "g");
    assert_int_equal(groups_in_use(), MZMTP_CONF_SEND_GROUPS);
    assert_false(mzmtp_outq_can_take(&q, 1));
    begin(MZMTP_CONF_SEND_GROUPS + 1u); /* a set no group holds */
    TU_ASSERT_STATUS(mzmtp_outq_add_frame(&q, (const uint8_t *)"n", 1, false), MZMTP_AGAIN);
    /* A message for one peer needs no group. */
    mzmtp_outq_begin_one(&q, 0);
    TU_ASSERT_STATUS(mzmtp_outq_add_frame(&q, (const uint8_t *)"one", 3, false), MZMTP_OK);
    for (unsigned p = 0; p < 8; p++) consume_all(p);
    assert_true(mzmtp_outq_can_take(&q, 1));
    assert_int_equal(mzmtp_outq_room(&q), 4096);
}
#endif

/* ------------------------------------------------------------------ peek/advance ---- */

static void peek_one_message_stops_at_the_message_end(void **state)
{
    setup_ring(256, 1);
    commit(0x1, "first");
    commit(0x1, "second");
    expect_peek(0, true, "00 05 'first'");
    expect_peek(0, false, "00 05 'first' 00 06 'second'");
}

static void advance_byte_by_byte_walks_the_stream(void **state)
{
    setup_ring(256, 1);
    commit(0x1, "ab");
    commit(0x1, "cd");
    uint8_t expect[8], got[8];
    size_t total = tu_script("00 02 'ab' 00 02 'cd'", expect, sizeof expect);
    for (size_t i = 0; i < total; i++) {
        uint8_t one[16];
        size_t n = peek_all(0, one, sizeof one, false, NULL);
        assert_true(n >= 1);
        got[i] = one[0];
        assert_int_equal(mzmtp_outq_pipe_mid_message(&q, 0), i != 0 && i != 4);
        mzmtp_outq_advance(&q, 0, 1);
    }
    TU_ASSERT_BYTES(got, total, expect, total);
    assert_int_equal(mzmtp_outq_pipe_queued(&q, 0), 0);
    assert_false(mzmtp_outq_pipe_mid_message(&q, 0));
}

static void queued_counts_messages_for_the_hwm(void **state)
{
    TU_NEED_PEERS(2);
    setup_ring(1024, 2);
    for (int i = 0; i < 5; i++) commit(0x3, "m");
    assert_int_equal(mzmtp_outq_pipe_queued(&q, 0), 5);
    mzmtp_outq_advance(&q, 0, 3 * 2);
    assert_int_equal(mzmtp_outq_pipe_queued(&q, 0), 3);
    assert_int_equal(mzmtp_outq_pipe_queued(&q, 1), 5);
}

/* ------------------------------------------------------------------ limits ---------- */

static void message_that_does_not_fit_is_rolled_back_whole(void **state)
{
    setup_ring(64, 1);
    begin(1);
    uint8_t body[64];
    memset(body, 'b', sizeof body);
    TU_ASSERT_STATUS(mzmtp_outq_add_frame(&q, body, 30, true), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_outq_add_frame(&q, body, 40, false), MZMTP_ERR_NO_MEMORY);
    mzmtp_iov_t iov[4];
    assert_int_equal(mzmtp_outq_peek(&q, 0, iov, 4, false), 0);
    assert_int_equal(mzmtp_outq_pipe_queued(&q, 0), 0);
    /* The bytes of the first frame were given back. */
    assert_true(mzmtp_outq_can_take(&q, 50));
    commit(0x1, "ok");
    expect_peek(0, false, "00 02 'ok'");
}

static void rollback_leaves_earlier_messages_alone(void **state)
{
    setup_ring(64, 1);
    commit(0x1, "keep");
    begin(1);
    uint8_t body[64] = {0};
    TU_ASSERT_STATUS(mzmtp_outq_add_frame(&q, body, 20, true), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_outq_add_frame(&q, body, 50, false), MZMTP_ERR_NO_MEMORY);
    expect_peek(0, false, "00 04 'keep'");
    assert_int_equal(mzmtp_outq_pipe_queued(&q, 0), 1);
}

static void frame_that_fits_only_an_emptier_ring_is_again_and_keeps_the_message(void **state)
{
    /* 22 + 42 bytes would fit the empty 64-byte ring: the ring is only full for now. */
    setup_ring(64, 1);
    commit(0x1, "keep");
    begin(1);
    uint8_t body[64];
    memset(body, 'x', sizeof body);
    TU_ASSERT_STATUS(mzmtp_outq_add_frame(&q, body, 20, true), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_outq_add_frame(&q, body, 40, false), MZMTP_AGAIN);
    assert_int_equal(mzmtp_outq_pipe_queued(&q, 0), 1);
    consume_all(0); /* "keep" is written: now the open message moves to the start */
    TU_ASSERT_STATUS(mzmtp_outq_add_frame(&q, body, 40, false), MZMTP_OK);
    uint8_t out[64];
    size_t n = peek_all(0, out, sizeof out, false, NULL);
    assert_int_equal(n, 64);
    assert_int_equal(out[0], 0x01);
    assert_int_equal(out[1], 20);
    assert_int_equal(out[22], 0x00);
    assert_int_equal(out[23], 40);
}

static void single_frame_larger_than_the_ring_is_refused(void **state)
{
    setup_ring(64, 1);
    assert_false(mzmtp_outq_can_take(&q, 63));
    begin(1);
    uint8_t body[100] = {0};
    TU_ASSERT_STATUS(mzmtp_outq_add_frame(&q, body, sizeof body, false), MZMTP_ERR_NO_MEMORY);
    assert_int_equal(mzmtp_outq_pipe_queued(&q, 0), 0);
}

static void ring_refuses_more_messages_than_slots(void **state)
{
    setup_ring(sizeof ring, 1);
    for (int i = 0; i < MZMTP_CONF_SEND_SLOTS; i++) commit(0x1, "s");
    assert_false(mzmtp_outq_can_take(&q, 1));
    begin(1);
    TU_ASSERT_STATUS(mzmtp_outq_add_frame(&q, (const uint8_t *)"s", 1, false), MZMTP_AGAIN);
    assert_int_equal(mzmtp_outq_pipe_queued(&q, 0), MZMTP_CONF_SEND_SLOTS);
    mzmtp_outq_advance(&q, 0, 3);
    assert_true(mzmtp_outq_can_take(&q, 1));
    commit(0x1, "t");
    assert_int_equal(mzmtp_outq_pipe_queued(&q, 0), MZMTP_CONF_SEND_SLOTS);
}

static void empty_mask_drops_the_message_silently(void **state)
{
    /* PUB with nobody subscribed, or every peer at HWM. */
    setup_ring(64, 1);
    begin(0);
    uint8_t body[100] = {0};
    TU_ASSERT_STATUS(mzmtp_outq_add_frame(&q, body, 30, true), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_outq_add_frame(&q, body, 100, false), MZMTP_OK);
    assert_int_equal(mzmtp_outq_pipe_queued(&q, 0), 0);
    assert_true(mzmtp_outq_can_take(&q, 50));
}

/* ------------------------------------------------------------------ rewind ---------- */

static void rewind_restarts_a_half_written_message(void **state)
{
    setup_ring(256, 1);
    commit(0x1, "0123456789");
    commit(0x1, "next");
    mzmtp_outq_advance(&q, 0, 3);
    assert_true(mzmtp_outq_pipe_mid_message(&q, 0));
    expect_peek(0, true, "'123456789'");
    mzmtp_outq_pipe_rewind(&q, 0);
    assert_false(mzmtp_outq_pipe_mid_message(&q, 0));
    expect_peek(0, false, "00 0A '0123456789' 00 04 'next'");
    assert_int_equal(mzmtp_outq_pipe_queued(&q, 0), 2);
}

static void rewind_at_a_message_boundary_changes_nothing(void **state)
{
    setup_ring(256, 1);
    commit(0x1, "a");
    commit(0x1, "b");
    mzmtp_outq_advance(&q, 0, 3);
    mzmtp_outq_pipe_rewind(&q, 0);
    expect_peek(0, false, "00 01 'b'");
}

static void rewind_of_one_pipe_leaves_the_others(void **state)
{
    TU_NEED_PEERS(2);
    setup_ring(256, 2);
    commit(0x3, "shared");
    mzmtp_outq_advance(&q, 0, 4);
    mzmtp_outq_advance(&q, 1, 5);
    mzmtp_outq_pipe_rewind(&q, 0);
    expect_peek(1, true, "'red'");
    expect_peek(0, true, "00 06 'shared'");
}

/* ------------------------------------------------------------------ wrap-around ----- */

static void message_wraps_to_the_start_of_the_ring(void **state)
{
    setup_ring(100, 1);
    commit_len(0x1, 28, 'a'); /* 30 bytes each */
    commit_len(0x1, 28, 'b');
    commit_len(0x1, 28, 'c');
    assert_false(mzmtp_outq_can_take(&q, 28)); /* 90 used, 10 left at the end */
    uint8_t out[256];
    size_t n = peek_all(0, out, sizeof out, true, NULL);
    assert_int_equal(n, 30);
    mzmtp_outq_advance(&q, 0, 30);
    n = peek_all(0, out, sizeof out, true, NULL);
    mzmtp_outq_advance(&q, 0, 30);
    assert_true(mzmtp_outq_can_take(&q, 28)); /* room at the start now */
    commit_len(0x1, 28, 'd');
    n = peek_all(0, out, sizeof out, false, NULL);
    assert_int_equal(n, 60);
    assert_int_equal(out[0], 0x00);
    assert_int_equal(out[1], 28);
    for (int i = 2; i < 30; i++) assert_int_equal(out[i], 'c');
    assert_int_equal(out[31], 28);
    for (int i = 32; i < 60; i++) assert_int_equal(out[i], 'd');
}

/* Pipes on both sides of every 32-bit word boundary the build has (31/32, 63/64, and its
 * last slot): one shared copy reaches each, and the slot is freed by the last of them. */
static void fan_out_reaches_pipes_in_every_word_of_the_set(void **state)
{
    static const unsigned want[] = {0, 1, 31, 32, 33, 63, 64, 65, MZMTP_CONF_MAX_PEERS - 1u};
    unsigned pipes[sizeof want / sizeof want[0]], n = 0;
    mzmtp_peerset_t set;
    memset(&set, 0, sizeof set);
    mzmtp_outq_init(&q, ring, 256);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        unsigned p = want[i];
        if (p >= MZMTP_CONF_MAX_PEERS || (n > 0 && pipes[n - 1] >= p)) continue;
        pipes[n++] = p;
        mzmtp_outq_pipe_attach(&q, p);
        set.w[p / 32u] |= (uint32_t)1u << (p % 32u);
    }
    mzmtp_outq_begin(&q, set);
    TU_ASSERT_STATUS(mzmtp_outq_add_frame(&q, (const uint8_t *)"wide", 4, false), MZMTP_OK);
    const uint8_t *base = NULL;
    for (unsigned i = 0; i < n; i++) {
        mzmtp_iov_t iov[2];
        assert_int_equal(mzmtp_outq_peek(&q, pipes[i], iov, 2, true), 1);
        if (base == NULL) base = iov[0].base;
        assert_ptr_equal(iov[0].base, base);
        TU_ASSERT_HEX(iov[0].base, iov[0].len, "00 04 'wide'");
        assert_int_equal(mzmtp_outq_pipe_queued(&q, pipes[i]), 1);
    }
    /* A slot between them was never attached nor named: it sees nothing. */
    if (MZMTP_CONF_MAX_PEERS > 40) {
        mzmtp_iov_t iov[2];
        mzmtp_outq_pipe_attach(&q, 40);
        assert_int_equal(mzmtp_outq_peek(&q, 40, iov, 2, false), 0);
    }
    /* The oldest message's unstarted peers are all of them, in every word. */
    mzmtp_peerset_t old = mzmtp_outq_oldest_mask(&q);
    assert_memory_equal(&old, &set, sizeof set);
    for (unsigned i = 0; i < n; i++) {
        assert_false(mzmtp_outq_room(&q) == 256);
        consume_all(pipes[i]);
        assert_int_equal(mzmtp_outq_pipe_queued(&q, pipes[i]), 0);
    }
    assert_int_equal(mzmtp_outq_room(&q), 256);
}

/* A reference model: what each pipe must write, message by message. */
#define MODEL_MSGS 65536
#define MODEL_QUEUE 4096
#define MODEL_PIPES (MZMTP_CONF_MAX_PEERS < 3 ? MZMTP_CONF_MAX_PEERS : 3)

typedef struct model_msg {
    uint8_t nframes;
    uint16_t flen[3];
    uint32_t seed;
} model_msg_t;

static model_msg_t msgs[MODEL_MSGS];
static struct {
    uint32_t ids[MODEL_QUEUE];
    unsigned head, count;
    size_t sent;
    bool attached;
} mp[MODEL_PIPES];

#if MZMTP_CONF_TX_ACK
/* What each pipe's "stack" holds: bytes written and not acknowledged, as the pointers it
 * was given and a copy of what they pointed at when written. The ring must leave them
 * alone until they are acknowledged. */
#define HELD_PIECES 4096
#define HELD_BYTES 32768
static struct {
    const uint8_t *base[HELD_PIECES];
    uint16_t len[HELD_PIECES];
    unsigned head, count;
    uint8_t copy[HELD_BYTES];
    size_t chead, bytes;
} held[MODEL_PIPES];

static void held_check(unsigned p)
{
    size_t c = held[p].chead;
    for (unsigned k = 0; k < held[p].count; k++) {
        unsigned i = (held[p].head + k) % HELD_PIECES;
        for (size_t b = 0; b < held[p].len[i]; b++) {
            if (held[p].base[i][b] != held[p].copy[(c + b) % HELD_BYTES])
                fail_msg("pipe %u: a written, unacknowledged byte changed", p);
        }
        c = (c + held[p].len[i]) % HELD_BYTES;
    }
}

static void held_push(unsigned p, const uint8_t *base, size_t len)
{
    assert_true(held[p].count < HELD_PIECES && held[p].bytes + len <= HELD_BYTES);
    unsigned i = (held[p].head + held[p].count++) % HELD_PIECES;
    held[p].base[i] = base;
    held[p].len[i] = (uint16_t)len;
    size_t c = (held[p].chead + held[p].bytes) % HELD_BYTES;
    for (size_t b = 0; b < len; b++) held[p].copy[(c + b) % HELD_BYTES] = base[b];
    held[p].bytes += len;
}

/* The stack lets go of the next @p n bytes of pipe @p p. */
static void held_ack(unsigned p, size_t n)
{
    held_check(p);
    mzmtp_outq_acked(&q, p, n);
    while (n > 0) {
        unsigned i = held[p].head;
        size_t k = n < held[p].len[i] ? n : held[p].len[i];
        held[p].base[i] += k;
        held[p].len[i] = (uint16_t)(held[p].len[i] - k);
        held[p].chead = (held[p].chead + k) % HELD_BYTES;
        held[p].bytes -= k;
        n -= k;
        if (held[p].len[i] == 0) {
            held[p].head = (held[p].head + 1) % HELD_PIECES;
            held[p].count--;
        }
    }
}

/* The transport is gone (rewind, drop): the stack holds nothing any more. */
static void held_forget(unsigned p)
{
    held_check(p);
    held[p].count = 0;
    held[p].bytes = 0;
}
#endif

static size_t encode_msg(const model_msg_t *m, uint8_t *out)
{
    size_t n = 0;
    tu_rng_t r;
    tu_rng_seed(&r, m->seed);
    for (unsigned f = 0; f < m->nframes; f++) {
        uint8_t flags = f + 1 < m->nframes ? 1 : 0;
        size_t len = m->flen[f];
        n += mzmtp_wire_encode_frame_hdr(out + n, 9, flags, len);
        tu_rng_fill(&r, out + n, len);
        n += len;
    }
    return n;
}

static void model_check_pipe(unsigned p, bool one_message, tu_rng_t *rng)
{
    static uint8_t expect[16384], got[16384];
    mzmtp_iov_t iov[4];
    size_t n = mzmtp_outq_peek(&q, p, iov, 4, one_message);
    assert_int_equal(mzmtp_outq_pipe_queued(&q, p), mp[p].count);
    assert_int_equal(mzmtp_outq_pipe_mid_message(&q, p), mp[p].sent != 0);
    if (mp[p].count == 0) {
        assert_int_equal(n, 0);
        return;
    }
    assert_true(n > 0);
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(got + total, iov[i].base, iov[i].len);
        total += iov[i].len;
    }
    /* The expected stream from this pipe's position. */
    size_t e = 0;
    for (unsigned k = 0; k < mp[p].count && e < total + mp[p].sent; k++) {
        e += encode_msg(&msgs[mp[p].ids[(mp[p].head + k) % MODEL_QUEUE]], expect + e);
        if (one_message) break;
    }
    assert_true(total > 0);
    assert_true(total <= e - mp[p].sent);
    TU_ASSERT_BYTES(got, total, expect + mp[p].sent, total);
    /* Write a random part of it. */
    size_t w = tu_rng_range(rng, 1, (uint32_t)total);
#if MZMTP_CONF_TX_ACK
    /* The stack keeps the pointers; the bytes are released later, in random amounts. */
    for (size_t i = 0, left = w; i < n && left > 0; i++) {
        size_t k = iov[i].len < left ? iov[i].len : left;
        held_push(p, iov[i].base, k);
        left -= k;
    }
    mzmtp_outq_written(&q, p, w);
#else
    mzmtp_outq_advance(&q, p, w);
#endif
    size_t left = w;
    while (left > 0) {
        size_t mlen = encode_msg(&msgs[mp[p].ids[mp[p].head]], expect);
        size_t rest = mlen - mp[p].sent;
        if (left >= rest) {
            left -= rest;
            mp[p].sent = 0;
            mp[p].head = (mp[p].head + 1) % MODEL_QUEUE;
            mp[p].count--;
        } else {
            mp[p].sent += left;
            left = 0;
        }
    }
}

/* With a slow pipe 0 (it writes one time in eight), the ring fills behind its head, and
 * the model also sheds pipes and compacts the ring, as a PUB does when its ring is full. */
static bool model_slow_pipe;

static void run_model(uint64_t seed, size_t ring_size, unsigned max_len, int steps)
{
    tu_rng_t rng;
    tu_rng_seed(&rng, seed);
    mzmtp_outq_init(&q, ring, ring_size);
    memset(mp, 0, sizeof mp);
#if MZMTP_CONF_TX_ACK
    memset(held, 0, sizeof held);
#endif
    for (unsigned p = 0; p < MODEL_PIPES; p++) {
        mzmtp_outq_pipe_attach(&q, p);
        mp[p].attached = true;
    }
    unsigned nmsgs = 0, refused = 0, accepted = 0;
    static uint8_t body[4096];
    for (int step = 0; step < steps; step++) {
        uint32_t op = tu_rng_below(&rng, 100);
        if (op < 40) {
            /* Send a message of 1..3 frames to a random subset of the attached pipes. */
            if (nmsgs == MODEL_MSGS) nmsgs = 0; /* ids are only looked up while queued */
            model_msg_t *m = &msgs[nmsgs];
            m->nframes = (uint8_t)tu_rng_range(&rng, 1, 3);
            m->seed = (uint32_t)tu_rng_next(&rng);
            for (unsigned f = 0; f < m->nframes; f++)
                m->flen[f] = (uint16_t)(tu_rng_below(&rng, 4) == 0 ? tu_rng_below(&rng, 4)
                                                                 : tu_rng_below(&rng, max_len + 1));
            uint32_t mask = 0;
            for (unsigned p = 0; p < MODEL_PIPES; p++)
                if (mp[p].attached && tu_rng_below(&rng, 4) != 0) mask |= (uint32_t)1 << p;
            bool all_empty = true;
            for (unsigned p = 0; p < MODEL_PIPES; p++) all_empty &= mp[p].count == 0;
#if MZMTP_CONF_TX_ACK
            for (unsigned p = 0; p < MODEL_PIPES; p++) all_empty &= held[p].bytes == 0;
#endif
            size_t enc = encode_msg(m, body);
            if (mask != 0 && (mask & (mask - 1u)) == 0 && (m->seed & 1u)) { /* rng untouched */
                unsigned one = 0;
                while (!(mask & ((uint32_t)1 << one))) one++;
                mzmtp_outq_begin_one(&q, one); /* as ROUTER, REQ and the round robin do */
            } else {
                begin(mask);
            }
            tu_rng_t r;
            tu_rng_seed(&r, m->seed);
            mzmtp_status_t st = MZMTP_OK;
            for (unsigned f = 0; f < m->nframes && st == MZMTP_OK; f++) {
                tu_rng_fill(&r, body, m->flen[f]);
                st = mzmtp_outq_add_frame(&q, body, m->flen[f], f + 1 < m->nframes);
            }
            if (st == MZMTP_OK) {
                if (mask == 0) continue;
                for (unsigned p = 0; p < MODEL_PIPES; p++) {
                    if (!(mask & ((uint32_t)1 << p))) continue;
                    assert_true(mp[p].count < MODEL_QUEUE);
                    mp[p].ids[(mp[p].head + mp[p].count) % MODEL_QUEUE] = nmsgs;
                    mp[p].count++;
                }
                nmsgs++;
                accepted++;
            } else {
                /* Never fits (larger than the ring): gone; full for now: it stays open
                 * and the model gives up on it. */
                TU_ASSERT_STATUS(st, enc > ring_size ? MZMTP_ERR_NO_MEMORY : MZMTP_AGAIN);
                mzmtp_outq_cancel(&q);
                assert_true(mask != 0);
                refused++;
                if (all_empty && enc < ring_size / 2)
                    fail_msg("step %d: a %zu-byte message was refused by an empty %zu-byte ring",
                             step, enc, ring_size);
            }
        } else if (op < 85) {
            unsigned p = tu_rng_below(&rng, MODEL_PIPES);
            if (model_slow_pipe && p == 0 && tu_rng_below(&rng, 8) != 0) p = 1;
#if MZMTP_CONF_TX_ACK
            /* The stack lets go of some of what it holds, now and then. */
            if (held[p].bytes > 0 && tu_rng_below(&rng, 2) == 0)
                held_ack(p, tu_rng_range(&rng, 1, (uint32_t)held[p].bytes));
#endif
            model_check_pipe(p, tu_rng_below(&rng, 2) == 0, &rng);
        } else if (model_slow_pipe && op < 88) {
            /* Every pipe keeps its place and its bytes, whatever moved. */
            (void)mzmtp_outq_compact(&q);
        } else if (model_slow_pipe && op < 90) {
            unsigned p = tu_rng_below(&rng, MODEL_PIPES);
            mzmtp_outq_pipe_shed(&q, p);
            mp[p].count = mp[p].sent != 0 && mp[p].count > 0 ? 1 : 0;
        } else if (op < 90) {
            unsigned p = tu_rng_below(&rng, MODEL_PIPES);
#if MZMTP_CONF_TX_ACK
            held_forget(p);
#endif
            mzmtp_outq_pipe_rewind(&q, p);
            mp[p].sent = 0;
        } else if (op < 95) {
            unsigned p = tu_rng_below(&rng, MODEL_PIPES);
            if (!mp[p].attached) continue;
#if MZMTP_CONF_TX_ACK
            held_forget(p);
#endif
            mzmtp_outq_pipe_drop(&q, p);
            mp[p].count = 0;
            mp[p].head = 0;
            mp[p].sent = 0;
            mp[p].attached = false;
            assert_int_equal(mzmtp_outq_pipe_queued(&q, p), 0);
        } else {
            unsigned p = tu_rng_below(&rng, MODEL_PIPES);
            if (mp[p].attached) continue;
            mzmtp_outq_pipe_attach(&q, p);
            mp[p].attached = true;
        }
    }
    /* Drain everything: the ring must come back to empty. */
    for (unsigned p = 0; p < MODEL_PIPES; p++)
        for (int guard = 0; mp[p].count > 0; guard++) {
            assert_true(guard < 100000);
            model_check_pipe(p, false, &rng);
        }
#if MZMTP_CONF_TX_ACK
    for (unsigned p = 0; p < MODEL_PIPES; p++)
        if (held[p].bytes > 0) held_ack(p, held[p].bytes);
#endif
    assert_true(mzmtp_outq_can_take(&q, ring_size / 2 - 10));
    /* The run must have exercised both outcomes. */
    if (accepted < (unsigned)steps / 10) fail_msg("only %u messages accepted", accepted);
    (void)refused;
}

static void model_check_small_ring_short_messages(void **state)
{
    for (uint64_t seed = 1; seed <= 10; seed++) run_model(seed, 256, 40, 5000);
}

static void model_check_ring_with_long_frames(void **state)
{
    for (uint64_t seed = 100; seed <= 105; seed++) run_model(seed, 1000, 300, 5000);
}

static void model_check_odd_ring_size(void **state)
{
    for (uint64_t seed = 200; seed <= 205; seed++) run_model(seed, 777, 120, 5000);
}

static void model_check_large_ring(void **state)
{
    run_model(300, 8192, 1000, 20000);
}

static void model_check_compaction_behind_a_slow_pipe(void **state)
{
    TU_NEED_PEERS(2); /* a slow pipe 0 behind a fast pipe 1 */
    model_slow_pipe = true;
    for (uint64_t seed = 400; seed <= 420; seed++) run_model(seed, 256, 40, 5000);
    for (uint64_t seed = 500; seed <= 505; seed++) run_model(seed, 1000, 300, 5000);
    for (uint64_t seed = 600; seed <= 605; seed++) run_model(seed, 777, 120, 5000);
    run_model(700, 8192, 1000, 20000);
    model_slow_pipe = false;
}

#if MZMTP_CONF_TX_ACK
/* Write everything queued for @p p (or its next message, if @p one) without releasing
 * it; @return the first vector. */
static const uint8_t *write_held(unsigned p, size_t *len, bool one)
{
    mzmtp_iov_t iov[8];
    size_t n = mzmtp_outq_peek(&q, p, iov, 8, one), total = 0;
    for (size_t i = 0; i < n; i++) total += iov[i].len;
    mzmtp_outq_written(&q, p, total);
    *len = total;
    return n ? iov[0].base : NULL;
}
#define write_unacked(p, len) write_held((p), (len), false)

static void slot_is_not_reused_while_written_and_not_acknowledged(void **state)
{
    setup_ring(64, 1);
    unsigned k = 0;
    while (mzmtp_outq_can_take(&q, 10)) {
        commit_len(1, 10, (uint8_t)('a' + k));
        k++;
    }
    assert_true(k >= 2);
    size_t len;
    const uint8_t *held_at = write_unacked(0, &len);
    assert_int_equal(len, 12u * k);
    assert_int_equal(mzmtp_outq_pipe_queued(&q, 0), 0); /* all written... */
    /* ...but none acknowledged: no room, and a new message is refused for now. */
    assert_false(mzmtp_outq_can_take(&q, 10));
    begin(1);
    TU_ASSERT_STATUS(mzmtp_outq_add_frame(&q, (const uint8_t *)"0123456789", 10, false), MZMTP_AGAIN);
    mzmtp_outq_cancel(&q);
    uint8_t first[12];
    TU_ASSERT_HEX(held_at, 12, "00 0a 'aaaaaaaaaa'");
    memcpy(first, held_at, 12);
    /* Half of the first message acknowledged: still no slot free. */
    mzmtp_outq_acked(&q, 0, 6);
    assert_false(mzmtp_outq_can_take(&q, 10));
    TU_ASSERT_BYTES(held_at, 12, first, 12);
    /* The first message acknowledged: its slot and bytes can be reused. */
    mzmtp_outq_acked(&q, 0, 6);
    assert_true(mzmtp_outq_can_take(&q, 10));
    commit_len(1, 10, 'z');
    /* Everything acknowledged: the ring is empty but for the new message. */
    mzmtp_outq_acked(&q, 0, 12u * (k - 1));
    uint8_t out[64];
    size_t n = peek_all(0, out, sizeof out, false, NULL);
    TU_ASSERT_HEX(out, n, "00 0a 'zzzzzzzzzz'");
}

static void acknowledgement_never_passes_what_was_written(void **state)
{
    setup_ring(64, 1);
    commit(1, "abc");
    commit(1, "def");
    mzmtp_iov_t iov[2];
    assert_int_equal(mzmtp_outq_peek(&q, 0, iov, 2, false), 1);
    mzmtp_outq_written(&q, 0, 7); /* the first message and 2 bytes of the second */
    mzmtp_outq_acked(&q, 0, 1000);  /* a port that says too much releases only those */
    uint8_t out[16];
    size_t n = peek_all(0, out, sizeof out, false, NULL);
    TU_ASSERT_HEX(out, n, "'def'");
    mzmtp_outq_written(&q, 0, 3);
    mzmtp_outq_acked(&q, 0, 3);
    assert_int_equal(mzmtp_outq_room(&q), 64);
}

static void compaction_leaves_written_unacknowledged_bytes_in_place(void **state)
{
    TU_NEED_PEERS(2);
    setup_ring(64, 2);
    commit(3, "AAAA");                /* both pipes */
    commit(2, "BBBBBBBBBBBBBBBBBBBB"); /* pipe 1 only */
    commit(3, "CCCC");                /* both */
    /* Pipe 1 writes and is acknowledged: B is dead, behind A which pipe 0 still needs. */
    size_t len;
    (void)write_unacked(1, &len);
    mzmtp_outq_acked(&q, 1, len);
    /* Pipe 0 writes A and the stack holds it. */
    mzmtp_iov_t iov[2];
    assert_true(mzmtp_outq_peek(&q, 0, iov, 2, true) == 1);
    const uint8_t *a = iov[0].base;
    mzmtp_outq_written(&q, 0, 6);
    /* Compaction squeezes B out, but A stays where the stack reads it. */
    (void)mzmtp_outq_compact(&q);
    TU_ASSERT_HEX(a, 6, "00 04 'AAAA'");
    uint8_t out[16];
    size_t n = peek_all(0, out, sizeof out, false, NULL);
    TU_ASSERT_HEX(out, n, "00 04 'CCCC'");
    commit_len(3, 20, 'D'); /* reuses B's bytes, not A's */
    TU_ASSERT_HEX(a, 6, "00 04 'AAAA'");
    mzmtp_outq_acked(&q, 0, 6);
    both_pipes_drain_the_ring(64);
}

static void rewind_releases_what_the_old_transport_held(void **state)
{
    setup_ring(64, 1);
    commit(1, "abc");
    commit(1, "defgh");
    mzmtp_outq_written(&q, 0, 5 + 3); /* "abc" whole, 3 bytes of the second */
    mzmtp_outq_pipe_rewind(&q, 0);     /* reconnect: the first counts as sent */
    uint8_t out[16];
    size_t n = peek_all(0, out, sizeof out, false, NULL);
    TU_ASSERT_HEX(out, n, "00 05 'defgh'");
    consume_all(0);
    assert_int_equal(mzmtp_outq_room(&q), 64);
}

static void drop_releases_what_the_old_transport_held(void **state)
{
    setup_ring(64, 1);
    commit(1, "abc");
    commit(1, "defgh");
    mzmtp_outq_written(&q, 0, 6);
    mzmtp_outq_pipe_drop(&q, 0);
    assert_int_equal(mzmtp_outq_room(&q), 64);
}

static void shed_keeps_written_unacknowledged_messages(void **state)
{
    setup_ring(64, 1);
    commit(1, "abc");
    commit(1, "def");
    commit(1, "ghi");
    mzmtp_outq_written(&q, 0, 5 + 2); /* abc whole, 2 bytes of def */
    /* Oldest not started by anyone: ghi (abc is written, def is being written). */
    mzmtp_peerset_t old = mzmtp_outq_oldest_mask(&q);
    assert_true(old.w[0] & 1u);
    mzmtp_outq_pipe_shed(&q, 0);
    assert_int_equal(mzmtp_outq_pipe_queued(&q, 0), 1); /* def */
    uint8_t out[16];
    size_t n = peek_all(0, out, sizeof out, false, NULL);
    TU_ASSERT_HEX(out, n, "'def'");
    mzmtp_outq_written(&q, 0, 3);
    old = mzmtp_outq_oldest_mask(&q);
    assert_int_equal(old.w[0], 0);
    mzmtp_outq_acked(&q, 0, 10);
    assert_int_equal(mzmtp_outq_room(&q), 64);
}

/* Shed, write more, shed again, all before any acknowledgement: the acknowledgements then
 * release exactly the written messages, stepping over both shed runs. */
static void acknowledgements_step_over_two_shed_runs(void **state)
{
    TU_NEED_PEERS(2);
    setup_ring(512, 2);
    commit(0x3, "A");
    commit(0x3, "B");
    size_t len;
    (void)write_held(0, &len, true); /* A */
    mzmtp_outq_pipe_shed(&q, 0);      /* B */
    assert_int_equal(mzmtp_outq_pipe_queued(&q, 0), 0);
    commit(0x3, "C");
    commit(0x3, "D");
    (void)write_held(0, &len, true); /* C */
    mzmtp_outq_pipe_shed(&q, 0);      /* D */
    assert_int_equal(mzmtp_outq_pipe_queued(&q, 0), 0);
    commit(0x3, "E");
    expect_peek(0, false, "00 01 'E'");
    consume_all(1);
    assert_false(mzmtp_outq_room(&q) == 512); /* A and C are still held */
    mzmtp_outq_acked(&q, 0, 6);                /* A and C, 3 bytes each */
    consume_all(0);
    assert_int_equal(mzmtp_outq_room(&q), 512);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(message_is_stored_as_zmtp_frames),
        cmocka_unit_test(frame_over_255_bytes_uses_the_long_header),
        cmocka_unit_test(message_is_invisible_until_its_last_frame),
        cmocka_unit_test(fan_out_to_three_pipes_stores_the_message_once),
        cmocka_unit_test(fan_out_slot_is_freed_only_when_every_pipe_wrote_it),
        cmocka_unit_test(message_goes_only_to_the_pipes_in_its_mask),
        cmocka_unit_test(fan_out_reaches_pipes_in_every_word_of_the_set),
        cmocka_unit_test(pipe_attached_later_does_not_see_earlier_messages),
        cmocka_unit_test(pipe_drop_frees_what_only_it_held),
        cmocka_unit_test(pipe_drop_in_mid_message_frees_it),
        cmocka_unit_test(dropped_pipe_reattached_starts_fresh),
        cmocka_unit_test(pipe_dropped_while_a_message_is_open_does_not_get_it),
        cmocka_unit_test(message_left_by_all_its_pipes_while_open_vanishes_and_the_next_arrives),
        cmocka_unit_test(one_peer_messages_go_to_that_peer_alone),
        cmocka_unit_test(fan_out_to_every_peer_slot),
        cmocka_unit_test(pipe_idle_for_2_to_the_31_messages_gets_the_next_one),
#if MZMTP_OUTQ_WIDE
        cmocka_unit_test(slot_size_does_not_grow_with_peers),
        cmocka_unit_test(messages_to_the_same_peers_share_one_recipient_set),
        cmocka_unit_test(more_distinct_peer_sets_than_groups_wait_for_one),
        cmocka_unit_test(begin_count_wrapping_leaves_no_peer_out),
#endif
        cmocka_unit_test(peek_one_message_stops_at_the_message_end),
        cmocka_unit_test(advance_byte_by_byte_walks_the_stream),
        cmocka_unit_test(queued_counts_messages_for_the_hwm),
        cmocka_unit_test(message_that_does_not_fit_is_rolled_back_whole),
        cmocka_unit_test(rollback_leaves_earlier_messages_alone),
        cmocka_unit_test(frame_that_fits_only_an_emptier_ring_is_again_and_keeps_the_message),
        cmocka_unit_test(single_frame_larger_than_the_ring_is_refused),
        cmocka_unit_test(ring_refuses_more_messages_than_slots),
        cmocka_unit_test(empty_mask_drops_the_message_silently),
        cmocka_unit_test(rewind_restarts_a_half_written_message),
        cmocka_unit_test(rewind_at_a_message_boundary_changes_nothing),
        cmocka_unit_test(rewind_of_one_pipe_leaves_the_others),
        cmocka_unit_test(message_wraps_to_the_start_of_the_ring),
        cmocka_unit_test(model_check_small_ring_short_messages),
        cmocka_unit_test(model_check_ring_with_long_frames),
        cmocka_unit_test(model_check_odd_ring_size),
        cmocka_unit_test(model_check_large_ring),
        cmocka_unit_test(model_check_compaction_behind_a_slow_pipe),
#if MZMTP_CONF_TX_ACK
        cmocka_unit_test(slot_is_not_reused_while_written_and_not_acknowledged),
        cmocka_unit_test(acknowledgement_never_passes_what_was_written),
        cmocka_unit_test(compaction_leaves_written_unacknowledged_bytes_in_place),
        cmocka_unit_test(rewind_releases_what_the_old_transport_held),
        cmocka_unit_test(drop_releases_what_the_old_transport_held),
        cmocka_unit_test(shed_keeps_written_unacknowledged_messages),
        cmocka_unit_test(acknowledgements_step_over_two_shed_runs),
#endif
    };
    return cmocka_run_group_tests_name("outq", tests, NULL, NULL);
}
