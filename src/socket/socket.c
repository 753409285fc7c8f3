/*
 * Sockets: the core shared by all eleven standard types — PUB, SUB, XPUB, XSUB (RFC 29),
 * PUSH, PULL (RFC 30), REQ, REP, DEALER, ROUTER (RFC 28) and PAIR (RFC 31). Here: peer
 * slots and their lifecycle, options, the port interface, fair queueing and the send and
 * receive dispatch. Each family's own rules are in a file of their own (socket_int.h
 * lists them); this one reaches them behind compile-time type tests.
 *
 * The socket keeps per-peer state in peer sets (one bit per peer slot,
 * src/util/mzmtp_peerset.h) and the shared send ring. It never blocks and never calls
 * back into the application except through the optional monitor callback.
 */
#include <string.h>
#include "microzmtp/mzmtp_port.h"
#include "socket_int.h"
#include "socket_sec.h"
#include "timerq.h"

/* ---------------- init and options ---------------- */

mzmtp_status_t mzmtp_socket_init_sized(mzmtp_socket_t *sock, int type,
                                       const mzmtp_socket_mem_t *mem, size_t sock_size)
{
    if (sock_size != sizeof(mzmtp_socket_t)) return MZMTP_ERR_INVALID;
    if (sock == NULL || mem == NULL || mem->send_buf == NULL || mem->recv_buf == NULL ||
        mem->peers == NULL || mem->max_peers - 1u >= MZMTP_CONF_MAX_PEERS ||
        mem->send_size < 16 || mem->recv_per_peer < MZMTP_RECV_MIN || mem->recv_per_peer > UINT32_MAX ||
        mem->peer_buf == NULL) {
        return MZMTP_ERR_INVALID;
    }
    if ((unsigned)type >= MZMTP_SOCKET_TYPE_COUNT) return MZMTP_ERR_INVALID;
    if (!HAS(type)) return MZMTP_ERR_NOT_SUPPORTED;
    memset(sock, 0, sizeof(*sock));
    sock->type = (uint8_t)type;
    sock->mem = mem;
    /* The slots are not touched here: each is cleared when it is first taken, so the
     * pages of a large calloc'd array that no peer ever used stay unmapped. */
    sock->peer = mem->peers;
    sock->npeers = (uint16_t)mem->max_peers;
    sock->recv_peer = NO_PEER;
    sock->recv_last = NO_PEER;
#if MZMTP_CONF_PEER_FREELIST
    sock->free_top = NO_PEER;
#endif
    sock->sndhwm = MZMTP_CONF_SNDHWM;
    sock->opts.rcvhwm = MZMTP_CONF_RCVHWM;
    sock->opts.handshake_ivl_ms = MZMTP_CONF_HANDSHAKE_IVL_MS;
    /* The peer areas: a routing id for a ROUTER, then the smallest command buffer of
     * this type (a server's User-Id is checked when the mechanism is set). */
    if (!mzmtp_sk_cmd_fits(sock, MZMTP_SK_AUTH_OFF(sock))) return MZMTP_ERR_INVALID;
    mzmtp_outq_init(&sock->outq, mem->send_buf, mem->send_size);
    if (mzmtp_sk_is_pubsub(sock)) mzmtp_sk_sub_init(sock);
    return MZMTP_OK;
}

#if MZMTP_CONF_TIMER_HEAP
static void timer_note(mzmtp_socket_t *s, unsigned p) { mzmtp_sk_timer_note(s, p); }
#elif MZMTP_CONF_TIMER_CACHE
/* Peer @p p's engine may have armed a timer (its handshake began or ended, a PING came
 * with a TTL, setopt() changed its heartbeat): the socket's earliest time comes down to
 * it if that is sooner. Engines arm timers only in mzmtp_conn_init(), _process() and
 * _tick(), and setopt() changes their intervals; each is followed by this, so no timer
 * is ever due before timer_at (wrap-safe comparisons). */
static void timer_note(mzmtp_socket_t *s, unsigned p)
{
    uint32_t u = mzmtp_conn_next_timeout(&s->peer[p].conn, s->now);
    if (u == UINT32_MAX) return;
    uint32_t at = s->now + u;
    if (!s->timer_on || (int32_t)(at - s->timer_at) < 0) {
        s->timer_at = at;
        s->timer_on = true;
    }
}
#else
static void timer_note(mzmtp_socket_t *s, unsigned p) { (void)s, (void)p; }
#endif

