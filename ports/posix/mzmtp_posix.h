/**
 * @file mzmtp_posix.h
 * @brief POSIX port of microzmtp: non-blocking BSD sockets driven by epoll (Linux) or
 *        poll() (elsewhere, or with MZMTP_POSIX_USE_EPOLL=0).
 *
 * The port moves bytes between the kernel and the sockets' connection engines and keeps
 * the transport timers (reconnects). It makes no protocol decision: everything ZMTP is in
 * the core (microzmtp.h).
 *
 * Three ways to use it:
 *  - simple programs call mzmtp_posix_run() in a loop;
 *  - programs that wait on sockets call mzmtp_posix_poll(), the zmq_poll() of this port:
 *    several sockets and some of their own descriptors, with a timeout;
 *  - programs with their own event loop call mzmtp_posix_fds() to get the descriptors and
 *    the longest sleep allowed, add their own descriptors, poll(), and hand the result to
 *    mzmtp_posix_handle(). With epoll that is one descriptor (the epoll instance, which
 *    is readable while any of the port's descriptors has an event).
 *
 * Endpoints:
 *  - `tcp://IPv4:port`, `tcp://[IPv6]:port` (zone as `%iface`), `tcp://` + `*:port` (bind
 *    on every IPv4 interface). On bind the port may be `0` or `*` (ephemeral); the actual
 *    endpoint is returned, as ZMQ_LAST_ENDPOINT would give it.
 *  - `tcp://name:port`. Connect resolves the name at every attempt (after each loss too:
 *    DNS may change) without blocking the loop (a resolver thread, see
 *    MZMTP_POSIX_RESOLVER_THREAD), then tries every address it got, in getaddrinfo()'s
 *    order, one after another (docs/ports.md). Numeric hosts are never resolved. Bind
 *    resolves in the call and binds one address: the first IPv4 one, as libzmq (which
 *    resolves bind names as IPv4 unless ZMQ_IPV6 is set; wire-notes T4), else the first.
 *  - `ipc://path` (AF_UNIX stream; bind replaces an existing file and removes it on close)
 *    and, on Linux, `ipc://@name` in the abstract namespace.
 *
 * Listeners accept at most MZMTP_POSIX_ACCEPT_BATCH connections per wakeup; a connection
 * the socket has no slot for is accepted and closed at once. When the process is out of
 * descriptors (EMFILE, ENFILE), a reserve descriptor is released to accept the pending
 * connection and close it, so the listener neither spins nor stops; where even that
 * fails, the listener pauses for MZMTP_POSIX_ACCEPT_PAUSE_MS.
 *
 * Memory: an mzmtp_posix_t holds fixed tables sized by MZMTP_POSIX_MAX_SOCKETS and
 * MZMTP_POSIX_MAX_ENDPOINTS; nothing is allocated by the port itself (a resolver thread's
 * stack is the system's). Descriptors it holds besides the connections: the epoll
 * instance, the resolver's pipe (from the first name connected), and one reserve
 * (from the first bind). mzmtp_posix_term() releases them. Every mzmtp_socket_t given to the port
 * is borrowed until mzmtp_posix_close() returns.
 * Threads: one mzmtp_posix_t and its sockets belong to one thread. The sockets' monitor
 * callbacks run inside mzmtp_posix_* calls and must not call back into the port.
 * Signals: a peer that vanishes never raises SIGPIPE (MSG_NOSIGNAL, SO_NOSIGPIPE, or
 * SIGPIPE ignored by mzmtp_posix_init() where neither exists).
 */
#ifndef MZMTP_POSIX_H
#define MZMTP_POSIX_H

#include <poll.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <microzmtp/microzmtp.h>
#include "mzmtp_kit.h" /* ports/kit; installed next to this header */

/** Sockets one mzmtp_posix_t can drive. Default 4. RAM: ~(8 + 6 × MZMTP_CONF_MAX_PEERS) B each. */
#ifndef MZMTP_POSIX_MAX_SOCKETS
#define MZMTP_POSIX_MAX_SOCKETS 4
#endif

