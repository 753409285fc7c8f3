/*
 * Sans-I/O ZMTP 3.x engine for one peer: greeting, framing, commands, heartbeats (RFC 37);
 * the security handshake belongs to the mechanism (src/mech). Bytes in, bytes out,
 * events; no I/O, no clock, no allocation.
 *
 * Receive buffer layout: [0, rx_rd) consumed, [rx_rd, rx_wr) buffered, [rx_wr, rx_cap)
 * free. Stream offsets (base + buffer offset; mzmtp_off_t: 32-bit, or 64-bit with
 * MZMTP_CONF_LARGE_FRAMES, wrap-safe either way) let the scanner stand past the buffered
 * bytes while a large frame streams through.
 *
 * Two cursors walk the input. The scanner (scan) validates frame headers as soon as they
 * arrive and counts complete data messages, which gives the receive HWM and tells whether
 * the head message may be delivered. The reader (rx_rd) delivers the head message frame by
 * frame and runs commands in stream order. A message is delivered only once it is
 * complete, unless it cannot fit the buffer: then it streams ("streaming").
 */
#include <string.h>
#include "microzmtp/mzmtp_conn.h"
#include "../util/mzmtp_util.h"
#include "../mech/mech.h"

static bool time_reached(uint32_t now, uint32_t deadline)
{
    return (int32_t)(now - deadline) >= 0;
}

/* ---------------- command output buffer ---------------- */

/* The mechanisms' way in too (mzmtp_conn_mech_room(), mech.h). */
uint8_t *mzmtp_conn_mech_room(mzmtp_conn_t *c, size_t need)
{
    if (c->cmd_rd == c->cmd_wr) c->cmd_rd = c->cmd_wr = 0;
    if ((size_t)(c->cmd_cap - c->cmd_wr) < need && c->cmd_rd > 0) {
        mzmtp_util_move_down(c->cmd, c->cmd + c->cmd_rd, (size_t)(c->cmd_wr - c->cmd_rd));
        c->cmd_wr = (uint16_t)(c->cmd_wr - c->cmd_rd);
        c->cmd_rd = 0;
    }
    if ((size_t)(c->cmd_cap - c->cmd_wr) < need) return NULL;
    return c->cmd + c->cmd_wr;
}

/* Queue a command frame (RFC 37 "Commands": command-name = OCTET 1*255 name, then
 * command-data), then data d1 and d2; a NULL @p d1 with @p l1 > 0 stands for our
 * metadata, @p l1 its length (mzmtp_conn_mech_metadata(c, NULL)): READY and INITIATE
 * share this one encoder. @p name is a string literal of 1-255 bytes (CMD_PUT takes its
 * length with sizeof), and the command buffer holds at most 65535 bytes, so the checks
 * of mzmtp_wire_encode_command_head() are settled here: the codec's frame header
 * encoder writes the header, as the mechanisms' own commands do (src/mech). */
static bool cmd_put_n(mzmtp_conn_t *c, const char *name, size_t nlen, const uint8_t *d1,
                      size_t l1, const uint8_t *d2, size_t l2)
{
    size_t head = mzmtp_wire_command_head_size(nlen, l1 + l2);
    uint8_t *at = mzmtp_conn_mech_room(c, head + l1 + l2);
    if (at == NULL) return false;
    at += mzmtp_util_put_frame_hdr(at, MZMTP_FLAG_COMMAND, 1u + nlen + l1 + l2);
    *at++ = (uint8_t)nlen;
    memcpy(at, name, nlen);
    at += nlen;
    if (d1 == NULL) {
        if (l1) (void)mzmtp_conn_mech_metadata(c, at);
    } else {
        memcpy(at, d1, l1);
    }
    if (l2) memcpy(at + l1, d2, l2);
    c->cmd_wr = (uint16_t)(c->cmd_wr + head + l1 + l2);
    return true;
}
#define CMD_PUT(c, lit, d, l) cmd_put_n((c), (lit), sizeof(lit) - 1u, (d), (l), NULL, 0)
#define NAME_IS(n, nl, lit) ((nl) == sizeof(lit) - 1u && mzmtp_util_bytes_eq((n), (lit), sizeof(lit) - 1u))

/* RFC 37 "The READY Command": Socket-Type always; Identity from REQ, DEALER and ROUTER
 * (libzmq sends it even when empty, wire-notes M2). */
static const char prop_type[] = "Socket-Type", prop_id[] = "Identity";

/* A build of PUB alone or PUSH alone without delivery: mzmtp_conn_init() refuses every
 * other type, so the engine's type is known when it is compiled, and the codec gives its
 * name, peers (RFC 37's table, wire-notes M5) and traits (H2, H3) as constants: no
 * table lookups linked. */
#if MZMTP_CONN_NO_DELIVERY && MZMTP_CONF_SOCKET_TYPES == MZMTP_TYPESET_PUB
#define ONE_TYPE_NAME MZMTP_WIRE_PUB_NAME
#define ONE_TYPE_PEERS MZMTP_WIRE_PUB_PEERS
#define ONE_TYPE_TRAITS MZMTP_WIRE_PUB_TRAITS
#elif MZMTP_CONN_NO_DELIVERY && MZMTP_CONF_SOCKET_TYPES == MZMTP_TYPESET_PUSH
#define ONE_TYPE_NAME MZMTP_WIRE_PUSH_NAME
#define ONE_TYPE_PEERS MZMTP_WIRE_PUSH_PEERS
#define ONE_TYPE_TRAITS MZMTP_WIRE_PUSH_TRAITS
#endif

static bool sends_identity(const mzmtp_conn_t *c)
{
    return (c->opts.type_traits & MZMTP_WIRE_TYPE_SENDS_IDENTITY) != 0;
}

static bool takes_subscriptions(const mzmtp_conn_t *c)
{
    return (c->opts.type_traits & MZMTP_WIRE_TYPE_TAKES_SUBSCRIPTIONS) != 0;
}

/* Our metadata (RFC 37 "Metadata") at @p out, or only its length when @p out is NULL
 * (the codec's encoders count then). */
size_t mzmtp_conn_mech_metadata(const mzmtp_conn_t *c, uint8_t *out)
{
#ifdef ONE_TYPE_NAME
    size_t n = mzmtp_wire_encode_property_n(out, SIZE_MAX, (const uint8_t *)prop_type,
                                            sizeof prop_type - 1,
                                            (const uint8_t *)ONE_TYPE_NAME,
                                            sizeof ONE_TYPE_NAME - 1);
#else
    size_t n = mzmtp_wire_encode_property_n(out, SIZE_MAX, (const uint8_t *)prop_type,
                                            sizeof prop_type - 1,
                                            (const uint8_t *)mzmtp_wire_socket_type_name(c->socket_type),
                                            mzmtp_wire_socket_type_name_len(c->socket_type));
#endif
    if (sends_identity(c)) {
        n += mzmtp_wire_encode_property_n(out != NULL ? out + n : NULL, SIZE_MAX,
                                          (const uint8_t *)prop_id, sizeof prop_id - 1,
                                          c->opts.identity, c->opts.identity_len);
    }
    return n;
}

