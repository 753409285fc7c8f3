/*
 * Sockets back to back in memory: PUB/SUB and XPUB/XSUB subscription semantics
 * (wire-notes S1–S4), prefix filtering, multipart delivery, HWM drops and fair queueing.
 * Where the wire itself matters, one side is a raw engine whose events are logged.
 */
#include "testutil.h"

#include <stdio.h>

#define SEND_BYTES 8192
#define RECV_BYTES 512

MZMTP_SOCKET_MEM_DEFINE(mem_a, SEND_BYTES, RECV_BYTES);
MZMTP_SOCKET_MEM_DEFINE(mem_b, SEND_BYTES, RECV_BYTES);
MZMTP_SOCKET_MEM_DEFINE(mem_c, SEND_BYTES, RECV_BYTES);
MZMTP_SOCKET_MEM_DEFINE(mem_d, SEND_BYTES, RECV_BYTES);
MZMTP_SOCKET_MEM_DEFINE(mem_small, 256, RECV_BYTES);

static mzmtp_socket_t sa, sb, sc, sd;

/* A raw engine on the far side of a link, with its own send ring. */
static mzmtp_conn_t raw;
static tu_log_t raw_log;
static uint8_t raw_rx[4096];
static uint8_t raw_ring[4096];
static mzmtp_outq_t raw_q;

static void init_socket(mzmtp_socket_t *s, int type, const mzmtp_socket_mem_t *mem)
{
    tu_socket_init(s, type, mem);
}

static void raw_start(int type)
{
    mzmtp_outq_init(&raw_q, raw_ring, sizeof raw_ring);
    mzmtp_outq_pipe_attach(&raw_q, 0);
    mzmtp_conn_opts_t o = tu_conn_opts();
    tu_log_init(&raw_log);
    TU_ASSERT_STATUS(tu_conn_init(&raw, type, &o, raw_rx, sizeof raw_rx, &raw_q, 0, 0), MZMTP_OK);
}

static void raw_send(const char *s)
{
    tu_outq_begin(&raw_q, 1);
    TU_ASSERT_STATUS(mzmtp_outq_add_frame(&raw_q, (const uint8_t *)s, strlen(s), false), MZMTP_OK);
}

/* Open and start a peer slot of @p s and link it to the raw engine. */
static int link_raw(tu_link_t *l, mzmtp_socket_t *s, bool keep_queue)
{
    int p = -1;
    TU_ASSERT_STATUS(mzmtp_socket_peer_open(s, keep_queue, &p), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_socket_peer_start(s, p, 0), MZMTP_OK);
    tu_link_socket_conn(l, s, p, &raw, &raw_log);
    return p;
}

/* Start the raw engine as a @p raw_type peer, link it to a new slot of @p s and pump
 * the handshake through. @return the slot. */
static int handshake_with_raw(tu_link_t *l, mzmtp_socket_t *s, int raw_type, bool keep_queue)
{
    raw_start(raw_type);
    int p = link_raw(l, s, keep_queue);
    tu_pump(l, 1, 0);
    return p;
}

/* Receive one single-frame message as a C string; "" with MZMTP_AGAIN when none. */
static mzmtp_status_t recv_str(mzmtp_socket_t *s, char *buf, size_t cap)
{
    size_t len = 0, fl[8];
    unsigned nf = 0;
    mzmtp_status_t st = tu_socket_recv_msg(s, (uint8_t *)buf, cap - 1, &len, &nf, fl, 8);
    buf[st == MZMTP_OK ? len : 0] = 0;
    return st;
}

static void expect_recv(mzmtp_socket_t *s, const char *want)
{
    char buf[600];
    TU_ASSERT_STATUS(recv_str(s, buf, sizeof buf), MZMTP_OK);
    assert_string_equal(buf, want);
}

/* Send "m<from>" .. "m<to-1>", one single-frame message each. */
static void send_numbered(mzmtp_socket_t *s, int from, int to)
{
    char msg[16];
    for (int i = from; i < to; i++) {
        snprintf(msg, sizeof msg, "m%d", i);
        tu_socket_send_str(s, msg, MZMTP_OK);
    }
}

/* Expect "m<from>" .. "m<to-1>", in order. */
static void expect_numbered(mzmtp_socket_t *s, int from, int to)
{
    char msg[16];
    for (int i = from; i < to; i++) {
        snprintf(msg, sizeof msg, "m%d", i);
        expect_recv(s, msg);
    }
}

static void expect_nothing(mzmtp_socket_t *s)
{
    char buf[600];
    TU_ASSERT_STATUS(recv_str(s, buf, sizeof buf), MZMTP_AGAIN);
}

/* @p s has exactly one message waiting: the string @p want. */
static void expect_only(mzmtp_socket_t *s, const char *want)
{
    expect_recv(s, want);
    expect_nothing(s);
}

static void expect_recv_bytes(mzmtp_socket_t *s, const char *script)
{
    uint8_t buf[600];
    size_t len = 0, fl[8];
    unsigned nf = 0;
    TU_ASSERT_STATUS(tu_socket_recv_msg(s, buf, sizeof buf, &len, &nf, fl, 8), MZMTP_OK);
    assert_int_equal(nf, 1);
    TU_ASSERT_HEX(buf, len, script);
}

static void subscribe(mzmtp_socket_t *s, const char *topic)
{
    TU_ASSERT_STATUS(mzmtp_socket_subscribe(s, topic, strlen(topic)), MZMTP_OK);
}

static void unsubscribe(mzmtp_socket_t *s, const char *topic)
{
    TU_ASSERT_STATUS(mzmtp_socket_unsubscribe(s, topic, strlen(topic)), MZMTP_OK);
}

/* The fixture of the PUB tests: PUB sa (send ring @p pub_mem, SNDHWM @p sndhwm unless 0)
 * with SUBs sb and sc over links l[0] and l[1], both subscribed to @p topic, handshakes
 * and subscriptions pumped through. */
static void pub_and_two_subs(tu_link_t l[2], const mzmtp_socket_mem_t *pub_mem, uint32_t sndhwm,
                             const char *topic)
{
    init_socket(&sa, MZMTP_PUB, pub_mem);
    init_socket(&sb, MZMTP_SUB, &mem_b);
    init_socket(&sc, MZMTP_SUB, &mem_c);
    if (sndhwm) {
        TU_ASSERT_STATUS(mzmtp_socket_setopt(&sa, MZMTP_OPT_SNDHWM, &sndhwm, sizeof sndhwm), MZMTP_OK);
    }
    tu_connect_sockets(&l[0], &sa, &sb, 0);
    tu_connect_sockets(&l[1], &sa, &sc, 0);
    subscribe(&sb, topic);
    subscribe(&sc, topic);
    tu_pump(l, 2, 0);
}

/* sa of @p type_a (memory mem_a) and sb of @p type_b (mem_b), sb connected to sa over
 * @p l; nothing pumped yet. */
static void link_sa_sb(tu_link_t *l, int type_a, int type_b)
{
    init_socket(&sa, type_a, &mem_a);
    init_socket(&sb, type_b, &mem_b);
    tu_connect_sockets(l, &sa, &sb, 0);
}

/* PUB (sa) bound, SUB (sb) connected, handshake done. */
static void pub_sub(tu_link_t *l)
{
    link_sa_sb(l, MZMTP_PUB, MZMTP_SUB);
    tu_pump(l, 1, 0);
    assert_int_equal(mzmtp_socket_peer_count(&sa), 1);
    assert_int_equal(mzmtp_socket_peer_count(&sb), 1);
}

/* pub_sub(), then sb subscribed to @p topic and the subscription pumped through. */
static void pub_sub_subscribed(tu_link_t *l, const char *topic)
{
    pub_sub(l);
    subscribe(&sb, topic);
    tu_pump(l, 1, 0);
}

/* ------------------------------------------------------------------ basics ---------- */

/* A PUB whose subscribers sit at the slots around every 32-bit word boundary of its peer
 * set (31/32, 63/64, the last slot: as many of them as the build has, four at most): each
 * gets what it subscribed to exactly once per link, nothing else, and the peer counts
 * see them all. In the 5000-peer profile the last one is slot 4999, word 156. */
static void pub_reaches_subscribers_in_every_word_of_its_peer_set(void **state)
{
    static bool held[MZMTP_CONF_MAX_PEERS];
    mzmtp_socket_t *subs[3] = {&sb, &sc, &sd};
    int slot[4], copies[3] = {0, 0, 0};
    tu_link_t l[4];
    unsigned n = tu_word_edge_slots(slot, 4);
    init_socket(&sa, MZMTP_PUB, &mem_a);
    init_socket(&sb, MZMTP_SUB, &mem_b);
    init_socket(&sc, MZMTP_SUB, &mem_c);
    init_socket(&sd, MZMTP_SUB, &mem_d);
    for (unsigned i = 0; i < n; i++) {
        tu_socket_hold_below(&sa, slot[i], held);
        tu_connect_sockets(&l[i], &sa, subs[i % 3], 0);
        assert_int_equal(l[i].a.peer, slot[i]);
        copies[i % 3]++;
    }
    tu_socket_release_held(&sa, held);
    for (unsigned k = 0; k < 3; k++) subscribe(subs[k], "T");
    tu_pump(l, n, 0);
    assert_int_equal(mzmtp_socket_peer_count(&sa), n);
    assert_int_equal(mzmtp_socket_sub_peer_count(&sa), n);
    tu_socket_send_str(&sa, "X not for them", MZMTP_OK);
    tu_socket_send_str(&sa, "T for all", MZMTP_OK);
    for (unsigned i = 0; i < n; i++) assert_int_equal(mzmtp_socket_peer_queued(&sa, slot[i]), 1);
    tu_pump(l, n, 0);
    for (unsigned k = 0; k < 3; k++) {
        for (int c = 0; c < copies[k]; c++) expect_recv(subs[k], "T for all");
        expect_nothing(subs[k]);
    }
    assert_true(mzmtp_socket_flushed(&sa));
}

/* Peers dying at slots in different words are walked by mzmtp_socket_peer_next_dead() in
 * order, each once, and leave the walk when the port stops them. */
static void dead_peers_are_walked_in_order_across_words(void **state)
{
    static bool held[MZMTP_CONF_MAX_PEERS];
    int slot[4];
    unsigned n = tu_word_edge_slots(slot, 4);
    init_socket(&sa, MZMTP_PUB, &mem_a);
    uint32_t ivl = 100;
    TU_ASSERT_STATUS(mzmtp_socket_setopt(&sa, MZMTP_OPT_HANDSHAKE_IVL, &ivl, sizeof ivl), MZMTP_OK);
    for (unsigned i = 0; i < n; i++) {
        int p = -1;
        tu_socket_hold_below(&sa, slot[i], held);
        TU_ASSERT_STATUS(mzmtp_socket_peer_open(&sa, false, &p), MZMTP_OK);
        assert_int_equal(p, slot[i]);
        TU_ASSERT_STATUS(mzmtp_socket_peer_start(&sa, p, 0), MZMTP_OK);
    }
    tu_socket_release_held(&sa, held);
    assert_false(mzmtp_socket_tick(&sa, 99));
    assert_int_equal(mzmtp_socket_peer_next_dead(&sa, -1), -1);
    assert_true(mzmtp_socket_tick(&sa, 100)); /* every handshake timed out */
    unsigned seen = 0;
    for (int p = mzmtp_socket_peer_next_dead(&sa, -1); p >= 0; p = mzmtp_socket_peer_next_dead(&sa, p)) {
        assert_true(seen < n);
        assert_int_equal(p, slot[seen]);
        TU_ASSERT_STATUS(mzmtp_socket_peer_status(&sa, p), MZMTP_ERR_TIMEOUT);
        seen++;
    }
    assert_int_equal(seen, n);
    /* Walking from the last slot, or past it, finds nothing more. */
    assert_int_equal(mzmtp_socket_peer_next_dead(&sa, MZMTP_CONF_MAX_PEERS - 1), -1);
    assert_int_equal(mzmtp_socket_peer_next_dead(&sa, MZMTP_CONF_MAX_PEERS), -1);
    /* The port stops the first: the walk starts at the second. */
    mzmtp_socket_peer_stop(&sa, slot[0], MZMTP_ERR_TIMEOUT);
    assert_int_equal(mzmtp_socket_peer_next_dead(&sa, -1), n > 1 ? slot[1] : -1);
    for (unsigned i = 1; i < n; i++) mzmtp_socket_peer_stop(&sa, slot[i], MZMTP_ERR_TIMEOUT);
    assert_false(mzmtp_socket_tick(&sa, 200));
    assert_int_equal(mzmtp_socket_peer_next_dead(&sa, -1), -1);
}

static void pub_and_sub_complete_a_handshake_in_memory(void **state)
{
    tu_link_t l;
    pub_sub(&l);
    assert_int_equal(l.a.status, MZMTP_OK);
    assert_int_equal(l.b.status, MZMTP_OK);
    assert_true(mzmtp_socket_peer_live(&sa, l.a.peer));
}

