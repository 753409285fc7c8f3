/*
 * Contiki-NG port of microzmtp: moves bytes between uIP's raw TCP API and the sockets'
 * connection engines, keeps reconnect/linger timers and runs the engines' timers,
 * decides nothing about ZMTP. mzmtp-contiki.h says why the raw API and not tcp_socket.
 *
 * uIP facts this file relies on (os/net/ipv6/uip6.c):
 *  - a connection has at most one unacknowledged segment; its application must rebuild
 *    exactly that segment when uip_rexmit() is set, and must not send new data while
 *    uip_outstanding() (uIP would send it under the old sequence number);
 *  - data reaches the application in uip_appdata during the call only; rcv_nxt already
 *    counts it, and the ACK built after the call acknowledges up to rcv_nxt;
 *  - while UIP_STOPPED is set, uIP advertises a zero window in everything it sends, and
 *    neither accepts nor acknowledges data or FIN;
 *  - uip_restart() clears UIP_STOPPED and sets UIP_NEWDATA, which makes uIP send an ACK
 *    carrying the reopened window (a window update), so the peer resumes at once;
 *  - tcpip_poll_tcp() leads to an application call only for an ESTABLISHED connection
 *    with nothing outstanding; otherwise the ACK (or a retransmission) will call us;
 *  - uip_close()/uip_abort() overwrite uip_flags; a FIN may only be sent when nothing is
 *    outstanding.
 */
#include "mzmtp-contiki.h"
#include "../kit/mzmtp_kit.h"

#include "net/ipv6/tcpip.h"
#include "net/ipv6/uiplib.h"
#include "lib/random.h"
#include "sys/log.h"

#include <string.h>

#if MZMTP_CONF_CURVE
/* CURVE's random source (keys, nonces; wire-notes C-section: the transient keys must be
 * unpredictable). On native, the host kernel's getrandom(); elsewhere Contiki-NG's
 * CSPRNG (os/lib/csprng.c, AES-128 in OFB mode), which the platform seeds: on cc2538
 * from the radio's I/Q noise when the radio starts (lib/iq-seeder) and from SRAM's
 * power-up state when deep sleep is allowed. random_rand() is not cryptographic and is
 * never used for this; a target without either source cannot build CURVE. */
#if CONTIKI_TARGET_NATIVE
#include <errno.h>
#include <sys/random.h>
#else
#include "lib/csprng.h"
#if !CSPRNG_ENABLED
#error "CURVE on Contiki-NG needs a cryptographic random source: #define CSPRNG_CONF_ENABLED 1 in project-conf.h (the platform seeds it; see docs/contiki-ng.md)"
#endif
#endif
#endif

#define LOG_MODULE "mzmtp"
#define LOG_LEVEL LOG_CONF_LEVEL_MZMTP

#define CF_USED    0x01 /* record in use */
#define CF_STARTED 0x02 /* the peer's ZMTP session runs (peer_start done, no peer_stop) */
#define CF_POLL    0x04 /* a tcpip_poll_tcp() is pending */
#define CF_FATAL   0x08 /* the engine failed: write what it still has (ERROR), then FIN */
#define CF_CLOSE   0x10 /* FIN as soon as nothing is in flight */
#define CF_GONE    0x20 /* the transport ended; staged bytes still go to the engine */
#define CF_SHUT    0x40 /* we advertised a zero window: a window update is owed */

#define NO_INDEX (-1)

struct conn {
  struct uip_conn *uc;  /* NULL once the transport has ended */
  mzmtp_socket_t *sock; /* NULL: orphan, closing after its socket was closed */
  int8_t peer;          /* peer slot in sock */
  int8_t ep;            /* connecting endpoint, or NO_INDEX (accepted) */
  uint8_t flags;
  mzmtp_status_t why;   /* why the session ends, once known */
  mzmtp_kit_stage_t st; /* bytes of stage[] the engine had no room for */
  uint16_t tx_len;      /* bytes of tx in flight (unacknowledged) */
  uint8_t stage[MZMTP_CONTIKI_CONF_RX_STAGE];
  uint8_t tx[MZMTP_CONTIKI_CONF_TX_BUF];
};

/* The kit's records (ports/kit/mzmtp_kit.h) and what only uIP needs next to them. */
struct endpoint {
  mzmtp_kit_ep_t k;     /* bind or connect, state, peer slot, port, reconnect schedule */
  uip_ipaddr_t addr;    /* connect */
};

struct sockent {
  mzmtp_kit_sock_t k;   /* linger, readiness edges */
  struct process *app;
  mzmtp_contiki_ready_fn fn;
  void *ctx;
};

/* The connect side, set by mzmtp_contiki_connect() (see connect_attempt()). */
struct connector {
  void (*attempt)(struct endpoint *e, uint32_t now);
  void (*lost)(struct endpoint *e, const mzmtp_socket_t *sock, bool started,
               mzmtp_status_t why, uint32_t now);
};

/* The close side, set by mzmtp_contiki_close(): a node that never closes a socket links
 * none of close_progress(). */
typedef void (*closer_fn)(struct sockent *s, uint32_t now);

