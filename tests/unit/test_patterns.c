/*
 * The socket patterns other than PUB/SUB, back to back in memory: PUSH/PULL (RFC 30),
 * REQ/REP (RFC 28), DEALER/ROUTER, PAIR (RFC 31), queues across reconnects, socket-type
 * checks, poll and heartbeats (wire-notes S5–S10, R3–R4, M5, H6–H7).
 *
 * Most tests wire sockets to sockets with tu_connect_sockets()/tu_pump(). Where the wire
 * itself is the specification (REQ's delimiter, REP's envelope, PING/PONG) one side is
 * driven by hand: bytes are fed with tu_socket_feed() and the exact output is taken with
 * tu_socket_take_output(). Sizes come from MZMTP_CONF_*, so the tests hold for the host
 * and the device profile alike.
 */
#include "testutil.h"

#include <stdio.h>

/* Builds with fewer peer slots or socket types run what they can: a test that wires more
 * peers to one socket than the build has says so (TU_NEED_PEERS), and one that makes a
 * socket of a type left out is skipped by tu_socket_init(). */

#define SEND_BYTES 8192
/* A REP request holds a whole envelope; a READY may carry a routing id. */
#define RECV_BYTES (512 + MZMTP_CONF_ENVELOPE_MAX + MZMTP_CONF_ROUTING_ID_MAX)
#define NSOCK 5

MZMTP_SOCKET_MEM_DEFINE(mem0, SEND_BYTES, RECV_BYTES);
MZMTP_SOCKET_MEM_DEFINE(mem1, SEND_BYTES, RECV_BYTES);
MZMTP_SOCKET_MEM_DEFINE(mem2, SEND_BYTES, RECV_BYTES);
MZMTP_SOCKET_MEM_DEFINE(mem3, SEND_BYTES, RECV_BYTES);
MZMTP_SOCKET_MEM_DEFINE(mem4, SEND_BYTES, RECV_BYTES);

static mzmtp_socket_t sk[NSOCK];
static const mzmtp_socket_mem_t *const mems[NSOCK] = {&mem0, &mem1, &mem2, &mem3, &mem4};

/* A raw engine on the far side of a link, with its own send ring. */
static mzmtp_conn_t raw;
static tu_log_t raw_log;
static uint8_t raw_rx[4096];
static uint8_t raw_ring[4096];
static mzmtp_outq_t raw_q;

/* The greeting every microzmtp engine sends (RFC 37, wire-notes G1/G2). */
#define GREETING "FF 00 00 00 00 00 00 00 01 7F 03 01 'NULL' 00*16 00 00*31 "

/* ------------------------------------------------------------------------------------ */
/* Helpers                                                                                */
/* ------------------------------------------------------------------------------------ */

/* Is socket type @p t in this build (MZMTP_CONF_SOCKET_TYPES)? */
static bool built(int t) { return (((unsigned)MZMTP_CONF_SOCKET_TYPES >> t) & 1u) != 0; }

static mzmtp_socket_t *sock_new(int i, int type)
{
    tu_socket_init(&sk[i], type, mems[i]);
    return &sk[i];
}

static void set_u32(mzmtp_socket_t *s, mzmtp_option_t opt, uint32_t v)
{
    TU_ASSERT_STATUS(mzmtp_socket_setopt(s, opt, &v, sizeof v), MZMTP_OK);
}

static void set_id(mzmtp_socket_t *s, const char *id)
{
    TU_ASSERT_STATUS(mzmtp_socket_setopt(s, MZMTP_OPT_ROUTING_ID, id, strlen(id)), MZMTP_OK);
}

/* Open and start a peer slot, as a port does for a new TCP connection. */
static int peer_up(mzmtp_socket_t *s, bool keep_queue, uint32_t now)
{
    int p = -1;
    TU_ASSERT_STATUS(mzmtp_socket_peer_open(s, keep_queue, &p), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_socket_peer_start(s, p, now), MZMTP_OK);
    return p;
}

/* Feed the bytes of a script to a peer slot. @return what a port would act on. */
static mzmtp_status_t feed(mzmtp_socket_t *s, int p, const char *script)
{
    static uint8_t b[2048];
    size_t n = tu_script(script, b, sizeof b);
    return tu_socket_feed(s, p, b, n, 0);
}

/* A libzmq peer of @p type completes its handshake on slot @p p. */
static void feed_handshake(mzmtp_socket_t *s, int p, const char *type)
{
    uint8_t b[256];
    tu_buf_t t = TU_BUF(b);
    tu_put_handshake(&t, 1, type);
    TU_ASSERT_STATUS(tu_socket_feed(s, p, b, t.len, 0), MZMTP_OK);
}

static size_t take(mzmtp_socket_t *s, int p, uint8_t *buf, size_t cap)
{
    return tu_socket_take_output(s, p, buf, cap);
}

/* Take everything slot @p p has to write and compare it with a byte script. */
#define EXPECT_OUTPUT(s, p, script)                                                         \
    do {                                                                                    \
        static uint8_t out_[4096];                                                          \
        size_t n_ = take((s), (p), out_, sizeof out_);                                      \
        TU_ASSERT_HEX(out_, n_, (script));                                                  \
    } while (0)

static void raw_start(int type)
{
    mzmtp_outq_init(&raw_q, raw_ring, sizeof raw_ring);
    mzmtp_outq_pipe_attach(&raw_q, 0);
    mzmtp_conn_opts_t o = tu_conn_opts();
    tu_log_init(&raw_log);
    TU_ASSERT_STATUS(tu_conn_init(&raw, type, &o, raw_rx, sizeof raw_rx, &raw_q, 0, 0),
                     MZMTP_OK);
}

static int link_raw(tu_link_t *l, mzmtp_socket_t *s, bool keep_queue)
{
    int p = peer_up(s, keep_queue, 0);
    tu_link_socket_conn(l, s, p, &raw, &raw_log);
    return p;
}

/* Messages are frame lists written as byte scripts: FRAMES("'id'", "", "'body'"). */
#define FRAMES(...)                                                                         \
    (const char *const[]){__VA_ARGS__},                                                     \
        sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)

static void expect_frames_(mzmtp_socket_t *s, const char *const *frames, size_t n,
                           const char *file, int line)
{
    static uint8_t buf[4096];
    size_t len = 0, fl[TU_MAX_FRAMES];
    unsigned nf = 0;
    mzmtp_status_t st = tu_socket_recv_msg(s, buf, sizeof buf, &len, &nf, fl, TU_MAX_FRAMES);
    tu_assert_status_(st, MZMTP_OK, "recv", file, line);
    if (nf != n) {
        print_error("message has %u frames, expected %zu\n", nf, n);
        _fail(file, line);
    }
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        tu_assert_hex_(buf + off, fl[i], frames[i], file, line);
        off += fl[i];
    }
}
/** Receive one whole message and compare each frame with its script. */
#define EXPECT_FRAMES(s, ...) expect_frames_((s), FRAMES(__VA_ARGS__), __FILE__, __LINE__)

static void send_frames_(mzmtp_socket_t *s, const char *const *frames, size_t n,
                         const char *file, int line)
{
    static uint8_t b[1024];
    for (size_t i = 0; i < n; i++) {
        size_t k = tu_script(frames[i], b, sizeof b);
        tu_assert_status_(mzmtp_socket_send(s, b, k, i + 1 < n), MZMTP_OK, "send", file, line);
    }
}
/** Send one message, one frame per script; every frame must be taken. */
#define SEND_FRAMES(s, ...) send_frames_((s), FRAMES(__VA_ARGS__), __FILE__, __LINE__)

static void expect_str(mzmtp_socket_t *s, const char *want)
{
    char buf[600];
    size_t len = 0, fl[TU_MAX_FRAMES];
    unsigned nf = 0;
    TU_ASSERT_STATUS(tu_socket_recv_msg(s, (uint8_t *)buf, sizeof buf - 1, &len, &nf, fl,
                                        TU_MAX_FRAMES), MZMTP_OK);
    buf[len] = 0;
    assert_int_equal(nf, 1);
    assert_string_equal(buf, want);
}

/* recv has nothing: MZMTP_AGAIN. */
static void expect_nothing(mzmtp_socket_t *s)
{
    uint8_t buf[64];
    size_t n;
    unsigned flags;
    TU_ASSERT_STATUS(mzmtp_socket_recv(s, buf, sizeof buf, &n, &flags), MZMTP_AGAIN);
}

static mzmtp_status_t recv_status(mzmtp_socket_t *s)
{
    uint8_t buf[64];
    size_t n;
    unsigned flags;
    return mzmtp_socket_recv(s, buf, sizeof buf, &n, &flags);
}

static void send_numbered(mzmtp_socket_t *s, const char *prefix, int i, mzmtp_status_t expect)
{
    char m[32];
    snprintf(m, sizeof m, "%s%d", prefix, i);
    tu_socket_send_str(s, m, expect);
}

static void expect_numbered(mzmtp_socket_t *s, const char *prefix, int i)
{
    char m[32];
    snprintf(m, sizeof m, "%s%d", prefix, i);
    expect_str(s, m);
}

/* Build a REP request whose envelope (routing frames + the empty delimiter, encoded)
 * takes exactly @p env_bytes, followed by the body "req". Routing frames are 1..200 B. */
static size_t put_envelope(tu_buf_t *b, size_t env_bytes)
{
    static uint8_t body[256];
    memset(body, 'e', sizeof body);
    size_t rem = env_bytes, start = b->len;
    while (rem > 2) {
        size_t n = rem - 4; /* the last routing frame: header 2 + body, then 2 for "01 00" */
        if (n > 200) n = 100;
        tu_put_frame(b, MZMTP_FLAG_MORE, body, n);
        rem -= n + 2;
    }
    tu_put_frame(b, MZMTP_FLAG_MORE, NULL, 0);
    assert_int_equal(b->len - start, env_bytes);
    return b->len - start;
}

/* ------------------------------------------------------------------------------------ */
/* PUSH / PULL (RFC 30, wire-notes S5)                                                   */
/* ------------------------------------------------------------------------------------ */

/* Sockets sk[1..n] of @p peer_type connect to @p s over l[0..n-1]; nothing pumped yet. */
static void connect_peers(tu_link_t *l, mzmtp_socket_t *s, int peer_type, int n)
{
    for (int i = 0; i < n; i++) {
        sock_new(i + 1, peer_type);
        tu_connect_sockets(&l[i], s, &sk[i + 1], 0);
    }
}

/* PULL sk[0] bound, PUSH sk[1] connected over l, handshake done; @return the PULL. */
static mzmtp_socket_t *pull_from_push(tu_link_t *l)
{
    mzmtp_socket_t *pull = sock_new(0, MZMTP_PULL);
    connect_peers(l, pull, MZMTP_PUSH, 1);
    tu_pump(l, 1, 0);
    return pull;
}

/* PUSH sk[0] bound, PULLs sk[1..n] connected, handshakes done. */
static mzmtp_socket_t *push_to_pulls(tu_link_t *l, int n)
{
    mzmtp_socket_t *push = sock_new(0, MZMTP_PUSH);
    connect_peers(l, push, MZMTP_PULL, n);
    tu_pump(l, (size_t)n, 0);
    assert_int_equal(mzmtp_socket_peer_count(push), n);
    return push;
}

/* Socket 0 of @p type with sockets 1..n of @p other linked at its peer slots in different
 * words of its peer set (tu_word_edge_slots: 31/32, 63/64, the last slot, as many as the
 * build has, up to four); the links in @p l, pumped until connected. @return n. */
static unsigned at_word_edges(tu_link_t l[4], int type, int other)
{
    static bool held[MZMTP_CONF_MAX_PEERS];
    int slot[4];
    unsigned n = tu_word_edge_slots(slot, 4);
    mzmtp_socket_t *s = sock_new(0, type);
    for (unsigned i = 0; i < n; i++) {
        sock_new((int)i + 1, other);
        tu_socket_hold_below(s, slot[i], held);
        tu_connect_sockets(&l[i], s, &sk[i + 1], 0);
        assert_int_equal(l[i].a.peer, slot[i]);
    }
    tu_socket_release_held(s, held);
    tu_pump(l, n, 0);
    assert_int_equal(mzmtp_socket_peer_count(s), n);
    return n;
}

