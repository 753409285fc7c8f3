/*
 * node.c - a microzmtp node on lwIP (NO_SYS=1) over a Linux tap device, for the host lwIP
 * tests (tests/lwip/test_host.py runs it in a network namespace it creates).
 *
 *   node TAP IP TYPE bind|connect ENDPOINT
 *
 * Every node has a 256-byte receive buffer and a 4 KiB send ring. TYPE:
 *   rep       echoes every request (up to 64 KiB, read in pieces);
 *   pub       publishes "sensor/<n>" + 100 bytes every 2 ms;
 *   sub       subscribes to "sensor/", counts messages (bad: any other topic);
 *   push      pushes 1024 messages of 1 KiB, "<n as %08u>" + a pattern, then idles;
 *   pull      pulls and checks such messages (bad: out of order or corrupt);
 *   pull-slow the same, one message every 5 ms (the window closes: backpressure).
 * Prints "ready port=N" once bound (N: the port bound, 0 when connecting), then every
 * 200 ms "stats msgs=.. bytes=.. bad=.. accepted=.. refused=.. stalls=.. held_max=..
 * connects=..".
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

enum { T_REP, T_PUB, T_SUB, T_PUSH, T_PULL, T_PULL_SLOW };
static const char *const type_names[] = {"rep", "pub", "sub", "push", "pull", "pull-slow"};
static const mzmtp_socket_type_t zmq_types[] = {MZMTP_REP, MZMTP_PUB, MZMTP_SUB,
                                                MZMTP_PUSH, MZMTP_PULL, MZMTP_PULL};

/* The test payload: 8 digits of n, then bytes (n + i) mod 251. */
static size_t pattern(uint8_t *out, uint32_t n, size_t size)
{
    (void)snprintf((char *)out, 9, "%08u", (unsigned)n);
    for (size_t i = 8; i < size; i++) {
        out[i] = (uint8_t)((n + i) % 251u);
    }
    return size;
}

int main(int argc, char **argv)
{
    ip4_addr_t ip, mask, gw;
    size_t have = 0;
    int pending = 0, type = -1;
    uint16_t port = 0;
    uint32_t stats_at, next_at, n_out = 0, msgs = 0, bad = 0;
    uint64_t bytes = 0;

    for (int t = 0; argc == 6 && t <= T_PULL_SLOW; t++) {
        if (strcmp(argv[3], type_names[t]) == 0) {
            type = t;
        }
    }
    if (type < 0) {
        fprintf(stderr, "usage: node TAP IP rep|pub|sub|push|pull|pull-slow bind|connect ENDPOINT\n");
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
    if (mzmtp_socket_init(&node, zmq_types[type], &node_mem) != MZMTP_OK ||
        (type == T_SUB && mzmtp_socket_subscribe(&node, "sensor/", 7) != MZMTP_OK) ||
        (strcmp(argv[4], "bind") == 0 ? mzmtp_lwip_bind(&io, &node, argv[5], &port)
                                      : mzmtp_lwip_connect(&io, &node, argv[5])) != MZMTP_OK) {
        fprintf(stderr, "node: setup failed\n");
        return 1;
    }
    printf("ready port=%u\n", (unsigned)port);
    stats_at = next_at = sys_now();
    for (;;) {
        struct pollfd pfd = {tap_fd, POLLIN, 0};
        size_t len;
        unsigned flags;
        mzmtp_status_t st;
        uint32_t now = sys_now();
        bool slow_turn = type != T_PULL_SLOW || (int32_t)(now - next_at) >= 0;

        /* Receive: whole messages into msg (the rest of an over-long one into scrap). */
        while (type != T_PUB && type != T_PUSH && !pending && slow_turn &&
               (st = mzmtp_socket_recv(&node, have < sizeof msg ? msg + have : scrap,
                                       have < sizeof msg ? sizeof msg - have : sizeof scrap,
                                       &len, &flags)) == MZMTP_OK) {
            if (have < sizeof msg) {
                have += len;
            }
            bytes += len;
            if (flags & (MZMTP_RECV_MORE | MZMTP_RECV_PARTIAL)) {
                continue;
            }
            msgs++;
            if (type == T_REP) {
                pending = 1; /* answer before reading on */
                break;
            }
            if (type == T_SUB) {
                bad += (have < 7 || memcmp(msg, "sensor/", 7) != 0) ? 1u : 0u;
            } else {
                static uint8_t want[1024];
                bad += (have != sizeof want || memcmp(msg, want, pattern(want, msgs - 1, sizeof want)) != 0) ? 1u : 0u;
            }
            have = 0;
            if (type == T_PULL_SLOW) {
                next_at = now + 5u;
                break;
            }
        }
        /* Send. */
        if (pending) {
            st = mzmtp_socket_send(&node, msg, have, false);
            if (st != MZMTP_AGAIN) {
                bad += st == MZMTP_OK ? 0u : 1u;
                pending = 0;
                have = 0;
            }
        } else if (type == T_PUB && (int32_t)(now - next_at) >= 0) {
            int k = snprintf((char *)msg, sizeof msg, "sensor/%u ", (unsigned)n_out++);
            memset(msg + k, 'x', 100);
            st = mzmtp_socket_send(&node, msg, (size_t)k + 100u, false);
            bad += (st != MZMTP_OK && st != MZMTP_AGAIN) ? 1u : 0u;
            next_at = now + 2u;
        } else if (type == T_PUSH) {
            while (n_out < 1024u &&
                   mzmtp_socket_send(&node, msg, pattern(msg, n_out, 1024), false) == MZMTP_OK) {
                n_out++;
            }
        }
        tap_poll(&tap);
        sys_check_timeouts();
        uint32_t wait = mzmtp_lwip_poll(&io);
        if ((int32_t)(sys_now() - stats_at) >= 0) {
            mzmtp_lwip_stats_t s;
            mzmtp_lwip_get_stats(&io, &s);
            printf("stats msgs=%u bytes=%llu bad=%u sent=%u accepted=%u refused=%u stalls=%u "
                   "held_max=%u connects=%u\n",
                   (unsigned)msgs, (unsigned long long)bytes, (unsigned)bad, (unsigned)n_out,
                   (unsigned)s.accepted, (unsigned)s.refused, (unsigned)s.stalls,
                   (unsigned)s.held_max, (unsigned)s.connects);
            stats_at += 200u;
        }
        (void)poll(&pfd, 1, wait == 0 || pending ? 0 : 1);
    }
}
