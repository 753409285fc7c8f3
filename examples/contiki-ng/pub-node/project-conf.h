#ifndef PROJECT_CONF_H_
#define PROJECT_CONF_H_

/* Core (include/microzmtp/mzmtp_config_defaults.h): 4 peers per socket, and only
 * the PUB pattern's code linked. */
#define MZMTP_CONF_MAX_PEERS 4
#define MZMTP_CONF_SOCKET_TYPES MZMTP_TYPESET_PUB

/* Port (ports/contiki-ng/mzmtp-contiki.h): one socket, one bind plus room for two
 * connects given on the serial line, one TCP connection more than peer slots so that
 * the fifth subscriber is refused by the socket, not by the port. */
#define MZMTP_CONTIKI_CONF_MAX_SOCKETS 1
#define MZMTP_CONTIKI_CONF_MAX_ENDPOINTS 3
#define MZMTP_CONTIKI_CONF_MAX_CONNS 5

/* TCP on, and the per-target settings every example shares. */
#include "../common/example-conf.h"

#endif /* PROJECT_CONF_H_ */