/** Bound plus connected endpoints, over all sockets. Default 8. RAM: ~150 B each. */
#ifndef MZMTP_POSIX_MAX_ENDPOINTS
#define MZMTP_POSIX_MAX_ENDPOINTS 8
#endif

/** Longest endpoint string kept, NUL included (an ipc path is at most 107 bytes). */
#ifndef MZMTP_POSIX_ENDPOINT_LEN
#define MZMTP_POSIX_ENDPOINT_LEN 128
#endif

/** I/O vectors gathered per write. Default 64. Stack: 16 B + 16 B each. */
#ifndef MZMTP_POSIX_IOV_MAX
#define MZMTP_POSIX_IOV_MAX 64
#endif

/** 1: wait with epoll (Linux only); 0: with poll(). Default: 1 on Linux. The two builds
 *  differ in struct layout: a program must see the library's value. */
#ifndef MZMTP_POSIX_USE_EPOLL
#ifdef __linux__
#define MZMTP_POSIX_USE_EPOLL 1
#else
#define MZMTP_POSIX_USE_EPOLL 0
#endif
#endif
#if MZMTP_POSIX_USE_EPOLL && !defined(__linux__)
#error "MZMTP_POSIX_USE_EPOLL needs Linux"
#endif

/** 1: connect resolves host names in a thread of its own (POSIX threads), so a slow name
 *  never stalls the loop; 0: getaddrinfo() in the loop (blocks it; for systems without
 *  threads). Default 1. */
#ifndef MZMTP_POSIX_RESOLVER_THREAD
#define MZMTP_POSIX_RESOLVER_THREAD 1
#endif

/** Addresses of one name kept and tried per connect round. Range 1..16. Default 4.
 *  RAM: 28 B each per endpoint. */
#ifndef MZMTP_POSIX_MAX_ADDRS
#define MZMTP_POSIX_MAX_ADDRS 4
#endif
#if MZMTP_POSIX_MAX_ADDRS < 1 || MZMTP_POSIX_MAX_ADDRS > 16
#error "MZMTP_POSIX_MAX_ADDRS must be 1..16"
#endif

/** ms a TCP connect to one address may stay unanswered while other addresses of the
 *  name remain; then the next one is tried (the last keeps the kernel's own timeout).
 *  Range 1..65535. Default 2000. */
#ifndef MZMTP_POSIX_CONNECT_STEP_MS
#define MZMTP_POSIX_CONNECT_STEP_MS 2000
#endif

/** Connections one listener accepts per wakeup (an accept storm cannot starve the other
 *  descriptors). Range 1..1024. Default 16. */
#ifndef MZMTP_POSIX_ACCEPT_BATCH
#define MZMTP_POSIX_ACCEPT_BATCH 16
#endif

/** ms a listener rests when the process has no descriptor left and the reserve one could
 *  not be had either. Range 1..60000. Default 100. */
#ifndef MZMTP_POSIX_ACCEPT_PAUSE_MS
#define MZMTP_POSIX_ACCEPT_PAUSE_MS 100
#endif

/** epoll events taken per wait. Range 1..1024. Default 64. Stack: 12 B each. */
#ifndef MZMTP_POSIX_EPOLL_BATCH
#define MZMTP_POSIX_EPOLL_BATCH 64
#endif

/** The most descriptors mzmtp_posix_fds() can return: size your pollfd array with it.
 *  With epoll: 1 (the epoll instance). With poll(): every peer, endpoint and the
 *  resolver's pipe. */
#if MZMTP_POSIX_USE_EPOLL
#define MZMTP_POSIX_MAX_FDS 1
#else
#define MZMTP_POSIX_MAX_FDS (MZMTP_POSIX_MAX_SOCKETS * MZMTP_CONF_MAX_PEERS + MZMTP_POSIX_MAX_ENDPOINTS + 1)
#endif

/** An IPv4 or IPv6 address a name resolved to. Private. */
typedef union mzmtp_posix_inaddr {
    struct sockaddr_in in;
    struct sockaddr_in6 in6;
} mzmtp_posix_inaddr_t;

