/*
 * sodium_mcu.c - the pieces that let libsodium's portable C link small on a
 * microcontroller (sodium-mcu.mk renames the calls these replace in the libsodium files
 * concerned), and the abort() of libsodium's misuse checks. Nothing here is cryptography:
 * every function does nothing or stops, on purpose.
 */
#include "private/ed25519_ref10.h"

void sodium_mcu_ge25519_scalarmult_base(ge25519_p3 *h, const unsigned char *a);
int sodium_mcu_nothing(void);
void sodium_mcu_nothing_void(void);
void sodium_mcu_abort(void) __attribute__((noreturn));

/*
 * x25519_ref10.c's base function (crypto_scalarmult_base) multiplies by the ed25519 base
 * point with a 30 KB table. The crypto backend never calls it: it makes key pairs with
 * crypto_scalarmult on the point 9 (the same result). Only x25519's implementation table
 * still names it, which would link the table; renamed to this trap, the table stays out.
 * A call stops here (as libsodium's abort() does in this build) rather than compute
 * anything of our own.
 */
void sodium_mcu_ge25519_scalarmult_base(ge25519_p3 *h, const unsigned char *a)
{
    (void)h, (void)a;
    sodium_mcu_abort();
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
