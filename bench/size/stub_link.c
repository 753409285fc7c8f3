/*
 * stub_link.c - see stub_link.h. Not a port: nothing here is ever executed by the report.
 */
#include "stub_link.h"

/* Filled and drained by an imagined driver (an ISR, a radio, a TCP stack). */
static volatile uint8_t rx_fifo[128];
static volatile uint16_t rx_head, rx_tail;
static volatile uint8_t tx_fifo[256];
static volatile uint16_t tx_len;
static volatile uint8_t link_up;
static volatile uint32_t clock_ms;
static volatile uint32_t wake_in_ms; /* the loop would sleep this long (a timer's period) */

/* Hand what the driver received to the socket, straight into the engine's receive buffer
 * (the zero-copy port interface); the socket may have room for only part of it. */
static mzmtp_status_t pump_input(mzmtp_socket_t *sock, int peer, uint32_t now)
{
    size_t head = rx_head;
    size_t tail = rx_tail;
    size_t n = tail > head ? tail - head : 0;
    uint8_t *at;
    size_t room;
    size_t i;

    if (n == 0) {
        return MZMTP_OK;
    }
    mzmtp_socket_peer_rx_space(sock, peer, &at, &room);
    if (n > room) {
        n = room;
    }
    for (i = 0; i < n; i++) {
        at[i] = rx_fifo[head + i];
    }
    rx_head = (uint16_t)(head + n);
    return mzmtp_socket_peer_rx_commit(sock, peer, n, now);
}

/* Write what the socket has for the peer, as far as the driver has room. */
static void pump_output(mzmtp_socket_t *sock, int peer)
{
    mzmtp_iov_t iov[4];
    size_t nvec = mzmtp_socket_peer_output(sock, peer, iov, 4);
    size_t len = tx_len;
    size_t room = sizeof tx_fifo - len;
    size_t done = 0;
    size_t i;
    size_t j;

    for (i = 0; i < nvec && done < room; i++) {
        size_t k = iov[i].len;
        if (k > room - done) {
            k = room - done;
        }
        for (j = 0; j < k; j++) {
            tx_fifo[len + done + j] = iov[i].base[j];
        }
        done += k;
    }
    if (done > 0) {
        tx_len = (uint16_t)(len + done);
        mzmtp_socket_peer_output_done(sock, peer, done);
    }
}

void stub_link_service(mzmtp_socket_t *sock, int *peer)
{
    uint32_t now = clock_ms;
    mzmtp_status_t st;

    if (*peer < 0) {
        if (!link_up) {
            return;
        }
        if (mzmtp_socket_peer_open(sock, false, peer) != MZMTP_OK) {
            *peer = -1;
            return;
        }
        if (mzmtp_socket_peer_start(sock, *peer, now) != MZMTP_OK) {
            mzmtp_socket_peer_release(sock, *peer);
            *peer = -1;
            return;
        }
    }

    st = pump_input(sock, *peer, now);
    if (mzmtp_socket_peer_has_output(sock, *peer)) {
        pump_output(sock, *peer);
    }
    if (mzmtp_socket_tick(sock, now)) {
        st = MZMTP_ERR_TIMEOUT; /* the one peer is the one to close */
    }
    wake_in_ms = mzmtp_socket_next_timeout(sock, now);
    if (!link_up) {
        st = MZMTP_ERR_CLOSED;
    }
    if (mzmtp_status_is_fatal(st)) {
        pump_output(sock, *peer); /* an ERROR command still goes out before the close */
        mzmtp_socket_peer_stop(sock, *peer, st);
        *peer = -1;
    }
}
