/*
 * The CURVE handshake (RFC 26 CurveZMQ over RFC 25 ZMTP-CURVE; wire-notes C1-C11):
 *   client: HELLO -> (WELCOME) -> INITIATE -> (READY)
 *   server: (HELLO) -> WELCOME -> (INITIATE) -> ask the authenticator -> READY | ERROR
 * MESSAGE, after the handshake, is curve_msg.c's.
 *
 * Keys: C/c, S/s long-term (the socket's options); C'/c', S'/s' transient, one pair per
 * connection. Each side computes each of the three shared keys once:
 *   (C', s)  k_hello: the HELLO signature box and the WELCOME box;
 *   (C', s') the session key (c->curve->key): INITIATE, READY and every MESSAGE;
 *   (C, s')  the vouch.
 *
 * The server keeps no secret between WELCOME and INITIATE (RFC 26 "The WELCOME
 * Command"): s' exists only inside the cookie, secretbox[C' + s'] under the socket's
 * cookie key (rotated, curve.c cookie_*), and comes back with INITIATE. The engine keeps
 * only 24 public bytes in the scratch it has anyway: the cookie's long nonce and the
 * HELLO's short nonce, so that an INITIATE recorded on another connection cannot be
 * replayed on this one within the cookie key's life (which would make us reuse a session
 * key and its nonces: wire-notes C16), and so that its short nonce is checked against
 * the HELLO's (C9).
 *
 * Boxes are built in the command buffer and opened in the receive buffer, in place: the
 * plaintext is written 16 bytes after the box's start and boxed onto it, and a box opens
 * onto its own first byte (mzmtp_crypto.h allows both).
 */
#include <string.h>
#include "mech.h"
#include "../util/mzmtp_util.h"
#include "../crypto/mzmtp_crypto.h"
#include "microzmtp/mzmtp_security.h"

#if MZMTP_CONF_CURVE

#define KEY MZMTP_CRYPTO_KEY_LEN
#define MAC MZMTP_CRYPTO_MAC_LEN
/* Command bodies after the name (RFC 26 "The HELLO Command" ...; wire-notes C1-C5). */
#define HELLO_DATA 194u          /* version 2, padding 72, C' 32, nonce 8, box 80 */
#define WELCOME_DATA 160u        /* long nonce 16, box 144 */
#define COOKIE_LEN 96u           /* long nonce 16, secretbox 80 */
#define INITIATE_MIN (COOKIE_LEN + 8u + MAC + KEY + 16u + 80u) /* then metadata */
#define READY_MIN (8u + MAC)

enum { CURVE_HELLO = 0, CURVE_WELCOME, CURVE_INITIATE, CURVE_READY };

/* ---------------- helpers ---------------- */

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

/* A 24-byte nonce: a prefix (16 bytes before a short nonce, 8 before a long one) and
 * the counter or the long nonce after it (RFC 26 "Nonces"). */
static void make_nonce(uint8_t n[MZMTP_CRYPTO_NONCE_LEN], const char *prefix, size_t plen,
                       const uint8_t *tail)
{
    memcpy(n, prefix, plen);
    memcpy(n + plen, tail, MZMTP_CRYPTO_NONCE_LEN - plen);
}
#define NONCE(n, lit, tail) make_nonce((n), (lit), sizeof(lit) - 1u, (tail))

static bool is_zero(const uint8_t *p, size_t n)
{
    uint8_t d = 0;
    for (size_t i = 0; i < n; i++) d = (uint8_t)(d | p[i]);
    return d == 0;
}

/* Randomness comes only from the socket's source: none, or a failing one, is a failed
 * handshake, never a weaker fallback. */
static bool random_bytes(const mzmtp_conn_sec_t *sec, uint8_t *p, size_t n)
{
    return sec->rng != NULL && sec->rng(sec->rng_ctx, p, n);
}

/* The engine hands commands as pointers into its own receive buffer, which is ours to
 * rewrite while the command runs: recover the writable pointer without a cast. */
