/*
 * bench_zmtp: every process of the microzmtp-vs-libzmq benchmark (bench/run.py drives it).
 *
 *   bench_zmtp ROLE [options]
 *
 * ROLE
 *   thr-send   bind a sending socket, wait for --peers receivers, send --count messages
 *   thr-recv   connect --conns times, receive --conns x --count messages, time them
 *   lat-ping   round trips: send, wait for the echo; prints one-way = RTT / 2
 *   lat-pong   echo every message back
 *   mem-pub    4 PUB sockets; on "N" from stdin, wait for N subscribers, publish, print RSS
 *   mem-peers  libzmq SUB sockets for mem-pub; on "N" from stdin, have N connected
 *   fan-subs   --conns libzmq SUB sockets in one process (fan-out to 100 and 1,000)
 *   router-echo  a ROUTER of --lib echoing --peers x (--count + 1) messages to their senders
 *   dealers    --conns libzmq DEALERs: one warm-up round trip, "WARM", then on "RUN"
 *              --count timed round trips each
 *   storm-server  a PUB of --lib: wait for --peers subscribed connections; time, RSS
 *   storm-clients --conns raw ZMTP connections, --window at once (connect storm)
 *   raw-subs, raw-dealers   fan-subs and dealers with raw ZMTP connections from one epoll
 *              process instead of libzmq sockets (lighter peers for the server under test)
 *   tcp-send, tcp-recv, tcp-ping, tcp-pong   the same over raw TCP (the physical limit)
 * OPTIONS
 *   --lib mz|zmq       library (microzmtp on its POSIX port, or libzmq)
 *   --pattern NAME     pubsub (and whatever the pattern table below lists)
 *   --ep EP, --ep2 EP  endpoints: the one this role binds or connects; the second pair's
 *   --size N --count N --warmup N --peers N --conns N
 *   --flush-every N, --flush-bytes B   microzmtp sender: write queued messages (run the
 *                      I/O loop once, without waiting) after N messages or B bytes,
 *                      whichever comes first, and whenever the send ring is full; 0 = off
 *   --ring BYTES --rxbuf BYTES   microzmtp memory: send ring per socket, receive buffer
 *                      per peer
 *   --hwm N            libzmq SNDHWM/RCVHWM
 *   --spin-us US       microzmtp receiver: poll without sleeping for up to US microseconds
 *                      before blocking (busy polling; off by default)
 *   --accept-ivl MS    microzmtp: mzmtp_posix_set_accept_interval() (0: off, the default)
 *   --hb-ivl MS        microzmtp: MZMTP_OPT_HEARTBEAT_IVL on every socket (its PINGs; the
 *                      heartbeat timeout an hour: raw peers never answer); 0: off
 *   --hold MS          storm-server: how long the peers sit idle once all are up (500)
 *   --ref-min BYTES    senders of messages at least this large send them without a copy
 *                      (microzmtp: mzmtp_socket_send_ref; libzmq: zmq_msg_init_data), from
 *                      a rotation of buffers; 0 = never. Receivers always take messages
 *                      without a copy (mzmtp_socket_recv_ref, zmq_msg_recv).
 *   --curve 0|1        1: CURVE (RFC 26) on every socket: the binding one is the server,
 *                      the connecting one a client (libzmq's test keys, wire-notes C13).
 *                      Every timed message is boxed and opened; the handshake is over
 *                      before timing starts (the sender waits for its peers).
 *
 * Protocol with the driver: a role binds, prints "READY", waits for a "GO" line on stdin,
 * then connects and works, and prints one "RESULT key=value ..." line. Every message
 * carries its sequence number (low bytes, little endian) and the receiver checks the size,
 * the sequence and the count: a lost, reordered or damaged message fails the run.
 *
 * Adding a socket pattern: one line in patterns[], and the kind in both backends' maps.
 * The library allocates nothing; this program uses the heap for its own buffers freely.
 */
#define _GNU_SOURCE
#include "mzmtp_posix.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

/* ------------------------------------------------------------------------------------ */
/* Options, helpers                                                                        */
/* ------------------------------------------------------------------------------------ */

typedef struct opts {
    const char *role, *lib, *pattern, *ep, *ep2;
    size_t size;
    unsigned long count, warmup;
    unsigned peers, conns, sockets;
    unsigned long flush_every, flush_bytes;
    size_t ring, rxbuf;
    int hwm;
    int timeout_ms;
    unsigned long spin_us;
    size_t ref_min;
    int accept_ivl;
    int curve;
    unsigned window;
    unsigned hb_ivl, hold_ms;
} opts_t;

static opts_t O = {
    .role = NULL, .lib = "mz", .pattern = "pubsub", .ep = NULL, .ep2 = NULL,
    .size = 1, .count = 100000, .warmup = 1000, .peers = 1, .conns = 1, .sockets = 4,
    .flush_every = 256, .flush_bytes = 1u << 20, .ring = 8u << 20, .rxbuf = 256u << 10, .hwm = 1000,
    .timeout_ms = 20000, .spin_us = 0, .ref_min = 0,
    .accept_ivl = 0, .curve = 0, .window = 128, .hb_ivl = 0, .hold_ms = 500,
};

/* --curve 1: libzmq's test key pairs (doc/zmq_curve.txt; wire-notes C13), in Z85. The
 * client's is fixed too, so both libraries do exactly the same work. */
static const char CURVE_SERVER_PUBLIC[] = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
static const char CURVE_SERVER_SECRET[] = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6";
static const char CURVE_CLIENT_SECRET[] = "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs";

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "bench_zmtp %s/%s: ", O.role ? O.role : "?", O.lib);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* CPU seconds this process (every thread) has used so far, user + system. */
static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fflush(stdout);
}

/* READY, then wait for the driver's GO (so that every peer has bound before anyone
 * connects, and no reconnect timer skews a run). */
static void ready_go(void)
{
    char line[64];
    say("READY\n");
    if (fgets(line, sizeof line, stdin) == NULL || strncmp(line, "GO", 2) != 0) die("no GO");
}

/* Message stamp: the low bytes of the sequence number, little endian. */
static void stamp(uint8_t *buf, size_t size, uint64_t seq)
{
    for (size_t i = 0; i < size && i < 8; i++) buf[i] = (uint8_t)(seq >> (8 * i));
}
static bool stamp_ok(const uint8_t *buf, size_t size, uint64_t seq)
{
    for (size_t i = 0; i < size && i < 8; i++) {
        if (buf[i] != (uint8_t)(seq >> (8 * i))) return false;
    }
    return true;
}

/* ------------------------------------------------------------------------------------ */
/* Socket kinds and patterns                                                               */
/* ------------------------------------------------------------------------------------ */

enum kind { K_NONE = 0, K_PUB, K_SUB, K_PUSH, K_PULL, K_REQ, K_REP, K_ROUTER };

/*
 * A pattern, as the benchmark uses it. Throughput: tx binds and sends, rx connects and
 * receives. Latency: one pair (ping connects a `ping` socket to the `pong` socket, which
 * binds) or, for one-way patterns, two pairs: each node binds a tx socket and connects an
 * rx socket to the other node's.
 */
typedef struct pattern {
    const char *name;
    enum kind tx, rx;       /* throughput; K_NONE: no throughput test */
    enum kind ping, pong;   /* latency with one pair; K_NONE: two tx/rx pairs */
    bool subscribe;         /* rx must subscribe to everything */
} pattern_t;

static const pattern_t patterns[] = {
    {"pubsub", K_PUB, K_SUB, K_NONE, K_NONE, true},
    {"pushpull", K_PUSH, K_PULL, K_NONE, K_NONE, false},
    {"reqrep", K_NONE, K_NONE, K_REQ, K_REP, false},
};

static const pattern_t *find_pattern(const char *name)
{
    for (size_t i = 0; i < sizeof patterns / sizeof patterns[0]; i++) {
        if (strcmp(patterns[i].name, name) == 0) return &patterns[i];
    }
    die("unknown pattern %s", name);
    return NULL;
}

/* ------------------------------------------------------------------------------------ */
/* Backends: one blocking, lossless interface over both libraries                          */
/* ------------------------------------------------------------------------------------ */

typedef struct bsock bsock_t;
typedef struct backend {
    const char *name;
    void (*init)(void);
    bsock_t *(*open)(enum kind k);
    void (*bind)(bsock_t *s, const char *ep);
    void (*connect)(bsock_t *s, const char *ep);
    void (*subscribe_all)(bsock_t *s);
    /* Block until @p n peers are there to receive (PUB: have subscribed). */
    void (*wait_ready)(bsock_t *s, unsigned n);
    /* @return without blocking when >0 peers-ready became known (mem test); 0 if none. */
    unsigned (*ready_count)(bsock_t *s);
    /* Queue one message; blocks while there is no room; never drops. */
    void (*send)(bsock_t *s, const void *buf, size_t len);
    /* The same without a copy: @p buf stays untouched until reclaim() says it is free. */
    void (*send_ref)(bsock_t *s, const void *buf, size_t len);
    /* Block until at most @p n messages sent by reference still use their memory. */
    void (*reclaim)(bsock_t *s, unsigned n);
    /* Send back the message the last recv() returned, and write it now; without a copy
     * where --ref-min asks and the library can (microzmtp: by reference from the
     * receive buffer, written before anything is read again; libzmq: the received
     * zmq_msg_t itself). */
    void (*echo)(bsock_t *s, const uint8_t *msg, size_t len);
    /* Push queued messages towards the kernel now (latency; end of a batch). */
    void (*flush)(void);
    /* One whole message, without a copy where the library can: @p *msg is valid until
     * the next call; @return its size, or -1 after timeout_ms of silence. */
    long (*recv)(bsock_t *s, const uint8_t **msg, int timeout_ms);
    void (*close)(bsock_t *s);
    void (*term)(void);
} backend_t;

/* ---------------- microzmtp on the POSIX port ---------------- */

#define MZ_SOCKETS MZMTP_POSIX_MAX_SOCKETS
#define MZ_RING_MAX (16u << 20)
#define MZ_RX_MAX (4u << 20)