/** One bound or connected endpoint: the kit's endpoint record (socket, bind or connect,
 *  state, peer slot, reconnect schedule, a listener's rest) and what POSIX adds to it
 *  (descriptor, name resolution, the round of addresses). All fields are private. */
typedef struct mzmtp_posix_endpoint {
    mzmtp_kit_ep_t k;     /* kind FREE: free entry (unless a resolver thread holds it) */
    bool ipc_file;        /* bound ipc path to unlink on close */
    bool numeric;         /* tcp connect to a numeric host: addrs[0] is final */
    bool resolving;       /* a resolver thread reads addr: the entry waits for its answer */
    bool lookup;          /* CONNECTING: this attempt waits for the resolver's answer */
    bool step_timer;      /* CONNECTING: k.retry_at is when the next address takes over */
    uint8_t n_addrs;      /* addresses in addrs[] */
    uint8_t next_addr;    /* the next one to try in this round */
    uint8_t armed;        /* epoll: events registered for fd */
    int fd;               /* listener, or the connect in progress */
    int res_wr;           /* resolving: the pipe end the resolver thread answers on */
    uint32_t gen;         /* tags the fd's events and the resolver's answer */
    mzmtp_posix_inaddr_t addrs[MZMTP_POSIX_MAX_ADDRS];
    char addr[MZMTP_POSIX_ENDPOINT_LEN]; /* connect: as given; bind: as bound */
} mzmtp_posix_endpoint_t;

/** One socket the port drives. All fields are private. */
typedef struct mzmtp_posix_socket {
    mzmtp_kit_sock_t k;                  /* the kit's record (k.sock NULL: free entry) */
    int fd[MZMTP_CONF_MAX_PEERS];        /* transport of each peer slot, or -1 */
    int16_t ep[MZMTP_CONF_MAX_PEERS];    /* endpoint that connected the slot, or -1 */
#if MZMTP_POSIX_USE_EPOLL
    uint8_t armed[MZMTP_CONF_MAX_PEERS]; /* events registered with epoll for fd[] */
#endif
    mzmtp_peerset_t live;                /* slots whose fd is >= 0 */
} mzmtp_posix_socket_t;

/** A POSIX I/O context. All fields are private; the struct is public for static storage. */
typedef struct mzmtp_posix {
    mzmtp_posix_socket_t s[MZMTP_POSIX_MAX_SOCKETS];
    mzmtp_posix_endpoint_t ep[MZMTP_POSIX_MAX_ENDPOINTS];
    mzmtp_kit_reconnect_t rc; /* reconnect intervals and jitter (ports/kit) */
    size_t ep_end;       /* entries of ep[] from here on are free: loops stop here */
    int32_t accept_ivl_ms;     /* mzmtp_posix_set_accept_interval(); 0: off */
    uint32_t accept_polled_at; /* when run() last polled the listeners (ms) */
    int wait_fd;         /* the peer descriptor whose receive timeout is wait_timeout_ms */
    int wait_timeout_ms;
    int epfd;            /* epoll instance, or -1 (poll() build, or not created yet) */
    int res_rd, res_wr;  /* resolver pipe, or -1 */
    int reserve_fd;      /* spare descriptor for EMFILE, or -1 */
    unsigned resolving;  /* resolutions in flight */
    uint8_t res_armed;   /* epoll: the pipe is registered */
    /* epoll: what the last arming found (mzmtp_posix_run's wait-in-recv choice) */
    int arm_single_fd;   /* the one peer armed for input only, or -1 */
    unsigned arm_others; /* other armed descriptors, listeners excepted */
    unsigned arm_listeners;
    bool arm_wrote;      /* the arming pass wrote queued output: do not wait */
#if MZMTP_CONF_PEER_CHANGES
    /* epoll: the peers' registered interest, kept as it changes, since the arming pass
     * visits only the peers the sockets report (mzmtp_socket_peer_next_changed()) */
    unsigned arm_in_only;  /* peers armed for input only */
    int arm_in_xor;        /* the XOR of their descriptors: the one when there is one */
    unsigned arm_peer_out; /* peers armed for output */
    bool arm_walk_all;     /* the last pass was flush()'s: the next one visits every peer */
#endif
    bool timer_set;      /* run(): timer_at holds the earliest timer before the wait */
    uint32_t timer_at;
} mzmtp_posix_t;

