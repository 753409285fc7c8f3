/*
 * The connection engine (mzmtp_conn.h) driven by byte scripts: what it writes, what events
 * it reports, and the exact status it closes with. Every script that should succeed is
 * fed whole, one byte at a time, and in random splits.
 */
#include "testutil.h"

/* ---- scripts (wire-notes G1/G2, N2, H1, H6) ---- */
#define ZEROS16 "00*16"
#define GREETING(major, minor, mech20) " FF 00*7 01 7F " major " " minor " " mech20 " 00 00*31 "
#define MECH_NULL " 'NULL' " ZEROS16 " "
#define GREETING_31 GREETING("03", "01", MECH_NULL)
#define GREETING_30 GREETING("03", "00", MECH_NULL)
#define READY_SUB " 04 19 05 'READY' 0B 'Socket-Type' 00 00 00 03 'SUB' "
#define READY_PUB " 04 19 05 'READY' 0B 'Socket-Type' 00 00 00 03 'PUB' "
#define READY_PULL " 04 1A 05 'READY' 0B 'Socket-Type' 00 00 00 04 'PULL' "
#define READY_PUSH " 04 1A 05 'READY' 0B 'Socket-Type' 00 00 00 04 'PUSH' "
#define SUBSCRIBE_A " 04 0B 09 53 55 42 53 43 52 49 42 45 41 "
#define CANCEL_A " 04 08 06 'CANCEL' 'A' "
#define PING_1500 " 04 07 04 50 49 4E 47 00 0F "
#define PONG " 04 05 04 'PONG' "

#define GREETING_AND_READY_LEN (64u + 27u)

static uint8_t rx_a[4096], rx_b[4096];
static mzmtp_conn_t conn_a, conn_b;
static tu_log_t log_a, log_b;
static uint8_t script[1 << 16];

static void start(mzmtp_conn_t *c, uint8_t *rx, size_t rx_size, int type,
                  const mzmtp_conn_opts_t *opts, uint32_t now)
{
    TU_ASSERT_STATUS(tu_conn_init(c, type, opts, rx, rx_size, NULL, 0, now), MZMTP_OK);
}

static void start_default(mzmtp_conn_t *c, int type)
{
    mzmtp_conn_opts_t o = tu_conn_opts();
    start(c, rx_a, sizeof rx_a, type, &o, 0);
}

static size_t scr(const char *s) { return tu_script(s, script, sizeof script); }

/* Feed @p s to a fresh engine of @p type with @p split; returns the status. */
static mzmtp_status_t run(int type, const char *s, tu_split_t split, uint64_t seed)
{
    tu_log_init(&log_a);
    start_default(&conn_a, type);
    size_t n = scr(s);
    return tu_conn_feed(&conn_a, &log_a, script, n, split, seed, 0);
}

/* Feed @p s to conn_a whole at @p now_ms; it must be taken without an error. */
static void feed_whole(const char *s, uint32_t now_ms)
{
    size_t n = scr(s);
    TU_ASSERT_STATUS(tu_conn_feed(&conn_a, &log_a, script, n, TU_WHOLE, 0, now_ms), MZMTP_OK);
}

/* The message event number @p nth (0 = the first) of log_a holds exactly the bytes @p hex. */
static void expect_message(size_t nth, const char *hex)
{
    const tu_event_t *m = tu_log_nth(&log_a, MZMTP_CONN_EV_MESSAGE, nth);
    assert_non_null(m);
    TU_ASSERT_HEX(tu_ev_data(&log_a, m), m->len, hex);
}

/* The first message event of log_a has @p nframes frames of the lengths @p lens, each but
 * the last flagged MZMTP_RECV_MORE. @return that event. */
static const tu_event_t *expect_frames(size_t nframes, const size_t *lens)
{
    const tu_event_t *m = tu_log_nth(&log_a, MZMTP_CONN_EV_MESSAGE, 0);
    assert_non_null(m);
    assert_int_equal(m->nframes, nframes);
    for (size_t i = 0; i < nframes; i++) {
        assert_int_equal(m->frame_len[i], lens[i]);
        assert_int_equal(m->frame_flags[i], i + 1 < nframes ? MZMTP_RECV_MORE : 0);
    }
    return m;
}

/* conn_a's next read (8 bytes at most) gives the bytes @p hex with the flags @p flags. */
static void expect_read(const char *hex, unsigned flags)
{
    uint8_t buf[8];
    size_t n;
    unsigned fl;
    TU_ASSERT_STATUS(mzmtp_conn_read(&conn_a, buf, sizeof buf, &n, &fl), MZMTP_OK);
    TU_ASSERT_HEX(buf, n, hex);
    assert_int_equal(fl, flags);
}

/* Hand @p s to conn_a's input in one call, without processing; all of it must fit. */
static void input_whole(const char *s)
{
    size_t n = scr(s), consumed = 0;
    mzmtp_conn_input(&conn_a, script, n, 0, &consumed);
    assert_int_equal(consumed, n);
}

/* mzmtp_conn_process on conn_a, at most @p rounds, until it has nothing left to do;
 * output it waits on is drained into log_a. @return the MESSAGE events it reported. */
static int process_until_idle(int rounds)
{
    int messages = 0;
    mzmtp_conn_event_t ev;
    for (int i = 0; i < rounds; i++) {
        mzmtp_status_t st = mzmtp_conn_process(&conn_a, 0, &ev);
        if (st == MZMTP_AGAIN) {
            if (!mzmtp_conn_has_output(&conn_a)) break;
            tu_conn_drain_output(&conn_a, &log_a);
            continue;
        }
        TU_ASSERT_STATUS(st, MZMTP_OK);
        if (ev.kind == MZMTP_CONN_EV_MESSAGE) messages++;
    }
    return messages;
}

static const uint8_t *out_after_handshake(size_t *len)
{
    assert_true(log_a.out_len >= GREETING_AND_READY_LEN);
    *len = log_a.out_len - GREETING_AND_READY_LEN;
    return log_a.out + GREETING_AND_READY_LEN;
}

/* ------------------------------------------------------------------ start-up -------- */

static void pub_engine_writes_greeting_and_ready_before_any_input(void **state)
{
    /* G3: never wait for the peer's greeting; N1: READY right after our greeting. */
    tu_log_init(&log_a);
    start_default(&conn_a, MZMTP_PUB);
    assert_true(mzmtp_conn_has_output(&conn_a));
    tu_conn_drain_output(&conn_a, &log_a);
    TU_ASSERT_HEX(log_a.out, log_a.out_len, GREETING_31 READY_PUB);
    assert_false(mzmtp_conn_has_output(&conn_a));
    assert_int_equal(mzmtp_conn_state(&conn_a), MZMTP_CONN_GREETING);
}

static void sub_engine_ready_says_socket_type_sub(void **state)
{
    tu_log_init(&log_a);
    start_default(&conn_a, MZMTP_SUB);
    tu_conn_drain_output(&conn_a, &log_a);
    TU_ASSERT_HEX(log_a.out, log_a.out_len, GREETING_31 READY_SUB);
}

static void engine_output_can_be_written_one_byte_at_a_time(void **state)
{
    tu_log_init(&log_a);
    start_default(&conn_a, MZMTP_PUB);
    tu_conn_drain_output_slowly(&conn_a, &log_a, 1);
    TU_ASSERT_HEX(log_a.out, log_a.out_len, GREETING_31 READY_PUB);
}

static void engine_init_refuses_a_receive_buffer_under_64_bytes(void **state)
{
    mzmtp_conn_opts_t o = tu_conn_opts();
    TU_ASSERT_STATUS(tu_conn_init(&conn_a, MZMTP_PUB, &o, rx_a, 63, NULL, 0, 0), MZMTP_ERR_INVALID);
    TU_ASSERT_STATUS(tu_conn_init(&conn_a, MZMTP_PUB, &o, rx_a, 64, NULL, 0, 0), MZMTP_OK);
}

/* ------------------------------------------------------------------ handshake ------- */

#define LIBZMQ_SUB_SCRIPT GREETING_31 READY_SUB SUBSCRIBE_A

static void check_handshake_then_subscribe_a(void)
{
    assert_int_equal(log_a.n, 2);
    assert_int_equal(log_a.ev[0].kind, MZMTP_CONN_EV_HANDSHAKE);
    assert_int_equal(log_a.ev[0].peer_type, MZMTP_SUB);
    assert_int_equal(log_a.ev[0].len, 0); /* no Identity */
    assert_int_equal(log_a.ev[1].kind, MZMTP_CONN_EV_SUBSCRIBE);
    TU_ASSERT_HEX(tu_ev_data(&log_a, &log_a.ev[1]), log_a.ev[1].len, "'A'");
    assert_int_equal(mzmtp_conn_state(&conn_a), MZMTP_CONN_READY);
    assert_int_equal(mzmtp_conn_peer_minor(&conn_a), 1);
    /* Nothing but greeting and READY went out. */
    TU_ASSERT_HEX(log_a.out, log_a.out_len, GREETING_31 READY_PUB);
}

static void libzmq_sub_handshake_and_subscribe_fed_whole(void **state)
{
    TU_ASSERT_STATUS(run(MZMTP_PUB, LIBZMQ_SUB_SCRIPT, TU_WHOLE, 0), MZMTP_OK);
    check_handshake_then_subscribe_a();
}

static void libzmq_sub_handshake_and_subscribe_fed_byte_by_byte(void **state)
{
    TU_ASSERT_STATUS(run(MZMTP_PUB, LIBZMQ_SUB_SCRIPT, TU_BYTEWISE, 0), MZMTP_OK);
    check_handshake_then_subscribe_a();
}

static void libzmq_sub_handshake_and_subscribe_fed_in_random_splits(void **state)
{
    for (uint64_t seed = 1; seed <= 50; seed++) {
        TU_ASSERT_STATUS(run(MZMTP_PUB, LIBZMQ_SUB_SCRIPT, TU_RANDOM, seed), MZMTP_OK);
        check_handshake_then_subscribe_a();
    }
}

static void libzmq_sub_handshake_at_every_split_point(void **state)
{
    /* Two pieces, split at every possible offset. */
    size_t n = scr(LIBZMQ_SUB_SCRIPT);
    static uint8_t copy[256];
    memcpy(copy, script, n);
    for (size_t cut = 1; cut < n; cut++) {
        tu_log_init(&log_a);
        start_default(&conn_a, MZMTP_PUB);
        TU_ASSERT_STATUS(tu_conn_feed(&conn_a, &log_a, copy, cut, TU_WHOLE, 0, 0), MZMTP_OK);
        TU_ASSERT_STATUS(tu_conn_feed(&conn_a, &log_a, copy + cut, n - cut, TU_WHOLE, 0, 0), MZMTP_OK);
        check_handshake_then_subscribe_a();
    }
}

static void handshake_needs_the_peers_ready(void **state)
{
    TU_ASSERT_STATUS(run(MZMTP_PUB, GREETING_31, TU_WHOLE, 0), MZMTP_OK);
    assert_int_equal(log_a.n, 0);
    assert_int_equal(mzmtp_conn_state(&conn_a), MZMTP_CONN_HANDSHAKE);
}