static void sub_receives_what_it_subscribed_to(void **state)
{
    tu_link_t l;
    pub_sub_subscribed(&l, "A");
    tu_socket_send_str(&sa, "A1", MZMTP_OK);
    tu_pump(&l, 1, 0);
    expect_only(&sb, "A1");
}

static void sub_filters_by_binary_prefix(void **state)
{
    tu_link_t l;
    pub_sub_subscribed(&l, "ab");
    static const char *const sent[] = {"a", "ab", "abc", "b", "", "xab", "aB", "ab\xff"};
    for (size_t i = 0; i < sizeof sent / sizeof sent[0]; i++) tu_socket_send_str(&sa, sent[i], MZMTP_OK);
    tu_pump(&l, 1, 0);
    expect_recv(&sb, "ab");
    expect_recv(&sb, "abc");
    expect_only(&sb, "ab\xff");
}

static void empty_subscription_receives_everything(void **state)
{
    tu_link_t l;
    pub_sub_subscribed(&l, "");
    tu_socket_send_str(&sa, "", MZMTP_OK);
    tu_socket_send_str(&sa, "x", MZMTP_OK);
    tu_pump(&l, 1, 0);
    expect_recv(&sb, "");
    expect_only(&sb, "x");
}

static void sub_without_subscription_receives_nothing(void **state)
{
    tu_link_t l;
    pub_sub(&l);
    tu_socket_send_str(&sa, "A1", MZMTP_OK); /* dropped, still OK (S3) */
    tu_pump(&l, 1, 0);
    expect_nothing(&sb);
}

static void pub_with_no_peer_drops_and_returns_ok(void **state)
{
    init_socket(&sa, MZMTP_PUB, &mem_a);
    for (int i = 0; i < 100; i++) tu_socket_send_str(&sa, "nobody", MZMTP_OK);
}

static void subscription_made_before_connecting_is_sent_on_attach(void **state)
{
    /* S2 */
    init_socket(&sa, MZMTP_PUB, &mem_a);
    init_socket(&sb, MZMTP_SUB, &mem_b);
    subscribe(&sb, "early");
    tu_link_t l;
    tu_connect_sockets(&l, &sa, &sb, 0);
    tu_pump(&l, 1, 0);
    tu_socket_send_str(&sa, "early bird", MZMTP_OK);
    tu_pump(&l, 1, 0);
    expect_recv(&sb, "early bird");
}

static void multipart_message_is_delivered_whole(void **state)
{
    tu_link_t l;
    pub_sub_subscribed(&l, "A");
    TU_ASSERT_STATUS(mzmtp_socket_send(&sa, "A", 1, true), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_socket_send(&sa, "", 0, true), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_socket_send(&sa, "tail", 4, false), MZMTP_OK);
    tu_pump(&l, 1, 0);
    uint8_t buf[16];
    size_t n;
    unsigned flags;
    TU_ASSERT_STATUS(mzmtp_socket_recv(&sb, buf, sizeof buf, &n, &flags), MZMTP_OK);
    TU_ASSERT_HEX(buf, n, "'A'");
    assert_int_equal(flags, MZMTP_RECV_MORE);
    TU_ASSERT_STATUS(mzmtp_socket_recv(&sb, buf, sizeof buf, &n, &flags), MZMTP_OK);
    assert_int_equal(n, 0);
    assert_int_equal(flags, MZMTP_RECV_MORE);
    TU_ASSERT_STATUS(mzmtp_socket_recv(&sb, buf, sizeof buf, &n, &flags), MZMTP_OK);
    TU_ASSERT_HEX(buf, n, "'tail'");
    assert_int_equal(flags, 0);
    expect_nothing(&sb);
}

static void multipart_message_is_not_sent_before_its_last_frame(void **state)
{
    tu_link_t l;
    pub_sub_subscribed(&l, "");
    TU_ASSERT_STATUS(mzmtp_socket_send(&sa, "part", 4, true), MZMTP_OK);
    tu_pump(&l, 1, 0);
    expect_nothing(&sb);
    TU_ASSERT_STATUS(mzmtp_socket_send(&sa, "end", 3, false), MZMTP_OK);
    tu_pump(&l, 1, 0);
    uint8_t buf[16];
    size_t n, fl[4];
    unsigned nf;
    TU_ASSERT_STATUS(tu_socket_recv_msg(&sb, buf, sizeof buf, &n, &nf, fl, 4), MZMTP_OK);
    assert_int_equal(nf, 2);
    TU_ASSERT_HEX(buf, n, "'partend'");
}

static void frame_larger_than_the_receive_buffer_streams_through(void **state)
{
    tu_link_t l;
    pub_sub_subscribed(&l, "big");
    static uint8_t msg[3000], got[3000];
    memcpy(msg, "big", 3);
    for (size_t i = 3; i < sizeof msg; i++) msg[i] = (uint8_t)(i * 13);
    TU_ASSERT_STATUS(mzmtp_socket_send(&sa, msg, sizeof msg, false), MZMTP_OK);
    size_t total = 0;
    unsigned partial = 0;
    for (int guard = 0; guard < 10000 && total < sizeof msg; guard++) {
        tu_pump(&l, 1, 0);
        size_t n;
        unsigned flags;
        mzmtp_status_t st = mzmtp_socket_recv(&sb, got + total, 100, &n, &flags);
        if (st == MZMTP_AGAIN) continue;
        TU_ASSERT_STATUS(st, MZMTP_OK);
        total += n;
        if (flags & MZMTP_RECV_PARTIAL) partial++;
        else assert_int_equal(total, sizeof msg);
    }
    assert_int_equal(total, sizeof msg);
    TU_ASSERT_BYTES(got, total, msg, sizeof msg);
    assert_true(partial >= sizeof msg / 100 - 1);
}

static void multipart_with_frames_larger_than_the_receive_buffer_streams_through(void **state)
{
    tu_link_t l;
    pub_sub_subscribed(&l, "");
    static uint8_t f1[700], f2[900], got[2000];
    for (size_t i = 0; i < sizeof f1; i++) f1[i] = (uint8_t)(i * 3);
    for (size_t i = 0; i < sizeof f2; i++) f2[i] = (uint8_t)(i * 5 + 1);
    TU_ASSERT_STATUS(mzmtp_socket_send(&sa, f1, sizeof f1, true), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_socket_send(&sa, f2, sizeof f2, true), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_socket_send(&sa, "end", 3, false), MZMTP_OK);
    size_t total = 0, frame_len[3] = {0, 0, 0};
    unsigned frame = 0, last_flags = 0;
    for (int guard = 0; guard < 10000 && frame < 3; guard++) {
        tu_pump(&l, 1, 0);
        size_t n;
        unsigned flags;
        mzmtp_status_t st = mzmtp_socket_recv(&sb, got + total, 64, &n, &flags);
        if (st == MZMTP_AGAIN) continue;
        TU_ASSERT_STATUS(st, MZMTP_OK);
        total += n;
        frame_len[frame] += n;
        last_flags = flags;
        if (!(flags & MZMTP_RECV_PARTIAL)) {
            assert_int_equal(flags & MZMTP_RECV_MORE, frame < 2 ? MZMTP_RECV_MORE : 0);
            frame++;
        }
    }
    assert_int_equal(frame, 3);
    assert_int_equal(last_flags, 0);
    assert_int_equal(frame_len[0], sizeof f1);
    assert_int_equal(frame_len[1], sizeof f2);
    assert_int_equal(frame_len[2], 3);
    TU_ASSERT_BYTES(got, sizeof f1, f1, sizeof f1);
    TU_ASSERT_BYTES(got + sizeof f1, sizeof f2, f2, sizeof f2);
    TU_ASSERT_HEX(got + sizeof f1 + sizeof f2, 3, "'end'");
}

static void streamed_message_cut_by_its_peer_leaving_is_truncated(void **state)
{
    tu_link_t l;
    pub_sub_subscribed(&l, "");
    static uint8_t big[3000];
    memset(big, 'b', sizeof big);
    TU_ASSERT_STATUS(mzmtp_socket_send(&sa, big, sizeof big, false), MZMTP_OK);
    tu_pump(&l, 1, 0);
    uint8_t buf[100];
    size_t n;
    unsigned flags;
    TU_ASSERT_STATUS(mzmtp_socket_recv(&sb, buf, sizeof buf, &n, &flags), MZMTP_OK);
    assert_int_equal(flags, MZMTP_RECV_PARTIAL);
    mzmtp_socket_peer_stop(&sb, l.b.peer, MZMTP_ERR_CLOSED);
    TU_ASSERT_STATUS(mzmtp_socket_recv(&sb, buf, sizeof buf, &n, &flags), MZMTP_ERR_TRUNCATED);
    expect_nothing(&sb);
}

static void sub_socket_closes_on_a_malformed_second_frame(void **state)
{
    /* The error comes after an incomplete first frame; it must still close the link. */
    init_socket(&sb, MZMTP_SUB, &mem_b);
    subscribe(&sb, "");
    int p = -1;
    TU_ASSERT_STATUS(mzmtp_socket_peer_open(&sb, true, &p), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_socket_peer_start(&sb, p, 0), MZMTP_OK);
    uint8_t in[256];
    tu_buf_t b = TU_BUF(in);
    tu_put_handshake(&b, 1, "PUB");
    tu_put_hex(&b, "01 01 'a' 08 00");
    size_t consumed = 0;
    TU_ASSERT_STATUS(mzmtp_socket_peer_input(&sb, p, in, b.len, 0, &consumed), MZMTP_ERR_PROTOCOL);
}

/* ------------------------------------------------------------------ S1: PUB is a set - */

static void pub_keeps_each_peers_subscriptions_as_a_set(void **state)
{
    /* S1: two SUBSCRIBE A then one CANCEL A from one peer: A is gone. */
    init_socket(&sa, MZMTP_PUB, &mem_a);
    tu_link_t l;
    handshake_with_raw(&l, &sa, MZMTP_SUB, false);
    assert_int_equal(tu_log_count(&raw_log, MZMTP_CONN_EV_HANDSHAKE), 1);
    TU_ASSERT_STATUS(mzmtp_conn_send_subscription(&raw, (const uint8_t *)"A", 1, true), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_conn_send_subscription(&raw, (const uint8_t *)"A", 1, true), MZMTP_OK);
    tu_pump(&l, 1, 0);
    tu_socket_send_str(&sa, "A1", MZMTP_OK);
    tu_pump(&l, 1, 0);
    /* A duplicate subscription does not deliver twice. */
    assert_int_equal(tu_log_count(&raw_log, MZMTP_CONN_EV_MESSAGE), 1);
    TU_ASSERT_STATUS(mzmtp_conn_send_subscription(&raw, (const uint8_t *)"A", 1, false), MZMTP_OK);
    tu_pump(&l, 1, 0);
    tu_socket_send_str(&sa, "A2", MZMTP_OK);
    tu_pump(&l, 1, 0);
    assert_int_equal(tu_log_count(&raw_log, MZMTP_CONN_EV_MESSAGE), 1);
    const tu_event_t *m = tu_log_nth(&raw_log, MZMTP_CONN_EV_MESSAGE, 0);
    TU_ASSERT_HEX(tu_ev_data(&raw_log, m), m->len, "'A1'");
}

static void pub_keeps_subscriptions_per_peer(void **state)
{
    TU_NEED_PEERS(2);
    /* One peer's CANCEL does not remove another peer's subscription. */
    tu_link_t l[2];
    pub_and_two_subs(l, &mem_a, 0, "A");
    unsubscribe(&sb, "A");
    tu_pump(l, 2, 0);
    tu_socket_send_str(&sa, "A1", MZMTP_OK);
    tu_pump(l, 2, 0);
    expect_nothing(&sb);
    expect_recv(&sc, "A1");
}

static void pub_delivers_once_when_several_subscriptions_match(void **state)
{
    tu_link_t l;
    pub_sub(&l);
    subscribe(&sb, "");
    subscribe(&sb, "A");
    subscribe(&sb, "AB");
    tu_pump(&l, 1, 0);
    tu_socket_send_str(&sa, "ABC", MZMTP_OK);
    tu_pump(&l, 1, 0);
    expect_only(&sb, "ABC");
}

/* ------------------------------------------------------------------ S1: SUB counts --- */

