/*
 * mcu_bench.c - instructions executed on a Cortex-M3 to publish one message and to
 * receive one, measured under QEMU (mps2-an385 with -icount; see bench/mcu/Makefile).
 *
 * Two sockets in static memory, a PUB and a SUB, built with the default options of
 * mzmtp_config_defaults.h, are connected back to back through the port interface: what
 * mzmtp_socket_peer_output() gives on one side is copied into the space that
 * mzmtp_socket_peer_rx_space() offers on the other. After the handshake, the subscription
 * and a warm-up, each message is timed in two parts:
 *
 *   publish  mzmtp_socket_send() of one single-frame message, then the PUB side producing
 *            its output (mzmtp_socket_peer_output) and marking it written
 *            (mzmtp_socket_peer_output_done);
 *   receive  the SUB side taking those bytes (mzmtp_socket_peer_rx_space, _rx_commit)
 *            and mzmtp_socket_recv() of the message.
 *
 * The copies of the bytes themselves (the "wire": a driver's DMA or a TCP stack's copy)
 * are left out: the timer is read before and after each copy and that interval is not
 * counted.
 *
 * Clock: SysTick on the processor clock (25 MHz on the an385), SYST_CVR read before and
 * after each interval. Under -icount QEMU's virtual time advances 2^ICOUNT_SHIFT ns per
 * instruction. At shift 7 (the Makefile's default) one instruction is 3.2 counts, so
 * each interval rounds to its exact instruction count. At shift 0 one count is 40
 * instructions: every message then starts after a pseudo-random untimed delay, and the
 * mean over many messages comes within about 1 %. The cost of a timer read pair is
 * measured the same way (empty intervals) and subtracted; a delay loop of known length
 * checks the scale (the run fails if 1000 more turns are not 3000 more instructions).
 *
 * Output (semihosting SYS_WRITE0):
 *   mcu check delay3_0=N delay3_1000=N
 *   mcu insns publish_1B=N receive_1B=N publish_64B=N receive_64B=N publish_1024B=N ...
 *   mcu calls_64B send=N output=N output_done=N rx_space=N rx_commit=N recv=N
 *   mcu calls_1024B ...
 *   mcu timer icount_shift=N exact=0|1 overhead_per_read_pair_x1000=N messages_per_size=N
 * then SYS_EXIT_EXTENDED with 0 (1 if anything went wrong, with a line saying what).
 */
#include <stdint.h>
#include <string.h>
#include "microzmtp/mzmtp_port.h"

#include "mcu_rt.h"

/* ------------------------------ the two sockets --------------------------------- */

#define MAX_MSG 1024u
#define TOPIC "t"

/* PUB: a send ring for two of the largest messages; receive buffers hold SUBSCRIBEs.
 * SUB: a send ring for its subscriptions; each receive buffer holds a whole message. */
MZMTP_SOCKET_MEM_DEFINE(pub_mem, 2 * (MAX_MSG + 16u), 128);
MZMTP_SOCKET_MEM_DEFINE(sub_mem, 256, MAX_MSG + 64u);
static mzmtp_socket_t pub;
static mzmtp_socket_t sub;
static int pub_peer;
static int sub_peer;

static uint8_t wire[MAX_MSG + 64u]; /* the bytes in flight, PUB -> SUB */
static size_t wire_len;
static size_t wire_off;
static uint8_t msg[MAX_MSG];
static uint8_t app[MAX_MSG];

/* Move everything one side has for the other, untimed (handshake, subscriptions). */
static void pump(mzmtp_socket_t *from, int from_peer, mzmtp_socket_t *to, int to_peer)
{
    mzmtp_iov_t iov[4];
    size_t nvec;
    size_t i;
    mzmtp_status_t st;

    while ((nvec = mzmtp_socket_peer_output(from, from_peer, iov, 4)) > 0) {
        size_t total = 0;
        for (i = 0; i < nvec; i++) {
            size_t off = 0;
            while (off < iov[i].len) {
                uint8_t *at;
                size_t room;
                size_t n = iov[i].len - off;
                mzmtp_socket_peer_rx_space(to, to_peer, &at, &room);
                if (room == 0) {
                    fail("pump: no receive space", 0);
                }
                if (n > room) {
                    n = room;
                }
                memcpy(at, iov[i].base + off, n);
                st = mzmtp_socket_peer_rx_commit(to, to_peer, n, 0);
                if (st != MZMTP_OK) {
                    fail("pump: rx_commit", st);
                }
                off += n;
            }
            total += iov[i].len;
        }
        mzmtp_socket_peer_output_done(from, from_peer, total);
    }
}

