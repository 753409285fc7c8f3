/**
 * @file testutil.h
 * @brief Helpers shared by the unit tests: byte scripts, hex, a seeded PRNG, feeding an
 *        engine whole / byte by byte / in random splits, and wiring two sockets or
 *        engines back to back in memory. No sockets, no sleeps, no heap.
 *
 * Include after <stdarg.h> <stddef.h> <setjmp.h> <cmocka.h> (testutil.h includes them).
 */
#ifndef MZMTP_TESTUTIL_H
#define MZMTP_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "microzmtp/mzmtp_port.h"

/* ------------------------------------------------------------------------------------ */
/* Assertions that print bytes and status names                                           */
/* ------------------------------------------------------------------------------------ */

void tu_assert_bytes_(const uint8_t *got, size_t got_len, const uint8_t *exp, size_t exp_len,
                      const char *file, int line);
void tu_assert_hex_(const uint8_t *got, size_t got_len, const char *exp_script,
                    const char *file, int line);
void tu_assert_status_(int got, int exp, const char *got_expr, const char *file, int line);

/** Assert got[0..got_len) == exp[0..exp_len), printing both in hex when not. */
#define TU_ASSERT_BYTES(got, got_len, exp, exp_len)                                        \
    tu_assert_bytes_((const uint8_t *)(got), (got_len), (const uint8_t *)(exp), (exp_len), \
                     __FILE__, __LINE__)
/** Assert got[0..got_len) equals the byte script @p script (see tu_script()). */
#define TU_ASSERT_HEX(got, got_len, script)                                                \
    tu_assert_hex_((const uint8_t *)(got), (got_len), (script), __FILE__, __LINE__)
/** Assert a status, printing names (MZMTP_ERR_PROTOCOL…) when it differs. */
#define TU_ASSERT_STATUS(got, exp) tu_assert_status_((int)(got), (int)(exp), #got, __FILE__, __LINE__)

/* ------------------------------------------------------------------------------------ */
/* Byte scripts                                                                           */
/* ------------------------------------------------------------------------------------ */

/**
 * Parse a byte script into @p out: hex pairs ("04 19" or "0419"), a repeated byte ("00*31"),
 * and single-quoted ASCII ('READY'), separated by white space, '|' or ','. Fails the test on a malformed script or if
 * @p cap is too small. @return Bytes written.
 */
size_t tu_script(const char *script, uint8_t *out, size_t cap);

/** A growable-in-place byte buffer over caller storage. */
typedef struct tu_buf {
    uint8_t *p;
    size_t len, cap;
} tu_buf_t;

#define TU_BUF(storage) {(storage), 0, sizeof(storage)}

void tu_put(tu_buf_t *b, const void *data, size_t len);
void tu_put_u8(tu_buf_t *b, uint8_t v);
void tu_put_str(tu_buf_t *b, const char *s);
void tu_put_hex(tu_buf_t *b, const char *script);
void tu_put_u64be(tu_buf_t *b, uint64_t v);
/** A 64-byte greeting as libzmq sends it (bytes 1–8 = 00…01), any version/mechanism. */
void tu_put_greeting(tu_buf_t *b, uint8_t major, uint8_t minor, const char *mechanism);
/** One frame: flags (LONG added automatically when len > 255) + size + body. */
void tu_put_frame(tu_buf_t *b, uint8_t flags, const void *body, size_t len);
/** One frame that always uses the 8-byte size form. */
void tu_put_long_frame(tu_buf_t *b, uint8_t flags, const void *body, size_t len);
/** One command frame: name-len, name, data. */
void tu_put_command(tu_buf_t *b, const char *name, const void *data, size_t len);
/** A NULL READY with Socket-Type @p type (NULL: no properties at all). */
void tu_put_ready(tu_buf_t *b, const char *type);
/** One metadata property. */
void tu_put_property(tu_buf_t *b, const char *name, const void *value, size_t len);
/** A NULL READY with Socket-Type @p type and an Identity property @p id[0..len) (≤ 255). */
void tu_put_ready_identity(tu_buf_t *b, const char *type, const void *id, size_t len);
/** Greeting (3.@p minor, "NULL") + READY of @p peer_type: a whole libzmq handshake. */
void tu_put_handshake(tu_buf_t *b, uint8_t minor, const char *peer_type);

/** @return true when @p needle occurs in @p hay. */
bool tu_contains(const uint8_t *hay, size_t hay_len, const uint8_t *needle, size_t n);
/** @return Offset of @p needle in @p hay, or (size_t)-1. */
size_t tu_find(const uint8_t *hay, size_t hay_len, const uint8_t *needle, size_t n);

/* ------------------------------------------------------------------------------------ */
/* PRNG (splitmix64): deterministic, seeded per test                                      */
/* ------------------------------------------------------------------------------------ */

