/* mcu_rt.c - semihosting output/exit and SysTick instruction counting for the Cortex-M3
 * benchmarks (mcu_rt.h). Moved here from mcu_bench.c unchanged, to be shared. */
#include "mcu_rt.h"

/* ------------------------------ semihosting ------------------------------------- */

static int semihost(int op, const void *arg)
{
    register int r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void put(const char *s)
{
    (void)semihost(0x04, s); /* SYS_WRITE0 */
}

void put_u32(uint32_t v)
{
    char buf[12];
    char *p = buf + sizeof buf - 1;

    *p = '\0';
    do {
        *--p = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0);
    put(p);
}

void exit_with(uint32_t code)
{
    static uint32_t block[2];

    block[0] = 0x20026u; /* ADP_Stopped_ApplicationExit */
    block[1] = code;
    (void)semihost(0x20, block); /* SYS_EXIT_EXTENDED */
    for (;;) {
    }
}

void fail(const char *what, int st)
{
    put("mcu bench FAILED: ");
    put(what);
    put(" status=");
    if (st < 0) {
        put("-");
        st = -st;
    }
    put_u32((uint32_t)st);
    put("\n");
    exit_with(1);
}

/* -------------------------------- SysTick --------------------------------------- */


void systick_start(void)
{
    SYST_CSR = 0;
    SYST_RVR = 0x00FFFFFFu;
    SYST_CVR = 0;
    SYST_CSR = 0x5u; /* ENABLE, CLKSOURCE = processor clock, no interrupt */
}


/* Add the interval from..to to *acc, in thousandths of an instruction. */
void add(uint64_t *acc, uint32_t from, uint32_t to)
{
    uint64_t ticks = (from - to) & 0x00FFFFFFu;
    uint64_t m = (ticks * TICK_NS * 1000u) >> ICOUNT_SHIFT;

    if (EXACT) {
        m = (m + 500u) / 1000u * 1000u;
    }
    *acc += m;
}

/* Untimed pseudo-random delay before each message, so that the intervals start at every
 * phase of a SysTick count (matters below shift 7): a fixed sequence, same every run. */
static uint32_t lcg = 12345u;
uint32_t dither(void)
{
    lcg = lcg * 1103515245u + 12345u;
    return (lcg >> 16) % 40u; /* 3 instructions each: every phase of 40 */
}

/* 3·n + a few instructions, untimed: shifts the next interval's phase. */
void delay3(uint32_t n)
{
    n += 1u;
    __asm__ volatile("1: subs %0, %0, #1\n\t"
                     "nop\n\t"
                     "bne 1b"
                     : "+r"(n)
                     :
                     : "cc");
}

