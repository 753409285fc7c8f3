/*
 * A socket's timers across many peers (mzmtp_socket_tick(), mzmtp_socket_next_timeout(),
 * mzmtp_port.h), in every build: with the timer heap (MZMTP_CONF_TIMER_HEAP), the cache
 * (MZMTP_CONF_TIMER_CACHE) or the walk of every slot. Each peer's PING or timeout comes
 * at its own deadline, never a millisecond before or after; a deadline that traffic moved
 * later fires nothing early; a closed peer is not ticked; a reused slot gets only its own
 * deadline. Where the test binary wraps mzmtp_conn_tick() (TU_WRAP_CONN_TICK, GNU ld's
 * --wrap, tests/CMakeLists.txt), the heap build also shows that a tick runs the engines
 * of the due peers only.
 */
#include "testutil.h"

/* A type this build has, and the peer type that handshakes with it. */
#if MZMTP_CONF_SOCKET_TYPES & MZMTP_TYPESET_PUB
#define T_TYPE MZMTP_PUB
#define T_PEER "SUB"
#elif MZMTP_CONF_SOCKET_TYPES & MZMTP_TYPESET_SUB
#define T_TYPE MZMTP_SUB
#define T_PEER "PUB"
#elif MZMTP_CONF_SOCKET_TYPES & MZMTP_TYPESET_PUSH
#define T_TYPE MZMTP_PUSH
#define T_PEER "PULL"
#else
#define T_TYPE MZMTP_DEALER
#define T_PEER "DEALER"
#endif

enum { N = MZMTP_CONF_MAX_PEERS < 300 ? MZMTP_CONF_MAX_PEERS : 300 };
MZMTP_SOCKET_MEM_DEFINE_PEERS(mem, 8192, 512, N);
static mzmtp_socket_t s;

/* ---- counting the engines ticked ---- */
/* On Linux the binary links with --wrap=mzmtp_conn_tick (tests/CMakeLists.txt), so every
 * engine tick passes here; the count is checked in the heap builds, where a tick must
 * run exactly the due engines (the walk of the other builds ticks every live slot). */
static unsigned ticked;
#if defined(TU_WRAP_CONN_TICK)
#define COUNTS MZMTP_CONF_TIMER_HEAP
mzmtp_status_t __real_mzmtp_conn_tick(mzmtp_conn_t *conn, uint32_t now_ms);
mzmtp_status_t __wrap_mzmtp_conn_tick(mzmtp_conn_t *conn, uint32_t now_ms);
mzmtp_status_t __wrap_mzmtp_conn_tick(mzmtp_conn_t *conn, uint32_t now_ms)
{
    ticked++;
    return __real_mzmtp_conn_tick(conn, now_ms);
}
#else
#define COUNTS 0
#endif
/* Engines ticked since the last call. */
static unsigned ticks_taken(void)
{
    unsigned n = ticked;
    ticked = 0;
    return n;
}
/* With the heap's count: exactly @p n engines were ticked since the last check. */
static void expect_ticked(unsigned n)
{
    unsigned got = ticks_taken();
    if (COUNTS) assert_int_equal(got, n);
}

static void set_u32(mzmtp_option_t opt, uint32_t v)
{
    TU_ASSERT_STATUS(mzmtp_socket_setopt(&s, opt, &v, sizeof v), MZMTP_OK);
}

/* Open a slot and start its engine at @p now with a handshake deadline @p hs_ivl ms on. */
static int start_peer(uint32_t now, uint32_t hs_ivl)
{
    set_u32(MZMTP_OPT_HANDSHAKE_IVL, hs_ivl);
    int p = -1;
    TU_ASSERT_STATUS(mzmtp_socket_peer_open(&s, false, &p), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_socket_peer_start(&s, p, now), MZMTP_OK);
    return p;
}

/* Everything peer @p p has to send; @return whether a PING command is in it. */
static bool took_ping(int p)
{
    static uint8_t out[2048];
    static const uint8_t ping[] = {4, 'P', 'I', 'N', 'G'};
    size_t n = tu_socket_take_output(&s, p, out, sizeof out);
    return tu_contains(out, n, ping, sizeof ping);
}

#if MZMTP_CONF_HEARTBEAT
/* Peer @p p's side of the handshake, at @p now. */
static void handshake(int p, uint32_t now)
{
    uint8_t buf[256];
    tu_buf_t b = TU_BUF(buf);
    tu_put_handshake(&b, 1, T_PEER);
    TU_ASSERT_STATUS(tu_socket_feed(&s, p, buf, b.len, now), MZMTP_OK);
    assert_false(took_ping(p)); /* the greeting and READY */
}

