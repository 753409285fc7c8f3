/*
 * The Contiki-NG port's Contiki-independent logic (ports/contiki-ng/mzmtp-contiki-logic.c):
 * the per-connection input stage, the endpoint parser, the reconnect schedule and its
 * no-retry statuses (wire-notes R2), and the wrap-safe time helpers. The port itself
 * (uIP, processes) runs in tests/contiki-ng/run.sh, which needs a Contiki-NG tree.
 */
#define _POSIX_C_SOURCE 200112L /* inet_pton */
#include <arpa/inet.h>
#include <stdio.h>

#include "testutil.h"
#include "mzmtp-contiki-logic.h"

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

static void assert_staged(const mzmtp_cl_stage_t *st, const uint8_t *buf, const uint8_t *exp,
                          size_t n)
{
    assert_int_equal(mzmtp_cl_stage_len(st), n);
    TU_ASSERT_BYTES(mzmtp_cl_stage_data(st, buf), n, exp, n);
}

static void stage_starts_empty_at_the_front(void **state)
{
    mzmtp_cl_stage_t st = {0};
    uint8_t buf[16];
    assert_int_equal(mzmtp_cl_stage_len(&st), 0);
    assert_ptr_equal(mzmtp_cl_stage_data(&st, buf), buf);
}

static void stage_keeps_what_fits_in_order(void **state)
{
    mzmtp_cl_stage_t st = {0};
    uint8_t buf[16];
    assert_int_equal(mzmtp_cl_stage_put(&st, buf, sizeof(buf), seq(1, 10), 10), 10);
    assert_staged(&st, buf, seq(1, 10), 10);
    /* A second segment goes behind the first. */
    assert_int_equal(mzmtp_cl_stage_put(&st, buf, sizeof(buf), seq(11, 4), 4), 4);
    assert_staged(&st, buf, seq(1, 14), 14);
}

static void stage_fills_to_exactly_its_capacity(void **state)
{
    mzmtp_cl_stage_t st = {0};
    uint8_t buf[16];
    assert_int_equal(mzmtp_cl_stage_put(&st, buf, sizeof(buf), seq(0, 16), 16), 16);
    assert_staged(&st, buf, seq(0, 16), 16);
    /* Full: nothing more is kept, nothing staged changes. */
    assert_int_equal(mzmtp_cl_stage_put(&st, buf, sizeof(buf), seq(100, 1), 1), 0);
    assert_staged(&st, buf, seq(0, 16), 16);
}

static void stage_overflow_keeps_the_head_and_refuses_the_tail(void **state)
{
    mzmtp_cl_stage_t st = {0};
    uint8_t buf[16];
    assert_int_equal(mzmtp_cl_stage_put(&st, buf, sizeof(buf), seq(1, 10), 10), 10);
    /* 10 more: the first 6 are kept (the peer resends the other 4). */
    assert_int_equal(mzmtp_cl_stage_put(&st, buf, sizeof(buf), seq(11, 10), 10), 6);
    assert_staged(&st, buf, seq(1, 16), 16);
    /* Once drained, the refused 4 fit again and follow in order. */
    mzmtp_cl_stage_consume(&st, 16);
    assert_int_equal(mzmtp_cl_stage_put(&st, buf, sizeof(buf), seq(17, 4), 4), 4);
    assert_staged(&st, buf, seq(17, 4), 4);
}

static void stage_overflow_of_an_empty_stage_keeps_one_capacity(void **state)
{
    mzmtp_cl_stage_t st = {0};
    uint8_t buf[8];
    assert_int_equal(mzmtp_cl_stage_put(&st, buf, sizeof(buf), seq(0, 20), 20), 8);
    assert_staged(&st, buf, seq(0, 8), 8);
}

