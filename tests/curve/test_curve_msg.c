/*
 * CURVE after the handshake (src/mech/curve_msg.c, wire-notes C6-C9): the known-answer
 * MESSAGE frames byte for byte both ways, engines back to back exchanging messages of
 * every size (frames larger than the send scratch go out in two passes) in whole, byte
 * by byte and random splits, commands inside MESSAGE, and the malformed-input table.
 *
 * The engines here finish a NULL handshake and are then switched to CURVE with the
 * transcript's session key and counters: this file tests MESSAGE alone; test_curve.c
 * tests the handshake that leads to the same state.
 */
#include <stdio.h>
#include "testutil.h"
#include "../../src/crypto/mzmtp_crypto.h"
#include "../crypto/curve_kat.h"
#include "../crypto/curve_sec.h"

#define READY_PUB_HS " 04 19 05 'READY' 0B 'Socket-Type' 00 00 00 03 'PUB' "

static uint8_t session_key[32];
static mzmtp_conn_sec_t sec_client, sec_server;

#define unhex kat_unhex

static int setup(void **state)
{
    (void)state;
    uint8_t sp[32], cs[32];
    unhex(sp, 32, ST_PUB);
    unhex(cs, 32, CT_SEC);
    assert_true(mzmtp_crypto_init());
    assert_true(mzmtp_crypto_box_beforenm(session_key, sp, cs));
    memset(&sec_client, 0, sizeof sec_client);
    sec_client.mechanism = MZMTP_MECH_CURVE;
    sec_server = sec_client;
    sec_server.server = true;
    return 0;
}

/* Switch an engine that finished a NULL handshake to CURVE, as curve.c leaves it. */
static void to_curve(mzmtp_conn_t *c, bool server, uint64_t tx, uint64_t rx)
{
    assert_int_equal(mzmtp_conn_state(c), MZMTP_CONN_READY);
    curve_sec_switch(c, server ? &sec_server : &sec_client, session_key, tx, rx);
}

/* ---------------- one engine and a script ---------------- */

static uint8_t rx1[4096];
static mzmtp_conn_t e1;
static tu_log_t lg1;
static uint8_t buf[1 << 16];
static uint8_t ring1[1 << 14];
static mzmtp_outq_t q1;

/* An engine of @p type after a NULL handshake with a scripted peer, then CURVE. */
static void start_one(int type, const char *peer_type, bool server, uint64_t tx, uint64_t rx)
{
    tu_log_init(&lg1);
    mzmtp_conn_opts_t o = tu_conn_opts();
    mzmtp_outq_init(&q1, ring1, sizeof ring1);
    mzmtp_outq_pipe_attach(&q1, 0);
    TU_ASSERT_STATUS(tu_conn_init(&e1, type, &o, rx1, sizeof rx1, &q1, 0, 0), MZMTP_OK);
    tu_buf_t b = TU_BUF(buf);
    tu_put_handshake(&b, 1, peer_type);
    TU_ASSERT_STATUS(tu_conn_feed(&e1, &lg1, b.p, b.len, TU_WHOLE, 0, 0), MZMTP_OK);
    assert_int_equal(tu_log_count(&lg1, MZMTP_CONN_EV_HANDSHAKE), 1);
    tu_log_clear_out(&lg1);
    to_curve(&e1, server, tx, rx);
}

static void send1(const void *data, size_t len, bool more)
{
    TU_ASSERT_STATUS(mzmtp_outq_add_frame(&q1, data, len, more), MZMTP_OK);
}

static void known_answer_message_from_the_client_opens_to_hello(void **state)
{
    (void)state;
    static const tu_split_t splits[] = {TU_WHOLE, TU_BYTEWISE, TU_RANDOM};
    for (size_t i = 0; i < 3; i++) {
        start_one(MZMTP_PULL, "PUSH", true, 1, 2);
        size_t n = unhex(buf, sizeof buf, MSG_CS);
        TU_ASSERT_STATUS(tu_conn_feed(&e1, &lg1, buf, n, splits[i], 7 + i, 0), MZMTP_OK);
        const tu_event_t *ev = tu_log_nth(&lg1, MZMTP_CONN_EV_MESSAGE, 0);
        assert_non_null(ev);
        assert_int_equal(ev->nframes, 1);
        TU_ASSERT_BYTES(tu_ev_frame(&lg1, ev, 0), ev->frame_len[0], "Hello", 5);
        assert_true(e1.curve->rx_nonce == 3);
    }
}

