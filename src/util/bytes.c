/* Byte helpers for the core (see mzmtp_util.h). */
#include "mzmtp_util.h"

#include <string.h>

void mzmtp_util_move_down(uint8_t *dst, const uint8_t *src, size_t n)
{
#if UINTPTR_MAX > 0xFFFFFFFFu
    /* 64-bit hosts: buffers are large (a receive buffer compacts up to a whole message at
     * a time) and the C library's memmove is there anyway. */
    memmove(dst, src, n);
#else
    for (size_t i = 0; i < n; i++) dst[i] = src[i];
#endif
}

void mzmtp_util_move_up(uint8_t *dst, const uint8_t *src, size_t n)
{
#if UINTPTR_MAX > 0xFFFFFFFFu
    memmove(dst, src, n);
#else
    while (n-- > 0) dst[n] = src[n];
#endif
}

bool mzmtp_util_bytes_eq(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    for (size_t i = 0; i < n; i++) {
        if (x[i] != y[i]) return false;
    }
    return true;
}
