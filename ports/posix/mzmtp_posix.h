/**
 * @file mzmtp_posix.h
 * @brief POSIX port of microzmtp: non-blocking BSD sockets driven by poll().
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
 *    mzmtp_posix_handle().
 *
 * Endpoints:
 *  - `tcp://IPv4:port`, `tcp://[IPv6]:port` (zone as `%iface`), `tcp://` + `*:port` (bind
 *    on every IPv4 interface). On bind the port may be `0` or `*` (ephemeral); the actual
 *    endpoint is returned, as ZMQ_LAST_ENDPOINT would give it. Binding needs a numeric
 *    address (wire-notes T1); connecting also accepts a host name (resolved with
 *    getaddrinfo at each attempt).
 *  - `ipc://path` (AF_UNIX stream; bind replaces an existing file and removes it on close)
 *    and, on Linux, `ipc://@name` in the abstract namespace.
 *
 * Memory: an mzmtp_posix_t holds fixed tables sized by MZMTP_POSIX_MAX_SOCKETS and
 * MZMTP_POSIX_MAX_ENDPOINTS; nothing is allocated. Every mzmtp_socket_t given to the port
 * is borrowed until mzmtp_posix_close() returns.
 * Threads: one mzmtp_posix_t and its sockets belong to one thread. The sockets' monitor
 * callbacks run inside mzmtp_posix_* calls and must not call back into the port.
 * Signals: a peer that vanishes never raises SIGPIPE (MSG_NOSIGNAL, SO_NOSIGPIPE, or
 * SIGPIPE ignored by mzmtp_posix_init() where neither exists).
 */
#ifndef MZMTP_POSIX_H
#define MZMTP_POSIX_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <microzmtp/microzmtp.h>

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

/** The most descriptors mzmtp_posix_fds() can return: size your pollfd array with it. */
#define MZMTP_POSIX_MAX_FDS (MZMTP_POSIX_MAX_SOCKETS * MZMTP_CONF_MAX_PEERS + MZMTP_POSIX_MAX_ENDPOINTS)

/** One bound or connected endpoint. All fields are private. */
typedef struct mzmtp_posix_endpoint {
    mzmtp_socket_t *sock; /* NULL: free entry */
    uint8_t kind;         /* EP_BIND, EP_CONNECT */
    uint8_t state;        /* connect: EP_WAIT, EP_CONNECTING, EP_UP, EP_STOPPED */
    bool ipc_file;        /* bound ipc path to unlink on close */
    int fd;               /* listener, or the connect in progress */
    int peer;             /* connect: the socket's keep_queue slot */
    uint32_t retry_at;    /* EP_WAIT: when to try again (ms) */
    uint32_t backoff_ms;  /* current interval between failed TCP connects */
    char addr[MZMTP_POSIX_ENDPOINT_LEN]; /* connect: as given; bind: as bound */
} mzmtp_posix_endpoint_t;

/** One socket the port drives. All fields are private. */
typedef struct mzmtp_posix_socket {
    mzmtp_socket_t *sock;                /* NULL: free entry */
    int fd[MZMTP_CONF_MAX_PEERS];        /* transport of each peer slot, or -1 */
    int16_t ep[MZMTP_CONF_MAX_PEERS];    /* endpoint that connected the slot, or -1 */
    mzmtp_peerset_t live;                /* slots whose fd is >= 0 */
} mzmtp_posix_socket_t;

/** A POSIX I/O context. All fields are private; the struct is public for static storage. */
typedef struct mzmtp_posix {
    mzmtp_posix_socket_t s[MZMTP_POSIX_MAX_SOCKETS];
    mzmtp_posix_endpoint_t ep[MZMTP_POSIX_MAX_ENDPOINTS];
    int32_t reconnect_ivl_ms;
    int32_t reconnect_ivl_max_ms;
    uint32_t rand_state;
    size_t ep_end;       /* entries of ep[] from here on are free: loops stop here */
    int32_t accept_ivl_ms;     /* mzmtp_posix_set_accept_interval(); 0: off */
    uint32_t accept_polled_at; /* when run() last polled the listeners (ms) */
    int wait_fd;         /* the peer descriptor whose receive timeout is wait_timeout_ms */
    int wait_timeout_ms;
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

/** @return Monotonic milliseconds (CLOCK_MONOTONIC), wrapping at 2^32. */
uint32_t mzmtp_posix_now_ms(void);

#endif /* MZMTP_POSIX_H */
