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

/** The connect side, in mzmtp_lwip.c, reached only through mzmtp_lwip_t.connector (set by
 *  mzmtp_lwip_connect()) so that an image that never connects does not link it. */
struct mzmtp_lwip_connector {
    /** Start an attempt of the due endpoint io->ep[ep]. */
    void (*attempt)(mzmtp_lwip_t *io, int ep, uint32_t now);
    /** @p c (of a connecting endpoint) ended: schedule the retry or stop the endpoint. */
    void (*lost)(mzmtp_lwip_conn_t *c, bool started, mzmtp_status_t why, uint32_t now);
};
typedef struct mzmtp_lwip_connector mzmtp_lwip_connector_t;
extern const mzmtp_lwip_connector_t mzmtp_lwip_ep_connector;

#endif /* MZMTP_LWIP_EP_H */
