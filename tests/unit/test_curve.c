/*
 * The CURVE handshake (RFC 26; wire-notes C1-C16): both roles as raw engines against the
 * team's known-answer transcript (curve-kat.txt: fixed long-term keys, c', s', cookie key
 * and long nonces), byte for byte, fed whole, byte by byte and in random splits; a client
 * engine against a server engine; a malformed-input table with exact statuses and the
 * ERROR-or-close of each row; cookie keys rotated by the clock; what the server keeps
 * between WELCOME and INITIATE; two sockets back to back; the key pair helpers.
 * In a build without CURVE it checks that CURVE is refused.
 */
#include <stdio.h>
#include "testutil.h"

#if MZMTP_CONF_CURVE
#include "../../src/crypto/mzmtp_crypto.h"
#include "../crypto/curve_kat.h"
#include "../crypto/curve_sec.h"

#define GREETING_CURVE(server) " FF 00*7 01 7F 03 01 'CURVE' 00*15 " server " 00*31 "
#define META_DEALER " 0B 'Socket-Type' 00 00 00 06 'DEALER' 08 'Identity' 00 00 00 00 "
#define META_ROUTER " 0B 'Socket-Type' 00 00 00 06 'ROUTER' 08 'Identity' 00 00 00 00 "

static uint8_t c_pub[32], c_sec[32], s_pub[32], s_sec[32], ct_sec[32], ct_pub[32], st_sec[32],
    st_pub[32];
/* frames of the transcript and their bodies (after the frame header) */
static uint8_t hello_f[202], welcome_f[170], initiate_f[301], ready_f[67];
#define HELLO_B (hello_f + 2)
#define WELCOME_B (welcome_f + 2)
#define INITIATE_B (initiate_f + 9)
#define READY_B (ready_f + 2)

static void load_kat(void)
{
    tu_script(C_PUB, c_pub, 32);
    tu_script(S_PUB, s_pub, 32);
    TU_ASSERT_STATUS(mzmtp_z85_decode(c_sec, 32, C_SEC_Z85, 40), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_z85_decode(s_sec, 32, S_SEC_Z85, 40), MZMTP_OK);
    tu_script(CT_SEC, ct_sec, 32);
    tu_script(CT_PUB, ct_pub, 32);
    tu_script(ST_SEC, st_sec, 32);
    tu_script(ST_PUB, st_pub, 32);
    assert_int_equal(tu_script(HELLO, hello_f, sizeof hello_f), 202);
    assert_int_equal(tu_script(WELCOME, welcome_f, sizeof welcome_f), 170);
    assert_int_equal(tu_script(INITIATE, initiate_f, sizeof initiate_f), 301);
    assert_int_equal(tu_script(READY, ready_f, sizeof ready_f), 67);
}

/* ---- random sources ---- */

/* Hands out a fixed byte stream in order (the transcript's c', s', cookie key, long
 * nonces); fails once it is used up, or at once with fail_now. */
typedef struct stream_rng {
    uint8_t b[512];
    size_t len, pos;
    bool fail_now;
} stream_rng_t;

static bool stream_random(void *ctx, uint8_t *buf, size_t len)
{
    stream_rng_t *r = ctx;
    if (r->fail_now || len > r->len - r->pos) return false;
    memcpy(buf, r->b + r->pos, len);
    r->pos += len;
    return true;
}

static void stream_set(stream_rng_t *r, const char *script)
{
    memset(r, 0, sizeof *r);
    r->len = tu_script(script, r->b, sizeof r->b);
}

/* The transcript's random bytes, in the order curve.c draws them: the client c' at start,
 * the vouch's long nonce at WELCOME; the server (at HELLO) the cookie key when it makes
 * one, s', WELCOME's long nonce, the cookie's long nonce. */
#define KAT_CLIENT_RANDOM CT_SEC_HEX " 33*16 "
#define KAT_SERVER_RANDOM " A5*32 " ST_SEC_HEX " 11*16 22*16 "

static bool prng_random(void *ctx, uint8_t *buf, size_t len)
{
    tu_rng_fill(ctx, buf, len);
    return true;
}

/* ---- the authenticator ---- */
static unsigned auth_calls, auth_status;
static uint8_t auth_key[32];
static mzmtp_mechanism_t auth_mech;

static void test_auth(void *owner, unsigned peer, mzmtp_auth_request_t *req, mzmtp_auth_reply_t *reply)
{
    (void)owner, (void)peer;
    auth_calls++;
    auth_mech = req->mechanism;
    assert_non_null(req->client_key);
    assert_null(req->username);
    memcpy(auth_key, req->client_key, 32);
    reply->status = auth_status ? auth_status : 200;
}

/* ---- engines ---- */
static mzmtp_conn_sec_t sec_c, sec_s;
static stream_rng_t rng_c, rng_s;

static void client_sec(mzmtp_conn_sec_t *sec, const uint8_t *server_key, stream_rng_t *r)
{
    curve_sec_client(sec, c_pub, c_sec, server_key, stream_random, r);
}

static void server_sec(mzmtp_conn_sec_t *sec, stream_rng_t *r, bool with_auth)
{
    curve_sec_server(sec, s_pub, s_sec, stream_random, r);
    sec->auth = with_auth ? test_auth : NULL;
    auth_calls = 0;
    auth_status = 0;
}

static uint8_t rx[4096], rx2[4096];
static mzmtp_conn_t conn, conn2, conn3;
static tu_log_t lg, lg2, lg3;
static uint8_t in[8192], want[8192];

static void setup_kat(void)
{
    load_kat();
    stream_set(&rng_c, KAT_CLIENT_RANDOM);
    stream_set(&rng_s, KAT_SERVER_RANDOM);
    client_sec(&sec_c, s_pub, &rng_c);
    server_sec(&sec_s, &rng_s, true);
}

static mzmtp_status_t start(mzmtp_conn_t *c, tu_log_t *l, uint8_t *buf, bool server, uint32_t now)
{
    tu_log_init(l);
    mzmtp_conn_opts_t o = tu_conn_opts();
    o.sec = server ? &sec_s : &sec_c;
    return tu_conn_init(c, server ? MZMTP_ROUTER : MZMTP_DEALER, &o, buf, sizeof rx, NULL, 0, now);
}

static mzmtp_status_t run(bool server, const uint8_t *bytes, size_t n, tu_split_t split, uint64_t seed)
{
    TU_ASSERT_STATUS(start(&conn, &lg, rx, server, 0), MZMTP_OK);
    return tu_conn_feed(&conn, &lg, bytes, n, split, seed, 0);
}

static const tu_split_t splits[] = {TU_WHOLE, TU_BYTEWISE, TU_RANDOM};

static size_t concat(uint8_t *out, const uint8_t *a, size_t al, const uint8_t *b, size_t bl,
                     const uint8_t *c, size_t cl)
{
    memcpy(out, a, al);
    if (bl) memcpy(out + al, b, bl);
    if (cl) memcpy(out + al + bl, c, cl);
    return al + bl + cl;
}

static uint8_t greet_peer[64], greet_client[64], greet_server[64];

static void greetings(void)
{
    tu_buf_t b = TU_BUF(greet_peer);
    tu_put_greeting(&b, 3, 1, "CURVE"); /* as libzmq sends it: as-server 0 (G7) */
    tu_script(GREETING_CURVE("00"), greet_client, 64);
    tu_script(GREETING_CURVE("01"), greet_server, 64);
}

static bool all_zero(const void *p, size_t n)
{
    const uint8_t *q = p;
    for (size_t i = 0; i < n; i++) {
        if (q[i]) return false;
    }
    return true;
}

/* ------------------------------------------------------------ known answers ------ */

/* The transcript's handshake as the server (fed the client's greeting, HELLO and
 * INITIATE) or as the client (fed WELCOME and READY), with @p split and @p seed: the
 * engine must write exactly the transcript's side and report one handshake. */
static void run_transcript(bool server, tu_split_t split, uint64_t seed)
{
    setup_kat();
    size_t n, w;
    if (server) {
        n = concat(in, greet_peer, 64, hello_f, sizeof hello_f, initiate_f, sizeof initiate_f);
        w = concat(want, greet_server, 64, welcome_f, sizeof welcome_f, ready_f, sizeof ready_f);
    } else {
        n = concat(in, greet_peer, 64, welcome_f, sizeof welcome_f, ready_f, sizeof ready_f);
        w = concat(want, greet_client, 64, hello_f, sizeof hello_f, initiate_f, sizeof initiate_f);
    }
    TU_ASSERT_STATUS(run(server, in, n, split, seed), MZMTP_OK);
    TU_ASSERT_BYTES(lg.out, lg.out_len, want, w);
    assert_int_equal(tu_log_count(&lg, MZMTP_CONN_EV_HANDSHAKE), 1);
    assert_int_equal(tu_log_nth(&lg, MZMTP_CONN_EV_HANDSHAKE, 0)->peer_type,
                     server ? MZMTP_DEALER : MZMTP_ROUTER);
}

static void client_writes_the_transcripts_hello_and_initiate(void **state)
{
    greetings();
    for (size_t i = 0; i < 3; i++) {
        for (uint64_t seed = 1; seed <= (splits[i] == TU_RANDOM ? 8u : 1u); seed++) {
            run_transcript(false, splits[i], seed);
            assert_int_equal(mzmtp_conn_state(&conn), MZMTP_CONN_READY);
            /* the session key shared(S', c'), the last short nonces, no scratch left */
            uint8_t k[32];
            assert_true(mzmtp_crypto_box_beforenm(k, st_pub, ct_sec));
            TU_ASSERT_BYTES(conn.curve->key, 32, k, 32);
            assert_int_equal(conn.curve->tx_nonce, 2);
            assert_int_equal(conn.curve->rx_nonce, 1);
            /* its handshake slot given back, wiped: the socket's pool all zeros */
            assert_int_equal(conn.curve->slot, 0);
            assert_true(all_zero(sec_c.hs, sizeof sec_c.hs));
            assert_int_equal(rng_c.pos, rng_c.len); /* c' and the vouch nonce, nothing else */
        }
    }
}

