/*
 * The POSIX port over loopback TCP, two I/O contexts in one process: a binding PUSH
 * (io_a: listener + peer) and a connecting PULL (io_b: one peer only). io_b is the case
 * where mzmtp_posix_run() waits inside recv() instead of poll(); these tests check that
 * this wait keeps every promise poll() kept: the timeout, timers, order, peers leaving.
 * Binds port 0 only.
 */
#define _POSIX_C_SOURCE 200809L
#include "mzmtp_posix.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#define RING (64u << 10)
#define RXBUF 4096u

static mzmtp_posix_t io_a, io_b;
static mzmtp_socket_t push, pull;
MZMTP_SOCKET_MEM_DEFINE(push_mem, RING, RXBUF);
MZMTP_SOCKET_MEM_DEFINE(pull_mem, RING, RXBUF);
static char endpoint[128];
static unsigned disconnects;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void on_event(void *ctx, mzmtp_socket_t *sock, mzmtp_socket_event_t ev, int peer,
                     mzmtp_status_t status)
{
    (void)ctx;
    (void)sock;
    (void)peer;
    (void)status;
    if (ev == MZMTP_EV_DISCONNECTED) disconnects++;
}

/* Both loops, io_b waiting up to @p wait_ms, until @p done or @p limit_ms passed. */
static bool run_until(bool (*done)(void), int wait_ms, unsigned limit_ms)
{
    uint64_t end = now_ms() + limit_ms;
    while (!done()) {
        if (now_ms() > end) return false;
        assert_int_equal(mzmtp_posix_run(&io_a, 0), MZMTP_OK);
        assert_int_equal(mzmtp_posix_run(&io_b, wait_ms), MZMTP_OK);
    }
    return true;
}

static bool connected(void)
{
    return mzmtp_socket_peer_count(&push) == 1 && mzmtp_socket_peer_count(&pull) == 1;
}

static int setup(void **state)
{
    (void)state;
    disconnects = 0;
    mzmtp_posix_init(&io_a);
    mzmtp_posix_init(&io_b);
    if (mzmtp_socket_init(&push, MZMTP_PUSH, &push_mem) != MZMTP_OK) return -1;
    if (mzmtp_socket_init(&pull, MZMTP_PULL, &pull_mem) != MZMTP_OK) return -1;
    mzmtp_socket_set_monitor(&pull, on_event, NULL);
    if (mzmtp_posix_bind(&io_a, &push, "tcp://127.0.0.1:0", endpoint, sizeof endpoint) != MZMTP_OK) {
        return -1;
    }
    if (mzmtp_posix_connect(&io_b, &pull, endpoint) != MZMTP_OK) return -1;
    return run_until(connected, 10, 5000) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    (void)mzmtp_posix_close(&io_b, &pull, 0);
    (void)mzmtp_posix_close(&io_a, &push, 0);
    return 0;
}

static void a_wait_with_nothing_to_read_ends_at_its_timeout(void **state)
{
    (void)state;
    struct pollfd fds[MZMTP_POSIX_MAX_FDS];
    int t = 1000;
    /* One descriptor, input only: the case run() waits for in recv(). */
    assert_int_equal(mzmtp_posix_fds(&io_b, fds, MZMTP_POSIX_MAX_FDS, &t), 1);
    assert_int_equal(fds[0].events, POLLIN);
    for (int wait = 20; wait <= 80; wait += 60) {
        uint64_t t0 = now_ms();
        assert_int_equal(mzmtp_posix_run(&io_b, wait), MZMTP_OK);
        uint64_t spent = now_ms() - t0;
        assert_true(spent + 2 >= (uint64_t)wait); /* a jiffy of rounding at most */
        assert_true(spent < (uint64_t)wait + 500);
    }
}

static unsigned got;

