/**
 * @file microzmtp.h
 * @brief microzmtp sockets: ZeroMQ socket patterns over the sans-I/O ZMTP engine.
 *
 * A socket has as many peer slots as its memory gives it (up to MZMTP_CONF_MAX_PEERS),
 * each with its engine, a send ring shared by them and, PUB/SUB, a subscription table.
 * It does no I/O: a port (ports/posix, …) attaches a peer for each TCP connection and
 * moves bytes through the port contract (mzmtp_port.h). Sends never block: they queue,
 * drop (PUB at the HWM, as ZeroMQ does) or return MZMTP_AGAIN.
 *
 * Memory: the socket struct itself (place it in static storage) plus the buffers and peer
 * slots of mzmtp_socket_mem_t, which MZMTP_SOCKET_MEM_DEFINE() declares. Nothing is
 * allocated. Users include this header only; the fields of mzmtp_socket_t and
 * mzmtp_peer_t are private (mzmtp_socket_private.h).
 * Threads: a socket and its port must be used from one thread (or under one lock).
 */
#ifndef MICROZMTP_H
#define MICROZMTP_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "mzmtp_config_defaults.h"
#include "mzmtp_status.h"
#include "mzmtp_types.h" /* socket types, receive flags */
#include "mzmtp_wire.h"
#include "mzmtp_conn.h"
#include "mzmtp_security.h"
#include "mzmtp_index.h"

#define MZMTP_VERSION_MAJOR 0
#define MZMTP_VERSION_MINOR 1
#define MZMTP_VERSION_PATCH 0
#define MZMTP_VERSION_STRING "0.1.0"

/** One peer slot of a socket: its connection engine and what the socket keeps per peer
 *  (fields private, mzmtp_socket_private.h). An application provides them, as many as
 *  the socket may have peers, in mzmtp_socket_mem_t. */
typedef struct mzmtp_peer mzmtp_peer_t;

/** Memory a socket runs in; everything here is borrowed for the socket's lifetime. */
typedef struct mzmtp_socket_mem {
    uint8_t *send_buf;  /**< Send ring: must hold the largest message sent, encoded. */
    size_t send_size;
    uint8_t *recv_buf;  /**< max_peers receive buffers of recv_per_peer bytes. */
    size_t recv_per_peer; /**< ≥ MZMTP_RECV_MIN; larger messages stream through in pieces. */
    mzmtp_peer_t *peers; /**< max_peers peer slots (contents need no initialising). */
    size_t max_peers;    /**< This socket's peer slots: 1..MZMTP_CONF_MAX_PEERS. */
    /** max_peers areas of peer_buf_bytes: the per-peer state whose size depends on the
     *  socket, so that a socket pays only for what its type and mechanism use. Each area
     *  holds, in this order: a ROUTER's routing id of the peer (MZMTP_PEER_BUF_RID), a
     *  PLAIN or CURVE server's User-Id and peer address (MZMTP_PEER_BUF_AUTH), then the
     *  engine's command output buffer (the rest, ≥ MZMTP_CMD_MIN; a SUB or XSUB needs
     *  MZMTP_CMD_SUBSCRIBE_MAX). mzmtp_socket_peer_buf_bytes() computes it. */
    uint8_t *peer_buf;
    size_t peer_buf_bytes;
} mzmtp_socket_mem_t;

/** Bytes of a ROUTER's peer_buf area that keep the peer's routing id. */
#define MZMTP_PEER_BUF_RID (1u + MZMTP_CONF_ROUTING_ID_MAX)
/** Bytes of a PLAIN or CURVE server's peer_buf area that keep the User-Id its
 *  authenticator gave and the address the port gave (0 in a build without either). */
#define MZMTP_PEER_BUF_AUTH (MZMTP_SECURITY ? MZMTP_USER_ID_MAX + MZMTP_CONF_ADDRESS_MAX : 0u)
/** peer_buf bytes per peer that fit a socket of any type and mechanism of this build:
 *  MZMTP_CONF_CMD_BUF of commands, plus a routing id and the authenticator's part where the
 *  build has ROUTER or a mechanism other than NULL, plus a CURVE engine's state where the
 *  build has CURVE (what MZMTP_SOCKET_MEM_DEFINE gives). */
