/*
 * CURVE after the handshake: every frame travels boxed in a MESSAGE command (RFC 26 "The
 * MESSAGE Command"; wire-notes C6-C9).
 *
 * In: the engine's scanner hands each whole MESSAGE frame to mzmtp_mech_curve_open(),
 * which opens the box in place in the receive buffer and rewrites the frame as a gap the
 * reader skips followed by an ordinary ZMTP frame with the plaintext:
 *     [hdr][07 MESSAGE][nonce 8][MAC 16][flags][data]          as received
 *     [FF gap][...............][hdr'][data]                    once opened
 * so that framing, streaming and the HWM stay the engine's one code path. A frame must
 * be whole to be opened: one larger than the receive buffer is refused by the engine
 * (MZMTP_ERR_MSG_SIZE), never delivered unauthenticated.
 *
 * Out: the send ring keeps one plaintext copy of each message for all peers; each
 * engine boxes its peer's frames into its scratch (c->curve.u.tx) as they go out. Frames
 * whose box fits go in one pass, several to a write; a larger one in two passes: the MAC
 * first, then the ciphertext a scratch at a time (mzmtp_crypto_box_xor regenerates the
 * keystream at any offset). A frame's plaintext source (the ring or the command buffer)
 * is released once its last ciphertext byte is in the scratch.
 */
#include <string.h>
#include "mech.h"
#include "../util/mzmtp_util.h"
#include "../crypto/mzmtp_crypto.h"

#if MZMTP_CONF_CURVE

/* Outer MESSAGE body = name (8) + short nonce (8) + MAC (16) + flags (1) + data. */
#define MSG_OVERHEAD 33u
/* The largest frame body CURVE sends (its counters are 32-bit). */
#define CT_MAX 0x7FF00000u

static bool we_are_server(const mzmtp_conn_t *c)
{
    return c->opts.sec != NULL && c->opts.sec->server;
}

static void put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8) p[i] = (uint8_t)v;
}

/* RFC 26: "CurveZMQMESSAGEC" from client to server, "CurveZMQMESSAGES" the other way. */
static void message_nonce(uint8_t n[MZMTP_CRYPTO_NONCE_LEN], bool from_server, uint64_t v)
{
    memcpy(n, from_server ? "CurveZMQMESSAGES" : "CurveZMQMESSAGEC", 16);
    put_be64(n + 16, v);
}

/* ---------------- in ---------------- */

mzmtp_status_t mzmtp_mech_curve_open(mzmtp_conn_t *c, uint8_t *frame, mzmtp_frame_hdr_t *h,
                                     uint32_t *gap)
{
    uint8_t *body = frame + h->hdr_len;
    /* wire-notes C8: libzmq sends MESSAGE as a data frame; accept the command flag too. */
    if (h->size < MSG_OVERHEAD || body[0] != 7 || !mzmtp_util_bytes_eq(body + 1, "MESSAGE", 7)) {
        return MZMTP_ERR_PROTOCOL;
    }
    size_t blen = (size_t)h->size - 16u; /* MAC + flags + data */
    uint64_t nonce = mzmtp_wire_get_u64(body + 8);
    /* wire-notes C9: each short nonce above the last one; a replay closes. */
    if (nonce <= c->curve.rx_nonce) return MZMTP_ERR_CRYPTO;
    uint8_t n24[MZMTP_CRYPTO_NONCE_LEN];
    message_nonce(n24, !we_are_server(c), nonce);
    uint8_t *box = body + 16;
    /* Opened in place right behind the MAC: the plaintext lands where the ciphertext was. */
    if (!mzmtp_crypto_box_open_afternm(box + MZMTP_CRYPTO_MAC_LEN, box, blen, n24, c->curve.key)) {
        return MZMTP_ERR_CRYPTO;
    }
    c->curve.rx_nonce = nonce;
    uint8_t inner = box[MZMTP_CRYPTO_MAC_LEN];
    uint8_t *data = box + MZMTP_CRYPTO_MAC_LEN + 1;
    size_t dlen = blen - MZMTP_CRYPTO_MAC_LEN - 1;
    /* wire-notes C7: inner flags are libzmq's MORE 1 and COMMAND 2; other bits ignored,
     * and so is MORE on a command (commands are single frames, RFC 37). */
    uint8_t flags = inner & 2u ? MZMTP_FLAG_COMMAND : (inner & 1u ? MZMTP_FLAG_MORE : 0u);
    size_t ih = mzmtp_wire_frame_hdr_size(dlen);
    (void)mzmtp_util_put_frame_hdr(data - ih, flags, dlen);
    uint32_t g = (uint32_t)((data - ih) - frame); /* 33 or 40: see the layout above */
    frame[0] = MZMTP_CURVE_GAP;
    frame[1] = (uint8_t)g;
    *gap = g;
    h->flags = (uint8_t)(flags | (ih == 9 ? MZMTP_FLAG_LONG : 0u));
    h->hdr_len = (uint8_t)ih;
    h->size = dlen;
    return MZMTP_OK;
}

