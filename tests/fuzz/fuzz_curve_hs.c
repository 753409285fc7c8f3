/*
 * libFuzzer target: a CURVE (RFC 26) engine, client or server, from fixed keys and a fixed
 * random source, fed a peer's bytes.
 *
 * A valid transcript is made once, at the first input, by a client engine and a server
 * engine back to back (the same keys and random bytes the engine under test uses, so the
 * recorded commands are valid for it): client = greeting, HELLO, INITIATE; server =
 * greeting, WELCOME, READY.
 *
 * Input layout:
 *   byte 0  mode:
 *           bit 0     0 client under test, 1 server;
 *           bits 1-2  how much of the peer's valid transcript comes first: 0 none, 1 the
 *                     greeting, 2 greeting + first command (HELLO / WELCOME), 3 all of it
 *                     (the handshake completes; the fuzzer's bytes follow as MESSAGE
 *                     traffic and commands);
 *           bit 3     server: the authenticator denies every key (then a handshake or a
 *                     message must never be reported);
 *           bit 4     mutate instead: the whole valid transcript is fed with the rest of
 *                     the input XORed onto it from offset byte 2 * 2; then a changed byte
 *                     in the body of WELCOME, INITIATE or READY (all authenticated) must
 *                     stop the handshake;
 *           bit 5     small receive buffer (360 B: an INITIATE just fits).
 *   byte 1  seed for split sizes, write sizes and clock steps.
 *   byte 2  (bit 4 only) where the XOR starts, / 2.
 *   rest    bytes from the peer.
 * Nothing may crash or read out of bounds (ASan/UBSan).
 */
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "microzmtp/microzmtp.h"
#include "fuzz_util.h"
#include "../crypto/curve_sec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- fixed keys and random bytes ---- */
static uint8_t c_pub[32], c_sec[32], s_pub[32], s_sec[32];

typedef struct det_rng {
    uint64_t s;
} det_rng_t;

static bool det_random(void *ctx, uint8_t *buf, size_t len)
{
    det_rng_t *r = ctx;
    for (size_t i = 0; i < len; i++) {
        r->s = r->s * 6364136223846793005u + 1442695040888963407u;
        buf[i] = (uint8_t)(r->s >> 56);
    }
    return true;
}

static det_rng_t rng_c, rng_s;
static mzmtp_conn_sec_t sec_c, sec_s;
static bool deny;

static void auth(void *owner, unsigned peer, mzmtp_auth_request_t *req, mzmtp_auth_reply_t *reply)
{
    (void)owner, (void)peer;
    if (req->client_key == NULL) abort(); /* CURVE always gives the key */
    reply->status = deny ? 400 : 200;
}

static void fresh_secs(void)
{
    rng_c.s = 0x1234;
    rng_s.s = 0x5678;
    curve_sec_client(&sec_c, c_pub, c_sec, s_pub, det_random, &rng_c);
    curve_sec_server(&sec_s, s_pub, s_sec, det_random, &rng_s);
    sec_s.auth = auth;
}

static mzmtp_conn_opts_t opts(mzmtp_conn_sec_t *sec)
{
    mzmtp_conn_opts_t o = fuzz_conn_opts();
    o.sec = sec;
    return o;
}

/* ---- the valid transcript ---- */
static uint8_t tr_c[1024], tr_s[1024]; /* what the client / server sends */
static size_t tr_c_len, tr_s_len;
/* where each command starts (after the greeting) and its body (after the name) */
static size_t tr_c_cmd2, tr_s_cmd2;

static size_t capture(mzmtp_conn_t *c, uint8_t *out, size_t at, size_t cap)
{
    for (;;) {
        mzmtp_iov_t iov[4];
        size_t n = mzmtp_conn_output(c, iov, 4), total = 0;
        for (size_t i = 0; i < n; i++) {
            if (at + total + iov[i].len > cap) abort();
            memcpy(out + at + total, iov[i].base, iov[i].len);
            total += iov[i].len;
        }
        if (total == 0) return at;
        mzmtp_conn_output_done(c, total);
        at += total;
    }
}

static void feed_all(mzmtp_conn_t *c, const uint8_t *p, size_t n)
{
    size_t used;
    mzmtp_conn_input(c, p, n, 0, &used);
    if (used != n) abort();
    for (int g = 0; g < 16; g++) {
        mzmtp_conn_event_t ev;
        if (mzmtp_conn_process(c, 0, &ev) != MZMTP_OK) break;
    }
}

