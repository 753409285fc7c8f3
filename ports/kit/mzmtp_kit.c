/*
 * The port kit (mzmtp_kit.h): what the POSIX, Contiki-NG and lwIP ports share. It calls
 * the core's port interface (mzmtp_port.h) and nothing of any stack. Unit-tested on the
 * host: tests/unit/test_port_kit.c.
 */
#include "mzmtp_kit.h"

#include <string.h>

/* ------------------------------ endpoint text ---------------------------------------- */

mzmtp_status_t mzmtp_kit_parse_tcp(const char *endpoint, bool bind, char *host, size_t host_cap,
                                   uint16_t *port)
{
    /* One pass of plain loops, no strrchr/memchr: on a microcontroller those would be
     * the only users of libc's string search (about 190 B on Cortex-M3). */
    static const char scheme[] = "tcp://";
    const char *h, *colon = NULL, *p;
    size_t i, hl, digits;
    uint32_t num = 0;

    if (endpoint == NULL || host == NULL || port == NULL) {
        return MZMTP_ERR_INVALID;
    }
    for (i = 0; i < 6; i++) {
        if (endpoint[i] != scheme[i]) { /* a shorter text stops at its NUL */
            return MZMTP_ERR_INVALID;
        }
    }
    h = endpoint + 6;
    for (p = h; *p != '\0'; p++) {
        if (*p == ':') {
            colon = p; /* the last one: an IPv6 host has colons of its own */
        }
    }
    if (colon == NULL) {
        return MZMTP_ERR_INVALID;
    }
    hl = (size_t)(colon - h);
    if (hl > 0 && h[0] == '[') {
        if (hl < 2 || h[hl - 1] != ']') {
            return MZMTP_ERR_INVALID;
        }
        h++;
        hl -= 2;
    }
    if (hl == 0 || hl >= host_cap) {
        return MZMTP_ERR_INVALID;
    }
    for (i = 0; i < hl; i++) {
        if (h[i] == '[' || h[i] == ']') {
            return MZMTP_ERR_INVALID;
        }
    }
    p = colon + 1;
    if (bind && p[0] == '*' && p[1] == '\0') {
        p = "0";
    }
    for (digits = 0; p[digits] >= '0' && p[digits] <= '9'; digits++) {
        if (digits == 5) {
            return MZMTP_ERR_INVALID;
        }
        num = num * 10u + (uint32_t)(p[digits] - '0');
    }
    if (digits == 0 || p[digits] != '\0' || num > 65535u ||
        (!bind && (num == 0 || (hl == 1 && h[0] == '*')))) {
        return MZMTP_ERR_INVALID;
    }
    memcpy(host, h, hl);
    host[hl] = '\0';
    *port = (uint16_t)num;
    return MZMTP_OK;
}


/* ------------------------------ reconnects ------------------------------------------- */



bool mzmtp_kit_reconnect_next(mzmtp_kit_reconnect_t *r, uint32_t now, bool failed_connect,
                              uint32_t *backoff_ms, uint32_t *retry_at)
{
    uint32_t ivl, x = r->rand;
    if (r->ivl_ms < 0) {
        return false;
    }
    ivl = (uint32_t)r->ivl_ms;
    if (!failed_connect) {
        *backoff_ms = ivl; /* R1: back-off only for failed connects */
    }
    x ^= x << 13; /* xorshift32 */
    x ^= x >> 17;
    x ^= x << 5;
    r->rand = x;
    *retry_at = now + *backoff_ms + x % (ivl + 1u);
    if (failed_connect && r->ivl_max_ms > r->ivl_ms) {
        uint32_t max = (uint32_t)r->ivl_max_ms;
        *backoff_ms = *backoff_ms > max / 2u ? max : *backoff_ms * 2u;
    }
    return true;
}

/* ------------------------------ endpoint records ------------------------------------- */


mzmtp_status_t mzmtp_kit_ep_connect(mzmtp_kit_ep_t *e, mzmtp_socket_t *sock, uint16_t port,
                                    const mzmtp_kit_reconnect_t *r, uint32_t now)
{
    int peer;
    mzmtp_status_t st = mzmtp_socket_peer_open(sock, true, &peer);
    if (st != MZMTP_OK) {
        return st;
    }
    memset(e, 0, sizeof(*e));
    e->sock = sock;
    e->peer = peer;
    e->port = port;
    e->kind = MZMTP_KIT_EP_CONNECT;
    e->state = MZMTP_KIT_WAIT;
    e->backoff_ms = mzmtp_kit_backoff_reset(r);
    e->retry_at = now;
    return MZMTP_OK;
}