static mzmtp_posix_t mz_io;
static mzmtp_socket_t mz_sock[MZ_SOCKETS];
static mzmtp_socket_mem_t mz_mem[MZ_SOCKETS];
/* Static, like any microzmtp program; pages nobody touches cost no RSS. The receive
 * buffers (MZMTP_CONF_MAX_PEERS x --rxbuf per socket: 40 GB at the scale profile's 10,000
 * peers and 4 MiB) are mapped at open instead, zero pages that cost RSS only once
 * touched, as bss would. */
static uint8_t mz_ring[MZ_SOCKETS][MZ_RING_MAX];
static unsigned mz_used;
static unsigned long mz_since_flush, mz_bytes_since_flush;

static int mz_type(enum kind k)
{
    switch (k) {
    case K_PUB: return MZMTP_PUB;
    case K_SUB: return MZMTP_SUB;
    case K_PUSH: return MZMTP_PUSH;
    case K_PULL: return MZMTP_PULL;
    case K_REQ: return MZMTP_REQ;
    case K_REP: return MZMTP_REP;
    case K_ROUTER: return MZMTP_ROUTER;
    default: die("kind %d", (int)k); return -1;
    }
}

static mzmtp_socket_t *MZ(bsock_t *s) { return (mzmtp_socket_t *)(void *)s; }

static void mz_init(void)
{
    if (O.ring > MZ_RING_MAX || O.rxbuf > MZ_RX_MAX) die("--ring/--rxbuf too large");
    mzmtp_posix_init(&mz_io);
    mzmtp_posix_set_accept_interval(&mz_io, O.accept_ivl);
}

static bsock_t *mz_open(enum kind k)
{
    if (mz_used == MZ_SOCKETS) die("too many sockets");
    unsigned i = mz_used++;
    mzmtp_socket_mem_t *m = &mz_mem[i];
    m->send_buf = mz_ring[i];
    m->send_size = O.ring;
    m->recv_buf = calloc(MZMTP_CONF_MAX_PEERS, O.rxbuf);
    if (m->recv_buf == NULL) die("no memory for %u x %zu B of receive buffers", MZMTP_CONF_MAX_PEERS, O.rxbuf);
    m->recv_per_peer = O.rxbuf;
    m->max_peers = MZMTP_CONF_MAX_PEERS;
    m->peers = calloc(m->max_peers, sizeof(mzmtp_peer_t)); /* zero pages, as bss would be */
    if (m->peers == NULL) die("no memory for %u peer slots", MZMTP_CONF_MAX_PEERS);
    /* Per-peer state sized for this socket (command buffer; a ROUTER's ids; with --curve,
     * a server's User-Ids and addresses): no identity, no PLAIN here. */
    m->peer_buf_bytes = mzmtp_socket_peer_buf_bytes(mz_type(k), 0, 0, O.curve ? MZMTP_MECH_CURVE : MZMTP_MECH_NULL,
                                                    O.curve != 0);
    m->peer_buf = calloc(m->max_peers, m->peer_buf_bytes);
    if (m->peer_buf == NULL) die("no memory for %u peer areas", MZMTP_CONF_MAX_PEERS);
    mzmtp_socket_t *s = &mz_sock[i];
    if (mzmtp_socket_init(s, mz_type(k), m) != MZMTP_OK) die("mzmtp_socket_init");
    /* Lossless: no per-peer message limit; the send ring and the receive buffer are the
     * only bounds. A PUB with NODROP refuses (MZMTP_AGAIN) rather than drops when the ring
     * is full, as libzmq's ZMQ_XPUB_NODROP; a full receive buffer stops reading, so TCP
     * flow control pushes back on the sender. */
    uint32_t zero = 0, one = 1;
    if (mzmtp_socket_setopt(s, MZMTP_OPT_SNDHWM, &zero, sizeof zero) != MZMTP_OK ||
        mzmtp_socket_setopt(s, MZMTP_OPT_RCVHWM, &zero, sizeof zero) != MZMTP_OK ||
        (k == K_PUB && mzmtp_socket_setopt(s, MZMTP_OPT_NODROP, &one, sizeof one) != MZMTP_OK)) {
        die("setopt");
    }
    /* --hb-ivl: our own PINGs, each peer at its own time; the timeout so long that peers
     * which never answer (storm-clients) stay (what is measured is the PINGs). */
    uint32_t hb_timeout = 3600000u;
    if (O.hb_ivl != 0 &&
        (mzmtp_socket_setopt(s, MZMTP_OPT_HEARTBEAT_IVL, &O.hb_ivl, sizeof O.hb_ivl) != MZMTP_OK ||
         mzmtp_socket_setopt(s, MZMTP_OPT_HEARTBEAT_TIMEOUT, &hb_timeout, sizeof hb_timeout) != MZMTP_OK)) {
        die("--hb-ivl: setopt");
    }
    return (bsock_t *)(void *)s;
}

/* --curve: a binding socket becomes a CURVE server, a connecting one a client. The POSIX
 * port gives every socket its random source (getrandom). */
static void mz_curve(bsock_t *s, bool server)
{
    if (!O.curve) return;
#if MZMTP_CONF_CURVE
    uint8_t k[MZMTP_CURVE_KEY_LEN];
    uint32_t one = 1;
    mzmtp_socket_t *m = MZ(s);
    const char *z = server ? CURVE_SERVER_SECRET : CURVE_SERVER_PUBLIC;
    if (mzmtp_z85_decode(k, sizeof k, z, MZMTP_Z85_KEY_LEN) != MZMTP_OK) die("z85");
    if (server) {
        if (mzmtp_socket_setopt(m, MZMTP_OPT_CURVE_SERVER, &one, sizeof one) != MZMTP_OK ||
            mzmtp_socket_setopt(m, MZMTP_OPT_CURVE_SECRETKEY, k, sizeof k) != MZMTP_OK) {
            die("CURVE server options");
        }
        return;
    }
    if (mzmtp_socket_setopt(m, MZMTP_OPT_CURVE_SERVERKEY, k, sizeof k) != MZMTP_OK) die("CURVE_SERVERKEY");
    if (mzmtp_z85_decode(k, sizeof k, CURVE_CLIENT_SECRET, MZMTP_Z85_KEY_LEN) != MZMTP_OK ||
        mzmtp_socket_setopt(m, MZMTP_OPT_CURVE_SECRETKEY, k, sizeof k) != MZMTP_OK) {
        die("CURVE_SECRETKEY");
    }
#else
    (void)s, (void)server;
    die("--curve 1: this microzmtp is built without CURVE (MZMTP_CONF_CURVE=0)");
#endif
}

static void mz_bind(bsock_t *s, const char *ep)
{
    mz_curve(s, true);
    if (mzmtp_posix_bind(&mz_io, MZ(s), ep, NULL, 0) != MZMTP_OK) die("bind %s", ep);
}

static void mz_connect(bsock_t *s, const char *ep)
{
    mz_curve(s, false);
    if (mzmtp_posix_connect(&mz_io, MZ(s), ep) != MZMTP_OK) die("connect %s", ep);
}

static void mz_subscribe_all(bsock_t *s)
{
    if (mzmtp_socket_subscribe(MZ(s), "", 0) != MZMTP_OK) die("subscribe");
}

static unsigned mz_ready_count(bsock_t *s)
{
    mzmtp_socket_t *m = MZ(s);
    return m->type == MZMTP_PUB || m->type == MZMTP_XPUB ? mzmtp_socket_sub_peer_count(m)
                                                         : mzmtp_socket_peer_count(m);
}

static void mz_wait_ready(bsock_t *s, unsigned n)
{
    uint64_t end = now_ns() + (uint64_t)O.timeout_ms * 1000000u;
    while (mz_ready_count(s) < n) {
        if (now_ns() > end) die("only %u of %u peers ready", mz_ready_count(s), n);
        (void)mzmtp_posix_run(&mz_io, 10);
    }
}

/* Write what is queued without waiting in poll(): mzmtp_posix_handle() with no events
 * runs the timers and writes every peer's pending output. */
static void mz_flush(void)
{
    mzmtp_posix_handle(&mz_io, NULL, 0);
    mz_since_flush = mz_bytes_since_flush = 0;
}

/* Queue one message (by copy, or by reference), running the loop while the ring is
 * full; then write what is queued once --flush-every/--flush-bytes worth has gathered. */
static void mz_queue(bsock_t *s, const void *buf, size_t len, bool by_reference)
{
    mzmtp_socket_t *m = MZ(s);
    for (;;) {
        mzmtp_status_t st = by_reference ? mzmtp_socket_send_ref(m, buf, len)
                                         : mzmtp_socket_send(m, buf, len, false);
        if (st == MZMTP_OK) break;
        if (st != MZMTP_AGAIN) die("send: %s", mzmtp_status_str(st));
        (void)mzmtp_posix_run(&mz_io, 1000);
        mz_since_flush = mz_bytes_since_flush = 0;
    }
    mz_bytes_since_flush += len;
    if ((O.flush_every && ++mz_since_flush >= O.flush_every) ||
        (O.flush_bytes && mz_bytes_since_flush >= O.flush_bytes)) {
        mz_flush();
    }
}

static void mz_send(bsock_t *s, const void *buf, size_t len) { mz_queue(s, buf, len, false); }
static void mz_send_ref(bsock_t *s, const void *buf, size_t len) { mz_queue(s, buf, len, true); }

static void mz_reclaim(bsock_t *s, unsigned n)
{
    uint64_t end = now_ns() + (uint64_t)O.timeout_ms * 1000000u;
    while (mzmtp_socket_refs_pending(MZ(s)) > n) {
        if (now_ns() > end) die("messages sent by reference not written in time");
        (void)mzmtp_posix_run(&mz_io, 100);
    }
}

static void mz_echo(bsock_t *s, const uint8_t *msg, size_t len)
{
    if (O.ref_min == 0 || len < O.ref_min) {
        mz_send(s, msg, len);
        mz_flush();
        return;
    }
    /* recv_ref's bytes stay in place until the port reads again: send them on by
     * reference and write them out before that (mzmtp_posix_flush reads nothing). */
    mz_queue(s, msg, len, true);
    if (mzmtp_posix_flush(&mz_io, O.timeout_ms) != MZMTP_OK || mzmtp_socket_refs_pending(MZ(s)) != 0) {
        die("echo by reference not written");
    }
}

