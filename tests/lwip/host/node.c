/*
 * node.c - a microzmtp node on lwIP (NO_SYS=1) over a Linux tap device, for the host lwIP
 * tests (tests/lwip/test_host.py runs it in a network namespace it creates).
 *
 *   node TAP IP TYPE bind|connect ENDPOINT
 *
 * TYPE rep: a REP that echoes every request (messages up to 64 KiB, read in pieces
 * through a 256-byte receive buffer, answered through a 4 KiB send ring).
 * Prints "ready port=N" once bound (N: the port bound, 0 when connecting), and
 * "port-stats accepted=.. stalls=.. held_max=.."
 * every second.
 */
#include "mzmtp_lwip.h"

#include "lwip/init.h"
#include "lwip/sys.h"
#include "lwip/netif.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"
#include "netif/etharp.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static int tap_fd = -1;

u32_t sys_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (u32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

static err_t tap_output(struct netif *netif, struct pbuf *p)
{
    static uint8_t frame[1600];
    (void)netif;
    if (p->tot_len > sizeof frame) {
        return ERR_BUF;
    }
    u16_t n = pbuf_copy_partial(p, frame, p->tot_len, 0);
    return write(tap_fd, frame, n) == (ssize_t)n ? ERR_OK : ERR_IF;
}

static err_t tap_netif_init(struct netif *netif)
{
    static const uint8_t mac[6] = {0x02, 0x00, 0x00, 0x6d, 0x7a, 0x01};
    memcpy(netif->hwaddr, mac, 6);
    netif->hwaddr_len = 6;
    netif->mtu = 1500;
    netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_LINK_UP;
    netif->output = etharp_output;
    netif->linkoutput = tap_output;
    return ERR_OK;
}

static void tap_poll(struct netif *netif)
{
    static uint8_t frame[1600];
    for (int i = 0; i < 16; i++) {
        ssize_t n = read(tap_fd, frame, sizeof frame);
        if (n <= 0) {
            return;
        }
        struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)n, PBUF_POOL);
        if (p == NULL) {
            return; /* dropped, as a controller would: TCP retransmits */
        }
        (void)pbuf_take(p, frame, (u16_t)n);
        if (netif->input(p, netif) != ERR_OK) {
            pbuf_free(p);
        }
    }
}

static int tap_open(const char *name)
{
    struct ifreq ifr;
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK);
    if (fd < 0) {
        return -1;
    }
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

MZMTP_SOCKET_MEM_DEFINE(node_mem, 4096, 256);
static mzmtp_socket_t node;
static mzmtp_lwip_t io;
static struct netif tap;
static uint8_t msg[65536], scrap[256];

int main(int argc, char **argv)
{
    ip4_addr_t ip, mask, gw;
    size_t have = 0;
    int replying = 0;
    uint16_t port = 0;
    uint32_t stats_at;

    if (argc != 6 || strcmp(argv[3], "rep") != 0) {
        fprintf(stderr, "usage: node TAP IP rep bind|connect ENDPOINT\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    tap_fd = tap_open(argv[1]);
    if (tap_fd < 0 || !ip4addr_aton(argv[2], &ip)) {
        fprintf(stderr, "node: cannot open tap %s or bad address %s\n", argv[1], argv[2]);
        return 2;
    }
    lwip_init();
    IP4_ADDR(&mask, 255, 255, 255, 0);
    ip4_addr_set_zero(&gw);
    netif_add(&tap, &ip, &mask, &gw, NULL, tap_netif_init, ethernet_input);
    netif_set_default(&tap);
    netif_set_up(&tap);
    mzmtp_lwip_init(&io);
    if (mzmtp_socket_init(&node, MZMTP_REP, &node_mem) != MZMTP_OK ||
        (strcmp(argv[4], "bind") == 0 ? mzmtp_lwip_bind(&io, &node, argv[5], &port)
                                      : mzmtp_lwip_connect(&io, &node, argv[5])) != MZMTP_OK) {
        fprintf(stderr, "node: setup failed\n");
        return 1;
    }
    printf("ready port=%u\n", (unsigned)port);
    stats_at = sys_now() + 1000u;
    for (;;) {
        struct pollfd pfd = {tap_fd, POLLIN, 0};
        size_t len;
        unsigned flags;
        mzmtp_status_t st;

        while (!replying &&
               (st = mzmtp_socket_recv(&node, have < sizeof msg ? msg + have : scrap,
                                       have < sizeof msg ? sizeof msg - have : sizeof scrap,
                                       &len, &flags)) == MZMTP_OK) {
            if (have < sizeof msg) {
                have += len; /* beyond 64 KiB the rest is dropped */
            }
            if (!(flags & (MZMTP_RECV_MORE | MZMTP_RECV_PARTIAL))) {
                replying = 1;
            }
        }
        if (replying) {
            st = mzmtp_socket_send(&node, msg, have, false);
            if (st == MZMTP_OK) {
                replying = 0;
                have = 0;
            } else if (st != MZMTP_AGAIN) {
                fprintf(stderr, "node: reply of %zu B refused (%d)\n", have, (int)st);
                replying = 0;
                have = 0;
            }
        }
        tap_poll(&tap);
        sys_check_timeouts();
        uint32_t wait = mzmtp_lwip_poll(&io);
        if ((int32_t)(sys_now() - stats_at) >= 0) {
            mzmtp_lwip_stats_t s;
            mzmtp_lwip_get_stats(&io, &s);
            printf("port-stats accepted=%u refused=%u stalls=%u held_max=%u connects=%u\n",
                   (unsigned)s.accepted, (unsigned)s.refused, (unsigned)s.stalls,
                   (unsigned)s.held_max, (unsigned)s.connects);
            stats_at += 1000u;
        }
        (void)poll(&pfd, 1, wait == 0 || replying ? 0 : 1);
    }
}