/**
 * Initialise @p io: empty tables, reconnect interval 100 ms, no maximum (wire-notes R1).
 * @param[out] io Context storage (static, typically).
 */
void mzmtp_posix_init(mzmtp_posix_t *io);

/**
 * Set the reconnect policy of connecting endpoints (wire-notes R1, R2). After a lost
 * connection, a handshake failure or a heartbeat timeout the next attempt starts after
 * @p ivl_ms plus a random 0..@p ivl_ms. Consecutive failed TCP connects double the
 * interval up to @p ivl_max_ms. After a protocol error (PROTOCOL, VERSION, MECHANISM,
 * SOCKET_TYPE, PEER_ERROR, MSG_SIZE) the endpoint is never retried.
 * @param[in,out] io         Initialised context.
 * @param[in]     ivl_ms     Base interval in ms; negative turns reconnecting off.
 * @param[in]     ivl_max_ms Largest interval for failed connects; ≤ @p ivl_ms: no doubling.
 */
void mzmtp_posix_set_reconnect(mzmtp_posix_t *io, int32_t ivl_ms, int32_t ivl_max_ms);

/**
 * Latency option for a bound socket with one busy peer. Where the system allows it,
 * mzmtp_posix_run() waits for a lone peer's input inside recv() (one system call per
 * message instead of poll() + recv()); a listening socket in the wait set prevents that,
 * because new connections must be seen. With an interval, run() waits in recv() anyway
 * while one peer's input is all it waits for besides listeners, but only until @p ivl_ms
 * after it last polled them; then it polls again (listeners included, for the whole
 * timeout). A new connection may wait up to @p ivl_ms to be accepted while the one peer
 * keeps the socket busy. Default 0: listeners are polled on every wait.
 */
void mzmtp_posix_set_accept_interval(mzmtp_posix_t *io, int32_t ivl_ms);

/**
 * Listen on @p endpoint for @p sock. Every accepted connection takes a peer slot of its
 * own (mzmtp_socket_peer_open() with keep_queue false); when the socket has no free slot
 * the connection is closed at once.
 * @param[in,out] io       Initialised context.
 * @param[in,out] sock     Initialised socket, borrowed until mzmtp_posix_close().
 * @param[in]     endpoint "tcp://…" or "ipc://…", borrowed for the call.
 * @param[out]    actual   The endpoint really bound ("tcp://127.0.0.1:45678"), NUL
 *                         terminated; may be NULL.
 * @param[in]     cap      Bytes at @p actual.
 * @return MZMTP_OK; MZMTP_ERR_INVALID (malformed endpoint, @p actual too small);
 *         MZMTP_ERR_LIMIT (socket or endpoint table full);
 *         MZMTP_ERR_CLOSED (the system refused: errno says why, e.g. EADDRINUSE).
 */
MZMTP_NODISCARD mzmtp_status_t mzmtp_posix_bind(mzmtp_posix_t *io, mzmtp_socket_t *sock,
                                                const char *endpoint, char *actual,
                                                size_t cap);

/**
 * Connect @p sock to @p endpoint, now and after every loss (see
 * mzmtp_posix_set_reconnect()). The endpoint takes one peer slot for good (keep_queue
 * true), so messages sent while it is disconnected wait for it (wire-notes R4). The
 * connection completes in the loop; a refused connect is retried, never reported here.
 * @param[in,out] io       Initialised context.
 * @param[in,out] sock     Initialised socket, borrowed until mzmtp_posix_close().
 * @param[in]     endpoint "tcp://host:port" or "ipc://…", borrowed for the call.
 * @return MZMTP_OK; MZMTP_ERR_INVALID (malformed endpoint); MZMTP_ERR_LIMIT (no free peer
 *         slot, socket or endpoint entry); MZMTP_ERR_STATE (socket closing).
 */
