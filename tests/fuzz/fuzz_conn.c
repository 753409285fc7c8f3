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
 * The same bytes go to (1) a raw SUB engine whose peer is a PUB, (2) a PUB socket whose
 * peer is a SUB, and (3) a socket of another pattern, each in pieces whose sizes the seed
 * picks, each piece copied into a heap block of exactly its size so that AddressSanitizer
 * catches any over-read. Every message is read (in small pieces) or skipped, timers run,
 * and output is drained in partial writes. Nothing may crash, hang or read out of bounds;
 * the engine may close with any fatal status.
 *
 * (3) reads the layout above without taking any byte of its own, so that every seed
 * stays meaningful for (1) and (2). The seed byte also chooses:
 *   seed % 7  the socket: REQ, REP, ROUTER, DEALER, PULL, PAIR or XPUB, whose peer is
 *             REP/ROUTER, REQ/DEALER, DEALER/REQ, ROUTER/REP, PUSH, PAIR, SUB/XSUB;
 *   bit  3    the second of those peer types;
 *   bit  4    two peers, both fed the same bytes (ROUTER: same Identity; PAIR: a second
 *             peer to ignore; REQ/DEALER: round robin);
 *   bit  5    the peers are connecting slots (keep_queue) rather than accepted ones;
 *   bit  6    after the input, the first peer reconnects (handshake prefix again);
 *   bit  7    the prefix's READY carries an Identity ("fz"); ROUTER_MANDATORY on.
 * The application side reads every message with mzmtp_socket_recv() in random pieces and
 * answers as the type requires: REP replies, REQ sends the next request, ROUTER echoes to
 * the routing id, DEALER and PAIR answer, XPUB publishes. It also checks that poll agrees
 * with recv and send where the API promises it (no POLLIN: recv gives no data; no
 * POLLOUT: a 64-byte send is refused).
 */
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "microzmtp/mzmtp_port.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A build of PUB or PUSH alone (MZMTP_CONN_NO_DELIVERY: fuzz_conn_minpub, the core as
 * bench/size's min_pub) reads its input in stream order, not through the scanner: there
 * (1) is a PUB engine whose peer is a SUB, and (3) is not run (no other pattern is built). */
#if MZMTP_CONN_NO_DELIVERY
#define FUZZ_ENGINE_TYPE MZMTP_PUB
#define FUZZ_ENGINE_PEER "SUB"
#else
#define FUZZ_ENGINE_TYPE MZMTP_SUB
#define FUZZ_ENGINE_PEER "PUB"
#endif

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
    uint8_t *rx = fuzz_alloc(rx_size);
    mzmtp_conn_opts_t o = fuzz_conn_opts();
    o.hb_ivl_ms = (seed & 1u) ? 700 : 0;
    o.hb_ttl_ms = 1500;
    o.max_msg_size = (mode >> 4) ? (uint64_t)16 << ((mode >> 4) - 1) : 0;
    uint32_t now = 0xFFFFF000u; /* near the wrap on purpose */
    if (fuzz_conn_init(&conn, FUZZ_ENGINE_TYPE, &o, rx, rx_size, NULL, 0, now) != MZMTP_OK)
        abort();

    uint8_t prefix[160];
    size_t plen = make_prefix(mode, FUZZ_ENGINE_PEER, prefix);
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
            size_t consumed = feed_piece(&conn, parts[part] + pos, chunk, now);
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
    mzmtp_socket_mem_t mem = fuzz_socket_mem(per_peer);
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
            if (mzmtp_socket_tick(&sock, now)) break;
            (void)mzmtp_socket_poll(&sock);
        }
    }
    drain_socket(&sock, peer, &r);
    mzmtp_socket_peer_stop(&sock, peer, st != MZMTP_OK ? st : MZMTP_ERR_CLOSED);
    mzmtp_socket_peer_release(&sock, peer);
    free(mem.send_buf);
    free(mem.recv_buf);
    free(mem.peers);
    free(mem.peer_buf);
}

/* ------------------------------------------------------------------------------------ */
/* (3) the other socket patterns                                                          */
/* ------------------------------------------------------------------------------------ */

typedef struct pattern {
    int type;
    const char *peer[2];
} pattern_t;