/* A message that came in pieces (larger than a receive buffer, or several frames) is
 * put together here; a whole one-frame message is lent where it lies. */
static uint8_t *mz_join;
static size_t mz_join_cap;

static long mz_recv(bsock_t *s, const uint8_t **msg, int timeout_ms)
{
    mzmtp_socket_t *m = MZ(s);
    size_t total = 0;
    uint64_t deadline = 0, spin_end = 0;
    for (;;) {
        const void *d;
        size_t len;
        unsigned flags;
        mzmtp_status_t st = mzmtp_socket_recv_ref(m, &d, &len, &flags);
        if (st == MZMTP_OK) {
            bool last = !(flags & (MZMTP_RECV_PARTIAL | MZMTP_RECV_MORE));
            if (last && total == 0) {
                *msg = d;
                return (long)len;
            }
            if (total + len > mz_join_cap) {
                mz_join_cap = (total + len) * 2;
                mz_join = realloc(mz_join, mz_join_cap);
                if (mz_join == NULL) die("memory");
            }
            memcpy(mz_join + total, d, len);
            total += len;
            if (!last) continue;
            *msg = mz_join;
            return (long)total;
        }
        if (st != MZMTP_AGAIN) die("recv: %s", mzmtp_status_str(st));
        uint64_t t = now_ns();
        if (deadline == 0) {
            deadline = t + (uint64_t)timeout_ms * 1000000u;
            spin_end = t + (uint64_t)O.spin_us * 1000u;
        } else if (t > deadline) {
            return -1;
        }
        /* --spin-us: poll without sleeping for a while before blocking (busy polling). */
        (void)mzmtp_posix_run(&mz_io, t < spin_end ? 0 : 100);
    }
}

static void mz_close(bsock_t *s) { (void)mzmtp_posix_close(&mz_io, MZ(s), O.timeout_ms); }
static void mz_term(void) {}

static const backend_t backend_mz = {
    "mz", mz_init, mz_open, mz_bind, mz_connect, mz_subscribe_all, mz_wait_ready,
    mz_ready_count, mz_send, mz_send_ref, mz_reclaim, mz_echo, mz_flush, mz_recv, mz_close, mz_term,
};

/* ---------------- libzmq ---------------- */

static void *zctx;

typedef struct zsock {
    void *s;
    enum kind k;
    unsigned subscribers; /* XPUB: subscriptions seen */
    int rcvtimeo;         /* ZMQ_RCVTIMEO as last set */
} zsock_t;
static zsock_t zsocks[16];
static unsigned zused;

static zsock_t *ZS(bsock_t *s) { return (zsock_t *)(void *)s; }

static void zmq_chk(int rc, const char *what)
{
    if (rc != 0) die("%s: %s", what, zmq_strerror(zmq_errno()));
}

static void z_init(void)
{
    zctx = zmq_ctx_new(); /* one I/O thread, libzmq's default */
    if (zctx == NULL) die("zmq_ctx_new");
}

static bsock_t *z_open(enum kind k)
{
    int type;
    switch (k) {
    /* PUB is XPUB in libzmq (pub_t only forbids recv); XPUB lets the sender see the
     * subscriptions arrive, as mzmtp_socket_sub_peer_count() does. */
    case K_PUB: type = ZMQ_XPUB; break;
    case K_SUB: type = ZMQ_SUB; break;
    case K_PUSH: type = ZMQ_PUSH; break;
    case K_PULL: type = ZMQ_PULL; break;
    case K_REQ: type = ZMQ_REQ; break;
    case K_REP: type = ZMQ_REP; break;
    case K_ROUTER: type = ZMQ_ROUTER; break;
    default: die("kind"); return NULL;
    }
    if (zused == sizeof zsocks / sizeof zsocks[0]) die("too many sockets");
    zsock_t *z = &zsocks[zused++];
    z->k = k;
    z->rcvtimeo = -2; /* not set yet */
    z->s = zmq_socket(zctx, type);
    if (z->s == NULL) die("zmq_socket");
    int hwm = O.hwm, one = 1;
    zmq_chk(zmq_setsockopt(z->s, ZMQ_SNDHWM, &hwm, sizeof hwm), "SNDHWM");
    zmq_chk(zmq_setsockopt(z->s, ZMQ_RCVHWM, &hwm, sizeof hwm), "RCVHWM");
    if (k == K_PUB) {
        zmq_chk(zmq_setsockopt(z->s, ZMQ_XPUB_NODROP, &one, sizeof one), "XPUB_NODROP");
        zmq_chk(zmq_setsockopt(z->s, ZMQ_XPUB_VERBOSE, &one, sizeof one), "XPUB_VERBOSE");
    }
    return (bsock_t *)(void *)z;
}

/* --curve: as mz_curve(). No ZAP handler: libzmq then accepts any client key (wire-notes
 * C10), as our server without an authenticator does. */
static void z_curve(bsock_t *s, bool server)
{
    if (!O.curve) return;
    void *z = ZS(s)->s;
    int one = 1;
    if (server) {
        zmq_chk(zmq_setsockopt(z, ZMQ_CURVE_SERVER, &one, sizeof one), "CURVE_SERVER");
        zmq_chk(zmq_setsockopt(z, ZMQ_CURVE_SECRETKEY, CURVE_SERVER_SECRET, 40), "CURVE_SECRETKEY");
        return;
    }
    char pub[41];
    zmq_chk(zmq_curve_public(pub, CURVE_CLIENT_SECRET), "zmq_curve_public");
    zmq_chk(zmq_setsockopt(z, ZMQ_CURVE_SERVERKEY, CURVE_SERVER_PUBLIC, 40), "CURVE_SERVERKEY");
    zmq_chk(zmq_setsockopt(z, ZMQ_CURVE_PUBLICKEY, pub, 40), "CURVE_PUBLICKEY");
    zmq_chk(zmq_setsockopt(z, ZMQ_CURVE_SECRETKEY, CURVE_CLIENT_SECRET, 40), "CURVE_SECRETKEY");
}

static void z_bind(bsock_t *s, const char *ep)
{
    z_curve(s, true);
    zmq_chk(zmq_bind(ZS(s)->s, ep), "bind");
}
static void z_connect(bsock_t *s, const char *ep)
{
    z_curve(s, false);
    zmq_chk(zmq_connect(ZS(s)->s, ep), "connect");
}
static void z_subscribe_all(bsock_t *s)
{
    zmq_chk(zmq_setsockopt(ZS(s)->s, ZMQ_SUBSCRIBE, "", 0), "SUBSCRIBE");
}

static unsigned z_ready_count(bsock_t *s)
{
    zsock_t *z = ZS(s);
    if (z->k != K_PUB) return 1;
    uint8_t b[256];
    while (zmq_recv(z->s, b, sizeof b, ZMQ_DONTWAIT) >= 0) {
        if (b[0] == 1) z->subscribers++;
    }
    return z->subscribers;
}

static void z_wait_ready(bsock_t *s, unsigned n)
{
    zsock_t *z = ZS(s);
    if (z->k != K_PUB) return; /* PUSH/REQ sends wait for a peer by themselves */
    uint64_t end = now_ns() + (uint64_t)O.timeout_ms * 1000000u;
    while (z_ready_count(s) < n) {
        if (now_ns() > end) die("only %u of %u subscribers", z->subscribers, n);
        zmq_pollitem_t it = {z->s, 0, ZMQ_POLLIN, 0};
        (void)zmq_poll(&it, 1, 10);
    }
}

static void z_send(bsock_t *s, const void *buf, size_t len)
{
    while (zmq_send(ZS(s)->s, buf, len, 0) < 0) {
        if (zmq_errno() != EINTR) die("zmq_send: %s", zmq_strerror(zmq_errno()));
    }
}

static void z_flush(void) {}

/* libzmq without copies: the message's memory is lent to libzmq, which calls this when
 * it is done with it (from its I/O thread). */
static volatile unsigned z_lent;

static void z_free(void *data, void *hint)
{
    (void)data;
    (void)hint;
    __atomic_sub_fetch(&z_lent, 1, __ATOMIC_RELEASE);
}

static void z_send_ref(bsock_t *s, const void *buf, size_t len)
{
    zmq_msg_t msg;
    __atomic_add_fetch(&z_lent, 1, __ATOMIC_RELAXED);
    zmq_chk(zmq_msg_init_data(&msg, (void *)(uintptr_t)buf, len, z_free, NULL), "msg_init_data");
    while (zmq_msg_send(&msg, ZS(s)->s, 0) < 0) {
        if (zmq_errno() != EINTR) die("zmq_msg_send: %s", zmq_strerror(zmq_errno()));
    }
}

static void z_reclaim(bsock_t *s, unsigned n)
{
    (void)s;
    uint64_t end = now_ns() + (uint64_t)O.timeout_ms * 1000000u;
    while (__atomic_load_n(&z_lent, __ATOMIC_ACQUIRE) > n) {
        if (now_ns() > end) die("messages sent by reference not released in time");
        sched_yield();
    }
}

static zmq_msg_t z_msg;
static bool z_msg_live;

static void z_echo(bsock_t *s, const uint8_t *msg, size_t len)
{
    if (O.ref_min == 0 || len < O.ref_min || !z_msg_live) {
        z_send(s, msg, len);
        return;
    }
    /* The received message itself goes back: libzmq takes it over, no copy. */
    while (zmq_msg_send(&z_msg, ZS(s)->s, 0) < 0) {
        if (zmq_errno() != EINTR) die("zmq_msg_send: %s", zmq_strerror(zmq_errno()));
    }
}

static long z_recv(bsock_t *s, const uint8_t **out, int timeout_ms)
{
    zsock_t *z = ZS(s);
    if (timeout_ms != z->rcvtimeo) {
        zmq_chk(zmq_setsockopt(z->s, ZMQ_RCVTIMEO, &timeout_ms, sizeof timeout_ms), "RCVTIMEO");
        z->rcvtimeo = timeout_ms;
    }
    if (z_msg_live) (void)zmq_msg_close(&z_msg);
    zmq_chk(zmq_msg_init(&z_msg), "msg_init");
    z_msg_live = true;
    for (;;) {
        int n = zmq_msg_recv(&z_msg, z->s, 0);
        if (n >= 0) {
            if (zmq_msg_more(&z_msg)) die("multi-frame message");
            *out = zmq_msg_data(&z_msg);
            return n;
        }
        if (zmq_errno() == EAGAIN) return -1;
        if (zmq_errno() != EINTR) die("zmq_msg_recv: %s", zmq_strerror(zmq_errno()));
    }
}

