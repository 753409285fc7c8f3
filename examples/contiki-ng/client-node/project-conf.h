#ifndef PROJECT_CONF_H_
#define PROJECT_CONF_H_

/* microzmtp runs over TCP, which Contiki-NG leaves off by default. */
#define UIP_CONF_TCP 1

/* Core: 4 peers per socket; only the two types this program uses are linked. */
#define MZMTP_CONF_MAX_PEERS 4
#define MZMTP_CONF_SOCKET_TYPES (MZMTP_TYPESET_REQ | MZMTP_TYPESET_DEALER)

/* Port: two sockets; a connect and a bind each, two of them given on the serial line;
 * eight TCP connections in all (uIP has eight once TCP is on). */
#define MZMTP_CONTIKI_CONF_MAX_SOCKETS 2
#define MZMTP_CONTIKI_CONF_MAX_ENDPOINTS 4
#define MZMTP_CONTIKI_CONF_MAX_CONNS 8

#if CONTIKI_TARGET_NATIVE
#define SELECT_CONF_TIMEOUT 10
#ifndef LOG_CONF_LEVEL_MZMTP
#define LOG_CONF_LEVEL_MZMTP LOG_LEVEL_INFO
#endif
#else
#define UIP_CONF_TCP_MSS 256
#endif

#if CONTIKI_TARGET_ZOUL
/* Use all 32 KB of RAM (see pub-node/project-conf.h). */
#define LPM_CONF_MAX_PM 1
#endif

#endif /* PROJECT_CONF_H_ */