static uint8_t *rx_writable(mzmtp_conn_t *c, const uint8_t *data, size_t len)
{
    if (data < c->rx || data > c->rx + c->rx_cap || len > (size_t)(c->rx + c->rx_cap - data)) {
        return NULL;
    }
    return c->rx + (data - c->rx);
}

/* ---------------- handshake slots (mzmtp_conn.h) ---------------- */

static mzmtp_curve_hs_slot_t *slot_of(mzmtp_conn_t *c)
{
    return c->curve->slot != 0 ? &c->opts.sec->hs[c->curve->slot - 1u] : NULL;
}

/* A free slot of the socket's pool for this engine, or NULL (all handshakes busy). */
static mzmtp_curve_hs_slot_t *slot_take(mzmtp_conn_t *c)
{
    mzmtp_conn_sec_t *sec = c->opts.sec;
    for (unsigned i = 0; i < MZMTP_CONF_CURVE_HANDSHAKES; i++) {
        if (sec->hs[i].owner == NULL) {
            sec->hs[i].owner = c;
            sec->hs[i].rd = sec->hs[i].wr = 0;
            c->curve->slot = (uint8_t)(i + 1u);
            return &sec->hs[i];
        }
    }
    return NULL;
}

/* Room for @p need bytes of command at the end of the slot's output. */
static uint8_t *slot_room(mzmtp_curve_hs_slot_t *hs, size_t need)
{
    if (hs->rd == hs->wr) hs->rd = hs->wr = 0;
    return need <= (size_t)(MZMTP_CURVE_HS_OUT - hs->wr) ? hs->out + hs->wr : NULL;
}

void mzmtp_mech_curve_slot_done(mzmtp_conn_t *c)
{
    mzmtp_curve_hs_slot_t *hs = slot_of(c);
    /* A client needs its slot's secrets until it has built INITIATE (step READY); a
     * server needs nothing of it once its WELCOME is built (step INITIATE on). */
    bool needed = !c->opts.sec->server && c->mech_step != CURVE_READY;
    if (hs != NULL && hs->rd == hs->wr && (!needed || c->state == MZMTP_CONN_DEAD)) {
        mzmtp_secure_wipe(hs, sizeof *hs); /* owner NULL: free */
        c->curve->slot = 0;
    }
}

/* Wipe the engine's CURVE state and let go of the scratch and its handshake slot. With
 * @p keep_output (the handshake failed), a command still in the slot (a WELCOME queued
 * before the INITIATE that failed) goes out first, as commands in the engine's own buffer
 * do: the slot's secrets are wiped now, the slot goes back once it is written
 * (mzmtp_mech_curve_slot_done). Slots are found by owner, not only by c->curve->slot: an
 * engine started again without a wipe in between must not keep one forever. */
static void let_go(mzmtp_conn_t *c, bool keep_output)
{
    mzmtp_conn_sec_t *sec = c->opts.sec;
    uint8_t kept = 0;
    if (c->mech == MZMTP_MECH_CURVE && sec != NULL) {
        for (unsigned i = 0; i < MZMTP_CONF_CURVE_HANDSHAKES; i++) {
            mzmtp_curve_hs_slot_t *hs = &sec->hs[i];
            if (hs->owner != c) continue;
            if (keep_output && hs->rd < hs->wr) {
                mzmtp_secure_wipe(hs->cn_secret, KEY);
                mzmtp_secure_wipe(hs->cn_public, KEY);
                mzmtp_secure_wipe(hs->k_hello, KEY);
                kept = (uint8_t)(i + 1u);
            } else {
                mzmtp_secure_wipe(hs, sizeof *hs); /* owner NULL: free */
            }
        }
        if (sec->tx.owner == c) sec->tx.owner = NULL;
    }
#if MZMTP_CONF_CURVE_STATE_APART
    if (c->curve == NULL) return; /* never a CURVE engine: no state */
#endif
    mzmtp_secure_wipe(c->curve, sizeof *c->curve);
    c->curve->slot = kept;
}

void mzmtp_mech_curve_forget(mzmtp_conn_t *c)
{
    let_go(c, false);
}

/* The handshake failed: see let_go(). */
static void drop(mzmtp_conn_t *c)
{
    let_go(c, true);
}

