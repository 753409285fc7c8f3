/*
 * One status, one meaning (mzmtp_status.h): MZMTP_AGAIN is "not now, nothing done";
 * MZMTP_ERR_NO_MEMORY is "can never fit"; what a peer sends yields OK, AGAIN or a fatal
 * status, never a limit status a port would have to interpret.
 */
#include "testutil.h"

#include <stdio.h>

static uint8_t push_send[256], push_recv[(size_t)MZMTP_CONF_MAX_PEERS * 1024];
static uint8_t pull_send[256], pull_recv[(size_t)MZMTP_CONF_MAX_PEERS * 1024];
static mzmtp_peer_t push_peers[1], pull_peers[1];
/* the smallest per-peer areas a PUSH and a PULL take: a command buffer of MZMTP_CMD_MIN */
static uint8_t push_pbuf[MZMTP_CMD_MIN], pull_pbuf[MZMTP_CMD_MIN];
static mzmtp_socket_t push, pull;
static tu_link_t l;

static void push_pull(void)
{
    static mzmtp_socket_mem_t a, b;
    a = (mzmtp_socket_mem_t){push_send, sizeof push_send, push_recv, 1024, push_peers, 1,
                             push_pbuf, sizeof push_pbuf};
    b = (mzmtp_socket_mem_t){pull_send, sizeof pull_send, pull_recv, 1024, pull_peers, 1,
                             pull_pbuf, sizeof pull_pbuf};
    tu_socket_init(&push, MZMTP_PUSH, &a);
    tu_socket_init(&pull, MZMTP_PULL, &b);
    tu_connect_sockets(&l, &push, &pull, 0);
    tu_pump(&l, 1, 0);
    assert_int_equal(mzmtp_socket_peer_count(&push), 1);
}

/* PUSH sends a frame of @p len bytes (MORE if @p more): mzmtp_socket_send() says @p st. */
static void expect_send(size_t len, bool more, mzmtp_status_t st)
{
    static uint8_t frame[256];
    assert_true(len <= sizeof frame);
    memset(frame, 'f', len);
    TU_ASSERT_STATUS(mzmtp_socket_send(&push, frame, len, more), st);
}

static void expect_msg(size_t nframes, const size_t *lens)
{
    uint8_t buf[600];
    size_t len = 0, fl[4];
    unsigned nf = 0;
    TU_ASSERT_STATUS(tu_socket_recv_msg(&pull, buf, sizeof buf, &len, &nf, fl, 4), MZMTP_OK);
    assert_int_equal(nf, nframes);
    for (size_t i = 0; i < nframes; i++) assert_int_equal(fl[i], lens[i]);
}

static void ring_full_for_now_is_again_and_the_message_stays_open(void **state)
{
    /* A 256-byte ring holds a 100-byte message; a 40 + 150-byte message would fit the
     * empty ring, so its second frame is MZMTP_AGAIN, not NO_MEMORY. */
    push_pull();
    expect_send(100, false, MZMTP_OK);
    expect_send(40, true, MZMTP_OK);
    expect_send(150, false, MZMTP_AGAIN);
    tu_pump(&l, 1, 0); /* the 100-byte message is written */
    expect_send(150, false, MZMTP_OK); /* the same frame */
    tu_pump(&l, 1, 0);
    expect_msg(1, (const size_t[]){100});
    expect_msg(2, (const size_t[]){40, 150});
}

static void first_frame_again_leaves_nothing_behind(void **state)
{
    push_pull();
    expect_send(150, false, MZMTP_OK);
    expect_send(150, true, MZMTP_AGAIN);
    /* Nothing is open: a different message may follow. */
    tu_pump(&l, 1, 0);
    expect_send(10, false, MZMTP_OK);
    tu_pump(&l, 1, 0);
    expect_msg(1, (const size_t[]){150});
    expect_msg(1, (const size_t[]){10});
}

static void message_larger_than_the_empty_ring_is_no_memory(void **state)
{
    push_pull();
    expect_send(100, true, MZMTP_OK);
    expect_send(160, false, MZMTP_ERR_NO_MEMORY);
    /* It is gone whole; the ring is usable. */
    expect_send(5, false, MZMTP_OK);
    tu_pump(&l, 1, 0);
    expect_msg(1, (const size_t[]){5});
    /* Also with a single frame, and with the rest of a multipart message swallowed. */
    expect_send(256, true, MZMTP_ERR_NO_MEMORY);
    expect_send(3, false, MZMTP_OK); /* swallowed */
    expect_send(4, false, MZMTP_OK);
    tu_pump(&l, 1, 0);
    expect_msg(1, (const size_t[]){4});
}

static void peer_over_a_limit_of_ours_is_fatal_not_a_limit(void **state)
{
    /* A subscriber that fills our subscription table: rx_commit says PEER_LIMIT, which is
     * fatal (the port closes), never the non-fatal ERR_LIMIT range. */
    static uint8_t ps[1024], pr[(size_t)MZMTP_CONF_MAX_PEERS * 1024];
    static mzmtp_socket_mem_t pm;
    static mzmtp_socket_t pub;
    static mzmtp_peer_t pp[MZMTP_CONF_MAX_PEERS];
    static uint8_t ppb[(size_t)MZMTP_CONF_MAX_PEERS * MZMTP_CMD_MIN]; /* a PUB's smallest */
    pm = (mzmtp_socket_mem_t){ps, sizeof ps, pr, 1024, pp, MZMTP_CONF_MAX_PEERS, ppb, MZMTP_CMD_MIN};
    tu_socket_init(&pub, MZMTP_PUB, &pm);
    int p = -1;
    TU_ASSERT_STATUS(mzmtp_socket_peer_open(&pub, false, &p), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_socket_peer_start(&pub, p, 0), MZMTP_OK);
    static uint8_t script[1 << 16];
    tu_buf_t b = TU_BUF(script);
    tu_put_handshake(&b, 1, "SUB");
    mzmtp_status_t st = tu_socket_feed(&pub, p, script, b.len, 0);
    TU_ASSERT_STATUS(st, MZMTP_OK);
    for (unsigned i = 0; i < 100000 && st == MZMTP_OK; i++) {
        char topic[32];
        int n = snprintf(topic, sizeof topic, "topic-%u", i);
        tu_buf_t c = TU_BUF(script);
        tu_put_command(&c, "SUBSCRIBE", topic, (size_t)n);
        st = tu_socket_feed(&pub, p, script, c.len, 0);
    }
    TU_ASSERT_STATUS(st, MZMTP_ERR_PEER_LIMIT);
    assert_true(mzmtp_status_is_fatal(st));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ring_full_for_now_is_again_and_the_message_stays_open),
        cmocka_unit_test(first_frame_again_leaves_nothing_behind),
        cmocka_unit_test(message_larger_than_the_empty_ring_is_no_memory),
        cmocka_unit_test(peer_over_a_limit_of_ours_is_fatal_not_a_limit),
    };
    return cmocka_run_group_tests_name("status_rules", tests, NULL, NULL);
}
