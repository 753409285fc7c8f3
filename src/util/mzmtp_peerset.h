/* Peer sets: the one place where sets of peer slots are touched (internal, not part of the
 * public API).
 *
 * A set is MZMTP_PEERSET_WORDS 32-bit words, bit p % 32 of word p / 32 standing for peer
 * slot p (mzmtp_peerset_t, mzmtp_conn.h). With MZMTP_CONF_MAX_PEERS <= 32 that is one word
 * and every loop below has one iteration, which the compiler removes: a microcontroller
 * build compiles to the single-integer masks it always had (bench/size checks the flash).
 * Bits at or above MZMTP_CONF_MAX_PEERS are never set, so no operation has to mask them.
 *
 * Walk a set with MZMTP_PEERSET_FOR_EACH: the body may remove the peer it is at, and must
 * not add peers to the set.
 */
#ifndef MZMTP_PEERSET_H
#define MZMTP_PEERSET_H

#include <stdbool.h>
#include <stdint.h>
#include "microzmtp/mzmtp_conn.h"

/* Always inlined: with one word each helper is an instruction or two, which -Os would
 * otherwise turn into calls (about 350 B more flash in bench/size's min_pub). */
#if defined(__GNUC__) || defined(__clang__)
#define MZMTP_PEERSET_FN static inline __attribute__((always_inline))
#else
#define MZMTP_PEERSET_FN static inline
#endif

/** Returned by mzmtp_peerset_next() when no peer is left: above every valid slot. */
#define MZMTP_PEERSET_END (MZMTP_PEERSET_WORDS * 32u)

/* The word and the bit of peer @p p. With one word the index is a constant 0 and the
 * shift needs no "% 32" (p < MZMTP_CONF_MAX_PEERS <= 32): the code of a single-integer
 * mask exactly. */
#if MZMTP_PEERSET_WORDS == 1
#define MZMTP_PEERSET_W(p) 0u
#define MZMTP_PEERSET_BIT(p) ((uint32_t)1u << (p))
#else
#define MZMTP_PEERSET_W(p) ((p) / 32u)
#define MZMTP_PEERSET_BIT(p) ((uint32_t)1u << ((p) % 32u))
#endif

/** Visit every peer @p p (unsigned, declared here) of the set @p set points at, lowest
 *  first. The body may remove the peer it is at, and must not add peers to the set (a
 *  one-word set is walked from a copy, a wider one as it is). */