/* ---------------- out ---------------- */

/* Where the plaintext of the next frame is: up to 4 pieces (ring bytes, a body by
 * reference), the frame's ZMTP header at the start of the first. */
typedef struct src {
    mzmtp_iov_t iov[4];
    size_t n;
} src_t;

/* Copy @p len bytes from offset @p off of the source into @p dst. */
static void src_copy(const src_t *s, size_t off, uint8_t *dst, size_t len)
{
    for (size_t i = 0; i < s->n && len > 0; i++) {
        if (off >= s->iov[i].len) {
            off -= s->iov[i].len;
            continue;
        }
        size_t k = s->iov[i].len - off < len ? s->iov[i].len - off : len;
        memcpy(dst, s->iov[i].base + off, k);
        dst += k;
        len -= k;
        off = 0;
    }
}

static bool ring_mid_message(const mzmtp_conn_t *c)
{
    return c->outq != NULL && mzmtp_outq_pipe_mid_message(c->outq, c->pipe);
}

static bool ring_has(const mzmtp_conn_t *c)
{
    return c->outq != NULL && mzmtp_outq_pipe_queued(c->outq, c->pipe) > 0;
}

/* Which source the next frame comes from: a half-sent message goes on, then commands,
 * then messages (commands never split a message). @return false when nothing waits. */
static bool next_kind(const mzmtp_conn_t *c, bool *from_cmd)
{
    *from_cmd = !ring_mid_message(c) && c->cmd_rd < c->cmd_wr;
    return *from_cmd || ring_has(c);
}

/* The plaintext at the head of that source. @return false if there is none. */
static bool get_source(mzmtp_conn_t *c, bool from_cmd, src_t *s)
{
    if (from_cmd) {
        s->iov[0].base = c->cmd + c->cmd_rd;
        s->iov[0].len = (size_t)(c->cmd_wr - c->cmd_rd);
        s->n = 1;
    } else {
        s->n = mzmtp_outq_peek(c->outq, c->pipe, s->iov, 4, true);
    }
    return s->n > 0 && s->iov[0].len >= 2;
}

static void release_source(mzmtp_conn_t *c, bool from_cmd, size_t n)
{
    if (from_cmd) {
        c->cmd_rd = (uint16_t)(c->cmd_rd + n);
        if (c->cmd_rd == c->cmd_wr) c->cmd_rd = c->cmd_wr = 0;
    } else {
        mzmtp_outq_advance(c->outq, c->pipe, n);
    }
}

/* Ciphertext of plaintext bytes [pos, pos+len) of the current frame into @p out; the
 * plaintext is the inner flags byte then the frame's body (at @p body in the source). */
static void produce(mzmtp_conn_t *c, const src_t *s, size_t body, uint8_t inner,
                    const uint8_t n24[MZMTP_CRYPTO_NONCE_LEN], uint32_t pos, uint8_t *out,
                    size_t len)
{
    uint8_t *at = out;
    size_t from = pos;
    if (len > 0 && from == 0) {
        *at++ = inner;
        from = 1;
        len--;
    }
    src_copy(s, body + from - 1, at, len);
    (void)mzmtp_crypto_box_xor(out, out, (size_t)(at - out) + len, pos, n24, c->curve.key);
}

