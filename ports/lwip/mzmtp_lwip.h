/**
 * @file mzmtp_lwip.h
 * @brief lwIP port of microzmtp: ZMTP sockets over lwIP's raw TCP API.
 *
 * The port moves bytes between lwIP TCP connections and the sockets' connection engines,
 * keeps the transport timers (reconnects with back-off, linger) and runs the engines'
 * timers (heartbeats, handshake timeouts). It makes no protocol decision: everything ZMTP
 * is in the core (microzmtp.h), used through its port interface.
 *
 * Flow control, both ways, with no copy of a window inside the port:
 *  - input: a received pbuf chain goes into the engine's receive buffer as far as it has
 *    room, and tcp_recved() is called for exactly those bytes. What the engine cannot
 *    take stays where lwIP put it (the pbuf chain, owned by the port from the tcp_recv
 *    callback on) until the application has read; the TCP window stays closed by the
 *    same amount, so the peer is throttled and nothing is lost;
 *  - output: the engine's I/O vectors (into its command buffer and the send ring) go to
 *    tcp_write() with TCP_WRITE_FLAG_COPY, as far as tcp_sndbuf() allows, and the engine
 *    is told at once that they are written. The copy exists because the port interface
 *    says "written", not "acknowledged": without the copy flag lwIP would keep pointers
 *    into the send ring until tcp_sent(), and the core would have to hold those bytes
 *    until then (a core change, see docs/lwip.md).
 *
 * Endpoints: `tcp://a.b.c.d:port` (and `tcp://[IPv6]:port` when LWIP_IPV6) to connect;
 * `tcp://` `*:port`, `tcp://0.0.0.0:port`, `tcp://[::]:port` or an own address to bind.
 * Port `*` or 0 on bind takes a free port (returned). No name resolution.
 *
 * Threads: NO_SYS=1 — call everything from the main loop, which also calls lwIP's
 * sys_check_timeouts() and the netif's input. NO_SYS=0 — hold the tcpip core lock
 * (LOCK_TCPIP_CORE(), LWIP_TCPIP_CORE_LOCKING=1) around every mzmtp_lwip_* and
 * mzmtp_socket_* call made outside the tcpip thread; the port's lwIP callbacks run in the
 * tcpip thread, under that lock.
 *
 * Time: sys_now() (milliseconds, may wrap), which a NO_SYS=1 application provides.
 *
 * Memory: one mzmtp_lwip_t (static, typically) holds every table, sized by the
 * MZMTP_LWIP_CONF_* options below; nothing is allocated by the port. lwIP's own pools
 * must have room too: a tcp_pcb per connection (MEMP_NUM_TCP_PCB), a listen pcb per bind
 * (MEMP_NUM_TCP_PCB_LISTEN). Every socket given to the port is borrowed until
 * mzmtp_lwip_closed() says it is released.
 */
#ifndef MZMTP_LWIP_H
#define MZMTP_LWIP_H

#include <stdbool.h>
#include <stdint.h>
#include "lwip/opt.h"
#include "lwip/tcp.h"
#include <microzmtp/microzmtp.h>
#include "../kit/mzmtp_kit.h"

#if !LWIP_TCP
#error "microzmtp needs TCP: LWIP_TCP 1 in lwipopts.h"
#endif
#if !LWIP_CALLBACK_API
#error "the lwIP port uses the raw API's callbacks: LWIP_CALLBACK_API 1"
#endif

/* ------------------------------------------------------------------------------------ */
/* Options: define them in lwipopts.h or on the command line.                            */
/* ------------------------------------------------------------------------------------ */

/** Sockets the port drives at once. Range 1..32. Default 2. RAM: 16 B each (Cortex-M3). */
#ifndef MZMTP_LWIP_CONF_MAX_SOCKETS
#define MZMTP_LWIP_CONF_MAX_SOCKETS 2
#endif

/** Bound plus connecting endpoints, over all sockets. Range 1..64. Default 4.
 *  RAM: 32 B each (Cortex-M3, IPv4 only; 48 B with IPv6). */
#ifndef MZMTP_LWIP_CONF_MAX_ENDPOINTS
#define MZMTP_LWIP_CONF_MAX_ENDPOINTS 4
#endif

/** TCP connections at once, over all sockets (each also needs a tcp_pcb and a peer slot
 *  of its socket). An incoming connection that finds none free is reset. Range 1..127.
 *  Default 4. RAM: 20 B each (Cortex-M3), plus what lwIP holds for it. */