/* PUSH's round robin over PULLs at slots in different words of its peer set: messages go
 * to them in slot order and wrap from the highest back to the lowest. */
static void push_round_robin_wraps_across_the_words_of_its_peer_set(void **state)
{
    tu_link_t l[4];
    unsigned n = at_word_edges(l, MZMTP_PUSH, MZMTP_PULL);
    mzmtp_socket_t *push = &sk[0];
    for (int m = 0; m < 3 * (int)n; m++) send_numbered(push, "m", m, MZMTP_OK);
    tu_pump(l, n, 0);
    for (unsigned i = 0; i < n; i++) {
        for (int m = (int)i; m < 3 * (int)n; m += (int)n) expect_numbered(&sk[i + 1], "m", m);
        expect_nothing(&sk[i + 1]);
    }
}

static void push_round_robins_messages_over_three_pulls_in_turn(void **state)
{
    TU_NEED_PEERS(2);
    tu_link_t l[3];
    mzmtp_socket_t *push = push_to_pulls(l, 3);
    /* 300 messages in batches of 30 (each batch fits every PULL's receive buffer):
     * peer i gets m_i, m_{i+3}, … in order, exactly 100 in all. */
    for (int batch = 0; batch < 10; batch++) {
        for (int m = 30 * batch; m < 30 * (batch + 1); m++) {
            send_numbered(push, "m", m, MZMTP_OK);
            tu_pump(l, 3, 0);
        }
        for (int i = 0; i < 3; i++) {
            for (int k = 0; k < 10; k++) expect_numbered(&sk[i + 1], "m", 30 * batch + i + 3 * k);
            expect_nothing(&sk[i + 1]);
        }
    }
}

static void push_never_splits_a_multipart_message_across_pulls(void **state)
{
    TU_NEED_PEERS(2);
    tu_link_t l[3];
    mzmtp_socket_t *push = push_to_pulls(l, 3);
    char head[16], tail[16];
    for (int m = 0; m < 30; m++) {
        snprintf(head, sizeof head, "h%d", m);
        snprintf(tail, sizeof tail, "t%d", m);
        /* The links move bytes between the frames: nothing may go before the last one. */
        TU_ASSERT_STATUS(mzmtp_socket_send(push, head, strlen(head), true), MZMTP_OK);
        tu_pump(l, 3, 0);
        TU_ASSERT_STATUS(mzmtp_socket_send(push, "", 0, true), MZMTP_OK);
        tu_pump(l, 3, 0);
        TU_ASSERT_STATUS(mzmtp_socket_send(push, tail, strlen(tail), false), MZMTP_OK);
        tu_pump(l, 3, 0);
    }
    for (int i = 0; i < 3; i++) {
        for (int k = 0; k < 10; k++) {
            char h[20], t[20];
            snprintf(h, sizeof h, "'h%d'", i + 3 * k);
            snprintf(t, sizeof t, "'t%d'", i + 3 * k);
            EXPECT_FRAMES(&sk[i + 1], h, "", t);
        }
        expect_nothing(&sk[i + 1]);
    }
}

static void push_skips_a_pull_at_its_sndhwm(void **state)
{
    TU_NEED_PEERS(2);
    tu_link_t l[3];
    mzmtp_socket_t *push = push_to_pulls(l, 3);
    set_u32(push, MZMTP_OPT_SNDHWM, 2);
    l[0].cut = true; /* the first PULL stops reading: its queue fills */
    for (int m = 0; m < 9; m++) {
        send_numbered(push, "m", m, MZMTP_OK);
        tu_pump(l, 3, 0);
    }
    l[0].cut = false;
    tu_pump(l, 3, 0);
    /* m0, m3 fill the first PULL's queue; its later turns go to the next peer in line. */
    expect_numbered(&sk[1], "m", 0);
    expect_numbered(&sk[1], "m", 3);
    expect_nothing(&sk[1]);
    static const int second[] = {1, 4, 6, 8}, third[] = {2, 5, 7};
    for (size_t k = 0; k < 4; k++) expect_numbered(&sk[2], "m", second[k]);
    expect_nothing(&sk[2]);
    for (size_t k = 0; k < 3; k++) expect_numbered(&sk[3], "m", third[k]);
    expect_nothing(&sk[3]);
}

static void push_skips_a_peer_whose_handshake_is_not_done(void **state)
{
    TU_NEED_PEERS(2);
    mzmtp_socket_t *push = sock_new(0, MZMTP_PUSH);
    tu_link_t l[2];
    connect_peers(l, push, MZMTP_PULL, 2);
    l[1].cut = true; /* accepted, but no byte has come from that peer yet */
    tu_pump(l, 2, 0);
    for (int m = 0; m < 4; m++) send_numbered(push, "m", m, MZMTP_OK);
    l[1].cut = false;
    tu_pump(l, 2, 0);
    for (int m = 4; m < 6; m++) send_numbered(push, "m", m, MZMTP_OK);
    tu_pump(l, 2, 0);
    for (int m = 0; m < 4; m++) expect_numbered(&sk[1], "m", m);
    expect_numbered(&sk[1], "m", 5);
    expect_nothing(&sk[1]);
    expect_numbered(&sk[2], "m", 4);
    expect_nothing(&sk[2]);
}

static void push_returns_again_when_every_pull_is_at_its_sndhwm(void **state)
{
    TU_NEED_PEERS(2);
    tu_link_t l[2];
    mzmtp_socket_t *push = push_to_pulls(l, 2);
    set_u32(push, MZMTP_OPT_SNDHWM, 1);
    l[0].cut = l[1].cut = true;
    send_numbered(push, "m", 0, MZMTP_OK);
    send_numbered(push, "m", 1, MZMTP_OK);
    send_numbered(push, "m", 2, MZMTP_AGAIN);
    /* A refused multipart message leaves nothing behind either. */
    TU_ASSERT_STATUS(mzmtp_socket_send(push, "x", 1, true), MZMTP_AGAIN);
    l[0].cut = l[1].cut = false;
    tu_pump(l, 2, 0);
    expect_numbered(&sk[1], "m", 0);
    expect_nothing(&sk[1]);
    expect_numbered(&sk[2], "m", 1);
    expect_nothing(&sk[2]);
    send_numbered(push, "m", 3, MZMTP_OK);
}

static void push_returns_again_with_no_peer(void **state)
{
    mzmtp_socket_t *push = sock_new(0, MZMTP_PUSH);
    send_numbered(push, "m", 0, MZMTP_AGAIN);
    /* A bound-side connection whose handshake has not finished does not count. */
    (void)peer_up(push, false, 0);
    send_numbered(push, "m", 1, MZMTP_AGAIN);
}

static void pull_fair_queues_per_message_over_three_pushes(void **state)
{
    TU_NEED_PEERS(2);
    /* S5: one whole message per PUSH in turn while all have some; each keeps its order. */
    mzmtp_socket_t *pull = sock_new(0, MZMTP_PULL);
    tu_link_t l[3];
    for (int i = 0; i < 3; i++) {
        sock_new(i + 1, MZMTP_PUSH);
        tu_connect_sockets(&l[i], pull, &sk[i + 1], 0);
    }
    tu_pump(l, 3, 0);
    tu_fair_t fair = {0};
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < 3; i++) {
            for (int k = 0; k < 10; k++) {
                uint8_t who = (uint8_t)i, seq = (uint8_t)(round * 10 + k);
                TU_ASSERT_STATUS(mzmtp_socket_send(&sk[i + 1], &who, 1, true), MZMTP_OK);
                TU_ASSERT_STATUS(mzmtp_socket_send(&sk[i + 1], &seq, 1, false), MZMTP_OK);
            }
        }
        tu_pump(l, 3, 0);
        tu_fair_round(&fair);
        for (int k = 0; k < 30; k++) {
            uint8_t buf[8];
            size_t len, fl[4];
            unsigned nf;
            TU_ASSERT_STATUS(tu_socket_recv_msg(pull, buf, sizeof buf, &len, &nf, fl, 4), MZMTP_OK);
            assert_int_equal(nf, 2);
            tu_fair_take(&fair, buf[0], buf[1]);
        }
        expect_nothing(pull);
    }
    for (int i = 0; i < 3; i++) assert_int_equal(fair.counts[i], 200);
    if (fair.worst > 1) fail_msg("fair queue: one PUSH got %d messages ahead of another", fair.worst);
}

/* PULL's fair queue over PUSHes at slots in different words of its peer set (as for the
 * round robin above): with a message waiting from each, one is read from each in slot
 * order, and the turn wraps from the highest slot back to the lowest. */
static void pull_fair_queue_wraps_across_the_words_of_its_peer_set(void **state)
{
    tu_link_t l[4];
    unsigned n = at_word_edges(l, MZMTP_PULL, MZMTP_PUSH);
    mzmtp_socket_t *pull = &sk[0];
    for (unsigned i = 0; i < n; i++) {
        for (int m = 0; m < 3; m++) send_numbered(&sk[i + 1], "m", 10 * (int)i + m, MZMTP_OK);
    }
    tu_pump(l, n, 0);
    for (int m = 0; m < 3; m++) {
        for (unsigned i = 0; i < n; i++) expect_numbered(pull, "m", 10 * (int)i + m);
    }
    expect_nothing(pull);
}

static void push_cannot_recv_and_pull_cannot_send(void **state)
{
    mzmtp_socket_t *push = sock_new(0, MZMTP_PUSH);
    mzmtp_socket_t *pull = sock_new(1, MZMTP_PULL);
    TU_ASSERT_STATUS(recv_status(push), MZMTP_ERR_NOT_SUPPORTED);
    TU_ASSERT_STATUS(mzmtp_socket_send(pull, "x", 1, false), MZMTP_ERR_NOT_SUPPORTED);
}

static void push_drops_data_sent_upstream_and_stays_connected(void **state)
{
    mzmtp_socket_t *push = sock_new(0, MZMTP_PUSH);
    raw_start(MZMTP_PULL);
    tu_link_t l;
    link_raw(&l, push, false);
    tu_pump(&l, 1, 0);
    for (int i = 0; i < 20; i++) {
        tu_outq_begin(&raw_q, 1);
        TU_ASSERT_STATUS(mzmtp_outq_add_frame(&raw_q, (const uint8_t *)"up", 2, false), MZMTP_OK);
        tu_pump(&l, 1, 0);
    }
    TU_ASSERT_STATUS(l.a.status, MZMTP_OK);
    tu_socket_send_str(push, "down", MZMTP_OK);
    tu_pump(&l, 1, 0);
    assert_int_equal(tu_log_count(&raw_log, MZMTP_CONN_EV_MESSAGE), 1);
    const tu_event_t *m = tu_log_nth(&raw_log, MZMTP_CONN_EV_MESSAGE, 0);
    TU_ASSERT_HEX(tu_ev_data(&raw_log, m), m->len, "'down'");
}

/* ------------------------------------------------------------------------------------ */
/* Queues across reconnects (wire-notes R3, R4)                                          */
/* ------------------------------------------------------------------------------------ */

static void connecting_slot_queues_messages_before_its_first_connection(void **state)
{
    mzmtp_socket_t *push = sock_new(0, MZMTP_PUSH);
    mzmtp_socket_t *pull = sock_new(1, MZMTP_PULL);
    int pp = -1;
    TU_ASSERT_STATUS(mzmtp_socket_peer_open(push, true, &pp), MZMTP_OK);
    tu_socket_send_str(push, "early-1", MZMTP_OK);
    tu_socket_send_str(push, "early-2", MZMTP_OK);
    assert_false(mzmtp_socket_flushed(push));
    /* The TCP connection comes up later. */
    int pl = peer_up(pull, false, 10);
    TU_ASSERT_STATUS(mzmtp_socket_peer_start(push, pp, 10), MZMTP_OK);
    tu_link_t l;
    tu_link_sockets(&l, pull, pl, push, pp);
    tu_pump(&l, 1, 10);
    expect_str(pull, "early-1");
    expect_str(pull, "early-2");
    expect_nothing(pull);
    assert_true(mzmtp_socket_flushed(push));
}

