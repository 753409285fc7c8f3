/*
 * The socket's timer heap (MZMTP_CONF_TIMER_HEAP): a binary min-heap of (deadline, peer)
 * entries, at most one per peer slot, so that mzmtp_socket_tick() costs O(log n) per due
 * peer instead of a walk of every slot. It has no memory of its own (the core allocates
 * nothing): entry i lives in peer slot i of the application's array
 * (mzmtp_socket_private.h), so the heap holds as many entries as the socket has slots.
 * Entries stay below nused: a slot is cleared only when it is first taken (index nused),
 * which no entry uses yet.
 *
 * An entry is a lower bound of its peer's timers, never later than them: timer_note()
 * lowers it whenever the engine may have armed a timer (socket.c calls it where
 * MZMTP_CONF_TIMER_CACHE lowered its earliest time), and nothing raises it but the run,
 * after asking the engine. Traffic moves a heartbeat later silently, a slot's peer may
 * close or be replaced by another: a due entry is therefore asked again
 * (mzmtp_conn_next_timeout()), and its engine ticked only if it really is due; otherwise
 * the entry moves to the engine's deadline, or goes if the slot has no live engine or
 * no timer. Time comparisons are wrap-safe: (int32_t)(a - b) < 0.
 */
#include "timerq.h"

#if MZMTP_CONF_TIMER_HEAP

static bool before(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }

/* Entry (@p at, @p p) at heap position @p i. */
static void put(mzmtp_socket_t *s, unsigned i, uint32_t at, unsigned p)
{
    s->peer[i].tq_at = at;
    s->peer[i].tq_peer = (uint16_t)p;
    s->peer[p].tq_pos = (uint16_t)(i + 1u);
}

/* Place (@p at, @p p) at position @p i or above it (its key came down). */
static void sift_up(mzmtp_socket_t *s, unsigned i, uint32_t at, unsigned p)
{
    while (i > 0) {
        unsigned up = (i - 1u) / 2u;
        if (!before(at, s->peer[up].tq_at)) break;
        put(s, i, s->peer[up].tq_at, s->peer[up].tq_peer);
        i = up;
    }
    put(s, i, at, p);
}

/* Place (@p at, @p p) at position @p i or below it (its key went up, or it replaces the
 * entry there). */
static void sift_down(mzmtp_socket_t *s, unsigned i, uint32_t at, unsigned p)
{
    unsigned n = s->tq_len;
    for (;;) {
        unsigned c = 2u * i + 1u;
        if (c >= n) break;
        if (c + 1u < n && before(s->peer[c + 1u].tq_at, s->peer[c].tq_at)) c++;
        if (!before(s->peer[c].tq_at, at)) break;
        put(s, i, s->peer[c].tq_at, s->peer[c].tq_peer);
        i = c;
    }
    put(s, i, at, p);
}

/* Remove the earliest entry. */
static void pop(mzmtp_socket_t *s)
{
    s->peer[s->peer[0].tq_peer].tq_pos = 0;
    unsigned n = --s->tq_len;
    if (n > 0) sift_down(s, 0, s->peer[n].tq_at, s->peer[n].tq_peer);
}

void mzmtp_sk_timer_note(mzmtp_socket_t *s, unsigned p)
{
    uint32_t u = mzmtp_conn_next_timeout(&s->peer[p].conn, s->now);
    if (u == UINT32_MAX) return; /* no timer: a lower bound already there may stay */
    uint32_t at = s->now + u;
    unsigned pos = s->peer[p].tq_pos;
    if (pos == 0) {
        sift_up(s, s->tq_len++, at, p);
    } else if (before(at, s->peer[pos - 1u].tq_at)) {
        sift_up(s, pos - 1u, at, p);
    }
}

/* Tick peer @p p's engine, which is due. @return ms until it is to be looked at again,
 * UINT32_MAX for never (it failed: in the dead set, for the port to close). */
static uint32_t run_engine(mzmtp_socket_t *s, unsigned p, uint32_t now_ms)
{
    mzmtp_peer_t *slot = &s->peer[p];
    mzmtp_status_t st = mzmtp_conn_tick(&slot->conn, now_ms);
    if (st != MZMTP_OK) {
        CHANGED(s, p); /* an ERROR to send */
        slot->dead_why = st;
        mzmtp_peerset_add(&s->dead, p);
        return UINT32_MAX;
    }
    if (MZMTP_CONF_PEER_CHANGES && mzmtp_conn_has_output(&slot->conn)) CHANGED(s, p); /* a PING */
    /* Still due (a PING that found no room waits for output_done(), which notes the
     * timer again): looked at 1 ms on, not again in this run. */
    uint32_t u = mzmtp_conn_next_timeout(&slot->conn, now_ms);
    return u == 0 ? 1u : u;
}

void mzmtp_sk_timer_run(mzmtp_socket_t *s, uint32_t now_ms)
{
    while (s->tq_len > 0 && !before(now_ms, s->peer[0].tq_at)) {
        unsigned p = s->peer[0].tq_peer;
        const mzmtp_peer_t *slot = &s->peer[p];
        uint32_t u = UINT32_MAX; /* no live engine: the entry goes */
        if (slot->state == MZMTP_PEER_LIVE && !HAS_PEER(s->dead, p)) {
            u = mzmtp_conn_next_timeout(&slot->conn, now_ms);
            /* (a failed engine has no timer left but is reported, as by the walk) */
            if (u == 0 || slot->conn.state == MZMTP_CONN_DEAD) u = run_engine(s, p, now_ms);
        }
        if (u == UINT32_MAX) {
            pop(s);
        } else {
            sift_down(s, 0, now_ms + u, p); /* later than before: it goes down */
        }
    }
}

uint32_t mzmtp_sk_timer_wait(const mzmtp_socket_t *s, uint32_t now_ms)
{
    if (s->tq_len == 0) return UINT32_MAX;
    int32_t d = (int32_t)(s->peer[0].tq_at - now_ms);
    return d <= 0 ? 0u : (uint32_t)d;
}

#else
typedef int mzmtp_timerq_unused_t; /* ISO C: a translation unit is not empty */
#endif