static void server_writes_the_transcripts_welcome_and_ready(void **state)
{
    greetings();
    for (size_t i = 0; i < 3; i++) {
        for (uint64_t seed = 1; seed <= (splits[i] == TU_RANDOM ? 8u : 1u); seed++) {
            run_transcript(true, splits[i], seed);
            /* the authenticator was given the client's long-term key C */
            assert_int_equal(auth_calls, 1);
            assert_int_equal(auth_mech, MZMTP_MECH_CURVE);
            TU_ASSERT_BYTES(auth_key, 32, c_pub, 32);
            uint8_t k[32];
            assert_true(mzmtp_crypto_box_beforenm(k, ct_pub, st_sec));
            TU_ASSERT_BYTES(conn.curve->key, 32, k, 32);
            assert_int_equal(conn.curve->tx_nonce, 1);
            assert_int_equal(conn.curve->rx_nonce, 2);
            assert_int_equal(conn.curve->slot, 0);
            assert_true(all_zero(sec_s.hs, sizeof sec_s.hs));
            assert_true(all_zero(conn.curve->cookie_nonce, 16));
        }
    }
}

static void server_delivers_the_transcripts_message_after_its_handshake(void **state)
{
    /* curve-kat.txt: the client's MESSAGE, nonce 3, inner flags 00, "Hello" (MSG_CS) */
    uint8_t msg[40];
    assert_int_equal(tu_script(MSG_CS, msg, sizeof msg), 40);
    greetings();
    for (size_t i = 0; i < 3; i++) {
        setup_kat();
        tu_buf_t b = TU_BUF(in);
        tu_put(&b, greet_peer, 64);
        tu_put(&b, hello_f, sizeof hello_f);
        tu_put(&b, initiate_f, sizeof initiate_f);
        tu_put(&b, msg, sizeof msg);
        TU_ASSERT_STATUS(run(true, in, b.len, splits[i], 9), MZMTP_OK);
        assert_int_equal(tu_log_count(&lg, MZMTP_CONN_EV_HANDSHAKE), 1);
        const tu_event_t *m = tu_log_nth(&lg, MZMTP_CONN_EV_MESSAGE, 0);
        assert_non_null(m);
        assert_int_equal(m->nframes, 1);
        TU_ASSERT_BYTES(tu_ev_frame(&lg, m, 0), m->frame_len[0], "Hello", 5);
        assert_int_equal(conn.curve->rx_nonce, 3);
    }
}

/* ---- building commands as a peer would (to forge the malformed ones) ---- */

static void nonce24(uint8_t n[24], const char *prefix, size_t plen, const uint8_t *tail)
{
    memcpy(n, prefix, plen);
    memcpy(n + plen, tail, 24 - plen);
}

static void be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8) p[i] = (uint8_t)v;
}

/* An INITIATE body to the transcript's server (its cookie, session key shared(S', c')),
 * with a vouch Box[vc + vs](vouch_sec -> S') that claims the long-term key @p claimed. */
static size_t make_initiate(uint8_t *body, uint64_t nonce, const uint8_t *claimed,
                            const uint8_t *vc, const uint8_t *vs, const uint8_t *vouch_sec,
                            const uint8_t *meta, size_t mlen)
{
    uint8_t k[32], n[24];
    memcpy(body, "\x08INITIATE", 9);
    memcpy(body + 9, INITIATE_B + 9, 96); /* the cookie */
    be64(body + 105, nonce);
    uint8_t *p = body + 113 + 16;
    memcpy(p, claimed, 32);
    memset(p + 32, 0x33, 16);
    memcpy(p + 48 + 16, vc, 32);
    memcpy(p + 48 + 48, vs, 32);
    nonce24(n, "VOUCH---", 8, p + 32);
    assert_true(mzmtp_crypto_box_beforenm(k, st_pub, vouch_sec));
    assert_true(mzmtp_crypto_box_afternm(p + 48, p + 48 + 16, 64, n, k));
    if (mlen) memcpy(p + 128, meta, mlen);
    assert_true(mzmtp_crypto_box_beforenm(k, st_pub, ct_sec));
    nonce24(n, "CurveZMQINITIATE", 16, body + 105);
    assert_true(mzmtp_crypto_box_afternm(body + 113, p, 128 + mlen, n, k));
    return 113 + 16 + 128 + mlen;
}

/* A READY body from the transcript's server. */
static size_t make_ready(uint8_t *body, uint64_t nonce, const uint8_t *meta, size_t mlen)
{
    uint8_t k[32], n[24];
    memcpy(body, "\x05READY", 6);
    be64(body + 6, nonce);
    memcpy(body + 30, meta, mlen);
    assert_true(mzmtp_crypto_box_beforenm(k, ct_pub, st_sec));
    nonce24(n, "CurveZMQREADY---", 16, body + 6);
    assert_true(mzmtp_crypto_box_afternm(body + 14, body + 30, mlen, n, k));
    return 14 + 16 + mlen;
}

static uint8_t meta_dealer[64], meta_router[64], meta_pub[32], meta_bad[32];
static size_t meta_dealer_len, meta_router_len, meta_pub_len, meta_bad_len;

static void metas(void)
{
    meta_dealer_len = tu_script(META_DEALER, meta_dealer, sizeof meta_dealer);
    meta_router_len = tu_script(META_ROUTER, meta_router, sizeof meta_router);
    meta_pub_len = tu_script(" 0B 'Socket-Type' 00 00 00 03 'PUB' ", meta_pub, sizeof meta_pub);
    /* a property whose value length runs past the command (oversized metadata) */
    meta_bad_len = tu_script(" 0B 'Socket-Type' 7F FF FF FF 'D' ", meta_bad, sizeof meta_bad);
}

static void test_builders_reproduce_the_transcript(void **state)
{
    setup_kat();
    metas();
    uint8_t body[512];
    size_t n = make_initiate(body, 2, c_pub, ct_pub, s_pub, c_sec, meta_dealer, meta_dealer_len);
    TU_ASSERT_BYTES(body, n, INITIATE_B, 292);
    n = make_ready(body, 1, meta_router, meta_router_len);
    TU_ASSERT_BYTES(body, n, READY_B, 65);
}

/* ------------------------------------------------------------ back to back ------- */

typedef struct pair {
    size_t sent_c, sent_s;
    mzmtp_status_t st_c, st_s;
} pair_t;

/* Move what one side wrote to the other, @p rounds times each way. */
static void pair_move(pair_t *p, mzmtp_conn_t *cc, tu_log_t *lc, mzmtp_conn_t *sc, tu_log_t *ls,
                      int rounds, tu_split_t split, uint64_t seed, uint32_t now)
{
    for (int r = 0; r < rounds; r++) {
        if (lc->out_len > p->sent_c && p->st_s == MZMTP_OK) {
            size_t from = p->sent_c;
            p->sent_c = lc->out_len;
            p->st_s = tu_conn_feed(sc, ls, lc->out + from, lc->out_len - from, split, seed + (uint64_t)r, now);
        }
        if (ls->out_len > p->sent_s && p->st_c == MZMTP_OK) {
            size_t from = p->sent_s;
            p->sent_s = ls->out_len;
            p->st_c = tu_conn_feed(cc, lc, ls->out + from, ls->out_len - from, split, seed + 100u + (uint64_t)r, now);
        }
    }
}

static tu_rng_t prng_c, prng_s;

static void random_pair_secs(uint64_t seed)
{
    load_kat();
    client_sec(&sec_c, s_pub, NULL);
    server_sec(&sec_s, NULL, true);
    tu_rng_seed(&prng_c, seed);
    tu_rng_seed(&prng_s, seed ^ 0xA5A5u);
    sec_c.rng = prng_random;
    sec_c.rng_ctx = &prng_c;
    sec_s.rng = prng_random;
    sec_s.rng_ctx = &prng_s;
}

static void client_and_server_engines_complete_in_every_split(void **state)
{
    for (size_t i = 0; i < 3; i++) {
        for (uint64_t seed = 1; seed <= (splits[i] == TU_RANDOM ? 12u : 2u); seed++) {
            random_pair_secs(seed);
            TU_ASSERT_STATUS(start(&conn, &lg, rx, false, 0), MZMTP_OK);
            TU_ASSERT_STATUS(start(&conn2, &lg2, rx2, true, 0), MZMTP_OK);
            tu_conn_drain_output(&conn, &lg);
            tu_conn_drain_output(&conn2, &lg2);
            pair_t p = {0, 0, MZMTP_OK, MZMTP_OK};
            pair_move(&p, &conn, &lg, &conn2, &lg2, 4, splits[i], seed, 0);
            TU_ASSERT_STATUS(p.st_c, MZMTP_OK);
            TU_ASSERT_STATUS(p.st_s, MZMTP_OK);
            assert_int_equal(tu_log_count(&lg, MZMTP_CONN_EV_HANDSHAKE), 1);
            assert_int_equal(tu_log_count(&lg2, MZMTP_CONN_EV_HANDSHAKE), 1);
            TU_ASSERT_BYTES(conn.curve->key, 32, conn2.curve->key, 32);
            assert_false(all_zero(conn.curve->key, 32));
            assert_int_equal(conn.curve->tx_nonce, 2);
            assert_int_equal(conn.curve->rx_nonce, 1);
            assert_int_equal(conn2.curve->tx_nonce, 1);
            assert_int_equal(conn2.curve->rx_nonce, 2);
            assert_int_equal(conn.curve->slot, 0);
            assert_int_equal(conn2.curve->slot, 0);
            assert_true(all_zero(sec_c.hs, sizeof sec_c.hs));
            assert_true(all_zero(sec_s.hs, sizeof sec_s.hs));
            TU_ASSERT_BYTES(auth_key, 32, c_pub, 32);
            /* the bytes on the wire: HELLO 202, INITIATE 301; WELCOME 170, READY 67 */
            assert_int_equal(lg.out_len, 64 + 202 + 301);
            assert_int_equal(lg2.out_len, 64 + 170 + 67);
        }
    }
}

