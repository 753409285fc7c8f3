/*
 * node.c - a microzmtp node on lwIP over a Linux tap device, for the host lwIP tests
 * (tests/lwip/test_host.py runs it in a network namespace it creates).
 *
 *   node TAP IP TYPE bind|connect ENDPOINT
 *
 * IP is the node's address: IPv4 (a /24), or IPv6 (a /64) in the LWIP_IPV6 build. Built
 * NO_SYS=1 (one loop: tap input, sys_check_timeouts, mzmtp_lwip_poll) or NO_SYS=0 (lwIP's
 * tcpip thread; this main thread takes the core lock around every lwIP, port and socket
 * call, and hands received frames to tcpip_input).
 *
 * Every node has a 256-byte receive buffer and a 4 KiB send ring. TYPE:
 *   rep, router, dealer, pair  echo every message, frame by frame (up to 64 KiB, read in
 *             pieces); dealer first sends "hello" so that a ROUTER peer learns its identity;
 *   req       sends 200 requests "<n as %08u>" + a pattern (16..215 B), checks each reply
 *             is the same bytes (bad otherwise);
 *   pub, xpub publishes "sensor/<n>" + 100 bytes every 2 ms; xpub also counts the
 *             subscriptions it receives (subs; bad: a message not starting 0x00/0x01);
 *   sub, xsub subscribes to "sensor/" (xsub: by sending 0x01 "sensor/"), counts messages
 *             (bad: any other topic);
 *   push      pushes 1024 messages of 1 KiB, "<n as %08u>" + a pattern, then idles;
 *   pull      pulls and checks such messages (bad: out of order or corrupt);
 *   pull-slow the same, one message every 5 ms (the window closes: backpressure).
 * Prints "ready port=N" once bound (N: the port bound, 0 when connecting), then every
 * 200 ms "stats msgs=.. bytes=.. bad=.. sent=.. subs=.. accepted=.. refused=.. stalls=..
 * held_max=.. connects=..".
 */
#include "mzmtp_lwip.h"

#include "lwip/init.h"
#include "lwip/sys.h"
#include "lwip/netif.h"
#include "lwip/timeouts.h"
#include "lwip/tcpip.h"
#include "netif/ethernet.h"
#include "netif/etharp.h"
#if LWIP_IPV6
#include "lwip/ethip6.h"
#endif

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

#if NO_SYS
u32_t sys_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (u32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}
#define LOCK()   do { } while (0)
#define UNLOCK() do { } while (0)
#else
#define LOCK()   LOCK_TCPIP_CORE()
#define UNLOCK() UNLOCK_TCPIP_CORE()

/* Runs in the tcpip thread once it is up (and has marked itself for the lock checks). */
static void tcpip_up(void *arg)
{
    sys_sem_signal((sys_sem_t *)arg);
}
#endif

/* Runs in lwIP's context (the main loop, or the tcpip thread under the core lock). */
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
#if LWIP_IPV6
    netif->output_ip6 = ethip6_output;
#endif
    netif->linkoutput = tap_output;
    return ERR_OK;
}

/* Up to 16 frames from the tap into lwIP: netif->input is ethernet_input (NO_SYS=1, in the
 * loop) or tcpip_input (NO_SYS=0: queued for the tcpip thread; no lock needed). */
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
static uint8_t msg[65536], scrap[256], want[1024];

enum { T_REP, T_ROUTER, T_DEALER, T_PAIR, T_REQ, T_PUB, T_XPUB, T_SUB, T_XSUB, T_PUSH, T_PULL,
       T_PULL_SLOW, T_COUNT };
static const char *const type_names[T_COUNT] = {"rep", "router", "dealer", "pair", "req",
    "pub", "xpub", "sub", "xsub", "push", "pull", "pull-slow"};
static const mzmtp_socket_type_t zmq_types[T_COUNT] = {MZMTP_REP, MZMTP_ROUTER, MZMTP_DEALER,
    MZMTP_PAIR, MZMTP_REQ, MZMTP_PUB, MZMTP_XPUB, MZMTP_SUB, MZMTP_XSUB, MZMTP_PUSH,
    MZMTP_PULL, MZMTP_PULL};
#define IS_ECHO(t) ((t) <= T_PAIR)
#define REQUESTS 200u
#define MAX_FRAMES 16

/* The test payload: 8 digits of n, then bytes (n + i) mod 251. */
static size_t pattern(uint8_t *out, uint32_t n, size_t size)
{
    (void)snprintf((char *)out, 9, "%08u", (unsigned)n);
    for (size_t i = 8; i < size; i++) {
        out[i] = (uint8_t)((n + i) % 251u);
    }
    return size;
}

