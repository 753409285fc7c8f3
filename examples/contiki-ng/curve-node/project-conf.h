#ifndef PROJECT_CONF_H_
#define PROJECT_CONF_H_

/* Core: CURVE comes from the Makefile (MZMTP_CURVE = 1 sets MZMTP_CONF_CURVE); 2 peers
 * per socket; only PUB and REQ linked. The default 128-byte command buffer is enough:
 * CURVE's large handshake commands use the socket's handshake slots
 * (MZMTP_CONF_CURVE_HANDSHAKES). */
#define MZMTP_CONF_MAX_PEERS 2
#define MZMTP_CONF_SOCKET_TYPES (MZMTP_TYPESET_PUB | MZMTP_TYPESET_REQ)
#define MZMTP_CONF_PLAIN 0

/* Port: the PUB and two REQs; a bind and two connects; two subscribers and two
 * servers at once. */
#define MZMTP_CONTIKI_CONF_MAX_SOCKETS 3
#define MZMTP_CONTIKI_CONF_MAX_ENDPOINTS 3
#define MZMTP_CONTIKI_CONF_MAX_CONNS 4

/* CURVE's keys and nonces come from Contiki-NG's CSPRNG on chips (native uses
 * getrandom(); ports/contiki-ng/mzmtp-contiki.c). */
#define CSPRNG_CONF_ENABLED 1

/* TCP on, and the per-target settings every example shares. */
#include "../common/example-conf.h"

#endif /* PROJECT_CONF_H_ */
