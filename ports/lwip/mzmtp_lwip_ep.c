/*
 * lwIP port of microzmtp: the endpoints and the socket table. The text of an endpoint,
 * bind (a listening pcb) and connect (an endpoint that holds a peer slot for good), the
 * reconnect schedule with libzmq's back-off and jitter, linger on close. The connections
 * themselves are mzmtp_lwip.c's.
 */
#include "mzmtp_lwip.h"
#include <microzmtp/mzmtp_port.h> /* the port contract */
#include "mzmtp_lwip_ep.h"

#include "lwip/ip_addr.h"
#include "lwip/sys.h"

#include <string.h>

static uint32_t rnd(mzmtp_lwip_t *io)
{
    /* xorshift32: reconnect jitter only, nothing secret. */
    uint32_t x = io->rand_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    io->rand_state = x;
    return x;
}

static mzmtp_lwip_sockent_t *find_sock(mzmtp_lwip_t *io, const mzmtp_socket_t *sock)
{
    for (int i = 0; i < MZMTP_LWIP_CONF_MAX_SOCKETS; i++) {
        if (sock != NULL && io->sock[i].sock == sock) {
            return &io->sock[i];
        }
    }
    return NULL;
}

static mzmtp_lwip_sockent_t *add_sock(mzmtp_lwip_t *io, mzmtp_socket_t *sock)
{
    mzmtp_lwip_sockent_t *s = find_sock(io, sock);
    for (int i = 0; s == NULL && i < MZMTP_LWIP_CONF_MAX_SOCKETS; i++) {
        if (io->sock[i].sock == NULL) {
            s = &io->sock[i];
            memset(s, 0, sizeof(*s));
            s->sock = sock;
        }
    }
    return s;
}

void mzmtp_lwip_ep_retry(mzmtp_lwip_t *io, mzmtp_lwip_endpoint_t *e, uint32_t now,
                         bool failed_connect)
{
    uint32_t wait;
    if (io->ivl_ms < 0) {
        e->state = EP_STOPPED;
        return;
    }
    wait = failed_connect ? e->backoff_ms : (uint32_t)io->ivl_ms;
    if (failed_connect && io->ivl_max_ms > io->ivl_ms) {
        /* libzmq's ZMQ_RECONNECT_IVL_MAX: double after each failed attempt. */
        uint32_t next = e->backoff_ms * 2u;
        e->backoff_ms = next > (uint32_t)io->ivl_max_ms ? (uint32_t)io->ivl_max_ms : next;
    }
    e->retry_at = now + wait + (wait > 0 ? rnd(io) % (wait + 1u) : 0u);
    e->state = EP_WAIT;
    mzmtp_socket_notify(e->sock, MZMTP_EV_CONNECT_RETRY, e->peer, MZMTP_OK);
}

/* ------------------------------ endpoints -------------------------------------------- */

/*
 * "tcp://HOST:PORT": HOST is `*` (bind only), an IPv4 address, or [IPv6]; PORT is 1..65535,
 * or `*`/0 on bind. @return MZMTP_OK or MZMTP_ERR_INVALID.
 */
static mzmtp_status_t parse_endpoint(const char *ep, bool bind, ip_addr_t *addr, uint16_t *port)
{
    char host[48];
    const char *colon, *h;
    size_t hl;
    uint32_t v = 0;

    if (ep == NULL || strncmp(ep, "tcp://", 6) != 0 || (colon = strrchr(ep + 6, ':')) == NULL) {
        return MZMTP_ERR_INVALID;
    }
    h = ep + 6;
    hl = (size_t)(colon - h);
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    if (hl == 0 || hl >= sizeof host) {
        return MZMTP_ERR_INVALID;
    }
    memcpy(host, h, hl);
    host[hl] = '\0';
    if (strcmp(host, "*") == 0) {
        if (!bind) {
            return MZMTP_ERR_INVALID;
        }
        ip_addr_copy(*addr, *IP_ANY_TYPE);
    } else if (!ipaddr_aton(host, addr) || (!bind && ip_addr_isany(addr))) {
        return MZMTP_ERR_INVALID;
    }
    if (bind && strcmp(colon + 1, "*") == 0) {
        *port = 0;
        return MZMTP_OK;
    }
    for (const char *d = colon + 1; *d != '\0'; d++) {
        if (*d < '0' || *d > '9' || d - colon > 5) {
            return MZMTP_ERR_INVALID;
        }
        v = v * 10u + (uint32_t)(*d - '0');
    }
    if (colon[1] == '\0' || v > 65535u || (v == 0 && !bind)) {
        return MZMTP_ERR_INVALID;
    }
    *port = (uint16_t)v;
    return MZMTP_OK;
}

