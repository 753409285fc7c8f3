/*
 * lwipopts_tcp.h - the TCP sizes of the mps2-an385 firmware, in a file of their own so
 * that the host lwIP test node (tests/lwip/host/lwipopts.h) runs with exactly the same
 * segments, windows and send buffers as the firmware does.
 */
#ifndef LWIPOPTS_TCP_H
#define LWIPOPTS_TCP_H

/* TCP: small segments and windows. QEMU's LAN9118 drops frames silently once its
 * 10.5 KB receive FIFO is full, so connections x TCP_WND must stay under about 9 KB
 * (docs/lwip.md, "QEMU's LAN9118 model"): 4 connections x 1072 B. */
#define TCP_MSS                 536
#define TCP_WND                 (2 * TCP_MSS)
#define TCP_SND_BUF             (4 * TCP_MSS)
#define TCP_SND_QUEUELEN        16
#define TCP_QUEUE_OOSEQ         0
#define LWIP_TCP_KEEPALIVE      0
#define TCP_LISTEN_BACKLOG      1

#endif /* LWIPOPTS_TCP_H */