bool mzmtp_conn_mech_put_meta_cmd(mzmtp_conn_t *c, const char *name, size_t nlen)
{
    return cmd_put_n(c, name, nlen, NULL, mzmtp_conn_mech_metadata(c, NULL), NULL, 0);
}

void mzmtp_conn_mech_commit(mzmtp_conn_t *c, size_t n) { c->cmd_wr = (uint16_t)(c->cmd_wr + n); }

bool mzmtp_conn_mech_put(mzmtp_conn_t *c, const char *name, size_t nlen, const uint8_t *d1,
                         size_t l1, const uint8_t *d2, size_t l2)
{
    return cmd_put_n(c, name, nlen, d1, l1, d2, l2);
}

static bool out_mid_message(const mzmtp_conn_t *c)
{
    return c->outq != NULL && mzmtp_outq_pipe_mid_message(c->outq, c->pipe);
}

/* Make the engine dead with @p st; an ERROR goes out where the spec asks for one. */
static mzmtp_status_t die_n(mzmtp_conn_t *c, mzmtp_status_t st, const char *reason,
                            uint8_t rlen)
{
    if (c->state == MZMTP_CONN_DEAD) return c->scan_err;
    /* An ERROR in the middle of a data frame would be garbage: send it only on a frame
     * boundary (RFC 37 "The ERROR Command"). */
    if (reason != NULL && !out_mid_message(c)) {
        (void)cmd_put_n(c, "ERROR", 5, &rlen, 1, (const uint8_t *)reason, rlen);
    }
    c->state = MZMTP_CONN_DEAD;
    c->scan_err = st;
    return st;
}

/* die() closes without a word; die_why() sends ERROR with a literal reason first. */
#define die(c, st) die_n((c), (st), NULL, 0)

mzmtp_status_t mzmtp_conn_mech_die(mzmtp_conn_t *c, mzmtp_status_t st, const char *reason,
                                   uint8_t rlen)
{
    return die_n(c, st, reason, rlen);
}
#define die_why(c, st, lit) die_n((c), (st), (lit), (uint8_t)(sizeof(lit) - 1u))

void mzmtp_conn_send_error(mzmtp_conn_t *conn, const char *reason, size_t len)
{
    (void)die_n(conn, MZMTP_ERR_PROTOCOL, reason, (uint8_t)(len > 255 ? 255 : len));
}

/* ---------------- init ---------------- */

mzmtp_status_t mzmtp_conn_init(mzmtp_conn_t *conn, int socket_type,
                               const mzmtp_conn_opts_t *opts, uint8_t *rx, size_t rx_size,
                               uint8_t *cmd, size_t cmd_size, mzmtp_outq_t *outq,
                               unsigned pipe, uint32_t now_ms)
{
    if (conn == NULL || opts == NULL || rx == NULL || rx_size < MZMTP_GREETING_SIZE ||
        rx_size > UINT32_MAX || cmd == NULL || cmd_size - MZMTP_CMD_MIN > 65535u - MZMTP_CMD_MIN ||
        (unsigned)socket_type >= MZMTP_SOCKET_TYPE_COUNT ||
        (MZMTP_CONN_NO_DELIVERY && !((MZMTP_CONF_SOCKET_TYPES >> (unsigned)socket_type) & 1u)) ||
        pipe >= MZMTP_CONF_MAX_PEERS || (opts->identity_len && opts->identity == NULL)) {
        return MZMTP_ERR_INVALID;
    }
    return mzmtp_conn_start(conn, socket_type, opts, rx, rx_size, cmd, cmd_size, outq, pipe,
                            now_ms);
}

mzmtp_status_t mzmtp_conn_start(mzmtp_conn_t *conn, int socket_type,
                                const mzmtp_conn_opts_t *opts, uint8_t *rx, size_t rx_size,
                                uint8_t *cmd, size_t cmd_size, mzmtp_outq_t *outq,
                                unsigned pipe, uint32_t now_ms)
{
    memset(conn, 0, sizeof(*conn));
    conn->socket_type = (uint8_t)socket_type;
    conn->opts = *opts;
    if (opts->peer_types == 0 && opts->type_traits == 0) {
#ifdef ONE_TYPE_NAME
        conn->opts.peer_types = ONE_TYPE_PEERS;
        conn->opts.type_traits = ONE_TYPE_TRAITS;
#else
        (void)mzmtp_wire_socket_type_info(socket_type, &conn->opts.peer_types,
                                          &conn->opts.type_traits);
#endif
    }
    conn->rx = rx;
    conn->rx_cap = (uint32_t)rx_size;
    conn->cmd = cmd;
    conn->cmd_cap = (uint16_t)cmd_size;
    conn->outq = outq;
    conn->pipe = (uint16_t)pipe;
    conn->scan_err = MZMTP_OK;
    conn->scan = MZMTP_GREETING_SIZE;
    conn->state = MZMTP_CONN_GREETING;
    conn->mech = opts->sec != NULL ? opts->sec->mechanism : (uint8_t)MZMTP_MECH_NULL;
    mzmtp_status_t st = mzmtp_mech_start(conn, now_ms);
    if (st != MZMTP_OK) return st;
    if (opts->handshake_ivl_ms) {
        conn->hs_armed = true;
        conn->hs_deadline = now_ms + opts->handshake_ivl_ms;
    }
    return MZMTP_OK;
}

void mzmtp_conn_wipe(mzmtp_conn_t *conn) { mzmtp_mech_wipe(conn); }

/* ---------------- input ---------------- */

#if !MZMTP_CONN_NO_DELIVERY || MZMTP_CONF_CURVE /* the scanner's, or CURVE's openings */
static mzmtp_off_t abs_rd(const mzmtp_conn_t *c) { return (mzmtp_off_t)(c->base + c->rx_rd); }

/* a < b for stream offsets, wrap-safe: offsets in use are never 2^31 (or 2^63) apart,
 * since a frame is at most MZMTP_FRAME_MAX bytes. */
static bool off_before(mzmtp_off_t a, mzmtp_off_t b)
{
#if MZMTP_CONF_LARGE_FRAMES
    return (int64_t)(a - b) < 0;
#else
    return (int32_t)(a - b) < 0;
#endif
}
#endif