static void sub_counts_subscriptions_and_cancels_only_at_zero(void **state)
{
    init_socket(&sb, MZMTP_SUB, &mem_b);
    tu_link_t l;
    handshake_with_raw(&l, &sb, MZMTP_PUB, true);
    subscribe(&sb, "A");
    subscribe(&sb, "A");
    tu_pump(&l, 1, 0);
    assert_true(tu_log_count(&raw_log, MZMTP_CONN_EV_SUBSCRIBE) >= 1);
    for (size_t i = 0; i < tu_log_count(&raw_log, MZMTP_CONN_EV_SUBSCRIBE); i++) {
        const tu_event_t *e = tu_log_nth(&raw_log, MZMTP_CONN_EV_SUBSCRIBE, i);
        TU_ASSERT_HEX(tu_ev_data(&raw_log, e), e->len, "'A'");
    }
    unsubscribe(&sb, "A");
    tu_pump(&l, 1, 0);
    assert_int_equal(tu_log_count(&raw_log, MZMTP_CONN_EV_CANCEL), 0);
    /* Still subscribed: data for A arrives. */
    raw_send("A1");
    tu_pump(&l, 1, 0);
    expect_recv(&sb, "A1");
    unsubscribe(&sb, "A");
    tu_pump(&l, 1, 0);
    assert_int_equal(tu_log_count(&raw_log, MZMTP_CONN_EV_CANCEL), 1);
    const tu_event_t *e = tu_log_nth(&raw_log, MZMTP_CONN_EV_CANCEL, 0);
    TU_ASSERT_HEX(tu_ev_data(&raw_log, e), e->len, "'A'");
}

static void sub_unsubscribe_of_an_unknown_topic_is_invalid(void **state)
{
    init_socket(&sb, MZMTP_SUB, &mem_b);
    TU_ASSERT_STATUS(mzmtp_socket_unsubscribe(&sb, "never", 5), MZMTP_ERR_INVALID);
    subscribe(&sb, "A");
    unsubscribe(&sb, "A");
    TU_ASSERT_STATUS(mzmtp_socket_unsubscribe(&sb, "A", 1), MZMTP_ERR_INVALID);
}

static void sub_refuses_a_topic_over_max_topic(void **state)
{
    init_socket(&sb, MZMTP_SUB, &mem_b);
    static uint8_t topic[MZMTP_CONF_MAX_TOPIC + 1];
    memset(topic, 't', sizeof topic);
    TU_ASSERT_STATUS(mzmtp_socket_subscribe(&sb, topic, sizeof topic), MZMTP_ERR_LIMIT);
    TU_ASSERT_STATUS(mzmtp_socket_subscribe(&sb, topic, sizeof topic - 1), MZMTP_OK);
}

static void sub_reports_limit_when_the_table_is_full(void **state)
{
    init_socket(&sb, MZMTP_SUB, &mem_b);
    char topic[16];
    mzmtp_status_t st = MZMTP_OK;
    int i = 0;
    for (; i < 100000 && st == MZMTP_OK; i++) {
        int n = snprintf(topic, sizeof topic, "t%d", i);
        st = mzmtp_socket_subscribe(&sb, topic, (size_t)n);
    }
    TU_ASSERT_STATUS(st, MZMTP_ERR_LIMIT);
    assert_true(i > 1);
    /* A topic already present is still counted. */
    subscribe(&sb, "t0");
}

static void sub_resubscribes_each_unique_topic_once_on_reconnect(void **state)
{
    /* S2: on reconnect SUB resends each unique subscription once. */
    init_socket(&sb, MZMTP_SUB, &mem_b);
    subscribe(&sb, "A");
    subscribe(&sb, "A");
    subscribe(&sb, "B");
    tu_link_t l;
    int p = handshake_with_raw(&l, &sb, MZMTP_PUB, true);
    /* The connection drops; the same slot reconnects to a fresh peer. */
    mzmtp_socket_peer_stop(&sb, p, MZMTP_ERR_CLOSED);
    assert_false(mzmtp_socket_peer_live(&sb, p));
    raw_start(MZMTP_PUB);
    TU_ASSERT_STATUS(mzmtp_socket_peer_start(&sb, p, 100), MZMTP_OK);
    tu_link_socket_conn(&l, &sb, p, &raw, &raw_log);
    tu_pump(&l, 1, 100);
    assert_int_equal(tu_log_count(&raw_log, MZMTP_CONN_EV_SUBSCRIBE), 2);
    bool seen_a = false, seen_b = false;
    for (size_t i = 0; i < 2; i++) {
        const tu_event_t *e = tu_log_nth(&raw_log, MZMTP_CONN_EV_SUBSCRIBE, i);
        assert_int_equal(e->len, 1);
        seen_a |= tu_ev_data(&raw_log, e)[0] == 'A';
        seen_b |= tu_ev_data(&raw_log, e)[0] == 'B';
    }
    assert_true(seen_a && seen_b);
}

static void sub_filters_again_on_receipt(void **state)
{
    /* S4: SUB drops data it did not subscribe to, even if the publisher sends it. */
    init_socket(&sb, MZMTP_SUB, &mem_b);
    subscribe(&sb, "A");
    tu_link_t l;
    handshake_with_raw(&l, &sb, MZMTP_PUB, true);
    raw_send("B-unwanted");
    raw_send("A-wanted");
    tu_pump(&l, 1, 0);
    expect_only(&sb, "A-wanted");
}

static void sub_to_a_zmtp30_pub_subscribes_with_data_frames(void **state)
{
    /* H2/H5: a 3.0 peer gets 00 02 01 41. */
    init_socket(&sb, MZMTP_SUB, &mem_b);
    int p = -1;
    TU_ASSERT_STATUS(mzmtp_socket_peer_open(&sb, true, &p), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_socket_peer_start(&sb, p, 0), MZMTP_OK);
    uint8_t in[256];
    tu_buf_t b = TU_BUF(in);
    tu_put_handshake(&b, 0, "PUB");
    size_t consumed = 0;
    TU_ASSERT_STATUS(mzmtp_socket_peer_input(&sb, p, in, b.len, 0, &consumed), MZMTP_OK);
    assert_int_equal(consumed, b.len);
    subscribe(&sb, "A");
    uint8_t out[512];
    size_t len = 0;
    mzmtp_iov_t iov[8];
    size_t n;
    while ((n = mzmtp_socket_peer_output(&sb, p, iov, 8)) > 0) {
        size_t w = 0;
        for (size_t i = 0; i < n; i++) {
            memcpy(out + len, iov[i].base, iov[i].len);
            len += iov[i].len;
            w += iov[i].len;
        }
        mzmtp_socket_peer_output_done(&sb, p, w);
    }
    assert_true(len >= 64 + 27);
    TU_ASSERT_HEX(out + 64 + 27, len - 64 - 27, "00 02 01 41");
}

/* ------------------------------------------------------------------ S3: HWM --------- */

static void pub_drops_at_sndhwm_without_blocking(void **state)
{
    tu_link_t l;
    pub_sub(&l);
    uint32_t hwm = 5;
    TU_ASSERT_STATUS(mzmtp_socket_setopt(&sa, MZMTP_OPT_SNDHWM, &hwm, sizeof hwm), MZMTP_OK);
    subscribe(&sb, "");
    tu_pump(&l, 1, 0);
    send_numbered(&sa, 0, 10);
    tu_pump(&l, 1, 0);
    expect_numbered(&sb, 0, 5);
    expect_nothing(&sb);
}

static void pub_hwm_is_per_peer(void **state)
{
    TU_NEED_PEERS(2);
    /* A slow subscriber loses messages; a fast one on the same PUB gets them all. */
    tu_link_t l[2];
    pub_and_two_subs(l, &mem_a, 3, "");
    l[1].cut = true; /* sc stops reading from the network */
    char msg[8];
    for (int i = 0; i < 8; i++) {
        snprintf(msg, sizeof msg, "m%d", i);
        tu_socket_send_str(&sa, msg, MZMTP_OK);
        tu_pump(l, 2, 0);
    }
    l[1].cut = false;
    tu_pump(l, 2, 0);
    expect_numbered(&sb, 0, 8);
    expect_numbered(&sc, 0, 3);
    expect_nothing(&sc);
}

static void full_pub_ring_does_not_starve_a_fast_subscriber(void **state)
{
    TU_NEED_PEERS(2);
    /* S3: PUB never blocks; a stalled peer must not stop the others. The send ring
     * (256 B) holds only a few 50-byte messages. */
    tu_link_t l[2];
    pub_and_two_subs(l, &mem_small, 0, "");
    l[1].cut = true; /* sc stalls */
    char msg[51];
    for (int i = 0; i < 20; i++) {
        memset(msg, 'a' + i, 50);
        msg[50] = 0;
        tu_socket_send_str(&sa, msg, MZMTP_OK);
        tu_pump(l, 2, 0);
        expect_recv(&sb, msg);
    }
}

static void sub_send_is_not_supported(void **state)
{
    init_socket(&sb, MZMTP_SUB, &mem_b);
    TU_ASSERT_STATUS(mzmtp_socket_send(&sb, "x", 1, false), MZMTP_ERR_NOT_SUPPORTED);
}

static void pub_recv_and_subscribe_are_not_supported(void **state)
{
    init_socket(&sa, MZMTP_PUB, &mem_a);
    uint8_t buf[4];
    size_t n;
    unsigned flags;
    TU_ASSERT_STATUS(mzmtp_socket_recv(&sa, buf, sizeof buf, &n, &flags), MZMTP_ERR_NOT_SUPPORTED);
    TU_ASSERT_STATUS(mzmtp_socket_subscribe(&sa, "A", 1), MZMTP_ERR_NOT_SUPPORTED);
}

static void pub_drops_upstream_data_and_stays_connected(void **state)
{
    /* S4: PUB drops data that comes upstream. */
    init_socket(&sa, MZMTP_PUB, &mem_a);
    tu_link_t l;
    handshake_with_raw(&l, &sa, MZMTP_SUB, false);
    for (int round = 0; round < 10; round++) {
        for (int i = 0; i < 5; i++) raw_send("upstream junk");
        tu_pump(&l, 1, 0);
    }
    assert_int_equal(l.a.status, MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_conn_send_subscription(&raw, (const uint8_t *)"", 0, true), MZMTP_OK);
    tu_pump(&l, 1, 0);
    tu_socket_send_str(&sa, "down", MZMTP_OK);
    tu_pump(&l, 1, 0);
    assert_int_equal(tu_log_count(&raw_log, MZMTP_CONN_EV_MESSAGE), 1);
}

static void pub_to_pub_fails_the_handshake(void **state)
{
    tu_link_t l;
    link_sa_sb(&l, MZMTP_PUB, MZMTP_PUB);
    tu_pump(&l, 1, 0);
    TU_ASSERT_STATUS(l.a.status, MZMTP_ERR_SOCKET_TYPE);
    TU_ASSERT_STATUS(l.b.status, MZMTP_ERR_SOCKET_TYPE);
    assert_int_equal(mzmtp_socket_peer_count(&sa), 0);
}

/* ------------------------------------------------------------------ monitor --------- */

static void monitor_reports_handshake(void **state)
{
    static tu_mon_log_t ma, mb;
    memset(&ma, 0, sizeof ma);
    memset(&mb, 0, sizeof mb);
    init_socket(&sa, MZMTP_PUB, &mem_a);
    init_socket(&sb, MZMTP_SUB, &mem_b);
    mzmtp_socket_set_monitor(&sa, tu_monitor, &ma);
    mzmtp_socket_set_monitor(&sb, tu_monitor, &mb);
    tu_link_t l;
    tu_connect_sockets(&l, &sa, &sb, 0);
    tu_pump(&l, 1, 0);
    assert_true(tu_mon_has(&ma, MZMTP_EV_HANDSHAKE, MZMTP_OK));
    assert_true(tu_mon_has(&mb, MZMTP_EV_HANDSHAKE, MZMTP_OK));
}

static void event_names_are_stable(void **state)
{
    assert_string_equal(mzmtp_socket_event_str(MZMTP_EV_CONNECTED), "connected");
    assert_string_equal(mzmtp_socket_event_str(MZMTP_EV_ACCEPTED), "accepted");
    assert_string_equal(mzmtp_socket_event_str(MZMTP_EV_HANDSHAKE), "handshake");
    assert_string_equal(mzmtp_socket_event_str(MZMTP_EV_HANDSHAKE_FAILED), "handshake-failed");
    assert_string_equal(mzmtp_socket_event_str(MZMTP_EV_DISCONNECTED), "disconnected");
    assert_string_equal(mzmtp_socket_event_str(MZMTP_EV_CONNECT_RETRY), "connect-retry");
    assert_string_equal(mzmtp_socket_event_str(MZMTP_EV_CLOSED), "closed");
}

static void monitor_reports_a_failed_handshake_with_its_reason(void **state)
{
    static tu_mon_log_t ma;
    memset(&ma, 0, sizeof ma);
    init_socket(&sa, MZMTP_PUB, &mem_a);
    init_socket(&sb, MZMTP_PUB, &mem_b);
    mzmtp_socket_set_monitor(&sa, tu_monitor, &ma);
    tu_link_t l;
    tu_connect_sockets(&l, &sa, &sb, 0);
    tu_pump(&l, 1, 0);
    /* The port closes the transport on the fatal status and says so. */
    TU_ASSERT_STATUS(l.a.status, MZMTP_ERR_SOCKET_TYPE);
    mzmtp_socket_peer_stop(&sa, l.a.peer, l.a.status);
    assert_true(tu_mon_has(&ma, MZMTP_EV_HANDSHAKE_FAILED, MZMTP_ERR_SOCKET_TYPE));
    assert_false(tu_mon_has(&ma, MZMTP_EV_HANDSHAKE, MZMTP_OK));
    assert_false(tu_mon_has(&ma, MZMTP_EV_DISCONNECTED, MZMTP_ERR_SOCKET_TYPE));
}

