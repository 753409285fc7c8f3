/*
 * Internal to src/socket: what the shared core (socket.c) and the files of each pattern
 * family call of one another.
 *
 *   socket.c          peer slots, lifecycle, options, port interface, send/recv dispatch
 *   socket_lb.c       load balancing (RFC 30 round robin): PUSH, DEALER, PAIR, REQ
 *   socket_pubsub.c   PUB, SUB, XPUB, XSUB (RFC 29): the subscription table
 *   socket_reqrep.c   REQ, REP (RFC 28): the request state and the REP envelope
 *   socket_router.c   ROUTER (RFC 28): routing ids
 *   socket_pair.c     PAIR (RFC 31): one peer
 *   timerq.c          the peers' timers in a heap (MZMTP_CONF_TIMER_HEAP; timerq.h)
 *
 * PULL and DEALER have no rules of their own beyond fair queueing (socket.c) and load
 * balancing (socket_lb.c). A family's file compiles to nothing when the build leaves its
 * types out (MZMTP_CONF_SOCKET_TYPES), and the core reaches it only behind IS()/HAS()
 * tests that are then constant false, so no call to it remains either.
 */
#ifndef MZMTP_SOCKET_INT_H
#define MZMTP_SOCKET_INT_H

#include "microzmtp/microzmtp.h"
#include "../util/mzmtp_util.h"

/* Compile-time constant false for types left out of MZMTP_CONF_SOCKET_TYPES, so their
 * code is dropped by the compiler; constant true in a build of that one type (a socket
 * of another type cannot be made there), so the test itself goes too. */
#define HAS(t) (((MZMTP_CONF_SOCKET_TYPES) >> (t)) & 1u)
#define ONLY(t) ((MZMTP_CONF_SOCKET_TYPES) == (1u << (t)))
#define IS(s, t) (HAS(t) && (ONLY(t) || (s)->type == (t)))
/* The socket's type, a constant in a single-type build (for switches). */
#define SOLE_TYPE                                                                           \
    (ONLY(0) ? 0 : ONLY(1) ? 1 : ONLY(2) ? 2 : ONLY(3) ? 3 : ONLY(4) ? 4 : ONLY(5) ? 5 :     \
     ONLY(6) ? 6 : ONLY(7) ? 7 : ONLY(8) ? 8 : ONLY(9) ? 9 : ONLY(10) ? 10 : -1)
#define SOCK_TYPE(s) (SOLE_TYPE >= 0 ? SOLE_TYPE : (int)(s)->type)
/* Compile-time: does any type in this build receive messages? (PUB and PUSH do not.) */
#define CAN_RECV ((MZMTP_CONF_SOCKET_TYPES & ~(MZMTP_TYPESET_PUB | MZMTP_TYPESET_PUSH)) != 0)
/* Compile-time: can a peer be ignored (a ROUTER's duplicate id, a second PAIR peer)? If
 * not, the ignored set is always empty and its tests go. */
#define CAN_IGNORE (HAS(MZMTP_ROUTER) || HAS(MZMTP_PAIR))
#define IGNORED(s, p) (CAN_IGNORE && HAS_PEER((s)->ignored, (p)))
#define NO_PEER MZMTP_NO_PEER
#define HAS_PEER(set, p) mzmtp_peerset_has(&(set), (p))
/* Peer @p p's wants (receive room, output) may have changed: the port hears of it from
 * mzmtp_socket_peer_next_changed() (MZMTP_CONF_PEER_CHANGES; else nothing is kept). */
#if MZMTP_CONF_PEER_CHANGES
#define CHANGED(s, p) mzmtp_peerset_add(&(s)->changed, (p))
#define CHANGED_SET(s, set) mzmtp_peerset_or(&(s)->changed, &(s)->changed, (set))
#else
#define CHANGED(s, p) ((void)0)
#define CHANGED_SET(s, set) ((void)0)
#endif

/* Macros, not functions, so that a type left out folds to a constant even at -O0 and
 * no call into a family this build lacks remains. */
#define mzmtp_sk_is_pub(s) (IS((s), MZMTP_PUB) || IS((s), MZMTP_XPUB))
#define mzmtp_sk_is_sub(s) (IS((s), MZMTP_SUB) || IS((s), MZMTP_XSUB))
#define mzmtp_sk_is_pubsub(s) (mzmtp_sk_is_pub(s) || mzmtp_sk_is_sub(s))

