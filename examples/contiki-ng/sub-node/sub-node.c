/*
 * microzmtp SUB node: connects to a publisher on the host (tcp://[fd00::1]:5556, where
 * host-pub.py binds) and binds port 9998 for publishers that connect to it, subscribes
 * to "weather", and prints one line per message received.
 *
 * It reads in 100-byte pieces through a 512-byte receive buffer per peer, so messages of
 * any size stream through (a 1 MiB message works): the line it prints carries the
 * message's length and an FNV-1a hash of all its bytes, which the host can check.
 *
 * Commands on the serial line (stdin on TARGET=native), one per line:
 *   sub <topic> / unsub <topic>    (un)subscribe; "sub" alone subscribes to everything
 *   connect <endpoint> / bind <endpoint>
 *   maxmsg <bytes>                 refuse larger messages (MZMTP_OPT_MAXMSGSIZE, 0 = none)
 *   pause / resume                 stop / restart reading (shows TCP backpressure)
 *   stats                          counters of the port and of this program
 *   close                          close the socket
 */
#include "contiki.h"
#include "dev/serial-line.h"
#include "mzmtp-contiki.h"

#include <stdio.h>
#include <string.h>
#include "../common/example-socket.h"

#ifndef SUB_NODE_CONNECT
#define SUB_NODE_CONNECT "tcp://[fd00::1]:5556"
#endif
#ifndef SUB_NODE_BIND
#define SUB_NODE_BIND "tcp://*:9998"
#endif
#ifndef SUB_NODE_TOPIC
#define SUB_NODE_TOPIC "weather"
#endif
/* A SUB sends only subscriptions, which travel as commands: the smallest ring. */
#ifndef SUB_NODE_SEND_RING
#define SUB_NODE_SEND_RING 64
#endif
#ifndef SUB_NODE_RECV_PER_PEER
#define SUB_NODE_RECV_PER_PEER 512
#endif
#ifndef SUB_NODE_CHUNK
#define SUB_NODE_CHUNK 100
#endif

static mzmtp_socket_t sub;
MZMTP_SOCKET_MEM_DEFINE(sub_mem, SUB_NODE_SEND_RING, SUB_NODE_RECV_PER_PEER);

/* The message being read. */
static struct {
  uint32_t len, frames, frame_len, hash;
  char first[33], last[49];
  uint8_t first_len, last_len;
} msg;
static unsigned long received, truncated;
static bool paused;

