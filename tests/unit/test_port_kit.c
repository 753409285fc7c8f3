/*
 * The port kit (ports/kit/mzmtp_kit.c), which the POSIX, Contiki-NG and lwIP ports share:
 * the input stage, the endpoint text, the reconnect schedule and its no-retry statuses
 * (wire-notes R1, R2), the endpoint and socket records (connect, up, lost, stopped,
 * linger, readiness), the peer lifecycle in the core (feed, output copy, dead peers) and
 * the wrap-safe time helpers, all with bytes and times in memory. The ports themselves
 * run in tests/posix, tests/interop, tests/contiki-ng and tests/lwip.
 */
#include <stdio.h>

#include "testutil.h"
#include "mzmtp_kit.h"

/* ------------------------------------------------------------------------------------ */
/* Input stage                                                                            */
/* ------------------------------------------------------------------------------------ */

static const uint8_t *seq(uint8_t first, size_t n)
{
    static uint8_t b[256];
    assert_true(n <= sizeof(b));
    for (size_t i = 0; i < n; i++) b[i] = (uint8_t)(first + i);
    return b;
}

/* The stage under test (stage_new() starts it empty) over the first stg_cap bytes of
 * stg_buf. */
static mzmtp_kit_stage_t stg;
static uint8_t stg_buf[16];
static size_t stg_cap;

static void stage_new(size_t cap)
{
    assert_true(cap <= sizeof(stg_buf));
    stg = (mzmtp_kit_stage_t){0};
    stg_cap = cap;
}

/* Put the @p n bytes first, first + 1, ...; @p kept of them must be taken. */
static void put(uint8_t first, size_t n, size_t kept)
{
    assert_int_equal(mzmtp_kit_stage_put(&stg, stg_buf, stg_cap, seq(first, n), n), kept);
}

/* The stage holds exactly the @p n bytes first, first + 1, ... */
static void expect_staged(uint8_t first, size_t n)
{
    assert_int_equal(mzmtp_kit_stage_len(&stg), n);
    TU_ASSERT_BYTES(mzmtp_kit_stage_data(&stg, stg_buf), n, seq(first, n), n);
}

/* Nothing staged, and the next bytes go to the front of the buffer. */
static void expect_empty_at_the_front(void)
{
    assert_int_equal(mzmtp_kit_stage_len(&stg), 0);
    assert_ptr_equal(mzmtp_kit_stage_data(&stg, stg_buf), stg_buf);
}

/* One step of a stage script: put @p n bytes first, first + 1, ... of which @p kept must
 * be taken (STEP_PUT); the stage holds exactly the @p n bytes first, ... (STEP_STAGED),
 * starting @p kept bytes into stg_buf (STEP_STAGED_AT); consume @p n (STEP_CONSUME); it is
 * empty at the front (STEP_EMPTY). */
typedef enum { STEP_PUT, STEP_STAGED, STEP_STAGED_AT, STEP_CONSUME, STEP_EMPTY } step_op_t;
typedef struct stage_step {
    step_op_t op;
    uint8_t first;
    size_t n, kept;
} stage_step_t;

/* A new stage of @p cap bytes, then the @p n steps in order. */
static void run_steps(size_t cap, const stage_step_t *steps, size_t n)
{
    stage_new(cap);
    for (size_t i = 0; i < n; i++) {
        const stage_step_t *st = &steps[i];
        switch (st->op) {
        case STEP_PUT: put(st->first, st->n, st->kept); break;
        case STEP_STAGED: expect_staged(st->first, st->n); break;
        case STEP_STAGED_AT:
            assert_ptr_equal(mzmtp_kit_stage_data(&stg, stg_buf), stg_buf + st->kept);
            expect_staged(st->first, st->n);
            break;
        case STEP_CONSUME: mzmtp_kit_stage_consume(&stg, st->n); break;
        case STEP_EMPTY: expect_empty_at_the_front(); break;
        }
    }
}
#define PUT(first, n, kept) {STEP_PUT, (first), (n), (kept)}
#define STAGED(first, n) {STEP_STAGED, (first), (n), 0}
#define STAGED_AT(first, n, off) {STEP_STAGED_AT, (first), (n), (off)}
#define CONSUME(n) {STEP_CONSUME, 0, (n), 0}
#define EMPTY {STEP_EMPTY, 0, 0, 0}
#define RUN_STEPS(cap, ...)                                                                 \
    do {                                                                                    \
        static const stage_step_t steps_[] = {__VA_ARGS__};                                 \
        run_steps((cap), steps_, sizeof steps_ / sizeof steps_[0]);                         \
    } while (0)

static void stage_starts_empty_at_the_front(void **state) { RUN_STEPS(16, EMPTY); }

static void stage_keeps_what_fits_in_order(void **state)
{
    /* A second segment goes behind the first. */
    RUN_STEPS(16, PUT(1, 10, 10), STAGED(1, 10), PUT(11, 4, 4), STAGED(1, 14));
}

static void stage_fills_to_exactly_its_capacity(void **state)
{
    /* Full: nothing more is kept, nothing staged changes. */
    RUN_STEPS(16, PUT(0, 16, 16), STAGED(0, 16), PUT(100, 1, 0), STAGED(0, 16));
}

static void stage_overflow_keeps_the_head_and_refuses_the_tail(void **state)
{
    /* 10 more than the first 10: the first 6 are kept (the peer resends the other 4).
     * Once drained, the refused 4 fit again and follow in order. */
    RUN_STEPS(16, PUT(1, 10, 10), PUT(11, 10, 6), STAGED(1, 16), CONSUME(16), PUT(17, 4, 4),
              STAGED(17, 4));
}

static void stage_overflow_of_an_empty_stage_keeps_one_capacity(void **state)
{
    RUN_STEPS(8, PUT(0, 20, 8), STAGED(0, 8));
}

static void stage_drains_oldest_first(void **state)
{
    /* Emptied at the end: the next bytes start at the front again. */
    RUN_STEPS(16, PUT(1, 12, 12), CONSUME(5), STAGED_AT(6, 7, 5), CONSUME(0), STAGED(6, 7),
              CONSUME(6), STAGED(12, 1), CONSUME(1), EMPTY);
}

/* The engine failed while staged bytes were being fed: the port clears the stage inside
 * the feed and then consumes what the feed reported. That must leave the stage empty,
 * not wrap its length. */
static void stage_consume_past_the_end_empties_it(void **state)
{
    stage_new(16);
    put(1, 9, 9);
    mzmtp_kit_stage_consume(&stg, 2);
    mzmtp_kit_stage_consume(&stg, 100);
    expect_empty_at_the_front();

    put(1, 9, 9);
    mzmtp_kit_stage_clear(&stg);
    mzmtp_kit_stage_consume(&stg, 9);
    assert_int_equal(mzmtp_kit_stage_len(&stg), 0);
    put(50, 16, 16);
    expect_staged(50, 16);
}

