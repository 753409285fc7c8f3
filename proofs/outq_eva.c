/*
 * Frama-C EVA harness for the send ring's index arithmetic (src/socket/outq.c,
 * docs/proofs.md): every sequence of PROOF_OPS operations, each any of the ring's
 * functions with any arguments its header allows, on a ring of PROOF_RING bytes with
 * the default numbers of slots and peers. "0 alarms" would mean: no slot index, byte
 * offset, move or copy outside its array, and no overflow, in any such sequence.
 * Run with proofs/run.sh outq.
 */
#include "__fc_builtin.h"
#include <stdlib.h>
#include "microzmtp/mzmtp_conn.h"

#ifndef PROOF_RING
#define PROOF_RING 64
#endif
#ifndef PROOF_OPS
#define PROOF_OPS 4
#endif
#define PROOF_FRAME (PROOF_RING + 8) /* frames longer than the ring: refused */

/* The peer-set helpers (src/util/mzmtp_peerset.h) use GCC's __builtin_ctzl, which
 * Frama-C does not know: here is its meaning (the index of the lowest set bit of a
 * non-zero word), for EVA to analyse. */
static int lowest_set_bit(unsigned long x, int top_bit)
{
    int n = 0;
    while (n < top_bit && !(x & 1u)) {
        x >>= 1;
        n++;
    }
    return n;
}
int __builtin_ctzl(unsigned long x);
int __builtin_ctzl(unsigned long x) { return lowest_set_bit(x, 63); }

static uint8_t ring[PROOF_RING];
static uint8_t src[PROOF_FRAME];
static mzmtp_outq_t q;

static mzmtp_peerset_t any_mask(void)
{
    mzmtp_peerset_t set;
#if MZMTP_PEERSET_WORDS == 1 /* MZMTP_CONF_MAX_PEERS < 32 here */
    set.w[0] = Frama_C_unsigned_int_interval(0, (1u << MZMTP_CONF_MAX_PEERS) - 1u);
#else /* outq_wide: any word full, the last one up to MZMTP_CONF_MAX_PEERS (not 32 k) */
    for (unsigned i = 0; i + 1u < MZMTP_PEERSET_WORDS; i++) {
        set.w[i] = Frama_C_unsigned_int_interval(0, UINT32_MAX);
    }
    set.w[MZMTP_PEERSET_WORDS - 1u] =
        Frama_C_unsigned_int_interval(0, (1u << (MZMTP_CONF_MAX_PEERS % 32u)) - 1u);
#endif
    return set;
}

static unsigned any_pipe(void) { return Frama_C_unsigned_int_interval(0, MZMTP_CONF_MAX_PEERS - 1); }

static void one_op(void)
{
    mzmtp_iov_t iov[4];
    size_t len = Frama_C_size_t_interval(0, PROOF_FRAME);
#if MZMTP_CONF_TX_ACK
    switch (Frama_C_interval(0, 21)) {
    case 18:
        mzmtp_outq_written(&q, Frama_C_unsigned_int_interval(0, MZMTP_CONF_MAX_PEERS),
                           Frama_C_size_t_interval(0, SIZE_MAX));
        break;
    case 19:
        mzmtp_outq_acked(&q, Frama_C_unsigned_int_interval(0, MZMTP_CONF_MAX_PEERS),
                         Frama_C_size_t_interval(0, SIZE_MAX));
        break;
    case 20: mzmtp_outq_acked_all(&q, Frama_C_unsigned_int_interval(0, MZMTP_CONF_MAX_PEERS)); break;
#else
    switch (Frama_C_interval(0, 18)) {
#endif
    case 0: mzmtp_outq_begin(&q, any_mask()); break;
    case 1: (void)mzmtp_outq_add_frame(&q, src, len, Frama_C_interval(0, 1) != 0); break;
    case 2: (void)mzmtp_outq_add_encoded(&q, src, len); break;
#if MZMTP_CONF_SEND_REF
    case 3: (void)mzmtp_outq_add_ref(&q, src, len); break;
    case 4: (void)mzmtp_outq_refs(&q); break;
#endif
    case 5: mzmtp_outq_cancel(&q); break;
    case 6: (void)mzmtp_outq_can_take(&q, Frama_C_size_t_interval(0, SIZE_MAX)); break;
    case 7: (void)mzmtp_outq_room(&q); break;
    case 8: mzmtp_outq_pipe_attach(&q, any_pipe()); break;
    case 9: mzmtp_outq_pipe_drop(&q, any_pipe()); break;
    case 10: mzmtp_outq_pipe_shed(&q, any_pipe()); break;
    case 11: (void)mzmtp_outq_oldest_mask(&q); break;
    case 12: (void)mzmtp_outq_compact(&q); break;
    case 13: mzmtp_outq_pipe_rewind(&q, any_pipe()); break;
    case 14: (void)mzmtp_outq_pipe_queued(&q, any_pipe()); (void)mzmtp_outq_pipe_mid_message(&q, any_pipe()); break;
    case 15: {
        size_t max = Frama_C_size_t_interval(0, 4);
        /*@ split max; */
        (void)mzmtp_outq_peek(&q, Frama_C_unsigned_int_interval(0, MZMTP_CONF_MAX_PEERS), iov,
                              max, Frama_C_interval(0, 1) != 0);
        break;
    }
    case 16: (void)mzmtp_outq_pipe_msg_left(&q, any_pipe()); break;
    case 17: mzmtp_outq_begin_one(&q, any_pipe()); break;
    default:
        mzmtp_outq_advance(&q, Frama_C_unsigned_int_interval(0, MZMTP_CONF_MAX_PEERS),
                           Frama_C_size_t_interval(0, SIZE_MAX));
        break;
    }
}

int main(void)
{
    Frama_C_make_unknown((char *)src, sizeof(src));
    mzmtp_outq_init(&q, ring, sizeof(ring));
    for (unsigned p = 0; p < MZMTP_CONF_MAX_PEERS; p++) mzmtp_outq_pipe_attach(&q, p);
    /*@ loop unroll PROOF_OPS; */
    for (int k = 0; k < PROOF_OPS; k++) one_op();
    return 0;
}
