/*
 * REQ and REP (RFC 28; wire-notes S6-S8): one request, then its reply; the REP envelope.
 * Compiled only when the build has one of these types (socket_int.h).
 */
#include <string.h>
#include "socket_int.h"

#if MZMTP_SOCK_HAS_REQREP

/* REQ: a message from peer @p p is at the head. Only the peer asked may answer, and its
 * reply must start with an empty delimiter frame (RFC 28; wire-notes S6, S7). */
mzmtp_status_t mzmtp_sk_req_accept_reply(mzmtp_socket_t *s, unsigned p)
{
    mzmtp_conn_t *c = &s->peer[p].conn;
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

mzmtp_status_t mzmtp_sk_req_begin(mzmtp_socket_t *sock, size_t ring_len)
{
    mzmtp_outq_t *q = &sock->outq;
    /* RFC 28: one request, then its reply, then the next request. */
    if (sock->req_state != 0) return MZMTP_ERR_STATE;
    int p = mzmtp_sk_pick_round_robin(sock);
    if (p < 0) return MZMTP_AGAIN;
    if (!mzmtp_outq_can_take(q, ring_len + 2)) return MZMTP_AGAIN;
    mzmtp_outq_begin_one(q, (unsigned)p);
    if (mzmtp_outq_add_frame(q, NULL, 0, true) != MZMTP_OK) return MZMTP_AGAIN;
    sock->req_peer = (uint16_t)p;
    sock->req_state = 1;
    return MZMTP_OK;
}

#if MZMTP_CONF_SOCKET_TYPES & MZMTP_TYPESET_REP
/* REP: read the envelope of the request at the head of peer @p p — every frame up to and
 * including the first empty one — into the socket's envelope, encoded, for the reply
 * (RFC 28, wire-notes S8). @return false if the request is malformed (then it is
 * dropped). */
bool mzmtp_sk_rep_take_envelope(mzmtp_socket_t *s, unsigned p)
{
    mzmtp_conn_t *c = &s->peer[p].conn;
    uint8_t *env = s->fam.rep.env;
    s->fam.rep.len = 0;
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
        if (hdr + avail > (size_t)(MZMTP_CONF_ENVELOPE_MAX - s->fam.rep.len)) return false;
        (void)mzmtp_util_put_frame_hdr(env + s->fam.rep.len, MZMTP_FLAG_MORE, left);
        s->fam.rep.len = (uint16_t)(s->fam.rep.len + hdr);
        if (mzmtp_conn_read(c, env + s->fam.rep.len, avail, &n, &fl) != MZMTP_OK) return false;
        s->fam.rep.len = (uint16_t)(s->fam.rep.len + n);
        if (n == 0) return true; /* the delimiter */
    }
}

mzmtp_status_t mzmtp_sk_rep_begin(mzmtp_socket_t *sock, size_t ring_len)
{
    mzmtp_outq_t *q = &sock->outq;
    if (!sock->rep_reply) return MZMTP_ERR_STATE;
    if (!mzmtp_outq_can_take(q, ring_len + sock->fam.rep.len)) return MZMTP_AGAIN;
    /* RFC 28: the reply goes to the peer that asked, behind the request's envelope;
     * if that peer has gone, the reply is dropped. */
    unsigned p = sock->req_peer;
    if (p != NO_PEER && HAS_PEER(sock->ready, p) && !HAS_PEER(sock->ignored, p)) {
        mzmtp_outq_begin_one(q, p);
    } else {
        mzmtp_peerset_t none;
        mzmtp_peerset_clear(&none);
        mzmtp_outq_begin(q, none); /* nobody: the reply vanishes */
    }
    if (mzmtp_outq_add_encoded(q, sock->fam.rep.env, sock->fam.rep.len) != MZMTP_OK) {
        return MZMTP_AGAIN;
    }
    return MZMTP_OK;
}
bool mzmtp_sk_rep_writable(const mzmtp_socket_t *sock)
{
    return sock->rep_reply && mzmtp_outq_can_take(&sock->outq, 64u + sock->fam.rep.len);
}
#endif /* REP */
#endif /* MZMTP_SOCK_HAS_REQREP */