/* Bytes left behind a partial drain move to the front when more arrive, so the whole
 * capacity is usable again and order is kept across the move. */
static void stage_put_after_partial_drain_wraps_to_the_front(void **state)
{
    stage_new(16);
    put(1, 16, 16);
    mzmtp_kit_stage_consume(&stg, 13); /* 14, 15, 16 left at offset 13 */
    put(17, 20, 13);
    assert_ptr_equal(mzmtp_kit_stage_data(&stg, stg_buf), stg_buf);
    expect_staged(14, 16);
    /* A put of nothing changes nothing but the position. */
    mzmtp_kit_stage_consume(&stg, 4);
    assert_int_equal(mzmtp_kit_stage_put(&stg, stg_buf, stg_cap, NULL, 0), 0);
    assert_ptr_equal(mzmtp_kit_stage_data(&stg, stg_buf), stg_buf);
    expect_staged(18, 12);
}

static void stage_clear_forgets_everything(void **state)
{
    RUN_STEPS(16, PUT(1, 12, 12), CONSUME(3));
    mzmtp_kit_stage_clear(&stg);
    expect_empty_at_the_front();
}

/* The largest stage the port allows (MZMTP_CONTIKI_CONF_RX_STAGE <= 65535): the 16-bit
 * length and offset reach their top without wrapping. */
static void stage_of_65535_bytes_holds_all_of_them(void **state)
{
    static uint8_t buf[65535], in[65535];
    mzmtp_kit_stage_t st = {0};
    for (size_t i = 0; i < sizeof(in); i++) in[i] = (uint8_t)(i * 7u + i / 256u);
    assert_int_equal(mzmtp_kit_stage_put(&st, buf, sizeof(buf), in, sizeof(in)), 65535);
    assert_int_equal(mzmtp_kit_stage_len(&st), 65535);
    assert_int_equal(mzmtp_kit_stage_put(&st, buf, sizeof(buf), in, 1), 0);
    mzmtp_kit_stage_consume(&st, 65534);
    assert_int_equal(mzmtp_kit_stage_len(&st), 1);
    assert_int_equal(mzmtp_kit_stage_data(&st, buf)[0], in[65534]);
    assert_int_equal(mzmtp_kit_stage_put(&st, buf, sizeof(buf), in, sizeof(in)), 65534);
    assert_int_equal(mzmtp_kit_stage_len(&st), 65535);
    assert_int_equal(mzmtp_kit_stage_data(&st, buf)[0], in[65534]);
    TU_ASSERT_BYTES(mzmtp_kit_stage_data(&st, buf) + 1, 65534, in, 65534);
}

/* Random segments in, random drains out, against a plain FIFO: every byte comes out once,
 * in order, and nothing beyond the capacity is ever kept. */
static void stage_matches_a_fifo_under_random_fill_and_drain(void **state)
{
    enum { CAP = 97, TOTAL = 200000 };
    uint8_t buf[CAP], seg[3 * CAP];
    static uint8_t sent[TOTAL + 3 * CAP];
    size_t produced = 0, consumed = 0;
    mzmtp_kit_stage_t st = {0};
    tu_rng_t r;
    tu_rng_seed(&r, 0xC0471C1u);
    while (consumed < TOTAL) {
        if (produced < TOTAL && tu_rng_below(&r, 2) == 0) {
            size_t n = tu_rng_range(&r, 0, 3 * CAP);
            for (size_t i = 0; i < n; i++) seg[i] = (uint8_t)tu_rng_next(&r);
            size_t had = mzmtp_kit_stage_len(&st);
            size_t kept = mzmtp_kit_stage_put(&st, buf, CAP, seg, n);
            assert_int_equal(kept, n < CAP - had ? n : CAP - had);
            /* A refused tail is resent: the FIFO holds only what was kept. */
            memcpy(sent + produced, seg, kept);
            produced += kept;
        } else {
            size_t len = mzmtp_kit_stage_len(&st);
            size_t k = tu_rng_range(&r, 0, (uint32_t)len);
            assert_int_equal(len, produced - consumed);
            TU_ASSERT_BYTES(mzmtp_kit_stage_data(&st, buf), k, sent + consumed, k);
            mzmtp_kit_stage_consume(&st, k);
            consumed += k;
            if (produced >= TOTAL) {
                len = mzmtp_kit_stage_len(&st);
                TU_ASSERT_BYTES(mzmtp_kit_stage_data(&st, buf), len, sent + consumed, len);
                mzmtp_kit_stage_consume(&st, len);
                consumed += len;
            }
        }
        assert_true(mzmtp_kit_stage_len(&st) <= CAP);
        assert_true(mzmtp_kit_stage_data(&st, buf) + mzmtp_kit_stage_len(&st) <= buf + CAP);
    }
    assert_int_equal(consumed, produced);
    assert_int_equal(mzmtp_kit_stage_len(&st), 0);
}

/* ------------------------------------------------------------------------------------ */
/* Endpoint text                                                                          */
/* ------------------------------------------------------------------------------------ */

static void expect_ok(const char *ep, bool bind, const char *exp_host, uint16_t exp_port)
{
    char host[48];
    uint16_t port = 0xBEEF;
    mzmtp_status_t st = mzmtp_kit_parse_tcp(ep, bind, host, sizeof(host), &port);
    if (st != MZMTP_OK) print_error("endpoint %s (%s)\n", ep, bind ? "bind" : "connect");
    TU_ASSERT_STATUS(st, MZMTP_OK);
    assert_string_equal(host, exp_host);
    assert_int_equal(port, exp_port);
}

static void expect_invalid(const char *ep, bool bind)
{
    char host[48] = "untouched";
    uint16_t port = 0xBEEF;
    mzmtp_status_t st = mzmtp_kit_parse_tcp(ep, bind, host, sizeof(host), &port);
    if (st != MZMTP_ERR_INVALID) {
        print_error("endpoint \"%s\" (%s) accepted\n", ep ? ep : "(null)",
                    bind ? "bind" : "connect");
    }
    TU_ASSERT_STATUS(st, MZMTP_ERR_INVALID);
    assert_int_equal(port, 0xBEEF);
    assert_string_equal(host, "untouched");
}

static void endpoint_gives_the_host_text_and_the_port(void **state)
{
    expect_ok("tcp://[fd00::1]:5556", false, "fd00::1", 5556);
    expect_ok("tcp://[fe80::212:4b00:615:a2b3]:65535", false, "fe80::212:4b00:615:a2b3", 65535);
    expect_ok("tcp://127.0.0.1:1", false, "127.0.0.1", 1);
    expect_ok("tcp://localhost:5555", false, "localhost", 5555);
    expect_ok("tcp://::1:9999", false, "::1", 9999); /* the last ':' ends the host */
    expect_ok("tcp://[::ffff:192.0.2.1]:80", false, "::ffff:192.0.2.1", 80);
}

