/*
 * net.h - the network half of every example firmware: lwIP with NO_SYS=1 on the LAN9118,
 * the microzmtp lwIP port, and the main loop's network step.
 */
#ifndef NET_H
#define NET_H

#include <stdint.h>
#include "mzmtp_lwip.h"

/** The port every example drives its sockets with. */
extern mzmtp_lwip_t net_io;

/** Start the board, lwIP (10.0.2.15/24, gateway 10.0.2.2) and the port. Exits the
 *  emulation (status 2) if the Ethernet controller is missing. */
void net_init(void);

/**
 * One turn of the main loop's network work: received frames into lwIP, lwIP's timers,
 * the port (mzmtp_lwip_poll()). Then, unless @p sock has a message to read (or is
 * NULL), the core waits (WFI) for an interrupt: a frame, or the next millisecond.
 */
void net_step(mzmtp_socket_t *sock);

/** @return The number after "port=" (or @p dflt) in QEMU's -append text. */
uint16_t net_arg_port(const char *key, uint16_t dflt);

#endif /* NET_H */
