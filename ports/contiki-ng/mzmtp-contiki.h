/**
 * @file mzmtp-contiki.h
 * @brief Contiki-NG port of microzmtp: ZMTP sockets over uIP's raw TCP API.
 *
 * The port moves bytes between uIP and the sockets' connection engines, keeps the
 * transport timers (reconnects, heartbeats, handshake timeouts, linger) and tells the
 * application when a socket is ready. It makes no protocol decision and does not look at
 * socket types: everything ZMTP is in the core (microzmtp.h).
 *
 * Everything runs in one Contiki process, mzmtp_contiki_process. No protothread ever
 * waits inside the library: every call returns at once; readiness comes back later as a
 * process event (mzmtp_contiki_event, data = the socket) or a callback.
 *
 * Why uIP's raw API and not tcp_socket (docs/contiki-ng.md has the long version):
 *  - input: tcp_socket ignores the "bytes to keep" its input callback returns, so bytes
 *    the engine has no room for would be lost. Here a segment goes straight into the
 *    engine's receive buffer; what does not fit waits in a per-connection stage (one
 *    window) and uip_stop() advertises a zero window until the application has read,
 *    then uip_restart() reopens it. Nothing is dropped, the peer is throttled;
 *  - output: tcp_socket_send() copies only what fits. Here each segment is copied from
 *    the engine's I/O vectors into a per-connection buffer, the engine is told exactly
 *    how many bytes left, and uIP's retransmissions resend that buffer;
 *  - a socket that accepted through tcp_socket_listen() never sets its `c` field, so
 *    sends and closes made outside a callback wait for the 500 ms periodic timer. Here
 *    every connection keeps its own struct uip_conn and asks tcpip_poll_tcp() for it.
 *
 * Endpoints: `tcp://[IPv6]:port` to connect; `tcp://[::]:port`, the same with
 * `*` for the address, or `tcp://[own address]:port` to bind (uIP listens on every address of the node). A bind
 * port of `*` or `0` picks a free port (returned). There is no name resolution and no
 * IPv4 (use Contiki-NG's NAT64 for IPv4 peers).
 *
 * Memory: fixed tables sized by the MZMTP_CONTIKI_CONF_* options below; nothing is
 * allocated. Every mzmtp_socket_t given to the port is borrowed until the port reports
 * it closed (MZMTP_EV_CLOSED through the socket's monitor, or mzmtp_contiki_closed()).
 */
#ifndef MZMTP_CONTIKI_H
#define MZMTP_CONTIKI_H

#include "contiki.h"
#include "net/ipv6/uip.h"
#include <stdbool.h>
#include <stdint.h>
#include <microzmtp/microzmtp.h>

#if !UIP_TCP
#error "microzmtp needs TCP: #define UIP_CONF_TCP 1 in project-conf.h"
#endif

/* ------------------------------------------------------------------------------------ */
/* Options: define them in project-conf.h. RAM figures are for Cortex-M3.                 */
/* ------------------------------------------------------------------------------------ */

/** Sockets the port can drive at once. Range 1..32. Default 2. RAM: 28 B each. */
#ifndef MZMTP_CONTIKI_CONF_MAX_SOCKETS
#define MZMTP_CONTIKI_CONF_MAX_SOCKETS 2
#endif

/** Bound plus connecting endpoints, over all sockets. Range 1..64. Default 4.
 *  RAM: 36 B each. */
#ifndef MZMTP_CONTIKI_CONF_MAX_ENDPOINTS
#define MZMTP_CONTIKI_CONF_MAX_ENDPOINTS 4
#endif

/**
 * TCP connections the port can carry at once, over all sockets (each also needs a uIP
 * connection, UIP_CONF_TCP_CONNS, and a peer slot of its socket, MZMTP_CONF_MAX_PEERS).
 * A connection that finds none free is reset at once. Range 1..UIP_TCP_CONNS. Default 4.
 * RAM: MZMTP_CONTIKI_CONF_RX_STAGE + MZMTP_CONTIKI_CONF_TX_BUF + 18 B each.
 */
#ifndef MZMTP_CONTIKI_CONF_MAX_CONNS
#define MZMTP_CONTIKI_CONF_MAX_CONNS 4
#endif

