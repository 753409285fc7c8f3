/*
 * pushpull.c - a pipeline worker: a PULL binds tcp://(*):5558 for work from the host, and
 * each message pulled is pushed on, prefixed with "done:", through a PUSH that connects
 * to the host (10.0.2.2). Both directions of ZeroMQ's pipeline on one node; the PUSH's
 * queue waits while the host is away and the port reconnects.
 *
 * QEMU -append options: "port=N" (the host's PULL port; required), "count=N" (exit 0
 * after N messages; default 0 = for ever).
 */
#include "example.h"

MZMTP_SOCKET_MEM_DEFINE(pull_mem, 64, 256);
MZMTP_SOCKET_MEM_DEFINE(push_mem, 1024, MZMTP_RECV_MIN);
static mzmtp_socket_t pull, push;

int main(void)
{
    static char endpoint[32];
    uint16_t bound = 0;
    uint32_t count, done = 0;
    uint8_t msg[5 + 200];
    size_t have = 5;

    net_init();
    count = net_arg_port("count=", 0);
    if (!example_host_arg(endpoint, "pushpull: give the host's PULL port: -append port=N\n")) {
        return 1;
    }
    if (mzmtp_socket_init(&pull, MZMTP_PULL, &pull_mem) != MZMTP_OK ||
        mzmtp_socket_init(&push, MZMTP_PUSH, &push_mem) != MZMTP_OK ||
        mzmtp_lwip_bind(&net_io, &pull, "tcp://*:5558", &bound) != MZMTP_OK ||
        mzmtp_lwip_connect(&net_io, &push, endpoint) != MZMTP_OK) {
        board_puts("pushpull: setup failed\n");
        return 1;
    }
    example_say_bound("pushpull: PULL", bound);
    board_puts(", PUSH connecting to ");
    board_puts(endpoint);
    board_puts("\n");
    msg[0] = 'd';
    msg[1] = 'o';
    msg[2] = 'n';
    msg[3] = 'e';
    msg[4] = ':';
    for (;;) {
        bool more;
        /* Forward only while the PUSH can queue: otherwise the work waits in the PULL's
         * buffer and TCP window, and the host's PUSH is throttled (backpressure). */
        while (done != count && (mzmtp_socket_poll(&push) & MZMTP_POLLOUT) &&
               example_recv_piece(&pull, msg, sizeof msg, &have, &more) == MZMTP_OK) {
            if (more) {
                continue;
            }
            if (mzmtp_socket_send(&push, msg, have, false) != MZMTP_OK) {
                board_puts("pushpull: push refused\n");
            }
            have = 5;
            if (++done == count) {
                (void)mzmtp_lwip_close(&net_io, &pull, 0);
                (void)mzmtp_lwip_close(&net_io, &push, 2000);
            }
        }
        if (count != 0 && done == count && mzmtp_lwip_closed(&net_io, &push) &&
            mzmtp_lwip_closed(&net_io, &pull)) {
            board_puts("pushpull: done, ");
            board_putu(done);
            board_puts(" messages\n");
            return 0;
        }
        net_step(done != count && (mzmtp_socket_poll(&push) & MZMTP_POLLOUT) ? &pull : NULL);
    }
}