/* Box the next frame (or the next piece of a large one) into the scratch.
 * @return false when the scratch cannot take more now. */
static bool box_next(mzmtp_conn_t *c)
{
    mzmtp_curve_state_t *cs = &c->curve;
    uint8_t *tx = cs->u.tx;
    size_t room = MZMTP_CONF_CURVE_TX_BUF - cs->tx_wr;
    src_t s;
    bool from_cmd;
    mzmtp_frame_hdr_t h;
    if (!next_kind(c, &from_cmd) || !get_source(c, from_cmd, &s) ||
        mzmtp_wire_decode_frame_hdr(s.iov[0].base, s.iov[0].len, &h) != MZMTP_OK) {
        return false; /* nothing to send (a bad header cannot happen: we wrote it) */
    }
    if (h.size > CT_MAX) {
        /* Beyond the 32-bit counters of a frame being boxed (LARGE_FRAMES builds). */
        (void)mzmtp_conn_mech_die(c, MZMTP_ERR_MSG_SIZE, NULL, 0);
        return false;
    }
    uint8_t inner = (uint8_t)((h.flags & MZMTP_FLAG_MORE ? 1u : 0u) |
                              (h.flags & MZMTP_FLAG_COMMAND ? 2u : 0u));
    size_t plain = (size_t)h.hdr_len + (size_t)h.size; /* the frame in its source */
    size_t ct_len = 1u + (size_t)h.size;
    size_t outer_body = MSG_OVERHEAD + (size_t)h.size;
    size_t oh = mzmtp_wire_frame_hdr_size(outer_body);
    size_t head = oh + 16u + MZMTP_CRYPTO_MAC_LEN; /* header, name, nonce, MAC */
    bool whole = head + ct_len <= room;
    /* A frame that does not fit goes alone, from an empty scratch. */
    if (!whole && cs->tx_wr > 0) return false;
    uint64_t nonce = cs->tx_nonce + 1u;
    uint8_t n24[MZMTP_CRYPTO_NONCE_LEN];
    message_nonce(n24, we_are_server(c), nonce);
    uint8_t *at = tx + cs->tx_wr;
    /* wire-notes C8: the outer frame is a data frame (flags 00, or 02 when long). */
    at += mzmtp_util_put_frame_hdr(at, 0, outer_body);
    at[0] = 7;
    memcpy(at + 1, "MESSAGE", 7);
    put_be64(at + 8, nonce);
    uint8_t *mac = at + 16;
    uint8_t *ct = mac + MZMTP_CRYPTO_MAC_LEN;
    mzmtp_crypto_mac_t st;
    if (!mzmtp_crypto_mac_begin(&st, n24, cs->key)) return false;
    if (whole) {
        produce(c, &s, h.hdr_len, inner, n24, 0, ct, ct_len);
        mzmtp_crypto_mac_update(&st, ct, ct_len);
        mzmtp_crypto_mac_final(&st, mac);
        cs->tx_wr = (uint16_t)(cs->tx_wr + head + ct_len);
        cs->tx_nonce = nonce;
        release_source(c, from_cmd, plain);
        return true;
    }
    /* Two passes: the MAC over the whole ciphertext, made and dropped a scratch at a
     * time, then the ciphertext again, a scratch at a time, as the peer takes it. */
    size_t k = MZMTP_CONF_CURVE_TX_BUF - head;
    for (size_t pos = 0; pos < ct_len; pos += k) {
        size_t m = ct_len - pos < k ? ct_len - pos : k;
        produce(c, &s, h.hdr_len, inner, n24, (uint32_t)pos, ct, m);
        mzmtp_crypto_mac_update(&st, ct, m);
    }
    mzmtp_crypto_mac_final(&st, mac);
    produce(c, &s, h.hdr_len, inner, n24, 0, ct, k);
    cs->tx_wr = (uint16_t)(head + k);
    cs->tx_nonce = nonce;
    cs->from_cmd = from_cmd;
    cs->plain_len = (uint32_t)plain;
    cs->ct_len = (uint32_t)ct_len;
    cs->ct_done = (uint32_t)k;
    return false;
}

