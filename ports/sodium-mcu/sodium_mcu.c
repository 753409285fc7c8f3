/*
 * sodium_mcu.c - the pieces that let libsodium's portable C link small on a
 * microcontroller (sodium-mcu.mk renames the calls these replace in the libsodium files
 * concerned), and the abort() of libsodium's misuse checks. Nothing here is cryptography
 * of our own: the base point multiplication below is libsodium's X25519 ladder; the rest
 * does nothing, on purpose.
 */
#include <string.h>

#include "private/ed25519_ref10.h"
#include "crypto_scalarmult_curve25519.h"

void sodium_mcu_ge25519_scalarmult_base(ge25519_p3 *h, const unsigned char *a);
int sodium_mcu_nothing(void);
void sodium_mcu_nothing_void(void);
void sodium_mcu_abort(void) __attribute__((noreturn));

/*
 * x25519_ref10.c's base function computes h = a*B on the Edwards curve, then maps it to
 * Montgomery u = (Z + Y) / (Z - Y). Here u = a*9 comes from the ladder instead (the same
 * point: 9 is B's Montgomery image, and the ladder clamps a as the caller already did),
 * and Y = u - 1, Z = u + 1 give exactly (Z + Y) / (Z - Y) = 2u / 2 = u. Only Y and Z are
 * read by that caller, the only one in this build; X and T are set to zero. Cost: the
 * ladder's 1.16 M instructions on Cortex-M3 instead of 0.47 M, for 30 KB less flash.
 */
void sodium_mcu_ge25519_scalarmult_base(ge25519_p3 *h, const unsigned char *a)
{
    static const unsigned char nine[32] = {9};
    unsigned char u_bytes[32];
    fe25519 u;
    fe25519 one;

    /* Cannot fail for point 9 (the result is all zero only for a low-order point); if it
     * ever did, u = 0 is what comes out, never stale stack bytes. */
    if (crypto_scalarmult_curve25519(u_bytes, a, nine) != 0) {
        memset(u_bytes, 0, sizeof u_bytes);
    }
    fe25519_frombytes(u, u_bytes);
    fe25519_1(one);
    fe25519_sub(h->Y, u, one);
    fe25519_add(h->Z, u, one);
    fe25519_0(h->X);
    fe25519_0(h->T);
}

/* sodium_init's picks for modules absent from this build (argon2, blake2b, chacha20), the
 * stir of libsodium's random generator and sodium_malloc's canary: microzmtp never uses
 * either (randomness comes from the port's callback; nothing is allocated). randombytes.c is not compiled, so a call to randombytes_buf
 * fails at link time instead of running on an unseeded generator. */
int sodium_mcu_nothing(void)
{
    return 0;
}

void sodium_mcu_nothing_void(void)
{
}

/* libsodium's abort() (sodium-mcu.mk renames it): only reached on misuse, which
 * microzmtp's calls cannot make. A chip has no process to end: stop here, where a
 * debugger finds it and a watchdog, if the application runs one, resets the chip. */
void sodium_mcu_abort(void)
{
    for (;;) {
    }
}