static void endpoint_bind_takes_every_wildcard_form(void **state)
{
    expect_ok("tcp://*:9999", true, "*", 9999);
    expect_ok("tcp://*:*", true, "*", 0);
    expect_ok("tcp://*:0", true, "*", 0);
    expect_ok("tcp://[::]:*", true, "::", 0);
    expect_ok("tcp://0.0.0.0:0", true, "0.0.0.0", 0);
    expect_ok("tcp://[fd00::1]:7", true, "fd00::1", 7);
    assert_true(mzmtp_kit_host_is_any("*"));
    assert_false(mzmtp_kit_host_is_any("**"));
    assert_false(mzmtp_kit_host_is_any("::"));
}

static void endpoint_port_digits(void **state)
{
    expect_ok("tcp://[fd00::1]:00080", false, "fd00::1", 80); /* 5 digits, leading zeros */
    expect_ok("tcp://h:65535", false, "h", 65535);
    expect_ok("tcp://*:00000", true, "*", 0);
    expect_invalid("tcp://[fd00::1]:000080", false); /* 6 digits */
    expect_invalid("tcp://h:65536", false);
    expect_invalid("tcp://h:99999", false);
    expect_invalid("tcp://h:123456", false);
    expect_invalid("tcp://h:4294967297", false);
    expect_invalid("tcp://*:65536", true);
}

static void endpoint_connect_refuses_bind_only_forms(void **state)
{
    expect_invalid("tcp://*:5556", false);
    expect_invalid("tcp://[fd00::1]:*", false);
    expect_invalid("tcp://[fd00::1]:0", false);
    expect_invalid("tcp://h:00000", false);
    /* The unspecified address is the stack's to recognise, after its own parser. */
    static const uint8_t zero[16] = {0}, one[4] = {0, 0, 0, 1};
    assert_true(mzmtp_kit_zero(zero, sizeof(zero)));
    assert_false(mzmtp_kit_zero(one, sizeof(one)));
    assert_true(mzmtp_kit_zero(one, 0));
}

static void endpoint_refuses_malformed_text(void **state)
{
    static const char *const bad[] = {
        "",
        "tcp://",
        "tcp:/[fd00::1]:5",
        "tcp:[fd00::1]:5",
        "TCP://[fd00::1]:5",
        "udp://[fd00::1]:5",
        "ipc:///tmp/x",
        "inproc://x",
        " tcp://[fd00::1]:5",
        "tcp://[fd00::1:5",         /* no closing bracket */
        "tcp://[fd00::1]",          /* no port */
        "tcp://[fd00::1]:",         /* empty port */
        "tcp://[fd00::1]5",         /* no colon after the bracket */
        "tcp://[fd00::1]]:5",
        "tcp://[[fd00::1]:5",
        "tcp://fd00]:5",
        "tcp://[]:5",               /* empty address */
        "tcp://:5",                 /* empty host */
        "tcp://[:5",
        "tcp://[fd00::1]:5x",
        "tcp://[fd00::1]:5 ",
        "tcp://[fd00::1]: 5",
        "tcp://[fd00::1]:+5",
        "tcp://[fd00::1]:-1",
        "tcp://[fd00::1]:0x10",
        "tcp://[fd00::1]:5/",
        "tcp://*",
        "tcp://*:**",
        "tcp://*:5*",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        expect_invalid(bad[i], true);
        expect_invalid(bad[i], false);
    }
    expect_invalid(NULL, true);
    char host[8];
    uint16_t port;
    TU_ASSERT_STATUS(mzmtp_kit_parse_tcp("tcp://h:1", false, NULL, 8, &port), MZMTP_ERR_INVALID);
    TU_ASSERT_STATUS(mzmtp_kit_parse_tcp("tcp://h:1", false, host, sizeof(host), NULL),
                     MZMTP_ERR_INVALID);
}

static void endpoint_host_must_fit_its_buffer(void **state)
{
    char ep[128], text[64], host[48];
    uint16_t port = 0;
    memset(text, 'a', 47);
    text[47] = '\0';
    snprintf(ep, sizeof(ep), "tcp://[%s]:5", text);
    TU_ASSERT_STATUS(mzmtp_kit_parse_tcp(ep, false, host, sizeof(host), &port), MZMTP_OK);
    assert_string_equal(host, text);
    assert_int_equal(port, 5);
    text[47] = 'a';
    text[48] = '\0';
    snprintf(ep, sizeof(ep), "tcp://%s:5", text);
    TU_ASSERT_STATUS(mzmtp_kit_parse_tcp(ep, false, host, sizeof(host), &port),
                     MZMTP_ERR_INVALID);
    TU_ASSERT_STATUS(mzmtp_kit_parse_tcp("tcp://h:5", false, host, 1, &port), MZMTP_ERR_INVALID);
    TU_ASSERT_STATUS(mzmtp_kit_parse_tcp("tcp://h:5", false, host, 2, &port), MZMTP_OK);
}

/* ------------------------------------------------------------------------------------ */
/* Reconnects                                                                             */
/* ------------------------------------------------------------------------------------ */

/* The jitter is random 0..RECONNECT_IVL: with the generator's state known, the test
 * computes the same draw (xorshift32). */
static uint32_t next_draw(const mzmtp_kit_reconnect_t *r)
{
    uint32_t x = r->rand;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return x;
}

static void backoff_starts_at_the_interval(void **state)
{
    mzmtp_kit_reconnect_t r;
    mzmtp_kit_reconnect_init(&r, 100, 0, 1);
    assert_int_equal(mzmtp_kit_backoff_reset(&r), 100);
    mzmtp_kit_reconnect_set(&r, 0, 0);
    assert_int_equal(mzmtp_kit_backoff_reset(&r), 0);
    mzmtp_kit_reconnect_set(&r, -5, 0);
    assert_int_equal(r.ivl_ms, -1);
    assert_int_equal(mzmtp_kit_backoff_reset(&r), 0);
    mzmtp_kit_reconnect_set(&r, INT32_MAX, 0);
    assert_int_equal(mzmtp_kit_backoff_reset(&r), (uint32_t)INT32_MAX);
    /* Any seed gives a working generator (xorshift's fixed point 0 is avoided). */
    mzmtp_kit_reconnect_init(&r, 100, 0, 0x9E3779B9u);
    assert_int_not_equal(r.rand, 0);
}

static void lost_connection_waits_the_interval_plus_jitter(void **state)
{
    mzmtp_kit_reconnect_t r;
    uint32_t backoff = 800, at = 0;
    mzmtp_kit_reconnect_init(&r, 100, 1000, 7);
    for (int i = 0; i < 1000; i++) {
        uint32_t d = next_draw(&r);
        backoff = 800;
        assert_true(mzmtp_kit_reconnect_next(&r, 5000, false, &backoff, &at));
        /* A loss (not a failed connect) starts from the interval again. */
        assert_int_equal(backoff, 100);
        assert_int_equal(at, 5000u + 100u + d % 101u);
        assert_true(at >= 5100 && at <= 5200);
    }
}