static void handshake_event_carries_the_peers_identity(void **state)
{
    TU_ASSERT_STATUS(run(MZMTP_PUB,
                         GREETING_31 "04 33 05 'READY' 0B 'Socket-Type' 00 00 00 03 'SUB'"
                                     "08 'Identity' 00 00 00 03 'abc' 05 'X-Foo' 00 00 00 00",
                         TU_WHOLE, 0),
                     MZMTP_OK);
    assert_int_equal(log_a.n, 1);
    assert_int_equal(log_a.ev[0].kind, MZMTP_CONN_EV_HANDSHAKE);
    TU_ASSERT_HEX(tu_ev_data(&log_a, &log_a.ev[0]), log_a.ev[0].len, "'abc'");
}

static void handshake_accepts_a_ready_without_socket_type(void **state)
{
    /* M4: a missing Socket-Type is accepted. */
    TU_ASSERT_STATUS(run(MZMTP_PUB, GREETING_31 "04 06 05 'READY'", TU_WHOLE, 0), MZMTP_OK);
    assert_int_equal(log_a.n, 1);
    assert_int_equal(log_a.ev[0].kind, MZMTP_CONN_EV_HANDSHAKE);
    assert_int_equal(log_a.ev[0].peer_type, -1);
}

static void handshake_accepts_property_names_in_any_case(void **state)
{
    /* M3: "socket-type" is the same property. */
    TU_ASSERT_STATUS(run(MZMTP_PUB, GREETING_31 "04 19 05 'READY' 0B 'socket-type' 00 00 00 03 'SUB'",
                         TU_WHOLE, 0),
                     MZMTP_OK);
    assert_int_equal(log_a.ev[0].kind, MZMTP_CONN_EV_HANDSHAKE);
    assert_int_equal(log_a.ev[0].peer_type, MZMTP_SUB);
    /* …so a lower-case name with a wrong type is still checked. */
    TU_ASSERT_STATUS(run(MZMTP_PUB, GREETING_31 "04 19 05 'READY' 0B 'SOCKET-TYPE' 00 00 00 03 'PUB'",
                         TU_WHOLE, 0),
                     MZMTP_ERR_SOCKET_TYPE);
}

static void handshake_accepts_xsub_as_a_pub_peer(void **state)
{
    TU_ASSERT_STATUS(run(MZMTP_PUB, GREETING_31 "04 1A 05 'READY' 0B 'Socket-Type' 00 00 00 04 'XSUB'",
                         TU_WHOLE, 0),
                     MZMTP_OK);
    assert_int_equal(log_a.ev[0].peer_type, MZMTP_XSUB);
}

static void handshake_accepts_ready_before_the_greeting_is_written(void **state)
{
    /* N1: the peer's READY may arrive before we wrote anything. */
    tu_log_init(&log_a);
    start_default(&conn_a, MZMTP_SUB);
    size_t n = scr(GREETING_31 READY_PUB);
    size_t consumed = 0;
    mzmtp_conn_input(&conn_a, script, n, 0, &consumed);
    assert_int_equal(consumed, n);
    mzmtp_conn_event_t ev;
    mzmtp_status_t st;
    int guard = 0;
    while ((st = mzmtp_conn_process(&conn_a, 0, &ev)) == MZMTP_OK && ev.kind != MZMTP_CONN_EV_HANDSHAKE)
        assert_true(++guard < 10);
    if (st == MZMTP_AGAIN) {
        /* Acceptable only if the engine waits for its own READY to be written (N3). */
        tu_conn_drain_output(&conn_a, &log_a);
        TU_ASSERT_STATUS(mzmtp_conn_process(&conn_a, 0, &ev), MZMTP_OK);
    }
    assert_int_equal(ev.kind, MZMTP_CONN_EV_HANDSHAKE);
    assert_int_equal(ev.peer_type, MZMTP_PUB);
}

static void handshake_ignores_padding_and_as_server(void **state)
{
    /* G2 and G7: bytes 1–8 and as-server carry nothing we check. */
    TU_ASSERT_STATUS(run(MZMTP_PUB,
                         "FF 11 22 33 44 55 66 77 88 7F 03 01 " MECH_NULL " 01 00*31" READY_SUB,
                         TU_WHOLE, 0),
                     MZMTP_OK);
    assert_int_equal(log_a.ev[0].kind, MZMTP_CONN_EV_HANDSHAKE);
}

static void handshake_accepts_a_major_4_peer_as_zmtp_3_1(void **state)
{
    TU_ASSERT_STATUS(run(MZMTP_PUB, GREETING("04", "00", MECH_NULL) READY_SUB SUBSCRIBE_A, TU_WHOLE, 0),
                     MZMTP_OK);
    assert_int_not_equal(mzmtp_conn_peer_minor(&conn_a), 0);
    assert_int_equal(tu_log_count(&log_a, MZMTP_CONN_EV_SUBSCRIBE), 1);
}

/* ------------------------------------------------------------------ subscriptions --- */

static void zmtp31_peer_subscribes_and_cancels_with_commands(void **state)
{
    TU_ASSERT_STATUS(run(MZMTP_PUB, GREETING_31 READY_SUB SUBSCRIBE_A CANCEL_A
                                    "04 0A 09 'SUBSCRIBE'" /* empty topic: everything */,
                         TU_BYTEWISE, 0),
                     MZMTP_OK);
    assert_int_equal(log_a.n, 4);
    assert_int_equal(log_a.ev[1].kind, MZMTP_CONN_EV_SUBSCRIBE);
    assert_int_equal(log_a.ev[2].kind, MZMTP_CONN_EV_CANCEL);
    TU_ASSERT_HEX(tu_ev_data(&log_a, &log_a.ev[2]), log_a.ev[2].len, "'A'");
    assert_int_equal(log_a.ev[3].kind, MZMTP_CONN_EV_SUBSCRIBE);
    assert_int_equal(log_a.ev[3].len, 0);
}

static void zmtp30_peer_subscribes_with_a_01_data_message(void **state)
{
    /* H2: a 3.0 peer subscribes with 00 02 01 41 and cancels with 00 02 00 41. */
    for (int split = TU_WHOLE; split <= TU_RANDOM; split++) {
        TU_ASSERT_STATUS(run(MZMTP_PUB, GREETING_30 READY_SUB "00 02 01 41  00 02 00 41",
                             (tu_split_t)split, 7),
                         MZMTP_OK);
        assert_int_equal(mzmtp_conn_peer_minor(&conn_a), 0);
        assert_int_equal(log_a.n, 3);
        assert_int_equal(log_a.ev[0].kind, MZMTP_CONN_EV_HANDSHAKE);
        assert_int_equal(log_a.ev[1].kind, MZMTP_CONN_EV_SUBSCRIBE);
        TU_ASSERT_HEX(tu_ev_data(&log_a, &log_a.ev[1]), log_a.ev[1].len, "'A'");
        assert_int_equal(log_a.ev[2].kind, MZMTP_CONN_EV_CANCEL);
        TU_ASSERT_HEX(tu_ev_data(&log_a, &log_a.ev[2]), log_a.ev[2].len, "'A'");
    }
}

/* A fresh engine of @p type with a 256-byte receive buffer, fed @p peer_script in pieces
 * of @p split, its messages skipped rather than read. */
static void feed_skipping(int type, const char *peer_script, tu_split_t split)
{
    static uint8_t rx[256];
    tu_log_init(&log_a);
    log_a.skip_messages = true;
    mzmtp_conn_opts_t o = tu_conn_opts();
    start(&conn_a, rx, sizeof rx, type, &o, 0);
    size_t n = scr(peer_script);
    TU_ASSERT_STATUS(tu_conn_feed(&conn_a, &log_a, script, n, split, 3, 0), MZMTP_OK);
}

static void pub_engine_drops_upstream_data_of_any_size_and_keeps_taking_subscriptions(void **state)
{
    /* RFC 29: a PUB drops what its peers send, whatever its size, and still takes their
     * subscriptions (H2, H3): a frame larger than the 256-byte receive buffer, a multipart
     * message, a 0x01 first frame with MORE (a subscription), a 0x01 frame too large for
     * the buffer (dropped as data), a 0x01 frame that is not a first frame (data). */
    for (int split = TU_WHOLE; split <= TU_RANDOM; split++) {
        feed_skipping(MZMTP_PUB,
                      GREETING_31 READY_SUB "02 00 00 00 00 00 00 03 E8 78*1000  01 01 'a' 00 01 'b'"
                      "  00 02 01 'A'  01 02 01 'B' 00 02 01 'x'"
                      "  02 00 00 00 00 00 00 01 2C 01 78*299  00 02 00 'A'" SUBSCRIBE_A PING_1500,
                      (tu_split_t)split);
        static const struct { mzmtp_conn_event_kind_t kind; const char *topic; } want[] = {
            {MZMTP_CONN_EV_SUBSCRIBE, "'A'"}, {MZMTP_CONN_EV_SUBSCRIBE, "'B'"},
            {MZMTP_CONN_EV_CANCEL, "'A'"}, {MZMTP_CONN_EV_SUBSCRIBE, "'A'"},
        };
        size_t k = 0;
        for (size_t i = 0; i < log_a.n; i++) {
            const tu_event_t *e = &log_a.ev[i];
            if (e->kind != MZMTP_CONN_EV_SUBSCRIBE && e->kind != MZMTP_CONN_EV_CANCEL) continue;
            assert_true(k < sizeof want / sizeof want[0]);
            assert_int_equal(e->kind, want[k].kind);
            TU_ASSERT_HEX(tu_ev_data(&log_a, e), e->len, want[k].topic);
            k++;
        }
        assert_int_equal(k, sizeof want / sizeof want[0]);
        assert_int_equal(mzmtp_conn_state(&conn_a), MZMTP_CONN_READY);
        tu_conn_drain_output(&conn_a, &log_a);
        size_t len;
        const uint8_t *p = out_after_handshake(&len);
        TU_ASSERT_HEX(p, len, PONG); /* the PING behind it all was answered */
    }
}

static void push_engine_drops_what_a_pull_sends_and_still_answers_ping(void **state)
{
    /* RFC 30: a PULL sends nothing to a PUSH; what one sends anyway is dropped, whatever
     * its size, and a 0x01 first frame is data, not a subscription (only PUB/XPUB read
     * those, H3). The engine stays up and answers a PING behind it all. A PUSH-only build
     * reads in stream order (MZMTP_CONN_NO_DELIVERY), the others through the scanner:
     * both must give this. */
    for (int split = TU_WHOLE; split <= TU_RANDOM; split++) {
        feed_skipping(MZMTP_PUSH,
                      GREETING_31 READY_PULL "02 00 00 00 00 00 00 03 E8 78*1000  01 01 'a' 00 01 'b'"
                      "  00 02 01 'A'  00 02 00 'A'  00 00" PING_1500,
                      (tu_split_t)split);
        assert_int_equal(tu_log_count(&log_a, MZMTP_CONN_EV_SUBSCRIBE), 0);
        assert_int_equal(tu_log_count(&log_a, MZMTP_CONN_EV_CANCEL), 0);
        assert_int_equal(tu_log_count(&log_a, MZMTP_CONN_EV_HANDSHAKE), 1);
        assert_int_equal(mzmtp_conn_state(&conn_a), MZMTP_CONN_READY);
        tu_conn_drain_output(&conn_a, &log_a);
        /* greeting, READY (its 'PUSH' one byte longer than 'PUB'), then only the PONG */
        assert_int_equal(log_a.out_len, GREETING_AND_READY_LEN + 1u + 7u);
        TU_ASSERT_HEX(log_a.out + log_a.out_len - 7u, 7u, PONG);
    }
}

