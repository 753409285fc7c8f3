/*
 * lwIP port of microzmtp (raw API): moves bytes between lwIP's TCP connections and the
 * sockets' connection engines, keeps reconnect and linger timers, runs the engines'
 * timers, decides nothing about ZMTP. mzmtp_lwip.h says how flow control works.
 *
 * lwIP facts this file relies on (lwIP 2.1, src/core/tcp*.c):
 *  - a pbuf given to the tcp_recv callback belongs to us once we return ERR_OK; the
 *    window reopens only by tcp_recved(), so what we hold is bounded by TCP_WND;
 *  - p == NULL in the recv callback is the peer's FIN;
 *  - the err callback runs after lwIP freed the pcb (RST, timeout, abort): never touch
 *    it again; tcp_abort() calls it too, so callbacks are detached before aborting;
 *  - tcp_close() resets instead of FIN when received data was not tcp_recved(), so held
 *    bytes are given back to the window before any close (an ERROR must reach the peer);
 *  - tcp_write() with TCP_WRITE_FLAG_COPY copies at once; without it, lwIP keeps a
 *    pointer to the bytes (a PBUF_ROM pbuf) until they are acknowledged, and the tcp_sent
 *    callback reports how many were, in stream order. It fails, all or nothing, with
 *    ERR_MEM when tcp_sndbuf(), the segment queue (TCP_SND_QUEUELEN) or the pbuf pool is
 *    exhausted: try again on tcp_sent or tcp_poll;
 *  - with MZMTP_CONF_TX_ACK, vectors the engine marks stable (send-ring bytes, bodies
 *    sent by reference) go without the copy; the rest is copied. Until every such byte is
 *    acknowledged, the peer's session is not stopped while the pcb lives (its segments
 *    point into the ring): a graceful end waits for tcp_sent, a forced one aborts first.
 * Closes, reconnects and timers happen in mzmtp_lwip_poll(), outside lwIP's callbacks,
 * so no callback has to return ERR_ABRT except the accept of a refused connection.
 *
 * This file: the connections (lwIP's callbacks, input and output, their end) and the
 * main-loop work. mzmtp_lwip_ep.c: endpoints, the socket table and the public calls that
 * set them up. What every port decides the same way (reconnect schedule, endpoint and
 * socket records, linger, feeding the engine, dead peers) is the port kit's
 * (ports/kit/mzmtp_kit.h).
 */
#include "mzmtp_lwip.h"
#include "mzmtp_lwip_ep.h"

#include "lwip/ip_addr.h"
#include "lwip/pbuf.h"
#include "lwip/sys.h"

#include <string.h>

#define CF_USED    0x01u /* record in use */
#define CF_STARTED 0x02u /* the peer's ZMTP session runs (peer_start done, no peer_stop) */
#define CF_FATAL   0x04u /* the engine failed: write what it still has (ERROR), then FIN */
#define CF_CLOSE   0x08u /* close now */
#define CF_EOF     0x10u /* the transport ended; held bytes still go to the engine */

#define POLL_INTERVAL 2 /* tcp_poll: every 2 coarse TCP timer ticks (1 s) */

static mzmtp_lwip_conn_t *conn_alloc(mzmtp_lwip_t *io, mzmtp_socket_t *sock, int peer, int ep)
{
    for (int i = 0; i < MZMTP_LWIP_CONF_MAX_CONNS; i++) {
        mzmtp_lwip_conn_t *c = &io->conn[i];
        if (!(c->flags & CF_USED)) {
            memset(c, 0, sizeof(*c));
            c->io = io;
            c->sock = sock;
            c->peer = (int8_t)peer;
            c->ep = (int8_t)ep;
            c->flags = CF_USED;
            return c;
        }
    }
    return NULL;
}

static void detach(struct tcp_pcb *pcb)
{
    tcp_arg(pcb, NULL);
    tcp_recv(pcb, NULL);
    tcp_sent(pcb, NULL);
    tcp_err(pcb, NULL);
    tcp_poll(pcb, NULL, 0);
}

/* Give held bytes back to the window and drop them (the session is over). */
static void drop_held(mzmtp_lwip_conn_t *c)
{
    if (c->rx == NULL) {
        return;
    }
    if (c->pcb != NULL) {
        tcp_recved(c->pcb, c->rx->tot_len);
    }
    pbuf_free(c->rx);
    c->rx = NULL;
}

