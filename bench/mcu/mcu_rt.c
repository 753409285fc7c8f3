/* mcu_rt.c - output and exit, and SysTick instruction counting, for the Cortex-M3
 * benchmarks (mcu_rt.h). Output and exit are the firmware's semihosting calls
 * (firmware/mps2-an385/semihost.h): the benchmarks run on the same QEMU machine. */
#include "mcu_rt.h"
#include "../../firmware/mps2-an385/semihost.h"

/* ------------------------------ semihosting ------------------------------------- */

void put(const char *s)
{
    semihost_puts(s);
}

void put_u32(uint32_t v)
{
    semihost_putu(v);
}

void exit_with(uint32_t code)
{
    semihost_exit(code);
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