static mzmtp_status_t fail(mzmtp_conn_t *c, mzmtp_status_t st)
{
    /* RFC 26 lets the server close silently on a malformed or forged command, and libzmq
     * does (ERROR only for ZAP refusals, wire-notes N6): no ERROR here. */
    drop(c);
    return mzmtp_conn_mech_die(c, st, NULL, 0);
}

/* ---------------- key pairs (mzmtp_security.h) ---------------- */

mzmtp_status_t mzmtp_curve_public(uint8_t *public_key, const uint8_t *secret_key)
{
    if (public_key == NULL || secret_key == NULL || !mzmtp_crypto_init()) return MZMTP_ERR_CRYPTO;
    return mzmtp_crypto_scalarmult_base(public_key, secret_key) ? MZMTP_OK : MZMTP_ERR_CRYPTO;
}

mzmtp_status_t mzmtp_curve_keypair(uint8_t *public_key, uint8_t *secret_key,
                                   mzmtp_random_fn rng, void *rng_ctx)
{
    /* crypto_box_keypair: 32 random bytes; scalarmult clamps them itself. */
    if (public_key == NULL || secret_key == NULL || rng == NULL ||
        !rng(rng_ctx, secret_key, MZMTP_CURVE_KEY_LEN)) {
        if (secret_key != NULL) mzmtp_secure_wipe(secret_key, MZMTP_CURVE_KEY_LEN);
        return MZMTP_ERR_CRYPTO;
    }
    mzmtp_status_t st = mzmtp_curve_public(public_key, secret_key);
    if (st != MZMTP_OK) mzmtp_secure_wipe(secret_key, MZMTP_CURVE_KEY_LEN);
    return st;
}

/* ---------------- server: cookie keys ---------------- */

/* The key that mints a cookie at @p now: the current one while younger than COOKIE_MS,
 * else a fresh one in the other slot (the current becomes the previous). */
static const uint8_t *cookie_key_for_mint(mzmtp_conn_sec_t *sec, uint32_t now)
{
    unsigned cur = sec->cookie_cur & 1u;
    if ((sec->cookie_valid & (1u << cur)) && now - sec->cookie_born[cur] < MZMTP_CONF_CURVE_COOKIE_MS) {
        return sec->cookie_key[cur];
    }
    unsigned next = (sec->cookie_valid & (1u << cur)) ? cur ^ 1u : cur;
    if (!random_bytes(sec, sec->cookie_key[next], KEY)) {
        mzmtp_secure_wipe(sec->cookie_key[next], KEY);
        sec->cookie_valid = (uint8_t)(sec->cookie_valid & ~(1u << next));
        return NULL;
    }
    sec->cookie_born[next] = now;
    sec->cookie_valid = (uint8_t)(sec->cookie_valid | (1u << next));
    sec->cookie_cur = (uint8_t)next;
    return sec->cookie_key[next];
}

/* Open a cookie with whichever key made it, if that key is younger than 2 x COOKIE_MS
 * (a cookie minted by the previous key is accepted, one by the key before is not: that
 * key is gone). An expired key is wiped when seen. */
static bool cookie_open(mzmtp_conn_sec_t *sec, uint32_t now, const uint8_t *cookie,
                        uint8_t plain[2 * KEY])
{
    uint8_t nonce[MZMTP_CRYPTO_NONCE_LEN];
    NONCE(nonce, "COOKIE--", cookie);
    for (unsigned i = 0; i < 2; i++) {
        unsigned k = (sec->cookie_cur + i) & 1u;
        if (!(sec->cookie_valid & (1u << k))) continue;
        if (now - sec->cookie_born[k] >= 2u * MZMTP_CONF_CURVE_COOKIE_MS) {
            mzmtp_secure_wipe(sec->cookie_key[k], KEY);
            sec->cookie_valid = (uint8_t)(sec->cookie_valid & ~(1u << k));
            continue;
        }
        if (mzmtp_crypto_secretbox_open(plain, cookie + 16, COOKIE_LEN - 16, nonce, sec->cookie_key[k])) {
            return true;
        }
    }
    return false;
}