static void client_boxes_hello_exactly_as_the_transcript(void **state)
{
    (void)state;
    start_one(MZMTP_PUSH, "PULL", false, 2, 1);
    tu_outq_begin(&q1, 1u);
    send1("Hello", 5, false);
    tu_conn_drain_output(&e1, &lg1);
    size_t n = unhex(buf, sizeof buf, MSG_CS);
    TU_ASSERT_BYTES(lg1.out, lg1.out_len, buf, n);
    assert_false(mzmtp_conn_has_output(&e1));
    assert_int_equal(mzmtp_outq_pipe_queued(&q1, 0), 0); /* the ring is released */
}

static void server_boxes_a_more_frame_exactly_as_the_transcript(void **state)
{
    (void)state;
    start_one(MZMTP_PUSH, "PULL", true, 1, 2);
    tu_outq_begin(&q1, 1u);
    send1("World", 5, true);
    send1("!", 1, false);
    tu_conn_drain_output(&e1, &lg1);
    size_t n = unhex(buf, sizeof buf, MSG_SC);
    assert_true(lg1.out_len > n);
    TU_ASSERT_BYTES(lg1.out, n, buf, n); /* the first frame: nonce 2, inner flags 01 */
    assert_true(e1.curve->tx_nonce == 3);
}

/* A MESSAGE frame as a peer would box it. */
static size_t box_frame(uint8_t *out, uint8_t outer_flags, bool from_server, uint64_t nonce,
                        uint8_t inner, const void *data, size_t len)
{
    static uint8_t plain[1 << 16];
    uint8_t n24[24];
    memcpy(n24, from_server ? "CurveZMQMESSAGES" : "CurveZMQMESSAGEC", 16);
    for (int i = 0; i < 8; i++) n24[16 + i] = (uint8_t)(nonce >> (56 - 8 * i));
    plain[0] = inner;
    memcpy(plain + 1, data, len);
    size_t body = 33 + len;
    tu_buf_t b = {out, 0, 1 << 16};
    uint8_t msg[1 << 16];
    msg[0] = 7;
    memcpy(msg + 1, "MESSAGE", 7);
    memcpy(msg + 8, n24 + 16, 8);
    assert_true(mzmtp_crypto_box_afternm(msg + 16, plain, len + 1, n24, session_key));
    tu_put_frame(&b, outer_flags, msg, body);
    return b.len;
}

typedef struct bad_row {
    const char *what;
    mzmtp_status_t st;
} bad_row_t;

static mzmtp_status_t feed_after_one_good(const uint8_t *bad, size_t n, tu_split_t split)
{
    start_one(MZMTP_PULL, "PUSH", true, 1, 2);
    size_t g = box_frame(buf, 0, false, 3, 0, "ok", 2);
    memcpy(buf + g, bad, n);
    mzmtp_status_t st = tu_conn_feed(&e1, &lg1, buf, g + n, split, 3, 0);
    /* the good one before it is delivered, nothing after */
    assert_int_equal(tu_log_count(&lg1, MZMTP_CONN_EV_MESSAGE), 1);
    assert_int_equal(lg1.out_len, 0); /* no ERROR in CURVE after the handshake */
    return st;
}