static void z_close(bsock_t *s) { (void)zmq_close(ZS(s)->s); }
static void z_term(void)
{
    if (z_msg_live) (void)zmq_msg_close(&z_msg);
    z_msg_live = false;
    (void)zmq_ctx_term(zctx); /* linger -1: flushes everything */
}

static const backend_t backend_zmq = {
    "zmq", z_init, z_open, z_bind, z_connect, z_subscribe_all, z_wait_ready, z_ready_count,
    z_send, z_send_ref, z_reclaim, z_echo, z_flush, z_recv, z_close, z_term,
};

static const backend_t *B;

/* ------------------------------------------------------------------------------------ */
/* Roles                                                                                   */
/* ------------------------------------------------------------------------------------ */

static uint8_t *msg_buf(void)
{
    size_t cap = O.size + 64 > 1024 ? O.size + 64 : 1024;
    uint8_t *b = calloc(1, cap);
    if (b == NULL) die("memory");
    return b;
}

/* Messages of --ref-min bytes or more go by reference, from a rotation of REF_BUFS
 * buffers: a buffer is stamped again only once the library no longer uses it. */
#define REF_BUFS 16

static bool by_ref(void) { return O.ref_min > 0 && O.size >= O.ref_min; }

static void send_stamped(bsock_t *s, uint8_t **bufs, unsigned long i)
{
    if (!by_ref()) {
        stamp(bufs[0], O.size, i);
        B->send(s, bufs[0], O.size);
        return;
    }
    B->reclaim(s, REF_BUFS - 1); /* so the buffer of message i - REF_BUFS is free */
    uint8_t *b = bufs[i % REF_BUFS];
    stamp(b, O.size, i);
    B->send_ref(s, b, O.size);
}

static void role_thr_send(const pattern_t *pt)
{
    if (pt->tx == K_NONE) die("pattern %s has no throughput test", pt->name);
    uint8_t *bufs[REF_BUFS];
    for (unsigned k = 0; k < REF_BUFS; k++) bufs[k] = k == 0 || by_ref() ? msg_buf() : NULL;
    B->init();
    bsock_t *s = B->open(pt->tx);
    B->bind(s, O.ep);
    ready_go();
    B->wait_ready(s, O.peers);
    uint64_t t0 = now_ns();
    double cpu0 = cpu_s();
    for (unsigned long i = 0; i < O.count; i++) send_stamped(s, bufs, i);
    B->flush();
    uint64_t t1 = now_ns();
    if (by_ref()) B->reclaim(s, 0);
    B->close(s);
    B->term(); /* libzmq: its I/O thread has written everything once term returns */
    /* run_cpu_s: the sender's CPU from its first message until all are out, not the
     * set-up (accepting, handshakes, subscriptions) that cpu_s includes. */
    say("RESULT role=thr-send msgs=%lu secs=%.6f cpu_s=%.6f run_cpu_s=%.6f\n", O.count,
        (double)(t1 - t0) / 1e9, cpu_s(), cpu_s() - cpu0);
}

static void role_thr_recv(const pattern_t *pt)
{
    if (pt->rx == K_NONE) die("pattern %s has no throughput test", pt->name);
    B->init();
    bsock_t *s = B->open(pt->rx);
    if (pt->subscribe) B->subscribe_all(s);
    ready_go();
    for (unsigned i = 0; i < O.conns; i++) B->connect(s, O.ep);
    unsigned long total = O.count * O.conns, got = 0;
    uint64_t t0 = 0, t1 = 0;
    /* With one connection messages arrive in order; with several they interleave, and the
     * check is the size and the total count. */
    while (got < total) {
        const uint8_t *msg;
        long n = B->recv(s, &msg, got == 0 ? O.timeout_ms : 5000);
        if (n < 0) die("timeout after %lu of %lu messages", got, total);
        if ((size_t)n != O.size) die("message %lu: %ld bytes, expected %zu", got, n, O.size);
        if (O.conns == 1 && !stamp_ok(msg, O.size, got)) die("message %lu out of sequence", got);
        if (got == 0) t0 = now_ns();
        got++;
    }
    t1 = now_ns();
    B->close(s);
    B->term();
    double secs = (double)(t1 - t0) / 1e9;
    /* Timed from the first message to the last: total - 1 messages in secs. */
    double rate = secs > 0 ? (double)(total - 1) / secs : 0;
    say("RESULT role=thr-recv msgs=%lu secs=%.6f msg_per_s=%.1f MB_per_s=%.2f t0=%llu t1=%llu "
        "cpu_s=%.6f\n", total, secs, rate, rate * (double)O.size / 1e6, (unsigned long long)t0,
        (unsigned long long)t1, cpu_s());
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Quantile @p q of @p n sorted round trips, as one-way microseconds (RTT / 2). */
static double pct(const uint64_t *sorted, unsigned long n, double q)
{
    size_t i = (size_t)((double)n * q);
    if (i >= n) i = n - 1;
    return (double)sorted[i] / 2000.0;
}

/* The RESULT line of a ping role: one-way latency = round trip / 2, in microseconds, over
 * the O.count timed round trips in @p rtt (sorted here). */
static void report_rtts(const char *role, uint64_t *rtt)
{
    double sum = 0;
    for (unsigned long i = 0; i < O.count; i++) sum += (double)rtt[i];
    qsort(rtt, O.count, sizeof *rtt, cmp_u64);
    say("RESULT role=%s n=%lu mean_us=%.3f p50_us=%.3f p90_us=%.3f p99_us=%.3f max_us=%.3f\n",
        role, O.count, sum / (double)O.count / 2000.0, pct(rtt, O.count, 0.50),
        pct(rtt, O.count, 0.90), pct(rtt, O.count, 0.99), pct(rtt, O.count, 1.0));
}

/* Latency sockets: one pair (ping connects to pong's bound socket) or two one-way pairs
 * (each node binds its tx on its own endpoint and connects its rx to the other's). */
static void lat_open(const pattern_t *pt, bool ping, bsock_t **tx, bsock_t **rx)
{
    B->init();
    if (pt->ping != K_NONE) {
        *tx = *rx = B->open(ping ? pt->ping : pt->pong);
        if (!ping) B->bind(*tx, O.ep);
        ready_go();
        if (ping) B->connect(*tx, O.ep);
        return;
    }
    *tx = B->open(pt->tx);
    *rx = B->open(pt->rx);
    if (pt->subscribe) B->subscribe_all(*rx);
    B->bind(*tx, ping ? O.ep : O.ep2);
    ready_go();
    B->connect(*rx, ping ? O.ep2 : O.ep);
    B->wait_ready(*tx, 1);
}

static void role_lat(const pattern_t *pt, bool ping)
{
    uint8_t *buf = msg_buf();
    bsock_t *tx, *rx;
    lat_open(pt, ping, &tx, &rx);
    unsigned long total = O.count + O.warmup;
    uint64_t *rtt = ping ? calloc(O.count ? O.count : 1, sizeof *rtt) : NULL;
    if (ping && rtt == NULL) die("memory");
    for (unsigned long i = 0; i < total; i++) {
        const uint8_t *msg;
        if (ping) {
            /* The echo of the last round trip has come back, so every byte of that
             * message was written: its buffer is free (reclaim returns at once). */
            if (by_ref()) B->reclaim(tx, 0);
            stamp(buf, O.size, i);
            uint64_t t = now_ns();
            if (by_ref()) B->send_ref(tx, buf, O.size);
            else B->send(tx, buf, O.size);
            B->flush();
            long n = B->recv(rx, &msg, O.timeout_ms);
            uint64_t d = now_ns() - t;
            if (n < 0) die("timeout at round trip %lu", i);
            if ((size_t)n != O.size || !stamp_ok(msg, O.size, i)) die("bad echo %lu", i);
            if (i >= O.warmup) rtt[i - O.warmup] = d;
        } else {
            long n = B->recv(rx, &msg, O.timeout_ms);
            if (n < 0) die("timeout at round trip %lu", i);
            if ((size_t)n != O.size || !stamp_ok(msg, O.size, i)) die("bad ping %lu", i);
            B->echo(tx, msg, (size_t)n);
        }
    }
    B->close(tx);
    if (rx != tx) B->close(rx);
    B->term();
    if (!ping) {
        say("RESULT role=lat-pong msgs=%lu\n", total);
        return;
    }
    report_rtts("lat-ping", rtt);
}

/* ---------------- memory per connection ---------------- */

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, res = 0;
    if (f == NULL || fscanf(f, "%ld %ld", &size, &res) != 2) die("statm");
    fclose(f);
    return res * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Endpoint @p base with its port raised by @p i ("tcp://127.0.0.1:P"). */
static void ep_plus(char *out, size_t cap, const char *base, unsigned i)
{
    const char *colon = strrchr(base, ':');
    if (colon == NULL) die("endpoint %s", base);
    snprintf(out, cap, "%.*s:%ld", (int)(colon - base), base, atol(colon + 1) + (long)i);
}

static void role_mem_pub(void)
{
    uint8_t msg[64] = {0};
    bsock_t *s[8];
    if (O.sockets > 8) die("--sockets");
    B->init();
    for (unsigned i = 0; i < O.sockets; i++) {
        char ep[128];
        ep_plus(ep, sizeof ep, O.ep, i);
        s[i] = B->open(K_PUB);
        B->bind(s[i], ep);
    }
    say("READY sock_bytes=%zu conn_bytes=%zu rxbuf=%zu\n", sizeof(mzmtp_socket_t),
        sizeof(mzmtp_conn_t), O.rxbuf);
    char line[64];
    while (fgets(line, sizeof line, stdin) != NULL) {
        if (line[0] == 'q') break;
        unsigned want = (unsigned)atoi(line), have = 0;
        uint64_t end = now_ns() + (uint64_t)O.timeout_ms * 1000000u;
        for (;;) {
            have = 0;
            for (unsigned i = 0; i < O.sockets; i++) have += B->ready_count(s[i]);
            if (have >= want) break;
            if (now_ns() > end) die("only %u of %u subscribers", have, want);
            if (B == &backend_mz) (void)mzmtp_posix_run(&mz_io, 10);
            else usleep(1000);
        }
        /* Traffic, so that every connection's buffers exist. */
        for (int k = 0; k < 100; k++) {
            for (unsigned i = 0; i < O.sockets; i++) B->send(s[i], msg, sizeof msg);
        }
        B->flush();
        uint64_t settle = now_ns() + 300000000u;
        while (now_ns() < settle) {
            if (B == &backend_mz) (void)mzmtp_posix_run(&mz_io, 10);
            else usleep(10000);
        }
        say("RSS peers=%u kb=%ld\n", have, rss_kb());
    }
    _exit(0); /* the measurement is over; no need to flush anything */
}

/* The subscribers for mem-pub: libzmq SUB sockets, the same for both measured libraries. */
static void role_mem_peers(void)
{
    static void *subs[1024];
    unsigned have = 0;
    void *ctx = zmq_ctx_new();
    int fdmax = 4096;
    (void)zmq_ctx_set(ctx, ZMQ_MAX_SOCKETS, fdmax);
    say("READY\n");
    char line[64];
    while (fgets(line, sizeof line, stdin) != NULL) {
        if (line[0] == 'q') break;
        unsigned want = (unsigned)atoi(line);
        if (want > 1024) die("too many peers");
        for (; have < want; have++) {
            char ep[128];
            ep_plus(ep, sizeof ep, O.ep, have % O.sockets);
            subs[have] = zmq_socket(ctx, ZMQ_SUB);
            if (subs[have] == NULL) die("zmq_socket");
            zmq_chk(zmq_setsockopt(subs[have], ZMQ_SUBSCRIBE, "", 0), "SUBSCRIBE");
            zmq_chk(zmq_connect(subs[have], ep), "connect");
        }
        say("OK %u\n", have);
    }
    _exit(0);
}

/* ---------------- raw TCP: the physical limit ---------------- */

static void tcp_addr(const char *ep, struct sockaddr_storage *sa, socklen_t *len)
{
    char host[128];
    const char *p = ep;
    if (strncmp(p, "tcp://", 6) == 0) p += 6;
    const char *colon = strrchr(p, ':');
    if (colon == NULL) die("endpoint %s", ep);
    snprintf(host, sizeof host, "%.*s", (int)(colon - p), p);
    struct addrinfo hints, *res;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    if (getaddrinfo(host, colon + 1, &hints, &res) != 0) die("address %s", ep);
    memcpy(sa, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
}

/* Binding roles listen before READY; connecting roles connect after GO. */
static int tcp_open(bool listen_side)
{
    struct sockaddr_storage sa;
    socklen_t len;
    int one = 1, fd;
    tcp_addr(O.ep, &sa, &len);
    int s = socket(sa.ss_family, SOCK_STREAM, 0);
    if (s < 0) die("socket");
    if (listen_side) {
        (void)setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(s, (struct sockaddr *)&sa, len) != 0 || listen(s, 1) != 0) die("bind");
        ready_go();
        fd = accept(s, NULL, NULL);
        if (fd < 0) die("accept");
        close(s);
    } else {
        ready_go();
        if (connect(s, (struct sockaddr *)&sa, len) != 0) die("connect: %s", strerror(errno));
        fd = s;
    }
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static void full_write(int fd, const uint8_t *b, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, b, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            die("write: %s", strerror(errno));
        }
        b += w;
        n -= (size_t)w;
    }
}