mzmtp_status_t mzmtp_socket_setopt(mzmtp_socket_t *sock, mzmtp_option_t opt, const void *val,
                                   size_t len)
{
    if (sock == NULL || val == NULL) return MZMTP_ERR_INVALID;
    if (opt == MZMTP_OPT_MAXMSGSIZE) {
        if (len != sizeof(uint64_t)) return MZMTP_ERR_INVALID;
        memcpy(&sock->opts.max_msg_size, val, sizeof(uint64_t));
        return MZMTP_OK;
    }
    if (opt == MZMTP_OPT_ROUTING_ID) {
        /* RFC 37: 1-255 bytes; a leading zero is reserved for generated ids (M7). */
        const uint8_t *id = val;
        if (len == 0 || len > MZMTP_CONF_ROUTING_ID_MAX || id[0] == 0) return MZMTP_ERR_INVALID;
        /* It goes into every engine's READY: it must fit their command buffers (a
         * server's User-Id part and CURVE's state are counted at peer start) */
        if (mzmtp_sk_sends_identity(sock) &&
            MZMTP_CMD_READY_ID(len) > sock->mem->peer_buf_bytes - MZMTP_SK_AUTH_OFF(sock)) {
            return MZMTP_ERR_NO_MEMORY;
        }
        memcpy(sock->identity, id, len);
        sock->identity_len = (uint8_t)len;
        sock->opts.identity = sock->identity;
        sock->opts.identity_len = sock->identity_len;
        return MZMTP_OK;
    }
    if (mzmtp_socket_sec_option(opt)) return mzmtp_socket_sec_setopt(sock, opt, val, len);
    uint32_t v;
    if (len != sizeof(v)) return MZMTP_ERR_INVALID;
    memcpy(&v, val, sizeof(v));
    switch (opt) {
    case MZMTP_OPT_SNDHWM: sock->sndhwm = v; break;
    case MZMTP_OPT_RCVHWM: sock->opts.rcvhwm = v; break;
    case MZMTP_OPT_HANDSHAKE_IVL: sock->opts.handshake_ivl_ms = v; break;
    case MZMTP_OPT_ROUTER_MANDATORY: sock->router_mandatory = v != 0; break;
    case MZMTP_OPT_NODROP: sock->nodrop = v != 0; break;
    case MZMTP_OPT_ROUTER_ID_SEED: sock->rid_next = v; break;
#if !MZMTP_CONF_HEARTBEAT
    case MZMTP_OPT_HEARTBEAT_IVL:
    case MZMTP_OPT_HEARTBEAT_TIMEOUT:
    case MZMTP_OPT_HEARTBEAT_TTL: return MZMTP_ERR_NOT_SUPPORTED;
#else
    case MZMTP_OPT_HEARTBEAT_IVL: sock->opts.hb_ivl_ms = v; break;
    case MZMTP_OPT_HEARTBEAT_TIMEOUT: sock->opts.hb_timeout_ms = v; break;
    case MZMTP_OPT_HEARTBEAT_TTL:
        if (v > 65500u) return MZMTP_ERR_INVALID;
        sock->opts.hb_ttl_ms = v;
        break;
#endif
    default: return MZMTP_ERR_INVALID;
    }
    /* Runtime options reach live engines at once (HWMs and heartbeats). */
    for (unsigned p = 0; p < sock->nused; p++) {
        if (sock->peer[p].state == MZMTP_PEER_LIVE) {
            sock->peer[p].conn.opts.rcvhwm = sock->opts.rcvhwm;
            sock->peer[p].conn.opts.hb_ivl_ms = sock->opts.hb_ivl_ms;
            sock->peer[p].conn.opts.hb_timeout_ms = sock->opts.hb_timeout_ms;
            sock->peer[p].conn.opts.hb_ttl_ms = sock->opts.hb_ttl_ms;
            timer_note(sock, p); /* a heartbeat interval may start the timers */
        }
    }
    return MZMTP_OK;
}

const char *mzmtp_socket_event_str(mzmtp_socket_event_t ev)
{
    switch (ev) {
    case MZMTP_EV_CONNECTED: return "connected";
    case MZMTP_EV_ACCEPTED: return "accepted";
    case MZMTP_EV_HANDSHAKE: return "handshake";
    case MZMTP_EV_HANDSHAKE_FAILED: return "handshake-failed";
    case MZMTP_EV_DISCONNECTED: return "disconnected";
    case MZMTP_EV_CONNECT_RETRY: return "connect-retry";
    case MZMTP_EV_CLOSED: return "closed";
    }
    return "unknown";
}

void mzmtp_socket_set_monitor(mzmtp_socket_t *sock, mzmtp_monitor_fn fn, void *ctx)
{
    sock->monitor = fn;
    sock->monitor_ctx = ctx;
}

/* A closing socket keeps its long-term secrets only while a handshake still needs them
 * (a CURVE client's vouch, a server's cookie keys): the last one to end wipes them. */
static void wipe_if_no_handshake(mzmtp_socket_t *s)
{
#if MZMTP_SECURITY
    if (!s->closing) return;
    for (unsigned p = 0; p < s->nused; p++) {
        if (s->peer[p].state == MZMTP_PEER_LIVE && !HAS_PEER(s->ready, p)) return;
    }
    mzmtp_socket_sec_wipe(s);
#else
    (void)s; /* NULL only: no secrets */
#endif
}

void mzmtp_socket_notify(mzmtp_socket_t *sock, mzmtp_socket_event_t ev, int peer,
                         mzmtp_status_t status)
{
#if MZMTP_SECURITY
    if (ev == MZMTP_EV_CLOSED) mzmtp_socket_sec_wipe(sock); /* closed: nothing needs them */
#endif
    if (sock->monitor) sock->monitor(sock->monitor_ctx, sock, ev, peer, status);
}

/* ---------------- input processing ---------------- */

static MZMTP_ALWAYS_INLINE bool valid_peer(const mzmtp_socket_t *s, int p)
{
    return (unsigned)p < s->nused && s->peer[p].state != MZMTP_PEER_FREE;
}

static bool peer_has_data(const mzmtp_socket_t *s, unsigned p)
{
    return s->peer[p].state == MZMTP_PEER_LIVE || (CAN_RECV && HAS_PEER(s->draining, p));
}

/* Slot @p p is free from now on (it may be already). With MZMTP_CONF_PEER_FREELIST it
 * goes on top of the stack of free slots, once: a free slot is never pushed again, and
 * only peer_open() takes a slot out of FREE. */
static MZMTP_ALWAYS_INLINE void slot_free(mzmtp_socket_t *s, unsigned p)
{
#if MZMTP_CONF_PEER_FREELIST
    if (s->peer[p].state == MZMTP_PEER_FREE) return;
    s->peer[p].next_free = s->free_top;
    s->free_top = (uint16_t)p;
#endif
    s->peer[p].state = MZMTP_PEER_FREE;
}

/* Free a drained slot once nothing in it is left to read. */
static void finish_drain(mzmtp_socket_t *s, unsigned p)
{
    if (!HAS_PEER(s->draining, p) || HAS_PEER(s->readable, p) || s->recv_peer == p) return;
    mzmtp_peerset_del(&s->draining, p);
    if (!HAS_PEER(s->keep, p)) slot_free(s, p);
}

/* Handshake done on peer @p p; @p id is the Identity it sent. */
static mzmtp_status_t on_handshake(mzmtp_socket_t *s, unsigned p, const uint8_t *id, size_t len)
{
    (void)id, (void)len; /* ROUTER's */
    if (IS(s, MZMTP_PAIR)) mzmtp_sk_pair_handshake(s, p);
    if (IS(s, MZMTP_ROUTER)) {
        mzmtp_status_t st = mzmtp_sk_router_handshake(s, p, id, len);
        if (st != MZMTP_OK) return st;
    }
    mzmtp_peerset_add(&s->ready, p);
    mzmtp_socket_notify(s, MZMTP_EV_HANDSHAKE, (int)p, MZMTP_OK);
    wipe_if_no_handshake(s);
    return MZMTP_OK;
}