static void stage_drains_oldest_first(void **state)
{
    mzmtp_cl_stage_t st = {0};
    uint8_t buf[16];
    assert_int_equal(mzmtp_cl_stage_put(&st, buf, sizeof(buf), seq(1, 12), 12), 12);
    mzmtp_cl_stage_consume(&st, 5);
    assert_staged(&st, buf, seq(6, 7), 7);
    assert_ptr_equal(mzmtp_cl_stage_data(&st, buf), buf + 5);
    mzmtp_cl_stage_consume(&st, 0);
    assert_staged(&st, buf, seq(6, 7), 7);
    mzmtp_cl_stage_consume(&st, 6);
    assert_staged(&st, buf, seq(12, 1), 1);
    /* Emptied: the next bytes start at the front again. */
    mzmtp_cl_stage_consume(&st, 1);
    assert_int_equal(mzmtp_cl_stage_len(&st), 0);
    assert_ptr_equal(mzmtp_cl_stage_data(&st, buf), buf);
}

/* The engine failed while staged bytes were being fed: the port clears the stage inside
 * the feed and then consumes what the feed reported. That must leave the stage empty,
 * not wrap its length. */
static void stage_consume_past_the_end_empties_it(void **state)
{
    mzmtp_cl_stage_t st = {0};
    uint8_t buf[16];
    assert_int_equal(mzmtp_cl_stage_put(&st, buf, sizeof(buf), seq(1, 9), 9), 9);
    mzmtp_cl_stage_consume(&st, 2);
    mzmtp_cl_stage_consume(&st, 100);
    assert_int_equal(mzmtp_cl_stage_len(&st), 0);
    assert_ptr_equal(mzmtp_cl_stage_data(&st, buf), buf);

    assert_int_equal(mzmtp_cl_stage_put(&st, buf, sizeof(buf), seq(1, 9), 9), 9);
    mzmtp_cl_stage_clear(&st);
    mzmtp_cl_stage_consume(&st, 9);
    assert_int_equal(mzmtp_cl_stage_len(&st), 0);
    assert_int_equal(mzmtp_cl_stage_put(&st, buf, sizeof(buf), seq(50, 16), 16), 16);
    assert_staged(&st, buf, seq(50, 16), 16);
}

/* Bytes left behind a partial drain move to the front when more arrive, so the whole
 * capacity is usable again and order is kept across the move. */
static void stage_put_after_partial_drain_wraps_to_the_front(void **state)
{
    mzmtp_cl_stage_t st = {0};
    uint8_t buf[16];
    assert_int_equal(mzmtp_cl_stage_put(&st, buf, sizeof(buf), seq(1, 16), 16), 16);
    mzmtp_cl_stage_consume(&st, 13); /* 14, 15, 16 left at offset 13 */
    assert_int_equal(mzmtp_cl_stage_put(&st, buf, sizeof(buf), seq(17, 20), 20), 13);
    assert_ptr_equal(mzmtp_cl_stage_data(&st, buf), buf);
    assert_staged(&st, buf, seq(14, 16), 16);
    /* A put of nothing changes nothing but the position. */
    mzmtp_cl_stage_consume(&st, 4);
    assert_int_equal(mzmtp_cl_stage_put(&st, buf, sizeof(buf), NULL, 0), 0);
    assert_ptr_equal(mzmtp_cl_stage_data(&st, buf), buf);
    assert_staged(&st, buf, seq(18, 12), 12);
}

static void stage_clear_forgets_everything(void **state)
{
    mzmtp_cl_stage_t st = {0};
    uint8_t buf[16];
    assert_int_equal(mzmtp_cl_stage_put(&st, buf, sizeof(buf), seq(1, 12), 12), 12);
    mzmtp_cl_stage_consume(&st, 3);
    mzmtp_cl_stage_clear(&st);
    assert_int_equal(mzmtp_cl_stage_len(&st), 0);
    assert_ptr_equal(mzmtp_cl_stage_data(&st, buf), buf);
}

/* The largest stage the port allows (MZMTP_CONTIKI_CONF_RX_STAGE <= 65535): the 16-bit
 * length and offset reach their top without wrapping. */
