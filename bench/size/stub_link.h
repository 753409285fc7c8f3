/*
 * stub_link.h - a stand-in transport for the size report's programs.
 *
 * It plays the port: it attaches one peer to a socket when the "link" is up, moves bytes
 * between the socket and two volatile buffers (which a radio or TCP driver would fill and
 * drain), runs the socket's timers, asks how long the loop may sleep, and detaches the
 * peer when the socket says the connection is over. Because the buffers are volatile, the compiler cannot prove any of
 * those paths dead, so --gc-sections keeps exactly what a real port would need.
 */
#ifndef STUB_LINK_H
#define STUB_LINK_H

#include "microzmtp/mzmtp_port.h"

/**
 * One pass of the port's loop for one peer of @p sock.
 * @param[in,out] sock Initialised socket, borrowed for the call.
 * @param[in,out] peer Slot of the attached peer, or -1 when none; updated.
 */
void stub_link_service(mzmtp_socket_t *sock, int *peer);

#endif /* STUB_LINK_H */
