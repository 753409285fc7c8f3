/*
 * Shared by the fuzz targets: a small deterministic generator for split and write sizes,
 * and draining an engine's output in random partial writes, touching every byte offered
 * so that AddressSanitizer checks the vectors.
 */
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "microzmtp/mzmtp_port.h"

typedef struct rng {
    uint32_t s;
} rng_t;

static uint32_t rng_next(rng_t *r)
{
    /* xorshift32; never zero */
    uint32_t x = r->s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    r->s = x;
    return x;
}

/* Write at most a random number of the bytes on offer, as a slow socket would. */
static void drain_conn(mzmtp_conn_t *c, rng_t *r)
{
    for (int guard = 0; guard < 64; guard++) {
        mzmtp_iov_t iov[4];
        size_t n = mzmtp_conn_output(c, iov, 1 + rng_next(r) % 4);
        size_t total = 0;
        for (size_t i = 0; i < n; i++) {
            if (iov[i].len && iov[i].base == NULL) abort();
            /* Touch every byte so that ASan checks the vectors. */
            volatile uint8_t sink = 0;
            for (size_t k = 0; k < iov[i].len; k++) sink ^= iov[i].base[k];
            (void)sink;
            total += iov[i].len;
        }
        if (total == 0) return;
        size_t w = 1 + rng_next(r) % total;
        mzmtp_conn_output_done(c, w);
    }
}

/* @p n bytes from the heap (the fuzzers' buffers sit there so that ASan checks their
 * bounds); aborts when there are none. */
static inline void *fuzz_alloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL) abort();
    return p;
}

/* Engine options every fuzzer starts from: room for 4 messages, a 5 s handshake limit,
 * everything else 0 (off). */
static inline mzmtp_conn_opts_t fuzz_conn_opts(void)
{
    mzmtp_conn_opts_t o;
    memset(&o, 0, sizeof o);
    o.rcvhwm = 4;
    o.handshake_ivl_ms = 5000;
    return o;
}

/* A command area of MZMTP_CONF_CMD_BUF bytes (plus a CURVE engine's state,
 *  MZMTP_CMD_CURVE_STATE) for engine @p c: the same one each time
 * for the same engine (a fuzzer has a handful of engines). */
#define FUZZ_CMD_BYTES (MZMTP_CONF_CMD_BUF + MZMTP_CMD_CURVE_STATE)
static inline uint8_t *fuzz_cmd_buf(const mzmtp_conn_t *c)
{
    static const mzmtp_conn_t *owner[16];
    static uint8_t buf[16][FUZZ_CMD_BYTES];
    for (size_t i = 0; i < 16; i++) {
        if (owner[i] == c) return buf[i];
        if (owner[i] == NULL) {
            owner[i] = c;
            return buf[i];
        }
    }
    abort();
}
#define fuzz_conn_init(c, type, opts, rx, rx_size, q, pipe, now)                            \
    mzmtp_conn_init((c), (type), (opts), (rx), (rx_size), fuzz_cmd_buf(c), FUZZ_CMD_BYTES, \
                    (q), (pipe), (now))

/* A socket's memory from the heap: a 512-byte send ring and @p per_peer bytes of receive
 * buffer for each of MZMTP_CONF_MAX_PEERS peers. The caller frees both buffers. */
static inline mzmtp_socket_mem_t fuzz_socket_mem(size_t per_peer)
{
    mzmtp_socket_mem_t mem;
    mem.send_size = 512;
    mem.send_buf = fuzz_alloc(mem.send_size);
    mem.recv_per_peer = per_peer;
    mem.recv_buf = fuzz_alloc((size_t)MZMTP_CONF_MAX_PEERS * per_peer);
    mem.max_peers = MZMTP_CONF_MAX_PEERS;
    /* Left uninitialised: the socket clears a slot when it first takes it. */
    mem.peers = fuzz_alloc(mem.max_peers * sizeof(mzmtp_peer_t));
    mem.peer_buf_bytes = MZMTP_PEER_BUF_DEFAULT;
    mem.peer_buf = fuzz_alloc(mem.max_peers * mem.peer_buf_bytes);
    return mem;
}