static void messages_of_every_size_arrive_whole_and_in_order(void **state)
{
    (void)state;
    static uint8_t msg[RXBUF * 3], in[RXBUF * 3];
    unsigned sent = 0;
    got = 0;
    uint64_t end = now_ms() + 20000;
    while (got < 2000) {
        assert_true(now_ms() < end);
        /* sizes 1 .. 3 receive buffers: small ones, and ones that stream in pieces */
        while (sent < 2000) {
            size_t len = 1 + (sent * 7919u) % sizeof msg;
            for (size_t i = 0; i < len; i++) msg[i] = (uint8_t)(sent + i);
            mzmtp_status_t st = mzmtp_socket_send(&push, msg, len, false);
            if (st == MZMTP_AGAIN) break;
            assert_int_equal(st, MZMTP_OK);
            sent++;
        }
        assert_int_equal(mzmtp_posix_run(&io_a, 0), MZMTP_OK);
        assert_int_equal(mzmtp_posix_run(&io_b, 50), MZMTP_OK);
        for (;;) {
            size_t len = 1 + (got * 7919u) % sizeof msg, n = 0, k;
            unsigned fl;
            mzmtp_status_t st;
            /* a message may arrive in pieces across several runs: take what is there */
            static size_t have;
            while ((st = mzmtp_socket_recv(&pull, in + have, sizeof in - have, &k, &fl)) == MZMTP_OK) {
                have += k;
                if (!(fl & (MZMTP_RECV_MORE | MZMTP_RECV_PARTIAL))) break;
            }
            if (st != MZMTP_OK) break;
            n = have;
            have = 0;
            assert_int_equal(n, len);
            for (size_t i = 0; i < len; i++) {
                if (in[i] != (uint8_t)(got + i)) fail_msg("message %u byte %zu", got, i);
            }
            got++;
        }
    }
}

static bool peer_gone(void) { return disconnects > 0; }

static void a_peer_leaving_ends_the_wait_and_is_reported(void **state)
{
    (void)state;
    assert_int_equal(mzmtp_posix_close(&io_a, &push, 0), MZMTP_OK);
    uint64_t t0 = now_ms();
    /* A long wait: the peer's FIN must end it, not the timeout. */
    while (!peer_gone() && now_ms() - t0 < 3000) {
        assert_int_equal(mzmtp_posix_run(&io_b, 2000), MZMTP_OK);
    }
    assert_true(peer_gone());
    assert_true(now_ms() - t0 < 1500);
    assert_int_equal(mzmtp_socket_peer_count(&pull), 0);
    /* Re-create what teardown closes. */
    assert_int_equal(mzmtp_socket_init(&push, MZMTP_PUSH, &push_mem), MZMTP_OK);
}

#if MZMTP_CONF_HEARTBEAT
static void heartbeat_timers_end_the_wait(void **state)
{
    (void)state;
    /* The PULL pings every 60 ms: a run() asked to wait 2 s returns for the timer. */
    uint32_t ivl = 60;
    assert_int_equal(mzmtp_socket_setopt(&pull, MZMTP_OPT_HEARTBEAT_IVL, &ivl, sizeof ivl), MZMTP_OK);
    for (int i = 0; i < 5; i++) {
        uint64_t t0 = now_ms();
        assert_int_equal(mzmtp_posix_run(&io_b, 2000), MZMTP_OK);
        assert_true(now_ms() - t0 < 1000);
        assert_int_equal(mzmtp_posix_run(&io_a, 0), MZMTP_OK); /* answers the PINGs */
    }
    assert_int_equal(mzmtp_socket_peer_count(&pull), 1); /* PONGs kept it up */
}
#endif