static void failed_connects_double_the_wait_up_to_the_cap(void **state)
{
    static const uint32_t waits[] = {100, 200, 400, 800, 1000, 1000, 1000};
    mzmtp_kit_reconnect_t r;
    mzmtp_kit_reconnect_init(&r, 100, 1000, 3);
    uint32_t backoff = mzmtp_kit_backoff_reset(&r), at = 0;
    for (size_t i = 0; i < sizeof(waits) / sizeof(waits[0]); i++) {
        uint32_t d = next_draw(&r);
        assert_true(mzmtp_kit_reconnect_next(&r, 0, true, &backoff, &at));
        /* The jitter stays 0..RECONNECT_IVL whatever the back-off (libzmq). */
        assert_int_equal(at, waits[i] + d % 101u);
        assert_int_equal(backoff, i + 1 < sizeof(waits) / sizeof(waits[0]) ? waits[i + 1]
                                                                          : 1000);
    }
    /* A lost connection (after one that came up) waits the plain interval again. */
    uint32_t d = next_draw(&r);
    assert_true(mzmtp_kit_reconnect_next(&r, 0, false, &backoff, &at));
    assert_int_equal(at, 100 + d % 101u);
    assert_int_equal(backoff, 100);
}

/* One call of mzmtp_kit_reconnect_next() on a schedule, and what it must give. */
typedef struct {
    uint32_t now;
    bool failed;           /* a connect that failed (true) or a connection lost */
    uint32_t backoff;      /* the back-off after the call */
    uint32_t at_lo, at_hi; /* the range of the retry time (the jitter: 0..interval) */
} reconnect_step_t;

static void run_reconnect(int32_t ivl, int32_t cap, uint32_t seed, const reconnect_step_t *s,
                          size_t n)
{
    mzmtp_kit_reconnect_t r;
    mzmtp_kit_reconnect_init(&r, ivl, cap, seed);
    uint32_t backoff = mzmtp_kit_backoff_reset(&r), at = 1;
    for (size_t i = 0; i < n; i++) {
        assert_true(mzmtp_kit_reconnect_next(&r, s[i].now, s[i].failed, &backoff, &at));
        assert_int_equal(backoff, s[i].backoff);
        assert_in_range(at, s[i].at_lo, s[i].at_hi);
    }
}
#define RUN_RECONNECT(ivl, cap, seed, ...)                                                  \
    do {                                                                                   \
        static const reconnect_step_t steps_[] = {__VA_ARGS__};                            \
        run_reconnect(ivl, cap, seed, steps_, sizeof steps_ / sizeof steps_[0]);           \
    } while (0)

static void cap_not_a_power_of_two_times_the_interval(void **state)
{
    RUN_RECONNECT(300, 1000, 11, {0, true, 600, 300, 600}, {0, true, 1000, 600, 900},
                  {0, true, 1000, 1000, 1300});
}

static void no_doubling_when_the_cap_is_not_above_the_interval(void **state)
{
    static const int32_t caps[] = {0, 50, 100};
    static const reconnect_step_t steps[] = {
        {0, true, 100, 100, 200}, {0, true, 100, 100, 200},
        {0, true, 100, 100, 200}, {0, true, 100, 100, 200},
    };
    for (size_t i = 0; i < 3; i++) run_reconnect(100, caps[i], 5, steps, 4);
}

static void doubling_stops_at_the_largest_cap_without_overflow(void **state)
{
    /* 2^30, then the cap 2^31-1, plus up to 2^30 of jitter: no wrap of 32 bits. */
    RUN_RECONNECT(1 << 30, INT32_MAX, 9, {0, true, INT32_MAX, 1u << 30, 1u << 31},
                  {0, true, INT32_MAX, INT32_MAX, INT32_MAX + (1u << 30)});
}

static void negative_interval_means_no_reconnect(void **state)
{
    mzmtp_kit_reconnect_t r;
    mzmtp_kit_reconnect_init(&r, -1, 1000, 1);
    uint32_t backoff = 123, at = 456, before = r.rand;
    assert_false(mzmtp_kit_reconnect_next(&r, 10, true, &backoff, &at));
    assert_false(mzmtp_kit_reconnect_next(&r, 10, false, &backoff, &at));
    assert_int_equal(backoff, 123);
    assert_int_equal(at, 456);
    assert_int_equal(r.rand, before);
}

static void zero_interval_retries_at_once(void **state)
{
    RUN_RECONNECT(0, 0, 1, {42, true, 0, 42, 42}, {43, false, 0, 43, 43});
}

static void retry_time_wraps_and_stays_ordered(void **state)
{
    mzmtp_kit_reconnect_t r;
    mzmtp_kit_reconnect_init(&r, 100, 0, 1);
    uint32_t backoff = 100, at = 0, now = UINT32_MAX - 49u;
    uint32_t d = next_draw(&r) % 101u;
    assert_true(mzmtp_kit_reconnect_next(&r, now, false, &backoff, &at));
    assert_int_equal(at, 50u + d);
    assert_false(mzmtp_kit_is_due(now, at));
    assert_int_equal(mzmtp_kit_until(now, at), 100u + d);
    assert_true(mzmtp_kit_is_due(now + 100u + d, at));
}

/* ------------------------------------------------------------------------------------ */
/* Endpoint and socket records, peers (a real socket of the profile's type)               */
/* ------------------------------------------------------------------------------------ */

MZMTP_SOCKET_MEM_DEFINE(kit_mem, 512, MZMTP_RECV_MIN + 64u);
static mzmtp_socket_t kit_sock;

/* PUB where the profile has it, else SUB (minsub): the kit does not care. */
static mzmtp_socket_t *kit_socket(tu_mon_log_t *m)
{
    int type = ((unsigned)MZMTP_CONF_SOCKET_TYPES & MZMTP_TYPESET_PUB) ? MZMTP_PUB : MZMTP_SUB;
    memset(m, 0, sizeof(*m));
    tu_socket_init(&kit_sock, type, &kit_mem);
    mzmtp_socket_set_monitor(&kit_sock, tu_monitor, m);
    return &kit_sock;
}

/* The record tests' set-up: a socket of the profile, its monitor log, a reconnect
 * schedule of @p ivl ms capped at @p cap (seed 1), an endpoint record, no wait yet. */
typedef struct {
    tu_mon_log_t m;
    mzmtp_socket_t *s;
    mzmtp_kit_reconnect_t r;
    mzmtp_kit_ep_t e;
    uint32_t wait;
} kit_t;