void mzmtp_conn_rx_space(mzmtp_conn_t *conn, uint8_t **ptr, size_t *len)
{
    *ptr = NULL;
    *len = 0;
    if (conn->state == MZMTP_CONN_DEAD) return;
    /* (Without delivery nothing is counted, and an error is death at once.) */
    if (!MZMTP_CONN_NO_DELIVERY && (conn->scan_err != MZMTP_OK ||
                                    (conn->opts.rcvhwm && conn->scan_msgs >= conn->opts.rcvhwm))) {
        return;
    }
    /* Without delivery the reader has taken all but a frame it waits for: always moved. */
    if (conn->rx_rd > 0 && (MZMTP_CONN_NO_DELIVERY || conn->rx_rd == conn->rx_wr ||
                            conn->rx_cap - conn->rx_wr < conn->rx_cap / 2)) {
        /* Compact: pointers handed out earlier are documented as invalid now. */
        uint32_t keep = conn->rx_wr - conn->rx_rd;
        mzmtp_util_move_down(conn->rx, conn->rx + conn->rx_rd, keep);
        conn->base += conn->rx_rd;
        conn->rx_rd = 0;
        conn->rx_wr = keep;
    }
    *ptr = conn->rx + conn->rx_wr;
    *len = conn->rx_cap - conn->rx_wr;
}

void mzmtp_conn_rx_commit(mzmtp_conn_t *conn, size_t n, uint32_t now_ms)
{
    (void)now_ms;
    if (n > (size_t)(conn->rx_cap - conn->rx_wr)) n = conn->rx_cap - conn->rx_wr;
    conn->rx_wr += (uint32_t)n;
    if (n > 0) {
        /* wire-notes H7: any traffic from the peer cancels the heartbeat timeouts. */
        conn->hb_wait_pong = false;
        conn->ttl_armed = false;
    }
}

void mzmtp_conn_input(mzmtp_conn_t *conn, const uint8_t *in, size_t len, uint32_t now_ms,
                      size_t *consumed)
{
    uint8_t *at;
    size_t room;
    mzmtp_conn_rx_space(conn, &at, &room);
    size_t n = len < room ? len : room;
    if (n) memcpy(at, in, n);
    mzmtp_conn_rx_commit(conn, n, now_ms);
    *consumed = n;
}

#if MZMTP_CONF_CURVE
/* CURVE boxes every frame once its handshake is over (src/mech/curve_msg.c). */
static bool boxing(const mzmtp_conn_t *c)
{
    return c->mech == MZMTP_MECH_CURVE && c->curve->boxing;
}
/* CURVE writes everything after the greeting itself: its large handshake commands from
 * the socket's handshake slot, then boxed frames (src/mech/curve_msg.c). */
static bool curve_output(const mzmtp_conn_t *c)
{
    return c->mech == MZMTP_MECH_CURVE;
}
#endif

/* Step the reader over the gaps that opened MESSAGE frames leave (curve_msg.c). */
static void skip_gaps(mzmtp_conn_t *c)
{
#if MZMTP_CONF_CURVE
    while (boxing(c) && off_before(abs_rd(c), c->scan) && c->rx[c->rx_rd] == MZMTP_CURVE_GAP) {
        c->rx_rd += c->rx[c->rx_rd + 1];
    }
#else
    (void)c;
#endif
}

static size_t head_avail(const mzmtp_conn_t *c)
{
    uint32_t buffered = c->rx_wr - c->rx_rd;
    return c->head_left < buffered ? (size_t)c->head_left : buffered;
}

/* The limit of a message's bytes, in stream offsets (32-bit without
 * MZMTP_CONF_LARGE_FRAMES: cheaper than 64-bit arithmetic on a 32-bit core): a limit
 * above the frame limit, or none (0), is the frame limit. */
static MZMTP_ALWAYS_INLINE mzmtp_off_t msg_lim(const mzmtp_conn_t *c)
{
    uint64_t max = c->opts.max_msg_size;
    return max == 0 || max > MZMTP_FRAME_MAX ? MZMTP_FRAME_MAX : (mzmtp_off_t)max;
}

#if !MZMTP_CONN_NO_DELIVERY
static mzmtp_off_t abs_wr(const mzmtp_conn_t *c) { return (mzmtp_off_t)(c->base + c->rx_wr); }

/* The scanner stops at an incomplete frame that ends at stream offset @p end. */
static void wait_until(mzmtp_conn_t *c, mzmtp_off_t end)
{
    c->scan_waiting = true;
    c->scan_wait = end;
}

/* The scanner stops with the buffer full and the head message not complete (its frames
 * so far are whole, then a partial header, command or MESSAGE, or nothing): nothing more
 * can arrive until the reader takes some, so the head message streams. */
static MZMTP_ALWAYS_INLINE void scan_stuck(mzmtp_conn_t *c, bool full)
{
    if (full && c->scan_msgs == 0 && c->scan_more) c->streaming = true;
}

/* A frame the scanner handles whole (a command, a CURVE MESSAGE), of @p size body bytes
 * after a @p hdr_len-byte header: refused when it can never fit the receive buffer or is
 * over @p lim, waited for while its bytes are still arriving (@p whole false).
 * @return true when it is all buffered. */
static bool scan_whole(mzmtp_conn_t *c, uint32_t hdr_len, mzmtp_off_t size, bool whole,
                       bool full, mzmtp_off_t lim)
{
    if (size > c->rx_cap - hdr_len || size > lim) {
        c->scan_err = MZMTP_ERR_MSG_SIZE;
        return false;
    }
    if (!whole) {
        scan_stuck(c, full);
        wait_until(c, (mzmtp_off_t)(c->scan + hdr_len + size));
        return false;
    }
    return true;
}