static void flush_writes_without_reading_and_honours_its_timeout(void **state)
{
    (void)state;
    static uint8_t msg[8192];
    assert_int_equal(mzmtp_posix_flush(&io_a, 1000), MZMTP_OK); /* nothing queued */
    assert_int_equal(mzmtp_socket_send(&push, "x", 1, false), MZMTP_OK);
    assert_true(mzmtp_socket_flushed(&push) == false);
    assert_int_equal(mzmtp_posix_flush(&io_a, 1000), MZMTP_OK);
    assert_true(mzmtp_socket_flushed(&push));
    /* Nobody reads on the other side: queue more than the kernel holds (the receive
     * window grows for a while), until a flush gives up at its 100 ms timeout instead of
     * waiting for ever. */
    unsigned queued = 0;
    uint64_t start = now_ms();
    for (;;) {
        if (now_ms() - start > 20000) fail_msg("flush never timed out (%u messages)", queued);
        while (mzmtp_socket_send(&push, msg, sizeof msg, false) == MZMTP_OK) queued++;
        uint64_t t0 = now_ms();
        mzmtp_status_t st = mzmtp_posix_flush(&io_a, 100);
        if (st == MZMTP_OK) continue;
        assert_int_equal(st, MZMTP_ERR_TIMEOUT);
        uint64_t spent = now_ms() - t0;
        assert_true(spent + 2 >= 100 && spent < 1000);
        break;
    }
    assert_false(mzmtp_socket_flushed(&push));
}

static void accept_interval_bounds_how_long_a_new_peer_waits(void **state)
{
    (void)state;
    /* io_a: a listener and one peer. With an accept interval, for up to 60 ms after it
     * last polled the listener it waits in recv() for that peer alone: such a wait ends
     * by the interval's end, and a new peer is accepted within about that time. */
    mzmtp_posix_set_accept_interval(&io_a, 60);
    assert_int_equal(mzmtp_posix_run(&io_a, 0), MZMTP_OK); /* polls the listener */
    uint64_t t0 = now_ms();
    assert_int_equal(mzmtp_posix_run(&io_a, 2000), MZMTP_OK);
    assert_true(now_ms() - t0 < 1000);

    static mzmtp_posix_t io_c;
    static mzmtp_socket_t pull2;
    MZMTP_SOCKET_MEM_DEFINE(pull2_mem, 1024, RXBUF);
    mzmtp_posix_init(&io_c);
    assert_int_equal(mzmtp_socket_init(&pull2, MZMTP_PULL, &pull2_mem), MZMTP_OK);
    assert_int_equal(mzmtp_posix_connect(&io_c, &pull2, endpoint), MZMTP_OK);
    t0 = now_ms();
    while (mzmtp_socket_peer_count(&push) < 2) {
        assert_true(now_ms() - t0 < 1000);
        assert_int_equal(mzmtp_posix_run(&io_c, 0), MZMTP_OK);
        assert_int_equal(mzmtp_posix_run(&io_a, 2000), MZMTP_OK);
    }
    /* Both pullers get messages, round robin, while the interval is on. */
    for (int i = 0; i < 4; i++) assert_int_equal(mzmtp_socket_send(&push, "m", 1, false), MZMTP_OK);
    unsigned got_b = 0, got_c = 0;
    t0 = now_ms();
    while (got_b + got_c < 4 && now_ms() - t0 < 2000) {
        assert_int_equal(mzmtp_posix_run(&io_a, 0), MZMTP_OK);
        assert_int_equal(mzmtp_posix_run(&io_b, 10), MZMTP_OK);
        assert_int_equal(mzmtp_posix_run(&io_c, 10), MZMTP_OK);
        uint8_t b[4];
        size_t n;
        unsigned fl;
        while (mzmtp_socket_recv(&pull, b, sizeof b, &n, &fl) == MZMTP_OK) got_b++;
        while (mzmtp_socket_recv(&pull2, b, sizeof b, &n, &fl) == MZMTP_OK) got_c++;
    }
    assert_int_equal(got_b, 2);
    assert_int_equal(got_c, 2);
    (void)mzmtp_posix_close(&io_c, &pull2, 0);
    mzmtp_posix_set_accept_interval(&io_a, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_wait_with_nothing_to_read_ends_at_its_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(messages_of_every_size_arrive_whole_and_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(a_peer_leaving_ends_the_wait_and_is_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(flush_writes_without_reading_and_honours_its_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(accept_interval_bounds_how_long_a_new_peer_waits, setup, teardown),
#if MZMTP_CONF_HEARTBEAT
        cmocka_unit_test_setup_teardown(heartbeat_timers_end_the_wait, setup, teardown),
#endif
    };
    return cmocka_run_group_tests_name("posix", tests, NULL, NULL);
}