static void kit_start(kit_t *k, int32_t ivl, int32_t cap)
{
    k->s = kit_socket(&k->m);
    mzmtp_kit_reconnect_init(&k->r, ivl, cap, 1);
    k->wait = UINT32_MAX;
}

static void connect_record_holds_a_slot_and_is_due_at_once(void **state)
{
    kit_t k;
    kit_start(&k, 100, 0);
    TU_ASSERT_STATUS(mzmtp_kit_ep_connect(&k.e, k.s, 5555, &k.r, 1000), MZMTP_OK);
    assert_int_equal(k.e.kind, MZMTP_KIT_EP_CONNECT);
    assert_int_equal(k.e.state, MZMTP_KIT_WAIT);
    assert_int_equal(k.e.port, 5555);
    assert_int_equal(k.e.backoff_ms, 100);
    assert_true(k.e.peer >= 0);
    assert_true(mzmtp_kit_ep_due(&k.e, 1000));
    assert_false(mzmtp_kit_ep_due(&k.e, 999));
    mzmtp_kit_ep_wait(&k.e, 990, &k.wait);
    assert_int_equal(k.wait, 10);
    mzmtp_kit_ep_attempt(&k.e);
    assert_false(mzmtp_kit_ep_due(&k.e, 2000));
    k.wait = UINT32_MAX;
    mzmtp_kit_ep_wait(&k.e, 990, &k.wait); /* connecting: no timer of the kit's */
    assert_int_equal(k.wait, UINT32_MAX);
    /* The slot is taken for good: freeing the record gives it back. */
    int p = -1;
    for (int i = 0; i < MZMTP_CONF_MAX_PEERS - 1; i++) {
        TU_ASSERT_STATUS(mzmtp_socket_peer_open(k.s, false, &p), MZMTP_OK);
    }
    TU_ASSERT_STATUS(mzmtp_socket_peer_open(k.s, false, &p), MZMTP_ERR_LIMIT);
    mzmtp_kit_ep_t e2;
    TU_ASSERT_STATUS(mzmtp_kit_ep_connect(&e2, k.s, 1, &k.r, 0), MZMTP_ERR_LIMIT);
    mzmtp_kit_ep_free(&k.e);
    assert_int_equal(k.e.kind, MZMTP_KIT_EP_FREE);
    TU_ASSERT_STATUS(mzmtp_socket_peer_open(k.s, false, &p), MZMTP_OK);
}

static void connect_record_up_lost_and_failed(void **state)
{
    kit_t k;
    kit_start(&k, 100, 400);
    TU_ASSERT_STATUS(mzmtp_kit_ep_connect(&k.e, k.s, 5555, &k.r, 0), MZMTP_OK);
    /* Two failed connects: the back-off doubles. */
    mzmtp_kit_ep_attempt(&k.e);
    assert_true(mzmtp_kit_ep_down(&k.e, &k.r, 0, MZMTP_ERR_CLOSED, true));
    assert_int_equal(k.e.state, MZMTP_KIT_WAIT);
    assert_true(k.e.retry_at >= 100 && k.e.retry_at <= 200);
    assert_int_equal(k.e.backoff_ms, 200);
    mzmtp_kit_ep_attempt(&k.e);
    assert_true(mzmtp_kit_ep_down(&k.e, &k.r, 1000, MZMTP_ERR_CLOSED, true));
    assert_true(k.e.retry_at >= 1200 && k.e.retry_at <= 1300);
    assert_int_equal(k.e.backoff_ms, 400);
    /* Up: the back-off starts again, the monitor hears it. */
    mzmtp_kit_ep_attempt(&k.e);
    mzmtp_kit_ep_up(&k.e, &k.r);
    assert_int_equal(k.e.state, MZMTP_KIT_UP);
    assert_int_equal(k.e.backoff_ms, 100);
    /* Lost after a session (a timeout): RECONNECT_IVL plus jitter. */
    assert_true(mzmtp_kit_ep_down(&k.e, &k.r, 5000, MZMTP_ERR_TIMEOUT, false));
    assert_true(k.e.retry_at >= 5100 && k.e.retry_at <= 5200);
    assert_int_equal(k.m.n, 4);
    assert_int_equal(k.m.ev[0], MZMTP_EV_CONNECT_RETRY);
    assert_int_equal(k.m.ev[2], MZMTP_EV_CONNECTED);
    assert_int_equal(k.m.peer[2], k.e.peer);
    assert_int_equal(k.m.ev[3], MZMTP_EV_CONNECT_RETRY);
    assert_int_equal(k.m.st[3], MZMTP_ERR_TIMEOUT);
}

static void protocol_errors_stop_the_endpoint_and_free_its_slot(void **state)
{
    static const mzmtp_status_t no_retry[] = {
        MZMTP_ERR_PROTOCOL, MZMTP_ERR_VERSION, MZMTP_ERR_MECHANISM, MZMTP_ERR_SOCKET_TYPE,
        MZMTP_ERR_PEER_ERROR, MZMTP_ERR_MSG_SIZE, MZMTP_ERR_AUTH, MZMTP_ERR_CRYPTO,
    };
    mzmtp_kit_reconnect_t r;
    mzmtp_kit_reconnect_init(&r, 100, 0, 1);
    for (size_t i = 0; i < sizeof(no_retry) / sizeof(no_retry[0]); i++) {
        tu_mon_log_t m;
        mzmtp_socket_t *s = kit_socket(&m);
        mzmtp_kit_ep_t e;
        TU_ASSERT_STATUS(mzmtp_kit_ep_connect(&e, s, 1, &r, 0), MZMTP_OK);
        int slot = (int)e.peer;
        mzmtp_kit_ep_up(&e, &r);
        assert_false(mzmtp_kit_ep_down(&e, &r, 10, no_retry[i], false));
        assert_int_equal(e.state, MZMTP_KIT_STOPPED);
        assert_int_equal(e.peer, -1);
        assert_false(mzmtp_kit_ep_due(&e, 1000000));
        /* The slot went back: the next open takes it. */
        int p = -1;
        TU_ASSERT_STATUS(mzmtp_socket_peer_open(s, false, &p), MZMTP_OK);
        assert_int_equal(p, slot);
        /* A stopped endpoint stays stopped; freeing it releases nothing twice. */
        assert_false(mzmtp_kit_ep_down(&e, &r, 20, MZMTP_ERR_CLOSED, false));
        mzmtp_kit_ep_free(&e);
        assert_true(mzmtp_socket_peer_live(s, p) == false);
    }
    /* Reconnects off: every loss stops the endpoint. */
    tu_mon_log_t m;
    mzmtp_socket_t *s = kit_socket(&m);
    mzmtp_kit_ep_t e;
    mzmtp_kit_reconnect_set(&r, -1, 0);
    TU_ASSERT_STATUS(mzmtp_kit_ep_connect(&e, s, 1, &r, 0), MZMTP_OK);
    assert_false(mzmtp_kit_ep_down(&e, &r, 0, MZMTP_ERR_CLOSED, true));
    assert_int_equal(e.state, MZMTP_KIT_STOPPED);
    assert_int_equal(m.n, 0); /* no retry announced */
}