#ifndef MZMTP_LWIP_CONF_MAX_CONNS
#define MZMTP_LWIP_CONF_MAX_CONNS 4
#endif

/** I/O vectors asked of the engine per write. Range 1..64. Default 4. Stack: 8 B each. */
#ifndef MZMTP_LWIP_CONF_IOVS
#define MZMTP_LWIP_CONF_IOVS 4
#endif

/** Default reconnect interval of connecting endpoints, ms; negative: no reconnect.
 *  A random 0..interval is added. Default 100 (libzmq's ZMQ_RECONNECT_IVL). */
#ifndef MZMTP_LWIP_CONF_RECONNECT_IVL_MS
#define MZMTP_LWIP_CONF_RECONNECT_IVL_MS 100
#endif

/** Largest interval that consecutive failed connects double up to, ms; 0: no doubling.
 *  Default 0 (libzmq's ZMQ_RECONNECT_IVL_MAX). */
#ifndef MZMTP_LWIP_CONF_RECONNECT_IVL_MAX_MS
#define MZMTP_LWIP_CONF_RECONNECT_IVL_MAX_MS 0
#endif

#if MZMTP_LWIP_CONF_MAX_SOCKETS < 1 || MZMTP_LWIP_CONF_MAX_SOCKETS > 32
#error "MZMTP_LWIP_CONF_MAX_SOCKETS must be 1..32"
#endif
#if MZMTP_LWIP_CONF_MAX_ENDPOINTS < 1 || MZMTP_LWIP_CONF_MAX_ENDPOINTS > 64
#error "MZMTP_LWIP_CONF_MAX_ENDPOINTS must be 1..64"
#endif
#if MZMTP_LWIP_CONF_MAX_CONNS < 1 || MZMTP_LWIP_CONF_MAX_CONNS > 127
#error "MZMTP_LWIP_CONF_MAX_CONNS must be 1..127"
#endif
#if MZMTP_LWIP_CONF_IOVS < 1 || MZMTP_LWIP_CONF_IOVS > 64
#error "MZMTP_LWIP_CONF_IOVS must be 1..64"
#endif
#if MEMP_NUM_TCP_PCB < MZMTP_LWIP_CONF_MAX_CONNS
#error "MEMP_NUM_TCP_PCB must be at least MZMTP_LWIP_CONF_MAX_CONNS (lwIP kills live connections otherwise)"
#endif

/* ------------------------------------------------------------------------------------ */
/* Port state. The fields are private; the struct is public for static allocation.       */
/* ------------------------------------------------------------------------------------ */

struct mzmtp_lwip;

/** One TCP connection (private). */
typedef struct mzmtp_lwip_conn {
    struct mzmtp_lwip *io;
    struct tcp_pcb *pcb;  /* NULL once lwIP freed it (tcp_err) or we closed it */
    mzmtp_socket_t *sock; /* NULL: free record */
    struct pbuf *rx;      /* received bytes the engine has not taken yet */
    int8_t peer;          /* the socket's peer slot */
    int8_t ep;            /* connecting endpoint, or -1 (accepted) */
    uint8_t flags;
    int8_t why;           /* mzmtp_status_t: why the session ends, once known */
#if MZMTP_CONF_TX_ACK
    uint32_t tx_unacked;  /* bytes given to tcp_write and not yet acknowledged (tcp_sent) */
    uint32_t tx_ref_left; /* of those, how many must be acknowledged before lwIP holds no
                             pointer into the send ring any more (0: none held) */
#endif
} mzmtp_lwip_conn_t;

/** A bound or connecting endpoint (private): the kit's record (ports/kit/mzmtp_kit.h:
 *  kind, state, peer slot, port, reconnect schedule) and lwIP's address and pcb. */
typedef struct mzmtp_lwip_endpoint {
    mzmtp_kit_ep_t k;       /* k.sock NULL: free */
    struct mzmtp_lwip *io;
    struct tcp_pcb *listen; /* bind: the listening pcb */
    ip_addr_t addr;
} mzmtp_lwip_endpoint_t;

/** A socket the port drives (private): the kit's record (linger). */
typedef struct mzmtp_lwip_sockent {
    mzmtp_kit_sock_t k;     /* k.sock NULL: free */
} mzmtp_lwip_sockent_t;

/** Counters, for tests and field diagnostics. */
typedef struct mzmtp_lwip_stats {
    uint32_t accepted; /**< Incoming connections given a peer slot. */
    uint32_t refused;  /**< Incoming connections reset: no free slot or record. */
    uint32_t held_max; /**< Most received bytes ever waiting for the engine, one connection. */
    uint32_t stalls;   /**< Times received bytes had to wait (the window stayed closed). */
    uint32_t connects; /**< Outgoing connection attempts. */
} mzmtp_lwip_stats_t;

