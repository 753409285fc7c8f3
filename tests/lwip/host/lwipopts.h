/* lwipopts.h - the host test node: lwIP over a tap device, small windows and buffers as on
 * a microcontroller (the firmware's figures). Three builds (tests/lwip/host/Makefile):
 *   node         NO_SYS=1, IPv4                 (NODE_NO_SYS=1, NODE_IPV6=0: the defaults)
 *   node-ipv6    NO_SYS=1, IPv4 + IPv6          (-DNODE_IPV6=1)
 *   node-nosys0  NO_SYS=0, IPv4: the tcpip thread with LWIP_TCPIP_CORE_LOCKING=1 and
 *                Debian's pthreads sys_arch (lwIP's port/sys_arch.c)   (-DNODE_NO_SYS=0) */
#ifndef LWIPOPTS_H
#define LWIPOPTS_H

#ifndef NODE_NO_SYS
#define NODE_NO_SYS 1
#endif
#ifndef NODE_IPV6
#define NODE_IPV6 0
#endif

#define NO_SYS                  NODE_NO_SYS
#define LWIP_SOCKET             0
#define LWIP_NETCONN            0
#define LWIP_CALLBACK_API       1
#define LWIP_IPV4               1
#define LWIP_IPV6               NODE_IPV6
#define LWIP_UDP                0
#define LWIP_DHCP               0
#define LWIP_DNS                0
#define LWIP_IGMP               0
#define LWIP_RAW                0
#define ARP_TABLE_SIZE          4
#define IP_REASSEMBLY           0
#define IP_FRAG                 0

#if NODE_IPV6
/* A static address (fd00::2/64), no autoconfiguration, MLD or DHCPv6: neighbour discovery
 * answers the kernel's solicitations for our address without MLD. */
#define LWIP_IPV6_MLD                  0
#define LWIP_IPV6_AUTOCONFIG           0
#define LWIP_IPV6_DHCP6                0
#define LWIP_IPV6_DUP_DETECT_ATTEMPTS  0
#define LWIP_IPV6_REASS                0
#define LWIP_IPV6_FRAG                 0
#define LWIP_ND6_NUM_NEIGHBORS         4
#define LWIP_ND6_NUM_DESTINATIONS      4
#define IPV6_FRAG_COPYHEADER           1 /* 64-bit host: lwIP asserts at start otherwise */
#endif

#if NO_SYS
#define SYS_LIGHTWEIGHT_PROT    0
#else
/* The tcpip thread owns lwIP; every other thread takes the core lock (LOCK_TCPIP_CORE)
 * around its calls into lwIP and into the port. Debian's sys_arch records the holder, and
 * LWIP_ASSERT_CORE_LOCKED makes lwIP abort on any call made without the lock. */
#define SYS_LIGHTWEIGHT_PROT    1
#define LWIP_TCPIP_CORE_LOCKING 1
#define LWIP_TCPIP_CORE_LOCKING_INPUT 0
#define TCPIP_MBOX_SIZE         64
#define TCPIP_THREAD_STACKSIZE  0
#define TCPIP_THREAD_PRIO       1
#define MEMP_NUM_TCPIP_MSG_INPKT 64
void sys_lock_tcpip_core(void);
void sys_unlock_tcpip_core(void);
void sys_check_core_locking(void);
void sys_mark_tcpip_thread(void);
#define LOCK_TCPIP_CORE()        sys_lock_tcpip_core()
#define UNLOCK_TCPIP_CORE()      sys_unlock_tcpip_core()
#define LWIP_ASSERT_CORE_LOCKED() sys_check_core_locking()
#define LWIP_MARK_TCPIP_THREAD() sys_mark_tcpip_thread()
#endif

#define MEM_ALIGNMENT           8
#define MEM_SIZE                (8 * 1024)
#define MEMP_NUM_PBUF           8
#define MEMP_NUM_TCP_PCB        6
#define MEMP_NUM_TCP_PCB_LISTEN 2
#define MEMP_NUM_TCP_SEG        16
#define PBUF_POOL_SIZE          (NO_SYS ? 8 : 24) /* NO_SYS=0: frames wait in the mbox */

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