bool mzmtp_kit_ep_down(mzmtp_kit_ep_t *e, mzmtp_kit_reconnect_t *r, uint32_t now,
                       mzmtp_status_t why, bool failed_connect)
{
    if (e->kind != MZMTP_KIT_EP_CONNECT || e->state == MZMTP_KIT_STOPPED) {
        return false;
    }
    if (mzmtp_status_allows_reconnect(why) &&
        mzmtp_kit_reconnect_next(r, now, failed_connect, &e->backoff_ms, &e->retry_at)) {
        e->state = MZMTP_KIT_WAIT;
        mzmtp_socket_notify(e->sock, MZMTP_EV_CONNECT_RETRY, (int)e->peer, why);
        return true;
    }
    /* Never retried: the slot and what was queued for it go (wire-notes R2). */
    e->state = MZMTP_KIT_STOPPED;
    if (e->peer >= 0) {
        mzmtp_socket_peer_release(e->sock, (int)e->peer);
        e->peer = -1;
    }
    return false;
}



/* ------------------------------ socket records --------------------------------------- */






/* ------------------------------ peers ------------------------------------------------ */

unsigned mzmtp_kit_peer_wants(mzmtp_socket_t *sock, int peer)
{
    uint8_t *at;
    size_t room;
    unsigned w = 0;
    mzmtp_socket_peer_rx_space(sock, peer, &at, &room);
    if (room > 0) {
        w |= MZMTP_KIT_WANT_IN;
    }
    if (mzmtp_socket_peer_has_output(sock, peer)) {
        w |= MZMTP_KIT_WANT_OUT;
    }
    return w;
}

size_t mzmtp_kit_feed(mzmtp_socket_t *sock, int peer, const uint8_t *d, size_t len,
                      uint32_t now, mzmtp_status_t *st)
{
    size_t used = 0;
    *st = MZMTP_OK;
    while (used < len) {
        uint8_t *at;
        size_t room, k;
        mzmtp_socket_peer_rx_space(sock, peer, &at, &room);
        if (room == 0) {
            break;
        }
        k = len - used < room ? len - used : room;
        memcpy(at, d + used, k);
        used += k;
        *st = mzmtp_socket_peer_rx_commit(sock, peer, k, now);
        if (mzmtp_status_is_fatal(*st)) {
            break;
        }
        *st = MZMTP_OK;
    }
    return used;
}

size_t mzmtp_kit_output_copy(mzmtp_socket_t *sock, int peer, uint8_t *buf, size_t cap)
{
    mzmtp_iov_t iov[MZMTP_KIT_OUT_IOVS];
    size_t k = 0;
    size_t n = mzmtp_socket_peer_output(sock, peer, iov, MZMTP_KIT_OUT_IOVS);
    for (size_t i = 0; i < n && k < cap; i++) {
        size_t m = iov[i].len < cap - k ? iov[i].len : cap - k;
        memcpy(buf + k, iov[i].base, m);
        k += m;
    }
    if (k > 0) {
        /* A copy is taken: written and acknowledged at once (mzmtp_port.h). */
        mzmtp_socket_peer_output_done(sock, peer, k);
    }
    return k;
}

void mzmtp_kit_reap(mzmtp_socket_t *sock, uint32_t now, mzmtp_kit_dead_fn fn, void *ctx)
{
    if (!mzmtp_socket_tick(sock, now)) {
        return;
    }
    for (int p = mzmtp_socket_peer_next_dead(sock, -1); p >= 0;
         p = mzmtp_socket_peer_next_dead(sock, p)) {
        mzmtp_status_t why = mzmtp_socket_peer_status(sock, p);
        fn(ctx, p, why == MZMTP_OK ? MZMTP_ERR_TIMEOUT : why);
    }
}

/* ------------------------------ input stage ------------------------------------------ */

void mzmtp_kit_stage_consume(mzmtp_kit_stage_t *st, size_t n)
{
    if (n >= st->len) {
        mzmtp_kit_stage_clear(st);
        return;
    }
    st->off = (uint16_t)(st->off + n);
    st->len = (uint16_t)(st->len - n);
}

size_t mzmtp_kit_stage_put(mzmtp_kit_stage_t *st, uint8_t *buf, size_t cap, const uint8_t *d,
                           size_t n)
{
    size_t room;
    if (st->off > 0) {
        memmove(buf, buf + st->off, st->len);
        st->off = 0;
    }
    room = cap > st->len ? cap - st->len : 0u;
    if (n > room) {
        n = room;
    }
    if (n > 0) {
        memcpy(buf + st->len, d, n);
        st->len = (uint16_t)(st->len + n);
    }
    return n;
}