static void connect_pair(void)
{
    mzmtp_status_t st;
    unsigned round;

    if ((st = mzmtp_socket_init(&pub, MZMTP_PUB, &pub_mem)) != MZMTP_OK) {
        fail("init pub", st);
    }
    if ((st = mzmtp_socket_init(&sub, MZMTP_SUB, &sub_mem)) != MZMTP_OK) {
        fail("init sub", st);
    }
    if ((st = mzmtp_socket_subscribe(&sub, TOPIC, sizeof TOPIC - 1u)) != MZMTP_OK) {
        fail("subscribe", st);
    }
    if ((st = mzmtp_socket_peer_open(&pub, false, &pub_peer)) != MZMTP_OK ||
        (st = mzmtp_socket_peer_start(&pub, pub_peer, 0)) != MZMTP_OK) {
        fail("pub peer", st);
    }
    if ((st = mzmtp_socket_peer_open(&sub, true, &sub_peer)) != MZMTP_OK ||
        (st = mzmtp_socket_peer_start(&sub, sub_peer, 0)) != MZMTP_OK) {
        fail("sub peer", st);
    }
    for (round = 0; round < 8; round++) {
        pump(&pub, pub_peer, &sub, sub_peer);
        pump(&sub, sub_peer, &pub, pub_peer);
    }
    if (mzmtp_socket_peer_count(&pub) != 1 || mzmtp_socket_peer_count(&sub) != 1) {
        fail("handshake did not complete", 0);
    }
    if (mzmtp_socket_sub_peer_count(&pub) != 1) {
        fail("subscription did not reach the PUB", 0);
    }
}

/* ---------------------------- one measured message ------------------------------ */

typedef struct sums {
    uint64_t pub_m; /* thousandths of instructions inside the publish intervals */
    uint64_t sub_m;
    uint32_t pub_intervals; /* timer read pairs, for the overhead correction */
    uint32_t sub_intervals;
} sums_t;

/* Publish: send + output + output_done; the copy into wire[] is not counted. */
static void publish(size_t len, sums_t *s)
{
    mzmtp_iov_t iov[4];
    size_t nvec;
    size_t i;
    size_t total = 0;
    uint32_t t0;
    uint32_t t1;
    uint32_t t2;
    uint32_t t3;
    mzmtp_status_t st;

    t0 = now_ticks();
    st = mzmtp_socket_send(&pub, msg, len, false);
    nvec = mzmtp_socket_peer_output(&pub, pub_peer, iov, 4);
    t1 = now_ticks();
    if (st != MZMTP_OK) {
        fail("send", st);
    }
    for (i = 0; i < nvec; i++) { /* the wire (untimed) */
        memcpy(wire + total, iov[i].base, iov[i].len);
        total += iov[i].len;
    }
    wire_len = total;
    wire_off = 0;
    t2 = now_ticks();
    mzmtp_socket_peer_output_done(&pub, pub_peer, total);
    t3 = now_ticks();
    add(&s->pub_m, t0, t1);
    add(&s->pub_m, t2, t3);
    s->pub_intervals += 2u;
}

/* Receive: rx_space + rx_commit until the wire is empty, then recv of the message; the
 * copies from wire[] into the receive buffer are not counted. */
