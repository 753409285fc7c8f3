/*
 * The PUB/SUB family (RFC 29): PUB, SUB, XPUB, XSUB, and the subscription table they
 * share. Compiled only when the build has one of these types (socket_int.h).
 */
#include <string.h>
#include "socket_int.h"
#include "../util/mzmtp_subtrie.h"

#if MZMTP_SOCK_HAS_PUBSUB

/* ---------------- subscription table ----------------
 * PUB/XPUB: an entry's peers = the peers subscribed (a set per peer, wire-notes S1), its
 * flags = REPORTED (XPUB told the application the topic is subscribed).
 * SUB/XSUB: count = local subscribe calls (S1: counted), peers = the peers we have sent
 * the SUBSCRIBE to. A difference between count>0 and a peer's bit is work for sync_subs().
 * The store lives in the socket's family union (s->fam.sub): only these types have it.
 * Two stores behind the same helpers, chosen by MZMTP_CONF_SUB_TRIE: a trie whose match
 * costs the first frame's length plus the matching peer sets' words, however many topics
 * and peers there are (src/util/mzmtp_subtrie.h); or a packed table scanned whole for
 * every message, smaller code for a microcontroller's few peers. An entry is an ent_t. */
#define ENT_REPORTED 0x01u

#if MZMTP_CONF_SUB_TRIE
typedef unsigned ent_t;
#define ENT_NONE MZMTP_SUBTRIE_NONE
#define SUB_FOR_EACH(e, s)                                                                 \
    for (ent_t e = MZMTP_SUBTRIE_ROOT; e != ENT_NONE; e = mzmtp_subtrie_next((s)->fam.sub.tab, e))
/* Room for an entry's topic, which the trie spells out from its nodes. */
#define SUB_TOPIC_BUF(b) uint8_t b[MZMTP_CONF_MAX_TOPIC > 0 ? MZMTP_CONF_MAX_TOPIC : 1]
#define SUB_CELLS (sizeof(((mzmtp_socket_t *)0)->fam.sub.tab) / sizeof(mzmtp_subtrie_cell_t))

static size_t ent_len(const mzmtp_socket_t *s, ent_t e)
{
    return mzmtp_subtrie_topic_len(s->fam.sub.tab, e);
}
static void ent_topic_copy(const mzmtp_socket_t *s, ent_t e, uint8_t *out)
{
    mzmtp_subtrie_topic(s->fam.sub.tab, e, out);
}
/* The topic of @p e, spelt out in @p buf (room for MZMTP_CONF_MAX_TOPIC bytes). */
static const uint8_t *ent_topic_at(const mzmtp_socket_t *s, ent_t e, uint8_t *buf)
{
    mzmtp_subtrie_topic(s->fam.sub.tab, e, buf);
    return buf;
}
static bool ent_has(const mzmtp_socket_t *s, ent_t e, unsigned p)
{
    return mzmtp_subtrie_peer_has(s->fam.sub.tab, e, p);
}
/* @return false when @p p could not be added: the pool has no cell left for its set. */
static bool ent_put(mzmtp_socket_t *s, ent_t e, unsigned p, bool on)
{
    if (on) return mzmtp_subtrie_peer_add(s->fam.sub.tab, e, p);
    mzmtp_subtrie_peer_del(s->fam.sub.tab, e, p);
    return true;
}
/* Would ent_put(s, e, p, @p on) succeed now? */
static bool ent_can_put(const mzmtp_socket_t *s, ent_t e, unsigned p, bool on)
{
    return !on || mzmtp_subtrie_peer_can_add(s->fam.sub.tab, e, p);
}
static bool ent_nobody(const mzmtp_socket_t *s, ent_t e)
{
    return mzmtp_subtrie_nobody(s->fam.sub.tab, e);
}
static void ent_or_into(const mzmtp_socket_t *s, ent_t e, mzmtp_peerset_t *m)
{
    mzmtp_subtrie_or_peers(s->fam.sub.tab, e, m);
}
static uint16_t ent_count(const mzmtp_socket_t *s, ent_t e) { return s->fam.sub.tab[e].node.count; }
static void ent_set_count(mzmtp_socket_t *s, ent_t e, uint16_t c) { s->fam.sub.tab[e].node.count = c; }
static uint8_t ent_flags(const mzmtp_socket_t *s, ent_t e) { return s->fam.sub.tab[e].node.flags; }
static void ent_set_flags(mzmtp_socket_t *s, ent_t e, uint8_t f) { s->fam.sub.tab[e].node.flags = f; }