/* Advance the scanner over every frame header that has arrived. */
static void scan_run(mzmtp_conn_t *c)
{
    while (c->scan_err == MZMTP_OK) {
        if (c->pending_end) {
            if (off_before(abs_wr(c), c->scan)) return;
            c->pending_end = false;
            c->scan_msgs++;
        }
        bool full = c->rx_wr - c->rx_rd == c->rx_cap;
        if (!off_before(c->scan, abs_wr(c))) goto stuck;
        if (c->scan_waiting && off_before(abs_wr(c), c->scan_wait) && !(c->scan_msgs == 0 && full)) {
            return; /* the frame at scan is still incomplete: do not decode it again */
        }
        c->scan_waiting = false;
        uint32_t off = (uint32_t)(c->scan - c->base);
#if MZMTP_CONF_CURVE
        /* No key yet for what follows a handshake command: one at a time until it ends. */
        if (c->mech == MZMTP_MECH_CURVE && !c->curve->boxing && off != c->rx_rd) return;
#endif
        mzmtp_frame_hdr_t h;
        mzmtp_status_t st = mzmtp_wire_decode_frame_hdr(c->rx + off, c->rx_wr - off, &h);
        if (st == MZMTP_AGAIN) {
            wait_until(c, (mzmtp_off_t)(abs_wr(c) + 1u));
            goto stuck;
        }
        if (st != MZMTP_OK) {
            c->scan_err = st;
            return;
        }
        if (h.size > MZMTP_FRAME_MAX) {
            c->scan_err = MZMTP_ERR_MSG_SIZE; /* beyond this build's frame limit */
            return;
        }
        mzmtp_off_t size = (mzmtp_off_t)h.size, lim = msg_lim(c);
        bool whole = size <= c->rx_wr - off - h.hdr_len;
#if MZMTP_CONF_CURVE
        if (boxing(c)) {
            /* A MESSAGE is opened whole, in place; one that cannot fit the buffer is
             * refused rather than handed on unauthenticated (docs/security.md). */
            if (!scan_whole(c, h.hdr_len, size, whole, full, MZMTP_FRAME_MAX)) return;
            uint32_t gap;
            st = mzmtp_mech_curve_open(c, c->rx + off, &h, &gap);
            if (st != MZMTP_OK) {
                c->scan_err = st;
                return;
            }
            size = (mzmtp_off_t)h.size; /* the frame inside, smaller than its box */
            c->scan += gap;
            off += gap;
        }
#endif
        if (h.flags & MZMTP_FLAG_COMMAND) {
            /* Commands are handled whole, so they must fit the buffer; libzmq applies
             * MAXMSGSIZE to them too (wire-notes F4). */
            if (!scan_whole(c, h.hdr_len, size, whole, full, lim)) return;
            c->scan += (mzmtp_off_t)(h.hdr_len + size);
            continue;
        }
        if (c->state != MZMTP_CONN_READY && off == c->rx_rd) {
            /* RFC 37: nothing but READY/ERROR before the handshake ends (wire-notes N4). */
            c->scan_err = MZMTP_ERR_PROTOCOL;
            return;
        }
        /* No wrap: both terms are at most MZMTP_FRAME_MAX (under half the type's range). */
        mzmtp_off_t total = c->scan_msg_len + size;
        if (total > lim) {
            c->scan_err = MZMTP_ERR_MSG_SIZE;
            return;
        }
        bool more = (h.flags & MZMTP_FLAG_MORE) != 0;
        c->scan_more = more;
        if (!whole) {
            /* Stream the head message when it cannot be buffered whole. */
            if (!(c->scan_msgs == 0 && full)) {
                wait_until(c, (mzmtp_off_t)(c->scan + h.hdr_len + size));
                return;
            }
            c->streaming = true;
            c->pending_end = !more;
        } else if (!more) {
            c->scan_msgs++;
        }
        c->scan += (mzmtp_off_t)(h.hdr_len + size);
        c->scan_msg_len = more ? total : 0;
        continue;
    stuck: /* every arrived byte scanned, or a header still partial */
        scan_stuck(c, full);
        return;
    }
}

/* The reader finished the head message. */
static void msg_end(mzmtp_conn_t *c)
{
    scan_run(c);
    if (c->scan_msgs > 0) c->scan_msgs--;
    c->head_in_msg = false;
    c->head_told = false;
    c->head_skip = false;
    c->head_more = false;
    c->streaming = false;
}

static bool message_at_head(const mzmtp_conn_t *c)
{
    return c->scan_msgs > 0 || c->streaming || c->head_in_msg;
}

/* Position the reader inside a data frame. @return MZMTP_OK, or MZMTP_AGAIN when the next
 * frame has not been scanned yet or is a command (process() runs it). */
static mzmtp_status_t enter_frame(mzmtp_conn_t *c)
{
    if (c->head_frame) return MZMTP_OK;
    scan_run(c); /* bytes may have arrived while the application was reading */
    skip_gaps(c);
    if (!off_before(abs_rd(c), c->scan)) return MZMTP_AGAIN;
    mzmtp_frame_hdr_t h;
    if (mzmtp_wire_decode_frame_hdr(c->rx + c->rx_rd, c->rx_wr - c->rx_rd, &h) != MZMTP_OK ||
        (h.flags & MZMTP_FLAG_COMMAND)) {
        return MZMTP_AGAIN;
    }
    c->rx_rd += h.hdr_len;
    c->head_frame = true;
    c->head_left = (mzmtp_off_t)h.size; /* the scanner checked it against MZMTP_FRAME_MAX */
    c->head_more = (h.flags & MZMTP_FLAG_MORE) != 0;
    c->head_in_msg = true;
    return MZMTP_OK;
}

/* Account @p k bytes of the current frame as read. */
static void head_take(mzmtp_conn_t *c, size_t k)
{
    c->rx_rd += (uint32_t)k;
    c->head_left -= (mzmtp_off_t)k;
    if (c->head_left == 0) {
        c->head_frame = false;
        if (!c->head_more) msg_end(c);
    }
}

mzmtp_status_t mzmtp_conn_peek(mzmtp_conn_t *conn, const uint8_t **ptr, size_t *avail,
                               uint64_t *frame_left, bool *more)
{
    if (conn->state != MZMTP_CONN_READY || conn->head_skip || !message_at_head(conn)) {
        return MZMTP_AGAIN;
    }
    if (enter_frame(conn) != MZMTP_OK) return MZMTP_AGAIN;
    *ptr = conn->rx + conn->rx_rd;
    *avail = head_avail(conn);
    *frame_left = conn->head_left;
    *more = conn->head_more;
    if (*avail == 0 && conn->head_left > 0) return MZMTP_AGAIN;
    return MZMTP_OK;
}

/* Take up to @p cap next bytes of the head message's current frame: where they are
 * (@p *at, still in the receive buffer), how many (@p *n) and the flags. */
static mzmtp_status_t take(mzmtp_conn_t *conn, size_t cap, const uint8_t **at, size_t *n,
                           unsigned *flags)
{
    *n = 0;
    *flags = 0;
    size_t avail;
    uint64_t left;
    bool more;
    if (mzmtp_conn_peek(conn, at, &avail, &left, &more) != MZMTP_OK) return MZMTP_AGAIN;
    size_t k = avail < cap ? avail : cap;
    *n = k;
    if (more) *flags |= MZMTP_RECV_MORE;
    if (left > k) *flags |= MZMTP_RECV_PARTIAL;
    head_take(conn, k);
    return MZMTP_OK;
}

mzmtp_status_t mzmtp_conn_read(mzmtp_conn_t *conn, uint8_t *buf, size_t cap, size_t *n,
                               unsigned *flags)
{
    const uint8_t *p;
    mzmtp_status_t st = take(conn, cap, &p, n, flags);
    if (st == MZMTP_OK && *n) memcpy(buf, p, *n);
    return st;
}

#if MZMTP_CONF_RECV_REF
mzmtp_status_t mzmtp_conn_read_ref(mzmtp_conn_t *conn, const uint8_t **data, size_t *n,
                                   unsigned *flags)
{
    return take(conn, SIZE_MAX, data, n, flags);
}
#endif

void mzmtp_conn_skip(mzmtp_conn_t *conn)
{
    if (message_at_head(conn)) conn->head_skip = true;
}

