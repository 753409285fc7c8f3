/*
 * ROUTER (RFC 28; wire-notes S9): routing ids, given by the peer or generated, name the
 * peer of each message in both directions. Compiled only when the build has ROUTER.
 * (DEALER has no rules of its own: load balancing out, fair queueing in.)
 */
#include <string.h>
#include "socket_int.h"
#include "../util/mzmtp_idmap.h"

#if MZMTP_CONF_SOCKET_TYPES & MZMTP_TYPESET_ROUTER

#if MZMTP_CONF_ROUTER_HASH
/* Where a ROUTER's routing ids are, for the id hash: at the start of each peer's area of
 * mem->peer_buf (socket_int.h), so the hash maps an id to a slot index. The hash indexes
 * exactly the ready peers that are not ignored. */
static mzmtp_idmap_keys_t rid_keys(const mzmtp_socket_t *s)
{
    const mzmtp_idmap_keys_t k = {MZMTP_SK_RID(s, 0), s->mem->peer_buf_bytes,
                                  &MZMTP_SK_RID_LEN(s, 0), s->mem->peer_buf_bytes};
    return k;
}
#endif

static int find_routing_id(const mzmtp_socket_t *s, const uint8_t *id, size_t len)
{
#if MZMTP_CONF_ROUTER_HASH
    const mzmtp_idmap_keys_t keys = rid_keys(s);
    return mzmtp_idmap_find(s->fam.rid.map, MZMTP_IDMAP_SLOTS, &keys, id, len);
#else
    MZMTP_PEERSET_FOR_EACH(p, &s->ready) {
        if (!HAS_PEER(s->ignored, p) && MZMTP_SK_RID_LEN(s, p) == len &&
            mzmtp_util_bytes_eq(MZMTP_SK_RID(s, p), id, len)) {
            return (int)p;
        }
    }
    return -1;
#endif
}

/* Handshake done on peer @p p; @p id is the Identity it sent. */
mzmtp_status_t mzmtp_sk_router_handshake(mzmtp_socket_t *s, unsigned p, const uint8_t *id,
                                         size_t len)
{
    /* wire-notes S9: the Identity becomes the routing id, or 00 + a 32-bit counter. */
    if (len > MZMTP_CONF_ROUTING_ID_MAX) return MZMTP_ERR_PEER_LIMIT;
    if (len == 0) {
        uint8_t gen[5] = {0, (uint8_t)(s->rid_next >> 24), (uint8_t)(s->rid_next >> 16),
                          (uint8_t)(s->rid_next >> 8), (uint8_t)s->rid_next};
        s->rid_next++;
        memcpy(MZMTP_SK_RID(s, p), gen, sizeof(gen));
        MZMTP_SK_RID_LEN(s, p) = sizeof(gen);
    } else {
        memcpy(MZMTP_SK_RID(s, p), id, len);
        MZMTP_SK_RID_LEN(s, p) = (uint8_t)len;
#if !MZMTP_CONF_ROUTER_HASH
        MZMTP_PEERSET_FOR_EACH(q, &s->ready) {
            if (q != p && !HAS_PEER(s->ignored, q) && MZMTP_SK_RID_LEN(s, q) == len &&
                mzmtp_util_bytes_eq(MZMTP_SK_RID(s, q), id, len)) {
                mzmtp_peerset_add(&s->ignored, p); /* a duplicate id is ignored (no handover) */
            }
        }
#endif
    }
#if MZMTP_CONF_ROUTER_HASH
    /* A duplicate id is ignored (no handover), and so is a generated one that a peer's
     * own id (with a leading zero, which libzmq would refuse) already holds. */
    if (find_routing_id(s, MZMTP_SK_RID(s, p), MZMTP_SK_RID_LEN(s, p)) >= 0) {
        mzmtp_peerset_add(&s->ignored, p);
    } else {
        const mzmtp_idmap_keys_t keys = rid_keys(s);
        mzmtp_idmap_insert(s->fam.rid.map, MZMTP_IDMAP_SLOTS, &keys, p);
    }
#endif
    return MZMTP_OK;
}