static void full_read(int fd, uint8_t *b, size_t n)
{
    while (n > 0) {
        ssize_t r = read(fd, b, n);
        if (r <= 0) {
            if (r < 0 && errno == EINTR) continue;
            die("read: %s", r == 0 ? "EOF" : strerror(errno));
        }
        b += r;
        n -= (size_t)r;
    }
}

#define TCP_CHUNK (1u << 20)

/* Stream --count x --size bytes in writes of up to 128 KiB: bytes per second. */
static void role_tcp_send(void)
{
    static uint8_t chunk[TCP_CHUNK];
    int fd = tcp_open(true);
    uint64_t left = (uint64_t)O.count * O.size;
    while (left > 0) {
        size_t k = left < TCP_CHUNK ? (size_t)left : TCP_CHUNK;
        full_write(fd, chunk, k);
        left -= k;
    }
    close(fd);
    say("RESULT role=tcp-send\n");
}

static void role_tcp_recv(void)
{
    static uint8_t chunk[TCP_CHUNK];
    int fd = tcp_open(false);
    uint64_t total = (uint64_t)O.count * O.size, got = 0, t0 = 0;
    while (got < total) {
        ssize_t r = read(fd, chunk, sizeof chunk);
        if (r <= 0) {
            if (r < 0 && errno == EINTR) continue;
            die("read after %llu bytes", (unsigned long long)got);
        }
        if (got == 0) t0 = now_ns();
        got += (uint64_t)r;
    }
    double secs = (double)(now_ns() - t0) / 1e9;
    close(fd);
    say("RESULT role=tcp-recv bytes=%llu secs=%.6f MB_per_s=%.2f\n", (unsigned long long)total,
        secs, (double)total / secs / 1e6);
}

static void role_tcp_lat(bool ping)
{
    uint8_t *buf = msg_buf();
    int fd = tcp_open(!ping);
    unsigned long total = O.count + O.warmup;
    uint64_t *rtt = calloc(O.count ? O.count : 1, sizeof *rtt);
    if (rtt == NULL) die("memory");
    for (unsigned long i = 0; i < total; i++) {
        if (ping) {
            uint64_t t = now_ns();
            full_write(fd, buf, O.size);
            full_read(fd, buf, O.size);
            if (i >= O.warmup) rtt[i - O.warmup] = now_ns() - t;
        } else {
            full_read(fd, buf, O.size);
            full_write(fd, buf, O.size);
        }
    }
    close(fd);
    if (!ping) {
        say("RESULT role=tcp-pong\n");
        return;
    }
    report_rtts("tcp-ping", rtt);
}

/* ---------------- scale: many peers per socket (issue 11) ---------------- */
/*
 * The publisher, ROUTER or listener under test is one socket of --lib; the many peers
 * are the same for both libraries: libzmq sockets in a few processes (fan-subs,
 * dealers), or raw ZMTP connections (storm-clients), so that only the socket under test
 * differs. microzmtp needs the scale profile here (bench_zmtp_scale: MZMTP_CONF_MAX_PEERS
 * 10000).
 */

/* Every peer is a descriptor: raise RLIMIT_NOFILE (the hard limit too, as root may). */
static void raise_nofile(unsigned long want)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want) return;
    struct rlimit up = {(rlim_t)want, rl.rlim_max > want ? rl.rlim_max : (rlim_t)want};
    if (setrlimit(RLIMIT_NOFILE, &up) == 0) return;
    up.rlim_cur = up.rlim_max = rl.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &up);
    if (rl.rlim_max < want) die("RLIMIT_NOFILE is %llu, %lu needed", (unsigned long long)rl.rlim_max, want);
}

static void *z_ctx_for(unsigned sockets)
{
    void *ctx = zmq_ctx_new();
    if (ctx == NULL) die("zmq_ctx_new");
    if (zmq_ctx_set(ctx, ZMQ_MAX_SOCKETS, (int)sockets + 64) != 0) die("ZMQ_MAX_SOCKETS");
    return ctx;
}

/* @p n libzmq sockets of one type in one context (descriptors raised for them), with a
 * counter each and poll items, zeroed. The sockets drop what they hold at close (LINGER
 * 0); the caller sets its own options, then connects them with z_many_connect(). */
typedef struct {
    unsigned n;
    void **s;
    unsigned long *got;
    zmq_pollitem_t *it;
} z_many_t;

static z_many_t z_many(unsigned n, int type)
{
    z_many_t m = {n, NULL, NULL, NULL};
    raise_nofile(2ul * n + 256);
    void *ctx = z_ctx_for(n);
    m.s = calloc(n, sizeof *m.s);
    m.got = calloc(n, sizeof *m.got);
    m.it = calloc(n, sizeof *m.it);
    if (m.s == NULL || m.got == NULL || m.it == NULL) die("memory");
    int zero = 0;
    for (unsigned i = 0; i < n; i++) {
        m.s[i] = zmq_socket(ctx, type);
        if (m.s[i] == NULL) die("zmq_socket %u: %s", i, zmq_strerror(zmq_errno()));
        zmq_chk(zmq_setsockopt(m.s[i], ZMQ_LINGER, &zero, sizeof zero), "LINGER");
    }
    return m;
}

/* Connect every socket of @p m to --ep. */
static void z_many_connect(const z_many_t *m)
{
    for (unsigned i = 0; i < m->n; i++) zmq_chk(zmq_connect(m->s[i], O.ep), "connect");
}

/* fan-subs: --conns libzmq SUB sockets in one context (one I/O thread), each connected
 * once to --ep; every one must receive --count messages of --size bytes in sequence.
 * RESULT: msgs (all sockets), t0 (first message), t1 (last), run_cpu_s (this process, all
 * its threads, t0 to t1). */