static void client_with_another_server_key_is_closed_by_the_server(void **state)
{
    random_pair_secs(3);
    uint8_t other[32];
    memcpy(other, s_pub, 32);
    other[5] ^= 0x40;
    memcpy(sec_c.server_key, other, 32);
    TU_ASSERT_STATUS(start(&conn, &lg, rx, false, 0), MZMTP_OK);
    TU_ASSERT_STATUS(start(&conn2, &lg2, rx2, true, 0), MZMTP_OK);
    tu_conn_drain_output(&conn, &lg);
    tu_conn_drain_output(&conn2, &lg2);
    pair_t p = {0, 0, MZMTP_OK, MZMTP_OK};
    pair_move(&p, &conn, &lg, &conn2, &lg2, 3, TU_WHOLE, 1, 0);
    /* the HELLO's signature box does not open with s: closed without ERROR */
    TU_ASSERT_STATUS(p.st_s, MZMTP_ERR_CRYPTO);
    TU_ASSERT_BYTES(lg2.out, lg2.out_len, greet_server, 64);
    assert_int_equal(tu_log_count(&lg, MZMTP_CONN_EV_HANDSHAKE), 0);
    assert_int_equal(tu_log_count(&lg2, MZMTP_CONN_EV_HANDSHAKE), 0);
    assert_int_equal(auth_calls, 0);
}

static void client_with_another_server_key_refuses_the_welcome(void **state)
{
    /* The transcript's WELCOME is boxed to the real S: a client that expects another key
     * cannot open it. */
    setup_kat();
    greetings();
    sec_c.server_key[0] ^= 1;
    size_t n = concat(in, greet_peer, 64, welcome_f, sizeof welcome_f, NULL, 0);
    TU_ASSERT_STATUS(run(false, in, n, TU_WHOLE, 0), MZMTP_ERR_CRYPTO);
    assert_int_equal(lg.out_len, 64 + 202); /* its greeting and HELLO, nothing more */
    assert_int_equal(tu_log_count(&lg, MZMTP_CONN_EV_HANDSHAKE), 0);
    assert_true(all_zero(conn.curve, sizeof *conn.curve));
}

/* ------------------------------------------------------------ malformed ---------- */

typedef enum { OUT_GREETING, OUT_HELLO, OUT_WELCOME, OUT_INITIATE, OUT_ERROR_400 } out_t;

typedef struct bad_row {
    const char *name;
    bool server;
    size_t in_len;
    mzmtp_status_t status;
    out_t out;
} bad_row_t;

static uint8_t rows_in[64][1024];
static bad_row_t rows[64];
static size_t nrows;

static tu_buf_t row(const char *name, bool server, mzmtp_status_t st, out_t out)
{
    assert_true(nrows < 64);
    rows[nrows] = (bad_row_t){name, server, 0, st, out};
    tu_buf_t b = {rows_in[nrows], 0, sizeof rows_in[0]};
    nrows++;
    return b;
}
#define END_ROW(b) (rows[nrows - 1].in_len = (b).len)

static void put_cmd(tu_buf_t *b, const uint8_t *body, size_t len) { tu_put_frame(b, 0x04, body, len); }

/* Put the command @p cmd of @p len bytes with its byte @p off set to @p val (@p off ==
 * @p len: one byte @p val appended). */
static void put_cmd_set(tu_buf_t *b, const uint8_t *cmd, size_t len, size_t off, uint8_t val)
{
    uint8_t tmp[1024];
    assert_true(off <= len && len < sizeof tmp);
    memcpy(tmp, cmd, len);
    tmp[off] = val;
    put_cmd(b, tmp, off == len ? len + 1 : len);
}

/* Put the command @p cmd of @p len bytes with the low bit of its byte @p off flipped. */
static void put_cmd_flip(tu_buf_t *b, const uint8_t *cmd, size_t len, size_t off)
{
    put_cmd_set(b, cmd, len, off, (uint8_t)(cmd[off] ^ 1u));
}

/* A row whose input starts as a well-behaved peer's would at that point of the handshake:
 * its greeting, then the command that our answer @p out replies to (HELLO before our
 * WELCOME, WELCOME before our INITIATE). */
static tu_buf_t row_at(const char *name, bool server, mzmtp_status_t st, out_t out)
{
    tu_buf_t b = row(name, server, st, out);
    tu_put(&b, greet_peer, 64);
    if (out == OUT_WELCOME) tu_put(&b, hello_f, sizeof hello_f);
    if (out == OUT_INITIATE) tu_put(&b, welcome_f, sizeof welcome_f);
    return b;
}