static struct {
  const struct connector *connector;
  closer_fn closer;
  struct conn conn[MZMTP_CONTIKI_CONF_MAX_CONNS];
  struct endpoint ep[MZMTP_CONTIKI_CONF_MAX_ENDPOINTS];
  struct sockent sock[MZMTP_CONTIKI_CONF_MAX_SOCKETS];
  struct etimer timer;
  mzmtp_kit_reconnect_t rc;
  clock_time_t last_tick;
  mzmtp_kit_clock_t clock;
  uint16_t next_ephemeral;
  uint8_t started;
  uint8_t post_failed; /* a readiness event did not fit the event queue: retry soon */
  mzmtp_contiki_stats_t stats;
} port;

process_event_t mzmtp_contiki_event;
PROCESS(mzmtp_contiki_process, "microzmtp");

static void service(void);
/*---------------------------------------------------------------------------*/
uint32_t
mzmtp_contiki_now_ms(void)
{
  /* Accumulate tick deltas, so the result wraps at 2^32 ms whatever clock_time_t is. */
  clock_time_t t = clock_time();
  clock_time_t d = (clock_time_t)(t - port.last_tick);
  port.last_tick = t;
  return mzmtp_kit_clock_add(&port.clock, (uint64_t)d, (uint32_t)CLOCK_SECOND);
}
/*---------------------------------------------------------------------------*/
#if MZMTP_CONF_CURVE
/* Installed on every attached socket. false (the handshake then fails with
 * MZMTP_ERR_CRYPTO) when the source cannot give bytes: the CSPRNG before it is seeded. */
bool
mzmtp_contiki_random(void *ctx, uint8_t *buf, size_t len)
{
  (void)ctx;
#if CONTIKI_TARGET_NATIVE
  while(len > 0) {
    ssize_t n = getrandom(buf, len, 0); /* blocks only until the kernel's pool is ready */
    if(n < 0) {
      if(errno == EINTR) {
        continue;
      }
      return false;
    }
    buf += n;
    len -= (size_t)n;
  }
  return true;
#else
  return csprng_rand(buf, len);
#endif
}
#endif
/*---------------------------------------------------------------------------*/
static struct sockent *
find_sock(const mzmtp_socket_t *sock)
{
  for(int i = 0; i < MZMTP_CONTIKI_CONF_MAX_SOCKETS; i++) {
    if(sock != NULL && port.sock[i].k.sock == sock) {
      return &port.sock[i];
    }
  }
  return NULL;
}
/*---------------------------------------------------------------------------*/
static struct sockent *
add_sock(mzmtp_socket_t *sock, struct process *app)
{
  struct sockent *s = find_sock(sock);
  if(s != NULL) {
    return s;
  }
  for(int i = 0; i < MZMTP_CONTIKI_CONF_MAX_SOCKETS; i++) {
    if(port.sock[i].k.sock == NULL) {
      s = &port.sock[i];
      memset(s, 0, sizeof(*s));
      s->k.sock = sock;
      s->app = app;
      return s;
    }
  }
  return NULL;
}
/*---------------------------------------------------------------------------*/
static struct conn *
conn_alloc(void)
{
  for(int i = 0; i < MZMTP_CONTIKI_CONF_MAX_CONNS; i++) {
    struct conn *c = &port.conn[i];
    if(!(c->flags & CF_USED)) {
      c->uc = NULL;
      c->sock = NULL;
      c->peer = NO_INDEX;
      c->ep = NO_INDEX;
      c->flags = CF_USED;
      c->why = MZMTP_OK;
      mzmtp_kit_stage_clear(&c->st);
      c->tx_len = 0;
      return c;
    }
  }
  return NULL;
}
/*---------------------------------------------------------------------------*/
static struct conn *
conn_of_peer(const mzmtp_socket_t *sock, int peer)
{
  for(int i = 0; i < MZMTP_CONTIKI_CONF_MAX_CONNS; i++) {
    struct conn *c = &port.conn[i];
    if((c->flags & (CF_USED | CF_STARTED)) == (CF_USED | CF_STARTED) &&
       c->sock == sock && c->peer == peer) {
      return c;
    }
  }
  return NULL;
}
/*---------------------------------------------------------------------------*/
/* The connection is over for good: end its ZMTP session, free the record, and let a
 * connecting endpoint try again. */
static void
conn_finish(struct conn *c, uint32_t now)
{
  mzmtp_socket_t *sock = c->sock;
  mzmtp_status_t why = c->why == MZMTP_OK ? MZMTP_ERR_CLOSED : c->why;
  bool started = (c->flags & CF_STARTED) != 0;
  int8_t ep = c->ep;

  if(sock != NULL && started) {
    mzmtp_socket_peer_stop(sock, c->peer, why);
  }
  c->flags = 0;
  c->uc = NULL;
  c->sock = NULL;
  if(ep != NO_INDEX && sock != NULL) {
    port.connector->lost(&port.ep[ep], sock, started, why, now); /* only connects have one */
  }
  process_poll(&mzmtp_contiki_process);
}
/*---------------------------------------------------------------------------*/
/* The transport ended (FIN, RST, timeout or our own close). Bytes already acknowledged
 * to the peer but still staged must reach the engine first: they were promised. */
