/*
 * Small helpers the example nodes share: reading a decimal number from a console line
 * and writing "<prefix><number>" labels. Without the C library's strtoul/snprintf, which
 * would pull newlib's reentrancy structure (about 1 KB of RAM) into a Cortex-M build for
 * these few uses.
 */
#ifndef EXAMPLE_UTIL_H
#define EXAMPLE_UTIL_H

#include <stddef.h>
#include <string.h>

/* Decimal number at the start of s. */
static inline unsigned long
number(const char *s)
{
  unsigned long n = 0;
  while(*s >= '0' && *s <= '9') {
    n = n * 10u + (unsigned long)(*s++ - '0');
  }
  return n;
}

/* "<prefix><v>" into dst, which holds strlen(prefix) + 21 bytes; @return the length. */
static inline size_t
label(char *dst, const char *prefix, unsigned long v)
{
  char tmp[20];
  size_t n = strlen(prefix);
  int k = 0;
  memcpy(dst, prefix, n);
  do {
    tmp[k++] = (char)('0' + v % 10u);
    v /= 10u;
  } while(v > 0);
  while(k > 0) {
    dst[n++] = tmp[--k];
  }
  dst[n] = '\0';
  return n;
}

#endif /* EXAMPLE_UTIL_H */