/* ------------------------------------------------------------------ fair queue ------ */

static void sub_fair_queues_over_three_publishers(void **state)
{
    TU_NEED_PEERS(2);
    /* S5 (PULL/DEALER) and libzmq's SUB: one message per peer in turn while all have some. */
    mzmtp_socket_t *pubs[3] = {&sa, &sc, &sd};
    const mzmtp_socket_mem_t *mems[3] = {&mem_a, &mem_c, &mem_d};
    init_socket(&sb, MZMTP_SUB, &mem_b);
    tu_link_t l[3];
    for (int i = 0; i < 3; i++) {
        init_socket(pubs[i], MZMTP_PUB, mems[i]);
        tu_connect_sockets(&l[i], pubs[i], &sb, 0);
    }
    subscribe(&sb, "");
    tu_pump(l, 3, 0);
    tu_fair_t fair = {0};
    int total = 0;
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < 3; i++)
            for (int k = 0; k < 10; k++) {
                uint8_t m[2] = {(uint8_t)i, (uint8_t)(round * 10 + k)};
                TU_ASSERT_STATUS(mzmtp_socket_send(pubs[i], m, 2, false), MZMTP_OK);
            }
        tu_pump(l, 3, 0);
        tu_fair_round(&fair);
        for (int k = 0; k < 30; k++) {
            uint8_t buf[8];
            size_t n;
            unsigned flags;
            TU_ASSERT_STATUS(mzmtp_socket_recv(&sb, buf, sizeof buf, &n, &flags), MZMTP_OK);
            assert_int_equal(n, 2);
            /* Each publisher's messages keep their order. */
            tu_fair_take(&fair, buf[0], buf[1]);
            total++;
        }
        expect_nothing(&sb);
    }
    assert_int_equal(total, 600);
    for (int i = 0; i < 3; i++) assert_int_equal(fair.counts[i], 200);
    /* While every publisher has messages queued, no one gets two turns ahead. */
    if (fair.worst > 1) fail_msg("fair queue: one publisher got %d messages ahead of another", fair.worst);
}

/* ------------------------------------------------------------------ XPUB / XSUB ----- */

static void xpub_reports_first_subscribe_and_last_cancel(void **state)
{
    TU_NEED_PEERS(2);
    /* S4: 01+topic on the first subscription, 00+topic on the last cancel. */
    init_socket(&sa, MZMTP_XPUB, &mem_a);
    init_socket(&sb, MZMTP_SUB, &mem_b);
    init_socket(&sc, MZMTP_SUB, &mem_c);
    tu_link_t l[2];
    tu_connect_sockets(&l[0], &sa, &sb, 0);
    tu_connect_sockets(&l[1], &sa, &sc, 0);
    tu_pump(l, 2, 0);
    subscribe(&sb, "A");
    tu_pump(l, 2, 0);
    expect_recv_bytes(&sa, "01 'A'");
    expect_nothing(&sa);
    subscribe(&sc, "A");
    tu_pump(l, 2, 0);
    expect_nothing(&sa);
    unsubscribe(&sb, "A");
    tu_pump(l, 2, 0);
    expect_nothing(&sa);
    unsubscribe(&sc, "A");
    tu_pump(l, 2, 0);
    expect_recv_bytes(&sa, "00 'A'");
    expect_nothing(&sa);
}

static void xpub_reports_cancels_when_a_peer_disconnects(void **state)
{
    /* S4, R3: a peer leaving cancels its subscriptions. */
    tu_link_t l;
    link_sa_sb(&l, MZMTP_XPUB, MZMTP_SUB);
    subscribe(&sb, "A");
    subscribe(&sb, "B");
    tu_pump(&l, 1, 0);
    expect_recv_bytes(&sa, "01 'A'");
    expect_recv_bytes(&sa, "01 'B'");
    mzmtp_socket_peer_stop(&sa, l.a.peer, MZMTP_ERR_CLOSED);
    uint8_t buf[8];
    size_t n, fl[2];
    unsigned nf;
    bool a = false, b = false;
    for (int i = 0; i < 2; i++) {
        TU_ASSERT_STATUS(tu_socket_recv_msg(&sa, buf, sizeof buf, &n, &nf, fl, 2), MZMTP_OK);
        assert_int_equal(n, 2);
        assert_int_equal(buf[0], 0x00);
        a |= buf[1] == 'A';
        b |= buf[1] == 'B';
    }
    assert_true(a && b);
    expect_nothing(&sa);
}

static void xpub_passes_upstream_data_to_the_application(void **state)
{
    tu_link_t l;
    link_sa_sb(&l, MZMTP_XPUB, MZMTP_XSUB);
    tu_pump(&l, 1, 0);
    tu_socket_send_str(&sb, "hello upstream", MZMTP_OK);
    tu_pump(&l, 1, 0);
    expect_recv(&sa, "hello upstream");
}

static void xsub_subscribes_by_sending_01_topic(void **state)
{
    tu_link_t l;
    link_sa_sb(&l, MZMTP_XPUB, MZMTP_XSUB);
    tu_pump(&l, 1, 0);
    TU_ASSERT_STATUS(mzmtp_socket_send(&sb, "\x01" "A", 2, false), MZMTP_OK);
    tu_pump(&l, 1, 0);
    expect_recv_bytes(&sa, "01 'A'");
    tu_socket_send_str(&sa, "A-data", MZMTP_OK);
    tu_socket_send_str(&sa, "B-data", MZMTP_OK);
    tu_pump(&l, 1, 0);
    expect_only(&sb, "A-data");
    TU_ASSERT_STATUS(mzmtp_socket_send(&sb, "\x00" "A", 2, false), MZMTP_OK);
    tu_pump(&l, 1, 0);
    expect_recv_bytes(&sa, "00 'A'");
}

static void xsub_does_not_filter_on_receipt(void **state)
{
    /* S4: XSUB delivers whatever the publisher sends. */
    init_socket(&sb, MZMTP_XSUB, &mem_b);
    TU_ASSERT_STATUS(mzmtp_socket_send(&sb, "\x01" "A", 2, false), MZMTP_OK);
    tu_link_t l;
    handshake_with_raw(&l, &sb, MZMTP_PUB, true);
    raw_send("B-unfiltered");
    tu_pump(&l, 1, 0);
    expect_recv(&sb, "B-unfiltered");
}

static void xpub_with_sub_filters_like_pub(void **state)
{
    tu_link_t l;
    link_sa_sb(&l, MZMTP_XPUB, MZMTP_SUB);
    subscribe(&sb, "x");
    tu_pump(&l, 1, 0);
    expect_recv_bytes(&sa, "01 'x'");
    tu_socket_send_str(&sa, "y1", MZMTP_OK);
    tu_socket_send_str(&sa, "x1", MZMTP_OK);
    tu_pump(&l, 1, 0);
    expect_only(&sb, "x1");
}

/* ------------------------------------------------------------------ port interface -- */

static void peer_slots_run_out_at_max_peers(void **state)
{
    init_socket(&sa, MZMTP_PUB, &mem_a);
    int p;
    for (int i = 0; i < MZMTP_CONF_MAX_PEERS; i++) TU_ASSERT_STATUS(mzmtp_socket_peer_open(&sa, false, &p), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_socket_peer_open(&sa, false, &p), MZMTP_ERR_LIMIT);
    mzmtp_socket_peer_release(&sa, 0);
    TU_ASSERT_STATUS(mzmtp_socket_peer_open(&sa, false, &p), MZMTP_OK);
    assert_int_equal(p, 0);
}

/* Whatever order slots are freed in (released while waiting, stopped after a start, or
 * freed twice), reopening gives every slot once: none twice, none lost, then the limit.
 * With MZMTP_CONF_PEER_FREELIST (33 peers and more) this is the free-slot stack; in the
 * 1-peer and the 5000-peer profiles too. */