PROCESS(sub_node_process, "microzmtp SUB node");
AUTOSTART_PROCESSES(&sub_node_process);
/*---------------------------------------------------------------------------*/
/* Keep up to cap-1 printable characters of a frame's start, '.' for the others. */
static void
keep(char *dst, uint8_t *dlen, size_t cap, const uint8_t *src, size_t n)
{
  for(size_t i = 0; i < n && (size_t)*dlen + 1 < cap; i++) {
    dst[(*dlen)++] = (src[i] >= 0x21 && src[i] < 0x7f) ? (char)src[i] : '.';
  }
  dst[*dlen] = '\0';
}
/*---------------------------------------------------------------------------*/
static void
account(const uint8_t *d, size_t n, unsigned flags)
{
  for(size_t i = 0; i < n; i++) {
    msg.hash = (msg.hash ^ d[i]) * 16777619u; /* FNV-1a, 32 bits */
  }
  if(msg.frame_len == 0) {
    msg.last_len = 0;
    msg.last[0] = '\0';
  }
  if(msg.frames == 0) {
    keep(msg.first, &msg.first_len, sizeof(msg.first), d, n);
  }
  keep(msg.last, &msg.last_len, sizeof(msg.last), d, n);
  msg.len += (uint32_t)n;
  msg.frame_len += (uint32_t)n;
  if(!(flags & MZMTP_RECV_PARTIAL)) {
    msg.frames++;
    msg.frame_len = 0;
  }
  if(!(flags & (MZMTP_RECV_MORE | MZMTP_RECV_PARTIAL))) {
    received++;
    printf("rx n=%lu frames=%lu len=%lu fnv=%08lx first=%s last=%s\n", received,
           (unsigned long)msg.frames, (unsigned long)msg.len, (unsigned long)msg.hash,
           msg.first, msg.last);
    memset(&msg, 0, sizeof(msg));
    msg.hash = 2166136261u;
  }
}
/*---------------------------------------------------------------------------*/
static void
drain(void)
{
  static uint8_t buf[SUB_NODE_CHUNK];
  size_t n;
  unsigned flags;
  while(!paused) {
    mzmtp_status_t st = mzmtp_contiki_recv(&sub, buf, sizeof(buf), &n, &flags);
    if(st == MZMTP_AGAIN) {
      break;
    }
    if(st == MZMTP_ERR_TRUNCATED) {
      /* The peer left in the middle of a streamed message: it is over, and short. */
      truncated++;
      printf("rx truncated after %lu bytes\n", (unsigned long)msg.len);
      memset(&msg, 0, sizeof(msg));
      msg.hash = 2166136261u;
      continue;
    }
    if(st != MZMTP_OK) {
      printf("recv %s\n", mzmtp_status_str(st));
      break;
    }
    account(buf, n, flags);
  }
}
/*---------------------------------------------------------------------------*/
static void
command(const char *line)
{
  mzmtp_status_t st;
  if(strcmp(line, "sub") == 0 || strncmp(line, "sub ", 4) == 0) {
    const char *t = line[3] ? line + 4 : "";
    st = mzmtp_contiki_subscribe(&sub, t, strlen(t));
    printf("sub '%s' %s\n", t, mzmtp_status_str(st));
  } else if(strcmp(line, "unsub") == 0 || strncmp(line, "unsub ", 6) == 0) {
    const char *t = line[5] ? line + 6 : "";
    st = mzmtp_contiki_unsubscribe(&sub, t, strlen(t));
    printf("unsub '%s' %s\n", t, mzmtp_status_str(st));
  } else if(strncmp(line, "connect ", 8) == 0) {
    printf("connect %s %s\n", line + 8, mzmtp_status_str(mzmtp_contiki_connect(&sub, line + 8)));
  } else if(strncmp(line, "bind ", 5) == 0) {
    uint16_t port = 0;
    st = mzmtp_contiki_bind(&sub, line + 5, &port);
    printf("bind %s port=%u %s\n", line + 5, port, mzmtp_status_str(st));
  } else if(strncmp(line, "maxmsg ", 7) == 0) {
    uint64_t max = number(line + 7);
    st = mzmtp_socket_setopt(&sub, MZMTP_OPT_MAXMSGSIZE, &max, sizeof(max));
    printf("maxmsg %lu %s\n", (unsigned long)max, mzmtp_status_str(st));
  } else if(strcmp(line, "pause") == 0) {
    paused = true;
    printf("paused\n");
  } else if(strcmp(line, "resume") == 0) {
    paused = false;
    printf("resumed\n");
    drain();
    mzmtp_contiki_kick(&sub);
  } else if(strcmp(line, "stats") == 0) {
    printf("stats peers=%u received=%lu truncated=%lu", mzmtp_socket_peer_count(&sub), received,
           truncated);
    example_print_port_stats();
  } else if(strcmp(line, "close") == 0) {
    printf("close %s\n", mzmtp_status_str(mzmtp_contiki_close(&sub, 0)));
  } else if(line[0] != '\0') {
    printf("unknown command: %s\n", line);
  }
}
/*---------------------------------------------------------------------------*/
PROCESS_THREAD(sub_node_process, ev, data)
{
  static mzmtp_status_t st;

  PROCESS_BEGIN();

  msg.hash = 2166136261u;
  mzmtp_contiki_init();
  st = example_open(&sub, MZMTP_SUB, &sub_mem, example_monitor, NULL, &sub_node_process);
  if(st != MZMTP_OK) {
    printf("init %s\n", mzmtp_status_str(st));
    PROCESS_EXIT();
  }
  st = mzmtp_contiki_subscribe(&sub, SUB_NODE_TOPIC, strlen(SUB_NODE_TOPIC));
  printf("sub '%s' %s\n", SUB_NODE_TOPIC, mzmtp_status_str(st));
  if(st == MZMTP_OK) {
    st = example_endpoints(&sub, SUB_NODE_BIND, SUB_NODE_CONNECT);
  }
  printf("sub-node ready\n");

  while(1) {
    PROCESS_WAIT_EVENT();
    if(ev == mzmtp_contiki_event && data == &sub) {
      drain();
    } else if(ev == serial_line_event_message) {
      command((const char *)data);
    }
  }
  PROCESS_END();
}
/*---------------------------------------------------------------------------*/
