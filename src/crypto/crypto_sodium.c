/* The libsodium backend of mzmtp_crypto.h: each function is one libsodium call. */
#include "mzmtp_crypto.h"

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
    return sodium_init() >= 0; /* 1 = already initialised, also fine */
}

bool mzmtp_crypto_scalarmult_base(uint8_t public_key[MZMTP_CRYPTO_KEY_LEN],
                                  const uint8_t secret_key[MZMTP_CRYPTO_KEY_LEN])
{
    static const uint8_t base9[crypto_scalarmult_BYTES] = {9};
    return crypto_scalarmult(public_key, secret_key, base9) == 0;
}

bool mzmtp_crypto_box_beforenm(uint8_t shared[MZMTP_CRYPTO_KEY_LEN],
                               const uint8_t their_public[MZMTP_CRYPTO_KEY_LEN],
                               const uint8_t our_secret[MZMTP_CRYPTO_KEY_LEN])
{
    /* libsodium refuses a low-order public key (all-zero shared point): -1. */
    return crypto_box_beforenm(shared, their_public, our_secret) == 0;
}

bool mzmtp_crypto_box_afternm(uint8_t *out, const uint8_t *in, size_t len,
                              const uint8_t nonce[MZMTP_CRYPTO_NONCE_LEN],
                              const uint8_t shared[MZMTP_CRYPTO_KEY_LEN])
{
    return crypto_box_easy_afternm(out, in, (unsigned long long)len, nonce, shared) == 0;
}

bool mzmtp_crypto_box_detached_afternm(uint8_t *inout, uint8_t mac[MZMTP_CRYPTO_MAC_LEN],
                                       size_t len, const uint8_t nonce[MZMTP_CRYPTO_NONCE_LEN],
                                       const uint8_t shared[MZMTP_CRYPTO_KEY_LEN])
{
    return crypto_box_detached_afternm(inout, mac, inout, (unsigned long long)len, nonce,
                                       shared) == 0;
}

bool mzmtp_crypto_box_open_afternm(uint8_t *out, const uint8_t *in, size_t len,
                                   const uint8_t nonce[MZMTP_CRYPTO_NONCE_LEN],
                                   const uint8_t shared[MZMTP_CRYPTO_KEY_LEN])
{
    if (len < MZMTP_CRYPTO_MAC_LEN) return false;
    return crypto_box_open_easy_afternm(out, in, (unsigned long long)len, nonce, shared) == 0;
}

bool mzmtp_crypto_secretbox(uint8_t *out, const uint8_t *in, size_t len,
                            const uint8_t nonce[MZMTP_CRYPTO_NONCE_LEN],
                            const uint8_t key[MZMTP_CRYPTO_KEY_LEN])
{
    return crypto_secretbox_easy(out, in, (unsigned long long)len, nonce, key) == 0;
}

bool mzmtp_crypto_secretbox_open(uint8_t *out, const uint8_t *in, size_t len,
                                 const uint8_t nonce[MZMTP_CRYPTO_NONCE_LEN],
                                 const uint8_t key[MZMTP_CRYPTO_KEY_LEN])
{
    if (len < MZMTP_CRYPTO_MAC_LEN) return false;
    return crypto_secretbox_open_easy(out, in, (unsigned long long)len, nonce, key) == 0;
}

/* crypto_box_afternm = crypto_secretbox_xsalsa20poly1305 under the shared key: keystream
 * bytes 0..31 are the Poly1305 key, plaintext byte i is XORed with keystream byte 32 + i.
 * crypto_stream_xsalsa20_xor_ic starts at a 64-byte block, so an unaligned start goes
 * through one block of keystream on the stack. */
#define BLOCK 64u
bool mzmtp_crypto_box_xor(uint8_t *out, const uint8_t *in, size_t len, uint64_t pos,
                          const uint8_t nonce[MZMTP_CRYPTO_NONCE_LEN],
                          const uint8_t shared[MZMTP_CRYPTO_KEY_LEN])
{
    uint64_t ks = pos + 32u; /* keystream offset */
    size_t within = (size_t)(ks % BLOCK);
    if (within != 0 && len > 0) {
        uint8_t block[BLOCK] = {0};
        if (crypto_stream_xsalsa20_xor_ic(block, block, BLOCK, nonce, ks / BLOCK, shared) != 0) {
            return false;
        }
        size_t k = BLOCK - within < len ? BLOCK - within : len;
        for (size_t i = 0; i < k; i++) out[i] = (uint8_t)(in[i] ^ block[within + i]);
        sodium_memzero(block, sizeof block);
        out += k;
        in += k;
        len -= k;
        ks += k;
    }
    if (len == 0) return true;
    return crypto_stream_xsalsa20_xor_ic(out, in, (unsigned long long)len, nonce, ks / BLOCK,
                                         shared) == 0;
}

typedef char mac_state_fits[sizeof(crypto_onetimeauth_poly1305_state) <=
                                    sizeof(((mzmtp_crypto_mac_t *)0)->u.bytes)
                                ? 1
                                : -1];

bool mzmtp_crypto_mac_begin(mzmtp_crypto_mac_t *st, const uint8_t nonce[MZMTP_CRYPTO_NONCE_LEN],
                            const uint8_t shared[MZMTP_CRYPTO_KEY_LEN])
{
    uint8_t key[32];
    if (crypto_stream_xsalsa20(key, sizeof key, nonce, shared) != 0) return false;
    int r = crypto_onetimeauth_poly1305_init((crypto_onetimeauth_poly1305_state *)(void *)st, key);
    sodium_memzero(key, sizeof key);
    return r == 0;
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