static void messages_sent_while_disconnected_arrive_after_reconnect_up_to_sndhwm(void **state)
{
    mzmtp_socket_t *pull = sock_new(0, MZMTP_PULL);
    mzmtp_socket_t *push = sock_new(1, MZMTP_PUSH);
    set_u32(push, MZMTP_OPT_SNDHWM, 3);
    tu_link_t l;
    tu_connect_sockets(&l, pull, push, 0); /* the PUSH connects: keep_queue */
    tu_pump(&l, 1, 0);
    tu_socket_send_str(push, "before", MZMTP_OK);
    tu_pump(&l, 1, 0);
    expect_str(pull, "before");
    /* The connection is lost on both sides. */
    mzmtp_socket_peer_stop(push, l.b.peer, MZMTP_ERR_CLOSED);
    mzmtp_socket_peer_stop(pull, l.a.peer, MZMTP_ERR_CLOSED);
    tu_socket_send_str(push, "d1", MZMTP_OK);
    tu_socket_send_str(push, "d2", MZMTP_OK);
    tu_socket_send_str(push, "d3", MZMTP_OK);
    tu_socket_send_str(push, "d4", MZMTP_AGAIN); /* at the HWM */
    /* Reconnect: the PULL accepts a new connection, the PUSH restarts its slot. */
    int pl = peer_up(pull, false, 100);
    TU_ASSERT_STATUS(mzmtp_socket_peer_start(push, l.b.peer, 100), MZMTP_OK);
    tu_link_t l2;
    tu_link_sockets(&l2, pull, pl, push, l.b.peer);
    tu_pump(&l2, 1, 100);
    expect_str(pull, "d1");
    expect_str(pull, "d2");
    expect_str(pull, "d3");
    expect_nothing(pull);
}

static void half_written_message_is_resent_whole_after_reconnect(void **state)
{
    tu_link_t l;
    mzmtp_socket_t *pull = pull_from_push(&l), *push = &sk[1];
    SEND_FRAMES(push, "'part-one'", "78*200", "'end'");
    /* The port writes 20 bytes of it; then the connection drops. */
    mzmtp_iov_t iov[8];
    size_t n = mzmtp_socket_peer_output(push, l.b.peer, iov, 8);
    assert_true(n >= 1);
    assert_true(iov[0].len > 20);
    TU_ASSERT_STATUS(tu_socket_feed(pull, l.a.peer, iov[0].base, 20, 0), MZMTP_OK);
    mzmtp_socket_peer_output_done(push, l.b.peer, 20);
    expect_nothing(pull);
    mzmtp_socket_peer_stop(push, l.b.peer, MZMTP_ERR_CLOSED);
    mzmtp_socket_peer_stop(pull, l.a.peer, MZMTP_ERR_CLOSED);
    expect_nothing(pull);
    int pl = peer_up(pull, false, 100);
    TU_ASSERT_STATUS(mzmtp_socket_peer_start(push, l.b.peer, 100), MZMTP_OK);
    tu_link_t l2;
    tu_link_sockets(&l2, pull, pl, push, l.b.peer);
    tu_pump(&l2, 1, 100);
    EXPECT_FRAMES(pull, "'part-one'", "78*200", "'end'");
    expect_nothing(pull);
    TU_ASSERT_STATUS(l2.a.status, MZMTP_OK);
}

static void bound_side_queue_is_dropped_when_its_peer_leaves(void **state)
{
    /* R3: on the binding side a peer's queue goes with its connection. */
    mzmtp_socket_t *push = sock_new(0, MZMTP_PUSH);
    mzmtp_socket_t *pull = sock_new(1, MZMTP_PULL);
    tu_link_t l;
    tu_connect_sockets(&l, push, pull, 0); /* the PUSH binds */
    tu_pump(&l, 1, 0);
    l.cut = true;
    for (int m = 0; m < 3; m++) send_numbered(push, "lost", m, MZMTP_OK);
    assert_false(mzmtp_socket_flushed(push));
    mzmtp_socket_peer_stop(push, l.a.peer, MZMTP_ERR_CLOSED);
    assert_true(mzmtp_socket_flushed(push));
    tu_socket_send_str(push, "no-peer", MZMTP_AGAIN);
    /* The PULL reconnects: a new connection on the PUSH side. */
    mzmtp_socket_peer_stop(pull, l.b.peer, MZMTP_ERR_CLOSED);
    int pa = peer_up(push, false, 100);
    TU_ASSERT_STATUS(mzmtp_socket_peer_start(pull, l.b.peer, 100), MZMTP_OK);
    tu_link_t l2;
    tu_link_sockets(&l2, push, pa, pull, l.b.peer);
    tu_pump(&l2, 1, 100);
    expect_nothing(pull);
    tu_socket_send_str(push, "after", MZMTP_OK);
    tu_pump(&l2, 1, 100);
    expect_str(pull, "after");
    expect_nothing(pull);
}

/* ------------------------------------------------------------------------------------ */
/* REQ (RFC 28, wire-notes S6, S7)                                                       */
/* ------------------------------------------------------------------------------------ */

/* REQ sk[0] connected to REP sk[1], handshake done. */
static mzmtp_socket_t *req_rep(tu_link_t *l)
{
    mzmtp_socket_t *rep = sock_new(1, MZMTP_REP);
    mzmtp_socket_t *req = sock_new(0, MZMTP_REQ);
    tu_connect_sockets(l, rep, req, 0);
    tu_pump(l, 1, 0);
    return req;
}

static void req_puts_an_empty_delimiter_before_the_request(void **state)
{
    mzmtp_socket_t *req = sock_new(0, MZMTP_REQ);
    int p = peer_up(req, true, 0);
    feed_handshake(req, p, "REP");
    TU_ASSERT_STATUS(mzmtp_socket_send(req, "q1", 2, true), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_socket_send(req, "q2", 2, false), MZMTP_OK);
    EXPECT_OUTPUT(req, p, GREETING
                  "04 26 05 'READY' 0B 'Socket-Type' 00 00 00 03 'REQ' 08 'Identity' 00 00 00 00"
                  "01 00 | 01 02 'q1' | 00 02 'q2'");
}

static void req_second_send_before_the_reply_is_a_state_error(void **state)
{
    tu_link_t l;
    mzmtp_socket_t *req = req_rep(&l);
    mzmtp_socket_t *rep = &sk[1];
    TU_ASSERT_STATUS(mzmtp_socket_send(req, "a", 1, true), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_socket_send(req, "b", 1, false), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_socket_send(req, "c", 1, false), MZMTP_ERR_STATE);
    TU_ASSERT_STATUS(mzmtp_socket_send(req, "c", 1, true), MZMTP_ERR_STATE);
    tu_pump(&l, 1, 0);
    EXPECT_FRAMES(rep, "'a'", "'b'");
    tu_socket_send_str(rep, "r", MZMTP_OK);
    tu_pump(&l, 1, 0);
    expect_nothing(rep); /* only the first request went */
    expect_str(req, "r");
    tu_socket_send_str(req, "next", MZMTP_OK);
}

static void req_recv_before_send_is_a_state_error(void **state)
{
    tu_link_t l;
    mzmtp_socket_t *req = req_rep(&l);
    TU_ASSERT_STATUS(recv_status(req), MZMTP_ERR_STATE);
    tu_socket_send_str(req, "q", MZMTP_OK);
    tu_pump(&l, 1, 0);
    expect_str(&sk[1], "q");
    tu_socket_send_str(&sk[1], "r", MZMTP_OK);
    tu_pump(&l, 1, 0);
    expect_str(req, "r");
    TU_ASSERT_STATUS(recv_status(req), MZMTP_ERR_STATE); /* the reply was read */
}

static void req_and_rep_alternate_many_times(void **state)
{
    tu_link_t l;
    mzmtp_socket_t *req = req_rep(&l);
    for (int i = 0; i < 100; i++) {
        send_numbered(req, "q", i, MZMTP_OK);
        tu_pump(&l, 1, 0);
        expect_numbered(&sk[1], "q", i);
        send_numbered(&sk[1], "r", i, MZMTP_OK);
        tu_pump(&l, 1, 0);
        expect_numbered(req, "r", i);
    }
}

static void req_accepts_a_reply_only_from_the_peer_it_asked(void **state)
{
    TU_NEED_PEERS(2);
    static uint8_t out[512];
    mzmtp_socket_t *req = sock_new(0, MZMTP_REQ);
    int pa = peer_up(req, true, 0), pb = peer_up(req, true, 0);
    feed_handshake(req, pa, "REP");
    feed_handshake(req, pb, "REP");
    take(req, pa, out, sizeof out);
    take(req, pb, out, sizeof out);
    tu_socket_send_str(req, "q", MZMTP_OK);
    EXPECT_OUTPUT(req, pa, "01 00 00 01 'q'");
    EXPECT_OUTPUT(req, pb, "");
    /* A reply-shaped message from the peer not asked is dropped; its link stays up. */
    TU_ASSERT_STATUS(feed(req, pb, "01 00 00 04 'fake'"), MZMTP_OK);
    expect_nothing(req);
    assert_int_equal(mzmtp_socket_poll(req) & MZMTP_POLLIN, 0);
    TU_ASSERT_STATUS(feed(req, pa, "01 00 00 04 'real'"), MZMTP_OK);
    expect_str(req, "real");
    /* The next request goes to the other peer; its earlier message is gone for good. */
    tu_socket_send_str(req, "q2", MZMTP_OK);
    EXPECT_OUTPUT(req, pb, "01 00 00 02 'q2'");
    TU_ASSERT_STATUS(feed(req, pb, "01 00 00 03 'pb2'"), MZMTP_OK);
    expect_str(req, "pb2");
}

static void router_answers_a_req_through_its_envelope(void **state)
{
    /* S6/S9: a ROUTER sees REQ's delimiter and answers behind it. */
    mzmtp_socket_t *router = sock_new(0, MZMTP_ROUTER);
    mzmtp_socket_t *req = sock_new(1, MZMTP_REQ);
    set_id(req, "R");
    tu_link_t l;
    tu_connect_sockets(&l, router, req, 0);
    tu_pump(&l, 1, 0);
    tu_socket_send_str(req, "q", MZMTP_OK);
    tu_pump(&l, 1, 0);
    EXPECT_FRAMES(router, "'R'", "", "'q'");
    SEND_FRAMES(router, "'R'", "", "'r'");
    tu_pump(&l, 1, 0);
    expect_str(req, "r");
}

static void req_closes_a_connection_whose_reply_lacks_the_empty_delimiter(void **state)
{
    /* S7: libzmq closes the connection on a malformed reply. */
    static const char *const bad[] = {
        "00 05 'hello'",       /* no delimiter at all */
        "01 01 'x' 00 01 'y'", /* a first frame that is not empty */
        "00 00",               /* an empty frame without MORE */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        mzmtp_socket_t *req = sock_new(0, MZMTP_REQ);
        int p = peer_up(req, true, 0);
        feed_handshake(req, p, "REP");
        tu_socket_send_str(req, "q", MZMTP_OK);
        static uint8_t out[512];
        take(req, p, out, sizeof out);
        TU_ASSERT_STATUS(feed(req, p, bad[i]), MZMTP_ERR_PROTOCOL);
        expect_nothing(req);
    }
}

/* ------------------------------------------------------------------------------------ */
/* REP (RFC 28, wire-notes S8)                                                           */
/* ------------------------------------------------------------------------------------ */

/* A REP socket sk[0] with one raw peer of @p type whose handshake is done. */
static int rep_with_raw_peer(const char *type)
{
    static uint8_t out[512];
    mzmtp_socket_t *rep = sock_new(0, MZMTP_REP);
    int p = peer_up(rep, false, 0);
    feed_handshake(rep, p, type);
    take(rep, p, out, sizeof out);
    return p;
}

static void rep_puts_the_request_envelope_back_in_front_of_the_reply(void **state)
{
    int p = rep_with_raw_peer("DEALER");
    mzmtp_socket_t *rep = &sk[0];
    TU_ASSERT_STATUS(feed(rep, p, "01 04 'hop1' | 01 04 'hop2' | 01 00 | 00 03 'req'"), MZMTP_OK);
    EXPECT_FRAMES(rep, "'req'");
    tu_socket_send_str(rep, "rep", MZMTP_OK);
    EXPECT_OUTPUT(rep, p, "01 04 'hop1' | 01 04 'hop2' | 01 00 | 00 03 'rep'");
}