static void feed_command(int p, const char *name, const uint8_t *data, size_t len, uint32_t now)
{
    uint8_t buf[64];
    tu_buf_t b = TU_BUF(buf);
    tu_put_command(&b, name, data, len);
    TU_ASSERT_STATUS(tu_socket_feed(&s, p, buf, b.len, now), MZMTP_OK);
}
#endif

/* The dead peers, each checked to have timed out, in @p dead[N]; @return how many. */
static unsigned take_dead(bool *dead)
{
    unsigned n = 0;
    for (int p = mzmtp_socket_peer_next_dead(&s, -1); p >= 0; p = mzmtp_socket_peer_next_dead(&s, p)) {
        assert_true(p < N);
        TU_ASSERT_STATUS(mzmtp_socket_peer_status(&s, p), MZMTP_ERR_TIMEOUT);
        dead[p] = true;
        n++;
    }
    return n;
}

/* ---- the whole story of many peers ---- */

enum { EV_PING = 1, EV_DEAD, EV_FEED_PONG, EV_FEED_PING };
typedef struct plan {
    uint32_t at[4];
    uint8_t kind[4];
    unsigned n, next;
} plan_t;

static plan_t plan[N];

static void plan_add(unsigned i, uint32_t at, int kind)
{
    plan[i].at[plan[i].n] = at;
    plan[i].kind[plan[i].n] = (uint8_t)kind;
    plan[i].n++;
}

/* Run every peer's plan: at each planned time T, nothing happens at T - 1; at T the
 * peers planned for T (and only they) send their PING or are reported dead, and the heap
 * build ticks exactly their engines; next_timeout() never points past T. */
static void run_plans(uint32_t now)
{
    static bool dead[N];
    memset(dead, 0, sizeof dead);
    for (;;) {
        uint32_t t = UINT32_MAX, timer = UINT32_MAX; /* the next event, the next timer */
        for (unsigned i = 0; i < N; i++) {
            const plan_t *pl = &plan[i];
            if (pl->next == pl->n) continue;
            if (pl->at[pl->next] < t) t = pl->at[pl->next];
            if (pl->kind[pl->next] <= EV_DEAD && pl->at[pl->next] < timer) timer = pl->at[pl->next];
        }
        if (t == UINT32_MAX) break;
        assert_true(t > now);
        if (timer != UINT32_MAX) assert_true(mzmtp_socket_next_timeout(&s, now) <= timer - now); /* never late */
        /* What the peers send at t goes first (their traffic, then the tick). */
        for (unsigned i = 0; i < N; i++) {
            plan_t *pl = &plan[i];
            if (pl->next == pl->n || pl->at[pl->next] != t) continue;
            if (!MZMTP_CONF_HEARTBEAT) continue;
#if MZMTP_CONF_HEARTBEAT
            if (pl->kind[pl->next] == EV_FEED_PONG) {
                feed_command((int)i, "PONG", NULL, 0, t);
                pl->next++;
            } else if (pl->kind[pl->next] == EV_FEED_PING) {
                static const uint8_t ttl_300ms[] = {0, 3};
                feed_command((int)i, "PING", ttl_300ms, sizeof ttl_300ms, t);
                assert_false(took_ping((int)i)); /* its PONG */
                pl->next++;
            }
#endif
        }
        (void)ticks_taken();
        assert_false(mzmtp_socket_tick(&s, t - 1));
        expect_ticked(0);
        unsigned due = 0;
        for (unsigned i = 0; i < N; i++) {
            if (plan[i].next < plan[i].n && plan[i].at[plan[i].next] == t) due++;
        }
        (void)mzmtp_socket_tick(&s, t);
        expect_ticked(due);
        unsigned ndead = take_dead(dead);
        for (unsigned i = 0; i < N; i++) {
            plan_t *pl = &plan[i];
            bool now_due = pl->next < pl->n && pl->at[pl->next] == t;
            int kind = now_due ? pl->kind[pl->next] : 0;
            if (dead[i]) {
                assert_int_equal(kind, EV_DEAD);
                mzmtp_socket_peer_stop(&s, (int)i, MZMTP_ERR_TIMEOUT);
                dead[i] = false;
                ndead--;
            } else if (mzmtp_socket_peer_live(&s, (int)i)) {
                assert_int_equal(took_ping((int)i), kind == EV_PING);
                assert_true(kind != EV_DEAD);
            }
            if (now_due) pl->next++;
        }
        assert_int_equal(ndead, 0);
        now = t;
    }
    assert_int_equal(mzmtp_socket_peer_count(&s), 0);
    assert_false(mzmtp_socket_tick(&s, now + 100000u));
    assert_int_equal(mzmtp_socket_next_timeout(&s, now + 100000u), UINT32_MAX);
}

