/*
 * microzmtp PUB node: binds port 9999 ("tcp://" "*:9999") and publishes a two-frame message
 * ["status", "seq=N uptime=S"] every second, as the original contiki-zmtp demo did.
 * A pyzmq SUB on the host receives it (host-sub.py).
 *
 * Commands on the serial line (stdin on TARGET=native), one per line:
 *   connect tcp://[fd00::1]:5557   also connect to a SUB that binds (both directions work)
 *   period <ms>                    publishing interval (0 stops)
 *   big <n>                        publish ["big", n bytes of big_byte(i)] once, copied
 *                                  into the send ring (n up to PUB_NODE_SEND_RING)
 *   bigref <n>                     the same, its body sent by reference (n up to
 *                                  PUB_NODE_BIG_MAX: 1 MiB on native)
 *   burst <n>                      publish n status messages at once
 *   stats                          print the port's counters
 *   close                          close the socket (1 s linger)
 * Every result is printed as one line that tests/contiki-ng/run.sh can parse.
 * PUB_NODE_COMMANDS 0 (project-conf.h) builds the publisher alone, without these
 * commands and without sending by reference (tests/contiki-ng/size.sh: pub-node-nocmd);
 * it then also leaves out the monitor's "mon" lines and the port's log (PUB_NODE_VERBOSE).
 */
#include "contiki.h"
#include "dev/serial-line.h"
#include "mzmtp-contiki.h"

#include <stdio.h>
#include <string.h>
#include "../common/example-socket.h"

#ifndef PUB_NODE_BIND
#define PUB_NODE_BIND "tcp://*:9999"
#endif
#ifndef PUB_NODE_CONNECT
#define PUB_NODE_CONNECT "" /* e.g. "tcp://[fd00::1]:5557" */
#endif
#ifndef PUB_NODE_PERIOD_MS
#define PUB_NODE_PERIOD_MS 1000
#endif
/* The send ring holds every queued message, encoded; a message copied in ("big") must
 * fit in it whole, so this is also the largest such message. A body sent by reference
 * ("bigref") takes only its frame header here. */
#ifndef PUB_NODE_SEND_RING
#if CONTIKI_TARGET_NATIVE
#define PUB_NODE_SEND_RING 4096
#else
#define PUB_NODE_SEND_RING 1024
#endif
#endif
/* The largest "big" body, sent by reference ("bigref"): 1 MiB on native, where memory
 * is plentiful; elsewhere the same 1 KB as the ring, so the program's RAM stays that of
 * the ring-sized "big" message. A node would send a large body from wherever it lives
 * (a log in flash, a sensor buffer); this one only needs a known pattern to check. */
#ifndef PUB_NODE_BIG_MAX
#if CONTIKI_TARGET_NATIVE
#define PUB_NODE_BIG_MAX (1024ul * 1024ul)
#else
#define PUB_NODE_BIG_MAX PUB_NODE_SEND_RING
#endif
#endif
/* A PUB only receives subscriptions: the smallest buffer the core accepts. */
#ifndef PUB_NODE_RECV_PER_PEER
#define PUB_NODE_RECV_PER_PEER 96
#endif

static mzmtp_socket_t pub;
MZMTP_SOCKET_MEM_DEFINE(pub_mem, PUB_NODE_SEND_RING, PUB_NODE_RECV_PER_PEER);
static struct etimer period_timer;
static uint32_t period_ms = PUB_NODE_PERIOD_MS;
static unsigned long seq;

PROCESS(pub_node_process, "microzmtp PUB node");
AUTOSTART_PROCESSES(&pub_node_process);
/*---------------------------------------------------------------------------*/
/* Append the decimal digits of v at p; @return the end. */
static char *
put_number(char *p, unsigned long v)
{
  char tmp[20];
  int n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10u);
    v /= 10u;
  } while(v > 0);
  while(n > 0) {
    *p++ = tmp[--n];
  }
  return p;
}
/*---------------------------------------------------------------------------*/
static mzmtp_status_t
publish_status(void)
{
  /* "seq=N uptime=S", built by hand: snprintf costs about 1 KB of RAM on Cortex-M. */
  char body[48], *p = body;
  memcpy(p, "seq=", 4);
  p = put_number(p + 4, seq);
  memcpy(p, " uptime=", 8);
  p = put_number(p + 8, (unsigned long)clock_seconds());
  mzmtp_status_t st = mzmtp_contiki_send(&pub, "status", 6, true);
  if(st == MZMTP_OK) {
    st = mzmtp_contiki_send(&pub, body, (size_t)(p - body), false);
  }
  seq++;
  return st;
}
#if PUB_NODE_COMMANDS
/*---------------------------------------------------------------------------*/
/* The pattern of "big" bodies; host-sub.py and the tests compute the same. */
static uint8_t
big_byte(uint32_t i)
{
  return (uint8_t)((i * 2654435761u) >> 24);
}
/*---------------------------------------------------------------------------*/
/* The bodies of "big" messages: big_byte(i) at index i, filled once at start and never
 * changed, so a message sent by reference may point into it for as long as the core
 * writes it (mzmtp_socket_refs_pending()) without the program having to watch. */
