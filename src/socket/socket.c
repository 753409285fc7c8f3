/*
 * Sockets of all eleven standard types over the connection engine: PUB, SUB, XPUB, XSUB
 * (RFC 29), PUSH, PULL (RFC 30), REQ, REP, DEALER, ROUTER (RFC 28) and PAIR (RFC 31).
 *
 * The socket keeps per-peer state in peer sets (one bit per peer slot,
 * src/util/mzmtp_peerset.h), a subscription table and the shared send ring. It never blocks and never calls back into the
 * application except through the optional monitor callback.
 */
#include <string.h>
#include "microzmtp/mzmtp_port.h"
#include "../util/mzmtp_util.h"
#include "socket_sec.h"

/* Compile-time constant false for types left out of MZMTP_CONF_SOCKET_TYPES, so their
 * code is dropped by the compiler. */
#define HAS(t) (((MZMTP_CONF_SOCKET_TYPES) >> (t)) & 1u)
#define IS(s, t) (HAS(t) && (s)->type == (t))
/* Compile-time: does any type in this build receive messages? (PUB and PUSH do not.) */
#define CAN_RECV ((MZMTP_CONF_SOCKET_TYPES & ~(MZMTP_TYPESET_PUB | MZMTP_TYPESET_PUSH)) != 0)
#define NO_PEER MZMTP_NO_PEER
#define HAS_PEER(set, p) mzmtp_peerset_has(&(set), (p))

/* ---------------- subscription table ----------------
 * Entry: len(1) flags(1) count(2, native) mask(a peer set, native words) topic(len).
 * PUB/XPUB: mask = peers subscribed (a set per peer, wire-notes S1), flags = REPORTED
 * (XPUB told the application the topic is subscribed).
 * SUB/XSUB: count = local subscribe calls (S1: counted), mask = peers we have sent the
 * SUBSCRIBE to. A difference between count>0 and a peer's bit is work for sync_subs(). */
#define ENT_HDR (4u + sizeof(mzmtp_peerset_t))
#define ENT_REPORTED 0x01u

static size_t ent_size(const uint8_t *e) { return ENT_HDR + e[0]; }
/* Entries are packed bytes: their peer set is read and written a word at a time, at
 * no alignment, so that one peer's change costs one word, not the whole set. */
static uint32_t ent_word(const uint8_t *e, unsigned i)
{
    uint32_t w;
    memcpy(&w, e + 4u + 4u * i, sizeof(w));
    return w;
}
static bool ent_has(const uint8_t *e, unsigned p)
{
    return (ent_word(e, MZMTP_PEERSET_W(p)) & MZMTP_PEERSET_BIT(p)) != 0;
}
static void ent_put(uint8_t *e, unsigned p, bool on)
{
    uint32_t w = ent_word(e, MZMTP_PEERSET_W(p));
    w = on ? w | MZMTP_PEERSET_BIT(p) : w & ~MZMTP_PEERSET_BIT(p);
    memcpy(e + 4u + 4u * MZMTP_PEERSET_W(p), &w, sizeof(w));
}
static bool ent_nobody(const uint8_t *e)
{
    uint32_t any = ent_word(e, 0);
    for (unsigned i = 1; i < MZMTP_PEERSET_WORDS; i++) any |= ent_word(e, i);
    return any == 0;
}
/* Add the entry's peers to @p m. */
static void ent_or_into(const uint8_t *e, mzmtp_peerset_t *m)
{
    for (unsigned i = 0; i < MZMTP_PEERSET_WORDS; i++) m->w[i] |= ent_word(e, i);
}
static uint16_t ent_count(const uint8_t *e)
{
    uint16_t c;
    memcpy(&c, e + 2, sizeof(c));
    return c;
}
static void ent_set_count(uint8_t *e, uint16_t c) { memcpy(e + 2, &c, sizeof(c)); }
static const uint8_t *ent_topic(const uint8_t *e) { return e + ENT_HDR; }

static uint8_t *sub_find(mzmtp_socket_t *s, const uint8_t *topic, size_t len)
{
    for (size_t off = 0; off < s->sub_used; off += ent_size(s->sub + off)) {
        uint8_t *e = s->sub + off;
        if (e[0] == len && mzmtp_util_bytes_eq(ent_topic(e), topic, len)) return e;
    }
    return NULL;
}

static uint8_t *sub_add(mzmtp_socket_t *s, const uint8_t *topic, size_t len)
{
    if (len > MZMTP_CONF_MAX_TOPIC || ENT_HDR + len > (size_t)(MZMTP_CONF_SUB_BYTES - s->sub_used)) {
        return NULL;
    }
    uint8_t *e = s->sub + s->sub_used;
    memset(e, 0, ENT_HDR);
    e[0] = (uint8_t)len;
    if (len) memcpy(e + ENT_HDR, topic, len);
    s->sub_used = (uint16_t)(s->sub_used + ENT_HDR + len);
    return e;
}

static void sub_remove(mzmtp_socket_t *s, uint8_t *e)
{
    size_t sz = ent_size(e);
    size_t off = (size_t)(e - s->sub);
    mzmtp_util_move_down(e, e + sz, s->sub_used - off - sz);
    s->sub_used = (uint16_t)(s->sub_used - sz);
}

/* An entry no one needs: no peer, no local count, nothing left to tell the application. */
static bool ent_idle(const mzmtp_socket_t *s, const uint8_t *e)
{
    if (!ent_nobody(e)) return false;
    if (IS(s, MZMTP_SUB) || IS(s, MZMTP_XSUB)) return ent_count(e) == 0;
    return !(IS(s, MZMTP_XPUB) && (e[1] & ENT_REPORTED));
}

static void sub_gc(mzmtp_socket_t *s)
{
    size_t off = 0;
    while (off < s->sub_used) {
        uint8_t *e = s->sub + off;
        if (ent_idle(s, e)) {
            sub_remove(s, e);
        } else {
            off += ent_size(e);
        }
    }
}

/* Peer @p p leaves the table: PUB/XPUB forget its subscriptions (RFC 29; XPUB then
 * reports the cancels), SUB/XSUB forget having told it, so it is told again (S2). */
