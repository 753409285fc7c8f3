/*
 * PUB under slow subscribers and reconnects (RFC 29: a slow subscriber only hurts
 * itself). A subscriber that keeps up receives every message, whatever the stalled ones
 * hold in the send ring — including a half-written message at the ring's head, which
 * used to pin the ring until every later message was dropped for everyone. The stalled
 * ones lose exactly what their HWM cannot hold. A connecting PUB keeps its peer's
 * subscriptions and queue across a reconnect (wire-notes R4).
 */
#include "testutil.h"

#include <stdio.h>

#define MSG_LEN 40 /* bytes of each message: "T000123" and padding */
#define RECV_BYTES 1024

/* Big enough for every host-profile send slot (8192) of MSG_LEN-byte messages. */
static uint8_t big_send[(MZMTP_CONF_SEND_SLOTS + 8u) * (MSG_LEN + 2u)];
static uint8_t recv_pub[(size_t)MZMTP_CONF_MAX_PEERS * RECV_BYTES];
#define NSUBS 4
static uint8_t sub_send[NSUBS][512];
static uint8_t sub_recv[NSUBS][(size_t)MZMTP_CONF_MAX_PEERS * RECV_BYTES];
static mzmtp_socket_mem_t sub_mem[NSUBS];
/* The PUB has every slot the build allows; each SUB needs one (its publisher). */
static mzmtp_peer_t pub_peers[MZMTP_CONF_MAX_PEERS], sub_peers[NSUBS][1];
static uint8_t pub_pbuf[(size_t)MZMTP_CONF_MAX_PEERS * MZMTP_PEER_BUF_DEFAULT];
static uint8_t sub_pbuf[NSUBS][MZMTP_PEER_BUF_DEFAULT];

static mzmtp_socket_t pub, sub[NSUBS];
static tu_link_t link[NSUBS];

static void make_msg(char *out, unsigned i)
{
    memset(out, '.', MSG_LEN);
    char num[16];
    int n = snprintf(num, sizeof num, "T%06u", i);
    memcpy(out, num, (size_t)n);
}

/* A PUB over a send ring of @p ring bytes, with @p hwm, bound; @p nsubs SUBs connect
 * and subscribe to "T". */
static void setup(size_t ring, uint32_t hwm, unsigned nsubs)
{
    static mzmtp_socket_mem_t pm;
    pm = (mzmtp_socket_mem_t){big_send, ring, recv_pub, RECV_BYTES, pub_peers, MZMTP_CONF_MAX_PEERS,
                              pub_pbuf, MZMTP_PEER_BUF_DEFAULT};
    tu_socket_init(&pub, MZMTP_PUB, &pm);
    TU_ASSERT_STATUS(mzmtp_socket_setopt(&pub, MZMTP_OPT_SNDHWM, &hwm, sizeof hwm), MZMTP_OK);
    for (unsigned s = 0; s < nsubs; s++) {
        sub_mem[s] = (mzmtp_socket_mem_t){sub_send[s], sizeof sub_send[s], sub_recv[s], RECV_BYTES,
                                          sub_peers[s], 1, sub_pbuf[s], MZMTP_PEER_BUF_DEFAULT};
        tu_socket_init(&sub[s], MZMTP_SUB, &sub_mem[s]);
        TU_ASSERT_STATUS(mzmtp_socket_subscribe(&sub[s], "T", 1), MZMTP_OK);
        tu_connect_sockets(&link[s], &pub, &sub[s], 0);
        tu_pump(&link[s], 1, 0);
        assert_int_equal(mzmtp_socket_peer_count(&sub[s]), 1);
    }
}

static void send_msg(unsigned i)
{
    char m[MSG_LEN];
    make_msg(m, i);
    TU_ASSERT_STATUS(mzmtp_socket_send(&pub, m, MSG_LEN, false), MZMTP_OK);
}

/* Receive every message @p s has; each must be intact and numbered above the last.
 * @return How many; @p first / @p last get the first and last numbers (if any). */
static unsigned drain(mzmtp_socket_t *s, long *last, long *first)
{
    unsigned n = 0;
    for (;;) {
        uint8_t buf[128];
        size_t len = 0, fl[2];
        unsigned nf = 0;
        mzmtp_status_t st = tu_socket_recv_msg(s, buf, sizeof buf, &len, &nf, fl, 2);
        if (st == MZMTP_AGAIN) return n;
        TU_ASSERT_STATUS(st, MZMTP_OK);
        assert_int_equal(len, MSG_LEN);
        unsigned num = 0;
        assert_int_equal(sscanf((const char *)buf, "T%6u", &num), 1);
        char want[MSG_LEN];
        make_msg(want, num);
        TU_ASSERT_BYTES(buf, len, (const uint8_t *)want, MSG_LEN);
        if ((long)num <= *last) fail_msg("message %u after %ld", num, *last);
        if (first && *first < 0) *first = (long)num;
        *last = (long)num;
        n++;
    }
}

/* Write only @p k bytes of what the PUB has for @p s's peer, and hand them to @p s: the
 * subscriber has taken part of a message and then stopped reading. */