bool mzmtp_conn_in_message(const mzmtp_conn_t *conn) { return conn->head_in_msg; }
#else
/* No delivery (MZMTP_CONN_NO_DELIVERY): never a message at the head. */
mzmtp_status_t mzmtp_conn_peek(mzmtp_conn_t *conn, const uint8_t **ptr, size_t *avail,
                               uint64_t *frame_left, bool *more)
{
    (void)conn, (void)ptr, (void)avail, (void)frame_left, (void)more;
    return MZMTP_AGAIN;
}

mzmtp_status_t mzmtp_conn_read(mzmtp_conn_t *conn, uint8_t *buf, size_t cap, size_t *n,
                               unsigned *flags)
{
    (void)conn, (void)buf, (void)cap;
    *n = 0;
    *flags = 0;
    return MZMTP_AGAIN;
}

#if MZMTP_CONF_RECV_REF
mzmtp_status_t mzmtp_conn_read_ref(mzmtp_conn_t *conn, const uint8_t **data, size_t *n,
                                   unsigned *flags)
{
    (void)data;
    return mzmtp_conn_read(conn, NULL, 0, n, flags);
}
#endif

void mzmtp_conn_skip(mzmtp_conn_t *conn) { (void)conn; }

bool mzmtp_conn_in_message(const mzmtp_conn_t *conn) { (void)conn; return false; }
#endif
/* ---------------- commands ---------------- */

mzmtp_status_t mzmtp_conn_mech_peer_ready(mzmtp_conn_t *c, const uint8_t *data, size_t len,
                                          mzmtp_conn_event_t *ev)
{
    mzmtp_metadata_iter_t it;
    const uint8_t *name, *value;
    size_t nlen, vlen;
    mzmtp_status_t st;
    int peer_type = -1; /* (ev->data and ev->len: NULL and 0 from process()) */
    mzmtp_wire_metadata_begin(&it, data, len);
    while ((st = mzmtp_wire_metadata_next(&it, &name, &nlen, &value, &vlen)) == MZMTP_OK) {
        /* RFC 37: property names are case-insensitive (wire-notes M3). */
        if (mzmtp_wire_name_eq_nocase_n(name, nlen, prop_type, sizeof prop_type - 1)) {
            peer_type = mzmtp_wire_socket_type_parse(value, vlen);
            if (peer_type < 0) return die_why(c, MZMTP_ERR_SOCKET_TYPE, "Invalid socket type");
        } else if (mzmtp_wire_name_eq_nocase_n(name, nlen, prop_id, sizeof prop_id - 1)) {
            /* RFC 37: an identity is 0-255 bytes. */
            if (vlen > 255) return die(c, MZMTP_ERR_PROTOCOL);
            ev->data = value;
            ev->len = vlen;
        }
    }
    if (st != MZMTP_AGAIN) return die(c, MZMTP_ERR_PROTOCOL);
    /* A missing Socket-Type is accepted, as libzmq does (wire-notes M4). */
    if (peer_type >= 0 && !(((unsigned)c->opts.peer_types >> (unsigned)peer_type) & 1u)) {
        return die_why(c, MZMTP_ERR_SOCKET_TYPE, "Invalid socket type");
    }
    ev->kind = MZMTP_CONN_EV_HANDSHAKE;
    ev->peer_type = peer_type;
    return MZMTP_OK;
}

/* Run the command whose whole frame is at the head. @return MZMTP_OK with or without an
 * event, MZMTP_AGAIN to retry later (no room for a PONG), or a fatal status. */
static mzmtp_status_t on_command(mzmtp_conn_t *c, const uint8_t *body, size_t len,
                                 uint32_t now, mzmtp_conn_event_t *ev)
{
    const uint8_t *name, *data;
    size_t nlen, dlen;
    bool ok = mzmtp_wire_decode_command(body, len, &name, &nlen, &data, &dlen) == MZMTP_OK;
    if (c->state == MZMTP_CONN_HANDSHAKE) {
        /* The mechanism judges even an undecodable command (no name, the whole body as
         * data): a PLAIN client recognises libzmq's mis-encoded ERROR (wire-notes P4). */
        if (!ok) {
            name = NULL;
            nlen = 0;
            data = body;
            dlen = len;
        }
        return mzmtp_mech_on_command(c, name, nlen, data, dlen, now, ev);
    }
    if (!ok) return die(c, MZMTP_ERR_PROTOCOL);
    if (NAME_IS(name, nlen, "PING")) {
        /* RFC 37 "The PING Command": ttl (2 octets, deciseconds), context 0-16 octets.
         * libzmq echoes at most 16 bytes of context (wire-notes H6). */
        size_t ttl_len = dlen < 2 ? dlen : 2, ctx_len = dlen - ttl_len;
        if (ctx_len > 16) ctx_len = 16;
        if (!CMD_PUT(c, "PONG", data + ttl_len, ctx_len)) return MZMTP_AGAIN;
#if MZMTP_CONF_HEARTBEAT
        if (dlen >= 2) {
            uint32_t ttl = ((uint32_t)data[0] << 8 | data[1]) * 100u;
            if (ttl) {
                c->ttl_armed = true;
                c->ttl_deadline = now + ttl;
            }
        }
#else
        (void)now;
#endif
        return MZMTP_OK;
    }
    bool subs = takes_subscriptions(c);
    if (subs && NAME_IS(name, nlen, "SUBSCRIBE")) {
        ev->kind = MZMTP_CONN_EV_SUBSCRIBE;
    } else if (subs && NAME_IS(name, nlen, "CANCEL")) {
        ev->kind = MZMTP_CONN_EV_CANCEL;
    } else {
        /* PONG, late READY/ERROR (wire-notes N7) and unknown commands (H10): ignored. */
        return MZMTP_OK;
    }
    ev->data = data;
    ev->len = dlen;
    return MZMTP_OK;
}

/* Run the whole command frame @p h at the reader and step over it. @return as
 * on_command(). */
static MZMTP_ALWAYS_INLINE mzmtp_status_t run_command(mzmtp_conn_t *c, const mzmtp_frame_hdr_t *h,
                                                      uint32_t now_ms, mzmtp_conn_event_t *ev)
{
    mzmtp_status_t st = on_command(c, c->rx + c->rx_rd + h->hdr_len, (size_t)h->size, now_ms, ev);
    if (st != MZMTP_OK) return st;
    c->rx_rd += (uint32_t)(h->hdr_len + h->size);
    if (ev->kind == MZMTP_CONN_EV_HANDSHAKE) {
#if MZMTP_CONF_CURVE
        if (c->mech == MZMTP_MECH_CURVE) {
            /* What is queued now (the server's READY) goes out as it is. */
            c->curve->raw_cmd = (uint16_t)(c->cmd_wr - c->cmd_rd);
            c->curve->boxing = true;
        }
#endif
        c->state = MZMTP_CONN_READY;
        c->hs_armed = false;
        c->hb_next_ping = now_ms + c->opts.hb_ivl_ms;
    }
    return MZMTP_OK;
}