static void malformed_messages_close_with_their_status(void **state)
{
    (void)state;
    static uint8_t bad[1 << 16];
    static const tu_split_t splits[] = {TU_WHOLE, TU_BYTEWISE, TU_RANDOM};
    for (size_t sp = 0; sp < 3; sp++) {
        size_t n;
        /* the same nonce again (a replay) */
        n = box_frame(bad, 0, false, 3, 0, "ok", 2);
        TU_ASSERT_STATUS(feed_after_one_good(bad, n, splits[sp]), MZMTP_ERR_CRYPTO);
        /* a lower nonce */
        n = box_frame(bad, 0, false, 2, 0, "x", 1);
        TU_ASSERT_STATUS(feed_after_one_good(bad, n, splits[sp]), MZMTP_ERR_CRYPTO);
        /* a box boxed by the wrong side (server prefix from the client) */
        n = box_frame(bad, 0, true, 4, 0, "x", 1);
        TU_ASSERT_STATUS(feed_after_one_good(bad, n, splits[sp]), MZMTP_ERR_CRYPTO);
        /* one flipped bit in the MAC, in the ciphertext, in the nonce */
        static const size_t flip_at[] = {2 + 16, 2 + 33, 2 + 15};
        for (size_t f = 0; f < 3; f++) {
            n = box_frame(bad, 0, false, 4, 0, "hello", 5);
            bad[flip_at[f]] ^= 0x01;
            TU_ASSERT_STATUS(feed_after_one_good(bad, n, splits[sp]), MZMTP_ERR_CRYPTO);
        }
        /* too short for a MESSAGE (32 bytes of body) */
        n = box_frame(bad, 0, false, 4, 0, "", 0);
        bad[1] = 32;
        TU_ASSERT_STATUS(feed_after_one_good(bad, n - 1, splits[sp]), MZMTP_ERR_PROTOCOL);
        /* a plain data frame, a plain command, another command name */
        n = tu_script(" 00 05 'Hello' ", bad, sizeof bad);
        TU_ASSERT_STATUS(feed_after_one_good(bad, n, splits[sp]), MZMTP_ERR_PROTOCOL);
        n = tu_script(" 04 07 04 'PING' 00 00 ", bad, sizeof bad);
        TU_ASSERT_STATUS(feed_after_one_good(bad, n, splits[sp]), MZMTP_ERR_PROTOCOL);
        n = box_frame(bad, 0, false, 4, 0, "x", 1);
        bad[3] = 'm';
        TU_ASSERT_STATUS(feed_after_one_good(bad, n, splits[sp]), MZMTP_ERR_PROTOCOL);
        /* a frame larger than the receive buffer can never be opened */
        n = box_frame(bad, 0, false, 4, 0, buf, sizeof rx1);
        TU_ASSERT_STATUS(feed_after_one_good(bad, n, splits[sp]), MZMTP_ERR_MSG_SIZE);
    }
}

static void message_flagged_as_a_command_is_accepted(void **state)
{
    (void)state;
    start_one(MZMTP_PULL, "PUSH", true, 1, 2);
    size_t n = box_frame(buf, MZMTP_FLAG_COMMAND, false, 3, 0, "cmd", 3);
    TU_ASSERT_STATUS(tu_conn_feed(&e1, &lg1, buf, n, TU_WHOLE, 0, 0), MZMTP_OK);
    const tu_event_t *ev = tu_log_nth(&lg1, MZMTP_CONN_EV_MESSAGE, 0);
    assert_non_null(ev);
    TU_ASSERT_BYTES(tu_ev_frame(&lg1, ev, 0), ev->frame_len[0], "cmd", 3);
}

static void inner_flags_more_and_command_are_libzmqs(void **state)
{
    (void)state;
    /* inner 0x01 = MORE; 0x04 is not ZMTP's command bit here: delivered as data (C7) */
    start_one(MZMTP_PULL, "PUSH", true, 1, 2);
    size_t n = box_frame(buf, 0, false, 3, 1, "a", 1);
    n += box_frame(buf + n, 0, false, 4, 4, "b", 1);
    TU_ASSERT_STATUS(tu_conn_feed(&e1, &lg1, buf, n, TU_RANDOM, 1, 0), MZMTP_OK);
    const tu_event_t *ev = tu_log_nth(&lg1, MZMTP_CONN_EV_MESSAGE, 0);
    assert_non_null(ev);
    assert_int_equal(ev->nframes, 2);
    /* inner 0x02 = a command: a PING inside MESSAGE gets a PONG inside MESSAGE */
    tu_log_clear_out(&lg1);
    n = box_frame(buf, 0, false, 5, 2, "\x04PING\x00\x00" "ctx", 10);
    TU_ASSERT_STATUS(tu_conn_feed(&e1, &lg1, buf, n, TU_BYTEWISE, 0, 0), MZMTP_OK);
    assert_int_equal(tu_log_count(&lg1, MZMTP_CONN_EV_MESSAGE), 1);
    size_t pong = box_frame(buf, 0, true, 2, 2, "\x04PONG" "ctx", 8);
    TU_ASSERT_BYTES(lg1.out, lg1.out_len, buf, pong);
}