static void freed_peer_slots_are_each_given_once_in_any_order(void **state)
{
    static bool seen[MZMTP_CONF_MAX_PEERS];
    static int order[MZMTP_CONF_MAX_PEERS];
    const int n = MZMTP_CONF_MAX_PEERS;
    init_socket(&sa, MZMTP_DEALER, &mem_a);
    for (int round = 0; round < 3; round++) {
        memset(seen, 0, sizeof seen);
        for (int i = 0; i < n; i++) {
            int p = -1;
            TU_ASSERT_STATUS(mzmtp_socket_peer_open(&sa, false, &p), MZMTP_OK);
            assert_true(p >= 0 && p < n);
            assert_false(seen[p]);
            seen[p] = true;
        }
        int p = -1;
        TU_ASSERT_STATUS(mzmtp_socket_peer_open(&sa, false, &p), MZMTP_ERR_LIMIT);
        /* a permutation of the slots (a different one each round), freed in its order */
        for (int i = 0; i < n; i++) order[i] = i;
        uint32_t r = 12345u + (uint32_t)round;
        for (int i = n - 1; i > 0; i--) {
            r = r * 1103515245u + 12345u;
            int j = (int)((r >> 8) % (uint32_t)(i + 1));
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        for (int i = 0; i < n; i++) {
            int q = order[i];
            if (i % 3 == 1) {
                TU_ASSERT_STATUS(mzmtp_socket_peer_start(&sa, q, 0), MZMTP_OK);
                mzmtp_socket_peer_stop(&sa, q, MZMTP_ERR_CLOSED);
            } else {
                mzmtp_socket_peer_release(&sa, q);
            }
            if (i % 5 == 0) mzmtp_socket_peer_release(&sa, q); /* free already: nothing */
            assert_false(mzmtp_socket_peer_live(&sa, q));
        }
    }
    /* Half of them open again, then freed from the highest: the free ones stay distinct. */
    memset(seen, 0, sizeof seen);
    for (int i = 0; i < (n + 1) / 2; i++) {
        int p = -1;
        TU_ASSERT_STATUS(mzmtp_socket_peer_open(&sa, false, &p), MZMTP_OK);
        assert_false(seen[p]);
        seen[p] = true;
    }
    for (int q = n - 1; q >= 0; q--) {
        if (seen[q]) mzmtp_socket_peer_release(&sa, q);
    }
    memset(seen, 0, sizeof seen);
    for (int i = 0; i < n; i++) {
        int p = -1;
        TU_ASSERT_STATUS(mzmtp_socket_peer_open(&sa, false, &p), MZMTP_OK);
        assert_false(seen[p]);
        seen[p] = true;
    }
    int p = -1;
    TU_ASSERT_STATUS(mzmtp_socket_peer_open(&sa, false, &p), MZMTP_ERR_LIMIT);
}

#if MZMTP_CONF_PEER_CHANGES
/* What a port asks the kernel for, for peer @p p: bit 0 input (receive room), bit 1
 * output. */
static unsigned wants_of(mzmtp_socket_t *s, int p)
{
    uint8_t *at;
    size_t room;
    mzmtp_socket_peer_rx_space(s, p, &at, &room);
    return (room > 0 ? 1u : 0u) | (mzmtp_socket_peer_has_output(s, p) ? 2u : 0u);
}

/* Walk @p s's report: each peer at most once per walk; @p last takes the wants of those
 * reported. @return how many were reported. */
static unsigned take_changes(mzmtp_socket_t *s, unsigned *last)
{
    static bool once[MZMTP_CONF_MAX_PEERS];
    unsigned k = 0;
    memset(once, 0, sizeof once);
    for (int p = mzmtp_socket_peer_next_changed(s, -1); p >= 0; p = mzmtp_socket_peer_next_changed(s, p)) {
        assert_true(p < MZMTP_CONF_MAX_PEERS);
        assert_false(once[p]);
        once[p] = true;
        last[p] = wants_of(s, p);
        k++;
    }
    return k;
}

/* No peer's wants differ from what the port saw when the report last gave it. */
static void assert_nothing_missed(mzmtp_socket_t *s, const unsigned *last)
{
    for (int p = 0; p < MZMTP_CONF_MAX_PEERS; p++) {
        if (last[p] != wants_of(s, p)) fail_msg("peer %d: wants %u, reported %u", p, wants_of(s, p), last[p]);
    }
}

/* The changed-peers report of a PUB with two SUBs and of a SUB: a peer given leaves the
 * report (a second walk finds nothing); every send, delivery, read, stop and reuse of a
 * slot that changes a peer's receive room or output has it reported, so that a port
 * re-arming only the reported peers arms every peer as a walk of all of them would. */
static void changed_peers_report_every_change_once_and_miss_none(void **state)
{
    static unsigned last_a[MZMTP_CONF_MAX_PEERS], last_b[MZMTP_CONF_MAX_PEERS];
    memset(last_a, 0, sizeof last_a);
    memset(last_b, 0, sizeof last_b);
    tu_link_t l[2];
    init_socket(&sa, MZMTP_PUB, &mem_a);
    init_socket(&sb, MZMTP_SUB, &mem_b);
    init_socket(&sc, MZMTP_SUB, &mem_c);
    assert_int_equal(mzmtp_socket_peer_next_changed(&sa, -1), -1); /* nothing yet */
    tu_connect_sockets(&l[0], &sa, &sb, 0);
    tu_connect_sockets(&l[1], &sa, &sc, 0);
    subscribe(&sb, "T");
    subscribe(&sc, "T");
    (void)take_changes(&sb, last_b); /* (the SUBSCRIBE to send: reported) */
    assert_nothing_missed(&sb, last_b);
    tu_pump(l, 2, 0);
    assert_true(take_changes(&sa, last_a) >= 2); /* both started and handshaken */
    assert_nothing_missed(&sa, last_a);
    assert_int_equal(take_changes(&sa, last_a), 0); /* given once */
    (void)take_changes(&sb, last_b);
    assert_nothing_missed(&sb, last_b);
    /* Idle: a tick with nothing due reports nothing. */
    assert_false(mzmtp_socket_tick(&sa, 1));
    assert_int_equal(take_changes(&sa, last_a), 0);
    /* A message for both: each subscriber has output now, and is reported. */
    tu_socket_send_str(&sa, "T one", MZMTP_OK);
    assert_int_equal(take_changes(&sa, last_a), 2);
    assert_nothing_missed(&sa, last_a);
    assert_int_equal(last_a[l[0].a.peer] & 2u, 2u);
    assert_int_equal(last_a[l[1].a.peer] & 2u, 2u);
    /* Several sends and partial deliveries, reads on the SUB between them. */
    for (int i = 0; i < 20; i++) {
        tu_socket_send_str(&sa, i % 2 ? "T odd" : "X dropped", MZMTP_OK);
        if (i % 3 == 0) tu_pump(&l[i % 2], 1, 0);
        (void)take_changes(&sa, last_a);
        assert_nothing_missed(&sa, last_a);
        (void)take_changes(&sb, last_b);
        assert_nothing_missed(&sb, last_b);
        char buf[64];
        if (i % 4 == 0) (void)recv_str(&sb, buf, sizeof buf);
        (void)take_changes(&sb, last_b);
        assert_nothing_missed(&sb, last_b);
    }
    tu_pump(l, 2, 0);
    (void)take_changes(&sa, last_a);
    assert_nothing_missed(&sa, last_a);
    /* The SUB reads all it has: its peer is reported for the receive room it got back. */
    (void)take_changes(&sb, last_b);
    char buf[64];
    while (recv_str(&sb, buf, sizeof buf) == MZMTP_OK) {
        (void)take_changes(&sb, last_b);
        assert_nothing_missed(&sb, last_b);
    }
    /* A peer stops: reported (a port drops it); its slot taken again and started:
     * reported again, with the wants of the new connection. */
    int gone = l[0].a.peer;
    (void)take_changes(&sa, last_a);
    mzmtp_socket_peer_stop(&sa, gone, MZMTP_ERR_CLOSED);
    assert_int_equal(mzmtp_socket_peer_next_changed(&sa, -1), gone);
    assert_int_equal(mzmtp_socket_peer_next_changed(&sa, gone), -1);
    last_a[gone] = wants_of(&sa, gone);
    int p = -1;
    TU_ASSERT_STATUS(mzmtp_socket_peer_open(&sa, false, &p), MZMTP_OK);
    assert_int_equal(p, gone);
    TU_ASSERT_STATUS(mzmtp_socket_peer_start(&sa, p, 2), MZMTP_OK);
    assert_int_equal(take_changes(&sa, last_a), 1);
    assert_nothing_missed(&sa, last_a);
    assert_int_equal(last_a[p], 3u); /* room, and the greeting to send */
    /* Walking from the last slot, or past it, finds nothing. */
    assert_int_equal(mzmtp_socket_peer_next_changed(&sa, MZMTP_CONF_MAX_PEERS - 1), -1);
    assert_int_equal(mzmtp_socket_peer_next_changed(&sa, MZMTP_CONF_MAX_PEERS), -1);
}

/* A heartbeat due at a tick gives the peer a PING to send: reported; a handshake that
 * times out at a tick: reported with the dead peers. */
static void changed_peers_report_what_a_tick_queued(void **state)
{
    static unsigned last_a[MZMTP_CONF_MAX_PEERS];
    memset(last_a, 0, sizeof last_a);
    tu_link_t l;
    init_socket(&sa, MZMTP_PUB, &mem_a);
    init_socket(&sb, MZMTP_SUB, &mem_b);
    uint32_t ivl = 100;
    TU_ASSERT_STATUS(mzmtp_socket_setopt(&sa, MZMTP_OPT_HANDSHAKE_IVL, &ivl, sizeof ivl), MZMTP_OK);
#if MZMTP_CONF_HEARTBEAT
    TU_ASSERT_STATUS(mzmtp_socket_setopt(&sa, MZMTP_OPT_HEARTBEAT_IVL, &ivl, sizeof ivl), MZMTP_OK);
#endif
    tu_connect_sockets(&l, &sa, &sb, 0);
    tu_pump(&l, 1, 0);
    (void)take_changes(&sa, last_a);
    assert_nothing_missed(&sa, last_a);
    int q = -1;
    TU_ASSERT_STATUS(mzmtp_socket_peer_open(&sa, false, &q), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_socket_peer_start(&sa, q, 0), MZMTP_OK); /* no one answers it */
    (void)take_changes(&sa, last_a);
    mzmtp_iov_t iov[4];
    size_t n = mzmtp_socket_peer_output(&sa, q, iov, 4), len = 0;
    for (size_t i = 0; i < n; i++) len += iov[i].len;
    mzmtp_socket_peer_output_done(&sa, q, len); /* its greeting is out */
    (void)take_changes(&sa, last_a);
    assert_nothing_missed(&sa, last_a);
    assert_true(mzmtp_socket_tick(&sa, 150)); /* the handshake timed out; a PING is due */
    (void)take_changes(&sa, last_a);
    assert_nothing_missed(&sa, last_a);
    assert_int_equal(mzmtp_socket_peer_next_dead(&sa, -1), q);
#if MZMTP_CONF_HEARTBEAT
    assert_int_equal(last_a[l.a.peer] & 2u, 2u); /* the PING */
#endif
}
#endif

static void socket_init_refuses_bad_memory(void **state)
{
    static uint8_t small_recv[MZMTP_CONF_MAX_PEERS * 32];
    static uint8_t pbuf[(size_t)MZMTP_CONF_MAX_PEERS * MZMTP_PEER_BUF_DEFAULT];
    static const mzmtp_socket_mem_t tiny = {mem_a_send, SEND_BYTES, small_recv, 32,
                                            mem_a_peers, MZMTP_CONF_MAX_PEERS,
                                            pbuf, MZMTP_PEER_BUF_DEFAULT};
    TU_ASSERT_STATUS(mzmtp_socket_init(&sa, MZMTP_PUB, &tiny), MZMTP_ERR_INVALID);
    TU_ASSERT_STATUS(mzmtp_socket_init(&sa, MZMTP_PUB, NULL), MZMTP_ERR_INVALID);
    /* Peer slots: some, no more than the build's ceiling. */
    mzmtp_socket_mem_t m = mem_a;
    m.peers = NULL;
    TU_ASSERT_STATUS(mzmtp_socket_init(&sa, MZMTP_PUB, &m), MZMTP_ERR_INVALID);
    m = mem_a;
    m.max_peers = 0;
    TU_ASSERT_STATUS(mzmtp_socket_init(&sa, MZMTP_PUB, &m), MZMTP_ERR_INVALID);
    m.max_peers = (size_t)MZMTP_CONF_MAX_PEERS + 1u;
    TU_ASSERT_STATUS(mzmtp_socket_init(&sa, MZMTP_PUB, &m), MZMTP_ERR_INVALID);
}

/* mem->peer_buf: each socket gets the per-peer state its type and mechanism use, no more
 * (issue 11): a command buffer of at least MZMTP_CMD_MIN, MZMTP_CMD_SUBSCRIBE_MAX for a
 * SUB, plus a routing id for a ROUTER. A smaller area is refused at init. */
static void socket_init_refuses_a_peer_area_too_small_for_its_type(void **state)
{
    static uint8_t pbuf[(size_t)MZMTP_CONF_MAX_PEERS * MZMTP_PEER_BUF_DEFAULT];
    mzmtp_socket_mem_t m = mem_a;
#if MZMTP_CONF_SOCKET_TYPES & MZMTP_TYPESET_PUB
    m.peer_buf = NULL;
    TU_ASSERT_STATUS(mzmtp_socket_init(&sa, MZMTP_PUB, &m), MZMTP_ERR_INVALID);
    m.peer_buf = pbuf;
    m.peer_buf_bytes = MZMTP_CMD_MIN - 1u;
    TU_ASSERT_STATUS(mzmtp_socket_init(&sa, MZMTP_PUB, &m), MZMTP_ERR_INVALID);
    m.peer_buf_bytes = 65536u; /* engines' command buffers are 16-bit */
    TU_ASSERT_STATUS(mzmtp_socket_init(&sa, MZMTP_PUB, &m), MZMTP_ERR_INVALID);
    m.peer_buf_bytes = mzmtp_socket_peer_buf_bytes(MZMTP_PUB, 0, 0, MZMTP_MECH_NULL, false);
    assert_int_equal(m.peer_buf_bytes, MZMTP_CMD_MIN);
    TU_ASSERT_STATUS(mzmtp_socket_init(&sa, MZMTP_PUB, &m), MZMTP_OK);
#endif
    m.peer_buf = pbuf;
#if MZMTP_CONF_SOCKET_TYPES & MZMTP_TYPESET_SUB
    m.peer_buf_bytes = mzmtp_socket_peer_buf_bytes(MZMTP_SUB, 0, 0, MZMTP_MECH_NULL, false);
    assert_true(m.peer_buf_bytes >= MZMTP_CMD_SUBSCRIBE_MAX);
    TU_ASSERT_STATUS(mzmtp_socket_init(&sa, MZMTP_SUB, &m), MZMTP_OK);
    if (MZMTP_CMD_SUBSCRIBE_MAX > MZMTP_CMD_MIN) {
        m.peer_buf_bytes = MZMTP_CMD_SUBSCRIBE_MAX - 1u;
        TU_ASSERT_STATUS(mzmtp_socket_init(&sa, MZMTP_SUB, &m), MZMTP_ERR_INVALID);
    }
#endif
#if MZMTP_CONF_SOCKET_TYPES & MZMTP_TYPESET_ROUTER
    m.peer_buf_bytes = MZMTP_CMD_MIN; /* no room for the routing ids */
    TU_ASSERT_STATUS(mzmtp_socket_init(&sa, MZMTP_ROUTER, &m), MZMTP_ERR_INVALID);
    m.peer_buf_bytes = mzmtp_socket_peer_buf_bytes(MZMTP_ROUTER, 0, 0, MZMTP_MECH_NULL, false);
    assert_int_equal(m.peer_buf_bytes, MZMTP_CMD_MIN + MZMTP_PEER_BUF_RID);
    TU_ASSERT_STATUS(mzmtp_socket_init(&sa, MZMTP_ROUTER, &m), MZMTP_OK);
#endif
#if MZMTP_CONF_SOCKET_TYPES & MZMTP_TYPESET_PUSH
    m.peer_buf_bytes = MZMTP_CMD_MIN - 1u;
    TU_ASSERT_STATUS(mzmtp_socket_init(&sa, MZMTP_PUSH, &m), MZMTP_ERR_INVALID);
    m.peer_buf_bytes = mzmtp_socket_peer_buf_bytes(MZMTP_PUSH, 0, 0, MZMTP_MECH_NULL, false);
    assert_int_equal(m.peer_buf_bytes, MZMTP_CMD_MIN);
    TU_ASSERT_STATUS(mzmtp_socket_init(&sa, MZMTP_PUSH, &m), MZMTP_OK);
#endif
}

/* The identity goes into every engine's READY: one the command buffers cannot hold is
 * refused when it is set, with MZMTP_ERR_NO_MEMORY. */
static void routing_id_too_long_for_the_command_buffers_is_refused(void **state)
{
    static uint8_t pbuf[(size_t)MZMTP_CONF_MAX_PEERS * MZMTP_CMD_MIN];
    mzmtp_socket_mem_t m = mem_a;
    m.peer_buf = pbuf;
    m.peer_buf_bytes = MZMTP_CMD_MIN;
    init_socket(&sa, MZMTP_DEALER, &m);
    static const uint8_t id[MZMTP_CONF_ROUTING_ID_MAX] = {'x'};
    size_t fits = MZMTP_CMD_MIN - MZMTP_CMD_READY_ID(0);
    if (fits > MZMTP_CONF_ROUTING_ID_MAX) fits = MZMTP_CONF_ROUTING_ID_MAX;
    TU_ASSERT_STATUS(mzmtp_socket_setopt(&sa, MZMTP_OPT_ROUTING_ID, id, fits), MZMTP_OK);
    if (fits + 1u <= MZMTP_CONF_ROUTING_ID_MAX) {
        TU_ASSERT_STATUS(mzmtp_socket_setopt(&sa, MZMTP_OPT_ROUTING_ID, id, fits + 1u),
                         MZMTP_ERR_NO_MEMORY);
    }
    /* the identity that fitted is the one a peer sees, and the handshake completes */
    init_socket(&sb, MZMTP_DEALER, &mem_b);
    TU_ASSERT_STATUS(mzmtp_socket_setopt(&sa, MZMTP_OPT_ROUTING_ID, id, fits), MZMTP_OK);
    tu_link_t l;
    tu_connect_sockets(&l, &sb, &sa, 0);
    tu_pump(&l, 1, 0);
    assert_int_equal(mzmtp_socket_peer_count(&sa), 1);
    assert_int_equal(mzmtp_socket_peer_count(&sb), 1);
}

/* A PUB and a SUB with the smallest areas their types take: handshake, subscriptions of
 * the longest topic (one at a time through the SUB's buffer) and delivery. */
static void pub_and_sub_work_with_the_smallest_peer_areas(void **state)
{
    static uint8_t pub_pbuf[(size_t)MZMTP_CONF_MAX_PEERS * MZMTP_CMD_MIN];
    static uint8_t sub_pbuf[(size_t)MZMTP_CONF_MAX_PEERS *
                            (MZMTP_CMD_SUBSCRIBE_MAX > MZMTP_CMD_MIN ? MZMTP_CMD_SUBSCRIBE_MAX : MZMTP_CMD_MIN)];
    mzmtp_socket_mem_t pm = mem_a, sm = mem_b;
    pm.peer_buf = pub_pbuf;
    pm.peer_buf_bytes = mzmtp_socket_peer_buf_bytes(MZMTP_PUB, 0, 0, MZMTP_MECH_NULL, false);
    sm.peer_buf = sub_pbuf;
    sm.peer_buf_bytes = mzmtp_socket_peer_buf_bytes(MZMTP_SUB, 0, 0, MZMTP_MECH_NULL, false);
    init_socket(&sa, MZMTP_PUB, &pm);
    init_socket(&sb, MZMTP_SUB, &sm);
    /* up to three subscriptions of the longest topic (as many as the profile's table
     * holds): more than the SUB's command buffer holds at once */
    static char topic[3][MZMTP_CONF_MAX_TOPIC + 1];
    int n = 0;
    while (n < 3) {
        memset(topic[n], 'a' + n, MZMTP_CONF_MAX_TOPIC);
        mzmtp_status_t st = mzmtp_socket_subscribe(&sb, topic[n], MZMTP_CONF_MAX_TOPIC);
        if (st == MZMTP_ERR_LIMIT && n > 0) break;
        TU_ASSERT_STATUS(st, MZMTP_OK);
        n++;
    }
    tu_link_t l;
    tu_connect_sockets(&l, &sa, &sb, 0);
    tu_pump(&l, 1, 0);
    assert_int_equal(mzmtp_socket_peer_count(&sa), 1);
    char buf[MZMTP_CONF_MAX_TOPIC + 2];
    for (int i = 0; i < n; i++) {
        TU_ASSERT_STATUS(mzmtp_socket_send(&sa, topic[i], MZMTP_CONF_MAX_TOPIC, false), MZMTP_OK);
        tu_pump(&l, 1, 0);
        TU_ASSERT_STATUS(recv_str(&sb, buf, sizeof buf), MZMTP_OK);
        assert_memory_equal(buf, topic[i], MZMTP_CONF_MAX_TOPIC);
    }
    expect_nothing(&sb);
}

/* A ROUTER with the smallest area (command buffer and routing id) routes by the id its
 * DEALER gave. */
static void router_routes_with_the_smallest_peer_area(void **state)
{
#if MZMTP_CONF_SOCKET_TYPES & MZMTP_TYPESET_ROUTER
    static uint8_t pbuf[(size_t)MZMTP_CONF_MAX_PEERS * (MZMTP_CMD_MIN + MZMTP_PEER_BUF_RID)];
    mzmtp_socket_mem_t m = mem_a;
    m.peer_buf = pbuf;
    m.peer_buf_bytes = mzmtp_socket_peer_buf_bytes(MZMTP_ROUTER, 0, 0, MZMTP_MECH_NULL, false);
    memset(pbuf, 0xA5, sizeof pbuf); /* garbage before: the socket clears what it reads */
    init_socket(&sa, MZMTP_ROUTER, &m);
    init_socket(&sb, MZMTP_DEALER, &mem_b);
    TU_ASSERT_STATUS(mzmtp_socket_setopt(&sb, MZMTP_OPT_ROUTING_ID, "D1", 2), MZMTP_OK);
    tu_link_t l;
    tu_connect_sockets(&l, &sa, &sb, 0);
    tu_pump(&l, 1, 0);
    TU_ASSERT_STATUS(mzmtp_socket_send(&sb, "hi", 2, false), MZMTP_OK);
    tu_pump(&l, 1, 0);
    uint8_t buf[64];
    size_t len = 0, fl[4];
    unsigned nf = 0;
    TU_ASSERT_STATUS(tu_socket_recv_msg(&sa, buf, sizeof buf, &len, &nf, fl, 4), MZMTP_OK);
    assert_int_equal(nf, 2);
    assert_int_equal(fl[0], 2);
    assert_memory_equal(buf, "D1hi", 4);
    TU_ASSERT_STATUS(mzmtp_socket_send(&sa, "D1", 2, true), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_socket_send(&sa, "yo", 2, false), MZMTP_OK);
    tu_pump(&l, 1, 0);
    expect_recv(&sb, "yo");
#else
    (void)state;
#endif
}

/* Peer slots need no initialising: a slot is cleared when it is first taken (so that a
 * host's calloc'd slots stay untouched until used). Garbage in them changes nothing. */
static void peer_slots_may_hold_garbage_before_init(void **state)
{
    static uint8_t send[SEND_BYTES], recv[(size_t)MZMTP_CONF_MAX_PEERS * RECV_BYTES];
    static mzmtp_peer_t peers[MZMTP_CONF_MAX_PEERS];
    static uint8_t pbuf[(size_t)MZMTP_CONF_MAX_PEERS * MZMTP_PEER_BUF_DEFAULT];
    memset(peers, 0xA5, sizeof peers);
    memset(pbuf, 0xA5, sizeof pbuf);
    mzmtp_socket_mem_t m = {send, sizeof send, recv, RECV_BYTES, peers, MZMTP_CONF_MAX_PEERS,
                            pbuf, MZMTP_PEER_BUF_DEFAULT};
    init_socket(&sa, MZMTP_PUB, &m);
    assert_false(mzmtp_socket_peer_live(&sa, 0));
    assert_int_equal(mzmtp_socket_peer_next_dead(&sa, -1), -1);
    assert_int_equal(mzmtp_socket_next_timeout(&sa, 0), UINT32_MAX);
    assert_true(mzmtp_socket_flushed(&sa));
    init_socket(&sb, MZMTP_SUB, &mem_b);
    tu_link_t l;
    tu_connect_sockets(&l, &sa, &sb, 0);
    TU_ASSERT_STATUS(mzmtp_socket_subscribe(&sb, "", 0), MZMTP_OK);
    tu_pump(&l, 1, 0);
    tu_socket_send_str(&sa, "clean", MZMTP_OK);
    tu_pump(&l, 1, 0);
    expect_recv(&sb, "clean");
}

/* A socket has the peer slots its memory gives it, not the build's ceiling: one slot
 * here, so a second peer is refused, and the slot is reused once released. */
MZMTP_SOCKET_MEM_DEFINE_PEERS(mem_one, SEND_BYTES, RECV_BYTES, 1);
static void peer_slots_are_those_the_memory_gives(void **state)
{
    init_socket(&sa, MZMTP_PUB, &mem_one);
    assert_int_equal(mzmtp_socket_max_peers(&sa), 1);
    int p;
    TU_ASSERT_STATUS(mzmtp_socket_peer_open(&sa, false, &p), MZMTP_OK);
    assert_int_equal(p, 0);
    TU_ASSERT_STATUS(mzmtp_socket_peer_open(&sa, false, &p), MZMTP_ERR_LIMIT);
    assert_false(mzmtp_socket_peer_live(&sa, 1));
    assert_int_equal(mzmtp_socket_peer_next_timeout(&sa, 1, 0), UINT32_MAX);
    mzmtp_socket_peer_release(&sa, 0);
    TU_ASSERT_STATUS(mzmtp_socket_peer_open(&sa, false, &p), MZMTP_OK);
    assert_int_equal(p, 0);
    /* and it carries traffic: a SUB on the far side gets what is published */
    init_socket(&sb, MZMTP_SUB, &mem_b);
    mzmtp_socket_peer_release(&sa, 0);
    tu_link_t l;
    tu_connect_sockets(&l, &sa, &sb, 0);
    TU_ASSERT_STATUS(mzmtp_socket_subscribe(&sb, "", 0), MZMTP_OK);
    tu_pump(&l, 1, 0);
    tu_socket_send_str(&sa, "one", MZMTP_OK);
    tu_pump(&l, 1, 0);
    expect_recv(&sb, "one");
}

static void handshake_timeout_through_socket_tick(void **state)
{
    init_socket(&sa, MZMTP_PUB, &mem_a);
    uint32_t ivl = 500;
    TU_ASSERT_STATUS(mzmtp_socket_setopt(&sa, MZMTP_OPT_HANDSHAKE_IVL, &ivl, sizeof ivl), MZMTP_OK);
    int p;
    TU_ASSERT_STATUS(mzmtp_socket_peer_open(&sa, false, &p), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_socket_peer_start(&sa, p, 1000), MZMTP_OK);
    assert_int_equal(mzmtp_socket_next_timeout(&sa, 1000), 500);
    /* Asked per peer, as a port that knows its started peers does. */
    assert_int_equal(mzmtp_socket_peer_next_timeout(&sa, p, 1000), 500);
    assert_int_equal(mzmtp_socket_peer_next_timeout(&sa, p, 1200), 300);
    int other = p == 0 ? 1 : 0;
    assert_int_equal(mzmtp_socket_peer_next_timeout(&sa, other, 1000), UINT32_MAX);
    assert_int_equal(mzmtp_socket_peer_next_timeout(&sa, -1, 1000), UINT32_MAX);
    assert_int_equal(mzmtp_socket_peer_next_timeout(&sa, MZMTP_CONF_MAX_PEERS, 1000), UINT32_MAX);
    assert_int_equal(tu_socket_tick(&sa, 1499), TU_NO_DEAD);
    assert_int_equal(tu_socket_tick(&sa, 1500), p);
    /* Dead and not yet closed by the port: due now. */
    assert_int_equal(mzmtp_socket_peer_next_timeout(&sa, p, 1600), 0);
    mzmtp_socket_peer_stop(&sa, p, MZMTP_ERR_TIMEOUT);
    assert_int_equal(mzmtp_socket_peer_next_timeout(&sa, p, 1600), UINT32_MAX);
}

/* Many peers (every slot the build has, up to 300), each with a handshake deadline of its
 * own, armed in an order unlike their deadlines' (a later start may time out sooner):
 * mzmtp_socket_next_timeout() gives the earliest exactly after each start and each tick,
 * and mzmtp_socket_tick() ends each peer at its deadline, not a millisecond before or
 * after (with MZMTP_CONF_TIMER_CACHE, the cached earliest time must stay exact). */
static void many_peers_time_out_each_at_its_own_deadline(void **state)
{
    (void)state;
    enum { N = MZMTP_CONF_MAX_PEERS < 300 ? MZMTP_CONF_MAX_PEERS : 300 };
    static uint32_t due[N];
    static bool gone[N];
    init_socket(&sa, MZMTP_PUB, &mem_a);
    assert_int_equal(mzmtp_socket_next_timeout(&sa, 0), UINT32_MAX);
    uint32_t earliest = UINT32_MAX;
    for (unsigned i = 0; i < N; i++) {
        uint32_t ivl = 1000u + (i * 397u) % 601u; /* 1000..1600, mixed, some equal */
        TU_ASSERT_STATUS(mzmtp_socket_setopt(&sa, MZMTP_OPT_HANDSHAKE_IVL, &ivl, sizeof ivl), MZMTP_OK);
        int p = -1;
        TU_ASSERT_STATUS(mzmtp_socket_peer_open(&sa, false, &p), MZMTP_OK);
        assert_int_equal(p, (int)i);
        TU_ASSERT_STATUS(mzmtp_socket_peer_start(&sa, p, i), MZMTP_OK);
        due[i] = i + ivl;
        gone[i] = false;
        if (due[i] < earliest) earliest = due[i];
        assert_int_equal(mzmtp_socket_next_timeout(&sa, i), earliest - i);
        assert_false(mzmtp_socket_tick(&sa, i)); /* nothing due yet: no peer is ended */
    }
    unsigned left = N;
    uint32_t now = N;
    while (left > 0) {
        uint32_t t = UINT32_MAX;
        for (unsigned i = 0; i < N; i++) {
            if (!gone[i] && due[i] < t) t = due[i];
        }
        assert_int_equal(mzmtp_socket_next_timeout(&sa, now), t - now);
        assert_false(mzmtp_socket_tick(&sa, t - 1));
        assert_int_equal(mzmtp_socket_peer_next_dead(&sa, -1), -1);
        assert_true(mzmtp_socket_tick(&sa, t));
        unsigned ended = 0;
        for (int p = mzmtp_socket_peer_next_dead(&sa, -1); p >= 0; p = mzmtp_socket_peer_next_dead(&sa, p)) {
            assert_true(p < N && !gone[p]);
            assert_int_equal(due[p], t);
            TU_ASSERT_STATUS(mzmtp_socket_peer_status(&sa, p), MZMTP_ERR_TIMEOUT);
            ended++;
        }
        for (unsigned i = 0; i < N; i++) {
            if (gone[i] || due[i] != t) continue;
            assert_int_equal(mzmtp_socket_next_timeout(&sa, t), 0); /* dead, not stopped */
            mzmtp_socket_peer_stop(&sa, (int)i, MZMTP_ERR_TIMEOUT);
            gone[i] = true;
            ended--;
            left--;
        }
        assert_int_equal(ended, 0); /* exactly the peers due at t */
        now = t;
    }
    assert_int_equal(mzmtp_socket_next_timeout(&sa, now), UINT32_MAX);
    assert_false(mzmtp_socket_tick(&sa, now + 100000u));
}

#if MZMTP_CONF_HEARTBEAT
static void heartbeats_keep_a_live_link_and_close_a_silent_one(void **state)
{
    /* H7 end to end: PING/PONG over the link keep it up; when the link goes quiet the
     * PUB's tick reports the peer dead after the heartbeat timeout. */
    init_socket(&sa, MZMTP_PUB, &mem_a);
    init_socket(&sb, MZMTP_SUB, &mem_b);
    uint32_t ivl = 1000;
    TU_ASSERT_STATUS(mzmtp_socket_setopt(&sa, MZMTP_OPT_HEARTBEAT_IVL, &ivl, sizeof ivl), MZMTP_OK);
    tu_link_t l;
    tu_connect_sockets(&l, &sa, &sb, 0);
    tu_pump(&l, 1, 0);
    for (uint32_t t = 500; t <= 5000; t += 500) {
        assert_int_equal(tu_socket_tick(&sa, t), TU_NO_DEAD);
        assert_int_equal(tu_socket_tick(&sb, t), TU_NO_DEAD);
        tu_pump(&l, 1, t);
    }
    l.cut = true;
    assert_int_equal(tu_socket_tick(&sa, 5500), TU_NO_DEAD);
    assert_int_equal(tu_socket_tick(&sa, 6000), TU_NO_DEAD); /* PING out, no answer from now on */
    assert_int_equal(tu_socket_tick(&sa, 6999), TU_NO_DEAD);
    assert_int_equal(tu_socket_tick(&sa, 7000), l.a.peer);
}
#endif

static void poll_reports_readable_sub(void **state)
{
    tu_link_t l;
    pub_sub_subscribed(&l, "");
    assert_int_equal(mzmtp_socket_poll(&sb) & MZMTP_POLLIN, 0);
    tu_socket_send_str(&sa, "x", MZMTP_OK);
    tu_pump(&l, 1, 0);
    assert_int_equal(mzmtp_socket_poll(&sb) & MZMTP_POLLIN, MZMTP_POLLIN);
    assert_int_equal(mzmtp_socket_poll(&sa) & MZMTP_POLLOUT, MZMTP_POLLOUT);
    expect_recv(&sb, "x");
    assert_int_equal(mzmtp_socket_poll(&sb) & MZMTP_POLLIN, 0);
}

static void closed_socket_refuses_sends(void **state)
{
    init_socket(&sa, MZMTP_PUB, &mem_a);
    mzmtp_socket_close(&sa);
    TU_ASSERT_STATUS(mzmtp_socket_send(&sa, "x", 1, false), MZMTP_ERR_STATE);
    assert_true(mzmtp_socket_flushed(&sa));
}

/* Pump, then read every message waiting at @p r as text frames joined by '|'. */
static void read_all(tu_link_t *l, mzmtp_socket_t *r, char *out, size_t cap)
{
    tu_pump(l, 1, 0);
    size_t at = 0;
    uint8_t buf[64];
    size_t n;
    unsigned fl;
    out[0] = 0;
    while (mzmtp_socket_recv(r, buf, sizeof buf, &n, &fl) == MZMTP_OK) {
        assert_true(at + n + 2 < cap);
        memcpy(out + at, buf, n);
        at += n;
        out[at++] = (fl & MZMTP_RECV_MORE) ? '+' : '|';
        out[at] = 0;
    }
}

static void a_frame_too_large_for_the_ring_drops_its_message_only(void **state)
{
    /* A frame that can never fit the 256-byte ring is refused; the message it belongs to
     * is dropped whole (what was queued of it too), and the next message goes out. */
    static const int types[][2] = {{MZMTP_PUSH, MZMTP_PULL}, {MZMTP_PUB, MZMTP_SUB}};
    static uint8_t big[400];
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        init_socket(&sa, types[t][0], &mem_small);
        init_socket(&sb, types[t][1], &mem_b);
        tu_link_t l;
        tu_connect_sockets(&l, &sa, &sb, 0);
        if (types[t][1] == MZMTP_SUB) subscribe(&sb, "");
        tu_pump(&l, 1, 0);
        char got[256];
        /* the refused frame is the last one */
        TU_ASSERT_STATUS(mzmtp_socket_send(&sa, "t", 1, true), MZMTP_OK);
        TU_ASSERT_STATUS(mzmtp_socket_send(&sa, big, sizeof big, false), MZMTP_ERR_NO_MEMORY);
        TU_ASSERT_STATUS(mzmtp_socket_send(&sa, "n1", 2, false), MZMTP_OK);
        TU_ASSERT_STATUS(mzmtp_socket_send(&sa, "n2", 2, false), MZMTP_OK);
        read_all(&l, &sb, got, sizeof got);
        assert_string_equal(got, "n1|n2|");
        /* the refused frame is a middle one: the rest of its message is swallowed */
        TU_ASSERT_STATUS(mzmtp_socket_send(&sa, "a", 1, true), MZMTP_OK);
        TU_ASSERT_STATUS(mzmtp_socket_send(&sa, big, sizeof big, true), MZMTP_ERR_NO_MEMORY);
        TU_ASSERT_STATUS(mzmtp_socket_send(&sa, "b", 1, false), MZMTP_OK);
        TU_ASSERT_STATUS(mzmtp_socket_send(&sa, "n3", 2, true), MZMTP_OK);
        TU_ASSERT_STATUS(mzmtp_socket_send(&sa, "n4", 2, false), MZMTP_OK);
        read_all(&l, &sb, got, sizeof got);
        assert_string_equal(got, "n3+n4|");
        /* and the ring's room is all there again: a message that fills most of it */
        TU_ASSERT_STATUS(mzmtp_socket_send(&sa, big, 200, false), MZMTP_OK);
        tu_pump(&l, 1, 0);
        size_t n;
        unsigned fl;
        uint8_t buf[256];
        TU_ASSERT_STATUS(mzmtp_socket_recv(&sb, buf, sizeof buf, &n, &fl), MZMTP_OK);
        assert_int_equal(n, 200);
    }
}

