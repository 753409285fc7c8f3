/*
 * libFuzzer target: the whole receive path of the connection engine and of a socket.
 *
 * Input layout:
 *   byte 0  mode:
 *           bits 0-1  prefix fed before the rest: 0 none, 1 a ZMTP 3.1 greeting,
 *                     2 greeting + READY, 3 a ZMTP 3.0 greeting + READY;
 *           bit  2    the SUB engine skips messages instead of reading them;
 *           bit  3    small receive buffers (64 B) instead of 300 B;
 *           bits 4-7  max_msg_size: 0 none, else 16 << (n - 1) bytes.
 *   byte 1  seed for the split sizes, read sizes, write sizes and clock steps.
 *   rest    bytes from the peer.
 *
 * The same bytes go to (1) a raw SUB engine whose peer is a PUB, and (2) a PUB socket
 * whose peer is a SUB, each in pieces whose sizes the seed picks, each piece copied into
 * a heap block of exactly its size so that AddressSanitizer catches any over-read. Every
 * message is read (in small pieces) or skipped, timers run, and output is drained in
 * partial writes. Nothing may crash, hang or read out of bounds; the engine may close
 * with any fatal status.
 */
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "microzmtp/microzmtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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

/* gcc's warn_unused_result is not silenced by a (void) cast. */
static void ignore(mzmtp_status_t st) { (void)st; }

static size_t put_greeting(uint8_t *out, uint8_t minor)
{
    memset(out, 0, 64);
    out[0] = 0xFF;
    out[8] = 0x01;
    out[9] = 0x7F;
    out[10] = 3;
    out[11] = minor;
    memcpy(out + 12, "NULL", 4);
    return 64;
}

static size_t put_ready(uint8_t *out, const char *type)
{
    uint8_t props[32];
    size_t n = mzmtp_wire_encode_property(props, sizeof props, "Socket-Type",
                                          (const uint8_t *)type, strlen(type));
    return mzmtp_wire_encode_command(out, 64, "READY", props, n);
}