static void subscriptions_travel_inside_message(void **state)
{
    (void)state;
    start_one(MZMTP_PUB, "SUB", true, 1, 2);
    size_t n = box_frame(buf, 0, false, 3, 2, "\x09SUBSCRIBEtopic", 15);
    n += box_frame(buf + n, 0, false, 4, 0, "\x01old", 4); /* a 3.0-style subscription */
    TU_ASSERT_STATUS(tu_conn_feed(&e1, &lg1, buf, n, TU_RANDOM, 5, 0), MZMTP_OK);
    const tu_event_t *ev = tu_log_nth(&lg1, MZMTP_CONN_EV_SUBSCRIBE, 0);
    assert_non_null(ev);
    TU_ASSERT_BYTES(tu_ev_data(&lg1, ev), ev->len, "topic", 5);
    ev = tu_log_nth(&lg1, MZMTP_CONN_EV_SUBSCRIBE, 1);
    assert_non_null(ev);
    TU_ASSERT_BYTES(tu_ev_data(&lg1, ev), ev->len, "old", 3);
    /* and ours go out boxed */
    tu_log_clear_out(&lg1);
    start_one(MZMTP_SUB, "PUB", false, 2, 1);
    TU_ASSERT_STATUS(mzmtp_conn_send_subscription(&e1, (const uint8_t *)"t", 1, true), MZMTP_OK);
    tu_conn_drain_output(&e1, &lg1);
    n = box_frame(buf, 0, false, 3, 2, "\x09SUBSCRIBEt", 11);
    TU_ASSERT_BYTES(lg1.out, lg1.out_len, buf, n);
}

/* A PUB drops what its peer sends and takes its subscriptions, boxed like anything else
 * (in a build of PUB alone, MZMTP_CONN_NO_DELIVERY, through the in-order reader): a
 * multipart message, a 3.0 subscription as the first frame of one, a SUBSCRIBE, a PING;
 * then a malformed MESSAGE closes it with the status the scanner gives. */
static void pub_engine_drops_boxed_data_and_takes_boxed_subscriptions(void **state)
{
    (void)state;
    static uint8_t bad[1 << 16];
    static const tu_split_t splits[] = {TU_WHOLE, TU_BYTEWISE, TU_RANDOM};
    for (size_t sp = 0; sp < 3; sp++) {
        for (int row = 0; row < 4; row++) {
            start_one(MZMTP_PUB, "SUB", true, 1, 2);
            lg1.skip_messages = true;
            size_t n = box_frame(buf, 0, false, 3, 1, "a", 1);
            n += box_frame(buf + n, 0, false, 4, 0, "b", 1);
            n += box_frame(buf + n, 0, false, 5, 1, "\x01" "B", 2);
            n += box_frame(buf + n, 0, false, 6, 0, "x", 1);
            n += box_frame(buf + n, 0, false, 7, 2, "\x09SUBSCRIBEtopic", 15);
            n += box_frame(buf + n, 0, false, 8, 2, "\x04PING\x00\x00", 7);
            size_t b = 0;
            mzmtp_status_t want = MZMTP_ERR_CRYPTO;
            if (row == 1) b = box_frame(bad, 0, false, 8, 0, "x", 1); /* a replay */
            if (row == 2) {
                b = box_frame(bad, 0, false, 9, 0, "hello", 5);
                bad[2 + 16] ^= 0x01; /* a flipped MAC bit */
            }
            if (row == 3) {
                b = box_frame(bad, 0, false, 9, 0, buf + n, sizeof rx1); /* can never be opened */
                want = MZMTP_ERR_MSG_SIZE;
            }
            memcpy(buf + n, bad, b);
            mzmtp_status_t st = tu_conn_feed(&e1, &lg1, buf, n + b, splits[sp], 11, 0);
            TU_ASSERT_STATUS(st, row == 0 ? MZMTP_OK : want);
            assert_int_equal(tu_log_count(&lg1, MZMTP_CONN_EV_SUBSCRIBE), 2);
            const tu_event_t *ev = tu_log_nth(&lg1, MZMTP_CONN_EV_SUBSCRIBE, 0);
            TU_ASSERT_BYTES(tu_ev_data(&lg1, ev), ev->len, "B", 1);
            ev = tu_log_nth(&lg1, MZMTP_CONN_EV_SUBSCRIBE, 1);
            TU_ASSERT_BYTES(tu_ev_data(&lg1, ev), ev->len, "topic", 5);
            if (row == 0) {
                tu_conn_drain_output(&e1, &lg1);
                size_t pong = box_frame(bad, 0, true, 2, 2, "\x04PONG", 5);
                TU_ASSERT_BYTES(lg1.out, lg1.out_len, bad, pong);
            }
        }
    }
}

