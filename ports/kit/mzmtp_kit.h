/**
 * @file mzmtp_kit.h
 * @brief The port kit: what every port of microzmtp decides the same way, whatever its
 *        TCP/IP stack. Sans-I/O: no stack call, no clock, no random source of its own.
 *
 * A port (ports/posix, ports/contiki-ng, ports/lwip) is its stack's glue (sockets or
 * pcbs, callbacks, timers) around these pieces:
 *  - time: wrap-safe millisecond comparisons, a tick-to-ms clock, the next wait;
 *  - endpoints: the text `tcp://HOST:PORT`, split into a host for the stack's own
 *    address parser and a port number;
 *  - reconnects: libzmq's RECONNECT_IVL / RECONNECT_IVL_MAX schedule with its jitter,
 *    and the statuses that end an endpoint for good (wire-notes R1, R2);
 *  - an endpoint record (bind or connect, its state, its peer slot, its schedule) with
 *    its lifecycle: connect takes a keep_queue slot, up, lost, failed, stopped, freed;
 *  - a socket record: linger on close, readiness edges (what to tell the application);
 *  - the peer lifecycle in the core: feed received bytes (rx_space / rx_commit), copy
 *    output for a copying stack (output / output_done), walk dead peers after tick;
 *  - the input stage: bytes a stack could not leave where they were (uIP), kept until
 *    the engine has room.
 *
 * It calls the core (mzmtp_port.h), never the stack, so tests/unit/test_port_kit.c runs
 * every piece on the host with bytes and times in memory. C99, no heap, no globals.
 * Every pointer parameter is borrowed for the call unless said otherwise.
 */
#ifndef MZMTP_KIT_H
#define MZMTP_KIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <microzmtp/mzmtp_port.h>

/* ------------------------------------------------------------------------------------ */
/* Time: milliseconds that wrap at 2^32. Inline: ports call them with constants         */
/* (Contiki-NG's CLOCK_SECOND), which the compiler folds.                                */
/* ------------------------------------------------------------------------------------ */

/** @return true when @p t is @p now or earlier (wrap-safe: within 2^31 ms). */
static inline bool mzmtp_kit_is_due(uint32_t now, uint32_t t)
{
    return (int32_t)(now - t) >= 0;
}

/** @return Milliseconds from @p now to @p t; 0 when due. */
static inline uint32_t mzmtp_kit_until(uint32_t now, uint32_t t)
{
    return mzmtp_kit_is_due(now, t) ? 0u : t - now;
}

/** Lower @p *wait (ms, UINT32_MAX: none) to the time left until @p t. */
static inline void mzmtp_kit_wait_for(uint32_t *wait, uint32_t now, uint32_t t)
{
    uint32_t left = mzmtp_kit_until(now, t);
    if (left < *wait) {
        *wait = left;
    }
}

/** Milliseconds counted from clock ticks, without losing the remainders. */
typedef struct mzmtp_kit_clock {
    uint32_t ms;  /**< Milliseconds so far; wraps at 2^32. */
    uint32_t rem; /**< Ticks*1000 not yet a whole millisecond (< hz). */
} mzmtp_kit_clock_t;

/** Add @p ticks clock ticks at @p hz ticks per second (hz > 0). @return the new ms. */
static inline uint32_t mzmtp_kit_clock_add(mzmtp_kit_clock_t *c, uint64_t ticks, uint32_t hz)
{
    uint64_t x = ticks * 1000u + c->rem;
    c->ms += (uint32_t)(x / hz);
    c->rem = (uint32_t)(x % hz);
    return c->ms;
}

/** Longest timer a port sets, ms (it wakes up and sets it again). */
#define MZMTP_KIT_TIMER_MAX_MS 3600000u

/** @return Ticks (at @p hz per second) of a wait of @p ms, at most MZMTP_KIT_TIMER_MAX_MS,
 *          rounded up: the timer never fires early. */
static inline uint64_t mzmtp_kit_ms_to_ticks(uint32_t ms, uint32_t hz)
{
    if (ms > MZMTP_KIT_TIMER_MAX_MS) {
        ms = MZMTP_KIT_TIMER_MAX_MS;
    }
    return ((uint64_t)ms * hz + 999u) / 1000u;
}

/* ------------------------------------------------------------------------------------ */
/* Endpoint text                                                                          */
/* ------------------------------------------------------------------------------------ */