#if MZMTP_PEERSET_WORDS == 1
#define MZMTP_PEERSET_FOR_EACH(p, set)                                                     \
    for (uint32_t p##_left = (set)->w[0], p = 0;                                           \
         p##_left != 0 && ((p = mzmtp_peerset_ctz(p##_left)), true);                       \
         p##_left &= p##_left - 1u)
#else
#define MZMTP_PEERSET_FOR_EACH(p, set)                                                     \
    for (unsigned p = mzmtp_peerset_next((set), 0); p < MZMTP_PEERSET_END;                 \
         p = mzmtp_peerset_next((set), p + 1u))
#endif

/* The index of the lowest set bit of the non-zero word @p w (RBIT+CLZ on Cortex-M3). */
MZMTP_PEERSET_FN unsigned mzmtp_peerset_ctz(uint32_t w)
{
#if defined(__GNUC__) || defined(__clang__)
    return (unsigned)__builtin_ctzl((unsigned long)w);
#else
    unsigned p = 0;
    while (!(w & 1u)) {
        w >>= 1;
        p++;
    }
    return p;
#endif
}

MZMTP_PEERSET_FN void mzmtp_peerset_clear(mzmtp_peerset_t *s)
{
    for (unsigned i = 0; i < MZMTP_PEERSET_WORDS; i++) s->w[i] = 0;
}

/** @return The set holding only peer @p p. */
MZMTP_PEERSET_FN mzmtp_peerset_t mzmtp_peerset_of(unsigned p)
{
    mzmtp_peerset_t s;
    mzmtp_peerset_clear(&s);
    s.w[MZMTP_PEERSET_W(p)] = MZMTP_PEERSET_BIT(p);
    return s;
}

MZMTP_PEERSET_FN void mzmtp_peerset_add(mzmtp_peerset_t *s, unsigned p)
{
    s->w[MZMTP_PEERSET_W(p)] |= MZMTP_PEERSET_BIT(p);
}

MZMTP_PEERSET_FN void mzmtp_peerset_del(mzmtp_peerset_t *s, unsigned p)
{
    s->w[MZMTP_PEERSET_W(p)] &= ~MZMTP_PEERSET_BIT(p);
}

/** Add peer @p p to @p s when @p on, else remove it. */
MZMTP_PEERSET_FN void mzmtp_peerset_put(mzmtp_peerset_t *s, unsigned p, bool on)
{
    if (on) {
        mzmtp_peerset_add(s, p);
    } else {
        mzmtp_peerset_del(s, p);
    }
}

MZMTP_PEERSET_FN bool mzmtp_peerset_has(const mzmtp_peerset_t *s, unsigned p)
{
    return (s->w[MZMTP_PEERSET_W(p)] & MZMTP_PEERSET_BIT(p)) != 0;
}

MZMTP_PEERSET_FN bool mzmtp_peerset_empty(const mzmtp_peerset_t *s)
{
    uint32_t any = 0;
    for (unsigned i = 0; i < MZMTP_PEERSET_WORDS; i++) any |= s->w[i];
    return any == 0;
}

/** @return The number of peers in @p s. (Kernighan's loop: no libgcc popcount on M3.) */
MZMTP_PEERSET_FN unsigned mzmtp_peerset_count(const mzmtp_peerset_t *s)
{
    unsigned n = 0;
    for (unsigned i = 0; i < MZMTP_PEERSET_WORDS; i++) {
        for (uint32_t w = s->w[i]; w; w &= w - 1u) n++;
    }
    return n;
}

/** @return The lowest peer of @p s at or above @p from (at most MZMTP_CONF_MAX_PEERS),
 *  or MZMTP_PEERSET_END. Costs the words from @p from on, not the peers: a walk over a
 *  set reads each word once. */
MZMTP_PEERSET_FN unsigned mzmtp_peerset_next(const mzmtp_peerset_t *s, unsigned from)
{
#if MZMTP_PEERSET_WORDS == 1 && MZMTP_CONF_MAX_PEERS < 32
    uint32_t w = s->w[0] & (~(uint32_t)0 << from); /* from <= MAX_PEERS < 32 */
    return w ? mzmtp_peerset_ctz(w) : MZMTP_PEERSET_END;
#else
    for (unsigned i = from / 32u; i < MZMTP_PEERSET_WORDS; i++) {
        uint32_t w = s->w[i];
        if (i == from / 32u) w &= ~(uint32_t)0 << (from % 32u);
        if (w) return i * 32u + mzmtp_peerset_ctz(w);
    }
    return MZMTP_PEERSET_END;
#endif
}

/** @return The first peer of the non-empty set @p s at or after @p from, wrapping around
 *  (round-robin order). */
MZMTP_PEERSET_FN unsigned mzmtp_peerset_next_wrap(const mzmtp_peerset_t *s, unsigned from)
{
#if MZMTP_PEERSET_WORDS == 1 && MZMTP_CONF_MAX_PEERS < 32
    uint32_t hi = s->w[0] & (~(uint32_t)0 << from);
    return mzmtp_peerset_ctz(hi ? hi : s->w[0]);
#else
    unsigned p = mzmtp_peerset_next(s, from);
    return p < MZMTP_PEERSET_END ? p : mzmtp_peerset_next(s, 0);
#endif
}

/** @return The first peer of @p a ∪ @p b at or after the cursor @p from (which must be
 *  below MZMTP_CONF_MAX_PEERS), wrapping around, or MZMTP_PEERSET_END when both are empty: a
 *  round-robin cursor over the union, which is not built. It reads the words from the
 *  one of @p from to the peer found: each word once, the cursor's own twice at most (an
 *  empty union costs one pass). @p a and @p b may be the same set. */
MZMTP_PEERSET_FN unsigned mzmtp_peerset_next_cyclic_either(const mzmtp_peerset_t *a,
                                                        const mzmtp_peerset_t *b, unsigned from)
{
#if MZMTP_PEERSET_WORDS == 1
    uint32_t all = a->w[0] | b->w[0];
    uint32_t hi = all & (~(uint32_t)0 << from); /* from < MAX_PEERS <= 32 */
    uint32_t w = hi ? hi : all;
    return w ? mzmtp_peerset_ctz(w) : MZMTP_PEERSET_END;
#else
    if (from >= MZMTP_PEERSET_END) from = 0u; /* (a cursor is below MAX_PEERS anyway) */
    unsigned first = from / 32u;
    uint32_t above = ~(uint32_t)0 << (from % 32u);
    for (unsigned n = 0, i = first; n <= MZMTP_PEERSET_WORDS; n++) {
        uint32_t w = a->w[i] | b->w[i];
        /* The cursor's own word: on the first visit the bits at and above it, on the
         * visit that closes the circle the bits below it. */
        if (i == first) w &= n == 0 ? above : ~above;
        if (w) return i * 32u + mzmtp_peerset_ctz(w);
        i = i + 1u < MZMTP_PEERSET_WORDS ? i + 1u : 0u;
    }
    return MZMTP_PEERSET_END;
#endif
}

/** @return The first peer of @p s at or after @p from, wrapping around, or
 *  MZMTP_PEERSET_END when @p s is empty (mzmtp_peerset_next_cyclic_either of one set). */
MZMTP_PEERSET_FN unsigned mzmtp_peerset_next_cyclic(const mzmtp_peerset_t *s, unsigned from)
{
    return mzmtp_peerset_next_cyclic_either(s, s, from);
}

/** @p d = @p a ∪ @p b (the pointers may be the same). */
MZMTP_PEERSET_FN void mzmtp_peerset_or(mzmtp_peerset_t *d, const mzmtp_peerset_t *a,
                                    const mzmtp_peerset_t *b)
{
    for (unsigned i = 0; i < MZMTP_PEERSET_WORDS; i++) d->w[i] = a->w[i] | b->w[i];
}

/** @p d = @p a ∩ @p b. */
MZMTP_PEERSET_FN void mzmtp_peerset_and(mzmtp_peerset_t *d, const mzmtp_peerset_t *a,
                                     const mzmtp_peerset_t *b)
{
    for (unsigned i = 0; i < MZMTP_PEERSET_WORDS; i++) d->w[i] = a->w[i] & b->w[i];
}

/** @p d = @p a \ @p b (the peers of @p a that are not in @p b). */
MZMTP_PEERSET_FN void mzmtp_peerset_minus(mzmtp_peerset_t *d, const mzmtp_peerset_t *a,
                                       const mzmtp_peerset_t *b)
{
    for (unsigned i = 0; i < MZMTP_PEERSET_WORDS; i++) d->w[i] = a->w[i] & ~b->w[i];
}

/** @return true when @p a and @p b have a peer in common. */
MZMTP_PEERSET_FN bool mzmtp_peerset_meets(const mzmtp_peerset_t *a, const mzmtp_peerset_t *b)
{
    uint32_t any = 0;
    for (unsigned i = 0; i < MZMTP_PEERSET_WORDS; i++) any |= a->w[i] & b->w[i];
    return any != 0;
}

/** @return true when every peer of @p a is also in @p b. */
MZMTP_PEERSET_FN bool mzmtp_peerset_within(const mzmtp_peerset_t *a, const mzmtp_peerset_t *b)
{
    uint32_t out = 0;
    for (unsigned i = 0; i < MZMTP_PEERSET_WORDS; i++) out |= a->w[i] & ~b->w[i];
    return out == 0;
}

#endif /* MZMTP_PEERSET_H */
