/*
 * The PUB/SUB family (RFC 29): PUB, SUB, XPUB, XSUB, and the subscription table they
 * share. Compiled only when the build has one of these types (socket_int.h).
 */
#include <string.h>
#include "socket_int.h"

#if MZMTP_SOCK_HAS_PUBSUB

/* ---------------- subscription table ----------------
 * Entry: len(1) flags(1) count(2, native) mask(a peer set, native words) topic(len).
 * PUB/XPUB: mask = peers subscribed (a set per peer, wire-notes S1), flags = REPORTED
 * (XPUB told the application the topic is subscribed).
 * SUB/XSUB: count = local subscribe calls (S1: counted), mask = peers we have sent the
 * SUBSCRIBE to. A difference between count>0 and a peer's bit is work for sync_subs().
 * The table lives in the socket's family union (s->fam.sub): only these types have it. */
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
    for (size_t off = 0; off < s->fam.sub.used; off += ent_size(s->fam.sub.tab + off)) {
        uint8_t *e = s->fam.sub.tab + off;
        if (e[0] == len && mzmtp_util_bytes_eq(ent_topic(e), topic, len)) return e;
    }
    return NULL;
}

static uint8_t *sub_add(mzmtp_socket_t *s, const uint8_t *topic, size_t len)
{
    if (len > MZMTP_CONF_MAX_TOPIC ||
        ENT_HDR + len > (size_t)(MZMTP_CONF_SUB_BYTES - s->fam.sub.used)) {
        return NULL;
    }
    uint8_t *e = s->fam.sub.tab + s->fam.sub.used;
    memset(e, 0, ENT_HDR);
    e[0] = (uint8_t)len;
    if (len) memcpy(e + ENT_HDR, topic, len);
    s->fam.sub.used = (uint16_t)(s->fam.sub.used + ENT_HDR + len);
    return e;
}

static void sub_remove(mzmtp_socket_t *s, uint8_t *e)
{
    size_t sz = ent_size(e);
    size_t off = (size_t)(e - s->fam.sub.tab);
    mzmtp_util_move_down(e, e + sz, s->fam.sub.used - off - sz);
    s->fam.sub.used = (uint16_t)(s->fam.sub.used - sz);
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
    while (off < s->fam.sub.used) {
        uint8_t *e = s->fam.sub.tab + off;
        if (ent_idle(s, e)) {
            sub_remove(s, e);
        } else {
            off += ent_size(e);
        }
    }
}

/* Peer @p p leaves the table: PUB/XPUB forget its subscriptions (RFC 29; XPUB then
 * reports the cancels), SUB/XSUB forget having told it, so it is told again (S2). */
void mzmtp_sk_sub_forget_peer(mzmtp_socket_t *s, unsigned p)
{
    for (size_t off = 0; off < s->fam.sub.used; off += ent_size(s->fam.sub.tab + off)) {
        ent_put(s->fam.sub.tab + off, p, false);
    }
    sub_gc(s);
}

/* XPUB: the application has not been told this topic's current state (subscribed or
 * not) yet. */
static bool ent_unreported(const uint8_t *e)
{
    return !ent_nobody(e) != ((e[1] & ENT_REPORTED) != 0);
}

/* @p m = the peers whose subscriptions match the first frame @p d[0..len): binary prefix
 * match. */
static void sub_match_peers(const mzmtp_socket_t *s, const uint8_t *d, size_t len,
                            mzmtp_peerset_t *m)
{
    mzmtp_peerset_clear(m);
    for (size_t off = 0; off < s->fam.sub.used; off += ent_size(s->fam.sub.tab + off)) {
        const uint8_t *e = s->fam.sub.tab + off;
        if (e[0] <= len && mzmtp_util_bytes_eq(ent_topic(e), d, e[0])) ent_or_into(e, m);
    }
}

/* SUB: does a first frame of @p frame_len bytes starting with @p d[0..avail) match a
 * local subscription? */
