/*
 * semihost.h - ARM semihosting (QEMU's -semihosting) for the mps2-an385 programs: the
 * firmware's board.c and the Cortex-M3 benchmarks' bench/mcu/mcu_rt.c both use it, so
 * that the calls, their numbers and the exit block are written once.
 */
#ifndef SEMIHOST_H
#define SEMIHOST_H

#include <stdint.h>

#define SEMIHOST_SYS_WRITE0 0x04
#define SEMIHOST_SYS_GET_CMDLINE 0x15
#define SEMIHOST_SYS_EXIT_EXTENDED 0x20

/* One semihosting call: operation @p op with its argument block @p arg. */
static inline int semihost(int op, const void *arg)
{
    register int r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

/* Write the NUL-terminated @p s to the host's console. */
static inline void semihost_puts(const char *s)
{
    (void)semihost(SEMIHOST_SYS_WRITE0, s);
}

/* Write @p v in decimal. */
static inline void semihost_putu(uint32_t v)
{
    char buf[12];
    char *p = buf + sizeof buf - 1;
    *p = '\0';
    do {
        *--p = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0);
    semihost_puts(p);
}

/* End the program: QEMU exits with @p code. */
__attribute__((noreturn)) static inline void semihost_exit(uint32_t code)
{
    static uint32_t block[2];
    block[0] = 0x20026u; /* ADP_Stopped_ApplicationExit */
    block[1] = code;
    (void)semihost(SEMIHOST_SYS_EXIT_EXTENDED, block);
    for (;;) {
    }
}

#endif /* SEMIHOST_H */