static void pub_engine_reads_01_prefixed_data_from_a_zmtp31_peer_as_subscribe(void **state)
{
    /* H3: libzmq PUB/XPUB accept the 3.0 form from any version. */
    TU_ASSERT_STATUS(run(MZMTP_PUB, GREETING_31 READY_SUB "00 02 01 41  00 01 00", TU_WHOLE, 0), MZMTP_OK);
    assert_int_equal(log_a.n, 3);
    assert_int_equal(log_a.ev[1].kind, MZMTP_CONN_EV_SUBSCRIBE);
    TU_ASSERT_HEX(tu_ev_data(&log_a, &log_a.ev[1]), log_a.ev[1].len, "'A'");
    assert_int_equal(log_a.ev[2].kind, MZMTP_CONN_EV_CANCEL);
    assert_int_equal(log_a.ev[2].len, 0);
}

static void sub_engine_delivers_01_prefixed_data_from_a_pub_as_a_message(void **state)
{
    /* Only PUB/XPUB read 01/00-prefixed frames as subscriptions; to a SUB they are data. */
    TU_ASSERT_STATUS(run(MZMTP_SUB, GREETING_30 READY_PUB "00 02 01 41", TU_WHOLE, 0), MZMTP_OK);
    assert_int_equal(tu_log_count(&log_a, MZMTP_CONN_EV_SUBSCRIBE), 0);
    expect_message(0, "01 41");
}

static void handshake_with(int type, const char *peer_script)
{
    tu_log_init(&log_a);
    start_default(&conn_a, type);
    feed_whole(peer_script, 0);
    assert_int_equal(tu_log_count(&log_a, MZMTP_CONN_EV_HANDSHAKE), 1);
    tu_log_clear_out(&log_a);
}

/* The engine knows its socket type only through its options (issue 13): a PUB engine told
 * to accept only SUB refuses an XSUB peer; one told it takes no subscriptions reports a
 * SUBSCRIBE as nothing; one told to send an identity puts it in READY. */
static void engine_takes_what_it_needs_of_its_type_from_options(void **state)
{
    (void)state;
    mzmtp_conn_opts_t o = tu_conn_opts();
    o.peer_types = 1u << MZMTP_SUB;
    o.type_traits = MZMTP_WIRE_TYPE_TAKES_SUBSCRIPTIONS;
    tu_log_init(&log_a);
    start(&conn_a, rx_a, sizeof rx_a, MZMTP_PUB, &o, 0);
    size_t n = scr(GREETING_31 "04 1A 05 'READY' 0B 'Socket-Type' 00 00 00 04 'XSUB'");
    TU_ASSERT_STATUS(tu_conn_feed(&conn_a, &log_a, script, n, TU_WHOLE, 0, 0), MZMTP_ERR_SOCKET_TYPE);

    o.peer_types = 1u << MZMTP_SUB;
    o.type_traits = 0;
    tu_log_init(&log_a);
    start(&conn_a, rx_a, sizeof rx_a, MZMTP_PUB, &o, 0);
    feed_whole(LIBZMQ_SUB_SCRIPT, 0);
    assert_int_equal(tu_log_count(&log_a, MZMTP_CONN_EV_SUBSCRIBE), 0);

    o.peer_types = 1u << MZMTP_SUB;
    o.type_traits = MZMTP_WIRE_TYPE_SENDS_IDENTITY;
    o.identity = (const uint8_t *)"me";
    o.identity_len = 2;
    tu_log_init(&log_a);
    start(&conn_a, rx_a, sizeof rx_a, MZMTP_PUB, &o, 0);
    tu_conn_drain_output(&conn_a, &log_a);
    assert_true(tu_contains(log_a.out, log_a.out_len, (const uint8_t *)"\x08Identity\x00\x00\x00\x02me", 15));
}

static void push_engine_says_push_in_ready_and_talks_to_pull_only(void **state)
{
    /* RFC 37's table (wire-notes M5): a PUSH talks to a PULL alone, and its READY names
     * it. A PUSH-only build knows its type's name and peers when it is compiled
     * (src/conn), the others look them up: both must give this. */
    (void)state;
    tu_log_init(&log_a);
    start_default(&conn_a, MZMTP_PUSH);
    tu_conn_drain_output(&conn_a, &log_a);
    TU_ASSERT_HEX(log_a.out, log_a.out_len, GREETING_31 READY_PUSH);
    handshake_with(MZMTP_PUSH, GREETING_31 READY_PULL);
    static const char *const refused[] = {
        GREETING_31 READY_PUSH,
        GREETING_31 READY_SUB,
        GREETING_31 READY_PUB,
        GREETING_31 "04 1A 05 'READY' 0B 'Socket-Type' 00 00 00 04 'XSUB'",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        TU_ASSERT_STATUS(run(MZMTP_PUSH, refused[i], TU_WHOLE, 0), MZMTP_ERR_SOCKET_TYPE);
    }
}

static void sub_engine_subscribes_a_zmtp30_peer_with_data_frames(void **state)
{
    handshake_with(MZMTP_SUB, GREETING_30 READY_PUB);
    TU_ASSERT_STATUS(mzmtp_conn_send_subscription(&conn_a, (const uint8_t *)"A", 1, true), MZMTP_OK);
    tu_conn_drain_output(&conn_a, &log_a);
    TU_ASSERT_HEX(log_a.out, log_a.out_len, "00 02 01 41");
    tu_log_clear_out(&log_a);
    TU_ASSERT_STATUS(mzmtp_conn_send_subscription(&conn_a, (const uint8_t *)"A", 1, false), MZMTP_OK);
    tu_conn_drain_output(&conn_a, &log_a);
    TU_ASSERT_HEX(log_a.out, log_a.out_len, "00 02 00 41");
}

static void sub_engine_subscribes_a_zmtp31_peer_with_commands(void **state)
{
    handshake_with(MZMTP_SUB, GREETING_31 READY_PUB);
    TU_ASSERT_STATUS(mzmtp_conn_send_subscription(&conn_a, (const uint8_t *)"A", 1, true), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_conn_send_subscription(&conn_a, (const uint8_t *)"A", 1, false), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_conn_send_subscription(&conn_a, (const uint8_t *)"", 0, true), MZMTP_OK);
    tu_conn_drain_output(&conn_a, &log_a);
    TU_ASSERT_HEX(log_a.out, log_a.out_len, SUBSCRIBE_A CANCEL_A "04 0A 09 'SUBSCRIBE'");
}

static void sub_engine_refuses_subscriptions_before_the_handshake(void **state)
{
    tu_log_init(&log_a);
    start_default(&conn_a, MZMTP_SUB);
    TU_ASSERT_STATUS(mzmtp_conn_send_subscription(&conn_a, (const uint8_t *)"A", 1, true), MZMTP_ERR_STATE);
}

static void sub_engine_says_again_when_the_command_buffer_is_full(void **state)
{
    handshake_with(MZMTP_SUB, GREETING_31 READY_PUB);
    uint8_t topic[MZMTP_CONF_MAX_TOPIC];
    memset(topic, 'T', sizeof topic);
    mzmtp_status_t st = MZMTP_OK;
    int queued = 0;
    for (; queued < 1000 && st == MZMTP_OK; queued++)
        st = mzmtp_conn_send_subscription(&conn_a, topic, sizeof topic, true);
    TU_ASSERT_STATUS(st, MZMTP_AGAIN);
    queued--;
    assert_true(queued >= 1);
    /* Everything accepted goes out intact; after draining there is room again. */
    tu_conn_drain_output(&conn_a, &log_a);
    size_t one = mzmtp_wire_frame_hdr_size(10 + sizeof topic) + 10 + sizeof topic;
    assert_int_equal(log_a.out_len, (size_t)queued * one);
    TU_ASSERT_STATUS(mzmtp_conn_send_subscription(&conn_a, topic, sizeof topic, true), MZMTP_OK);
}

/* ------------------------------------------------------------------ malformed input - */

typedef struct bad_case {
    const char *what;
    int type;
    const char *script;
    uint64_t max_msg_size;
    mzmtp_status_t expect;
} bad_case_t;

