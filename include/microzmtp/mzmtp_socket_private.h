/**
 * @file mzmtp_socket_private.h
 * @brief PRIVATE: the fields of mzmtp_socket_t and mzmtp_peer_t.
 *
 * Included by microzmtp.h, so that a program can declare sockets and peer slots (static
 * storage, sizeof). Do not include it yourself and do not use its fields: the API is
 * microzmtp.h, and these fields change between versions without notice. Only
 * src/socket/ reads and writes them.
 */
#ifndef MZMTP_SOCKET_PRIVATE_H
#define MZMTP_SOCKET_PRIVATE_H

#ifndef MICROZMTP_H
#error "include microzmtp/microzmtp.h, not mzmtp_socket_private.h"
#endif

/* Peer slot states. */
enum { MZMTP_PEER_FREE = 0, MZMTP_PEER_WAITING, MZMTP_PEER_LIVE };
/* "No peer" in the socket's 16-bit peer fields; peer slots are 0..65534. */
#define MZMTP_NO_PEER 0xFFFFu

/* Which pattern families this build has (src/socket/socket_int.h). */
#define MZMTP_SOCK_HAS_PUBSUB                                                               \
    ((MZMTP_CONF_SOCKET_TYPES & (MZMTP_TYPESET_PUB | MZMTP_TYPESET_SUB | MZMTP_TYPESET_XPUB | \
                                 MZMTP_TYPESET_XSUB)) != 0)
#define MZMTP_SOCK_HAS_REQREP ((MZMTP_CONF_SOCKET_TYPES & (MZMTP_TYPESET_REQ | MZMTP_TYPESET_REP)) != 0)
#define MZMTP_SOCK_HAS_LB                                                                   \
    ((MZMTP_CONF_SOCKET_TYPES & (MZMTP_TYPESET_PUSH | MZMTP_TYPESET_DEALER | MZMTP_TYPESET_PAIR | \
                                 MZMTP_TYPESET_REQ)) != 0)

/* One peer slot: what every socket keeps per peer, whatever its type and mechanism, so
 * that the slots come from the application (mzmtp_socket_mem_t) as many as it wants per
 * socket. What only some sockets need (a ROUTER's routing id, a server's User-Id and
 * peer address) and the engine's command buffer, whose size depends on the socket, are
 * in the peer's area of mem->peer_buf instead (src/socket/socket_int.h). */
struct mzmtp_peer {
    uint8_t state;           /* MZMTP_PEER_FREE, _WAITING, _LIVE (first: Thumb's short loads) */
#if MZMTP_SECURITY
    uint8_t user_id_len;     /* a server's: the User-Id's bytes in the peer's area (padding) */
#endif
#if MZMTP_CONF_PEER_FREELIST
    uint16_t next_free;      /* FREE: the next free slot of the stack, or MZMTP_NO_PEER */
#endif
    mzmtp_status_t dead_why; /* why it is in the socket's dead set */
#if MZMTP_CONF_TIMER_HEAP
    /* The socket's timer heap (src/socket/timerq.c), sized by the slots: heap entry i
     * is kept in slot i (tq_at, tq_peer), whichever peer it is for; tq_pos is this
     * slot's own entry plus one (0: none). */
    uint32_t tq_at;   /* entry: no timer of tq_peer is due before it */
    uint16_t tq_peer; /* entry: its peer slot */
    uint16_t tq_pos;
#endif
    mzmtp_conn_t conn;       /* the engine */
};