/* Run the engine of peer @p p until it needs more input or the application's attention. */
static mzmtp_status_t pump(mzmtp_socket_t *s, unsigned p)
{
    mzmtp_conn_t *c = &s->peer[p].conn;
    mzmtp_conn_event_t ev;
    mzmtp_status_t st = MZMTP_OK;
    CHANGED(s, p); /* input taken, output made, room freed: the port looks again */
    if (!peer_has_data(s, p)) return MZMTP_OK;
    while (!CAN_RECV || !HAS_PEER(s->readable, p)) {
        st = mzmtp_conn_process(c, s->now, &ev);
        if (st == MZMTP_AGAIN) {
            st = MZMTP_OK;
            break;
        }
        if (st != MZMTP_OK) break;
        switch (ev.kind) {
        case MZMTP_CONN_EV_HANDSHAKE:
            st = on_handshake(s, p, ev.data, ev.len);
            if (st != MZMTP_OK) break;
            if (mzmtp_sk_is_sub(s)) mzmtp_sk_sub_peer_ready(s, p);
            break;
        case MZMTP_CONN_EV_SUBSCRIBE:
        case MZMTP_CONN_EV_CANCEL:
            /* Only the types that take subscriptions are given them (the engine's
             * type traits); the table is theirs. */
            if (!mzmtp_sk_is_pub(s)) break;
            st = mzmtp_sk_peer_subscription(s, p, ev.data, ev.len,
                                            ev.kind == MZMTP_CONN_EV_SUBSCRIBE);
            break;
        case MZMTP_CONN_EV_MESSAGE:
            if (MZMTP_CONN_NO_DELIVERY) break; /* never reported there (mzmtp_conn.h) */
            if (IS(s, MZMTP_PUB) || IS(s, MZMTP_PUSH) || IGNORED(s, p)) {
                /* RFC 29/30: PUB and PUSH drop anything sent upstream; ignored peers
                 * (duplicate ROUTER ids, a second PAIR peer) carry no traffic. */
                mzmtp_conn_skip(c);
            } else if (IS(s, MZMTP_REQ) && !mzmtp_conn_in_message(c)) {
                st = mzmtp_sk_req_accept_reply(s, p);
            } else if (IS(s, MZMTP_SUB) && !mzmtp_conn_in_message(c)) {
                if (!mzmtp_sk_sub_wants(s, c)) {
                    mzmtp_conn_skip(c); /* wire-notes S4: SUB filters again on receipt. */
                } else {
                    mzmtp_peerset_add(&s->readable, p);
                }
            } else {
                mzmtp_peerset_add(&s->readable, p);
            }
            break;
        default: break;
        }
        if (st != MZMTP_OK) break;
    }
    timer_note(s, p);
    if (st != MZMTP_OK) return st;
    if (mzmtp_sk_is_sub(s)) mzmtp_sk_sync_subs(s, p);
    return MZMTP_OK;
}

/* A pump outside a port call failed: the port learns it from tick(). */
static void pump_or_mark(mzmtp_socket_t *s, unsigned p)
{
    mzmtp_status_t st = pump(s, p);
    if (st != MZMTP_OK && s->peer[p].state == MZMTP_PEER_LIVE) {
        mzmtp_peerset_add(&s->dead, p);
        s->peer[p].dead_why = st;
    }
}

/* The message at the head of peer @p p is over (read or dropped): look for the next one,
 * and free the slot if its peer had left and nothing more is buffered. */
void mzmtp_sk_head_done(mzmtp_socket_t *s, unsigned p)
{
    mzmtp_peerset_del(&s->readable, p);
    pump_or_mark(s, p);
    finish_drain(s, p);
}

/* ---------------- application calls ---------------- */

/* First frame of a message: choose its peers and open it in the ring.
 * @return MZMTP_OK (opened, or *swallowed when the frame is consumed here), or a status
 *         for the caller. */
static mzmtp_status_t send_begin(mzmtp_socket_t *sock, const uint8_t *d, size_t len,
                                 size_t ring_len, bool more, bool *swallowed)
{
    *swallowed = false;
    switch (SOCK_TYPE(sock)) {
    case MZMTP_PUB:
    case MZMTP_XPUB:
    case MZMTP_XSUB:
        if (!MZMTP_SOCK_HAS_PUBSUB) break;
        return mzmtp_sk_pubsub_begin(sock, d, len, ring_len, swallowed);
    case MZMTP_PUSH:
    case MZMTP_DEALER:
    case MZMTP_PAIR:
        if (!HAS(MZMTP_PUSH) && !HAS(MZMTP_DEALER) && !HAS(MZMTP_PAIR)) break;
        return mzmtp_sk_lb_begin(sock, ring_len);
    case MZMTP_REQ:
        if (!HAS(MZMTP_REQ)) break;
        return mzmtp_sk_req_begin(sock, ring_len);
    case MZMTP_REP:
        if (!HAS(MZMTP_REP)) break;
        return mzmtp_sk_rep_begin(sock, ring_len);
    case MZMTP_ROUTER:
        if (!HAS(MZMTP_ROUTER)) break;
        *swallowed = true;
        return mzmtp_sk_router_begin(sock, d, len, more);
    default: break;
    }
    return MZMTP_ERR_NOT_SUPPORTED;
}

#if MZMTP_CONF_PEER_CHANGES
/* The message open in the ring is about to be committed: each of its recipients has
 * output (one peer, or the words of a group or mask: no walk of the slots). */