static mzmtp_lwip_endpoint_t *free_endpoint(mzmtp_lwip_t *io)
{
    for (int i = 0; i < MZMTP_LWIP_CONF_MAX_ENDPOINTS; i++) {
        if (io->ep[i].kind == EP_FREE) {
            return &io->ep[i];
        }
    }
    return NULL;
}

/* ------------------------------ public API ------------------------------------------- */

void mzmtp_lwip_init(mzmtp_lwip_t *io)
{
    memset(io, 0, sizeof(*io));
    io->ivl_ms = MZMTP_LWIP_CONF_RECONNECT_IVL_MS;
    io->ivl_max_ms = MZMTP_LWIP_CONF_RECONNECT_IVL_MAX_MS;
    io->rand_state = 0x9E3779B9u ^ sys_now();
}

mzmtp_status_t mzmtp_lwip_bind(mzmtp_lwip_t *io, mzmtp_socket_t *sock, const char *endpoint,
                               uint16_t *port)
{
    ip_addr_t addr;
    uint16_t p;
    mzmtp_lwip_endpoint_t *e;
    mzmtp_lwip_sockent_t *s;
    struct tcp_pcb *pcb, *lpcb;

    if (io == NULL || sock == NULL || parse_endpoint(endpoint, true, &addr, &p) != MZMTP_OK) {
        return MZMTP_ERR_INVALID;
    }
    s = find_sock(io, sock);
    if (s != NULL && s->closing) {
        return MZMTP_ERR_STATE;
    }
    e = free_endpoint(io);
    if (e == NULL || (s = add_sock(io, sock)) == NULL) {
        return MZMTP_ERR_LIMIT;
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
    memset(e, 0, sizeof(*e));
    e->io = io;
    e->sock = sock;
    e->listen = lpcb;
    e->kind = EP_BIND;
    e->state = EP_UP;
    e->peer = NO_INDEX;
    e->port = p;
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
    mzmtp_lwip_sockent_t *s;
    int peer;
    mzmtp_status_t st;

    if (io == NULL || sock == NULL || parse_endpoint(endpoint, false, &addr, &p) != MZMTP_OK) {
        return MZMTP_ERR_INVALID;
    }
    s = find_sock(io, sock);
    if (s != NULL && s->closing) {
        return MZMTP_ERR_STATE;
    }
    e = free_endpoint(io);
    if (e == NULL || add_sock(io, sock) == NULL) {
        return MZMTP_ERR_LIMIT;
    }
    st = mzmtp_socket_peer_open(sock, true, &peer);
    if (st != MZMTP_OK) {
        return st;
    }
    memset(e, 0, sizeof(*e));
    e->io = io;
    e->sock = sock;
    e->kind = EP_CONNECT;
    e->state = EP_WAIT;
    e->peer = (int8_t)peer;
    e->port = p;
    e->addr = addr;
    e->backoff_ms = io->ivl_ms < 0 ? 0u : (uint32_t)io->ivl_ms;
    e->retry_at = sys_now(); /* the first attempt at the next mzmtp_lwip_poll() */
    return MZMTP_OK;
}

void mzmtp_lwip_set_reconnect(mzmtp_lwip_t *io, int32_t ivl_ms, int32_t ivl_max_ms)
{
    io->ivl_ms = ivl_ms < 0 ? -1 : ivl_ms;
    io->ivl_max_ms = ivl_max_ms;
}

mzmtp_status_t mzmtp_lwip_close(mzmtp_lwip_t *io, mzmtp_socket_t *sock, int32_t linger_ms)
{
    mzmtp_lwip_sockent_t *s = io != NULL ? find_sock(io, sock) : NULL;
    if (s == NULL) {
        return MZMTP_ERR_INVALID;
    }
    mzmtp_socket_close(sock);
    if (s->closing) {
        return MZMTP_OK;
    }
    s->closing = 1;
    s->linger_ms = linger_ms < 0 ? -1 : linger_ms;
    s->linger_at = sys_now() + (uint32_t)(linger_ms < 0 ? 0 : linger_ms);
    for (int i = 0; i < MZMTP_LWIP_CONF_MAX_ENDPOINTS; i++) {
        mzmtp_lwip_endpoint_t *e = &io->ep[i];
        if (e->sock != sock) {
            continue;
        }
        if (e->kind == EP_BIND && e->listen != NULL) {
            tcp_arg(e->listen, NULL);
            tcp_accept(e->listen, NULL);
            (void)tcp_close(e->listen); /* a listening pcb always closes */
            e->listen = NULL;
        }
        e->state = EP_STOPPED; /* no new connections, no reconnects */
    }
    return MZMTP_OK;
}

bool mzmtp_lwip_closed(const mzmtp_lwip_t *io, const mzmtp_socket_t *sock)
{
    for (int i = 0; i < MZMTP_LWIP_CONF_MAX_SOCKETS; i++) {
        if (io->sock[i].sock == sock) {
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