static void stage_of_65535_bytes_holds_all_of_them(void **state)
{
    static uint8_t buf[65535], in[65535];
    mzmtp_cl_stage_t st = {0};
    for (size_t i = 0; i < sizeof(in); i++) in[i] = (uint8_t)(i * 7u + i / 256u);
    assert_int_equal(mzmtp_cl_stage_put(&st, buf, sizeof(buf), in, sizeof(in)), 65535);
    assert_int_equal(mzmtp_cl_stage_len(&st), 65535);
    assert_int_equal(mzmtp_cl_stage_put(&st, buf, sizeof(buf), in, 1), 0);
    mzmtp_cl_stage_consume(&st, 65534);
    assert_int_equal(mzmtp_cl_stage_len(&st), 1);
    assert_int_equal(mzmtp_cl_stage_data(&st, buf)[0], in[65534]);
    assert_int_equal(mzmtp_cl_stage_put(&st, buf, sizeof(buf), in, sizeof(in)), 65534);
    assert_int_equal(mzmtp_cl_stage_len(&st), 65535);
    assert_int_equal(mzmtp_cl_stage_data(&st, buf)[0], in[65534]);
    TU_ASSERT_BYTES(mzmtp_cl_stage_data(&st, buf) + 1, 65534, in, 65534);
}

/* Random segments in, random drains out, against a plain FIFO: every byte comes out once,
 * in order, and nothing beyond the capacity is ever kept. */
static void stage_matches_a_fifo_under_random_fill_and_drain(void **state)
{
    enum { CAP = 97, TOTAL = 200000 };
    uint8_t buf[CAP], seg[3 * CAP];
    static uint8_t sent[TOTAL + 3 * CAP];
    size_t produced = 0, consumed = 0;
    mzmtp_cl_stage_t st = {0};
    tu_rng_t r;
    tu_rng_seed(&r, 0xC0471C1u);
    while (consumed < TOTAL) {
        if (produced < TOTAL && tu_rng_below(&r, 2) == 0) {
            size_t n = tu_rng_range(&r, 0, 3 * CAP);
            for (size_t i = 0; i < n; i++) seg[i] = (uint8_t)tu_rng_next(&r);
            size_t had = mzmtp_cl_stage_len(&st);
            size_t kept = mzmtp_cl_stage_put(&st, buf, CAP, seg, n);
            assert_int_equal(kept, n < CAP - had ? n : CAP - had);
            /* A refused tail is resent: the FIFO holds only what was kept. */
            memcpy(sent + produced, seg, kept);
            produced += kept;
        } else {
            size_t len = mzmtp_cl_stage_len(&st);
            size_t k = tu_rng_range(&r, 0, (uint32_t)len);
            assert_int_equal(len, produced - consumed);
            TU_ASSERT_BYTES(mzmtp_cl_stage_data(&st, buf), k, sent + consumed, k);
            mzmtp_cl_stage_consume(&st, k);
            consumed += k;
            if (produced >= TOTAL) {
                len = mzmtp_cl_stage_len(&st);
                TU_ASSERT_BYTES(mzmtp_cl_stage_data(&st, buf), len, sent + consumed, len);
                mzmtp_cl_stage_consume(&st, len);
                consumed += len;
            }
        }
        assert_true(mzmtp_cl_stage_len(&st) <= CAP);
        assert_true(mzmtp_cl_stage_data(&st, buf) + mzmtp_cl_stage_len(&st) <= buf + CAP);
    }
    assert_int_equal(consumed, produced);
    assert_int_equal(mzmtp_cl_stage_len(&st), 0);
}

/* ------------------------------------------------------------------------------------ */
/* Endpoints                                                                              */
/* ------------------------------------------------------------------------------------ */

static int conv_calls;
static char conv_text[64];

/* The host's parser stands in for uiplib_ip6addrconv(). */
static bool conv_inet(const char *text, uint8_t addr[16])
{
    conv_calls++;
    snprintf(conv_text, sizeof(conv_text), "%s", text);
    return inet_pton(AF_INET6, text, addr) == 1;
}

/* Accepts any text, as 1::1. */
static bool conv_any(const char *text, uint8_t addr[16])
{
    conv_calls++;
    snprintf(conv_text, sizeof(conv_text), "%s", text);
    memset(addr, 0, 16);
    addr[1] = 1;
    addr[15] = 1;
    return true;
}

static mzmtp_status_t parse(const char *ep, bool bind, uint8_t addr[16], uint16_t *port)
{
    conv_calls = 0;
    conv_text[0] = '\0';
    return mzmtp_cl_parse_endpoint(ep, bind, conv_inet, addr, port);
}