#define MZMTP_PEER_BUF_DEFAULT                                                              \
    (MZMTP_CONF_CMD_BUF + ((MZMTP_CONF_SOCKET_TYPES & MZMTP_TYPESET_ROUTER) ? MZMTP_PEER_BUF_RID : 0u) + \
     MZMTP_PEER_BUF_AUTH + MZMTP_CMD_CURVE_STATE)

/**
 * The peer_buf bytes per peer (mzmtp_socket_mem_t) that one socket needs.
 * @param type          Its socket type.
 * @param identity_len  Bytes of the routing id it will set (MZMTP_OPT_ROUTING_ID), or 0.
 * @param plain_cred    A PLAIN client: bytes of its user name plus password; else 0.
 * @param mech          Its mechanism (MZMTP_MECH_CURVE: room for each engine's CURVE
 *                      state, MZMTP_CMD_CURVE_STATE).
 * @param server        It is the PLAIN or CURVE server (it keeps User-Id and address).
 * @return MZMTP_CMD_MIN, or what the SUBSCRIBE, READY or HELLO it sends needs, plus the
 *         routing id of a ROUTER, the authenticator's part of a server and CURVE's state.
 */
static inline size_t mzmtp_socket_peer_buf_bytes(int type, size_t identity_len,
                                                 size_t plain_cred, mzmtp_mechanism_t mech,
                                                 bool server)
{
    size_t cmd = MZMTP_CMD_MIN;
    if ((type == MZMTP_SUB || type == MZMTP_XSUB) && cmd < MZMTP_CMD_SUBSCRIBE_MAX) {
        cmd = MZMTP_CMD_SUBSCRIBE_MAX;
    }
    if (identity_len && cmd < MZMTP_CMD_READY_ID(identity_len)) cmd = MZMTP_CMD_READY_ID(identity_len);
    if (plain_cred && cmd < plain_cred + 18u) cmd = plain_cred + 18u;
    if (mech == MZMTP_MECH_CURVE) cmd += MZMTP_CMD_CURVE_STATE;
    return cmd + (type == MZMTP_ROUTER ? MZMTP_PEER_BUF_RID : 0u) +
           (server && mech != MZMTP_MECH_NULL ? MZMTP_PEER_BUF_AUTH : 0u);
}

/** Smallest receive buffer per peer: room for a greeting, and for the longest topic a SUB
 *  must see whole to filter (MZMTP_CONF_MAX_TOPIC) with its frame header. */
#define MZMTP_RECV_MIN (MZMTP_CONF_MAX_TOPIC + 16u > 64u ? MZMTP_CONF_MAX_TOPIC + 16u : 64u)

/**
 * Declare static memory for one socket of MZMTP_CONF_MAX_PEERS peer slots:
 * `MZMTP_SOCKET_MEM_DEFINE(pub_mem, 1024, 256);` then pass `&pub_mem` to
 * mzmtp_socket_init(). RAM: send_bytes + MAX_PEERS × (recv_bytes + sizeof(mzmtp_peer_t) +
 * MZMTP_PEER_BUF_DEFAULT).
 */
#define MZMTP_SOCKET_MEM_DEFINE(name, send_bytes, recv_bytes)                                \
    MZMTP_SOCKET_MEM_DEFINE_PEERS(name, send_bytes, recv_bytes, MZMTP_CONF_MAX_PEERS)
/** The same for a socket of @p max_peers (1..MZMTP_CONF_MAX_PEERS) peer slots. A host
 *  program that sizes sockets at run time fills a mzmtp_socket_mem_t itself instead
 *  (e.g. calloc'd: untouched peer slots and buffers then cost no resident memory). */