/* Does lwIP still hold pointers into the send ring for this connection? */
static bool holds_ring(const mzmtp_lwip_conn_t *c)
{
#if MZMTP_CONF_TX_ACK
    return c->pcb != NULL && c->tx_ref_left > 0;
#else
    (void)c;
    return false;
#endif
}

/* The connection is over for good: end its ZMTP session, close the pcb, free the record
 * and let a connecting endpoint try again. Outside lwIP callbacks only. */
static void conn_finish(mzmtp_lwip_conn_t *c, uint32_t now)
{
    mzmtp_lwip_t *io = c->io;
    mzmtp_status_t why = c->why == MZMTP_OK ? MZMTP_ERR_CLOSED : (mzmtp_status_t)c->why;
    bool started = (c->flags & CF_STARTED) != 0;

    if (holds_ring(c)) {
        /* Its segments point into the send ring, which the session's end releases: they
         * go first (a reset: what was not acknowledged is lost, as with any abort). */
        detach(c->pcb);
        tcp_abort(c->pcb);
        c->pcb = NULL;
    }
    if (started) {
        mzmtp_socket_peer_stop(c->sock, c->peer, why);
    }
    drop_held(c);
    if (c->pcb != NULL) {
        detach(c->pcb);
        if (tcp_close(c->pcb) != ERR_OK) {
            tcp_abort(c->pcb); /* out of memory for the FIN: reset instead */
        }
        c->pcb = NULL;
    }
    if (c->ep != NO_INDEX) {
        io->connector->lost(c, started, why, now); /* only connects have an ep */
    }
    memset(c, 0, sizeof(*c));
}

/* Hand held bytes to the engine as far as it has room (mzmtp_kit_feed(), pbuf by pbuf
 * of the chain); tcp_recved() exactly those. A fatal status (mzmtp_status_is_fatal(),
 * and only that) ends the session once its ERROR is written. */
static void feed(mzmtp_lwip_conn_t *c, uint32_t now)
{
    mzmtp_status_t st = MZMTP_OK;
    size_t used = 0;
    if (c->rx == NULL || !(c->flags & CF_STARTED) || (c->flags & (CF_FATAL | CF_CLOSE))) {
        return;
    }
    /* A pbuf of length 0 inside the chain is stepped over, it cannot stall the loop. */
    for (struct pbuf *q = c->rx; q != NULL; q = q->next) {
        size_t k = mzmtp_kit_feed(c->sock, c->peer, (const uint8_t *)q->payload, q->len, now,
                                  &st);
        used += k;
        if (k < q->len || mzmtp_status_is_fatal(st)) {
            break;
        }
    }
    if (used > 0) { /* at most tot_len, a u16_t */
        c->rx = pbuf_free_header(c->rx, (u16_t)used);
        if (c->pcb != NULL) {
            tcp_recved(c->pcb, (u16_t)used);
        }
    }
    if (mzmtp_status_is_fatal(st)) {
        c->flags |= CF_FATAL;
        c->why = (int8_t)st;
        drop_held(c);
    }
}

/* Queue the engine's next bytes in lwIP (copied), as far as lwIP has room. */
static void output(mzmtp_lwip_conn_t *c)
{
    mzmtp_iov_t iov[MZMTP_LWIP_CONF_IOVS];
    bool wrote = false;

    while (c->pcb != NULL && (c->flags & CF_STARTED) && !(c->flags & CF_CLOSE)) {
        size_t n = mzmtp_socket_peer_output(c->sock, c->peer, iov, MZMTP_LWIP_CONF_IOVS);
        size_t done = 0;
        bool full = false;
        for (size_t i = 0; i < n && !full; i++) {
            size_t room = tcp_sndbuf(c->pcb);
            size_t m = iov[i].len < room ? iov[i].len : room;
            u8_t more = (i + 1 < n || m < iov[i].len) ? TCP_WRITE_FLAG_MORE : 0;
            u8_t copy = TCP_WRITE_FLAG_COPY;
#if MZMTP_CONF_TX_ACK
            if (iov[i].stable) {
                copy = 0; /* stays put until mzmtp_socket_peer_output_acked() */
            }
#endif
            if (m > 0xFFFFu) {
                m = 0xFFFFu;
            }
            if (m == 0 || tcp_write(c->pcb, iov[i].base, (u16_t)m, (u8_t)(copy | more)) != ERR_OK) {
                break; /* no room or no segment left: tcp_sent/tcp_poll bring us back */
            }
            done += m;
            full = m < iov[i].len;
#if MZMTP_CONF_TX_ACK
            c->tx_unacked += (uint32_t)m;
            if (copy == 0) {
                c->tx_ref_left = c->tx_unacked;
            }
#endif
        }
        if (done == 0) {
            break;
        }
#if MZMTP_CONF_TX_ACK
        mzmtp_socket_peer_output_written(c->sock, c->peer, done);
#else
        mzmtp_socket_peer_output_done(c->sock, c->peer, done);
#endif
        wrote = true;
        if (full) {
            break;
        }
    }
    if (wrote) {
        (void)tcp_output(c->pcb);
    }
}

