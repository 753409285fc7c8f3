#ifndef PROJECT_CONF_H_
#define PROJECT_CONF_H_

/* Core: 4 peers per socket; only the three types this program uses are linked. */
#define MZMTP_CONF_MAX_PEERS 4
#define MZMTP_CONF_SOCKET_TYPES (MZMTP_TYPESET_REP | MZMTP_TYPESET_PULL | MZMTP_TYPESET_PUSH)

/* Port: three sockets; three endpoints, and three more given on the serial line (the
 * other side of each socket); eight TCP connections in all. */
#define MZMTP_CONTIKI_CONF_MAX_SOCKETS 3
#define MZMTP_CONTIKI_CONF_MAX_ENDPOINTS 6
#define MZMTP_CONTIKI_CONF_MAX_CONNS 8

/* TCP on, and the per-target settings every example shares. */
#include "../common/example-conf.h"

#endif /* PROJECT_CONF_H_ */
