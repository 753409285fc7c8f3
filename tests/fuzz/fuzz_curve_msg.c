/*
 * Fuzz target: CURVE after the handshake (src/mech/curve_msg.c), in both directions.
 *
 * Engines finish a NULL handshake and are switched to CURVE with a fixed session key (as
 * test_curve_msg.c does), so that the fuzzer spends its time in MESSAGE. The input is a
 * list of records; each is one byte of kind, two of length, then that many bytes:
 *   kind % 4 == 0  raw bytes to the receiving engine (garbage between MESSAGE frames)
 *   kind % 4 == 1  a MESSAGE boxed right (next nonce, inner flags = kind >> 2)
 *   kind % 4 == 2  a MESSAGE boxed with the nonce byte kind >> 2 (replays, gaps)
 *   kind % 4 == 3  a message of that many frames sent through the send ring of a second
 *                  engine, whose boxed output is fed back in random splits
 * Properties (abort on failure): no crash or sanitizer report; the receiver delivers
 * exactly the data frames that were boxed right, in order, up to the first bad input;
 * after it, only data that one of our boxes holds, boxes in increasing order (garbage can
 * re-frame a valid box, e.g. give it a long header, but never forge one); what the second
 * engine boxes is delivered intact.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "microzmtp/microzmtp.h"
#include "../../src/crypto/mzmtp_crypto.h"
#include "../../src/util/mzmtp_peerset.h"
#include "fuzz_util.h"
#include "../crypto/curve_sec.h"

#define RX_SIZE 1024u
#define MAX_EXPECT 64u

static uint8_t key[32];
static mzmtp_conn_sec_t sec_c, sec_s;

static void to_curve(mzmtp_conn_t *c, bool server, uint64_t tx, uint64_t rx)
{
    curve_sec_switch(c, server ? &sec_s : &sec_c, key, tx, rx);
}

/* One data frame the receiver must deliver, in order. */
typedef struct expect {
    uint8_t data[300];
    size_t len;
    bool more;
    size_t box; /* its index in boxes[] */
} expect_t;

static expect_t expect[MAX_EXPECT];
static size_t n_expect, n_seen;
/* every box made, right or not, in the order made: what may arrive after bad input */
static expect_t boxes[MAX_EXPECT];
static size_t n_boxes, box_seen;
static bool broken; /* a bad record went in: nothing more may be delivered */
static uint8_t got[1 << 16];

static void handshake(mzmtp_conn_t *a, mzmtp_conn_t *b)
{
    mzmtp_conn_event_t ev;
    for (int i = 0; i < 4; i++) {
        mzmtp_iov_t iov[4];
        for (int d = 0; d < 2; d++) {
            mzmtp_conn_t *from = d ? b : a, *to = d ? a : b;
            size_t n = mzmtp_conn_output(from, iov, 4), moved = 0;
            for (size_t k = 0; k < n; k++) {
                size_t took;
                mzmtp_conn_input(to, iov[k].base, iov[k].len, 0, &took);
                moved += took;
            }
            mzmtp_conn_output_done(from, moved);
        }
        while (mzmtp_conn_process(a, 0, &ev) == MZMTP_OK) {
        }
        while (mzmtp_conn_process(b, 0, &ev) == MZMTP_OK) {
        }
    }
    if (mzmtp_conn_state(a) != MZMTP_CONN_READY || mzmtp_conn_state(b) != MZMTP_CONN_READY) abort();
}

/* Read what the receiver has; check it against the expected frames. A message may be
 * streamed (larger than the buffer): the reader keeps its place between calls. */
static bool in_msg;
static size_t got_len;

