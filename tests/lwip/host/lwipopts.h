/* lwipopts.h - the host test node: lwIP NO_SYS=1, IPv4 + TCP over a tap device, small
 * windows and buffers as on a microcontroller (the firmware's figures). */
#ifndef LWIPOPTS_H
#define LWIPOPTS_H

#define NO_SYS                  1
#define SYS_LIGHTWEIGHT_PROT    0
#define LWIP_SOCKET             0
#define LWIP_NETCONN            0
#define LWIP_CALLBACK_API       1
#define LWIP_IPV4               1
#define LWIP_IPV6               0
#define LWIP_UDP                0
#define LWIP_DHCP               0
#define LWIP_DNS                0
#define LWIP_IGMP               0
#define LWIP_RAW                0
#define ARP_TABLE_SIZE          4
#define IP_REASSEMBLY           0
#define IP_FRAG                 0

#define MEM_ALIGNMENT           8
#define MEM_SIZE                (8 * 1024)
#define MEMP_NUM_PBUF           8
#define MEMP_NUM_TCP_PCB        6
#define MEMP_NUM_TCP_PCB_LISTEN 2
#define MEMP_NUM_TCP_SEG        16
#define PBUF_POOL_SIZE          8

/* The firmware's TCP sizes, the same file. */
#include "../../../firmware/mps2-an385/lwipopts_tcp.h"

#define LWIP_STATS              0
#define LWIP_NETIF_LOOPBACK     0
#define LWIP_HAVE_LOOPIF        0

#define MZMTP_LWIP_CONF_MAX_SOCKETS   2
#define MZMTP_LWIP_CONF_MAX_ENDPOINTS 3
#define MZMTP_LWIP_CONF_MAX_CONNS     4
#define MZMTP_LWIP_CONF_RECONNECT_IVL_MS 50

#endif