typedef struct tu_rng {
    uint64_t s;
} tu_rng_t;

void tu_rng_seed(tu_rng_t *r, uint64_t seed);
uint64_t tu_rng_next(tu_rng_t *r);
/** @return A value in [0, n); n > 0. */
uint32_t tu_rng_below(tu_rng_t *r, uint32_t n);
/** @return A value in [lo, hi]. */
uint32_t tu_rng_range(tu_rng_t *r, uint32_t lo, uint32_t hi);
void tu_rng_fill(tu_rng_t *r, uint8_t *p, size_t n);

/* ------------------------------------------------------------------------------------ */
/* One engine driven by a script: an event log                                            */
/* ------------------------------------------------------------------------------------ */

#define TU_LOG_EVENTS 256
#define TU_LOG_ARENA 32768
#define TU_LOG_OUT 8192
#define TU_MAX_FRAMES 16

/** One event as the log saw it. For MESSAGE: the frames read back, concatenated. */
typedef struct tu_event {
    mzmtp_conn_event_kind_t kind;
    size_t off, len;     /* data in the log's arena */
    int peer_type;
    unsigned nframes;
    uint32_t frame_len[TU_MAX_FRAMES];
    unsigned frame_flags[TU_MAX_FRAMES]; /* flags of the last read of each frame */
    unsigned chunks;                     /* conn_read calls that returned data */
} tu_event_t;

/** What an engine did while fed: its events, its output and its first fatal status. */
typedef struct tu_log {
    tu_event_t ev[TU_LOG_EVENTS];
    size_t n;
    uint8_t arena[TU_LOG_ARENA];
    size_t used;
    uint8_t out[TU_LOG_OUT]; /* everything the engine wrote, in order */
    size_t out_len;
    size_t out_total; /* bytes written, even past TU_LOG_OUT */
    mzmtp_status_t status; /* MZMTP_OK, or the first fatal status */
    /* how to treat messages */
    bool skip_messages; /* mzmtp_conn_skip() instead of reading */
    size_t read_cap;    /* conn_read buffer size; 0 = 4096 */
    bool link_output;   /* output is moved by tu_pump(), not captured here */
    /* When conn_read says AGAIN in the middle of a message, call conn_process (which
     * scans newly arrived frame headers) and retry, ignoring a repeated MESSAGE event.
     * Off by default: the header does not ask readers to do this. */
    bool process_mid_message;
    /* reader state */
    bool in_msg;
    bool frame_open;
} tu_log_t;

void tu_log_init(tu_log_t *log);
/** Forget captured output (events stay). */
void tu_log_clear_out(tu_log_t *log);
/** @return Number of events of @p kind. */
size_t tu_log_count(const tu_log_t *log, mzmtp_conn_event_kind_t kind);
/** @return The @p idx-th event of @p kind, or NULL. */
const tu_event_t *tu_log_nth(const tu_log_t *log, mzmtp_conn_event_kind_t kind, size_t idx);
/** @return The data of @p ev. */
const uint8_t *tu_ev_data(const tu_log_t *log, const tu_event_t *ev);
/** @return Pointer to frame @p i of message event @p ev. */
const uint8_t *tu_ev_frame(const tu_log_t *log, const tu_event_t *ev, unsigned i);

/** Default engine options for tests: no limits, no timers, rcvhwm 1000. */
mzmtp_conn_opts_t tu_conn_opts(void);
/** A command area of MZMTP_CONF_CMD_BUF bytes (plus a CURVE engine's state,
 *  MZMTP_CMD_CURVE_STATE) for engine @p c (the same one each time
 *  for the same engine; TU_MAX_ENGINES engines per test program). */
#define TU_MAX_ENGINES 256
#define TU_CMD_BYTES (MZMTP_CONF_CMD_BUF + MZMTP_CMD_CURVE_STATE)
uint8_t *tu_cmd_buf(const mzmtp_conn_t *c);
/** mzmtp_conn_init() with the engine's tu_cmd_buf() of TU_CMD_BYTES. In a build whose
 *  engine refuses type @p type (MZMTP_CONN_NO_DELIVERY: the types left out of
 *  MZMTP_CONF_SOCKET_TYPES) the running test is skipped instead, with the reason. */
#define tu_conn_init(c, type, opts, rx, rx_size, q, pipe, now)                              \
    (tu_conn_need_type(type),                                                              \
     mzmtp_conn_init((c), (type), (opts), (rx), (rx_size), tu_cmd_buf(c), TU_CMD_BYTES,  \
                     (q), (pipe), (now)))
void tu_conn_need_type(int type);