static void bind_record_is_up_until_stopped(void **state)
{
    kit_t k;
    kit_start(&k, 100, 0);
    mzmtp_kit_ep_bind(&k.e, k.s, 7000);
    assert_int_equal(k.e.kind, MZMTP_KIT_EP_BIND);
    assert_int_equal(k.e.state, MZMTP_KIT_UP);
    assert_int_equal(k.e.peer, -1);
    assert_false(mzmtp_kit_ep_due(&k.e, 0));
    assert_false(mzmtp_kit_ep_down(&k.e, &k.r, 0, MZMTP_ERR_CLOSED, false));
    mzmtp_kit_ep_wait(&k.e, 0, &k.wait);
    assert_int_equal(k.wait, UINT32_MAX);
    mzmtp_kit_ep_stop(&k.e);
    assert_int_equal(k.e.state, MZMTP_KIT_STOPPED);
    mzmtp_kit_ep_free(&k.e);
    assert_int_equal(k.e.kind, MZMTP_KIT_EP_FREE);
}

/* A connect trying one address of several: the step's end is a timer of its own, and
 * the endpoint stays CONNECTING until the port moves on (POSIX address rounds). */
static void connect_step_times_out_the_current_address(void **state)
{
    kit_t k;
    kit_start(&k, 100, 0);
    TU_ASSERT_STATUS(mzmtp_kit_ep_connect(&k.e, k.s, 5555, &k.r, 0), MZMTP_OK);
    mzmtp_kit_ep_attempt(&k.e);
    mzmtp_kit_ep_step(&k.e, 0xFFFFFF00u, 2000); /* wraps */
    assert_int_equal(k.e.state, MZMTP_KIT_CONNECTING);
    assert_false(mzmtp_kit_ep_due(&k.e, 0xFFFFFF00u + 5000u)); /* not a retry */
    assert_false(mzmtp_kit_ep_step_due(&k.e, 0xFFFFFF00u + 1999u));
    assert_true(mzmtp_kit_ep_step_due(&k.e, 0xFFFFFF00u + 2000u));
    mzmtp_kit_ep_wait_all(&k.e, 0xFFFFFF00u + 500u, false, &k.wait);
    assert_int_equal(k.wait, UINT32_MAX); /* the port said no step timer runs */
    mzmtp_kit_ep_wait_all(&k.e, 0xFFFFFF00u + 500u, true, &k.wait);
    assert_int_equal(k.wait, 1500);
    mzmtp_kit_ep_up(&k.e, &k.r);
    assert_false(mzmtp_kit_ep_step_due(&k.e, 0xFFFFFF00u + 9000u));
    k.wait = UINT32_MAX;
    mzmtp_kit_ep_wait_all(&k.e, 0, true, &k.wait);
    assert_int_equal(k.wait, UINT32_MAX); /* up: no timer */
    mzmtp_kit_ep_free(&k.e);
}

/* A listener out of descriptors rests, then listens again; it is never stopped for it. */
static void bind_pause_rests_then_resumes(void **state)
{
    kit_t k;
    mzmtp_kit_ep_t c;
    kit_start(&k, 100, 0);
    mzmtp_kit_ep_bind(&k.e, k.s, 7000);
    assert_false(mzmtp_kit_ep_resume(&k.e, 0)); /* not paused */
    mzmtp_kit_ep_pause(&k.e, 1000, 100);
    assert_int_equal(k.e.state, MZMTP_KIT_PAUSED);
    assert_false(mzmtp_kit_ep_due(&k.e, 5000)); /* a bind never "attempts" */
    mzmtp_kit_ep_wait_all(&k.e, 1040, false, &k.wait);
    assert_int_equal(k.wait, 60);
    k.wait = UINT32_MAX;
    mzmtp_kit_ep_wait(&k.e, 1040, &k.wait); /* the connect-only timer is unchanged */
    assert_int_equal(k.wait, UINT32_MAX);
    assert_false(mzmtp_kit_ep_resume(&k.e, 1099));
    assert_true(mzmtp_kit_ep_resume(&k.e, 1100));
    assert_int_equal(k.e.state, MZMTP_KIT_UP);
    assert_false(mzmtp_kit_ep_resume(&k.e, 1200)); /* once */
    mzmtp_kit_ep_stop(&k.e);
    mzmtp_kit_ep_pause(&k.e, 0, 100); /* a stopped listener stays stopped */
    assert_int_equal(k.e.state, MZMTP_KIT_STOPPED);
    mzmtp_kit_ep_free(&k.e);
    /* and a connect cannot be paused */
    TU_ASSERT_STATUS(mzmtp_kit_ep_connect(&c, k.s, 1, &k.r, 0), MZMTP_OK);
    mzmtp_kit_ep_pause(&c, 0, 100);
    assert_int_equal(c.state, MZMTP_KIT_WAIT);
    assert_false(mzmtp_kit_ep_resume(&c, 1000));
    mzmtp_kit_ep_free(&c);
}

static void linger_ends_when_flushed_or_when_time_is_up(void **state)
{
    tu_mon_log_t m;
    mzmtp_kit_sock_t ks = {0};
    uint32_t wait;
    ks.sock = kit_socket(&m);
    assert_false(mzmtp_kit_close_due(&ks, 0)); /* not closing */
    assert_true(mzmtp_kit_close_begin(&ks, 500, 1000));
    assert_false(mzmtp_kit_close_begin(&ks, 0, 1000)); /* once */
    assert_int_equal(ks.linger_at, 1500);
    /* Nothing queued: flushed at once. */
    assert_true(mzmtp_kit_close_due(&ks, 1000));
    wait = UINT32_MAX;
    mzmtp_kit_sock_wait(&ks, 1200, &wait);
    assert_int_equal(wait, 300);
    /* Negative linger waits for ever: no timer; here too a flushed socket ends it. */
    mzmtp_kit_sock_t k3 = {0};
    k3.sock = kit_socket(&m);
    assert_true(mzmtp_kit_close_begin(&k3, -7, 0));
    assert_int_equal(k3.linger_ms, -1);
    wait = UINT32_MAX;
    mzmtp_kit_sock_wait(&k3, 0, &wait);
    assert_int_equal(wait, UINT32_MAX);
    assert_true(mzmtp_kit_close_due(&k3, 0));
    /* (An unflushed socket held by its linger time is the ports' tests': the Contiki-NG
     * and lwIP linger cases, tests/contiki-ng and tests/lwip.) */
}

