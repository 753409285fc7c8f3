/*
 * microzmtp multi-socket node: three sockets of three types in one Contiki process.
 *
 *  - REP, binds port 5555: answers every request with "echo:" + the request (served
 *    from a readiness callback);
 *  - PULL, binds port 5558: takes work items from any number of pushers;
 *  - PUSH, connects to tcp://[fd00::1]:5559: sends "done:" + item for each item
 *    (these two are served from this process's mzmtp_contiki_event).
 *
 * An item is pulled only once the previous result is accepted by the PUSH socket. While
 * its peer is away, PUSH queues results for it (the connect side keeps its queue) until
 * its send ring or high-water mark is full; then it says MZMTP_AGAIN, the item waits
 * here, the PULL socket is not read, and TCP holds the pushers back. Nothing is dropped.
 * host-multi.py drives it from the host.
 *
 * Commands on the serial line (stdin on TARGET=native), one per line:
 *   bind <rep|pull|push> <ep>      the other side for any of the three sockets, e.g.
 *   connect <rep|pull|push> <ep>   "connect rep tcp://[fd00::1]:5565" to answer a REQ
 *                                  that binds, "bind push tcp://[::]:5569"
 *   stats                          counters of the port and of this program
 */
#include "contiki.h"
#include "dev/serial-line.h"
#include "mzmtp-contiki.h"

#include <stdio.h>
#include <string.h>
#include "../common/example-socket.h"

#ifndef MULTI_NODE_REP_BIND
#define MULTI_NODE_REP_BIND "tcp://[::]:5555"
#endif
#ifndef MULTI_NODE_PULL_BIND
#define MULTI_NODE_PULL_BIND "tcp://[::]:5558"
#endif
#ifndef MULTI_NODE_PUSH_CONNECT
#define MULTI_NODE_PUSH_CONNECT "tcp://[fd00::1]:5559"
#endif
#define ITEM_MAX 96

static mzmtp_socket_t rep, pull, push;
MZMTP_SOCKET_MEM_DEFINE(rep_mem, 256, 128);
MZMTP_SOCKET_MEM_DEFINE(pull_mem, 16, 256);
MZMTP_SOCKET_MEM_DEFINE(push_mem, 1024, MZMTP_RECV_MIN);

static uint8_t request[ITEM_MAX + 5];
static uint8_t result[ITEM_MAX + 5];
static size_t result_len;
static bool result_pending;
static unsigned long answered, pulled, pushed, oversize;

PROCESS(multi_node_process, "microzmtp multi-socket node");
AUTOSTART_PROCESSES(&multi_node_process);
/*---------------------------------------------------------------------------*/
static void
serve_requests(void)
{
  static struct example_reader r;
  while(example_read_message(&rep, &r, request + 5, ITEM_MAX, '\0') == MZMTP_OK) {
    memcpy(request, "echo:", 5);
    mzmtp_status_t st = mzmtp_contiki_send(&rep, request, r.len + 5, false);
    example_reader_restart(&r);
    if(st != MZMTP_OK) {
      printf("rep send %s\n", mzmtp_status_str(st));
    }
    answered++;
  }
}
/*---------------------------------------------------------------------------*/
static void
run_pipeline(void)
{
  for(;;) {
    if(result_pending) {
      mzmtp_status_t st = mzmtp_contiki_send(&push, result, result_len, false);
      if(st == MZMTP_AGAIN) {
        return; /* POLLOUT will come back: try again then */
      }
      if(st != MZMTP_OK) {
        printf("push send %s\n", mzmtp_status_str(st));
      } else {
        pushed++;
      }
      result_pending = false;
    }
    static struct example_reader r;
    if(example_read_message(&pull, &r, result + 5, ITEM_MAX, '\0') != MZMTP_OK) {
      return;
    }
    pulled++;
    oversize += r.cut;
    memcpy(result, "done:", 5);
    result_len = r.len + 5;
    result_pending = true;
    example_reader_restart(&r);
  }
}
/*---------------------------------------------------------------------------*/
/* "bind|connect <rep|pull|push> <ep>": the other side of a socket. */
static void
endpoint_command(const char *line)
{
  static const struct {
    const char *name;
    mzmtp_socket_t *sock;
  } socks[] = { { "rep ", &rep }, { "pull ", &pull }, { "push ", &push } };
  bool bind = strncmp(line, "bind ", 5) == 0;
  const char *args = line + (bind ? 5 : 8);
  for(size_t i = 0; i < sizeof(socks) / sizeof(socks[0]); i++) {
    size_t n = strlen(socks[i].name);
    if(strncmp(args, socks[i].name, n) == 0) {
      mzmtp_status_t st = bind ? mzmtp_contiki_bind(socks[i].sock, args + n, NULL)
                               : mzmtp_contiki_connect(socks[i].sock, args + n);
      printf("%s %s%s %s\n", bind ? "bind" : "connect", socks[i].name, args + n,
             mzmtp_status_str(st));
      return;
    }
  }
  printf("unknown command: %s\n", line);
}
/*---------------------------------------------------------------------------*/
/* The REP socket is served from a readiness callback (called by the port's process),
 * the other two from this process's events: both ways work, side by side. */
