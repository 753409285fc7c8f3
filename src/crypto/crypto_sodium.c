/* The libsodium backend of mzmtp_crypto.h: libsodium's primitives, nothing of our own. */
#include "mzmtp_crypto.h"

#include <string.h>

#include <sodium.h>

#if crypto_box_BEFORENMBYTES != 32 || crypto_box_NONCEBYTES != 24 || crypto_box_MACBYTES != 16
#error "libsodium's crypto_box sizes differ from mzmtp_crypto.h"
#endif
#if crypto_secretbox_KEYBYTES != 32 || crypto_secretbox_NONCEBYTES != 24 || \
    crypto_secretbox_MACBYTES != 16
#error "libsodium's crypto_secretbox sizes differ from mzmtp_crypto.h"
#endif

bool mzmtp_crypto_init(void)
{
#if defined(MZMTP_SODIUM_MCU) && MZMTP_SODIUM_MCU
    /* The microcontroller subset (ports/sodium-mcu): sodium_init would only pick
     * implementations, and in this build every one of them starts at the portable code it
     * would pick (X25519 ref10, Salsa20 ref, Poly1305 donna: their pointers are initialised
     * so); its random generator and allocator are not used. Not calling it keeps it and
     * the CPU probing out of the flash. */
    return true;
#else
    return sodium_init() >= 0; /* 1 = already initialised, also fine */
#endif
}

/*
 * The boxes are NaCl's crypto_box_afternm / crypto_secretbox, which are one construction,
 * crypto_secretbox_xsalsa20poly1305 (libsodium's crypto_secretbox_detached and
 * crypto_secretbox_open_detached do exactly what is below), called here through the
 * primitives it is made of: the subkey HSalsa20(key, nonce[0..16)), then Salsa20 under the
 * subkey and nonce[16..24), whose first 32 keystream bytes are the Poly1305 key and whose
 * bytes from 32 on encrypt the message; the MAC is Poly1305 over the ciphertext. Going
 * through the primitives keeps libsodium's wrappers (crypto_box_*, crypto_secretbox_*, the
 * xsalsa20 stream, and the memmove their overlap handling needs) out of a
 * microcontroller's flash; the arithmetic is all libsodium's.
 */
#define BLOCK 64u

/* Keystream block 0 under (nonce, key): ks[0..32) the Poly1305 key, ks[32..64) the
 * keystream of message bytes 0..31. Also gives the subkey for the later blocks. */
static bool block0(uint8_t ks[BLOCK], uint8_t subkey[32], const uint8_t nonce[MZMTP_CRYPTO_NONCE_LEN],
                   const uint8_t key[MZMTP_CRYPTO_KEY_LEN])
{
    memset(ks, 0, BLOCK);
    return crypto_core_hsalsa20(subkey, nonce, key, NULL) == 0 &&
           crypto_stream_salsa20_xor_ic(ks, ks, BLOCK, nonce + 16, 0, subkey) == 0;
}

/* Seal (@p open false): buf[0..len) in place becomes the ciphertext and @p mac its
 * Poly1305 tag. Open: check @p mac over the ciphertext buf[0..len) first (crypto_verify_16,
 * constant time), then decrypt it in place; nothing is decrypted when the tag is wrong. */
static bool secretbox(uint8_t *buf, uint8_t mac[MZMTP_CRYPTO_MAC_LEN], size_t len,
                      const uint8_t nonce[MZMTP_CRYPTO_NONCE_LEN],
                      const uint8_t key[MZMTP_CRYPTO_KEY_LEN], bool open)
{
    uint8_t ks[BLOCK], subkey[32], tag[MZMTP_CRYPTO_MAC_LEN];
    crypto_onetimeauth_poly1305_state st;
    size_t m0 = len < 32u ? len : 32u;
    bool ok = block0(ks, subkey, nonce, key) && crypto_onetimeauth_poly1305_init(&st, ks) == 0;
    if (open) {
        ok = ok && crypto_onetimeauth_poly1305_update(&st, buf, (unsigned long long)len) == 0 &&
             crypto_onetimeauth_poly1305_final(&st, tag) == 0 && crypto_verify_16(tag, mac) == 0;
    }
    if (ok) {
        for (size_t i = 0; i < m0; i++) buf[i] = (uint8_t)(buf[i] ^ ks[32 + i]);
        if (len > m0) {
            ok = crypto_stream_salsa20_xor_ic(buf + m0, buf + m0, (unsigned long long)(len - m0),
                                              nonce + 16, 1, subkey) == 0;
        }
    }
    if (!open) {
        ok = ok && crypto_onetimeauth_poly1305_update(&st, buf, (unsigned long long)len) == 0 &&
             crypto_onetimeauth_poly1305_final(&st, mac) == 0;
    }
    sodium_memzero(ks, sizeof ks);
    sodium_memzero(subkey, sizeof subkey);
    sodium_memzero(&st, sizeof st);
    return ok;
}