static void
conn_end(struct conn *c, mzmtp_status_t why, uint32_t now)
{
  c->uc = NULL;
  c->flags &= (uint8_t)~CF_POLL;
  if(c->why == MZMTP_OK) {
    c->why = why;
  }
  if(mzmtp_kit_stage_len(&c->st) > 0 && c->sock != NULL && (c->flags & CF_STARTED) &&
     !(c->flags & (CF_FATAL | CF_CLOSE))) {
    c->flags |= CF_GONE;
    return;
  }
  conn_finish(c, now);
}
/*---------------------------------------------------------------------------*/
/* Hand bytes to the engine, as many as its receive buffer takes now.
 * @return bytes taken. A fatal engine status marks the connection CF_FATAL. */
static size_t
feed(struct conn *c, const uint8_t *d, size_t len, uint32_t now)
{
  size_t used;
  mzmtp_status_t st;
  if(c->sock == NULL || !(c->flags & CF_STARTED) || (c->flags & (CF_FATAL | CF_CLOSE))) {
    return len; /* the session is ending: nothing more is delivered */
  }
  used = mzmtp_kit_feed(c->sock, c->peer, d, len, now, &st);
  if(mzmtp_status_is_fatal(st)) {
    LOG_WARN("peer %d: %s, closing\n", c->peer, mzmtp_status_str(st));
    c->flags |= CF_FATAL;
    c->why = st;
    mzmtp_kit_stage_clear(&c->st);
    return len;
  }
  return used;
}
/*---------------------------------------------------------------------------*/
/* Move staged bytes into the engine, as far as it has room. */
static void
feed_stage(struct conn *c, uint32_t now)
{
  size_t k;
  if(mzmtp_kit_stage_len(&c->st) == 0) {
    return;
  }
  k = feed(c, mzmtp_kit_stage_data(&c->st, c->stage), mzmtp_kit_stage_len(&c->st), now);
  /* After a fatal engine status feed() has emptied the stage and reports everything
   * taken: consuming past the end leaves it empty. */
  mzmtp_kit_stage_consume(&c->st, k);
}
/*---------------------------------------------------------------------------*/
/* Take back @p n bytes that uIP counted as received: the ACK built after this call then
 * acknowledges only what we kept, and the peer sends the rest again (RFC 9293 allows a
 * receiver to accept part of a segment). Only for a peer that overran the window. */
static void
unaccept(uint16_t n)
{
  uint32_t v = ((uint32_t)uip_conn->rcv_nxt[0] << 24) | ((uint32_t)uip_conn->rcv_nxt[1] << 16) |
               ((uint32_t)uip_conn->rcv_nxt[2] << 8) | uip_conn->rcv_nxt[3];
  v -= n;
  uip_conn->rcv_nxt[0] = (uint8_t)(v >> 24);
  uip_conn->rcv_nxt[1] = (uint8_t)(v >> 16);
  uip_conn->rcv_nxt[2] = (uint8_t)(v >> 8);
  uip_conn->rcv_nxt[3] = (uint8_t)v;
}
/*---------------------------------------------------------------------------*/
/*
 * A segment arrived (inside the application call). What the engine has no room for is
 * staged; the call then ends with uip_stop(), so the ACK advertises a zero window.
 * Staged bytes always go to the engine before newer ones.
 * @return false when the connection must be reset (a peer that overran our window and
 *         closed in the same segment: its bytes can neither be kept nor refused).
 */
static bool
input(struct conn *c, const uint8_t *d, uint16_t len, uint32_t now)
{
  size_t used = 0, rest, kept;
  if(len == 0) {
    return true;
  }
  feed_stage(c, now);
  if(mzmtp_kit_stage_len(&c->st) == 0) {
    used = feed(c, d, len, now);
  }
  if(used == len) {
    return true;
  }
  rest = len - used;
  kept = mzmtp_kit_stage_put(&c->st, c->stage, sizeof(c->stage), d + used, rest);
  if(kept < rest) {
    /* More than the window we advertised: keep what fits, refuse the rest. */
    if(uip_closed()) {
      LOG_WARN("peer %d: overran the window and closed, resetting\n", c->peer);
      port.stats.aborted++;
      return false;
    }
    unaccept((uint16_t)(rest - kept));
  }
  if(mzmtp_kit_stage_len(&c->st) > port.stats.staged_max) {
    port.stats.staged_max = mzmtp_kit_stage_len(&c->st);
  }
  return true;
}
/*---------------------------------------------------------------------------*/
/* Copy the engine's next bytes (at most one segment) into the output buffer and send
 * them. The engine is told at once: from now on uIP's retransmissions use c->tx. */
