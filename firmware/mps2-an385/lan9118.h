/*
 * lan9118.h - lwIP netif driver for the SMSC LAN9118 Ethernet controller as QEMU's
 * mps2-an385 has it (0x40200000, interrupt 13). Polled: lan9118_poll() moves received
 * frames into lwIP; the interrupt only ends the idle WFI.
 */
#ifndef LAN9118_H
#define LAN9118_H

#include "lwip/err.h"
#include "lwip/netif.h"

/** netif_add() init function: resets the controller, reads its MAC address (QEMU's
 *  -nic ...,mac=), enables transmit and receive. @return ERR_OK or ERR_IF (no chip). */
err_t lan9118_init(struct netif *netif);

/** Hand every received frame to netif->input (at most @p max). @return frames moved. */
unsigned lan9118_poll(struct netif *netif, unsigned max);

/** Driver counters. */
typedef struct lan9118_stats {
    uint32_t rx, tx, rx_nomem, tx_status;
} lan9118_stats_t;
extern lan9118_stats_t lan9118_stats;

#endif /* LAN9118_H */