static void rep_behind_a_broker_returns_a_two_frame_envelope(void **state)
{
    /* client DEALER "client" -> ROUTER | broker | DEALER -> REP. The client adds a routing
     * frame of its own, the ROUTER adds the client's id: REP sees a 2-frame envelope and
     * must hand it back unchanged, whatever the broker does with it. */
    mzmtp_socket_t *front = sock_new(0, MZMTP_ROUTER);
    mzmtp_socket_t *client = sock_new(1, MZMTP_DEALER);
    mzmtp_socket_t *back = sock_new(2, MZMTP_DEALER);
    mzmtp_socket_t *rep = sock_new(3, MZMTP_REP);
    set_id(client, "client");
    tu_link_t l[2];
    tu_connect_sockets(&l[0], front, client, 0);
    tu_connect_sockets(&l[1], rep, back, 0);
    tu_pump(l, 2, 0);
    SEND_FRAMES(client, "'hop1'", "", "'req'");
    tu_pump(l, 2, 0);
    EXPECT_FRAMES(front, "'client'", "'hop1'", "", "'req'");
    SEND_FRAMES(back, "'client'", "'hop1'", "", "'req'"); /* the broker forwards */
    tu_pump(l, 2, 0);
    EXPECT_FRAMES(rep, "'req'");
    tu_socket_send_str(rep, "rep", MZMTP_OK);
    tu_pump(l, 2, 0);
    EXPECT_FRAMES(back, "'client'", "'hop1'", "", "'rep'");
    SEND_FRAMES(front, "'client'", "'hop1'", "", "'rep'"); /* and back */
    tu_pump(l, 2, 0);
    EXPECT_FRAMES(client, "'hop1'", "", "'rep'");
    expect_nothing(client);
}

/* Raw peer @p p of @p rep sends a request "ok" behind the envelope @p env (script frames
 * ending in " | ", or ""): REP delivers it, and its reply "r" goes out behind the same
 * envelope. */
static void expect_rep_serves(mzmtp_socket_t *rep, int p, const char *env)
{
    char in[128], want[128];
    snprintf(in, sizeof in, "%s01 00 | 00 02 'ok'", env);
    snprintf(want, sizeof want, "%s01 00 | 00 01 'r'", env);
    TU_ASSERT_STATUS(feed(rep, p, in), MZMTP_OK);
    expect_str(rep, "ok");
    tu_socket_send_str(rep, "r", MZMTP_OK);
    EXPECT_OUTPUT(rep, p, want);
}

static void rep_drops_a_request_without_an_empty_frame(void **state)
{
    int p = rep_with_raw_peer("DEALER");
    mzmtp_socket_t *rep = &sk[0];
    TU_ASSERT_STATUS(feed(rep, p, "01 01 'a' | 00 01 'b'"), MZMTP_OK);
    expect_nothing(rep);
    TU_ASSERT_STATUS(feed(rep, p, "00 03 'bad'"), MZMTP_OK);
    expect_nothing(rep);
    expect_rep_serves(rep, p, "");
}

static void rep_recv_passes_over_a_dropped_request_to_the_next_one(void **state)
{
    /* libzmq's REP drops malformed requests inside one zmq_recv and returns the next. */
    int p = rep_with_raw_peer("DEALER");
    mzmtp_socket_t *rep = &sk[0];
    TU_ASSERT_STATUS(feed(rep, p, "00 03 'bad' | 01 00 | 00 02 'ok'"), MZMTP_OK);
    expect_str(rep, "ok");
}

static void rep_accepts_an_envelope_of_exactly_envelope_max(void **state)
{
    int p = rep_with_raw_peer("DEALER");
    mzmtp_socket_t *rep = &sk[0];
    static uint8_t in[MZMTP_CONF_ENVELOPE_MAX + 64], want[MZMTP_CONF_ENVELOPE_MAX + 64];
    tu_buf_t b = TU_BUF(in);
    put_envelope(&b, MZMTP_CONF_ENVELOPE_MAX);
    tu_put_frame(&b, 0, "req", 3);
    TU_ASSERT_STATUS(tu_socket_feed(rep, p, in, b.len, 0), MZMTP_OK);
    expect_str(rep, "req");
    tu_socket_send_str(rep, "rep", MZMTP_OK);
    tu_buf_t w = TU_BUF(want);
    put_envelope(&w, MZMTP_CONF_ENVELOPE_MAX);
    tu_put_frame(&w, 0, "rep", 3);
    static uint8_t out[MZMTP_CONF_ENVELOPE_MAX + 64];
    size_t n = take(rep, p, out, sizeof out);
    TU_ASSERT_BYTES(out, n, want, w.len);
}

static void rep_drops_a_request_whose_envelope_exceeds_envelope_max(void **state)
{
    int p = rep_with_raw_peer("DEALER");
    mzmtp_socket_t *rep = &sk[0];
    static uint8_t in[MZMTP_CONF_ENVELOPE_MAX + 64];
    tu_buf_t b = TU_BUF(in);
    put_envelope(&b, MZMTP_CONF_ENVELOPE_MAX + 1);
    tu_put_frame(&b, 0, "too-deep", 8);
    TU_ASSERT_STATUS(tu_socket_feed(rep, p, in, b.len, 0), MZMTP_OK);
    expect_nothing(rep);
    expect_rep_serves(rep, p, "01 01 'x' | ");
}

static void rep_drops_a_reply_to_a_peer_that_left_and_serves_the_next_request(void **state)
{
    TU_NEED_PEERS(2);
    mzmtp_socket_t *rep = sock_new(0, MZMTP_REP);
    mzmtp_socket_t *req1 = sock_new(1, MZMTP_REQ);
    mzmtp_socket_t *req2 = sock_new(2, MZMTP_REQ);
    tu_link_t l[2];
    tu_connect_sockets(&l[0], rep, req1, 0);
    tu_connect_sockets(&l[1], rep, req2, 0);
    tu_pump(l, 2, 0);
    tu_socket_send_str(req1, "q1", MZMTP_OK);
    tu_pump(l, 2, 0);
    expect_str(rep, "q1");
    /* req1's connection drops before the reply. */
    l[0].cut = true;
    mzmtp_socket_peer_stop(rep, l[0].a.peer, MZMTP_ERR_CLOSED);
    tu_socket_send_str(rep, "r1", MZMTP_OK);
    assert_true(mzmtp_socket_flushed(rep)); /* dropped, not queued */
    tu_socket_send_str(req2, "q2", MZMTP_OK);
    tu_pump(l, 2, 0);
    expect_str(rep, "q2");
    tu_socket_send_str(rep, "r2", MZMTP_OK);
    tu_pump(l, 2, 0);
    expect_str(req2, "r2"); /* not "r1" */
}

static void rep_reply_does_not_reach_a_new_peer_in_the_slot_of_the_one_that_left(void **state)
{
    /* The asker left and a new connection took its peer slot before the reply: the reply
     * belongs to the old connection and is dropped (RFC 28). */
    mzmtp_socket_t *rep = sock_new(0, MZMTP_REP);
    int p = peer_up(rep, false, 0);
    feed_handshake(rep, p, "REQ");
    TU_ASSERT_STATUS(feed(rep, p, "01 00 | 00 02 'q1'"), MZMTP_OK);
    expect_str(rep, "q1");
    mzmtp_socket_peer_stop(rep, p, MZMTP_ERR_CLOSED);
    raw_start(MZMTP_REQ);
    tu_link_t l;
    int p2 = link_raw(&l, rep, false);
    assert_int_equal(p2, p); /* the same slot, reused */
    tu_pump(&l, 1, 0);
    assert_int_equal(tu_log_count(&raw_log, MZMTP_CONN_EV_HANDSHAKE), 1);
    tu_socket_send_str(rep, "r1", MZMTP_OK);
    tu_pump(&l, 1, 0);
    assert_int_equal(tu_log_count(&raw_log, MZMTP_CONN_EV_MESSAGE), 0);
}

static void rep_send_before_a_request_is_a_state_error(void **state)
{
    int p = rep_with_raw_peer("REQ");
    (void)p;
    tu_socket_send_str(&sk[0], "unasked", MZMTP_ERR_STATE);
}

static void rep_recv_while_a_reply_is_due_is_a_state_error(void **state)
{
    int p = rep_with_raw_peer("REQ");
    mzmtp_socket_t *rep = &sk[0];
    TU_ASSERT_STATUS(feed(rep, p, "01 00 | 00 02 'q1' | 01 00 | 00 02 'q2'"), MZMTP_OK);
    expect_str(rep, "q1");
    TU_ASSERT_STATUS(recv_status(rep), MZMTP_ERR_STATE);
    tu_socket_send_str(rep, "r1", MZMTP_OK);
    expect_str(rep, "q2");
}

/* ------------------------------------------------------------------------------------ */
/* DEALER / ROUTER (wire-notes S9, M2, M7)                                               */
/* ------------------------------------------------------------------------------------ */

static void dealer_ready_carries_an_identity_as_libzmq_sends_it(void **state)
{
    /* N2: a DEALER with no id sends an empty Identity; with "abc" it sends "abc". */
    mzmtp_socket_t *d = sock_new(0, MZMTP_DEALER);
    int p = peer_up(d, true, 0);
    EXPECT_OUTPUT(d, p, GREETING "04 29 05 'READY' 0B 'Socket-Type' 00 00 00 06 'DEALER'"
                                 "08 'Identity' 00 00 00 00");
    d = sock_new(0, MZMTP_DEALER);
    set_id(d, "abc");
    p = peer_up(d, true, 0);
    EXPECT_OUTPUT(d, p, GREETING "04 2C 05 'READY' 0B 'Socket-Type' 00 00 00 06 'DEALER'"
                                 "08 'Identity' 00 00 00 03 'abc'");
}

/* ROUTER sk[0] with DEALERs sk[1..n] connected one after the other (in that order). */
static mzmtp_socket_t *router_with_dealers(tu_link_t *l, int n, const char *const *ids)
{
    mzmtp_socket_t *router = &sk[0];
    for (int i = 0; i < n; i++) {
        mzmtp_socket_t *d = sock_new(i + 1, MZMTP_DEALER);
        if (ids != NULL && ids[i] != NULL) set_id(d, ids[i]);
        tu_connect_sockets(&l[i], router, d, 0);
        tu_pump(l, (size_t)i + 1, 0);
    }
    return router;
}

/* ROUTER sk[0] with two DEALERs (sk[1], sk[2]) that both give the identity "dup",
 * connected over l[0] and then l[1]. */
static mzmtp_socket_t *router_with_two_dups(tu_link_t l[2])
{
    static const char *const ids[] = {"dup", "dup"};
    (void)sock_new(0, MZMTP_ROUTER);
    return router_with_dealers(l, 2, ids);
}

/* ROUTER sk[0] (ROUTER_MANDATORY if @p mandatory; SNDHWM @p sndhwm unless it is negative)
 * with DEALER "A" (sk[1]) connected over l[0]. */
static mzmtp_socket_t *router_with_dealer_a(tu_link_t l[1], bool mandatory, int sndhwm)
{
    static const char *const ids[] = {"A"};
    mzmtp_socket_t *router = sock_new(0, MZMTP_ROUTER);
    if (mandatory) set_u32(router, MZMTP_OPT_ROUTER_MANDATORY, 1);
    if (sndhwm >= 0) set_u32(router, MZMTP_OPT_SNDHWM, (uint32_t)sndhwm);
    return router_with_dealers(l, 1, ids);
}

static void router_prefixes_messages_with_the_dealer_routing_id(void **state)
{
    sock_new(0, MZMTP_ROUTER);
    tu_link_t l[1];
    static const char *const ids[] = {"dealer-1"};
    mzmtp_socket_t *router = router_with_dealers(l, 1, ids);
    SEND_FRAMES(&sk[1], "'hello'", "'world'");
    tu_pump(l, 1, 0);
    EXPECT_FRAMES(router, "'dealer-1'", "'hello'", "'world'");
    expect_nothing(router);
}

