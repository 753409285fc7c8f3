/*
 * POSIX port: non-blocking BSD sockets and poll(). Moves bytes between the kernel and the
 * sockets' engines, keeps reconnect timers, decides nothing about ZMTP.
 */
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
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

enum { EP_FREE = 0, EP_BIND, EP_CONNECT };
enum { EP_WAIT = 0, EP_CONNECTING, EP_UP, EP_STOPPED };

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

static bool is_due(uint32_t now, uint32_t t) { return (int32_t)(now - t) >= 0; }

uint32_t mzmtp_posix_now_ms(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

static uint32_t rand_below(mzmtp_posix_t *io, uint32_t bound)
{
    uint32_t x = io->rand_state; /* xorshift32: jitter only, not security */
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    io->rand_state = x;
    return bound ? x % bound : 0;
}

/* ---------------------------------- endpoints ------------------------------------------ */

static bool is_ipc(const char *endpoint) { return strncmp(endpoint, "ipc://", 6) == 0; }

/*
 * Turn an endpoint into a socket address. Bind takes numeric hosts and "*" only
 * (wire-notes T1); connect also resolves names, and refuses port 0 or "*" (T2).
 * @return MZMTP_OK, MZMTP_ERR_INVALID (malformed), MZMTP_ERR_CLOSED (name not resolved).
 */
static mzmtp_status_t parse_endpoint(const char *endpoint, bool bind, struct sockaddr_storage *sa,
                                     socklen_t *sa_len)
{
    memset(sa, 0, sizeof *sa);
    if (is_ipc(endpoint)) {
        struct sockaddr_un *un = (struct sockaddr_un *)sa;
        const char *path = endpoint + 6;
        size_t len = strlen(path);
        if (len == 0 || len >= sizeof un->sun_path || strcmp(path, "*") == 0) return MZMTP_ERR_INVALID;
        un->sun_family = AF_UNIX;
        memcpy(un->sun_path, path, len);
        *sa_len = (socklen_t)sizeof *un;
        if (path[0] == '@') { /* Linux abstract namespace: a leading NUL, no terminator */
            un->sun_path[0] = '\0';
            *sa_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
        }
        return MZMTP_OK;
    }
    if (strncmp(endpoint, "tcp://", 6) != 0) return MZMTP_ERR_INVALID;
    const char *rest = endpoint + 6;
    const char *colon = strrchr(rest, ':');
    if (colon == NULL) return MZMTP_ERR_INVALID;
    const char *host = rest;
    size_t host_len = (size_t)(colon - rest);
    if (host_len >= 2 && host[0] == '[') {
        if (host[host_len - 1] != ']') return MZMTP_ERR_INVALID;
        host++;
        host_len -= 2;
    }
    char host_buf[MZMTP_POSIX_ENDPOINT_LEN];
    if (host_len == 0 || host_len >= sizeof host_buf) return MZMTP_ERR_INVALID;
    memcpy(host_buf, host, host_len);
    host_buf[host_len] = '\0';

    const char *port = colon + 1;
    unsigned long port_num = 0;
    if (strcmp(port, "*") != 0) {
        size_t digits = strspn(port, "0123456789");
        if (digits == 0 || digits > 5 || port[digits] != '\0') return MZMTP_ERR_INVALID;
        port_num = strtoul(port, NULL, 10);
        if (port_num > 65535u) return MZMTP_ERR_INVALID;
    }
    if (!bind && port_num == 0) return MZMTP_ERR_INVALID;
    char port_buf[8];
    (void)snprintf(port_buf, sizeof port_buf, "%lu", port_num);

    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    hints.ai_family = AF_UNSPEC;
    const char *node = host_buf;
    if (bind) {
        hints.ai_flags |= AI_PASSIVE | AI_NUMERICHOST;
        if (strcmp(host_buf, "*") == 0) {
            node = NULL; /* every IPv4 interface, as libzmq without ZMQ_IPV6 */
            hints.ai_family = AF_INET;
        }
    }
    int rc = getaddrinfo(node, port_buf, &hints, &res);
    if (rc != 0 || res == NULL) {
        /* bind: not a numeric address; connect: the name may resolve on a later attempt */
        return bind ? MZMTP_ERR_INVALID : MZMTP_ERR_CLOSED;
    }
    memcpy(sa, res->ai_addr, res->ai_addrlen);
    *sa_len = res->ai_addrlen;
    freeaddrinfo(res);
    return MZMTP_OK;
}

/* Blocking or not (see WAIT_IN_RECV). */
static void set_nonblock(int fd, bool on)
{
    int fl = fcntl(fd, F_GETFL, 0);
    if (fl < 0) return;
    int want = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
    if (want != fl) (void)fcntl(fd, F_SETFL, want);
}

/* Non-blocking, close-on-exec, no SIGPIPE, and TCP_NODELAY on TCP. */
static void setup_fd(int fd, int family)
{
    int one = 1;
    set_nonblock(fd, true);
    (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
#ifdef SO_NOSIGPIPE
    (void)setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
    if (family == AF_INET || family == AF_INET6) {
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
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

/* ms until the socket's timers have work: its started peers are all it has timers for. */
static uint32_t sock_next_timeout(const mzmtp_posix_socket_t *ps, uint32_t now)
{
    uint32_t t = UINT32_MAX;
    FOR_LIVE(ps, p) {
        uint32_t u = mzmtp_socket_peer_next_timeout(ps->sock, p, now);
        if (u < t) t = u;
    }
    return t;
}


static mzmtp_posix_socket_t *find_sock(mzmtp_posix_t *io, const mzmtp_socket_t *sock, bool add)
{
    mzmtp_posix_socket_t *free_entry = NULL;
    for (size_t i = 0; i < MZMTP_POSIX_MAX_SOCKETS; i++) {
        if (io->s[i].sock == sock) return &io->s[i];
        if (io->s[i].sock == NULL && free_entry == NULL) free_entry = &io->s[i];
    }
    if (!add || free_entry == NULL) return NULL;
    free_entry->sock = (mzmtp_socket_t *)sock;
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
        if (io->ep[i].kind == EP_FREE) return &io->ep[i];
    }
    return NULL;
}

/* ------------------------------ connections -------------------------------------------- */

static void connect_attempt(mzmtp_posix_t *io, mzmtp_posix_endpoint_t *ep, uint32_t now);

/* R1: the next attempt waits ivl + random(0..ivl); failed TCP connects double the base. */
static void schedule_retry(mzmtp_posix_t *io, mzmtp_posix_endpoint_t *ep, uint32_t now,
                           bool connect_failed, mzmtp_status_t why)
{
    uint32_t ivl = (uint32_t)io->reconnect_ivl_ms;
    ep->state = EP_WAIT;
    ep->retry_at = now + ep->backoff_ms + rand_below(io, ivl + 1u);
    if (connect_failed && io->reconnect_ivl_max_ms > io->reconnect_ivl_ms) {
        uint32_t max = (uint32_t)io->reconnect_ivl_max_ms;
        ep->backoff_ms = ep->backoff_ms > max / 2u ? max : ep->backoff_ms * 2u;
    }
    mzmtp_socket_notify(ep->sock, MZMTP_EV_CONNECT_RETRY, ep->peer, why);
}

/* An endpoint that will never be retried gives its peer slot (and queue) back. */
static void endpoint_stop(mzmtp_posix_t *io, mzmtp_posix_endpoint_t *ep)
{
    mzmtp_posix_socket_t *ps = find_sock(io, ep->sock, false);
    ep->state = EP_STOPPED;
    if (ps != NULL && ep->peer >= 0) {
        ps->ep[ep->peer] = -1;
        mzmtp_socket_peer_release(ep->sock, ep->peer);
    }
    ep->peer = -1;
}

/* The transport of peer @p p ended: close it, tell the socket, maybe reconnect. */
static void close_peer(mzmtp_posix_t *io, mzmtp_posix_socket_t *ps, int p, mzmtp_status_t why,
                       uint32_t now)
{
    if (ps->fd[p] < 0) return;
    if (io->wait_fd == ps->fd[p]) io->wait_fd = -1; /* its receive timeout goes with it */
    close_fd(ps->fd[p]);
    ps->fd[p] = -1;
    mzmtp_peerset_del(&ps->live, (unsigned)p);
    mzmtp_socket_peer_stop(ps->sock, p, why);
    if (ps->ep[p] < 0) return;
    mzmtp_posix_endpoint_t *ep = &io->ep[ps->ep[p]];
    if (io->reconnect_ivl_ms >= 0 && mzmtp_status_allows_reconnect(why)) {
        ep->backoff_ms = (uint32_t)io->reconnect_ivl_ms;
        schedule_retry(io, ep, now, false, why);
    } else {
        endpoint_stop(io, ep);
    }
}

/* Write as much output as the kernel takes. @return false when the transport failed
 * (the caller closes it). */
static bool write_out(mzmtp_posix_socket_t *ps, int p)
{
    mzmtp_iov_t iov[MZMTP_POSIX_IOV_MAX];
    struct iovec vec[MZMTP_POSIX_IOV_MAX];
    while (mzmtp_socket_peer_has_output(ps->sock, p)) {
        size_t n = mzmtp_socket_peer_output(ps->sock, p, iov, MZMTP_POSIX_IOV_MAX);
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
        mzmtp_socket_peer_output_done(ps->sock, p, (size_t)w);
        if ((size_t)w < total) return true; /* the kernel buffer is full */
    }
    return true;
}

static void peer_write(mzmtp_posix_t *io, mzmtp_posix_socket_t *ps, int p, uint32_t now)
{
    if (ps->fd[p] >= 0 && !write_out(ps, p)) close_peer(io, ps, p, MZMTP_ERR_CLOSED, now);
}

/* The engine of @p p failed with @p why: send what it still has (an ERROR command, RFC 37
 * "Error handling"; picotls style), then close. A failed write must not replace @p why:
 * the monitor reports it and mzmtp_status_allows_reconnect() decides on it. */
static void peer_fail(mzmtp_posix_t *io, mzmtp_posix_socket_t *ps, int p, mzmtp_status_t why,
                      uint32_t now)
{
    if (ps->fd[p] < 0) return;
    (void)write_out(ps, p);
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
    mzmtp_socket_peer_rx_space(ps->sock, p, &ptr, &len);
    if (len == 0) return; /* backpressure: the socket is full */
    ssize_t r = recv(ps->fd[p], ptr, len, flags);
    if (flags == 0) now = mzmtp_posix_now_ms(); /* it waited */
    if (r > 0) {
        mzmtp_status_t st = mzmtp_socket_peer_rx_commit(ps->sock, p, (size_t)r, now);
        if (mzmtp_status_is_fatal(st)) peer_fail(io, ps, p, st, now);
    } else if (r == 0) {
        close_peer(io, ps, p, MZMTP_ERR_CLOSED, now);
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        close_peer(io, ps, p, MZMTP_ERR_CLOSED, now);
    }
}

/* A transport is up on peer slot @p p: start its ZMTP session. */
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

static void peer_begin(mzmtp_posix_t *io, mzmtp_posix_socket_t *ps, int p, int fd, uint32_t now)
{
    peer_address(ps->sock, p, fd);
    ps->fd[p] = fd;
    mzmtp_peerset_add(&ps->live, (unsigned)p);
    set_nonblock(fd, !WAIT_IN_RECV);
    mzmtp_status_t st = mzmtp_socket_peer_start(ps->sock, p, now);
    if (st != MZMTP_OK) {
        close_peer(io, ps, p, st, now);
        return;
    }
    peer_write(io, ps, p, now); /* greeting at once: libzmq waits for it (wire-notes G3) */
}

static void connect_done(mzmtp_posix_t *io, mzmtp_posix_endpoint_t *ep, int fd, uint32_t now)
{
    mzmtp_posix_socket_t *ps = find_sock(io, ep->sock, false);
    ep->fd = -1;
    ep->state = EP_UP;
    ep->backoff_ms = (uint32_t)io->reconnect_ivl_ms;
    mzmtp_socket_notify(ep->sock, MZMTP_EV_CONNECTED, ep->peer, MZMTP_OK);
    peer_begin(io, ps, ep->peer, fd, now);
}

static void connect_failed(mzmtp_posix_t *io, mzmtp_posix_endpoint_t *ep, uint32_t now)
{
    if (ep->fd >= 0) (void)close(ep->fd);
    ep->fd = -1;
    if (io->reconnect_ivl_ms < 0) {
        endpoint_stop(io, ep);
    } else {
        schedule_retry(io, ep, now, true, MZMTP_ERR_CLOSED);
    }
}

static void connect_attempt(mzmtp_posix_t *io, mzmtp_posix_endpoint_t *ep, uint32_t now)
{
    struct sockaddr_storage sa;
    socklen_t sa_len;
    if (parse_endpoint(ep->addr, false, &sa, &sa_len) == MZMTP_OK) {
        ep->fd = socket(sa.ss_family, SOCK_STREAM, 0);
        if (ep->fd >= 0) {
            setup_fd(ep->fd, sa.ss_family);
            if (connect(ep->fd, (struct sockaddr *)&sa, sa_len) == 0) {
                connect_done(io, ep, ep->fd, now);
                return;
            }
            if (errno == EINPROGRESS || errno == EINTR) {
                ep->state = EP_CONNECTING;
                return;
            }
        }
    }
    connect_failed(io, ep, now);
}

static void listener_accept(mzmtp_posix_t *io, mzmtp_posix_endpoint_t *ep, uint32_t now)
{
    mzmtp_posix_socket_t *ps = find_sock(io, ep->sock, false);
    for (;;) {
        struct sockaddr_storage sa;
        socklen_t sa_len = sizeof sa;
        int fd = accept(ep->fd, (struct sockaddr *)&sa, &sa_len);
        if (fd < 0) return; /* EAGAIN, or a transient failure the next poll retries */
        setup_fd(fd, sa.ss_family);
        int p;
        if (mzmtp_socket_peer_open(ps->sock, false, &p) != MZMTP_OK) {
            (void)close(fd); /* no free slot (MZMTP_ERR_LIMIT) or closing */
            continue;
        }
        ps->ep[p] = -1;
        mzmtp_socket_notify(ps->sock, MZMTP_EV_ACCEPTED, p, MZMTP_OK);
        peer_begin(io, ps, p, fd, now);
    }
}

/* ----------------------------------- public API ---------------------------------------- */

void mzmtp_posix_init(mzmtp_posix_t *io)
{
    memset(io, 0, sizeof *io);
    for (size_t i = 0; i < MZMTP_POSIX_MAX_ENDPOINTS; i++) {
        io->ep[i].fd = -1;
        io->ep[i].peer = -1;
    }
    io->wait_fd = -1;
    io->reconnect_ivl_ms = 100;
    io->reconnect_ivl_max_ms = 0;
    io->rand_state = (mzmtp_posix_now_ms() ^ ((uint32_t)getpid() << 16) ^ (uint32_t)(uintptr_t)io) | 1u;
#if !defined(MSG_NOSIGNAL) && !defined(SO_NOSIGPIPE)
    (void)signal(SIGPIPE, SIG_IGN);
#endif
}

void mzmtp_posix_set_reconnect(mzmtp_posix_t *io, int32_t ivl_ms, int32_t ivl_max_ms)
{
    io->reconnect_ivl_ms = ivl_ms < 0 ? -1 : ivl_ms;
    io->reconnect_ivl_max_ms = ivl_max_ms;
}

mzmtp_status_t mzmtp_posix_bind(mzmtp_posix_t *io, mzmtp_socket_t *sock, const char *endpoint,
                                char *actual, size_t cap)
{
    if (io == NULL || sock == NULL || endpoint == NULL) return MZMTP_ERR_INVALID;
    struct sockaddr_storage sa;
    socklen_t sa_len;
    if (strlen(endpoint) >= MZMTP_POSIX_ENDPOINT_LEN) return MZMTP_ERR_INVALID;
    if (parse_endpoint(endpoint, true, &sa, &sa_len) != MZMTP_OK) return MZMTP_ERR_INVALID;
    mzmtp_posix_endpoint_t *ep = free_endpoint(io);
    if (ep == NULL || find_sock(io, sock, true) == NULL) return MZMTP_ERR_LIMIT;

    int fd = socket(sa.ss_family, SOCK_STREAM, 0);
    if (fd < 0) return MZMTP_ERR_CLOSED;
    setup_fd(fd, sa.ss_family);
    bool ipc_file = sa.ss_family == AF_UNIX && endpoint[6] != '@';
    if (ipc_file) {
        (void)unlink(endpoint + 6); /* binding replaces an existing file (T3) */
    } else if (sa.ss_family != AF_UNIX) {
        int one = 1;
        (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    }
    if (bind(fd, (struct sockaddr *)&sa, sa_len) != 0 || listen(fd, SOMAXCONN) != 0) {
        int saved = errno;
        (void)close(fd);
        errno = saved;
        return MZMTP_ERR_CLOSED;
    }

    /* The endpoint as bound, with the real port (ZMQ_LAST_ENDPOINT). */
    char bound[MZMTP_POSIX_ENDPOINT_LEN];
    snprintf(bound, sizeof bound, "%s", endpoint);
    sa_len = sizeof sa;
    if (sa.ss_family != AF_UNIX && getsockname(fd, (struct sockaddr *)&sa, &sa_len) == 0) {
        char host[INET6_ADDRSTRLEN + 16], port[8];
        if (getnameinfo((struct sockaddr *)&sa, sa_len, host, sizeof host, port, sizeof port,
                        NI_NUMERICHOST | NI_NUMERICSERV) == 0) {
            snprintf(bound, sizeof bound, sa.ss_family == AF_INET6 ? "tcp://[%s]:%s" : "tcp://%s:%s",
                     host, port);
        }
    }
    if (actual != NULL) {
        if (strlen(bound) >= cap) {
            (void)close(fd);
            return MZMTP_ERR_INVALID;
        }
        memcpy(actual, bound, strlen(bound) + 1);
    }
    memset(ep, 0, sizeof *ep);
    ep->sock = sock;
    ep->kind = EP_BIND;
    endpoint_taken(io, ep);
    ep->ipc_file = ipc_file;
    ep->fd = fd;
    ep->peer = -1;
    memcpy(ep->addr, bound, sizeof bound);
    return MZMTP_OK;
}

mzmtp_status_t mzmtp_posix_connect(mzmtp_posix_t *io, mzmtp_socket_t *sock, const char *endpoint)
{
    if (io == NULL || sock == NULL || endpoint == NULL) return MZMTP_ERR_INVALID;
    struct sockaddr_storage sa;
    socklen_t sa_len;
    if (strlen(endpoint) >= MZMTP_POSIX_ENDPOINT_LEN) return MZMTP_ERR_INVALID;
    if (parse_endpoint(endpoint, false, &sa, &sa_len) == MZMTP_ERR_INVALID) return MZMTP_ERR_INVALID;
    mzmtp_posix_endpoint_t *ep = free_endpoint(io);
    mzmtp_posix_socket_t *ps = find_sock(io, sock, true);
    if (ep == NULL || ps == NULL) return MZMTP_ERR_LIMIT;
    int p;
    mzmtp_status_t st = mzmtp_socket_peer_open(sock, true, &p);
    if (st != MZMTP_OK) return st;

    memset(ep, 0, sizeof *ep);
    ep->sock = sock;
    ep->kind = EP_CONNECT;
    endpoint_taken(io, ep);
    ep->fd = -1;
    ep->peer = p;
    ep->backoff_ms = io->reconnect_ivl_ms < 0 ? 0u : (uint32_t)io->reconnect_ivl_ms;
    memcpy(ep->addr, endpoint, strlen(endpoint) + 1);
    ps->fd[p] = -1;
    ps->ep[p] = (int16_t)(ep - io->ep);
    connect_attempt(io, ep, mzmtp_posix_now_ms());
    return MZMTP_OK;
}

size_t mzmtp_posix_fds(mzmtp_posix_t *io, struct pollfd *fds, size_t max, int *timeout_ms)
{
    uint32_t now = mzmtp_posix_now_ms();
    uint32_t wait = UINT32_MAX;
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
        if (ep->kind == EP_BIND) ADD_FD(ep->fd, POLLIN);
        if (ep->kind != EP_CONNECT) continue;
        if (ep->state == EP_CONNECTING) ADD_FD(ep->fd, POLLOUT);
        if (ep->state == EP_WAIT) {
            uint32_t left = is_due(now, ep->retry_at) ? 0u : ep->retry_at - now;
            if (left < wait) wait = left;
        }
    }
    for (size_t i = 0; i < MZMTP_POSIX_MAX_SOCKETS; i++) {
        mzmtp_posix_socket_t *ps = &io->s[i];
        if (ps->sock == NULL) continue;
        FOR_LIVE(ps, p) {
            uint8_t *ptr;
            size_t len;
            unsigned events = 0;
            mzmtp_socket_peer_rx_space(ps->sock, p, &ptr, &len);
            if (len > 0) events |= POLLIN;
            if (mzmtp_socket_peer_has_output(ps->sock, p)) events |= POLLOUT;
            if (events != 0) ADD_FD(ps->fd[p], events);
        }
        uint32_t left = sock_next_timeout(ps, now);
        if (left < wait) wait = left;
    }
#undef ADD_FD
    if (overflow) wait = 0;
    if (wait != UINT32_MAX && (*timeout_ms < 0 || wait < (uint32_t)*timeout_ms)) {
        *timeout_ms = wait > (uint32_t)INT_MAX ? INT_MAX : (int)wait;
    }
    return n;
}

void mzmtp_posix_handle(mzmtp_posix_t *io, const struct pollfd *fds, size_t n)
{
    uint32_t now = mzmtp_posix_now_ms();

    /* Three passes, so that a descriptor number reused by accept() or a reconnect within
     * this call is never mistaken for the one poll() reported on: peers first (they only
     * close descriptors), then connects in progress, then listeners; timers last. */
    for (size_t i = 0; i < n; i++) {
        if (fds[i].revents == 0) continue;
        for (size_t s = 0; s < MZMTP_POSIX_MAX_SOCKETS; s++) {
            mzmtp_posix_socket_t *ps = &io->s[s];
            if (ps->sock == NULL) continue;
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
            if (ep->kind != EP_CONNECT || ep->state != EP_CONNECTING || ep->fd != fds[i].fd) continue;
            int err = 0;
            socklen_t err_len = sizeof err;
            if (getsockopt(ep->fd, SOL_SOCKET, SO_ERROR, &err, &err_len) != 0) err = errno;
            if (err == 0) {
                connect_done(io, ep, ep->fd, now);
            } else {
                connect_failed(io, ep, now);
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        if ((fds[i].revents & POLLIN) == 0) continue;
        for (size_t e = 0; e < io->ep_end; e++) {
            if (io->ep[e].kind == EP_BIND && io->ep[e].fd == fds[i].fd) {
                listener_accept(io, &io->ep[e], now);
            }
        }
    }

    now = mzmtp_posix_now_ms();
    for (size_t s = 0; s < MZMTP_POSIX_MAX_SOCKETS; s++) {
        mzmtp_posix_socket_t *ps = &io->s[s];
        if (ps->sock == NULL || sock_next_timeout(ps, now) != 0) continue;
        if (!mzmtp_socket_tick(ps->sock, now)) continue;
        for (int p = mzmtp_socket_peer_next_dead(ps->sock, -1); p >= 0;
             p = mzmtp_socket_peer_next_dead(ps->sock, p)) {
            mzmtp_status_t why = mzmtp_socket_peer_status(ps->sock, p);
            peer_fail(io, ps, p, why == MZMTP_OK ? MZMTP_ERR_TIMEOUT : why, now);
        }
    }
    for (size_t e = 0; e < io->ep_end; e++) {
        mzmtp_posix_endpoint_t *ep = &io->ep[e];
        if (ep->kind == EP_CONNECT && ep->state == EP_WAIT && is_due(now, ep->retry_at)) {
            connect_attempt(io, ep, now);
        }
    }

    /* What the application sent since the last call, and replies the input produced. */
    for (size_t s = 0; s < MZMTP_POSIX_MAX_SOCKETS; s++) {
        mzmtp_posix_socket_t *ps = &io->s[s];
        if (ps->sock == NULL) continue;
        FOR_LIVE(ps, p) peer_write(io, ps, p, now);
    }
}

#if WAIT_IN_RECV
/* The one thing to wait for is input on one peer: wait for it in recv(), at most
 * @p timeout_ms (-1: no limit). @return false if @p fd is not a peer's. */
static bool wait_in_recv(mzmtp_posix_t *io, int fd, int timeout_ms)
{
    for (size_t s = 0; s < MZMTP_POSIX_MAX_SOCKETS; s++) {
        mzmtp_posix_socket_t *ps = &io->s[s];
        if (ps->sock == NULL) continue;
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
static bool is_listener(const mzmtp_posix_t *io, int fd)
{
    for (size_t e = 0; e < io->ep_end; e++) {
        if (io->ep[e].kind == EP_BIND && io->ep[e].fd == fd) return true;
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
    uint32_t since = mzmtp_posix_now_ms() - io->accept_polled_at;
    if (since >= (uint32_t)io->accept_ivl_ms) return n; /* the listeners' turn */
    int left = (int)((uint32_t)io->accept_ivl_ms - since);
    if (*timeout_ms < 0 || *timeout_ms > left) *timeout_ms = left;
    return found;
}
#endif

void mzmtp_posix_set_accept_interval(mzmtp_posix_t *io, int32_t ivl_ms)
{
    io->accept_ivl_ms = ivl_ms > 0 ? ivl_ms : 0;
}

mzmtp_status_t mzmtp_posix_run(mzmtp_posix_t *io, int timeout_ms)
{
    struct pollfd fds[MZMTP_POSIX_MAX_FDS];
    size_t n = mzmtp_posix_fds(io, fds, MZMTP_POSIX_MAX_FDS, &timeout_ms);
#if WAIT_IN_RECV
    int wait = timeout_ms;
    size_t one = recv_wait_candidate(io, fds, n, &wait);
    if (one < n && wait_in_recv(io, fds[one].fd, wait)) {
        mzmtp_posix_handle(io, NULL, 0); /* timers, and what the input made to write */
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
        mzmtp_posix_handle(io, NULL, 0); /* writes what the kernel takes; reads nothing */
        struct pollfd fds[MZMTP_POSIX_MAX_FDS];
        size_t n = 0;
        for (size_t i = 0; i < MZMTP_POSIX_MAX_SOCKETS; i++) {
            mzmtp_posix_socket_t *ps = &io->s[i];
            if (ps->sock == NULL) continue;
            FOR_LIVE(ps, p) {
                if (!mzmtp_socket_peer_has_output(ps->sock, p)) continue;
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
    mzmtp_socket_close(sock);
    mzmtp_posix_socket_t *ps = find_sock(io, sock, false);
    uint32_t start = mzmtp_posix_now_ms();
    while (ps != NULL && !mzmtp_socket_flushed(sock)) {
        int wait = -1;
        if (linger_ms >= 0) {
            uint32_t spent = mzmtp_posix_now_ms() - start;
            if (spent >= (uint32_t)linger_ms) break;
            wait = (int)((uint32_t)linger_ms - spent);
        }
        if (mzmtp_posix_run(io, wait) != MZMTP_OK) break;
    }
    mzmtp_status_t result = mzmtp_socket_flushed(sock) ? MZMTP_OK : MZMTP_ERR_TIMEOUT;
    if (ps == NULL) {
        mzmtp_socket_notify(sock, MZMTP_EV_CLOSED, -1, result);
        return result;
    }

    uint32_t now = mzmtp_posix_now_ms();
    for (size_t e = 0; e < MZMTP_POSIX_MAX_ENDPOINTS; e++) {
        mzmtp_posix_endpoint_t *ep = &io->ep[e];
        if (ep->sock != sock) continue;
        if (ep->fd >= 0) (void)close(ep->fd);
        if (ep->ipc_file) (void)unlink(ep->addr + 6);
        memset(ep, 0, sizeof *ep);
        ep->fd = -1;
        ep->peer = -1;
    }
    while (io->ep_end > 0 && io->ep[io->ep_end - 1u].kind == EP_FREE) io->ep_end--;
    for (int p = 0; p < MZMTP_CONF_MAX_PEERS; p++) {
        bool keep = ps->ep[p] >= 0;
        ps->ep[p] = -1; /* no reconnect from close_peer() */
        close_peer(io, ps, p, MZMTP_ERR_CLOSED, now);
        if (keep) mzmtp_socket_peer_release(sock, p);
    }
    ps->sock = NULL;
    mzmtp_socket_notify(sock, MZMTP_EV_CLOSED, -1, result);
    return result;
}
