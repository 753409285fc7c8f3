/*
 * min_sub.c - the smallest honest SUB program: one socket in static memory, one
 * subscription, one peer attached through the port interface (stub_link.c), and a loop
 * that receives every frame into the application. Linked only to be measured.
 */
#include "stub_link.h"

MZMTP_SOCKET_MEM_DEFINE(sub_mem, 64, 256);
static mzmtp_socket_t sub;

static volatile uint8_t app_buf[64]; /* where the application consumes frames */
static volatile uint32_t messages;   /* complete messages received */

int main(void)
{
    int peer = -1;
    uint8_t buf[64];
    size_t len = 0;
    unsigned flags = 0;
    size_t i;

    if (mzmtp_socket_init(&sub, MZMTP_SUB, &sub_mem) != MZMTP_OK) {
        return 1;
    }
    if (mzmtp_socket_subscribe(&sub, "temp", 4) != MZMTP_OK) {
        return 1;
    }
    for (;;) {
        stub_link_service(&sub, &peer);
        while (mzmtp_socket_recv(&sub, buf, sizeof buf, &len, &flags) == MZMTP_OK) {
            for (i = 0; i < len && i < sizeof app_buf; i++) {
                app_buf[i] = buf[i];
            }
            if ((flags & (MZMTP_RECV_MORE | MZMTP_RECV_PARTIAL)) == 0) {
                messages = messages + 1u;
            }
        }
    }
}