/* ---------------- two engines back to back ---------------- */

static uint8_t rx_a[80 * 1024], rx_b[80 * 1024];
static uint8_t ring_a[1 << 18], ring_b[1 << 18];
static mzmtp_conn_t ca, cb;
static mzmtp_outq_t qa, qb;
static tu_rng_t rng;

/* Move up to @p chunk bytes from @p from to @p to; @return bytes moved. */
static size_t move(mzmtp_conn_t *from, mzmtp_conn_t *to, size_t chunk)
{
    mzmtp_iov_t iov[8];
    size_t n = mzmtp_conn_output(from, iov, 8), moved = 0;
    for (size_t i = 0; i < n && moved < chunk; i++) {
        size_t k = iov[i].len < chunk - moved ? iov[i].len : chunk - moved;
        size_t took;
        mzmtp_conn_input(to, iov[i].base, k, 0, &took);
        moved += took;
        if (took < k) break;
    }
    mzmtp_conn_output_done(from, moved);
    return moved;
}

static size_t pick(tu_split_t split)
{
    if (split == TU_BYTEWISE) return 1;
    if (split == TU_RANDOM) return tu_rng_range(&rng, 1, 3000);
    return SIZE_MAX;
}

/* Read one whole message from @p c if there is one: frames concatenated into @p out.
 * A message may arrive in pieces: the reader keeps its place between calls. */
static struct {
    bool in_msg;
    size_t at;
    unsigned nf;
} rd;

static bool read_msg(mzmtp_conn_t *c, uint8_t *out, size_t *len, unsigned *frames)
{
    mzmtp_conn_event_t ev;
    mzmtp_status_t st;
    for (;;) {
        if (!rd.in_msg) {
            while ((st = mzmtp_conn_process(c, 0, &ev)) == MZMTP_OK &&
                   ev.kind != MZMTP_CONN_EV_MESSAGE) {
            }
            if (st == MZMTP_AGAIN) return false;
            TU_ASSERT_STATUS(st, MZMTP_OK);
            rd.in_msg = true;
            rd.at = 0;
            rd.nf = 0;
        }
        size_t n;
        unsigned fl;
        st = mzmtp_conn_read(c, out + rd.at, 4096, &n, &fl);
        if (st == MZMTP_AGAIN) {
            /* let the engine scan what arrived, then read on */
            if (mzmtp_conn_process(c, 0, &ev) == MZMTP_OK) {
                assert_int_not_equal(ev.kind, MZMTP_CONN_EV_MESSAGE); /* told once */
            }
            st = mzmtp_conn_read(c, out + rd.at, 4096, &n, &fl);
            if (st == MZMTP_AGAIN) return false;
        }
        TU_ASSERT_STATUS(st, MZMTP_OK);
        rd.at += n;
        if (!(fl & MZMTP_RECV_PARTIAL)) rd.nf++;
        if (!(fl & (MZMTP_RECV_MORE | MZMTP_RECV_PARTIAL))) {
            rd.in_msg = false;
            *len = rd.at;
            *frames = rd.nf;
            return true;
        }
    }
}