static void expect_ok(const char *ep, bool bind, const char *addr_hex, uint16_t exp_port)
{
    uint8_t addr[16];
    uint16_t port = 0xBEEF;
    mzmtp_status_t st = parse(ep, bind, addr, &port);
    if (st != MZMTP_OK) print_error("endpoint %s (%s)\n", ep, bind ? "bind" : "connect");
    TU_ASSERT_STATUS(st, MZMTP_OK);
    TU_ASSERT_HEX(addr, 16, addr_hex);
    assert_int_equal(port, exp_port);
}

static void expect_invalid(const char *ep, bool bind)
{
    uint8_t addr[16];
    uint16_t port = 0xBEEF;
    mzmtp_status_t st = parse(ep, bind, addr, &port);
    if (st != MZMTP_ERR_INVALID) {
        print_error("endpoint \"%s\" (%s) accepted\n", ep ? ep : "(null)",
                    bind ? "bind" : "connect");
    }
    TU_ASSERT_STATUS(st, MZMTP_ERR_INVALID);
    assert_int_equal(port, 0xBEEF); /* untouched */
}

#define ZERO16 "00000000 00000000 00000000 00000000"
#define FD00_1 "fd000000 00000000 00000000 00000001"

static void endpoint_connect_takes_an_ipv6_literal_and_port(void **state)
{
    expect_ok("tcp://[fd00::1]:5556", false, FD00_1, 5556);
    assert_int_equal(conv_calls, 1);
    assert_string_equal(conv_text, "fd00::1");
    expect_ok("tcp://[fd00::302:304:506:708]:1", false,
              "fd000000 00000000 03020304 05060708", 1);
    expect_ok("tcp://[fe80::212:4b00:615:a2b3]:65535", false,
              "fe800000 00000000 02124b00 0615a2b3", 65535);
    expect_ok("tcp://[::1]:9999", false, "00000000 00000000 00000000 00000001", 9999);
    expect_ok("tcp://[::ffff:192.0.2.1]:80", false, "00000000 00000000 0000ffff c0000201", 80);
}

static void endpoint_bind_takes_every_wildcard_form(void **state)
{
    expect_ok("tcp://[::]:9999", true, ZERO16, 9999);
    assert_int_equal(conv_calls, 0); /* "::" never reaches the converter */
    expect_ok("tcp://*:9999", true, ZERO16, 9999);
    assert_int_equal(conv_calls, 0);
    expect_ok("tcp://*:*", true, ZERO16, 0);
    expect_ok("tcp://[::]:*", true, ZERO16, 0);
    expect_ok("tcp://*:0", true, ZERO16, 0);
    expect_ok("tcp://[::]:0", true, ZERO16, 0);
    /* The node's own address (uIP listens by port on every address). */
    expect_ok("tcp://[fd00::1]:7", true, FD00_1, 7);
    /* A spelled-out unspecified address is a bind address too. */
    expect_ok("tcp://[0:0::0]:7", true, ZERO16, 7);
}

static void endpoint_port_digits(void **state)
{
    expect_ok("tcp://[fd00::1]:00080", false, FD00_1, 80); /* 5 digits, leading zeros */
    expect_ok("tcp://[fd00::1]:65535", false, FD00_1, 65535);
    expect_ok("tcp://*:00000", true, ZERO16, 0);
    expect_invalid("tcp://[fd00::1]:000080", false); /* 6 digits */
    expect_invalid("tcp://[fd00::1]:65536", false);
    expect_invalid("tcp://[fd00::1]:99999", false);
    expect_invalid("tcp://[fd00::1]:123456", false);
    expect_invalid("tcp://[fd00::1]:4294967297", false);
    expect_invalid("tcp://*:65536", true);
}