static bool sub_match_local(const mzmtp_socket_t *s, const uint8_t *d, size_t avail,
                            uint64_t frame_len)
{
    for (size_t off = 0; off < s->fam.sub.used; off += ent_size(s->fam.sub.tab + off)) {
        const uint8_t *e = s->fam.sub.tab + off;
        if (ent_count(e) > 0 && e[0] <= frame_len && e[0] <= avail &&
            mzmtp_util_bytes_eq(ent_topic(e), d, e[0])) {
            return true;
        }
    }
    return false;
}

bool mzmtp_sk_sub_wants(const mzmtp_socket_t *s, mzmtp_conn_t *c)
{
    const uint8_t *d;
    size_t avail;
    uint64_t left;
    bool more;
    return mzmtp_conn_peek(c, &d, &avail, &left, &more) != MZMTP_OK ||
           sub_match_local(s, d, avail, left);
}

/* SUB/XSUB: bring peer @p p's view of our subscriptions up to date (as far as its command
 * buffer allows; called again whenever output drains). */
void mzmtp_sk_sync_subs(mzmtp_socket_t *s, unsigned p)
{
    /* pending: peers that may have work here, so the table is not walked after every
     * message. */
    if (!mzmtp_sk_is_sub(s) || !HAS_PEER(s->ready, p) || !HAS_PEER(s->fam.sub.pending, p)) return;
    mzmtp_conn_t *c = &s->peer[p].conn;
    bool removed = false, done = true;
    for (size_t off = 0; off < s->fam.sub.used; off += ent_size(s->fam.sub.tab + off)) {
        uint8_t *e = s->fam.sub.tab + off;
        bool want = ent_count(e) > 0, has = ent_has(e, p);
        if (want == has) continue;
        if (mzmtp_conn_send_subscription(c, ent_topic(e), e[0], want) != MZMTP_OK) {
            done = false; /* command buffer full: again when output drains */
            break;
        }
        ent_put(e, p, want);
        removed = removed || !want;
    }
    if (done) mzmtp_peerset_del(&s->fam.sub.pending, p);
    if (removed) sub_gc(s);
}

void mzmtp_sk_sub_peer_ready(mzmtp_socket_t *s, unsigned p)
{
    /* wire-notes S2: a new or returning peer gets every subscription once. */
    mzmtp_sk_sub_forget_peer(s, p);
    mzmtp_peerset_add(&s->fam.sub.pending, p);
    mzmtp_sk_sync_subs(s, p);
}

static void sync_all(mzmtp_socket_t *s)
{
    s->fam.sub.pending = s->ready;
    MZMTP_PEERSET_FOR_EACH(p, &s->ready) mzmtp_sk_sync_subs(s, p);
}