#if MZMTP_CONF_HEARTBEAT
/* Every slot the build has (up to 300): a quarter never finish their handshake and time
 * out at their own deadline; the others finish it at times of their own and PING 1000 ms
 * later, then: no answer (timed out 400 ms after the PING); a PONG 100 ms after the PING
 * (the 400 ms timeout is cancelled, the deadline moves to the next PING without the
 * socket being told: nothing fires early, the next PING comes on time, then the
 * timeout); or a PING of their own with a TTL of 300 ms 150 ms after the handshake (an
 * earlier deadline armed by the engine: timed out then). */
static void heartbeats_and_handshakes_of_many_peers_fire_at_their_own_deadlines(void **state)
{
    (void)state;
    tu_socket_init(&s, T_TYPE, &mem);
    set_u32(MZMTP_OPT_HEARTBEAT_IVL, 1000);
    set_u32(MZMTP_OPT_HEARTBEAT_TIMEOUT, 400);
    memset(plan, 0, sizeof plan);
    for (unsigned i = 0; i < N; i++) {
        uint32_t hs_ivl = 2000u + (i * 397u) % 601u;
        assert_int_equal(start_peer(i, hs_ivl), (int)i);
        if (i % 4 == 0) plan_add(i, i + hs_ivl, EV_DEAD);
    }
    (void)ticks_taken();
    assert_false(mzmtp_socket_tick(&s, N)); /* nothing due yet */
    expect_ticked(0);
    for (unsigned i = 0; i < N; i++) {
        if (i % 4 == 0) continue;
        uint32_t h = N + (i * 131u) % 97u; /* some at the same time */
        handshake((int)i, h);
        switch (i % 4) {
        case 1:
            plan_add(i, h + 1000, EV_PING);
            plan_add(i, h + 1400, EV_DEAD);
            break;
        case 2:
            plan_add(i, h + 1000, EV_PING);
            plan_add(i, h + 1100, EV_FEED_PONG);
            plan_add(i, h + 2000, EV_PING);
            plan_add(i, h + 2400, EV_DEAD);
            break;
        default:
            plan_add(i, h + 150, EV_FEED_PING);
            plan_add(i, h + 450, EV_DEAD);
            break;
        }
    }
    run_plans(N + 97); /* after the last handshake */
}
#endif

/* Many peers with handshake deadlines of their own, none at the same time: each tick at
 * one of them ends that peer alone, and the heap build ticks that one engine only, not
 * the hundreds still waiting. */
static void a_tick_runs_the_engines_of_the_due_peers_only(void **state)
{
    (void)state;
    tu_socket_init(&s, T_TYPE, &mem);
    memset(plan, 0, sizeof plan);
    for (unsigned i = 0; i < N; i++) {
        uint32_t hs_ivl = 1000u + ((i * 211u) % N) * 3u - i; /* distinct deadlines, mixed order */
        assert_int_equal(start_peer(i, hs_ivl), (int)i);
        plan_add(i, i + hs_ivl, EV_DEAD);
    }
    run_plans(N);
}

/* A peer stopped with its timer pending is not ticked when that time comes, nor is its
 * slot's next peer (a reused slot gets its own deadline only, later or sooner). */
static void closed_and_reused_slots_get_only_their_own_deadlines(void **state)
{
    (void)state;
    bool dead[N] = {false};
    tu_socket_init(&s, T_TYPE, &mem);
    int p = start_peer(0, 1000);
    mzmtp_socket_peer_stop(&s, p, MZMTP_ERR_CLOSED);
    (void)ticks_taken();
    assert_false(mzmtp_socket_tick(&s, 1000)); /* closed: no tick, no report */
    expect_ticked(0);
    assert_int_equal(mzmtp_socket_next_timeout(&s, 1000), UINT32_MAX);

    /* Reused with a later deadline: the old one passes without a tick. */
    p = start_peer(1100, 1000);
    mzmtp_socket_peer_stop(&s, p, MZMTP_ERR_CLOSED);
    assert_int_equal(start_peer(1200, 5000), p); /* the same slot again */
    assert_false(mzmtp_socket_tick(&s, 2100));
    expect_ticked(0);
    assert_int_equal(mzmtp_socket_next_timeout(&s, 2100), 6200u - 2100u); /* exact again */
    assert_false(mzmtp_socket_tick(&s, 6199));
    expect_ticked(0);
    assert_true(mzmtp_socket_tick(&s, 6200));
    expect_ticked(1);
    assert_int_equal(take_dead(dead), 1);
    assert_true(dead[p]);
    mzmtp_socket_peer_stop(&s, p, MZMTP_ERR_TIMEOUT);

    /* Reused with a sooner deadline: it comes then, not at the old one. */
    p = start_peer(7000, 1000);
    mzmtp_socket_peer_stop(&s, p, MZMTP_ERR_CLOSED);
    assert_int_equal(start_peer(7100, 100), p);
    assert_int_equal(mzmtp_socket_next_timeout(&s, 7100), 100u);
    assert_false(mzmtp_socket_tick(&s, 7199));
    assert_true(mzmtp_socket_tick(&s, 7200));
    assert_int_equal(take_dead(dead), 1);
    mzmtp_socket_peer_stop(&s, p, MZMTP_ERR_TIMEOUT);
    (void)ticks_taken();
    assert_false(mzmtp_socket_tick(&s, 8000)); /* the old entry: gone or passed over */
    expect_ticked(0);
    assert_int_equal(mzmtp_socket_next_timeout(&s, 8000), UINT32_MAX);
}