static void endpoint_connect_refuses_bind_only_forms(void **state)
{
    expect_invalid("tcp://[::]:5556", false);
    expect_invalid("tcp://[0:0::0]:5556", false); /* unspecified, however written */
    assert_int_equal(conv_calls, 1);
    expect_invalid("tcp://*:5556", false);
    expect_invalid("tcp://[fd00::1]:*", false);
    expect_invalid("tcp://[fd00::1]:0", false);
    expect_invalid("tcp://[fd00::1]:00000", false);
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
        "tcp://fd00::1:5",          /* no brackets */
        "tcp://localhost:5",        /* no names */
        "tcp://127.0.0.1:5",        /* no IPv4 */
        "tcp://eth0:5",
        "tcp://[fd00::1:5",         /* no closing bracket */
        "tcp://[fd00::1]",          /* no port */
        "tcp://[fd00::1]:",         /* empty port */
        "tcp://[fd00::1]5",         /* no colon */
        "tcp://[fd00::1]::5",
        "tcp://[fd00::1]]:5",
        "tcp://[]:5",               /* empty address */
        "tcp://[zz::1]:5",          /* the converter refuses it */
        "tcp://[fd00::1%tun0]:5",   /* no zones */
        "tcp://[fd00::1]:5x",
        "tcp://[fd00::1]:5 ",
        "tcp://[fd00::1]: 5",
        "tcp://[fd00::1]:+5",
        "tcp://[fd00::1]:-1",
        "tcp://[fd00::1]:0x10",
        "tcp://[fd00::1]:5/",
        "tcp://*",
        "tcp://**:5",
        "tcp://*5",
        "tcp://*:**",
        "tcp://*:5*",
        "tcp://[*]:5",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        expect_invalid(bad[i], true);
        expect_invalid(bad[i], false);
    }
    expect_invalid(NULL, true);
    expect_invalid(NULL, false);
}

static void endpoint_address_text_is_at_most_47_characters(void **state)
{
    char ep[128];
    uint8_t addr[16];
    uint16_t port = 0;
    char text[64];
    memset(text, 'a', 47);
    text[47] = '\0';
    snprintf(ep, sizeof(ep), "tcp://[%s]:5", text);
    conv_calls = 0;
    TU_ASSERT_STATUS(mzmtp_cl_parse_endpoint(ep, false, conv_any, addr, &port), MZMTP_OK);
    assert_int_equal(conv_calls, 1);
    assert_string_equal(conv_text, text);
    assert_int_equal(port, 5);
    TU_ASSERT_HEX(addr, 16, "00010000 00000000 00000000 00000001");

    text[47] = 'a';
    text[48] = '\0';
    snprintf(ep, sizeof(ep), "tcp://[%s]:5", text);
    conv_calls = 0;
    TU_ASSERT_STATUS(mzmtp_cl_parse_endpoint(ep, false, conv_any, addr, &port),
                     MZMTP_ERR_INVALID);
    assert_int_equal(conv_calls, 0);
}

static void endpoint_without_converter_takes_only_wildcards(void **state)
{
    uint8_t addr[16];
    uint16_t port = 0;
    TU_ASSERT_STATUS(mzmtp_cl_parse_endpoint("tcp://[::]:5", true, NULL, addr, &port),
                     MZMTP_OK);
    assert_int_equal(port, 5);
    TU_ASSERT_STATUS(mzmtp_cl_parse_endpoint("tcp://[fd00::1]:5", false, NULL, addr, &port),
                     MZMTP_ERR_INVALID);
    TU_ASSERT_STATUS(mzmtp_cl_parse_endpoint("tcp://[::]:5", true, NULL, NULL, &port),
                     MZMTP_ERR_INVALID);
    TU_ASSERT_STATUS(mzmtp_cl_parse_endpoint("tcp://[::]:5", true, NULL, addr, NULL),
                     MZMTP_ERR_INVALID);
}

/* ------------------------------------------------------------------------------------ */
/* Reconnects                                                                             */
/* ------------------------------------------------------------------------------------ */

static uint32_t rnd_value;
static int rnd_calls;

static uint32_t rnd_fixed(void)
{
    rnd_calls++;
    return rnd_value;
}

static void backoff_starts_at_the_interval(void **state)
{
    assert_int_equal(mzmtp_cl_backoff_reset(100), 100);
    assert_int_equal(mzmtp_cl_backoff_reset(0), 0);
    assert_int_equal(mzmtp_cl_backoff_reset(-1), 0);
    assert_int_equal(mzmtp_cl_backoff_reset(INT32_MAX), (uint32_t)INT32_MAX);
}

