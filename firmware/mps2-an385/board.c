/*
 * board.c - start-up code and board services for QEMU's mps2-an385 (Cortex-M3, 25 MHz).
 * The reset handler loads .data and clears .bss (symbols from mps2.ld); no C library
 * start-up code runs, so nothing else needs initialising. Output and exit go through
 * semihosting (QEMU's -semihosting), which costs nothing on the wire being measured.
 */
#include "board.h"
#include "semihost.h"

#include <string.h>

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define CPU_HZ 25000000u

extern uint32_t _sidata[], _sdata[], _edata[], _sbss[], _ebss[], _estack[];
int main(void);
void Reset_Handler(void);
void SysTick_Handler(void);
void lan9118_irq_handler(void);

static volatile uint32_t ticks_ms;
static uint32_t rand_state = 2463534242u;
volatile bool board_eth_irq;

void Reset_Handler(void)
{
    memcpy(_sdata, _sidata, (size_t)((uintptr_t)_edata - (uintptr_t)_sdata));
    memset(_sbss, 0, (size_t)((uintptr_t)_ebss - (uintptr_t)_sbss));
    board_exit((uint32_t)main());
}

static void fault_handler(void)
{
    board_puts("fault\n");
    board_exit(3);
}

void SysTick_Handler(void)
{
    ticks_ms++;
}

void board_init(void)
{
    SYST_RVR = CPU_HZ / 1000u - 1u;
    SYST_CVR = 0;
    SYST_CSR = 7u; /* processor clock, interrupt, enable */
    __asm__ volatile("cpsie i" ::: "memory");
}

uint32_t board_ms(void)
{
    return ticks_ms;
}

void board_idle(void)
{
    /* With interrupts masked, an interrupt that is already pending still ends the WFI:
     * no wake-up is lost between the check and the sleep. */
    __asm__ volatile("cpsid i" ::: "memory");
    if (!board_eth_irq) {
        __asm__ volatile("wfi" ::: "memory");
    }
    __asm__ volatile("cpsie i" ::: "memory");
}

void board_puts(const char *s)
{
    semihost_puts(s);
}

void board_putu(uint32_t v)
{
    semihost_putu(v);
}

const char *board_cmdline(void)
{
    static char line[128];
    struct {
        char *buf;
        uint32_t len;
    } block = {line, sizeof line - 1};
    if (semihost(SEMIHOST_SYS_GET_CMDLINE, &block) != 0) {
        line[0] = '\0';
    }
    line[sizeof line - 1] = '\0';
    return line;
}

void board_exit(uint32_t code)
{
    semihost_exit(code);
}

uint32_t board_rand(void)
{
    uint32_t x = rand_state ^ ticks_ms ^ SYST_CVR;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    rand_state = x;
    return x;
}

/* ARMv7-M: the stack pointer, 15 system exceptions, then the an385's interrupts; the
 * LAN9118 is interrupt 13. */
typedef void (*vector_t)(void);
__attribute__((section(".isr_vector"), used)) static const vector_t vectors[16 + 14] = {
    (vector_t)(uintptr_t)_estack, Reset_Handler, fault_handler, fault_handler,
    fault_handler, fault_handler, fault_handler, 0, 0, 0, 0, fault_handler, fault_handler, 0,
    fault_handler, SysTick_Handler,
    fault_handler, fault_handler, fault_handler, fault_handler, fault_handler, fault_handler,
    fault_handler, fault_handler, fault_handler, fault_handler, fault_handler, fault_handler,
    fault_handler, lan9118_irq_handler,
};