static const pattern_t patterns[7] = {
    {MZMTP_REQ, {"REP", "ROUTER"}},   {MZMTP_REP, {"REQ", "DEALER"}},
    {MZMTP_ROUTER, {"DEALER", "REQ"}}, {MZMTP_DEALER, {"ROUTER", "REP"}},
    {MZMTP_PULL, {"PUSH", "PUSH"}},   {MZMTP_PAIR, {"PAIR", "PAIR"}},
    {MZMTP_XPUB, {"SUB", "XSUB"}},
};

#define PAT_PEERS 2

typedef struct pat_app {
    mzmtp_socket_t *sock;
    int type;
    rng_t *r;
    bool in_msg;        /* a message is being read */
    unsigned frame;     /* frames of it finished so far */
    uint8_t id[MZMTP_CONF_ROUTING_ID_MAX];
    size_t id_len;      /* ROUTER: routing id of the message being read */
    bool reply_due;     /* REP: a request was read whole; the reply has not gone yet */
    bool echo_due;      /* ROUTER/DEALER/PAIR/XPUB: answer the message just read */
    uint32_t counter;
} pat_app_t;

/* The bytes a peer of @p peer_type sends first; with @p with_id its READY carries an
 * Identity. Mode bits 0-1 as for make_prefix(). */
static size_t make_pattern_prefix(uint8_t mode, const char *peer_type, bool with_id,
                                  uint8_t *out)
{
    if ((mode & 3u) < 2 || !with_id) return make_prefix(mode, peer_type, out);
    size_t n = put_greeting(out, (mode & 3u) == 3 ? 0 : 1);
    uint8_t props[48];
    size_t k = mzmtp_wire_encode_property(props, sizeof props, "Socket-Type",
                                          (const uint8_t *)peer_type, strlen(peer_type));
    k += mzmtp_wire_encode_property(props + k, sizeof props - k, "Identity",
                                    (const uint8_t *)"fz", 2);
    return n + mzmtp_wire_encode_command(out + n, 96, "READY", props, k);
}

static bool send_ok_or_refused(mzmtp_status_t st)
{
    return st == MZMTP_OK || st == MZMTP_AGAIN || st == MZMTP_ERR_NO_MEMORY ||
           st == MZMTP_ERR_STATE || st == MZMTP_ERR_UNROUTABLE;
}

static void pat_send(pat_app_t *a, const void *d, size_t n, bool more)
{
    mzmtp_status_t st = mzmtp_socket_send(a->sock, d, n, more);
    if (!send_ok_or_refused(st)) abort();
}

/* Answer what the type asks for once a message has been read whole. */
static void pat_answer(pat_app_t *a)
{
    char body[24];
    size_t n = 0;
    uint32_t c = a->counter++;
    for (int i = 0; i < 6; i++) body[n++] = (char)('a' + (c >> (4 * i)) % 16u);
    if (a->type == MZMTP_REP && a->reply_due) {
        mzmtp_status_t st = mzmtp_socket_send(a->sock, body, n, false);
        if (!send_ok_or_refused(st)) abort();
        if (st == MZMTP_OK) a->reply_due = false;
        return;
    }
    if (!a->echo_due) return;
    a->echo_due = false;
    switch (a->type) {
    case MZMTP_ROUTER:
        /* Echo to the routing id; sometimes to one that does not exist. */
        if (rng_next(a->r) % 8 == 0) pat_send(a, "nobody", 6, true);
        else pat_send(a, a->id, a->id_len, true);
        pat_send(a, "", 0, true);
        pat_send(a, body, n, false);
        break;
    case MZMTP_DEALER:
    case MZMTP_PAIR:
        if (rng_next(a->r) % 2) pat_send(a, "", 0, true);
        pat_send(a, body, n, false);
        break;
    case MZMTP_XPUB:
        pat_send(a, rng_next(a->r) % 2 ? "A" : "fz", rng_next(a->r) % 2 ? 1 : 2, false);
        break;
    default: break;
    }
}

/* The application: read what there is, answer, send, and check poll against it. */
/* Room for the largest piece recv() cannot split: a routing id, an XPUB notification. */
#define PAT_WHOLE                                                                          \
    (MZMTP_CONF_MAX_TOPIC + 1 > MZMTP_CONF_ROUTING_ID_MAX ? MZMTP_CONF_MAX_TOPIC + 1          \
                                                          : MZMTP_CONF_ROUTING_ID_MAX)