static void deliver(mzmtp_conn_t *r, bool *dead)
{
    mzmtp_conn_event_t ev;
    mzmtp_status_t st;
    for (;;) {
        if (!in_msg) {
            while ((st = mzmtp_conn_process(r, 0, &ev)) == MZMTP_OK &&
                   ev.kind != MZMTP_CONN_EV_MESSAGE) {
            }
            if (st != MZMTP_OK) {
                if (st != MZMTP_AGAIN) *dead = true;
                return;
            }
            in_msg = true;
            got_len = 0;
        }
        size_t n;
        unsigned fl;
        if (mzmtp_conn_read(r, got + got_len, sizeof got - got_len, &n, &fl) != MZMTP_OK) {
            /* a command between frames, or more of this message has to arrive: let the
             * engine run what is there, then read again or try later */
            if (mzmtp_conn_process(r, 0, &ev) != MZMTP_OK) {
            }
            if (mzmtp_conn_state(r) == MZMTP_CONN_DEAD) *dead = true;
            if (*dead || mzmtp_conn_read(r, got + got_len, sizeof got - got_len, &n, &fl) != MZMTP_OK) {
                return;
            }
        }
        got_len += n;
        if (fl & MZMTP_RECV_PARTIAL) continue;
        if (n_seen < n_expect) {
            const expect_t *e = &expect[n_seen++];
            if (got_len != e->len || memcmp(got, e->data, got_len) != 0) abort();
            if (((fl & MZMTP_RECV_MORE) != 0) != e->more) abort();
            box_seen = e->box + 1; /* no box before it may come again */
        } else {
            /* past the model (after bad input): it must be the data of a later box */
            if (!broken) abort();
            while (box_seen < n_boxes && (boxes[box_seen].len != got_len ||
                                          memcmp(boxes[box_seen].data, got, got_len) != 0)) {
                box_seen++;
            }
            if (box_seen == n_boxes) abort(); /* not anything we boxed: forged */
            box_seen++;
        }
        got_len = 0;
        if (!(fl & MZMTP_RECV_MORE)) in_msg = false;
    }
}

static size_t box(uint8_t *out, uint64_t nonce, uint8_t inner, const uint8_t *d, size_t len)
{
    static uint8_t plain[320];
    uint8_t n24[24];
    memcpy(n24, "CurveZMQMESSAGEC", 16);
    for (int i = 0; i < 8; i++) n24[16 + i] = (uint8_t)(nonce >> (56 - 8 * i));
    plain[0] = inner;
    memcpy(plain + 1, d, len);
    size_t body = 33 + len, at = 0;
    if (body > 255) {
        out[at++] = 0x02;
        for (int i = 7; i >= 0; i--) out[at++] = (uint8_t)(body >> (8 * i));
    } else {
        out[at++] = 0;
        out[at++] = (uint8_t)body;
    }
    out[at] = 7;
    memcpy(out + at + 1, "MESSAGE", 7);
    memcpy(out + at + 8, n24 + 16, 8);
    if (!mzmtp_crypto_box_afternm(out + at + 16, plain, len + 1, n24, key)) abort();
    return at + body;
}

static uint8_t rx_r[RX_SIZE], rx_s[RX_SIZE], rx_p[RX_SIZE], ring[8192];
static mzmtp_conn_t recv_e, send_e, peer_e;
static mzmtp_outq_t q;

