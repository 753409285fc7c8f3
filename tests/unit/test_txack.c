/*
 * Written versus acknowledged output (MZMTP_CONF_TX_ACK): an engine whose port hands
 * stable vectors to a stack that keeps pointers until the peer acknowledges them (lwIP's
 * tcp_write without TCP_WRITE_FLAG_COPY). Engine A writes from a send ring; the "stack"
 * below delivers A's bytes to engine B at once, keeps the pointers of stable vectors and
 * a copy of what they pointed at, and acknowledges later, in pieces.
 */
#include "testutil.h"

static mzmtp_outq_t q;
static uint8_t ring[256];
static mzmtp_conn_t a, b;
static uint8_t rxa[512], rxb[512];
static tu_log_t la, lb;

/* A copying port (every build): output_done() releases ring bytes at once. */
static void output_done_releases_ring_bytes_at_once(void **state)
{
    mzmtp_conn_opts_t o = tu_conn_opts();
    mzmtp_outq_init(&q, ring, sizeof ring);
    mzmtp_outq_pipe_attach(&q, 0);
    tu_log_init(&la);
    tu_log_init(&lb);
    TU_ASSERT_STATUS(tu_conn_init(&a, MZMTP_PUSH, &o, rxa, sizeof rxa, &q, 0, 0), MZMTP_OK);
    TU_ASSERT_STATUS(tu_conn_init(&b, MZMTP_PULL, &o, rxb, sizeof rxb, NULL, 0, 0), MZMTP_OK);
    for (int i = 0; i < 3; i++) {
        (void)tu_conn_drain_output(&a, &la);
        (void)tu_conn_drain_output(&b, &lb);
        TU_ASSERT_STATUS(tu_conn_feed(&b, &lb, la.out, la.out_len, TU_WHOLE, 0, 0), MZMTP_OK);
        TU_ASSERT_STATUS(tu_conn_feed(&a, &la, lb.out, lb.out_len, TU_WHOLE, 0, 0), MZMTP_OK);
        tu_log_clear_out(&la);
        tu_log_clear_out(&lb);
    }
    assert_int_equal(mzmtp_conn_state(&a), MZMTP_CONN_READY);
    tu_outq_begin(&q, 1);
    TU_ASSERT_STATUS(mzmtp_outq_add_frame(&q, (const uint8_t *)"hello", 5, false), MZMTP_OK);
    assert_true(mzmtp_outq_room(&q) < sizeof ring);
    assert_int_equal(tu_conn_drain_output(&a, &la), 7);
    assert_int_equal(mzmtp_outq_room(&q), sizeof ring);
    TU_ASSERT_HEX(la.out, la.out_len, "00 05 'hello'");
}

#if MZMTP_CONF_TX_ACK

#define HELD 256
static struct {
    const uint8_t *base;
    size_t len;
    uint8_t copy[256];
} held[HELD];
static size_t nheld, unacked, copied_written, stable_written;

/* Every byte the stack holds a pointer to is still what it was when written. */
static void check_held(void)
{
    for (size_t i = 0; i < nheld; i++)
        if (held[i].len) TU_ASSERT_BYTES(held[i].base, held[i].len, held[i].copy, held[i].len);
}

/* B's output (its greeting, READY, ...) goes to A, as a copying transport would. */
static void b_to_a(void)
{
    TU_ASSERT_STATUS(tu_conn_feed(&a, &la, lb.out, lb.out_len, TU_WHOLE, 0, 0), MZMTP_OK);
    tu_log_clear_out(&lb);
}

/* The stack takes up to @p max bytes of A's output: stable vectors by pointer (kept),
 * others copied. @return bytes taken. */