/* ------------------------------ lwIP callbacks -------------------------------------- */

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    mzmtp_lwip_conn_t *c = arg;
    (void)err; /* always ERR_OK in lwIP 2.1 */
    if (p == NULL) {
        if (c != NULL) {
            c->flags |= CF_EOF; /* FIN: held bytes still go in, then we close */
        }
        return ERR_OK;
    }
    if (c == NULL || !(c->flags & CF_STARTED) || (c->flags & (CF_FATAL | CF_CLOSE))) {
        tcp_recved(pcb, p->tot_len); /* the session is ending: nothing more goes in */
        pbuf_free(p);
        return ERR_OK;
    }
    if (c->rx == NULL) {
        c->rx = p;
    } else {
        pbuf_cat(c->rx, p);
    }
    feed(c, sys_now());
    if (c->rx != NULL) {
        c->io->stats.stalls++;
        if (c->rx->tot_len > c->io->stats.held_max) {
            c->io->stats.held_max = c->rx->tot_len;
        }
    }
    output(c); /* replies (greeting, READY, PONG) go at once */
    return ERR_OK;
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
    mzmtp_lwip_conn_t *c = arg;
    (void)pcb;
    (void)len;
    if (c == NULL) {
        return ERR_OK;
    }
#if MZMTP_CONF_TX_ACK
    /* lwIP is done with these bytes: the engine may reuse their send-ring slots. */
    uint32_t k = len < c->tx_unacked ? len : c->tx_unacked;
    c->tx_unacked -= k;
    c->tx_ref_left = c->tx_ref_left > k ? c->tx_ref_left - k : 0u;
    if (c->flags & CF_STARTED) {
        mzmtp_socket_peer_output_acked(c->sock, c->peer, k);
    }
#endif
    output(c);
    return ERR_OK;
}

static err_t on_poll(void *arg, struct tcp_pcb *pcb)
{
    (void)pcb;
    if (arg != NULL) {
        mzmtp_lwip_conn_t *c = arg;
        feed(c, sys_now());
        output(c);
    }
    return ERR_OK;
}

static void on_err(void *arg, err_t err)
{
    mzmtp_lwip_conn_t *c = arg;
    (void)err;
    if (c != NULL) {
        c->pcb = NULL; /* lwIP freed it */
        c->flags |= CF_EOF;
    }
}

static void attach(mzmtp_lwip_conn_t *c, struct tcp_pcb *pcb)
{
    c->pcb = pcb;
    tcp_arg(pcb, c);
    tcp_recv(pcb, on_recv);
    tcp_sent(pcb, on_sent);
    tcp_err(pcb, on_err);
    tcp_poll(pcb, on_poll, POLL_INTERVAL);
    tcp_nagle_disable(pcb); /* as libzmq's TCP_NODELAY: small messages go at once */
}

static bool start_session(mzmtp_lwip_conn_t *c)
{
    mzmtp_status_t st = mzmtp_socket_peer_start(c->sock, c->peer, sys_now());
    if (st != MZMTP_OK) {
        c->flags |= CF_CLOSE;
        c->why = (int8_t)st;
        return false;
    }
    c->flags |= CF_STARTED;
    return true;
}

