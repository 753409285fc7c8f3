/**
 * @file mzmtp_crypto.h
 * @brief The crypto primitives CURVE needs, behind our own small interface.
 *
 * The CURVE mechanism calls only these functions; one backend implements them
 * (crypto_sodium.c, libsodium's primitives: X25519, HSalsa20, Salsa20, Poly1305, composed
 * as NaCl's crypto_box / crypto_secretbox are). Nothing here is our own cryptography. All sizes are fixed by NaCl's crypto_box (Curve25519, XSalsa20,
 * Poly1305). Buffers follow the "easy" layout: a box is MAC (16 B) followed by the
 * ciphertext, with no zero padding, so a box of n plaintext bytes is n + 16 bytes.
 * Functions return true on success; an open that fails authentication returns false and
 * leaves the output unspecified (the caller must not use it).
 */
#ifndef MZMTP_CRYPTO_H
#define MZMTP_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MZMTP_CRYPTO_KEY_LEN    32u /**< public, secret and shared keys */
#define MZMTP_CRYPTO_NONCE_LEN  24u /**< crypto_box / crypto_secretbox nonce */
#define MZMTP_CRYPTO_MAC_LEN    16u /**< Poly1305 tag in front of every box */

/** Backend start-up (libsodium: sodium_init). Safe to call more than once. */
bool mzmtp_crypto_init(void);

/** public = secret * base point 9. Computed with the Montgomery ladder
 *  (crypto_scalarmult on the point 9), not crypto_scalarmult_base, whose ed25519 table
 *  costs 30 KB of flash on a microcontroller; the result is the same. */
bool mzmtp_crypto_scalarmult_base(uint8_t public_key[MZMTP_CRYPTO_KEY_LEN],
                                  const uint8_t secret_key[MZMTP_CRYPTO_KEY_LEN]);

/** The crypto_box shared key of our secret and their public key (crypto_box_beforenm). */
bool mzmtp_crypto_box_beforenm(uint8_t shared[MZMTP_CRYPTO_KEY_LEN],
                               const uint8_t their_public[MZMTP_CRYPTO_KEY_LEN],
                               const uint8_t our_secret[MZMTP_CRYPTO_KEY_LEN]);

/** The type of the four box functions below: out from in[0..len) under (@p nonce, @p key),
 *  the key being a crypto_box shared key or the secretbox key. Declared once, so that
 *  the four keep one signature (and one argument order) by construction. */
typedef bool mzmtp_crypto_box_fn(uint8_t *out, const uint8_t *in, size_t len,
                                 const uint8_t nonce[MZMTP_CRYPTO_NONCE_LEN],
                                 const uint8_t key[MZMTP_CRYPTO_KEY_LEN]);

/** out[0..len+16) = box of in[0..len) under the shared key. The buffers may overlap in
 *  any way (the backend moves the plaintext to out + 16 first, then boxes it in place);
 *  so may the open's below. */
mzmtp_crypto_box_fn mzmtp_crypto_box_afternm;

/** out[0..len-16) = plaintext of the box in[0..len); false if len < 16 or forged.
 *  out == in + 16 (the plaintext where the ciphertext was) is allowed, and is what the
 *  engine does to open a MESSAGE in its receive buffer. */
mzmtp_crypto_box_fn mzmtp_crypto_box_open_afternm;

/** Secret-key box (the server's cookie) and its open: layout as the public-key box. */
mzmtp_crypto_box_fn mzmtp_crypto_secretbox;
mzmtp_crypto_box_fn mzmtp_crypto_secretbox_open;

/** The box of inout[0..len) in place: inout becomes the ciphertext, @p mac its MAC (the
 *  box is mac || ciphertext). One call, for a frame that fits the engine's scratch. */
bool mzmtp_crypto_box_detached_afternm(uint8_t *inout, uint8_t mac[MZMTP_CRYPTO_MAC_LEN],
                                       size_t len, const uint8_t nonce[MZMTP_CRYPTO_NONCE_LEN],
                                       const uint8_t shared[MZMTP_CRYPTO_KEY_LEN]);

/*
 * The same box, built in pieces, for a frame too large for the engine's scratch: the
 * box of m under (nonce, shared) is MAC || (m XOR keystream from byte 32), and the MAC is
 * Poly1305 over that ciphertext under the first 32 keystream bytes (NaCl's
 * crypto_secretbox construction, which crypto_box_afternm is). These give the two pieces
 * separately, so that the caller can compute the MAC in a first pass and produce the
 * ciphertext chunk by chunk in a second; the result is byte for byte the box above
 * (tests/crypto/test_crypto_kat.c checks it). Each is a few libsodium calls.
 */
/** out[0..len) = in[0..len) XOR the keystream at plaintext offset @p pos. out == in ok. */
bool mzmtp_crypto_box_xor(uint8_t *out, const uint8_t *in, size_t len, uint64_t pos,
                          const uint8_t nonce[MZMTP_CRYPTO_NONCE_LEN],
                          const uint8_t shared[MZMTP_CRYPTO_KEY_LEN]);

/** Incremental MAC of a box's ciphertext; opaque, sized for the backend's state. */
typedef struct mzmtp_crypto_mac {
    union {
        unsigned char bytes[256];
        unsigned long long align_ll;
        long double align_ld;
    } u;
} mzmtp_crypto_mac_t;
bool mzmtp_crypto_mac_begin(mzmtp_crypto_mac_t *st, const uint8_t nonce[MZMTP_CRYPTO_NONCE_LEN],
                            const uint8_t shared[MZMTP_CRYPTO_KEY_LEN]);
void mzmtp_crypto_mac_update(mzmtp_crypto_mac_t *st, const uint8_t *ct, size_t len);
/** Write the 16-byte MAC and wipe the state. */
void mzmtp_crypto_mac_final(mzmtp_crypto_mac_t *st, uint8_t mac[MZMTP_CRYPTO_MAC_LEN]);

/** Constant-time compare of 32 bytes (crypto_verify_32). */
bool mzmtp_crypto_verify32(const uint8_t a[32], const uint8_t b[32]);

/** Wipe a secret so that the compiler cannot drop the stores (sodium_memzero). */
void mzmtp_crypto_memzero(void *p, size_t len);

#endif
