/*
 * pub.c - the seed's demo as firmware: a PUB on the emulated Cortex-M3 binds
 * tcp://(*):5556 and publishes one temperature reading a second, "sensor/temp 21.5",
 * to every subscriber (a pyzmq SUB on the host, through QEMU's hostfwd).
 *
 * QEMU -append options: "period=MS" (default 1000), "count=N" (stop after N readings,
 * closing with a 1 s linger and exiting 0; default 0 = for ever).
 */
#include "example.h"

MZMTP_SOCKET_MEM_DEFINE(pub_mem, 512, MZMTP_RECV_MIN);
static mzmtp_socket_t pub;

/* "sensor/temp 21.5": a made-up reading that wanders between 18.0 and 25.9. */
static size_t reading(char *out, uint32_t n)
{
    static const char topic[] = "sensor/temp ";
    uint32_t tenths = 180u + (n * 7u) % 80u;
    size_t k = sizeof topic - 1;
    for (size_t i = 0; i < k; i++) {
        out[i] = topic[i];
    }
    out[k++] = (char)('0' + tenths / 100u);
    out[k++] = (char)('0' + tenths / 10u % 10u);
    out[k++] = '.';
    out[k++] = (char)('0' + tenths % 10u);
    return k;
}

int main(void)
{
    uint32_t period, count, sent = 0, next;
    char msg[24];

    net_init();
    period = net_arg_port("period=", 1000);
    count = net_arg_port("count=", 0);
    if (!example_open_bound(&pub, MZMTP_PUB, &pub_mem, "tcp://*:5556", "pub: PUB")) {
        return 1;
    }
    board_puts(", one reading every ");
    board_putu(period);
    board_puts(" ms\n");
    next = board_ms();
    for (;;) {
        if ((int32_t)(board_ms() - next) >= 0 && (count == 0 || sent < count)) {
            size_t len = reading(msg, sent);
            msg[len] = '\0';
            /* Never blocks: queued once for every matching subscriber, or dropped. */
            if (mzmtp_socket_send(&pub, msg, len, false) == MZMTP_OK) {
                board_puts("pub: ");
                board_puts(msg);
                board_puts(mzmtp_socket_sub_peer_count(&pub) > 0 ? "\n" : " (no subscriber)\n");
            }
            sent++;
            next += period;
            if (count != 0 && sent == count) {
                (void)mzmtp_lwip_close(&net_io, &pub, 1000);
            }
        }
        if (count != 0 && sent == count && mzmtp_lwip_closed(&net_io, &pub)) {
            board_puts("pub: done\n");
            return 0;
        }
        net_step(NULL);
    }
}
