/*
 * Sockets and security (mzmtp_security.h): the mechanism options, the authenticator
 * (our ZAP, RFC 27 semantics), User-Id and address per peer. Kept apart from socket.c,
 * which knows nothing of mechanisms beyond three calls into this file.
 */
#include <string.h>
#include "socket_sec.h"
#include "../util/mzmtp_util.h"

bool mzmtp_socket_sec_option(mzmtp_option_t opt)
{
    return opt >= MZMTP_OPT_PLAIN_SERVER && opt <= MZMTP_OPT_CURVE_SERVERKEY;
}

#if MZMTP_SECURITY
/* The User-Id and address of peer @p p: User-Id, then address (socket_int.h); the User-Id's
 * length is in the peer slot. */
static uint8_t *auth_part(const mzmtp_socket_t *s, unsigned p)
{
    return mzmtp_sk_peer_buf(s, p) + MZMTP_SK_AUTH_OFF(s);
}

static bool started(const mzmtp_socket_t *s)
{
    for (unsigned p = 0; p < s->nused; p++) {
        if (s->peer[p].state != MZMTP_PEER_FREE) return true;
    }
    return false;
}

static mzmtp_status_t set_bytes(uint8_t *dst, uint8_t *dst_len, const void *val, size_t len)
{
    if (len > MZMTP_CONF_PLAIN_CRED_MAX) return MZMTP_ERR_INVALID;
    mzmtp_secure_wipe(dst, MZMTP_CONF_PLAIN_CRED_MAX);
    if (len) memcpy(dst, val, len);
    *dst_len = (uint8_t)len;
    return MZMTP_OK;
}

mzmtp_status_t mzmtp_socket_sec_setopt(mzmtp_socket_t *sock, mzmtp_option_t opt,
                                       const void *val, size_t len)
{
    mzmtp_conn_sec_t *sec = &sock->sec;
    /* One mechanism per socket, chosen before its first connection (as in libzmq). */
    if (started(sock) || sock->closing) return MZMTP_ERR_STATE;
    uint32_t v = 0;
    bool flag = opt == MZMTP_OPT_PLAIN_SERVER || opt == MZMTP_OPT_CURVE_SERVER;
    if (flag) {
        if (len != sizeof v) return MZMTP_ERR_INVALID;
        memcpy(&v, val, sizeof v);
    }
    switch (opt) {
    case MZMTP_OPT_PLAIN_SERVER:
        sec->mechanism = MZMTP_MECH_PLAIN;
        sec->server = v != 0;
        break;
    case MZMTP_OPT_PLAIN_USERNAME:
    case MZMTP_OPT_PLAIN_PASSWORD: {
        mzmtp_status_t st = opt == MZMTP_OPT_PLAIN_USERNAME
                                ? set_bytes(sec->user, &sec->user_len, val, len)
                                : set_bytes(sec->pass, &sec->pass_len, val, len);
        if (st != MZMTP_OK) return st;
        if (opt == MZMTP_OPT_PLAIN_USERNAME) {
            sec->mechanism = MZMTP_MECH_PLAIN;
            sec->server = false;
        }
        break;
    }
#if MZMTP_CONF_CURVE
    case MZMTP_OPT_CURVE_SERVER:
        sec->mechanism = MZMTP_MECH_CURVE;
        sec->server = v != 0;
        break;
    case MZMTP_OPT_CURVE_PUBLICKEY:
    case MZMTP_OPT_CURVE_SECRETKEY:
    case MZMTP_OPT_CURVE_SERVERKEY:
        if (len != MZMTP_CURVE_KEY_LEN) return MZMTP_ERR_INVALID;
        if (opt == MZMTP_OPT_CURVE_PUBLICKEY) {
            memcpy(sec->public_key, val, len);
        } else if (opt == MZMTP_OPT_CURVE_SECRETKEY) {
            memcpy(sec->secret_key, val, len);
            /* The public key follows from the secret one; a later PUBLICKEY may still
             * set it, as in libzmq, where both are given. */
            if (mzmtp_curve_public(sec->public_key, sec->secret_key) != MZMTP_OK) {
                mzmtp_secure_wipe(sec->secret_key, sizeof sec->secret_key);
                return MZMTP_ERR_CRYPTO;
            }
        } else {
            memcpy(sec->server_key, val, len);
            sec->mechanism = MZMTP_MECH_CURVE;
            sec->server = false;
        }
        break;
#else
    case MZMTP_OPT_CURVE_SERVER:
    case MZMTP_OPT_CURVE_PUBLICKEY:
    case MZMTP_OPT_CURVE_SECRETKEY:
    case MZMTP_OPT_CURVE_SERVERKEY:
        return MZMTP_ERR_NOT_SUPPORTED;
#endif
    default: return MZMTP_ERR_INVALID;
    }
    sock->opts.sec = sec->mechanism == MZMTP_MECH_NULL ? NULL : sec;
    return MZMTP_OK;
}

/* The engine asks: fill in what the socket knows, ask the application, keep the
 * User-Id of an allowed peer. */