/* A ROUTER (sk[0]) whose generated ids count from @p seed, with 3 DEALERs (@p ids as
 * router_with_dealers() takes them) that have each sent "d<i>" and been pumped. */
static mzmtp_socket_t *seeded_router_heard_three_dealers(uint32_t seed, const char *const *ids)
{
    static tu_link_t l[3];
    mzmtp_socket_t *router = sock_new(0, MZMTP_ROUTER);
    set_u32(router, MZMTP_OPT_ROUTER_ID_SEED, seed);
    router_with_dealers(l, 3, ids);
    for (int i = 0; i < 3; i++) send_numbered(&sk[i + 1], "d", i, MZMTP_OK);
    tu_pump(l, 3, 0);
    return router;
}

static void router_generates_five_byte_ids_counting_from_the_seed(void **state)
{
    TU_NEED_PEERS(2);
    /* S9: 00 + uint32 BE, +1 per peer; the counter wraps. */
    mzmtp_socket_t *router = seeded_router_heard_three_dealers(0xFFFFFFFEu, NULL);
    EXPECT_FRAMES(router, "00 FF FF FF FE", "'d0'");
    EXPECT_FRAMES(router, "00 FF FF FF FF", "'d1'");
    EXPECT_FRAMES(router, "00 00 00 00 00", "'d2'");
    expect_nothing(router);
}

static void router_named_peer_does_not_use_up_a_generated_id(void **state)
{
    TU_NEED_PEERS(2);
    static const char *const ids[] = {NULL, "named", NULL};
    mzmtp_socket_t *router = seeded_router_heard_three_dealers(100, ids);
    EXPECT_FRAMES(router, "00 00 00 00 64", "'d0'");
    EXPECT_FRAMES(router, "'named'", "'d1'");
    EXPECT_FRAMES(router, "00 00 00 00 65", "'d2'");
}

static void router_routes_each_message_by_its_routing_id(void **state)
{
    TU_NEED_PEERS(2);
    mzmtp_socket_t *router = sock_new(0, MZMTP_ROUTER);
    tu_link_t l[2];
    static const char *const ids[] = {"A", "B"};
    router_with_dealers(l, 2, ids);
    SEND_FRAMES(router, "'B'", "'to-b'");
    SEND_FRAMES(router, "'A'", "'to-a'", "'second frame'");
    SEND_FRAMES(router, "'B'", "'to-b-2'");
    tu_pump(l, 2, 0);
    EXPECT_FRAMES(&sk[1], "'to-a'", "'second frame'");
    expect_nothing(&sk[1]);
    expect_str(&sk[2], "to-b");
    expect_str(&sk[2], "to-b-2");
    expect_nothing(&sk[2]);
}

/* Pump l[0]: DEALER "A" (sk[1]) receives @p text, and nothing else. */
static void expect_a_receives_only(tu_link_t l[1], const char *text)
{
    tu_pump(l, 1, 0);
    expect_str(&sk[1], text);
    expect_nothing(&sk[1]);
}

static void router_drops_a_message_to_an_unknown_id(void **state)
{
    tu_link_t l[1];
    mzmtp_socket_t *router = router_with_dealer_a(l, false, -1);
    SEND_FRAMES(router, "'nobody'", "'x'", "'y'");
    assert_true(mzmtp_socket_flushed(router));
    SEND_FRAMES(router, "'A'", "'ok'");
    expect_a_receives_only(l, "ok");
}

static void router_mandatory_refuses_an_unknown_id_with_unroutable(void **state)
{
    tu_link_t l[1];
    mzmtp_socket_t *router = router_with_dealer_a(l, true, -1);
    TU_ASSERT_STATUS(mzmtp_socket_send(router, "nobody", 6, true), MZMTP_ERR_UNROUTABLE);
    /* The next frame starts a new message: its first frame names the peer again. */
    SEND_FRAMES(router, "'A'", "'ok'");
    expect_a_receives_only(l, "ok");
}

static void router_mandatory_returns_again_when_the_peer_is_at_its_sndhwm(void **state)
{
    tu_link_t l[1];
    mzmtp_socket_t *router = router_with_dealer_a(l, true, 1);
    l[0].cut = true;
    SEND_FRAMES(router, "'A'", "'m1'");
    TU_ASSERT_STATUS(mzmtp_socket_send(router, "A", 1, true), MZMTP_AGAIN);
    l[0].cut = false;
    expect_a_receives_only(l, "m1");
    SEND_FRAMES(router, "'A'", "'m2'");
}

static void router_drops_a_message_for_a_peer_at_its_sndhwm(void **state)
{
    tu_link_t l[1];
    mzmtp_socket_t *router = router_with_dealer_a(l, false, 1);
    l[0].cut = true;
    SEND_FRAMES(router, "'A'", "'m1'");
    SEND_FRAMES(router, "'A'", "'m2'", "'more'"); /* taken and dropped: ROUTER never blocks */
    l[0].cut = false;
    expect_a_receives_only(l, "m1");
}

static void router_gives_the_id_to_the_duplicate_once_the_first_peer_leaves(void **state)
{
    TU_NEED_PEERS(2);
    /* A DEALER that reconnects with its id before the ROUTER saw the old connection close
     * is ignored at first, and takes the id over when the old one goes. */
    tu_link_t l[2];
    mzmtp_socket_t *router = router_with_two_dups(l);
    mzmtp_socket_peer_stop(router, l[0].a.peer, MZMTP_ERR_CLOSED);
    l[0].cut = true;
    SEND_FRAMES(router, "'dup'", "'m1'");
    tu_socket_send_str(&sk[2], "from-second", MZMTP_OK);
    tu_pump(l, 2, 0);
    expect_str(&sk[2], "m1");
    EXPECT_FRAMES(router, "'dup'", "'from-second'");
    expect_nothing(router);
}

static void router_ignores_a_peer_whose_identity_duplicates_a_connected_one(void **state)
{
    TU_NEED_PEERS(2);
    tu_link_t l[2];
    mzmtp_socket_t *router = router_with_two_dups(l);
    /* The second completes its handshake and keeps its connection. */
    TU_ASSERT_STATUS(l[1].a.status, MZMTP_OK);
    TU_ASSERT_STATUS(l[1].b.status, MZMTP_OK);
    assert_int_equal(mzmtp_socket_peer_count(&sk[2]), 1);
    assert_true(mzmtp_socket_peer_live(router, l[1].a.peer));
    SEND_FRAMES(router, "'dup'", "'m1'");
    SEND_FRAMES(router, "'dup'", "'m2'");
    tu_socket_send_str(&sk[2], "from-second", MZMTP_OK);
    tu_pump(l, 2, 0);
    expect_str(&sk[1], "m1");
    expect_str(&sk[1], "m2");
    expect_nothing(&sk[2]);
    expect_nothing(router);
    tu_socket_send_str(&sk[1], "from-first", MZMTP_OK);
    tu_pump(l, 2, 0);
    EXPECT_FRAMES(router, "'dup'", "'from-first'");
    expect_nothing(router);
}

static void router_keeps_the_routing_id_of_messages_read_after_their_peer_left(void **state)
{
    /* Complete messages received before a disconnect stay readable, and each still
     * starts with the routing id of the peer that sent it. */
    tu_link_t l[1];
    mzmtp_socket_t *router = router_with_dealer_a(l, false, -1);
    tu_socket_send_str(&sk[1], "m1", MZMTP_OK);
    tu_socket_send_str(&sk[1], "m2", MZMTP_OK);
    tu_pump(l, 1, 0);
    mzmtp_socket_peer_stop(router, l[0].a.peer, MZMTP_ERR_CLOSED);
    EXPECT_FRAMES(router, "'A'", "'m1'");
    EXPECT_FRAMES(router, "'A'", "'m2'");
    expect_nothing(router);
}

static void router_gives_a_new_peer_in_a_reused_slot_a_new_id(void **state)
{
    /* R3: the id of a peer that left is freed; a message to it is dropped, not delivered
     * to whoever takes its slot. */
    mzmtp_socket_t *router = sock_new(0, MZMTP_ROUTER);
    set_u32(router, MZMTP_OPT_ROUTER_ID_SEED, 7);
    tu_link_t l[1];
    router_with_dealers(l, 1, NULL);
    int p = l[0].a.peer;
    mzmtp_socket_peer_stop(router, p, MZMTP_ERR_CLOSED);
    mzmtp_socket_t *d2 = sock_new(2, MZMTP_DEALER);
    tu_link_t l2;
    tu_connect_sockets(&l2, router, d2, 0);
    assert_int_equal(l2.a.peer, p);
    tu_pump(&l2, 1, 0);
    SEND_FRAMES(router, "00 00 00 00 07", "'to-old'");
    SEND_FRAMES(router, "00 00 00 00 08", "'to-new'");
    tu_pump(&l2, 1, 0);
    expect_str(d2, "to-new");
    expect_nothing(d2);
}

static void routing_id_option_refuses_empty_too_long_and_leading_zero(void **state)
{
    mzmtp_socket_t *d = sock_new(1, MZMTP_DEALER);
    static uint8_t id[MZMTP_CONF_ROUTING_ID_MAX + 1];
    memset(id, 'i', sizeof id);
    set_id(d, "good");
    TU_ASSERT_STATUS(mzmtp_socket_setopt(d, MZMTP_OPT_ROUTING_ID, id, 0), MZMTP_ERR_INVALID);
    TU_ASSERT_STATUS(mzmtp_socket_setopt(d, MZMTP_OPT_ROUTING_ID, id, sizeof id),
                     MZMTP_ERR_INVALID);
    TU_ASSERT_STATUS(mzmtp_socket_setopt(d, MZMTP_OPT_ROUTING_ID, "\0abc", 4), MZMTP_ERR_INVALID);
    /* A refused value leaves the previous one in place. */
    mzmtp_socket_t *router = sock_new(0, MZMTP_ROUTER);
    tu_link_t l;
    tu_connect_sockets(&l, router, d, 0);
    tu_pump(&l, 1, 0);
    tu_socket_send_str(d, "x", MZMTP_OK);
    tu_pump(&l, 1, 0);
    EXPECT_FRAMES(router, "'good'", "'x'");
    /* The bounds themselves are accepted. */
    TU_ASSERT_STATUS(mzmtp_socket_setopt(d, MZMTP_OPT_ROUTING_ID, id, sizeof id - 1), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_socket_setopt(d, MZMTP_OPT_ROUTING_ID, "\x01", 1), MZMTP_OK);
}

static mzmtp_status_t feed_dealer_with_identity(mzmtp_socket_t *router, int p, size_t id_len)
{
    static uint8_t id[256], in[600];
    memset(id, 'i', sizeof id);
    tu_buf_t b = TU_BUF(in);
    tu_put_greeting(&b, 3, 1, "NULL");
    tu_put_ready_identity(&b, "DEALER", id, id_len);
    return tu_socket_feed(router, p, in, b.len, 0);
}

static void router_accepts_a_peer_identity_of_exactly_routing_id_max(void **state)
{
    mzmtp_socket_t *router = sock_new(0, MZMTP_ROUTER);
    int p = peer_up(router, false, 0);
    TU_ASSERT_STATUS(feed_dealer_with_identity(router, p, MZMTP_CONF_ROUTING_ID_MAX), MZMTP_OK);
    assert_int_equal(mzmtp_socket_peer_count(router), 1);
    TU_ASSERT_STATUS(feed(router, p, "00 02 'hi'"), MZMTP_OK);
    char id_script[16];
    snprintf(id_script, sizeof id_script, "69*%d", MZMTP_CONF_ROUTING_ID_MAX);
    EXPECT_FRAMES(router, id_script, "'hi'");
}

static void router_closes_a_peer_whose_identity_exceeds_routing_id_max(void **state)
{
    mzmtp_socket_t *router = sock_new(0, MZMTP_ROUTER);
    int p = peer_up(router, false, 0);
    /* RFC 37 allows 255 bytes; past our compile-time limit the port must close. */
    mzmtp_status_t want = MZMTP_CONF_ROUTING_ID_MAX < 255 ? MZMTP_ERR_PEER_LIMIT : MZMTP_ERR_PROTOCOL;
    TU_ASSERT_STATUS(feed_dealer_with_identity(router, p, MZMTP_CONF_ROUTING_ID_MAX + 1), want);
    assert_int_equal(mzmtp_socket_peer_count(router), 0);
    expect_nothing(router);
}