static size_t stack_write(size_t max)
{
    mzmtp_iov_t iov[8];
    size_t n = mzmtp_conn_output(&a, iov, 8), total = 0;
    for (size_t i = 0; i < n && total < max; i++) {
        size_t k = iov[i].len < max - total ? iov[i].len : max - total;
        if (iov[i].stable) {
            assert_true(nheld < HELD && k <= sizeof held[0].copy);
            held[nheld].base = iov[i].base;
            held[nheld].len = k;
            memcpy(held[nheld].copy, iov[i].base, k);
            nheld++;
            stable_written += k;
        } else {
            copied_written += k;
        }
        TU_ASSERT_STATUS(tu_conn_feed(&b, &lb, iov[i].base, k, TU_WHOLE, 0, 0), MZMTP_OK);
        total += k;
    }
    if (total) mzmtp_conn_output_written(&a, total);
    unacked += total;
    check_held();
    return total;
}

/* The stack lets go of the next @p n bytes (copied or not). */
static void stack_ack(size_t n)
{
    check_held();
    mzmtp_conn_output_acked(&a, n);
    unacked -= n;
    /* Held pointers are only ever in stream order behind copied bytes; drop them all once
     * nothing is unacknowledged (finer bookkeeping is the outq model's job). */
    if (unacked == 0) nheld = 0;
}

static void setup(int type_a, int type_b)
{
    mzmtp_conn_opts_t o = tu_conn_opts();
    mzmtp_outq_init(&q, ring, sizeof ring);
    mzmtp_outq_pipe_attach(&q, 0);
    tu_log_init(&la);
    tu_log_init(&lb);
    la.link_output = true; /* A's output moves only through the stack above */
    nheld = unacked = copied_written = stable_written = 0;
    TU_ASSERT_STATUS(tu_conn_init(&a, type_a, &o, rxa, sizeof rxa, &q, 0, 0), MZMTP_OK);
    TU_ASSERT_STATUS(tu_conn_init(&b, type_b, &o, rxb, sizeof rxb, NULL, 0, 0), MZMTP_OK);
    (void)tu_conn_drain_output(&b, &lb);
    b_to_a();
    while (stack_write((size_t)-1) > 0) {
    }
    b_to_a();
    assert_int_equal(mzmtp_conn_state(&a), MZMTP_CONN_READY);
    assert_int_equal(mzmtp_conn_state(&b), MZMTP_CONN_READY);
    assert_int_equal(stable_written, 0); /* greeting and READY are copied */
    stack_ack(unacked);
}

static void queue(const char *s)
{
    tu_outq_begin(&q, 1);
    TU_ASSERT_STATUS(mzmtp_outq_add_frame(&q, (const uint8_t *)s, strlen(s), false), MZMTP_OK);
}

static void greeting_and_commands_are_copied_messages_are_stable(void **state)
{
    setup(MZMTP_PUSH, MZMTP_PULL);
    queue("hello");
    stable_written = 0;
    assert_int_equal(stack_write((size_t)-1), 7);
    assert_int_equal(stable_written, 7);
    assert_int_equal(tu_log_count(&lb, MZMTP_CONN_EV_MESSAGE), 1);
}

static void ring_slot_is_reused_only_after_acknowledgement(void **state)
{
    setup(MZMTP_PUSH, MZMTP_PULL);
    unsigned k = 0;
    while (mzmtp_outq_can_take(&q, 20)) {
        queue("0123456789abcdefghij");
        k++;
    }
    size_t w = 0;
    for (size_t got; (got = stack_write((size_t)-1)) > 0;) w += got;
    assert_int_equal(w, 22u * k);
    assert_int_equal(tu_log_count(&lb, MZMTP_CONN_EV_MESSAGE), k);
    assert_false(mzmtp_outq_can_take(&q, 20)); /* written, not acknowledged: still full */
    stack_ack(21);
    assert_false(mzmtp_outq_can_take(&q, 20));
    check_held();
    stack_ack(1); /* the first message is acknowledged: its room comes back */
    assert_true(mzmtp_outq_can_take(&q, 20));
    stack_ack(unacked);
    assert_int_equal(mzmtp_outq_room(&q), sizeof ring);
}

/* Commands between messages: the acknowledgements must be split between ring bytes and
 * copied ones exactly, one byte at a time. */