/* Feed @p in[0..len) to the receiver in pieces, reading as it goes. */
static void feed(const uint8_t *in, size_t len, rng_t *r, bool *dead)
{
    size_t pos = 0;
    for (int guard = 0; pos < len && !*dead && guard < 100000; guard++) {
        size_t chunk = 1 + rng_next(r) % 200, took;
        if (chunk > len - pos) chunk = len - pos;
        mzmtp_conn_input(&recv_e, in + pos, chunk, 0, &took);
        pos += took;
        deliver(&recv_e, dead);
        drain_conn(&recv_e, r);
        if (took == 0 && !*dead) break; /* buffer full of undeliverable bytes */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool init;
    if (!init) {
        if (!mzmtp_crypto_init()) abort();
        for (int i = 0; i < 32; i++) key[i] = (uint8_t)(i * 9 + 1);
        sec_c.mechanism = sec_s.mechanism = MZMTP_MECH_CURVE;
        sec_s.server = true;
        init = true;
    }
    mzmtp_conn_opts_t o;
    memset(&o, 0, sizeof o);
    o.rcvhwm = 1000;
    /* recv_e (server) takes what the records make; send_e (client) sends to peer_e. */
    if (fuzz_conn_init(&recv_e, MZMTP_PULL, &o, rx_r, RX_SIZE, NULL, 0, 0) != MZMTP_OK ||
        fuzz_conn_init(&send_e, MZMTP_PUSH, &o, rx_s, RX_SIZE, &q, 0, 0) != MZMTP_OK ||
        fuzz_conn_init(&peer_e, MZMTP_PULL, &o, rx_p, RX_SIZE, NULL, 0, 0) != MZMTP_OK) {
        abort();
    }
    mzmtp_outq_init(&q, ring, sizeof ring);
    mzmtp_outq_pipe_attach(&q, 0);
    mzmtp_conn_t tmp;
    static uint8_t rx_t[RX_SIZE];
    if (fuzz_conn_init(&tmp, MZMTP_PUSH, &o, rx_t, RX_SIZE, NULL, 0, 0) != MZMTP_OK) abort();
    handshake(&recv_e, &tmp);
    handshake(&peer_e, &send_e);
    to_curve(&recv_e, true, 1, 2);
    to_curve(&send_e, false, 2, 1);
    to_curve(&peer_e, true, 1, 2);

    rng_t r = {0x9e3779b9u ^ (uint32_t)size};
    n_expect = n_seen = 0;
    n_boxes = box_seen = 0;
    broken = false;
    in_msg = false;
    bool dead = false;
    uint64_t nonce = 2;
    static uint8_t frame[400];
    size_t pos = 0;
    while (pos + 3 <= size) {
        uint8_t kind = data[pos];
        size_t len = (size_t)data[pos + 1] << 8 | data[pos + 2];
        pos += 3;
        if (len > size - pos) len = size - pos;
        const uint8_t *d = data + pos;
        pos += len;
        switch (kind % 4u) {
        case 0:
            if (len > 0) broken = true; /* nothing after garbage may be delivered */
            if (!dead) feed(d, len, &r, &dead);
            break;
        case 1:
        case 2: {
            if (n_boxes == MAX_EXPECT) break; /* the model is full: ignore further boxes */
            size_t l = len > 280 ? 280 : len;
            uint8_t inner = kind % 4u == 1 ? (uint8_t)(kind >> 2) : 0;
            uint64_t n = kind % 4u == 1 ? nonce + 1 : (uint64_t)(kind >> 2);
            bool good = n > nonce && !broken;
            size_t flen = box(frame, n, inner, d, l);
            memcpy(boxes[n_boxes].data, d, l);
            boxes[n_boxes++].len = l;
            if (good) {
                nonce = n;
                /* a data frame to deliver; an inner command (bit 1) is not delivered, and
                 * one that does not decode as a command kills the engine */
                if (!(inner & 2u) && n_expect < MAX_EXPECT) {
                    memcpy(expect[n_expect].data, d, l);
                    expect[n_expect].len = l;
                    expect[n_expect].more = (inner & 1u) != 0;
                    expect[n_expect].box = n_boxes - 1;
                    n_expect++;
                } else if (!(inner & 2u)) {
                    broken = true;
                }
                /* a command delivers nothing: PING gets a PONG, others are ignored, one
                 * that does not decode closes the link (then nothing more arrives) */
            } else {
                broken = true;
            }
            if (!dead) feed(frame, flen, &r, &dead);
            break;
        }
        default: {
            /* a message through the ring, boxed by send_e, fed to peer_e */
            unsigned frames = 1 + (unsigned)(len % 3);
            mzmtp_outq_begin(&q, mzmtp_peerset_of(0));
            size_t each = len / frames;
            if (each > 900) each = 900; /* each frame fits the peer's receive buffer */
            for (unsigned f = 0; f < frames; f++) {
                if (mzmtp_outq_add_frame(&q, d + f * each, each, f + 1 < frames) != MZMTP_OK) {
                    mzmtp_outq_cancel(&q);
                    break;
                }
            }
            for (int guard = 0; guard < 10000 && mzmtp_conn_has_output(&send_e); guard++) {
                mzmtp_iov_t iov[4];
                size_t n = mzmtp_conn_output(&send_e, iov, 4);
                if (n == 0) break;
                size_t w = 1 + rng_next(&r) % iov[0].len, took;
                mzmtp_conn_input(&peer_e, iov[0].base, w, 0, &took);
                mzmtp_conn_output_done(&send_e, took);
                mzmtp_conn_event_t ev;
                mzmtp_status_t st;
                while ((st = mzmtp_conn_process(&peer_e, 0, &ev)) == MZMTP_OK) {
                    if (ev.kind != MZMTP_CONN_EV_MESSAGE) continue;
                    size_t tot = 0, k;
                    unsigned fl;
                    do {
                        if (mzmtp_conn_read(&peer_e, got + tot, sizeof got - tot, &k, &fl) != MZMTP_OK) {
                            break;
                        }
                        tot += k;
                    } while (fl & (MZMTP_RECV_MORE | MZMTP_RECV_PARTIAL));
                }
                if (st != MZMTP_AGAIN) abort(); /* our own boxes must always open */
            }
            break;
        }
        }
    }
    if (!broken && !dead && n_seen != n_expect) {
        /* every frame boxed right was delivered (a message still open stays buffered) */
        size_t open = 0;
        while (open < n_expect - n_seen && expect[n_expect - 1 - open].more) open++;
        if (n_expect > 0 && !expect[n_expect - 1].more && n_seen != n_expect) abort();
    }
    mzmtp_conn_wipe(&recv_e);
    mzmtp_conn_wipe(&send_e);
    mzmtp_conn_wipe(&peer_e);
    return 0;
}
