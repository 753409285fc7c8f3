/*
 * min_pub_loop.h - the loop min_pub.c and min_pub_curve.c both measure: read the sample,
 * run the port, publish a two-frame message (topic, 4-byte reading). One copy, so that
 * the two programs differ only in their set-up (min_pub_curve: CURVE's keys and random
 * source) and their difference is what CURVE costs.
 */
#ifndef MIN_PUB_LOOP_H
#define MIN_PUB_LOOP_H

#include "stub_link.h"

static volatile uint32_t sample;  /* an ADC interrupt would write this */
static volatile uint32_t dropped; /* messages the socket refused */

/* Publish readings on @p pub (initialised) forever. */
static void publish_forever(mzmtp_socket_t *pub)
{
    int peer = -1;
    uint8_t body[4];

    for (;;) {
        uint32_t v = sample;

        stub_link_service(pub, &peer);
        mzmtp_wire_put_u32(body, v);
        if (mzmtp_socket_send(pub, "temp", 4, true) != MZMTP_OK ||
            mzmtp_socket_send(pub, body, sizeof body, false) != MZMTP_OK) {
            dropped = dropped + 1u;
        }
    }
}

#endif /* MIN_PUB_LOOP_H */
