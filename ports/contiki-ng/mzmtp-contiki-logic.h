/**
 * @file mzmtp-contiki-logic.h
 * @brief The Contiki-NG port's decisions that need neither Contiki nor uIP: the input
 *        stage, the endpoint parser, the reconnect schedule and the time helpers.
 *
 * mzmtp-contiki.c is the only user; it lives apart so that the host's unit tests
 * (tests/unit/test_contiki_logic.c) cover it without a Contiki-NG tree. Plain C99, no
 * globals, no heap, nothing from Contiki-NG: only microzmtp's status codes.
 */
#ifndef MZMTP_CONTIKI_LOGIC_H
#define MZMTP_CONTIKI_LOGIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <microzmtp/mzmtp_status.h>

/* ------------------------------------------------------------------------------------ */
/* Input stage                                                                            */
/* ------------------------------------------------------------------------------------ */

/**
 * Received bytes the engine had no room for, kept (while the TCP window is closed) until
 * the application has read; they go to the engine before any newer byte. The bytes are
 * buf[off .. off+len) of a buffer of @c cap bytes that the caller owns and passes to
 * every call (so the record costs 4 bytes next to it). Zero-initialised: empty.
 */
typedef struct mzmtp_cl_stage {
  uint16_t off; /**< First staged byte. */
  uint16_t len; /**< Staged bytes. */
} mzmtp_cl_stage_t;

/** Empty the stage (what was staged is forgotten). */
static inline void mzmtp_cl_stage_clear(mzmtp_cl_stage_t *st)
{
  st->off = 0;
  st->len = 0;
}

/** @return Staged bytes. */
static inline uint16_t mzmtp_cl_stage_len(const mzmtp_cl_stage_t *st) { return st->len; }

/** @return The oldest staged byte (the first of mzmtp_cl_stage_len() bytes) in @p buf. */
static inline const uint8_t *mzmtp_cl_stage_data(const mzmtp_cl_stage_t *st,
                                                 const uint8_t *buf)
{
  return buf + st->off;
}

/** Forget the @p n oldest staged bytes (they reached the engine). More than are staged
 *  empties the stage. An empty stage starts again at the front of its buffer. */
void mzmtp_cl_stage_consume(mzmtp_cl_stage_t *st, size_t n);

/**
 * Append @p d[0..n) behind the staged bytes, as much as fits in @p cap bytes (the staged
 * bytes move to the front of @p buf first, so all of @p cap is usable).
 * @return Bytes kept: @p n, or fewer when the stage is full (the caller refuses the rest).
 */
size_t mzmtp_cl_stage_put(mzmtp_cl_stage_t *st, uint8_t *buf, size_t cap, const uint8_t *d,
                          size_t n);

/* ------------------------------------------------------------------------------------ */
/* Endpoints                                                                              */
/* ------------------------------------------------------------------------------------ */

/** Longest address text between the brackets, characters. */
#define MZMTP_CL_ADDR_TEXT_MAX 47

/**
 * Convert the text of an IPv6 address (no brackets, NUL-terminated) to 16 bytes in
 * network order. @return false when @p text is not an address.
 */
typedef bool (*mzmtp_cl_addr_fn)(const char *text, uint8_t addr[16]);

/**
 * Parse "tcp://[addr]:port". For a bind (@p bind true) the address may also be `*` or
 * `[::]` (both: all zeroes) and the port `*` or 0 (both: 0, pick one). A connect needs a
 * specified address and a port 1..65535. At most 5 port digits; no names, no IPv4.
 * @param[in]  conv     Address converter, called with the text between the brackets
 *                      (not for "::").
 * @param[out] addr     The address (all zeroes for `*` and `::`), network order.
 * @param[out] port     The port, host order; only written on success.
 * @return MZMTP_OK or MZMTP_ERR_INVALID.
 */
MZMTP_NODISCARD mzmtp_status_t mzmtp_cl_parse_endpoint(const char *endpoint, bool bind,
                                                       mzmtp_cl_addr_fn conv,
                                                       uint8_t addr[16], uint16_t *port);

/* ------------------------------------------------------------------------------------ */
/* Reconnects                                                                             */
/* ------------------------------------------------------------------------------------ */

/** A random number (the port passes Contiki-NG's random_rand()). */
typedef uint32_t (*mzmtp_cl_rand_fn)(void);


/** @return The back-off of an endpoint before its first failed connect (and after a
 *          connection came up): @p ivl_ms, 0 when negative. */
static inline uint32_t mzmtp_cl_backoff_reset(int32_t ivl_ms)
{
  return ivl_ms < 0 ? 0u : (uint32_t)ivl_ms;
}

/**
 * When to try again. A lost connection waits @p ivl_ms; a failed connect waits
 * @p *backoff_ms, which then doubles up to @p ivl_max_ms (when that is above @p ivl_ms).
 * A random 0..wait is added (@p rnd is called only for a non-zero wait).
 * @param[in,out] backoff_ms The endpoint's back-off.
 * @param[out]    retry_at   @p now plus the wait plus the jitter (wraps).
 * @return false: no reconnect (@p ivl_ms negative); nothing written.
 */
bool mzmtp_cl_schedule_retry(int32_t ivl_ms, int32_t ivl_max_ms, bool failed_connect,
                             uint32_t now, mzmtp_cl_rand_fn rnd, uint32_t *backoff_ms,
                             uint32_t *retry_at);

/* ------------------------------------------------------------------------------------ */
/* Time: milliseconds that wrap at 2^32. Inline: the port calls them with its constant  */
/* CLOCK_SECOND, which the compiler folds (a power of two turns divisions into shifts).  */
/* ------------------------------------------------------------------------------------ */

/** @return true when @p t is @p now or earlier (wrap-safe: within 2^31 ms). */
static inline bool mzmtp_cl_is_due(uint32_t now, uint32_t t)
{
  return (int32_t)(now - t) >= 0;
}

/** @return Milliseconds from @p now to @p t; 0 when due. */
static inline uint32_t mzmtp_cl_until(uint32_t now, uint32_t t)
{
  return mzmtp_cl_is_due(now, t) ? 0u : t - now;
}

/** Milliseconds counted from clock ticks, without losing the remainders. */
typedef struct mzmtp_cl_clock {
  uint32_t ms;  /**< Milliseconds so far; wraps at 2^32. */
  uint32_t rem; /**< Ticks*1000 not yet a whole millisecond (< hz). */
} mzmtp_cl_clock_t;

/** Add @p ticks clock ticks at @p hz ticks per second (hz > 0). @return the new ms. */
static inline uint32_t mzmtp_cl_clock_add(mzmtp_cl_clock_t *c, uint64_t ticks, uint32_t hz)
{
  uint64_t x = ticks * 1000u + c->rem;
  c->ms += (uint32_t)(x / hz);
  c->rem = (uint32_t)(x % hz);
  return c->ms;
}

/** Longest timer the port sets, ms (it wakes up and sets it again). */
#define MZMTP_CL_TIMER_MAX_MS 3600000u

/** @return Ticks (at @p hz per second) of a wait of @p ms, at most MZMTP_CL_TIMER_MAX_MS,
 *          rounded up: the timer never fires early. */
static inline uint64_t mzmtp_cl_ms_to_ticks(uint32_t ms, uint32_t hz)
{
  if(ms > MZMTP_CL_TIMER_MAX_MS) {
    ms = MZMTP_CL_TIMER_MAX_MS;
  }
  return ((uint64_t)ms * hz + 999u) / 1000u;
}

#endif /* MZMTP_CONTIKI_LOGIC_H */
