/* arch/cc.h - lwIP's platform header for the mps2-an385 firmware (arm-none-eabi-gcc,
 * newlib): little-endian, C99 types; diagnostics go to semihosting. */
#ifndef LWIP_ARCH_CC_H
#define LWIP_ARCH_CC_H

#include "board.h"

#define LWIP_PLATFORM_DIAG(x) do { (void)0; } while (0)
#define LWIP_PLATFORM_ASSERT(x) do { board_puts("lwip assert: " x "\n"); board_exit(4); } while (0)
#define LWIP_RAND() board_rand()

#endif