/* Enough 100-byte messages to overflow the send ring, by slots or by bytes. */
#define RING_FILL (MZMTP_CONF_SEND_SLOTS + SEND_BYTES / 100 + 2)

static void router_mandatory_reports_a_full_send_ring_as_again(void **state)
{
    /* S9: with ROUTER_MANDATORY a peer that cannot take the message gives EAGAIN. The
     * message would fit an empty ring, so MZMTP_ERR_NO_MEMORY ("can never fit") is wrong. */
    tu_link_t l[1];
    mzmtp_socket_t *router = router_with_dealer_a(l, true, 0);
    l[0].cut = true;
    static uint8_t body[100];
    memset(body, 'b', sizeof body);
    mzmtp_status_t st = MZMTP_OK;
    int sent = 0;
    for (; sent < RING_FILL && st == MZMTP_OK; sent++) {
        st = mzmtp_socket_send(router, "A", 1, true);
        if (st == MZMTP_OK) st = mzmtp_socket_send(router, body, sizeof body, false);
    }
    assert_true(sent > 1);
    TU_ASSERT_STATUS(st, MZMTP_AGAIN);
}

static void router_drops_a_message_when_the_send_ring_is_full(void **state)
{
    /* Without MANDATORY a ROUTER never blocks and never fails a routable send: a message
     * its peer cannot take is dropped, as at the HWM (S9, libzmq router_t::xsend). */
    tu_link_t l[1];
    mzmtp_socket_t *router = router_with_dealer_a(l, false, 0);
    l[0].cut = true;
    static uint8_t body[100];
    for (int m = 0; m < RING_FILL; m++) {
        memset(body, 'a' + m % 26, sizeof body);
        TU_ASSERT_STATUS(mzmtp_socket_send(router, "A", 1, true), MZMTP_OK);
        TU_ASSERT_STATUS(mzmtp_socket_send(router, body, sizeof body, false), MZMTP_OK);
    }
    l[0].cut = false;
    tu_pump(l, 1, 0);
    /* What was queued arrives in order; the rest is gone. */
    int got = 0;
    for (;; got++) {
        uint8_t buf[128];
        size_t len, fl[2];
        unsigned nf;
        mzmtp_status_t st = tu_socket_recv_msg(&sk[1], buf, sizeof buf, &len, &nf, fl, 2);
        if (st == MZMTP_AGAIN && tu_pump(l, 1, 0) > 0) {
            st = tu_socket_recv_msg(&sk[1], buf, sizeof buf, &len, &nf, fl, 2);
        }
        if (st == MZMTP_AGAIN) break;
        TU_ASSERT_STATUS(st, MZMTP_OK);
        assert_int_equal(len, sizeof body);
        assert_int_equal(buf[0], 'a' + got % 26);
    }
    assert_true(got >= 1 && got < RING_FILL);
    SEND_FRAMES(router, "'A'", "'after'");
    tu_pump(l, 1, 0);
    expect_str(&sk[1], "after");
}

static void dealer_round_robins_and_router_fair_queues(void **state)
{
    TU_NEED_PEERS(2);
    /* S5 for DEALER: round-robin out, fair-queue in. Two ROUTERs behind one DEALER. */
    mzmtp_socket_t *d = sock_new(0, MZMTP_DEALER);
    set_id(d, "D");
    sock_new(1, MZMTP_ROUTER);
    sock_new(2, MZMTP_ROUTER);
    tu_link_t l[2];
    tu_connect_sockets(&l[0], &sk[1], d, 0);
    tu_connect_sockets(&l[1], &sk[2], d, 0);
    tu_pump(l, 2, 0);
    for (int m = 0; m < 6; m++) send_numbered(d, "m", m, MZMTP_OK);
    tu_pump(l, 2, 0);
    for (int k = 0; k < 3; k++) {
        char m0[16], m1[16];
        snprintf(m0, sizeof m0, "'m%d'", 2 * k);
        snprintf(m1, sizeof m1, "'m%d'", 2 * k + 1);
        EXPECT_FRAMES(&sk[1], "'D'", m0);
        EXPECT_FRAMES(&sk[2], "'D'", m1);
    }
    for (int k = 0; k < 3; k++) {
        SEND_FRAMES(&sk[1], "'D'", "'from-1'");
        SEND_FRAMES(&sk[2], "'D'", "'from-2'");
    }
    tu_pump(l, 2, 0);
    for (int k = 0; k < 3; k++) {
        expect_str(d, "from-1");
        expect_str(d, "from-2");
    }
    expect_nothing(d);
}

/* ------------------------------------------------------------------------------------ */
/* PAIR (RFC 31, wire-notes S10)                                                         */
/* ------------------------------------------------------------------------------------ */

/* PAIRs sk[1] and sk[2] connect to @p pair over l[0] and l[1], the second once the first
 * is up. */
static void connect_two_pairs(tu_link_t l[2], mzmtp_socket_t *pair)
{
    sock_new(1, MZMTP_PAIR);
    sock_new(2, MZMTP_PAIR);
    tu_connect_sockets(&l[0], pair, &sk[1], 0);
    tu_pump(l, 1, 0);
    tu_connect_sockets(&l[1], pair, &sk[2], 0);
    tu_pump(l, 2, 0);
}

static void pair_ignores_a_second_peer_in_both_directions(void **state)
{
    TU_NEED_PEERS(2);
    mzmtp_socket_t *pair = sock_new(0, MZMTP_PAIR);
    tu_link_t l[2];
    connect_two_pairs(l, pair);
    /* The second peer completes its handshake. */
    TU_ASSERT_STATUS(l[1].a.status, MZMTP_OK);
    TU_ASSERT_STATUS(l[1].b.status, MZMTP_OK);
    assert_int_equal(mzmtp_socket_peer_count(&sk[2]), 1);
    for (int m = 0; m < 4; m++) send_numbered(pair, "to-first-", m, MZMTP_OK);
    tu_socket_send_str(&sk[2], "from-second", MZMTP_OK);
    tu_pump(l, 2, 0);
    for (int m = 0; m < 4; m++) expect_numbered(&sk[1], "to-first-", m);
    expect_nothing(&sk[1]);
    expect_nothing(&sk[2]);
    expect_nothing(pair);
    tu_socket_send_str(&sk[1], "from-first", MZMTP_OK);
    tu_pump(l, 2, 0);
    expect_str(pair, "from-first");
    expect_nothing(pair);
    TU_ASSERT_STATUS(l[0].a.status, MZMTP_OK);
    TU_ASSERT_STATUS(l[1].a.status, MZMTP_OK);
}

/* ------------------------------------------------------------------------------------ */
/* Socket types (wire-notes M5)                                                          */
/* ------------------------------------------------------------------------------------ */

/* Connects each pair of the table that this build has, both ways round, and checks that
 * both ends finish with `want` and hold `peers` peers; skips when the build has none. */
static void check_type_pairs(const int (*pairs)[2], size_t n, mzmtp_status_t want, int peers)
{
    int rows = 0;
    for (size_t i = 0; i < n; i++) {
        if (!built(pairs[i][0]) || !built(pairs[i][1])) continue; /* the pairs this build has */
        rows++;
        for (int dir = 0; dir < 2; dir++) {
            mzmtp_socket_t *a = sock_new(0, pairs[i][dir]);
            mzmtp_socket_t *b = sock_new(1, pairs[i][1 - dir]);
            tu_link_t l;
            tu_connect_sockets(&l, a, b, 0);
            tu_pump(&l, 1, 0);
            if (l.a.status != want || l.b.status != want) {
                fail_msg("%s-%s: %s / %s", mzmtp_wire_socket_type_name(pairs[i][dir]),
                         mzmtp_wire_socket_type_name(pairs[i][1 - dir]),
                         mzmtp_status_str(l.a.status), mzmtp_status_str(l.b.status));
            }
            assert_int_equal(mzmtp_socket_peer_count(a), peers);
            assert_int_equal(mzmtp_socket_peer_count(b), peers);
        }
    }
    if (rows == 0) {
        print_message("no pair of this table in a build with MZMTP_CONF_SOCKET_TYPES 0x%x\n",
                      (unsigned)MZMTP_CONF_SOCKET_TYPES);
        skip();
    }
}

static void socket_type_pairs_that_may_talk_complete_the_handshake(void **state)
{
    static const int ok[][2] = {
        {MZMTP_REQ, MZMTP_REP},       {MZMTP_REQ, MZMTP_ROUTER},    {MZMTP_REP, MZMTP_DEALER},
        {MZMTP_DEALER, MZMTP_DEALER}, {MZMTP_DEALER, MZMTP_ROUTER}, {MZMTP_ROUTER, MZMTP_ROUTER},
        {MZMTP_PUSH, MZMTP_PULL},     {MZMTP_PAIR, MZMTP_PAIR},
    };
    check_type_pairs(ok, sizeof ok / sizeof ok[0], MZMTP_OK, 1);
}

static void mismatched_socket_types_are_refused_with_socket_type(void **state)
{
    static const int bad[][2] = {
        {MZMTP_PUSH, MZMTP_PUB},   {MZMTP_PUSH, MZMTP_PUSH},   {MZMTP_PULL, MZMTP_PULL},
        {MZMTP_PULL, MZMTP_SUB},   {MZMTP_REQ, MZMTP_REQ},     {MZMTP_REQ, MZMTP_DEALER},
        {MZMTP_REQ, MZMTP_PULL},   {MZMTP_REP, MZMTP_REP},     {MZMTP_REP, MZMTP_ROUTER},
        {MZMTP_DEALER, MZMTP_PUSH}, {MZMTP_DEALER, MZMTP_PAIR}, {MZMTP_ROUTER, MZMTP_PUB},
        {MZMTP_ROUTER, MZMTP_PAIR}, {MZMTP_PAIR, MZMTP_PUSH},   {MZMTP_PAIR, MZMTP_SUB},
        {MZMTP_XPUB, MZMTP_PULL},  {MZMTP_XSUB, MZMTP_REP},    {MZMTP_PUB, MZMTP_PUB},
        {MZMTP_SUB, MZMTP_SUB},
    };
    check_type_pairs(bad, sizeof bad / sizeof bad[0], MZMTP_ERR_SOCKET_TYPE, 0);
}

/* ------------------------------------------------------------------------------------ */
/* Poll: POLLIN exactly when recv would give data, POLLOUT exactly when a small send     */
/* would be taken (neither MZMTP_AGAIN nor MZMTP_ERR_STATE).                              */
/* ------------------------------------------------------------------------------------ */

#define ASSERT_POLL(s, want) assert_int_equal(mzmtp_socket_poll(s), (want))

/* No POLLIN: recv refuses (AGAIN, or STATE for REQ/REP out of turn). */
static void recv_refused(mzmtp_socket_t *s)
{
    mzmtp_status_t st = recv_status(s);
    if (st != MZMTP_AGAIN && st != MZMTP_ERR_STATE) {
        fail_msg("recv returned %s without POLLIN", mzmtp_status_str(st));
    }
}

static void send_refused(mzmtp_socket_t *s)
{
    mzmtp_status_t st = mzmtp_socket_send(s, "x", 1, false);
    if (st != MZMTP_AGAIN && st != MZMTP_ERR_STATE) {
        fail_msg("send returned %s without POLLOUT", mzmtp_status_str(st));
    }
}

static void poll_push_reports_pollout_only_while_a_peer_can_take_a_message(void **state)
{
    mzmtp_socket_t *push = sock_new(0, MZMTP_PUSH);
    ASSERT_POLL(push, 0);
    send_refused(push);
    sock_new(1, MZMTP_PULL);
    tu_link_t l;
    tu_connect_sockets(&l, push, &sk[1], 0);
    ASSERT_POLL(push, 0); /* handshake not done */
    send_refused(push);
    tu_pump(&l, 1, 0);
    set_u32(push, MZMTP_OPT_SNDHWM, 1);
    l.cut = true;
    ASSERT_POLL(push, MZMTP_POLLOUT);
    tu_socket_send_str(push, "m", MZMTP_OK);
    ASSERT_POLL(push, 0); /* at the HWM */
    send_refused(push);
    l.cut = false;
    tu_pump(&l, 1, 0);
    ASSERT_POLL(push, MZMTP_POLLOUT);
}