static void sub_forget_peer(mzmtp_socket_t *s, unsigned p)
{
    for (size_t off = 0; off < s->sub_used; off += ent_size(s->sub + off)) {
        ent_put(s->sub + off, p, false);
    }
    sub_gc(s);
}

/* XPUB: the application has not been told this topic's current state (subscribed or
 * not) yet. */
static bool ent_unreported(const uint8_t *e)
{
    return !ent_nobody(e) != ((e[1] & ENT_REPORTED) != 0);
}

static bool is_pub(const mzmtp_socket_t *s) { return IS(s, MZMTP_PUB) || IS(s, MZMTP_XPUB); }
static bool is_sub(const mzmtp_socket_t *s) { return IS(s, MZMTP_SUB) || IS(s, MZMTP_XSUB); }

/* @p m = the peers whose subscriptions match the first frame @p d[0..len): binary prefix
 * match. */
static void sub_match_peers(const mzmtp_socket_t *s, const uint8_t *d, size_t len,
                            mzmtp_peerset_t *m)
{
    mzmtp_peerset_clear(m);
    for (size_t off = 0; off < s->sub_used; off += ent_size(s->sub + off)) {
        const uint8_t *e = s->sub + off;
        if (e[0] <= len && mzmtp_util_bytes_eq(ent_topic(e), d, e[0])) ent_or_into(e, m);
    }
}

/* SUB: does a first frame of @p frame_len bytes starting with @p d[0..avail) match a
 * local subscription? */
static bool sub_match_local(const mzmtp_socket_t *s, const uint8_t *d, size_t avail,
                            uint64_t frame_len)
{
    for (size_t off = 0; off < s->sub_used; off += ent_size(s->sub + off)) {
        const uint8_t *e = s->sub + off;
        if (ent_count(e) > 0 && e[0] <= frame_len && e[0] <= avail &&
            mzmtp_util_bytes_eq(ent_topic(e), d, e[0])) {
            return true;
        }
    }
    return false;
}

/* SUB/XSUB: bring peer @p p's view of our subscriptions up to date (as far as its command
 * buffer allows; called again whenever output drains). */
static void sync_subs(mzmtp_socket_t *s, unsigned p)
{
    /* sub_pending: peers that may have work here, so the table is not walked after
     * every message. */
    if (!is_sub(s) || !HAS_PEER(s->ready, p) || !HAS_PEER(s->sub_pending, p)) return;
    mzmtp_conn_t *c = &s->peer[p];
    bool removed = false, done = true;
    for (size_t off = 0; off < s->sub_used; off += ent_size(s->sub + off)) {
        uint8_t *e = s->sub + off;
        bool want = ent_count(e) > 0, has = ent_has(e, p);
        if (want == has) continue;
        if (mzmtp_conn_send_subscription(c, ent_topic(e), e[0], want) != MZMTP_OK) {
            done = false; /* command buffer full: again when output drains */
            break;
        }
        ent_put(e, p, want);
        removed = removed || !want;
    }
    if (done) mzmtp_peerset_del(&s->sub_pending, p);
    if (removed) sub_gc(s);
}

static void sync_all(mzmtp_socket_t *s)
{
    s->sub_pending = s->ready;
    MZMTP_PEERSET_FOR_EACH(p, &s->ready) sync_subs(s, p);
}

/* PUB/XPUB: peer @p p subscribed or cancelled @p topic. */
static mzmtp_status_t peer_subscription(mzmtp_socket_t *s, unsigned p, const uint8_t *topic,
                                        size_t len, bool subscribe)
{
    uint8_t *e = sub_find(s, topic, len);
    if (subscribe) {
        if (e == NULL) e = sub_add(s, topic, len);
        if (e == NULL) return MZMTP_ERR_PEER_LIMIT; /* table full, or topic too long */
        ent_put(e, p, true);
    } else if (e != NULL) {
        ent_put(e, p, false);
        if (ent_idle(s, e)) sub_remove(s, e);
    }
    return MZMTP_OK;
}

/* ---------------- init and options ---------------- */