static void write_part(unsigned s, size_t k)
{
    mzmtp_iov_t iov[4];
    size_t n = mzmtp_socket_peer_output(&pub, link[s].a.peer, iov, 4);
    assert_true(n > 0 && iov[0].len > k);
    TU_ASSERT_STATUS(tu_socket_feed(&sub[s], link[s].b.peer, iov[0].base, k, 0), MZMTP_OK);
    mzmtp_socket_peer_output_done(&pub, link[s].a.peer, k);
    assert_true(mzmtp_socket_peer_has_output(&pub, link[s].a.peer));
}

/*
 * Subscriber 0 reads everything; 1 takes 3 bytes of message 0 and stops; 2 stops after
 * message 10, 3 after message 20 (they join the stalled, as in the field). The ring is
 * filled several times over: the reader loses nothing, and each stalled one receives, once
 * it reads again, what it read before it stopped plus exactly its HWM's worth.
 */
static void stalled_peers_cost_the_reader_nothing(size_t ring, uint32_t hwm, unsigned total)
{
    unsigned nsubs = MZMTP_CONF_MAX_PEERS < NSUBS ? MZMTP_CONF_MAX_PEERS : NSUBS;
    if (nsubs < 2) return; /* a one-peer build has no second subscriber to starve */
    setup(ring, hwm, nsubs);
    const unsigned stall_after[NSUBS] = {0, 0, 10, 20};
    long last[NSUBS] = {-1, -1, -1, -1}, first[NSUBS] = {-1, -1, -1, -1};
    unsigned got[NSUBS] = {0};
    for (unsigned i = 0; i < total; i++) {
        send_msg(i);
        for (unsigned s = 0; s < nsubs; s++) {
            if (s != 0 && i >= stall_after[s]) continue;
            tu_pump(&link[s], 1, 0);
            got[s] += drain(&sub[s], &last[s], &first[s]);
        }
        if (i == 0) write_part(1, 3);
    }
    assert_int_equal(got[0], total);
    assert_int_equal(last[0], (long)total - 1);
    /* The stalled ones read again. */
    for (unsigned s = 1; s < nsubs; s++) {
        tu_pump(&link[s], 1, 0);
        got[s] += drain(&sub[s], &last[s], &first[s]);
        assert_int_equal(link[s].a.status, MZMTP_OK);
        assert_int_equal(link[s].b.status, MZMTP_OK);
        assert_int_equal(first[s], 0);
        if (hwm != 0) {
            /* Its HWM held the messages queued right after it stopped, and no more. */
            assert_int_equal(got[s], stall_after[s] + hwm);
            assert_int_equal(last[s], (long)(stall_after[s] + hwm - 1));
        } else {
            assert_true(got[s] >= 1); /* shed: it kept at least the half-written one */
        }
    }
}

static void slot_bound_ring_with_hwm(void **state)
{
    stalled_peers_cost_the_reader_nothing(sizeof big_send, 4, 3u * MZMTP_CONF_SEND_SLOTS + 50u);
}

static void byte_bound_ring_with_hwm(void **state)
{
    stalled_peers_cost_the_reader_nothing(1024, 4, 400);
}

static void byte_bound_odd_ring_with_hwm(void **state)
{
    stalled_peers_cost_the_reader_nothing(977, 3, 400);
}

static void ring_full_of_stalled_backlog_sheds_the_stalled(void **state)
{
    /* No HWM: the stalled subscribers' queues grow until the ring is full; then they
     * (the oldest holders) are shed, never the reader. */
    stalled_peers_cost_the_reader_nothing(1024, 0, 400);
    stalled_peers_cost_the_reader_nothing(sizeof big_send, 0, 3u * MZMTP_CONF_SEND_SLOTS + 50u);
}

static void half_written_message_survives_compaction_intact(void **state)
{
    /* Subscriber 1 took 3 bytes of message 0 and nothing more while the ring was filled
     * and squeezed many times: the rest of message 0 must follow those 3 bytes. */
    if (MZMTP_CONF_MAX_PEERS < 2) return;
    setup(600, 2, 2);
    send_msg(0);
    write_part(1, 3);
    long last0 = -1, last1 = -1, first1 = -1;
    for (unsigned i = 1; i < 2000; i++) {
        send_msg(i);
        tu_pump(&link[0], 1, 0);
        (void)drain(&sub[0], &last0, NULL);
    }
    tu_pump(&link[0], 1, 0);
    (void)drain(&sub[0], &last0, NULL);
    assert_int_equal(last0, 1999);
    tu_pump(&link[1], 1, 0);
    assert_int_equal(drain(&sub[1], &last1, &first1), 2);
    assert_int_equal(first1, 0);
    assert_int_equal(last1, 1);
}

/* ---------------------------------------------------------- connecting PUB ------------ */

