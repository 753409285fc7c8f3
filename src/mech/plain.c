/*
 * The PLAIN mechanism (RFC 24): user name and password in clear, for trusted networks.
 *   client: HELLO -> (WELCOME) -> INITIATE -> (READY)
 *   server: (HELLO) -> ask the authenticator -> WELCOME | ERROR -> (INITIATE) -> READY
 * Roles come from our options only (wire-notes G7, P2).
 */
#include <string.h>
#include "mech.h"
#include "../util/mzmtp_util.h"

#if MZMTP_CONF_PLAIN

enum { PLAIN_HELLO = 0, PLAIN_INITIATE, PLAIN_READY };

mzmtp_status_t mzmtp_mech_plain_start(mzmtp_conn_t *c)
{
    const mzmtp_conn_sec_t *sec = c->opts.sec;
    c->mech_step = sec->server ? PLAIN_HELLO : PLAIN_INITIATE;
    if (sec->server) return MZMTP_OK; /* the server speaks when spoken to (P2) */
    /* RFC 24: hello = command-size %d5 "HELLO" username password, each with a length
     * octet. The socket keeps both within MZMTP_CONF_PLAIN_CRED_MAX, which the config
     * header checks against the command buffer. */
    uint8_t ulen = sec->user_len, plen = sec->pass_len;
    size_t body = 1 + 5 + 1 + (size_t)ulen + 1 + plen;
    size_t hdr = mzmtp_wire_frame_hdr_size(body);
    uint8_t *at = mzmtp_conn_mech_room(c, hdr + body);
    if (at == NULL) return MZMTP_ERR_INVALID;
    uint8_t *p = at + mzmtp_util_put_frame_hdr(at, MZMTP_FLAG_COMMAND, body);
    *p++ = 5;
    memcpy(p, "HELLO", 5);
    p += 5;
    *p++ = ulen;
    memcpy(p, sec->user, ulen);
    p += ulen;
    *p++ = plen;
    memcpy(p, sec->pass, plen);
    mzmtp_conn_mech_commit(c, hdr + body);
    return MZMTP_OK;
}

static mzmtp_status_t server_hello(mzmtp_conn_t *c, const uint8_t *d, size_t len)
{
    /* RFC 24: username = %d0-255 *VCHAR, password likewise; nothing may follow
     * (libzmq rejects trailing bytes, wire-notes P1). */
    if (len < 2 || (size_t)d[0] + 2 > len) return mzmtp_conn_mech_die(c, MZMTP_ERR_PROTOCOL, NULL, 0);
    size_t ulen = d[0];
    size_t plen = d[1 + ulen];
    if (2 + ulen + plen != len) return mzmtp_conn_mech_die(c, MZMTP_ERR_PROTOCOL, NULL, 0);
    mzmtp_auth_request_t req;
    memset(&req, 0, sizeof req);
    req.mechanism = MZMTP_MECH_PLAIN;
    req.username = d + 1;
    req.username_len = ulen;
    req.password = d + 2 + ulen;
    req.password_len = plen;
    unsigned code = mzmtp_mech_authenticate(c, &req);
    if (code != 200) return mzmtp_mech_refuse(c, code);
    /* RFC 24: welcome = command-size %d7 "WELCOME", and nothing else. */
    if (!mzmtp_conn_mech_put(c, "WELCOME", 7, NULL, 0, NULL, 0)) {
        return mzmtp_conn_mech_die(c, MZMTP_ERR_NO_MEMORY, NULL, 0);
    }
    c->mech_step = PLAIN_INITIATE;
    return MZMTP_OK;
}

mzmtp_status_t mzmtp_mech_plain_on_command(mzmtp_conn_t *c, const uint8_t *name, size_t nlen,
                                           const uint8_t *data, size_t dlen,
                                           mzmtp_conn_event_t *ev)
{
    bool server = c->opts.sec->server;
    if (MECH_NAME_IS(name, nlen, "ERROR")) {
        /* RFC 24: only the server sends ERROR, to refuse the client's credentials. */
        return mzmtp_mech_peer_error(c, data, dlen, server ? MZMTP_ERR_PEER_ERROR : MZMTP_ERR_AUTH, ev);
    }
    if (server) {
        if (c->mech_step == PLAIN_HELLO && MECH_NAME_IS(name, nlen, "HELLO")) {
            return server_hello(c, data, dlen);
        }
        if (c->mech_step == PLAIN_INITIATE && MECH_NAME_IS(name, nlen, "INITIATE")) {
            mzmtp_status_t st = mzmtp_conn_mech_peer_ready(c, data, dlen, ev);
            if (st != MZMTP_OK) return st;
            if (!mzmtp_conn_mech_put_meta_cmd(c, "READY", 5)) {
                return mzmtp_conn_mech_die(c, MZMTP_ERR_NO_MEMORY, NULL, 0);
            }
            return MZMTP_OK;
        }
        return mzmtp_conn_mech_die(c, MZMTP_ERR_PROTOCOL, NULL, 0);
    }
    if (c->mech_step == PLAIN_INITIATE && MECH_NAME_IS(name, nlen, "WELCOME")) {
        if (dlen != 0) return mzmtp_conn_mech_die(c, MZMTP_ERR_PROTOCOL, NULL, 0);
        if (!mzmtp_conn_mech_put_meta_cmd(c, "INITIATE", 8)) {
            return mzmtp_conn_mech_die(c, MZMTP_ERR_NO_MEMORY, NULL, 0);
        }
        c->mech_step = PLAIN_READY;
        return MZMTP_OK;
    }
    if (c->mech_step == PLAIN_READY && MECH_NAME_IS(name, nlen, "READY")) {
        return mzmtp_conn_mech_peer_ready(c, data, dlen, ev);
    }
    /* wire-notes P4: libzmq's PLAIN server mis-encodes its ERROR as "^RROR" (a name
     * length of 0x5E, so the command does not even decode; the engine hands us the raw
     * body with name NULL): that is its refusal of our credentials. */
    if (name == NULL && dlen >= 5 && data[0] == 0x5E && mzmtp_util_bytes_eq(data + 1, "RROR", 4)) {
        return mzmtp_conn_mech_die(c, MZMTP_ERR_AUTH, NULL, 0);
    }
    return mzmtp_conn_mech_die(c, MZMTP_ERR_PROTOCOL, NULL, 0);
}
#else
typedef int mzmtp_plain_left_out; /* C99 wants something in a translation unit */
#endif /* MZMTP_CONF_PLAIN */