/* Slots reused many times in a row, each peer closed before its deadline: no stale
 * deadline ever ends a peer, and the entries do not pile up (the heap holds one per
 * slot at most: what is left is ticked at most once each). */
static void slots_reused_many_times_keep_one_deadline_each(void **state)
{
    (void)state;
    TU_NEED_PEERS(2);
    bool dead[N] = {false};
    tu_socket_init(&s, T_TYPE, &mem);
    uint32_t now = 0;
    for (unsigned round = 0; round < 50; round++) {
        int a = start_peer(now, 500u + round);
        int b = start_peer(now, 700u - round);
        mzmtp_socket_peer_stop(&s, a, MZMTP_ERR_CLOSED);
        mzmtp_socket_peer_stop(&s, b, MZMTP_ERR_CLOSED);
        now += 3;
        assert_false(mzmtp_socket_tick(&s, now));
    }
    int a = start_peer(now, 2000);
    int b = start_peer(now, 1500);
    (void)ticks_taken();
    assert_false(mzmtp_socket_tick(&s, now + 1499));
    assert_true(mzmtp_socket_tick(&s, now + 1500));
    expect_ticked(1);
    assert_int_equal(take_dead(dead), 1);
    assert_true(dead[b]);
    mzmtp_socket_peer_stop(&s, b, MZMTP_ERR_TIMEOUT);
    assert_false(mzmtp_socket_tick(&s, now + 1999));
    expect_ticked(0);
    assert_true(mzmtp_socket_tick(&s, now + 2000));
    expect_ticked(1);
    assert_int_equal(take_dead(dead), 1);
    assert_true(dead[a]);
}

/* Deadlines on both sides of the 32-bit wrap of the millisecond clock come in order:
 * the heap compares times as (int32_t)(a - b), as the engines do. */
static void deadlines_across_the_clock_wrap_come_in_order(void **state)
{
    (void)state;
    TU_NEED_PEERS(3);
    bool dead[N] = {false};
    tu_socket_init(&s, T_TYPE, &mem);
    const uint32_t t0 = 0xFFFFFF00u;
    int a = start_peer(t0, 300);      /* due at 0x0000002C, after the wrap */
    int b = start_peer(t0 + 1, 99);   /* 0xFFFFFF64 */
    int c = start_peer(t0 + 2, 198);  /* 0xFFFFFFC8 */
    assert_int_equal(mzmtp_socket_next_timeout(&s, t0 + 2), 98u);
    const struct { int peer; uint32_t at; } order[] = {{b, t0 + 100}, {c, t0 + 200}, {a, t0 + 300}};
    for (unsigned k = 0; k < 3; k++) {
        (void)ticks_taken();
        assert_false(mzmtp_socket_tick(&s, order[k].at - 1));
        assert_true(mzmtp_socket_tick(&s, order[k].at));
        expect_ticked(1);
        assert_int_equal(take_dead(dead), 1);
        assert_true(dead[order[k].peer]);
        dead[order[k].peer] = false;
        mzmtp_socket_peer_stop(&s, order[k].peer, MZMTP_ERR_TIMEOUT);
    }
    assert_int_equal(mzmtp_socket_next_timeout(&s, t0 + 300), UINT32_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#if MZMTP_CONF_HEARTBEAT
        cmocka_unit_test(heartbeats_and_handshakes_of_many_peers_fire_at_their_own_deadlines),
#endif
        cmocka_unit_test(a_tick_runs_the_engines_of_the_due_peers_only),
        cmocka_unit_test(closed_and_reused_slots_get_only_their_own_deadlines),
        cmocka_unit_test(slots_reused_many_times_keep_one_deadline_each),
        cmocka_unit_test(deadlines_across_the_clock_wrap_come_in_order),
    };
    return cmocka_run_group_tests_name("timerq", tests, NULL, NULL);
}