/**
 * Bytes of the per-connection input stage. Received bytes the engine has no room for wait
 * here while the TCP window is closed: the tail of the segment that filled the engine and
 * the segments the peer had already sent when it learnt of the zero window, at most one
 * window (UIP_RECEIVE_WINDOW) in all. It must hold one segment (UIP_TCP_MSS, which uIP
 * announces); if it holds less than a window, bytes beyond it are refused and the peer
 * resends them after its retransmission timeout (correct, slow). Lower UIP_CONF_TCP_MSS
 * (and with it UIP_RECEIVE_WINDOW) to save RAM: 6LoWPAN links gain little from large
 * segments. Default: the larger of UIP_TCP_MSS and UIP_RECEIVE_WINDOW (1220 with the
 * default 1280-byte uIP buffer).
 */
#ifndef MZMTP_CONTIKI_CONF_RX_STAGE
#if UIP_RECEIVE_WINDOW > UIP_TCP_MSS
#define MZMTP_CONTIKI_CONF_RX_STAGE UIP_RECEIVE_WINDOW
#else
#define MZMTP_CONTIKI_CONF_RX_STAGE UIP_TCP_MSS
#endif
#endif

/**
 * Bytes of the per-connection output buffer: the largest segment sent. uIP keeps one
 * unacknowledged segment per connection and asks the application to rebuild it for a
 * retransmission, so the segment is kept here until acknowledged. Any size from 64 works;
 * smaller means more round trips. Default UIP_TCP_MSS.
 */
#ifndef MZMTP_CONTIKI_CONF_TX_BUF
#define MZMTP_CONTIKI_CONF_TX_BUF UIP_TCP_MSS
#endif

/** Default reconnect interval of connecting endpoints, ms; negative: no reconnect.
 *  A random 0..interval is added. Default 100 (libzmq's ZMQ_RECONNECT_IVL). */
/* 1: a bind's host may also be an IPv6 address of the node, checked with uIP's parser
 * (uIP listens on every address of the node whatever the host). 0: only "*" and "::"
 * bind, any other host is MZMTP_ERR_INVALID, and a node that never connects links no
 * address parser (180 B on cc2538dk). */
#ifndef MZMTP_CONTIKI_CONF_BIND_ADDR
#define MZMTP_CONTIKI_CONF_BIND_ADDR 1
#endif

#ifndef MZMTP_CONTIKI_CONF_RECONNECT_IVL_MS
#define MZMTP_CONTIKI_CONF_RECONNECT_IVL_MS 100
#endif

/** Largest interval that consecutive failed connects double up to, ms; 0: no doubling.
 *  Default 0 (libzmq's ZMQ_RECONNECT_IVL_MAX). */
#ifndef MZMTP_CONTIKI_CONF_RECONNECT_IVL_MAX_MS
#define MZMTP_CONTIKI_CONF_RECONNECT_IVL_MAX_MS 0
#endif

/** Contiki-NG log level of the port (LOG_LEVEL_NONE..LOG_LEVEL_DBG). Default WARN. */
#ifndef LOG_CONF_LEVEL_MZMTP
#define LOG_CONF_LEVEL_MZMTP LOG_LEVEL_WARN
#endif

#if MZMTP_CONTIKI_CONF_MAX_SOCKETS < 1 || MZMTP_CONTIKI_CONF_MAX_SOCKETS > 32
#error "MZMTP_CONTIKI_CONF_MAX_SOCKETS must be 1..32"
#endif
#if MZMTP_CONTIKI_CONF_MAX_ENDPOINTS < 1 || MZMTP_CONTIKI_CONF_MAX_ENDPOINTS > 64
#error "MZMTP_CONTIKI_CONF_MAX_ENDPOINTS must be 1..64"
#endif
#if MZMTP_CONTIKI_CONF_MAX_CONNS < 1 || MZMTP_CONTIKI_CONF_MAX_CONNS > UIP_TCP_CONNS
#error "MZMTP_CONTIKI_CONF_MAX_CONNS must be 1..UIP_CONF_TCP_CONNS"
#endif
#if MZMTP_CONTIKI_CONF_RX_STAGE < UIP_TCP_MSS
#error "MZMTP_CONTIKI_CONF_RX_STAGE must hold one segment: at least UIP_TCP_MSS bytes"
#endif
#if MZMTP_CONTIKI_CONF_RX_STAGE > 65535
#error "MZMTP_CONTIKI_CONF_RX_STAGE must be at most 65535"
#endif
#if MZMTP_CONTIKI_CONF_TX_BUF < 64 || MZMTP_CONTIKI_CONF_TX_BUF > 65535
#error "MZMTP_CONTIKI_CONF_TX_BUF must be 64..65535"
#endif

