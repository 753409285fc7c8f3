/*
 * board.h - what the firmware needs of QEMU's mps2-an385 besides the Ethernet controller:
 * a millisecond clock (SysTick), the idle wait, semihosting output, the command line
 * and the exit status.
 */
#ifndef BOARD_H
#define BOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Start SysTick (1 ms) and enable interrupts. */
void board_init(void);
/** @return Milliseconds since board_init(); wraps at 2^32. */
uint32_t board_ms(void);
/** Sleep (WFI) until an interrupt: SysTick, at most 1 ms, or the Ethernet controller. */
void board_idle(void);
/** Print @p s on QEMU's standard output (semihosting). */
void board_puts(const char *s);
/** Print @p v in decimal. */
void board_putu(uint32_t v);
/** The text QEMU got with -append, or "" (semihosting SYS_GET_CMDLINE). */
const char *board_cmdline(void);
/** End the emulation with exit status @p code (semihosting SYS_EXIT_EXTENDED). */
void board_exit(uint32_t code) __attribute__((noreturn));
/** @return A pseudo-random number (seeded from the clock; no security). */
uint32_t board_rand(void);
/** Called from the Ethernet interrupt (lan9118.c). */
extern volatile bool board_eth_irq;

#endif /* BOARD_H */
