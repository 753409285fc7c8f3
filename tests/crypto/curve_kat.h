/*
 * The team's CURVE known-answer transcript (curve-kat.txt: libsodium 1.0.18, libzmq
 * 4.3.4's layouts; long-term keys are libzmq's doc/zmq_curve.txt test keys; c', s', the
 * cookie key and the long nonces fixed), as the tests use it: hex of keys and of each
 * command frame, and a hex reader. Shared by tests/crypto/test_crypto_kat.c,
 * tests/unit/test_curve.c and tests/curve/test_curve_msg.c.
 */
#ifndef MZMTP_CURVE_KAT_H
#define MZMTP_CURVE_KAT_H

#include <stddef.h>
#include <stdint.h>

static const char C_PUB[] = "BB88471D65E2659B30C55A5321CEBB5AAB2B70A398645C26DCA2B2FCB43FC518";
static const char S_PUB[] = "54FCBA24E93249969316FB617C872BB0C1D1FF14800427C594CBFACF1BC2D652";
static const char C_SEC_Z85[] = "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs";
static const char S_SEC_Z85[] = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6";
#define CT_SEC_HEX "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"
static const char CT_SEC[] = CT_SEC_HEX;
static const char CT_PUB[] = "07a37cbc142093c8b755dc1b10e86cb426374ad16aa853ed0bdfc0b2b86d1c7c";
#define ST_SEC_HEX "2122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f40"
static const char ST_SEC[] = ST_SEC_HEX;
static const char ST_PUB[] = "5869aff450549732cbaaed5e5df9b30a6da31cb0e5742bad5ad4a1a768f1a67b";
static const char HELLO[] =
    "04c80548454c4c4f01000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000007a3"
    "7cbc142093c8b755dc1b10e86cb426374ad16aa853ed0bdfc0b2b86d1c7c00000000000000016e3f26f7"
    "2fe2f05db20de7881ee6a08fc432afe73b138226f5930879c93bdd4d8586425a3a8d6bc5d83598a3017e"
    "0f1792ff0381360d168b6fe1c5e0bb752b0d365e13ea8e8a29ce1c5052c8c63eced7";
static const char WELCOME[] =
    "04a80757454c434f4d45111111111111111111111111111111111b723d7895e0c59b0f0ad8c2539b849d"
    "cee53d96e70994fe51cfe39bae1182ce377d66f02241eeb865dd627365785aee504cb52440495e0e5f8a"
    "213f6805577d85636a2f617edf5462b32085ca1220a08e12142d71c47fa501ab0b55a7b5660a326fe86b"
    "8668c1b3dd660f5940edaa8393e02ba4b4b71ba29d852d2d343cf2807ee77fb44c60eec6e3f1a511652a"
    "8b95";
static const char INITIATE[] =
    "06000000000000012408494e49544941544522222222222222222222222222222222a29d1f66ed0fb562"
    "d56db7ec9038c778330f3a8bfa8e34cd024753952ad79e38b307a24c38258aeebd4957b14ff5754b3d7a"
    "f24ae54ec8e1294a2b45c7be0196988578baae02f847d7a0aedcb30c3cd30000000000000002daff06da"
    "ab11502e3ab8492dbe06a612f4b83c445dabfe76b764205b74eeced08560918c380fe1f6615aa96926bb"
    "fd8b2e0256bd942fbf1c0d8cbe94fcab0ec38dc67055383e1d63546d903b825abe211f50e7a036eea66a"
    "3a79fe1dde5d9c8ebe3af0dc650c0922bdcfca7f00e9919b9380988ca21f26dbdd2f3866e6a62325f2ae"
    "3181005efad09487fc2e3174c3d57523cdb6612d1dcd2e3c1025f1b8642572653b8096339e6dfabca005"
    "b814c15e89d3e2";
static const char READY[] =
    "04410552454144590000000000000001640086d1ab154a21cf6b4b63c8994a57e5b976c483ec0654f901"
    "c19a18bef5ba8a058356adbb7f4fd971d3a3f9629bff74d79f";
static const char MSG_CS[] =
    "0026074d45535341474500000000000000032392739af151941d8293c3ab21586b77220731a3f5fd";
static const char MSG_SC[] =
    "0026074d45535341474500000000000000029daf54f72d0da81c78bbef03e46eab762176eb04f186";

/* Read hex pairs into @p out (at most @p cap bytes). @return Bytes read. */
static inline size_t kat_unhex(uint8_t *out, size_t cap, const char *hex)
{
    size_t n = 0;
    while (hex[0] && hex[1] && n < cap) {
        unsigned v = 0;
        for (int i = 0; i < 2; i++) {
            char ch = hex[i];
            v = (v << 4) | (unsigned)(ch <= '9' ? ch - '0' : (ch | 0x20) - 'a' + 10);
        }
        out[n++] = (uint8_t)v;
        hex += 2;
    }
    return n;
}

#endif