static void authenticate(void *owner, unsigned peer, mzmtp_auth_request_t *req,
                         mzmtp_auth_reply_t *reply)
{
    mzmtp_socket_t *s = owner;
    /* Only a server asks, and a server's peer areas have the authenticator's part. */
    uint8_t *a = auth_part(s, peer);
    char *address = (char *)a + MZMTP_USER_ID_MAX;
    address[MZMTP_CONF_ADDRESS_MAX - 1] = '\0'; /* a string, whatever the area held */
    req->address = address;
    s->auth(s->auth_ctx, req, reply);
    address[0] = '\0'; /* the next peer of this slot has none until the port gives it */
    if (reply->status == 200) {
        size_t n = reply->user_id_len < MZMTP_USER_ID_MAX ? reply->user_id_len : MZMTP_USER_ID_MAX;
        memcpy(a, reply->user_id, n);
        s->peer[peer].user_id_len = (uint8_t)n;
    }
}

void mzmtp_socket_set_auth(mzmtp_socket_t *sock, mzmtp_auth_fn fn, void *ctx)
{
    sock->auth = fn;
    sock->auth_ctx = ctx;
    sock->sec.auth = fn != NULL ? authenticate : NULL;
    sock->sec.auth_owner = sock;
}

void mzmtp_socket_set_random(mzmtp_socket_t *sock, mzmtp_random_fn fn, void *ctx)
{
#if MZMTP_CONF_CURVE
    sock->sec.rng = fn;
    sock->sec.rng_ctx = ctx;
#else
    (void)sock, (void)fn, (void)ctx; /* nothing in this build needs randomness */
#endif
}

mzmtp_mechanism_t mzmtp_socket_mechanism(const mzmtp_socket_t *sock)
{
    return (mzmtp_mechanism_t)sock->sec.mechanism;
}

size_t mzmtp_socket_peer_user_id(const mzmtp_socket_t *sock, int peer, const uint8_t **id)
{
    /* Only a server keeps User-Ids (its authenticator gives them). */
    if (peer < 0 || peer >= sock->nused || !mzmtp_sk_keeps_auth(sock)) {
        *id = NULL;
        return 0;
    }
    *id = auth_part(sock, (unsigned)peer);
    return sock->peer[peer].user_id_len;
}

void mzmtp_socket_peer_set_address(mzmtp_socket_t *sock, int peer, const char *address)
{
    /* Only a server's authenticator reads it: the others keep no room for it. */
    if (peer < 0 || peer >= sock->nused || !mzmtp_sk_keeps_auth(sock)) return;
    char *at = (char *)auth_part(sock, (unsigned)peer) + MZMTP_USER_ID_MAX;
    size_t n = 0;
    if (address != NULL) {
        while (n + 1 < MZMTP_CONF_ADDRESS_MAX && address[n] != '\0') n++;
        memcpy(at, address, n);
    }
    at[n] = '\0';
}

size_t mzmtp_socket_sec_peer_start(mzmtp_socket_t *sock, unsigned p)
{
    /* A server keeps each peer's User-Id and address before its command buffer (the
     * mechanism is fixed from the first peer on: every peer has the same layout). */
    sock->peer[p].user_id_len = 0; /* no User-Id yet */
    sock->opts.sec = sock->sec.mechanism == MZMTP_MECH_NULL ? NULL : &sock->sec;
    return MZMTP_SK_AUTH_OFF(sock) + (mzmtp_sk_keeps_auth(sock) ? MZMTP_PEER_BUF_AUTH : 0u);
}

void mzmtp_socket_sec_wipe(mzmtp_socket_t *sock)
{
    mzmtp_secure_wipe(sock->sec.pass, sizeof sock->sec.pass);
#if MZMTP_CONF_CURVE
    mzmtp_secure_wipe(sock->sec.secret_key, sizeof sock->sec.secret_key);
    mzmtp_secure_wipe(sock->sec.cookie_key, sizeof sock->sec.cookie_key);
    sock->sec.cookie_valid = 0;
    /* handshakes in progress (c', shared(S, c')) and the last boxes: all slots free */
    mzmtp_secure_wipe(sock->sec.hs, sizeof sock->sec.hs);
    mzmtp_secure_wipe(&sock->sec.tx, sizeof sock->sec.tx);
#endif
}
#else /* NULL only: the security calls exist and say so */

mzmtp_status_t mzmtp_socket_sec_setopt(mzmtp_socket_t *sock, mzmtp_option_t opt,
                                       const void *val, size_t len)
{
    (void)sock, (void)opt, (void)val, (void)len;
    return MZMTP_ERR_NOT_SUPPORTED;
}

void mzmtp_socket_set_auth(mzmtp_socket_t *sock, mzmtp_auth_fn fn, void *ctx)
{
    (void)sock, (void)fn, (void)ctx; /* no mechanism here asks anyone */
}

void mzmtp_socket_set_random(mzmtp_socket_t *sock, mzmtp_random_fn fn, void *ctx)
{
    (void)sock, (void)fn, (void)ctx;
}

mzmtp_mechanism_t mzmtp_socket_mechanism(const mzmtp_socket_t *sock)
{
    (void)sock;
    return MZMTP_MECH_NULL;
}

size_t mzmtp_socket_peer_user_id(const mzmtp_socket_t *sock, int peer, const uint8_t **id)
{
    (void)sock, (void)peer;
    *id = NULL;
    return 0;
}

void mzmtp_socket_peer_set_address(mzmtp_socket_t *sock, int peer, const char *address)
{
    (void)sock, (void)peer, (void)address;
}
#endif /* MZMTP_SECURITY */

int mzmtp_socket_recv_peer(const mzmtp_socket_t *sock)
{
    return sock->recv_last == MZMTP_NO_PEER ? -1 : (int)sock->recv_last;
}

