/*
 * mcu_rt.h - what the Cortex-M3 benchmarks under QEMU share (mcu_bench.c, mcu_curve.c):
 * output and exit through semihosting, and instruction counting with SysTick under
 * -icount (see mcu_rt.c and bench/mcu/Makefile).
 */
#ifndef MCU_RT_H
#define MCU_RT_H

#include <stdint.h>

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)

/* QEMU's -icount shift: 2^SHIFT ns per instruction; the an385's SysTick runs at 25 MHz
 * (40 ns), so one instruction is 2^SHIFT/40 counts. The Makefile passes the same value
 * to QEMU and here. */
#ifndef ICOUNT_SHIFT
#define ICOUNT_SHIFT 0
#endif
#define TICK_NS 40u
/* From shift 7 (3.2 counts per instruction) on, a count is off by less than 1/3
 * instruction: each interval rounds to its exact instruction count. Below, one count is
 * 40 >> SHIFT instructions and only the average over many dithered intervals is exact. */
#define EXACT (ICOUNT_SHIFT >= 7)

/* SysTick counts down, 24 bits: an interval must stay under 2^24 counts (5.2 M
 * instructions at shift 7). */
static inline uint32_t now_ticks(void)
{
    return SYST_CVR;
}

void put(const char *s);
void put_u32(uint32_t v);
void exit_with(uint32_t code) __attribute__((noreturn));
void fail(const char *what, int st) __attribute__((noreturn));
void systick_start(void);
/* Add the interval from..to to *acc, in thousandths of an instruction. */
void add(uint64_t *acc, uint32_t from, uint32_t to);
/* Untimed pseudo-random delay length before each measured interval (see mcu_rt.c). */
uint32_t dither(void);
/* 3·n + a few instructions, untimed: shifts the next interval's phase. */
void delay3(uint32_t n) __attribute__((noinline));

#endif