err_t mzmtp_lwip_ep_on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    mzmtp_lwip_endpoint_t *e = arg;
    mzmtp_lwip_conn_t *c;
    int peer;

    if (err != ERR_OK || pcb == NULL || e == NULL || e->k.sock == NULL) {
        return ERR_VAL;
    }
    c = conn_alloc(e->io, e->k.sock, NO_INDEX, NO_INDEX);
    if (c == NULL || mzmtp_socket_peer_open(e->k.sock, false, &peer) != MZMTP_OK) {
        if (c != NULL) {
            memset(c, 0, sizeof(*c));
        }
        e->io->stats.refused++;
        tcp_abort(pcb); /* no callbacks set yet: nothing of ours runs */
        return ERR_ABRT;
    }
    c->peer = (int8_t)peer;
    attach(c, pcb);
    e->io->stats.accepted++;
    if (start_session(c)) {
        mzmtp_socket_notify(c->sock, MZMTP_EV_ACCEPTED, c->peer, MZMTP_OK);
        output(c); /* our greeting goes without waiting for the peer's (wire-notes G3) */
    } else {
        mzmtp_socket_peer_release(c->sock, c->peer);
    }
    return ERR_OK;
}

/* ------------------------------ connecting endpoints --------------------------------
 * Reached only through io->connector, which mzmtp_lwip_connect() sets: an image that
 * never connects (a bind-only PUB) links none of this, nor lwIP's tcp_connect(). */

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
    mzmtp_lwip_conn_t *c = arg;
    (void)err; /* always ERR_OK: failures come through on_err */
    if (c == NULL) {
        return ERR_OK;
    }
    attach(c, pcb);
    if (start_session(c)) {
        mzmtp_kit_ep_up(&c->io->ep[c->ep].k, &c->io->rc); /* monitor: CONNECTED */
        output(c);
    }
    return ERR_OK;
}

static void connect_attempt(mzmtp_lwip_t *io, int idx, uint32_t now)
{
    mzmtp_lwip_endpoint_t *e = &io->ep[idx];
    mzmtp_lwip_conn_t *c = conn_alloc(io, e->k.sock, (int)e->k.peer, idx);
    struct tcp_pcb *pcb = c != NULL ? tcp_new_ip_type(IP_GET_TYPE(&e->addr)) : NULL;

    io->stats.connects++;
    mzmtp_kit_ep_attempt(&e->k);
    if (pcb == NULL) {
        if (c != NULL) {
            memset(c, 0, sizeof(*c));
        }
        /* out of records or pcbs: a failed attempt, try again later */
        (void)mzmtp_kit_ep_down(&e->k, &io->rc, now, MZMTP_ERR_CLOSED, true);
        return;
    }
    c->pcb = pcb;
    tcp_arg(pcb, c);
    tcp_err(pcb, on_err);
    if (tcp_connect(pcb, &e->addr, e->k.port, on_connected) != ERR_OK) {
        c->flags |= CF_EOF; /* no route or no memory: finished in this poll */
    }
}

/* A connecting endpoint's connection ended. One that never came up is a failed connect:
 * back off. Protocol errors are not retried (wire-notes R2): the kit gives the slot back. */
static void connect_lost(mzmtp_lwip_conn_t *c, bool started, mzmtp_status_t why, uint32_t now)
{
    mzmtp_kit_ep_t *e = &c->io->ep[c->ep].k;
    if (e->sock == c->sock) {
        (void)mzmtp_kit_ep_down(e, &c->io->rc, now, why,
                                !started && e->state == MZMTP_KIT_CONNECTING);
    }
}

const mzmtp_lwip_connector_t mzmtp_lwip_ep_connector = {connect_attempt, connect_lost};

/* ------------------------------ the main-loop side ---------------------------------- */

/* mzmtp_kit_reap()'s callback: a peer whose timer expired (heartbeat, handshake) or whose
 * engine failed in an application call is closed in this poll (conn_finish() stops it). */
typedef struct reap_ctx {
    mzmtp_lwip_t *io;
    mzmtp_socket_t *sock;
} reap_ctx_t;

static void dead_peer(void *ctx, int peer, mzmtp_status_t why)
{
    const reap_ctx_t *r = ctx;
    for (int i = 0; i < MZMTP_LWIP_CONF_MAX_CONNS; i++) {
        mzmtp_lwip_conn_t *c = &r->io->conn[i];
        if ((c->flags & CF_STARTED) && c->sock == r->sock && c->peer == peer) {
            c->why = (int8_t)why;
            c->flags |= CF_CLOSE;
        }
    }
}

