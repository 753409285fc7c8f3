/**
 * @file mzmtp_status.h
 * @brief Status codes shared by every layer of microzmtp.
 */
#ifndef MZMTP_STATUS_H
#define MZMTP_STATUS_H

#include <stdbool.h>

#if defined(__GNUC__) || defined(__clang__)
#define MZMTP_NODISCARD __attribute__((warn_unused_result))
#else
#define MZMTP_NODISCARD
#endif

/**
 * Result of a fallible call. One rule holds for every call that returns it:
 *  - 0 is success; 1 (MZMTP_AGAIN) is "not now": nothing was done, the same call may
 *    succeed later (room freed, a peer arrived, data came in). It is never an error.
 *  - -1..-19  caller mistakes (bad argument, wrong state): nothing was done.
 *  - -20..-39 limits of the memory or the build (the request can never succeed as it
 *             is): the object is still usable.
 *  - -40..    fatal for a connection (protocol, peer or transport): drain its output (it
 *             may hold an ERROR command), then close it. mzmtp_status_is_fatal() is the
 *             test; a port never closes a connection for any other status.
 * So a status from the network side of a socket (mzmtp_socket_peer_rx_commit(),
 * mzmtp_socket_peer_input(), mzmtp_conn_process()) is MZMTP_OK, MZMTP_AGAIN or fatal.
 */
typedef enum mzmtp_status {
    MZMTP_OK = 0,
    MZMTP_AGAIN = 1, /**< Nothing to do now: no message, no room; try again later. */

    MZMTP_ERR_INVALID = -1,       /**< A NULL pointer, an unknown option or a bad value. */
    MZMTP_ERR_STATE = -2,         /**< Not allowed in this state (closed; REQ/REP order). */
    MZMTP_ERR_NOT_SUPPORTED = -3, /**< A feature this socket type or build does not have. */

    MZMTP_ERR_NO_MEMORY = -20, /**< The buffers given at init can never hold this (a
                                    message larger than the empty send ring); a ring that
                                    is only full for now gives MZMTP_AGAIN. */
    MZMTP_ERR_LIMIT = -21,     /**< A compile-time limit (peers, topics) is reached. */
    MZMTP_ERR_TRUNCATED = -22, /**< A streamed message was cut short by its peer leaving. */
    MZMTP_ERR_UNROUTABLE = -23, /**< ROUTER with MANDATORY: no peer has that routing id. */

    MZMTP_ERR_PROTOCOL = -40,     /**< Malformed bytes from the peer (not ZMTP 3.x). */
    MZMTP_ERR_VERSION = -41,      /**< Peer speaks a ZMTP major version below 3. */
    MZMTP_ERR_MECHANISM = -42,    /**< Peer's security mechanism is not ours. */
    MZMTP_ERR_SOCKET_TYPE = -43,  /**< Peer's socket type cannot talk to ours. */
    MZMTP_ERR_PEER_ERROR = -44,   /**< Peer sent an ERROR command. */
    MZMTP_ERR_MSG_SIZE = -45,     /**< Peer's frame or message exceeds our maximum. */
    MZMTP_ERR_TIMEOUT = -46,      /**< Handshake or heartbeat timed out. */
    MZMTP_ERR_CLOSED = -47,       /**< The transport closed or failed. */
    MZMTP_ERR_AUTH = -48,         /**< Authentication failed: our authenticator denied the
                                       peer, or the peer refused our credentials. */
    MZMTP_ERR_CRYPTO = -49,       /**< A CURVE box did not open, a nonce did not increase,
                                       or the random source failed. */
    MZMTP_ERR_PEER_LIMIT = -50,   /**< The peer exceeded a compile-time limit of ours (the
                                       subscription table, topic or routing id length). */
} mzmtp_status_t;

/** @return true when @p s means the connection must be closed. */
static inline bool mzmtp_status_is_fatal(mzmtp_status_t s) { return (int)s <= -40; }

/**
 * @return false when a connection that ended for @p s must not be made again by the
 *         connecting side: the protocol errors (PROTOCOL, VERSION, MECHANISM, SOCKET_TYPE,
 *         PEER_ERROR, MSG_SIZE, AUTH, CRYPTO) — the peer will not change, and libzmq does not retry
 *         either (wire-notes R2). Every port's reconnect logic asks this.
 */
bool mzmtp_status_allows_reconnect(mzmtp_status_t s);

/** @return A constant, human-readable name for @p s ("MZMTP_ERR_PROTOCOL"…). */
const char *mzmtp_status_str(mzmtp_status_t s);

#endif /* MZMTP_STATUS_H */