/**
 * Split "tcp://HOST:PORT". HOST is what stands before the last ':', without the brackets
 * of `[IPv6]`; it is copied NUL-terminated into @p host for the stack's own parser
 * (names, IPv4 or IPv6: the port decides what it takes). `*` is copied as is: the
 * wildcard address, bind only. PORT is 1..65535 in at most 5 decimal digits; on bind
 * also `*` or 0 (both give 0: the port picks one; wire-notes T2).
 * @param[in]  endpoint  NUL-terminated text.
 * @param[in]  bind      true for a bind, false for a connect.
 * @param[out] host      @p host_cap bytes; written on success.
 * @param[out] port      Host order; written on success.
 * @return MZMTP_OK, or MZMTP_ERR_INVALID (NULL, not tcp://, empty or too long host,
 *         unbalanced brackets, bad port, `*` or port 0 on connect).
 */
MZMTP_NODISCARD mzmtp_status_t mzmtp_kit_parse_tcp(const char *endpoint, bool bind,
                                                   char *host, size_t host_cap,
                                                   uint16_t *port);

/** @return true when HOST (from mzmtp_kit_parse_tcp()) is the wildcard `*`. */
static inline bool mzmtp_kit_host_is_any(const char *host)
{
    return host[0] == '*' && host[1] == '\0';
}

/** @return true when the @p n bytes at @p addr are all zero (the unspecified address,
 *          which a connect refuses). */
static inline bool mzmtp_kit_zero(const uint8_t *addr, size_t n)
{
    uint8_t any = 0;
    for (size_t i = 0; i < n; i++) {
        any |= addr[i];
    }
    return any == 0;
}

/* ------------------------------------------------------------------------------------ */
/* Reconnect policy (wire-notes R1, R2)                                                   */
/* ------------------------------------------------------------------------------------ */

/** The port's reconnect settings and the state of its jitter (xorshift32: spreads the
 *  clients of one server, nothing secret). */
typedef struct mzmtp_kit_reconnect {
    int32_t ivl_ms;     /**< RECONNECT_IVL: negative, no reconnect. */
    int32_t ivl_max_ms; /**< RECONNECT_IVL_MAX: failed connects double up to it; 0 none. */
    uint32_t rand;      /**< Jitter state, never 0. */
} mzmtp_kit_reconnect_t;

/** Change the intervals (mzmtp_*_set_reconnect()); the jitter state stays. */
static inline void mzmtp_kit_reconnect_set(mzmtp_kit_reconnect_t *r, int32_t ivl_ms,
                                           int32_t ivl_max_ms)
{
    r->ivl_ms = ivl_ms < 0 ? -1 : ivl_ms;
    r->ivl_max_ms = ivl_max_ms;
}

/** Set up @p r: @p ivl_ms (negative: off), @p ivl_max_ms, and a @p seed the port takes
 *  from its platform (time, address, a random source); any value, 0 included. */
static inline void mzmtp_kit_reconnect_init(mzmtp_kit_reconnect_t *r, int32_t ivl_ms,
                                            int32_t ivl_max_ms, uint32_t seed)
{
    mzmtp_kit_reconnect_set(r, ivl_ms, ivl_max_ms);
    r->rand = seed ^ 0x9E3779B9u;
    if (r->rand == 0) {
        r->rand = 1; /* xorshift's one fixed point */
    }
}

/** @return The back-off of an endpoint before its first failed connect and after a
 *          connection came up: RECONNECT_IVL (0 when reconnects are off). */
static inline uint32_t mzmtp_kit_backoff_reset(const mzmtp_kit_reconnect_t *r)
{
    return r->ivl_ms < 0 ? 0u : (uint32_t)r->ivl_ms;
}

/**
 * When to try again (libzmq's stream_connecter_base): the back-off plus a random
 * 0..RECONNECT_IVL. A lost connection starts from RECONNECT_IVL again; a failed connect
 * (@p failed_connect) uses the current back-off, which then doubles up to
 * RECONNECT_IVL_MAX when that is above RECONNECT_IVL.
 * @param[in,out] backoff_ms The endpoint's back-off.
 * @param[out]    retry_at   @p now plus the wait (wraps).
 * @return false when reconnects are off (nothing written).
 */
bool mzmtp_kit_reconnect_next(mzmtp_kit_reconnect_t *r, uint32_t now, bool failed_connect,
                              uint32_t *backoff_ms, uint32_t *retry_at);