static MZMTP_ALWAYS_INLINE ent_t sub_find(mzmtp_socket_t *s, const uint8_t *topic, size_t len)
{
    return mzmtp_subtrie_find(s->fam.sub.tab, topic, len);
}
static MZMTP_ALWAYS_INLINE ent_t sub_add(mzmtp_socket_t *s, const uint8_t *topic, size_t len)
{
    return len > MZMTP_CONF_MAX_TOPIC ? ENT_NONE : mzmtp_subtrie_insert(s->fam.sub.tab, topic, len);
}
/* Remove the idle entry @p e (the trie frees its nodes that nothing else needs). */
static MZMTP_ALWAYS_INLINE void sub_remove(mzmtp_socket_t *s, ent_t e) { mzmtp_subtrie_prune(s->fam.sub.tab, e); }
static void sub_gc(mzmtp_socket_t *s) { mzmtp_subtrie_gc(s->fam.sub.tab); }
static bool ent_unreported(const mzmtp_socket_t *s, ent_t e);
/* Peer @p p leaves the table: PUB/XPUB forget its subscriptions (RFC 29; XPUB then
 * reports the cancels), SUB/XSUB forget having told it, so it is told again (S2). */
void mzmtp_sk_sub_forget_peer(mzmtp_socket_t *s, unsigned p)
{
    if (IS(s, MZMTP_XPUB)) {
        /* The cancels are queued for the application, in the order of the walk. */
        SUB_FOR_EACH(e, s) {
            (void)ent_put(s, e, p, false);
            if (ent_unreported(s, e)) mzmtp_subtrie_enqueue(s->fam.sub.tab, e);
        }
    }
    mzmtp_subtrie_forget_peer(s->fam.sub.tab, p);
}
/* @p m = the peers whose subscriptions match the first frame @p d[0..len): binary prefix
 * match, walking the frame's bytes down the trie. */
static void sub_match_peers(const mzmtp_socket_t *s, const uint8_t *d, size_t len,
                            mzmtp_peerset_t *m)
{
    mzmtp_subtrie_match_peers(s->fam.sub.tab, d, len, m);
}
/* SUB: does a first frame of @p frame_len bytes starting with @p d[0..avail) match a
 * local subscription? */
static bool sub_match_local(const mzmtp_socket_t *s, const uint8_t *d, size_t avail,
                            uint64_t frame_len)
{
    return mzmtp_subtrie_match_count(s->fam.sub.tab, d,
                                     frame_len < avail ? (size_t)frame_len : avail);
}

#else /* the packed table */
/* Entry: len(1) flags(1) count(2, native) mask(a peer set, native words) topic(len). */
typedef uint8_t *ent_t;
#define ENT_NONE NULL
#define ENT_HDR (4u + sizeof(mzmtp_peerset_t))
#define SUB_FOR_EACH(e, s)                                                                 \
    for (ent_t e = (uint8_t *)(s)->fam.sub.tab; e < (s)->fam.sub.tab + (s)->fam.sub.used; e += ent_size(e))
#define SUB_TOPIC_BUF(b) uint8_t *b = NULL /* the topic lies in the entry */

static size_t ent_size(const uint8_t *e) { return ENT_HDR + e[0]; }
static size_t ent_len(const mzmtp_socket_t *s, ent_t e)
{
    (void)s;
    return e[0];
}
static const uint8_t *ent_topic(const uint8_t *e) { return e + ENT_HDR; }
static void ent_topic_copy(const mzmtp_socket_t *s, ent_t e, uint8_t *out)
{
    (void)s;
    memcpy(out, ent_topic(e), e[0]);
}
static const uint8_t *ent_topic_at(const mzmtp_socket_t *s, ent_t e, uint8_t *buf)
{
    (void)s;
    (void)buf;
    return ent_topic(e);
}
/* Entries are packed bytes: their peer set is read and written a word at a time, at
 * no alignment, so that one peer's change costs one word, not the whole set. */