static void changed_recipients(mzmtp_socket_t *sock)
{
    const mzmtp_outq_t *q = &sock->outq;
#if MZMTP_OUTQ_WIDE
    if (q->open_grp == MZMTP_OUTQ_ONE) {
        CHANGED(sock, q->open_to);
    } else if (q->open_grp < MZMTP_CONF_SEND_GROUPS) {
        CHANGED_SET(sock, &q->group[q->open_grp].members);
    }
#else
    CHANGED_SET(sock, &q->open_mask);
#endif
}

int mzmtp_socket_peer_next_changed(mzmtp_socket_t *sock, int prev)
{
    if (sock == NULL || prev >= (int)MZMTP_PEERSET_END - 1) return -1;
    unsigned p = mzmtp_peerset_next(&sock->changed, prev < 0 ? 0u : (unsigned)prev + 1u);
    if (p >= MZMTP_PEERSET_END) return -1;
    mzmtp_peerset_del(&sock->changed, p);
    return (int)p;
}
#endif

/* One frame of a message; @p by_ref: the last frame, its body left in place. */
static mzmtp_status_t send_frame(mzmtp_socket_t *sock, const void *data, size_t len, bool more,
                                 bool by_ref)
{
    if (sock == NULL || (data == NULL && len > 0)) return MZMTP_ERR_INVALID;
    if (IS(sock, MZMTP_SUB) || IS(sock, MZMTP_PULL)) return MZMTP_ERR_NOT_SUPPORTED;
    if (sock->closing) return MZMTP_ERR_STATE;
    const uint8_t *d = data;
    mzmtp_outq_t *q = &sock->outq;
    bool continuing = sock->send_in_msg; /* an earlier frame of this message was taken */
    /* Ring bytes this frame needs besides its header (9 bytes at most): by reference,
     * none; a header of up to 9 bytes is what can_take(7) plans for. */
    size_t ring_len = by_ref ? 7u : len;
    if (len > UINT32_MAX || mzmtp_wire_frame_hdr_size(len) + ring_len > q->size) {
        /* Its message can never go: drop what is queued of it, and swallow the rest of
         * its frames (none if this was its last). */
        mzmtp_outq_cancel(q); /* an open message is always this socket's current one */
        sock->send_in_msg = sock->send_drop = more;
        return MZMTP_ERR_NO_MEMORY;
    }
    if (!sock->send_in_msg) {
        bool swallowed;
        mzmtp_status_t st = send_begin(sock, d, len, ring_len, more, &swallowed);
        if (st != MZMTP_OK) return st;
        if ((HAS(MZMTP_XSUB) || HAS(MZMTP_ROUTER)) && swallowed) { /* (only they swallow) */
            if (more && !sock->send_in_msg) sock->send_in_msg = sock->send_drop = true;
            return MZMTP_OK;
        }
        sock->send_drop = false;
    } else if (IS(sock, MZMTP_ROUTER) && sock->router_pending) {
        bool go;
        mzmtp_status_t st = mzmtp_sk_router_open(sock, ring_len, more, &go);
        if (st != MZMTP_OK || !go) return st;
    } else if (sock->send_drop) {
        if (!more) sock->send_in_msg = sock->send_drop = false;
        return MZMTP_OK;
    }
    sock->send_in_msg = more;
#if MZMTP_CONF_PEER_CHANGES
    if (!more) changed_recipients(sock); /* before the commit takes them out of the ring */
#endif
#if MZMTP_CONF_SEND_REF
    mzmtp_status_t st = by_ref ? mzmtp_outq_add_ref(q, d, len) : mzmtp_outq_add_frame(q, d, len, more);
#else
    mzmtp_status_t st = mzmtp_outq_add_frame(q, d, len, more);
#endif
    if (st != MZMTP_OK) {
        bool drops = mzmtp_sk_is_pub(sock) || (IS(sock, MZMTP_ROUTER) && !sock->router_mandatory);
        if (st == MZMTP_AGAIN && !drops) {
            /* The ring is only full for now. A message already started stays open: the
             * application offers this frame again. A first frame leaves nothing behind. */
            if (continuing) {
                sock->send_in_msg = true;
                if (IS(sock, MZMTP_ROUTER) && !q->open) sock->router_pending = true;
            } else {
                mzmtp_outq_cancel(q);
                sock->send_in_msg = false;
                if (IS(sock, MZMTP_REQ)) sock->req_state = 0;
            }
            return MZMTP_AGAIN;
        }
        /* No room for this message, now (PUB: it never blocks) or ever: it is rolled back
         * whole and its remaining frames are swallowed. PUB drops; the others report
         * that it can never go. */
        mzmtp_outq_cancel(q);
        sock->send_drop = more; /* send_in_msg is already `more` */
        if (IS(sock, MZMTP_REQ)) sock->req_state = 0;
        return drops ? MZMTP_OK : MZMTP_ERR_NO_MEMORY;
    }
    if (!more) {
        if (IS(sock, MZMTP_REQ)) sock->req_state = 2;
        if (IS(sock, MZMTP_REP)) sock->rep_reply = false;
    }
    return MZMTP_OK;
}

mzmtp_status_t mzmtp_socket_send(mzmtp_socket_t *sock, const void *data, size_t len, bool more)
{
    return send_frame(sock, data, len, more, false);
}

#if MZMTP_CONF_SEND_REF
mzmtp_status_t mzmtp_socket_send_ref(mzmtp_socket_t *sock, const void *data, size_t len)
{
    return send_frame(sock, data, len, false, true);
}

unsigned mzmtp_socket_refs_pending(const mzmtp_socket_t *sock)
{
    return sock != NULL ? (unsigned)mzmtp_outq_refs(&sock->outq) : 0u;
}
#endif

/* Choose the peer whose message recv() delivers next (fair queue, RFC 29/30): the first
 * readable peer from the cursor on (it moves past each peer read), so a message costs the
 * words skipped, with no set copied. */