/* ------------------------------------------------------------------------------------ */
/* Endpoint records                                                                       */
/* ------------------------------------------------------------------------------------ */

/** mzmtp_kit_ep_t.kind */
enum { MZMTP_KIT_EP_FREE = 0, MZMTP_KIT_EP_BIND, MZMTP_KIT_EP_CONNECT };
/** mzmtp_kit_ep_t.state: a connect goes WAIT → CONNECTING → UP, back to WAIT after a
 *  loss, STOPPED for good (closing, reconnects off, protocol error); a bind is UP,
 *  PAUSED while it rests (mzmtp_kit_ep_pause(): the process is out of descriptors), or
 *  STOPPED once it stops listening. */
enum { MZMTP_KIT_WAIT = 0, MZMTP_KIT_CONNECTING, MZMTP_KIT_UP, MZMTP_KIT_STOPPED,
       MZMTP_KIT_PAUSED };

/** What a port keeps of each bound or connecting endpoint besides its stack's address
 *  (which the port's own record holds next to this one). Zeroed: free. */
typedef struct mzmtp_kit_ep {
    mzmtp_socket_t *sock; /**< Borrowed until the record is freed. */
    uint32_t retry_at;    /**< CONNECT, WAIT: the next attempt (ms); CONNECTING: the end
                               of the attempt's step, if the port set one
                               (mzmtp_kit_ep_step()); BIND, PAUSED: the end of the rest. */
    uint32_t backoff_ms;  /**< CONNECT: the current back-off. */
    int32_t peer;         /**< CONNECT: the socket's keep_queue slot, or -1. */
    uint16_t port;        /**< Host order: as given (connect) or as bound. */
    uint8_t kind;         /**< MZMTP_KIT_EP_*. */
    uint8_t state;        /**< MZMTP_KIT_WAIT, ... */
} mzmtp_kit_ep_t;

/** Record a bound endpoint (listening on @p port) of @p sock. */
static inline void mzmtp_kit_ep_bind(mzmtp_kit_ep_t *e, mzmtp_socket_t *sock, uint16_t port)
{
    memset(e, 0, sizeof(*e));
    e->sock = sock;
    e->peer = -1;
    e->port = port;
    e->kind = MZMTP_KIT_EP_BIND;
    e->state = MZMTP_KIT_UP;
}

/**
 * Record a connecting endpoint: it takes a keep_queue peer slot of @p sock for good
 * (messages sent while disconnected wait for it, wire-notes R4) and is due at @p now.
 * @return MZMTP_OK, or mzmtp_socket_peer_open()'s MZMTP_ERR_LIMIT / MZMTP_ERR_STATE
 *         (@p e is left free).
 */
MZMTP_NODISCARD mzmtp_status_t mzmtp_kit_ep_connect(mzmtp_kit_ep_t *e, mzmtp_socket_t *sock,
                                                    uint16_t port,
                                                    const mzmtp_kit_reconnect_t *r,
                                                    uint32_t now);

/** @return true when @p e is a connect whose next attempt is due: the port starts one
 *          and calls mzmtp_kit_ep_attempt() (or mzmtp_kit_ep_down() if it failed at once). */
static inline bool mzmtp_kit_ep_due(const mzmtp_kit_ep_t *e, uint32_t now)
{
    return e->kind == MZMTP_KIT_EP_CONNECT && e->state == MZMTP_KIT_WAIT &&
           mzmtp_kit_is_due(now, e->retry_at);
}

/** An attempt is under way. */
static inline void mzmtp_kit_ep_attempt(mzmtp_kit_ep_t *e)
{
    e->state = MZMTP_KIT_CONNECTING;
}

/** The connection is up: the back-off starts again from RECONNECT_IVL, and the monitor
 *  gets MZMTP_EV_CONNECTED. The port then starts the peer (mzmtp_socket_peer_start()). */
static inline void mzmtp_kit_ep_up(mzmtp_kit_ep_t *e, const mzmtp_kit_reconnect_t *r)
{
    e->state = MZMTP_KIT_UP;
    e->backoff_ms = mzmtp_kit_backoff_reset(r);
    mzmtp_socket_notify(e->sock, MZMTP_EV_CONNECTED, (int)e->peer, MZMTP_OK);
}

