/*
 * POSIX port: non-blocking BSD sockets waited on with epoll (Linux) or poll(). Moves
 * bytes between the kernel and the sockets' engines, keeps reconnect timers, resolves
 * names off the loop, decides nothing about ZMTP. docs/ports.md explains the design.
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* accept4() */
#endif
#include "mzmtp_posix.h"
/* The core's bit helpers (one instruction per peer set); a port kit shared by all ports
 * would be their public home. */
#include "../../src/util/mzmtp_util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#if defined(__linux__)
#include <sys/random.h>
#endif
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#if MZMTP_POSIX_USE_EPOLL
#include <sys/epoll.h>
#endif
#if MZMTP_POSIX_RESOLVER_THREAD
#include <pthread.h>
#endif

/* Endpoint kinds and states are the kit's (mzmtp_kit_ep_t): a connect is WAIT, then
 * CONNECTING for the whole attempt (the lookup of its name, then its addresses one after
 * another), UP, back to WAIT, or STOPPED; a bind is UP, or PAUSED while out of
 * descriptors. */
/* Interest kept per descriptor (armed): the kit's MZMTP_KIT_WANT_IN / _OUT bits. */
enum { EV_IN = MZMTP_KIT_WANT_IN, EV_OUT = MZMTP_KIT_WANT_OUT };

/* A vanished peer must not kill the process with SIGPIPE. */
#ifdef MSG_NOSIGNAL
#define SEND_FLAGS MSG_NOSIGNAL
#else
#define SEND_FLAGS 0
#endif

/* Where the system has MSG_DONTWAIT, peer descriptors stay blocking and every read and
 * write says MSG_DONTWAIT, except one: when mzmtp_posix_run() has a single peer to wait
 * for, and only for input, it waits inside recv() instead of in poll() and then recv() —
 * one system call per message where there were two (a request-reply round trip, a
 * stream). Elsewhere every descriptor is non-blocking and run() always polls. */
#ifdef MSG_DONTWAIT
#define WAIT_IN_RECV 1
#define NOWAIT MSG_DONTWAIT
#else
#define WAIT_IN_RECV 0
#define NOWAIT 0
#endif

/* Linux: accept4() gives an accepted descriptor its final flags in the same call
 * (close-on-exec, and blocking or not as peer_begin() wants it), so no fcntl() follows
 * (there were five per accept). Elsewhere accept() and fcntl(), chosen at compile time. */
#if defined(__linux__) && defined(SOCK_CLOEXEC) && defined(SOCK_NONBLOCK)
#define ACCEPT4 1
#define ACCEPT4_FLAGS (SOCK_CLOEXEC | (WAIT_IN_RECV ? 0 : SOCK_NONBLOCK))
#else
#define ACCEPT4 0
#endif

uint32_t mzmtp_posix_now_ms(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

/* ---------------------------------- endpoints ------------------------------------------ */

static bool is_ipc(const char *endpoint) { return strncmp(endpoint, "ipc://", 6) == 0; }

/* An ipc endpoint's address. @return MZMTP_OK or MZMTP_ERR_INVALID. */
static mzmtp_status_t ipc_address(const char *endpoint, struct sockaddr_un *un, socklen_t *len_out)
{
    const char *path = endpoint + 6;
    size_t len = strlen(path);
    memset(un, 0, sizeof *un);
    if (len == 0 || len >= sizeof un->sun_path || strcmp(path, "*") == 0) return MZMTP_ERR_INVALID;
    un->sun_family = AF_UNIX;
    memcpy(un->sun_path, path, len);
    *len_out = (socklen_t)sizeof *un;
    if (path[0] == '@') { /* Linux abstract namespace: a leading NUL, no terminator */
        un->sun_path[0] = '\0';
        *len_out = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
    }
    return MZMTP_OK;
}

/*
 * Split "tcp://host:port" (mzmtp_kit_parse_tcp()) into @p host (brackets of an IPv6
 * literal removed) and @p port as decimal text for getaddrinfo(). Bind allows port 0 and
 * "*" (ephemeral, as "0"); connect refuses them (wire-notes T2).
 * @return MZMTP_OK or MZMTP_ERR_INVALID.
 */
static mzmtp_status_t split_tcp(const char *endpoint, bool bind, char *host, size_t host_cap,
                                char port_out[8], uint16_t *port)
{
    if (mzmtp_kit_parse_tcp(endpoint, bind, host, host_cap, port) != MZMTP_OK) {
        return MZMTP_ERR_INVALID;
    }
    (void)snprintf(port_out, 8, "%u", (unsigned)*port);
    return MZMTP_OK;
}

static socklen_t inaddr_len(const mzmtp_posix_inaddr_t *a)
{
    return a->in.sin_family == AF_INET6 ? (socklen_t)sizeof a->in6 : (socklen_t)sizeof a->in;
}

/*
 * getaddrinfo() for a TCP host: numeric only (never a lookup: it cannot block), or any
 * name. Keeps the IPv4 and IPv6 results, in the order getaddrinfo gives them (RFC 6724,
 * /etc/gai.conf). @return how many went to @p out (0: none, or not numeric).
 */
static uint8_t lookup(const char *host, const char *port, bool numeric, bool passive,
                      mzmtp_posix_inaddr_t *out, size_t max)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_family = AF_UNSPEC;
    hints.ai_flags = AI_NUMERICSERV | (numeric ? AI_NUMERICHOST : 0) | (passive ? AI_PASSIVE : 0);
    const char *node = host;
    if (passive && strcmp(host, "*") == 0) {
        node = NULL; /* every IPv4 interface, as libzmq without ZMQ_IPV6 */
        hints.ai_family = AF_INET;
    }
    if (getaddrinfo(node, port, &hints, &res) != 0) return 0;
    uint8_t n = 0;
    for (const struct addrinfo *ai = res; ai != NULL && n < max; ai = ai->ai_next) {
        if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
            ai->ai_addrlen > sizeof out[n]) {
            continue;
        }
        memset(&out[n], 0, sizeof out[n]);
        memcpy(&out[n], ai->ai_addr, ai->ai_addrlen);
        n++;
    }
    freeaddrinfo(res);
    return n;
}

/* Every address of a connect endpoint's host (a lookup: may block). */
static uint8_t resolve_endpoint(const char *endpoint, mzmtp_posix_inaddr_t *out, size_t max)
{
    char host[MZMTP_POSIX_ENDPOINT_LEN], port[8];
    uint16_t num;
    if (split_tcp(endpoint, false, host, sizeof host, port, &num) != MZMTP_OK) return 0;
    return lookup(host, port, false, false, out, max);
}

/* Blocking or not (see WAIT_IN_RECV). */
static void set_nonblock(int fd, bool on)
{
    int fl = fcntl(fd, F_GETFL, 0);
    if (fl < 0) return;
    int want = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
    if (want != fl) (void)fcntl(fd, F_SETFL, want);
}