/* ------------------------------------------------------------------------------------ */
/* API. Call it from any Contiki process; never from an interrupt.                         */
/* ------------------------------------------------------------------------------------ */

/** The process that runs the port (started by mzmtp_contiki_init()). */
PROCESS_NAME(mzmtp_contiki_process);

/** Event posted to an attached process when a socket becomes ready; data is the
 *  mzmtp_socket_t *. Valid after mzmtp_contiki_init(). */
extern process_event_t mzmtp_contiki_event;

/**
 * Readiness callback. Called from mzmtp_contiki_process (never from inside uIP), so it
 * may call every mzmtp_contiki_* and mzmtp_socket_* function.
 * @param sock   The socket.
 * @param events MZMTP_POLLIN and/or MZMTP_POLLOUT: what became ready.
 * @param ctx    As given to mzmtp_contiki_attach().
 */
typedef void (*mzmtp_contiki_ready_fn)(mzmtp_socket_t *sock, unsigned events, void *ctx);

/** Counters, for tests and field diagnostics. */
typedef struct mzmtp_contiki_stats {
  uint32_t accepted; /**< Incoming connections given a peer slot. */
  uint32_t refused;  /**< Incoming connections reset: no free slot or connection. */
  uint32_t stalls;   /**< Times the engine was full and the window was closed. */
  uint32_t resumes;  /**< Times the window was opened again. */
  uint32_t staged_max; /**< Largest tail ever staged, bytes. */
  uint32_t aborted;  /**< Connections reset by the port (misbehaving peer). */
} mzmtp_contiki_stats_t;

/** Start the port's process (once; later calls do nothing). Call it after the network
 *  stack is up, e.g. at the start of the application's process. */
void mzmtp_contiki_init(void);

#if MZMTP_CONF_CURVE
/**
 * The platform's cryptographic random source, an mzmtp_random_fn: getrandom() on native,
 * Contiki-NG's CSPRNG (CSPRNG_CONF_ENABLED 1, seeded by the platform: on cc2538 from the
 * radio's noise) elsewhere. mzmtp_contiki_attach() installs it on every socket; an
 * application uses it for its own keys (mzmtp_curve_keypair).
 * @return false when no bytes can be given (the CSPRNG not seeded yet).
 */
bool mzmtp_contiki_random(void *ctx, uint8_t *buf, size_t len);
#endif

/**
 * Register @p sock with the port and say where readiness goes. Optional: bind/connect
 * register a socket on first use with the calling process as @p app and no callback.
 * Calling it again updates the targets. With CURVE compiled in, it also installs
 * mzmtp_contiki_random() as the socket's random source (install another one after it).
 * @param[in,out] sock Initialised socket, borrowed until the port reports it closed.
 * @param[in]     app  Process that receives mzmtp_contiki_event, or NULL.
 * @param[in]     fn   Callback, or NULL. Both may be set.
 * @param[in]     ctx  Passed to @p fn untouched.
 * @return MZMTP_OK, MZMTP_ERR_INVALID (NULL socket), MZMTP_ERR_LIMIT (socket table
 *         full), MZMTP_ERR_STATE (the socket is closing).
 *
 * Event contract: POLLIN is reported once, then again only after the application
 * called one of mzmtp_contiki_recv()/_send()/_subscribe()/_unsubscribe()/_kick() for
 * that socket (so read until MZMTP_AGAIN, or at least call one of them, after each
 * event). POLLOUT is reported when it turns on.
 */
MZMTP_NODISCARD mzmtp_status_t mzmtp_contiki_attach(mzmtp_socket_t *sock, struct process *app,
                                                    mzmtp_contiki_ready_fn fn, void *ctx);

/**
 * Listen on @p endpoint for @p sock. Every accepted connection takes a peer slot of its
 * own; when the socket or the port has none free, the connection is reset at once.
 * @param[in]  endpoint "tcp://[::]:port" (or with `*` as the address) or
 *                      "tcp://[addr]:port"; port "*" or 0 picks a free one. Borrowed
 *                      for the call.
 * @param[out] port     The port bound (host order); may be NULL.
 * @return MZMTP_OK; MZMTP_ERR_INVALID (malformed endpoint); MZMTP_ERR_LIMIT (socket or
 *         endpoint table full); MZMTP_ERR_CLOSED (port already bound by this port);
 *         MZMTP_ERR_STATE (socket closing).
 */