static void pat_app_step(pat_app_t *a)
{
    uint8_t buf[PAT_WHOLE > 64 ? PAT_WHOLE : 64];
    for (int k = 0; k < 64; k++) {
        unsigned ev = mzmtp_socket_poll(a->sock);
        size_t cap = 1 + rng_next(a->r) % 64, n = 0;
        unsigned flags = 0;
        mzmtp_status_t st;
#if MZMTP_CONF_RECV_REF
        if (a->type != MZMTP_XPUB && rng_next(a->r) % 4 == 0) {
            /* Lent in place: whatever its length, every byte must be readable (ASan), and
             * it is checked below like a copy of up to sizeof buf bytes. */
            const void *lent = NULL;
            st = mzmtp_socket_recv_ref(a->sock, &lent, &n, &flags);
            if (st == MZMTP_OK) {
                volatile uint8_t sum = 0;
                for (size_t i = 0; i < n; i++) sum = (uint8_t)(sum + ((const uint8_t *)lent)[i]);
                (void)sum;
                cap = n < sizeof buf ? sizeof buf : n;
                memcpy(buf, lent, n < sizeof buf ? n : sizeof buf);
            }
        } else
#endif
        st = mzmtp_socket_recv(a->sock, buf, cap, &n, &flags);
        if (st == MZMTP_ERR_NO_MEMORY) {
            /* A ROUTER id or an XPUB notification larger than cap: give it room. */
            if (a->type != MZMTP_ROUTER && a->type != MZMTP_XPUB) abort();
            cap = sizeof buf;
            st = mzmtp_socket_recv(a->sock, buf, cap, &n, &flags);
        }
        if (n > cap) abort();
        if (st == MZMTP_OK && !(ev & MZMTP_POLLIN)) abort(); /* poll hid a message */
        if (st == MZMTP_ERR_TRUNCATED) {
            a->in_msg = false;
            a->frame = 0;
            continue;
        }
        if (st == MZMTP_AGAIN || st == MZMTP_ERR_STATE) {
            if (st == MZMTP_ERR_STATE && a->type != MZMTP_REQ && a->type != MZMTP_REP) abort();
            break;
        }
        if (st != MZMTP_OK) abort();
        if (a->type == MZMTP_ROUTER && a->frame == 0 && !a->in_msg) {
            /* The routing id comes whole, as the first frame (wire-notes S9), also for a
             * message read after its peer left (router_keeps_the_routing_id_of_messages_
             * read_after_their_peer_left). */
            if (flags != MZMTP_RECV_MORE || n == 0 || n > sizeof a->id) abort();
            memcpy(a->id, buf, n);
            a->id_len = n;
        }
        a->in_msg = true;
        if (flags & MZMTP_RECV_PARTIAL) continue;
        a->frame++;
        if (flags & MZMTP_RECV_MORE) continue;
        a->in_msg = false;
        a->frame = 0;
        if (a->type == MZMTP_REP) a->reply_due = true;
        else a->echo_due = true;
        pat_answer(a);
    }
    pat_answer(a); /* a reply refused earlier for lack of room */

    /* Sends: REQ asks again whenever it may; DEALER and PAIR send now and then. */
    unsigned ev = mzmtp_socket_poll(a->sock);
    static const uint8_t big[64] = {'q'};
    bool sender = a->type == MZMTP_REQ || a->type == MZMTP_DEALER || a->type == MZMTP_PAIR;
    if (sender && !(ev & MZMTP_POLLOUT)) {
        /* No POLLOUT: a 64-byte send must be refused and leave nothing behind. */
        mzmtp_status_t st = mzmtp_socket_send(a->sock, big, sizeof big, false);
        if (st != MZMTP_AGAIN && st != MZMTP_ERR_STATE) abort();
    } else if (a->type == MZMTP_REQ || (sender && rng_next(a->r) % 4 == 0)) {
        pat_send(a, "q", 1, true);
        pat_send(a, big, 1 + rng_next(a->r) % sizeof big, false);
    }
}

static void drain_peers(mzmtp_socket_t *s, const int *peer, int npeers, rng_t *r)
{
    for (int i = 0; i < npeers; i++) {
        if (peer[i] >= 0 && mzmtp_socket_peer_live(s, peer[i])) drain_socket(s, peer[i], r);
    }
}