static void role_fan_subs(void)
{
    unsigned n = O.conns;
    z_many_t m = z_many(n, ZMQ_SUB);
    uint8_t *buf = msg_buf();
    int hwm = O.hwm;
    for (unsigned i = 0; i < n; i++) {
        zmq_chk(zmq_setsockopt(m.s[i], ZMQ_RCVHWM, &hwm, sizeof hwm), "RCVHWM");
        zmq_chk(zmq_setsockopt(m.s[i], ZMQ_SUBSCRIBE, "", 0), "SUBSCRIBE");
    }
    ready_go();
    z_many_connect(&m);
    unsigned long total = (unsigned long)n * O.count, done = 0;
    uint64_t t0 = 0;
    double cpu0 = 0;
    while (done < total) {
        unsigned long before = done;
        for (unsigned i = 0; i < n; i++) {
            while (m.got[i] < O.count) {
                int r = zmq_recv(m.s[i], buf, O.size + 64, ZMQ_DONTWAIT);
                if (r < 0) {
                    if (zmq_errno() == EAGAIN) break;
                    if (zmq_errno() == EINTR) continue;
                    die("zmq_recv: %s", zmq_strerror(zmq_errno()));
                }
                if ((size_t)r != O.size || !stamp_ok(buf, O.size, m.got[i])) {
                    die("subscriber %u: message %lu bad (%d bytes)", i, m.got[i], r);
                }
                if (done == 0) t0 = now_ns(), cpu0 = cpu_s();
                m.got[i]++;
                done++;
            }
        }
        if (done != before) continue;
        unsigned k = 0;
        for (unsigned i = 0; i < n; i++) {
            if (m.got[i] < O.count) m.it[k++] = (zmq_pollitem_t){m.s[i], 0, ZMQ_POLLIN, 0};
        }
        int rc = zmq_poll(m.it, (int)k, done == 0 ? O.timeout_ms : 5000);
        if (rc == 0) die("timeout after %lu of %lu messages", done, total);
        if (rc < 0 && zmq_errno() != EINTR) die("zmq_poll: %s", zmq_strerror(zmq_errno()));
    }
    uint64_t t1 = now_ns();
    say("RESULT role=fan-subs msgs=%lu t0=%llu t1=%llu run_cpu_s=%.6f\n", total,
        (unsigned long long)t0, (unsigned long long)t1, cpu_s() - cpu0);
    _exit(0); /* every socket has what it wanted; nothing to flush */
}

/* Bytes 8..11 of a round-trip message: the DEALER it belongs to (little endian). */
static void stamp_owner(uint8_t *b, unsigned who)
{
    for (unsigned k = 0; k < 4; k++) b[8 + k] = (uint8_t)(who >> (8 * k));
}
static bool owner_ok(const uint8_t *b, unsigned who)
{
    for (unsigned k = 0; k < 4; k++) {
        if (b[8 + k] != (uint8_t)(who >> (8 * k))) return false;
    }
    return true;
}

/* router-echo: one ROUTER of --lib bound on --ep; every message [id, body] goes back to
 * its sender, --peers x (--count + 1) of them (one warm-up round trip per DEALER). */
static void role_router_echo(void)
{
    unsigned long total = (unsigned long)O.peers * (O.count + 1);
    raise_nofile(O.peers + 256ul);
    uint8_t id[256], *body = msg_buf();
    size_t cap = O.size + 64;
    B->init();
    bsock_t *bs = B->open(K_ROUTER);
    B->bind(bs, O.ep);
    ready_go();
    uint64_t end = 0;
    /* The CPU of the timed round trips only: from the end of the warm-up ones (every
     * DEALER's first, which all precede the timed ones: the dealers start on RUN, once
     * all are warm) to the last. */
    double cpu0 = 0, cpu1 = 0;
    for (unsigned long done = 0; done < total;) {
        if (done == O.peers) cpu0 = cpu_s();
        size_t idlen = 0, blen = 0;
        if (B == &backend_mz) {
            mzmtp_socket_t *m = MZ(bs);
            unsigned flags = 0;
            mzmtp_status_t st = mzmtp_socket_recv(m, id, sizeof id, &idlen, &flags);
            if (st == MZMTP_AGAIN) {
                uint64_t t = now_ns();
                if (end == 0) end = t + (uint64_t)O.timeout_ms * 1000000u;
                if (t > end) die("timeout after %lu of %lu round trips", done, total);
                (void)mzmtp_posix_run(&mz_io, 100);
                continue;
            }
            if (st != MZMTP_OK || !(flags & MZMTP_RECV_MORE)) die("recv id: %s", mzmtp_status_str(st));
            do {
                st = mzmtp_socket_recv(m, body, cap, &blen, &flags);
            } while (st == MZMTP_AGAIN);
            if (st != MZMTP_OK || flags != 0) die("recv body: %s", mzmtp_status_str(st));
            for (;;) {
                st = mzmtp_socket_send(m, id, idlen, true);
                if (st == MZMTP_OK) st = mzmtp_socket_send(m, body, blen, false);
                if (st == MZMTP_OK) break;
                if (st != MZMTP_AGAIN) die("send: %s", mzmtp_status_str(st));
                (void)mzmtp_posix_run(&mz_io, 100);
            }
        } else {
            void *z = ZS(bs)->s;
            int r = zmq_recv(z, id, sizeof id, 0);
            if (r < 0) die("zmq_recv id: %s", zmq_strerror(zmq_errno()));
            idlen = (size_t)r;
            r = zmq_recv(z, body, cap, 0);
            if (r < 0) die("zmq_recv body: %s", zmq_strerror(zmq_errno()));
            blen = (size_t)r;
            if (zmq_send(z, id, idlen, ZMQ_SNDMORE) < 0 || zmq_send(z, body, blen, 0) < 0) {
                die("zmq_send: %s", zmq_strerror(zmq_errno()));
            }
        }
        end = 0;
        done++;
    }
    cpu1 = cpu_s();
    B->close(bs);
    B->term();
    say("RESULT role=router-echo msgs=%lu run_msgs=%lu run_cpu_s=%.6f\n", total,
        total - O.peers, cpu1 - cpu0);
}

/* Between the DEALERs' warm-up round and their timed ones: say "WARM", wait for "RUN",
 * note the time and this process's CPU. */
static void warm_then_run(uint64_t *t0, double *cpu0)
{
    char line[64];
    say("WARM\n");
    if (fgets(line, sizeof line, stdin) == NULL || strncmp(line, "RUN", 3) != 0) die("no RUN");
    *t0 = now_ns();
    *cpu0 = cpu_s();
}

/* dealers: --conns libzmq DEALERs in one context, connected to --ep; each does one
 * warm-up round trip ("WARM" once all have), then, on "RUN", --count round trips one at
 * a time: a reply must carry its own DEALER's mark and the sequence it was sent with.
 * RESULT: msgs, t0 (RUN), t1 (last reply), run_cpu_s (this process, all its threads, t0
 * to t1). */
static void role_dealers(void)
{
    if (O.size < 12) die("--size < 12");
    unsigned n = O.conns;
    z_many_t m = z_many(n, ZMQ_DEALER);
    uint8_t *buf = msg_buf(), *rx = msg_buf();
    ready_go();
    z_many_connect(&m);
    uint64_t t0 = 0;
    double cpu0 = 0;
    /* round 0 is the warm-up (every connection up and known to the ROUTER); then
     * sequences 1..count, timed */
    for (int phase = 0; phase < 2; phase++) {
        unsigned long last = phase == 0 ? 0 : O.count, first = phase == 0 ? 0 : 1;
        unsigned long total = (unsigned long)n * (last - first + 1), done = 0;
        if (phase == 1) warm_then_run(&t0, &cpu0);
        for (unsigned i = 0; i < n; i++) {
            m.got[i] = first;
            stamp(buf, O.size, first);
            stamp_owner(buf, i);
            if (zmq_send(m.s[i], buf, O.size, 0) < 0) die("zmq_send: %s", zmq_strerror(zmq_errno()));
        }
        while (done < total) {
            unsigned long before = done;
            for (unsigned i = 0; i < n; i++) {
                if (m.got[i] > last) continue;
                int r = zmq_recv(m.s[i], rx, O.size + 64, ZMQ_DONTWAIT);
                if (r < 0) {
                    if (zmq_errno() == EAGAIN || zmq_errno() == EINTR) continue;
                    die("zmq_recv: %s", zmq_strerror(zmq_errno()));
                }
                if ((size_t)r != O.size || !stamp_ok(rx, O.size, m.got[i]) || !owner_ok(rx, i)) {
                    die("dealer %u: reply %lu is not its own", i, m.got[i]);
                }
                done++;
                if (++m.got[i] > last) continue;
                stamp(buf, O.size, m.got[i]);
                stamp_owner(buf, i);
                if (zmq_send(m.s[i], buf, O.size, 0) < 0) die("zmq_send: %s", zmq_strerror(zmq_errno()));
            }
            if (done != before) continue;
            unsigned k = 0;
            for (unsigned i = 0; i < n; i++) {
                if (m.got[i] <= last) m.it[k++] = (zmq_pollitem_t){m.s[i], 0, ZMQ_POLLIN, 0};
            }
            int rc = zmq_poll(m.it, (int)k, O.timeout_ms);
            if (rc == 0) die("timeout after %lu of %lu round trips", done, total);
            if (rc < 0 && zmq_errno() != EINTR) die("zmq_poll: %s", zmq_strerror(zmq_errno()));
        }
    }
    uint64_t t1 = now_ns();
    say("RESULT role=dealers msgs=%lu t0=%llu t1=%llu run_cpu_s=%.6f\n", (unsigned long)n * O.count,
        (unsigned long long)t0, (unsigned long long)t1, cpu_s() - cpu0);
    _exit(0);
}

/* storm-server: one PUB of --lib (libzmq: XPUB, to see the subscriptions) bound on --ep;
 * after GO, wait for --peers subscribed connections, note the time, let them sit idle
 * for --hold ms (500; with --hb-ivl, PINGing them) and note the RSS. RESULT: up_ns, rss_pre_kb (before the library's first
 * call), rss0_kb (socket open and bound, no peer), rss1_kb (with the peers). Then
 * wait for "q" (the connections stay open until then). */
static void role_storm_server(void)
{
    raise_nofile(O.peers + 256ul);
    long rss_pre = rss_kb();
    B->init();
    bsock_t *bs = B->open(K_PUB);
    B->bind(bs, O.ep);
    long rss0 = rss_kb();
    ready_go();
    B->wait_ready(bs, O.peers);
    uint64_t up = now_ns(), settle = up + (uint64_t)O.hold_ms * 1000000u;
    while (now_ns() < settle) {
        if (B == &backend_mz) (void)mzmtp_posix_run(&mz_io, 10);
        else usleep(10000);
    }
    long rss1 = rss_kb();
    say("RESULT role=storm-server peers=%u up_ns=%llu rss_pre_kb=%ld rss0_kb=%ld rss1_kb=%ld\n",
        O.peers, (unsigned long long)up, rss_pre, rss0, rss1);
    char line[16];
    while (fgets(line, sizeof line, stdin) != NULL && line[0] != 'q') {
    }
    _exit(0);
}