static void poll_push_reports_pollout_for_a_slot_still_connecting(void **state)
{
    /* R4: a connecting slot has a queue before its connection. */
    mzmtp_socket_t *push = sock_new(0, MZMTP_PUSH);
    int p = -1;
    TU_ASSERT_STATUS(mzmtp_socket_peer_open(push, true, &p), MZMTP_OK);
    ASSERT_POLL(push, MZMTP_POLLOUT);
    tu_socket_send_str(push, "queued", MZMTP_OK);
}

static void poll_pull_reports_pollin_until_the_last_frame_is_read(void **state)
{
    tu_link_t l;
    mzmtp_socket_t *pull = pull_from_push(&l), *push = &sk[1];
    ASSERT_POLL(pull, 0);
    recv_refused(pull);
    SEND_FRAMES(push, "'a'", "'b'");
    tu_pump(&l, 1, 0);
    ASSERT_POLL(pull, MZMTP_POLLIN);
    uint8_t buf[8];
    size_t n;
    unsigned flags;
    TU_ASSERT_STATUS(mzmtp_socket_recv(pull, buf, sizeof buf, &n, &flags), MZMTP_OK);
    assert_int_equal(flags, MZMTP_RECV_MORE);
    ASSERT_POLL(pull, MZMTP_POLLIN);
    TU_ASSERT_STATUS(mzmtp_socket_recv(pull, buf, sizeof buf, &n, &flags), MZMTP_OK);
    assert_int_equal(flags, 0);
    ASSERT_POLL(pull, 0);
    recv_refused(pull);
}

static void poll_req_follows_send_then_recv(void **state)
{
    mzmtp_socket_t *req = sock_new(0, MZMTP_REQ);
    ASSERT_POLL(req, 0); /* no peer */
    send_refused(req);
    recv_refused(req);
    mzmtp_socket_t *rep = sock_new(1, MZMTP_REP);
    tu_link_t l;
    tu_connect_sockets(&l, rep, req, 0);
    tu_pump(&l, 1, 0);
    ASSERT_POLL(req, MZMTP_POLLOUT);
    recv_refused(req);
    tu_socket_send_str(req, "q", MZMTP_OK);
    ASSERT_POLL(req, 0);
    send_refused(req);
    recv_refused(req);
    tu_pump(&l, 1, 0);
    expect_str(rep, "q");
    tu_socket_send_str(rep, "r", MZMTP_OK);
    tu_pump(&l, 1, 0);
    ASSERT_POLL(req, MZMTP_POLLIN);
    send_refused(req);
    expect_str(req, "r");
    ASSERT_POLL(req, MZMTP_POLLOUT);
}

static void poll_req_reports_pollout_in_the_middle_of_a_request(void **state)
{
    /* The rest of an open multipart request is always taken (libzmq lb_t::has_out with
     * _more set): POLLOUT stays on until its last frame. */
    tu_link_t l;
    mzmtp_socket_t *req = req_rep(&l);
    TU_ASSERT_STATUS(mzmtp_socket_send(req, "part", 4, true), MZMTP_OK);
    ASSERT_POLL(req, MZMTP_POLLOUT);
    TU_ASSERT_STATUS(mzmtp_socket_send(req, "end", 3, false), MZMTP_OK);
    ASSERT_POLL(req, 0);
}

static void poll_rep_follows_recv_then_send(void **state)
{
    TU_NEED_PEERS(2);
    mzmtp_socket_t *rep = sock_new(0, MZMTP_REP);
    tu_link_t l[2];
    connect_peers(l, rep, MZMTP_REQ, 2);
    tu_pump(l, 2, 0);
    ASSERT_POLL(rep, 0);
    send_refused(rep);
    recv_refused(rep);
    tu_socket_send_str(&sk[1], "q1", MZMTP_OK);
    tu_socket_send_str(&sk[2], "q2", MZMTP_OK);
    tu_pump(l, 2, 0);
    ASSERT_POLL(rep, MZMTP_POLLIN);
    send_refused(rep);
    expect_str(rep, "q1");
    ASSERT_POLL(rep, MZMTP_POLLOUT); /* a request waits, but the reply comes first */
    recv_refused(rep);
    tu_socket_send_str(rep, "r1", MZMTP_OK);
    ASSERT_POLL(rep, MZMTP_POLLIN);
    expect_str(rep, "q2");
    tu_socket_send_str(rep, "r2", MZMTP_OK);
    ASSERT_POLL(rep, 0);
    recv_refused(rep);
}

static void poll_rep_reports_pollout_only_while_the_reply_fits(void **state)
{
    /* A peer that never reads: replies pile up in the send ring until it is full. */
    int p = rep_with_raw_peer("DEALER");
    mzmtp_socket_t *rep = &sk[0];
    static uint8_t reply[64];
    memset(reply, 'r', sizeof reply);
    int i = 0;
    for (; i < RING_FILL; i++) {
        TU_ASSERT_STATUS(feed(rep, p, "01 00 | 00 01 'q'"), MZMTP_OK);
        expect_str(rep, "q");
        unsigned ev = mzmtp_socket_poll(rep);
        mzmtp_status_t st = mzmtp_socket_send(rep, reply, sizeof reply, false);
        if (ev & MZMTP_POLLOUT) {
            if (st != MZMTP_OK) {
                fail_msg("reply %d: POLLOUT, but send gave %s", i, mzmtp_status_str(st));
            }
        } else {
            TU_ASSERT_STATUS(st, MZMTP_AGAIN);
            break;
        }
    }
    assert_true(i > 0 && i < RING_FILL);
}

static void poll_rep_does_not_report_a_request_it_will_drop(void **state)
{
    int p = rep_with_raw_peer("DEALER");
    mzmtp_socket_t *rep = &sk[0];
    TU_ASSERT_STATUS(feed(rep, p, "00 03 'bad'"), MZMTP_OK);
    ASSERT_POLL(rep, 0);
    recv_refused(rep);
}

static void poll_dealer_reports_both_directions(void **state)
{
    mzmtp_socket_t *d = sock_new(0, MZMTP_DEALER);
    set_id(d, "D");
    ASSERT_POLL(d, 0);
    send_refused(d);
    mzmtp_socket_t *router = sock_new(1, MZMTP_ROUTER);
    set_u32(d, MZMTP_OPT_SNDHWM, 1);
    tu_link_t l;
    tu_connect_sockets(&l, router, d, 0);
    tu_pump(&l, 1, 0);
    ASSERT_POLL(d, MZMTP_POLLOUT);
    SEND_FRAMES(router, "'D'", "'m'");
    tu_pump(&l, 1, 0);
    ASSERT_POLL(d, MZMTP_POLLIN | MZMTP_POLLOUT);
    expect_str(d, "m");
    ASSERT_POLL(d, MZMTP_POLLOUT);
    l.cut = true;
    tu_socket_send_str(d, "up", MZMTP_OK);
    ASSERT_POLL(d, 0);
    send_refused(d);
    recv_refused(d);
}

static void poll_router_reports_pollin_for_a_whole_message(void **state)
{
    TU_NEED_PEERS(2);
    mzmtp_socket_t *router = sock_new(0, MZMTP_ROUTER);
    ASSERT_POLL(router, MZMTP_POLLOUT); /* sends to unknown ids are taken and dropped */
    tu_socket_send_str(router, "x", MZMTP_OK);
    tu_link_t l[2];
    static const char *const ids[] = {"A", "A"};
    router_with_dealers(l, 2, ids);
    tu_socket_send_str(&sk[2], "ignored", MZMTP_OK); /* a duplicate id: never readable */
    tu_pump(l, 2, 0);
    ASSERT_POLL(router, MZMTP_POLLOUT);
    recv_refused(router);
    tu_socket_send_str(&sk[1], "m", MZMTP_OK);
    tu_pump(l, 2, 0);
    ASSERT_POLL(router, MZMTP_POLLIN | MZMTP_POLLOUT);
    uint8_t buf[32];
    size_t n;
    unsigned flags;
    TU_ASSERT_STATUS(mzmtp_socket_recv(router, buf, sizeof buf, &n, &flags), MZMTP_OK);
    TU_ASSERT_HEX(buf, n, "'A'");
    ASSERT_POLL(router, MZMTP_POLLIN | MZMTP_POLLOUT); /* the body is still to come */
    TU_ASSERT_STATUS(mzmtp_socket_recv(router, buf, sizeof buf, &n, &flags), MZMTP_OK);
    TU_ASSERT_HEX(buf, n, "'m'");
    ASSERT_POLL(router, MZMTP_POLLOUT);
}

static void poll_router_mandatory_reports_pollout_only_while_a_peer_has_room(void **state)
{
    /* libzmq router_t::xhas_out: with ROUTER_MANDATORY, POLLOUT needs a peer under its
     * HWM; every send would otherwise be refused with MZMTP_AGAIN. */
    tu_link_t l[1];
    mzmtp_socket_t *router = router_with_dealer_a(l, true, 1);
    l[0].cut = true;
    ASSERT_POLL(router, MZMTP_POLLOUT);
    SEND_FRAMES(router, "'A'", "'m1'");
    TU_ASSERT_STATUS(mzmtp_socket_send(router, "A", 1, true), MZMTP_AGAIN);
    ASSERT_POLL(router, 0);
}

static void poll_pair_ignores_the_second_peer(void **state)
{
    TU_NEED_PEERS(2);
    mzmtp_socket_t *pair = sock_new(0, MZMTP_PAIR);
    ASSERT_POLL(pair, 0);
    send_refused(pair);
    set_u32(pair, MZMTP_OPT_SNDHWM, 1);
    tu_link_t l[2];
    connect_two_pairs(l, pair);
    ASSERT_POLL(pair, MZMTP_POLLOUT);
    l[0].cut = true;
    tu_socket_send_str(pair, "m", MZMTP_OK);
    /* The first peer is full; the second, idle one does not make the socket writable. */
    ASSERT_POLL(pair, 0);
    send_refused(pair);
    tu_socket_send_str(&sk[2], "ignored", MZMTP_OK);
    tu_pump(l, 2, 0);
    ASSERT_POLL(pair, 0);
    recv_refused(pair);
}

/* ------------------------------------------------------------------------------------ */
/* Heartbeats on DEALER/ROUTER with a fake clock (wire-notes H6, H7)                     */
/* ------------------------------------------------------------------------------------ */

static void router_answers_a_ping_with_a_pong_echoing_its_context(void **state)
{
    /* H6, and with or without MZMTP_CONF_HEARTBEAT: PINGs are always answered. */
    mzmtp_socket_t *router = sock_new(0, MZMTP_ROUTER);
    int p = peer_up(router, false, 0);
    feed_handshake(router, p, "DEALER");
    static uint8_t out[512];
    take(router, p, out, sizeof out);
    TU_ASSERT_STATUS(feed(router, p, "04 0A 04 'PING' 00 00 'ctx'"), MZMTP_OK);
    EXPECT_OUTPUT(router, p, "04 08 04 'PONG' 'ctx'");
}

#if MZMTP_CONF_HEARTBEAT
/* DEALER sk[0] (heartbeats: IVL 1000, TIMEOUT 300, TTL 1500) connected to ROUTER sk[1]. */
static mzmtp_socket_t *dealer_router_with_heartbeats(tu_link_t *l)
{
    mzmtp_socket_t *d = sock_new(0, MZMTP_DEALER);
    mzmtp_socket_t *router = sock_new(1, MZMTP_ROUTER);
    set_u32(d, MZMTP_OPT_HEARTBEAT_IVL, 1000);
    set_u32(d, MZMTP_OPT_HEARTBEAT_TIMEOUT, 300);
    set_u32(d, MZMTP_OPT_HEARTBEAT_TTL, 1500);
    tu_connect_sockets(l, router, d, 0);
    tu_pump(l, 1, 0);
    assert_int_equal(mzmtp_socket_peer_count(d), 1);
    return d;
}

