/*
 * microzmtp client node: the node asks (REQ) and deals (DEALER); the host answers.
 *
 *  - REQ, connects to tcp://[fd00::1]:5570, where a REP on the host binds
 *    (host-client.py): "req <n>" sends n requests "q<k>", each once the previous reply
 *    is in, and prints "reply q<k> <reply>" for each;
 *  - DEALER, routing id "node-dealer", binds port 5571, where ROUTERs on the host
 *    connect: "deal <n>" sends n messages "d<k>", round-robin over its peers, and every
 *    message it receives (a ROUTER's answer, addressed to "node-dealer") is printed as
 *    "dealer rx <frames joined by |>".
 *
 * Both sockets can also take the other side, from the serial line: the REQ binds for
 * REPs that connect to it, the DEALER connects to a ROUTER that binds. Both are served
 * from this process's mzmtp_contiki_event. host-client.py drives it from the host.
 *
 * A REQ waits for the reply to a request it has written for as long as it takes (RFC 28):
 * if that REP goes away, "req reset" closes the socket and opens it again ("lazy
 * pirate"), and the unanswered request counts as lost.
 *
 * Commands on the serial line (stdin on TARGET=native), one per line:
 *   req <n>                        n request/reply round trips
 *   req reset                      close the REQ (linger 0) and open it again
 *   deal <n>                       n messages from the DEALER
 *   req bind <ep> / req connect <ep> / dealer bind <ep> / dealer connect <ep>
 *   stats                          counters of the port and of this program
 */
#include "contiki.h"
#include "dev/serial-line.h"
#include "mzmtp-contiki.h"

#include <stdio.h>
#include <string.h>
#include "../common/example-socket.h"

#ifndef CLIENT_NODE_REQ_CONNECT
#define CLIENT_NODE_REQ_CONNECT "tcp://[fd00::1]:5570"
#endif
#ifndef CLIENT_NODE_DEALER_BIND
#define CLIENT_NODE_DEALER_BIND "tcp://[::]:5571"
#endif
#ifndef CLIENT_NODE_DEALER_ID
#define CLIENT_NODE_DEALER_ID "node-dealer"
#endif
/* Longest message printed; longer ones are cut (and counted). */
#define TEXT_MAX 96

static mzmtp_socket_t req, dealer;
MZMTP_SOCKET_MEM_DEFINE(req_mem, 256, 128);
MZMTP_SOCKET_MEM_DEFINE(dealer_mem, 512, 128);

/* The REQ's round trips: left to send, the request awaiting its reply. */
static struct {
  unsigned long left, next, sent, answered, lost;
  bool waiting;
  bool reopen; /* closed by "req reset": open it again once the port lets it go */
  char asked[24];
} rq;
static unsigned long dealt, dealer_rx, cut;

PROCESS(client_node_process, "microzmtp client node");
AUTOSTART_PROCESSES(&client_node_process);
/*---------------------------------------------------------------------------*/
/* ctx is the socket's name, "req" or "dealer". */
static void
monitor(void *ctx, mzmtp_socket_t *sock, mzmtp_socket_event_t ev, int peer,
        mzmtp_status_t st)
{
  example_monitor(ctx, sock, ev, peer, st);
  if(ev == MZMTP_EV_CLOSED && sock == &req && rq.reopen) {
    /* Not from inside the port's call: the application's process opens it again. */
    process_poll(&client_node_process);
  }
}
/*---------------------------------------------------------------------------*/
/* REQ (RFC 28): one request, then its reply, then the next request. A request the core
 * cannot take now (MZMTP_AGAIN) is tried again at the next readiness event. */
static void
req_pump(void)
{
  static struct example_reader r;
  static char text[TEXT_MAX];
  for(;;) {
    if(rq.waiting) {
      mzmtp_status_t st = example_read_text(&req, &r, text, sizeof(text));
      if(st == MZMTP_AGAIN) {
        return;
      }
      if(st != MZMTP_OK) {
        printf("req recv %s\n", mzmtp_status_str(st));
        return;
      }
      printf("reply %s %s\n", rq.asked, text);
      cut += r.cut;
      example_reader_restart(&r);
      rq.waiting = false;
      rq.answered++;
      if(rq.left == 0) {
        printf("req done answered=%lu\n", rq.answered);
      }
    }
    if(rq.left == 0 || rq.reopen) {
      return;
    }
    size_t n = label(rq.asked, "q", rq.next);
    mzmtp_status_t st = mzmtp_contiki_send(&req, rq.asked, n, false);
    if(st == MZMTP_AGAIN) {
      return; /* no peer can take it yet: POLLOUT will come */
    }
    if(st != MZMTP_OK) {
      printf("req send %s\n", mzmtp_status_str(st));
      rq.left = 0;
      return;
    }
    rq.next++;
    rq.left--;
    rq.sent++;
    rq.waiting = true;
  }
}
/*---------------------------------------------------------------------------*/
static void
dealer_pump(void)
{
  static struct example_reader r;
  static char text[TEXT_MAX];
  while(example_read_text(&dealer, &r, text, sizeof(text)) == MZMTP_OK) {
    printf("dealer rx %s\n", text);
    dealer_rx++;
    cut += r.cut;
    example_reader_restart(&r);
  }
}
/*---------------------------------------------------------------------------*/
/* "req reset": a REQ whose REP left with the request unanswered waits for ever; the way
 * out is a new socket. The close returns at once; the port reports MZMTP_EV_CLOSED once
 * it has let the socket go (linger 0: at its next turn), and req_reopen() follows. */