static const bad_case_t bad_cases[] = {
    {"bad signature byte 0", MZMTP_PUB, "00 00*7 01 7F 03 01 " MECH_NULL " 00 00*31", 0, MZMTP_ERR_PROTOCOL},
    {"bad signature byte 9", MZMTP_PUB, "FF 00*7 01 7E 03 01 " MECH_NULL " 00 00*31", 0, MZMTP_ERR_PROTOCOL},
    {"HTTP instead of ZMTP", MZMTP_PUB, "'GET / HTTP/1.1' 0D 0A 'Host: x' 0D 0A 0D 0A 00*40", 0, MZMTP_ERR_PROTOCOL},
    {"major 2", MZMTP_PUB, GREETING("02", "00", MECH_NULL), 0, MZMTP_ERR_VERSION},
    {"major 1", MZMTP_PUB, GREETING("01", "00", MECH_NULL), 0, MZMTP_ERR_VERSION},
    {"major 0", MZMTP_PUB, GREETING("00", "00", MECH_NULL), 0, MZMTP_ERR_VERSION},
    {"mechanism PLAIN", MZMTP_PUB, GREETING("03", "01", "'PLAIN' 00*15"), 0, MZMTP_ERR_MECHANISM},
    {"mechanism CURVE", MZMTP_PUB, GREETING("03", "01", "'CURVE' 00*15"), 0, MZMTP_ERR_MECHANISM},
    {"mechanism null (lower case)", MZMTP_PUB, GREETING("03", "01", "'null' 00*16"), 0, MZMTP_ERR_MECHANISM},
    {"mechanism NULL with a stray byte", MZMTP_PUB, GREETING("03", "01", "'NULL' 00*15 58"), 0, MZMTP_ERR_MECHANISM},
    {"peer PUB to PUB", MZMTP_PUB, GREETING_31 READY_PUB, 0, MZMTP_ERR_SOCKET_TYPE},
    {"peer PUSH to PUB", MZMTP_PUB, GREETING_31 "04 1A 05 'READY' 0B 'Socket-Type' 00 00 00 04 'PUSH'", 0, MZMTP_ERR_SOCKET_TYPE},
    {"peer SUB to SUB", MZMTP_SUB, GREETING_31 READY_SUB, 0, MZMTP_ERR_SOCKET_TYPE},
    {"peer says lower-case sub", MZMTP_PUB, GREETING_31 "04 19 05 'READY' 0B 'Socket-Type' 00 00 00 03 'sub'", 0, MZMTP_ERR_SOCKET_TYPE},
    {"peer type unknown", MZMTP_PUB, GREETING_31 "04 1B 05 'READY' 0B 'Socket-Type' 00 00 00 05 'BOGUS'", 0, MZMTP_ERR_SOCKET_TYPE},
    {"reserved flag bit 0x08", MZMTP_PUB, GREETING_31 READY_SUB "08 00", 0, MZMTP_ERR_PROTOCOL},
    {"reserved flag bit 0x80", MZMTP_PUB, GREETING_31 READY_SUB "80 01 41", 0, MZMTP_ERR_PROTOCOL},
    {"reserved flag bits on READY", MZMTP_PUB, GREETING_31 "0C 19 05 'READY' 0B 'Socket-Type' 00 00 00 03 'SUB'", 0, MZMTP_ERR_PROTOCOL},
    {"command with MORE", MZMTP_PUB, GREETING_31 READY_SUB "05 0B 09 'SUBSCRIBE' 'A'", 0, MZMTP_ERR_PROTOCOL},
    {"long command with MORE", MZMTP_PUB, GREETING_31 READY_SUB "07 00*7 0B 09 'SUBSCRIBE' 'A'", 0, MZMTP_ERR_PROTOCOL},
    {"empty command", MZMTP_PUB, GREETING_31 READY_SUB "04 00", 0, MZMTP_ERR_PROTOCOL},
    {"command name past its body", MZMTP_PUB, GREETING_31 READY_SUB "04 03 09 'SU' 00 01 41", 0, MZMTP_ERR_PROTOCOL},
    {"truncated metadata", MZMTP_PUB, GREETING_31 "04 14 05 'READY' 0B 'Socket-Type' 00 00", 0, MZMTP_ERR_PROTOCOL},
    {"metadata with a stray byte", MZMTP_PUB, GREETING_31 "04 1A 05 'READY' 0B 'Socket-Type' 00 00 00 03 'SUB' 00", 0, MZMTP_ERR_PROTOCOL},
    {"value length past the frame", MZMTP_PUB, GREETING_31 "04 19 05 'READY' 0B 'Socket-Type' 00 00 00 04 'SUB' 00 01 41", 0, MZMTP_ERR_PROTOCOL},
    {"value length of 2^31", MZMTP_PUB, GREETING_31 "04 19 05 'READY' 0B 'Socket-Type' 80 00 00 00 'SUB'", 0, MZMTP_ERR_PROTOCOL},
    {"name length past the frame", MZMTP_PUB, GREETING_31 "04 19 05 'READY' 1F 'Socket-Type' 00 00 00 03 'SUB' 00 05 'XXXXX'", 0, MZMTP_ERR_PROTOCOL},
    {"zero-length property name", MZMTP_PUB, GREETING_31 "04 0E 05 'READY' 00 00 00 00 03 'SUB'", 0, MZMTP_ERR_PROTOCOL},
    {"data frame before READY", MZMTP_PUB, GREETING_31 "00 01 41" READY_SUB, 0, MZMTP_ERR_PROTOCOL},
    {"data frame before READY, to SUB", MZMTP_SUB, GREETING_31 "00 01 41" READY_PUB, 0, MZMTP_ERR_PROTOCOL},
    {"PING before READY", MZMTP_PUB, GREETING_31 PING_1500 READY_SUB, 0, MZMTP_ERR_PROTOCOL},
    {"SUBSCRIBE before READY", MZMTP_PUB, GREETING_31 SUBSCRIBE_A READY_SUB, 0, MZMTP_ERR_PROTOCOL},
    /* max_msg_size applies to commands too (F4): 32 lets READY (25 B) through. */
    {"frame over max_msg_size", MZMTP_SUB, GREETING_31 READY_PUB "00 21 78*33", 32, MZMTP_ERR_MSG_SIZE},
    {"READY over max_msg_size", MZMTP_SUB, GREETING_31 READY_PUB, 24, MZMTP_ERR_MSG_SIZE},
    {"multipart message over max_msg_size", MZMTP_SUB, GREETING_31 READY_PUB "01 10 78*16 00 11 78*17", 32, MZMTP_ERR_MSG_SIZE},
    {"long frame over max_msg_size", MZMTP_SUB, GREETING_31 READY_PUB "02 00 00 00 00 01 00 00 00", 1000, MZMTP_ERR_MSG_SIZE},
    {"reserved bits in the second frame of a message", MZMTP_SUB, GREETING_31 READY_PUB "01 01 'a' 08 00", 0, MZMTP_ERR_PROTOCOL},
    {"command with MORE after a MORE frame", MZMTP_SUB, GREETING_31 READY_PUB "01 01 'a' 05 05 04 'PING'", 0, MZMTP_ERR_PROTOCOL},
    {"size 2^63 in the second frame", MZMTP_SUB, GREETING_31 READY_PUB "01 01 'a' 02 80 00 00 00 00 00 00 00", 0, MZMTP_ERR_PROTOCOL},
    {"size 2^63", MZMTP_SUB, GREETING_31 READY_PUB "02 80 00 00 00 00 00 00 00", 0, MZMTP_ERR_PROTOCOL},
    {"size 2^64-1", MZMTP_SUB, GREETING_31 READY_PUB "02 FF FF FF FF FF FF FF FF", 0, MZMTP_ERR_PROTOCOL},
    {"ERROR during handshake", MZMTP_PUB, GREETING_31 "04 0A 05 'ERROR' 03 '400'", 0, MZMTP_ERR_PEER_ERROR},
    /* A PUB engine reads in stream order in a build of PUB alone (MZMTP_CONN_NO_DELIVERY);
     * every SUB row after the peer's READY runs against a PUB too (as_pub()). */
    {"3.0 subscription over max_msg_size", MZMTP_PUB, GREETING_31 READY_SUB "00 21 01 78*32", 32, MZMTP_ERR_MSG_SIZE},
    {"command over max_msg_size, to PUB", MZMTP_PUB, GREETING_31 READY_SUB "04 21 09 'SUBSCRIBE' 78*23", 32, MZMTP_ERR_MSG_SIZE},
    {"command larger than the receive buffer", MZMTP_PUB, GREETING_31 READY_SUB "06 00 00 00 00 00 00 10 00 09 'SUBSCRIBE' 78*10", 0, MZMTP_ERR_MSG_SIZE},
};

/* Rows whose engine type this build's engine refuses (MZMTP_CONN_NO_DELIVERY). */
static bool type_built(int type)
{
    return !MZMTP_CONN_NO_DELIVERY || ((MZMTP_CONF_SOCKET_TYPES >> type) & 1u);
}

/* @return true when the engine closed with the expected status and is dead. */
static bool run_bad_case(const bad_case_t *c, tu_split_t split, uint64_t seed)
{
    tu_log_init(&log_a);
    mzmtp_conn_opts_t o = tu_conn_opts();
    o.max_msg_size = c->max_msg_size;
    start(&conn_a, rx_a, sizeof rx_a, c->type, &o, 0);
    size_t n = scr(c->script);
    mzmtp_status_t st = tu_conn_feed(&conn_a, &log_a, script, n, split, seed, 0);
    if (st != c->expect || mzmtp_conn_state(&conn_a) != MZMTP_CONN_DEAD) {
        print_error("\"%s\" (engine type %d, split %d, seed %d): got %s, expected %s; state %d\n",
                    c->what, c->type, (int)split, (int)seed, mzmtp_status_str(st), mzmtp_status_str(c->expect),
                    (int)mzmtp_conn_state(&conn_a));
        return false;
    }
    return true;
}

/* The row @p c of a SUB engine after its peer's READY, as a PUB engine's (the peer's READY
 * saying SUB, of the same length) in @p out. @return false for other rows. */
static bool as_pub(const bad_case_t *c, bad_case_t *out)
{
    static char pub_script[512];
    const char *at = strstr(c->script, READY_PUB);
    if (c->type != MZMTP_SUB || at == NULL || strlen(c->script) >= sizeof pub_script) return false;
    strcpy(pub_script, c->script);
    memcpy(pub_script + (at - c->script), READY_SUB, sizeof READY_SUB - 1);
    *out = *c;
    out->type = MZMTP_PUB;
    out->script = pub_script;
    return true;
}

/* Row @p c whole, byte by byte and in 5 random splits. @return the failures. */
static int run_bad_row(const bad_case_t *c)
{
    int failures = 0;
    if (!run_bad_case(c, TU_WHOLE, 0)) return 1;
    if (!run_bad_case(c, TU_BYTEWISE, 0)) failures++;
    for (uint64_t seed = 1; seed <= 5; seed++)
        if (!run_bad_case(c, TU_RANDOM, seed)) failures++;
    return failures;
}

static void malformed_input_closes_with_its_exact_status(void **state)
{
    /* Every row runs whole, byte by byte and in 5 random splits; all failures are listed. */
    int failures = 0, left_out = 0;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        bad_case_t pub;
        if (as_pub(&bad_cases[i], &pub)) failures += run_bad_row(&pub);
        if (!type_built(bad_cases[i].type)) {
            left_out++;
            continue;
        }
        failures += run_bad_row(&bad_cases[i]);
    }
    if (left_out) print_message("%d rows need an engine type this build refuses\n", left_out);
    assert_int_equal(failures, 0);
}

static void malformed_input_gives_no_event_after_the_fatal_status(void **state)
{
    /* A dead engine reports nothing more and stays dead. */
    TU_ASSERT_STATUS(run(MZMTP_PUB, GREETING_31 READY_SUB "08 00" SUBSCRIBE_A, TU_WHOLE, 0),
                     MZMTP_ERR_PROTOCOL);
    assert_int_equal(log_a.n, 1); /* the HANDSHAKE only */
    mzmtp_conn_event_t ev;
    memset(&ev, 0, sizeof ev);
    mzmtp_status_t st = mzmtp_conn_process(&conn_a, 0, &ev);
    assert_true(mzmtp_status_is_fatal(st) || st == MZMTP_ERR_STATE);
    assert_int_not_equal(ev.kind, MZMTP_CONN_EV_SUBSCRIBE);
}

static void wrong_socket_type_writes_an_error_command_before_closing(void **state)
{
    /* M6/RFC 37: we SHOULD send ERROR; STYLE: an ERROR still goes out before the close. */
    static const char *const peers[] = {
        GREETING_31 READY_PUB,
        GREETING_31 "04 1A 05 'READY' 0B 'Socket-Type' 00 00 00 04 'PUSH'",
    };
    for (size_t i = 0; i < 2; i++) {
        TU_ASSERT_STATUS(run(MZMTP_PUB, peers[i], TU_BYTEWISE, 0), MZMTP_ERR_SOCKET_TYPE);
        size_t len;
        const uint8_t *p = out_after_handshake(&len);
        uint8_t name[6] = {0x05, 'E', 'R', 'R', 'O', 'R'};
        assert_true(len >= 2 + 6 + 1);
        assert_int_equal(p[0], 0x04);
        assert_int_equal(p[1], len - 2);
        TU_ASSERT_BYTES(p + 2, 6, name, 6);
        assert_int_equal(p[8], len - 9); /* reason-len covers the rest */
    }
}

