/**
 * @file mzmtp_port.h
 * @brief The port contract: what a port (the glue between a TCP/IP stack and microzmtp's
 *        sockets) calls, in which order, who owns which memory, and what each status
 *        means for it.
 *
 * Applications do not need this header: they use microzmtp.h and their port's own
 * header (mzmtp_posix.h, mzmtp-contiki.h, mzmtp_lwip.h). A port includes it; the shared
 * port kit (ports/kit/mzmtp_kit.h) builds the parts every port decides the same way
 * (endpoints, reconnects, linger, dead peers, readiness) on top of it.
 *
 * ## The calls, in order, for one TCP connection
 *
 *  1. **Slot.** mzmtp_socket_peer_open(sock, keep_queue, &peer) takes a peer slot: at
 *     accept time for an incoming connection (keep_queue false), once per connecting
 *     endpoint for good (keep_queue true: the slot and what is queued for it outlive
 *     disconnects, wire-notes R4). No free slot (MZMTP_ERR_LIMIT): refuse the
 *     connection (close or reset it at once) so the caller retries.
 *     Optionally mzmtp_socket_peer_set_address() (the authenticator sees it).
 *  2. **Start.** When the transport is up: mzmtp_socket_notify(MZMTP_EV_ACCEPTED or
 *     MZMTP_EV_CONNECTED), then mzmtp_socket_peer_start(sock, peer, now). The engine
 *     queues its greeting at once: write it (step 4) without waiting for input, libzmq
 *     waits for it (wire-notes G3).
 *  3. **Input.** mzmtp_socket_peer_rx_space(sock, peer, &ptr, &len) lends @c len bytes
 *     at @c ptr (valid until the next call on the socket); receive into them and call
 *     mzmtp_socket_peer_rx_commit(sock, peer, n, now). @c len 0 means "do not read now"
 *     (undelivered messages fill the buffer, or the receive HWM): leave the bytes in the
 *     stack, with its window closed — that is the flow control; nothing is lost. Ask
 *     again after the application has read (every application call may free room).
 *     mzmtp_socket_peer_input() is the copying form of the two.
 *  4. **Output.** mzmtp_socket_peer_output(sock, peer, iov, max) fills vectors that
 *     point into the engine's command buffer and the socket's send ring (zero copy);
 *     write them in order and call mzmtp_socket_peer_output_done(sock, peer, n) with the
 *     bytes the stack took. mzmtp_socket_peer_has_output() says whether to ask for
 *     writability. Call it after every application send and after every input.
 *  5. **Timers.** mzmtp_socket_next_timeout() (or _peer_next_timeout() per started
 *     peer) says when; at that time call mzmtp_socket_tick(sock, now). When it returns
 *     true, walk mzmtp_socket_peer_next_dead() and close each peer it gives (step 6)
 *     with mzmtp_socket_peer_status() as the reason (MZMTP_OK there: a timeout).
 *     The walk also gives peers whose engine failed during an application call.
 *  6. **End.** When the transport ended (FIN, reset, error) or must end (a fatal
 *     status, a dead peer, close): write what mzmtp_socket_peer_output() still gives
 *     (after a fatal input status it holds an ERROR command: send it before the FIN),
 *     close the transport, then mzmtp_socket_peer_stop(sock, peer, why). A keep_queue
 *     slot then waits for the next mzmtp_socket_peer_start() (the port reconnects
 *     after RECONNECT_IVL, wire-notes R1, unless mzmtp_status_allows_reconnect(why) is
 *     false, R2); any other slot is free. mzmtp_socket_peer_release() frees a
 *     keep_queue slot for good (its queue is dropped).
 *  7. **Close.** mzmtp_socket_close() refuses sends from then on; the port flushes
 *     (mzmtp_socket_flushed()) for at most its linger time, then stops and releases every
 *     peer, and reports MZMTP_EV_CLOSED with mzmtp_socket_notify().
 *
 * ## What a status means for a port
 *
 * One rule (mzmtp_status.h): mzmtp_status_is_fatal(st) — and only that — means "this
 * connection ends" (step 6). A port never tests `st < 0`: MZMTP_AGAIN and the limits
 * (-20..-39) leave the connection as it is. The calls that take bytes from the network
 * (rx_commit, input) return MZMTP_OK or a fatal status. mzmtp_socket_peer_start()
 * returns MZMTP_OK, or a caller error when the slot is not open (a port bug): close the
 * transport.
 *
 * ## Who owns what
 *
 *  - The socket, its buffers and its engines belong to the application (microzmtp.h);
 *    the port borrows the socket from its first bind/connect until the port says it is
 *    released (MZMTP_EV_CLOSED).
 *  - Pointers from rx_space and the vectors from output are lent until the next call on
 *    the same socket; the port never keeps them across an application call — except as
 *    "Written and acknowledged" below allows for stable output bytes.
 *  - The port owns its transports, its records and any copy it makes.
 *  - The monitor callback runs inside these calls; it must not call back into the
 *    socket or the port (microzmtp.h, mzmtp_socket_set_monitor()).
 *
 * ## Written and acknowledged
 *
 * A stack that copies what it is given (POSIX send(), uIP through the port's segment
 * buffer, lwIP's tcp_write with TCP_WRITE_FLAG_COPY) reports bytes with
 * mzmtp_socket_peer_output_done() as soon as it took them: for the core they are then
 * written and acknowledged at once, and the send ring may reuse their room.
 * A zero-copy stack (lwIP's tcp_write without the copy flag) keeps pointers into the
 * send ring until the peer acknowledges the bytes: it reports them written when
 * tcp_write() took them and acknowledged later (tcp_sent()), and the core must not
 * reuse ring room that is written but not acknowledged. With MZMTP_CONF_TX_ACK=1 each
 * vector of mzmtp_socket_peer_output() says whether it is `stable` (send-ring bytes and
 * bodies sent by reference: they may be kept until acknowledged) or not (greeting,
 * commands, CURVE's boxes: copy them now). Such a port reports what the stack took with
 * mzmtp_socket_peer_output_written() and what the peer acknowledged, in stream order,
 * with mzmtp_socket_peer_output_acked(); ports/lwip does, the POSIX and Contiki-NG ports
 * copy and call mzmtp_socket_peer_output_done().
 *
 * Threads: the socket and its port are used from one thread, or under one lock.
 */