/* Copy @p len bytes that may overlap (the layouts mzmtp_crypto.h allows). */
static void move(uint8_t *dst, const uint8_t *src, size_t len)
{
    if (dst + len <= src || src + len <= dst) {
        memcpy(dst, src, len);
    } else if (dst < src) {
        for (size_t i = 0; i < len; i++) dst[i] = src[i];
    } else if (dst > src) {
        for (size_t i = len; i > 0; i--) dst[i - 1] = src[i - 1];
    }
}

bool mzmtp_crypto_scalarmult_base(uint8_t public_key[MZMTP_CRYPTO_KEY_LEN],
                                  const uint8_t secret_key[MZMTP_CRYPTO_KEY_LEN])
{
    static const uint8_t base9[crypto_scalarmult_curve25519_BYTES] = {9};
    return crypto_scalarmult_curve25519(public_key, secret_key, base9) == 0;
}

bool mzmtp_crypto_box_beforenm(uint8_t shared[MZMTP_CRYPTO_KEY_LEN],
                               const uint8_t their_public[MZMTP_CRYPTO_KEY_LEN],
                               const uint8_t our_secret[MZMTP_CRYPTO_KEY_LEN])
{
    /* crypto_box_curve25519xsalsa20poly1305_beforenm: HSalsa20 of the X25519 point under
     * a zero nonce. libsodium refuses a low-order public key (all-zero shared point). */
    static const uint8_t zero[16] = {0};
    uint8_t s[crypto_scalarmult_curve25519_BYTES];
    bool ok = crypto_scalarmult_curve25519(s, our_secret, their_public) == 0 &&
              crypto_core_hsalsa20(shared, zero, s, NULL) == 0;
    sodium_memzero(s, sizeof s);
    return ok;
}

bool mzmtp_crypto_box_afternm(uint8_t *out, const uint8_t *in, size_t len,
                              const uint8_t nonce[MZMTP_CRYPTO_NONCE_LEN],
                              const uint8_t shared[MZMTP_CRYPTO_KEY_LEN])
{
    move(out + MZMTP_CRYPTO_MAC_LEN, in, len);
    return secretbox(out + MZMTP_CRYPTO_MAC_LEN, out, len, nonce, shared, false);
}

bool mzmtp_crypto_box_detached_afternm(uint8_t *inout, uint8_t mac[MZMTP_CRYPTO_MAC_LEN],
                                       size_t len, const uint8_t nonce[MZMTP_CRYPTO_NONCE_LEN],
                                       const uint8_t shared[MZMTP_CRYPTO_KEY_LEN])
{
    return secretbox(inout, mac, len, nonce, shared, false);
}

bool mzmtp_crypto_box_open_afternm(uint8_t *out, const uint8_t *in, size_t len,
                                   const uint8_t nonce[MZMTP_CRYPTO_NONCE_LEN],
                                   const uint8_t shared[MZMTP_CRYPTO_KEY_LEN])
{
    uint8_t mac[MZMTP_CRYPTO_MAC_LEN];
    if (len < MZMTP_CRYPTO_MAC_LEN) return false;
    memcpy(mac, in, sizeof mac);
    /* The ciphertext moves to where the plaintext goes and is opened there; when the tag
     * is wrong the output holds ciphertext, which the caller must not use either way. */
    move(out, in + MZMTP_CRYPTO_MAC_LEN, len - MZMTP_CRYPTO_MAC_LEN);
    return secretbox(out, mac, len - MZMTP_CRYPTO_MAC_LEN, nonce, shared, true);
}