#if MZMTP_CONF_SEND_REF
static uint8_t big_src[1u << 20], big_dst[1u << 20];

/* Pump the link and read one message of [topic, body] from @p sub into big_dst.
 * @return the body length. */
static size_t read_big(tu_link_t *l, size_t nl, mzmtp_socket_t *sub)
{
    size_t got = 0;
    bool topic_done = false;
    for (int round = 0; round < 200000; round++) {
        tu_pump(l, nl, 0);
        uint8_t tmp[700];
        size_t n;
        unsigned fl;
        while (mzmtp_socket_recv(sub, tmp, sizeof tmp, &n, &fl) == MZMTP_OK) {
            if (!topic_done) {
                assert_int_equal(n, 3);
                assert_memory_equal(tmp, "big", 3);
                assert_true(fl & MZMTP_RECV_MORE);
                topic_done = true;
                continue;
            }
            assert_true(got + n <= sizeof big_dst);
            memcpy(big_dst + got, tmp, n);
            got += n;
            if (!(fl & (MZMTP_RECV_MORE | MZMTP_RECV_PARTIAL))) return got;
        }
    }
    fail_msg("message not complete after the pump rounds (%zu bytes)", got);
    return got;
}

static void pub_sends_a_message_larger_than_its_ring_by_reference(void **state)
{
    TU_NEED_PEERS(2);
    /* The body stays in application memory; the 256-byte ring holds only headers. Two
     * subscribers read it at their own pace; the memory is in use until both have it. */
    tu_link_t l[2];
    pub_and_two_subs(l, &mem_small, 0, "big");
    for (size_t i = 0; i < sizeof big_src; i++) big_src[i] = (uint8_t)(i * 7u + i / 251u);
    TU_ASSERT_STATUS(mzmtp_socket_send(&sa, "big", 3, true), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_socket_send_ref(&sa, big_src, sizeof big_src), MZMTP_OK);
    assert_int_equal(mzmtp_socket_refs_pending(&sa), 1);
    l[1].cut = true; /* the second subscriber is away for now */
    assert_int_equal(read_big(l, 2, &sb), sizeof big_src);
    assert_memory_equal(big_dst, big_src, sizeof big_src);
    assert_int_equal(mzmtp_socket_refs_pending(&sa), 1); /* still owed to the second */
    l[1].cut = false;
    memset(big_dst, 0, sizeof big_dst);
    assert_int_equal(read_big(l, 2, &sc), sizeof big_src);
    assert_memory_equal(big_dst, big_src, sizeof big_src);
    tu_pump(l, 2, 0);
    assert_int_equal(mzmtp_socket_refs_pending(&sa), 0);
}