/* Feed @p in to every live peer in pieces, running the application between them.
 * A peer that fails is closed as a port would close it. */
static void pat_feed(pat_app_t *a, const int *peer, bool *live, int npeers, const uint8_t *in,
                     size_t len, uint32_t *now)
{
    mzmtp_socket_t *s = a->sock;
    size_t pos[PAT_PEERS] = {0, 0};
    int stalled[PAT_PEERS] = {0, 0};
    for (int guard = 0; guard < 100000; guard++) {
        bool any = false;
        for (int i = 0; i < npeers; i++) {
            if (!live[i] || pos[i] >= len || stalled[i] >= 3) continue;
            any = true;
            size_t chunk = 1 + rng_next(a->r) % 53;
            if (chunk > len - pos[i]) chunk = len - pos[i];
            uint8_t *piece = dup_exact(in + pos[i], chunk);
            size_t consumed = 0;
            mzmtp_status_t st = mzmtp_socket_peer_input(s, peer[i], piece, chunk, *now, &consumed);
            free(piece);
            if (consumed > chunk) abort();
            pos[i] += consumed;
            stalled[i] = consumed ? 0 : stalled[i] + 1;
            if (st != MZMTP_OK) {
                if ((int)st > 0) abort();
                drain_socket(s, peer[i], a->r); /* an ERROR may still go out */
                mzmtp_socket_peer_stop(s, peer[i], st);
                live[i] = false;
            }
        }
        if (!any) break;
        pat_app_step(a);
        drain_peers(s, peer, npeers, a->r);
        *now += rng_next(a->r) % 300;
        bool any_dead = mzmtp_socket_tick(s, *now);
        if (any_dead != (mzmtp_socket_peer_next_dead(s, -1) >= 0)) abort();
        for (int p = mzmtp_socket_peer_next_dead(s, -1); p >= 0; p = mzmtp_socket_peer_next_dead(s, p)) {
            mzmtp_status_t why = mzmtp_socket_peer_status(s, p);
            if (why == MZMTP_OK) abort();
            for (int i = 0; i < npeers; i++) {
                if (!live[i] || peer[i] != p) continue;
                mzmtp_socket_peer_stop(s, p, why);
                live[i] = false;
            }
        }
        (void)mzmtp_socket_next_timeout(s, *now);
    }
    pat_app_step(a);
    drain_peers(s, peer, npeers, a->r);
}