/* The next piece of a large frame into the (empty) scratch. */
static void continue_large(mzmtp_conn_t *c)
{
    mzmtp_curve_state_t *cs = &c->curve;
    src_t s;
    mzmtp_frame_hdr_t h;
    if (!get_source(c, cs->from_cmd, &s) ||
        mzmtp_wire_decode_frame_hdr(s.iov[0].base, s.iov[0].len, &h) != MZMTP_OK) {
        return; /* cannot happen: the frame stays at the head of its source */
    }
    uint8_t inner = (uint8_t)((h.flags & MZMTP_FLAG_MORE ? 1u : 0u) |
                              (h.flags & MZMTP_FLAG_COMMAND ? 2u : 0u));
    uint8_t n24[MZMTP_CRYPTO_NONCE_LEN];
    message_nonce(n24, we_are_server(c), cs->tx_nonce);
    size_t k = cs->ct_len - cs->ct_done;
    if (k > MZMTP_CONF_CURVE_TX_BUF) k = MZMTP_CONF_CURVE_TX_BUF;
    produce(c, &s, h.hdr_len, inner, n24, cs->ct_done, cs->u.tx, k);
    cs->tx_wr = (uint16_t)k;
    cs->ct_done += (uint32_t)k;
    if (cs->ct_done == cs->ct_len) {
        release_source(c, cs->from_cmd, cs->plain_len);
        cs->plain_len = 0;
    }
}

size_t mzmtp_mech_curve_output(mzmtp_conn_t *c, mzmtp_iov_t *iov, size_t max)
{
    mzmtp_curve_state_t *cs = &c->curve;
    if (max == 0) return 0;
    if (cs->raw_cmd > 0) {
        /* Handshake commands queued before it ended (the server's READY) go as they are. */
        iov[0].base = c->cmd + c->cmd_rd;
        iov[0].len = cs->raw_cmd;
        return 1;
    }
    if (cs->tx_rd == cs->tx_wr && c->state == MZMTP_CONN_READY) {
        cs->tx_rd = cs->tx_wr = 0;
        if (cs->plain_len > 0) {
            continue_large(c);
        } else {
            while (box_next(c)) {
            }
        }
    }
    if (cs->tx_rd == cs->tx_wr) return 0;
    iov[0].base = cs->u.tx + cs->tx_rd;
    iov[0].len = (size_t)(cs->tx_wr - cs->tx_rd);
    return 1;
}

void mzmtp_mech_curve_output_done(mzmtp_conn_t *c, size_t n)
{
    mzmtp_curve_state_t *cs = &c->curve;
    if (cs->raw_cmd > 0) {
        size_t k = n < cs->raw_cmd ? n : cs->raw_cmd;
        c->cmd_rd = (uint16_t)(c->cmd_rd + k);
        cs->raw_cmd = (uint16_t)(cs->raw_cmd - k);
        if (c->cmd_rd == c->cmd_wr) c->cmd_rd = c->cmd_wr = 0;
        return;
    }
    size_t left = (size_t)(cs->tx_wr - cs->tx_rd);
    cs->tx_rd = (uint16_t)(cs->tx_rd + (n < left ? n : left));
}

bool mzmtp_mech_curve_has_output(const mzmtp_conn_t *c)
{
    const mzmtp_curve_state_t *cs = &c->curve;
    if (cs->raw_cmd > 0 || cs->tx_rd < cs->tx_wr) return true;
    if (c->state != MZMTP_CONN_READY) return false;
    return cs->plain_len > 0 || c->cmd_rd < c->cmd_wr || ring_has(c);
}

#endif /* MZMTP_CONF_CURVE */