/* ---------------- start ---------------- */

mzmtp_status_t mzmtp_mech_curve_start(mzmtp_conn_t *c, uint32_t now_ms)
{
    (void)now_ms;
    const mzmtp_conn_sec_t *sec = c->opts.sec;
#if MZMTP_CONF_CURVE_STATE_APART
    /* The state comes from the front of the command area (MZMTP_CMD_CURVE_STATE): a NULL
     * engine does not carry it. */
    size_t skip = (size_t)(-(uintptr_t)c->cmd & 7u) + sizeof(mzmtp_curve_state_t);
    if (c->cmd_cap < skip + MZMTP_CMD_MIN) return MZMTP_ERR_NO_MEMORY;
    c->curve = (mzmtp_curve_state_t *)(void *)(c->cmd + (skip - sizeof(mzmtp_curve_state_t)));
    c->cmd += skip;
    c->cmd_cap = (uint16_t)(c->cmd_cap - skip);
#endif
    mzmtp_curve_state_t *cs = c->curve;
    mzmtp_mech_curve_forget(c);
    if (!mzmtp_crypto_init()) return MZMTP_ERR_CRYPTO;
    c->mech_step = sec->server ? CURVE_HELLO : CURVE_WELCOME;
    /* A key of 32 zero bytes is one that was never set: refuse to run with it. */
    if (sec->server) return is_zero(sec->secret_key, KEY) ? MZMTP_ERR_INVALID : MZMTP_OK;
    if (is_zero(sec->server_key, KEY) || is_zero(sec->secret_key, KEY)) return MZMTP_ERR_INVALID;
    /* All the socket's handshake slots busy: this connection is refused, not queued. */
    mzmtp_curve_hs_slot_t *hs = slot_take(c);
    if (hs == NULL) return MZMTP_ERR_NO_MEMORY;

    /* RFC 26 "The HELLO Command": version 1.0, 72 zero bytes (wire-notes C1: the grammar's
     * count, not the prose's 70), C', short nonce 1, Box[64 zeros](C'->S). */
    if (!random_bytes(sec, hs->cn_secret, KEY) ||
        !mzmtp_crypto_scalarmult_base(hs->cn_public, hs->cn_secret) ||
        !mzmtp_crypto_box_beforenm(hs->k_hello, sec->server_key, hs->cn_secret)) {
        mzmtp_mech_curve_forget(c);
        return MZMTP_ERR_CRYPTO;
    }
    size_t body = 6 + HELLO_DATA, hdr = mzmtp_wire_frame_hdr_size(body);
    uint8_t *at = slot_room(hs, hdr + body); /* an empty slot: always room */
    uint8_t *p = at + mzmtp_util_put_frame_hdr(at, MZMTP_FLAG_COMMAND, body);
    memcpy(p, "\x05HELLO\x01\x00", 8);
    memset(p + 8, 0, 72);
    memcpy(p + 80, hs->cn_public, KEY);
    cs->tx_nonce = 1;
    put_u64(p + 112, cs->tx_nonce);
    uint8_t nonce[MZMTP_CRYPTO_NONCE_LEN];
    NONCE(nonce, "CurveZMQHELLO---", p + 112);
    memset(p + 120 + MAC, 0, 64);
    if (at == NULL || !mzmtp_crypto_box_afternm(p + 120, p + 120 + MAC, 64, nonce, hs->k_hello)) {
        mzmtp_mech_curve_forget(c);
        return MZMTP_ERR_CRYPTO;
    }
    hs->wr = (uint16_t)(hs->wr + hdr + body);
    return MZMTP_OK;
}

/* ---------------- server ---------------- */