MZMTP_NODISCARD mzmtp_status_t mzmtp_posix_connect(mzmtp_posix_t *io, mzmtp_socket_t *sock,
                                                   const char *endpoint);

/**
 * Fill @p fds with the descriptors to poll and lower @p *timeout_ms to the next timer
 * (reconnects, mzmtp_socket_next_timeout()). POLLIN is asked only while a peer has
 * receive room (backpressure), POLLOUT only while it has output.
 * @param[in,out] io         Initialised context.
 * @param[out]    fds        Array of @p max entries; MZMTP_POSIX_MAX_FDS always suffices.
 * @param[in]     max        Entries at @p fds. Descriptors that do not fit are left out
 *                           and @p *timeout_ms becomes 0.
 * @param[in,out] timeout_ms In: the longest the caller wants to sleep, -1 for ever.
 *                           Out: that, or less, in the form poll() takes.
 * @return Entries filled.
 */
size_t mzmtp_posix_fds(mzmtp_posix_t *io, struct pollfd *fds, size_t max, int *timeout_ms);

/**
 * Act on what poll() reported, then run due timers and write pending output. Entries
 * whose descriptor is not the port's (the application's own) are ignored, so the whole
 * array may be passed. Call it after every poll(), even one that timed out (n may be 0).
 * @param[in,out] io  Initialised context.
 * @param[in]     fds Entries filled by mzmtp_posix_fds() and polled; borrowed for the call.
 * @param[in]     n   Entries at @p fds.
 */
void mzmtp_posix_handle(mzmtp_posix_t *io, const struct pollfd *fds, size_t n);

/**
 * One loop iteration: mzmtp_posix_fds(), poll() for at most @p timeout_ms, then
 * mzmtp_posix_handle().
 * @param[in]     timeout_ms Longest wait in ms; -1 waits for the next event or timer.
 * @return MZMTP_OK, or MZMTP_ERR_CLOSED if poll() failed (errno says why).
 */
mzmtp_status_t mzmtp_posix_run(mzmtp_posix_t *io, int timeout_ms);

/**
 * Write everything the sockets have queued, waiting (in poll(), for POLLOUT only) while
 * the kernel has no room, and read nothing: messages lent by mzmtp_socket_recv_ref()
 * stay where they are, so they can be sent on by reference (mzmtp_socket_send_ref())
 * and flushed before the next read. Timers run as in mzmtp_posix_handle().
 * @param[in] timeout_ms Longest wait in ms; -1 waits until everything is written.
 * @return MZMTP_OK when nothing is left to write (peers that failed meanwhile are
 *         closed), MZMTP_ERR_TIMEOUT, or MZMTP_ERR_CLOSED if poll() failed.
 */
mzmtp_status_t mzmtp_posix_flush(mzmtp_posix_t *io, int timeout_ms);

/** Application descriptors (items with socket NULL) one mzmtp_posix_poll() call can
 *  watch. Default 8. Stack: 8 B each. */
#ifndef MZMTP_POSIX_POLL_MAX_FDS
#define MZMTP_POSIX_POLL_MAX_FDS 8
#endif

/** Descriptor items only: revents bit for POLLERR or POLLNVAL (as zmq_poll's ZMQ_POLLERR). */
#define MZMTP_POSIX_POLLERR 0x04u

/**
 * One thing mzmtp_posix_poll() waits on, as zmq_pollitem_t: a microzmtp socket, or (when
 * @c socket is NULL) an application descriptor such as a pipe, stdin or a raw socket.
 * The flags are unsigned, as mzmtp_socket_poll()'s and MZMTP_POLLIN's are (zmq_pollitem_t
 * has short), so that testing them needs no cast under -Wsign-conversion.
 */
typedef struct mzmtp_posix_pollitem {
    mzmtp_socket_t *socket; /**< The socket to watch, or NULL to watch @c fd. */
    int fd;                 /**< With @c socket NULL: the descriptor; a negative one is
                                 skipped (revents 0), as poll() does. Else unused. */
    unsigned events;        /**< In: MZMTP_POLLIN and/or MZMTP_POLLOUT. */
    unsigned revents;       /**< Out: the subset of @c events that is ready, plus
                                 MZMTP_POSIX_POLLERR on a descriptor in error. */
} mzmtp_posix_pollitem_t;