static void build_rows(void)
{
    uint8_t body[1024];
    size_t n;
    tu_buf_t b;
    nrows = 0;
    metas();
    greetings();

    /* ---- server: HELLO ---- */
    b = row("server: NULL greeting (a NULL client)", true, MZMTP_ERR_MECHANISM, OUT_GREETING);
    tu_put_greeting(&b, 3, 1, "NULL");
    END_ROW(b);
    b = row("server: PLAIN greeting", true, MZMTP_ERR_MECHANISM, OUT_GREETING);
    tu_put_greeting(&b, 3, 1, "PLAIN");
    END_ROW(b);
    b = row("server: 'curve' in lower case", true, MZMTP_ERR_MECHANISM, OUT_GREETING);
    tu_put_greeting(&b, 3, 1, "curve");
    END_ROW(b);
    b = row_at("server: HELLO of 199 bytes", true, MZMTP_ERR_PROTOCOL, OUT_GREETING);
    put_cmd(&b, HELLO_B, 199);
    END_ROW(b);
    b = row_at("server: HELLO of 201 bytes", true, MZMTP_ERR_PROTOCOL, OUT_GREETING);
    put_cmd_set(&b, HELLO_B, 200, 200, 0);
    END_ROW(b);
    b = row_at("server: HELLO version 2.0", true, MZMTP_ERR_PROTOCOL, OUT_GREETING);
    put_cmd_set(&b, HELLO_B, 200, 6, 2);
    END_ROW(b);
    b = row_at("server: HELLO version 1.1", true, MZMTP_ERR_PROTOCOL, OUT_GREETING);
    put_cmd_set(&b, HELLO_B, 200, 7, 1);
    END_ROW(b);
    static const struct { const char *name; size_t off; } hello_flips[] = {
        {"server: HELLO with a byte of C' flipped", 90},
        {"server: HELLO with its short nonce changed", 119},
        {"server: HELLO with the signature box's MAC flipped", 125},
        {"server: HELLO with the signature box's last byte flipped", 199},
    };
    for (size_t i = 0; i < sizeof hello_flips / sizeof hello_flips[0]; i++) {
        b = row_at(hello_flips[i].name, true, MZMTP_ERR_CRYPTO, OUT_GREETING);
        put_cmd_flip(&b, HELLO_B, 200, hello_flips[i].off);
        END_ROW(b);
    }
    b = row_at("server: data frame before HELLO", true, MZMTP_ERR_PROTOCOL, OUT_GREETING);
    tu_put_hex(&b, "00 02 'hi'");
    END_ROW(b);
    b = row_at("server: MESSAGE command before HELLO", true, MZMTP_ERR_PROTOCOL, OUT_GREETING);
    tu_put_hex(&b, "04 21 07 'MESSAGE' 00*25");
    END_ROW(b);
    b = row_at("server: READY instead of HELLO (a NULL peer's habit)", true, MZMTP_ERR_PROTOCOL, OUT_GREETING);
    tu_put_hex(&b, "04 06 05 'READY'");
    END_ROW(b);
    b = row_at("server: INITIATE before HELLO", true, MZMTP_ERR_PROTOCOL, OUT_GREETING);
    tu_put(&b, initiate_f, sizeof initiate_f);
    END_ROW(b);
    b = row_at("server: ERROR from the client", true, MZMTP_ERR_PEER_ERROR, OUT_GREETING);
    tu_put_hex(&b, "04 0A 05 'ERROR' 03 '400'");
    END_ROW(b);

    /* ---- server: INITIATE ---- */
    b = row_at("server: two HELLOs", true, MZMTP_ERR_PROTOCOL, OUT_WELCOME);
    tu_put(&b, hello_f, sizeof hello_f);
    END_ROW(b);
    b = row_at("server: data frame between WELCOME and INITIATE", true, MZMTP_ERR_PROTOCOL, OUT_WELCOME);
    tu_put_hex(&b, "00 02 'hi'");
    END_ROW(b);
    b = row_at("server: INITIATE of 256 bytes", true, MZMTP_ERR_PROTOCOL, OUT_WELCOME);
    put_cmd(&b, INITIATE_B, 256);
    END_ROW(b);
    b = row_at("server: INITIATE larger than the receive buffer", true, MZMTP_ERR_MSG_SIZE, OUT_WELCOME);
    tu_put_hex(&b, "06 00 00 00 00 00 01 00 00 08 'INITIATE'");
    END_ROW(b);
    static const struct { const char *name; size_t off; } init_flips[] = {
        {"server: INITIATE with its cookie's nonce changed", 12},
        {"server: INITIATE with its cookie box flipped", 60},
        {"server: INITIATE with its short nonce changed", 112},
        {"server: INITIATE with its box's MAC flipped", 120},
        {"server: INITIATE with its box's last byte flipped", 291},
    };
    for (size_t i = 0; i < sizeof init_flips / sizeof init_flips[0]; i++) {
        b = row_at(init_flips[i].name, true, MZMTP_ERR_CRYPTO, OUT_WELCOME);
        put_cmd_flip(&b, INITIATE_B, 292, init_flips[i].off);
        END_ROW(b);
    }
    uint8_t other_c[32];
    memcpy(other_c, ct_pub, 32);
    other_c[0] ^= 1;
    uint8_t other_s[32];
    memcpy(other_s, s_pub, 32);
    other_s[31] ^= 0x10;
    uint8_t other_sec[32];
    memcpy(other_sec, c_sec, 32);
    other_sec[3] ^= 1;
    static const char *vouch_names[] = {
        "server: INITIATE whose vouch holds another C'",
        "server: INITIATE whose vouch holds another S",
        "server: INITIATE whose vouch is boxed with another long-term key",
        "server: INITIATE whose short nonce is the HELLO's (1)",
        "server: INITIATE whose short nonce is 0",
    };
    for (size_t i = 0; i < 5; i++) {
        b = row_at(vouch_names[i], true, MZMTP_ERR_CRYPTO, OUT_WELCOME);
        n = make_initiate(body, i == 3 ? 1 : i == 4 ? 0 : 2, c_pub, i == 0 ? other_c : ct_pub,
                          i == 1 ? other_s : s_pub, i == 2 ? other_sec : c_sec, meta_dealer,
                          meta_dealer_len);
        put_cmd(&b, body, n);
        END_ROW(b);
    }
    b = row_at("server: INITIATE with oversized metadata", true, MZMTP_ERR_PROTOCOL, OUT_WELCOME);
    n = make_initiate(body, 2, c_pub, ct_pub, s_pub, c_sec, meta_bad, meta_bad_len);
    put_cmd(&b, body, n);
    END_ROW(b);

    /* ---- client ---- */
    b = row("client: NULL greeting", false, MZMTP_ERR_MECHANISM, OUT_HELLO);
    tu_put_greeting(&b, 3, 1, "NULL");
    END_ROW(b);
    b = row_at("client: a HELLO (two clients)", false, MZMTP_ERR_PROTOCOL, OUT_HELLO);
    tu_put(&b, hello_f, sizeof hello_f);
    END_ROW(b);
    b = row_at("client: WELCOME of 167 bytes", false, MZMTP_ERR_PROTOCOL, OUT_HELLO);
    put_cmd(&b, WELCOME_B, 167);
    END_ROW(b);
    b = row_at("client: WELCOME of 169 bytes", false, MZMTP_ERR_PROTOCOL, OUT_HELLO);
    put_cmd_set(&b, WELCOME_B, 168, 168, 0);
    END_ROW(b);
    b = row_at("client: WELCOME with its long nonce changed", false, MZMTP_ERR_CRYPTO, OUT_HELLO);
    put_cmd_flip(&b, WELCOME_B, 168, 9);
    END_ROW(b);
    b = row_at("client: WELCOME with its box flipped", false, MZMTP_ERR_CRYPTO, OUT_HELLO);
    put_cmd_flip(&b, WELCOME_B, 168, 100);
    END_ROW(b);
    b = row_at("client: READY before WELCOME", false, MZMTP_ERR_PROTOCOL, OUT_HELLO);
    tu_put(&b, ready_f, sizeof ready_f);
    END_ROW(b);
    b = row_at("client: ERROR before WELCOME", false, MZMTP_ERR_AUTH, OUT_HELLO);
    tu_put_hex(&b, "04 0A 05 'ERROR' 03 '400'");
    END_ROW(b);
    b = row_at("client: data frame before WELCOME", false, MZMTP_ERR_PROTOCOL, OUT_HELLO);
    tu_put_hex(&b, "00 02 'hi'");
    END_ROW(b);
    b = row_at("client: two WELCOMEs", false, MZMTP_ERR_PROTOCOL, OUT_INITIATE);
    tu_put(&b, welcome_f, sizeof welcome_f);
    END_ROW(b);
    b = row_at("client: ERROR after INITIATE (the server's authenticator said no)", false,
            MZMTP_ERR_AUTH, OUT_INITIATE);
    tu_put_hex(&b, "04 0A 05 'ERROR' 03 '400'");
    END_ROW(b);
    b = row_at("client: data frame before READY", false, MZMTP_ERR_PROTOCOL, OUT_INITIATE);
    tu_put_hex(&b, "00 02 'hi'");
    END_ROW(b);
    b = row_at("client: READY of 29 bytes", false, MZMTP_ERR_PROTOCOL, OUT_INITIATE);
    put_cmd(&b, READY_B, 29);
    END_ROW(b);
    b = row_at("client: READY with its box flipped", false, MZMTP_ERR_CRYPTO, OUT_INITIATE);
    put_cmd_flip(&b, READY_B, 65, 40);
    END_ROW(b);
    b = row_at("client: READY with its short nonce changed", false, MZMTP_ERR_CRYPTO, OUT_INITIATE);
    put_cmd_set(&b, READY_B, 65, 13, 2);
    END_ROW(b);
    b = row_at("client: READY with short nonce 0 (not above the last one)", false, MZMTP_ERR_CRYPTO,
            OUT_INITIATE);
    n = make_ready(body, 0, meta_router, meta_router_len);
    put_cmd(&b, body, n);
    END_ROW(b);
    b = row_at("client: READY with oversized metadata", false, MZMTP_ERR_PROTOCOL, OUT_INITIATE);
    n = make_ready(body, 1, meta_bad, meta_bad_len);
    put_cmd(&b, body, n);
    END_ROW(b);
}

static void malformed_input_table(void **state)
{
    setup_kat();
    build_rows();
    for (size_t r = 0; r < nrows; r++) {
        for (size_t i = 0; i < 3; i++) {
            setup_kat();
            mzmtp_status_t st = run(rows[r].server, rows_in[r], rows[r].in_len, splits[i], r + 1);
            if (st != rows[r].status) {
                fail_msg("row '%s' split %zu: %s, expected %s", rows[r].name, i,
                         mzmtp_status_str(st), mzmtp_status_str(rows[r].status));
            }
            size_t w = 0;
            const uint8_t *g = rows[r].server ? greet_server : greet_client;
            switch (rows[r].out) {
            case OUT_GREETING: w = concat(want, g, 64, NULL, 0, NULL, 0); break;
            case OUT_HELLO: w = concat(want, g, 64, hello_f, sizeof hello_f, NULL, 0); break;
            case OUT_WELCOME: w = concat(want, g, 64, welcome_f, sizeof welcome_f, NULL, 0); break;
            case OUT_INITIATE:
                w = concat(want, g, 64, hello_f, sizeof hello_f, initiate_f, sizeof initiate_f);
                break;
            case OUT_ERROR_400: break;
            }
            if (lg.out_len != w || memcmp(lg.out, want, w) != 0) {
                fail_msg("row '%s' split %zu: wrote %zu bytes, expected %zu", rows[r].name, i,
                         lg.out_len, w);
            }
            assert_int_equal(tu_log_count(&lg, MZMTP_CONN_EV_HANDSHAKE), 0);
            assert_int_equal(tu_log_count(&lg, MZMTP_CONN_EV_MESSAGE), 0);
            assert_int_equal(mzmtp_conn_state(&conn), MZMTP_CONN_DEAD);
            /* a failed handshake leaves no key behind once the engine is wiped (the
             * mechanism's own refusals wipe at once; the engine's, at close) */
            if (rows[r].status == MZMTP_ERR_CRYPTO) assert_true(all_zero(conn.curve, sizeof *conn.curve));
            mzmtp_conn_wipe(&conn);
            assert_true(all_zero(conn.curve, sizeof *conn.curve));
        }
    }
}

static void data_frame_in_the_middle_of_the_handshake_is_refused(void **state)
{
    /* A data frame that arrives after HELLO (server) or WELCOME (client) was handled (one
     * in the same batch as that command: malformed_input_table). */
    greetings();
    for (int server = 0; server < 2; server++) {
        setup_kat();
        size_t n = concat(in, greet_peer, 64, server ? hello_f : welcome_f,
                          server ? sizeof hello_f : sizeof welcome_f, NULL, 0);
        TU_ASSERT_STATUS(run(server, in, n, TU_WHOLE, 0), MZMTP_OK);
        size_t before = lg.out_len;
        TU_ASSERT_STATUS(tu_conn_feed(&conn, &lg, (const uint8_t *)"\x00\x02hi", 4, TU_WHOLE, 0, 0),
                         MZMTP_ERR_PROTOCOL);
        assert_int_equal(lg.out_len, before); /* closed without ERROR */
        assert_int_equal(tu_log_count(&lg, MZMTP_CONN_EV_HANDSHAKE), 0);
        assert_int_equal(tu_log_count(&lg, MZMTP_CONN_EV_MESSAGE), 0);
        mzmtp_conn_wipe(&conn);
        assert_true(all_zero(conn.curve, sizeof *conn.curve));
    }
}