static struct {
    int type;
    size_t have, fstart;    /* bytes of the message in msg; where its current frame began */
    size_t flen[MAX_FRAMES];
    int frames, echoed;     /* frames of the message; frames of it sent back so far */
    int pending;            /* a whole message waits to be echoed */
    int waiting;            /* req: a request is out */
    int hello;              /* dealer, xsub: the first message still has to go */
    uint32_t next_at, n_out, msgs, bad, subs;
    uint64_t bytes;
} app;

/* A whole message arrived (app.frames frames in msg). */
static void on_message(uint32_t now)
{
    size_t len = app.have;
    app.msgs++;
    switch (app.type) {
    case T_SUB:
    case T_XSUB:
        app.bad += (len < 7 || memcmp(msg, "sensor/", 7) != 0) ? 1u : 0u;
        break;
    case T_XPUB:
        app.msgs--;
        app.subs += (len >= 1 && msg[0] == 1) ? 1u : 0u;
        app.bad += (len < 1 || msg[0] > 1) ? 1u : 0u;
        break;
    case T_REQ:
        pattern(want, app.n_out - 1u, 16u + (app.n_out - 1u) % 200u);
        app.bad += (len != 16u + (app.n_out - 1u) % 200u || memcmp(msg, want, len) != 0) ? 1u : 0u;
        app.waiting = 0;
        break;
    case T_PULL:
    case T_PULL_SLOW:
        app.bad += (len != sizeof want ||
                    memcmp(msg, want, pattern(want, app.msgs - 1, sizeof want)) != 0) ? 1u : 0u;
        if (app.type == T_PULL_SLOW) {
            app.next_at = now + 5u;
        }
        break;
    default: /* the echo types */
        app.pending = 1;
        app.echoed = 0;
        return; /* keep the message until it is sent back */
    }
    app.have = app.fstart = 0;
    app.frames = 0;
}

/* The application's turn: read what has arrived, then send (the caller holds the lock). */
static void app_step(uint32_t now)
{
    size_t len;
    unsigned flags;
    mzmtp_status_t st;

    while (app.type != T_PUB && app.type != T_PUSH && !app.pending &&
           (app.type != T_PULL_SLOW || (int32_t)(now - app.next_at) >= 0)) {
        uint8_t *at = app.have < sizeof msg ? msg + app.have : scrap;
        size_t cap = app.have < sizeof msg ? sizeof msg - app.have : sizeof scrap;
        st = mzmtp_socket_recv(&node, at, cap, &len, &flags);
        if (st == MZMTP_ERR_TRUNCATED) { /* its peer left mid-message: start again */
            app.have = app.fstart = 0;
            app.frames = 0;
            continue;
        }
        if (st != MZMTP_OK) {
            break;
        }
        app.have += at == scrap ? 0u : len;
        app.bytes += len;
        if (flags & MZMTP_RECV_PARTIAL) {
            continue;
        }
        if (app.frames < MAX_FRAMES) {
            app.flen[app.frames++] = app.have - app.fstart;
        }
        app.fstart = app.have;
        if (flags & MZMTP_RECV_MORE) {
            continue;
        }
        on_message(now);
        if (app.type == T_PULL_SLOW) {
            break;
        }
    }

    if (app.pending) {
        size_t off = 0;
        for (int i = 0; i < app.echoed; i++) {
            off += app.flen[i];
        }
        while (app.echoed < app.frames) {
            st = mzmtp_socket_send(&node, msg + off, app.flen[app.echoed],
                                   app.echoed + 1 < app.frames);
            if (st == MZMTP_AGAIN) {
                return; /* the same frame again next time */
            }
            app.bad += st == MZMTP_OK ? 0u : 1u;
            off += app.flen[app.echoed++];
        }
        app.pending = 0;
        app.have = app.fstart = 0;
        app.frames = 0;
    } else if (app.hello) {
        static const uint8_t sub[] = "\x01sensor/";
        st = app.type == T_XSUB ? mzmtp_socket_send(&node, sub, sizeof sub - 1u, false)
                                : mzmtp_socket_send(&node, "hello", 5, false);
        app.hello = st == MZMTP_AGAIN;
    } else if ((app.type == T_PUB || app.type == T_XPUB) && (int32_t)(now - app.next_at) >= 0) {
        int k = snprintf((char *)msg, sizeof msg, "sensor/%u ", (unsigned)app.n_out++);
        memset(msg + k, 'x', 100);
        st = mzmtp_socket_send(&node, msg, (size_t)k + 100u, false);
        app.bad += (st != MZMTP_OK && st != MZMTP_AGAIN) ? 1u : 0u;
        app.next_at = now + 2u;
    } else if (app.type == T_PUSH) {
        while (app.n_out < 1024u && mzmtp_socket_send(&node, want, pattern(want, app.n_out, 1024),
                                                      false) == MZMTP_OK) {
            app.n_out++;
        }
    } else if (app.type == T_REQ && !app.waiting && app.n_out < REQUESTS) {
        size_t n = pattern(want, app.n_out, 16u + app.n_out % 200u);
        st = mzmtp_socket_send(&node, want, n, false);
        if (st == MZMTP_OK) {
            app.n_out++;
            app.waiting = 1;
        } else if (st != MZMTP_AGAIN) {
            app.bad++;
        }
    }
}

