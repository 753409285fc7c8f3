/*
 * lwIP port of microzmtp: the endpoints and the socket table. Bind (a listening pcb) and
 * connect (an endpoint that holds a peer slot for good), linger on close. What every
 * port decides the same way (the endpoint text, the records, the reconnect schedule with
 * libzmq's back-off and jitter, linger) is the port kit's (ports/kit/mzmtp_kit.h); this
 * file is its lwIP glue. The connections themselves are mzmtp_lwip.c's.
 */
#include "mzmtp_lwip.h"
#include "mzmtp_lwip_ep.h"

#include "lwip/ip_addr.h"
#include "lwip/sys.h"

#include <string.h>

static mzmtp_lwip_sockent_t *find_sock(mzmtp_lwip_t *io, const mzmtp_socket_t *sock)
{
    for (int i = 0; i < MZMTP_LWIP_CONF_MAX_SOCKETS; i++) {
        if (sock != NULL && io->sock[i].k.sock == sock) {
            return &io->sock[i];
        }
    }
    return NULL;
}

static mzmtp_lwip_sockent_t *add_sock(mzmtp_lwip_t *io, mzmtp_socket_t *sock)
{
    mzmtp_lwip_sockent_t *s = find_sock(io, sock);
    for (int i = 0; s == NULL && i < MZMTP_LWIP_CONF_MAX_SOCKETS; i++) {
        if (io->sock[i].k.sock == NULL) {
            s = &io->sock[i];
            memset(s, 0, sizeof(*s));
            s->k.sock = sock;
        }
    }
    return s;
}

/* ------------------------------ endpoints -------------------------------------------- */

/*
 * "tcp://HOST:PORT" (mzmtp_kit_parse_tcp()): HOST is `*` (bind only), an IPv4 address or
 * an [IPv6] one (lwIP's ipaddr_aton: no names); PORT is 1..65535, or `*`/0 on bind.
 * @return MZMTP_OK or MZMTP_ERR_INVALID.
 */
static mzmtp_status_t parse_endpoint(const char *ep, bool bind, ip_addr_t *addr, uint16_t *port)
{
    char host[48];
    if (mzmtp_kit_parse_tcp(ep, bind, host, sizeof host, port) != MZMTP_OK) {
        return MZMTP_ERR_INVALID;
    }
    if (mzmtp_kit_host_is_any(host)) {
        ip_addr_copy(*addr, *IP_ANY_TYPE);
    } else if (!ipaddr_aton(host, addr) || (!bind && ip_addr_isany(addr))) {
        return MZMTP_ERR_INVALID;
    }
    return MZMTP_OK;
}

/* What bind and connect check alike: the endpoint text, a socket that is not closing, a
 * free endpoint record (*out) and the socket's record (added if new). */
static mzmtp_status_t new_endpoint(mzmtp_lwip_t *io, mzmtp_socket_t *sock, const char *endpoint,
                                   bool bind, ip_addr_t *addr, uint16_t *port,
                                   mzmtp_lwip_endpoint_t **out)
{
    mzmtp_lwip_sockent_t *s;
    if (io == NULL || sock == NULL || parse_endpoint(endpoint, bind, addr, port) != MZMTP_OK) {
        return MZMTP_ERR_INVALID;
    }
    s = find_sock(io, sock);
    if (s != NULL && s->k.closing) {
        return MZMTP_ERR_STATE;
    }
    *out = NULL;
    for (int i = 0; i < MZMTP_LWIP_CONF_MAX_ENDPOINTS && *out == NULL; i++) {
        if (io->ep[i].k.kind == MZMTP_KIT_EP_FREE) {
            *out = &io->ep[i];
        }
    }
    return *out == NULL || add_sock(io, sock) == NULL ? MZMTP_ERR_LIMIT : MZMTP_OK;
}

/* ------------------------------ public API ------------------------------------------- */

void mzmtp_lwip_init(mzmtp_lwip_t *io)
{
    memset(io, 0, sizeof(*io));
    mzmtp_kit_reconnect_init(&io->rc, MZMTP_LWIP_CONF_RECONNECT_IVL_MS,
                             MZMTP_LWIP_CONF_RECONNECT_IVL_MAX_MS, sys_now());
}

