/*
 * The security mechanism behind one connection engine (internal to the core).
 *
 * The engine (src/conn/conn.c) knows no mechanism: it frames, scans, delivers and runs
 * timers; everything a mechanism decides goes through the four calls below, dispatched
 * on conn->mech:
 *   - mzmtp_mech_greeting(): the 64 bytes we send (mechanism name, as-server);
 *   - mzmtp_mech_start():    what we send right after the greeting (NULL: READY; PLAIN
 *                            and CURVE clients: HELLO);
 *   - mzmtp_mech_on_command(): each command received before the handshake is done; it
 *                            ends with mzmtp_conn_mech_peer_ready() (EV_HANDSHAKE);
 *   - wrap/unwrap (CURVE only, src/mech/curve.c): every frame after the handshake.
 * In the other direction the mechanisms use the engine's helpers declared here.
 */
#ifndef MZMTP_MECH_H
#define MZMTP_MECH_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "microzmtp/mzmtp_conn.h"

/* ---- mechanism side, called by the engine ---- */

/** @return Our 64-byte greeting (static storage). */
const uint8_t *mzmtp_mech_greeting(const mzmtp_conn_t *c);
/** @return true when the peer's 20-byte mechanism field is ours (exact match, G6). */
bool mzmtp_mech_accepts(const mzmtp_conn_t *c, const uint8_t *mech20);
/** Queue what we send right after the greeting. @return MZMTP_OK, MZMTP_ERR_INVALID (it
 *  does not fit the command buffer; CURVE: a key it needs was never set, i.e. is 32 zero
 *  bytes), MZMTP_ERR_CRYPTO (CURVE: no random source, or it failed). */
mzmtp_status_t mzmtp_mech_start(mzmtp_conn_t *c, uint32_t now_ms);
/**
 * Run one handshake command (a whole frame, decoded into name and data; a body that does
 * not decode as a command comes with @p name NULL, @p nlen 0 and the body as data).
 * @return MZMTP_OK (with ev->kind HANDSHAKE when the handshake is over, or NONE),
 *         or a fatal status (the engine is dead; an ERROR may be queued).
 */
mzmtp_status_t mzmtp_mech_on_command(mzmtp_conn_t *c, const uint8_t *name, size_t nlen,
                                     const uint8_t *data, size_t dlen, uint32_t now_ms,
                                     mzmtp_conn_event_t *ev);
/** Forget secrets (the engine is reinitialised or its socket closes). */
void mzmtp_mech_wipe(mzmtp_conn_t *c);

/* ---- engine side, called by the mechanisms ---- */

/** Room for @p need bytes in the command output buffer, or NULL; commit with
 *  mzmtp_conn_mech_commit(). */
uint8_t *mzmtp_conn_mech_room(mzmtp_conn_t *c, size_t need);
void mzmtp_conn_mech_commit(mzmtp_conn_t *c, size_t n);
/** Queue command @p name[0..nlen) with data d1 then d2 (a NULL @p d1 with @p l1 > 0:
 *  our metadata, of mzmtp_conn_mech_metadata(c, NULL) bytes). @return false if no room. */
bool mzmtp_conn_mech_put(mzmtp_conn_t *c, const char *name, size_t nlen, const uint8_t *d1,
                         size_t l1, const uint8_t *d2, size_t l2);
/** Write our metadata (Socket-Type, Identity: RFC 37 "Metadata") at @p at, or only count
 *  it when @p at is NULL (the caller makes room for that count first).
 *  @return Its bytes. */
size_t mzmtp_conn_mech_metadata(const mzmtp_conn_t *c, uint8_t *at);
/** Queue command @p name followed by our metadata (NULL READY, PLAIN INITIATE/READY).
 *  @return false if no room. */
bool mzmtp_conn_mech_put_meta_cmd(mzmtp_conn_t *c, const char *name, size_t nlen);
/**
 * The peer's metadata arrived (READY, INITIATE): check it and complete the handshake.
 * @p ev is mzmtp_conn_process()'s, still as it cleared it (data NULL, len 0).
 * @return MZMTP_OK with ev->kind = EV_HANDSHAKE, or a fatal status.
 */
mzmtp_status_t mzmtp_conn_mech_peer_ready(mzmtp_conn_t *c, const uint8_t *meta, size_t len,
                                          mzmtp_conn_event_t *ev);
