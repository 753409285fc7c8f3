#ifndef PROJECT_CONF_H_
#define PROJECT_CONF_H_

/* 1: the serial test commands (pub-node.c); 0: the publisher alone. */
#ifndef PUB_NODE_COMMANDS
#define PUB_NODE_COMMANDS 1
#endif

/* 1: the socket's monitor events ("mon ..." lines) and the port's warnings (log level
 * WARN) on the serial line; 0: neither, as a product node would be built (its counters,
 * mzmtp_contiki_get_stats(), still count refused and aborted connections). Follows
 * PUB_NODE_COMMANDS unless set. On cc2538dk, 0 saves about 700 B of flash, and the
 * status names that EXAMPLE_STATUS_NAMES 0 leaves out 631 B more (docs/contiki-ng.md). */
#ifndef PUB_NODE_VERBOSE
#define PUB_NODE_VERBOSE PUB_NODE_COMMANDS
#endif
/* Statuses by number rather than by name without it (../common/example-socket.h). */
#ifndef EXAMPLE_STATUS_NAMES
#define EXAMPLE_STATUS_NAMES PUB_NODE_VERBOSE
#endif
#if !PUB_NODE_VERBOSE && !defined(LOG_CONF_LEVEL_MZMTP)
#define LOG_CONF_LEVEL_MZMTP LOG_LEVEL_NONE
#endif

/* Core (include/microzmtp/mzmtp_config_defaults.h): 4 peers per socket, and only what
 * this node uses linked: the PUB pattern, the NULL mechanism (PLAIN off), no receiving
 * by reference, and sending by reference only for the "bigref" command.
 * Heartbeats of our own are off: the node publishes every second, so uIP's
 * retransmissions (UIP_MAXRTX) end a connection whose peer vanished, and a SUB's own
 * heartbeats are still answered (PONG). A node that mostly waits for input keeps them
 * (sub-node, multi-node, client-node do). */
#define MZMTP_CONF_MAX_PEERS 4
#define MZMTP_CONF_SOCKET_TYPES MZMTP_TYPESET_PUB
#define MZMTP_CONF_PLAIN 0
#define MZMTP_CONF_RECV_REF 0
#define MZMTP_CONF_HEARTBEAT 0
#define MZMTP_CONF_SEND_REF PUB_NODE_COMMANDS

/* Port (ports/contiki-ng/mzmtp-contiki.h): one socket, one bind plus room for two
 * connects given on the serial line, one TCP connection more than peer slots so that
 * the fifth subscriber is refused by the socket, not by the port. */
#define MZMTP_CONTIKI_CONF_MAX_SOCKETS 1
#define MZMTP_CONTIKI_CONF_MAX_ENDPOINTS 3
#define MZMTP_CONTIKI_CONF_MAX_CONNS 5
/* The node binds "*" only: without the test commands, no bind to one address. */
#ifndef MZMTP_CONTIKI_CONF_BIND_ADDR
#define MZMTP_CONTIKI_CONF_BIND_ADDR PUB_NODE_COMMANDS
#endif

/* TCP on, and the per-target settings every example shares. */
#include "../common/example-conf.h"

#endif /* PROJECT_CONF_H_ */