/* ---- the peer's area of mem->peer_buf (microzmtp.h, mzmtp_socket_mem_t) ---- */

static inline uint8_t *mzmtp_sk_peer_buf(const mzmtp_socket_t *s, unsigned p)
{
    return s->mem->peer_buf + (size_t)p * s->mem->peer_buf_bytes;
}
/* ROUTER: the routing id first, [0] its length, [1..] its bytes. */
#define MZMTP_SK_RID_LEN(s, p) (mzmtp_sk_peer_buf((s), (p))[0])
#define MZMTP_SK_RID(s, p) (mzmtp_sk_peer_buf((s), (p)) + 1)
/* A PLAIN or CURVE server: then the User-Id (its length in the slot), the address. */
#if MZMTP_SECURITY
#define mzmtp_sk_keeps_auth(s) ((s)->sec.mechanism != MZMTP_MECH_NULL && (s)->sec.server)
#else
#define mzmtp_sk_keeps_auth(s) false
#endif
#define MZMTP_SK_AUTH_OFF(s) (IS((s), MZMTP_ROUTER) ? (size_t)MZMTP_PEER_BUF_RID : 0u)
/* Then the engine's command buffer, the rest of the area (mzmtp_socket_sec_peer_start()
 * says where it starts). */
/* The smallest command buffer of this socket's engines: a SUB or XSUB sends SUBSCRIBEs
 * of up to MZMTP_CONF_MAX_TOPIC bytes; every engine a READY, PING/PONG and ERROR
 * (MZMTP_CMD_MIN). The identity's READY is checked when it is set. */
#define mzmtp_sk_cmd_min(s)                                                                 \
    (mzmtp_sk_is_sub(s) && MZMTP_CMD_SUBSCRIBE_MAX > MZMTP_CMD_MIN ? (size_t)MZMTP_CMD_SUBSCRIBE_MAX \
                                                                    : (size_t)MZMTP_CMD_MIN)
/* REQ, DEALER and ROUTER send the socket's routing id in every engine's READY
 * (wire-notes M2). */
#define mzmtp_sk_sends_identity(s) (IS((s), MZMTP_REQ) || IS((s), MZMTP_DEALER) || IS((s), MZMTP_ROUTER))
/* The command buffer this socket's engines need: mzmtp_sk_cmd_min(), or more for a READY
 * that carries the routing id. */
static inline size_t mzmtp_sk_cmd_need(const mzmtp_socket_t *s)
{
    size_t need = mzmtp_sk_cmd_min(s);
    if (mzmtp_sk_sends_identity(s) && s->identity_len && MZMTP_CMD_READY_ID(s->identity_len) > need) {
        need = MZMTP_CMD_READY_ID(s->identity_len);
    }
    return need;
}
/* What a CURVE engine takes from the front of its command area for its state. */
#if MZMTP_CONF_CURVE
#define mzmtp_sk_curve_state(s) ((s)->sec.mechanism == MZMTP_MECH_CURVE ? (size_t)MZMTP_CMD_CURVE_STATE : 0u)
#else
#define mzmtp_sk_curve_state(s) ((size_t)0u)
#endif
/* Does a command buffer at @p off leave at least mzmtp_sk_cmd_min() in the areas, and
 * are the areas at most 65535 bytes (engines' command buffers are 16-bit)? */
#define mzmtp_sk_cmd_fits(s, off)                                                           \
    ((s)->mem->peer_buf_bytes - ((off) + mzmtp_sk_cmd_min(s)) <= 65535u - ((off) + mzmtp_sk_cmd_min(s)))

/* ---- core (socket.c), for the families ---- */

/* The message at the head of peer @p p is over (read or dropped). */
void mzmtp_sk_head_done(mzmtp_socket_t *s, unsigned p);

/* ---- load balancing (socket_lb.c) ---- */

/* The peer whose turn it is among those that can take a message now, or -1 (the cursor
 * stays: poll asks this). */
int mzmtp_sk_next_carrier(const mzmtp_socket_t *s);
/* The next peer, in turn, that can take a message, or -1. */
int mzmtp_sk_pick_round_robin(mzmtp_socket_t *s);
/* PUSH, DEALER, PAIR: open a message for the next peer in turn. */
mzmtp_status_t mzmtp_sk_lb_begin(mzmtp_socket_t *s, size_t ring_len);

/* ---- PUB/SUB family (socket_pubsub.c) ---- */

