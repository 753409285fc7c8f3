/* arch/cc.h - lwIP's platform header for the host test node (Linux, gcc/clang). */
#ifndef LWIP_ARCH_CC_H
#define LWIP_ARCH_CC_H

#include <stdio.h>
#include <stdlib.h>

#define LWIP_PLATFORM_DIAG(x) do { printf x; } while (0)
#define LWIP_PLATFORM_ASSERT(x) do { fprintf(stderr, "lwip assert: %s\n", x); abort(); } while (0)
#define LWIP_RAND() ((u32_t)rand())

/* NO_SYS=0 with SYS_LIGHTWEIGHT_PROT: the type Debian's sys_arch.c uses. */
typedef unsigned int sys_prot_t;

#endif