static bool recv_select(mzmtp_socket_t *sock)
{
    for (;;) {
        unsigned p = mzmtp_peerset_next_cyclic(&sock->readable, sock->rr_recv);
        if (p == MZMTP_PEERSET_END) return false;
        if (IS(sock, MZMTP_REP) && !mzmtp_sk_rep_take_envelope(sock, p)) {
            /* S8: a request without an envelope is dropped; the same peer's next one,
             * already buffered, may be fine (each pass consumes one message). */
            mzmtp_conn_skip(&sock->peer[p].conn);
            mzmtp_sk_head_done(sock, p);
            continue;
        }
        sock->recv_peer = (uint16_t)p;
        sock->recv_last = (uint16_t)p;
        sock->router_id_out = false;
        return true;
    }
}

/* The current frame's next bytes: copied into @p buf, or lent with @p ref. */
static mzmtp_status_t read_frame(mzmtp_conn_t *c, uint8_t *buf, size_t cap,
                                 const uint8_t **ref, size_t *len, unsigned *flags)
{
#if MZMTP_CONF_RECV_REF
    if (ref != NULL) return mzmtp_conn_read_ref(c, ref, len, flags);
#else
    (void)ref;
#endif
    return mzmtp_conn_read(c, buf, cap, len, flags);
}

/* The next piece of a message, copied into @p buf (up to @p cap bytes) or, with @p ref,
 * lent where it lies (@p buf unused). */
static mzmtp_status_t recv_next(mzmtp_socket_t *sock, uint8_t *buf, size_t cap,
                                const uint8_t **ref, size_t *len, unsigned *flags)
{
    *len = 0;
    *flags = 0;
    if (IS(sock, MZMTP_PUB) || IS(sock, MZMTP_PUSH)) return MZMTP_ERR_NOT_SUPPORTED;
    if (sock->truncated) {
        /* The message is over; a REQ whose reply was cut may ask again. */
        sock->truncated = false;
        if (IS(sock, MZMTP_REQ)) sock->req_state = 0;
        return MZMTP_ERR_TRUNCATED;
    }
    if (IS(sock, MZMTP_REQ) && sock->req_state < 2) return MZMTP_ERR_STATE;
    if (IS(sock, MZMTP_REP) && sock->rep_reply) return MZMTP_ERR_STATE;
    if (sock->recv_peer == NO_PEER) {
        mzmtp_status_t st;
        if (IS(sock, MZMTP_XPUB) && mzmtp_sk_xpub_notification(sock, buf, cap, len, &st)) return st;
        if (!recv_select(sock)) return MZMTP_AGAIN;
    }
    unsigned p = sock->recv_peer;
    mzmtp_conn_t *c = &sock->peer[p].conn;
    if (IS(sock, MZMTP_ROUTER) && !sock->router_id_out) {
        return mzmtp_sk_router_id_out(sock, p, buf, cap, ref, len, flags);
    }
    mzmtp_status_t st = read_frame(c, buf, cap, ref, len, flags);
    CHANGED(sock, p); /* the bytes read are receive room again */
    if (st == MZMTP_AGAIN) {
        /* A command may sit between two frames: run it, then try again. */
        pump_or_mark(sock, p);
        st = read_frame(c, buf, cap, ref, len, flags);
    }
    if (st == MZMTP_AGAIN) return MZMTP_AGAIN;
    if (!(*flags & (MZMTP_RECV_MORE | MZMTP_RECV_PARTIAL))) {
        sock->recv_peer = NO_PEER;
        sock->rr_recv = (uint16_t)((p + 1u) % MZMTP_CONF_MAX_PEERS);
        if (IS(sock, MZMTP_REQ)) sock->req_state = 0;
        if (IS(sock, MZMTP_REP)) {
            sock->rep_reply = true;
            sock->req_peer = (uint16_t)p;
        }
        mzmtp_sk_head_done(sock, p);
    }
    return MZMTP_OK;
}

mzmtp_status_t mzmtp_socket_recv(mzmtp_socket_t *sock, void *buf, size_t cap, size_t *len,
                                 unsigned *flags)
{
    if (sock == NULL || len == NULL || flags == NULL || (buf == NULL && cap > 0)) {
        return MZMTP_ERR_INVALID;
    }
    return recv_next(sock, buf, cap, NULL, len, flags);
}

#if MZMTP_CONF_RECV_REF
mzmtp_status_t mzmtp_socket_recv_ref(mzmtp_socket_t *sock, const void **data, size_t *len,
                                     unsigned *flags)
{
    if (sock == NULL || data == NULL || len == NULL || flags == NULL) return MZMTP_ERR_INVALID;
    *data = NULL;
    /* An XPUB's subscription notices are made up on the way out: they need a buffer. */
    if (IS(sock, MZMTP_XPUB)) {
        *len = 0;
        *flags = 0;
        return MZMTP_ERR_NOT_SUPPORTED;
    }
    const uint8_t *at = NULL;
    mzmtp_status_t st = recv_next(sock, NULL, 0, &at, len, flags);
    if (st == MZMTP_OK) *data = at;
    return st;
}
#endif

unsigned mzmtp_socket_poll(mzmtp_socket_t *sock)
{
    unsigned r = 0;
    if (sock == NULL) return 0;
    bool in = !mzmtp_peerset_empty(&sock->readable) || sock->truncated || sock->recv_peer != NO_PEER;
    if (IS(sock, MZMTP_REQ) && sock->req_state < 2) in = false;
    if (IS(sock, MZMTP_REP) && sock->rep_reply) in = false;
    if (IS(sock, MZMTP_PUB) || IS(sock, MZMTP_PUSH)) in = false;
    if (IS(sock, MZMTP_XPUB) && mzmtp_sk_xpub_pending(sock)) in = true;
    if (IS(sock, MZMTP_REP) && in && sock->recv_peer == NO_PEER && !sock->rep_reply) {
        /* Only a request with a valid envelope counts: take it (dropping bad ones) now. */
        in = recv_select(sock);
    }
    if (in) r |= MZMTP_POLLIN;
    if (sock->closing) return r;
    bool out = false;
    switch (SOCK_TYPE(sock)) {
    case MZMTP_PUB:
    case MZMTP_XPUB:
        if (!HAS(MZMTP_PUB) && !HAS(MZMTP_XPUB)) break;
        out = mzmtp_sk_pub_writable(sock);
        break;
    case MZMTP_ROUTER:
        if (!HAS(MZMTP_ROUTER)) break;
        out = mzmtp_sk_router_writable(sock);
        break;
    case MZMTP_XSUB:
        out = !mzmtp_peerset_empty(&sock->ready) && mzmtp_outq_can_take(&sock->outq, 64);
        break;
    case MZMTP_REP:
        if (!HAS(MZMTP_REP)) break;
        out = mzmtp_sk_rep_writable(sock);
        break;
    case MZMTP_REQ:
    case MZMTP_PUSH:
    case MZMTP_DEALER:
    case MZMTP_PAIR:
        if (!MZMTP_SOCK_HAS_LB || (IS(sock, MZMTP_REQ) && sock->req_state != 0)) break;
        out = mzmtp_outq_can_take(&sock->outq, 64) && mzmtp_sk_next_carrier(sock) >= 0;
        break;
    default: break;
    }
    if (out || sock->send_in_msg) r |= MZMTP_POLLOUT; /* the rest of an open message is taken */
    return r;
}

