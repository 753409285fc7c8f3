/*
 * subscriber: connects a SUB socket to a publisher (ours, libzmq's or anyone's), subscribes
 * to a topic and prints the messages it receives.
 *
 *   example_subscriber [ENDPOINT [TOPIC [COUNT]]]
 *   defaults: tcp://127.0.0.1:5556, "sensor/", 10 messages
 *
 * Exits 0 after COUNT messages, 1 after 10 s without one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mzmtp_posix.h"

MZMTP_SOCKET_MEM_DEFINE(sub_mem, 512, 1024); /* send ring (subscriptions); receive buffer */
static mzmtp_socket_t sub;
static mzmtp_posix_t io;

int main(int argc, char **argv)
{
    const char *endpoint = argc > 1 ? argv[1] : "tcp://127.0.0.1:5556";
    const char *topic = argc > 2 ? argv[2] : "sensor/";
    int count = argc > 3 ? atoi(argv[3]) : 10;

    mzmtp_posix_init(&io);
    if (mzmtp_socket_init(&sub, MZMTP_SUB, &sub_mem) != MZMTP_OK ||
        mzmtp_socket_subscribe(&sub, topic, strlen(topic)) != MZMTP_OK ||
        mzmtp_posix_connect(&io, &sub, endpoint) != MZMTP_OK) {
        fprintf(stderr, "subscriber: cannot connect to %s\n", endpoint);
        return 1;
    }

    uint32_t last = mzmtp_posix_now_ms();
    for (int got = 0; got < count;) {
        char msg[256];
        size_t len;
        unsigned flags;
        if (mzmtp_socket_recv(&sub, msg, sizeof msg - 1, &len, &flags) == MZMTP_OK) {
            msg[len] = '\0';
            /* Frames are printed space-separated; a frame longer than the buffer arrives in
             * pieces (MZMTP_RECV_PARTIAL), printed as they come. */
            bool end = !(flags & (MZMTP_RECV_MORE | MZMTP_RECV_PARTIAL));
            printf("%s%s", msg, (flags & MZMTP_RECV_PARTIAL) ? "" : end ? "\n" : " ");
            fflush(stdout);
            if (end) got++;
            last = mzmtp_posix_now_ms();
            continue;
        }
        if (mzmtp_posix_now_ms() - last > 10000u) {
            fprintf(stderr, "subscriber: nothing for 10 s\n");
            return 1;
        }
        (void)mzmtp_posix_run(&io, 1000); /* wait for the network, at most 1 s */
    }
    (void)mzmtp_posix_close(&io, &sub, 0);
    return 0;
}