static void send_error_writes_an_error_command_and_kills_the_engine(void **state)
{
    handshake_with(MZMTP_PUB, GREETING_31 READY_SUB);
    mzmtp_conn_send_error(&conn_a, "bye", 3);
    assert_int_equal(mzmtp_conn_state(&conn_a), MZMTP_CONN_DEAD);
    tu_conn_drain_output(&conn_a, &log_a);
    TU_ASSERT_HEX(log_a.out, log_a.out_len, "04 0A 05 'ERROR' 03 'bye'");
    mzmtp_conn_event_t ev;
    assert_true(mzmtp_status_is_fatal(mzmtp_conn_process(&conn_a, 0, &ev)));
}

static void dead_engine_takes_no_more_input(void **state)
{
    TU_ASSERT_STATUS(run(MZMTP_PUB, GREETING_31 "08 00", TU_WHOLE, 0), MZMTP_ERR_PROTOCOL);
    uint8_t *p;
    size_t room = 99;
    mzmtp_conn_rx_space(&conn_a, &p, &room);
    assert_int_equal(room, 0);
    TU_ASSERT_STATUS(mzmtp_conn_tick(&conn_a, 100000), MZMTP_ERR_PROTOCOL);
}

static void peer_error_reports_the_reason_in_the_event(void **state)
{
    TU_ASSERT_STATUS(run(MZMTP_PUB, GREETING_31 "04 0F 05 'ERROR' 08 'go away!'", TU_BYTEWISE, 0),
                     MZMTP_ERR_PEER_ERROR);
    const tu_event_t *e = tu_log_nth(&log_a, MZMTP_CONN_EV_ERROR, 0);
    assert_non_null(e);
    TU_ASSERT_HEX(tu_ev_data(&log_a, e), e->len, "'go away!'");
}

static void frame_of_exactly_max_msg_size_is_accepted(void **state)
{
    tu_log_init(&log_a);
    mzmtp_conn_opts_t o = tu_conn_opts();
    o.max_msg_size = 32;
    start(&conn_a, rx_a, sizeof rx_a, MZMTP_SUB, &o, 0);
    feed_whole(GREETING_31 READY_PUB "00 20 78*32  01 10 78*16 00 10 78*16", 0);
    assert_int_equal(tu_log_count(&log_a, MZMTP_CONN_EV_MESSAGE), 2);
}

static void error_after_the_handshake_is_ignored(void **state)
{
    /* N7: libzmq ignores READY and ERROR once the handshake is done; so do we. */
    TU_ASSERT_STATUS(run(MZMTP_PUB, GREETING_31 READY_SUB "04 0A 05 'ERROR' 03 '500'" SUBSCRIBE_A,
                         TU_WHOLE, 0),
                     MZMTP_OK);
    assert_int_equal(tu_log_count(&log_a, MZMTP_CONN_EV_ERROR), 0);
    assert_int_equal(tu_log_count(&log_a, MZMTP_CONN_EV_SUBSCRIBE), 1);
    assert_int_equal(mzmtp_conn_state(&conn_a), MZMTP_CONN_READY);
}

/* ------------------------------------------------------------------ commands -------- */

static void ping_gets_pong_without_context(void **state)
{
    /* H6: libzmq's PING never carries a context. */
    TU_ASSERT_STATUS(run(MZMTP_PUB, GREETING_31 READY_SUB PING_1500, TU_WHOLE, 0), MZMTP_OK);
    size_t len;
    const uint8_t *p = out_after_handshake(&len);
    TU_ASSERT_HEX(p, len, PONG);
    assert_int_equal(log_a.n, 1); /* PING is no event */
}

/* A PUB given a SUB's handshake and then @p ping (fed with @p split) answers with
 * exactly @p pong. */
static void expect_pong(const char *ping, tu_split_t split, const char *pong)
{
    tu_buf_t b = {script, 0, sizeof script};
    tu_put_hex(&b, GREETING_31 READY_SUB);
    tu_put_hex(&b, ping);
    tu_log_init(&log_a);
    start_default(&conn_a, MZMTP_PUB);
    TU_ASSERT_STATUS(tu_conn_feed(&conn_a, &log_a, script, b.len, split, 0, 0), MZMTP_OK);
    size_t len;
    const uint8_t *p = out_after_handshake(&len);
    TU_ASSERT_HEX(p, len, pong);
}

static void ping_context_is_echoed_in_pong(void **state)
{
    expect_pong("04 0C 04 'PING' 00 0F 'hello'", TU_BYTEWISE, "04 0A 04 'PONG' 'hello'");
}

static void ping_context_of_16_bytes_is_echoed_whole(void **state)
{
    expect_pong("04 17 04 'PING' 00 0F '0123456789abcdef'", TU_WHOLE,
                "04 15 04 'PONG' '0123456789abcdef'");
}

static void ping_context_over_16_bytes_is_cut_to_16(void **state)
{
    /* H6: libzmq echoes at most 16 bytes of context. */
    expect_pong("04 1B 04 'PING' 00 0F '0123456789abcdefWXYZ'", TU_WHOLE,
                "04 15 04 'PONG' '0123456789abcdef'");
}

static void many_pings_each_get_a_pong(void **state)
{
    /* A flood of PINGs while we do not drain output: no PONG is lost or torn, even if
     * some are refused while the command buffer is full (a flood guard may drop some). */
    tu_log_init(&log_a);
    start_default(&conn_a, MZMTP_PUB);
    feed_whole(GREETING_31 READY_SUB, 0);
    tu_log_clear_out(&log_a);
    input_whole(PING_1500 PING_1500 PING_1500 PING_1500 PING_1500 PING_1500 PING_1500 PING_1500);
    process_until_idle(100);
    tu_conn_drain_output(&conn_a, &log_a);
    assert_true(log_a.out_len > 0);
    assert_int_equal(log_a.out_len % 7, 0);
    for (size_t i = 0; i < log_a.out_len; i += 7) TU_ASSERT_HEX(log_a.out + i, 7, PONG);
}

static void unknown_command_after_handshake_is_ignored(void **state)
{
    /* H10 */
    TU_ASSERT_STATUS(run(MZMTP_PUB, GREETING_31 READY_SUB "04 08 04 'ABCD' 'xyz'" SUBSCRIBE_A,
                         TU_BYTEWISE, 0),
                     MZMTP_OK);
    assert_int_equal(log_a.n, 2);
    assert_int_equal(log_a.ev[1].kind, MZMTP_CONN_EV_SUBSCRIBE);
    assert_int_equal(mzmtp_conn_state(&conn_a), MZMTP_CONN_READY);
}

static void repeated_ready_after_handshake_is_ignored(void **state)
{
    /* N7 */
    TU_ASSERT_STATUS(run(MZMTP_PUB, GREETING_31 READY_SUB READY_SUB SUBSCRIBE_A, TU_WHOLE, 0), MZMTP_OK);
    assert_int_equal(tu_log_count(&log_a, MZMTP_CONN_EV_HANDSHAKE), 1);
    assert_int_equal(tu_log_count(&log_a, MZMTP_CONN_EV_SUBSCRIBE), 1);
}

static void pong_is_no_event(void **state)
{
    TU_ASSERT_STATUS(run(MZMTP_PUB, GREETING_31 READY_SUB PONG SUBSCRIBE_A, TU_WHOLE, 0), MZMTP_OK);
    assert_int_equal(log_a.n, 2);
    size_t len;
    out_after_handshake(&len);
    assert_int_equal(len, 0);
}

/* ------------------------------------------------------------------ messages -------- */

#define HS_PUB GREETING_31 READY_PUB

static void single_frame_message_reads_back_exactly(void **state)
{
    for (int split = TU_WHOLE; split <= TU_RANDOM; split++) {
        TU_ASSERT_STATUS(run(MZMTP_SUB, HS_PUB "00 05 'hello'", (tu_split_t)split, 3), MZMTP_OK);
        const tu_event_t *m = tu_log_nth(&log_a, MZMTP_CONN_EV_MESSAGE, 0);
        assert_non_null(m);
        assert_int_equal(m->nframes, 1);
        TU_ASSERT_HEX(tu_ev_data(&log_a, m), m->len, "'hello'");
        assert_int_equal(m->frame_flags[0], 0);
    }
}

static void multipart_message_with_empty_frames_reads_back_exactly(void **state)
{
    /* F5: 0-byte frames are legal. */
    for (int split = TU_WHOLE; split <= TU_RANDOM; split++) {
        TU_ASSERT_STATUS(run(MZMTP_SUB, HS_PUB "01 00 | 01 01 'A' | 01 00 | 00 00  00 02 'ok'",
                             (tu_split_t)split, 11),
                         MZMTP_OK);
        assert_int_equal(tu_log_count(&log_a, MZMTP_CONN_EV_MESSAGE), 2);
        const tu_event_t *m = expect_frames(4, (const size_t[]){0, 1, 0, 0});
        TU_ASSERT_HEX(tu_ev_frame(&log_a, m, 1), 1, "'A'");
        const tu_event_t *m2 = tu_log_nth(&log_a, MZMTP_CONN_EV_MESSAGE, 1);
        assert_int_equal(m2->nframes, 1);
        TU_ASSERT_HEX(tu_ev_data(&log_a, m2), m2->len, "'ok'");
    }
}

static void long_form_header_for_a_small_frame_is_accepted(void **state)
{
    /* F2 */
    TU_ASSERT_STATUS(run(MZMTP_SUB, HS_PUB "02 00*7 03 'abc'", TU_BYTEWISE, 0), MZMTP_OK);
    expect_message(0, "'abc'");
}

static void messages_interleaved_with_commands_keep_their_order(void **state)
{
    TU_ASSERT_STATUS(run(MZMTP_SUB, HS_PUB "00 01 'a'" PING_1500 "01 01 'b' 00 01 'c'" "04 05 04 'ABCD'"
                                    "00 01 'd'",
                         TU_RANDOM, 99),
                     MZMTP_OK);
    assert_int_equal(tu_log_count(&log_a, MZMTP_CONN_EV_MESSAGE), 3);
    TU_ASSERT_HEX(tu_ev_data(&log_a, tu_log_nth(&log_a, MZMTP_CONN_EV_MESSAGE, 0)), 1, "'a'");
    TU_ASSERT_HEX(tu_ev_data(&log_a, tu_log_nth(&log_a, MZMTP_CONN_EV_MESSAGE, 1)), 2, "'bc'");
    TU_ASSERT_HEX(tu_ev_data(&log_a, tu_log_nth(&log_a, MZMTP_CONN_EV_MESSAGE, 2)), 1, "'d'");
    size_t len;
    const uint8_t *p = out_after_handshake(&len);
    TU_ASSERT_HEX(p, len, PONG);
}

static void skipped_message_is_dropped_whole(void **state)
{
    tu_log_init(&log_a);
    log_a.skip_messages = true;
    start_default(&conn_a, MZMTP_SUB);
    feed_whole(HS_PUB "01 01 'x' 01 01 'y' 00 01 'z'", 0);
    assert_int_equal(tu_log_count(&log_a, MZMTP_CONN_EV_MESSAGE), 1);
    log_a.skip_messages = false;
    feed_whole("00 04 'next'", 0);
    expect_message(1, "'next'");
}