#define MZMTP_SOCKET_MEM_DEFINE_PEERS(name, send_bytes, recv_bytes, max_peers)                 \
    static uint8_t name##_send[(send_bytes)];                                              \
    static uint8_t name##_recv[(size_t)(max_peers) * (recv_bytes)];                        \
    static mzmtp_peer_t name##_peers[(max_peers)];                                         \
    static uint8_t name##_pbuf[(size_t)(max_peers) * MZMTP_PEER_BUF_DEFAULT];               \
    static const mzmtp_socket_mem_t name = {name##_send, (send_bytes), name##_recv,        \
                                            (recv_bytes), name##_peers, (max_peers),       \
                                            name##_pbuf, MZMTP_PEER_BUF_DEFAULT}

/** Socket events, delivered to the monitor callback (no heap, called synchronously). */
typedef enum mzmtp_socket_event {
    MZMTP_EV_CONNECTED = 1,  /**< Port: an outgoing TCP connection is up. */
    MZMTP_EV_ACCEPTED,       /**< Port: an incoming TCP connection was accepted. */
    MZMTP_EV_HANDSHAKE,      /**< A peer finished the ZMTP handshake. */
    MZMTP_EV_HANDSHAKE_FAILED, /**< status says why. */
    MZMTP_EV_DISCONNECTED,   /**< A peer's connection ended; status says why. */
    MZMTP_EV_CONNECT_RETRY,  /**< Port: a reconnect is scheduled. */
    MZMTP_EV_CLOSED          /**< The socket finished closing. */
} mzmtp_socket_event_t;

/** @return A short constant name of @p ev ("connected", "handshake-failed", …), for logs. */
const char *mzmtp_socket_event_str(mzmtp_socket_event_t ev);

struct mzmtp_socket;
typedef void (*mzmtp_monitor_fn)(void *ctx, struct mzmtp_socket *sock, mzmtp_socket_event_t ev,
                                 int peer, mzmtp_status_t status);

/** Runtime options (mzmtp_socket_setopt). Values are uint32_t unless said otherwise. */
typedef enum mzmtp_option {
    MZMTP_OPT_SNDHWM = 1,        /**< Messages queued per peer before drop/AGAIN; 0 = none. */
    MZMTP_OPT_RCVHWM,            /**< Complete messages buffered per peer; 0 = buffer size. */
    MZMTP_OPT_MAXMSGSIZE,        /**< uint64_t: largest message accepted; 0 = no limit. */
    MZMTP_OPT_HANDSHAKE_IVL,     /**< ms; 0 = none. Default 30000. */
    MZMTP_OPT_HEARTBEAT_IVL,     /**< ms between PINGs; 0 = off. */
    MZMTP_OPT_HEARTBEAT_TIMEOUT, /**< ms without traffic after a PING; 0 = IVL. */
    MZMTP_OPT_HEARTBEAT_TTL,     /**< ms the peer should wait for us; ≤ 65500. */
    MZMTP_OPT_ROUTING_ID,        /**< bytes (1..MZMTP_CONF_ROUTING_ID_MAX, no leading 0x00):
                                      the Identity sent in READY (REQ, DEALER, ROUTER). */
    MZMTP_OPT_ROUTER_MANDATORY,  /**< ROUTER: 1 = a send to an unknown id fails with
                                      MZMTP_ERR_UNROUTABLE (or MZMTP_AGAIN at the HWM)
                                      instead of being dropped. */
    MZMTP_OPT_NODROP,            /**< PUB/XPUB: 1 = a message that a matching peer at
                                      its HWM (or a full ring) cannot take is refused
                                      with MZMTP_AGAIN instead of dropped (libzmq's
                                      ZMQ_XPUB_NODROP); POLLOUT then means room. */
    MZMTP_OPT_ROUTER_ID_SEED,    /**< ROUTER: first generated id counter (use a random
                                      value, as libzmq does). */
    /* Security (mzmtp_security.h). Set before the first bind/connect; a socket speaks
     * one mechanism. Byte options take their bytes, uint32_t ones a 0/1. */
    MZMTP_OPT_PLAIN_SERVER,      /**< 1 = PLAIN server (asks the authenticator). */
    MZMTP_OPT_PLAIN_USERNAME,    /**< bytes (0..255): makes the socket a PLAIN client. */
    MZMTP_OPT_PLAIN_PASSWORD,    /**< bytes (0..255), for the PLAIN client. Wiped at close. */
    MZMTP_OPT_CURVE_SERVER,      /**< 1 = CURVE server; needs CURVE_SECRETKEY. */
    MZMTP_OPT_CURVE_PUBLICKEY,   /**< 32 bytes: our long-term public key. */
    MZMTP_OPT_CURVE_SECRETKEY,   /**< 32 bytes: our long-term secret key. Wiped at close. */
    MZMTP_OPT_CURVE_SERVERKEY,   /**< 32 bytes: the server's public key; makes the socket
                                      a CURVE client. */
} mzmtp_option_t;

/* The socket's fields, and those of its peer slots, are private: they are declared in
 * a header of their own, which this one includes so that a program can place sockets
 * and peer slots in static storage (sizeof works). Do not include that header, nor read
 * or write its fields: they change between versions without notice. */
#include "mzmtp_socket_private.h"

/**
 * Initialise @p sock as a socket of @p type over @p mem.
 * @param[out] sock Socket storage (static, typically).
 * @param[in]  type Any mzmtp_socket_type_t.
 * @param[in]  mem  Borrowed for the socket's lifetime.
 * @return MZMTP_OK, MZMTP_ERR_INVALID (NULL, buffers too small, max_peers not in
 *         1..MZMTP_CONF_MAX_PEERS, or the program was built with other MZMTP_CONF_*
 *         values than the library),
 *         MZMTP_ERR_NOT_SUPPORTED (a type this build does not have).
 */
#define mzmtp_socket_init(sock, type, mem)                                                   \
    mzmtp_socket_init_sized((sock), (type), (mem), sizeof(mzmtp_socket_t))

/** mzmtp_socket_init() passes the caller's sizeof(mzmtp_socket_t): a program compiled with
 *  other MZMTP_CONF_* values than the library gets MZMTP_ERR_INVALID, not corruption. */
MZMTP_NODISCARD mzmtp_status_t mzmtp_socket_init_sized(mzmtp_socket_t *sock, int type,
                                                       const mzmtp_socket_mem_t *mem,
                                                       size_t sock_size);

/** Set a runtime option; @p val points at a uint32_t (uint64_t for MAXMSGSIZE).
 *  @return MZMTP_OK, MZMTP_ERR_INVALID (unknown option, bad size or value). */
MZMTP_NODISCARD mzmtp_status_t mzmtp_socket_setopt(mzmtp_socket_t *sock, mzmtp_option_t opt,
                                                   const void *val, size_t len);

/** Install a monitor callback (or NULL). @p ctx is passed back untouched. The callback
 *  runs synchronously inside socket and port calls (handshakes, disconnects, a port's
 *  accept and connect): it may only read the socket (peer counts, mzmtp_socket_peer_*
 *  queries, its own ctx) and must not call anything that changes it — send, recv,
 *  subscribe, setopt, close or any port-interface call — nor the port itself; record
 *  the event and act after the port call returns. */
void mzmtp_socket_set_monitor(mzmtp_socket_t *sock, mzmtp_monitor_fn fn, void *ctx);

/**
 * Send one frame. Set @p more for every frame but the last; a message is queued only
 * when its last frame arrives and is then delivered whole or not at all.
 * PUB/XPUB: a message nobody subscribed to, or for a peer at its HWM, is dropped for
 * that peer and the call still returns MZMTP_OK (ZeroMQ semantics).
 * XSUB: a first frame starting with 0x01/0x00 subscribes/cancels the rest.
 * @return MZMTP_OK; MZMTP_AGAIN (no peer can take it, or no room in the send ring now:
 *         nothing of this frame was queued — for a first frame nothing at all; for a
 *         later one the message stays open, so send the same frame again);
 *         MZMTP_ERR_NO_MEMORY (the whole message can never fit the empty send ring: it is
 *         dropped, and its remaining frames are swallowed),
 *         MZMTP_ERR_NOT_SUPPORTED (SUB), MZMTP_ERR_STATE (closing), MZMTP_ERR_INVALID.
 */
MZMTP_NODISCARD mzmtp_status_t mzmtp_socket_send(mzmtp_socket_t *sock, const void *data,
                                                 size_t len, bool more);

#if MZMTP_CONF_SEND_REF
/**
 * Send the LAST frame of a message by reference: its @p len bytes at @p data are written
 * from where they are, and only its frame header takes room in the send ring, so a
 * message may be larger than the ring (a 1 MiB dump from a node with a 512-byte ring).
 * Earlier frames, if any, go with mzmtp_socket_send(..., more = true) as usual.
 * @param[in] data Borrowed: keep it unchanged until mzmtp_socket_refs_pending() no
 *                 longer counts the message (0 once every by-reference message has been
 *                 written to every peer, or dropped).
 * @return As mzmtp_socket_send() for a last frame.
 */
MZMTP_NODISCARD mzmtp_status_t mzmtp_socket_send_ref(mzmtp_socket_t *sock, const void *data,
                                                     size_t len);
/** @return Messages sent by reference whose memory the socket still uses. */
unsigned mzmtp_socket_refs_pending(const mzmtp_socket_t *sock);
#endif

/**
 * Receive the next bytes of a message, fair-queued over peers. A message is returned
 * frame by frame; a frame larger than @p cap (or than a peer's receive buffer) comes in
 * pieces flagged MZMTP_RECV_PARTIAL. Once a message has started, the next calls continue
 * it. XPUB: subscription changes come as 0x01/0x00 + topic.
 * @param[out] len   Bytes written to @p buf.
 * @param[out] flags MZMTP_RECV_MORE, MZMTP_RECV_PARTIAL.
 * @return MZMTP_OK, MZMTP_AGAIN (nothing now), MZMTP_ERR_TRUNCATED (the peer of a message
 *         that was streaming left before its end; the message is over),
 *         MZMTP_ERR_NOT_SUPPORTED (PUB), MZMTP_ERR_INVALID.
 */
MZMTP_NODISCARD mzmtp_status_t mzmtp_socket_recv(mzmtp_socket_t *sock, void *buf, size_t cap,
                                                 size_t *len, unsigned *flags);

#if MZMTP_CONF_RECV_REF
/**
 * As mzmtp_socket_recv(), without copying: @p *data points at the next piece of the
 * message where it lies in the peer's receive buffer — the whole frame when it is
 * buffered, else what has arrived (MZMTP_RECV_PARTIAL; the next calls continue it).
 * @param[out] data Lent, read-only: stays in place until the socket next takes input
 *                  into its buffers (mzmtp_socket_peer_rx_space(), _rx_commit(),
 *                  _peer_input(): a port's read, e.g. mzmtp_posix_run()) or stops the
 *                  peer. Further recv/recv_ref calls and sends leave it, so it may be
 *                  sent on by reference (zero-copy forwarding) if the port writes it
 *                  before reading again (mzmtp_posix_flush()). Copy what must live longer.
 * @return As mzmtp_socket_recv(); MZMTP_ERR_NOT_SUPPORTED for XPUB (its subscription
 *         notices are built on the way out: use mzmtp_socket_recv()).
 */
MZMTP_NODISCARD mzmtp_status_t mzmtp_socket_recv_ref(mzmtp_socket_t *sock, const void **data,
                                                     size_t *len, unsigned *flags);
#endif

/** SUB/XSUB: subscribe to messages whose first frame starts with @p topic (len ≤
 *  MZMTP_CONF_MAX_TOPIC; 0 = everything). Counted: each call needs one unsubscribe.
 *  @return MZMTP_OK, MZMTP_ERR_LIMIT (table full, topic too long),
 *          MZMTP_ERR_NOT_SUPPORTED (not SUB/XSUB), MZMTP_ERR_INVALID. */
MZMTP_NODISCARD mzmtp_status_t mzmtp_socket_subscribe(mzmtp_socket_t *sock, const void *topic,
                                                      size_t len);
/** @return MZMTP_OK, MZMTP_ERR_INVALID (not subscribed), MZMTP_ERR_NOT_SUPPORTED. */
MZMTP_NODISCARD mzmtp_status_t mzmtp_socket_unsubscribe(mzmtp_socket_t *sock,
                                                        const void *topic, size_t len);

#define MZMTP_POLLIN 0x01u
#define MZMTP_POLLOUT 0x02u
/** @return MZMTP_POLLIN if a recv would return data, MZMTP_POLLOUT if a small send would
 *  be queued rather than refused. */
unsigned mzmtp_socket_poll(mzmtp_socket_t *sock);

/** Begin closing: sends are refused from now on; the port flushes queued messages for
 *  up to its linger time, then detaches every peer. The socket's secrets (PLAIN password,
 *  CURVE long-term secret and cookie keys) are wiped as soon as no handshake of its peers
 *  is still running, and at the latest when it reports MZMTP_EV_CLOSED. */
void mzmtp_socket_close(mzmtp_socket_t *sock);
/** @return true when no peer has bytes left to write. */
bool mzmtp_socket_flushed(const mzmtp_socket_t *sock);
/** @return Peers whose handshake is complete. */
unsigned mzmtp_socket_peer_count(const mzmtp_socket_t *sock);
/** @return The socket's peer slots (its mem->max_peers): peer numbers are below it. */
unsigned mzmtp_socket_max_peers(const mzmtp_socket_t *sock);
/** @return Messages queued for @p peer and not yet fully written (what its send HWM
 *  counts); 0 for a free slot. A sender that must not outrun a reading peer (a tool
 *  fed from a file) watches it; ZeroMQ's PUB itself drops at the HWM. */
uint32_t mzmtp_socket_peer_queued(const mzmtp_socket_t *sock, int peer);
/** @return Bytes (frame headers included: 2 per frame up to 255 bytes, 9 above) of the
 *  largest message the send ring takes now without dropping or shedding anything;
 *  0 when every send slot is in use. */
size_t mzmtp_socket_send_room(const mzmtp_socket_t *sock);
/** @return PUB/XPUB: handshaken peers with at least one subscription (what a publisher
 *  waits for before its first message, as zmtpcat --wait-peers does); 0 otherwise. */
unsigned mzmtp_socket_sub_peer_count(const mzmtp_socket_t *sock);
/** @return true while the transport of @p peer is up (started, not stopped). */
bool mzmtp_socket_peer_live(const mzmtp_socket_t *sock, int peer);

/* The port interface (peer slots, bytes in and out, timers, dead peers) is the port
 * contract, in mzmtp_port.h; applications do not need it. */

/* ---------------------------- security (mzmtp_security.h) --------------------------- */

/** Install the authenticator (or NULL): see mzmtp_auth_fn. @p ctx is passed back. */
void mzmtp_socket_set_auth(mzmtp_socket_t *sock, mzmtp_auth_fn fn, void *ctx);
/** Install the random source CURVE needs (ports install the platform's own). */
void mzmtp_socket_set_random(mzmtp_socket_t *sock, mzmtp_random_fn fn, void *ctx);
/** @return The socket's mechanism, as its options select it. */
mzmtp_mechanism_t mzmtp_socket_mechanism(const mzmtp_socket_t *sock);
/** @return The peer slot of the message being read (or last read) by mzmtp_socket_recv(),
 *  or -1: with mzmtp_socket_peer_user_id() it gives each message's User-Id. */
int mzmtp_socket_recv_peer(const mzmtp_socket_t *sock);
/** The User-Id the authenticator gave @p peer (empty for NULL and for a client side).
 *  @param[out] id Lent until the peer's slot is reused. @return Its length. */
size_t mzmtp_socket_peer_user_id(const mzmtp_socket_t *sock, int peer, const uint8_t **id);

#endif /* MICROZMTP_H */