/* ------------------------------------------------------------------------------------ */
/* Raw ZMTP 3.1 clients (NULL mechanism): the load generators of storm-clients, raw-subs  */
/* and raw-dealers. One epoll process drives all of them; each connection costs a write */
/* per request and a read per wake-up, less than a libzmq socket, so that the server     */
/* under test, not its peers, bounds the rate more often (docs/performance.md).          */
/* ------------------------------------------------------------------------------------ */

enum { RAW_CONNECTING, RAW_HANDSHAKE, RAW_UP };

typedef struct raw_conn {
    int fd;
    uint8_t state;     /* RAW_CONNECTING, RAW_HANDSHAKE, RAW_UP */
    size_t rxlen;      /* bytes waiting in rx */
    unsigned long got; /* messages received (raw-subs), or the sequence (raw-dealers) */
    unsigned long want; /* got at which the server may close the connection */
    uint8_t *rx;       /* rxcap bytes of the set */
} raw_conn_t;

typedef struct raw_set {
    unsigned n;
    size_t rxcap;
    raw_conn_t *c;
    int ep; /* epoll: every connection, keyed by its index */
    struct sockaddr_storage sa;
    socklen_t salen;
} raw_set_t;

/* @p n connections (not yet open) to --ep, @p rxcap bytes of input buffer each: a whole
 * frame must fit (the server's READY, or one message). */
static raw_set_t raw_set(unsigned n, size_t rxcap)
{
    raw_set_t s = {n, rxcap, NULL, -1, {0}, 0};
    raise_nofile(n + 256ul);
    s.c = calloc(n, sizeof *s.c);
    uint8_t *rx = malloc((size_t)n * rxcap);
    if (s.c == NULL || rx == NULL) die("memory");
    for (unsigned i = 0; i < n; i++) s.c[i].rx = rx + (size_t)i * rxcap;
    tcp_addr(O.ep, &s.sa, &s.salen);
    s.ep = epoll_create1(0);
    if (s.ep < 0) die("epoll_create1");
    return s;
}

/* What a client sends once it has the server's greeting and READY: its READY
 * (Socket-Type @p type, RFC 37), then SUBSCRIBE to everything if it is a SUB. Sent only
 * then: libzmq drops a client whose greeting, READY and SUBSCRIBE come at once
 * (wire-notes G9). @return its length. */
static size_t raw_ready(uint8_t *out, const char *type)
{
    size_t tl = strlen(type), n = 0;
    out[n++] = 0x04;
    out[n++] = (uint8_t)(1 + 5 + 1 + 11 + 4 + tl);
    out[n++] = 5;
    memcpy(out + n, "READY", 5), n += 5;
    out[n++] = 11;
    memcpy(out + n, "Socket-Type", 11), n += 11;
    out[n++] = 0, out[n++] = 0, out[n++] = 0, out[n++] = (uint8_t)tl;
    memcpy(out + n, type, tl), n += tl;
    if (!strcmp(type, "SUB")) {
        static const uint8_t subscribe[] = {0x04, 10, 9, 'S', 'U', 'B', 'S', 'C', 'R', 'I', 'B', 'E'};
        memcpy(out + n, subscribe, sizeof subscribe), n += sizeof subscribe;
    }
    return n;
}

/* Open every connection of @p s as a @p type client, at most @p window connecting or in
 * their handshake at once, until each has sent its READY (the server's greeting and
 * READY received). With @p keep, the connections stay in the epoll set for input, and
 * what came after the server's READY stays in their buffers; without, they leave it.
 * @return the time of the first connect. */
