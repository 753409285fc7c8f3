/* Internal helpers shared by the core's modules. Not part of the public API. */
#ifndef MZMTP_UTIL_H
#define MZMTP_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "microzmtp/mzmtp_conn.h"
#include "mzmtp_peerset.h" /* sets of peer slots */

/* For a small or single-use helper that -Os would keep as a call (or out of line beside
 * its inlined copies): always inlined. Each use was measured in bench/size's min_pub and
 * min_sub (text smaller with it). */
#if defined(__GNUC__) || defined(__clang__)
#define MZMTP_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define MZMTP_ALWAYS_INLINE inline
#endif

/**
 * Move @p n bytes from @p src down to @p dst (dst ≤ src; the ranges may overlap). The core
 * knows which way each of its moves goes, so a one-way copy is enough, and it keeps the
 * C library's memmove (about 250 B on Cortex-M3) out of small firmware. 64-bit hosts use
 * memmove (see bytes.c).
 */
void mzmtp_util_move_down(uint8_t *dst, const uint8_t *src, size_t n);
/** The same for @p dst >= @p src (copies from the end). */
void mzmtp_util_move_up(uint8_t *dst, const uint8_t *src, size_t n);

/** @return true when @p a[0..n) equals @p b[0..n) (memcmp() == 0 without the C library's
 *  larger memcmp). */
bool mzmtp_util_bytes_eq(const void *a, const void *b, size_t n);

/**
 * Write a frame header for a body of @p size bytes with @p flags (MORE/COMMAND, already
 * valid): the short form up to 255, else LONG and 8 bytes (RFC 37 "Framing"). It is the
 * codec's mzmtp_wire_encode_frame_hdr() for callers that know they have the room.
 * @return 2 or 9, the bytes written; @p out must have room.
 */
static inline size_t mzmtp_util_put_frame_hdr(uint8_t *out, uint8_t flags, uint64_t size)
{
    return mzmtp_wire_encode_frame_hdr(out, MZMTP_FRAME_HDR_MAX, flags, size);
}

#endif /* MZMTP_UTIL_H */
