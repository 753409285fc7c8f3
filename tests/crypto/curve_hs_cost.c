/*
 * The cost of one CURVE handshake per side on the host, counted by callgrind: a client
 * engine and a server engine back to back, with collection on only while the side named
 * on the command line runs (its mzmtp_conn_init, input and process calls; the other side
 * and the copying between them are not counted).
 *
 *   valgrind --tool=callgrind --collect-atstart=no --callgrind-out-file=/dev/null \
 *       build/tests/curve_hs_cost client      (or: server)
 * then read "Collected" in valgrind's summary ("I refs"). Without valgrind it just runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#endif
#endif
#ifndef CALLGRIND_TOGGLE_COLLECT /* no valgrind headers (CI): it still builds and runs */
#define CALLGRIND_TOGGLE_COLLECT ((void)0)
#endif
#include "microzmtp/microzmtp.h"
#include "curve_sec.h"

static bool fake_random(void *ctx, uint8_t *buf, size_t len)
{
    uint64_t *s = ctx;
    for (size_t i = 0; i < len; i++) {
        *s = *s * 6364136223846793005u + 1442695040888963407u;
        buf[i] = (uint8_t)(*s >> 56);
    }
    return true;
}

static uint8_t rxc[4096], rxs[4096], wire[2048];
static mzmtp_conn_t cc, sc;
static mzmtp_conn_sec_t secc, secs;
static int measured; /* 0 client, 1 server */

static void on(int side)
{
    if (side == measured) CALLGRIND_TOGGLE_COLLECT;
}

/* Move c's output into d: output (not counted), then d's input and processing (counted
 * for d's side). @return events of kind HANDSHAKE seen. */
static int move(mzmtp_conn_t *c, int cside, mzmtp_conn_t *d, int dside)
{
    size_t n = 0;
    for (;;) {
        mzmtp_iov_t iov[4];
        on(cside);
        size_t k = mzmtp_conn_output(c, iov, 4), t = 0;
        for (size_t i = 0; i < k; i++) {
            memcpy(wire + n + t, iov[i].base, iov[i].len);
            t += iov[i].len;
        }
        mzmtp_conn_output_done(c, t);
        on(cside);
        if (t == 0) break;
        n += t;
    }
    int hs = 0;
    on(dside);
    size_t used;
    mzmtp_conn_input(d, wire, n, 0, &used);
    for (;;) {
        mzmtp_conn_event_t ev;
        if (mzmtp_conn_process(d, 0, &ev) != MZMTP_OK) break;
        if (ev.kind == MZMTP_CONN_EV_HANDSHAKE) hs++;
    }
    on(dside);
    return hs;
}

int main(int argc, char **argv)
{
    measured = argc > 1 && strcmp(argv[1], "server") == 0;
    uint64_t sc_seed = 1, ss_seed = 2, k_seed = 3;
    uint8_t s_pub[32], s_sec[32], c_pub[32], c_sec[32];
    if (mzmtp_curve_keypair(s_pub, s_sec, fake_random, &k_seed) != MZMTP_OK ||
        mzmtp_curve_keypair(c_pub, c_sec, fake_random, &k_seed) != MZMTP_OK) {
        return 1;
    }
    curve_sec_client(&secc, c_pub, c_sec, s_pub, fake_random, &sc_seed);
    curve_sec_server(&secs, s_pub, s_sec, fake_random, &ss_seed);
    static uint8_t cmdc[MZMTP_CONF_CMD_BUF + MZMTP_CMD_CURVE_STATE],
        cmds[MZMTP_CONF_CMD_BUF + MZMTP_CMD_CURVE_STATE];
    mzmtp_conn_opts_t oc, os;
    memset(&oc, 0, sizeof oc);
    oc.rcvhwm = 10;
    os = oc;
    oc.sec = &secc;
    os.sec = &secs;
    on(0);
    mzmtp_status_t a = mzmtp_conn_init(&cc, MZMTP_DEALER, &oc, rxc, sizeof rxc, cmdc, sizeof cmdc, NULL, 0, 0);
    on(0);
    on(1);
    mzmtp_status_t b = mzmtp_conn_init(&sc, MZMTP_ROUTER, &os, rxs, sizeof rxs, cmds, sizeof cmds, NULL, 0, 0);
    on(1);
    if (a != MZMTP_OK || b != MZMTP_OK) return 1;
    int hs = 0;
    for (int round = 0; round < 3; round++) {
        hs += move(&cc, 0, &sc, 1);
        hs += move(&sc, 1, &cc, 0);
    }
    printf("curve_hs_cost: %s side measured, %d handshakes completed\n",
           measured ? "server" : "client", hs);
    return hs == 2 ? 0 : 1;
}
