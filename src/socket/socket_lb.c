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

/* @p able = the peers that can take a message now. Only peers that are there or keep a
 * queue can (can_carry): those bits are visited, not every slot. */
void mzmtp_sk_carriers(const mzmtp_socket_t *s, mzmtp_peerset_t *able)
{
    mzmtp_peerset_or(able, &s->ready, &s->keep);
    MZMTP_PEERSET_FOR_EACH(p, able) {
        if (!can_carry(s, p)) mzmtp_peerset_del(able, p);
    }
}

/* RFC 30 "load balancing": the next peer, in turn, that can take a message. */
int mzmtp_sk_pick_round_robin(mzmtp_socket_t *s)
{
    mzmtp_peerset_t able;
    mzmtp_sk_carriers(s, &able);
    if (mzmtp_peerset_empty(&able)) return -1;
    unsigned p = mzmtp_peerset_next_wrap(&able, s->rr_send);
    s->rr_send = (uint16_t)((p + 1u) % MZMTP_CONF_MAX_PEERS);
    return (int)p;
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