static mzmtp_status_t server_hello(mzmtp_conn_t *c, const uint8_t *d, size_t len, uint32_t now)
{
    mzmtp_conn_sec_t *sec = c->opts.sec;
    /* wire-notes C1: exactly 200 bytes, version 1.0 (libzmq refuses anything else). The
     * padding is not checked, as libzmq does not: the signature box is what counts. */
    if (len != HELLO_DATA || d[0] != 1 || d[1] != 0) return fail(c, MZMTP_ERR_PROTOCOL);
    uint8_t *box = rx_writable(c, d + 114, 80);
    if (box == NULL) return fail(c, MZMTP_ERR_PROTOCOL);
    const uint8_t *cn_public = d + 74;
    uint8_t k_hello[KEY], nonce[MZMTP_CRYPTO_NONCE_LEN];
    mzmtp_status_t st = MZMTP_ERR_CRYPTO;
    /* The signature: Box[64 zeros](C'->S), nonce "CurveZMQHELLO---" + short nonce. A C'
     * of low order makes beforenm fail (libsodium): refused like a forged box. */
    NONCE(nonce, "CurveZMQHELLO---", d + 106);
    if (!mzmtp_crypto_box_beforenm(k_hello, cn_public, sec->secret_key) ||
        !mzmtp_crypto_box_open_afternm(box, box, 80, nonce, k_hello)) {
        goto out;
    }
    if (!is_zero(box, 64)) { /* authentic but not the RFC's zeros */
        st = MZMTP_ERR_PROTOCOL;
        goto out;
    }
    /* RFC 26 "The WELCOME Command": long nonce, Box[S' + cookie](S->C'), cookie = long
     * nonce + secretbox[C' + s'](cookie key). Built in place in the command buffer. */
    const uint8_t *ck = cookie_key_for_mint(sec, now);
    size_t body = 8 + WELCOME_DATA, hdr = mzmtp_wire_frame_hdr_size(body);
    if (ck == NULL) goto out;
    /* WELCOME is built in a handshake slot, held until it is written. All slots busy:
     * this peer is closed (MZMTP_ERR_NO_MEMORY), as for a forged HELLO, without ERROR. */
    mzmtp_curve_hs_slot_t *hs = slot_take(c);
    uint8_t *at = hs != NULL ? slot_room(hs, hdr + body) : NULL;
    if (at == NULL) {
        st = MZMTP_ERR_NO_MEMORY;
        goto out;
    }
    uint8_t *p = at + mzmtp_util_put_frame_hdr(at, MZMTP_FLAG_COMMAND, body);
    memcpy(p, "\x07WELCOME", 8);
    uint8_t *lnonce = p + 8, *wbox = p + 24, *wplain = wbox + MAC;
    uint8_t *cookie = wplain + KEY, *cplain = cookie + 16 + MAC;
    /* s' straight into the cookie's plaintext: it never sits anywhere else. */
    memcpy(cplain, cn_public, KEY);
    if (!random_bytes(sec, cplain + KEY, KEY) ||
        !mzmtp_crypto_scalarmult_base(wplain, cplain + KEY) || !random_bytes(sec, lnonce, 16) ||
        !random_bytes(sec, cookie, 16)) {
        mzmtp_secure_wipe(cplain, 2 * KEY);
        goto out;
    }
    memcpy(c->curve->cookie_nonce, cookie, 16); /* before the WELCOME box covers it */
    NONCE(nonce, "COOKIE--", cookie);
    if (!mzmtp_crypto_secretbox(cookie + 16, cplain, 2 * KEY, nonce, ck)) {
        mzmtp_secure_wipe(cplain, 2 * KEY);
        goto out;
    }
    NONCE(nonce, "WELCOME-", lnonce);
    if (!mzmtp_crypto_box_afternm(wbox, wplain, KEY + COOKIE_LEN, nonce, k_hello)) goto out;
    hs->wr = (uint16_t)(hs->wr + hdr + body);
    memcpy(c->curve->hello_nonce, d + 106, 8);
    c->mech_step = CURVE_INITIATE;
    st = MZMTP_OK;
out:
    mzmtp_secure_wipe(k_hello, sizeof k_hello);
    return st == MZMTP_OK ? MZMTP_OK : fail(c, st);
}

