/*
 * lan9118.c - our polled driver for the SMSC LAN9118 (32-bit bus) as QEMU models it.
 *
 * QEMU's model (hw/net/lan9118.c) differs from the chip in ways this driver relies on
 * (docs/lwip.md, "QEMU's LAN9118 model", lists what we saw):
 *  - the receive status length counts the 4-byte FCS, and the FCS words must be read out
 *    of the data FIFO with the frame; the error bit is never set;
 *  - a frame is sent as soon as its last data word is pushed; the length in command B
 *    is ignored and the end-alignment field is mishandled, so we send with no offset
 *    and no end alignment, the data as whole 32-bit words (the last one padded);
 *  - every sent frame adds an entry to the TX status FIFO (512 entries, then statuses
 *    are dropped), so we drain it after each frame;
 *  - the MAC starts promiscuous: PRMS is cleared;
 *  - the interrupt line is inverted unless IRQ_CFG selects push-pull active-high
 *    (IRQ_TYPE | IRQ_POL), which we set before enabling NVIC interrupt 13;
 *  - MAC and PHY accesses complete at once and the link is up at reset.
 */
#include "lan9118.h"
#include "board.h"

#include "lwip/etharp.h"
#include "lwip/pbuf.h"
#include "netif/ethernet.h"

#include <string.h>

#define BASE 0x40200000u
#define REG(off) (*(volatile uint32_t *)(BASE + (off)))
#define RX_DATA      REG(0x00)
#define TX_DATA      REG(0x20)
#define RX_STATUS    REG(0x40)
#define TX_STATUS    REG(0x48)
#define IRQ_CFG      REG(0x54)
#define INT_STS      REG(0x58)
#define INT_EN       REG(0x5C)
#define BYTE_TEST    REG(0x64)
#define FIFO_INT     REG(0x68)
#define RX_CFG       REG(0x6C)
#define TX_CFG       REG(0x70)
#define HW_CFG       REG(0x74)
#define RX_FIFO_INF  REG(0x7C)
#define TX_FIFO_INF  REG(0x80)
#define MAC_CSR_CMD  REG(0xA4)
#define MAC_CSR_DATA REG(0xA8)

#define IRQ_EN   0x100u
#define IRQ_POL  0x010u
#define IRQ_TYPE 0x001u
#define RSFL_INT 0x008u  /* RX status FIFO above its level */
#define TX_ON    0x002u
#define HW_SRST  0x001u
#define CSR_BUSY 0x80000000u
#define CSR_READ 0x40000000u
#define MAC_CR    1u
#define MAC_ADDRH 2u
#define MAC_ADDRL 3u
#define MAC_CR_FDPX 0x00100000u
#define MAC_CR_TXEN 0x00000008u
#define MAC_CR_RXEN 0x00000004u
#define TXA_FIRST 0x2000u
#define TXA_LAST  0x1000u

#define NVIC_ISER0 (*(volatile uint32_t *)0xE000E100u)
#define ETH_IRQ 13u

lan9118_stats_t lan9118_stats;

void lan9118_irq_handler(void);
void lan9118_irq_handler(void)
{
    INT_EN = 0; /* level-triggered: mask until the main loop has polled */
    board_eth_irq = true;
}

static uint32_t mac_read(uint32_t reg)
{
    MAC_CSR_CMD = CSR_BUSY | CSR_READ | reg;
    while (MAC_CSR_CMD & CSR_BUSY) {
    }
    return MAC_CSR_DATA;
}

static void mac_write(uint32_t reg, uint32_t v)
{
    MAC_CSR_DATA = v;
    MAC_CSR_CMD = CSR_BUSY | reg;
    while (MAC_CSR_CMD & CSR_BUSY) {
    }
}

static void drain_tx_status(void)
{
    while ((TX_FIFO_INF >> 16) & 0xFFu) {
        (void)TX_STATUS;
        lan9118_stats.tx_status++;
    }
}

#ifdef LAN9118_TX_MARK
void LAN9118_TX_MARK(int which); /* the bench image's hook (examples/bench_pub.c) */
#endif