static void make_transcript(void)
{
    static uint8_t rxc[2048], rxs[2048];
    static mzmtp_conn_t cc, sc;
    for (int i = 0; i < 32; i++) {
        c_sec[i] = (uint8_t)(0x41 + i);
        s_sec[i] = (uint8_t)(0x91 + i);
    }
    if (mzmtp_curve_public(c_pub, c_sec) != MZMTP_OK || mzmtp_curve_public(s_pub, s_sec) != MZMTP_OK) {
        abort();
    }
    fresh_secs();
    mzmtp_conn_opts_t oc = opts(&sec_c), os = opts(&sec_s);
    if (fuzz_conn_init(&cc, MZMTP_DEALER, &oc, rxc, sizeof rxc, NULL, 0, 0) != MZMTP_OK ||
        fuzz_conn_init(&sc, MZMTP_ROUTER, &os, rxs, sizeof rxs, NULL, 0, 0) != MZMTP_OK) {
        abort();
    }
    size_t c0 = capture(&cc, tr_c, 0, sizeof tr_c);          /* greeting + HELLO */
    size_t s0 = capture(&sc, tr_s, 0, sizeof tr_s);          /* greeting */
    feed_all(&sc, tr_c, c0);
    size_t s1 = capture(&sc, tr_s, s0, sizeof tr_s);         /* + WELCOME */
    feed_all(&cc, tr_s, s1);
    size_t c1 = capture(&cc, tr_c, c0, sizeof tr_c);         /* + INITIATE */
    feed_all(&sc, tr_c + c0, c1 - c0);
    size_t s2 = capture(&sc, tr_s, s1, sizeof tr_s);         /* + READY */
    feed_all(&cc, tr_s + s1, s2 - s1);
    if (mzmtp_conn_state(&cc) != MZMTP_CONN_READY || mzmtp_conn_state(&sc) != MZMTP_CONN_READY ||
        c0 != 64 + 202 || s1 != 64 + 170) {
        abort();
    }
    tr_c_len = c1;
    tr_s_len = s2;
    tr_c_cmd2 = c0; /* INITIATE */
    tr_s_cmd2 = s1; /* READY */
    mzmtp_conn_wipe(&cc);
    mzmtp_conn_wipe(&sc);
}

/* Bytes of the peer's transcript that are authenticated: a change there must stop the
 * handshake. Client under test: the WELCOME and READY bodies (after their names); server:
 * the INITIATE body. */
static bool authenticated(bool server, size_t off)
{
    if (server) return off >= tr_c_cmd2 + 9 + 9 && off < tr_c_len; /* long header + name */
    bool welcome = off >= 64 + 2 + 8 && off < 64 + 170;
    bool ready = off >= tr_s_cmd2 + 2 + 6 && off < tr_s_len;
    return welcome || ready;
}

/* What check_events() knows of a run. */
typedef struct run_state {
    bool must_refuse; /* the peer is denied: no handshake, no message */
    bool handshake;   /* the handshake has completed */
} run_state_t;

static void check_events(const mzmtp_conn_event_t *ev, void *ctx)
{
    run_state_t *rs = ctx;
    if (ev->kind == MZMTP_CONN_EV_HANDSHAKE) {
        if (rs->must_refuse || rs->handshake) abort(); /* refused, or twice */
        rs->handshake = true;
    }
    if (rs->must_refuse && ev->kind == MZMTP_CONN_EV_MESSAGE) abort();
    if (ev->kind == MZMTP_CONN_EV_MESSAGE && !rs->handshake) abort(); /* nothing before it */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready) {
        make_transcript();
        ready = true;
    }
    if (size < 3) return 0;
    uint8_t mode = data[0];
    bool server = mode & 1u, mutate = mode & 16u;
    deny = server && (mode & 8u);
    rng_t r = {0x9E3779B9u ^ ((uint32_t)data[1] * 0x01000193u) ^ 1u};
    static mzmtp_conn_t conn;
    fresh_secs();
    size_t rx_size = (mode & 32u) ? 360 : 2048;
    uint8_t *rx = fuzz_alloc(rx_size);
    mzmtp_conn_opts_t o = opts(server ? &sec_s : &sec_c);
    uint32_t now = 0xFFFFF000u;
    if (fuzz_conn_init(&conn, server ? MZMTP_ROUTER : MZMTP_DEALER, &o, rx, rx_size, NULL, 0, 0) != MZMTP_OK) {
        abort();
    }
    const uint8_t *peer = server ? tr_c : tr_s;
    size_t peer_len = server ? tr_c_len : tr_s_len;
    static uint8_t buf[1024];
    const uint8_t *parts[2];
    size_t lens[2];
    bool changed = false; /* an authenticated byte differs from the transcript */
    if (mutate) {
        memcpy(buf, peer, peer_len);
        size_t at = (size_t)data[2] * 2u;
        for (size_t i = 3; i < size && at < peer_len; i++, at++) {
            buf[at] ^= data[i];
            if (data[i] && authenticated(server, at)) changed = true;
        }
        parts[0] = buf;
        lens[0] = peer_len;
        parts[1] = NULL;
        lens[1] = 0;
    } else {
        static const size_t upto_c[4] = {0, 64, 64 + 202, 0}, upto_s[4] = {0, 64, 64 + 170, 0};
        unsigned k = (mode >> 1) & 3u;
        size_t pre = k == 3 ? peer_len : (server ? upto_c[k] : upto_s[k]);
        parts[0] = peer;
        lens[0] = pre;
        parts[1] = data + 2;
        lens[1] = size - 2;
    }
    run_state_t rs = {deny, false};
    mzmtp_status_t st = fuzz_feed_parts(&conn, parts, lens, 97, &r, now, check_events, &rs);
    bool handshake = rs.handshake;
    if (mzmtp_status_is_fatal(st) && mzmtp_conn_state(&conn) != MZMTP_CONN_DEAD) abort();
    if (mutate && changed && handshake) abort(); /* a forged command was accepted */
    if (mutate && !changed && !deny && size == 3 && !handshake) abort(); /* the clean run */
    mzmtp_conn_wipe(&conn);
    free(rx);
    return 0;
}