static void connecting_pub_keeps_subscriptions_and_queue_across_a_reconnect(void **state)
{
    if (MZMTP_CONF_MAX_PEERS < 1) return;
    static mzmtp_socket_mem_t pm;
    pm = (mzmtp_socket_mem_t){big_send, 4096, recv_pub, RECV_BYTES, pub_peers, MZMTP_CONF_MAX_PEERS,
                              pub_pbuf, MZMTP_PEER_BUF_DEFAULT};
    tu_socket_init(&pub, MZMTP_PUB, &pm);
    uint32_t hwm = 5;
    TU_ASSERT_STATUS(mzmtp_socket_setopt(&pub, MZMTP_OPT_SNDHWM, &hwm, sizeof hwm), MZMTP_OK);
    for (unsigned s = 0; s < 2; s++) {
        sub_mem[s] = (mzmtp_socket_mem_t){sub_send[s], sizeof sub_send[s], sub_recv[s], RECV_BYTES,
                                          sub_peers[s], 1, sub_pbuf[s], MZMTP_PEER_BUF_DEFAULT};
        tu_socket_init(&sub[s], MZMTP_SUB, &sub_mem[s]);
        TU_ASSERT_STATUS(mzmtp_socket_subscribe(&sub[s], "T", 1), MZMTP_OK);
    }
    /* The SUB binds, the PUB connects (its slot keeps its queue). */
    tu_connect_sockets(&link[0], &sub[0], &pub, 0);
    tu_pump(&link[0], 1, 0);
    int pp = link[0].b.peer;
    long last = -1;
    send_msg(0);
    tu_pump(&link[0], 1, 0);
    assert_int_equal(drain(&sub[0], &last, NULL), 1);
    /* The bound SUB dies. */
    mzmtp_socket_peer_stop(&pub, pp, MZMTP_ERR_CLOSED);
    assert_false(mzmtp_socket_peer_live(&pub, pp));
    /* Published while the link is down: kept up to the HWM (5 of 8). */
    for (unsigned i = 1; i <= 8; i++) send_msg(i);
    /* A new SUB binds at the same place; the PUB reconnects in the same slot. */
    int sp = -1;
    TU_ASSERT_STATUS(mzmtp_socket_peer_open(&sub[1], false, &sp), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_socket_peer_start(&sub[1], sp, 0), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_socket_peer_start(&pub, pp, 0), MZMTP_OK);
    tu_link_sockets(&link[1], &sub[1], sp, &pub, pp);
    tu_pump(&link[1], 1, 0);
    long first = -1;
    last = -1;
    assert_int_equal(drain(&sub[1], &last, &first), 5);
    assert_int_equal(first, 1);
    assert_int_equal(last, 5);
    /* And it goes on as usual. */
    send_msg(9);
    tu_pump(&link[1], 1, 0);
    assert_int_equal(drain(&sub[1], &last, NULL), 1);
    assert_int_equal(last, 9);
}

static void released_connecting_slot_forgets_its_subscriptions(void **state)
{
    static mzmtp_socket_mem_t pm;
    pm = (mzmtp_socket_mem_t){big_send, 4096, recv_pub, RECV_BYTES, pub_peers, MZMTP_CONF_MAX_PEERS,
                              pub_pbuf, MZMTP_PEER_BUF_DEFAULT};
    tu_socket_init(&pub, MZMTP_PUB, &pm);
    sub_mem[0] = (mzmtp_socket_mem_t){sub_send[0], sizeof sub_send[0], sub_recv[0], RECV_BYTES,
                                      sub_peers[0], 1, sub_pbuf[0], MZMTP_PEER_BUF_DEFAULT};
    tu_socket_init(&sub[0], MZMTP_SUB, &sub_mem[0]);
    TU_ASSERT_STATUS(mzmtp_socket_subscribe(&sub[0], "T", 1), MZMTP_OK);
    tu_connect_sockets(&link[0], &sub[0], &pub, 0);
    tu_pump(&link[0], 1, 0);
    assert_int_equal(mzmtp_socket_sub_peer_count(&pub), 1);
    mzmtp_socket_peer_stop(&pub, link[0].b.peer, MZMTP_ERR_CLOSED);
    assert_int_equal(mzmtp_socket_sub_peer_count(&pub), 0); /* counts connected peers */
    send_msg(1); /* kept for the reconnect: queued */
    assert_false(mzmtp_socket_flushed(&pub));
    mzmtp_socket_peer_release(&pub, link[0].b.peer);
    assert_true(mzmtp_socket_flushed(&pub));
    send_msg(2); /* its subscriptions went with the slot: nobody to queue it for */
    assert_true(mzmtp_socket_flushed(&pub));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(slot_bound_ring_with_hwm),
        cmocka_unit_test(byte_bound_ring_with_hwm),
        cmocka_unit_test(byte_bound_odd_ring_with_hwm),
        cmocka_unit_test(ring_full_of_stalled_backlog_sheds_the_stalled),
        cmocka_unit_test(half_written_message_survives_compaction_intact),
        cmocka_unit_test(connecting_pub_keeps_subscriptions_and_queue_across_a_reconnect),
        cmocka_unit_test(released_connecting_slot_forgets_its_subscriptions),
    };
    return cmocka_run_group_tests_name("pub_slow", tests, NULL, NULL);
}