/* mzmtp_socket_init: the subscription store starts empty (the trie lays out its pool). */
void mzmtp_sk_sub_init(mzmtp_socket_t *s);
/* Peer @p p leaves the subscription table. */
void mzmtp_sk_sub_forget_peer(mzmtp_socket_t *s, unsigned p);
/* SUB/XSUB: bring peer @p p's view of our subscriptions up to date. */
void mzmtp_sk_sync_subs(mzmtp_socket_t *s, unsigned p);
/* SUB/XSUB: peer @p p finished its handshake: it gets every subscription once. */
void mzmtp_sk_sub_peer_ready(mzmtp_socket_t *s, unsigned p);
/* PUB/XPUB: peer @p p subscribed or cancelled @p topic. MZMTP_ERR_PEER_LIMIT (the table
 * is full) has sent the peer an ERROR. */
mzmtp_status_t mzmtp_sk_peer_subscription(mzmtp_socket_t *s, unsigned p, const uint8_t *topic,
                                          size_t len, bool subscribe);
/* SUB: does the message at the head of @p c match a local subscription? */
bool mzmtp_sk_sub_wants(const mzmtp_socket_t *s, mzmtp_conn_t *c);
/* PUB, XPUB, XSUB: the first frame of a message (see send_begin in socket.c). */
mzmtp_status_t mzmtp_sk_pubsub_begin(mzmtp_socket_t *s, const uint8_t *d, size_t len,
                                     size_t ring_len, bool *swallowed);
/* XPUB: the next subscription change the application has not been told about. */
bool mzmtp_sk_xpub_notification(mzmtp_socket_t *s, uint8_t *buf, size_t cap, size_t *len,
                                mzmtp_status_t *st);
/* XPUB: is a subscription change waiting to be read? */
bool mzmtp_sk_xpub_pending(mzmtp_socket_t *s);
/* PUB/XPUB: would a small message be taken (NODROP) or dropped rather than refused? */
bool mzmtp_sk_pub_writable(const mzmtp_socket_t *s);

/* ---- REQ/REP (socket_reqrep.c) ---- */

/* REQ: a message from peer @p p is at the head. */
mzmtp_status_t mzmtp_sk_req_accept_reply(mzmtp_socket_t *s, unsigned p);
/* REP: take the envelope of the request at the head of peer @p p. */
bool mzmtp_sk_rep_take_envelope(mzmtp_socket_t *s, unsigned p);
/* REQ and REP: the first frame of a message. */
mzmtp_status_t mzmtp_sk_req_begin(mzmtp_socket_t *s, size_t ring_len);
mzmtp_status_t mzmtp_sk_rep_begin(mzmtp_socket_t *s, size_t ring_len);
/* REP, poll: is a reply due, and would a small one fit? */
bool mzmtp_sk_rep_writable(const mzmtp_socket_t *s);

/* ---- ROUTER (socket_router.c) ---- */

/* Handshake done on peer @p p, whose Identity is @p id. */
mzmtp_status_t mzmtp_sk_router_handshake(mzmtp_socket_t *s, unsigned p, const uint8_t *id,
                                         size_t len);
/* Peer @p p, which was ready, stops: a peer ignored for its id takes the id over. */
void mzmtp_sk_router_handover(mzmtp_socket_t *s, unsigned p);
/* The first frame (the routing id) of a message. */
mzmtp_status_t mzmtp_sk_router_begin(mzmtp_socket_t *s, const uint8_t *d, size_t len,
                                     bool more);
/* The first data frame after the routing id (router_pending). @return MZMTP_OK with
 * *go (open: add the frame), MZMTP_OK without it (dropped), or MZMTP_AGAIN. */
mzmtp_status_t mzmtp_sk_router_open(mzmtp_socket_t *s, size_t ring_len, bool more, bool *go);
/* recv: the routing id of the message being read, before its frames. */
mzmtp_status_t mzmtp_sk_router_id_out(mzmtp_socket_t *s, unsigned p, uint8_t *buf, size_t cap,
                                      const uint8_t **ref, size_t *len, unsigned *flags);
/* poll: could a small message go now? */
bool mzmtp_sk_router_writable(const mzmtp_socket_t *s);

/* ---- PAIR (socket_pair.c) ---- */

/* Handshake done on peer @p p: a second peer is ignored. */
void mzmtp_sk_pair_handshake(mzmtp_socket_t *s, unsigned p);

#endif