static uint32_t ent_word(const uint8_t *e, unsigned i)
{
    uint32_t w;
    memcpy(&w, e + 4u + 4u * i, sizeof(w));
    return w;
}
static bool ent_has(const mzmtp_socket_t *s, ent_t e, unsigned p)
{
    (void)s;
    return (ent_word(e, MZMTP_PEERSET_W(p)) & MZMTP_PEERSET_BIT(p)) != 0;
}
/* @return true: a table entry has room for every peer. */
static bool ent_put(mzmtp_socket_t *s, ent_t e, unsigned p, bool on)
{
    (void)s;
    uint32_t w = ent_word(e, MZMTP_PEERSET_W(p));
    w = on ? w | MZMTP_PEERSET_BIT(p) : w & ~MZMTP_PEERSET_BIT(p);
    memcpy(e + 4u + 4u * MZMTP_PEERSET_W(p), &w, sizeof(w));
    return true;
}
static bool ent_can_put(const mzmtp_socket_t *s, ent_t e, unsigned p, bool on)
{
    (void)s;
    (void)e;
    (void)p;
    (void)on;
    return true;
}
static bool ent_nobody(const mzmtp_socket_t *s, ent_t e)
{
    (void)s;
    uint32_t any = ent_word(e, 0);
    for (unsigned i = 1; i < MZMTP_PEERSET_WORDS; i++) any |= ent_word(e, i);
    return any == 0;
}
/* Add the entry's peers to @p m. */
static void ent_or_into(const mzmtp_socket_t *s, ent_t e, mzmtp_peerset_t *m)
{
    (void)s;
    for (unsigned i = 0; i < MZMTP_PEERSET_WORDS; i++) m->w[i] |= ent_word(e, i);
}
static uint16_t ent_count(const mzmtp_socket_t *s, ent_t e)
{
    (void)s;
    uint16_t c;
    memcpy(&c, e + 2, sizeof(c));
    return c;
}
static void ent_set_count(mzmtp_socket_t *s, ent_t e, uint16_t c)
{
    (void)s;
    memcpy(e + 2, &c, sizeof(c));
}
static uint8_t ent_flags(const mzmtp_socket_t *s, ent_t e)
{
    (void)s;
    return e[1];
}
static void ent_set_flags(mzmtp_socket_t *s, ent_t e, uint8_t f)
{
    (void)s;
    e[1] = f;
}

static MZMTP_ALWAYS_INLINE ent_t sub_find(mzmtp_socket_t *s, const uint8_t *topic, size_t len)
{
    SUB_FOR_EACH(e, s) {
        if (e[0] == len && mzmtp_util_bytes_eq(ent_topic(e), topic, len)) return e;
    }
    return NULL;
}

static MZMTP_ALWAYS_INLINE ent_t sub_add(mzmtp_socket_t *s, const uint8_t *topic, size_t len)
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

static MZMTP_ALWAYS_INLINE void sub_remove(mzmtp_socket_t *s, ent_t e)
{
    size_t sz = ent_size(e);
    size_t off = (size_t)(e - s->fam.sub.tab);
    mzmtp_util_move_down(e, e + sz, s->fam.sub.used - off - sz);
    s->fam.sub.used = (uint16_t)(s->fam.sub.used - sz);
}

static bool ent_idle(const mzmtp_socket_t *s, ent_t e);

/* Drop every entry no one needs, after taking peer @p p out of each (none when @p p is
 * MZMTP_CONF_MAX_PEERS): one walk for both. */
static void forget_and_gc(mzmtp_socket_t *s, unsigned p)
{
    size_t off = 0;
    while (off < s->fam.sub.used) {
        uint8_t *e = s->fam.sub.tab + off;
        if (p < MZMTP_CONF_MAX_PEERS) (void)ent_put(s, e, p, false);
        if (ent_idle(s, e)) {
            sub_remove(s, e);
        } else {
            off += ent_size(e);
        }
    }
}

static void sub_gc(mzmtp_socket_t *s) { forget_and_gc(s, MZMTP_CONF_MAX_PEERS); }