static void
rep_ready(mzmtp_socket_t *sock, unsigned events, void *ctx)
{
  (void)sock;
  (void)events;
  (void)ctx;
  serve_requests();
}
/*---------------------------------------------------------------------------*/
static mzmtp_status_t
setup(mzmtp_socket_t *s, int type, const mzmtp_socket_mem_t *mem, const char *bind,
      const char *connect)
{
  mzmtp_status_t st = mzmtp_socket_init(s, type, mem);
  if(st == MZMTP_OK) {
    /* The monitor's context: the socket's type name, "REP", "PULL" or "PUSH". */
    mzmtp_socket_set_monitor(s, example_monitor, (void *)mzmtp_wire_socket_type_name(type));
    if(s == &rep) {
      st = mzmtp_contiki_attach(s, NULL, rep_ready, NULL);
    } else {
      st = mzmtp_contiki_attach(s, &multi_node_process, NULL, NULL);
    }
  }
  if(st == MZMTP_OK && bind != NULL) {
    st = mzmtp_contiki_bind(s, bind, NULL);
  }
  if(st == MZMTP_OK && connect != NULL) {
    st = mzmtp_contiki_connect(s, connect);
  }
  printf("%s %s %s\n", mzmtp_wire_socket_type_name(type), bind ? bind : connect,
         mzmtp_status_str(st));
  return st;
}
/*---------------------------------------------------------------------------*/
PROCESS_THREAD(multi_node_process, ev, data)
{
  PROCESS_BEGIN();

  mzmtp_contiki_init();
  if(setup(&rep, MZMTP_REP, &rep_mem, MULTI_NODE_REP_BIND, NULL) != MZMTP_OK ||
     setup(&pull, MZMTP_PULL, &pull_mem, MULTI_NODE_PULL_BIND, NULL) != MZMTP_OK ||
     setup(&push, MZMTP_PUSH, &push_mem, NULL, MULTI_NODE_PUSH_CONNECT) != MZMTP_OK) {
    PROCESS_EXIT();
  }
  printf("multi-node ready\n");

  while(1) {
    PROCESS_WAIT_EVENT();
    if(ev == mzmtp_contiki_event) {
      /* One handler for both sockets: data says which one is ready, but doing all
       * the work that can be done is just as simple and never misses any. */
      run_pipeline();
    } else if(ev == serial_line_event_message &&
              (strncmp(data, "bind ", 5) == 0 || strncmp(data, "connect ", 8) == 0)) {
      endpoint_command((const char *)data);
    } else if(ev == serial_line_event_message && strcmp(data, "stats") == 0) {
      mzmtp_contiki_stats_t s;
      mzmtp_contiki_get_stats(&s);
      printf("stats answered=%lu pulled=%lu pushed=%lu oversize=%lu pending=%d "
             "accepted=%lu refused=%lu stalls=%lu\n", answered, pulled, pushed, oversize,
             result_pending, (unsigned long)s.accepted, (unsigned long)s.refused,
             (unsigned long)s.stalls);
    }
  }
  PROCESS_END();
}
/*---------------------------------------------------------------------------*/
