/*
 * pushpull.c - a pipeline worker: a PULL binds tcp://(*):5558 for work from the host, and
 * each message pulled is pushed on, prefixed with "done:", through a PUSH that connects
 * to the host (10.0.2.2). Both directions of ZeroMQ's pipeline on one node; the PUSH's
 * queue waits while the host is away and the port reconnects.
 *
 * QEMU -append options: "port=N" (the host's PULL port; required), "count=N" (exit 0
 * after N messages; default 0 = for ever).
 */
#include "board.h"
#include "net.h"

MZMTP_SOCKET_MEM_DEFINE(pull_mem, 64, 256);
MZMTP_SOCKET_MEM_DEFINE(push_mem, 1024, MZMTP_RECV_MIN);
static mzmtp_socket_t pull, push;

int main(void)
{
    static char endpoint[32] = "tcp://10.0.2.2:";
    uint16_t port, bound = 0;
    uint32_t count, done = 0;
    uint8_t msg[5 + 200], scrap[32];
    size_t have = 5;

    net_init();
    port = net_arg_port("port=", 0);
    count = net_arg_port("count=", 0);
    if (port == 0) {
        board_puts("pushpull: give the host's PULL port: -append port=N\n");
        return 1;
    }
    {
        char d[6];
        int n = 0;
        char *s = endpoint + 15;
        do {
            d[n++] = (char)('0' + port % 10u);
            port = (uint16_t)(port / 10u);
        } while (port != 0);
        while (n > 0) {
            *s++ = d[--n];
        }
        *s = '\0';
    }
    if (mzmtp_socket_init(&pull, MZMTP_PULL, &pull_mem) != MZMTP_OK ||
        mzmtp_socket_init(&push, MZMTP_PUSH, &push_mem) != MZMTP_OK ||
        mzmtp_lwip_bind(&net_io, &pull, "tcp://*:5558", &bound) != MZMTP_OK ||
        mzmtp_lwip_connect(&net_io, &push, endpoint) != MZMTP_OK) {
        board_puts("pushpull: setup failed\n");
        return 1;
    }
    board_puts("pushpull: PULL bound to tcp://*:");
    board_putu(bound);
    board_puts(", PUSH connecting to ");
    board_puts(endpoint);
    board_puts("\n");
    msg[0] = 'd';
    msg[1] = 'o';
    msg[2] = 'n';
    msg[3] = 'e';
    msg[4] = ':';
    for (;;) {
        size_t len;
        unsigned flags;
        /* Forward only while the PUSH can queue: otherwise the work waits in the PULL's
         * buffer and TCP window, and the host's PUSH is throttled (backpressure). */
        while (done != count && (mzmtp_socket_poll(&push) & MZMTP_POLLOUT) &&
               mzmtp_socket_recv(&pull, have < sizeof msg ? msg + have : scrap,
                                 have < sizeof msg ? sizeof msg - have : sizeof scrap,
                                 &len, &flags) == MZMTP_OK) {
            if (have < sizeof msg) {
                have += len; /* once msg is full, the rest goes to scrap: dropped */
            }
            if (flags & (MZMTP_RECV_MORE | MZMTP_RECV_PARTIAL)) {
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