static int setup(int argc, char **argv, uint16_t *port)
{
    ip_addr_t ip;
    ip4_addr_t mask, gw;

    app.type = -1;
    for (int t = 0; argc == 6 && t < T_COUNT; t++) {
        if (strcmp(argv[3], type_names[t]) == 0) {
            app.type = t;
        }
    }
    if (app.type < 0) {
        fprintf(stderr, "usage: node TAP IP rep|router|dealer|pair|req|pub|xpub|sub|xsub|push|"
                        "pull|pull-slow bind|connect ENDPOINT\n");
        return 2;
    }
    tap_fd = tap_open(argv[1]);
    if (tap_fd < 0 || !ipaddr_aton(argv[2], &ip)) {
        fprintf(stderr, "node: cannot open tap %s or bad address %s\n", argv[1], argv[2]);
        return 2;
    }
    IP4_ADDR(&mask, 255, 255, 255, 0);
    ip4_addr_set_zero(&gw);
#if NO_SYS
    lwip_init();
    netif_add(&tap, IP_IS_V4(&ip) ? ip_2_ip4(&ip) : IP4_ADDR_ANY4, &mask, &gw, NULL,
              tap_netif_init, ethernet_input);
#else
    sys_sem_t up;
    if (sys_sem_new(&up, 0) != ERR_OK) {
        return 2;
    }
    tcpip_init(tcpip_up, &up);
    (void)sys_arch_sem_wait(&up, 0); /* from here on, a call without the lock aborts */
    sys_sem_free(&up);
    LOCK();
    netif_add(&tap, IP_IS_V4(&ip) ? ip_2_ip4(&ip) : IP4_ADDR_ANY4, &mask, &gw, NULL,
              tap_netif_init, tcpip_input);
#endif
#if LWIP_IPV6
    if (IP_IS_V6(&ip)) {
        netif_create_ip6_linklocal_address(&tap, 1);
        netif_ip6_addr_set(&tap, 1, ip_2_ip6(&ip));
        netif_ip6_addr_set_state(&tap, 0, IP6_ADDR_PREFERRED);
        netif_ip6_addr_set_state(&tap, 1, IP6_ADDR_PREFERRED);
    }
#endif
    netif_set_default(&tap);
    netif_set_up(&tap);
    mzmtp_lwip_init(&io);
    app.hello = app.type == T_DEALER || app.type == T_XSUB;
    int bad = mzmtp_socket_init(&node, (int)zmq_types[app.type], &node_mem) != MZMTP_OK ||
              (app.type == T_SUB && mzmtp_socket_subscribe(&node, "sensor/", 7) != MZMTP_OK) ||
              (strcmp(argv[4], "bind") == 0 ? mzmtp_lwip_bind(&io, &node, argv[5], port)
                                            : mzmtp_lwip_connect(&io, &node, argv[5])) != MZMTP_OK;
    UNLOCK();
    if (bad) {
        fprintf(stderr, "node: setup failed\n");
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    uint16_t port = 0;
    uint32_t stats_at;
    int rc;

    setvbuf(stdout, NULL, _IOLBF, 0);
    if ((rc = setup(argc, argv, &port)) != 0) {
        return rc;
    }
    printf("ready port=%u\n", (unsigned)port);
    stats_at = app.next_at = sys_now();
    for (;;) {
        struct pollfd pfd = {tap_fd, POLLIN, 0};
        mzmtp_lwip_stats_t s;
        uint32_t wait;

        LOCK();
        app_step(sys_now());
#if NO_SYS
        tap_poll(&tap);
        sys_check_timeouts();
#endif
        wait = mzmtp_lwip_poll(&io);
        mzmtp_lwip_get_stats(&io, &s);
        UNLOCK();
#if !NO_SYS
        tap_poll(&tap);
#endif
        if ((int32_t)(sys_now() - stats_at) >= 0) {
            printf("stats msgs=%u bytes=%llu bad=%u sent=%u subs=%u accepted=%u refused=%u "
                   "stalls=%u held_max=%u connects=%u\n",
                   (unsigned)app.msgs, (unsigned long long)app.bytes, (unsigned)app.bad,
                   (unsigned)app.n_out, (unsigned)app.subs, (unsigned)s.accepted,
                   (unsigned)s.refused, (unsigned)s.stalls, (unsigned)s.held_max,
                   (unsigned)s.connects);
            stats_at += 200u;
        }
        (void)poll(&pfd, 1, wait == 0 || app.pending ? 0 : 1);
    }
}