void mzmtp_socket_close(mzmtp_socket_t *sock)
{
    if (sock == NULL) return;
    sock->closing = 1;
    /* No new handshake can start; the secrets go as soon as those running have ended
     * (during the linger a CURVE client still has to vouch with its long-term key). */
    wipe_if_no_handshake(sock);
}

bool mzmtp_socket_flushed(const mzmtp_socket_t *sock)
{
    for (unsigned p = 0; p < sock->nused; p++) {
        if (sock->peer[p].state == MZMTP_PEER_FREE || IGNORED(sock, p)) continue;
        /* Messages queued for a peer still connecting count too (wire-notes R4). */
        if (mzmtp_outq_pipe_queued(&sock->outq, p) > 0) return false;
        if (sock->peer[p].state == MZMTP_PEER_LIVE && HAS_PEER(sock->ready, p) &&
            mzmtp_conn_has_output(&sock->peer[p].conn)) {
            return false;
        }
    }
    return true;
}

unsigned mzmtp_socket_peer_count(const mzmtp_socket_t *sock)
{
    return mzmtp_peerset_count(&sock->ready);
}

unsigned mzmtp_socket_max_peers(const mzmtp_socket_t *sock)
{
    return sock != NULL ? sock->npeers : 0u;
}

uint32_t mzmtp_socket_peer_queued(const mzmtp_socket_t *sock, int peer)
{
    if (sock == NULL || !valid_peer(sock, peer)) return 0;
    return mzmtp_outq_pipe_queued(&sock->outq, (unsigned)peer);
}

size_t mzmtp_socket_send_room(const mzmtp_socket_t *sock)
{
    return sock == NULL ? 0 : mzmtp_outq_room(&sock->outq);
}

/* ---------------- port interface ---------------- */

mzmtp_status_t mzmtp_socket_peer_open(mzmtp_socket_t *sock, bool keep_queue, int *peer)
{
    if (sock == NULL || peer == NULL) return MZMTP_ERR_INVALID;
    if (sock->closing) return MZMTP_ERR_STATE;
#if MZMTP_CONF_PEER_FREELIST
    /* The free slot on top of the stack, else the next one never used: O(1). */
    unsigned p = sock->free_top;
    mzmtp_peer_t *slot = &sock->peer[p == NO_PEER ? 0u : p];
    if (p != NO_PEER) {
        sock->free_top = slot->next_free;
    } else {
        p = sock->nused;
        if (p == sock->npeers) return MZMTP_ERR_LIMIT;
        slot = &sock->peer[p];
        memset(slot, 0, sizeof(*slot));
        sock->nused = (uint16_t)(p + 1u);
    }
#else
    mzmtp_peer_t *slot = sock->peer;
    unsigned p = 0;
    while (p < sock->nused && slot->state != MZMTP_PEER_FREE) p++, slot++;
    if (p == sock->nused) {
        /* Every slot taken so far is in use: take the next one, never used before. */
        if (p == sock->npeers) return MZMTP_ERR_LIMIT;
        memset(slot, 0, sizeof(*slot));
        sock->nused = (uint16_t)(p + 1u);
    }
#endif
    CHANGED(sock, p);
    slot->state = MZMTP_PEER_WAITING;
    mzmtp_peerset_put(&sock->keep, p, keep_queue);
    mzmtp_outq_pipe_attach(&sock->outq, p);
    *peer = (int)p;
    return MZMTP_OK;
}

mzmtp_status_t mzmtp_socket_peer_start(mzmtp_socket_t *sock, int peer, uint32_t now_ms)
{
    if (sock == NULL || !valid_peer(sock, peer)) return MZMTP_ERR_INVALID;
    unsigned p = (unsigned)peer;
    mzmtp_peer_t *slot = &sock->peer[p];
    if (slot->state == MZMTP_PEER_LIVE) return MZMTP_ERR_STATE;
    if (CAN_RECV) {
        if (sock->recv_peer == p) {
            sock->recv_peer = NO_PEER;
            sock->truncated = true;
        }
        mzmtp_peerset_del(&sock->draining, p);
        mzmtp_peerset_del(&sock->readable, p);
    }
    sock->now = now_ms;
    mzmtp_outq_pipe_rewind(&sock->outq, p);
    /* the command buffer: after a ROUTER's id and a server's User-Id; a CURVE engine
     * keeps its state at its front; it must hold the READY with the routing id */
    size_t off = mzmtp_socket_sec_peer_start(sock, p);
    if (MZMTP_SECURITY &&
        sock->mem->peer_buf_bytes < off + mzmtp_sk_curve_state(sock) + mzmtp_sk_cmd_need(sock)) {
        return MZMTP_ERR_NO_MEMORY; /* (init checked the rest, and at most 65535 B) */
    }
    /* Every argument mzmtp_conn_init() would check was checked by init and setopt(). */
    mzmtp_status_t st = mzmtp_conn_start(&slot->conn, sock->type, &sock->opts,
                                         sock->mem->recv_buf + (size_t)p * sock->mem->recv_per_peer,
                                         sock->mem->recv_per_peer, mzmtp_sk_peer_buf(sock, p) + off,
                                         sock->mem->peer_buf_bytes - off, &sock->outq, p, now_ms);
    if (st != MZMTP_OK) return st;
    slot->state = MZMTP_PEER_LIVE;
    CHANGED(sock, p); /* receive room, the greeting to send */
    timer_note(sock, p); /* the handshake timer */
    return MZMTP_OK;
}