mzmtp_status_t mzmtp_socket_init_sized(mzmtp_socket_t *sock, int type,
                                       const mzmtp_socket_mem_t *mem, size_t sock_size)
{
    if (sock_size != sizeof(mzmtp_socket_t)) return MZMTP_ERR_INVALID;
    if (sock == NULL || mem == NULL || mem->send_buf == NULL || mem->recv_buf == NULL ||
        mem->send_size < 16 || mem->recv_per_peer < MZMTP_RECV_MIN || mem->recv_per_peer > UINT32_MAX) {
        return MZMTP_ERR_INVALID;
    }
    if (mzmtp_wire_socket_type_name(type) == NULL) return MZMTP_ERR_INVALID;
    if (!HAS(type)) return MZMTP_ERR_NOT_SUPPORTED;
    memset(sock, 0, sizeof(*sock));
    sock->type = (uint8_t)type;
    sock->mem = mem;
    sock->recv_peer = NO_PEER;
    sock->recv_last = NO_PEER;
    sock->sndhwm = MZMTP_CONF_SNDHWM;
    sock->opts.rcvhwm = MZMTP_CONF_RCVHWM;
    sock->opts.handshake_ivl_ms = MZMTP_CONF_HANDSHAKE_IVL_MS;
    mzmtp_outq_init(&sock->outq, mem->send_buf, mem->send_size);
    return MZMTP_OK;
}

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
    for (unsigned p = 0; p < MZMTP_CONF_MAX_PEERS; p++) {
        if (sock->peer_state[p] == MZMTP_PEER_LIVE) {
            sock->peer[p].opts.rcvhwm = sock->opts.rcvhwm;
            sock->peer[p].opts.hb_ivl_ms = sock->opts.hb_ivl_ms;
            sock->peer[p].opts.hb_timeout_ms = sock->opts.hb_timeout_ms;
            sock->peer[p].opts.hb_ttl_ms = sock->opts.hb_ttl_ms;
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
    for (unsigned p = 0; p < MZMTP_CONF_MAX_PEERS; p++) {
        if (s->peer_state[p] == MZMTP_PEER_LIVE && !HAS_PEER(s->ready, p)) return;
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

static bool valid_peer(const mzmtp_socket_t *s, int p)
{
    return p >= 0 && p < MZMTP_CONF_MAX_PEERS && s->peer_state[p] != MZMTP_PEER_FREE;
}

static bool peer_has_data(const mzmtp_socket_t *s, unsigned p)
{
    return s->peer_state[p] == MZMTP_PEER_LIVE || HAS_PEER(s->draining, p);
}

/* Free a drained slot once nothing in it is left to read. */
static void finish_drain(mzmtp_socket_t *s, unsigned p)
{
    if (!HAS_PEER(s->draining, p) || HAS_PEER(s->readable, p) || s->recv_peer == p) return;
    mzmtp_peerset_del(&s->draining, p);
    if (!HAS_PEER(s->keep, p)) s->peer_state[p] = MZMTP_PEER_FREE;
}

/* Handshake done on peer @p p; @p id is the Identity it sent. */
static mzmtp_status_t on_handshake(mzmtp_socket_t *s, unsigned p, const uint8_t *id, size_t len)
{
    if (IS(s, MZMTP_PAIR) && !mzmtp_peerset_within(&s->ready, &s->ignored)) {
        /* wire-notes S10: a second PAIR peer is ignored; the first is not disturbed. */
        mzmtp_peerset_add(&s->ignored, p);
    }
    if (IS(s, MZMTP_ROUTER)) {
        /* wire-notes S9: the Identity becomes the routing id, or 00 + a 32-bit counter. */
        if (len > MZMTP_CONF_ROUTING_ID_MAX) return MZMTP_ERR_PEER_LIMIT;
        if (len == 0) {
            uint8_t gen[5] = {0, (uint8_t)(s->rid_next >> 24), (uint8_t)(s->rid_next >> 16),
                              (uint8_t)(s->rid_next >> 8), (uint8_t)s->rid_next};
            s->rid_next++;
            memcpy(s->rid[p], gen, sizeof(gen));
            s->rid_len[p] = sizeof(gen);
        } else {
            memcpy(s->rid[p], id, len);
            s->rid_len[p] = (uint8_t)len;
            MZMTP_PEERSET_FOR_EACH(q, &s->ready) {
                if (q != p && !HAS_PEER(s->ignored, q) && s->rid_len[q] == len &&
                    mzmtp_util_bytes_eq(s->rid[q], id, len)) {
                    mzmtp_peerset_add(&s->ignored, p); /* a duplicate id is ignored (no handover) */
                }
            }
        }
    }
    mzmtp_peerset_add(&s->ready, p);
    mzmtp_socket_notify(s, MZMTP_EV_HANDSHAKE, (int)p, MZMTP_OK);
    wipe_if_no_handshake(s);
    return MZMTP_OK;
}

/* REQ: a message from peer @p p is at the head. Only the peer asked may answer, and its
 * reply must start with an empty delimiter frame (RFC 28; wire-notes S6, S7). */
static mzmtp_status_t req_accept_reply(mzmtp_socket_t *s, unsigned p)
{
    mzmtp_conn_t *c = &s->peer[p];
    if (s->req_state != 2 || s->req_peer != p) {
        mzmtp_conn_skip(c);
        return MZMTP_OK;
    }
    const uint8_t *d;
    size_t avail;
    uint64_t left;
    bool more;
    if (mzmtp_conn_peek(c, &d, &avail, &left, &more) != MZMTP_OK || left != 0 || !more) {
        /* libzmq closes a connection that sends a malformed reply (S7). */
        mzmtp_conn_send_error(c, "Malformed reply", 15);
        return MZMTP_ERR_PROTOCOL;
    }
    size_t n;
    unsigned fl;
    if (mzmtp_conn_read(c, NULL, 0, &n, &fl) != MZMTP_OK) return MZMTP_OK; /* delimiter */
    s->req_state = 3;
    mzmtp_peerset_add(&s->readable, p);
    return MZMTP_OK;
}

/* Run the engine of peer @p p until it needs more input or the application's attention. */
static mzmtp_status_t pump(mzmtp_socket_t *s, unsigned p)
{
    mzmtp_conn_t *c = &s->peer[p];
    mzmtp_conn_event_t ev;
    mzmtp_status_t st = MZMTP_OK;
    if (!peer_has_data(s, p)) return MZMTP_OK;
    while (!HAS_PEER(s->readable, p)) {
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
            if (is_sub(s)) {
                /* wire-notes S2: a new or returning peer gets every subscription once. */
                sub_forget_peer(s, p);
                mzmtp_peerset_add(&s->sub_pending, p);
                sync_subs(s, p);
            }
            break;
        case MZMTP_CONN_EV_SUBSCRIBE:
        case MZMTP_CONN_EV_CANCEL:
            st = peer_subscription(s, p, ev.data, ev.len, ev.kind == MZMTP_CONN_EV_SUBSCRIBE);
            if (st != MZMTP_OK) mzmtp_conn_send_error(c, "Subscription table full", 23);
            break;
        case MZMTP_CONN_EV_MESSAGE:
            if (IS(s, MZMTP_PUB) || IS(s, MZMTP_PUSH) || HAS_PEER(s->ignored, p)) {
                /* RFC 29/30: PUB and PUSH drop anything sent upstream; ignored peers
                 * (duplicate ROUTER ids, a second PAIR peer) carry no traffic. */
                mzmtp_conn_skip(c);
            } else if (IS(s, MZMTP_REQ) && !mzmtp_conn_in_message(c)) {
                st = req_accept_reply(s, p);
            } else if (IS(s, MZMTP_SUB) && !mzmtp_conn_in_message(c)) {
                const uint8_t *d;
                size_t avail;
                uint64_t left;
                bool more;
                if (mzmtp_conn_peek(c, &d, &avail, &left, &more) == MZMTP_OK &&
                    !sub_match_local(s, d, avail, left)) {
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
    if (st != MZMTP_OK) return st;
    sync_subs(s, p);
    return MZMTP_OK;
}

/* A pump outside a port call failed: the port learns it from tick(). */
static void pump_or_mark(mzmtp_socket_t *s, unsigned p)
{
    mzmtp_status_t st = pump(s, p);
    if (st != MZMTP_OK && s->peer_state[p] == MZMTP_PEER_LIVE) {
        mzmtp_peerset_add(&s->dead, p);
        s->dead_why[p] = st;
    }
}

/* The message at the head of peer @p p is over (read or dropped): look for the next one,
 * and free the slot if its peer had left and nothing more is buffered. */
static void head_done(mzmtp_socket_t *s, unsigned p)
{
    mzmtp_peerset_del(&s->readable, p);
    pump_or_mark(s, p);
    finish_drain(s, p);
}

/* ---------------- application calls ---------------- */

/* May peer @p p take messages now? Handshaken peers, and the slots of connecting
 * endpoints that wait for their connection: their queue exists before it (R4). */
static bool can_carry(const mzmtp_socket_t *s, unsigned p)
{
    if (HAS_PEER(s->ignored, p)) return false;
    if (s->sndhwm && mzmtp_outq_pipe_queued(&s->outq, p) >= s->sndhwm) return false;
    return HAS_PEER(s->ready, p) || (HAS_PEER(s->keep, p) && s->peer_state[p] != MZMTP_PEER_FREE);
}

/* @p able = the peers that can take a message now. Only peers that are there or keep a
 * queue can (can_carry): those bits are visited, not every slot. */
static void carriers(const mzmtp_socket_t *s, mzmtp_peerset_t *able)
{
    mzmtp_peerset_or(able, &s->ready, &s->keep);
    MZMTP_PEERSET_FOR_EACH(p, able) {
        if (!can_carry(s, p)) mzmtp_peerset_del(able, p);
    }
}

/* RFC 30 "load balancing": the next peer, in turn, that can take a message. */
static int pick_round_robin(mzmtp_socket_t *s)
{
    mzmtp_peerset_t able;
    carriers(s, &able);
    if (mzmtp_peerset_empty(&able)) return -1;
    unsigned p = mzmtp_peerset_next_wrap(&able, s->rr_send);
    s->rr_send = (uint16_t)((p + 1u) % MZMTP_CONF_MAX_PEERS);
    return (int)p;
}

static int find_routing_id(const mzmtp_socket_t *s, const uint8_t *id, size_t len)
{
    MZMTP_PEERSET_FOR_EACH(p, &s->ready) {
        if (!HAS_PEER(s->ignored, p) && s->rid_len[p] == len &&
            mzmtp_util_bytes_eq(s->rid[p], id, len)) {
            return (int)p;
        }
    }
    return -1;
}

/* PUB/XPUB: choose the peers that get a message whose first frame is @p d[0..len).
 * @return MZMTP_OK with *mask (possibly empty: nobody gets it), or MZMTP_AGAIN under
 *         NODROP. */
static mzmtp_status_t pub_targets(mzmtp_socket_t *sock, const uint8_t *d, size_t len,
                                  size_t ring_len, mzmtp_peerset_t *mask)
{
    mzmtp_outq_t *q = &sock->outq;
    /* Handshaken peers, and connecting slots waiting for their link (they kept their
     * subscriptions and queue). */
    mzmtp_peerset_t there;
    sub_match_peers(sock, d, len, mask);
    mzmtp_peerset_or(&there, &sock->ready, &sock->keep);
    mzmtp_peerset_and(mask, mask, &there);
    mzmtp_peerset_minus(mask, mask, &sock->ignored);
    if (sock->sndhwm) {
        MZMTP_PEERSET_FOR_EACH(p, mask) {
            if (mzmtp_outq_pipe_queued(q, p) < sock->sndhwm) continue;
            /* RFC 29 / wire-notes S3: a peer at its HWM misses this message, unless
             * NODROP (libzmq's ZMQ_XPUB_NODROP) asks to refuse it instead. */
            if (sock->nodrop) return MZMTP_AGAIN;
            mzmtp_peerset_del(mask, p);
        }
    }
    /* A full ring must not starve every subscriber for the slowest one. First squeeze out
     * what nobody needs behind an old message that is still needed (a stalled peer's
     * half-written one pins the ring's head, and everything behind it stays allocated);
     * then shed the queues of the peers holding the oldest message they have not started
     * (they are the slow ones, and miss messages as a peer at its HWM does), until this
     * one fits. Each round sheds at least one peer. */
    for (unsigned i = 0; !mzmtp_peerset_empty(mask) && !mzmtp_outq_can_take(q, ring_len); i++) {
        if (sock->nodrop) return MZMTP_AGAIN;
        if (mzmtp_outq_compact(q)) continue;
        if (i > 2u * MZMTP_CONF_MAX_PEERS + 1u) break;
        mzmtp_peerset_t old = mzmtp_outq_oldest_mask(q);
        if (mzmtp_peerset_empty(&old)) break; /* only half-written messages left: dropped */
        MZMTP_PEERSET_FOR_EACH(p, &old) mzmtp_outq_pipe_shed(q, p);
    }
    return MZMTP_OK;
}

/* First frame of a message: choose its peers and open it in the ring.
 * @return MZMTP_OK (opened, or *swallowed when the frame is consumed here), or a status
 *         for the caller. */
static mzmtp_status_t send_begin(mzmtp_socket_t *sock, const uint8_t *d, size_t len,
                                 size_t ring_len, bool more, bool *swallowed)
{
    mzmtp_outq_t *q = &sock->outq;
    mzmtp_peerset_t mask;
    int p;
    *swallowed = false;
    switch (sock->type) {
    case MZMTP_PUB:
    case MZMTP_XPUB:
        if (!HAS(MZMTP_PUB) && !HAS(MZMTP_XPUB)) return MZMTP_ERR_NOT_SUPPORTED;
        if (pub_targets(sock, d, len, ring_len, &mask) != MZMTP_OK) return MZMTP_AGAIN;
        mzmtp_outq_begin(q, mask);
        return MZMTP_OK;
    case MZMTP_XSUB:
        if (!HAS(MZMTP_XSUB)) return MZMTP_ERR_NOT_SUPPORTED;
        if (len > 0 && (d[0] == 0 || d[0] == 1)) {
            /* XSUB: 0x01/0x00 + topic from the application (de)subscribes upstream. */
            mzmtp_status_t st = d[0] ? mzmtp_socket_subscribe(sock, d + 1, len - 1)
                                     : mzmtp_socket_unsubscribe(sock, d + 1, len - 1);
            *swallowed = true;
            return st == MZMTP_ERR_INVALID ? MZMTP_OK : st; /* unknown cancel: ignored */
        }
        mzmtp_peerset_minus(&mask, &sock->ready, &sock->ignored); /* other data: every publisher */
        break;
    case MZMTP_PUSH:
    case MZMTP_DEALER:
    case MZMTP_PAIR:
        if (!HAS(MZMTP_PUSH) && !HAS(MZMTP_DEALER) && !HAS(MZMTP_PAIR)) return MZMTP_ERR_NOT_SUPPORTED;
        p = pick_round_robin(sock);
        if (p < 0) return MZMTP_AGAIN;
        mask = mzmtp_peerset_of((unsigned)p);
        break;
    case MZMTP_REQ:
        if (!HAS(MZMTP_REQ)) return MZMTP_ERR_NOT_SUPPORTED;
        /* RFC 28: one request, then its reply, then the next request. */
        if (sock->req_state != 0) return MZMTP_ERR_STATE;
        p = pick_round_robin(sock);
        if (p < 0) return MZMTP_AGAIN;
        if (!mzmtp_outq_can_take(q, ring_len + 2)) return MZMTP_AGAIN;
        mzmtp_outq_begin(q, mzmtp_peerset_of((unsigned)p));
        if (mzmtp_outq_add_frame(q, NULL, 0, true) != MZMTP_OK) return MZMTP_AGAIN;
        sock->req_peer = (uint16_t)p;
        sock->req_state = 1;
        return MZMTP_OK;
    case MZMTP_REP:
        if (!HAS(MZMTP_REP)) return MZMTP_ERR_NOT_SUPPORTED;
        if (!sock->rep_reply) return MZMTP_ERR_STATE;
        if (!mzmtp_outq_can_take(q, ring_len + sock->env_len)) return MZMTP_AGAIN;
        /* RFC 28: the reply goes to the peer that asked, behind the request's envelope;
         * if that peer has gone, the reply is dropped. */
        p = sock->req_peer;
        mzmtp_peerset_clear(&mask);
        if (p != NO_PEER && HAS_PEER(sock->ready, (unsigned)p) && !HAS_PEER(sock->ignored, (unsigned)p)) {
            mzmtp_peerset_add(&mask, (unsigned)p);
        }
        mzmtp_outq_begin(q, mask);
        if (mzmtp_outq_add_encoded(q, sock->env, sock->env_len) != MZMTP_OK) return MZMTP_AGAIN;
        return MZMTP_OK;
    case MZMTP_ROUTER:
        if (!HAS(MZMTP_ROUTER)) return MZMTP_ERR_NOT_SUPPORTED;
        /* The first frame names the peer and is not sent (wire-notes S9). */
        *swallowed = true;
        p = find_routing_id(sock, d, len);
        if (p >= 0 && sock->sndhwm && mzmtp_outq_pipe_queued(q, (unsigned)p) >= sock->sndhwm) {
            if (sock->router_mandatory) return MZMTP_AGAIN;
            p = -1;
        }
        if (p < 0 && sock->router_mandatory) return MZMTP_ERR_UNROUTABLE;
        if (!more) return MZMTP_OK;
        /* The message opens with its first data frame, whose size tells whether the
         * ring can take it (router_send_first). */
        sock->req_peer = p >= 0 ? (uint16_t)p : NO_PEER;
        sock->router_pending = p >= 0;
        sock->send_in_msg = true;
        sock->send_drop = p < 0;
        return MZMTP_OK;
    default:
        return MZMTP_ERR_NOT_SUPPORTED;
    }
    if (!mzmtp_outq_can_take(q, ring_len)) return MZMTP_AGAIN;
    mzmtp_outq_begin(q, mask);
    return MZMTP_OK;
}

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
        if (swallowed) {
            if (more && !sock->send_in_msg) sock->send_in_msg = sock->send_drop = true;
            return MZMTP_OK;
        }
        sock->send_drop = false;
    } else if (IS(sock, MZMTP_ROUTER) && sock->router_pending) {
        /* First data frame after the routing id: a full ring or a peer gone since drops
         * the message — or, with MANDATORY, refuses this frame (send it again). */
        unsigned p = sock->req_peer;
        if (!mzmtp_outq_can_take(q, ring_len) && sock->router_mandatory) return MZMTP_AGAIN;
        sock->router_pending = false;
        if (!mzmtp_outq_can_take(q, ring_len) || !HAS_PEER(sock->ready, p)) {
            sock->send_drop = more;
            sock->send_in_msg = more;
            return MZMTP_OK;
        }
        mzmtp_outq_begin(q, mzmtp_peerset_of(p));
    } else if (sock->send_drop) {
        if (!more) sock->send_in_msg = sock->send_drop = false;
        return MZMTP_OK;
    }
    sock->send_in_msg = more;
#if MZMTP_CONF_SEND_REF
    mzmtp_status_t st = by_ref ? mzmtp_outq_add_ref(q, d, len) : mzmtp_outq_add_frame(q, d, len, more);
#else
    mzmtp_status_t st = mzmtp_outq_add_frame(q, d, len, more);
#endif
    if (st != MZMTP_OK) {
        bool drops = is_pub(sock) || (IS(sock, MZMTP_ROUTER) && !sock->router_mandatory);
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

/* XPUB: the next subscription change the application has not been told about. */
static bool xpub_notification(mzmtp_socket_t *s, uint8_t *buf, size_t cap, size_t *len,
                              mzmtp_status_t *st)
{
    for (size_t off = 0; off < s->sub_used; off += ent_size(s->sub + off)) {
        uint8_t *e = s->sub + off;
        if (!ent_unreported(e)) continue;
        bool on = !ent_nobody(e);
        if (cap < 1u + e[0]) {
            *st = MZMTP_ERR_NO_MEMORY;
            return true;
        }
        buf[0] = on ? 1 : 0;
        memcpy(buf + 1, ent_topic(e), e[0]);
        *len = 1u + e[0];
        e[1] = (uint8_t)(on ? e[1] | ENT_REPORTED : e[1] & ~ENT_REPORTED);
        if (ent_idle(s, e)) sub_remove(s, e);
        *st = MZMTP_OK;
        return true;
    }
    return false;
}

/* REP: read the envelope of the request at the head of peer @p p — every frame up to and
 * including the first empty one — into sock->env, encoded, for the reply (RFC 28,
 * wire-notes S8). @return false if the request is malformed (then it is dropped). */
static bool rep_take_envelope(mzmtp_socket_t *s, unsigned p)
{
    mzmtp_conn_t *c = &s->peer[p];
    s->env_len = 0;
    for (;;) {
        const uint8_t *d;
        size_t avail, n;
        uint64_t left;
        bool more;
        unsigned fl;
        if (mzmtp_conn_peek(c, &d, &avail, &left, &more) != MZMTP_OK || avail != left || !more) {
            return false; /* no empty frame before the body, or a huge routing frame */
        }
        size_t hdr = mzmtp_wire_frame_hdr_size(left);
        if (hdr + avail > (size_t)(MZMTP_CONF_ENVELOPE_MAX - s->env_len)) return false;
        (void)mzmtp_util_put_frame_hdr(s->env + s->env_len, MZMTP_FLAG_MORE, left);
        s->env_len = (uint16_t)(s->env_len + hdr);
        if (mzmtp_conn_read(c, s->env + s->env_len, avail, &n, &fl) != MZMTP_OK) return false;
        s->env_len = (uint16_t)(s->env_len + n);
        if (n == 0) return true; /* the delimiter */
    }
}

/* Choose the peer whose message recv() delivers next (fair queue, RFC 29/30). */
static bool recv_select(mzmtp_socket_t *sock)
{
    mzmtp_peerset_t tried, m;
    mzmtp_peerset_clear(&tried);
    for (;;) {
        mzmtp_peerset_minus(&m, &sock->readable, &tried);
        if (mzmtp_peerset_empty(&m)) break;
        unsigned p = mzmtp_peerset_next_wrap(&m, sock->rr_recv);
        mzmtp_peerset_add(&tried, p);
        if (IS(sock, MZMTP_REP) && !rep_take_envelope(sock, p)) {
            /* S8: a request without an envelope is dropped; the same peer's next one,
             * already buffered, may be fine (each pass consumes one message). */
            mzmtp_conn_skip(&sock->peer[p]);
            head_done(sock, p);
            mzmtp_peerset_del(&tried, p);
            continue;
        }
        sock->recv_peer = (uint16_t)p;
        sock->recv_last = (uint16_t)p;
        sock->router_id_out = false;
        return true;
    }
    return false;
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
        if (IS(sock, MZMTP_XPUB) && xpub_notification(sock, buf, cap, len, &st)) return st;
        if (!recv_select(sock)) return MZMTP_AGAIN;
    }
    unsigned p = sock->recv_peer;
    mzmtp_conn_t *c = &sock->peer[p];
    if (IS(sock, MZMTP_ROUTER) && !sock->router_id_out) {
        /* wire-notes S9: a ROUTER message starts with the peer's routing id. */
        if (ref != NULL) {
            *ref = sock->rid[p];
        } else {
            if (cap < sock->rid_len[p]) return MZMTP_ERR_NO_MEMORY;
            memcpy(buf, sock->rid[p], sock->rid_len[p]);
        }
        *len = sock->rid_len[p];
        *flags = MZMTP_RECV_MORE;
        sock->router_id_out = true;
        return MZMTP_OK;
    }
    mzmtp_status_t st = read_frame(c, buf, cap, ref, len, flags);
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
        head_done(sock, p);
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

static mzmtp_status_t check_topic(mzmtp_socket_t *sock, const void *topic, size_t len)
{
    if (sock == NULL || (topic == NULL && len > 0)) return MZMTP_ERR_INVALID;
    if (!is_sub(sock)) return MZMTP_ERR_NOT_SUPPORTED;
    if (len > MZMTP_CONF_MAX_TOPIC) return MZMTP_ERR_LIMIT;
    return MZMTP_OK;
}

mzmtp_status_t mzmtp_socket_subscribe(mzmtp_socket_t *sock, const void *topic, size_t len)
{
    mzmtp_status_t st = check_topic(sock, topic, len);
    if (st != MZMTP_OK) return st;
    uint8_t *e = sub_find(sock, topic, len);
    if (e == NULL) e = sub_add(sock, topic, len);
    if (e == NULL) return MZMTP_ERR_LIMIT;
    if (ent_count(e) == UINT16_MAX) return MZMTP_ERR_LIMIT;
    ent_set_count(e, (uint16_t)(ent_count(e) + 1u));
    sync_all(sock);
    return MZMTP_OK;
}

mzmtp_status_t mzmtp_socket_unsubscribe(mzmtp_socket_t *sock, const void *topic, size_t len)
{
    mzmtp_status_t st = check_topic(sock, topic, len);
    if (st != MZMTP_OK) return st;
    uint8_t *e = sub_find(sock, topic, len);
    if (e == NULL || ent_count(e) == 0) return MZMTP_ERR_INVALID;
    /* wire-notes S1: CANCEL goes out only when the local count reaches zero. */
    ent_set_count(e, (uint16_t)(ent_count(e) - 1u));
    if (ent_idle(sock, e)) {
        sub_remove(sock, e);
    } else {
        sync_all(sock);
    }
    return MZMTP_OK;
}

unsigned mzmtp_socket_poll(mzmtp_socket_t *sock)
{
    unsigned r = 0;
    if (sock == NULL) return 0;
    bool in = !mzmtp_peerset_empty(&sock->readable) || sock->truncated || sock->recv_peer != NO_PEER;
    if (IS(sock, MZMTP_REQ) && sock->req_state < 2) in = false;
    if (IS(sock, MZMTP_REP) && sock->rep_reply) in = false;
    if (IS(sock, MZMTP_PUB) || IS(sock, MZMTP_PUSH)) in = false;
    if (IS(sock, MZMTP_XPUB)) {
        for (size_t off = 0; off < sock->sub_used; off += ent_size(sock->sub + off)) {
            const uint8_t *e = sock->sub + off;
            if (ent_unreported(e)) in = true;
        }
    }
    if (IS(sock, MZMTP_REP) && in && sock->recv_peer == NO_PEER && !sock->rep_reply) {
        /* Only a request with a valid envelope counts: take it (dropping bad ones) now. */
        in = recv_select(sock);
    }
    if (in) r |= MZMTP_POLLIN;
    if (sock->closing) return r;
    bool out = false;
    switch (sock->type) {
    case MZMTP_PUB:
    case MZMTP_XPUB:
        if (!HAS(MZMTP_PUB) && !HAS(MZMTP_XPUB)) break;
        if (sock->nodrop) {
            out = mzmtp_outq_can_take(&sock->outq, 64);
            MZMTP_PEERSET_FOR_EACH(p, &sock->ready) {
                if (!out || !sock->sndhwm) break;
                if (mzmtp_outq_pipe_queued(&sock->outq, p) >= sock->sndhwm) out = false;
            }
            break;
        }
        out = true; /* never blocks: drops instead */
        break;
    case MZMTP_ROUTER:
        /* Never blocks (drops instead) unless MANDATORY: then a peer must have room. */
        out = !sock->router_mandatory;
        MZMTP_PEERSET_FOR_EACH(p, &sock->ready) {
            if (out) break;
            out = !HAS_PEER(sock->ignored, p) &&
                  (!sock->sndhwm || mzmtp_outq_pipe_queued(&sock->outq, p) < sock->sndhwm) &&
                  mzmtp_outq_can_take(&sock->outq, 64);
        }
        break;
    case MZMTP_XSUB:
        out = !mzmtp_peerset_empty(&sock->ready) && mzmtp_outq_can_take(&sock->outq, 64);
        break;
    case MZMTP_REP: out = sock->rep_reply && mzmtp_outq_can_take(&sock->outq, 64u + sock->env_len); break;
    case MZMTP_REQ:
    case MZMTP_PUSH:
    case MZMTP_DEALER:
    case MZMTP_PAIR:
        if (IS(sock, MZMTP_REQ) && sock->req_state != 0) break;
        mzmtp_peerset_t able;
        carriers(sock, &able);
        out = !mzmtp_peerset_empty(&able) && mzmtp_outq_can_take(&sock->outq, 64);
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
    for (unsigned p = 0; p < MZMTP_CONF_MAX_PEERS; p++) {
        if (sock->peer_state[p] == MZMTP_PEER_FREE || HAS_PEER(sock->ignored, p)) continue;
        /* Messages queued for a peer still connecting count too (wire-notes R4). */
        if (mzmtp_outq_pipe_queued(&sock->outq, p) > 0) return false;
        if (sock->peer_state[p] == MZMTP_PEER_LIVE && HAS_PEER(sock->ready, p) &&
            mzmtp_conn_has_output(&sock->peer[p])) {
            return false;
        }
    }
    return true;
}

unsigned mzmtp_socket_peer_count(const mzmtp_socket_t *sock)
{
    return mzmtp_peerset_count(&sock->ready);
}

unsigned mzmtp_socket_sub_peer_count(const mzmtp_socket_t *sock)
{
    if (!is_pub(sock)) return 0;
    mzmtp_peerset_t m;
    mzmtp_peerset_clear(&m);
    for (size_t off = 0; off < sock->sub_used; off += ent_size(sock->sub + off)) {
        ent_or_into(sock->sub + off, &m);
    }
    mzmtp_peerset_and(&m, &m, &sock->ready);
    return mzmtp_peerset_count(&m);
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
    for (unsigned p = 0; p < MZMTP_CONF_MAX_PEERS; p++) {
        if (sock->peer_state[p] != MZMTP_PEER_FREE) continue;
        sock->peer_state[p] = MZMTP_PEER_WAITING;
        mzmtp_peerset_put(&sock->keep, p, keep_queue);
        mzmtp_outq_pipe_attach(&sock->outq, p);
        *peer = (int)p;
        return MZMTP_OK;
    }
    return MZMTP_ERR_LIMIT;
}

mzmtp_status_t mzmtp_socket_peer_start(mzmtp_socket_t *sock, int peer, uint32_t now_ms)
{
    if (sock == NULL || !valid_peer(sock, peer)) return MZMTP_ERR_INVALID;
    unsigned p = (unsigned)peer;
    if (sock->peer_state[p] == MZMTP_PEER_LIVE) return MZMTP_ERR_STATE;
    if (sock->recv_peer == p) {
        sock->recv_peer = NO_PEER;
        sock->truncated = true;
    }
    mzmtp_peerset_del(&sock->draining, p);
    mzmtp_peerset_del(&sock->readable, p);
    sock->now = now_ms;
    mzmtp_outq_pipe_rewind(&sock->outq, p);
    mzmtp_socket_sec_peer_start(sock, p);
    mzmtp_status_t st = mzmtp_conn_init(&sock->peer[p], sock->type, &sock->opts,
                                        sock->mem->recv_buf + (size_t)p * sock->mem->recv_per_peer,
                                        sock->mem->recv_per_peer, &sock->outq, p, now_ms);
    if (st != MZMTP_OK) return st;
    sock->peer_state[p] = MZMTP_PEER_LIVE;
    return MZMTP_OK;
}

void mzmtp_socket_peer_stop(mzmtp_socket_t *sock, int peer, mzmtp_status_t why)
{
    if (sock == NULL || !valid_peer(sock, peer)) return;
    unsigned p = (unsigned)peer;
    bool was_live = sock->peer_state[p] == MZMTP_PEER_LIVE;
    bool was_ready = HAS_PEER(sock->ready, p);
    mzmtp_peerset_del(&sock->ready, p);
    mzmtp_peerset_del(&sock->dead, p);
    if (IS(sock, MZMTP_ROUTER) && was_ready && !HAS_PEER(sock->ignored, p)) {
        /* A peer ignored for using this peer's id (a quick reconnect whose new connection
         * arrived before the old one closed) takes the id over now. */
        MZMTP_PEERSET_FOR_EACH(q, &sock->ignored) {
            if (HAS_PEER(sock->ready, q) && sock->rid_len[q] == sock->rid_len[p] &&
                mzmtp_util_bytes_eq(sock->rid[q], sock->rid[p], sock->rid_len[p])) {
                mzmtp_peerset_del(&sock->ignored, q);
                break;
            }
        }
    }
    mzmtp_peerset_del(&sock->ignored, p);
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
    if (!(is_pub(sock) && HAS_PEER(sock->keep, p))) sub_forget_peer(sock, p);
    if (was_live && CAN_RECV) {
        /* Complete messages already received stay readable (nothing accepted is lost);
         * a message cut in the middle is reported as truncated. */
        mzmtp_conn_t *c = &sock->peer[p];
        if (sock->recv_peer == p && mzmtp_conn_in_message(c) && c->streaming) {
            sock->recv_peer = NO_PEER;
            mzmtp_peerset_del(&sock->readable, p);
            sock->truncated = true;
        }
        if (HAS_PEER(sock->readable, p) || sock->recv_peer == p) mzmtp_peerset_add(&sock->draining, p);
    }
    if (was_live) {
        mzmtp_conn_wipe(&sock->peer[p]); /* session keys go with the connection */
        mzmtp_socket_notify(sock, was_ready ? MZMTP_EV_DISCONNECTED : MZMTP_EV_HANDSHAKE_FAILED,
                            peer, why);
    }
    if (HAS_PEER(sock->keep, p)) {
        sock->peer_state[p] = MZMTP_PEER_WAITING;
        mzmtp_outq_pipe_rewind(&sock->outq, p);
    } else {
        mzmtp_outq_pipe_drop(&sock->outq, p);
        sock->peer_state[p] = HAS_PEER(sock->draining, p) ? MZMTP_PEER_WAITING : MZMTP_PEER_FREE;
    }
    wipe_if_no_handshake(sock);
}

void mzmtp_socket_peer_release(mzmtp_socket_t *sock, int peer)
{
    if (sock == NULL || !valid_peer(sock, peer)) return;
    unsigned p = (unsigned)peer;
    if (sock->peer_state[p] == MZMTP_PEER_LIVE) mzmtp_socket_peer_stop(sock, peer, MZMTP_ERR_CLOSED);
    mzmtp_peerset_del(&sock->keep, p);
    sub_forget_peer(sock, p);
    mzmtp_outq_pipe_drop(&sock->outq, p);
    if (!HAS_PEER(sock->draining, p)) sock->peer_state[p] = MZMTP_PEER_FREE;
}

/* The engine of @p peer if its transport is up, else NULL. */
static mzmtp_conn_t *live_conn(mzmtp_socket_t *sock, int peer)
{
    if (sock == NULL || peer < 0 || peer >= MZMTP_CONF_MAX_PEERS ||
        sock->peer_state[peer] != MZMTP_PEER_LIVE) {
        return NULL;
    }
    return &sock->peer[peer];
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

bool mzmtp_socket_peer_has_output(mzmtp_socket_t *sock, int peer)
{
    mzmtp_conn_t *c = live_conn(sock, peer);
    return c != NULL && mzmtp_conn_has_output(c);
}

bool mzmtp_socket_peer_live(const mzmtp_socket_t *sock, int peer)
{
    return sock != NULL && valid_peer(sock, peer) && sock->peer_state[peer] == MZMTP_PEER_LIVE;
}

bool mzmtp_socket_tick(mzmtp_socket_t *sock, uint32_t now_ms)
{
    sock->now = now_ms;
    for (unsigned p = 0; p < MZMTP_CONF_MAX_PEERS; p++) {
        if (sock->peer_state[p] != MZMTP_PEER_LIVE || HAS_PEER(sock->dead, p)) continue;
        mzmtp_status_t st = mzmtp_conn_tick(&sock->peer[p], now_ms);
        if (st != MZMTP_OK) {
            mzmtp_peerset_add(&sock->dead, p);
            sock->dead_why[p] = st;
        }
    }
    return !mzmtp_peerset_empty(&sock->dead);
}

int mzmtp_socket_peer_next_dead(const mzmtp_socket_t *sock, int prev)
{
    if (sock == NULL || prev >= MZMTP_CONF_MAX_PEERS) return -1;
    unsigned p = mzmtp_peerset_next(&sock->dead, prev < 0 ? 0u : (unsigned)prev + 1u);
    return p < MZMTP_PEERSET_END ? (int)p : -1;
}

mzmtp_status_t mzmtp_socket_peer_status(const mzmtp_socket_t *sock, int peer)
{
    if (sock == NULL || peer < 0 || peer >= MZMTP_CONF_MAX_PEERS ||
        !HAS_PEER(sock->dead, (unsigned)peer)) {
        return MZMTP_OK;
    }
    return sock->dead_why[peer];
}

uint32_t mzmtp_socket_peer_next_timeout(const mzmtp_socket_t *sock, int peer, uint32_t now_ms)
{
    if (sock == NULL || peer < 0 || peer >= MZMTP_CONF_MAX_PEERS ||
        sock->peer_state[peer] != MZMTP_PEER_LIVE) {
        return UINT32_MAX;
    }
    if (HAS_PEER(sock->dead, (unsigned)peer)) return 0;
    return mzmtp_conn_next_timeout(&sock->peer[peer], now_ms);
}

uint32_t mzmtp_socket_next_timeout(const mzmtp_socket_t *sock, uint32_t now_ms)
{
    uint32_t t = UINT32_MAX;
    if (!mzmtp_peerset_empty(&sock->dead)) return 0;
    for (unsigned p = 0; p < MZMTP_CONF_MAX_PEERS; p++) {
        if (sock->peer_state[p] != MZMTP_PEER_LIVE) continue;
        uint32_t u = mzmtp_conn_next_timeout(&sock->peer[p], now_ms);
        if (u < t) t = u;
    }
    return t;
}
