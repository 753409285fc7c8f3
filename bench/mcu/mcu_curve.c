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
 * has it), both through the ladder and through crypto_scalarmult_base (whose ed25519
 * table ports/sodium-mcu replaces with the ladder), and a box must open while a box with
 * one flipped bit must not.
 *
 * Output (semihosting):
 *   mcu curve keypair=N beforenm=N box_64B=N open_64B=N box_1024B=N open_1024B=N
 *             secretbox_64B=N secretbox_open_64B=N      instructions per operation
 *   mcu curve_stack keypair=N beforenm=N box_64B=N open_64B=N box_1024B=N open_1024B=N
 *             secretbox_64B=N secretbox_open_64B=N max=N bytes
 * then SYS_EXIT_EXTENDED 0 (1 with a FAILED line if a check fails).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mcu_rt.h"
#include "../../src/crypto/mzmtp_crypto.h"

/* libsodium's own name for the base-point multiplication, checked below. */
int crypto_scalarmult_base(unsigned char *q, const unsigned char *n);

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

static void check_known_answers(void)
{
    uint32_t i;

    if (!mzmtp_crypto_init()) {
        fail("mzmtp_crypto_init", 0);
    }
    if (!mzmtp_crypto_scalarmult_base(pub_out, ct_sec) || memcmp(pub_out, ct_pub, 32) != 0) {
        fail("key pair by the ladder differs from the transcript", 0);
    }
    memset(pub_out, 0, sizeof pub_out);
    if (crypto_scalarmult_base(pub_out, ct_sec) != 0 || memcmp(pub_out, ct_pub, 32) != 0) {
        fail("crypto_scalarmult_base differs from the transcript", 0);
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
    put("mcu curve");
    for (i = 0; i < N_OPS; i++) {
        put(" ");
        put(ops[i].name);
        put("=");
        put_u32(insns[i]);
    }
    put("\nmcu curve_stack");
    for (i = 0; i < N_OPS; i++) {
        put(" ");
        put(ops[i].name);
        put("=");
        put_u32(stack[i]);
    }
    put(" max=");
    put_u32(max);
    put("\n");
    exit_with(0);
}