static void receive(size_t len, sums_t *s)
{
    size_t got = 0;
    size_t n = 0;
    unsigned flags = 0;
    uint32_t t0;
    uint32_t t1;
    mzmtp_status_t st = MZMTP_OK;

    while (wire_off < wire_len) {
        uint8_t *at;
        size_t room;
        size_t k;

        t0 = now_ticks();
        mzmtp_socket_peer_rx_space(&sub, sub_peer, &at, &room);
        t1 = now_ticks();
        add(&s->sub_m, t0, t1);
        if (room == 0) {
            fail("no receive space", 0);
        }
        k = wire_len - wire_off;
        if (k > room) {
            k = room;
        }
        memcpy(at, wire + wire_off, k); /* the wire (untimed) */
        wire_off += k;
        t0 = now_ticks();
        st = mzmtp_socket_peer_rx_commit(&sub, sub_peer, k, 0);
        if (st == MZMTP_OK && wire_off == wire_len) {
            st = mzmtp_socket_recv(&sub, app, sizeof app, &n, &flags);
            got = n;
        }
        t1 = now_ticks();
        add(&s->sub_m, t0, t1);
        s->sub_intervals += 2u;
        if (st != MZMTP_OK) {
            fail("rx_commit/recv", st);
        }
    }
    if (got != len || flags != 0 || memcmp(app, msg, len) != 0) {
        fail("received message differs", (int)got);
    }
}

/* The same two steps with the timer read between every call, for a per-call split
 * (printed for 64 B and 1024 B): send, output, output_done, rx_space, rx_commit, recv.
 * The wire is one rx_space/rx_commit here (it fits the receive buffer). */
enum { C_SEND, C_OUTPUT, C_OUTPUT_DONE, C_RX_SPACE, C_RX_COMMIT, C_RECV, C_N };
static const char *const call_names[C_N] = {"send",     "output",    "output_done",
                                            "rx_space", "rx_commit", "recv"};

static void per_call(size_t len, uint64_t m[C_N])
{
    mzmtp_iov_t iov[4];
    size_t nvec;
    size_t i;
    size_t total = 0;
    size_t room;
    size_t n = 0;
    unsigned flags = 0;
    uint8_t *at;
    uint32_t t[4];
    mzmtp_status_t st;
    mzmtp_status_t st2;

    t[0] = now_ticks();
    st = mzmtp_socket_send(&pub, msg, len, false);
    t[1] = now_ticks();
    nvec = mzmtp_socket_peer_output(&pub, pub_peer, iov, 4);
    t[2] = now_ticks();
    add(&m[C_SEND], t[0], t[1]);
    add(&m[C_OUTPUT], t[1], t[2]);
    if (st != MZMTP_OK) {
        fail("send", st);
    }
    for (i = 0; i < nvec; i++) {
        memcpy(wire + total, iov[i].base, iov[i].len);
        total += iov[i].len;
    }
    t[0] = now_ticks();
    mzmtp_socket_peer_output_done(&pub, pub_peer, total);
    t[1] = now_ticks();
    mzmtp_socket_peer_rx_space(&sub, sub_peer, &at, &room);
    t[2] = now_ticks();
    add(&m[C_OUTPUT_DONE], t[0], t[1]);
    add(&m[C_RX_SPACE], t[1], t[2]);
    if (room < total) {
        fail("per-call: message does not fit the receive space", (int)room);
    }
    memcpy(at, wire, total);
    t[0] = now_ticks();
    st = mzmtp_socket_peer_rx_commit(&sub, sub_peer, total, 0);
    t[1] = now_ticks();
    st2 = mzmtp_socket_recv(&sub, app, sizeof app, &n, &flags);
    t[2] = now_ticks();
    add(&m[C_RX_COMMIT], t[0], t[1]);
    add(&m[C_RECV], t[1], t[2]);
    if (st != MZMTP_OK || st2 != MZMTP_OK || n != len || flags != 0) {
        fail("per-call: rx_commit/recv", st != MZMTP_OK ? st : st2);
    }
}

/* Timer-read overhead: the same pattern around nothing. */
static void __attribute__((noinline)) empty_interval(sums_t *s)
{
    uint32_t t0 = now_ticks();
    uint32_t t1 = now_ticks();
    add(&s->pub_m, t0, t1);
    s->pub_intervals += 1u;
}

/* Clock check: one timed call of delay3(n), for n = 0 and n = 1000 (3000 more). */
static void __attribute__((noinline)) timed_delay(uint32_t n, sums_t *s)
{
    uint32_t t0 = now_ticks();
    delay3(n);
    uint32_t t1 = now_ticks();
    add(&s->pub_m, t0, t1);
    s->pub_intervals += 1u;
}