/** Move everything the engine wants to write into log->out. @return bytes moved. */
size_t tu_conn_drain_output(mzmtp_conn_t *conn, tu_log_t *log);
/** Like tu_conn_drain_output() but writes at most @p max_write bytes per output_done. */
size_t tu_conn_drain_output_slowly(mzmtp_conn_t *conn, tu_log_t *log, size_t max_write);

/**
 * Run mzmtp_conn_process() until MZMTP_AGAIN or a fatal status, logging each event and
 * reading (or skipping) each message. Also drains output. @return log->status if fatal,
 * else MZMTP_AGAIN.
 */
mzmtp_status_t tu_conn_pump(mzmtp_conn_t *conn, tu_log_t *log, uint32_t now_ms);

typedef enum tu_split {
    TU_WHOLE = 0,   /* everything in one mzmtp_conn_input() call */
    TU_BYTEWISE,    /* one byte per call */
    TU_RANDOM       /* random chunk sizes 1..64, from the seed */
} tu_split_t;

/**
 * Feed @p script to @p conn with the given split, pumping after every piece.
 * @return The first fatal status, or MZMTP_OK when all bytes were taken and processed,
 *         or MZMTP_AGAIN when the engine stopped taking bytes (receive buffer full).
 */
mzmtp_status_t tu_conn_feed(mzmtp_conn_t *conn, tu_log_t *log, const uint8_t *script,
                            size_t len, tu_split_t split, uint64_t seed, uint32_t now_ms);

/* ------------------------------------------------------------------------------------ */
/* Two endpoints back to back                                                             */
/* ------------------------------------------------------------------------------------ */

/** One side of an in-memory link: a socket's peer slot, or a raw engine with a log. */
typedef struct tu_end {
    mzmtp_socket_t *sock;
    int peer;
    mzmtp_conn_t *conn;
    tu_log_t *log;
    mzmtp_status_t status; /* first fatal status seen on input */
} tu_end_t;

typedef struct tu_link {
    tu_end_t a, b;
    bool cut; /* stop moving bytes (the "TCP connection" is down) */
    size_t moved;
} tu_link_t;

/** Make a link between socket peer slots. */
void tu_link_sockets(tu_link_t *l, mzmtp_socket_t *a, int pa, mzmtp_socket_t *b, int pb);
/** Make a link between a socket peer slot and a raw engine. */
void tu_link_socket_conn(tu_link_t *l, mzmtp_socket_t *a, int pa, mzmtp_conn_t *conn,
                         tu_log_t *log);
/** Make a link between two raw engines. */
void tu_link_conns(tu_link_t *l, mzmtp_conn_t *a, tu_log_t *la, mzmtp_conn_t *b,
                   tu_log_t *lb);

/**
 * Shuttle output → input over every link (both ways) until no byte moves. A side that
 * returns a fatal status stops receiving; its remaining output is still delivered.
 * @return Total bytes moved.
 */
size_t tu_pump(tu_link_t *links, size_t n, uint32_t now_ms);

/**
 * Open a peer slot on each socket (@p b is the connecting side: keep_queue), start both
 * and link them. Does not pump.
 */
void tu_connect_sockets(tu_link_t *l, mzmtp_socket_t *a, mzmtp_socket_t *b, uint32_t now_ms);
/** tu_connect_sockets(), where @p a sees the connection come from @p b_address (the
 *  address a port gives mzmtp_socket_peer_set_address()). */
void tu_connect_sockets_from(tu_link_t *l, mzmtp_socket_t *a, mzmtp_socket_t *b,
                             const char *b_address, uint32_t now_ms);
/**
 * Connect client @p b to server @p a (tu_connect_sockets), let @p b send "hello" and pump:
 * both ends must fail the handshake with @p why, and @p a have no peer and nothing to
 * read.
 */
void tu_expect_handshake_refused(mzmtp_socket_t *a, mzmtp_socket_t *b, mzmtp_status_t why);

/** Receive one whole message from @p sock into @p buf (frames concatenated).
 *  @return MZMTP_OK / MZMTP_AGAIN / error; @p nframes and @p frame_len per frame. */
mzmtp_status_t tu_socket_recv_msg(mzmtp_socket_t *sock, uint8_t *buf, size_t cap,
                                  size_t *len, unsigned *nframes, size_t *frame_len,
                                  size_t max_frames);
/** Move everything socket peer @p peer has to write into @p out[0..cap) (the test fails
 *  if it does not fit), as a port that writes without a short count would.
 *  @return Bytes moved. */
size_t tu_socket_take_output(mzmtp_socket_t *sock, int peer, uint8_t *out, size_t cap);
/** Hand @p in[0..len) to socket peer @p peer with mzmtp_socket_peer_input(). The test
 *  fails if the peer stops taking bytes without a fatal status.
 *  @return The status mzmtp_socket_peer_input() returned (what a port acts on). */