static void
req_reset(void)
{
  if(rq.reopen) {
    printf("req reset busy\n");
    return;
  }
  if(rq.waiting) {
    rq.lost++;
    rq.waiting = false;
  }
  rq.left = 0;
  rq.reopen = true;
  printf("req reset %s\n", mzmtp_status_str(mzmtp_contiki_close(&req, 0)));
}
/*---------------------------------------------------------------------------*/
static void
req_reopen(void)
{
  mzmtp_status_t st;
  if(!rq.reopen || !mzmtp_contiki_closed(&req)) {
    return;
  }
  rq.reopen = false;
  st = example_open(&req, MZMTP_REQ, &req_mem, monitor, "req", &client_node_process);
  if(st == MZMTP_OK) {
    st = mzmtp_contiki_connect(&req, CLIENT_NODE_REQ_CONNECT);
  }
  printf("req reopened %s\n", mzmtp_status_str(st));
}
/*---------------------------------------------------------------------------*/
/* "bind <ep>" or "connect <ep>" for sock. */
static void
endpoint_command(mzmtp_socket_t *sock, const char *name, const char *args)
{
  mzmtp_status_t st;
  if(strncmp(args, "bind ", 5) == 0) {
    uint16_t port = 0;
    st = mzmtp_contiki_bind(sock, args + 5, &port);
    printf("%s bind %s port=%u %s\n", name, args + 5, port, mzmtp_status_str(st));
  } else if(strncmp(args, "connect ", 8) == 0) {
    st = mzmtp_contiki_connect(sock, args + 8);
    printf("%s connect %s %s\n", name, args + 8, mzmtp_status_str(st));
  } else {
    printf("unknown command: %s %s\n", name, args);
  }
}
/*---------------------------------------------------------------------------*/
static void
command(const char *line)
{
  if(strcmp(line, "req reset") == 0) {
    req_reset();
  } else if(strncmp(line, "req ", 4) == 0 && (line[4] < '0' || line[4] > '9')) {
    endpoint_command(&req, "req", line + 4);
  } else if(strncmp(line, "req ", 4) == 0) {
    rq.left += number(line + 4);
    req_pump();
  } else if(strncmp(line, "dealer ", 7) == 0) {
    endpoint_command(&dealer, "dealer", line + 7);
  } else if(strncmp(line, "deal ", 5) == 0) {
    example_send_numbered(&dealer, "deal", "d", &dealt, number(line + 5));
  } else if(strcmp(line, "stats") == 0) {
    mzmtp_contiki_stats_t s;
    mzmtp_contiki_get_stats(&s);
    printf("stats req_sent=%lu answered=%lu lost=%lu waiting=%d dealt=%lu dealer_rx=%lu "
           "cut=%lu req_peers=%u dealer_peers=%u accepted=%lu refused=%lu aborted=%lu\n",
           rq.sent, rq.answered, rq.lost, rq.waiting, dealt, dealer_rx, cut,
           mzmtp_socket_peer_count(&req), mzmtp_socket_peer_count(&dealer),
           (unsigned long)s.accepted, (unsigned long)s.refused, (unsigned long)s.aborted);
  } else if(line[0] != '\0') {
    printf("unknown command: %s\n", line);
  }
}
/*---------------------------------------------------------------------------*/
PROCESS_THREAD(client_node_process, ev, data)
{
  static mzmtp_status_t st;

  PROCESS_BEGIN();

  mzmtp_contiki_init();
  st = example_open(&req, MZMTP_REQ, &req_mem, monitor, "req", &client_node_process);
  if(st == MZMTP_OK) {
    st = mzmtp_contiki_connect(&req, CLIENT_NODE_REQ_CONNECT);
    printf("req connect %s %s\n", CLIENT_NODE_REQ_CONNECT, mzmtp_status_str(st));
  }
  if(st == MZMTP_OK) {
    st = example_open(&dealer, MZMTP_DEALER, &dealer_mem, monitor, "dealer",
                      &client_node_process);
  }
  if(st == MZMTP_OK) {
    /* RFC 37: the identity a ROUTER peer routes to, sent in READY. */
    st = mzmtp_socket_setopt(&dealer, MZMTP_OPT_ROUTING_ID, CLIENT_NODE_DEALER_ID,
                             strlen(CLIENT_NODE_DEALER_ID));
  }
  if(st == MZMTP_OK) {
    uint16_t port = 0;
    st = mzmtp_contiki_bind(&dealer, CLIENT_NODE_DEALER_BIND, &port);
    printf("dealer bind %s port=%u %s\n", CLIENT_NODE_DEALER_BIND, port,
           mzmtp_status_str(st));
  }
  if(st != MZMTP_OK) {
    printf("setup %s\n", mzmtp_status_str(st));
    PROCESS_EXIT();
  }
  printf("client-node ready\n");

  while(1) {
    PROCESS_WAIT_EVENT();
    if(ev == mzmtp_contiki_event) {
      /* data says which socket is ready; serving both is as simple and never misses. */
      req_pump();
      dealer_pump();
    } else if(ev == PROCESS_EVENT_POLL) {
      req_reopen();
    } else if(ev == serial_line_event_message) {
      command((const char *)data);
    }
  }
  PROCESS_END();
}
/*---------------------------------------------------------------------------*/