/**
 * The endpoint's connection ended (@p why), or its attempt failed (@p failed_connect).
 * It waits for the next attempt (monitor: MZMTP_EV_CONNECT_RETRY), or — reconnects off,
 * or a status that a retry would only meet again (mzmtp_status_allows_reconnect(),
 * wire-notes R2) — stops for good and gives its peer slot back, queue included.
 * Call it after mzmtp_socket_peer_stop() of that slot. Nothing happens to a stopped
 * endpoint (the socket is closing).
 * @return true when a retry is scheduled.
 */
bool mzmtp_kit_ep_down(mzmtp_kit_ep_t *e, mzmtp_kit_reconnect_t *r, uint32_t now,
                       mzmtp_status_t why, bool failed_connect);

/**
 * A port that tries several addresses per attempt (a name with IPv6 and IPv4 addresses)
 * gives the current one until @p now + @p step_ms before the next takes over; the
 * endpoint stays CONNECTING. mzmtp_kit_ep_step_due() says when that time is up.
 */
static inline void mzmtp_kit_ep_step(mzmtp_kit_ep_t *e, uint32_t now, uint32_t step_ms)
{
    e->state = MZMTP_KIT_CONNECTING;
    e->retry_at = now + step_ms;
}

/** @return true when @p e is CONNECTING and the step set by mzmtp_kit_ep_step() is up. */
static inline bool mzmtp_kit_ep_step_due(const mzmtp_kit_ep_t *e, uint32_t now)
{
    return e->kind == MZMTP_KIT_EP_CONNECT && e->state == MZMTP_KIT_CONNECTING &&
           mzmtp_kit_is_due(now, e->retry_at);
}

/**
 * A listening endpoint rests for @p ms: the stack has no resource left to accept with
 * (POSIX: EMFILE), and a listener that stays readable would wake the loop for ever. The
 * port stops watching it until mzmtp_kit_ep_resume() says the rest is over; it never
 * stops listening for good on this account.
 */
static inline void mzmtp_kit_ep_pause(mzmtp_kit_ep_t *e, uint32_t now, uint32_t ms)
{
    if (e->kind == MZMTP_KIT_EP_BIND && e->state == MZMTP_KIT_UP) {
        e->state = MZMTP_KIT_PAUSED;
        e->retry_at = now + ms;
    }
}

/** @return true when the rest of a paused bind just ended (@p e is UP again). */
static inline bool mzmtp_kit_ep_resume(mzmtp_kit_ep_t *e, uint32_t now)
{
    if (e->kind != MZMTP_KIT_EP_BIND || e->state != MZMTP_KIT_PAUSED ||
        !mzmtp_kit_is_due(now, e->retry_at)) {
        return false;
    }
    e->state = MZMTP_KIT_UP;
    return true;
}

/** Lower @p *wait to every timer of @p e: the next attempt (as mzmtp_kit_ep_wait()),
 *  the end of a step of mzmtp_kit_ep_step() when @p stepped, the end of a rest. */
static inline void mzmtp_kit_ep_wait_all(const mzmtp_kit_ep_t *e, uint32_t now, bool stepped,
                                         uint32_t *wait)
{
    if ((e->kind == MZMTP_KIT_EP_CONNECT &&
         (e->state == MZMTP_KIT_WAIT || (stepped && e->state == MZMTP_KIT_CONNECTING))) ||
        (e->kind == MZMTP_KIT_EP_BIND && e->state == MZMTP_KIT_PAUSED)) {
        mzmtp_kit_wait_for(wait, now, e->retry_at);
    }
}

/** Stop @p e: no more attempts (a bind: the port stops listening). */
static inline void mzmtp_kit_ep_stop(mzmtp_kit_ep_t *e)
{
    e->state = MZMTP_KIT_STOPPED;
}

/** Free @p e: a connect gives its peer slot back (mzmtp_socket_peer_release()). */
static inline void mzmtp_kit_ep_free(mzmtp_kit_ep_t *e)
{
    if (e->kind == MZMTP_KIT_EP_CONNECT && e->peer >= 0) {
        mzmtp_socket_peer_release(e->sock, (int)e->peer);
    }
    memset(e, 0, sizeof(*e));
}

/** Lower @p *wait to @p e's next attempt, if it waits for one. */
static inline void mzmtp_kit_ep_wait(const mzmtp_kit_ep_t *e, uint32_t now, uint32_t *wait)
{
    if (e->kind == MZMTP_KIT_EP_CONNECT && e->state == MZMTP_KIT_WAIT) {
        mzmtp_kit_wait_for(wait, now, e->retry_at);
    }
}