static void acknowledgements_split_ring_and_command_bytes_exactly(void **state)
{
    setup(MZMTP_SUB, MZMTP_PUB); /* A (SUB) sends subscriptions as commands */
    static const size_t msg = 2 + 10, sub = 2 + 10 + 4;
    /* Two rounds: 4 runs in flight, as many as the engine tells apart. */
    for (int round = 0; round < 2; round++) {
        queue("0123456789");
        (void)stack_write((size_t)-1);
        TU_ASSERT_STATUS(mzmtp_conn_send_subscription(&a, (const uint8_t *)"topi", 4, true), MZMTP_OK);
        (void)stack_write((size_t)-1);
    }
    assert_int_equal(unacked, 2 * (msg + sub));
    /* q.count: messages the ring still keeps (a private field, read for the test). */
    for (uint32_t round = 0; round < 2; round++) {
        for (size_t i = 0; i < msg; i++) {
            assert_int_equal(q.count, 2 - round); /* not yet released */
            stack_ack(1);
        }
        assert_int_equal(q.count, 1 - round); /* its last byte acknowledged: freed */
        for (size_t i = 0; i < sub; i++) {
            stack_ack(1);
            assert_int_equal(q.count, 1 - round);
        }
    }
    assert_int_equal(mzmtp_outq_room(&q), sizeof ring);
}

/* More alternations in flight than the engine keeps runs for: ring bytes are then
 * released late (once everything is acknowledged), never early. */
static void more_alternations_than_runs_release_late_never_early(void **state)
{
    setup(MZMTP_SUB, MZMTP_PUB);
    for (int round = 0; round < 6; round++) {
        queue("0123456789");
        (void)stack_write((size_t)-1);
        TU_ASSERT_STATUS(mzmtp_conn_send_subscription(&a, (const uint8_t *)"t", 1, true), MZMTP_OK);
        (void)stack_write((size_t)-1);
    }
    size_t total = unacked;
    for (size_t i = 0; i + 1 < total; i++) {
        stack_ack(1);
        check_held(); /* never reused while held */
    }
    assert_true(q.count > 0); /* released late... */
    stack_ack(1);                /* ...once everything is acknowledged */
    assert_int_equal(mzmtp_outq_room(&q), sizeof ring);
}

/* A stack that reports more than was written: everything is released, nothing breaks. */
static void acknowledging_too_much_counts_as_all(void **state)
{
    setup(MZMTP_PUSH, MZMTP_PULL);
    queue("abc");
    (void)stack_write((size_t)-1);
    mzmtp_conn_output_acked(&a, 1000000);
    unacked = 0;
    nheld = 0;
    assert_int_equal(mzmtp_outq_room(&q), sizeof ring);
    queue("def");
    assert_int_equal(stack_write((size_t)-1), 5);
}

/* A message written in pieces, each acknowledged before the next. */
static void partial_writes_and_acknowledgements(void **state)
{
    setup(MZMTP_PUSH, MZMTP_PULL);
    queue("0123456789abcdefghij");
    size_t w;
    while ((w = stack_write(3)) > 0) {
        assert_true(mzmtp_outq_room(&q) < sizeof ring);
        stack_ack(w);
    }
    assert_int_equal(tu_log_count(&lb, MZMTP_CONN_EV_MESSAGE), 1);
    assert_int_equal(mzmtp_outq_room(&q), sizeof ring);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(output_done_releases_ring_bytes_at_once),
#if MZMTP_CONF_TX_ACK
        cmocka_unit_test(greeting_and_commands_are_copied_messages_are_stable),
        cmocka_unit_test(ring_slot_is_reused_only_after_acknowledgement),
        cmocka_unit_test(acknowledgements_split_ring_and_command_bytes_exactly),
        cmocka_unit_test(more_alternations_than_runs_release_late_never_early),
        cmocka_unit_test(acknowledging_too_much_counts_as_all),
        cmocka_unit_test(partial_writes_and_acknowledgements),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
