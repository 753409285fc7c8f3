/**
 * @file mzmtp_security.h
 * @brief Security mechanisms (NULL, PLAIN, CURVE) and authentication: the user API.
 *
 * A socket speaks one mechanism, chosen by options before its first connection (as in
 * libzmq): NULL by default; PLAIN (RFC 24) with MZMTP_OPT_PLAIN_SERVER or a user name;
 * CURVE (RFC 25/26) with MZMTP_OPT_CURVE_SERVER or MZMTP_OPT_CURVE_SERVERKEY. CURVE is
 * compiled in with MZMTP_CONF_CURVE=1 and needs a crypto backend (libsodium) and a
 * random source (mzmtp_socket_set_random(); the POSIX port installs getrandom()).
 *
 * Authentication is a socket-level callback with the semantics of ZAP (RFC 27): the
 * server side asks it once per peer, after the peer's credentials are known and before
 * anything from that peer is delivered. Without a callback a PLAIN server refuses every
 * peer (there are no default users) and a CURVE server accepts any client key (libzmq
 * without a ZAP handler).
 */
#ifndef MZMTP_SECURITY_H
#define MZMTP_SECURITY_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "mzmtp_config_defaults.h"
#include "mzmtp_status.h"

/** Security mechanisms (the greeting's mechanism field). */
typedef enum mzmtp_mechanism {
    MZMTP_MECH_NULL = 0,
    MZMTP_MECH_PLAIN = 1,
    MZMTP_MECH_CURVE = 2
} mzmtp_mechanism_t;

/** @return "NULL", "PLAIN" or "CURVE". */
const char *mzmtp_mechanism_str(mzmtp_mechanism_t mech);

/** Longest PLAIN user name and password (RFC 24: one length byte each). */
#define MZMTP_PLAIN_MAX 255u
/** Raw CURVE key length; a Z85-encoded key is 40 characters (RFC 32). */
#define MZMTP_CURVE_KEY_LEN 32u
#define MZMTP_Z85_KEY_LEN 40u
/** Longest User-Id an authenticator may give (RFC 27 allows any; we keep it bounded). */
#ifndef MZMTP_USER_ID_MAX
#define MZMTP_USER_ID_MAX 64u
#endif

/** What the authenticator is asked: one peer's credentials. All pointers are borrowed
 *  for the duration of the callback only. */
typedef struct mzmtp_auth_request {
    mzmtp_mechanism_t mechanism;
    int peer;                    /**< Peer slot of the socket. */
    const char *address;         /**< The peer's address as the port knows it
                                      ("192.0.2.7:40112", "[fd00::1]:5555"), or "". */
    const uint8_t *username;     /**< PLAIN: user name, else NULL. */
    size_t username_len;
    const uint8_t *password;     /**< PLAIN: password, else NULL. Compare it with
                                      mzmtp_secure_equal(); never log it. */
    size_t password_len;
    const uint8_t *client_key;   /**< CURVE: the client's long-term public key
                                      (MZMTP_CURVE_KEY_LEN bytes), else NULL. */
} mzmtp_auth_request_t;

/** What the authenticator answers. Pre-filled with status 400 and empty strings. */
typedef struct mzmtp_auth_reply {
    unsigned status;             /**< RFC 27 status code: 200 allows the peer; 300
                                      (temporary), 400 (denied) or 500 (internal error)
                                      refuse it: the peer gets an ERROR command with
                                      the code as its reason, then is closed. */
    uint8_t user_id[MZMTP_USER_ID_MAX]; /**< With 200: the User-Id the application
                                      reads per peer (mzmtp_socket_peer_user_id()). */
    size_t user_id_len;
} mzmtp_auth_reply_t;

/**
 * The authenticator: fill @p reply from @p req. Called synchronously from inside a port
 * call (the peer's input); it must not call back into the socket.
 */
typedef void (*mzmtp_auth_fn)(void *ctx, const mzmtp_auth_request_t *req,
                              mzmtp_auth_reply_t *reply);

/**
 * Random bytes for CURVE (transient keys, nonces, cookie keys). Must fill @p buf with
 * @p len bytes from a cryptographically secure generator. @return true on success; on
 * false the handshake fails (MZMTP_ERR_CRYPTO) rather than use weak randomness.
 */
typedef bool (*mzmtp_random_fn)(void *ctx, uint8_t *buf, size_t len);

/** Constant-time comparison of two secrets of @p len bytes. @return true if equal. */
bool mzmtp_secure_equal(const void *a, const void *b, size_t len);
/** Overwrite @p len bytes at @p p with zeros in a way the compiler does not remove. */
void mzmtp_secure_wipe(void *p, size_t len);

/**
 * Z85 (RFC 32). Encode @p len bytes (a multiple of 4) of @p in into @p out, which gets
 * len*5/4 characters and a terminating NUL (so cap ≥ len*5/4 + 1).
 * @return MZMTP_OK, MZMTP_ERR_INVALID (length not a multiple of 4, @p cap too small).
 */
MZMTP_NODISCARD mzmtp_status_t mzmtp_z85_encode(char *out, size_t cap, const uint8_t *in,
                                                size_t len);
/**
 * Decode @p len characters (a multiple of 5) of Z85 text into @p out (len*4/5 bytes).
 * @return MZMTP_OK, MZMTP_ERR_INVALID (bad length, a character outside the alphabet, a
 *         group whose value exceeds 2^32−1, @p cap too small).
 */
MZMTP_NODISCARD mzmtp_status_t mzmtp_z85_decode(uint8_t *out, size_t cap, const char *in,
                                                size_t len);

#if MZMTP_CONF_CURVE
/**
 * Make a CURVE long-term key pair from @p rng.
 * @param[out] public_key, secret_key MZMTP_CURVE_KEY_LEN bytes each.
 * @return MZMTP_OK, MZMTP_ERR_CRYPTO (the random source failed).
 */
MZMTP_NODISCARD mzmtp_status_t mzmtp_curve_keypair(uint8_t *public_key, uint8_t *secret_key,
                                                   mzmtp_random_fn rng, void *rng_ctx);
/** Derive the public key of @p secret_key. @return MZMTP_OK, MZMTP_ERR_CRYPTO. */
MZMTP_NODISCARD mzmtp_status_t mzmtp_curve_public(uint8_t *public_key,
                                                  const uint8_t *secret_key);
#endif

#endif /* MZMTP_SECURITY_H */