static void lost_connection_waits_the_interval_plus_jitter(void **state)
{
    uint32_t backoff = 800, at = 0;
    rnd_calls = 0;
    rnd_value = 0;
    assert_true(mzmtp_cl_schedule_retry(100, 1000, false, 5000, rnd_fixed, &backoff, &at));
    assert_int_equal(at, 5100);
    assert_int_equal(backoff, 800); /* not a failed connect: the back-off stays */
    assert_int_equal(rnd_calls, 1);
    rnd_value = 100; /* jitter is 0..interval */
    assert_true(mzmtp_cl_schedule_retry(100, 1000, false, 5000, rnd_fixed, &backoff, &at));
    assert_int_equal(at, 5200);
    rnd_value = 101;
    assert_true(mzmtp_cl_schedule_retry(100, 1000, false, 5000, rnd_fixed, &backoff, &at));
    assert_int_equal(at, 5100);
    rnd_value = 65535; /* random_rand()'s largest */
    assert_true(mzmtp_cl_schedule_retry(100, 1000, false, 5000, rnd_fixed, &backoff, &at));
    assert_int_equal(at, 5000 + 100 + 65535 % 101);
    assert_int_equal(backoff, 800);
}

static void failed_connects_double_the_wait_up_to_the_cap(void **state)
{
    static const uint32_t waits[] = {100, 200, 400, 800, 1000, 1000, 1000};
    uint32_t backoff = mzmtp_cl_backoff_reset(100), at = 0;
    rnd_value = 0;
    for (size_t i = 0; i < sizeof(waits) / sizeof(waits[0]); i++) {
        assert_true(mzmtp_cl_schedule_retry(100, 1000, true, 0, rnd_fixed, &backoff, &at));
        assert_int_equal(at, waits[i]);
        assert_int_equal(backoff, i + 1 < sizeof(waits) / sizeof(waits[0]) ? waits[i + 1]
                                                                          : 1000);
    }
    /* The jitter scales with the wait: up to as much again. */
    rnd_value = 5000;
    assert_true(mzmtp_cl_schedule_retry(100, 1000, true, 0, rnd_fixed, &backoff, &at));
    assert_int_equal(at, 1000 + 5000 % 1001);
    /* A lost connection (after one that came up) waits the plain interval again. */
    rnd_value = 0;
    backoff = mzmtp_cl_backoff_reset(100);
    assert_true(mzmtp_cl_schedule_retry(100, 1000, false, 0, rnd_fixed, &backoff, &at));
    assert_int_equal(at, 100);
    assert_int_equal(backoff, 100);
}

static void cap_not_a_power_of_two_times_the_interval(void **state)
{
    uint32_t backoff = mzmtp_cl_backoff_reset(300), at = 0;
    rnd_value = 0;
    assert_true(mzmtp_cl_schedule_retry(300, 1000, true, 0, rnd_fixed, &backoff, &at));
    assert_int_equal(at, 300);
    assert_int_equal(backoff, 600);
    assert_true(mzmtp_cl_schedule_retry(300, 1000, true, 0, rnd_fixed, &backoff, &at));
    assert_int_equal(at, 600);
    assert_int_equal(backoff, 1000);
    assert_true(mzmtp_cl_schedule_retry(300, 1000, true, 0, rnd_fixed, &backoff, &at));
    assert_int_equal(at, 1000);
    assert_int_equal(backoff, 1000);
}

static void no_doubling_when_the_cap_is_not_above_the_interval(void **state)
{
    static const int32_t caps[] = {0, 50, 100};
    rnd_value = 0;
    for (size_t i = 0; i < 3; i++) {
        uint32_t backoff = mzmtp_cl_backoff_reset(100), at = 0;
        for (int k = 0; k < 4; k++) {
            assert_true(mzmtp_cl_schedule_retry(100, caps[i], true, 0, rnd_fixed, &backoff,
                                                &at));
            assert_int_equal(at, 100);
            assert_int_equal(backoff, 100);
        }
    }
}