#ifndef MZMTP_PORT_H
#define MZMTP_PORT_H

#include "microzmtp.h"

/* ---------------------------- slots and sessions ------------------------------------ */

/**
 * Take a free peer slot for a new connection.
 * @param[in]  keep_queue true for a connecting side: the slot, and the messages queued
 *             for it, survive disconnects until mzmtp_socket_peer_release() (wire-notes R4).
 * @param[out] peer Slot index.
 * @return MZMTP_OK, MZMTP_ERR_LIMIT (all the socket's peer slots, mem->max_peers, in
 *         use), MZMTP_ERR_STATE.
 */
MZMTP_NODISCARD mzmtp_status_t mzmtp_socket_peer_open(mzmtp_socket_t *sock, bool keep_queue,
                                                      int *peer);
/** Start a ZMTP session on @p peer (a transport connection is up). */
MZMTP_NODISCARD mzmtp_status_t mzmtp_socket_peer_start(mzmtp_socket_t *sock, int peer,
                                                       uint32_t now_ms);
/** The transport of @p peer ended (reason in @p why). A keep_queue slot waits for the
 *  next mzmtp_socket_peer_start(); any other slot is freed. */
void mzmtp_socket_peer_stop(mzmtp_socket_t *sock, int peer, mzmtp_status_t why);
/** Free @p peer for good (its queue is dropped). */
void mzmtp_socket_peer_release(mzmtp_socket_t *sock, int peer);
/** Record the peer's address (text, copied, cut to MZMTP_CONF_ADDRESS_MAX − 1), given to
 *  the authenticator. Call between mzmtp_socket_peer_open() and _start(). */
void mzmtp_socket_peer_set_address(mzmtp_socket_t *sock, int peer, const char *address);
/** Report a port-level event (connected, accepted, retry, closed) to the monitor. */
void mzmtp_socket_notify(mzmtp_socket_t *sock, mzmtp_socket_event_t ev, int peer,
                         mzmtp_status_t status);

/* ---------------------------- bytes in --------------------------------------------- */

/** See mzmtp_conn_rx_space(); 0 bytes means do not read now. */
void mzmtp_socket_peer_rx_space(mzmtp_socket_t *sock, int peer, uint8_t **ptr, size_t *len);
/**
 * Account @p n received bytes and process them.
 * @return MZMTP_OK, or a fatal status (mzmtp_status_is_fatal(): a protocol error, or
 *         MZMTP_ERR_PEER_LIMIT when the peer exceeded a compile-time limit, e.g. the
 *         subscription table), which means the connection must end: write what
 *         mzmtp_socket_peer_output() still gives (an ERROR), then close the transport and
 *         call mzmtp_socket_peer_stop().
 */
MZMTP_NODISCARD mzmtp_status_t mzmtp_socket_peer_rx_commit(mzmtp_socket_t *sock, int peer,
                                                           size_t n, uint32_t now_ms);
/** Copying variant of the two calls above, for tests and simple ports. */
MZMTP_NODISCARD mzmtp_status_t mzmtp_socket_peer_input(mzmtp_socket_t *sock, int peer,
                                                       const uint8_t *in, size_t len,
                                                       uint32_t now_ms, size_t *consumed);

/* ---------------------------- bytes out -------------------------------------------- */

/** See mzmtp_conn_output(). */
size_t mzmtp_socket_peer_output(mzmtp_socket_t *sock, int peer, mzmtp_iov_t *iov, size_t max);
/** See mzmtp_conn_output_done(). For a copying stack: written and acknowledged. */
void mzmtp_socket_peer_output_done(mzmtp_socket_t *sock, int peer, size_t n);
#if MZMTP_CONF_TX_ACK
/** See mzmtp_conn_output_written(): a port whose stack keeps pointers to `stable`
 *  vectors calls this instead of mzmtp_socket_peer_output_done(), then
 *  mzmtp_socket_peer_output_acked() as the stack lets go of the bytes. Until everything
 *  written is acknowledged, the port must not call mzmtp_socket_peer_stop() while the
 *  stack may still read them (lwIP: wait for tcp_sent, or tcp_abort() first). */