static void send_ref_to_a_peer_that_leaves_releases_the_memory(void **state)
{
    init_socket(&sa, MZMTP_PUB, &mem_small);
    init_socket(&sb, MZMTP_SUB, &mem_b);
    tu_link_t l;
    tu_connect_sockets(&l, &sa, &sb, 0);
    subscribe(&sb, "big");
    tu_pump(&l, 1, 0);
    TU_ASSERT_STATUS(mzmtp_socket_send(&sa, "big", 3, true), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_socket_send_ref(&sa, big_src, 100000), MZMTP_OK);
    assert_int_equal(mzmtp_socket_refs_pending(&sa), 1);
    mzmtp_socket_peer_stop(&sa, l.a.peer, MZMTP_ERR_CLOSED);
    assert_int_equal(mzmtp_socket_refs_pending(&sa), 0);
}
#endif

#if MZMTP_CONF_RECV_REF
static bool inside(const void *p, size_t len, const uint8_t *region, size_t size)
{
    const uint8_t *b = p;
    return b >= region && b + len <= region + size;
}

static void recv_ref_lends_each_frame_where_it_lies(void **state)
{
    tu_link_t l;
    link_sa_sb(&l, MZMTP_PUB, MZMTP_SUB);
    subscribe(&sb, "t");
    tu_pump(&l, 1, 0);
    TU_ASSERT_STATUS(mzmtp_socket_send(&sa, "t1", 2, true), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_socket_send(&sa, "hello", 5, false), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_socket_send(&sa, "t2", 2, false), MZMTP_OK);
    tu_pump(&l, 1, 0);
    const void *d;
    size_t n;
    unsigned fl;
    TU_ASSERT_STATUS(mzmtp_socket_recv_ref(&sb, &d, &n, &fl), MZMTP_OK);
    assert_int_equal(n, 2);
    assert_memory_equal(d, "t1", 2);
    assert_int_equal(fl, MZMTP_RECV_MORE);
    assert_true(inside(d, n, mem_b_recv, sizeof mem_b_recv)); /* not copied */
    TU_ASSERT_STATUS(mzmtp_socket_recv_ref(&sb, &d, &n, &fl), MZMTP_OK);
    assert_int_equal(n, 5);
    assert_memory_equal(d, "hello", 5);
    assert_int_equal(fl, 0);
    assert_true(inside(d, n, mem_b_recv, sizeof mem_b_recv));
    /* Copying and lending mix: the next message by copy. */
    uint8_t buf[8];
    TU_ASSERT_STATUS(mzmtp_socket_recv(&sb, buf, sizeof buf, &n, &fl), MZMTP_OK);
    assert_int_equal(n, 2);
    assert_memory_equal(buf, "t2", 2);
    TU_ASSERT_STATUS(mzmtp_socket_recv_ref(&sb, &d, &n, &fl), MZMTP_AGAIN);
    assert_null(d);
    assert_int_equal(n, 0);
}

