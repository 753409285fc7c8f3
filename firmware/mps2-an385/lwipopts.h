/*
 * lwipopts.h - lwIP options of the mps2-an385 firmware: NO_SYS=1 (one loop, raw API),
 * IPv4 + TCP over Ethernet, static address (QEMU user networking: 10.0.2.15/24, gateway
 * 10.0.2.2). docs/lwip.md explains each choice and the memory it costs.
 */
#ifndef LWIPOPTS_H
#define LWIPOPTS_H

/* One loop, no threads, raw API only. */
#define NO_SYS                  1
#define SYS_LIGHTWEIGHT_PROT    0 /* nothing of lwIP runs in an interrupt */
#define LWIP_SOCKET             0
#define LWIP_NETCONN            0
#define LWIP_NETIF_API          0
#define LWIP_CALLBACK_API       1

/* Protocols: IPv4, ARP, ICMP (ping), TCP. No UDP, DHCP, DNS, IPv6. */
#define LWIP_IPV4               1
#define LWIP_IPV6               0
#define LWIP_ARP                1
#define LWIP_ETHERNET           1
#define LWIP_ICMP               1
#define LWIP_TCP                1
#define LWIP_UDP                0
#define LWIP_DHCP               0
#define LWIP_DNS                0
#define LWIP_IGMP               0
#define LWIP_RAW                0
#define IP_REASSEMBLY           0
#define IP_FRAG                 0
#define ARP_TABLE_SIZE          4

/* Memory. The driver receives into PBUF_RAM from the heap (MEM_SIZE); TCP's segments
 * for tcp_write() also come from it. */
#define MEM_ALIGNMENT           4
#define MEM_SIZE                (6 * 1024)
/* Pbufs without their own memory (PBUF_ROM/REF). With MZMTP_CONF_TX_ACK the port hands
 * send-ring bytes to tcp_write() without copying them: lwIP then takes one such pbuf per
 * piece written and keeps it until the piece is acknowledged, up to TCP_SND_QUEUELEN per
 * connection; the pool has room for every connection's full queue, so a stalled peer
 * cannot starve the others. Without it lwIP uses a few at most (4). 16 B each. */
#if defined(MZMTP_CONF_TX_ACK) && MZMTP_CONF_TX_ACK
#define MEMP_NUM_PBUF           (MZMTP_LWIP_CONF_MAX_CONNS * TCP_SND_QUEUELEN)
#else
#define MEMP_NUM_PBUF           4
#endif
#define MEMP_NUM_TCP_PCB        5 /* MZMTP_LWIP_CONF_MAX_CONNS + 1 in TIME_WAIT */
#define MEMP_NUM_TCP_PCB_LISTEN 2
#define MEMP_NUM_TCP_SEG        16
#define PBUF_POOL_SIZE          2

/* TCP sizes, shared with the host test node. */
#include "lwipopts_tcp.h"

/* The rest: no statistics, no checks that cost flash, checksums in software. */
#define LWIP_STATS              0
#define LWIP_NETIF_LOOPBACK     0
#define LWIP_HAVE_LOOPIF        0
#define LWIP_NOASSERT           1
#define LWIP_DEBUG              0

/* microzmtp's lwIP port (ports/lwip/mzmtp_lwip.h). */
#define MZMTP_LWIP_CONF_MAX_SOCKETS   2
#define MZMTP_LWIP_CONF_MAX_ENDPOINTS 3
#define MZMTP_LWIP_CONF_MAX_CONNS     4

#endif /* LWIPOPTS_H */