static void fuzz_pattern(uint8_t mode, uint8_t seed, const uint8_t *in, size_t len)
{
    static mzmtp_socket_t sock;
    rng_t r = {0xC2B2AE35u ^ ((uint32_t)seed * 0x01000193u) ^ 1u};
    const pattern_t *pat = &patterns[seed % 7u];
    const char *peer_type = pat->peer[(seed >> 3) & 1u];
    int npeers = (seed & 0x10u) ? 2 : 1;
    bool keep = (seed & 0x20u) != 0, reconnect = (seed & 0x40u) != 0;
    bool with_id = (seed & 0x80u) != 0;
    size_t per_peer = (mode & 8u) ? MZMTP_RECV_MIN : 300u;
    if (per_peer < MZMTP_RECV_MIN) per_peer = MZMTP_RECV_MIN;
    mzmtp_socket_mem_t mem = fuzz_socket_mem(per_peer);
    if (mzmtp_socket_init(&sock, pat->type, &mem) != MZMTP_OK) abort();
    uint32_t hwm = 3, on = 1, rcvhwm = (seed & 2u) ? 2 : 0;
    ignore(mzmtp_socket_setopt(&sock, MZMTP_OPT_SNDHWM, &hwm, sizeof hwm));
    ignore(mzmtp_socket_setopt(&sock, MZMTP_OPT_RCVHWM, &rcvhwm, sizeof rcvhwm));
    uint64_t max = (mode >> 4) ? (uint64_t)16 << ((mode >> 4) - 1) : 0;
    ignore(mzmtp_socket_setopt(&sock, MZMTP_OPT_MAXMSGSIZE, &max, sizeof max));
    if (seed & 1u) {
        uint32_t ivl = 700, ttl = 1500;
        ignore(mzmtp_socket_setopt(&sock, MZMTP_OPT_HEARTBEAT_IVL, &ivl, sizeof ivl));
        ignore(mzmtp_socket_setopt(&sock, MZMTP_OPT_HEARTBEAT_TTL, &ttl, sizeof ttl));
    }
    if (with_id) {
        ignore(mzmtp_socket_setopt(&sock, MZMTP_OPT_ROUTING_ID, "me", 2));
        ignore(mzmtp_socket_setopt(&sock, MZMTP_OPT_ROUTER_MANDATORY, &on, sizeof on));
    }
    if (pat->type == MZMTP_ROUTER) {
        uint32_t id_seed = 0xFFFFFFFFu - (seed & 3u);
        ignore(mzmtp_socket_setopt(&sock, MZMTP_OPT_ROUTER_ID_SEED, &id_seed, sizeof id_seed));
    }
    uint32_t now = 0xFFFFF000u; /* near the wrap on purpose */
    int peer[PAT_PEERS] = {-1, -1};
    bool live[PAT_PEERS] = {false, false};
    pat_app_t app;
    memset(&app, 0, sizeof app);
    app.sock = &sock;
    app.type = pat->type;
    app.r = &r;
    if (keep && pat->type == MZMTP_REQ) {
        /* A request queued before the connection exists (wire-notes R4). */
        if (mzmtp_socket_peer_open(&sock, true, &peer[0]) != MZMTP_OK) abort();
        pat_app_step(&app);
        if (mzmtp_socket_peer_start(&sock, peer[0], now) != MZMTP_OK) abort();
        live[0] = true;
    }
    for (int i = 0; i < npeers; i++) {
        if (live[i]) continue;
        if (mzmtp_socket_peer_open(&sock, keep, &peer[i]) != MZMTP_OK) abort();
        if (mzmtp_socket_peer_start(&sock, peer[i], now) != MZMTP_OK) abort();
        live[i] = true;
    }

    uint8_t prefix[160];
    size_t plen = make_pattern_prefix(mode, peer_type, with_id, prefix);
    pat_feed(&app, peer, live, npeers, prefix, plen, &now);
    pat_feed(&app, peer, live, npeers, in, len, &now);

    if (reconnect) {
        /* The first connection drops; a new one comes (to the same slot if it is a
         * connecting one) and the peer starts over with its handshake. */
        if (live[0]) drain_socket(&sock, peer[0], &r);
        if (peer[0] >= 0) mzmtp_socket_peer_stop(&sock, peer[0], MZMTP_ERR_CLOSED);
        live[0] = false;
        if (!keep) {
            if (mzmtp_socket_peer_open(&sock, false, &peer[0]) != MZMTP_OK) abort();
        }
        if (mzmtp_socket_peer_start(&sock, peer[0], now) != MZMTP_OK) abort();
        live[0] = true;
        bool only_first[PAT_PEERS] = {true, false};
        pat_feed(&app, peer, only_first, 1, prefix, plen, &now);
        live[0] = only_first[0];
        pat_feed(&app, peer, live, 1, in, len > 256 ? 256 : len, &now);
    }
    (void)mzmtp_socket_flushed(&sock);
    (void)mzmtp_socket_peer_count(&sock);
    mzmtp_socket_close(&sock);
    mzmtp_status_t closed = mzmtp_socket_send(&sock, "x", 1, false);
    if (closed != (pat->type == MZMTP_PULL ? MZMTP_ERR_NOT_SUPPORTED : MZMTP_ERR_STATE)) abort();
    for (int i = 0; i < npeers; i++) {
        if (peer[i] < 0) continue;
        if (live[i]) drain_socket(&sock, peer[i], &r);
        mzmtp_socket_peer_stop(&sock, peer[i], MZMTP_ERR_CLOSED);
        mzmtp_socket_peer_release(&sock, peer[i]);
    }
    /* Whatever complete messages were left stay readable after their peers left. */
    pat_app_step(&app);
    free(mem.send_buf);
    free(mem.recv_buf);
    free(mem.peers);
    free(mem.peer_buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    uint8_t mode = data[0], seed = data[1];
    /* Give the rest its own exact-size block: a read past it is a bug. */
    uint8_t *rest = dup_exact(data + 2, size - 2);
    fuzz_engine(mode, seed, rest, size - 2);
    fuzz_socket(mode, seed, rest, size - 2);
    if (!MZMTP_CONN_NO_DELIVERY) fuzz_pattern(mode, seed, rest, size - 2);
    free(rest);
    return 0;
}
