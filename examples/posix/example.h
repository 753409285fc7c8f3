/*
 * What the POSIX pattern examples share: the command line, opening the endpoint, and
 * reading one whole message. Each example keeps its socket logic (what to send, what to
 * check) in small functions over microzmtp.h alone, so that a Contiki-NG node can reuse
 * them under its own loop; only main() and this file know about POSIX.
 *
 * Command line of every example:  example_NAME [-b|-c] ENDPOINT [COUNT] [-s ENDPOINT2]
 *   -b binds ENDPOINT (port 0 picks a free one; the bound endpoint is printed as
 *   "NAME: bound to tcp://…"), -c connects to it; without either the example's default
 *   applies. COUNT is how many messages to send or receive. -s is pull's control socket.
 */
#ifndef EXAMPLE_H
#define EXAMPLE_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mzmtp_posix.h"

/* An example gives up after this long without progress, and exits 1. */
#define EXAMPLE_IDLE_MS 10000

typedef struct example_args {
    const char *name;     /* for messages: "push", "pull"… */
    const char *endpoint;
    bool bind;
    unsigned count;
    const char *endpoint2; /* -s ENDPOINT2, or NULL */
} example_args_t;

static inline void example_usage(const example_args_t *a)
{
    fprintf(stderr, "usage: example_%s [-b|-c] ENDPOINT [COUNT]%s\n", a->name,
            strcmp(a->name, "pull") == 0 ? " [-s CONTROL_ENDPOINT]" : "");
    exit(2);
}

/* Parse the command line into @p a, whose name, bind and count hold the defaults. Exits 2
 * on a usage error. */
static inline void example_parse(int argc, char **argv, example_args_t *a)
{
    int positional = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-b") == 0 || strcmp(argv[i], "-c") == 0) {
            a->bind = argv[i][1] == 'b';
        } else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc) {
            a->endpoint2 = argv[++i];
        } else if (argv[i][0] == '-') {
            example_usage(a);
        } else if (positional == 0) {
            a->endpoint = argv[i];
            positional++;
        } else if (positional == 1) {
            char *end;
            unsigned long n = strtoul(argv[i], &end, 10);
            if (*end != '\0' || n == 0 || n > 1000000u) example_usage(a);
            a->count = (unsigned)n;
            positional++;
        } else {
            example_usage(a);
        }
    }
    if (a->endpoint == NULL) example_usage(a);
}

/* Initialise @p sock; @return false, with a message, on failure. */
static inline bool example_socket(mzmtp_socket_t *sock, int type, const mzmtp_socket_mem_t *mem,
                                  const char *name)
{
    mzmtp_status_t st = mzmtp_socket_init(sock, type, mem);
    if (st != MZMTP_OK) fprintf(stderr, "%s: socket: %s\n", name, mzmtp_status_str(st));
    return st == MZMTP_OK;
}

/* Bind or connect @p sock to @p endpoint; prints the bound endpoint (with the real port).
 * @return false, with a message, when the endpoint is refused. */
static inline bool example_open(mzmtp_posix_t *io, mzmtp_socket_t *sock, const char *name,
                                const char *endpoint, bool bind)
{
    char bound[MZMTP_POSIX_ENDPOINT_LEN];
    mzmtp_status_t st = bind ? mzmtp_posix_bind(io, sock, endpoint, bound, sizeof bound)
                             : mzmtp_posix_connect(io, sock, endpoint);
    if (st != MZMTP_OK) {
        fprintf(stderr, "%s: cannot %s %s: %s\n", name, bind ? "bind" : "connect to", endpoint,
                mzmtp_status_str(st));
        return false;
    }
    printf("%s: %s %s\n", name, bind ? "bound to" : "connecting to", bind ? bound : endpoint);
    fflush(stdout);
    return true;
}

/* Parse the command line into @p a (example_parse), then initialise @p sock as a socket of
 * @p type over @p mem and bind or connect it as the arguments say (example_open).
 * @return false, with a message, on failure. */
static inline bool example_start(int argc, char **argv, example_args_t *a, mzmtp_posix_t *io,
                                 mzmtp_socket_t *sock, int type, const mzmtp_socket_mem_t *mem)
{
    example_parse(argc, argv, a);
    mzmtp_posix_init(io);
    return example_socket(sock, type, mem, a->name) &&
           example_open(io, sock, a->name, a->endpoint, a->bind);
}

