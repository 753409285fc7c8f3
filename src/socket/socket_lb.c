/*
 * Load balancing (RFC 30's round robin): the next peer, in turn, below its HWM. PUSH,
 * DEALER and PAIR send this way, and REQ picks the peer it asks so. Compiled only when
 * the build has one of these types (socket_int.h).
 */
#include "socket_int.h"

#if MZMTP_SOCK_HAS_LB

/* May peer @p p take messages now? Handshaken peers, and the slots of connecting
 * endpoints that wait for their connection: their queue exists before it (R4). */
static bool can_carry(const mzmtp_socket_t *s, unsigned p)
{
    if (IGNORED(s, p)) return false;
    if (s->sndhwm && mzmtp_outq_pipe_queued(&s->outq, p) >= s->sndhwm) return false;
    return HAS_PEER(s->ready, p) || (HAS_PEER(s->keep, p) && s->peer[p].state != MZMTP_PEER_FREE);
}

/* RFC 30 "load balancing": the peer whose turn it is, the first from the cursor on that
 * can take a message (wrapping), or -1. Only peers that are there or keep a queue can
 * (can_carry): the bits of ready and keep are walked, with no set built, so a message
 * costs the words skipped and the peers at their HWM passed over, not every peer. */
int mzmtp_sk_next_carrier(const mzmtp_socket_t *s)
{
    unsigned p = mzmtp_peerset_next_cyclic_either(&s->ready, &s->keep, s->rr_send);
    if (p == MZMTP_PEERSET_END) return -1;
    /* The walk cannot change the sets, so it comes back to where it began. */
    for (unsigned start = p;;) {
        if (can_carry(s, p)) return (int)p;
        p = mzmtp_peerset_next_cyclic_either(&s->ready, &s->keep, (p + 1u) % MZMTP_CONF_MAX_PEERS);
        if (p == start) return -1;
    }
}

/* The next peer, in turn, that can take a message; the cursor moves past it. */
int mzmtp_sk_pick_round_robin(mzmtp_socket_t *s)
{
    int p = mzmtp_sk_next_carrier(s);
    if (p >= 0) s->rr_send = (uint16_t)(((unsigned)p + 1u) % MZMTP_CONF_MAX_PEERS);
    return p;
}

mzmtp_status_t mzmtp_sk_lb_begin(mzmtp_socket_t *sock, size_t ring_len)
{
    int p = mzmtp_sk_pick_round_robin(sock);
    if (p < 0) return MZMTP_AGAIN;
    if (!mzmtp_outq_can_take(&sock->outq, ring_len)) return MZMTP_AGAIN;
    mzmtp_outq_begin_one(&sock->outq, (unsigned)p);
    return MZMTP_OK;
}

#endif /* MZMTP_SOCK_HAS_LB */
