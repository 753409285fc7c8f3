/*
 * startup-cm3.c - reset handler for the unit tests on QEMU mps2-an385 (Cortex-M3).
 * newlib's rdimon start-up code does not load .data, so this one does: load .data, clear
 * .bss, open the semihosting handles, run .init_array, call main(), then leave through
 * semihosting SYS_EXIT_EXTENDED so that QEMU's exit status is main()'s return value.
 * Symbols come from cm3-test.ld.
 */
#include <stdint.h>
#include <string.h>

extern uint32_t _sidata[], _sdata[], _edata[], _sbss[], _ebss[], _estack[];

int main(void);
void Reset_Handler(void);
void _exit(int code);
extern void initialise_monitor_handles(void);
extern void __libc_init_array(void);
/* crti/crtn are left out by -nostartfiles; __libc_init_array calls these. */
void _init(void);
void _fini(void);
void _init(void)
{
}
void _fini(void)
{
}

static uint32_t semihost(uint32_t op, const void *arg)
{
    register uint32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void _exit(int code)
{
    /* SYS_EXIT_EXTENDED: {ADP_Stopped_ApplicationExit, status} */
    uint32_t block[2] = { 0x20026u, (uint32_t)code };
    for (;;) {
        (void)semihost(0x20u, block);
    }
}

static void fault_handler(void)
{
    static const char msg[] = "target: CPU fault (hard fault / bus fault / usage fault)\n";
    (void)semihost(0x04u, msg); /* SYS_WRITE0 */
    _exit(3);
}

void Reset_Handler(void)
{
    size_t data = (size_t)((uintptr_t)_edata - (uintptr_t)_sdata);
    size_t bss = (size_t)((uintptr_t)_ebss - (uintptr_t)_sbss);
    memcpy(_sdata, _sidata, data);
    memset(_sbss, 0, bss);
    initialise_monitor_handles();
    __libc_init_array();
    _exit(main());
}

__attribute__((section(".isr_vector"), used))
static void (*const vectors[16])(void) = {
    (void (*)(void))(uintptr_t)_estack,
    Reset_Handler,
    fault_handler, /* NMI */
    fault_handler, /* HardFault */
    fault_handler, /* MemManage */
    fault_handler, /* BusFault */
    fault_handler, /* UsageFault */
};