/* mzmtp_posix_poll() over @p items for up to EXAMPLE_IDLE_MS. @return true once one is
 * ready; false, with a message ("<name>: no <what> for N ms", or the poll's error), when
 * none is or the poll fails. */
static inline bool example_poll(mzmtp_posix_t *io, mzmtp_posix_pollitem_t *items, size_t n,
                                const char *name, const char *what)
{
    int ready = mzmtp_posix_poll(io, items, n, EXAMPLE_IDLE_MS);
    if (ready > 0) return true;
    if (ready < 0) fprintf(stderr, "%s: poll: %s\n", name, strerror(errno));
    else fprintf(stderr, "%s: no %s for %d ms\n", name, what, EXAMPLE_IDLE_MS);
    return false;
}

/* A message as text: its frames joined by '|', cut at 127 bytes. */
typedef struct example_msg {
    char text[128];
    size_t len;
    unsigned frames; /* frames completed */
    bool open;      /* a message has started and not ended */
    bool mid_frame; /* the last piece read was MZMTP_RECV_PARTIAL */
} example_msg_t;

/*
 * Read frames into @p m until a message ends. The examples' messages are far smaller than
 * a receive buffer, so a readable socket holds a whole one; the state in @p m still lets a
 * message that arrives in pieces resume at the next call.
 * @return MZMTP_OK (@p m holds a whole message, NUL terminated), MZMTP_AGAIN (not yet;
 *         call again when the socket is readable), or mzmtp_socket_recv()'s error.
 */
static inline mzmtp_status_t example_recv(mzmtp_socket_t *sock, example_msg_t *m)
{
    if (!m->open) {
        m->len = 0;
        m->frames = 0;
        m->mid_frame = false;
        m->open = true;
    }
    for (;;) {
        uint8_t piece[64];
        size_t n;
        unsigned flags;
        mzmtp_status_t st = mzmtp_socket_recv(sock, piece, sizeof piece, &n, &flags);
        if (st != MZMTP_OK) {
            if (st != MZMTP_AGAIN) m->open = false; /* TRUNCATED: that message is over */
            return st;
        }
        size_t room = sizeof m->text - 1 - m->len;
        if (m->frames > 0 && !m->mid_frame && room > 0) { /* a new frame, not the first */
            m->text[m->len++] = '|';
            room--;
        }
        if (n > room) n = room;
        memcpy(m->text + m->len, piece, n);
        m->len += n;
        m->mid_frame = (flags & MZMTP_RECV_PARTIAL) != 0;
        if (!m->mid_frame) m->frames++;
        if (!(flags & (MZMTP_RECV_MORE | MZMTP_RECV_PARTIAL))) {
            m->text[m->len] = '\0';
            m->open = false;
            return MZMTP_OK;
        }
    }
}

/* Send a NUL-terminated string as a one-frame message. */
static inline mzmtp_status_t example_send_text(mzmtp_socket_t *sock, const char *text)
{
    return mzmtp_socket_send(sock, text, strlen(text), false);
}

/* Send "<word> <n>" ("task 3", "request 3") as a one-frame message. */
static inline mzmtp_status_t example_send_numbered(mzmtp_socket_t *sock, const char *word,
                                                   unsigned n)
{
    char text[48];
    (void)snprintf(text, sizeof text, "%s %u", word, n);
    return example_send_text(sock, text);
}

/* The end of an example whose last messages may still be queued: write them (for up to
 * EXAMPLE_IDLE_MS), then close @p sock. @return The exit status: 0, or 1 with a message
 * ("<name>: <what> still unwritten after N ms"). */
static inline int example_flush_and_close(mzmtp_posix_t *io, mzmtp_socket_t *sock,
                                          const char *name, const char *what)
{
    if (mzmtp_posix_close(io, sock, EXAMPLE_IDLE_MS) == MZMTP_OK) return 0;
    fprintf(stderr, "%s: %s still unwritten after %d ms\n", name, what, EXAMPLE_IDLE_MS);
    return 1;
}

#endif /* EXAMPLE_H */