static void start_pair(size_t rx_size)
{
    memset(&rd, 0, sizeof rd);
    mzmtp_conn_opts_t o = tu_conn_opts();
    mzmtp_outq_init(&qa, ring_a, sizeof ring_a);
    mzmtp_outq_init(&qb, ring_b, sizeof ring_b);
    mzmtp_outq_pipe_attach(&qa, 0);
    mzmtp_outq_pipe_attach(&qb, 0);
    TU_ASSERT_STATUS(tu_conn_init(&ca, MZMTP_DEALER, &o, rx_a, rx_size, &qa, 0, 0), MZMTP_OK);
    TU_ASSERT_STATUS(tu_conn_init(&cb, MZMTP_DEALER, &o, rx_b, rx_size, &qb, 0, 0), MZMTP_OK);
    mzmtp_conn_event_t ev;
    for (int i = 0; i < 10; i++) {
        move(&ca, &cb, SIZE_MAX);
        move(&cb, &ca, SIZE_MAX);
        while (mzmtp_conn_process(&ca, 0, &ev) == MZMTP_OK) {
        }
        while (mzmtp_conn_process(&cb, 0, &ev) == MZMTP_OK) {
        }
    }
    to_curve(&ca, false, 2, 1);
    to_curve(&cb, true, 1, 2);
}

static uint8_t msg_in[300000], msg_out[300000];

/* Send a message of @p nframes frames of sizes @p sizes from @p from, receive it at @p to. */
static void round_trip(mzmtp_conn_t *from, mzmtp_outq_t *q, mzmtp_conn_t *to,
                       const size_t *sizes, unsigned nframes, tu_split_t split)
{
    size_t total = 0;
    tu_outq_begin(q, 1u);
    for (unsigned f = 0; f < nframes; f++) {
        for (size_t i = 0; i < sizes[f]; i++) msg_out[total + i] = (uint8_t)(tu_rng_next(&rng));
        TU_ASSERT_STATUS(mzmtp_outq_add_frame(q, msg_out + total, sizes[f], f + 1 < nframes),
                         MZMTP_OK);
        total += sizes[f];
    }
    size_t len = 0;
    unsigned got_frames = 0;
    bool got = false;
    for (int guard = 0; guard < 2000000 && !got; guard++) {
        size_t m = move(from, to, pick(split));
        got = read_msg(to, msg_in, &len, &got_frames);
        if (!got && m == 0 && !mzmtp_conn_has_output(from)) break;
    }
    assert_true(got);
    assert_int_equal(got_frames, nframes);
    TU_ASSERT_BYTES(msg_in, len, msg_out, total);
}

static void engines_exchange_messages_of_every_size(void **state)
{
    (void)state;
    static const size_t sizes[] = {0, 1, 5, 200, 222, 223, 255, 256, 300, 1000, 4096, 70000};
    static const tu_split_t splits[] = {TU_WHOLE, TU_RANDOM, TU_BYTEWISE};
    tu_rng_seed(&rng, 42);
    for (size_t sp = 0; sp < 3; sp++) {
        start_pair(sizeof rx_a);
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            if (splits[sp] == TU_BYTEWISE && sizes[i] > 4096) continue; /* keep it quick */
            round_trip(&ca, &qa, &cb, &sizes[i], 1, splits[sp]);
            round_trip(&cb, &qb, &ca, &sizes[i], 1, splits[sp]);
        }
        static const size_t multi[] = {3, 0, 70000, 255, 1};
        round_trip(&ca, &qa, &cb, multi, 5, splits[sp] == TU_BYTEWISE ? TU_RANDOM : splits[sp]);
        round_trip(&cb, &qb, &ca, multi, 5, splits[sp] == TU_BYTEWISE ? TU_RANDOM : splits[sp]);
    }
}