static void incompatible_socket_type_in_initiate_is_refused_with_error(void **state)
{
    /* the same outcome as NULL and PLAIN (RFC 37 "Invalid socket type") */
    setup_kat();
    metas();
    greetings();
    uint8_t body[512];
    size_t n = make_initiate(body, 2, c_pub, ct_pub, s_pub, c_sec, meta_pub, meta_pub_len);
    tu_buf_t b = TU_BUF(in);
    tu_put(&b, greet_peer, 64);
    tu_put(&b, hello_f, sizeof hello_f);
    put_cmd(&b, body, n);
    TU_ASSERT_STATUS(run(true, in, b.len, TU_WHOLE, 0), MZMTP_ERR_SOCKET_TYPE);
    tu_buf_t w = TU_BUF(want);
    tu_put(&w, greet_server, 64);
    tu_put(&w, welcome_f, sizeof welcome_f);
    tu_put_hex(&w, "04 1A 05 'ERROR' 13 'Invalid socket type'");
    TU_ASSERT_BYTES(lg.out, lg.out_len, want, w.len);
    assert_int_equal(tu_log_count(&lg, MZMTP_CONN_EV_HANDSHAKE), 0);
}

/* ------------------------------------------------------------ authenticator ------ */

static void denied_client_gets_error_and_delivers_nothing(void **state)
{
    static const struct { unsigned code; const char *error; } cases[] = {
        {400, "04 0A 05 'ERROR' 03 '400'"}, {500, "04 0A 05 'ERROR' 03 '500'"}, {300, ""}};
    greetings();
    for (size_t k = 0; k < 3; k++) {
        for (size_t i = 0; i < 3; i++) {
            setup_kat();
            auth_status = cases[k].code;
            tu_buf_t b = TU_BUF(in);
            tu_put(&b, greet_peer, 64);
            tu_put(&b, hello_f, sizeof hello_f);
            tu_put(&b, initiate_f, sizeof initiate_f);
            /* what a client would send at once after INITIATE: none of it may count */
            tu_put_hex(&b, "00 02 'hi' 04 0A 09 'SUBSCRIBE' 'A'");
            TU_ASSERT_STATUS(run(true, in, b.len, splits[i], 5), MZMTP_ERR_AUTH);
            tu_buf_t w = TU_BUF(want);
            tu_put(&w, greet_server, 64);
            tu_put(&w, welcome_f, sizeof welcome_f);
            tu_put_hex(&w, cases[k].error); /* 300: closed without ERROR (wire-notes N6) */
            TU_ASSERT_BYTES(lg.out, lg.out_len, want, w.len);
            assert_int_equal(auth_calls, 1);
            TU_ASSERT_BYTES(auth_key, 32, c_pub, 32);
            assert_int_equal(tu_log_count(&lg, MZMTP_CONN_EV_HANDSHAKE), 0);
            assert_int_equal(tu_log_count(&lg, MZMTP_CONN_EV_MESSAGE), 0);
            assert_int_equal(tu_log_count(&lg, MZMTP_CONN_EV_SUBSCRIBE), 0);
            assert_true(all_zero(conn.curve, sizeof *conn.curve));
        }
    }
}

static void server_without_authenticator_accepts_any_key(void **state)
{
    /* wire-notes C10: libzmq without ZAP */
    greetings();
    setup_kat();
    sec_s.auth = NULL;
    size_t n = concat(in, greet_peer, 64, hello_f, sizeof hello_f, initiate_f, sizeof initiate_f);
    TU_ASSERT_STATUS(run(true, in, n, TU_WHOLE, 0), MZMTP_OK);
    assert_int_equal(tu_log_count(&lg, MZMTP_CONN_EV_HANDSHAKE), 1);
}

static void client_told_error_reports_reason(void **state)
{
    greetings();
    setup_kat();
    size_t n = concat(in, greet_peer, 64, welcome_f, sizeof welcome_f, NULL, 0);
    tu_buf_t b = {in, n, sizeof in};
    tu_put_hex(&b, "04 0A 05 'ERROR' 03 '500'");
    TU_ASSERT_STATUS(run(false, in, b.len, TU_BYTEWISE, 0), MZMTP_ERR_AUTH);
    const tu_event_t *e = tu_log_nth(&lg, MZMTP_CONN_EV_ERROR, 0);
    assert_non_null(e);
    TU_ASSERT_BYTES(tu_ev_data(&lg, e), e->len, "500", 3);
    assert_int_equal(tu_log_count(&lg, MZMTP_CONN_EV_HANDSHAKE), 0);
}

/* --------------------------------------------------------- the handshake slots -- */

/* Feed bytes and process them without writing any output: what the engine builds stays
 * queued (in its handshake slot). @return the last status of mzmtp_conn_process(). */
static mzmtp_status_t feed_no_output(mzmtp_conn_t *c, const uint8_t *b, size_t n)
{
    size_t took;
    mzmtp_conn_input(c, b, n, 0, &took);
    assert_int_equal(took, n);
    mzmtp_conn_event_t ev;
    mzmtp_status_t st;
    while ((st = mzmtp_conn_process(c, 0, &ev)) == MZMTP_OK) {
    }
    return st;
}

static mzmtp_conn_t pool_conn[MZMTP_CONF_CURVE_HANDSHAKES + 1];
static tu_log_t pool_log[MZMTP_CONF_CURVE_HANDSHAKES + 1];
static uint8_t pool_rx[MZMTP_CONF_CURVE_HANDSHAKES + 1][1024];

static mzmtp_status_t pool_start(unsigned i, bool server)
{
    tu_log_init(&pool_log[i]);
    mzmtp_conn_opts_t o = tu_conn_opts();
    o.sec = server ? &sec_s : &sec_c;
    return tu_conn_init(&pool_conn[i], server ? MZMTP_ROUTER : MZMTP_DEALER, &o, pool_rx[i],
                           sizeof pool_rx[i], NULL, 0, 0);
}

static void a_server_beyond_its_handshake_slots_closes_the_peer(void **state)
{
    (void)state;
    const unsigned N = MZMTP_CONF_CURVE_HANDSHAKES;
    static tu_rng_t r;
    greetings();
    setup_kat();
    tu_rng_seed(&r, 5);
    sec_s.rng = prng_random;
    sec_s.rng_ctx = &r;
    size_t n = concat(in, greet_peer, 64, hello_f, sizeof hello_f, NULL, 0);
    /* N peers' HELLOs answered, their WELCOMEs not yet written: every slot is held */
    for (unsigned i = 0; i < N; i++) {
        TU_ASSERT_STATUS(pool_start(i, true), MZMTP_OK);
        TU_ASSERT_STATUS(feed_no_output(&pool_conn[i], in, n), MZMTP_AGAIN);
        assert_int_equal(pool_conn[i].curve->slot, i + 1);
        assert_true(mzmtp_conn_has_output(&pool_conn[i]));
    }
    /* one more: closed with MZMTP_ERR_NO_MEMORY; it sends its greeting, no WELCOME and
     * no ERROR (as for a HELLO it could not answer), and holds nothing */
    TU_ASSERT_STATUS(pool_start(N, true), MZMTP_OK);
    TU_ASSERT_STATUS(feed_no_output(&pool_conn[N], in, n), MZMTP_ERR_NO_MEMORY);
    assert_int_equal(mzmtp_conn_state(&pool_conn[N]), MZMTP_CONN_DEAD);
    tu_conn_drain_output(&pool_conn[N], &pool_log[N]);
    TU_ASSERT_BYTES(pool_log[N].out, pool_log[N].out_len, greet_server, 64);
    assert_int_equal(pool_conn[N].curve->slot, 0);
    /* the first WELCOME written: its slot goes back, wiped, and the next peer is served */
    tu_conn_drain_output(&pool_conn[0], &pool_log[0]);
    assert_int_equal(pool_log[0].out_len, 64 + sizeof welcome_f);
    assert_int_equal(pool_conn[0].curve->slot, 0);
    assert_true(all_zero(&sec_s.hs[0], sizeof sec_s.hs[0]));
    TU_ASSERT_STATUS(pool_start(N, true), MZMTP_OK);
    TU_ASSERT_STATUS(feed_no_output(&pool_conn[N], in, n), MZMTP_AGAIN);
    assert_int_equal(pool_conn[N].curve->slot, 1);
    tu_conn_drain_output(&pool_conn[N], &pool_log[N]);
    assert_int_equal(pool_log[N].out_len, 64 + sizeof welcome_f);
    TU_ASSERT_BYTES(pool_log[N].out + 64, 8, welcome_f, 8); /* a WELCOME */
    for (unsigned i = 0; i <= N; i++) mzmtp_conn_wipe(&pool_conn[i]);
    assert_true(all_zero(sec_s.hs, sizeof sec_s.hs));
}

static void a_client_beyond_its_handshake_slots_does_not_start(void **state)
{
    (void)state;
    const unsigned N = MZMTP_CONF_CURVE_HANDSHAKES;
    static tu_rng_t r;
    setup_kat();
    tu_rng_seed(&r, 6);
    sec_c.rng = prng_random;
    sec_c.rng_ctx = &r;
    for (unsigned i = 0; i < N; i++) {
        TU_ASSERT_STATUS(pool_start(i, false), MZMTP_OK); /* HELLO queued in slot i */
        assert_int_equal(pool_conn[i].curve->slot, i + 1);
    }
    TU_ASSERT_STATUS(pool_start(N, false), MZMTP_ERR_NO_MEMORY);
    /* a connection that ends gives its slot back (wiped) */
    mzmtp_conn_wipe(&pool_conn[0]);
    assert_true(all_zero(&sec_c.hs[0], sizeof sec_c.hs[0]));
    TU_ASSERT_STATUS(pool_start(N, false), MZMTP_OK);
    assert_int_equal(pool_conn[N].curve->slot, 1);
    tu_conn_drain_output(&pool_conn[N], &pool_log[N]);
    assert_int_equal(pool_log[N].out_len, 64 + sizeof hello_f);
    for (unsigned i = 0; i <= N; i++) mzmtp_conn_wipe(&pool_conn[i]);
    assert_true(all_zero(sec_c.hs, sizeof sec_c.hs));
}