/* PUB/XPUB: peer @p p subscribed or cancelled @p topic. */
mzmtp_status_t mzmtp_sk_peer_subscription(mzmtp_socket_t *s, unsigned p, const uint8_t *topic,
                                          size_t len, bool subscribe)
{
    uint8_t *e = sub_find(s, topic, len);
    if (subscribe) {
        if (e == NULL) e = sub_add(s, topic, len);
        if (e == NULL) {
            /* Table full, or topic too long: the peer is told, and the connection ends. */
            mzmtp_conn_send_error(&s->peer[p].conn, "Subscription table full", 23);
            return MZMTP_ERR_PEER_LIMIT;
        }
        ent_put(e, p, true);
    } else if (e != NULL) {
        ent_put(e, p, false);
        if (ent_idle(s, e)) sub_remove(s, e);
    }
    return MZMTP_OK;
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
    if (CAN_IGNORE) mzmtp_peerset_minus(mask, mask, &sock->ignored);
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

mzmtp_status_t mzmtp_sk_pubsub_begin(mzmtp_socket_t *sock, const uint8_t *d, size_t len,
                                     size_t ring_len, bool *swallowed)
{
    mzmtp_outq_t *q = &sock->outq;
    mzmtp_peerset_t mask;
    if (mzmtp_sk_is_pub(sock)) {
        if (pub_targets(sock, d, len, ring_len, &mask) != MZMTP_OK) return MZMTP_AGAIN;
        mzmtp_outq_begin(q, mask);
        return MZMTP_OK;
    }
    if (!HAS(MZMTP_XSUB)) return MZMTP_ERR_NOT_SUPPORTED;
    if (len > 0 && (d[0] == 0 || d[0] == 1)) {
        /* XSUB: 0x01/0x00 + topic from the application (de)subscribes upstream. */
        mzmtp_status_t st = d[0] ? mzmtp_socket_subscribe(sock, d + 1, len - 1)
                                 : mzmtp_socket_unsubscribe(sock, d + 1, len - 1);
        *swallowed = true;
        return st == MZMTP_ERR_INVALID ? MZMTP_OK : st; /* unknown cancel: ignored */
    }
    mzmtp_peerset_minus(&mask, &sock->ready, &sock->ignored); /* other data: every publisher */
    if (!mzmtp_outq_can_take(q, ring_len)) return MZMTP_AGAIN;
    mzmtp_outq_begin(q, mask);
    return MZMTP_OK;
}

bool mzmtp_sk_pub_writable(const mzmtp_socket_t *sock)
{
    if (!sock->nodrop) return true; /* never blocks: drops instead */
    bool out = mzmtp_outq_can_take(&sock->outq, 64);
    MZMTP_PEERSET_FOR_EACH(p, &sock->ready) {
        if (!out || !sock->sndhwm) break;
        if (mzmtp_outq_pipe_queued(&sock->outq, p) >= sock->sndhwm) out = false;
    }
    return out;
}

/* XPUB: the next subscription change the application has not been told about. */
bool mzmtp_sk_xpub_notification(mzmtp_socket_t *s, uint8_t *buf, size_t cap, size_t *len,
                                mzmtp_status_t *st)
{
    for (size_t off = 0; off < s->fam.sub.used; off += ent_size(s->fam.sub.tab + off)) {
        uint8_t *e = s->fam.sub.tab + off;
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

bool mzmtp_sk_xpub_pending(const mzmtp_socket_t *s)
{
    for (size_t off = 0; off < s->fam.sub.used; off += ent_size(s->fam.sub.tab + off)) {
        if (ent_unreported(s->fam.sub.tab + off)) return true;
    }
    return false;
}

static mzmtp_status_t check_topic(mzmtp_socket_t *sock, const void *topic, size_t len)
{
    if (sock == NULL || (topic == NULL && len > 0)) return MZMTP_ERR_INVALID;
    if (!mzmtp_sk_is_sub(sock)) return MZMTP_ERR_NOT_SUPPORTED;
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

unsigned mzmtp_socket_sub_peer_count(const mzmtp_socket_t *sock)
{
    if (!mzmtp_sk_is_pub(sock)) return 0;
    mzmtp_peerset_t m;
    mzmtp_peerset_clear(&m);
    for (size_t off = 0; off < sock->fam.sub.used; off += ent_size(sock->fam.sub.tab + off)) {
        ent_or_into(sock->fam.sub.tab + off, &m);
    }
    mzmtp_peerset_and(&m, &m, &sock->ready);
    return mzmtp_peerset_count(&m);
}

#else /* no PUB/SUB type in this build: the calls exist and say so */

mzmtp_status_t mzmtp_socket_subscribe(mzmtp_socket_t *sock, const void *topic, size_t len)
{
    return sock == NULL || (topic == NULL && len > 0) ? MZMTP_ERR_INVALID
                                                     : MZMTP_ERR_NOT_SUPPORTED;
}

mzmtp_status_t mzmtp_socket_unsubscribe(mzmtp_socket_t *sock, const void *topic, size_t len)
{
    return sock == NULL || (topic == NULL && len > 0) ? MZMTP_ERR_INVALID
                                                     : MZMTP_ERR_NOT_SUPPORTED;
}

unsigned mzmtp_socket_sub_peer_count(const mzmtp_socket_t *sock)
{
    (void)sock;
    return 0;
}
#endif /* MZMTP_SOCK_HAS_PUBSUB */