static void a_message_larger_than_the_receive_buffer_streams_frame_by_frame(void **state)
{
    (void)state;
    /* 2 KiB receive buffers; a message of 40 frames of 1000 bytes (40 KB) */
    tu_rng_seed(&rng, 7);
    start_pair(2048);
    size_t sizes[40];
    for (size_t i = 0; i < 40; i++) sizes[i] = 1000;
    round_trip(&ca, &qa, &cb, sizes, 40, TU_RANDOM);
    round_trip(&cb, &qb, &ca, sizes, 40, TU_WHOLE);
    /* and a single frame that cannot fit is refused, not delivered in part */
    static const size_t big[] = {3000};
    tu_outq_begin(&qa, 1u);
    TU_ASSERT_STATUS(mzmtp_outq_add_frame(&qa, msg_out, big[0], false), MZMTP_OK);
    for (int i = 0; i < 100; i++) move(&ca, &cb, SIZE_MAX);
    mzmtp_conn_event_t ev;
    mzmtp_status_t st;
    while ((st = mzmtp_conn_process(&cb, 0, &ev)) == MZMTP_OK) {
        assert_int_not_equal(ev.kind, MZMTP_CONN_EV_MESSAGE);
    }
    TU_ASSERT_STATUS(st, MZMTP_ERR_MSG_SIZE);
}

static void many_small_messages_share_one_write(void **state)
{
    (void)state;
    tu_rng_seed(&rng, 9);
    start_pair(sizeof rx_a);
    /* as many boxes as the scratch holds go in one piece */
    size_t per = 2 + 33 + 20, fit = MZMTP_CONF_CURVE_TX_BUF / per;
    for (size_t i = 0; i < fit + 1; i++) {
        tu_outq_begin(&qa, 1u);
        TU_ASSERT_STATUS(mzmtp_outq_add_frame(&qa, msg_out, 20, false), MZMTP_OK);
    }
    mzmtp_iov_t iov[8];
    size_t n = mzmtp_conn_output(&ca, iov, 8);
    assert_int_equal(n, 1);
    assert_int_equal(iov[0].len, fit * per);
    mzmtp_conn_output_done(&ca, iov[0].len);
    n = mzmtp_conn_output(&ca, iov, 8);
    assert_int_equal(n, 1);
    assert_int_equal(iov[0].len, per);
    mzmtp_conn_output_done(&ca, iov[0].len);
    assert_false(mzmtp_conn_has_output(&ca));
    /* a partial write leaves the rest for the next call */
    tu_outq_begin(&qa, 1u);
    TU_ASSERT_STATUS(mzmtp_outq_add_frame(&qa, msg_out, 20, false), MZMTP_OK);
    n = mzmtp_conn_output(&ca, iov, 8);
    mzmtp_conn_output_done(&ca, 10);
    n = mzmtp_conn_output(&ca, iov, 8);
    assert_int_equal(iov[0].len, per - 10);
}

/* ---------------- engines sharing one socket's scratch ---------------- */

static mzmtp_conn_t sh_c[2];
static mzmtp_outq_t sh_q[2];
static uint8_t sh_ring[2][1 << 18], sh_rx[2][1024];
static uint8_t sh_ref[2][1 << 18], sh_got[2][1 << 18];

/* Engine @p i: a CURVE server (both on sec_server: one scratch) with messages queued. */
static void sh_start(unsigned i)
{
    static tu_log_t l;
    tu_log_init(&l);
    mzmtp_conn_opts_t o = tu_conn_opts();
    mzmtp_outq_init(&sh_q[i], sh_ring[i], sizeof sh_ring[i]);
    mzmtp_outq_pipe_attach(&sh_q[i], 0);
    TU_ASSERT_STATUS(tu_conn_init(&sh_c[i], MZMTP_PUSH, &o, sh_rx[i], sizeof sh_rx[i], &sh_q[i], 0, 0),
                     MZMTP_OK);
    tu_buf_t b = TU_BUF(buf);
    tu_put_handshake(&b, 1, "PULL");
    TU_ASSERT_STATUS(tu_conn_feed(&sh_c[i], &l, b.p, b.len, TU_WHOLE, 0, 0), MZMTP_OK);
    to_curve(&sh_c[i], true, 1, 2);
    /* small frames several to a batch, frames larger than the scratch, a multi-frame one */
    static const size_t sizes[] = {20, 1, 300, 5, 4096, 0, 200, 70000, 30, 30, 30, 1000};
    tu_rng_seed(&rng, 100 + i);
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        for (size_t j = 0; j < sizes[k]; j++) msg_out[j] = (uint8_t)tu_rng_next(&rng);
        if (k % 4 == 0) tu_outq_begin(&sh_q[i], 1u);
        TU_ASSERT_STATUS(mzmtp_outq_add_frame(&sh_q[i], msg_out, sizes[k], k % 4 != 3 && k + 1 < 12),
                         MZMTP_OK);
    }
}

