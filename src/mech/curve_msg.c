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
 * Out: the send ring keeps one plaintext copy of each message for all peers, and the
 * socket one boxing scratch for all its engines (opts.sec->tx). An engine boxes a batch
 * of frames into it as its peer can take them: frames whose boxes fit go in one pass,
 * several to a write; a larger one in windows, the MAC first, then the ciphertext a
 * scratch at a time (mzmtp_crypto_box_xor regenerates the keystream at any offset). The
 * engine keeps only its cursor in the batch; the plaintext stays in its source (the ring
 * or the command buffer) until the batch's last boxed byte is written. If another engine
 * has used the scratch in between, the batch is boxed again from that plaintext with the
 * same nonces: the same bytes, so the peer's stream is unchanged and nothing new leaks.
 * The scratch's bytes are valid until the next output call on any engine of the socket,
 * which is why ports copy them at once (they all do: writev, tcp_write with COPY, uIP's
 * own buffer).
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
    if (nonce <= c->curve->rx_nonce) return MZMTP_ERR_CRYPTO;
    uint8_t n24[MZMTP_CRYPTO_NONCE_LEN];
    message_nonce(n24, !we_are_server(c), nonce);
    uint8_t *box = body + 16;
    /* Opened in place right behind the MAC: the plaintext lands where the ciphertext was. */
    if (!mzmtp_crypto_box_open_afternm(box + MZMTP_CRYPTO_MAC_LEN, box, blen, n24, c->curve->key)) {
        return MZMTP_ERR_CRYPTO;
    }
    c->curve->rx_nonce = nonce;
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

/* Where the plaintext frames are: up to 4 pieces (ring bytes, a body by reference), a
 * frame's ZMTP header first. */