MZMTP_NODISCARD mzmtp_status_t mzmtp_contiki_bind(mzmtp_socket_t *sock, const char *endpoint,
                                                  uint16_t *port);

/**
 * Connect @p sock to @p endpoint, now and after every loss (reconnect interval as set by
 * mzmtp_contiki_set_reconnect()). The endpoint takes one peer slot for good, so messages
 * sent while it is disconnected wait for it. After a protocol error (PROTOCOL, VERSION,
 * MECHANISM, SOCKET_TYPE, PEER_ERROR, MSG_SIZE) the endpoint is not retried.
 * @param[in] endpoint "tcp://[IPv6]:port", borrowed for the call.
 * @return MZMTP_OK; MZMTP_ERR_INVALID (malformed endpoint); MZMTP_ERR_LIMIT (no free peer
 *         slot, socket or endpoint entry); MZMTP_ERR_STATE (socket closing).
 */
MZMTP_NODISCARD mzmtp_status_t mzmtp_contiki_connect(mzmtp_socket_t *sock,
                                                     const char *endpoint);

/** Set the reconnect policy for every connecting endpoint (see the options above). */
void mzmtp_contiki_set_reconnect(int32_t ivl_ms, int32_t ivl_max_ms);

/**
 * Tell the port that the application used @p sock (read, sent, (un)subscribed): freed
 * receive room reopens TCP windows, queued output is written, and the socket's POLLIN
 * report is re-armed. The wrappers below call it for you. Cheap: it only polls the
 * port's process.
 */
void mzmtp_contiki_kick(mzmtp_socket_t *sock);

/** mzmtp_socket_send() followed by mzmtp_contiki_kick(); same returns. */
MZMTP_NODISCARD mzmtp_status_t mzmtp_contiki_send(mzmtp_socket_t *sock, const void *data,
                                                  size_t len, bool more);
#if MZMTP_CONF_SEND_REF
/**
 * mzmtp_socket_send_ref() followed by mzmtp_contiki_kick(); same returns. The last frame
 * of a message is written from @p data, one segment at a time (each copied into the
 * connection's output buffer as it leaves), so it may be far larger than the send ring.
 * @param[in] data Borrowed: keep it unchanged until mzmtp_socket_refs_pending() no longer
 *                 counts the message (every peer has written it, or dropped it).
 */
MZMTP_NODISCARD mzmtp_status_t mzmtp_contiki_send_ref(mzmtp_socket_t *sock, const void *data,
                                                      size_t len);
#endif
/** mzmtp_socket_recv() followed by mzmtp_contiki_kick(); same returns. */
MZMTP_NODISCARD mzmtp_status_t mzmtp_contiki_recv(mzmtp_socket_t *sock, void *buf, size_t cap,
                                                  size_t *len, unsigned *flags);
/** mzmtp_socket_subscribe() followed by mzmtp_contiki_kick(); same returns. */
MZMTP_NODISCARD mzmtp_status_t mzmtp_contiki_subscribe(mzmtp_socket_t *sock, const void *topic,
                                                       size_t len);
/** mzmtp_socket_unsubscribe() followed by mzmtp_contiki_kick(); same returns. */
MZMTP_NODISCARD mzmtp_status_t mzmtp_contiki_unsubscribe(mzmtp_socket_t *sock,
                                                         const void *topic, size_t len);

/**
 * Close @p sock without waiting: sends are refused at once (mzmtp_socket_close()); queued
 * messages are written for up to @p linger_ms; then listeners stop, connections end with
 * a FIN, peer slots are released and the socket's monitor gets MZMTP_EV_CLOSED. The
 * socket's memory may be reused once mzmtp_contiki_closed() returns true.
 * @param[in] linger_ms Longest flush in ms; 0 drops what is queued; negative waits for
 *                      ever.
 * @return MZMTP_OK, MZMTP_ERR_INVALID (not a socket of the port).
 */
mzmtp_status_t mzmtp_contiki_close(mzmtp_socket_t *sock, int32_t linger_ms);

/** @return true when @p sock is not (or no longer) driven by the port. */
bool mzmtp_contiki_closed(const mzmtp_socket_t *sock);

/** @return Monotonic milliseconds derived from clock_time(); wraps at 2^32. */
uint32_t mzmtp_contiki_now_ms(void);

/** Copy the port's counters into @p out. */
void mzmtp_contiki_get_stats(mzmtp_contiki_stats_t *out);

#endif /* MZMTP_CONTIKI_H */