/* Peer @p p leaves the table: PUB/XPUB forget its subscriptions (RFC 29; XPUB then
 * reports the cancels), SUB/XSUB forget having told it, so it is told again (S2). */
void mzmtp_sk_sub_forget_peer(mzmtp_socket_t *s, unsigned p) { forget_and_gc(s, p); }

/* @p m = the peers whose subscriptions match the first frame @p d[0..len): binary prefix
 * match. */
static void sub_match_peers(const mzmtp_socket_t *s, const uint8_t *d, size_t len,
                            mzmtp_peerset_t *m)
{
    mzmtp_peerset_clear(m);
    SUB_FOR_EACH(e, s) {
        if (e[0] <= len && mzmtp_util_bytes_eq(ent_topic(e), d, e[0])) ent_or_into(s, e, m);
    }
}

/* SUB: does a first frame of @p frame_len bytes starting with @p d[0..avail) match a
 * local subscription? */
static bool sub_match_local(const mzmtp_socket_t *s, const uint8_t *d, size_t avail,
                            uint64_t frame_len)
{
    SUB_FOR_EACH(e, s) {
        if (ent_count(s, e) > 0 && e[0] <= frame_len && e[0] <= avail &&
            mzmtp_util_bytes_eq(ent_topic(e), d, e[0])) {
            return true;
        }
    }
    return false;
}
#endif /* MZMTP_CONF_SUB_TRIE */

/* An entry no one needs: no peer, no local count, nothing left to tell the application. */
static bool ent_idle(const mzmtp_socket_t *s, ent_t e)
{
    if (!ent_nobody(s, e)) return false;
    if (mzmtp_sk_is_sub(s)) return ent_count(s, e) == 0;
    return !(IS(s, MZMTP_XPUB) && (ent_flags(s, e) & ENT_REPORTED));
}

/* Drop entry @p e if no one needs it any more. The packed table does it with the walk
 * that forgetting a peer uses (sub_gc; an entry idle besides @p e would be needed by no
 * one either), so that it has one removal loop; the trie, whose gc visits every cell,
 * removes the one entry. */
static void sub_tidy(mzmtp_socket_t *s, ent_t e)
{
#if MZMTP_CONF_SUB_TRIE
    if (ent_idle(s, e)) sub_remove(s, e);
#else
    (void)e;
    sub_gc(s);
#endif
}

/* XPUB: the application has not been told this topic's current state (subscribed or
 * not) yet. */
static bool ent_unreported(const mzmtp_socket_t *s, ent_t e)
{
    return !ent_nobody(s, e) != ((ent_flags(s, e) & ENT_REPORTED) != 0);
}

/* XPUB: the first entry whose change the application has not been told about, or
 * ENT_NONE. libzmq reports changes in the order they came: the table is in that order;
 * the trie queues each change (xpub_mark) and drops from the queue those that undid
 * themselves before they were read. */
static ent_t xpub_pending(mzmtp_socket_t *s)
{
#if MZMTP_CONF_SUB_TRIE
    for (ent_t e; (e = mzmtp_subtrie_queue_head(s->fam.sub.tab)) != ENT_NONE;) {
        if (ent_unreported(s, e)) return e;
        mzmtp_subtrie_dequeue(s->fam.sub.tab);
        if (ent_idle(s, e)) sub_remove(s, e);
    }
    return ENT_NONE;
#else
    SUB_FOR_EACH(e, s) {
        if (ent_unreported(s, e)) return e;
    }
    return ENT_NONE;
#endif
}

/* XPUB: entry @p e may have changed for the application (the trie queues it). */
static void xpub_mark(mzmtp_socket_t *s, ent_t e)
{
#if MZMTP_CONF_SUB_TRIE
    if (IS(s, MZMTP_XPUB) && ent_unreported(s, e)) mzmtp_subtrie_enqueue(s->fam.sub.tab, e);
#else
    (void)s;
    (void)e;
#endif
}

