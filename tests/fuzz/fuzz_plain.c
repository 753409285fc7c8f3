/*
 * libFuzzer target: a PLAIN (RFC 24) engine, client or server, fed a peer's bytes.
 *
 * Input layout:
 *   byte 0  mode:
 *           bit  0    0 client, 1 server;
 *           bit  1    a valid prefix is fed first: a PLAIN greeting, then (server) a
 *                     HELLO with admin/secret, or (client) WELCOME; the fuzzer's bytes
 *                     then reach the later steps (INITIATE/READY, data);
 *           bit  2    server: the authenticator allows admin/secret (else it denies
 *                     everyone; bit 3 then picks "no authenticator at all");
 *           bit  3    see bit 2; client: small receive buffer (64 B, not 300 B).
 *   byte 1  seed for split sizes, write sizes and clock steps.
 *   rest    bytes from the peer.
 * Nothing may crash or read out of bounds, and a server whose authenticator denies (or
 * that has none) must never report a handshake or deliver a message: nothing from a peer
 * before it is allowed.
 */
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "microzmtp/microzmtp.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void allow_admin(void *owner, unsigned peer, mzmtp_auth_request_t *req,
                        mzmtp_auth_reply_t *reply)
{
    (void)owner, (void)peer;
    bool ok = req->username_len == 5 && memcmp(req->username, "admin", 5) == 0 &&
              req->password_len == 6 && mzmtp_secure_equal(req->password, "secret", 6);
    reply->status = ok ? 200 : 400;
    if (ok) {
        memcpy(reply->user_id, "admin", 5);
        reply->user_id_len = 5;
    }
}

static void deny_all(void *owner, unsigned peer, mzmtp_auth_request_t *req,
                     mzmtp_auth_reply_t *reply)
{
    (void)owner, (void)peer, (void)req;
    reply->status = 400;
}

static size_t prefix(bool server, uint8_t *out)
{
    memset(out, 0, 64);
    out[0] = 0xFF;
    out[8] = 0x01;
    out[9] = 0x7F;
    out[10] = 3;
    out[11] = 1;
    memcpy(out + 12, "PLAIN", 5);
    static const uint8_t hello[] = {4, 19, 5, 'H', 'E', 'L', 'L', 'O', 5, 'a', 'd', 'm', 'i', 'n',
                                    6, 's', 'e', 'c', 'r', 'e', 't'};
    static const uint8_t welcome[] = {4, 8, 7, 'W', 'E', 'L', 'C', 'O', 'M', 'E'};
    const uint8_t *cmd = server ? hello : welcome;
    size_t n = server ? sizeof hello : sizeof welcome;
    memcpy(out + 64, cmd, n);
    return 64 + n;
}

/* Aborts when a refused peer (@p ctx points at true) gets through. */
static void check_refusal(const mzmtp_conn_event_t *ev, void *ctx)
{
    bool must_refuse = *(const bool *)ctx;
    if (must_refuse && (ev->kind == MZMTP_CONN_EV_HANDSHAKE || ev->kind == MZMTP_CONN_EV_MESSAGE)) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    uint8_t mode = data[0];
    rng_t r = {0x9E3779B9u ^ ((uint32_t)data[1] * 0x01000193u) ^ 1u};
    bool server = mode & 1u;
    bool allow = server && (mode & 4u);
    static mzmtp_conn_t conn;
    static mzmtp_conn_sec_t sec;
    memset(&sec, 0, sizeof sec);
    sec.mechanism = MZMTP_MECH_PLAIN;
    sec.server = server;
    if (server) {
        sec.auth = allow ? allow_admin : (mode & 8u) ? NULL : deny_all;
    } else {
        memcpy(sec.user, "admin", 5);
        sec.user_len = 5;
        memcpy(sec.pass, "secret", 6);
        sec.pass_len = 6;
    }
    size_t rx_size = (!server && (mode & 8u)) ? 64 : 300;
    uint8_t *rx = fuzz_alloc(rx_size);
    mzmtp_conn_opts_t o = fuzz_conn_opts();
    o.sec = &sec;
    uint32_t now = 0xFFFFF000u;
    if (fuzz_conn_init(&conn, server ? MZMTP_ROUTER : MZMTP_DEALER, &o, rx, rx_size, NULL, 0, now) != MZMTP_OK) {
        abort();
    }
    uint8_t pre[96];
    size_t plen = (mode & 2u) ? prefix(server, pre) : 0;
    const uint8_t *parts[2] = {pre, data + 2};
    size_t lens[2] = {plen, size - 2};
    bool must_refuse = server && !allow;
    mzmtp_status_t st = fuzz_feed_parts(&conn, parts, lens, 61, &r, now, check_refusal, &must_refuse);
    if (mzmtp_status_is_fatal(st) && mzmtp_conn_state(&conn) != MZMTP_CONN_DEAD) abort();
    mzmtp_conn_wipe(&conn);
    free(rx);
    return 0;
}
