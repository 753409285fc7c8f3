/*
 * startup.c - the least a Cortex-M3 needs to run main(): a vector table and a reset
 * handler that loads .data and clears .bss. Used instead of newlib's crt0 so that the
 * size report counts microzmtp and what it really pulls in (memcpy, memset, libgcc
 * helpers), not an OS emulation layer. Symbols come from cm3.ld.
 */
#include <stdint.h>
#include <string.h>

extern uint32_t _sidata[], _sdata[], _edata[], _sbss[], _ebss[], _estack[];

int main(void);
void Reset_Handler(void);

static void default_handler(void)
{
    for (;;) {
    }
}

void Reset_Handler(void)
{
    memcpy(_sdata, _sidata, (size_t)((uintptr_t)_edata - (uintptr_t)_sdata));
    memset(_sbss, 0, (size_t)((uintptr_t)_ebss - (uintptr_t)_sbss));
    (void)main();
    for (;;) {
    }
}

/* ARMv7-M: initial stack pointer, then the 15 system exceptions (reset first). A real
 * chip adds its interrupt vectors after these; they are the platform's cost, not ours. */
typedef struct vector_table {
    uint32_t *initial_sp;
    void (*handler[15])(void);
} vector_table_t;

__attribute__((section(".isr_vector"), used)) static const vector_table_t vectors = {
    _estack,
    {Reset_Handler, default_handler, default_handler, default_handler, default_handler,
     default_handler, default_handler, 0, 0, 0, 0, default_handler, default_handler, 0,
     default_handler},
};