/* Instructions per message, rounded: (sum − intervals·overhead) / count. */
static uint32_t per_msg(uint64_t sum_m, uint32_t intervals, uint32_t count,
                        uint32_t overhead_m)
{
    uint64_t ovh_m = (uint64_t)intervals * overhead_m;

    if (ovh_m > sum_m) {
        return 0;
    }
    return (uint32_t)(((sum_m - ovh_m) / count + 500u) / 1000u);
}

#define WARMUP 16u
#define COUNT 1000u /* messages per size */
#define CHECKS 400u

int main(void)
{
    static const uint32_t sizes[] = {1u, 64u, 1024u};
    uint32_t overhead_m;
    size_t z;
    uint32_t i;
    sums_t cal;

    systick_start();
    for (i = 0; i < MAX_MSG; i++) {
        msg[i] = (uint8_t)(i * 7u + 1u);
    }
    memcpy(msg, TOPIC, sizeof TOPIC - 1u); /* every message matches the subscription */

    memset(&cal, 0, sizeof cal);
    for (i = 0; i < COUNT; i++) {
        delay3(dither());
        empty_interval(&cal);
    }
    /* thousandths of an instruction per timer-read pair */
    overhead_m = (uint32_t)(cal.pub_m / COUNT);

    /* The clock must count 3000 more instructions for delay3(1000) than for delay3(0). */
    {
        sums_t d0;
        sums_t d1;
        uint32_t diff;

        memset(&d0, 0, sizeof d0);
        memset(&d1, 0, sizeof d1);
        for (i = 0; i < CHECKS; i++) {
            delay3(dither());
            timed_delay(0, &d0);
            delay3(dither());
            timed_delay(1000, &d1);
        }
        diff = per_msg(d1.pub_m, 0, CHECKS, 0) - per_msg(d0.pub_m, 0, CHECKS, 0);
        /* exact from shift 7 on; below, an average with some quantisation left */
        if (EXACT ? diff != 3000u : (diff < 2990u || diff > 3010u)) {
            fail("clock check: delay3(1000) - delay3(0) != 3000 instructions", (int)diff);
        }
        put("mcu check delay3_0=");
        put_u32(per_msg(d0.pub_m, d0.pub_intervals, CHECKS, overhead_m));
        put(" delay3_1000=");
        put_u32(per_msg(d1.pub_m, d1.pub_intervals, CHECKS, overhead_m));
        put("\n");
    }

    connect_pair();

    put("mcu insns");
    for (z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
        size_t len = sizes[z];
        sums_t s;

        memset(&s, 0, sizeof s);
        for (i = 0; i < WARMUP; i++) {
            publish(len, &s);
            receive(len, &s);
        }
        memset(&s, 0, sizeof s);
        for (i = 0; i < COUNT; i++) {
            delay3(dither());
            publish(len, &s);
            receive(len, &s);
        }
        put(" publish_");
        put_u32((uint32_t)len);
        put("B=");
        put_u32(per_msg(s.pub_m, s.pub_intervals, COUNT, overhead_m));
        put(" receive_");
        put_u32((uint32_t)len);
        put("B=");
        put_u32(per_msg(s.sub_m, s.sub_intervals, COUNT, overhead_m));
    }
    put("\n");

    {
        static const uint32_t split_sizes[] = {64u, 1024u};
        for (z = 0; z < sizeof split_sizes / sizeof split_sizes[0]; z++) {
            size_t len = split_sizes[z];
            uint64_t m[C_N];
            unsigned c;

            memset(m, 0, sizeof m);
            for (i = 0; i < WARMUP; i++) {
                per_call(len, m);
            }
            memset(m, 0, sizeof m);
            for (i = 0; i < COUNT; i++) {
                delay3(dither());
                per_call(len, m);
            }
            put("mcu calls_");
            put_u32((uint32_t)len);
            put("B");
            for (c = 0; c < C_N; c++) {
                put(" ");
                put(call_names[c]);
                put("=");
                put_u32(per_msg(m[c], COUNT, COUNT, overhead_m));
            }
            put("\n");
        }
    }

    put("mcu timer icount_shift=");
    put_u32(ICOUNT_SHIFT);
    put(EXACT ? " exact=1" : " exact=0");
    put(" overhead_per_read_pair_x1000=");
    put_u32(overhead_m);
    put(" messages_per_size=");
    put_u32(COUNT);
    put("\n");
    exit_with(0);
    return 0;
}