static void dealer_sends_ping_after_the_heartbeat_interval(void **state)
{
    tu_link_t l;
    mzmtp_socket_t *d = dealer_router_with_heartbeats(&l);
    int p = l.b.peer;
    assert_int_equal(mzmtp_socket_next_timeout(d, 0), 1000);
    assert_int_equal(tu_socket_tick(d, 999), TU_NO_DEAD);
    EXPECT_OUTPUT(d, p, "");
    assert_int_equal(tu_socket_tick(d, 1000), TU_NO_DEAD);
    EXPECT_OUTPUT(d, p, "04 07 04 'PING' 00 0F"); /* TTL 1500 ms = 15 ds (H6) */
}

static void router_answers_ping_with_pong_and_the_link_stays_up(void **state)
{
    tu_link_t l;
    mzmtp_socket_t *d = dealer_router_with_heartbeats(&l);
    mzmtp_socket_t *router = &sk[1];
    static uint8_t ping[64];
    assert_int_equal(tu_socket_tick(d, 1000), TU_NO_DEAD);
    size_t n = take(d, l.b.peer, ping, sizeof ping);
    TU_ASSERT_STATUS(tu_socket_feed(router, l.a.peer, ping, n, 1000), MZMTP_OK);
    EXPECT_OUTPUT(router, l.a.peer, "04 05 04 'PONG'");
    TU_ASSERT_STATUS(feed(d, l.b.peer, "04 05 04 'PONG'"), MZMTP_OK);
    assert_int_equal(tu_socket_tick(d, 1300), TU_NO_DEAD); /* the timeout would have struck here */
    assert_int_equal(tu_socket_tick(d, 1999), TU_NO_DEAD);
    /* Left running, the pair keeps itself alive for good. */
    for (uint32_t t = 2000; t <= 20000; t += 100) {
        assert_int_equal(tu_socket_tick(d, t), TU_NO_DEAD);
        assert_int_equal(tu_socket_tick(router, t), TU_NO_DEAD);
        tu_pump(&l, 1, t);
    }
    TU_ASSERT_STATUS(l.a.status, MZMTP_OK);
    TU_ASSERT_STATUS(l.b.status, MZMTP_OK);
    tu_socket_send_str(d, "still here", MZMTP_OK);
    tu_pump(&l, 1, 20000);
    EXPECT_FRAMES(router, "00 00 00 00 00", "'still here'");
}

static void silence_past_the_heartbeat_timeout_kills_the_dealer_link(void **state)
{
    tu_link_t l;
    mzmtp_socket_t *d = dealer_router_with_heartbeats(&l);
    l.cut = true; /* the ROUTER stops answering */
    assert_int_equal(tu_socket_tick(d, 1000), TU_NO_DEAD); /* PING out */
    assert_int_equal(mzmtp_socket_next_timeout(d, 1000), 300);
    assert_int_equal(tu_socket_tick(d, 1299), TU_NO_DEAD);
    TU_ASSERT_STATUS(mzmtp_socket_peer_status(d, l.b.peer), MZMTP_OK);
    assert_int_equal(tu_socket_tick(d, 1300), l.b.peer);
    TU_ASSERT_STATUS(mzmtp_socket_peer_status(d, l.b.peer), MZMTP_ERR_TIMEOUT);
    /* The port closes it; the connecting slot waits to reconnect. */
    mzmtp_socket_peer_stop(d, l.b.peer, MZMTP_ERR_TIMEOUT);
    assert_int_equal(tu_socket_tick(d, 1400), TU_NO_DEAD);
    assert_int_equal(mzmtp_socket_peer_count(d), 0);
}

static void router_closes_a_peer_silent_past_the_ttl_it_asked_for(void **state)
{
    /* H7: a PING with TTL 1500 ms arms the receiver's TTL timer. */
    tu_link_t l;
    mzmtp_socket_t *d = dealer_router_with_heartbeats(&l);
    mzmtp_socket_t *router = &sk[1];
    assert_int_equal(tu_socket_tick(d, 1000), TU_NO_DEAD);
    tu_pump(&l, 1, 1000);
    l.cut = true;
    assert_int_equal(tu_socket_tick(router, 2499), TU_NO_DEAD);
    assert_int_equal(tu_socket_tick(router, 2500), l.a.peer);
    TU_ASSERT_STATUS(mzmtp_socket_peer_status(router, l.a.peer), MZMTP_ERR_TIMEOUT);
}

#else /* !MZMTP_CONF_HEARTBEAT */

/* The lowest-numbered socket type this build has: for tests about any socket. */
static int any_type(void)
{
    int t = 0;
    while (!built(t)) t++;
    return t;
}

static void heartbeat_options_are_not_supported_without_mzmtp_conf_heartbeat(void **state)
{
    mzmtp_socket_t *d = sock_new(0, any_type()); /* any type: a build-wide option */
    uint32_t v = 1000;
    static const mzmtp_option_t hb[] = {MZMTP_OPT_HEARTBEAT_IVL, MZMTP_OPT_HEARTBEAT_TIMEOUT,
                                        MZMTP_OPT_HEARTBEAT_TTL};
    for (size_t i = 0; i < sizeof hb / sizeof hb[0]; i++) {
        TU_ASSERT_STATUS(mzmtp_socket_setopt(d, hb[i], &v, sizeof v), MZMTP_ERR_NOT_SUPPORTED);
    }
}

#endif /* MZMTP_CONF_HEARTBEAT */

int main(void)
{
    const struct CMUnitTest tests[] = {
        /* PUSH / PULL */
        cmocka_unit_test(push_round_robins_messages_over_three_pulls_in_turn),
        cmocka_unit_test(push_round_robin_wraps_across_the_words_of_its_peer_set),
        cmocka_unit_test(push_never_splits_a_multipart_message_across_pulls),
        cmocka_unit_test(push_skips_a_pull_at_its_sndhwm),
        cmocka_unit_test(push_skips_a_peer_whose_handshake_is_not_done),
        cmocka_unit_test(push_returns_again_when_every_pull_is_at_its_sndhwm),
        cmocka_unit_test(push_returns_again_with_no_peer),
        cmocka_unit_test(pull_fair_queues_per_message_over_three_pushes),
        cmocka_unit_test(pull_fair_queue_wraps_across_the_words_of_its_peer_set),
        cmocka_unit_test(push_cannot_recv_and_pull_cannot_send),
        cmocka_unit_test(push_drops_data_sent_upstream_and_stays_connected),
        /* reconnects */
        cmocka_unit_test(connecting_slot_queues_messages_before_its_first_connection),
        cmocka_unit_test(messages_sent_while_disconnected_arrive_after_reconnect_up_to_sndhwm),
        cmocka_unit_test(half_written_message_is_resent_whole_after_reconnect),
        cmocka_unit_test(bound_side_queue_is_dropped_when_its_peer_leaves),
        /* REQ */
        cmocka_unit_test(req_puts_an_empty_delimiter_before_the_request),
        cmocka_unit_test(req_second_send_before_the_reply_is_a_state_error),
        cmocka_unit_test(req_recv_before_send_is_a_state_error),
        cmocka_unit_test(req_and_rep_alternate_many_times),
        cmocka_unit_test(req_accepts_a_reply_only_from_the_peer_it_asked),
        cmocka_unit_test(router_answers_a_req_through_its_envelope),
        cmocka_unit_test(req_closes_a_connection_whose_reply_lacks_the_empty_delimiter),
        /* REP */
        cmocka_unit_test(rep_puts_the_request_envelope_back_in_front_of_the_reply),
        cmocka_unit_test(rep_behind_a_broker_returns_a_two_frame_envelope),
        cmocka_unit_test(rep_drops_a_request_without_an_empty_frame),
        cmocka_unit_test(rep_recv_passes_over_a_dropped_request_to_the_next_one),
        cmocka_unit_test(rep_accepts_an_envelope_of_exactly_envelope_max),
        cmocka_unit_test(rep_drops_a_request_whose_envelope_exceeds_envelope_max),
        cmocka_unit_test(rep_drops_a_reply_to_a_peer_that_left_and_serves_the_next_request),
        cmocka_unit_test(rep_reply_does_not_reach_a_new_peer_in_the_slot_of_the_one_that_left),
        cmocka_unit_test(rep_send_before_a_request_is_a_state_error),
        cmocka_unit_test(rep_recv_while_a_reply_is_due_is_a_state_error),
        /* DEALER / ROUTER */
        cmocka_unit_test(dealer_ready_carries_an_identity_as_libzmq_sends_it),
        cmocka_unit_test(router_prefixes_messages_with_the_dealer_routing_id),
        cmocka_unit_test(router_generates_five_byte_ids_counting_from_the_seed),
        cmocka_unit_test(router_named_peer_does_not_use_up_a_generated_id),
        cmocka_unit_test(router_routes_each_message_by_its_routing_id),
        cmocka_unit_test(router_drops_a_message_to_an_unknown_id),
        cmocka_unit_test(router_mandatory_refuses_an_unknown_id_with_unroutable),
        cmocka_unit_test(router_mandatory_returns_again_when_the_peer_is_at_its_sndhwm),
        cmocka_unit_test(router_drops_a_message_for_a_peer_at_its_sndhwm),
        cmocka_unit_test(router_ignores_a_peer_whose_identity_duplicates_a_connected_one),
        cmocka_unit_test(router_gives_the_id_to_the_duplicate_once_the_first_peer_leaves),
        cmocka_unit_test(router_keeps_the_routing_id_of_messages_read_after_their_peer_left),
        cmocka_unit_test(router_gives_a_new_peer_in_a_reused_slot_a_new_id),
        cmocka_unit_test(routing_id_option_refuses_empty_too_long_and_leading_zero),
        cmocka_unit_test(router_accepts_a_peer_identity_of_exactly_routing_id_max),
        cmocka_unit_test(router_closes_a_peer_whose_identity_exceeds_routing_id_max),
        cmocka_unit_test(router_mandatory_reports_a_full_send_ring_as_again),
        cmocka_unit_test(router_drops_a_message_when_the_send_ring_is_full),
        cmocka_unit_test(dealer_round_robins_and_router_fair_queues),
        /* PAIR */
        cmocka_unit_test(pair_ignores_a_second_peer_in_both_directions),
        /* socket types */
        cmocka_unit_test(socket_type_pairs_that_may_talk_complete_the_handshake),
        cmocka_unit_test(mismatched_socket_types_are_refused_with_socket_type),
        /* poll */
        cmocka_unit_test(poll_push_reports_pollout_only_while_a_peer_can_take_a_message),
        cmocka_unit_test(poll_push_reports_pollout_for_a_slot_still_connecting),
        cmocka_unit_test(poll_pull_reports_pollin_until_the_last_frame_is_read),
        cmocka_unit_test(poll_req_follows_send_then_recv),
        cmocka_unit_test(poll_req_reports_pollout_in_the_middle_of_a_request),
        cmocka_unit_test(poll_rep_follows_recv_then_send),
        cmocka_unit_test(poll_rep_reports_pollout_only_while_the_reply_fits),
        cmocka_unit_test(poll_rep_does_not_report_a_request_it_will_drop),
        cmocka_unit_test(poll_dealer_reports_both_directions),
        cmocka_unit_test(poll_router_reports_pollin_for_a_whole_message),
        cmocka_unit_test(poll_router_mandatory_reports_pollout_only_while_a_peer_has_room),
        cmocka_unit_test(poll_pair_ignores_the_second_peer),
        /* heartbeats */
        cmocka_unit_test(router_answers_a_ping_with_a_pong_echoing_its_context),
#if MZMTP_CONF_HEARTBEAT
        cmocka_unit_test(dealer_sends_ping_after_the_heartbeat_interval),
        cmocka_unit_test(router_answers_ping_with_pong_and_the_link_stays_up),
        cmocka_unit_test(silence_past_the_heartbeat_timeout_kills_the_dealer_link),
        cmocka_unit_test(router_closes_a_peer_silent_past_the_ttl_it_asked_for),
#else
        cmocka_unit_test(heartbeat_options_are_not_supported_without_mzmtp_conf_heartbeat),
#endif
    };
    return cmocka_run_group_tests_name("patterns", tests, NULL, NULL);
}