typedef struct mzmtp_socket {
    uint8_t type;
    uint8_t closing;
    uint8_t req_state;  /* REQ: 0 may send, 1 sending, 2 awaiting reply, 3 reading reply */
    bool rep_reply;     /* REP: a request was read, the reply is due */
    bool router_id_out; /* ROUTER: the routing id of the message being read was given */
    bool router_mandatory;
    bool router_pending; /* ROUTER: routing id taken, message not opened yet */
    bool nodrop;
    uint8_t identity_len;
    bool send_in_msg;   /* a multipart send is open */
    bool send_drop;     /* the open multipart send is being dropped */
    bool truncated;     /* the message being read lost its peer */
    /* peer slots: 16 bits (issue 11), packed here between the bytes and the words */
    uint16_t recv_peer; /* peer whose message is being read, or MZMTP_NO_PEER */
    uint16_t rr_recv;   /* fair-queue position */
    uint16_t rr_send;   /* round-robin position (PUSH, DEALER, REQ) */
    uint16_t req_peer;  /* REQ: peer asked; REP: peer to answer; ROUTER: send target */
    uint16_t recv_last; /* peer of the message read last, or MZMTP_NO_PEER */
    uint16_t npeers;    /* peer slots, from mzmtp_socket_mem_t (1..MZMTP_CONF_MAX_PEERS) */
    uint16_t nused;     /* slots taken at least once: [0, nused); the others are free */
#if MZMTP_CONF_PEER_FREELIST
    uint16_t free_top;  /* the free slot freed last (below nused), or MZMTP_NO_PEER */
#endif
    mzmtp_peer_t *peer; /* npeers of them */
    uint32_t rid_next;  /* ROUTER: next generated id */
    uint32_t now;       /* last time a port call told us */
#if MZMTP_CONF_TIMER_HEAP
    uint16_t tq_len; /* entries in the timer heap (src/socket/timerq.c): at most nused */
#elif MZMTP_CONF_TIMER_CACHE
    /* No peer's timer is due before timer_at (when timer_on): a lower bound, lowered
     * as engines arm timers, made exact by each full walk in mzmtp_socket_tick(). */
    uint32_t timer_at;
    bool timer_on;
#endif
    mzmtp_peerset_t ready;    /* peers whose handshake is done */
    mzmtp_peerset_t readable; /* peers with a message at the head */
    mzmtp_peerset_t keep;     /* peers whose queue outlives the connection */
    mzmtp_peerset_t draining; /* stopped peers with complete messages still unread */
    mzmtp_peerset_t dead;     /* peers whose engine failed outside a port call */
    mzmtp_peerset_t ignored;  /* ROUTER duplicate ids, PAIR extra peers: no traffic */
#if MZMTP_CONF_PEER_CHANGES
    mzmtp_peerset_t changed;  /* peers whose wants may have changed since the port asked */
#endif
    uint32_t sndhwm;
    mzmtp_conn_opts_t opts;
    const mzmtp_socket_mem_t *mem;
    mzmtp_monitor_fn monitor;
    void *monitor_ctx;
    uint8_t identity[MZMTP_CONF_ROUTING_ID_MAX];
    /* The state of one pattern family, which the others do not need: a socket has one
     * type, so the families share the bytes (src/socket/socket_int.h). */
    union {
#if MZMTP_SOCK_HAS_PUBSUB
        struct {
            mzmtp_peerset_t pending; /* SUB/XSUB: peers whose subscriptions may be stale */
#if MZMTP_CONF_SUB_TRIE
            /* the subscription trie's pool (src/util/mzmtp_subtrie.h; socket_pubsub.c) */
            mzmtp_subtrie_cell_t tab[MZMTP_CONF_SUB_BYTES / sizeof(mzmtp_subtrie_cell_t)];
#else
            uint16_t used;
            uint8_t tab[MZMTP_CONF_SUB_BYTES]; /* the packed table (socket_pubsub.c) */
#endif
        } sub;
#endif
#if (MZMTP_CONF_SOCKET_TYPES & MZMTP_TYPESET_ROUTER) && MZMTP_CONF_ROUTER_HASH
        struct {
            /* ROUTER: routing id -> peer slot index (src/util/mzmtp_idmap.h) */
            uint16_t map[MZMTP_IDMAP_SLOTS];
        } rid;
#endif
#if MZMTP_CONF_SOCKET_TYPES & MZMTP_TYPESET_REP
        struct {
            uint16_t len;
            uint8_t env[MZMTP_CONF_ENVELOPE_MAX]; /* the request's envelope, encoded */
        } rep;
#endif
        uint8_t none; /* (a union needs a member in every build) */
    } fam;
#if MZMTP_SECURITY
    /* security (src/socket/socket_sec.c) */
    mzmtp_conn_sec_t sec;
    mzmtp_auth_fn auth;
    void *auth_ctx;
#endif
    mzmtp_outq_t outq;
} mzmtp_socket_t;

#endif /* MZMTP_SOCKET_PRIVATE_H */
