/*
 * mcu_curve.c - what CURVE's crypto costs on a Cortex-M3, measured under QEMU
 * (mps2-an385, -icount; see bench/mcu/Makefile and mcu_rt.c for the clock): libsodium's
 * portable C built for the M3 from Debian's source (ports/sodium-mcu), called through
 * microzmtp's crypto interface (src/crypto/mzmtp_crypto.h) exactly as the CURVE mechanism
 * calls it.
 *
 * For each operation: instructions (exact at shift 7; the mean of N runs) and the
 * deepest stack it used, in bytes, found by painting the free stack with a pattern before
 * the call and looking for the lowest word that changed after it (this sees every call,
 * also those through libsodium's implementation pointers, which a static call graph
 * cannot follow).
 *
 * Before anything is timed, the build is checked against the CURVE known-answer
 * transcript's keys (the client's transient key pair, as tests/crypto/test_crypto_kat.c
 * has it) through the ladder on point 9 (crypto_scalarmult_base is a trap in this build:
 * ports/sodium-mcu keeps its 30 KB table out), and a box must open while a box with one
 * flipped bit must not.
 *
 * Then, when the core has CURVE (MCU_CURVE_HANDSHAKE, set by the Makefile), a whole CURVE
 * handshake between two sockets in static memory, a PUB that is a CURVE server and a SUB
 * that is its client, wired back to back as mcu_bench.c wires its pair: every call on
 * one side (peer_start, output, output_done, rx_space, rx_commit) is timed into that
 * side's total, the copies between them are not; the stack is painted before each call
 * and the deepest use of each side kept. Then 64 B and 1 KiB messages through the pair:
 * publish (send, output, output_done) and receive (rx_space, rx_commit, recv), each
 * with its box or open.
 *
 * Output (semihosting):
 *   mcu curve keypair=N beforenm=N box_64B=N open_64B=N box_1024B=N open_1024B=N
 *             secretbox_64B=N secretbox_open_64B=N      instructions per operation
 *   mcu curve_stack keypair=N beforenm=N box_64B=N open_64B=N box_1024B=N open_1024B=N
 *             secretbox_64B=N secretbox_open_64B=N max=N bytes
 *   mcu curve_handshake server=N client=N server_stack=N client_stack=N rounds=N
 *   mcu curve_msg publish_64B=N receive_64B=N publish_1024B=N receive_1024B=N
 * then SYS_EXIT_EXTENDED 0 (1 with a FAILED line if a check fails).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mcu_rt.h"
#include "../../src/crypto/mzmtp_crypto.h"

/* libsodium's own name for the base-point multiplication, checked below. */

/* From the CURVE known-answer transcript: the client's transient secret key and the
 * public key it gives. */
