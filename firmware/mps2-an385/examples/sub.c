/*
 * sub.c - a SUB node: connects to a publisher on the host (QEMU user networking: the
 * host is 10.0.2.2), subscribes to "sensor/" and prints what it receives. It reconnects
 * whenever the publisher goes away (the port's back-off).
 *
 * QEMU -append options: "port=N" (the host's PUB port; required), "count=N" (exit 0
 * after N messages, closing first; default 0 = for ever).
 */
#include "example.h"

MZMTP_SOCKET_MEM_DEFINE(sub_mem, 128, 512);
static mzmtp_socket_t sub;

static char endpoint[32];

int main(void)
{
    uint32_t count, got = 0;
    char buf[129];

    net_init();
    count = net_arg_port("count=", 0);
    if (!example_host_arg(endpoint, "sub: give the host's port: -append port=N\n")) {
        return 1;
    }
    if (mzmtp_socket_init(&sub, MZMTP_SUB, &sub_mem) != MZMTP_OK ||
        mzmtp_socket_subscribe(&sub, "sensor/", 7) != MZMTP_OK ||
        mzmtp_lwip_connect(&net_io, &sub, endpoint) != MZMTP_OK) {
        board_puts("sub: setup failed\n");
        return 1;
    }
    board_puts("sub: SUB connecting to ");
    board_puts(endpoint);
    board_puts(", subscribed to sensor/\n");
    for (;;) {
        size_t len;
        unsigned flags;
        while (got != count &&
               mzmtp_socket_recv(&sub, buf, sizeof buf - 1, &len, &flags) == MZMTP_OK) {
            buf[len] = '\0';
            board_puts("sub: ");
            board_puts(buf);
            board_puts((flags & (MZMTP_RECV_MORE | MZMTP_RECV_PARTIAL)) ? " ...\n" : "\n");
            if (!(flags & (MZMTP_RECV_MORE | MZMTP_RECV_PARTIAL)) && ++got == count) {
                (void)mzmtp_lwip_close(&net_io, &sub, 0);
            }
        }
        if (got == count && count != 0 && mzmtp_lwip_closed(&net_io, &sub)) {
            board_puts("sub: done\n");
            return 0;
        }
        net_step(&sub);
    }
}
