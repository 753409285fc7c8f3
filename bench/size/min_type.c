/*
 * min_type.c - the smallest program for one socket type (TYPE, DO_SEND, DO_RECV given by
 * per_type.sh): one socket, one peer through the stand-in transport, and a loop that
 * sends and/or receives as the type does. Linked only to be measured.
 */
#include "stub_link.h"

MZMTP_SOCKET_MEM_DEFINE(type_mem, 512, 256);
static mzmtp_socket_t sock;

static volatile uint32_t sample;   /* an ADC interrupt would write this */
static volatile uint32_t events;   /* what the loop did, so nothing is optimised away */

int main(void)
{
    int peer = -1;
    uint8_t buf[64];

    if (mzmtp_socket_init(&sock, TYPE, &type_mem) != MZMTP_OK) {
        return 1;
    }
#if TYPE == MZMTP_SUB
    if (mzmtp_socket_subscribe(&sock, "temp", 4) != MZMTP_OK) {
        return 1;
    }
#endif
    for (;;) {
        stub_link_service(&sock, &peer);
#if DO_RECV
        size_t len = 0;
        unsigned flags = 0;
        while (mzmtp_socket_recv(&sock, buf, sizeof buf, &len, &flags) == MZMTP_OK) {
            events = events + (uint32_t)len;
        }
#endif
#if DO_SEND
        mzmtp_wire_put_u32(buf, sample);
        if (mzmtp_socket_send(&sock, buf, 4, false) != MZMTP_OK) {
            events = events + 1u;
        }
#endif
    }
}