/* A closing socket lets go once flushed, or when its linger time is up. */
static void close_progress(mzmtp_lwip_t *io, mzmtp_lwip_sockent_t *s, uint32_t now)
{
    mzmtp_socket_t *sock = s->k.sock;
    if (!mzmtp_kit_close_due(&s->k, now)) {
        return;
    }
#if MZMTP_CONF_TX_ACK
    /* Flushed is not enough while lwIP still holds pointers into the send ring (sent
     * without copying, not acknowledged yet): wait for tcp_sent, unless linger is up. */
    if (s->k.linger_ms < 0 || !mzmtp_kit_is_due(now, s->k.linger_at)) {
        for (int i = 0; i < MZMTP_LWIP_CONF_MAX_CONNS; i++) {
            if ((io->conn[i].flags & CF_USED) && io->conn[i].sock == sock &&
                holds_ring(&io->conn[i])) {
                return;
            }
        }
    }
#endif
    for (int i = 0; i < MZMTP_LWIP_CONF_MAX_CONNS; i++) {
        mzmtp_lwip_conn_t *c = &io->conn[i];
        if ((c->flags & CF_USED) && c->sock == sock) {
            c->ep = NO_INDEX; /* no reconnect */
            conn_finish(c, now);
        }
    }
    for (int i = 0; i < MZMTP_LWIP_CONF_MAX_ENDPOINTS; i++) {
        if (io->ep[i].k.sock == sock) {
            mzmtp_kit_ep_free(&io->ep[i].k); /* a connect's slot goes back */
            memset(&io->ep[i], 0, sizeof(io->ep[i]));
        }
    }
    memset(s, 0, sizeof(*s));
    mzmtp_socket_notify(sock, MZMTP_EV_CLOSED, -1, MZMTP_OK);
}

uint32_t mzmtp_lwip_poll(mzmtp_lwip_t *io)
{
    uint32_t now = sys_now();
    uint32_t wait = UINT32_MAX;

    for (int i = 0; i < MZMTP_LWIP_CONF_MAX_SOCKETS; i++) {
        mzmtp_lwip_sockent_t *s = &io->sock[i];
        if (s->k.sock != NULL && mzmtp_socket_next_timeout(s->k.sock, now) == 0) {
            reap_ctx_t r = {io, s->k.sock};
            mzmtp_kit_reap(s->k.sock, now, dead_peer, &r);
        }
    }
    for (int i = 0; i < MZMTP_LWIP_CONF_MAX_CONNS; i++) {
        mzmtp_lwip_conn_t *c = &io->conn[i];
        if (!(c->flags & CF_USED)) {
            continue;
        }
        feed(c, now); /* the application may have read: reopen the window */
        output(c);
        /* A graceful end also waits until lwIP holds nothing of the send ring. */
        if ((c->flags & CF_CLOSE) ||
            (!holds_ring(c) &&
             (((c->flags & CF_FATAL) && !mzmtp_socket_peer_has_output(c->sock, c->peer)) ||
              ((c->flags & CF_EOF) && (c->rx == NULL || !(c->flags & CF_STARTED)))))) {
            conn_finish(c, now);
        }
    }
    for (int i = 0; i < MZMTP_LWIP_CONF_MAX_SOCKETS; i++) {
        mzmtp_lwip_sockent_t *s = &io->sock[i];
        if (s->k.sock != NULL && s->k.closing) {
            close_progress(io, s, now);
        }
        if (s->k.sock != NULL) {
            mzmtp_kit_sock_wait(&s->k, now, &wait); /* engine timers, linger */
        }
    }
    for (int i = 0; i < MZMTP_LWIP_CONF_MAX_ENDPOINTS; i++) {
        if (mzmtp_kit_ep_due(&io->ep[i].k, now)) { /* a connect: io->connector is set */
            io->connector->attempt(io, i, now);
            wait = 0; /* a failed attempt is finished at the next poll */
        } else {
            mzmtp_kit_ep_wait(&io->ep[i].k, now, &wait);
        }
    }
    return wait;
}