/* ------------------------------------------------------------ the server's memory -- */

static void server_keeps_no_secret_between_welcome_and_initiate(void **state)
{
    greetings();
    setup_kat();
    size_t n = concat(in, greet_peer, 64, hello_f, sizeof hello_f, NULL, 0);
    TU_ASSERT_STATUS(run(true, in, n, TU_WHOLE, 0), MZMTP_OK);
    TU_ASSERT_BYTES(lg.out + 64, lg.out_len - 64, welcome_f, sizeof welcome_f);
    /* Nothing but the cookie's long nonce and the HELLO's short nonce (24 public bytes
     * that tie the INITIATE to this connection): no key, no s'. */
    const mzmtp_curve_state_t *cs = conn.curve;
    assert_true(all_zero(cs->key, 32));
    assert_int_equal(cs->tx_nonce, 0);
    assert_int_equal(cs->rx_nonce, 0);
    TU_ASSERT_HEX(cs->cookie_nonce, 16, "22*16");
    TU_ASSERT_HEX(cs->hello_nonce, 8, "00*7 01");
    /* the WELCOME written, its handshake slot is back in the pool, wiped: a server
     * holds no slot while it waits for INITIATE */
    assert_int_equal(cs->slot, 0);
    assert_true(all_zero(sec_s.hs, sizeof sec_s.hs));
    /* s' and the HELLO's shared key appear nowhere in the engine or the socket's settings */
    uint8_t k[32];
    assert_true(mzmtp_crypto_box_beforenm(k, ct_pub, s_sec));
    assert_false(tu_contains((const uint8_t *)&conn, sizeof conn, st_sec, 32));
    assert_false(tu_contains((const uint8_t *)&conn, sizeof conn, k, 32));
    assert_false(tu_contains((const uint8_t *)&sec_s, sizeof sec_s, st_sec, 32));
    assert_false(tu_contains((const uint8_t *)&sec_s, sizeof sec_s, k, 32));
    /* the INITIATE then completes it from the cookie alone */
    TU_ASSERT_STATUS(tu_conn_feed(&conn, &lg, initiate_f, sizeof initiate_f, TU_WHOLE, 0, 0), MZMTP_OK);
    assert_int_equal(tu_log_count(&lg, MZMTP_CONN_EV_HANDSHAKE), 1);
}

static void initiate_replayed_on_another_connection_is_refused(void **state)
{
    /* An eavesdropper replays a client's HELLO and INITIATE on a new connection while the
     * cookie key still lives: the new WELCOME carries another cookie, so the old
     * INITIATE does not belong here (wire-notes C16). */
    greetings();
    setup_kat();
    size_t n = concat(in, greet_peer, 64, hello_f, sizeof hello_f, initiate_f, sizeof initiate_f);
    TU_ASSERT_STATUS(run(true, in, n, TU_WHOLE, 0), MZMTP_OK);
    assert_int_equal(tu_log_count(&lg, MZMTP_CONN_EV_HANDSHAKE), 1);
    /* the second connection's random bytes: s'', WELCOME and cookie nonces */
    stream_set(&rng_s, " 44*32 55*16 66*16 ");
    TU_ASSERT_STATUS(start(&conn2, &lg2, rx2, true, 10), MZMTP_OK);
    TU_ASSERT_STATUS(tu_conn_feed(&conn2, &lg2, in, n, TU_WHOLE, 0, 10), MZMTP_ERR_CRYPTO);
    assert_int_equal(tu_log_count(&lg2, MZMTP_CONN_EV_HANDSHAKE), 0);
    assert_int_equal(lg2.out_len, 64 + 170); /* its greeting and WELCOME; no ERROR */
    assert_int_equal(auth_calls, 1);
}

/* ------------------------------------------------------------ cookie keys -------- */

#define T MZMTP_CONF_CURVE_COOKIE_MS

/* Client engine @p cc and server engine @p sc, both started at @p t0; the HELLO reaches
 * the server and the WELCOME the client at @p t0. The INITIATE waits in the client's log. */
static void up_to_initiate(mzmtp_conn_t *cc, tu_log_t *lc, uint8_t *crx, mzmtp_conn_t *sc,
                           tu_log_t *ls, uint8_t *srx, pair_t *p, uint32_t t0)
{
    TU_ASSERT_STATUS(start(cc, lc, crx, false, t0), MZMTP_OK);
    TU_ASSERT_STATUS(start(sc, ls, srx, true, t0), MZMTP_OK);
    tu_conn_drain_output(cc, lc);
    tu_conn_drain_output(sc, ls);
    *p = (pair_t){0, 0, MZMTP_OK, MZMTP_OK};
    pair_move(p, cc, lc, sc, ls, 1, TU_WHOLE, 1, t0);
    assert_int_equal(lc->out_len, 64 + 202 + 301);
}

static uint8_t crx1[4096], crx2[4096], crx3[4096], srx1[4096], srx2[4096], srx3[4096];
static mzmtp_conn_t cl1, cl2, cl3;
static tu_log_t lc1, lc2, lc3;

static void cookie_from_the_previous_key_is_accepted(void **state)
{
    uint32_t t0 = 0xFFFFF000u; /* the clock wraps in the middle */
    random_pair_secs(11);
    pair_t a, b;
    up_to_initiate(&cl1, &lc1, crx1, &conn, &lg, srx1, &a, t0); /* key 1 made at t0 */
    assert_int_equal(sec_s.cookie_valid, 1);
    up_to_initiate(&cl2, &lc2, crx2, &conn2, &lg2, srx2, &b, t0 + T - 1); /* still key 1 */
    assert_int_equal(sec_s.cookie_valid, 1);
    up_to_initiate(&cl3, &lc3, crx3, &conn3, &lg3, srx3, &b, t0 + T); /* key 2 */
    assert_int_equal(sec_s.cookie_valid, 3);
    /* the first client's INITIATE, under key 1 (now the previous key), at t0 + T + 1 */
    pair_move(&a, &cl1, &lc1, &conn, &lg, 2, TU_WHOLE, 1, t0 + T + 1);
    TU_ASSERT_STATUS(a.st_s, MZMTP_OK);
    TU_ASSERT_STATUS(a.st_c, MZMTP_OK);
    assert_int_equal(tu_log_count(&lg, MZMTP_CONN_EV_HANDSHAKE), 1);
    assert_int_equal(tu_log_count(&lc1, MZMTP_CONN_EV_HANDSHAKE), 1);
}

static void cookie_from_two_keys_ago_is_refused(void **state)
{
    uint32_t t0 = 5000;
    random_pair_secs(12);
    pair_t a, b;
    up_to_initiate(&cl1, &lc1, crx1, &conn, &lg, srx1, &a, t0);         /* key 1 */
    up_to_initiate(&cl2, &lc2, crx2, &conn2, &lg2, srx2, &b, t0 + T);   /* key 2 */
    up_to_initiate(&cl3, &lc3, crx3, &conn3, &lg3, srx3, &b, t0 + 2 * T); /* key 3 replaces 1 */
    pair_move(&a, &cl1, &lc1, &conn, &lg, 2, TU_WHOLE, 1, t0 + 2 * T);
    TU_ASSERT_STATUS(a.st_s, MZMTP_ERR_CRYPTO);
    assert_int_equal(tu_log_count(&lg, MZMTP_CONN_EV_HANDSHAKE), 0);
    assert_int_equal(lg.out_len, 64 + 170); /* closed without ERROR */
    assert_int_equal(auth_calls, 0);
}

static void cookie_older_than_two_periods_is_refused_even_without_rotation(void **state)
{
    uint32_t t0 = 100;
    random_pair_secs(13);
    pair_t a;
    up_to_initiate(&cl1, &lc1, crx1, &conn, &lg, srx1, &a, t0);
    pair_move(&a, &cl1, &lc1, &conn, &lg, 2, TU_WHOLE, 1, t0 + 2 * T);
    TU_ASSERT_STATUS(a.st_s, MZMTP_ERR_CRYPTO);
    assert_int_equal(tu_log_count(&lg, MZMTP_CONN_EV_HANDSHAKE), 0);
    assert_int_equal(sec_s.cookie_valid, 0); /* the expired key is wiped */
    assert_true(all_zero(sec_s.cookie_key, sizeof sec_s.cookie_key));
    /* one just inside the limit is taken */
    random_pair_secs(14);
    up_to_initiate(&cl1, &lc1, crx1, &conn, &lg, srx1, &a, t0);
    pair_move(&a, &cl1, &lc1, &conn, &lg, 2, TU_WHOLE, 1, t0 + 2 * T - 1);
    TU_ASSERT_STATUS(a.st_s, MZMTP_OK);
    assert_int_equal(tu_log_count(&lg, MZMTP_CONN_EV_HANDSHAKE), 1);
}

/* ------------------------------------------------------------ randomness, keys ---- */

