/*
 * mzmtp_lwip_ep.h - what the lwIP port's two files share (not for applications):
 * mzmtp_lwip.c has the connections, mzmtp_lwip_ep.c the endpoints and the socket table.
 */
#ifndef MZMTP_LWIP_EP_H
#define MZMTP_LWIP_EP_H

#include "mzmtp_lwip.h"

enum { EP_FREE = 0, EP_BIND, EP_CONNECT };         /* mzmtp_lwip_endpoint_t.kind */
enum { EP_WAIT = 0, EP_CONNECTING, EP_UP, EP_STOPPED }; /* .state */

#define NO_INDEX (-1)

/** A connecting endpoint lost its connection, or its attempt failed (@p failed_connect):
 *  the next attempt after the reconnect interval (doubled after failed attempts, up to
 *  the maximum) plus a random part; none when reconnects are off. In mzmtp_lwip_ep.c. */
void mzmtp_lwip_ep_retry(mzmtp_lwip_t *io, mzmtp_lwip_endpoint_t *e, uint32_t now,
                         bool failed_connect);

/** lwIP's accept callback of every listening pcb (arg: the endpoint). In mzmtp_lwip.c. */
err_t mzmtp_lwip_ep_on_accept(void *arg, struct tcp_pcb *pcb, err_t err);

#endif /* MZMTP_LWIP_EP_H */