/* ------------------------------------------------------------------------------------ */
/* Socket records: linger and readiness                                                   */
/* ------------------------------------------------------------------------------------ */

/** What a port keeps of each socket it drives. Zeroed: free. */
typedef struct mzmtp_kit_sock {
    mzmtp_socket_t *sock; /**< Borrowed until the record is freed. */
    int32_t linger_ms;    /**< Closing: longest flush, negative for ever. */
    uint32_t linger_at;   /**< Closing: when the linger time is up. */
    uint8_t closing;      /**< mzmtp_kit_close_begin() was called. */
    uint8_t in_told;      /**< POLLIN reported and not re-armed by the application. */
    uint8_t last;         /**< Poll bits seen last time (POLLOUT is reported on its edge). */
} mzmtp_kit_sock_t;

/**
 * Begin closing @p ks's socket: sends are refused at once (mzmtp_socket_close()); the
 * port flushes for up to @p linger_ms (0: drops what is queued; negative: waits), then
 * lets the peers go. Again on a closing socket only closes it again.
 * @return true the first time: the port now stops its endpoints (no new connections).
 */
static inline bool mzmtp_kit_close_begin(mzmtp_kit_sock_t *ks, int32_t linger_ms, uint32_t now)
{
    mzmtp_socket_close(ks->sock);
    if (ks->closing) {
        return false;
    }
    ks->closing = 1;
    ks->linger_ms = linger_ms < 0 ? -1 : linger_ms;
    ks->linger_at = now + (uint32_t)(linger_ms < 0 ? 0 : linger_ms);
    return true;
}

/** @return true when a closing socket may let its peers go: flushed, or linger is up. */
static inline bool mzmtp_kit_close_due(const mzmtp_kit_sock_t *ks, uint32_t now)
{
    return ks->closing &&
           (mzmtp_socket_flushed(ks->sock) ||
            (ks->linger_ms >= 0 && mzmtp_kit_is_due(now, ks->linger_at)));
}

/** Lower @p *wait to the socket's next engine timer and, closing, the end of linger. */
static inline void mzmtp_kit_sock_wait(const mzmtp_kit_sock_t *ks, uint32_t now, uint32_t *wait)
{
    uint32_t t = mzmtp_socket_next_timeout(ks->sock, now);
    if (t < *wait) {
        *wait = t;
    }
    if (ks->closing && ks->linger_ms >= 0) {
        mzmtp_kit_wait_for(wait, now, ks->linger_at);
    }
}

/**
 * Readiness to report to an event-driven application: MZMTP_POLLIN once per re-arm
 * (mzmtp_kit_ready_rearm(), after the application read), MZMTP_POLLOUT on its rising
 * edge. @p ev is mzmtp_socket_poll()'s answer now.
 * @return The bits to report (0: nothing). Report them, then mzmtp_kit_ready_told();
 *         if the report could not be delivered, call nothing and ask again later.
 */
static inline unsigned mzmtp_kit_ready_edges(const mzmtp_kit_sock_t *ks, unsigned ev)
{
    unsigned rep = 0;
    if ((ev & MZMTP_POLLIN) && !ks->in_told) {
        rep |= MZMTP_POLLIN;
    }
    if ((ev & MZMTP_POLLOUT) && !(ks->last & MZMTP_POLLOUT)) {
        rep |= MZMTP_POLLOUT;
    }
    return rep;
}

/** The bits @p rep of mzmtp_kit_ready_edges() reached the application (also with 0). */
static inline void mzmtp_kit_ready_told(mzmtp_kit_sock_t *ks, unsigned ev, unsigned rep)
{
    ks->last = (uint8_t)ev;
    if (rep & MZMTP_POLLIN) {
        ks->in_told = 1;
    }
}

/** The application read (or changed its subscriptions): POLLIN may be reported again. */
static inline void mzmtp_kit_ready_rearm(mzmtp_kit_sock_t *ks)
{
    ks->in_told = 0;
}

/* ------------------------------------------------------------------------------------ */
/* The peer lifecycle in the core                                                         */
/* ------------------------------------------------------------------------------------ */

/** mzmtp_kit_peer_wants() bits. */
#define MZMTP_KIT_WANT_IN 1u  /**< The engine has receive room: read. */
#define MZMTP_KIT_WANT_OUT 2u /**< The engine has bytes to write. */