/**
 * Wait until one of @p items is ready, keeping the port's I/O going meanwhile (accepts,
 * connects, reads, writes, heartbeats, reconnects) — the zmq_poll() of this port.
 *
 * A socket is ready as mzmtp_socket_poll() says: MZMTP_POLLIN when mzmtp_socket_recv()
 * would return data, MZMTP_POLLOUT when a send would be queued. A descriptor is ready as
 * poll() says; a hang-up (POLLHUP) counts as MZMTP_POLLIN, since a read would not block
 * (it returns 0). Each call first writes what the application sent since the last call,
 * then returns at once if something is ready; otherwise it sleeps in poll() until
 * traffic, a timer or the deadline, and checks again. It never spins.
 *
 * @param[in,out] io         Initialised context; every socket of @p items should be
 *                           bound or connected through it (others are only checked).
 * @param[in,out] items      @p n items, borrowed for the call; revents is written for all.
 * @param[in]     n          Entries at @p items (0: just wait, running the port's I/O).
 * @param[in]     timeout_ms Longest wait in ms: 0 checks and returns, -1 waits for ever.
 *                           Timers and traffic do not extend it.
 * @return The number of ready items (> 0); 0 when @p timeout_ms ran out first; -1 with
 *         errno EINTR (a signal arrived: handle it and call again, as zmq_poll), EINVAL
 *         (@p io NULL, @p items NULL with @p n > 0, or more than MZMTP_POSIX_POLL_MAX_FDS
 *         descriptor items), or whatever poll() itself failed with.
 * Stack: (MZMTP_POSIX_MAX_FDS + MZMTP_POSIX_POLL_MAX_FDS) pollfds of 8 B, plus what
 * mzmtp_posix_handle() takes.
 */
MZMTP_NODISCARD int mzmtp_posix_poll(mzmtp_posix_t *io, mzmtp_posix_pollitem_t *items, size_t n,
                                     int timeout_ms);

/**
 * Close @p sock: mzmtp_socket_close(), then run the loop (blocking) until the socket is
 * flushed or @p linger_ms has passed, then close its descriptors, release its peer slots
 * and forget its endpoints. Other sockets of @p io keep running during the linger.
 * MZMTP_EV_CLOSED (peer -1, status as returned) goes to the monitor at the end.
 * @param[in,out] io        Initialised context.
 * @param[in,out] sock      A socket given to mzmtp_posix_bind()/_connect() (or not: then
 *                          only mzmtp_socket_close() is done). Free after the call.
 * @param[in]     linger_ms Longest flush in ms; 0 drops what is queued, -1 waits for ever.
 * @return MZMTP_OK when everything queued was written, MZMTP_ERR_TIMEOUT when the linger
 *         time ran out first.
 */
mzmtp_status_t mzmtp_posix_close(mzmtp_posix_t *io, mzmtp_socket_t *sock, int32_t linger_ms);

/**
 * Release what mzmtp_posix_init() and the first bind/connect set up (the epoll instance,
 * the resolver pipe, the reserve descriptor), after every socket was closed with
 * mzmtp_posix_close(). A resolver thread still running ends on its own. @p io may then be
 * initialised again.
 */
void mzmtp_posix_term(mzmtp_posix_t *io);

/** The random source the port installs in every socket it drives (an mzmtp_random_fn):
 *  the kernel's generator, blocking getrandom() (getentropy() off Linux), never a weaker
 *  fallback. For the application's own key pairs too (mzmtp_curve_keypair()).
 *  @return false when the kernel refuses. @p ctx is unused. */
bool mzmtp_posix_random(void *ctx, uint8_t *buf, size_t len);

/** @return Monotonic milliseconds (CLOCK_MONOTONIC), wrapping at 2^32. */
uint32_t mzmtp_posix_now_ms(void);

#endif /* MZMTP_POSIX_H */