/** The port: every table it needs. Initialise with mzmtp_lwip_init(). */
typedef struct mzmtp_lwip {
    mzmtp_lwip_conn_t conn[MZMTP_LWIP_CONF_MAX_CONNS];
    mzmtp_lwip_endpoint_t ep[MZMTP_LWIP_CONF_MAX_ENDPOINTS];
    mzmtp_lwip_sockent_t sock[MZMTP_LWIP_CONF_MAX_SOCKETS];
    mzmtp_kit_reconnect_t rc;
    mzmtp_lwip_stats_t stats;
    const struct mzmtp_lwip_connector *connector; /* set by mzmtp_lwip_connect() */
} mzmtp_lwip_t;

/* ------------------------------------------------------------------------------------ */
/* API                                                                                    */
/* ------------------------------------------------------------------------------------ */

/** Initialise @p io (after lwip_init()). @param[out] io Port storage, static typically. */
void mzmtp_lwip_init(mzmtp_lwip_t *io);

/**
 * Listen on @p endpoint for @p sock. Each accepted connection takes a peer slot of its
 * own; when the socket or the port has none free, the connection is reset at once.
 * @param[in]  endpoint See the file comment; borrowed for the call.
 * @param[out] port     The port bound; may be NULL.
 * @return MZMTP_OK; MZMTP_ERR_INVALID (malformed endpoint, NULL); MZMTP_ERR_LIMIT (socket
 *         or endpoint table full, or lwIP out of pcbs); MZMTP_ERR_CLOSED (lwIP refused
 *         the address or port: in use); MZMTP_ERR_STATE (socket closing).
 */
MZMTP_NODISCARD mzmtp_status_t mzmtp_lwip_bind(mzmtp_lwip_t *io, mzmtp_socket_t *sock,
                                               const char *endpoint, uint16_t *port);

/**
 * Connect @p sock to @p endpoint, at the next mzmtp_lwip_poll() and after every loss
 * (reconnect interval of mzmtp_lwip_set_reconnect()). The endpoint holds one peer slot
 * for good, so messages sent while disconnected wait for it. After a protocol error
 * (mzmtp_status_allows_reconnect() false) the endpoint is not retried.
 * @return MZMTP_OK; MZMTP_ERR_INVALID; MZMTP_ERR_LIMIT (no free peer slot, socket or
 *         endpoint entry); MZMTP_ERR_STATE (socket closing).
 */
MZMTP_NODISCARD mzmtp_status_t mzmtp_lwip_connect(mzmtp_lwip_t *io, mzmtp_socket_t *sock,
                                                  const char *endpoint);

/** Set the reconnect policy of every connecting endpoint (see the options above). */
void mzmtp_lwip_set_reconnect(mzmtp_lwip_t *io, int32_t ivl_ms, int32_t ivl_max_ms);

/**
 * Do the port's work outside lwIP's callbacks: received bytes that waited go to the
 * engines (and their window reopens) once the application has read, queued messages are
 * written, engine timers run, dead and closing connections end, reconnects happen.
 * Call it in the main loop after the application's socket calls (and after
 * sys_check_timeouts()).
 * @return Milliseconds until it has timed work (0: call again at once; UINT32_MAX:
 *         none): an idle loop may sleep that long, or until a frame arrives.
 */
uint32_t mzmtp_lwip_poll(mzmtp_lwip_t *io);

/**
 * Close @p sock without waiting: sends are refused at once (mzmtp_socket_close()); queued
 * messages are written for up to @p linger_ms; then listeners stop, connections end with
 * a FIN and the peer slots are released (the monitor gets MZMTP_EV_CLOSED).
 * @param[in] linger_ms Longest flush in ms; 0 drops what is queued; negative waits.
 * @return MZMTP_OK, MZMTP_ERR_INVALID (not a socket of the port).
 */
mzmtp_status_t mzmtp_lwip_close(mzmtp_lwip_t *io, mzmtp_socket_t *sock, int32_t linger_ms);

/** @return true when @p sock is not (or no longer) driven by the port. */
bool mzmtp_lwip_closed(const mzmtp_lwip_t *io, const mzmtp_socket_t *sock);

/** Copy the port's counters into @p out. */
void mzmtp_lwip_get_stats(const mzmtp_lwip_t *io, mzmtp_lwip_stats_t *out);

#endif /* MZMTP_LWIP_H */