static void message_event_comes_once_per_message(void **state)
{
    /* Process must not report the same head message twice before it is read. */
    tu_log_init(&log_a);
    start_default(&conn_a, MZMTP_SUB);
    input_whole(HS_PUB "00 01 'a' 00 01 'b'");
    assert_int_equal(process_until_idle(20), 1);
    mzmtp_conn_event_t ev;
    expect_read("'a'", 0);
    TU_ASSERT_STATUS(mzmtp_conn_process(&conn_a, 0, &ev), MZMTP_OK);
    assert_int_equal(ev.kind, MZMTP_CONN_EV_MESSAGE);
    expect_read("'b'", 0);
}

static void read_without_a_message_says_again(void **state)
{
    handshake_with(MZMTP_SUB, HS_PUB);
    uint8_t buf[8];
    size_t got = 99;
    unsigned flags = 0;
    TU_ASSERT_STATUS(mzmtp_conn_read(&conn_a, buf, sizeof buf, &got, &flags), MZMTP_AGAIN);
}

static void frame_larger_than_read_buffer_comes_in_partial_pieces(void **state)
{
    tu_log_init(&log_a);
    log_a.read_cap = 3;
    start_default(&conn_a, MZMTP_SUB);
    feed_whole(HS_PUB "01 0A '0123456789' 00 02 'ab'", 0);
    const tu_event_t *m = expect_frames(2, (const size_t[]){10, 2});
    assert_int_equal(m->chunks, 4 + 1);
    TU_ASSERT_HEX(tu_ev_data(&log_a, m), m->len, "'0123456789ab'");
}

/* A virtual byte stream: script prefix, then a large frame, then a trailer. */
typedef struct big_stream {
    const uint8_t *pre;
    size_t pre_len;
    uint64_t body_len;
    uint8_t hdr[9];
    const uint8_t *post;
    size_t post_len;
} big_stream_t;

static uint8_t body_byte(uint64_t i) { return (uint8_t)(i * 31u + (i >> 9)); }

static uint64_t big_len(const big_stream_t *s) { return s->pre_len + 9 + s->body_len + s->post_len; }

static uint8_t big_at(const big_stream_t *s, uint64_t i)
{
    if (i < s->pre_len) return s->pre[i];
    i -= s->pre_len;
    if (i < 9) return s->hdr[i];
    i -= 9;
    if (i < s->body_len) return body_byte(i);
    return s->post[i - s->body_len];
}

static void one_mib_frame_streams_through_a_256_byte_receive_buffer(void **state)
{
    static uint8_t rx[256];
    mzmtp_conn_opts_t o = tu_conn_opts();
    start(&conn_a, rx, sizeof rx, MZMTP_SUB, &o, 0);
    tu_log_init(&log_a);
    static uint8_t pre[128], post[16];
    size_t pre_len = tu_script(HS_PUB, pre, sizeof pre);
    size_t post_len = tu_script("00 04 'tail'", post, sizeof post);
    big_stream_t s = {pre, pre_len, 1u << 20, {0x02, 0, 0, 0, 0, 0, 0x10, 0, 0}, post, post_len};
    uint64_t total = big_len(&s), fed = 0, body_read = 0;
    tu_rng_t rng;
    tu_rng_seed(&rng, 42);
    int state_msg = 0; /* 0: waiting for the big message, 1: reading it, 2: waiting tail */
    unsigned partial_chunks = 0;
    bool tail_seen = false, handshake = false;
    for (long guard = 0; guard < 10000000 && !tail_seen; guard++) {
        uint8_t *p;
        size_t room;
        mzmtp_conn_rx_space(&conn_a, &p, &room);
        if (room > 0 && fed < total) {
            size_t k = tu_rng_range(&rng, 1, 300);
            if (k > room) k = room;
            if (k > total - fed) k = (size_t)(total - fed);
            for (size_t i = 0; i < k; i++) p[i] = big_at(&s, fed + i);
            mzmtp_conn_rx_commit(&conn_a, k, 0);
            fed += k;
        }
        tu_conn_drain_output(&conn_a, &log_a);
        if (state_msg == 1) {
            uint8_t buf[100];
            size_t n;
            unsigned flags;
            mzmtp_status_t st = mzmtp_conn_read(&conn_a, buf, sizeof buf, &n, &flags);
            if (st == MZMTP_AGAIN) continue;
            TU_ASSERT_STATUS(st, MZMTP_OK);
            for (size_t i = 0; i < n; i++)
                if (buf[i] != body_byte(body_read + i))
                    fail_msg("byte %llu of the body differs", (unsigned long long)(body_read + i));
            body_read += n;
            if (flags & MZMTP_RECV_PARTIAL) {
                assert_true(body_read < s.body_len);
                partial_chunks++;
            } else {
                assert_true(body_read == s.body_len);
                assert_int_equal(flags & MZMTP_RECV_MORE, 0);
                state_msg = 2;
            }
            continue;
        }
        mzmtp_conn_event_t ev;
        mzmtp_status_t st = mzmtp_conn_process(&conn_a, 0, &ev);
        if (st == MZMTP_AGAIN) {
            if (fed == total && room == 0) fail_msg("engine stalled after %llu body bytes", (unsigned long long)body_read);
            continue;
        }
        TU_ASSERT_STATUS(st, MZMTP_OK);
        if (ev.kind == MZMTP_CONN_EV_HANDSHAKE) handshake = true;
        if (ev.kind != MZMTP_CONN_EV_MESSAGE) continue;
        assert_true(handshake);
        if (state_msg == 0) {
            state_msg = 1;
        } else {
            expect_read("'tail'", 0);
            tail_seen = true;
        }
    }
    assert_true(body_read == s.body_len);
    assert_true(tail_seen);
    /* The receive buffer is 256 bytes, so the frame cannot have come in fewer pieces. */
    assert_true(partial_chunks >= (1u << 20) / 256);
}

static void stream_multipart_through_128_bytes(bool process_mid_message)
{
    static uint8_t rx[128];
    mzmtp_conn_opts_t o = tu_conn_opts();
    tu_log_init(&log_a);
    log_a.read_cap = 50;
    start(&conn_a, rx, sizeof rx, MZMTP_SUB, &o, 0);
    tu_buf_t b = {script, 0, sizeof script};
    tu_put_hex(&b, HS_PUB);
    uint8_t f1[300], f2[700];
    for (size_t i = 0; i < sizeof f1; i++) f1[i] = (uint8_t)i;
    for (size_t i = 0; i < sizeof f2; i++) f2[i] = (uint8_t)(i * 7);
    tu_put_frame(&b, MZMTP_FLAG_MORE, f1, sizeof f1);
    tu_put_frame(&b, MZMTP_FLAG_MORE, f2, sizeof f2);
    tu_put_frame(&b, 0, "end", 3);
    tu_put_frame(&b, 0, "next", 4);
    for (int split = TU_WHOLE; split <= TU_RANDOM; split++) {
        tu_log_init(&log_a);
        log_a.read_cap = 50;
        log_a.process_mid_message = process_mid_message;
        start(&conn_a, rx, sizeof rx, MZMTP_SUB, &o, 0);
        TU_ASSERT_STATUS(tu_conn_feed(&conn_a, &log_a, script, b.len, (tu_split_t)split, 5, 0), MZMTP_OK);
        assert_int_equal(tu_log_count(&log_a, MZMTP_CONN_EV_MESSAGE), 2);
        const tu_event_t *m = expect_frames(3, (const size_t[]){300, 700, 3});
        TU_ASSERT_BYTES(tu_ev_frame(&log_a, m, 0), 300, f1, 300);
        TU_ASSERT_BYTES(tu_ev_frame(&log_a, m, 1), 700, f2, 700);
        TU_ASSERT_HEX(tu_ev_frame(&log_a, m, 2), 3, "'end'");
        const tu_event_t *m2 = tu_log_nth(&log_a, MZMTP_CONN_EV_MESSAGE, 1);
        TU_ASSERT_HEX(tu_ev_data(&log_a, m2), m2->len, "'next'");
    }
}

/* script[0..len) to a SUB with a 128-byte receive buffer that processes mid-message,
 * in every split: one message of @p nframes frames comes out. */
static void expect_one_message_through_128_bytes(size_t len, unsigned nframes)
{
    static uint8_t rx[128];
    mzmtp_conn_opts_t o = tu_conn_opts();
    for (int split = TU_WHOLE; split <= TU_RANDOM; split++) {
        tu_log_init(&log_a);
        log_a.process_mid_message = true;
        start(&conn_a, rx, sizeof rx, MZMTP_SUB, &o, 0);
        TU_ASSERT_STATUS(tu_conn_feed(&conn_a, &log_a, script, len, (tu_split_t)split, 9, 0), MZMTP_OK);
        assert_int_equal(tu_log_count(&log_a, MZMTP_CONN_EV_MESSAGE), 1);
        assert_int_equal(tu_log_nth(&log_a, MZMTP_CONN_EV_MESSAGE, 0)->nframes, nframes);
    }
}

/* Whole frames of one unfinished message that fill the receive buffer to its last byte
 * (no partial frame behind them to start streaming) must stream too: nothing more can
 * arrive until the reader takes some. Found by fuzz_curve_msg; NULL had it as well. */
static void whole_frames_filling_the_buffer_exactly_stream(void **state)
{
    tu_buf_t b = {script, 0, sizeof script};
    tu_put_hex(&b, HS_PUB);
    uint8_t body[14];
    memset(body, 0xAB, sizeof body);
    for (int i = 0; i < 12; i++) tu_put_frame(&b, MZMTP_FLAG_MORE, body, sizeof body); /* 16 B each */
    tu_put_frame(&b, 0, "end", 3);
    expect_one_message_through_128_bytes(b.len, 13);
    /* ... and when one byte of the next frame's header is all that fits behind them */
    b.len = 0;
    tu_put_hex(&b, HS_PUB);
    static uint8_t big[125];
    memset(big, 0xCD, sizeof big);
    for (int i = 0; i < 4; i++) tu_put_frame(&b, MZMTP_FLAG_MORE, big, sizeof big); /* 127 B */
    tu_put_frame(&b, 0, "end", 3);
    expect_one_message_through_128_bytes(b.len, 5);
}

static void multipart_message_streams_through_a_small_buffer(void **state)
{
    /* A reader that only calls mzmtp_conn_read() once it got the MESSAGE event. */
    stream_multipart_through_128_bytes(false);
}

static void multipart_message_streams_when_process_is_called_mid_message(void **state)
{
    /* A reader that also calls mzmtp_conn_process() whenever read says AGAIN. */
    stream_multipart_through_128_bytes(true);
}

static void skipping_a_streamed_message_drops_bytes_not_yet_arrived(void **state)
{
    static uint8_t rx[64];
    mzmtp_conn_opts_t o = tu_conn_opts();
    tu_log_init(&log_a);
    log_a.skip_messages = true;
    start(&conn_a, rx, sizeof rx, MZMTP_SUB, &o, 0);
    tu_buf_t b = {script, 0, sizeof script};
    tu_put_hex(&b, HS_PUB);
    uint8_t big[5000];
    memset(big, 0x01, sizeof big); /* bytes that would look like frames if misparsed */
    tu_put_frame(&b, MZMTP_FLAG_MORE, big, sizeof big);
    tu_put_frame(&b, 0, big, 1000);
    tu_put_hex(&b, "00 04 'next'");
    TU_ASSERT_STATUS(tu_conn_feed(&conn_a, &log_a, script, b.len, TU_RANDOM, 8, 0), MZMTP_OK);
    /* The skipped message was reported once; 'next' once (also skipped by the log). */
    assert_int_equal(tu_log_count(&log_a, MZMTP_CONN_EV_MESSAGE), 2);
    log_a.skip_messages = false;
    feed_whole("00 05 'after'", 0);
    expect_message(2, "'after'");
}