void mzmtp_sk_sub_init(mzmtp_socket_t *s)
{
#if MZMTP_CONF_SUB_TRIE
    mzmtp_subtrie_init(s->fam.sub.tab, SUB_CELLS);
#else
    (void)s;
#endif
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
    SUB_TOPIC_BUF(topic);
    SUB_FOR_EACH(e, s) {
        bool want = ent_count(s, e) > 0, has = ent_has(s, e, p);
        if (want == has) continue;
        /* A trie may have no cell left to note the peer in: then again later, as when
         * the command buffer is full (again when output drains). */
        if (!ent_can_put(s, e, p, want) ||
            mzmtp_conn_send_subscription(c, ent_topic_at(s, e, topic), ent_len(s, e), want) !=
                MZMTP_OK) {
            done = false;
            break;
        }
        (void)ent_put(s, e, p, want);
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

static MZMTP_ALWAYS_INLINE void sync_all(mzmtp_socket_t *s)
{
    s->fam.sub.pending = s->ready;
    MZMTP_PEERSET_FOR_EACH(p, &s->ready) mzmtp_sk_sync_subs(s, p);
    CHANGED_SET(s, &s->ready); /* (SUBSCRIBE and CANCEL commands to send) */
}

/* PUB/XPUB: peer @p p subscribed or cancelled @p topic. */
mzmtp_status_t mzmtp_sk_peer_subscription(mzmtp_socket_t *s, unsigned p, const uint8_t *topic,
                                          size_t len, bool subscribe)
{
    ent_t e = sub_find(s, topic, len);
    if (subscribe) {
        if (e == ENT_NONE) e = sub_add(s, topic, len);
        if (e == ENT_NONE || !ent_put(s, e, p, true)) {
            /* A trie with no cell for the peer's set drops the entry it made. */
            if (e != ENT_NONE) sub_tidy(s, e);
            /* Table full, or topic too long: the peer is told, and the connection ends. */
            mzmtp_conn_send_error(&s->peer[p].conn, "Subscription table full", 23);
            return MZMTP_ERR_PEER_LIMIT;
        }
        xpub_mark(s, e);
    } else if (e != ENT_NONE) {
        (void)ent_put(s, e, p, false);
        xpub_mark(s, e);
        sub_tidy(s, e);
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
    ent_t e = xpub_pending(s);
    if (e == ENT_NONE) return false;
    bool on = !ent_nobody(s, e);
    size_t n = ent_len(s, e);
    if (cap < 1u + n) {
        *st = MZMTP_ERR_NO_MEMORY;
        return true;
    }
    buf[0] = on ? 1 : 0;
    ent_topic_copy(s, e, buf + 1);
    *len = 1u + n;
    uint8_t f = ent_flags(s, e);
    ent_set_flags(s, e, (uint8_t)(on ? f | ENT_REPORTED : f & ~ENT_REPORTED));
#if MZMTP_CONF_SUB_TRIE
    mzmtp_subtrie_dequeue(s->fam.sub.tab); /* e was the queue's head */
#endif
    sub_tidy(s, e);
    *st = MZMTP_OK;
    return true;
}

bool mzmtp_sk_xpub_pending(mzmtp_socket_t *s)
{
    return xpub_pending(s) != ENT_NONE;
}

static MZMTP_ALWAYS_INLINE mzmtp_status_t check_topic(mzmtp_socket_t *sock, const void *topic, size_t len)
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
    ent_t e = sub_find(sock, topic, len);
    if (e == ENT_NONE) e = sub_add(sock, topic, len);
    if (e == ENT_NONE) return MZMTP_ERR_LIMIT;
    if (ent_count(sock, e) == UINT16_MAX) return MZMTP_ERR_LIMIT;
    ent_set_count(sock, e, (uint16_t)(ent_count(sock, e) + 1u));
    sync_all(sock);
    return MZMTP_OK;
}

mzmtp_status_t mzmtp_socket_unsubscribe(mzmtp_socket_t *sock, const void *topic, size_t len)
{
    mzmtp_status_t st = check_topic(sock, topic, len);
    if (st != MZMTP_OK) return st;
    ent_t e = sub_find(sock, topic, len);
    if (e == ENT_NONE || ent_count(sock, e) == 0) return MZMTP_ERR_INVALID;
    /* wire-notes S1: CANCEL goes out only when the local count reaches zero. */
    ent_set_count(sock, e, (uint16_t)(ent_count(sock, e) - 1u));
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
    SUB_FOR_EACH(e, sock) ent_or_into(sock, e, &m);
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
