/*
 * Mechanism dispatch (see mech.h) and the NULL mechanism (RFC 37 "The NULL Security
 * Mechanism"). Each mechanism is a handful of functions; a switch on conn->mech picks
 * them, so that a build without CURVE links no CURVE code.
 */
#include <string.h>
#include "mech.h"
#include "../util/mzmtp_util.h"

/* The greetings we send, in flash: the codec's bytes (MZMTP_WIRE_GREETING). */
#define GREETING MZMTP_WIRE_GREETING
static const uint8_t greeting_null[MZMTP_GREETING_SIZE] = GREETING('N', 'U', 'L', 'L', 0, 0);
/* wire-notes G7: libzmq always sends as-server 0 and ignores the peer's; RFC 23/37 ask a
 * PLAIN or CURVE server to send 1. We send what the RFC asks and ignore the peer's. */
#if MZMTP_CONF_PLAIN
static const uint8_t greeting_plain[2][MZMTP_GREETING_SIZE] = {
    GREETING('P', 'L', 'A', 'I', 'N', 0), GREETING('P', 'L', 'A', 'I', 'N', 1)};
#endif
#if MZMTP_CONF_CURVE
static const uint8_t greeting_curve[2][MZMTP_GREETING_SIZE] = {
    GREETING('C', 'U', 'R', 'V', 'E', 0), GREETING('C', 'U', 'R', 'V', 'E', 1)};
#endif

#if MZMTP_SECURITY
static bool is_server(const mzmtp_conn_t *c) { return c->opts.sec != NULL && c->opts.sec->server; }
#endif

const uint8_t *mzmtp_mech_greeting(const mzmtp_conn_t *c)
{
    switch (c->mech) {
#if MZMTP_CONF_PLAIN
    case MZMTP_MECH_PLAIN: return greeting_plain[is_server(c)];
#endif
#if MZMTP_CONF_CURVE
    case MZMTP_MECH_CURVE: return greeting_curve[is_server(c)];
#endif
    default: return greeting_null;
    }
}

bool mzmtp_mech_accepts(const mzmtp_conn_t *c, const uint8_t *mech20)
{
    /* wire-notes G6: an exact, case-sensitive 20-byte comparison. */
    return mzmtp_util_bytes_eq(mech20, mzmtp_mech_greeting(c) + 12, 20);
}

mzmtp_status_t mzmtp_mech_start(mzmtp_conn_t *c, uint32_t now_ms)
{
    (void)now_ms;
    switch (c->mech) {
#if MZMTP_CONF_PLAIN
    case MZMTP_MECH_PLAIN: return mzmtp_mech_plain_start(c);
#endif
#if MZMTP_CONF_CURVE
    case MZMTP_MECH_CURVE: return mzmtp_mech_curve_start(c, now_ms);
#endif
    default: return mzmtp_mech_null_start(c);
    }
}

mzmtp_status_t mzmtp_mech_on_command(mzmtp_conn_t *c, const uint8_t *name, size_t nlen,
                                     const uint8_t *data, size_t dlen, uint32_t now_ms,
                                     mzmtp_conn_event_t *ev)
{
    (void)now_ms;
    switch (c->mech) {
#if MZMTP_CONF_PLAIN
    case MZMTP_MECH_PLAIN: return mzmtp_mech_plain_on_command(c, name, nlen, data, dlen, ev);
#endif
#if MZMTP_CONF_CURVE
    case MZMTP_MECH_CURVE:
        return mzmtp_mech_curve_on_command(c, name, nlen, data, dlen, now_ms, ev);
#endif
    default: return mzmtp_mech_null_on_command(c, name, nlen, data, dlen, ev);
    }
}

void mzmtp_mech_wipe(mzmtp_conn_t *c)
{
#if MZMTP_CONF_CURVE
    mzmtp_mech_curve_forget(c);
#else
    (void)c;
#endif
}

mzmtp_status_t mzmtp_mech_peer_error(mzmtp_conn_t *c, const uint8_t *data, size_t dlen,
                                     mzmtp_status_t st, mzmtp_conn_event_t *ev)
{
    /* RFC 37: error-reason = OCTET 0*255; a short body still ends the link. */
    ev->kind = MZMTP_CONN_EV_ERROR;
    ev->data = dlen > 0 ? data + 1 : data;
    ev->len = dlen > 0 ? (data[0] < dlen ? data[0] : dlen - 1) : 0;
    return mzmtp_conn_mech_die(c, st, NULL, 0);
}

#if MZMTP_SECURITY
unsigned mzmtp_mech_authenticate(mzmtp_conn_t *c, mzmtp_auth_request_t *req)
{
    mzmtp_auth_reply_t reply;
    memset(&reply, 0, sizeof reply);
    reply.status = 400;
    req->peer = c->pipe;
    req->address = "";
    mzmtp_conn_sec_t *sec = c->opts.sec;
    if (sec->auth == NULL) {
        /* No authenticator: PLAIN refuses everyone (there are no default users), CURVE
         * accepts any key (libzmq without ZAP, wire-notes C10). */
        return req->mechanism == MZMTP_MECH_CURVE ? 200u : 400u;
    }
    sec->auth(sec->auth_owner, c->pipe, req, &reply);
    unsigned code = reply.status;
    mzmtp_secure_wipe(&reply, sizeof reply);
    return code;
}

mzmtp_status_t mzmtp_mech_refuse(mzmtp_conn_t *c, unsigned code)
{
    /* wire-notes N6: libzmq sends ERROR "400" or "500" and closes silently on a 300
     * (temporary: the client may try again, so no ERROR, which would stop its retries). */
    if (code >= 300 && code < 400) return mzmtp_conn_mech_die(c, MZMTP_ERR_AUTH, NULL, 0);
    return mzmtp_conn_mech_die(c, MZMTP_ERR_AUTH, code >= 500 && code < 600 ? "500" : "400", 3);
}
#endif

/* ---------------- NULL ---------------- */

mzmtp_status_t mzmtp_mech_null_start(mzmtp_conn_t *c)
{
    /* wire-notes N1: READY right after the greeting, without waiting for the peer. */
    return mzmtp_conn_mech_put_meta_cmd(c, "READY", 5) ? MZMTP_OK : MZMTP_ERR_INVALID;
}

mzmtp_status_t mzmtp_mech_null_on_command(mzmtp_conn_t *c, const uint8_t *name, size_t nlen,
                                          const uint8_t *data, size_t dlen,
                                          mzmtp_conn_event_t *ev)
{
    if (MECH_NAME_IS(name, nlen, "READY")) return mzmtp_conn_mech_peer_ready(c, data, dlen, ev);
    if (MECH_NAME_IS(name, nlen, "ERROR")) {
        return mzmtp_mech_peer_error(c, data, dlen, MZMTP_ERR_PEER_ERROR, ev);
    }
    /* wire-notes N4: any other command during the handshake is fatal. */
    return mzmtp_conn_mech_die(c, MZMTP_ERR_PROTOCOL, NULL, 0);
}