static void
output(struct conn *c)
{
  size_t cap = uip_mss();
  size_t k;
  if(c->sock == NULL || !(c->flags & CF_STARTED) || (c->flags & CF_CLOSE)) {
    return;
  }
  if(cap > sizeof(c->tx)) {
    cap = sizeof(c->tx);
  }
  k = mzmtp_kit_output_copy(c->sock, c->peer, c->tx, cap);
  if(k > 0) {
    c->tx_len = (uint16_t)k;
    uip_send(c->tx, (int)k);
  }
}
/*---------------------------------------------------------------------------*/
/* Is it time to send our FIN? */
static bool
close_due(const struct conn *c)
{
  if(c->sock == NULL || (c->flags & CF_CLOSE)) {
    return true;
  }
  if(c->flags & CF_FATAL) {
    return !mzmtp_socket_peer_has_output(c->sock, c->peer);
  }
  return false;
}
/*---------------------------------------------------------------------------*/
static void
start_session(struct conn *c, uint32_t now)
{
  mzmtp_status_t st = mzmtp_socket_peer_start(c->sock, c->peer, now);
  if(st != MZMTP_OK) {
    LOG_WARN("peer %d: start failed: %s\n", c->peer, mzmtp_status_str(st));
    c->flags |= CF_CLOSE;
    c->why = st;
    return;
  }
  c->flags |= CF_STARTED;
}
/*---------------------------------------------------------------------------*/
/* A refused client retries every 100 ms or so (libzmq): log the 1st, 2nd, 4th... */
static void
refused(const char *why)
{
  uint32_t n = ++port.stats.refused;
  if((n & (n - 1)) == 0) {
    LOG_WARN("connection refused: %s (%lu so far)\n", why, (unsigned long)n);
  }
}
/*---------------------------------------------------------------------------*/
/* An incoming connection reached ESTABLISHED on a port we listen on. */
static struct conn *
accept_conn(uint32_t now)
{
  struct endpoint *e = NULL;
  struct conn *c;
  int p;
  for(int i = 0; i < MZMTP_CONTIKI_CONF_MAX_ENDPOINTS; i++) {
    if(port.ep[i].k.kind == MZMTP_KIT_EP_BIND && port.ep[i].k.state != MZMTP_KIT_STOPPED &&
       UIP_HTONS(port.ep[i].k.port) == uip_conn->lport) {
      e = &port.ep[i];
      break;
    }
  }
  if(e == NULL) {
    return NULL;
  }
  c = conn_alloc();
  if(c == NULL) {
    refused("all port connections in use");
    return NULL;
  }
  if(mzmtp_socket_peer_open(e->k.sock, false, &p) != MZMTP_OK) {
    c->flags = 0;
    refused("no free peer slot");
    return NULL;
  }
  c->sock = e->k.sock;
  c->peer = (int8_t)p;
  c->uc = uip_conn;
  tcp_markconn(uip_conn, c);
  port.stats.accepted++;
  LOG_INFO("peer %d accepted\n", p);
  mzmtp_socket_notify(c->sock, MZMTP_EV_ACCEPTED, p, MZMTP_OK);
  start_session(c, now);
  return c;
}
/*---------------------------------------------------------------------------*/
/* uIP calls this (through tcpip_event) for every connection of ours. */
static void
appcall(void *state)
{
  struct conn *c = state;
  uint32_t now = mzmtp_contiki_now_ms();

  if(uip_connected()) {
    if(c == NULL) {
      c = accept_conn(now);
      if(c == NULL) {
        uip_abort(); /* refused: the client sees a reset right after its connect */
        return;
      }
    } else if(c->uc == uip_conn && c->sock != NULL && c->ep != NO_INDEX) {
      LOG_INFO("peer %d connected\n", c->peer);
      mzmtp_kit_ep_up(&port.ep[c->ep].k, &port.rc);
      start_session(c, now);
    }
  }
  if(c == NULL || c->uc != uip_conn) {
    return; /* a connection we have let go of, finishing its close in uIP */
  }
  if(uip_aborted() || uip_timedout()) {
    conn_end(c, MZMTP_ERR_CLOSED, now);
    return;
  }
  if(uip_newdata() && !input(c, uip_appdata, uip_datalen(), now)) {
    uip_abort();
    tcp_markconn(uip_conn, NULL);
    c->why = MZMTP_ERR_PROTOCOL;
    mzmtp_kit_stage_clear(&c->st);
    conn_end(c, MZMTP_ERR_PROTOCOL, now);
    return;
  }
  if(uip_closed()) {
    /* The peer's FIN; uIP answers with ours. */
    tcp_markconn(uip_conn, NULL);
    conn_end(c, MZMTP_ERR_CLOSED, now);
    return;
  }
  c->flags &= (uint8_t)~CF_POLL;
  if(uip_rexmit()) {
    uip_send(c->tx, c->tx_len);
  } else if(!uip_outstanding(uip_conn)) {
    c->tx_len = 0;
    if(close_due(c)) {
      uip_close();
      tcp_markconn(uip_conn, NULL);
      mzmtp_kit_stage_clear(&c->st);
      conn_end(c, MZMTP_ERR_CLOSED, now);
      return;
    }
    output(c);
  }
  /* Input flow control: every segment we send while bytes are staged advertises a
   * zero window; once the stage is empty, a window update reopens it. */
  if(mzmtp_kit_stage_len(&c->st) > 0) {
    uip_stop();
    if(!(c->flags & CF_SHUT)) {
      c->flags |= CF_SHUT;
      port.stats.stalls++;
    }
  } else if(c->flags & CF_SHUT) {
    uip_restart();
    c->flags &= (uint8_t)~CF_SHUT;
    port.stats.resumes++;
  }
  process_poll(&mzmtp_contiki_process);
}
/*---------------------------------------------------------------------------*/
/*---------------------------------------------------------------------------*/
static bool
wants_appcall(const struct conn *c)
{
  if(c->uc == NULL || (c->uc->tcpstateflags & UIP_TS_MASK) != UIP_ESTABLISHED ||
     uip_outstanding(c->uc)) {
    return false; /* not up yet, or the ACK of what is in flight will call us */
  }
  if(c->sock == NULL || (c->flags & (CF_FATAL | CF_CLOSE))) {
    return true;
  }
  if(mzmtp_kit_stage_len(&c->st) == 0 && (c->flags & CF_SHUT)) {
    return true; /* reopen the window */
  }
  return (c->flags & CF_STARTED) && mzmtp_socket_peer_has_output(c->sock, c->peer);
}
/*---------------------------------------------------------------------------*/
/* mzmtp_kit_reap()'s callback: a peer whose timer expired (heartbeat, handshake) or
 * whose engine failed in an application call is closed. */
