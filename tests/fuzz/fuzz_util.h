/*
 * Shared by the fuzz targets: a small deterministic generator for split and write sizes,
 * and draining an engine's output in random partial writes, touching every byte offered
 * so that AddressSanitizer checks the vectors.
 */
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "microzmtp/mzmtp_port.h"

typedef struct rng {
    uint32_t s;
} rng_t;

static uint32_t rng_next(rng_t *r)
{
    /* xorshift32; never zero */
    uint32_t x = r->s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    r->s = x;
    return x;
}

/* Write at most a random number of the bytes on offer, as a slow socket would. */
static void drain_conn(mzmtp_conn_t *c, rng_t *r)
{
    for (int guard = 0; guard < 64; guard++) {
        mzmtp_iov_t iov[4];
        size_t n = mzmtp_conn_output(c, iov, 1 + rng_next(r) % 4);
        size_t total = 0;
        for (size_t i = 0; i < n; i++) {
            if (iov[i].len && iov[i].base == NULL) abort();
            /* Touch every byte so that ASan checks the vectors. */
            volatile uint8_t sink = 0;
            for (size_t k = 0; k < iov[i].len; k++) sink ^= iov[i].base[k];
            (void)sink;
            total += iov[i].len;
        }
        if (total == 0) return;
        size_t w = 1 + rng_next(r) % total;
        mzmtp_conn_output_done(c, w);
    }
}

/* Hand @p len bytes of @p src to the engine from a heap copy of exactly that size, so that
 * ASan sees any read past them. @return Bytes the engine took. */
static inline size_t feed_piece(mzmtp_conn_t *c, const uint8_t *src, size_t len, uint32_t now)
{
    uint8_t *piece = malloc(len);
    if (piece == NULL) abort();
    memcpy(piece, src, len);
    size_t used = 0;
    mzmtp_conn_input(c, piece, len, now, &used);
    free(piece);
    if (used > len) abort();
    return used;
}

#endif