mzmtp_status_t tu_socket_feed(mzmtp_socket_t *sock, int peer, const uint8_t *in, size_t len,
                              uint32_t now_ms);
/** Send one single-frame message. Fails the test unless it returns @p expect. */
void tu_socket_send_str(mzmtp_socket_t *sock, const char *s, mzmtp_status_t expect);

/** The set of peer slots named by the bits of @p bits (slot p for bit p). Fails the test
 *  if a bit names a slot this build does not have (MZMTP_CONF_MAX_PEERS). */
mzmtp_peerset_t tu_peers(uint32_t bits);

/** mzmtp_outq_begin() for the peer slots named by the bits of @p bits (tu_peers()). */
void tu_outq_begin(mzmtp_outq_t *q, uint32_t bits);

/** Skip the running test, with its reason, in a build with fewer than @p n peer slots
 *  (the MZMTP_CONF_MAX_PEERS=1 profile: @p n is 2 for a test that wires two or more
 *  peers to one socket): cmocka reports it SKIPPED, not passed. */
#define TU_NEED_PEERS(n)                                                                   \
    do {                                                                                   \
        if (MZMTP_CONF_MAX_PEERS < (n)) {                                                  \
            print_message("needs at least %d peer slots; this build has %d\n", (int)(n),   \
                          (int)MZMTP_CONF_MAX_PEERS);                                      \
            skip();                                                                        \
        }                                                                                  \
    } while (0)

/** mzmtp_socket_init() that must succeed; in a build without socket type @p type
 *  (MZMTP_CONF_SOCKET_TYPES) the running test is skipped instead, with the reason: a
 *  test needs a type exactly when it makes a socket of it. */
void tu_socket_init(mzmtp_socket_t *sock, int type, const mzmtp_socket_mem_t *mem);

/** Open placeholder slots on @p sock (opened, never started) until its lowest free slot
 *  is @p slot, so that the next connection lands there (a peer in a high word of a wide
 *  peer set); each is marked in @p held[MZMTP_CONF_MAX_PEERS]. */
void tu_socket_hold_below(mzmtp_socket_t *sock, int slot, bool *held);
/** Release the placeholders of tu_socket_hold_below() and clear @p held. */
void tu_socket_release_held(mzmtp_socket_t *sock, bool *held);
/** Fill @p out with the slots of {0, 1, 31, 32, 33, 63, 64, 65, MZMTP_CONF_MAX_PEERS - 1}
 *  that this build has, at most @p max of them, highest-numbered kept: the slots on both
 *  sides of each 32-bit word boundary of a peer set. @return How many. */
unsigned tu_word_edge_slots(int *out, unsigned max);

/** Peer results of tu_socket_tick(). */
#define TU_NO_DEAD (-1)
#define TU_MANY_DEAD (-2)
/** Run mzmtp_socket_tick() and walk mzmtp_socket_peer_next_dead() (checking that the
 *  walk is in order and agrees with tick's result). @return TU_NO_DEAD, the one peer
 *  the port must close, or TU_MANY_DEAD. */
int tu_socket_tick(mzmtp_socket_t *sock, uint32_t now_ms);

/** What a socket monitor reported, in order (the first 16 events). */
typedef struct tu_mon_log {
    int n;
    mzmtp_socket_event_t ev[16];
    int peer[16];
    mzmtp_status_t st[16];
} tu_mon_log_t;
/** A monitor callback (mzmtp_socket_set_monitor()) whose @p ctx is a tu_mon_log_t. */
void tu_monitor(void *ctx, mzmtp_socket_t *sock, mzmtp_socket_event_t ev, int peer,
                mzmtp_status_t st);
/** @return Whether @p m holds event @p ev with status @p st. */
bool tu_mon_has(const tu_mon_log_t *m, mzmtp_socket_event_t ev, mzmtp_status_t st);

/** Fair queueing over three senders: each message carries its sender (0..2) and that
 *  sender's sequence number. */
typedef struct tu_fair {
    int counts[3];        /* messages taken from each sender */
    uint8_t next_seq[3];  /* the sequence number each sender's next message must carry */
    int round[3];         /* messages taken from each sender this round */
    int worst;            /* the largest lead of one sender over another within a round */
} tu_fair_t;
/** Start a round: every sender has messages queued until it ends. */
void tu_fair_round(tu_fair_t *f);
/** Take message (@p who, @p seq): asserts that @p who is a sender and that its messages
 *  keep their order, then updates the counts and the worst lead. */
void tu_fair_take(tu_fair_t *f, uint8_t who, uint8_t seq);

#endif /* MZMTP_TESTUTIL_H */
