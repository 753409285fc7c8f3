/*
 * sodium_mcu_x25519.c - libsodium's X25519 (x25519_ref10.c) and the field arithmetic it
 * uses (ed25519_ref10.c), compiled as one translation unit. Nothing here is ours but this
 * comment, two includes and a rename: both files come from SODIUM_DIR (Debian's source
 * package) at build time; this file only puts them side by side.
 *
 * Why: both files include libsodium's field header (fe_25_5/fe.h), whose fe25519_mul and
 * fe25519_sq are static inline. At -Os gcc does not inline them, so compiled apart each
 * file carries its own copy (1376 + 920 B each on Cortex-M3). One unit has one copy:
 * 2.3 KB less flash, the same machine code per call.
 *
 * x25519's base-point function (crypto_scalarmult_base) would pull in the ed25519
 * fixed-base table (30 KB); as when the files were compiled apart, its call is renamed to
 * sodium_mcu.c's trap, here only for the x25519 part (sodium-mcu.mk, docs/security.md).
 */
#include "crypto_core/ed25519/ref10/ed25519_ref10.c"

#define ge25519_scalarmult_base sodium_mcu_ge25519_scalarmult_base
void sodium_mcu_ge25519_scalarmult_base(ge25519_p3 *h, const unsigned char *a);

#include "crypto_scalarmult/curve25519/ref10/x25519_ref10.c"