/* The bytes a peer of @p peer_type sends before the fuzzed part. */
static size_t make_prefix(uint8_t mode, const char *peer_type, uint8_t *out)
{
    switch (mode & 3u) {
    case 1: return put_greeting(out, 1);
    case 2: {
        size_t n = put_greeting(out, 1);
        return n + put_ready(out + n, peer_type);
    }
    case 3: {
        size_t n = put_greeting(out, 0);
        return n + put_ready(out + n, peer_type);
    }
    default: return 0;
    }
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

static void drain_socket(mzmtp_socket_t *s, int peer, rng_t *r)
{
    for (int guard = 0; guard < 64; guard++) {
        mzmtp_iov_t iov[4];
        size_t n = mzmtp_socket_peer_output(s, peer, iov, 1 + rng_next(r) % 4);
        size_t total = 0;
        for (size_t i = 0; i < n; i++) {
            volatile uint8_t sink = 0;
            for (size_t k = 0; k < iov[i].len; k++) sink ^= iov[i].base[k];
            (void)sink;
            total += iov[i].len;
        }
        if (total == 0) return;
        mzmtp_socket_peer_output_done(s, peer, 1 + rng_next(r) % total);
    }
}

/* Read the head message until it ends or no byte is buffered. @return true on progress. */
static bool read_some(mzmtp_conn_t *c, rng_t *r, bool *reading)
{
    uint8_t buf[32];
    bool progress = false;
    for (int k = 0; k < 100000 && *reading; k++) {
        size_t cap = 1 + rng_next(r) % sizeof buf, n = 0;
        unsigned flags = 0;
        if (mzmtp_conn_read(c, buf, cap, &n, &flags) != MZMTP_OK) break;
        if (n > cap) abort();
        if (n == 0 && (flags & MZMTP_RECV_PARTIAL)) break;
        progress = true;
        if (!(flags & (MZMTP_RECV_PARTIAL | MZMTP_RECV_MORE))) *reading = false;
    }
    return progress;
}

/* Run the SUB engine's events: read or skip every message. Works whether process()
 * reports a message once or again while it stays at the head.
 * @return a fatal status or MZMTP_OK. */
static mzmtp_status_t run_engine(mzmtp_conn_t *c, bool skip, rng_t *r, uint32_t now,
                                 bool *reading)
{
    int idle = 0;
    for (int guard = 0; guard < 100000 && idle < 4; guard++) {
        bool progress = read_some(c, r, reading);
        mzmtp_conn_event_t ev;
        mzmtp_status_t st = mzmtp_conn_process(c, now, &ev);
        if (mzmtp_status_is_fatal(st)) return st;
        if (st == MZMTP_AGAIN) {
            if (progress) continue;
            return MZMTP_OK;
        }
        if (st != MZMTP_OK) abort(); /* process returns nothing else */
        if (ev.len && ev.data == NULL) abort();
        if (ev.len) {
            volatile uint8_t sink = 0;
            for (size_t k = 0; k < ev.len; k++) sink ^= ev.data[k];
            (void)sink;
        }
        if (ev.kind == MZMTP_CONN_EV_HANDSHAKE && mzmtp_conn_state(c) == MZMTP_CONN_READY) {
            ignore(mzmtp_conn_send_subscription(c, (const uint8_t *)"A", 1, true));
        }
        if (ev.kind != MZMTP_CONN_EV_MESSAGE) {
            idle = 0;
            continue;
        }
        if (skip) {
            mzmtp_conn_skip(c);
            *reading = false;
            idle = 0;
            continue;
        }
        *reading = true;
        progress = read_some(c, r, reading) || progress;
        idle = progress ? 0 : idle + 1;
    }
    return MZMTP_OK;
}

static uint8_t *dup_exact(const uint8_t *p, size_t n)
{
    uint8_t *d = malloc(n ? n : 1);
    if (d == NULL) abort();
    if (n) memcpy(d, p, n);
    return d;
}

static void fuzz_engine(uint8_t mode, uint8_t seed, const uint8_t *in, size_t len)
{
    static mzmtp_conn_t conn;
    rng_t r = {0x9E3779B9u ^ ((uint32_t)seed * 0x01000193u) ^ 1u};
    size_t rx_size = (mode & 8u) ? 64 : 300;
    uint8_t *rx = malloc(rx_size);
    if (rx == NULL) abort();
    mzmtp_conn_opts_t o;
    memset(&o, 0, sizeof o);
    o.rcvhwm = 4;
    o.handshake_ivl_ms = 5000;
    o.hb_ivl_ms = (seed & 1u) ? 700 : 0;
    o.hb_ttl_ms = 1500;
    o.max_msg_size = (mode >> 4) ? (uint64_t)16 << ((mode >> 4) - 1) : 0;
    uint32_t now = 0xFFFFF000u; /* near the wrap on purpose */
    if (mzmtp_conn_init(&conn, MZMTP_SUB, &o, rx, rx_size, NULL, 0, now) != MZMTP_OK) abort();

    uint8_t prefix[160];
    size_t plen = make_prefix(mode, "PUB", prefix);
    const uint8_t *parts[2] = {prefix, in};
    size_t lens[2] = {plen, len};
    bool skip = (mode & 4u) != 0, reading = false;
    mzmtp_status_t st = MZMTP_OK;
    for (int part = 0; part < 2 && !mzmtp_status_is_fatal(st); part++) {
        size_t pos = 0;
        int stalled = 0;
        while (pos < lens[part] && stalled < 3) {
            size_t chunk = 1 + rng_next(&r) % 97;
            if (chunk > lens[part] - pos) chunk = lens[part] - pos;
            uint8_t *piece = dup_exact(parts[part] + pos, chunk);
            size_t consumed = 0;
            mzmtp_conn_input(&conn, piece, chunk, now, &consumed);
            free(piece);
            if (consumed > chunk) abort();
            pos += consumed;
            stalled = consumed ? 0 : stalled + 1;
            st = run_engine(&conn, skip, &r, now, &reading);
            drain_conn(&conn, &r);
            if (mzmtp_status_is_fatal(st)) break;
            now += rng_next(&r) % 300;
            st = mzmtp_conn_tick(&conn, now);
            if (mzmtp_status_is_fatal(st)) break;
            (void)mzmtp_conn_next_timeout(&conn, now);
        }
    }
    drain_conn(&conn, &r);
    if (mzmtp_status_is_fatal(st) && mzmtp_conn_state(&conn) != MZMTP_CONN_DEAD) abort();
    free(rx);
}

static void fuzz_socket(uint8_t mode, uint8_t seed, const uint8_t *in, size_t len)
{
    static mzmtp_socket_t sock;
    rng_t r = {0x85EBCA6Bu ^ ((uint32_t)seed * 0x01000193u) ^ 1u};
    size_t per_peer = MZMTP_CONF_MAX_TOPIC + 16u > 300u ? MZMTP_CONF_MAX_TOPIC + 16u : 300u;
    mzmtp_socket_mem_t mem;
    mem.send_size = 512;
    mem.send_buf = malloc(mem.send_size);
    mem.recv_per_peer = per_peer;
    mem.recv_buf = malloc((size_t)MZMTP_CONF_MAX_PEERS * per_peer);
    if (mem.send_buf == NULL || mem.recv_buf == NULL) abort();
    if (mzmtp_socket_init(&sock, MZMTP_PUB, &mem) != MZMTP_OK) abort();
    uint32_t hwm = 3;
    ignore(mzmtp_socket_setopt(&sock, MZMTP_OPT_SNDHWM, &hwm, sizeof hwm));
    uint64_t max = (mode >> 4) ? (uint64_t)16 << ((mode >> 4) - 1) : 0;
    ignore(mzmtp_socket_setopt(&sock, MZMTP_OPT_MAXMSGSIZE, &max, sizeof max));
    uint32_t now = 1000;
    int peer = -1;
    if (mzmtp_socket_peer_open(&sock, false, &peer) != MZMTP_OK) abort();
    if (mzmtp_socket_peer_start(&sock, peer, now) != MZMTP_OK) abort();

    uint8_t prefix[160];
    size_t plen = make_prefix(mode, "SUB", prefix);
    const uint8_t *parts[2] = {prefix, in};
    size_t lens[2] = {plen, len};
    mzmtp_status_t st = MZMTP_OK;
    static const char *const topics[] = {"A", "AB", "", "B", "\x01"};
    for (int part = 0; part < 2 && st == MZMTP_OK; part++) {
        size_t pos = 0;
        int stalled = 0;
        while (pos < lens[part] && stalled < 3) {
            size_t chunk = 1 + rng_next(&r) % 61;
            if (chunk > lens[part] - pos) chunk = lens[part] - pos;
            uint8_t *piece = dup_exact(parts[part] + pos, chunk);
            size_t consumed = 0;
            st = mzmtp_socket_peer_input(&sock, peer, piece, chunk, now, &consumed);
            free(piece);
            if (consumed > chunk) abort();
            pos += consumed;
            stalled = consumed ? 0 : stalled + 1;
            if (st != MZMTP_OK) break;
            /* Publish something now and then: a message, sometimes multipart. */
            const char *t = topics[rng_next(&r) % 5];
            if (rng_next(&r) % 2) {
                ignore(mzmtp_socket_send(&sock, t, strlen(t), true));
                ignore(mzmtp_socket_send(&sock, "body", 4, false));
            } else {
                ignore(mzmtp_socket_send(&sock, t, strlen(t), false));
            }
            drain_socket(&sock, peer, &r);
            now += rng_next(&r) % 300;
            mzmtp_peermask_t dead = 0;
            mzmtp_socket_tick(&sock, now, &dead);
            if (dead) break;
            (void)mzmtp_socket_poll(&sock);
        }
    }
    drain_socket(&sock, peer, &r);
    mzmtp_socket_peer_stop(&sock, peer, st != MZMTP_OK ? st : MZMTP_ERR_CLOSED);
    mzmtp_socket_peer_release(&sock, peer);
    free(mem.send_buf);
    free(mem.recv_buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    uint8_t mode = data[0], seed = data[1];
    /* Give the rest its own exact-size block: a read past it is a bug. */
    uint8_t *rest = dup_exact(data + 2, size - 2);
    fuzz_engine(mode, seed, rest, size - 2);
    fuzz_socket(mode, seed, rest, size - 2);
    free(rest);
    return 0;
}