static mzmtp_status_t server_initiate(mzmtp_conn_t *c, const uint8_t *d, size_t len,
                                      uint32_t now, mzmtp_conn_event_t *ev)
{
    mzmtp_conn_sec_t *sec = c->opts.sec;
    mzmtp_curve_state_t *cs = c->curve;
    /* wire-notes C4: cookie 96, short nonce 8, Box[C + vouch nonce + vouch + metadata]. */
    if (len < INITIATE_MIN) return fail(c, MZMTP_ERR_PROTOCOL);
    uint8_t *box = rx_writable(c, d + COOKIE_LEN + 8, len - COOKIE_LEN - 8);
    if (box == NULL) return fail(c, MZMTP_ERR_PROTOCOL);
    size_t blen = len - COOKIE_LEN - 8;
    uint8_t cookie[2 * KEY], k_vouch[KEY], vouch[2 * KEY], nonce[MZMTP_CRYPTO_NONCE_LEN];
    mzmtp_status_t st = MZMTP_ERR_CRYPTO;
    /* The cookie gives back C' and s' (RFC 26 "The INITIATE Command": "the cookie is the
     * only memory of the server's secret transient key"). */
    /* Our cookie, from our WELCOME on this connection (wire-notes C16), and a short
     * nonce above the HELLO's (C9): else a replay. */
    uint64_t n = mzmtp_wire_get_u64(d + COOKIE_LEN);
    if (!mzmtp_secure_equal(d, cs->cookie_nonce, 16) ||
        n <= mzmtp_wire_get_u64(cs->hello_nonce)) {
        goto out;
    }
    if (!cookie_open(sec, now, d, cookie)) goto out;
    const uint8_t *cn_client = cookie, *cn_secret = cookie + KEY;
    NONCE(nonce, "CurveZMQINITIATE", d + COOKIE_LEN);
    if (!mzmtp_crypto_box_beforenm(cs->key, cn_client, cn_secret) ||
        !mzmtp_crypto_box_open_afternm(box, box, blen, nonce, cs->key)) {
        goto out;
    }
    /* box: C (32), vouch long nonce (16), vouch box (80), metadata. The vouch is
     * Box[C' + S](C->S'): it must hold the cookie's C' and our own S. */
    const uint8_t *client_key = box;
    NONCE(nonce, "VOUCH---", box + KEY);
    if (!mzmtp_crypto_box_beforenm(k_vouch, client_key, cn_secret) ||
        !mzmtp_crypto_box_open_afternm(vouch, box + KEY + 16, 80, nonce, k_vouch) ||
        !mzmtp_crypto_verify32(vouch, cn_client) || !mzmtp_crypto_verify32(vouch + KEY, sec->public_key)) {
        goto out;
    }
    st = MZMTP_OK;
out:
    mzmtp_secure_wipe(cs->cookie_nonce, sizeof cs->cookie_nonce);
    mzmtp_secure_wipe(cs->hello_nonce, sizeof cs->hello_nonce);
    mzmtp_secure_wipe(cookie, sizeof cookie);
    mzmtp_secure_wipe(k_vouch, sizeof k_vouch);
    mzmtp_secure_wipe(vouch, sizeof vouch);
    if (st != MZMTP_OK) return fail(c, st);

    /* RFC 26: the server MAY authenticate the client by C (our ZAP, wire-notes C10). */
    mzmtp_auth_request_t req;
    memset(&req, 0, sizeof req);
    req.mechanism = MZMTP_MECH_CURVE;
    req.client_key = client_key;
    unsigned code = mzmtp_mech_authenticate(c, &req);
    if (code != 200) {
        drop(c);
        return mzmtp_mech_refuse(c, code);
    }
    /* The short nonces so far (wire-notes C9): the client's INITIATE, our READY = 1. */
    cs->rx_nonce = n;
    cs->tx_nonce = 1;
    const uint8_t *meta = box + KEY + 16 + 80;
    size_t mlen = blen - MAC - KEY - 16 - 80;
    st = mzmtp_conn_mech_peer_ready(c, meta, mlen, ev);
    if (st != MZMTP_OK) {
        drop(c);
        return st;
    }
    /* RFC 26 "The READY Command": short nonce, Box[metadata](S'->C'). It fits the
     * engine's command buffer (mzmtp_config_defaults.h), where the engine sends it as it
     * is once the handshake is over. */
    size_t ml = mzmtp_conn_mech_metadata(c, NULL);
    size_t body = 6 + 8 + MAC + ml, hdr = mzmtp_wire_frame_hdr_size(body);
    uint8_t *at = mzmtp_conn_mech_room(c, hdr + body);
    if (at == NULL) return fail(c, MZMTP_ERR_NO_MEMORY);
    uint8_t *p = at + mzmtp_util_put_frame_hdr(at, MZMTP_FLAG_COMMAND, body);
    memcpy(p, "\x05READY", 6);
    put_u64(p + 6, cs->tx_nonce);
    NONCE(nonce, "CurveZMQREADY---", p + 6);
    (void)mzmtp_conn_mech_metadata(c, p + 14 + MAC);
    if (!mzmtp_crypto_box_afternm(p + 14, p + 14 + MAC, ml, nonce, cs->key)) {
        return fail(c, MZMTP_ERR_CRYPTO);
    }
    mzmtp_conn_mech_commit(c, hdr + body);
    c->mech_step = CURVE_READY;
    mzmtp_mech_curve_slot_done(c); /* the WELCOME's slot, if still held */
    return MZMTP_OK;
}

