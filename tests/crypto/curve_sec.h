/*
 * The CURVE settings (mzmtp_conn_sec_t) of a test's client or server engine: the keys
 * given, randomness from @p rng, nothing else set. Shared by the fuzzers and the
 * handshake cost program, which build both ends the same way.
 */
#ifndef CURVE_SEC_H
#define CURVE_SEC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "microzmtp/microzmtp.h"

/* A client: long-term pair @p pub / @p secret, the server's public key @p server_key. */
static inline void curve_sec_client(mzmtp_conn_sec_t *sec, const uint8_t pub[32],
                                    const uint8_t secret[32], const uint8_t server_key[32],
                                    mzmtp_random_fn rng, void *rng_ctx)
{
    memset(sec, 0, sizeof *sec);
    sec->mechanism = MZMTP_MECH_CURVE;
    memcpy(sec->public_key, pub, 32);
    memcpy(sec->secret_key, secret, 32);
    memcpy(sec->server_key, server_key, 32);
    sec->rng = rng;
    sec->rng_ctx = rng_ctx;
}

/* A server with long-term pair @p pub / @p secret (no authenticator). */
static inline void curve_sec_server(mzmtp_conn_sec_t *sec, const uint8_t pub[32],
                                    const uint8_t secret[32], mzmtp_random_fn rng,
                                    void *rng_ctx)
{
    memset(sec, 0, sizeof *sec);
    sec->mechanism = MZMTP_MECH_CURVE;
    sec->server = true;
    memcpy(sec->public_key, pub, 32);
    memcpy(sec->secret_key, secret, 32);
    sec->rng = rng;
    sec->rng_ctx = rng_ctx;
}

/* Switch engine @p c, which finished a NULL handshake, to CURVE as a CURVE handshake
 * leaves it: settings @p sec, session key @p key, the last short nonces sent (@p tx) and
 * received (@p rx). For tests of the MESSAGE layer without a handshake's cost. */
static inline void curve_sec_switch(mzmtp_conn_t *c, mzmtp_conn_sec_t *sec,
                                    const uint8_t key[32], uint64_t tx, uint64_t rx)
{
#if MZMTP_CONF_CURVE_STATE_APART
    /* A NULL engine has no CURVE state (a CURVE one keeps it in its command area): give
     * it one, the same for the same engine. */
    static const mzmtp_conn_t *owner[16];
    static mzmtp_curve_state_t state[16];
    unsigned i = 0;
    while (i < 16 && owner[i] != NULL && owner[i] != c) i++;
    if (i == 16) abort();
    owner[i] = c;
    memset(&state[i], 0, sizeof state[i]);
    c->curve = &state[i];
#else
    memset(c->curve, 0, sizeof *c->curve);
#endif
    c->mech = MZMTP_MECH_CURVE;
    c->opts.sec = sec;
    memcpy(c->curve->key, key, 32);
    c->curve->tx_nonce = tx;
    c->curve->rx_nonce = rx;
    c->curve->boxing = true;
}

#endif /* CURVE_SEC_H */