static void readiness_reports_pollin_once_per_rearm_and_pollout_on_its_edge(void **state)
{
    mzmtp_kit_sock_t ks = {0};
    unsigned rep;
    rep = mzmtp_kit_ready_edges(&ks, MZMTP_POLLIN | MZMTP_POLLOUT);
    assert_int_equal(rep, MZMTP_POLLIN | MZMTP_POLLOUT);
    /* Not delivered (an event queue full): nothing is recorded, the next ask repeats. */
    assert_int_equal(mzmtp_kit_ready_edges(&ks, MZMTP_POLLIN | MZMTP_POLLOUT), rep);
    mzmtp_kit_ready_told(&ks, MZMTP_POLLIN | MZMTP_POLLOUT, rep);
    assert_int_equal(mzmtp_kit_ready_edges(&ks, MZMTP_POLLIN | MZMTP_POLLOUT), 0);
    /* POLLOUT again only after it went away. */
    mzmtp_kit_ready_told(&ks, MZMTP_POLLIN, 0);
    assert_int_equal(mzmtp_kit_ready_edges(&ks, MZMTP_POLLIN | MZMTP_POLLOUT), MZMTP_POLLOUT);
    mzmtp_kit_ready_told(&ks, MZMTP_POLLIN | MZMTP_POLLOUT, MZMTP_POLLOUT);
    /* POLLIN again only after the application re-armed (it read). */
    mzmtp_kit_ready_rearm(&ks);
    assert_int_equal(mzmtp_kit_ready_edges(&ks, MZMTP_POLLIN | MZMTP_POLLOUT), MZMTP_POLLIN);
    assert_int_equal(mzmtp_kit_ready_edges(&ks, 0), 0);
}

static void output_copy_writes_the_greeting_and_marks_it_done(void **state)
{
    tu_mon_log_t m;
    mzmtp_socket_t *s = kit_socket(&m);
    uint8_t buf[128];
    int p = -1;
    TU_ASSERT_STATUS(mzmtp_socket_peer_open(s, false, &p), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_socket_peer_start(s, p, 0), MZMTP_OK);
    assert_int_equal(mzmtp_kit_peer_wants(s, p), MZMTP_KIT_WANT_IN | MZMTP_KIT_WANT_OUT);
    /* A small buffer takes a part; the rest follows. */
    size_t k = mzmtp_kit_output_copy(s, p, buf, 10);
    assert_int_equal(k, 10);
    assert_int_equal(buf[0], 0xFF); /* the greeting's signature (RFC 23) */
    assert_int_equal(buf[9], 0x7F);
    size_t total = k;
    while ((k = mzmtp_kit_output_copy(s, p, buf, sizeof(buf))) > 0) total += k;
    assert_true(total >= 64); /* the whole greeting went */
    assert_int_equal(mzmtp_kit_peer_wants(s, p), MZMTP_KIT_WANT_IN);
    assert_int_equal(mzmtp_kit_output_copy(s, p, buf, sizeof(buf)), 0);
}

