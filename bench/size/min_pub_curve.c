/*
 * min_pub_curve.c - min_pub.c as a CURVE server (RFC 26): the same PUB loop, with a
 * long-term secret key (here a constant; a device would read it from its provisioned
 * storage) and a random source (here the data register of a hardware generator; on
 * mps2-an385 nothing is mapped there: this program is linked only to be measured). The
 * core is built with MZMTP_CONF_CURVE=1 and the crypto is libsodium's portable C for
 * Cortex-M3 (ports/sodium-mcu), so the difference from min_pub is what CURVE costs.
 */
#include "min_pub_loop.h"

/* Receive buffer per peer: a CURVE INITIATE (257 bytes + metadata) must fit. */
MZMTP_SOCKET_MEM_DEFINE(pub_mem, 512, 384);
static mzmtp_socket_t pub;

static const uint8_t server_secret[32] = {
    0x8e, 0x0b, 0xdd, 0x69, 0x76, 0x28, 0xb9, 0x1d, 0x8f, 0x24, 0x55, 0x87, 0xee, 0x95, 0xc5, 0xb0,
    0x4d, 0x48, 0x96, 0x3f, 0x79, 0x25, 0x98, 0x77, 0xb4, 0x9c, 0xd9, 0x06, 0x3a, 0xea, 0xd3, 0xb7};

#define TRNG_DATA (*(volatile uint32_t *)0x40048000u) /* a hardware generator's register */

static bool trng(void *ctx, uint8_t *buf, size_t len)
{
    (void)ctx;
    while (len-- > 0) {
        *buf++ = (uint8_t)TRNG_DATA;
    }
    return true;
}

int main(void)
{
    static const uint32_t one = 1;

    if (mzmtp_socket_init(&pub, MZMTP_PUB, &pub_mem) != MZMTP_OK ||
        mzmtp_socket_setopt(&pub, MZMTP_OPT_CURVE_SECRETKEY, server_secret,
                            sizeof server_secret) != MZMTP_OK ||
        mzmtp_socket_setopt(&pub, MZMTP_OPT_CURVE_SERVER, &one, sizeof one) != MZMTP_OK) {
        return 1;
    }
    mzmtp_socket_set_random(&pub, trng, NULL);
    publish_forever(&pub);
}