static void doubling_stops_at_the_largest_cap_without_overflow(void **state)
{
    uint32_t backoff = mzmtp_cl_backoff_reset(1 << 30), at = 0;
    rnd_value = 0;
    assert_true(mzmtp_cl_schedule_retry(1 << 30, INT32_MAX, true, 0, rnd_fixed, &backoff, &at));
    assert_int_equal(backoff, (uint32_t)INT32_MAX);
    assert_true(mzmtp_cl_schedule_retry(1 << 30, INT32_MAX, true, 0, rnd_fixed, &backoff, &at));
    assert_int_equal(at, (uint32_t)INT32_MAX);
    assert_int_equal(backoff, (uint32_t)INT32_MAX);
}

static void negative_interval_means_no_reconnect(void **state)
{
    uint32_t backoff = 123, at = 456;
    rnd_calls = 0;
    assert_false(mzmtp_cl_schedule_retry(-1, 1000, true, 10, rnd_fixed, &backoff, &at));
    assert_false(mzmtp_cl_schedule_retry(-1, 1000, false, 10, rnd_fixed, &backoff, &at));
    assert_int_equal(backoff, 123);
    assert_int_equal(at, 456);
    assert_int_equal(rnd_calls, 0);
}

static void zero_interval_retries_at_once_without_jitter(void **state)
{
    uint32_t backoff = mzmtp_cl_backoff_reset(0), at = 1;
    rnd_calls = 0;
    rnd_value = 77;
    assert_true(mzmtp_cl_schedule_retry(0, 0, true, 42, rnd_fixed, &backoff, &at));
    assert_int_equal(at, 42);
    assert_true(mzmtp_cl_schedule_retry(0, 0, false, 43, rnd_fixed, &backoff, &at));
    assert_int_equal(at, 43);
    assert_int_equal(backoff, 0);
    assert_int_equal(rnd_calls, 0); /* the random sequence is not consumed */
}

static void retry_time_wraps_and_stays_ordered(void **state)
{
    uint32_t backoff = 100, at = 0, now = UINT32_MAX - 49u;
    rnd_value = 0;
    assert_true(mzmtp_cl_schedule_retry(100, 0, false, now, rnd_fixed, &backoff, &at));
    assert_int_equal(at, 50);
    assert_false(mzmtp_cl_is_due(now, at));
    assert_int_equal(mzmtp_cl_until(now, at), 100);
    assert_true(mzmtp_cl_is_due(now + 100u, at));
}

/* ------------------------------------------------------------------------------------ */
/* Time                                                                                   */
/* ------------------------------------------------------------------------------------ */

static void due_and_until_are_wrap_safe(void **state)
{
    assert_true(mzmtp_cl_is_due(10, 10));
    assert_true(mzmtp_cl_is_due(11, 10));
    assert_false(mzmtp_cl_is_due(9, 10));
    assert_int_equal(mzmtp_cl_until(9, 10), 1);
    assert_int_equal(mzmtp_cl_until(10, 10), 0);
    assert_int_equal(mzmtp_cl_until(11, 10), 0);
    /* Across the wrap. */
    assert_true(mzmtp_cl_is_due(5, UINT32_MAX - 5u));
    assert_int_equal(mzmtp_cl_until(5, UINT32_MAX - 5u), 0);
    assert_false(mzmtp_cl_is_due(UINT32_MAX - 5u, 5));
    assert_int_equal(mzmtp_cl_until(UINT32_MAX - 5u, 5), 11);
    /* Half the range apart: the limit of the comparison. */
    assert_false(mzmtp_cl_is_due(0, 0x7FFFFFFFu));
    assert_int_equal(mzmtp_cl_until(0, 0x7FFFFFFFu), 0x7FFFFFFFu);
    assert_true(mzmtp_cl_is_due(0x7FFFFFFFu, 0));
    assert_false(mzmtp_cl_is_due(0, 0x80000000u)); /* exactly 2^31 ahead: not yet */
    assert_true(mzmtp_cl_is_due(0, 0x80000001u));  /* read as 2^31 - 1 ms ago */
}

