/*
 * mzmtp_lwip_ep.h - what the lwIP port's two files share (not for applications):
 * mzmtp_lwip.c has the connections, mzmtp_lwip_ep.c the endpoints and the socket table.
 */
#ifndef MZMTP_LWIP_EP_H
#define MZMTP_LWIP_EP_H

#include "mzmtp_lwip.h"

#define NO_INDEX (-1)

/** lwIP's accept callback of every listening pcb (arg: the endpoint). In mzmtp_lwip.c. */
err_t mzmtp_lwip_ep_on_accept(void *arg, struct tcp_pcb *pcb, err_t err);

#endif /* MZMTP_LWIP_EP_H */