typedef struct src {
    mzmtp_iov_t iov[4];
    size_t n;
    size_t total; /* bytes in view */
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

/* Which source the next batch comes from: a half-sent message goes on, then commands,
 * then messages (commands never split a message). @return false when nothing waits. */
static bool next_kind(const mzmtp_conn_t *c, bool *from_cmd)
{
    *from_cmd = !ring_mid_message(c) && c->cmd_rd < c->cmd_wr;
    return *from_cmd || ring_has(c);
}

/* The frames at the head of that source, as far as one look shows them. Until a batch
 * is wholly written, nothing is released, so the same look shows the same frames first. */
static bool get_source(mzmtp_conn_t *c, bool from_cmd, src_t *s)
{
    if (from_cmd) {
        s->iov[0].base = c->cmd + c->cmd_rd;
        s->iov[0].len = (size_t)(c->cmd_wr - c->cmd_rd);
        s->n = 1;
    } else {
        s->n = mzmtp_outq_peek(c->outq, c->pipe, s->iov, 4, false);
    }
    s->total = 0;
    for (size_t i = 0; i < s->n; i++) s->total += s->iov[i].len;
    return s->total >= 2;
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

/* The header of the frame at @p off of the source; false unless the whole frame is in
 * view (a bad header cannot happen: we wrote it). */
static bool src_frame(const src_t *s, size_t off, mzmtp_frame_hdr_t *h)
{
    uint8_t hb[9];
    size_t k = s->total - off < sizeof hb ? s->total - off : sizeof hb;
    src_copy(s, off, hb, k);
    return mzmtp_wire_decode_frame_hdr(hb, k, h) == MZMTP_OK &&
           (uint64_t)h->hdr_len + h->size <= (uint64_t)(s->total - off);
}

static uint8_t inner_flags(const mzmtp_frame_hdr_t *h)
{
    return (uint8_t)((h->flags & MZMTP_FLAG_MORE ? 1u : 0u) |
                     (h->flags & MZMTP_FLAG_COMMAND ? 2u : 0u));
}

/* The MESSAGE frame's header, name and short nonce at @p at; @return their length (the
 * MAC follows). wire-notes C8: the outer frame is a data frame (flags 00, or 02 when
 * long). */
static size_t put_head(uint8_t *at, uint64_t body_size, uint64_t nonce)
{
    size_t oh = mzmtp_util_put_frame_hdr(at, 0, MSG_OVERHEAD + body_size);
    at[oh] = 7;
    memcpy(at + oh + 1, "MESSAGE", 7);
    put_be64(at + oh + 8, nonce);
    return oh + 16u;
}

static size_t box_size(uint64_t body_size)
{
    return mzmtp_wire_frame_hdr_size(MSG_OVERHEAD + body_size) + MSG_OVERHEAD + (size_t)body_size;
}

/* Ciphertext of plaintext bytes [pos, pos+len) of a frame into @p out; the plaintext is
 * the inner flags byte then the frame's body (at @p body in the source). */
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
    (void)mzmtp_crypto_box_xor(out, out, (size_t)(at - out) + len, pos, n24, c->curve->key);
}

/* A frame larger than the scratch: the window of its box that starts at byte @p at. The
 * first window (at inside header, nonce or MAC) needs the MAC, made by a pass over the
 * whole ciphertext a scratch at a time; later ones are ciphertext at an offset. */
static void fill_window(mzmtp_conn_t *c, const src_t *s, const mzmtp_frame_hdr_t *h,
                        uint32_t at)
{
    mzmtp_curve_scratch_t *sc = &c->opts.sec->tx;
    uint8_t n24[MZMTP_CRYPTO_NONCE_LEN];
    uint64_t nonce = c->curve->tx_nonce + 1u;
    uint8_t inner = inner_flags(h);
    size_t ct_len = 1u + (size_t)h->size;
    size_t head = mzmtp_wire_frame_hdr_size(MSG_OVERHEAD + h->size) + 16u + MZMTP_CRYPTO_MAC_LEN;
    message_nonce(n24, we_are_server(c), nonce);
    if (at >= head) {
        size_t pos = at - head;
        size_t k = ct_len - pos < MZMTP_CONF_CURVE_TX_BUF ? ct_len - pos : MZMTP_CONF_CURVE_TX_BUF;
        produce(c, s, h->hdr_len, inner, n24, (uint32_t)pos, sc->buf, k);
        sc->win_off = at;
        sc->win_len = (uint32_t)k;
        return;
    }
    uint8_t *ct = sc->buf + head;
    size_t k = MZMTP_CONF_CURVE_TX_BUF - head;
    mzmtp_crypto_mac_t st;
    (void)mzmtp_crypto_mac_begin(&st, n24, c->curve->key);
    for (size_t pos = 0; pos < ct_len; pos += k) {
        size_t m = ct_len - pos < k ? ct_len - pos : k;
        produce(c, s, h->hdr_len, inner, n24, (uint32_t)pos, ct, m);
        mzmtp_crypto_mac_update(&st, ct, m);
    }
    mzmtp_crypto_mac_final(&st, ct - MZMTP_CRYPTO_MAC_LEN);
    (void)put_head(sc->buf, h->size, nonce);
    produce(c, s, h->hdr_len, inner, n24, 0, ct, k);
    sc->win_off = 0;
    sc->win_len = (uint32_t)(head + k);
}

/*
 * Box the current batch into the socket's scratch, or, with no batch, start one: the
 * frames at the head of the next source whose boxes fit the scratch together (one
 * libsodium call each), or one larger frame, whose window at @p at is made. Boxing again
 * gives the same bytes (same key, nonces and plaintext), so a batch whose bytes another
 * engine replaced is boxed again and goes on at its cursor.
 * @return false when there is nothing to send.
 */
static bool fill(mzmtp_conn_t *c, uint32_t at)
{
    mzmtp_curve_state_t *cs = c->curve;
    mzmtp_curve_scratch_t *sc = &c->opts.sec->tx;
    bool forming = cs->batch_box == 0;
    src_t s;
    if (forming && !next_kind(c, &cs->from_cmd)) return false;
    if (!get_source(c, cs->from_cmd, &s)) return false;
    sc->owner = NULL;
    size_t off = 0, out = 0;
    uint16_t i = 0;
    while (forming ? i < UINT16_MAX : i < cs->batch_frames) {
        mzmtp_frame_hdr_t h;
        if (!src_frame(&s, off, &h)) break;
        if (h.size > CT_MAX) {
            /* Beyond the 32-bit counters of a frame being boxed (LARGE_FRAMES builds). */
            (void)mzmtp_conn_mech_die(c, MZMTP_ERR_MSG_SIZE, NULL, 0);
            return false;
        }
        size_t box = box_size(h.size);
        size_t plain = (size_t)h.hdr_len + (size_t)h.size;
        if (box > MZMTP_CONF_CURVE_TX_BUF) {
            if (i > 0) break; /* a frame larger than the scratch goes alone */
            fill_window(c, &s, &h, at);
            cs->batch_frames = 1;
            cs->batch_box = (uint32_t)box;
            cs->batch_plain = (uint32_t)plain;
            sc->owner = c;
            return true;
        }
        if (out + box > MZMTP_CONF_CURVE_TX_BUF) break;
        uint8_t n24[MZMTP_CRYPTO_NONCE_LEN];
        uint64_t nonce = cs->tx_nonce + 1u + i;
        message_nonce(n24, we_are_server(c), nonce);
        uint8_t *p = sc->buf + out;
        uint8_t *mac = p + put_head(p, h.size, nonce);
        uint8_t *ct = mac + MZMTP_CRYPTO_MAC_LEN;
        ct[0] = inner_flags(&h);
        src_copy(&s, off + h.hdr_len, ct + 1, (size_t)h.size);
        if (!mzmtp_crypto_box_detached_afternm(ct, mac, 1u + (size_t)h.size, n24, cs->key)) {
            return false;
        }
        out += box;
        off += plain;
        i++;
    }
    /* Boxing again finds the batch's frames where they were: nothing is released
     * before the batch is written (a shorter batch cannot happen; refuse it anyway). */
    if (i == 0 || (!forming && i != cs->batch_frames)) return false;
    if (forming) {
        cs->batch_frames = i;
        cs->batch_box = (uint32_t)out;
        cs->batch_plain = (uint32_t)off;
    }
    sc->owner = c;
    sc->win_off = 0;
    sc->win_len = (uint32_t)out;
    return true;
}

/* The handshake slot's bytes still to write, or NULL. */
static mzmtp_curve_hs_slot_t *slot_pending(const mzmtp_conn_t *c)
{
    if (c->curve->slot == 0) return NULL;
    mzmtp_curve_hs_slot_t *hs = &c->opts.sec->hs[c->curve->slot - 1u];
    return hs->rd < hs->wr ? hs : NULL;
}

size_t mzmtp_mech_curve_output(mzmtp_conn_t *c, mzmtp_iov_t *iov, size_t max)
{
    mzmtp_curve_state_t *cs = c->curve;
    mzmtp_curve_hs_slot_t *hs = slot_pending(c);
    if (max == 0) return 0;
    if (hs != NULL) {
        /* HELLO, WELCOME, INITIATE: built in the handshake slot, sent as they are. */
        iov[0].base = hs->out + hs->rd;
        iov[0].len = (size_t)(hs->wr - hs->rd);
        return 1;
    }
    if (!cs->boxing || cs->raw_cmd > 0) {
        /* Before the handshake ended (an ERROR), and what was queued when it did (the
         * server's READY): commands as they are. */
        size_t k = cs->boxing ? cs->raw_cmd : (size_t)(c->cmd_wr - c->cmd_rd);
        if (k == 0) return 0;
        iov[0].base = c->cmd + c->cmd_rd;
        iov[0].len = k;
        return 1;
    }
    if (c->state != MZMTP_CONN_READY) return 0;
    const mzmtp_curve_scratch_t *sc = &c->opts.sec->tx;
    bool mine = cs->batch_box > 0 && sc->owner == c && cs->sent >= sc->win_off &&
                cs->sent - sc->win_off < sc->win_len;
    if (!mine && !fill(c, cs->sent)) return 0;
    iov[0].base = sc->buf + (cs->sent - sc->win_off);
    iov[0].len = (size_t)(sc->win_off + sc->win_len - cs->sent);
    return 1;
}

void mzmtp_mech_curve_output_done(mzmtp_conn_t *c, size_t n)
{
    mzmtp_curve_state_t *cs = c->curve;
    mzmtp_curve_hs_slot_t *hs = slot_pending(c);
    if (hs != NULL) {
        size_t k = (size_t)(hs->wr - hs->rd);
        hs->rd = (uint16_t)(hs->rd + (n < k ? n : k));
        mzmtp_mech_curve_slot_done(c);
        return;
    }
    if (!cs->boxing || cs->raw_cmd > 0) {
        size_t k = cs->boxing ? cs->raw_cmd : (size_t)(c->cmd_wr - c->cmd_rd);
        if (k > n) k = n;
        c->cmd_rd = (uint16_t)(c->cmd_rd + k);
        if (cs->boxing) cs->raw_cmd = (uint16_t)(cs->raw_cmd - k);
        if (c->cmd_rd == c->cmd_wr) c->cmd_rd = c->cmd_wr = 0;
        return;
    }
    mzmtp_curve_scratch_t *sc = &c->opts.sec->tx;
    if (cs->batch_box == 0 || sc->owner != c) return;
    size_t left = (size_t)(sc->win_off + sc->win_len - cs->sent);
    cs->sent += (uint32_t)(n < left ? n : left);
    if (cs->sent == cs->batch_box) {
        /* Every byte of the batch's boxes is written: its plaintext can go. */
        release_source(c, cs->from_cmd, cs->batch_plain);
        cs->tx_nonce += cs->batch_frames;
        cs->batch_box = cs->batch_plain = cs->sent = 0;
        cs->batch_frames = 0;
        sc->owner = NULL;
    }
}

bool mzmtp_mech_curve_has_output(const mzmtp_conn_t *c)
{
    const mzmtp_curve_state_t *cs = c->curve;
    if (slot_pending(c) != NULL) return true;
    if (!cs->boxing) return c->cmd_rd < c->cmd_wr;
    if (cs->raw_cmd > 0) return true;
    if (c->state != MZMTP_CONN_READY) return false;
    return cs->batch_box > 0 || c->cmd_rd < c->cmd_wr || ring_has(c);
}

#endif /* MZMTP_CONF_CURVE */
