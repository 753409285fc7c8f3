/*
 * net.c - lwIP NO_SYS=1 on the LAN9118 and the microzmtp port, for the example firmware.
 */
#include "net.h"
#include "board.h"
#include "lan9118.h"

#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/sys.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"

#include <string.h>

mzmtp_lwip_t net_io;
static struct netif eth;

/* lwIP's clock when NO_SYS=1. */
u32_t sys_now(void)
{
    return board_ms();
}

void net_init(void)
{
    ip4_addr_t ip, mask, gw;

    board_init();
    lwip_init();
    IP4_ADDR(&ip, 10, 0, 2, 15);
    IP4_ADDR(&mask, 255, 255, 255, 0);
    IP4_ADDR(&gw, 10, 0, 2, 2);
    if (netif_add(&eth, &ip, &mask, &gw, NULL, lan9118_init, ethernet_input) == NULL) {
        board_puts("net: no LAN9118\n");
        board_exit(2);
    }
    netif_set_default(&eth);
    netif_set_up(&eth);
    mzmtp_lwip_init(&net_io);
}

void net_step(mzmtp_socket_t *sock)
{
    (void)lan9118_poll(&eth, 16);
    sys_check_timeouts();
    uint32_t wait = mzmtp_lwip_poll(&net_io);
    if (wait > 0 && (sock == NULL || !(mzmtp_socket_poll(sock) & MZMTP_POLLIN))) {
        board_idle(); /* at most until the next SysTick (1 ms) */
    }
}

uint16_t net_arg_port(const char *key, uint16_t dflt)
{
    const char *line = board_cmdline();
    const char *at = strstr(line, key);
    uint32_t v = 0;
    if (at == NULL) {
        return dflt;
    }
    at += strlen(key);
    while (*at >= '0' && *at <= '9' && v < 65536u) {
        v = v * 10u + (uint32_t)(*at++ - '0');
    }
    return v > 0 && v < 65536u ? (uint16_t)v : dflt;
}