/* No SIGPIPE, and TCP_NODELAY on TCP. */
static void tune_fd(int fd, int family)
{
    int one = 1;
#ifdef SO_NOSIGPIPE
    (void)setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
    if (family == AF_INET || family == AF_INET6) {
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
}

/* Non-blocking, close-on-exec, then tune_fd(). */
static void setup_fd(int fd, int family)
{
    set_nonblock(fd, true);
    (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
    tune_fd(fd, family);
}

/* Close a transport, first reading what is buffered so the kernel sends FIN, not RST
 * (an RST can destroy data the peer has received but not yet read). */
static void close_fd(int fd)
{
    uint8_t scratch[512];
    for (int i = 0; i < 16; i++) {
        if (recv(fd, scratch, sizeof scratch, NOWAIT) <= 0) break;
    }
    (void)close(fd);
}


/* ------------------------------------ tables ------------------------------------------- */

/* Every peer slot of @p ps that has a transport, lowest first: loops cost what is
 * connected, not MZMTP_CONF_MAX_PEERS. The body may close peers (it walks a copy of the
 * set); `break`, `continue` and `return` work as usual. */
#define FOR_LIVE(ps, p)                                                                    \
    for (mzmtp_peerset_t live_ = (ps)->live, *once_ = &live_; once_ != NULL; once_ = NULL) \
        for (int p = (int)mzmtp_peerset_next(once_, 0); p < (int)MZMTP_PEERSET_END;         \
             p = (int)mzmtp_peerset_next(once_, (unsigned)p + 1u))

/* ms until the socket's timers have work. With MZMTP_CONF_TIMER_CACHE (the host's
 * profiles) the socket answers in O(1), so a loop pass no longer visits every peer for
 * it; without, its started peers are all it has timers for, and they are walked. */
static uint32_t sock_next_timeout(const mzmtp_posix_socket_t *ps, uint32_t now)
{
#if MZMTP_CONF_TIMER_CACHE
    return mzmtp_socket_next_timeout(ps->k.sock, now);
#else
    uint32_t t = UINT32_MAX;
    FOR_LIVE(ps, p) {
        uint32_t u = mzmtp_socket_peer_next_timeout(ps->k.sock, p, now);
        if (u < t) t = u;
    }
    return t;
#endif
}


/* The random source of every socket the port drives (CURVE's transient keys, nonces and
 * cookie keys): the kernel's generator. Blocking getrandom(), never GRND_NONBLOCK: at boot,
 * before the pool is initialised, it must wait rather than return weak bytes. A signal
 * (EINTR) or a short read just continues; any other failure fails the handshake
 * (mzmtp_random_fn: false), there is no weaker fallback. An application with a source of
 * its own installs it after its first bind or connect, which install this one. */
bool mzmtp_posix_random(void *ctx, uint8_t *buf, size_t len)
{
    (void)ctx;
    while (len > 0) {
#if defined(__linux__)
        ssize_t r = getrandom(buf, len, 0);
#else
        size_t chunk = len < 256u ? len : 256u; /* getentropy(): at most 256 bytes a call */
        ssize_t r = getentropy(buf, chunk) == 0 ? (ssize_t)chunk : -1;
#endif
        if (r < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        buf += (size_t)r;
        len -= (size_t)r;
    }
    return true;
}

static mzmtp_posix_socket_t *find_sock(mzmtp_posix_t *io, const mzmtp_socket_t *sock, bool add)
{
    mzmtp_posix_socket_t *free_entry = NULL;
    for (size_t i = 0; i < MZMTP_POSIX_MAX_SOCKETS; i++) {
        if (io->s[i].k.sock == sock) return &io->s[i];
        if (io->s[i].k.sock == NULL && free_entry == NULL) free_entry = &io->s[i];
    }
    if (!add || free_entry == NULL) return NULL;
    memset(&free_entry->k, 0, sizeof free_entry->k);
    free_entry->k.sock = (mzmtp_socket_t *)sock;
    mzmtp_socket_set_random(free_entry->k.sock, mzmtp_posix_random, NULL);
    for (size_t p = 0; p < MZMTP_CONF_MAX_PEERS; p++) {
        free_entry->fd[p] = -1;
        free_entry->ep[p] = -1;
    }
    return free_entry;
}

/* Entry @p ep is taken: loops over endpoints must reach it. */
static void endpoint_taken(mzmtp_posix_t *io, const mzmtp_posix_endpoint_t *ep)
{
    size_t end = (size_t)(ep - io->ep) + 1u;
    if (end > io->ep_end) io->ep_end = end;
}

static mzmtp_posix_endpoint_t *free_endpoint(mzmtp_posix_t *io)
{
    for (size_t i = 0; i < MZMTP_POSIX_MAX_ENDPOINTS; i++) {
        if (io->ep[i].k.kind == MZMTP_KIT_EP_FREE && !io->ep[i].resolving) return &io->ep[i];
    }
    return NULL;
}


/* ----------------------------- waiting: epoll or poll ---------------------------------- */

#if MZMTP_POSIX_USE_EPOLL
/* What an epoll event is about: bits 0-7 the kind, 8-23 the socket or endpoint index,
 * 24-39 the peer slot, 40-63 the endpoint's generation. The generation makes an event
 * that was already in the batch when its endpoint moved on to another descriptor (a
 * reconnect within the same call) harmless: it no longer matches. Peer events need none:
 * a stale one only makes a non-blocking read or write find nothing. */
enum { TAG_PEER = 1, TAG_EP, TAG_RESOLVER };

static uint64_t make_tag(unsigned kind, size_t index, int peer, uint32_t gen)
{
    return (uint64_t)kind | ((uint64_t)(index & 0xffffu) << 8) |
           ((uint64_t)((unsigned)peer & 0xffffu) << 24) | ((uint64_t)(gen & 0xffffffu) << 40);
}

/* Register, change or drop @p fd. Interest 0 keeps the descriptor registered
 * edge-triggered with no event asked: epoll always reports hang-ups and errors, and
 * level-triggered they would wake the loop again and again while nothing can be done
 * (a peer with no receive room, a paused listener). */
static void poller_set(mzmtp_posix_t *io, int op, int fd, uint8_t interest, uint64_t tag)
{
    struct epoll_event e;
    memset(&e, 0, sizeof e);
    e.events = (uint32_t)((interest & EV_IN) ? EPOLLIN : 0) | (uint32_t)((interest & EV_OUT) ? EPOLLOUT : 0);
    if (interest == 0) e.events = (uint32_t)EPOLLET;
    e.data.u64 = tag;
    (void)epoll_ctl(io->epfd, op, fd, &e);
}

static void poller_drop(mzmtp_posix_t *io, int fd)
{
    struct epoll_event e; /* ignored by EPOLL_CTL_DEL; kernels before 2.6.9 wanted one */
    memset(&e, 0, sizeof e);
    (void)epoll_ctl(io->epfd, EPOLL_CTL_DEL, fd, &e);
}

/* The epoll instance, made by the first bind or connect (init cannot fail). */
static bool poller_ready(mzmtp_posix_t *io)
{
    if (io->epfd < 0) io->epfd = epoll_create1(EPOLL_CLOEXEC);
    return io->epfd >= 0;
}
#else
static bool poller_ready(mzmtp_posix_t *io)
{
    (void)io;
    return true;
}
#endif

#if MZMTP_POSIX_USE_EPOLL
/* Peer @p p's registered interest is @p want from now on (the caller tells epoll). With
 * MZMTP_CONF_PEER_CHANGES the counts that run() chooses its wait by follow it. */
static void peer_armed(mzmtp_posix_t *io, mzmtp_posix_socket_t *ps, int p, uint8_t want)
{
#if MZMTP_CONF_PEER_CHANGES
    uint8_t old = ps->armed[p];
    if (old == EV_IN) {
        io->arm_in_only--;
        io->arm_in_xor ^= ps->fd[p];
    } else if (old != 0) {
        io->arm_peer_out--;
    }
    if (want == EV_IN) {
        io->arm_in_only++;
        io->arm_in_xor ^= ps->fd[p];
    } else if (want != 0) {
        io->arm_peer_out++;
    }
#else
    (void)io;
#endif
    ps->armed[p] = want;
}
#endif

/* A peer's transport is new (register it for input) or going (drop it). */
static void poller_peer_add(mzmtp_posix_t *io, mzmtp_posix_socket_t *ps, int p)
{
#if MZMTP_POSIX_USE_EPOLL
    ps->armed[p] = 0; /* (its last transport's interest was dropped with it) */
    peer_armed(io, ps, p, EV_IN);
    poller_set(io, EPOLL_CTL_ADD, ps->fd[p], EV_IN, make_tag(TAG_PEER, (size_t)(ps - io->s), p, 0));
#else
    (void)io;
    (void)ps;
    (void)p;
#endif
}

static void poller_peer_drop(mzmtp_posix_t *io, mzmtp_posix_socket_t *ps, int p)
{
#if MZMTP_POSIX_USE_EPOLL
    peer_armed(io, ps, p, 0);
    poller_drop(io, ps->fd[p]);
#else
    (void)io;
    (void)ps;
    (void)p;
#endif
}

/* An endpoint's descriptor (listener: input; connect in progress: output). */
static void poller_ep_add(mzmtp_posix_t *io, mzmtp_posix_endpoint_t *ep, uint8_t interest)
{
    ep->gen++;
#if MZMTP_POSIX_USE_EPOLL
    ep->armed = interest;
    poller_set(io, EPOLL_CTL_ADD, ep->fd, interest, make_tag(TAG_EP, (size_t)(ep - io->ep), 0, ep->gen));
#else
    (void)io;
    (void)interest;
#endif
}

/* Close an endpoint's descriptor, if it has one. */
static void ep_close_fd(mzmtp_posix_t *io, mzmtp_posix_endpoint_t *ep)
{
    if (ep->fd < 0) return;
#if MZMTP_POSIX_USE_EPOLL
    poller_drop(io, ep->fd);
#else
    (void)io;
#endif
    (void)close(ep->fd);
    ep->fd = -1;
}

/* ------------------------------ connections -------------------------------------------- */

static void connect_attempt(mzmtp_posix_t *io, mzmtp_posix_endpoint_t *ep, uint32_t now);

/* The endpoint's connection ended, or its attempt failed (@p connect_failed): the kit
 * schedules the next attempt (R1: the back-off plus random 0..ivl; failed connects
 * double it; a lost connection starts from ivl), or, for a status that a retry would
 * only meet again or with reconnects off (R2), stops the endpoint and gives its peer slot
 * back, which the socket's table then forgets too. */
static void endpoint_down(mzmtp_posix_t *io, mzmtp_posix_endpoint_t *ep, uint32_t now,
                          mzmtp_status_t why, bool connect_failed)
{
    int peer = (int)ep->k.peer;
    if (mzmtp_kit_ep_down(&ep->k, &io->rc, now, why, connect_failed) || peer < 0 ||
        ep->k.peer >= 0) {
        return;
    }
    mzmtp_posix_socket_t *ps = find_sock(io, ep->k.sock, false);
    if (ps != NULL) ps->ep[peer] = -1;
}

/* The transport of peer @p p ended: close it, tell the socket, maybe reconnect. */
static void close_peer(mzmtp_posix_t *io, mzmtp_posix_socket_t *ps, int p, mzmtp_status_t why,
                       uint32_t now)
{
    if (ps->fd[p] < 0) return;
    if (io->wait_fd == ps->fd[p]) io->wait_fd = -1; /* its receive timeout goes with it */
    poller_peer_drop(io, ps, p);
    close_fd(ps->fd[p]);
    ps->fd[p] = -1;
    mzmtp_peerset_del(&ps->live, (unsigned)p);
    mzmtp_socket_peer_stop(ps->k.sock, p, why);
    if (ps->ep[p] < 0) return;
    endpoint_down(io, &io->ep[ps->ep[p]], now, why, false);
}

/* Write as much output as the kernel takes; @p *moved counts the bytes it took.
 * @return false when the transport failed (the caller closes it). */
static bool write_out(mzmtp_posix_socket_t *ps, int p, size_t *moved)
{
    mzmtp_iov_t iov[MZMTP_POSIX_IOV_MAX];
    struct iovec vec[MZMTP_POSIX_IOV_MAX];
    while (mzmtp_socket_peer_has_output(ps->k.sock, p)) {
        size_t n = mzmtp_socket_peer_output(ps->k.sock, p, iov, MZMTP_POSIX_IOV_MAX);
        if (n == 0) return true;
        size_t total = 0;
        for (size_t i = 0; i < n; i++) {
            vec[i].iov_base = (void *)(uintptr_t)iov[i].base;
            vec[i].iov_len = iov[i].len;
            total += iov[i].len;
        }
        struct msghdr mh;
        memset(&mh, 0, sizeof mh);
        mh.msg_iov = vec;
        mh.msg_iovlen = n;
        ssize_t w = sendmsg(ps->fd[p], &mh, SEND_FLAGS | NOWAIT);
        if (w < 0) {
            if (errno == EINTR) continue;
            return errno == EAGAIN || errno == EWOULDBLOCK;
        }
        mzmtp_socket_peer_output_done(ps->k.sock, p, (size_t)w);
        *moved += (size_t)w;
        if ((size_t)w < total) return true; /* the kernel buffer is full */
    }
    return true;
}


/* Write peer @p p's output (closing it if the transport failed). @return bytes written. */
static size_t peer_write(mzmtp_posix_t *io, mzmtp_posix_socket_t *ps, int p, uint32_t now)
{
    size_t moved = 0;
    if (ps->fd[p] >= 0 && !write_out(ps, p, &moved)) close_peer(io, ps, p, MZMTP_ERR_CLOSED, now);
    return moved;
}

/* The engine of @p p failed with @p why: send what it still has (an ERROR command, RFC 37
 * "Error handling"; picotls style), then close. A failed write must not replace @p why:
 * the monitor reports it and mzmtp_status_allows_reconnect() decides on it. */
static void peer_fail(mzmtp_posix_t *io, mzmtp_posix_socket_t *ps, int p, mzmtp_status_t why,
                      uint32_t now)
{
    if (ps->fd[p] < 0) return;
    size_t moved = 0;
    (void)write_out(ps, p, &moved);
    close_peer(io, ps, p, why, now);
}

/* Read straight into the engine's buffer (zero copy). One read per readiness, so that an
 * EOF right behind data is seen only after the application had a chance to take it.
 * @p flags NOWAIT, or 0 to wait in recv() (the descriptor's receive timeout ends it). */
static void peer_read(mzmtp_posix_t *io, mzmtp_posix_socket_t *ps, int p, uint32_t now,
                      int flags)
{
    uint8_t *ptr;
    size_t len;
    mzmtp_socket_peer_rx_space(ps->k.sock, p, &ptr, &len);
    if (len == 0) return; /* backpressure: the socket is full */
    ssize_t r = recv(ps->fd[p], ptr, len, flags);
    if (flags == 0) now = mzmtp_posix_now_ms(); /* it waited */
    if (r > 0) {
        mzmtp_status_t st = mzmtp_socket_peer_rx_commit(ps->k.sock, p, (size_t)r, now);
        if (mzmtp_status_is_fatal(st)) peer_fail(io, ps, p, st, now);
    } else if (r == 0) {
        close_peer(io, ps, p, MZMTP_ERR_CLOSED, now);
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        close_peer(io, ps, p, MZMTP_ERR_CLOSED, now);
    }
}


/* Tell the socket who is on the other end ("192.0.2.7:40112", "[fd00::1]:5555"; "" for
 * ipc), for its authenticator (mzmtp_auth_request_t.address). */
static void peer_address(mzmtp_socket_t *sock, int p, int fd)
{
    struct sockaddr_storage sa;
    socklen_t len = sizeof sa;
    char host[INET6_ADDRSTRLEN] = "";
    char text[INET6_ADDRSTRLEN + 10] = "";
    if (getpeername(fd, (struct sockaddr *)&sa, &len) == 0) {
        if (sa.ss_family == AF_INET) {
            const struct sockaddr_in *in = (const struct sockaddr_in *)&sa;
            if (inet_ntop(AF_INET, &in->sin_addr, host, sizeof host) != NULL) {
                snprintf(text, sizeof text, "%s:%u", host, (unsigned)ntohs(in->sin_port));
            }
        } else if (sa.ss_family == AF_INET6) {
            const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&sa;
            if (inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host) != NULL) {
                snprintf(text, sizeof text, "[%s]:%u", host, (unsigned)ntohs(in6->sin6_port));
            }
        }
    }
    mzmtp_socket_peer_set_address(sock, p, text);
}


/* A transport is up on peer slot @p p: start its ZMTP session. @p fd is already
 * blocking or not as WAIT_IN_RECV says (the caller's set_nonblock(), or accept4()). */
static void peer_begin(mzmtp_posix_t *io, mzmtp_posix_socket_t *ps, int p, int fd, uint32_t now)
{
    peer_address(ps->k.sock, p, fd);
    ps->fd[p] = fd;
    mzmtp_peerset_add(&ps->live, (unsigned)p);
    poller_peer_add(io, ps, p);
    mzmtp_status_t st = mzmtp_socket_peer_start(ps->k.sock, p, now);
    if (st != MZMTP_OK) {
        close_peer(io, ps, p, st, now);
        return;
    }
    peer_write(io, ps, p, now); /* greeting at once: libzmq waits for it (wire-notes G3) */
}

static void connect_done(mzmtp_posix_t *io, mzmtp_posix_endpoint_t *ep, int fd, uint32_t now)
{
    mzmtp_posix_socket_t *ps = find_sock(io, ep->k.sock, false);
#if MZMTP_POSIX_USE_EPOLL
    if (ep->fd == fd) poller_drop(io, fd); /* it comes back as the peer's */
#endif
    ep->fd = -1;
    ep->step_timer = false;
    mzmtp_kit_ep_up(&ep->k, &io->rc); /* back-off reset, monitor: CONNECTED */
    set_nonblock(fd, !WAIT_IN_RECV);
    peer_begin(io, ps, (int)ep->k.peer, fd, now);
}

/* Every address of this round failed (or there was none): wait, then start over. */
static void connect_failed(mzmtp_posix_t *io, mzmtp_posix_endpoint_t *ep, uint32_t now)
{
    ep_close_fd(io, ep);
    ep->step_timer = false;
    endpoint_down(io, ep, now, MZMTP_ERR_CLOSED, true);
}

/* Start a TCP or ipc connect to @p sa. @p more: other addresses wait behind this one, so
 * it gets MZMTP_POSIX_CONNECT_STEP_MS. @return false if it failed at once. */
static bool start_connect(mzmtp_posix_t *io, mzmtp_posix_endpoint_t *ep, const struct sockaddr *sa,
                          socklen_t sa_len, bool more, uint32_t now)
{
    int fd = socket(sa->sa_family, SOCK_STREAM, 0);
    if (fd < 0) return false;
    setup_fd(fd, sa->sa_family);
    if (connect(fd, sa, sa_len) == 0) {
        connect_done(io, ep, fd, now);
        return true;
    }
    if (errno == EINPROGRESS || errno == EINTR) {
        ep->fd = fd;
        ep->step_timer = more;
        mzmtp_kit_ep_step(&ep->k, now, MZMTP_POSIX_CONNECT_STEP_MS);
        poller_ep_add(io, ep, EV_OUT);
        return true;
    }
    (void)close(fd); /* refused, unreachable: the next address */
    return false;
}

/* Try the round's remaining addresses, one after another, until one is under way. */
static void connect_next(mzmtp_posix_t *io, mzmtp_posix_endpoint_t *ep, uint32_t now)
{
    ep_close_fd(io, ep);
    while (ep->next_addr < ep->n_addrs) {
        const mzmtp_posix_inaddr_t *a = &ep->addrs[ep->next_addr++];
        if (start_connect(io, ep, (const struct sockaddr *)a, inaddr_len(a),
                          ep->next_addr < ep->n_addrs, now)) {
            return;
        }
    }
    connect_failed(io, ep, now);
}

#if MZMTP_POSIX_RESOLVER_THREAD
/* What a resolver thread sends back through the pipe: one write of at most PIPE_BUF
 * bytes, so it arrives whole (POSIX write(): atomic below PIPE_BUF). */
typedef struct resolver_answer {
    mzmtp_posix_endpoint_t *ep;
    uint32_t gen;
    uint8_t n;
    mzmtp_posix_inaddr_t addrs[MZMTP_POSIX_MAX_ADDRS];
} resolver_answer_t;
typedef char resolver_answer_fits_pipe_buf[sizeof(resolver_answer_t) <= 512 ? 1 : -1];

/* The thread: getaddrinfo() (as long as it takes), the answer into the pipe, exit. It
 * reads the endpoint's text, generation and pipe end only: they stay as they are while
 * ep->resolving is set, and nothing else of the context is touched. */
static void *resolver_main(void *arg)
{
    const mzmtp_posix_endpoint_t *ep = arg;
    resolver_answer_t a;
    char text[MZMTP_POSIX_ENDPOINT_LEN];
    memset(&a, 0, sizeof a);
    a.ep = (mzmtp_posix_endpoint_t *)(uintptr_t)ep;
    a.gen = ep->gen;
    int out = ep->res_wr;
    memcpy(text, ep->addr, sizeof text);
    a.n = resolve_endpoint(text, a.addrs, MZMTP_POSIX_MAX_ADDRS);
    /* Every signal is blocked in this thread (start_resolve): should the pipe be closed
     * already (mzmtp_posix_term), write() fails with EPIPE instead of raising SIGPIPE. */
    while (write(out, &a, sizeof a) < 0 && errno == EINTR) {
    }
    return NULL;
}

/* The pipe the answers come through, made by the first name to resolve. */
static bool resolver_pipe(mzmtp_posix_t *io)
{
    if (io->res_rd >= 0) return true;
    int fds[2];
    if (pipe(fds) != 0) return false;
    (void)fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    (void)fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    set_nonblock(fds[0], true); /* the loop drains it; the threads' writes may wait */
    io->res_rd = fds[0];
    io->res_wr = fds[1];
#if MZMTP_POSIX_USE_EPOLL
    poller_set(io, EPOLL_CTL_ADD, io->res_rd, EV_IN, make_tag(TAG_RESOLVER, 0, 0, 0));
#endif
    return true;
}

/* Answers that arrived: each one starts its endpoint's round of connects (or, for an
 * endpoint closed or moved on meanwhile, only frees the entry). */
static void resolver_drain(mzmtp_posix_t *io, uint32_t now)
{
    resolver_answer_t a;
    while (io->res_rd >= 0 && read(io->res_rd, &a, sizeof a) == (ssize_t)sizeof a) {
        mzmtp_posix_endpoint_t *ep = a.ep;
        if (ep < io->ep || ep >= io->ep + MZMTP_POSIX_MAX_ENDPOINTS || !ep->resolving) continue;
        ep->resolving = false;
        if (io->resolving > 0) io->resolving--;
        if (ep->k.kind != MZMTP_KIT_EP_CONNECT || ep->k.state != MZMTP_KIT_CONNECTING ||
            !ep->lookup || ep->gen != a.gen) {
            continue;
        }
        ep->lookup = false;
        if (a.n > MZMTP_POSIX_MAX_ADDRS) a.n = MZMTP_POSIX_MAX_ADDRS;
        memcpy(ep->addrs, a.addrs, sizeof ep->addrs);
        ep->n_addrs = a.n;
        ep->next_addr = 0;
        connect_next(io, ep, now);
    }
}
#endif

/* Resolve @p ep's name, then connect_next(). With the thread the loop goes on meanwhile;
 * the answer comes through io->res_rd (resolver_drain). */
static void start_resolve(mzmtp_posix_t *io, mzmtp_posix_endpoint_t *ep, uint32_t now)
{
#if MZMTP_POSIX_RESOLVER_THREAD
    if (!resolver_pipe(io)) {
        connect_failed(io, ep, now);
        return;
    }
    ep->lookup = true;
    ep->step_timer = false;
    ep->gen++;
    ep->res_wr = io->res_wr;
    ep->resolving = true;
    /* The thread starts with every signal blocked: they stay the application's threads'. */
    sigset_t all, old;
    pthread_attr_t attr;
    pthread_t tid;
    (void)sigfillset(&all);
    int rc = pthread_attr_init(&attr);
    if (rc == 0) {
        (void)pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        (void)pthread_attr_setstacksize(&attr, 256u * 1024u); /* NSS modules want room */
        (void)pthread_sigmask(SIG_SETMASK, &all, &old);
        rc = pthread_create(&tid, &attr, resolver_main, ep);
        (void)pthread_sigmask(SIG_SETMASK, &old, NULL);
        (void)pthread_attr_destroy(&attr);
    }
    if (rc != 0) { /* no thread now (EAGAIN): a failed round, retried later */
        ep->resolving = false;
        ep->lookup = false;
        connect_failed(io, ep, now);
        return;
    }
    io->resolving++;
#else
    ep->n_addrs = resolve_endpoint(ep->addr, ep->addrs, MZMTP_POSIX_MAX_ADDRS);
    ep->next_addr = 0;
    connect_next(io, ep, now);
#endif
}

/* A new round: every address again, the name resolved again (DNS may have changed). */
static void connect_attempt(mzmtp_posix_t *io, mzmtp_posix_endpoint_t *ep, uint32_t now)
{
    mzmtp_kit_ep_attempt(&ep->k);
    ep->step_timer = false;
    if (is_ipc(ep->addr)) {
        struct sockaddr_un un;
        socklen_t len;
        ep->n_addrs = 0;
        ep->next_addr = 0;
        if (ipc_address(ep->addr, &un, &len) != MZMTP_OK ||
            !start_connect(io, ep, (const struct sockaddr *)&un, len, false, now)) {
            connect_failed(io, ep, now);
        }
    } else if (ep->numeric) {
        ep->next_addr = 0;
        connect_next(io, ep, now);
    } else {
        start_resolve(io, ep, now);
    }
}

/* ------------------------------------ listeners ---------------------------------------- */

/* A descriptor kept for the moment the process has no other: see listener_accept(). */
static int reserve_open(void) { return open("/dev/null", O_RDONLY | O_CLOEXEC); }

static bool out_of_descriptors(int err)
{
    return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

/*
 * Accept what is pending, at most MZMTP_POSIX_ACCEPT_BATCH connections (a storm of them
 * cannot starve the descriptors already connected; the rest wait for the next wakeup).
 * A connection the socket has no slot for is closed at once: the peer sees the close and
 * retries at its own pace. When no descriptor is left (EMFILE, ENFILE), the pending
 * connection would stay in the backlog and the listener readable, waking the loop for
 * ever: the reserve descriptor is closed to accept it, it is closed, and the reserve is
 * taken back. If that fails too, the listener rests MZMTP_POSIX_ACCEPT_PAUSE_MS.
 */
static void listener_accept(mzmtp_posix_t *io, mzmtp_posix_endpoint_t *ep, uint32_t now)
{
    mzmtp_posix_socket_t *ps = find_sock(io, ep->k.sock, false);
    for (unsigned i = 0; i < MZMTP_POSIX_ACCEPT_BATCH; i++) {
        struct sockaddr_storage sa;
        socklen_t sa_len = sizeof sa;
#if ACCEPT4
        int fd = accept4(ep->fd, (struct sockaddr *)&sa, &sa_len, ACCEPT4_FLAGS);
#else
        int fd = accept(ep->fd, (struct sockaddr *)&sa, &sa_len);
#endif
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (!out_of_descriptors(errno)) return; /* EAGAIN: nothing left */
            if (io->reserve_fd >= 0) {
                (void)close(io->reserve_fd);
                fd = accept(ep->fd, NULL, NULL);
                if (fd >= 0) (void)close(fd); /* refused: no descriptor for it */
                io->reserve_fd = reserve_open();
                if (fd >= 0) continue;
            }
            mzmtp_kit_ep_pause(&ep->k, now, MZMTP_POSIX_ACCEPT_PAUSE_MS);
            return;
        }
#if ACCEPT4
        tune_fd(fd, sa.ss_family);
#else
        (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
        set_nonblock(fd, !WAIT_IN_RECV); /* (a BSD's accept() copies the listener's) */
        tune_fd(fd, sa.ss_family);
#endif
        int p;
        if (mzmtp_socket_peer_open(ps->k.sock, false, &p) != MZMTP_OK) {
            (void)close(fd); /* no free slot (MZMTP_ERR_LIMIT) or closing */
            continue;
        }
        ps->ep[p] = -1;
        mzmtp_socket_notify(ps->k.sock, MZMTP_EV_ACCEPTED, p, MZMTP_OK);
        peer_begin(io, ps, p, fd, now);
    }
}

/* ------------------------------------- timers ------------------------------------------ */

/* ms until the next timer of the port or of a socket, UINT32_MAX for none. */
static uint32_t next_timer(const mzmtp_posix_t *io, uint32_t now)
{
    uint32_t wait = UINT32_MAX;
    for (size_t i = 0; i < io->ep_end; i++) {
        mzmtp_kit_ep_wait_all(&io->ep[i].k, now, io->ep[i].step_timer, &wait);
    }
    for (size_t i = 0; i < MZMTP_POSIX_MAX_SOCKETS; i++) {
        if (io->s[i].k.sock == NULL) continue;
        uint32_t left = sock_next_timeout(&io->s[i], now);
        if (left < wait) wait = left;
    }
    return wait;
}

/* Lower @p *timeout_ms (poll()'s form) to @p wait ms. */
static void cap_timeout(int *timeout_ms, uint32_t wait)
{
    if (wait != UINT32_MAX && (*timeout_ms < 0 || wait < (uint32_t)*timeout_ms)) {
        *timeout_ms = wait > (uint32_t)INT_MAX ? INT_MAX : (int)wait;
    }
}

/* mzmtp_kit_reap()'s callback: a peer whose timer expired or whose engine failed in an
 * application call sends what it still has (an ERROR), then is closed. */
typedef struct dead_ctx {
    mzmtp_posix_t *io;
    mzmtp_posix_socket_t *ps;
    uint32_t now;
} dead_ctx_t;

static void dead_peer(void *ctx, int p, mzmtp_status_t why)
{
    const dead_ctx_t *d = ctx;
    peer_fail(d->io, d->ps, p, why, d->now);
}

/* Due timers, then the output the application queued since the last call. With
 * @p all false (run() after its wait), the sockets' timers are looked at only once the
 * earliest one that run() computed before waiting is due, and only the sockets whose
 * timers ran are written: the arming pass wrote what the application had queued, and
 * the dispatch wrote what input produced. Each of those would otherwise be another walk
 * of every connection per wakeup. */
static void run_timers_and_write(mzmtp_posix_t *io, bool all)
{
    uint32_t now = mzmtp_posix_now_ms();
    bool timers = all || (io->timer_set && mzmtp_kit_is_due(now, io->timer_at));
    bool ticked[MZMTP_POSIX_MAX_SOCKETS] = {false};
    for (size_t s = 0; s < MZMTP_POSIX_MAX_SOCKETS && timers; s++) {
        mzmtp_posix_socket_t *ps = &io->s[s];
        if (ps->k.sock == NULL || sock_next_timeout(ps, now) != 0) continue;
        dead_ctx_t d = {io, ps, now};
        mzmtp_kit_reap(ps->k.sock, now, dead_peer, &d);
        ticked[s] = true;
    }
    for (size_t e = 0; e < io->ep_end; e++) {
        mzmtp_posix_endpoint_t *ep = &io->ep[e];
        if (mzmtp_kit_ep_due(&ep->k, now)) {
            connect_attempt(io, ep, now);
        } else if (ep->step_timer && mzmtp_kit_ep_step_due(&ep->k, now)) {
            connect_next(io, ep, now); /* unanswered: the next address takes over */
        } else {
            (void)mzmtp_kit_ep_resume(&ep->k, now); /* a listener's rest is over */
        }
    }

    /* What the application sent since the last call, replies the input produced, and
     * what the timers queued (heartbeats). */
    for (size_t s = 0; s < MZMTP_POSIX_MAX_SOCKETS; s++) {
        mzmtp_posix_socket_t *ps = &io->s[s];
        if (ps->k.sock == NULL || !(all || ticked[s])) continue;
        FOR_LIVE(ps, p) peer_write(io, ps, p, now);
    }
}

/* A connect in progress reported: up, or this address failed. */
static void connect_reported(mzmtp_posix_t *io, mzmtp_posix_endpoint_t *ep, uint32_t now)
{
    int err = 0;
    socklen_t err_len = sizeof err;
    if (getsockopt(ep->fd, SOL_SOCKET, SO_ERROR, &err, &err_len) != 0) err = errno;
    if (err == 0) {
        connect_done(io, ep, ep->fd, now);
    } else {
        connect_next(io, ep, now);
    }
}

/* What a peer needs from the kernel now: input while it has receive room (backpressure),
 * output while it has some queued. */
static uint8_t peer_interest(mzmtp_posix_socket_t *ps, int p, bool out_only)
{
    unsigned want = mzmtp_kit_peer_wants(ps->k.sock, p); /* EV_IN, EV_OUT: the kit's bits */
    return (uint8_t)(out_only ? want & EV_OUT : want);
}

#if MZMTP_POSIX_USE_EPOLL
#if MZMTP_CONF_PEER_CHANGES
/* Bring peer @p p's registered interest up to date (its wants may have changed), writing
 * output queued since its last write as the full pass below does. @return true when
 * something was written. */
static bool arm_peer(mzmtp_posix_t *io, mzmtp_posix_socket_t *ps, size_t s, int p, uint32_t now)
{
    bool wrote = false;
    uint8_t want = peer_interest(ps, p, false);
    if ((want & EV_OUT) && !(ps->armed[p] & EV_OUT)) {
        /* (why the write comes first: see the full pass) */
        if (peer_write(io, ps, p, now) > 0) wrote = true;
        if (ps->fd[p] < 0) return wrote; /* the write failed: closed */
        if (!mzmtp_socket_peer_has_output(ps->k.sock, p)) want &= (uint8_t)~EV_OUT;
    }
    if (want != ps->armed[p]) {
        peer_armed(io, ps, p, want);
        poller_set(io, EPOLL_CTL_MOD, ps->fd[p], want, make_tag(TAG_PEER, s, p, 0));
    }
    return wrote;
}
#endif

/*
 * Bring every descriptor's registered interest up to date (an epoll_ctl() only where it
 * changed), and note what run() needs to choose a wait in recv(): the one peer armed for
 * input only, other armed descriptors, listeners. @p out_only: flush() reads nothing and
 * accepts nothing.
 */
static void poller_arm(mzmtp_posix_t *io, bool out_only)
{
    int single = -1;
    unsigned in_only = 0, others = 0, listeners = 0;
    for (size_t i = 0; i < io->ep_end; i++) {
        mzmtp_posix_endpoint_t *ep = &io->ep[i];
        if (ep->k.kind == MZMTP_KIT_EP_BIND) {
            uint8_t want = (out_only || ep->k.state != MZMTP_KIT_UP) ? 0 : EV_IN;
            if (want != ep->armed) {
                ep->armed = want;
                poller_set(io, EPOLL_CTL_MOD, ep->fd, want, make_tag(TAG_EP, i, 0, ep->gen));
            }
            if (want != 0) listeners++;
        } else if (ep->fd >= 0) {
            others++; /* a connect in progress */
        }
    }
    if (io->resolving > 0) others++;
    bool wrote = false;
    uint32_t now = mzmtp_posix_now_ms();
#if MZMTP_CONF_PEER_CHANGES
    /* Only the peers whose wants may have changed since the last pass (the sockets
     * report them), unless flush() armed for output only, or did so last time: then
     * every peer, as without the report. */
    if (!out_only && !io->arm_walk_all) {
        for (size_t s = 0; s < MZMTP_POSIX_MAX_SOCKETS; s++) {
            mzmtp_posix_socket_t *ps = &io->s[s];
            if (ps->k.sock == NULL) continue;
            for (int p = mzmtp_socket_peer_next_changed(ps->k.sock, -1); p >= 0;
                 p = mzmtp_socket_peer_next_changed(ps->k.sock, p)) {
                if (p >= MZMTP_CONF_MAX_PEERS || ps->fd[p] < 0) continue; /* no transport */
                if (arm_peer(io, ps, (size_t)s, p, now)) wrote = true;
            }
        }
        if (io->arm_in_only == 1) {
            single = io->arm_in_xor;
        } else {
            others += io->arm_in_only;
        }
        io->arm_single_fd = single;
        io->arm_others = others + io->arm_peer_out;
        io->arm_listeners = listeners;
        io->arm_wrote = wrote;
        return;
    }
    io->arm_walk_all = out_only;
#endif
    for (size_t s = 0; s < MZMTP_POSIX_MAX_SOCKETS; s++) {
        mzmtp_posix_socket_t *ps = &io->s[s];
        if (ps->k.sock == NULL) continue;
        FOR_LIVE(ps, p) {
            uint8_t want = peer_interest(ps, p, out_only);
            if (!out_only && (want & EV_OUT) && !(ps->armed[p] & EV_OUT)) {
                /* Output queued since the last write: write it now rather than ask epoll
                 * whether the descriptor is writable (it nearly always is). EPOLLOUT is
                 * asked only when the kernel took less than all, so a request-reply
                 * loop makes no epoll_ctl() per message (two before: arm, then disarm).
                 * A peer already waiting for EPOLLOUT is left to it: trying again here
                 * would be one failed sendmsg() per wakeup (a slow subscriber). */
                if (peer_write(io, ps, p, now) > 0) wrote = true;
                if (ps->fd[p] < 0) continue; /* the write failed: closed */
                if (!mzmtp_socket_peer_has_output(ps->k.sock, p)) want &= (uint8_t)~EV_OUT;
            }
            if (want != ps->armed[p]) {
                peer_armed(io, ps, p, want);
                poller_set(io, EPOLL_CTL_MOD, ps->fd[p], want, make_tag(TAG_PEER, s, p, 0));
            }
            if (want == EV_IN) {
                in_only++;
                single = ps->fd[p];
            } else if (want != 0) {
                others++;
            }
        }
    }
    if (in_only != 1) {
        others += in_only;
        single = -1;
    }
    io->arm_single_fd = single;
    io->arm_others = others;
    io->arm_listeners = listeners;
    io->arm_wrote = wrote;
}

/* Act on @p n events from epoll_wait(). */
static void poller_dispatch(mzmtp_posix_t *io, const struct epoll_event *ev, int n, bool out_only)
{
    uint32_t now = mzmtp_posix_now_ms();
    for (int i = 0; i < n; i++) {
        uint64_t tag = ev[i].data.u64;
        unsigned kind = (unsigned)(tag & 0xffu);
        size_t index = (size_t)((tag >> 8) & 0xffffu);
        uint32_t what = ev[i].events;
        if (kind == TAG_PEER) {
            int p = (int)((tag >> 24) & 0xffffu);
            if (index >= MZMTP_POSIX_MAX_SOCKETS || p >= MZMTP_CONF_MAX_PEERS) continue;
            mzmtp_posix_socket_t *ps = &io->s[index];
            if (ps->k.sock == NULL || ps->fd[p] < 0) continue;
            bool read = !out_only && (what & (EPOLLIN | EPOLLHUP | EPOLLERR));
            if (read) peer_read(io, ps, p, now, NOWAIT);
            /* and what the input produced (a handshake step, a PONG), at once */
            if (read || (what & (EPOLLOUT | EPOLLERR | (out_only ? EPOLLHUP : 0)))) {
                peer_write(io, ps, p, now);
            }
        } else if (kind == TAG_EP) {
            if (index >= io->ep_end) continue;
            mzmtp_posix_endpoint_t *ep = &io->ep[index];
            if ((uint32_t)(tag >> 40) != (ep->gen & 0xffffffu) || ep->fd < 0) continue;
            if (ep->k.kind == MZMTP_KIT_EP_BIND && ep->k.state == MZMTP_KIT_UP && !out_only) {
                listener_accept(io, ep, now);
            } else if (ep->k.kind == MZMTP_KIT_EP_CONNECT && ep->k.state == MZMTP_KIT_CONNECTING) {
                connect_reported(io, ep, now);
            }
        } else if (kind == TAG_RESOLVER) {
#if MZMTP_POSIX_RESOLVER_THREAD
            resolver_drain(io, now);
#endif
        }
    }
}

/* Wait up to @p timeout_ms for events and act on them. @return epoll_wait()'s result. */
static int poller_wait(mzmtp_posix_t *io, int timeout_ms, bool out_only)
{
    struct epoll_event ev[MZMTP_POSIX_EPOLL_BATCH];
    int n = epoll_wait(io->epfd, ev, MZMTP_POSIX_EPOLL_BATCH, timeout_ms);
    if (n > 0) poller_dispatch(io, ev, n, out_only);
    return n;
}
#endif

/* ----------------------------------- public API ---------------------------------------- */

void mzmtp_posix_init(mzmtp_posix_t *io)
{
    memset(io, 0, sizeof *io);
    for (size_t i = 0; i < MZMTP_POSIX_MAX_ENDPOINTS; i++) {
        io->ep[i].fd = -1;
        io->ep[i].k.peer = -1;
        io->ep[i].res_wr = -1;
    }
    io->wait_fd = -1;
    io->epfd = -1;
    io->res_rd = -1;
    io->res_wr = -1;
    io->reserve_fd = -1;
    io->arm_single_fd = -1;
    mzmtp_kit_reconnect_init(&io->rc, 100, 0,
                             mzmtp_posix_now_ms() ^ ((uint32_t)getpid() << 16) ^
                                 (uint32_t)(uintptr_t)io);
#if !defined(MSG_NOSIGNAL) && !defined(SO_NOSIGPIPE)
    (void)signal(SIGPIPE, SIG_IGN);
#endif
}

void mzmtp_posix_term(mzmtp_posix_t *io)
{
    if (io->epfd >= 0) (void)close(io->epfd);
    if (io->res_rd >= 0) (void)close(io->res_rd);
    if (io->res_wr >= 0) (void)close(io->res_wr);
    if (io->reserve_fd >= 0) (void)close(io->reserve_fd);
    io->epfd = io->res_rd = io->res_wr = io->reserve_fd = -1;
}

void mzmtp_posix_set_reconnect(mzmtp_posix_t *io, int32_t ivl_ms, int32_t ivl_max_ms)
{
    mzmtp_kit_reconnect_set(&io->rc, ivl_ms, ivl_max_ms);
}

/* The address to bind for a tcp endpoint: numeric, "*", or a name resolved here (which
 * may block: bind is set-up, not loop work) to its first IPv4 address, else its first
 * (wire-notes T4). @return MZMTP_OK or MZMTP_ERR_INVALID. */
static mzmtp_status_t bind_address(const char *endpoint, mzmtp_posix_inaddr_t *out)
{
    char host[MZMTP_POSIX_ENDPOINT_LEN], port[8];
    mzmtp_posix_inaddr_t all[MZMTP_POSIX_MAX_ADDRS];
    uint16_t num;
    if (split_tcp(endpoint, true, host, sizeof host, port, &num) != MZMTP_OK) return MZMTP_ERR_INVALID;
    if (lookup(host, port, true, true, out, 1) == 1) return MZMTP_OK;
    uint8_t n = lookup(host, port, false, true, all, MZMTP_POSIX_MAX_ADDRS);
    if (n == 0) return MZMTP_ERR_INVALID;
    uint8_t pick = 0;
    for (uint8_t i = 0; i < n; i++) {
        if (all[i].in.sin_family == AF_INET) {
            pick = i;
            break;
        }
    }
    *out = all[pick];
    return MZMTP_OK;
}

mzmtp_status_t mzmtp_posix_bind(mzmtp_posix_t *io, mzmtp_socket_t *sock, const char *endpoint,
                                char *actual, size_t cap)
{
    if (io == NULL || sock == NULL || endpoint == NULL) return MZMTP_ERR_INVALID;
    struct sockaddr_un un;
    mzmtp_posix_inaddr_t in;
    const struct sockaddr *sa;
    socklen_t sa_len;
    if (strlen(endpoint) >= MZMTP_POSIX_ENDPOINT_LEN) return MZMTP_ERR_INVALID;
    if (is_ipc(endpoint)) {
        if (ipc_address(endpoint, &un, &sa_len) != MZMTP_OK) return MZMTP_ERR_INVALID;
        sa = (const struct sockaddr *)&un;
    } else {
        if (bind_address(endpoint, &in) != MZMTP_OK) return MZMTP_ERR_INVALID;
        sa = (const struct sockaddr *)&in;
        sa_len = inaddr_len(&in);
    }
    mzmtp_posix_endpoint_t *ep = free_endpoint(io);
    if (ep == NULL || find_sock(io, sock, true) == NULL) return MZMTP_ERR_LIMIT;
    if (!poller_ready(io)) return MZMTP_ERR_CLOSED;
    if (io->reserve_fd < 0) io->reserve_fd = reserve_open();

    int fd = socket(sa->sa_family, SOCK_STREAM, 0);
    if (fd < 0) return MZMTP_ERR_CLOSED;
    setup_fd(fd, sa->sa_family);
    bool ipc_file = sa->sa_family == AF_UNIX && endpoint[6] != '@';
    if (ipc_file) {
        (void)unlink(endpoint + 6); /* binding replaces an existing file (T3) */
    } else if (sa->sa_family != AF_UNIX) {
        int one = 1;
        (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    }
    if (bind(fd, sa, sa_len) != 0 || listen(fd, SOMAXCONN) != 0) {
        int saved = errno;
        (void)close(fd);
        errno = saved;
        return MZMTP_ERR_CLOSED;
    }

    /* The endpoint as bound, with the real port (ZMQ_LAST_ENDPOINT). */
    char bound[MZMTP_POSIX_ENDPOINT_LEN];
    snprintf(bound, sizeof bound, "%s", endpoint);
    struct sockaddr_storage got;
    socklen_t got_len = sizeof got;
    uint16_t bound_port = 0;
    if (sa->sa_family != AF_UNIX && getsockname(fd, (struct sockaddr *)&got, &got_len) == 0) {
        char host[INET6_ADDRSTRLEN + 16], port[8];
        if (getnameinfo((struct sockaddr *)&got, got_len, host, sizeof host, port, sizeof port,
                        NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
            snprintf(bound, sizeof bound, got.ss_family == AF_INET6 ? "tcp://[%s]:%s" : "tcp://%s:%s",
                     host, port);
        }
        bound_port = ntohs(got.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&got)->sin6_port
                                                     : ((struct sockaddr_in *)&got)->sin_port);
    }
    if (actual != NULL) {
        if (strlen(bound) >= cap) {
            (void)close(fd);
            return MZMTP_ERR_INVALID;
        }
        memcpy(actual, bound, strlen(bound) + 1);
    }
    memset(ep, 0, sizeof *ep);
    mzmtp_kit_ep_bind(&ep->k, sock, bound_port);
    endpoint_taken(io, ep);
    ep->ipc_file = ipc_file;
    ep->fd = fd;
    ep->res_wr = -1;
    memcpy(ep->addr, bound, sizeof bound);
    poller_ep_add(io, ep, EV_IN);
    return MZMTP_OK;
}

mzmtp_status_t mzmtp_posix_connect(mzmtp_posix_t *io, mzmtp_socket_t *sock, const char *endpoint)
{
    if (io == NULL || sock == NULL || endpoint == NULL) return MZMTP_ERR_INVALID;
    if (strlen(endpoint) >= MZMTP_POSIX_ENDPOINT_LEN) return MZMTP_ERR_INVALID;
    mzmtp_posix_inaddr_t numeric;
    bool is_numeric = false;
    uint16_t port_num = 0;
    if (is_ipc(endpoint)) {
        struct sockaddr_un un;
        socklen_t len;
        if (ipc_address(endpoint, &un, &len) != MZMTP_OK) return MZMTP_ERR_INVALID;
    } else {
        char host[MZMTP_POSIX_ENDPOINT_LEN], port[8];
        if (split_tcp(endpoint, false, host, sizeof host, port, &port_num) != MZMTP_OK) {
            return MZMTP_ERR_INVALID;
        }
        is_numeric = lookup(host, port, true, false, &numeric, 1) == 1; /* no lookup */
    }
    mzmtp_posix_endpoint_t *ep = free_endpoint(io);
    mzmtp_posix_socket_t *ps = find_sock(io, sock, true);
    if (ep == NULL || ps == NULL) return MZMTP_ERR_LIMIT;
    if (!poller_ready(io)) return MZMTP_ERR_CLOSED;
    uint32_t now = mzmtp_posix_now_ms();
    memset(ep, 0, sizeof *ep);
    /* The kit's record takes a keep_queue peer slot for good (wire-notes R4). */
    mzmtp_status_t st = mzmtp_kit_ep_connect(&ep->k, sock, port_num, &io->rc, now);
    ep->fd = -1;
    ep->res_wr = -1;
    if (st != MZMTP_OK) return st; /* the entry stays free */
    int p = (int)ep->k.peer;
    endpoint_taken(io, ep);
    ep->numeric = is_numeric;
    if (is_numeric) {
        ep->addrs[0] = numeric;
        ep->n_addrs = 1;
    }
    memcpy(ep->addr, endpoint, strlen(endpoint) + 1);
    ps->fd[p] = -1;
    ps->ep[p] = (int16_t)(ep - io->ep);
    connect_attempt(io, ep, now);
    return MZMTP_OK;
}

#if MZMTP_POSIX_USE_EPOLL
size_t mzmtp_posix_fds(mzmtp_posix_t *io, struct pollfd *fds, size_t max, int *timeout_ms)
{
    poller_arm(io, false);
    if (io->arm_wrote) *timeout_ms = 0; /* as run(): output written, return at once */
    cap_timeout(timeout_ms, next_timer(io, mzmtp_posix_now_ms()));
    if (io->epfd < 0) return 0; /* nothing bound or connected yet */
    if (max < 1) {
        *timeout_ms = 0;
        return 0;
    }
    fds[0].fd = io->epfd;
    fds[0].events = POLLIN;
    fds[0].revents = 0;
    return 1;
}

void mzmtp_posix_handle(mzmtp_posix_t *io, const struct pollfd *fds, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (fds[i].fd == io->epfd && io->epfd >= 0 && fds[i].revents != 0) {
            (void)poller_wait(io, 0, false);
            break;
        }
    }
    run_timers_and_write(io, true);
}
#else
size_t mzmtp_posix_fds(mzmtp_posix_t *io, struct pollfd *fds, size_t max, int *timeout_ms)
{
    size_t n = 0;
    bool overflow = false;
#define ADD_FD(d, ev)                                                                      \
    do {                                                                                   \
        if (n < max) {                                                                     \
            fds[n].fd = (d);                                                               \
            fds[n].events = (short)(ev);                                                   \
            fds[n].revents = 0;                                                            \
            n++;                                                                           \
        } else {                                                                           \
            overflow = true;                                                               \
        }                                                                                  \
    } while (0)

    for (size_t i = 0; i < io->ep_end; i++) {
        mzmtp_posix_endpoint_t *ep = &io->ep[i];
        if (ep->k.kind == MZMTP_KIT_EP_BIND && ep->k.state == MZMTP_KIT_UP) ADD_FD(ep->fd, POLLIN);
        if (ep->k.kind == MZMTP_KIT_EP_CONNECT && ep->fd >= 0) ADD_FD(ep->fd, POLLOUT);
    }
    if (io->resolving > 0) ADD_FD(io->res_rd, POLLIN);
    for (size_t i = 0; i < MZMTP_POSIX_MAX_SOCKETS; i++) {
        mzmtp_posix_socket_t *ps = &io->s[i];
        if (ps->k.sock == NULL) continue;
        FOR_LIVE(ps, p) {
            uint8_t want = peer_interest(ps, p, false);
            if (want != 0) {
                ADD_FD(ps->fd[p], ((want & EV_IN) ? POLLIN : 0) | ((want & EV_OUT) ? POLLOUT : 0));
            }
        }
    }
#undef ADD_FD
    cap_timeout(timeout_ms, overflow ? 0u : next_timer(io, mzmtp_posix_now_ms()));
    return n;
}

void mzmtp_posix_handle(mzmtp_posix_t *io, const struct pollfd *fds, size_t n)
{
    uint32_t now = mzmtp_posix_now_ms();

    /* Passes in this order, so that a descriptor number reused by accept() or a reconnect
     * within this call is never mistaken for the one poll() reported on: peers first (they
     * only close descriptors), then connects in progress, then listeners and resolver
     * answers; timers last. */
    for (size_t i = 0; i < n; i++) {
        if (fds[i].revents == 0) continue;
        for (size_t s = 0; s < MZMTP_POSIX_MAX_SOCKETS; s++) {
            mzmtp_posix_socket_t *ps = &io->s[s];
            if (ps->k.sock == NULL) continue;
            FOR_LIVE(ps, p) {
                if (ps->fd[p] != fds[i].fd) continue;
                if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) peer_read(io, ps, p, now, NOWAIT);
                if (fds[i].revents & (POLLOUT | POLLERR)) peer_write(io, ps, p, now);
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (fds[i].revents == 0) continue;
        for (size_t e = 0; e < io->ep_end; e++) {
            mzmtp_posix_endpoint_t *ep = &io->ep[e];
            if (ep->k.kind != MZMTP_KIT_EP_CONNECT || ep->fd < 0 || ep->fd != fds[i].fd) continue;
            connect_reported(io, ep, now);
        }
    }
    for (size_t i = 0; i < n; i++) {
        if ((fds[i].revents & POLLIN) == 0) continue;
        for (size_t e = 0; e < io->ep_end; e++) {
            mzmtp_posix_endpoint_t *ep = &io->ep[e];
            if (ep->k.kind == MZMTP_KIT_EP_BIND && ep->k.state == MZMTP_KIT_UP && ep->fd == fds[i].fd) {
                listener_accept(io, ep, now);
            }
        }
#if MZMTP_POSIX_RESOLVER_THREAD
        if (io->res_rd >= 0 && fds[i].fd == io->res_rd) resolver_drain(io, now);
#endif
    }
    run_timers_and_write(io, true);
}
#endif

#if WAIT_IN_RECV
/* The one thing to wait for is input on one peer: wait for it in recv(), at most
 * @p timeout_ms (-1: no limit). @return false if @p fd is not a peer's. */
static bool wait_in_recv(mzmtp_posix_t *io, int fd, int timeout_ms)
{
    for (size_t s = 0; s < MZMTP_POSIX_MAX_SOCKETS; s++) {
        mzmtp_posix_socket_t *ps = &io->s[s];
        if (ps->k.sock == NULL) continue;
        FOR_LIVE(ps, p) {
            if (ps->fd[p] != fd) continue;
            if (io->wait_fd != fd || io->wait_timeout_ms != timeout_ms) {
                /* SO_RCVTIMEO 0 is no limit; kept per descriptor, so set on change only */
                struct timeval tv = {0, 0};
                if (timeout_ms > 0) {
                    tv.tv_sec = timeout_ms / 1000;
                    tv.tv_usec = (timeout_ms % 1000) * 1000;
                }
                if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0) return false;
                io->wait_fd = fd;
                io->wait_timeout_ms = timeout_ms;
            }
            peer_read(io, ps, p, mzmtp_posix_now_ms(), 0);
            return true;
        }
    }
    return false;
}
#endif


/* ms left of @p timeout_ms since @p start, in poll()'s form: -1 for ever, never below 0. */
static int time_left(int timeout_ms, uint32_t start)
{
    if (timeout_ms < 0) return -1;
    uint32_t spent = mzmtp_posix_now_ms() - start;
    return spent >= (uint32_t)timeout_ms ? 0 : (int)((uint32_t)timeout_ms - spent);
}


#if WAIT_IN_RECV
/* With an accept interval, run() may wait in recv() for the one peer while listeners
 * are all else there is, until the interval since they were last polled ends
 * (@p *timeout_ms is then cut to that). @return whether it may. */
static bool accept_interval_allows(mzmtp_posix_t *io, int *timeout_ms)
{
    if (io->accept_ivl_ms <= 0) return false;
    uint32_t since = mzmtp_posix_now_ms() - io->accept_polled_at;
    if (since >= (uint32_t)io->accept_ivl_ms) return false; /* the listeners' turn */
    int left = (int)((uint32_t)io->accept_ivl_ms - since);
    if (*timeout_ms < 0 || *timeout_ms > left) *timeout_ms = left;
    return true;
}
#endif

#if WAIT_IN_RECV && !MZMTP_POSIX_USE_EPOLL
static bool is_listener(const mzmtp_posix_t *io, int fd)
{
    for (size_t e = 0; e < io->ep_end; e++) {
        if (io->ep[e].k.kind == MZMTP_KIT_EP_BIND && io->ep[e].fd == fd) return true;
    }
    return false;
}

/* Which of @p fds run() may wait for in recv(): the only entry, input only; or, with an
 * accept interval, the only entry besides listeners while the interval since they were
 * last polled lasts (@p *timeout_ms is then cut to its end). @return its index, or n. */
static size_t recv_wait_candidate(mzmtp_posix_t *io, const struct pollfd *fds, size_t n,
                                  int *timeout_ms)
{
    if (*timeout_ms == 0) return n;
    if (n == 1) return fds[0].events == POLLIN ? 0 : n;
    if (io->accept_ivl_ms <= 0) return n;
    size_t found = n;
    for (size_t i = 0; i < n; i++) {
        if (is_listener(io, fds[i].fd)) continue;
        if (found != n || fds[i].events != POLLIN) return n;
        found = i;
    }
    if (found == n) return n;
    return accept_interval_allows(io, timeout_ms) ? found : n;
}
#endif

void mzmtp_posix_set_accept_interval(mzmtp_posix_t *io, int32_t ivl_ms)
{
    io->accept_ivl_ms = ivl_ms > 0 ? ivl_ms : 0;
}

#if MZMTP_POSIX_USE_EPOLL
mzmtp_status_t mzmtp_posix_run(mzmtp_posix_t *io, int timeout_ms)
{
    poller_arm(io, false);
    /* Having written, return at once, as the EPOLLOUT event that such output used to
     * wait for did: the caller may have work of its own (more requests buffered). */
    if (io->arm_wrote) timeout_ms = 0;
    uint32_t now = mzmtp_posix_now_ms(), next = next_timer(io, now);
    io->timer_set = next != UINT32_MAX;
    io->timer_at = now + next;
    cap_timeout(&timeout_ms, next);
#if WAIT_IN_RECV
    int wait = timeout_ms;
    if (wait != 0 && io->arm_single_fd >= 0 && io->arm_others == 0 &&
        (io->arm_listeners == 0 || accept_interval_allows(io, &wait)) &&
        wait_in_recv(io, io->arm_single_fd, wait)) {
        run_timers_and_write(io, true); /* timers, and what the input made to write */
        return MZMTP_OK;
    }
#endif
    if (io->accept_ivl_ms > 0) io->accept_polled_at = mzmtp_posix_now_ms();
    if (io->epfd < 0) { /* nothing to wait on but time */
        if (timeout_ms != 0) (void)poll(NULL, 0, timeout_ms);
    } else if (poller_wait(io, timeout_ms, false) < 0 && errno != EINTR) {
        return MZMTP_ERR_CLOSED;
    }
    run_timers_and_write(io, false); /* due timers only; the I/O is written already */
    return MZMTP_OK;
}

mzmtp_status_t mzmtp_posix_flush(mzmtp_posix_t *io, int timeout_ms)
{
    uint32_t start = mzmtp_posix_now_ms();
    for (;;) {
        run_timers_and_write(io, true); /* writes what the kernel takes; reads nothing */
        bool pending = false;
        for (size_t i = 0; i < MZMTP_POSIX_MAX_SOCKETS && !pending; i++) {
            mzmtp_posix_socket_t *ps = &io->s[i];
            if (ps->k.sock == NULL) continue;
            FOR_LIVE(ps, p) {
                if (mzmtp_socket_peer_has_output(ps->k.sock, p)) pending = true;
            }
        }
        if (!pending) return MZMTP_OK;
        int wait = time_left(timeout_ms, start);
        if (wait == 0) return MZMTP_ERR_TIMEOUT;
        poller_arm(io, true);
        if (poller_wait(io, wait, true) < 0 && errno != EINTR) return MZMTP_ERR_CLOSED;
    }
}
#else
mzmtp_status_t mzmtp_posix_run(mzmtp_posix_t *io, int timeout_ms)
{
    struct pollfd fds[MZMTP_POSIX_MAX_FDS];
    size_t n = mzmtp_posix_fds(io, fds, MZMTP_POSIX_MAX_FDS, &timeout_ms);
#if WAIT_IN_RECV
    int wait = timeout_ms;
    size_t one = recv_wait_candidate(io, fds, n, &wait);
    if (one < n && wait_in_recv(io, fds[one].fd, wait)) {
        run_timers_and_write(io, true); /* timers, and what the input made to write */
        return MZMTP_OK;
    }
#endif
    if (io->accept_ivl_ms > 0) io->accept_polled_at = mzmtp_posix_now_ms();
    int rc = poll(fds, (nfds_t)n, timeout_ms);
    if (rc < 0) {
        if (errno != EINTR) return MZMTP_ERR_CLOSED;
        n = 0;
    }
    mzmtp_posix_handle(io, fds, n);
    return MZMTP_OK;
}

mzmtp_status_t mzmtp_posix_flush(mzmtp_posix_t *io, int timeout_ms)
{
    uint32_t start = mzmtp_posix_now_ms();
    for (;;) {
        run_timers_and_write(io, true); /* writes what the kernel takes; reads nothing */
        struct pollfd fds[MZMTP_POSIX_MAX_FDS];
        size_t n = 0;
        for (size_t i = 0; i < MZMTP_POSIX_MAX_SOCKETS; i++) {
            mzmtp_posix_socket_t *ps = &io->s[i];
            if (ps->k.sock == NULL) continue;
            FOR_LIVE(ps, p) {
                if (!mzmtp_socket_peer_has_output(ps->k.sock, p)) continue;
                fds[n].fd = ps->fd[p];
                fds[n].events = POLLOUT;
                fds[n].revents = 0;
                n++;
            }
        }
        if (n == 0) return MZMTP_OK;
        int wait = time_left(timeout_ms, start);
        if (wait == 0) return MZMTP_ERR_TIMEOUT;
        if (poll(fds, (nfds_t)n, wait) < 0 && errno != EINTR) return MZMTP_ERR_CLOSED;
    }
}
#endif

/* What an application descriptor's poll() result means to its item. */
static unsigned fd_revents(unsigned events, short polled)
{
    unsigned r = 0;
    if ((events & MZMTP_POLLIN) && (polled & (POLLIN | POLLHUP))) r |= MZMTP_POLLIN;
    if ((events & MZMTP_POLLOUT) && (polled & POLLOUT)) r |= MZMTP_POLLOUT;
    if (polled & (POLLERR | POLLNVAL)) r |= MZMTP_POSIX_POLLERR;
    return r;
}

/* Set every socket item's revents; @return how many are ready. */
static int sockets_ready(mzmtp_posix_pollitem_t *items, size_t n)
{
    int ready = 0;
    for (size_t i = 0; i < n; i++) {
        if (items[i].socket == NULL) continue;
        unsigned r = mzmtp_socket_poll(items[i].socket) & items[i].events;
        items[i].revents = r & (MZMTP_POLLIN | MZMTP_POLLOUT);
        if (items[i].revents != 0) ready++;
    }
    return ready;
}

int mzmtp_posix_poll(mzmtp_posix_t *io, mzmtp_posix_pollitem_t *items, size_t n, int timeout_ms)
{
    size_t n_fd_items = 0;
    if (io == NULL || (items == NULL && n > 0)) {
        errno = EINVAL;
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        items[i].revents = 0;
        if (items[i].socket == NULL) n_fd_items++;
    }
    if (n_fd_items > MZMTP_POSIX_POLL_MAX_FDS) {
        errno = EINVAL;
        return -1;
    }

    uint32_t start = mzmtp_posix_now_ms();
    for (;;) {
        /* A socket already ready (a message buffered by an earlier call) must not wait:
         * poll() then only looks, and the port still writes what was sent since. */
        int wait = sockets_ready(items, n) > 0 ? 0 : time_left(timeout_ms, start);

        /* The port's descriptors first, then the application's, in item order. */
        struct pollfd fds[MZMTP_POSIX_MAX_FDS + MZMTP_POSIX_POLL_MAX_FDS];
        size_t n_port = mzmtp_posix_fds(io, fds, MZMTP_POSIX_MAX_FDS, &wait);
        size_t n_fds = n_port;
        for (size_t i = 0; i < n; i++) {
            if (items[i].socket != NULL) continue;
            unsigned want = items[i].events;
            fds[n_fds].fd = items[i].fd;
            fds[n_fds].events = (short)(((want & MZMTP_POLLIN) ? POLLIN : 0) |
                                        ((want & MZMTP_POLLOUT) ? POLLOUT : 0));
            fds[n_fds].revents = 0;
            n_fds++;
        }
        if (poll(fds, (nfds_t)n_fds, wait) < 0) return -1; /* errno from poll(): EINTR… */
        mzmtp_posix_handle(io, fds, n_port);

        /* The I/O just done may have made sockets ready (or, a peer gone, unready). */
        int ready = sockets_ready(items, n);
        size_t k = n_port;
        for (size_t i = 0; i < n; i++) {
            if (items[i].socket != NULL) continue;
            items[i].revents = fd_revents(items[i].events, fds[k++].revents);
            if (items[i].revents != 0) ready++;
        }
        if (ready > 0 || time_left(timeout_ms, start) == 0) return ready;
    }
}


mzmtp_status_t mzmtp_posix_close(mzmtp_posix_t *io, mzmtp_socket_t *sock, int32_t linger_ms)
{
    mzmtp_posix_socket_t *ps = find_sock(io, sock, false);
    if (ps == NULL) {
        mzmtp_socket_close(sock);
        mzmtp_status_t result = mzmtp_socket_flushed(sock) ? MZMTP_OK : MZMTP_ERR_TIMEOUT;
        mzmtp_socket_notify(sock, MZMTP_EV_CLOSED, -1, result);
        return result;
    }
    /* Linger is the kit's (sends refused from now on; flushed, or the time is up). The
     * endpoints keep connecting meanwhile: a message queued for a connect that is down
     * still goes out if it comes back within the linger time. */
    uint32_t now = mzmtp_posix_now_ms();
    (void)mzmtp_kit_close_begin(&ps->k, linger_ms, now);
    while (!mzmtp_kit_close_due(&ps->k, now)) {
        int wait = ps->k.linger_ms < 0 ? -1 : (int)mzmtp_kit_until(now, ps->k.linger_at);
        if (mzmtp_posix_run(io, wait) != MZMTP_OK) break;
        now = mzmtp_posix_now_ms();
    }
    mzmtp_status_t result = mzmtp_socket_flushed(sock) ? MZMTP_OK : MZMTP_ERR_TIMEOUT;

    /* Endpoints stop (no reconnect from close_peer()), the transports close, then the
     * records are freed, giving each connect's kept slot back. */
    for (size_t e = 0; e < io->ep_end; e++) {
        mzmtp_posix_endpoint_t *ep = &io->ep[e];
        if (ep->k.sock != sock) continue;
        ep_close_fd(io, ep);
        if (ep->ipc_file) (void)unlink(ep->addr + 6);
        mzmtp_kit_ep_stop(&ep->k);
    }
    FOR_LIVE(ps, p) close_peer(io, ps, p, MZMTP_ERR_CLOSED, now);
    for (size_t e = 0; e < io->ep_end; e++) {
        mzmtp_posix_endpoint_t *ep = &io->ep[e];
        if (ep->k.sock != sock) continue;
        mzmtp_kit_ep_free(&ep->k);
        ep->k.peer = -1;
        if (ep->resolving) {
            /* A resolver thread still reads the entry: it stays taken (with its text and
             * generation) until the answer comes, which then only frees it. */
            continue;
        }
        memset(ep, 0, sizeof *ep);
        ep->fd = -1;
        ep->k.peer = -1;
        ep->res_wr = -1;
    }
    while (io->ep_end > 0 && io->ep[io->ep_end - 1u].k.kind == MZMTP_KIT_EP_FREE) io->ep_end--;
    memset(&ps->k, 0, sizeof ps->k);
    mzmtp_socket_notify(sock, MZMTP_EV_CLOSED, -1, result);
    return result;
}