/* Send one frame: command A and B, then the bytes of the chain as 32-bit words. */
static err_t linkoutput(struct netif *netif, struct pbuf *p)
{
    uint32_t acc = 0;
    unsigned have = 0;
    uint32_t len = p->tot_len;
    (void)netif;

    if (len > 1514u) {
        return ERR_IF;
    }
#ifdef LAN9118_TX_MARK
    LAN9118_TX_MARK(0); /* bench_pub.c: the frame reaches the driver */
#endif
    while ((TX_FIFO_INF & 0xFFFFu) < len + 16u) {
        drain_tx_status(); /* QEMU sends at once; a real chip would drain here */
    }
    TX_DATA = TXA_FIRST | TXA_LAST | len;
    TX_DATA = (len << 16) | len; /* tag = length, length */
    for (const struct pbuf *q = p; q != NULL; q = q->next) {
        const uint8_t *b = q->payload;
        uint16_t n = q->len;
        if (have == 0 && ((uintptr_t)b & 3u) == 0) {
            for (; n >= 4; n = (uint16_t)(n - 4), b += 4) {
                TX_DATA = *(const uint32_t *)(const void *)b;
            }
        }
        while (n-- > 0) {
            acc |= (uint32_t)*b++ << (8u * have);
            if (++have == 4) {
                TX_DATA = acc;
                acc = 0;
                have = 0;
            }
        }
    }
    if (have != 0) {
        TX_DATA = acc;
    }
#ifdef LAN9118_TX_MARK
    LAN9118_TX_MARK(1); /* bench_pub.c: the whole frame is in the TX FIFO */
#endif
    drain_tx_status();
    lan9118_stats.tx++;
    return ERR_OK;
}

static void rx_discard(uint32_t words)
{
    while (words-- > 0) {
        (void)RX_DATA;
    }
}

unsigned lan9118_poll(struct netif *netif, unsigned max)
{
    unsigned n = 0;
    board_eth_irq = false;
    while (n < max && ((RX_FIFO_INF >> 16) & 0xFFu) != 0) {
        uint32_t status = RX_STATUS;
        uint32_t flen = (status >> 16) & 0x3FFFu; /* frame + FCS */
        uint32_t words = (flen + 3u) / 4u;
        struct pbuf *p;
        n++;
        if (flen < 18u || flen > 1522u) {
            rx_discard(words);
            continue;
        }
        /* One PBUF_RAM block, word-aligned: the words go straight in, FCS included,
         * then the pbuf is cut to the frame. */
        p = pbuf_alloc(PBUF_RAW, (u16_t)(words * 4u), PBUF_RAM);
        if (p == NULL) {
            lan9118_stats.rx_nomem++;
            rx_discard(words);
            continue;
        }
        uint32_t *w = p->payload;
        for (uint32_t i = 0; i < words; i++) {
            w[i] = RX_DATA;
        }
        pbuf_realloc(p, (u16_t)(flen - 4u));
        lan9118_stats.rx++;
        if (netif->input(p, netif) != ERR_OK) {
            pbuf_free(p);
        }
    }
    INT_STS = RSFL_INT;
    INT_EN = RSFL_INT; /* a frame that came meanwhile raises the line again */
    return n;
}

err_t lan9118_init(struct netif *netif)
{
    uint32_t lo, hi;

    if (BYTE_TEST != 0x87654321u) {
        return ERR_IF;
    }
    HW_CFG = HW_SRST;
    while (HW_CFG & HW_SRST) {
    }
    lo = mac_read(MAC_ADDRL);
    hi = mac_read(MAC_ADDRH);
    netif->hwaddr_len = ETH_HWADDR_LEN;
    for (unsigned i = 0; i < 4; i++) {
        netif->hwaddr[i] = (u8_t)(lo >> (8u * i));
    }
    netif->hwaddr[4] = (u8_t)hi;
    netif->hwaddr[5] = (u8_t)(hi >> 8);
    netif->mtu = 1500;
    netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET |
                   NETIF_FLAG_LINK_UP;
    netif->name[0] = 'e';
    netif->name[1] = 'n';
    netif->output = etharp_output;
    netif->linkoutput = linkoutput;

    RX_CFG = 0;       /* no offset, no end padding */
    TX_CFG = TX_ON;
    mac_write(MAC_CR, MAC_CR_FDPX | MAC_CR_TXEN | MAC_CR_RXEN); /* PRMS off */
    FIFO_INT = 0;     /* RX status level 0: interrupt on the first frame */
    IRQ_CFG = IRQ_EN | IRQ_POL | IRQ_TYPE; /* push-pull, active high, before the NVIC */
    INT_STS = 0xFFFFFFFFu;
    INT_EN = RSFL_INT;
    NVIC_ISER0 = 1u << ETH_IRQ;
    return ERR_OK;
}