void mzmtp_socket_peer_stop(mzmtp_socket_t *sock, int peer, mzmtp_status_t why)
{
    if (sock == NULL || !valid_peer(sock, peer)) return;
    unsigned p = (unsigned)peer;
    mzmtp_peer_t *slot = &sock->peer[p];
    bool was_live = slot->state == MZMTP_PEER_LIVE;
    bool was_ready = HAS_PEER(sock->ready, p);
    CHANGED(sock, p);
    mzmtp_peerset_del(&sock->ready, p);
    mzmtp_peerset_del(&sock->dead, p);
    if (IS(sock, MZMTP_ROUTER) && was_ready && !IGNORED(sock, p)) {
        mzmtp_sk_router_handover(sock, p);
    }
    if (CAN_IGNORE) mzmtp_peerset_del(&sock->ignored, p);
    /* rid[p] stays: messages still buffered from this peer are read with its id. */
    if ((IS(sock, MZMTP_REQ) || IS(sock, MZMTP_REP) || IS(sock, MZMTP_ROUTER)) && sock->req_peer == p) {
        /* The peer asked (REQ), to answer (REP) or being written to (ROUTER) is gone; a
         * new peer in its slot must not receive, or answer for, what was meant for it. */
        sock->req_peer = NO_PEER;
        sock->router_pending = false;
        if (IS(sock, MZMTP_ROUTER) && sock->send_in_msg) sock->send_drop = true;
    }
    /* A connecting PUB/XPUB keeps its peer's subscriptions with its queue, so what is
     * published while the link is down waits for it, up to the HWM (libzmq's pipe
     * outlives the connection: wire-notes R4). The returning peer's SUBSCRIBEs are then
     * duplicates, which a set ignores (S1). */
    if (mzmtp_sk_is_sub(sock) || (mzmtp_sk_is_pub(sock) && !HAS_PEER(sock->keep, p))) {
        mzmtp_sk_sub_forget_peer(sock, p);
    }
    if (was_live && CAN_RECV) {
        /* Complete messages already received stay readable (nothing accepted is lost);
         * a message cut in the middle is reported as truncated. */
        mzmtp_conn_t *c = &slot->conn;
        if (sock->recv_peer == p && mzmtp_conn_in_message(c) && c->streaming) {
            sock->recv_peer = NO_PEER;
            mzmtp_peerset_del(&sock->readable, p);
            sock->truncated = true;
        }
        if (HAS_PEER(sock->readable, p) || sock->recv_peer == p) mzmtp_peerset_add(&sock->draining, p);
    }
    if (was_live) {
        mzmtp_conn_wipe(&slot->conn); /* session keys go with the connection */
        mzmtp_socket_notify(sock, was_ready ? MZMTP_EV_DISCONNECTED : MZMTP_EV_HANDSHAKE_FAILED,
                            peer, why);
    }
    if (HAS_PEER(sock->keep, p)) {
        slot->state = MZMTP_PEER_WAITING;
        mzmtp_outq_pipe_rewind(&sock->outq, p);
    } else {
        mzmtp_outq_pipe_drop(&sock->outq, p);
#if MZMTP_CONF_PEER_FREELIST
        if (CAN_RECV && HAS_PEER(sock->draining, p)) {
            slot->state = MZMTP_PEER_WAITING;
        } else {
            slot_free(sock, p);
        }
#else
        slot->state = CAN_RECV && HAS_PEER(sock->draining, p) ? MZMTP_PEER_WAITING : MZMTP_PEER_FREE;
#endif
    }
    wipe_if_no_handshake(sock);
}

void mzmtp_socket_peer_release(mzmtp_socket_t *sock, int peer)
{
    if (sock == NULL || !valid_peer(sock, peer)) return;
    unsigned p = (unsigned)peer;
    if (sock->peer[p].state == MZMTP_PEER_LIVE) mzmtp_socket_peer_stop(sock, peer, MZMTP_ERR_CLOSED);
    mzmtp_peerset_del(&sock->keep, p);
    if (mzmtp_sk_is_pubsub(sock)) mzmtp_sk_sub_forget_peer(sock, p);
    mzmtp_outq_pipe_drop(&sock->outq, p);
    if (!CAN_RECV || !HAS_PEER(sock->draining, p)) slot_free(sock, p);
}

/* The engine of @p peer if its transport is up, else NULL. */
static mzmtp_conn_t *live_conn(mzmtp_socket_t *sock, int peer)
{
    if (sock == NULL || (unsigned)peer >= sock->nused || sock->peer[peer].state != MZMTP_PEER_LIVE) {
        return NULL;
    }
    return &sock->peer[peer].conn;
}

void mzmtp_socket_peer_rx_space(mzmtp_socket_t *sock, int peer, uint8_t **ptr, size_t *len)
{
    mzmtp_conn_t *c = live_conn(sock, peer);
    *ptr = NULL;
    *len = 0;
    if (c != NULL) mzmtp_conn_rx_space(c, ptr, len);
}

mzmtp_status_t mzmtp_socket_peer_rx_commit(mzmtp_socket_t *sock, int peer, size_t n,
                                           uint32_t now_ms)
{
    mzmtp_conn_t *c = live_conn(sock, peer);
    if (c == NULL) return MZMTP_ERR_INVALID;
    sock->now = now_ms;
    mzmtp_conn_rx_commit(c, n, now_ms);
    return pump(sock, (unsigned)peer);
}