static void receive_hwm_stops_reading(void **state)
{
    /* With rcvhwm = 2 and nothing read, the engine asks for no more bytes. */
    mzmtp_conn_opts_t o = tu_conn_opts();
    o.rcvhwm = 2;
    tu_log_init(&log_a);
    start(&conn_a, rx_a, sizeof rx_a, MZMTP_SUB, &o, 0);
    size_t n = scr(HS_PUB "00 01 'a' 00 01 'b'");
    size_t consumed;
    mzmtp_conn_input(&conn_a, script, n, 0, &consumed);
    assert_int_equal(consumed, n);
    mzmtp_conn_event_t ev;
    for (int i = 0; i < 10; i++) {
        mzmtp_status_t st = mzmtp_conn_process(&conn_a, 0, &ev);
        if (st == MZMTP_AGAIN) break;
        TU_ASSERT_STATUS(st, MZMTP_OK);
    }
    uint8_t *p;
    size_t room;
    mzmtp_conn_rx_space(&conn_a, &p, &room);
    assert_int_equal(room, 0);
    uint8_t buf[4];
    size_t got;
    unsigned flags;
    TU_ASSERT_STATUS(mzmtp_conn_read(&conn_a, buf, sizeof buf, &got, &flags), MZMTP_OK);
    mzmtp_conn_rx_space(&conn_a, &p, &room);
    assert_true(room > 0);
}

/* ------------------------------------------------------------------ timers ---------- */

static void handshake_times_out_at_handshake_ivl(void **state)
{
    /* G8 */
    mzmtp_conn_opts_t o = tu_conn_opts();
    o.handshake_ivl_ms = 1000;
    start(&conn_a, rx_a, sizeof rx_a, MZMTP_PUB, &o, 0);
    assert_int_equal(mzmtp_conn_next_timeout(&conn_a, 0), 1000);
    assert_int_equal(mzmtp_conn_next_timeout(&conn_a, 400), 600);
    TU_ASSERT_STATUS(mzmtp_conn_tick(&conn_a, 999), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_conn_tick(&conn_a, 1000), MZMTP_ERR_TIMEOUT);
    assert_int_equal(mzmtp_conn_state(&conn_a), MZMTP_CONN_DEAD);
}

static void handshake_timeout_applies_after_the_greeting_too(void **state)
{
    mzmtp_conn_opts_t o = tu_conn_opts();
    o.handshake_ivl_ms = 1000;
    tu_log_init(&log_a);
    start(&conn_a, rx_a, sizeof rx_a, MZMTP_PUB, &o, 0);
    feed_whole(GREETING_31, 500);
    TU_ASSERT_STATUS(mzmtp_conn_tick(&conn_a, 999), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_conn_tick(&conn_a, 1000), MZMTP_ERR_TIMEOUT);
}

static void handshake_timeout_is_wrap_safe(void **state)
{
    mzmtp_conn_opts_t o = tu_conn_opts();
    o.handshake_ivl_ms = 1000;
    uint32_t t0 = 0xFFFFFE00u; /* the deadline wraps to 0x1E8 */
    start(&conn_a, rx_a, sizeof rx_a, MZMTP_PUB, &o, t0);
    TU_ASSERT_STATUS(mzmtp_conn_tick(&conn_a, 0xFFFFFFFFu), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_conn_tick(&conn_a, 0x1E7u), MZMTP_OK);
    assert_int_equal(mzmtp_conn_next_timeout(&conn_a, 0x1E0u), 8);
    TU_ASSERT_STATUS(mzmtp_conn_tick(&conn_a, 0x1E8u), MZMTP_ERR_TIMEOUT);
}

static void handshake_timeout_stops_once_ready(void **state)
{
    mzmtp_conn_opts_t o = tu_conn_opts();
    o.handshake_ivl_ms = 1000;
    tu_log_init(&log_a);
    start(&conn_a, rx_a, sizeof rx_a, MZMTP_PUB, &o, 0);
    feed_whole(GREETING_31 READY_SUB, 10);
    assert_int_equal(mzmtp_conn_state(&conn_a), MZMTP_CONN_READY);
    assert_int_equal(mzmtp_conn_next_timeout(&conn_a, 10), UINT32_MAX);
    TU_ASSERT_STATUS(mzmtp_conn_tick(&conn_a, 5000), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_conn_tick(&conn_a, 100000), MZMTP_OK);
}

static void no_timers_means_no_timeout(void **state)
{
    start_default(&conn_a, MZMTP_PUB);
    assert_int_equal(mzmtp_conn_next_timeout(&conn_a, 0), UINT32_MAX);
    TU_ASSERT_STATUS(mzmtp_conn_tick(&conn_a, 0x7FFFFFFFu), MZMTP_OK);
}

static void hb_ready(uint32_t ivl, uint32_t timeout, uint32_t ttl)
{
    mzmtp_conn_opts_t o = tu_conn_opts();
    o.hb_ivl_ms = ivl;
    o.hb_timeout_ms = timeout;
    o.hb_ttl_ms = ttl;
    tu_log_init(&log_a);
    start(&conn_a, rx_a, sizeof rx_a, MZMTP_PUB, &o, 0);
    feed_whole(GREETING_31 READY_SUB, 0);
    assert_int_equal(mzmtp_conn_state(&conn_a), MZMTP_CONN_READY);
    tu_log_clear_out(&log_a);
}

/* A ready engine without heartbeats of its own is given @p ping (hex): no timer is armed,
 * and nothing times out even 1000 s later. */
static void ping_arms_no_timer(const char *ping)
{
    hb_ready(0, 0, 0);
    feed_whole(ping, 0);
    assert_int_equal(mzmtp_conn_next_timeout(&conn_a, 0), UINT32_MAX);
    TU_ASSERT_STATUS(mzmtp_conn_tick(&conn_a, 1000000), MZMTP_OK);
}

#if MZMTP_CONF_HEARTBEAT
static void heartbeat_sends_ping_after_ivl(void **state)
{
    /* H7: PING every HEARTBEAT_IVL; a TTL of 0 when none is set. */
    hb_ready(1000, 0, 0);
    assert_int_equal(mzmtp_conn_next_timeout(&conn_a, 0), 1000);
    TU_ASSERT_STATUS(mzmtp_conn_tick(&conn_a, 999), MZMTP_OK);
    tu_conn_drain_output(&conn_a, &log_a);
    assert_int_equal(log_a.out_len, 0);
    TU_ASSERT_STATUS(mzmtp_conn_tick(&conn_a, 1000), MZMTP_OK);
    tu_conn_drain_output(&conn_a, &log_a);
    TU_ASSERT_HEX(log_a.out, log_a.out_len, "04 07 04 'PING' 00 00");
}

static void heartbeat_ping_carries_ttl_in_deciseconds(void **state)
{
    /* H6: TTL=1500 ms is 00 0F. */
    hb_ready(1000, 0, 1500);
    TU_ASSERT_STATUS(mzmtp_conn_tick(&conn_a, 1000), MZMTP_OK);
    tu_conn_drain_output(&conn_a, &log_a);
    TU_ASSERT_HEX(log_a.out, log_a.out_len, PING_1500);
}

static void heartbeat_times_out_without_traffic(void **state)
{
    /* H7: timeout defaults to the interval; the PING arms it. */
    hb_ready(1000, 0, 0);
    TU_ASSERT_STATUS(mzmtp_conn_tick(&conn_a, 1000), MZMTP_OK);
    tu_conn_drain_output(&conn_a, &log_a);
    TU_ASSERT_STATUS(mzmtp_conn_tick(&conn_a, 1999), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_conn_tick(&conn_a, 2000), MZMTP_ERR_TIMEOUT);
    assert_int_equal(mzmtp_conn_state(&conn_a), MZMTP_CONN_DEAD);
}

static void heartbeat_timeout_option_is_used(void **state)
{
    hb_ready(1000, 300, 0);
    TU_ASSERT_STATUS(mzmtp_conn_tick(&conn_a, 1000), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_conn_tick(&conn_a, 1299), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_conn_tick(&conn_a, 1300), MZMTP_ERR_TIMEOUT);
}

static void heartbeat_any_received_frame_cancels_the_timeout(void **state)
{
    hb_ready(1000, 0, 0);
    TU_ASSERT_STATUS(mzmtp_conn_tick(&conn_a, 1000), MZMTP_OK);
    feed_whole(PONG, 1500);
    TU_ASSERT_STATUS(mzmtp_conn_tick(&conn_a, 2000), MZMTP_OK); /* sends the next PING */
    TU_ASSERT_STATUS(mzmtp_conn_tick(&conn_a, 2999), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_conn_tick(&conn_a, 3000), MZMTP_ERR_TIMEOUT);
}

static void heartbeat_peer_ping_ttl_closes_a_silent_link(void **state)
{
    /* H7: a PING received with TTL>0 arms the TTL timer (TTL 10 ds = 1000 ms). */
    hb_ready(0, 0, 0);
    feed_whole("04 07 04 'PING' 00 0A", 100);
    assert_int_equal(mzmtp_conn_next_timeout(&conn_a, 100), 1000);
    TU_ASSERT_STATUS(mzmtp_conn_tick(&conn_a, 1099), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_conn_tick(&conn_a, 1100), MZMTP_ERR_TIMEOUT);
}

static void heartbeat_new_ping_rearms_the_ttl_timer(void **state)
{
    hb_ready(0, 0, 0);
    size_t n = scr("04 07 04 'PING' 00 0A");
    TU_ASSERT_STATUS(tu_conn_feed(&conn_a, &log_a, script, n, TU_WHOLE, 0, 0), MZMTP_OK);
    TU_ASSERT_STATUS(tu_conn_feed(&conn_a, &log_a, script, n, TU_WHOLE, 0, 900), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_conn_tick(&conn_a, 1500), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_conn_tick(&conn_a, 1900), MZMTP_ERR_TIMEOUT);
}

static void heartbeat_peer_ttl_over_655_ds_does_not_wrap(void **state)
{
    /* H8: libzmq computes TTL×100 in a uint16 and wraps; 700 ds must mean 70 s here. */
    hb_ready(0, 0, 0);
    feed_whole("04 07 04 'PING' 02 BC", 0);
    TU_ASSERT_STATUS(mzmtp_conn_tick(&conn_a, 69999), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_conn_tick(&conn_a, 70000), MZMTP_ERR_TIMEOUT);
}

static void heartbeat_ttl_we_send_is_capped_at_655_ds(void **state)
{
    /* H8: never ask libzmq for more than 655 ds. */
    hb_ready(1000, 0, 65500);
    TU_ASSERT_STATUS(mzmtp_conn_tick(&conn_a, 1000), MZMTP_OK);
    tu_conn_drain_output(&conn_a, &log_a);
    TU_ASSERT_HEX(log_a.out, log_a.out_len, "04 07 04 'PING' 02 8F");
}

