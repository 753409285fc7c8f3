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
    return crypto_scalarmult_base(public_key, secret_key) == 0;
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

bool mzmtp_crypto_verify32(const uint8_t a[32], const uint8_t b[32])
{
    return crypto_verify_32(a, b) == 0;
}

void mzmtp_crypto_memzero(void *p, size_t len)
{
    sodium_memzero(p, len);
}