mzmtp_status_t mzmtp_socket_peer_input(mzmtp_socket_t *sock, int peer, const uint8_t *in,
                                       size_t len, uint32_t now_ms, size_t *consumed)
{
    mzmtp_status_t st = MZMTP_OK;
    *consumed = 0;
    do {
        uint8_t *at;
        size_t room;
        mzmtp_socket_peer_rx_space(sock, peer, &at, &room);
        size_t k = len - *consumed < room ? len - *consumed : room;
        if (k) memcpy(at, in + *consumed, k);
        *consumed += k;
        st = mzmtp_socket_peer_rx_commit(sock, peer, k, now_ms);
        if (k == 0) break;
    } while (st == MZMTP_OK && *consumed < len);
    return st;
}

size_t mzmtp_socket_peer_output(mzmtp_socket_t *sock, int peer, mzmtp_iov_t *iov, size_t max)
{
    mzmtp_conn_t *c = live_conn(sock, peer);
    return c != NULL ? mzmtp_conn_output(c, iov, max) : 0;
}

void mzmtp_socket_peer_output_done(mzmtp_socket_t *sock, int peer, size_t n)
{
    mzmtp_conn_t *c = live_conn(sock, peer);
    if (c == NULL) return;
    mzmtp_conn_output_done(c, n);
    /* Room in the command buffer: pending subscriptions and PONGs can go now. */
    pump_or_mark(sock, (unsigned)peer);
}

#if MZMTP_CONF_TX_ACK
void mzmtp_socket_peer_output_written(mzmtp_socket_t *sock, int peer, size_t n)
{
    mzmtp_conn_t *c = live_conn(sock, peer);
    if (c == NULL) return;
    mzmtp_conn_output_written(c, n);
    pump_or_mark(sock, (unsigned)peer);
}

void mzmtp_socket_peer_output_acked(mzmtp_socket_t *sock, int peer, size_t n)
{
    mzmtp_conn_t *c = live_conn(sock, peer);
    if (c == NULL) return;
    mzmtp_conn_output_acked(c, n);
    CHANGED(sock, (unsigned)peer);
}
#endif

bool mzmtp_socket_peer_has_output(mzmtp_socket_t *sock, int peer)
{
    mzmtp_conn_t *c = live_conn(sock, peer);
    return c != NULL && mzmtp_conn_has_output(c);
}

bool mzmtp_socket_peer_live(const mzmtp_socket_t *sock, int peer)
{
    return sock != NULL && valid_peer(sock, peer) && sock->peer[peer].state == MZMTP_PEER_LIVE;
}

bool mzmtp_socket_tick(mzmtp_socket_t *sock, uint32_t now_ms)
{
    sock->now = now_ms;
#if MZMTP_CONF_TIMER_HEAP
    mzmtp_sk_timer_run(sock, now_ms); /* the due peers only (src/socket/timerq.c) */
    return !mzmtp_peerset_empty(&sock->dead);
#else
#if MZMTP_CONF_TIMER_CACHE
    /* Nothing can be due before timer_at: the walk waits for it. It then sets timer_at
     * to the earliest timer of every engine, exactly. */
    if (!sock->timer_on || (int32_t)(now_ms - sock->timer_at) < 0) {
        return !mzmtp_peerset_empty(&sock->dead);
    }
    sock->timer_on = false;
#endif
    for (unsigned p = 0; p < sock->nused; p++) {
        mzmtp_peer_t *slot = &sock->peer[p];
        if (slot->state != MZMTP_PEER_LIVE || HAS_PEER(sock->dead, p)) continue;
        mzmtp_status_t st = mzmtp_conn_tick(&slot->conn, now_ms);
#if MZMTP_CONF_PEER_CHANGES
        /* a PING or an ERROR to send (a dead peer is reported by next_dead as well) */
        if (st != MZMTP_OK || mzmtp_conn_has_output(&slot->conn)) CHANGED(sock, p);
#endif
        if (st != MZMTP_OK) {
            mzmtp_peerset_add(&sock->dead, p);
            slot->dead_why = st;
        } else {
            timer_note(sock, p);
        }
    }
    return !mzmtp_peerset_empty(&sock->dead);
#endif
}

int mzmtp_socket_peer_next_dead(const mzmtp_socket_t *sock, int prev)
{
    if (sock == NULL || prev >= MZMTP_CONF_MAX_PEERS) return -1;
    unsigned p = mzmtp_peerset_next(&sock->dead, prev < 0 ? 0u : (unsigned)prev + 1u);
    return p < MZMTP_PEERSET_END ? (int)p : -1;
}

mzmtp_status_t mzmtp_socket_peer_status(const mzmtp_socket_t *sock, int peer)
{
    if (sock == NULL || peer < 0 || peer >= sock->nused ||
        !HAS_PEER(sock->dead, (unsigned)peer)) {
        return MZMTP_OK;
    }
    return sock->peer[peer].dead_why;
}

uint32_t mzmtp_socket_peer_next_timeout(const mzmtp_socket_t *sock, int peer, uint32_t now_ms)
{
    if (sock == NULL || peer < 0 || peer >= sock->nused ||
        sock->peer[peer].state != MZMTP_PEER_LIVE) {
        return UINT32_MAX;
    }
    if (HAS_PEER(sock->dead, (unsigned)peer)) return 0;
    return mzmtp_conn_next_timeout(&sock->peer[peer].conn, now_ms);
}

uint32_t mzmtp_socket_next_timeout(const mzmtp_socket_t *sock, uint32_t now_ms)
{
    if (!mzmtp_peerset_empty(&sock->dead)) return 0;
#if MZMTP_CONF_TIMER_HEAP
    return mzmtp_sk_timer_wait(sock, now_ms);
#elif MZMTP_CONF_TIMER_CACHE
    if (!sock->timer_on) return UINT32_MAX;
    int32_t d = (int32_t)(sock->timer_at - now_ms);
    return d <= 0 ? 0u : (uint32_t)d;
#else
    uint32_t t = UINT32_MAX;
    for (unsigned p = 0; p < sock->nused; p++) {
        const mzmtp_peer_t *slot = &sock->peer[p];
        if (slot->state != MZMTP_PEER_LIVE) continue;
        uint32_t u = mzmtp_conn_next_timeout(&slot->conn, now_ms);
        if (u < t) t = u;
    }
    return t;
#endif
}