#else
static void heartbeat_without_own_heartbeats_a_peer_ttl_closes_nothing(void **state)
{
    /* MZMTP_CONF_HEARTBEAT=0: PINGs are answered, but no timer is armed by them. */
    ping_arms_no_timer("04 07 04 'PING' 00 0F");
}
#endif

static void heartbeat_ping_with_ttl_zero_arms_nothing(void **state)
{
    ping_arms_no_timer("04 07 04 'PING' 00 00");
}

/* ------------------------------------------------------------------ two engines ----- */

static void two_engines_back_to_back_handshake_and_subscribe(void **state)
{
    mzmtp_conn_opts_t o = tu_conn_opts();
    tu_log_init(&log_a);
    tu_log_init(&log_b);
    start(&conn_a, rx_a, sizeof rx_a, MZMTP_PUB, &o, 0);
    start(&conn_b, rx_b, sizeof rx_b, MZMTP_SUB, &o, 0);
    tu_link_t l;
    tu_link_conns(&l, &conn_a, &log_a, &conn_b, &log_b);
    tu_pump(&l, 1, 0);
    assert_int_equal(tu_log_count(&log_a, MZMTP_CONN_EV_HANDSHAKE), 1);
    assert_int_equal(tu_log_count(&log_b, MZMTP_CONN_EV_HANDSHAKE), 1);
    assert_int_equal(log_a.ev[0].peer_type, MZMTP_SUB);
    assert_int_equal(log_b.ev[0].peer_type, MZMTP_PUB);
    TU_ASSERT_STATUS(mzmtp_conn_send_subscription(&conn_b, (const uint8_t *)"topic", 5, true), MZMTP_OK);
    tu_pump(&l, 1, 0);
    const tu_event_t *e = tu_log_nth(&log_a, MZMTP_CONN_EV_SUBSCRIBE, 0);
    assert_non_null(e);
    TU_ASSERT_HEX(tu_ev_data(&log_a, e), e->len, "'topic'");
}

static void engine_sends_messages_from_the_send_ring(void **state)
{
    static uint8_t ring[1024];
    static mzmtp_outq_t q;
    mzmtp_outq_init(&q, ring, sizeof ring);
    mzmtp_outq_pipe_attach(&q, 0);
    mzmtp_conn_opts_t o = tu_conn_opts();
    tu_log_init(&log_a);
    tu_log_init(&log_b);
    TU_ASSERT_STATUS(tu_conn_init(&conn_a, MZMTP_PUB, &o, rx_a, sizeof rx_a, &q, 0, 0), MZMTP_OK);
    start(&conn_b, rx_b, sizeof rx_b, MZMTP_SUB, &o, 0);
    tu_link_t l;
    tu_link_conns(&l, &conn_a, &log_a, &conn_b, &log_b);
    tu_pump(&l, 1, 0);
    tu_outq_begin(&q, 1);
    TU_ASSERT_STATUS(mzmtp_outq_add_frame(&q, (const uint8_t *)"top", 3, true), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_outq_add_frame(&q, (const uint8_t *)"body", 4, false), MZMTP_OK);
    tu_pump(&l, 1, 0);
    const tu_event_t *m = tu_log_nth(&log_b, MZMTP_CONN_EV_MESSAGE, 0);
    assert_non_null(m);
    assert_int_equal(m->nframes, 2);
    TU_ASSERT_HEX(tu_ev_data(&log_b, m), m->len, "'topbody'");
    assert_int_equal(mzmtp_outq_pipe_queued(&q, 0), 0);
}

static void engine_writes_no_data_before_the_handshake(void **state)
{
    /* N3: libzmq sends no data before READY both ways. */
    static uint8_t ring[256];
    static mzmtp_outq_t q;
    mzmtp_outq_init(&q, ring, sizeof ring);
    mzmtp_outq_pipe_attach(&q, 0);
    tu_outq_begin(&q, 1);
    TU_ASSERT_STATUS(mzmtp_outq_add_frame(&q, (const uint8_t *)"early", 5, false), MZMTP_OK);
    mzmtp_conn_opts_t o = tu_conn_opts();
    tu_log_init(&log_a);
    TU_ASSERT_STATUS(tu_conn_init(&conn_a, MZMTP_PUB, &o, rx_a, sizeof rx_a, &q, 0, 0), MZMTP_OK);
    tu_conn_drain_output(&conn_a, &log_a);
    TU_ASSERT_HEX(log_a.out, log_a.out_len, GREETING_31 READY_PUB);
    feed_whole(GREETING_31 READY_SUB, 0);
    TU_ASSERT_HEX(log_a.out, log_a.out_len, GREETING_31 READY_PUB "00 05 'early'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pub_engine_writes_greeting_and_ready_before_any_input),
        cmocka_unit_test(sub_engine_ready_says_socket_type_sub),
        cmocka_unit_test(engine_output_can_be_written_one_byte_at_a_time),
        cmocka_unit_test(engine_init_refuses_a_receive_buffer_under_64_bytes),
        cmocka_unit_test(libzmq_sub_handshake_and_subscribe_fed_whole),
        cmocka_unit_test(libzmq_sub_handshake_and_subscribe_fed_byte_by_byte),
        cmocka_unit_test(libzmq_sub_handshake_and_subscribe_fed_in_random_splits),
        cmocka_unit_test(libzmq_sub_handshake_at_every_split_point),
        cmocka_unit_test(handshake_needs_the_peers_ready),
        cmocka_unit_test(handshake_event_carries_the_peers_identity),
        cmocka_unit_test(handshake_accepts_a_ready_without_socket_type),
        cmocka_unit_test(handshake_accepts_property_names_in_any_case),
        cmocka_unit_test(handshake_accepts_xsub_as_a_pub_peer),
        cmocka_unit_test(engine_takes_what_it_needs_of_its_type_from_options),
        cmocka_unit_test(handshake_accepts_ready_before_the_greeting_is_written),
        cmocka_unit_test(handshake_ignores_padding_and_as_server),
        cmocka_unit_test(handshake_accepts_a_major_4_peer_as_zmtp_3_1),
        cmocka_unit_test(zmtp31_peer_subscribes_and_cancels_with_commands),
        cmocka_unit_test(zmtp30_peer_subscribes_with_a_01_data_message),
        cmocka_unit_test(pub_engine_reads_01_prefixed_data_from_a_zmtp31_peer_as_subscribe),
        cmocka_unit_test(sub_engine_delivers_01_prefixed_data_from_a_pub_as_a_message),
        cmocka_unit_test(sub_engine_subscribes_a_zmtp30_peer_with_data_frames),
        cmocka_unit_test(sub_engine_subscribes_a_zmtp31_peer_with_commands),
        cmocka_unit_test(sub_engine_refuses_subscriptions_before_the_handshake),
        cmocka_unit_test(sub_engine_says_again_when_the_command_buffer_is_full),
        cmocka_unit_test(malformed_input_closes_with_its_exact_status),
        cmocka_unit_test(pub_engine_drops_upstream_data_of_any_size_and_keeps_taking_subscriptions),
        cmocka_unit_test(push_engine_drops_what_a_pull_sends_and_still_answers_ping),
        cmocka_unit_test(push_engine_says_push_in_ready_and_talks_to_pull_only),
        cmocka_unit_test(malformed_input_gives_no_event_after_the_fatal_status),
        cmocka_unit_test(wrong_socket_type_writes_an_error_command_before_closing),
        cmocka_unit_test(send_error_writes_an_error_command_and_kills_the_engine),
        cmocka_unit_test(dead_engine_takes_no_more_input),
        cmocka_unit_test(peer_error_reports_the_reason_in_the_event),
        cmocka_unit_test(frame_of_exactly_max_msg_size_is_accepted),
        cmocka_unit_test(error_after_the_handshake_is_ignored),
        cmocka_unit_test(ping_gets_pong_without_context),
        cmocka_unit_test(ping_context_is_echoed_in_pong),
        cmocka_unit_test(ping_context_of_16_bytes_is_echoed_whole),
        cmocka_unit_test(ping_context_over_16_bytes_is_cut_to_16),
        cmocka_unit_test(many_pings_each_get_a_pong),
        cmocka_unit_test(unknown_command_after_handshake_is_ignored),
        cmocka_unit_test(repeated_ready_after_handshake_is_ignored),
        cmocka_unit_test(pong_is_no_event),
        cmocka_unit_test(single_frame_message_reads_back_exactly),
        cmocka_unit_test(multipart_message_with_empty_frames_reads_back_exactly),
        cmocka_unit_test(long_form_header_for_a_small_frame_is_accepted),
        cmocka_unit_test(messages_interleaved_with_commands_keep_their_order),
        cmocka_unit_test(skipped_message_is_dropped_whole),
        cmocka_unit_test(message_event_comes_once_per_message),
        cmocka_unit_test(read_without_a_message_says_again),
        cmocka_unit_test(frame_larger_than_read_buffer_comes_in_partial_pieces),
        cmocka_unit_test(one_mib_frame_streams_through_a_256_byte_receive_buffer),
        cmocka_unit_test(multipart_message_streams_through_a_small_buffer),
        cmocka_unit_test(whole_frames_filling_the_buffer_exactly_stream),
        cmocka_unit_test(multipart_message_streams_when_process_is_called_mid_message),
        cmocka_unit_test(skipping_a_streamed_message_drops_bytes_not_yet_arrived),
        cmocka_unit_test(receive_hwm_stops_reading),
        cmocka_unit_test(handshake_times_out_at_handshake_ivl),
        cmocka_unit_test(handshake_timeout_applies_after_the_greeting_too),
        cmocka_unit_test(handshake_timeout_is_wrap_safe),
        cmocka_unit_test(handshake_timeout_stops_once_ready),
        cmocka_unit_test(no_timers_means_no_timeout),
#if MZMTP_CONF_HEARTBEAT
        cmocka_unit_test(heartbeat_sends_ping_after_ivl),
        cmocka_unit_test(heartbeat_ping_carries_ttl_in_deciseconds),
        cmocka_unit_test(heartbeat_times_out_without_traffic),
        cmocka_unit_test(heartbeat_timeout_option_is_used),
        cmocka_unit_test(heartbeat_any_received_frame_cancels_the_timeout),
        cmocka_unit_test(heartbeat_peer_ping_ttl_closes_a_silent_link),
        cmocka_unit_test(heartbeat_new_ping_rearms_the_ttl_timer),
        cmocka_unit_test(heartbeat_peer_ttl_over_655_ds_does_not_wrap),
        cmocka_unit_test(heartbeat_ttl_we_send_is_capped_at_655_ds),
#else
        cmocka_unit_test(heartbeat_without_own_heartbeats_a_peer_ttl_closes_nothing),
#endif
        cmocka_unit_test(heartbeat_ping_with_ttl_zero_arms_nothing),
        cmocka_unit_test(two_engines_back_to_back_handshake_and_subscribe),
        cmocka_unit_test(engine_sends_messages_from_the_send_ring),
        cmocka_unit_test(engine_writes_no_data_before_the_handshake),
    };
    return cmocka_run_group_tests_name("conn", tests, NULL, NULL);
}
