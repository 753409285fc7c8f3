/*
 * bench_pub.c - instructions per 64-byte publish on the PUB firmware, from the
 * application's mzmtp_socket_send() call to the frame handed to the LAN9118 (the
 * driver's TX FIFO write), under QEMU -icount (firmware/mps2-an385/bench.py runs it:
 * `make bench-fw`).
 *
 * Clock: SysTick on the processor clock (25 MHz on the an385), set free running over 24
 * bits with its interrupt off for each measurement (and back to board.c's 1 ms tick
 * after). Under -icount shift=S QEMU's virtual time advances 2^S ns per instruction, so one
 * instruction is 0.025 * 2^S timer counts: 3.2 at S=7, where counts / 3.2 rounded is an
 * exact instruction count (the rounding error of two reads is under one count).
 * The clock is checked on a loop of known length (2 instructions per turn).
 *
 * Each measured publish runs with interrupts masked (no SysTick or Ethernet handler is
 * counted): mark t0; mzmtp_socket_send(64 B); mzmtp_lwip_poll(), which writes the
 * message to lwIP (tcp_write, tcp_output, IP, ARP cache, linkoutput); the driver marks
 * the start of its FIFO write and its end (lan9118.c, LAN9118_TX_MARK). Between two
 * publishes the loop runs normally for 20 ms, so the subscriber's ACK has come back and
 * every publish takes the same path. The timer reads' own cost is measured the same way
 * around nothing and subtracted.
 *
 * QEMU -append: "shift=S" (must be QEMU's -icount shift; default 7), "count=N" (default
 * 100). Waits for one subscriber on tcp://(*):5556 (QEMU hostfwd), then prints
 *   bench pub64 send=MIN/MED/MAX to_driver=MIN/MED/MAX to_fifo_end=MIN/MED/MAX n=N
 *   bench check loop1000=N (expect 2000) overhead=N mark_overhead=N shift=S
 * and exits 0 after a 1 s linger (1: setup failed, 4: clock check failed).
 */
#include "board.h"
#include "net.h"

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define MAX_N 200u

MZMTP_SOCKET_MEM_DEFINE(pub_mem, 512, MZMTP_RECV_MIN);
static mzmtp_socket_t pub;
static uint32_t shift = 7;

void bench_tx_mark(int which);
static volatile int armed;
static uint32_t mark_at[2];

static inline uint32_t counts(void)
{
    return 0x00FFFFFFu - SYST_CVR; /* counts up, 24 bits */
}

/* Interrupts off, SysTick free running over 24 bits (board.c's 1 ms tick stops). */
static void clock_start(void)
{
    __asm__ volatile("cpsid i" ::: "memory");
    SYST_CSR = 0;
    SYST_RVR = 0x00FFFFFFu;
    SYST_CVR = 0;
    SYST_CSR = 5u; /* processor clock, enabled, no interrupt */
    while (SYST_CVR == 0) {
        /* until the first reload: differences below are taken modulo 2^24 */
    }
}

/* Back to board.c's 1 ms tick; board_ms() has missed the measured interval (< 1 ms). */
static void clock_stop(void)
{
    SYST_CSR = 0;
    SYST_RVR = 25000u - 1u;
    SYST_CVR = 0;
    SYST_CSR = 7u;
    __asm__ volatile("cpsie i" ::: "memory");
}

/* Called by the driver (LAN9118_TX_MARK): 0 on entry of linkoutput, 1 when the frame is
 * in the FIFO. Only the first frame after arming is marked. */
void bench_tx_mark(int which)
{
    if (armed) {
        mark_at[which] = counts();
        if (which == 1) {
            armed = 0;
        }
    }
}

/* Timer counts to instructions: counts / (0.025 * 2^shift), rounded. */
static uint32_t insns(uint32_t c)
{
    uint64_t num = (uint64_t)c * 40u, den = (uint64_t)1 << shift;
    return (uint32_t)((num + den / 2u) / den);
}

static void __attribute__((noinline)) loop2(uint32_t n)
{
    __asm__ volatile("1: subs %0, %0, #1\n bne 1b" : "+r"(n) : : "cc");
}