void mzmtp_sk_router_handover(mzmtp_socket_t *sock, unsigned p)
{
    /* A peer ignored for using this peer's id (a quick reconnect whose new connection
     * arrived before the old one closed) takes the id over now. */
#if MZMTP_CONF_ROUTER_HASH
    const mzmtp_idmap_keys_t keys = rid_keys(sock);
    mzmtp_idmap_remove(sock->fam.rid.map, MZMTP_IDMAP_SLOTS, &keys, p);
#endif
    MZMTP_PEERSET_FOR_EACH(q, &sock->ignored) {
        if (HAS_PEER(sock->ready, q) && MZMTP_SK_RID_LEN(sock, q) == MZMTP_SK_RID_LEN(sock, p) &&
            mzmtp_util_bytes_eq(MZMTP_SK_RID(sock, q), MZMTP_SK_RID(sock, p), MZMTP_SK_RID_LEN(sock, p))) {
            mzmtp_peerset_del(&sock->ignored, q);
#if MZMTP_CONF_ROUTER_HASH
            mzmtp_idmap_insert(sock->fam.rid.map, MZMTP_IDMAP_SLOTS, &keys, q);
#endif
            break;
        }
    }
}

mzmtp_status_t mzmtp_sk_router_begin(mzmtp_socket_t *sock, const uint8_t *d, size_t len,
                                     bool more)
{
    mzmtp_outq_t *q = &sock->outq;
    /* The first frame names the peer and is not sent (wire-notes S9). */
    int p = find_routing_id(sock, d, len);
    if (p >= 0 && sock->sndhwm && mzmtp_outq_pipe_queued(q, (unsigned)p) >= sock->sndhwm) {
        if (sock->router_mandatory) return MZMTP_AGAIN;
        p = -1;
    }
    if (p < 0 && sock->router_mandatory) return MZMTP_ERR_UNROUTABLE;
    if (!more) return MZMTP_OK;
    /* The message opens with its first data frame, whose size tells whether the
     * ring can take it (mzmtp_sk_router_open). */
    sock->req_peer = p >= 0 ? (uint16_t)p : NO_PEER;
    sock->router_pending = p >= 0;
    sock->send_in_msg = true;
    sock->send_drop = p < 0;
    return MZMTP_OK;
}

mzmtp_status_t mzmtp_sk_router_open(mzmtp_socket_t *sock, size_t ring_len, bool more, bool *go)
{
    mzmtp_outq_t *q = &sock->outq;
    /* First data frame after the routing id: a full ring or a peer gone since drops
     * the message — or, with MANDATORY, refuses this frame (send it again). */
    unsigned p = sock->req_peer;
    *go = false;
    if (!mzmtp_outq_can_take(q, ring_len) && sock->router_mandatory) return MZMTP_AGAIN;
    sock->router_pending = false;
    if (!mzmtp_outq_can_take(q, ring_len) || !HAS_PEER(sock->ready, p)) {
        sock->send_drop = more;
        sock->send_in_msg = more;
        return MZMTP_OK;
    }
    mzmtp_outq_begin_one(q, p);
    *go = true;
    return MZMTP_OK;
}

mzmtp_status_t mzmtp_sk_router_id_out(mzmtp_socket_t *sock, unsigned p, uint8_t *buf, size_t cap,
                                      const uint8_t **ref, size_t *len, unsigned *flags)
{
    /* wire-notes S9: a ROUTER message starts with the peer's routing id. */
    if (ref != NULL) {
        *ref = MZMTP_SK_RID(sock, p);
    } else {
        if (cap < MZMTP_SK_RID_LEN(sock, p)) return MZMTP_ERR_NO_MEMORY;
        memcpy(buf, MZMTP_SK_RID(sock, p), MZMTP_SK_RID_LEN(sock, p));
    }
    *len = MZMTP_SK_RID_LEN(sock, p);
    *flags = MZMTP_RECV_MORE;
    sock->router_id_out = true;
    return MZMTP_OK;
}

bool mzmtp_sk_router_writable(const mzmtp_socket_t *sock)
{
    /* Never blocks (drops instead) unless MANDATORY: then the ring must have room and a
     * peer must be below its HWM. The ring first: a full one needs no look at the peers,
     * and the walk stops at the first peer with room. */
    if (!sock->router_mandatory) return true;
    if (!mzmtp_outq_can_take(&sock->outq, 64)) return false;
    MZMTP_PEERSET_FOR_EACH(p, &sock->ready) {
        if (!HAS_PEER(sock->ignored, p) &&
            (!sock->sndhwm || mzmtp_outq_pipe_queued(&sock->outq, p) < sock->sndhwm)) {
            return true;
        }
    }
    return false;
}

#endif /* ROUTER */