/* ---------------- client ---------------- */

static mzmtp_status_t client_welcome(mzmtp_conn_t *c, const uint8_t *d, size_t len)
{
    const mzmtp_conn_sec_t *sec = c->opts.sec;
    mzmtp_curve_state_t *cs = c->curve;
    /* wire-notes C2: exactly 168 bytes. */
    if (len != WELCOME_DATA) return fail(c, MZMTP_ERR_PROTOCOL);
    uint8_t *box = rx_writable(c, d + 16, 144);
    mzmtp_curve_hs_slot_t *hs = slot_of(c);
    if (box == NULL || hs == NULL) return fail(c, MZMTP_ERR_PROTOCOL);
    uint8_t nonce[MZMTP_CRYPTO_NONCE_LEN], k_vouch[KEY];
    mzmtp_status_t st = MZMTP_ERR_CRYPTO;
    NONCE(nonce, "WELCOME-", d);
    if (!mzmtp_crypto_box_open_afternm(box, box, 144, nonce, hs->k_hello)) goto out;
    const uint8_t *sn_public = box, *cookie = box + KEY;
    if (!mzmtp_crypto_box_beforenm(cs->key, sn_public, hs->cn_secret) ||
        !mzmtp_crypto_box_beforenm(k_vouch, sn_public, sec->secret_key)) {
        goto out;
    }
    /* RFC 26 "The INITIATE Command": cookie, short nonce 2, Box[C + vouch nonce +
     * Box[C' + S](C->S') + metadata](C'->S'). Built in place in the handshake slot. */
    size_t ml = mzmtp_conn_mech_metadata(c, NULL);
    size_t body = 9 + COOKIE_LEN + 8 + MAC + KEY + 16 + 80 + ml, hdr = mzmtp_wire_frame_hdr_size(body);
    uint8_t *at = slot_room(hs, hdr + body);
    if (at == NULL) {
        st = MZMTP_ERR_NO_MEMORY;
        goto out;
    }
    uint8_t *p = at + mzmtp_util_put_frame_hdr(at, MZMTP_FLAG_COMMAND, body);
    memcpy(p, "\x08INITIATE", 9);
    memcpy(p + 9, cookie, COOKIE_LEN);
    uint8_t *sn = p + 9 + COOKIE_LEN, *ibox = sn + 8, *ip = ibox + MAC;
    uint8_t *vnonce = ip + KEY, *vbox = vnonce + 16;
    memcpy(ip, sec->public_key, KEY);
    if (!random_bytes(sec, vnonce, 16)) goto out;
    memcpy(vbox + MAC, hs->cn_public, KEY);
    memcpy(vbox + MAC + KEY, sec->server_key, KEY);
    NONCE(nonce, "VOUCH---", vnonce);
    if (!mzmtp_crypto_box_afternm(vbox, vbox + MAC, 2 * KEY, nonce, k_vouch)) goto out;
    (void)mzmtp_conn_mech_metadata(c, vbox + 80);
    cs->tx_nonce = 2;
    put_u64(sn, cs->tx_nonce);
    NONCE(nonce, "CurveZMQINITIATE", sn);
    if (!mzmtp_crypto_box_afternm(ibox, ip, KEY + 16 + 80 + ml, nonce, cs->key)) goto out;
    hs->wr = (uint16_t)(hs->wr + hdr + body);
    c->mech_step = CURVE_READY;
    st = MZMTP_OK;
out:
    mzmtp_secure_wipe(k_vouch, sizeof k_vouch);
    /* c', C' and k_hello are done with: READY opens with the session key. The slot
     * itself goes back once the INITIATE in it is written. */
    mzmtp_secure_wipe(hs->cn_secret, KEY);
    mzmtp_secure_wipe(hs->cn_public, KEY);
    mzmtp_secure_wipe(hs->k_hello, KEY);
    return st == MZMTP_OK ? MZMTP_OK : fail(c, st);
}