static const uint8_t ct_sec[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                   12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                   23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
static const uint8_t ct_pub[32] = {0x07, 0xa3, 0x7c, 0xbc, 0x14, 0x20, 0x93, 0xc8,
                                   0xb7, 0x55, 0xdc, 0x1b, 0x10, 0xe8, 0x6c, 0xb4,
                                   0x26, 0x37, 0x4a, 0xd1, 0x6a, 0xa8, 0x53, 0xed,
                                   0x0b, 0xdf, 0xc0, 0xb2, 0xb8, 0x6d, 0x1c, 0x7c};

#define MAX_MSG 1024u

static uint8_t peer_sec[32];
static uint8_t peer_pub[32];
static uint8_t pub_out[32];
static uint8_t shared[32];
static uint8_t nonce[24];
static uint8_t plain[MAX_MSG];
static uint8_t boxed[MAX_MSG + 16u];
static uint8_t opened[MAX_MSG];
static size_t op_len;
static bool op_ok;

/* ------------------------------ the operations ---------------------------------- */

static void op_keypair(void)
{
    op_ok = mzmtp_crypto_scalarmult_base(pub_out, ct_sec);
}
static void op_beforenm(void)
{
    op_ok = mzmtp_crypto_box_beforenm(shared, peer_pub, ct_sec);
}
static void op_box(void)
{
    op_ok = mzmtp_crypto_box_afternm(boxed, plain, op_len, nonce, shared);
}
static void op_open(void)
{
    op_ok = mzmtp_crypto_box_open_afternm(opened, boxed, op_len + 16u, nonce, shared);
}
static void op_secretbox(void)
{
    op_ok = mzmtp_crypto_secretbox(boxed, plain, op_len, nonce, shared);
}
static void op_secretbox_open(void)
{
    op_ok = mzmtp_crypto_secretbox_open(opened, boxed, op_len + 16u, nonce, shared);
}

/* ------------------------------ stack painting ---------------------------------- */

extern uint32_t _ebss[];
#define PAINT 0x5AA5C33Cu
#define PAINT_GAP 64u /* bytes left untouched below the painter's own frame */

static uintptr_t __attribute__((noinline)) sp_now(void)
{
    uintptr_t sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    return sp;
}

/* Paint from the end of .bss up to just below the caller's frame. */
static void __attribute__((noinline)) paint(uintptr_t top)
{
    volatile uint32_t *p = (volatile uint32_t *)(void *)_ebss;
    while ((uintptr_t)p < top - PAINT_GAP) {
        *p++ = PAINT;
    }
}

static uintptr_t lowest_touched(void)
{
    const uint32_t *p = _ebss;
    while (*p == PAINT) {
        p++;
    }
    return (uintptr_t)p;
}

/* Deepest stack used by fn, in bytes below the stack pointer at the call. */
static uint32_t __attribute__((noinline)) stack_of(void (*fn)(void))
{
    uintptr_t base = sp_now();
    paint(base);
    fn();
    uintptr_t low = lowest_touched();
    if (low >= base - PAINT_GAP) {
        fail("stack probe: nothing painted was reached", 0);
    }
    return (uint32_t)(base - low);
}

/* ------------------------------ instruction count ------------------------------- */

/* Instructions per call of fn, the mean of n calls, the timer-read cost removed. Every
 * call must stay under 2^24 SysTick counts (5.2 M instructions at shift 7). */
static uint32_t overhead_m;

static uint32_t insns_of(void (*fn)(void), uint32_t n)
{
    uint64_t sum = 0;
    uint32_t i;

    for (i = 0; i < n; i++) {
        delay3(dither());
        uint32_t t0 = now_ticks();
        fn();
        uint32_t t1 = now_ticks();
        add(&sum, t0, t1);
        if (!op_ok) {
            fail("crypto operation failed", (int)i);
        }
    }
    uint64_t ovh = (uint64_t)n * overhead_m;
    return sum > ovh ? (uint32_t)(((sum - ovh) / n + 500u) / 1000u) : 0u;
}

static void op_nothing(void)
{
    op_ok = true;
}

/* ------------------------------- the handshake ---------------------------------- */

#ifdef MCU_CURVE_HANDSHAKE
#include "microzmtp/mzmtp_port.h"

/* PUB: a send ring for two of the largest messages; SUB: each receive buffer holds a
 * whole boxed message. */
MZMTP_SOCKET_MEM_DEFINE(pub_mem, 2 * (MAX_MSG + 16u), 512);
MZMTP_SOCKET_MEM_DEFINE(sub_mem, 256, MAX_MSG + 128u);
static mzmtp_socket_t pub;
static mzmtp_socket_t sub;
static int pub_peer;
static int sub_peer;

/* The bench's random source: a fixed sequence, so that every run does the same work.
 * Only for measuring; a device takes its platform's generator (ports/contiki-ng). */
static uint32_t bench_state = 0x9E3779B9u;
static bool bench_random(void *ctx, uint8_t *buf, size_t len)
{
    (void)ctx;
    while (len-- > 0) {
        bench_state = bench_state * 1664525u + 1013904223u;
        *buf++ = (uint8_t)(bench_state >> 24);
    }
    return true;
}

typedef struct side {
    uint64_t m;       /* thousandths of instructions in this side's calls */
    uint32_t calls;   /* timed calls, for the timer-read correction */
    uint32_t stack;   /* deepest stack of one call, bytes */
} side_t;

static side_t server_side;
static side_t client_side;
static bool paint_calls; /* handshake: paint and measure the stack of every call */

/* Time one call (and, during the handshake, paint the stack for it). The macro keeps the
 * call itself inline, so nothing but the call sits between the timer reads. */
#define TIMED(side, call)                                                   \
    do {                                                                    \
        uintptr_t base_ = 0;                                                \
        if (paint_calls) {                                                  \
            base_ = sp_now();                                               \
            paint(base_);                                                   \
        }                                                                   \
        uint32_t t0_ = now_ticks();                                         \
        call;                                                               \
        uint32_t t1_ = now_ticks();                                         \
        add(&(side)->m, t0_, t1_);                                          \
        (side)->calls++;                                                    \
        if (paint_calls) {                                                  \
            uint32_t used_ = (uint32_t)(base_ - lowest_touched());          \
            if (used_ > (side)->stack) {                                    \
                (side)->stack = used_;                                      \
            }                                                               \
        }                                                                   \
    } while (0)

static uint8_t wire[2u * (MAX_MSG + 128u)];

/* Move what one side has for the other; every call on either side is timed into its
 * side. Returns the bytes moved. */
static size_t pump(mzmtp_socket_t *from, int from_peer, side_t *fs, mzmtp_socket_t *to,
                   int to_peer, side_t *ts)
{
    mzmtp_iov_t iov[4];
    size_t nvec;
    size_t moved = 0;

    for (;;) {
        size_t i;
        size_t total = 0;
        TIMED(fs, nvec = mzmtp_socket_peer_output(from, from_peer, iov, 4));
        if (nvec == 0) {
            break;
        }
        for (i = 0; i < nvec; i++) {
            if (iov[i].len > sizeof wire - total) {
                fail("pump: output larger than the wire", (int)iov[i].len);
            }
            memcpy(wire + total, iov[i].base, iov[i].len);
            total += iov[i].len;
        }
        TIMED(fs, mzmtp_socket_peer_output_done(from, from_peer, total));
        size_t off = 0;
        while (off < total) {
            uint8_t *at;
            size_t room;
            size_t n = total - off;
            mzmtp_status_t st;
            TIMED(ts, mzmtp_socket_peer_rx_space(to, to_peer, &at, &room));
            if (room == 0) {
                fail("pump: no receive space", 0);
            }
            if (n > room) {
                n = room;
            }
            memcpy(at, wire + off, n);
            TIMED(ts, st = mzmtp_socket_peer_rx_commit(to, to_peer, n, 0));
            if (st != MZMTP_OK) {
                fail("pump: rx_commit", st);
            }
            off += n;
        }
        moved += total;
    }
    return moved;
}

static uint32_t insns_of_side(const side_t *s)
{
    uint64_t ovh = (uint64_t)s->calls * overhead_m;
    return s->m > ovh ? (uint32_t)((s->m - ovh + 500u) / 1000u) : 0u;
}

static void handshake(void)
{
    static const uint32_t one = 1;
    uint8_t server_pub[32];
    uint8_t client_pub[32];
    mzmtp_status_t st;
    unsigned rounds = 0;

    /* Long-term keys: made before the handshake, as a device has them provisioned. */
    if (mzmtp_curve_public(server_pub, peer_sec) != MZMTP_OK ||
        mzmtp_curve_public(client_pub, ct_sec) != MZMTP_OK) {
        fail("long-term keys", 0);
    }
    if ((st = mzmtp_socket_init(&pub, MZMTP_PUB, &pub_mem)) != MZMTP_OK ||
        (st = mzmtp_socket_setopt(&pub, MZMTP_OPT_CURVE_SECRETKEY, peer_sec, 32)) != MZMTP_OK ||
        (st = mzmtp_socket_setopt(&pub, MZMTP_OPT_CURVE_SERVER, &one, sizeof one)) != MZMTP_OK) {
        fail("server socket", st);
    }
    if ((st = mzmtp_socket_init(&sub, MZMTP_SUB, &sub_mem)) != MZMTP_OK ||
        (st = mzmtp_socket_setopt(&sub, MZMTP_OPT_CURVE_SECRETKEY, ct_sec, 32)) != MZMTP_OK ||
        (st = mzmtp_socket_setopt(&sub, MZMTP_OPT_CURVE_PUBLICKEY, client_pub, 32)) != MZMTP_OK ||
        (st = mzmtp_socket_setopt(&sub, MZMTP_OPT_CURVE_SERVERKEY, server_pub, 32)) != MZMTP_OK) {
        fail("client socket", st);
    }
    mzmtp_socket_set_random(&pub, bench_random, NULL);
    mzmtp_socket_set_random(&sub, bench_random, NULL);
    if ((st = mzmtp_socket_subscribe(&sub, "t", 1)) != MZMTP_OK) {
        fail("subscribe", st);
    }
    if ((st = mzmtp_socket_peer_open(&pub, false, &pub_peer)) != MZMTP_OK) {
        fail("server peer", st);
    }
    if ((st = mzmtp_socket_peer_open(&sub, true, &sub_peer)) != MZMTP_OK) {
        fail("client peer", st);
    }
    paint_calls = true;
    TIMED(&server_side, st = mzmtp_socket_peer_start(&pub, pub_peer, 0));
    if (st != MZMTP_OK) {
        fail("server peer_start", st);
    }
    TIMED(&client_side, st = mzmtp_socket_peer_start(&sub, sub_peer, 0));
    if (st != MZMTP_OK) {
        fail("client peer_start", st);
    }
    /* Until both sides report the peer and the subscription has arrived. */
    while (rounds < 16 && (mzmtp_socket_peer_count(&pub) != 1 || mzmtp_socket_peer_count(&sub) != 1 ||
                           mzmtp_socket_sub_peer_count(&pub) != 1)) {
        size_t a = pump(&sub, sub_peer, &client_side, &pub, pub_peer, &server_side);
        size_t b = pump(&pub, pub_peer, &server_side, &sub, sub_peer, &client_side);
        rounds++;
        if (a == 0 && b == 0) {
            break;
        }
    }
    paint_calls = false;
    if (mzmtp_socket_peer_count(&pub) != 1 || mzmtp_socket_peer_count(&sub) != 1) {
        fail("CURVE handshake did not complete", (int)rounds);
    }
    if (mzmtp_socket_mechanism(&pub) != MZMTP_MECH_CURVE) {
        fail("the server is not CURVE", 0);
    }
    if (mzmtp_socket_sub_peer_count(&pub) != 1) {
        fail("subscription did not reach the PUB", 0);
    }
    put("mcu curve_handshake server=");
    put_u32(insns_of_side(&server_side));
    put(" client=");
    put_u32(insns_of_side(&client_side));
    put(" server_stack=");
    put_u32(server_side.stack);
    put(" client_stack=");
    put_u32(client_side.stack);
    put(" rounds=");
    put_u32(rounds);
    put("\n");
}

/* Publish one message (timed into the server side), move it, receive it (timed into
 * the client side), and check it arrived intact. */
static void one_message(size_t len)
{
    static uint8_t got[MAX_MSG];
    size_t n = 0;
    unsigned flags = 0;
    mzmtp_status_t st;

    TIMED(&server_side, st = mzmtp_socket_send(&pub, plain, len, false));
    if (st != MZMTP_OK) {
        fail("send", st);
    }
    (void)pump(&pub, pub_peer, &server_side, &sub, sub_peer, &client_side);
    TIMED(&client_side, st = mzmtp_socket_recv(&sub, got, sizeof got, &n, &flags));
    if (st != MZMTP_OK || n != len || flags != 0 || memcmp(got, plain, len) != 0) {
        fail("received message differs", st != MZMTP_OK ? st : (int)n);
    }
}

static void messages(void)
{
    static const size_t sizes[] = {64u, 1024u};
    size_t z;
    uint32_t i;

    plain[0] = 't'; /* every message matches the subscription */
    put("mcu curve_msg");
    for (z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
        for (i = 0; i < 4; i++) {
            one_message(sizes[z]);
        }
        memset(&server_side, 0, sizeof server_side);
        memset(&client_side, 0, sizeof client_side);
        for (i = 0; i < 100; i++) {
            one_message(sizes[z]);
        }
        put(" publish_");
        put_u32((uint32_t)sizes[z]);
        put("B=");
        put_u32((insns_of_side(&server_side) + 50u) / 100u);
        put(" receive_");
        put_u32((uint32_t)sizes[z]);
        put("B=");
        put_u32((insns_of_side(&client_side) + 50u) / 100u);
    }
    put("\n");
}
#endif

/* --------------------------------- the run -------------------------------------- */

typedef struct measured {
    const char *name;
    void (*fn)(void);
    size_t len;
    uint32_t runs;
} measured_t;

static const measured_t ops[] = {
    {"keypair", op_keypair, 0, 3},
    {"beforenm", op_beforenm, 0, 3},
    {"box_64B", op_box, 64, 100},
    {"open_64B", op_open, 64, 100},
    {"box_1024B", op_box, 1024, 20},
    {"open_1024B", op_open, 1024, 20},
    {"secretbox_64B", op_secretbox, 64, 100},
    {"secretbox_open_64B", op_secretbox_open, 64, 100},
};
#define N_OPS (sizeof ops / sizeof ops[0])

/* "<line> <op>=<v[op]> ..." for every operation of ops[], no newline. */
static void put_per_op(const char *line, const uint32_t *v)
{
    put(line);
    for (uint32_t i = 0; i < N_OPS; i++) {
        put(" ");
        put(ops[i].name);
        put("=");
        put_u32(v[i]);
    }
}

static void check_known_answers(void)
{
    uint32_t i;

    if (!mzmtp_crypto_init()) {
        fail("mzmtp_crypto_init", 0);
    }
    if (!mzmtp_crypto_scalarmult_base(pub_out, ct_sec) || memcmp(pub_out, ct_pub, 32) != 0) {
        fail("key pair by the ladder differs from the transcript", 0);
    }
    for (i = 0; i < 32; i++) {
        peer_sec[i] = (uint8_t)(0x21u + i);
    }
    if (!mzmtp_crypto_scalarmult_base(peer_pub, peer_sec) ||
        !mzmtp_crypto_box_beforenm(shared, peer_pub, ct_sec)) {
        fail("peer key pair / beforenm", 0);
    }
    for (i = 0; i < MAX_MSG; i++) {
        plain[i] = (uint8_t)(i * 7u + 1u);
    }
    memcpy(nonce, "CurveZMQMESSAGEC", 16);
    nonce[23] = 1;
    if (!mzmtp_crypto_box_afternm(boxed, plain, 64, nonce, shared) ||
        !mzmtp_crypto_box_open_afternm(opened, boxed, 80, nonce, shared) ||
        memcmp(opened, plain, 64) != 0) {
        fail("box/open round trip", 0);
    }
    boxed[40] ^= 1u;
    if (mzmtp_crypto_box_open_afternm(opened, boxed, 80, nonce, shared)) {
        fail("a forged box opened", 0);
    }
}

int main(void)
{
    uint32_t insns[N_OPS];
    uint32_t stack[N_OPS];
    uint32_t max = 0;
    size_t i;

    systick_start();
    check_known_answers();
    overhead_m = 0;
    {
        uint64_t sum = 0;
        for (i = 0; i < 100; i++) {
            delay3(dither());
            uint32_t t0 = now_ticks();
            op_nothing();
            uint32_t t1 = now_ticks();
            add(&sum, t0, t1);
        }
        overhead_m = (uint32_t)(sum / 100u);
    }
    for (i = 0; i < N_OPS; i++) {
        op_len = ops[i].len;
        if (ops[i].fn == op_open || ops[i].fn == op_secretbox_open) {
            /* a valid box of this length to open: made by the operation before it */
            op_ok = false;
            (ops[i].fn == op_open ? op_box : op_secretbox)();
            if (!op_ok) {
                fail("making the box to open", (int)i);
            }
        }
        insns[i] = insns_of(ops[i].fn, ops[i].runs);
        stack[i] = stack_of(ops[i].fn);
        if (!op_ok) {
            fail("crypto operation failed (stack run)", (int)i);
        }
        if (stack[i] > max) {
            max = stack[i];
        }
    }
    put_per_op("mcu curve", insns);
    put("\n");
    put_per_op("mcu curve_stack", stack);
    put(" max=");
    put_u32(max);
    put("\n");
#ifdef MCU_CURVE_HANDSHAKE
    handshake();
    messages();
#else
    put("mcu curve_handshake not built: the core of this tree has no CURVE handshake\n");
#endif
    exit_with(0);
}