/* Hand @p len bytes of @p src to the engine from a heap copy of exactly that size, so that
 * ASan sees any read past them. @return Bytes the engine took. */
static inline size_t feed_piece(mzmtp_conn_t *c, const uint8_t *src, size_t len, uint32_t now)
{
    uint8_t *piece = malloc(len);
    if (piece == NULL) abort();
    memcpy(piece, src, len);
    size_t used = 0;
    mzmtp_conn_input(c, piece, len, now, &used);
    free(piece);
    if (used > len) abort();
    return used;
}

/* Read every byte event @p ev points at (ASan checks them) and, for a MESSAGE, read the
 * message out in small pieces, as an application would. */
static inline void consume_event(mzmtp_conn_t *c, const mzmtp_conn_event_t *ev)
{
    if (ev->len) {
        volatile uint8_t sink = 0;
        for (size_t k = 0; k < ev->len; k++) sink ^= ev->data[k];
        (void)sink;
    }
    if (ev->kind == MZMTP_CONN_EV_MESSAGE) {
        uint8_t buf[40];
        size_t n;
        unsigned flags;
        do {
            if (mzmtp_conn_read(c, buf, sizeof buf, &n, &flags) != MZMTP_OK) break;
        } while (flags & (MZMTP_RECV_MORE | MZMTP_RECV_PARTIAL) && n > 0);
    }
}

/* Checks one event before it is consumed (aborts on what must not happen). */
typedef void (*fuzz_check_t)(const mzmtp_conn_event_t *ev, void *ctx);

/* Run the engine's events, each checked by @p check and then consumed. @return A fatal
 * status, or OK. */
static inline mzmtp_status_t fuzz_run_events(mzmtp_conn_t *c, uint32_t now, fuzz_check_t check,
                                             void *ctx)
{
    for (int guard = 0; guard < 10000; guard++) {
        mzmtp_conn_event_t ev;
        mzmtp_status_t st = mzmtp_conn_process(c, now, &ev);
        if (st != MZMTP_OK) return mzmtp_status_is_fatal(st) ? st : MZMTP_OK;
        check(&ev, ctx);
        consume_event(c, &ev);
    }
    return MZMTP_OK;
}

/* Feed parts[0], then parts[1], in random pieces of 1 to @p max_piece bytes; after each,
 * run the events (fuzz_run_events()), drain the output, let up to 300 ms pass and tick.
 * Stops at the first fatal status, or when the engine takes nothing three times running.
 * @return The fatal status, or OK. */
static inline mzmtp_status_t fuzz_feed_parts(mzmtp_conn_t *c, const uint8_t *const parts[2],
                                             const size_t lens[2], uint32_t max_piece, rng_t *r,
                                             uint32_t now, fuzz_check_t check, void *ctx)
{
    mzmtp_status_t st = MZMTP_OK;
    for (int part = 0; part < 2 && st == MZMTP_OK; part++) {
        size_t pos = 0;
        int stalled = 0;
        while (pos < lens[part] && stalled < 3 && st == MZMTP_OK) {
            size_t chunk = 1 + rng_next(r) % max_piece;
            if (chunk > lens[part] - pos) chunk = lens[part] - pos;
            size_t used = feed_piece(c, parts[part] + pos, chunk, now);
            pos += used;
            stalled = used ? 0 : stalled + 1;
            st = fuzz_run_events(c, now, check, ctx);
            drain_conn(c, r);
            now += rng_next(r) % 300;
            if (st == MZMTP_OK) st = mzmtp_conn_tick(c, now);
            if (!mzmtp_status_is_fatal(st)) st = MZMTP_OK;
        }
    }
    return st;
}

#endif