mzmtp_status_t mzmtp_lwip_bind(mzmtp_lwip_t *io, mzmtp_socket_t *sock, const char *endpoint,
                               uint16_t *port)
{
    ip_addr_t addr;
    uint16_t p;
    mzmtp_lwip_endpoint_t *e;
    struct tcp_pcb *pcb, *lpcb;
    mzmtp_status_t st = new_endpoint(io, sock, endpoint, true, &addr, &p, &e);

    if (st != MZMTP_OK) {
        return st;
    }
    pcb = tcp_new_ip_type(IP_GET_TYPE(&addr));
    if (pcb == NULL) {
        return MZMTP_ERR_LIMIT;
    }
    if (tcp_bind(pcb, &addr, p) != ERR_OK) {
        tcp_abort(pcb);
        return MZMTP_ERR_CLOSED;
    }
    p = pcb->local_port;
    lpcb = tcp_listen_with_backlog(pcb, (u8_t)MZMTP_LWIP_CONF_MAX_CONNS);
    if (lpcb == NULL) {
        tcp_abort(pcb);
        return MZMTP_ERR_LIMIT;
    }
    mzmtp_kit_ep_bind(&e->k, sock, p);
    e->io = io;
    e->listen = lpcb;
    e->addr = addr;
    tcp_arg(lpcb, e);
    tcp_accept(lpcb, mzmtp_lwip_ep_on_accept);
    if (port != NULL) {
        *port = p;
    }
    return MZMTP_OK;
}

mzmtp_status_t mzmtp_lwip_connect(mzmtp_lwip_t *io, mzmtp_socket_t *sock, const char *endpoint)
{
    ip_addr_t addr;
    uint16_t p;
    mzmtp_lwip_endpoint_t *e;
    mzmtp_status_t st = new_endpoint(io, sock, endpoint, false, &addr, &p, &e);

    if (st != MZMTP_OK) {
        return st;
    }
    /* A keep_queue slot for good; the first attempt at the next mzmtp_lwip_poll(). */
    st = mzmtp_kit_ep_connect(&e->k, sock, p, &io->rc, sys_now());
    if (st != MZMTP_OK) {
        return st;
    }
    e->io = io;
    e->addr = addr;
    io->connector = &mzmtp_lwip_ep_connector;
    return MZMTP_OK;
}

void mzmtp_lwip_set_reconnect(mzmtp_lwip_t *io, int32_t ivl_ms, int32_t ivl_max_ms)
{
    mzmtp_kit_reconnect_set(&io->rc, ivl_ms, ivl_max_ms);
}

mzmtp_status_t mzmtp_lwip_close(mzmtp_lwip_t *io, mzmtp_socket_t *sock, int32_t linger_ms)
{
    mzmtp_lwip_sockent_t *s = io != NULL ? find_sock(io, sock) : NULL;
    if (s == NULL) {
        return MZMTP_ERR_INVALID;
    }
    if (!mzmtp_kit_close_begin(&s->k, linger_ms, sys_now())) {
        return MZMTP_OK;
    }
    for (int i = 0; i < MZMTP_LWIP_CONF_MAX_ENDPOINTS; i++) {
        mzmtp_lwip_endpoint_t *e = &io->ep[i];
        if (e->k.sock != sock) {
            continue;
        }
        if (e->k.kind == MZMTP_KIT_EP_BIND && e->listen != NULL) {
            tcp_arg(e->listen, NULL);
            tcp_accept(e->listen, NULL);
            (void)tcp_close(e->listen); /* a listening pcb always closes */
            e->listen = NULL;
        }
        mzmtp_kit_ep_stop(&e->k); /* no new connections, no reconnects */
    }
    return MZMTP_OK;
}

bool mzmtp_lwip_closed(const mzmtp_lwip_t *io, const mzmtp_socket_t *sock)
{
    for (int i = 0; i < MZMTP_LWIP_CONF_MAX_SOCKETS; i++) {
        if (io->sock[i].k.sock == sock) {
            return false;
        }
    }
    return true;
}

void mzmtp_lwip_get_stats(const mzmtp_lwip_t *io, mzmtp_lwip_stats_t *out)
{
    if (io != NULL && out != NULL) {
        *out = io->stats;
    }
}
