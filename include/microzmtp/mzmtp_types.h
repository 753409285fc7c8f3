/**
 * @file mzmtp_types.h
 * @brief The user-facing constants of microzmtp: socket types and receive flags.
 *
 * Applications include microzmtp.h, which includes this file. It is separate only so that
 * the codec (mzmtp_wire.h) and the engine (mzmtp_conn.h), which also use these values,
 * need not include the socket API.
 */
#ifndef MZMTP_TYPES_H
#define MZMTP_TYPES_H

/** Socket types, numbered as libzmq numbers them (zmq.h). */
typedef enum mzmtp_socket_type {
    MZMTP_PAIR = 0,
    MZMTP_PUB = 1,
    MZMTP_SUB = 2,
    MZMTP_REQ = 3,
    MZMTP_REP = 4,
    MZMTP_DEALER = 5,
    MZMTP_ROUTER = 6,
    MZMTP_PULL = 7,
    MZMTP_PUSH = 8,
    MZMTP_XPUB = 9,
    MZMTP_XSUB = 10,
    MZMTP_SOCKET_TYPE_COUNT = 11
} mzmtp_socket_type_t;

/** Flags returned by mzmtp_socket_recv() (and the engine's mzmtp_conn_read()). */
#define MZMTP_RECV_MORE 0x01u    /**< More frames of this message follow. */
#define MZMTP_RECV_PARTIAL 0x02u /**< More bytes of this same frame follow. */

#endif /* MZMTP_TYPES_H */