static uint64_t raw_handshake(raw_set_t *s, const char *type, unsigned window, bool keep)
{
    uint8_t hello[64], tail[64];
    memset(hello, 0, 64);
    hello[0] = 0xff;
    hello[9] = 0x7f;
    hello[10] = 3;
    hello[11] = 1;
    memcpy(hello + 12, "NULL", 4);
    size_t tail_len = raw_ready(tail, type);
    uint64_t t0 = now_ns(), end = t0 + (uint64_t)O.timeout_ms * 1000000u;
    unsigned started = 0, inflight = 0, done = 0;
    while (done < s->n) {
        while (inflight < window && started < s->n) {
            raw_conn_t *k = &s->c[started];
            k->fd = socket(s->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
            if (k->fd < 0) die("socket: %s (connection %u)", strerror(errno), started);
            int one = 1;
            (void)setsockopt(k->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            if (connect(k->fd, (struct sockaddr *)&s->sa, s->salen) != 0 && errno != EINPROGRESS) {
                die("connect: %s (connection %u)", strerror(errno), started);
            }
            struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN, .data.u32 = started};
            if (epoll_ctl(s->ep, EPOLL_CTL_ADD, k->fd, &ev) != 0) die("epoll_ctl");
            started++;
            inflight++;
        }
        struct epoll_event evs[256];
        int m = epoll_wait(s->ep, evs, 256, 100);
        if (m < 0 && errno != EINTR) die("epoll_wait: %s", strerror(errno));
        if (now_ns() > end) die("timeout: %u of %u handshakes done", done, s->n);
        for (int e = 0; e < m; e++) {
            unsigned i = evs[e].data.u32;
            raw_conn_t *k = &s->c[i];
            if (k->state == RAW_CONNECTING && (evs[e].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
                int err = 0;
                socklen_t el = sizeof err;
                if (getsockopt(k->fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0) {
                    die("connection %u: %s", i, strerror(err));
                }
                if (write(k->fd, hello, sizeof hello) != (ssize_t)sizeof hello) die("write greeting");
                k->state = RAW_HANDSHAKE;
                struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
                if (epoll_ctl(s->ep, EPOLL_CTL_MOD, k->fd, &ev) != 0) die("epoll_ctl");
            }
            if (k->state != RAW_HANDSHAKE || !(evs[e].events & (EPOLLIN | EPOLLERR | EPOLLHUP))) continue;
            ssize_t r = read(k->fd, k->rx + k->rxlen, s->rxcap - k->rxlen);
            if (r <= 0) {
                if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
                die("connection %u closed by the server during the handshake", i);
            }
            k->rxlen += (size_t)r;
            /* the server's greeting (64), then its READY command (short or long frame) */
            if (k->rxlen < 66) continue;
            if (k->rx[0] != 0xff || k->rx[10] != 3 || !(k->rx[64] & 0x04)) die("not a ZMTP 3 server");
            size_t need = (k->rx[64] & 0x02) ? 73u + k->rx[72] : 66u + k->rx[65];
            if (k->rxlen < need) {
                if (need > s->rxcap) die("READY of %zu bytes", need);
                continue;
            }
            if (write(k->fd, tail, tail_len) != (ssize_t)tail_len) die("write READY");
            k->state = RAW_UP;
            k->rxlen -= need;
            memmove(k->rx, k->rx + need, k->rxlen);
            if (!keep && epoll_ctl(s->ep, EPOLL_CTL_DEL, k->fd, NULL) != 0) die("epoll_ctl");
            inflight--;
            done++;
        }
    }
    return t0;
}

/* Read what connection @p i of @p s has (one read), then hand each whole message frame
 * to @p frame(@p i, body, length); commands are skipped (these roles set no heartbeat,
 * so a server has none to send them but its own). A multipart message, a frame larger
 * than the buffer, or the server closing before the connection has its `want`, fails
 * the run; a connection closed after it leaves the epoll set. */
static void raw_input(raw_set_t *s, unsigned i, void (*frame)(unsigned, const uint8_t *, size_t))
{
    raw_conn_t *k = &s->c[i];
    ssize_t r = read(k->fd, k->rx + k->rxlen, s->rxcap - k->rxlen);
    if (r <= 0) {
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) return;
        if (k->got < k->want || k->rxlen != 0) {
            die("connection %u: closed by the server (%s) at %lu of %lu", i,
                r < 0 ? strerror(errno) : "EOF", k->got, k->want);
        }
        if (epoll_ctl(s->ep, EPOLL_CTL_DEL, k->fd, NULL) != 0) die("epoll_ctl");
        return;
    }
    k->rxlen += (size_t)r;
    size_t at = 0;
    for (;;) {
        size_t left = k->rxlen - at, head, len;
        if (left < 2) break;
        const uint8_t *f = k->rx + at;
        if (f[0] & 0x02) { /* long frame: 8-byte size, network order (RFC 37) */
            if (left < 9) break;
            uint64_t v = 0;
            for (int b = 1; b <= 8; b++) v = v << 8 | f[b];
            if (v > s->rxcap - 9) die("connection %u: a frame of %llu bytes", i, (unsigned long long)v);
            head = 9, len = (size_t)v;
        } else {
            head = 2, len = f[1];
        }
        if (left < head + len) break;
        if (f[0] & 0x01) die("connection %u: a multipart message", i);
        if (!(f[0] & 0x04)) frame(i, f + head, len);
        at += head + len;
    }
    k->rxlen -= at;
    memmove(k->rx, k->rx + at, k->rxlen);
}

/* Write one single-frame message of @p len (< 256) bytes on connection @p i. One request
 * is in flight per connection, so the socket's send buffer always has room. */
static void raw_send(raw_set_t *s, unsigned i, const uint8_t *body, size_t len)
{
    uint8_t f[2 + 255];
    if (len > 255) die("raw_send of %zu bytes", len);
    f[0] = 0x00;
    f[1] = (uint8_t)len;
    memcpy(f + 2, body, len);
    if (write(s->c[i].fd, f, 2 + len) != (ssize_t)(2 + len)) die("connection %u: short write", i);
}

/* Wait for input on @p s and pass each ready connection to raw_input(); a wait of
 * --timeout ms (@p first: before any message) or 5 s without input fails the run. */
static void raw_pump(raw_set_t *s, bool first, void (*frame)(unsigned, const uint8_t *, size_t))
{
    struct epoll_event evs[256];
    int m = epoll_wait(s->ep, evs, 256, first ? O.timeout_ms : 5000);
    if (m == 0) die("timeout: no input for %d ms", first ? O.timeout_ms : 5000);
    if (m < 0 && errno != EINTR) die("epoll_wait: %s", strerror(errno));
    for (int e = 0; e < m; e++) raw_input(s, evs[e].data.u32, frame);
}

/* storm-clients: --conns raw connections to --ep as SUBs subscribing to everything, at
 * most --window of them connecting or handshaking at once; the server reports when it has
 * all of them subscribed. RESULT: t0 (first connect), t1 (last handshake). The
 * connections then stay open, idle, until "q" (then AFTER: rx_bytes, what the server sent
 * since, read only now); they are closed with a reset (SO_LINGER 0), so that no TIME_WAIT
 * holds ports for the next run. */
static void role_storm_clients(void)
{
    unsigned n = O.conns;
    raw_set_t s = raw_set(n, 192);
    ready_go();
    uint64_t t0 = raw_handshake(&s, "SUB", O.window, false);
    uint64_t t1 = now_ns();
    say("RESULT role=storm-clients conns=%u t0=%llu t1=%llu\n", n, (unsigned long long)t0,
        (unsigned long long)t1);
    char line[16];
    while (fgets(line, sizeof line, stdin) != NULL && line[0] != 'q') {
    }
    /* What the server sent after the handshakes, unread until now: its PINGs with
     * --hb-ivl (9 bytes each, RFC 37), nothing else from a PUB that published nothing. */
    unsigned long rx_bytes = 0;
    for (unsigned i = 0; i < n; i++) {
        uint8_t junk[4096];
        ssize_t r;
        rx_bytes += s.c[i].rxlen;
        while ((r = recv(s.c[i].fd, junk, sizeof junk, MSG_DONTWAIT)) > 0) rx_bytes += (unsigned long)r;
    }
    say("AFTER role=storm-clients rx_bytes=%lu\n", rx_bytes);
    struct linger lg = {1, 0};
    for (unsigned i = 0; i < n; i++) {
        (void)setsockopt(s.c[i].fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        close(s.c[i].fd);
    }
    _exit(0);
}

/* raw-subs: the raw-client fan-subs: --conns raw SUB connections (subscribing to
 * everything), each of which must receive --count messages of --size bytes in sequence.
 * RESULT: msgs, t0 (first message), t1 (last), run_cpu_s (this process, t0 to t1). */
static raw_set_t raw_s;
static unsigned long raw_done;
static uint64_t raw_t0;

static void raw_sub_frame(unsigned i, const uint8_t *body, size_t len)
{
    raw_conn_t *k = &raw_s.c[i];
    if (len != O.size || k->got >= O.count || !stamp_ok(body, len, k->got)) {
        die("subscriber %u: message %lu bad (%zu bytes)", i, k->got, len);
    }
    if (raw_done == 0) raw_t0 = now_ns();
    k->got++;
    raw_done++;
}

static void role_raw_subs(void)
{
    unsigned n = O.conns;
    raw_s = raw_set(n, 16384);
    for (unsigned i = 0; i < n; i++) raw_s.c[i].want = O.count;
    ready_go();
    (void)raw_handshake(&raw_s, "SUB", O.window, true);
    unsigned long total = (unsigned long)n * O.count;
    double cpu0 = 0;
    /* what came with the server's READY is nothing from a PUB: it sends after SUBSCRIBE */
    while (raw_done < total) {
        bool first = raw_done == 0;
        raw_pump(&raw_s, first, raw_sub_frame);
        if (first && raw_done > 0) cpu0 = cpu_s();
    }
    uint64_t t1 = now_ns();
    say("RESULT role=raw-subs msgs=%lu t0=%llu t1=%llu run_cpu_s=%.6f\n", total,
        (unsigned long long)raw_t0, (unsigned long long)t1, cpu_s() - cpu0);
    _exit(0);
}

/* raw-dealers: dealers with raw DEALER connections: each does one warm-up round trip
 * ("WARM" once all have), then, on "RUN", --count round trips one at a time: a reply must
 * carry its own DEALER's mark and the sequence it was sent with. RESULT as dealers', and
 * run_cpu_s (this process over the timed round trips). */
static unsigned long raw_last;
static uint8_t *raw_buf;

static void raw_dealer_frame(unsigned i, const uint8_t *body, size_t len)
{
    raw_conn_t *k = &raw_s.c[i];
    if (k->got > raw_last || len != O.size || !stamp_ok(body, len, k->got) || !owner_ok(body, i)) {
        die("dealer %u: reply %lu is not its own", i, k->got);
    }
    raw_done++;
    if (++k->got > raw_last) return;
    stamp(raw_buf, O.size, k->got);
    stamp_owner(raw_buf, i);
    raw_send(&raw_s, i, raw_buf, O.size);
}

static void role_raw_dealers(void)
{
    if (O.size < 12 || O.size > 255) die("--size must be 12..255");
    unsigned n = O.conns;
    raw_s = raw_set(n, 1024);
    raw_buf = msg_buf();
    ready_go();
    (void)raw_handshake(&raw_s, "DEALER", O.window, true);
    uint64_t t0 = 0;
    double cpu0 = 0;
    for (int phase = 0; phase < 2; phase++) {
        unsigned long first = phase == 0 ? 0 : 1;
        raw_last = phase == 0 ? 0 : O.count;
        unsigned long total = (unsigned long)n * (raw_last - first + 1);
        if (phase == 1) warm_then_run(&t0, &cpu0);
        raw_done = 0;
        for (unsigned i = 0; i < n; i++) {
            raw_s.c[i].got = first;
            raw_s.c[i].want = raw_last + 1;
            stamp(raw_buf, O.size, first);
            stamp_owner(raw_buf, i);
            raw_send(&raw_s, i, raw_buf, O.size);
        }
        while (raw_done < total) raw_pump(&raw_s, false, raw_dealer_frame);
    }
    uint64_t t1 = now_ns();
    say("RESULT role=raw-dealers msgs=%lu t0=%llu t1=%llu run_cpu_s=%.6f\n", (unsigned long)n * O.count,
        (unsigned long long)t0, (unsigned long long)t1, cpu_s() - cpu0);
    _exit(0);
}

/* ------------------------------------------------------------------------------------ */

static void usage(void)
{
    fputs("usage: bench_zmtp ROLE [--lib mz|zmq] [--pattern P] [--ep EP] [--ep2 EP]\n"
          "         [--size N] [--count N] [--warmup N] [--peers N] [--conns N]\n"
          "         [--sockets N] [--flush-every N] [--flush-bytes B] [--ring B] [--rxbuf B] [--hwm N]\n"
          "         [--timeout MS] [--spin-us US] [--ref-min BYTES] [--accept-ivl MS] [--curve 0|1]\n"
          "         [--hb-ivl MS] [--hold MS]\n"
          "         [--window N]\n"
          "ROLE: thr-send thr-recv lat-ping lat-pong mem-pub mem-peers\n"
          "      fan-subs router-echo dealers storm-server storm-clients raw-subs raw-dealers\n"
          "      tcp-send tcp-recv tcp-ping tcp-pong\n",
          stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    if (argc < 2) usage();
    O.role = argv[1];
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc) usage();
        const char *v = argv[++i];
        if (!strcmp(a, "--lib")) O.lib = v;
        else if (!strcmp(a, "--pattern")) O.pattern = v;
        else if (!strcmp(a, "--ep")) O.ep = v;
        else if (!strcmp(a, "--ep2")) O.ep2 = v;
        else if (!strcmp(a, "--size")) O.size = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--count")) O.count = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--warmup")) O.warmup = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--peers")) O.peers = (unsigned)strtoul(v, NULL, 10);
        else if (!strcmp(a, "--conns")) O.conns = (unsigned)strtoul(v, NULL, 10);
        else if (!strcmp(a, "--sockets")) O.sockets = (unsigned)strtoul(v, NULL, 10);
        else if (!strcmp(a, "--flush-every")) O.flush_every = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--flush-bytes")) O.flush_bytes = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--ring")) O.ring = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--rxbuf")) O.rxbuf = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--hwm")) O.hwm = atoi(v);
        else if (!strcmp(a, "--timeout")) O.timeout_ms = atoi(v);
        else if (!strcmp(a, "--spin-us")) O.spin_us = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--ref-min")) O.ref_min = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--accept-ivl")) O.accept_ivl = atoi(v);
        else if (!strcmp(a, "--curve")) O.curve = atoi(v);
        else if (!strcmp(a, "--window")) O.window = (unsigned)strtoul(v, NULL, 10);
        else if (!strcmp(a, "--hb-ivl")) O.hb_ivl = (unsigned)strtoul(v, NULL, 10);
        else if (!strcmp(a, "--hold")) O.hold_ms = (unsigned)strtoul(v, NULL, 10);
        else usage();
    }
    if (O.ep == NULL) usage();
    if (!strcmp(O.lib, "mz")) B = &backend_mz;
    else if (!strcmp(O.lib, "zmq")) B = &backend_zmq;
    else usage();
    if (O.count == 0) O.count = 1;

    const pattern_t *pt = find_pattern(O.pattern);
    const char *r = O.role;
    if (!strcmp(r, "thr-send")) role_thr_send(pt);
    else if (!strcmp(r, "thr-recv")) role_thr_recv(pt);
    else if (!strcmp(r, "lat-ping") || !strcmp(r, "lat-pong")) {
        if (pt->ping == K_NONE && O.ep2 == NULL) die("--ep2 needed for %s latency", pt->name);
        role_lat(pt, !strcmp(r, "lat-ping"));
    } else if (!strcmp(r, "mem-pub")) role_mem_pub();
    else if (!strcmp(r, "mem-peers")) role_mem_peers();
    else if (!strcmp(r, "fan-subs")) role_fan_subs();
    else if (!strcmp(r, "router-echo")) role_router_echo();
    else if (!strcmp(r, "dealers")) role_dealers();
    else if (!strcmp(r, "storm-server")) role_storm_server();
    else if (!strcmp(r, "storm-clients")) role_storm_clients();
    else if (!strcmp(r, "raw-subs")) role_raw_subs();
    else if (!strcmp(r, "raw-dealers")) role_raw_dealers();
    else if (!strcmp(r, "tcp-send")) role_tcp_send();
    else if (!strcmp(r, "tcp-recv")) role_tcp_recv();
    else if (!strcmp(r, "tcp-ping")) role_tcp_lat(true);
    else if (!strcmp(r, "tcp-pong")) role_tcp_lat(false);
    else usage();
    return 0;
}