static void feed_takes_what_fits_and_reports_a_fatal_status(void **state)
{
    tu_mon_log_t m;
    mzmtp_socket_t *s = kit_socket(&m);
    mzmtp_status_t st = MZMTP_AGAIN;
    int p = -1;
    TU_ASSERT_STATUS(mzmtp_socket_peer_open(s, false, &p), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_socket_peer_start(s, p, 0), MZMTP_OK);
    /* The first bytes of a valid greeting: taken, no verdict yet. */
    static const uint8_t sig[] = {0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F};
    assert_int_equal(mzmtp_kit_feed(s, p, sig, sizeof(sig), 0, &st), sizeof(sig));
    TU_ASSERT_STATUS(st, MZMTP_OK);
    /* Nothing to feed: nothing taken, OK. */
    assert_int_equal(mzmtp_kit_feed(s, p, sig, 0, 0, &st), 0);
    TU_ASSERT_STATUS(st, MZMTP_OK);
    /* An HTTP request (a fresh socket, one peer slot is enough): not ZMTP, fatal; the
     * port closes the connection. */
    static const char http[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    s = kit_socket(&m);
    TU_ASSERT_STATUS(mzmtp_socket_peer_open(s, false, &p), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_socket_peer_start(s, p, 0), MZMTP_OK);
    size_t used = mzmtp_kit_feed(s, p, (const uint8_t *)http, sizeof(http) - 1, 0, &st);
    assert_true(mzmtp_status_is_fatal(st));
    assert_true(used >= 1 && used <= sizeof(http) - 1);
}

typedef struct dead_rec {
    mzmtp_socket_t *sock;
    int n;
    int peer[4];
    mzmtp_status_t why[4];
} dead_rec_t;

static void on_dead(void *ctx, int peer, mzmtp_status_t why)
{
    dead_rec_t *d = ctx;
    if (d->n < 4) {
        d->peer[d->n] = peer;
        d->why[d->n] = why;
        d->n++;
    }
    mzmtp_socket_peer_stop(d->sock, peer, why);
}

static void reap_hands_timed_out_peers_to_the_port_once(void **state)
{
    tu_mon_log_t m;
    mzmtp_socket_t *s = kit_socket(&m);
    dead_rec_t d = {s, 0, {0}, {MZMTP_OK}};
    uint32_t ivl = 1000;
    int p = -1;
    TU_ASSERT_STATUS(mzmtp_socket_setopt(s, MZMTP_OPT_HANDSHAKE_IVL, &ivl, sizeof ivl), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_socket_peer_open(s, false, &p), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_socket_peer_start(s, p, 0), MZMTP_OK);
    mzmtp_kit_reap(s, 999, on_dead, &d);
    assert_int_equal(d.n, 0);
    mzmtp_kit_reap(s, 1000, on_dead, &d);
    assert_int_equal(d.n, 1);
    assert_int_equal(d.peer[0], p);
    TU_ASSERT_STATUS(d.why[0], MZMTP_ERR_TIMEOUT);
    mzmtp_kit_reap(s, 5000, on_dead, &d); /* stopped: not handed again */
    assert_int_equal(d.n, 1);
    assert_false(mzmtp_socket_peer_live(s, p));
}

/* ------------------------------------------------------------------------------------ */
/* Time                                                                                   */
/* ------------------------------------------------------------------------------------ */

static void due_and_until_are_wrap_safe(void **state)
{
    assert_true(mzmtp_kit_is_due(10, 10));
    assert_true(mzmtp_kit_is_due(11, 10));
    assert_false(mzmtp_kit_is_due(9, 10));
    assert_int_equal(mzmtp_kit_until(9, 10), 1);
    assert_int_equal(mzmtp_kit_until(10, 10), 0);
    assert_int_equal(mzmtp_kit_until(11, 10), 0);
    /* Across the wrap. */
    assert_true(mzmtp_kit_is_due(5, UINT32_MAX - 5u));
    assert_int_equal(mzmtp_kit_until(5, UINT32_MAX - 5u), 0);
    assert_false(mzmtp_kit_is_due(UINT32_MAX - 5u, 5));
    assert_int_equal(mzmtp_kit_until(UINT32_MAX - 5u, 5), 11);
    /* Half the range apart: the limit of the comparison. */
    assert_false(mzmtp_kit_is_due(0, 0x7FFFFFFFu));
    assert_int_equal(mzmtp_kit_until(0, 0x7FFFFFFFu), 0x7FFFFFFFu);
    assert_true(mzmtp_kit_is_due(0x7FFFFFFFu, 0));
    assert_false(mzmtp_kit_is_due(0, 0x80000000u)); /* exactly 2^31 ahead: not yet */
    assert_true(mzmtp_kit_is_due(0, 0x80000001u));  /* read as 2^31 - 1 ms ago */
}

static void clock_counts_milliseconds_without_drift(void **state)
{
    mzmtp_kit_clock_t c = {0};
    /* 1000 Hz (native): one tick is one ms. */
    assert_int_equal(mzmtp_kit_clock_add(&c, 1, 1000), 1);
    assert_int_equal(mzmtp_kit_clock_add(&c, 0, 1000), 1);
    assert_int_equal(mzmtp_kit_clock_add(&c, 999, 1000), 1000);
    /* 128 Hz (cc2538): 7.8125 ms per tick; the remainders add up exactly. */
    memset(&c, 0, sizeof(c));
    assert_int_equal(mzmtp_kit_clock_add(&c, 1, 128), 7);
    assert_int_equal(c.rem, 104);
    for (int i = 1; i < 128; i++) (void)mzmtp_kit_clock_add(&c, 1, 128);
    assert_int_equal(c.ms, 1000);
    assert_int_equal(c.rem, 0);
    assert_int_equal(mzmtp_kit_clock_add(&c, 128u * 3600u, 128), 1000u + 3600000u);
    /* A large step (a 64-bit tick delta) and the wrap at 2^32 ms. */
    memset(&c, 0, sizeof(c));
    c.ms = UINT32_MAX - 1u;
    assert_int_equal(mzmtp_kit_clock_add(&c, 3, 1000), 1);
    memset(&c, 0, sizeof(c));
    assert_int_equal(mzmtp_kit_clock_add(&c, (uint64_t)1 << 32, 1000), 0); /* 2^32 ms */
    assert_int_equal(mzmtp_kit_clock_add(&c, ((uint64_t)1 << 32) + 5u, 1000), 5);
}

static void ms_to_ticks_rounds_up_and_caps_at_an_hour(void **state)
{
    assert_int_equal(mzmtp_kit_ms_to_ticks(0, 128), 0);
    assert_int_equal(mzmtp_kit_ms_to_ticks(1, 128), 1);
    assert_int_equal(mzmtp_kit_ms_to_ticks(7, 128), 1);
    assert_int_equal(mzmtp_kit_ms_to_ticks(8, 128), 2); /* 1.024 ticks: never early */
    assert_int_equal(mzmtp_kit_ms_to_ticks(1000, 128), 128);
    assert_int_equal(mzmtp_kit_ms_to_ticks(1000, 1000), 1000);
    assert_int_equal(mzmtp_kit_ms_to_ticks(1, 1000), 1);
    assert_int_equal(mzmtp_kit_ms_to_ticks(MZMTP_KIT_TIMER_MAX_MS, 128), 460800);
    assert_int_equal(mzmtp_kit_ms_to_ticks(MZMTP_KIT_TIMER_MAX_MS + 1u, 128), 460800);
    assert_int_equal(mzmtp_kit_ms_to_ticks(UINT32_MAX, 1000), MZMTP_KIT_TIMER_MAX_MS);
    assert_int_equal(mzmtp_kit_ms_to_ticks(UINT32_MAX, 32768), 117964800u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stage_starts_empty_at_the_front),
        cmocka_unit_test(stage_keeps_what_fits_in_order),
        cmocka_unit_test(stage_fills_to_exactly_its_capacity),
        cmocka_unit_test(stage_overflow_keeps_the_head_and_refuses_the_tail),
        cmocka_unit_test(stage_overflow_of_an_empty_stage_keeps_one_capacity),
        cmocka_unit_test(stage_drains_oldest_first),
        cmocka_unit_test(stage_consume_past_the_end_empties_it),
        cmocka_unit_test(stage_put_after_partial_drain_wraps_to_the_front),
        cmocka_unit_test(stage_clear_forgets_everything),
        cmocka_unit_test(stage_of_65535_bytes_holds_all_of_them),
        cmocka_unit_test(stage_matches_a_fifo_under_random_fill_and_drain),
        cmocka_unit_test(endpoint_gives_the_host_text_and_the_port),
        cmocka_unit_test(endpoint_bind_takes_every_wildcard_form),
        cmocka_unit_test(endpoint_port_digits),
        cmocka_unit_test(endpoint_connect_refuses_bind_only_forms),
        cmocka_unit_test(endpoint_refuses_malformed_text),
        cmocka_unit_test(endpoint_host_must_fit_its_buffer),
        cmocka_unit_test(backoff_starts_at_the_interval),
        cmocka_unit_test(lost_connection_waits_the_interval_plus_jitter),
        cmocka_unit_test(failed_connects_double_the_wait_up_to_the_cap),
        cmocka_unit_test(cap_not_a_power_of_two_times_the_interval),
        cmocka_unit_test(no_doubling_when_the_cap_is_not_above_the_interval),
        cmocka_unit_test(doubling_stops_at_the_largest_cap_without_overflow),
        cmocka_unit_test(negative_interval_means_no_reconnect),
        cmocka_unit_test(zero_interval_retries_at_once),
        cmocka_unit_test(retry_time_wraps_and_stays_ordered),
        cmocka_unit_test(connect_record_holds_a_slot_and_is_due_at_once),
        cmocka_unit_test(connect_record_up_lost_and_failed),
        cmocka_unit_test(protocol_errors_stop_the_endpoint_and_free_its_slot),
        cmocka_unit_test(bind_record_is_up_until_stopped),
        cmocka_unit_test(connect_step_times_out_the_current_address),
        cmocka_unit_test(bind_pause_rests_then_resumes),
        cmocka_unit_test(linger_ends_when_flushed_or_when_time_is_up),
        cmocka_unit_test(readiness_reports_pollin_once_per_rearm_and_pollout_on_its_edge),
        cmocka_unit_test(output_copy_writes_the_greeting_and_marks_it_done),
        cmocka_unit_test(feed_takes_what_fits_and_reports_a_fatal_status),
        cmocka_unit_test(reap_hands_timed_out_peers_to_the_port_once),
        cmocka_unit_test(due_and_until_are_wrap_safe),
        cmocka_unit_test(clock_counts_milliseconds_without_drift),
        cmocka_unit_test(ms_to_ticks_rounds_up_and_caps_at_an_hour),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