bool mzmtp_crypto_secretbox(uint8_t *out, const uint8_t *in, size_t len,
                            const uint8_t nonce[MZMTP_CRYPTO_NONCE_LEN],
                            const uint8_t key[MZMTP_CRYPTO_KEY_LEN])
{
    return mzmtp_crypto_box_afternm(out, in, len, nonce, key);
}

bool mzmtp_crypto_secretbox_open(uint8_t *out, const uint8_t *in, size_t len,
                                 const uint8_t nonce[MZMTP_CRYPTO_NONCE_LEN],
                                 const uint8_t key[MZMTP_CRYPTO_KEY_LEN])
{
    return mzmtp_crypto_box_open_afternm(out, in, len, nonce, key);
}

/* Keystream byte 32 + i encrypts plaintext byte i (see above). crypto_stream_salsa20_xor_ic
 * starts at a 64-byte block, so an unaligned start goes through one block of keystream on
 * the stack. */
bool mzmtp_crypto_box_xor(uint8_t *out, const uint8_t *in, size_t len, uint64_t pos,
                          const uint8_t nonce[MZMTP_CRYPTO_NONCE_LEN],
                          const uint8_t shared[MZMTP_CRYPTO_KEY_LEN])
{
    uint64_t ks = pos + 32u; /* keystream offset */
    size_t within = (size_t)(ks % BLOCK);
    uint8_t subkey[32];
    bool ok = crypto_core_hsalsa20(subkey, nonce, shared, NULL) == 0;
    if (ok && within != 0 && len > 0) {
        uint8_t block[BLOCK] = {0};
        ok = crypto_stream_salsa20_xor_ic(block, block, BLOCK, nonce + 16, ks / BLOCK, subkey) == 0;
        size_t k = BLOCK - within < len ? BLOCK - within : len;
        for (size_t i = 0; i < k; i++) out[i] = (uint8_t)(in[i] ^ block[within + i]);
        sodium_memzero(block, sizeof block);
        out += k;
        in += k;
        len -= k;
        ks += k;
    }
    if (ok && len > 0) {
        ok = crypto_stream_salsa20_xor_ic(out, in, (unsigned long long)len, nonce + 16, ks / BLOCK,
                                          subkey) == 0;
    }
    sodium_memzero(subkey, sizeof subkey);
    return ok;
}

typedef char mac_state_fits[sizeof(crypto_onetimeauth_poly1305_state) <=
                                    sizeof(((mzmtp_crypto_mac_t *)0)->u.bytes)
                                ? 1
                                : -1];

bool mzmtp_crypto_mac_begin(mzmtp_crypto_mac_t *st, const uint8_t nonce[MZMTP_CRYPTO_NONCE_LEN],
                            const uint8_t shared[MZMTP_CRYPTO_KEY_LEN])
{
    uint8_t ks[BLOCK], subkey[32];
    bool ok = block0(ks, subkey, nonce, shared) &&
              crypto_onetimeauth_poly1305_init((crypto_onetimeauth_poly1305_state *)(void *)st, ks) == 0;
    sodium_memzero(ks, sizeof ks);
    sodium_memzero(subkey, sizeof subkey);
    return ok;
}

void mzmtp_crypto_mac_update(mzmtp_crypto_mac_t *st, const uint8_t *ct, size_t len)
{
    (void)crypto_onetimeauth_poly1305_update((crypto_onetimeauth_poly1305_state *)(void *)st, ct,
                                             (unsigned long long)len);
}

void mzmtp_crypto_mac_final(mzmtp_crypto_mac_t *st, uint8_t mac[MZMTP_CRYPTO_MAC_LEN])
{
    (void)crypto_onetimeauth_poly1305_final((crypto_onetimeauth_poly1305_state *)(void *)st, mac);
    sodium_memzero(st, sizeof *st);
}

bool mzmtp_crypto_verify32(const uint8_t a[32], const uint8_t b[32])
{
    return crypto_verify_32(a, b) == 0;
}

void mzmtp_crypto_memzero(void *p, size_t len)
{
    sodium_memzero(p, len);
}
