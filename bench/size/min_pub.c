/*
 * min_pub.c - the smallest honest PUB program: one socket in static memory, one peer
 * attached through the port interface (stub_link.c), and a loop that publishes a
 * two-frame message (topic, 4-byte reading). Linked only to be measured.
 */
#include "stub_link.h"

MZMTP_SOCKET_MEM_DEFINE(pub_mem, 512, 128);
static mzmtp_socket_t pub;

static volatile uint32_t sample;  /* an ADC interrupt would write this */
static volatile uint32_t dropped; /* messages the socket refused */

int main(void)
{
    int peer = -1;
    uint8_t body[4];

    if (mzmtp_socket_init(&pub, MZMTP_PUB, &pub_mem) != MZMTP_OK) {
        return 1;
    }
    for (;;) {
        uint32_t v = sample;

        stub_link_service(&pub, &peer);
        mzmtp_wire_put_u32(body, v);
        if (mzmtp_socket_send(&pub, "temp", 4, true) != MZMTP_OK ||
            mzmtp_socket_send(&pub, body, sizeof body, false) != MZMTP_OK) {
            dropped = dropped + 1u;
        }
    }
}