/** @return What started peer @p peer wants of its transport now (MZMTP_KIT_WANT_*). */
unsigned mzmtp_kit_peer_wants(mzmtp_socket_t *sock, int peer);

/**
 * Give received bytes to peer @p peer's engine, as many as its receive buffer takes now
 * (rx_space / rx_commit, repeated while there is room).
 * @param[in]  d    @p len received bytes, borrowed for the call.
 * @param[out] st   MZMTP_OK, or the fatal status that ends the connection (the port
 *                  writes what the engine still has, an ERROR, then closes it).
 * @return Bytes taken; the rest waits in the stack (window closed) or in a stage. With a
 *         fatal @p st, the bytes taken up to the failure.
 */
size_t mzmtp_kit_feed(mzmtp_socket_t *sock, int peer, const uint8_t *d, size_t len,
                      uint32_t now, mzmtp_status_t *st);

/** Vectors asked of the engine by mzmtp_kit_output_copy(). Stack: 8 B each (32-bit). */
#define MZMTP_KIT_OUT_IOVS 8

/**
 * For a stack that copies what it is given (uIP, POSIX send()): copy peer @p peer's next
 * output, at most @p cap bytes, into @p buf, and tell the engine they are written —
 * for such a stack written is acknowledged (mzmtp_port.h, "Written and acknowledged").
 * @param[out] buf @p cap bytes, owned by the port (its retransmission copy).
 * @return Bytes copied (0: nothing to write).
 */
size_t mzmtp_kit_output_copy(mzmtp_socket_t *sock, int peer, uint8_t *buf, size_t cap);

/** Called by mzmtp_kit_reap() for each dead peer, with the reason (never MZMTP_OK). The
 *  port closes the transport and calls mzmtp_socket_peer_stop(sock, peer, why), in the
 *  callback or before it next ticks the socket (until then the peer stays in the walk). */
typedef void (*mzmtp_kit_dead_fn)(void *ctx, int peer, mzmtp_status_t why);

/**
 * Run @p sock's engine timers (mzmtp_socket_tick()) and hand every peer the port must now
 * close — a handshake or heartbeat timeout, or an engine that failed during an
 * application call — to @p fn. A peer with no recorded reason is a timeout.
 */
void mzmtp_kit_reap(mzmtp_socket_t *sock, uint32_t now, mzmtp_kit_dead_fn fn, void *ctx);

/* ------------------------------------------------------------------------------------ */
/* Input stage (for a stack that cannot leave unread bytes where they are, as uIP)        */
/* ------------------------------------------------------------------------------------ */

/**
 * Received bytes the engine had no room for, kept (while the TCP window is closed) until
 * the application has read; they go to the engine before any newer byte. The bytes are
 * buf[off .. off+len) of a buffer of @c cap bytes that the caller owns and passes to
 * every call (so the record costs 4 bytes next to it). Zero-initialised: empty.
 */
typedef struct mzmtp_kit_stage {
    uint16_t off; /**< First staged byte. */
    uint16_t len; /**< Staged bytes. */
} mzmtp_kit_stage_t;

/** Empty the stage (what was staged is forgotten). */
static inline void mzmtp_kit_stage_clear(mzmtp_kit_stage_t *st)
{
    st->off = 0;
    st->len = 0;
}

/** @return Staged bytes. */
static inline uint16_t mzmtp_kit_stage_len(const mzmtp_kit_stage_t *st) { return st->len; }

/** @return The oldest staged byte (the first of mzmtp_kit_stage_len() bytes) in @p buf. */
static inline const uint8_t *mzmtp_kit_stage_data(const mzmtp_kit_stage_t *st,
                                                  const uint8_t *buf)
{
    return buf + st->off;
}

/** Forget the @p n oldest staged bytes (they reached the engine). More than are staged
 *  empties the stage. An empty stage starts again at the front of its buffer. */
void mzmtp_kit_stage_consume(mzmtp_kit_stage_t *st, size_t n);

/**
 * Append @p d[0..n) behind the staged bytes, as much as fits in @p cap bytes (the staged
 * bytes move to the front of @p buf first, so all of @p cap is usable). @p cap ≤ 65535.
 * @return Bytes kept: @p n, or fewer when the stage is full (the caller refuses the rest).
 */
size_t mzmtp_kit_stage_put(mzmtp_kit_stage_t *st, uint8_t *buf, size_t cap, const uint8_t *d,
                           size_t n);

#endif /* MZMTP_KIT_H */