static void no_or_failing_random_source_fails_with_crypto(void **state)
{
    greetings();
    setup_kat();
    sec_c.rng = NULL;
    TU_ASSERT_STATUS(start(&conn, &lg, rx, false, 0), MZMTP_ERR_CRYPTO);
    setup_kat();
    rng_c.fail_now = true;
    TU_ASSERT_STATUS(start(&conn, &lg, rx, false, 0), MZMTP_ERR_CRYPTO);
    /* the client's second draw (the vouch nonce) fails */
    setup_kat();
    rng_c.len = 32;
    size_t n = concat(in, greet_peer, 64, welcome_f, sizeof welcome_f, NULL, 0);
    TU_ASSERT_STATUS(run(false, in, n, TU_WHOLE, 0), MZMTP_ERR_CRYPTO);
    assert_int_equal(lg.out_len, 64 + 202);
    /* a server: each of its four draws */
    for (size_t cut = 0; cut < 4; cut++) {
        static const size_t at[] = {0, 32, 64, 80};
        setup_kat();
        if (cut == 0) sec_s.rng = NULL;
        rng_s.len = at[cut];
        n = concat(in, greet_peer, 64, hello_f, sizeof hello_f, NULL, 0);
        TU_ASSERT_STATUS(run(true, in, n, TU_WHOLE, 0), MZMTP_ERR_CRYPTO);
        TU_ASSERT_BYTES(lg.out, lg.out_len, greet_server, 64);
        assert_false(tu_contains((const uint8_t *)&conn, sizeof conn, st_sec, 32));
    }
}

static void keys_not_set_are_refused_at_start(void **state)
{
    setup_kat();
    memset(sec_c.server_key, 0, 32);
    TU_ASSERT_STATUS(start(&conn, &lg, rx, false, 0), MZMTP_ERR_INVALID);
    setup_kat();
    memset(sec_c.secret_key, 0, 32);
    TU_ASSERT_STATUS(start(&conn, &lg, rx, false, 0), MZMTP_ERR_INVALID);
    setup_kat();
    memset(sec_s.secret_key, 0, 32);
    TU_ASSERT_STATUS(start(&conn, &lg, rx, true, 0), MZMTP_ERR_INVALID);
}

static void keypair_helpers(void **state)
{
    load_kat();
    uint8_t pub[32], sec[32];
    TU_ASSERT_STATUS(mzmtp_curve_public(pub, ct_sec), MZMTP_OK);
    TU_ASSERT_BYTES(pub, 32, ct_pub, 32);
    TU_ASSERT_STATUS(mzmtp_curve_public(pub, c_sec), MZMTP_OK);
    TU_ASSERT_BYTES(pub, 32, c_pub, 32);
    stream_set(&rng_c, ST_SEC);
    TU_ASSERT_STATUS(mzmtp_curve_keypair(pub, sec, stream_random, &rng_c), MZMTP_OK);
    TU_ASSERT_BYTES(sec, 32, st_sec, 32);
    TU_ASSERT_BYTES(pub, 32, st_pub, 32);
    rng_c.fail_now = true;
    TU_ASSERT_STATUS(mzmtp_curve_keypair(pub, sec, stream_random, &rng_c), MZMTP_ERR_CRYPTO);
    assert_true(all_zero(sec, 32));
    TU_ASSERT_STATUS(mzmtp_curve_keypair(pub, sec, NULL, NULL), MZMTP_ERR_CRYPTO);
}

/* ------------------------------------------------------------ sockets ------------ */

MZMTP_SOCKET_MEM_DEFINE(mem_a, 8192, 4096);
MZMTP_SOCKET_MEM_DEFINE(mem_b, 8192, 4096);
static mzmtp_socket_t sa, sb;
static unsigned sock_auth_calls;
static uint8_t sock_auth_key[32];
static char sock_auth_addr[64];
static bool sock_allow;

static void sock_auth(void *ctx, const mzmtp_auth_request_t *req, mzmtp_auth_reply_t *reply)
{
    (void)ctx;
    sock_auth_calls++;
    memcpy(sock_auth_key, req->client_key, 32);
    snprintf(sock_auth_addr, sizeof sock_auth_addr, "%s", req->address);
    reply->status = sock_allow ? 200 : 400;
    memcpy(reply->user_id, "device-7", 8);
    reply->user_id_len = 8;
}

static tu_rng_t sock_rng_a, sock_rng_b;

static void setup_sockets_in(bool allow, const mzmtp_socket_mem_t *ma, const mzmtp_socket_mem_t *mb)
{
    load_kat();
    uint32_t one = 1;
    tu_socket_init(&sa, MZMTP_PULL, ma);
    tu_socket_init(&sb, MZMTP_PUSH, mb);
    tu_rng_seed(&sock_rng_a, 21);
    tu_rng_seed(&sock_rng_b, 22);
    mzmtp_socket_set_random(&sa, prng_random, &sock_rng_a);
    mzmtp_socket_set_random(&sb, prng_random, &sock_rng_b);
    TU_ASSERT_STATUS(mzmtp_socket_setopt(&sa, MZMTP_OPT_CURVE_SERVER, &one, sizeof one), MZMTP_OK);
    /* the server gives only its secret key: the public one is derived */
    TU_ASSERT_STATUS(mzmtp_socket_setopt(&sa, MZMTP_OPT_CURVE_SECRETKEY, s_sec, 32), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_socket_setopt(&sb, MZMTP_OPT_CURVE_SERVERKEY, s_pub, 32), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_socket_setopt(&sb, MZMTP_OPT_CURVE_PUBLICKEY, c_pub, 32), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_socket_setopt(&sb, MZMTP_OPT_CURVE_SECRETKEY, c_sec, 32), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_socket_setopt(&sb, MZMTP_OPT_CURVE_SERVERKEY, s_pub, 31), MZMTP_ERR_INVALID);
    assert_int_equal(mzmtp_socket_mechanism(&sa), MZMTP_MECH_CURVE);
    assert_int_equal(mzmtp_socket_mechanism(&sb), MZMTP_MECH_CURVE);
    mzmtp_socket_set_auth(&sa, sock_auth, NULL);
    sock_auth_calls = 0;
    sock_allow = allow;
}

static void setup_sockets(bool allow) { setup_sockets_in(allow, &mem_a, &mem_b); }

/* Each peer's area of mem->peer_buf as small as mzmtp_socket_peer_buf_bytes() says for a
 * CURVE server and client (with MZMTP_CONF_CURVE_STATE_APART the engine's CURVE state is
 * in it): the handshake and boxed messages work; with one byte less the client's peer is
 * refused when it starts, before any byte goes out. */
static void curve_sockets_work_in_the_peer_areas_their_size_says(void **state)
{
    static uint8_t pa_buf[(size_t)MZMTP_CONF_MAX_PEERS * MZMTP_PEER_BUF_DEFAULT];
    static uint8_t pb_buf[(size_t)MZMTP_CONF_MAX_PEERS * MZMTP_PEER_BUF_DEFAULT];
    mzmtp_socket_mem_t ma = mem_a, mb = mem_b;
    ma.peer_buf = pa_buf;
    ma.peer_buf_bytes = mzmtp_socket_peer_buf_bytes(MZMTP_PULL, 0, 0, MZMTP_MECH_CURVE, true);
    mb.peer_buf = pb_buf;
    mb.peer_buf_bytes = mzmtp_socket_peer_buf_bytes(MZMTP_PUSH, 0, 0, MZMTP_MECH_CURVE, false);
    assert_int_equal(mb.peer_buf_bytes, MZMTP_CMD_MIN + MZMTP_CMD_CURVE_STATE);
    assert_int_equal(ma.peer_buf_bytes, mb.peer_buf_bytes + MZMTP_PEER_BUF_AUTH);
    setup_sockets_in(true, &ma, &mb);
    tu_link_t l;
    tu_connect_sockets(&l, &sa, &sb, 0);
    tu_socket_send_str(&sb, "boxed", MZMTP_OK);
    tu_pump(&l, 1, 0);
    TU_ASSERT_STATUS(l.a.status, MZMTP_OK);
    TU_ASSERT_STATUS(l.b.status, MZMTP_OK);
    uint8_t buf[16];
    size_t len, fl[2];
    unsigned nf;
    TU_ASSERT_STATUS(tu_socket_recv_msg(&sa, buf, sizeof buf, &len, &nf, fl, 2), MZMTP_OK);
    TU_ASSERT_BYTES(buf, len, "boxed", 5);
#if MZMTP_CONF_CURVE_STATE_APART
    mb.peer_buf_bytes -= 1u;
    setup_sockets_in(true, &ma, &mb);
    int pb;
    TU_ASSERT_STATUS(mzmtp_socket_peer_open(&sb, true, &pb), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_socket_peer_start(&sb, pb, 0), MZMTP_ERR_NO_MEMORY);
#endif
}

static void sockets_complete_a_curve_handshake_and_give_user_id(void **state)
{
    setup_sockets(true);
    tu_link_t l;
    tu_connect_sockets_from(&l, &sa, &sb, "[fd00::7]:40112", 0);
    int pa = l.a.peer;
    tu_pump(&l, 1, 0);
    TU_ASSERT_STATUS(l.a.status, MZMTP_OK);
    TU_ASSERT_STATUS(l.b.status, MZMTP_OK);
    assert_int_equal(sock_auth_calls, 1);
    TU_ASSERT_BYTES(sock_auth_key, 32, c_pub, 32);
    assert_string_equal(sock_auth_addr, "[fd00::7]:40112");
    assert_int_equal(mzmtp_socket_peer_count(&sa), 1);
    assert_int_equal(mzmtp_socket_peer_count(&sb), 1);
    const uint8_t *id;
    size_t idl = mzmtp_socket_peer_user_id(&sa, pa, &id);
    TU_ASSERT_BYTES(id, idl, "device-7", 8);
}