static uint8_t big_body[PUB_NODE_BIG_MAX];
static void
fill_big_body(void)
{
  for(uint32_t i = 0; i < sizeof(big_body); i++) {
    big_body[i] = big_byte(i);
  }
}
/*---------------------------------------------------------------------------*/
/* Publish ["big", n bytes]: copied into the send ring ("big"), which must then hold it
 * whole, or by reference ("bigref"): only the frame headers take ring space and the
 * body is written from big_body as each peer's connection takes it. */
static void
publish_big(const char *name, uint32_t n, bool by_ref)
{
  mzmtp_status_t st;
  if(n > sizeof(big_body) || (!by_ref && n > PUB_NODE_SEND_RING)) {
    /* Refused before the topic frame is queued, so nothing of the message goes out. */
    printf("%s %lu %s\n", name, (unsigned long)n, mzmtp_status_str(MZMTP_ERR_NO_MEMORY));
    return;
  }
  st = mzmtp_contiki_send(&pub, "big", 3, true);
  if(st == MZMTP_OK) {
    st = by_ref ? mzmtp_contiki_send_ref(&pub, big_body, n)
                : mzmtp_contiki_send(&pub, big_body, n, false);
  }
  printf("%s %lu %s\n", name, (unsigned long)n, mzmtp_status_str(st));
}
/*---------------------------------------------------------------------------*/
static void
command(const char *line)
{
  if(strncmp(line, "connect ", 8) == 0) {
    mzmtp_status_t st = mzmtp_contiki_connect(&pub, line + 8);
    printf("connect %s %s\n", line + 8, mzmtp_status_str(st));
  } else if(strncmp(line, "period ", 7) == 0) {
    period_ms = (uint32_t)number(line + 7);
    if(period_ms > 0) {
      etimer_set(&period_timer, (clock_time_t)(period_ms * CLOCK_SECOND / 1000u) + 1);
    } else {
      etimer_stop(&period_timer);
    }
    printf("period %lu\n", (unsigned long)period_ms);
  } else if(strncmp(line, "big ", 4) == 0) {
    publish_big("big", (uint32_t)number(line + 4), false);
  } else if(strncmp(line, "bigref ", 7) == 0) {
    publish_big("bigref", (uint32_t)number(line + 7), true);
  } else if(strncmp(line, "burst ", 6) == 0) {
    unsigned long n = number(line + 6), ok = 0;
    for(unsigned long i = 0; i < n; i++) {
      ok += publish_status() == MZMTP_OK;
    }
    printf("burst %lu ok=%lu\n", n, ok);
  } else if(strcmp(line, "stats") == 0) {
    printf("stats peers=%u refs=%u", mzmtp_socket_peer_count(&pub),
           mzmtp_socket_refs_pending(&pub));
    example_print_port_stats();
  } else if(strcmp(line, "close") == 0) {
    printf("close %s\n", mzmtp_status_str(mzmtp_contiki_close(&pub, 1000)));
  } else if(line[0] != '\0') {
    printf("unknown command: %s\n", line);
  }
}
#endif /* PUB_NODE_COMMANDS */
/*---------------------------------------------------------------------------*/
PROCESS_THREAD(pub_node_process, ev, data)
{
  static mzmtp_status_t st;

  PROCESS_BEGIN();

#if PUB_NODE_COMMANDS
  fill_big_body();
#endif
  mzmtp_contiki_init();
  /* Readiness events would come to this process; a PUB never has input, so none. */
  st = example_open(&pub, MZMTP_PUB, &pub_mem, PUB_NODE_VERBOSE ? example_monitor : NULL, NULL,
                    &pub_node_process);
  if(st != MZMTP_OK) {
    printf("init " EXAMPLE_ST_FMT "\n", EXAMPLE_ST(st));
    PROCESS_EXIT();
  }
  (void)example_endpoints(&pub, PUB_NODE_BIND, PUB_NODE_CONNECT);
  if(period_ms > 0) {
    etimer_set(&period_timer, (clock_time_t)(period_ms * CLOCK_SECOND / 1000u) + 1);
  }
  printf("pub-node ready\n");

  while(1) {
    PROCESS_WAIT_EVENT();
    if(ev == PROCESS_EVENT_TIMER && data == &period_timer && period_ms > 0) {
      st = publish_status();
      if(st != MZMTP_OK) {
        printf("send " EXAMPLE_ST_FMT "\n", EXAMPLE_ST(st));
      }
      etimer_reset_with_new_interval(&period_timer,
                                     (clock_time_t)(period_ms * CLOCK_SECOND / 1000u) + 1);
#if PUB_NODE_COMMANDS
    } else if(ev == serial_line_event_message) {
      command((const char *)data);
#endif
    } else if(ev == mzmtp_contiki_event) {
      /* PUB: POLLOUT once at start; nothing to read. */
    }
  }
  PROCESS_END();
}
/*---------------------------------------------------------------------------*/
