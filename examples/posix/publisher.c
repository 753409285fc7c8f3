/*
 * publisher: the microzmtp demo. A PUB socket on the POSIX port publishes sensor readings
 * that any ZeroMQ subscriber (libzmq, pyzmq, CZMQ, microzmtp) can read.
 *
 *   example_publisher [ENDPOINT [COUNT [INTERVAL_MS]]]
 *   defaults: tcp://127.0.0.1:5556, 10 readings, 200 ms apart
 *
 * Everything lives in static memory; the library allocates nothing.
 */
#include <stdio.h>
#include <stdlib.h>

#include "mzmtp_posix.h"

MZMTP_SOCKET_MEM_DEFINE(pub_mem, 4096, 512); /* send ring; receive buffer per subscriber */
static mzmtp_socket_t pub;
static mzmtp_posix_t io;

/* Run the I/O loop for @p ms milliseconds. */
static void run_for(uint32_t ms)
{
    uint32_t end = mzmtp_posix_now_ms() + ms;
    for (int32_t left = (int32_t)ms; left > 0; left = (int32_t)(end - mzmtp_posix_now_ms())) {
        (void)mzmtp_posix_run(&io, (int)left);
    }
}

int main(int argc, char **argv)
{
    const char *endpoint = argc > 1 ? argv[1] : "tcp://127.0.0.1:5556";
    int count = argc > 2 ? atoi(argv[2]) : 10;
    uint32_t interval_ms = argc > 3 ? (uint32_t)atoi(argv[3]) : 200u;
    char bound[MZMTP_POSIX_ENDPOINT_LEN];

    mzmtp_posix_init(&io);
    if (mzmtp_socket_init(&pub, MZMTP_PUB, &pub_mem) != MZMTP_OK ||
        mzmtp_posix_bind(&io, &pub, endpoint, bound, sizeof bound) != MZMTP_OK) {
        fprintf(stderr, "publisher: cannot bind %s\n", endpoint);
        return 1;
    }
    printf("publisher: bound to %s, waiting for a subscriber\n", bound);
    fflush(stdout);

    /* PUB sends only what a peer subscribed to, so wait for a first subscription. */
    for (int waited = 0; mzmtp_socket_sub_peer_count(&pub) == 0; waited += 100) {
        if (waited >= 10000) {
            fprintf(stderr, "publisher: no subscriber after 10 s\n");
            return 1;
        }
        run_for(100);
    }

    for (int i = 0; i < count; i++) {
        char reading[32];
        int tenths = 215 + i % 7; /* 21.5 °C and rising: no floating point needed */
        int len = snprintf(reading, sizeof reading, "sensor/temp %d.%d", tenths / 10, tenths % 10);
        if (mzmtp_socket_send(&pub, reading, (size_t)len, false) != MZMTP_OK) return 1;
        printf("publisher: sent \"%s\"\n", reading);
        fflush(stdout);
        run_for(interval_ms); /* the loop writes the reading while we wait */
    }
    return mzmtp_posix_close(&io, &pub, 1000) == MZMTP_OK ? 0 : 1; /* flush, then close */
}