static void
dead_peer(void *ctx, int p, mzmtp_status_t why)
{
  mzmtp_socket_t *sock = ctx;
  struct conn *c = conn_of_peer(sock, p);
  LOG_INFO("peer %d: %s\n", p, mzmtp_status_str(why));
  mzmtp_socket_peer_stop(sock, p, why);
  if(c != NULL) {
    c->flags &= (uint8_t)~CF_STARTED;
    c->flags |= CF_CLOSE;
    c->why = why;
    mzmtp_kit_stage_clear(&c->st);
    if(c->uc == NULL) {
      conn_finish(c, mzmtp_contiki_now_ms());
    }
  }
}
/*---------------------------------------------------------------------------*/
/* A closing socket lets go once flushed or when its linger time is up. */
static void
close_progress(struct sockent *s, uint32_t now)
{
  mzmtp_socket_t *sock = s->k.sock;
  if(!mzmtp_kit_close_due(&s->k, now)) {
    return;
  }
  for(int i = 0; i < MZMTP_CONTIKI_CONF_MAX_CONNS; i++) {
    struct conn *c = &port.conn[i];
    if(!(c->flags & CF_USED) || c->sock != sock) {
      continue;
    }
    if(c->flags & CF_STARTED) {
      mzmtp_socket_peer_stop(sock, c->peer, MZMTP_ERR_CLOSED);
    }
    mzmtp_kit_stage_clear(&c->st);
    c->sock = NULL; /* orphan: FIN at its next application call, then freed */
    c->ep = NO_INDEX;
    c->flags = (uint8_t)((c->flags & (CF_USED | CF_POLL)) | CF_CLOSE);
    if(c->uc == NULL) {
      c->flags = 0;
    }
  }
  for(int i = 0; i < MZMTP_CONTIKI_CONF_MAX_ENDPOINTS; i++) {
    if(port.ep[i].k.sock == sock) {
      mzmtp_kit_ep_free(&port.ep[i].k); /* a connect's slot goes back */
    }
  }
  memset(s, 0, sizeof(*s));
  LOG_INFO("socket closed\n");
  mzmtp_socket_notify(sock, MZMTP_EV_CLOSED, -1, MZMTP_OK);
}
/*---------------------------------------------------------------------------*/
static void
notify_ready(struct sockent *s)
{
  unsigned ev = mzmtp_socket_poll(s->k.sock);
  unsigned rep = mzmtp_kit_ready_edges(&s->k, ev);
  if(rep != 0 && s->app != NULL &&
     process_post(s->app, mzmtp_contiki_event, s->k.sock) != PROCESS_ERR_OK) {
    port.post_failed = 1; /* event queue full: try again at the next tick */
    return;
  }
  mzmtp_kit_ready_told(&s->k, ev, rep);
  if(rep != 0 && s->fn != NULL) {
    s->fn(s->k.sock, rep, s->ctx);
  }
}
/*---------------------------------------------------------------------------*/
static void
arm_timer(uint32_t now)
{
  uint32_t wait = port.post_failed ? 0u : UINT32_MAX;
  for(int i = 0; i < MZMTP_CONTIKI_CONF_MAX_SOCKETS; i++) {
    if(port.sock[i].k.sock != NULL) {
      mzmtp_kit_sock_wait(&port.sock[i].k, now, &wait);
    }
  }
  for(int i = 0; i < MZMTP_CONTIKI_CONF_MAX_ENDPOINTS; i++) {
    mzmtp_kit_ep_wait(&port.ep[i].k, now, &wait);
  }
  if(wait == UINT32_MAX) {
    etimer_stop(&port.timer);
    return;
  }
  /* At most an hour, rounded up to whole ticks. */
  clock_time_t ticks = (clock_time_t)mzmtp_kit_ms_to_ticks(wait, (uint32_t)CLOCK_SECOND);
  etimer_set(&port.timer, ticks > 0 ? ticks : 1);
}
/*---------------------------------------------------------------------------*/
/* Everything outside uIP's callbacks: staged input, output requests, timers, closes,
 * reconnects and readiness. Runs in mzmtp_contiki_process only. */