static void sockets_exchange_boxed_messages_after_the_handshake(void **state)
{
    setup_sockets(true);
    tu_link_t l;
    tu_connect_sockets(&l, &sa, &sb, 0);
    int pa = l.a.peer, pb = l.b.peer;
    tu_pump(&l, 1, 0);
    assert_int_equal(mzmtp_socket_peer_count(&sa), 1);
    static const size_t sizes_[] = {0, 1, 255, 256, 3000};
    static uint8_t payload[3000], wire_[4096], got[3100];
    for (size_t i = 0; i < sizeof payload; i++) payload[i] = (uint8_t)('a' + i % 23);
    for (size_t k = 0; k < sizeof sizes_ / sizeof sizes_[0]; k++) {
        size_t n = sizes_[k];
        TU_ASSERT_STATUS(mzmtp_socket_send(&sb, payload, n, 0), MZMTP_OK);
        size_t w = tu_socket_take_output(&sb, pb, wire_, sizeof wire_);
        /* one MESSAGE in a data frame (wire-notes C6, C8): name, nonce 3, 4, ..., then a
         * box of flags + data, 33 bytes more than the data; nothing in clear */
        size_t hdr = n + 33 > 255 ? 9 : 2;
        assert_int_equal(w, hdr + 33 + n);
        assert_int_equal(wire_[0], hdr == 9 ? 0x02 : 0x00);
        TU_ASSERT_BYTES(wire_ + hdr, 8, "\x07MESSAGE", 8);
        assert_int_equal(wire_[hdr + 15], 3 + k);
        if (n >= 8) assert_false(tu_contains(wire_, w, payload, 8));
        TU_ASSERT_STATUS(tu_socket_feed(&sa, pa, wire_, w, 0), MZMTP_OK);
        size_t len, fl[4];
        unsigned nf;
        TU_ASSERT_STATUS(tu_socket_recv_msg(&sa, got, sizeof got, &len, &nf, fl, 4), MZMTP_OK);
        assert_int_equal(nf, 1);
        TU_ASSERT_BYTES(got, len, payload, n);
    }
}

static void sockets_denied_key_is_refused_and_nothing_arrives(void **state)
{
    setup_sockets(false);
    tu_expect_handshake_refused(&sa, &sb, MZMTP_ERR_AUTH);
    assert_int_equal(sock_auth_calls, 1);
}

static void socket_close_wipes_keys(void **state)
{
    setup_sockets(true);
    tu_link_t l;
    tu_connect_sockets(&l, &sa, &sb, 0);
    tu_pump(&l, 1, 0);
    assert_int_equal(mzmtp_socket_peer_count(&sa), 1);
    assert_int_not_equal(sa.sec.cookie_valid, 0);
    mzmtp_socket_close(&sa);
    mzmtp_socket_close(&sb);
    assert_true(all_zero(sa.sec.secret_key, 32));
    assert_true(all_zero(sb.sec.secret_key, 32));
    assert_true(all_zero(sa.sec.cookie_key, sizeof sa.sec.cookie_key));
    assert_int_equal(sa.sec.cookie_valid, 0);
    assert_true(all_zero(sa.sec.hs, sizeof sa.sec.hs)); /* the handshake slots, free */
    assert_true(all_zero(sb.sec.hs, sizeof sb.sec.hs));
}

/* A socket closed while its handshakes run keeps its secrets until they end: the client
 * still has to vouch with its long-term key (a message queued before the close must
 * arrive), and the key goes as soon as no handshake needs it. */
static void socket_closed_mid_handshake_keeps_its_key_until_the_handshake_ends(void **state)
{
    setup_sockets(true);
    tu_link_t l;
    tu_connect_sockets(&l, &sa, &sb, 0);
    tu_socket_send_str(&sb, "last words", MZMTP_OK);
    mzmtp_socket_close(&sb);
    assert_false(all_zero(sb.sec.secret_key, 32)); /* the handshake has not run yet */
    tu_pump(&l, 1, 0);
    assert_true(all_zero(sb.sec.secret_key, 32)); /* it ended: gone */
    static uint8_t buf[64];
    size_t len, flen[2];
    unsigned nf;
    TU_ASSERT_STATUS(tu_socket_recv_msg(&sa, buf, sizeof buf, &len, &nf, flen, 2), MZMTP_OK);
    TU_ASSERT_BYTES(buf, len, "last words", 10);
}

static void sizes(void **state)
{
    /* the figures docs/security.md quotes (printed for the report) */
    printf("# sizeof(mzmtp_curve_state_t) = %zu; handshake slot %zu, scratch %zu; CURVE part "
           "of mzmtp_conn_sec_t = %zu\n",
           sizeof(mzmtp_curve_state_t), sizeof(mzmtp_curve_hs_slot_t),
           sizeof(mzmtp_curve_scratch_t),
           sizeof(mzmtp_conn_sec_t) - offsetof(mzmtp_conn_sec_t, public_key));
    /* issue 9: at most 128 B per connection once the handshake is done */
    assert_true(sizeof(mzmtp_curve_state_t) <= 128);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(client_writes_the_transcripts_hello_and_initiate),
        cmocka_unit_test(server_writes_the_transcripts_welcome_and_ready),
        cmocka_unit_test(server_delivers_the_transcripts_message_after_its_handshake),
        cmocka_unit_test(test_builders_reproduce_the_transcript),
        cmocka_unit_test(client_and_server_engines_complete_in_every_split),
        cmocka_unit_test(client_with_another_server_key_is_closed_by_the_server),
        cmocka_unit_test(client_with_another_server_key_refuses_the_welcome),
        cmocka_unit_test(malformed_input_table),
        cmocka_unit_test(data_frame_in_the_middle_of_the_handshake_is_refused),
        cmocka_unit_test(incompatible_socket_type_in_initiate_is_refused_with_error),
        cmocka_unit_test(denied_client_gets_error_and_delivers_nothing),
        cmocka_unit_test(server_without_authenticator_accepts_any_key),
        cmocka_unit_test(client_told_error_reports_reason),
        cmocka_unit_test(a_server_beyond_its_handshake_slots_closes_the_peer),
        cmocka_unit_test(a_client_beyond_its_handshake_slots_does_not_start),
        cmocka_unit_test(server_keeps_no_secret_between_welcome_and_initiate),
        cmocka_unit_test(initiate_replayed_on_another_connection_is_refused),
        cmocka_unit_test(cookie_from_the_previous_key_is_accepted),
        cmocka_unit_test(cookie_from_two_keys_ago_is_refused),
        cmocka_unit_test(cookie_older_than_two_periods_is_refused_even_without_rotation),
        cmocka_unit_test(no_or_failing_random_source_fails_with_crypto),
        cmocka_unit_test(keys_not_set_are_refused_at_start),
        cmocka_unit_test(keypair_helpers),
        cmocka_unit_test(curve_sockets_work_in_the_peer_areas_their_size_says),
        cmocka_unit_test(sockets_complete_a_curve_handshake_and_give_user_id),
        cmocka_unit_test(sockets_exchange_boxed_messages_after_the_handshake),
        cmocka_unit_test(sockets_denied_key_is_refused_and_nothing_arrives),
        cmocka_unit_test(socket_close_wipes_keys),
        cmocka_unit_test(socket_closed_mid_handshake_keeps_its_key_until_the_handshake_ends),
        cmocka_unit_test(sizes),
    };
    return cmocka_run_group_tests_name("curve", tests, NULL, NULL);
}

#else /* CURVE compiled out: it must be refused, not half there */

MZMTP_SOCKET_MEM_DEFINE(mem_a, 4096, 512);
static mzmtp_socket_t sa;

static void curve_options_are_not_supported(void **state)
{
    uint32_t one = 1;
    uint8_t key[32] = {1};
    /* any socket type this build has (single-type profiles have one) */
    int type = 0;
    while (type < MZMTP_SOCKET_TYPE_COUNT && mzmtp_socket_init(&sa, type, &mem_a) != MZMTP_OK) type++;
    assert_true(type < MZMTP_SOCKET_TYPE_COUNT);
    TU_ASSERT_STATUS(mzmtp_socket_setopt(&sa, MZMTP_OPT_CURVE_SERVER, &one, sizeof one), MZMTP_ERR_NOT_SUPPORTED);
    TU_ASSERT_STATUS(mzmtp_socket_setopt(&sa, MZMTP_OPT_CURVE_SECRETKEY, key, 32), MZMTP_ERR_NOT_SUPPORTED);
    TU_ASSERT_STATUS(mzmtp_socket_setopt(&sa, MZMTP_OPT_CURVE_SERVERKEY, key, 32), MZMTP_ERR_NOT_SUPPORTED);
    assert_int_equal(mzmtp_socket_mechanism(&sa), MZMTP_MECH_NULL);
}

static void a_curve_peer_is_refused_by_a_null_engine(void **state)
{
    static uint8_t rx[256], bytes[64];
    static mzmtp_conn_t c;
    static tu_log_t lg;
    tu_log_init(&lg);
    mzmtp_conn_opts_t o = tu_conn_opts();
    TU_ASSERT_STATUS(tu_conn_init(&c, MZMTP_PULL, &o, rx, sizeof rx, NULL, 0, 0), MZMTP_OK);
    tu_buf_t b = TU_BUF(bytes);
    tu_put_greeting(&b, 3, 1, "CURVE");
    TU_ASSERT_STATUS(tu_conn_feed(&c, &lg, bytes, b.len, TU_WHOLE, 0, 0), MZMTP_ERR_MECHANISM);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(curve_options_are_not_supported),
        cmocka_unit_test(a_curve_peer_is_refused_by_a_null_engine),
    };
    return cmocka_run_group_tests_name("curve (compiled out)", tests, NULL, NULL);
}
#endif