/* One output call of engine @p i, at most @p chunk bytes written; appended at @p *len. */
static size_t sh_step(unsigned i, uint8_t *out, size_t *len, size_t chunk)
{
    mzmtp_iov_t iov[8];
    size_t n = mzmtp_conn_output(&sh_c[i], iov, 8), moved = 0;
    for (size_t k = 0; k < n && moved < chunk; k++) {
        size_t m = iov[k].len < chunk - moved ? iov[k].len : chunk - moved;
        memcpy(out + *len + moved, iov[k].base, m);
        moved += m;
    }
    mzmtp_conn_output_done(&sh_c[i], moved);
    *len += moved;
    return moved;
}

static void engines_sharing_the_scratch_send_the_same_bytes_as_alone(void **state)
{
    (void)state;
    size_t ref_len[2] = {0, 0};
    /* each engine alone, whole writes: the reference streams */
    for (unsigned i = 0; i < 2; i++) {
        sh_start(i);
        while (sh_step(i, sh_ref[i], &ref_len[i], SIZE_MAX) > 0) {
        }
        assert_false(mzmtp_conn_has_output(&sh_c[i]));
        assert_true(ref_len[i] > 75000);
    }
    static const tu_split_t splits[] = {TU_RANDOM, TU_BYTEWISE};
    for (size_t sp = 0; sp < 2; sp++) {
        /* both at once, short writes taking turns: each output call finds the scratch
         * holding the other engine's boxes and boxes its own batch again */
        size_t got_len[2] = {0, 0};
        unsigned reboxed = 0;
        sh_start(0);
        sh_start(1);
        tu_rng_seed(&rng, 77);
        for (int guard = 0; guard < 4000000; guard++) {
            size_t moved = 0;
            for (unsigned i = 0; i < 2; i++) {
                if (sh_c[i].curve->batch_box > 0 && sec_server.tx.owner != &sh_c[i]) reboxed++;
                size_t chunk = splits[sp] == TU_BYTEWISE ? 1 : tu_rng_range(&rng, 1, 700);
                moved += sh_step(i, sh_got[i], &got_len[i], chunk);
            }
            if (moved == 0) break;
        }
        for (unsigned i = 0; i < 2; i++) {
            assert_false(mzmtp_conn_has_output(&sh_c[i]));
            TU_ASSERT_BYTES(sh_got[i], got_len[i], sh_ref[i], ref_len[i]);
            assert_int_equal(mzmtp_outq_pipe_queued(&sh_q[i], 0), 0); /* the ring released */
        }
        assert_true(reboxed > 10);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_answer_message_from_the_client_opens_to_hello),
        cmocka_unit_test(client_boxes_hello_exactly_as_the_transcript),
        cmocka_unit_test(server_boxes_a_more_frame_exactly_as_the_transcript),
        cmocka_unit_test(malformed_messages_close_with_their_status),
        cmocka_unit_test(message_flagged_as_a_command_is_accepted),
        cmocka_unit_test(inner_flags_more_and_command_are_libzmqs),
        cmocka_unit_test(subscriptions_travel_inside_message),
        cmocka_unit_test(pub_engine_drops_boxed_data_and_takes_boxed_subscriptions),
        cmocka_unit_test(engines_exchange_messages_of_every_size),
        cmocka_unit_test(a_message_larger_than_the_receive_buffer_streams_frame_by_frame),
        cmocka_unit_test(many_small_messages_share_one_write),
        cmocka_unit_test(engines_sharing_the_scratch_send_the_same_bytes_as_alone),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