#if MZMTP_CONN_NO_DELIVERY
/* The reader of a build that delivers no message (MZMTP_CONN_NO_DELIVERY): the frames in
 * stream order, with the scanner's checks and outcomes. Each command is run whole; data
 * frames are dropped as their bytes arrive, except the first frame of a message that
 * can fit the buffer: it may be a ZMTP 3.0 subscription, so it is waited for whole.
 * head_in_msg: the last data frame had MORE; scan: with CURVE, the stream is opened
 * (its MESSAGEs rewritten in place, curve_msg.c) up to there. */
static mzmtp_status_t read_in_order(mzmtp_conn_t *c, uint32_t now_ms, mzmtp_conn_event_t *ev)
{
    mzmtp_status_t st;
    for (;;) {
        if (c->head_frame) {
            size_t k = head_avail(c);
            c->rx_rd += (uint32_t)k;
            c->head_left -= (mzmtp_off_t)k;
            if (c->head_left) return MZMTP_AGAIN;
            c->head_frame = false;
        }
        skip_gaps(c);
        uint8_t *at = c->rx + c->rx_rd;
        uint32_t have = c->rx_wr - c->rx_rd;
        mzmtp_frame_hdr_t h;
        st = mzmtp_wire_decode_frame_hdr(at, have, &h);
        if (st == MZMTP_AGAIN) return st;
        if (st != MZMTP_OK) goto fail;
        st = MZMTP_ERR_MSG_SIZE;
        if (h.size > MZMTP_FRAME_MAX) goto fail; /* beyond this build's frame limit */
        mzmtp_off_t size = (mzmtp_off_t)h.size, lim = msg_lim(c);
        bool whole = size <= have - h.hdr_len, fits = size <= c->rx_cap - h.hdr_len;
#if MZMTP_CONF_CURVE
        if (boxing(c) && !off_before(abs_rd(c), c->scan)) {
            /* A MESSAGE is opened whole, in place; one that cannot fit the buffer is
             * refused rather than handed on unauthenticated (docs/security.md). */
            if (!fits) goto fail;
            if (!whole) return MZMTP_AGAIN;
            uint32_t gap;
            c->scan = (mzmtp_off_t)(abs_rd(c) + h.hdr_len + size); /* the plaintext ends there too */
            st = mzmtp_mech_curve_open(c, at, &h, &gap);
            if (st != MZMTP_OK) goto fail;
            continue;
        }
#endif
        if (h.flags & MZMTP_FLAG_COMMAND) {
            /* Commands are handled whole, so they must fit the buffer; libzmq applies
             * MAXMSGSIZE to them too (wire-notes F4). */
            if (!fits || size > lim) goto fail;
            if (!whole) return MZMTP_AGAIN;
            st = run_command(c, &h, now_ms, ev);
            if (st != MZMTP_OK) return st;
            if (ev->kind != MZMTP_CONN_EV_NONE) return MZMTP_OK;
            continue;
        }
        /* No wrap: both terms are at most MZMTP_FRAME_MAX (under half the type's range). */
        mzmtp_off_t total = c->scan_msg_len + size;
        if (total > lim) goto fail;
        /* RFC 37: nothing but READY/ERROR before the handshake ends (wire-notes N4). */
        st = MZMTP_ERR_PROTOCOL;
        if (c->state != MZMTP_CONN_READY) goto fail;
        if (takes_subscriptions(c) && !c->head_in_msg && size >= 1 && fits) {
            /* ZMTP 3.0 subscriptions, accepted from any peer as libzmq does (wire-notes
             * H2, H3): a first frame starting with 0x01 subscribes, 0x00 cancels. */
            if (!whole) return MZMTP_AGAIN;
            uint8_t *p = at + h.hdr_len;
            if (p[0] <= 1) {
                ev->kind = p[0] ? MZMTP_CONN_EV_SUBSCRIBE : MZMTP_CONN_EV_CANCEL;
                ev->data = p + 1;
                ev->len = (size_t)size - 1u; /* valid until the next call: nothing moves */
            }
        }
        bool more = (h.flags & MZMTP_FLAG_MORE) != 0;
        c->head_in_msg = more;
        c->scan_msg_len = more ? total : 0;
        c->rx_rd += h.hdr_len;
        c->head_left = size;
        c->head_frame = true;
        if (ev->kind != MZMTP_CONN_EV_NONE) return MZMTP_OK;
    }
fail:
    return die(c, st);
}
#endif

mzmtp_status_t mzmtp_conn_process(mzmtp_conn_t *conn, uint32_t now_ms, mzmtp_conn_event_t *ev)
{
    mzmtp_conn_t *c = conn;
    mzmtp_status_t st;
    ev->kind = MZMTP_CONN_EV_NONE;
    ev->data = NULL;
    ev->len = 0;
    ev->peer_type = -1;
    if (c->state == MZMTP_CONN_DEAD) return c->scan_err;

    if (c->state == MZMTP_CONN_GREETING) {
        mzmtp_greeting_info_t info;
        uint32_t have = c->rx_wr - c->rx_rd;
        st = mzmtp_wire_decode_greeting(c->rx + c->rx_rd, have, &info);
        if (st == MZMTP_AGAIN) return MZMTP_AGAIN;
        if (st != MZMTP_OK) goto fail;
        /* wire-notes G6: the mechanism is an exact 20-byte match. */
        st = MZMTP_ERR_MECHANISM;
        if (!mzmtp_mech_accepts(c, info.mechanism)) goto fail;
        c->peer_minor = info.minor;
        c->rx_rd += MZMTP_GREETING_SIZE;
        c->state = MZMTP_CONN_HANDSHAKE;
    }

#if MZMTP_CONN_NO_DELIVERY
    return read_in_order(c, now_ms, ev);
#else
    for (;;) {
        scan_run(c);
        if (c->head_skip) {
            if (c->head_frame) {
                head_take(c, head_avail(c));
                if (c->head_frame) return MZMTP_AGAIN;
                continue;
            }
            if (enter_frame(c) == MZMTP_OK) continue;
        }
        if (c->head_frame) goto message;
        skip_gaps(c);
        /* A scanner's error ends the engine once the reader reaches it. */
        st = c->scan_err;
        if (!off_before(abs_rd(c), c->scan)) {
            if (st != MZMTP_OK && abs_rd(c) == c->scan) goto fail;
            return MZMTP_AGAIN;
        }
        mzmtp_frame_hdr_t h;
        if (mzmtp_wire_decode_frame_hdr(c->rx + c->rx_rd, c->rx_wr - c->rx_rd, &h) != MZMTP_OK) {
            st = MZMTP_ERR_PROTOCOL; /* scanned already: cannot happen */
            goto fail;
        }
        if (h.flags & MZMTP_FLAG_COMMAND) {
            st = run_command(c, &h, now_ms, ev);
            if (st != MZMTP_OK) return st;
            if (ev->kind != MZMTP_CONN_EV_NONE) return MZMTP_OK;
            continue;
        }
    message:
        if (c->head_skip || c->head_told) return MZMTP_AGAIN;
        if (!message_at_head(c)) {
            /* The head message is the broken one: it can never be delivered whole,
             * so fail now rather than wait for bytes that cannot help. */
            st = c->scan_err;
            if (st != MZMTP_OK && !c->pending_end) goto fail;
            return MZMTP_AGAIN;
        }
        if (takes_subscriptions(c) && !c->head_in_msg) {
            /* ZMTP 3.0 subscriptions, accepted from any peer as libzmq does (wire-notes
             * H2, H3): a first frame starting with 0x01 subscribes, 0x00 cancels. (What
             * mzmtp_conn_peek() would say, asked directly: nothing is being skipped or
             * told here, and a message is at the head.) */
            if (c->state == MZMTP_CONN_READY && enter_frame(c) == MZMTP_OK) {
                const uint8_t *p = c->rx + c->rx_rd;
                size_t avail = head_avail(c);
                if (c->head_left >= 1 && avail == c->head_left && (p[0] == 0 || p[0] == 1)) {
                    ev->kind = p[0] ? MZMTP_CONN_EV_SUBSCRIBE : MZMTP_CONN_EV_CANCEL;
                    ev->data = p + 1;
                    ev->len = avail - 1;
                    c->head_skip = true;
                    return MZMTP_OK;
                }
            }
        }
        ev->kind = MZMTP_CONN_EV_MESSAGE;
        c->head_told = true;
        return MZMTP_OK;
    }
#endif
fail:
    return die(c, st); /* (st may be the scanner's own: die() records it) */
}