static void clock_counts_milliseconds_without_drift(void **state)
{
    mzmtp_cl_clock_t c = {0};
    /* 1000 Hz (native): one tick is one ms. */
    assert_int_equal(mzmtp_cl_clock_add(&c, 1, 1000), 1);
    assert_int_equal(mzmtp_cl_clock_add(&c, 0, 1000), 1);
    assert_int_equal(mzmtp_cl_clock_add(&c, 999, 1000), 1000);
    /* 128 Hz (cc2538): 7.8125 ms per tick; the remainders add up exactly. */
    memset(&c, 0, sizeof(c));
    assert_int_equal(mzmtp_cl_clock_add(&c, 1, 128), 7);
    assert_int_equal(c.rem, 104);
    for (int i = 1; i < 128; i++) (void)mzmtp_cl_clock_add(&c, 1, 128);
    assert_int_equal(c.ms, 1000);
    assert_int_equal(c.rem, 0);
    assert_int_equal(mzmtp_cl_clock_add(&c, 128u * 3600u, 128), 1000u + 3600000u);
    /* A large step (a 64-bit tick delta) and the wrap at 2^32 ms. */
    memset(&c, 0, sizeof(c));
    c.ms = UINT32_MAX - 1u;
    assert_int_equal(mzmtp_cl_clock_add(&c, 3, 1000), 1);
    memset(&c, 0, sizeof(c));
    assert_int_equal(mzmtp_cl_clock_add(&c, (uint64_t)1 << 32, 1000), 0); /* 2^32 ms */
    assert_int_equal(mzmtp_cl_clock_add(&c, ((uint64_t)1 << 32) + 5u, 1000), 5);
}

static void ms_to_ticks_rounds_up_and_caps_at_an_hour(void **state)
{
    assert_int_equal(mzmtp_cl_ms_to_ticks(0, 128), 0);
    assert_int_equal(mzmtp_cl_ms_to_ticks(1, 128), 1);
    assert_int_equal(mzmtp_cl_ms_to_ticks(7, 128), 1);
    assert_int_equal(mzmtp_cl_ms_to_ticks(8, 128), 2); /* 1.024 ticks: never early */
    assert_int_equal(mzmtp_cl_ms_to_ticks(1000, 128), 128);
    assert_int_equal(mzmtp_cl_ms_to_ticks(1000, 1000), 1000);
    assert_int_equal(mzmtp_cl_ms_to_ticks(1, 1000), 1);
    assert_int_equal(mzmtp_cl_ms_to_ticks(MZMTP_CL_TIMER_MAX_MS, 128), 460800);
    assert_int_equal(mzmtp_cl_ms_to_ticks(MZMTP_CL_TIMER_MAX_MS + 1u, 128), 460800);
    assert_int_equal(mzmtp_cl_ms_to_ticks(UINT32_MAX, 1000), MZMTP_CL_TIMER_MAX_MS);
    assert_int_equal(mzmtp_cl_ms_to_ticks(UINT32_MAX, 32768), 117964800u);
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
        cmocka_unit_test(endpoint_connect_takes_an_ipv6_literal_and_port),
        cmocka_unit_test(endpoint_bind_takes_every_wildcard_form),
        cmocka_unit_test(endpoint_port_digits),
        cmocka_unit_test(endpoint_connect_refuses_bind_only_forms),
        cmocka_unit_test(endpoint_refuses_malformed_text),
        cmocka_unit_test(endpoint_address_text_is_at_most_47_characters),
        cmocka_unit_test(endpoint_without_converter_takes_only_wildcards),
        cmocka_unit_test(backoff_starts_at_the_interval),
        cmocka_unit_test(lost_connection_waits_the_interval_plus_jitter),
        cmocka_unit_test(failed_connects_double_the_wait_up_to_the_cap),
        cmocka_unit_test(cap_not_a_power_of_two_times_the_interval),
        cmocka_unit_test(no_doubling_when_the_cap_is_not_above_the_interval),
        cmocka_unit_test(doubling_stops_at_the_largest_cap_without_overflow),
        cmocka_unit_test(negative_interval_means_no_reconnect),
        cmocka_unit_test(zero_interval_retries_at_once_without_jitter),
        cmocka_unit_test(retry_time_wraps_and_stays_ordered),
        cmocka_unit_test(due_and_until_are_wrap_safe),
        cmocka_unit_test(clock_counts_milliseconds_without_drift),
        cmocka_unit_test(ms_to_ticks_rounds_up_and_caps_at_an_hour),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