static void
service(void)
{
  uint32_t now = mzmtp_contiki_now_ms();
  port.post_failed = 0;

  for(int i = 0; i < MZMTP_CONTIKI_CONF_MAX_CONNS; i++) {
    struct conn *c = &port.conn[i];
    if(!(c->flags & CF_USED)) {
      continue;
    }
    feed_stage(c, now);
    if(c->uc != NULL && (c->flags & CF_SHUT)) {
      /* The zero window has been advertised; segments the peer sent before it saw it
       * are still on their way (Linux keeps two half-window segments in flight).
       * uIP would drop them while UIP_STOPPED is set, and the peer would resend them
       * only after a retransmission timeout, doubling at each stall. Accept them into
       * the stage instead: what the peer may send is bounded by the right edge of the
       * window it saw before, at most UIP_RECEIVE_WINDOW past what we acknowledged, and
       * the stage holds that. uIP's own ACKs (to duplicates) may now carry a window;
       * input() refuses whatever would overrun the stage. */
      c->uc->tcpstateflags &= (uint8_t)~UIP_STOPPED;
    }
    if((c->flags & CF_GONE) && mzmtp_kit_stage_len(&c->st) == 0) {
      conn_finish(c, now);
      continue;
    }
    if(!(c->flags & CF_POLL) && wants_appcall(c)) {
      c->flags |= CF_POLL;
      tcpip_poll_tcp(c->uc);
    }
  }
  for(int i = 0; i < MZMTP_CONTIKI_CONF_MAX_SOCKETS; i++) {
    struct sockent *s = &port.sock[i];
    if(s->k.sock != NULL && mzmtp_socket_next_timeout(s->k.sock, now) == 0) {
      mzmtp_kit_reap(s->k.sock, now, dead_peer, s->k.sock);
    }
    if(s->k.sock != NULL && s->k.closing) { /* set only by mzmtp_contiki_close() */
      port.closer(s, now);
    }
  }
  for(int i = 0; i < MZMTP_CONTIKI_CONF_MAX_ENDPOINTS; i++) {
    if(mzmtp_kit_ep_due(&port.ep[i].k, now)) { /* a connect: port.connector is set */
      port.connector->attempt(&port.ep[i], now);
    }
  }
  for(int i = 0; i < MZMTP_CONTIKI_CONF_MAX_SOCKETS; i++) {
    if(port.sock[i].k.sock != NULL && !port.sock[i].k.closing) {
      notify_ready(&port.sock[i]);
    }
  }
  arm_timer(mzmtp_contiki_now_ms());
}
/*---------------------------------------------------------------------------*/
PROCESS_THREAD(mzmtp_contiki_process, ev, data)
{
  PROCESS_POLLHANDLER(service());
  PROCESS_BEGIN();
  while(1) {
    PROCESS_WAIT_EVENT();
    if(ev == tcpip_event) {
      appcall(data);
    } else if(ev == PROCESS_EVENT_TIMER && data == &port.timer) {
      service();
    }
  }
  PROCESS_END();
}
/* Connecting endpoints. Reached only through port.connector, which
 * mzmtp_contiki_connect() sets: a node that never connects links none of this, nor uIP's
 * tcp_connect(). */
static void
connect_attempt(struct endpoint *e, uint32_t now)
{
  struct conn *c = conn_alloc();
  if(c != NULL) {
    c->sock = e->k.sock;
    c->peer = (int8_t)e->k.peer;
    c->ep = (int8_t)(e - port.ep);
    /* We run in mzmtp_contiki_process, so uIP reports this connection to us. */
    c->uc = tcp_connect(&e->addr, UIP_HTONS(e->k.port), c);
    if(c->uc != NULL) {
      mzmtp_kit_ep_attempt(&e->k);
      return;
    }
    c->flags = 0;
  }
  (void)mzmtp_kit_ep_down(&e->k, &port.rc, now, MZMTP_ERR_CLOSED, true);
}
/*---------------------------------------------------------------------------*/
/* A connecting endpoint's connection ended. One that never came up is a failed connect:
 * back off. Protocol errors are not retried (wire-notes R2): the kit gives the slot back. */
static void
connect_lost(struct endpoint *e, const mzmtp_socket_t *sock, bool started, mzmtp_status_t why,
             uint32_t now)
{
  if(e->k.sock == sock &&
     !mzmtp_kit_ep_down(&e->k, &port.rc, now, why,
                        !started && e->k.state == MZMTP_KIT_CONNECTING)) {
    LOG_WARN("endpoint not retried: %s\n", mzmtp_status_str(why));
  }
}
/*---------------------------------------------------------------------------*/
static const struct connector connector = { connect_attempt, connect_lost };
/*---------------------------------------------------------------------------*/
/*---------------------------------------------------------------------------*/
/*                                public API                                 */
/*---------------------------------------------------------------------------*/
void
mzmtp_contiki_init(void)
{
  if(port.started) {
    return;
  }
  memset(&port, 0, sizeof(port));
  port.started = 1;
  mzmtp_kit_reconnect_init(&port.rc, MZMTP_CONTIKI_CONF_RECONNECT_IVL_MS,
                           MZMTP_CONTIKI_CONF_RECONNECT_IVL_MAX_MS, (uint32_t)random_rand());
  port.last_tick = clock_time();
  port.next_ephemeral = 49152u;
  mzmtp_contiki_event = process_alloc_event();
  process_start(&mzmtp_contiki_process, NULL);
}
/*---------------------------------------------------------------------------*/
mzmtp_status_t
mzmtp_contiki_attach(mzmtp_socket_t *sock, struct process *app, mzmtp_contiki_ready_fn fn,
                     void *ctx)
{
  struct sockent *s;
  if(sock == NULL) {
    return MZMTP_ERR_INVALID;
  }
  mzmtp_contiki_init();
  s = add_sock(sock, app);
  if(s == NULL) {
    return MZMTP_ERR_LIMIT;
  }
  if(s->k.closing) {
    return MZMTP_ERR_STATE;
  }
  s->app = app;
  s->fn = fn;
  s->ctx = ctx;
  mzmtp_kit_ready_rearm(&s->k);
#if MZMTP_CONF_CURVE
  /* The platform's generator; an application that has a better one installs it after
   * this call. */
  mzmtp_socket_set_random(sock, mzmtp_contiki_random, NULL);
#endif
  process_poll(&mzmtp_contiki_process);
  return MZMTP_OK;
}
/*---------------------------------------------------------------------------*/
/*
 * Endpoints: "tcp://[addr]:port" (the brackets may be left out), or "*" or "::" for the
 * address (bind only); port "*" or 0 only for bind (mzmtp_kit_parse_tcp()). The host's
 * text is then checked by the caller's host_fn: bind_host() or connect_addr(), so that a
 * node that only binds "*" links no address parser. uIP's parser takes IPv6 text only:
 * no names, no IPv4. Each @return MZMTP_OK or MZMTP_ERR_INVALID.
 */
