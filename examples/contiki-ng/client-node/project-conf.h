#ifndef PROJECT_CONF_H_
#define PROJECT_CONF_H_

/* Core: 4 peers per socket; only the two types this program uses are linked. */
#define MZMTP_CONF_MAX_PEERS 4
#define MZMTP_CONF_SOCKET_TYPES (MZMTP_TYPESET_REQ | MZMTP_TYPESET_DEALER)

/* Port: two sockets; a connect and a bind each, two of them given on the serial line;
 * eight TCP connections in all (uIP has eight once TCP is on). */
#define MZMTP_CONTIKI_CONF_MAX_SOCKETS 2
#define MZMTP_CONTIKI_CONF_MAX_ENDPOINTS 4
#define MZMTP_CONTIKI_CONF_MAX_CONNS 8

/* TCP on, and the per-target settings every example shares. */
#include "../common/example-conf.h"

#endif /* PROJECT_CONF_H_ */