/** Make the engine dead with @p st; send ERROR with @p reason first if not NULL. */
mzmtp_status_t mzmtp_conn_mech_die(mzmtp_conn_t *c, mzmtp_status_t st, const char *reason,
                                   uint8_t rlen);

/** Compare a decoded command name with a string literal. */
#define MECH_NAME_IS(n, nl, lit) \
    ((nl) == sizeof(lit) - 1u && mzmtp_util_bytes_eq((n), (lit), sizeof(lit) - 1u))

/* ---- per mechanism (mech.c dispatches) ---- */
mzmtp_status_t mzmtp_mech_null_start(mzmtp_conn_t *c);
mzmtp_status_t mzmtp_mech_null_on_command(mzmtp_conn_t *c, const uint8_t *name, size_t nlen,
                                          const uint8_t *data, size_t dlen,
                                          mzmtp_conn_event_t *ev);
mzmtp_status_t mzmtp_mech_plain_start(mzmtp_conn_t *c);
mzmtp_status_t mzmtp_mech_plain_on_command(mzmtp_conn_t *c, const uint8_t *name, size_t nlen,
                                           const uint8_t *data, size_t dlen,
                                           mzmtp_conn_event_t *ev);
#if MZMTP_CONF_CURVE
/* CURVE handshake (curve.c). At its end it sets c->curve.key, tx_nonce and rx_nonce (the
 * last short nonces sent and received), has given back its handshake slot (or will, once
 * its bytes are written) and calls mzmtp_conn_mech_peer_ready() with the peer's metadata. */
mzmtp_status_t mzmtp_mech_curve_start(mzmtp_conn_t *c, uint32_t now_ms);
mzmtp_status_t mzmtp_mech_curve_on_command(mzmtp_conn_t *c, const uint8_t *name, size_t nlen,
                                           const uint8_t *data, size_t dlen, uint32_t now_ms,
                                           mzmtp_conn_event_t *ev);
/** Give the engine's handshake slot back to the socket's pool (wiped) once its bytes
 *  are written and the handshake needs it no more (curve.c); any time for a dead one. */
void mzmtp_mech_curve_slot_done(mzmtp_conn_t *c);
/** Wipe the engine's CURVE state, give back its slot and its hold on the scratch. */
void mzmtp_mech_curve_forget(mzmtp_conn_t *c);
/* CURVE MESSAGE (curve_msg.c), once the handshake is over. */
/**
 * Open the whole MESSAGE frame at @p frame (header @p h) in place and rewrite it as a gap
 * the reader skips followed by an ordinary frame (its header in @p h on return).
 * @return MZMTP_OK with *gap set; MZMTP_ERR_PROTOCOL (not a MESSAGE), MZMTP_ERR_CRYPTO
 *         (forged box, nonce not above the last one).
 */
mzmtp_status_t mzmtp_mech_curve_open(mzmtp_conn_t *c, uint8_t *frame, mzmtp_frame_hdr_t *h,
                                     uint32_t *gap);
/** First byte of a gap left by mzmtp_mech_curve_open(); the next byte is its length. No
 *  ZMTP frame starts with it (reserved flag bits). */
#define MZMTP_CURVE_GAP 0xFFu
/** The engine's output after the greeting (mzmtp_conn_output()): the handshake slot's
 *  bytes, commands before the handshake ended, then boxed frames. */
size_t mzmtp_mech_curve_output(mzmtp_conn_t *c, mzmtp_iov_t *iov, size_t max);
void mzmtp_mech_curve_output_done(mzmtp_conn_t *c, size_t n);
bool mzmtp_mech_curve_has_output(const mzmtp_conn_t *c);
#endif
/** A peer's ERROR during the handshake (RFC 37 "The ERROR Command"): the event, and the
 *  status @p st the engine dies with. */
mzmtp_status_t mzmtp_mech_peer_error(mzmtp_conn_t *c, const uint8_t *data, size_t dlen,
                                     mzmtp_status_t st, mzmtp_conn_event_t *ev);
/** Ask the socket's authenticator; @return the RFC 27 status code (200 allows). */
unsigned mzmtp_mech_authenticate(mzmtp_conn_t *c, mzmtp_auth_request_t *req);
/** Refuse the peer for status @p code (300/400/500, wire-notes N6): ERROR "400"/"500"
 *  then close, a 300 closes without ERROR. @return MZMTP_ERR_AUTH. */
mzmtp_status_t mzmtp_mech_refuse(mzmtp_conn_t *c, unsigned code);

#endif /* MZMTP_MECH_H */