/* ---------------- output ---------------- */

mzmtp_status_t mzmtp_conn_send_subscription(mzmtp_conn_t *conn, const uint8_t *topic,
                                            size_t len, bool subscribe)
{
    if (conn->state != MZMTP_CONN_READY) return MZMTP_ERR_STATE;
    if (len > 255) return MZMTP_ERR_INVALID;
    if (conn->peer_minor == 0) {
        /* ZMTP 3.0 peers get the 0x01/0x00-prefixed data frame (wire-notes H2, H5). */
        size_t hdr = mzmtp_wire_frame_hdr_size(len + 1);
        uint8_t *at = mzmtp_conn_mech_room(conn, hdr + len + 1);
        if (at == NULL) return MZMTP_AGAIN;
        (void)mzmtp_util_put_frame_hdr(at, 0, len + 1);
        at[hdr] = subscribe ? 1 : 0;
        if (len) memcpy(at + hdr + 1, topic, len);
        conn->cmd_wr = (uint16_t)(conn->cmd_wr + hdr + len + 1);
        return MZMTP_OK;
    }
    bool ok = subscribe ? CMD_PUT(conn, "SUBSCRIBE", topic, len) : CMD_PUT(conn, "CANCEL", topic, len);
    return ok ? MZMTP_OK : MZMTP_AGAIN;
}

static bool data_ok(const mzmtp_conn_t *c)
{
    return c->state == MZMTP_CONN_READY && c->outq != NULL;
}

/* Output order: greeting, then the rest of a half-written message, then commands, then
 * further messages. Commands never split a message. The layout offered is remembered so
 * that output_done() accounts bytes the same way even if commands are queued in between. */
#if MZMTP_CONF_TX_ACK
static void mark_stable(mzmtp_iov_t *iov, size_t from, size_t to, bool stable)
{
    for (size_t i = from; i < to; i++) iov[i].stable = stable;
}
#define MARK(from, to, stable) mark_stable(iov, (from), (to), (stable))
#else
#define MARK(from, to, stable) ((void)0)
#endif

size_t mzmtp_conn_output(mzmtp_conn_t *conn, mzmtp_iov_t *iov, size_t max)
{
    size_t n = 0, k = 0;
    bool mid = out_mid_message(conn);
    size_t cmd = (size_t)(conn->cmd_wr - conn->cmd_rd);
    conn->plan_rest = false;
    conn->plan_cmd = 0;
    if (max == 0) return 0;
    if (conn->greeting_sent < MZMTP_GREETING_SIZE) {
        iov[n].base = mzmtp_mech_greeting(conn) + conn->greeting_sent;
        iov[n].len = MZMTP_GREETING_SIZE - conn->greeting_sent;
        MARK(n, n + 1, false);
        n++;
    }
#if MZMTP_CONF_CURVE
    if (curve_output(conn)) {
        /* CURVE boxes ring bytes into a scratch buffer: nothing of it is stable. */
        k = n + (n < max ? mzmtp_mech_curve_output(conn, iov + n, max - n) : 0);
        MARK(n, k, false);
        return k;
    }
#endif
    if (mid && !data_ok(conn)) return n; /* dead mid-message: nothing more is safe to send */
    if (mid && cmd) {
        k = n;
        if (n < max) n += mzmtp_outq_peek(conn->outq, conn->pipe, iov + n, max - n, true);
        MARK(k, n, true);
        conn->plan_rest = true;
    }
    if (cmd && n < max) {
        iov[n].base = conn->cmd + conn->cmd_rd;
        iov[n].len = cmd;
        MARK(n, n + 1, false);
        conn->plan_cmd = (uint16_t)cmd;
        n++;
    }
    if (!conn->plan_rest && data_ok(conn) && n < max) {
        k = n;
        n += mzmtp_outq_peek(conn->outq, conn->pipe, iov + n, max - n, false);
        MARK(k, n, true);
    }
    (void)k;
    return n;
}

#if MZMTP_CONF_TX_ACK
static bool run_is_ring(const mzmtp_conn_t *c, unsigned i)
{
    return c->tx_ring0 != ((i & 1u) != 0);
}

/* Remember @p n bytes just handed to the stack: ring bytes (@p ring) or copied ones. */
static void tx_record(mzmtp_conn_t *c, size_t n, bool ring)
{
    if (n == 0) return;
    if (c->tx_runs == 0) {
        c->tx_ring0 = ring;
        c->tx_run[0] = (uint32_t)n;
        c->tx_runs = 1;
        return;
    }
    unsigned last = c->tx_runs - 1u;
    if (run_is_ring(c, last) != ring) {
        if (c->tx_runs < MZMTP_CONN_TX_RUNS) {
            c->tx_run[c->tx_runs++] = (uint32_t)n;
            return;
        }
        /* No run left: ring bytes are counted as copied ones, so they are released late
         * (once everything written is acknowledged), never early. Before copied bytes,
         * the last ring run joins the copied run before it. */
        if (!ring) {
            c->tx_run[last - 1u] += c->tx_run[last];
            c->tx_runs--;
            last--;
        }
    }
    c->tx_run[last] += (uint32_t)n;
}