static void sort(uint32_t *v, uint32_t n)
{
    for (uint32_t i = 1; i < n; i++) {
        uint32_t x = v[i], j = i;
        for (; j > 0 && v[j - 1] > x; j--) {
            v[j] = v[j - 1];
        }
        v[j] = x;
    }
}

static void print3(const char *name, uint32_t *v, uint32_t n)
{
    sort(v, n);
    board_puts(name);
    board_putu(v[0]);
    board_puts("/");
    board_putu(v[n / 2u]);
    board_puts("/");
    board_putu(v[n - 1u]);
}

static void run_for(uint32_t ms)
{
    uint32_t end = board_ms() + ms;
    while ((int32_t)(board_ms() - end) < 0) {
        net_step(NULL);
    }
}

int main(void)
{
    static uint32_t send_i[MAX_N], drv_i[MAX_N], end_i[MAX_N];
    uint8_t msg[64];
    uint16_t port = 0;
    void (*volatile mark_fn)(int) = bench_tx_mark;
    uint32_t n, ovh, ovh_mark, t0, t1, a, b;

    net_init();
    shift = net_arg_port("shift=", 7);
    n = net_arg_port("count=", 100);
    n = n > MAX_N ? MAX_N : n;

    /* Clock check and the cost of a read pair. */
    clock_start();
    a = counts();
    loop2(1);
    b = counts();
    t0 = counts();
    loop2(1001);
    t1 = counts();
    t0 = insns((t1 - t0) & 0xFFFFFFu) - insns((b - a) & 0xFFFFFFu);
    a = counts();
    b = counts();
    ovh = insns((b - a) & 0xFFFFFFu);
    armed = 1;
    a = counts();
    mark_fn(0); /* as the driver calls it */
    ovh_mark = insns((mark_at[0] - a) & 0xFFFFFFu);
    armed = 0;
    clock_stop();
    board_puts("bench check loop1000=");
    board_putu(t0);
    board_puts(" (expect 2000) overhead=");
    board_putu(ovh);
    board_puts(" mark_overhead=");
    board_putu(ovh_mark);
    board_puts(" shift=");
    board_putu(shift);
    board_puts("\n");
    if (t0 < 1999u || t0 > 2001u) {
        return 4;
    }

    if (mzmtp_socket_init(&pub, MZMTP_PUB, &pub_mem) != MZMTP_OK ||
        mzmtp_lwip_bind(&net_io, &pub, "tcp://*:5556", &port) != MZMTP_OK) {
        board_puts("bench: setup failed\n");
        return 1;
    }
    board_puts("bench: PUB bound, waiting for a subscriber\n");
    while (mzmtp_socket_sub_peer_count(&pub) == 0) {
        net_step(NULL);
    }
    run_for(200);
    for (uint32_t i = 0; i < n; i++) {
        mzmtp_status_t st;
        for (uint32_t k = 0; k < sizeof msg; k++) {
            msg[k] = (uint8_t)(k < 7 ? "sensor/"[k] : 'a' + (i + k) % 26u);
        }
        run_for(20);
        clock_start();
        mark_at[0] = mark_at[1] = 0;
        armed = 1;
        t0 = counts();
        st = mzmtp_socket_send(&pub, msg, sizeof msg, false);
        t1 = counts();
        (void)mzmtp_lwip_poll(&net_io);
        armed = 0;
        clock_stop();
        if (st != MZMTP_OK || mark_at[1] == 0) {
            board_puts("bench: publish ");
            board_putu(i);
            board_puts(st != MZMTP_OK ? " refused\n" : " sent no frame\n");
            return 1;
        }
        send_i[i] = insns((t1 - t0) & 0xFFFFFFu) - ovh;
        drv_i[i] = insns((mark_at[0] - t0) & 0xFFFFFFu) - ovh_mark;
        end_i[i] = insns((mark_at[1] - t0) & 0xFFFFFFu) - ovh_mark;
    }
    print3("bench pub64 send=", send_i, n);
    print3(" to_driver=", drv_i, n);
    print3(" to_fifo_end=", end_i, n);
    board_puts(" n=");
    board_putu(n);
    board_puts("\n");
    (void)mzmtp_lwip_close(&net_io, &pub, 1000);
    while (!mzmtp_lwip_closed(&net_io, &pub)) {
        net_step(NULL);
    }
    return 0;
}