typedef mzmtp_status_t (*host_fn)(const char *host, uip_ipaddr_t *addr);

/* A bind's host: "*", "::", or (MZMTP_CONTIKI_CONF_BIND_ADDR) an IPv6 address; uIP
 * listens on every address of the node whatever it is. */
static mzmtp_status_t
bind_host(const char *host, uip_ipaddr_t *addr)
{
#if MZMTP_CONTIKI_CONF_BIND_ADDR
  /* uIP's parser takes "::" too. */
  return mzmtp_kit_host_is_any(host) || uiplib_ip6addrconv(host, addr) ? MZMTP_OK
                                                                       : MZMTP_ERR_INVALID;
#else
  /* "::" by hand: strcmp would link newlib's, 442 B on Cortex-M3, for this one test. */
  (void)addr;
  return mzmtp_kit_host_is_any(host) || (host[0] == ':' && host[1] == ':' && host[2] == '\0')
           ? MZMTP_OK
           : MZMTP_ERR_INVALID;
#endif
}
/*---------------------------------------------------------------------------*/
/* A connect's host: an IPv6 address other than "::" ("*" is refused by
 * mzmtp_kit_parse_tcp() already). */
static mzmtp_status_t
connect_addr(const char *host, uip_ipaddr_t *addr)
{
  memset(addr, 0, sizeof(*addr));
  return uiplib_ip6addrconv(host, addr) && !mzmtp_kit_zero(addr->u8, sizeof(addr->u8))
           ? MZMTP_OK
           : MZMTP_ERR_INVALID;
}
/*---------------------------------------------------------------------------*/
/*---------------------------------------------------------------------------*/
static bool
port_bound(uint16_t p)
{
  for(int i = 0; i < MZMTP_CONTIKI_CONF_MAX_ENDPOINTS; i++) {
    if(port.ep[i].k.kind == MZMTP_KIT_EP_BIND && port.ep[i].k.port == p) {
      return true;
    }
  }
  return false;
}
/*---------------------------------------------------------------------------*/
/* What bind and connect check alike: the endpoint text, a socket that is not closing, a
 * free endpoint record (*out) and the socket's record (added for the calling process if
 * new). */