static mzmtp_status_t client_ready(mzmtp_conn_t *c, const uint8_t *d, size_t len,
                                   mzmtp_conn_event_t *ev)
{
    mzmtp_curve_state_t *cs = c->curve;
    /* wire-notes C5: short nonce, Box[metadata]. */
    if (len < READY_MIN) return fail(c, MZMTP_ERR_PROTOCOL);
    uint8_t *box = rx_writable(c, d + 8, len - 8);
    if (box == NULL) return fail(c, MZMTP_ERR_PROTOCOL);
    /* The server's first short nonce: above 0, the last one "seen" (wire-notes C15). */
    uint64_t n = mzmtp_wire_get_u64(d);
    if (n == 0) return fail(c, MZMTP_ERR_CRYPTO);
    uint8_t nonce[MZMTP_CRYPTO_NONCE_LEN];
    NONCE(nonce, "CurveZMQREADY---", d);
    if (!mzmtp_crypto_box_open_afternm(box, box, len - 8, nonce, cs->key)) {
        return fail(c, MZMTP_ERR_CRYPTO);
    }
    cs->rx_nonce = n;
    mzmtp_status_t st = mzmtp_conn_mech_peer_ready(c, box, len - 8 - MAC, ev);
    if (st != MZMTP_OK) drop(c);
    return st;
}

/* ---------------- dispatch ---------------- */

mzmtp_status_t mzmtp_mech_curve_on_command(mzmtp_conn_t *c, const uint8_t *name, size_t nlen,
                                           const uint8_t *data, size_t dlen, uint32_t now_ms,
                                           mzmtp_conn_event_t *ev)
{
    bool server = c->opts.sec->server;
    if (MECH_NAME_IS(name, nlen, "ERROR")) {
        /* RFC 26 "The ERROR Command": only the server sends it, to refuse our key. */
        drop(c);
        return mzmtp_mech_peer_error(c, data, dlen, server ? MZMTP_ERR_PEER_ERROR : MZMTP_ERR_AUTH, ev);
    }
    if (server && c->mech_step == CURVE_HELLO && MECH_NAME_IS(name, nlen, "HELLO")) {
        return server_hello(c, data, dlen, now_ms);
    }
    if (server && c->mech_step == CURVE_INITIATE && MECH_NAME_IS(name, nlen, "INITIATE")) {
        return server_initiate(c, data, dlen, now_ms, ev);
    }
    if (!server && c->mech_step == CURVE_WELCOME && MECH_NAME_IS(name, nlen, "WELCOME")) {
        return client_welcome(c, data, dlen);
    }
    if (!server && c->mech_step == CURVE_READY && MECH_NAME_IS(name, nlen, "READY")) {
        return client_ready(c, data, dlen, ev);
    }
    /* Any other command, or one out of turn (a second HELLO, a NULL peer's READY): RFC 26
     * "SHALL disconnect"; libzmq closes without ERROR. */
    return fail(c, MZMTP_ERR_PROTOCOL);
}

#else
typedef int mzmtp_curve_left_out; /* C99 wants something in a translation unit */
#endif /* MZMTP_CONF_CURVE */
