/*
 * What every microzmtp example node sets in Contiki-NG, included at the end of each
 * example's project-conf.h (which sets the microzmtp core and port sizes of its own).
 */
#ifndef MZMTP_EXAMPLE_CONF_H_
#define MZMTP_EXAMPLE_CONF_H_

/* microzmtp runs over TCP, which Contiki-NG leaves off by default. */
#define UIP_CONF_TCP 1

#if CONTIKI_TARGET_NATIVE
/* native polls its file descriptors with this timeout (ms) when idle; the default
 * (1000) would make every timer up to a second late. */
#define SELECT_CONF_TIMEOUT 10
#ifndef LOG_CONF_LEVEL_MZMTP
#define LOG_CONF_LEVEL_MZMTP LOG_LEVEL_INFO
#endif
#else
/* 6LoWPAN: small segments fragment less, and each connection keeps one segment
 * in and one out (MZMTP_CONTIKI_CONF_RX_STAGE, _TX_BUF). */
#define UIP_CONF_TCP_MSS 256
#endif

#if CONTIKI_TARGET_ZOUL
/* zoul keeps deep sleep (PM2) available by default, which leaves only its 16 KB of
 * retention RAM for data; a node that accepts TCP connections keeps its radio on and
 * seldom reaches PM2, so use all 32 KB, as cc2538dk does. */
#define LPM_CONF_MAX_PM 1
#endif

#endif /* MZMTP_EXAMPLE_CONF_H_ */