static mzmtp_status_t
new_endpoint(mzmtp_socket_t *sock, const char *endpoint, host_fn check, uint16_t *p,
             struct endpoint **out)
{
  struct sockent *s;
  uip_ipaddr_t addr;
  char host[48]; /* the longest IPv6 text, 45 characters, and more */
  if(sock == NULL ||
     mzmtp_kit_parse_tcp(endpoint, check == bind_host, host, sizeof(host), p) != MZMTP_OK ||
     check(host, &addr) != MZMTP_OK) {
    return MZMTP_ERR_INVALID;
  }
  mzmtp_contiki_init();
  s = find_sock(sock);
  if(s != NULL && s->k.closing) {
    return MZMTP_ERR_STATE;
  }
  *out = NULL;
  for(int i = 0; i < MZMTP_CONTIKI_CONF_MAX_ENDPOINTS && *out == NULL; i++) {
    if(port.ep[i].k.kind == MZMTP_KIT_EP_FREE) {
      *out = &port.ep[i];
    }
  }
  if(*out == NULL || (s == NULL && add_sock(sock, PROCESS_CURRENT()) == NULL)) {
    return MZMTP_ERR_LIMIT;
  }
  (*out)->addr = addr; /* a connect's; the record is taken only if the call succeeds */
  return MZMTP_OK;
}
/*---------------------------------------------------------------------------*/
mzmtp_status_t
mzmtp_contiki_bind(mzmtp_socket_t *sock, const char *endpoint, uint16_t *port_out)
{
  uint16_t p;
  struct endpoint *e;
  mzmtp_status_t st = new_endpoint(sock, endpoint, bind_host, &p, &e);

  if(st != MZMTP_OK) {
    return st;
  }
  if(p == 0) {
    for(unsigned tries = 0; tries < 16384u && (p == 0 || port_bound(p)); tries++) {
      p = port.next_ephemeral++;
      if(port.next_ephemeral == 0) {
        port.next_ephemeral = 49152u;
      }
    }
  }
  if(port_bound(p)) {
    return MZMTP_ERR_CLOSED;
  }
  mzmtp_kit_ep_bind(&e->k, sock, p);
  PROCESS_CONTEXT_BEGIN(&mzmtp_contiki_process);
  tcp_listen(UIP_HTONS(p));
  PROCESS_CONTEXT_END(&mzmtp_contiki_process);
  LOG_INFO("listening on port %u\n", p);
  if(port_out != NULL) {
    *port_out = p;
  }
  return MZMTP_OK;
}
/*---------------------------------------------------------------------------*/
mzmtp_status_t
mzmtp_contiki_connect(mzmtp_socket_t *sock, const char *endpoint)
{
  uint16_t p;
  struct endpoint *e;
  mzmtp_status_t st = new_endpoint(sock, endpoint, connect_addr, &p, &e);

  /* A keep_queue slot for good; the first attempt at once, from the port's process. */
  if(st == MZMTP_OK) {
    st = mzmtp_kit_ep_connect(&e->k, sock, p, &port.rc, mzmtp_contiki_now_ms());
  }
  if(st != MZMTP_OK) {
    return st;
  }
  port.connector = &connector;
  process_poll(&mzmtp_contiki_process);
  return MZMTP_OK;
}
/*---------------------------------------------------------------------------*/
void
mzmtp_contiki_set_reconnect(int32_t ivl_ms, int32_t ivl_max_ms)
{
  mzmtp_contiki_init();
  mzmtp_kit_reconnect_set(&port.rc, ivl_ms, ivl_max_ms);
}
/*---------------------------------------------------------------------------*/
void
mzmtp_contiki_kick(mzmtp_socket_t *sock)
{
  struct sockent *s = find_sock(sock);
  if(s != NULL) {
    mzmtp_kit_ready_rearm(&s->k);
  }
  if(port.started) {
    process_poll(&mzmtp_contiki_process);
  }
}
/*---------------------------------------------------------------------------*/
mzmtp_status_t
mzmtp_contiki_send(mzmtp_socket_t *sock, const void *data, size_t len, bool more)
{
  mzmtp_status_t st = mzmtp_socket_send(sock, data, len, more);
  mzmtp_contiki_kick(sock);
  return st;
}
/*---------------------------------------------------------------------------*/
#if MZMTP_CONF_SEND_REF
mzmtp_status_t
mzmtp_contiki_send_ref(mzmtp_socket_t *sock, const void *data, size_t len)
{
  mzmtp_status_t st = mzmtp_socket_send_ref(sock, data, len);
  mzmtp_contiki_kick(sock);
  return st;
}
#endif
/*---------------------------------------------------------------------------*/
mzmtp_status_t
mzmtp_contiki_recv(mzmtp_socket_t *sock, void *buf, size_t cap, size_t *len, unsigned *flags)
{
  mzmtp_status_t st = mzmtp_socket_recv(sock, buf, cap, len, flags);
  mzmtp_contiki_kick(sock);
  return st;
}
/*---------------------------------------------------------------------------*/
mzmtp_status_t
mzmtp_contiki_subscribe(mzmtp_socket_t *sock, const void *topic, size_t len)
{
  mzmtp_status_t st = mzmtp_socket_subscribe(sock, topic, len);
  mzmtp_contiki_kick(sock);
  return st;
}
/*---------------------------------------------------------------------------*/
mzmtp_status_t
mzmtp_contiki_unsubscribe(mzmtp_socket_t *sock, const void *topic, size_t len)
{
  mzmtp_status_t st = mzmtp_socket_unsubscribe(sock, topic, len);
  mzmtp_contiki_kick(sock);
  return st;
}
/*---------------------------------------------------------------------------*/
mzmtp_status_t
mzmtp_contiki_close(mzmtp_socket_t *sock, int32_t linger_ms)
{
  struct sockent *s = find_sock(sock);
  if(s == NULL) {
    return MZMTP_ERR_INVALID;
  }
  port.closer = close_progress;
  if(mzmtp_kit_close_begin(&s->k, linger_ms, mzmtp_contiki_now_ms())) {
    /* No new connections: stop listening and connecting now. */
    for(int i = 0; i < MZMTP_CONTIKI_CONF_MAX_ENDPOINTS; i++) {
      mzmtp_kit_ep_t *e = &port.ep[i].k;
      if(e->sock != sock) {
        continue;
      }
      if(e->kind == MZMTP_KIT_EP_BIND && e->state != MZMTP_KIT_STOPPED) {
        PROCESS_CONTEXT_BEGIN(&mzmtp_contiki_process);
        tcp_unlisten(UIP_HTONS(e->port));
        PROCESS_CONTEXT_END(&mzmtp_contiki_process);
      }
      if(e->state == MZMTP_KIT_WAIT || e->kind == MZMTP_KIT_EP_BIND) {
        mzmtp_kit_ep_stop(e);
      }
    }
  }
  process_poll(&mzmtp_contiki_process);
  return MZMTP_OK;
}
/*---------------------------------------------------------------------------*/
bool
mzmtp_contiki_closed(const mzmtp_socket_t *sock)
{
  return find_sock(sock) == NULL;
}
/*---------------------------------------------------------------------------*/
void
mzmtp_contiki_get_stats(mzmtp_contiki_stats_t *out)
{
  if(out != NULL) {
    *out = port.stats;
  }
}
/*---------------------------------------------------------------------------*/