void mzmtp_socket_peer_output_written(mzmtp_socket_t *sock, int peer, size_t n);
/** See mzmtp_conn_output_acked(). */
void mzmtp_socket_peer_output_acked(mzmtp_socket_t *sock, int peer, size_t n);
#endif
/** @return true when @p peer has bytes to write. */
bool mzmtp_socket_peer_has_output(mzmtp_socket_t *sock, int peer);

#if MZMTP_CONF_PEER_CHANGES
/**
 * Walk the peers whose wants — receive room (step 3: rx_space's @c len > 0) and output
 * (step 4: has_output) — may have changed since the walk last gave them, so that a port
 * with many peers re-arms only those after an event instead of asking every peer
 * (steps 3 and 4's "after every application send and after every input"). Each peer
 * given leaves the report; a change after that (even during the port's own calls on it)
 * puts it back for the next walk. Nothing is missed: every call that may change a peer's
 * wants reports it — its own port calls (open, start, rx_commit, output_done, _written,
 * _acked, stop), an application recv that read from it, a send queued for it (a message
 * for many peers reports each of them), a tick that made it a PING or killed it, a SUB's
 * new subscription (every ready peer). A peer may be reported without a change; one
 * stopped or free is reported too (its slot may be open again): ask the socket, as for
 * any peer, and skip slots without a transport. Costs the peer-set words, not the
 * slots. MZMTP_CONF_PEER_CHANGES 0: absent, and a port walks its peers after each event.
 *   for (int p = mzmtp_socket_peer_next_changed(s, -1); p >= 0;
 *        p = mzmtp_socket_peer_next_changed(s, p)) { re-arm peer p's transport; }
 * @param[in,out] sock The socket; the peer returned leaves its report.
 * @param[in]     prev The peer the last call returned, or -1 to start: the walk goes up
 *                     from there (peers below it that change meanwhile wait for the next
 *                     walk).
 * @return The lowest reported peer slot above @p prev, or -1 when there is none.
 */
int mzmtp_socket_peer_next_changed(mzmtp_socket_t *sock, int prev);
#endif

/* ---------------------------- timers and dead peers -------------------------------- */

/** Run timers (handshake timeout, heartbeats). With MZMTP_CONF_TIMER_CACHE it walks the
 *  peers only once the earliest time any of them may be due has come (O(1) before).
 *  With MZMTP_CONF_TIMER_HEAP it visits only the peers whose heap entry is due,
 *  O(log n) each, and ticks only those whose engine is due when asked again (an entry
 *  that traffic made early just moves to the engine's deadline).
 *  @return true when some peer's connection must now be closed by the port: walk them
 *          with mzmtp_socket_peer_next_dead() (false: none, nothing to walk). */
bool mzmtp_socket_tick(mzmtp_socket_t *sock, uint32_t now_ms);
/**
 * Walk the peers whose connection the port must close: those whose timers expired in
 * mzmtp_socket_tick(), and those whose engine failed during an application call (a
 * recv or send that ran its input); mzmtp_socket_peer_status() says why. Costs the
 * socket's peer-set words, not MZMTP_CONF_MAX_PEERS calls.
 *   for (int p = mzmtp_socket_peer_next_dead(s, -1); p >= 0;
 *        p = mzmtp_socket_peer_next_dead(s, p)) { close the transport; peer_stop(s, p, …); }
 * @param[in] prev The last peer seen, or -1 to start.
 * @return The lowest such peer slot above @p prev, or -1 when there is none. A peer stays
 *         in the walk until mzmtp_socket_peer_stop().
 */
int mzmtp_socket_peer_next_dead(const mzmtp_socket_t *sock, int prev);
/** @return Why @p peer is among mzmtp_socket_peer_next_dead()'s (MZMTP_OK if it is not). */
mzmtp_status_t mzmtp_socket_peer_status(const mzmtp_socket_t *sock, int peer);
/** @return ms until mzmtp_socket_tick() has work, UINT32_MAX for none. O(1) with
 *  MZMTP_CONF_TIMER_CACHE or MZMTP_CONF_TIMER_HEAP (then it may answer early, never late: a tick at that time
 *  finds nothing due and makes the answer exact again); else a walk of every slot. */
uint32_t mzmtp_socket_next_timeout(const mzmtp_socket_t *sock, uint32_t now_ms);
/** The same for one peer: without MZMTP_CONF_TIMER_CACHE, a port that knows which peers
 *  it started asks only those (mzmtp_socket_next_timeout() then walks every slot). 0 when the peer is dead, UINT32_MAX
 *  when it has no timer or is not live. */
uint32_t mzmtp_socket_peer_next_timeout(const mzmtp_socket_t *sock, int peer, uint32_t now_ms);

#endif /* MZMTP_PORT_H */
