/*
 * What the firmware examples share beyond board.h and net.h: the host's endpoint from a
 * "port=N" option, opening a socket that binds and its "bound to" line, and reading a
 * whole message into a fixed buffer.
 */
#ifndef EXAMPLE_H
#define EXAMPLE_H

#include "board.h"
#include "net.h"

/* "tcp://10.0.2.2:<port>" (QEMU user networking's host) into dst[32]. */
static inline void example_host_endpoint(char dst[32], uint16_t port)
{
    static const char host[] = "tcp://10.0.2.2:";
    char d[6];
    int n = 0;
    size_t k = 0;
    while (host[k] != '\0') {
        dst[k] = host[k];
        k++;
    }
    do {
        d[n++] = (char)('0' + port % 10u);
        port = (uint16_t)(port / 10u);
    } while (port != 0);
    while (n > 0) {
        dst[k++] = d[--n];
    }
    dst[k] = '\0';
}

/* The host's endpoint from the "port=N" option into dst[32]; when the option is missing,
 * say @p usage and return false. */
static inline bool example_host_arg(char dst[32], const char *usage)
{
    uint16_t port = net_arg_port("port=", 0);
    if (port == 0) {
        board_puts(usage);
        return false;
    }
    example_host_endpoint(dst, port);
    return true;
}

/* Say "<what> bound to" the any-address endpoint with its port (no newline: the caller
 * may add to the line). */
static inline void example_say_bound(const char *what, uint16_t port)
{
    board_puts(what);
    board_puts(" bound to tcp://*:");
    board_putu(port);
}

/* Initialise @p s as a @p type socket over @p mem and bind it to @p endpoint (the any
 * address and a port), then say "<what> bound to" it with its port, as example_say_bound()
 * does (no newline). On failure say "<what> setup failed" and return false. */
static inline bool example_open_bound(mzmtp_socket_t *s, int type, const mzmtp_socket_mem_t *mem,
                                      const char *endpoint, const char *what)
{
    uint16_t port = 0;
    if (mzmtp_socket_init(s, type, mem) != MZMTP_OK ||
        mzmtp_lwip_bind(&net_io, s, endpoint, &port) != MZMTP_OK) {
        board_puts(what);
        board_puts(" setup failed\n");
        return false;
    }
    example_say_bound(what, port);
    return true;
}

/* Read the next piece of a message into buf[*have..cap); once buf is full the rest of the
 * message is read and dropped. @return mzmtp_socket_recv()'s status; with MZMTP_OK,
 * *more says whether the message goes on. */
static inline mzmtp_status_t example_recv_piece(mzmtp_socket_t *s, uint8_t *buf, size_t cap,
                                                size_t *have, bool *more)
{
    static uint8_t scrap[32];
    size_t len;
    unsigned flags;
    mzmtp_status_t st = mzmtp_socket_recv(s, *have < cap ? buf + *have : scrap,
                                          *have < cap ? cap - *have : sizeof scrap, &len, &flags);
    if (st == MZMTP_OK) {
        if (*have < cap) {
            *have += len;
        }
        *more = (flags & (MZMTP_RECV_MORE | MZMTP_RECV_PARTIAL)) != 0;
    }
    return st;
}

#endif /* EXAMPLE_H */