/* Ring bytes written: held by the stack (@p held) or released at once. */
static void ring_written(mzmtp_conn_t *c, size_t n, bool held)
{
    if (held) {
        mzmtp_outq_written(c->outq, c->pipe, n);
        tx_record(c, n, true);
    } else {
        mzmtp_outq_advance(c->outq, c->pipe, n);
    }
}
#define COPIED(c, n, held) ((held) ? tx_record((c), (n), false) : (void)0)
#else
#define ring_written(c, n, held) mzmtp_outq_advance((c)->outq, (c)->pipe, (n))
#define COPIED(c, n, held) ((void)0)
#endif

/* @p n bytes of the last output() went out; @p held: the port keeps pointers to the ring
 * bytes among them until output_acked(). */
static void output_account(mzmtp_conn_t *conn, size_t n, bool held)
{
    (void)held;
    if (conn->greeting_sent < MZMTP_GREETING_SIZE) {
        size_t k = MZMTP_GREETING_SIZE - conn->greeting_sent;
        if (k > n) k = n;
        conn->greeting_sent = (uint8_t)(conn->greeting_sent + k);
        COPIED(conn, k, held);
        n -= k;
    }
    if (n == 0) return;
#if MZMTP_CONF_CURVE
    if (curve_output(conn)) {
        mzmtp_mech_curve_output_done(conn, n); /* copied out of the ring already */
        COPIED(conn, n, held);
        return;
    }
#endif
    if (conn->plan_rest) {
        size_t k = mzmtp_outq_pipe_msg_left(conn->outq, conn->pipe);
        if (k > n) k = n;
        ring_written(conn, k, held);
        n -= k;
        conn->plan_rest = false;
    }
    size_t k = conn->plan_cmd < n ? conn->plan_cmd : n;
    conn->cmd_rd = (uint16_t)(conn->cmd_rd + k);
    conn->plan_cmd = (uint16_t)(conn->plan_cmd - k);
    COPIED(conn, k, held);
    n -= k;
    if (conn->cmd_rd == conn->cmd_wr) conn->cmd_rd = conn->cmd_wr = 0;
    if (n && data_ok(conn)) ring_written(conn, n, held);
}

void mzmtp_conn_output_done(mzmtp_conn_t *conn, size_t n) { output_account(conn, n, false); }

#if MZMTP_CONF_TX_ACK
void mzmtp_conn_output_written(mzmtp_conn_t *conn, size_t n) { output_account(conn, n, true); }

void mzmtp_conn_output_acked(mzmtp_conn_t *conn, size_t n)
{
    while (n > 0 && conn->tx_runs > 0) {
        uint32_t k = n < conn->tx_run[0] ? (uint32_t)n : conn->tx_run[0];
        if (conn->tx_ring0 && conn->outq != NULL) mzmtp_outq_acked(conn->outq, conn->pipe, k);
        conn->tx_run[0] -= k;
        n -= k;
        if (conn->tx_run[0] == 0) {
            for (unsigned i = 1; i < conn->tx_runs; i++) conn->tx_run[i - 1u] = conn->tx_run[i];
            conn->tx_runs--;
            conn->tx_ring0 = !conn->tx_ring0;
        }
    }
    /* Everything written is acknowledged: ring bytes counted as copied are released too. */
    if (conn->tx_runs == 0 && conn->outq != NULL) mzmtp_outq_acked_all(conn->outq, conn->pipe);
}
#endif

bool mzmtp_conn_has_output(const mzmtp_conn_t *conn)
{
    if (conn->greeting_sent < MZMTP_GREETING_SIZE) return true;
#if MZMTP_CONF_CURVE
    if (curve_output(conn)) return mzmtp_mech_curve_has_output(conn);
#endif
    if (conn->cmd_wr > conn->cmd_rd) return true;
    return data_ok(conn) && mzmtp_outq_pipe_queued(conn->outq, conn->pipe) > 0;
}

/* ---------------- timers ---------------- */

mzmtp_status_t mzmtp_conn_tick(mzmtp_conn_t *conn, uint32_t now_ms)
{
    mzmtp_conn_t *c = conn;
    if (c->state == MZMTP_CONN_DEAD) return c->scan_err;
    if (c->hs_armed && c->state != MZMTP_CONN_READY && time_reached(now_ms, c->hs_deadline)) {
        return die(c, MZMTP_ERR_TIMEOUT);
    }
#if MZMTP_CONF_HEARTBEAT
    if (c->state != MZMTP_CONN_READY) return MZMTP_OK;
    if (c->ttl_armed && time_reached(now_ms, c->ttl_deadline)) return die(c, MZMTP_ERR_TIMEOUT);
    if (c->opts.hb_ivl_ms == 0) return MZMTP_OK;
    if (c->hb_wait_pong && time_reached(now_ms, c->hb_deadline)) return die(c, MZMTP_ERR_TIMEOUT);
    if (time_reached(now_ms, c->hb_next_ping)) {
        /* RFC 37 "The PING Command"; wire-notes H8/H9: TTL at most 655 ds, always sent. */
        uint32_t ds = c->opts.hb_ttl_ms / 100u;
        if (ds > 655) ds = 655;
        uint8_t ttl[2] = {(uint8_t)(ds >> 8), (uint8_t)ds};
        if (CMD_PUT(c, "PING", ttl, sizeof(ttl))) {
            c->hb_next_ping = now_ms + c->opts.hb_ivl_ms;
            if (!c->hb_wait_pong) {
                c->hb_wait_pong = true;
                c->hb_deadline = now_ms + (c->opts.hb_timeout_ms ? c->opts.hb_timeout_ms
                                                                 : c->opts.hb_ivl_ms);
            }
        }
    }
#endif
    return MZMTP_OK;
}

static uint32_t until(uint32_t now, uint32_t deadline)
{
    int32_t d = (int32_t)(deadline - now);
    return d <= 0 ? 0u : (uint32_t)d;
}

uint32_t mzmtp_conn_next_timeout(const mzmtp_conn_t *conn, uint32_t now_ms)
{
    const mzmtp_conn_t *c = conn;
    uint32_t t = UINT32_MAX, u;
    if (c->state == MZMTP_CONN_DEAD) return t;
    if (c->hs_armed && c->state != MZMTP_CONN_READY) t = until(now_ms, c->hs_deadline);
#if MZMTP_CONF_HEARTBEAT
    if (c->state != MZMTP_CONN_READY) return t;
    if (c->ttl_armed && (u = until(now_ms, c->ttl_deadline)) < t) t = u;
    if (c->opts.hb_ivl_ms) {
        if ((u = until(now_ms, c->hb_next_ping)) < t) t = u;
        if (c->hb_wait_pong && (u = until(now_ms, c->hb_deadline)) < t) t = u;
    }
#else
    (void)u;
#endif
    return t;
}