static void recv_ref_streams_a_frame_larger_than_the_receive_buffer(void **state)
{
    /* A frame many times the RECV_BYTES buffer: lent in pieces flagged PARTIAL, each one
     * read before the transport brings more. */
    static uint8_t body[20000], got[20000];
#if MZMTP_CONF_SEND_REF
    const size_t want = sizeof body; /* larger than the send ring too */
#else
    const size_t want = SEND_BYTES - 64;
#endif
    for (size_t i = 0; i < want; i++) body[i] = (uint8_t)(i * 13u + i / 97u);
    tu_link_t l;
    link_sa_sb(&l, MZMTP_PUSH, MZMTP_PULL);
    tu_pump(&l, 1, 0);
#if MZMTP_CONF_SEND_REF
    TU_ASSERT_STATUS(mzmtp_socket_send_ref(&sa, body, want), MZMTP_OK);
#else
    TU_ASSERT_STATUS(mzmtp_socket_send(&sa, body, want, false), MZMTP_OK);
#endif
    size_t at = 0, pieces = 0;
    for (int round = 0; round < 100000 && at < want; round++) {
        tu_pump(&l, 1, 0);
        const void *d;
        size_t n;
        unsigned fl;
        while (at < want && mzmtp_socket_recv_ref(&sb, &d, &n, &fl) == MZMTP_OK) {
            assert_true(inside(d, n, mem_b_recv, sizeof mem_b_recv));
            assert_true(n <= RECV_BYTES && at + n <= want);
            memcpy(got + at, d, n);
            at += n;
            pieces++;
            assert_int_equal(fl, at < want ? MZMTP_RECV_PARTIAL : 0u);
        }
    }
    assert_int_equal(at, want);
    assert_memory_equal(got, body, want);
    assert_true(pieces >= want / RECV_BYTES);
}

static void recv_ref_lends_a_routers_routing_id_frame(void **state)
{
    tu_link_t l;
    link_sa_sb(&l, MZMTP_DEALER, MZMTP_ROUTER);
    tu_pump(&l, 1, 0);
    TU_ASSERT_STATUS(mzmtp_socket_send(&sa, "hi", 2, false), MZMTP_OK);
    tu_pump(&l, 1, 0);
    const void *d;
    size_t n;
    unsigned fl;
    TU_ASSERT_STATUS(mzmtp_socket_recv_ref(&sb, &d, &n, &fl), MZMTP_OK);
    assert_int_equal(n, 5); /* 0x00 + a 32-bit counter (wire-notes S9) */
    assert_int_equal(((const uint8_t *)d)[0], 0);
    assert_int_equal(fl, MZMTP_RECV_MORE);
    uint8_t id[5];
    memcpy(id, d, 5);
    TU_ASSERT_STATUS(mzmtp_socket_recv_ref(&sb, &d, &n, &fl), MZMTP_OK);
    assert_int_equal(n, 2);
    assert_memory_equal(d, "hi", 2);
    assert_int_equal(fl, 0);
    /* The id lent is the one that routes the reply. */
    TU_ASSERT_STATUS(mzmtp_socket_send(&sb, id, 5, true), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_socket_send(&sb, "ok", 2, false), MZMTP_OK);
    tu_pump(&l, 1, 0);
    uint8_t buf[4];
    TU_ASSERT_STATUS(mzmtp_socket_recv(&sa, buf, sizeof buf, &n, &fl), MZMTP_OK);
    assert_int_equal(n, 2);
    assert_memory_equal(buf, "ok", 2);
}

#if MZMTP_CONF_SEND_REF
static void recv_ref_data_can_be_forwarded_by_reference(void **state)
{
    /* Zero-copy forwarding: what recv_ref lends stays in place while the socket takes no
     * more input — across further recv_ref calls and sends on any socket — so it can be
     * sent on by reference from the receive buffer itself. */
    init_socket(&sa, MZMTP_PUSH, &mem_a);
    init_socket(&sb, MZMTP_PULL, &mem_b);
    init_socket(&sd, MZMTP_PUSH, &mem_d);
    init_socket(&sc, MZMTP_PULL, &mem_c);
    tu_link_t in, out;
    tu_connect_sockets(&in, &sa, &sb, 0);
    tu_connect_sockets(&out, &sd, &sc, 0);
    tu_pump(&in, 1, 0);
    tu_pump(&out, 1, 0);
    TU_ASSERT_STATUS(mzmtp_socket_send(&sa, "first", 5, false), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_socket_send(&sa, "second", 6, false), MZMTP_OK);
    tu_pump(&in, 1, 0);
    const void *d1, *d2;
    size_t n1, n2;
    unsigned fl;
    TU_ASSERT_STATUS(mzmtp_socket_recv_ref(&sb, &d1, &n1, &fl), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_socket_recv_ref(&sb, &d2, &n2, &fl), MZMTP_OK);
    assert_memory_equal(d1, "first", 5); /* the second call left the first in place */
    TU_ASSERT_STATUS(mzmtp_socket_send_ref(&sd, d2, n2), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_socket_send_ref(&sd, d1, n1), MZMTP_OK);
    assert_int_equal(mzmtp_socket_refs_pending(&sd), 2);
    tu_pump(&out, 1, 0); /* only the outgoing link: sb takes no input meanwhile */
    assert_int_equal(mzmtp_socket_refs_pending(&sd), 0);
    uint8_t buf[16];
    size_t n;
    TU_ASSERT_STATUS(mzmtp_socket_recv(&sc, buf, sizeof buf, &n, &fl), MZMTP_OK);
    assert_int_equal(n, 6);
    assert_memory_equal(buf, "second", 6);
    TU_ASSERT_STATUS(mzmtp_socket_recv(&sc, buf, sizeof buf, &n, &fl), MZMTP_OK);
    assert_int_equal(n, 5);
    assert_memory_equal(buf, "first", 5);
}
#endif

static void recv_ref_refuses_xpub_pub_and_bad_arguments(void **state)
{
    const void *d = &d;
    size_t n = 7;
    unsigned fl = 7;
    init_socket(&sa, MZMTP_XPUB, &mem_a);
    TU_ASSERT_STATUS(mzmtp_socket_recv_ref(&sa, &d, &n, &fl), MZMTP_ERR_NOT_SUPPORTED);
    assert_null(d);
    assert_int_equal(n, 0);
    init_socket(&sa, MZMTP_PUB, &mem_a);
    TU_ASSERT_STATUS(mzmtp_socket_recv_ref(&sa, &d, &n, &fl), MZMTP_ERR_NOT_SUPPORTED);
    TU_ASSERT_STATUS(mzmtp_socket_recv_ref(NULL, &d, &n, &fl), MZMTP_ERR_INVALID);
    TU_ASSERT_STATUS(mzmtp_socket_recv_ref(&sa, NULL, &n, &fl), MZMTP_ERR_INVALID);
    TU_ASSERT_STATUS(mzmtp_socket_recv_ref(&sa, &d, NULL, &fl), MZMTP_ERR_INVALID);
    TU_ASSERT_STATUS(mzmtp_socket_recv_ref(&sa, &d, &n, NULL), MZMTP_ERR_INVALID);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pub_and_sub_complete_a_handshake_in_memory),
        cmocka_unit_test(freed_peer_slots_are_each_given_once_in_any_order),
#if MZMTP_CONF_PEER_CHANGES
        cmocka_unit_test(changed_peers_report_every_change_once_and_miss_none),
        cmocka_unit_test(changed_peers_report_what_a_tick_queued),
#endif
        cmocka_unit_test(sub_receives_what_it_subscribed_to),
        cmocka_unit_test(sub_filters_by_binary_prefix),
        cmocka_unit_test(empty_subscription_receives_everything),
        cmocka_unit_test(sub_without_subscription_receives_nothing),
        cmocka_unit_test(pub_with_no_peer_drops_and_returns_ok),
        cmocka_unit_test(subscription_made_before_connecting_is_sent_on_attach),
        cmocka_unit_test(multipart_message_is_delivered_whole),
        cmocka_unit_test(multipart_message_is_not_sent_before_its_last_frame),
        cmocka_unit_test(frame_larger_than_the_receive_buffer_streams_through),
        cmocka_unit_test(multipart_with_frames_larger_than_the_receive_buffer_streams_through),
        cmocka_unit_test(streamed_message_cut_by_its_peer_leaving_is_truncated),
        cmocka_unit_test(sub_socket_closes_on_a_malformed_second_frame),
        cmocka_unit_test(pub_keeps_each_peers_subscriptions_as_a_set),
        cmocka_unit_test(pub_keeps_subscriptions_per_peer),
        cmocka_unit_test(pub_delivers_once_when_several_subscriptions_match),
        cmocka_unit_test(sub_counts_subscriptions_and_cancels_only_at_zero),
        cmocka_unit_test(sub_unsubscribe_of_an_unknown_topic_is_invalid),
        cmocka_unit_test(sub_refuses_a_topic_over_max_topic),
        cmocka_unit_test(sub_reports_limit_when_the_table_is_full),
        cmocka_unit_test(sub_resubscribes_each_unique_topic_once_on_reconnect),
        cmocka_unit_test(sub_filters_again_on_receipt),
        cmocka_unit_test(sub_to_a_zmtp30_pub_subscribes_with_data_frames),
        cmocka_unit_test(pub_drops_at_sndhwm_without_blocking),
        cmocka_unit_test(pub_hwm_is_per_peer),
        cmocka_unit_test(full_pub_ring_does_not_starve_a_fast_subscriber),
        cmocka_unit_test(sub_send_is_not_supported),
        cmocka_unit_test(pub_recv_and_subscribe_are_not_supported),
        cmocka_unit_test(pub_drops_upstream_data_and_stays_connected),
        cmocka_unit_test(pub_to_pub_fails_the_handshake),
        cmocka_unit_test(monitor_reports_handshake),
        cmocka_unit_test(monitor_reports_a_failed_handshake_with_its_reason),
        cmocka_unit_test(event_names_are_stable),
        cmocka_unit_test(sub_fair_queues_over_three_publishers),
        cmocka_unit_test(xpub_reports_first_subscribe_and_last_cancel),
        cmocka_unit_test(xpub_reports_cancels_when_a_peer_disconnects),
        cmocka_unit_test(xpub_passes_upstream_data_to_the_application),
        cmocka_unit_test(xsub_subscribes_by_sending_01_topic),
        cmocka_unit_test(xsub_does_not_filter_on_receipt),
        cmocka_unit_test(xpub_with_sub_filters_like_pub),
        cmocka_unit_test(peer_slots_run_out_at_max_peers),
        cmocka_unit_test(socket_init_refuses_bad_memory),
        cmocka_unit_test(peer_slots_are_those_the_memory_gives),
        cmocka_unit_test(peer_slots_may_hold_garbage_before_init),
        cmocka_unit_test(socket_init_refuses_a_peer_area_too_small_for_its_type),
        cmocka_unit_test(routing_id_too_long_for_the_command_buffers_is_refused),
        cmocka_unit_test(pub_and_sub_work_with_the_smallest_peer_areas),
        cmocka_unit_test(router_routes_with_the_smallest_peer_area),
        cmocka_unit_test(pub_reaches_subscribers_in_every_word_of_its_peer_set),
        cmocka_unit_test(dead_peers_are_walked_in_order_across_words),
        cmocka_unit_test(handshake_timeout_through_socket_tick),
        cmocka_unit_test(many_peers_time_out_each_at_its_own_deadline),
#if MZMTP_CONF_HEARTBEAT
        cmocka_unit_test(heartbeats_keep_a_live_link_and_close_a_silent_one),
#endif
        cmocka_unit_test(poll_reports_readable_sub),
        cmocka_unit_test(closed_socket_refuses_sends),
        cmocka_unit_test(a_frame_too_large_for_the_ring_drops_its_message_only),
#if MZMTP_CONF_SEND_REF
        cmocka_unit_test(pub_sends_a_message_larger_than_its_ring_by_reference),
        cmocka_unit_test(send_ref_to_a_peer_that_leaves_releases_the_memory),
#endif
#if MZMTP_CONF_RECV_REF
        cmocka_unit_test(recv_ref_lends_each_frame_where_it_lies),
        cmocka_unit_test(recv_ref_streams_a_frame_larger_than_the_receive_buffer),
        cmocka_unit_test(recv_ref_lends_a_routers_routing_id_frame),
        cmocka_unit_test(recv_ref_refuses_xpub_pub_and_bad_arguments),
#if MZMTP_CONF_SEND_REF
        cmocka_unit_test(recv_ref_data_can_be_forwarded_by_reference),
#endif
#endif
    };
    return cmocka_run_group_tests_name("socket", tests, NULL, NULL);
}
