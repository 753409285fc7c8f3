/*
 * rep.c - a REP node: binds tcp://(*):5557 and answers each request with "re:" and the
 * request (a pyzmq REQ on the host asks through QEMU's hostfwd).
 *
 * QEMU -append options: "count=N" (exit 0 after N replies; default 0 = for ever).
 */
#include "example.h"

MZMTP_SOCKET_MEM_DEFINE(rep_mem, 512, 256);
static mzmtp_socket_t rep;

int main(void)
{
    uint32_t count, done = 0;
    uint8_t req[200];
    size_t have = 0;

    net_init();
    count = net_arg_port("count=", 0);
    if (!example_open_bound(&rep, MZMTP_REP, &rep_mem, "tcp://*:5557", "rep: REP")) {
        return 1;
    }
    board_puts("\n");
    for (;;) {
        bool more;
        /* Read a whole request (its frames joined, cut at sizeof req), then answer. */
        while (done != count &&
               example_recv_piece(&rep, req, sizeof req, &have, &more) == MZMTP_OK) {
            if (more) {
                continue;
            }
            if (mzmtp_socket_send(&rep, "re:", 3, true) != MZMTP_OK ||
                mzmtp_socket_send(&rep, req, have, false) != MZMTP_OK) {
                board_puts("rep: reply refused\n");
            }
            have = 0;
            if (++done == count) {
                (void)mzmtp_lwip_close(&net_io, &rep, 1000);
            }
        }
        if (count != 0 && done == count && mzmtp_lwip_closed(&net_io, &rep)) {
            board_puts("rep: done, ");
            board_putu(done);
            board_puts(" replies\n");
            return 0;
        }
        net_step(&rep);
    }
}
